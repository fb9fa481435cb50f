// The packet parser of the core: from the bytes of one packet to views of its
// IP header, its IPv6 extension header chain and its UDP or TCP header and
// payload, over a (ptr, len) slice of linear memory.
//
// Input is raw IP (what NFQUEUE delivers) or a frame as a capture holds it:
// Ethernet with up to two VLAN tags, or Linux cooked (SLL, SLL2). The layers
// live one per file: link.ts, ipv4.ts, ipv6.ts, l4.ts; this file holds the
// result (Packet) and the dispatch.
//
// Strict and bounded, like the CBOR reader: every length a header declares is
// checked against the bytes it may cover before anything behind it is read,
// nothing outside [ptr, ptr + len) is ever read, the walks (VLAN tags, IPv6
// extension headers) have fixed limits, and nothing is allocated per packet:
// one Packet is reused, `detail` is a number (packetDetailText). A Packet holds
// views (addresses into the caller's bytes), never copies: the caller keeps
// the bytes alive and unchanged while it uses the views.
//
// Not reasons to fail: L4 checksums (gateways do not verify them, and
// captures of locally sent packets hold unfinished, offloaded ones) and the
// IPv4 header checksum (the kernel verified it before NFQUEUE saw the packet,
// RFC 1812 §5.2.2; the parser reads no field whose meaning depends on it).

import { parseEthernet, parseLinuxSll, parseLinuxSll2, EtherType } from "./link";
import { parseIpv4 } from "./ipv4";
import { parseIpv6 } from "./ipv6";
import { parseL4 } from "./l4";
import { u16be, u8at } from "./wire";
import { PacketDetail, PACKET_DETAIL_COUNT, PACKET_DETAIL_TEXT, PACKET_DETAIL_OFFSETS } from "../packet-detail-text";

/** Link types by their pcap LINKTYPE_* numbers (the pcap/pcapng header field). */
export const enum LinkType {
  ETHERNET = 1,
  RAW = 101,
  LINUX_SLL = 113,
  IPV4 = 228,
  IPV6 = 229,
  LINUX_SLL2 = 276,
}

/** Why a packet was not parsed. Numbers are stable; new ones are appended. */
export const enum PacketError {
  NONE = 0,
  /** Fewer bytes than a link or IP header (or the IP datagram length) needs. */
  TRUNCATED = 1,
  UNSUPPORTED_LINK = 2,
  /** The link layer names something other than IPv4 or IPv6 (ARP, LLC, ...). */
  NOT_IP = 3,
  /** The version nibble is not 4 or 6, or not the one the link layer names. */
  BAD_IP_VERSION = 4,
  BAD_IPV4_HEADER = 5,
  BAD_IPV6_EXTENSIONS = 6,
  /** More than MAX_EXTENSIONS IPv6 extension headers. */
  TOO_MANY_EXTENSIONS = 7,
  /** A UDP or TCP header inconsistent with the IP datagram that carries it. */
  BAD_L4_HEADER = 8,
  /** More than MAX_VLAN_TAGS 802.1Q/802.1ad tags. */
  TOO_MANY_VLAN_TAGS = 9,
  /** IPv6 payload length 0 with a Hop-by-Hop header: a jumbogram (RFC 2675). */
  JUMBOGRAM = 10,
}

/** IP protocol numbers / IPv6 next header values the parser knows (IANA). */
export const enum IpProto {
  HOP_BY_HOP = 0,
  ICMP = 1,
  TCP = 6,
  UDP = 17,
  ROUTING = 43,
  FRAGMENT = 44,
  ESP = 50,
  AH = 51,
  ICMPV6 = 58,
  NO_NEXT_HEADER = 59,
  DEST_OPTS = 60,
}

/** Most VLAN tags before the ethertype (802.1ad outer + 802.1Q inner: QinQ). */
export const MAX_VLAN_TAGS: i32 = 2;
/**
 * Most IPv6 extension headers walked. RFC 8200 §4.1's recommended chain has
 * at most six (HBH, DestOpts, Routing, Fragment, AH, DestOpts); 8 leaves
 * room for repeats, which the RFC tells receivers to accept, and bounds the
 * walk (RFC 9098: long chains cost middleboxes and are used to evade them).
 */
export const MAX_EXTENSIONS: i32 = 8;

export class Packet {
  /** First failure of the last parse; NONE after a successful one. */
  error: PacketError = PacketError.NONE;
  /** What failed (NONE when nothing did); packetDetailText() says it in words. */
  detail: PacketDetail = PacketDetail.NONE;

  // ---- link layer
  /** The link type of the last parse and the whole frame it was given. */
  link: i32 = 0;
  frame: usize = 0;
  frameLen: i32 = 0;
  /** The ethertype naming the IP header (after any VLAN tags); -1 for raw IP link types. */
  etherType: i32 = -1;
  /** VLAN tags walked (0..MAX_VLAN_TAGS) and their VLAN ids (12 bits; -1 when absent). */
  vlanCount: i32 = 0;
  outerVlanId: i32 = -1;
  innerVlanId: i32 = -1;

  // ---- L3
  /** Start of the IP header. */
  l3: usize = 0;
  /**
   * The datagram length the IP header declares (IPv4 total length; IPv6 40 +
   * payload length). Bytes beyond it (Ethernet padding) are ignored; a
   * datagram longer than the bytes present is TRUNCATED.
   */
  l3Len: i32 = 0;
  /** 4 or 6 (0 until the version is known). */
  version: i32 = 0;
  /** The IP header proper: IPv4 IHL * 4 (options included); IPv6 40 (extension headers follow it). */
  ipHeaderLen: i32 = 0;
  /** Views of the source and destination addresses, addrLen (4 or 16) bytes each. */
  src: usize = 0;
  dst: usize = 0;
  addrLen: i32 = 0;
  /** IPv4 TTL / IPv6 hop limit. */
  hopLimit: i32 = 0;
  /** IPv6 flow label (20 bits); 0 for IPv4. */
  flowLabel: i32 = 0;
  /**
   * Where the traffic class (DSCP in its upper 6 bits, ECN in its lower 2;
   * RFC 2474 §3, RFC 3168 §5) lives:
   * - IPv4: the TOS byte itself (l3 + 1): tc = byte.
   * - IPv6: the byte pair l3, l3 + 1, which holds it in bits 4..11 of the
   *   header (RFC 8200 §3): tc = (u16be(offset) >> 4) & 0xff.
   * trafficClass(), dscp() and ecn() read it. A later DSCP rewrite keeps
   * the ECN bits and writes in place:
   * - IPv4: byte = (dscp << 2) | (byte & 3), then updates the header
   *   checksum (l3 + 10) incrementally for the 16-bit word at l3 (RFC 1624
   *   eqn. 3: HC' = ~(~HC + ~m + m')).
   * - IPv6: word = (word & 0xf03f) | (dscp << 6). IPv6 has no header
   *   checksum.
   * Neither touches an L4 checksum: the traffic class is not part of the
   * pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1).
   */
  trafficClassOffset: usize = 0;
  /** IPv4 identification; IPv6 Fragment header identification (0 without one). */
  fragmentId: u32 = 0;
  /** IPv4 DF flag (always false for IPv6: no router fragments it). */
  dontFragment: bool = false;
  /** MF flag (IPv4 header; IPv6 Fragment header M). */
  moreFragments: bool = false;
  /** Byte offset of this fragment's data in the original datagram (the field times 8). */
  fragmentOffset: i32 = 0;
  /**
   * A fragment: MF set or offset non-zero. An IPv6 "atomic fragment" (a
   * Fragment header with M = 0 and offset 0, RFC 6946) is not one: it is the
   * whole datagram and is parsed like any other.
   */
  isFragment: bool = false;
  /** The fragment at offset 0: it carries the L4 header (RFC 8200 §4.5, RFC 7112 §5). */
  isFirstFragment: bool = false;

  // ---- IPv6 extension headers: whole headers (next header and length bytes included); 0/0 when absent.
  /** Hop-by-Hop Options; RFC 8200 §4.1: only directly after the IPv6 header. */
  hopByHop: usize = 0;
  hopByHopLen: i32 = 0;
  /** The first Destination Options header that precedes a Routing header. */
  destOpts1: usize = 0;
  destOpts1Len: i32 = 0;
  /** The first Routing header. */
  routing: usize = 0;
  routingLen: i32 = 0;
  /** The Fragment header (8 bytes; a second one is an error). */
  fragment: usize = 0;
  fragmentLen: i32 = 0;
  /** The first Authentication Header (RFC 4302; the parser walks past it, it does not verify it). */
  ah: usize = 0;
  ahLen: i32 = 0;
  /** The last Destination Options header after every Routing header (without one: the last one): options for the final destination. */
  destOpts2: usize = 0;
  destOpts2Len: i32 = 0;
  /** Extension headers walked; all of them, repeats included, via extensionType/Start/Len(i). */
  extensionCount: i32 = 0;
  private chainTypes: StaticArray<i32> = new StaticArray<i32>(MAX_EXTENSIONS);
  private chainStarts: StaticArray<usize> = new StaticArray<usize>(MAX_EXTENSIONS);
  private chainLens: StaticArray<i32> = new StaticArray<i32>(MAX_EXTENSIONS);

  // ---- L4
  /**
   * The final upper-layer protocol (6 TCP, 17 UDP, 58 ICMPv6, 50 ESP, 59 no
   * next header, ...). For a non-first IPv6 fragment: the next header of the
   * Fragment header, which names the first header of the fragmentable part
   * (RFC 8200 §4.5) and may be an extension header.
   */
  proto: i32 = -1;
  /**
   * The bytes after the IP header(s), up to l3 + l3Len. For a non-first
   * fragment these are a piece of the original payload, not an L4 header.
   */
  l4: usize = 0;
  l4Len: i32 = 0;
  /** -1 when not TCP/UDP or not a first (or whole) datagram. */
  srcPort: i32 = -1;
  dstPort: i32 = -1;
  /** TCP flags byte (CWR ECE URG ACK PSH RST SYN FIN, RFC 9293 §3.1); -1 when not TCP. */
  tcpFlags: i32 = -1;
  /**
   * UDP: the bytes after the 8-byte header as far as the UDP length reaches
   * (bytes after it are ignored; in a first fragment, as far as this
   * fragment reaches). TCP: the bytes after the data offset. 0/0 otherwise.
   */
  payload: usize = 0;
  payloadLen: i32 = 0;

  /**
   * Parses one packet of link type `link` in [ptr, ptr + len). Returns true
   * with every view set, or false with `error` and `detail` set (the views
   * then hold whatever was parsed before the failure).
   */
  parse(ptr: usize, len: i32, link: LinkType): bool {
    this.reset(ptr, len, link);
    if (len < 0) return this.fail(PacketError.TRUNCATED, PacketDetail.NEGATIVE_PACKET_LENGTH);
    const end = ptr + <usize>len;
    let version = 0; // 0: the version nibble decides
    switch (link) {
      case LinkType.RAW: {
        this.l3 = ptr;
        break;
      }
      case LinkType.IPV4: {
        this.l3 = ptr;
        version = 4;
        break;
      }
      case LinkType.IPV6: {
        this.l3 = ptr;
        version = 6;
        break;
      }
      case LinkType.ETHERNET: {
        if (!parseEthernet(this, ptr, end)) return false;
        version = this.etherType == EtherType.IPV4 ? 4 : 6;
        break;
      }
      case LinkType.LINUX_SLL: {
        if (!parseLinuxSll(this, ptr, end)) return false;
        version = this.etherType == EtherType.IPV4 ? 4 : 6;
        break;
      }
      case LinkType.LINUX_SLL2: {
        if (!parseLinuxSll2(this, ptr, end)) return false;
        version = this.etherType == EtherType.IPV4 ? 4 : 6;
        break;
      }
      default:
        return this.fail(PacketError.UNSUPPORTED_LINK, PacketDetail.UNSUPPORTED_LINK_TYPE);
    }
    if (this.l3 >= end) return this.fail(PacketError.TRUNCATED, PacketDetail.NO_IP_HEADER);
    const nibble = u8at(this.l3) >> 4; // RFC 791 §3.1, RFC 8200 §3
    if (version == 0) {
      if (nibble != 4 && nibble != 6) return this.fail(PacketError.BAD_IP_VERSION, PacketDetail.IP_VERSION_IS_NEITHER_4_NOR_6);
      version = nibble;
    } else if (nibble != version) {
      return this.fail(PacketError.BAD_IP_VERSION, PacketDetail.IP_VERSION_DIFFERS_FROM_THE_LINK_LAYER);
    }
    if (version == 4) {
      if (!parseIpv4(this, this.l3, end)) return false;
    } else {
      if (!parseIpv6(this, this.l3, end)) return false;
    }
    return parseL4(this);
  }

  /** Records the first failure and returns false. */
  fail(error: PacketError, detail: PacketDetail): bool {
    if (this.error == PacketError.NONE) {
      this.error = error;
      this.detail = detail;
    }
    return false;
  }

  /** The traffic class byte (DSCP << 2 | ECN); -1 before a successful parse of the IP header. */
  trafficClass(): i32 {
    if (this.version == 4) return u8at(this.trafficClassOffset);
    if (this.version == 6) return (u16be(this.trafficClassOffset) >> 4) & 0xff;
    return -1;
  }

  /** The DSCP (RFC 2474 §3), or -1. */
  dscp(): i32 {
    const tc = this.trafficClass();
    return tc < 0 ? -1 : tc >> 2;
  }

  /** The ECN field (RFC 3168 §5), or -1. */
  ecn(): i32 {
    const tc = this.trafficClass();
    return tc < 0 ? -1 : tc & 3;
  }

  /** Next-header value of the i-th extension header walked (0 <= i < extensionCount), or -1. */
  extensionType(i: i32): i32 {
    if (<u32>i >= <u32>this.extensionCount) return -1;
    return unchecked(this.chainTypes[i]);
  }

  /** Start of the i-th extension header walked, or 0. */
  extensionStart(i: i32): usize {
    if (<u32>i >= <u32>this.extensionCount) return 0;
    return unchecked(this.chainStarts[i]);
  }

  /** Length in bytes of the i-th extension header walked, or 0. */
  extensionLen(i: i32): i32 {
    if (<u32>i >= <u32>this.extensionCount) return 0;
    return unchecked(this.chainLens[i]);
  }

  /**
   * Appends an extension header to the chain (the IPv6 walk's bookkeeping);
   * false when the chain is full, after which the caller fails.
   */
  addExtension(type: i32, start: usize, len: i32): bool {
    const n = this.extensionCount;
    if (n >= MAX_EXTENSIONS) return false;
    unchecked((this.chainTypes[n] = type));
    unchecked((this.chainStarts[n] = start));
    unchecked((this.chainLens[n] = len));
    this.extensionCount = n + 1;
    return true;
  }

  private reset(ptr: usize, len: i32, link: LinkType): void {
    this.error = PacketError.NONE;
    this.detail = PacketDetail.NONE;
    this.link = <i32>link;
    this.frame = ptr;
    this.frameLen = len;
    this.etherType = -1;
    this.vlanCount = 0;
    this.outerVlanId = -1;
    this.innerVlanId = -1;
    this.l3 = 0;
    this.l3Len = 0;
    this.version = 0;
    this.ipHeaderLen = 0;
    this.src = 0;
    this.dst = 0;
    this.addrLen = 0;
    this.hopLimit = 0;
    this.flowLabel = 0;
    this.trafficClassOffset = 0;
    this.fragmentId = 0;
    this.dontFragment = false;
    this.moreFragments = false;
    this.fragmentOffset = 0;
    this.isFragment = false;
    this.isFirstFragment = false;
    this.hopByHop = 0;
    this.hopByHopLen = 0;
    this.destOpts1 = 0;
    this.destOpts1Len = 0;
    this.routing = 0;
    this.routingLen = 0;
    this.fragment = 0;
    this.fragmentLen = 0;
    this.ah = 0;
    this.ahLen = 0;
    this.destOpts2 = 0;
    this.destOpts2Len = 0;
    this.extensionCount = 0;
    this.proto = -1;
    this.l4 = 0;
    this.l4Len = 0;
    this.srcPort = -1;
    this.dstPort = -1;
    this.tcpFlags = -1;
    this.payload = 0;
    this.payloadLen = 0;
  }
}

/**
 * What a PacketDetail (of a Packet or a StunMessage) says; "" for NONE or an
 * unknown one. The packet path keeps only the number: the texts are compiled
 * into a module only with this function (specs, a host that shows them).
 */
export function packetDetailText(d: PacketDetail): string {
  if (<u32>d >= <u32>PACKET_DETAIL_COUNT) return "";
  const at = PACKET_DETAIL_OFFSETS + (<usize>d << 1);
  const start = <usize>load<u16>(at);
  return String.UTF8.decodeUnsafe(PACKET_DETAIL_TEXT + start, <usize>load<u16>(at, 2) - start);
}
