/**
 * The conformance vectors (test/vectors/cwt.json: RFC 8392 Appendix A;
 * cose.json: RFC 9052 and cose-wg/Examples) through the core, with both the
 * portable and the fastest crypto provider: same verdict as the vector says,
 * the same JSON text byte for byte from both providers, and the same result
 * when the bare message is sent behind the 4-byte network-token header.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { CWT_HEADER, Verifier, concat, fastestCrypto, nobleCrypto, readRepoJson, unhex, type VerifyResult } from './helpers.js';

interface Vector {
  name: string;
  source?: string;
  token: string;
  cwt: boolean;
  now: number;
  keys: object[];
  keyset_expect?: string;
  expect: Partial<VerifyResult> & { ok: boolean; code: string };
}

const files = ['cwt.json', 'cose.json'] as const;
const vectors = files.flatMap((f) => readRepoJson<Vector[]>(`test/vectors/${f}`).map((v) => ({ file: f, v })));

function configOf(v: Vector): object {
  return { keysets: { default: { keys: v.keys, expect: v.keyset_expect ?? 'any' } } };
}

/** Compares only the fields the vector's `expect` names. */
function assertExpected(actual: VerifyResult, expect: Vector['expect'], where: string): void {
  for (const [field, want] of Object.entries(expect)) {
    assert.deepEqual((actual as unknown as Record<string, unknown>)[field], want, `${where}: field ${field}`);
  }
}

const providers = [
  { name: 'nobleCrypto', crypto: async () => nobleCrypto },
  { name: 'fastestCrypto', crypto: fastestCrypto },
] as const;

describe('conformance vectors', () => {
  const verifiers = new Map<string, Verifier>();

  before(async () => {
    // Any configuration to open with; every test reconfigures for its vector.
    const empty = { keysets: { default: { keys: [] } } };
    for (const p of providers) verifiers.set(p.name, await Verifier.open(empty, { crypto: await p.crypto() }));
  });

  it('has vectors in both files', () => {
    for (const f of files) assert.ok(vectors.some((x) => x.file === f), f);
  });

  for (const { file, v } of vectors) {
    describe(`${file} ${v.name}`, () => {
      const bare = unhex(v.token);
      const withHeader = concat(CWT_HEADER, bare);

      for (const p of providers) {
        it(`gives ${v.expect.code} through ${p.name}`, () => {
          const verifier = verifiers.get(p.name)!;
          verifier.configure(configOf(v));
          const r = verifier.verify(bare, { now: v.now, bareCwt: v.cwt });
          assertExpected(r, v.expect, p.name);
          assert.equal(r.descriptor, 2);
          assert.equal(r.reflect, 0);
        });

        it(`gives the same result behind the header 0x00000002 through ${p.name}`, () => {
          const verifier = verifiers.get(p.name)!;
          verifier.configure(configOf(v));
          const bareJson = verifier.verifyJson(bare, { now: v.now, bareCwt: true });
          const headerJson = verifier.verifyJson(withHeader, { now: v.now, bareCwt: false });
          assertExpected(JSON.parse(headerJson) as VerifyResult, v.expect, `${p.name}, with header`);
          assert.equal(headerJson, bareJson);
        });
      }

      it('gives byte-identical JSON through both providers', () => {
        const texts = providers.map((p) => {
          const verifier = verifiers.get(p.name)!;
          verifier.configure(configOf(v));
          return [
            verifier.verifyJson(bare, { now: v.now, bareCwt: v.cwt }),
            verifier.verifyJson(withHeader, { now: v.now }),
          ];
        });
        assert.deepEqual(texts[1], texts[0]);
      });
    });
  }
});
