// Packets for the packet-path benchmark, built byte by byte: raw IP
// (LINKTYPE_RAW, what NFQUEUE delivers) carrying UDP, either media (an
// RTP-sized payload) or a STUN Binding Request with a network token in the
// draft's attribute. Addresses are numbered so that every flow of the
// benchmark has its own 5-tuple and every user its own address.

/** A user's address: 10.0.0.0/8 over IPv4, 2001:db8:1::/64 over IPv6. */
export function userAddress(user: number, v6: boolean): Uint8Array {
  return v6 ? ipv6Address(0x20010db8, 0x0001, user + 1) : ipv4Address(10, user + 1);
}

/** A server's address, in the benchmarking ranges: 198.18.0.0/15 (RFC 2544), 2001:2::/48 (RFC 5180). */
export function serverAddress(server: number, v6: boolean): Uint8Array {
  return v6 ? ipv6Address(0x20010002, 0, server + 1) : ipv4Address(198, (18 << 16) + server + 1);
}

function ipv4Address(first: number, rest: number): Uint8Array {
  return Uint8Array.of(first, (rest >> 16) & 0xff, (rest >> 8) & 0xff, rest & 0xff);
}

function ipv6Address(prefix32: number, subnet: number, host: number): Uint8Array {
  const a = new Uint8Array(16);
  const v = new DataView(a.buffer);
  v.setUint32(0, prefix32);
  v.setUint16(4, subnet);
  v.setUint32(12, host);
  return a;
}

/** The text form the issuer's `bip` claim takes. */
export function addressText(a: Uint8Array): string {
  if (a.length === 4) return a.join('.');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((a[i] << 8) | a[i + 1]).toString(16));
  return words.join(':');
}

/** RFC 768. The checksum stays 0 ("none" over IPv4): the gateway never checks it. */
export function udp(srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(8 + payload.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, srcPort);
  v.setUint16(2, dstPort);
  v.setUint16(4, b.length);
  b.set(payload, 8);
  return b;
}

/** An IP packet of either version around `l4` (protocol 17), with DSCP `dscp` and ECN 0. */
export function ip(src: Uint8Array, dst: Uint8Array, l4: Uint8Array, dscp: number): Uint8Array {
  return src.length === 4 ? ipv4(src, dst, l4, dscp) : ipv6(src, dst, l4, dscp);
}

/** RFC 791 §3.1: a 20-byte header with its checksum. */
function ipv4(src: Uint8Array, dst: Uint8Array, l4: Uint8Array, dscp: number): Uint8Array {
  const b = new Uint8Array(20 + l4.length);
  const v = new DataView(b.buffer);
  b[0] = 0x45;
  b[1] = dscp << 2;
  v.setUint16(2, b.length);
  b[8] = 64;
  b[9] = 17;
  b.set(src, 12);
  b.set(dst, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += v.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(10, ~sum & 0xffff);
  b.set(l4, 20);
  return b;
}

/** RFC 8200 §3: a 40-byte header, no extension headers. */
function ipv6(src: Uint8Array, dst: Uint8Array, l4: Uint8Array, dscp: number): Uint8Array {
  const b = new Uint8Array(40 + l4.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, ((6 << 28) | ((dscp << 2) << 20)) >>> 0);
  v.setUint16(4, l4.length);
  b[6] = 17;
  b[7] = 64;
  b.set(src, 8);
  b.set(dst, 24);
  b.set(l4, 40);
  return b;
}

/** The draft's STUN attribute for a network token (docs/config.md, carriers). */
export const STUN_TOKEN_ATTRIBUTE = 0x8030;

/**
 * RFC 8489 §5: a Binding Request with a SOFTWARE attribute and the token
 * attribute (§14: values padded to 4 bytes), as a WebRTC endpoint's
 * connectivity check would carry it.
 */
const SOFTWARE = new TextEncoder().encode('ntok-bench');

export function stunRequest(token: Uint8Array, transaction: number): Uint8Array {
  const software = SOFTWARE;
  const pad = (n: number) => (4 - (n % 4)) % 4;
  const length = 4 + software.length + pad(software.length) + 4 + token.length + pad(token.length);
  const b = new Uint8Array(20 + length);
  const v = new DataView(b.buffer);
  v.setUint16(0, 0x0001);
  v.setUint16(2, length);
  v.setUint32(4, 0x2112a442);
  v.setUint32(16, transaction >>> 0);
  let o = 20;
  for (const [type, value] of [[0x8022, software], [STUN_TOKEN_ATTRIBUTE, token]] as const) {
    v.setUint16(o, type);
    v.setUint16(o + 2, value.length);
    b.set(value, o + 4);
    o += 4 + value.length + pad(value.length);
  }
  return b;
}

/** 12-byte RTP header + 160 bytes of G.711 (20 ms): a voice packet's UDP payload. */
export const MEDIA_PAYLOAD = new Uint8Array(172).fill(0x55);
