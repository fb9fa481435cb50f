// The flow table: decisions per connection, found from either direction.
//
// Fixed capacity chosen at configuration (default 16,384), all in one block
// of linear memory allocated once: no per-flow object, nothing for the
// collector, memory that cannot grow past what the board profile allows.
// Lookup is a chained hash over a power-of-two bucket array (O(1) expected).
// At most 64 bytes per flow (issue 4): a 60-byte entry and a 4-byte bucket
// head, so an entry keeps the decision (result code, service index) and not
// what follows from it: DSCP and mark come from the policy in force, which
// also lets a configuration reload re-map live flows.
//
// A full table evicts the idlest of EVICTION_SAMPLE entries taken from a
// moving hand (sampled LRU: O(1), no list links in the entry); aging walks a
// bounded number of entries per call with a second hand.
//
// A flow is keyed by its 5-tuple in canonical order (the lower endpoint
// first), so both directions land on the same entry; the entry remembers
// which endpoint started it ("origin"): bip is checked against the origin,
// and the reverse direction may carry a reflected token.
//
// The hash is seeded (configuration gives the seed; a host passes a random
// one) and chains are bounded, so crafted 5-tuples cannot turn a lookup into
// a walk over the table.

import { allocTable, freeTable, tableBytes } from "../util/pages";

const ADDR = 16;

// Entry layout (bytes).
const K_A = 0; //           endpoint A address (the lower one; IPv4 in the first 4 bytes)
const K_B = 16; //          endpoint B address
const K_PORT_A = 32; //     u16
const K_PORT_B = 34; //     u16
const K_PROTO = 36; //      u8
const S_FLAGS = 37; //      u8: FLAG_*
const S_CODE = 38; //       u8: result code of the decision
const S_SERVICE = 40; //    u16: index of the service in the policy (0: none)
const S_EXPIRES_FRAC = 42; // u16: the expiry's fraction of a second, in 1/65536 s (rounded down)
const S_EXPIRES = 44; //    u32: unix seconds at which the decision ends (token exp), 0xffffffff: never
const S_LAST_SEEN = 48; //  u32: unix seconds of the last packet (idle aging)
const S_TOKEN_ID = 52; //   u32: hash of the deciding token's id (nti, else cti; 0: none): revocation finds its flows
const L_NEXT = 56; //       i32: next in the bucket chain or the free list (-1 end)
export const ENTRY_BYTES: i32 = 60;

/** The entry holds a flow. */
export const FLAG_USED: u8 = 1;
/** The key is IPv6 (an IPv4 key with the same leading bytes is another flow). */
export const FLAG_IPV6: u8 = 2;
/** The origin (the endpoint that sent the first packet) is endpoint B. */
export const FLAG_ORIGIN_IS_B: u8 = 4;
/** The flow's token asked for reflection (reflect type 1). */
export const FLAG_REFLECT: u8 = 8;
/** The decision came from a verified token (not "no token", "washed", ...). */
export const FLAG_TOKEN: u8 = 16;
/** The gateway attached a tagging rule's token to this flow (per-flow tagging is done). */
export const FLAG_TAGGED: u8 = 32;
/** The decision was withdrawn (revocation, expiry) and the host has not been told yet (Gateway.nextWithdrawn). */
export const FLAG_WITHDRAWN: u8 = 64;
/** Flags a new decision keeps: the key's, and what the gateway did to the flow. */
const KEPT_FLAGS: u8 = FLAG_USED | FLAG_IPV6 | FLAG_ORIGIN_IS_B | FLAG_TAGGED;

/** Longest chain a lookup or insert walks; a longer one evicts instead of growing. */
export const MAX_CHAIN: i32 = 8;
/** Entries a full table looks at to pick the idlest one to evict. */
export const EVICTION_SAMPLE: i32 = 8;
export const DEFAULT_CAPACITY: i32 = 16384;
export const MAX_CAPACITY: i32 = 1 << 20;
export const NEVER: u32 = 0xffffffff;

const NONE: i32 = -1;

export const enum Direction { NONE = 0, FROM_ORIGIN = 1, TO_ORIGIN = 2 }

export class FlowCounters {
  inserts: u64 = 0;
  hits: u64 = 0;
  misses: u64 = 0;
  evictions: u64 = 0;
  expirations: u64 = 0;
  removals: u64 = 0;
}

/** Seconds as the table keeps them: clamped into u32. */
export function toSeconds(t: f64): u32 {
  if (!(t > 0)) return 0;
  if (t >= 4294967295.0) return NEVER;
  return <u32>t;
}

export class FlowTable {
  readonly capacity: i32;
  readonly buckets: i32;
  readonly seed: u32;
  count: i32 = 0;
  counters: FlowCounters = new FlowCounters();
  /** Direction of the packet given to the last successful find(). */
  direction: Direction = Direction.NONE;

  private entries: usize;
  private bucketHeads: usize;
  private freeHead: i32 = NONE;
  private evictHand: i32 = 0;
  private ageHand: i32 = 0;
  // The key of the current operation, canonicalised.
  private keyA: usize = memory.data(ADDR);
  private keyB: usize = memory.data(ADDR);
  private keyPortA: i32 = 0;
  private keyPortB: i32 = 0;
  private keyProto: i32 = 0;
  private keyV6: bool = false;
  private keyOriginIsB: bool = false;
  private keyHash: u32 = 0;

  /** The capacity a table configured for `n` flows has. */
  static capacityFor(n: i32): i32 {
    return n < 1 ? 1 : n > MAX_CAPACITY ? MAX_CAPACITY : n;
  }

  constructor(capacity: i32, seed: u32) {
    capacity = FlowTable.capacityFor(capacity);
    this.capacity = capacity;
    let b = 1;
    while (b < capacity) b <<= 1;
    this.buckets = b;
    this.seed = seed;
    // Raw blocks, not managed objects: sized once, never scanned by the collector.
    // One block of whole pages: 16,384 flows are exactly 16 pages (1 MiB).
    this.entries = allocTable(this.footprintBytes());
    this.bucketHeads = this.entries + <usize>capacity * <usize>ENTRY_BYTES;
    this.clear();
  }

  /** Gives the memory back (a configuration with another capacity replaces the table). */
  release(): void {
    freeTable(this.entries, this.footprintBytes());
  }

  /** Bytes of linear memory the table takes (whole pages when it has them: 64 per flow at 16,384). */
  get footprint(): i32 {
    return <i32>tableBytes(this.footprintBytes());
  }

  private footprintBytes(): usize {
    return <usize>this.capacity * <usize>ENTRY_BYTES + (<usize>this.buckets << 2);
  }

  /**
   * No decision in the table ends before this (a lower bound: flows removed
   * since keep it early). Gateway.expireFlows walks the table only from here
   * on: once a second a router would otherwise scan every slot for the rare
   * token that ran out (2.5 ms at 16,384 flows under wasm3 on x86).
   */
  earliestExpiry: f64 = Infinity;

  clear(): void {
    this.earliestExpiry = Infinity;
    memory.fill(this.entries, 0, <usize>this.capacity * <usize>ENTRY_BYTES);
    for (let i = 0; i < this.buckets; i++) store<i32>(this.bucketHeads + (<usize>i << 2), NONE);
    for (let i = 0; i < this.capacity; i++) store<i32>(this.at(i) + L_NEXT, i + 1 < this.capacity ? i + 1 : NONE);
    this.freeHead = 0;
    this.count = 0;
  }

  @inline private at(i: i32): usize {
    return this.entries + <usize>i * <usize>ENTRY_BYTES;
  }

  /**
   * Sets the key for find/insert from a packet's 5-tuple. Addresses are 4
   * (version 4) or 16 bytes at src/dst; ports are 0 for protocols without.
   */
  setKey(version: i32, proto: i32, src: usize, srcPort: i32, dst: usize, dstPort: i32): void {
    const v6 = version != 4;
    this.keyV6 = v6;
    this.keyProto = proto;
    // Canonical order (the lower endpoint first), compared a word at a time.
    const srcFirst = endpointOrder(src, srcPort, dst, dstPort, v6) <= 0;
    this.keyOriginIsB = !srcFirst;
    copyAddress(this.keyA, srcFirst ? src : dst, v6);
    copyAddress(this.keyB, srcFirst ? dst : src, v6);
    this.keyPortA = srcFirst ? srcPort : dstPort;
    this.keyPortB = srcFirst ? dstPort : srcPort;
    this.keyHash = hashKey(this.seed, this.keyA, this.keyB, this.keyPortA, this.keyPortB, this.keyProto, this.keyV6);
  }

  /** The bucket of the key set last (tests use it to build colliding keys). */
  get keyBucket(): i32 {
    return <i32>(this.keyHash & <u32>(this.buckets - 1));
  }

  private bucketOfEntry(e: usize): i32 {
    const h = hashKey(this.seed, e + K_A, e + K_B, <i32>load<u16>(e + K_PORT_A), <i32>load<u16>(e + K_PORT_B),
      <i32>load<u8>(e + K_PROTO), (load<u8>(e + S_FLAGS) & FLAG_IPV6) != 0);
    return <i32>(h & <u32>(this.buckets - 1));
  }

  private matches(e: usize): bool {
    return <i32>load<u8>(e + K_PROTO) == this.keyProto &&
      ((load<u8>(e + S_FLAGS) & FLAG_IPV6) != 0) == this.keyV6 &&
      <i32>load<u16>(e + K_PORT_A) == this.keyPortA &&
      <i32>load<u16>(e + K_PORT_B) == this.keyPortB &&
      sameAddress(e + K_A, this.keyA) && sameAddress(e + K_B, this.keyB);
  }

  /**
   * Finds the flow of the key set last, from either direction; -1 when
   * absent. A hit refreshes its idle time and sets `direction`.
   */
  find(now: f64): i32 {
    let i = load<i32>(this.bucketHeads + (<usize>this.keyBucket << 2));
    for (let steps = 0; i != NONE && steps < MAX_CHAIN; steps++) {
      const e = this.at(i);
      if (this.matches(e)) {
        this.counters.hits++;
        const originIsB = (load<u8>(e + S_FLAGS) & FLAG_ORIGIN_IS_B) != 0;
        // The packet is from the origin when its source is the origin's endpoint.
        this.direction = originIsB == this.keyOriginIsB ? Direction.FROM_ORIGIN : Direction.TO_ORIGIN;
        store<u32>(e + S_LAST_SEEN, toSeconds(now));
        return i;
      }
      i = load<i32>(e + L_NEXT);
    }
    this.counters.misses++;
    this.direction = Direction.NONE;
    return NONE;
  }

  /**
   * Inserts the key set last as a new flow whose origin is the packet's
   * source (the caller has seen find() miss). A full table evicts its
   * idlest sampled flow; a bucket at its chain bound drops its oldest
   * insert. Returns the entry (never -1).
   */
  insert(now: f64): i32 {
    const bucket = this.keyBucket;
    const head = this.bucketHeads + (<usize>bucket << 2);
    let chain = 0;
    let last = NONE;
    for (let j = load<i32>(head); j != NONE && chain < MAX_CHAIN; j = load<i32>(this.at(j) + L_NEXT)) {
      last = j;
      chain++;
    }
    if (chain >= MAX_CHAIN) {
      // A crafted or unlucky bucket: its tail is the oldest insert.
      this.remove(last);
      this.counters.evictions++;
    }
    if (this.freeHead == NONE) {
      this.remove(this.idlestSample());
      this.counters.evictions++;
    }
    const i = this.freeHead;
    const e = this.at(i);
    this.freeHead = load<i32>(e + L_NEXT);
    memory.fill(e, 0, ENTRY_BYTES);
    memory.copy(e + K_A, this.keyA, ADDR);
    memory.copy(e + K_B, this.keyB, ADDR);
    store<u16>(e + K_PORT_A, <u16>this.keyPortA);
    store<u16>(e + K_PORT_B, <u16>this.keyPortB);
    store<u8>(e + K_PROTO, <u8>this.keyProto);
    store<u8>(e + S_FLAGS, FLAG_USED | (this.keyV6 ? FLAG_IPV6 : 0) | (this.keyOriginIsB ? FLAG_ORIGIN_IS_B : 0));
    store<u32>(e + S_LAST_SEEN, toSeconds(now));
    store<u32>(e + S_EXPIRES, NEVER);
    store<i32>(e + L_NEXT, load<i32>(head));
    store<i32>(head, i);
    this.count++;
    this.counters.inserts++;
    this.direction = Direction.FROM_ORIGIN;
    return i;
  }

  /** The least recently seen of EVICTION_SAMPLE used entries after the hand (the table is full). */
  private idlestSample(): i32 {
    let best = this.evictHand;
    let bestSeen: u32 = NEVER;
    for (let k = 0; k < EVICTION_SAMPLE; k++) {
      const i = this.evictHand;
      this.evictHand = i + 1 < this.capacity ? i + 1 : 0;
      const seen = load<u32>(this.at(i) + S_LAST_SEEN);
      if (seen < bestSeen || k == 0) {
        best = i;
        bestSeen = seen;
      }
    }
    return best;
  }

  isUsed(i: i32): bool {
    return i >= 0 && i < this.capacity && (load<u8>(this.at(i) + S_FLAGS) & FLAG_USED) != 0;
  }

  remove(i: i32): void {
    if (!this.isUsed(i)) return;
    const e = this.at(i);
    const head = this.bucketHeads + (<usize>this.bucketOfEntry(e) << 2);
    let prev = NONE;
    let j = load<i32>(head);
    while (j != NONE && j != i) {
      prev = j;
      j = load<i32>(this.at(j) + L_NEXT);
    }
    if (j != i) return;
    const next = load<i32>(e + L_NEXT);
    if (prev == NONE) store<i32>(head, next);
    else store<i32>(this.at(prev) + L_NEXT, next);
    store<u8>(e + S_FLAGS, 0);
    store<i32>(e + L_NEXT, this.freeHead);
    this.freeHead = i;
    this.count--;
    this.counters.removals++;
  }

  /**
   * Looks at the next `maxWork` entries of the aging hand and removes those
   * idle longer than `idleTimeout`. A caller spreads aging over packets; a
   * full pass takes capacity / maxWork calls. A decision past its expiry is
   * not aged here: the flow's next packet finds it expired (isExpired), so
   * the flow says `expired` whatever the aging hand's position.
   */
  expire(now: f64, idleTimeout: f64, maxWork: i32): i32 {
    const t = toSeconds(now);
    const idle = toSeconds(idleTimeout);
    let removed = 0;
    const work = maxWork < this.capacity ? maxWork : this.capacity;
    for (let k = 0; k < work; k++) {
      const i = this.ageHand;
      this.ageHand = i + 1 < this.capacity ? i + 1 : 0;
      if (!this.isUsed(i)) continue;
      const e = this.at(i);
      if (<u64>load<u32>(e + S_LAST_SEEN) + <u64>idle <= <u64>t) {
        this.remove(i);
        this.counters.expirations++;
        removed++;
      }
    }
    return removed;
  }

  /**
   * The decision has reached its expiry (the token's exp + leeway), to
   * 1/65536 s: the token cache compares the exact exp, and whole seconds
   * would end a mark up to a second early (a fractional exp or leeway) and
   * re-decide the flow from the cache on every packet of that second.
   */
  isExpired(i: i32, now: f64): bool {
    return this.expiry(i) <= now;
  }

  /** When the decision ends, as stored (to 1/65536 s, rounded down); Infinity for never. */
  expiry(i: i32): f64 {
    const e = this.at(i);
    const sec = load<u32>(e + S_EXPIRES);
    if (sec == NEVER) return Infinity;
    return <f64>sec + <f64>load<u16>(e + S_EXPIRES_FRAC) / 65536.0;
  }

  setDecision(i: i32, code: i32, service: i32, flags: u8, expires: f64): void {
    const e = this.at(i);
    store<u8>(e + S_CODE, <u8>code);
    store<u16>(e + S_SERVICE, <u16>service);
    store<u8>(e + S_FLAGS, (load<u8>(e + S_FLAGS) & KEPT_FLAGS) | (flags & ~KEPT_FLAGS));
    const sec = expires == Infinity ? NEVER : toSeconds(expires);
    store<u32>(e + S_EXPIRES, sec);
    // Rounded down: never later than the token's exp.
    const frac = sec == NEVER || sec == 0 ? 0.0 : Math.floor((expires - <f64>sec) * 65536.0);
    store<u16>(e + S_EXPIRES_FRAC, <u16>(frac > 0 ? (frac < 65535 ? frac : 65535) : 0));
    const at = this.expiry(i);
    if (at < this.earliestExpiry) this.earliestExpiry = at;
  }

  addFlag(i: i32, flag: u8): void {
    store<u8>(this.at(i) + S_FLAGS, load<u8>(this.at(i) + S_FLAGS) | flag);
  }

  setTokenId(i: i32, id: u32): void {
    store<u32>(this.at(i) + S_TOKEN_ID, id);
  }

  tokenId(i: i32): u32 { return load<u32>(this.at(i) + S_TOKEN_ID); }
  code(i: i32): i32 { return <i32>load<u8>(this.at(i) + S_CODE); }
  service(i: i32): i32 { return <i32>load<u16>(this.at(i) + S_SERVICE); }
  flags(i: i32): u8 { return load<u8>(this.at(i) + S_FLAGS); }
  expires(i: i32): u32 { return load<u32>(this.at(i) + S_EXPIRES); }
  lastSeen(i: i32): u32 { return load<u32>(this.at(i) + S_LAST_SEEN); }

  /** The origin's address (4 or 16 bytes) of entry i: what a bip binding is checked against. */
  originAddress(i: i32): usize {
    const e = this.at(i);
    return e + ((load<u8>(e + S_FLAGS) & FLAG_ORIGIN_IS_B) != 0 ? K_B : K_A);
  }

  /** The other endpoint's address of entry i. */
  peerAddress(i: i32): usize {
    const e = this.at(i);
    return e + ((load<u8>(e + S_FLAGS) & FLAG_ORIGIN_IS_B) != 0 ? K_A : K_B);
  }

  originPort(i: i32): i32 {
    const e = this.at(i);
    return <i32>load<u16>(e + ((load<u8>(e + S_FLAGS) & FLAG_ORIGIN_IS_B) != 0 ? K_PORT_B : K_PORT_A));
  }

  peerPort(i: i32): i32 {
    const e = this.at(i);
    return <i32>load<u16>(e + ((load<u8>(e + S_FLAGS) & FLAG_ORIGIN_IS_B) != 0 ? K_PORT_A : K_PORT_B));
  }

  proto(i: i32): i32 { return <i32>load<u8>(this.at(i) + K_PROTO); }
  addressLength(i: i32): i32 { return (this.flags(i) & FLAG_IPV6) != 0 ? 16 : 4; }

  /** The used entry after `i` (-1 to start), or -1: a walk for status and revocation. */
  next(i: i32): i32 {
    for (let j = i + 1; j < this.capacity; j++) if (this.isUsed(j)) return j;
    return NONE;
  }
}

/**
 * -1, 0 or 1: the order of two endpoints, address (bytes in network order,
 * compared as big-endian words) then port.
 */
// @ts-ignore: decorator
@inline function endpointOrder(a: usize, portA: i32, b: usize, portB: i32, v6: bool): i32 {
  if (v6) {
    const a0 = bswap<u64>(load<u64>(a)), b0 = bswap<u64>(load<u64>(b));
    if (a0 != b0) return a0 < b0 ? -1 : 1;
    const a1 = bswap<u64>(load<u64>(a, 8)), b1 = bswap<u64>(load<u64>(b, 8));
    if (a1 != b1) return a1 < b1 ? -1 : 1;
  } else {
    const a0 = bswap<u32>(load<u32>(a)), b0 = bswap<u32>(load<u32>(b));
    if (a0 != b0) return a0 < b0 ? -1 : 1;
  }
  return portA - portB;
}

/** A key address: IPv4 in the first 4 bytes, the rest zero. */
// @ts-ignore: decorator
@inline function copyAddress(to: usize, from: usize, v6: bool): void {
  if (v6) {
    store<u64>(to, load<u64>(from));
    store<u64>(to, load<u64>(from, 8), 8);
  } else {
    store<u64>(to, <u64>load<u32>(from));
    store<u64>(to, 0, 8);
  }
}

// @ts-ignore: decorator
@inline function sameAddress(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

/**
 * The canonical key's hash: a multiply-xor over its 32-bit words, seeded,
 * with murmur3's finaliser to spread the bits. Word loads, not bytes: it
 * runs for every packet.
 */
function hashKey(seed: u32, a: usize, b: usize, portA: i32, portB: i32, proto: i32, v6: bool): u32 {
  let h: u32 = 2166136261 ^ seed;
  for (let i = 0; i < ADDR; i += 4) h = (h ^ load<u32>(a + <usize>i)) * 16777619;
  for (let i = 0; i < ADDR; i += 4) h = (h ^ load<u32>(b + <usize>i)) * 16777619;
  h = (h ^ (<u32>portA | (<u32>portB << 16))) * 16777619;
  h = (h ^ <u32>(proto | (v6 ? 0x100 : 0))) * 16777619;
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}
