// The same claims in every token format ntok verifies (issue 7 item 4): JOSE
// compact JWE (dir with A128CBC-HS256, the reference deployment's, and
// A128GCM) and JWS (HS256, ES256, EdDSA), against COSE Encrypt0, Mac0 and
// Sign1 (the CWTs of the token bench). For each: the token's size (the
// 4-byte header included) and its verify time through the TS shim under V8
// (Verifier.verify, fastestCrypto), all in one interleaved pass, the ratio
// to Mac0 HMAC 256/64 in the same pass; then under wasm3 (`ntokd bench
// verify`, its core_us: the token through ntokd's verify()). Not a test:
// prints a table. docs/performance.md, "Token formats".
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Verifier } from '../src/host/verifier.js';
import { joseKeygen, keygen, mintJose, mintToken, type AlgName, type JoseClaims, type JoseKeyAlg, type Jwk, type NetworkClaims } from '../src/issuer/index.js';
import { measureGroup, median, type Plan, type Row } from './measure.js';
import { fmt, times, type Section } from './report.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const NTOKD = join(REPO, 'build/ntokd');
/** Verification time: the tokens expire in 2100. */
const NOW = 1_800_000_000;

/**
 * The reference deployment's claims (bip, exp, nti; sid for the service),
 * as JSON in the JOSE tokens and as CBOR (text keys for the network-token
 * claims, 4 for exp) in the COSE ones.
 */
const JOSE_CLAIMS: JoseClaims = { bip: '192.0.2.7', exp: 4102444800, nti: 151234143125, sid: 1 };
const CWT_CLAIMS: NetworkClaims = { bip: '192.0.2.7', exp: 4102444800, nti: 151234143125, sid: 1 };

interface FormatSpec {
  id: string;
  name: string;
  jose?: JoseKeyAlg;
  cose?: AlgName;
}

const SPECS: FormatSpec[] = [
  { id: 'jwe-cbc', name: 'JWE dir A128CBC-HS256', jose: 'A128CBC-HS256' },
  { id: 'jwe-gcm', name: 'JWE dir A128GCM', jose: 'A128GCM' },
  { id: 'jws-hs256', name: 'JWS HS256', jose: 'HS256' },
  { id: 'jws-es256', name: 'JWS ES256', jose: 'ES256' },
  { id: 'jws-eddsa', name: 'JWS EdDSA', jose: 'EdDSA' },
  { id: 'enc0-gcm', name: 'COSE Encrypt0 A128GCM', cose: 'A128GCM' },
  { id: 'enc0-ccm', name: 'COSE Encrypt0 AES-CCM-16-64-128', cose: 'AES-CCM-16-64-128' },
  { id: 'mac0-64', name: 'COSE Mac0 HMAC 256/64', cose: 'HMAC 256/64' },
  { id: 'mac0-256', name: 'COSE Mac0 HMAC 256/256', cose: 'HMAC 256/256' },
  { id: 'sign1-es256', name: 'COSE Sign1 ES256', cose: 'ES256' },
  { id: 'sign1-eddsa', name: 'COSE Sign1 EdDSA', cose: 'EdDSA' },
];
const BASELINE = 'mac0-64';

interface Token {
  spec: FormatSpec;
  bytes: Uint8Array;
}

async function mintAll(): Promise<{ tokens: Token[]; config: object }> {
  const joseKeys: Jwk[] = [];
  const coseKeys: Jwk[] = [];
  const tokens: Token[] = [];
  for (const [i, spec] of SPECS.entries()) {
    const kid = String(i + 1);
    if (spec.jose) {
      const pair = joseKeygen(spec.jose, kid);
      joseKeys.push(pair.publicJwk);
      tokens.push({ spec, bytes: await mintJose(JOSE_CLAIMS, { key: pair.privateJwk, descriptor: 1 }) });
    } else {
      const pair = keygen(spec.cose!, kid);
      coseKeys.push(pair.publicJwk);
      tokens.push({ spec, bytes: mintToken(CWT_CLAIMS, { key: pair.privateJwk }) });
    }
  }
  const config = {
    descriptors: [{ id: 1, format: 'jose', keyset: 'jose' }, { id: 2, format: 'cwt', keyset: 'cose' }],
    keysets: { jose: { keys: joseKeys }, cose: { keys: coseKeys } },
  };
  return { tokens, config };
}

interface NtokdVerify {
  core_us: number;
  core_rounds_us: number[];
}

/**
 * `ntokd bench verify` times the token through the core beside a bare
 * primitive; only the core's time is used here, so the primitive is a
 * fixed HMAC it checks on every call (any token's own primitive would do).
 */
function ntokdVerify(token: Uint8Array, config: string, plan: Plan): NtokdVerify {
  const key = Buffer.alloc(32, 7);
  const message = Buffer.from('ntok');
  const tag = createHmac('sha256', key).update(message).digest();
  const r = spawnSync(NTOKD, [
    'bench', 'verify', Buffer.from(token).toString('hex'), '--config', config, '--now', String(NOW), '--primitive', 'hmac',
    '--key', key.toString('hex'), '--message', message.toString('hex'), '--signature', tag.toString('hex'),
    '--rounds', String(plan.rounds), '--round-ms', String(plan.roundMs),
  ], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.error || r.status !== 0) throw new Error(`ntokd bench verify: ${r.error?.message ?? r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as NtokdVerify;
}

export async function formatsBench(plan: Plan, wasm?: Uint8Array): Promise<Section> {
  const { tokens, config } = await mintAll();
  const verifier = await Verifier.open(config, { wasm });
  for (const t of tokens) {
    const r = verifier.verify(t.bytes, { now: NOW });
    if (!r.ok) throw new Error(`benchmark self-check failed: ${t.spec.name}: ${JSON.stringify(r)}`);
  }
  const rows: Row[] = tokens.map((t) => ({
    group: 'formats',
    id: t.spec.id,
    label: t.spec.name,
    bytes: t.bytes.length,
    op: () => {
      const r = verifier.verify(t.bytes, { now: NOW });
      if (!r.ok) throw new Error(`${t.spec.name}: ${r.code}`);
      return r;
    },
  }));
  process.stderr.write(`token formats: measuring ${rows.length} rows...\n`);
  const measured = await measureGroup(rows, plan);
  const by = new Map(measured.map((m) => [m.id, m]));
  const base = by.get(BASELINE)!;
  // Median of per-round ratios: the rows of one round ran a few hundred ms apart.
  const ratio = (id: string) => median(by.get(id)!.perRound.map((v, i) => v / base.perRound[i]));

  let wasm3: Map<string, number> | undefined;
  let wasm3Skipped: string | undefined;
  if (wasm !== undefined) wasm3Skipped = 'not measured with --wasm (ntokd runs build/ntok.wasm)';
  else if (!existsSync(NTOKD)) wasm3Skipped = 'build/ntokd not built (npm run build:host)';
  else {
    const dir = mkdtempSync(join(tmpdir(), 'ntok-bench-formats-'));
    try {
      const file = join(dir, 'config.json');
      writeFileSync(file, JSON.stringify(config));
      process.stderr.write('token formats: ntokd bench verify...\n');
      wasm3 = new Map(tokens.map((t) => [t.spec.id, ntokdVerify(t.bytes, file, plan).core_us]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const out: string[] = [''];
  out.push('Token formats: the same claims (bip, exp, nti, sid) in every format, verified through the core (µs/token, medians; ÷Mac0: same-pass ratio to COSE Mac0 HMAC 256/64):');
  out.push(`  ${'format'.padEnd(34)} ${'bytes'.padStart(5)} ${'V8 shim µs'.padStart(10)} ${'min–max'.padStart(13)} ${'÷Mac0'.padStart(7)} ${'wasm3 µs'.padStart(9)}`);
  for (const t of tokens) {
    const m = by.get(t.spec.id)!;
    const w = wasm3?.get(t.spec.id);
    out.push(`  ${t.spec.name.padEnd(34)} ${String(t.bytes.length).padStart(5)} ${fmt(m.median).padStart(10)} ${`${fmt(m.min)}–${fmt(m.max)}`.padStart(13)} ${times(ratio(t.spec.id)).padStart(7)} ${(w === undefined ? 'n/a' : fmt(w)).padStart(9)}`);
  }
  if (wasm3Skipped) out.push(`  wasm3: ${wasm3Skipped}`);
  out.push(`  claims: JSON ${JSON.stringify(JOSE_CLAIMS).length} B in the JOSE tokens; bytes include the 4-byte header, a 1-byte kid (JOSE: "kid" in the header)`);

  return {
    out,
    targets: [],
    json: {
      formats: tokens.map((t) => ({
        format: t.spec.name,
        bytes: t.bytes.length,
        v8_us: by.get(t.spec.id)!.median,
        ratio_to_mac0: ratio(t.spec.id),
        wasm3_us: wasm3?.get(t.spec.id) ?? null,
      })),
    },
  };
}
