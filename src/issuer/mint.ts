/**
 * Minting: claims → CWT (RFC 8392) in COSE (RFC 9052), optionally nested
 * (RFC 8392 §7.2: Encrypt0 around a tagged Mac0/Sign1), optionally in the
 * CWT tag, behind the 4-byte network-token header.
 */
import { resolveAlg, type CoseType } from './algorithms.js';
import { encodeClaims, type NetworkClaims } from './claims.js';
import { concatBytes } from './bytes.js';
import { coseMessage, CWT_TAG, wrapInTag } from './cose.js';
import { IssuerError } from './errors.js';
import { networkTokenHeader } from './header.js';
import type { Jwk } from './keygen.js';

export { encodeClaims, type NetworkClaims } from './claims.js';
export { networkTokenHeader } from './header.js';

export interface MintOptions {
  /** Private JWK with kid and alg (from keygen). */
  key: Jwk;
  /** Default: the type of the key's algorithm. */
  type?: CoseType;
  /** 28-bit token descriptor id; default 0x2 (CWT). */
  descriptor?: number;
  /** Reflect type; default 0. */
  reflect?: 0 | 1 | 2;
  /** Prepend the 4-byte header; default true. */
  header?: boolean;
  /** COSE tag 16/17/18; default true. */
  coseTag?: boolean;
  /** Wrap in CWT tag 61 (needs the COSE tag, RFC 8392 §6); default false. */
  cwtTag?: boolean;
  /** Default false: the kid goes in the unprotected header. */
  kidInProtected?: boolean;
  /**
   * Nested token (RFC 8392 §7.2): the claims are MACed/signed with `inner`
   * first (always COSE-tagged; its header/cwtTag/descriptor are not used),
   * then that message is encrypted with `key`.
   */
  inner?: MintOptions;
  /** Encrypt0 IV, for reproducible tests; default random (13 bytes CCM, 12 GCM). */
  iv?: Uint8Array;
}

export const DEFAULT_DESCRIPTOR = 0x2;

function optionError(message: string): never {
  throw new IssuerError('ERR_ISSUER_OPTION_INVALID', message);
}

export function mintToken(claims: NetworkClaims, opts: MintOptions): Uint8Array {
  const coseTag = opts.coseTag ?? true;
  if (opts.cwtTag && !coseTag) optionError('cwtTag needs coseTag: the CWT tag wraps a tagged COSE message (RFC 8392 §6)');

  let payload = encodeClaims(claims);
  if (opts.inner) {
    const inner = opts.inner;
    if (inner.inner) optionError('only one level of nesting is supported');
    if ((inner.type ?? resolveAlg(inner.key?.alg).type) === 'encrypt0') optionError('the inner message must be mac0 or sign1');
    if (inner.iv !== undefined) optionError('the inner message takes no iv');
    if (opts.type !== undefined && opts.type !== 'encrypt0') optionError('a nested token is an encrypt0 around the inner message');
    payload = coseMessage(payload, inner.key, {
      type: inner.type,
      coseTag: true,
      kidInProtected: inner.kidInProtected ?? false,
    });
  }

  let message = coseMessage(payload, opts.key, {
    type: opts.inner ? 'encrypt0' : opts.type,
    coseTag,
    kidInProtected: opts.kidInProtected ?? false,
    iv: opts.iv,
  });
  if (opts.cwtTag) message = wrapInTag(CWT_TAG, message);
  if (opts.header === false) return message;
  return concatBytes(networkTokenHeader(opts.reflect ?? 0, opts.descriptor ?? DEFAULT_DESCRIPTOR), message);
}
