// Writes the result JSON into a fixed output buffer. The core, not the host,
// formats results, so every host prints byte-identical JSON.

import { writeIp, writeIpv4, IP_TEXT_MAX } from "../util/ip";
import { HEX_DIGITS, HEX_PAIRS, DECIMAL_PAIRS } from "../util/digits";
import { Detail, DETAIL_COUNT, DETAIL_TEXT, DETAIL_OFFSETS } from "../detail-text";
import { JsonKey, JSON_KEY_TEXT, JSON_KEY_OFFSETS } from "../json-key-text";
import { TextKind, asciiNeedsEscape8 } from "../util/bytes";
import { expand, expandedLength } from "../util/unpack";

/**
 * A 2 KiB token's bytes appear at most twice in a result (inspect: a kid
 * escaped as \u00XX, 6x, inside a protected header shown as hex, 2x): 8x plus
 * framing fits. A result that still overflows is replaced (token.ts finish()).
 */
const CAPACITY: i32 = 24576;
const TRUE_TEXT: usize = memory.data<u8>([0x74, 0x72, 0x75, 0x65]); // true
const FALSE_TEXT: usize = memory.data<u8>([0x66, 0x61, 0x6c, 0x73, 0x65]); // false

const BUFFER: usize = memory.data(CAPACITY);

const DIGITS: usize = memory.data(20);

export class JsonWriter {
  pos: usize = BUFFER;
  overflow: bool = false;
  /** True right after `{` / `[` (no comma needed before the next member). */
  first: bool = true;

  get ptr(): usize {
    return BUFFER;
  }

  get length(): i32 {
    return <i32>(this.pos - BUFFER);
  }

  reset(): void {
    this.pos = BUFFER;
    this.overflow = false;
    this.first = true;
  }

  byte(b: i32): void {
    if (this.pos >= BUFFER + <usize>CAPACITY) {
      this.overflow = true;
      return;
    }
    store<u8>(this.pos++, <u8>b);
  }

  // Inlined: every write asks, and a call is dear under an interpreter.
  @inline private room(n: i32): bool {
    if (this.pos + <usize>n <= BUFFER + <usize>CAPACITY) return true;
    this.overflow = true;
    return false;
  }

  /** Writes an ASCII string (names, literals, messages) without quotes or escaping. */
  ascii(s: string): void {
    const n = s.length;
    if (!this.room(n)) return;
    const src = changetype<usize>(s); // UTF-16 code units
    for (let i = 0; i < n; i++) store<u8>(this.pos + i, <u8>load<u16>(src + (<usize>i << 1)));
    this.pos += n;
  }

  /** Bytes copied as they are (text that needs no escaping). */
  raw(ptr: usize, len: i32): void {
    if (!this.room(len)) return;
    memory.copy(this.pos, ptr, len);
    this.pos += len;
  }

  /** A packed message (util/unpack.ts), expanded; it needs no escaping. */
  message(ptr: usize, len: i32): void {
    if (this.room(expandedLength(ptr, len))) this.pos += expand(ptr, len, this.pos);
  }

  /** A packed message, quoted. */
  quotedMessage(ptr: usize, len: i32): void {
    this.byte(0x22);
    this.message(ptr, len);
    this.byte(0x22);
  }

  /** A detail text, quoted, its "%" (one at most) replaced by `arg` (ASCII, needs no escaping). */
  detail(d: Detail, arg: string): void {
    if (<i32>d <= 0 || <i32>d >= DETAIL_COUNT) return;
    const start = <i32>load<u16>(DETAIL_OFFSETS + (<usize>d << 1));
    const end = <i32>load<u16>(DETAIL_OFFSETS + (<usize>d << 1) + 2);
    let pct = start;
    while (pct < end && load<u8>(DETAIL_TEXT + <usize>pct) != 0x25) pct++;
    this.byte(0x22);
    this.message(DETAIL_TEXT + <usize>start, pct - start);
    if (pct < end) {
      this.ascii(arg);
      this.message(DETAIL_TEXT + <usize>pct + 1, end - pct - 1);
    }
    this.byte(0x22);
  }

  /** Bytes that need no escaping (result-code texts), quoted. */
  quotedRaw(ptr: usize, len: i32): void {
    this.quotedRawInline(ptr, len);
  }

  /** quotedRaw() without the call, for stringBytes(): every text claim comes there. */
  @inline private quotedRawInline(ptr: usize, len: i32): void {
    if (!this.room(len + 2)) return;
    const p = this.pos;
    store<u8>(p, 0x22);
    memory.copy(p + 1, ptr, len);
    store<u8>(p + 1 + <usize>len, 0x22);
    this.pos = p + 2 + <usize>len;
  }

  /** A quoted ASCII string; the verify path's names and messages are all ASCII. */
  asciiString(s: string): void {
    this.byte(0x22);
    this.ascii(s);
    this.byte(0x22);
  }

  open(): void {
    if (this.room(1)) store<u8>(this.pos++, 0x7b);
    this.first = true;
  }

  close(): void {
    if (this.room(1)) store<u8>(this.pos++, 0x7d);
    this.first = false;
  }

  openArray(): void {
    this.byte(0x5b);
    this.first = true;
  }

  closeArray(): void {
    this.byte(0x5d);
    this.first = false;
  }

  /** Separator before an array element. */
  element(): void {
    if (!this.first) this.byte(0x2c);
    this.first = false;
  }

  /**
   * `"name":` with the comma when needed: one copy of the framed name
   * (json-keys.json, packed as `,"name":`), from its second byte after `{`.
   * Results are mostly keys, and every call is dear under an interpreter.
   */
  key(k: JsonKey): void {
    const at = JSON_KEY_OFFSETS + (<usize>k << 1);
    const start = <i32>load<u16>(at) + <i32>this.first;
    const len = <i32>load<u16>(at, 2) - start;
    if (!this.room(len)) return;
    memory.copy(this.pos, JSON_KEY_TEXT + <usize>start, len);
    this.pos += len;
    this.first = false;
  }

  /**
   * A JSON string from UTF-8 bytes already validated by the caller; `kind`
   * (textKind()) when the caller knows it, else the bytes are scanned.
   */
  stringBytes(ptr: usize, len: i32, kind: TextKind = TextKind.UNKNOWN): void {
    let i = 0;
    if (kind == TextKind.UNKNOWN) {
      // Most text needs no escaping: scan (eight bytes a step), then copy it whole.
      while (i + 8 <= len) {
        const w = load<u64>(ptr + i);
        if ((w & 0x8080808080808080) != 0 || asciiNeedsEscape8(w)) break;
        i += 8;
      }
      while (i < len) {
        const c = <i32>load<u8>(ptr + i);
        if (c < 0x20 || c == 0x22 || c == 0x5c || c == 0x7f) break;
        i++;
      }
      kind = i == len ? TextKind.PLAIN : TextKind.ESCAPED;
    }
    if (kind == TextKind.PLAIN) {
      this.quotedRawInline(ptr, len);
      return;
    }
    this.byte(0x22);
    for (i = 0; i < len; i++) {
      const c = <i32>load<u8>(ptr + i);
      if (c == 0x22 || c == 0x5c) {
        this.byte(0x5c);
        this.byte(c);
      } else if (c < 0x20 || c == 0x7f) {
        this.ascii("\\u00");
        this.byte(load<u8>(HEX_DIGITS + <usize>(c >> 4)));
        this.byte(load<u8>(HEX_DIGITS + <usize>(c & 15)));
      } else {
        this.byte(c);
      }
    }
    this.byte(0x22);
  }

  /** A JSON string from an AS string (messages, names). */
  string(s: string): void {
    const utf8 = String.UTF8.encode(s, false, String.UTF8.ErrorMode.WTF8);
    this.stringBytes(changetype<usize>(utf8), utf8.byteLength);
  }

  /** Bytes as a quoted hex string. */
  hex(ptr: usize, len: i32): void {
    if (!this.room((len << 1) + 2)) return;
    let p = this.pos;
    store<u8>(p++, 0x22);
    for (let i = 0; i < len; i++) {
      store<u16>(p, load<u16>(HEX_PAIRS + (<usize>load<u8>(ptr + i) << 1)));
      p += 2;
    }
    store<u8>(p, 0x22);
    this.pos = p + 1;
  }

  /** An IP address as text, unquoted. */
  address(ptr: usize, len: i32): void {
    if (this.room(IP_TEXT_MAX)) this.pos += writeIp(ptr, len, this.pos);
  }

  /** `"address"` or `"address/prefix"`: quotes stored directly, room made once. */
  ip(ptr: usize, len: i32, prefix: i32): void {
    if (!this.room(IP_TEXT_MAX + 2)) return;
    let p = this.pos;
    store<u8>(p, 0x22);
    p += 1 + (len == 4 ? writeIpv4(ptr, p + 1) : writeIp(ptr, len, p + 1)); // IPv4 without writeIp's call
    if (prefix < 0) {
      store<u8>(p, 0x22);
      this.pos = p + 1;
      return;
    }
    this.pos = p;
    this.byte(0x2f);
    this.uint(<u64>prefix);
    this.byte(0x22);
  }

  /** Decimal digits straight into the buffer: results are written without allocating. */
  uint(v: u64): void {
    if (!this.room(20)) return;
    if (v < 10) {
      store<u8>(this.pos++, <u8>(0x30 + <u32>v));
      return;
    }
    // Digits from the last, two a step, at the end of the scratch buffer, then one copy.
    let p = DIGITS + 20;
    while (v >= 100) {
      const q = v / 100;
      p -= 2;
      store<u16>(p, load<u16>(DECIMAL_PAIRS + (<usize>(v - q * 100) << 1)));
      v = q;
    }
    if (v >= 10) {
      p -= 2;
      store<u16>(p, load<u16>(DECIMAL_PAIRS + (<usize>v << 1)));
    } else store<u8>(--p, <u8>(0x30 + <u32>v));
    const n = DIGITS + 20 - p;
    memory.copy(this.pos, p, n);
    this.pos += n;
  }

  int(v: i64): void {
    if (v < 0) {
      this.byte(0x2d);
      this.uint(<u64>(-(v + 1)) + 1); // no overflow at i64.MIN_VALUE
    } else this.uint(<u64>v);
  }

  bool(v: bool): void {
    if (v) this.raw(TRUE_TEXT, 4);
    else this.raw(FALSE_TEXT, 5);
  }

  /**
   * A double as JSON: integral values without a fraction, others with at most
   * six fractional digits (microseconds for a NumericDate), trailing zeros
   * trimmed. Not a shortest round-trip printer: the core prints the same text
   * on every host, and AssemblyScript's Grisu printer would cost 3 KB.
   */
  number(v: f64): void {
    const negative = v < 0;
    if (negative) v = -v;
    if (!(v < 9007199254740992.0)) v = 9007199254740992.0; // callers keep values within 2^53
    let whole = Math.floor(v);
    let micros = Math.round((v - whole) * 1e6);
    if (micros >= 1e6) {
      whole += 1;
      micros = 0;
    }
    if (negative && (whole != 0 || micros != 0)) this.byte(0x2d); // no "-0"
    this.uint(<u64>whole);
    let frac = <i32>micros;
    if (frac == 0) return;
    let digits = 6;
    while (frac % 10 == 0) {
      frac /= 10;
      digits--;
    }
    this.byte(0x2e);
    let width = 1;
    for (let t = frac; t >= 10; t /= 10) width++;
    for (let i = width; i < digits; i++) this.byte(0x30); // 0.05: frac 5 of 2 digits is "05"
    this.uint(<u64>frac);
  }
}

export const out = new JsonWriter();
