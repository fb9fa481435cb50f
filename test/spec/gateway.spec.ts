import { RevokedIds } from "../../assembly/revoked";
import { Gateway, Action, PacketDirection, VERDICT_NEW_FLOW, VERDICT_VERIFIED, VERDICT_CACHED, VERDICT_REWRITTEN } from "../../assembly/gateway/gateway";
import { GatewayConfig, GatewayConfigParser } from "../../assembly/policy/gateway-config";
import { ConfigParser, setCurrent } from "../../assembly/config";
import { JsonReader } from "../../assembly/json/reader";
import { LinkType } from "../../assembly/packet/packet";
import { Code } from "../../assembly/result";
import { hex, utf8, Bytes } from "./helpers";
import * as V from "./gateway-vectors";

const NOW: f64 = 1800000000;

function configure(): void {
  const b = utf8(V.config);
  const cfg = new ConfigParser().parse(b.ptr, b.len);
  expect<bool>(cfg != null).toBe(true);
  setCurrent(cfg!);
}

function gatewayConfig(): GatewayConfig {
  const b = utf8(V.gateway);
  const root = new JsonReader().parse(b.ptr, b.len);
  const g = new GatewayConfig();
  const parser = new GatewayConfigParser();
  expect<bool>(parser.parse(root!, g)).toBe(true, parser.error);
  return g;
}

function gateway(): Gateway {
  configure();
  return new Gateway(gatewayConfig());
}

/** Runs a packet given as hex at `now`; returns the bytes (rewritten in place). */
function run(g: Gateway, packetHex: string, now: f64 = NOW): Bytes {
  const b = hex(packetHex);
  g.process(b.ptr, b.len, LinkType.RAW, PacketDirection.UNKNOWN, now);
  return b;
}

/** The IPv4 TOS byte / IPv6 traffic class of a packet. */
function tos4(b: Bytes): i32 { return load<u8>(b.ptr + 1); }
function tclass6(b: Bytes): i32 { return ((<i32>load<u8>(b.ptr) << 8 | load<u8>(b.ptr + 1)) >> 4) & 0xff; }

describe("Gateway: a flow with a valid token", () => {
  it("decides a new flow from the token in its first STUN request: service mark and DSCP EF", () => {
    const g = gateway();
    const b = run(g, V.stunGood);
    const v = g.verdict;
    expect<i32>(v.code).toBe(Code.OK);
    expect<u32>(v.mark).toBe(16);
    expect<i32>(v.dscp).toBe(46);
    expect<u32>(v.flags & (VERDICT_NEW_FLOW | VERDICT_VERIFIED | VERDICT_REWRITTEN)).toBe(VERDICT_NEW_FLOW | VERDICT_VERIFIED | VERDICT_REWRITTEN);
    expect<i32>(tos4(b)).toBe((46 << 2) | 1); // ECN (ECT(1)) untouched
  });

  it("marks every later packet of the flow on the fast path, without verifying again", () => {
    const g = gateway();
    run(g, V.stunGood);
    const b = run(g, V.mediaUp);
    expect<i32>(g.verdict.code).toBe(Code.OK);
    expect<u32>(g.verdict.mark).toBe(16);
    expect<u32>(g.verdict.flags & VERDICT_VERIFIED).toBe(0);
    expect<i32>(tos4(b)).toBe((46 << 2) | 2); // ECT(0) kept
    expect<u64>(g.counters.verifications).toBe(1);
    expect<u64>(g.counters.fastPath).toBe(1);
  });

  it("marks the reply direction too, from the same flow", () => {
    const g = gateway();
    run(g, V.stunGood);
    const first = g.verdict.flow;
    const b = run(g, V.mediaDown);
    expect<i32>(g.verdict.flow).toBe(first);
    expect<u32>(g.verdict.mark).toBe(16);
    expect<i32>(tos4(b)).toBe(46 << 2);
  });

  it("verifies a token seen again on another flow from the cache: a hash and a lookup", () => {
    const g = gateway();
    run(g, V.stunGood);
    // The same token from the same phone, another 5-tuple (the second test flow's port differs).
    run(g, V.stunGood.slice(0, 40) + "c351" + V.stunGood.slice(44)); // source port 50001
    expect<i32>(g.verdict.code).toBe(Code.OK);
    expect<u32>(g.verdict.flags & VERDICT_CACHED).toBe(VERDICT_CACHED);
    expect<u64>(g.counters.verifications).toBe(1);
  });

  it("loses the mark when the token's exp (plus leeway) passes mid-flow", () => {
    const g = gateway();
    run(g, V.stunGood, V.EXP - 100);
    expect<u32>(g.verdict.mark).toBe(16);
    const b = run(g, V.mediaUp, V.EXP + 61);
    expect<i32>(g.verdict.code).toBe(Code.EXPIRED);
    expect<u32>(g.verdict.mark).toBe(1);
    expect<i32>(tos4(b)).toBe(2); // not rewritten any more
    expect<u64>(g.counters.lostAtExpiry).toBe(1);
  });

  it("accepts an IPv6 token in a Hop-by-Hop option bound to the sender's /64", () => {
    const g = gateway();
    const b = run(g, V.v6Hbh);
    expect<i32>(g.verdict.code).toBe(Code.OK);
    expect<u32>(g.verdict.mark).toBe(16);
    expect<i32>(tclass6(b)).toBe(46 << 2);
  });

  it("accepts a reflected token (type 2) bound to the packet's destination", () => {
    const g = gateway();
    run(g, V.stunReflected);
    expect<i32>(g.verdict.code).toBe(Code.OK);
    expect<u32>(g.verdict.mark).toBe(16);
  });
});

describe("Gateway: flows without a valid token", () => {
  it("rejects a token used from another address than its bip", () => {
    const g = gateway();
    const b = run(g, V.stunOtherSource);
    expect<i32>(g.verdict.code).toBe(Code.WRONG_BINDING);
    expect<u32>(g.verdict.mark).toBe(2);
    expect<i32>(tos4(b)).toBe(0);
  });

  it("rejects an IPv6 token sent from outside its bound /64", () => {
    const g = gateway();
    run(g, V.v6HbhOtherPrefix);
    expect<i32>(g.verdict.code).toBe(Code.WRONG_BINDING);
  });

  it("rejects a forged token with bad-mac", () => {
    const g = gateway();
    run(g, V.stunForged);
    expect<i32>(g.verdict.code).toBe(Code.BAD_MAC);
    expect<u32>(g.verdict.mark).toBe(2);
  });

  it("rejects an expired token", () => {
    const g = gateway();
    run(g, V.stunExpired);
    expect<i32>(g.verdict.code).toBe(Code.EXPIRED);
    expect<i32>(g.verdict.dscp).toBe(0);
    expect<u32>(g.verdict.flags & VERDICT_REWRITTEN).toBe(0);
  });

  it("rejects a revoked token", () => {
    const g = gateway();
    run(g, V.stunRevoked);
    expect<i32>(g.verdict.code).toBe(Code.REVOKED);
  });

  it("rejects a token for a service the policy does not know", () => {
    const g = gateway();
    run(g, V.stunUnknownService);
    expect<i32>(g.verdict.code).toBe(Code.UNKNOWN_SERVICE);
  });

  it("requires exp on the packet path", () => {
    const g = gateway();
    run(g, V.stunNoExp);
    expect<i32>(g.verdict.code).toBe(Code.MISSING_CLAIM);
  });

  it("gives a flow without any token the no-token mark", () => {
    const g = gateway();
    run(g, V.stunNoToken);
    expect<i32>(g.verdict.code).toBe(Code.NO_TOKEN);
    expect<u32>(g.verdict.mark).toBe(1);
    expect<i32>(g.verdict.dscp).toBe(0);
    expect<u32>(g.verdict.flags & VERDICT_REWRITTEN).toBe(0);
  });

  it("washes a premium DSCP from a flow without a token, keeping ECN", () => {
    const g = gateway();
    const b = run(g, V.premarkedNoToken);
    expect<i32>(g.verdict.code).toBe(Code.WASHED);
    expect<u32>(g.verdict.mark).toBe(3);
    expect<i32>(tos4(b)).toBe(1);
  });

  it("upgrades a flow when a token arrives in a later packet", () => {
    const g = gateway();
    run(g, V.mediaUp);
    expect<i32>(g.verdict.code).toBe(Code.NO_TOKEN);
    run(g, V.stunGood);
    expect<i32>(g.verdict.code).toBe(Code.OK);
    expect<u32>(g.verdict.mark).toBe(16);
  });
});

describe("Gateway: allow-list", () => {
  it("drops an allow-listed device's flow without a token", () => {
    const g = gateway();
    run(g, V.iotNoToken);
    expect<i32>(g.verdict.action).toBe(Action.DROP);
    expect<i32>(g.verdict.code).toBe(Code.NOT_ALLOWED);
    expect<u32>(g.verdict.mark).toBe(4);
  });

  it("lets an allow-listed device's flow through with a fleet token", () => {
    const g = gateway();
    run(g, V.iotFleet);
    expect<i32>(g.verdict.action).toBe(Action.ACCEPT);
    expect<i32>(g.verdict.code).toBe(Code.OK);
    expect<u32>(g.verdict.mark).toBe(17);
  });

  it("drops an allow-listed device's flow whose token is for a service without allow", () => {
    const g = gateway();
    run(g, V.iotWrongService);
    expect<i32>(g.verdict.action).toBe(Action.DROP);
  });
});

describe("Gateway: limits and bad input", () => {
  it("passes a packet that is not IP untouched, with bad-packet", () => {
    const g = gateway();
    const b = run(g, V.notIp);
    expect<i32>(g.verdict.code).toBe(Code.BAD_PACKET);
    expect<i32>(g.verdict.action).toBe(Action.ACCEPT);
    expect<u32>(load<u32>(b.ptr)).toBe(0xffffffff);
  });

  it("passes a packet unmarked over the per-source verification rate, and verifies again later", () => {
    const g = gateway(); // per-source burst 3
    const codes: i32[] = [];
    for (let k = 0; k < 5; k++) {
      // Distinct forged tokens (another last byte) on distinct flows: every one misses the cache.
      const b = hex(V.stunForged);
      store<u8>(b.ptr + 21, <u8>(0x10 + k)); // source port low byte: another flow
      store<u8>(b.ptr + b.len - 1, <u8>k);
      g.process(b.ptr, b.len, LinkType.RAW, PacketDirection.UNKNOWN, NOW);
      codes.push(g.verdict.code);
    }
    expect<i32>(codes[2]).toBe(Code.BAD_MAC);
    expect<i32>(codes[3]).toBe(Code.RATE_LIMITED);
    expect<i32>(codes[4]).toBe(Code.RATE_LIMITED);
    expect<u32>(g.verdict.mark).toBe(0); // undecided: the next packet tries again
    expect<u64>(g.counters.rateLimited).toBe(2);
    run(g, V.stunGood, NOW + 1);
    expect<i32>(g.verdict.code).toBe(Code.OK);
  });

  it("keeps the flow table within capacity over 100,000 distinct flows and keeps working", () => {
    const g = gateway(); // capacity 64
    const b = hex(V.mediaUp);
    for (let k = 0; k < 100000; k++) {
      store<u16>(b.ptr + 20, <u16>k); // source port (either byte order: distinct)
      store<u8>(b.ptr + 15, <u8>(k >> 16));
      g.process(b.ptr, b.len, LinkType.RAW, PacketDirection.UNKNOWN, NOW + <f64>(k >> 10));
    }
    expect<i32>(g.flows.count).toBeLessThanOrEqual(64);
    run(g, V.stunGood, NOW + 100);
    expect<i32>(g.verdict.code).toBe(Code.OK);
  });
});

describe("Gateway: revocation of live flows", () => {
  it("withdraws the mark of a flow whose token is revoked while it runs, from its next packet", () => {
    const g = gateway();
    run(g, V.stunGood); // cti c0ffee0000000001
    run(g, V.mediaUp);
    expect<u32>(g.verdict.mark).toBe(16);
    const revoked = new RevokedIds();
    revoked.add("bc0ffee0000000002");
    expect<i32>(g.withdrawRevoked(revoked)).toBe(0);
    run(g, V.mediaUp);
    expect<u32>(g.verdict.mark).toBe(16);
    revoked.add("bc0ffee0000000001");
    expect<i32>(g.withdrawRevoked(revoked)).toBe(1);
    const b = run(g, V.mediaUp);
    expect<i32>(g.verdict.code).toBe(Code.REVOKED);
    expect<u32>(g.verdict.mark).toBe(2);
    expect<i32>(tos4(b)).toBe(2); // not raised to EF, ECN kept
    expect<u64>(g.counters.withdrawn).toBe(1);
  });

  it("leaves flows decided without a token id alone", () => {
    const g = gateway();
    run(g, V.v6Hbh); // a token without nti or cti
    const revoked = new RevokedIds();
    revoked.add("bc0ffee0000000001");
    expect<i32>(g.withdrawRevoked(revoked)).toBe(0);
    run(g, V.v6Hbh);
    expect<i32>(g.verdict.code).toBe(Code.OK);
  });
});

const WAN = hex("cb007105"); // 203.0.113.5, the address the LAN host is translated to

describe("Gateway: NAT-aware binding", () => {
  it("refuses a token bound to the WAN address without the NAT address", () => {
    const g = gateway();
    run(g, V.stunNatted);
    expect<i32>(g.verdict.code).toBe(Code.WRONG_BINDING);
  });

  it("accepts it for the LAN flow when the host gives the flow's NAT address", () => {
    const g = gateway();
    g.setNat(WAN.ptr, 4);
    const b = hex(V.stunNatted);
    g.process(b.ptr, b.len, LinkType.RAW, PacketDirection.UPSTREAM, NOW);
    expect<i32>(g.verdict.code).toBe(Code.OK);
    expect<u32>(g.verdict.mark).toBe(16);
  });

  it("does not lend the NAT address to the other endpoint", () => {
    const g = gateway();
    g.setNat(WAN.ptr, 4);
    const b = hex(V.stunNatted);
    // Downstream: the NAT address is the destination's, and the token names the source.
    g.process(b.ptr, b.len, LinkType.RAW, PacketDirection.DOWNSTREAM, NOW);
    expect<i32>(g.verdict.code).toBe(Code.WRONG_BINDING);
  });
});

describe("Gateway: withdrawals the host pushes to the kernel", () => {
  it("expires token flows past exp + leeway in a sweep and reports each withdrawn flow once, with its new mark", () => {
    const g = gateway();
    run(g, V.stunGood);
    const flow = g.verdict.flow;
    run(g, V.stunNoToken); // a flow without a token: never withdrawn
    expect<i32>(g.expireFlows(V.EXP - 1)).toBe(0);
    expect<i32>(g.nextWithdrawn()).toBe(-1);
    expect<i32>(g.expireFlows(V.EXP + 60)).toBe(1); // exp + the default leeway
    expect<i32>(g.nextWithdrawn()).toBe(flow);
    expect<u32>(g.markOf(flow)).toBe(1); // an expired flow has the no-token mark
    expect<i32>(g.nextWithdrawn()).toBe(-1);
    expect<i32>(g.expireFlows(V.EXP + 120)).toBe(0); // already withdrawn
  });

  it("walks the table only once a decision can have ended: the earliest expiry is kept, and moved on by each sweep", () => {
    const g = gateway();
    expect<f64>(g.flows.earliestExpiry).toBe(Infinity);
    run(g, V.stunNoToken); // no expiry
    expect<f64>(g.flows.earliestExpiry).toBe(Infinity);
    run(g, V.stunGood);
    const first = g.flows.earliestExpiry;
    expect<bool>(first > <f64>(V.EXP - 1) && first <= <f64>(V.EXP + 60)).toBe(true, first.toString());
    expect<i32>(g.expireFlows(first - 0.001)).toBe(0);
    expect<f64>(g.flows.earliestExpiry).toBe(first); // no sweep: nothing could end
    expect<i32>(g.expireFlows(first)).toBe(1); // at the stored expiry (rounded down to 1/65536 s) it ends
    expect<f64>(g.flows.earliestExpiry).toBe(Infinity); // no token flow left to end
  });

  it("reports flows withdrawn by a revocation with the rejected mark", () => {
    const g = gateway();
    run(g, V.stunGood);
    const flow = g.verdict.flow;
    const revoked = new RevokedIds();
    revoked.add("bc0ffee0000000001");
    expect<i32>(g.withdrawRevoked(revoked)).toBe(1);
    expect<i32>(g.nextWithdrawn()).toBe(flow);
    expect<u32>(g.markOf(flow)).toBe(2);
    expect<i32>(g.nextWithdrawn()).toBe(-1);
  });
});
