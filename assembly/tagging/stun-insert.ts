// Tagging with the STUN carrier: a network token inserted as an attribute
// (RFC 8489 §14: type, length of the value unpadded, value, zero padding to
// a multiple of 4) into a STUN request that is a UDP payload, in place, in
// the caller's buffer. The reader is assembly/carrier/stun.ts.
//
// Where it goes keeps every integrity check of the message valid:
// - With FINGERPRINT: directly before it, which §14.7 keeps last. That is
//   after MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 when they are
//   there (§14.7 orders them before FINGERPRINT).
// - Without FINGERPRINT: at the end of the message, so again after both
//   integrity attributes when they are there.
// The HMACs of MESSAGE-INTEGRITY (§14.5) and MESSAGE-INTEGRITY-SHA256
// (§14.6) cover the message up to themselves, with the length field set to
// end there (the verifier sets it): neither the bytes nor that length
// change, so both stay valid. STUN agents ignore the token there (§14.5),
// and so does the scanner in carrier/stun.ts today: a verifying gateway
// must look after MESSAGE-INTEGRITY on purpose to find it. Without
// MESSAGE-INTEGRITY the token is where every reader reads it.
// FINGERPRINT covers everything before it with the final length: it is
// recomputed (util/crc32.ts).
//
// Then the lengths that count the message grow: STUN message length (§5),
// UDP length (RFC 768), IPv4 total length with its header checksum updated
// incrementally (RFC 1624 eqn. 3), or IPv6 payload length (RFC 8200 §3).
// The UDP checksum is recomputed over the new datagram (packet/checksum.ts:
// over IPv4 a 0, "no checksum", stays 0): the attribute, the STUN length,
// the UDP length (in the header and the pseudo-header) and FINGERPRINT all
// change, and one pass over a few hundred bytes is the simplest to get
// right. Unlike an incremental update (RFC 1624) it also turns the
// checksum of a datagram corrupted before it reached us into a valid one.
//
// Only requests are tagged (TagError.NOT_STUN_REQUEST otherwise), only
// whole datagrams (no fragments). Link-layer bytes after the IP datagram
// (Ethernet padding) are dropped. Everything the Packet views lies before
// the inserted attribute, so on success it describes the tagged packet once
// its lengths are updated (frameLen, l3Len, l4Len, payloadLen): no second
// parse.

import { IpProto, Packet, PacketError } from "../packet/packet";
import { checksumAdjust, finalDestination, setL4Checksum } from "../packet/checksum";
import { putU16be, putU32be, u16be } from "../packet/wire";
import { STUN_ATTR_HEADER_LEN, STUN_HEADER_LEN, StunClass, StunMessage } from "../carrier/stun";
import { crc32 } from "../util/crc32";
import { TagError } from "./tag-error";

/** RFC 8489 §14.7: the FINGERPRINT value is the CRC-32 XOR this ("STUN"). */
export const STUN_FINGERPRINT_XOR: u32 = 0x5354554e;

const IPV4_TOTAL_LENGTH_AT: usize = 2; // RFC 791 §3.1
const IPV4_CHECKSUM_AT: usize = 10;
const IPV6_PAYLOAD_LENGTH_AT: usize = 4; // RFC 8200 §3
const IPV6_HEADER_LEN: i32 = 40;
const UDP_LENGTH_AT: usize = 4; // RFC 768
const MAX_LENGTH_FIELD: i32 = 0xffff;

// One message scanner, reused (nothing is allocated per packet).
const stun = new StunMessage();

/** RFC 8489 §14.7: the FINGERPRINT value of the message at `msg` whose FINGERPRINT attribute is at `offset`. */
export function stunFingerprint(msg: usize, offset: i32): u32 {
  return crc32(msg, offset) ^ STUN_FINGERPRINT_XOR;
}

/** Adds `delta` to the 16-bit length field at `at`. */
function grow16(at: usize, delta: i32): void {
  putU16be(at, u16be(at) + delta);
}

/**
 * Inserts an attribute of type `attrType` whose value is the `valueLen`
 * bytes at `value` (the network-token header + token; they must not lie
 * inside the packet) into the STUN request that is the UDP payload of the
 * packet `p` describes (see above for where).
 *
 * `p` holds a successful parse of the frame at p.frame, which lies in a
 * buffer of `capacity` bytes; the IP datagram may grow to `mtu` bytes.
 * Returns the new frame length, with `p` describing the tagged packet, or
 * a negative TagError with the packet untouched.
 */
export function insertStunAttribute(
  p: Packet,
  capacity: i32,
  mtu: i32,
  attrType: u16,
  value: usize,
  valueLen: i32,
): i32 {
  if (p.error != PacketError.NONE || p.proto != IpProto.UDP) return TagError.NOT_APPLICABLE;
  if (p.isFragment) return TagError.FRAGMENT;
  if (p.payload == 0) return TagError.NOT_APPLICABLE;
  if (<u32>valueLen > <u32>MAX_LENGTH_FIELD) return TagError.BAD_ARGUMENT;
  const msg = p.payload;
  if (!stun.parse(msg, p.payloadLen)) return TagError.NOT_APPLICABLE;
  if (stun.messageClass != StunClass.REQUEST) return TagError.NOT_STUN_REQUEST;
  if (p.version == 6 && finalDestination(p) == 0) return TagError.NO_CHECKSUM;

  const messageLen = STUN_HEADER_LEN + stun.length;
  const fingerprint = stun.fingerprintOffset;
  const where = fingerprint >= 0 ? fingerprint : messageLen;
  const padded = (valueLen + 3) & ~3;
  const delta = STUN_ATTR_HEADER_LEN + padded;
  if (stun.length + delta > MAX_LENGTH_FIELD) return TagError.TOO_BIG;
  const newL3Len = p.l3Len + delta;
  const ipLimit = p.version == 4 ? MAX_LENGTH_FIELD : MAX_LENGTH_FIELD + IPV6_HEADER_LEN;
  if (newL3Len > mtu || newL3Len > ipLimit) return TagError.TOO_BIG;
  const newFrameLen = <i32>(p.l3 - p.frame) + newL3Len;
  if (newFrameLen > capacity) return TagError.NO_ROOM;

  const at = msg + <usize>where;
  const l3End = p.l3 + <usize>p.l3Len;
  memory.copy(at + <usize>delta, at, l3End - at);
  putU16be(at, attrType);
  putU16be(at + 2, valueLen);
  memory.copy(at + 4, value, <usize>valueLen);
  memory.fill(at + 4 + <usize>valueLen, 0, <usize>(padded - valueLen)); // §14: padding bits are zero

  grow16(msg + 2, delta);
  grow16(p.l4 + UDP_LENGTH_AT, delta);
  if (p.version == 4) {
    const field = p.l3 + IPV4_TOTAL_LENGTH_AT;
    const oldLen = u16be(field);
    putU16be(field, newL3Len);
    const sum = p.l3 + IPV4_CHECKSUM_AT;
    putU16be(sum, checksumAdjust(u16be(sum), oldLen, newL3Len));
  } else {
    putU16be(p.l3 + IPV6_PAYLOAD_LENGTH_AT, newL3Len - IPV6_HEADER_LEN);
  }
  if (fingerprint >= 0) {
    const moved = fingerprint + delta;
    putU32be(msg + <usize>moved + 4, stunFingerprint(msg, moved));
  }

  p.frameLen = newFrameLen;
  p.l3Len = newL3Len;
  p.l4Len += delta;
  p.payloadLen += delta;
  setL4Checksum(p);
  return newFrameLen;
}
