import { DuplicateKeys, Major, MAX_DEPTH, MAX_ITEMS, halfToF64 } from "../../assembly/cbor/reader";
import { Detail } from "../../assembly/detail-text";
import { Code } from "../../assembly/result";
import { hex, headOf, nestedArrays, readerOver, rep } from "./helpers";

// [input hex, major, info, argument (as decimal text, u64)]
const HEADS: string[] = [
  "00", "0", "0", "0",
  "17", "0", "23", "23",
  "20", "1", "0", "0", // -1
  "37", "1", "23", "23", // -24
  "40", "2", "0", "0",
  "60", "3", "0", "0",
  "80", "4", "0", "0",
  "a0", "5", "0", "0",
  "c1 00", "6", "1", "1", // tag 1 (epoch time) then its content
  "d8 20 00", "6", "24", "32",
  "f4", "7", "20", "20", // false
  "f5", "7", "21", "21", // true
  "f6", "7", "22", "22", // null
  "f7", "7", "23", "23", // undefined
  "f8 20", "7", "24", "32", // simple(32), the first two-byte simple value
  "f8 ff", "7", "24", "255",
];

// [input hex, argument] for the 1, 2, 4 and 8-byte argument forms.
const ARGUMENTS: string[] = [
  "18 18", "24",
  "18 ff", "255",
  "19 0100", "256",
  "19 ffff", "65535",
  "1a 00010000", "65536",
  "1a ffffffff", "4294967295",
  "1b 0000000100000000", "4294967296",
  "1b 000000e8d4a51000", "1000000000000",
  "1b ffffffffffffffff", "18446744073709551615",
  "3b ffffffffffffffff", "18446744073709551615", // -2^64
  "d9 d9f7", "55799", // self-described CBOR tag
];

// Non-shortest encodings of small values: valid CBOR, accepted with their value.
const NON_SHORTEST: string[] = [
  "18 01", "1",
  "19 0001", "1",
  "1a 00000001", "1",
  "1b 0000000000000001", "1",
  "18 00", "0",
  "39 0000", "0",
  "98 00", "0",
  "b9 0000", "0",
  "d8 01 00", "1",
];

const INDEFINITE: string[] = ["5f 41 00 ff", "7f 61 61 ff", "9f ff", "bf ff", "1f", "3f", "df 00", "ff"];

const RESERVED: string[] = ["1c", "1d", "1e", "3c", "5d", "7e", "9c", "bd", "de", "fc", "fd", "fe"];

const TRUNCATED_ARGUMENTS: string[] = ["18", "19 00", "1a 000000", "1b 00000000000000", "38", "59 00", "9a 000000", "bb 00", "f9 3c", "fa 000000", "fb 00000000000000"];

const LONG_STRINGS: string[] = [
  "41", // one byte declared, none present
  "62 61", // two declared, one present
  "58 02 00", // 1-byte length
  "5a ffffffff 00",
  "7b ffffffffffffffff 00",
  "5b 8000000000000000",
];

const LONG_CONTAINERS: string[] = [
  "81", // one element, no bytes left
  "82 00",
  "a1 01", // a pair needs two bytes
  "a2 01 02 03",
  "9b ffffffffffffffff",
  "bb ffffffffffffffff 00",
  "bb 8000000000000000 00", // 2 * count wraps to 0 in u64
  "9a ffffffff 00",
];

// [hex, expected] for half, single and double floats (RFC 8949 Appendix A).
const FLOATS_HEX: string[] = [
  "f9 0000", "f9 3c00", "f9 3e00", "f9 7bff", "f9 0001", "f9 0400", "f9 c400", "f9 7c00", "f9 fc00", "f9 3555",
  "fa 47c35000", "fa 7f7fffff", "fa 7f800000", "fa ff800000", "fa 00000001",
  "fb 3ff199999999999a", "fb 7e37e43c8800759c", "fb c010666666666666", "fb 7ff0000000000000", "fb 0000000000000001",
];
const FLOATS: f64[] = [
  0.0, 1.0, 1.5, 65504.0, 5.960464477539063e-8, 0.00006103515625, -4.0, Infinity, -Infinity, 0.333251953125,
  100000.0, 3.4028234663852886e38, Infinity, -Infinity, 1.401298464324817e-45,
  1.1, 1.0e300, -4.1, Infinity, 5e-324,
];

/** Every input in `table` fails at its first head with `code`. */
function expectHeadFails(table: string[], code: i32): void {
  for (let i = 0; i < table.length; i++) {
    const r = readerOver(hex(table[i]));
    expect<bool>(r.head()).toBe(false, table[i]);
    expect<i32>(r.error).toBe(code, table[i]);
  }
}

describe("CborReader.head", () => {
  it("reads the head of every major type", () => {
    for (let i = 0; i < HEADS.length; i += 4) {
      const input = HEADS[i];
      const b = hex(input);
      const r = headOf(b);
      expect<i32>(r.error).toBe(Code.OK, input);
      expect<i32>(r.major).toBe(I32.parseInt(HEADS[i + 1]), input + " major");
      if (r.major == 7) expect<i32>(r.info).toBe(I32.parseInt(HEADS[i + 2]), input + " info"); // set for major type 7 only
      expect<string>(r.arg.toString()).toBe(HEADS[i + 3], input + " argument");
      expect<bool>(r.pos > b.ptr && r.pos <= b.ptr + <usize>b.len).toBe(true, input + " position");
    }
  });

  it("reads 1, 2, 4 and 8-byte arguments big-endian", () => {
    for (let i = 0; i < ARGUMENTS.length; i += 2) {
      const input = ARGUMENTS[i];
      const b = hex(input);
      const r = headOf(b);
      expect<i32>(r.error).toBe(Code.OK, input);
      expect<string>(r.arg.toString()).toBe(ARGUMENTS[i + 1], input);
      expect<bool>(r.atEnd()).toBe(true, input + " consumed whole");
    }
  });

  it("accepts non-shortest encodings with the value they encode", () => {
    for (let i = 0; i < NON_SHORTEST.length; i += 2) {
      const input = NON_SHORTEST[i];
      const b = hex(input);
      const r = headOf(b);
      expect<i32>(r.error).toBe(Code.OK, input);
      expect<string>(r.arg.toString()).toBe(NON_SHORTEST[i + 1], input);
    }
  });

  it("consumes a byte string whole and points ptr/len at its content", () => {
    const b = hex("43 010203 07");
    const r = headOf(b);
    expect<i32>(r.major).toBe(Major.BYTES);
    expect<usize>(r.ptr).toBe(b.ptr + 1);
    expect<i32>(r.len).toBe(3);
    expect<i32>(r.remaining).toBe(1);
    expect<i32>(r.peekMajor()).toBe(Major.UINT);
  });

  it("consumes a text string with a non-shortest length whole", () => {
    const b = hex("7a 00000002 6869");
    const r = headOf(b);
    expect<i32>(r.major).toBe(Major.TEXT);
    expect<usize>(r.ptr).toBe(b.ptr + 5);
    expect<i32>(r.len).toBe(2);
    expect<string>(String.UTF8.decodeUnsafe(r.ptr, r.len)).toBe("hi");
    expect<bool>(r.atEnd()).toBe(true);
  });

  it("leaves the elements of arrays and maps to the caller", () => {
    const b = hex("82 01 a1 02 03");
    const r = readerOver(b);
    expect<i32>(r.array()).toBe(2);
    expect<i32>(r.peekMajor()).toBe(Major.UINT);
    expect<bool>(r.head()).toBe(true);
    expect<u64>(r.arg).toBe(1);
    expect<i32>(r.map()).toBe(1);
    expect<bool>(r.head()).toBe(true);
    expect<bool>(r.head()).toBe(true);
    expect<u64>(r.arg).toBe(3);
    expect<bool>(r.atEnd()).toBe(true);
    expect<i32>(r.peekMajor()).toBe(-1);
  });

  it("rejects indefinite-length items and the break code as MALFORMED", () => {
    expectHeadFails(INDEFINITE, Code.MALFORMED);
  });

  it("rejects reserved additional information 28..30 as MALFORMED", () => {
    expectHeadFails(RESERVED, Code.MALFORMED);
  });

  it("rejects a truncated argument as MALFORMED", () => {
    expectHeadFails(TRUNCATED_ARGUMENTS, Code.MALFORMED);
  });

  it("rejects reading past the end of the input as MALFORMED", () => {
    const b = hex("01");
    const r = readerOver(b);
    expect<bool>(r.head()).toBe(true);
    expect<bool>(r.head()).toBe(false);
    expect<i32>(r.error).toBe(Code.MALFORMED);
    const empty = hex("");
    const r2 = readerOver(empty);
    expect<bool>(r2.head()).toBe(false);
    expect<i32>(r2.error).toBe(Code.MALFORMED);
  });

  it("rejects a string longer than the input as MALFORMED", () => {
    expectHeadFails(LONG_STRINGS, Code.MALFORMED);
  });

  it("rejects an array or map count larger than the remaining input as MALFORMED", () => {
    expectHeadFails(LONG_CONTAINERS, Code.MALFORMED);
  });

  it("accepts a container count that exactly fits the remaining input", () => {
    const b = hex("83 01 02 03 a2 01 02 03 04");
    const r = readerOver(b);
    expect<i32>(r.array()).toBe(3);
    expect<bool>(r.skip()).toBe(true); // 1
    expect<bool>(r.skip()).toBe(true); // 2
    expect<bool>(r.skip()).toBe(true); // 3
    expect<bool>(r.skip()).toBe(true); // the map
    expect<bool>(r.atEnd()).toBe(true);
  });

  it("rejects a two-byte simple value below 32 as MALFORMED", () => {
    const inputs: string[] = ["f8 00", "f8 10", "f8 14", "f8 1f"];
    expectHeadFails(inputs, Code.MALFORMED);
  });

  it("decodes half, single and double floats", () => {
    for (let i = 0; i < FLOATS_HEX.length; i++) {
      const b = hex(FLOATS_HEX[i]);
      const r = headOf(b);
      expect<i32>(r.error).toBe(Code.OK, FLOATS_HEX[i]);
      expect<bool>(r.isFloat()).toBe(true, FLOATS_HEX[i]);
      expect<f64>(r.float).toBe(FLOATS[i], FLOATS_HEX[i]);
    }
  });

  it("decodes half-float NaN (f97e00) as NaN", () => {
    const b = hex("f9 7e00");
    const r = headOf(b);
    expect<bool>(r.isFloat()).toBe(true);
    expect<f64>(r.float).toBeNaN();
  });

  it("keeps the sign of a negative half-float zero", () => {
    const b = hex("f9 8000");
    const r = headOf(b);
    expect<f64>(r.float).toBe(0.0);
    expect<f64>(1.0 / r.float).toBe(-Infinity);
  });

  it("does not treat simple values as floats", () => {
    const inputs: string[] = ["f4", "f5", "f6", "f7", "f8 20", "00", "c1 00"];
    for (let i = 0; i < inputs.length; i++) {
      const b = hex(inputs[i]);
      const r = headOf(b);
      expect<bool>(r.isFloat()).toBe(false, inputs[i]);
    }
  });

  it("keeps the first failure: later reads fail without replacing it", () => {
    const b = hex("5f 9f");
    const r = readerOver(b);
    expect<bool>(r.head()).toBe(false);
    expect<i32>(r.detail).toBe(Detail.INDEFINITE_LENGTH_CBOR_IS_NOT_ACCEPTED);
    r.fail(Code.LIMIT_EXCEEDED, Detail.TOO_MANY_CBOR_ITEMS);
    expect<bool>(r.head()).toBe(false);
    expect<i32>(r.error).toBe(Code.MALFORMED);
    expect<i32>(r.detail).toBe(Detail.INDEFINITE_LENGTH_CBOR_IS_NOT_ACCEPTED);
  });

  it("reset clears the error, the item count and the position", () => {
    const bad = hex("1c");
    const good = hex("01");
    const r = readerOver(bad);
    r.head();
    expect<i32>(r.error).toBe(Code.MALFORMED);
    r.reset(good.ptr, good.len);
    expect<i32>(r.error).toBe(Code.OK);
    expect<i32>(r.items).toBe(0);
    expect<i32>(r.detail).toBe(Detail.NONE);
    expect<bool>(r.head()).toBe(true);
    expect<u64>(r.arg).toBe(1);
  });
});

describe("CborReader typed reads", () => {
  it("array() and map() return -1 and fail MALFORMED on another type", () => {
    const b = hex("a0");
    const r = readerOver(b);
    expect<i32>(r.array()).toBe(-1);
    expect<i32>(r.error).toBe(Code.MALFORMED);
    const b2 = hex("80");
    const r2 = readerOver(b2);
    expect<i32>(r2.map()).toBe(-1);
    expect<i32>(r2.error).toBe(Code.MALFORMED);
  });

  it("bytes() accepts a byte string and rejects a text string as MALFORMED", () => {
    const b = hex("42 abcd");
    const r = readerOver(b);
    expect<bool>(r.bytes()).toBe(true);
    expect<i32>(r.len).toBe(2);
    const t = hex("62 6162");
    const r2 = readerOver(t);
    expect<bool>(r2.bytes()).toBe(false);
    expect<i32>(r2.error).toBe(Code.MALFORMED);
  });
});

describe("CborReader.skip", () => {
  it("skips one whole nested item and stops at the next", () => {
    const b = hex("a2 01 82 02 a1 03 43 010203 61 61 c1 f9 3c00 07");
    const r = readerOver(b);
    expect<bool>(r.skip()).toBe(true);
    expect<i32>(r.remaining).toBe(1);
    expect<bool>(r.head()).toBe(true);
    expect<u64>(r.arg).toBe(7);
  });

  it("follows nesting with the innermost item at depth MAX_DEPTH-1", () => {
    // MAX_DEPTH-1 arrays around a scalar: the scalar is at depth MAX_DEPTH-1.
    const b = nestedArrays(MAX_DEPTH - 1, "00");
    const r = readerOver(b);
    expect<bool>(r.skip()).toBe(true);
    expect<i32>(r.error).toBe(Code.OK);
    expect<bool>(r.atEnd()).toBe(true);
  });

  it("follows MAX_DEPTH nested empty arrays (the innermost at depth MAX_DEPTH-1)", () => {
    const b = hex(rep("81", MAX_DEPTH - 1) + "80");
    const r = readerOver(b);
    expect<bool>(r.skip()).toBe(true);
    expect<bool>(r.atEnd()).toBe(true);
  });

  it("fails with LIMIT_EXCEEDED when an item sits at depth MAX_DEPTH", () => {
    const b = nestedArrays(MAX_DEPTH, "00");
    const r = readerOver(b);
    expect<bool>(r.skip()).toBe(false);
    expect<i32>(r.error).toBe(Code.LIMIT_EXCEEDED);
  });

  it("counts map values and tags as nesting levels too", () => {
    // {0: {0: ... 0}} with the leaf at depth MAX_DEPTH
    const maps = hex(rep("a1 00", MAX_DEPTH) + "00");
    const r = readerOver(maps);
    expect<bool>(r.skip()).toBe(false);
    expect<i32>(r.error).toBe(Code.LIMIT_EXCEEDED);
    const tags = hex(rep("c1", MAX_DEPTH) + "00");
    const r2 = readerOver(tags);
    expect<bool>(r2.skip()).toBe(false);
    expect<i32>(r2.error).toBe(Code.LIMIT_EXCEEDED);
    const tagsOk = hex(rep("c1", MAX_DEPTH - 1) + "00");
    const r3 = readerOver(tagsOk);
    expect<bool>(r3.skip()).toBe(true);
  });

  it("starts counting at the given depth", () => {
    const b = nestedArrays(MAX_DEPTH - 2, "00");
    const r = readerOver(b);
    expect<bool>(r.skip(1)).toBe(true);
    const b2 = nestedArrays(MAX_DEPTH - 1, "00");
    const r2 = readerOver(b2);
    expect<bool>(r2.skip(1)).toBe(false);
    expect<i32>(r2.error).toBe(Code.LIMIT_EXCEEDED);
  });

  it("accepts exactly MAX_ITEMS items in one message", () => {
    // an array of MAX_ITEMS-1 zeros: 1 + (MAX_ITEMS-1) items
    const count = MAX_ITEMS - 1;
    const b = hex("99" + (<u16>count).toString(16).padStart(4, "0") + rep("00", count));
    const r = readerOver(b);
    expect<bool>(r.skip()).toBe(true);
    expect<i32>(r.items).toBe(MAX_ITEMS);
  });

  it("fails with LIMIT_EXCEEDED on more than MAX_ITEMS items", () => {
    const count = MAX_ITEMS;
    const b = hex("99" + (<u16>count).toString(16).padStart(4, "0") + rep("00", count));
    const r = readerOver(b);
    expect<bool>(r.skip()).toBe(false);
    expect<i32>(r.error).toBe(Code.LIMIT_EXCEEDED);
  });

  it("counts items across consecutive reads until reset", () => {
    const b = hex(rep("00", MAX_ITEMS + 1));
    const r = readerOver(b);
    for (let i = 0; i < MAX_ITEMS; i++) r.head();
    expect<i32>(r.error).toBe(Code.OK);
    expect<bool>(r.head()).toBe(false);
    expect<i32>(r.error).toBe(Code.LIMIT_EXCEEDED);
  });

  it("propagates a malformed element inside a container", () => {
    const b = hex("82 01 5f");
    const r = readerOver(b);
    expect<bool>(r.skip()).toBe(false);
    expect<i32>(r.error).toBe(Code.MALFORMED);
  });
});

/** RFC 8949 Appendix D's decode_half, computed independently with Math.pow. */
function referenceHalf(h: i32): f64 {
  const exp = (h >> 10) & 0x1f;
  const mant = <f64>(h & 0x3ff);
  let val: f64;
  if (exp == 0) val = mant * Math.pow(2, -24);
  else if (exp != 31) val = (mant + 1024) * Math.pow(2, <f64>(exp - 25));
  else val = mant == 0 ? Infinity : NaN;
  return h & 0x8000 ? -val : val;
}

describe("halfToF64", () => {
  it("matches RFC 8949 Appendix D decode_half for all 65536 inputs", () => {
    let firstMismatch = -1;
    for (let h = 0; h < 0x10000; h++) {
      const got = halfToF64(<u32>h);
      const want = referenceHalf(h);
      const same = isNaN(want) ? isNaN(got) : reinterpret<u64>(got) == reinterpret<u64>(want);
      if (!same) {
        firstMismatch = h;
        break;
      }
    }
    expect<i32>(firstMismatch).toBe(-1, "first half-float input that decodes differently");
  });

  it("decodes the RFC 8949 Appendix A half-float examples", () => {
    expect<f64>(halfToF64(0x3c00)).toBe(1.0);
    expect<f64>(halfToF64(0x7bff)).toBe(65504.0);
    expect<f64>(halfToF64(0x0001)).toBe(5.960464477539063e-8);
    expect<f64>(halfToF64(0x0400)).toBe(0.00006103515625);
    expect<f64>(halfToF64(0xc400)).toBe(-4.0);
    expect<f64>(halfToF64(0x7c00)).toBe(Infinity);
    expect<f64>(halfToF64(0xfc00)).toBe(-Infinity);
    expect<f64>(halfToF64(0x7e00)).toBeNaN();
  });
});

describe("DuplicateKeys", () => {
  it("treats 1 and its non-shortest form 0x18 0x01 as the same key", () => {
    const b = hex("01 18 01");
    const r = readerOver(b);
    const keys = new DuplicateKeys();
    r.head();
    expect<bool>(keys.add(r)).toBe(true);
    r.head();
    expect<bool>(keys.add(r)).toBe(false);
    expect<i32>(r.error).toBe(Code.MALFORMED);
  });

  it("rejects two equal text keys as MALFORMED", () => {
    const b = hex("63 697373 63 697373");
    const r = readerOver(b);
    const keys = new DuplicateKeys();
    r.head();
    expect<bool>(keys.add(r)).toBe(true);
    r.head();
    expect<bool>(keys.add(r)).toBe(false);
    expect<i32>(r.error).toBe(Code.MALFORMED);
  });

  it("treats a text key with a non-shortest length as equal to its shortest twin", () => {
    const b = hex("61 61 78 01 61");
    const r = readerOver(b);
    const keys = new DuplicateKeys();
    r.head();
    expect<bool>(keys.add(r)).toBe(true);
    r.head();
    expect<bool>(keys.add(r)).toBe(false);
  });

  it("rejects a repeated empty text key", () => {
    const b = hex("60 60");
    const r = readerOver(b);
    const keys = new DuplicateKeys();
    r.head();
    expect<bool>(keys.add(r)).toBe(true);
    r.head();
    expect<bool>(keys.add(r)).toBe(false);
  });

  it("accepts different keys: values, majors, lengths and contents", () => {
    // 1, -2, "a", h'61', "b", "ab", 2, 0, -1, ""
    const b = hex("01 21 61 61 41 61 61 62 62 6162 02 00 20 60");
    const r = readerOver(b);
    const keys = new DuplicateKeys();
    for (let i = 0; i < 10; i++) {
      r.head();
      expect<bool>(keys.add(r)).toBe(true, "key " + i.toString());
    }
    expect<i32>(r.error).toBe(Code.OK);
    expect<i32>(keys.total).toBe(10);
  });

  it("finds repeats on both sides of the 0..63 bit mask: 63, 64, -1 and their non-shortest twins", () => {
    const cases: string[] = ["183f 183f", "1840 1840", "20 3800", "17 1817", "183f 1840 183f", "1840 183f 190040"];
    for (let c = 0; c < cases.length; c++) {
      const b = hex(cases[c]);
      const r = readerOver(b);
      const keys = new DuplicateKeys();
      let accepted = 0;
      while (!r.atEnd() && r.head() && keys.add(r)) accepted++;
      expect<i32>(r.error).toBe(Code.MALFORMED, cases[c]);
      expect<i32>(r.detail).toBe(Detail.DUPLICATE_MAP_KEY, cases[c]);
    }
  });

  it("fails with LIMIT_EXCEEDED beyond CAPACITY distinct keys", () => {
    let s = "";
    for (let k = 0; k <= DuplicateKeys.CAPACITY; k++) s += k < 24 ? (<u8>k).toString(16).padStart(2, "0") : "18" + (<u8>k).toString(16).padStart(2, "0");
    const b = hex(s);
    const r = readerOver(b);
    const keys = new DuplicateKeys();
    for (let k = 0; k < DuplicateKeys.CAPACITY; k++) {
      r.head();
      expect<bool>(keys.add(r)).toBe(true, "key " + k.toString());
    }
    r.head();
    expect<bool>(keys.add(r)).toBe(false);
    expect<i32>(r.error).toBe(Code.LIMIT_EXCEEDED);
  });

  it("forgets every key on clear", () => {
    const b = hex("01 01");
    const r = readerOver(b);
    const keys = new DuplicateKeys();
    r.head();
    keys.add(r);
    keys.clear();
    r.head();
    expect<bool>(keys.add(r)).toBe(true);
    expect<i32>(r.error).toBe(Code.OK);
  });
});
