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

export const CODE_COUNT: i32 = 34;

// [name, meaning]; index = code.
const TABLE: string[] = [
  "ok", "the token is authentic and its claims are acceptable",
  "malformed", "the bytes are not a well-formed token (CBOR, COSE or header structure)",
  "too-large", "the token is larger than the 2 KiB limit",
  "bad-header", "the network-token header is reserved or invalid",
  "unsupported-alg", "the algorithm is not one ntok supports",
  "unknown-kid", "no key in the key set matches the token's kid",
  "alg-mismatch", "the token names another algorithm than its key is bound to",
  "bad-mac", "the MAC does not verify",
  "bad-signature", "the signature does not verify",
  "decrypt-failed", "decryption failed (wrong key or altered ciphertext)",
  "expired", "the token has expired (exp + leeway is in the past)",
  "not-yet-valid", "the token is not valid yet (nbf - leeway is in the future)",
  "issued-in-future", "the token's iat is further in the future than the leeway",
  "revoked", "the token's nti or cti is on the revocation list",
  "wrong-issuer", "the issuer is not an accepted one",
  "wrong-audience", "the audience is not an accepted one",
  "missing-claim", "a claim the policy requires is absent",
  "bad-claim", "a claim has the wrong type or value",
  "not-cwt", "the message is authentic but its payload is not a CWT claims set",
  "unknown-descriptor", "no configuration for the header's token descriptor id",
  "unsupported-format", "the descriptor's payload format is not supported",
  "unknown-critical", "a header parameter listed in crit is not understood",
  "limit-exceeded", "nesting depth or item count above the parser's limits",
  "unexpected-type", "the COSE message type is not the one the key set expects",
  "bad-config", "the configuration is invalid",
  "host-error", "a host crypto primitive failed or refused a key",
  "bad-packet", "the packet could not be parsed; passed untouched",
  "no-token", "the packet carries no token",
  "wrong-binding", "the token is bound to another address",
  "rate-limited", "over the verification rate; passed unmarked",
  "unknown-service", "the token's service is not configured",
  "washed", "premium DSCP without a valid token, cleared",
  "not-allowed", "the device needs a valid token for an allowed service",
  "tag-too-large", "the token would exceed the MTU; sent untagged",
];

export function codeName(code: i32): string {
  if (code < 0 || code >= CODE_COUNT) return "";
  return TABLE[code << 1];
}

export function codeMessage(code: i32): string {
  if (code < 0 || code >= CODE_COUNT) return "";
  return TABLE[(code << 1) + 1];
}
