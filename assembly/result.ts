import { RESULT_CODE_COUNT, RESULT_TEXT, RESULT_OFFSETS } from "./result-text";
import { expandToString } from "./util/unpack";

// The one result-code enum of ntok. Numbers and names are stable: hosts, the
// CLI and tests match on them. docs/abi.md carries the same table (a test
// keeps the two equal). New codes are appended, never renumbered.

export const enum Code {
  OK = 0,
  MALFORMED = 1,
  TOO_LARGE = 2,
  BAD_HEADER = 3,
  UNSUPPORTED_ALG = 4,
  UNKNOWN_KID = 5,
  ALG_MISMATCH = 6,
  BAD_MAC = 7,
  BAD_SIGNATURE = 8,
  DECRYPT_FAILED = 9,
  EXPIRED = 10,
  NOT_YET_VALID = 11,
  ISSUED_IN_FUTURE = 12,
  REVOKED = 13,
  WRONG_ISSUER = 14,
  WRONG_AUDIENCE = 15,
  MISSING_CLAIM = 16,
  BAD_CLAIM = 17,
  NOT_CWT = 18,
  UNKNOWN_DESCRIPTOR = 19,
  UNSUPPORTED_FORMAT = 20,
  UNKNOWN_CRITICAL = 21,
  LIMIT_EXCEEDED = 22,
  UNEXPECTED_TYPE = 23,
  BAD_CONFIG = 24,
  HOST_ERROR = 25,
  // The packet path (process()).
  BAD_PACKET = 26,
  NO_TOKEN = 27,
  WRONG_BINDING = 28,
  RATE_LIMITED = 29,
  UNKNOWN_SERVICE = 30,
  WASHED = 31,
  NOT_ALLOWED = 32,
  TAG_TOO_LARGE = 33,
}

// The names and meanings live in assembly/result-codes.json (one entry per
// code, in this order), packed as UTF-8 into result-text.ts at build time.
export const CODE_COUNT: i32 = RESULT_CODE_COUNT;

@inline function textStart(i: i32): i32 {
  return <i32>load<u16>(RESULT_OFFSETS + (<usize>i << 1));
}

/** Where code's name (or, with message true, its meaning) starts; 0 for an unknown code. */
export function codeTextPtr(code: i32, message: bool = false): usize {
  if (code < 0 || code >= CODE_COUNT) return 0;
  return RESULT_TEXT + <usize>textStart((code << 1) + (message ? 1 : 0));
}

/** Its length in bytes (a name: printable ASCII, JSON as it is; a meaning: packed, util/unpack.ts); 0 for an unknown code. */
export function codeTextLength(code: i32, message: bool = false): i32 {
  if (code < 0 || code >= CODE_COUNT) return 0;
  const i = (code << 1) + (message ? 1 : 0);
  return textStart(i + 1) - textStart(i);
}

/** The stable name as a string (specs, configuration messages); "" for an unknown code. */
export function codeName(code: i32): string {
  return String.UTF8.decodeUnsafe(codeTextPtr(code), codeTextLength(code));
}

/** The meaning as a string; packed in byte pairs (util/unpack.ts). */
export function codeMessage(code: i32): string {
  return expandToString(codeTextPtr(code, true), codeTextLength(code, true));
}
