// Conformance of the two hosts on JOSE tokens (docs/abi.md, "JOSE tokens"):
// `ntok verify --json` and `ntokd verify --json` on the JOSE vectors, on
// tokens `ntok issue --jose` mints for every algorithm (good, expired,
// revoked, tampered), on hostile compact text, and `replay` of a capture of
// STUN requests carrying JOSE tokens under the first deployment's
// per-service descriptors: byte-identical stdout, the same exit code. The
// hosts differ only in their crypto (node:crypto or @noble; mbedTLS and
// libsodium), which is what this holds to one answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, Scratch, type Run } from '../support/host-runs.js';
import { ipv4, udp, stun } from '../support/packets.js';
import { writePcap, LINKTYPE } from '../../src/pcap/index.js';

const CLI = join(REPO, 'dist/src/cli/ntok.js');
const NTOKD = join(REPO, 'build/ntokd');
const MEMCHECK = process.env.NTOKD_MEMCHECK === '1';
const NOW = 1_800_000_000;

const scratch = new Scratch('ntok-jose-conformance-');
const file = (content: string | Uint8Array): string => scratch.file(content);

function ntokd(args: string[]): Run {
  if (!MEMCHECK) return scratch.run(NTOKD, args);
  return scratch.run('valgrind', ['-q', '--error-exitcode=99', '--leak-check=full', '--errors-for-leak-kinds=definite', NTOKD, ...args]);
}

/** Both hosts, same arguments: same stdout byte for byte, same exit code. */
function conform(command: 'verify' | 'replay', args: string[], expectCode?: number): Run {
  const a = scratch.run(process.execPath, [CLI, command, ...args]);
  const b = ntokd([command, ...args]);
  assert.equal(b.out, a.out, `stdout differs\n  ntok:  ${a.out}\n  ntokd: ${b.out}\n  ntokd stderr: ${b.err}`);
  assert.equal(b.code, a.code, `exit code differs (ntok ${a.code}, ntokd ${b.code})\n  ntok stderr: ${a.err}\n  ntokd stderr: ${b.err}`);
  if (expectCode !== undefined) assert.equal(a.code, expectCode, `exit code ${a.code}: ${a.err}`);
  return a;
}

const codeOf = (r: Run): string => (JSON.parse(r.out) as { code: string }).code;
const hexOf = (compact: string, descriptor = 1): string => descriptor.toString(16).padStart(8, '0') + Buffer.from(compact, 'latin1').toString('hex');
const b64u = (b: Uint8Array | string): string => Buffer.from(b).toString('base64url');

function joseConfig(keys: unknown[], extra: Record<string, unknown> = {}): string {
  return file(JSON.stringify({ descriptors: [{ id: 1, format: 'jose', keyset: 'jose' }], keysets: { jose: { keys } }, ...extra }));
}

function ntok(...args: string[]): string {
  const r = scratch.run(process.execPath, [CLI, ...args]);
  assert.equal(r.code, 0, r.err);
  return r.out.trim();
}

interface Vector {
  name: string;
  token: string;
  now: number;
  keys: unknown[];
  expect: { code: string };
}

for (const v of JSON.parse(readFileSync(join(REPO, 'test/vectors/jose.json'), 'utf8')) as Vector[]) {
  test(`JOSE vector ${v.name}: both hosts print the same result (hex, @file hex, @file raw bytes)`, () => {
    const config = joseConfig(v.keys);
    const hex = hexOf(v.token);
    assert.equal(codeOf(conform('verify', [hex, '--config', config, '--now', String(v.now), '--json'])), v.expect.code);
    conform('verify', [`@${file(hex + '\n')}`, '--config', config, '--now', String(v.now), '--json']);
    conform('verify', [`@${file(Buffer.from(hex, 'hex'))}`, '--config', config, '--now', String(v.now), '--json']);
  });
}

const ALGS = ['A128CBC-HS256', 'A256CBC-HS512', 'A128GCM', 'A256GCM', 'HS256', 'ES256', 'EdDSA'];

for (const alg of ALGS) {
  test(`a JOSE token minted with ${alg} verifies alike, also expired, revoked and tampered`, () => {
    const kid = alg.replace(/\W/g, '');
    const priv = join(scratch.dir, `jose-${kid}.json`);
    const pub = join(scratch.dir, `jose-${kid}.pub.json`);
    ntok('keygen', '--alg', alg, '--kid', kid, '--out', priv, '--public', pub);
    const token = ntok('issue', '--jose', '--key', priv, '--exp', String(NOW + 60), '--iat', String(NOW), '--srv', 'video',
      '--bip', '2001:db8::/64', '--nti', '7', '--jti', 'j-1', '--iss', 'op', '--aud', 'gw', '--reflect', '1');
    const keys = (JSON.parse(readFileSync(['ES256', 'EdDSA'].includes(alg) ? pub : priv, 'utf8')) as { keys: unknown[] }).keys;
    const config = joseConfig(keys);
    assert.equal(codeOf(conform('verify', [token, '--config', config, '--now', String(NOW), '--json'], 0)), 'ok');
    assert.equal(codeOf(conform('verify', [token, '--config', config, '--now', String(NOW + 3600), '--json'], 1)), 'expired');
    assert.equal(codeOf(conform('verify', [token, '--config', joseConfig(keys, { revoked: ['6a2d31'] }), '--now', String(NOW), '--json'], 1)), 'revoked');
    // The last text character: a base64url digit whose low bits are zero, changed to another such digit.
    const tampered = token.slice(0, -2) + (token.slice(-2) === '41' ? '51' : '41');
    conform('verify', [tampered, '--config', config, '--now', String(NOW), '--json'], 1);
    // A character in the middle of the last part.
    const mid = token.length - 20;
    conform('verify', [token.slice(0, mid) + (token.slice(mid, mid + 2) === '41' ? '42' : '41') + token.slice(mid + 2), '--config', config, '--now', String(NOW), '--json'], 1);
  });
}

test('bare JOSE compact text (JWS and JWE, argument or @file) verifies alike behind a header for --descriptor', () => {
  const hs = join(scratch.dir, 'bare-hs.json');
  const cbc = join(scratch.dir, 'bare-cbc.json');
  ntok('keygen', '--alg', 'HS256', '--kid', 'bare-hs', '--out', hs);
  ntok('keygen', '--alg', 'A128CBC-HS256', '--kid', 'bare-cbc', '--out', cbc);
  for (const key of [hs, cbc]) {
    const text = ntok('issue', '--jose', '--key', key, '--exp', String(NOW + 60), '--srv', '1', '--no-header');
    assert.equal(text.split('.').length, key === hs ? 3 : 5);
    assert.equal(codeOf(conform('verify', [text, '--keys', key, '--now', String(NOW), '--json'], 0)), 'ok');
    assert.match(conform('verify', [text, '--keys', key, '--now', String(NOW), '--json', '--descriptor', '45071']).out, /"descriptor":45071,/);
    conform('verify', [`@${file(text + '\n')}`, '--keys', key, '--now', String(NOW), '--json'], 0);
    conform('verify', [text, '--keys', key, '--now', String(NOW), '--json', '--cwt'], 0); // --cwt does not apply to JOSE text
    // With descriptors in --config, they are the configuration's: descriptor 1 is not configured as jose there.
    const cwtOnly = file(JSON.stringify({ descriptors: [{ id: 2, format: 'cwt', keyset: 'default' }] }));
    assert.equal(codeOf(conform('verify', [text, '--keys', key, '--config', cwtOnly, '--now', String(NOW), '--json'], 1)), 'unknown-descriptor');
  }
  conform('verify', ['a.b', '--keys', hs, '--json'], 1); // two parts: neither hex, JWS nor JWE
  conform('verify', ['a.b.c', '--keys', hs, '--descriptor', '268435456', '--json'], 2); // beyond 28 bits
});

test('hostile JOSE compact text is refused alike', () => {
  const k = Buffer.alloc(32, 9);
  const keys = [{ kty: 'oct', kid: 'h', alg: 'HS256', k: b64u(k) }, { kty: 'oct', kid: 'c', alg: 'A128CBC-HS256', k: b64u(k) }];
  const config = joseConfig(keys);
  const hs = (header: string, payload: string) => {
    const input = `${b64u(header)}.${b64u(payload)}`;
    return `${input}.${b64u(createHmac('sha256', k).update(input).digest())}`;
  };
  const texts = [
    '', '.', 'a.b', 'a.b.c.d', '......', hs('{"alg":"HS256"}', '{}') + '=',
    `${b64u('{"alg":"none"}')}.${b64u('{}')}.`,
    hs('{"alg":"HS256","kid":"h","crit":["x"],"x":1}', '{}'),
    hs('{"alg":"HS256","kid":"h","x":' + '['.repeat(600) + '}', '{}'),
    hs('{"alg":"HS256","kid":"h"}', 'Live long and prosper.'),
    hs('{"alg":"HS256","kid":"h"}', '{"exp":1e400}'),
    hs('{"alg":"HS256","kid":"h"}', '{"exp":18446744073709551616,"nti":1.5}'),
    hs('{"alg":"HS256","kid":"h"}', '{"iss":"\\ud800"}'),
    hs('{"alg":"HS256","kid":"h"}', `{"x":${'['.repeat(1000)}}`),
    hs('{"alg":"HS256","kid":"h"}', '{"bip":"10.0.0.0/33"}'),
    hs('{"alg":"HS256","kid":"c"}', '{}'),
    hs('{"alg":"HS256","kid":"h","alg":"HS256"}', '{}'),
    `${b64u('{"alg":"dir","enc":"A128CBC-HS256","kid":"c"}')}..${b64u(Buffer.alloc(16))}.${b64u(Buffer.alloc(32))}.${b64u(Buffer.alloc(16))}`,
    `{"protected":"${b64u('{"alg":"HS256"}')}","payload":"e30","signature":"AAAA"}`,
  ];
  const codes = new Set<string>();
  for (const t of texts) codes.add(codeOf(conform('verify', [hexOf(t), '--config', config, '--now', String(NOW), '--json'], 1)));
  for (const c of ['malformed', 'unsupported-alg', 'unknown-critical', 'limit-exceeded', 'not-cwt', 'bad-claim', 'alg-mismatch', 'bad-mac', 'unsupported-format']) {
    assert.ok(codes.has(c), `no case gave ${c}: ${[...codes].join(', ')}`);
  }
  // Non-ASCII bytes in the compact text (a raw @file).
  conform('verify', [`@${file(Buffer.concat([Buffer.from('00000001', 'hex'), Buffer.from([0xff, 0x2e, 0xfe, 0x2e, 0x80])]))}`, '--config', config, '--json'], 1);
});

test('replay of STUN requests with JOSE tokens under per-service descriptors prints the same on both hosts', () => {
  const k = Buffer.alloc(32, 3);
  const key = { kty: 'oct', kid: 'ntf', alg: 'A128CBC-HS256', k: b64u(k) };
  const config = file(JSON.stringify({
    descriptors: [
      { id: 0x10001, format: 'jose', keyset: 'ntf', service: 'video' },
      { id: 0xb00f, format: 'jose', keyset: 'ntf', service: 'voice' },
    ],
    keysets: { ntf: { binding: 'either', keys: [key] } },
    services: [{ name: 'video', id: 1, dscp: 34, mark: 16 }, { name: 'voice', id: 2, dscp: 46, mark: 17 }],
  }));
  const keyFile = file(JSON.stringify({ keys: [key] }));
  const mint = (descriptor: number, ...claims: string[]) =>
    Buffer.from(ntok('issue', '--jose', '--key', keyFile, '--descriptor', String(descriptor), '--exp', String(NOW + 600), ...claims), 'hex');
  const video = mint(0x10001, '--nti', '1', '--bip', '198.51.100.2');
  const voice = mint(0xb00f, '--nti', '2', '--bip', '192.0.2.8');
  const stranger = mint(0x10001, '--nti', '3', '--bip', '203.0.113.77');
  const packets = [
    ipv4('192.0.2.7', '198.51.100.2', udp(40000, 3478, stun(video))),
    ipv4('192.0.2.7', '198.51.100.2', udp(40000, 3478, Buffer.alloc(64))),
    ipv4('192.0.2.8', '198.51.100.2', udp(40001, 3478, stun(voice))),
    ipv4('192.0.2.9', '198.51.100.2', udp(40002, 3478, stun(stranger))),
    ipv4('192.0.2.10', '198.51.100.2', udp(40003, 3478, stun(Buffer.concat([video.subarray(0, 60), Buffer.from('!'), video.subarray(61)])))),
  ].map((data, i) => ({ data, timestamp: NOW + i }));
  const pcap = file(writePcap(LINKTYPE.RAW, packets));
  const r = conform('replay', [pcap, '--config', config, '--json'], 0);
  const flows = JSON.parse(r.out) as Array<{ code: string; service: string | null }>;
  assert.deepEqual(flows.map((f) => [f.code, f.service]), [['ok', 'video'], ['ok', 'voice'], ['wrong-binding', null], ['malformed', null]]);
  conform('replay', [pcap, '--config', config], 0);
});
