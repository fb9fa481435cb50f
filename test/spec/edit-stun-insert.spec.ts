import { LinkType, Packet } from "../../assembly/packet/packet";
import { ipv4HeaderChecksum, l4ChecksumValid } from "../../assembly/packet/checksum";
import { FoundTokens } from "../../assembly/carrier/found";
import { DEFAULT_STUN_TOKEN_ATTR, StunMessage } from "../../assembly/carrier/stun";
import { insertStunAttribute, stunFingerprint } from "../../assembly/tagging/stun-insert";
import { TagError } from "../../assembly/tagging/tag-error";
import { hex, toHex } from "./helpers";
import { Frame, compact } from "./edit-helpers";
import { V4_FIRST_FRAGMENT, V4_TCP_OPTIONS, V4_UDP } from "./packet-helpers";

// Vectors: each input and its expected output were built from scratch with
// python3: MESSAGE-INTEGRITY a real HMAC-SHA1 (RFC 8489 §14.5) and
// MESSAGE-INTEGRITY-SHA256 a real HMAC-SHA256 (§14.6), keyed with the ICE
// password "4GqRWhRHx8Dkw6Fd0N4gFWn1", over the message up to the attribute
// with the length field ending there; FINGERPRINT the CRC-32 (zlib) XOR
// 0x5354554e (§14.7); IPv4 header and UDP checksums by an independent
// RFC 1071 sum. In each expected output python verified both HMACs and the
// FINGERPRINT again; tshark 4.0 (-o udp.check_checksum:TRUE -o
// ip.check_checksum:TRUE) decodes every packet as STUN with every checksum
// and FINGERPRINT "Good" and nothing malformed. Spaces separate IP header,
// UDP header, STUN header and each attribute. 192.0.2.1:50000 ->
// 198.51.100.2:3478, 2001:db8::1 -> 2001:db8::2; transaction ID
// "ntok-stun-01"; the token as in carrier-stun.spec.ts (46 bytes).

const MAC0 = "d18443a10104a1044c53796d6d65747269633235364ba106fb41d584367c20000048b8816f34c0542892";
const TOKEN = "10000002" + MAC0;
const A6 = "20010db8000000000000000000000001 20010db8000000000000000000000002";
const STUN_HEADER_TXID = "2112a4426e746f6b2d7374756e2d3031";
// USERNAME "c3Hq:a9Fz", PRIORITY, ICE-CONTROLLING
const ATTRS = "00060009633348713a6139467a000000 002400046e7f1eff 802a00085be3a7d09c1f2e64";
const MI = "0008001472e530c55d0e7b420c188b2fa9417a7f3ebd6a84"; // over the header and ATTRS
const TOKEN_ATTR = "8030002e" + TOKEN + "0000";

// Binding Request with MESSAGE-INTEGRITY and FINGERPRINT over IPv4; the token lands between them
const S_MI_FP = "450000744242400040110c00c0000201c6336402 c3500d960060c558 00010044" + STUN_HEADER_TXID + " " + ATTRS + " " + MI + " 80280004af6f138c";
const S_MI_FP_TAGGED = "450000a84242400040110bccc0000201c6336402 c3500d960094a8ed 00010078" + STUN_HEADER_TXID + " " + ATTRS + " " + MI + " " + TOKEN_ATTR + " 802800045d67e728";
// FINGERPRINT only, over IPv6: the token lands before FINGERPRINT
const S6_FP = "6000000000481140 " + A6 + " c3500d9600483bcd 0001002c" + STUN_HEADER_TXID + " " + ATTRS + " 802800040683b770";
const S6_FP_TAGGED = "60000000007c1140 " + A6 + " c3500d96007cf3e5 00010060" + STUN_HEADER_TXID + " " + ATTRS + " " + TOKEN_ATTR + " 8028000476e1f422";
// Neither: the token lands at the end
const S_PLAIN = "450000544242400040110c20c0000201c6336402 c3500d960040e942 00010024" + STUN_HEADER_TXID + " " + ATTRS;
const S_PLAIN_TAGGED = "450000884242400040110becc0000201c6336402 c3500d9600744e6c 00010058" + STUN_HEADER_TXID + " " + ATTRS + " " + TOKEN_ATTR;
// MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT over IPv6: the token lands after both integrity attributes
const MI256 = "001c002083aad2291afd1b873d49f345c6648d466715808e0fadf24b6fb083f1cf3c833c";
const S6_MI_MI256_FP = "6000000000841140 " + A6 + " c3500d960084de14 00010068" + STUN_HEADER_TXID + " " + ATTRS + " " + MI + " " + MI256 + " 802800048cf16d1d";
const S6_MI_MI256_FP_TAGGED = "6000000000b81140 " + A6 + " c3500d9600b86c5b 0001009c" + STUN_HEADER_TXID + " " + ATTRS + " " + MI + " " + MI256 + " " + TOKEN_ATTR + " 8028000406bcca35";
// MESSAGE-INTEGRITY without FINGERPRINT: the token lands at the end, after it
const S_MI = "4500006c4242400040110c08c0000201c6336402 c3500d9600580899 0001003c" + STUN_HEADER_TXID + " " + ATTRS + " " + MI;
const S_MI_TAGGED = "450000a04242400040110bd4c0000201c6336402 c3500d96008c6dc2 00010070" + STUN_HEADER_TXID + " " + ATTRS + " " + MI + " " + TOKEN_ATTR;
// A 5-byte value: length 5, three zero bytes of padding
const S_ODD = "450000584242400040110c1cc0000201c6336402 c3500d96004432f1 00010028" + STUN_HEADER_TXID + " 002400046e7f1eff 000800141cc45652922034ea065081674a2e0e332e46b674 802800040892163c";
const S_ODD_TAGGED = "450000644242400040110c10c0000201c6336402 c3500d96005067fb 00010034" + STUN_HEADER_TXID + " 002400046e7f1eff 000800141cc45652922034ea065081674a2e0e332e46b674 8030000510000002d1000000 80280004758912de";
// UDP checksum 0 (none) over IPv4: stays 0
const S_NOSUM = "450000404242400040110c34c0000201c6336402 c3500d96002c0000 00010010" + STUN_HEADER_TXID + " 002400046e7f1eff 80280004be247165";
const S_NOSUM_TAGGED = "450000744242400040110c00c0000201c6336402 c3500d9600600000 00010044" + STUN_HEADER_TXID + " 002400046e7f1eff " + TOKEN_ATTR + " 802800045c9eb61c";
// Ethernet + 802.1Q (VLAN 100), S_MI_FP, and 4 bytes after the datagram (an FCS a capture kept): dropped
const ETH = "0200000000020200000000018100a0640800 ";
const ETH_S = ETH + S_MI_FP + " deadbeef";
const ETH_S_TAGGED = ETH + S_MI_FP_TAGGED;
// Binding Success Response (XOR-MAPPED-ADDRESS, M-I, FP) and a Binding Indication (FP): not requests
const S_RESPONSE = "4500005c4242400040110c18c0000201c6336402 c3500d9600483230 0101002c" + STUN_HEADER_TXID + " 002000080001e242e112a645 00080014363663e54eca0039120c510d720798ab5fe9d09d 8028000463dd560a";
const S_INDICATION = "450000384242400040110c3cc0000201c6336402 c3500d960024518d 00110008" + STUN_HEADER_TXID + " 80280004ab2ce20c";
// IPv6 with an RPL source route (RFC 6554, segleft 1) before UDP and a bare Binding Request: no readable final destination
const S6_RPL = "60000000002c2b40 " + A6 + " 11010301ff0000000300000000000000 c3500d96001c0000 00010000" + STUN_HEADER_TXID;

const p = new Packet();
const stun = new StunMessage();
const found = new FoundTokens();
const token = hex(TOKEN);

function tag(f: Frame, mtu: i32 = 1500, link: LinkType = LinkType.RAW): i32 {
  f.parse(p, link);
  const n = insertStunAttribute(p, f.capacity, mtu, DEFAULT_STUN_TOKEN_ATTR, token.ptr, token.len);
  if (n >= 0) f.len = n;
  return n;
}

/** Tagging `input` leaves the whole buffer as it was and returns `code`. */
function refused(input: string, mtu: i32, capacity: i32, code: i32): void {
  const f = new Frame(input, capacity);
  const before = f.all();
  expect(tag(f, mtu)).toBe(code);
  expect(f.all()).toBe(before);
}

function ipv4ChecksumOk(q: Packet): bool {
  const stored = (<i32>load<u8>(q.l3 + 10) << 8) | <i32>load<u8>(q.l3 + 11);
  return ipv4HeaderChecksum(q.l3, q.ipHeaderLen) == stored;
}

describe("insertStunAttribute: where the token lands", () => {
  it("between MESSAGE-INTEGRITY and FINGERPRINT, with FINGERPRINT, lengths and checksums as python computed them", () => {
    const f = new Frame(S_MI_FP);
    expect(tag(f)).toBe(168);
    expect(f.hex()).toBe(compact(S_MI_FP_TAGGED));
  });

  it("before FINGERPRINT when there is no MESSAGE-INTEGRITY (IPv6)", () => {
    const f = new Frame(S6_FP);
    expect(tag(f)).toBe(164);
    expect(f.hex()).toBe(compact(S6_FP_TAGGED));
  });

  it("at the end when there is neither MESSAGE-INTEGRITY nor FINGERPRINT", () => {
    const f = new Frame(S_PLAIN);
    expect(tag(f)).toBe(136);
    expect(f.hex()).toBe(compact(S_PLAIN_TAGGED));
  });

  it("after MESSAGE-INTEGRITY-SHA256 as well, before FINGERPRINT (IPv6)", () => {
    const f = new Frame(S6_MI_MI256_FP);
    expect(tag(f)).toBe(224);
    expect(f.hex()).toBe(compact(S6_MI_MI256_FP_TAGGED));
  });

  it("at the end, after MESSAGE-INTEGRITY, when there is no FINGERPRINT", () => {
    const f = new Frame(S_MI);
    expect(tag(f)).toBe(160);
    expect(f.hex()).toBe(compact(S_MI_TAGGED));
  });

  it("pads an odd-length value with zero bytes and writes the unpadded length", () => {
    const f = new Frame(S_ODD);
    f.parse(p);
    const v = hex("10000002d1");
    expect(insertStunAttribute(p, f.capacity, 1500, DEFAULT_STUN_TOKEN_ATTR, v.ptr, v.len)).toBe(100);
    f.len = 100;
    expect(f.hex()).toBe(compact(S_ODD_TAGGED));
  });

  it("grows only the IP datagram of an Ethernet frame and drops the bytes after it", () => {
    const f = new Frame(ETH_S);
    expect(tag(f, 1500, LinkType.ETHERNET)).toBe(18 + 168);
    expect(f.hex()).toBe(compact(ETH_S_TAGGED));
    expect(p.outerVlanId).toBe(100);
  });

  it("writes the attribute type it is given", () => {
    const f = new Frame(S_PLAIN);
    f.parse(p);
    expect(insertStunAttribute(p, f.capacity, 1500, 0xc0de, token.ptr, token.len)).toBe(136);
    expect(toHex(p.payload + 56, 4)).toBe("c0de002e");
  });
});

describe("insertStunAttribute: the message after insertion", () => {
  it("parses as one STUN message with MESSAGE-INTEGRITY in place and FINGERPRINT last", () => {
    const f = new Frame(S_MI_FP);
    tag(f);
    expect(stun.parse(p.payload, p.payloadLen)).toBe(true);
    expect(stun.length).toBe(120);
    expect(stun.integrityOffset).toBe(56);
    expect(stun.fingerprintOffset).toBe(132);
    expect(stun.attributeCount).toBe(6);
  });

  it("keeps every byte MESSAGE-INTEGRITY covers, apart from the length field, and its HMAC", () => {
    const before = new Frame(S_MI_FP);
    before.parse(p);
    const oldMsg = p.payload;
    const f = new Frame(S_MI_FP);
    tag(f);
    // the message up to the end of MESSAGE-INTEGRITY (56 + 24 bytes); bytes 2..3 are the length
    expect(toHex(p.payload, 2)).toBe(toHex(oldMsg, 2));
    expect(toHex(p.payload + 4, 76)).toBe(toHex(oldMsg + 4, 76));
    expect(toHex(p.payload + 56, 24)).toBe(MI);
  });

  it("keeps both HMACs when MESSAGE-INTEGRITY-SHA256 follows MESSAGE-INTEGRITY", () => {
    const f = new Frame(S6_MI_MI256_FP);
    tag(f);
    expect(stun.parse(p.payload, p.payloadLen)).toBe(true);
    expect(toHex(p.payload + <usize>stun.integrityOffset, 24)).toBe(MI);
    expect(toHex(p.payload + <usize>stun.integritySha256Offset, 36)).toBe(MI256);
  });

  it("recomputes FINGERPRINT: the CRC-32 of the message before it, XOR 0x5354554e", () => {
    const f = new Frame(S_MI_FP);
    tag(f);
    stun.parse(p.payload, p.payloadLen);
    const at = p.payload + <usize>stun.fingerprintOffset;
    expect(toHex(at + 4, 4)).toBe("5d67e728");
    const stored = (<u32>load<u8>(at + 4) << 24) | (<u32>load<u8>(at + 5) << 16) | (<u32>load<u8>(at + 6) << 8) | <u32>load<u8>(at + 7);
    expect(stored).toBe(stunFingerprint(p.payload, stun.fingerprintOffset));
  });

  it("leaves a valid UDP checksum and IPv4 header checksum in every tagged packet", () => {
    const inputs: string[] = [S_MI_FP, S6_FP, S_PLAIN, S6_MI_MI256_FP, S_MI];
    for (let i = 0; i < inputs.length; i++) {
      const f = new Frame(inputs[i]);
      expect(tag(f)).toBeGreaterThan(0);
      expect(l4ChecksumValid(p)).toBe(true);
      if (p.version == 4) expect(ipv4ChecksumOk(p)).toBe(true);
    }
  });

  it("leaves a UDP checksum of 0 over IPv4 at 0 (none was sent)", () => {
    const f = new Frame(S_NOSUM);
    expect(tag(f)).toBe(116);
    expect(f.hex()).toBe(compact(S_NOSUM_TAGGED));
  });

  it("leaves the Packet describing the tagged packet, as a second parse would", () => {
    const inputs: string[] = [S6_FP, ETH_S];
    for (let i = 0; i < inputs.length; i++) {
      const link = i == 0 ? LinkType.RAW : LinkType.ETHERNET;
      const f = new Frame(inputs[i]);
      tag(f, 1500, link);
      const q = new Packet();
      expect(q.parse(f.ptr, f.len, link)).toBe(true);
      expect(p.frameLen).toBe(q.frameLen);
      expect(p.l3Len).toBe(q.l3Len);
      expect(p.l4Len).toBe(q.l4Len);
      expect(p.payload).toBe(q.payload);
      expect(p.payloadLen).toBe(q.payloadLen);
    }
  });

  it("is where findTokens reads it: before FINGERPRINT, with or without MESSAGE-INTEGRITY before it", () => {
    const a = new Frame(S6_FP);
    tag(a);
    found.clear();
    expect(stun.findTokens(p.payload, p.payloadLen, DEFAULT_STUN_TOKEN_ATTR, found)).toBe(1);
    expect(toHex(found.ptr(0), found.len(0))).toBe(TOKEN);
    const b = new Frame(S_MI_FP);
    tag(b);
    found.clear();
    expect(stun.findTokens(p.payload, p.payloadLen, DEFAULT_STUN_TOKEN_ATTR, found)).toBe(1);
    expect(toHex(found.ptr(0), found.len(0))).toBe(TOKEN);
    expect(stun.integrityOffset).toBeGreaterThanOrEqual(0);
  });
});

describe("insertStunAttribute refusals (the packet untouched)", () => {
  it("returns NOT_STUN_REQUEST for a success response and for an indication", () => {
    refused(S_RESPONSE, 1500, 2048, TagError.NOT_STUN_REQUEST);
    refused(S_INDICATION, 1500, 2048, TagError.NOT_STUN_REQUEST);
  });

  it("returns NOT_APPLICABLE for a UDP payload that is not STUN and for TCP", () => {
    refused(V4_UDP, 1500, 2048, TagError.NOT_APPLICABLE);
    refused(V4_TCP_OPTIONS, 1500, 2048, TagError.NOT_APPLICABLE);
  });

  it("returns TOO_BIG when the datagram would exceed the MTU by one byte", () => {
    refused(S_MI_FP, 167, 2048, TagError.TOO_BIG);
    const f = new Frame(S_MI_FP);
    expect(tag(f, 168)).toBe(168);
  });

  it("returns NO_ROOM when the buffer cannot hold the grown frame", () => {
    refused(S_MI_FP, 1500, 167, TagError.NO_ROOM);
  });

  it("returns FRAGMENT for an IPv4 fragment", () => {
    refused(V4_FIRST_FRAGMENT, 1500, 2048, TagError.FRAGMENT);
  });

  it("returns NO_CHECKSUM over IPv6 when the final destination cannot be read", () => {
    refused(S6_RPL, 1500, 2048, TagError.NO_CHECKSUM);
  });

  it("returns BAD_ARGUMENT for a negative value length", () => {
    const f = new Frame(S_PLAIN);
    const before = f.all();
    f.parse(p);
    expect(insertStunAttribute(p, f.capacity, 1500, DEFAULT_STUN_TOKEN_ATTR, token.ptr, -1)).toBe(TagError.BAD_ARGUMENT);
    expect(f.all()).toBe(before);
  });

  it("returns NOT_APPLICABLE for a packet that did not parse", () => {
    const f = new Frame("4500");
    expect(p.parse(f.ptr, f.len, LinkType.RAW)).toBe(false);
    expect(insertStunAttribute(p, f.capacity, 1500, DEFAULT_STUN_TOKEN_ATTR, token.ptr, token.len)).toBe(TagError.NOT_APPLICABLE);
  });
});
