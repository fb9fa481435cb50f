// The revocation list: token ids as keys "u<decimal>" (an integer nti) or
// "b<hex>" (a byte-string nti or cti; validate.ts), in 256 buckets by their
// FNV-1a hash. A small set of its own instead of Set<string>, whose hashing
// and rehashing cost ~1 KB of module; the list holds at most MAX_REVOKED
// (4,096) ids, 16 a bucket on average.

const BUCKETS = 256;

/** FNV-1a over a token id key (ASCII); never 0, which means "no id" in a flow. */
export function idHash(key: string): u32 {
  let h: u32 = 2166136261;
  for (let i = 0; i < key.length; i++) h = (h ^ <u32>key.charCodeAt(i)) * 16777619;
  return h != 0 ? h : 1;
}

export class RevokedIds {
  /** Made at the first id: most configurations revoke nothing. */
  private buckets: Array<string[]> | null = null;
  size: i32 = 0;

  has(key: string): bool {
    const buckets = this.buckets;
    return buckets != null && buckets[<i32>(idHash(key) & (BUCKETS - 1))].includes(key);
  }

  add(key: string): void {
    let buckets = this.buckets;
    if (buckets == null) {
      buckets = new Array<string[]>(BUCKETS);
      for (let i = 0; i < BUCKETS; i++) buckets[i] = [];
      this.buckets = buckets;
    }
    const list = buckets[<i32>(idHash(key) & (BUCKETS - 1))];
    if (list.includes(key)) return;
    list.push(key);
    this.size++;
  }

  /** Every id, in no particular order. */
  values(): string[] {
    const out = new Array<string>();
    const buckets = this.buckets;
    if (buckets != null) for (let i = 0; i < BUCKETS; i++) for (let k = 0; k < buckets[i].length; k++) out.push(buckets[i][k]);
    return out;
  }
}
