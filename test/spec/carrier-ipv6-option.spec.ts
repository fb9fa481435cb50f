import { CarrierError, FoundTokens, MAX_FOUND } from "../../assembly/carrier/found";
import { DEFAULT_IPV6_TOKEN_OPTION, OPTION_PAD1, OPTION_PADN, findOptionTokens } from "../../assembly/carrier/ipv6-option";
import { Bytes, hex, rep, toHex } from "./helpers";

// Vectors: whole Hop-by-Hop (RFC 8200 §4.3) or Destination Options (§4.6)
// headers, Next Header 17 (UDP). Built with python3 and decoded by tshark 4.0
// inside IPv6/UDP packets (each option's type and length as below). The
// token is the 4-byte network-token header (reflect 1, descriptor 2: CWT) +
// the RFC 8392 A.7 COSE_Mac0, 46 bytes; the walker never looks inside it.

const MAC0 = "d18443a10104a1044c53796d6d65747269633235364ba106fb41d584367c20000048b8816f34c0542892";
const TOKEN = "10000002" + MAC0;

const HBH_PADN_TOKEN_PAD1 =
  "1106 " + // Next Header UDP, Hdr Ext Len 6: 56 bytes
  "0100 " + // PadN of 2 bytes
  "1f2e" + TOKEN + " " + // the token option at 4, data at 6
  "00000000"; // four Pad1

const DEST_TWO_TOKENS =
  "1107 " + // 64 bytes
  "1f2e" + TOKEN + " " +
  "1f091000b00f0102030405 " + // a second token: descriptor 0xb00f, 5 bytes
  "010100"; // PadN of 3 bytes

const HBH_ROUTER_ALERT =
  "1106 " +
  "05020000 " + // Router Alert (RFC 2711), MLD
  "1f2e" + TOKEN + " " +
  "0100";

const HBH_MAX_DATA =
  "1120 " + // 264 bytes
  "1fff 10000002" + rep("ab", 251) + " " + // 255 bytes of option data
  "0103000000"; // PadN of 5 bytes

// [header, extLen adjustment (bytes cut off or added after the header), CarrierError]
const REJECTED: string[] = [
  "", "0", "-5", // nothing
  "1100 000000", "0", "-5", // shorter than 8 bytes
  "1100 01040000 0000", "-1", "-5", // extLen 7 for Hdr Ext Len 0
  "1100 01040000 0000", "1", "-5", // extLen 9 for Hdr Ext Len 0
  "1101 01040000 0000", "0", "-5", // Hdr Ext Len 1 (16 bytes) in 8
  HBH_PADN_TOKEN_PAD1, "-8", "-5", // a whole unit short
  HBH_PADN_TOKEN_PAD1, "8", "-5", // a whole unit more
  "1100 1f08 10000002", "0", "-6", // option data runs past the end
  "1100 1f05 10000002", "0", "-6", // by one byte
  "1100 0106 00000000", "0", "-6", // PadN runs past the end
  "1100 0000 0000 00 1f", "0", "-6", // an option type with no length byte left
  "1100 0000 0000 00 01", "0", "-6", // the same for PadN
  "1101 1f2e" + TOKEN.slice(0, 24), "0", "-6", // token option cut at 16 bytes
];

function find(b: Bytes, type: u8, out: FoundTokens): i32 {
  return findOptionTokens(b.ptr, b.len, type, out);
}

describe("findOptionTokens", () => {
  it("uses the draft's option type 0x1F (act 00, chg 0) by default", () => {
    expect<u8>(DEFAULT_IPV6_TOKEN_OPTION).toBe(0x1f);
    expect<u8>(OPTION_PAD1).toBe(0);
    expect<u8>(OPTION_PADN).toBe(1);
  });

  it("finds the token between PadN and Pad1 padding in a Hop-by-Hop header", () => {
    const b = hex(HBH_PADN_TOKEN_PAD1);
    const f = new FoundTokens();
    expect<i32>(b.len).toBe(56);
    expect<i32>(find(b, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(1);
    expect<usize>(f.ptr(0) - b.ptr).toBe(6);
    expect<i32>(f.len(0)).toBe(46);
    expect<string>(toHex(f.ptr(0), f.len(0))).toBe(TOKEN);
  });

  it("finds two token options of a Destination Options header in order", () => {
    const b = hex(DEST_TWO_TOKENS);
    const f = new FoundTokens();
    expect<i32>(find(b, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(2);
    expect<string>(toHex(f.ptr(0), f.len(0))).toBe(TOKEN);
    expect<string>(toHex(f.ptr(1), f.len(1))).toBe("1000b00f0102030405");
  });

  it("skips a Router Alert option", () => {
    const b = hex(HBH_ROUTER_ALERT);
    const f = new FoundTokens();
    expect<i32>(find(b, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(1);
    expect<usize>(f.ptr(0) - b.ptr).toBe(8);
    expect<string>(toHex(f.ptr(0), f.len(0))).toBe(TOKEN);
  });

  it("finds 255 bytes of option data, the most an option holds", () => {
    const b = hex(HBH_MAX_DATA);
    const f = new FoundTokens();
    expect<i32>(b.len).toBe(264);
    expect<i32>(find(b, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(1);
    expect<i32>(f.len(0)).toBe(255);
    expect<string>(toHex(f.ptr(0), 4)).toBe("10000002");
    expect<u8>(load<u8>(f.ptr(0) + 254)).toBe(0xab);
  });

  it("looks for the configured option type", () => {
    const b = hex("1100 3e04 10000002");
    const f = new FoundTokens();
    expect<i32>(find(b, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(0);
    expect<i32>(find(b, 0x3e, f)).toBe(1);
    expect<string>(toHex(f.ptr(0), f.len(0))).toBe("10000002");
    f.clear();
    const t = hex(HBH_PADN_TOKEN_PAD1);
    expect<i32>(find(t, 0x3e, f)).toBe(0);
  });

  it("matches the whole type byte, action and change bits included", () => {
    // 0x9f and 0x3f carry number 0x1f with other action / change bits.
    const b = hex("1100 9f00 3f00 0000");
    const f = new FoundTokens();
    expect<i32>(find(b, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(0);
    expect<i32>(find(b, 0x9f, f)).toBe(1);
    expect<i32>(find(b, 0x3f, f)).toBe(1);
  });

  it("never takes padding for a token, whatever type is configured", () => {
    const b = hex("1100 0102 0000 0000");
    const f = new FoundTokens();
    expect<i32>(find(b, OPTION_PADN, f)).toBe(0);
    expect<i32>(find(b, OPTION_PAD1, f)).toBe(0);
    expect<i32>(f.total).toBe(0);
  });

  it("finds nothing in a header of padding only", () => {
    const cases: string[] = ["1100 0104 00000000", "3b00 0000 0000 0000", "1101 010c" + rep("00", 12)];
    for (let i = 0; i < cases.length; i++) {
      const b = hex(cases[i]);
      const f = new FoundTokens();
      expect<i32>(find(b, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(0, cases[i]);
    }
  });

  it("collects a zero-length token option as an empty value", () => {
    const b = hex("1100 1f00 1f02 1000");
    const f = new FoundTokens();
    expect<i32>(find(b, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(2);
    expect<usize>(f.ptr(0) - b.ptr).toBe(4);
    expect<i32>(f.len(0)).toBe(0);
    expect<string>(toHex(f.ptr(1), f.len(1))).toBe("1000");
  });

  it("keeps MAX_FOUND tokens and counts the others as dropped", () => {
    // six options of 4 bytes data (6 bytes each) after the 2 fixed bytes: 38, plus PadN of 2: 40
    let opts = "";
    for (let i = 0; i < MAX_FOUND + 2; i++) opts += "1f04 1000000" + i.toString();
    const b = hex("1104 " + opts + "0100");
    const f = new FoundTokens();
    expect<i32>(find(b, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(MAX_FOUND + 2);
    expect<i32>(f.count).toBe(MAX_FOUND);
    expect<i32>(f.dropped).toBe(2);
    for (let i = 0; i < MAX_FOUND; i++) expect<string>(toHex(f.ptr(i), f.len(i))).toBe("1000000" + i.toString());
  });

  it("appends the tokens of a Destination Options header after those of the Hop-by-Hop header", () => {
    const hbh = hex(HBH_PADN_TOKEN_PAD1);
    const dst = hex(DEST_TWO_TOKENS);
    const f = new FoundTokens();
    expect<i32>(find(hbh, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(1);
    expect<i32>(find(dst, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(2);
    expect<i32>(f.count).toBe(3);
    expect<usize>(f.ptr(0) - hbh.ptr).toBe(6);
    expect<string>(toHex(f.ptr(2), f.len(2))).toBe("1000b00f0102030405");
  });

  it("rejects a header whose length or options do not fit, with a typed error", () => {
    for (let i = 0; i < REJECTED.length; i += 3) {
      const adj = I32.parseInt(REJECTED[i + 1]);
      // The buffer always holds the header plus 8 spare bytes, so a longer extLen stays readable.
      const b = hex(REJECTED[i] + rep("ee", 8));
      const f = new FoundTokens();
      expect<i32>(findOptionTokens(b.ptr, b.len - 8 + adj, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(I32.parseInt(REJECTED[i + 2]), REJECTED[i] + " " + REJECTED[i + 1]);
      expect<i32>(f.total).toBe(0, REJECTED[i]);
    }
    expect<i32>(CarrierError.BAD_EXT_LENGTH).toBe(-5);
    expect<i32>(CarrierError.BAD_OPTIONS).toBe(-6);
  });

  it("rejects a negative length", () => {
    const b = hex(HBH_PADN_TOKEN_PAD1);
    const f = new FoundTokens();
    expect<i32>(findOptionTokens(b.ptr, -8, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(CarrierError.BAD_EXT_LENGTH);
  });

  it("leaves the list as it was when a later option runs past the end", () => {
    // A token option, then an option claiming 8 bytes where 2 remain.
    const b = hex("1101 1f04 10000002 0000 0000 1f08 0000");
    const f = new FoundTokens();
    f.add(1234, 5);
    expect<i32>(find(b, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(CarrierError.BAD_OPTIONS);
    expect<i32>(f.count).toBe(1);
    expect<usize>(f.ptr(0)).toBe(1234);
  });

  it("reads nothing past the given length", () => {
    // The 8 bytes after the header would be a token option if read.
    const b = hex("1100 0104 00000000 1f06 100000020000");
    const f = new FoundTokens();
    expect<i32>(findOptionTokens(b.ptr, 8, DEFAULT_IPV6_TOKEN_OPTION, f)).toBe(0);
  });
});
