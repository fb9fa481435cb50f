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

  /** "ip" or "ip/bits"; false when the text is neither. */
  parse(text: string): bool {
    const slash = text.indexOf("/");
    const ip = slash < 0 ? text : text.substring(0, slash);
    const utf8 = String.UTF8.encode(ip);
    const n = parseIp(changetype<usize>(utf8), utf8.byteLength, changetype<usize>(this.bytes));
    if (n == 0) return false;
    this.len = n;
    if (slash < 0) {
      this.bits = n << 3;
      return true;
    }
    const b = text.substring(slash + 1);
    if (b.length == 0 || b.length > 3) return false;
    let bits = 0;
    for (let i = 0; i < b.length; i++) {
      const c = b.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return false;
      bits = bits * 10 + (c - 0x30);
    }
    if (bits > (n << 3)) return false;
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
