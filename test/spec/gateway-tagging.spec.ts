import { Gateway, PacketDirection, VERDICT_TAGGED } from "../../assembly/gateway/gateway";
import { GatewayConfig, GatewayConfigParser } from "../../assembly/policy/gateway-config";
import { ConfigParser, setCurrent } from "../../assembly/config";
import { JsonReader } from "../../assembly/json/reader";
import { LinkType, Packet } from "../../assembly/packet/packet";
import { FoundTokens } from "../../assembly/carrier/found";
import { StunMessage } from "../../assembly/carrier/stun";
import { findOptionTokens } from "../../assembly/carrier/ipv6-option";
import { Code } from "../../assembly/result";
import { toHex, utf8 } from "./helpers";
import * as V from "./gateway-vectors";

const NOW: f64 = 1800000000;
const ROOM: i32 = 2048;

function gateway(): Gateway {
  const c = utf8(V.config);
  setCurrent(new ConfigParser().parse(c.ptr, c.len)!);
  const b = utf8(V.gateway);
  const g = new GatewayConfig();
  const parser = new GatewayConfigParser();
  expect<bool>(parser.parse(new JsonReader().parse(b.ptr, b.len)!, g)).toBe(true, parser.error);
  return new Gateway(g);
}

/** A packet in a buffer with room to grow. */
class Frame {
  ptr: usize = heap.alloc(ROOM);
  len: i32 = 0;
  constructor(packetHex: string) {
    this.len = packetHex.length >> 1;
    for (let i = 0; i < this.len; i++) store<u8>(this.ptr + i, <u8>I32.parseInt(packetHex.substr(i << 1, 2), 16));
  }
}

function run(g: Gateway, f: Frame, direction: PacketDirection = PacketDirection.UPSTREAM): void {
  g.process(f.ptr, f.len, LinkType.RAW, direction, NOW, ROOM);
  f.len = g.verdict.length;
}

/** The tokens a fresh parse finds in the frame's IPv6 options. */
function optionTokens(f: Frame): FoundTokens {
  const p = new Packet();
  expect<bool>(p.parse(f.ptr, f.len, LinkType.RAW)).toBe(true);
  const found = new FoundTokens();
  if (p.hopByHopLen > 0) findOptionTokens(p.hopByHop, p.hopByHopLen, 0x1f, found);
  if (p.destOpts2Len > 0) findOptionTokens(p.destOpts2, p.destOpts2Len, 0x1f, found);
  return found;
}

describe("Gateway tagging", () => {
  it("attaches the device's token to every packet as a Hop-by-Hop option when the rule says per packet", () => {
    const g = gateway();
    for (let k = 0; k < 2; k++) {
      const f = new Frame(V.sensor6);
      run(g, f);
      expect<u32>(g.verdict.flags & VERDICT_TAGGED).toBe(VERDICT_TAGGED);
      expect<i32>(f.len).toBeGreaterThan(V.sensor6.length >> 1);
      const found = optionTokens(f);
      expect<i32>(found.count).toBe(1);
      expect<string>(toHex(found.ptr(0), found.len(0))).toBe(V.fleetTag6);
    }
    expect<u64>(g.counters.tagged).toBe(2);
  });

  it("tags only the first packet of a flow when the rule is per flow (Destination Options)", () => {
    const g = gateway();
    const first = new Frame(V.sensor6PerFlow);
    run(g, first);
    expect<i32>(optionTokens(first).count).toBe(1);
    const second = new Frame(V.sensor6PerFlow);
    run(g, second);
    expect<u32>(g.verdict.flags & VERDICT_TAGGED).toBe(0);
    expect<i32>(second.len).toBe(V.sensor6PerFlow.length >> 1);
  });

  it("attaches a token to a LAN device's STUN request as an attribute, and not to its media packets", () => {
    const g = gateway();
    const media = new Frame(V.sensor4Media);
    run(g, media);
    expect<u32>(g.verdict.flags & VERDICT_TAGGED).toBe(0);
    const req = new Frame(V.sensor4Stun);
    run(g, req);
    expect<u32>(g.verdict.flags & VERDICT_TAGGED).toBe(VERDICT_TAGGED);
    const p = new Packet();
    expect<bool>(p.parse(req.ptr, req.len, LinkType.RAW)).toBe(true);
    const found = new FoundTokens();
    expect<i32>(new StunMessage().findTokens(p.payload, p.payloadLen, 0x8030, found)).toBe(1);
    expect<string>(toHex(found.ptr(0), found.len(0))).toBe(V.fleetTag4);
  });

  it("passes a packet untagged and counts it when the token would exceed the MTU", () => {
    const g = gateway();
    const f = new Frame(V.sensor6Big);
    run(g, f);
    expect<i32>(g.verdict.code).toBe(Code.TAG_TOO_LARGE);
    expect<i32>(f.len).toBe(V.sensor6Big.length >> 1);
    expect<u64>(g.counters.tagTooLarge).toBe(1);
  });

  it("does not tag downstream packets", () => {
    const g = gateway();
    const f = new Frame(V.sensor6Reply);
    run(g, f, PacketDirection.DOWNSTREAM);
    expect<u32>(g.verdict.flags & VERDICT_TAGGED).toBe(0);
  });

  it("does not tag packets the rules do not name (another port)", () => {
    const g = gateway();
    const f = new Frame(V.sensor6OtherPort);
    run(g, f);
    expect<u32>(g.verdict.flags & VERDICT_TAGGED).toBe(0);
  });

  it("cannot grow a packet given no room, and leaves it as it was", () => {
    const g = gateway();
    const f = new Frame(V.sensor6);
    g.process(f.ptr, f.len, LinkType.RAW, PacketDirection.UPSTREAM, NOW);
    expect<u32>(g.verdict.flags & VERDICT_TAGGED).toBe(0);
    expect<i32>(g.verdict.length).toBe(f.len);
  });
});
