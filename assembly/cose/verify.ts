// The cryptographic check of one COSE layer: the core builds the structure
// that was MACed, signed or used as AAD (over the received protected bytes,
// external_aad empty) and the host runs the primitive on it.

import { writeByteString } from "../cbor/writer";
import { Code } from "../result";
import { Detail } from "../detail-text";
import { equalConstantTime } from "../util/bytes";
import { hmacSha256, ed25519Verify, p256Verify, aesCcmDecrypt, aesGcmDecrypt } from "../host";
import { CoseMessage } from "./message";
import { ALG_HMAC_256_64, ALG_EDDSA, ALG_AES_CCM_16_64_128, MessageType } from "./alg";

import { STRUCTURE, STRUCTURE_CAPACITY, MAC, PLAINTEXT, PLAINTEXT_CAPACITY } from "../scratch";
export { MAX_LAYERS, PLAINTEXT_CAPACITY } from "../scratch";

// The structures' opening bytes, RFC 9052 §4.4, §5.3, §6.3: the array head
// and the context string as CBOR text, written as bytes (no per-character loop).
const MAC0_OPENING = memory.data<u8>([0x84, 0x64, 0x4d, 0x41, 0x43, 0x30]); // [4 items, "MAC0"
const SIGNATURE1_OPENING = memory.data<u8>([0x84, 0x6a, 0x53, 0x69, 0x67, 0x6e, 0x61, 0x74, 0x75, 0x72, 0x65, 0x31]); // [4, "Signature1"
const ENCRYPT0_OPENING = memory.data<u8>([0x83, 0x68, 0x45, 0x6e, 0x63, 0x72, 0x79, 0x70, 0x74, 0x30]); // [3, "Encrypt0"

/**
 * Writes the structure the layer's MAC, signature or AAD covers into
 * STRUCTURE: [context, protected, external_aad (empty in network tokens),
 * payload (not for Encrypt0)]. Returns its length, -1 when it does not fit.
 */
function buildStructure(m: CoseMessage): i32 {
  let opening = ENCRYPT0_OPENING, openingLen = 10;
  if (m.type == MessageType.MAC0) { opening = MAC0_OPENING; openingLen = 6; }
  else if (m.type == MessageType.SIGN1) { opening = SIGNATURE1_OPENING; openingLen = 12; }
  const withPayload = m.type != MessageType.ENCRYPT0;
  // A bound, not the exact size: a head takes at most 5 bytes below 2^32.
  const size = openingLen + 5 + m.protectedLen + 1 + (withPayload ? 5 + m.payloadLen : 0);
  if (size > STRUCTURE_CAPACITY) return -1;
  memory.copy(STRUCTURE, opening, openingLen);
  let at = writeByteString(STRUCTURE + <usize>openingLen, m.protectedPtr, m.protectedLen);
  store<u8>(at++, 0x40); // external_aad: h''
  if (withPayload) at = writeByteString(at, m.payloadPtr, m.payloadLen);
  return <i32>(at - STRUCTURE);
}

// Unmanaged: one instance for the module's life, nothing for the collector to follow.
@unmanaged
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
  const sPtr = STRUCTURE;
  const sLen = buildStructure(m);
  if (sLen < 0) return failed(Code.TOO_LARGE, Detail.COSE_STRUCTURE_EXCEEDS_ITS_BUFFER);

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
