/**
 * Key generation for every supported algorithm, as JWKs (RFC 7517/7518,
 * RFC 8037 for OKP) in the shape docs/abi.md configures: `kid` and `alg`
 * (the COSE name) on every key.
 */
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { resolveAlg } from './algorithms.js';
import { toBase64url } from './bytes.js';
import { IssuerError } from './errors.js';

export { algByName, algName, algorithms, resolveAlg } from './algorithms.js';
export type { AlgInfo, AlgName, CoseType } from './algorithms.js';

export interface Jwk {
  kty: string;
  kid: string;
  /** COSE algorithm name (as keygen writes it) or number. */
  alg: string | number;
  k?: string;
  crv?: string;
  x?: string;
  y?: string;
  d?: string;
}

export interface KeyPair {
  privateJwk: Jwk;
  /** Without `d`; for symmetric algorithms the same key as `privateJwk`. */
  publicJwk: Jwk;
}

export function keygen(alg: string | number, kid: string): KeyPair {
  const info = resolveAlg(alg);
  if (typeof kid !== 'string' || kid.length === 0) {
    throw new IssuerError('ERR_ISSUER_KEY_INVALID', 'keygen needs a non-empty kid');
  }
  const head = { kty: info.kty, kid, alg: info.name };
  switch (info.kty) {
    case 'oct': {
      const k = toBase64url(new Uint8Array(randomBytes(info.keyBytes)));
      return { privateJwk: { ...head, k }, publicJwk: { ...head, k } };
    }
    case 'OKP': {
      const { secretKey, publicKey } = ed25519.keygen();
      const pub = { ...head, crv: 'Ed25519', x: toBase64url(publicKey) };
      return { privateJwk: { ...pub, d: toBase64url(secretKey) }, publicJwk: pub };
    }
    case 'EC': {
      const { secretKey } = p256.keygen();
      const point = p256.getPublicKey(secretKey, false); // 04 || x || y
      const pub = { ...head, crv: 'P-256', x: toBase64url(point.subarray(1, 33)), y: toBase64url(point.subarray(33, 65)) };
      return { privateJwk: { ...pub, d: toBase64url(secretKey) }, publicJwk: pub };
    }
  }
}
