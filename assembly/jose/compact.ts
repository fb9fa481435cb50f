// JOSE compact serialization (RFC 7515 §7.1, RFC 7516 §7.1): the parts of a
// JWS (header.payload.signature) or JWE (header.key.iv.ciphertext.tag), and
// the protected header, read with the configuration's strict JSON reader
// (duplicate members, bad escapes, invalid UTF-8 refused; depth and length
// limited). Failures go to a CborReader, the token pipeline's one record of
// "first failure, code and detail".

import { CborReader } from "../cbor/reader";
import { JsonReader, JsonType, JsonValue } from "../json/reader";
import { Code } from "../result";
import { Detail } from "../detail-text";
import { JsonKey } from "../json-key-text";
import { JoseName } from "../jose-name-text";
import { base64urlDecode } from "../util/encoding";
import { joseName, keyAlgOf, isJwsAlg, isJweEnc, memberOf } from "./names";

const MAX_PARTS: i32 = 5;
/** A header of a 2 KiB token decodes to at most 1,536 bytes; so does its kid. */
const HEADER_CAPACITY: i32 = 1536;
export const HEADER: usize = memory.data(HEADER_CAPACITY);
export const KID: usize = memory.data(HEADER_CAPACITY);

/**
 * The JOSE path's reader. A header has a handful of members and a claims set
 * a few dozen values: 256 per parse keeps a hostile token's tree (~250 bytes
 * a value until collected) small.
 */
export const json = new JsonReader();
json.budget = 256;

/** A JSON failure as a result code: limits are limit-exceeded, the rest `syntax`. */
export function jsonFailed(r: CborReader, syntax: i32, detail: Detail): bool {
  return json.overLimit() ? r.fail(Code.LIMIT_EXCEEDED, Detail.JSON_NESTED_TOO_DEEPLY_OR_TOO_LONG) : r.fail(syntax, detail);
}

/** Where each part starts; part i ends one byte before part i + 1 starts. */
const STARTS: usize = memory.data((MAX_PARTS + 1) << 2);

/** One compact message; a static instance (`jose`), so no field has a default. */
@unmanaged
export class JoseMessage {
  jwe: bool;
  body: usize;
  /** JWS alg, or JWE enc (alg is dir); NONE before the header is read. */
  alg: JoseName;
  /** The algorithm the key must be bound to. */
  keyAlg: i32;
  /** The decoded protected header (JSON) is at HEADER. */
  headerLen: i32;
  /** kid as UTF-8 at KID, -1 when absent. */
  kidLen: i32;
  // Set by openJose (verify.ts): the decoded parts, and the claims JSON.
  ivPtr: usize;
  ivLen: i32;
  /** Payload (JWS) or ciphertext (JWE) bytes. */
  contentLen: i32;
  /** Signature / MAC (JWS) or authentication tag (JWE) bytes. */
  tagLen: i32;
  plainPtr: usize;
  plainLen: i32;

  partPtr(i: i32): usize {
    return this.body + <usize>load<i32>(STARTS + (<usize>i << 2));
  }

  partLen(i: i32): i32 {
    const at = STARTS + (<usize>i << 2);
    return load<i32>(at, 4) - load<i32>(at) - 1;
  }

  /** Decodes part i to `out`: its length, or -1 after failing `r` (not base64url). */
  decode(i: i32, out: usize, r: CborReader): i32 {
    const n = base64urlDecode(this.partPtr(i), this.partLen(i), out);
    if (n < 0) r.fail(Code.MALFORMED, Detail.PART_IS_NOT_BASE64URL);
    return n;
  }

  /** Splits the compact text and reads its header; false with the failure in `r`. */
  parse(body: usize, len: i32, r: CborReader): bool {
    this.body = body;
    this.alg = JoseName.NONE;
    this.headerLen = 0;
    this.kidLen = -1;
    this.ivLen = -1;
    this.contentLen = 0;
    this.tagLen = 0;
    // The JSON serializations (RFC 7515 §7.2) start with '{'; a network token is compact.
    if (len > 0 && load<u8>(body) == 0x7b) return r.fail(Code.UNSUPPORTED_FORMAT, Detail.JOSE_JSON_SERIALIZATION_IS_NOT_SUPPORTED);
    let dots = 0;
    for (let i = 0; i < len; i++) {
      if (load<u8>(body + i) != 0x2e) continue;
      if (++dots >= MAX_PARTS) break;
      store<i32>(STARTS + (<usize>dots << 2), i + 1);
    }
    // RFC 7516 §9: five parts are a JWE, three a JWS.
    if (dots != 2 && dots != 4) return r.fail(Code.MALFORMED, Detail.COMPACT_JOSE_HAS_NEITHER_3_NOR_5_PARTS);
    store<i32>(STARTS, 0);
    store<i32>(STARTS + (<usize>(dots + 1) << 2), len + 1);
    this.jwe = dots == 4;
    const n = this.decode(0, HEADER, r);
    if (n < 0) return false;
    this.headerLen = n;
    const h = json.parse(HEADER, n);
    if (h == null) return jsonFailed(r, Code.MALFORMED, Detail.JOSE_HEADER_IS_NOT_A_JSON_OBJECT);
    if (h.type != JsonType.OBJECT) return r.fail(Code.MALFORMED, Detail.JOSE_HEADER_IS_NOT_A_JSON_OBJECT);
    return this.readHeader(h, r);
  }

  /**
   * RFC 7515 §4.1, RFC 7516 §4.1: alg (and enc) name the algorithm, kid the
   * key; crit lists extensions that must be understood (ntok understands
   * none); members ntok does not use are ignored.
   */
  private readHeader(h: JsonValue, r: CborReader): bool {
    const alg = memberOf(h, JsonKey.ALG);
    const enc = memberOf(h, JsonKey.ENC);
    const kid = memberOf(h, JsonKey.KID);
    const crit = memberOf(h, JsonKey.CRIT);
    if (alg == null) return r.fail(Code.MALFORMED, Detail.NO_ALG_IN_THE_PROTECTED_HEADER);
    if (this.jwe && enc == null) return r.fail(Code.MALFORMED, Detail.NO_ENC_IN_THE_JWE_HEADER);
    if (alg.type != JsonType.STRING || (enc != null && enc.type != JsonType.STRING) || (kid != null && kid.type != JsonType.STRING)) {
      return r.fail(Code.MALFORMED, Detail.JOSE_HEADER_MEMBER_HAS_THE_WRONG_TYPE);
    }
    if (crit != null) {
      if (crit.type != JsonType.ARRAY || crit.items.length == 0) return r.fail(Code.MALFORMED, Detail.CRIT_MUST_NOT_BE_EMPTY);
      return r.fail(Code.UNKNOWN_CRITICAL, Detail.CRIT_NAMES_A_HEADER_PARAMETER_NTOK_DOES_NOT_PROC);
    }
    if (kid != null) this.kidLen = <i32>String.UTF8.encodeUnsafe(changetype<usize>(kid.str), kid.str.length, KID, false, String.UTF8.ErrorMode.WTF8);
    const a = joseName(alg.str);
    if (this.jwe) {
      // RFC 7518 §4.5: with dir the key is the content key, and the encrypted key is empty.
      if (a != JoseName.DIR) return r.fail(Code.UNSUPPORTED_ALG, Detail.ALG_IS_NOT_SUPPORTED);
      if (memberOf(h, JsonKey.ZIP) != null) return r.fail(Code.UNSUPPORTED_ALG, Detail.ZIP_IS_NOT_SUPPORTED);
      this.alg = joseName(enc!.str);
      if (!isJweEnc(this.alg)) return r.fail(Code.UNSUPPORTED_ALG, Detail.ALG_IS_NOT_SUPPORTED);
      if (this.partLen(1) != 0) return r.fail(Code.MALFORMED, Detail.DIR_JWE_WITH_AN_ENCRYPTED_KEY);
    } else {
      // "none" and every other name ntok has no key for are unsupported (RFC 7518 §3.6).
      this.alg = a;
      if (!isJwsAlg(a)) return r.fail(Code.UNSUPPORTED_ALG, Detail.ALG_IS_NOT_SUPPORTED);
    }
    this.keyAlg = keyAlgOf(this.alg);
    return true;
  }
}

export const jose = changetype<JoseMessage>(memory.data(offsetof<JoseMessage>()));
