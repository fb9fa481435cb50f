// Benchmark fixtures: one token per algorithm, minted by the issuer with the
// same claims, and the exact bytes the core hands the host for it (the
// MAC_structure, Sig_structure, or Enc_structure AAD with nonce and
// ciphertext), rebuilt independently of the core and checked against both the
// token and what the core really passes to the crypto provider.
import { createHmac } from 'node:crypto';
import { gcm } from '@noble/ciphers/aes.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { Decoder, Tag } from 'cbor-x';
import { ccmDecrypt } from '../src/host/ccm.js';
import type { CryptoProvider, KeyRef } from '../src/host/crypto.js';
import { nobleCrypto } from '../src/host/crypto.js';
import { Verifier } from '../src/host/verifier.js';
import { encodeCbor, encodeClaims, keygen, mintToken, type AlgName, type Jwk, type NetworkClaims } from '../src/issuer/index.js';

export const CLAIMS: NetworkClaims = {
  iss: 'https://as.example.net',
  exp: 4102444800, // 2100-01-01T00:00:00Z
  cti: 'a1b2c3d4e5f60718', // 8 bytes
  srv: 1,
  bip: '192.0.2.7',
};

/** The same claims as the JSON of a JWT (the reference deployment's JWE payload). */
export const CLAIMS_JSON = JSON.stringify({
  iss: CLAIMS.iss,
  exp: CLAIMS.exp,
  cti: CLAIMS.cti,
  srv: CLAIMS.srv,
  bip: CLAIMS.bip,
});

export type Kind = 'mac0' | 'sign1' | 'encrypt0';

export interface Fixture {
  /** Display name, e.g. "Mac0 HMAC 256/64". */
  name: string;
  alg: AlgName;
  algId: number;
  kind: Kind;
  kid: string;
  privateJwk: Jwk;
  publicJwk: Jwk;
  /** Raw key as docs/abi.md key_import takes it (k; x; 04 ‖ x ‖ y). */
  rawKey: Uint8Array;
  /** 4-byte header ‖ COSE message. */
  token: Uint8Array;
  /** The COSE message without the header (what cose-js reads). */
  bare: Uint8Array;
  /** Mac0: MAC_structure; Sign1: Sig_structure; Encrypt0: Enc_structure (the AAD). */
  structure: Uint8Array;
  /** Mac0: the truncated tag; Sign1: the signature. */
  tagOrSig?: Uint8Array;
  /** Encrypt0 only. */
  iv?: Uint8Array;
  /** Encrypt0 only: ciphertext ‖ tag. */
  ciphertext?: Uint8Array;
  tagLen?: number;
  /** The CBOR claims set (MAC'ed / signed payload, or decrypted plaintext). */
  payload: Uint8Array;
  /** Full 32-byte HMAC (Mac0 only): what the host returns to the core. */
  fullHmac?: Uint8Array;
}

const SPECS: { name: string; alg: AlgName; kid: string; ivLen?: number }[] = [
  { name: 'Mac0 HMAC 256/64', alg: 'HMAC 256/64', kid: '1' },
  { name: 'Mac0 HMAC 256/256', alg: 'HMAC 256/256', kid: '2' },
  { name: 'Sign1 EdDSA (Ed25519)', alg: 'EdDSA', kid: '3' },
  { name: 'Sign1 ES256 (P-256)', alg: 'ES256', kid: '4' },
  { name: 'Encrypt0 AES-CCM-16-64-128', alg: 'AES-CCM-16-64-128', kid: '5', ivLen: 13 },
  { name: 'Encrypt0 A128GCM', alg: 'A128GCM', kid: '6', ivLen: 12 },
];

const b64 = (s: string | undefined) => new Uint8Array(Buffer.from(s!, 'base64url'));
const plain = (b: Uint8Array) => new Uint8Array(b); // Buffer / view → own Uint8Array
const EMPTY = new Uint8Array(0);

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function assert(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`benchmark self-check failed: ${what}`);
}

/** Raw key as docs/abi.md key_import takes it. */
export function rawKeyOf(jwk: Jwk): Uint8Array {
  if (jwk.kty === 'oct') return b64(jwk.k);
  if (jwk.kty === 'OKP') return b64(jwk.x);
  const out = new Uint8Array(65);
  out[0] = 4;
  out.set(b64(jwk.x), 1);
  out.set(b64(jwk.y), 33);
  return out;
}

/**
 * What the tag or signature of a tagged Mac0 or Sign1 message (no network
 * token header) covers, rebuilt from the message's own fields with the
 * issuer's encoder: the bytes the core hands the host's HMAC or verify.
 */
export function signedStructure(bare: Uint8Array): { algId: number; structure: Uint8Array; tagOrSig: Uint8Array; payload: Uint8Array } {
  const decoder = new Decoder({ mapsAsObjects: false });
  const decoded = decoder.decode(bare) as Tag;
  assert(decoded instanceof Tag && (decoded.tag === 17 || decoded.tag === 18), 'a tagged Mac0 or Sign1 message');
  const [prot, , payload, tagOrSig] = (decoded.value as Uint8Array[]).map(plain);
  const algId = (decoder.decode(prot) as Map<number, number>).get(1)!;
  // RFC 9052 §6.3: MAC_structure = ["MAC0", protected, external_aad, payload];
  // §4.4: Sig_structure = ["Signature1", protected, external_aad, payload].
  const structure = encodeCbor([decoded.tag === 17 ? 'MAC0' : 'Signature1', prot, EMPTY, payload]);
  return { algId, structure, tagOrSig, payload };
}

export function makeFixtures(): Fixture[] {
  const decoder = new Decoder({ mapsAsObjects: false });
  const claimsCbor = encodeClaims(CLAIMS);
  return SPECS.map((spec) => {
    const { privateJwk, publicJwk } = keygen(spec.alg, spec.kid);
    const iv = spec.ivLen ? Uint8Array.from({ length: spec.ivLen }, (_, i) => 0x10 + i) : undefined;
    const token = mintToken(CLAIMS, { key: privateJwk, iv });
    const bare = token.subarray(4);
    const rawKey = rawKeyOf(publicJwk);
    const decoded = decoder.decode(bare) as Tag;
    assert(decoded instanceof Tag, `${spec.name}: tagged COSE message`);
    const [prot, unprot] = decoded.value as [Uint8Array, Map<number, Uint8Array>];
    const protBstr = plain(prot);
    const algId = (decoder.decode(protBstr) as Map<number, number>).get(1)!;
    const base = { name: spec.name, alg: spec.alg, algId, kid: spec.kid, privateJwk, publicJwk, rawKey, token, bare };

    if (decoded.tag === 17) {
      const { structure, tagOrSig: tag, payload } = signedStructure(bare);
      const fullHmac = plain(createHmac('sha256', rawKey).update(structure).digest());
      assert(equal(fullHmac.subarray(0, tag.length), tag), `${spec.name}: raw HMAC over the rebuilt MAC_structure equals the token's tag`);
      assert(equal(payload, claimsCbor), `${spec.name}: payload is the claims`);
      return { ...base, kind: 'mac0' as const, structure, tagOrSig: tag, payload, fullHmac };
    }
    if (decoded.tag === 18) {
      const { structure, tagOrSig: sig, payload } = signedStructure(bare);
      const ok =
        algId === -8
          ? ed25519.verify(sig, structure, rawKey, { zip215: false })
          : p256.verify(sig, structure, rawKey, { lowS: false });
      assert(ok, `${spec.name}: raw signature check over the rebuilt Sig_structure`);
      return { ...base, kind: 'sign1' as const, structure, tagOrSig: sig, payload };
    }
    assert(decoded.tag === 16, `${spec.name}: Encrypt0 tag`);
    const ciphertext = plain((decoded.value as Uint8Array[])[2]);
    const nonce = plain(unprot.get(5)!);
    assert(iv && equal(nonce, iv), `${spec.name}: IV in the unprotected header`);
    // RFC 9052 §5.3: Enc_structure = ["Encrypt0", protected, external_aad]
    const structure = encodeCbor(['Encrypt0', protBstr, EMPTY]);
    const key = rawKey;
    const tagLen = algId === 10 ? 8 : 16;
    const pt = algId === 10 ? ccmDecrypt(key, nonce, structure, ciphertext, tagLen) : gcm(key, nonce, structure).decrypt(ciphertext);
    assert(pt && equal(pt, claimsCbor), `${spec.name}: raw decrypt with the rebuilt Enc_structure gives the claims`);
    return { ...base, kind: 'encrypt0' as const, structure, iv: nonce, ciphertext, tagLen, payload: pt };
  });
}

/** docs/abi.md configuration with every fixture's public key in one key set. */
export function verifierConfig(fixtures: Fixture[]): object {
  return {
    descriptors: [{ id: 2, format: 'cwt', keyset: 'default' }],
    keysets: { default: { expect: 'any', keys: fixtures.map((f) => f.publicJwk) } },
  };
}

/**
 * A provider that answers every primitive from the fixtures without computing
 * anything: with it, Verifier.verify times the core and the glue alone, on the
 * same path as a real verification (same result JSON).
 */
export function stubCrypto(fixtures: Fixture[]): CryptoProvider {
  const byAlg = new Map(fixtures.map((f) => [f.algId, f]));
  const fx = (key: KeyRef) => byAlg.get(key as number)!;
  return {
    name: 'stub',
    importKey: (alg) => {
      if (!byAlg.has(alg)) throw new Error('no fixture');
      return alg;
    },
    sha256: (data) => nobleCrypto.sha256(data),
    hmacSha256: (key) => fx(key).fullHmac!,
    ed25519Verify: () => true,
    p256Verify: () => true,
    aesCcmDecrypt: (key) => fx(key).payload,
    aesGcmDecrypt: (key) => fx(key).payload,
    // No fixture is JOSE (the bench's JWE row times jose itself).
    hmacSha512: () => { throw new Error('no JOSE fixture'); },
    aesCbcDecrypt: () => { throw new Error('no JOSE fixture'); },
  };
}

interface Recorded {
  msg?: Uint8Array;
  sig?: Uint8Array;
  nonce?: Uint8Array;
  aad?: Uint8Array;
  ct?: Uint8Array;
}

/**
 * Verifies every fixture once through the shim with a recording wrapper around
 * nobleCrypto and checks that the core handed the host exactly the bytes the
 * raw-primitive rows time.
 */
export async function checkHostBytes(fixtures: Fixture[], wasm?: Uint8Array): Promise<void> {
  let last: Recorded = {};
  const copy = (b: Uint8Array) => new Uint8Array(b);
  const rec: CryptoProvider = {
    ...nobleCrypto,
    name: 'recording',
    hmacSha256: (k, data) => ((last = { msg: copy(data) }), nobleCrypto.hmacSha256(k, data)),
    ed25519Verify: (k, msg, sig) => ((last = { msg: copy(msg), sig: copy(sig) }), nobleCrypto.ed25519Verify(k, msg, sig)),
    p256Verify: (k, msg, sig) => ((last = { msg: copy(msg), sig: copy(sig) }), nobleCrypto.p256Verify(k, msg, sig)),
    aesCcmDecrypt: (k, nonce, aad, ct, tagLen) => (
      (last = { nonce: copy(nonce), aad: copy(aad), ct: copy(ct) }), nobleCrypto.aesCcmDecrypt(k, nonce, aad, ct, tagLen)
    ),
    aesGcmDecrypt: (k, nonce, aad, ct) => (
      (last = { nonce: copy(nonce), aad: copy(aad), ct: copy(ct) }), nobleCrypto.aesGcmDecrypt(k, nonce, aad, ct)
    ),
  };
  const v = await Verifier.open(verifierConfig(fixtures), { crypto: rec, wasm });
  for (const f of fixtures) {
    last = {};
    const r = v.verify(f.token);
    assert(r.ok && r.alg === f.algId && r.kid === f.kid, `${f.name}: shim verifies the token (${JSON.stringify(r)})`);
    if (f.kind === 'encrypt0') {
      assert(last.aad && equal(last.aad, f.structure), `${f.name}: core's AAD equals the rebuilt Enc_structure`);
      assert(last.nonce && equal(last.nonce, f.iv!), `${f.name}: core's nonce`);
      assert(last.ct && equal(last.ct, f.ciphertext!), `${f.name}: core's ciphertext`);
    } else {
      assert(last.msg && equal(last.msg, f.structure), `${f.name}: core's message equals the rebuilt ${f.kind === 'mac0' ? 'MAC' : 'Sig'}_structure`);
      if (f.kind === 'sign1') assert(last.sig && equal(last.sig, f.tagOrSig!), `${f.name}: core's signature`);
    }
  }
}
