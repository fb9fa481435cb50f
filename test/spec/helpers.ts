// Shared helpers for the as-pect specs (imported by *.spec.ts; not a spec itself).
//
// Inputs are written as hex strings (spaces allowed for readability) and
// decoded into a managed buffer. The Bytes object owns that buffer, so a spec
// keeps the memory alive simply by holding the Bytes in a local while the
// code under test reads through the raw (ptr, len) view.

import { CborReader } from "../../assembly/cbor/reader";

export class Bytes {
  constructor(public data: StaticArray<u8>) {}

  get ptr(): usize {
    return changetype<usize>(this.data);
  }

  get len(): i32 {
    return this.data.length;
  }
}

function nibble(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Hex text (whitespace ignored) to bytes; aborts on a malformed helper argument. */
export function hex(s: string): Bytes {
  let digits = 0;
  for (let i = 0; i < s.length; i++) if (nibble(s.charCodeAt(i)) >= 0) digits++;
  assert((digits & 1) == 0, "hex helper: odd number of digits in " + s);
  const out = new StaticArray<u8>(digits >> 1);
  let hi = -1, o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x20 || c == 0x0a || c == 0x09) continue;
    const v = nibble(c);
    assert(v >= 0, "hex helper: bad digit in " + s);
    if (hi < 0) hi = v;
    else {
      out[o++] = <u8>((hi << 4) | v);
      hi = -1;
    }
  }
  return new Bytes(out);
}

/** The UTF-8 encoding of an AS string (no terminator). */
export function utf8(s: string): Bytes {
  const buf = String.UTF8.encode(s);
  const out = new StaticArray<u8>(buf.byteLength);
  memory.copy(changetype<usize>(out), changetype<usize>(buf), buf.byteLength);
  return new Bytes(out);
}

/** `n` copies of `s`. */
export function rep(s: string, n: i32): string {
  return s.repeat(n);
}

/** Lowercase hex of a raw memory slice. */
export function toHex(ptr: usize, len: i32): string {
  const digits = "0123456789abcdef";
  let s = "";
  for (let i = 0; i < len; i++) {
    const b = <i32>load<u8>(ptr + <usize>i);
    s += digits.charAt(b >> 4) + digits.charAt(b & 15);
  }
  return s;
}

/** Lowercase hex of a Uint8Array (or "null"). */
export function u8Hex(a: Uint8Array | null): string {
  if (a == null) return "null";
  return toHex(a.dataStart, a.length);
}

/** A reader over `b`; the caller keeps `b` alive. */
export function readerOver(b: Bytes): CborReader {
  const r = new CborReader();
  r.reset(b.ptr, b.len);
  return r;
}

/** Reads one head of the given hex input and returns the reader. */
export function headOf(b: Bytes): CborReader {
  const r = readerOver(b);
  r.head();
  return r;
}

/** `n` nested one-element CBOR arrays around `leaf` (hex). */
export function nestedArrays(n: i32, leaf: string): Bytes {
  return hex(rep("81", n) + leaf);
}

/** CBOR text string (shortest head, length < 65536) as hex, for readable claim inputs. */
export function tstr(s: string): string {
  const b = utf8(s);
  const n = b.len;
  let head: string;
  if (n < 24) head = (<u8>(0x60 + n)).toString(16).padStart(2, "0");
  else if (n < 256) head = "78" + (<u8>n).toString(16).padStart(2, "0");
  else head = "79" + (<u16>n).toString(16).padStart(4, "0");
  return head + toHex(b.ptr, b.len);
}
