import { TokenCache, MAX_PROBE, KEY_BYTES } from "../../assembly/flow/token-cache";
import { hex } from "./helpers";

/** A 16-byte key whose first word (the slot hash) is `home` and last word `tag`. */
function key(home: u32, tag: u32): usize {
  const k = hex("00000000000000000000000000000000");
  store<u32>(k.ptr, home);
  store<u32>(k.ptr + 12, tag);
  return k.ptr;
}

describe("TokenCache", () => {
  it("misses an unknown token and finds it after insertion", () => {
    const c = new TokenCache(64, 16);
    const k = key(5, 1);
    expect<usize>(c.find(k)).toBe(0);
    const v = c.insert(k);
    store<u64>(v, 0xdeadbeef);
    expect<u64>(load<u64>(c.find(k))).toBe(0xdeadbeef);
    expect<u64>(c.hits).toBe(1);
    expect<u64>(c.misses).toBe(1);
  });

  it("gives a zeroed value block on insert", () => {
    const c = new TokenCache(64, 24);
    const v = c.insert(key(1, 1));
    let sum: u64 = 0;
    for (let i = 0; i < 24; i++) sum += load<u8>(v + i);
    expect<u64>(sum).toBe(0);
  });

  it("tells keys that share a home slot apart", () => {
    const c = new TokenCache(64, 8);
    store<u32>(c.insert(key(9, 1)), 1);
    store<u32>(c.insert(key(9, 2)), 2);
    expect<u32>(load<u32>(c.find(key(9, 1)))).toBe(1);
    expect<u32>(load<u32>(c.find(key(9, 2)))).toBe(2);
    expect<usize>(c.find(key(9, 3))).toBe(0);
  });

  it("replaces the same key in place instead of adding a second entry", () => {
    const c = new TokenCache(64, 8);
    c.insert(key(3, 1));
    c.insert(key(3, 1));
    expect<i32>(c.count).toBe(1);
  });

  it("replaces the oldest entry of a full probe window and counts it", () => {
    const c = new TokenCache(64, 8);
    for (let t: u32 = 0; t < <u32>MAX_PROBE; t++) store<u32>(c.insert(key(7, t)), t);
    store<u32>(c.insert(key(7, 100)), 100);
    expect<u64>(c.replacements).toBe(1);
    expect<usize>(c.find(key(7, 0))).toBe(0); // the oldest went
    expect<u32>(load<u32>(c.find(key(7, 1)))).toBe(1);
    expect<u32>(load<u32>(c.find(key(7, 100)))).toBe(100);
  });

  it("wraps its probe window around the end of the slot array", () => {
    const c = new TokenCache(16, 8);
    for (let t: u32 = 0; t < 4; t++) c.insert(key(15, t));
    for (let t: u32 = 0; t < 4; t++) expect<usize>(c.find(key(15, t))).toBeGreaterThan(0);
  });

  it("forgets everything on clear", () => {
    const c = new TokenCache(64, 8);
    c.insert(key(1, 1));
    c.clear();
    expect<usize>(c.find(key(1, 1))).toBe(0);
    expect<i32>(c.count).toBe(0);
  });

  it("keeps fixed memory however many tokens pass", () => {
    const c = new TokenCache(256, 32);
    const before = memory.size();
    const k = key(0, 0);
    for (let i: u32 = 0; i < 100000; i++) {
      store<u32>(k, i * 2654435761);
      store<u32>(k + 12, i);
      c.insert(k);
    }
    expect<i32>(memory.size()).toBe(before);
    expect<i32>(c.count).toBeLessThanOrEqual(256);
    expect<i32>(c.footprint).toBe(256 * 64);
    expect<i32>(KEY_BYTES).toBe(16);
  });
});
