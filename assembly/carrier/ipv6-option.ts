// The IPv6 carrier (RFC 8200 §4.2): a network token travels as the data of
// an option, type 0x1F by default, in a Hop-by-Hop Options (§4.3) or
// Destination Options (§4.6) header. Option data is header + token, so a
// token option holds at most 255 bytes.
//
// The walk is strict and bounded by the header: the header must be exactly
// (Hdr Ext Len + 1) * 8 bytes, every option must end inside it, and nothing
// outside (ext, extLen) is read. Option types are matched as whole bytes, so
// the action and change bits of the configured type must match too.
// Padding content is not checked (§4.2 asks receivers for nothing there).
// Pad1 and PadN are never tokens, whatever type is configured.

import { CarrierError, FoundTokens } from "./found";

/**
 * The draft's option type: action 00 (skip if unrecognized), change bit 0
 * (data does not change en route), number 0x1F. Not assigned by IANA,
 * hence configurable: every scan takes the type to look for.
 */
export const DEFAULT_IPV6_TOKEN_OPTION: u8 = 0x1f;

/** §4.2: a single byte of padding, no length, no data. */
export const OPTION_PAD1: u8 = 0x00;
/** §4.2: N bytes of padding: type, length N - 2, N - 2 zero bytes. */
export const OPTION_PADN: u8 = 0x01;

/** §4.3, §4.6: Next Header and Hdr Ext Len precede the options. */
export const OPTIONS_HEADER_FIXED_LEN: i32 = 2;
/** §4.3, §4.6: the header is a multiple of 8 bytes, at least 8. */
export const OPTIONS_HEADER_UNIT: i32 = 8;

/**
 * Walks the options of one whole Hop-by-Hop or Destination Options header
 * (Next Header byte, Hdr Ext Len byte, options) and appends to `out` the
 * data of every `optionType` option, in header order. Returns how many it
 * found (kept or dropped by `out`), or a negative CarrierError; on an error
 * `out` is left as it was.
 */
export function findOptionTokens(ext: usize, extLen: i32, optionType: u8, out: FoundTokens): i32 {
  if (extLen < OPTIONS_HEADER_UNIT) return CarrierError.BAD_EXT_LENGTH;
  // §4.3: "Length of the header in 8-octet units, not including the first 8 octets."
  if (extLen != (<i32>load<u8>(ext + 1) + 1) * OPTIONS_HEADER_UNIT) return CarrierError.BAD_EXT_LENGTH;

  const before = out.total;
  let found = 0;
  let pos = OPTIONS_HEADER_FIXED_LEN;
  while (pos < extLen) {
    const type = load<u8>(ext + <usize>pos);
    if (type == OPTION_PAD1) {
      pos++;
      continue;
    }
    // §4.2: Option Type, Opt Data Len, then Opt Data Len bytes of data.
    if (extLen - pos < 2) {
      out.truncate(before);
      return CarrierError.BAD_OPTIONS;
    }
    const dataLen = <i32>load<u8>(ext + <usize>pos + 1);
    const data = pos + 2;
    if (dataLen > extLen - data) {
      out.truncate(before);
      return CarrierError.BAD_OPTIONS;
    }
    if (type == optionType && type != OPTION_PADN) {
      out.add(ext + <usize>data, dataLen);
      found++;
    }
    pos = data + dataLen;
  }
  return found;
}
