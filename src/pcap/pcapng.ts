/**
 * pcapng files (draft-ietf-opsawg-pcapng): a sequence of blocks, each
 * `type, total length, body, total length`. A Section Header Block starts
 * every section and fixes its byte order; Interface Description Blocks give
 * each interface its link type, snap length and timestamp resolution; packets
 * come in Enhanced, Simple or (obsolete) Packet Blocks. Every other block is
 * skipped by its length (§3.1: readers skip blocks they do not know).
 */
import {
  CaptureError,
  DEFAULT_SNAPLEN,
  checkPacketLimits,
  packetTimestamp,
  requireCount,
  requirePacketData,
  resolveLimits,
  splitTimestamp,
  type Capture,
  type CaptureInterface,
  type CaptureLimits,
  type CapturedPacket,
  type PacketToWrite,
} from './capture.js';

export const BLOCK_SECTION_HEADER = 0x0a0d0d0a;
export const BLOCK_INTERFACE_DESCRIPTION = 0x00000001;
export const BLOCK_PACKET_OBSOLETE = 0x00000002;
export const BLOCK_SIMPLE_PACKET = 0x00000003;
export const BLOCK_ENHANCED_PACKET = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** Smallest total length of each block: 12 bytes of framing plus its fixed fields. */
const MIN_BLOCK_LENGTH = 12;
const MIN_LENGTH: Record<number, number> = {
  [BLOCK_SECTION_HEADER]: 28,
  [BLOCK_INTERFACE_DESCRIPTION]: 20,
  [BLOCK_PACKET_OBSOLETE]: 32,
  [BLOCK_SIMPLE_PACKET]: 16,
  [BLOCK_ENHANCED_PACKET]: 32,
};
const BLOCK_NAME: Record<number, string> = {
  [BLOCK_SECTION_HEADER]: 'Section Header Block',
  [BLOCK_INTERFACE_DESCRIPTION]: 'Interface Description Block',
  [BLOCK_PACKET_OBSOLETE]: 'Packet Block',
  [BLOCK_SIMPLE_PACKET]: 'Simple Packet Block',
  [BLOCK_ENHANCED_PACKET]: 'Enhanced Packet Block',
};

export interface PcapngPacketToWrite extends PacketToWrite {
  linkType: number;
}

export interface PcapngWriteOptions {
  /** if_tsresol = 9 on every interface (nanoseconds) instead of the default microseconds. */
  nanosecond?: boolean;
  /** Snap length of every interface; longer packets are cut to it, their original length kept (default 262,144). */
  snaplen?: number;
}

export function isPcapng(bytes: Uint8Array): boolean {
  // The SHB type reads the same in both byte orders.
  return bytes.length >= 4 && viewOf(bytes).getUint32(0, false) === BLOCK_SECTION_HEADER;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** An interface as the reader needs it: its public description plus how to turn its timestamps into ns. */
interface SectionInterface {
  globalId: number;
  info: CaptureInterface;
  /** Units per second as a bigint (if_tsresol: 10^n or 2^n). */
  units: bigint;
  /** if_tsoffset: seconds added to every timestamp. */
  offsetSeconds: number;
}

const DEFAULT_UNITS = 1_000_000n;
const NS_PER_SECOND = 1_000_000_000n;

export function readPcapng(bytes: Uint8Array, limits?: CaptureLimits): Capture {
  const max = resolveLimits(limits);
  const view = viewOf(bytes);
  const packets: CapturedPacket[] = [];
  const interfaces: CaptureInterface[] = [];
  let section: SectionInterface[] | undefined;
  let le = true;
  let offset = 0;

  if (bytes.length >= 4 && !isPcapng(bytes)) {
    throw new CaptureError(
      'ERR_CAPTURE_FORMAT',
      `pcapng must start with a Section Header Block (0x0a0d0d0a), found 0x${view.getUint32(0, false).toString(16).padStart(8, '0')}`,
      0,
    );
  }
  if (bytes.length === 0) {
    throw new CaptureError('ERR_CAPTURE_TRUNCATED', 'pcapng file is empty', 0);
  }

  while (offset < bytes.length) {
    const remaining = bytes.length - offset;
    if (remaining < 8) {
      throw new CaptureError('ERR_CAPTURE_TRUNCATED', `pcapng block header: ${remaining} of 8 bytes`, offset);
    }
    const rawType = view.getUint32(offset, le);
    const isSectionHeader = view.getUint32(offset, false) === BLOCK_SECTION_HEADER;
    if (isSectionHeader) {
      // §4.1: the byte-order magic after the length fixes the order of this whole section, the length included.
      if (remaining < 12) {
        throw new CaptureError('ERR_CAPTURE_TRUNCATED', `pcapng Section Header Block: ${remaining} of 12 bytes`, offset);
      }
      if (view.getUint32(offset + 8, true) === BYTE_ORDER_MAGIC) le = true;
      else if (view.getUint32(offset + 8, false) === BYTE_ORDER_MAGIC) le = false;
      else {
        throw new CaptureError(
          'ERR_CAPTURE_FORMAT',
          `pcapng Section Header Block byte-order magic 0x${view.getUint32(offset + 8, false).toString(16).padStart(8, '0')} is not 1a2b3c4d`,
          offset + 8,
        );
      }
    }
    const type = isSectionHeader ? BLOCK_SECTION_HEADER : rawType;
    const length = view.getUint32(offset + 4, le);
    const name = BLOCK_NAME[type] ?? `block type 0x${type.toString(16).padStart(8, '0')}`;
    const minimum = MIN_LENGTH[type] ?? MIN_BLOCK_LENGTH;
    if (length % 4 !== 0) {
      throw new CaptureError('ERR_CAPTURE_FORMAT', `pcapng ${name}: total length ${length} is not a multiple of 4`, offset + 4);
    }
    if (length < minimum) {
      throw new CaptureError('ERR_CAPTURE_FORMAT', `pcapng ${name}: total length ${length} is below ${minimum}`, offset + 4);
    }
    if (length > remaining) {
      throw new CaptureError('ERR_CAPTURE_TRUNCATED', `pcapng ${name}: ${remaining} of ${length} bytes`, offset);
    }
    const trailer = view.getUint32(offset + length - 4, le);
    if (trailer !== length) {
      throw new CaptureError(
        'ERR_CAPTURE_FORMAT',
        `pcapng ${name}: trailing total length ${trailer} differs from leading ${length}`,
        offset + length - 4,
      );
    }
    const body = offset + 8;
    const end = offset + length - 4;

    if (type === BLOCK_SECTION_HEADER) {
      const major = view.getUint16(body + 4, le);
      const minor = view.getUint16(body + 6, le);
      if (major !== 1) {
        throw new CaptureError('ERR_CAPTURE_UNSUPPORTED', `pcapng version ${major}.${minor} is not supported (only 1.x)`, body + 4);
      }
      section = [];
    } else if (section === undefined) {
      throw new CaptureError('ERR_CAPTURE_FORMAT', `pcapng ${name} before any Section Header Block`, offset);
    } else if (type === BLOCK_INTERFACE_DESCRIPTION) {
      const linkType = view.getUint16(body, le);
      const snaplen = view.getUint32(body + 4, le);
      const iface: SectionInterface = {
        globalId: interfaces.length,
        info: { linkType, snaplen, tsResolution: 1e6 },
        units: DEFAULT_UNITS,
        offsetSeconds: 0,
      };
      readInterfaceOptions(bytes, view, le, body + 8, end, iface);
      section.push(iface);
      interfaces.push(iface.info);
    } else if (type === BLOCK_ENHANCED_PACKET || type === BLOCK_PACKET_OBSOLETE) {
      // §4.3 EPB: interface u32; Appendix A Packet Block: interface u16 then drops u16. Then ts high, ts low, captured, original.
      const interfaceIndex = type === BLOCK_ENHANCED_PACKET ? view.getUint32(body, le) : view.getUint16(body, le);
      const iface = section[interfaceIndex];
      if (iface === undefined) {
        throw new CaptureError(
          'ERR_CAPTURE_FORMAT',
          `pcapng ${name}: interface ${interfaceIndex} has no Interface Description Block in this section`,
          body,
        );
      }
      const ticks = (BigInt(view.getUint32(body + 4, le)) << 32n) | BigInt(view.getUint32(body + 8, le));
      const capturedLength = view.getUint32(body + 12, le);
      const originalLength = view.getUint32(body + 16, le);
      checkPacketLimits(max, packets.length, capturedLength, body + 12);
      const dataStart = body + 20;
      if (capturedLength > end - dataStart) {
        throw new CaptureError(
          'ERR_CAPTURE_FORMAT',
          `pcapng ${name}: captured length ${capturedLength} overruns the block (${end - dataStart} bytes left)`,
          body + 12,
        );
      }
      packets.push(makePacket(iface, ticks, bytes.subarray(dataStart, dataStart + capturedLength), originalLength));
    } else if (type === BLOCK_SIMPLE_PACKET) {
      // §4.4: no interface field (always the section's first interface), no timestamp, captured length implied.
      const iface = section[0];
      if (iface === undefined) {
        throw new CaptureError('ERR_CAPTURE_FORMAT', 'pcapng Simple Packet Block without an Interface Description Block in this section', offset);
      }
      const originalLength = view.getUint32(body, le);
      const snaplen = iface.info.snaplen;
      const capturedLength = snaplen !== 0 && originalLength > snaplen ? snaplen : originalLength;
      checkPacketLimits(max, packets.length, capturedLength, body);
      const dataStart = body + 4;
      if (capturedLength > end - dataStart) {
        throw new CaptureError(
          'ERR_CAPTURE_FORMAT',
          `pcapng Simple Packet Block: captured length ${capturedLength} overruns the block (${end - dataStart} bytes left)`,
          body,
        );
      }
      packets.push({
        timestamp: 0,
        tsSec: 0,
        tsNsec: 0,
        linkType: iface.info.linkType,
        data: bytes.subarray(dataStart, dataStart + capturedLength),
        originalLength,
        interfaceId: iface.globalId,
      });
    }
    offset += length;
  }
  return { format: 'pcapng', packets, interfaces };
}

/** §3.5 options: code u16, length u16, value padded to 4; opt_endofopt (or the block's end) closes the list. */
function readInterfaceOptions(
  bytes: Uint8Array,
  view: DataView,
  le: boolean,
  start: number,
  end: number,
  iface: SectionInterface,
): void {
  let at = start;
  while (at < end) {
    if (end - at < 4) {
      throw new CaptureError('ERR_CAPTURE_FORMAT', `pcapng option header: ${end - at} of 4 bytes left in the block`, at);
    }
    const code = view.getUint16(at, le);
    const length = view.getUint16(at + 2, le);
    if (code === OPT_ENDOFOPT) return;
    const value = at + 4;
    const padded = (length + 3) & ~3;
    if (padded > end - value) {
      throw new CaptureError('ERR_CAPTURE_FORMAT', `pcapng option ${code}: length ${length} overruns the block`, at + 2);
    }
    if (code === OPT_IF_NAME) {
      iface.info.name = new TextDecoder().decode(bytes.subarray(value, value + length));
    } else if (code === OPT_IF_TSRESOL) {
      if (length !== 1) {
        throw new CaptureError('ERR_CAPTURE_FORMAT', `pcapng if_tsresol: length ${length} is not 1`, at + 2);
      }
      // §4.2 if_tsresol: the top bit chooses a power of 2 instead of 10; the rest is the (negative) exponent.
      const resol = bytes[value];
      const exponent = BigInt(resol & 0x7f);
      iface.units = resol & 0x80 ? 1n << exponent : 10n ** exponent;
      iface.info.tsResolution = Number(iface.units);
    } else if (code === OPT_IF_TSOFFSET) {
      if (length !== 8) {
        throw new CaptureError('ERR_CAPTURE_FORMAT', `pcapng if_tsoffset: length ${length} is not 8`, at + 2);
      }
      iface.offsetSeconds = Number(view.getBigInt64(value, le));
    }
    at = value + padded;
  }
}

function makePacket(iface: SectionInterface, ticks: bigint, data: Uint8Array, originalLength: number): CapturedPacket {
  const seconds = ticks / iface.units;
  const tsNsec = Number(((ticks % iface.units) * NS_PER_SECOND) / iface.units);
  const tsSec = Number(seconds) + iface.offsetSeconds;
  return {
    timestamp: packetTimestamp(tsSec, tsNsec),
    tsSec,
    tsNsec,
    linkType: iface.info.linkType,
    data,
    originalLength,
    interfaceId: iface.globalId,
  };
}

/**
 * Writes one little-endian section: an SHB, one IDB per distinct link type
 * (in order of first use), one EPB per packet. Deterministic: no options but
 * if_tsresol, timestamps default to 0.
 */
export function writePcapng(packets: PcapngPacketToWrite[], options: PcapngWriteOptions = {}): Uint8Array {
  if (!Array.isArray(packets)) {
    throw new CaptureError('ERR_CAPTURE_OPTION_INVALID', 'packets must be an array');
  }
  const snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
  requireCount('snaplen', snaplen, 1, 0x7fffffff);
  const nanosecond = options.nanosecond === true;
  const unitsPerSecond = nanosecond ? 1e9 : 1e6;

  const linkTypes: number[] = [];
  const records = packets.map((packet, i) => {
    const data = requirePacketData(packet, i);
    requireCount(`packets[${i}].linkType`, packet.linkType, 0, 0xffff);
    let interfaceId = linkTypes.indexOf(packet.linkType);
    if (interfaceId < 0) interfaceId = linkTypes.push(packet.linkType) - 1;
    const { sec, fraction } = splitTimestamp(packet, i, unitsPerSecond);
    const ticks = BigInt(sec) * BigInt(unitsPerSecond) + BigInt(fraction);
    return { data, interfaceId, ticks, captured: Math.min(data.length, snaplen) };
  });

  const shbLength = 28;
  const idbLength = nanosecond ? 32 : 20; // + if_tsresol (4 + 4 padded) and opt_endofopt (4)
  let total = shbLength + idbLength * linkTypes.length;
  for (const r of records) total += 32 + ((r.captured + 3) & ~3);
  const out = new Uint8Array(total);
  const view = viewOf(out);
  let offset = 0;

  const blockHeader = (type: number, length: number): number => {
    view.setUint32(offset, type, true);
    view.setUint32(offset + 4, length, true);
    view.setUint32(offset + length - 4, length, true);
    const body = offset + 8;
    offset += length;
    return body;
  };

  let at = blockHeader(BLOCK_SECTION_HEADER, shbLength);
  view.setUint32(at, BYTE_ORDER_MAGIC, true);
  view.setUint16(at + 4, 1, true);
  view.setUint16(at + 6, 0, true);
  view.setBigInt64(at + 8, -1n, true); // §4.1: section length not given

  for (const linkType of linkTypes) {
    at = blockHeader(BLOCK_INTERFACE_DESCRIPTION, idbLength);
    view.setUint16(at, linkType, true);
    view.setUint32(at + 4, snaplen, true);
    if (nanosecond) {
      view.setUint16(at + 8, OPT_IF_TSRESOL, true);
      view.setUint16(at + 10, 1, true);
      out[at + 12] = 9;
      // opt_endofopt: the 4 zero bytes at at + 16 are already zero.
    }
  }

  for (const r of records) {
    at = blockHeader(BLOCK_ENHANCED_PACKET, 32 + ((r.captured + 3) & ~3));
    view.setUint32(at, r.interfaceId, true);
    view.setUint32(at + 4, Number(r.ticks >> 32n), true);
    view.setUint32(at + 8, Number(r.ticks & 0xffffffffn), true);
    view.setUint32(at + 12, r.captured, true);
    view.setUint32(at + 16, r.data.length, true);
    out.set(r.data.subarray(0, r.captured), at + 20);
  }
  return out;
}
