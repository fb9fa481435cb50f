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

export class CborReader {
  pos: usize = 0;
  end: usize = 0;
  items: i32 = 0;
  /** First failure; once set, every read fails. */
  error: i32 = Code.OK;
  detail: Detail = Detail.NONE;
  /** Fills the detail text's "%" (a claim name); a static literal, never allocated. */
  detailArg: string = "";

  // The head read last.
  major: i32 = 0;
  info: i32 = 0;
  arg: u64 = 0;
  /** Start of the head read last (for re-reading or spanning an item). */
  start: usize = 0;
  /** Content of a byte or text string read last. */
  ptr: usize = 0;
  len: i32 = 0;
  /** Value of a float read last (major 7, info 25..27). */
  float: f64 = 0;

  reset(ptr: usize, len: i32): void {
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
    return false;
  }

  get remaining(): i32 {
    return <i32>(this.end - this.pos);
  }

  atEnd(): bool {
    return this.pos == this.end;
  }

  /** Peeks at the major type of the next item without consuming it; -1 at the end. */
  peekMajor(): i32 {
    if (this.pos >= this.end) return -1;
    return <i32>(load<u8>(this.pos) >> 5);
  }

  /**
   * Reads the next item's head. Strings are consumed whole (content in
   * ptr/len); arrays and maps leave their elements to the caller.
   */
  head(): bool {
    if (this.error != Code.OK) return false;
    if (this.pos >= this.end) return this.fail(Code.MALFORMED, Detail.CBOR_ITEM_TRUNCATED);
    if (++this.items > MAX_ITEMS) return this.fail(Code.LIMIT_EXCEEDED, Detail.TOO_MANY_CBOR_ITEMS);
    this.start = this.pos;
    const b = <i32>load<u8>(this.pos++);
    const major = b >> 5;
    const info = b & 31;
    this.major = major;
    this.info = info;
    let arg: u64 = 0;
    if (info < 24) {
      arg = <u64>info;
    } else if (info <= 27) {
      const n = 1 << (info - 24); // 1, 2, 4 or 8 bytes (RFC 8949 §3)
      if (<i32>(this.end - this.pos) < n) return this.fail(Code.MALFORMED, Detail.CBOR_ARGUMENT_TRUNCATED);
      for (let i = 0; i < n; i++) arg = (arg << 8) | <u64>load<u8>(this.pos + i);
      this.pos += n;
    } else if (info == 31) {
      return this.fail(Code.MALFORMED, Detail.INDEFINITE_LENGTH_CBOR_IS_NOT_ACCEPTED);
    } else {
      return this.fail(Code.MALFORMED, Detail.RESERVED_CBOR_ADDITIONAL_INFORMATION);
    }
    this.arg = arg;
    if (major == Major.BYTES || major == Major.TEXT) {
      if (arg > <u64>(this.end - this.pos)) return this.fail(Code.MALFORMED, Detail.CBOR_STRING_LONGER_THAN_THE_INPUT);
      this.ptr = this.pos;
      this.len = <i32>arg;
      this.pos += <usize>arg;
    } else if (major == Major.ARRAY || major == Major.MAP) {
      // Every element takes at least one byte: a count the rest of the input
      // cannot hold is malformed, and rejecting it here bounds every loop.
      const minBytes = major == Major.MAP ? arg << 1 : arg;
      if (arg > <u64>(this.end - this.pos) || minBytes > <u64>(this.end - this.pos)) {
        return this.fail(Code.MALFORMED, Detail.CBOR_CONTAINER_COUNT_LARGER_THAN_THE_INPUT);
      }
    } else if (major == Major.SIMPLE) {
      if (info == 24 && arg < 32) return this.fail(Code.MALFORMED, Detail.INVALID_CBOR_SIMPLE_VALUE); // §3.3
      if (info == 25) this.float = halfToF64(<u32>arg);
      else if (info == 26) this.float = <f64>reinterpret<f32>(<u32>arg);
      else if (info == 27) this.float = reinterpret<f64>(arg);
    }
    return true;
  }

  isFloat(): bool {
    return this.major == Major.SIMPLE && this.info >= 25 && this.info <= 27;
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
  map(): i32 {
    if (!this.head()) return -1;
    if (this.major != Major.MAP) {
      this.fail(Code.MALFORMED, Detail.EXPECTED_A_CBOR_MAP);
      return -1;
    }
    return <i32>this.arg;
  }

  /** Reads a byte string into ptr/len. */
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
 */
export class DuplicateKeys {
  static readonly CAPACITY: i32 = 64;
  count: i32 = 0;
  majors: StaticArray<i32> = new StaticArray<i32>(DuplicateKeys.CAPACITY);
  args: StaticArray<u64> = new StaticArray<u64>(DuplicateKeys.CAPACITY);
  ptrs: StaticArray<usize> = new StaticArray<usize>(DuplicateKeys.CAPACITY);

  clear(): void {
    this.count = 0;
  }

  /** Records the key just read by `r`; false (and r fails) on a repeat or overflow. */
  add(r: CborReader): bool {
    const major = r.major;
    const arg = r.arg;
    const ptr = major == Major.TEXT || major == Major.BYTES ? r.ptr : 0;
    for (let i = 0; i < this.count; i++) {
      if (unchecked(this.majors[i]) != major || unchecked(this.args[i]) != arg) continue;
      if (ptr == 0) return r.fail(Code.MALFORMED, Detail.DUPLICATE_MAP_KEY);
      if (memory.compare(unchecked(this.ptrs[i]), ptr, <usize>arg) == 0) return r.fail(Code.MALFORMED, Detail.DUPLICATE_MAP_KEY);
    }
    if (this.count >= DuplicateKeys.CAPACITY) return r.fail(Code.LIMIT_EXCEEDED, Detail.TOO_MANY_MAP_KEYS);
    unchecked((this.majors[this.count] = major));
    unchecked((this.args[this.count] = arg));
    unchecked((this.ptrs[this.count] = ptr));
    this.count++;
    return true;
  }
}
