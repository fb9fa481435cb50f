// Byte helpers over raw linear memory. The verify path works on (ptr, len)
// views of the input and static buffers, so it allocates nothing per token.

/**
 * Constant-time comparison: a MAC check must not leak where bytes differ.
 * Eight bytes a step (a 64-bit tag is one step), then the rest byte by byte.
 */
export function equalConstantTime(a: usize, b: usize, len: i32): bool {
  let diff: u64 = 0;
  let i = 0;
  for (; i + 8 <= len; i += 8) diff |= load<u64>(a + i) ^ load<u64>(b + i);
  for (; i < len; i++) diff |= <u64>(load<u8>(a + i) ^ load<u8>(b + i));
  return diff == 0;
}

/** What a text needs to become a JSON string: found while it is validated, so results copy plain text whole. */
export const enum TextKind {
  INVALID = -1,
  /** Valid UTF-8 without `"`, `\\`, control characters or DEL: copied as it is. */
  PLAIN = 0,
  /** Valid UTF-8 with characters to escape. */
  ESCAPED = 1,
  /** Not looked at (the writer scans it). */
  UNKNOWN = 2,
}

/**
 * Does any of eight ASCII bytes (no high bit set) need escaping in a JSON
 * string (below 0x20, `"`, `\\`, DEL)? The word-at-a-time tests of "Bit
 * Twiddling Hacks" (hasless, haszero): with no high bit set no byte can
 * borrow into a high bit but one below the tested value, so the tests need
 * no `& ~w`, and "any byte" is exact. Eight bytes a step: under wasm3 an i64
 * operation costs what an i32 one does.
 */
@inline export function asciiNeedsEscape8(w: u64): bool {
  const any = (w - 0x2020202020202020) | ((w ^ 0x2222222222222222) - 0x0101010101010101) | ((w ^ 0x5c5c5c5c5c5c5c5c) - 0x0101010101010101) | ((w ^ 0x7f7f7f7f7f7f7f7f) - 0x0101010101010101);
  return (any & 0x8080808080808080) != 0;
}

@inline function needsEscape(c: u32): bool {
  return c < 0x20 || c == 0x22 || c == 0x5c || c == 0x7f;
}

/**
 * Strict UTF-8 validation (RFC 3629: no overlongs, no surrogates, <= U+10FFFF)
 * and, in the same pass, whether the text needs JSON escaping.
 */
export function textKind(ptr: usize, len: i32): TextKind {
  let escaped = false;
  let i = 0;
  while (i < len) {
    // Claims are mostly ASCII: eight bytes per step while no high bit is
    // set, and the last step takes the last eight bytes (some seen already).
    if (len >= 8) {
      const at = i + 8 <= len ? i : len - 8;
      const w = load<u64>(ptr + at);
      if ((w & 0x8080808080808080) == 0) {
        if (asciiNeedsEscape8(w)) escaped = true;
        i = at + 8;
        continue;
      }
    }
    const c = <u32>load<u8>(ptr + i);
    if (c < 0x80) {
      if (needsEscape(c)) escaped = true;
      i++;
      continue;
    }
    let need = 0;
    let min: u32 = 0;
    let cp: u32 = 0;
    if ((c & 0xe0) == 0xc0) { need = 1; min = 0x80; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { need = 2; min = 0x800; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { need = 3; min = 0x10000; cp = c & 0x07; }
    else return TextKind.INVALID;
    if (i + need >= len) return TextKind.INVALID; // continuation bytes run past the end
    for (let k = 1; k <= need; k++) {
      const cc = <u32>load<u8>(ptr + i + k);
      if ((cc & 0xc0) != 0x80) return TextKind.INVALID;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return TextKind.INVALID;
    i += need + 1;
  }
  return escaped ? TextKind.ESCAPED : TextKind.PLAIN;
}

export function isValidUtf8(ptr: usize, len: i32): bool {
  return textKind(ptr, len) != TextKind.INVALID;
}

/** Does the string `s` consist of exactly the ASCII bytes at `ptr` (names in packed tables)? */
export function asciiEquals(s: string, ptr: usize, len: i32): bool {
  if (s.length != len) return false;
  const chars = changetype<usize>(s); // UTF-16 code units
  for (let i = 0; i < len; i++) if (<u32>load<u16>(chars + (<usize>i << 1)) != <u32>load<u8>(ptr + i)) return false;
  return true;
}
