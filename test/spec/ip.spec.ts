import { formatIp, parseIp as parseIpBytes } from "../../assembly/util/ip";
import { hex, toHex } from "./helpers";

// [address bytes (hex), RFC 5952 text]
const FORMAT: string[] = [
  "c0000201", "192.0.2.1",
  "00000000", "0.0.0.0",
  "ffffffff", "255.255.255.255",
  "0a000001", "10.0.0.1",
  "20010db8000000000000000000000001", "2001:db8::1",
  "00000000000000000000000000000000", "::",
  "00000000000000000000000000000001", "::1",
  "20010db8000000000001000000000001", "2001:db8::1:0:0:1", // §4.2.3: equal runs, the first is compressed
  "20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1", // §4.2.2: a single zero word is not compressed
  "20010db8000000000000000000000000", "2001:db8::", // trailing run
  "00010000000000000000000000000000", "1::",
  "00010000000000020000000000000003", "1:0:0:2::3", // §4.2.3: the longest run wins
  "20010db8abcdef000000000000000001", "2001:db8:abcd:ef00::1", // §4.3: lowercase
  "20010db800aa000f0000000000000000", "2001:db8:aa:f::", // §4.1: no leading zeros
  "fe800000000000000000000000000001", "fe80::1",
  "00010002000300040005000600070008", "1:2:3:4:5:6:7:8",
  "00010002000300040005000600070000", "1:2:3:4:5:6:7:0", // one zero word at the end: not compressed
  "00000000000000000000ffffc0000201", "::ffff:192.0.2.1", // §5: IPv4-mapped keeps the dotted quad
  "00000000000000000000ffff00000000", "::ffff:0.0.0.0",
  "000000000000000000000000c0000201", "::c000:201", // IPv4-compatible (deprecated): plain hex
  "ffffffffffffffffffffffffffffffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
];

// [text, canonical text after parse and format]
const ROUND_TRIP: string[] = [
  "192.0.2.1", "192.0.2.1",
  "0.0.0.0", "0.0.0.0",
  "255.255.255.255", "255.255.255.255",
  "2001:db8::1", "2001:db8::1",
  "::", "::",
  "::1", "::1",
  "1::", "1::",
  "2001:DB8::1", "2001:db8::1",
  "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1",
  "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1",
  "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1",
  "2001:db8::0:1", "2001:db8::1",
  "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8",
  "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0",
  "::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8",
  "::ffff:192.0.2.1", "::ffff:192.0.2.1",
  "::FFFF:192.0.2.1", "::ffff:192.0.2.1",
  "::ffff:c000:0201", "::ffff:192.0.2.1",
  "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304",
  "::1.2.3.4", "::102:304",
  "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
];

const REJECTED: string[] = [
  "",
  "256.1.1.1",
  "1.256.1.1",
  "01.2.3.4",
  "1.02.3.4",
  "00.1.2.3",
  "1.2.3",
  "1.2.3.4.5",
  "1..2.3",
  "1.2.3.4.",
  ".1.2.3",
  "1.2.3.-4",
  "1.2.3.4 ",
  " 1.2.3.4",
  "1234.1.1.1",
  "a.b.c.d",
  "1::2::3",
  ":::",
  "::::",
  "1:2:3:4:5:6:7:8:9",
  "1:2:3:4:5:6:7",
  "1:2:3:4:5:6:7:",
  "1:2:3:4:5:6:7:8:",
  "::1:",
  "1:",
  ":1",
  ":",
  ":1::",
  "1:::2",
  "1:2:3:4:5:6:7:8::",
  "::1:2:3:4:5:6:7:8",
  "1::2:3:4:5:6:7:8",
  "fe80::1%eth0",
  "fe80::1%1",
  "fe80::%1",
  "12345::",
  "g::",
  "1: :2",
  "::1.2.3",
  "::1.2.3.256",
  "::01.2.3.4",
  "1:2:3:4:5:6:7:1.2.3.4",
  "1:2:3:4:5:6::1.2.3.4",
  "1.2.3.4::",
  "::1.2.3.4:5",
  "[::1]",
  "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2550",
];

describe("formatIp", () => {
  it("formats addresses per RFC 5952 (and IPv4 as a dotted quad)", () => {
    for (let i = 0; i < FORMAT.length; i += 2) {
      const b = hex(FORMAT[i]);
      expect<string>(formatIp(b.ptr, b.len)).toBe(FORMAT[i + 1], FORMAT[i]);
    }
  });

  it("writes every octet value in decimal, in IPv4 and in IPv4-mapped IPv6", () => {
    const v4 = new StaticArray<u8>(4);
    const mapped = new StaticArray<u8>(16);
    mapped[10] = 0xff;
    mapped[11] = 0xff;
    for (let v = 0; v < 256; v++) {
      v4[0] = <u8>v; v4[1] = <u8>(255 - v); v4[2] = 0; v4[3] = <u8>v;
      const want = v.toString() + "." + (255 - v).toString() + ".0." + v.toString();
      expect<string>(formatIp(changetype<usize>(v4), 4)).toBe(want);
      mapped[12] = <u8>v; mapped[13] = <u8>(255 - v); mapped[14] = 0; mapped[15] = <u8>v;
      expect<string>(formatIp(changetype<usize>(mapped), 16)).toBe("::ffff:" + want);
    }
  });

  it("returns an empty string for lengths other than 4 and 16", () => {
    const b = hex("0102030405060708090a0b0c0d0e0f10");
    expect<string>(formatIp(b.ptr, 0)).toBe("");
    expect<string>(formatIp(b.ptr, 5)).toBe("");
    expect<string>(formatIp(b.ptr, 15)).toBe("");
  });
});

/** parseIp reads UTF-8 bytes (a claim as it is); the cases are strings. */
function parseIp(text: string, out: usize): i32 {
  const utf8 = String.UTF8.encode(text);
  return parseIpBytes(changetype<usize>(utf8), utf8.byteLength, out);
}

describe("parseIp", () => {
  it("parses addresses that format back to their canonical text", () => {
    const out = new StaticArray<u8>(16);
    for (let i = 0; i < ROUND_TRIP.length; i += 2) {
      const n = parseIp(ROUND_TRIP[i], changetype<usize>(out));
      expect<bool>(n == 4 || n == 16).toBe(true, ROUND_TRIP[i]);
      expect<string>(formatIp(changetype<usize>(out), n)).toBe(ROUND_TRIP[i + 1], ROUND_TRIP[i]);
    }
  });

  it("returns 4 for IPv4 and 16 for IPv6, with the address bytes", () => {
    const out = new StaticArray<u8>(16);
    const p = changetype<usize>(out);
    expect<i32>(parseIp("192.0.2.7", p)).toBe(4);
    expect<string>(toHex(p, 4)).toBe("c0000207");
    expect<i32>(parseIp("2001:db8::7", p)).toBe(16);
    expect<string>(toHex(p, 16)).toBe("20010db8000000000000000000000007");
    expect<i32>(parseIp("::ffff:192.0.2.7", p)).toBe(16);
    expect<string>(toHex(p, 16)).toBe("00000000000000000000ffffc0000207");
  });

  it("round-trips every formatted address in the RFC 5952 table", () => {
    const out = new StaticArray<u8>(16);
    for (let i = 0; i < FORMAT.length; i += 2) {
      const n = parseIp(FORMAT[i + 1], changetype<usize>(out));
      expect<string>(toHex(changetype<usize>(out), n)).toBe(FORMAT[i], FORMAT[i + 1]);
    }
  });

  it("rejects malformed addresses and zone ids", () => {
    const out = new StaticArray<u8>(16);
    for (let i = 0; i < REJECTED.length; i++) {
      expect<i32>(parseIp(REJECTED[i], changetype<usize>(out))).toBe(0, REJECTED[i]);
    }
  });

  it("rejects bytes that are not ASCII (invalid UTF-8 included) and an empty text", () => {
    const out = new StaticArray<u8>(16);
    expect<i32>(parseIp("192.0.2.٣", changetype<usize>(out))).toBe(0); // ARABIC-INDIC DIGIT THREE
    const bad = memory.data<u8>([0x31, 0x2e, 0x32, 0x2e, 0x33, 0x2e, 0xff]);
    expect<i32>(parseIpBytes(bad, 7, changetype<usize>(out))).toBe(0);
    expect<i32>(parseIpBytes(bad, 0, changetype<usize>(out))).toBe(0);
  });

  it("rejects text longer than 45 characters", () => {
    const out = new StaticArray<u8>(16);
    expect<i32>(parseIp("0000:0000:0000:0000:0000:0000:0000:0000:00000", changetype<usize>(out))).toBe(0);
    expect<i32>(parseIp("0000:0000:0000:0000:0000:0000:0000:0001", changetype<usize>(out))).toBe(16);
  });
});
