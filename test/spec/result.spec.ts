import { Code, CODE_COUNT, codeName, codeMessage } from "../../assembly/result";

const NAMES: string[] = [
  "ok", "malformed", "too-large", "bad-header", "unsupported-alg", "unknown-kid", "alg-mismatch",
  "bad-mac", "bad-signature", "decrypt-failed", "expired", "not-yet-valid", "issued-in-future",
  "revoked", "wrong-issuer", "wrong-audience", "missing-claim", "bad-claim", "not-cwt",
  "unknown-descriptor", "unsupported-format", "unknown-critical", "limit-exceeded",
  "unexpected-type", "bad-config", "host-error",
  "bad-packet", "no-token", "wrong-binding", "rate-limited", "unknown-service", "washed",
  "not-allowed", "tag-too-large",
];

describe("result codes", () => {
  it("names every code with its stable name", () => {
    expect<i32>(CODE_COUNT).toBe(NAMES.length);
    for (let i = 0; i < NAMES.length; i++) expect<string>(codeName(i)).toBe(NAMES[i], i.toString());
  });

  it("keeps the enum numbers the names are listed under", () => {
    expect<string>(codeName(Code.OK)).toBe("ok");
    expect<string>(codeName(Code.MALFORMED)).toBe("malformed");
    expect<string>(codeName(Code.BAD_CLAIM)).toBe("bad-claim");
    expect<string>(codeName(Code.NOT_CWT)).toBe("not-cwt");
    expect<string>(codeName(Code.LIMIT_EXCEEDED)).toBe("limit-exceeded");
    expect<string>(codeName(Code.HOST_ERROR)).toBe("host-error");
    expect<string>(codeName(Code.BAD_PACKET)).toBe("bad-packet");
    expect<string>(codeName(Code.TAG_TOO_LARGE)).toBe("tag-too-large");
    expect<i32>(Code.TAG_TOO_LARGE).toBe(CODE_COUNT - 1);
  });

  it("gives every code a non-empty message", () => {
    for (let i = 0; i < CODE_COUNT; i++) expect<bool>(codeMessage(i).length > 0).toBe(true, i.toString());
    expect<string>(codeMessage(Code.BAD_MAC)).toBe("the MAC does not verify");
  });

  it("returns empty strings for unknown codes", () => {
    expect<string>(codeName(-1)).toBe("");
    expect<string>(codeName(CODE_COUNT)).toBe("");
    expect<string>(codeMessage(-1)).toBe("");
    expect<string>(codeMessage(CODE_COUNT)).toBe("");
  });
});
