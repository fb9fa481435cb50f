/**
 * JOSE compact tokens (docs/abi.md, "JOSE tokens") through the TS host and
 * the release module: the RFC vectors of test/vectors/jose.json, round trips
 * with `jose` for every algorithm, the JWT claims as the core maps them, a
 * rejection per result code the JOSE path gives, hostile input (every answer
 * a result code, never a trap), configuration, and the packet path with the
 * first deployment's per-service descriptors.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { CompactEncrypt, CompactSign, exportJWK, generateKeyPair } from 'jose';
import { NtokError } from '../../src/host/verifier.js';
import { Gateway } from '../../src/host/gateway.js';
import { joseKeygen, mintJose, networkTokenHeader, type JoseClaims, type JoseKeyAlg, type Jwk } from '../../src/issuer/index.js';
import { ipv4, udp, stun } from '../support/packets.js';
import { Verifier, concat, fastestCrypto, nobleCrypto, readRepoJson, utf8, type CryptoProvider, type VerifyResult } from './helpers.js';

const NOW = 1_700_000_000;
const JOSE_HEADER = networkTokenHeader(0, 1);
const b64u = (b: Uint8Array | string): string => Buffer.from(typeof b === 'string' ? utf8(b) : b).toString('base64url');
const text = (t: Uint8Array): string => Buffer.from(t).toString('latin1');
/** Compact text behind the header 0x00000001. */
const behind = (compact: string): Uint8Array => concat(JOSE_HEADER, utf8(compact));

const ALGS: readonly JoseKeyAlg[] = ['A128CBC-HS256', 'A256CBC-HS512', 'A128GCM', 'A256GCM', 'HS256', 'ES256', 'EdDSA'];
/** One key per algorithm, kid = the alg's name. */
const KEYS = Object.fromEntries(ALGS.map((a) => [a, joseKeygen(a, a)])) as Record<JoseKeyAlg, ReturnType<typeof joseKeygen>>;
const PUBLIC = ALGS.map((a) => KEYS[a].publicJwk);
const octKey = (alg: JoseKeyAlg): Uint8Array => new Uint8Array(Buffer.from(KEYS[alg].privateJwk.k!, 'base64url'));

function joseConfig(keys: Jwk[] = PUBLIC, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { descriptors: [{ id: 1, format: 'jose', keyset: 'jose' }], keysets: { jose: { keys } }, ...extra };
}

const CLAIMS: JoseClaims = { exp: NOW + 3600, nti: 4711, sid: 7, bip: '192.0.2.7' };

let verifier: Verifier;
before(async () => {
  verifier = await Verifier.open(joseConfig());
});

const verify = (token: Uint8Array, now = NOW): VerifyResult => verifier.verify(token, { now });
const mint = (claims: JoseClaims, alg: JoseKeyAlg, opts: Record<string, unknown> = {}) => mintJose(claims, { key: KEYS[alg].privateJwk, ...opts });

// ---------------------------------------------------------------------------
// Tokens built by hand, for what `jose` will not produce.

/** A JWS HS256 over the exact header and payload bytes given. */
function jwsHs256(header: string | Uint8Array, payload: string | Uint8Array, key = octKey('HS256')): string {
  const input = `${b64u(header)}.${b64u(payload)}`;
  return `${input}.${b64u(createHmac('sha256', key).update(input).digest())}`;
}

/**
 * A JWE dir A128CBC-HS256 (RFC 7518 §5.2.2.1) of `plaintext` under a 32-byte
 * key; `pad` false leaves the padding to the caller (whole blocks).
 */
function jweCbc(header: string, plaintext: Uint8Array, opts: { key?: Uint8Array; iv?: Uint8Array; pad?: boolean; tag?: (t: Uint8Array) => Uint8Array } = {}): string {
  const key = opts.key ?? octKey('A128CBC-HS256');
  const iv = opts.iv ?? new Uint8Array(randomBytes(16));
  const c = createCipheriv('aes-128-cbc', key.subarray(16), iv).setAutoPadding(opts.pad ?? true);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  const aad = Buffer.from(b64u(header), 'ascii');
  const al = Buffer.alloc(8);
  al.writeBigUInt64BE(BigInt(aad.length * 8));
  let tag: Uint8Array = createHmac('sha256', key.subarray(0, 16)).update(Buffer.concat([aad, iv, ct, al])).digest().subarray(0, 16);
  if (opts.tag) tag = opts.tag(tag);
  return `${b64u(header)}..${b64u(iv)}.${b64u(ct)}.${b64u(tag)}`;
}

const DIR = '{"alg":"dir","enc":"A128CBC-HS256","kid":"A128CBC-HS256"}';
const HS = '{"alg":"HS256","kid":"HS256"}';
/** The claims JSON in a JWS HS256: the payload is authentic whatever it holds. */
const signed = (payload: string | Uint8Array, header: string | Uint8Array = HS) => behind(jwsHs256(header, payload));

/** Character `at` of part `part` (0-based) of the compact text replaced by `c`, or by another letter. */
function alter(compact: string, part: number, at: number, c?: string): string {
  const parts = compact.split('.');
  const p = parts[part];
  const i = at < 0 ? p.length + at : at;
  parts[part] = p.slice(0, i) + (c ?? (p[i] === 'A' ? 'B' : 'A')) + p.slice(i + 1);
  return parts.join('.');
}

// ---------------------------------------------------------------------------

interface Vector {
  name: string;
  token: string;
  now: number;
  keys: Jwk[];
  expect: Partial<VerifyResult> & { ok: boolean; code: string };
}

describe('JOSE vectors (test/vectors/jose.json: RFC 7515 A.1, A.3, RFC 8037 A.4, RFC 7516 A.3 and B)', () => {
  const vectors = readRepoJson<Vector[]>('test/vectors/jose.json');
  const providers: Array<[string, () => Promise<CryptoProvider>]> = [['nobleCrypto', async () => nobleCrypto], ['fastestCrypto', fastestCrypto]];

  for (const v of vectors) {
    it(`${v.name}: ${v.expect.code}, the same JSON through both providers`, async () => {
      const texts: string[] = [];
      for (const [, crypto] of providers) {
        const ver = await Verifier.open(joseConfig(v.keys), { crypto: await crypto() });
        const json = ver.verifyJson(behind(v.token), { now: v.now });
        const r = JSON.parse(json) as Record<string, unknown>;
        for (const [field, want] of Object.entries(v.expect)) assert.deepEqual(r[field], want, `${v.name}: ${field}`);
        assert.equal(r.descriptor, 1);
        texts.push(json);
      }
      assert.equal(texts[1], texts[0]);
    });
  }
});

describe('round trips with jose', () => {
  for (const alg of ALGS) {
    it(`verifies a ${alg} token minted by jose, with its claims, kid and alg`, async () => {
      const r = verify(await mint({ ...CLAIMS, iss: 'op', aud: ['gw', 'x'] }, alg));
      assert.equal(r.code, 'ok', JSON.stringify(r));
      assert.deepEqual(r.claims, { iss: 'op', aud: ['gw', 'x'], exp: NOW + 3600, nti: 4711, sid: 7, bip: '192.0.2.7' });
      assert.equal(r.kid, alg);
      const jwe = !['HS256', 'ES256', 'EdDSA'].includes(alg);
      assert.equal(r.alg, jwe ? 'dir' : alg);
      assert.equal(r.enc, jwe ? alg : undefined);
    });

    it(`gives the same JSON for a ${alg} token through the noble and the fastest provider`, async () => {
      const token = await mint(CLAIMS, alg);
      const a = await Verifier.open(joseConfig(), { crypto: nobleCrypto });
      const b = await Verifier.open(joseConfig(), { crypto: await fastestCrypto() });
      assert.equal(a.verifyJson(token, { now: NOW }), b.verifyJson(token, { now: NOW }));
      assert.equal(a.inspectJson(token), b.inspectJson(token));
    });

    it(`refuses a ${alg} token whose last part is altered`, async () => {
      const compact = text(await mint(CLAIMS, alg, { header: false }));
      const r = verify(behind(alter(compact, compact.split('.').length - 1, 2)));
      const want = alg === 'HS256' || alg.includes('CBC') ? 'bad-mac' : alg.includes('GCM') ? 'decrypt-failed' : 'bad-signature';
      assert.equal(r.code, want);
      assert.equal(r.claims, undefined);
    });
  }

  it('verifies a JWS signed by jose with a key jose generated (ES256, EdDSA)', async () => {
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const { publicKey, privateKey } = await generateKeyPair(alg, { crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
      const jwk = { ...(await exportJWK(publicKey)), kid: 'j', alg } as unknown as Jwk;
      const compact = await new CompactSign(utf8(JSON.stringify(CLAIMS))).setProtectedHeader({ alg, kid: 'j' }).sign(privateKey);
      const v = await Verifier.open(joseConfig([jwk]));
      assert.equal(v.verify(behind(compact), { now: NOW }).code, 'ok');
    }
  });

  it('verifies a JWE without kid with the key set\'s only key for its enc', async () => {
    const compact = await new CompactEncrypt(utf8(JSON.stringify(CLAIMS))).setProtectedHeader({ alg: 'dir', enc: 'A128CBC-HS256' }).encrypt(octKey('A128CBC-HS256'));
    const r = verify(behind(compact));
    assert.equal(r.code, 'ok');
    assert.equal(r.kid, 'A128CBC-HS256');
  });

  it('takes the reflect type and descriptor from the 4-byte header', async () => {
    const v = await Verifier.open({ descriptors: [{ id: 0x10001, format: 'jose', keyset: 'j' }], keysets: { j: { keys: PUBLIC } } });
    const r = v.verify(await mint(CLAIMS, 'A128CBC-HS256', { descriptor: 0x10001, reflect: 1 }), { now: NOW });
    assert.deepEqual([r.code, r.descriptor, r.reflect], ['ok', 0x10001, 1]);
  });

  it('inspects a JWE: its one layer, and the claims when a key fits', async () => {
    const token = await mint(CLAIMS, 'A128CBC-HS256');
    const i = verifier.inspect(token) as { code: string; layers: Array<Record<string, unknown>>; claims?: unknown; encrypted?: boolean };
    assert.equal(i.code, 'ok');
    assert.equal(i.layers.length, 1);
    const compact = text(token.subarray(4)).split('.');
    assert.deepEqual(i.layers[0], {
      type: 'jwe', kid: 'A128CBC-HS256', alg: 'dir', enc: 'A128CBC-HS256',
      iv: Buffer.from(compact[2], 'base64url').toString('hex'),
      protected: Buffer.from(compact[0], 'base64url').toString('hex'),
      payload_bytes: Buffer.from(compact[3], 'base64url').length, tag_bytes: 16,
    });
    assert.deepEqual(i.claims, { exp: NOW + 3600, nti: 4711, sid: 7, bip: '192.0.2.7' });
    const stranger = await Verifier.open(joseConfig([KEYS.HS256.publicJwk]));
    const j = stranger.inspect(token) as { code: string; claims?: unknown; encrypted?: boolean };
    assert.deepEqual([j.code, j.claims, j.encrypted], ['ok', undefined, true]);
  });

  it('inspects a JWS without its key, and shows the signature length', async () => {
    const stranger = await Verifier.open(joseConfig([KEYS.HS256.publicJwk]));
    const i = stranger.inspect(await mint(CLAIMS, 'EdDSA')) as { code: string; layers: Array<Record<string, unknown>>; claims?: unknown };
    assert.equal(i.code, 'ok');
    assert.equal(i.layers[0].type, 'jws');
    assert.equal(i.layers[0].tag_bytes, 64);
    assert.deepEqual(i.claims, { exp: NOW + 3600, nti: 4711, sid: 7, bip: '192.0.2.7' });
  });
});

describe('JWT claims as the core reads them', () => {
  const claimsOf = (payload: string) => verify(signed(payload)).claims;

  it('reads jti as the token id cti: the UTF-8 bytes of the string, in hex', () => {
    assert.deepEqual(claimsOf('{"jti":"abc"}'), { cti: '616263' });
  });

  it('ignores a member named cti (JSON has no byte strings) and other claims it does not know', () => {
    assert.deepEqual(claimsOf('{"cti":"0b71","x":{"y":[1,2]},"sid":1}'), { sid: 1 });
  });

  it('reads nti as an integer, or a string as its UTF-8 bytes', () => {
    assert.deepEqual(claimsOf('{"nti":12345}'), { nti: 12345 });
    assert.deepEqual(claimsOf('{"nti":"0b71"}'), { nti: '30623731' });
  });

  it('reads srv as text or integer, sid as integer', () => {
    assert.deepEqual(claimsOf('{"srv":"video","sid":9}'), { srv: 'video', sid: 9 });
    assert.deepEqual(claimsOf('{"srv":3}'), { srv: 3 });
  });

  it('reads bip as IPv4 or IPv6 text, with or without /prefix', () => {
    assert.deepEqual(claimsOf('{"bip":"10.0.0.2"}'), { bip: '10.0.0.2' });
    assert.deepEqual(claimsOf('{"bip":"2001:DB8::1"}'), { bip: '2001:db8::1' });
    assert.deepEqual(claimsOf('{"bip":"2001:db8:5::/64"}'), { bip: '2001:db8:5::/64' });
    assert.deepEqual(claimsOf('{"bip":"192.0.2.0/24"}'), { bip: '192.0.2.0/24' });
  });

  it('reads NumericDates with a fraction as floats, and negative ones', () => {
    assert.deepEqual(claimsOf('{"iat":1699999999.25,"nbf":-5}'), { iat: 1699999999.25, nbf: -5 });
  });

  it('reads escaped names and values as the strings they spell', () => {
    assert.deepEqual(claimsOf('{"\\u0069ss":"\\u00e9\\ud83d\\ude00","aud":"g\\/w"}'), { iss: 'é😀', aud: 'g/w' });
  });

  it('revokes by nti, by the hex of a string nti, and by the hex of jti', async () => {
    const v = await Verifier.open(joseConfig(PUBLIC, { revoked: [5, '30623731', '616263'] }));
    for (const p of ['{"nti":5}', '{"nti":"0b71"}', '{"jti":"abc"}']) assert.equal(v.verify(signed(p), { now: NOW }).code, 'revoked', p);
    assert.equal(v.verify(signed('{"nti":6,"jti":"abd"}'), { now: NOW }).code, 'ok');
  });
});

// ---------------------------------------------------------------------------

interface Case {
  behaviour: string;
  run: () => Promise<string> | string;
}

async function codeUnder(extra: Record<string, unknown>, token: Uint8Array, keys: Jwk[] = PUBLIC): Promise<string> {
  const v = await Verifier.open(joseConfig(keys, extra));
  return v.verify(token, { now: NOW }).code;
}

async function codeWith(crypto: Partial<CryptoProvider>, token: Uint8Array): Promise<string> {
  const base = await fastestCrypto();
  const v = await Verifier.open(joseConfig(), { crypto: { ...base, ...crypto, name: 'flaky' } });
  return v.verify(token, { now: NOW }).code;
}

const CASES: Record<string, Case[]> = {
  malformed: [
    { behaviour: 'rejects compact text of two parts', run: () => verify(behind('eyJhbGciOiJIUzI1NiJ9.e30')).code },
    { behaviour: 'rejects compact text of four and of six parts', run: () => [verify(behind('a.b.c.d')).code, verify(behind('a.b.c.d.e.f')).code].every((c) => c === 'malformed') ? 'malformed' : 'no' },
    { behaviour: 'rejects a header with a character outside base64url', run: () => verify(behind(alter(jwsHs256(HS, '{}'), 0, 3, '+'))).code },
    { behaviour: 'rejects base64url with padding', run: async () => verify(behind(text(await mint(CLAIMS, 'HS256', { header: false })).replace('.', '=.'))).code },
    { behaviour: 'rejects a header that is not JSON', run: () => verify(signed('{}', '{"alg":"HS256",}')).code },
    { behaviour: 'rejects a header that is a JSON array', run: () => verify(signed('{}', '["HS256"]')).code },
    { behaviour: 'rejects a header without alg', run: () => verify(signed('{}', '{"kid":"HS256"}')).code },
    { behaviour: 'rejects a JWE header without enc', run: () => verify(behind(jweCbc('{"alg":"dir"}', utf8('{}')))).code },
    { behaviour: 'rejects a numeric alg and a numeric kid', run: () => [verify(signed('{}', '{"alg":5}')).code, verify(signed('{}', '{"alg":"HS256","kid":1}')).code].every((c) => c === 'malformed') ? 'malformed' : 'no' },
    { behaviour: 'rejects a duplicate header member', run: () => verify(signed('{}', '{"alg":"HS256","alg":"HS256"}')).code },
    { behaviour: 'rejects an empty crit', run: () => verify(signed('{}', '{"alg":"HS256","crit":[]}')).code },
    { behaviour: 'rejects a dir JWE with an encrypted key', run: () => verify(behind(jweCbc(DIR, utf8('{}')).replace('..', '.AAAA.'))).code },
    { behaviour: 'rejects a 15-byte CBC IV', run: () => verify(behind(jweCbc(DIR, utf8('{}'), { iv: new Uint8Array(16) }).replace(`.${b64u(new Uint8Array(16))}.`, `.${b64u(new Uint8Array(15))}.`))).code },
    { behaviour: 'rejects non-zero leftover bits in the last base64url character', run: () => verify(behind(alter(jwsHs256(HS, '{}'), 1, -1, 'B'))).code },
  ],
  'too-large': [
    { behaviour: 'rejects a JOSE token of 2049 bytes', run: () => verify(signed(`{"x":"${'a'.repeat(1500)}"}`)).code },
  ],
  'unsupported-alg': [
    { behaviour: 'rejects alg none', run: () => verify(behind(`${b64u('{"alg":"none"}')}.${b64u('{}')}.`)).code },
    { behaviour: 'rejects HS384 and RS256', run: () => [verify(signed('{}', '{"alg":"HS384"}')).code, verify(signed('{}', '{"alg":"RS256"}')).code].every((c) => c === 'unsupported-alg') ? 'unsupported-alg' : 'no' },
    { behaviour: 'rejects a JWE with key wrapping (A128KW), not dir', run: () => verify(behind(jweCbc('{"alg":"A128KW","enc":"A128CBC-HS256"}', utf8('{}')))).code },
    { behaviour: 'rejects enc A192GCM', run: () => verify(behind(jweCbc('{"alg":"dir","enc":"A192GCM"}', utf8('{}')))).code },
    { behaviour: 'rejects a compressed JWE (zip)', run: () => verify(behind(jweCbc('{"alg":"dir","enc":"A128CBC-HS256","zip":"DEF"}', utf8('{}')))).code },
    { behaviour: 'rejects a JWS whose alg is dir', run: () => verify(signed('{}', '{"alg":"dir"}')).code },
  ],
  'unknown-kid': [
    { behaviour: 'rejects a kid no key has', run: () => verify(signed('{}', '{"alg":"HS256","kid":"nope"}')).code },
    { behaviour: 'rejects a kid-less token when two keys have its alg', run: () => codeUnder({}, signed('{}', '{"alg":"HS256"}'), [KEYS.HS256.publicJwk, { ...KEYS.HS256.publicJwk, kid: 'second' }]) },
  ],
  'alg-mismatch': [
    { behaviour: 'rejects an HS256 token under the kid of an A128CBC-HS256 key', run: () => verify(signed('{}', '{"alg":"HS256","kid":"A128CBC-HS256"}')).code },
    { behaviour: 'rejects an A256GCM JWE under the kid of an A128GCM key', run: () => verify(behind(jweCbc('{"alg":"dir","enc":"A256GCM","kid":"A128GCM"}', utf8('{}')))).code },
  ],
  'bad-mac': [
    { behaviour: 'rejects a JWE whose tag is altered', run: () => verify(behind(jweCbc(DIR, utf8('{}'), { tag: (t) => { t[0] ^= 1; return t; } }))).code },
    { behaviour: 'rejects a JWE whose ciphertext is altered (the MAC is checked before decryption)', run: () => verify(behind(alter(jweCbc(DIR, utf8(JSON.stringify(CLAIMS))), 3, 5))).code },
    { behaviour: 'rejects a JWE whose header is altered (the AAD)', run: () => { const t = jweCbc(DIR, utf8('{}')).split('.'); t[0] = b64u('{"alg":"dir","enc":"A128CBC-HS256","kid":"A128CBC-HS256" }'); return verify(behind(t.join('.'))).code; } },
    { behaviour: 'rejects a JWE with a truncated 15-byte tag', run: () => verify(behind(jweCbc(DIR, utf8('{}'), { tag: (t) => t.subarray(0, 15) }))).code },
    { behaviour: 'rejects an A256CBC-HS512 JWE with the tag of A128CBC-HS256\'s length', run: async () => { const t = text(await mint(CLAIMS, 'A256CBC-HS512', { header: false })).split('.'); t[4] = b64u(Buffer.from(t[4], 'base64url').subarray(0, 16)); return verify(behind(t.join('.'))).code; } },
    { behaviour: 'rejects an HS256 JWS whose payload is altered', run: () => verify(behind(alter(jwsHs256(HS, '{"sid":1}'), 1, 2))).code },
  ],
  'bad-signature': [
    { behaviour: 'rejects an EdDSA JWS signed by another key', run: async () => verify(await mintJose(CLAIMS, { key: { ...joseKeygen('EdDSA', 'x').privateJwk, kid: 'EdDSA' } })).code },
    { behaviour: 'rejects an ES256 JWS with a 63-byte signature', run: async () => { const t = text(await mint(CLAIMS, 'ES256', { header: false })).split('.'); t[2] = b64u(Buffer.from(t[2], 'base64url').subarray(0, 63)); return verify(behind(t.join('.'))).code; } },
  ],
  'decrypt-failed': [
    { behaviour: 'rejects an A128GCM JWE whose tag is altered', run: async () => verify(behind(alter(text(await mint(CLAIMS, 'A128GCM', { header: false })), 4, 1))).code },
    { behaviour: 'rejects an authentic CBC JWE whose padding is bad (a zero pad byte)', run: () => verify(behind(jweCbc(DIR, concat(utf8('{"sid":1}'), new Uint8Array(7)), { pad: false }))).code },
    { behaviour: 'rejects an authentic CBC JWE whose pad bytes differ', run: () => verify(behind(jweCbc(DIR, concat(utf8('{"sid":1}'), Uint8Array.of(1, 7, 7, 7, 7, 7, 7)), { pad: false }))).code },
    { behaviour: 'rejects an authentic CBC JWE whose padding claims 17 bytes', run: () => verify(behind(jweCbc(DIR, concat(utf8('{"sid":1,"a":1}'), Uint8Array.of(17)), { pad: false }))).code },
    { behaviour: 'rejects an authentic CBC JWE with no ciphertext', run: () => { const t = jweCbc(DIR, utf8('{}')).split('.'); const key = octKey('A128CBC-HS256'); const iv = Buffer.from(t[2], 'base64url'); const aad = Buffer.from(t[0], 'ascii'); const al = Buffer.alloc(8); al.writeBigUInt64BE(BigInt(aad.length * 8)); t[3] = ''; t[4] = b64u(createHmac('sha256', key.subarray(0, 16)).update(Buffer.concat([aad, iv, al])).digest().subarray(0, 16)); return verify(behind(t.join('.'))).code; } },
  ],
  expired: [{ behaviour: 'rejects a JWE whose exp + leeway has passed', run: async () => verify(await mint({ exp: NOW - 61 }, 'A128CBC-HS256')).code }],
  'not-yet-valid': [{ behaviour: 'rejects a JWS whose nbf - leeway is ahead', run: async () => verify(await mint({ nbf: NOW + 61 }, 'ES256')).code }],
  'issued-in-future': [{ behaviour: 'rejects a JWS whose iat is beyond now + leeway', run: async () => verify(await mint({ iat: NOW + 61 }, 'EdDSA')).code }],
  revoked: [{ behaviour: 'rejects a JWE whose nti is revoked', run: async () => codeUnder({ revoked: [4711] }, await mint(CLAIMS, 'A128CBC-HS256')) }],
  'wrong-issuer': [{ behaviour: 'rejects an iss not in issuers', run: async () => codeUnder({ issuers: ['op'] }, await mint({ iss: 'other' }, 'HS256')) }],
  'wrong-audience': [{ behaviour: 'rejects an aud array none of whose entries is accepted', run: async () => codeUnder({ audiences: ['gw'] }, await mint({ aud: ['a', 'b'] }, 'HS256')) }],
  'missing-claim': [{ behaviour: 'rejects a token without bip when bip is required', run: async () => codeUnder({ require: ['bip'] }, await mint({ exp: NOW + 60 }, 'A256GCM')) }],
  'bad-claim': [
    { behaviour: 'rejects a text exp', run: () => verify(signed('{"exp":"1700000000"}')).code },
    { behaviour: 'rejects an exp of 2^64 (not exact in a double, beyond 2^53)', run: () => verify(signed('{"exp":18446744073709551616}')).code },
    { behaviour: 'rejects an nti of 2^64 (beyond any CBOR integer), a negative and a fractional nti', run: () => [verify(signed('{"nti":18446744073709551616}')).code, verify(signed('{"nti":-1}')).code, verify(signed('{"nti":1.5}')).code].every((c) => c === 'bad-claim') ? 'bad-claim' : 'no' },
    { behaviour: 'rejects an exp of 1e308 and a negative sid', run: () => [verify(signed('{"exp":1e308}')).code, verify(signed('{"sid":-1}')).code].every((c) => c === 'bad-claim') ? 'bad-claim' : 'no' },
    { behaviour: 'rejects a bip that is no address, or whose prefix is too long', run: () => [verify(signed('{"bip":"192.0.2.256"}')).code, verify(signed('{"bip":"10.0.0.0/33"}')).code].every((c) => c === 'bad-claim') ? 'bad-claim' : 'no' },
    { behaviour: 'rejects an object, a boolean and a null where a claim needs text', run: () => ['{"iss":{}}', '{"sub":true}', '{"aud":null}'].map((p) => verify(signed(p)).code).every((c) => c === 'bad-claim') ? 'bad-claim' : 'no' },
    { behaviour: 'rejects an aud array with a number, an empty one and one of 17', run: () => ['{"aud":["a",1]}', '{"aud":[]}', `{"aud":${JSON.stringify(Array.from({ length: 17 }, (_, i) => `a${i}`))}}`].map((p) => verify(signed(p)).code).every((c) => c === 'bad-claim') ? 'bad-claim' : 'no' },
  ],
  'not-cwt': [
    { behaviour: 'rejects an authentic payload that is not JSON', run: () => verify(signed('Live long and prosper.')).code },
    { behaviour: 'rejects an authentic payload that is a JSON array, a string, a number', run: () => ['[1]', '"x"', '5'].map((p) => verify(signed(p)).code).every((c) => c === 'not-cwt') ? 'not-cwt' : 'no' },
    { behaviour: 'rejects an authentic payload with a bad escape, invalid UTF-8, trailing bytes', run: () => [utf8('{"iss":"\\x"}'), concat(utf8('{"iss":"'), Uint8Array.of(0xc3, 0x28), utf8('"}')), utf8('{} x')].map((p) => verify(signed(p)).code).every((c) => c === 'not-cwt') ? 'not-cwt' : 'no' },
    { behaviour: 'rejects a nested JWT (cty JWT: not unwrapped)', run: async () => verify(behind(jweCbc('{"alg":"dir","enc":"A128CBC-HS256","cty":"JWT"}', utf8(jwsHs256(HS, '{"sid":1}'))))).code },
  ],
  'unsupported-format': [
    { behaviour: 'rejects the flattened JSON serialization of a JWS', run: () => verify(behind(`{"protected":"${b64u(HS)}","payload":"e30","signature":"AAAA"}`)).code },
  ],
  'unknown-critical': [
    { behaviour: 'rejects crit naming an extension', run: () => verify(signed('{}', '{"alg":"HS256","crit":["exp"],"exp":1}')).code },
    { behaviour: 'rejects crit naming b64 (RFC 7797: ntok signs the encoded payload only)', run: () => verify(signed('{}', '{"alg":"HS256","b64":false,"crit":["b64"]}')).code },
  ],
  'limit-exceeded': [
    { behaviour: 'rejects a header nested 300 deep', run: () => verify(signed('{}', `{"alg":"HS256","x":${'['.repeat(300)}${']'.repeat(300)}}`)).code },
    { behaviour: 'rejects an authentic payload nested 9 deep', run: () => verify(signed(`{"x":${'['.repeat(8)}${']'.repeat(8)}}`)).code },
  ],
  'unknown-descriptor': [{ behaviour: 'rejects descriptor 0x10001 when only 0x1 is configured', run: async () => verify(await mint(CLAIMS, 'HS256', { descriptor: 0x10001 })).code }],
  'bad-header': [{ behaviour: 'rejects reflect type 3', run: async () => verify(concat(networkTokenHeader(3, 1), (await mint(CLAIMS, 'HS256')).subarray(4))).code }],
  'host-error': [
    { behaviour: 'reports host-error when HMAC-SHA512 throws', run: async () => codeWith({ hmacSha512: () => { throw new Error('no'); } }, await mint(CLAIMS, 'A256CBC-HS512')) },
    { behaviour: 'reports host-error when AES-CBC returns a short plaintext', run: async () => { const base = await fastestCrypto(); return codeWith({ aesCbcDecrypt: (k, iv, ct) => base.aesCbcDecrypt(k, iv, ct).subarray(16) }, await mint(CLAIMS, 'A128CBC-HS256')); } },
    { behaviour: 'reports host-error when HMAC-SHA256 throws for a JWS', run: async () => codeWith({ hmacSha256: () => { throw new Error('no'); } }, await mint(CLAIMS, 'HS256')) },
  ],
};

describe('JOSE result codes: a rejection per code the JOSE path gives', () => {
  it('covers every token code but ok, unexpected-type (COSE only), bad-config and the packet path\'s', () => {
    const packet = ['bad-packet', 'no-token', 'wrong-binding', 'rate-limited', 'unknown-service', 'washed', 'not-allowed', 'tag-too-large'];
    // unexpected-type is a COSE matter (the key set's expect); bad-config is configure's.
    const none = ['ok', 'unexpected-type', 'bad-config', ...packet];
    assert.deepEqual(Object.keys(CASES).sort(), verifier.resultCodes().filter((c) => !none.includes(c)).sort());
  });

  for (const [code, cases] of Object.entries(CASES)) {
    describe(code, () => {
      for (const c of cases) it(c.behaviour, async () => assert.equal(await c.run(), code));
    });
  }
});

// ---------------------------------------------------------------------------

describe('hostile JOSE input: a result code, never a trap, a hang or "ok"', () => {
  const CODES = new Set<string>();
  let good: Uint8Array;
  before(async () => {
    for (const c of verifier.resultCodes()) CODES.add(c);
    good = await mint(CLAIMS, 'A128CBC-HS256');
  });

  function refused(input: Uint8Array): string {
    const v = JSON.parse(verifier.verifyJson(input, { now: NOW })) as { ok: boolean; code: string; message?: string };
    const i = JSON.parse(verifier.inspectJson(input)) as { ok: boolean; code: string };
    assert.ok(CODES.has(v.code) && CODES.has(i.code), `${v.code} ${i.code}`);
    assert.equal(v.ok, false, `accepted: ${text(input)}`);
    assert.equal(typeof v.message, 'string');
    return v.code;
  }

  const stillWorks = () => assert.equal(verify(good).code, 'ok');

  it('refuses every prefix of a JWE and a JWS', async () => {
    for (const t of [good, await mint(CLAIMS, 'ES256')]) {
      for (let n = 0; n < t.length; n++) refused(t.subarray(0, n));
    }
    stillWorks();
  });

  it('refuses every part truncated by one to four characters', () => {
    const parts = text(good.subarray(4)).split('.');
    for (let p = 0; p < parts.length; p++) {
      for (let cut = 1; cut <= 4 && cut <= parts[p].length; cut++) {
        const q = [...parts];
        q[p] = q[p].slice(0, -cut);
        refused(behind(q.join('.')));
      }
    }
    stillWorks();
  });

  it('refuses every byte of the compact text replaced by a character outside base64url', () => {
    const t = text(good.subarray(4));
    for (const bad of ['=', '+', '/', ' ', '\u0000', '\u00ff']) {
      for (let i = 0; i < t.length; i += 7) {
        if (t[i] === '.') continue;
        const code = refused(concat(JOSE_HEADER, Buffer.from(t.slice(0, i) + bad + t.slice(i + 1), 'latin1')));
        assert.equal(code, 'malformed', `${JSON.stringify(bad)} at ${i}`);
      }
    }
    stillWorks();
  });

  it('refuses padding anywhere', () => {
    const parts = text(good.subarray(4)).split('.');
    for (let p = 0; p < parts.length; p++) {
      for (const pad of ['=', '==']) {
        const q = [...parts];
        q[p] += pad;
        assert.equal(refused(behind(q.join('.'))), 'malformed');
      }
    }
  });

  it('refuses dots: none, 1, 3, 5 to 2,000, and empty parts', () => {
    for (const s of ['', '.', '..', '...', '....', '.....', 'a', 'a.b', 'a.b.c.d', '.'.repeat(2000), 'e30.e30.e30.e30.e30.e30']) refused(behind(s));
    assert.equal(refused(behind(`${b64u(HS)}..`)), 'bad-mac');
    stillWorks();
  });

  it('refuses JSON nested 10,000 deep in the header (too large for a token) and as deep as 2 KiB allows', () => {
    assert.equal(refused(signed('{}', `${'['.repeat(10_000)}${']'.repeat(10_000)}`)), 'too-large');
    assert.equal(refused(signed('{}', `${'['.repeat(750)}`)), 'limit-exceeded');
    assert.equal(refused(signed('{}', `${'{"a":'.repeat(250)}`)), 'limit-exceeded');
    assert.equal(refused(signed(`${'['.repeat(1000)}`)), 'limit-exceeded');
    stillWorks();
  });

  it('refuses a header or claims set of more than 256 JSON values as limit-exceeded, and accepts 256', () => {
    const values = (n: number) => `[${Array(n).fill(0).join(',')}]`;
    assert.equal(refused(signed('{}', `{"alg":"HS256","kid":"HS256","x":${values(253)}}`)), 'limit-exceeded');
    assert.equal(verify(signed('{}', `{"alg":"HS256","kid":"HS256","x":${values(252)}}`)).code, 'ok');
    assert.equal(refused(signed(`{"x":${values(255)}}`)), 'limit-exceeded');
    assert.equal(verify(signed(`{"x":${values(254)}}`)).code, 'ok');
  });

  it('keeps its memory while it refuses thousands of distinct hostile headers (the JSON trees are collected)', async () => {
    const v = await Verifier.open(joseConfig());
    const pages = () => v.core.exports.memory.buffer.byteLength >> 16;
    const before = pages();
    for (let i = 0; i < 3000; i++) {
      const header = `{"alg":"HS256","x":[${Array(250).fill(0).join(',')}],"i":${i}}`;
      v.verifyJson(behind(`${b64u(header)}.e30.AAAA`), { now: NOW });
      v.inspectJson(behind(`${b64u(header)}.e30.AAAA`));
    }
    assert.ok(pages() <= before + 1, `${before} pages before, ${pages()} after`);
  });

  it('refuses huge numbers in the header and the claims', () => {
    for (const n of ['1e400', '-1e400', '9'.repeat(40), '1'.repeat(400), '0.' + '0'.repeat(100) + '1']) {
      refused(signed('{}', `{"alg":"HS256","x":${n}}`));
      refused(signed(`{"exp":${n}}`));
      refused(signed(`{"nti":${n}}`));
    }
    stillWorks();
  });

  it('refuses bad escapes, lone surrogates, raw control characters and invalid UTF-8 in the header', () => {
    const headers: Array<string | Uint8Array> = [
      '{"alg":"HS256","kid":"\\q"}', '{"alg":"HS256","kid":"\\u12"}', '{"alg":"HS256","kid":"\\ud800"}', '{"alg":"HS256","kid":"\\udc00x"}',
      '{"alg":"HS256","kid":"a\nb"}', '{"alg":"HS256","kid":"a\u0000"}',
      concat(utf8('{"alg":"HS256","kid":"'), Uint8Array.of(0xff), utf8('"}')),
      concat(utf8('{"alg":"HS256","kid":"'), Uint8Array.of(0xc0, 0xaf), utf8('"}')),
      concat(utf8('{"alg":"HS256","kid":"'), Uint8Array.of(0xed, 0xa0, 0x80), utf8('"}')),
      concat(utf8('{"alg":"HS256","kid":"'), Uint8Array.of(0xe2, 0x82), utf8('"}')),
    ];
    for (const h of headers) assert.equal(refused(signed('{}', h)), 'malformed', text(typeof h === 'string' ? utf8(h) : h));
    stillWorks();
  });

  it('refuses random compact-looking text and random mutations of a good JWE', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    for (let i = 0; i < 3000; i++) {
      const s = Array.from({ length: 1 + rand(300) }, () => alphabet[rand(alphabet.length)]).join('');
      refused(behind(`ey${s}`));
    }
    const t = good.subarray(4);
    for (let i = 0; i < 3000; i++) {
      const m = t.slice();
      for (let k = 0; k <= rand(3); k++) m[rand(m.length)] = alphabet.charCodeAt(rand(alphabet.length));
      if (Buffer.from(m).equals(Buffer.from(t))) continue;
      const r = JSON.parse(verifier.verifyJson(concat(JOSE_HEADER, m), { now: NOW })) as { code: string };
      assert.ok(CODES.has(r.code));
    }
    stillWorks();
  });
});

// ---------------------------------------------------------------------------

describe('JOSE configuration', () => {
  const refusedConfig = async (config: Record<string, unknown>): Promise<string> => {
    try {
      await Verifier.open(config);
    } catch (e) {
      assert.ok(e instanceof NtokError);
      assert.equal(e.code, 'bad-config');
      return e.message;
    }
    return 'accepted';
  };

  it('refuses JOSE keys of the wrong length', async () => {
    for (const [alg, n] of [['A128CBC-HS256', 16], ['A256CBC-HS512', 32], ['A256GCM', 16]] as const) {
      const msg = await refusedConfig(joseConfig([{ kty: 'oct', kid: 'k', alg, k: b64u(new Uint8Array(n)) }]));
      assert.match(msg, /keys\[0\]\.k must be \d+ bytes for its alg/, alg);
    }
  });

  it('refuses alg dir in a JWK (a dir key names its enc) and an HS256 key without k', async () => {
    assert.match(await refusedConfig(joseConfig([{ kty: 'oct', kid: 'k', alg: 'dir', k: b64u(new Uint8Array(32)) }])), /alg is not supported/);
    assert.match(await refusedConfig(joseConfig([{ kty: 'oct', kid: 'k', alg: 'HS256' }])), /k must be base64url/);
  });

  it('frees both halves of an AES-CBC-HMAC key on reconfiguration', async () => {
    const v = await Verifier.open(joseConfig([KEYS['A128CBC-HS256'].publicJwk, KEYS['A256CBC-HS512'].publicJwk, KEYS.HS256.publicJwk]));
    assert.equal(v.core.liveKeys(), 5);
    v.configure(joseConfig([KEYS.HS256.publicJwk]));
    assert.equal(v.core.liveKeys(), 1);
  });

  it('refuses a descriptor naming a service that is not configured, or a service that is not a string', async () => {
    const base = { keysets: { j: { keys: PUBLIC } }, services: [{ name: 'video', id: 1 }] };
    assert.match(await refusedConfig({ ...base, descriptors: [{ id: 0x10001, format: 'jose', keyset: 'j', service: 'audio' }] }), /descriptors\[0\]\.service "audio" is not a configured service/);
    assert.match(await refusedConfig({ ...base, descriptors: [{ id: 0x10001, format: 'jose', keyset: 'j', service: 1 }] }), /descriptors\[0\]\.service must be a string/);
    assert.equal(await refusedConfig({ ...base, descriptors: [{ id: 0x10001, format: 'jose', keyset: 'j', service: 'video' }] }), 'accepted');
  });
});

describe('JOSE tokens on the packet path', () => {
  const PHONE = '192.0.2.7';
  const SERVER = '198.51.100.2';
  const config = {
    descriptors: [
      { id: 0x10001, format: 'jose', keyset: 'ntf', service: 'video' },
      { id: 0xb00f, format: 'jose', keyset: 'ntf', service: 'voice' },
    ],
    keysets: { ntf: { binding: 'either', keys: [KEYS['A128CBC-HS256'].publicJwk] } },
    services: [{ name: 'video', id: 1, dscp: 34, mark: 16 }, { name: 'voice', id: 2, dscp: 46, mark: 17 }, { name: 'bulk', id: 3, dscp: 8, mark: 18 }],
  };
  const packet = (sport: number, token: Uint8Array, src = PHONE, dst = SERVER) => ipv4(src, dst, udp(sport, 3478, stun(Buffer.from(token))));
  const decide = (g: Gateway, p: Buffer) => {
    const v = g.process(p, { now: NOW });
    return { code: g.resultName(v.code), mark: v.mark, service: g.serviceName(v.service) };
  };

  it('gives a token without srv or sid its descriptor\'s service (0x10001 video, 0xB00F voice)', async () => {
    const g = await Gateway.open(config);
    const claims = { exp: NOW + 3600, nti: 1, bip: PHONE };
    assert.deepEqual(decide(g, packet(40000, await mint(claims, 'A128CBC-HS256', { descriptor: 0x10001 }))), { code: 'ok', mark: 16, service: 'video' });
    assert.deepEqual(decide(g, packet(40001, await mint(claims, 'A128CBC-HS256', { descriptor: 0xb00f }))), { code: 'ok', mark: 17, service: 'voice' });
  });

  it('lets a token\'s own srv or sid name its service', async () => {
    const g = await Gateway.open(config);
    assert.deepEqual(decide(g, packet(40002, await mint({ exp: NOW + 3600, sid: 3 }, 'A128CBC-HS256', { descriptor: 0x10001 }))), { code: 'ok', mark: 18, service: 'bulk' });
    assert.deepEqual(decide(g, packet(40003, await mint({ exp: NOW + 3600, srv: 'bulk' }, 'A128CBC-HS256', { descriptor: 0xb00f }))), { code: 'ok', mark: 18, service: 'bulk' });
    // A sid that names no configured service: the descriptor's key still vouches for its service
    // (without a descriptor service it is unknown-service: replay.test.ts, unknown-service4).
    assert.deepEqual(decide(g, packet(40004, await mint({ exp: NOW + 3600, sid: 9 }, 'A128CBC-HS256', { descriptor: 0x10001 }))), { code: 'ok', mark: 16, service: 'video' });
  });

  it('matches bip against either endpoint with binding "either", as the first deployment did', async () => {
    const g = await Gateway.open(config);
    const token = await mint({ exp: NOW + 3600, bip: SERVER }, 'A128CBC-HS256', { descriptor: 0x10001 });
    assert.equal(decide(g, packet(40005, token)).code, 'ok');
    assert.equal(decide(g, packet(40006, token, PHONE, '203.0.113.9')).code, 'wrong-binding');
  });
});

it('JSON integers are exact to 2^64 - 1: a 63-bit nti and the largest unsigned one verify and print as sent', () => {
  for (const nti of ['9007199254740993', '6190295146375875070', '18446744073709551615']) {
    const json = verifier.verifyJson(signed(`{"nti":${nti}}`), { now: NOW });
    assert.match(json, new RegExp(`"ok":true.*"nti":${nti}[,}]`), json);
  }
});

it('revokes integer ids exactly to 2^64 - 1, in the configuration and in tokens', async () => {
  // The configuration as text: JSON.stringify cannot write these integers.
  const text = JSON.stringify(joseConfig()).replace(/}$/, ',"revoked":[6190295146375875070,18446744073709551615]}');
  const v = await Verifier.open(text);
  const code = (nti: string) => v.verify(signed(`{"nti":${nti}}`), { now: NOW }).code;
  assert.equal(code('6190295146375875070'), 'revoked');
  assert.equal(code('18446744073709551615'), 'revoked');
  assert.equal(code('6190295146375875071'), 'ok'); // one more: a double would have made them equal
  assert.equal(code('6190295146375875069'), 'ok');
});
