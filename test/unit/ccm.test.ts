import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes, randomInt, type CipherCCMTypes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CcmKey, ccmDecrypt, ccmEncrypt } from '../../src/host/ccm.js';

interface Vector {
  name: string;
  key: string;
  nonce: string;
  aad: string;
  plaintext: string;
  ciphertextAndTag: string;
  tagLength: number;
}

// The compiled test runs from dist/test/unit/.
const { vectors } = JSON.parse(
  readFileSync(new URL('../../../test/vectors/ccm-rfc3610.json', import.meta.url), 'utf8'),
) as { vectors: Vector[] };

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const random = (n: number) => new Uint8Array(randomBytes(n));

/** The same message sealed by OpenSSL, the reference the random tests compare against. */
function opensslSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array, tagLen: number): Uint8Array {
  const cipher = `aes-${key.length * 8}-ccm` as CipherCCMTypes;
  const c = createCipheriv(cipher, key, nonce, { authTagLength: tagLen });
  c.setAAD(aad, { plaintextLength: pt.length });
  return new Uint8Array(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
}

/** A copy of `b` at an odd byte offset, as a slice of wasm memory may be. */
function unaligned(b: Uint8Array): Uint8Array {
  const buf = new Uint8Array(b.length + 1);
  buf.set(b, 1);
  return buf.subarray(1);
}

for (const v of vectors) {
  test(`encrypts and decrypts ${v.name} as published`, () => {
    const sealed = ccmEncrypt(hex(v.key), hex(v.nonce), hex(v.aad), hex(v.plaintext), v.tagLength);
    assert.equal(toHex(sealed), v.ciphertextAndTag);
    const opened = ccmDecrypt(hex(v.key), hex(v.nonce), hex(v.aad), hex(v.ciphertextAndTag), v.tagLength);
    assert.ok(opened);
    assert.equal(toHex(opened), v.plaintext);
  });
}

test('agrees with OpenSSL for plaintexts of 0 to 100 bytes, 13- and 7-byte nonces and 8- and 16-byte tags', () => {
  for (const nonceLen of [13, 7]) {
    for (const tagLen of [8, 16]) {
      for (let len = 0; len <= 100; len++) {
        const key = random(16);
        const nonce = random(nonceLen);
        const aad = random(randomInt(0, 40));
        const pt = random(len);
        const expected = opensslSeal(key, nonce, aad, pt, tagLen);
        const what = `key ${toHex(key)} nonce ${toHex(nonce)} aad ${toHex(aad)} pt ${toHex(pt)} tag ${tagLen}`;
        assert.deepEqual(ccmEncrypt(key, nonce, aad, pt, tagLen), expected, what);
        // Inputs need not be 4-byte aligned.
        assert.deepEqual(ccmDecrypt(key, unaligned(nonce), unaligned(aad), unaligned(expected), tagLen), pt, what);
      }
    }
  }
});

test('agrees with OpenSSL for every nonce length from 7 to 13 and every tag length from 4 to 16', () => {
  for (let nonceLen = 7; nonceLen <= 13; nonceLen++) {
    for (let tagLen = 4; tagLen <= 16; tagLen += 2) {
      const key = random(16);
      const nonce = random(nonceLen);
      const aad = random(20);
      const pt = random(33);
      const expected = opensslSeal(key, nonce, aad, pt, tagLen);
      assert.deepEqual(ccmEncrypt(key, nonce, aad, pt, tagLen), expected, `nonce ${nonceLen} tag ${tagLen}`);
      assert.deepEqual(ccmDecrypt(key, nonce, aad, expected, tagLen), pt, `nonce ${nonceLen} tag ${tagLen}`);
    }
  }
});

test('agrees with OpenSSL for 192- and 256-bit keys', () => {
  for (const keyLen of [24, 32]) {
    const key = random(keyLen);
    const nonce = random(13);
    const aad = random(7);
    const pt = random(50);
    const expected = opensslSeal(key, nonce, aad, pt, 16);
    assert.deepEqual(ccmEncrypt(key, nonce, aad, pt, 16), expected);
    assert.deepEqual(ccmDecrypt(key, nonce, aad, expected, 16), pt);
  }
});

test('carries the block counter past 255 blocks', () => {
  const key = random(16);
  const nonce = random(13);
  const pt = random(257 * 16 + 5);
  const expected = opensslSeal(key, nonce, new Uint8Array(0), pt, 8);
  assert.deepEqual(ccmEncrypt(key, nonce, new Uint8Array(0), pt, 8), expected);
});

test('encodes an AAD length of 2^16 - 2^8 bytes and more as 0xff 0xfe and 4 bytes (RFC 3610 §2.2)', () => {
  for (const aadLen of [0xfeff, 0xff00, 0x10005]) {
    const key = random(16);
    const nonce = random(12);
    const aad = random(aadLen);
    const pt = random(21);
    const expected = opensslSeal(key, nonce, aad, pt, 8);
    assert.deepEqual(ccmEncrypt(key, nonce, aad, pt, 8), expected, `aad of ${aadLen} bytes`);
    assert.deepEqual(ccmDecrypt(key, nonce, aad, expected, 8), pt, `aad of ${aadLen} bytes`);
  }
});

test('gives the same results with a prepared CcmKey as with raw key bytes', () => {
  const raw = random(16);
  const key = new CcmKey(raw);
  const nonce = random(13);
  const aad = random(9);
  const pt = random(40);
  const sealed = ccmEncrypt(raw, nonce, aad, pt, 8);
  assert.deepEqual(ccmEncrypt(key, nonce, aad, pt, 8), sealed);
  assert.deepEqual(ccmDecrypt(key, nonce, aad, sealed, 8), pt);
});

// Packet vector #1: 8 bytes of AAD, 23 of plaintext, 8 of tag.
const v1 = vectors[0];
const open = (aad: Uint8Array, sealed: Uint8Array) => ccmDecrypt(hex(v1.key), hex(v1.nonce), aad, sealed, v1.tagLength);

test('rejects a CCM message whose tag was altered', () => {
  const sealed = hex(v1.ciphertextAndTag);
  sealed[sealed.length - 1] ^= 0x01;
  assert.equal(open(hex(v1.aad), sealed), null);
});

test('rejects a CCM message whose ciphertext was altered', () => {
  const sealed = hex(v1.ciphertextAndTag);
  sealed[0] ^= 0x80;
  assert.equal(open(hex(v1.aad), sealed), null);
});

test('rejects a CCM message whose AAD was altered', () => {
  const aad = hex(v1.aad);
  aad[3] ^= 0x10;
  assert.equal(open(aad, hex(v1.ciphertextAndTag)), null);
});

test('rejects a CCM message with the AAD dropped', () => {
  assert.equal(open(new Uint8Array(0), hex(v1.ciphertextAndTag)), null);
});

test('returns null for a CCM input shorter than its tag', () => {
  assert.equal(open(hex(v1.aad), new Uint8Array(7)), null);
  assert.equal(open(hex(v1.aad), new Uint8Array(0)), null);
});

test('throws naming the key for a key that is not 16, 24 or 32 bytes', () => {
  for (const len of [0, 15, 17, 64]) {
    assert.throws(() => ccmEncrypt(random(len), random(13), new Uint8Array(0), random(4), 8), /CCM key/);
    assert.throws(() => new CcmKey(random(len)), /CCM key/);
  }
});

test('throws naming the nonce for a nonce outside 7 to 13 bytes', () => {
  for (const len of [0, 6, 14, 16]) {
    assert.throws(() => ccmEncrypt(random(16), random(len), new Uint8Array(0), random(4), 8), /CCM nonce/);
    assert.throws(() => ccmDecrypt(random(16), random(len), new Uint8Array(0), random(20), 8), /CCM nonce/);
  }
});

test('throws naming the tag length for a tag length other than 4, 6, ..., 16', () => {
  for (const tagLen of [0, 2, 5, 7, 18, 8.5]) {
    assert.throws(() => ccmEncrypt(random(16), random(13), new Uint8Array(0), random(4), tagLen), /CCM tag length/);
    assert.throws(() => ccmDecrypt(random(16), random(13), new Uint8Array(0), random(20), tagLen), /CCM tag length/);
  }
});

test('throws for a message too long for the length field of its nonce', () => {
  // A 13-byte nonce leaves L = 2 bytes of length: at most 65,535 bytes.
  assert.doesNotThrow(() => ccmEncrypt(random(16), random(13), new Uint8Array(0), new Uint8Array(0xffff), 8));
  assert.throws(() => ccmEncrypt(random(16), random(13), new Uint8Array(0), new Uint8Array(0x10000), 8), /too long/);
  assert.throws(() => ccmDecrypt(random(16), random(13), new Uint8Array(0), new Uint8Array(0x10008), 8), /too long/);
});
