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
 * Decodes base64url text; null on a character outside the alphabet, padding,
 * or an impossible length. `strict` also refuses non-zero leftover bits (a
 * second spelling of the same bytes, RFC 4648 §3.5): token bytes must have one
 * spelling, while configured keys need not (cose-wg's own example key
 * "our-secret2" has such bits).
 */
export function decodeBase64url(s: string, strict: bool = true): Uint8Array | null {
  const n = s.length;
  if ((n & 3) == 1) return null;
  const out = new Uint8Array((n * 3) >> 2);
  let acc: u32 = 0, bits = 0, o = 0;
  for (let i = 0; i < n; i++) {
    const v = sextet(s.charCodeAt(i));
    if (v < 0) return null;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = <u8>(acc >> <u32>bits);
    }
  }
  if (strict && bits > 0 && (acc & ((1 << <u32>bits) - 1)) != 0) return null;
  return out;
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
