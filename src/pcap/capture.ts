/**
 * What both capture formats read into and write from: packets, interfaces,
 * link types, limits, and the one error type (stable `code`, jose style:
 * callers and tests match on the code, never on the message text).
 */

/**
 * LINKTYPE_* values of the tcpdump.org link-layer header registry
 * (draft-ietf-opsawg-pcaplinktype) for the headers ntok's captures carry.
 */
export const LINKTYPE = {
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export interface CapturedPacket {
  /** Seconds since the Unix epoch as a float (loses nanoseconds beyond ~2^22 s; use tsSec/tsNsec to be exact). */
  timestamp: number;
  tsSec: number;
  /** 0 .. 999,999,999 whatever the file's resolution. */
  tsNsec: number;
  linkType: number;
  /** The captured bytes: a view into the input, not a copy. */
  data: Uint8Array;
  /** Length on the wire; larger than data.length when the capture was cut at the snap length. */
  originalLength: number;
  /** Index into Capture.interfaces (counted across pcapng sections). */
  interfaceId: number;
}

export interface CaptureInterface {
  linkType: number;
  /** 0 means no limit (pcapng §4.2). */
  snaplen: number;
  name?: string;
  /** Timestamp units per second: 1e6 for microseconds, 1e9 for nanoseconds. */
  tsResolution: number;
}

export interface Capture {
  format: 'pcap' | 'pcapng';
  packets: CapturedPacket[];
  interfaces: CaptureInterface[];
}

export interface CaptureLimits {
  /** Most packets a file may hold (default 1,000,000). */
  maxPackets?: number;
  /** Most captured bytes one packet may hold (default 262,144, libpcap's MAXIMUM_SNAPLEN). */
  maxPacketBytes?: number;
}

/** What the writers take; a CapturedPacket fits as is, so read-then-write keeps exact timestamps. */
export interface PacketToWrite {
  data: Uint8Array;
  /** Seconds since the Unix epoch (default 0, so files are reproducible). */
  timestamp?: number;
  /** Exact alternative to timestamp; both tsSec and tsNsec must be given, and win over timestamp. */
  tsSec?: number;
  tsNsec?: number;
}

export type CaptureErrorCode =
  | 'ERR_CAPTURE_TRUNCATED'
  | 'ERR_CAPTURE_FORMAT'
  | 'ERR_CAPTURE_UNSUPPORTED'
  | 'ERR_CAPTURE_TOO_LARGE'
  | 'ERR_CAPTURE_OPTION_INVALID';

export class CaptureError extends Error {
  readonly code: CaptureErrorCode;
  /** Byte offset in the file of the bad field, when there is one. */
  readonly offset: number | undefined;

  constructor(code: CaptureErrorCode, message: string, offset?: number) {
    super(offset === undefined ? message : `${message} (at byte offset ${offset})`);
    this.name = 'CaptureError';
    this.code = code;
    this.offset = offset;
  }
}

export const DEFAULT_MAX_PACKETS = 1_000_000;
export const DEFAULT_MAX_PACKET_BYTES = 262_144;
/** What the writers put in the snap length field unless told otherwise (libpcap's default). */
export const DEFAULT_SNAPLEN = 262_144;

export function resolveLimits(limits: CaptureLimits | undefined): Required<CaptureLimits> {
  const maxPackets = limits?.maxPackets ?? DEFAULT_MAX_PACKETS;
  const maxPacketBytes = limits?.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  requireCount('maxPackets', maxPackets, 0, Number.MAX_SAFE_INTEGER);
  requireCount('maxPacketBytes', maxPacketBytes, 0, 0xffffffff);
  return { maxPackets, maxPacketBytes };
}

export function requireCount(name: string, value: unknown, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CaptureError('ERR_CAPTURE_OPTION_INVALID', `${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
}

export function checkPacketLimits(
  limits: Required<CaptureLimits>,
  packetCount: number,
  capturedLength: number,
  offset: number,
): void {
  if (packetCount >= limits.maxPackets) {
    throw new CaptureError('ERR_CAPTURE_TOO_LARGE', `more than maxPackets (${limits.maxPackets}) packets`, offset);
  }
  if (capturedLength > limits.maxPacketBytes) {
    throw new CaptureError(
      'ERR_CAPTURE_TOO_LARGE',
      `captured length ${capturedLength} exceeds maxPacketBytes (${limits.maxPacketBytes})`,
      offset,
    );
  }
}

/**
 * A writer's timestamp as whole seconds (u32, what both formats' writers use)
 * and a fraction in `unitsPerSecond` (1e6 or 1e9): a float timestamp is
 * rounded to the nearest unit (a double near 1.7e9 s is only good to ~0.2 µs,
 * so truncating would turn .123456 into .123455); exact tsNsec is truncated.
 */
export function splitTimestamp(
  packet: PacketToWrite,
  index: number,
  unitsPerSecond: number,
): { sec: number; fraction: number } {
  if (packet.tsSec !== undefined || packet.tsNsec !== undefined) {
    requireCount(`packets[${index}].tsSec`, packet.tsSec, 0, 0xffffffff);
    requireCount(`packets[${index}].tsNsec`, packet.tsNsec, 0, 999_999_999);
    return { sec: packet.tsSec, fraction: Math.floor(packet.tsNsec / (1e9 / unitsPerSecond)) };
  }
  const t = packet.timestamp ?? 0;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t >= 2 ** 32) {
    throw new CaptureError(
      'ERR_CAPTURE_OPTION_INVALID',
      `packets[${index}].timestamp must be seconds in 0..2^32, got ${String(t)}`,
    );
  }
  let sec = Math.floor(t);
  let fraction = Math.round((t - sec) * unitsPerSecond);
  if (fraction === unitsPerSecond) {
    sec += 1;
    fraction = 0;
  }
  if (sec > 0xffffffff) {
    throw new CaptureError('ERR_CAPTURE_OPTION_INVALID', `packets[${index}].timestamp rounds past 2^32 - 1 seconds`);
  }
  return { sec, fraction };
}

export function requirePacketData(packet: PacketToWrite, index: number): Uint8Array {
  if (!(packet?.data instanceof Uint8Array)) {
    throw new CaptureError('ERR_CAPTURE_OPTION_INVALID', `packets[${index}].data must be a Uint8Array`);
  }
  return packet.data;
}

export function packetTimestamp(tsSec: number, tsNsec: number): number {
  return tsSec + tsNsec / 1e9;
}
