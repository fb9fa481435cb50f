/**
 * Hostile and broken input through verify AND inspect, on one verifier
 * instance: every answer is a result code in well-formed JSON (never an
 * exception, never "ok"), and afterwards the same instance still verifies a
 * good token.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encodeCbor, encodeClaims, wrapInTag, type CborValue } from '../../src/issuer/index.js';
import { CWT_HEADER, GOOD_CLAIMS, HS64_K, HS64_KID, KEYS, NOW, concat, hs64Token, mint, openVerifier, rawMac0, unhex } from './helpers.js';

const verifier = await openVerifier();
const CODES = new Set(verifier.resultCodes());
const good = mint(GOOD_CLAIMS, 'EdDSA');

interface Outcome {
  verify: string;
  inspect: string;
}

/** verify and inspect `input`; both must answer with a known code in valid JSON. */
function answer(input: Uint8Array, bareCwt = false): Outcome {
  const vJson = verifier.verifyJson(input, { now: NOW, bareCwt });
  const iJson = verifier.inspectJson(input, { bareCwt });
  const v = JSON.parse(vJson) as { ok: boolean; code: string; message?: string };
  const i = JSON.parse(iJson) as { ok: boolean; code: string; verified: boolean };
  for (const r of [v, i]) {
    assert.ok(CODES.has(r.code), `unknown code ${r.code}`);
    assert.equal(r.ok, r.code === 'ok');
  }
  assert.equal(i.verified, false);
  if (!v.ok) assert.equal(typeof v.message, 'string');
  return { verify: v.code, inspect: i.code };
}

/** The input must be refused by verify and by inspect; returns the codes. */
function refused(input: Uint8Array, bareCwt = false): Outcome {
  const o = answer(input, bareCwt);
  assert.notEqual(o.verify, 'ok', 'verify accepted it');
  assert.notEqual(o.inspect, 'ok', 'inspect accepted it');
  return o;
}

/** Refused with `code` by both (bare or with the header). */
function refusedWith(input: Uint8Array, code: string, bareCwt = false): void {
  assert.deepEqual(refused(input, bareCwt), { verify: code, inspect: code });
}

const bare = (token: Uint8Array) => token.subarray(4);

/** Header + bytes, and the bytes alone as a bare CWT: both refused with `code`. */
function bothWays(body: Uint8Array, code: string | { header: string; bare: string }): void {
  const c = typeof code === 'string' ? { header: code, bare: code } : code;
  refusedWith(concat(CWT_HEADER, body), c.header);
  refusedWith(body, c.bare, true);
}

function assertStillWorks(): void {
  assert.equal(verifier.verify(good, { now: NOW }).code, 'ok');
  assert.equal(verifier.inspect(good).code, 'ok');
}

/** `depth` nested definite arrays around 0, encoded by hand (no recursion). */
function nestedArrays(depth: number): Uint8Array {
  const out = new Uint8Array(depth + 1).fill(0x81);
  out[depth] = 0x00;
  return out;
}

const MAX = 'ffffffffffffffff';

describe('bad input', () => {
  it('refuses empty input', () => {
    refusedWith(new Uint8Array(0), 'malformed');
    refusedWith(new Uint8Array(0), 'malformed', true);
  });

  describe('truncation', () => {
    const tokens = {
      'Mac0 HMAC 256/64': mint(GOOD_CLAIMS, 'HMAC 256/64'),
      'Sign1 ES256, kid protected': mint(GOOD_CLAIMS, 'ES256', { kidInProtected: true }),
      'Sign1 EdDSA in CWT tag 61': mint(GOOD_CLAIMS, 'EdDSA', { cwtTag: true }),
      'Encrypt0 AES-CCM around Mac0': mint(GOOD_CLAIMS, 'AES-CCM-16-64-128', { inner: { key: KEYS['HMAC 256/256'].privateJwk } }),
      'Encrypt0 A128GCM around Sign1': mint(GOOD_CLAIMS, 'A128GCM', { inner: { key: KEYS.EdDSA.privateJwk } }),
    };
    for (const [name, token] of Object.entries(tokens)) {
      it(`refuses every prefix of a ${name} token as malformed (with header and bare)`, () => {
        assert.equal(verifier.verify(token, { now: NOW }).code, 'ok');
        for (let n = 0; n < token.length; n++) refusedWith(token.subarray(0, n), 'malformed');
        const b = bare(token);
        for (let n = 0; n < b.length; n++) refusedWith(b.subarray(0, n), 'malformed', true);
        assertStillWorks();
      });
    }

    it('refuses a token whose authenticated plaintext is a truncated claims map', () => {
      const claims = encodeClaims(GOOD_CLAIMS);
      for (let n = 1; n < claims.length; n++) {
        const o = refused(hs64Token(claims.subarray(0, n)));
        assert.equal(o.verify, 'malformed', `claims cut at ${n}`);
      }
    });
  });

  describe('oversized', () => {
    it('refuses 2049 bytes as too-large', () => {
      const big = concat(good, new Uint8Array(2049 - good.length));
      assert.equal(big.length, 2049);
      refusedWith(big, 'too-large');
      refusedWith(big, 'too-large', true);
    });

    it('refuses 64 KiB, 64 KiB + 1 and 70 KB as too-large', () => {
      for (const n of [65536, 65537, 70_000]) {
        const big = new Uint8Array(n);
        big.set(good);
        refusedWith(big, 'too-large');
        refusedWith(big, 'too-large', true);
      }
      assertStillWorks();
    });
  });

  describe('output size', () => {
    /** A Mac0 of exactly `total` bytes whose protected header holds a kid of control characters (6 bytes of JSON each). */
    const controlKid = (total: number) => {
      for (let n = total - 40; n < total; n++) {
        const protectedBytes = encodeCbor(new Map<CborValue, CborValue>([[1, 4], [4, new Uint8Array(n).fill(1)]]));
        const t = concat(CWT_HEADER, wrapInTag(17, encodeCbor([protectedBytes, new Map(), new Uint8Array(0), new Uint8Array(0)])));
        if (t.length === total) return t;
      }
      throw new Error(`no kid length gives ${total} bytes`);
    };

    it('verifies a 2 KiB token whose kid is all control characters into valid JSON', () => {
      for (const n of [2000, 2039, 2048]) {
        const r = JSON.parse(verifier.verifyJson(controlKid(n), { now: NOW }));
        assert.notEqual(r.code, 'ok');
        assert.match(r.kid, /^\u0001{1950,}$/);
      }
      assertStillWorks();
    });

    it('inspects a 2 KiB token whose protected kid is all control characters into valid JSON', () => {
      for (const n of [2000, 2039, 2048]) refused(controlKid(n));
      assertStillWorks();
    });
  });

  describe('deep nesting', () => {
    it('refuses arrays 10,000 deep (too-large) with and without the header', () => {
      bothWays(nestedArrays(10_000), 'too-large');
      bothWays(concat(Uint8Array.of(0xd1), nestedArrays(10_000)), 'too-large');
    });

    it('refuses arrays nested as deep as 2 KiB allows, wherever they sit', () => {
      const deep = nestedArrays(1900);
      // as the message (untagged, or tagged: not a 4-item array)
      bothWays(deep, 'unexpected-type');
      bothWays(concat(Uint8Array.of(0xd1), deep), 'malformed');
      // as an unprotected header value
      bothWays(concat(unhex('d18443a10104a1182a'), deep), 'limit-exceeded');
      // inside the protected header
      const protectedBytes = concat(unhex('a20104182a'), nestedArrays(1800));
      bothWays(wrapInTag(17, encodeCbor([protectedBytes, new Map(), new Uint8Array(0), new Uint8Array(8)])), 'limit-exceeded');
      // inside an authenticated claims set (the MAC checks out, the claims do not parse)
      const claims = concat(unhex('a1182a'), nestedArrays(1800));
      refusedWith(hs64Token(claims), 'limit-exceeded');
      assertStillWorks();
    });

    it('refuses deep maps and deep tags', () => {
      // a1 00 a1 00 ... 00: {0: {0: ... 0}}
      const deepMaps = new Uint8Array(1701);
      for (let i = 0; i < 850; i++) deepMaps.set([0xa1, 0x00], 2 * i);
      refusedWith(hs64Token(concat(unhex('a1182a'), deepMaps)), 'limit-exceeded');
      bothWays(deepMaps, 'unexpected-type');
      const tags = concat(new Uint8Array(1500).fill(0xc1), Uint8Array.of(0));
      refusedWith(hs64Token(concat(unhex('a1182a'), tags)), 'limit-exceeded');
      bothWays(tags, 'unexpected-type');
    });
  });

  describe('wrong tags', () => {
    const mac0Body = bare(mint(GOOD_CLAIMS, 'HMAC 256/64', { coseTag: false }));

    it('refuses tag 99 around a Mac0', () => {
      bothWays(wrapInTag(99, mac0Body), 'unexpected-type');
      bothWays(wrapInTag(99, wrapInTag(17, mac0Body)), 'unexpected-type');
    });

    it('refuses tag 61 around things that are not COSE', () => {
      // malformed or unexpected-type: either is a refusal (RFC 8392 §6 wants a tagged COSE object inside)
      for (const inner of [encodeCbor(new Map([[1, 'x']])), encodeCbor(new Uint8Array(10)), encodeCbor('text'), encodeCbor(7), encodeCbor(null), mac0Body]) {
        refused(concat(CWT_HEADER, wrapInTag(61, inner)));
        refused(wrapInTag(61, inner), true);
      }
      bothWays(wrapInTag(61, wrapInTag(61, wrapInTag(17, mac0Body))), 'unexpected-type');
      bothWays(wrapInTag(61, wrapInTag(16, mac0Body)), 'malformed');
      bothWays(wrapInTag(61, new Uint8Array(0)), 'malformed');
    });

    it('refuses a COSE tag that does not fit the message', () => {
      bothWays(wrapInTag(16, mac0Body), 'malformed'); // Encrypt0 has 3 items
      refused(concat(CWT_HEADER, wrapInTag(18, mac0Body))); // a Sign1 with an HMAC alg
      bothWays(wrapInTag(17, mac0Body).fill(0xd2, 0, 1), 'unsupported-alg');
      bothWays(concat(unhex('db' + MAX), mac0Body), 'unexpected-type'); // tag 2^64-1
    });
  });

  describe('wrong types', () => {
    const claims = encodeClaims(GOOD_CLAIMS);
    const tag = new Uint8Array(8);
    const build = (items: CborValue[]) => wrapInTag(17, encodeCbor(items));

    it('refuses a protected header given as text, map or int', () => {
      for (const p of ['a10104', new Map([[1, 4]]), 4] as CborValue[]) bothWays(build([p, new Map([[4, HS64_KID]]), claims, tag]), 'malformed');
    });

    it('refuses a protected bstr that is not a map, or has bytes after the map', () => {
      for (const p of [encodeCbor([1, 4]), encodeCbor(4), unhex('a10104f6'), unhex('a101'), unhex('ff')]) {
        bothWays(build([p, new Map([[4, HS64_KID]]), claims, tag]), 'malformed');
      }
    });

    it('refuses an unprotected header given as an array, bstr or nil', () => {
      for (const u of [[4, HS64_KID], HS64_KID, null] as CborValue[]) bothWays(build([encodeCbor(new Map([[1, 4]])), u, claims, tag]), 'malformed');
    });

    it('refuses a payload given as int, text, map or array', () => {
      for (const p of [5, 'claims', new Map([[1, 'x']]), [1]] as CborValue[]) {
        bothWays(build([encodeCbor(new Map([[1, 4]])), new Map([[4, HS64_KID]]), p, tag]), 'malformed');
      }
    });

    it('refuses a MAC tag given as text or int, and a kid or IV that is not a bstr', () => {
      for (const t of ['tag', 1] as CborValue[]) bothWays(build([encodeCbor(new Map([[1, 4]])), new Map([[4, HS64_KID]]), claims, t]), 'malformed');
      bothWays(build([encodeCbor(new Map([[1, 4]])), new Map([[4, 'k-hmac25664']]), claims, tag]), 'malformed');
      bothWays(build([encodeCbor(new Map([[1, 4]])), new Map<CborValue, CborValue>([[4, HS64_KID], [5, 12]]), claims, tag]), 'malformed');
    });

    it('refuses header labels that are neither integer nor text, and an alg that is neither', () => {
      bothWays(build([encodeCbor(new Map([[1, 4]])), new Map<CborValue, CborValue>([[4, HS64_KID], [new Uint8Array(1), 0]]), claims, tag]), 'malformed');
      bothWays(build([encodeCbor(new Map<CborValue, CborValue>([[1, [4]]])), new Map([[4, HS64_KID]]), claims, tag]), 'malformed');
      bothWays(build([encodeCbor(new Map<CborValue, CborValue>([[1, 4], [2, []]])), new Map([[4, HS64_KID]]), claims, tag]), 'malformed');
      bothWays(build([encodeCbor(new Map<CborValue, CborValue>([[1, 4], [3, -1]])), new Map([[4, HS64_KID]]), claims, tag]), 'malformed');
    });

    it('refuses authenticated claims maps with keys that are neither integer nor text, or repeated keys', () => {
      refusedWith(hs64Token(unhex('a14100f6')), 'malformed'); // {h'00': null}
      refusedWith(hs64Token(unhex('a2080008f6')), 'malformed'); // {8: 0, 8: null}
      refusedWith(hs64Token(unhex('a263736964016373696402')), 'malformed'); // {"sid": 1, "sid": 2}
      refusedWith(hs64Token(unhex('a20741010741 02'.replace(/ /g, ''))), 'malformed'); // {7: h'01', 7: h'02'}
      refusedWith(hs64Token(unhex('a2074101180741 02'.replace(/ /g, ''))), 'malformed'); // the same with the second 7 as 0x18 0x07
      assertStillWorks();
    });

    it('refuses reserved CBOR (additional information 28-30) and two-byte simple values below 32', () => {
      for (const b of ['1c', '3d', '5e', '7c', '9d', 'be', 'dc', 'fc', 'f800', 'f81f']) {
        bothWays(unhex(b), 'malformed');
        refusedWith(hs64Token(unhex('a1182a' + b + '00')), 'malformed');
      }
    });
  });

  describe('indefinite lengths', () => {
    it('refuses indefinite-length items anywhere', () => {
      const claims = encodeClaims(GOOD_CLAIMS);
      const tag = new Uint8Array(8);
      // the message array
      bothWays(concat(unhex('d19f'), encodeCbor(encodeCbor(new Map([[1, 4]]))), encodeCbor(new Map([[4, HS64_KID]])), encodeCbor(claims), encodeCbor(tag), unhex('ff')), 'malformed');
      // the protected bstr, the unprotected map, the payload
      bothWays(concat(unhex('d1845f43a10104ff'), encodeCbor(new Map([[4, HS64_KID]])), encodeCbor(claims), encodeCbor(tag)), 'malformed');
      bothWays(concat(unhex('d18443a10104bf04'), encodeCbor(HS64_KID), unhex('ff'), encodeCbor(claims), encodeCbor(tag)), 'malformed');
      bothWays(concat(unhex('d18443a10104a1'), unhex('04'), encodeCbor(HS64_KID), unhex('5f'), encodeCbor(claims), unhex('ff'), encodeCbor(tag)), 'malformed');
      // inside authenticated claims: an indefinite map, text, array
      refusedWith(hs64Token(unhex('bf016161ff')), 'malformed');
      refusedWith(hs64Token(unhex('a1017f6161ff')), 'malformed');
      refusedWith(hs64Token(unhex('a1182a9f01ff')), 'malformed');
      // a lone break
      bothWays(unhex('ff'), 'malformed');
    });
  });

  describe('huge declared lengths', () => {
    const claims = encodeClaims(GOOD_CLAIMS);
    for (const [what, head] of [
      ['bstr', '5b'],
      ['text', '7b'],
      ['array', '9b'],
      ['map', 'bb'],
    ] as const) {
      it(`refuses a ${what} declaring 2^64-1 (and 2^32-1, 2^31) items or bytes`, () => {
        for (const len of [MAX, '00000000ffffffff', '0000000080000000', '000000007fffffff']) {
          const item = unhex(head + len);
          bothWays(item, 'malformed');
          bothWays(concat(unhex('d1'), item), 'malformed');
          bothWays(concat(unhex('d184'), item), 'malformed');
          bothWays(concat(unhex('d18443a10104'), item), 'malformed');
          bothWays(concat(unhex('d18443a10104a10458'), Uint8Array.of(HS64_KID.length), HS64_KID, item), 'malformed');
          refusedWith(hs64Token(concat(unhex('a1182a'), item)), 'malformed');
          refusedWith(hs64Token(concat(claims.subarray(0, 1), unhex('182a'), item)), 'malformed');
        }
        // a smaller lie: 1 byte more than present
        refusedWith(hs64Token(concat(unhex('a1182a'), unhex(head === 'bb' ? 'a2' : head === '9b' ? '82' : (head === '5b' ? '42' : '62')), unhex('00'))), 'malformed');
        assertStillWorks();
      });
    }

    it('refuses an alg, kid and crit with huge arguments', () => {
      bothWays(concat(unhex('d1844ba1011b'), unhex(MAX), unhex('a0'), encodeCbor(claims), encodeCbor(new Uint8Array(8))), 'unsupported-alg');
      bothWays(concat(unhex('d1844ba1013b'), unhex(MAX), unhex('a0'), encodeCbor(claims), encodeCbor(new Uint8Array(8))), 'unsupported-alg');
      bothWays(concat(unhex('d18443a10104a1045b'), unhex(MAX)), 'malformed');
      bothWays(concat(unhex('d1844da20104029b'), unhex(MAX)), 'malformed');
    });
  });

  describe('random bytes', () => {
    it('answers 2000 random inputs with a code, never ok, with and without the header', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, bareCwt) => {
          refused(bytes, bareCwt);
        }),
        { numRuns: 2000 },
      );
      assertStillWorks();
    });

    it('answers 2000 random bodies behind a valid header and a COSE tag + array head', () => {
      fc.assert(
        fc.property(fc.constantFrom('d184', 'd284', 'd083', 'd83dd184', '84', ''), fc.uint8Array({ maxLength: 300 }), (prefix, bytes) => {
          // inspect does not verify, so only verify must refuse
          assert.notEqual(answer(concat(CWT_HEADER, unhex(prefix), bytes)).verify, 'ok');
        }),
        { numRuns: 2000 },
      );
      assertStillWorks();
    });

    it('answers 1000 authenticated random payloads (arbitrary CBOR or bytes) with a known code', () => {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.uint8Array({ maxLength: 200 }),
            fc.jsonValue({ maxDepth: 20 }).map((v) => encodeCbor(toCbor(v))),
          ),
          (payload) => {
            const o = answer(hs64Token(payload));
            if (o.verify === 'ok') assert.equal(payload[0] >> 5, 5, 'only a map can be a claims set');
          },
        ),
        { numRuns: 1000 },
      );
      assertStillWorks();
    });

    it('answers 1000 authenticated random claim values under the known claim keys with a known code', () => {
      const keys: CborValue[] = [1, 2, 3, 4, 5, 6, 7, 'nti', 'bip', 'srv', 'sid'];
      fc.assert(
        fc.property(fc.constantFrom(...keys), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.uint8Array({ maxLength: 20 }), fc.double(), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n })), (key, value) => {
          const v = value instanceof Uint8Array || typeof value === 'bigint' || typeof value === 'number' ? value : toCbor(value);
          answer(hs64Token(encodeCbor(new Map([[key, v]]))));
        }),
        { numRuns: 1000 },
      );
      assertStillWorks();
    });

    it('answers 1000 random unprotected and protected headers with a known code, never a crash', () => {
      const label = fc.oneof(fc.integer({ min: -3, max: 8 }), fc.constantFrom('x', 'kid'));
      const value = fc.oneof(fc.integer(), fc.uint8Array({ maxLength: 16 }), fc.string({ maxLength: 5 }), fc.constant([99]), fc.constant(null));
      const header = fc.uniqueArray(fc.tuple(label, value), { maxLength: 4, selector: (e) => e[0] });
      fc.assert(
        fc.property(header, header, fc.boolean(), (prot, unprot, tagged) => {
          const p = new Map<CborValue, CborValue>(prot as Array<[CborValue, CborValue]>);
          const u = new Map<CborValue, CborValue>(unprot as Array<[CborValue, CborValue]>);
          const msg = rawMac0({ protectedBytes: encodeCbor(p), unprotected: u, payload: encodeClaims(GOOD_CLAIMS), tag: tagged ? 17 : undefined }, HS64_K);
          answer(concat(CWT_HEADER, msg));
        }),
        { numRuns: 1000 },
      );
      assertStillWorks();
    });
  });

  it('answers non-JSON, oversized and hostile configuration text with bad-config only, keeping the old configuration', () => {
    const v = verifier;
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 12 }), fc.constantFrom('[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]', '{"leeway":1e999}', '{"keysets":{"a":{"keys":[],"expect":"any"}},"descriptors":[{"id":1e300}]}', '"\\ud800"', '{"a":"\\u0000"}')), (text) => {
        try {
          v.configure(text);
          // accepted: put the good configuration back
        } catch (e) {
          assert.equal((e as { code?: string }).code, 'bad-config', String(e));
        }
        v.configure({ keysets: { default: { keys: [KEYS.EdDSA.publicJwk] } } });
      }),
      { numRuns: 500 },
    );
    v.configure({ keysets: { default: { keys: Object.values(KEYS).map((k) => k.publicJwk) } } });
  });

  it('still verifies a good token of every algorithm on the same instance afterwards', () => {
    for (const alg of ['HMAC 256/64', 'HMAC 256/256', 'EdDSA', 'ES256', 'AES-CCM-16-64-128', 'A128GCM'] as const) {
      assert.equal(verifier.verify(mint(GOOD_CLAIMS, alg), { now: NOW }).code, 'ok', alg);
    }
    assert.equal(verifier.verify(mint(GOOD_CLAIMS, 'A128GCM', { inner: { key: KEYS.ES256.privateJwk } }), { now: NOW }).code, 'ok');
    assert.deepEqual(verifier.inspect(good).claims, verifier.verify(good, { now: NOW }).claims);
  });
});

/** JSON values to CBOR values (objects as text-keyed maps; numbers as they are). */
function toCbor(v: unknown): CborValue {
  if (Array.isArray(v)) return v.map(toCbor);
  if (v !== null && typeof v === 'object') return new Map(Object.entries(v).map(([k, x]) => [k, toCbor(x)]));
  return v as CborValue;
}
