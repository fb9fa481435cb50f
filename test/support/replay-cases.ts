// The replay cases both replay suites run: test/conformance (ntok against
// ntokd) and test/boards (each board's ntokd against the native one). Each
// case is a capture file, a configuration and the command line after
// `replay` / `tag` (the runner adds --out); the captures are built here from
// bytes, except the real-traffic one from test/netns/make-captures.sh.
import { keygen, mintToken, type Jwk, type NetworkClaims } from '../../src/issuer/index.js';
import {
  PcapngSection, concat, ethernet, ipv4Udp, ipv6Udp, linuxSll, linuxSll2, netnsCapture, pcapFile, stunBindingRequest,
  type NetnsFlow, type PcapRecord,
} from './captures.js';
import type { Scratch } from './host-runs.js';

export interface ReplayCase {
  name: string;
  command: 'replay' | 'tag';
  /** Capture, --config and the rest; no --out (the runner adds it). */
  args: string[];
  /** Exit code both hosts must give (default 0; null: any, as long as they agree). */
  code?: number | null;
  /** Result codes the JSON must contain (a check that the case exercises what it says). */
  codes?: string[];
  /** false: the runner adds no --out. */
  out?: boolean;
  /** The case could not be built (the netns capture without root): the runner fails it with this. */
  error?: string;
}

/** The synthetic captures' clock: tokens are valid around it. */
export const T0 = 1_800_000_000;

const LINKTYPE = { ETHERNET: 1, RAW: 101, LINUX_SLL: 113, IPV4: 228, IPV6: 229, LINUX_SLL2: 276 } as const;
const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A deterministic byte stream (xorshift32) for garbage packets and file mutations. */
export function pseudoRandom(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x & 0xff;
  };
}

function bytesOf(n: number, next: () => number): Uint8Array {
  return Uint8Array.from({ length: n }, next);
}

/** One packet every 20 ms from T0. */
const records = (packets: Uint8Array[], nanosecond = false): PcapRecord[] =>
  packets.map((data, i) => {
    const us = (i % 50) * 20_000;
    return { data, sec: T0 + Math.floor(i / 50), fraction: nanosecond ? us * 1000 + i : us };
  });

export interface Keys {
  key: Jwk;
  /** The same kid with other key bytes: its tokens are bad-mac. */
  impostor: Jwk;
}

export function makeKeys(): Keys {
  return { key: keygen('HMAC 256/64', 'gw').privateJwk, impostor: keygen('HMAC 256/64', 'gw').privateJwk };
}

export function token(key: Jwk, claims: NetworkClaims, reflect: 0 | 1 = 0): Uint8Array {
  return mintToken(claims, { key, reflect });
}

const SERVICES = [
  { name: 'call', id: 1, dscp: 46, mark: 16 },
  { name: 'iot', id: 7, dscp: 10, mark: 17, allow: true },
  // Not ASCII, with a quote: the name travels as the core's JSON string.
  { name: 'caméra "☃"', id: 9, dscp: 34 },
];

function verifying(keys: Keys, gateway: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    keysets: { default: { keys: [keys.key] } },
    services: SERVICES,
    gateway: { wash: { dscp: [46, 34], to: 0 }, ...gateway },
  };
}

/**
 * Every case, with its files written into `scratch`. `netns`: include the
 * real-traffic capture (root only); `bigFlows`: distinct flows of the memory
 * case (0: none).
 */
export function replayCases(scratch: Scratch, o: { netns: boolean; bigFlows: number }): ReplayCase[] {
  const keys = makeKeys();
  const file = (content: string | Uint8Array): string => scratch.file(content);
  const json = (v: unknown): string => file(JSON.stringify(v));
  const config = json(verifying(keys));
  const cases: ReplayCase[] = [];
  const tok = (claims: NetworkClaims, reflect: 0 | 1 = 0, key = keys.key) => token(key, { exp: T0 + 3600, ...claims }, reflect);

  // ---- real traffic: STUN, Hop-by-Hop, Destination options and no token, through the Linux stack.
  if (o.netns) {
    const now = Math.floor(Date.now() / 1000);
    const real = (claims: NetworkClaims, reflect: 0 | 1 = 0, key = keys.key) => hex(token(key, { exp: now + 30 * 86400, iat: now, ...claims }, reflect));
    const manifest: NetnsFlow[] = [
      { name: 'call6', family: 6, carrier: 'stun', token: real({ srv: 'call' }, 1), packets: 4, dscp: 46, reply: true },
      { name: 'call4', family: 4, carrier: 'stun', token: real({ srv: 'call', bip: '192.0.2.1' }), per_packet: true, packets: 3, dscp: 34 },
      { name: 'hbh6', family: 6, carrier: 'hbh', token: real({ sid: 7 }, 1), packets: 4, reply: true },
      { name: 'dst6', family: 6, carrier: 'dstopts', token: real({ srv: 9, bip: '2001:db8::/64' }), per_packet: true, packets: 3, dscp: 10 },
      { name: 'plain4', family: 4, carrier: 'none', packets: 3, dscp: 46, reply: true, dport: 5006 },
      { name: 'forged6', family: 6, carrier: 'hbh', token: real({ srv: 'call' }, 0, keys.impostor), packets: 2 },
      { name: 'elsewhere6', family: 6, carrier: 'dstopts', token: real({ srv: 'call', bip: '2001:db8::99' }), packets: 2 },
      { name: 'nosuch4', family: 4, carrier: 'stun', token: real({ srv: 'nosuch' }), packets: 2, dport: 3479 },
    ].map((f) => ({ interval_ms: 2, ...f }) as NetnsFlow);
    let pcap: string | undefined;
    try {
      pcap = netnsCapture(scratch.dir, manifest);
    } catch (e) {
      cases.push({ name: 'netns capture', command: 'replay', args: [], error: (e as Error).message });
    }
    if (pcap !== undefined) {
      const codes = ['ok', 'washed', 'bad-mac', 'wrong-binding', 'unknown-service'];
      cases.push(
        { name: 'netns capture (STUN, HBH, DSTOPTS, no token; Ethernet pcap)', command: 'replay', args: [pcap, '--config', config, '--json'], codes },
        { name: 'netns capture, human output', command: 'replay', args: [pcap, '--config', config] },
        // A month later every token has expired.
        { name: 'netns capture at --now a month later', command: 'replay', args: [pcap, '--config', config, '--now', String(now + 31 * 86400), '--json'], codes: ['expired'] },
        { name: 'netns capture with the LAN configured', command: 'replay', args: [pcap, '--config', json(verifying(keys, { lan: ['192.0.2.1/32', '2001:db8::1/128'] })), '--json'] },
      );
    }
  }

  // ---- Ethernet with VLAN tags (pcap, big-endian, µs).
  const v6token = ipv6Udp({ src: '2001:db8:1::10', dst: '2001:db8:2::1', sport: 40000, dport: 5683, carrier: 'hbh', token: tok({ srv: 'call' }) });
  const v4stun = (t?: Uint8Array, sport = 40001) => ipv4Udp({ src: '10.1.0.10', dst: '203.0.113.5', sport, dport: 3478, payload: stunBindingRequest(t) });
  const v4plain = (dscp: number, sport = 40002) => ipv4Udp({ src: '10.1.0.11', dst: '203.0.113.6', sport, dport: 5004, dscp });
  const ether = [
    ethernet(ETH_IPV4, v4plain(46)),
    ethernet(ETH_IPV6, v6token, [[0x8100, 10]]),
    ethernet(ETH_IPV4, v4stun(tok({ srv: 'iot' })), [[0x88a8, 100], [0x8100, 20]]),
    ethernet(ETH_IPV4, v4plain(46)),
    ethernet(0x0806, new Uint8Array(28)),
    ethernet(ETH_IPV4, v4plain(0, 40003)).subarray(0, 10),
    ethernet(ETH_IPV6, v6token, [[0x8100, 10]]),
  ];
  cases.push({
    name: 'Ethernet with 802.1Q and QinQ tags (pcap, big-endian, µs)', command: 'replay',
    args: [file(pcapFile(LINKTYPE.ETHERNET, records(ether), { bigEndian: true })), '--config', config, '--json'],
    codes: ['ok', 'washed', 'bad-packet'],
  });

  // ---- Linux cooked captures, v1 (pcap ns) and v2 (pcapng).
  const cooked = [
    linuxSll(ETH_IPV4, v4plain(34, 40010)),
    linuxSll(ETH_IPV6, ipv6Udp({ src: '2001:db8:1::11', dst: '2001:db8:2::1', sport: 40011, dport: 5000, carrier: 'dstopts', token: tok({ srv: 9 }) })),
    linuxSll(0x8100, concat(new Uint8Array([0, 30, 0x08, 0x00]), v4stun(tok({ srv: 'call' }), 40012))),
    linuxSll(ETH_IPV4, v4plain(34, 40010)),
    linuxSll(ETH_IPV4, new Uint8Array(4)).subarray(0, 12),
  ];
  cases.push({
    name: 'Linux cooked capture (SLL, pcap ns)', command: 'replay',
    args: [file(pcapFile(LINKTYPE.LINUX_SLL, records(cooked, true), { nanosecond: true })), '--config', config, '--json'],
    codes: ['ok', 'washed'],
  });
  const sll2 = new PcapngSection(true).interface(LINKTYPE.LINUX_SLL2, { tsresol: 9 });
  [linuxSll2(ETH_IPV6, v6token), linuxSll2(ETH_IPV4, v4plain(46, 40020)), linuxSll2(ETH_IPV4, v4stun(undefined, 40021))]
    .forEach((p, i) => sll2.packet(0, BigInt(T0 + i) * 1_000_000_000n + 123_456_789n, p));
  cases.push({ name: 'Linux cooked capture v2 (SLL2, pcapng)', command: 'replay', args: [file(sll2.bytes()), '--config', config, '--json'], codes: ['ok', 'washed', 'no-token'] });

  // ---- pcapng: sections of both byte orders, several interfaces and resolutions, every packet block, blocks to skip.
  const ng = concat(
    new PcapngSection(true)
      .interface(LINKTYPE.ETHERNET, { name: 'eth0' })
      .interface(LINKTYPE.RAW, { tsresol: 9, snaplen: 65535 })
      .other(0x00000bad, new Uint8Array([1, 2, 3, 4, 5]))
      .packet(0, BigInt(T0) * 1_000_000n + 1n, ethernet(ETH_IPV6, v6token))
      .packet(1, BigInt(T0) * 1_000_000_000n + 999_999_999n, v4plain(46, 40030))
      .simple(ethernet(ETH_IPV4, v4plain(46, 40030)))
      .packet(1, BigInt(T0 + 1) * 1_000_000_000n, v4stun(tok({ srv: 'iot' }), 40031), true)
      .other(4, new Uint8Array(8))
      .bytes(),
    new PcapngSection(false)
      .interface(LINKTYPE.IPV6, { tsresol: 0x8a, tsoffset: 7n }) // 2^-10 s, 7 s later
      .interface(LINKTYPE.IPV4, { tsresol: 3 }) // ms
      .interface(LINKTYPE.IPV4, { tsresol: 12 }) // ps
      .packet(0, BigInt(T0 - 7) * 1024n + 1023n, v6token)
      .packet(1, BigInt(T0) * 1000n + 2n, v4plain(34, 40032))
      .packet(2, 1_000_000n * 1_000_000_000_000n + 123_456_789_999n, v4plain(34, 40032))
      .bytes(),
    new PcapngSection(true)
      .interface(LINKTYPE.IPV4, { snaplen: 40, tsresol: 0x80 }) // whole seconds; Simple Packet Blocks cut at 40 bytes
      .simple(v4plain(0, 40033), v4plain(0, 40033).length)
      .packet(0, BigInt(T0 + 2), v4plain(0, 40033))
      .bytes(),
  );
  cases.push(
    { name: 'pcapng: both byte orders, resolutions, EPB, SPB, Packet Block, skipped blocks', command: 'replay', args: [file(ng), '--config', config, '--json'], codes: ['ok', 'washed'] },
    { name: 'pcapng, human output', command: 'replay', args: [file(ng), '--config', config] },
  );

  // ---- malformed packets among good ones (raw IP).
  const next = pseudoRandom(0x6e746f6b);
  const good = v4plain(46, 40040);
  const badVersion = good.slice();
  badVersion[0] = 0x75;
  const shortIhl = good.slice();
  shortIhl[0] = 0x44;
  const overrun = ipv6Udp({ src: '2001:db8:1::12', dst: '2001:db8:2::1', sport: 40041, dport: 5683, carrier: 'hbh', token: tok({ srv: 'call' }) });
  overrun[41] = 200; // the option's length runs past its header
  const malformed = [
    new Uint8Array(0),
    good.subarray(0, 10),
    badVersion,
    shortIhl,
    good.subarray(0, 30), // total length says more
    v6token.subarray(0, 30),
    bytesOf(64, next),
    bytesOf(1500, next),
    overrun,
    concat(new Uint8Array([0x45]), bytesOf(69_999, next)), // beyond the core's 64 KiB input buffer
    good,
    v6token,
    bytesOf(7, next),
  ];
  cases.push({
    name: 'malformed packets (truncated, bad IP version, garbage, larger than the input buffer)', command: 'replay',
    args: [file(pcapFile(LINKTYPE.RAW, records(malformed))), '--config', config, '--json'],
    codes: ['bad-packet', 'washed', 'ok'],
  });
  cases.push({
    name: 'an unsupported link type', command: 'replay',
    args: [file(pcapFile(147, records([good, v6token]))), '--config', config, '--json'],
  });

  // ---- tagging: ntokd tag attaches the rules' tokens to upstream packets; the tagged capture then verifies.
  const tagging = json({
    ...verifying(keys),
    gateway: {
      mtu: 1500,
      tagging: [
        { source: '2001:db8:5::/64', proto: 'udp', port: 5683, token: hex(tok({ srv: 'iot', bip: '2001:db8:5::/64' })), carrier: 'hbh', per_packet: true },
        { source: '2001:db8:6::/64', proto: 'udp', port: 5684, token: hex(tok({ srv: 'call' }, 1)), carrier: 'dstopts' },
        { source: '10.0.6.0/24', proto: 'udp', port: 3478, token: hex(tok({ srv: 'call' })), carrier: 'stun' },
        { source: '2001:db8:7::/64', proto: 'any', token: hex(tok({ srv: 'call' })), carrier: 'hbh', per_packet: true },
      ],
    },
  });
  const lan = [
    ...[0, 1, 2].map(() => ipv6Udp({ src: '2001:db8:5::10', dst: '2001:db8:ff::1', sport: 50000, dport: 5683 })),
    ...[0, 1].map(() => ipv6Udp({ src: '2001:db8:6::10', dst: '2001:db8:ff::1', sport: 50001, dport: 5684, dscp: 46 })),
    ...[1, 2].map((t) => ipv4Udp({ src: '10.0.6.10', dst: '203.0.113.1', sport: 50002, dport: 3478, payload: stunBindingRequest(undefined, t) })),
    ipv6Udp({ src: '2001:db8:7::10', dst: '2001:db8:ff::1', sport: 50003, dport: 9, payload: new Uint8Array(1440) }), // too large to tag
    ipv6Udp({ src: '2001:db8:7::10', dst: '2001:db8:ff::1', sport: 50003, dport: 9 }),
    ipv6Udp({ src: '2001:db8:9::10', dst: '2001:db8:ff::1', sport: 50004, dport: 5683 }), // no rule
  ];
  const lanPcap = file(pcapFile(LINKTYPE.RAW, records(lan)));
  const tagged = file(new Uint8Array(0)); // filled by the suite: the TS host's --out of the tag case
  cases.push(
    { name: 'ntokd tag with hbh, dstopts and STUN rules', command: 'tag', args: [lanPcap, '--config', tagging, '--json'] },
    { name: 'ntokd tag, human output', command: 'tag', args: [lanPcap, '--config', tagging] },
    { name: 'the tagged capture verifies', command: 'replay', args: [tagged, '--config', config, '--json'], codes: ['ok'] },
  );

  // ---- drops: an allow-listed device needs a token for a service with allow; dropped packets are not forwarded.
  const allow = json(verifying(keys, { allowlist: ['10.9.0.0/24'] }));
  const devices = [
    ipv4Udp({ src: '10.9.0.5', dst: '203.0.113.9', sport: 40050, dport: 5004 }),
    ipv4Udp({ src: '10.9.0.6', dst: '203.0.113.9', sport: 40051, dport: 3478, payload: stunBindingRequest(tok({ srv: 'iot' })) }),
    ipv4Udp({ src: '203.0.113.9', dst: '10.9.0.6', sport: 3478, dport: 40051 }),
    ipv4Udp({ src: '10.9.0.7', dst: '203.0.113.9', sport: 40052, dport: 3478, payload: stunBindingRequest(tok({ srv: 'call' })) }),
    ipv4Udp({ src: '10.9.0.5', dst: '203.0.113.9', sport: 40050, dport: 5004 }),
  ];
  cases.push({ name: 'an allow-listed device without a token is dropped', command: 'replay', args: [file(pcapFile(LINKTYPE.IPV4, records(devices))), '--config', allow, '--json'], codes: ['not-allowed', 'ok'] });

  // ---- empty captures.
  cases.push(
    { name: 'an empty pcap', command: 'replay', args: [file(pcapFile(LINKTYPE.ETHERNET, [])), '--config', config, '--json'] },
    { name: 'an empty pcapng (section header only)', command: 'replay', args: [file(new PcapngSection(true).bytes()), '--config', config, '--json'] },
    { name: 'an empty pcapng, human output', command: 'replay', args: [file(new PcapngSection(false).interface(1).bytes()), '--config', config] },
  );

  // ---- what the TS host refuses to write (it throws: exit 1, nothing printed).
  cases.push(
    { name: 'a packet time before 1970 cannot be written', command: 'replay', code: 1,
      args: [file(new PcapngSection(true).interface(LINKTYPE.RAW, { tsoffset: -(2n ** 40n) }).packet(0, 5n, good).bytes()), '--config', config, '--json'] },
    { name: 'a pcap link type above 65535 cannot be written', command: 'replay', code: 1,
      args: [file(pcapFile(0x10001, records([good]))), '--config', config, '--json'] },
  );

  // ---- a rejected configuration, unreadable and broken files, bad usage: exit 2.
  const pcap = file(pcapFile(LINKTYPE.RAW, records([good])));
  const refused: [string, string[]][] = [
    ['a configuration the core refuses', [pcap, '--config', json({ gateway: { flows: { capacity: 0 } } })]],
    ['a configuration that is not JSON', [pcap, '--config', file('{"services": [')]],
    ['a configuration larger than the input buffer', [pcap, '--config', file(`{"comment":"${'x'.repeat(70_000)}"}`)]],
    ['a missing configuration file', [pcap, '--config', `${scratch.dir}/missing.json`]],
    ['a missing capture', [`${scratch.dir}/missing.pcap`, '--config', config]],
    ['no capture', ['--config', config]],
    ['two captures', [pcap, pcap, '--config', config]],
    ['no --config', [pcap]],
    ['an empty --config', [pcap, '--config=']],
    ['an unknown option', [pcap, '--config', config, '--bogus']],
    ['--json with a value', [pcap, '--config', config, '--json=yes']],
    ['--now that is not a number', [pcap, '--config', config, '--now', 'soon']],
    ['--now without a value', [pcap, '--config', config, '--now']],
    ['--out that looks like an option', [pcap, '--config', config, '--out', '-x']],
    ['a file of 3 bytes', [file(new Uint8Array([0xd4, 0xc3, 0xb2])), '--config', config]],
    ['a file that is no capture', [file('hello, world\n'), '--config', config]],
    ['a pcap of the modified libpcap', [file(new Uint8Array([0x34, 0xcd, 0xb2, 0xa1, ...new Uint8Array(20)])), '--config', config]],
    ['a pcap header cut short', [file(pcapFile(1, []).subarray(0, 20)), '--config', config]],
    ['a pcap of version 3', [file(pcapFile(1, [], { major: 3 })), '--config', config]],
    ['a pcap record cut short', [file(pcapFile(LINKTYPE.RAW, records([good])).subarray(0, 50)), '--config', config]],
    ['a pcap record header cut short', [file(pcapFile(LINKTYPE.RAW, records([good])).subarray(0, 30)), '--config', config]],
    ['a pcap µs fraction of a second or more', [file(pcapFile(LINKTYPE.RAW, [{ data: good, sec: T0, fraction: 1_000_000 }])), '--config', config]],
    ['a pcap record above the packet size limit', [file(concat(pcapFile(LINKTYPE.RAW, []), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 4, 0, 1, 0, 4, 0]))), '--config', config]],
    ['a pcapng block cut short', [file(ng.subarray(0, ng.length - 6)), '--config', config]],
    ['a pcapng packet of an undeclared interface', [file(new PcapngSection(true).interface(1).packet(1, 0n, good).bytes()), '--config', config]],
    ['a pcapng Simple Packet Block before any interface', [file(new PcapngSection(false).simple(good).bytes()), '--config', config]],
    ['a pcapng of version 2', [file((() => { const b = new PcapngSection(true).bytes(); b[12] = 2; return b; })()), '--config', config]],
    ['a pcapng if_tsresol of two bytes', [file((() => { const s = new PcapngSection(true).interface(1, { tsresol: 6 }).bytes(); s[28 + 18] = 2; return s; })()), '--config', config]],
  ];
  for (const [name, args] of refused) cases.push({ name, command: 'replay', args: [...args, '--json'], code: 2 });
  for (const pages of ['0', '65537', '1.5', 'many', '1']) { // 1: below the module's own 2 pages
    cases.push({ name: `--max-pages ${pages} is refused`, command: 'replay', args: [pcap, '--config', config, '--max-pages', pages, '--json'], code: 2 });
  }
  cases.push({ name: 'tag without --out', command: 'tag', args: [pcap, '--config', config, '--json'], code: 2, out: false });

  // ---- a configuration that is not valid UTF-8: read as text (U+FFFD for each bad sequence), as the TS host reads it.
  const utf8 = (t: string) => new TextEncoder().encode(t);
  const badText = file(concat(
    utf8(`{"keysets":{"default":{"keys":[${JSON.stringify(keys.key)}]}},"services":[{"name":"ca`),
    new Uint8Array([0xc3, 0x28, 0xe0, 0x80, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98, 0xff, 0xc0, 0xaf]),
    utf8('ll\u00e9","id":1,"dscp":46}]}'),
  ));
  const sid1 = ipv6Udp({ src: '2001:db8:1::13', dst: '2001:db8:2::1', sport: 40060, dport: 5683, carrier: 'hbh', token: tok({ sid: 1 }) });
  cases.push(
    { name: 'a configuration with invalid UTF-8 is read as text', command: 'replay', args: [file(pcapFile(LINKTYPE.RAW, records([sid1]))), '--config', badText, '--json'], codes: ['ok'] },
    { name: 'a configuration with invalid UTF-8, human output', command: 'replay', args: [file(pcapFile(LINKTYPE.RAW, records([sid1]))), '--config', badText] },
  );

  // ---- traps: a core that runs out of memory under --max-pages (a board's wasm_pages) traps; both hosts
  // answer the packet host-error (accepted, unmarked, unchanged), replace the instance and go on.
  // Each check of a token against the revocation list leaves its id as hex text until the core collects
  // garbage (every 64 verifications): with 900-byte ids, 5 pages hold about 30 of them, so the core
  // traps every 30 or so new tokens. Flows decided before a trap are lost with the instance: their later
  // packets start new flows (here: washed, DSCP 46 without a token).
  const trapConfig = json({
    ...verifying(keys, {
      flows: { capacity: 1024 },
      token_cache: 64,
      rate_limit: { per_second: 1e6, burst: 1e6, per_source_per_second: 1e6, per_source_burst: 1e6 },
    }),
    revoked: [1],
  });
  const longId = (i: number) => i.toString(16).padStart(8, '0').repeat(225); // 900 bytes
  const trapPackets: Uint8Array[] = [];
  for (let i = 0; i < 100; i++) {
    trapPackets.push(v4stun(tok({ srv: 'call', cti: longId(i) }), 41000 + i));
    trapPackets.push(ipv4Udp({ src: '203.0.113.5', dst: '10.1.0.10', sport: 3478, dport: 41000 + i, dscp: 46 }));
  }
  for (let i = 0; i < 8; i++) trapPackets.push(ipv4Udp({ src: '10.1.0.10', dst: '203.0.113.5', sport: 41000 + i, dport: 3478, dscp: 46 }));
  const trapPcap = file(pcapFile(LINKTYPE.RAW, records(trapPackets)));
  // A flow table of 64 MiB under a ceiling of 2 MiB: every packet traps at the table's allocation; status
  // (the human output) still answers, from the configuration.
  const hugeTable = json(verifying(keys, { flows: { capacity: 1_048_576 } }));
  const fewPackets = file(pcapFile(LINKTYPE.RAW, records([v4stun(tok({ srv: 'call' }), 41200), v4plain(46, 41201), v4plain(46, 41201), good])));
  cases.push(
    { name: 'traps mid-capture: revocation checks that outgrow --max-pages', command: 'replay', args: [trapPcap, '--config', trapConfig, '--max-pages', '5', '--json'], codes: ['ok', 'host-error', 'washed'] },
    { name: 'traps mid-capture, human output', command: 'replay', args: [trapPcap, '--config', trapConfig, '--max-pages', '5'] },
    { name: 'the same capture without a memory ceiling: no trap', command: 'replay', args: [trapPcap, '--config', trapConfig, '--json'], codes: ['ok'] },
    { name: 'a flow table larger than --max-pages: every packet traps', command: 'replay', args: [fewPackets, '--config', hugeTable, '--max-pages', '32', '--json'], codes: ['host-error'] },
    { name: 'a flow table larger than --max-pages, human output', command: 'replay', args: [fewPackets, '--config', hugeTable, '--max-pages', '32'] },
    { name: 'a flow table larger than --max-pages, tag', command: 'tag', args: [fewPackets, '--config', hugeTable, '--max-pages', '32', '--json'], codes: ['host-error'] },
  );

  // ---- memory: distinct flows far beyond the flow table's default capacity (16,384): evictions, no trap.
  if (o.bigFlows > 0) {
    const big: PcapRecord[] = [];
    const template = ipv4Udp({ src: '10.0.0.2', dst: '10.0.0.1', sport: 1, dport: 5000, payload: new Uint8Array(4) });
    for (let i = 0; i < o.bigFlows; i++) {
      const p = template.slice();
      const sport = 1024 + (i % 60000);
      const dport = 5000 + Math.floor(i / 60000);
      p[20] = sport >> 8;
      p[21] = sport & 0xff;
      p[22] = dport >> 8;
      p[23] = dport & 0xff;
      big.push({ data: p, sec: T0 + Math.floor(i / 1000), fraction: (i % 1000) * 1000 });
    }
    cases.push({ name: `${o.bigFlows} distinct flows at the default flow capacity`, command: 'replay', args: [file(pcapFile(LINKTYPE.RAW, big)), '--config', file('{}'), '--json'], codes: ['no-token'] });
  }
  return cases;
}

/** The tag case whose --out feeds "the tagged capture verifies" (its capture argument). */
export function taggedInput(cases: ReplayCase[]): { from: ReplayCase; to: ReplayCase } {
  const from = cases.find((c) => c.name === 'ntokd tag with hbh, dstopts and STUN rules')!;
  const to = cases.find((c) => c.name === 'the tagged capture verifies')!;
  return { from, to };
}

/**
 * Captures that are broken in many small ways: a valid file cut at every
 * few bytes and with bytes of its headers flipped. Both hosts must accept or
 * refuse each alike.
 */
export function mutatedCaptures(): Uint8Array[] {
  const next = pseudoRandom(7);
  const v4 = ipv4Udp({ src: '10.1.0.10', dst: '203.0.113.5', sport: 1, dport: 2 });
  const bases = [
    pcapFile(LINKTYPE.RAW, records([v4, v4])),
    pcapFile(LINKTYPE.RAW, records([v4, v4]), { bigEndian: true, nanosecond: true }),
    new PcapngSection(true).interface(LINKTYPE.RAW, { tsresol: 9 }).packet(0, 1n, v4).simple(v4).bytes(),
    new PcapngSection(false).interface(LINKTYPE.RAW, { tsoffset: 3n }).packet(0, 1n, v4, true).simple(v4).bytes(),
  ];
  const out: Uint8Array[] = [];
  for (const base of bases) {
    for (let cut = 1; cut < base.length; cut += 9) out.push(base.subarray(0, cut));
    for (let k = 0; k < 16; k++) {
      const m = base.slice();
      const pos = (next() << 8 | next()) % Math.min(m.length, 64);
      m[pos] = next();
      out.push(m);
    }
  }
  return out;
}
