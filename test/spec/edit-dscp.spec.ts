import { LinkType, Packet } from "../../assembly/packet/packet";
import { DSCP_MAX, setDscp, setIpv4Dscp, setIpv6Dscp } from "../../assembly/packet/dscp";
import { ipv4HeaderChecksum, l4ChecksumValid } from "../../assembly/packet/checksum";
import { toHex } from "./helpers";
import { Frame, compact } from "./edit-helpers";
import { ETH_2_TAGS, V4_OPTIONS, V6_UDP } from "./packet-helpers";

// IPv4 vectors built with python3 (header checksums by an independent
// RFC 1071 sum): IP(tos=ECN, id=0x1234, DF)/UDP(3478 -> 50000)/b"hello",
// and the same with DSCP 46 (EF, RFC 3246): tos = 0xb8 | ECN.
const UDP_PART = " 0d96c350000dfee3 68656c6c6f";
// [ECN 0..3: header with DSCP 0, header with DSCP 46]
const V4_ECN: string[] = [
  "450000211234400040113c61c0000201c6336402", "45b800211234400040113ba9c0000201c6336402",
  "450100211234400040113c60c0000201c6336402", "45b900211234400040113ba8c0000201c6336402",
  "450200211234400040113c5fc0000201c6336402", "45ba00211234400040113ba7c0000201c6336402",
  "450300211234400040113c5ec0000201c6336402", "45bb00211234400040113ba6c0000201c6336402",
];
// IP(tos=2: ECT(0))/TCP(443 -> 51000, "PA")/b"GET /"
const V4_TCP_ECT0 = "4502002d0001400040064e91c0000201c6336402 01bbc73800000001000000025018200010340000 474554202f";

const p = new Packet();

function ipv4ChecksumOk(l3: usize): bool {
  const hl = (<i32>load<u8>(l3) & 15) << 2;
  const stored = (<i32>load<u8>(l3 + 10) << 8) | <i32>load<u8>(l3 + 11);
  return ipv4HeaderChecksum(l3, hl) == stored;
}

// xorshift32 (Marsaglia 2003): a fixed sequence, so a failure reproduces.
let rng: u32 = 0x6e746f6b;
function next(): u32 {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

describe("setDscp on IPv4", () => {
  it("writes DSCP 46 and keeps each of the four ECN values, with the header checksum python computed", () => {
    for (let ecn = 0; ecn < 4; ecn++) {
      const f = new Frame(V4_ECN[ecn * 2] + UDP_PART);
      f.parse(p);
      expect(setDscp(p, 46)).toBe(true);
      expect(f.hex()).toBe(compact(V4_ECN[ecn * 2 + 1] + UDP_PART));
      f.parse(p);
      expect(p.dscp()).toBe(46);
      expect(p.ecn()).toBe(ecn);
    }
  });

  it("keeps the ECN bits when lowering the DSCP to 0", () => {
    for (let ecn = 0; ecn < 4; ecn++) {
      const f = new Frame(V4_ECN[ecn * 2 + 1] + UDP_PART);
      f.parse(p);
      expect(setDscp(p, 0)).toBe(true);
      expect(f.hex()).toBe(compact(V4_ECN[ecn * 2] + UDP_PART));
    }
  });

  it("updates the checksum of a header with options (IHL 9)", () => {
    const f = new Frame(V4_OPTIONS);
    f.parse(p);
    expect(setDscp(p, 34)).toBe(true);
    expect(ipv4ChecksumOk(p.l3)).toBe(true);
    f.parse(p);
    expect(p.dscp()).toBe(34);
  });

  it("matches a full recomputation for 2000 random headers of 20 to 60 bytes", () => {
    const buf = new StaticArray<u8>(60);
    const ptr = changetype<usize>(buf);
    let mismatches = 0;
    for (let i = 0; i < 2000; i++) {
      const words = 5 + <i32>(next() % 11);
      for (let j = 0; j < words * 4; j++) store<u8>(ptr + <usize>j, <u8>next());
      store<u8>(ptr, <u8>(0x40 | words));
      store<u16>(ptr + 10, 0);
      const full = ipv4HeaderChecksum(ptr, words * 4);
      store<u8>(ptr + 10, <u8>(full >> 8));
      store<u8>(ptr + 11, <u8>full);
      const ecn = <i32>load<u8>(ptr + 1) & 3;
      const dscp = <i32>(next() & 63);
      setIpv4Dscp(ptr, dscp);
      if (!ipv4ChecksumOk(ptr)) mismatches++;
      if (<i32>load<u8>(ptr + 1) != ((dscp << 2) | ecn)) mismatches++;
      if (<i32>load<u8>(ptr) != (0x40 | words)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it("leaves the UDP and TCP checksums valid: the pseudo-header has no TOS", () => {
    const f = new Frame(V4_ECN[0] + UDP_PART);
    f.parse(p);
    setDscp(p, 46);
    f.parse(p);
    expect(l4ChecksumValid(p)).toBe(true);
    const t = new Frame(V4_TCP_ECT0);
    t.parse(p);
    setDscp(p, 10);
    t.parse(p);
    expect(l4ChecksumValid(p)).toBe(true);
    expect(p.ecn()).toBe(2);
  });

  it("writes nothing when the DSCP is already the one asked for", () => {
    const f = new Frame(V4_ECN[3] + UDP_PART);
    f.parse(p);
    expect(setDscp(p, 46)).toBe(true);
    expect(f.hex()).toBe(compact(V4_ECN[3] + UDP_PART));
  });
});

describe("setDscp on IPv6", () => {
  it("writes the DSCP across the first two header bytes, keeping version, ECN and flow label", () => {
    // V6_UDP: 6b91 2345, traffic class 0xb9 (DSCP 46, ECN 1), flow label 0x12345
    const f = new Frame(V6_UDP);
    f.parse(p);
    expect(setDscp(p, 10)).toBe(true);
    expect(toHex(p.l3, 4)).toBe("62912345");
    expect(setDscp(p, 0)).toBe(true);
    expect(toHex(p.l3, 4)).toBe("60112345");
    expect(setDscp(p, DSCP_MAX)).toBe(true);
    expect(toHex(p.l3, 4)).toBe("6fd12345");
    f.parse(p);
    expect(p.dscp()).toBe(63);
    expect(p.ecn()).toBe(1);
    expect(p.flowLabel).toBe(0x12345);
    expect(p.version).toBe(6);
  });

  it("keeps each of the four ECN values", () => {
    const f = new Frame(V6_UDP);
    for (let ecn = 0; ecn < 4; ecn++) {
      store<u8>(f.ptr, 0x60);
      store<u8>(f.ptr + 1, <u8>((ecn << 4) | 1));
      setIpv6Dscp(f.ptr, 46);
      f.parse(p);
      expect(p.trafficClass()).toBe(0xb8 | ecn);
      expect(p.flowLabel).toBe(0x12345);
    }
  });

  it("leaves the UDP checksum valid", () => {
    const f = new Frame(V6_UDP);
    f.parse(p);
    setDscp(p, 26);
    f.parse(p);
    expect(l4ChecksumValid(p)).toBe(true);
  });

  it("finds the IPv6 header behind Ethernet and two VLAN tags", () => {
    const f = new Frame(ETH_2_TAGS);
    f.parse(p, LinkType.ETHERNET);
    expect(setDscp(p, 46)).toBe(true);
    expect(toHex(f.ptr, 26)).toBe("02000000000202000000000188a800c88100006486dd" + "6b800000");
  });
});

describe("setDscp refusals", () => {
  it("refuses a DSCP outside 0..63 and writes nothing", () => {
    const f = new Frame(V6_UDP);
    f.parse(p);
    expect(setDscp(p, 64)).toBe(false);
    expect(setDscp(p, -1)).toBe(false);
    expect(f.hex()).toBe(compact(V6_UDP));
  });

  it("refuses a packet without a parsed IP header", () => {
    const f = new Frame("0000");
    p.parse(f.ptr, f.len, LinkType.RAW);
    expect(setDscp(p, 46)).toBe(false);
  });
});
