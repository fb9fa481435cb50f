// Link-layer headers in front of the IP header, as captures hold them:
// Ethernet II (IEEE 802.3 with an ethertype) with up to MAX_VLAN_TAGS
// 802.1Q / 802.1ad tags, and Linux cooked captures v1 and v2 (libpcap's
// LINKTYPE_LINUX_SLL and LINKTYPE_LINUX_SLL2). Each function sets p.l3 (the
// start of the IP header) and p.etherType (0x0800 or 0x86dd), or fails.

import { Packet, PacketError, MAX_VLAN_TAGS } from "./packet";
import { PacketDetail } from "../packet-detail-text";
import { u16be } from "./wire";

export const enum EtherType {
  IPV4 = 0x0800,
  ARP = 0x0806,
  /** IEEE 802.1Q customer VLAN tag. */
  VLAN = 0x8100,
  IPV6 = 0x86dd,
  /** IEEE 802.1ad service VLAN tag (the outer tag of QinQ). */
  QINQ = 0x88a8,
}

/** Destination MAC, source MAC, ethertype. */
export const ETHERNET_HEADER_LEN: i32 = 14;
/** VLAN tag: tag control information (PCP, DEI, 12-bit VLAN id) and the next ethertype; its TPID is the ethertype before it. */
export const VLAN_TAG_LEN: i32 = 4;
/**
 * LINKTYPE_LINUX_SLL: packet type (2), ARPHRD type (2), link-layer address
 * length (2), link-layer address (8, zero-padded), protocol (2, at offset 14:
 * an ethertype for IP).
 */
export const SLL_HEADER_LEN: i32 = 16;
/**
 * LINKTYPE_LINUX_SLL2: protocol (2, at offset 0), reserved (2), interface
 * index (4), ARPHRD type (2), packet type (1), link-layer address length (1),
 * link-layer address (8).
 */
export const SLL2_HEADER_LEN: i32 = 20;

/** Ethernet II: the ethertype at offset 12, then any VLAN tags. */
export function parseEthernet(p: Packet, ptr: usize, end: usize): bool {
  if (<i32>(end - ptr) < ETHERNET_HEADER_LEN) return p.fail(PacketError.TRUNCATED, PacketDetail.ETHERNET_HEADER_TRUNCATED);
  return walkTags(p, ptr + <usize>ETHERNET_HEADER_LEN, end, u16be(ptr + 12));
}

/**
 * Linux cooked v1. libpcap re-inserts a VLAN tag the kernel stripped at the
 * protocol field (offset 14: protocol becomes 0x8100, then TCI and the
 * original protocol), so tags are walked here as after an Ethernet header.
 */
export function parseLinuxSll(p: Packet, ptr: usize, end: usize): bool {
  if (<i32>(end - ptr) < SLL_HEADER_LEN) return p.fail(PacketError.TRUNCATED, PacketDetail.SLL_HEADER_TRUNCATED);
  return walkTags(p, ptr + <usize>SLL_HEADER_LEN, end, u16be(ptr + 14));
}

/**
 * Linux cooked v2. libpcap inserts no VLAN tag here, but a tag the kernel
 * did not strip follows the header with protocol 0x8100: walked the same way.
 */
export function parseLinuxSll2(p: Packet, ptr: usize, end: usize): bool {
  if (<i32>(end - ptr) < SLL2_HEADER_LEN) return p.fail(PacketError.TRUNCATED, PacketDetail.SLL2_HEADER_TRUNCATED);
  return walkTags(p, ptr + <usize>SLL2_HEADER_LEN, end, u16be(ptr));
}

/**
 * Follows VLAN tags (IEEE 802.1Q 0x8100, 802.1ad 0x88a8) from `pos`, where
 * `type` is the ethertype just read, to the ethertype of the payload; at
 * most MAX_VLAN_TAGS of them. Only IPv4 and IPv6 payloads are accepted.
 */
function walkTags(p: Packet, pos: usize, end: usize, type: i32): bool {
  while (type == EtherType.VLAN || type == EtherType.QINQ) {
    if (p.vlanCount >= MAX_VLAN_TAGS) return p.fail(PacketError.TOO_MANY_VLAN_TAGS, PacketDetail.MORE_THAN_TWO_VLAN_TAGS);
    if (<i32>(end - pos) < VLAN_TAG_LEN) return p.fail(PacketError.TRUNCATED, PacketDetail.VLAN_TAG_TRUNCATED);
    const vid = u16be(pos) & 0x0fff;
    if (p.vlanCount == 0) p.outerVlanId = vid;
    else p.innerVlanId = vid;
    p.vlanCount++;
    type = u16be(pos + 2);
    pos += <usize>VLAN_TAG_LEN;
  }
  p.etherType = type;
  p.l3 = pos;
  if (type != EtherType.IPV4 && type != EtherType.IPV6) return p.fail(PacketError.NOT_IP, PacketDetail.ETHERTYPE_IS_NEITHER_IPV4_NOR_IPV6);
  return true;
}
