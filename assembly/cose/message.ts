// COSE message structure (RFC 9052 §2-§3): tags, the array, and the
// protected / unprotected header maps. Only views into the input are kept.

import { CborReader, DuplicateKeys, Major } from "../cbor/reader";
import { Code } from "../result";
import { Detail } from "../detail-text";
import { MessageType } from "./alg";

/** RFC 8392 §6: the CWT tag that may wrap a COSE message. */
export const TAG_CWT: u64 = 61;

const LABEL_ALG: u64 = 1;
const LABEL_CRIT: u64 = 2;
const LABEL_CONTENT_TYPE: u64 = 3;
const LABEL_KID: u64 = 4;
const LABEL_IV: u64 = 5;
const LABEL_PARTIAL_IV: u64 = 6;

/** Most labels a crit array may list. */
const MAX_CRIT: i32 = 8;

export class CoseMessage {
  type: MessageType = MessageType.NONE;
  /** The COSE tag was present (16/17/18), and the CWT tag 61. */
  coseTagged: bool = false;
  cwtTagged: bool = false;

  protectedPtr: usize = 0; protectedLen: i32 = 0;
  /** Content (for Encrypt0: ciphertext ‖ tag). */
  payloadPtr: usize = 0; payloadLen: i32 = 0;
  /** MAC tag or signature (Mac0, Sign1). */
  tagPtr: usize = 0; tagLen: i32 = 0;

  hasAlg: bool = false;
  alg: i32 = 0;
  /** alg was given as text or out of i32 range: never a supported one. */
  algUnknown: bool = false;
  kidPtr: usize = 0; kidLen: i32 = -1;
  ivPtr: usize = 0; ivLen: i32 = -1;
  critCount: i32 = 0;
  /** Labels listed in crit (integers; text labels are never understood). */
  crit: StaticArray<i64> = new StaticArray<i64>(MAX_CRIT);
  contentType: i64 = -1;

  private keys: DuplicateKeys = new DuplicateKeys();

  /**
   * Parses one message from `r` (tags, array, headers). `expect` is what an
   * untagged message is read as (NONE: untagged is refused).
   */
  parse(r: CborReader, expect: MessageType): bool {
    // Every view is reset: a message that fails half way must not show the previous input's bytes.
    this.type = MessageType.NONE;
    this.protectedLen = 0;
    this.payloadLen = 0;
    this.tagLen = 0;
    this.coseTagged = false;
    this.cwtTagged = false;
    this.hasAlg = false;
    this.algUnknown = false;
    this.kidLen = -1;
    this.ivLen = -1;
    this.critCount = 0;
    this.contentType = -1;

    if (!r.head()) return false;
    if (r.major == Major.TAG && r.arg == TAG_CWT) {
      this.cwtTagged = true;
      if (!r.head()) return false;
      // RFC 8392 §6: the CWT tag prefixes a tagged COSE object.
      if (r.major != Major.TAG) return r.fail(Code.MALFORMED, Detail.CWT_TAG_61_AROUND_AN_UNTAGGED_COSE_MESSAGE);
    }
    if (r.major == Major.TAG) {
      const t = r.arg;
      if (t != MessageType.ENCRYPT0 && t != MessageType.MAC0 && t != MessageType.SIGN1) {
        return r.fail(Code.UNEXPECTED_TYPE, Detail.TAG_IS_NOT_COSE_ENCRYPT0_COSE_MAC0_OR_COSE_SIGN1);
      }
      this.type = <MessageType>(<i32>t);
      this.coseTagged = true;
      if (expect != MessageType.NONE && expect != this.type) return r.fail(Code.UNEXPECTED_TYPE, Detail.MESSAGE_TYPE_DIFFERS_FROM_WHAT_THE_KEY_SET_EXPEC);
      if (!r.head()) return false;
    } else {
      if (expect == MessageType.NONE) return r.fail(Code.UNEXPECTED_TYPE, Detail.UNTAGGED_COSE_MESSAGE_AND_THE_KEY_SET_DOES_NOT_S);
      this.type = expect;
    }
    if (r.major != Major.ARRAY) return r.fail(Code.MALFORMED, Detail.COSE_MESSAGE_IS_NOT_AN_ARRAY);
    const n = <i32>r.arg;
    if (n != (this.type == MessageType.ENCRYPT0 ? 3 : 4)) return r.fail(Code.MALFORMED, Detail.COSE_MESSAGE_ARRAY_HAS_THE_WRONG_LENGTH);

    // protected: bstr .cbor header_map / bstr .size 0 (RFC 9052 §3)
    if (!r.bytes()) return false;
    this.protectedPtr = r.ptr;
    this.protectedLen = r.len;
    this.keys.clear();
    if (r.len > 0) {
      const outer = r.pos;
      const outerEnd = r.end;
      r.pos = this.protectedPtr;
      r.end = this.protectedPtr + <usize>this.protectedLen;
      const ok = this.headerMap(r, true);
      if (ok && !r.atEnd()) r.fail(Code.MALFORMED, Detail.BYTES_AFTER_THE_PROTECTED_HEADER_MAP);
      r.pos = outer;
      r.end = outerEnd;
      if (r.error != Code.OK) return false;
    }
    if (!this.headerMap(r, false)) return false;

    // payload / ciphertext: bstr (nil would be detached content, not a token)
    if (!r.head()) return false;
    if (r.major != Major.BYTES) return r.fail(Code.MALFORMED, Detail.DETACHED_OR_NON_BSTR_COSE_PAYLOAD);
    this.payloadPtr = r.ptr;
    this.payloadLen = r.len;
    if (this.type != MessageType.ENCRYPT0) {
      if (!r.bytes()) return false;
      this.tagPtr = r.ptr;
      this.tagLen = r.len;
    }
    return true;
  }

  /** One header map; labels must not repeat, within or across the two maps. */
  private headerMap(r: CborReader, isProtected: bool): bool {
    const n = r.map();
    if (n < 0) return false;
    for (let i = 0; i < n; i++) {
      if (r.smallUint() < 0 && !r.head()) return false;
      const major = r.major;
      if (major != Major.UINT && major != Major.NINT && major != Major.TEXT) return r.fail(Code.MALFORMED, Detail.HEADER_LABEL_IS_NEITHER_INTEGER_NOR_TEXT);
      if (!this.keys.addInline(r)) return false;
      const label = r.arg;
      if (major != Major.UINT || label > LABEL_PARTIAL_IV) {
        if (!r.skip(1)) return false;
        continue;
      }
      // A switch on the label (1..6 here): one table jump, where if-chains compare.
      switch (<i32>label) {
        case <i32>LABEL_ALG:
          // RFC 9052 §3.1: alg is integrity-protected; one from the unprotected map is not trusted.
          if (!isProtected) return r.fail(Code.MALFORMED, Detail.ALG_MUST_BE_IN_THE_PROTECTED_HEADER);
          if (r.smallUint() < 0 && !r.head()) return false;
          this.hasAlg = true;
          if (r.major == Major.UINT && r.arg <= 0x7fffffff) this.alg = <i32>r.arg;
          else if (r.major == Major.NINT && r.arg < 0x7fffffff) this.alg = -1 - <i32>r.arg;
          else if (r.major == Major.TEXT || r.major == Major.UINT || r.major == Major.NINT) this.algUnknown = true;
          else return r.fail(Code.MALFORMED, Detail.ALG_IS_NEITHER_INTEGER_NOR_TEXT);
          break;
        case <i32>LABEL_CRIT:
          if (!isProtected) return r.fail(Code.MALFORMED, Detail.CRIT_MUST_BE_IN_THE_PROTECTED_HEADER);
          if (!this.critArray(r)) return false;
          break;
        case <i32>LABEL_KID:
          if (!r.bytes()) return false;
          this.kidPtr = r.ptr;
          this.kidLen = r.len;
          break;
        case <i32>LABEL_IV:
          if (!r.bytes()) return false;
          this.ivPtr = r.ptr;
          this.ivLen = r.len;
          break;
        case <i32>LABEL_PARTIAL_IV:
          // A Partial IV needs a Base IV from the key (RFC 9052 §3.1); keys here have none.
          return r.fail(Code.MALFORMED, Detail.PARTIAL_IV_IS_NOT_SUPPORTED);
        case <i32>LABEL_CONTENT_TYPE:
          if (!r.head()) return false;
          if (r.major == Major.UINT && r.arg <= 65535) this.contentType = <i64>r.arg;
          else if (r.major != Major.TEXT) return r.fail(Code.MALFORMED, Detail.CONTENT_TYPE_IS_NEITHER_UINT_NOR_TEXT);
          break;
        default:
          if (!r.skip(1)) return false;
      }
    }
    return true;
  }

  private critArray(r: CborReader): bool {
    const n = r.array();
    if (n < 0) return false;
    if (n == 0) return r.fail(Code.MALFORMED, Detail.CRIT_MUST_NOT_BE_EMPTY);
    if (n > MAX_CRIT) return r.fail(Code.LIMIT_EXCEEDED, Detail.CRIT_LISTS_TOO_MANY_LABELS);
    for (let i = 0; i < n; i++) {
      if (!r.head()) return false;
      if (r.major == Major.UINT) this.crit[i] = <i64>r.arg;
      else if (r.major == Major.NINT) this.crit[i] = -1 - <i64>r.arg;
      else if (r.major == Major.TEXT) this.crit[i] = i64.MIN_VALUE; // text labels: none understood
      else return r.fail(Code.MALFORMED, Detail.CRIT_LABEL_IS_NEITHER_INTEGER_NOR_TEXT);
    }
    this.critCount = n;
    return true;
  }

  /**
   * RFC 9052 §3.1: a recipient must reject a message whose crit names a
   * header parameter it does not process. ntok processes alg, content type,
   * kid and IV.
   */
  critUnderstood(): bool {
    for (let i = 0; i < this.critCount; i++) {
      const l = this.crit[i];
      if (l != <i64>LABEL_ALG && l != <i64>LABEL_CONTENT_TYPE && l != <i64>LABEL_KID && l != <i64>LABEL_IV) return false;
    }
    return true;
  }
}
