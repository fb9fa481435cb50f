// The fast path's baseline: what plain JavaScript does for a packet of a
// known flow when it knows nothing about tokens. It reads the 5-tuple from
// the raw IP and UDP headers and looks it up in a Map filled beforehand with
// both directions of every flow. It is deliberately less than the core
// does: no IPv6 extension headers, no length checks beyond the version
// nibble, no aging, no canonical (direction-free) key, no verdict.

const be32 = (b: Uint8Array, o: number) => (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];

/** The 5-tuple as a string of its bytes (proto, addresses, ports): 13 chars over IPv4, 37 over IPv6. */
export function tupleString(b: Uint8Array): string {
  const version = b[0] >> 4;
  if (version === 4) {
    const l4 = (b[0] & 15) << 2;
    return String.fromCharCode(
      b[9], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], b[l4], b[l4 + 1], b[l4 + 2], b[l4 + 3],
    );
  }
  if (version === 6) {
    return String.fromCharCode(
      b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19], b[20], b[21], b[22], b[23],
      b[24], b[25], b[26], b[27], b[28], b[29], b[30], b[31], b[32], b[33], b[34], b[35], b[36], b[37], b[38], b[39],
      b[40], b[41], b[42], b[43],
    );
  }
  return '';
}

/** Map<string, value> keyed by tupleString. */
export class StringTupleMap {
  private readonly map = new Map<string, number>();

  set(packet: Uint8Array, value: number): void {
    this.map.set(tupleString(packet), value);
  }

  /** The value of the packet's flow, -1 when there is none. */
  get(packet: Uint8Array): number {
    return this.map.get(tupleString(packet)) ?? -1;
  }
}

/** A flow's tuple, word by word (IPv4: k4..k9 are 0), its value, and the next entry of the same hash. */
class Entry {
  constructor(
    readonly k0: number, readonly k1: number, readonly k2: number, readonly k3: number, readonly k4: number,
    readonly k5: number, readonly k6: number, readonly k7: number, readonly k8: number, readonly k9: number,
    readonly value: number,
    readonly next: Entry | undefined,
  ) {}
}

const FNV_PRIME = 0x01000193;

/**
 * Map<number, entry> keyed by a hash of the 5-tuple's 32-bit words; an
 * entry keeps the whole tuple and is compared word by word, so two flows
 * whose hashes collide stay apart (a chain per hash). The words are plain
 * fields, not a typed array: this was the fastest of the numeric variants
 * tried (a typed array per entry was twice as slow).
 */
export class NumericTupleMap {
  private readonly map = new Map<number, Entry>();
  // The tuple of the last read(): version << 8 | proto, addresses, ports.
  private k0 = 0; private k1 = 0; private k2 = 0; private k3 = 0; private k4 = 0;
  private k5 = 0; private k6 = 0; private k7 = 0; private k8 = 0; private k9 = 0;

  /** Reads the tuple into k0..k9; returns its hash (a small integer), or -1 for neither IPv4 nor IPv6. */
  read(b: Uint8Array): number {
    const version = b[0] >> 4;
    let h: number;
    if (version === 4) {
      const l4 = (b[0] & 15) << 2;
      this.k0 = 0x400 | b[9];
      this.k1 = be32(b, 12);
      this.k2 = be32(b, 16);
      this.k3 = be32(b, l4);
      this.k4 = this.k5 = this.k6 = this.k7 = this.k8 = this.k9 = 0;
      h = Math.imul(0x811c9dc5 ^ this.k0, FNV_PRIME);
      h = Math.imul(h ^ this.k1, FNV_PRIME);
      h = Math.imul(h ^ this.k2, FNV_PRIME);
      h = Math.imul(h ^ this.k3, FNV_PRIME);
    } else if (version === 6) {
      this.k0 = 0x600 | b[6];
      this.k1 = be32(b, 8);
      this.k2 = be32(b, 12);
      this.k3 = be32(b, 16);
      this.k4 = be32(b, 20);
      this.k5 = be32(b, 24);
      this.k6 = be32(b, 28);
      this.k7 = be32(b, 32);
      this.k8 = be32(b, 36);
      this.k9 = be32(b, 40);
      h = Math.imul(0x811c9dc5 ^ this.k0, FNV_PRIME);
      h = Math.imul(h ^ this.k1, FNV_PRIME);
      h = Math.imul(h ^ this.k2, FNV_PRIME);
      h = Math.imul(h ^ this.k3, FNV_PRIME);
      h = Math.imul(h ^ this.k4, FNV_PRIME);
      h = Math.imul(h ^ this.k5, FNV_PRIME);
      h = Math.imul(h ^ this.k6, FNV_PRIME);
      h = Math.imul(h ^ this.k7, FNV_PRIME);
      h = Math.imul(h ^ this.k8, FNV_PRIME);
      h = Math.imul(h ^ this.k9, FNV_PRIME);
    } else {
      return -1;
    }
    // murmur3's finaliser: word-wise FNV alone leaves the low bits poorly mixed.
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h & 0x3fffffff; // a small integer (Smi): no heap number per lookup
  }

  set(packet: Uint8Array, value: number): void {
    const h = this.read(packet);
    this.map.set(h, new Entry(this.k0, this.k1, this.k2, this.k3, this.k4, this.k5, this.k6, this.k7, this.k8, this.k9, value, this.map.get(h)));
  }

  /** The value of the packet's flow, -1 when there is none. */
  get(packet: Uint8Array): number {
    const h = this.read(packet);
    for (let e = this.map.get(h); e !== undefined; e = e.next) {
      if (e.k3 === this.k3 && e.k1 === this.k1 && e.k2 === this.k2 && e.k0 === this.k0 && e.k4 === this.k4 &&
        e.k5 === this.k5 && e.k6 === this.k6 && e.k7 === this.k7 && e.k8 === this.k8 && e.k9 === this.k9) return e.value;
    }
    return -1;
  }
}
