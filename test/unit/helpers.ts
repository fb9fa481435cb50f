/**
 * Shared pieces of the verifier tests: repo files, hex, one key pair per
 * algorithm, configurations, and COSE messages built by hand (for inputs the
 * issuer deliberately cannot produce: no kid, odd headers, crit, other algs).
 */
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { Verifier, type VerifyResult } from '../../src/host/verifier.js';
import { nobleCrypto, fastestCrypto, type CryptoProvider } from '../../src/host/crypto.js';
import {
  encodeCbor,
  keygen,
  mintToken,
  networkTokenHeader,
  wrapInTag,
  type AlgName,
  type CborValue,
  type Jwk,
  type KeyPair,
  type MintOptions,
  type NetworkClaims,
} from '../../src/issuer/index.js';

export { nobleCrypto, fastestCrypto, Verifier };
export type { CryptoProvider, VerifyResult };

/** A file of the repository (tests run from dist/test/unit/). */
export function repoUrl(path: string): URL {
  return new URL(`../../../${path}`, import.meta.url);
}

export function readRepoText(path: string): string {
  return readFileSync(repoUrl(path), 'utf8');
}

export function readRepoJson<T>(path: string): T {
  return JSON.parse(readRepoText(path)) as T;
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
export const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The 4-byte network-token header 0x00000002 (reflect 0, descriptor 2 = CWT). */
export const CWT_HEADER = networkTokenHeader(0, 2);

/** A fixed verification time (2023-11-14). */
export const NOW = 1_700_000_000;

export const ALG_NAMES: readonly AlgName[] = ['HMAC 256/64', 'HMAC 256/256', 'EdDSA', 'ES256', 'AES-CCM-16-64-128', 'A128GCM'];
export const ALG_IDS: Readonly<Record<AlgName, number>> = {
  'HMAC 256/64': 4,
  'HMAC 256/256': 5,
  EdDSA: -8,
  ES256: -7,
  'AES-CCM-16-64-128': 10,
  A128GCM: 1,
};
export const TYPE_OF: Readonly<Record<AlgName, 'mac0' | 'sign1' | 'encrypt0'>> = {
  'HMAC 256/64': 'mac0',
  'HMAC 256/256': 'mac0',
  EdDSA: 'sign1',
  ES256: 'sign1',
  'AES-CCM-16-64-128': 'encrypt0',
  A128GCM: 'encrypt0',
};

/** One key pair per algorithm, made once per process; kid = "k-" + a short alg name. */
export const KEYS: Readonly<Record<AlgName, KeyPair>> = Object.fromEntries(
  ALG_NAMES.map((alg) => [alg, keygen(alg, `k-${alg.replace(/[^A-Za-z0-9]/g, '').toLowerCase()}`)]),
) as Record<AlgName, KeyPair>;

export const PUBLIC_KEYS: Jwk[] = ALG_NAMES.map((a) => KEYS[a].publicJwk);

export type Expect = 'any' | 'mac0' | 'sign1' | 'encrypt0';

/** `{ keysets: { default: { keys, expect } }, ...extra }`. */
export function configWith(keys: Jwk[] = PUBLIC_KEYS, extra: Record<string, unknown> = {}, expect: Expect = 'any'): object {
  return { keysets: { default: { keys, expect } }, ...extra };
}

/** A verifier over every algorithm's public key (fastest provider unless given). */
export async function openVerifier(config: object = configWith(), crypto?: CryptoProvider): Promise<Verifier> {
  return Verifier.open(config, crypto ? { crypto } : {});
}

/** mintToken with the key of `alg` (header and COSE tag on by default). */
export function mint(claims: NetworkClaims, alg: AlgName, opts: Partial<MintOptions> = {}): Uint8Array {
  return mintToken(claims, { key: KEYS[alg].privateJwk, ...opts });
}

/** A plain valid claim set at NOW. */
export const GOOD_CLAIMS: NetworkClaims = {
  iss: 'https://as.example',
  aud: 'gw',
  exp: NOW + 3600,
  nbf: NOW - 10,
  iat: NOW - 10,
  cti: '0b71',
  srv: 1,
  bip: '192.0.2.7',
};

export function b64uToBytes(s: string | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(s ?? '', 'base64url'));
}

export interface RawMessage {
  /** The protected header bstr content (raw bytes, so odd encodings are possible). */
  protectedBytes: Uint8Array;
  unprotected?: CborValue;
  payload: Uint8Array;
  /** COSE tag (17/18); undefined for an untagged message. */
  tag?: number;
}

/** A COSE_Mac0 with HMAC-SHA256 under raw key `k`, tag truncated to `tagLen`. */
export function rawMac0(m: RawMessage, k: Uint8Array, tagLen = 8): Uint8Array {
  const toMac = encodeCbor(['MAC0', m.protectedBytes, new Uint8Array(0), m.payload]);
  const mac = new Uint8Array(createHmac('sha256', k).update(toMac).digest()).subarray(0, tagLen);
  const msg = encodeCbor([m.protectedBytes, m.unprotected ?? new Map(), m.payload, mac]);
  return m.tag === undefined ? msg : wrapInTag(m.tag, msg);
}

/** A COSE_Sign1 with Ed25519 under the 32-byte secret `d`. */
export function rawSign1(m: RawMessage, d: Uint8Array): Uint8Array {
  const toSign = encodeCbor(['Signature1', m.protectedBytes, new Uint8Array(0), m.payload]);
  const sig = ed25519.sign(toSign, d);
  const msg = encodeCbor([m.protectedBytes, m.unprotected ?? new Map(), m.payload, sig]);
  return m.tag === undefined ? msg : wrapInTag(m.tag, msg);
}

/** The HMAC 256/64 key's raw bytes and kid bytes. */
export const HS64_K = b64uToBytes(KEYS['HMAC 256/64'].privateJwk.k);
export const HS64_KID = utf8(KEYS['HMAC 256/64'].privateJwk.kid);

/** A tagged Mac0 (HMAC 256/64, kid in the unprotected header) behind the CWT header. */
export function hs64Token(payload: Uint8Array, protectedMap: CborValue = new Map([[1, 4]]), unprotected: CborValue = new Map([[4, HS64_KID]])): Uint8Array {
  return concat(CWT_HEADER, rawMac0({ protectedBytes: encodeCbor(protectedMap), unprotected, payload, tag: 17 }, HS64_K));
}
