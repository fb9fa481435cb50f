import { FlowTable, Direction, ENTRY_BYTES, FLAG_ORIGIN_IS_B, FLAG_REFLECT, FLAG_TOKEN, FLAG_USED, MAX_CHAIN, NEVER } from "../../assembly/flow/table";
import { hex, toHex } from "./helpers";

const CLIENT4 = hex("c0000207"); // 192.0.2.7
const SERVER4 = hex("c6336402"); // 198.51.100.2
const CLIENT6 = hex("20010db8000000000000000000000007");
const SERVER6 = hex("20010db8000000000000000000000002");
const OTHER4 = hex("c0000208");

function udp4(t: FlowTable, src: usize, sport: i32, dst: usize, dport: i32): void {
  t.setKey(4, 17, src, sport, dst, dport);
}

/** n distinct client ports towards one server, inserted at times 0..n-1. */
function fill(t: FlowTable, n: i32): void {
  for (let i = 0; i < n; i++) {
    udp4(t, CLIENT4.ptr, 10000 + i, SERVER4.ptr, 3478);
    expect<i32>(t.find(<f64>i)).toBe(-1);
    t.insert(<f64>i);
  }
}

describe("FlowTable", () => {
  it("finds a flow from the packet that created it, as from the origin", () => {
    const t = new FlowTable(16, 1);
    udp4(t, CLIENT4.ptr, 50000, SERVER4.ptr, 3478);
    const i = t.insert(1);
    udp4(t, CLIENT4.ptr, 50000, SERVER4.ptr, 3478);
    expect<i32>(t.find(2)).toBe(i);
    expect<i32>(t.direction).toBe(Direction.FROM_ORIGIN);
  });

  it("finds the same flow from the reverse direction, as to the origin", () => {
    const t = new FlowTable(16, 1);
    udp4(t, CLIENT4.ptr, 50000, SERVER4.ptr, 3478);
    const i = t.insert(1);
    udp4(t, SERVER4.ptr, 3478, CLIENT4.ptr, 50000);
    expect<i32>(t.find(2)).toBe(i);
    expect<i32>(t.direction).toBe(Direction.TO_ORIGIN);
  });

  it("keeps the origin when the origin is the higher endpoint", () => {
    const t = new FlowTable(16, 1);
    udp4(t, SERVER4.ptr, 3478, CLIENT4.ptr, 50000); // 198.51.100.2 > 192.0.2.7
    const i = t.insert(1);
    expect<u8>(t.flags(i) & FLAG_ORIGIN_IS_B).toBe(FLAG_ORIGIN_IS_B);
    expect<string>(toHex(t.originAddress(i), 4)).toBe("c6336402");
    udp4(t, CLIENT4.ptr, 50000, SERVER4.ptr, 3478);
    expect<i32>(t.find(2)).toBe(i);
    expect<i32>(t.direction).toBe(Direction.TO_ORIGIN);
  });

  it("gives the origin's address for a bip check", () => {
    const t = new FlowTable(16, 1);
    udp4(t, CLIENT4.ptr, 50000, SERVER4.ptr, 3478);
    const i = t.insert(1);
    expect<string>(toHex(t.originAddress(i), 4)).toBe("c0000207");
  });

  it("tells flows apart by port, protocol, address and IP version", () => {
    const t = new FlowTable(64, 7);
    udp4(t, CLIENT4.ptr, 50000, SERVER4.ptr, 3478);
    t.insert(1);
    udp4(t, CLIENT4.ptr, 50001, SERVER4.ptr, 3478);
    expect<i32>(t.find(1)).toBe(-1);
    t.setKey(4, 6, CLIENT4.ptr, 50000, SERVER4.ptr, 3478);
    expect<i32>(t.find(1)).toBe(-1);
    udp4(t, OTHER4.ptr, 50000, SERVER4.ptr, 3478);
    expect<i32>(t.find(1)).toBe(-1);
    // The same first four bytes as an IPv6 address are another flow.
    const v6a = hex("c0000207000000000000000000000000");
    const v6b = hex("c6336402000000000000000000000000");
    t.setKey(6, 17, v6a.ptr, 50000, v6b.ptr, 3478);
    expect<i32>(t.find(1)).toBe(-1);
    expect<i32>(t.count).toBe(1);
  });

  it("stores IPv6 flows with their full addresses", () => {
    const t = new FlowTable(16, 3);
    t.setKey(6, 17, CLIENT6.ptr, 50000, SERVER6.ptr, 3478);
    const i = t.insert(1);
    t.setKey(6, 17, SERVER6.ptr, 3478, CLIENT6.ptr, 50000);
    expect<i32>(t.find(2)).toBe(i);
    expect<string>(toHex(t.originAddress(i), 16)).toBe("20010db8000000000000000000000007");
  });

  it("keeps a decision and its flags, without losing the key flags", () => {
    const t = new FlowTable(16, 1);
    udp4(t, SERVER4.ptr, 3478, CLIENT4.ptr, 50000);
    const i = t.insert(1);
    t.setDecision(i, 13, 7, FLAG_TOKEN | FLAG_REFLECT, 1800000000);
    expect<i32>(t.code(i)).toBe(13);
    expect<i32>(t.service(i)).toBe(7);
    expect<u8>(t.flags(i)).toBe(FLAG_USED | FLAG_TOKEN | FLAG_REFLECT | FLAG_ORIGIN_IS_B);
    expect<u32>(t.expires(i)).toBe(1800000000);
    t.setDecision(i, 0, 1, 0, Infinity);
    expect<u32>(t.expires(i)).toBe(NEVER);
    expect<u8>(t.flags(i)).toBe(FLAG_USED | FLAG_ORIGIN_IS_B);
  });

  it("keeps the deciding token's id hash, across a new decision", () => {
    const t = new FlowTable(16, 1);
    udp4(t, CLIENT4.ptr, 1, SERVER4.ptr, 2);
    const i = t.insert(1);
    expect<u32>(t.tokenId(i)).toBe(0);
    t.setTokenId(i, 0xdeadbeef);
    t.setDecision(i, 0, 1, FLAG_TOKEN, 100);
    expect<u32>(t.tokenId(i)).toBe(0xdeadbeef);
  });

  it("uses at most 64 bytes of memory per flow at capacity", () => {
    const t = new FlowTable(16384, 1);
    expect<i32>(t.footprint / t.capacity).toBeLessThanOrEqual(64);
    expect<i32>(ENTRY_BYTES).toBe(60);
    t.release();
  });

  it("never holds more flows than its capacity and evicts the least recently seen", () => {
    const t = new FlowTable(8, 5);
    fill(t, 8);
    // Flow 0 is seen again, so flow 1 becomes the idlest.
    udp4(t, CLIENT4.ptr, 10000, SERVER4.ptr, 3478);
    expect<i32>(t.find(100)).toBeGreaterThanOrEqual(0);
    udp4(t, CLIENT4.ptr, 20000, SERVER4.ptr, 3478);
    t.insert(101);
    expect<i32>(t.count).toBe(8);
    expect<u64>(t.counters.evictions).toBe(1);
    udp4(t, CLIENT4.ptr, 10001, SERVER4.ptr, 3478);
    expect<i32>(t.find(102)).toBe(-1);
    udp4(t, CLIENT4.ptr, 10000, SERVER4.ptr, 3478);
    expect<i32>(t.find(102)).toBeGreaterThanOrEqual(0);
  });

  it("ages out flows idle longer than the timeout, and only those", () => {
    const t = new FlowTable(16, 5);
    fill(t, 10); // last seen at 0..9
    expect<i32>(t.expire(15, 10, 100)).toBe(6); // 0..5: last + 10 <= 15
    expect<i32>(t.count).toBe(4);
    expect<u64>(t.counters.expirations).toBe(6);
    udp4(t, CLIENT4.ptr, 10006, SERVER4.ptr, 3478);
    expect<i32>(t.find(15)).toBeGreaterThanOrEqual(0);
  });

  it("bounds the work of one aging pass and resumes where it stopped", () => {
    const t = new FlowTable(16, 5);
    fill(t, 10);
    expect<i32>(t.expire(1000, 10, 3)).toBe(3);
    expect<i32>(t.count).toBe(7);
    expect<i32>(t.expire(1000, 10, 16)).toBe(7);
    expect<i32>(t.count).toBe(0);
  });

  it("ends a decision at its expiry to the fraction of a second, and leaves it to the next packet, not to aging", () => {
    const t = new FlowTable(16, 5);
    udp4(t, CLIENT4.ptr, 1, SERVER4.ptr, 2);
    const i = t.insert(0);
    t.setDecision(i, 0, 1, FLAG_TOKEN, 50);
    expect<bool>(t.isExpired(i, 49)).toBe(false);
    expect<bool>(t.isExpired(i, 50)).toBe(true);
    t.setDecision(i, 0, 1, FLAG_TOKEN, 50.5);
    expect<bool>(t.isExpired(i, 50.25)).toBe(false);
    expect<bool>(t.isExpired(i, 50.4999)).toBe(false);
    expect<bool>(t.isExpired(i, 50.5)).toBe(true);
    t.setDecision(i, 0, 1, FLAG_TOKEN, Infinity);
    expect<bool>(t.isExpired(i, 4294967296.0)).toBe(false);
    t.setDecision(i, 0, 1, FLAG_TOKEN, 50);
    expect<i32>(t.expire(50, 1000, 16)).toBe(0);
    expect<bool>(t.isUsed(i)).toBe(true);
  });

  it("reuses the slot of a removed flow", () => {
    const t = new FlowTable(2, 5);
    fill(t, 2);
    udp4(t, CLIENT4.ptr, 10000, SERVER4.ptr, 3478);
    const i = t.find(3);
    t.remove(i);
    expect<i32>(t.count).toBe(1);
    expect<i32>(t.find(3)).toBe(-1);
    udp4(t, CLIENT4.ptr, 30000, SERVER4.ptr, 3478);
    expect<i32>(t.insert(4)).toBe(i);
    expect<u64>(t.counters.evictions).toBe(0);
  });

  it("ignores removing an index that is not in use or out of range", () => {
    const t = new FlowTable(4, 5);
    fill(t, 2);
    t.remove(3);
    t.remove(-1);
    t.remove(99);
    expect<i32>(t.count).toBe(2);
  });

  it("bounds a bucket's chain: colliding keys evict instead of growing it", () => {
    const t = new FlowTable(256, 11);
    // Find client ports whose flows all fall into bucket 0.
    const ports: i32[] = [];
    for (let p = 1; p < 65536 && ports.length < MAX_CHAIN + 4; p++) {
      udp4(t, CLIENT4.ptr, p, SERVER4.ptr, 3478);
      if (t.keyBucket == 0) ports.push(p);
    }
    expect<i32>(ports.length).toBe(MAX_CHAIN + 4);
    for (let k = 0; k < ports.length; k++) {
      udp4(t, CLIENT4.ptr, ports[k], SERVER4.ptr, 3478);
      t.insert(<f64>k);
    }
    expect<i32>(t.count).toBeLessThanOrEqual(MAX_CHAIN);
    expect<u64>(t.counters.evictions).toBeGreaterThanOrEqual(4);
    // The newest is found; the first ones were evicted.
    udp4(t, CLIENT4.ptr, ports[ports.length - 1], SERVER4.ptr, 3478);
    expect<i32>(t.find(100)).toBeGreaterThanOrEqual(0);
    udp4(t, CLIENT4.ptr, ports[0], SERVER4.ptr, 3478);
    expect<i32>(t.find(100)).toBe(-1);
  });

  it("spreads flows with another seed differently", () => {
    const a = new FlowTable(1024, 1);
    const b = new FlowTable(1024, 2);
    let same = 0;
    for (let p = 0; p < 64; p++) {
      a.setKey(4, 17, CLIENT4.ptr, p, SERVER4.ptr, 3478);
      b.setKey(4, 17, CLIENT4.ptr, p, SERVER4.ptr, 3478);
      if (a.keyBucket == b.keyBucket) same++;
    }
    expect<i32>(same).toBeLessThan(8);
  });

  it("holds and finds 16,384 flows in a table of that capacity", () => {
    const t = new FlowTable(16384, 99);
    for (let i = 0; i < 16384; i++) {
      t.setKey(4, 17, CLIENT4.ptr, i & 0xffff, SERVER4.ptr, 3478 + (i >> 16));
      t.insert(<f64>i);
    }
    expect<i32>(t.count).toBe(16384);
    let found = 0;
    for (let i = 0; i < 16384; i++) {
      t.setKey(4, 17, SERVER4.ptr, 3478 + (i >> 16), CLIENT4.ptr, i & 0xffff);
      if (t.find(20000) >= 0) found++;
    }
    expect<i32>(found).toBe(16384 - <i32>t.counters.evictions);
    t.release();
  });

  it("walks every flow once", () => {
    const t = new FlowTable(8, 5);
    fill(t, 3);
    let n = 0;
    for (let i = t.next(-1); i != -1; i = t.next(i)) n++;
    expect<i32>(n).toBe(3);
  });
});
