// Tagging with the IPv6 carrier: a network token inserted as an option
// (RFC 8200 §4.2) into the Hop-by-Hop Options header (§4.3) or into the
// Destination Options header that precedes the upper-layer header (§4.6),
// in place, in the caller's buffer. The reader is
// assembly/carrier/ipv6-option.ts.
//
// - The header exists: the option goes after its last option that is not
//   padding; the trailing Pad1/PadN it replaces is re-made to end the header
//   on a multiple of 8 with at most 7 bytes of padding (Linux drops a
//   header with more padding in a row; RFC 4942 §2.1.9.5). Padding between
//   options (alignment of the options before) is kept as it is. The header
//   shrinks when it had more trailing padding than it needs.
// - The header does not exist: it is created where §4.1 orders it, Hop-by-Hop
//   directly after the IPv6 header, Destination Options after every other
//   extension header, directly before the upper-layer header; the Next
//   Header field that named what follows now names the new header, which
//   names what follows.
// - The option has no alignment requirement (the draft states none), so it
//   is packed.
// - The IPv6 Payload Length grows by the bytes added. UDP, TCP and ICMPv6
//   checksums do not change: their pseudo-header holds the upper-layer
//   length, which excludes extension headers, and the source and final
//   destination addresses, which stay as they are (RFC 8200 §8.1).
// - Ethernet, SLL and SLL2 frames work too: only the IP datagram grows;
//   link-layer bytes after it (Ethernet padding) are dropped.
// - On success the Packet still describes the packet as it was: the views
//   from the changed header on and the lengths are stale. A caller that
//   goes on using it parses again (p.parse(p.frame, newLength, p.link));
//   doing that here would cost a second call site of the parser, about
//   0.6 KB of module, for callers that mostly do not need it.

import { IpProto, MAX_EXTENSIONS, Packet, PacketError } from "../packet/packet";
import { IPV6_HEADER_LEN } from "../packet/ipv6";
import { putU16be, putU8, u8at } from "../packet/wire";
import { OPTION_PAD1, OPTION_PADN, OPTIONS_HEADER_FIXED_LEN, OPTIONS_HEADER_UNIT } from "../carrier/ipv6-option";
import { TagError } from "./tag-error";

/** §4.2: Opt Data Len is one byte. */
export const MAX_OPTION_DATA_LEN: i32 = 255;
/** §4.3, §4.6: Hdr Ext Len 255 is (255 + 1) * 8 bytes. */
export const MAX_OPTIONS_HEADER_LEN: i32 = 2048;
/** §3: the Payload Length field is 16 bits (jumbograms are not parsed). */
const MAX_PAYLOAD_LEN: i32 = 0xffff;

/**
 * The offset after the last option of the whole options header at `h` that
 * is not Pad1 or PadN (2 when it has none), or -1 when an option runs past
 * the header. The header's length already matched its Hdr Ext Len (the
 * parser checked), so the walk is bounded by `len` <= 2048.
 */
function lastOptionEnd(h: usize, len: i32): i32 {
  let end = OPTIONS_HEADER_FIXED_LEN;
  let pos = OPTIONS_HEADER_FIXED_LEN;
  while (pos < len) {
    const type = <u8>u8at(h + <usize>pos);
    if (type == OPTION_PAD1) {
      pos++;
      continue;
    }
    if (len - pos < 2) return -1;
    const next = pos + 2 + u8at(h + <usize>pos + 1);
    if (next > len) return -1;
    if (type != OPTION_PADN) end = next;
    pos = next;
  }
  return end;
}

/**
 * Inserts option `optionType` with the `dataLen` bytes at `data` (the
 * network-token header + token; they must not lie inside the packet) into
 * the packet `p` describes, in the header `header` names:
 * IpProto.HOP_BY_HOP (0) or IpProto.DEST_OPTS (60).
 *
 * `p` holds a successful parse of the frame at p.frame, which lies in a
 * buffer of `capacity` bytes; the IP datagram may grow to `mtu` bytes.
 * Returns the new frame length (`p` is then stale, see above), or a
 * negative TagError with the packet untouched.
 */
export function insertIpv6Option(
  p: Packet,
  capacity: i32,
  mtu: i32,
  header: i32,
  optionType: u8,
  data: usize,
  dataLen: i32,
): i32 {
  if (p.error != PacketError.NONE || p.version != 6) return TagError.NOT_APPLICABLE;
  if (optionType == OPTION_PAD1 || optionType == OPTION_PADN) return TagError.BAD_ARGUMENT;
  if (<u32>dataLen > <u32>MAX_OPTION_DATA_LEN) return TagError.BAD_ARGUMENT;
  if (header != IpProto.HOP_BY_HOP && header != IpProto.DEST_OPTS) return TagError.BAD_ARGUMENT;
  if (p.ah != 0) return TagError.AUTHENTICATED;

  // The header that gets the option: at `at`, `oldLen` bytes now (0: to be
  // created, with `link` the Next Header field that must name it).
  let at: usize;
  let oldLen = 0;
  let link: usize = 0;
  const n = p.extensionCount;
  if (header == IpProto.HOP_BY_HOP) {
    at = p.l3 + <usize>IPV6_HEADER_LEN;
    if (p.hopByHop != 0) oldLen = p.hopByHopLen;
    else link = p.l3 + 6;
  } else {
    // Without fragmentation the walk ran to the upper layer, so p.l4 follows the last header.
    if (p.isFragment) return TagError.FRAGMENT;
    at = p.l4;
    if (n > 0 && p.extensionType(n - 1) == IpProto.DEST_OPTS) {
      at = p.extensionStart(n - 1);
      oldLen = p.extensionLen(n - 1);
    } else {
      link = n > 0 ? p.extensionStart(n - 1) : p.l3 + 6;
    }
  }
  let keep = OPTIONS_HEADER_FIXED_LEN;
  if (oldLen != 0) {
    keep = lastOptionEnd(at, oldLen);
    if (keep < 0) return TagError.BAD_HEADER;
  } else if (n >= MAX_EXTENSIONS) {
    return TagError.BAD_HEADER;
  }
  const optionEnd = keep + 2 + dataLen;
  const newLen = (optionEnd + OPTIONS_HEADER_UNIT - 1) & ~(OPTIONS_HEADER_UNIT - 1);
  if (newLen > MAX_OPTIONS_HEADER_LEN) return TagError.BAD_HEADER;

  const delta = newLen - oldLen;
  const newL3Len = p.l3Len + delta;
  if (newL3Len > mtu || newL3Len - IPV6_HEADER_LEN > MAX_PAYLOAD_LEN) return TagError.TOO_BIG;
  const l3Offset = <i32>(p.l3 - p.frame);
  const newFrameLen = l3Offset + newL3Len;
  if (newFrameLen > capacity) return TagError.NO_ROOM;

  // Move what follows the header (delta may be negative: memory.copy is a memmove).
  const tail = at + <usize>oldLen;
  const l3End = p.l3 + <usize>p.l3Len;
  memory.copy(tail + <usize>delta, tail, l3End - tail);
  if (oldLen == 0) {
    putU8(at, u8at(link));
    putU8(link, header);
  }
  putU8(at + 1, (newLen >> 3) - 1);
  const opt = at + <usize>keep;
  putU8(opt, optionType);
  putU8(opt + 1, dataLen);
  memory.copy(opt + 2, data, <usize>dataLen);
  const pad = newLen - optionEnd; // 0..7, §4.2
  const padAt = at + <usize>optionEnd;
  if (pad == 1) {
    putU8(padAt, OPTION_PAD1);
  } else if (pad > 1) {
    putU8(padAt, OPTION_PADN);
    putU8(padAt + 1, pad - 2);
    memory.fill(padAt + 2, 0, <usize>(pad - 2));
  }
  putU16be(p.l3 + 4, newL3Len - IPV6_HEADER_LEN);
  return newFrameLen;
}
