// COSE algorithms ntok accepts (RFC 9053 numbers) and what each one is.

export const ALG_A128GCM: i32 = 1;
/** JOSE only (JWE enc A256GCM); COSE Encrypt0 stays A128GCM (RFC 9053 §4.1 numbers). */
export const ALG_A256GCM: i32 = 3;
export const ALG_HMAC_256_64: i32 = 4;
export const ALG_HMAC_256_256: i32 = 5;
export const ALG_AES_CCM_16_64_128: i32 = 10;
export const ALG_ES256: i32 = -7;
export const ALG_EDDSA: i32 = -8;

// Host keys of the halves of a JOSE AES-CBC-HMAC key (RFC 7518 §5.2.2.1: the
// MAC key is the first half, the AES key the second): HMAC-SHA512 (COSE
// HMAC 512/512) for A256CBC-HS512's MAC key (A128CBC-HS256's is HMAC 256/256),
// and AES-CBC without integrity (RFC 9459) for the AES keys.
export const ALG_HMAC_512_512: i32 = 7;
export const ALG_A128CBC: i32 = -65531;
export const ALG_A256CBC: i32 = -65529;
// JOSE's composite AES-CBC-HMAC algorithms have no COSE number: ntok's own,
// from the private-use range (below -65536), for keys bound to them.
export const ALG_A128CBC_HS256: i32 = -65537;
export const ALG_A256CBC_HS512: i32 = -65538;

export const enum MessageType { NONE = 0, ENCRYPT0 = 16, MAC0 = 17, SIGN1 = 18 }

/** The COSE message type an algorithm belongs to; NONE when unsupported. */
export function messageTypeOf(alg: i32): MessageType {
  if (alg == ALG_HMAC_256_64 || alg == ALG_HMAC_256_256) return MessageType.MAC0;
  if (alg == ALG_EDDSA || alg == ALG_ES256) return MessageType.SIGN1;
  if (alg == ALG_AES_CCM_16_64_128 || alg == ALG_A128GCM) return MessageType.ENCRYPT0;
  return MessageType.NONE;
}

/** Resolves a JWK `alg` given as a COSE name; 0 when unknown (0 is reserved in COSE). */
export function algFromName(name: string): i32 {
  if (name == "HMAC 256/64") return ALG_HMAC_256_64;
  if (name == "HMAC 256/256") return ALG_HMAC_256_256;
  if (name == "EdDSA") return ALG_EDDSA;
  if (name == "ES256") return ALG_ES256;
  if (name == "AES-CCM-16-64-128") return ALG_AES_CCM_16_64_128;
  if (name == "A128GCM") return ALG_A128GCM;
  return 0;
}

export function messageTypeName(t: MessageType): string {
  if (t == MessageType.MAC0) return "mac0";
  if (t == MessageType.SIGN1) return "sign1";
  if (t == MessageType.ENCRYPT0) return "encrypt0";
  return "any";
}
