import { isValidUtf8, equalConstantTime, textKind, TextKind } from "../../assembly/util/bytes";
import { hex, toHex } from "./helpers";

const VALID: string[] = [
  "",
  "41",
  "7f",
  "00", // NUL is a valid scalar value
  "c280", // U+0080, smallest 2-byte
  "c2a9", // ©
  "dfbf", // U+07FF
  "e0a080", // U+0800, smallest 3-byte
  "e282ac", // €
  "ed9fbf", // U+D7FF, just below the surrogates
  "ee8080", // U+E000, just above them
  "efbfbf", // U+FFFF
  "f0908080", // U+10000, smallest 4-byte
  "f09f9880", // 😀
  "f48fbfbf", // U+10FFFF, the largest
  "41 c2a9 e282ac f09f9880 5a",
];

const INVALID: string[] = [
  "80", // lone continuation byte
  "bf",
  "41 80",
  "c0 80", // overlong NUL
  "c1 bf", // overlong U+007F
  "e0 80 80", // overlong 3-byte
  "e0 9f bf", // overlong U+07FF
  "f0 80 80 80", // overlong 4-byte
  "f0 8f bf bf", // overlong U+FFFF
  "ed a0 80", // U+D800 (surrogate)
  "ed bf bf", // U+DFFF
  "ed a0 bd ed b8 80", // CESU-8 surrogate pair
  "f4 90 80 80", // U+110000
  "f5 80 80 80",
  "f7 bf bf bf",
  "f8 88 80 80 80", // 5-byte form
  "fc 84 80 80 80 80",
  "fe",
  "ff",
  "c2 41", // continuation missing
  "e2 28 a1",
  "e2 82 28",
  "f0 9f 98 41",
];

const TRUNCATED_AT_END: string[] = ["c2", "e2", "e2 82", "f0", "f0 9f", "f0 9f 98", "41 c2", "41 e2 82", "41 f0 9f 98"];

describe("isValidUtf8", () => {
  it("accepts valid 1, 2, 3 and 4-byte characters, including the boundaries", () => {
    for (let i = 0; i < VALID.length; i++) {
      const b = hex(VALID[i]);
      expect<bool>(isValidUtf8(b.ptr, b.len)).toBe(true, VALID[i]);
    }
  });

  it("rejects overlongs, surrogates, values above U+10FFFF and invalid bytes", () => {
    for (let i = 0; i < INVALID.length; i++) {
      const b = hex(INVALID[i]);
      expect<bool>(isValidUtf8(b.ptr, b.len)).toBe(false, INVALID[i]);
    }
  });

  it("rejects a sequence truncated at the end of the input", () => {
    for (let i = 0; i < TRUNCATED_AT_END.length; i++) {
      const b = hex(TRUNCATED_AT_END[i]);
      expect<bool>(isValidUtf8(b.ptr, b.len)).toBe(false, TRUNCATED_AT_END[i]);
    }
  });

  it("looks only at the first len bytes", () => {
    const b = hex("41 42 c2 a9");
    expect<bool>(isValidUtf8(b.ptr, 2)).toBe(true);
    expect<bool>(isValidUtf8(b.ptr, 3)).toBe(false); // cuts the 2-byte character
    expect<bool>(isValidUtf8(b.ptr, 4)).toBe(true);
  });
});

describe("textKind", () => {
  it("says PLAIN for text JSON copies as it is, at every offset of the four-byte steps", () => {
    const plain = hex("68747470733a2f2f61732e6578616d706c652e6e6574"); // https://as.example.net
    for (let n = 0; n <= plain.len; n++) expect<i32>(textKind(plain.ptr, n)).toBe(TextKind.PLAIN, n.toString());
    expect<i32>(textKind(hex("41 c2a9 e282ac f09f9880 5a 20 7e").ptr, 13)).toBe(TextKind.PLAIN);
  });

  it("says ESCAPED for a quote, backslash, control character or DEL anywhere", () => {
    // Every length to 24 and every position: the eight-byte steps, and the
    // last step, which takes the last eight bytes again.
    const specials: u8[] = [0x22, 0x5c, 0x00, 0x1f, 0x0a, 0x7f];
    const neighbours: u8[] = [0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7e];
    const buf = new StaticArray<u8>(24);
    for (let n = 1; n <= 24; n++) {
      for (let k = 0; k < specials.length; k++) {
        for (let at = 0; at < n; at++) {
          for (let i = 0; i < n; i++) buf[i] = neighbours[(i + k) % neighbours.length];
          expect<i32>(textKind(changetype<usize>(buf), n)).toBe(TextKind.PLAIN, n.toString());
          buf[at] = specials[k];
          expect<i32>(textKind(changetype<usize>(buf), n)).toBe(TextKind.ESCAPED, specials[k].toString() + " at " + at.toString() + " of " + n.toString());
        }
      }
    }
    expect<i32>(textKind(hex("c2a9 22").ptr, 3)).toBe(TextKind.ESCAPED); // after a 2-byte character
    expect<i32>(textKind(hex("20 21 23 5b 5d 7e").ptr, 6)).toBe(TextKind.PLAIN); // neighbours of the specials
  });

  it("checks UTF-8 in the bytes the last eight-byte step reads again", () => {
    expect<i32>(textKind(hex("61626364656667 68 c2a9 6162636465").ptr, 15)).toBe(TextKind.PLAIN);
    expect<i32>(textKind(hex("61626364656667 68 c2a9 616263 22").ptr, 14)).toBe(TextKind.ESCAPED);
    expect<i32>(textKind(hex("61626364656667 68 6162636465 c2").ptr, 14)).toBe(TextKind.INVALID); // truncated at the end
    expect<i32>(textKind(hex("61626364656667 68 61 ff 6263646566").ptr, 15)).toBe(TextKind.INVALID);
  });

  it("says INVALID for invalid UTF-8 even after characters to escape", () => {
    expect<i32>(textKind(hex("22 22 22 22 ff").ptr, 5)).toBe(TextKind.INVALID);
    expect<i32>(textKind(hex("61 61 61 61 eda080").ptr, 7)).toBe(TextKind.INVALID); // a surrogate
  });
});

describe("equalConstantTime", () => {
  it("is true for equal bytes and for zero length", () => {
    const a = hex("00112233445566778899aabbccddeeff");
    const b = hex("00112233445566778899aabbccddeeff");
    expect<bool>(equalConstantTime(a.ptr, b.ptr, a.len)).toBe(true);
    expect<bool>(equalConstantTime(a.ptr, b.ptr, 0)).toBe(true);
  });

  it("is false when any byte differs, first, middle or last", () => {
    const a = hex("00112233445566778899aabbccddeeff");
    const diffs: string[] = [
      "01112233445566778899aabbccddeeff",
      "00112233445566778999aabbccddeeff",
      "00112233445566778899aabbccddeefe",
      "80112233445566778899aabbccddeeff",
    ];
    for (let i = 0; i < diffs.length; i++) {
      const b = hex(diffs[i]);
      expect<bool>(equalConstantTime(a.ptr, b.ptr, a.len)).toBe(false, diffs[i]);
    }
  });
});
