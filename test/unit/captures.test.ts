/**
 * Captures of real Linux-stack traffic carrying network tokens
 * (test/netns/make-captures.sh + send.py), checked with tshark, never with
 * our own parsers: packet counts per flow and direction, the STUN Binding
 * Request with the token attribute 0x8030 and a FINGERPRINT tshark verifies,
 * IPv6 Hop-by-Hop / Destination Options headers with option 0x1F holding the
 * token (and the next header the kernel filled in), DSCP and ECN as asked,
 * the reply direction with reflected type-2 tokens, no malformed packets, no
 * stray packets; with --router, the same through a forwarding namespace.
 * Also: a bad manifest creates nothing, and a run killed half-way removes its
 * namespaces and processes.
 *
 * Needs root (network namespaces, CAP_NET_RAW), iproute2, python3, tcpdump
 * (the script installs it when missing) and tshark: fails, not skips, without.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MAKE_CAPTURES, dissect, fieldHex, makeCaptures, malformedOrWarned, nsOf, requireCaptureTools, tshark,
  type Carrier, type CaptureRun, type FlowRecord, type ManifestFlow,
} from '../support/netns-captures.js';

// ---------------------------------------------------------------- tokens

/**
 * Real tokens: the repository's issuer, HMAC 256/64 (COSE_Mac0, tag 17), kid
 * "captures", key "ntok-captures-test-key-32-bytes!", claims {iss: "ntok-test",
 * exp: 2000000000, iat: 1700000000, nti: 42, srv: "call"}; descriptor 2 (CWT).
 * The header's reflect type is 1 (reflect at receiver) or 0. Replay tests may
 * verify them; this test only needs their bytes.
 */
const COSE = 'd18443a10104a1044863617074757265735827a501696e746f6b2d74657374041a77359400061a6553f100636e7469182a637372766463616c6c48896eb96814d04d91';
const TOKEN_REFLECT = `10000002${COSE}`;
const TOKEN_PLAIN = `00000002${COSE}`;
/** What the peer sends back for a type-1 token: the same with type 2. */
const reflectedOf = (token: string): string | null => (token.startsWith('1') ? `2${token.slice(1)}` : null);

// ---------------------------------------------------------------- manifest

const FLOWS: ManifestFlow[] = [
  // A call over IPv6: STUN check with a type-1 token, then media; EF, ECT(1).
  { name: 'call6', family: 6, carrier: 'stun', token: TOKEN_REFLECT, packets: 5, dscp: 46, ecn: 1, reply: true },
  // IPv4, the token in every STUN request (consent checks), AF41, no reply.
  { name: 'call4', family: 4, carrier: 'stun', token: TOKEN_PLAIN, per_packet: true, packets: 3, dscp: 34, reply: false, username: 'alice:bob' },
  // Hop-by-Hop option on the first packet only; the reply reflects it; ECT(0).
  { name: 'hbh6', family: 6, carrier: 'hbh', token: TOKEN_REFLECT, packets: 4, dscp: 46, ecn: 2, reply: true },
  // Destination option on every packet, CE, no reply.
  { name: 'dst6', family: 6, carrier: 'dstopts', token: TOKEN_PLAIN, per_packet: true, packets: 3, dscp: 10, ecn: 3 },
  // No token at all, echoed.
  { name: 'plain4', family: 4, carrier: 'none', packets: 2, ecn: 1, reply: true, dport: 5006 },
].map((f) => ({ interval_ms: 5, ...f }) as ManifestFlow);

// ---------------------------------------------------------------- helpers

/** Processes whose command line mentions `needle` (e.g. a temp manifest path). */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) pids.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return pids;
}

const FIELDS = [
  'frame.number',
  'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'ip.ttl', 'ipv6.hlim',
  'udp.srcport', 'udp.dstport', 'udp.length',
  'ip.dsfield.dscp', 'ip.dsfield.ecn', 'ipv6.tclass.dscp', 'ipv6.tclass.ecn',
  'ipv6.hopopts.nxt', 'ipv6.dstopts.nxt', 'ipv6.opt.type', 'ipv6.opt.unknown',
  'stun.type', 'stun.id', 'stun.att.type', 'stun.value', 'stun.att.crc32.status',
  'icmp.type', 'icmpv6.type',
] as const;
type Field = (typeof FIELDS)[number];
type Packet = Record<Field, string[]>;

/** Every packet of a capture, each field as the list of its occurrences. */
const packets = (file: string): Packet[] => dissect(file, FIELDS);

const first = (p: Packet, f: Field): string | undefined => p[f][0];
const num = (p: Packet, f: Field): number | undefined => (p[f].length ? Number(p[f][0]) : undefined);
const nums = (p: Packet, f: Field): number[] => p[f].map(Number);
const src = (p: Packet) => first(p, 'ip.src') ?? first(p, 'ipv6.src');
const dst = (p: Packet) => first(p, 'ip.dst') ?? first(p, 'ipv6.dst');
const dscp = (p: Packet) => num(p, 'ip.dsfield.dscp') ?? num(p, 'ipv6.tclass.dscp');
const ecn = (p: Packet) => num(p, 'ip.dsfield.ecn') ?? num(p, 'ipv6.tclass.ecn');
const hops = (p: Packet) => num(p, 'ip.ttl') ?? num(p, 'ipv6.hlim');

function directions(pkts: Packet[], rec: FlowRecord): { fwd: Packet[]; rev: Packet[] } {
  const is = (p: Packet, a: string, ap: number, b: string, bp: number) =>
    src(p) === a && dst(p) === b && num(p, 'udp.srcport') === ap && num(p, 'udp.dstport') === bp && p['icmp.type'].length === 0 && p['icmpv6.type'].length === 0;
  return {
    fwd: pkts.filter((p) => is(p, rec.src, rec.sport, rec.dst, rec.dport)),
    rev: pkts.filter((p) => is(p, rec.dst, rec.dport, rec.src, rec.sport)),
  };
}

const OPTION_FIELD = { hbh: 'ipv6.hopopts.nxt', dstopts: 'ipv6.dstopts.nxt' } as const;

/** The token (or nothing) in one packet, as tshark dissects it. */
function checkCarrier(p: Packet, carrier: Carrier, token: string | null, what: string, rec: FlowRecord, stunType: number, txid?: string): void {
  const hasStun = p['stun.type'].length > 0;
  const hasHbh = p['ipv6.hopopts.nxt'].length > 0;
  const hasDst = p['ipv6.dstopts.nxt'].length > 0;
  if (carrier === 'stun' && token !== null) {
    assert.ok(hasStun, `${what}: not dissected as STUN`);
    assert.equal(num(p, 'stun.type'), stunType, `${what}: STUN message type`);
    if (txid !== undefined) assert.equal(fieldHex(first(p, 'stun.id')), txid, `${what}: transaction id`);
    const types = nums(p, 'stun.att.type');
    assert.ok(types.includes(rec.stun_attr ?? 0x8030), `${what}: no attribute 0x8030 in ${p['stun.att.type'].join(',')}`);
    assert.equal(types[types.length - 1], 0x8028, `${what}: FINGERPRINT is not the last attribute`);
    assert.ok(p['stun.value'].map(fieldHex).includes(token), `${what}: token bytes not in the attribute (${p['stun.value'].join(',')})`);
    assert.deepEqual(p['stun.att.crc32.status'], ['1'], `${what}: tshark does not find the FINGERPRINT good`);
  } else {
    assert.ok(!hasStun || carrier === 'stun', `${what}: unexpected STUN`);
    if (carrier === 'stun') {
      // a plain media packet or a response without a token
      if (hasStun) assert.ok(!nums(p, 'stun.att.type').includes(0x8030), `${what}: unexpected token attribute`);
    }
  }
  if ((carrier === 'hbh' || carrier === 'dstopts') && token !== null) {
    assert.equal(num(p, OPTION_FIELD[carrier]), 17, `${what}: ${carrier} header missing or its next header is not UDP`);
    assert.ok(carrier === 'hbh' ? !hasDst : !hasHbh, `${what}: the other options header is present too`);
    assert.ok(nums(p, 'ipv6.opt.type').includes(rec.option_type ?? 0x1f), `${what}: no option 0x1F (${p['ipv6.opt.type'].join(',')})`);
    assert.ok(p['ipv6.opt.unknown'].map(fieldHex).includes(token), `${what}: token bytes not in option 0x1F`);
  } else {
    assert.ok(!hasHbh && !hasDst, `${what}: unexpected IPv6 options header`);
  }
}

/** One flow of flows.json against the capture. */
function checkFlow(pkts: Packet[], flow: ManifestFlow, rec: FlowRecord, label: string, hopsFwd: number, hopsRev: number): void {
  const { fwd, rev } = directions(pkts, rec);
  const token = rec.token;
  assert.equal(fwd.length, flow.packets, `${label}: packets client -> server`);
  assert.equal(rev.length, flow.reply ? flow.packets : 0, `${label}: packets server -> client`);
  fwd.forEach((p, i) => {
    const what = `${label} packet ${i} (frame ${first(p, 'frame.number')})`;
    assert.equal(num(p, 'udp.length'), rec.payload_lengths[i] + 8, `${what}: UDP length`);
    assert.equal(dscp(p), flow.dscp ?? 0, `${what}: DSCP`);
    assert.equal(ecn(p), flow.ecn ?? 0, `${what}: ECN`);
    assert.equal(hops(p), hopsFwd, `${what}: TTL / hop limit`);
    const k = rec.token_packets.indexOf(i);
    checkCarrier(p, flow.carrier, k >= 0 ? token : null, what, rec, 0x0001, flow.carrier === 'stun' && k >= 0 ? rec.stun_transaction_ids[k] : undefined);
  });
  rev.forEach((p, i) => {
    const what = `${label} reply ${i} (frame ${first(p, 'frame.number')})`;
    assert.equal(dscp(p), 0, `${what}: DSCP`);
    assert.equal(ecn(p), 0, `${what}: ECN`);
    assert.equal(hops(p), hopsRev, `${what}: TTL / hop limit`);
    const k = rec.token_packets.indexOf(i);
    const back = k >= 0 && token !== null ? reflectedOf(token) : null;
    if (flow.carrier === 'stun' && k >= 0) {
      // A Binding Success Response to each request; the token comes back as type 2 if it was type 1.
      assert.equal(num(p, 'stun.type'), 0x0101, `${what}: not a Binding Success Response`);
      assert.equal(fieldHex(first(p, 'stun.id')), rec.stun_transaction_ids[k], `${what}: transaction id`);
      assert.deepEqual(p['stun.att.crc32.status'], ['1'], `${what}: FINGERPRINT`);
      if (back) checkCarrier(p, 'stun', back, what, rec, 0x0101);
      else assert.ok(!nums(p, 'stun.att.type').includes(0x8030), `${what}: token reflected though not type 1`);
    } else {
      // The sink echoes everything else byte for byte.
      assert.equal(num(p, 'udp.length'), num(fwd[i], 'udp.length'), `${what}: not an echo of packet ${i}`);
      checkCarrier(p, flow.carrier, back, what, rec, 0);
    }
  });
  assert.equal(rec.replies_received, rev.length, `${label}: replies the sender got`);
  assert.ok(rec.server, `${label}: no sink counts in flows.json`);
  assert.equal(rec.server.received, flow.packets, `${label}: packets the sink got`);
  const expectReflected = flow.reply && token !== null && reflectedOf(token) !== null;
  assert.equal(rec.reflected_tokens.length, expectReflected ? rec.token_packets.length : 0, `${label}: reflected tokens seen by the sender`);
  for (const r of rec.reflected_tokens) assert.equal(r.token, reflectedOf(token ?? ''), `${label}: reflected token`);
}

/** Packets that belong to no flow: only MLD / neighbour discovery is tolerated. */
function strays(pkts: Packet[], recs: FlowRecord[]): Packet[] {
  const mine = new Set<Packet>();
  for (const rec of recs) {
    const { fwd, rev } = directions(pkts, rec);
    [...fwd, ...rev].forEach((p) => mine.add(p));
  }
  return pkts.filter((p) => !mine.has(p));
}

function assertClean(file: string, pkts: Packet[], recs: FlowRecord[]): void {
  const bad = malformedOrWarned(file);
  assert.equal(bad, '', `${file}: malformed packets or expert warnings/errors:\n${bad}`);
  const other = strays(pkts, recs).filter((p) => !p['icmpv6.type'].some((t) => [133, 134, 135, 136, 143].includes(Number(t))));
  assert.deepEqual(
    other.map((p) => `frame ${first(p, 'frame.number')}: ${src(p)} -> ${dst(p)} icmp ${p['icmp.type'].join()}${p['icmpv6.type'].join()}`),
    [],
    `${file}: packets of no flow (an ICMP error would mean a flow had no listener)`,
  );
}

/** Count "Unknown IPv6 Option (31)" in tshark's verbose output. */
function unknownOption31(file: string): number {
  const v = tshark(['-r', file, '-V', '-Y', 'ipv6.opt.type == 0x1f']);
  return (v.match(/Unknown IPv6 Option \(31\)/g) ?? []).length;
}

// ---------------------------------------------------------------- tests

const dir = mkdtempSync(join(tmpdir(), 'ntok-captures-test-'));

function writeManifest(name: string, flows: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(flows, null, 2));
  return file;
}

const captureRun = (args: string[], label: string): CaptureRun => makeCaptures(args, join(dir, `${label}-out`));

describe('netns captures (make-captures.sh, send.py)', { timeout: 90_000 }, () => {
  before(requireCaptureTools);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('captures every flow with its carrier, DSCP, ECN and replies, as tshark dissects them', () => {
    const manifest = writeManifest('manifest.json', FLOWS);
    const { out, flows, ms } = captureRun([manifest], 'direct');
    assert.ok(ms < 30_000, `make-captures.sh took ${ms} ms`);
    const file = join(out, 'capture.pcap');
    assert.ok(statSync(file).size > 24, 'empty capture');

    // flows.json says what was sent, flow by flow, in manifest order.
    assert.equal(flows.version, 1);
    assert.equal(flows.capture.linktype, 'EN10MB');
    assert.deepEqual(flows.flows.map((f) => f.name), FLOWS.map((f) => f.name));
    const sports = new Set<string>();
    flows.flows.forEach((rec, i) => {
      const flow = FLOWS[i];
      assert.equal(rec.family, flow.family);
      assert.equal(rec.proto, 'udp');
      assert.equal(rec.carrier, flow.carrier);
      assert.equal(rec.token, flow.token ?? null);
      assert.equal(rec.dscp, flow.dscp ?? 0);
      assert.equal(rec.ecn, flow.ecn ?? 0);
      assert.equal(rec.packets, flow.packets);
      assert.equal(rec.dport, flow.dport ?? (flow.carrier === 'stun' ? 3478 : 5004));
      assert.equal(rec.src, flow.family === 4 ? '192.0.2.1' : '2001:db8::1');
      assert.equal(rec.dst, flow.family === 4 ? '192.0.2.2' : '2001:db8::2');
      assert.deepEqual(rec.token_packets, flow.carrier === 'none' ? [] : flow.per_packet ? [...Array(flow.packets).keys()] : [0]);
      sports.add(`${rec.family}/${rec.sport}`);
    });
    assert.equal(sports.size, FLOWS.length, 'source ports are not unique');

    const pkts = packets(file);
    flows.flows.forEach((rec, i) => checkFlow(pkts, FLOWS[i], rec, rec.name, 64, 64));
    assertClean(file, pkts, flows.flows);

    // The verbose dissection names the option: hbh6 first packet + its reflection, dst6 all three.
    assert.equal(unknownOption31(file), 2 + 3);
  });

  it('captures the same through a forwarding router namespace (--router), on both sides', () => {
    const flows = [FLOWS[0], FLOWS[2], FLOWS[4]];
    const manifest = writeManifest('router.json', flows);
    const { out, flows: doc, ms } = captureRun(['--router', manifest], 'router');
    assert.ok(ms < 30_000, `make-captures.sh --router took ${ms} ms`);
    assert.equal(doc.capture.router, '1');
    const at = { server: join(out, 'capture.pcap'), lan: join(out, 'router-lan.pcap') };
    doc.flows.forEach((rec) => {
      assert.equal(rec.src, rec.family === 4 ? '192.0.2.1' : '2001:db8:1::1');
      assert.equal(rec.dst, rec.family === 4 ? '198.51.100.1' : '2001:db8:2::1');
    });
    // At the server the client's packets went through one hop; on the router's LAN side the replies did.
    const server = packets(at.server);
    doc.flows.forEach((rec, i) => checkFlow(server, flows[i], rec, `server ${rec.name}`, 63, 64));
    assertClean(at.server, server, doc.flows);
    const lan = packets(at.lan);
    doc.flows.forEach((rec, i) => checkFlow(lan, flows[i], rec, `router LAN ${rec.name}`, 64, 63));
    assertClean(at.lan, lan, doc.flows);
    assert.equal(unknownOption31(at.server), 2);
  });

  it('rejects a bad manifest before creating anything', () => {
    const manifest = writeManifest('bad.json', [{ name: 'x', family: 4, carrier: 'hbh', token: TOKEN_PLAIN }]);
    const r = spawnSync('bash', [MAKE_CAPTURES, manifest, join(dir, 'bad-out')], { encoding: 'utf8', timeout: 20_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /needs family 6/);
    assert.deepEqual(nsOf(r.pid), []);
    assert.ok(!existsSync(join(dir, 'bad-out', 'flows.json')));
  });

  it('removes its namespaces and processes when killed half-way', async () => {
    const manifest = writeManifest('long.json', [
      { name: 'long', family: 6, carrier: 'hbh', token: TOKEN_PLAIN, per_packet: true, packets: 2000, interval_ms: 5, reply: true },
    ]);
    const out = join(dir, 'killed-out');
    const child = spawn('bash', [MAKE_CAPTURES, manifest, out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      // Wait until it is sending: namespaces exist and packets reach the capture.
      const deadline = Date.now() + 15_000;
      for (;;) {
        const pcap = join(out, 'capture.pcap');
        if (nsOf(child.pid).length === 2 && existsSync(pcap) && statSync(pcap).size > 2000) break;
        assert.ok(Date.now() < deadline, `the run never got going:\n${stderr}`);
        assert.equal(child.exitCode, null, `the run ended early:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(processesMentioning(manifest).length >= 2, 'sink and sender not found running');
      child.kill('SIGTERM');
      const { code } = await exited;
      assert.equal(code, 143, `exit code after SIGTERM:\n${stderr}`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    assert.deepEqual(nsOf(child.pid), [], 'namespaces left behind');
    assert.deepEqual(processesMentioning(manifest), [], 'processes left behind');
    assert.ok(!existsSync(join(out, 'flows.json')), 'flows.json of a failed run');
    assert.match(stderr, /namespaces removed/);
  });
});
