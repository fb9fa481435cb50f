// Text encodings of bytes in configuration: strict base64url without padding
// (RFC 4648 §5, as JWK uses it: RFC 7515 §2) and lowercase hex; and numbers
// as decimal text.

function sextet(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x47;
  if (c >= 0x30 && c <= 0x39) return c + 4;
  if (c == 0x2d) return 62;
  if (c == 0x5f) return 63;
  return -1;
}

/**
 * Decodes the base64url text at `src` (`len` bytes) to `out`, which has room
 * for (len * 3) >> 2 bytes. Returns the decoded length, or -1 on a character
 * outside the alphabet, padding, or an impossible length. `strict` also
 * refuses non-zero leftover bits (a second spelling of the same bytes, RFC
 * 4648 §3.5): token bytes must have one spelling, while configured keys need
 * not (cose-wg's own example key "our-secret2" has such bits).
 */
export function base64urlDecode(src: usize, len: i32, out: usize, strict: bool = true): i32 {
  if ((len & 3) == 1) return -1;
  let acc: u32 = 0, bits = 0, o = 0;
  for (let i = 0; i < len; i++) {
    const v = sextet(<i32>load<u8>(src + i));
    if (v < 0) return -1;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      store<u8>(out + o++, <u8>(acc >> <u32>bits));
    }
  }
  if (strict && bits > 0 && (acc & ((1 << <u32>bits) - 1)) != 0) return -1;
  return o;
}

/** base64url text (a JWK member) to bytes; null as base64urlDecode refuses it. */
export function decodeBase64url(s: string, strict: bool = true): Uint8Array | null {
  // A character beyond ASCII becomes bytes >= 0x80, which are outside the alphabet.
  const text = String.UTF8.encode(s, false, String.UTF8.ErrorMode.WTF8);
  const out = new Uint8Array((text.byteLength * 3) >> 2);
  return base64urlDecode(changetype<usize>(text), text.byteLength, out.dataStart, strict) < 0 ? null : out;
}

export function hexToBytes(s: string): Uint8Array | null {
  if (s.length & 1) return null;
  const out = new Uint8Array(s.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const h = hexDigit(s.charCodeAt(2 * i)), l = hexDigit(s.charCodeAt(2 * i + 1));
    if (h < 0 || l < 0) return null;
    out[i] = <u8>((h << 4) | l);
  }
  return out;
}

/** Lowercase digits only: hex ids are compared as text after this. */
function hexDigit(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

const DIGITS: usize = memory.data(20);

/**
 * `v` as decimal digits. The stdlib's toString() would bring its any-radix
 * printer along (~0.4 KB of module) for the few numbers the core puts in
 * strings: revocation keys, message arguments.
 */
export function decimal(v: u64): string {
  let p = DIGITS + 20;
  do {
    store<u8>(--p, <u8>(0x30 + <u32>(v % 10)));
    v /= 10;
  } while (v != 0);
  return String.UTF8.decodeUnsafe(p, DIGITS + 20 - p);
}
