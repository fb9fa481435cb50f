// The transport header after the IP header(s): UDP (RFC 768) and TCP
// (RFC 9293 §3.1), for whole datagrams and first fragments only (a later
// fragment carries no L4 header). Checksums are not verified: gateways do
// not, and a bad one is no reason to drop here.
//
// Lengths are checked against the IP payload (Packet.l4Len, which the IP
// header bounds): a UDP or TCP header inconsistent with it is
// BAD_L4_HEADER, never a read past it.

import { IpProto, Packet, PacketError } from "./packet";
import { PacketDetail } from "../packet-detail-text";
import { u16be, u8at } from "./wire";

export const UDP_HEADER_LEN: i32 = 8;
export const TCP_MIN_HEADER_LEN: i32 = 20;

/** Parses the L4 header at p.l4 if the protocol is UDP or TCP and this is a first fragment or a whole datagram. */
export function parseL4(p: Packet): bool {
  if (p.isFragment && !p.isFirstFragment) return true; // no L4 header in this fragment
  if (p.proto == IpProto.UDP) return parseUdp(p);
  if (p.proto == IpProto.TCP) return parseTcp(p);
  return true;
}

/**
 * UDP: the length field covers header and data. Larger than the IP payload
 * is an error, except in a first fragment (the datagram goes on in later
 * fragments); smaller leaves trailing bytes that are not payload.
 */
function parseUdp(p: Packet): bool {
  const l4 = p.l4;
  const present = p.l4Len;
  if (present < UDP_HEADER_LEN) return p.fail(PacketError.BAD_L4_HEADER, PacketDetail.UDP_HEADER_TRUNCATED);
  const udpLen = u16be(l4 + 4);
  if (udpLen < UDP_HEADER_LEN) return p.fail(PacketError.BAD_L4_HEADER, PacketDetail.UDP_LENGTH_BELOW_8);
  if (udpLen > present && !p.isFirstFragment) return p.fail(PacketError.BAD_L4_HEADER, PacketDetail.UDP_LENGTH_BEYOND_THE_IP_PAYLOAD);
  p.srcPort = u16be(l4);
  p.dstPort = u16be(l4 + 2);
  p.payload = l4 + <usize>UDP_HEADER_LEN;
  p.payloadLen = (udpLen < present ? udpLen : present) - UDP_HEADER_LEN;
  return true;
}

/**
 * TCP: the data offset counts 32-bit words of header (options included);
 * below 5 or beyond the IP payload is an error. A first fragment must hold
 * the whole header too (RFC 1858 §3: tiny fragments hide the flags).
 */
function parseTcp(p: Packet): bool {
  const l4 = p.l4;
  const present = p.l4Len;
  if (present < TCP_MIN_HEADER_LEN) return p.fail(PacketError.BAD_L4_HEADER, PacketDetail.TCP_HEADER_TRUNCATED);
  const headerLen = (u8at(l4 + 12) >> 4) << 2;
  if (headerLen < TCP_MIN_HEADER_LEN) return p.fail(PacketError.BAD_L4_HEADER, PacketDetail.TCP_DATA_OFFSET_BELOW_5);
  if (headerLen > present) return p.fail(PacketError.BAD_L4_HEADER, PacketDetail.TCP_DATA_OFFSET_BEYOND_THE_IP_PAYLOAD);
  p.srcPort = u16be(l4);
  p.dstPort = u16be(l4 + 2);
  p.tcpFlags = u8at(l4 + 13);
  p.payload = l4 + <usize>headerLen;
  p.payloadLen = present - headerLen;
  return true;
}
