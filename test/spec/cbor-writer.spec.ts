import { CborWriter, byteStringSize, headSize, writeByteString, writeHead } from "../../assembly/cbor/writer";
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

// [argument, expected shortest unsigned-integer encoding]
const ARGS: u64[] = [0, 23, 24, 255, 256, 65535, 65536, 0xffffffff, 0x100000000, 0xffffffffffffffff, 1000000, 1000000000000];
const ENCODED: string[] = [
  "00", "17", "1818", "18ff", "190100", "19ffff", "1a00010000", "1affffffff",
  "1b0000000100000000", "1bffffffffffffffff", "1a000f4240", "1b000000e8d4a51000",
];

describe("writeHead", () => {
  it("writes the shortest head at the 23/24/255/256/65535/65536/2^32 boundaries, read back by CborReader", () => {
    const buf = new StaticArray<u8>(16);
    for (let i = 0; i < ARGS.length; i++) {
      const at = changetype<usize>(buf);
      const end = writeHead(at, Major.UINT, ARGS[i]);
      expect<i32>(<i32>(end - at)).toBe(headSize(ARGS[i]), ENCODED[i]);
      expect<string>(toHex(at, <i32>(end - at))).toBe(ENCODED[i], ARGS[i].toString());
      const r = new CborReader();
      r.reset(at, <i32>(end - at));
      expect<bool>(r.head()).toBe(true);
      expect<u64>(r.arg).toBe(ARGS[i]);
      expect<bool>(r.atEnd()).toBe(true);
    }
  });

  it("puts the major type in the top three bits", () => {
    const buf = new StaticArray<u8>(16);
    let at = changetype<usize>(buf);
    at = writeHead(at, Major.NINT, 0);
    at = writeHead(at, Major.BYTES, 24);
    at = writeHead(at, Major.TEXT, 5);
    at = writeHead(at, Major.ARRAY, 256);
    at = writeHead(at, Major.MAP, 1);
    at = writeHead(at, Major.TAG, 1);
    at = writeHead(at, Major.SIMPLE, 22);
    expect<string>(toHex(changetype<usize>(buf), <i32>(at - changetype<usize>(buf)))).toBe("20" + "5818" + "65" + "990100" + "a1" + "c1" + "f6");
  });
});

describe("CborWriter", () => {
  it("writes text as UTF-8 and floats as nine bytes, even 0.0", () => {
    const buf = new StaticArray<u8>(32);
    const w = new CborWriter();
    w.reset(changetype<usize>(buf), 32);
    w.textString("é1");
    w.float64(0.0);
    w.float64(1.5);
    expect<bool>(w.overflow).toBe(false);
    expect<string>(toHex(changetype<usize>(buf), <i32>(w.pos - changetype<usize>(buf)))).toBe("63c3a931" + "fb0000000000000000" + "fb3ff8000000000000");
  });

  it("sets overflow and writes nothing when an item does not fit, and fills a buffer exactly", () => {
    const buf = new StaticArray<u8>(4);
    const w = new CborWriter();
    w.reset(changetype<usize>(buf), 2);
    w.head(Major.UINT, 256); // needs 3 bytes
    expect<bool>(w.overflow).toBe(true);
    expect<u32>(<u32>(w.pos - changetype<usize>(buf))).toBe(0);
    w.reset(changetype<usize>(buf), 3);
    w.head(Major.UINT, 256);
    expect<bool>(w.overflow).toBe(false);
    w.reset(changetype<usize>(buf), 4);
    w.byteString(changetype<usize>(buf), 4); // 5 bytes with its head
    expect<bool>(w.overflow).toBe(true);
    w.float64(1.0);
    expect<bool>(w.overflow).toBe(true);
  });
});
