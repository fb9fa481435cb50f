/**
 * Properties (fast-check): random claim sets minted by the issuer come back
 * from the core equal to what was minted, for every algorithm; and a single
 * flipped bit anywhere in a valid token never yields "ok" except where the
 * bit is not authenticated by design (the header's reflect type, the
 * unprotected kid label) — and then the claims are the original ones.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cborHead, encodeCbor, encodeClaims, type NetworkClaims } from '../../src/issuer/index.js';
import type { TokenClaims } from '../../src/host/verifier.js';
import { ALG_IDS, ALG_NAMES, GOOD_CLAIMS, KEYS, NOW, PUBLIC_KEYS, concat, configWith, hex, hs64Token, mint, openVerifier, type Verifier } from './helpers.js';

const verifier = await openVerifier();

// ---------------------------------------------------------------------------
// IP text normalization, written here independently of the core and issuer:
// RFC 4291 §2.2 text in, RFC 5952 §4 text out (with §5's dotted tail for
// IPv4-mapped addresses).

function parseV4(text: string): number[] {
  const parts = text.split('.').map(Number);
  assert.equal(parts.length, 4, text);
  return parts;
}

/** Eight 16-bit words of IPv6 text. */
function parseV6(text: string): number[] {
  const groups = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((g) => {
      if (!g.includes('.')) return [parseInt(g, 16)];
      const [a, b, c, d] = parseV4(g);
      return [(a << 8) | b, (c << 8) | d];
    });
  };
  const gap = text.indexOf('::');
  if (gap < 0) return groups(text);
  const head = groups(text.slice(0, gap));
  const tail = groups(text.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

function formatV6(words: number[]): string {
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${words[6] >> 8}.${words[6] & 0xff}.${words[7] >> 8}.${words[7] & 0xff}`;
  }
  // §4.2.2/§4.2.3: the longest run of at least two zero words, the first one on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hexWords = words.map((w) => w.toString(16));
  if (best < 0) return hexWords.join(':');
  return `${hexWords.slice(0, best).join(':')}::${hexWords.slice(best + bestLen).join(':')}`;
}

function normalizeBip(text: string): string {
  const [address, prefix] = text.split('/');
  const normal = address.includes(':') ? formatV6(parseV6(address)) : parseV4(address).join('.');
  return prefix === undefined ? normal : `${normal}/${Number(prefix)}`;
}

describe('the IP normalizer of this test', () => {
  it('writes RFC 5952 examples', () => {
    assert.equal(normalizeBip('2001:0db8:0000:0000:0000:0000:0002:0001'), '2001:db8::2:1');
    assert.equal(normalizeBip('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
    assert.equal(normalizeBip('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1');
    assert.equal(normalizeBip('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(normalizeBip('0:0:0:0:0:0:0:0'), '::');
    assert.equal(normalizeBip('0:0:0:0:0:ffff:c000:0201'), '::ffff:192.0.2.1');
    assert.equal(normalizeBip('::1.2.3.4/100'), '::102:304/100');
    assert.equal(normalizeBip('10.0.0.1/8'), '10.0.0.1/8');
  });
});

// ---------------------------------------------------------------------------
// Random claim sets within the domains the issuer and docs/abi.md allow.

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const between = (min: number, max: number) => fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number);
/** Integer seconds, or seconds + k/64 (exact in a double, at most six decimals). */
const numericDate = (min: number, max: number) =>
  fc.oneof(between(min, max), fc.tuple(between(min, max - 1), fc.integer({ min: 1, max: 63 })).map(([s, k]) => s + k / 64));
const bip = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a}/${p}`),
);

const claimsArb: fc.Arbitrary<NetworkClaims> = fc.record(
  {
    iss: text,
    sub: text,
    aud: fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 4 })),
    exp: fc.oneof(numericDate(NOW, NOW + 1e9), between(2 ** 32, Number.MAX_SAFE_INTEGER)),
    nbf: numericDate(0, NOW),
    iat: numericDate(0, NOW),
    cti: fc.uint8Array({ maxLength: 32 }),
    nti: fc.oneof(fc.maxSafeNat(), fc.uint8Array({ maxLength: 32 })),
    srv: fc.oneof(text, fc.maxSafeNat()),
    sid: fc.maxSafeNat(),
    bip,
  },
  { requiredKeys: [] },
);

/** The claims JSON the core should give for minted claims (docs/abi.md "Result JSON"). */
function expectedClaims(c: NetworkClaims): TokenClaims {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(c)) {
    if (value instanceof Uint8Array) out[name] = hex(value);
    else if (name === 'bip') out[name] = normalizeBip(value as string);
    else out[name] = value;
  }
  return out as TokenClaims;
}

const shape = fc.record({ kidInProtected: fc.boolean(), cwtTag: fc.boolean() });

describe('issuer → core round trip of random claim sets', () => {
  for (const alg of ALG_NAMES) {
    it(`gives back every minted claim for ${alg}`, () => {
      const slow = alg === 'ES256' || alg === 'EdDSA';
      fc.assert(
        fc.property(claimsArb, shape, (claims, opts) => {
          const r = verifier.verify(mint(claims, alg, opts), { now: NOW });
          assert.equal(r.code, 'ok', r.message);
          assert.deepEqual(r.claims, expectedClaims(claims));
          assert.equal(r.alg, ALG_IDS[alg]);
          assert.equal(r.kid, KEYS[alg].publicJwk.kid);
        }),
        { numRuns: slow ? 150 : 400 },
      );
    });
  }

  it('gives back every minted claim through an Encrypt0 around a Sign1 or Mac0', () => {
    const pair = fc.constantFrom(
      ['AES-CCM-16-64-128', 'EdDSA'] as const,
      ['A128GCM', 'HMAC 256/256'] as const,
      ['A128GCM', 'ES256'] as const,
      ['AES-CCM-16-64-128', 'HMAC 256/64'] as const,
    );
    fc.assert(
      fc.property(claimsArb, pair, (claims, [outer, inner]) => {
        const r = verifier.verify(mint(claims, outer, { inner: { key: KEYS[inner].privateJwk } }), { now: NOW });
        assert.equal(r.code, 'ok', r.message);
        assert.deepEqual(r.claims, expectedClaims(claims));
        assert.equal(r.kid, KEYS[inner].publicJwk.kid);
      }),
      { numRuns: 150 },
    );
  });

  it('prints bip given as IP text in the token in RFC 5952 form', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (address) => {
        const r = verifier.verify(hs64Token(encodeCbor(new Map([['bip', address]]))), { now: NOW });
        assert.equal(r.code, 'ok', `${address}: ${r.message}`);
        assert.equal(r.claims?.bip, normalizeBip(address), address);
      }),
      { numRuns: 1000 },
    );
  });
});

// ---------------------------------------------------------------------------
// UTF-8: the core's validator against TextDecoder's (WHATWG, fatal).

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
/** Bytes biased towards UTF-8's edge cases: continuation bytes, overlong and surrogate leads, 0xf5..0xff. */
const utf8ishBytes = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0x80, max: 0xbf }), fc.constantFrom(0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff)), { maxLength: 12 })
  .map((a) => Uint8Array.from(a));

function decodeUtf8(b: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(b);
  } catch {
    return undefined;
  }
}

describe('UTF-8', () => {
  it('accepts exactly the text claims that are valid UTF-8, and gives them back unchanged', () => {
    fc.assert(
      fc.property(utf8ishBytes, (bytes) => {
        // {1: text} with the bytes as the text string's content
        const r = verifier.verify(hs64Token(concat(Uint8Array.of(0xa1, 0x01), cborHead(3, bytes.length), bytes)), { now: NOW });
        const text = decodeUtf8(bytes);
        if (text === undefined) assert.equal(r.code, 'malformed', hex(bytes));
        else {
          assert.equal(r.code, 'ok', hex(bytes));
          assert.equal(r.claims?.iss, text);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('gives a kid as text when it is valid UTF-8 and as lowercase hex otherwise', () => {
    fc.assert(
      fc.property(utf8ishBytes.filter((b) => b.length > 0), (kid) => {
        const r = verifier.verify(hs64Token(encodeClaims({ sid: 1 }), new Map([[1, 4]]), new Map([[4, kid]])), { now: NOW });
        assert.equal(r.code, 'unknown-kid');
        assert.equal(r.kid, decodeUtf8(kid) ?? hex(kid), hex(kid));
      }),
      { numRuns: 1000 },
    );
  });
});

// ---------------------------------------------------------------------------
// Single-bit flips, exhaustively.

interface Flip {
  byte: number;
  bit: number;
  code: string;
  claims?: TokenClaims;
  reflect: number;
  kid?: string;
}

function everyFlip(v: Verifier, token: Uint8Array): Flip[] {
  const out: Flip[] = [];
  for (let byte = 0; byte < token.length; byte++) {
    for (let bit = 0; bit < 8; bit++) {
      const t = token.slice();
      t[byte] ^= 1 << bit;
      const r = v.verify(t, { now: NOW });
      out.push({ byte, bit, code: r.code, claims: r.claims, reflect: r.reflect, kid: r.kid });
    }
  }
  return out;
}

const TOKENS = {
  'Mac0 HMAC 256/64': () => mint(GOOD_CLAIMS, 'HMAC 256/64'),
  'Sign1 EdDSA': () => mint(GOOD_CLAIMS, 'EdDSA'),
  'Encrypt0 AES-CCM-16-64-128': () => mint(GOOD_CLAIMS, 'AES-CCM-16-64-128'),
  'Encrypt0 A128GCM around Sign1 ES256': () => mint(GOOD_CLAIMS, 'A128GCM', { inner: { key: KEYS.ES256.privateJwk } }),
};

/** Byte offset of the unprotected header's first label (the kid): header, tag, array head, protected bstr, map head. */
const KID_LABEL_AT = 4 + 1 + 1 + 4 + 1;

describe('single-bit flips', () => {
  for (const [name, make] of Object.entries(TOKENS)) {
    it(`never verifies a ${name} token with one bit flipped, except in unauthenticated fields with the original claims`, () => {
      const token = make();
      const original = verifier.verify(token, { now: NOW });
      assert.equal(original.code, 'ok');
      assert.equal(token[KID_LABEL_AT], 0x04, 'the unprotected kid label is where the test expects it');
      const flips = everyFlip(verifier, token);
      assert.equal(flips.length, token.length * 8);
      for (const f of flips.filter((x) => x.code === 'ok')) {
        const where = `byte ${f.byte} bit ${f.bit}`;
        // Authentic claims only: a flip may never change what was verified.
        assert.deepEqual(f.claims, original.claims, where);
        if (f.byte === 0) {
          // The header's reflect type (bits 31..28) is rewritten on the path by design; 1 and 2 are valid.
          assert.ok(f.bit === 4 || f.bit === 5, where);
          assert.equal(f.reflect, 1 << (f.bit - 4), where);
        } else {
          // The unprotected kid label: the message becomes kid-less and the only key of its alg is used.
          assert.equal(f.byte, KID_LABEL_AT, where);
        }
      }
    });

    it(`never verifies a ${name} token with one bit flipped outside the reflect type when kid-less fallback is impossible`, async () => {
      // A second key per alg: a kid-less message then matches no single key.
      const twins = PUBLIC_KEYS.map((k) => ({ ...k, kid: `${k.kid}-twin` }));
      const v = await openVerifier(configWith([...PUBLIC_KEYS, ...twins]));
      const token = make();
      assert.equal(v.verify(token, { now: NOW }).code, 'ok');
      const ok = everyFlip(v, token).filter((f) => f.code === 'ok');
      assert.deepEqual(
        ok.map((f) => [f.byte, f.bit, f.reflect]),
        [
          [0, 4, 1],
          [0, 5, 2],
        ],
      );
    });
  }

  it('never verifies a bare CWT (no header) with any bit flipped when kid-less fallback is impossible', async () => {
    const twins = PUBLIC_KEYS.map((k) => ({ ...k, kid: `${k.kid}-twin` }));
    const v = await openVerifier(configWith([...PUBLIC_KEYS, ...twins]));
    const token = mint(GOOD_CLAIMS, 'EdDSA', { header: false, cwtTag: true });
    assert.equal(v.verify(token, { now: NOW, bareCwt: true }).code, 'ok');
    for (let i = 0; i < token.length * 8; i++) {
      const t = token.slice();
      t[i >> 3] ^= 1 << (i & 7);
      assert.notEqual(v.verify(t, { now: NOW, bareCwt: true }).code, 'ok', `bit ${i}`);
    }
  });
});
