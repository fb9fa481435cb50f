/**
 * `ntok import-ntf` (src/ntf/, docs/config.md "Importing an ntf
 * configuration"): the reference deployment's entries, as JSON and as a
 * bessctl script (test/fixtures/ntf/, modelled on Network-Tokens/ntf's
 * scripts), become a configuration the core accepts; tokens in the
 * reference's format minted with the imported keys verify with the
 * entry's service and DSCP; the DSCP rule; bad input refused with the line
 * and the field; and a STUN Binding Request as the reference's WebRTC
 * client sent it (token attribute first, ICE attributes, MESSAGE-INTEGRITY,
 * FINGERPRINT) carrying a JWE behind header 0x0000B00F, checked with
 * tshark and replayed through the packet path. tshark is required (these
 * tests fail without it, as pcap.test.ts does).
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompactEncrypt } from 'jose';
import { importNtf, importDscp, detectFormat, NtfImportError, MAX_INPUT_BYTES, type ImportResult, type NtfImportErrorCode } from '../../src/ntf/index.js';
import { Verifier } from '../../src/host/verifier.js';
import { Gateway } from '../../src/host/gateway.js';
import { replay } from '../../src/replay.js';
import { mintJose, type JoseClaims, type Jwk } from '../../src/issuer/index.js';
import { readCapture } from '../../src/pcap/index.js';
import { ipv4Udp } from '../support/captures.js';
import { ATTR, CLIENT, ICE, PEER, messageIntegrityHolds, stunAttributes, webrtcBindingRequest, webrtcCall } from '../support/webrtc-stun.js';
import { dissect, malformedOrWarned } from '../support/netns-captures.js';
import { readRepoText } from './helpers.js';

const NOW = 1_800_000_000;
const EXP = NOW + 3600;
const CLI = fileURLToPath(new URL('../../src/cli/ntok.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ntok-ntf-import-'));

const SCRIPT = readRepoText('test/fixtures/ntf/ntf.bess');
const ENTRIES = readRepoText('test/fixtures/ntf/entries.json');

type Config = {
  leeway: number;
  require: string[];
  revoked?: number[];
  descriptors: { id: number; format: string; keyset: string; service: string }[];
  keysets: Record<string, { binding: string; keys: Jwk[] }>;
  services: { name: string; id?: number; dscp: number }[];
  gateway: { wash?: { dscp: number[]; to: number }; carriers: { stun_attribute: number } };
};

const configOf = (r: ImportResult) => r.config as unknown as Config;

/** The ntok JWK the import made for an entry, by the kid it gave it. */
function importedKey(r: ImportResult, kid: string): Jwk {
  const key = Object.values(configOf(r).keysets).flatMap((k) => k.keys).find((k) => k.kid === kid);
  assert.ok(key, `no imported key ${kid}`);
  return key;
}

/** A token as the reference's issuers made them: JWE dir, no kid in the header, claims bip, exp, nti (and sid). */
function referenceToken(key: Jwk, descriptor: number, claims: JoseClaims): Promise<Uint8Array> {
  return mintJose({ exp: EXP, ...claims }, { key, descriptor, kid: false });
}

/** Runs `f` and returns the NtfImportError it throws. */
function importError(f: () => unknown): NtfImportError {
  try {
    f();
  } catch (e) {
    if (e instanceof NtfImportError) return e;
    throw e;
  }
  assert.fail('no NtfImportError');
}

function assertRefused(text: string, code: NtfImportErrorCode, line: number | undefined, ...mentions: (string | RegExp)[]): NtfImportError {
  const e = importError(() => importNtf(text));
  assert.equal(e.code, code, e.message);
  assert.equal(e.line, line, e.message);
  for (const m of mentions) assert.match(e.message, typeof m === 'string' ? new RegExp(m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : m);
  return e;
}

function ntok(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const file = (name: string, content: string | Uint8Array): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

// ---------------------------------------------------------------------------

describe('the DSCP rule: the value was written over the TOS byte', () => {
  const cases: [bigint | undefined, number, RegExp | undefined][] = [
    [0xb8n, 46, /TOS byte 184 \(0xb8\) is DSCP 46$/],
    [0x1an, 6, /DSCP 6 with ECN bits 2 .*--dscp-field dscp/],
    [4n, 1, /is DSCP 1$/],
    [3n, 0, /DSCP 0 with ECN bits 3/],
    [1n, 0, /DSCP 0 with ECN bits 1/],
    [0n, 0, undefined],
    [255n, 63, /DSCP 63 with ECN bits 3 .*leaves ECN to the endpoints$/],
    [undefined, 0, /no dscp: .*DSCP 0/],
  ];
  for (const [value, dscp, note] of cases) {
    it(`reads ${value ?? 'an absent dscp'} as DSCP ${dscp}`, () => {
      const r = importDscp(value, 'tos');
      assert.equal(r.dscp, dscp);
      if (note) assert.match(r.note ?? '', note);
      else assert.equal(r.note, undefined);
    });
  }

  it('refuses a value the reference cut to 8 bits', () => {
    assert.throws(() => importDscp(256n, 'tos'), /256 does not fit the TOS byte .*kept 8 bits, 0/);
    assert.throws(() => importDscp(0x1b8n, 'tos'), /kept 8 bits, 184/);
  });

  it('with --dscp-field dscp takes the value as the DSCP, 0..63', () => {
    assert.deepEqual(importDscp(26n, 'dscp'), { dscp: 26 });
    assert.deepEqual(importDscp(63n, 'dscp'), { dscp: 63 });
    assert.throws(() => importDscp(64n, 'dscp'), /64 is not a DSCP \(0\.\.63/);
  });
});

describe('a bessctl script (test/fixtures/ntf/ntf.bess)', () => {
  let r: ImportResult;
  let c: Config;
  before(() => {
    r = importNtf(SCRIPT, { source: 'ntf.bess' });
    c = configOf(r);
  });

  it('is read as a script, its entry_create / entry_modify / entry_delete calls in order', () => {
    assert.equal(detectFormat(SCRIPT), 'bessctl');
    // 0x20002 is created, modified and deleted; the calls in the comment and the string are text.
    assert.deepEqual(r.entries.map((e) => [e.tokenType, e.origin, e.line]), [[0x10001, 'ntf.entry_create', 13], [0xb00f, 'ntf.entry_create', 20]]);
  });

  it('maps each entry to a jose descriptor with its own key set and service', () => {
    assert.deepEqual(c.descriptors, [
      { id: 0x10001, format: 'jose', keyset: 'ntf-0x10001', service: 'ntf-0x10001' },
      { id: 0xb00f, format: 'jose', keyset: 'ntf-0xb00f', service: 'ntf-0xb00f' },
    ]);
    assert.deepEqual(c.services.map((s) => [s.name, s.dscp, s.id]), [['ntf-0x10001', 46, 0xbeefb00f], ['ntf-0xb00f', 6, 0xd00d]]);
  });

  it('keeps the reference checks: exp and bip required, no leeway, bip on either endpoint, STUN attribute 0x8030', () => {
    assert.equal(c.leeway, 0);
    assert.deepEqual(c.require, ['exp', 'bip']);
    assert.ok(Object.values(c.keysets).every((k) => k.binding === 'either'));
    assert.equal(c.gateway.carriers.stun_attribute, 0x8030);
  });

  it('washes the entries\' DSCPs from flows without a token, as the reference reset its authoritative markings', () => {
    assert.deepEqual(c.gateway.wash, { dscp: [6, 46], to: 0 });
  });

  it('imports a JWK with alg for that enc only, and one without for every enc its length fits', () => {
    assert.deepEqual(c.keysets['ntf-0x10001'].keys.map((k) => [k.kid, k.alg]), [['ntf-0x10001', 'A128CBC-HS256']]);
    assert.deepEqual(c.keysets['ntf-0xb00f'].keys.map((k) => [k.kid, k.alg]), [['ntf-0xb00f', 'A128CBC-HS256'], ['ntf-0xb00f.A256GCM', 'A256GCM']]);
    // The adjacent string literals of the script are one key.
    assert.equal(c.keysets['ntf-0xb00f'].keys[0].k, 'Ky2GsGoU3Uvw7gYdbO3O-Ls3PCpiDh2E-ceETG4enBA');
  });

  it('revokes the blacklisted ids', () => {
    assert.deepEqual(c.revoked, [7, 151234143124]);
  });

  it('notes what it decided: the TOS reading, the ECN bits not reproduced, the keys without alg, the blacklist', () => {
    const notes = r.notes.join('\n');
    assert.match(notes, /line 13\), token type 0x10001: dscp: TOS byte 184 \(0xb8\) is DSCP 46/);
    assert.match(notes, /line 20\), token type 0xb00f: dscp: TOS byte 26 \(0x1a\) is DSCP 6 with ECN bits 2/);
    assert.match(notes, /the JWK names no alg: its 32-byte key is imported for A128CBC-HS256 and A256GCM/);
    assert.match(notes, /blacklist: imported as revoked token ids/);
  });

  it('reads a dscp given as the DSCP itself with --dscp-field dscp', () => {
    const d = configOf(importNtf(SCRIPT.replace('dscp=0xb8', 'dscp=46'), { dscpField: 'dscp' }));
    assert.deepEqual(d.services.map((s) => s.dscp), [46, 26]);
  });
});

describe('tokens in the reference format verify under the imported configuration', () => {
  let r: ImportResult;
  let v: Verifier;
  before(async () => {
    r = importNtf(SCRIPT);
    v = await Verifier.open(r.config);
  });
  const b00f = () => importedKey(r, 'ntf-0xb00f');

  it('verifies a JWE dir A128CBC-HS256 without kid behind header 0x0000B00F', async () => {
    const token = await referenceToken(b00f(), 0xb00f, { bip: '192.168.1.23', nti: 151234143125 });
    assert.deepEqual([...token.subarray(0, 4)], [0, 0, 0xb0, 0x0f]);
    const res = v.verify(token, { now: NOW });
    assert.equal(res.code, 'ok', JSON.stringify(res));
    assert.equal(res.descriptor, 0xb00f);
    assert.equal(res.kid, 'ntf-0xb00f');
    assert.deepEqual(res.claims, { exp: EXP, nti: 151234143125, bip: '192.168.1.23' });
  });

  it('verifies the A256GCM a key without alg also serves, as cjose decrypted it', async () => {
    const key = { ...b00f(), alg: 'A256GCM' };
    const res = v.verify(await referenceToken(key, 0xb00f, { bip: '192.168.1.23' }), { now: NOW });
    assert.equal(res.code, 'ok', JSON.stringify(res));
    assert.equal(res.kid, 'ntf-0xb00f.A256GCM');
  });

  it('verifies the 0x10001 entry\'s tokens with its key, not the other entry\'s', async () => {
    const ok = v.verify(await referenceToken(importedKey(r, 'ntf-0x10001'), 0x10001, { bip: '10.0.0.1' }), { now: NOW });
    assert.equal(ok.code, 'ok', JSON.stringify(ok));
    const wrong = v.verify(await referenceToken(b00f(), 0x10001, { bip: '10.0.0.1' }), { now: NOW });
    assert.equal(wrong.code, 'bad-mac', 'A128CBC-HS256: the MAC is checked before anything is decrypted');
  });

  it('refuses what the reference refused: expired (no leeway), no bip, no exp', async () => {
    const token = await referenceToken(b00f(), 0xb00f, { bip: '192.168.1.23' });
    assert.equal(v.verify(token, { now: EXP - 1 }).code, 'ok');
    assert.equal(v.verify(token, { now: EXP + 1 }).code, 'expired');
    assert.equal(v.verify(await referenceToken(b00f(), 0xb00f, {}), { now: NOW }).code, 'missing-claim');
    const noExp = await mintJose({ bip: '192.168.1.23' }, { key: b00f(), descriptor: 0xb00f, kid: false });
    assert.equal(v.verify(noExp, { now: NOW }).code, 'missing-claim');
  });

  it('refuses a blacklisted nti', async () => {
    assert.equal(v.verify(await referenceToken(b00f(), 0xb00f, { bip: '192.168.1.23', nti: 151234143124 }), { now: NOW }).code, 'revoked');
  });
});

describe('JSON entries with the control API\'s fields (test/fixtures/ntf/entries.json)', () => {
  it('reads proto3 JSON spellings: lowerCamelCase fields, uint64 as strings, the JWK\'s kid', async () => {
    const r = importNtf(ENTRIES);
    const c = configOf(r);
    assert.equal(detectFormat(ENTRIES), 'json');
    assert.deepEqual(c.descriptors.map((d) => [d.id, d.service]), [[65537, 'ntf-0x10001'], [45071, 'ntf-0xb00f']]);
    assert.deepEqual(c.services.map((s) => [s.dscp, s.id]), [[46, 3203379215], [34, 7]]);
    assert.deepEqual(c.keysets['ntf-0xb00f'].keys.map((k) => [k.kid, k.alg]), [['video-2', 'A256CBC-HS512']]);
    // 6190295146375875070 is past 2^53: noted, not imported.
    assert.deepEqual(c.revoked, [4711]);
    assert.match(r.notes.join('\n'), /entry 2 \(line 11\), token type 0xb00f: blacklist: 6190295146375875070 is not imported/);
    const v = await Verifier.open(r.config);
    const key = importedKey(r, 'video-2');
    // This JWK has a kid; a token naming it, or naming none, verifies.
    for (const kid of [true, false]) {
      const res = v.verify(await mintJose({ exp: EXP, bip: '10.1.1.1' }, { key, descriptor: 0xb00f, kid }), { now: NOW });
      assert.equal(res.code, 'ok', JSON.stringify(res));
      assert.equal(res.enc, 'A256CBC-HS512');
    }
  });

  it('reads one entry object as well as an array', () => {
    const one = JSON.stringify(JSON.parse(ENTRIES)[0]);
    const r = importNtf(one);
    assert.deepEqual(r.entries.map((e) => [e.origin, e.tokenType]), [['the entry', 0x10001]]);
  });
});

// ---------------------------------------------------------------------------

const KEY = '{"alg":"A128CBC-HS256","k":"Qr5XdJ4pXQ_Gi0Wy4lljRTSw_JB0LraoSQn_9nGwx2M","kty":"oct"}';
/** A script of one entry_create on line 2 whose arguments are `args`. */
const script = (args: string) => `ntf::NTF(dpid=1, max_entries=5)\nntf.entry_create(${args})\n`;
const tokenArg = (extra = '', key = `'${KEY}'`) => `token={'token_type': 0xB00F, 'encryption_key': ${key}${extra}}`;

describe('bad input is refused with its line, the entry and the field', () => {
  it('a JWK string that is not JSON', () => {
    assertRefused(script(`dscp=184, ${tokenArg('', "'{\"kty\":\"oct\",\"k\":}'")}`), 'ERR_NTF_FIELD', 2, 'ntf.entry_create: token.encryption_key: not a JWK in JSON');
  });

  it('a JWK that is not a symmetric key, or of the wrong length, or for an enc ntok does not verify', () => {
    assertRefused(script(tokenArg('', `'{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}'`)), 'ERR_NTF_FIELD', 2, /token\.encryption_key: kty "EC".*kty "oct"/);
    assertRefused(script(tokenArg('', `'{"kty":"oct","alg":"A128CBC-HS256","k":"SSSbI2U7c_exXL3JsazZRw"}'`)), 'ERR_NTF_FIELD', 2, 'an A128CBC-HS256 key is 32 bytes, this k is 16');
    assertRefused(script(tokenArg('', `'{"kty":"oct","alg":"A192GCM","k":"SSSbI2U7c_exXL3JsazZRw"}'`)), 'ERR_NTF_FIELD', 2, 'alg "A192GCM"');
    assertRefused(script(tokenArg('', `'{"kty":"oct","k":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}'`)), 'ERR_NTF_FIELD', 2, 'a 24-byte key fits no content encryption');
    assertRefused(script(tokenArg('', `'{"kty":"oct","k":"not base64!"}'`)), 'ERR_NTF_FIELD', 2, 'k is not base64url');
  });

  it('a token type that is missing, 0, past 28 bits, or not an integer', () => {
    assertRefused(script(`token={'encryption_key': '${KEY}'}`), 'ERR_NTF_FIELD', 2, 'token.token_type: is missing');
    assertRefused(script(`token={'token_type': 0, 'encryption_key': '${KEY}'}`), 'ERR_NTF_FIELD', 2, 'token.token_type: is 0');
    assertRefused(script(`token={'token_type': 0x10000000, 'encryption_key': '${KEY}'}`), 'ERR_NTF_FIELD', 2, /token\.token_type: 0x10000000 does not fit the 28 bits/);
    assertRefused(script(`token={'token_type': '45071', 'encryption_key': '${KEY}'}`), 'ERR_NTF_FIELD', 2, /token\.token_type: must be a uint32, not a string \(a bessctl script passes the number itself\)/);
    assertRefused(script(`token={'token_type': 4.5e4, 'encryption_key': '${KEY}'}`), 'ERR_NTF_FIELD', 2, 'not the number 4.5e4 (not an integer)');
  });

  it('a dscp out of range, as a TOS byte and as a DSCP', () => {
    assertRefused(script(`dscp=256, ${tokenArg()}`), 'ERR_NTF_FIELD', 2, 'ntf.entry_create: dscp: 256 does not fit the TOS byte');
    assertRefused(script(`dscp=-1, ${tokenArg()}`), 'ERR_NTF_FIELD', 2, 'dscp: -1 is out of range');
    const e = importError(() => importNtf(script(`dscp=64, ${tokenArg()}`), { dscpField: 'dscp' }));
    assert.equal(e.code, 'ERR_NTF_FIELD');
    assert.match(e.message, /^line 2: ntf\.entry_create: dscp: 64 is not a DSCP/);
  });

  it('an argument that is not a literal: a name, a call, an expression, an f-string, a bessctl variable', () => {
    assertRefused(script(`dscp=DSCP_EF, ${tokenArg()}`), 'ERR_NTF_NOT_LITERAL', 2, 'DSCP_EF is a name, not a literal: ntok reads the script as data and runs none of it');
    assertRefused(script(`dscp=int('46'), ${tokenArg()}`), 'ERR_NTF_NOT_LITERAL', 2, 'int(...) is a call');
    assertRefused(script(`dscp=46 << 2, ${tokenArg()}`), 'ERR_NTF_NOT_LITERAL', 2, 'found "<": an expression');
    assertRefused(script(`dscp=0x10000 | 1, ${tokenArg()}`), 'ERR_NTF_NOT_LITERAL', 2, 'found "|"');
    assertRefused(script(tokenArg('', `open('/etc/ntf/key.json').read()`)), 'ERR_NTF_NOT_LITERAL', 2, 'open(...) is a call');
    assertRefused(script(tokenArg('', `f'{KEY}'`)), 'ERR_NTF_NOT_LITERAL', 2, 'an f-string runs the code in its braces');
    assertRefused(script(`dscp=$NTF_DSCP!'184', ${tokenArg()}`), 'ERR_NTF_NOT_LITERAL', 2, 'found "$"');
    assertRefused(script(`**args`), 'ERR_NTF_NOT_LITERAL', 2, 'unpacks arguments');
  });

  it('an unterminated string, in a call and elsewhere in the script', () => {
    assertRefused(script(`dscp=184,\n  ${tokenArg('', `'{"kty":"oct"`)}`), 'ERR_NTF_SYNTAX', 3, 'unterminated string: the line ends before its closing quote');
    assertRefused(`pcap_file = "/opt/ntf/sample.pcap\n${script(tokenArg())}`, 'ERR_NTF_SYNTAX', 1, 'unterminated string');
    assertRefused(`${script(tokenArg())}print("""never closed\n`, 'ERR_NTF_SYNTAX', 3, 'the script ends before its closing quote');
  });

  it('a field the control API does not have, or given twice', () => {
    assertRefused(script(`dscpp=184, ${tokenArg()}`), 'ERR_NTF_FIELD', 2, 'dscpp is not a field of the control API (token, dscp, rule_id, dpid, entry_id)');
    assertRefused(script(tokenArg(`, 'key': 'x'`)), 'ERR_NTF_FIELD', 2, 'token.key is not a field');
    assertRefused(script(`token={'token_type': 1, 'app_id': 2, 'encryption_key': '${KEY}'}`), 'ERR_NTF_FIELD', 2, 'token.app_id and token.token_type are the same field');
    assertRefused(script(`dscp=1, dscp=2, ${tokenArg()}`), 'ERR_NTF_FIELD', 2, 'the argument dscp is given twice');
    assertRefused(script(`dscp=184, rule_id=2**32, ${tokenArg()}`), 'ERR_NTF_NOT_LITERAL', 2, 'found "*"');
    assertRefused(script(`dscp=184, rule_id=4294967296, ${tokenArg()}`), 'ERR_NTF_FIELD', 2, 'rule_id: 4294967296 is out of range');
    assertRefused(script(`{'dscp': 184}`), 'ERR_NTF_FIELD', 2, 'a positional argument (a dict): pass the fields as keyword arguments');
  });

  it('entries the reference would have refused: a second entry_create, a modify or delete of none', () => {
    assertRefused(script(tokenArg()) + `ntf.entry_create(${tokenArg()})\n`, 'ERR_NTF_CONFLICT', 3, 'token type 0xb00f already has an entry (ntf.entry_create at line 2)');
    assertRefused(script(tokenArg()) + `ntf.entry_modify(token={'token_type': 7, 'encryption_key': '${KEY}'})\n`, 'ERR_NTF_CONFLICT', 3, 'has no entry to modify');
    assertRefused(script(tokenArg()) + 'ntf.entry_delete(token_type=7)\n', 'ERR_NTF_CONFLICT', 3, 'has no entry to delete');
    assertRefused(script(tokenArg()) + 'ntf.entry_delete(token_type=0xb00f)\n', 'ERR_NTF_EMPTY', undefined, 'deletes again');
  });

  it('a call whose effect the text cannot tell: indented in a block, inside brackets, not called', () => {
    assertRefused(`for i in range(3):\n    ntf.entry_create(${tokenArg()})\n`, 'ERR_NTF_CONTEXT', 2, 'on an indented line, inside a block');
    assertRefused(`x = [ntf.entry_create(${tokenArg()})]\n`, 'ERR_NTF_CONTEXT', 1, 'inside brackets');
    assertRefused(`create = ntf.entry_create\n`, 'ERR_NTF_CONTEXT', 1, 'named but not called');
    // A continuation line of a top-level statement is not a block.
    assert.equal(importNtf(`ntf.entry_create(\n    dscp=184,\n    ${tokenArg()})\n`).entries.length, 1);
  });

  it('pybess\'s run_module_command form is read like the method call; other modules\' commands are text', () => {
    const rmc = (cmd: string, type: string, arg: string) => `bess.run_module_command('ntf', '${cmd}', '${type}', ${arg})\n`;
    const r = importNtf(
      rmc('entry_create', 'NTFEntryCreateArg', `{'dscp': 184, ${tokenArg().replace('token=', "'token': ")}}`) +
      rmc('entry_create', 'NTFEntryCreateArg', `{'token': {'token_type': 7, 'encryption_key': '${KEY}'}}`) +
      rmc('entry_delete', 'NTFEntryDeleteArg', "{'token_type': 7}") +
      "bess.run_module_command('sink0', 'clear', 'EmptyArg', {'n': N_FLOWS})\n",
    );
    assert.deepEqual(r.entries.map((e) => [e.origin, e.tokenType]), [['ntf.entry_create', 0xb00f]]);
    assertRefused(`bess.run_module_command(NTF_NAME, 'entry_create', 'NTFEntryCreateArg', {})\n`, 'ERR_NTF_NOT_LITERAL', 1, 'NTF_NAME is a name');
  });

  it('a script without entries, an empty JSON array', () => {
    assertRefused('ntf::NTF(dpid=1, max_entries=5)\n', 'ERR_NTF_EMPTY', undefined, 'no entry_create(...) call');
    assertRefused('[]', 'ERR_NTF_EMPTY', 1, 'an empty array');
  });

  it('JSON that is not strict JSON, or not entries', () => {
    const entry = (fields: string) => `[\n  {${fields}, "token": {"token_type": 45071, "encryption_key": ${JSON.stringify(KEY)}}}\n]`;
    assertRefused(entry('"dscp": 184,'), 'ERR_NTF_SYNTAX', 2, 'expected a value, found ","');
    assertRefused(entry('"dscp": 184, "dscp": 185'), 'ERR_NTF_FIELD', 2, 'the key "dscp" appears twice');
    assertRefused(entry('"dscp": 46.0'), 'ERR_NTF_FIELD', 2, 'entry 1: dscp: must be a uint32, not the number 46.0');
    assertRefused(entry('"dscp": "0xb8"'), 'ERR_NTF_FIELD', 2, 'entry 1: dscp: must be a uint32, not a string');
    assertRefused('[1]', 'ERR_NTF_FIELD', 1, 'entry 1: an entry is an object');
    assertRefused(`{"token": {"token_type": 1, "encryption_key": ${JSON.stringify(KEY)}}} x`, 'ERR_NTF_SYNTAX', 1, 'after the JSON value');
    // proto3 JSON: an integer may be a decimal string.
    assert.equal(configOf(importNtf(entry('"dscp": "184"'))).services[0].dscp, 46);
  });

  it('input past the limits: size, nesting, what one configuration holds', () => {
    assertRefused(' '.repeat(MAX_INPUT_BYTES + 1), 'ERR_NTF_LIMIT', undefined, 'larger than');
    assertRefused(script(`dscp=${'['.repeat(40)}${']'.repeat(40)}, ${tokenArg()}`), 'ERR_NTF_LIMIT', 2, 'nested deeper than 32');
    const keys = Array.from({ length: 17 }, (_, i) => Buffer.alloc(32, i + 1).toString('base64url'));
    const many = keys.map((k, i) => `ntf.entry_create(token={'token_type': ${i + 1}, 'encryption_key': '{"kty":"oct","k":"${k}"}'})`).join('\n');
    assertRefused(many, 'ERR_NTF_LIMIT', 17, 'more than 16 different keys');
    // Entries that share a key share a key set: 17 of them fit.
    const shared = keys.map((_, i) => `ntf.entry_create(token={'token_type': ${i + 1}, 'encryption_key': '{"kty":"oct","k":"${keys[0]}"}'})`).join('\n');
    assert.equal(Object.keys(configOf(importNtf(shared)).keysets).length, 1);
  });

  it('Python literals the reader understands: both quotes, escapes, bases, underscores, tuples, trailing commas, comments', () => {
    const key = KEY.replace(/"/g, '\\x22').replace('kty', 'k\\164y');
    const r = importNtf(`ntf.entry_create(  # the video entry\n  dscp = 0o270 ,\n  rule_id=1_000,\n  token = {"token_type": 0b1011000000001111, 'encryption_key': '${key}', 'blacklist': (7, 8,),},\n)\n`);
    const c = configOf(r);
    assert.deepEqual([c.services[0].dscp, c.services[0].id, c.descriptors[0].id, c.revoked], [46, 1000, 0xb00f, [7, 8]]);
  });
});

describe('ntok import-ntf', () => {
  it('prints the configuration, notes on stderr; the core and ntok verify take it', async () => {
    const r = ntok('import-ntf', file('ntf.bess', SCRIPT));
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), importNtf(SCRIPT, { source: join(dir, 'ntf.bess') }).config);
    assert.match(r.err, /^ntok: note: .*TOS byte 26 \(0x1a\) is DSCP 6/m);
    assert.match(r.err, /ntok: 2 entries imported from/);
    const config = file('imported.json', r.out);
    const key = importedKey(importNtf(SCRIPT), 'ntf-0xb00f');
    const token = Buffer.from(await referenceToken(key, 0xb00f, { bip: '192.168.1.23' })).toString('hex');
    const v = ntok('verify', token, '--config', config, '--json', '--now', String(NOW));
    assert.equal(v.code, 0, v.out + v.err);
    assert.equal(JSON.parse(v.out).descriptor, 0xb00f);
  });

  it('writes --out, and reads --format and --dscp-field', () => {
    const out = join(dir, 'out.json');
    const r = ntok('import-ntf', file('entries', ENTRIES), '--out', out, '--format', 'json', '--dscp-field', 'tos');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '');
    assert.deepEqual((JSON.parse(readFileSync(out, 'utf8')) as Config).services.map((s) => s.dscp), [46, 34]);
    assert.equal(ntok('import-ntf', file('e2', ENTRIES), '--dscp-field', 'dscp').code, 2, 'dscp 184 is no DSCP');
  });

  it('exits 2 naming the file, the line, the code, the entry and the field', () => {
    const r = ntok('import-ntf', file('bad.bess', script(`dscp=0x1b8, ${tokenArg()}`)));
    assert.equal(r.code, 2);
    assert.match(r.err, /^ntok: .*bad\.bess:2: ERR_NTF_FIELD: ntf\.entry_create: dscp: 440 does not fit the TOS byte/);
    assert.equal(r.out, '');
  });

  it('exits 2 on usage errors and a file past the size limit, before reading it', () => {
    assert.equal(ntok('import-ntf').code, 2);
    assert.equal(ntok('import-ntf', join(dir, 'missing.bess')).code, 2);
    assert.equal(ntok('import-ntf', file('x', SCRIPT), '--format', 'yaml').code, 2);
    assert.equal(ntok('import-ntf', file('y', SCRIPT), '--dscp-field', 'ecn').code, 2);
    const huge = ntok('import-ntf', file('huge.bess', Buffer.alloc(MAX_INPUT_BYTES + 1, 0x20)));
    assert.equal(huge.code, 2);
    assert.match(huge.err, /larger than the 1048576/);
  });
});

// ---------------------------------------------------------------------------

describe('a WebRTC STUN Binding Request carrying a JWE network token with header 0x0000B00F', () => {
  let imported: ImportResult;
  let capture: { pcap: Uint8Array; request: Uint8Array };
  let pcapFile: string;
  before(async () => {
    imported = importNtf(SCRIPT);
    const token = await referenceToken(importedKey(imported, 'ntf-0xb00f'), 0xb00f, { bip: CLIENT, nti: 151234143125 });
    capture = webrtcCall(token, NOW);
    pcapFile = file('webrtc.pcap', capture.pcap);
  });

  it('is built as the reference client sent it: token first, then the ICE attributes, MESSAGE-INTEGRITY, FINGERPRINT', () => {
    const attrs = stunAttributes(capture.request);
    assert.deepEqual(attrs.map((a) => a.type), [ATTR.NETWORK_TOKEN, ATTR.USERNAME, ATTR.GOOG_NETWORK_INFO, ATTR.ICE_CONTROLLED, ATTR.PRIORITY, ATTR.MESSAGE_INTEGRITY, ATTR.FINGERPRINT]);
    assert.deepEqual([...attrs[0].value.subarray(0, 4)], [0x00, 0x00, 0xb0, 0x0f]);
    assert.match(Buffer.from(attrs[0].value.subarray(4)).toString('latin1'), /^eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0\.\.[\w-]{22}\.[\w-]+\.[\w-]{22}$/);
    // The remote ICE agent's check holds (the token is inside what MESSAGE-INTEGRITY covers), and fails with another password.
    assert.ok(messageIntegrityHolds(capture.request, ICE.remotePassword));
    assert.ok(!messageIntegrityHolds(capture.request, 'another-password-of-24ch'));
  });

  it('is a well-formed STUN message to tshark: MESSAGE-INTEGRITY and a good FINGERPRINT, nothing malformed or flagged', () => {
    const decode = ['-d', 'udp.port==61000,stun'];
    const [p] = dissect(pcapFile, ['stun.type', 'stun.att.type', 'stun.att.username', 'stun.att.hmac', 'stun.att.crc32', 'stun.att.crc32.status', 'stun.att.priority'] as const, decode);
    assert.deepEqual(p['stun.type'], ['0x0001']);
    assert.deepEqual(p['stun.att.type'].map(Number), [0x8030, 0x0006, 0xc057, 0x8029, 0x0024, 0x0008, 0x8028]);
    assert.deepEqual(p['stun.att.username'], ['dkvc21eeecviv3:cPtQ']);
    assert.equal(p['stun.att.hmac'].length, 1);
    assert.equal(p['stun.att.crc32'].length, 1);
    assert.deepEqual(p['stun.att.crc32.status'], ['1'], 'tshark validated the FINGERPRINT (1: good)');
    assert.deepEqual(p['stun.att.priority'], [String(0x6e7f1eff)]);
    assert.equal(malformedOrWarned(pcapFile, decode), '');
  });

  it('replayed, the call is marked with the imported service: DSCP 6 both ways, ECN kept; the unauthorized EF washed', async () => {
    const gateway = await Gateway.open(imported.config);
    const result = replay(gateway, readCapture(capture.pcap), { now: NOW });
    assert.deepEqual(result.flows, [
      { flow: `udp ${CLIENT}:50123 > ${PEER}:61000`, service: 'ntf-0xb00f', dscp: 6, code: 'ok', packets: 3 },
      { flow: `udp 192.168.1.50:40000 > ${PEER}:5004`, service: null, dscp: 0, code: 'washed', packets: 1 },
    ]);
    const tos = readCapture(result.output).packets.map((p) => p.data[1]);
    assert.deepEqual(tos, [6 << 2, (6 << 2) | 2, (6 << 2) | 1, 0]);
    // The CLI prints the same JSON.
    const r = ntok('replay', pcapFile, '--config', file('webrtc-config.json', JSON.stringify(imported.config)), '--json', '--now', String(NOW));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), result.json);
  });

  it('a token whose sid is another entry\'s rule_id gets that entry\'s service (ntok: the token names its service)', async () => {
    const gateway = await Gateway.open(imported.config);
    const key = importedKey(imported, 'ntf-0xb00f');
    const token = await referenceToken(key, 0xb00f, { bip: CLIENT, sid: 0xbeefb00f });
    const request = webrtcBindingRequest({ token, ...ICE, role: 'controlling', tiebreaker: 1n, localPriority: 0x7e7f1eff, networkId: 1, networkCost: 50, transactionId: 'abcdefghijkl' });
    const v = gateway.process(ipv4Udp({ src: CLIENT, dst: PEER, sport: 50124, dport: 61000, payload: request }), { now: NOW });
    assert.equal(gateway.resultName(v.code), 'ok');
    assert.equal(gateway.serviceName(v.service), 'ntf-0x10001');
    assert.equal(v.dscp, 46);
  });
});

// ---------------------------------------------------------------------------
// Where the reference's tokens and ntok's core parted ways until the core
// changed: a 63-bit nti (JSON integers now exact), and a sid naming no
// service (a per-service descriptor's service now applies).

describe('reference tokens that needed core changes', () => {
  it('verifies a reference token whose nti is a 63-bit integer, as its issuers made them', async () => {
    const r = importNtf(SCRIPT);
    const v = await Verifier.open(r.config);
    const key = Buffer.from(importedKey(r, 'ntf-0xb00f').k!, 'base64url');
    // The reference's own JWE test token carries {"bip":...,"exp":...,"nti":6190295146375875070}
    // (Network-Tokens/ntf tests/test_nte.cc): JSON.stringify cannot write that integer, so the payload is text.
    const payload = `{"bip":"${CLIENT}","exp":${EXP},"nti":6190295146375875070}`;
    const jwe = await new CompactEncrypt(new TextEncoder().encode(payload)).setProtectedHeader({ alg: 'dir', enc: 'A128CBC-HS256' }).encrypt(key);
    const res = v.verify(Buffer.concat([Buffer.from('0000b00f', 'hex'), Buffer.from(jwe)]), { now: NOW });
    assert.equal(res.code, 'ok', JSON.stringify(res));
  });

  it('marks a token whose sid names no configured service with its descriptor\'s service, as the reference did', async () => {
    const r = importNtf(SCRIPT);
    const gateway = await Gateway.open(r.config);
    const token = await referenceToken(importedKey(r, 'ntf-0xb00f'), 0xb00f, { bip: CLIENT, sid: 0xbeef });
    const request = webrtcBindingRequest({ token, ...ICE, role: 'controlled', tiebreaker: 2n, localPriority: 0x7e7f1eff, networkId: 1, networkCost: 10, transactionId: 'mnopqrstuvwx' });
    const v = gateway.process(ipv4Udp({ src: CLIENT, dst: PEER, sport: 50125, dport: 61000, payload: request }), { now: NOW });
    assert.equal(gateway.resultName(v.code), 'ok');
    assert.equal(gateway.serviceName(v.service), 'ntf-0xb00f');
  });
});
