// Just enough CBOR encoding for the token pipeline: the COSE to-be-MACed /
// to-be-signed / AAD structures (RFC 9052 §4.4, §5.3, §6.3), built by plain
// functions over a position (every verification builds one, and calls are
// what an interpreter such as wasm3 pays most for), and JOSE claims rewritten
// as a CWT claims map (jose/claims.ts) through CborWriter. Heads are written
// in the shortest form, as deterministic encoding requires.

import { Major } from "./reader";

/** Bytes the shortest head for `arg` takes. */
export function headSize(arg: u64): i32 {
  return arg < 24 ? 1 : arg < 0x100 ? 2 : arg < 0x10000 ? 3 : arg < 0x100000000 ? 5 : 9;
}

/** Writes the shortest head at `at` and returns the position after it; the caller made room (headSize). */
export function writeHead(at: usize, major: i32, arg: u64): usize {
  const m = major << 5;
  if (arg < 24) {
    store<u8>(at, <u8>(m | <i32>arg));
    return at + 1;
  }
  // 24, 25, 26, 27: one, two, four or eight argument bytes, big-endian.
  let n = 8, info = 27;
  if (arg < 0x100) { n = 1; info = 24; }
  else if (arg < 0x10000) { n = 2; info = 25; }
  else if (arg < 0x100000000) { n = 4; info = 26; }
  store<u8>(at, <u8>(m | info));
  for (let i = n; i >= 1; i--) {
    store<u8>(at + <usize>i, <u8>arg);
    arg >>= 8;
  }
  return at + 1 + <usize>n;
}

/** Bytes a byte string of `len` bytes takes, head included. */
export function byteStringSize(len: i32): i32 {
  return headSize(<u64>len) + len;
}

/** Writes a byte string (head, then content) at `at` and returns the position after it; the caller made room. */
@inline export function writeByteString(at: usize, ptr: usize, len: i32): usize {
  // Heads of lengths below 256 (a token's) written here, without writeHead's call.
  if (len < 24) store<u8>(at++, <u8>(0x40 | len));
  else if (len < 256) {
    store<u16>(at, <u16>(0x58 | (len << 8))); // 0x58: bytes, one-byte length
    at += 2;
  } else at = writeHead(at, Major.BYTES, <u64>len);
  memory.copy(at, ptr, <usize>len);
  return at + <usize>len;
}

/** A bounded buffer of CBOR items: a write that does not fit sets `overflow` and writes nothing. */
export class CborWriter {
  pos: usize = 0;
  end: usize = 0;
  overflow: bool = false;

  reset(base: usize, capacity: i32): void {
    this.pos = base;
    this.end = base + <usize>capacity;
    this.overflow = false;
  }

  private room(n: i32): bool {
    if (this.pos + <usize>n <= this.end) return true;
    this.overflow = true;
    return false;
  }

  head(major: i32, arg: u64): void {
    if (this.room(headSize(arg))) this.pos = writeHead(this.pos, major, arg);
  }

  byteString(ptr: usize, len: i32): void {
    if (this.room(byteStringSize(len))) this.pos = writeByteString(this.pos, ptr, len);
  }

  /** A text string from an AS string, as UTF-8 (JOSE claims rewritten as CBOR). */
  textString(s: string): void {
    const n = String.UTF8.byteLength(s);
    if (!this.room(headSize(<u64>n) + n)) return;
    this.pos = writeHead(this.pos, Major.TEXT, <u64>n);
    // Every argument given: a call that leaves some out brings a varargs trampoline into the module.
    this.pos += String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.pos, false, String.UTF8.ErrorMode.WTF8);
  }

  /** A float64 (RFC 8949 §3.3), never shortened. */
  float64(v: f64): void {
    if (!this.room(9)) return;
    let bits = reinterpret<u64>(v);
    store<u8>(this.pos, 0xfb); // major 7, 27: eight bytes follow
    for (let i = 8; i >= 1; i--) {
      store<u8>(this.pos + <usize>i, <u8>bits);
      bits >>= 8;
    }
    this.pos += 9;
  }
}
