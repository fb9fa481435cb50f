/** The ntok issuer: key generation and token minting. */
export { algByName, algName, algorithms, resolveAlg } from './algorithms.js';
export type { AlgInfo, AlgName, CoseType } from './algorithms.js';
export { keygen } from './keygen.js';
export type { Jwk, KeyPair } from './keygen.js';
export { encodeClaims, claimsMap, registeredClaimKeys } from './claims.js';
export type { NetworkClaims } from './claims.js';
export { mintToken, DEFAULT_DESCRIPTOR } from './mint.js';
export type { MintOptions } from './mint.js';
export { networkTokenHeader, MAX_DESCRIPTOR } from './header.js';
export { coseMessage, coseTags, CWT_TAG, wrapInTag } from './cose.js';
export type { CoseOptions } from './cose.js';
export { encodeCbor, cborHead, compareBytes, Major, Tag } from './cbor.js';
export type { CborValue } from './cbor.js';
export { parseIpBinding } from './ip.js';
export type { IpBinding } from './ip.js';
export { IssuerError } from './errors.js';
export type { IssuerErrorCode } from './errors.js';
