// The packet path: packet -> flow -> (token -> decision) -> verdict.
//
// Every packet is parsed and looked up in the flow table. A flow that a
// valid token decided is on the fast path: its DSCP and mark follow from the
// policy in force, no token is looked at again until the decision expires
// (at the token's exp: the flow then loses its mark). A flow without such a
// decision looks for tokens in each packet (STUN attribute, IPv6 Hop-by-Hop
// and Destination options), so a token in any of the first packets, or in
// every packet, decides it. Tokens found in one packet are tried in packet
// order and the first valid one wins.
//
// A token's verdict is cached by digest, so a token seen again (another flow
// of the same user, a per-packet token after the flow aged out) costs a
// SHA-256 and a lookup. Verifications that miss the cache are rate-limited
// per source and globally; over the limit the packet passes unmarked and
// the flow stays undecided (mark 0), so a later packet tries again.

import { Code } from "../result";
import { Packet, LinkType, IpProto } from "../packet/packet";
import { setDscp } from "../packet/dscp";
import { FlowTable, FLAG_TOKEN, FLAG_REFLECT, FLAG_TAGGED, FLAG_WITHDRAWN } from "../flow/table";
import { TokenCache } from "../flow/token-cache";
import { RateLimiter } from "../policy/rate-limit";
import { GatewayConfig, TagCarrier } from "../policy/gateway-config";
import { insertIpv6Option } from "../tagging/ipv6-insert";
import { insertStunAttribute } from "../tagging/stun-insert";
import { TagError } from "../tagging/tag-error";
import { FoundTokens } from "../carrier/found";
import { StunMessage } from "../carrier/stun";
import { findOptionTokens } from "../carrier/ipv6-option";
import { prefixMatches, anyPrefixMatches } from "../util/prefix";
import { checkToken, tokenClaims, tokenHeader, tokenKeySet, tokenDescriptorService } from "../token";
import { tokenIdKey } from "../validate";
import { RevokedIds, idHash } from "../revoked";
import { Claim } from "../claims";
import { current } from "../config";
import { sha256 } from "../host";

export const enum Action { ACCEPT = 0, DROP = 1 }

/** Where a packet goes, when the host knows: upstream = from the LAN (tagging, allow-list). */
export const enum PacketDirection { UNKNOWN = 0, UPSTREAM = 1, DOWNSTREAM = 2 }

// Verdict flags.
export const VERDICT_NEW_FLOW: u32 = 1;
/** The flow's decision was made or changed by this packet. */
export const VERDICT_DECIDED: u32 = 2;
/** A token was verified (crypto ran) for this packet. */
export const VERDICT_VERIFIED: u32 = 4;
/** A token's verdict came from the cache. */
export const VERDICT_CACHED: u32 = 8;
/** The packet was rewritten (DSCP). */
export const VERDICT_REWRITTEN: u32 = 16;
/** A tagging rule's token was inserted: the packet grew to `length`. */
export const VERDICT_TAGGED: u32 = 32;

/** Aging work done per packet: a full pass over 16,384 flows every 4,096 packets. */
const AGING_PER_PACKET: i32 = 4;

// Cached token verdict layout (bytes of a TokenCache value block).
const C_CODE = 0; //       u8
const C_REFLECT = 1; //    u8
const C_BIP_LEN = 2; //    u8: 0 (unbound), 4 or 16
const C_EITHER = 3; //     u8: the key set accepts either endpoint
const C_SERVICE = 4; //    u16
const C_PREFIX = 6; //     i16: -1 for a whole address
const C_EXPIRES = 8; //    f64: exp + leeway (Infinity without exp)
const C_BIP = 16; //       16 bytes
const C_ID = 32; //        u32: idHash of the token's id (nti, else cti; 0: none)
const CACHE_VALUE_BYTES = 36;

const DIGEST: usize = memory.data(32);


export class Verdict {
  action: Action = Action.ACCEPT;
  code: i32 = Code.OK;
  mark: u32 = 0;
  /** DSCP the packet carries after the call (VERDICT_REWRITTEN: changed by it); -1 when it did not parse. */
  dscp: i32 = -1;
  flow: i32 = -1;
  service: i32 = 0;
  flags: u32 = 0;
  /** The packet's length after the call (grows when tagged). */
  length: i32 = 0;
}

export class GatewayCounters {
  packets: u64 = 0;
  badPackets: u64 = 0;
  fastPath: u64 = 0;
  verifications: u64 = 0;
  cacheHits: u64 = 0;
  rateLimited: u64 = 0;
  dropped: u64 = 0;
  washed: u64 = 0;
  rewritten: u64 = 0;
  lostAtExpiry: u64 = 0;
  tagged: u64 = 0;
  tagTooLarge: u64 = 0;
  /** Token-decided flows whose mark a revocation withdrew. */
  withdrawn: u64 = 0;
  /** Decisions by result code. */
  decisions: StaticArray<u64> = new StaticArray<u64>(64);
}

/** Token codes whose verdict depends on the clock or the load, not only the bytes: never cached. */
function cacheable(code: i32): bool {
  return code != Code.EXPIRED && code != Code.NOT_YET_VALID && code != Code.ISSUED_IN_FUTURE &&
    code != Code.HOST_ERROR && code != Code.RATE_LIMITED;
}

export class Gateway {
  flows: FlowTable;
  cache: TokenCache;
  limiter: RateLimiter;
  packet: Packet = new Packet();
  verdict: Verdict = new Verdict();
  counters: GatewayCounters = new GatewayCounters();
  private found: FoundTokens = new FoundTokens();
  private stun: StunMessage = new StunMessage();
  // The token decision being made.
  private tokenService: i32 = 0;
  private tokenReflect: i32 = 0;
  private tokenExpires: f64 = Infinity;
  private tokenId: u32 = 0;
  /** Another address of the packet's LAN endpoint (its NAT address), 4 or 16 bytes; natLen 0: none. */
  private nat: usize = memory.data(16);
  private natLen: i32 = 0;
  /** The current packet goes to the LAN (downstream): its NAT address belongs to its destination. */
  private lanIsDestination: bool = false;
  /** Flows flagged FLAG_WITHDRAWN (at most: a flow re-decided or evicted since is counted until a scan misses). */
  private pendingWithdrawn: i32 = 0;
  private withdrawnHand: i32 = 0;

  constructor(public config: GatewayConfig) {
    this.flows = new FlowTable(config.flowCapacity, config.hashSeed);
    this.cache = new TokenCache(config.tokenCache, CACHE_VALUE_BYTES);
    this.limiter = new RateLimiter(config.globalRate, config.globalBurst, config.sourceRate, config.sourceBurst, 1024, config.hashSeed);
  }

  /**
   * Takes a new configuration. Flows survive when the capacity is the same
   * (their service indices are re-mapped by name); cached token verdicts
   * never do, since keys, revocations or services may have changed.
   */
  reconfigure(next: GatewayConfig): void {
    if (next.flowCapacity != this.config.flowCapacity || next.hashSeed != this.config.hashSeed) {
      this.flows.release();
      this.flows = new FlowTable(next.flowCapacity, next.hashSeed);
    } else {
      for (let i = this.flows.next(-1); i >= 0; i = this.flows.next(i)) {
        const old = this.flows.service(i);
        if (old == 0) continue;
        const mapped = next.serviceIndexByName(this.config.services[old].name);
        if (mapped == 0) this.flows.setDecision(i, Code.UNKNOWN_SERVICE, 0, 0, Infinity);
        else this.flows.setDecision(i, this.flows.code(i), mapped, this.flows.flags(i), <f64>this.flows.expires(i));
      }
    }
    this.cache.release();
    this.cache = new TokenCache(next.tokenCache, CACHE_VALUE_BYTES);
    this.limiter.release();
    this.limiter = new RateLimiter(next.globalRate, next.globalBurst, next.sourceRate, next.sourceBurst, 1024, next.hashSeed);
    this.config = next;
  }

  /**
   * Withdraws the decision of every live flow whose token id is in
   * `revoked` (a revocation pushed to a running gateway, or a reload): the
   * flow becomes `revoked` and loses its mark and DSCP from its next packet.
   * Flows know their token by a 32-bit hash of its id: a collision can only
   * withdraw a mark, never grant one. Returns the flows withdrawn. The token
   * cache is the caller's: it holds verdicts from before a revocation
   * (revoke() empties it; a reconfiguration has made a new one).
   */
  withdrawRevoked(revoked: RevokedIds): i32 {
    if (revoked.size == 0) return 0;
    const keys = revoked.values();
    const hashes = new StaticArray<u32>(keys.length);
    for (let k = 0; k < keys.length; k++) unchecked((hashes[k] = idHash(keys[k])));
    let n = 0;
    const flows = this.flows;
    for (let i = flows.next(-1); i >= 0; i = flows.next(i)) {
      const id = flows.tokenId(i);
      if (id == 0 || (flows.flags(i) & FLAG_TOKEN) == 0) continue;
      for (let k = 0; k < hashes.length; k++) {
        if (unchecked(hashes[k]) == id) {
          this.withdraw(i, Code.REVOKED);
          n++;
          break;
        }
      }
    }
    this.counters.withdrawn += <u64>n;
    return n;
  }

  /**
   * Withdraws the decision of every token-decided flow whose token's exp
   * has passed, without waiting for its next packet: on a router the kernel
   * holds the mark and sends ntokd no more packets of the flow. Returns the
   * flows withdrawn (counted in lostAtExpiry, as at a packet).
   */
  expireFlows(now: f64): i32 {
    const flows = this.flows;
    if (now < flows.earliestExpiry) return 0; // nothing ends yet: no walk over the table
    let n = 0;
    let earliest = Infinity;
    for (let i = flows.next(-1); i >= 0; i = flows.next(i)) {
      if ((flows.flags(i) & FLAG_TOKEN) == 0) continue;
      const at = flows.expiry(i);
      if (at > now) {
        if (at < earliest) earliest = at;
        continue;
      }
      this.withdraw(i, Code.EXPIRED);
      n++;
    }
    flows.earliestExpiry = earliest;
    this.counters.lostAtExpiry += <u64>n;
    return n;
  }

  /** The flow loses its mark; the host learns of it from nextWithdrawn (the kernel may hold the old mark). */
  private withdraw(i: i32, code: i32): void {
    this.flows.setDecision(i, code, 0, FLAG_WITHDRAWN, Infinity);
    this.pendingWithdrawn++;
  }

  /**
   * The next flow withdrawn since the host last asked, its flag cleared; -1
   * when none. A hand keeps the scans of one sweep to one pass of the table.
   */
  nextWithdrawn(): i32 {
    const flows = this.flows;
    for (let k = 0; this.pendingWithdrawn > 0 && k < flows.capacity; k++) {
      const i = this.withdrawnHand;
      this.withdrawnHand = i + 1 < flows.capacity ? i + 1 : 0;
      if (flows.isUsed(i) && (flows.flags(i) & FLAG_WITHDRAWN) != 0) {
        flows.setDecision(i, flows.code(i), 0, 0, Infinity);
        this.pendingWithdrawn--;
        return i;
      }
    }
    this.pendingWithdrawn = 0;
    return -1;
  }

  /** The mark a flow's decision gives (without a packet: no washing, no allow-list); for withdrawn flows. */
  markOf(i: i32): u32 {
    const f = this.flows;
    if ((f.flags(i) & FLAG_TOKEN) != 0) return this.config.services[f.service(i)].mark;
    const code = f.code(i);
    return code == Code.NO_TOKEN || code == Code.EXPIRED ? this.config.markNoToken : this.config.markRejected;
  }

  /**
   * The NAT address of the next packet's LAN endpoint (what conntrack's
   * reply tuple says it is translated to), or none (len 0): a token bound
   * to that address holds for the LAN flow (issue 6, NAT-aware binding).
   */
  setNat(ptr: usize, len: i32): void {
    this.natLen = len == 4 || len == 16 ? len : 0;
    if (this.natLen > 0) memory.copy(this.nat, ptr, len);
  }

  /**
   * Runs one packet (in place at ptr) through the path; the verdict says what
   * to do with it. `direction` gates tagging (never downstream); the
   * allow-list keys on the flow's origin, which needs no direction. The
   * packet may grow in place up to `capacity` bytes (tagging); 0 means it
   * cannot grow.
   */
  process(ptr: usize, len: i32, link: LinkType, direction: PacketDirection, now: f64, capacity: i32 = 0): Verdict {
    const v = this.verdict;
    v.action = Action.ACCEPT;
    v.code = Code.OK;
    v.mark = 0;
    v.dscp = -1;
    v.flow = -1;
    v.service = 0;
    v.flags = 0;
    v.length = len;
    this.counters.packets++;
    const p = this.packet;
    if (!p.parse(ptr, len, link)) {
      // Malformed packets pass untouched: the gateway is not a firewall.
      v.code = Code.BAD_PACKET;
      this.counters.badPackets++;
      return v;
    }
    v.dscp = p.dscp();
    // Without a direction from the host, gateway.lan tells: a packet from the LAN goes upstream.
    if (direction == PacketDirection.UNKNOWN && this.config.lan.length > 0) {
      direction = anyPrefixMatches(this.config.lan, p.src, p.addrLen) ? PacketDirection.UPSTREAM : PacketDirection.DOWNSTREAM;
    }
    this.lanIsDestination = direction == PacketDirection.DOWNSTREAM;
    const flows = this.flows;
    flows.expire(now, this.config.idleTimeout, AGING_PER_PACKET);
    // Later fragments carry no ports: they cannot be matched to a flow.
    if (p.isFragment && !p.isFirstFragment) {
      v.code = Code.NO_TOKEN;
      return v;
    }
    const hasPorts = p.srcPort >= 0;
    flows.setKey(p.version, p.proto, p.src, hasPorts ? p.srcPort : 0, p.dst, hasPorts ? p.dstPort : 0);
    let i = flows.find(now);
    if (i < 0) {
      i = flows.insert(now);
      flows.setDecision(i, Code.NO_TOKEN, 0, 0, Infinity);
      v.flags |= VERDICT_NEW_FLOW | VERDICT_DECIDED;
    }
    v.flow = i;
    let hasToken = (flows.flags(i) & FLAG_TOKEN) != 0;
    if (hasToken && flows.isExpired(i, now)) {
      // The token's exp has passed: the flow loses its mark.
      flows.setDecision(i, Code.EXPIRED, 0, 0, Infinity);
      this.counters.lostAtExpiry++;
      v.flags |= VERDICT_DECIDED;
      hasToken = false;
    }
    if (hasToken) this.counters.fastPath++;
    else this.decide(i, now);
    this.apply(i);
    if ((v.flags & VERDICT_DECIDED) != 0) unchecked(this.counters.decisions[v.code & 63]++);
    if (direction != PacketDirection.DOWNSTREAM && v.action == Action.ACCEPT && this.config.tagging.length > 0) {
      this.tag(i, capacity > len ? capacity : len);
    }
    return v;
  }

  /**
   * Tagging (egress, for LAN devices that cannot carry tokens): the first
   * rule for the packet's source attaches its token, to the first packet it
   * fits in (per flow) or to every packet. A packet that would exceed the
   * MTU passes untagged and is counted.
   */
  private tag(i: i32, capacity: i32): void {
    const p = this.packet;
    const v = this.verdict;
    const r = this.config.tagRuleFor(p.src, p.addrLen, p.proto, p.dstPort);
    if (r == null || (!r.perPacket && (this.flows.flags(i) & FLAG_TAGGED) != 0)) return;
    const n = r.carrier == TagCarrier.STUN
      ? insertStunAttribute(p, capacity, this.config.mtu, this.config.stunAttribute, r.token.dataStart, r.token.length)
      : insertIpv6Option(p, capacity, this.config.mtu, r.carrier, this.config.ipv6Option, r.token.dataStart, r.token.length);
    if (n >= 0) {
      v.length = n;
      v.flags |= VERDICT_TAGGED;
      this.flows.addFlag(i, FLAG_TAGGED);
      this.counters.tagged++;
    } else if (n == TagError.TOO_BIG) {
      v.code = Code.TAG_TOO_LARGE;
      this.counters.tagTooLarge++;
    }
    // Other refusals (not STUN, not IPv6, a fragment, ...): this packet is not one to tag.
  }

  /** Looks for tokens in the packet and decides the flow with the first valid one. */
  private decide(i: i32, now: f64): void {
    const found = this.found;
    found.clear();
    const p = this.packet;
    const cfg = this.config;
    if (p.version == 6) {
      if (p.hopByHopLen > 0) findOptionTokens(p.hopByHop, p.hopByHopLen, cfg.ipv6Option, found);
      if (p.destOpts1Len > 0) findOptionTokens(p.destOpts1, p.destOpts1Len, cfg.ipv6Option, found);
      if (p.destOpts2Len > 0 && p.destOpts2 != p.destOpts1) findOptionTokens(p.destOpts2, p.destOpts2Len, cfg.ipv6Option, found);
    }
    if (p.proto == IpProto.UDP && p.payloadLen >= 20) this.stun.findTokens(p.payload, p.payloadLen, cfg.stunAttribute, found);
    if (found.count == 0) return;
    const v = this.verdict;
    let firstFailure = Code.OK;
    for (let k = 0; k < found.count; k++) {
      const code = this.checkPacketToken(found.ptr(k), found.len(k), now);
      if (code == Code.OK) {
        let flags: u8 = FLAG_TOKEN;
        if (this.tokenReflect == 1) flags |= FLAG_REFLECT;
        this.flows.setDecision(i, Code.OK, this.tokenService, flags, this.tokenExpires);
        this.flows.setTokenId(i, this.tokenId);
        v.flags |= VERDICT_DECIDED;
        return;
      }
      if (firstFailure == Code.OK) firstFailure = code;
    }
    // Over the rate the flow stays undecided; any other failure decides it as rejected.
    if (firstFailure != Code.RATE_LIMITED || this.flows.code(i) == Code.NO_TOKEN) {
      this.flows.setDecision(i, firstFailure, 0, 0, Infinity);
      v.flags |= VERDICT_DECIDED;
    }
  }

  /**
   * The verdict of one token for the current packet: from the cache, or
   * verified (within the rate limit) and cached; then its binding.
   */
  private checkPacketToken(ptr: usize, len: i32, now: f64): i32 {
    if (len <= 0) return Code.MALFORMED;
    const v = this.verdict;
    sha256(ptr, len, DIGEST);
    let c = this.cache.find(DIGEST);
    if (c != 0) {
      this.counters.cacheHits++;
      v.flags |= VERDICT_CACHED;
      const code = <i32>load<u8>(c + C_CODE);
      if (code != Code.OK) return code;
      if (now >= load<f64>(c + C_EXPIRES)) return Code.EXPIRED;
    } else {
      const p = this.packet;
      if (!this.limiter.allow(p.src, p.addrLen, now)) {
        this.counters.rateLimited++;
        return Code.RATE_LIMITED;
      }
      this.counters.verifications++;
      v.flags |= VERDICT_VERIFIED;
      let code = checkToken(ptr, len, now, 0, this.config.required | current.required);
      const claims = tokenClaims();
      let service = 0;
      if (code == Code.OK) {
        const srv = claims.has(Claim.SRV) ? (claims.srvIsText ? 0 : <i64>claims.srv) : -1;
        const sid = claims.has(Claim.SID) ? <i64>claims.sid : -1;
        service = this.config.serviceFor(claims.has(Claim.SRV) && claims.srvIsText, claims.srvPtr, claims.srvLen, srv, sid);
        // A token that names no configured service gets its descriptor's, if it has one
        // (docs/config.md): the key of a per-service descriptor vouches for that service.
        if (service == 0 || (srv < 0 && sid < 0)) service = tokenDescriptorService();
        if (service == 0) code = Code.UNKNOWN_SERVICE;
      }
      if (!cacheable(code)) return code;
      c = this.cache.insert(DIGEST);
      store<u8>(c + C_CODE, <u8>code);
      if (code != Code.OK) return code;
      store<u8>(c + C_REFLECT, <u8>tokenHeader().reflect);
      const ks = tokenKeySet();
      store<u8>(c + C_EITHER, ks != null && ks.eitherEndpoint ? 1 : 0);
      store<u16>(c + C_SERVICE, <u16>service);
      store<f64>(c + C_EXPIRES, claims.has(Claim.EXP) ? claims.exp.value + current.leeway : Infinity);
      const id = tokenIdKey(claims);
      store<u32>(c + C_ID, id.length > 0 ? idHash(id) : 0);
      if (claims.has(Claim.BIP)) {
        store<u8>(c + C_BIP_LEN, <u8>claims.bipLen);
        store<i16>(c + C_PREFIX, <i16>claims.bipPrefix);
        memory.copy(c + C_BIP, claims.bipBytes, claims.bipLen);
      }
    }
    this.tokenService = <i32>load<u16>(c + C_SERVICE);
    this.tokenReflect = <i32>load<u8>(c + C_REFLECT);
    this.tokenExpires = load<f64>(c + C_EXPIRES);
    this.tokenId = load<u32>(c + C_ID);
    return this.bindingHolds(c) ? Code.OK : Code.WRONG_BINDING;
  }

  /**
   * bip names the sender: the packet's source, or its destination for a
   * reflected token (the peer returns the origin's token); a key set may
   * accept either endpoint. A token without bip is not bound.
   */
  private bindingHolds(c: usize): bool {
    const bipLen = <i32>load<u8>(c + C_BIP_LEN);
    if (bipLen == 0) return true;
    const p = this.packet;
    if (bipLen != p.addrLen) return false;
    const prefix = <i32>load<i16>(c + C_PREFIX);
    const bits = prefix < 0 ? bipLen << 3 : prefix;
    const bip = c + C_BIP;
    const reflected = load<u8>(c + C_REFLECT) == 2;
    if (prefixMatches(bip, bits, reflected ? p.dst : p.src, bipLen)) return true;
    // Behind NAT the LAN endpoint is also known by its translated address:
    // it counts for the endpoint the token names when that is the LAN one.
    if (this.natLen == bipLen && reflected == this.lanIsDestination && prefixMatches(bip, bits, this.nat, bipLen)) return true;
    return load<u8>(c + C_EITHER) != 0 && prefixMatches(bip, bits, reflected ? p.src : p.dst, bipLen);
  }

  /** Turns the flow's decision into the verdict: mark, DSCP rewrite, drop. */
  private apply(i: i32): void {
    const v = this.verdict;
    const cfg = this.config;
    const flows = this.flows;
    const p = this.packet;
    let code = flows.code(i);
    const service = flows.service(i);
    const origin = flows.originAddress(i);
    // The allow-list covers flows an allow-listed device started (its upstream flows), both directions.
    const allowListed = cfg.allowlist.length > 0 && anyPrefixMatches(cfg.allowlist, origin, p.addrLen);
    if ((flows.flags(i) & FLAG_TOKEN) != 0) {
      const s = cfg.services[service];
      v.service = service;
      if (allowListed && !s.allow) {
        this.drop(Code.NOT_ALLOWED);
        return;
      }
      v.mark = s.mark;
      if (s.dscp >= 0 && p.dscp() != s.dscp && setDscp(p, s.dscp)) this.rewritten(s.dscp);
      v.code = code;
      return;
    }
    if (allowListed) {
      this.drop(Code.NOT_ALLOWED);
      return;
    }
    if (cfg.washDscp.length > 0 && cfg.washDscp.includes(p.dscp())) {
      // DiffServ has no authentication; tokens do: a premium DSCP without one is cleared.
      if (setDscp(p, cfg.washTo)) this.rewritten(cfg.washTo);
      this.counters.washed++;
      code = Code.WASHED;
      v.mark = cfg.markWashed;
    } else if (code == Code.NO_TOKEN || code == Code.EXPIRED) v.mark = cfg.markNoToken;
    else if (code == Code.RATE_LIMITED) v.mark = 0; // undecided: the next packet tries again
    else v.mark = cfg.markRejected;
    v.code = code;
  }

  private drop(code: i32): void {
    const v = this.verdict;
    v.action = Action.DROP;
    v.code = code;
    v.mark = this.config.markNotAllowed;
    this.counters.dropped++;
  }

  private rewritten(dscp: i32): void {
    this.verdict.dscp = dscp;
    this.verdict.flags |= VERDICT_REWRITTEN;
    this.counters.rewritten++;
  }
}
