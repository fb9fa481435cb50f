// The verified-token cache: a token seen again (another flow of the same
// user, every packet of a per-packet flow) costs a hash and a lookup instead
// of a MAC or signature check.
//
// Keyed by the first 16 bytes of the SHA-256 of the token's bytes (header
// included, so a reflected copy is another entry). Open addressing with
// linear probing over a power-of-two slot array, at most MAX_PROBE slots per
// lookup; an insert into a full probe window replaces its oldest entry. The
// value of a slot is an opaque block the caller lays out (the policy layer
// keeps the decision and the claims it needs, e.g. exp for re-checking time
// on every hit). Memory is allocated once; configuration or revocation
// changes clear() the cache, since cached decisions depended on them.

import { allocTable, freeTable, tableBytes } from "../util/pages";

export const KEY_BYTES: i32 = 16;
export const MAX_PROBE: i32 = 8;
export const DEFAULT_TOKEN_CACHE: i32 = 4096;

// Slot layout: [used u8, pad, stamp f64 at 8, key 16 at 16, value at 32].
const SLOT_USED = 0;
const SLOT_STAMP = 8;
const SLOT_KEY = 16;
const SLOT_VALUE = 32;

export class TokenCache {
  readonly slots: i32;
  readonly slotBytes: i32;
  count: i32 = 0;
  hits: u64 = 0;
  misses: u64 = 0;
  replacements: u64 = 0;
  private base: usize;
  /** Insertion order stamp: replacement picks the smallest in the window. */
  private clock: f64 = 0;

  /** The slots a cache configured for `capacity` entries has: the power of two at or above it. */
  static slotsFor(capacity: i32): i32 {
    let n = 1;
    while (n < capacity) n <<= 1;
    return n;
  }

  constructor(capacity: i32, public readonly valueBytes: i32) {
    const n = TokenCache.slotsFor(capacity);
    this.slots = n;
    this.slotBytes = (SLOT_VALUE + valueBytes + 7) & ~7;
    this.base = allocTable(<usize>n * <usize>this.slotBytes);
    this.clear();
  }

  release(): void {
    freeTable(this.base, <usize>this.slots * <usize>this.slotBytes);
  }

  clear(): void {
    memory.fill(this.base, 0, <usize>this.slots * <usize>this.slotBytes);
    this.count = 0;
  }

  /** Bytes of linear memory the cache takes (whole pages when it has them). */
  get footprint(): i32 {
    return <i32>tableBytes(<usize>this.slots * <usize>this.slotBytes);
  }

  @inline private slot(i: i32): usize {
    return this.base + <usize>i * <usize>this.slotBytes;
  }

  /** The digest is uniformly distributed: its first bytes are the hash. */
  private home(key: usize): i32 {
    return <i32>(load<u32>(key) & <u32>(this.slots - 1));
  }

  /** The value block of the entry for `key`, or 0 when absent. */
  find(key: usize): usize {
    const home = this.home(key);
    for (let p = 0; p < MAX_PROBE; p++) {
      const s = this.slot((home + p) & (this.slots - 1));
      if (load<u8>(s + SLOT_USED) == 0) break;
      if (memory.compare(s + SLOT_KEY, key, KEY_BYTES) == 0) {
        this.hits++;
        return s + SLOT_VALUE;
      }
    }
    this.misses++;
    return 0;
  }

  /**
   * The value block for `key`, zeroed, for the caller to fill: a free slot
   * of the probe window, an entry with the same key, or the window's oldest.
   */
  insert(key: usize): usize {
    const home = this.home(key);
    let victim: usize = 0;
    let victimStamp = Infinity;
    for (let p = 0; p < MAX_PROBE; p++) {
      const s = this.slot((home + p) & (this.slots - 1));
      if (load<u8>(s + SLOT_USED) == 0 || memory.compare(s + SLOT_KEY, key, KEY_BYTES) == 0) {
        victim = s;
        break;
      }
      const stamp = load<f64>(s + SLOT_STAMP);
      if (stamp < victimStamp) {
        victimStamp = stamp;
        victim = s;
      }
    }
    if (load<u8>(victim + SLOT_USED) == 0) this.count++;
    else if (memory.compare(victim + SLOT_KEY, key, KEY_BYTES) != 0) this.replacements++;
    memory.fill(victim, 0, <usize>this.slotBytes);
    store<u8>(victim + SLOT_USED, 1);
    store<f64>(victim + SLOT_STAMP, ++this.clock);
    memory.copy(victim + SLOT_KEY, key, KEY_BYTES);
    return victim + SLOT_VALUE;
  }
}
