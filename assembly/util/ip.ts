// IP address text, both ways: bip claims may carry an address as bytes or as
// text, and results print it as text.

import { HEX_DIGITS, DECIMAL_PAIRS } from "./digits";

/** A byte in decimal, without a division (util/digits.ts). */
@inline function writeDecimalByte(v: i32, out: usize): i32 {
  if (v < 10) {
    store<u8>(out, <u8>(0x30 + v));
    return 1;
  }
  if (v < 100) {
    store<u16>(out, load<u16>(DECIMAL_PAIRS + (<usize>v << 1)));
    return 2;
  }
  const hundreds = v >= 200 ? 2 : 1;
  store<u8>(out, <u8>(0x30 + hundreds));
  store<u16>(out + 1, load<u16>(DECIMAL_PAIRS + (<usize>(v - hundreds * 100) << 1)));
  return 3;
}

export function writeIpv4(ptr: usize, out: usize): i32 {
  let n = 0;
  for (let i = 0; i < 4; i++) {
    if (i > 0) store<u8>(out + n++, 0x2e);
    n += writeDecimalByte(<i32>load<u8>(ptr + i), out + n);
  }
  return n;
}

/** Most bytes writeIp produces (an IPv4-mapped IPv6 address). */
export const IP_TEXT_MAX: i32 = 45;

/**
 * Writes an address as ASCII to `out` (IP_TEXT_MAX bytes of room): IPv4
 * dotted quad, or IPv6 in RFC 5952 form (longest zero run compressed,
 * lowercase). Returns the length, 0 for a length that is no address. Writes
 * bytes, not strings: results are formatted without allocating.
 */
export function writeIp(ptr: usize, len: i32, out: usize): i32 {
  if (len == 4) return writeIpv4(ptr, out);
  if (len != 16) return 0;
  // RFC 5952 §4.2: compress the longest run of two or more zero words, the first if tied.
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (wordAt(ptr, i) != 0) { i++; continue; }
    let j = i;
    while (j < 8 && wordAt(ptr, j) == 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted tail.
  const mapped = bestStart == 0 && bestLen == 5 && wordAt(ptr, 5) == 0xffff;
  let n = 0;
  for (let i = 0; i < 8; i++) {
    if (i == bestStart) {
      if (i == 0) store<u8>(out + n++, 0x3a);
      store<u8>(out + n++, 0x3a);
      i += bestLen - 1;
      continue;
    }
    if (mapped && i == 6) return n + writeIpv4(ptr + 12, out + n);
    const w = wordAt(ptr, i);
    let started = false;
    for (let shift = 12; shift >= 0; shift -= 4) {
      const d = (w >> shift) & 15;
      if (d == 0 && !started && shift > 0) continue;
      started = true;
      store<u8>(out + n++, load<u8>(HEX_DIGITS + <usize>d));
    }
    if (i < 7) store<u8>(out + n++, 0x3a);
  }
  return n;
}

function wordAt(ptr: usize, i: i32): i32 {
  return (<i32>load<u8>(ptr + (i << 1)) << 8) | <i32>load<u8>(ptr + (i << 1) + 1);
}

/** The text of an address as a string (tests, configuration messages). */
export function formatIp(ptr: usize, len: i32): string {
  const buf = memory.data(IP_TEXT_MAX);
  return String.UTF8.decodeUnsafe(buf, writeIp(ptr, len, buf));
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Parses IPv4 dotted decimal in bytes [start, end) of `s` into out[0..4); false if not exactly that. */
function parseIpv4(s: usize, start: i32, end: i32, out: usize): bool {
  let part = 0, value = -1, digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? <i32>load<u8>(s + i) : 0x2e;
    if (c == 0x2e) {
      if (value < 0 || part > 3) return false;
      store<u8>(out + part, <u8>value);
      part++;
      value = -1;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value == 0) return false; // no leading zeros (octal ambiguity)
      value = (value < 0 ? 0 : value) * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return false;
    } else return false;
  }
  return part == 4;
}

/** Index of byte `c` in s[from, n), or -1. */
function indexOfByte(s: usize, c: i32, from: i32, n: i32): i32 {
  for (let i = from; i < n; i++) if (<i32>load<u8>(s + i) == c) return i;
  return -1;
}

const WORDS: usize = memory.data(8 * 4);
const IPV4_TAIL: usize = memory.data(4);

/**
 * Parses IPv4 or IPv6 text (the n bytes at s: a claim's UTF-8 as it is, no
 * string made) into `out` (16 bytes of room); returns 4, 16, or 0 when the
 * text is not an address. Zone ids are not addresses here.
 */
export function parseIp(s: usize, n: i32, out: usize): i32 {
  if (n <= 0 || n > 45) return 0;
  if (indexOfByte(s, 0x3a, 0, n) < 0) return parseIpv4(s, 0, n, out) ? 4 : 0;
  let count = 0, gap = -1, i = 0;
  if (n >= 2 && load<u16>(s) == 0x3a3a) { gap = 0; i = 2; if (n == 2) { memory.fill(out, 0, 16); return 16; } } // "::"
  else if (load<u8>(s) == 0x3a) return 0;
  while (i < n) {
    // An embedded IPv4 tail (RFC 4291 §2.2 form 3).
    const nextColon = indexOfByte(s, 0x3a, i, n);
    const segEnd = nextColon < 0 ? n : nextColon;
    if (nextColon < 0 && indexOfByte(s, 0x2e, i, n) >= 0) {
      if (count > 6) return 0;
      if (!parseIpv4(s, i, n, IPV4_TAIL)) return 0;
      store<i32>(WORDS + (<usize>(count++) << 2), (<i32>load<u8>(IPV4_TAIL) << 8) | load<u8>(IPV4_TAIL + 1));
      store<i32>(WORDS + (<usize>(count++) << 2), (<i32>load<u8>(IPV4_TAIL + 2) << 8) | load<u8>(IPV4_TAIL + 3));
      i = n;
      break;
    }
    if (segEnd - i < 1 || segEnd - i > 4 || count >= 8) return 0;
    let w = 0;
    for (let k = i; k < segEnd; k++) {
      const h = hexValue(<i32>load<u8>(s + k));
      if (h < 0) return 0;
      w = (w << 4) | h;
    }
    store<i32>(WORDS + (<usize>(count++) << 2), w);
    i = segEnd;
    if (i < n) {
      i++; // the colon
      if (i < n && load<u8>(s + i) == 0x3a) {
        if (gap >= 0) return 0; // only one "::"
        gap = count;
        i++;
      } else if (i == n) return 0; // trailing single colon
    }
  }
  if (gap < 0 && count != 8) return 0;
  if (gap >= 0 && count > 7) return 0;
  const fill = 8 - count;
  let w = 0;
  for (let k = 0; k < 8; k++) {
    let v = 0;
    if (gap >= 0 && k >= gap && k < gap + fill) v = 0;
    else v = load<i32>(WORDS + (<usize>(w++) << 2));
    store<u8>(out + (k << 1), <u8>(v >> 8));
    store<u8>(out + (k << 1) + 1, <u8>v);
  }
  return 16;
}
