import { CborWriter } from "../../assembly/cbor/writer";
import { CborReader, Major } from "../../assembly/cbor/reader";
import { hex, toHex } from "./helpers";

// [major, argument, expected shortest encoding]
const MAJORS: i32[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
const ARGS: u64[] = [0, 23, 24, 255, 256, 65535, 65536, 0xffffffff, 0x100000000, 0xffffffffffffffff, 1000000, 1000000000000];
const ENCODED: string[] = [
  "00",
  "17",
  "1818",
  "18ff",
  "190100",
  "19ffff",
  "1a00010000",
  "1affffffff",
  "1b0000000100000000",
  "1bffffffffffffffff",
  "1a000f4240",
  "1b000000e8d4a51000",
];

function writerOver(buf: StaticArray<u8>): CborWriter {
  const w = new CborWriter();
  w.reset(changetype<usize>(buf), buf.length);
  return w;
}

describe("CborWriter.head", () => {
  it("writes the shortest head at the 23/24/255/256/65535/65536/2^32 boundaries", () => {
    const buf = new StaticArray<u8>(16);
    for (let i = 0; i < ARGS.length; i++) {
      const w = writerOver(buf);
      w.head(MAJORS[i], ARGS[i]);
      expect<bool>(w.overflow).toBe(false, ENCODED[i]);
      expect<string>(toHex(changetype<usize>(buf), w.length)).toBe(ENCODED[i], ARGS[i].toString());
    }
  });

  it("puts the major type in the top three bits", () => {
    const buf = new StaticArray<u8>(16);
    const w = writerOver(buf);
    w.head(Major.NINT, 0);
    w.head(Major.BYTES, 24);
    w.head(Major.TEXT, 5);
    w.head(Major.ARRAY, 256);
    w.head(Major.MAP, 1);
    w.head(Major.TAG, 1);
    w.head(Major.SIMPLE, 22);
    expect<string>(toHex(changetype<usize>(buf), w.length)).toBe("20" + "5818" + "65" + "990100" + "a1" + "c1" + "f6");
  });

  it("writes heads that the reader reads back with the same argument", () => {
    const buf = new StaticArray<u8>(16);
    for (let i = 0; i < ARGS.length; i++) {
      const w = writerOver(buf);
      w.head(Major.UINT, ARGS[i]);
      const r = new CborReader();
      r.reset(changetype<usize>(buf), w.length);
      expect<bool>(r.head()).toBe(true);
      expect<u64>(r.arg).toBe(ARGS[i]);
      expect<bool>(r.atEnd()).toBe(true);
    }
  });

  it("sets overflow and writes nothing when the head does not fit", () => {
    const buf = new StaticArray<u8>(4);
    const w = writerOver(buf);
    w.reset(changetype<usize>(buf), 2);
    w.head(Major.UINT, 256); // needs 3 bytes
    expect<bool>(w.overflow).toBe(true);
    expect<i32>(w.length).toBe(0);
  });

  it("fills the buffer exactly without overflow", () => {
    const buf = new StaticArray<u8>(3);
    const w = writerOver(buf);
    w.head(Major.UINT, 256);
    expect<bool>(w.overflow).toBe(false);
    expect<i32>(w.length).toBe(3);
  });
});

describe("CborWriter strings", () => {
  it("writes a byte string head and content", () => {
    const content = hex("010203");
    const buf = new StaticArray<u8>(8);
    const w = writerOver(buf);
    w.byteString(content.ptr, content.len);
    expect<string>(toHex(changetype<usize>(buf), w.length)).toBe("43010203");
  });

  it("writes an empty byte string as 0x40", () => {
    const buf = new StaticArray<u8>(8);
    const w = writerOver(buf);
    w.byteString(0, 0);
    expect<string>(toHex(changetype<usize>(buf), w.length)).toBe("40");
  });

  it("writes the COSE context strings as text", () => {
    const buf = new StaticArray<u8>(16);
    const w = writerOver(buf);
    w.asciiString("MAC0");
    w.asciiString("Signature1");
    expect<string>(toHex(changetype<usize>(buf), w.length)).toBe("644d4143306a5369676e617475726531");
  });

  it("sets overflow when string content does not fit", () => {
    const content = hex("0102030405");
    const buf = new StaticArray<u8>(4);
    const w = writerOver(buf);
    w.byteString(content.ptr, content.len);
    expect<bool>(w.overflow).toBe(true);
    const w2 = writerOver(buf);
    w2.asciiString("MAC0");
    expect<bool>(w2.overflow).toBe(true);
  });
});
