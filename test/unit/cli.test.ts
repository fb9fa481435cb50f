// The `ntok` CLI as a user runs it: a child process, its stdout, its exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/ntok.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ntok-cli-test-'));
const NOW = 1_800_000_000;

function ntok(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function keys(alg: string, kid: string): string {
  const file = join(dir, `${kid}.json`);
  const r = ntok('keygen', '--alg', alg, '--kid', kid, '--out', file, '--public', join(dir, `${kid}.pub.json`));
  assert.equal(r.code, 0, r.err);
  return file;
}

const mac = keys('HMAC 256/64', 'm');
const ed = keys('EdDSA', 'e');
const aes = keys('AES-CCM-16-64-128', 'c');

function issue(key: string, ...args: string[]): string {
  const r = ntok('issue', '--key', key, ...args);
  assert.equal(r.code, 0, r.err);
  return r.out.trim();
}

const token = issue(mac, '--exp', String(NOW + 3600), '--srv', '1', '--bip', '192.0.2.7', '--cti', '0102030405060708');

test('keygen writes a private JWK Set and a public one without the private part', () => {
  const priv = JSON.parse(readFileSync(ed, 'utf8'));
  const pub = JSON.parse(readFileSync(join(dir, 'e.pub.json'), 'utf8'));
  assert.equal(priv.keys[0].kty, 'OKP');
  assert.ok(priv.keys[0].d);
  assert.equal(pub.keys[0].d, undefined);
  assert.equal(pub.keys[0].x, priv.keys[0].x);
});

test('issue mints the 56-byte Mac0 token of the size requirement', () => {
  assert.equal(token.length / 2, 56);
});

test('verify --json prints the core result and exits 0 for a valid token', () => {
  const r = ntok('verify', token, '--keys', mac, '--now', String(NOW), '--json');
  assert.equal(r.code, 0);
  assert.deepEqual(JSON.parse(r.out), {
    ok: true, code: 'ok', kid: 'm', alg: 4, descriptor: 2, reflect: 0,
    claims: { exp: NOW + 3600, cti: '0102030405060708', srv: 1, bip: '192.0.2.7' },
  });
});

test('verify exits 1 with code expired after exp plus leeway', () => {
  const r = ntok('verify', token, '--keys', mac, '--now', String(NOW + 3660), '--json');
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.out).code, 'expired');
});

test('verify honours --leeway', () => {
  const r = ntok('verify', token, '--keys', mac, '--now', String(NOW + 3660), '--leeway', '120', '--json');
  assert.equal(r.code, 0);
});

test('verify exits 1 with bad-mac for a tampered token', () => {
  const tampered = token.replace('c0000207', 'c0000208');
  const r = ntok('verify', tampered, '--keys', mac, '--now', String(NOW), '--json');
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.out).code, 'bad-mac');
});

test('verify exits 1 with revoked when the cti is revoked', () => {
  const r = ntok('verify', token, '--keys', mac, '--now', String(NOW), '--revoked', 'h:0102030405060708', '--json');
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.out).code, 'revoked');
});

test('verify --revoked with digits only names an integer id, not the byte string', () => {
  const r = ntok('verify', token, '--keys', mac, '--now', String(NOW), '--revoked', '0102030405060708', '--json');
  assert.equal(r.code, 0);
});

test('verify --require exp rejects a token without exp with missing-claim', () => {
  const noExp = issue(mac, '--srv', '1');
  assert.equal(ntok('verify', noExp, '--keys', mac, '--now', String(NOW)).code, 0);
  const r = ntok('verify', noExp, '--keys', mac, '--now', String(NOW), '--require', 'exp', '--json');
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.out).code, 'missing-claim');
});

test('verify --issuer rejects another issuer with wrong-issuer', () => {
  const t = issue(mac, '--iss', 'isp.example', '--exp', String(NOW + 60));
  assert.equal(ntok('verify', t, '--keys', mac, '--now', String(NOW), '--issuer', 'isp.example').code, 0);
  const r = ntok('verify', t, '--keys', mac, '--now', String(NOW), '--issuer', 'other.example', '--json');
  assert.equal(JSON.parse(r.out).code, 'wrong-issuer');
});

test('verify --cwt takes a bare COSE message without the header', () => {
  const bare = issue(ed, '--no-header', '--exp', String(NOW + 60));
  const r = ntok('verify', bare, '--cwt', '--keys', join(dir, 'e.pub.json'), '--now', String(NOW), '--json');
  assert.equal(r.code, 0, r.out);
  assert.equal(JSON.parse(r.out).alg, -8);
  assert.equal(JSON.parse(r.out).descriptor, 2);
});

test('verify reads a binary token from @file', () => {
  const file = join(dir, 'token.bin');
  writeFileSync(file, Buffer.from(token, 'hex'));
  assert.equal(ntok('verify', `@${file}`, '--keys', mac, '--now', String(NOW)).code, 0);
});

test('verify reads a hex token from @file', () => {
  const file = join(dir, 'token.hex');
  writeFileSync(file, token + '\n');
  assert.equal(ntok('verify', `@${file}`, '--keys', mac, '--now', String(NOW)).code, 0);
});

test('verify of an encrypted nested token opens it with both keys', () => {
  const jwks = join(dir, 'both.json');
  writeFileSync(jwks, JSON.stringify({ keys: [...JSON.parse(readFileSync(aes, 'utf8')).keys, ...JSON.parse(readFileSync(join(dir, 'e.pub.json'), 'utf8')).keys] }));
  const t = issue(ed, '--encrypt-with', aes, '--exp', String(NOW + 60), '--srv', 'video');
  const r = ntok('verify', t, '--keys', jwks, '--now', String(NOW), '--json');
  assert.equal(r.code, 0, r.out);
  assert.equal(JSON.parse(r.out).claims.srv, 'video');
});

test('verify exits 1 with malformed for text that is not hex', () => {
  const r = ntok('verify', 'not-a-token', '--keys', mac, '--json');
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.out).code, 'malformed');
});

test('verify exits 1 (never crashes) for empty, truncated and oversized input', () => {
  for (const t of ['', token.slice(0, 10), token.slice(0, -2), 'ff'.repeat(2100)]) {
    const r = ntok('verify', t, '--keys', mac, '--json');
    assert.equal(r.code, 1, `input ${t.slice(0, 20)}: ${r.err}`);
    assert.equal(JSON.parse(r.out).ok, false);
  }
});

test('verify exits 2 for a missing key file', () => {
  const r = ntok('verify', token, '--keys', join(dir, 'absent.json'));
  assert.equal(r.code, 2);
  assert.match(r.err, /cannot read/);
});

test('verify exits 2 for an unknown option and for a missing --keys', () => {
  assert.equal(ntok('verify', token, '--keys', mac, '--bogus').code, 2);
  assert.equal(ntok('verify', token).code, 2);
});

test('verify exits 2 when the key file is not a valid key set', () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ keys: [{ kty: 'oct', kid: 'x', alg: 'HMAC 256/64', k: 'short' }] }));
  const r = ntok('verify', token, '--keys', bad);
  assert.equal(r.code, 2);
  assert.match(r.err, /configuration/);
});

test('inspect shows the claims of a MACed token without any key', () => {
  const r = ntok('inspect', token, '--json');
  assert.equal(r.code, 0);
  const j = JSON.parse(r.out);
  assert.equal(j.verified, false);
  assert.equal(j.layers[0].type, 'mac0');
  assert.equal(j.claims.bip, '192.0.2.7');
});

test('inspect human output names the layer and the claims', () => {
  const r = ntok('inspect', token);
  assert.equal(r.code, 0);
  assert.match(r.out, /layer 0: mac0 \(tagged\), alg 4 \(HMAC 256\/64\), kid "m"/);
  assert.match(r.out, /bip +"192\.0\.2\.7"/);
});

test('inspect of an Encrypt0 token without its key says the claims are encrypted', () => {
  const t = issue(aes, '--exp', String(NOW + 60));
  const j = JSON.parse(ntok('inspect', t, '--json').out);
  assert.equal(j.encrypted, true);
  assert.equal(j.claims, undefined);
  const opened = JSON.parse(ntok('inspect', t, '--keys', aes, '--json').out);
  assert.equal(opened.claims.exp, NOW + 60);
});

// ---- JOSE compact tokens (docs/abi.md, "JOSE tokens").

const ntf = keys('A128CBC-HS256', 'ntf');
const jose = issue(ntf, '--jose', '--exp', String(NOW + 3600), '--nti', '7', '--sid', '3', '--bip', '192.0.2.7', '--jti', 'abc', '--no-header');

test('keygen makes JOSE oct keys of their algorithm\'s length', () => {
  for (const [alg, bytes] of [['A128CBC-HS256', 32], ['A256CBC-HS512', 64], ['A256GCM', 32], ['HS256', 32]] as const) {
    const k = JSON.parse(readFileSync(keys(alg, `k-${alg}`), 'utf8')).keys[0];
    assert.deepEqual([k.kty, k.alg, Buffer.from(k.k, 'base64url').length], ['oct', alg, bytes]);
  }
});

test('issue --jose --no-header prints the compact text of a dir JWE', () => {
  assert.match(jose, /^[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/);
  const header = JSON.parse(Buffer.from(jose.split('.')[0], 'base64url').toString());
  assert.deepEqual(header, { kid: 'ntf', alg: 'dir', enc: 'A128CBC-HS256' });
});

test('verify takes JOSE compact text with --keys: behind a header for descriptor 1', () => {
  const r = ntok('verify', jose, '--keys', ntf, '--now', String(NOW), '--json');
  assert.equal(r.code, 0, r.out + r.err);
  assert.deepEqual(JSON.parse(r.out), {
    ok: true, code: 'ok', kid: 'ntf', alg: 'dir', enc: 'A128CBC-HS256', descriptor: 1, reflect: 0,
    claims: { exp: NOW + 3600, cti: '616263', nti: 7, sid: 3, bip: '192.0.2.7' },
  });
  const human = ntok('verify', jose, '--keys', ntf, '--now', String(NOW));
  assert.match(human.out, /^OK token verified\n {2}header {2}descriptor 0x1, .*\n {2}key {5}kid "ntf", alg dir, enc A128CBC-HS256 \(JOSE\)/);
});

test('verify takes JWS compact text (three parts) as it takes a JWE (five)', () => {
  const hs = keys('HS256', 'hs');
  const jws = issue(hs, '--jose', '--exp', String(NOW + 3600), '--srv', '1', '--no-header');
  assert.equal(jws.split('.').length, 3);
  const r = ntok('verify', jws, '--keys', hs, '--now', String(NOW), '--json');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual([j.ok, j.alg, j.descriptor, j.claims.srv], [true, 'HS256', 1, 1]);
  // A fourth part is neither a JWS nor a JWE.
  assert.equal(JSON.parse(ntok('verify', jws + '.x', '--keys', hs, '--json').out).code, 'malformed');
});

test('verify takes JOSE compact text from @file, and a --descriptor for it', () => {
  const file = join(dir, 'jose.txt');
  writeFileSync(file, jose + '\n');
  assert.equal(ntok('verify', `@${file}`, '--keys', ntf, '--now', String(NOW)).code, 0);
  const r = JSON.parse(ntok('verify', jose, '--keys', ntf, '--now', String(NOW), '--descriptor', '65537', '--json').out);
  assert.deepEqual([r.code, r.descriptor], ['ok', 65537]);
});

test('verify takes a JOSE token with its header as hex under a configured jose descriptor', () => {
  const hex = issue(ntf, '--jose', '--exp', String(NOW + 3600), '--descriptor', '45071', '--reflect', '1');
  assert.match(hex, /^1000b00f/);
  const config = join(dir, 'jose-config.json');
  writeFileSync(config, JSON.stringify({ descriptors: [{ id: 0xb00f, format: 'jose', keyset: 'ntf' }], keysets: { ntf: JSON.parse(readFileSync(ntf, 'utf8')) } }));
  const r = JSON.parse(ntok('verify', hex, '--config', config, '--now', String(NOW), '--json').out);
  assert.deepEqual([r.code, r.descriptor, r.reflect], ['ok', 0xb00f, 1]);
  assert.equal(JSON.parse(ntok('verify', hex, '--keys', ntf, '--now', String(NOW), '--json').out).code, 'unknown-descriptor');
});

test('inspect shows a JWE\'s layer, and its claims with the key', () => {
  const r = ntok('inspect', jose, '--keys', ntf);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /layer 0: jwe, alg dir, enc A128CBC-HS256 \(JOSE\), kid "ntf", iv [0-9a-f]{32}, payload \d+ B, tag 16 B/);
  assert.match(r.out, /claims\n {4}exp/);
  assert.match(ntok('inspect', jose).out, /claims {2}encrypted/);
});

test('issue --jose refuses CWT-only options and issue refuses --jti without --jose', () => {
  assert.equal(ntok('issue', '--jose', '--key', ntf, '--cti', '01').code, 2);
  assert.equal(ntok('issue', '--key', mac, '--jti', 'x').code, 2);
});
