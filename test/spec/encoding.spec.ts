import { base64urlDecode, decimal, decodeBase64url, hexToBytes } from "../../assembly/util/encoding";
import { toHex, u8Hex, utf8 } from "./helpers";

// RFC 4648 §10 test vectors, bytes as hex: "", "f", "fo", "foo", "foob", "fooba", "foobar".
const RFC4648_TEXT: string[] = ["", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"];
const RFC4648_BYTES: string[] = ["", "66", "666f", "666f6f", "666f6f62", "666f6f6261", "666f6f626172"];

function strict(s: string): string {
  return u8Hex(decodeBase64url(s));
}

function lenient(s: string): string {
  return u8Hex(decodeBase64url(s, false));
}

describe("decodeBase64url", () => {
  it("decodes the RFC 4648 test vectors (unpadded)", () => {
    for (let i = 0; i < RFC4648_TEXT.length; i++) {
      expect<string>(strict(RFC4648_TEXT[i])).toBe(RFC4648_BYTES[i], RFC4648_TEXT[i]);
      expect<string>(lenient(RFC4648_TEXT[i])).toBe(RFC4648_BYTES[i], RFC4648_TEXT[i] + " (lenient)");
    }
  });

  it("decodes the whole base64url alphabet, '-' as 62 and '_' as 63", () => {
    expect<string>(strict("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")).toBe(
      "00108310518720928b30d38f41149351559761969b71d79f8218a39259a7a29aabb2dbafc31cb3d35db7e39ebbf3dfbf",
    );
    expect<string>(strict("-_8")).toBe("fbff");
    expect<string>(strict("_-A")).toBe("ffe0");
  });

  it("rejects the base64 characters '+' and '/'", () => {
    const inputs: string[] = ["+/8", "Zm9+", "Zm9/", "+A", "/A"];
    for (let i = 0; i < inputs.length; i++) expect<string>(strict(inputs[i])).toBe("null", inputs[i]);
  });

  it("rejects '=' padding", () => {
    const inputs: string[] = ["Zg==", "Zm8=", "Zg=", "====", "Zm9v=", "="];
    for (let i = 0; i < inputs.length; i++) {
      expect<string>(strict(inputs[i])).toBe("null", inputs[i]);
      expect<string>(lenient(inputs[i])).toBe("null", inputs[i] + " (lenient)");
    }
  });

  it("rejects whitespace anywhere", () => {
    const inputs: string[] = [" Zm9v", "Zm9v ", "Zm 9v", "Zm9v\n", "Zm9v\r\nYg", "\tZg"];
    for (let i = 0; i < inputs.length; i++) expect<string>(strict(inputs[i])).toBe("null", inputs[i]);
  });

  it("rejects other characters outside the alphabet", () => {
    const inputs: string[] = ["Zm9.", "Zm9v!", "Zé", "Zm9\u0000", "Z\u0100"];
    for (let i = 0; i < inputs.length; i++) expect<string>(strict(inputs[i])).toBe("null", inputs[i]);
  });

  it("rejects a length of 1 modulo 4", () => {
    const inputs: string[] = ["Z", "Zm9vY", "Zm9vYmFyZ", "A"];
    for (let i = 0; i < inputs.length; i++) {
      expect<string>(strict(inputs[i])).toBe("null", inputs[i]);
      expect<string>(lenient(inputs[i])).toBe("null", inputs[i] + " (lenient)");
    }
  });

  it("rejects non-zero leftover bits when strict", () => {
    const inputs: string[] = ["Zh", "Zv", "Zm9", "Zm-", "Zm9vYh", "AB"];
    for (let i = 0; i < inputs.length; i++) expect<string>(strict(inputs[i])).toBe("null", inputs[i]);
  });

  it("accepts non-zero leftover bits when lenient, dropping them", () => {
    expect<string>(lenient("Zh")).toBe("66");
    expect<string>(lenient("Zv")).toBe("66");
    expect<string>(lenient("Zm9")).toBe("666f");
    expect<string>(lenient("AB")).toBe("00");
    // cose-wg/Examples' AES-CCM key "our-secret2" (RFC 9052 C.4.1) ends in non-zero leftover bits
    expect<string>(lenient("hJtXhkV8FJG-Onbc6mxCcY")).toBe("849b5786457c1491be3a76dcea6c4271");
    expect<string>(strict("hJtXhkV8FJG-Onbc6mxCcY")).toBe("null");
  });

  it("is strict by default", () => {
    expect<bool>(decodeBase64url("Zh") == null).toBe(true);
  });
});

describe("hexToBytes", () => {
  it("decodes lowercase hex", () => {
    expect<string>(u8Hex(hexToBytes(""))).toBe("");
    expect<string>(u8Hex(hexToBytes("00ff10"))).toBe("00ff10");
    expect<string>(u8Hex(hexToBytes("0123456789abcdef"))).toBe("0123456789abcdef");
    expect<string>(u8Hex(hexToBytes("0b71"))).toBe("0b71");
  });

  it("rejects uppercase hex digits", () => {
    const inputs: string[] = ["FF", "0A", "aB", "0B71", "ABCDEF"];
    for (let i = 0; i < inputs.length; i++) expect<bool>(hexToBytes(inputs[i]) == null).toBe(true, inputs[i]);
  });

  it("rejects an odd number of digits", () => {
    const inputs: string[] = ["0", "abc", "0b7"];
    for (let i = 0; i < inputs.length; i++) expect<bool>(hexToBytes(inputs[i]) == null).toBe(true, inputs[i]);
  });

  it("rejects characters that are not hex digits", () => {
    const inputs: string[] = ["0g", "zz", " 0", "0 ", "0x00", "-1", "0\u0000", "é0"];
    for (let i = 0; i < inputs.length; i++) expect<bool>(hexToBytes(inputs[i]) == null).toBe(true, inputs[i]);
  });
});

describe("decimal", () => {
  it("writes what toString() writes", () => {
    const values: u64[] = [0, 1, 9, 10, 99, 100, 4096, 4294967295, 9007199254740991, u64.MAX_VALUE];
    for (let i = 0; i < values.length; i++) expect<string>(decimal(values[i])).toBe(values[i].toString());
  });
});

function decodeBytes(s: string): string {
  const text = utf8(s);
  const out = new StaticArray<u8>(text.len);
  const n = base64urlDecode(text.ptr, text.len, changetype<usize>(out));
  return n < 0 ? "null" : toHex(changetype<usize>(out), n);
}

describe("base64urlDecode (token bytes in place)", () => {
  it("decodes the RFC 4648 test vectors and returns their lengths", () => {
    for (let i = 0; i < RFC4648_TEXT.length; i++) expect<string>(decodeBytes(RFC4648_TEXT[i])).toBe(RFC4648_BYTES[i], RFC4648_TEXT[i]);
  });

  it("refuses padding, '+', '/', a space, a NUL, bytes beyond ASCII, and one character left over", () => {
    const inputs: string[] = ["Zg==", "Zm8=", "+A", "/A", "Zm 9", "Zm\u00009", "Zm\u00e99", "Zm9vY"];
    for (let i = 0; i < inputs.length; i++) expect<string>(decodeBytes(inputs[i])).toBe("null", inputs[i]);
  });

  it("refuses non-zero leftover bits (one spelling per byte string)", () => {
    expect<string>(decodeBytes("Zh")).toBe("null");
    expect<string>(decodeBytes("Zm9")).toBe("null");
    expect<string>(decodeBytes("Zm8")).toBe("666f");
  });
});
