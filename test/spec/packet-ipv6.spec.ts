import { IpProto, LinkType, MAX_EXTENSIONS, Packet, PacketError, packetDetailText } from "../../assembly/packet/packet";
import { formatIp } from "../../assembly/util/ip";
import { hex, rep, toHex } from "./helpers";
import {
  V6_UDP, V6_CHAIN, V6_LATER_FRAGMENT, V6_LATER_FRAGMENT_DEST_OPTS, V6_ATOMIC_FRAGMENT, V6_HBH_NOT_FIRST,
  V6_8_EXTENSIONS, V6_9_EXTENSIONS, V6_AH, V6_ESP, V6_ICMP, V6_NO_NEXT_HEADER, V6_JUMBOGRAM, V6_TCP,
  atEndOfMemory, hex8, ipv6, off, parseBytes, withByte,
} from "./packet-helpers";

const UDP_1_2 = "0001 0002 0008 0000"; // UDP 1 -> 2, no payload

describe("Packet.parse: IPv6 header", () => {
  it("parses a UDP datagram: header fields, addresses, ports and payload", () => {
    const b = hex(V6_UDP);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.version).toBe(6);
    expect<i32>(off(p.l3, b.ptr)).toBe(0);
    expect<i32>(p.l3Len).toBe(53);
    expect<i32>(p.ipHeaderLen).toBe(40);
    expect<i32>(p.addrLen).toBe(16);
    expect<string>(formatIp(p.src, p.addrLen)).toBe("2001:db8::1");
    expect<string>(formatIp(p.dst, p.addrLen)).toBe("2001:db8::2");
    expect<i32>(p.hopLimit).toBe(63);
    expect<i32>(p.flowLabel).toBe(0x12345);
    expect<i32>(p.extensionCount).toBe(0);
    expect<bool>(p.isFragment).toBe(false);
    expect<i32>(p.proto).toBe(17);
    expect<i32>(off(p.l4, b.ptr)).toBe(40);
    expect<i32>(p.srcPort).toBe(3478);
    expect<i32>(p.dstPort).toBe(50000);
    expect<string>(toHex(p.payload, p.payloadLen)).toBe("68656c6c6f");
  });

  it("points trafficClassOffset at the first two bytes, where bits 4..11 are the traffic class", () => {
    const b = hex(V6_UDP); // 6b 91: traffic class 0xb9, DSCP 46, ECN 1
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(off(p.trafficClassOffset, b.ptr)).toBe(0);
    expect<i32>(p.trafficClass()).toBe(0xb9);
    expect<i32>(p.dscp()).toBe(46);
    expect<i32>(p.ecn()).toBe(1);
  });

  it("parses TCP over IPv6", () => {
    const b = hex(V6_TCP);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.IPV6)).toBe(true);
    expect<i32>(p.srcPort).toBe(40000);
    expect<i32>(p.dstPort).toBe(443);
    expect<i32>(p.tcpFlags).toBe(0x02);
    expect<i32>(p.payloadLen).toBe(0);
  });

  it("ends the walk at ICMPv6: proto 58, no ports", () => {
    const b = hex(V6_ICMP);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.proto).toBe(IpProto.ICMPV6);
    expect<i32>(p.l4Len).toBe(8);
    expect<i32>(p.srcPort).toBe(-1);
    expect<i32>(p.payloadLen).toBe(0);
  });

  it("accepts payload length 0 with No Next Header", () => {
    const b = hex(V6_NO_NEXT_HEADER);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.l3Len).toBe(40);
    expect<i32>(p.proto).toBe(IpProto.NO_NEXT_HEADER);
    expect<i32>(off(p.l4, b.ptr)).toBe(40);
    expect<i32>(p.l4Len).toBe(0);
  });

  it("rejects a jumbogram (payload length 0, Hop-by-Hop header) as JUMBOGRAM", () => {
    const b = hex(V6_JUMBOGRAM);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.JUMBOGRAM);
  });

  it("rejects a payload length beyond the bytes present as TRUNCATED", () => {
    const b = withByte(hex(V6_UDP), 5, 14); // 14 declared, 13 present
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.TRUNCATED);
  });

  it("rejects fewer than 40 bytes as TRUNCATED", () => {
    const b = hex("6000000000003b40 " + rep("00", 31));
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.TRUNCATED);
  });

  it("rejects a UDP length beyond the payload as BAD_L4_HEADER", () => {
    const b = ipv6(17, "0001 0002 0009 0000");
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.BAD_L4_HEADER);
  });
});

describe("Packet.parse: IPv6 extension headers", () => {
  it("walks Hop-by-Hop, Destination Options, Routing, Fragment, Destination Options to UDP", () => {
    const b = hex(V6_CHAIN);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.extensionCount).toBe(5);
    expect<i32>(off(p.hopByHop, b.ptr)).toBe(40);
    expect<i32>(p.hopByHopLen).toBe(8);
    expect<i32>(off(p.destOpts1, b.ptr)).toBe(48);
    expect<i32>(p.destOpts1Len).toBe(8);
    expect<i32>(off(p.routing, b.ptr)).toBe(56);
    expect<i32>(p.routingLen).toBe(24);
    expect<i32>(off(p.fragment, b.ptr)).toBe(80);
    expect<i32>(p.fragmentLen).toBe(8);
    expect<i32>(off(p.destOpts2, b.ptr)).toBe(88);
    expect<i32>(p.destOpts2Len).toBe(16);
    expect<usize>(p.ah).toBe(0);
    expect<i32>(p.proto).toBe(17);
    expect<i32>(off(p.l4, b.ptr)).toBe(104);
    expect<i32>(p.l4Len).toBe(16);
    expect<i32>(p.srcPort).toBe(7000);
    expect<i32>(p.dstPort).toBe(8000);
    expect<string>(toHex(p.payload, p.payloadLen)).toBe("7061796c6f616421"); // "payload!"
  });

  it("lists the whole chain in order with extensionType/Start/Len", () => {
    const b = hex(V6_CHAIN);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    const TYPES: i32[] = [0, 60, 43, 44, 60];
    const STARTS: i32[] = [40, 48, 56, 80, 88];
    const LENS: i32[] = [8, 8, 24, 8, 16];
    for (let i = 0; i < 5; i++) {
      expect<i32>(p.extensionType(i)).toBe(TYPES[i], i.toString());
      expect<i32>(off(p.extensionStart(i), b.ptr)).toBe(STARTS[i], i.toString());
      expect<i32>(p.extensionLen(i)).toBe(LENS[i], i.toString());
    }
    expect<i32>(p.extensionType(5)).toBe(-1);
    expect<usize>(p.extensionStart(-1)).toBe(0);
    expect<i32>(p.extensionLen(5)).toBe(0);
  });

  it("takes a first fragment's Fragment header and goes on to the upper layer", () => {
    const b = hex(V6_CHAIN); // Fragment header: offset 0, M = 1
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<bool>(p.isFragment).toBe(true);
    expect<bool>(p.isFirstFragment).toBe(true);
    expect<bool>(p.moreFragments).toBe(true);
    expect<i32>(p.fragmentOffset).toBe(0);
    expect<u32>(p.fragmentId).toBe(0xabcdef01);
  });

  it("stops at the Fragment header of a later fragment: no L4 header", () => {
    const b = hex(V6_LATER_FRAGMENT);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<bool>(p.isFragment).toBe(true);
    expect<bool>(p.isFirstFragment).toBe(false);
    expect<bool>(p.moreFragments).toBe(false);
    expect<i32>(p.fragmentOffset).toBe(24);
    expect<u32>(p.fragmentId).toBe(0xabcdef01);
    expect<i32>(p.proto).toBe(17);
    expect<i32>(off(p.l4, b.ptr)).toBe(48);
    expect<i32>(p.l4Len).toBe(16);
    expect<i32>(p.srcPort).toBe(-1);
    expect<i32>(p.payloadLen).toBe(0);
  });

  it("reports the Fragment header's next header as proto for a later fragment, even an extension header", () => {
    const b = hex(V6_LATER_FRAGMENT_DEST_OPTS);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.proto).toBe(IpProto.DEST_OPTS);
    expect<i32>(p.extensionCount).toBe(1);
    expect<usize>(p.destOpts2).toBe(0);
    expect<i32>(p.l4Len).toBe(16);
  });

  it("parses an atomic fragment (M = 0, offset 0) as a whole datagram", () => {
    const b = hex(V6_ATOMIC_FRAGMENT);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<bool>(p.isFragment).toBe(false);
    expect<bool>(p.isFirstFragment).toBe(false);
    expect<i32>(off(p.fragment, b.ptr)).toBe(40);
    expect<u32>(p.fragmentId).toBe(5);
    expect<i32>(p.srcPort).toBe(1);
    expect<i32>(p.dstPort).toBe(2);
  });

  it("rejects a Hop-by-Hop header anywhere but first as BAD_IPV6_EXTENSIONS", () => {
    const b = hex(V6_HBH_NOT_FIRST);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.BAD_IPV6_EXTENSIONS);
    expect<string>(packetDetailText(p.detail)).toBe("Hop-by-Hop Options header not directly after the IPv6 header");
  });

  it("walks MAX_EXTENSIONS (8) extension headers", () => {
    const b = hex(V6_8_EXTENSIONS);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(MAX_EXTENSIONS).toBe(8);
    expect<i32>(p.extensionCount).toBe(8);
    expect<i32>(p.srcPort).toBe(1);
    expect<string>(toHex(p.payload, p.payloadLen)).toBe("6f6b");
  });

  it("rejects 9 extension headers as TOO_MANY_EXTENSIONS", () => {
    const b = hex(V6_9_EXTENSIONS);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.TOO_MANY_EXTENSIONS);
  });

  it("walks past an Authentication Header ((n + 2) * 4 bytes) to UDP", () => {
    const b = hex(V6_AH);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(off(p.ah, b.ptr)).toBe(40);
    expect<i32>(p.ahLen).toBe(24);
    expect<i32>(p.proto).toBe(17);
    expect<i32>(p.srcPort).toBe(500);
    expect<i32>(p.dstPort).toBe(4500);
    expect<string>(toHex(p.payload, p.payloadLen)).toBe("696b65");
  });

  it("rejects an Authentication Header that is not a multiple of 8 bytes as BAD_IPV6_EXTENSIONS", () => {
    const b = ipv6(51, "11 01 0000 00000100 00000001 " + UDP_1_2); // (1 + 2) * 4 = 12 bytes
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.BAD_IPV6_EXTENSIONS);
  });

  it("ends the walk at ESP: proto 50, no ports", () => {
    const b = hex(V6_ESP);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.proto).toBe(IpProto.ESP);
    expect<i32>(off(p.l4, b.ptr)).toBe(40);
    expect<i32>(p.l4Len).toBe(24);
    expect<i32>(p.srcPort).toBe(-1);
  });

  it("rejects extension headers longer than the payload length as BAD_IPV6_EXTENSIONS", () => {
    // [next header, payload]
    const CASES: string[] = [
      "60", "11 01 0104 00000000", // Destination Options says 16 bytes, 8 present
      "0", "11 02 0104 00000000 " + rep("00", 8), // Hop-by-Hop says 24, 16 present
      "43", "11 00 0000", // Routing: 8 bytes, 4 present
      "44", "11 00 0000", // Fragment: 8 bytes, 4 present
      "51", "11 04 0000 00000100 00000001", // AH says 24, 12 present
      "60", "11", // not even the length byte
      "60", "3c00 0104 00000000", // a second header with no bytes at all
    ];
    const p = new Packet();
    for (let i = 0; i < CASES.length; i += 2) {
      const b = ipv6(I32.parseInt(CASES[i]), CASES[i + 1]);
      const ptr = atEndOfMemory(b.ptr, b.len); // a length byte read past the datagram would trap
      expect<bool>(p.parse(ptr, b.len, LinkType.RAW)).toBe(false, CASES[i + 1]);
      expect<i32>(p.error).toBe(PacketError.BAD_IPV6_EXTENSIONS, CASES[i + 1]);
    }
  });

  it("rejects a second Fragment header as BAD_IPV6_EXTENSIONS", () => {
    const b = ipv6(44, "2c00 0001 00000001 1100 0001 00000001 " + UDP_1_2);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.BAD_IPV6_EXTENSIONS);
    expect<string>(packetDetailText(p.detail)).toBe("more than one IPv6 Fragment header");
  });

  it("accepts repeated Routing and Destination Options headers (RFC 8200 §4.1) and keeps them all in the chain", () => {
    const b = ipv6(43, "2b00 0000 00000000 3c00 0000 00000000 3c00 0104 00000000 1100 0104 00000000 " + UDP_1_2);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true);
    expect<i32>(p.extensionCount).toBe(4);
    expect<i32>(off(p.routing, b.ptr)).toBe(40); // the first Routing header
    expect<i32>(p.extensionType(1)).toBe(IpProto.ROUTING);
    expect<i32>(off(p.destOpts2, b.ptr)).toBe(64); // the last Destination Options
    expect<usize>(p.destOpts1).toBe(0);
    expect<i32>(p.dstPort).toBe(2);
  });

  it("assigns Destination Options before a Routing header to destOpts1, after every one (or without one) to destOpts2", () => {
    // [chain of 8-byte headers (next header values), index of destOpts1, index of destOpts2, index of routing] (-1: none)
    const CHAINS: string[] = [
      "60", "-1", "0", "-1",
      "60 43", "0", "-1", "1",
      "60 43 60", "0", "2", "1",
      "43 60", "-1", "1", "0",
      "60 60 43 60 60", "0", "4", "2",
      "60 43 60 43", "0", "-1", "1",
      "60 43 60 43 60", "0", "4", "1",
      "0 60 44 60", "-1", "3", "-1",
      "0 60 43 44 60", "1", "4", "2",
    ];
    for (let i = 0; i < CHAINS.length; i += 4) {
      const types = CHAINS[i].split(" ");
      let body = "";
      for (let j = 0; j < types.length; j++) {
        const next = j + 1 < types.length ? I32.parseInt(types[j + 1]) : 17;
        // Fragment: offset 0, M = 0 (atomic); others: length 0 and a PadN of 4 (Routing: type 0, segments left 0)
        if (types[j] == "44") body += hex8(next) + "00 0000 00000009 ";
        else if (types[j] == "43") body += hex8(next) + "00 0000 00000000 ";
        else body += hex8(next) + "00 0104 00000000 ";
      }
      const b = ipv6(I32.parseInt(types[0]), body + UDP_1_2);
      const p = new Packet();
      const what = CHAINS[i];
      expect<bool>(parseBytes(p, b, LinkType.RAW)).toBe(true, what);
      expect<i32>(p.extensionCount).toBe(types.length, what);
      expect<i32>(indexOf(p.destOpts1, b.ptr)).toBe(I32.parseInt(CHAINS[i + 1]), what + " destOpts1");
      expect<i32>(indexOf(p.destOpts2, b.ptr)).toBe(I32.parseInt(CHAINS[i + 2]), what + " destOpts2");
      expect<i32>(indexOf(p.routing, b.ptr)).toBe(I32.parseInt(CHAINS[i + 3]), what + " routing");
      expect<i32>(p.dstPort).toBe(2, what);
    }
  });
});

/** Position in a chain of 8-byte extension headers, or -1. */
function indexOf(view: usize, base: usize): i32 {
  return view == 0 ? -1 : (<i32>(view - base) - 40) / 8;
}
