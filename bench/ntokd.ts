// The ntokd benchmark (issue 5 item 5): the native host under wasm3 against
// the TS shim under V8 and against the bare native crypto call, in one run.
//   - footprint: ntokd's size per board (build/boards/*/ntokd), and its peak
//     resident set at 16,384 flows decided by tokens;
//   - speed: the fast path (a packet of a known flow) in ns/packet, and
//     Mac0 HMAC 256/64, EdDSA and ES256 verification in µs/token;
//   - instructions (valgrind --tool=callgrind) for the same work: the stable
//     figure on a noisy VM.
// ntokd times itself with `ntokd bench` (host/bench.c, a developer mode that
// prints JSON); V8 is timed here. bench.ts prints this section last. See
// docs/performance.md, "ntokd (wasm3)".
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Gateway } from '../src/host/gateway.js';
import { Verifier } from '../src/host/verifier.js';
import { LINKTYPE, writePcap } from '../src/pcap/index.js';
import { assert, makeFixtures, verifierConfig, type Fixture } from './fixtures.js';
import { measureGroup, median, type Measured, type Plan, type Row } from './measure.js';
import { fmt, target, times, type Section, type Target } from './report.js';
import { SERVICE_MARK, gatewayConfig, makeKeys, makeTraffic } from './traffic.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const NTOKD = join(REPO, 'build/ntokd');
const WASM = join(REPO, 'build/ntok.wasm');
/** 2027-01-15T08:00:00Z: the captures' first packet; the fixtures' tokens are valid until 2100. */
const START = 1_800_000_000;
/** Packets per timed operation of the V8 fast path, as in packet-path.ts. */
const CHUNK = 1000;
const FLOWS = 16_384;

/** Issue 5: the targets. */
const MIPSEL_BYTES = 400 * 1024;
const RSS_KIB = 4 * 1024;
const FAST_PATH_TIMES_V8 = 15;
const MAC0_TIMES_BARE = 3;
const MAC0_PLUS_US = 5;

function fail(what: string): never {
  throw new Error(`benchmark self-check failed: ${what}`);
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const n = (x: number) => x.toLocaleString('en-US');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Runs a command; its stdout as JSON. */
function runJson<T>(cmd: string, args: string[], what: string): T {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) fail(`${what}: ${r.error.message}`);
  if (r.status !== 0) fail(`${what}: exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

interface Profile {
  name: string;
  toolchain: { triple: string; float_abi: string };
  limits: { wasm_pages: number; wasm3_stack_kib: number };
}

interface BoardSize {
  name: string;
  triple: string;
  bytes: number | null;
  /** The board's ntok.wasm is build/ntok.wasm (else the binary predates the module). */
  current: boolean;
  /** Built with `ntokd bench` (NTOKD_BENCH=0 leaves it out: the size that ships). */
  bench: boolean;
}

function boardSizes(): BoardSize[] {
  return readdirSync(join(REPO, 'boards'))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const p = JSON.parse(readFileSync(join(REPO, 'boards', f), 'utf8')) as Profile;
      const bin = join(REPO, 'build/boards', p.name, 'ntokd');
      const wasm = join(REPO, 'build/boards', p.name, 'ntok.wasm');
      const built = existsSync(bin);
      return {
        name: p.name,
        triple: `${p.toolchain.triple}, ${p.toolchain.float_abi}-float`,
        bytes: built ? statSync(bin).size : null,
        current: built && existsSync(wasm) && sha256(wasm) === sha256(WASM),
        bench: built && readFileSync(bin).includes('bench: fast-path, verify, flows or rss'),
      };
    });
}

interface FlowsRun {
  packets: number;
  memory_bytes: number;
  maxrss_kib_configured: number;
  maxrss_kib: number;
  status: { verifications: number; cache_hits: number; flows: { active: number; capacity: number; evictions: number } };
}

interface FastPathRun {
  packets: number;
  verifications: number;
  per_round: number;
  median_ns: number;
  ns: number[];
  marks: number;
  fast_path_only: boolean;
}

interface VerifyRun {
  core_us: number;
  bare_us: number;
  ratio: number;
  difference_us: number;
  core_rounds_us: number[];
  bare_rounds_us: number[];
}

/** Instructions per operation of a `bench_*` loop under callgrind, or null without valgrind. */
function callgrind(fn: string, args: string[], ops: number, dir: string): number | null {
  const out = join(dir, `callgrind.${fn}.${process.hrtime.bigint()}`);
  const r = spawnSync('valgrind', ['--tool=callgrind', `--toggle-collect=${fn}`, `--callgrind-out-file=${out}`, NTOKD, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.error) return null;
  if (r.status !== 0) fail(`callgrind ${fn}: exit ${r.status}: ${r.stderr.slice(-2000)}`);
  const totals = /^(?:totals|summary):\s*(\d+)/m.exec(readFileSync(out, 'utf8'));
  if (!totals) fail(`callgrind ${fn}: no totals in ${out}`);
  return Number(totals[1]) / ops;
}

const SIGNED: { short: string; name: string; primitive: 'hmac' | 'ed25519' | 'p256'; bare: string }[] = [
  { short: 'mac64', name: 'Mac0 HMAC 256/64', primitive: 'hmac', bare: 'mbedTLS HMAC-SHA256' },
  { short: 'eddsa', name: 'Sign1 EdDSA (Ed25519)', primitive: 'ed25519', bare: 'libsodium Ed25519 verify' },
  { short: 'es256', name: 'Sign1 ES256 (P-256)', primitive: 'p256', bare: 'mbedTLS ECDSA P-256 verify' },
];

export async function ntokdBench(plan: Plan, quick: boolean): Promise<Section> {
  const started = performance.now();
  const out: string[] = [];
  const targets: Target[] = [];
  const W = 62;
  out.push('');
  out.push('ntokd (wasm3) — the native host against the TS shim (V8) and the bare native crypto call');

  // ---- Size per board.
  const sizes = boardSizes();
  out.push('  ntokd per board (boards/build-board.sh: static, musl, stripped):');
  for (const s of sizes) {
    const what = s.bytes === null
      ? `not built (npm run build:board -- ${s.name})`
      : `${n(s.bytes).padStart(9)} bytes, ${s.bench ? 'with' : 'without'} ntokd bench${s.current ? '' : ' (built for another ntok.wasm: rebuild the board)'}`;
    out.push(`    ${s.name.padEnd(18)} ${s.triple.padEnd(34)} ${what}`);
  }
  const mipsel = sizes.find((s) => s.triple.startsWith('mipsel-'));
  targets.push(
    mipsel?.bytes != null
      ? target(`mipsel ntokd (${mipsel.name}) static stripped ≤ 400 KB (409,600 bytes)`, mipsel.bytes, MIPSEL_BYTES, true, ' B', `${n(mipsel.bytes)} bytes ${mipsel.bench ? 'with' : 'without'} ntokd bench, ${n(MIPSEL_BYTES - mipsel.bytes)} to spare`)
      : { ...target('mipsel ntokd static stripped ≤ 400 KB (409,600 bytes)', NaN, MIPSEL_BYTES, true, ' B', 'no mipsel board built'), skipped: 'not built' },
  );

  if (!existsSync(NTOKD)) {
    out.push('  build/ntokd is not built (npm run build:host): nothing else measured');
    return { out, targets, json: { sizes } };
  }
  const dir = mkdtempSync(join(tmpdir(), 'ntok-bench-ntokd-'));
  try {
    // ntokd refuses a module other than the one it was built for (exit 2, "sha256").
    const noKeys = join(dir, 'no-keys.json');
    writeFileSync(noKeys, '{"keys":[]}');
    const probe = spawnSync(NTOKD, ['verify', '00', '--keys', noKeys], { encoding: 'utf8' });
    if (probe.status === 2) {
      out.push(`  build/ntokd cannot run build/ntok.wasm (npm run build:host): ${probe.stderr.trim()}`);
      return { out, targets, json: { sizes } };
    }

    const keys = makeKeys();
    const config = join(dir, 'gateway.json');
    writeFileSync(config, JSON.stringify(gatewayConfig(keys)));

    // ---- Resident memory at 16,384 flows decided by tokens (HMAC 256/64, 4 flows per user: 4,096 verified, the rest cached).
    process.stderr.write('ntokd: resident memory at 16,384 flows...\n');
    const flowsTraffic = makeTraffic(keys, FLOWS, 4, FLOWS, START);
    const flowsPcap = join(dir, 'flows.pcap');
    writeFileSync(flowsPcap, writePcap(LINKTYPE.RAW, flowsTraffic.capture.packets, { nanosecond: true }));
    const streamed = runJson<FlowsRun>(NTOKD, ['bench', 'flows', flowsPcap, '--config', config], 'ntokd bench flows');
    if (streamed.status.flows.active !== FLOWS || streamed.status.verifications + streamed.status.cache_hits !== FLOWS) {
      fail(`bench flows: ${JSON.stringify(streamed.status)}`);
    }
    const replayRss = runJson<{ maxrss_kib: number; exit: number }>(NTOKD, ['bench', 'rss', 'replay', flowsPcap, '--config', config, '--json'], 'ntokd bench rss replay');
    if (replayRss.exit !== 0) fail(`ntokd replay exit ${replayRss.exit}`);
    const x86 = sizes.find((s) => s.name === 'x86_64');
    const staticBin = join(REPO, 'build/boards/x86_64/ntokd');
    const staticRun = x86?.bytes != null && x86.current && x86.bench
      ? runJson<FlowsRun>(staticBin, ['bench', 'flows', flowsPcap, '--config', config], 'x86_64 board ntokd bench flows')
      : null;
    out.push('');
    out.push(`  resident memory (peak, ru_maxrss = VmHWM) at ${n(FLOWS)} flows decided by tokens (${n(streamed.status.verifications)} verified, ${n(streamed.status.cache_hits)} from the cache):`);
    const rssLine = (what: string, kib: number | null, detail: string) => out.push(`    ${what.padEnd(W - 2)} ${kib === null ? 'n/a'.padStart(9) : `${n(kib)} KiB`.padStart(9)}  ${detail}`);
    rssLine('ntokd bench flows, build/ntokd (glibc, dynamic)', streamed.maxrss_kib, `${n(streamed.maxrss_kib_configured)} KiB before the first packet; linear memory ${n(streamed.memory_bytes)} B`);
    rssLine('ntokd bench flows, board x86_64 (musl, static)', staticRun?.maxrss_kib ?? null,
      staticRun ? `${n(staticRun.maxrss_kib_configured)} KiB before the first packet` : 'board x86_64 not built (with ntokd bench) for this ntok.wasm');
    rssLine('ntokd replay --json of the same capture, build/ntokd', replayRss.maxrss_kib, `holds the capture (${n(statSync(flowsPcap).size)} B), its copy out and a summary per flow`);
    out.push('    (bench flows reads the pcap one packet at a time, as the NFQUEUE daemon will see packets: the daemon\'s footprint)');
    const rssOf = staticRun ?? streamed;
    targets.push(target(
      `ntokd resident memory at ${n(FLOWS)} flows ≤ 4 MiB (${staticRun ? 'static musl, board x86_64' : 'build/ntokd, glibc'})`,
      rssOf.maxrss_kib, RSS_KIB, true, ' KiB', `peak ${n(rssOf.maxrss_kib)} KiB, packets streamed (ntokd bench flows)`,
    ));

    // ---- The fast path: flows decided by a token, then packets of those flows.
    const total = quick ? 20_000 : 200_000;
    process.stderr.write(`ntokd: fast path over ${n(total)} packets...\n`);
    const traffic = makeTraffic(keys, 16_000, 4, total, START);
    const packets = traffic.capture.packets;
    const pcap = join(dir, 'fast.pcap');
    writeFileSync(pcap, writePcap(LINKTYPE.RAW, packets, { nanosecond: true }));
    const wasm3Fast = runJson<FastPathRun>(NTOKD, ['bench', 'fast-path', pcap, '--config', config, '--rounds', String(plan.rounds), '--round-ms', String(plan.roundMs)], 'ntokd bench fast-path');
    if (!wasm3Fast.fast_path_only || wasm3Fast.verifications !== traffic.users) fail(`ntokd fast path: ${JSON.stringify({ ...wasm3Fast, ns: undefined })}`);
    if (wasm3Fast.marks !== wasm3Fast.per_round * plan.rounds * SERVICE_MARK) fail(`ntokd fast path: marks ${wasm3Fast.marks}`);
    const g = await Gateway.open(gatewayConfig(keys));
    for (const p of packets) g.process(p.data, { link: p.linkType, now: p.timestamp });
    const decided = g.status();
    if (decided.verifications !== traffic.users) fail(`V8 first pass: ${decided.verifications} verifications`);
    const now = packets[total - 1].timestamp + 1;
    const frames = packets.map((p) => p.data);
    let at = 0;
    const v8Rows: Row[] = [{
      group: 'ntokd.fast',
      id: 'ntokd.fast.v8',
      label: 'V8: gateway.process(packet, {link, now}), mark summed',
      op: () => {
        let acc = 0;
        for (let i = at, end = at + CHUNK; i < end; i++) acc += g.process(frames[i], { link: LINKTYPE.RAW, now }).mark;
        at = at + CHUNK === total ? 0 : at + CHUNK;
        if (acc !== CHUNK * SERVICE_MARK) fail(`V8 fast path: marks ${acc}`);
        return acc;
      },
    }];
    const [v8Fast] = await measureGroup(v8Rows, plan);
    if (g.status().verifications !== decided.verifications || g.status().flows.inserts !== decided.flows.inserts) fail('V8 fast path left the fast path');
    const v8Ns = (v8Fast.median * 1000) / CHUNK;
    const fastRatio = wasm3Fast.median_ns / v8Ns;

    // ---- Verification: the same tokens through ntokd's core, the TS shim, and the bare native primitive.
    process.stderr.write('ntokd: verify...\n');
    const fixtures = makeFixtures();
    const vconfig = join(dir, 'verifier.json');
    writeFileSync(vconfig, JSON.stringify(verifierConfig(fixtures)));
    const verifier = await Verifier.open(verifierConfig(fixtures));
    const byName = new Map(fixtures.map((f) => [f.name, f]));
    const verifyArgs = (s: (typeof SIGNED)[number], f: Fixture) => [
      'bench', 'verify', hex(f.token), '--config', vconfig, '--now', String(START), '--primitive', s.primitive,
      '--key', hex(f.rawKey), '--message', hex(f.structure), '--signature', hex(f.tagOrSig!),
    ];
    const wasm3Verify = new Map<string, VerifyRun>();
    for (const s of SIGNED) {
      const f = byName.get(s.name) ?? fail(`no fixture ${s.name}`);
      wasm3Verify.set(s.short, runJson<VerifyRun>(NTOKD, [...verifyArgs(s, f), '--rounds', String(plan.rounds), '--round-ms', String(plan.roundMs)], `ntokd bench verify ${s.primitive}`));
    }
    const v8Verify = await measureGroup(SIGNED.map((s) => {
      const f = byName.get(s.name)!;
      return {
        group: 'ntokd.verify',
        id: `ntokd.verify.${s.short}`,
        label: `V8: ${s.name} verifyJson`,
        op: () => {
          const json = verifier.verifyJson(f.token, { now: START });
          if (!json.startsWith('{"ok":true')) fail(`V8 verify ${s.name}: ${json}`);
          return json;
        },
      };
    }), plan);
    const v8Us = new Map<string, Measured>(v8Verify.map((r) => [r.id.split('.').pop()!, r]));

    // ---- Instructions (callgrind): the timed loops alone, of a capture and a token count small enough for valgrind.
    process.stderr.write('ntokd: callgrind...\n');
    const cgPackets = 16_000 + 4_000;
    const cgPcap = join(dir, 'callgrind.pcap');
    writeFileSync(cgPcap, writePcap(LINKTYPE.RAW, makeTraffic(keys, 16_000, 4, cgPackets, START).capture.packets, { nanosecond: true }));
    const cgFast = callgrind('bench_fast_path', ['bench', 'fast-path', cgPcap, '--config', config, '--rounds', '1', '--packets', String(cgPackets)], cgPackets, dir);
    const cgVerify = new Map<string, { core: number | null; bare: number | null }>();
    for (const s of SIGNED) {
      const f = byName.get(s.name)!;
      const iterations = s.primitive === 'hmac' ? 50 : 5;
      const args = [...verifyArgs(s, f), '--rounds', '1', '--iterations', String(iterations)];
      cgVerify.set(s.short, {
        core: callgrind('bench_verify_core', args, iterations, dir),
        bare: callgrind('bench_verify_bare', args, iterations, dir),
      });
    }

    // ---- Table.
    out.push('');
    out.push(`  fast path: ${n(16_000)} flows decided by HMAC 256/64 tokens, then ${n(total)} packets of them walked again at one later time`);
    out.push(`  ${'row'.padEnd(W)} ${'ns/pkt'.padStart(9)} ${'min–max'.padStart(15)} ${'instr/pkt'.padStart(10)}`);
    const range = (xs: number[]) => `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
    out.push(`    ${'wasm3: ntokd core_process (copy in, process(), verdict read)'.padEnd(W - 2)} ${fmt(wasm3Fast.median_ns).padStart(9)} ${range(wasm3Fast.ns).padStart(15)} ${(cgFast === null ? 'n/a' : n(Math.round(cgFast))).padStart(10)}`);
    out.push(`    ${v8Fast.label.padEnd(W - 2)} ${fmt(v8Ns).padStart(9)} ${range(v8Fast.perRound.map((x) => (x * 1000) / CHUNK)).padStart(15)} ${'—'.padStart(10)}`);
    out.push(`    wasm3 ÷ V8: ${times(fastRatio)} (medians of the two runs)`);
    out.push('');
    out.push(`  verify: one token per algorithm (bench/fixtures.ts), now ${START}`);
    out.push(`  ${'row'.padEnd(W)} ${'µs/token'.padStart(9)} ${'min–max'.padStart(15)} ${'instr/op'.padStart(10)}`);
    const verifyJson: Record<string, unknown> = {};
    for (const s of SIGNED) {
      const c = wasm3Verify.get(s.short)!;
      const v8 = v8Us.get(s.short)!;
      const cg = cgVerify.get(s.short)!;
      const instr = (x: number | null) => (x === null ? 'n/a' : n(Math.round(x))).padStart(10);
      out.push(`  — ${s.name}`);
      out.push(`    ${'wasm3: ntokd verify() (copy in, verify, JSON out)'.padEnd(W - 2)} ${fmt(c.core_us).padStart(9)} ${range(c.core_rounds_us).padStart(15)} ${instr(cg.core)}`);
      out.push(`    ${`bare native: ${s.bare}`.padEnd(W - 2)} ${fmt(c.bare_us).padStart(9)} ${range(c.bare_rounds_us).padStart(15)} ${instr(cg.bare)}`);
      out.push(`    ${'V8: Verifier.verifyJson, fastestCrypto (node:crypto)'.padEnd(W - 2)} ${fmt(v8.median).padStart(9)} ${`${fmt(v8.min)}–${fmt(v8.max)}`.padStart(15)} ${'—'.padStart(10)}`);
      out.push(`    wasm3 ÷ bare ${times(c.ratio)}, wasm3 − bare ${fmt(c.difference_us)} µs (per-round medians); wasm3 ÷ V8 ${times(c.core_us / v8.median)}` +
        (cg.core !== null && cg.bare !== null ? `; instructions outside the primitive ${n(Math.round(cg.core - cg.bare))}` : ''));
      verifyJson[s.short] = { wasm3: c, v8: { median: v8.median, perRound: v8.perRound }, callgrind: cg };
    }
    if (cgFast === null) out.push('  (no valgrind: no instruction counts)');
    out.push('  instr: valgrind --tool=callgrind --toggle-collect=bench_* on ntokd (the timed loop alone); V8 is not counted (JIT).');
    out.push(`  ntokd section: ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const mac = wasm3Verify.get('mac64')!;
    const macLimit = MAC0_TIMES_BARE * mac.bare_us + MAC0_PLUS_US;
    targets.push(
      target(`wasm3 fast path ≤ ${FAST_PATH_TIMES_V8}× V8 (ntokd ÷ gateway.process)`, fastRatio, FAST_PATH_TIMES_V8, true, '×', `${fmt(wasm3Fast.median_ns)} vs ${fmt(v8Ns)} ns/packet`),
      target(
        `Mac0 verify under ntokd ≤ ${MAC0_TIMES_BARE}× bare mbedTLS HMAC + ${MAC0_PLUS_US} µs`,
        +mac.core_us.toFixed(2), +macLimit.toFixed(2), true, ' µs',
        `limit ${fmt(macLimit)} µs from bare ${fmt(mac.bare_us)} µs${cgVerify.get('mac64')!.core !== null ? `; instructions ${n(Math.round(cgVerify.get('mac64')!.core!))} vs ${n(Math.round(cgVerify.get('mac64')!.bare!))}` : ''}`,
      ),
    );
    const json = {
      sizes,
      rss: { flows: FLOWS, streamed, static: staticRun, replayKib: replayRss.maxrss_kib },
      fastPath: { packets: total, wasm3: wasm3Fast, v8: { nsPerPacket: v8Ns, perRound: v8Fast.perRound.map((x) => (x * 1000) / CHUNK) }, ratio: fastRatio, callgrindInstrPerPacket: cgFast },
      verify: verifyJson,
    };
    assert(median(wasm3Fast.ns) > 0, 'ntokd timed something');
    return { out, targets, json };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
