import { LinkType, MAX_VLAN_TAGS, Packet, PacketError } from "../../assembly/packet/packet";
import { formatIp } from "../../assembly/util/ip";
import { hex, toHex } from "./helpers";
import {
  ETH_V4, ETH_1_TAG, ETH_2_TAGS, ETH_3_TAGS, ETH_ARP, ETH_PADDED, SLL_V4, SLL_V4_TAG, SLL2_V6, V4_UDP, V6_UDP,
  off, parseBytes, withByte,
} from "./packet-helpers";

describe("Packet.parse: Ethernet", () => {
  it("finds IPv4 after a 14-byte header without tags", () => {
    const b = hex(ETH_V4);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.ETHERNET)).toBe(true);
    expect<i32>(p.link).toBe(LinkType.ETHERNET);
    expect<i32>(p.etherType).toBe(0x0800);
    expect<i32>(p.vlanCount).toBe(0);
    expect<i32>(p.outerVlanId).toBe(-1);
    expect<i32>(p.innerVlanId).toBe(-1);
    expect<i32>(off(p.l3, b.ptr)).toBe(14);
    expect<i32>(off(p.frame, b.ptr)).toBe(0);
    expect<i32>(p.frameLen).toBe(47);
    expect<string>(formatIp(p.src, p.addrLen)).toBe("192.0.2.1");
    expect<i32>(p.srcPort).toBe(3478);
    expect<i32>(p.dstPort).toBe(50000);
    expect<string>(toHex(p.payload, p.payloadLen)).toBe("68656c6c6f");
  });

  it("walks one 802.1Q tag", () => {
    const b = hex(ETH_1_TAG);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.ETHERNET)).toBe(true);
    expect<i32>(p.vlanCount).toBe(1);
    expect<i32>(p.outerVlanId).toBe(100);
    expect<i32>(p.innerVlanId).toBe(-1);
    expect<i32>(p.etherType).toBe(0x0800);
    expect<i32>(off(p.l3, b.ptr)).toBe(18);
    expect<i32>(p.dstPort).toBe(50000);
  });

  it("walks two tags (802.1ad outer, 802.1Q inner) to IPv6", () => {
    const b = hex(ETH_2_TAGS);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.ETHERNET)).toBe(true);
    expect<i32>(p.vlanCount).toBe(MAX_VLAN_TAGS);
    expect<i32>(p.outerVlanId).toBe(200);
    expect<i32>(p.innerVlanId).toBe(100);
    expect<i32>(p.etherType).toBe(0x86dd);
    expect<i32>(p.version).toBe(6);
    expect<i32>(off(p.l3, b.ptr)).toBe(22);
    expect<i32>(p.dstPort).toBe(50000);
  });

  it("rejects a third tag as TOO_MANY_VLAN_TAGS", () => {
    const b = hex(ETH_3_TAGS);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.ETHERNET)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.TOO_MANY_VLAN_TAGS);
  });

  it("rejects ARP as NOT_IP", () => {
    const b = hex(ETH_ARP);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.ETHERNET)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.NOT_IP);
    expect<i32>(p.etherType).toBe(0x0806);
  });

  it("rejects other ethertypes and 802.3 length fields as NOT_IP, after tags too", () => {
    const INPUTS: string[] = [
      "020000000002 020000000001 0026 4242 03 " + V4_UDP, // 802.3 length 38, LLC
      "020000000002 020000000001 88cc " + V4_UDP, // LLDP
      "020000000002 020000000001 8864 " + V4_UDP, // PPPoE session
      "020000000002 020000000001 8100 0064 0806 " + V4_UDP, // tagged ARP
    ];
    for (let i = 0; i < INPUTS.length; i++) {
      const b = hex(INPUTS[i]);
      const p = new Packet();
      expect<bool>(parseBytes(p, b, LinkType.ETHERNET)).toBe(false, INPUTS[i]);
      expect<i32>(p.error).toBe(PacketError.NOT_IP, INPUTS[i]);
    }
  });

  it("ignores padding after a short IPv4 packet", () => {
    const b = hex(ETH_PADDED); // 29-byte datagram in a 60-byte frame
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.ETHERNET)).toBe(true);
    expect<i32>(p.frameLen).toBe(60);
    expect<i32>(p.l3Len).toBe(29);
    expect<i32>(p.l4Len).toBe(9);
    expect<string>(toHex(p.payload, p.payloadLen)).toBe("70");
  });

  it("rejects an IP version that differs from the ethertype as BAD_IP_VERSION", () => {
    const b = hex("020000000002 020000000001 86dd " + V4_UDP);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.ETHERNET)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.BAD_IP_VERSION);
    const b2 = hex("020000000002 020000000001 0800 " + V6_UDP);
    expect<bool>(parseBytes(p, b2, LinkType.ETHERNET)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.BAD_IP_VERSION);
  });

  it("rejects truncated link headers as TRUNCATED", () => {
    const INPUTS: string[] = [
      "020000000002 020000000001 08", // 13 bytes
      "020000000002 020000000001 0800", // header only: no IP header
      "020000000002 020000000001 8100 0064 08", // tag cut short
      "020000000002 020000000001 88a8 00c8 8100", // second tag missing
    ];
    for (let i = 0; i < INPUTS.length; i++) {
      const b = hex(INPUTS[i]);
      const p = new Packet();
      expect<bool>(parseBytes(p, b, LinkType.ETHERNET)).toBe(false, INPUTS[i]);
      expect<i32>(p.error).toBe(PacketError.TRUNCATED, INPUTS[i]);
    }
  });
});

describe("Packet.parse: Linux cooked captures", () => {
  it("SLL: reads the protocol at offset 14 and finds IP at 16", () => {
    const b = hex(SLL_V4);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.LINUX_SLL)).toBe(true);
    expect<i32>(p.etherType).toBe(0x0800);
    expect<i32>(off(p.l3, b.ptr)).toBe(16);
    expect<i32>(p.version).toBe(4);
    expect<i32>(p.srcPort).toBe(3478);
    expect<string>(toHex(p.payload, p.payloadLen)).toBe("68656c6c6f");
  });

  it("SLL: walks a VLAN tag libpcap re-inserted at the protocol field", () => {
    const b = hex(SLL_V4_TAG);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.LINUX_SLL)).toBe(true);
    expect<i32>(p.vlanCount).toBe(1);
    expect<i32>(p.outerVlanId).toBe(100);
    expect<i32>(off(p.l3, b.ptr)).toBe(20);
    expect<i32>(p.dstPort).toBe(50000);
  });

  it("SLL2: reads the protocol at offset 0 and finds IP at 20", () => {
    const b = hex(SLL2_V6);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.LINUX_SLL2)).toBe(true);
    expect<i32>(p.etherType).toBe(0x86dd);
    expect<i32>(off(p.l3, b.ptr)).toBe(20);
    expect<i32>(p.version).toBe(6);
    expect<string>(formatIp(p.dst, p.addrLen)).toBe("2001:db8::2");
    expect<i32>(p.dstPort).toBe(50000);
  });

  it("rejects non-IP protocols as NOT_IP", () => {
    const sll = withByte(withByte(hex(SLL_V4), 14, 0x08), 15, 0x06);
    const p = new Packet();
    expect<bool>(parseBytes(p, sll, LinkType.LINUX_SLL)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.NOT_IP);
    const sll2 = withByte(withByte(hex(SLL2_V6), 0, 0x00), 1, 0x04); // 802.2 LLC
    expect<bool>(parseBytes(p, sll2, LinkType.LINUX_SLL2)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.NOT_IP);
  });

  it("rejects headers shorter than 16 (SLL) or 20 (SLL2) bytes as TRUNCATED", () => {
    const p = new Packet();
    const sll = hex("0000 0001 0006 0200000000010000 08");
    expect<bool>(parseBytes(p, sll, LinkType.LINUX_SLL)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.TRUNCATED);
    const sll2 = hex("86dd 0000 00000003 0001 04 06 02000000000100");
    expect<bool>(parseBytes(p, sll2, LinkType.LINUX_SLL2)).toBe(false);
    expect<i32>(p.error).toBe(PacketError.TRUNCATED);
  });

  it("does not take an SLL frame for Ethernet: the link type decides", () => {
    const b = hex(SLL_V4);
    const p = new Packet();
    expect<bool>(parseBytes(p, b, LinkType.ETHERNET)).toBe(false); // ethertype 0x0000 at offset 12
    expect<i32>(p.error).toBe(PacketError.NOT_IP);
  });
});
