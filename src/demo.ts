// The main job (`npm run demo`): an operator mints a user's low-latency
// token, inspects it, verifies it in the wasm core, and shows a tampered, an
// expired and a revoked copy rejected with their result codes. Every step
// runs the real `ntok` CLI, as a user would.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('./cli/ntok.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ntok-demo-'));
const keys = 'operator-keys.json'; // relative: every step runs inside `dir`
let failures = 0;

function ntok(args: string[], expectExit: number): string {
  const shown = args.map((a) => (a.length > 40 ? a.slice(0, 24) + '…' : a.includes(' ') ? `'${a}'` : a)).join(' ');
  console.log(`\n$ ntok ${shown}`);
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
  const out = r.stdout.trimEnd();
  if (out) console.log(out.split('\n').map((l) => '  ' + l).join('\n'));
  if (r.stderr.trim()) console.log(r.stderr.trimEnd().split('\n').map((l) => '  ' + l).join('\n'));
  const verdict = r.status === expectExit ? 'as expected' : `UNEXPECTED (wanted ${expectExit})`;
  if (r.status !== expectExit) failures++;
  console.log(`  [exit ${r.status}: ${verdict}]`);
  return out;
}

function step(title: string): void {
  console.log(`\n=== ${title}`);
}

try {
  const now = Math.floor(Date.now() / 1000);
  step('1. The operator creates a MAC key (HMAC 256/64) shared with its gateways');
  ntok(['keygen', '--alg', 'HMAC 256/64', '--kid', 'k', '--out', keys], 0);
  console.log('  (key written to operator-keys.json)');

  step("2. It mints a user's low-latency token: service 1, bound to the phone's address, valid 1 h");
  const issue = ['issue', '--key', keys, '--exp', '+3600', '--srv', '1', '--bip', '192.0.2.7', '--cti', 'c0ffee0000000001'];
  const token = ntok(issue, 0);
  console.log(`  ${token.length / 2} bytes on the wire, 4-byte header included (the first deployment's JWE tokens: 185-227 bytes)`);

  step('3. Anyone can look inside (the claims are MACed, not encrypted)');
  ntok(['inspect', token], 0);

  step('4. The gateway verifies it in ntok.wasm');
  ntok(['verify', token, '--keys', keys, '--require', 'exp'], 0);
  ntok(['verify', token, '--keys', keys, '--json'], 0);

  step('5. A tampered copy: the bound address changed from 192.0.2.7 to 192.0.2.8');
  const tampered = token.replace('c0000207', 'c0000208');
  ntok(['verify', tampered, '--keys', keys], 1);

  step('6. An expired copy: minted with exp two hours ago');
  const expired = ntok(['issue', '--key', keys, '--exp', String(now - 7200), '--srv', '1', '--bip', '192.0.2.7'], 0);
  ntok(['verify', expired, '--keys', keys], 1);

  step('7. The same valid token after the operator revokes its id (cti c0ffee0000000001)');
  ntok(['verify', token, '--keys', keys, '--revoked', 'c0ffee0000000001'], 1);

  step('8. Bytes that are not a token at all');
  ntok(['verify', '00000002d18443a1', '--keys', keys, '--json'], 1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(failures === 0 ? '\ndemo: every step behaved as expected' : `\ndemo: ${failures} step(s) did not behave as expected`);
process.exitCode = failures === 0 ? 0 : 1;
