// The cryptographic check of one COSE layer: the core builds the structure
// that was MACed, signed or used as AAD (over the received protected bytes,
// external_aad empty) and the host runs the primitive on it.

import { writer } from "../cbor/writer";
import { Major } from "../cbor/reader";
import { Code } from "../result";
import { Detail } from "../detail-text";
import { equalConstantTime } from "../util/bytes";
import { hmacSha256, ed25519Verify, p256Verify, aesCcmDecrypt, aesGcmDecrypt } from "../host";
import { CoseMessage } from "./message";
import { ALG_HMAC_256_64, ALG_EDDSA, ALG_AES_CCM_16_64_128, MessageType } from "./alg";

/** A token is at most 2 KiB, so its structures fit with room to spare. */
const STRUCTURE_CAPACITY: i32 = 4096;
const STRUCTURE: usize = memory.data(STRUCTURE_CAPACITY);
const MAC: usize = memory.data(32);

/** Plaintext buffers, one per nesting level (an Encrypt0 may hold a signed CWT). */
export const MAX_LAYERS: i32 = 3;
export const PLAINTEXT_CAPACITY: i32 = 2048;
const PLAINTEXT: usize = memory.data(PLAINTEXT_CAPACITY * MAX_LAYERS);

/** Context strings, RFC 9052 §4.4, §5.3, §6.3. */
function beginStructure(m: CoseMessage): void {
  writer.reset(STRUCTURE, STRUCTURE_CAPACITY);
  if (m.type == MessageType.MAC0) {
    writer.head(Major.ARRAY, 4);
    writer.asciiString("MAC0");
  } else if (m.type == MessageType.SIGN1) {
    writer.head(Major.ARRAY, 4);
    writer.asciiString("Signature1");
  } else {
    writer.head(Major.ARRAY, 3);
    writer.asciiString("Encrypt0");
  }
  writer.byteString(m.protectedPtr, m.protectedLen);
  writer.byteString(0, 0); // external_aad: none in network tokens
}

export class LayerCheck {
  code: i32 = Code.OK;
  detail: Detail = Detail.NONE;
  /** For Encrypt0: where the plaintext went. */
  plainPtr: usize = 0;
  plainLen: i32 = 0;
}

export const check = new LayerCheck();

function failed(code: i32, detail: Detail): bool {
  check.code = code;
  check.detail = detail;
  return false;
}

/** Runs the layer's MAC / signature / decryption with key handle `key`. */
export function checkLayer(m: CoseMessage, key: i32, layer: i32): bool {
  check.code = Code.OK;
  beginStructure(m);
  if (m.type != MessageType.ENCRYPT0) writer.byteString(m.payloadPtr, m.payloadLen);
  if (writer.overflow) return failed(Code.TOO_LARGE, Detail.COSE_STRUCTURE_EXCEEDS_ITS_BUFFER);
  const sPtr = STRUCTURE;
  const sLen = writer.length;

  if (m.type == MessageType.MAC0) {
    const want = m.alg == ALG_HMAC_256_64 ? 8 : 32; // RFC 9053 §3.1: HMAC 256/64 truncates
    if (hmacSha256(key, sPtr, sLen, MAC) < 0) return failed(Code.HOST_ERROR, Detail.HOST_HMAC_FAILED);
    if (m.tagLen != want || !equalConstantTime(MAC, m.tagPtr, want)) return failed(Code.BAD_MAC, Detail.MAC_DOES_NOT_VERIFY);
    return true;
  }
  if (m.type == MessageType.SIGN1) {
    if (m.tagLen != 64) return failed(Code.BAD_SIGNATURE, Detail.SIGNATURE_IS_NOT_64_BYTES);
    const r = m.alg == ALG_EDDSA
      ? ed25519Verify(key, sPtr, sLen, m.tagPtr, m.tagLen)
      : p256Verify(key, sPtr, sLen, m.tagPtr, m.tagLen);
    if (r < 0) return failed(Code.HOST_ERROR, Detail.HOST_SIGNATURE_CHECK_FAILED);
    if (r != 1) return failed(Code.BAD_SIGNATURE, Detail.SIGNATURE_DOES_NOT_VERIFY);
    return true;
  }
  // Encrypt0. RFC 9053 §4.2: AES-CCM-16-64-128 has a 13-byte nonce, 8-byte tag;
  // §4.1: AES-GCM a 12-byte nonce, 16-byte tag.
  const ccm = m.alg == ALG_AES_CCM_16_64_128;
  const nonceLen = ccm ? 13 : 12;
  const tagLen = ccm ? 8 : 16;
  if (m.ivLen != nonceLen) return failed(Code.MALFORMED, Detail.IV_MISSING_OR_OF_THE_WRONG_LENGTH_FOR_THE_ALGORI);
  if (m.payloadLen < tagLen) return failed(Code.DECRYPT_FAILED, Detail.CIPHERTEXT_SHORTER_THAN_ITS_TAG);
  if (m.payloadLen - tagLen > PLAINTEXT_CAPACITY) return failed(Code.TOO_LARGE, Detail.PLAINTEXT_EXCEEDS_ITS_BUFFER);
  const out = PLAINTEXT + <usize>(layer * PLAINTEXT_CAPACITY);
  const n = ccm
    ? aesCcmDecrypt(key, m.ivPtr, m.ivLen, sPtr, sLen, m.payloadPtr, m.payloadLen, tagLen, out)
    : aesGcmDecrypt(key, m.ivPtr, m.ivLen, sPtr, sLen, m.payloadPtr, m.payloadLen, out);
  if (n == -1) return failed(Code.DECRYPT_FAILED, Detail.DECRYPTION_FAILED);
  if (n < 0 || n != m.payloadLen - tagLen) return failed(Code.HOST_ERROR, Detail.HOST_DECRYPTION_FAILED);
  check.plainPtr = out;
  check.plainLen = n;
  return true;
}
