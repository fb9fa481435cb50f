/**
 * Classic libpcap files (draft-ietf-opsawg-pcap): a 24-byte file header, then
 * records of a 16-byte header and the captured bytes. The magic number says
 * both the byte order and the timestamp resolution (µs or ns).
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
  type CaptureLimits,
  type CapturedPacket,
  type PacketToWrite,
} from './capture.js';

/** §4: the magic as read in the writer's byte order. */
export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
/** Alexey Kuznetzov's patched libpcap: a longer record header we do not read. */
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;

const FILE_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
/** libpcap's LT_LINKTYPE(): bits 26..31 carry FCS information, not the link type (§4 LinkType and additional information). */
const LINKTYPE_MASK = 0x03ffffff;
export interface PcapWriteOptions {
  /** Nanosecond timestamps (magic a1b23c4d) instead of microseconds. */
  nanosecond?: boolean;
  /** Packets longer than this are cut to it, their original length kept (default 262,144). */
  snaplen?: number;
}

function magicByteOrder(view: DataView): { littleEndian: boolean; nanosecond: boolean } | undefined {
  for (const littleEndian of [true, false]) {
    const magic = view.getUint32(0, littleEndian);
    if (magic === PCAP_MAGIC_MICROSECONDS) return { littleEndian, nanosecond: false };
    if (magic === PCAP_MAGIC_NANOSECONDS) return { littleEndian, nanosecond: true };
  }
  return undefined;
}

export function isPcap(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && magicByteOrder(viewOf(bytes)) !== undefined;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function readPcap(bytes: Uint8Array, limits?: CaptureLimits): Capture {
  const max = resolveLimits(limits);
  if (bytes.length < 4) {
    throw new CaptureError('ERR_CAPTURE_TRUNCATED', `pcap file header: ${bytes.length} of 24 bytes`, 0);
  }
  const view = viewOf(bytes);
  const order = magicByteOrder(view);
  if (order === undefined) {
    const magic = view.getUint32(0, false);
    if (magic === PCAP_MAGIC_MODIFIED || view.getUint32(0, true) === PCAP_MAGIC_MODIFIED) {
      throw new CaptureError('ERR_CAPTURE_UNSUPPORTED', 'pcap magic a1b2cd34 (modified libpcap) is not supported', 0);
    }
    throw new CaptureError('ERR_CAPTURE_FORMAT', `pcap magic number 0x${magic.toString(16).padStart(8, '0')} is unknown`, 0);
  }
  if (bytes.length < FILE_HEADER_LENGTH) {
    throw new CaptureError('ERR_CAPTURE_TRUNCATED', `pcap file header: ${bytes.length} of 24 bytes`, 0);
  }
  const le = order.littleEndian;
  const major = view.getUint16(4, le);
  const minor = view.getUint16(6, le);
  // §4: 2.4 is current; libpcap also reads 2.2 and 2.3, whose records are the same.
  if (major !== 2) {
    throw new CaptureError('ERR_CAPTURE_UNSUPPORTED', `pcap version ${major}.${minor} is not supported (only 2.x)`, 4);
  }
  const snaplen = view.getUint32(16, le);
  const linkType = view.getUint32(20, le) & LINKTYPE_MASK;
  const tsResolution = order.nanosecond ? 1e9 : 1e6;
  const nsecPerUnit = order.nanosecond ? 1 : 1000;

  const packets: CapturedPacket[] = [];
  let offset = FILE_HEADER_LENGTH;
  while (offset < bytes.length) {
    if (bytes.length - offset < RECORD_HEADER_LENGTH) {
      throw new CaptureError(
        'ERR_CAPTURE_TRUNCATED',
        `pcap record ${packets.length} header: ${bytes.length - offset} of 16 bytes`,
        offset,
      );
    }
    const tsSec = view.getUint32(offset, le);
    const tsFraction = view.getUint32(offset + 4, le);
    const capturedLength = view.getUint32(offset + 8, le);
    const originalLength = view.getUint32(offset + 12, le);
    if (tsFraction >= tsResolution) {
      throw new CaptureError(
        'ERR_CAPTURE_FORMAT',
        `pcap record ${packets.length}: sub-second timestamp ${tsFraction} is not below ${tsResolution}`,
        offset + 4,
      );
    }
    checkPacketLimits(max, packets.length, capturedLength, offset + 8);
    const dataStart = offset + RECORD_HEADER_LENGTH;
    if (bytes.length - dataStart < capturedLength) {
      throw new CaptureError(
        'ERR_CAPTURE_TRUNCATED',
        `pcap record ${packets.length} data: ${bytes.length - dataStart} of ${capturedLength} bytes`,
        dataStart,
      );
    }
    const tsNsec = tsFraction * nsecPerUnit;
    packets.push({
      timestamp: packetTimestamp(tsSec, tsNsec),
      tsSec,
      tsNsec,
      linkType,
      data: bytes.subarray(dataStart, dataStart + capturedLength),
      originalLength,
      interfaceId: 0,
    });
    offset = dataStart + capturedLength;
  }
  return { format: 'pcap', packets, interfaces: [{ linkType, snaplen, tsResolution }] };
}

/** Writes a little-endian pcap 2.4 file; deterministic (timestamps default to 0). */
export function writePcap(linkType: number, packets: PacketToWrite[], options: PcapWriteOptions = {}): Uint8Array {
  requireCount('linkType', linkType, 0, 0xffff);
  const snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
  requireCount('snaplen', snaplen, 1, 0x7fffffff);
  const nanosecond = options.nanosecond === true;
  if (!Array.isArray(packets)) {
    throw new CaptureError('ERR_CAPTURE_OPTION_INVALID', 'packets must be an array');
  }

  let total = FILE_HEADER_LENGTH;
  const datas = packets.map((p, i) => requirePacketData(p, i));
  for (const data of datas) total += RECORD_HEADER_LENGTH + Math.min(data.length, snaplen);
  const out = new Uint8Array(total);
  const view = viewOf(out);
  view.setUint32(0, nanosecond ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  // thiszone and sigfigs stay 0 (§4: both SHOULD be 0).
  view.setUint32(16, snaplen, true);
  view.setUint32(20, linkType, true);

  let offset = FILE_HEADER_LENGTH;
  packets.forEach((packet, i) => {
    const data = datas[i];
    const { sec, fraction } = splitTimestamp(packet, i, nanosecond ? 1e9 : 1e6);
    const captured = Math.min(data.length, snaplen);
    view.setUint32(offset, sec, true);
    view.setUint32(offset + 4, fraction, true);
    view.setUint32(offset + 8, captured, true);
    view.setUint32(offset + 12, data.length, true);
    out.set(data.subarray(0, captured), offset + RECORD_HEADER_LENGTH);
    offset += RECORD_HEADER_LENGTH + captured;
  });
  return out;
}
