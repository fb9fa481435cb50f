import { IpProto, LinkType, Packet } from "../../assembly/packet/packet";
import {
  checksumAdjust,
  finalDestination,
  internetChecksum,
  ipv4HeaderChecksum,
  l4Checksum,
  l4ChecksumValid,
  pseudoHeaderSum,
  setIpv4HeaderChecksum,
  setL4Checksum,
  sumWords,
  foldSum,
} from "../../assembly/packet/checksum";
import { crc32 } from "../../assembly/util/crc32";
import { stunFingerprint } from "../../assembly/tagging/stun-insert";
import { hex, toHex, utf8 } from "./helpers";
import { Frame, compact } from "./edit-helpers";
import {
  V4_FIRST_FRAGMENT,
  V4_OPTIONS,
  V4_TCP_OPTIONS,
  V4_TCP_SYN,
  V4_UDP,
  V6_CHAIN,
  V6_ICMP,
  V6_TCP,
  V6_UDP,
} from "./packet-helpers";

// Vectors built with python3 (struct, checksums by an independent RFC 1071
// sum) and checked with tshark 4.0 (-o udp.check_checksum:TRUE: every UDP
// checksum "Good"). Addresses 2001:db8::1 -> 2001:db8::2. The packets from
// packet-helpers.ts carry scapy's checksums.

// IPv6()/Routing(type 0, segleft=1, addresses=[2001:db8::3])/UDP(7000 -> 8000)/b"payload!": checksum over the final destination ::3
const V6_RH = "6000000000282b40 20010db8000000000000000000000001 20010db8000000000000000000000002 110200010000000020010db8000000000000000000000003 1b581f400010ac6f 7061796c6f616421";
// The same with Segments Left 0: the Destination Address is the final destination
const V6_RH_SEGLEFT0 = "6000000000242b40 20010db8000000000000000000000001 20010db8000000000000000000000002 110200000000000020010db8000000000000000000000003 00010002000cd189 646f6e65";
// Segment Routing Header (type 4), segleft 1, Segment List [::4, ::3]: Segment List[0] (::4) is the last segment
const V6_SRH = "6000000000332b40 20010db8000000000000000000000001 20010db8000000000000000000000002 110404010100000020010db800000000000000000000000420010db8000000000000000000000003 00010002000bc8eb 737268";
// RPL source route (type 3, RFC 6554), segleft 1: compressed addresses, no final destination to read
const V6_RH3 = "60000000001b2b40 20010db8000000000000000000000001 20010db8000000000000000000000002 11010301ff0000000300000000000000 00010002000bc5ef 72706c";
// UDP over IPv6 whose computed checksum is 0, sent as 0xffff
const V6_UDP_ZERO = "60000000000a1140 20010db8000000000000000000000001 20010db8000000000000000000000002 00010002000affff a462";
// UDP over IPv4 sent without a checksum (0)
const V4_UDP_NOSUM = "450000200001400040114e95c0000201c6336402 00010002000c0000 6e6f6e65";

// RFC 5769 §2.1 sample request (FINGERPRINT at 100).
const RFC5769_REQUEST =
  "000100582112a442b7e7a701bc34d686fa87dfae 802200105354554e20746573742063 6c69656e74 002400046e0001ff " +
  "80290008932ff9b151263b36 000600096576746a3a68367659202020 000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2 80280004e57a3bcf";

const p = new Packet();

function parsed(h: string, link: LinkType = LinkType.RAW): Frame {
  const f = new Frame(h);
  f.parse(p, link);
  return f;
}

function checksumOf(h: string): i32 {
  const f = parsed(h);
  return l4Checksum(p);
}

function storedL4Checksum(): i32 {
  const at = p.l4 + (p.proto == IpProto.UDP ? 6 : 16);
  return (<i32>load<u8>(at) << 8) | <i32>load<u8>(at + 1);
}

describe("internetChecksum", () => {
  it("gives 0x220d for RFC 1071 §3's example bytes (sum 0xddf2)", () => {
    const b = hex("0001 f203 f4f5 f6f7");
    expect(internetChecksum(b.ptr, b.len)).toBe(0x220d);
    expect(foldSum(sumWords(b.ptr, b.len, 0))).toBe(0xddf2);
  });

  it("pads an odd last byte with a zero byte (RFC 1071 §4.1)", () => {
    const b = hex("0001 f203 f4f5 f6f7 01");
    expect(internetChecksum(b.ptr, b.len)).toBe(0x210d);
  });

  it("is 0xffff for no bytes", () => {
    const b = hex("");
    expect(internetChecksum(b.ptr, 0)).toBe(0xffff);
  });

  it("gives the same at an odd address", () => {
    const b = hex("00 0001 f203 f4f5 f6f7 01");
    expect(internetChecksum(b.ptr + 1, b.len - 1)).toBe(0x210d);
  });

  it("chains sums over pieces split at an even offset", () => {
    const b = hex("0001 f203 f4f5 f6f7 01");
    expect(<i32>(~foldSum(sumWords(b.ptr + 4, 5, sumWords(b.ptr, 4, 0))) & 0xffff)).toBe(0x210d);
  });
});

describe("checksumAdjust", () => {
  it("reproduces RFC 1624 §5's example: 0xDD2F, 0x5555 -> 0x3285 gives 0x0000", () => {
    expect(checksumAdjust(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });

  it("matches a recomputation after the TTL/protocol word of a header changes", () => {
    const f = parsed(V4_UDP);
    const old = (<i32>load<u8>(p.l3 + 8) << 8) | <i32>load<u8>(p.l3 + 9);
    const hc = ipv4HeaderChecksum(p.l3, 20);
    store<u8>(p.l3 + 8, 63);
    expect(checksumAdjust(hc, old, (63 << 8) | 17)).toBe(ipv4HeaderChecksum(p.l3, 20));
  });
});

describe("ipv4HeaderChecksum", () => {
  it("computes the checksum of a header, with the field read as zero", () => {
    parsed(V4_UDP);
    expect(ipv4HeaderChecksum(p.l3, p.ipHeaderLen)).toBe(0x3ba8);
  });

  it("covers IPv4 options (IHL 9)", () => {
    parsed(V4_OPTIONS);
    expect(ipv4HeaderChecksum(p.l3, p.ipHeaderLen)).toBe(0xe978);
  });

  it("setIpv4HeaderChecksum writes it in place", () => {
    const f = parsed(V4_UDP);
    store<u16>(p.l3 + 10, 0);
    setIpv4HeaderChecksum(p.l3, 20);
    expect(f.hex()).toBe(compact(V4_UDP));
  });
});

describe("finalDestination", () => {
  it("is the destination address of IPv4 and of IPv6 without a Routing header", () => {
    parsed(V4_UDP);
    expect(finalDestination(p)).toBe(p.dst);
    parsed(V6_UDP);
    expect(finalDestination(p)).toBe(p.dst);
  });

  it("is the last address of a type 0 Routing header with Segments Left > 0", () => {
    parsed(V6_RH);
    expect(finalDestination(p)).toBe(p.routing + 8);
    expect(toHex(finalDestination(p), 16)).toBe("20010db8000000000000000000000003");
  });

  it("is the destination address when Segments Left is 0", () => {
    parsed(V6_RH_SEGLEFT0);
    expect(finalDestination(p)).toBe(p.dst);
  });

  it("is Segment List[0] of a Segment Routing Header (RFC 8754 §2)", () => {
    parsed(V6_SRH);
    expect(toHex(finalDestination(p), 16)).toBe("20010db8000000000000000000000004");
  });

  it("is unknown (0) for a compressed RPL source route (RFC 6554)", () => {
    parsed(V6_RH3);
    expect(finalDestination(p)).toBe(0);
  });
});

describe("pseudoHeaderSum", () => {
  it("sums addresses, protocol and a 32-bit upper-layer length", () => {
    const a = hex("00010002 00030004");
    // 1 + 2 + 3 + 4 + 17 + 0x0001 + 0x0002
    expect(foldSum(pseudoHeaderSum(a.ptr, a.ptr + 4, 4, 17, 0x10002))).toBe(30);
  });
});

describe("l4Checksum", () => {
  it("computes the UDP and TCP checksums scapy wrote, over IPv4 and IPv6", () => {
    expect(checksumOf(V4_UDP)).toBe(0xfee3);
    expect(checksumOf(V4_OPTIONS)).toBe(0x4a37);
    expect(checksumOf(V6_UDP)).toBe(0x8fa6);
    expect(checksumOf(V4_TCP_OPTIONS)).toBe(0xd5f0);
    expect(checksumOf(V4_TCP_SYN)).toBe(0x72d4);
    expect(checksumOf(V6_TCP)).toBe(0x9672);
  });

  it("uses the final destination of a Routing header (RFC 8200 §8.1)", () => {
    expect(checksumOf(V6_RH)).toBe(0xac6f);
    expect(checksumOf(V6_RH_SEGLEFT0)).toBe(0xd189);
    expect(checksumOf(V6_SRH)).toBe(0xc8eb);
  });

  it("gives a computed UDP checksum of 0 as 0xffff (RFC 768)", () => {
    expect(checksumOf(V6_UDP_ZERO)).toBe(0xffff);
  });

  it("is -1 for fragments, other protocols and an unreadable final destination", () => {
    expect(checksumOf(V4_FIRST_FRAGMENT)).toBe(-1);
    expect(checksumOf(V6_CHAIN)).toBe(-1);
    expect(checksumOf(V6_ICMP)).toBe(-1);
    expect(checksumOf(V6_RH3)).toBe(-1);
  });
});

describe("setL4Checksum", () => {
  it("rewrites a wrong UDP checksum", () => {
    const f = parsed(V4_UDP);
    store<u8>(p.l4 + 6, 0x12);
    expect(setL4Checksum(p)).toBe(true);
    expect(storedL4Checksum()).toBe(0xfee3);
  });

  it("rewrites a wrong TCP checksum", () => {
    const f = parsed(V6_TCP);
    store<u16>(p.l4 + 16, 0);
    expect(setL4Checksum(p)).toBe(true);
    expect(storedL4Checksum()).toBe(0x9672);
  });

  it("leaves a UDP checksum of 0 over IPv4 at 0: the sender computed none", () => {
    const f = parsed(V4_UDP_NOSUM);
    expect(setL4Checksum(p)).toBe(true);
    expect(storedL4Checksum()).toBe(0);
  });

  it("computes a UDP checksum over IPv6 where the sender wrote 0 (mandatory, RFC 8200 §8.1)", () => {
    const f = parsed(V6_UDP);
    store<u16>(p.l4 + 6, 0);
    expect(setL4Checksum(p)).toBe(true);
    expect(storedL4Checksum()).toBe(0x8fa6);
  });

  it("writes nothing and returns false for a fragment", () => {
    const f = parsed(V4_FIRST_FRAGMENT);
    const before = f.hex();
    expect(setL4Checksum(p)).toBe(false);
    expect(f.hex()).toBe(before);
  });
});

describe("l4ChecksumValid", () => {
  it("accepts correct UDP and TCP checksums", () => {
    parsed(V4_UDP);
    expect(l4ChecksumValid(p)).toBe(true);
    parsed(V6_TCP);
    expect(l4ChecksumValid(p)).toBe(true);
    parsed(V6_SRH);
    expect(l4ChecksumValid(p)).toBe(true);
    parsed(V6_UDP_ZERO);
    expect(l4ChecksumValid(p)).toBe(true);
  });

  it("rejects a checksum after one payload byte changed", () => {
    const f = parsed(V6_UDP);
    store<u8>(p.payload, 0x48);
    expect(l4ChecksumValid(p)).toBe(false);
  });

  it("accepts UDP checksum 0 over IPv4 and rejects it over IPv6", () => {
    parsed(V4_UDP_NOSUM);
    expect(l4ChecksumValid(p)).toBe(true);
    const f = parsed(V6_UDP);
    store<u16>(p.l4 + 6, 0);
    expect(l4ChecksumValid(p)).toBe(false);
  });
});

describe("crc32", () => {
  it("gives the CRC-32 check value 0xcbf43926 for \"123456789\"", () => {
    const b = utf8("123456789");
    expect(crc32(b.ptr, b.len)).toBe(0xcbf43926);
  });

  it("is 0 for no bytes and zlib's value for a sentence", () => {
    expect(crc32(0, 0)).toBe(0);
    const b = utf8("The quick brown fox jumps over the lazy dog");
    expect(crc32(b.ptr, b.len)).toBe(0x414fa339);
  });

  it("gives RFC 5769 §2.1's FINGERPRINT (CRC-32 XOR 0x5354554e, RFC 8489 §14.7)", () => {
    const b = hex(RFC5769_REQUEST);
    expect(stunFingerprint(b.ptr, 100)).toBe(0xe57a3bcf);
  });
});
