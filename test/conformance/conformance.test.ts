// Conformance of the two hosts: `ntok verify --json` (TS host, V8) and
// `ntokd verify --json` (C host, wasm3 + mbedTLS/libsodium) run the same
// ntok.wasm on the same inputs and must print byte-identical JSON and exit
// with the same code (ARCHITECTURE.md, "One ABI"). So must `replay` and
// `tag` over captures (test/support/replay-cases.ts), and the capture files
// they write with --out must be identical byte for byte.
//
// build/ntokd comes from `npm run build:host`; `npm run test:conformance`
// builds it, then runs this file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { REPO, Scratch, type Run } from '../support/host-runs.js';
import { ipv4Udp, pcapFile, stunBindingRequest } from '../support/captures.js';
import { keygen, mintToken } from '../../src/issuer/index.js';
import { mutatedCaptures, replayCases, taggedInput, type ReplayCase } from '../support/replay-cases.js';
import { Gateway } from '../../src/host/gateway.js';
import { CaptureError, readCapture } from '../../src/pcap/index.js';
import { replay } from '../../src/replay.js';


const CLI = join(REPO, 'dist/src/cli/ntok.js');
const NTOKD = join(REPO, 'build/ntokd');
const WASM = join(REPO, 'build/ntok.wasm');
/**
 * NTOKD_MEMCHECK=1 (npm run test:memcheck) runs every ntokd under valgrind
 * memcheck: a memory error or a definite leak exits 99, which no case
 * expects, so the comparison with the TS host fails and shows valgrind's report.
 */
const MEMCHECK = process.env.NTOKD_MEMCHECK === '1';

const scratch = new Scratch('ntok-conformance-');
const dir = scratch.dir;
const file = (content: string | Uint8Array): string => scratch.file(content);
const run = (cmd: string, args: string[]): Run => scratch.run(cmd, args);


const ts = (args: string[]): Run => run(process.execPath, [CLI, 'verify', ...args]);
function ntokd(args: string[], timeoutMs?: number): Run {
  if (!MEMCHECK) return scratch.run(NTOKD, args, timeoutMs);
  return scratch.run('valgrind', ['-q', '--error-exitcode=99', '--leak-check=full', '--errors-for-leak-kinds=definite', NTOKD, ...args], timeoutMs);
}

const c = (args: string[]): Run => ntokd(['verify', ...args]);

/** Both hosts, same arguments: same stdout byte for byte, same exit code. */
function conform(args: string[], expectCode?: number): Run {
  const a = ts(args);
  const b = c(args);
  assert.equal(b.out, a.out, `stdout differs\n  ntok:  ${a.out}\n  ntokd: ${b.out}\n  ntokd stderr: ${b.err}`);
  assert.equal(b.code, a.code, `exit code differs (ntok ${a.code}, ntokd ${b.code})\n  ntok stderr: ${a.err}\n  ntokd stderr: ${b.err}`);
  if (expectCode !== undefined) assert.equal(a.code, expectCode, `exit code ${a.code}: ${a.err}`);
  return a;
}

interface Vector {
  name: string;
  token: string;
  cwt: boolean;
  now: number;
  keyset_expect?: string;
  keys: unknown[];
  expect: { code: string };
}

function vectors(name: string): Vector[] {
  return JSON.parse(readFileSync(join(REPO!, 'test/vectors', name), 'utf8')) as Vector[];
}

const ALL = [...vectors('cwt.json'), ...vectors('cose.json')];

function vectorArgs(v: Vector, via: 'config' | 'keys'): string[] {
  const keysOrConfig =
    via === 'config'
      ? ['--config', file(JSON.stringify({ keysets: { default: { ...(v.keyset_expect ? { expect: v.keyset_expect } : {}), keys: v.keys } } }))]
      : ['--keys', file(JSON.stringify({ keys: v.keys }))];
  return [v.token, ...keysOrConfig, '--now', String(v.now), ...(v.cwt ? ['--cwt'] : []), '--json'];
}

for (const v of ALL) {
  test(`vector ${v.name}: both hosts print the same result (key set from --config)`, () => {
    const r = conform(vectorArgs(v, 'config'));
    assert.equal((JSON.parse(r.out) as { code: string }).code, v.expect.code);
  });
  test(`vector ${v.name}: both hosts print the same result (keys from --keys)`, () => {
    conform(vectorArgs(v, 'keys'));
  });
}

// RFC 8392 A.4: a Mac0 CWT with iss, aud, exp, nbf, iat and cti 0b71.
const mac0 = ALL.find((v) => v.name === 'rfc8392-a4-mac0')!;
const header = (reflect: number, descriptor: number): string =>
  ((reflect << 28) | descriptor).toString(16).padStart(8, '0');
const mac0Keys = (): string => file(JSON.stringify({ keys: mac0.keys }));
const withHeader = (h: string, extra: string[] = []): string[] =>
  [h + mac0.token, '--keys', mac0Keys(), '--now', String(mac0.now), '--json', ...extra];

function codeOf(r: Run): string {
  return (JSON.parse(r.out) as { code: string }).code;
}

test('a token with the network-token header verifies alike', () => {
  assert.equal(codeOf(conform(withHeader(header(0, 2)), 0)), 'ok');
  assert.equal(codeOf(conform(withHeader(header(1, 2)), 0)), 'ok');
});

test('malformed bytes are rejected alike', () => {
  assert.equal(codeOf(conform(['00000002ff', '--keys', mac0Keys(), '--json'], 1)), 'malformed');
});

test('text that is neither hex nor @file is rejected alike', () => {
  assert.equal(codeOf(conform(['not-hex', '--keys', mac0Keys(), '--json'], 1)), 'malformed');
});

test('a token of 2049 bytes is too-large alike', () => {
  assert.equal(codeOf(conform(['00000002' + '00'.repeat(2045), '--keys', mac0Keys(), '--json'], 1)), 'too-large');
});

test('a token larger than the input buffer is refused alike', () => {
  const big = file(new Uint8Array(70_000).fill(0xd2));
  conform([`@${big}`, '--keys', mac0Keys(), '--json'], 1);
});

test('a revoked cti is rejected alike', () => {
  assert.equal(codeOf(conform(withHeader(header(0, 2), ['--revoked', '12345', '--revoked', 'h:0B71']), 1)), 'revoked');
  assert.equal(codeOf(conform(withHeader(header(0, 2), ['--revoked', '0b72', '--revoked', '7']), 0)), 'ok');
});

test('a wrong issuer and a wrong audience are rejected alike', () => {
  assert.equal(codeOf(conform(withHeader(header(0, 2), ['--issuer', 'coap://other.example']), 1)), 'wrong-issuer');
  assert.equal(codeOf(conform(withHeader(header(0, 2), ['--issuer', 'coap://x', '--issuer', 'coap://as.example.com']), 0)), 'ok');
  assert.equal(codeOf(conform(withHeader(header(0, 2), ['--audience', 'coap://dark.example.com']), 1)), 'wrong-audience');
});

test('a required claim that is missing is rejected alike', () => {
  const floatIat = ALL.find((v) => v.name === 'rfc8392-a7-mac0-float-iat')!;
  const args = [floatIat.token, '--keys', file(JSON.stringify(floatIat.keys)), '--now', String(floatIat.now), '--cwt', '--json'];
  assert.equal(codeOf(conform([...args, '--require', 'exp'], 1)), 'missing-claim');
  assert.equal(codeOf(conform(withHeader(header(0, 2), ['--require', ' exp, ,nti ']), 1)), 'missing-claim');
});

test('leeway from --leeway and from --config is applied alike', () => {
  const expired = ALL.find((v) => v.name === 'rfc8392-a4-mac0-expired')!;
  const base = [expired.token, '--keys', file(JSON.stringify(expired.keys)), '--now', String(expired.now), '--cwt', '--json'];
  conform([...base, '--leeway', '0'], 1);
  conform([...base, '--leeway', '8.64e4']);
  conform([...base, '--leeway', '0x10'], 1);
  conform([...base, '--leeway', '0.5'], 1);
  conform([...base, '--leeway', '1e9'], 2); // above the core's limit of 86,400
  conform([...base, '--config', file('{"leeway": 86400, "keysets": {"other": {"keys": []}}}')]);
  conform([...base, '--config', file('{"leeway": 5, "keysets": {"default": {"expect": "mac0", "keys": []}}}')]);
});

test('an unknown descriptor is rejected alike', () => {
  assert.equal(codeOf(conform(withHeader(header(0, 7)), 1)), 'unknown-descriptor');
});

test('a reserved reflect type (3) is bad-header alike', () => {
  assert.equal(codeOf(conform(withHeader(header(3, 2)), 1)), 'bad-header');
});

test('tokens from @file, as hex text or raw bytes, verify alike', () => {
  conform([`@${file(`  0x${header(0, 2)}${mac0.token}\n`)}`, '--keys', mac0Keys(), '--now', String(mac0.now), '--json'], 0);
  conform([`@${file(Buffer.from(mac0.token, 'hex'))}`, '--keys', mac0Keys(), '--now', String(mac0.now), '--cwt', '--json'], 0);
});

test('a single JWK and a bare array of JWKs are accepted as --keys alike', () => {
  conform([mac0.token, '--keys', file(JSON.stringify(mac0.keys[0])), '--now', String(mac0.now), '--cwt', '--json'], 0);
  conform([mac0.token, '--keys', file(JSON.stringify(mac0.keys)), '--now', String(mac0.now), '--cwt', '--json'], 0);
});

test('the clock defaults to now on both hosts', () => {
  assert.equal(codeOf(conform([mac0.token, '--keys', mac0Keys(), '--cwt', '--json'], 1)), 'expired');
});

test('usage errors, unreadable files and a refused configuration exit 2 on both hosts', () => {
  const cases: string[][] = [
    [mac0.token, '--json'],
    ['--keys', mac0Keys(), '--json'],
    [mac0.token, mac0.token, '--keys', mac0Keys()],
    [mac0.token, '--keys', join(dir, 'missing.json')],
    [mac0.token, '--keys', file('{not json')],
    [mac0.token, '--keys', file('{"hello": 1}')],
    [mac0.token, '--keys', file('{"keys": [{"kty": "oct", "kid": "a", "alg": "HMAC 256/64"}]}')],
    [mac0.token, '--keys', mac0Keys(), '--now', 'soon'],
    [mac0.token, '--keys', mac0Keys(), '--leeway', 'lots'],
    [mac0.token, '--keys', mac0Keys(), '--revoked', 'xyz'],
    [mac0.token, '--keys', mac0Keys(), '--bogus'],
    [`@${join(dir, 'missing.hex')}`, '--keys', mac0Keys()],
  ];
  for (const args of cases) {
    const a = ts(args);
    const b = c(args);
    assert.equal(a.code, 2, `ntok ${args.join(' ')}: ${a.code}`);
    assert.equal(b.code, 2, `ntokd ${args.join(' ')}: ${b.code} ${b.err}`);
    assert.equal(b.out, a.out);
    // The usage text follows a usage error only; a file that cannot be used gets its reason alone.
    assert.equal(b.err.includes('\nusage:'), a.err.includes('\nusage:'), `usage text after ${args.join(' ')}:\n${a.err}\n${b.err}`);
  }
  const usageShown = (args: string[]): boolean => ts(args).err.includes('\nusage:');
  assert.equal(usageShown([mac0.token, '--keys', mac0Keys(), '--bogus']), true);
  assert.equal(usageShown([mac0.token, '--keys', join(dir, 'missing.json')]), false);
});

test('a refused configuration: exit 2 and the same reason on both hosts, quotes as they are', () => {
  // The core's message names the key set in quotes; ntokd decodes the JSON escapes of the core's reply.
  const args = [mac0.token, '--config', file('{"descriptors": [{"id": 5, "keyset": "nope"}]}'), '--json'];
  const a = ts(args);
  const b = c(args);
  assert.equal(a.code, 2);
  assert.equal(b.code, 2);
  assert.equal(a.err, 'ntok: configuration: descriptors[0].keyset "nope" is not defined\n');
  assert.equal(b.err.replace(/^ntokd: /, 'ntok: '), a.err);
  // A name with a quote, a backslash, a control character and non-ASCII text, byte for byte alike.
  const odd = [mac0.token, '--config', file('{"descriptors": [{"id": 5, "keyset": "a\\"b\\\\c\\u00e9\\u0001\\ud83d\\ude00"}]}')];
  const a2 = ts(odd);
  const b2 = c(odd);
  assert.equal(a2.code, 2);
  assert.equal(a2.err, 'ntok: configuration: descriptors[0].keyset "a"b\\c\u00e9\u0001\u{1f600}" is not defined\n');
  assert.equal(b2.err.replace(/^ntokd: /, 'ntok: '), a2.err);
});

test('the human output exits alike', () => {
  const args = [mac0.token, '--keys', mac0Keys(), '--now', String(mac0.now), '--cwt'];
  assert.equal(c(args).code, ts(args).code);
  assert.match(c(args).out, /^OK /);
  const bad = [mac0.token, '--keys', mac0Keys(), '--cwt'];
  assert.equal(c(bad).code, ts(bad).code);
  assert.match(c(bad).out, /^REJECTED expired: /);
});

// Tokens minted by the TS issuer for every algorithm, with every claim kind.
const ALGS = ['HMAC 256/64', 'HMAC 256/256', 'EdDSA', 'ES256', 'AES-CCM-16-64-128', 'A128GCM'];
const NOW = 1_800_000_000;

function ntok(...args: string[]): string {
  const r = run(process.execPath, [CLI, ...args]);
  assert.equal(r.code, 0, r.err);
  return r.out.trim();
}

for (const alg of ALGS) {
  test(`a token minted with ${alg} verifies alike, also expired and tampered`, () => {
    const kid = alg.replace(/\W/g, '');
    const priv = join(dir, `${kid}.json`);
    const pub = join(dir, `${kid}.pub.json`);
    ntok('keygen', '--alg', alg, '--kid', kid, '--out', priv, '--public', pub);
    const token = ntok('issue', '--key', priv, '--exp', String(NOW + 60), '--iat', String(NOW), '--srv', 'video',
      '--bip', '2001:db8::/64', '--nti', '0a0b', '--cti', '01', '--iss', 'op', '--aud', 'gw', '--reflect', '1');
    const keys = alg.startsWith('HMAC') || alg.startsWith('A') ? priv : pub;
    assert.equal(codeOf(conform([token, '--keys', keys, '--now', String(NOW), '--json'], 0)), 'ok');
    conform([token, '--keys', keys, '--now', String(NOW + 3600), '--json'], 1);
    conform([token, '--keys', keys, '--now', String(NOW), '--revoked', 'h:0a0b', '--json'], 1);
    const tampered = token.slice(0, -2) + ((parseInt(token.slice(-2), 16) ^ 1).toString(16).padStart(2, '0'));
    conform([tampered, '--keys', keys, '--now', String(NOW), '--json'], 1);
  });
}

test('a nested token (Encrypt0 around Sign1) verifies alike', () => {
  const sign = join(dir, 'nest-sign.json');
  const enc = join(dir, 'nest-enc.json');
  ntok('keygen', '--alg', 'ES256', '--kid', 'ns', '--out', sign, '--public', join(dir, 'nest-sign.pub.json'));
  ntok('keygen', '--alg', 'A128GCM', '--kid', 'ne', '--out', enc);
  const token = ntok('issue', '--key', sign, '--encrypt-with', enc, '--exp', String(NOW + 60), '--sid', '7');
  const keys = file(JSON.stringify({
    keys: [...(JSON.parse(readFileSync(join(dir, 'nest-sign.pub.json'), 'utf8')) as { keys: unknown[] }).keys,
      ...(JSON.parse(readFileSync(enc, 'utf8')) as { keys: unknown[] }).keys],
  }));
  assert.equal(codeOf(conform([token, '--keys', keys, '--now', String(NOW), '--json'], 0)), 'ok');
});

test('ntokd refuses a module that is not the one it was built for', () => {
  const wasm = readFileSync(WASM);
  const altered = join(dir, 'altered.wasm');
  copyFileSync(WASM, altered);
  const bytes = new Uint8Array(wasm);
  bytes[bytes.length - 1] ^= 0x01;
  writeFileSync(altered, bytes);
  const r = ntokd(['verify', mac0.token, '--keys', mac0Keys(), '--cwt', '--json', '--module', altered]);
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.match(r.err, /sha256/);
  const same = ntokd(['verify', mac0.token, '--keys', mac0Keys(), '--now', String(mac0.now), '--cwt', '--json', '--module', WASM]);
  assert.equal(same.code, 0, same.err);
});

// RFC 8032 §5.1.7 lets a verifier check [S]B = R + [k]A with R of small
// order: a key holder can sign with R = the identity point (S = k·a). OpenSSL
// and @noble (zip215: false) accept that, libsodium refuses it; the TS
// providers refuse it too (src/host/crypto.ts smallOrderR), so both hosts
// answer bad-signature.
test('an Ed25519 signature whose R is the identity point is refused alike', () => {
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  const le = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 255n));
  const fromLe = (b: Uint8Array) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
  const { scalar, pointBytes: A } = ed25519.utils.getExtendedPublicKey(new Uint8Array(32).fill(7));
  const claims = Buffer.from('a1041a77359400', 'hex'); // {4: 2000000000}
  // Sig_structure (RFC 9052 §4.4): ["Signature1", h'a10127', h'', claims]
  const tbs = Buffer.concat([Buffer.from('846a5369676e61747572653143a1012740', 'hex'), Buffer.from([0x40 + claims.length]), claims]);
  const R = new Uint8Array(32);
  R[0] = 1;
  const k = fromLe(sha512(Buffer.concat([R, A, tbs]))) % L;
  const sig = Buffer.concat([R, le((k * scalar) % L)]);
  const token = `d28443a10127a1044165${(0x40 + claims.length).toString(16)}${claims.toString('hex')}5840${sig.toString('hex')}`;
  const keys = file(JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'e', alg: 'EdDSA', x: Buffer.from(A).toString('base64url') }] }));
  assert.equal(codeOf(conform([token, '--keys', keys, '--now', String(NOW), '--cwt', '--json'], 1)), 'bad-signature');
});

// ---------------------------------------------------------------- replay and tag

/** Long enough for 100,000 packets under valgrind (about 30 s here). */
const REPLAY_TIMEOUT = 300_000;

interface ReplayRuns {
  ts: Run;
  c: Run;
  /** The --out file of the TS host (null: none written). */
  output: Uint8Array | null;
}

/** One case through both hosts, the same --out path for each (the human output names it). */
function replayBoth(rc: ReplayCase, index: number): ReplayRuns {
  if (rc.error !== undefined) assert.fail(`${rc.name}: ${rc.error}`);
  const out = join(dir, `replay-${index}.out`);
  const extra = rc.out === false ? [] : ['--out', out];
  const written = (): Uint8Array | null => {
    if (!existsSync(out)) return null;
    const bytes = new Uint8Array(readFileSync(out));
    rmSync(out);
    return bytes;
  };
  const ts = scratch.run(process.execPath, [CLI, rc.command, ...rc.args, ...extra], REPLAY_TIMEOUT);
  const fromTs = written();
  const c = ntokd([rc.command, ...rc.args, ...extra], REPLAY_TIMEOUT);
  const fromC = written();
  const what = `ntok(d) ${rc.command} ${rc.args.join(' ')}`;
  assert.equal(c.out, ts.out, `stdout differs: ${what}\n  ntok:  ${ts.out.slice(0, 2000)}\n  ntokd: ${c.out.slice(0, 2000)}\n  ntokd stderr: ${c.err}`);
  assert.equal(c.code, ts.code, `exit code differs (ntok ${ts.code}, ntokd ${c.code}): ${what}\n  ntok stderr: ${ts.err}\n  ntokd stderr: ${c.err}`);
  if (rc.code !== null) assert.equal(ts.code, rc.code ?? 0, `exit code ${ts.code}: ${what}\n  ${ts.err}`);
  assert.equal(fromC === null, fromTs === null, `only one host wrote --out: ${what}`);
  if (fromTs && fromC) assert.ok(Buffer.from(fromC).equals(Buffer.from(fromTs)), `--out files differ (${fromTs.length} and ${fromC.length} bytes): ${what}`);
  if (ts.code !== 0) assert.equal(ts.out, '', 'a failed replay prints nothing on stdout');
  if (rc.codes) {
    const seen = new Set((JSON.parse(ts.out) as { code: string }[]).map((f) => f.code));
    for (const code of rc.codes) assert.ok(seen.has(code), `${rc.name}: no flow with code ${code} (${[...seen].join(', ')})`);
  }
  return { ts, c, output: fromTs };
}

const cases = replayCases(scratch, { netns: true, bigFlows: 100_000 });
const chain = taggedInput(cases);

cases.forEach((rc, i) => {
  test(`replay: ${rc.name}: both hosts print the same${rc.out === false ? '' : ' and write the same capture'}`, () => {
    const r = replayBoth(rc, i);
    if (rc === chain.from) {
      assert.ok(r.output && r.output.length > 24, 'the tag case wrote no capture');
      writeFileSync(chain.to.args[0], r.output);
    }
  });
});

// The TS side in-process (readCapture, Gateway, replay: what `ntok replay`
// runs), so that a hundred files cost a hundred ntokd runs only.
test('replay: captures broken in many small ways are accepted or refused alike', async () => {
  const config = file('{}');
  // Under valgrind every run costs a second or two: a third of them.
  const mutants = mutatedCaptures().filter((_, i) => !MEMCHECK || i % 3 === 0);
  let refused = 0;
  for (const [i, bytes] of mutants.entries()) {
    const path = file(bytes);
    let expected: { code: number; out: string };
    try {
      const capture = readCapture(bytes);
      try {
        expected = { code: 0, out: replay(await Gateway.open('{}'), capture).json + '\n' };
      } catch {
        expected = { code: 1, out: '' }; // a writer refused a packet: ntok throws
      }
    } catch (e) {
      assert.ok(e instanceof CaptureError, `mutant ${i}: ${String(e)}`);
      expected = { code: 2, out: '' };
      refused++;
    }
    const c = ntokd(['replay', path, '--config', config, '--json']);
    assert.equal(c.code, expected.code, `mutant ${i} (${path}): exit code ${c.code}, ntok ${expected.code}\n  ntokd stderr: ${c.err}`);
    assert.equal(c.out, expected.out, `mutant ${i} (${path}): stdout differs`);
  }
  assert.ok(refused > mutants.length / 4 && refused < mutants.length, `${refused} of ${mutants.length} refused`);
});

// wasm3's stack is fixed when ntokd is built (WASM3_STACK_BYTES, from a
// board's wasm3_stack_kib). Its end is a trap like any other: with 2 KiB the
// core configures and parses plain packets, but overflows checking a token.
// Not a conformance check (V8's stack is another size): ntokd alone.
test('ntokd built with a 2 KiB wasm3 stack: a stack overflow is a trap, recovered from, not a crash', () => {
  const bin = join(dir, 'ntokd-2k-stack');
  const built = scratch.run('make', ['-s', '-C', join(REPO, 'host'), `OUT=${bin}`, `OBJ=${join(dir, 'obj-2k-stack')}`, 'CPPFLAGS=-DWASM3_STACK_BYTES=2048'], 300_000);
  assert.equal(built.code, 0, built.err);
  const run = (args: string[]): Run => MEMCHECK
    ? scratch.run('valgrind', ['-q', '--error-exitcode=99', '--leak-check=full', '--errors-for-leak-kinds=definite', bin, ...args, '--module', WASM])
    : scratch.run(bin, [...args, '--module', WASM]);
  const key = keygen('HMAC 256/64', 'k').privateJwk;
  const token = mintToken({ exp: NOW + 60, srv: 1 }, { key });
  const packets = [0, 1, 2].flatMap((i) => [
    ipv4Udp({ src: '10.1.0.10', dst: '203.0.113.5', sport: 42000 + i, dport: 3478, payload: stunBindingRequest(token) }),
    ipv4Udp({ src: '203.0.113.5', dst: '10.1.0.10', sport: 3478, dport: 42000 + i }),
  ]);
  const capture = file(pcapFile(101, packets.map((data, i) => ({ data, sec: NOW, fraction: i }))));
  const r = run(['replay', capture, '--config', file('{}'), '--json']);
  assert.equal(r.code, 0, r.err);
  const flows = JSON.parse(r.out) as { flow: string | null; code: string; packets: number }[];
  assert.deepEqual(flows.filter((f) => f.flow === null), [{ flow: null, service: null, dscp: null, code: 'host-error', packets: 3 }]);
  assert.deepEqual(flows.filter((f) => f.flow !== null).map((f) => f.code), ['no-token', 'no-token', 'no-token']);
  assert.match(r.err, /3 traps in the core, the last: \[trap\] stack overflow/);
  // verify: a Mac0 whose unprotected header holds arrays 12 deep (the core's limit is 16).
  const nested = `00000002d18443a10104a11863${'81'.repeat(12)}00410048${'00'.repeat(8)}`;
  const v = run(['verify', nested, '--config', file('{}'), '--json']);
  assert.equal(v.code, 1, v.err);
  assert.equal(codeOf(v), 'host-error');
  assert.match(v.err, /stack overflow/);
});
