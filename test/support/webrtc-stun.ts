// A STUN Binding Request as a WebRTC endpoint sends it for an ICE
// connectivity check, with a network token, the way the reference
// deployment's WebRTC client sent it (Network-Tokens/webrtc, a patched
// libwebrtc): StunRequest::Construct adds the token attribute (0x8030)
// before ConnectionRequest::Prepare adds the ICE attributes
// (p2p/base/stun_request.cc, p2p/base/connection.cc), so the token comes
// first and MESSAGE-INTEGRITY covers it:
//
//   NETWORK-TOKEN  0x8030  4-byte header + the token
//   USERNAME       0x0006  "<remote ufrag>:<local ufrag>" (RFC 8445 §7.2.2)
//   GOOG-NETWORK-INFO 0xC057  network id << 16 | network cost
//   ICE-CONTROLLED 0x8029 / ICE-CONTROLLING 0x802A (+ USE-CANDIDATE 0x0025)  tie-breaker
//   PRIORITY       0x0024  peer-reflexive priority (RFC 8445 §7.1.1)
//   MESSAGE-INTEGRITY 0x0008  HMAC-SHA1 keyed with the remote ICE password (RFC 8489 §14.5)
//   FINGERPRINT    0x8028  CRC-32 xor 0x5354554e (RFC 8489 §14.7)
//
// Written from the RFCs with node:crypto and node:zlib, independently of
// the core's STUN carrier, which reads what this writes.
import { createHmac } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { LINKTYPE, writePcap } from '../../src/pcap/index.js';
import { concat, ipv4Udp, u16, u32 } from './captures.js';

export const ATTR = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  PRIORITY: 0x0024,
  USE_CANDIDATE: 0x0025,
  FINGERPRINT: 0x8028,
  ICE_CONTROLLED: 0x8029,
  ICE_CONTROLLING: 0x802a,
  NETWORK_TOKEN: 0x8030,
  GOOG_NETWORK_INFO: 0xc057,
} as const;

const MAGIC_COOKIE = 0x2112a442;
/** RFC 8489 §14.7. */
const FINGERPRINT_XOR = 0x5354554e;
/** RFC 8445 §5.1.2.2: the type preference of a peer-reflexive candidate. */
const TYPE_PREFERENCE_PRFLX = 110;

export interface WebrtcBindingRequest {
  /** The attribute's value: the 4-byte network-token header, then the token. */
  token?: Uint8Array;
  tokenAttribute?: number;
  localUfrag: string;
  remoteUfrag: string;
  /** The remote peer's ICE password: the MESSAGE-INTEGRITY key (short-term credentials, RFC 8489 §9.1.2). */
  remotePassword: string;
  role: 'controlling' | 'controlled';
  tiebreaker: bigint;
  /** The local candidate's priority; the request carries its peer-reflexive form. */
  localPriority: number;
  networkId: number;
  networkCost: number;
  /** libwebrtc makes the 12 bytes from printable characters (rtc::CreateRandomString). */
  transactionId: string;
}

function attribute(type: number, value: Uint8Array): Uint8Array {
  return concat(u16(type), u16(value.length), value, new Uint8Array((4 - (value.length % 4)) % 4));
}

const u64 = (v: bigint): Uint8Array => concat(u32(Number(v >> 32n)), u32(Number(v & 0xffffffffn)));

function header(length: number, transactionId: Uint8Array): Uint8Array {
  return concat(u16(0x0001), u16(length), u32(MAGIC_COOKIE), transactionId);
}

export function webrtcBindingRequest(o: WebrtcBindingRequest): Uint8Array {
  const id = new TextEncoder().encode(o.transactionId);
  if (id.length !== 12) throw new Error('a STUN transaction id is 12 bytes');
  const attrs: Uint8Array[] = [];
  if (o.token) attrs.push(attribute(o.tokenAttribute ?? ATTR.NETWORK_TOKEN, o.token));
  attrs.push(attribute(ATTR.USERNAME, new TextEncoder().encode(`${o.remoteUfrag}:${o.localUfrag}`)));
  attrs.push(attribute(ATTR.GOOG_NETWORK_INFO, u32(((o.networkId << 16) | o.networkCost) >>> 0)));
  if (o.role === 'controlling') {
    attrs.push(attribute(ATTR.ICE_CONTROLLING, u64(o.tiebreaker)), attribute(ATTR.USE_CANDIDATE, new Uint8Array(0)));
  } else {
    attrs.push(attribute(ATTR.ICE_CONTROLLED, u64(o.tiebreaker)));
  }
  attrs.push(attribute(ATTR.PRIORITY, u32(((TYPE_PREFERENCE_PRFLX << 24) | (o.localPriority & 0xffffff)) >>> 0)));
  const body = concat(...attrs);
  // §14.5: the HMAC covers the header, its length counting up to the end of
  // MESSAGE-INTEGRITY, and every attribute before it.
  const hmac = createHmac('sha1', o.remotePassword).update(concat(header(body.length + 24, id), body)).digest();
  const signed = concat(body, attribute(ATTR.MESSAGE_INTEGRITY, new Uint8Array(hmac)));
  // §14.7: CRC-32 of the message up to FINGERPRINT, the length counting it.
  const crc = (crc32(concat(header(signed.length + 8, id), signed)) ^ FINGERPRINT_XOR) >>> 0;
  return concat(header(signed.length + 8, id), signed, attribute(ATTR.FINGERPRINT, u32(crc)));
}

/** The attributes of a STUN message: type, value, and offset of the attribute header. */
export function stunAttributes(msg: Uint8Array): { type: number; value: Uint8Array; offset: number }[] {
  const out: { type: number; value: Uint8Array; offset: number }[] = [];
  const v = new DataView(msg.buffer, msg.byteOffset, msg.length);
  for (let at = 20; at + 4 <= msg.length;) {
    const len = v.getUint16(at + 2);
    out.push({ type: v.getUint16(at), value: msg.subarray(at + 4, at + 4 + len), offset: at });
    at += 4 + ((len + 3) & ~3);
  }
  return out;
}

/** Checks MESSAGE-INTEGRITY as the remote ICE agent does (RFC 8489 §14.5). */
export function messageIntegrityHolds(msg: Uint8Array, password: string): boolean {
  const mi = stunAttributes(msg).find((a) => a.type === ATTR.MESSAGE_INTEGRITY);
  if (!mi) return false;
  const head = new Uint8Array(msg.subarray(0, 20));
  head.set(u16(mi.offset + 24 - 20), 2);
  const expect = createHmac('sha1', password).update(concat(head, msg.subarray(20, mi.offset))).digest();
  return Buffer.compare(expect, mi.value) === 0;
}

/** The WebRTC endpoint (LAN), its peer, and the ICE credentials of its check. */
export const CLIENT = '192.168.1.23';
export const PEER = '203.0.113.9';
export const ICE = { localUfrag: 'cPtQ', remoteUfrag: 'dkvc21eeecviv3', remotePassword: 'qsTTo2lyL1jJ+sfjpbMHS6ZJ' } as const;

/**
 * The capture (raw IPv4, from `start`) of a call: the client's ICE check
 * carrying `token` (the network-token header and the token), then media
 * both ways with ECN bits the endpoints set; and another device's media
 * marked EF (DSCP 46) without any token.
 */
export function webrtcCall(token: Uint8Array, start: number): { pcap: Uint8Array; request: Uint8Array } {
  const request = webrtcBindingRequest({
    token, ...ICE, role: 'controlled', tiebreaker: 0x6dd28d3d5768520an, localPriority: 0x7e7f1eff, networkId: 3, networkCost: 10, transactionId: '5fgKBtx5e4xq',
  });
  const rtp = (n: number) => new Uint8Array([0x80, 0x6f, 0, n, 0, 0, 0, n, 0x12, 0x34, 0x56, 0x78, ...new Uint8Array(160)]);
  const packets = [
    ipv4Udp({ src: CLIENT, dst: PEER, sport: 50123, dport: 61000, payload: request }),
    ipv4Udp({ src: PEER, dst: CLIENT, sport: 61000, dport: 50123, payload: rtp(1), ecn: 2 }),
    ipv4Udp({ src: CLIENT, dst: PEER, sport: 50123, dport: 61000, payload: rtp(2), ecn: 1 }),
    ipv4Udp({ src: '192.168.1.50', dst: PEER, sport: 40000, dport: 5004, payload: rtp(3), dscp: 46 }),
  ];
  return { pcap: writePcap(LINKTYPE.RAW, packets.map((data, i) => ({ data, timestamp: start + i / 10 }))), request };
}
