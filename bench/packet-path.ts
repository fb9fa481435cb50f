// The packet-path benchmark (issue 4 item 14), through the TS shim
// (Gateway.process) on a capture of a million packets read from a pcap file:
//   - fast path: ns per packet of flows already decided by a token, against
//     plain JS that reads the 5-tuple and looks it up in a Map;
//   - slow path: µs per new flow carrying a token not seen before (HMAC
//     256/64, EdDSA) or one already in the verified-token cache, against the
//     raw node:crypto primitive;
//   - memory per flow with the flow table full, at two capacities.
// bench.ts prints this section after the token benchmark. See
// docs/performance.md, "Packet path".
import { createHash, createHmac, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Gateway, VERDICT, type Verdict } from '../src/host/gateway.js';
import type { Jwk } from '../src/issuer/index.js';
import { assert, rawKeyOf, signedStructure } from './fixtures.js';
import { NumericTupleMap, StringTupleMap } from './five-tuple.js';
import { measureGroup, median, type Measured, type Plan, type Row } from './measure.js';
import { fmt, target, times, type Section, type Target } from './report.js';
import { SERVICE_MARK, gatewayConfig, isV6User, makeKeys, makeTraffic, mediaPacket, stunPacket, userToken, type Keys } from './traffic.js';

/** Packets per timed operation on the fast path, so that the harness's own cost per operation vanishes. */
const CHUNK = 1000;
/** 2027-01-15T08:00:00Z: the capture's first packet. */
const START = 1_800_000_000;
const FLOWS = 16_000;
const FLOWS_PER_USER = 4;
/** Issue 4: the fast path within 2× plain JS, at most 64 bytes per flow. */
const FAST_PATH_BUDGET = 2;
const FLOW_BYTES_BUDGET = 64;
const DEFAULT_CAPACITY = 16_384;
const BIG_CAPACITY = 65_536;
/** Result codes (docs/abi.md). */
const CODE_OK = 0;
const CODE_NO_TOKEN = 27;

function fail(what: string): never {
  throw new Error(`benchmark self-check failed: ${what}`);
}

function describe(g: Gateway, v: Verdict): string {
  return `${g.resultName(v.code)} ${JSON.stringify(v)}`;
}

/** Flags a verdict must have, and flags it must not have. */
function expectFlags(g: Gateway, v: Verdict, code: number, have: number, lack: number, what: string): void {
  if (v.code !== code || (v.flags & have) !== have || (v.flags & lack) !== 0) fail(`${what}: ${describe(g, v)}`);
}

interface MemoryFigures {
  capacity: number;
  /** wasm memory before the first packet and with the table full. */
  before: number;
  after: number;
  growth: number;
  /** status().flows */
  flowsBytes: number;
  active: number;
  inserts: number;
  evictions: number;
  tokenCacheSlots: number;
  tokenCacheBytes: number;
  verifications: number;
}

/**
 * Fills the flow table of a fresh gateway with flows decided by tokens (16
 * flows per user, one token per user) until every slot is used, and reads
 * the memory before the first packet (the core makes the table then) and
 * after.
 */
async function memoryAtCapacity(keys: Keys, capacity: number, configured: boolean, tokens: Map<number, Uint8Array>, wasm?: Uint8Array): Promise<MemoryFigures> {
  const g = await Gateway.open(gatewayConfig(keys, configured ? { capacity } : {}), { wasm });
  const memory = g.core.exports.memory;
  const before = memory.buffer.byteLength;
  const token = (user: number) => {
    let t = tokens.get(user);
    if (t === undefined) tokens.set(user, (t = userToken(keys.hmac.privateJwk, user, isV6User(user))));
    return t;
  };
  let f = 0;
  const add = () => {
    const user = f >> 4;
    const v = g.process(stunPacket(user, f, 40000 + (f & 15), token(user)), { now: START });
    expectFlags(g, v, CODE_OK, VERDICT.NEW_FLOW, 0, `filling flow ${f}`);
    f++;
  };
  while (f < capacity) add();
  // A bucket at its chain bound evicts; top up until every slot is used.
  for (let s = g.status(); s.flows.active < s.flows.capacity; s = g.status()) {
    if (f > 2 * capacity) fail(`flow table of ${capacity} does not fill: ${JSON.stringify(s.flows)}`);
    for (let k = 0; k < s.flows.capacity - s.flows.active; k++) add();
  }
  const s = g.status();
  assert(s.flows.capacity === capacity, `flow table capacity ${s.flows.capacity}, expected ${capacity}`);
  const after = memory.buffer.byteLength;
  return {
    capacity,
    before,
    after,
    growth: after - before,
    flowsBytes: s.flows.bytes,
    active: s.flows.active,
    inserts: s.flows.inserts,
    evictions: s.flows.evictions,
    tokenCacheSlots: s.token_cache.capacity,
    tokenCacheBytes: s.token_cache.bytes,
    verifications: s.verifications,
  };
}

/** `wasm`: the core to time (default build/ntok.wasm). */
export async function packetPathBench(plan: Plan, quick: boolean, wasm?: Uint8Array): Promise<Section> {
  const started = performance.now();
  const total = quick ? 100_000 : 1_000_000;
  assert(total % CHUNK === 0, 'the capture is whole chunks');
  const keys = makeKeys();

  // ---- The capture.
  let t = performance.now();
  const traffic = makeTraffic(keys, FLOWS, FLOWS_PER_USER, total, START);
  const captureMs = performance.now() - t;
  const packets = traffic.capture.packets;
  assert(packets.length === total, `capture read back with ${packets.length} packets`);
  const link = packets[0].linkType;
  assert(packets.every((p) => p.linkType === link), 'one link type');
  const frames = packets.map((p) => p.data);
  const frameBytes = frames.reduce((n, d) => n + d.length, 0);
  /** The fast path's clock: after the capture, before any token's exp. */
  const now = packets[total - 1].timestamp + 1;

  // ---- First replay: decides every flow (the slow path once per flow), checks every verdict.
  const g = await Gateway.open(gatewayConfig(keys), { wasm });
  t = performance.now();
  for (let i = 0; i < total; i++) {
    const p = packets[i];
    const v = g.process(p.data, { link, now: p.timestamp });
    if (i < FLOWS) expectFlags(g, v, CODE_OK, VERDICT.NEW_FLOW | VERDICT.DECIDED, 0, `packet ${i} (the STUN request of flow ${i})`);
    else expectFlags(g, v, CODE_OK, 0, VERDICT.NEW_FLOW | VERDICT.DECIDED | VERDICT.VERIFIED | VERDICT.CACHED, `packet ${i} (media)`);
    if (v.mark !== SERVICE_MARK) fail(`packet ${i}: mark ${v.mark}`);
  }
  const replayMs = performance.now() - t;
  const afterReplay = g.status();
  assert(afterReplay.verifications === traffic.users, `${afterReplay.verifications} verifications, expected one per user (${traffic.users})`);
  assert(afterReplay.cache_hits === FLOWS - traffic.users, `${afterReplay.cache_hits} cache hits`);
  assert(afterReplay.fast_path === total - FLOWS, `${afterReplay.fast_path} fast-path packets`);
  assert(afterReplay.flows.active === FLOWS, `${afterReplay.flows.active} flows`);

  // A second gateway whose service DSCP differs from the packets': every packet is rewritten.
  const gRewrite = await Gateway.open(gatewayConfig(keys, { dscp: 34 }), { wasm });
  for (let i = 0; i < FLOWS; i++) expectFlags(gRewrite, gRewrite.process(frames[i], { link, now }), CODE_OK, VERDICT.NEW_FLOW, 0, `rewrite: flow ${i}`);

  // The baselines' maps, filled with both directions of every flow.
  const byString = new StringTupleMap();
  const byNumber = new NumericTupleMap();
  for (const flow of traffic.flows) {
    for (const p of [flow.up, flow.down]) {
      byString.set(p, SERVICE_MARK);
      byNumber.set(p, SERVICE_MARK);
    }
  }

  // The core under the shim, for the breakdown rows.
  const e = g.core.exports;
  const inputPtr = e.input_ptr();
  const memoryBuffer = e.memory.buffer;
  const wasmBytes = new Uint8Array(memoryBuffer);
  // A gateway given a 1-byte packet that is not IP: the call, the core's per-packet set-up, its first check.
  const gCall = await Gateway.open(gatewayConfig(keys), { wasm });
  const ec = gCall.core.exports;
  new Uint8Array(ec.memory.buffer)[ec.input_ptr()] = 0;

  // Every row on every packet once: the same sum of marks, before anything is timed.
  {
    const expected = total * SERVICE_MARK;
    let shim = 0, rewrite = 0, str = 0, num = 0;
    for (const d of frames) {
      shim += g.process(d, { link, now }).mark;
      const v = gRewrite.process(d, { link, now });
      if ((v.flags & VERDICT.REWRITTEN) === 0 || v.dscp !== 34) fail(`rewrite: ${describe(gRewrite, v)}`);
      rewrite += v.mark;
      str += byString.get(d);
      num += byNumber.get(d);
    }
    assert(shim === expected && rewrite === expected && str === expected && num === expected, `sums of marks: shim ${shim}, rewrite ${rewrite}, string ${str}, numeric ${num}, expected ${expected}`);
    assert(ec.process(1, link, 0, now) !== CODE_OK, 'a 1-byte packet is refused');
  }

  // One loop per row, each with its own cursor over the whole capture: a
  // shared loop calling a per-row closure would be megamorphic and time the
  // call instead of the work.
  let shimAt = 0, rewriteAt = 0, exportAt = 0, copyAt = 0, strAt = 0, numAt = 0, hashAt = 0;
  const next = (at: number) => (at + CHUNK === total ? 0 : at + CHUNK);
  const fastRows: Row[] = [
    {
      group: 'fast',
      id: 'fast.shim',
      label: 'shim gateway.process(packet, {link, now}), mark summed',
      op: () => {
        let acc = 0;
        for (let i = shimAt, end = shimAt + CHUNK; i < end; i++) acc += g.process(frames[i], { link, now }).mark;
        shimAt = next(shimAt);
        return acc;
      },
    },
    {
      group: 'fast',
      id: 'fast.rewrite',
      label: 'the same, service DSCP 34: every packet rewritten',
      op: () => {
        let acc = 0;
        for (let i = rewriteAt, end = rewriteAt + CHUNK; i < end; i++) acc += gRewrite.process(frames[i], { link, now }).mark;
        rewriteAt = next(rewriteAt);
        return acc;
      },
    },
    {
      group: 'fast',
      id: 'fast.export',
      label: 'copy into wasm memory + process() export (no verdict read)',
      op: () => {
        let acc = 0;
        for (let i = exportAt, end = exportAt + CHUNK; i < end; i++) {
          const d = frames[i];
          wasmBytes.set(d, inputPtr);
          acc += e.process(d.length, link, 0, now) + 1;
        }
        exportAt = next(exportAt);
        return acc;
      },
    },
    {
      group: 'fast',
      id: 'fast.copy',
      label: 'copy into wasm memory alone (Uint8Array.set)',
      op: () => {
        let acc = 0;
        for (let i = copyAt, end = copyAt + CHUNK; i < end; i++) {
          const d = frames[i];
          wasmBytes.set(d, inputPtr);
          acc += d.length;
        }
        copyAt = next(copyAt);
        return acc;
      },
    },
    {
      group: 'fast',
      id: 'fast.buffer',
      label: "memory.buffer read twice (the shim's check for growth)",
      op: () => {
        let acc = 0;
        for (let i = 0; i < CHUNK; i++) {
          if (e.memory.buffer === memoryBuffer) acc++;
          if (e.memory.buffer === memoryBuffer) acc++;
        }
        return acc;
      },
    },
    {
      group: 'fast',
      id: 'fast.call',
      label: 'process() export on a 1-byte non-IP packet (call + set-up)',
      op: () => {
        let acc = 0;
        for (let i = 0; i < CHUNK; i++) acc += ec.process(1, link, 0, now);
        return acc;
      },
    },
    {
      group: 'fast',
      id: 'fast.js-number',
      label: 'baseline: JS 5-tuple read + Map<number> (hash, chain, compare)',
      op: () => {
        let acc = 0;
        for (let i = numAt, end = numAt + CHUNK; i < end; i++) acc += byNumber.get(frames[i]);
        numAt = next(numAt);
        return acc;
      },
    },
    {
      group: 'fast',
      id: 'fast.js-string',
      label: 'baseline: JS 5-tuple read + Map<string> (bytes as a string)',
      op: () => {
        let acc = 0;
        for (let i = strAt, end = strAt + CHUNK; i < end; i++) acc += byString.get(frames[i]);
        strAt = next(strAt);
        return acc;
      },
    },
    {
      group: 'fast',
      id: 'fast.js-read',
      label: 'JS 5-tuple read + hash alone (no lookup)',
      op: () => {
        let acc = 0;
        for (let i = hashAt, end = hashAt + CHUNK; i < end; i++) acc += byNumber.read(frames[i]);
        hashAt = next(hashAt);
        return acc;
      },
    },
  ];

  // ---- Slow path: every operation is a new flow, so its packets are made beforehand.
  const per = quick
    ? { hmac: 100, eddsa: 10, cached: 100, none: 100 }
    : { hmac: 1000, eddsa: 100, cached: 1000, none: 1000 };
  const want = (n: number) => (plan.rounds + 1) * n; // one round's worth of warm-up
  t = performance.now();
  const stunOfNewUsers = (key: Jwk, n: number) =>
    Array.from({ length: n }, (_, u) => stunPacket(u, u, 40000, userToken(key, u, isV6User(u))));
  const hmacPool = stunOfNewUsers(keys.hmac.privateJwk, want(per.hmac));
  const eddsaPool = stunOfNewUsers(keys.eddsa.privateJwk, want(per.eddsa));
  const CACHED_USERS = 64;
  const cachedTokens = Array.from({ length: CACHED_USERS }, (_, u) => userToken(keys.hmac.privateJwk, u, isV6User(u)));
  // Servers above the warm-up flows' keep every 5-tuple new.
  const cachedPool = Array.from({ length: want(per.cached) }, (_, i) => stunPacket(i % CACHED_USERS, CACHED_USERS + i, 40000, cachedTokens[i % CACHED_USERS]));
  const noTokenPool = Array.from({ length: want(per.none) }, (_, i) => mediaPacket(i, i, 40000, true));
  const mintMs = performance.now() - t;

  const slowConfig = gatewayConfig(keys, { capacity: BIG_CAPACITY }); // no evictions: every flow stays new
  const [gHmac, gEddsa, gCached, gNone] = await Promise.all([1, 2, 3, 4].map(() => Gateway.open(slowConfig, { wasm })));
  for (let u = 0; u < CACHED_USERS; u++) {
    const v = gCached.process(stunPacket(u, u, 40000, cachedTokens[u]), { link, now });
    expectFlags(gCached, v, CODE_OK, VERDICT.VERIFIED, 0, `cache warm-up, user ${u}`);
  }
  const newFlow = (gw: Gateway, pool: Uint8Array[], code: number, have: number, lack: number, what: string) => {
    let k = 0;
    return () => {
      if (k === pool.length) fail(`${what}: the ${pool.length} prepared flows ran out`);
      const v = gw.process(pool[k++], { link, now });
      expectFlags(gw, v, code, VERDICT.NEW_FLOW | VERDICT.DECIDED | have, lack, what);
      return v.mark;
    };
  };

  const hmacToken = userToken(keys.hmac.privateJwk, 0, false);
  const hmac = signedStructure(hmacToken.subarray(4));
  const hmacKey = rawKeyOf(keys.hmac.publicJwk);
  const eddsaToken = userToken(keys.eddsa.privateJwk, 0, false);
  const eddsa = signedStructure(eddsaToken.subarray(4));
  const jwk = keys.eddsa.publicJwk;
  const eddsaKey: KeyObject = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
  assert(nodeVerify(null, eddsa.structure, eddsaKey, eddsa.tagOrSig), 'raw Ed25519 verify of the rebuilt Sig_structure');
  const sameTag = (mac: Uint8Array) => {
    for (let j = 0; j < hmac.tagOrSig.length; j++) if (mac[j] !== hmac.tagOrSig[j]) fail('raw HMAC differs from the token tag');
    return mac;
  };
  sameTag(createHmac('sha256', hmacKey).update(hmac.structure).digest());
  const cachedToken = cachedTokens[0];

  const slowRows: Row[] = [
    {
      group: 'slow',
      id: 'slow.hmac',
      label: 'new flow, HMAC 256/64 token not seen before',
      bytes: hmacToken.length,
      iterations: per.hmac,
      warmupOps: per.hmac,
      op: newFlow(gHmac, hmacPool, CODE_OK, VERDICT.VERIFIED, VERDICT.CACHED, 'new flow, new HMAC token'),
    },
    {
      group: 'slow',
      id: 'slow.hmac-raw',
      label: `raw node:crypto HMAC-SHA256 over MAC_structure (${hmac.structure.length} B)`,
      op: () => sameTag(createHmac('sha256', hmacKey).update(hmac.structure).digest()),
    },
    {
      group: 'slow',
      id: 'slow.eddsa',
      label: 'new flow, EdDSA token not seen before',
      bytes: eddsaToken.length,
      iterations: per.eddsa,
      warmupOps: per.eddsa,
      op: newFlow(gEddsa, eddsaPool, CODE_OK, VERDICT.VERIFIED, VERDICT.CACHED, 'new flow, new EdDSA token'),
    },
    {
      group: 'slow',
      id: 'slow.eddsa-raw',
      label: `raw node:crypto Ed25519 verify over Sig_structure (${eddsa.structure.length} B)`,
      op: () => nodeVerify(null, eddsa.structure, eddsaKey, eddsa.tagOrSig) || fail('raw Ed25519 verify'),
    },
    {
      group: 'slow',
      id: 'slow.cached',
      label: 'new flow, token in the verified-token cache (same user)',
      bytes: cachedToken.length,
      iterations: per.cached,
      warmupOps: per.cached,
      op: newFlow(gCached, cachedPool, CODE_OK, VERDICT.CACHED, VERDICT.VERIFIED, 'new flow, cached token'),
    },
    {
      group: 'slow',
      id: 'slow.sha256',
      label: 'raw node:crypto SHA-256 of the token',
      bytes: cachedToken.length,
      op: () => createHash('sha256').update(cachedToken).digest(),
    },
    {
      group: 'slow',
      id: 'slow.none',
      label: 'new flow without a token (media packet)',
      iterations: per.none,
      warmupOps: per.none,
      op: newFlow(gNone, noTokenPool, CODE_NO_TOKEN, 0, VERDICT.VERIFIED | VERDICT.CACHED, 'new flow without a token'),
    },
  ];

  const setupMs = performance.now() - started;
  t = performance.now();
  const fast = await measureGroup(fastRows, plan);
  const slow = await measureGroup(slowRows, plan);
  const measureMs = performance.now() - t;

  // Nothing timed on the fast path left it: no verification, no new flow, no growth.
  const end = g.status();
  assert(end.verifications === afterReplay.verifications && end.flows.inserts === afterReplay.flows.inserts, 'the fast-path rows stayed on the fast path');
  assert(e.memory.buffer === memoryBuffer, 'wasm memory did not grow during the fast-path rows');

  // ---- Memory per flow.
  t = performance.now();
  const tokens = new Map<number, Uint8Array>();
  const memSmall = await memoryAtCapacity(keys, DEFAULT_CAPACITY, false, tokens, wasm);
  const memBig = await memoryAtCapacity(keys, BIG_CAPACITY, true, tokens, wasm);
  const memoryMs = performance.now() - t;

  // ---- Figures.
  const by = new Map<string, Measured>([...fast, ...slow].map((r) => [r.id, r]));
  const ns = (id: string) => (by.get(id)!.median * 1000) / CHUNK;
  const us = (id: string) => by.get(id)!.median;
  const paired = (a: string, b: string, f: (x: number, y: number) => number = (x, y) => x / y): number => {
    const ra = by.get(a)!.perRound;
    const rb = by.get(b)!.perRound;
    return median(ra.map((v, r) => f(v, rb[r])));
  };
  const baselineId = us('fast.js-number') <= us('fast.js-string') ? 'fast.js-number' : 'fast.js-string';
  const baselineName = baselineId === 'fast.js-number' ? 'Map<number>' : 'Map<string>';
  const fastRatio = paired('fast.shim', baselineId);
  // Per flow: the growth without the token cache, whose size is configured apart (token_cache slots), not per flow.
  const perFlow = (m: MemoryFigures) => ({ growth: (m.growth - m.tokenCacheBytes) / m.capacity, table: m.flowsBytes / m.capacity });
  const marginal = (memBig.growth - memSmall.growth) / (memBig.capacity - memSmall.capacity);

  const out: string[] = [];
  const n = (x: number) => x.toLocaleString('en-US');
  const W = 62;
  out.push('');
  out.push(`Packet path — capture: ${n(total)} packets, ${n(FLOWS)} UDP flows of ${n(traffic.users)} users (IPv4 and IPv6 alternating by user), raw IP (LINKTYPE ${link})`);
  out.push(`  ${n(frameBytes)} bytes of packets, a ${n(traffic.fileBytes)}-byte pcap written with writePcap and read back with readCapture in ${(captureMs / 1000).toFixed(1)} s`);
  out.push(`  first replay through gateway.process: ${(replayMs / 1000).toFixed(2)} s (${fmt((replayMs * 1e6) / total)} ns/packet), ${n(afterReplay.verifications)} verifications, ${n(afterReplay.cache_hits)} cache hits, ${n(afterReplay.fast_path)} fast-path packets`);
  out.push('');
  out.push(`${'row'.padEnd(W)} ${''.padStart(5)} ${'ns/pkt'.padStart(8)} ${'min–max'.padStart(15)}`);
  out.push(`— fast path: flows decided by a token, ${n(CHUNK)} packets per operation, walking the whole capture`);
  for (const r of fast) {
    const k = 1000 / CHUNK;
    out.push(`  ${r.label.padEnd(W - 2)} ${''.padStart(5)} ${fmt(r.median * k).padStart(8)} ${`${fmt(r.min * k)}–${fmt(r.max * k)}`.padStart(15)}`);
  }
  out.push(`${''.padEnd(W)} ${'bytes'.padStart(5)} ${'µs/op'.padStart(8)}`);
  out.push('— slow path: one new flow per operation (the STUN request that carries its token)');
  for (const r of slow) {
    out.push(`  ${r.label.padEnd(W - 2)} ${(r.bytes?.toString() ?? '').padStart(5)} ${fmt(r.median).padStart(8)} ${`${fmt(r.min)}–${fmt(r.max)}`.padStart(15)}`);
  }

  out.push('');
  out.push('Packet path ratios (same run; ×, −, difference: medians of per-round ratios and differences):');
  const ratioLine = (what: string, ratio: string, detail: string) => out.push(`  ${what.padEnd(W)} ${ratio.padStart(8)}  ${detail}`);
  const mark = (id: string) => (id === baselineId ? ' (the faster: the target)' : '');
  ratioLine(`fast path: shim ÷ JS Map<number>${mark('fast.js-number')}`, times(paired('fast.shim', 'fast.js-number')), `${fmt(ns('fast.shim'))} vs ${fmt(ns('fast.js-number'))} ns/packet`);
  ratioLine(`fast path: shim ÷ JS Map<string>${mark('fast.js-string')}`, times(paired('fast.shim', 'fast.js-string')), `${fmt(ns('fast.shim'))} vs ${fmt(ns('fast.js-string'))} ns/packet`);
  const perPacket = (f: (r: number) => number) => fmt(median(by.get('fast.shim')!.perRound.map((_, r) => (f(r) * 1000) / CHUNK)));
  const round = (id: string, r: number) => by.get(id)!.perRound[r];
  ratioLine('fast path: shim − (copy + export): JS wrapper and verdict read', perPacket((r) => round('fast.shim', r) - round('fast.export', r)), 'ns/packet');
  ratioLine('fast path: export − copy − 1-byte call: parse, lookup, aging, policy', perPacket((r) => round('fast.export', r) - round('fast.copy', r) - round('fast.call', r)), 'ns/packet');
  const slowLine = (what: string, a: string, b: string) =>
    ratioLine(what, times(paired(a, b)), `${fmt(us(a))} vs ${fmt(us(b))} µs; difference ${fmt(paired(a, b, (x, y) => x - y))} µs`);
  slowLine('new flow, new HMAC 256/64 token ÷ raw HMAC', 'slow.hmac', 'slow.hmac-raw');
  slowLine('new flow, new EdDSA token ÷ raw Ed25519 verify', 'slow.eddsa', 'slow.eddsa-raw');
  slowLine('new flow, cached token ÷ raw SHA-256', 'slow.cached', 'slow.sha256');

  out.push('');
  out.push('Memory per flow, flow table full (tokens of 16 flows per user; wasm memory before the first packet → after):');
  out.push(`  ${'capacity'.padStart(8)} ${'active'.padStart(7)} ${'evictions'.padStart(9)} ${'wasm memory'.padStart(23)} ${'growth'.padStart(10)} ${'growth/flow'.padStart(11)} ${'flows.bytes'.padStart(11)} ${'bytes/flow'.padStart(10)} ${'token cache'.padStart(11)}`);
  for (const m of [memSmall, memBig]) {
    const pf = perFlow(m);
    out.push(
      `  ${n(m.capacity).padStart(8)} ${n(m.active).padStart(7)} ${n(m.evictions).padStart(9)} ${`${n(m.before)} → ${n(m.after)}`.padStart(23)} ${n(m.growth).padStart(10)} ${pf.growth.toFixed(1).padStart(11)} ${n(m.flowsBytes).padStart(11)} ${pf.table.toFixed(1).padStart(10)} ${`${n(m.tokenCacheSlots)} slots`.padStart(11)}`,
    );
  }
  out.push(`  marginal growth per flow, ${n(DEFAULT_CAPACITY)} → ${n(BIG_CAPACITY)}: ${marginal.toFixed(1)} bytes (the fixed costs cancel: token cache, rate limiter)`);
  out.push('');
  out.push(`packet path: set-up ${(setupMs / 1000).toFixed(1)} s (tokens for the slow path ${(mintMs / 1000).toFixed(1)} s), measured in ${(measureMs / 1000).toFixed(1)} s, memory ${(memoryMs / 1000).toFixed(1)} s`);

  const targets: Target[] = [
    target(
      `fast path: shim ≤ ${FAST_PATH_BUDGET}× plain JS 5-tuple + Map lookup`,
      fastRatio,
      FAST_PATH_BUDGET,
      true,
      '×',
      `${fmt(ns('fast.shim'))} vs ${fmt(ns(baselineId))} ns/packet, ${baselineName}`,
    ),
    target(
      `flow table ≤ ${FLOW_BYTES_BUDGET} B/flow at ${n(DEFAULT_CAPACITY)} and ${n(BIG_CAPACITY)} (status flows.bytes)`,
      Math.max(perFlow(memSmall).table, perFlow(memBig).table),
      FLOW_BYTES_BUDGET,
      true,
      ' B',
      `${perFlow(memSmall).table.toFixed(1)} and ${perFlow(memBig).table.toFixed(1)} B/flow`,
    ),
    target(
      `wasm memory growth − token cache ≤ ${FLOW_BYTES_BUDGET} B/flow at ${n(DEFAULT_CAPACITY)} and ${n(BIG_CAPACITY)}`,
      +Math.max(perFlow(memSmall).growth, perFlow(memBig).growth).toFixed(1),
      FLOW_BYTES_BUDGET,
      true,
      ' B',
      `${perFlow(memSmall).growth.toFixed(1)} and ${perFlow(memBig).growth.toFixed(1)} B/flow; marginal ${marginal.toFixed(1)}`,
    ),
  ];

  const json = {
    capture: { packets: total, flows: FLOWS, users: traffic.users, linkType: link, packetBytes: frameBytes, fileBytes: traffic.fileBytes, captureMs, replayMs },
    chunk: CHUNK,
    rows: [...fast, ...slow].map(({ perRound, ...r }) => ({ ...r, perRound: perRound.map((v) => +v.toFixed(3)) })),
    fastPath: { shimNs: ns('fast.shim'), baseline: baselineName, baselineNs: ns(baselineId), ratio: fastRatio },
    memory: [memSmall, memBig],
    marginalBytesPerFlow: marginal,
  };
  return { out, targets, json };
}
