// What a carrier scan yields: the token values found in one packet, and the
// typed errors of the carrier parsers (stun.ts, ipv6-option.ts).
//
// A packet may carry several tokens: several STUN token attributes, several
// IPv6 token options, options in both a Hop-by-Hop and a Destination Options
// header. The carriers collect every value in packet order and never judge
// it; the pipeline tries them in that order and THE FIRST TOKEN THAT
// VERIFIES WINS (the later ones are not looked at). An invalid token
// therefore never hides a valid one behind it, as long as it is among the
// first MAX_FOUND.
//
// Each value is the carrier's whole attribute / option value, i.e. the
// 4-byte network-token header followed by the token (ARCHITECTURE.md, Wire
// format); the carriers do not parse it, so a value too short to hold the
// header (even an empty one) is collected like any other and rejected by
// the header reader.
//
// The list is fixed-capacity (no allocation per packet) and is appended to:
// a caller clears it once per packet, then runs every carrier of that packet
// into it, so that the order is the packet's order across headers.

/** Token values kept per packet; more are counted in `dropped`, not kept. */
export const MAX_FOUND: i32 = 4;

export class FoundTokens {
  /** Values kept, at most MAX_FOUND. */
  count: i32 = 0;
  /** Values found after the list was full (counted, not kept). */
  dropped: i32 = 0;
  /** Start of each kept value in linear memory (a view into the packet). */
  ptrs: StaticArray<usize> = new StaticArray<usize>(MAX_FOUND);
  /** Length of each kept value in bytes (header + token). */
  lens: StaticArray<i32> = new StaticArray<i32>(MAX_FOUND);

  clear(): void {
    this.count = 0;
    this.dropped = 0;
  }

  /** Every value found, kept or not. */
  get total(): i32 {
    return this.count + this.dropped;
  }

  add(ptr: usize, len: i32): void {
    if (this.count >= MAX_FOUND) {
      this.dropped++;
      return;
    }
    unchecked((this.ptrs[this.count] = ptr));
    unchecked((this.lens[this.count] = len));
    this.count++;
  }

  /** Start of kept value `i` (0 for an index out of range). */
  ptr(i: i32): usize {
    return i >= 0 && i < this.count ? unchecked(this.ptrs[i]) : 0;
  }

  /** Length of kept value `i` (-1 for an index out of range). */
  len(i: i32): i32 {
    return i >= 0 && i < this.count ? unchecked(this.lens[i]) : -1;
  }

  /**
   * Forgets what was added after a `total` of `keep`: a carrier that finds
   * its input malformed halfway takes back the values it had appended.
   */
  truncate(keep: i32): void {
    if (keep < 0) keep = 0;
    if (keep >= this.total) return;
    if (keep <= MAX_FOUND) {
      this.count = keep;
      this.dropped = 0;
    } else {
      this.dropped = keep - MAX_FOUND;
    }
  }
}

/**
 * Why a carrier refused its input. The values are negative so that a scan
 * returns "count of values found, or an error" in one i32. Stable: names
 * below, new ones appended.
 */
export const enum CarrierError {
  NONE = 0,
  /** Shorter than a STUN header, top two bits not zero, or no magic cookie (RFC 8489 §5). */
  NOT_STUN = -1,
  /** Message length not a multiple of 4, or not the UDP payload's length minus 20 (RFC 8489 §5). */
  BAD_STUN_LENGTH = -2,
  /** An attribute runs past the message, or MESSAGE-INTEGRITY(-SHA256) / FINGERPRINT has a wrong length (RFC 8489 §14). */
  BAD_ATTRIBUTE = -3,
  /** More attributes than MAX_STUN_ATTRIBUTES. */
  TOO_MANY_ATTRIBUTES = -4,
  /** An options header whose length is not (Hdr Ext Len + 1) * 8 (RFC 8200 §4.3, §4.6). */
  BAD_EXT_LENGTH = -5,
  /** An option that runs past the end of its header (RFC 8200 §4.2). */
  BAD_OPTIONS = -6,
}

export const CARRIER_ERROR_MIN: i32 = -6;

// [name, meaning]; index = -error. @lazy: the texts are in a module only if
// it calls the functions below (the specs do; the packet path only returns
// the codes), saving the release module ~1.4 KB.
@lazy const ERRORS: string[] = [
  "none", "no error",
  "not-stun", "not a STUN message (too short, top bits set, or no magic cookie)",
  "bad-stun-length", "the STUN message length is not a multiple of 4 or does not fill the UDP payload",
  "bad-attribute", "a STUN attribute runs past the message or has an invalid length",
  "too-many-attributes", "the STUN message has more attributes than the parser's limit",
  "bad-ext-length", "the IPv6 options header length does not match its Hdr Ext Len",
  "bad-options", "an IPv6 option runs past the end of its header",
];

/** Stable name of a carrier error ("" for an unknown one). */
export function carrierErrorName(e: i32): string {
  if (e > 0 || e < CARRIER_ERROR_MIN) return "";
  return ERRORS[(-e) << 1];
}

/** Meaning of a carrier error ("" for an unknown one). */
export function carrierErrorMessage(e: i32): string {
  if (e > 0 || e < CARRIER_ERROR_MIN) return "";
  return ERRORS[((-e) << 1) + 1];
}
