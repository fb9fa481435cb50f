// Internet checksums (RFC 1071) for the packet editors: the IPv4 header
// checksum (RFC 791 §3.1), and the UDP (RFC 768) and TCP (RFC 9293 §3.1)
// checksums over their pseudo-headers (IPv6: RFC 8200 §8.1).
//
// Sums are 32-bit accumulations of 16-bit big-endian words, folded with
// end-around carry when a checksum is taken (RFC 1071 §4.1). A fold of a
// non-zero sum is never 0x0000, so a full computation and an incremental
// update (RFC 1624 eqn. 3) of the same header give the same bytes.
//
// Choices, all for packets the core edits (assembly/tagging/):
// - UDP over IPv4 with checksum 0: the sender computed none (RFC 768), so it
//   stays 0. Over IPv6 the checksum is mandatory (RFC 8200 §8.1): always
//   computed, also where the sender wrote 0 (an RFC 6935 tunnel endpoint
//   accepts a valid checksum too).
// - A computed UDP checksum of 0 is sent as 0xffff (RFC 768, RFC 8200 §8.1);
//   TCP keeps 0 (RFC 9293 has no such rule).
// - Fragments get no L4 checksum: it covers the whole datagram.
// - IPv6 pseudo-header destination (RFC 8200 §8.1): the final destination.
//   Without a Routing header, or with one whose Segments Left is 0, that is
//   the Destination Address. Otherwise it is in the first Routing header:
//   type 0 (RFC 2460 §4.4) and type 2 (RFC 6275 §6.4): its last address;
//   type 4, the Segment Routing Header (RFC 8754 §2): Segment List[0], the
//   first entry, which holds the last segment. Other types (RPL's compressed
//   type 3, RFC 6554) have no address to read here: no checksum (-1).

import { IpProto, Packet } from "./packet";
import { putU16be, u16be, u8at } from "./wire";

const UDP_CHECKSUM_AT: usize = 6; // RFC 768
const TCP_CHECKSUM_AT: usize = 16; // RFC 9293 §3.1
const IPV4_CHECKSUM_AT: usize = 10; // RFC 791 §3.1

/** `sum` folded to 16 bits with end-around carry (RFC 1071 §4.1). */
export function foldSum(sum: u32): u32 {
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum & 0xffff) + (sum >>> 16);
}

/**
 * Adds the 16-bit big-endian words of [ptr, ptr + len) to `sum`; an odd last
 * byte is the high byte of a word whose low byte is zero (RFC 1071 §4.1).
 * `sum` is folded first, so chained calls cannot overflow for len < 128 KiB.
 */
export function sumWords(ptr: usize, len: i32, sum: u32): u32 {
  sum = foldSum(sum);
  const end = ptr + <usize>(len & ~1);
  let p = ptr;
  while (p < end) {
    sum += <u32>bswap<u16>(load<u16>(p));
    p += 2;
  }
  if ((len & 1) != 0) sum += <u32>load<u8>(p) << 8;
  return sum;
}

/** The Internet checksum of [ptr, ptr + len): the ones' complement of the folded sum. */
export function internetChecksum(ptr: usize, len: i32): i32 {
  return <i32>(~foldSum(sumWords(ptr, len, 0)) & 0xffff);
}

/**
 * RFC 1624 eqn. 3: the checksum `hc` after a 16-bit word it covers (at an
 * even offset) changed from `oldWord` to `newWord`: HC' = ~(~HC + ~m + m').
 * An error already in `hc` stays there (not so with a recomputation).
 */
export function checksumAdjust(hc: i32, oldWord: i32, newWord: i32): i32 {
  const sum = <u32>(~hc & 0xffff) + <u32>(~oldWord & 0xffff) + <u32>(newWord & 0xffff);
  return <i32>(~foldSum(sum) & 0xffff);
}

/** The IPv4 header checksum (RFC 791 §3.1) of the `headerLen` bytes at `l3`, the checksum field read as zero. */
export function ipv4HeaderChecksum(l3: usize, headerLen: i32): i32 {
  const sum = sumWords(l3 + IPV4_CHECKSUM_AT + 2, headerLen - <i32>IPV4_CHECKSUM_AT - 2, sumWords(l3, <i32>IPV4_CHECKSUM_AT, 0));
  return <i32>(~foldSum(sum) & 0xffff);
}

/** Recomputes the header checksum of the IPv4 header of `headerLen` bytes at `l3`. */
export function setIpv4HeaderChecksum(l3: usize, headerLen: i32): void {
  putU16be(l3 + IPV4_CHECKSUM_AT, ipv4HeaderChecksum(l3, headerLen));
}

/**
 * The address the pseudo-header names as destination (see the choices
 * above): a view of `p.addrLen` bytes, or 0 when it cannot be known.
 */
export function finalDestination(p: Packet): usize {
  const rh = p.routing;
  if (p.version != 6 || rh == 0) return p.dst;
  if (u8at(rh + 3) == 0) return p.dst; // Segments Left 0: the packet is at its final destination
  const type = u8at(rh + 2);
  const units = u8at(rh + 1); // 8-octet units after the first 8; addresses start at 8
  if (units < 2) return 0;
  if (type == 0 || type == 2) return rh + 8 + <usize>(((units >> 1) - 1) << 4);
  if (type == 4) return rh + 8;
  return 0;
}

/**
 * The sum of the pseudo-header words: source, destination, protocol and the
 * upper-layer length (RFC 768 for UDP over IPv4, RFC 9293 §3.1 for TCP,
 * RFC 8200 §8.1 for IPv6, where the length field is 32 bits and the
 * protocol is the upper layer's Next Header value). `addrLen` is 4 or 16.
 */
export function pseudoHeaderSum(src: usize, dst: usize, addrLen: i32, proto: i32, upperLen: i32): u32 {
  const sum = sumWords(dst, addrLen, sumWords(src, addrLen, 0));
  return sum + <u32>proto + (<u32>upperLen >>> 16) + (<u32>upperLen & 0xffff);
}

/**
 * Where the checksum field of a parsed packet's UDP or TCP header is, or 0
 * when the core cannot compute one: neither UDP nor TCP, a fragment, or the
 * pseudo-header destination unknown.
 */
function checksumField(p: Packet): usize {
  if (p.isFragment || p.srcPort < 0 || finalDestination(p) == 0) return 0;
  if (p.proto == IpProto.UDP) return p.l4 + UDP_CHECKSUM_AT;
  if (p.proto == IpProto.TCP) return p.l4 + TCP_CHECKSUM_AT;
  return 0;
}

/**
 * The bytes the L4 checksum covers, which is also the pseudo-header's
 * upper-layer length: UDP, its length field (RFC 8200 §8.1: a protocol's
 * own length is the one used; the parser checked it fits the datagram);
 * TCP, the IP payload (RFC 9293 §3.1).
 */
function coveredLength(p: Packet): i32 {
  return p.proto == IpProto.UDP ? u16be(p.l4 + 4) : p.l4Len;
}

/** The L4 sum of a packet checksumField accepted: pseudo-header and segment, the field read as zero. */
function l4Sum(p: Packet, field: usize): u32 {
  const covered = coveredLength(p);
  const before = <i32>(field - p.l4);
  let sum = pseudoHeaderSum(p.src, finalDestination(p), p.addrLen, p.proto, covered);
  sum = sumWords(p.l4, before, sum);
  return sumWords(field + 2, covered - before - 2, sum);
}

/** The value for the checksum field at `field` (a computed UDP 0 sent as 0xffff, RFC 768). */
function checksumAt(p: Packet, field: usize): i32 {
  const c = <i32>(~foldSum(l4Sum(p, field)) & 0xffff);
  return c == 0 && p.proto == IpProto.UDP ? 0xffff : c;
}

/**
 * The UDP or TCP checksum a parsed packet should carry (with a computed UDP
 * 0 as 0xffff), whatever it carries now; -1 when there is none to compute
 * (see checksumField).
 */
export function l4Checksum(p: Packet): i32 {
  const field = checksumField(p);
  return field == 0 ? -1 : checksumAt(p, field);
}

/**
 * Recomputes the UDP or TCP checksum of a parsed packet in place. UDP over
 * IPv4 whose checksum is 0 (none, RFC 768) is left so. False, with nothing
 * written, when there is no checksum to compute.
 */
export function setL4Checksum(p: Packet): bool {
  const field = checksumField(p);
  if (field == 0) return false;
  if (p.proto == IpProto.UDP && p.version == 4 && u16be(field) == 0) return true;
  putU16be(field, checksumAt(p, field));
  return true;
}

/**
 * Does the UDP or TCP checksum of a parsed packet verify? UDP over IPv4
 * with checksum 0 does (none was sent); UDP over IPv6 with 0 does not
 * (RFC 8200 §8.1). False when there is no checksum to compute.
 */
export function l4ChecksumValid(p: Packet): bool {
  const field = checksumField(p);
  if (field == 0) return false;
  const stored = u16be(field);
  if (p.proto == IpProto.UDP && stored == 0) return p.version == 4;
  return foldSum(l4Sum(p, field) + <u32>stored) == 0xffff;
}
