// The result JSON's number and hex writers: decimals two digits a step and hex
// a byte a step, from tables the module fills when it starts (json/writer.ts).
import { JsonWriter } from "../../assembly/json/writer";

function written(w: JsonWriter): string {
  return String.UTF8.decodeUnsafe(w.ptr, w.length);
}

function uintText(v: u64): string {
  const w = new JsonWriter();
  w.reset();
  w.uint(v);
  return written(w);
}

function intText(v: i64): string {
  const w = new JsonWriter();
  w.reset();
  w.int(v);
  return written(w);
}

describe("JsonWriter.uint", () => {
  it("writes every value below 20,000 as its decimal", () => {
    for (let v: u64 = 0; v < 20000; v++) expect<string>(uintText(v)).toBe(v.toString());
  });

  it("writes the boundaries of the digit pairs and of 32 and 64 bits", () => {
    const values: u64[] = [
      99, 100, 101, 999, 1000, 1001, 4102444800, 4294967295, 4294967296, 9007199254740991, 9007199254740992,
      1000000000000000000, 9999999999999999999, 10000000000000000000, 18446744073709551615,
    ];
    const texts: string[] = [
      "99", "100", "101", "999", "1000", "1001", "4102444800", "4294967295", "4294967296", "9007199254740991",
      "9007199254740992", "1000000000000000000", "9999999999999999999", "10000000000000000000", "18446744073709551615",
    ];
    for (let i = 0; i < values.length; i++) expect<string>(uintText(values[i])).toBe(texts[i]);
  });
});

describe("JsonWriter.int", () => {
  it("writes negatives, i64 extremes included", () => {
    expect<string>(intText(-1)).toBe("-1");
    expect<string>(intText(-100)).toBe("-100");
    expect<string>(intText(i64.MIN_VALUE)).toBe("-9223372036854775808");
    expect<string>(intText(i64.MAX_VALUE)).toBe("9223372036854775807");
  });
});

describe("JsonWriter.hex", () => {
  it("writes every byte value as two lowercase digits, quoted", () => {
    const bytes = new StaticArray<u8>(256);
    for (let i = 0; i < 256; i++) bytes[i] = <u8>i;
    const w = new JsonWriter();
    w.reset();
    w.hex(changetype<usize>(bytes), 256);
    const s = written(w);
    expect<i32>(s.length).toBe(514);
    expect<string>(s.charAt(0)).toBe('"');
    expect<string>(s.charAt(513)).toBe('"');
    const digits = "0123456789abcdef";
    for (let i = 0; i < 256; i++) {
      expect<string>(s.substr(1 + 2 * i, 2)).toBe(digits.charAt(i >> 4) + digits.charAt(i & 15), i.toString());
    }
  });

  it("writes nothing but the quotes for no bytes", () => {
    const w = new JsonWriter();
    w.reset();
    w.hex(0, 0);
    expect<string>(written(w)).toBe('""');
  });
});
