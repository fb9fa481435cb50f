// Capture files for the replay suites (test/conformance, test/boards), built
// from bytes: packets (IPv4/IPv6 UDP, IPv6 Hop-by-Hop and Destination
// options carrying a token, STUN Binding Requests with the token attribute),
// link layers (Ethernet with VLAN tags, Linux cooked v1 and v2), and pcap /
// pcapng files written here field by field, so that the readers of both hosts
// are fed byte orders, resolutions and blocks the TS writer never produces.
// Also the real-traffic capture of test/netns/make-captures.sh.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './host-runs.js';

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const u16 = (n: number): Uint8Array => new Uint8Array([(n >>> 8) & 0xff, n & 0xff]);
export const u32 = (n: number): Uint8Array => new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
export const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));

/** RFC 1071 one's-complement sum. */
function internetChecksum(...parts: Uint8Array[]): number {
  const bytes = concat(...parts);
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export const ipv4Bytes = (text: string): Uint8Array => new Uint8Array(text.split('.').map(Number));

function ipv6Bytes(text: string): Uint8Array {
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return concat(...groups.map((g) => u16(parseInt(g, 16))));
}

function udp(pseudo: Uint8Array, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const header = concat(u16(sport), u16(dport), u16(8 + payload.length), u16(0));
  header.set(u16(internetChecksum(pseudo, header, payload) || 0xffff), 6);
  return concat(header, payload);
}

export interface UdpOptions {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  payload?: Uint8Array;
  dscp?: number;
  /** The two ECN bits below the DSCP (RFC 3168 §5). */
  ecn?: number;
}

const DEFAULT_PAYLOAD = new TextEncoder().encode('ntok replay test payload');

/** RFC 791 header without options, then RFC 768 UDP. */
export function ipv4Udp(o: UdpOptions): Uint8Array {
  const s = ipv4Bytes(o.src);
  const d = ipv4Bytes(o.dst);
  const payload = o.payload ?? DEFAULT_PAYLOAD;
  const segment = udp(concat(s, d, u16(17), u16(8 + payload.length)), o.sport, o.dport, payload);
  const header = concat(new Uint8Array([0x45, ((o.dscp ?? 0) << 2) | (o.ecn ?? 0)]), u16(20 + segment.length), u16(0x1234), u16(0x4000),
    new Uint8Array([64, 17]), u16(0), s, d);
  header.set(u16(internetChecksum(header)), 10);
  return concat(header, segment);
}

export type Ipv6Carrier = 'hbh' | 'dstopts';

/**
 * RFC 8200 fixed header, optionally a Hop-by-Hop or Destination Options
 * header holding option 0x1F with the token (padded to 8 with PadN), then UDP.
 */
export function ipv6Udp(o: UdpOptions & { carrier?: Ipv6Carrier; token?: Uint8Array }): Uint8Array {
  const s = ipv6Bytes(o.src);
  const d = ipv6Bytes(o.dst);
  const payload = o.payload ?? DEFAULT_PAYLOAD;
  const segment = udp(concat(s, d, u32(8 + payload.length), u32(17)), o.sport, o.dport, payload);
  let ext: Uint8Array = new Uint8Array(0);
  if (o.carrier && o.token) {
    const option = concat(new Uint8Array([0x1f, o.token.length]), o.token);
    const length = (2 + option.length + 7) & ~7;
    const pad = length - 2 - option.length;
    const padding = pad === 0 ? new Uint8Array(0) : pad === 1 ? new Uint8Array([0]) : concat(new Uint8Array([1, pad - 2]), new Uint8Array(pad - 2));
    ext = concat(new Uint8Array([17, length / 8 - 1]), option, padding);
  }
  const next = ext.length === 0 ? 17 : o.carrier === 'hbh' ? 0 : 60;
  const tclass = ((o.dscp ?? 0) << 2) | (o.ecn ?? 0);
  return concat(u32((6 << 28) | (tclass << 20)), u16(ext.length + segment.length), new Uint8Array([next, 64]), s, d, ext, segment);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function stunAttribute(type: number, value: Uint8Array): Uint8Array {
  return concat(u16(type), u16(value.length), value, new Uint8Array((4 - (value.length % 4)) % 4));
}

/**
 * RFC 8489 Binding Request: SOFTWARE, the token attribute (0x8030) when
 * given, FINGERPRINT last (CRC-32 ^ 0x5354554e over the message up to it).
 */
export function stunBindingRequest(token?: Uint8Array, transaction = 1): Uint8Array {
  const attrs = concat(stunAttribute(0x8022, new TextEncoder().encode('ntok test')), token ? stunAttribute(0x8030, token) : new Uint8Array(0));
  const id = concat(u32(0x6e746f6b), u32(0), u32(transaction));
  const head = concat(u16(0x0001), u16(attrs.length + 8), u32(0x2112a442), id);
  const crc = (crc32(concat(head, attrs)) ^ 0x5354554e) >>> 0;
  return concat(head, attrs, stunAttribute(0x8028, u32(crc)));
}

const MAC_A = new Uint8Array([0x02, 0, 0, 0, 0, 0x02]);
const MAC_B = new Uint8Array([0x02, 0, 0, 0, 0, 0x01]);

/** Ethernet II with 802.1Q / 802.1ad tags (outermost first): [tpid, vlan id]. */
export function ethernet(etherType: number, payload: Uint8Array, tags: [number, number][] = []): Uint8Array {
  return concat(MAC_A, MAC_B, ...tags.map(([tpid, vid]) => concat(u16(tpid), u16(vid))), u16(etherType), payload);
}

/** LINKTYPE_LINUX_SLL: packet type, ARPHRD, address length, 8 address bytes, protocol. */
export function linuxSll(protocol: number, payload: Uint8Array): Uint8Array {
  return concat(u16(4), u16(1), u16(6), MAC_B, u16(0), u16(protocol), payload);
}

/** LINKTYPE_LINUX_SLL2: protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes. */
export function linuxSll2(protocol: number, payload: Uint8Array): Uint8Array {
  return concat(u16(protocol), u16(0), u32(2), u16(1), new Uint8Array([4, 6]), MAC_B, u16(0), payload);
}

// ---------------------------------------------------------------- files

export interface PcapRecord {
  data: Uint8Array;
  sec: number;
  /** µs or ns, as the file's magic says. */
  fraction: number;
}

/** A pcap file: magic a1b2c3d4 (µs) or a1b23c4d (ns), in either byte order. */
export function pcapFile(linkType: number, records: PcapRecord[], o: { bigEndian?: boolean; nanosecond?: boolean; major?: number } = {}): Uint8Array {
  const le = !o.bigEndian;
  const head = new Uint8Array(24);
  const v = new DataView(head.buffer);
  v.setUint32(0, o.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, le);
  v.setUint16(4, o.major ?? 2, le);
  v.setUint16(6, 4, le);
  v.setUint32(16, 65535, le);
  v.setUint32(20, linkType, le);
  return concat(head, ...records.map((r) => {
    const out = new Uint8Array(16 + r.data.length);
    const w = new DataView(out.buffer);
    w.setUint32(0, r.sec, le);
    w.setUint32(4, r.fraction, le);
    w.setUint32(8, r.data.length, le);
    w.setUint32(12, r.data.length, le);
    out.set(r.data, 16);
    return out;
  }));
}

/** pcapng blocks of one byte order (draft-ietf-opsawg-pcapng §3.1, §4). */
export class PcapngSection {
  private readonly parts: Uint8Array[];

  constructor(private readonly le: boolean) {
    this.parts = [this.block(0x0a0d0d0a, this.fields([[0x1a2b3c4d, 4], [1, 2], [0, 2], [-1, 8]]))];
  }

  private fields(spec: [number | bigint, 2 | 4 | 8][]): Uint8Array {
    const out = new Uint8Array(spec.reduce((n, [, size]) => n + size, 0));
    const v = new DataView(out.buffer);
    let at = 0;
    for (const [value, size] of spec) {
      if (size === 2) v.setUint16(at, Number(value), this.le);
      else if (size === 4) v.setUint32(at, Number(value), this.le);
      else v.setBigInt64(at, BigInt(value), this.le);
      at += size;
    }
    return out;
  }

  private block(type: number, ...body: Uint8Array[]): Uint8Array {
    const content = concat(...body);
    const out = new Uint8Array(12 + ((content.length + 3) & ~3));
    const v = new DataView(out.buffer);
    v.setUint32(0, type, this.le);
    v.setUint32(4, out.length, this.le);
    out.set(content, 8);
    v.setUint32(out.length - 4, out.length, this.le);
    return out;
  }

  private option(code: number, value: Uint8Array): Uint8Array {
    const padded = new Uint8Array((value.length + 3) & ~3);
    padded.set(value);
    return concat(this.fields([[code, 2], [value.length, 2]]), padded);
  }

  /** An Interface Description Block; tsresol / tsoffset become if_tsresol (9) / if_tsoffset (14). */
  interface(linkType: number, o: { snaplen?: number; tsresol?: number; tsoffset?: bigint; name?: string } = {}): this {
    const options: Uint8Array[] = [];
    if (o.name !== undefined) options.push(this.option(2, new TextEncoder().encode(o.name)));
    if (o.tsresol !== undefined) options.push(this.option(9, new Uint8Array([o.tsresol])));
    if (o.tsoffset !== undefined) options.push(this.option(14, this.fields([[o.tsoffset, 8]])));
    if (options.length) options.push(new Uint8Array(4));
    this.parts.push(this.block(1, this.fields([[linkType, 2], [0, 2], [o.snaplen ?? 0, 4]]), ...options));
    return this;
  }

  /** An Enhanced Packet Block (type 6), or with `obsolete` the Packet Block of Appendix A (type 2). */
  packet(iface: number, ticks: bigint, data: Uint8Array, obsolete = false): this {
    const head: [number | bigint, 2 | 4 | 8][] = obsolete ? [[iface, 2], [0, 2]] : [[iface, 4]];
    this.parts.push(this.block(obsolete ? 2 : 6, this.fields([...head, [ticks >> 32n, 4], [ticks & 0xffffffffn, 4], [data.length, 4], [data.length, 4]]), data));
    return this;
  }

  /** A Simple Packet Block: the section's first interface, no timestamp. */
  simple(data: Uint8Array, originalLength = data.length): this {
    this.parts.push(this.block(3, this.fields([[originalLength, 4]]), data));
    return this;
  }

  /** A block readers skip (§3.1), e.g. a Name Resolution or a custom block. */
  other(type: number, body: Uint8Array): this {
    this.parts.push(this.block(type, body));
    return this;
  }

  bytes(): Uint8Array {
    return concat(...this.parts);
  }
}

// ---------------------------------------------------------------- netns

export interface NetnsFlow {
  name: string;
  family: 4 | 6;
  carrier: 'stun' | 'hbh' | 'dstopts' | 'none';
  token?: string;
  per_packet?: boolean;
  packets: number;
  dscp?: number;
  reply?: boolean;
  dport?: number;
  interval_ms?: number;
}

/**
 * Real Linux-stack traffic (test/netns/make-captures.sh): the flows of
 * `manifest` between two namespaces, captured by tcpdump on the server
 * (Ethernet, pcap µs). Needs root, iproute2, python3 and tcpdump.
 */
export function netnsCapture(dir: string, manifest: NetnsFlow[]): string {
  if (process.getuid?.() !== 0) throw new Error('the netns capture needs root (network namespaces, CAP_NET_RAW)');
  const file = join(dir, 'netns-manifest.json');
  const out = join(dir, 'netns-out');
  writeFileSync(file, JSON.stringify(manifest));
  const r = spawnSync('bash', [join(REPO, 'test/netns/make-captures.sh'), file, out], { encoding: 'utf8', timeout: 60_000 });
  if (r.error || r.status !== 0) throw new Error(`make-captures.sh failed (${r.error?.message ?? r.status}):\n${r.stderr}`);
  const flows = JSON.parse(readFileSync(join(out, 'flows.json'), 'utf8')) as { flows: { name: string }[] };
  if (flows.flows.length !== manifest.length) throw new Error('make-captures.sh: flows.json does not list every flow');
  return join(out, 'capture.pcap');
}
