// The exported ABI of ntok.wasm (docs/abi.md). Thin: buffers in, result
// codes out; the work is in token.ts and config.ts.

import { Code, codeTextPtr, codeTextLength } from "./result";
import { ConfigParser, setCurrent, current } from "./config";
import { verifyToken, inspectToken } from "./token";
import { out } from "./json/writer";
import { Gateway, GatewayCounters, Verdict, VERDICT_VERIFIED } from "./gateway/gateway";
import { FlowTable } from "./flow/table";
import { TokenCache } from "./flow/token-cache";
import { Msg } from "./config-message-text";
import { message } from "./config-message";
import { JsonKey } from "./json-key-text";
import { json } from "./jose/compact";
import { leftGarbage, takeGarbage } from "./util/garbage";

const INPUT_CAPACITY: i32 = 65536;
const INPUT: usize = memory.data(INPUT_CAPACITY);

// The module uses AssemblyScript's minimal runtime: garbage is collected only
// when __collect() is called, and the collector does not scan the wasm stack.
// So it runs only at the end of an exported call, when no managed local is
// live: always after configure (which allocates the configuration), and after
// every COLLECT_EVERY calls of verify/inspect/process that left garbage
// (util/garbage.ts: revocation keys, issuer text, JOSE's JSON trees), so
// that those few small temporaries cannot pile up; calls that allocate
// nothing (a COSE token's verification, the fast path) skip the collector's
// walk over the configuration.
const COLLECT_EVERY: i32 = 64;
let callsSinceCollect: i32 = 0;
let garbageCalls: i32 = 0;
/**
 * JOSE headers and claims are read as JSON trees (~250 bytes per value, up
 * to 256 values per parse): after this many values the collector runs
 * whatever the call count, so that garbage stays within a few pages.
 */
const COLLECT_JSON_VALUES: i32 = 256;

/** A collection at least this often whatever the calls said they left (a safety net, not the rule). */
const COLLECT_ANYWAY: i32 = 4096;

/** After a call that may have left garbage: every COLLECT_EVERY calls that did (util/garbage.ts). */
function collectSometimes(): void {
  if (takeGarbage() || json.values > 0) garbageCalls++;
  if (++callsSinceCollect >= COLLECT_ANYWAY || garbageCalls >= COLLECT_EVERY || json.values >= COLLECT_JSON_VALUES) {
    callsSinceCollect = 0;
    garbageCalls = 0;
    json.values = 0;
    __collect();
  }
}

export function abi_version(): i32 {
  return 1;
}

export function input_ptr(): usize {
  return INPUT;
}

export function input_capacity(): i32 {
  return INPUT_CAPACITY;
}

export function output_ptr(): usize {
  return out.ptr;
}

export function output_len(): i32 {
  return out.length;
}

function inputFits(len: i32): bool {
  return len >= 0 && len <= INPUT_CAPACITY;
}

export function configure(len: i32): i32 {
  out.reset();
  out.open();
  let code = Code.OK;
  const parser = new ConfigParser();
  const cfg = inputFits(len) ? parser.parse(INPUT, len) : null;
  if (cfg == null) {
    code = Code.BAD_CONFIG;
    out.key(JsonKey.OK);
    out.bool(false);
    out.key(JsonKey.CODE);
    out.quotedRaw(codeTextPtr(code), codeTextLength(code));
    out.key(JsonKey.MESSAGE);
    out.string(parser.error.length > 0 ? parser.error : message(Msg.CONFIGURATION_LARGER_THAN_THE_INPUT_BUFFER));
  } else {
    setCurrent(cfg);
    // Live flows survive a reload (docs/abi.md), except those of tokens it revokes; cached verdicts do not.
    let withdrawn = 0;
    if (gateway != null) {
      gateway!.reconfigure(cfg.gateway);
      withdrawn = gateway!.withdrawRevoked(cfg.revoked);
    }
    out.key(JsonKey.OK);
    out.bool(true);
    out.key(JsonKey.CODE);
    out.quotedRaw(codeTextPtr(code), codeTextLength(code));
    out.key(JsonKey.KEYSETS);
    out.int(cfg.keysets.length);
    out.key(JsonKey.DESCRIPTORS);
    out.int(cfg.descriptors.length);
    out.key(JsonKey.SERVICES);
    out.int(cfg.gateway.services.length - 1);
    out.key(JsonKey.WITHDRAWN);
    out.int(withdrawn);
  }
  out.close();
  __collect();
  return code;
}

/** A length beyond the input buffer is passed on as too large to parse. */
function tokenLength(len: i32): i32 {
  return inputFits(len) ? len : i32.MAX_VALUE;
}

export function verify(len: i32, now: f64, flags: i32): i32 {
  const code = verifyToken(INPUT, tokenLength(len), now, flags);
  collectSometimes();
  return code;
}

export function inspect(len: i32, flags: i32): i32 {
  const code = inspectToken(INPUT, tokenLength(len), flags);
  collectSometimes();
  return code;
}

export function result_name(code: i32): i32 {
  out.reset();
  out.raw(codeTextPtr(code), codeTextLength(code));
  return out.length;
}

/** The meaning of a result code, for hosts that print it. */
export function result_message(code: i32): i32 {
  out.reset();
  out.message(codeTextPtr(code, true), codeTextLength(code, true));
  return out.length;
}

// ---- The packet path (docs/abi.md, "Packets").

/**
 * Created at the first process(), not at configure(): a host that only
 * verifies tokens (ntokd verify, the CLI) never pays for the flow table.
 */
let gateway: Gateway | null = null;
/** status() before the first process(). */
const NO_COUNTERS = new GatewayCounters();

/** status(): the gateway's counters in the order they are written, by name and field. */
const STATUS_COUNTERS = 13;
const STATUS_KEYS = memory.data<u8>([
  <u8>JsonKey.PACKETS, <u8>JsonKey.BAD_PACKETS, <u8>JsonKey.FAST_PATH, <u8>JsonKey.VERIFICATIONS, <u8>JsonKey.CACHE_HITS, <u8>JsonKey.RATE_LIMITED,
  <u8>JsonKey.REWRITTEN, <u8>JsonKey.WASHED, <u8>JsonKey.DROPPED, <u8>JsonKey.LOST_AT_EXPIRY, <u8>JsonKey.TAGGED, <u8>JsonKey.TAG_TOO_LARGE, <u8>JsonKey.WITHDRAWN,
]);
const STATUS_FIELDS = memory.data<u8>([
  <u8>offsetof<GatewayCounters>("packets"), <u8>offsetof<GatewayCounters>("badPackets"), <u8>offsetof<GatewayCounters>("fastPath"),
  <u8>offsetof<GatewayCounters>("verifications"), <u8>offsetof<GatewayCounters>("cacheHits"), <u8>offsetof<GatewayCounters>("rateLimited"),
  <u8>offsetof<GatewayCounters>("rewritten"), <u8>offsetof<GatewayCounters>("washed"), <u8>offsetof<GatewayCounters>("dropped"),
  <u8>offsetof<GatewayCounters>("lostAtExpiry"), <u8>offsetof<GatewayCounters>("tagged"), <u8>offsetof<GatewayCounters>("tagTooLarge"),
  <u8>offsetof<GatewayCounters>("withdrawn"),
]);

function gatewayInForce(): Gateway {
  let g = gateway;
  if (g == null) {
    g = new Gateway(current.gateway);
    gateway = g;
  }
  return g;
}

// The verdict of the last process(), as eight little-endian i32 at verdict_ptr().
const VERDICT: usize = memory.data(32);
const V_ACTION = 0;
const V_CODE = 4;
const V_MARK = 8;
const V_DSCP = 12;
const V_FLOW = 16;
const V_SERVICE = 20;
const V_FLAGS = 24;
const V_LENGTH = 28;

export function verdict_ptr(): usize {
  return VERDICT;
}


/**
 * Runs the packet in the first `len` bytes of the input buffer (a frame of
 * pcap link type `link`; 101 = raw IP as NFQUEUE gives it) through the
 * packet path. The packet may be rewritten in place (DSCP) or grow (tagging,
 * up to the configured MTU); the verdict at verdict_ptr() says what to do
 * with it and how long it now is. Returns the verdict's result code.
 */
export function process(len: i32, link: i32, direction: i32, now: f64): i32 {
  const g = gatewayInForce();
  const v: Verdict = g.process(INPUT, inputFits(len) ? len : 0, link, direction, now, INPUT_CAPACITY);
  g.setNat(NAT, 0); // set_nat holds for one packet
  store<i32>(VERDICT + V_ACTION, v.action);
  store<i32>(VERDICT + V_CODE, v.code);
  store<u32>(VERDICT + V_MARK, v.mark);
  store<i32>(VERDICT + V_DSCP, v.dscp);
  store<i32>(VERDICT + V_FLOW, v.flow);
  store<i32>(VERDICT + V_SERVICE, v.service);
  store<u32>(VERDICT + V_FLAGS, v.flags);
  store<i32>(VERDICT + V_LENGTH, v.length);
  // Only token checks leave garbage (number text, revocation keys): the fast path allocates nothing.
  if ((v.flags & VERDICT_VERIFIED) != 0) collectSometimes();
  return v.code;
}

/**
 * Writes flow `flow`'s name, origin first: `udp 10.0.0.2:5000 >
 * 10.0.0.1:3478`, `tcp [2001:db8::2]:40000 > [2001:db8::1]:443`,
 * `proto 47 10.0.0.2 > 10.0.0.1`. Returns its length; 0 for no such flow.
 */
export function flow_name(flow: i32): i32 {
  out.reset();
  const g = gateway;
  if (g == null || flow < 0 || flow >= g.flows.capacity || !g.flows.isUsed(flow)) return 0;
  const t = g.flows;
  const proto = t.proto(flow);
  if (proto == 17) out.ascii("udp");
  else if (proto == 6) out.ascii("tcp");
  else if (proto == 1) out.ascii("icmp");
  else if (proto == 58) out.ascii("ipv6-icmp");
  else {
    out.ascii("proto ");
    out.uint(<u64>proto);
  }
  const ports = proto == 6 || proto == 17;
  endpoint(t.originAddress(flow), t.addressLength(flow), ports ? t.originPort(flow) : -1);
  out.ascii(" >");
  endpoint(t.peerAddress(flow), t.addressLength(flow), ports ? t.peerPort(flow) : -1);
  return out.length;
}

function endpoint(addr: usize, len: i32, port: i32): void {
  out.byte(0x20);
  const bracket = len == 16 && port >= 0;
  if (bracket) out.byte(0x5b);
  out.address(addr, len);
  if (bracket) out.byte(0x5d);
  if (port >= 0) {
    out.byte(0x3a);
    out.uint(<u64>port);
  }
}

/** Writes the name of service index `service` (a verdict's) as a JSON string; returns its length, 0 for none. */
export function service_name(service: i32): i32 {
  out.reset();
  const services = current.gateway.services;
  if (service <= 0 || service >= services.length) return 0;
  out.string(services[service].name);
  leftGarbage(); // the name's UTF-8 copy
  collectSometimes();
  return out.length;
}

/**
 * Writes the packet path's counters as JSON: what a user or an operator
 * checks to see that tokens are found and flows marked. Zeros before the
 * first process(), with the capacities the tables will have: status() does
 * not make them (a flow table too large for the memory ceiling traps at the
 * first packet; status must still answer).
 */
export function status(): i32 {
  out.reset();
  out.open();
  const g = gateway;
  const c = g != null ? g.counters : NO_COUNTERS;
  // The counters in a table (name, field): a key and a value written per row, in a loop.
  for (let i = 0; i < STATUS_COUNTERS; i++) {
    out.key(<JsonKey>load<u8>(STATUS_KEYS + i));
    out.uint(load<u64>(changetype<usize>(c) + <usize>load<u8>(STATUS_FIELDS + i)));
  }
  out.key(JsonKey.FLOWS);
  out.open();
  const t = g != null ? g.flows : null;
  out.key(JsonKey.CAPACITY); out.int(t != null ? t.capacity : FlowTable.capacityFor(current.gateway.flowCapacity));
  out.key(JsonKey.ACTIVE); out.int(t != null ? t.count : 0);
  out.key(JsonKey.BYTES); out.int(t != null ? t.footprint : 0);
  out.key(JsonKey.INSERTS); out.uint(t != null ? t.counters.inserts : 0);
  out.key(JsonKey.EVICTIONS); out.uint(t != null ? t.counters.evictions : 0);
  out.key(JsonKey.EXPIRATIONS); out.uint(t != null ? t.counters.expirations : 0);
  out.close();
  out.key(JsonKey.TOKEN_CACHE);
  out.open();
  out.key(JsonKey.ENTRIES); out.int(g != null ? g.cache.count : 0);
  out.key(JsonKey.CAPACITY); out.int(g != null ? g.cache.slots : TokenCache.slotsFor(current.gateway.tokenCache));
  out.key(JsonKey.BYTES); out.int(g != null ? g.cache.footprint : 0);
  out.close();
  // Decisions by result code, for the codes that occurred.
  out.key(JsonKey.DECISIONS);
  out.open();
  for (let code = 0; code < 64; code++) {
    const n = unchecked(c.decisions[code]);
    if (n == 0) continue;
    out.element();
    out.quotedRaw(codeTextPtr(code), codeTextLength(code));
    out.byte(0x3a);
    out.uint(n);
  }
  out.close();
  out.close();
  return out.length;
}

/**
 * Revokes the token ids in the first `len` bytes of the input buffer (a
 * JSON array as the configuration's "revoked": integers, lowercase hex
 * strings) in the configuration in force: later tokens with them are
 * `revoked`, and live flows a token with one of them decided lose their
 * mark. Writes {"ok","code","revoked": ids in force,"withdrawn": flows}.
 */
export function revoke(len: i32): i32 {
  const parser = new ConfigParser();
  const ok = inputFits(len) && parser.addRevoked(INPUT, len, current);
  out.reset();
  out.open();
  const code = ok ? Code.OK : Code.BAD_CONFIG;
  out.key(JsonKey.OK);
  out.bool(ok);
  out.key(JsonKey.CODE);
  out.quotedRaw(codeTextPtr(code), codeTextLength(code));
  if (ok) {
    let withdrawn = 0;
    if (gateway != null) {
      gateway!.cache.clear(); // its verdicts predate the revocation
      withdrawn = gateway!.withdrawRevoked(current.revoked);
    }
    out.key(JsonKey.REVOKED);
    out.int(current.revoked.size);
    out.key(JsonKey.WITHDRAWN);
    out.int(withdrawn);
  } else {
    out.key(JsonKey.MESSAGE);
    out.string(parser.error.length > 0 ? parser.error : message(Msg.REVOCATION_LIST_LARGER_THAN_THE_INPUT_BUFFER));
  }
  out.close();
  __collect();
  return code;
}

// NAT-aware binding: the host may tell the core, before process(), the
// address the packet's LAN endpoint is translated to (conntrack's reply
// tuple), so that a token bound to the WAN address holds for the LAN flow.
const NAT: usize = memory.data(16);

/** A 16-byte buffer for set_nat's address. */
export function nat_ptr(): usize {
  return NAT;
}

/** The next process() only: the LAN endpoint's NAT address is the first `len` (4 or 16; 0: none) bytes at nat_ptr(). */
export function set_nat(len: i32): void {
  gatewayInForce().setNat(NAT, len);
}

/** Withdraws the mark of token-decided flows past their token's exp (docs/abi.md); returns how many. */
export function expire_flows(now: f64): i32 {
  return gateway != null ? gateway!.expireFlows(now) : 0;
}

/**
 * The next flow whose mark a revocation or expiry withdrew (revoke,
 * configure, expire_flows) and that this call has not returned yet: its
 * connection and new mark, binary, in the output buffer (docs/abi.md):
 * address length, protocol, origin and peer ports (network order), 2 zero
 * bytes, mark (u32 LE), origin address, peer address. Returns the length;
 * 0 when none is left.
 */
export function withdrawn_flow(): i32 {
  out.reset();
  const g = gateway;
  const i = g != null ? g.nextWithdrawn() : -1;
  if (i < 0) return 0;
  const t = g!.flows;
  const n = t.addressLength(i);
  const op = t.originPort(i);
  const pp = t.peerPort(i);
  const mark = g!.markOf(i);
  out.byte(n);
  out.byte(t.proto(i));
  out.byte(op >> 8); out.byte(op);
  out.byte(pp >> 8); out.byte(pp);
  out.byte(0); out.byte(0);
  for (let s = 0; s < 32; s += 8) out.byte(<i32>(mark >> s));
  out.raw(t.originAddress(i), n);
  out.raw(t.peerAddress(i), n);
  return out.length;
}
