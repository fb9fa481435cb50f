// The IPv6 header (RFC 8200 §3) and its extension header chain (§4): a
// bounded walk over Hop-by-Hop Options, Routing, Fragment, Destination
// Options and the Authentication Header, to the upper-layer header.
//
// Rules (RFC 8200 §4.1 unless noted):
// - Hop-by-Hop Options only directly after the IPv6 header; elsewhere the
//   packet is rejected (a router would send an ICMP Parameter Problem).
// - Other headers may repeat (receivers must accept any order and count); all
//   are in the chain (Packet.extensionType/Start/Len), the named views pick
//   one each (see Packet). A second Fragment header is rejected: without
//   reassembly it has no meaning.
// - At most MAX_EXTENSIONS headers; each header's length is checked against
//   the payload length before the header is read.
// - Fragment header with a non-zero offset (§4.5): what follows it is a piece
//   of the fragmentable part, not headers; the walk stops there. A first
//   fragment carries the whole chain and the upper-layer header (RFC 7112
//   §5), so its walk goes on.
// - ESP (50), No Next Header (59) and every other value end the walk: the
//   upper layer. Mobility (135), HIP (139), Shim6 (140) and the experimental
//   253/254 are extension headers in IANA's registry but end the walk too
//   (their payload is no transport a gateway classifies), with `proto` set
//   to them.
// - Jumbograms (payload length 0 and a Jumbo Payload option, RFC 2675) exist
//   only on links with MTUs above 64 KiB; they are rejected (JUMBOGRAM).

import { IpProto, MAX_EXTENSIONS, Packet, PacketError } from "./packet";
import { PacketDetail } from "../packet-detail-text";
import { u16be, u32be, u8at } from "./wire";

export const IPV6_HEADER_LEN: i32 = 40;
/** The Fragment header is always 8 bytes (RFC 8200 §4.5). */
export const FRAGMENT_HEADER_LEN: i32 = 8;
/** The AH without an ICV (RFC 4302 §2): next header, length, reserved, SPI, sequence number. */
const AH_MIN_LEN: i32 = 12;

/** Next header values the walk follows. */
export function isWalkedExtension(next: i32): bool {
  return (
    next == IpProto.HOP_BY_HOP ||
    next == IpProto.ROUTING ||
    next == IpProto.FRAGMENT ||
    next == IpProto.DEST_OPTS ||
    next == IpProto.AH
  );
}

/** Parses the IPv6 header at `pos` (the version nibble is already 6) and its extension headers, with the bytes up to `end`. */
export function parseIpv6(p: Packet, pos: usize, end: usize): bool {
  const present = <i32>(end - pos);
  if (present < IPV6_HEADER_LEN) return p.fail(PacketError.TRUNCATED, PacketDetail.IPV6_HEADER_TRUNCATED);
  const payloadLen = u16be(pos + 4);
  let next = u8at(pos + 6);
  if (payloadLen == 0 && next == IpProto.HOP_BY_HOP) {
    return p.fail(PacketError.JUMBOGRAM, PacketDetail.IPV6_JUMBOGRAM);
  }
  const totalLen = IPV6_HEADER_LEN + payloadLen;
  // Bytes after the payload (Ethernet padding) are not part of the datagram.
  if (totalLen > present) return p.fail(PacketError.TRUNCATED, PacketDetail.IPV6_PAYLOAD_LENGTH_BEYOND_THE_BYTES_PRESENT);

  p.version = 6;
  p.l3 = pos;
  p.l3Len = totalLen;
  p.ipHeaderLen = IPV6_HEADER_LEN;
  p.trafficClassOffset = pos; // traffic class in bits 4..11 of the bytes at pos, pos + 1
  p.flowLabel = <i32>(u32be(pos) & 0xfffff);
  p.hopLimit = u8at(pos + 7);
  p.src = pos + 8;
  p.dst = pos + 24;
  p.addrLen = 16;

  const datagramEnd = pos + <usize>totalLen;
  let cur = pos + <usize>IPV6_HEADER_LEN;
  while (isWalkedExtension(next)) {
    if (p.extensionCount >= MAX_EXTENSIONS) return p.fail(PacketError.TOO_MANY_EXTENSIONS, PacketDetail.MORE_THAN_8_IPV6_EXTENSION_HEADERS);
    const room = <i32>(datagramEnd - cur);
    if (room < 2) return p.fail(PacketError.BAD_IPV6_EXTENSIONS, PacketDetail.IPV6_EXTENSION_HEADER_BEYOND_THE_PAYLOAD);
    let len: i32;
    if (next == IpProto.FRAGMENT) len = FRAGMENT_HEADER_LEN;
    else if (next == IpProto.AH) len = (u8at(cur + 1) + 2) << 2; // RFC 4302 §2.2: 32-bit words, minus 2
    else len = (u8at(cur + 1) + 1) << 3; // §4.3, §4.4, §4.6: 8-octet units, not counting the first 8
    if (len > room) return p.fail(PacketError.BAD_IPV6_EXTENSIONS, PacketDetail.IPV6_EXTENSION_HEADER_LONGER_THAN_THE_PAYLOAD);

    let stop = false;
    if (next == IpProto.HOP_BY_HOP) {
      if (p.extensionCount != 0) {
        return p.fail(PacketError.BAD_IPV6_EXTENSIONS, PacketDetail.HOP_BY_HOP_NOT_DIRECTLY_AFTER_THE_IPV6_HEADER);
      }
      p.hopByHop = cur;
      p.hopByHopLen = len;
    } else if (next == IpProto.ROUTING) {
      if (p.routing == 0) {
        p.routing = cur;
        p.routingLen = len;
      }
    } else if (next == IpProto.FRAGMENT) {
      if (p.fragment != 0) return p.fail(PacketError.BAD_IPV6_EXTENSIONS, PacketDetail.MORE_THAN_ONE_IPV6_FRAGMENT_HEADER);
      p.fragment = cur;
      p.fragmentLen = len;
      const field = u16be(cur + 2); // 13-bit offset in 8-octet units, 2 reserved bits, M
      p.fragmentOffset = field & 0xfff8; // (field >> 3) * 8
      p.moreFragments = (field & 1) != 0;
      p.fragmentId = u32be(cur + 4);
      p.isFragment = p.moreFragments || p.fragmentOffset != 0;
      p.isFirstFragment = p.isFragment && p.fragmentOffset == 0;
      stop = p.fragmentOffset != 0;
    } else if (next == IpProto.AH) {
      // RFC 4302 §2.6: in IPv6 the ICV is padded so that the AH is a multiple of 8 octets long.
      if (len < AH_MIN_LEN || (len & 7) != 0) return p.fail(PacketError.BAD_IPV6_EXTENSIONS, PacketDetail.IPV6_AUTHENTICATION_HEADER_LENGTH_INVALID);
      if (p.ah == 0) {
        p.ah = cur;
        p.ahLen = len;
      }
    }
    // Destination Options are assigned to destOpts1/destOpts2 after the walk:
    // which one a header is depends on whether a Routing header follows it.
    p.addExtension(next, cur, len);
    next = u8at(cur);
    cur += <usize>len;
    if (stop) break;
  }
  assignDestinationOptions(p);

  p.proto = next;
  p.l4 = cur;
  p.l4Len = <i32>(datagramEnd - cur);
  return true;
}

/**
 * destOpts1: the first Destination Options header that precedes a Routing
 * header (options for the first destination and those the Routing header
 * lists, RFC 8200 §4.1 note 1). destOpts2: the last one after every Routing
 * header, or the last one if there is no Routing header (options for the
 * final destination only).
 */
function assignDestinationOptions(p: Packet): void {
  const n = p.extensionCount;
  let lastRouting = -1;
  for (let i = 0; i < n; i++) if (p.extensionType(i) == IpProto.ROUTING) lastRouting = i;
  for (let i = 0; i < n; i++) {
    if (p.extensionType(i) != IpProto.DEST_OPTS) continue;
    if (i < lastRouting) {
      if (p.destOpts1 == 0) {
        p.destOpts1 = p.extensionStart(i);
        p.destOpts1Len = p.extensionLen(i);
      }
    } else {
      p.destOpts2 = p.extensionStart(i);
      p.destOpts2Len = p.extensionLen(i);
    }
  }
}
