// A configuration `ntok import-ntf` made from the reference deployment's
// bessctl script (test/fixtures/ntf/ntf.bess) under both hosts: `verify`
// of tokens in the reference's format (JWE dir without kid, claims bip,
// exp, nti) minted with the imported keys, and `replay` of a WebRTC call
// whose ICE check carries a JWE behind header 0x0000B00F
// (test/support/webrtc-stun.ts): byte-identical stdout and exit codes, the
// same forwarded capture, and the call marked with the imported service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, Scratch, type Run } from '../support/host-runs.js';
import { CLIENT, PEER, webrtcCall } from '../support/webrtc-stun.js';
import { mintJose, type JoseClaims, type Jwk } from '../../src/issuer/index.js';

const CLI = join(REPO, 'dist/src/cli/ntok.js');
const NTOKD = join(REPO, 'build/ntokd');
const NOW = 1_800_000_000;
const EXP = NOW + 3600;

const scratch = new Scratch('ntok-ntf-conformance-');

function conform(command: 'verify' | 'replay', args: string[], expectCode: number): Run {
  const a = scratch.run(process.execPath, [CLI, command, ...args]);
  const b = scratch.run(NTOKD, [command, ...args]);
  assert.equal(b.out, a.out, `stdout differs\n  ntok:  ${a.out}\n  ntokd: ${b.out}\n  ntokd stderr: ${b.err}`);
  assert.equal(b.code, a.code, `exit code differs (ntok ${a.code}, ntokd ${b.code})\n  ntok stderr: ${a.err}\n  ntokd stderr: ${b.err}`);
  assert.equal(a.code, expectCode, `exit code ${a.code}: ${a.out}${a.err}`);
  return a;
}

function imported(): { config: string; keys: Jwk[] } {
  const script = scratch.file(readFileSync(join(REPO, 'test/fixtures/ntf/ntf.bess')));
  const r = scratch.run(process.execPath, [CLI, 'import-ntf', script]);
  assert.equal(r.code, 0, r.err);
  const parsed = JSON.parse(r.out) as { keysets: Record<string, { keys: Jwk[] }> };
  return { config: scratch.file(r.out), keys: Object.values(parsed.keysets).flatMap((k) => k.keys) };
}

const keyOf = (keys: Jwk[], kid: string): Jwk => keys.find((k) => k.kid === kid)!;
const reference = async (key: Jwk, descriptor: number, claims: JoseClaims) =>
  Buffer.from(await mintJose({ exp: EXP, ...claims }, { key, descriptor, kid: false })).toString('hex');

test('tokens in the reference format verify the same on both hosts under the imported configuration', async () => {
  const { config, keys } = imported();
  const b00f = keyOf(keys, 'ntf-0xb00f');
  const cases: [string, string, number][] = [
    ['ok', await reference(b00f, 0xb00f, { bip: CLIENT, nti: 151234143125 }), 0],
    ['ok', await reference({ ...b00f, alg: 'A256GCM' }, 0xb00f, { bip: CLIENT }), 0],
    ['ok', await reference(keyOf(keys, 'ntf-0x10001'), 0x10001, { bip: CLIENT }), 0],
    ['revoked', await reference(b00f, 0xb00f, { bip: CLIENT, nti: 7 }), 1],
    ['missing-claim', await reference(b00f, 0xb00f, {}), 1],
    ['bad-mac', await reference(b00f, 0x10001, { bip: CLIENT }), 1],
  ];
  for (const [code, token, exit] of cases) {
    const r = conform('verify', [token, '--config', config, '--json', '--now', String(NOW)], exit);
    assert.equal((JSON.parse(r.out) as { code: string }).code, code);
  }
  // No leeway: one second past exp is expired on both.
  const late = conform('verify', [cases[0][1], '--config', config, '--json', '--now', String(EXP + 1)], 1);
  assert.equal((JSON.parse(late.out) as { code: string }).code, 'expired');
});

test('a WebRTC call whose ICE check carries a JWE behind 0x0000B00F is marked the same by both hosts', async () => {
  const { config, keys } = imported();
  const { pcap } = webrtcCall(Buffer.from(await reference(keyOf(keys, 'ntf-0xb00f'), 0xb00f, { bip: CLIENT, nti: 151234143125 }), 'hex'), NOW);
  const input = scratch.file(pcap);
  const outA = join(scratch.dir, 'ntok-out.pcap');
  const outB = join(scratch.dir, 'ntokd-out.pcap');
  const a = scratch.run(process.execPath, [CLI, 'replay', input, '--config', config, '--json', '--now', String(NOW), '--out', outA]);
  const b = scratch.run(NTOKD, ['replay', input, '--config', config, '--json', '--now', String(NOW), '--out', outB]);
  assert.equal(a.code, 0, a.err);
  assert.equal(b.code, 0, b.err);
  assert.equal(b.out, a.out);
  assert.deepEqual(JSON.parse(a.out), [
    { flow: `udp ${CLIENT}:50123 > ${PEER}:61000`, service: 'ntf-0xb00f', dscp: 6, code: 'ok', packets: 3 },
    { flow: `udp 192.168.1.50:40000 > ${PEER}:5004`, service: null, dscp: 0, code: 'washed', packets: 1 },
  ]);
  assert.deepEqual(readFileSync(outB), readFileSync(outA), 'the forwarded captures differ');
  conform('replay', [input, '--config', config, '--now', String(NOW)], 0);
});
