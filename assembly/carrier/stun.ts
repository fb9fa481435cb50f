// The STUN carrier (RFC 8489): a network token travels as the value of a
// comprehension-optional attribute, 0x8030 by default, in any STUN message
// (a Binding Request from the endpoint, and the Binding Success Response
// the peer reflects it in).
//
// Strict and bounded: the UDP payload must be exactly one STUN message
// (§5: top two bits zero, magic cookie, length a multiple of 4 that fills
// the payload), every attribute must lie inside it, at most
// MAX_STUN_ATTRIBUTES attributes are walked, and nothing outside
// (ptr, len) is read. Neither MESSAGE-INTEGRITY nor FINGERPRINT is
// verified (the gateway has no ICE password; the token carries its own MAC
// or signature); their lengths are checked and their places recorded, so
// that a tagger inserting a token can reuse this scan (see trailerOffset).
//
// Which attributes count. A STUN agent ignores what follows
// MESSAGE-INTEGRITY (§14.5: all but MESSAGE-INTEGRITY-SHA256 and
// FINGERPRINT) and MESSAGE-INTEGRITY-SHA256 (§14.6: all but FINGERPRINT);
// that is exactly where a gateway tagging a request puts the token (issue 4:
// "where receivers ignore it", so the STUN peer's integrity check still
// passes). The gateway is not the STUN agent, and a token carries its own
// MAC or signature and binding, so tokens are read there too: every token
// attribute before FINGERPRINT is found. §14.7: FINGERPRINT is last;
// attributes after it are ignored (not an error), tokens included.
// Ignored attributes must still be well-formed TLVs and are counted in
// `ignored`; only the first MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and
// FINGERPRINT that count are recorded and length-checked.

import { CarrierError, FoundTokens } from "./found";
import { PacketDetail } from "../packet-detail-text";

/** §5: the fixed value of the second 32-bit word of every STUN message. */
export const STUN_MAGIC_COOKIE: u32 = 0x2112a442;
/** §5: message type, length, magic cookie, transaction ID. */
export const STUN_HEADER_LEN: i32 = 20;
/** §14: type and length of an attribute, before its value. */
export const STUN_ATTR_HEADER_LEN: i32 = 4;
/** Most attributes one message may hold; a WebRTC Binding Request has about 8. */
export const MAX_STUN_ATTRIBUTES: i32 = 64;

/** §18.3.1: method 0x001. */
export const STUN_METHOD_BINDING: u16 = 0x0001;

/** §14.5: HMAC-SHA1, 20 bytes. */
export const ATTR_MESSAGE_INTEGRITY: u16 = 0x0008;
/** §14.6: HMAC-SHA256, 16 to 32 bytes, a multiple of 4. */
export const ATTR_MESSAGE_INTEGRITY_SHA256: u16 = 0x001c;
/** §14.7: CRC-32 of the message up to here, XOR 0x5354554e, 4 bytes. */
export const ATTR_FINGERPRINT: u16 = 0x8028;

/**
 * The draft's token attribute. It collides with IANA's MOBILITY-TICKET
 * (RFC 8016), hence configurable: every scan takes the type to look for.
 */
export const DEFAULT_STUN_TOKEN_ATTR: u16 = 0x8030;

const MESSAGE_INTEGRITY_LEN: i32 = 20;
const MESSAGE_INTEGRITY_SHA256_MIN: i32 = 16;
const MESSAGE_INTEGRITY_SHA256_MAX: i32 = 32;
const FINGERPRINT_LEN: i32 = 4;

/** §5: the two class bits C1 C0 of the message type. */
export const enum StunClass {
  REQUEST = 0,
  INDICATION = 1,
  SUCCESS_RESPONSE = 2,
  ERROR_RESPONSE = 3,
}

// Where the scan stands relative to the integrity / fingerprint trailer.
const PHASE_OPEN: i32 = 0; // attributes count
const PHASE_AFTER_MI: i32 = 1; // only M-I-SHA256 and FINGERPRINT count (§14.5)
const PHASE_AFTER_MI256: i32 = 2; // only FINGERPRINT counts (§14.6)
const PHASE_AFTER_FP: i32 = 3; // nothing counts (§14.7)

function be16(p: usize): i32 {
  return (<i32>load<u8>(p) << 8) | <i32>load<u8>(p + 1);
}

function be32(p: usize): u32 {
  return (<u32>load<u8>(p) << 24) | (<u32>load<u8>(p + 1) << 16) | (<u32>load<u8>(p + 2) << 8) | <u32>load<u8>(p + 3);
}

/** §14: a value is padded to a multiple of 4 bytes. */
function padded(len: i32): i32 {
  return (len + 3) & ~3;
}

export class StunMessage {
  /** The 14-bit message type (§5). */
  messageType: u16 = 0;
  /** Method M11..M0, taken out from between the class bits (§5). */
  method: u16 = 0;
  /** StunClass: the class bits C1 C0 (§5). */
  messageClass: i32 = 0;
  /** Message length field: bytes after the 20-byte header (§5). */
  length: i32 = 0;
  /** The 96-bit transaction ID, a view into the message (§5). */
  transactionId: usize = 0;
  /** Attributes walked, ignored ones included. */
  attributeCount: i32 = 0;
  /** Attributes ignored because they follow MESSAGE-INTEGRITY(-SHA256) or FINGERPRINT. */
  ignored: i32 = 0;
  /** Offsets from the message start of the attribute headers; -1 if absent. */
  integrityOffset: i32 = -1;
  integritySha256Offset: i32 = -1;
  fingerprintOffset: i32 = -1;
  /**
   * Where the protected trailer begins: the offset of the first of
   * MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, or the
   * message length (20 + length) when there is none. An attribute inserted
   * here is read by every STUN agent; one inserted after it is ignored.
   */
  trailerOffset: i32 = -1;
  /** CarrierError of the last parse, NONE on success. */
  error: i32 = CarrierError.NONE;
  /** What failed (NONE on success); packetDetailText() (packet/packet.ts) says it in words. */
  detail: PacketDetail = PacketDetail.NONE;
  /** Offset of the attribute (or header) the error is about; -1 without error. */
  errorOffset: i32 = -1;

  /**
   * Is (ptr, len) exactly one well-formed STUN message? Fills the fields
   * above either way (up to the failure).
   */
  parse(ptr: usize, len: i32): bool {
    return this.scan(ptr, len, 0, null) >= 0;
  }

  /**
   * Parses the message and appends to `out` the value of every `attrType`
   * attribute that counts, in message order. Returns how many it found
   * (kept or dropped by `out`), or a negative CarrierError; on an error
   * `out` is left as it was.
   */
  findTokens(ptr: usize, len: i32, attrType: u16, out: FoundTokens): i32 {
    return this.scan(ptr, len, <i32>attrType, out);
  }

  private reset(): void {
    this.messageType = 0;
    this.method = 0;
    this.messageClass = 0;
    this.length = 0;
    this.transactionId = 0;
    this.attributeCount = 0;
    this.ignored = 0;
    this.integrityOffset = -1;
    this.integritySha256Offset = -1;
    this.fingerprintOffset = -1;
    this.trailerOffset = -1;
    this.error = CarrierError.NONE;
    this.detail = PacketDetail.NONE;
    this.errorOffset = -1;
  }

  private fail(code: i32, offset: i32, detail: PacketDetail): i32 {
    this.error = code;
    this.errorOffset = offset;
    this.detail = detail;
    return code;
  }

  private scan(ptr: usize, len: i32, attrType: i32, out: FoundTokens | null): i32 {
    this.reset();
    if (len < STUN_HEADER_LEN) return this.fail(CarrierError.NOT_STUN, 0, PacketDetail.SHORTER_THAN_A_STUN_HEADER);
    const type = be16(ptr);
    if ((type & 0xc000) != 0) return this.fail(CarrierError.NOT_STUN, 0, PacketDetail.STUN_TOP_TWO_BITS_NOT_ZERO);
    if (be32(ptr + 4) != STUN_MAGIC_COOKIE) return this.fail(CarrierError.NOT_STUN, 4, PacketDetail.NO_STUN_MAGIC_COOKIE);
    this.messageType = <u16>type;
    // §5: 0b00 M11..M7 C1 M6..M4 C0 M3..M0
    this.messageClass = ((type >> 7) & 2) | ((type >> 4) & 1);
    this.method = <u16>((type & 0x000f) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0f80));
    const length = be16(ptr + 2);
    this.length = length;
    this.transactionId = ptr + 8;
    if ((length & 3) != 0) return this.fail(CarrierError.BAD_STUN_LENGTH, 2, PacketDetail.STUN_LENGTH_NOT_A_MULTIPLE_OF_4);
    if (length != len - STUN_HEADER_LEN) return this.fail(CarrierError.BAD_STUN_LENGTH, 2, PacketDetail.STUN_LENGTH_DOES_NOT_FILL_THE_UDP_PAYLOAD);

    const before = out != null ? out.total : 0;
    let found = 0;
    let phase = PHASE_OPEN;
    let pos = STUN_HEADER_LEN;
    // Every offset below is a multiple of 4 and at most len, so a value that
    // fits unpadded fits padded too; both are checked all the same.
    while (pos < len) {
      if (this.attributeCount >= MAX_STUN_ATTRIBUTES) {
        return this.undo(out, before, this.fail(CarrierError.TOO_MANY_ATTRIBUTES, pos, PacketDetail.MORE_STUN_ATTRIBUTES_THAN_THE_LIMIT));
      }
      // Cannot happen while pos and len are multiples of 4; it bounds the reads below.
      if (len - pos < STUN_ATTR_HEADER_LEN) {
        return this.undo(out, before, this.fail(CarrierError.BAD_ATTRIBUTE, pos, PacketDetail.STUN_ATTRIBUTE_HEADER_TRUNCATED));
      }
      const at = be16(ptr + <usize>pos);
      const alen = be16(ptr + <usize>pos + 2);
      const value = pos + STUN_ATTR_HEADER_LEN;
      if (alen > len - value || padded(alen) > len - value) {
        return this.undo(out, before, this.fail(CarrierError.BAD_ATTRIBUTE, pos, PacketDetail.STUN_ATTRIBUTE_RUNS_PAST_THE_MESSAGE));
      }
      this.attributeCount++;

      if (at == <i32>ATTR_MESSAGE_INTEGRITY && phase == PHASE_OPEN) {
        if (alen != MESSAGE_INTEGRITY_LEN) {
          return this.undo(out, before, this.fail(CarrierError.BAD_ATTRIBUTE, pos, PacketDetail.MESSAGE_INTEGRITY_IS_NOT_20_BYTES));
        }
        this.integrityOffset = pos;
        phase = PHASE_AFTER_MI;
      } else if (at == <i32>ATTR_MESSAGE_INTEGRITY_SHA256 && phase <= PHASE_AFTER_MI) {
        if (alen < MESSAGE_INTEGRITY_SHA256_MIN || alen > MESSAGE_INTEGRITY_SHA256_MAX || (alen & 3) != 0) {
          return this.undo(out, before, this.fail(CarrierError.BAD_ATTRIBUTE, pos, PacketDetail.MESSAGE_INTEGRITY_SHA256_LENGTH));
        }
        this.integritySha256Offset = pos;
        phase = PHASE_AFTER_MI256;
      } else if (at == <i32>ATTR_FINGERPRINT && phase <= PHASE_AFTER_MI256) {
        if (alen != FINGERPRINT_LEN) {
          return this.undo(out, before, this.fail(CarrierError.BAD_ATTRIBUTE, pos, PacketDetail.FINGERPRINT_IS_NOT_4_BYTES));
        }
        this.fingerprintOffset = pos;
        phase = PHASE_AFTER_FP;
      } else if (at == attrType && phase != PHASE_AFTER_FP) {
        if (out != null) out.add(ptr + <usize>value, alen);
        found++;
      } else if (phase != PHASE_OPEN) {
        this.ignored++;
      }
      if (phase != PHASE_OPEN && this.trailerOffset < 0) this.trailerOffset = pos;
      pos = value + padded(alen);
    }
    if (this.trailerOffset < 0) this.trailerOffset = len;
    return found;
  }

  private undo(out: FoundTokens | null, before: i32, code: i32): i32 {
    if (out != null) out.truncate(before);
    return code;
  }
}
