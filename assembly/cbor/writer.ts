// Just enough CBOR encoding to build the COSE to-be-MACed / to-be-signed /
// AAD structures (RFC 9052 §4.4, §5.3, §6.3) and JOSE claims as a CWT
// claims map (jose/claims.ts) in a fixed buffer. Heads are
// written in the shortest form, as deterministic encoding requires.

import { Major } from "./reader";

export class CborWriter {
  base: usize = 0;
  pos: usize = 0;
  end: usize = 0;
  overflow: bool = false;

  reset(base: usize, capacity: i32): void {
    this.base = base;
    this.pos = base;
    this.end = base + <usize>capacity;
    this.overflow = false;
  }

  get length(): i32 {
    return <i32>(this.pos - this.base);
  }

  head(major: i32, arg: u64): void {
    const m = <u8>(major << 5);
    let n = 0;
    if (arg < 24) n = 0;
    else if (arg < 0x100) n = 1;
    else if (arg < 0x10000) n = 2;
    else if (arg < 0x100000000) n = 4;
    else n = 8;
    if (this.pos + 1 + <usize>n > this.end) {
      this.overflow = true;
      return;
    }
    if (n == 0) {
      store<u8>(this.pos++, m | <u8>arg);
      return;
    }
    store<u8>(this.pos++, m | <u8>(n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27));
    for (let i = n - 1; i >= 0; i--) store<u8>(this.pos++, <u8>(arg >> (<u64>i << 3)));
  }

  raw(ptr: usize, len: i32): void {
    if (this.pos + <usize>len > this.end) {
      this.overflow = true;
      return;
    }
    memory.copy(this.pos, ptr, len);
    this.pos += len;
  }

  byteString(ptr: usize, len: i32): void {
    this.head(Major.BYTES, <u64>len);
    this.raw(ptr, len);
  }

  /** An ASCII text string given as an AS literal (context strings such as "MAC0"). */
  asciiString(s: string): void {
    this.head(Major.TEXT, <u64>s.length);
    if (this.pos + <usize>s.length > this.end) {
      this.overflow = true;
      return;
    }
    for (let i = 0; i < s.length; i++) store<u8>(this.pos++, <u8>s.charCodeAt(i));
  }

  /** A text string from an AS string, as UTF-8 (JOSE claims rewritten as CBOR). */
  textString(s: string): void {
    const n = String.UTF8.byteLength(s);
    this.head(Major.TEXT, <u64>n);
    if (this.pos + <usize>n > this.end) {
      this.overflow = true;
      return;
    }
    // Every argument given: a call that leaves some out brings a varargs trampoline into the module.
    this.pos += String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.pos, false, String.UTF8.ErrorMode.WTF8);
  }

  /** A float64 (RFC 8949 §3.3), never shortened. */
  float64(v: f64): void {
    if (this.pos + 9 > this.end) {
      this.overflow = true;
      return;
    }
    store<u8>(this.pos, 0xfb);
    store<u64>(this.pos + 1, bswap<u64>(reinterpret<u64>(v)));
    this.pos += 9;
  }
}

/** The token pipeline's one writer (COSE structures, JOSE claims): never two at once. */
export const writer = new CborWriter();
