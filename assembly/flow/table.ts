// The flow table: verdicts per connection, found from either direction.
//
// Fixed capacity chosen at configuration (default 16,384), all in one block
// of linear memory allocated once: no per-flow object, nothing for the
// collector, memory that cannot grow past what the board profile allows.
// Lookup is a chained hash over a power-of-two bucket array (O(1) expected);
// every entry is also on a least-recently-seen list, so that a full table
// evicts the idlest flow in O(1) and aging walks only what has expired.
//
// A flow is keyed by its 5-tuple in canonical order (the lower endpoint
// first), so the packets of both directions land on the same entry; the
// entry remembers which endpoint started it ("origin"), which a caller needs
// for binding (bip is the origin's address) and for reflection (the reverse
// direction carries the reflected token).
//
// The hash is seeded (configuration gives the seed; a host passes a random
// one) and chains are bounded, so crafted 5-tuples cannot turn a lookup
// into a walk over the whole table.

/** Bytes of one address slot: IPv4 addresses are stored in the first 4 bytes. */
const ADDR = 16;

// Entry layout (bytes). Keys first, then state, then links.
const K_A = 0; //           endpoint A address (the lower one)
const K_B = 16; //          endpoint B address
const K_PORT_A = 32; //     u16
const K_PORT_B = 34; //     u16
const K_PROTO = 36; //      u8
const K_VERSION = 37; //    u8: 4 or 6
const S_FLAGS = 38; //      u8: FLAG_*
const S_DSCP = 39; //       u8
const S_MARK = 40; //       u32
const S_SERVICE = 44; //    u32
const S_CODE = 48; //       u32: result code of the decision
const S_EXPIRES = 56; //    f64: min(token exp, set by caller) — the hard end
const S_LAST_SEEN = 64; //  f64: last packet, for idle aging
const S_DIGEST = 72; //     16 bytes: first half of the token's SHA-256
const L_NEXT = 88; //       i32: next in bucket chain (-1 end)
const L_OLDER = 92; //      i32: LRU list, towards the oldest
const L_NEWER = 96; //      i32: LRU list, towards the newest
const L_BUCKET = 100; //    i32: bucket index (to unlink without rehashing)
export const ENTRY_BYTES: i32 = 104;
export const DIGEST_BYTES: i32 = 16;

/** The origin (the endpoint that sent the first packet) is endpoint B. */
export const FLAG_ORIGIN_IS_B: u8 = 1;
/** The flow's token asked for reflection (reflect type 1). */
export const FLAG_REFLECT: u8 = 2;
/** The verdict came from a verified token (not "no token", "washed", ...). */
export const FLAG_TOKEN: u8 = 4;

/** Longest chain a lookup or insert walks; a longer one evicts instead of growing. */
export const MAX_CHAIN: i32 = 8;
export const DEFAULT_CAPACITY: i32 = 16384;
export const MAX_CAPACITY: i32 = 1 << 20;

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

/** Canonical order of two endpoints: address bytes, then port. */
function endpointLess(a: usize, aPort: i32, b: usize, bPort: i32, len: i32): i32 {
  const c = memory.compare(a, b, <usize>len);
  if (c != 0) return c;
  return aPort - bPort;
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
  private newest: i32 = NONE;
  private oldest: i32 = NONE;
  // The key of the current operation, canonicalised.
  private keyA: usize = memory.data(ADDR);
  private keyB: usize = memory.data(ADDR);
  private keyPortA: i32 = 0;
  private keyPortB: i32 = 0;
  private keyProto: i32 = 0;
  private keyVersion: i32 = 0;
  private keyOriginIsB: bool = false;
  private keyHash: u32 = 0;

  constructor(capacity: i32, seed: u32) {
    if (capacity < 1) capacity = 1;
    if (capacity > MAX_CAPACITY) capacity = MAX_CAPACITY;
    this.capacity = capacity;
    let b = 1;
    while (b < capacity) b <<= 1;
    this.buckets = b;
    this.seed = seed;
    // Raw blocks, not managed objects: sized once, never scanned by the collector.
    this.entries = heap.alloc(<usize>capacity * <usize>ENTRY_BYTES);
    this.bucketHeads = heap.alloc(<usize>b << 2);
    this.clear();
  }

  /** Gives the memory back (a configuration with another capacity replaces the table). */
  release(): void {
    heap.free(this.entries);
    heap.free(this.bucketHeads);
  }

  /** Bytes of linear memory the table holds. */
  get footprint(): i32 {
    return this.capacity * ENTRY_BYTES + (this.buckets << 2);
  }

  clear(): void {
    memory.fill(this.entries, 0, <usize>this.capacity * <usize>ENTRY_BYTES);
    for (let i = 0; i < this.buckets; i++) store<i32>(this.bucketHeads + (<usize>i << 2), NONE);
    // Free list threaded through L_NEXT.
    for (let i = 0; i < this.capacity; i++) store<i32>(this.at(i) + L_NEXT, i + 1 < this.capacity ? i + 1 : NONE);
    this.freeHead = 0;
    this.newest = NONE;
    this.oldest = NONE;
    this.count = 0;
  }

  @inline private at(i: i32): usize {
    return this.entries + <usize>i * <usize>ENTRY_BYTES;
  }

  /**
   * Sets the key for find/insert from a packet's 5-tuple. Addresses are 4 or
   * 16 bytes at src/dst; ports are 0 for protocols without them.
   */
  setKey(version: i32, proto: i32, src: usize, srcPort: i32, dst: usize, dstPort: i32): void {
    const len = version == 4 ? 4 : 16;
    this.keyVersion = version;
    this.keyProto = proto;
    memory.fill(this.keyA, 0, ADDR);
    memory.fill(this.keyB, 0, ADDR);
    const srcFirst = endpointLess(src, srcPort, dst, dstPort, len) <= 0;
    this.keyOriginIsB = !srcFirst;
    memory.copy(this.keyA, srcFirst ? src : dst, len);
    memory.copy(this.keyB, srcFirst ? dst : src, len);
    this.keyPortA = srcFirst ? srcPort : dstPort;
    this.keyPortB = srcFirst ? dstPort : srcPort;
    this.keyHash = this.hashKey();
  }

  /** The bucket of the key set last (tests use it to build colliding keys). */
  get keyBucket(): i32 {
    return <i32>(this.keyHash & <u32>(this.buckets - 1));
  }

  /** FNV-1a over the canonical key, seeded, with a murmur3 finaliser to spread the bits. */
  private hashKey(): u32 {
    let h: u32 = 2166136261 ^ this.seed;
    for (let i = 0; i < ADDR; i++) h = (h ^ <u32>load<u8>(this.keyA + i)) * 16777619;
    for (let i = 0; i < ADDR; i++) h = (h ^ <u32>load<u8>(this.keyB + i)) * 16777619;
    h = (h ^ <u32>this.keyPortA) * 16777619;
    h = (h ^ <u32>this.keyPortB) * 16777619;
    h = (h ^ <u32>(this.keyProto | (this.keyVersion << 8))) * 16777619;
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;
    return h;
  }

  private matches(e: usize): bool {
    return <i32>load<u8>(e + K_PROTO) == this.keyProto &&
      <i32>load<u8>(e + K_VERSION) == this.keyVersion &&
      <i32>load<u16>(e + K_PORT_A) == this.keyPortA &&
      <i32>load<u16>(e + K_PORT_B) == this.keyPortB &&
      memory.compare(e + K_A, this.keyA, ADDR) == 0 &&
      memory.compare(e + K_B, this.keyB, ADDR) == 0;
  }

  /**
   * Finds the flow of the key set last, from either direction; -1 when
   * absent. A hit refreshes its idle time and sets `direction`.
   */
  find(now: f64): i32 {
    const bucket = <i32>(this.keyHash & <u32>(this.buckets - 1));
    let i = load<i32>(this.bucketHeads + (<usize>bucket << 2));
    for (let steps = 0; i != NONE && steps < MAX_CHAIN; steps++) {
      const e = this.at(i);
      if (this.matches(e)) {
        this.counters.hits++;
        const originIsB = (load<u8>(e + S_FLAGS) & FLAG_ORIGIN_IS_B) != 0;
        // The packet is from the origin when its source is the origin's endpoint.
        this.direction = originIsB == this.keyOriginIsB ? Direction.FROM_ORIGIN : Direction.TO_ORIGIN;
        store<f64>(e + S_LAST_SEEN, now);
        this.touch(i);
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
   * source (the caller has seen find() miss); evicts the least recently seen flow when the table is full or
   * the bucket's chain is at its bound. Returns the entry (never -1).
   */
  insert(now: f64): i32 {
    const bucket = <i32>(this.keyHash & <u32>(this.buckets - 1));
    const head = this.bucketHeads + (<usize>bucket << 2);
    let chain = 0;
    for (let j = load<i32>(head); j != NONE && chain < MAX_CHAIN + 1; j = load<i32>(this.at(j) + L_NEXT)) chain++;
    if (chain >= MAX_CHAIN) {
      // A crafted or unlucky bucket: drop its oldest-inserted flow (the chain's tail is the oldest insert).
      let last = load<i32>(head);
      while (load<i32>(this.at(last) + L_NEXT) != NONE) last = load<i32>(this.at(last) + L_NEXT);
      this.remove(last);
      this.counters.evictions++;
    }
    if (this.freeHead == NONE) {
      this.remove(this.oldest);
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
    store<u8>(e + K_VERSION, <u8>this.keyVersion);
    store<u8>(e + S_FLAGS, this.keyOriginIsB ? FLAG_ORIGIN_IS_B : 0);
    store<f64>(e + S_LAST_SEEN, now);
    store<f64>(e + S_EXPIRES, Infinity);
    store<i32>(e + L_BUCKET, bucket);
    store<i32>(e + L_NEXT, load<i32>(head));
    store<i32>(head, i);
    store<i32>(e + L_OLDER, NONE);
    store<i32>(e + L_NEWER, NONE);
    this.linkNewest(i);
    this.count++;
    this.counters.inserts++;
    this.direction = Direction.FROM_ORIGIN;
    return i;
  }

  remove(i: i32): void {
    if (i < 0 || i >= this.capacity) return;
    const e = this.at(i);
    // Unlink from the bucket chain.
    const head = this.bucketHeads + (<usize>load<i32>(e + L_BUCKET) << 2);
    let prev = NONE;
    let j = load<i32>(head);
    while (j != NONE && j != i) {
      prev = j;
      j = load<i32>(this.at(j) + L_NEXT);
    }
    if (j != i) return; // not in use
    const next = load<i32>(e + L_NEXT);
    if (prev == NONE) store<i32>(head, next);
    else store<i32>(this.at(prev) + L_NEXT, next);
    this.unlinkLru(i);
    store<i32>(e + L_NEXT, this.freeHead);
    this.freeHead = i;
    this.count--;
    this.counters.removals++;
  }

  /**
   * Removes flows idle longer than `idleTimeout` or past their hard expiry,
   * oldest first, at most `maxWork` of them (a caller spreads aging over
   * packets). Returns how many were removed.
   */
  expire(now: f64, idleTimeout: f64, maxWork: i32): i32 {
    let removed = 0;
    // The LRU order is by last packet, so idle flows are all at the old end;
    // hard expiries can sit anywhere and are also caught by isExpired() at lookup.
    while (this.oldest != NONE && removed < maxWork) {
      const i = this.oldest;
      const e = this.at(i);
      if (load<f64>(e + S_LAST_SEEN) + idleTimeout > now && load<f64>(e + S_EXPIRES) > now) break;
      this.remove(i);
      this.counters.expirations++;
      removed++;
    }
    return removed;
  }

  isExpired(i: i32, now: f64): bool {
    return load<f64>(this.at(i) + S_EXPIRES) <= now;
  }

  private touch(i: i32): void {
    if (this.newest == i) return;
    this.unlinkLru(i);
    this.linkNewest(i);
  }

  private linkNewest(i: i32): void {
    const e = this.at(i);
    store<i32>(e + L_OLDER, this.newest);
    store<i32>(e + L_NEWER, NONE);
    if (this.newest != NONE) store<i32>(this.at(this.newest) + L_NEWER, i);
    this.newest = i;
    if (this.oldest == NONE) this.oldest = i;
  }

  private unlinkLru(i: i32): void {
    const e = this.at(i);
    const older = load<i32>(e + L_OLDER);
    const newer = load<i32>(e + L_NEWER);
    if (older != NONE) store<i32>(this.at(older) + L_NEWER, newer);
    else this.oldest = newer;
    if (newer != NONE) store<i32>(this.at(newer) + L_OLDER, older);
    else this.newest = older;
    store<i32>(e + L_OLDER, NONE);
    store<i32>(e + L_NEWER, NONE);
  }

  // State of entry i.
  setVerdict(i: i32, code: i32, service: u32, dscp: i32, mark: u32, flags: u8, expires: f64): void {
    const e = this.at(i);
    store<u32>(e + S_CODE, <u32>code);
    store<u32>(e + S_SERVICE, service);
    store<u8>(e + S_DSCP, <u8>dscp);
    store<u32>(e + S_MARK, mark);
    store<u8>(e + S_FLAGS, (load<u8>(e + S_FLAGS) & FLAG_ORIGIN_IS_B) | (flags & ~FLAG_ORIGIN_IS_B));
    store<f64>(e + S_EXPIRES, expires);
  }

  setDigest(i: i32, digest: usize): void {
    memory.copy(this.at(i) + S_DIGEST, digest, DIGEST_BYTES);
  }

  digest(i: i32): usize {
    return this.at(i) + S_DIGEST;
  }

  code(i: i32): i32 { return <i32>load<u32>(this.at(i) + S_CODE); }
  service(i: i32): u32 { return load<u32>(this.at(i) + S_SERVICE); }
  dscp(i: i32): i32 { return <i32>load<u8>(this.at(i) + S_DSCP); }
  mark(i: i32): u32 { return load<u32>(this.at(i) + S_MARK); }
  flags(i: i32): u8 { return load<u8>(this.at(i) + S_FLAGS); }
  expires(i: i32): f64 { return load<f64>(this.at(i) + S_EXPIRES); }
  lastSeen(i: i32): f64 { return load<f64>(this.at(i) + S_LAST_SEEN); }

  /** The origin's address (4 or 16 bytes) of entry i: what a bip binding is checked against. */
  originAddress(i: i32): usize {
    const e = this.at(i);
    return e + ((load<u8>(e + S_FLAGS) & FLAG_ORIGIN_IS_B) != 0 ? K_B : K_A);
  }

  /** Oldest-first walk for status and revocation: the entry after `i` (-1 to start), or -1. */
  newerThan(i: i32): i32 {
    if (i == NONE) return this.oldest;
    return load<i32>(this.at(i) + L_NEWER);
  }
}
