// Message texts are packed with a word dictionary (scripts/gen-text.mjs,
// word-text.ts): a byte below 0x80 is itself, a byte from 0x80 up is word
// b - 0x80. These expand them where they are written.

import { WORD_TEXT, WORD_OFFSETS, MAX_MESSAGE } from "../word-text";

/** Where expandToString (and config-message.ts) expand a message. */
export const SCRATCH: usize = memory.data(MAX_MESSAGE);

/** Bytes the n packed bytes at ptr expand to. */
export function expandedLength(ptr: usize, n: i32): i32 {
  let len = n;
  for (let i = 0; i < n; i++) {
    const b = <usize>load<u8>(ptr + i);
    if (b >= 0x80) {
      const at = WORD_OFFSETS + ((b - 0x80) << 1);
      len += <i32>load<u16>(at, 2) - <i32>load<u16>(at) - 1;
    }
  }
  return len;
}

/** Expands the n packed bytes at ptr to `out` (room for expandedLength); returns the bytes written. */
export function expand(ptr: usize, n: i32, out: usize): i32 {
  let o = out;
  for (let i = 0; i < n; i++) {
    const b = <usize>load<u8>(ptr + i);
    if (b < 0x80) {
      store<u8>(o++, <u8>b);
      continue;
    }
    const at = WORD_OFFSETS + ((b - 0x80) << 1);
    const start = <usize>load<u16>(at);
    const len = <usize>load<u16>(at, 2) - start;
    memory.copy(o, WORD_TEXT + start, len);
    o += len;
  }
  return <i32>(o - out);
}

/** A packed message as a string (configuration messages, result meanings for specs). */
export function expandToString(ptr: usize, n: i32): string {
  return String.UTF8.decodeUnsafe(SCRATCH, expand(ptr, n, SCRATCH));
}
