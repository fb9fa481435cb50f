// The board builds (boards/build-board.sh: static, musl, cross-compiled) run
// under qemu-user and must answer exactly as the native build/ntokd does:
// same stdout byte for byte, same exit code, for every vector of
// test/vectors/cwt.json and cose.json (and a few malformed inputs), and for
// `ntokd replay` / `tag` over the captures of test/support/replay-cases.ts
// (also the same --out file). On big-endian MIPS (ath79) this is the check
// that the host never reads wasm linear memory (little-endian everywhere)
// through a native pointer; on the soft-float MIPS boards qemu emulates a CPU
// without an FPU. Each board's ntokd caps linear memory at its profile's
// wasm_pages (build-board.sh), so the replay of 100,000 distinct flows at the
// default flow capacity checks that the ceiling holds the packet path: a
// core that outgrew it would trap there, and differ from native.
//
// `npm run test:boards` builds build/ntokd and every board, then runs this
// file. A board that has not been built is reported as skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, Scratch, type Run } from '../support/host-runs.js';
import { replayCases, taggedInput } from '../support/replay-cases.js';

const NATIVE = join(REPO, 'build/ntokd');

interface Profile {
  name: string;
  toolchain: { triple: string; qemu?: string; endianness: string; float_abi: string };
}

/**
 * qemu's CPU for a profile. Soft-float MIPS boards run on a 24Kc, which has
 * no FPU: a floating-point instruction is SIGILL there, as on an OpenWrt
 * kernel built without the FPU emulator (its default), so the check also
 * proves the binary is really soft-float.
 */
function qemuCpu(p: Profile): string[] {
  return p.toolchain.triple.startsWith('mips') && p.toolchain.float_abi === 'soft' ? ['-cpu', '24Kc'] : [];
}

interface Vector {
  name: string;
  token: string;
  cwt: boolean;
  now: number;
  keys: unknown[];
}

const profiles: Profile[] = readdirSync(join(REPO, 'boards'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(REPO, 'boards', f), 'utf8')) as Profile);

const scratch = new Scratch('ntok-boards-');
const file = (content: string | Uint8Array): string => scratch.file(content);
const run = (cmd: string, args: string[]): Run => scratch.run(cmd, args);

const vectors: Vector[] = ['cwt.json', 'cose.json'].flatMap(
  (f) => JSON.parse(readFileSync(join(REPO, 'test/vectors', f), 'utf8')) as Vector[],
);


/** Argument lists: every vector, then inputs the core must refuse. */
const cases: { name: string; args: string[] }[] = vectors.map((v) => ({
  name: v.name,
  args: [v.token, '--keys', file(JSON.stringify({ keys: v.keys })), '--now', String(v.now), ...(v.cwt ? ['--cwt'] : []), '--json'],
}));
const mac0 = vectors.find((v) => v.name === 'rfc8392-a4-mac0');
if (mac0) {
  const keys = file(JSON.stringify({ keys: mac0.keys }));
  cases.push(
    { name: 'malformed bytes', args: ['00000002ff', '--keys', keys, '--json'] },
    { name: 'a token of 2049 bytes', args: ['00000002' + '00'.repeat(2045), '--keys', keys, '--json'] },
    { name: 'a token larger than the input buffer', args: [`@${file(new Uint8Array(70_000).fill(0xd2))}`, '--keys', keys, '--json'] },
    { name: 'a revoked cti', args: [mac0.token, '--keys', keys, '--now', String(mac0.now), '--revoked', 'h:0B71', '--json'] },
  );
}

// The replay cases; the real-traffic capture needs root (network namespaces).
const ROOT = process.getuid?.() === 0;
const replays = replayCases(scratch, { netns: ROOT, bigFlows: 100_000 });
const REPLAY_TIMEOUT = 300_000;
if (existsSync(NATIVE)) {
  // The tagged capture the chained case replays: what the native ntokd's tag wrote.
  const { from, to } = taggedInput(replays);
  const out = join(scratch.dir, 'tagged.pcap');
  if (run(NATIVE, [from.command, ...from.args, '--out', out]).code === 0) writeFileSync(to.args[0], readFileSync(out));
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

for (const p of profiles) {
  const bin = join(REPO, 'build/boards', p.name, 'ntokd');
  const built = existsSync(bin);
  const native = p.toolchain.qemu === undefined;
  const label = `board ${p.name} (${p.toolchain.triple}, ${p.toolchain.endianness}-endian, ${p.toolchain.float_abi}-float${native ? '' : `, ${[p.toolchain.qemu, ...qemuCpu(p)].join(' ')}`})`;

  test(label, { skip: built ? false : `not built: npm run build:board -- ${p.name}` }, async (t) => {
    assert.ok(existsSync(NATIVE), 'build/ntokd is missing: npm run build:host');
    const wasm = join(REPO, 'build/boards', p.name, 'ntok.wasm');
    assert.equal(
      sha256(wasm),
      sha256(join(REPO, 'build/ntok.wasm')),
      `build/boards/${p.name}/ntok.wasm is not build/ntok.wasm: rebuild the board (npm run build:board -- ${p.name})`,
    );
    const onBoard = (args: string[], timeoutMs?: number): Run =>
      native ? scratch.run(bin, args, timeoutMs) : scratch.run(p.toolchain.qemu!, [...qemuCpu(p), bin, ...args], timeoutMs);
    const board = (args: string[]): Run => onBoard(['verify', ...args]);
    for (const c of cases) {
      await t.test(c.name, () => {
        const a = run(NATIVE, ['verify', ...c.args]);
        const b = board(c.args);
        assert.equal(b.out, a.out, `stdout differs\n  native: ${a.out}\n  ${p.name}: ${b.out}\n  ${p.name} stderr: ${b.err}`);
        assert.equal(b.code, a.code, `exit code differs (native ${a.code}, ${p.name} ${b.code})\n  ${p.name} stderr: ${b.err}`);
      });
    }
    if (!ROOT) await t.test('the netns capture', { skip: 'needs root (network namespaces)' }, () => {});
    for (const [i, c] of replays.entries()) {
      await t.test(`${c.command}: ${c.name}`, () => {
        if (c.error !== undefined) assert.fail(c.error);
        const out = join(scratch.dir, `${p.name}-replay-${i}.out`);
        const extra = c.out === false ? [] : ['--out', out];
        const written = (): Buffer | null => {
          if (!existsSync(out)) return null;
          const bytes = readFileSync(out);
          rmSync(out);
          return bytes;
        };
        const a = scratch.run(NATIVE, [c.command, ...c.args, ...extra], REPLAY_TIMEOUT);
        const fromNative = written();
        const b = onBoard([c.command, ...c.args, ...extra], REPLAY_TIMEOUT);
        const fromBoard = written();
        assert.equal(a.code, c.code ?? 0, `native exit code ${a.code}: ${a.err}`);
        assert.equal(b.out, a.out, `stdout differs\n  native: ${a.out.slice(0, 2000)}\n  ${p.name}: ${b.out.slice(0, 2000)}\n  ${p.name} stderr: ${b.err}`);
        assert.equal(b.code, a.code, `exit code differs (native ${a.code}, ${p.name} ${b.code})\n  ${p.name} stderr: ${b.err}`);
        assert.equal(fromBoard === null, fromNative === null, 'only one of them wrote --out');
        if (fromNative && fromBoard) assert.ok(fromBoard.equals(fromNative), `--out files differ (${fromNative.length} and ${fromBoard.length} bytes)`);
      });
    }
  });
}
