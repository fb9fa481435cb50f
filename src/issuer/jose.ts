/**
 * JOSE compact tokens in the first deployment's format (docs/abi.md, "JOSE
 * tokens"): the claims as JSON in a JWE with alg dir (A128CBC-HS256 in that
 * deployment; A256CBC-HS512, A128GCM, A256GCM too) or a JWS (HS256, ES256,
 * EdDSA), behind the 4-byte network-token header. Encoded by `jose` (npm), as
 * the COSE tokens are by cbor-x, so that the core and a second implementation
 * check each other. `jose` is a devDependency: loaded on first use, so the
 * rest of the issuer runs without it.
 */
import { randomBytes } from 'node:crypto';
import { concatBytes, fromBase64url, toBase64url, utf8 } from './bytes.js';
import { IssuerError } from './errors.js';
import { networkTokenHeader } from './header.js';
import { keygen, type Jwk, type KeyPair } from './keygen.js';

/** JWS algorithms, and the JWE content encryptions a `dir` key names as its alg. */
export type JoseAlg = 'HS256' | 'ES256' | 'EdDSA';
export type JoseEnc = 'A128CBC-HS256' | 'A256CBC-HS512' | 'A128GCM' | 'A256GCM';
export type JoseKeyAlg = JoseAlg | JoseEnc;

/** Symmetric key lengths (RFC 7518 §3.2, §5.2.3, §5.2.5, §5.3). */
const OCT_BYTES: Readonly<Record<string, number>> = {
  HS256: 32,
  'A128CBC-HS256': 32,
  'A256CBC-HS512': 64,
  A128GCM: 16,
  A256GCM: 32,
};

const ENCS: readonly string[] = ['A128CBC-HS256', 'A256CBC-HS512', 'A128GCM', 'A256GCM'];

/** The draft's registry value for JWT payloads. */
export const JOSE_DESCRIPTOR = 0x1;

/** A JWT claims set as the first deployment sent it (docs/abi.md maps each to the CWT claim). */
export interface JoseClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  /** The token id (the core's cti: the UTF-8 bytes of the string). */
  jti?: string;
  /** Network token id: an integer, or a string (its UTF-8 bytes). */
  nti?: number | string;
  srv?: string | number;
  sid?: number;
  /** Bound IP as text, optionally with /prefix. */
  bip?: string;
  [extra: string]: unknown;
}

export interface JoseMintOptions {
  /** JWK with kid and a JOSE alg: HS256, ES256, EdDSA (JWS) or the enc of a dir JWE. */
  key: Jwk;
  /** 28-bit token descriptor id; default 0x1 (JWT). */
  descriptor?: number;
  reflect?: 0 | 1 | 2;
  /** Prepend the 4-byte header; default true. */
  header?: boolean;
  /** Put the key's kid in the header; default true. */
  kid?: boolean;
  /** More protected header members (tests: crit, zip, typ, cty). */
  protectedHeader?: Record<string, unknown>;
}

function keyError(message: string): never {
  throw new IssuerError('ERR_ISSUER_KEY_INVALID', message);
}

/** A key for a JOSE algorithm, as a JWK with kid and alg (ES256 and EdDSA are the COSE keys). */
export function joseKeygen(alg: JoseKeyAlg, kid: string): KeyPair {
  const bytes = OCT_BYTES[alg];
  if (bytes === undefined) return keygen(alg, kid);
  if (typeof kid !== 'string' || kid.length === 0) keyError('keygen needs a non-empty kid');
  const jwk: Jwk = { kty: 'oct', kid, alg, k: toBase64url(new Uint8Array(randomBytes(bytes))) };
  return { privateJwk: jwk, publicJwk: { ...jwk } };
}

/** The compact serialization (ASCII), without the network-token header. */
export async function joseCompact(claims: JoseClaims, opts: JoseMintOptions): Promise<string> {
  let jose: typeof import('jose');
  try {
    jose = await import('jose');
  } catch {
    throw new IssuerError('ERR_ISSUER_OPTION_INVALID', 'minting JOSE tokens needs the jose package (a devDependency of ntok)');
  }
  const { key } = opts;
  const alg = String(key.alg);
  const header: Record<string, unknown> = { ...opts.protectedHeader };
  if (opts.kid ?? true) header.kid = key.kid;
  const payload = utf8(JSON.stringify(claims));
  if (ENCS.includes(alg)) {
    const k = key.kty === 'oct' && key.k !== undefined ? fromBase64url(key.k) : undefined;
    if (!k || k.length !== OCT_BYTES[alg]) keyError(`a ${alg} key is ${OCT_BYTES[alg]} bytes of k`);
    return new jose.CompactEncrypt(payload)
      .setProtectedHeader({ ...header, alg: 'dir', enc: alg } as import('jose').CompactJWEHeaderParameters)
      .encrypt(k);
  }
  let signingKey: Uint8Array | import('jose').CryptoKey;
  if (alg === 'HS256') {
    const k = key.kty === 'oct' && key.k !== undefined ? fromBase64url(key.k) : undefined;
    if (!k || k.length < 32) keyError('an HS256 key is at least 32 bytes of k (RFC 7518 §3.2)');
    signingKey = k;
  } else if (alg === 'ES256' || alg === 'EdDSA') {
    if (key.d === undefined) keyError(`signing with ${alg} needs the private key (d)`);
    signingKey = (await jose.importJWK({ kty: key.kty, crv: key.crv, x: key.x, y: key.y, d: key.d }, alg)) as import('jose').CryptoKey;
  } else {
    throw new IssuerError('ERR_ISSUER_ALG_UNSUPPORTED', `unsupported JOSE algorithm ${JSON.stringify(alg)} (HS256, ES256, EdDSA, or dir: ${ENCS.join(', ')})`);
  }
  return new jose.CompactSign(payload)
    .setProtectedHeader({ ...header, alg } as import('jose').CompactJWSHeaderParameters)
    .sign(signingKey);
}

/** A network token with a JOSE payload: the 4-byte header, then the compact text. */
export async function mintJose(claims: JoseClaims, opts: JoseMintOptions): Promise<Uint8Array> {
  const text = utf8(await joseCompact(claims, opts));
  if (opts.header === false) return text;
  return concatBytes(networkTokenHeader(opts.reflect ?? 0, opts.descriptor ?? JOSE_DESCRIPTOR), text);
}
