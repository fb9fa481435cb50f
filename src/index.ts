// ntok's public TypeScript API: the verifier (over ntok.wasm), the crypto
// providers it can use, and the issuer.
export { Verifier, NtokError } from './host/verifier.js';
export type { VerifyResult, VerifyOptions, OpenOptions, TokenClaims } from './host/verifier.js';
export { nobleCrypto, nodeCrypto, fastestCrypto } from './host/crypto.js';
export type { CryptoProvider, KeyRef } from './host/crypto.js';
export { keygen, mintToken, networkTokenHeader, encodeClaims, algByName, algName, IssuerError, mintJose, joseKeygen } from './issuer/index.js';
export type { Jwk, KeyPair, MintOptions, NetworkClaims, JoseClaims, JoseMintOptions } from './issuer/index.js';
export { readCapture, writePcap, writePcapng, LINKTYPE, CaptureError } from './pcap/index.js';
export type { Capture, CapturedPacket } from './pcap/index.js';
