// What the suites that run hosts as processes (test/conformance, test/boards)
// share: where the repository is, a scratch directory for input files, and
// running a command there.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository: the first directory above `from` with ntok's package.json. */
function findRepo(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'ntok') return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Found from this file (dist/test/support/ or a private build) or the working directory. */
export const REPO: string = (() => {
  const repo = findRepo(dirname(fileURLToPath(import.meta.url))) ?? findRepo(process.cwd());
  if (repo === undefined) throw new Error('cannot find the ntok repository (package.json named ntok)');
  return repo;
})();

export interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** A scratch directory: input files written there, commands run in it. */
export class Scratch {
  readonly dir: string;
  private files = 0;

  constructor(prefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  file(content: string | Uint8Array): string {
    const path = join(this.dir, `f${this.files++}`);
    writeFileSync(path, content);
    return path;
  }

  /** Runs a command; a process that cannot start or hangs past `timeoutMs` (a minute) fails the test. */
  run(cmd: string, args: string[], timeoutMs = 60_000): Run {
    const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: this.dir, timeout: timeoutMs, maxBuffer: 256 << 20 });
    if (r.error) throw r.error;
    return { code: r.status, out: r.stdout, err: r.stderr };
  }
}
