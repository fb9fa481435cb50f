import { RateLimiter } from "../../assembly/policy/rate-limit";
import { hex } from "./helpers";

const A = hex("c0000207");
const B = hex("c0000208");
const V6 = hex("20010db8000000000000000000000007");

function allowedOf(r: RateLimiter, addr: usize, len: i32, now: f64, tries: i32): i32 {
  let n = 0;
  for (let i = 0; i < tries; i++) if (r.allow(addr, len, now)) n++;
  return n;
}

describe("RateLimiter", () => {
  it("lets one source verify its burst at once and no more", () => {
    const r = new RateLimiter(1000, 1000, 10, 5, 64, 1);
    expect<i32>(allowedOf(r, A.ptr, 4, 100, 20)).toBe(5);
    expect<u64>(r.limitedSource).toBe(15);
    expect<u64>(r.limitedGlobal).toBe(0);
  });

  it("refills a source's bucket at its rate", () => {
    const r = new RateLimiter(1000, 1000, 10, 5, 64, 1);
    allowedOf(r, A.ptr, 4, 100, 5);
    expect<i32>(allowedOf(r, A.ptr, 4, 100.5, 20)).toBe(5); // 0.5 s x 10/s
    expect<i32>(allowedOf(r, A.ptr, 4, 100.75, 20)).toBe(2); // 0.25 s more: 2.5 tokens
  });

  it("never holds more than the burst however long a source was quiet", () => {
    const r = new RateLimiter(1000, 1000, 10, 5, 64, 1);
    allowedOf(r, A.ptr, 4, 100, 5);
    expect<i32>(allowedOf(r, A.ptr, 4, 100000, 50)).toBe(5);
  });

  it("keeps sources apart: one source over its limit does not stop another", () => {
    const r = new RateLimiter(1000, 1000, 10, 5, 1024, 1);
    allowedOf(r, A.ptr, 4, 100, 50);
    expect<i32>(allowedOf(r, B.ptr, 4, 100, 5)).toBe(5);
  });

  it("applies the global limit across sources", () => {
    const r = new RateLimiter(10, 8, 100, 100, 1024, 1);
    const addr = hex("0a000000");
    let n = 0;
    for (let i = 0; i < 40; i++) {
      store<u8>(addr.ptr + 3, <u8>i);
      if (r.allow(addr.ptr, 4, 100)) n++;
    }
    expect<i32>(n).toBe(8);
    expect<u64>(r.limitedGlobal).toBe(32);
  });

  it("does not mint tokens when the clock goes backwards", () => {
    const r = new RateLimiter(1000, 1000, 10, 5, 64, 1);
    allowedOf(r, A.ptr, 4, 100, 5);
    expect<i32>(allowedOf(r, A.ptr, 4, 50, 5)).toBe(0);
    expect<i32>(allowedOf(r, A.ptr, 4, 100, 5)).toBe(0);
  });

  it("limits IPv6 sources too", () => {
    const r = new RateLimiter(1000, 1000, 10, 3, 64, 1);
    expect<i32>(allowedOf(r, V6.ptr, 16, 1, 10)).toBe(3);
  });

  it("keeps its memory fixed under a flood of distinct sources", () => {
    const r = new RateLimiter(100, 100, 10, 5, 256, 9);
    const before = memory.size();
    const addr = hex("0a000000");
    for (let i = 0; i < 100000; i++) {
      store<u32>(addr.ptr, <u32>i);
      r.allow(addr.ptr, 4, 1 + <f64>i / 1000);
    }
    expect<i32>(memory.size()).toBe(before);
    expect<u64>(r.allowed + r.limitedGlobal + r.limitedSource).toBe(100000);
  });
});
