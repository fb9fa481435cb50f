/**
 * COSE_Mac0, COSE_Sign1 and COSE_Encrypt0 (RFC 9052 §6.2, §4.2, §5.2)
 * around a payload, with one key from a JWK. Protected header {1: alg}
 * (plus {4: kid} on request), unprotected {4: kid} and, for Encrypt0,
 * {5: IV}; all CBOR deterministic.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { resolveAlg, type AlgInfo, type CoseType } from './algorithms.js';
import { concatBytes, equalBytes, fromBase64url, utf8 } from './bytes.js';
import { cborHead, encodeCbor, Major, type CborValue } from './cbor.js';
import { IssuerError } from './errors.js';
import type { Jwk } from './keygen.js';

/** COSE message tags (RFC 9052 §2) and the CWT tag (RFC 8392 §6). */
export const coseTags = { encrypt0: 16, mac0: 17, sign1: 18 } as const;
export const CWT_TAG = 61;

/** COSE header labels (RFC 9052 §3.1). */
const ALG = 1;
const KID = 4;
const IV = 5;

export interface CoseOptions {
  /** Wanted message type; must match the key's algorithm. Default: the algorithm's. */
  type?: CoseType;
  /** Prefix the COSE tag (16/17/18). */
  coseTag: boolean;
  /** Put the kid in the protected header instead of the unprotected one. */
  kidInProtected: boolean;
  /** Encrypt0 only: the IV (13 bytes for CCM, 12 for GCM); default random. */
  iv?: Uint8Array;
}

interface SigningKey {
  alg: AlgInfo;
  kid: Uint8Array;
  /** `k` for symmetric algorithms, `d` for EdDSA / ES256. */
  secret: Uint8Array;
}

function keyError(jwk: Jwk, why: string): never {
  throw new IssuerError('ERR_ISSUER_KEY_INVALID', `key ${JSON.stringify(jwk?.kid)}: ${why}`);
}

function member(jwk: Jwk, name: 'k' | 'd' | 'x' | 'y', length?: number): Uint8Array {
  const text = jwk[name];
  if (typeof text !== 'string') keyError(jwk, `has no "${name}"`);
  const bytes = fromBase64url(text);
  if (!bytes) keyError(jwk, `"${name}" is not base64url`);
  if (length !== undefined && bytes.length !== length) {
    keyError(jwk, `"${name}" must be ${length} bytes, not ${bytes.length}`);
  }
  return bytes;
}

/** Read a private JWK and check it is whole and self-consistent before any use. */
export function importSigningKey(jwk: Jwk): SigningKey {
  if (typeof jwk !== 'object' || jwk === null) keyError(jwk, 'is not a JWK object');
  if (typeof jwk.kid !== 'string' || jwk.kid.length === 0) keyError(jwk, 'needs a kid');
  const alg = resolveAlg(jwk.alg);
  if (jwk.kty !== alg.kty) keyError(jwk, `kty must be "${alg.kty}" for ${alg.name}`);
  if (alg.crv !== undefined && jwk.crv !== alg.crv) keyError(jwk, `crv must be "${alg.crv}" for ${alg.name}`);
  const kid = utf8(jwk.kid);
  if (alg.kty === 'oct') return { alg, kid, secret: member(jwk, 'k', alg.keyBytes) };
  const d = member(jwk, 'd', alg.keyBytes);
  let expected: Uint8Array;
  let given: Uint8Array;
  if (alg.kty === 'OKP') {
    expected = ed25519.getPublicKey(d);
    given = member(jwk, 'x', 32);
  } else {
    if (!p256.utils.isValidSecretKey(d)) keyError(jwk, '"d" is not a P-256 scalar');
    expected = p256.getPublicKey(d, false).subarray(1);
    given = concatBytes(member(jwk, 'x', 32), member(jwk, 'y', 32));
  }
  if (!equalBytes(expected, given)) keyError(jwk, 'public part does not match "d"');
  return { alg, kid, secret: d };
}

/** Prefix an already encoded item with a CBOR tag (RFC 8949 §3.4). */
export function wrapInTag(tag: number, encoded: Uint8Array): Uint8Array {
  return concatBytes(cborHead(Major.Tag, tag), encoded);
}

/** Build one COSE message around `payload` with `jwk`. */
export function coseMessage(payload: Uint8Array, jwk: Jwk, opts: CoseOptions): Uint8Array {
  const key = importSigningKey(jwk);
  const type = opts.type ?? key.alg.type;
  if (type !== key.alg.type) {
    throw new IssuerError(
      'ERR_ISSUER_OPTION_INVALID',
      `a ${type} message needs a ${type} algorithm; key ${JSON.stringify(jwk.kid)} is ${key.alg.name}`,
    );
  }
  if (opts.iv !== undefined && type !== 'encrypt0') {
    throw new IssuerError('ERR_ISSUER_OPTION_INVALID', 'iv is only used by encrypt0');
  }

  const protectedMap = new Map<CborValue, CborValue>([[ALG, key.alg.id]]);
  const unprotected = new Map<CborValue, CborValue>();
  (opts.kidInProtected ? protectedMap : unprotected).set(KID, key.kid);
  // RFC 9052 §3: the protected header travels as a bstr of its encoding.
  const protectedBstr = encodeCbor(protectedMap);
  const externalAad = new Uint8Array(0);

  let items: CborValue[];
  switch (type) {
    case 'mac0': {
      const toMac = encodeCbor(['MAC0', protectedBstr, externalAad, payload]); // RFC 9052 §6.3
      const tag = hmac(sha256, key.secret, toMac).subarray(0, key.alg.tagBytes); // RFC 9053 §3.1
      items = [protectedBstr, unprotected, payload, tag];
      break;
    }
    case 'sign1': {
      const toSign = encodeCbor(['Signature1', protectedBstr, externalAad, payload]); // RFC 9052 §4.4
      // RFC 9053 §2.1: ES256 signs SHA-256(ToBeSigned), r || s; noble prehashes by default.
      const signature = key.alg.kty === 'OKP' ? ed25519.sign(toSign, key.secret) : p256.sign(toSign, key.secret);
      items = [protectedBstr, unprotected, payload, signature];
      break;
    }
    case 'encrypt0': {
      const nonceBytes = key.alg.nonceBytes!;
      const iv = opts.iv ?? new Uint8Array(randomBytes(nonceBytes));
      if (iv.length !== nonceBytes) {
        throw new IssuerError('ERR_ISSUER_OPTION_INVALID', `${key.alg.name} needs a ${nonceBytes}-byte iv, not ${iv.length}`);
      }
      unprotected.set(IV, iv);
      const aad = encodeCbor(['Encrypt0', protectedBstr, externalAad]); // RFC 9052 §5.3
      items = [protectedBstr, unprotected, encrypt(key, iv, aad, payload)];
      break;
    }
  }
  const message = encodeCbor(items);
  return opts.coseTag ? wrapInTag(coseTags[type], message) : message;
}

/** AES-CCM (RFC 9053 §4.2) or AES-GCM (§4.1): ciphertext || tag. */
function encrypt(key: SigningKey, iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const cipher =
    key.alg.id === 10
      ? createCipheriv('aes-128-ccm', key.secret, iv, { authTagLength: key.alg.tagBytes })
      : createCipheriv('aes-128-gcm', key.secret, iv, { authTagLength: key.alg.tagBytes });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  const body = concatBytes(cipher.update(plaintext), cipher.final());
  return concatBytes(body, cipher.getAuthTag());
}
