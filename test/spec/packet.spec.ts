import { LinkType, Packet, PacketError, packetDetailText } from "../../assembly/packet/packet";
import { PacketDetail, PACKET_DETAIL_COUNT } from "../../assembly/packet-detail-text";
import { formatIp } from "../../assembly/util/ip";
import { hex, rep, toHex } from "./helpers";
import {
  V4_UDP, V4_OPTIONS, V4_TCP_OPTIONS, V4_TCP_SYN, V4_FIRST_FRAGMENT, V4_SECOND_FRAGMENT, V6_UDP, V6_CHAIN,
  ipv4, off, parseBytes, withByte, withTrailer,
} from "./packet-helpers";

describe("Packet.parse: IPv4", () => {
  it("parses a UDP datagram: header fields, addresses, ports and payload", () => {
    const b = hex(V4_UDP);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.error).toBe(PacketError.NONE);
    expect<string>(packetDetailText(p.detail)).toBe("");
    expect<i32>(p.version).toBe(4);
    expect<i32>(off(p.l3, b.ptr)).toBe(0);
    expect<i32>(p.l3Len).toBe(33);
    expect<i32>(p.ipHeaderLen).toBe(20);
    expect<i32>(p.addrLen).toBe(4);
    expect<string>(formatIp(p.src, p.addrLen)).toBe("192.0.2.1");
    expect<string>(formatIp(p.dst, p.addrLen)).toBe("198.51.100.2");
    expect<i32>(p.hopLimit).toBe(64);
    expect<u32>(p.fragmentId).toBe(0x1234);
    expect<bool>(p.dontFragment).toBe(true);
    expect<bool>(p.moreFragments).toBe(false);
    expect<bool>(p.isFragment).toBe(false);
    expect<bool>(p.isFirstFragment).toBe(false);
    expect<i32>(p.proto).toBe(17);
    expect<i32>(off(p.l4, b.ptr)).toBe(20);
    expect<i32>(p.l4Len).toBe(13);
    expect<i32>(p.srcPort).toBe(3478);
    expect<i32>(p.dstPort).toBe(50000);
    expect<i32>(p.tcpFlags).toBe(-1);
    expect<i32>(off(p.payload, b.ptr)).toBe(28);
    expect<string>(toHex(p.payload, p.payloadLen)).toBe("68656c6c6f"); // "hello"
    expect<i32>(p.extensionCount).toBe(0);
    expect<i32>(p.etherType).toBe(-1);
    expect<i32>(p.flowLabel).toBe(0);
  });

  it("points trafficClassOffset at the TOS byte and splits it into DSCP and ECN", () => {
    const b = hex(V4_UDP); // TOS 0xb9: DSCP 46 (EF), ECN 1 (ECT(1))
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(off(p.trafficClassOffset, b.ptr)).toBe(1);
    expect<i32>(p.trafficClass()).toBe(0xb9);
    expect<i32>(p.dscp()).toBe(46);
    expect<i32>(p.ecn()).toBe(1);
  });

  it("skips options as far as the IHL says", () => {
    const b = hex(V4_OPTIONS);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.ipHeaderLen).toBe(36);
    expect<i32>(off(p.l4, b.ptr)).toBe(36);
    expect<i32>(p.srcPort).toBe(1234);
    expect<i32>(p.dstPort).toBe(53);
    expect<string>(toHex(p.payload, p.payloadLen)).toBe("616263");
  });

  it("parses TCP with options: the payload starts at the data offset", () => {
    const b = hex(V4_TCP_OPTIONS);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.proto).toBe(6);
    expect<i32>(p.srcPort).toBe(443);
    expect<i32>(p.dstPort).toBe(51000);
    expect<i32>(p.tcpFlags).toBe(0x18); // PSH ACK
    expect<i32>(off(p.payload, b.ptr)).toBe(20 + 32);
    expect<string>(toHex(p.payload, p.payloadLen)).toBe("474554202f"); // "GET /"
  });

  it("parses a TCP SYN whose 40-byte header fills the datagram: empty payload", () => {
    const b = hex(V4_TCP_SYN);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.tcpFlags).toBe(0x02);
    expect<i32>(off(p.payload, b.ptr)).toBe(60);
    expect<i32>(p.payloadLen).toBe(0);
  });

  it("parses L4 in a first fragment, where the UDP length may exceed the fragment", () => {
    const b = hex(V4_FIRST_FRAGMENT); // UDP length 108, 48 bytes of IP payload
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<bool>(p.isFragment).toBe(true);
    expect<bool>(p.isFirstFragment).toBe(true);
    expect<bool>(p.moreFragments).toBe(true);
    expect<i32>(p.fragmentOffset).toBe(0);
    expect<u32>(p.fragmentId).toBe(0x4242);
    expect<i32>(p.srcPort).toBe(5000);
    expect<i32>(p.dstPort).toBe(6000);
    expect<i32>(p.payloadLen).toBe(40);
  });

  it("parses no L4 header in a later fragment: ports -1, no payload", () => {
    const b = hex(V4_SECOND_FRAGMENT);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<bool>(p.isFragment).toBe(true);
    expect<bool>(p.isFirstFragment).toBe(false);
    expect<i32>(p.fragmentOffset).toBe(48);
    expect<i32>(p.proto).toBe(17);
    expect<i32>(off(p.l4, b.ptr)).toBe(20);
    expect<i32>(p.l4Len).toBe(48);
    expect<i32>(p.srcPort).toBe(-1);
    expect<i32>(p.dstPort).toBe(-1);
    expect<usize>(p.payload).toBe(0);
    expect<i32>(p.payloadLen).toBe(0);
  });

  it("treats offset 0 without MF as a whole datagram, and MF or an offset as a fragment", () => {
    // [flags and offset field, isFragment, isFirstFragment]
    const FLAGS: i32[] = [0x0000, 0, 0, 0x4000, 0, 0, 0x2000, 1, 1, 0x0001, 1, 0, 0x2001, 1, 0, 0x1fff, 1, 0];
    for (let i = 0; i < FLAGS.length; i += 3) {
      const base = hex(V4_UDP);
      const b = withByte(withByte(base, 6, FLAGS[i] >> 8), 7, FLAGS[i] & 0xff);
      const p = new Packet();
      const what = FLAGS[i].toString(16);
      expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true, what);
      expect<bool>(p.isFragment).toBe(FLAGS[i + 1] == 1, what);
      expect<bool>(p.isFirstFragment).toBe(FLAGS[i + 2] == 1, what);
      expect<i32>(p.fragmentOffset).toBe((FLAGS[i] & 0x1fff) * 8, what);
    }
  });

  it("rejects a first fragment too short for the TCP header as BAD_L4_HEADER", () => {
    // MF, offset 0, 8 bytes of TCP: the flags would be in the next fragment (RFC 1858)
    const b = hex("4500001c 0001 2000 4006 0000 c0000201 c6336402 01bbc73800000001");
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.BAD_L4_HEADER);
  });

  it("ignores bytes after the total length", () => {
    const b = withTrailer(hex(V4_UDP), "000000");
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.l3Len).toBe(33);
    expect<i32>(p.l4Len).toBe(13);
    expect<i32>(p.payloadLen).toBe(5);
  });

  it("rejects a total length below the header length (IHL) as BAD_IPV4_HEADER", () => {
    const INPUTS: string[] = [
      "45000013 00010000 40110000 c0000201 c6336402 00", // 19 < 20
      "46000014 00010000 40110000 c0000201 c6336402 00000000", // 20 < 24
      "4f000030 00010000 40110000 c0000201 c6336402" + rep("00", 28), // 48 < 60
    ];
    for (let i = 0; i < INPUTS.length; i++) {
      const b = hex(INPUTS[i]);
      const p = new Packet();
      expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false, INPUTS[i]);
      expect<i32>(p.error).toBe(PacketError.BAD_IPV4_HEADER, INPUTS[i]);
      expect<string>(packetDetailText(p.detail)).toBe("IPv4 total length below the header length", INPUTS[i]);
    }
  });

  it("rejects an IHL below 5 as BAD_IPV4_HEADER", () => {
    for (let ihl = 0; ihl < 5; ihl++) {
      const b = withByte(hex(V4_UDP), 0, 0x40 | ihl);
      const p = new Packet();
      expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false, ihl.toString());
      expect<i32>(p.error).toBe(PacketError.BAD_IPV4_HEADER, ihl.toString());
    }
  });

  it("rejects a total length beyond the bytes present as TRUNCATED", () => {
    const b = withByte(hex(V4_UDP), 3, 34); // 34 declared, 33 present
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.TRUNCATED);
  });

  it("rejects an IPv4 header shorter than 20 bytes as TRUNCATED", () => {
    const b = hex("45000013 00010000 40110000 c0000201 c63364");
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.TRUNCATED);
  });
});

describe("Packet.parse: UDP and TCP headers", () => {
  it("rejects a UDP length larger than the IP payload as BAD_L4_HEADER", () => {
    const b = withByte(hex(V4_UDP), 20 + 5, 14); // 14 declared, 13 present
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.BAD_L4_HEADER);
    expect<string>(packetDetailText(p.detail)).toBe("UDP length beyond the IP payload");
  });

  it("ends the UDP payload at a UDP length smaller than the IP payload", () => {
    const b = ipv4(17, "0d96c350 000b 0000 616263 ffff"); // UDP length 11: 3 bytes of payload, 2 after it
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.l4Len).toBe(13);
    expect<string>(toHex(p.payload, p.payloadLen)).toBe("616263");
  });

  it("rejects a UDP length below 8 as BAD_L4_HEADER", () => {
    for (let len = 0; len < 8; len++) {
      const b = ipv4(17, "0d96c350 00" + (<u8>len).toString(16).padStart(2, "0") + " 0000");
      const p = new Packet();
      expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false, len.toString());
      expect<i32>(p.error).toBe(PacketError.BAD_L4_HEADER, len.toString());
    }
  });

  it("rejects an IP payload too short for the UDP header as BAD_L4_HEADER", () => {
    const b = ipv4(17, "0d96c350 0008 00");
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.BAD_L4_HEADER);
  });

  it("rejects a TCP data offset of 4 (or less) as BAD_L4_HEADER", () => {
    for (let doff = 0; doff < 5; doff++) {
      const b = withByte(hex(V4_TCP_OPTIONS), 20 + 12, doff << 4);
      const p = new Packet();
      expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false, doff.toString());
      expect<i32>(p.error).toBe(PacketError.BAD_L4_HEADER, doff.toString());
      expect<string>(packetDetailText(p.detail)).toBe("TCP data offset below 5", doff.toString());
    }
  });

  it("rejects a TCP data offset beyond the IP payload as BAD_L4_HEADER", () => {
    const b = withByte(hex(V4_TCP_OPTIONS), 20 + 12, 0xa0); // 40 bytes of header, 37 bytes of TCP
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.BAD_L4_HEADER);
    expect<string>(packetDetailText(p.detail)).toBe("TCP data offset beyond the IP payload");
  });

  it("accepts a TCP data offset that ends exactly at the datagram end", () => {
    const b = withByte(hex(V4_TCP_OPTIONS), 20 + 12, 0x90); // 36 of 37 bytes
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.payloadLen).toBe(1);
  });

  it("rejects an IP payload shorter than 20 bytes for TCP as BAD_L4_HEADER", () => {
    const b = ipv4(6, "01bbc738 00000001 00000002 5018 2000 0000"); // 18 bytes
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.BAD_L4_HEADER);
  });

  it("does not verify the IPv4 header or L4 checksums", () => {
    const b = withByte(withByte(withByte(hex(V4_UDP), 10, 0), 11, 0), 26, 0x5a);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    const t = withByte(hex(V4_TCP_OPTIONS), 20 + 16, 0x00);
    expect<bool>(parseBytes(p, t, LinkType.RAW)).toBe(true);
  });

  it("leaves ports -1 and the payload empty for other protocols (ICMP)", () => {
    const b = ipv4(1, "0800f7ff00000000");
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.proto).toBe(1);
    expect<i32>(p.l4Len).toBe(8);
    expect<i32>(p.srcPort).toBe(-1);
    expect<i32>(p.dstPort).toBe(-1);
    expect<i32>(p.payloadLen).toBe(0);
  });
});

describe("Packet.parse: raw link types", () => {
  it("RAW decides the version by the first nibble", () => {
    const p = new Packet();
    const v4 = hex(V4_UDP);
    expect<bool>(parseBytes(p, v4, LinkType.RAW)).toBe(true);
    expect<i32>(p.version).toBe(4);
    const v6 = hex(V6_UDP);
    expect<bool>(parseBytes(p, v6, LinkType.RAW)).toBe(true);
    expect<i32>(p.version).toBe(6);
  });

  it("RAW rejects versions other than 4 and 6 as BAD_IP_VERSION", () => {
    const VERSIONS: i32[] = [0, 1, 2, 3, 5, 7, 8, 15];
    for (let i = 0; i < VERSIONS.length; i++) {
      const b = withByte(hex(V4_UDP), 0, (VERSIONS[i] << 4) | 5);
      const p = new Packet();
      expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false, VERSIONS[i].toString());
      expect<i32>(p.error).toBe(PacketError.BAD_IP_VERSION, VERSIONS[i].toString());
    }
  });

  it("IPV4 and IPV6 link types accept their own version and reject the other as BAD_IP_VERSION", () => {
    const p = new Packet();
    const v4 = hex(V4_UDP);
    const v6 = hex(V6_UDP);
    expect<bool>(parseBytes(p, v4, LinkType.IPV4)).toBe(true);
    expect<bool>(parseBytes(p, v6, LinkType.IPV6)).toBe(true);
    expect<bool>(parseBytes(p, v6, LinkType.IPV4)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.BAD_IP_VERSION);
    expect<bool>(parseBytes(p, v4, LinkType.IPV6)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.BAD_IP_VERSION);
  });

  it("rejects an empty packet as TRUNCATED", () => {
    const b = hex("");
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.TRUNCATED);
  });

  it("rejects a negative length as TRUNCATED", () => {
    const b = hex(V4_UDP);
    const p = new Packet();
    expect<bool>(p.parse(b.ptr, -1, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.TRUNCATED);
  });

  it("rejects link types other than Ethernet, raw IP and Linux cooked as UNSUPPORTED_LINK", () => {
    const LINKS: i32[] = [0, 105, 127, 12, 14, 228 + 2];
    for (let i = 0; i < LINKS.length; i++) {
      const b = hex(V4_UDP);
      const p = new Packet();
      expect<bool>(parseBytes(p, b, <LinkType>LINKS[i])).toBe(false, LINKS[i].toString());
      expect<i32>(p.error).toBe(PacketError.UNSUPPORTED_LINK, LINKS[i].toString());
    }
  });
});

describe("Packet reuse", () => {
  it("starts clean after a failed parse", () => {
    const p = new Packet();
    const bad = hex("46");
    expect<bool>(parseBytes(p, bad, LinkType.RAW)).toBe(false);
    const good = hex(V4_UDP);
    expect<bool>(parseBytes(p, good, LinkType.RAW)).toBe(true);
    expect<i32>(p.error).toBe(PacketError.NONE);
    expect<string>(packetDetailText(p.detail)).toBe("");
  });

  it("keeps nothing of the previous packet", () => {
    const p = new Packet();
    const chain = hex(V6_CHAIN);
    expect<bool>(parseBytes(p, chain, LinkType.RAW)).toBe(true);
    const v4 = hex(V4_TCP_OPTIONS);
    expect<bool>(parseBytes(p, v4, LinkType.RAW)).toBe(true);
    expect<i32>(p.extensionCount).toBe(0);
    expect<usize>(p.hopByHop).toBe(0);
    expect<usize>(p.fragment).toBe(0);
    expect<usize>(p.destOpts2).toBe(0);
    expect<bool>(p.isFragment).toBe(false);
    expect<i32>(p.flowLabel).toBe(0);
    expect<i32>(p.extensionType(0)).toBe(-1);
    const v6 = hex(V6_UDP);
    expect<bool>(parseBytes(p, v6, LinkType.RAW)).toBe(true);
    expect<i32>(p.tcpFlags).toBe(-1);
    expect<i32>(p.ipHeaderLen).toBe(40);
  });

  it("keeps the first failure's detail", () => {
    const p = new Packet();
    const b = hex("55");
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<bool>(p.fail(PacketError.TRUNCATED, PacketDetail.NO_IP_HEADER)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.BAD_IP_VERSION);
    expect<string>(packetDetailText(p.detail)).toBe("IP version is neither 4 nor 6");
  });
});

describe("packetDetailText", () => {
  it("says every detail in words, nothing for NONE or an unknown one", () => {
    expect<string>(packetDetailText(PacketDetail.NONE)).toBe("");
    for (let d = 1; d < PACKET_DETAIL_COUNT; d++) expect<bool>(packetDetailText(d).length > 0).toBe(true, d.toString());
    expect<string>(packetDetailText(<PacketDetail>PACKET_DETAIL_COUNT)).toBe("");
    expect<string>(packetDetailText(<PacketDetail>-1)).toBe("");
    expect<string>(packetDetailText(PacketDetail.IPV6_JUMBOGRAM)).toBe("IPv6 jumbogram (payload length 0 with Hop-by-Hop options) is not supported");
  });
});
