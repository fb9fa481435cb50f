import { IpProto, LinkType, Packet } from "../../assembly/packet/packet";
import { l4ChecksumValid } from "../../assembly/packet/checksum";
import { FoundTokens } from "../../assembly/carrier/found";
import { DEFAULT_IPV6_TOKEN_OPTION, findOptionTokens } from "../../assembly/carrier/ipv6-option";
import { insertIpv6Option, MAX_OPTION_DATA_LEN } from "../../assembly/tagging/ipv6-insert";
import { TagError } from "../../assembly/tagging/tag-error";
import { hex, rep, toHex, Bytes } from "./helpers";
import { Frame, compact } from "./edit-helpers";
import { V4_UDP, V6_8_EXTENSIONS, V6_AH } from "./packet-helpers";

// Vectors: each input and its expected output were built from scratch with
// python3 (struct; options headers padded with Pad1/PadN to a multiple of 8;
// UDP checksums by an independent RFC 1071 sum over the pseudo-header with
// the final destination) and decoded by tshark 4.0 with
// -o udp.check_checksum:TRUE: every UDP checksum "Good", every option type
// as written, no malformed packet. Spaces separate the headers. Addresses
// 2001:db8::1 -> 2001:db8::2. The token is the 4-byte network-token header
// (reflect 1, descriptor 2: CWT) + the RFC 8392 A.7 COSE_Mac0, 46 bytes.

const MAC0 = "d18443a10104a1044c53796d6d65747269633235364ba106fb41d584367c20000048b8816f34c0542892";
const TOKEN = "10000002" + MAC0;
const A6 = "20010db8000000000000000000000001 20010db8000000000000000000000002";

// IPv6(tc=0xb9, fl=0x12345, hlim=63)/UDP(3478 -> 50000)/b"hello", and with the token option in a new header
const V6_PLAIN = "6b912345000d113f " + A6 + " 0d96c350000d8fa6 68656c6c6f";
const V6_PLAIN_HBH = "6b9123450045003f " + A6 + " 11061f2e" + TOKEN + "010400000000 0d96c350000d8fa6 68656c6c6f";
const V6_PLAIN_DEST = "6b91234500453c3f " + A6 + " 11061f2e" + TOKEN + "010400000000 0d96c350000d8fa6 68656c6c6f";
// 255 bytes of option data (header + 251 bytes): 264-byte header, PadN of 5
const V6_PLAIN_HBH_255 = "6b9123450115003f " + A6 + " 11201fff10000002" + rep("ab", 251) + "0103000000 0d96c350000d8fa6 68656c6c6f";
// 3 bytes of option data: 7 bytes of options, one Pad1
const V6_PLAIN_HBH_3 = "6b9123450015003f " + A6 + " 11001f0310000000 0d96c350000d8fa6 68656c6c6f";
// Hop-by-Hop with Router Alert (RFC 2711) and PadN of 2; then with the token replacing the PadN
const V6_HBH_RA = "6000000000150040 " + A6 + " 1100050200000100 0d96c350000d8fa6 68656c6c6f";
const V6_HBH_RA_TAGGED = "6000000000450040 " + A6 + " 1106050200001f2e" + TOKEN + "0100 0d96c350000d8fa6 68656c6c6f";
// A 24-byte Hop-by-Hop header of padding only; a 4-byte option makes it 8 bytes
const V6_HBH_PAD22 = "6000000000250040 " + A6 + " 110201140000000000000000000000000000000000000000 0d96c350000d8fa6 68656c6c6f";
const V6_HBH_PAD22_TAGGED = "6000000000150040 " + A6 + " 11001f0410000002 0d96c350000d8fa6 68656c6c6f";
// Routing (type 0, segleft 1, [2001:db8::3])/UDP(7000 -> 8000)/b"payload!"; then a Destination Options header after it
const V6_RH = "6000000000282b40 " + A6 + " 110200010000000020010db8000000000000000000000003 1b581f400010ac6f 7061796c6f616421";
const V6_RH_DEST = "6000000000602b40 " + A6 + " 3c0200010000000020010db8000000000000000000000003 11061f2e" + TOKEN + "010400000000 1b581f400010ac6f 7061796c6f616421";
// Destination Options with an unknown option 0x1e (2 bytes) and PadN of 2; then with the token
const V6_DEST = "6000000000153c40 " + A6 + " 11001e02abcd0100 0d96c350000d8fa6 68656c6c6f";
const V6_DEST_TAGGED = "6000000000453c40 " + A6 + " 11061e02abcd1f2e" + TOKEN + "0100 0d96c350000d8fa6 68656c6c6f";
// Destination Options before a Routing header only; a second one is created before the upper layer
const V6_DEST1_RH = "6000000000303c40 " + A6 + " 2b001e02abcd0100 110200010000000020010db8000000000000000000000003 1b581f400010ac6f 7061796c6f616421";
const V6_DEST1_RH_TAGGED = "6000000000683c40 " + A6 + " 2b001e02abcd0100 3c0200010000000020010db8000000000000000000000003 11061f2e" + TOKEN + "010400000000 1b581f400010ac6f 7061796c6f616421";
// IPv6()/Fragment(nh=17, offset=3, m=0, id=0xabcdef01)/(b"y"*16): a later fragment; then with a Hop-by-Hop header
const V6_FRAG = "6000000000182c40 " + A6 + " 11000018abcdef01 79797979797979797979797979797979";
const V6_FRAG_HBH = "6000000000500040 " + A6 + " 2c061f2e" + TOKEN + "010400000000 11000018abcdef01 79797979797979797979797979797979";
// Ether()/Dot1AD(vlan=200)/Dot1Q(vlan=100)/V6_PLAIN; then tagged
const ETH = "02000000000202000000000188a800c88100006486dd ";
const ETH_V6 = ETH + V6_PLAIN;
const ETH_V6_HBH = ETH + V6_PLAIN_HBH;

const p = new Packet();
const found = new FoundTokens();
const token = hex(TOKEN);

/** Parses `f`, inserts the token option, and on success parses the tagged frame into `p`. */
function insert(f: Frame, header: i32, mtu: i32 = 1500, link: LinkType = LinkType.RAW): i32 {
  f.parse(p, link);
  const n = insertIpv6Option(p, f.capacity, mtu, header, DEFAULT_IPV6_TOKEN_OPTION, token.ptr, token.len);
  if (n >= 0) {
    f.len = n;
    f.parse(p, link);
  }
  return n;
}

function insertData(f: Frame, header: i32, data: Bytes): i32 {
  f.parse(p);
  const n = insertIpv6Option(p, f.capacity, 1500, header, DEFAULT_IPV6_TOKEN_OPTION, data.ptr, data.len);
  if (n >= 0) {
    f.len = n;
    f.parse(p);
  }
  return n;
}

/** The one token option value in the options header at `ext`, as hex ("" unless exactly one). */
function tokenIn(ext: usize, extLen: i32): string {
  found.clear();
  if (findOptionTokens(ext, extLen, DEFAULT_IPV6_TOKEN_OPTION, found) != 1) return "";
  return toHex(found.ptr(0), found.len(0));
}

/** Inserting into `input` leaves the whole buffer as it was and returns `code`. */
function refused(input: string, header: i32, mtu: i32, capacity: i32, code: i32): void {
  const f = new Frame(input, capacity);
  const before = f.all();
  expect(insert(f, header, mtu)).toBe(code);
  expect(f.all()).toBe(before);
}

describe("insertIpv6Option into the Hop-by-Hop Options header", () => {
  it("creates the header directly after the IPv6 header when there is none", () => {
    const f = new Frame(V6_PLAIN);
    expect(insert(f, IpProto.HOP_BY_HOP)).toBe(109);
    expect(f.hex()).toBe(compact(V6_PLAIN_HBH));
  });

  it("extends an existing header: the option replaces its trailing PadN", () => {
    const f = new Frame(V6_HBH_RA);
    expect(insert(f, IpProto.HOP_BY_HOP)).toBe(109);
    expect(f.hex()).toBe(compact(V6_HBH_RA_TAGGED));
  });

  it("holds 255 bytes of option data", () => {
    const f = new Frame(V6_PLAIN);
    const data = hex("10000002" + rep("ab", 251));
    expect(data.len).toBe(MAX_OPTION_DATA_LEN);
    expect(insertData(f, IpProto.HOP_BY_HOP, data)).toBe(40 + 264 + 13);
    expect(f.hex()).toBe(compact(V6_PLAIN_HBH_255));
    expect(tokenIn(p.hopByHop, p.hopByHopLen)).toBe(toHex(data.ptr, data.len));
  });

  it("ends the header with a Pad1 when one byte is left over", () => {
    const f = new Frame(V6_PLAIN);
    expect(insertData(f, IpProto.HOP_BY_HOP, hex("100000"))).toBe(61);
    expect(f.hex()).toBe(compact(V6_PLAIN_HBH_3));
  });

  it("shrinks a header that had more trailing padding than it needs", () => {
    const f = new Frame(V6_HBH_PAD22);
    expect(insertData(f, IpProto.HOP_BY_HOP, hex("10000002"))).toBe(61);
    expect(f.hex()).toBe(compact(V6_HBH_PAD22_TAGGED));
  });

  it("tags a later fragment: the Hop-by-Hop header is in the unfragmentable part", () => {
    const f = new Frame(V6_FRAG);
    expect(insert(f, IpProto.HOP_BY_HOP)).toBe(120);
    expect(f.hex()).toBe(compact(V6_FRAG_HBH));
    expect(p.fragmentOffset).toBe(24);
  });

  it("grows only the IP datagram of an Ethernet frame with two VLAN tags", () => {
    const f = new Frame(ETH_V6);
    expect(insert(f, IpProto.HOP_BY_HOP, 1500, LinkType.ETHERNET)).toBe(22 + 109);
    expect(f.hex()).toBe(compact(ETH_V6_HBH));
    expect(p.innerVlanId).toBe(100);
    expect(tokenIn(p.hopByHop, p.hopByHopLen)).toBe(TOKEN);
  });

  it("writes the option type it is given", () => {
    const f = new Frame(V6_PLAIN);
    f.parse(p);
    const n = insertIpv6Option(p, f.capacity, 1500, IpProto.HOP_BY_HOP, 0x3e, token.ptr, token.len);
    expect(n).toBe(109);
    f.len = n;
    f.parse(p);
    found.clear();
    expect(findOptionTokens(p.hopByHop, p.hopByHopLen, 0x3e, found)).toBe(1);
    expect(findOptionTokens(p.hopByHop, p.hopByHopLen, DEFAULT_IPV6_TOKEN_OPTION, found)).toBe(0);
  });
});

describe("insertIpv6Option into the Destination Options header", () => {
  it("creates the header directly before the upper-layer header when there is none", () => {
    const f = new Frame(V6_PLAIN);
    expect(insert(f, IpProto.DEST_OPTS)).toBe(109);
    expect(f.hex()).toBe(compact(V6_PLAIN_DEST));
  });

  it("creates it after a Routing header, whose Next Header now names it", () => {
    const f = new Frame(V6_RH);
    expect(insert(f, IpProto.DEST_OPTS)).toBe(136);
    expect(f.hex()).toBe(compact(V6_RH_DEST));
  });

  it("extends the Destination Options header that precedes the upper layer", () => {
    const f = new Frame(V6_DEST);
    expect(insert(f, IpProto.DEST_OPTS)).toBe(109);
    expect(f.hex()).toBe(compact(V6_DEST_TAGGED));
  });

  it("creates a second one when the only one precedes a Routing header", () => {
    const f = new Frame(V6_DEST1_RH);
    expect(insert(f, IpProto.DEST_OPTS)).toBe(144);
    expect(f.hex()).toBe(compact(V6_DEST1_RH_TAGGED));
    expect(tokenIn(p.destOpts1, p.destOpts1Len)).toBe("");
    expect(tokenIn(p.destOpts2, p.destOpts2Len)).toBe(TOKEN);
  });

  it("refuses a fragment: the header would be in the fragmentable part", () => {
    refused(V6_FRAG, IpProto.DEST_OPTS, 1500, 2048, TagError.FRAGMENT);
  });
});

describe("insertIpv6Option: the packet after insertion", () => {
  it("parses with the new payload length and the Hop-by-Hop header in the chain", () => {
    const f = new Frame(V6_PLAIN);
    insert(f, IpProto.HOP_BY_HOP);
    const q = new Packet();
    expect(q.parse(f.ptr, f.len, LinkType.RAW)).toBe(true);
    expect(q.l3Len).toBe(109);
    expect(q.extensionCount).toBe(1);
    expect(q.extensionType(0)).toBe(IpProto.HOP_BY_HOP);
    expect(q.proto).toBe(IpProto.UDP);
    expect(q.dstPort).toBe(50000);
    expect(toHex(q.payload, q.payloadLen)).toBe("68656c6c6f");
    expect(tokenIn(q.hopByHop, q.hopByHopLen)).toBe(TOKEN);
  });

  it("parses with the chain Routing -> Destination Options -> UDP", () => {
    const f = new Frame(V6_RH);
    insert(f, IpProto.DEST_OPTS);
    const q = new Packet();
    expect(q.parse(f.ptr, f.len, LinkType.RAW)).toBe(true);
    expect(q.l3Len).toBe(136);
    expect(q.extensionCount).toBe(2);
    expect(q.extensionType(0)).toBe(IpProto.ROUTING);
    expect(q.extensionType(1)).toBe(IpProto.DEST_OPTS);
    expect(q.proto).toBe(IpProto.UDP);
    expect(tokenIn(q.destOpts2, q.destOpts2Len)).toBe(TOKEN);
  });

  it("leaves parsing the tagged packet to the caller: the Packet keeps the old lengths", () => {
    const f = new Frame(V6_DEST);
    f.parse(p);
    expect(insertIpv6Option(p, f.capacity, 1500, IpProto.DEST_OPTS, DEFAULT_IPV6_TOKEN_OPTION, token.ptr, token.len)).toBe(109);
    expect(p.frameLen).toBe(61);
    expect(p.l3Len).toBe(61);
    expect(p.parse(f.ptr, 109, LinkType.RAW)).toBe(true);
    expect(tokenIn(p.destOpts2, p.destOpts2Len)).toBe(TOKEN);
  });

  it("keeps the UDP checksum, which stays valid: the pseudo-header length excludes extension headers", () => {
    const f = new Frame(V6_RH);
    insert(f, IpProto.DEST_OPTS);
    expect(toHex(p.l4, 8)).toBe("1b581f400010ac6f");
    expect(l4ChecksumValid(p)).toBe(true);
    const g = new Frame(V6_PLAIN);
    insert(g, IpProto.HOP_BY_HOP);
    expect(l4ChecksumValid(p)).toBe(true);
  });
});

describe("insertIpv6Option refusals (the packet untouched)", () => {
  it("returns TOO_BIG when the datagram would exceed the MTU by one byte", () => {
    refused(V6_PLAIN, IpProto.HOP_BY_HOP, 108, 2048, TagError.TOO_BIG);
  });

  it("tags a datagram that reaches the MTU exactly", () => {
    const f = new Frame(V6_PLAIN);
    expect(insert(f, IpProto.HOP_BY_HOP, 109)).toBe(109);
  });

  it("returns NO_ROOM when the buffer cannot hold the grown frame", () => {
    refused(V6_PLAIN, IpProto.HOP_BY_HOP, 1500, 108, TagError.NO_ROOM);
    const f = new Frame(V6_PLAIN, 109);
    expect(insert(f, IpProto.HOP_BY_HOP)).toBe(109);
  });

  it("returns NOT_APPLICABLE for IPv4 and for a packet that did not parse", () => {
    refused(V4_UDP, IpProto.HOP_BY_HOP, 1500, 2048, TagError.NOT_APPLICABLE);
    const f = new Frame("6000000000ff1140 " + A6);
    expect(p.parse(f.ptr, f.len, LinkType.RAW)).toBe(false);
    expect(insertIpv6Option(p, f.capacity, 1500, IpProto.HOP_BY_HOP, 0x1f, token.ptr, token.len)).toBe(TagError.NOT_APPLICABLE);
  });

  it("returns BAD_ARGUMENT for Pad1 or PadN as the type, more than 255 bytes, or another header", () => {
    const f = new Frame(V6_PLAIN);
    const before = f.all();
    f.parse(p);
    expect(insertIpv6Option(p, f.capacity, 1500, IpProto.HOP_BY_HOP, 0, token.ptr, token.len)).toBe(TagError.BAD_ARGUMENT);
    expect(insertIpv6Option(p, f.capacity, 1500, IpProto.HOP_BY_HOP, 1, token.ptr, token.len)).toBe(TagError.BAD_ARGUMENT);
    const big = hex(rep("ab", 256));
    expect(insertIpv6Option(p, f.capacity, 1500, IpProto.HOP_BY_HOP, 0x1f, big.ptr, big.len)).toBe(TagError.BAD_ARGUMENT);
    expect(insertIpv6Option(p, f.capacity, 1500, IpProto.HOP_BY_HOP, 0x1f, token.ptr, -1)).toBe(TagError.BAD_ARGUMENT);
    expect(insertIpv6Option(p, f.capacity, 1500, IpProto.ROUTING, 0x1f, token.ptr, token.len)).toBe(TagError.BAD_ARGUMENT);
    expect(f.all()).toBe(before);
  });

  it("returns AUTHENTICATED for a packet with an Authentication Header", () => {
    refused(V6_AH, IpProto.HOP_BY_HOP, 1500, 2048, TagError.AUTHENTICATED);
    refused(V6_AH, IpProto.DEST_OPTS, 1500, 2048, TagError.AUTHENTICATED);
  });

  it("returns BAD_HEADER when a new header would take the chain past 8 headers", () => {
    refused(V6_8_EXTENSIONS, IpProto.HOP_BY_HOP, 1500, 2048, TagError.BAD_HEADER);
  });

  it("returns BAD_HEADER when an option of the header runs past its end", () => {
    refused("6000000000100040 " + A6 + " 11001f0810000002 0001000200080000", IpProto.HOP_BY_HOP, 1500, 2048, TagError.BAD_HEADER);
  });

  it("returns BAD_HEADER when the header would outgrow 2048 bytes (Hdr Ext Len 255)", () => {
    // 7 options of 255 bytes and one of 245: 2 + 7 * 257 + 247 = 2048 bytes, no padding
    const full = "11ff " + rep("1eff" + rep("00", 255), 7) + "1ef5" + rep("00", 245);
    refused("6000000008080040 " + A6 + " " + full + " 0001000200080000", IpProto.HOP_BY_HOP, 9000, 4096, TagError.BAD_HEADER);
  });
});
