// Claim validation against policy (RFC 8392 §7.2 step 9-ish, RFC 7519 §4.1):
// time claims with leeway, required claims, issuer / audience, revocation.
// Runs only on claims whose MAC, signature or decryption checked out.

import { Claims, Claim, claimName } from "./claims";
import { Config } from "./config";
import { CborReader, Major } from "./cbor/reader";
import { Code } from "./result";
import { Detail } from "./detail-text";
import { decimal } from "./util/encoding";
import { leftGarbage } from "./util/garbage";
import { HEX_DIGITS } from "./util/digits";

/**
 * Unmanaged: one instance for the module's life, and its one reference,
 * detailArg, is a literal or a claim name (claims.ts NAMES): nothing for the
 * collector to follow.
 */
@unmanaged
export class Verdict {
  code: i32 = Code.OK;
  detail: Detail = Detail.NONE;
  detailArg: string = "";
}

export const verdict = new Verdict();

function reject(code: i32, detail: Detail, arg: string = ""): i32 {
  verdict.code = code;
  verdict.detail = detail;
  verdict.detailArg = arg;
  return code;
}


/**
 * The revocation list's key for a byte-string nti/cti (config.ts): "b" and
 * the bytes in lowercase hex, written into one string. An id can be close to
 * 2 KiB: built by concatenation it left megabytes of garbage per token, which
 * a board's memory ceiling cannot hold.
 */
function byteIdKey(ptr: usize, len: i32): string {
  leftGarbage();
  const s = changetype<string>(__new(<usize>(1 + 2 * len) << 1, idof<string>()));
  const at = changetype<usize>(s);
  store<u16>(at, 0x62); // "b"
  for (let i = 0; i < len; i++) {
    const b = <i32>load<u8>(ptr + i);
    store<u16>(at + 2 + (<usize>i << 2), load<u8>(HEX_DIGITS + <usize>(b >> 4)));
    store<u16>(at + 4 + (<usize>i << 2), load<u8>(HEX_DIGITS + <usize>(b & 15)));
  }
  return s;
}

/** A token id as the revoked set holds it: "u<decimal>" for an integer, "b<hex>" for bytes. */
function ntiKey(c: Claims): string {
  leftGarbage();
  return c.ntiIsBytes ? byteIdKey(c.ntiPtr, c.ntiLen) : "u" + decimal(c.nti);
}

function ctiKey(c: Claims): string {
  return byteIdKey(c.ctiPtr, c.ctiLen);
}

/** The id a flow remembers its token by (nti, else cti), "" for none. */
export function tokenIdKey(c: Claims): string {
  return c.has(Claim.NTI) ? ntiKey(c) : c.has(Claim.CTI) ? ctiKey(c) : "";
}

function isRevoked(c: Claims, cfg: Config): bool {
  if (cfg.revoked.size == 0) return false;
  if (c.has(Claim.NTI) && cfg.revoked.has(ntiKey(c))) return true;
  return c.has(Claim.CTI) && cfg.revoked.has(ctiKey(c));
}

function textIn(ptr: usize, len: i32, list: string[]): bool {
  leftGarbage();
  const s = String.UTF8.decodeUnsafe(ptr, len);
  return list.includes(s);
}

function audienceAccepted(c: Claims, cfg: Config, r: CborReader): bool {
  r.reset(c.audPtr, c.audLen);
  if (r.peekMajor() != Major.ARRAY) {
    r.head();
    return textIn(r.ptr, r.len, cfg.audiences);
  }
  const n = r.array();
  for (let i = 0; i < n; i++) {
    r.head();
    if (textIn(r.ptr, r.len, cfg.audiences)) return true;
  }
  return false;
}

/**
 * Returns Code.OK or the first rejection. The order is fixed so that every
 * host reports the same code: required claims, revocation, exp, nbf, iat,
 * issuer, audience.
 */
export function validateClaims(c: Claims, cfg: Config, now: f64, required: u32, r: CborReader): i32 {
  verdict.code = Code.OK;
  verdict.detail = Detail.NONE;
  verdict.detailArg = "";
  const missing = required & ~c.present;
  if (missing != 0) return reject(Code.MISSING_CLAIM, Detail.REQUIRED_CLAIM_IS_ABSENT, claimName(missing & (~missing + 1)));
  if (isRevoked(c, cfg)) return reject(Code.REVOKED, Detail.TOKEN_ID_IS_REVOKED);
  const leeway = cfg.leeway;
  // RFC 8392 §3.1.4: not to be accepted on or after exp.
  if (c.has(Claim.EXP) && now >= c.exp.value + leeway) return reject(Code.EXPIRED, Detail.TOKEN_EXPIRED);
  if (c.has(Claim.NBF) && now < c.nbf.value - leeway) return reject(Code.NOT_YET_VALID, Detail.TOKEN_NOT_VALID_YET);
  if (c.has(Claim.IAT) && c.iat.value > now + leeway) return reject(Code.ISSUED_IN_FUTURE, Detail.TOKEN_ISSUED_IN_THE_FUTURE);
  if (cfg.issuers.length > 0 && (!c.has(Claim.ISS) || !textIn(c.issPtr, c.issLen, cfg.issuers))) {
    return reject(Code.WRONG_ISSUER, Detail.ISSUER_NOT_ACCEPTED);
  }
  if (cfg.audiences.length > 0 && (!c.has(Claim.AUD) || !audienceAccepted(c, cfg, r))) {
    return reject(Code.WRONG_AUDIENCE, Detail.AUDIENCE_NOT_ACCEPTED);
  }
  return Code.OK;
}
