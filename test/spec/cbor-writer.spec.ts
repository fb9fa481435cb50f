import { byteStringSize, writeByteString } from "../../assembly/cbor/writer";
import { CborReader, Major } from "../../assembly/cbor/reader";
import { toHex } from "./helpers";

// Content lengths at the shortest-head boundaries (RFC 8949 §3, §4.2.1) and the head each takes.
const LENGTHS: i32[] = [0, 1, 23, 24, 255, 256, 65535, 65536, 70000];
const HEADS: string[] = ["40", "41", "57", "5818", "58ff", "590100", "59ffff", "5a00010000", "5a00011170"];

describe("writeByteString", () => {
  it("writes the shortest head at the 23/24/255/256/65535/65536 boundaries, then the content", () => {
    const src = new StaticArray<u8>(70000);
    for (let i = 0; i < src.length; i++) src[i] = <u8>(i * 7 + 1);
    const buf = new StaticArray<u8>(70010);
    for (let i = 0; i < LENGTHS.length; i++) {
      const len = LENGTHS[i];
      const at = changetype<usize>(buf);
      const end = writeByteString(at, changetype<usize>(src), len);
      const headLen = HEADS[i].length >> 1;
      expect<i32>(<i32>(end - at)).toBe(headLen + len, HEADS[i]);
      expect<i32>(byteStringSize(len)).toBe(headLen + len, HEADS[i]);
      expect<string>(toHex(at, headLen)).toBe(HEADS[i], len.toString());
      expect<i32>(memory.compare(at + headLen, changetype<usize>(src), len)).toBe(0, len.toString());
    }
  });

  it("writes byte strings the reader reads back whole, one after another", () => {
    const src = new StaticArray<u8>(300);
    for (let i = 0; i < src.length; i++) src[i] = <u8>i;
    const buf = new StaticArray<u8>(400);
    const base = changetype<usize>(buf);
    let at = writeByteString(base, changetype<usize>(src), 300);
    at = writeByteString(at, 0, 0);
    at = writeByteString(at, changetype<usize>(src), 24);
    const r = new CborReader();
    r.reset(base, <i32>(at - base));
    expect<bool>(r.bytes()).toBe(true);
    expect<i32>(r.len).toBe(300);
    expect<u32>(r.ptr).toBe(<u32>(base + 3));
    expect<bool>(r.bytes()).toBe(true);
    expect<i32>(r.len).toBe(0);
    expect<bool>(r.head()).toBe(true);
    expect<i32>(r.major).toBe(Major.BYTES);
    expect<i32>(r.len).toBe(24);
    expect<bool>(r.atEnd()).toBe(true);
  });

  it("writes nothing past the size it announces", () => {
    const buf = new StaticArray<u8>(32);
    for (let i = 0; i < buf.length; i++) buf[i] = 0xee;
    const src = new StaticArray<u8>(24);
    const end = writeByteString(changetype<usize>(buf), changetype<usize>(src), 24);
    expect<i32>(<i32>(end - changetype<usize>(buf))).toBe(byteStringSize(24));
    expect<u8>(buf[byteStringSize(24)]).toBe(0xee);
  });
});
