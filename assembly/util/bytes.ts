// Byte helpers over raw linear memory. The verify path works on (ptr, len)
// views of the input and static buffers, so it allocates nothing per token.

/** Constant-time comparison: a MAC check must not leak where bytes differ. */
export function equalConstantTime(a: usize, b: usize, len: i32): bool {
  let diff: u32 = 0;
  for (let i = 0; i < len; i++) diff |= <u32>(load<u8>(a + i) ^ load<u8>(b + i));
  return diff == 0;
}

/** Strict UTF-8 validation (RFC 3629): no overlongs, no surrogates, <= U+10FFFF. */
export function isValidUtf8(ptr: usize, len: i32): bool {
  let i = 0;
  while (i < len) {
    const c = <u32>load<u8>(ptr + i);
    if (c < 0x80) { i++; continue; }
    let need = 0;
    let min: u32 = 0;
    let cp: u32 = 0;
    if ((c & 0xe0) == 0xc0) { need = 1; min = 0x80; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { need = 2; min = 0x800; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { need = 3; min = 0x10000; cp = c & 0x07; }
    else return false;
    if (i + need >= len) return false; // continuation bytes run past the end
    for (let k = 1; k <= need; k++) {
      const cc = <u32>load<u8>(ptr + i + k);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += need + 1;
  }
  return true;
}

/** Does the string `s` consist of exactly the ASCII bytes at `ptr` (names in packed tables)? */
export function asciiEquals(s: string, ptr: usize, len: i32): bool {
  if (s.length != len) return false;
  const chars = changetype<usize>(s); // UTF-16 code units
  for (let i = 0; i < len; i++) if (<u32>load<u16>(chars + (<usize>i << 1)) != <u32>load<u8>(ptr + i)) return false;
  return true;
}
