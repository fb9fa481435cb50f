// The IPv4 header (RFC 791 §3.1): version, IHL, total length, fragmentation,
// addresses. Options are skipped whole (the IHL bounds them; none of them
// matters to a gateway's flow decision). Only the fragment at offset 0
// carries the L4 header, so only it gets one parsed (l4.ts).

import { Packet, PacketError } from "./packet";
import { PacketDetail } from "../packet-detail-text";
import { u16be, u8at } from "./wire";

/** The fixed part of the header (IHL 5). */
export const IPV4_MIN_HEADER_LEN: i32 = 20;

const FLAG_DONT_FRAGMENT: i32 = 0x4000;
const FLAG_MORE_FRAGMENTS: i32 = 0x2000;
const FRAGMENT_OFFSET_MASK: i32 = 0x1fff;

/** Parses the IPv4 header at `pos` (the version nibble is already 4) with the bytes up to `end`. */
export function parseIpv4(p: Packet, pos: usize, end: usize): bool {
  const present = <i32>(end - pos);
  if (present < IPV4_MIN_HEADER_LEN) return p.fail(PacketError.TRUNCATED, PacketDetail.IPV4_HEADER_TRUNCATED);
  const headerLen = (u8at(pos) & 15) << 2; // IHL counts 32-bit words
  if (headerLen < IPV4_MIN_HEADER_LEN) return p.fail(PacketError.BAD_IPV4_HEADER, PacketDetail.IPV4_IHL_BELOW_5);
  const totalLen = u16be(pos + 2);
  if (totalLen < headerLen) return p.fail(PacketError.BAD_IPV4_HEADER, PacketDetail.IPV4_TOTAL_LENGTH_BELOW_THE_HEADER_LENGTH);
  // Bytes after totalLen (Ethernet pads frames to 60 bytes) are not part of the datagram.
  if (totalLen > present) return p.fail(PacketError.TRUNCATED, PacketDetail.IPV4_TOTAL_LENGTH_BEYOND_THE_BYTES_PRESENT);

  p.version = 4;
  p.l3 = pos;
  p.l3Len = totalLen;
  p.ipHeaderLen = headerLen;
  p.trafficClassOffset = pos + 1; // the TOS byte, now DS field + ECN (RFC 2474 §3, RFC 3168 §5)
  p.fragmentId = <u32>u16be(pos + 4);
  const flags = u16be(pos + 6);
  p.dontFragment = (flags & FLAG_DONT_FRAGMENT) != 0;
  p.moreFragments = (flags & FLAG_MORE_FRAGMENTS) != 0;
  p.fragmentOffset = (flags & FRAGMENT_OFFSET_MASK) << 3; // in 8-octet units
  p.isFragment = p.moreFragments || p.fragmentOffset != 0;
  p.isFirstFragment = p.isFragment && p.fragmentOffset == 0;
  p.hopLimit = u8at(pos + 8);
  p.proto = u8at(pos + 9);
  p.src = pos + 12;
  p.dst = pos + 16;
  p.addrLen = 4;
  p.l4 = pos + <usize>headerLen;
  p.l4Len = totalLen - headerLen;
  return true;
}
