/**
 * `ntok replay` and `ntok tag` as a user runs them, over captures of real
 * Linux-stack flows (test/netns/make-captures.sh) carrying tokens minted
 * here with the repository's issuer, over packets crafted byte by byte, and
 * over 100,000 generated flows. What the CLI prints (--json summaries, exit
 * codes, messages), the verdicts and Gateway.status() are checked against
 * the policy; the captures it writes are checked with tshark (every packet
 * dissected without malformed packets or expert warnings, IPv4 header
 * checksums validated, DSCP, ECN, the token bytes in the STUN attribute or
 * IPv6 option, STUN FINGERPRINT) and byte by byte against the input.
 *
 * The suites over netns captures need root, iproute2, python3 and tshark,
 * as captures.test.ts does: they fail, not skip, without.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { keygen, mintToken, parseIpBinding, type KeyPair, type NetworkClaims } from '../../src/issuer/index.js';
import { Gateway, Direction, VERDICT } from '../../src/host/gateway.js';
import { replay, type FlowSummary } from '../../src/replay.js';
import { LINKTYPE, readCapture, writePcap, type Capture, type PacketToWrite } from '../../src/pcap/index.js';
import {
  dissect, fieldHex, makeCaptures, malformedOrWarned, requireCaptureTools, run,
  type CaptureRun, type Dissected, type FlowRecord, type ManifestFlow,
} from '../support/netns-captures.js';

// ---------------------------------------------------------------- time, keys, tokens

/** The gateway's clock at the first packet of every capture (--now); tokens are minted around it. */
const NOW = 1_800_000_000;
const EXP = NOW + 3600;
/** exp of the token that runs out mid-flow: a later replay puts it between two of the flow's packets. */
const EXP_SOON = NOW + 1000;

const MAC = keygen('HMAC 256/64', 'mac');
const ED = keygen('EdDSA', 'ed');
const ES = keygen('ES256', 'es');

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** Byte-identical packets (a Buffer and a Uint8Array alike), naming the first offset that differs. */
function assertBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (actual.length === expected.length && Buffer.compare(actual, expected) === 0) return;
  const at = actual.findIndex((b, i) => b !== expected[i]);
  assert.fail(`${what}: ${actual.length} bytes, expected ${expected.length}; first difference at offset ${at < 0 ? Math.min(actual.length, expected.length) : at}\n` +
    `  actual   ${hex(actual)}\n  expected ${hex(expected)}`);
}

/** Header + token bytes, exp EXP unless the claims say otherwise. */
function mint(key: KeyPair, claims: NetworkClaims, reflect: 0 | 1 | 2 = 0): Uint8Array {
  return mintToken({ exp: EXP, ...claims }, { key: key.privateJwk, reflect });
}

const token = (key: KeyPair, claims: NetworkClaims, reflect: 0 | 1 | 2 = 0): string => hex(mint(key, claims, reflect));

/** The token with its last byte, part of the MAC tag or signature, flipped. */
const forged = (t: string): string => t.slice(0, -2) + (parseInt(t.slice(-2), 16) ^ 1).toString(16).padStart(2, '0');

// ---------------------------------------------------------------- policy

const SERVICES = [
  { name: 'call', id: 1, dscp: 46, mark: 16 },
  { name: 'iot', id: 2, dscp: 10, mark: 17 },
  { name: 'video', id: 3, dscp: 34, mark: 18 },
];
const service = (name: string) => SERVICES.find((s) => s.name === name)!;
const MARKS = { no_token: 1, rejected: 2, washed: 3, not_allowed: 4 };
const EF = 46;
const WASH = [EF];
const REVOKED_NTI = 666;

/** The verifying configuration: every key, exp exact to the second (leeway 0), EF washed from flows without a valid token. */
const CONFIG = {
  leeway: 0,
  revoked: [REVOKED_NTI],
  keysets: { default: { keys: [MAC.publicJwk, ED.publicJwk, ES.publicJwk] } },
  services: SERVICES,
  gateway: { marks: MARKS, wash: { dscp: WASH, to: 0 } },
};

// ---------------------------------------------------------------- the CLI, scratch files

const CLI = fileURLToPath(new URL('../../src/cli/ntok.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ntok-replay-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function ntok(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir, maxBuffer: 256 << 20, timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function scratch(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

let configs = 0;

/** `ntok replay|tag <file> --config <config> --now NOW --json [--out <out>]`, which must exit 0; its flow summaries. */
function replayCli(command: 'replay' | 'tag', input: string, config: object, out?: string, now: number = NOW): FlowSummary[] {
  const configFile = scratch(`config-${configs++}.json`, JSON.stringify(config));
  const r = ntok(command, input, '--config', configFile, '--now', String(now), '--json', ...(out ? ['--out', out] : []));
  assert.equal(r.code, 0, `ntok ${command} exited ${r.code}:\n${r.err}`);
  return JSON.parse(r.out) as FlowSummary[];
}

// ---------------------------------------------------------------- packets and captures

/** tshark reads these fields of every packet; the IPv4 header checksum is validated. */
const FIELDS = [
  'frame.number', 'frame.len',
  'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'ip.len', 'ipv6.plen', 'ip.checksum.status',
  'ip.dsfield.dscp', 'ip.dsfield.ecn', 'ipv6.tclass.dscp', 'ipv6.tclass.ecn',
  'udp.srcport', 'udp.dstport', 'udp.length', 'udp.checksum', 'udp.checksum.status',
  'ipv6.hopopts.nxt', 'ipv6.dstopts.nxt', 'ipv6.opt.type', 'ipv6.opt.unknown',
  'stun.type', 'stun.att.type', 'stun.value', 'stun.att.crc32.status', 'icmpv6.type',
] as const;
type Frame = Dissected<(typeof FIELDS)[number]>;
/**
 * IPv4 header checksums validated; STUN on the tagging capture's second port
 * too. UDP checksums are only read (udp.checksum.status), never a reason to
 * fail the dissection: captures of locally sent packets hold offloaded,
 * unfinished ones.
 */
const DECODE = ['-o', 'ip.check_checksum:TRUE', '-d', 'udp.port==3479,stun'];
const frames = (file: string): Frame[] => dissect(file, FIELDS, [...DECODE, '-o', 'udp.check_checksum:TRUE']);
const clean = (file: string): string => malformedOrWarned(file, DECODE);

const num = (f: Frame, field: (typeof FIELDS)[number]): number | undefined => (f[field].length ? Number(f[field][0]) : undefined);
const srcOf = (f: Frame) => f['ip.src'][0] ?? f['ipv6.src'][0];
const dstOf = (f: Frame) => f['ip.dst'][0] ?? f['ipv6.dst'][0];
const dscpOf = (f: Frame) => num(f, 'ip.dsfield.dscp') ?? num(f, 'ipv6.tclass.dscp');
const ecnOf = (f: Frame) => num(f, 'ip.dsfield.ecn') ?? num(f, 'ipv6.tclass.ecn');
const stunAttrs = (f: Frame) => f['stun.att.type'].map(Number);

/** A frame of one of the flows of flows.json, in its direction. */
interface Owner {
  rec: FlowRecord;
  forward: boolean;
}

function ownerOf(f: Frame, recs: FlowRecord[]): Owner | undefined {
  if (f['icmpv6.type'].length > 0) return undefined;
  const [s, d, sp, dp] = [srcOf(f), dstOf(f), num(f, 'udp.srcport'), num(f, 'udp.dstport')];
  for (const rec of recs) {
    if (s === rec.src && sp === rec.sport && d === rec.dst && dp === rec.dport) return { rec, forward: true };
    if (s === rec.dst && sp === rec.dport && d === rec.src && dp === rec.sport) return { rec, forward: false };
  }
  return undefined;
}

/** The flow's name as the core prints it, origin first. */
const flowName = (rec: FlowRecord, forward = true): string => {
  const at = (a: string, p: number) => (rec.family === 6 ? `[${a}]:${p}` : `${a}:${p}`);
  return forward ? `udp ${at(rec.src, rec.sport)} > ${at(rec.dst, rec.dport)}` : `udp ${at(rec.dst, rec.dport)} > ${at(rec.src, rec.sport)}`;
};

/** Frame indexes (0-based) of a flow in one direction, in capture order. */
const framesOf = (all: Frame[], recs: FlowRecord[], name: string, forward = true): number[] =>
  all.flatMap((f, i) => {
    const o = ownerOf(f, recs);
    return o && o.rec.name === name && o.forward === forward ? [i] : [];
  });

function ipv4HeaderChecksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) if (i !== 10) sum += (header[i] << 8) | header[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * The frame (IP at `l3`) with its DSCP set and ECN kept: what a DSCP rewrite
 * may change (RFC 2474 §3, RFC 3168 §5), the IPv4 header checksum recomputed.
 */
function withDscp(frame: Uint8Array, dscp: number, l3 = 14): Uint8Array {
  const out = Uint8Array.from(frame); // a copy: slice() of a Buffer (readFileSync's) is a view
  if (out[l3] >> 4 === 4) {
    out[l3 + 1] = (dscp << 2) | (out[l3 + 1] & 3);
    const header = out.subarray(l3, l3 + (out[l3] & 15) * 4);
    const sum = ipv4HeaderChecksum(header);
    out[l3 + 10] = sum >> 8;
    out[l3 + 11] = sum & 0xff;
  } else {
    const tc = (dscp << 2) | ((out[l3 + 1] >> 4) & 3);
    out[l3] = 0x60 | (tc >> 4);
    out[l3 + 1] = ((tc & 15) << 4) | (out[l3 + 1] & 15);
  }
  return out;
}

/** One packet through a Gateway as replay() sends it, the verdict read out. */
interface Seen {
  code: string;
  mark: number;
  dscp: number;
  service: string | null;
  rewritten: boolean;
}

async function verdicts(capture: Capture, config: object, times: number[]): Promise<Seen[]> {
  const g = await Gateway.open(config);
  return capture.packets.map((p, i) => {
    const v = g.process(p.data, { link: p.linkType, now: times[i] });
    return { code: g.resultName(v.code), mark: v.mark, dscp: v.dscp, service: g.serviceName(v.service), rewritten: (v.flags & VERDICT.REWRITTEN) !== 0 };
  });
}

/** The capture's packet times on the gateway's clock: the first one at `now`. */
const clock = (capture: Capture, now: number): number[] => capture.packets.map((p) => now + p.timestamp - capture.packets[0].timestamp);

const readFile = (file: string): Capture => readCapture(readFileSync(file));

// ---------------------------------------------------------------- replay over real captures

/** A flow of the capture and what the policy makes of it. */
interface Case {
  flow: ManifestFlow;
  /** The flow's own decision: ok, no-token, or why its token was rejected. */
  decision: string;
  /** The service a valid token names (null: not marked). */
  service: string | null;
  /** The code the summary prints: the decision, or washed when EF was cleared. */
  code: string;
}

const CASES: Case[] = ([
  // STUN, a reflect type 1 token in the first request; the server reflects it (type 2) in its Binding Success Response.
  { flow: { name: 'stun6-reflect', family: 6, carrier: 'stun', token: token(MAC, { srv: 'call', bip: '2001:db8::1' }, 1), packets: 4, ecn: 1, reply: true }, decision: 'ok', service: 'call', code: 'ok' },
  // The token in every STUN request (consent checks); service by sid; EdDSA.
  { flow: { name: 'stun4-per-packet', family: 4, carrier: 'stun', token: token(ED, { sid: 2 }), per_packet: true, packets: 3, ecn: 2, username: 'alice:bob' }, decision: 'ok', service: 'iot', code: 'ok' },
  // Hop-by-Hop option on the first packet, reflected in the echo of it; service by integer srv.
  { flow: { name: 'hbh6', family: 6, carrier: 'hbh', token: token(MAC, { srv: 3, bip: '2001:db8::1' }, 1), packets: 4, ecn: 2, reply: true }, decision: 'ok', service: 'video', code: 'ok' },
  // Destination option on every packet, ES256, CE.
  { flow: { name: 'dstopts6-per-packet', family: 6, carrier: 'dstopts', token: token(ES, { srv: 'iot' }), per_packet: true, packets: 3, ecn: 3 }, decision: 'ok', service: 'iot', code: 'ok' },
  { flow: { name: 'plain4', family: 4, carrier: 'none', packets: 2, ecn: 1, reply: true }, decision: 'no-token', service: null, code: 'no-token' },
  // AF11 is not premium: left alone.
  { flow: { name: 'plain6-af11', family: 6, carrier: 'none', packets: 2, dscp: 10, ecn: 2 }, decision: 'no-token', service: null, code: 'no-token' },
  // Pre-marked EF without a token: washed to 0; the replies (DSCP 0) carry no token either.
  { flow: { name: 'ef4', family: 4, carrier: 'none', packets: 2, dscp: EF, ecn: 1 }, decision: 'no-token', service: null, code: 'washed' },
  { flow: { name: 'ef6', family: 6, carrier: 'none', packets: 2, dscp: EF, ecn: 3, reply: true }, decision: 'no-token', service: null, code: 'washed' },
  // Negative cases. AF11 on the wrong-binding flow shows the DSCP is not raised.
  { flow: { name: 'wrong-bip4', family: 4, carrier: 'stun', token: token(MAC, { srv: 'call', bip: '192.0.2.99' }), packets: 2, dscp: 10, ecn: 1 }, decision: 'wrong-binding', service: null, code: 'wrong-binding' },
  // bip 2001:db8::99/64 covers the sender 2001:db8::1.
  { flow: { name: 'bip-prefix6', family: 6, carrier: 'dstopts', token: token(ED, { srv: 'call', bip: '2001:db8::99/64' }), packets: 2, ecn: 2 }, decision: 'ok', service: 'call', code: 'ok' },
  { flow: { name: 'revoked4', family: 4, carrier: 'stun', token: token(MAC, { srv: 'call', nti: REVOKED_NTI }), packets: 2, ecn: 2 }, decision: 'revoked', service: null, code: 'revoked' },
  { flow: { name: 'forged-mac6', family: 6, carrier: 'hbh', token: forged(token(MAC, { srv: 'call' })), packets: 2, ecn: 1 }, decision: 'bad-mac', service: null, code: 'bad-mac' },
  // A forged token does not protect EF from washing.
  { flow: { name: 'forged-sig-ef4', family: 4, carrier: 'stun', token: forged(token(ED, { srv: 'call' })), packets: 2, dscp: EF, ecn: 2 }, decision: 'bad-signature', service: null, code: 'washed' },
  { flow: { name: 'unknown-service4', family: 4, carrier: 'stun', token: token(MAC, { srv: 'gaming' }), packets: 2 }, decision: 'unknown-service', service: null, code: 'unknown-service' },
  // Valid at NOW; the expiry tests replay it with exp falling between its packets.
  { flow: { name: 'expiring6', family: 6, carrier: 'stun', token: token(MAC, { srv: 'call', exp: EXP_SOON }), packets: 6, ecn: 1, interval_ms: 40 }, decision: 'ok', service: 'call', code: 'ok' },
] as Case[]).map((c) => ({ ...c, flow: { interval_ms: 2, ...c.flow } }));

const caseOf = (name: string): Case => CASES.find((c) => c.flow.name === name)!;

/** The DSCP a packet of the case leaves with, given the one it came with. */
const expectedDscp = (c: Case | undefined, dscp: number): number => (c?.service ? service(c.service).dscp : WASH.includes(dscp) ? 0 : dscp);

/** The mark of a packet of the case (marks are per packet: an EF packet of an unmarked flow is washed). */
function expectedMark(c: Case, dscp: number): number {
  if (c.service) return service(c.service).mark;
  if (WASH.includes(dscp)) return MARKS.washed;
  return c.decision === 'no-token' || c.decision === 'expired' ? MARKS.no_token : MARKS.rejected;
}

/** ICMPv6 the kernel sends by itself (MLD, neighbour discovery): tolerated, counted as no-token flows. */
const STRAY_ICMPV6 = [133, 134, 135, 136, 143];

describe('ntok replay over real Linux-stack captures', { timeout: 60_000 }, () => {
  let made: CaptureRun;
  let recs: FlowRecord[];
  let input: string;
  const output = join(dir, 'replayed.pcap');
  let summary: FlowSummary[];
  let inFrames: Frame[];
  let outFrames: Frame[];
  let inCap: Capture;
  let outCap: Capture;
  let seen: Seen[];

  before(async () => {
    requireCaptureTools();
    const manifest = scratch('manifest.json', JSON.stringify(CASES.map((c) => c.flow)));
    made = makeCaptures([manifest], join(dir, 'main'));
    recs = made.flows.flows;
    input = join(made.out, 'capture.pcap');
    summary = replayCli('replay', input, CONFIG, output);
    inFrames = frames(input);
    outFrames = frames(output);
    inCap = readFile(input);
    outCap = readFile(output);
    seen = await verdicts(inCap, CONFIG, clock(inCap, NOW));
  });

  /** Frames of no flow: only ICMPv6 the kernel sends by itself. */
  const strays = () => inFrames.filter((f) => ownerOf(f, recs) === undefined);

  /** Every packet of one case: input frame, output frame, verdict. */
  function packetsOf(name: string) {
    return inFrames.flatMap((f, i) => (ownerOf(f, recs)?.rec.name === name ? [{ i, in: f, out: outFrames[i], seen: seen[i] }] : []));
  }

  function assertFlow(name: string): void {
    const c = caseOf(name);
    const rec = recs.find((r) => r.name === name)!;
    const packets = packetsOf(name);
    assert.ok(packets.length >= c.flow.packets, `${name}: ${packets.length} packets in the capture`);
    const last = packets[packets.length - 1];
    assert.deepEqual(summary.find((s) => s.flow === flowName(rec)), {
      flow: flowName(rec), service: c.service, dscp: expectedDscp(c, dscpOf(last.in)!), code: c.code, packets: packets.length,
    }, `${name}: summary`);
    for (const p of packets) {
      const what = `${name} frame ${p.i + 1}`;
      const dscp = dscpOf(p.in)!;
      assert.equal(p.seen.mark, expectedMark(c, dscp), `${what}: mark`);
      assert.equal(p.seen.code, c.service ? 'ok' : WASH.includes(dscp) ? 'washed' : c.decision, `${what}: verdict code`);
      assert.equal(p.seen.service, c.service, `${what}: service`);
      assert.equal(dscpOf(p.out), expectedDscp(c, dscp), `${what}: DSCP out`);
      assert.deepEqual([p.seen.dscp, p.seen.rewritten], [expectedDscp(c, dscp), expectedDscp(c, dscp) !== dscp], `${what}: verdict DSCP, rewritten`);
      if (!c.service) assert.ok(dscpOf(p.out)! <= dscp, `${what}: DSCP raised without a valid token`);
    }
  }

  it('captured every flow of the manifest, with the replies asked for', () => {
    assert.equal(inCap.interfaces[0].linkType, LINKTYPE.ETHERNET);
    for (const c of CASES) {
      const rec = recs.find((r) => r.name === c.flow.name)!;
      assert.equal(framesOf(inFrames, recs, rec.name).length, c.flow.packets, `${rec.name}: packets client -> server`);
      assert.equal(framesOf(inFrames, recs, rec.name, false).length, c.flow.reply ? c.flow.packets : 0, `${rec.name}: replies`);
    }
    for (const f of strays()) assert.ok(f['icmpv6.type'].some((t) => STRAY_ICMPV6.includes(Number(t))), `stray frame ${f['frame.number']}`);
  });

  it('prints one --json summary per flow in capture order: flow, service, DSCP, code, packets', () => {
    const expected = CASES.map((c) => {
      const rec = recs.find((r) => r.name === c.flow.name)!;
      const packets = packetsOf(rec.name);
      return { flow: flowName(rec), service: c.service, dscp: expectedDscp(c, dscpOf(packets[packets.length - 1].in)!), code: c.code, packets: packets.length };
    });
    const ours = new Set(expected.map((e) => e.flow));
    assert.deepEqual(summary.filter((s) => s.flow !== null && ours.has(s.flow)), expected);
    // Whatever else is there is the kernel's own ICMPv6, without a token.
    const others = summary.filter((s) => s.flow === null || !ours.has(s.flow));
    assert.deepEqual([...new Set(others.map((s) => s.code))].filter((c) => c !== 'no-token'), []);
    assert.equal(others.reduce((n, s) => n + s.packets, 0), strays().length);
  });

  it('writes a capture tshark dissects without malformed packets or warnings, every IPv4 header checksum good', () => {
    assert.equal(outFrames.length, inFrames.length, 'packets in and out');
    const bad = clean(output);
    assert.equal(bad, '', `malformed packets or expert warnings:\n${bad}`);
    const v4 = outFrames.filter((f) => f['ip.src'].length > 0);
    assert.ok(v4.length > 10);
    for (const f of v4) assert.deepEqual(f['ip.checksum.status'], ['1'], `frame ${f['frame.number']}: IPv4 header checksum`);
  });

  it('sets the DSCP the policy says on both directions of token flows and washes EF without a valid token', () => {
    let raised = 0;
    let washed = 0;
    inFrames.forEach((f, i) => {
      const o = ownerOf(f, recs);
      const c = o ? caseOf(o.rec.name) : undefined;
      const want = expectedDscp(c, dscpOf(f)!);
      assert.equal(dscpOf(outFrames[i]), want, `frame ${i + 1} (${o?.rec.name ?? 'stray'}${o && !o.forward ? ' reply' : ''}): DSCP`);
      if (want > dscpOf(f)!) raised++;
      if (want < dscpOf(f)!) washed++;
    });
    assert.ok(raised > 20 && washed >= 6, `${raised} raised, ${washed} washed`);
  });

  it('keeps the ECN bits of every packet, ECT(1), ECT(0) and CE included', () => {
    inFrames.forEach((f, i) => assert.equal(ecnOf(outFrames[i]), ecnOf(f), `frame ${i + 1}: ECN`));
    assert.deepEqual([...new Set(inFrames.map(ecnOf))].sort(), [0, 1, 2, 3]);
  });

  it('leaves the tokens where they were: in the STUN attribute (FINGERPRINT still good) and in the IPv6 options', () => {
    let checked = 0;
    for (const rec of recs.filter((r) => r.token !== null)) {
      const fwd = framesOf(inFrames, recs, rec.name);
      for (const k of rec.token_packets) {
        const f = outFrames[fwd[k]];
        const what = `${rec.name} packet ${k}`;
        if (rec.carrier === 'stun') {
          assert.ok(stunAttrs(f).includes(0x8030), `${what}: no token attribute`);
          assert.ok(f['stun.value'].map(fieldHex).includes(rec.token!), `${what}: token bytes not in the attribute`);
          assert.deepEqual(f['stun.att.crc32.status'], ['1'], `${what}: FINGERPRINT`);
        } else {
          assert.equal(num(f, rec.carrier === 'hbh' ? 'ipv6.hopopts.nxt' : 'ipv6.dstopts.nxt'), 17, `${what}: ${rec.carrier} header`);
          assert.ok(f['ipv6.opt.unknown'].map(fieldHex).includes(rec.token!), `${what}: token bytes not in option 0x1F`);
        }
        checked++;
      }
      // The type-2 reflections in the replies too.
      for (const r of rec.reflected_tokens) {
        const f = outFrames[framesOf(inFrames, recs, rec.name, false)[r.reply]];
        const values = r.where === 'stun' ? f['stun.value'] : f['ipv6.opt.unknown'];
        assert.ok(values.map(fieldHex).includes(r.token), `${rec.name} reply ${r.reply}: reflected token`);
        checked++;
      }
    }
    // 15 token packets (3 + 3 per packet, 9 first packets), 2 reflections.
    assert.equal(checked, 15 + 2);
  });

  it('changes nothing but the DS field and the IPv4 header checksum; every other packet is byte-identical', () => {
    assert.equal(outCap.packets.length, inCap.packets.length);
    let identical = 0;
    inCap.packets.forEach((p, i) => {
      const o = ownerOf(inFrames[i], recs);
      const dscp = dscpOf(inFrames[i])!;
      const want = expectedDscp(o ? caseOf(o.rec.name) : undefined, dscp);
      const expected = want === dscp ? p.data : withDscp(p.data, want);
      assertBytes(outCap.packets[i].data, expected, `frame ${i + 1} (${o?.rec.name ?? 'stray'})`);
      assert.equal(outCap.packets[i].timestamp.toFixed(6), p.timestamp.toFixed(6), `frame ${i + 1}: timestamp`);
      if (want === dscp) identical++;
    });
    assert.ok(identical >= 10, `${identical} packets byte-identical`);
  });

  it('reads and writes pcapng the same way (the capture converted by editcap)', () => {
    const ng = join(dir, 'capture.pcapng');
    const r = run('editcap', ['-F', 'pcapng', input, ng]);
    assert.equal(r.status, 0, r.stderr);
    const out = join(dir, 'replayed.pcapng');
    assert.deepEqual(replayCli('replay', ng, CONFIG, out), summary);
    const ngOut = readFile(out);
    assert.equal(ngOut.format, 'pcapng');
    assert.equal(ngOut.packets.length, outCap.packets.length);
    ngOut.packets.forEach((p, i) => assertBytes(p.data, outCap.packets[i].data, `frame ${i + 1}`));
    const bad = clean(out);
    assert.equal(bad, '', `malformed packets or expert warnings:\n${bad}`);
  });

  it('marks every packet of a flow with a valid token with its service: STUN, per-packet STUN, Hop-by-Hop, per-packet Destination option', () => {
    for (const name of ['stun6-reflect', 'stun4-per-packet', 'hbh6', 'dstopts6-per-packet', 'bip-prefix6']) assertFlow(name);
  });

  it('leaves flows without a token unmarked and their AF11 alone', () => {
    assertFlow('plain4');
    assertFlow('plain6-af11');
  });

  it('washes EF without a token to 0 (code washed), ECN kept, over IPv4 and IPv6', () => {
    assertFlow('ef4');
    assertFlow('ef6');
  });

  it('rejects a token bound to another address: wrong-binding, not marked, AF11 not raised', () => assertFlow('wrong-bip4'));

  it('accepts a token bound to a /64 from another address in that /64', () => {
    assertFlow('bip-prefix6');
    assert.notEqual(recs.find((r) => r.name === 'bip-prefix6')!.src, '2001:db8::99');
  });

  it('rejects a token whose nti is revoked: revoked, not marked', () => assertFlow('revoked4'));

  it('rejects a token whose MAC is forged: bad-mac, not marked', () => assertFlow('forged-mac6'));

  it('washes EF under a token whose signature is forged: the flow is rejected (bad-signature), its packets washed', () => {
    assertFlow('forged-sig-ef4');
    const packets = packetsOf('forged-sig-ef4');
    assert.ok(packets.every((p) => p.seen.mark === MARKS.washed && dscpOf(p.out) === 0));
  });

  it('rejects a token for a service that is not configured: unknown-service, not marked', () => assertFlow('unknown-service4'));

  it('decides a flow from the reflected type-2 token alone, bound to the packet destination (the replies only)', () => {
    const names = ['stun6-reflect', 'hbh6'];
    const picked = names.flatMap((n) => framesOf(inFrames, recs, n, false));
    const file = scratch('replies.pcap', writePcap(LINKTYPE.ETHERNET, picked.map((i) => inCap.packets[i])));
    const flows = replayCli('replay', file, CONFIG);
    assert.deepEqual(flows, names.map((n) => {
      const rec = recs.find((r) => r.name === n)!;
      const c = caseOf(n);
      return { flow: flowName(rec, false), service: c.service, dscp: service(c.service!).dscp, code: 'ok', packets: c.flow.packets };
    }));
  });

  it('marks a flow while its token is valid and stops at exp: expired, later packets untouched (--now and packet times)', () => {
    const rec = recs.find((r) => r.name === 'expiring6')!;
    const fwd = framesOf(inFrames, recs, rec.name);
    const t = fwd.map((i) => inCap.packets[i].timestamp);
    // exp between the third and the fourth packet (40 ms apart).
    const now = EXP_SOON - ((t[2] + t[3]) / 2 - inCap.packets[0].timestamp);
    const out = join(dir, 'expiring.pcap');
    const flows = replayCli('replay', input, CONFIG, out, now);
    assert.deepEqual(flows.find((f) => f.flow === flowName(rec)), { flow: flowName(rec), service: null, dscp: 0, code: 'expired', packets: 6 });
    const outExp = readFile(out);
    fwd.forEach((i, k) => {
      const expected = k < 3 ? withDscp(inCap.packets[i].data, 46) : inCap.packets[i].data;
      assertBytes(outExp.packets[i].data, expected, `packet ${k}: ${k < 3 ? 'EF before exp' : 'untouched from exp on'}`);
    });
  });

  it('loses the mark exactly at exp: 1 ms before it the flow is marked, at it expired (leeway 0)', async () => {
    const fwd = framesOf(inFrames, recs, 'expiring6');
    const picked: Capture = { ...inCap, packets: fwd.map((i) => inCap.packets[i]) };
    const times = [EXP_SOON - 10, EXP_SOON - 1, EXP_SOON - 0.001, EXP_SOON, EXP_SOON + 0.5, EXP_SOON + 10];
    const got = await verdicts(picked, CONFIG, times);
    assert.deepEqual(got.map((s) => [s.code, s.mark, s.dscp]), [
      ['ok', 16, 46], ['ok', 16, 46], ['ok', 16, 46], ['expired', MARKS.no_token, 0], ['expired', MARKS.no_token, 0], ['expired', MARKS.no_token, 0],
    ]);
  });
});

// ---------------------------------------------------------------- packets byte by byte

const CLIENT6 = parseIpBinding('2001:db8::1').address;
const SERVER6 = parseIpBinding('2001:db8::2').address;
const CLIENT4 = [192, 0, 2, 1];
const SERVER4 = [192, 0, 2, 2];

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = v >> 8;
  b[at + 1] = v & 0xff;
}

/** RFC 791 §3.1: version 4, IHL 5 unless told, DF, TTL 64, header checksum. */
function ipv4Packet(proto: number, payload: Uint8Array, o: { tos?: number; src?: number[]; dst?: number[]; ihl?: number } = {}): Uint8Array {
  const p = new Uint8Array(20 + payload.length);
  p[0] = 0x40 | (o.ihl ?? 5);
  p[1] = o.tos ?? 0;
  put16(p, 2, p.length);
  p[6] = 0x40;
  p[8] = 64;
  p[9] = proto;
  p.set(o.src ?? CLIENT4, 12);
  p.set(o.dst ?? SERVER4, 16);
  put16(p, 10, ipv4HeaderChecksum(p.subarray(0, 20)));
  p.set(payload, 20);
  return p;
}

/** RFC 8200 §3: the fixed header, `next` naming what `payload` starts with. */
function ipv6Packet(next: number, payload: Uint8Array, o: { tc?: number } = {}): Uint8Array {
  const p = new Uint8Array(40 + payload.length);
  const tc = o.tc ?? 0;
  p[0] = 0x60 | (tc >> 4);
  p[1] = (tc & 15) << 4;
  put16(p, 4, payload.length);
  p[6] = next;
  p[7] = 64;
  p.set(CLIENT6, 8);
  p.set(SERVER6, 24);
  p.set(payload, 40);
  return p;
}

/** RFC 768; the checksum is left 0 (the gateway does not read it). */
function udp(sport: number, dport: number, payload: Uint8Array, length = 8 + payload.length): Uint8Array {
  const u = new Uint8Array(8 + payload.length);
  put16(u, 0, sport);
  put16(u, 2, dport);
  put16(u, 4, length);
  u.set(payload, 8);
  return u;
}

/** PadN of n >= 2 bytes, Pad1 for n = 1 (RFC 8200 §4.2). */
const padding = (n: number): Uint8Array => (n === 0 ? bytes() : n === 1 ? bytes(0) : concat(bytes(1, n - 2), new Uint8Array(n - 2)));

/**
 * A Hop-by-Hop or Destination Options header (RFC 8200 §4.3, §4.6): next
 * header, Hdr Ext Len, the options, padding to a multiple of 8 (the last
 * `tail` bytes after the padding). `hdrExtLen` overrides the length field.
 */
function optionsHeader(next: number, options: Uint8Array, o: { hdrExtLen?: number; tail?: Uint8Array } = {}): Uint8Array {
  const tail = o.tail ?? bytes();
  const used = 2 + options.length + tail.length;
  const total = Math.ceil(used / 8) * 8;
  const h = concat(bytes(next, o.hdrExtLen ?? total / 8 - 1), options, padding(total - used), tail);
  assert.equal(h.length, total);
  return h;
}

const tokenOption = (t: Uint8Array, declared = t.length): Uint8Array => concat(bytes(0x1f, declared), t);

/** RFC 8489 §14: type, length (`declared`, the value's own unless told), value, zero padding to 4 bytes. */
function stunAttribute(type: number, value: Uint8Array, declared = value.length): Uint8Array {
  const a = new Uint8Array(4 + Math.ceil(value.length / 4) * 4);
  put16(a, 0, type);
  put16(a, 2, declared);
  a.set(value, 4);
  return a;
}

/** A Binding Request (RFC 8489 §5) whose length covers the attributes given. */
function stunRequest(...attrs: Uint8Array[]): Uint8Array {
  const body = concat(...attrs);
  const h = new Uint8Array(20);
  put16(h, 0, 0x0001);
  put16(h, 2, body.length);
  h.set([0x21, 0x12, 0xa4, 0x42], 4);
  h.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 8);
  return concat(h, body);
}

/**
 * A Binding Request as an ICE agent sends it: USERNAME, MESSAGE-INTEGRITY
 * (RFC 8489 §14.5: HMAC-SHA1 over the message up to it, the length field
 * ending at it), FINGERPRINT (§14.7).
 */
function stunRequestWithIntegrity(username: string, password: string): Uint8Array {
  const user = stunAttribute(0x0006, new TextEncoder().encode(username));
  const upToIntegrity = stunRequest(user, stunAttribute(0x0008, new Uint8Array(20)));
  const covered = upToIntegrity.subarray(0, upToIntegrity.length - 24);
  upToIntegrity.set(createHmac('sha1', password).update(covered).digest(), covered.length + 4);
  const withFingerprint = stunRequest(user, upToIntegrity.subarray(covered.length), stunAttribute(0x8028, new Uint8Array(4)));
  const at = withFingerprint.length - 8;
  const value = (crc32(withFingerprint.subarray(0, at)) ^ 0x5354554e) >>> 0;
  withFingerprint.set([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255], at + 4);
  return withFingerprint;
}

const RTP = bytes(0x80, 0, 0, 1, 0, 0, 0, 160, 0, 0, 0, 7, 1, 2, 3, 4);
const PAD6 = padding(6);

interface Crafted {
  what: string;
  /** The packet, with a source port of its own. */
  build: (sport: number) => Uint8Array;
  code: 'bad-packet' | 'no-token';
}

/** Malformed carriers or headers around a valid token: each passes untouched, the token unused. */
function craftedCases(tok: Uint8Array): Crafted[] {
  const stunToken = stunAttribute(0x8030, tok);
  return [
    {
      what: 'an IPv6 token option whose length runs past the end of its Hop-by-Hop header',
      build: (sp) => ipv6Packet(0, concat(optionsHeader(17, tokenOption(tok, tok.length + 8)), udp(sp, 5004, RTP))),
      code: 'no-token',
    },
    {
      what: 'a Destination Options header whose last option stops after its type byte, after a good token option',
      build: (sp) => ipv6Packet(60, concat(optionsHeader(17, tokenOption(tok), { tail: bytes(0x1f) }), udp(sp, 5004, RTP))),
      code: 'no-token',
    },
    {
      what: 'a Hop-by-Hop header whose length runs past the packet (EF)',
      build: (sp) => ipv6Packet(0, concat(optionsHeader(17, tokenOption(tok), { hdrExtLen: 40 }), udp(sp, 5004, RTP)), { tc: EF << 2 }),
      code: 'bad-packet',
    },
    {
      what: 'a chain of nine extension headers, the token in the last (EF)',
      build: (sp) => ipv6Packet(60, concat(...Array.from({ length: 8 }, () => optionsHeader(60, PAD6)), optionsHeader(17, tokenOption(tok)), udp(sp, 5004, RTP)), { tc: EF << 2 }),
      code: 'bad-packet',
    },
    {
      what: 'a Hop-by-Hop header whose next header is Hop-by-Hop again (EF)',
      build: (sp) => ipv6Packet(0, concat(optionsHeader(0, tokenOption(tok)), optionsHeader(17, PAD6), udp(sp, 5004, RTP)), { tc: EF << 2 }),
      code: 'bad-packet',
    },
    {
      what: 'Destination Options headers that each name another one, to the end of the packet (EF)',
      build: () => ipv6Packet(60, concat(optionsHeader(60, tokenOption(tok)), optionsHeader(60, PAD6), optionsHeader(60, PAD6)), { tc: EF << 2 }),
      code: 'bad-packet',
    },
    {
      what: 'an IPv4 header cut after 12 bytes (EF)',
      build: (sp) => ipv4Packet(17, udp(sp, 3478, stunRequest(stunToken)), { tos: EF << 2 }).subarray(0, 12),
      code: 'bad-packet',
    },
    {
      what: 'an IPv4 header whose IHL (60 bytes) runs past its total length (EF)',
      build: (sp) => ipv4Packet(17, udp(sp, 3478, stunRequest(stunToken)).subarray(0, 20), { tos: EF << 2, ihl: 15 }),
      code: 'bad-packet',
    },
    {
      what: 'a UDP length beyond the IP payload (EF)',
      build: (sp) => {
        const payload = stunRequest(stunToken);
        return ipv4Packet(17, udp(sp, 3478, payload, 8 + payload.length + 100), { tos: EF << 2 });
      },
      code: 'bad-packet',
    },
    {
      what: 'a STUN token attribute whose length runs past the message',
      build: (sp) => ipv4Packet(17, udp(sp, 3478, stunRequest(stunAttribute(0x8030, tok, tok.length + 64)))),
      code: 'no-token',
    },
    {
      what: 'a good STUN token attribute followed by one whose length runs past the message',
      build: (sp) => ipv4Packet(17, udp(sp, 3478, stunRequest(stunToken, stunAttribute(0x8022, bytes(0x6e, 0x74, 0x6f, 0x6b), 400)))),
      code: 'no-token',
    },
  ];
}

describe('packets crafted byte by byte: malformed headers and carriers around a valid token', { timeout: 30_000 }, () => {
  const tok = mint(MAC, { srv: 'call' });
  const cases = craftedCases(tok);
  const sport = (k: number) => 41000 + k;
  const packets = cases.map((c, k) => c.build(sport(k)));
  let summary: FlowSummary[];
  let out: Capture;

  before(() => {
    const file = scratch('crafted.pcap', writePcap(LINKTYPE.RAW, packets.map((data, k) => ({ data, timestamp: NOW + k / 1000 }))));
    const outFile = join(dir, 'crafted-out.pcap');
    summary = replayCli('replay', file, CONFIG, outFile);
    out = readFile(outFile);
  });

  cases.forEach((c, k) => {
    it(`${c.what}: passes byte for byte, ${c.code}`, async () => {
      assertBytes(out.packets[k].data, packets[k], 'ntok replay --out');
      const g = await Gateway.open(CONFIG);
      const v = g.process(packets[k], { link: LINKTYPE.RAW, now: NOW });
      assert.equal(g.resultName(v.code), c.code);
      assert.equal(v.flags & (VERDICT.REWRITTEN | VERDICT.TAGGED), 0, 'rewritten');
      assert.equal(v.mark, c.code === 'no-token' ? MARKS.no_token : 0);
      assert.equal(v.flow >= 0, c.code === 'no-token', 'belongs to a flow');
      assertBytes(g.packet(), packets[k], 'the packet after process()');
      assert.equal(g.status().verifications, 0, 'a token was verified');
      if (c.code === 'no-token') {
        const name = g.flowName(v.flow);
        assert.deepEqual(summary.find((s) => s.flow === name), { flow: name, service: null, dscp: 0, code: 'no-token', packets: 1 });
      }
    });
  });

  it('summarises the unparsed packets as one record without a flow', () => {
    const bad = cases.filter((c) => c.code === 'bad-packet').length;
    assert.deepEqual(summary.filter((s) => s.flow === null), [{ flow: null, service: null, dscp: null, code: 'bad-packet', packets: bad }]);
    assert.equal(summary.length, cases.length - bad + 1);
  });

  it('uses the same token in well-formed packets: a Hop-by-Hop option, a STUN request, the eighth extension header', async () => {
    const good = [
      ipv6Packet(0, concat(optionsHeader(17, tokenOption(tok)), udp(42001, 5004, RTP))),
      ipv4Packet(17, udp(42002, 3478, stunRequest(stunAttribute(0x8030, tok)))),
      // Eight headers is the walk's limit (assembly/packet/packet.ts MAX_EXTENSIONS): still parsed.
      ipv6Packet(60, concat(...Array.from({ length: 7 }, () => optionsHeader(60, PAD6)), optionsHeader(17, tokenOption(tok)), udp(42003, 5004, RTP))),
    ];
    for (const [k, p] of good.entries()) {
      const g = await Gateway.open(CONFIG);
      const v = g.process(p, { link: LINKTYPE.RAW, now: NOW });
      assert.deepEqual([g.resultName(v.code), v.mark, v.dscp, g.serviceName(v.service)], ['ok', 16, 46, 'call'], `packet ${k}`);
      assertBytes(g.packet(), withDscp(p, 46, 0), `packet ${k}: only the DS field changed`);
    }
  });

  it('keeps the mark until a fractional exp (NumericDate with a fraction, RFC 8392 §2)', async () => {
    const soon = mint(MAC, { srv: 'call', exp: EXP_SOON + 0.5 });
    const g = await Gateway.open(CONFIG);
    const first = g.process(ipv4Packet(17, udp(42010, 3478, stunRequest(stunAttribute(0x8030, soon)))), { link: LINKTYPE.RAW, now: EXP_SOON - 10 });
    assert.equal(g.resultName(first.code), 'ok');
    const media = ipv4Packet(17, udp(42010, 3478, RTP));
    const before = g.process(media, { link: LINKTYPE.RAW, now: EXP_SOON + 0.25 });
    assert.deepEqual([g.resultName(before.code), before.mark], ['ok', 16], 'exp is 0.25 s away');
    const at = g.process(media, { link: LINKTYPE.RAW, now: EXP_SOON + 0.5 });
    assert.deepEqual([g.resultName(at.code), at.mark], ['expired', MARKS.no_token]);
  });
});

// ---------------------------------------------------------------- 100,000 flows

describe('100,000 distinct flows through a flow table of fixed capacity', { timeout: 60_000 }, () => {
  const FLOOD = 100_000;
  const TOKEN_FLOWS = 4;
  let capture: Capture;

  before(() => {
    const packets: PacketToWrite[] = [];
    for (let i = 0; i < FLOOD; i++) {
      const src = [10, (i >> 16) & 255, (i >> 8) & 255, i & 255];
      packets.push({ data: ipv4Packet(17, udp(1024 + (i % 50_000), 5004, RTP), { src, dst: [198, 51, 100, 1] }), timestamp: NOW + i / 100_000 });
    }
    // Then flows with valid tokens, each bound to its source: a STUN request, two media packets.
    for (let k = 0; k < TOKEN_FLOWS; k++) {
      const src = [192, 0, 2, 10 + k];
      const tok = mint(MAC, { srv: 'call', bip: src.join('.') });
      const o = { src, dst: [198, 51, 100, 1] };
      const ts = NOW + 2 + k / 10;
      packets.push({ data: ipv4Packet(17, udp(40000, 3478, stunRequest(stunAttribute(0x8030, tok))), o), timestamp: ts });
      packets.push({ data: ipv4Packet(17, udp(40000, 3478, RTP), o), timestamp: ts + 0.01 });
      packets.push({ data: ipv4Packet(17, udp(3478, 40000, RTP), { src: o.dst, dst: src }), timestamp: ts + 0.02 });
    }
    capture = readCapture(writePcap(LINKTYPE.RAW, packets));
    assert.equal(capture.packets.length, FLOOD + 3 * TOKEN_FLOWS);
  });

  for (const capacity of [16_384, 1_000]) {
    it(`keeps at most ${capacity.toLocaleString('en')} flows, counts the evictions, and still marks the token flows that follow`, async () => {
      const config = capacity === 16_384 ? CONFIG : { ...CONFIG, gateway: { ...CONFIG.gateway, flows: { capacity } } };
      const g = await Gateway.open(config);
      const r = replay(g, capture);
      const s = g.status();
      assert.equal(s.flows.capacity, capacity);
      assert.ok(s.flows.active <= capacity, `${s.flows.active} active flows`);
      assert.equal(s.flows.inserts, FLOOD + TOKEN_FLOWS);
      assert.ok(s.flows.evictions >= FLOOD + TOKEN_FLOWS - capacity, `${s.flows.evictions} evictions`);
      assert.equal(s.flows.active + s.flows.evictions + s.flows.expirations, s.flows.inserts, 'flows unaccounted for');
      assert.equal(s.packets, capture.packets.length);
      assert.equal(s.verifications, TOKEN_FLOWS);
      assert.equal(s.rate_limited, 0);
      assert.equal(r.flows.length, FLOOD + TOKEN_FLOWS, 'one summary per flow');
      assert.deepEqual(r.flows.slice(FLOOD), Array.from({ length: TOKEN_FLOWS }, (_, k) => ({
        flow: `udp 192.0.2.${10 + k}:40000 > 198.51.100.1:3478`, service: 'call', dscp: 46, code: 'ok', packets: 3,
      })));
      const out = readCapture(r.output);
      assert.equal(out.packets.length, capture.packets.length);
      out.packets.forEach((p, i) => {
        if (i < FLOOD) assertBytes(p.data, capture.packets[i].data, `packet ${i}`);
        else assertBytes(p.data, withDscp(capture.packets[i].data, 46, 0), `token flow packet ${i - FLOOD}`);
      });
      assert.equal(s.rewritten, 3 * TOKEN_FLOWS);
    });
  }
});

// ---------------------------------------------------------------- ntok tag

describe('ntok tag over a real capture of untagged flows', { timeout: 60_000 }, () => {
  const MTU = 1280;
  // The tokens the gateway attaches, bound to the devices it tags for.
  const TAG6 = token(MAC, { srv: 'call', bip: '2001:db8::1' });
  const TAG4 = token(ED, { srv: 'iot', bip: '192.0.2.1' });
  const rule = (source: string, port: number, tok: string, carrier: string, perPacket?: boolean) =>
    ({ source, proto: 'udp', port, token: tok, carrier, ...(perPacket === undefined ? {} : { per_packet: perPacket }) });
  const TAGGING = {
    gateway: {
      mtu: MTU,
      tagging: [
        rule('2001:db8::1/128', 5010, TAG6, 'hbh', false),
        rule('2001:db8::1/128', 5011, TAG6, 'dstopts', true),
        rule('2001:db8::1/128', 3478, TAG6, 'stun'),
        rule('192.0.2.1/32', 3479, TAG4, 'stun', true),
        rule('2001:db8::1/128', 5012, TAG6, 'hbh', true),
      ],
    },
  };
  interface TagCase {
    flow: ManifestFlow;
    /** Which packets (client -> server, 0-based) get the token, and in what. */
    tagged: number[];
    carrier: 'hbh' | 'dstopts' | 'stun' | null;
    token: string | null;
    /** Replaying the tagged capture with CONFIG. */
    service: string | null;
  }
  // STUN requests without a token, as ICE connectivity checks: ICE-CONTROLLED (0x8029) where make-captures puts its token, FINGERPRINT after it.
  const TAG_CASES: TagCase[] = ([
    { flow: { name: 'tag-hbh', family: 6, carrier: 'none', dport: 5010, packets: 3, ecn: 1, reply: true }, tagged: [0], carrier: 'hbh', token: TAG6, service: 'call' },
    { flow: { name: 'tag-dstopts', family: 6, carrier: 'none', dport: 5011, packets: 3, ecn: 2 }, tagged: [0, 1, 2], carrier: 'dstopts', token: TAG6, service: 'call' },
    { flow: { name: 'tag-stun6', family: 6, carrier: 'stun', stun_attr: 0x8029, token: '0102030405060708', dport: 3478, packets: 3, ecn: 3, reply: true }, tagged: [0], carrier: 'stun', token: TAG6, service: 'call' },
    { flow: { name: 'tag-stun4', family: 4, carrier: 'stun', stun_attr: 0x8029, token: '0102030405060708', per_packet: true, dport: 3479, packets: 2, ecn: 1 }, tagged: [0, 1], carrier: 'stun', token: TAG4, service: 'iot' },
    // 40 + 8 + 12 + 1200 bytes: the option would take it past the MTU.
    { flow: { name: 'tag-too-large', family: 6, carrier: 'none', dport: 5012, packets: 2, size: 1200 }, tagged: [], carrier: null, token: null, service: null },
    { flow: { name: 'no-rule', family: 6, carrier: 'none', dport: 5013, packets: 2, ecn: 2 }, tagged: [], carrier: null, token: null, service: null },
  ] as TagCase[]).map((c) => ({ ...c, flow: { interval_ms: 2, ...c.flow } }));

  let recs: FlowRecord[];
  let input: string;
  const tagged = join(dir, 'tagged.pcap');
  let summary: FlowSummary[];
  let inFrames: Frame[];
  let outFrames: Frame[];
  let inCap: Capture;
  let outCap: Capture;

  before(() => {
    requireCaptureTools();
    const made = makeCaptures([scratch('tag-manifest.json', JSON.stringify(TAG_CASES.map((c) => c.flow)))], join(dir, 'tag'));
    recs = made.flows.flows;
    input = join(made.out, 'capture.pcap');
    summary = replayCli('tag', input, TAGGING, tagged);
    inFrames = frames(input);
    outFrames = frames(tagged);
    inCap = readFile(input);
    outCap = readFile(tagged);
  });

  /** The frames the gateway tags (index -> their case). */
  const taggedFrames = (): Map<number, TagCase> => {
    const m = new Map<number, TagCase>();
    for (const c of TAG_CASES) framesOf(inFrames, recs, c.flow.name).forEach((i, k) => c.tagged.includes(k) && m.set(i, c));
    return m;
  };

  it('writes a capture tshark dissects without malformed packets or warnings, IPv4 header checksums good', () => {
    assert.equal(outFrames.length, inFrames.length);
    const bad = clean(tagged);
    assert.equal(bad, '', `malformed packets or expert warnings:\n${bad}`);
    for (const f of outFrames.filter((x) => x['ip.src'].length > 0)) assert.deepEqual(f['ip.checksum.status'], ['1'], `frame ${f['frame.number']}`);
  });

  it('summarises the flows: tagging leaves their code alone, a packet too large to tag says tag-too-large', () => {
    assert.deepEqual(summary.filter((s) => s.flow !== null && s.flow.startsWith('udp ')), TAG_CASES.map((c) => {
      const rec = recs.find((r) => r.name === c.flow.name)!;
      const n = framesOf(inFrames, recs, rec.name).length + framesOf(inFrames, recs, rec.name, false).length;
      return { flow: flowName(rec), service: null, dscp: 0, code: c.flow.name === 'tag-too-large' ? 'tag-too-large' : 'no-token', packets: n };
    }));
  });

  it('counts the tagged packets and those too large (status, and the text summary)', async () => {
    const g = await Gateway.open(TAGGING);
    replay(g, inCap, { now: NOW, direction: Direction.Upstream });
    const s = g.status();
    assert.equal(s.tagged, 1 + 3 + 1 + 2);
    assert.equal(s.tag_too_large, 2);
    const r = ntok('tag', input, '--config', scratch('tagging.json', JSON.stringify(TAGGING)), '--out', join(dir, 'tagged-text.pcap'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\b7 tagged, 2 too large to tag\b/);
  });

  it('puts the token in the inserted Hop-by-Hop / Destination option, payload lengths fixed, the UDP datagram unchanged', () => {
    for (const [i, c] of taggedFrames()) {
      if (c.carrier === 'stun') continue;
      const [fin, fout] = [inFrames[i], outFrames[i]];
      const what = `${c.flow.name} frame ${i + 1}`;
      assert.equal(num(fout, c.carrier === 'hbh' ? 'ipv6.hopopts.nxt' : 'ipv6.dstopts.nxt'), 17, `${what}: ${c.carrier} header before UDP`);
      assert.deepEqual(fout[c.carrier === 'hbh' ? 'ipv6.dstopts.nxt' : 'ipv6.hopopts.nxt'], [], `${what}: the other header`);
      assert.ok(fout['ipv6.opt.type'].map(Number).includes(0x1f), `${what}: no option 0x1F`);
      assert.ok(fout['ipv6.opt.unknown'].map(fieldHex).includes(c.token!), `${what}: token bytes not in the option`);
      const header = Math.ceil((2 + 2 + c.token!.length / 2) / 8) * 8;
      assert.equal(num(fout, 'frame.len'), num(fin, 'frame.len')! + header, `${what}: frame length`);
      assert.equal(num(fout, 'ipv6.plen'), num(fin, 'ipv6.plen')! + header, `${what}: IPv6 payload length`);
      assert.equal(num(fout, 'ipv6.plen'), num(fout, 'frame.len')! - 14 - 40, `${what}: IPv6 payload length vs frame`);
      // RFC 8200 §8.1: the pseudo-header excludes extension headers, so the UDP checksum stays as it was.
      assert.deepEqual([fout['udp.length'], fout['udp.checksum']], [fin['udp.length'], fin['udp.checksum']], `${what}: UDP`);
    }
  });

  it('puts the token in a STUN attribute before FINGERPRINT, which stays valid, lengths and checksums fixed', () => {
    let n = 0;
    for (const [i, c] of taggedFrames()) {
      if (c.carrier !== 'stun') continue;
      const [fin, fout] = [inFrames[i], outFrames[i]];
      const what = `${c.flow.name} frame ${i + 1}`;
      const attrs = stunAttrs(fout);
      assert.deepEqual(attrs.slice(-2), [0x8030, 0x8028], `${what}: attributes ${attrs.map((a) => a.toString(16))}`);
      assert.deepEqual(attrs.slice(0, -2), stunAttrs(fin).slice(0, -1), `${what}: the attributes before`);
      assert.ok(fout['stun.value'].map(fieldHex).includes(c.token!), `${what}: token bytes not in the attribute`);
      assert.deepEqual(fout['stun.att.crc32.status'], ['1'], `${what}: FINGERPRINT`);
      const grow = 4 + Math.ceil(c.token!.length / 2 / 4) * 4;
      assert.equal(num(fout, 'udp.length'), num(fin, 'udp.length')! + grow, `${what}: UDP length`);
      assert.equal(num(fout, 'frame.len'), num(fin, 'frame.len')! + grow, `${what}: frame length`);
      if (c.flow.family === 4) assert.equal(num(fout, 'ip.len'), num(fin, 'ip.len')! + grow, `${what}: IPv4 total length`);
      else assert.equal(num(fout, 'ipv6.plen'), num(fin, 'ipv6.plen')! + grow, `${what}: IPv6 payload length`);
      // The core recomputes the UDP checksum over the grown datagram (the capture's own are offloaded, unfinished).
      assert.deepEqual(fout['udp.checksum.status'], ['1'], `${what}: UDP checksum`);
      n++;
    }
    assert.equal(n, 3);
  });

  it('keeps DSCP and ECN, and leaves every packet it does not tag byte-identical (replies, the packet too large, other flows)', () => {
    const tags = taggedFrames();
    inFrames.forEach((f, i) => {
      assert.deepEqual([dscpOf(outFrames[i]), ecnOf(outFrames[i])], [dscpOf(f), ecnOf(f)], `frame ${i + 1}: DSCP, ECN`);
      if (!tags.has(i)) assertBytes(outCap.packets[i].data, inCap.packets[i].data, `frame ${i + 1} (${ownerOf(f, recs)?.rec.name ?? 'stray'})`);
    });
    assert.equal(tags.size, 7);
    const big = framesOf(inFrames, recs, 'tag-too-large');
    assert.ok(big.every((i) => inCap.packets[i].data.length - 14 + 64 > MTU && inCap.packets[i].data.length - 14 <= MTU), 'the big packets are near the MTU');
  });

  it('tags a STUN request with MESSAGE-INTEGRITY after it: the HMAC still verifies, FINGERPRINT recomputed, the token read back', async () => {
    const request = stunRequestWithIntegrity('alice:bob', 'ice-password');
    const packet = ipv6Packet(17, udp(40100, 3478, request));
    const g = await Gateway.open(TAGGING);
    const v = g.process(packet, { link: LINKTYPE.RAW, now: NOW, direction: Direction.Upstream });
    assert.equal(v.flags & VERDICT.TAGGED, VERDICT.TAGGED);
    const out = g.packet();
    const file = scratch('integrity.pcap', writePcap(LINKTYPE.RAW, [{ data: out, timestamp: NOW }]));
    const [f] = frames(file);
    assert.deepEqual(stunAttrs(f), [0x0006, 0x0008, 0x8030, 0x8028]);
    assert.ok(f['stun.value'].map(fieldHex).includes(TAG6), 'token bytes not in the attribute');
    assert.deepEqual(f['stun.att.crc32.status'], ['1'], 'FINGERPRINT');
    assert.deepEqual(f['udp.checksum.status'], ['1'], 'UDP checksum');
    // What the STUN peer checks (§14.5): the bytes up to MESSAGE-INTEGRITY, its length field ending there.
    const msg = out.subarray(48);
    const integrity = 20 + stunAttribute(0x0006, new TextEncoder().encode('alice:bob')).length;
    const covered = Uint8Array.from(msg.subarray(0, integrity));
    put16(covered, 2, integrity - 20 + 24);
    assert.equal(hex(msg.subarray(integrity + 4, integrity + 24)), createHmac('sha1', 'ice-password').update(covered).digest('hex'), 'MESSAGE-INTEGRITY');
    const verifier = await Gateway.open(CONFIG);
    const w = verifier.process(out, { link: LINKTYPE.RAW, now: NOW });
    assert.deepEqual([verifier.resultName(w.code), w.dscp, verifier.serviceName(w.service)], ['ok', 46, 'call']);
  });

  it('replays the tagged capture with the verifying configuration: the tagged flows are marked ok', () => {
    const flows = replayCli('replay', tagged, CONFIG);
    for (const c of TAG_CASES) {
      const rec = recs.find((r) => r.name === c.flow.name)!;
      const got = flows.find((s) => s.flow === flowName(rec));
      const want = c.service === null
        ? { service: null, dscp: 0, code: 'no-token' }
        : { service: c.service, dscp: service(c.service).dscp, code: 'ok' };
      assert.deepEqual(got && { service: got.service, dscp: got.dscp, code: got.code }, want, c.flow.name);
    }
  });
});

// ---------------------------------------------------------------- configuration errors

describe('ntok replay and ntok tag with a bad configuration', () => {
  const capture = scratch('one.pcap', writePcap(LINKTYPE.RAW, [{ data: ipv4Packet(17, udp(40000, 5004, RTP)), timestamp: NOW }]));
  const BAD: { what: string; config: object; message: string }[] = [
    { what: 'an unknown member', config: { gateway: { colour: 'blue' } }, message: 'gateway: unknown member colour' },
    { what: 'a service DSCP of 64', config: { services: [{ name: 'call', dscp: 64 }] }, message: 'services[0].dscp is out of range' },
    {
      what: 'a tagging rule with an unknown carrier',
      config: { gateway: { tagging: [{ source: '2001:db8::1/128', proto: 'udp', token: '000000020102', carrier: 'ip' }] } },
      message: 'gateway.tagging[0].carrier is out of range',
    },
    { what: 'a gateway MTU below 576', config: { gateway: { mtu: 500 } }, message: 'gateway.mtu is out of range' },
  ];
  for (const b of BAD) {
    for (const command of ['replay', 'tag']) {
      it(`${command}: exits 2 and names the field for ${b.what}`, () => {
        const out = join(dir, `bad-${command}.pcap`);
        const r = ntok(command, capture, '--config', scratch('bad.json', JSON.stringify(b.config)), '--out', out, '--json');
        assert.equal(r.code, 2, r.out);
        assert.equal(r.out, '');
        assert.ok(r.err.startsWith(`ntok: configuration: ${b.message}`), r.err);
      });
    }
  }
});
