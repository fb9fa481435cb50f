// Address prefixes ("192.0.2.0/24", "2001:db8::/64") for LAN, allow-list and
// tagging rules, and the prefix test that bip bindings use (RFC 4632 §3.1).

import { parseIp } from "./ip";

/** Does `addr` (len bytes) start with the first `bits` bits of `prefix` (same length)? */
export function prefixMatches(prefix: usize, bits: i32, addr: usize, len: i32): bool {
  const whole = bits >> 3;
  if (whole > len) return false;
  if (memory.compare(prefix, addr, <usize>whole) != 0) return false;
  const rest = bits & 7;
  if (rest == 0) return true;
  const mask = <u8>(<i32>0xff << (8 - rest));
  return (load<u8>(prefix + whole) & mask) == (load<u8>(addr + whole) & mask);
}

export class Prefix {
  bytes: StaticArray<u8> = new StaticArray<u8>(16);
  len: i32 = 0;
  bits: i32 = 0;
  /** The text gave "/bits" (a whole address otherwise). */
  hasLength: bool = false;

  /** "ip" or "ip/bits"; false when the text is neither. */
  parse(text: string): bool {
    const utf8 = String.UTF8.encode(text, false, String.UTF8.ErrorMode.WTF8);
    return this.parseBytes(changetype<usize>(utf8), utf8.byteLength);
  }

  /** The same from n bytes of UTF-8 at ptr (a bip claim's text as it is, no string made). */
  parseBytes(ptr: usize, n: i32): bool {
    let slash = 0;
    while (slash < n && load<u8>(ptr + slash) != 0x2f) slash++;
    const len = parseIp(ptr, slash, changetype<usize>(this.bytes));
    if (len == 0) return false;
    this.len = len;
    this.hasLength = slash < n;
    if (slash == n) {
      this.bits = len << 3;
      return true;
    }
    const digits = n - slash - 1;
    if (digits < 1 || digits > 3) return false;
    let bits = 0;
    for (let i = slash + 1; i < n; i++) {
      const c = <i32>load<u8>(ptr + i);
      if (c < 0x30 || c > 0x39) return false;
      bits = bits * 10 + (c - 0x30);
    }
    if (bits > (len << 3)) return false;
    this.bits = bits;
    return true;
  }

  matches(addr: usize, len: i32): bool {
    return len == this.len && prefixMatches(changetype<usize>(this.bytes), this.bits, addr, len);
  }
}

/** True when any prefix of the list holds the address. */
export function anyPrefixMatches(list: Prefix[], addr: usize, len: i32): bool {
  for (let i = 0; i < list.length; i++) if (list[i].matches(addr, len)) return true;
  return false;
}
