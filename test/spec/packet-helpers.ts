// Packets and helpers for the packet parser specs (test/spec/packet*.spec.ts;
// not a spec itself).
//
// The packets were built with scapy 2.8 (the expression is above each one;
// addresses A4 = 192.0.2.1 -> 198.51.100.2, A6 = 2001:db8::1 -> 2001:db8::2)
// and cross-checked with tshark 4 (lengths, ports, extension chain, VLAN ids).
// Spaces separate the layers. Checksums are scapy's, and never checked.

import { LinkType, Packet } from "../../assembly/packet/packet";
import { hex, rep, Bytes } from "./helpers";

const V4 = "c0000201 c6336402";
const V6 = "20010db8000000000000000000000001 20010db8000000000000000000000002";

// IP(src=A4, dst=A4d, ttl=64, tos=0xb9, id=0x1234, flags="DF")/UDP(sport=3478, dport=50000)/b"hello"
export const V4_UDP = "45b900211234400040113ba8 " + V4 + " 0d96c350000dfee3 68656c6c6f";
// IP(options=[Router Alert, 4 x NOP, Record Route with one empty slot])/UDP(sport=1234, dport=53)/b"abc": IHL 9
export const V4_OPTIONS = "4900002f000100004011e978 " + V4 + " 94040000 01010101 07070400000000 00 04d20035000b4a37 616263";
// IP()/TCP(sport=443, dport=51000, flags="PA", seq=1, ack=2, options=[NOP, NOP, Timestamp(100, 200)])/b"GET /": data offset 8
export const V4_TCP_OPTIONS = "450000390001000040068e87 " + V4 + " 01bbc738000000010000000280182000d5f00000 0101080a00000064000000c8 474554202f";
// IP()/TCP(sport=51000, dport=443, flags="S", options=[MSS 1460, SAckOK, Timestamp(1, 0), NOP, WScale 7]): data offset 10, no payload
export const V4_TCP_SYN = "4500003c0001000040068e84 " + V4 + " c73801bb0000000000000000a002200072d40000 020405b40402080a000000010000000001030307";
// fragment(IP(id=0x4242)/UDP(sport=5000, dport=6000)/(b"x"*100), fragsize=48)[0]: MF, offset 0, UDP length 108 > 48 bytes here
export const V4_FIRST_FRAGMENT = "450000444242200040112c30 " + V4 + " 13881770006c605f " + rep("78", 40);
// ...[1]: MF, offset 6 (48 bytes), no UDP header
export const V4_SECOND_FRAGMENT = "450000444242200640112c2a " + V4 + " " + rep("78", 48);

// IPv6(tc=0xb9, fl=0x12345, hlim=63)/UDP(sport=3478, dport=50000)/b"hello"
export const V6_UDP = "6b912345000d113f " + V6 + " 0d96c350000d8fa6 68656c6c6f";
// IPv6()/HopByHop(RouterAlert)/DestOpt(PadN 4)/Routing(addresses=[2001:db8::3], segleft=1)
//   /Fragment(offset=0, m=1, id=0xabcdef01)/DestOpt(PadN 12)/UDP(sport=7000, dport=8000)/b"payload!"
export const V6_CHAIN =
  "6000000000500040 " + V6 +
  " 3c00050200000100" + // Hop-by-Hop at 40, 8 bytes
  " 2b00010400000000" + // Destination Options at 48, 8 bytes
  " 2c02000100000000 20010db8000000000000000000000003" + // Routing at 56, 24 bytes
  " 3c000001abcdef01" + // Fragment at 80: offset 0, M=1
  " 1101010c000000000000000000000000" + // Destination Options at 88, 16 bytes
  " 1b581f400010ac6f 7061796c6f616421"; // UDP at 104
// IPv6()/Fragment(nh=17, offset=3, m=0, id=0xabcdef01)/(b"y"*16): the last fragment
export const V6_LATER_FRAGMENT = "6000000000182c40 " + V6 + " 11000018abcdef01 " + rep("79", 16);
// IPv6()/Fragment(nh=60, offset=2, m=1, id=7)/(b"z"*16): the fragmentable part starts with Destination Options
export const V6_LATER_FRAGMENT_DEST_OPTS = "6000000000182c40 " + V6 + " 3c00001100000007 " + rep("7a", 16);
// IPv6()/Fragment(offset=0, m=0, id=5)/UDP(sport=1, dport=2)/b"q": an atomic fragment (RFC 6946)
export const V6_ATOMIC_FRAGMENT = "6000000000112c40 " + V6 + " 1100000000000005 0001000200093364 71";
// IPv6()/DestOpt()/HopByHop()/UDP(sport=1, dport=2)
export const V6_HBH_NOT_FIRST = "6000000000183c40 " + V6 + " 0000010400000000 1100010400000000 000100020008a466";
// IPv6()/DestOpt() x 8/UDP(sport=1, dport=2)/b"ok"
export const V6_8_EXTENSIONS = "60000000004a3c40 " + V6 + " " + rep("3c00010400000000 ", 7) + "1100010400000000 00010002000a34f7 6f6b";
// IPv6()/DestOpt() x 9/UDP(sport=1, dport=2)/b"ok"
export const V6_9_EXTENSIONS = "6000000000523c40 " + V6 + " " + rep("3c00010400000000 ", 8) + "1100010400000000 00010002000a34f7 6f6b";
// IPv6()/AH(nh=17, payloadlen=4, spi=0x100, seq=1, icv=b"\xaa"*12)/UDP(sport=500, dport=4500)/b"ike": AH 24 bytes
export const V6_AH = "6000000000233340 " + V6 + " 1104000000000100000000 01" + rep("aa", 12) + " 01f41194000b0000 696b65";
// IPv6()/ESP(spi=0x100, seq=1, data=16 bytes)
export const V6_ESP = "6000000000183240 " + V6 + " 0000010000000001 " + rep("11", 16);
// IPv6()/ICMPv6EchoRequest(id=1, seq=1)
export const V6_ICMP = "6000000000083a40 " + V6 + " 8000244600010001";
// IPv6(nh=59, plen=0)
export const V6_NO_NEXT_HEADER = "6000000000003b40 " + V6;
// IPv6(plen=0)/HopByHop(Jumbo(jumboplen=70000))/UDP(sport=1, dport=2)/b"j"
export const V6_JUMBOGRAM = "6000000000000040 " + V6 + " 1100c20400011170 0001000200093a64 6a";
// IPv6()/TCP(sport=40000, dport=443, flags="S")
export const V6_TCP = "6000000000140640 " + V6 + " 9c4001bb00000000000000005002200096720000";

const MACS = "020000000002 020000000001";
// Ether()/IP()/UDP(sport=3478, dport=50000)/b"hello"
export const ETH_V4 = MACS + " 0800 450000210001000040118e94 " + V4 + " 0d96c350000dfee3 68656c6c6f";
// Ether()/Dot1Q(vlan=100, prio=5)/IP()/UDP(...)/b"hello"
export const ETH_1_TAG = MACS + " 8100 a064 0800 450000210001000040118e94 " + V4 + " 0d96c350000dfee3 68656c6c6f";
// Ether()/Dot1AD(vlan=200)/Dot1Q(vlan=100)/IPv6()/UDP(...)/b"hello"
export const ETH_2_TAGS = MACS + " 88a8 00c8 8100 0064 86dd 60000000000d1140 " + V6 + " 0d96c350000d8fa6 68656c6c6f";
// Ether()/Dot1AD(vlan=200)/Dot1Q(vlan=100)/Dot1Q(vlan=7)/IP()/UDP(sport=1, dport=2)
export const ETH_3_TAGS = MACS + " 88a8 00c8 8100 0064 8100 0007 0800 4500001c0001000040118e99 " + V4 + " 00010002000813a4";
// Ether(dst=broadcast)/ARP(psrc=A4, pdst=A4d)
export const ETH_ARP = "ffffffffffff 020000000001 0806 000108000604000102fc00000001c0000201000000000000c6336402";
// Ether()/IP()/UDP(sport=1, dport=2)/b"p", padded to the 60-byte minimum frame
export const ETH_PADDED = MACS + " 0800 4500001d0001000040118e98 " + V4 + " 00010002 0009 a3a1 70 " + rep("00", 17);
// CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=02:00:00:00:00:01, proto=0x0800)/IP()/UDP(...)/b"hello"
export const SLL_V4 = "0000 0001 0006 0200000000010000 0800 450000210001000040118e94 " + V4 + " 0d96c350000dfee3 68656c6c6f";
// The same as libpcap writes it when the kernel stripped VLAN 100: the tag re-inserted at the protocol field
export const SLL_V4_TAG = "0000 0001 0006 0200000000010000 8100 0064 0800 450000210001000040118e94 " + V4 + " 0d96c350000dfee3 68656c6c6f";
// CookedLinuxV2(proto=0x86dd, ifindex=3, lladdrtype=1, pkttype=4, lladdrlen=6, src=...)/IPv6()/UDP(...)/b"hello"
export const SLL2_V6 = "86dd 0000 00000003 0001 04 06 0200000000010000 60000000000d1140 " + V6 + " 0d96c350000d8fa6 68656c6c6f";

/** A named packet and the link type it is framed for. */
export class Vector {
  constructor(public name: string, public hex: string, public link: LinkType) {}
}

/** Every packet above that parses, with its link type. */
export function validVectors(): Vector[] {
  return [
    new Vector("V4_UDP", V4_UDP, LinkType.RAW),
    new Vector("V4_OPTIONS", V4_OPTIONS, LinkType.RAW),
    new Vector("V4_TCP_OPTIONS", V4_TCP_OPTIONS, LinkType.RAW),
    new Vector("V4_TCP_SYN", V4_TCP_SYN, LinkType.IPV4),
    new Vector("V4_FIRST_FRAGMENT", V4_FIRST_FRAGMENT, LinkType.RAW),
    new Vector("V4_SECOND_FRAGMENT", V4_SECOND_FRAGMENT, LinkType.RAW),
    new Vector("V6_UDP", V6_UDP, LinkType.RAW),
    new Vector("V6_CHAIN", V6_CHAIN, LinkType.RAW),
    new Vector("V6_LATER_FRAGMENT", V6_LATER_FRAGMENT, LinkType.RAW),
    new Vector("V6_LATER_FRAGMENT_DEST_OPTS", V6_LATER_FRAGMENT_DEST_OPTS, LinkType.IPV6),
    new Vector("V6_ATOMIC_FRAGMENT", V6_ATOMIC_FRAGMENT, LinkType.RAW),
    new Vector("V6_8_EXTENSIONS", V6_8_EXTENSIONS, LinkType.RAW),
    new Vector("V6_AH", V6_AH, LinkType.RAW),
    new Vector("V6_ESP", V6_ESP, LinkType.RAW),
    new Vector("V6_ICMP", V6_ICMP, LinkType.RAW),
    new Vector("V6_NO_NEXT_HEADER", V6_NO_NEXT_HEADER, LinkType.RAW),
    new Vector("V6_TCP", V6_TCP, LinkType.IPV6),
    new Vector("ETH_V4", ETH_V4, LinkType.ETHERNET),
    new Vector("ETH_1_TAG", ETH_1_TAG, LinkType.ETHERNET),
    new Vector("ETH_2_TAGS", ETH_2_TAGS, LinkType.ETHERNET),
    new Vector("SLL_V4", SLL_V4, LinkType.LINUX_SLL),
    new Vector("SLL_V4_TAG", SLL_V4_TAG, LinkType.LINUX_SLL),
    new Vector("SLL2_V6", SLL2_V6, LinkType.LINUX_SLL2),
  ];
}

/** An IPv6 packet with next header `next` and `rest` (hex) as its payload; the payload length is computed. */
export function ipv6(next: i32, rest: string): Bytes {
  const payload = hex(rest);
  const head = "6000 0000 " + hex16(payload.len) + hex8(next) + "40 " + V6;
  return hex(head + " " + rest);
}

/** An IPv4 header (IHL 5, no fragmentation) with protocol `proto` and `rest` (hex) as its payload; the total length is computed. */
export function ipv4(proto: i32, rest: string): Bytes {
  const payload = hex(rest);
  return hex("4500 " + hex16(20 + payload.len) + " 0001 0000 40" + hex8(proto) + "0000 " + V4 + " " + rest);
}

export function hex8(v: i32): string {
  return (<u8>v).toString(16).padStart(2, "0");
}

export function hex16(v: i32): string {
  return (<u16>v).toString(16).padStart(4, "0");
}

/** `b` with the byte at `at` replaced by `value`. */
export function withByte(b: Bytes, at: i32, value: i32): Bytes {
  const out = new StaticArray<u8>(b.len);
  memory.copy(changetype<usize>(out), b.ptr, <usize>b.len);
  out[at] = <u8>value;
  return new Bytes(out);
}

/** `b` followed by `extra` (hex). */
export function withTrailer(b: Bytes, extra: string): Bytes {
  const t = hex(extra);
  const out = new StaticArray<u8>(b.len + t.len);
  memory.copy(changetype<usize>(out), b.ptr, <usize>b.len);
  memory.copy(changetype<usize>(out) + <usize>b.len, t.ptr, <usize>t.len);
  return new Bytes(out);
}

/** Offset of a view from the start of the frame (-1 for an absent view). */
export function off(view: usize, base: usize): i32 {
  return view == 0 ? -1 : <i32>(view - base);
}

/** Parses `b` with link type `link` into `p` and returns the result. */
export function parseBytes(p: Packet, b: Bytes, link: LinkType): bool {
  return p.parse(b.ptr, b.len, link);
}

let fenceEnd: usize = 0;

/**
 * Copies `len` bytes from `src` so that they end exactly where linear
 * memory ends, in a page grown for this purpose that the allocator never
 * hands out: a read past them traps instead of seeing other data. Returns
 * the copy's address. Allocate nothing between this and the parse: an
 * allocation may grow memory, and the copy no longer ends it.
 */
export function atEndOfMemory(src: usize, len: i32): usize {
  const top = <usize>memory.size() << 16;
  if (fenceEnd != top) {
    const before = memory.grow(1);
    assert(before >= 0, "atEndOfMemory: cannot grow memory");
    fenceEnd = <usize>(before + 1) << 16;
  }
  const ptr = fenceEnd - <usize>len;
  memory.copy(ptr, src, <usize>len);
  return ptr;
}

/**
 * After a successful parse of [ptr, ptr + len): "" if every view lies inside
 * the bytes and nests as documented, else the first view that does not.
 */
export function viewsInside(p: Packet, ptr: usize, len: i32): string {
  const end = ptr + <usize>len;
  const l3End = p.l3 + <usize>p.l3Len;
  if (p.l3 < ptr || p.l3Len < 0 || l3End > end) return "l3";
  if (p.src < p.l3 || p.src + <usize>p.addrLen > l3End) return "src";
  if (p.dst < p.l3 || p.dst + <usize>p.addrLen > l3End) return "dst";
  if (p.trafficClassOffset < p.l3 || p.trafficClassOffset + 2 > l3End) return "trafficClassOffset";
  if (p.l4 < p.l3 || p.l4Len < 0 || p.l4 + <usize>p.l4Len != l3End) return "l4";
  if (p.payload != 0 && (p.payload < p.l4 || p.payloadLen < 0 || p.payload + <usize>p.payloadLen > l3End)) return "payload";
  for (let i = 0; i < p.extensionCount; i++) {
    const s = p.extensionStart(i);
    if (s < p.l3 + 40 || s + <usize>p.extensionLen(i) > p.l4) return "extension " + i.toString();
  }
  if (!viewInside(p.hopByHop, p.hopByHopLen, p.l3, p.l4)) return "hopByHop";
  if (!viewInside(p.destOpts1, p.destOpts1Len, p.l3, p.l4)) return "destOpts1";
  if (!viewInside(p.routing, p.routingLen, p.l3, p.l4)) return "routing";
  if (!viewInside(p.fragment, p.fragmentLen, p.l3, p.l4)) return "fragment";
  if (!viewInside(p.ah, p.ahLen, p.l3, p.l4)) return "ah";
  if (!viewInside(p.destOpts2, p.destOpts2Len, p.l3, p.l4)) return "destOpts2";
  return "";
}

function viewInside(view: usize, len: i32, from: usize, to: usize): bool {
  if (view == 0) return len == 0;
  return view >= from && len > 0 && view + <usize>len <= to;
}
