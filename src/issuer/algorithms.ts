/**
 * The COSE algorithms ntok supports (RFC 9053 §3.1, §2.1, §2.2, §4.2, §4.1)
 * in one table: name, number, message type, key shape and sizes. The names
 * are the ones docs/abi.md accepts in a JWK's `alg`.
 */
import { IssuerError } from './errors.js';

export type CoseType = 'mac0' | 'sign1' | 'encrypt0';

export type AlgName = 'HMAC 256/64' | 'HMAC 256/256' | 'AES-CCM-16-64-128' | 'A128GCM' | 'EdDSA' | 'ES256';

export interface AlgInfo {
  readonly id: number;
  readonly name: AlgName;
  readonly type: CoseType;
  readonly kty: 'oct' | 'OKP' | 'EC';
  /** Symmetric key length, or private scalar length for OKP/EC. */
  readonly keyBytes: number;
  /** MAC tag (after truncation), AEAD tag, or signature length. */
  readonly tagBytes: number;
  /** AEAD nonce length (RFC 9053 §4.2: L = 16 gives a 13-byte nonce for CCM). */
  readonly nonceBytes?: number;
  readonly crv?: 'Ed25519' | 'P-256';
}

export const algorithms: readonly AlgInfo[] = [
  { id: 4, name: 'HMAC 256/64', type: 'mac0', kty: 'oct', keyBytes: 32, tagBytes: 8 },
  { id: 5, name: 'HMAC 256/256', type: 'mac0', kty: 'oct', keyBytes: 32, tagBytes: 32 },
  { id: 10, name: 'AES-CCM-16-64-128', type: 'encrypt0', kty: 'oct', keyBytes: 16, tagBytes: 8, nonceBytes: 13 },
  { id: 1, name: 'A128GCM', type: 'encrypt0', kty: 'oct', keyBytes: 16, tagBytes: 16, nonceBytes: 12 },
  { id: -8, name: 'EdDSA', type: 'sign1', kty: 'OKP', crv: 'Ed25519', keyBytes: 32, tagBytes: 64 },
  { id: -7, name: 'ES256', type: 'sign1', kty: 'EC', crv: 'P-256', keyBytes: 32, tagBytes: 64 },
];

export const algByName: Readonly<Record<AlgName, number>> = Object.fromEntries(
  algorithms.map((a) => [a.name, a.id]),
) as Record<AlgName, number>;

export const algName: Readonly<Record<number, AlgName>> = Object.fromEntries(
  algorithms.map((a) => [a.id, a.name]),
) as Record<number, AlgName>;

/** Look an algorithm up by COSE number or name. */
export function resolveAlg(alg: string | number): AlgInfo {
  const info = algorithms.find((a) => a.id === alg || a.name === alg);
  if (!info) {
    throw new IssuerError(
      'ERR_ISSUER_ALG_UNSUPPORTED',
      `unsupported algorithm ${JSON.stringify(alg)} (supported: ${algorithms.map((a) => `${a.name} (${a.id})`).join(', ')})`,
    );
  }
  return info;
}
