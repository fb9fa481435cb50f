import { CarrierError, FoundTokens, MAX_FOUND, carrierErrorMessage, carrierErrorName } from "../../assembly/carrier/found";
import {
  ATTR_FINGERPRINT,
  ATTR_MESSAGE_INTEGRITY,
  ATTR_MESSAGE_INTEGRITY_SHA256,
  DEFAULT_STUN_TOKEN_ATTR,
  MAX_STUN_ATTRIBUTES,
  STUN_HEADER_LEN,
  STUN_MAGIC_COOKIE,
  STUN_METHOD_BINDING,
  StunClass,
  StunMessage,
} from "../../assembly/carrier/stun";
import { packetDetailText } from "../../assembly/packet/packet";
import { Bytes, hex, rep, toHex } from "./helpers";

// Vectors. MESSAGE-INTEGRITY is a real HMAC-SHA1 (RFC 8489 §14.5) keyed with
// the ICE password "4GqRWhRHx8Dkw6Fd0N4gFWn1", MESSAGE-INTEGRITY-SHA256 a real
// HMAC-SHA256 (§14.6), FINGERPRINT a real CRC-32 ^ 0x5354554e (§14.7), all
// computed with python3's hmac/zlib by the method that reproduces the RFC 5769
// samples below; tshark 4.0 decodes every message and checks each
// FINGERPRINT. Transaction ID "ntok-stun-01". The token in them is the 4-byte
// network-token header (reflect 1, descriptor 2: CWT) + the RFC 8392 A.7
// COSE_Mac0, 46 bytes in all; the parser never looks inside it.

const MAC0 = "d18443a10104a1044c53796d6d65747269633235364ba106fb41d584367c20000048b8816f34c0542892";
const TOKEN = "10000002" + MAC0;

// An ICE connectivity check as a WebRTC client (Chrome) sends it, with the token.
const WEBRTC_REQUEST =
  "000100842112a4426e746f6b2d7374756e2d3031 " + // Binding Request, length 132
  "00060009633348713a6139467a000000 " + // USERNAME "c3Hq:a9Fz", 3 bytes padding
  "c05700040001000a " + // GOOG-NETWORK-INFO
  "802a00085be3a7d09c1f2e64 " + // ICE-CONTROLLING
  "002400046e7f1eff " + // PRIORITY
  "00250000 " + // USE-CANDIDATE
  "8030002e" + TOKEN + "0000 " + // the token at offset 68, 2 bytes padding
  "00080014cbe3bea1de724153138e705a9eeb57eb5bd6a62b " + // MESSAGE-INTEGRITY at 120
  "80280004ce2e2fa2"; // FINGERPRINT at 144

// The peer's Binding Success Response reflecting the token (reflect 2).
const WEBRTC_RESPONSE =
  "010100602112a4426e746f6b2d7374756e2d3031 " + // Binding Success Response, length 96
  "002000080001e242e112a645 " + // XOR-MAPPED-ADDRESS 192.0.2.7:50000
  "8030002e20000002" + MAC0 + "0000 " +
  "00080014263bb204a98ca106b0461b5e4e0e1c37f618725f " +
  "802800044ab5a996";

// RFC 5769 §2.1 sample request: no token, USERNAME padded with spaces.
const RFC5769_REQUEST =
  "000100582112a442b7e7a701bc34d686fa87dfae " +
  "802200105354554e20746573742063 6c69656e74 " + // SOFTWARE
  "002400046e0001ff " + // PRIORITY
  "80290008932ff9b151263b36 " + // ICE-CONTROLLED
  "000600096576746a3a683676 59202020 " + // USERNAME "evtj:h6vY", padding 0x20 0x20 0x20
  "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2 " + // MESSAGE-INTEGRITY at 76
  "80280004e57a3bcf"; // FINGERPRINT at 100

// RFC 5769 §2.2 sample IPv4 response.
const RFC5769_RESPONSE =
  "0101003c2112a442b7e7a701bc34d686fa87dfae " +
  "8022000b7465737420766563746f7220 " + // SOFTWARE "test vector", padding 0x20
  "002000080001a147e112a643 " + // XOR-MAPPED-ADDRESS 192.0.2.1:32853
  "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7 " + // MESSAGE-INTEGRITY at 48
  "80280004c07d4c96"; // FINGERPRINT at 72

// [message, token value]: odd token lengths, padded with 0xff (§14: padding may be any value).
const ODD_LENGTHS: string[] = [
  "000100302112a4426e746f6b2d7374756e2d3031 " +
    "8030000110ffffff 002400046e7f1eff " +
    "000800143790c793e2b798088a40db2296daaa7f7d398f71 802800045a462bd4",
  "10",
  "000100342112a4426e746f6b2d7374756e2d3031 " +
    "8030000510000002d1ffffff 002400046e7f1eff " +
    "000800144b8963759d2ce76d865bb5fb99c20f8fcd2cdd3f 80280004ec150c6c",
  "10000002d1",
  "000100682112a4426e746f6b2d7374756e2d3031 " +
    "80300039" + TOKEN + "d18443a10104a1044c5379ffffff 002400046e7f1eff " +
    "000800147abd9e4d5bb00f60191f93e8e522c03f0c363e9e 80280004e09ddfbd",
  TOKEN + "d18443a10104a1044c5379",
];

const TWO_TOKENS =
  "0001006c2112a4426e746f6b2d7374756e2d3031 " +
  "8030002e" + TOKEN + "0000 " +
  "002400046e7f1eff " +
  "803000091000b00f0102030405000000 " + // a second token: descriptor 0xb00f, 5 bytes
  "000800144e1fa83c98f70ce5884dae41615177e4f615e614 " +
  "80280004dc67be58";

const TOKEN_AFTER_MI =
  "0001005c2112a4426e746f6b2d7374756e2d3031 " +
  "002400046e7f1eff " +
  "000800141cc45652922034ea065081674a2e0e332e46b674 " + // at 28
  "8030002e" + TOKEN + "0000 " + // §14.5: ignored
  "8028000415582ad0"; // at 104

const MI_MI256_FP =
  "000100782112a4426e746f6b2d7374756e2d3031 " +
  "8030002e" + TOKEN + "0000 " +
  "00080014707b3309e9a300d98dbb2115f8bfa2154a71de76 " + // at 72
  "001c00209197d3b969bd564f6442baf8046b4b8f708dab807d212d03ebc5bf237c077fa8 " + // at 96
  "80280004672262f9"; // at 132

// FINGERPRINT computed before the token was appended behind it (what a
// careless on-path inserter would produce).
const TOKEN_AFTER_FP =
  "000100442112a4426e746f6b2d7374756e2d3031 " +
  "002400046e7f1eff " +
  "80280004be247165 " + // at 28
  "8030002e" + TOKEN + "0000"; // §14.7: FINGERPRINT is last; ignored

// The token in attribute 0xc0de, and a 4-byte value in 0x8030.
const OTHER_TYPE =
  "000100442112a4426e746f6b2d7374756e2d3031 " +
  "c0de002e" + TOKEN + "0000 " +
  "8030000410000002 " +
  "802800042028ee40";

const TXID = "6e746f6b2d7374756e2d3031";

/** A STUN message of the given type (4 hex digits) around `attrs` (hex), with the right length. */
function stun(type: string, attrs: string): Bytes {
  const body = hex(attrs);
  return hex(type + (<u16>body.len).toString(16).padStart(4, "0") + "2112a442" + TXID + toHex(body.ptr, body.len));
}

function tokenAttr(value: string): string {
  const n = value.length >> 1;
  return "8030" + (<u16>n).toString(16).padStart(4, "0") + value + rep("00", (4 - (n & 3)) & 3);
}

// [input, CarrierError, errorOffset]: payloads that are not one well-formed STUN message.
const REJECTED: string[] = [
  "", "-1", "0", // nothing
  "0001 0000 2112a442 " + TXID.slice(0, 22), "-1", "0", // 19 bytes
  "4000 0004 2112a442 " + TXID + " 00000000", "-1", "0", // TURN ChannelData (RFC 8656 §12.4)
  "8001 0000 2112a442 " + TXID, "-1", "0",
  "c001 0000 2112a442 " + TXID, "-1", "0",
  "0001 0000 00000000 " + TXID, "-1", "4", // RFC 3489 (no cookie)
  "0001 0000 4221a412 " + TXID, "-1", "4", // byte-swapped cookie
  "0001 0002 2112a442 " + TXID + " 0000", "-2", "2", // length not a multiple of 4
  "0001 0006 2112a442 " + TXID + " 00250000 0000", "-2", "2",
  "0001 0008 2112a442 " + TXID + " 00250000", "-2", "2", // longer than the payload
  "0001 0000 2112a442 " + TXID + " 00250000", "-2", "2", // shorter than the payload
  "0001 0000 2112a442 " + TXID + " 0001 0000 2112a442 " + TXID, "-2", "2", // two messages back to back
  "0001 0004 2112a442 " + TXID + " 80300008", "-3", "20", // value runs past the end
  "0001 0008 2112a442 " + TXID + " 80300005 10000002", "-3", "20", // a 5-byte value in 4 bytes
  "0001 000c 2112a442 " + TXID + " 00250000 8030ffff 10000002", "-3", "24",
  "0001 001c 2112a442 " + TXID + " 00080010 " + rep("00", 16) + " 80280004 00000000", "-3", "20", // M-I of 16 bytes
  "0001 0010 2112a442 " + TXID + " 001c000c " + rep("00", 12), "-3", "20", // M-I-SHA256 of 12 bytes
  "0001 0028 2112a442 " + TXID + " 001c0024 " + rep("00", 36), "-3", "20", // M-I-SHA256 of 36 bytes
  "0001 0020 2112a442 " + TXID + " 001c0012 " + rep("00", 20) + " 80280004 00000000", "-3", "20", // M-I-SHA256 of 18 bytes
  "0001 000c 2112a442 " + TXID + " 80280008 0000000000000000", "-3", "20", // FINGERPRINT of 8 bytes
];

describe("FoundTokens", () => {
  it("keeps MAX_FOUND values and counts the others as dropped", () => {
    const f = new FoundTokens();
    for (let i = 0; i < MAX_FOUND + 3; i++) f.add(<usize>(1000 + i), i);
    expect<i32>(f.count).toBe(MAX_FOUND);
    expect<i32>(f.dropped).toBe(3);
    expect<i32>(f.total).toBe(MAX_FOUND + 3);
    for (let i = 0; i < MAX_FOUND; i++) {
      expect<usize>(f.ptr(i)).toBe(<usize>(1000 + i));
      expect<i32>(f.len(i)).toBe(i);
    }
    expect<usize>(f.ptr(MAX_FOUND)).toBe(0);
    expect<i32>(f.len(-1)).toBe(-1);
  });

  it("keeps four values per packet", () => {
    expect<i32>(MAX_FOUND).toBe(4);
  });

  it("empties on clear", () => {
    const f = new FoundTokens();
    for (let i = 0; i < MAX_FOUND + 1; i++) f.add(<usize>(1000 + i), 4);
    f.clear();
    expect<i32>(f.count).toBe(0);
    expect<i32>(f.dropped).toBe(0);
    f.add(2000, 8);
    expect<usize>(f.ptr(0)).toBe(2000);
  });

  it("takes back the values appended after a mark with truncate", () => {
    // [values before the mark, values after it]
    const cases: i32[] = [0, 2, 1, 3, 3, 5, 4, 2, 6, 3];
    for (let c = 0; c < cases.length; c += 2) {
      const f = new FoundTokens();
      for (let i = 0; i < cases[c]; i++) f.add(<usize>(1000 + i), i);
      const count = f.count, dropped = f.dropped;
      for (let i = 0; i < cases[c + 1]; i++) f.add(<usize>(2000 + i), i);
      f.truncate(cases[c]);
      expect<i32>(f.count).toBe(count, c.toString());
      expect<i32>(f.dropped).toBe(dropped, c.toString());
    }
  });

  it("names every carrier error", () => {
    const names: string[] = ["none", "not-stun", "bad-stun-length", "bad-attribute", "too-many-attributes", "bad-ext-length", "bad-options"];
    for (let i = 0; i < names.length; i++) {
      expect<string>(carrierErrorName(-i)).toBe(names[i]);
      expect<bool>(carrierErrorMessage(-i).length > 0).toBe(true, names[i]);
    }
    expect<string>(carrierErrorName(-names.length)).toBe("");
    expect<string>(carrierErrorName(1)).toBe("");
    expect<i32>(CarrierError.BAD_OPTIONS).toBe(-6);
  });
});

describe("StunMessage.parse", () => {
  it("uses the RFC 8489 constants", () => {
    expect<u32>(STUN_MAGIC_COOKIE).toBe(0x2112a442);
    expect<i32>(STUN_HEADER_LEN).toBe(20);
    expect<u16>(ATTR_MESSAGE_INTEGRITY).toBe(0x0008);
    expect<u16>(ATTR_MESSAGE_INTEGRITY_SHA256).toBe(0x001c);
    expect<u16>(ATTR_FINGERPRINT).toBe(0x8028);
    expect<u16>(DEFAULT_STUN_TOKEN_ATTR).toBe(0x8030);
  });

  it("reads the RFC 5769 sample request", () => {
    const b = hex(RFC5769_REQUEST);
    const m = new StunMessage();
    expect<bool>(m.parse(b.ptr, b.len)).toBe(true);
    expect<u16>(m.messageType).toBe(0x0001);
    expect<u16>(m.method).toBe(STUN_METHOD_BINDING);
    expect<i32>(m.messageClass).toBe(StunClass.REQUEST);
    expect<i32>(m.length).toBe(88);
    expect<string>(toHex(m.transactionId, 12)).toBe("b7e7a701bc34d686fa87dfae");
    expect<i32>(m.attributeCount).toBe(6);
    expect<i32>(m.integrityOffset).toBe(76);
    expect<i32>(m.integritySha256Offset).toBe(-1);
    expect<i32>(m.fingerprintOffset).toBe(100);
    expect<i32>(m.trailerOffset).toBe(76);
    expect<i32>(m.ignored).toBe(0);
    expect<i32>(m.error).toBe(CarrierError.NONE);
  });

  it("reads the RFC 5769 sample IPv4 response as a Binding Success Response", () => {
    const b = hex(RFC5769_RESPONSE);
    const m = new StunMessage();
    expect<bool>(m.parse(b.ptr, b.len)).toBe(true);
    expect<u16>(m.method).toBe(STUN_METHOD_BINDING);
    expect<i32>(m.messageClass).toBe(StunClass.SUCCESS_RESPONSE);
    expect<i32>(m.attributeCount).toBe(4);
    expect<i32>(m.integrityOffset).toBe(48);
    expect<i32>(m.fingerprintOffset).toBe(72);
  });

  it("accepts a header-only message of length 0", () => {
    const b = hex("0001 0000 2112a442 " + TXID);
    const m = new StunMessage();
    expect<bool>(m.parse(b.ptr, b.len)).toBe(true);
    expect<i32>(m.attributeCount).toBe(0);
    expect<i32>(m.integrityOffset).toBe(-1);
    expect<i32>(m.fingerprintOffset).toBe(-1);
    expect<i32>(m.trailerOffset).toBe(20);
  });

  it("splits the message type into method and class (§5)", () => {
    // [type, method, class]
    const types: i32[] = [
      0x0001, 0x001, StunClass.REQUEST,
      0x0011, 0x001, StunClass.INDICATION,
      0x0101, 0x001, StunClass.SUCCESS_RESPONSE,
      0x0111, 0x001, StunClass.ERROR_RESPONSE,
      0x0003, 0x003, StunClass.REQUEST, // TURN Allocate
      0x0016, 0x006, StunClass.INDICATION, // TURN Send indication
      0x0113, 0x003, StunClass.ERROR_RESPONSE,
      0x3eef, 0xfff, StunClass.REQUEST,
      0x3fff, 0xfff, StunClass.ERROR_RESPONSE,
    ];
    for (let i = 0; i < types.length; i += 3) {
      const b = hex((<u16>types[i]).toString(16).padStart(4, "0") + "0000 2112a442" + TXID);
      const m = new StunMessage();
      expect<bool>(m.parse(b.ptr, b.len)).toBe(true, types[i].toString());
      expect<u16>(m.messageType).toBe(<u16>types[i]);
      expect<u16>(m.method).toBe(<u16>types[i + 1], types[i].toString());
      expect<i32>(m.messageClass).toBe(types[i + 2], types[i].toString());
    }
  });

  it("rejects what is not one well-formed STUN message, with the error and where", () => {
    for (let i = 0; i < REJECTED.length; i += 3) {
      const b = hex(REJECTED[i]);
      const m = new StunMessage();
      expect<bool>(m.parse(b.ptr, b.len)).toBe(false, REJECTED[i]);
      expect<i32>(m.error).toBe(I32.parseInt(REJECTED[i + 1]), REJECTED[i]);
      expect<i32>(m.errorOffset).toBe(I32.parseInt(REJECTED[i + 2]), REJECTED[i]);
      expect<bool>(packetDetailText(m.detail).length > 0).toBe(true, REJECTED[i]);
    }
  });

  it("rejects a negative length", () => {
    const b = hex(RFC5769_REQUEST);
    const m = new StunMessage();
    expect<bool>(m.parse(b.ptr, -1)).toBe(false);
    expect<i32>(m.error).toBe(CarrierError.NOT_STUN);
  });

  it("accepts MAX_STUN_ATTRIBUTES attributes and rejects one more", () => {
    expect<i32>(MAX_STUN_ATTRIBUTES).toBe(64);
    const m = new StunMessage();
    const ok = stun("0001", rep("00250000", MAX_STUN_ATTRIBUTES));
    expect<bool>(m.parse(ok.ptr, ok.len)).toBe(true);
    expect<i32>(m.attributeCount).toBe(64);
    const over = stun("0001", rep("002400046e7f1eff", MAX_STUN_ATTRIBUTES + 1));
    expect<bool>(m.parse(over.ptr, over.len)).toBe(false);
    expect<i32>(m.error).toBe(CarrierError.TOO_MANY_ATTRIBUTES);
    expect<i32>(m.errorOffset).toBe(20 + 64 * 8);
  });

  it("counts ignored attributes toward the limit", () => {
    const m = new StunMessage();
    const b = stun("0001", "80280004 00000000" + rep("00250000", MAX_STUN_ATTRIBUTES));
    expect<bool>(m.parse(b.ptr, b.len)).toBe(false);
    expect<i32>(m.error).toBe(CarrierError.TOO_MANY_ATTRIBUTES);
  });

  it("records where MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT sit", () => {
    const b = hex(MI_MI256_FP);
    const m = new StunMessage();
    expect<bool>(m.parse(b.ptr, b.len)).toBe(true);
    expect<i32>(m.integrityOffset).toBe(72);
    expect<i32>(m.integritySha256Offset).toBe(96);
    expect<i32>(m.fingerprintOffset).toBe(132);
    expect<i32>(m.trailerOffset).toBe(72);
    expect<i32>(m.ignored).toBe(0);
  });

  it("puts the trailer at FINGERPRINT when there is no MESSAGE-INTEGRITY", () => {
    const b = hex(OTHER_TYPE);
    const m = new StunMessage();
    expect<bool>(m.parse(b.ptr, b.len)).toBe(true);
    expect<i32>(m.integrityOffset).toBe(-1);
    expect<i32>(m.fingerprintOffset).toBe(80);
    expect<i32>(m.trailerOffset).toBe(80);
  });

  it("puts the trailer at the end of a message without integrity or fingerprint", () => {
    const b = stun("0001", "002400046e7f1eff" + tokenAttr(TOKEN));
    const m = new StunMessage();
    expect<bool>(m.parse(b.ptr, b.len)).toBe(true);
    expect<i32>(m.trailerOffset).toBe(b.len);
  });

  it("records only the first MESSAGE-INTEGRITY and checks no ignored attribute's length", () => {
    // M-I, a second M-I of 4 bytes (ignored), FINGERPRINT, a FINGERPRINT of 8 bytes (ignored)
    const b = stun("0001", "00080014" + rep("00", 20) + "00080004 00000000 80280004 00000000 80280008 0000000000000000");
    const m = new StunMessage();
    expect<bool>(m.parse(b.ptr, b.len)).toBe(true);
    expect<i32>(m.integrityOffset).toBe(20);
    expect<i32>(m.fingerprintOffset).toBe(52);
    expect<i32>(m.ignored).toBe(2);
  });

  it("ignores MESSAGE-INTEGRITY after MESSAGE-INTEGRITY-SHA256 (§14.6)", () => {
    const b = stun("0001", "001c0020" + rep("00", 32) + "00080014" + rep("00", 20));
    const m = new StunMessage();
    expect<bool>(m.parse(b.ptr, b.len)).toBe(true);
    expect<i32>(m.integritySha256Offset).toBe(20);
    expect<i32>(m.integrityOffset).toBe(-1);
    expect<i32>(m.ignored).toBe(1);
  });

  it("reads nothing past the given length", () => {
    // A valid message followed by bytes that would make it invalid if read.
    const b = hex(RFC5769_REQUEST + " 80300008 ffffffff");
    const m = new StunMessage();
    expect<bool>(m.parse(b.ptr, b.len - 8)).toBe(true);
    expect<i32>(m.fingerprintOffset).toBe(100);
  });

  it("forgets the previous message's error and offsets on the next parse", () => {
    const m = new StunMessage();
    const bad = hex("0001 0004 2112a442 " + TXID + " 80300008");
    expect<bool>(m.parse(bad.ptr, bad.len)).toBe(false);
    const good = hex("0001 0000 2112a442 " + TXID);
    expect<bool>(m.parse(good.ptr, good.len)).toBe(true);
    expect<i32>(m.error).toBe(CarrierError.NONE);
    expect<i32>(m.errorOffset).toBe(-1);
    expect<string>(packetDetailText(m.detail)).toBe("");
    const mi = hex(RFC5769_REQUEST);
    expect<bool>(m.parse(mi.ptr, mi.len)).toBe(true);
    expect<bool>(m.parse(good.ptr, good.len)).toBe(true);
    expect<i32>(m.integrityOffset).toBe(-1);
    expect<i32>(m.fingerprintOffset).toBe(-1);
  });
});

describe("StunMessage.findTokens", () => {
  it("finds the token in a WebRTC Binding Request", () => {
    const b = hex(WEBRTC_REQUEST);
    const m = new StunMessage();
    const f = new FoundTokens();
    expect<i32>(m.findTokens(b.ptr, b.len, DEFAULT_STUN_TOKEN_ATTR, f)).toBe(1);
    expect<i32>(f.count).toBe(1);
    expect<usize>(f.ptr(0) - b.ptr).toBe(72);
    expect<i32>(f.len(0)).toBe(46);
    expect<string>(toHex(f.ptr(0), f.len(0))).toBe(TOKEN);
    expect<i32>(m.messageClass).toBe(StunClass.REQUEST);
    expect<i32>(m.attributeCount).toBe(8);
    expect<i32>(m.integrityOffset).toBe(120);
    expect<i32>(m.fingerprintOffset).toBe(144);
    expect<i32>(m.trailerOffset).toBe(120);
  });

  it("finds the reflected token in a Binding Success Response", () => {
    const b = hex(WEBRTC_RESPONSE);
    const m = new StunMessage();
    const f = new FoundTokens();
    expect<i32>(m.findTokens(b.ptr, b.len, DEFAULT_STUN_TOKEN_ATTR, f)).toBe(1);
    expect<i32>(m.messageClass).toBe(StunClass.SUCCESS_RESPONSE);
    expect<u16>(m.method).toBe(STUN_METHOD_BINDING);
    expect<string>(toHex(f.ptr(0), f.len(0))).toBe("20000002" + MAC0);
  });

  it("finds tokens of odd lengths and skips their padding", () => {
    for (let i = 0; i < ODD_LENGTHS.length; i += 2) {
      const b = hex(ODD_LENGTHS[i]);
      const m = new StunMessage();
      const f = new FoundTokens();
      expect<i32>(m.findTokens(b.ptr, b.len, DEFAULT_STUN_TOKEN_ATTR, f)).toBe(1, ODD_LENGTHS[i + 1]);
      expect<string>(toHex(f.ptr(0), f.len(0))).toBe(ODD_LENGTHS[i + 1]);
      expect<i32>(m.attributeCount).toBe(4, ODD_LENGTHS[i + 1]); // PRIORITY after the padding was read as one
      expect<i32>(m.fingerprintOffset).toBe(b.len - 8, ODD_LENGTHS[i + 1]);
    }
  });

  it("finds two token attributes in message order", () => {
    const b = hex(TWO_TOKENS);
    const m = new StunMessage();
    const f = new FoundTokens();
    expect<i32>(m.findTokens(b.ptr, b.len, DEFAULT_STUN_TOKEN_ATTR, f)).toBe(2);
    expect<string>(toHex(f.ptr(0), f.len(0))).toBe(TOKEN);
    expect<string>(toHex(f.ptr(1), f.len(1))).toBe("1000b00f0102030405");
  });

  it("finds a token after MESSAGE-INTEGRITY, where a tagging gateway puts it (STUN agents ignore it there, §14.5)", () => {
    const b = hex(TOKEN_AFTER_MI);
    const m = new StunMessage();
    const f = new FoundTokens();
    expect<i32>(m.findTokens(b.ptr, b.len, DEFAULT_STUN_TOKEN_ATTR, f)).toBe(1);
    expect<string>(toHex(f.ptr(0), f.len(0))).toBe(TOKEN);
    expect<i32>(m.ignored).toBe(0);
    expect<i32>(m.integrityOffset).toBe(28);
    expect<i32>(m.fingerprintOffset).toBe(104);
  });

  it("accepts MESSAGE-INTEGRITY-SHA256 and FINGERPRINT after MESSAGE-INTEGRITY", () => {
    const b = hex(MI_MI256_FP);
    const m = new StunMessage();
    const f = new FoundTokens();
    expect<i32>(m.findTokens(b.ptr, b.len, DEFAULT_STUN_TOKEN_ATTR, f)).toBe(1);
    expect<string>(toHex(f.ptr(0), f.len(0))).toBe(TOKEN);
    expect<i32>(m.integritySha256Offset).toBe(96);
    expect<i32>(m.fingerprintOffset).toBe(132);
  });

  it("ignores a token after FINGERPRINT (§14.7: FINGERPRINT is last)", () => {
    const b = hex(TOKEN_AFTER_FP);
    const m = new StunMessage();
    const f = new FoundTokens();
    expect<i32>(m.findTokens(b.ptr, b.len, DEFAULT_STUN_TOKEN_ATTR, f)).toBe(0);
    expect<i32>(f.total).toBe(0);
    expect<i32>(m.fingerprintOffset).toBe(28);
    expect<i32>(m.ignored).toBe(1);
    expect<i32>(m.error).toBe(CarrierError.NONE);
  });

  it("finds nothing in a message without the attribute", () => {
    const b = hex(RFC5769_REQUEST);
    const m = new StunMessage();
    const f = new FoundTokens();
    expect<i32>(m.findTokens(b.ptr, b.len, DEFAULT_STUN_TOKEN_ATTR, f)).toBe(0);
    expect<i32>(f.total).toBe(0);
  });

  it("looks for the configured attribute type", () => {
    const b = hex(OTHER_TYPE);
    const m = new StunMessage();
    const f = new FoundTokens();
    expect<i32>(m.findTokens(b.ptr, b.len, 0xc0de, f)).toBe(1);
    expect<string>(toHex(f.ptr(0), f.len(0))).toBe(TOKEN);
    f.clear();
    expect<i32>(m.findTokens(b.ptr, b.len, DEFAULT_STUN_TOKEN_ATTR, f)).toBe(1);
    expect<string>(toHex(f.ptr(0), f.len(0))).toBe("10000002");
    f.clear();
    expect<i32>(m.findTokens(b.ptr, b.len, 0x8031, f)).toBe(0);
  });

  it("never takes MESSAGE-INTEGRITY or FINGERPRINT for a token, whatever type is configured", () => {
    const b = hex(WEBRTC_REQUEST);
    const m = new StunMessage();
    const f = new FoundTokens();
    expect<i32>(m.findTokens(b.ptr, b.len, ATTR_MESSAGE_INTEGRITY, f)).toBe(0);
    expect<i32>(m.findTokens(b.ptr, b.len, ATTR_FINGERPRINT, f)).toBe(0);
    expect<i32>(m.findTokens(b.ptr, b.len, 0x0025, f)).toBe(1); // USE-CANDIDATE: empty
    expect<i32>(f.len(0)).toBe(0);
  });

  it("collects a zero-length token attribute as an empty value", () => {
    const b = stun("0001", "80300000" + tokenAttr(TOKEN));
    const m = new StunMessage();
    const f = new FoundTokens();
    expect<i32>(m.findTokens(b.ptr, b.len, DEFAULT_STUN_TOKEN_ATTR, f)).toBe(2);
    expect<usize>(f.ptr(0) - b.ptr).toBe(24);
    expect<i32>(f.len(0)).toBe(0);
    expect<string>(toHex(f.ptr(1), f.len(1))).toBe(TOKEN);
  });

  it("keeps MAX_FOUND tokens and counts the others as dropped", () => {
    let attrs = "";
    for (let i = 0; i < MAX_FOUND + 2; i++) attrs += tokenAttr("1000000" + i.toString());
    const b = stun("0001", attrs + "80280004 00000000");
    const m = new StunMessage();
    const f = new FoundTokens();
    expect<i32>(m.findTokens(b.ptr, b.len, DEFAULT_STUN_TOKEN_ATTR, f)).toBe(MAX_FOUND + 2);
    expect<i32>(f.count).toBe(MAX_FOUND);
    expect<i32>(f.dropped).toBe(2);
    for (let i = 0; i < MAX_FOUND; i++) expect<string>(toHex(f.ptr(i), f.len(i))).toBe("1000000" + i.toString());
  });

  it("appends to the tokens already found in the packet", () => {
    const b = hex(TWO_TOKENS);
    const m = new StunMessage();
    const f = new FoundTokens();
    f.add(b.ptr, 0); // e.g. an IPv6 option token found before the UDP payload
    expect<i32>(m.findTokens(b.ptr, b.len, DEFAULT_STUN_TOKEN_ATTR, f)).toBe(2);
    expect<i32>(f.count).toBe(3);
    expect<string>(toHex(f.ptr(1), f.len(1))).toBe(TOKEN);
  });

  it("leaves the list as it was when the message turns out malformed", () => {
    // A token, then an attribute running past the end.
    const b = hex("0001 003c 2112a442 " + TXID + tokenAttr(TOKEN) + "80300008 00000000");
    const m = new StunMessage();
    const f = new FoundTokens();
    f.add(1234, 5);
    expect<i32>(m.findTokens(b.ptr, b.len, DEFAULT_STUN_TOKEN_ATTR, f)).toBe(CarrierError.BAD_ATTRIBUTE);
    expect<i32>(f.count).toBe(1);
    expect<usize>(f.ptr(0)).toBe(1234);
    expect<i32>(m.errorOffset).toBe(72);
  });

  it("returns the parse error for what is not one well-formed STUN message", () => {
    for (let i = 0; i < REJECTED.length; i += 3) {
      const b = hex(REJECTED[i]);
      const m = new StunMessage();
      const f = new FoundTokens();
      expect<i32>(m.findTokens(b.ptr, b.len, DEFAULT_STUN_TOKEN_ATTR, f)).toBe(I32.parseInt(REJECTED[i + 1]), REJECTED[i]);
      expect<i32>(f.total).toBe(0, REJECTED[i]);
    }
  });
});
