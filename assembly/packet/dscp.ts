// DSCP rewrite in place (RFC 2474 §3): the upper six bits of the IPv4 TOS
// byte / IPv6 Traffic Class. The two ECN bits below them (RFC 3168 §5) are
// the path's congestion signal, not ours: they are kept (a rewrite of the
// whole byte would clear a CE mark or an ECT codepoint and break ECN for the
// flow; RFC 3168 §6.1.1).
//
// IPv4: the TOS byte is the low half of the header's first 16-bit word; the
// header checksum is updated for that word incrementally (RFC 1624 eqn. 3),
// which keeps a checksum that was wrong wrong, and costs no pass over the
// header. IPv6 has no header checksum (RFC 8200 §3).
//
// No L4 checksum changes: the pseudo-headers of UDP and TCP hold addresses,
// protocol and length, not the TOS / Traffic Class (RFC 768, RFC 9293 §3.1,
// RFC 8200 §8.1).

import { Packet } from "./packet";
import { checksumAdjust } from "./checksum";
import { putU16be, u16be } from "./wire";

/** The largest DSCP: six bits. */
export const DSCP_MAX: i32 = 63;

/**
 * Sets the DSCP of a packet whose IP header has been parsed (version 4 or
 * 6), keeping ECN. False, with nothing written, for a DSCP outside 0..63 or
 * a packet without a parsed IP header.
 */
export function setDscp(p: Packet, dscp: i32): bool {
  if (<u32>dscp > <u32>DSCP_MAX) return false;
  if (p.version == 4) {
    setIpv4Dscp(p.l3, dscp);
    return true;
  }
  if (p.version == 6) {
    setIpv6Dscp(p.l3, dscp);
    return true;
  }
  return false;
}

/**
 * Sets the DSCP (0..63) of the IPv4 header at `l3` (RFC 791 §3.1: version
 * and IHL, then TOS = DSCP << 2 | ECN) and updates its header checksum.
 */
export function setIpv4Dscp(l3: usize, dscp: i32): void {
  const old = u16be(l3);
  const word = (old & 0xff03) | ((dscp & DSCP_MAX) << 2);
  if (word == old) return;
  putU16be(l3, word);
  putU16be(l3 + 10, checksumAdjust(u16be(l3 + 10), old, word));
}

/**
 * Sets the DSCP (0..63) of the IPv6 header at `l3`. RFC 8200 §3: version
 * (4 bits), Traffic Class (8), Flow Label (20); the DSCP is bits 11..6 of
 * the first 16-bit word, spanning its two bytes, ECN bits 5..4.
 */
export function setIpv6Dscp(l3: usize, dscp: i32): void {
  putU16be(l3, (u16be(l3) & 0xf03f) | ((dscp & DSCP_MAX) << 6));
}
