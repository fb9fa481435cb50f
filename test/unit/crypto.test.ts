import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createCipheriv,
  generateKeyPairSync,
  randomBytes,
  sign,
  type CipherGCMTypes,
} from 'node:crypto';
import { fastestCrypto, nobleCrypto, nodeCrypto, type CryptoProvider } from '../../src/host/crypto.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const utf8 = (s: string) => new TextEncoder().encode(s);
const random = (n: number) => new Uint8Array(randomBytes(n));

// COSE algorithm numbers (RFC 9053).
const HMAC_256_256 = 5;
const AES_CCM_16_64_128 = 10;
const A128GCM = 1;
const EDDSA = -8;
const ES256 = -7;

// Host keys of the halves of JOSE AES-CBC-HMAC keys (docs/abi.md, key_import).
const HMAC_512_512 = 7;
const A128CBC = -65531;
const A256CBC = -65529;

// NIST SP 800-38A, F.2.2 CBC-AES128.Decrypt and F.2.6 CBC-AES256.Decrypt.
const CBC_IV = '000102030405060708090a0b0c0d0e0f';
const CBC_PT = '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710';
const CBC_TESTS = [
  { alg: A128CBC, key: '2b7e151628aed2a6abf7158809cf4f3c', ct: '7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7' },
  { alg: A256CBC, key: '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4', ct: 'f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b' },
];

// RFC 8032 §7.1, TEST 1 and TEST 2.
const ED25519_TESTS = [
  {
    pub: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    pub: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];

// Order of the P-256 group (SEC 2 §2.4.2).
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** An ES256 key pair from node:crypto: the raw 04 ‖ x ‖ y public key and an r ‖ s signer. */
function es256KeyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const raw = new Uint8Array(65);
  raw[0] = 0x04;
  raw.set(Buffer.from(jwk.x!, 'base64url'), 1);
  raw.set(Buffer.from(jwk.y!, 'base64url'), 33);
  const signP1363 = (msg: Uint8Array) => new Uint8Array(sign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
  const signDer = (msg: Uint8Array) => new Uint8Array(sign('sha256', msg, privateKey));
  return { raw, signP1363, signDer };
}

/** The other valid signature (r, n - s) of an ECDSA signature r ‖ s. */
function otherS(sig: Uint8Array): { sig: Uint8Array; highS: boolean } {
  const s = BigInt('0x' + Buffer.from(sig.subarray(32)).toString('hex'));
  const twin = P256_N - s;
  const out = sig.slice();
  out.set(hex(twin.toString(16).padStart(64, '0')), 32);
  return { sig: out, highS: twin > P256_N / 2n };
}

function gcmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array {
  const c = createCipheriv(`aes-${key.length * 8}-gcm` as CipherGCMTypes, key, nonce);
  c.setAAD(aad);
  return new Uint8Array(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
}

function ccmSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array, tagLen: number): Uint8Array {
  const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: tagLen });
  c.setAAD(aad, { plaintextLength: pt.length });
  return new Uint8Array(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
}

/** A copy of `b` at an odd byte offset, as a view of wasm memory may be. */
function unaligned(b: Uint8Array): Uint8Array {
  const buf = new Uint8Array(b.length + 1);
  buf.set(b, 1);
  return buf.subarray(1);
}

const providers: CryptoProvider[] = [nobleCrypto, await nodeCrypto(), await fastestCrypto()];

test('names the providers noble, node and fastest', () => {
  assert.deepEqual(
    providers.map((p) => p.name),
    ['noble', 'node', 'fastest'],
  );
});

for (const p of providers) {
  test(`${p.name}: hashes "abc" to the SHA-256 value of FIPS 180-2 appendix B.1`, () => {
    assert.deepEqual(p.sha256(utf8('abc')), hex('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'));
  });

  test(`${p.name}: computes the HMAC-SHA256 values of RFC 4231 test cases 1 and 2`, () => {
    const k1 = p.importKey(HMAC_256_256, new Uint8Array(20).fill(0x0b));
    const tc1 = hex('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
    assert.deepEqual(p.hmacSha256(k1, utf8('Hi There')), tc1);
    // A second call with the same key must not see state left by the first.
    assert.deepEqual(p.hmacSha256(k1, utf8('Hi There')), tc1);
    const k2 = p.importKey(HMAC_256_256, utf8('Jefe'));
    assert.deepEqual(
      p.hmacSha256(k2, utf8('what do ya want for nothing?')),
      hex('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'),
    );
  });

  test(`${p.name}: computes the HMAC-SHA512 values of RFC 4231 test cases 1 and 2 (key alg 7)`, () => {
    const k1 = p.importKey(HMAC_512_512, new Uint8Array(20).fill(0x0b));
    const tc1 = hex('87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854');
    assert.deepEqual(p.hmacSha512(k1, utf8('Hi There')), tc1);
    assert.deepEqual(p.hmacSha512(k1, utf8('Hi There')), tc1);
    assert.deepEqual(
      p.hmacSha512(p.importKey(HMAC_512_512, utf8('Jefe')), utf8('what do ya want for nothing?')),
      hex('164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737'),
    );
  });

  test(`${p.name}: decrypts the AES-CBC vectors of NIST SP 800-38A F.2.2 and F.2.6, padding left in place`, () => {
    for (const t of CBC_TESTS) {
      const key = p.importKey(t.alg, hex(t.key));
      assert.deepEqual(p.aesCbcDecrypt(key, hex(CBC_IV), hex(t.ct)), hex(CBC_PT));
      // One block alone: CBC needs no more (a JWE of 15 bytes or less).
      assert.deepEqual(p.aesCbcDecrypt(key, hex(CBC_IV), hex(t.ct.slice(0, 32))), hex(CBC_PT.slice(0, 32)));
    }
  });

  test(`${p.name}: throws for an AES-CBC IV that is not 16 bytes or a ciphertext that is not whole blocks`, () => {
    const key = p.importKey(A128CBC, hex(CBC_TESTS[0].key));
    assert.throws(() => p.aesCbcDecrypt(key, new Uint8Array(12), hex(CBC_TESTS[0].ct)));
    assert.throws(() => p.aesCbcDecrypt(key, hex(CBC_IV), hex(CBC_TESTS[0].ct).subarray(0, 17)));
    assert.throws(() => p.aesCbcDecrypt(key, hex(CBC_IV), new Uint8Array(0)));
    assert.throws(() => p.importKey(A128CBC, new Uint8Array(32)));
    assert.throws(() => p.importKey(A256CBC, new Uint8Array(16)));
    assert.throws(() => p.hmacSha512(key, utf8('x')), 'an AES-CBC key is no HMAC key');
  });

  test(`${p.name}: keeps its own copy of the raw key bytes`, () => {
    const raw = new Uint8Array(20).fill(0x0b);
    const key = p.importKey(HMAC_256_256, raw);
    raw.fill(0); // as when wasm memory is reused after key_import
    assert.deepEqual(
      p.hmacSha256(key, utf8('Hi There')),
      hex('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'),
    );
  });

  test(`${p.name}: verifies the Ed25519 signatures of RFC 8032 tests 1 and 2`, () => {
    for (const t of ED25519_TESTS) {
      assert.equal(p.ed25519Verify(p.importKey(EDDSA, hex(t.pub)), hex(t.msg), hex(t.sig)), true);
    }
  });

  test(`${p.name}: rejects an Ed25519 signature, message or key with one bit flipped`, () => {
    const t = ED25519_TESTS[1];
    const key = p.importKey(EDDSA, hex(t.pub));
    for (const i of [0, 31, 32, 63]) {
      const sig = hex(t.sig);
      sig[i] ^= 0x01;
      assert.equal(p.ed25519Verify(key, hex(t.msg), sig), false, `bit flipped in signature byte ${i}`);
    }
    assert.equal(p.ed25519Verify(key, hex('73'), hex(t.sig)), false);
    const otherKey = p.importKey(EDDSA, hex(ED25519_TESTS[0].pub));
    assert.equal(p.ed25519Verify(otherKey, hex(t.msg), hex(t.sig)), false);
  });

  test(`${p.name}: rejects an Ed25519 signature whose R is not canonically encoded`, () => {
    // Last case of novifinancial/ed25519-speccheck cases.json: R has y >= p, which
    // RFC 8032 §5.1.3 decoding refuses and ZIP-215 would accept.
    const key = p.importKey(EDDSA, hex('f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43'));
    const msg = hex('84b698d39be126ff55fe45079e6c8bf64a0d7db6994560b4e96b7021eb39c1a1');
    const sig = hex(
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f' +
        '084d5b99c2a9463d9c8bd5026916996984eeec87ddf1d3be329006ace1b37b09',
    );
    assert.equal(p.ed25519Verify(key, msg, sig), false);
  });

  test(`${p.name}: verifies a P-256 signature made by node:crypto and its high-S twin`, () => {
    const { raw, signP1363 } = es256KeyPair();
    const key = p.importKey(ES256, raw);
    for (let i = 0; i < 4; i++) {
      const msg = random(1 + i * 40);
      const sig = signP1363(msg);
      const twin = otherS(sig);
      assert.equal(p.p256Verify(key, msg, sig), true);
      // One of the two is always high-S; COSE does not require low-S (RFC 9053 §2.1).
      assert.equal(p.p256Verify(key, msg, twin.sig), true, `twin with ${twin.highS ? 'high' : 'low'} S`);
    }
  });

  test(`${p.name}: rejects a P-256 signature over another message or under another key`, () => {
    const a = es256KeyPair();
    const b = es256KeyPair();
    const msg = utf8('network token');
    const sig = a.signP1363(msg);
    assert.equal(p.p256Verify(p.importKey(ES256, a.raw), utf8('network tokem'), sig), false);
    assert.equal(p.p256Verify(p.importKey(ES256, b.raw), msg, sig), false);
  });

  test(`${p.name}: returns false, not throw, for garbage signatures`, () => {
    const ed = p.importKey(EDDSA, hex(ED25519_TESTS[0].pub));
    const es = es256KeyPair();
    const ec = p.importKey(ES256, es.raw);
    const msg = new Uint8Array(0);
    const garbage = [
      new Uint8Array(0),
      random(1),
      random(63),
      new Uint8Array(64),
      new Uint8Array(64).fill(0xff),
      random(64),
      random(65),
      random(128),
    ];
    for (const sig of garbage) {
      assert.equal(p.ed25519Verify(ed, msg, sig), false, `Ed25519, ${sig.length} bytes`);
      assert.equal(p.p256Verify(ec, msg, sig), false, `P-256, ${sig.length} bytes`);
    }
    // ES256 signatures are r ‖ s, never DER (RFC 9053 §2.1).
    assert.equal(p.p256Verify(ec, msg, es.signDer(msg)), false);
    // r = 0 and s = n are out of range (SEC 1 §4.1.4 step 1).
    const good = es.signP1363(msg);
    const rZero = good.slice();
    rZero.fill(0, 0, 32);
    assert.equal(p.p256Verify(ec, msg, rZero), false);
    const sN = good.slice();
    sN.set(hex(P256_N.toString(16)), 32);
    assert.equal(p.p256Verify(ec, msg, sN), false);
  });

  test(`${p.name}: decrypts AES-GCM made by node:crypto with 128-, 192- and 256-bit keys`, () => {
    for (const alg of [1, 2, 3]) {
      for (const len of [0, 1, 16, 40, 100]) {
        const raw = random(8 + 8 * alg);
        const nonce = random(12);
        const aad = random(len % 30);
        const pt = random(len);
        const ct = gcmSeal(raw, nonce, aad, pt);
        assert.deepEqual(p.aesGcmDecrypt(p.importKey(alg, raw), nonce, aad, ct), pt, `alg ${alg}, ${len} bytes`);
      }
    }
  });

  test(`${p.name}: rejects AES-GCM whose tag, ciphertext or AAD was altered`, () => {
    const raw = random(16);
    const key = p.importKey(A128GCM, raw);
    const nonce = random(12);
    const aad = random(15);
    const ct = gcmSeal(raw, nonce, aad, random(40));
    for (const i of [0, 39, 40, 55]) {
      const bad = ct.slice();
      bad[i] ^= 0x01;
      assert.equal(p.aesGcmDecrypt(key, nonce, aad, bad), null, `byte ${i} altered`);
    }
    const badAad = aad.slice();
    badAad[0] ^= 0x01;
    assert.equal(p.aesGcmDecrypt(key, nonce, badAad, ct), null);
    assert.equal(p.aesGcmDecrypt(key, nonce, aad, ct.subarray(0, 15)), null);
  });

  test(`${p.name}: decrypts AES-CCM-16-64-128 made by node:crypto and rejects it altered`, () => {
    const raw = random(16);
    const key = p.importKey(AES_CCM_16_64_128, raw);
    for (const len of [0, 1, 15, 16, 17, 40, 100]) {
      const nonce = random(13);
      const aad = random(15);
      const pt = random(len);
      const ct = ccmSeal(raw, nonce, aad, pt, 8);
      assert.deepEqual(p.aesCcmDecrypt(key, nonce, aad, ct, 8), pt, `${len} bytes`);
      const bad = ct.slice();
      bad[ct.length - 1] ^= 0x01;
      assert.equal(p.aesCcmDecrypt(key, nonce, aad, bad, 8), null, `${len} bytes, tag altered`);
    }
    assert.equal(p.aesCcmDecrypt(key, random(13), new Uint8Array(0), random(7), 8), null);
  });

  test(`${p.name}: accepts inputs at any byte offset, as views of wasm memory are`, () => {
    assert.deepEqual(
      p.sha256(unaligned(utf8('abc'))),
      hex('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'),
    );
    const hk = p.importKey(HMAC_256_256, unaligned(utf8('Jefe')));
    assert.deepEqual(
      p.hmacSha256(hk, unaligned(utf8('what do ya want for nothing?'))),
      hex('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'),
    );
    const t = ED25519_TESTS[1];
    assert.equal(p.ed25519Verify(p.importKey(EDDSA, unaligned(hex(t.pub))), unaligned(hex(t.msg)), unaligned(hex(t.sig))), true);
    const es = es256KeyPair();
    const msg = random(33);
    assert.equal(p.p256Verify(p.importKey(ES256, unaligned(es.raw)), unaligned(msg), unaligned(es.signP1363(msg))), true);
    const raw = random(16);
    const nonce13 = random(13);
    const nonce12 = random(12);
    const aad = random(15);
    const pt = random(41);
    const ccm = ccmSeal(raw, nonce13, aad, pt, 8);
    const ccmKey = p.importKey(AES_CCM_16_64_128, unaligned(raw));
    assert.deepEqual(p.aesCcmDecrypt(ccmKey, unaligned(nonce13), unaligned(aad), unaligned(ccm), 8), pt);
    const gcm = gcmSeal(raw, nonce12, aad, pt);
    const gcmKey = p.importKey(A128GCM, unaligned(raw));
    assert.deepEqual(p.aesGcmDecrypt(gcmKey, unaligned(nonce12), unaligned(aad), unaligned(gcm)), pt);
  });

  test(`${p.name}: throws for a bad AEAD nonce or tag length instead of reporting a failed tag`, () => {
    const ccm = p.importKey(AES_CCM_16_64_128, random(16));
    const gcm = p.importKey(A128GCM, random(16));
    const aad = new Uint8Array(0);
    assert.throws(() => p.aesCcmDecrypt(ccm, random(6), aad, random(24), 8));
    assert.throws(() => p.aesCcmDecrypt(ccm, random(14), aad, random(24), 8));
    assert.throws(() => p.aesCcmDecrypt(ccm, random(13), aad, random(24), 5));
    assert.throws(() => p.aesGcmDecrypt(gcm, random(8), aad, random(24)), /nonce/);
  });

  test(`${p.name}: refuses keys of the wrong length or an unsupported algorithm in importKey`, () => {
    const bad: [number, number][] = [
      [4, 0],
      [HMAC_256_256, 0],
      [AES_CCM_16_64_128, 15],
      [AES_CCM_16_64_128, 32],
      [A128GCM, 24],
      [2, 16],
      [3, 16],
      [EDDSA, 31],
      [EDDSA, 33],
      [ES256, 64],
      [ES256, 33],
    ];
    for (const [alg, len] of bad) assert.throws(() => p.importKey(alg, random(len)), /bytes|empty/, `alg ${alg}, ${len} bytes`);
    for (const alg of [0, 6, 11, -35, -37]) assert.throws(() => p.importKey(alg, random(32)), /unsupported/);
  });

  test(`${p.name}: refuses an ES256 key that is compressed or not on the curve`, () => {
    const { raw } = es256KeyPair();
    const compressedTag = raw.slice();
    compressedTag[0] = 0x02;
    assert.throws(() => p.importKey(ES256, compressedTag), /uncompressed/);
    const offCurve = raw.slice();
    offCurve[64] ^= 0x01;
    assert.throws(() => p.importKey(ES256, offCurve), /not a point/);
  });

  test(`${p.name}: refuses an Ed25519 key that is a small-order point or a non-canonical encoding`, () => {
    // The identity (0, 1) has order 1.
    assert.throws(() => p.importKey(EDDSA, hex('01'.padEnd(64, '0'))), /small-order/);
    // y = p + 1 encodes the identity non-canonically (RFC 8032 §5.1.3 requires y < p).
    assert.throws(() => p.importKey(EDDSA, hex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f')), /not a valid point/);
  });

  test(`${p.name}: throws when a key is used for another primitive`, () => {
    const hmacKey = p.importKey(HMAC_256_256, random(32));
    assert.throws(() => p.ed25519Verify(hmacKey, new Uint8Array(0), random(64)), TypeError);
    assert.throws(() => p.aesCcmDecrypt(hmacKey, random(13), new Uint8Array(0), random(24), 8), TypeError);
    assert.throws(() => p.hmacSha256({}, new Uint8Array(0)), TypeError);
  });
}

test('refuses a key prepared by another provider', async () => {
  const node = await nodeCrypto();
  const nobleKey = nobleCrypto.importKey(HMAC_256_256, random(32));
  assert.throws(() => node.hmacSha256(nobleKey, new Uint8Array(0)), TypeError);
  const nodeKey = node.importKey(HMAC_256_256, random(32));
  assert.throws(() => nobleCrypto.hmacSha256(nodeKey, new Uint8Array(0)), TypeError);
});

// RFC 8032 lets a verifier accept R of small order; the C host's libsodium does
// not, so every TS provider refuses it too (one verdict on both hosts).
test('every provider refuses an Ed25519 signature whose R is the identity point', async () => {
  const { ed25519 } = await import('@noble/curves/ed25519.js');
  const { sha512 } = await import('@noble/hashes/sha2.js');
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const le = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 255n));
  const fromLe = (b: Uint8Array) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
  const { scalar, pointBytes: A } = ed25519.utils.getExtendedPublicKey(new Uint8Array(32).fill(7));
  const msg = new TextEncoder().encode('network token');
  const R = new Uint8Array(32);
  R[0] = 1; // the identity point
  const k = fromLe(sha512(new Uint8Array([...R, ...A, ...msg]))) % L;
  const sig = new Uint8Array([...R, ...le((k * scalar) % L)]);
  // A valid RFC 8032 equation all the same: OpenSSL alone would accept it.
  assert.equal(ed25519.verify(sig, msg, A, { zip215: false }), true);
  for (const p of [nobleCrypto, await nodeCrypto(), await fastestCrypto()]) {
    assert.equal(p.ed25519Verify(p.importKey(-8, A), msg, sig), false, p.name);
  }
});

test('the small-order encodings include the identity, y = 0 (order 4) and y = -1 (order 2)', async () => {
  const { smallOrderEncodings } = await import('../../src/host/crypto.js');
  const hex = smallOrderEncodings().map((e) => Buffer.from(e).toString('hex'));
  assert.equal(new Set(hex.slice(0, 8)).size, 8, 'eight distinct points of small order');
  assert.ok(hex.includes('01' + '00'.repeat(31)), 'identity');
  assert.ok(hex.some((h) => /^0{62}[08]0$/.test(h)), 'y = 0');
  assert.ok(hex.includes('ec' + 'ff'.repeat(30) + '7f'), 'y = p - 1');
});
