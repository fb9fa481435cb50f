import { RevokedIds, idHash } from "../../assembly/revoked";

describe("RevokedIds", () => {
  it("holds each id once, finds what it holds and nothing else", () => {
    const ids = new RevokedIds();
    expect<bool>(ids.has("u1")).toBe(false); // before the first add: no buckets yet
    for (let i = 0; i < 4096; i++) ids.add("u" + i.toString());
    ids.add("u7");
    ids.add("b00ff");
    expect<i32>(ids.size).toBe(4097);
    for (let i = 0; i < 4096; i += 97) expect<bool>(ids.has("u" + i.toString())).toBe(true, i.toString());
    expect<bool>(ids.has("b00ff")).toBe(true);
    expect<bool>(ids.has("u4096")).toBe(false);
    expect<bool>(ids.has("b00FF")).toBe(false);
    expect<bool>(ids.has("")).toBe(false);
  });

  it("lists every id exactly once", () => {
    const ids = new RevokedIds();
    for (let i = 0; i < 300; i++) ids.add("b" + i.toString(16));
    for (let i = 0; i < 300; i++) ids.add("b" + i.toString(16));
    const all = ids.values();
    expect<i32>(all.length).toBe(300);
    for (let i = 0; i < 300; i++) expect<bool>(all.includes("b" + i.toString(16))).toBe(true);
  });

  it("hashes with FNV-1a and never to 0", () => {
    expect<u32>(idHash("")).toBe(2166136261);
    expect<u32>(idHash("a")).toBe(0xe40c292c); // FNV-1a 32 of "a"
  });
});
