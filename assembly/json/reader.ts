// A strict JSON reader (RFC 8259) for configuration and key sets. It builds a
// small tree: configuration is read rarely, so clarity wins over speed here.
//
// Strict means: UTF-8 validated, no trailing commas, no comments, no leading
// zeros, no raw control characters, escapes checked (lone surrogates
// rejected), duplicate object keys rejected, and limits on size, depth and
// container length so that hostile input cannot exhaust the module.

import { isValidUtf8 } from "../util/bytes";

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

  parse(ptr: usize, len: i32): JsonValue | null {
    this.error = "";
    this.start = ptr;
    this.pos = ptr;
    this.end = ptr + <usize>len;
    if (len > JSON_MAX_BYTES) return this.fail("JSON larger than 64 KiB");
    if (!isValidUtf8(ptr, len)) return this.fail("JSON is not valid UTF-8");
    const v = this.value(0);
    if (v == null) return null;
    this.ws();
    if (this.pos != this.end) return this.fail("trailing characters after JSON value");
    return v;
  }

  private fail(msg: string): JsonValue | null {
    if (this.error.length == 0) this.error = msg + " at byte " + (<i32>(this.pos - this.start)).toString();
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

  private literal(word: string): bool {
    if (<i32>(this.end - this.pos) < word.length) return false;
    for (let i = 0; i < word.length; i++) if (<i32>load<u8>(this.pos + i) != word.charCodeAt(i)) return false;
    this.pos += word.length;
    return true;
  }

  private value(depth: i32): JsonValue | null {
    if (depth >= JSON_MAX_DEPTH) return this.fail("JSON nested deeper than " + JSON_MAX_DEPTH.toString());
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
    return this.fail("unexpected character in JSON");
  }

  private object(v: JsonValue, depth: i32): JsonValue | null {
    v.type = JsonType.OBJECT;
    this.pos++;
    this.ws();
    if (this.peek() == 0x7d) { this.pos++; return v; }
    while (true) {
      this.ws();
      if (this.peek() != 0x22) return this.fail("expected a JSON object key");
      const key = this.string();
      if (key == null) return null;
      if (v.get(key) != null) return this.fail("duplicate JSON key \"" + key + "\"");
      this.ws();
      if (this.peek() != 0x3a) return this.fail("expected ':' in JSON object");
      this.pos++;
      const item = this.value(depth + 1);
      if (item == null) return null;
      if (v.keys.length >= JSON_MAX_LENGTH) return this.fail("JSON object has too many members");
      v.keys.push(key);
      v.items.push(item);
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c == 0x7d) return v;
      if (c != 0x2c) return this.fail("expected ',' or '}' in JSON object");
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
      if (v.items.length >= JSON_MAX_LENGTH) return this.fail("JSON array too long");
      v.items.push(item);
      this.ws();
      const c = this.peek();
      this.pos++;
      if (c == 0x5d) return v;
      if (c != 0x2c) return this.fail("expected ',' or ']' in JSON array");
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
    if (c == 0x30) {
      this.pos++;
    } else if (c >= 0x31 && c <= 0x39) {
      while ((c = this.peek()) >= 0x30 && c <= 0x39) { value = value * 10 + <f64>(c - 0x30); this.pos++; }
    } else return this.fail("invalid JSON number");
    let integer = true;
    if (this.peek() == 0x2e) {
      integer = false;
      this.pos++;
      let scale: f64 = 1;
      const fracStart = this.pos;
      while ((c = this.peek()) >= 0x30 && c <= 0x39) { value = value * 10 + <f64>(c - 0x30); scale *= 10; this.pos++; }
      if (this.pos == fracStart) return this.fail("invalid JSON number fraction");
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
      if (this.pos == expStart) return this.fail("invalid JSON number exponent");
      if (exp > 308) return this.fail("JSON number out of range");
      for (let i = 0; i < exp; i++) value = expNegative ? value / 10 : value * 10;
    }
    if (this.pos - start > 32) return this.fail("JSON number too long");
    v.type = JsonType.NUMBER;
    v.isInteger = integer;
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
      if (this.pos >= this.end) { this.fail("unterminated JSON string"); return null; }
      const c = <i32>load<u8>(this.pos);
      if (c == 0x22) {
        s += String.UTF8.decodeUnsafe(runStart, this.pos - runStart);
        this.pos++;
        return s;
      }
      if (c < 0x20) { this.fail("control character in JSON string"); return null; }
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
        if (u < 0) { this.fail("bad \\u escape in JSON string"); return null; }
        if (u >= 0xdc00 && u <= 0xdfff) { this.fail("lone low surrogate in JSON string"); return null; }
        if (u >= 0xd800 && u <= 0xdbff) {
          if (!this.literal("\\u")) { this.fail("lone high surrogate in JSON string"); return null; }
          const lo = this.hex4();
          if (lo < 0xdc00 || lo > 0xdfff) { this.fail("lone high surrogate in JSON string"); return null; }
          s += String.fromCharCodes([u, lo]);
        } else s += String.fromCharCode(u);
      } else { this.fail("bad escape in JSON string"); return null; }
      runStart = this.pos;
    }
  }
}
