// Slow-path protection: signature checks cost ~100 µs-1 ms on a router, so
// verifications are rate-limited with token buckets, one global and one per
// source address. Over the limit a packet passes unmarked and a counter
// rises; flows already verified never reach this point.
//
// Per-source buckets live in a fixed array indexed by a seeded hash of the
// address. Two sources that collide share a bucket: that can only make the
// limit stricter for them, and it keeps memory fixed whatever the number of
// sources (a flood from random addresses cannot grow anything).

export const DEFAULT_GLOBAL_RATE: f64 = 200; // verifications per second
export const DEFAULT_GLOBAL_BURST: f64 = 400;
export const DEFAULT_SOURCE_RATE: f64 = 20;
export const DEFAULT_SOURCE_BURST: f64 = 40;
export const DEFAULT_SOURCE_SLOTS: i32 = 1024;

/** One token bucket: `rate` tokens per second up to `burst`. */
@unmanaged
class Bucket {
  tokens: f64;
  stamp: f64;
}

function take(b: Bucket, now: f64, rate: f64, burst: f64): bool {
  // A clock that steps backwards (NTP) must not mint tokens, then or later:
  // the stamp only moves forward.
  if (now > b.stamp) {
    const t = b.tokens + (now - b.stamp) * rate;
    b.tokens = t < burst ? t : burst;
    b.stamp = now;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

export class RateLimiter {
  /** Refused because the global bucket was empty / the source's bucket was empty. */
  limitedGlobal: u64 = 0;
  limitedSource: u64 = 0;
  allowed: u64 = 0;

  private global: Bucket;
  private sources: usize;
  private readonly slots: i32;

  constructor(
    public readonly globalRate: f64,
    public readonly globalBurst: f64,
    public readonly sourceRate: f64,
    public readonly sourceBurst: f64,
    slots: i32,
    public readonly seed: u32,
  ) {
    let n = 1;
    while (n < slots) n <<= 1;
    this.slots = n;
    this.global = changetype<Bucket>(heap.alloc(offsetof<Bucket>()));
    this.sources = heap.alloc(<usize>n * offsetof<Bucket>());
    this.reset();
  }

  release(): void {
    heap.free(changetype<usize>(this.global));
    heap.free(this.sources);
  }

  /** Every bucket full: a (re)started gateway accepts a burst at once. */
  reset(): void {
    this.global.tokens = this.globalBurst;
    this.global.stamp = -Infinity;
    for (let i = 0; i < this.slots; i++) {
      const b = changetype<Bucket>(this.sources + <usize>i * offsetof<Bucket>());
      b.tokens = this.sourceBurst;
      b.stamp = -Infinity;
    }
  }

  private slotOf(addr: usize, len: i32): Bucket {
    let h: u32 = 2166136261 ^ this.seed;
    for (let i = 0; i < len; i++) h = (h ^ <u32>load<u8>(addr + i)) * 16777619;
    h ^= h >> 15;
    h *= 0x2c1b3c6d;
    h ^= h >> 12;
    return changetype<Bucket>(this.sources + <usize>(h & <u32>(this.slots - 1)) * offsetof<Bucket>());
  }

  /**
   * May a verification for a packet from `addr` (4 or 16 bytes) run now?
   * The source's bucket is checked first so that one noisy source cannot
   * drain the global bucket for everyone.
   */
  allow(addr: usize, len: i32, now: f64): bool {
    if (!take(this.slotOf(addr, len), now, this.sourceRate, this.sourceBurst)) {
      this.limitedSource++;
      return false;
    }
    if (!take(this.global, now, this.globalRate, this.globalBurst)) {
      this.limitedGlobal++;
      return false;
    }
    this.allowed++;
    return true;
  }
}
