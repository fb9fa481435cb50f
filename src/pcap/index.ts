/**
 * Capture files in and out of the TS host: readCapture() takes either
 * format and tells which it was; writePcap()/writePcapng() produce files
 * tcpdump, tshark and Wireshark read.
 */
import { CaptureError, type Capture, type CaptureLimits } from './capture.js';
import { PCAP_MAGIC_MODIFIED, isPcap, readPcap } from './pcap.js';
import { isPcapng, readPcapng } from './pcapng.js';

export {
  LINKTYPE,
  CaptureError,
  DEFAULT_MAX_PACKETS,
  DEFAULT_MAX_PACKET_BYTES,
  DEFAULT_SNAPLEN,
} from './capture.js';
export type {
  Capture,
  CaptureErrorCode,
  CaptureInterface,
  CaptureLimits,
  CapturedPacket,
  PacketToWrite,
} from './capture.js';
export { readPcap, writePcap, PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS } from './pcap.js';
export type { PcapWriteOptions } from './pcap.js';
export { readPcapng, writePcapng } from './pcapng.js';
export type { PcapngPacketToWrite, PcapngWriteOptions } from './pcapng.js';

/** Reads a pcap (µs or ns, either byte order) or pcapng file, chosen by its first four bytes. */
export function readCapture(bytes: Uint8Array, limits?: CaptureLimits): Capture {
  if (!(bytes instanceof Uint8Array)) {
    throw new CaptureError('ERR_CAPTURE_OPTION_INVALID', 'capture must be a Uint8Array');
  }
  if (bytes.length < 4) {
    throw new CaptureError('ERR_CAPTURE_TRUNCATED', `capture file: ${bytes.length} bytes, too short for a magic number`, 0);
  }
  if (isPcapng(bytes)) return readPcapng(bytes, limits);
  if (isPcap(bytes)) return readPcap(bytes, limits);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, false) === PCAP_MAGIC_MODIFIED || view.getUint32(0, true) === PCAP_MAGIC_MODIFIED) {
    return readPcap(bytes, limits); // throws ERR_CAPTURE_UNSUPPORTED with the reason
  }
  throw new CaptureError(
    'ERR_CAPTURE_FORMAT',
    `not a pcap or pcapng file: magic 0x${view.getUint32(0, false).toString(16).padStart(8, '0')}`,
    0,
  );
}
