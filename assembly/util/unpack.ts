// Message texts are packed in byte pairs (scripts/gen-text.mjs, pair-text.ts):
// bytes 0x20..0x7E are themselves, bytes 0x80..0xFF and 0x01..0x1F each stand
// for a pair of bytes, which may be pairs again (PAIR_DEPTH deep at most).
// These expand them where they are written.

import { PAIRS, PAIR_DEPTH, MAX_MESSAGE } from "../pair-text";

/** Where expandToString (and config-message.ts) expand a message. */
export const SCRATCH: usize = memory.data(MAX_MESSAGE);

/** Bytes still to expand: a pair pushes its two halves, so PAIR_DEPTH + 1 at most. */
const STACK: usize = memory.data(PAIR_DEPTH + 2);

/**
 * Expands the n packed bytes at ptr to `out` and returns the bytes written;
 * with `write` false, only counts them (expandedLength).
 */
export function expand(ptr: usize, n: i32, out: usize, write: bool = true): i32 {
  let o = out;
  for (let i = 0; i < n; i++) {
    let sp = STACK;
    store<u8>(sp++, load<u8>(ptr + i));
    while (sp > STACK) {
      const c = <usize>load<u8>(--sp);
      let pair: usize;
      if (c >= 0x80) pair = c - 0x80;
      else if (c < 0x20) pair = c + 127; // 0x01 is pair 128
      else {
        if (write) store<u8>(o, <u8>c);
        o++;
        continue;
      }
      // The second half under the first: the first is expanded first.
      store<u8>(sp, load<u8>(PAIRS + (pair << 1), 1));
      store<u8>(sp + 1, load<u8>(PAIRS + (pair << 1)));
      sp += 2;
    }
  }
  return <i32>(o - out);
}

/** Bytes the n packed bytes at ptr expand to. */
export function expandedLength(ptr: usize, n: i32): i32 {
  return expand(ptr, n, 0, false);
}

/** A packed message as a string (configuration messages, result meanings for specs). */
export function expandToString(ptr: usize, n: i32): string {
  return String.UTF8.decodeUnsafe(SCRATCH, expand(ptr, n, SCRATCH));
}
