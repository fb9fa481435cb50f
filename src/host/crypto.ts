// Crypto primitives behind the `env` imports of docs/abi.md. Three providers
// share one interface: portable @noble/* code, node:crypto (OpenSSL), and a mix
// of the two that takes the faster library per primitive.
import { cbc, gcm } from '@noble/ciphers/aes.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { CcmKey, ccmDecrypt } from './ccm.js';

/** Opaque, provider-specific prepared key; only the provider that made it accepts it. */
export type KeyRef = unknown;

export interface CryptoProvider {
  readonly name: string;
  /**
   * Prepares raw key bytes for COSE algorithm `alg` (the raw forms of
   * docs/abi.md `key_import`); throws on an unsupported alg or bad key.
   */
  importKey(alg: number, raw: Uint8Array): KeyRef;
  sha256(data: Uint8Array): Uint8Array;
  /** HMAC-SHA256 (RFC 2104), 32 bytes; COSE algs 4 and 5 truncate it. */
  hmacSha256(key: KeyRef, data: Uint8Array): Uint8Array;
  /** HMAC-SHA512, 64 bytes (the MAC half of a JOSE A256CBC-HS512 key). */
  hmacSha512(key: KeyRef, data: Uint8Array): Uint8Array;
  /** Strict RFC 8032 §5.1.7 verification; false for any malformed signature. */
  ed25519Verify(key: KeyRef, msg: Uint8Array, sig: Uint8Array): boolean;
  /** ECDSA P-256 with SHA-256 over msg, sig = r ‖ s (RFC 9053 §2.1); high-S accepted. */
  p256Verify(key: KeyRef, msg: Uint8Array, sig: Uint8Array): boolean;
  /** Plaintext, or null when the tag does not match; throws on a bad nonce or tag length. */
  aesCcmDecrypt(key: KeyRef, nonce: Uint8Array, aad: Uint8Array, ctWithTag: Uint8Array, tagLen: number): Uint8Array | null;
  /** 16-byte tag at the end; plaintext or null; throws on a nonce that is not 12 bytes. */
  aesGcmDecrypt(key: KeyRef, nonce: Uint8Array, aad: Uint8Array, ctWithTag: Uint8Array): Uint8Array | null;
  /**
   * Raw AES-CBC decryption (no padding removed: the core checks PKCS#7 after
   * its MAC check); throws on an IV that is not 16 bytes or a ciphertext that
   * is not whole blocks.
   */
  aesCbcDecrypt(key: KeyRef, iv: Uint8Array, ct: Uint8Array): Uint8Array;
}

type Primitive = 'hmac' | 'hmac512' | 'ccm' | 'gcm' | 'cbc' | 'ed25519' | 'p256';

/**
 * RFC 8032 §5.1.7 lets a verifier accept a signature whose R is a small-order
 * point (a key holder can sign with R = identity); OpenSSL and noble do,
 * libsodium (the C host) does not. Every provider refuses it, so that both
 * hosts give the same verdict; honest signatures never have such an R.
 */
function smallOrderR(sig: Uint8Array): boolean {
  if (sig.length !== 64) return false; // the verifier rejects the length itself
  // As libsodium does: compare R's encoding, sign bit masked, with the
  // small-order encodings (decoding R would cost a square root per signature).
  for (const e of smallOrderEncodings()) {
    let diff = (sig[31] ^ e[31]) & 0x7f;
    for (let i = 0; i < 31; i++) diff |= sig[i] ^ e[i];
    if (diff === 0) return true;
  }
  return false;
}

let smallOrder: Uint8Array[] | undefined;

/**
 * The encodings of the 8 points of small order, made by noble from a point
 * of order 8 (the one libsodium's blocklist also lists), which noble checks
 * before use; plus y = 0 and y = 1 written non-canonically as y + p.
 */
export function smallOrderEncodings(): Uint8Array[] {
  if (smallOrder) return smallOrder;
  const list: Uint8Array[] = [];
  const Q = ed25519.Point.fromBytes(hexToBytes('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'), false);
  if (!Q.isSmallOrder() || Q.equals(ed25519.Point.ZERO)) throw new Error('not a point of small order');
  for (let P = Q, i = 0; i < 8; i++, P = P.add(Q)) list.push(P.toBytes());
  for (const low of [0xed, 0xee]) {
    const e = new Uint8Array(32).fill(0xff);
    e[0] = low;
    e[31] = 0x7f;
    list.push(e);
  }
  return (smallOrder = list);
}

/** The primitive a COSE algorithm (IANA "COSE Algorithms" registry) uses. */
function primitiveOf(alg: number): Primitive {
  switch (alg) {
    case 4: // HMAC 256/64
    case 5: // HMAC 256/256
      return 'hmac';
    case 7: // HMAC 512/512 (the MAC half of JOSE A256CBC-HS512)
      return 'hmac512';
    case -65531: // A128CBC (RFC 9459; the AES half of JOSE A128CBC-HS256)
    case -65530: // A192CBC
    case -65529: // A256CBC (the AES half of A256CBC-HS512)
      return 'cbc';
    case 10: // AES-CCM-16-64-128
      return 'ccm';
    case 1: // A128GCM
    case 2: // A192GCM
    case 3: // A256GCM
      return 'gcm';
    case -8: // EdDSA
      return 'ed25519';
    case -7: // ES256
      return 'p256';
    default:
      throw new Error(`unsupported COSE algorithm ${alg}`);
  }
}

/**
 * Checks raw key bytes the same way for every provider, so that a key one
 * provider takes is never refused by another.
 */
function checkKey(alg: number, raw: Uint8Array): Primitive {
  const primitive = primitiveOf(alg);
  const size = (want: number) => {
    if (raw.length !== want) throw new Error(`COSE alg ${alg} key must be ${want} bytes, got ${raw.length}`);
  };
  switch (primitive) {
    case 'hmac':
    case 'hmac512':
      if (raw.length === 0) throw new Error(`COSE alg ${alg} key must not be empty`);
      break;
    case 'cbc':
      size(16 + 8 * (alg + 65531)); // A128CBC, A192CBC, A256CBC: 16, 24, 32 bytes
      break;
    case 'ccm':
      size(16);
      break;
    case 'gcm':
      size(8 + 8 * alg); // A128GCM, A192GCM, A256GCM: 16, 24, 32 bytes
      break;
    case 'ed25519': {
      size(32);
      // RFC 8032 §5.1.3 decoding (y < p, no ZIP-215 leniency). Small-order keys are
      // refused: anyone can forge signatures under them, and noble and OpenSSL would
      // disagree about such forgeries.
      let point;
      try {
        point = ed25519.Point.fromBytes(raw, false);
      } catch {
        throw new Error('Ed25519 key is not a valid point encoding');
      }
      if (point.isSmallOrder()) throw new Error('Ed25519 key is a small-order point');
      break;
    }
    case 'p256':
      size(65);
      // docs/abi.md: the uncompressed form 04 ‖ x ‖ y (SEC 1 §2.3.3), on the curve.
      if (raw[0] !== 0x04) throw new Error('ES256 key must be an uncompressed point (04 ‖ x ‖ y)');
      try {
        p256.Point.fromBytes(raw);
      } catch {
        throw new Error('ES256 key is not a point on P-256');
      }
      break;
  }
  return primitive;
}

/** A key prepared by one provider for one primitive. */
class Prepared {
  constructor(
    readonly provider: string,
    readonly primitive: Primitive,
    readonly material: unknown,
  ) {}
}

/** The material of `key`; throws (the ABI's bad handle) for another provider's or primitive's key. */
function material<T>(key: KeyRef, provider: string, primitive: Primitive): T {
  if (!(key instanceof Prepared) || key.provider !== provider || key.primitive !== primitive) {
    throw new TypeError(`not a ${provider} ${primitive} key`);
  }
  return key.material as T;
}

function checkCbc(iv: Uint8Array, ct: Uint8Array): void {
  if (iv.length !== 16) throw new Error(`AES-CBC IV must be 16 bytes, got ${iv.length}`);
  if (ct.length === 0 || ct.length % 16 !== 0) throw new Error(`AES-CBC ciphertext must be whole blocks, got ${ct.length} bytes`);
}

/** OpenSSL cipher names of AES-CBC by key length. */
const CBC_CIPHERS: Record<number, string> = { 16: 'aes-128-cbc', 24: 'aes-192-cbc', 32: 'aes-256-cbc' };

// COSE AES-GCM takes a 96-bit nonce only (RFC 9053 §4.1).
function checkGcmNonce(nonce: Uint8Array): void {
  if (nonce.length !== 12) throw new Error(`AES-GCM nonce must be 12 bytes, got ${nonce.length}`);
}

const GCM_TAG = 16;

/** OpenSSL cipher names of COSE algs 1, 2 and 3. */
const GCM_CIPHERS = ['aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm'] as const;

type NobleHmacKey = { keyed: ReturnType<typeof hmac.create>; scratch: ReturnType<typeof hmac.create> };

/** Portable provider: @noble/* and ./ccm.js only. */
export const nobleCrypto: CryptoProvider = {
  name: 'noble',

  importKey(alg, raw) {
    const primitive = checkKey(alg, raw);
    // Copy (raw may be a view of wasm memory) and do the per-key work once.
    const bytes = raw.slice();
    switch (primitive) {
      case 'hmac': {
        // The keyed inner and outer hash states (RFC 2104 §2) are computed once and
        // copied into a reused scratch instance per call: noble's _cloneInto(scratch)
        // takes about 4 µs for 80 bytes where clone() takes 6 and hmac() 9.
        const keyed = hmac.create(sha256, bytes);
        return new Prepared('noble', primitive, { keyed, scratch: keyed.clone() });
      }
      case 'hmac512': {
        const keyed = hmac.create(sha512, bytes);
        return new Prepared('noble', primitive, { keyed, scratch: keyed.clone() });
      }
      case 'ccm':
        return new Prepared('noble', primitive, new CcmKey(bytes));
      default:
        // noble's ed25519/p256 verify, gcm and cbc take key bytes only.
        return new Prepared('noble', primitive, bytes);
    }
  },

  sha256(data) {
    return sha256(data);
  },

  hmacSha256(key, data) {
    const { keyed, scratch } = material<NobleHmacKey>(key, 'noble', 'hmac');
    // Calls are synchronous, so one scratch instance per key is never shared.
    return keyed._cloneInto(scratch).update(data).digest();
  },

  hmacSha512(key, data) {
    const { keyed, scratch } = material<NobleHmacKey>(key, 'noble', 'hmac512');
    return keyed._cloneInto(scratch).update(data).digest();
  },

  ed25519Verify(key, msg, sig) {
    const pub = material<Uint8Array>(key, 'noble', 'ed25519');
    try {
      // zip215: false is RFC 8032 strict; noble's default is ZIP-215.
      return !smallOrderR(sig) && ed25519.verify(sig, msg, pub, { zip215: false });
    } catch {
      return false; // wrong-length signature
    }
  },

  p256Verify(key, msg, sig) {
    const pub = material<Uint8Array>(key, 'noble', 'p256');
    try {
      // noble rejects high-S by default, but COSE does not require low-S (RFC 9053 §2.1).
      // prehash: noble hashes msg with SHA-256 itself.
      return p256.verify(sig, msg, pub, { lowS: false, prehash: true, format: 'compact' });
    } catch {
      return false; // wrong-length signature
    }
  },

  aesCcmDecrypt(key, nonce, aad, ctWithTag, tagLen) {
    return ccmDecrypt(material<CcmKey>(key, 'noble', 'ccm'), nonce, aad, ctWithTag, tagLen);
  },

  aesGcmDecrypt(key, nonce, aad, ctWithTag) {
    const k = material<Uint8Array>(key, 'noble', 'gcm');
    checkGcmNonce(nonce);
    if (ctWithTag.length < GCM_TAG) return null;
    try {
      return gcm(k, nonce, aad).decrypt(ctWithTag);
    } catch {
      return null; // tag mismatch
    }
  },

  aesCbcDecrypt(key, iv, ct) {
    const k = material<Uint8Array>(key, 'noble', 'cbc');
    checkCbc(iv, ct);
    return cbc(k, iv, { disablePadding: true }).decrypt(ct);
  },
};

/** node:crypto (OpenSSL) for every primitive; rejects where node:crypto cannot be imported. */
export async function nodeCrypto(): Promise<CryptoProvider> {
  const c = await import('node:crypto');
  type KeyObject = import('node:crypto').KeyObject;
  type NodeGcmKey = { key: KeyObject; cipher: (typeof GCM_CIPHERS)[number] };
  const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  // Node returns Buffers; hand out plain Uint8Array views of the same memory.
  const bytes = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length);

  return {
    name: 'node',

    importKey(alg, raw) {
      const primitive = checkKey(alg, raw);
      switch (primitive) {
        case 'hmac':
        case 'hmac512':
        case 'ccm':
        case 'cbc':
          // createSecretKey copies the bytes.
          return new Prepared('node', primitive, c.createSecretKey(raw));
        case 'gcm':
          return new Prepared('node', primitive, { key: c.createSecretKey(raw), cipher: GCM_CIPHERS[alg - 1] });
        case 'ed25519':
          return new Prepared(
            'node',
            primitive,
            c.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(raw) }, format: 'jwk' }),
          );
        case 'p256': {
          const key = c.createPublicKey({
            key: { kty: 'EC', crv: 'P-256', x: b64url(raw.subarray(1, 33)), y: b64url(raw.subarray(33)) },
            format: 'jwk',
          });
          // COSE signatures are r ‖ s, which node calls ieee-p1363 (its default is DER).
          return new Prepared('node', primitive, { key, dsaEncoding: 'ieee-p1363' as const });
        }
      }
    },

    sha256(data) {
      return bytes(c.hash('sha256', data, 'buffer'));
    },

    hmacSha256(key, data) {
      return bytes(c.createHmac('sha256', material<KeyObject>(key, 'node', 'hmac')).update(data).digest());
    },

    hmacSha512(key, data) {
      return bytes(c.createHmac('sha512', material<KeyObject>(key, 'node', 'hmac512')).update(data).digest());
    },

    ed25519Verify(key, msg, sig) {
      const pub = material<KeyObject>(key, 'node', 'ed25519');
      try {
        return !smallOrderR(sig) && c.verify(null, msg, pub, sig);
      } catch {
        return false;
      }
    },

    p256Verify(key, msg, sig) {
      const pub = material<{ key: KeyObject; dsaEncoding: 'ieee-p1363' }>(key, 'node', 'p256');
      try {
        return c.verify('sha256', msg, pub, sig);
      } catch {
        return false;
      }
    },

    aesCcmDecrypt(key, nonce, aad, ctWithTag, tagLen) {
      const k = material<KeyObject>(key, 'node', 'ccm');
      // Bad nonce or tag lengths throw here, outside the try: they are parameter errors.
      const d = c.createDecipheriv('aes-128-ccm', k, nonce, { authTagLength: tagLen });
      const ctLen = ctWithTag.length - tagLen;
      if (ctLen < 0) return null;
      // CCM needs l(m) before it can read the AAD (RFC 3610 §2.2 B_0).
      d.setAAD(aad, { plaintextLength: ctLen });
      try {
        d.setAuthTag(ctWithTag.subarray(ctLen));
        const pt = d.update(ctWithTag.subarray(0, ctLen));
        d.final();
        return bytes(pt);
      } catch {
        return null;
      }
    },

    aesGcmDecrypt(key, nonce, aad, ctWithTag) {
      const k = material<NodeGcmKey>(key, 'node', 'gcm');
      checkGcmNonce(nonce);
      if (ctWithTag.length < GCM_TAG) return null;
      const d = c.createDecipheriv(k.cipher, k.key, nonce, { authTagLength: GCM_TAG });
      d.setAAD(aad);
      try {
        d.setAuthTag(ctWithTag.subarray(ctWithTag.length - GCM_TAG));
        // GCM is a stream mode: update() returns all of the plaintext, final() checks the tag.
        const pt = d.update(ctWithTag.subarray(0, ctWithTag.length - GCM_TAG));
        d.final();
        return bytes(pt);
      } catch {
        return null;
      }
    },

    aesCbcDecrypt(key, iv, ct) {
      const k = material<KeyObject>(key, 'node', 'cbc');
      checkCbc(iv, ct);
      const d = c.createDecipheriv(CBC_CIPHERS[k.symmetricKeySize!], k, iv).setAutoPadding(false);
      return bytes(Buffer.concat([d.update(ct), d.final()]));
    },
  };
}

/**
 * Per primitive the faster of nobleCrypto and nodeCrypto, or nobleCrypto alone
 * where node:crypto cannot be imported.
 */
export async function fastestCrypto(): Promise<CryptoProvider> {
  let node: CryptoProvider;
  try {
    node = await nodeCrypto();
  } catch {
    return nobleCrypto;
  }
  // Measured on Node 20.20, x86-64 (2-core AMD EPYC VM, noisy), µs per operation,
  // medians of interleaved rounds, range over four runs, noble vs node:
  //   SHA-256 of 80 bytes                    3.1-4.9 vs 1.4-1.9
  //   HMAC-SHA256 of 80 bytes                4.2-6.1 vs 3.6-4.3
  //   Ed25519 verify                       1900-2500 vs 150-180
  //   P-256 verify                         3400-4700 vs 95-115
  //   AES-CCM decrypt, 40 B + 8 B tag        2.8-4.2 vs 3.9-6.6 (noble ahead up to
  //     ~80 B; node stays near 6 at any size while noble grows: 10 at 200 B, 48 at 1 KB)
  //   AES-GCM decrypt of 40 bytes              24-37 vs 5-7
  // node:crypto wins everywhere but tiny CCM messages, where the gain would be
  // 2 µs at most, so CCM goes to node too for its flat cost.
  // Ed25519 then differs from nobleCrypto on crafted signatures only: OpenSSL checks
  // [S]B = R + [k]A', noble the cofactored [8][S]B = [8]R + [8][k]A'; RFC 8032
  // §5.1.7 allows either, and honest signatures pass both.
  const pick: Record<Primitive | 'sha256', CryptoProvider> = {
    sha256: node,
    hmac: node,
    hmac512: node,
    cbc: node,
    ed25519: node,
    p256: node,
    ccm: node,
    gcm: node,
  };
  return {
    name: 'fastest',
    importKey: (alg, raw) => pick[primitiveOf(alg)].importKey(alg, raw),
    sha256: (data) => pick.sha256.sha256(data),
    hmacSha256: (key, data) => pick.hmac.hmacSha256(key, data),
    hmacSha512: (key, data) => pick.hmac512.hmacSha512(key, data),
    ed25519Verify: (key, msg, sig) => pick.ed25519.ed25519Verify(key, msg, sig),
    p256Verify: (key, msg, sig) => pick.p256.p256Verify(key, msg, sig),
    aesCcmDecrypt: (key, nonce, aad, ct, tagLen) => pick.ccm.aesCcmDecrypt(key, nonce, aad, ct, tagLen),
    aesGcmDecrypt: (key, nonce, aad, ct) => pick.gcm.aesGcmDecrypt(key, nonce, aad, ct),
    aesCbcDecrypt: (key, iv, ct) => pick.cbc.aesCbcDecrypt(key, iv, ct),
  };
}
