/**
 * Capture file I/O. Our writers are checked by tshark (it must dissect the
 * same fields we put in), our reader by files tshark's tools wrote
 * (text2pcap, editcap, mergecap, tshark -w), and both by byte layouts built
 * by hand here from draft-ietf-opsawg-pcap / -pcapng, never with the code
 * under test. The tool tests need tshark: they fail, not skip, without it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CaptureError,
  LINKTYPE,
  readCapture,
  readPcap,
  readPcapng,
  writePcap,
  writePcapng,
  type Capture,
  type CaptureErrorCode,
} from '../../src/pcap/index.js';
// Packets and link layers built by hand (shared with the replay suites).
import { concat, ethernet, ipv4Bytes, ipv4Udp, ipv6Udp, linuxSll, linuxSll2, u16, u32 } from '../support/captures.js';

const dir = mkdtempSync(join(tmpdir(), 'ntok-pcap-test-'));
let fileCounter = 0;

function tempFile(name: string, bytes?: Uint8Array): string {
  const file = join(dir, `${fileCounter++}-${name}`);
  if (bytes) writeFileSync(file, bytes);
  return file;
}

// ---------------------------------------------------------------- packets

const PAYLOAD = new TextEncoder().encode('ntok capture test');
const V4 = ipv4Udp({ src: '192.0.2.7', dst: '198.51.100.9', sport: 40000, dport: 3478, payload: PAYLOAD });
const V6 = ipv6Udp({ src: '2001:db8::7', dst: '2001:db8::9', sport: 40001, dport: 5349, payload: PAYLOAD });

interface Sample {
  name: string;
  linkType: number;
  data: Uint8Array;
  /** What tshark must report: source address (ip.src or ipv6.src) and UDP destination port. */
  src: string;
  dstPort: string;
  /** The first protocols of tshark's frame.protocols: proves it used our link type. */
  protocols: string;
}

const SAMPLES: Sample[] = [
  { name: 'ETHERNET', linkType: LINKTYPE.ETHERNET, data: ethernet(0x0800, V4), src: '192.0.2.7', dstPort: '3478', protocols: 'eth:ethertype:ip:udp' },
  { name: 'RAW (IPv4)', linkType: LINKTYPE.RAW, data: V4, src: '192.0.2.7', dstPort: '3478', protocols: 'raw:ip:udp' },
  { name: 'RAW (IPv6)', linkType: LINKTYPE.RAW, data: V6, src: '2001:db8::7', dstPort: '5349', protocols: 'raw:ipv6:udp' },
  { name: 'LINUX_SLL', linkType: LINKTYPE.LINUX_SLL, data: linuxSll(0x0800, V4), src: '192.0.2.7', dstPort: '3478', protocols: 'sll:ethertype:ip:udp' },
  { name: 'IPV4', linkType: LINKTYPE.IPV4, data: V4, src: '192.0.2.7', dstPort: '3478', protocols: 'ip:udp' },
  { name: 'IPV6', linkType: LINKTYPE.IPV6, data: V6, src: '2001:db8::7', dstPort: '5349', protocols: 'ipv6:udp' },
  { name: 'LINUX_SLL2', linkType: LINKTYPE.LINUX_SLL2, data: linuxSll2(0x86dd, V6), src: '2001:db8::7', dstPort: '5349', protocols: 'sll:ethertype:ipv6:udp' },
];

// ---------------------------------------------------------------- hand-built files

function fileHeaderPcap(le: boolean, magic: number, linkType: number, snaplen = 65535): Uint8Array {
  const out = new Uint8Array(24);
  const v = new DataView(out.buffer);
  v.setUint32(0, magic, le);
  v.setUint16(4, 2, le);
  v.setUint16(6, 4, le);
  v.setUint32(16, snaplen, le);
  v.setUint32(20, linkType, le);
  return out;
}

function recordPcap(le: boolean, sec: number, fraction: number, data: Uint8Array, originalLength = data.length): Uint8Array {
  const out = new Uint8Array(16 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, sec, le);
  v.setUint32(4, fraction, le);
  v.setUint32(8, data.length, le);
  v.setUint32(12, originalLength, le);
  out.set(data, 16);
  return out;
}

/** §3.1: type, total length, body padded to 4, total length. */
function block(le: boolean, type: number, ...body: Uint8Array[]): Uint8Array {
  const content = concat(...body);
  const padded = (content.length + 3) & ~3;
  const out = new Uint8Array(12 + padded);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, le);
  v.setUint32(4, out.length, le);
  out.set(content, 8);
  v.setUint32(out.length - 4, out.length, le);
  return out;
}

function fields(le: boolean, spec: [number, 2 | 4 | 8][]): Uint8Array {
  const out = new Uint8Array(spec.reduce((n, [, size]) => n + size, 0));
  const v = new DataView(out.buffer);
  let at = 0;
  for (const [value, size] of spec) {
    if (size === 2) v.setUint16(at, value, le);
    else if (size === 4) v.setUint32(at, value, le);
    else v.setBigInt64(at, BigInt(value), le);
    at += size;
  }
  return out;
}

function option(le: boolean, code: number, value: Uint8Array): Uint8Array {
  const padded = new Uint8Array((value.length + 3) & ~3);
  padded.set(value);
  return concat(fields(le, [[code, 2], [value.length, 2]]), padded);
}

const END_OF_OPTIONS = new Uint8Array(4);

function shb(le: boolean, major = 1): Uint8Array {
  return block(le, 0x0a0d0d0a, fields(le, [[0x1a2b3c4d, 4], [major, 2], [0, 2], [-1, 8]]));
}

function idb(le: boolean, linkType: number, snaplen: number, ...options: Uint8Array[]): Uint8Array {
  const opts = options.length ? concat(...options, END_OF_OPTIONS) : new Uint8Array(0);
  return block(le, 1, fields(le, [[linkType, 2], [0, 2], [snaplen, 4]]), opts);
}

function epb(le: boolean, iface: number, ticks: bigint, data: Uint8Array, originalLength = data.length): Uint8Array {
  return block(le, 6, fields(le, [
    [iface, 4], [Number(ticks >> 32n), 4], [Number(ticks & 0xffffffffn), 4], [data.length, 4], [originalLength, 4],
  ]), data);
}

function spb(le: boolean, originalLength: number, data: Uint8Array): Uint8Array {
  return block(le, 3, fields(le, [[originalLength, 4]]), data);
}

function codeOf(fn: () => unknown): CaptureErrorCode | 'no error' {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CaptureError, `expected a CaptureError, got ${String(e)}`);
    return e.code;
  }
  return 'no error';
}

function packetsOf(capture: Capture): { linkType: number; hex: string; tsSec: number; tsNsec: number; originalLength: number }[] {
  return capture.packets.map((p) => ({
    linkType: p.linkType,
    hex: Buffer.from(p.data).toString('hex'),
    tsSec: p.tsSec,
    tsNsec: p.tsNsec,
    originalLength: p.originalLength,
  }));
}

function hex(data: Uint8Array): string {
  return Buffer.from(data).toString('hex');
}

// ---------------------------------------------------------------- tools

const TSHARK_HINT = 'apt-get install tshark (it brings tshark, text2pcap, editcap and mergecap; CI must install it)';

function run(tool: string, args: string[]): string {
  const r = spawnSync(tool, args, { encoding: 'utf8', cwd: dir });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    assert.fail(`${tool} is not installed: ${TSHARK_HINT}`);
  }
  assert.equal(r.error, undefined, `${tool}: ${String(r.error)}`);
  assert.equal(r.status, 0, `${tool} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const TSHARK_FIELDS = ['frame.len', 'frame.cap_len', 'frame.time_epoch', 'frame.protocols', 'ip.src', 'ipv6.src', 'udp.dstport', 'frame.interface_id'];

interface TsharkFrame {
  len: string;
  capLen: string;
  epoch: string;
  protocols: string;
  src: string;
  dstPort: string;
  interfaceId: string;
}

function tshark(file: string): TsharkFrame[] {
  const out = run('tshark', ['-r', file, '-T', 'fields', ...TSHARK_FIELDS.flatMap((f) => ['-e', f])]);
  return out.split('\n').filter((line) => line !== '').map((line) => {
    const [len, capLen, epoch, protocols, ipSrc, ipv6Src, dstPort, interfaceId] = line.split('\t');
    return { len, capLen, epoch, protocols, src: ipSrc || ipv6Src, dstPort, interfaceId };
  });
}

/** tshark prints frame.time_epoch with 9 decimals: compare it digit for digit with tsSec/tsNsec. */
function epochOf(p: { tsSec: number; tsNsec: number }): string {
  return `${p.tsSec}.${String(p.tsNsec).padStart(9, '0')}`;
}

/** text2pcap's input: an offset-prefixed hex dump per packet, blank line between packets. */
function hexdump(packets: Uint8Array[]): string {
  return packets.map((p) => {
    const lines: string[] = [];
    for (let i = 0; i < p.length; i += 16) {
      const row = Array.from(p.subarray(i, i + 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
      lines.push(`${i.toString(16).padStart(6, '0')}  ${row}`);
    }
    return lines.join('\n') + '\n';
  }).join('\n');
}

function text2pcap(packets: Uint8Array[], args: string[], name: string): Uint8Array {
  const input = tempFile(`${name}.txt`);
  writeFileSync(input, hexdump(packets));
  const output = tempFile(name);
  run('text2pcap', ['-q', ...args, input, output]);
  return readFileSync(output);
}

const T0 = 1_700_000_000;

// ---------------------------------------------------------------- tests

describe('writePcap then readCapture', () => {
  for (const s of SAMPLES) {
    it(`round-trips a microsecond pcap of link type ${s.name}`, () => {
      const file = writePcap(s.linkType, [{ data: s.data, timestamp: T0 + 0.123456 }, { data: V4, timestamp: T0 + 1 }]);
      const capture = readCapture(file);
      assert.equal(capture.format, 'pcap');
      assert.deepEqual(capture.interfaces, [{ linkType: s.linkType, snaplen: 262144, tsResolution: 1e6 }]);
      assert.deepEqual(packetsOf(capture), [
        { linkType: s.linkType, hex: hex(s.data), tsSec: T0, tsNsec: 123_456_000, originalLength: s.data.length },
        { linkType: s.linkType, hex: hex(V4), tsSec: T0 + 1, tsNsec: 0, originalLength: V4.length },
      ]);
    });
  }

  it('round-trips nanosecond timestamps exactly in a nanosecond pcap', () => {
    const file = writePcap(LINKTYPE.RAW, [{ data: V4, tsSec: T0, tsNsec: 123_456_789 }, { data: V6, timestamp: 1.000000001 }], { nanosecond: true });
    assert.equal(new DataView(file.buffer).getUint32(0, true), 0xa1b23c4d);
    const capture = readCapture(file);
    assert.equal(capture.interfaces[0].tsResolution, 1e9);
    assert.deepEqual(capture.packets.map((p) => [p.tsSec, p.tsNsec]), [[T0, 123_456_789], [1, 1]]);
    assert.equal(capture.packets[0].timestamp, T0 + 0.123456789);
  });

  it('truncates microsecond pcap timestamps given in nanoseconds', () => {
    const capture = readCapture(writePcap(LINKTYPE.RAW, [{ data: V4, tsSec: 5, tsNsec: 999_999_999 }]));
    assert.deepEqual([capture.packets[0].tsSec, capture.packets[0].tsNsec], [5, 999_999_000]);
  });

  it('rounds a float timestamp to the nearest microsecond, carrying into the seconds', () => {
    const capture = readCapture(writePcap(LINKTYPE.RAW, [{ data: V4, timestamp: 7.9999999 }]));
    assert.deepEqual([capture.packets[0].tsSec, capture.packets[0].tsNsec], [8, 0]);
  });

  it('cuts packets at the snap length and keeps their original length', () => {
    const capture = readCapture(writePcap(LINKTYPE.RAW, [{ data: V4 }], { snaplen: 20 }));
    assert.equal(capture.interfaces[0].snaplen, 20);
    assert.deepEqual(hex(capture.packets[0].data), hex(V4.subarray(0, 20)));
    assert.equal(capture.packets[0].originalLength, V4.length);
  });

  it('writes timestamp 0 when none is given, so files are reproducible', () => {
    assert.deepEqual(writePcap(LINKTYPE.RAW, [{ data: V4 }]), writePcap(LINKTYPE.RAW, [{ data: V4 }]));
    assert.equal(readCapture(writePcap(LINKTYPE.RAW, [{ data: V4 }])).packets[0].timestamp, 0);
  });

  it('writes a file with no packets that reads back empty', () => {
    const capture = readCapture(writePcap(LINKTYPE.ETHERNET, []));
    assert.deepEqual(capture.packets, []);
    assert.equal(capture.interfaces[0].linkType, LINKTYPE.ETHERNET);
  });

  it('rejects a bad link type, snap length, timestamp or data with ERR_CAPTURE_OPTION_INVALID', () => {
    assert.equal(codeOf(() => writePcap(70000, [])), 'ERR_CAPTURE_OPTION_INVALID');
    assert.equal(codeOf(() => writePcap(1, [], { snaplen: 0 })), 'ERR_CAPTURE_OPTION_INVALID');
    assert.equal(codeOf(() => writePcap(1, [{ data: V4, timestamp: -1 }])), 'ERR_CAPTURE_OPTION_INVALID');
    assert.equal(codeOf(() => writePcap(1, [{ data: V4, timestamp: 2 ** 32 }])), 'ERR_CAPTURE_OPTION_INVALID');
    assert.equal(codeOf(() => writePcap(1, [{ data: V4, tsSec: 1, tsNsec: 1e9 }])), 'ERR_CAPTURE_OPTION_INVALID');
    assert.equal(codeOf(() => writePcap(1, [{ data: [1, 2] as unknown as Uint8Array }])), 'ERR_CAPTURE_OPTION_INVALID');
  });
});

describe('writePcapng then readCapture', () => {
  for (const s of SAMPLES) {
    it(`round-trips a pcapng of link type ${s.name}`, () => {
      const capture = readCapture(writePcapng([{ data: s.data, linkType: s.linkType, timestamp: T0 + 0.5 }]));
      assert.equal(capture.format, 'pcapng');
      assert.deepEqual(capture.interfaces, [{ linkType: s.linkType, snaplen: 262144, tsResolution: 1e6 }]);
      assert.deepEqual(packetsOf(capture), [
        { linkType: s.linkType, hex: hex(s.data), tsSec: T0, tsNsec: 500_000_000, originalLength: s.data.length },
      ]);
    });
  }

  it('writes one interface per distinct link type, in order of first use', () => {
    const capture = readCapture(writePcapng([
      { data: V6, linkType: LINKTYPE.IPV6 },
      { data: V4, linkType: LINKTYPE.IPV4 },
      { data: V6, linkType: LINKTYPE.IPV6 },
    ]));
    assert.deepEqual(capture.interfaces.map((i) => i.linkType), [LINKTYPE.IPV6, LINKTYPE.IPV4]);
    assert.deepEqual(capture.packets.map((p) => [p.interfaceId, p.linkType]), [[0, 229], [1, 228], [0, 229]]);
  });

  it('writes if_tsresol 9 and keeps nanoseconds when asked', () => {
    const capture = readCapture(writePcapng([{ data: V4, linkType: LINKTYPE.RAW, tsSec: T0, tsNsec: 987_654_321 }], { nanosecond: true }));
    assert.equal(capture.interfaces[0].tsResolution, 1e9);
    assert.deepEqual([capture.packets[0].tsSec, capture.packets[0].tsNsec], [T0, 987_654_321]);
  });

  it('pads packet data to 4 bytes and cuts it at the snap length', () => {
    const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7]);
    const file = writePcapng([{ data, linkType: LINKTYPE.RAW }], { snaplen: 5 });
    assert.equal(file.length % 4, 0);
    const p = readCapture(file).packets[0];
    assert.deepEqual([...p.data], [1, 2, 3, 4, 5]);
    assert.equal(p.originalLength, 7);
  });

  it('reads back a packet it read, with the same bytes and exact timestamp', () => {
    const first = readCapture(writePcapng([{ data: V6, linkType: LINKTYPE.IPV6, tsSec: T0, tsNsec: 1 }], { nanosecond: true }));
    const again = readCapture(writePcapng(first.packets, { nanosecond: true }));
    assert.deepEqual(packetsOf(again), packetsOf(first));
  });

  it('rejects a link type that does not fit the IDB field with ERR_CAPTURE_OPTION_INVALID', () => {
    assert.equal(codeOf(() => writePcapng([{ data: V4, linkType: 0x10000 }])), 'ERR_CAPTURE_OPTION_INVALID');
  });
});

describe('readCapture of hand-built files', () => {
  it('reads a big-endian microsecond pcap', () => {
    const file = concat(fileHeaderPcap(false, 0xa1b2c3d4, LINKTYPE.IPV4, 96), recordPcap(false, T0, 999_999, V4, 1500));
    assert.deepEqual(hex(file.subarray(0, 4)), 'a1b2c3d4');
    const capture = readCapture(file);
    assert.deepEqual(capture.interfaces, [{ linkType: LINKTYPE.IPV4, snaplen: 96, tsResolution: 1e6 }]);
    assert.deepEqual(packetsOf(capture), [{ linkType: 228, hex: hex(V4), tsSec: T0, tsNsec: 999_999_000, originalLength: 1500 }]);
  });

  it('reads a big-endian nanosecond pcap', () => {
    const file = concat(fileHeaderPcap(false, 0xa1b23c4d, LINKTYPE.IPV6), recordPcap(false, T0, 999_999_999, V6));
    const capture = readCapture(file);
    assert.equal(capture.interfaces[0].tsResolution, 1e9);
    assert.deepEqual(packetsOf(capture), [{ linkType: 229, hex: hex(V6), tsSec: T0, tsNsec: 999_999_999, originalLength: V6.length }]);
  });

  it('takes the pcap link type from the low bits, ignoring the FCS bits', () => {
    const file = concat(fileHeaderPcap(true, 0xa1b2c3d4, 0x10000000 | LINKTYPE.ETHERNET), recordPcap(true, 0, 0, V4));
    assert.equal(readCapture(file).packets[0].linkType, LINKTYPE.ETHERNET);
  });

  it('reads a big-endian pcapng with an if_tsresol option', () => {
    const le = false;
    const file = concat(
      shb(le),
      idb(le, LINKTYPE.RAW, 0, option(le, 2, new TextEncoder().encode('wan0')), option(le, 9, new Uint8Array([9]))),
      epb(le, 0, BigInt(T0) * 1_000_000_000n + 42n, V4),
    );
    assert.deepEqual(hex(file.subarray(8, 12)), '1a2b3c4d');
    const capture = readCapture(file);
    assert.deepEqual(capture.interfaces, [{ linkType: LINKTYPE.RAW, snaplen: 0, name: 'wan0', tsResolution: 1e9 }]);
    assert.deepEqual(packetsOf(capture), [{ linkType: 101, hex: hex(V4), tsSec: T0, tsNsec: 42, originalLength: V4.length }]);
  });

  it('reads a binary if_tsresol (2^-10 s units)', () => {
    const file = concat(shb(true), idb(true, LINKTYPE.RAW, 0, option(true, 9, new Uint8Array([0x80 | 10]))), epb(true, 0, 3n * 1024n + 512n, V4));
    const capture = readCapture(file);
    assert.equal(capture.interfaces[0].tsResolution, 1024);
    assert.deepEqual([capture.packets[0].tsSec, capture.packets[0].tsNsec], [3, 500_000_000]);
  });

  it('adds if_tsoffset seconds to every timestamp', () => {
    const offset = fields(true, [[T0, 8]]);
    const file = concat(shb(true), idb(true, LINKTYPE.RAW, 0, option(true, 14, offset)), epb(true, 0, 2_500_000n, V4));
    assert.deepEqual([readCapture(file).packets[0].tsSec, readCapture(file).packets[0].tsNsec], [T0 + 2, 500_000_000]);
  });

  it('reads a pcapng with two interfaces of different link types', () => {
    const file = concat(
      shb(true),
      idb(true, LINKTYPE.ETHERNET, 65535),
      idb(true, LINKTYPE.LINUX_SLL2, 65535),
      epb(true, 1, 1n, SAMPLES[6].data),
      epb(true, 0, 2n, SAMPLES[0].data),
    );
    const capture = readCapture(file);
    assert.deepEqual(capture.interfaces.map((i) => i.linkType), [LINKTYPE.ETHERNET, LINKTYPE.LINUX_SLL2]);
    assert.deepEqual(capture.packets.map((p) => [p.interfaceId, p.linkType, hex(p.data)]), [
      [1, LINKTYPE.LINUX_SLL2, hex(SAMPLES[6].data)],
      [0, LINKTYPE.ETHERNET, hex(SAMPLES[0].data)],
    ]);
  });

  it('reads sections of both byte orders, numbering interfaces across sections', () => {
    const file = concat(
      shb(true), idb(true, LINKTYPE.IPV4, 0), epb(true, 0, 1n, V4),
      shb(false), idb(false, LINKTYPE.IPV6, 0), epb(false, 0, 2n, V6),
    );
    const capture = readCapture(file);
    assert.deepEqual(capture.interfaces.map((i) => i.linkType), [LINKTYPE.IPV4, LINKTYPE.IPV6]);
    assert.deepEqual(capture.packets.map((p) => [p.interfaceId, p.linkType, hex(p.data)]), [
      [0, 228, hex(V4)],
      [1, 229, hex(V6)],
    ]);
  });

  it('reads a Simple Packet Block on interface 0, cut at its snap length, without a timestamp', () => {
    const file = concat(
      shb(true),
      idb(true, LINKTYPE.RAW, 20),
      idb(true, LINKTYPE.ETHERNET, 0),
      spb(true, V4.length, V4.subarray(0, 20)),
      spb(true, 3, new Uint8Array([1, 2, 3])),
    );
    assert.deepEqual(packetsOf(readCapture(file)), [
      { linkType: 101, hex: hex(V4.subarray(0, 20)), tsSec: 0, tsNsec: 0, originalLength: V4.length },
      { linkType: 101, hex: '010203', tsSec: 0, tsNsec: 0, originalLength: 3 },
    ]);
  });

  it('reads the obsolete Packet Block', () => {
    const body = concat(fields(true, [[0, 2], [0, 2], [0, 4], [1_000_000, 4], [V4.length, 4], [V4.length, 4]]), V4);
    const file = concat(shb(true), idb(true, LINKTYPE.RAW, 0), block(true, 2, body));
    assert.deepEqual(packetsOf(readCapture(file)), [{ linkType: 101, hex: hex(V4), tsSec: 1, tsNsec: 0, originalLength: V4.length }]);
  });

  it('skips unknown blocks (NRB, ISB, DSB, custom, local use) by their length', () => {
    const le = true;
    const file = concat(
      shb(le),
      block(le, 0x00000004, new Uint8Array(12)), // Name Resolution Block
      idb(le, LINKTYPE.RAW, 0),
      epb(le, 0, 1n, V4),
      block(le, 0x00000005, new Uint8Array(16)), // Interface Statistics Block
      block(le, 0x0000000a, new Uint8Array(9)), // Decryption Secrets Block
      block(le, 0x00000bad, new Uint8Array(6)), // Custom Block
      block(le, 0x80000001, new Uint8Array(0)), // local use
      epb(le, 0, 2n, V6),
    );
    assert.deepEqual(readCapture(file).packets.map((p) => hex(p.data)), [hex(V4), hex(V6)]);
  });

  it('reads a capture that is a view at an odd offset of a larger buffer', () => {
    const file = writePcapng([{ data: V4, linkType: LINKTYPE.RAW, timestamp: 3 }]);
    const big = new Uint8Array(file.length + 8);
    big.set(file, 3);
    const capture = readCapture(big.subarray(3, 3 + file.length));
    assert.deepEqual(hex(capture.packets[0].data), hex(V4));
    assert.equal(capture.packets[0].tsSec, 3);
  });

  it('returns packet data as views into the input, not copies', () => {
    const file = writePcap(LINKTYPE.RAW, [{ data: V4 }]);
    assert.equal(readCapture(file).packets[0].data.buffer, file.buffer);
  });
});

describe('readCapture of damaged files', () => {
  const pcapFile = writePcap(LINKTYPE.ETHERNET, [{ data: SAMPLES[0].data, timestamp: 1 }, { data: new Uint8Array([1, 2, 3]), timestamp: 2 }]);
  const pcapngFile = concat(
    shb(true),
    idb(true, LINKTYPE.RAW, 0, option(true, 2, new TextEncoder().encode('eth0')), option(true, 9, new Uint8Array([9]))),
    epb(true, 0, 1n, V4.subarray(0, 21)),
    block(true, 0x00000005, new Uint8Array(16)),
    spb(true, 5, new Uint8Array([9, 8, 7, 6, 5])),
  );

  /** Offsets where a cut leaves a shorter but valid file, and how many packets it then holds. */
  function boundaries(file: Uint8Array, format: 'pcap' | 'pcapng'): Map<number, number> {
    const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const map = new Map<number, number>();
    let packets = 0;
    let at = format === 'pcap' ? 24 : 0;
    if (format === 'pcap') map.set(24, 0);
    while (at < file.length) {
      if (format === 'pcap') {
        at += 16 + v.getUint32(at + 8, true);
        packets += 1;
      } else {
        const type = v.getUint32(at, true);
        at += v.getUint32(at + 4, true);
        if (type === 6 || type === 3) packets += 1;
      }
      map.set(at, packets);
    }
    return map;
  }

  for (const [format, file] of [['pcap', pcapFile], ['pcapng', pcapngFile]] as const) {
    it(`throws ERR_CAPTURE_TRUNCATED for every cut of a ${format} file that is not at a record boundary`, () => {
      const valid = boundaries(file, format);
      assert.equal(readCapture(file).packets.length, 2);
      for (let n = 0; n < file.length; n++) {
        const cut = file.slice(0, n);
        const packets = valid.get(n);
        if (packets !== undefined) {
          assert.equal(readCapture(cut).packets.length, packets, `cut at ${n}`);
        } else {
          assert.equal(codeOf(() => readCapture(cut)), 'ERR_CAPTURE_TRUNCATED', `cut at ${n}`);
        }
      }
    });
  }

  it('throws ERR_CAPTURE_FORMAT for a block length that is not a multiple of 4', () => {
    const bad = pcapngFile.slice();
    new DataView(bad.buffer).setUint32(28 + 4, new DataView(bad.buffer).getUint32(28 + 4, true) + 1, true);
    assert.equal(codeOf(() => readCapture(bad)), 'ERR_CAPTURE_FORMAT');
  });

  it('throws ERR_CAPTURE_FORMAT when the trailing block length differs from the leading one', () => {
    const bad = pcapngFile.slice();
    const v = new DataView(bad.buffer);
    const idbLength = v.getUint32(28 + 4, true);
    v.setUint32(28 + idbLength - 4, idbLength + 4, true);
    assert.equal(codeOf(() => readCapture(bad)), 'ERR_CAPTURE_FORMAT');
  });

  it('throws ERR_CAPTURE_FORMAT for a block shorter than its fixed fields', () => {
    const file = concat(shb(true), idb(true, LINKTYPE.RAW, 0), block(true, 6, new Uint8Array(8)));
    assert.equal(codeOf(() => readCapture(file)), 'ERR_CAPTURE_FORMAT');
  });

  it('throws ERR_CAPTURE_FORMAT for a captured length that overruns its block', () => {
    const file = concat(shb(true), idb(true, LINKTYPE.RAW, 0), epb(true, 0, 0n, V4));
    new DataView(file.buffer).setUint32(28 + 20 + 8 + 12, V4.length + 4, true);
    assert.equal(codeOf(() => readCapture(file)), 'ERR_CAPTURE_FORMAT');
  });

  it('throws ERR_CAPTURE_FORMAT for a packet on an interface the section did not describe', () => {
    const file = concat(shb(true), idb(true, LINKTYPE.RAW, 0), epb(true, 1, 0n, V4));
    assert.equal(codeOf(() => readCapture(file)), 'ERR_CAPTURE_FORMAT');
    assert.equal(codeOf(() => readCapture(concat(shb(true), spb(true, 1, new Uint8Array(1))))), 'ERR_CAPTURE_FORMAT');
  });

  it('throws ERR_CAPTURE_FORMAT for an option that overruns its block', () => {
    const file = concat(shb(true), idb(true, LINKTYPE.RAW, 0, fields(true, [[2, 2], [40, 2]])));
    assert.equal(codeOf(() => readCapture(file)), 'ERR_CAPTURE_FORMAT');
  });

  it('throws ERR_CAPTURE_FORMAT for a bad byte-order magic or an unknown file magic', () => {
    const bad = pcapngFile.slice();
    bad[8] ^= 0xff;
    assert.equal(codeOf(() => readCapture(bad)), 'ERR_CAPTURE_FORMAT');
    assert.equal(codeOf(() => readCapture(new TextEncoder().encode('GIF89a....'))), 'ERR_CAPTURE_FORMAT');
    assert.equal(codeOf(() => readPcapng(pcapFile)), 'ERR_CAPTURE_FORMAT');
    assert.equal(codeOf(() => readPcap(pcapngFile)), 'ERR_CAPTURE_FORMAT');
  });

  it('throws ERR_CAPTURE_FORMAT for a pcap sub-second timestamp of a second or more', () => {
    const file = concat(fileHeaderPcap(true, 0xa1b2c3d4, 1), recordPcap(true, 0, 1_000_000, V4));
    assert.equal(codeOf(() => readCapture(file)), 'ERR_CAPTURE_FORMAT');
  });

  it('throws ERR_CAPTURE_UNSUPPORTED for modified pcap, pcap 1.x and pcapng 2.x', () => {
    assert.equal(codeOf(() => readCapture(fileHeaderPcap(true, 0xa1b2cd34, 1))), 'ERR_CAPTURE_UNSUPPORTED');
    const v1 = fileHeaderPcap(true, 0xa1b2c3d4, 1);
    v1[4] = 1;
    assert.equal(codeOf(() => readCapture(v1)), 'ERR_CAPTURE_UNSUPPORTED');
    assert.equal(codeOf(() => readCapture(shb(false, 2))), 'ERR_CAPTURE_UNSUPPORTED');
  });

  it('names the bad field and its offset in the error', () => {
    const bad = pcapngFile.slice();
    new DataView(bad.buffer).setUint32(32, 31, true);
    const error = (() => {
      try {
        readCapture(bad);
      } catch (e) {
        return e as CaptureError;
      }
      assert.fail('no error');
    })();
    assert.equal(error.offset, 32);
    assert.match(error.message, /total length 31/);
  });
});

describe('readCapture limits', () => {
  const three = [{ data: V4 }, { data: V4 }, { data: V4 }];

  it('throws ERR_CAPTURE_TOO_LARGE past maxPackets, in both formats', () => {
    assert.equal(readCapture(writePcap(LINKTYPE.RAW, three), { maxPackets: 3 }).packets.length, 3);
    assert.equal(codeOf(() => readCapture(writePcap(LINKTYPE.RAW, three), { maxPackets: 2 })), 'ERR_CAPTURE_TOO_LARGE');
    const ng = writePcapng(three.map((p) => ({ ...p, linkType: LINKTYPE.RAW })));
    assert.equal(codeOf(() => readCapture(ng, { maxPackets: 2 })), 'ERR_CAPTURE_TOO_LARGE');
  });

  it('throws ERR_CAPTURE_TOO_LARGE for a packet above maxPacketBytes, in both formats', () => {
    assert.equal(readCapture(writePcap(LINKTYPE.RAW, [{ data: V4 }]), { maxPacketBytes: V4.length }).packets.length, 1);
    assert.equal(codeOf(() => readCapture(writePcap(LINKTYPE.RAW, [{ data: V4 }]), { maxPacketBytes: V4.length - 1 })), 'ERR_CAPTURE_TOO_LARGE');
    const ng = writePcapng([{ data: V4, linkType: LINKTYPE.RAW }]);
    assert.equal(codeOf(() => readCapture(ng, { maxPacketBytes: V4.length - 1 })), 'ERR_CAPTURE_TOO_LARGE');
  });

  it('rejects a packet above 262,144 bytes by default', () => {
    const big = new Uint8Array(262_145);
    const file = writePcap(LINKTYPE.RAW, [{ data: big }], { snaplen: 300_000 });
    assert.equal(codeOf(() => readCapture(file)), 'ERR_CAPTURE_TOO_LARGE');
    assert.equal(readCapture(file, { maxPacketBytes: 300_000 }).packets[0].data.length, 262_145);
  });

  it('checks a huge captured length against the limit before the file length', () => {
    const file = concat(fileHeaderPcap(true, 0xa1b2c3d4, 1), fields(true, [[0, 4], [0, 4], [0xffffffff, 4], [0xffffffff, 4]]));
    assert.equal(codeOf(() => readCapture(file)), 'ERR_CAPTURE_TOO_LARGE');
  });

  it('rejects limits that are not non-negative integers with ERR_CAPTURE_OPTION_INVALID', () => {
    const file = writePcap(LINKTYPE.RAW, []);
    assert.equal(codeOf(() => readCapture(file, { maxPackets: -1 })), 'ERR_CAPTURE_OPTION_INVALID');
    assert.equal(codeOf(() => readCapture(file, { maxPacketBytes: 1.5 })), 'ERR_CAPTURE_OPTION_INVALID');
  });
});

describe('tshark reads what we write', () => {
  for (const s of SAMPLES) {
    it(`dissects our microsecond pcap of link type ${s.name}`, () => {
      const file = tempFile(`${s.name}.pcap`, writePcap(s.linkType, [{ data: s.data, timestamp: T0 + 0.25 }]));
      const frames = tshark(file);
      assert.equal(frames.length, 1);
      assert.ok(frames[0].protocols.startsWith(s.protocols), `tshark saw ${frames[0].protocols}`);
      assert.deepEqual(
        [frames[0].len, frames[0].capLen, frames[0].epoch, frames[0].src, frames[0].dstPort],
        [String(s.data.length), String(s.data.length), `${T0}.250000000`, s.src, s.dstPort],
      );
    });
  }

  it('dissects our nanosecond pcap with nanosecond times and cut packets', () => {
    const file = tempFile('ns.pcap', writePcap(LINKTYPE.IPV6, [
      { data: V6, tsSec: T0, tsNsec: 123_456_789 },
      { data: V6, tsSec: T0 + 1, tsNsec: 1 },
    ], { nanosecond: true, snaplen: 48 }));
    const frames = tshark(file);
    assert.deepEqual(frames.map((f) => [f.len, f.capLen, f.epoch, f.src]), [
      [String(V6.length), '48', `${T0}.123456789`, '2001:db8::7'],
      [String(V6.length), '48', `${T0 + 1}.000000001`, '2001:db8::7'],
    ]);
  });

  it('dissects our pcapng holding every link type, one interface each', () => {
    const file = tempFile('all.pcapng', writePcapng(
      SAMPLES.map((s, i) => ({ data: s.data, linkType: s.linkType, tsSec: T0 + i, tsNsec: 7 })),
      { nanosecond: true },
    ));
    const frames = tshark(file);
    const interfaceOf = [...new Set(SAMPLES.map((s) => s.linkType))];
    assert.equal(frames.length, SAMPLES.length);
    SAMPLES.forEach((s, i) => {
      const f = frames[i];
      assert.ok(f.protocols.startsWith(s.protocols), `${s.name}: tshark saw ${f.protocols}`);
      assert.deepEqual(
        [f.len, f.epoch, f.src, f.dstPort, f.interfaceId],
        [String(s.data.length), `${T0 + i}.000000007`, s.src, s.dstPort, String(interfaceOf.indexOf(s.linkType))],
        s.name,
      );
    });
  });
});

describe('we read what tshark tools write', () => {
  const plain = [V4, ipv4Udp({ src: '203.0.113.1', dst: '192.0.2.1', sport: 1, dport: 2, payload: new Uint8Array(3) })];

  function assertSameAsTshark(file: string, capture: Capture): void {
    const frames = tshark(file);
    assert.deepEqual(
      capture.packets.map((p) => [epochOf(p), String(p.originalLength), String(p.data.length)]),
      frames.map((f) => [f.epoch, f.len, f.capLen]),
    );
  }

  for (const s of SAMPLES) {
    for (const format of ['pcap', 'pcapng'] as const) {
      it(`reads text2pcap's ${format} of link type ${s.name}`, () => {
        const bytes = text2pcap([s.data, V4], ['-F', format, '-l', String(s.linkType)], `${s.name}.${format}`);
        const capture = readCapture(bytes);
        assert.equal(capture.format, format);
        assert.deepEqual(capture.packets.map((p) => [p.linkType, hex(p.data)]), [[s.linkType, hex(s.data)], [s.linkType, hex(V4)]]);
      });
    }
  }

  it("reads text2pcap's IPv4/UDP headers over Ethernet in pcapng, with its interface name and ns resolution", () => {
    const bytes = text2pcap(plain, ['-F', 'pcapng', '-e', '0x800', '-4', '10.1.2.3,10.4.5.6', '-u', '1000,3478'], 'dummy.pcapng');
    const capture = readCapture(bytes);
    assert.deepEqual(capture.interfaces.map((i) => [i.linkType, i.name, i.tsResolution]), [[LINKTYPE.ETHERNET, 'Fake IF, text2pcap', 1e9]]);
    for (const [i, p] of capture.packets.entries()) {
      assert.equal(hex(p.data.subarray(12, 14)), '0800', 'EtherType IPv4');
      assert.equal(hex(p.data.subarray(26, 30)), hex(ipv4Bytes('10.1.2.3')));
      assert.equal(new DataView(p.data.buffer, p.data.byteOffset).getUint16(36), 3478);
      assert.equal(hex(p.data.subarray(42, 42 + plain[i].length)), hex(plain[i]));
    }
    assertSameAsTshark(tempFile('dummy-check.pcapng', bytes), capture);
  });

  it("reads text2pcap's raw IPv4 pcap (-l 101 -i 17) with the timestamps tshark shows", () => {
    const bytes = text2pcap(plain, ['-F', 'pcap', '-l', '101', '-i', '17'], 'raw.pcap');
    const capture = readCapture(bytes);
    assert.equal(capture.format, 'pcap');
    assert.deepEqual(capture.packets.map((p) => [p.linkType, p.data[0], p.data[9]]), [[101, 0x45, 17], [101, 0x45, 17]]);
    assertSameAsTshark(tempFile('raw-check.pcap', bytes), capture);
  });

  it("reads editcap's nanosecond pcap", () => {
    const source = tempFile('us.pcap', writePcap(LINKTYPE.RAW, plain.map((data, i) => ({ data, timestamp: T0 + i + 0.000001 }))));
    const output = tempFile('ns.pcap');
    run('editcap', ['-F', 'nsecpcap', source, output]);
    const capture = readCapture(readFileSync(output));
    assert.equal(capture.interfaces[0].tsResolution, 1e9);
    assert.deepEqual(capture.packets.map((p) => [p.tsSec, p.tsNsec, hex(p.data)]), [[T0, 1000, hex(plain[0])], [T0 + 1, 1000, hex(plain[1])]]);
  });

  it("reads editcap's snap-length cut, keeping the original length", () => {
    const source = tempFile('full.pcapng', writePcapng([{ data: V6, linkType: LINKTYPE.IPV6, timestamp: T0 }]));
    const output = tempFile('cut.pcapng');
    run('editcap', ['-s', '40', source, output]);
    const p = readCapture(readFileSync(output)).packets[0];
    assert.deepEqual([hex(p.data), p.originalLength], [hex(V6.subarray(0, 40)), V6.length]);
  });

  it("reads mergecap's pcapng of two files with different link types as two interfaces", () => {
    const a = tempFile('a.pcap', writePcap(LINKTYPE.RAW, [{ data: V4, timestamp: T0 + 1 }]));
    const b = tempFile('b.pcap', writePcap(LINKTYPE.LINUX_SLL2, [{ data: SAMPLES[6].data, timestamp: T0 + 2 }]));
    const output = tempFile('merged.pcapng');
    run('mergecap', ['-F', 'pcapng', '-w', output, a, b]);
    const capture = readCapture(readFileSync(output));
    assert.deepEqual(capture.interfaces.map((i) => i.linkType), [LINKTYPE.RAW, LINKTYPE.LINUX_SLL2]);
    assert.deepEqual(capture.packets.map((p) => [p.interfaceId, p.linkType, p.tsSec, hex(p.data)]), [
      [0, LINKTYPE.RAW, T0 + 1, hex(V4)],
      [1, LINKTYPE.LINUX_SLL2, T0 + 2, hex(SAMPLES[6].data)],
    ]);
  });

  it("reads the pcapng tshark -w writes from our pcap (section options, statistics blocks)", () => {
    const source = tempFile('ours.pcap', writePcap(LINKTYPE.ETHERNET, [{ data: SAMPLES[0].data, timestamp: T0 + 0.5 }, { data: SAMPLES[0].data, timestamp: T0 + 0.75 }]));
    const output = tempFile('theirs.pcapng');
    run('tshark', ['-r', source, '-F', 'pcapng', '-w', output]);
    const theirs = readCapture(readFileSync(output));
    const ours = readCapture(readFileSync(source));
    assert.equal(theirs.format, 'pcapng');
    assert.deepEqual(packetsOf(theirs), packetsOf(ours));
  });
});
