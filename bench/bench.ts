// ntok benchmark: verify µs/token through the TypeScript shim, against the raw
// crypto primitives on the same bytes, cose-js on the same bare tokens, and
// jose on a JWE carrying the same claims; then the same claims in every
// token format, JOSE and COSE (formats.ts): size and verify time; then the packet path
// (packet-path.ts): ns/packet of the fast path against plain JS, µs per new
// flow with a token, memory per flow; then ntokd (ntokd.ts): the native host
// under wasm3 against V8 and the bare native crypto, its size per board and
// its resident memory; then the router (load.ts): new flows per second
// `ntokd run` sustains between network namespaces and the first packet's added
// delay (as root; skipped elsewhere). Not a test: prints tables, ratios and targets
// (PASS/MISS) and exits 0. See docs/performance.md.
//
//   node dist/bench/bench.js [--quick] [--json] [--tokens] [--formats] [--packets] [--ntokd] [--load] [--wasm FILE]
import { createDecipheriv, createHmac, createPublicKey, randomBytes, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { gcm } from '@noble/ciphers/aes.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import cose from 'cose-js';
import { CompactEncrypt, compactDecrypt } from 'jose';
import { ccmDecrypt } from '../src/host/ccm.js';
import { fastestCrypto, nobleCrypto, type CryptoProvider } from '../src/host/crypto.js';
import { Verifier, type VerifyResult } from '../src/host/verifier.js';
import { CLAIMS_JSON, assert, checkHostBytes, makeFixtures, stubCrypto, verifierConfig, type Fixture } from './fixtures.js';
import { measureGroup, median, sinkValue, type Measured, type Plan, type Row } from './measure.js';
import { loadBench } from './load.js';
import { ntokdBench } from './ntokd.js';
import { formatsBench } from './formats.js';
import { packetPathBench } from './packet-path.js';
import { fmt, target, targetLine, times as x, type Section, type Target } from './report.js';

const argv = process.argv.slice(2);
const args = new Set(argv);
const quick = args.has('--quick');
const asJson = args.has('--json');
// Every part unless some are asked for.
const some = args.has('--tokens') || args.has('--formats') || args.has('--packets') || args.has('--ntokd') || args.has('--load');
const runTokens = !some || args.has('--tokens');
const runFormats = !some || args.has('--formats');
const runPackets = !some || args.has('--packets');
const runNtokd = !some || args.has('--ntokd');
const runLoad = !some || args.has('--load');
const plan: Plan = quick
  ? { rounds: 3, roundMs: 15, warmupMs: 20, asyncWarmupMs: 100 }
  : { rounds: 15, roundMs: 50, warmupMs: 200, asyncWarmupMs: 2000 };

/** Issue 4: the whole core, packet path in, within 64 KB. */
const WASM_BUDGET = 64 * 1024;
// --wasm FILE: time another build of the core (one built for speed, say) instead of build/ntok.wasm.
const wasmArg = argv.indexOf('--wasm');
const wasmPath = wasmArg >= 0 ? argv[wasmArg + 1] : undefined;
if (wasmArg >= 0 && (wasmPath === undefined || wasmPath.startsWith('--'))) throw new Error('--wasm needs a file');
const wasmFile = wasmPath ?? new URL('../../build/ntok.wasm', import.meta.url);
const wasm = wasmPath === undefined ? undefined : new Uint8Array(readFileSync(wasmPath));

/** Short ids per fixture, in makeFixtures order. */
const SHORT = ['mac64', 'mac256', 'eddsa', 'es256', 'ccm', 'gcm'] as const;

function fail(what: string): never {
  throw new Error(`benchmark self-check failed: ${what}`);
}

async function tokenBench(): Promise<Section> {
  const fixtures = makeFixtures();
  await checkHostBytes(fixtures, wasm);
  const config = verifierConfig(fixtures);
  const vFast = await Verifier.open(config, { wasm }); // default provider: fastestCrypto()
  const vNoble = await Verifier.open(config, { crypto: nobleCrypto, wasm });
  const stub = stubCrypto(fixtures);
  const vStub = await Verifier.open(config, { crypto: stub, wasm });
  const vCore = await Verifier.open(config, { crypto: stub, wasm }); // for the breakdown rows only
  const fast: CryptoProvider = await fastestCrypto();

  // jose: JWE dir / A128CBC-HS256 over the same claims as JSON.
  const joseKey = new Uint8Array(randomBytes(32));
  const jwe = await new CompactEncrypt(new TextEncoder().encode(CLAIMS_JSON))
    .setProtectedHeader({ alg: 'dir', enc: 'A128CBC-HS256' })
    .encrypt(joseKey);
  {
    const { plaintext } = await compactDecrypt(jwe, joseKey);
    assert(new TextDecoder().decode(plaintext) === CLAIMS_JSON, 'jose round trip');
  }

  const okResult = (f: Fixture) => (r: VerifyResult) => {
    if (!r.ok) fail(`${f.name}: ${JSON.stringify(r)}`);
    return r;
  };

  const batches: Row[][] = [];
  const primitiveOf = new Map<string, string>();
  const unsupported: { group: string; label: string; why: string }[] = [];

  for (const [i, f] of fixtures.entries()) {
    const s = SHORT[i];
    const ok = okResult(f);
    const rows: Row[] = [
      { group: f.name, id: `${s}.shim`, label: 'shim Verifier.verify, fastestCrypto (default)', bytes: f.token.length, op: () => ok(vFast.verify(f.token)) },
      { group: f.name, id: `${s}.shim-noble`, label: 'shim Verifier.verify, nobleCrypto', bytes: f.token.length, op: () => ok(vNoble.verify(f.token)) },
      { group: f.name, id: `${s}.shim-stub`, label: 'shim Verifier.verify, stub crypto (core + glue only)', bytes: f.token.length, op: () => ok(vStub.verify(f.token)) },
    ];
    const st = f.structure;
    const key = f.rawKey;
    const buf = Buffer.from(f.bare);
    const keyRef = fast.importKey(f.algId, key);
    let providerOp: () => unknown;
    let nobleOp: () => unknown;
    let nodeOp: () => unknown;
    let coseRow: Omit<Row, 'group' | 'id' | 'label' | 'bytes'> | string;
    let what: string;
    switch (f.algId) {
      case 4:
      case 5: {
        what = `HMAC-SHA256 over MAC_structure (${st.length} B)`;
        const tag = f.tagOrSig!;
        const check = (mac: Uint8Array) => {
          for (let j = 0; j < tag.length; j++) if (mac[j] !== tag[j]) fail(`${f.name}: HMAC mismatch`);
          return mac;
        };
        providerOp = () => check(fast.hmacSha256(keyRef, st));
        nobleOp = () => check(hmac(sha256, key, st));
        nodeOp = () => check(createHmac('sha256', key).update(st).digest());
        const keyBuf = Buffer.from(key);
        coseRow = { async: true, op: () => cose.mac.read(buf, keyBuf) };
        break;
      }
      case -8:
      case -7: {
        const sig = f.tagOrSig!;
        const jwk = f.publicJwk;
        const pub: KeyObject = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, format: 'jwk' });
        const yes = (b: boolean) => b || fail(`${f.name}: signature rejected`);
        if (f.algId === -8) {
          what = `Ed25519 verify over Sig_structure (${st.length} B)`;
          providerOp = () => yes(fast.ed25519Verify(keyRef, st, sig));
          nobleOp = () => yes(ed25519.verify(sig, st, key, { zip215: false }));
          nodeOp = () => yes(nodeVerify(null, st, pub, sig));
          coseRow = 'cose-js 0.9.0 has no EdDSA';
          try {
            cose.sign.verifySync(buf, { key: { x: Buffer.from(key), y: Buffer.alloc(0) } });
            coseRow = 'cose-js unexpectedly accepted EdDSA';
          } catch (e) {
            coseRow = `cose-js 0.9.0 has no EdDSA ("${(e as Error).message}")`;
          }
        } else {
          what = `P-256 ECDSA verify (SHA-256) over Sig_structure (${st.length} B)`;
          const p1363 = { key: pub, dsaEncoding: 'ieee-p1363' as const };
          providerOp = () => yes(fast.p256Verify(keyRef, st, sig));
          nobleOp = () => yes(p256.verify(sig, st, key, { lowS: false }));
          nodeOp = () => yes(nodeVerify('sha256', st, p1363, sig));
          const verifier = { key: { x: Buffer.from(key.subarray(1, 33)), y: Buffer.from(key.subarray(33)) } };
          coseRow = { op: () => cose.sign.verifySync(buf, verifier) };
        }
        break;
      }
      default: {
        const iv = f.iv!;
        const ct = f.ciphertext!;
        const tagLen = f.tagLen!;
        const ptLen = ct.length - tagLen;
        const check = (pt: Uint8Array | null) => (pt && pt.length === ptLen ? pt : fail(`${f.name}: decrypt failed`));
        const ccm = f.algId === 10;
        what = `AES-${ccm ? 'CCM' : 'GCM'} decrypt, ${ptLen} B + ${tagLen} B tag, AAD Enc_structure (${st.length} B)`;
        providerOp = ccm ? () => check(fast.aesCcmDecrypt(keyRef, iv, st, ct, tagLen)) : () => check(fast.aesGcmDecrypt(keyRef, iv, st, ct));
        nobleOp = ccm ? () => check(ccmDecrypt(key, iv, st, ct, tagLen)) : () => check(gcm(key, iv, st).decrypt(ct));
        nodeOp = () => {
          const d = ccm
            ? createDecipheriv('aes-128-ccm', key, iv, { authTagLength: tagLen })
            : createDecipheriv('aes-128-gcm', key, iv, { authTagLength: tagLen });
          d.setAuthTag(ct.subarray(ptLen));
          d.setAAD(st, { plaintextLength: ptLen });
          const pt = d.update(ct.subarray(0, ptLen));
          d.final();
          return check(pt);
        };
        const keyBuf = Buffer.from(key);
        coseRow = { async: true, op: () => cose.encrypt.read(buf, keyBuf) };
      }
    }
    rows.push(
      { group: f.name, id: `${s}.provider`, label: 'primitive via fastestCrypto (the call the shim makes)', op: providerOp },
      { group: f.name, id: `${s}.noble`, label: 'raw primitive, @noble', op: nobleOp },
      { group: f.name, id: `${s}.node`, label: 'raw primitive, node:crypto', op: nodeOp },
    );
    primitiveOf.set(f.name, what);
    if (typeof coseRow === 'string') {
      unsupported.push({ group: f.name, label: 'cose-js verify of the bare token', why: coseRow });
    } else {
      const r = coseRow;
      // Checked once before timing: cose-js returns the payload (the plaintext for Encrypt0).
      const out = (await r.op()) as Buffer;
      assert(Buffer.compare(out, Buffer.from(f.payload)) === 0, `${f.name}: cose-js returns the claims`);
      rows.push({ group: f.name, id: `${s}.cose`, label: 'cose-js 0.9.0 verify of the bare token', bytes: f.bare.length, ...r });
    }

    if (s === 'mac64') {
      // Where the shim's time goes, on the same token.
      const g = `${f.name}: breakdown`;
      const tok = f.token;
      const e = vCore.core.exports;
      const now = Date.now() / 1000;
      vCore.core.writeInput(tok);
      assert(e.verify(tok.length, now, 0) === 0, 'breakdown: core verify ok');
      const resultJson = vCore.core.output();
      rows.push(
        { group: g, id: 'mac64.json-fast', label: 'shim verifyJson (no JSON.parse), fastestCrypto', op: () => vFast.verifyJson(tok) },
        { group: g, id: 'mac64.json-stub', label: 'shim verifyJson (no JSON.parse), stub crypto', op: () => vStub.verifyJson(tok) },
        {
          group: g,
          id: 'mac64.wasm-write',
          label: 'writeInput + wasm verify(), stub crypto (no output read)',
          op: () => (vCore.core.writeInput(tok), e.verify(tok.length, now, 0)),
        },
        { group: g, id: 'mac64.wasm', label: 'wasm verify() alone, stub crypto (input already in place)', op: () => e.verify(tok.length, now, 0) },
        { group: g, id: 'mac64.output', label: `core.output(): UTF-8 decode of the result (${resultJson.length} B)`, op: () => vCore.core.output() },
        { group: g, id: 'mac64.parse', label: `JSON.parse of the result JSON (${resultJson.length} B)`, op: () => JSON.parse(resultJson) },
      );
      rows.push({
        group: 'JWE dir A128CBC-HS256 (jose 6.2.18)',
        id: 'jose',
        label: 'jose compactDecrypt of the JWE (same claims as JSON)',
        bytes: jwe.length,
        async: true,
        op: () => compactDecrypt(jwe, joseKey),
      });
    }
    batches.push(rows);
  }

  const started = Date.now();
  process.stderr.write(`measuring ${batches.flat().length} rows (${plan.rounds} rounds of ~${plan.roundMs} ms each)...\n`);
  const results: Measured[] = [];
  for (const rows of batches) results.push(...(await measureGroup(rows, plan)));
  const elapsed = (Date.now() - started) / 1000;

  const by = new Map(results.map((r) => [r.id, r]));
  const us = (id: string) => by.get(id)?.median ?? NaN;

  // ---- Table ----
  const out: string[] = [];
  const W = 62;
  let group = '';
  out.push(`${'row'.padEnd(W)} ${'bytes'.padStart(5)} ${'µs/op'.padStart(8)} ${'min–max'.padStart(15)}`);
  for (const r of results) {
    if (r.group !== group) {
      group = r.group;
      out.push(`— ${group}${primitiveOf.has(group) ? ` — primitive: ${primitiveOf.get(group)}` : ''}`);
      for (const u of unsupported.filter((x) => x.group === group)) out.push(`  ${u.label.padEnd(W - 2)} ${''.padStart(5)} ${'n/a'.padStart(8)}   ${u.why}`);
    }
    out.push(
      `  ${r.label.padEnd(W - 2)} ${(r.bytes?.toString() ?? '').padStart(5)} ${fmt(r.median).padStart(8)} ${`${fmt(r.min)}–${fmt(r.max)}`.padStart(15)}`,
    );
  }

  // ---- Sizes ----
  out.push('');
  out.push('Token sizes (bytes):');
  for (const f of fixtures) out.push(`  ${f.name.padEnd(30)} ntok ${String(f.token.length).padStart(4)}   bare COSE/CWT ${String(f.bare.length).padStart(4)}`);
  out.push(`  ${'JWE dir A128CBC-HS256 (jose)'.padEnd(30)} compact serialization ${jwe.length} (claims JSON ${CLAIMS_JSON.length})`);

  // ---- Ratios ----
  interface Ratio {
    alg: string;
    shim: number;
    fastestRaw: number;
    fastestRawBy: string;
    shimOverRaw: number;
    overheadUs: number;
    core: number;
    nobleShimOverNobleRaw: number;
    coseOverShim: number;
    joseOverShim: number;
  }
  // Ratios pair round i of one row with round i of the other (they ran a few
  // hundred ms apart in the same interleaved pass) and take the median of the
  // per-round ratios: a noisy stretch of the VM then cancels out. jose ran in the
  // Mac0 HMAC 256/64 pass only, so jose÷shim is a ratio of medians.
  const paired = (a: string, b: string, f: (x: number, y: number) => number = (x, y) => x / y): number => {
    const ra = by.get(a);
    const rb = by.get(b);
    if (!ra || !rb || ra.perRound.length !== rb.perRound.length) return NaN;
    return median(ra.perRound.map((v, r) => f(v, rb.perRound[r])));
  };
  const ratios: Ratio[] = fixtures.map((f, i) => {
    const s = SHORT[i];
    const noble = us(`${s}.noble`);
    const node = us(`${s}.node`);
    const rawId = noble <= node ? `${s}.noble` : `${s}.node`;
    return {
      alg: f.name,
      shim: us(`${s}.shim`),
      fastestRaw: us(rawId),
      fastestRawBy: noble <= node ? '@noble' : 'node:crypto',
      shimOverRaw: paired(`${s}.shim`, rawId),
      overheadUs: paired(`${s}.shim`, `${s}.provider`, (x, y) => x - y),
      core: us(`${s}.shim-stub`),
      nobleShimOverNobleRaw: paired(`${s}.shim-noble`, `${s}.noble`),
      coseOverShim: paired(`${s}.cose`, `${s}.shim`),
      joseOverShim: us('jose') / us(`${s}.shim`),
    };
  });
  out.push('');
  out.push('Ratios (same run; shim = Verifier.verify with the default fastestCrypto; ×: median of per-round ratios):');
  out.push(
    `  ${'token'.padEnd(28)} ${'shim µs'.padStart(8)} ${'fastest raw'.padStart(19)} ${'shim÷raw'.padStart(9)} ${'shim−prim µs'.padStart(12)} ${'stub µs'.padStart(8)} ${'noble shim÷noble raw'.padStart(20)} ${'cose-js÷shim'.padStart(12)} ${'jose÷shim'.padStart(10)}`,
  );
  for (const r of ratios) {
    out.push(
      `  ${r.alg.padEnd(28)} ${fmt(r.shim).padStart(8)} ${`${fmt(r.fastestRaw)} ${r.fastestRawBy}`.padStart(19)} ${x(r.shimOverRaw).padStart(9)} ${fmt(r.overheadUs).padStart(12)} ${fmt(r.core).padStart(8)} ${x(r.nobleShimOverNobleRaw).padStart(20)} ${x(r.coseOverShim).padStart(12)} ${x(r.joseOverShim).padStart(10)}`,
    );
  }
  out.push('  shim−prim: median per-round difference, shim verify minus the fastestCrypto primitive alone (core, glue, copies, JSON).');
  out.push('  stub: shim verify with a provider that returns precomputed answers (core + glue, no crypto).');

  // ---- Targets ----
  const mac64 = ratios[0];
  const targets: Target[] = [
    target(
      'Mac0 HMAC 256/64 shim verify ≤ 1.5× raw @noble HMAC on the same bytes',
      paired('mac64.shim', 'mac64.noble'),
      1.5,
      true,
      '×',
      `${fmt(us('mac64.shim'))} µs vs ${fmt(us('mac64.noble'))} µs`,
    ),
    target('Mac0 HMAC 256/64: shim ≥ 5× faster than cose-js', mac64.coseOverShim, 5, false, '×', `cose-js ${fmt(us('mac64.cose'))} µs vs shim ${fmt(mac64.shim)} µs`),
    target('Mac0 HMAC 256/256: shim ≥ 5× faster than cose-js', ratios[1].coseOverShim, 5, false, '×', `cose-js ${fmt(us('mac256.cose'))} µs vs shim ${fmt(ratios[1].shim)} µs`),
    target(
      'Sign1 EdDSA shim verify ≤ 1.2× fastest raw Ed25519 verify',
      ratios[2].shimOverRaw,
      1.2,
      true,
      '×',
      `${fmt(ratios[2].shim)} µs vs ${fmt(ratios[2].fastestRaw)} µs (${ratios[2].fastestRawBy})`,
    ),
    target(
      'Sign1 ES256 shim verify ≤ 1.2× fastest raw P-256 verify',
      ratios[3].shimOverRaw,
      1.2,
      true,
      '×',
      `${fmt(ratios[3].shim)} µs vs ${fmt(ratios[3].fastestRaw)} µs (${ratios[3].fastestRawBy})`,
    ),
  ];
  out.push('');
  out.push(`tokens: measured in ${elapsed.toFixed(1)} s`);

  const json = {
    rows: results.map(({ perRound, ...r }) => ({ ...r, perRound: perRound.map((v) => +v.toFixed(3)) })),
    unsupported,
    sizes: {
      ntok: Object.fromEntries(fixtures.map((f) => [f.name, { token: f.token.length, bare: f.bare.length }])),
      jwe: jwe.length,
    },
    ratios,
  };
  return { out, targets, json };
}

async function main(): Promise<void> {
  const started = Date.now();
  const out: string[] = [];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  out.push(
    `ntok benchmark — ${new Date().toISOString()} — Node ${process.version} ${process.arch}, ${cpu} × ${cpus().length}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
  );
  if (wasmPath !== undefined) out.push(`core: ${wasmPath} (--wasm), not build/ntok.wasm`);
  out.push(`${quick ? 'QUICK (smoke run, figures unreliable): ' : ''}${plan.rounds} interleaved rounds per group, ~${plan.roundMs} ms each; µs/op = median of the rounds (min–max shown)`);
  out.push('');
  const targets: Target[] = [];
  let json: Record<string, unknown> = {};
  if (runTokens) {
    const tokens = await tokenBench();
    out.push(...tokens.out);
    targets.push(...tokens.targets);
    json = { ...json, ...tokens.json };
  }
  if (runFormats) {
    const formats = await formatsBench(plan, wasm);
    out.push(...formats.out);
    json = { ...json, ...formats.json };
  }
  if (runPackets) {
    process.stderr.write('packet path: making the capture...\n');
    const packets = await packetPathBench(plan, quick, wasm);
    out.push(...packets.out);
    targets.push(...packets.targets);
    json.packetPath = packets.json;
  }
  if (runNtokd) {
    if (wasmPath !== undefined) {
      out.push('', 'ntokd: not measured with --wasm (ntokd runs the build/ntok.wasm it was built for)');
    } else {
      const ntokd = await ntokdBench(plan, quick);
      out.push(...ntokd.out);
      targets.push(...ntokd.targets);
      json.ntokd = ntokd.json;
    }
  }
  if (runLoad) {
    if (wasmPath !== undefined) {
      out.push('', 'router load: not measured with --wasm (ntokd runs the build/ntok.wasm it was built for)');
    } else {
      const load = await loadBench(quick);
      out.push(...load.out);
      targets.push(...load.targets);
      json.load = load.json;
    }
  }
  const wasmBytes = statSync(wasmFile).size;
  const spare = WASM_BUDGET - wasmBytes;
  targets.push(
    target(
      `${wasmPath ?? 'build/ntok.wasm'} ≤ 64 KB (65,536 bytes), packet path in`,
      wasmBytes,
      WASM_BUDGET,
      true,
      ' B',
      `${wasmBytes.toLocaleString('en-US')} bytes, ${spare >= 0 ? `${spare.toLocaleString('en-US')} to spare` : `${(-spare).toLocaleString('en-US')} over`}`,
    ),
  );
  out.push('');
  out.push('Targets:');
  for (const t of targets) out.push(targetLine(t));
  out.push('');
  out.push(`whole run ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (sinkValue() !== 0) out.push(`(${sinkValue()} operations returned nothing)`);
  console.log(out.join('\n'));

  if (asJson) {
    console.log(
      JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          arch: process.arch,
          cpu,
          cpus: cpus().length,
          loadavg: loadavg(),
          plan,
          ...json,
          targets,
          wasmBytes,
        },
        null,
        2,
      ),
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
