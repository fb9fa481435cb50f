// Why a carrier insertion (ipv6-insert.ts, stun-insert.ts) left a packet as
// it was. The inserters return the new frame length (>= 0) on success and
// one of these (< 0) otherwise; in every case below not a byte of the packet
// has been written, so the caller forwards it untagged and counts the code.
// Numbers are stable; new ones are appended.

export const enum TagError {
  /**
   * The tagged datagram would be larger than the MTU the caller gave (or
   * than a 16-bit IP length can say). A middlebox must not fragment it
   * (IPv6: RFC 8200 §5, only the source fragments); sent untagged
   * (Code.TAG_TOO_LARGE).
   */
  TOO_BIG = -1,
  /** The caller's buffer (its `capacity`) cannot hold the grown frame. */
  NO_ROOM = -2,
  /**
   * Not a packet this carrier applies to: the Packet holds no successful
   * parse, an IPv4 packet for the IPv6 option, or for the STUN attribute a
   * packet that is not UDP or whose payload is not one STUN message.
   */
  NOT_APPLICABLE = -3,
  /**
   * A STUN message of another class than request (success or error
   * response, indication). Responses carry reflected tokens, which only the
   * peer writes; indications are not tagged.
   */
  NOT_STUN_REQUEST = -4,
  /**
   * A fragment: growing it would break reassembly (IPv4, and the
   * fragmentable part of IPv6, RFC 8200 §4.5). An IPv6 Hop-by-Hop option is
   * in the unfragmentable part and is inserted in fragments too.
   */
  FRAGMENT = -5,
  /**
   * An IPv6 Authentication Header (RFC 4302 §3.3.3) covers the payload
   * length and every option whose change bit is 0: any insertion breaks its
   * ICV.
   */
  AUTHENTICATED = -6,
  /**
   * The options header to extend is malformed, it would outgrow 2048 bytes
   * (Hdr Ext Len 255, RFC 8200 §4.3), or a new header would take the
   * extension chain past the parser's MAX_EXTENSIONS.
   */
  BAD_HEADER = -7,
  /** An option type of Pad1 or PadN, a value longer than the carrier holds, a negative length, an unknown header choice. */
  BAD_ARGUMENT = -8,
  /**
   * The UDP checksum cannot be recomputed: an IPv6 Routing header whose final
   * destination the core cannot read (see packet/checksum.ts).
   */
  NO_CHECKSUM = -9,
}
