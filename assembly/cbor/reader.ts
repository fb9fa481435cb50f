// A strict, allocation-free CBOR reader (RFC 8949) over a (ptr, len) slice of
// linear memory.
//
// Strict means: definite lengths only (indefinite-length items are rejected,
// tokens never need them), reserved additional-information values rejected,
// every declared length checked against the bytes present before anything is
// read, a bounded nesting depth and item count. Non-shortest encodings are
// valid CBOR and accepted (tokens from other libraries are not always
// deterministic); whether a map has duplicate keys is the caller's question
// (see DuplicateKeys), since only claim sets and headers must be checked.

import { Code } from "../result";
import { Detail } from "../detail-text";

export const enum Major {
  UINT = 0,
  NINT = 1,
  BYTES = 2,
  TEXT = 3,
  ARRAY = 4,
  MAP = 5,
  TAG = 6,
  SIMPLE = 7,
}

/** Deepest nesting `skip` follows; a 16-deep walk fits wasm3's 16 KiB stack. */
export const MAX_DEPTH: i32 = 16;
/** Most data items one message may hold (a network token has ~20). */
export const MAX_ITEMS: i32 = 512;

export const SIMPLE_FALSE: u64 = 20;
export const SIMPLE_TRUE: u64 = 21;
export const SIMPLE_NULL: u64 = 22;

/**
 * Unmanaged: the core has one (token.ts), kept for the module's life, and
 * its one reference, detailArg, is a literal or a claim name (claims.ts
 * NAMES): nothing for the collector to follow. Made with `new` elsewhere
 * (specs), it is never freed.
 */
@unmanaged
export class CborReader {
  pos: usize = 0;
  end: usize = 0;
  items: i32 = 0;
  /** First failure; once set, every read fails (fail() ends the input: no read needs to look at this). */
  error: i32 = Code.OK;
  detail: Detail = Detail.NONE;
  /** Fills the detail text's "%" (a claim name); a static literal, never allocated. */
  detailArg: string = "";

  // The head read last.
  major: i32 = 0;
  /** Additional information of a major type 7 item (simple value or float); only those set it. */
  info: i32 = 0;
  arg: u64 = 0;
  /** Content of a byte or text string read last. */
  ptr: usize = 0;
  len: i32 = 0;

  reset(ptr: usize, len: i32): void {
    this.resetInline(ptr, len);
  }

  /** reset() without the call, for the verify path's two readers of each token layer. */
  @inline resetInline(ptr: usize, len: i32): void {
    this.pos = ptr;
    this.end = ptr + <usize>len;
    this.items = 0;
    this.error = Code.OK;
    this.detail = Detail.NONE;
    this.detailArg = "";
  }

  fail(code: i32, detail: Detail, arg: string = ""): bool {
    if (this.error == Code.OK) {
      this.error = code;
      this.detail = detail;
      this.detailArg = arg;
    }
    this.end = this.pos;
    return false;
  }

  get remaining(): i32 {
    return <i32>(this.end - this.pos);
  }

  atEnd(): bool {
    return this.pos == this.end;
  }

  /** Peeks at the major type of the next item without consuming it; -1 at the end. */
  @inline
  peekMajor(): i32 {
    if (this.pos >= this.end) return -1;
    return <i32>(load<u8>(this.pos) >> 5);
  }

  /**
   * Reads the next item's head. Strings are consumed whole (content in
   * ptr/len); arrays and maps leave their elements to the caller. The
   * position lives in a local until the end: this runs ~20 times per token,
   * and under wasm3 every field access is an instruction of its own.
   */
  head(): bool {
    let pos = this.pos;
    const end = this.end;
    if (pos >= end) return this.fail(Code.MALFORMED, Detail.CBOR_ITEM_TRUNCATED);
    const items = this.items + 1;
    this.items = items;
    if (items > MAX_ITEMS) return this.fail(Code.LIMIT_EXCEEDED, Detail.TOO_MANY_CBOR_ITEMS);
    const b = <i32>load<u8>(pos++);
    const major = b >> 5;
    const info = b & 31;
    this.major = major;
    let arg = <u64>info;
    if (info >= 24) {
      if (info == 31) return this.fail(Code.MALFORMED, Detail.INDEFINITE_LENGTH_CBOR_IS_NOT_ACCEPTED);
      if (info > 27) return this.fail(Code.MALFORMED, Detail.RESERVED_CBOR_ADDITIONAL_INFORMATION);
      const n = 1 << (info - 24); // 1, 2, 4 or 8 bytes, big-endian (RFC 8949 §3)
      if (<i32>(end - pos) < n) return this.fail(Code.MALFORMED, Detail.CBOR_ARGUMENT_TRUNCATED);
      // Byte by byte: AssemblyScript's bswap is a call, not an instruction.
      arg = <u64>load<u8>(pos);
      for (let i = 1; i < n; i++) arg = (arg << 8) | <u64>load<u8>(pos + i);
      pos += <usize>n;
    }
    this.arg = arg;
    const left = <u64>(end - pos);
    // A switch on the major type: one table jump, where if-chains compare.
    switch (major) {
      case Major.BYTES:
      case Major.TEXT:
        if (arg > left) return this.fail(Code.MALFORMED, Detail.CBOR_STRING_LONGER_THAN_THE_INPUT);
        this.ptr = pos;
        this.len = <i32>arg;
        pos += <usize>arg;
        break;
      case Major.MAP:
        // Every element takes at least one byte: a count the rest of the input
        // cannot hold is malformed, and rejecting it here bounds every loop.
        if (arg << 1 > left) return this.fail(Code.MALFORMED, Detail.CBOR_CONTAINER_COUNT_LARGER_THAN_THE_INPUT);
      // falls through: a count of 2^63 or more wraps above, and fails here
      case Major.ARRAY:
        if (arg > left) return this.fail(Code.MALFORMED, Detail.CBOR_CONTAINER_COUNT_LARGER_THAN_THE_INPUT);
        break;
      case Major.SIMPLE:
        this.info = info;
        if (info == 24 && arg < 32) return this.fail(Code.MALFORMED, Detail.INVALID_CBOR_SIMPLE_VALUE); // §3.3
        break;
    }
    this.pos = pos;
    return true;
  }

  /**
   * Reads the next item as head() would when it is an unsigned integer below
   * 24 (one byte: the keys of claims and headers, most alg values) and
   * returns it; -1, with nothing read, for anything else. Inlined where keys
   * are read, so the usual key costs no call (a call is dear under wasm3):
   * `if (r.smallUint() < 0 && !r.head()) return false;` reads any item.
   */
  @inline smallUint(): i32 {
    const pos = this.pos;
    const items = this.items;
    if (pos < this.end && items < MAX_ITEMS) {
      const b = <i32>load<u8>(pos);
      if (b < 24) {
        this.pos = pos + 1;
        this.items = items + 1;
        this.major = Major.UINT;
        this.arg = <u64>b;
        return b;
      }
    }
    return -1;
  }

  isFloat(): bool {
    return this.major == Major.SIMPLE && this.info >= 25 && this.info <= 27;
  }

  /**
   * Value of the float read last (isFloat()), decoded when asked: kept out of
   * head(), which every item goes through and floats almost never.
   */
  get float(): f64 {
    const arg = this.arg;
    if (this.info == 25) return halfToF64(<u32>arg);
    if (this.info == 26) return <f64>reinterpret<f32>(<u32>arg);
    return reinterpret<f64>(arg);
  }

  /** Reads an array head and returns its count, or -1. */
  array(): i32 {
    if (!this.head()) return -1;
    if (this.major != Major.ARRAY) {
      this.fail(Code.MALFORMED, Detail.EXPECTED_A_CBOR_ARRAY);
      return -1;
    }
    return <i32>this.arg;
  }

  /** Reads a map head and returns its pair count, or -1. */
  @inline
  map(): i32 {
    if (!this.head()) return -1;
    if (this.major != Major.MAP) {
      this.fail(Code.MALFORMED, Detail.EXPECTED_A_CBOR_MAP);
      return -1;
    }
    return <i32>this.arg;
  }

  /** Reads a byte string into ptr/len. */
  @inline
  bytes(): bool {
    if (!this.head()) return false;
    if (this.major != Major.BYTES) return this.fail(Code.MALFORMED, Detail.EXPECTED_A_CBOR_BYTE_STRING);
    return true;
  }

  /** Skips one whole item, following at most MAX_DEPTH levels of nesting. */
  skip(depth: i32 = 0): bool {
    if (depth >= MAX_DEPTH) return this.fail(Code.LIMIT_EXCEEDED, Detail.CBOR_NESTED_TOO_DEEPLY);
    if (!this.head()) return false;
    const major = this.major;
    const n = this.arg;
    if (major == Major.ARRAY) {
      for (let i: u64 = 0; i < n; i++) if (!this.skip(depth + 1)) return false;
    } else if (major == Major.MAP) {
      for (let i: u64 = 0; i < n; i++) {
        if (!this.skip(depth + 1)) return false;
        if (!this.skip(depth + 1)) return false;
      }
    } else if (major == Major.TAG) {
      return this.skip(depth + 1);
    }
    return true;
  }
}

/** IEEE 754 half precision to double (RFC 8949 Appendix D), by rebuilding the bits. */
export function halfToF64(h: u32): f64 {
  const exp = (h >> 10) & 0x1f;
  const mant = <u64>(h & 0x3ff);
  const sign = <u64>(h & 0x8000) << 48;
  if (exp == 0) return reinterpret<f64>(sign) + (h & 0x8000 ? -1.0 : 1.0) * <f64>mant * 5.9604644775390625e-8; // 2^-24
  if (exp == 31) return reinterpret<f64>(sign | 0x7ff0000000000000 | (mant << 42));
  return reinterpret<f64>(sign | (<u64>(exp + 1008) << 52) | (mant << 42)); // rebias 15 -> 1023
}

/**
 * Remembers the keys of one map so that a repeated key is found: RFC 8949
 * §5.6 leaves duplicates to the application, and for claim sets and COSE
 * headers a duplicate is an attack surface (two readers, two answers).
 * Keys compare by value: 1 and its non-shortest twin 0x18 0x01 are equal.
 * Integer keys 0..63 live in a bit mask, the others in lists; CAPACITY
 * bounds them together.
 */
export class DuplicateKeys {
  static readonly CAPACITY: i32 = 64;
  /** Keys recorded (CAPACITY at most), and those of them kept in the lists below. */
  total: i32 = 0;
  count: i32 = 0;
  /** Integer keys 0..63 seen so far, one bit each: the keys of claims and headers, checked without a loop. */
  small: u64 = 0;
  // Raw loads and stores below: StaticArray's indexed set stays a call after
  // optimisation, and calls are what an interpreter pays most for.
  majors: StaticArray<i32> = new StaticArray<i32>(DuplicateKeys.CAPACITY);
  args: StaticArray<u64> = new StaticArray<u64>(DuplicateKeys.CAPACITY);
  ptrs: StaticArray<usize> = new StaticArray<usize>(DuplicateKeys.CAPACITY);

  @inline
  clear(): void {
    this.total = 0;
    this.count = 0;
    this.small = 0;
  }

  /**
   * add() with the usual key, a new small integer, taken without a call (the
   * verify path's header labels); the rest goes to add().
   */
  @inline addInline(r: CborReader): bool {
    const arg = r.arg;
    if (r.major == Major.UINT && arg < 64 && (this.small & (<u64>1 << arg)) == 0 && this.total < DuplicateKeys.CAPACITY) {
      this.small |= <u64>1 << arg;
      this.total++;
      return true;
    }
    return this.add(r);
  }

  /** Records the key just read by `r`; false (and r fails) on a repeat or overflow. */
  add(r: CborReader): bool {
    const major = r.major;
    const arg = r.arg;
    if (major == Major.UINT && arg < 64) {
      const bit = <u64>1 << arg;
      if (this.small & bit) return r.fail(Code.MALFORMED, Detail.DUPLICATE_MAP_KEY);
      if (this.total >= DuplicateKeys.CAPACITY) return r.fail(Code.LIMIT_EXCEEDED, Detail.TOO_MANY_MAP_KEYS);
      this.small |= bit;
      this.total++;
      return true;
    }
    const ptr = major == Major.TEXT || major == Major.BYTES ? r.ptr : 0;
    const majors = changetype<usize>(this.majors);
    const args = changetype<usize>(this.args);
    const ptrs = changetype<usize>(this.ptrs);
    const count = this.count;
    for (let i = 0; i < count; i++) {
      if (load<i32>(majors + (<usize>i << 2)) != major || load<u64>(args + (<usize>i << 3)) != arg) continue;
      if (ptr == 0 || memory.compare(load<usize>(ptrs + (<usize>i << alignof<usize>())), ptr, <usize>arg) == 0) {
        return r.fail(Code.MALFORMED, Detail.DUPLICATE_MAP_KEY);
      }
    }
    if (this.total >= DuplicateKeys.CAPACITY) return r.fail(Code.LIMIT_EXCEEDED, Detail.TOO_MANY_MAP_KEYS);
    store<i32>(majors + (<usize>count << 2), major);
    store<u64>(args + (<usize>count << 3), arg);
    store<usize>(ptrs + (<usize>count << alignof<usize>()), ptr);
    this.count = count + 1;
    this.total++;
    return true;
  }
}
