/**
 * The issuer, checked against the standards' own examples (RFC 8949
 * Appendix A, RFC 8392 Appendix A) and against independent computations:
 * COSE structures are rebuilt here with plain cbor-x, MACs/signatures/
 * ciphertexts are checked with node:crypto (and AES-CCM with an RFC 3610
 * composition over AES-ECB), never with the issuer's own code.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import { Decoder, Encoder, Tag } from 'cbor-x';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import {
  algByName,
  algName,
  encodeCbor,
  encodeClaims,
  IssuerError,
  keygen,
  mintToken,
  networkTokenHeader,
  type CborValue,
  type Jwk,
  type NetworkClaims,
} from '../../src/issuer/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const b64u = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64url');
const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });
const decode = (b: Uint8Array): any => decoder.decode(b);
// Plain cbor-x, to rebuild COSE structures independently of the issuer's encoder
// (tagUint8Array: false, else cbor-x tags Uint8Arrays with tag 64).
const plainEncoder = new Encoder({ tagUint8Array: false, useRecords: false });
const cborxEncode = (v: unknown): Uint8Array => new Uint8Array(plainEncoder.encode(v));
const empty = Buffer.alloc(0);

function octKey(alg: string | number, kid: string, keyHex: string): Jwk {
  return { kty: 'oct', kid, alg, k: Buffer.from(keyHex, 'hex').toString('base64url') };
}

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof IssuerError && e.code === code);
}

/** Strip the 4-byte header and decode; returns the COSE Tag. */
function decodeToken(token: Uint8Array): Tag {
  const tag = decode(token.subarray(4));
  assert.ok(tag instanceof Tag);
  return tag;
}

/** RFC 3610 AES-CCM decryption composed from AES-ECB: independent of node's 'aes-128-ccm'. */
function ccmDecrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, tagLen: number): Buffer {
  const aes = (block: Buffer): Buffer => {
    const c = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    return Buffer.concat([c.update(block), c.final()]);
  };
  const L = 15 - nonce.length;
  const ct = sealed.subarray(0, sealed.length - tagLen);
  const counterBlock = (i: number): Buffer => {
    const a = Buffer.alloc(16);
    a[0] = L - 1;
    a.set(nonce, 1);
    a.writeUIntBE(i, 16 - L, L);
    return a;
  };
  const plain = Buffer.alloc(ct.length);
  for (let i = 0; i < ct.length; i += 16) {
    const s = aes(counterBlock(i / 16 + 1));
    for (let j = i; j < Math.min(i + 16, ct.length); j++) plain[j] = ct[j] ^ s[j - i];
  }
  const b0 = Buffer.alloc(16);
  b0[0] = (aad.length > 0 ? 0x40 : 0) | (((tagLen - 2) / 2) << 3) | (L - 1);
  b0.set(nonce, 1);
  b0.writeUIntBE(plain.length, 16 - L, L);
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((16 - (b.length % 16)) % 16)]);
  const aadLen = Buffer.alloc(2);
  aadLen.writeUInt16BE(aad.length);
  const macInput = Buffer.concat([b0, aad.length > 0 ? pad(Buffer.concat([aadLen, aad])) : empty, pad(plain)]);
  let x: Buffer = Buffer.alloc(16);
  for (let i = 0; i < macInput.length; i += 16) {
    const block = Buffer.alloc(16);
    for (let j = 0; j < 16; j++) block[j] = x[j] ^ macInput[i + j];
    x = aes(block);
  }
  const s0 = aes(counterBlock(0));
  const tag = Buffer.alloc(tagLen);
  for (let j = 0; j < tagLen; j++) tag[j] = x[j] ^ s0[j];
  assert.equal(hex(tag), hex(sealed.subarray(sealed.length - tagLen)), 'CCM tag');
  return plain;
}

// RFC 8392 Appendix A.1 claims and A.2 keys.
const rfcClaims: NetworkClaims = {
  iss: 'coap://as.example.com',
  sub: 'erikw',
  aud: 'coap://light.example.com',
  exp: 1444064944,
  nbf: 1443944944,
  iat: 1443944944,
  cti: '0b71',
};
const symmetric256 = octKey('HMAC 256/64', 'Symmetric256', '403697de87af64611c1d32a05dab0fe1fcb715a86ab435f1ec99192d79569388');
const symmetric128 = octKey('AES-CCM-16-64-128', 'Symmetric128', '231f4c4d4d3051fdc2ec0a3851d5b383');

// A small network token: 1-byte kid, exp, 8-byte cti, small srv, IPv4 bip.
const smallClaims: NetworkClaims = { exp: 1700000000, cti: '0102030405060708', srv: 1, bip: '192.0.2.7' };
const fixedHmacKey = octKey('HMAC 256/64', 'a', '07'.repeat(32));

describe('deterministic CBOR', () => {
  // RFC 8949 Appendix A, the entries a JS value can express unambiguously.
  const vectors: Array<[string, CborValue, string]> = [
    ['0', 0, '00'],
    ['1', 1, '01'],
    ['10', 10, '0a'],
    ['23', 23, '17'],
    ['24', 24, '1818'],
    ['25', 25, '1819'],
    ['100', 100, '1864'],
    ['1000', 1000, '1903e8'],
    ['1000000', 1000000, '1a000f4240'],
    ['1000000000000', 1000000000000, '1b000000e8d4a51000'],
    ['18446744073709551615', 18446744073709551615n, '1bffffffffffffffff'],
    ['-18446744073709551616', -18446744073709551616n, '3bffffffffffffffff'],
    ['-1', -1, '20'],
    ['-10', -10, '29'],
    ['-100', -100, '3863'],
    ['-1000', -1000, '3903e7'],
    ['1.1', 1.1, 'fb3ff199999999999a'],
    ['1.5', 1.5, 'f93e00'],
    ['5.960464477539063e-8', 5.960464477539063e-8, 'f90001'],
    ['0.00006103515625', 0.00006103515625, 'f90400'],
    ['-4.1', -4.1, 'fbc010666666666666'],
    ['3.4028234663852886e+38', 3.4028234663852886e38, 'fa7f7fffff'],
    ['1.0e+300', 1.0e300, 'fb7e37e43c8800759c'],
    ['Infinity', Infinity, 'f97c00'],
    ['NaN', NaN, 'f97e00'],
    ['-Infinity', -Infinity, 'f9fc00'],
    ['false', false, 'f4'],
    ['true', true, 'f5'],
    ['null', null, 'f6'],
    ['undefined', undefined, 'f7'],
    ['""', '', '60'],
    ['"a"', 'a', '6161'],
    ['"IETF"', 'IETF', '6449455446'],
    ['"\\u00fc"', '\u00fc', '62c3bc'],
    ['"\\u6c34"', '\u6c34', '63e6b0b4'],
    ["h''", new Uint8Array(0), '40'],
    ["h'01020304'", unhex('01020304'), '4401020304'],
    ['[]', [], '80'],
    ['[1, 2, 3]', [1, 2, 3], '83010203'],
    ['[1, [2, 3], [4, 5]]', [1, [2, 3], [4, 5]], '8301820203820405'],
    ['25 items', Array.from({ length: 25 }, (_, i) => i + 1), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
    ['{}', new Map(), 'a0'],
    ['{1: 2, 3: 4}', new Map([[1, 2], [3, 4]]), 'a201020304'],
    ['{"a": 1, "b": [2, 3]}', { a: 1, b: [2, 3] }, 'a26161016162820203'],
    ['1(1363896240)', new Tag(1363896240, 1), 'c11a514b67b0'],
    ['32("http://www.example.com")', new Tag('http://www.example.com', 32), 'd82076687474703a2f2f7777772e6578616d706c652e636f6d'],
    ["24(h'6449455446')", new Tag(unhex('6449455446'), 24), 'd818456449455446'],
  ];
  for (const [name, value, expected] of vectors) {
    it(`encodes ${name} as RFC 8949 Appendix A does`, () => {
      assert.equal(hex(encodeCbor(value)), expected);
    });
  }

  it('encodes integers in the shortest form on both sides of every width boundary', () => {
    const table: Array<[number | bigint, string]> = [
      [23, '17'],
      [24, '1818'],
      [255, '18ff'],
      [256, '190100'],
      [65535, '19ffff'],
      [65536, '1a00010000'],
      [2 ** 32 - 1, '1affffffff'],
      [2 ** 32, '1b0000000100000000'],
      [2 ** 53 - 1, '1b001fffffffffffff'],
      [5n, '05'],
      [2n ** 32n + 5n, '1b0000000100000005'],
      [-24, '37'],
      [-25, '3818'],
      [-(2 ** 32), '3affffffff'],
      [-(2 ** 32) - 1, '3b0000000100000000'],
      [-5n, '24'],
    ];
    for (const [value, expected] of table) assert.equal(hex(encodeCbor(value)), expected, String(value));
  });

  it('encodes a non-integer as the shortest float that keeps it exact', () => {
    assert.equal(hex(encodeCbor(0.5)), 'f93800');
    assert.equal(hex(encodeCbor(100000.5)), 'fa47c35040');
    assert.equal(hex(encodeCbor(1443944944.5)), 'fb41d584367c200000');
  });

  it('sorts map keys bytewise by their encoded form, whatever the insertion order', () => {
    const map = new Map<CborValue, CborValue>([
      ['b', 1],
      [100, 2],
      [-1, 3],
      ['aa', 4],
      [10, 5],
    ]);
    // 0a < 1864 < 20 < 6162 < 626161
    assert.equal(hex(encodeCbor(map)), 'a5' + '0a05' + '186402' + '2003' + '616201' + '62616104');
  });

  it('sorts nested maps too', () => {
    const inner = new Map<CborValue, CborValue>([[5, 0], [4, 0]]);
    assert.equal(hex(encodeCbor([new Map<CborValue, CborValue>([[2, inner], [1, 0]])])), '81a2010002a204000500');
  });

  it('rejects a map with two keys of the same encoding', () => {
    throwsCode(() => encodeCbor(new Map<CborValue, CborValue>([[1, 'x'], [1n, 'y']])), 'ERR_ISSUER_CBOR_UNSUPPORTED');
  });

  it('round-trips through cbor-x decoding', () => {
    const value = new Map<CborValue, CborValue>([
      [1, 'text'],
      [2, unhex('00ff')],
      ['k', [1, -2, 1.5, true, null]],
    ]);
    const back = decode(encodeCbor(value));
    assert.deepEqual([...back.entries()].map(([k, v]: [unknown, unknown]) => [k, v instanceof Uint8Array ? hex(v) : v]), [
      [1, 'text'],
      [2, '00ff'],
      ['k', [1, -2, 1.5, true, null]],
    ]);
  });
});

describe('keygen', () => {
  const message = new TextEncoder().encode('network token');

  it('names algorithms in one table, both ways', () => {
    assert.deepEqual(algByName, {
      'HMAC 256/64': 4,
      'HMAC 256/256': 5,
      'AES-CCM-16-64-128': 10,
      A128GCM: 1,
      EdDSA: -8,
      ES256: -7,
    });
    for (const [name, id] of Object.entries(algByName)) assert.equal(algName[id], name);
  });

  for (const [name, id] of [['HMAC 256/64', 4], ['HMAC 256/256', 5]] as const) {
    it(`gives a 32-byte oct key for ${name} that node:crypto HMAC accepts`, () => {
      const { privateJwk, publicJwk } = keygen(id, 'h');
      assert.deepEqual(Object.keys(privateJwk).sort(), ['alg', 'k', 'kid', 'kty']);
      assert.equal(privateJwk.kty, 'oct');
      assert.equal(privateJwk.alg, name);
      assert.equal(privateJwk.kid, 'h');
      assert.equal(b64u(privateJwk.k).length, 32);
      assert.deepEqual(publicJwk, privateJwk);
      assert.equal(createHmac('sha256', b64u(privateJwk.k)).update(message).digest().length, 32);
    });
  }

  for (const [name, cipher, iv, tagLen] of [
    ['AES-CCM-16-64-128', 'aes-128-ccm', 13, 8],
    ['A128GCM', 'aes-128-gcm', 12, 16],
  ] as const) {
    it(`gives a 16-byte oct key for ${name} that encrypts and decrypts`, () => {
      const { privateJwk, publicJwk } = keygen(name, 'e');
      assert.equal(privateJwk.alg, name);
      assert.deepEqual(publicJwk, privateJwk);
      const k = b64u(privateJwk.k);
      assert.equal(k.length, 16);
      const nonce = Buffer.alloc(iv, 1);
      const enc = createCipheriv(cipher, k, nonce, { authTagLength: tagLen } as any) as any;
      enc.setAAD(empty, { plaintextLength: message.length });
      const ct = Buffer.concat([enc.update(message), enc.final()]);
      const dec = createDecipheriv(cipher, k, nonce, { authTagLength: tagLen } as any) as any;
      dec.setAuthTag(enc.getAuthTag());
      dec.setAAD(empty, { plaintextLength: ct.length });
      assert.equal(Buffer.concat([dec.update(ct), dec.final()]).toString(), 'network token');
    });
  }

  it('gives an Ed25519 OKP key pair that node:crypto and noble both accept', () => {
    const { privateJwk, publicJwk } = keygen('EdDSA', 'ed');
    assert.deepEqual(publicJwk, { kty: 'OKP', kid: 'ed', alg: 'EdDSA', crv: 'Ed25519', x: privateJwk.x });
    assert.equal(b64u(privateJwk.d).length, 32);
    const nodeSig = nodeSign(null, message, createPrivateKey({ key: privateJwk as any, format: 'jwk' }));
    assert.ok(ed25519.verify(nodeSig, message, b64u(publicJwk.x)));
    const nobleSig = ed25519.sign(message, b64u(privateJwk.d));
    assert.ok(nodeVerify(null, message, createPublicKey({ key: publicJwk as any, format: 'jwk' }), nobleSig));
  });

  it('gives a P-256 EC key pair that node:crypto and noble both accept', () => {
    const { privateJwk, publicJwk } = keygen('ES256', 'ec');
    assert.deepEqual(publicJwk, { kty: 'EC', kid: 'ec', alg: 'ES256', crv: 'P-256', x: privateJwk.x, y: privateJwk.y });
    assert.equal(b64u(publicJwk.x).length, 32);
    assert.equal(b64u(publicJwk.y).length, 32);
    const point = Buffer.concat([Buffer.of(4), b64u(publicJwk.x), b64u(publicJwk.y)]);
    const privateKey = createPrivateKey({ key: privateJwk as any, format: 'jwk' });
    const nodeSig = nodeSign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    assert.ok(p256.verify(nodeSig, message, point, { lowS: false }));
    const nobleSig = p256.sign(message, b64u(privateJwk.d));
    const publicKey = createPublicKey({ key: publicJwk as any, format: 'jwk' });
    assert.ok(nodeVerify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, nobleSig));
  });

  it('rejects an unknown algorithm', () => {
    throwsCode(() => keygen('HS256', 'x'), 'ERR_ISSUER_ALG_UNSUPPORTED');
    throwsCode(() => keygen(-35, 'x'), 'ERR_ISSUER_ALG_UNSUPPORTED');
  });

  it('rejects an empty kid', () => {
    throwsCode(() => keygen('EdDSA', ''), 'ERR_ISSUER_KEY_INVALID');
  });
});

describe('network token header', () => {
  it('puts the reflect type in bits 31..28 and the descriptor in bits 27..0, big-endian', () => {
    assert.equal(hex(networkTokenHeader(1, 0x10001)), '10010001');
    assert.equal(hex(networkTokenHeader(2, 0xb00f)), '2000b00f');
    assert.equal(hex(networkTokenHeader(0, 0x0fffffff)), '0fffffff');
    assert.equal(hex(networkTokenHeader(15, 0)), 'f0000000');
  });

  it('prefixes minted tokens with reflect 0 and descriptor 0x2 by default', () => {
    assert.equal(hex(mintToken(smallClaims, { key: fixedHmacKey }).subarray(0, 4)), '00000002');
    assert.equal(hex(mintToken(smallClaims, { key: fixedHmacKey, reflect: 1, descriptor: 0x10001 }).subarray(0, 4)), '10010001');
  });

  it('rejects a descriptor wider than 28 bits and a reflect type wider than 4', () => {
    throwsCode(() => networkTokenHeader(0, 0x10000000), 'ERR_ISSUER_OPTION_INVALID');
    throwsCode(() => networkTokenHeader(16, 2), 'ERR_ISSUER_OPTION_INVALID');
    throwsCode(() => networkTokenHeader(0, -1), 'ERR_ISSUER_OPTION_INVALID');
  });
});

describe('claims', () => {
  it('puts registered claims under integer keys 1..7 before the text-keyed network claims, sorted', () => {
    const map = decode(
      encodeClaims({ sid: 7, srv: 'video', nti: 9, bip: '192.0.2.7', cti: '0b71', iat: 6, nbf: 5, exp: 4, aud: 'a', sub: 's', iss: 'i' }),
    );
    assert.deepEqual([...map.keys()], [1, 2, 3, 4, 5, 6, 7, 'bip', 'nti', 'sid', 'srv']);
    assert.equal(hex(map.get(7)), '0b71');
    assert.equal(map.get('srv'), 'video');
  });

  it('encodes an IPv4 bip as a 4-byte bstr', () => {
    assert.equal(hex(encodeClaims({ bip: '192.0.2.7' })), 'a1' + '63626970' + '44c0000207');
  });

  it('encodes an IPv6 bip as a 16-byte bstr, expanding :: and a trailing dotted quad', () => {
    assert.equal(hex(decode(encodeClaims({ bip: '2001:db8::1' })).get('bip')), '20010db8000000000000000000000001');
    assert.equal(hex(decode(encodeClaims({ bip: '::ffff:192.0.2.7' })).get('bip')), '00000000000000000000ffffc0000207');
    assert.equal(hex(decode(encodeClaims({ bip: '::' })).get('bip')), '00'.repeat(16));
  });

  it('encodes a bip with a prefix as [bstr, prefix length], keeping all the address bytes', () => {
    assert.equal(hex(encodeClaims({ bip: '2001:db8::/64' })), 'a1' + '63626970' + '82' + '50' + '20010db8' + '00'.repeat(12) + '1840');
    assert.equal(hex(encodeClaims({ bip: '198.51.100.9/24' })), 'a1' + '63626970' + '82' + '44c6336409' + '1818');
  });

  it('encodes an exp of 2^32+5 as a shortest uint (0x1b), not a float', () => {
    assert.equal(hex(encodeClaims({ exp: 2 ** 32 + 5 })), 'a1' + '04' + '1b0000000100000005');
  });

  it('encodes a fractional NumericDate as the shortest exact float', () => {
    assert.equal(hex(encodeClaims({ iat: 1443944944.5 })), 'a106fb41d584367c200000');
    assert.equal(hex(encodeClaims({ nbf: 1.5 })), 'a105f93e00');
  });

  it('encodes nti as a uint or a bstr and cti hex as a bstr', () => {
    assert.equal(hex(encodeClaims({ nti: 12345 })), 'a1636e746919' + '3039');
    assert.equal(hex(encodeClaims({ nti: 2n ** 64n - 1n })), 'a1636e74691bffffffffffffffff');
    assert.equal(hex(encodeClaims({ nti: unhex('0b71') })), 'a1636e7469420b71');
    assert.equal(hex(encodeClaims({ cti: unhex('0b71') })), hex(encodeClaims({ cti: '0B71' })));
  });

  it('encodes aud as text or an array of text, and extra claims under their text key', () => {
    assert.deepEqual(decode(encodeClaims({ aud: ['x', 'y'] })).get(3), ['x', 'y']);
    assert.equal(hex(encodeClaims({ zz: 1, exp: 2 })), 'a20402627a7a01');
  });

  it('rejects malformed claims', () => {
    throwsCode(() => encodeClaims({ bip: '192.0.2' }), 'ERR_ISSUER_CLAIM_INVALID');
    throwsCode(() => encodeClaims({ bip: '192.0.2.7/33' }), 'ERR_ISSUER_CLAIM_INVALID');
    throwsCode(() => encodeClaims({ bip: 'fe80::1%eth0' }), 'ERR_ISSUER_CLAIM_INVALID');
    throwsCode(() => encodeClaims({ cti: 'abc' }), 'ERR_ISSUER_CLAIM_INVALID');
    throwsCode(() => encodeClaims({ sid: -1 }), 'ERR_ISSUER_CLAIM_INVALID');
    throwsCode(() => encodeClaims({ srv: 1.5 }), 'ERR_ISSUER_CLAIM_INVALID');
    throwsCode(() => encodeClaims({ exp: NaN }), 'ERR_ISSUER_CLAIM_INVALID');
    throwsCode(() => encodeClaims({ iss: 5 as unknown as string }), 'ERR_ISSUER_CLAIM_INVALID');
  });
});

describe('mintToken', () => {
  it('fits a Mac0 HMAC 256/64 token with kid, exp, 8-byte cti, srv and IPv4 bip in 56 bytes, header included', () => {
    const token = mintToken(smallClaims, { key: fixedHmacKey });
    assert.equal(token.length, 56);
    assert.equal(
      hex(token),
      '00000002' + 'd1' + '84' + '43a10104' + 'a1044161' +
        '581f' + 'a4' + '041a6553f100' + '07480102030405060708' + '6362697044c0000207' + '6373727601' +
        '4808102a22e7d53635',
    );
  });

  it('reproduces the RFC 8392 A.4 MACed CWT with the CWT tag byte for byte', () => {
    const token = mintToken(rfcClaims, { key: symmetric256, header: false, cwtTag: true });
    assert.equal(
      hex(token),
      'd83dd18443a10104a1044c53796d6d65747269633235365850a70175636f6170' +
        '3a2f2f61732e6578616d706c652e636f6d02656572696b77037818636f61703a' +
        '2f2f6c696768742e6578616d706c652e636f6d041a5612aeb0051a5610d9f006' +
        '1a5610d9f007420b7148093101ef6d789200',
    );
  });

  it('reproduces the RFC 8392 A.7 MACed CWT with a floating-point iat', () => {
    const token = mintToken({ iat: 1443944944.5 }, { key: symmetric256, header: false });
    assert.equal(hex(token), 'd18443a10104a1044c53796d6d65747269633235364ba106fb41d584367c20000048b8816f34c0542892');
  });

  it('reproduces the RFC 8392 A.5 encrypted CWT (AES-CCM-16-64-128)', () => {
    const token = mintToken(rfcClaims, { key: symmetric128, header: false, iv: unhex('99a0d7846e762c49ffe8a63e0b') });
    assert.equal(
      hex(token),
      'd08343a1010aa2044c53796d6d6574726963313238054d99a0d7846e762c49ff' +
        'e8a63e0b5858b918a11fd81e438b7f973d9e2e119bcb22424ba0f38a80f27562' +
        'f400ee1d0d6c0fdb559c02421fd384fc2ebe22d7071378b0ea7428fff157444d' +
        '45f7e6afcda1aae5f6495830c58627087fc5b4974f319a8707a635dd643b',
    );
  });

  it('gives the same bytes for the same claims and key (Mac0 and Sign1 EdDSA)', () => {
    const claims: NetworkClaims = { bip: '2001:db8::/64', srv: 'voice', exp: 1700000000, nti: 42, iss: 'op' };
    const reordered: NetworkClaims = { iss: 'op', nti: 42, exp: 1700000000, srv: 'voice', bip: '2001:db8::/64' };
    const mac = keygen('HMAC 256/64', 'm').privateJwk;
    const ed = keygen('EdDSA', 's').privateJwk;
    assert.equal(hex(mintToken(claims, { key: mac })), hex(mintToken(reordered, { key: mac })));
    assert.equal(hex(mintToken(claims, { key: ed })), hex(mintToken(reordered, { key: ed })));
  });

  for (const [name, tagLen] of [['HMAC 256/64', 8], ['HMAC 256/256', 32]] as const) {
    it(`tags a ${name} Mac0 with HMAC-SHA256 over the MAC_structure, truncated to ${tagLen} bytes`, () => {
      const { privateJwk } = keygen(name, 'mac-key');
      const token = mintToken(smallClaims, { key: privateJwk, descriptor: 0xb00f });
      const msg = decodeToken(token);
      assert.equal(msg.tag, 17);
      const [protectedBstr, unprotected, payload, tag] = msg.value;
      assert.deepEqual(decode(protectedBstr), new Map([[1, algByName[name]]]));
      assert.equal(Buffer.from(unprotected.get(4)).toString(), 'mac-key');
      assert.equal(hex(payload), hex(encodeClaims(smallClaims)));
      const macStructure = cborxEncode(['MAC0', protectedBstr, empty, payload]);
      const expected = createHmac('sha256', b64u(privateJwk.k)).update(macStructure).digest().subarray(0, tagLen);
      assert.equal(hex(tag), hex(expected));
    });
  }

  it('signs a Sign1 EdDSA over the Sig_structure so node:crypto verifies it', () => {
    const { privateJwk, publicJwk } = keygen('EdDSA', 'ed-key');
    const msg = decodeToken(mintToken(smallClaims, { key: privateJwk }));
    assert.equal(msg.tag, 18);
    const [protectedBstr, unprotected, payload, signature] = msg.value;
    assert.deepEqual(decode(protectedBstr), new Map([[1, -8]]));
    assert.equal(Buffer.from(unprotected.get(4)).toString(), 'ed-key');
    assert.equal(signature.length, 64);
    const toBeSigned = cborxEncode(['Signature1', protectedBstr, empty, payload]);
    assert.ok(nodeVerify(null, toBeSigned, createPublicKey({ key: publicJwk as any, format: 'jwk' }), signature));
  });

  it('signs a Sign1 ES256 as a 64-byte r||s that node:crypto verifies', () => {
    const { privateJwk, publicJwk } = keygen('ES256', 'ec-key');
    const msg = decodeToken(mintToken(smallClaims, { key: privateJwk }));
    assert.equal(msg.tag, 18);
    const [protectedBstr, , payload, signature] = msg.value;
    assert.deepEqual(decode(protectedBstr), new Map([[1, -7]]));
    assert.equal(signature.length, 64);
    const toBeSigned = cborxEncode(['Signature1', protectedBstr, empty, payload]);
    const key = createPublicKey({ key: publicJwk as any, format: 'jwk' });
    assert.ok(nodeVerify('sha256', toBeSigned, { key, dsaEncoding: 'ieee-p1363' }, signature));
  });

  it('encrypts an Encrypt0 AES-CCM-16-64-128 so an independent RFC 3610 computation decrypts it', () => {
    const { privateJwk } = keygen('AES-CCM-16-64-128', 'ccm-key');
    const msg = decodeToken(mintToken(smallClaims, { key: privateJwk }));
    assert.equal(msg.tag, 16);
    const [protectedBstr, unprotected, ciphertext] = msg.value;
    assert.deepEqual(decode(protectedBstr), new Map([[1, 10]]));
    assert.equal(Buffer.from(unprotected.get(4)).toString(), 'ccm-key');
    const iv = unprotected.get(5);
    assert.equal(iv.length, 13);
    const aad = cborxEncode(['Encrypt0', protectedBstr, empty]);
    const plain = ccmDecrypt(b64u(privateJwk.k), iv, aad, ciphertext, 8);
    assert.equal(hex(plain), hex(encodeClaims(smallClaims)));
  });

  it('encrypts an Encrypt0 A128GCM with the Enc_structure as AAD and a 12-byte IV', () => {
    const { privateJwk } = keygen('A128GCM', 'gcm-key');
    const msg = decodeToken(mintToken(smallClaims, { key: privateJwk }));
    assert.equal(msg.tag, 16);
    const [protectedBstr, unprotected, ciphertext] = msg.value;
    assert.deepEqual(decode(protectedBstr), new Map([[1, 1]]));
    const iv = unprotected.get(5);
    assert.equal(iv.length, 12);
    const dec = createDecipheriv('aes-128-gcm', b64u(privateJwk.k), iv);
    dec.setAAD(cborxEncode(['Encrypt0', protectedBstr, empty]));
    dec.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
    const plain = Buffer.concat([dec.update(ciphertext.subarray(0, ciphertext.length - 16)), dec.final()]);
    assert.equal(hex(plain), hex(encodeClaims(smallClaims)));
  });

  it('nests: an Encrypt0 decrypts to a tagged Sign1 whose signature verifies', () => {
    const signer = keygen('EdDSA', 'signer');
    const { privateJwk: encKey } = keygen('AES-CCM-16-64-128', 'enc');
    const token = mintToken(smallClaims, { key: encKey, inner: { key: signer.privateJwk } });
    const outer = decodeToken(token);
    assert.equal(outer.tag, 16);
    const [protectedBstr, unprotected, ciphertext] = outer.value;
    assert.equal(Buffer.from(unprotected.get(4)).toString(), 'enc');
    const aad = cborxEncode(['Encrypt0', protectedBstr, empty]);
    const inner = decode(ccmDecrypt(b64u(encKey.k), unprotected.get(5), aad, ciphertext, 8));
    assert.ok(inner instanceof Tag);
    assert.equal(inner.tag, 18);
    const [innerProtected, innerUnprotected, payload, signature] = inner.value;
    assert.equal(Buffer.from(innerUnprotected.get(4)).toString(), 'signer');
    assert.equal(hex(payload), hex(encodeClaims(smallClaims)));
    const toBeSigned = cborxEncode(['Signature1', innerProtected, empty, payload]);
    assert.ok(ed25519.verify(signature, toBeSigned, b64u(signer.publicJwk.x)));
  });

  it('puts the kid in the protected header when asked, leaving the unprotected header empty', () => {
    const msg = decode(mintToken({ exp: 1 }, { key: fixedHmacKey, header: false, kidInProtected: true }));
    const [protectedBstr, unprotected] = msg.value;
    assert.equal(hex(protectedBstr), 'a2010404' + '4161');
    assert.equal(unprotected.size, 0);
  });

  it('leaves the COSE tag off when asked, and wraps in CWT tag 61 when asked', () => {
    const untagged = mintToken({ exp: 1 }, { key: fixedHmacKey, header: false, coseTag: false });
    assert.equal(untagged[0], 0x84);
    const cwt = mintToken({ exp: 1 }, { key: fixedHmacKey, header: false, cwtTag: true });
    assert.equal(hex(cwt.subarray(0, 3)), 'd83dd1');
    const withHeader = mintToken({ exp: 1 }, { key: fixedHmacKey, cwtTag: true });
    assert.equal(hex(withHeader.subarray(4)), hex(cwt));
  });

  it('rejects options that cannot give a valid token', () => {
    const ed = keygen('EdDSA', 'e').privateJwk;
    const ccm = keygen('AES-CCM-16-64-128', 'c').privateJwk;
    throwsCode(() => mintToken({}, { key: fixedHmacKey, type: 'sign1' }), 'ERR_ISSUER_OPTION_INVALID');
    throwsCode(() => mintToken({}, { key: fixedHmacKey, coseTag: false, cwtTag: true }), 'ERR_ISSUER_OPTION_INVALID');
    throwsCode(() => mintToken({}, { key: ccm, iv: new Uint8Array(12) }), 'ERR_ISSUER_OPTION_INVALID');
    throwsCode(() => mintToken({}, { key: fixedHmacKey, iv: new Uint8Array(13) }), 'ERR_ISSUER_OPTION_INVALID');
    throwsCode(() => mintToken({}, { key: ed, inner: { key: fixedHmacKey } }), 'ERR_ISSUER_OPTION_INVALID');
    throwsCode(() => mintToken({}, { key: ccm, inner: { key: ccm } }), 'ERR_ISSUER_OPTION_INVALID');
  });

  it('rejects a key that is incomplete or inconsistent', () => {
    const ed = keygen('EdDSA', 'e');
    const other = keygen('EdDSA', 'e');
    throwsCode(() => mintToken({}, { key: ed.publicJwk }), 'ERR_ISSUER_KEY_INVALID');
    throwsCode(() => mintToken({}, { key: { ...ed.privateJwk, x: other.publicJwk.x } }), 'ERR_ISSUER_KEY_INVALID');
    throwsCode(() => mintToken({}, { key: { ...fixedHmacKey, k: 'AAAA' } }), 'ERR_ISSUER_KEY_INVALID');
    throwsCode(() => mintToken({}, { key: { ...fixedHmacKey, kty: 'EC' } }), 'ERR_ISSUER_KEY_INVALID');
    throwsCode(() => mintToken({}, { key: { ...fixedHmacKey, kid: '' } }), 'ERR_ISSUER_KEY_INVALID');
    throwsCode(() => mintToken({}, { key: { ...fixedHmacKey, alg: 'HS256' } }), 'ERR_ISSUER_ALG_UNSUPPORTED');
  });
});
