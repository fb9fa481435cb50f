// The cryptographic check of a JOSE message: a JWS's MAC or signature over
// the ASCII signing input (RFC 7515 §5.2), or a JWE's content decryption
// with alg dir (RFC 7516 §5.2): AES-CBC-HMAC checks its MAC before anything
// is decrypted (RFC 7518 §5.2.2.2), AES-GCM is one AEAD call. The core
// builds what is MACed; the host runs the primitives.

import { CborReader } from "../cbor/reader";
import { Code } from "../result";
import { Detail } from "../detail-text";
import { JoseName } from "../jose-name-text";
import { Key } from "../config";
import { equalConstantTime } from "../util/bytes";
import { hmacSha256, hmacSha512, ed25519Verify, p256Verify, aesGcmDecrypt, aesCbcDecrypt } from "../host";
import { JoseMessage } from "./compact";
import { STRUCTURE, MAC, JOSE_PLAIN } from "../scratch";

/**
 * The decoded parts. A token is at most 2 KiB of text, so AAD ‖ IV ‖
 * ciphertext ‖ AL (or ‖ GCM tag) stays below TAG_AT, and a separate tag or
 * signature, at most 1,536 bytes, fits after it.
 */
const BODY: usize = STRUCTURE; // 4,096 bytes
const TAG_AT: usize = BODY + 2560;
const PLAIN: usize = JOSE_PLAIN; // 2,048 bytes; a JWE's plaintext is shorter than its 2 KiB text

/** HMAC-SHA256 (or -SHA512) of the bytes under `key`, truncated to `want` bytes, is the `tag`. */
function macHolds(key: i32, sha512: bool, ptr: usize, len: i32, tag: usize, tagLen: i32, want: i32, r: CborReader): bool {
  const h = sha512 ? hmacSha512(key, ptr, len, MAC) : hmacSha256(key, ptr, len, MAC);
  if (h < 0) return r.fail(Code.HOST_ERROR, Detail.HOST_HMAC_FAILED);
  if (tagLen != want || !equalConstantTime(MAC, tag, want)) return r.fail(Code.BAD_MAC, Detail.MAC_DOES_NOT_VERIFY);
  return true;
}

/**
 * Decodes the parts of `m` and, with a key, runs its crypto: a JWS only when
 * `verify` (inspect reads a signed payload without checking it), a JWE always
 * (its claims are unreadable otherwise). Leaves the claims JSON at
 * m.plainPtr; false with the failure in `r`.
 */
export function openJose(m: JoseMessage, key: Key | null, verify: bool, r: CborReader): bool {
  if (!m.jwe) {
    const n = m.decode(1, BODY, r);
    const sigLen = m.decode(2, TAG_AT, r);
    if (n < 0 || sigLen < 0) return false;
    m.contentLen = n;
    m.tagLen = sigLen;
    m.plainPtr = BODY;
    m.plainLen = n;
    if (!verify || key == null) return true;
    const input = m.body;
    const inputLen = <i32>(m.partPtr(2) - 1 - input);
    if (m.alg == JoseName.HS256) return macHolds(key.handle, false, input, inputLen, TAG_AT, sigLen, 32, r);
    // RFC 7518 §3.4, RFC 8037 §3.1: ES256 is r ‖ s, Ed25519 R ‖ S, 64 bytes either way.
    if (sigLen != 64) return r.fail(Code.BAD_SIGNATURE, Detail.SIGNATURE_IS_NOT_64_BYTES);
    const valid = m.alg == JoseName.EDDSA
      ? ed25519Verify(key.handle, input, inputLen, TAG_AT, 64)
      : p256Verify(key.handle, input, inputLen, TAG_AT, 64);
    if (valid < 0) return r.fail(Code.HOST_ERROR, Detail.HOST_SIGNATURE_CHECK_FAILED);
    if (valid != 1) return r.fail(Code.BAD_SIGNATURE, Detail.SIGNATURE_DOES_NOT_VERIFY);
    return true;
  }

  // RFC 7516 §5.2 step 14: the AAD is the ASCII of the encoded protected header.
  const aadLen = m.partLen(0);
  memory.copy(BODY, m.body, aadLen);
  const iv = BODY + <usize>aadLen;
  const ivLen = m.decode(2, iv, r);
  if (ivLen < 0) return false;
  const ct = iv + <usize>ivLen;
  const ctLen = m.decode(3, ct, r);
  if (ctLen < 0) return false;
  const gcm = m.alg >= JoseName.A128GCM;
  const tag = gcm ? ct + <usize>ctLen : TAG_AT;
  const tagLen = m.decode(4, tag, r);
  if (tagLen < 0) return false;
  m.ivPtr = iv;
  m.ivLen = ivLen;
  m.contentLen = ctLen;
  m.tagLen = tagLen;
  if (key == null) return true;
  if (ivLen != (gcm ? 12 : 16)) return r.fail(Code.MALFORMED, Detail.IV_MISSING_OR_OF_THE_WRONG_LENGTH_FOR_THE_ALGORI);
  m.plainPtr = PLAIN;

  if (gcm) {
    // RFC 7518 §5.3: a 96-bit IV and a 128-bit tag.
    if (tagLen != 16) return r.fail(Code.DECRYPT_FAILED, Detail.DECRYPTION_FAILED);
    const n = aesGcmDecrypt(key.handle, iv, 12, BODY, aadLen, ct, ctLen + 16, PLAIN);
    if (n == -1) return r.fail(Code.DECRYPT_FAILED, Detail.DECRYPTION_FAILED);
    if (n != ctLen) return r.fail(Code.HOST_ERROR, Detail.HOST_DECRYPTION_FAILED);
    m.plainLen = n;
    return true;
  }

  // RFC 7518 §5.2.2.2: the MAC covers AAD ‖ IV ‖ ciphertext ‖ AL, AL being the
  // AAD's length in bits as a 64-bit big-endian number; the tag is its first half.
  const al = ct + <usize>ctLen;
  store<u32>(al, 0); // a token's AAD has fewer than 2^29 bytes
  store<u32>(al, bswap<u32>(<u32>aadLen << 3), 4);
  const hs512 = m.alg == JoseName.A256CBC_HS512;
  if (!macHolds(key.mac, hs512, BODY, <i32>(al + 8 - BODY), tag, tagLen, hs512 ? 32 : 16, r)) return false;
  if (ctLen == 0 || (ctLen & 15) != 0) return r.fail(Code.DECRYPT_FAILED, Detail.BAD_PKCS7_PADDING);
  const n = aesCbcDecrypt(key.handle, iv, ct, ctLen, PLAIN);
  if (n != ctLen) return r.fail(Code.HOST_ERROR, Detail.HOST_DECRYPTION_FAILED);
  // PKCS #7 (RFC 5652 §6.3): 1 to 16 bytes, each holding their count. The MAC
  // already held, so this is the issuer's mistake, not an oracle.
  const pad = <i32>load<u8>(PLAIN + <usize>n - 1);
  let bad = pad == 0 || pad > 16;
  for (let i = 2; i <= pad && !bad; i++) bad = <i32>load<u8>(PLAIN + <usize>(n - i)) != pad;
  if (bad) return r.fail(Code.DECRYPT_FAILED, Detail.BAD_PKCS7_PADDING);
  m.plainLen = n - pad;
  return true;
}
