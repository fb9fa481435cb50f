// A strict JSON reader (RFC 8259) for configuration and key sets. It builds a
// small tree: configuration is read rarely, so clarity wins over speed here.
//
// Strict means: UTF-8 validated, no trailing commas, no comments, no leading
// zeros, no raw control characters, escapes checked (lone surrogates
// rejected), duplicate object keys rejected, and limits on size, depth and
// container length so that hostile input cannot exhaust the module.

import { leftGarbage } from "../util/garbage";
import { isValidUtf8 } from "../util/bytes";
import { decimal } from "../util/encoding";
import { Msg } from "../config-message-text";
import { message } from "../config-message";

export const enum JsonType { NULL, BOOL, NUMBER, STRING, ARRAY, OBJECT }

export const JSON_MAX_BYTES: i32 = 65536;
export const JSON_MAX_DEPTH: i32 = 8;
export const JSON_MAX_LENGTH: i32 = 4096;

export class JsonValue {
  type: JsonType = JsonType.NULL;
  bool: bool = false;
  num: f64 = 0;
  /** The number had no fraction or exponent. */
  isInteger: bool = false;
  /**
   * A non-negative integer below 2^64, exactly (num is a double: exact only
   * below 2^53, and token ids are often drawn from 63 bits).
   */
  isUint: bool = false;
  uint: u64 = 0;
  str: string = "";
  items: JsonValue[] = [];
  keys: string[] = [];

  get(key: string): JsonValue | null {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return this.items[i];
    return null;
  }
}

export class JsonReader {
  start: usize = 0;
  pos: usize = 0;
  end: usize = 0;
  error: string = "";
  /** What the first failure was (NONE: none). */
  failure: Msg = Msg.NONE;
  /** Values parsed by this reader, ever (its owner resets it): garbage to collect. */
  values: i32 = 0;
  /** Most values one parse may make (each is a small tree node: garbage until collected). */
  budget: i32 = i32.MAX_VALUE;
  private left: i32 = 0;

  parse(ptr: usize, len: i32): JsonValue | null {
    this.error = "";
    this.failure = Msg.NONE;
    this.left = this.budget;
    this.start = ptr;
    this.pos = ptr;
    this.end = ptr + <usize>len;
    if (len > JSON_MAX_BYTES) return this.fail(Msg.JSON_LARGER_THAN_64_KIB);
    if (!isValidUtf8(ptr, len)) return this.fail(Msg.JSON_IS_NOT_VALID_UTF_8);
    const v = this.value(0);
    if (v == null) return null;
    this.ws();
    if (this.pos != this.end) return this.fail(Msg.TRAILING_CHARACTERS_AFTER_JSON_VALUE);
    return v;
  }

  /** Records the first failure (Msg m, "%" = `arg`) with where it happened, and returns null. */
  private fail(m: Msg, arg: string = ""): JsonValue | null {
    if (this.failure == Msg.NONE) {
      this.failure = m;
      leftGarbage(); // the message text
      this.error = message(m, "", arg) + " at byte " + decimal(this.pos - this.start);
    }
    return null;
  }

  private ws(): void {
    while (this.pos < this.end) {
      const c = load<u8>(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  private peek(): i32 {
    return this.pos < this.end ? <i32>load<u8>(this.pos) : -1;
  }

  /** The failure was a limit (depth, members, elements), not bad syntax. */
  overLimit(): bool {
    const f = this.failure;
    return f == Msg.JSON_NESTED_DEEPER_THAN_N || f == Msg.JSON_OBJECT_HAS_TOO_MANY_MEMBERS || f == Msg.JSON_ARRAY_TOO_LONG || f == Msg.JSON_HAS_TOO_MANY_VALUES;
  }

  private literal(word: string): bool {
    if (<i32>(this.end - this.pos) < word.length) return false;
    for (let i = 0; i < word.length; i++) if (<i32>load<u8>(this.pos + i) != word.charCodeAt(i)) return false;
    this.pos += word.length;
    return true;
  }

  private value(depth: i32): JsonValue | null {
    if (depth >= JSON_MAX_DEPTH) return this.fail(Msg.JSON_NESTED_DEEPER_THAN_N, decimal(JSON_MAX_DEPTH));
    this.values++;
    if (--this.left < 0) return this.fail(Msg.JSON_HAS_TOO_MANY_VALUES);
    this.ws();
    const c = this.peek();
    const v = new JsonValue();
    if (c == 0x7b) return this.object(v, depth);
    if (c == 0x5b) return this.array(v, depth);
    if (c == 0x22) {
      const s = this.string();
      if (s == null) return null;
      v.type = JsonType.STRING;
      v.str = s;
      return v;
    }
    if (c == 0x74 && this.literal("true")) { v.type = JsonType.BOOL; v.bool = true; return v; }
    if (c == 0x66 && this.literal("false")) { v.type = JsonType.BOOL; return v; }
    if (c == 0x6e && this.literal("null")) return v;
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number(v);
    return this.fail(Msg.UNEXPECTED_CHARACTER_IN_JSON);
  }

  private object(v: JsonValue, depth: i32): JsonValue | null {
    v.type = JsonType.OBJECT;
    this.pos++;
    this.ws();
    if (this.peek() == 0x7d) { this.pos++; return v; }
    while (true) {
      this.ws();
      if (this.peek() != 0x22) return this.fail(Msg.EXPECTED_A_JSON_OBJECT_KEY);
      const key = this.string();
      if (key == null) return null;
      if (v.get(key) != null) return this.fail(Msg.DUPLICATE_JSON_KEY, key);
      this.ws();
      if (this.peek() != 0x3a) return this.fail(Msg.EXPECTED_COLON_IN_JSON_OBJECT);
      this.pos++;
      const item = this.value(depth + 1);
      if (item == null) return null;
      if (v.keys.length >= JSON_MAX_LENGTH) return this.fail(Msg.JSON_OBJECT_HAS_TOO_MANY_MEMBERS);
      v.keys.push(key);
      v.items.push(item);
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c == 0x7d) return v;
      if (c != 0x2c) return this.fail(Msg.EXPECTED_COMMA_OR_BRACE_IN_JSON_OBJECT);
    }
  }

  private array(v: JsonValue, depth: i32): JsonValue | null {
    v.type = JsonType.ARRAY;
    this.pos++;
    this.ws();
    if (this.peek() == 0x5d) { this.pos++; return v; }
    while (true) {
      const item = this.value(depth + 1);
      if (item == null) return null;
      if (v.items.length >= JSON_MAX_LENGTH) return this.fail(Msg.JSON_ARRAY_TOO_LONG);
      v.items.push(item);
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c == 0x5d) return v;
      if (c != 0x2c) return this.fail(Msg.EXPECTED_COMMA_OR_BRACKET_IN_JSON_ARRAY);
    }
  }

  /**
   * RFC 8259 §6 grammar. The value is accumulated in a double: exact for
   * integers up to 2^53 (ids, times), close enough for fractions (leeway);
   * strtod would cost 2 KB of the module for nothing configuration needs.
   */
  private number(v: JsonValue): JsonValue | null {
    const start = this.pos;
    let negative = false;
    if (this.peek() == 0x2d) { negative = true; this.pos++; }
    let c = this.peek();
    let value: f64 = 0;
    let exact: u64 = 0;
    let fits = true;
    if (c == 0x30) {
      this.pos++;
    } else if (c >= 0x31 && c <= 0x39) {
      while ((c = this.peek()) >= 0x30 && c <= 0x39) {
        const d = <u64>(c - 0x30);
        value = value * 10 + <f64>d;
        if (exact > (u64.MAX_VALUE - d) / 10) fits = false;
        else exact = exact * 10 + d;
        this.pos++;
      }
    } else return this.fail(Msg.INVALID_JSON_NUMBER);
    let integer = true;
    if (this.peek() == 0x2e) {
      integer = false;
      this.pos++;
      let scale: f64 = 1;
      const fracStart = this.pos;
      while ((c = this.peek()) >= 0x30 && c <= 0x39) { value = value * 10 + <f64>(c - 0x30); scale *= 10; this.pos++; }
      if (this.pos == fracStart) return this.fail(Msg.INVALID_JSON_NUMBER_FRACTION);
      value /= scale;
    }
    c = this.peek();
    if (c == 0x65 || c == 0x45) {
      integer = false;
      this.pos++;
      c = this.peek();
      let expNegative = false;
      if (c == 0x2b || c == 0x2d) { expNegative = c == 0x2d; this.pos++; }
      let exp = 0;
      const expStart = this.pos;
      while ((c = this.peek()) >= 0x30 && c <= 0x39) { if (exp < 1000) exp = exp * 10 + (c - 0x30); this.pos++; }
      if (this.pos == expStart) return this.fail(Msg.INVALID_JSON_NUMBER_EXPONENT);
      if (exp > 308) return this.fail(Msg.JSON_NUMBER_OUT_OF_RANGE);
      for (let i = 0; i < exp; i++) value = expNegative ? value / 10 : value * 10;
    }
    if (this.pos - start > 32) return this.fail(Msg.JSON_NUMBER_TOO_LONG);
    v.type = JsonType.NUMBER;
    v.isInteger = integer;
    v.isUint = integer && fits && !negative;
    v.uint = exact;
    v.num = negative ? -value : value;
    return v;
  }

  private hex4(): i32 {
    if (<i32>(this.end - this.pos) < 4) return -1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = <i32>load<u8>(this.pos++);
      let d = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  private string(): string | null {
    this.pos++; // opening quote
    let s = "";
    let runStart = this.pos;
    while (true) {
      if (this.pos >= this.end) { this.fail(Msg.UNTERMINATED_JSON_STRING); return null; }
      const c = <i32>load<u8>(this.pos);
      if (c == 0x22) {
        s += String.UTF8.decodeUnsafe(runStart, this.pos - runStart);
        this.pos++;
        return s;
      }
      if (c < 0x20) { this.fail(Msg.CONTROL_CHARACTER_IN_JSON_STRING); return null; }
      if (c != 0x5c) { this.pos++; continue; }
      s += String.UTF8.decodeUnsafe(runStart, this.pos - runStart);
      this.pos++;
      const e = this.peek();
      this.pos++;
      if (e == 0x22) s += "\"";
      else if (e == 0x5c) s += "\\";
      else if (e == 0x2f) s += "/";
      else if (e == 0x62) s += "\b";
      else if (e == 0x66) s += "\f";
      else if (e == 0x6e) s += "\n";
      else if (e == 0x72) s += "\r";
      else if (e == 0x74) s += "\t";
      else if (e == 0x75) {
        const u = this.hex4();
        if (u < 0) { this.fail(Msg.BAD_U_ESCAPE_IN_JSON_STRING); return null; }
        if (u >= 0xdc00 && u <= 0xdfff) { this.fail(Msg.LONE_LOW_SURROGATE_IN_JSON_STRING); return null; }
        if (u >= 0xd800 && u <= 0xdbff) {
          if (!this.literal("\\u")) { this.fail(Msg.LONE_HIGH_SURROGATE_IN_JSON_STRING); return null; }
          const lo = this.hex4();
          if (lo < 0xdc00 || lo > 0xdfff) { this.fail(Msg.LONE_HIGH_SURROGATE_IN_JSON_STRING); return null; }
          s += String.fromCharCodes([u, lo]);
        } else s += String.fromCharCode(u);
      } else { this.fail(Msg.BAD_ESCAPE_IN_JSON_STRING); return null; }
      runStart = this.pos;
    }
  }
}
