import { JsonReader, JsonType, JsonValue, JSON_MAX_BYTES, JSON_MAX_DEPTH, JSON_MAX_LENGTH } from "../../assembly/json/reader";
import { Msg } from "../../assembly/config-message-text";
import { element, member, message } from "../../assembly/config-message";
import { Bytes, hex, rep, utf8 } from "./helpers";

/** Parses UTF-8 `b`; the reader is returned in `last` for its error. */
let last: JsonReader = new JsonReader();

function parseBytes(b: Bytes): JsonValue | null {
  last = new JsonReader();
  return last.parse(b.ptr, b.len);
}

function parse(s: string): JsonValue | null {
  const b = utf8(s);
  return parseBytes(b);
}

function accepts(s: string): bool {
  return parse(s) != null && last.error.length == 0;
}

function rejects(s: string): bool {
  return parse(s) == null && last.error.length > 0;
}

function expectAllRejected(inputs: string[]): void {
  for (let i = 0; i < inputs.length; i++) expect<bool>(rejects(inputs[i])).toBe(true, inputs[i]);
}

function stringValue(s: string): string {
  const v = parse(s);
  if (v == null) return "<rejected: " + last.error + ">";
  return v.str;
}

describe("JsonReader: valid documents", () => {
  it("parses an object with every value type", () => {
    const v = parse(' { "a" : [1, true, false, null, "x"], "b": {}, "c": [] } ');
    expect<bool>(v != null).toBe(true, last.error);
    const doc = v!;
    expect<i32>(doc.type).toBe(JsonType.OBJECT);
    expect<i32>(doc.keys.length).toBe(3);
    const a = doc.get("a")!;
    expect<i32>(a.type).toBe(JsonType.ARRAY);
    expect<i32>(a.items.length).toBe(5);
    expect<i32>(a.items[0].type).toBe(JsonType.NUMBER);
    expect<f64>(a.items[0].num).toBe(1);
    expect<i32>(a.items[1].type).toBe(JsonType.BOOL);
    expect<bool>(a.items[1].bool).toBe(true);
    expect<bool>(a.items[2].bool).toBe(false);
    expect<i32>(a.items[3].type).toBe(JsonType.NULL);
    expect<string>(a.items[4].str).toBe("x");
    expect<i32>(doc.get("b")!.type).toBe(JsonType.OBJECT);
    expect<i32>(doc.get("b")!.keys.length).toBe(0);
    expect<i32>(doc.get("c")!.items.length).toBe(0);
  });

  it("returns null from get for a missing key", () => {
    const v = parse('{"a":1}')!;
    expect<bool>(v.get("b") == null).toBe(true);
  });

  it("accepts a scalar at the top level", () => {
    const inputs: string[] = ["1", "\"s\"", "null", "true", "false", " 0 ", "\t\r\n[]\n"];
    for (let i = 0; i < inputs.length; i++) expect<bool>(accepts(inputs[i])).toBe(true, inputs[i]);
  });

  it("decodes the short escapes", () => {
    expect<string>(stringValue('"\\"\\\\\\/\\b\\f\\n\\r\\t"')).toBe("\"\\/\b\f\n\r\t");
  });

  it("decodes \\u escapes and raw UTF-8 to the same text", () => {
    expect<string>(stringValue('"\\u00e9\\u00E9\\u20ac"')).toBe("éé€");
    expect<string>(stringValue('"é€"')).toBe("é€");
  });

  it("decodes a valid surrogate pair to one astral character", () => {
    expect<string>(stringValue('"\\ud83d\\ude00"')).toBe("😀");
    expect<string>(stringValue('"a\\uD83D\\uDE00b"')).toBe("a😀b");
  });

  it("accepts DEL and non-ASCII characters raw in strings", () => {
    expect<string>(stringValue('"\x7f"')).toBe("\x7f");
    expect<string>(stringValue('"😀"')).toBe("😀");
  });
});

describe("JsonReader: rejected documents", () => {
  it("rejects an empty or whitespace-only document", () => {
    expectAllRejected(["", "   ", "\n"]);
  });

  it("rejects a duplicate object key", () => {
    expectAllRejected(['{"a":1,"a":2}', '{"a":1,"b":2,"a":1}', '{"x":{"k":1,"k":1}}']);
  });

  it("compares keys after unescaping when finding duplicates", () => {
    expect<bool>(rejects('{"a":1,"\\u0061":2}')).toBe(true);
  });

  it("rejects a trailing comma", () => {
    expectAllRejected(["[1,]", '{"a":1,}', "[,]", "[1,,2]", '{,"a":1}']);
  });

  it("rejects a number with a leading zero", () => {
    expectAllRejected(["01", "[01]", "-01", "00", "00.5"]);
  });

  it("rejects a bare minus sign", () => {
    expectAllRejected(["-", "[-]", "-a", "- 1"]);
  });

  it("rejects a fraction without digits", () => {
    expectAllRejected(["1.", "1.e3", ".5", "[1.]"]);
  });

  it("rejects an exponent without digits", () => {
    expectAllRejected(["1e", "1E", "1e+", "1e-", "[1e]"]);
  });

  it("rejects other malformed numbers", () => {
    expectAllRejected(["+1", "0x10", "Infinity", "NaN", "1_000", "1.5.5", "--1"]);
  });

  it("rejects an exponent beyond the double range", () => {
    expectAllRejected(["1e309", "-1e400", "1e-309", "1e99999999999"]);
  });

  it("rejects an unterminated string", () => {
    expectAllRejected(['"abc', '"', '["a', '{"a', '"abc\\', '"abc\\"']);
  });

  it("rejects a raw control character in a string", () => {
    expectAllRejected(['"a\x01b"', '"a\nb"', '"a\tb"', '"\x00"', '"\x1f"']);
  });

  it("rejects a bad escape", () => {
    expectAllRejected(['"\\x"', '"\\a"', '"\\U0041"', '"\\u12"', '"\\u12G4"', '"\\u-123"', '"\\ "', '"\\\'"']);
  });

  it("rejects a lone high surrogate \\ud800", () => {
    expectAllRejected(['"\\ud800"', '"\\ud800x"', '"\\ud800\\u0041"', '"\\udbff\\ud800"', '"\\ud800\\n"']);
  });

  it("rejects a lone low surrogate \\udc00", () => {
    expectAllRejected(['"\\udc00"', '"\\udfff"', '"\\udc00\\ud800"']);
  });

  it("rejects a bad literal", () => {
    expectAllRejected(["tru", "nul", "True", "NULL", "fals", "[t]"]);
  });

  it("rejects trailing characters after the value", () => {
    expectAllRejected(["{} x", "1 2", "{}}", "[1]]", '"a""b"', "nullx", "truex", "{},", "0 0"]);
  });

  it("rejects a missing colon, comma or key", () => {
    expectAllRejected(['{"a" 1}', '{"a":1 "b":2}', "[1 2]", "{1:2}", "{a:1}", '{"a"}', '{"a":}']);
  });

  it("rejects comments", () => {
    expectAllRejected(["[1 /* c */]", "// c\n1", "[1] # c"]);
  });

  it("rejects a NUL byte after the value", () => {
    const b = hex("5b 5d 00");
    expect<bool>(parseBytes(b) == null).toBe(true);
  });

  it("reports the byte offset of the failure", () => {
    parse("[1,]");
    expect<string>(last.error).toBe("unexpected character in JSON at byte 3");
  });
});

describe("JsonReader: UTF-8", () => {
  it("rejects invalid UTF-8 bytes anywhere in the document", () => {
    const inputs: string[] = [
      '22 c3 28 22', // "\xC3(" : bad continuation
      '22 c0 80 22', // overlong NUL
      '22 ed a0 80 22', // surrogate D800
      '22 f4 90 80 80 22', // above U+10FFFF
      '22 ff 22',
      '22 e2 82 22', // truncated inside the string
      '5b 31 5d 80', // stray continuation after the value
      '22 61 22 c3', // truncated at the very end
    ];
    for (let i = 0; i < inputs.length; i++) {
      const b = hex(inputs[i]);
      expect<bool>(parseBytes(b) == null).toBe(true, inputs[i]);
      expect<string>(last.error.startsWith("JSON is not valid UTF-8") ? "utf8" : last.error).toBe("utf8", inputs[i]);
    }
  });

  it("accepts valid 2, 3 and 4-byte UTF-8 in strings", () => {
    const b = hex("22 c2a9 e282ac f09f9880 f48fbfbf 22");
    const v = parseBytes(b);
    expect<bool>(v != null).toBe(true, last.error);
    expect<string>(v!.str).toBe("©€😀\u{10FFFF}");
  });
});

describe("JsonReader: limits", () => {
  it("accepts a value at depth JSON_MAX_DEPTH-1 (the root at depth 0)", () => {
    const n = JSON_MAX_DEPTH - 1;
    expect<bool>(accepts(rep("[", n) + "1" + rep("]", n))).toBe(true, last.error);
    expect<bool>(accepts(rep("[", JSON_MAX_DEPTH) + rep("]", JSON_MAX_DEPTH))).toBe(true, "empty innermost array");
    expect<bool>(accepts(rep('{"a":', n) + "1" + rep("}", n))).toBe(true, last.error);
  });

  it("rejects a value at depth JSON_MAX_DEPTH", () => {
    const n = JSON_MAX_DEPTH;
    expect<bool>(rejects(rep("[", n) + "1" + rep("]", n))).toBe(true);
    expect<bool>(rejects(rep("[", n + 1) + rep("]", n + 1))).toBe(true);
    expect<bool>(rejects(rep('{"a":', n) + "1" + rep("}", n))).toBe(true);
    expect<string>(last.error.startsWith("JSON nested deeper than 8") ? "depth" : last.error).toBe("depth");
  });

  it("accepts a document of exactly JSON_MAX_BYTES", () => {
    const s = '"' + rep("a", JSON_MAX_BYTES - 2) + '"';
    expect<i32>(s.length).toBe(JSON_MAX_BYTES);
    const v = parse(s);
    expect<bool>(v != null).toBe(true, last.error);
    expect<i32>(v!.str.length).toBe(JSON_MAX_BYTES - 2);
  });

  it("rejects a document of JSON_MAX_BYTES+1", () => {
    const s = '"' + rep("a", JSON_MAX_BYTES - 1) + '"';
    expect<i32>(s.length).toBe(JSON_MAX_BYTES + 1);
    expect<bool>(rejects(s)).toBe(true);
    expect<string>(last.error.startsWith("JSON larger than 64 KiB") ? "size" : last.error).toBe("size");
  });

  it("accepts an array of JSON_MAX_LENGTH elements and rejects one more", () => {
    expect<bool>(accepts("[" + rep("0,", JSON_MAX_LENGTH - 1) + "0]")).toBe(true, last.error);
    expect<bool>(rejects("[" + rep("0,", JSON_MAX_LENGTH) + "0]")).toBe(true);
  });

  it("accepts an object of JSON_MAX_LENGTH members and rejects one more", () => {
    const members = new Array<string>(JSON_MAX_LENGTH);
    for (let i = 0; i < JSON_MAX_LENGTH; i++) members[i] = '"' + i.toString() + '":0';
    const s = "{" + members.join(",");
    expect<bool>(accepts(s + "}")).toBe(true, last.error);
    expect<bool>(rejects(s + ',"x":0}')).toBe(true);
  });

  it("rejects a number longer than 32 characters", () => {
    expect<bool>(accepts("1" + rep("0", 31))).toBe(true, "32 characters");
    expect<bool>(rejects("1" + rep("0", 32))).toBe(true, "33 characters");
  });
});

// [text, value, isInteger]
const NUMBER_TEXT: string[] = ["0", "1", "-1", "1.5", "-1.5", "1e3", "1E3", "1e+3", "25e-1", "12.25", "0.5", "9007199254740992", "-9007199254740992", "1e22", "0.0", "10"];
const NUMBER_VALUE: f64[] = [0, 1, -1, 1.5, -1.5, 1000, 1000, 1000, 2.5, 12.25, 0.5, 9007199254740992, -9007199254740992, 1e22, 0, 10];
const NUMBER_INTEGER: bool[] = [true, true, true, false, false, false, false, false, false, false, false, true, true, false, false, true];

describe("JsonReader: numbers", () => {
  it("reads number values and whether they are integers", () => {
    for (let i = 0; i < NUMBER_TEXT.length; i++) {
      const v = parse(NUMBER_TEXT[i]);
      expect<bool>(v != null).toBe(true, NUMBER_TEXT[i] + ": " + last.error);
      expect<i32>(v!.type).toBe(JsonType.NUMBER, NUMBER_TEXT[i]);
      expect<f64>(v!.num).toBe(NUMBER_VALUE[i], NUMBER_TEXT[i]);
      expect<bool>(v!.isInteger).toBe(NUMBER_INTEGER[i], NUMBER_TEXT[i]);
    }
  });

  it("reads -0 as a negative zero integer", () => {
    const v = parse("-0")!;
    expect<f64>(v.num).toBe(0);
    expect<f64>(1.0 / v.num).toBe(-Infinity);
    expect<bool>(v.isInteger).toBe(true);
  });

  it("reads 2^53 exactly", () => {
    const v = parse("9007199254740992")!;
    expect<u64>(<u64>v.num).toBe(<u64>1 << 53);
    expect<bool>(v.isInteger).toBe(true);
  });
});

describe("configuration messages", () => {
  it("fill in the field's path for @ and the argument for %", () => {
    expect<string>(message(Msg.KEYSET_IS_NOT_DEFINED, element("descriptors", 3), "k\"1")).toBe("descriptors[3].keyset \"k\"1\" is not defined");
    expect<string>(message(Msg.UNKNOWN_MEMBER_IN, member("keysets", "a"), "b")).toBe("unknown member \"b\" in keysets.a");
    expect<string>(message(Msg.MORE_THAN_N_KEY_SETS, "", "16")).toBe("more than 16 key sets");
    expect<string>(message(Msg.CONFIGURATION_MUST_BE_A_JSON_OBJECT)).toBe("configuration must be a JSON object");
    expect<string>(message(Msg.BAD_U_ESCAPE_IN_JSON_STRING)).toBe("bad \\u escape in JSON string");
  });

  it("say where the JSON reader stopped", () => {
    expect<bool>(rejects('{"a":1,"a":2}')).toBe(true);
    expect<string>(last.error).toBe('duplicate JSON key "a" at byte 10');
    expect<bool>(rejects(rep("[", JSON_MAX_DEPTH + 1))).toBe(true);
    expect<string>(last.error).toBe("JSON nested deeper than 8 at byte 8");
  });
});
