import { jose, KID } from "../../assembly/jose/compact";
import { joseName, keyAlgOf, isJwsAlg, isJweEnc } from "../../assembly/jose/names";
import { JoseName } from "../../assembly/jose-name-text";
import { CborReader } from "../../assembly/cbor/reader";
import { Code } from "../../assembly/result";
import { ALG_HMAC_256_256, ALG_A128CBC_HS256, ALG_A256GCM, ALG_EDDSA } from "../../assembly/cose/alg";
import { utf8, toHex, Bytes } from "./helpers";

// Compact texts are written as the JSON of their header; parts after it as given.
const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function b64u(s: string): string {
  const b = utf8(s);
  let out = "";
  let acc = 0, bits = 0;
  for (let i = 0; i < b.len; i++) {
    acc = (acc << 8) | <i32>load<u8>(b.ptr + i);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += B64.charAt((acc >> bits) & 63);
    }
  }
  if (bits > 0) out += B64.charAt((acc << (6 - bits)) & 63);
  return out;
}

const r = new CborReader();
let input: Bytes = utf8("");

/** Parses `text`; the code (OK on success). */
function parse(text: string): i32 {
  input = utf8(text);
  r.reset(0, 0);
  const ok = jose.parse(input.ptr, input.len, r);
  return ok ? Code.OK : r.error;
}

describe("JOSE names", () => {
  it("maps each name ntok knows, case-sensitively, and nothing else", () => {
    expect<i32>(joseName("HS256")).toBe(JoseName.HS256);
    expect<i32>(joseName("EdDSA")).toBe(JoseName.EDDSA);
    expect<i32>(joseName("A256CBC-HS512")).toBe(JoseName.A256CBC_HS512);
    expect<i32>(joseName("dir")).toBe(JoseName.DIR);
    expect<i32>(joseName("hs256")).toBe(JoseName.NONE);
    expect<i32>(joseName("none")).toBe(JoseName.NONE);
    expect<i32>(joseName("")).toBe(JoseName.NONE);
    expect<i32>(joseName("A128CBC-HS2566")).toBe(JoseName.NONE);
  });

  it("binds each to the algorithm of its key (COSE numbers where COSE has one)", () => {
    expect<i32>(keyAlgOf(JoseName.HS256)).toBe(ALG_HMAC_256_256);
    expect<i32>(keyAlgOf(JoseName.EDDSA)).toBe(ALG_EDDSA);
    expect<i32>(keyAlgOf(JoseName.A128CBC_HS256)).toBe(ALG_A128CBC_HS256);
    expect<i32>(keyAlgOf(JoseName.A256GCM)).toBe(ALG_A256GCM);
    expect<i32>(keyAlgOf(JoseName.DIR)).toBe(0);
    expect<bool>(isJwsAlg(JoseName.ES256)).toBe(true);
    expect<bool>(isJwsAlg(JoseName.A128GCM)).toBe(false);
    expect<bool>(isJweEnc(JoseName.A128GCM)).toBe(true);
    expect<bool>(isJweEnc(JoseName.DIR)).toBe(false);
  });
});

describe("JoseMessage.parse", () => {
  it("splits a JWS into three parts and reads alg and kid", () => {
    expect<i32>(parse(b64u('{"alg":"ES256","kid":"k\\u00e9"}') + ".e30.c2ln")).toBe(Code.OK);
    expect<bool>(jose.jwe).toBe(false);
    expect<i32>(jose.alg).toBe(JoseName.ES256);
    expect<i32>(jose.keyAlg).toBe(-7);
    expect<string>(toHex(KID, jose.kidLen)).toBe("6bc3a9");
    expect<i32>(jose.partLen(1)).toBe(3);
    expect<i32>(jose.partLen(2)).toBe(4);
  });

  it("splits a JWE into five parts, enc as the algorithm", () => {
    expect<i32>(parse(b64u('{"alg":"dir","enc":"A128GCM"}') + "..aXY.Y3Q.dGFn")).toBe(Code.OK);
    expect<bool>(jose.jwe).toBe(true);
    expect<i32>(jose.alg).toBe(JoseName.A128GCM);
    expect<i32>(jose.kidLen).toBe(-1);
    expect<i32>(jose.partLen(1)).toBe(0);
    expect<i32>(jose.partLen(4)).toBe(4);
  });

  it("refuses other part counts, padding, bad characters and bad headers as malformed", () => {
    const h = b64u('{"alg":"HS256"}');
    const bad: string[] = ["", ".", h, h + ".e30", h + ".e30.x.y", h + ".e30.x.y.z.w", h + "=.e30.x", h + "+.e30.x",
      b64u('["HS256"]') + ".e30.x", b64u('{"alg":1}') + ".e30.x", b64u('{"kid":"a"}') + ".e30.x", b64u('{"alg":"HS256","alg":"HS256"}') + ".e30.x",
      b64u('{"alg":"dir","enc":"A128GCM"}') + ".a2V5.aXY.Y3Q.dGFn", b64u('{"alg":"dir"}') + "..aXY.Y3Q.dGFn"];
    for (let i = 0; i < bad.length; i++) expect<i32>(parse(bad[i])).toBe(Code.MALFORMED, bad[i]);
  });

  it("refuses none, unknown algorithms, zip and key wrapping as unsupported-alg", () => {
    const bad: string[] = [b64u('{"alg":"none"}') + ".e30.", b64u('{"alg":"RS256"}') + ".e30.x", b64u('{"alg":"dir","enc":"A128CBC-HS256","zip":"DEF"}') + "..a.b.c",
      b64u('{"alg":"A128KW","enc":"A128GCM"}') + ".a.b.c.d", b64u('{"alg":"dir","enc":"HS256"}') + "..a.b.c"];
    for (let i = 0; i < bad.length; i++) expect<i32>(parse(bad[i])).toBe(Code.UNSUPPORTED_ALG, bad[i]);
  });

  it("refuses any crit as unknown-critical, and the JSON serialization as unsupported-format", () => {
    expect<i32>(parse(b64u('{"alg":"HS256","crit":["x"],"x":1}') + ".e30.x")).toBe(Code.UNKNOWN_CRITICAL);
    expect<i32>(parse('{"payload":"e30","protected":"x","signature":"y"}')).toBe(Code.UNSUPPORTED_FORMAT);
  });

  it("refuses a header nested past the JSON reader's depth as limit-exceeded", () => {
    // The header object is level 0: a value at level 8 is refused (docs/abi.md, limits).
    expect<i32>(parse(b64u('{"alg":"HS256","x":[[[[[[[1]]]]]]]}') + ".e30.x")).toBe(Code.LIMIT_EXCEEDED);
    expect<i32>(parse(b64u('{"alg":"HS256","x":[[[[[[1]]]]]]}') + ".e30.x")).toBe(Code.OK);
  });
});
