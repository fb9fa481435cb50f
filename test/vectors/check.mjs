#!/usr/bin/env node
// Independent checker for the conformance vectors in test/vectors/*.json.
//
// For every vector it decodes the COSE message with cbor-x, rebuilds the
// MAC_structure / Sig_structure / Enc_structure of RFC 9052 (sections 6.3,
// 4.4, 5.3; the protected header is used as the received bytes, external_aad
// is empty), runs the primitive with @noble/* or node:crypto, decodes the
// claims, applies exp/nbf with the default leeway (60 s) and derives the
// result code the verifier is expected to produce. That derived result must
// match the vector's `expect` (every field given there). Nothing here uses
// the verifier under test.
//
// Vector fields (cwt.json: RFC 8392 Appendix A; cose.json: RFC 9052 and
// cose-wg/Examples messages whose payload is not a claims set):
//   name, source        id and where the bytes come from
//   token               hex of the bare COSE/CWT message (no network-token header)
//   cwt                 always true: verify with the bare-CWT flag
//   keyset_expect       the key set's `expect` (any | mac0 | sign1 | encrypt0);
//                       not "any" only for untagged messages
//   now                 verification time (seconds, default leeway 60 s applies)
//   keys                JWKs for the key set (kid, alg as COSE name)
//   expect              ok, code and, when the crypto checked out, kid, alg,
//                       claims. A message without a kid is matched by alg to
//                       the single key of that alg; expect.kid is that key's kid.
//
// Usage: node test/vectors/check.mjs [file.json ...]
// Prints one line per vector; exits 1 if any vector does not check out.

import { readFileSync } from 'node:fs';
import { createDecipheriv } from 'node:crypto';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { gcm } from '@noble/ciphers/aes.js';
import { Decoder, Encoder, Tag } from 'cbor-x';

const LEEWAY = 60;
const here = dirname(fileURLToPath(import.meta.url));
const files = process.argv.length > 2 ? process.argv.slice(2) : [join(here, 'cwt.json'), join(here, 'cose.json')];

const decoder = new Decoder({ mapsAsObjects: false, useRecords: false });
const encoder = new Encoder({ tagUint8Array: false, useRecords: false, mapsAsObjects: false });

const ALGS = {
  'HMAC 256/64': 4,
  'HMAC 256/256': 5,
  'AES-CCM-16-64-128': 10,
  A128GCM: 1,
  EdDSA: -8,
  ES256: -7,
};
const KTY_FOR_ALG = { 4: 'oct', 5: 'oct', 10: 'oct', 1: 'oct', [-8]: 'OKP', [-7]: 'EC' };
const CODES = new Set(['ok', 'expired', 'not-yet-valid', 'bad-mac', 'bad-signature', 'decrypt-failed', 'alg-mismatch', 'not-cwt']);
const CRYPTO_FAIL = { 4: 'bad-mac', 5: 'bad-mac', [-7]: 'bad-signature', [-8]: 'bad-signature', 10: 'decrypt-failed', 1: 'decrypt-failed' };
const TYPE_BY_TAG = { 16: 'encrypt0', 17: 'mac0', 18: 'sign1' };

class CheckError extends Error {}
const fail = (msg) => {
  throw new CheckError(msg);
};

const buf = (u8) => Buffer.from(u8.buffer ? Buffer.from(u8) : u8);
const b64u = (s, what) => {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s)) fail(`${what}: not base64url without padding`);
  return Buffer.from(s, 'base64url');
};
const cbor = (value) => Buffer.from(encoder.encode(value));

function decodeExact(bytes) {
  // cbor-x's decodeMultiple gives every top-level item; a single item must
  // use all the bytes.
  const items = [];
  decoder.decodeMultiple(bytes, (v) => {
    items.push(v);
  });
  if (items.length !== 1) fail(`expected one CBOR item, found ${items.length}`);
  return items[0];
}

// ---------------------------------------------------------------- keys
function importKey(jwk, i) {
  const where = `keys[${i}]`;
  if (typeof jwk !== 'object' || jwk === null) fail(`${where}: not an object`);
  if (typeof jwk.kid !== 'string' || jwk.kid === '') fail(`${where}: kid missing`);
  if (!(jwk.alg in ALGS)) fail(`${where}: alg ${JSON.stringify(jwk.alg)} is not a supported COSE name`);
  if ('d' in jwk) fail(`${where}: private part present`);
  let raw;
  if (jwk.kty === 'oct') {
    raw = b64u(jwk.k, `${where}.k`);
  } else if (jwk.kty === 'EC') {
    if (jwk.crv !== 'P-256') fail(`${where}: crv`);
    const x = b64u(jwk.x, `${where}.x`);
    const y = b64u(jwk.y, `${where}.y`);
    if (x.length !== 32 || y.length !== 32) fail(`${where}: coordinate length`);
    raw = Buffer.concat([Buffer.from([4]), x, y]);
    p256.Point.fromBytes(raw).assertValidity();
  } else if (jwk.kty === 'OKP') {
    if (jwk.crv !== 'Ed25519') fail(`${where}: crv`);
    raw = b64u(jwk.x, `${where}.x`);
    if (raw.length !== 32) fail(`${where}: x length`);
  } else {
    fail(`${where}: kty ${jwk.kty}`);
  }
  return { kid: jwk.kid, alg: ALGS[jwk.alg], kty: jwk.kty, raw };
}

// ---------------------------------------------------------------- crypto
// Returns true when the MAC / signature / AEAD tag checks out; for
// Encrypt0 `out.plaintext` receives the plaintext.
function runCrypto(alg, key, msg, out) {
  if (KTY_FOR_ALG[alg] !== key.kty) fail(`key type ${key.kty} cannot be used with alg ${alg}`);
  const empty = Buffer.alloc(0);
  switch (alg) {
    case 4:
    case 5: {
      const toMac = cbor(['MAC0', msg.protectedBytes, empty, msg.payload]);
      const full = Buffer.from(hmac(sha256, key.raw, toMac));
      const want = alg === 4 ? full.subarray(0, 8) : full;
      return msg.tag.length === want.length && msg.tag.equals(want);
    }
    case -7: {
      const toSign = cbor(['Signature1', msg.protectedBytes, empty, msg.payload]);
      if (msg.signature.length !== 64) return false;
      // prehash (SHA-256) is noble's default; COSE does not require low-S.
      return p256.verify(msg.signature, toSign, key.raw, { lowS: false, prehash: true, format: 'compact' });
    }
    case -8: {
      const toSign = cbor(['Signature1', msg.protectedBytes, empty, msg.payload]);
      if (msg.signature.length !== 64) return false;
      return ed25519.verify(msg.signature, toSign, key.raw, { zip215: false });
    }
    case 10: {
      const aad = cbor(['Encrypt0', msg.protectedBytes, empty]);
      const iv = msg.iv;
      if (!iv || iv.length !== 13) fail('AES-CCM-16-64-128 needs a 13-byte IV');
      if (key.raw.length !== 16) fail('AES-CCM-16-64-128 needs a 16-byte key');
      const ct = msg.ciphertext;
      if (ct.length < 8) return false;
      const body = ct.subarray(0, ct.length - 8);
      const d = createDecipheriv('aes-128-ccm', key.raw, iv, { authTagLength: 8 });
      d.setAuthTag(ct.subarray(ct.length - 8));
      d.setAAD(aad, { plaintextLength: body.length });
      const pt = d.update(body);
      try {
        d.final();
      } catch {
        return false;
      }
      out.plaintext = pt;
      return true;
    }
    case 1: {
      const aad = cbor(['Encrypt0', msg.protectedBytes, empty]);
      const iv = msg.iv;
      if (!iv || iv.length !== 12) fail('A128GCM needs a 12-byte IV');
      if (key.raw.length !== 16) fail('A128GCM needs a 16-byte key');
      try {
        out.plaintext = Buffer.from(gcm(key.raw, iv, aad).decrypt(msg.ciphertext));
      } catch {
        return false;
      }
      return true;
    }
    default:
      fail(`unsupported alg ${alg}`);
  }
}

// ---------------------------------------------------------------- COSE
function parseMessage(bytes, keysetExpect) {
  let item = decodeExact(bytes);
  const tags = [];
  while (item instanceof Tag) {
    tags.push(item.tag);
    item = item.value;
  }
  let type;
  if (tags.length === 0) {
    if (!['mac0', 'sign1', 'encrypt0'].includes(keysetExpect)) fail('untagged message but keyset_expect is not a message type');
    type = keysetExpect;
  } else {
    const inner = tags[tags.length - 1];
    type = TYPE_BY_TAG[inner];
    if (!type) fail(`unexpected CBOR tag ${inner}`);
    const outer = tags.slice(0, -1);
    if (outer.some((t) => t !== 61) || outer.length > 1) fail(`unexpected tags ${tags.join(',')}`);
  }
  const want = type === 'encrypt0' ? 3 : 4;
  if (!Array.isArray(item) || item.length !== want) fail(`${type}: not an array of ${want}`);
  const [p, u] = item;
  if (!Buffer.isBuffer(p) && !(p instanceof Uint8Array)) fail('protected header is not a bstr');
  const protectedBytes = Buffer.from(p);
  const prot = protectedBytes.length ? decodeExact(protectedBytes) : new Map();
  if (!(prot instanceof Map)) fail('protected header is not a map');
  if (!(u instanceof Map)) fail('unprotected header is not a map');
  for (const k of prot.keys()) if (u.has(k)) fail(`header label ${k} in both buckets`);
  const hdr = (label) => (prot.has(label) ? prot.get(label) : u.get(label));
  const alg = hdr(1);
  if (!Number.isInteger(alg)) fail('alg missing or not an integer');
  const kid = hdr(4) === undefined ? undefined : Buffer.from(hdr(4));
  const iv = hdr(5) === undefined ? undefined : Buffer.from(hdr(5));
  if (hdr(6) !== undefined) fail('partial IV not handled');
  const msg = { type, tags, protectedBytes, alg, kid, iv };
  if (type === 'encrypt0') {
    msg.ciphertext = Buffer.from(item[2]);
  } else {
    if (item[2] === null) fail('detached payload');
    msg.payload = Buffer.from(item[2]);
    if (type === 'mac0') msg.tag = Buffer.from(item[3]);
    else msg.signature = Buffer.from(item[3]);
  }
  return msg;
}

const textOrHex = (b) => {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return b.toString('hex');
  }
};

// Verify one COSE layer (and any nested layer inside it).
function verifyLayer(bytes, keys, keysetExpect, depth, trace) {
  if (depth > 4) fail('nesting too deep');
  const msg = parseMessage(bytes, keysetExpect);
  let candidates;
  if (msg.kid !== undefined) {
    candidates = keys.filter((k) => Buffer.from(k.kid, 'utf8').equals(msg.kid));
  } else {
    candidates = keys.filter((k) => k.alg === msg.alg);
  }
  if (candidates.length !== 1) fail(`${candidates.length} keys match ${msg.kid ? `kid ${textOrHex(msg.kid)}` : `alg ${msg.alg} (no kid in message)`}`);
  const key = candidates[0];
  const kidText = msg.kid !== undefined ? textOrHex(msg.kid) : key.kid;
  trace.push(`${msg.type}${msg.tags.length ? `(tag ${msg.tags.join('/')})` : '(untagged)'} alg ${msg.alg} kid ${kidText}${msg.kid === undefined ? ' (key chosen by alg)' : ''}`);

  if (key.alg !== msg.alg) {
    // The key is labelled with another algorithm. Show that the bytes are
    // the right ones, so the label is the only thing wrong.
    const good = runCrypto(msg.alg, { ...key, alg: msg.alg }, msg, {});
    if (!good) fail(`alg-mismatch vector, but the key bytes do not verify under alg ${msg.alg} either`);
    trace.push(`key labelled ${key.alg}, message alg ${msg.alg}; key bytes verify under ${msg.alg}`);
    return { code: 'alg-mismatch' };
  }

  const out = {};
  if (!runCrypto(msg.alg, key, msg, out)) {
    trace.push('crypto FAILS');
    return { code: CRYPTO_FAIL[msg.alg] };
  }
  trace.push('crypto ok');
  const content = msg.type === 'encrypt0' ? out.plaintext : msg.payload;

  // Nested COSE message?
  let inner;
  try {
    inner = decodeExact(content);
  } catch {
    inner = undefined;
  }
  if (inner instanceof Tag) {
    let t = inner;
    while (t instanceof Tag && t.tag === 61) t = t.value;
    if (t instanceof Tag && TYPE_BY_TAG[t.tag]) return verifyLayer(content, keys, 'any', depth + 1, trace);
  }
  return { code: 'crypto-ok', kid: kidText, alg: msg.alg, content, parsed: inner };
}

function claimsOf(map) {
  const names = { 1: 'iss', 2: 'sub', 3: 'aud', 4: 'exp', 5: 'nbf', 6: 'iat', 7: 'cti' };
  const claims = {};
  for (const [k, val] of map) {
    const name = names[k];
    if (!name) fail(`claim ${k} not handled by the checker`);
    if (name === 'iss' || name === 'sub') {
      if (typeof val !== 'string') fail(`${name} not text`);
      claims[name] = val;
    } else if (name === 'aud') {
      if (typeof val === 'string') claims.aud = val;
      else if (Array.isArray(val) && val.every((a) => typeof a === 'string')) claims.aud = val;
      else fail('aud not text or array of text');
    } else if (name === 'cti') {
      if (!(val instanceof Uint8Array)) fail('cti not bstr');
      claims.cti = Buffer.from(val).toString('hex');
    } else {
      if (typeof val !== 'number' || !Number.isFinite(val)) fail(`${name} not a number`);
      claims[name] = val;
    }
  }
  return claims;
}

function derive(vector, keys) {
  const trace = [];
  const r = verifyLayer(Buffer.from(vector.token, 'hex'), keys, vector.keyset_expect, 0, trace);
  if (r.code !== 'crypto-ok') return { result: { ok: false, code: r.code }, trace };
  if (!(r.parsed instanceof Map)) {
    trace.push(`payload is not a claims map (${r.content.length} bytes: ${JSON.stringify(r.content.toString('latin1').slice(0, 24))})`);
    return { result: { ok: false, code: 'not-cwt', kid: r.kid, alg: r.alg }, trace };
  }
  const claims = claimsOf(r.parsed);
  const now = vector.now;
  let code = 'ok';
  if (claims.exp !== undefined && now >= claims.exp + LEEWAY) code = 'expired';
  else if (claims.nbf !== undefined && now < claims.nbf - LEEWAY) code = 'not-yet-valid';
  trace.push(`claims ${Object.keys(claims).join(',')}; now ${now} -> ${code}`);
  return { result: { ok: code === 'ok', code, kid: r.kid, alg: r.alg, claims }, trace };
}

// ---------------------------------------------------------------- driver
function deepEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
}

function checkShape(v) {
  for (const f of ['name', 'source', 'token', 'cwt', 'now', 'keys', 'expect']) if (!(f in v)) fail(`field ${f} missing`);
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(v.name)) fail('bad name');
  if (typeof v.source !== 'string' || !v.source) fail('source');
  if (!/^([0-9a-f]{2})+$/.test(v.token)) fail('token is not lowercase hex');
  if (v.cwt !== true) fail('cwt must be true (bare COSE/CWT message)');
  if (typeof v.now !== 'number') fail('now');
  if (!Array.isArray(v.keys) || v.keys.length === 0) fail('keys');
  const e = v.expect;
  if (typeof e !== 'object' || e === null) fail('expect');
  if (!CODES.has(e.code)) fail(`unknown code ${e.code}`);
  if (e.ok !== (e.code === 'ok')) fail('expect.ok does not agree with expect.code');
  if (['ok', 'expired', 'not-yet-valid'].includes(e.code) && !e.claims) fail('expect.claims missing');
  if (['ok', 'expired', 'not-yet-valid', 'not-cwt'].includes(e.code) && (e.kid === undefined || e.alg === undefined)) fail('expect.kid / expect.alg missing');
  if (v.keyset_expect !== undefined && !['any', 'mac0', 'sign1', 'encrypt0'].includes(v.keyset_expect)) fail('keyset_expect');
}

let failures = 0;
let total = 0;
const seen = new Set();
for (const file of files) {
  const vectors = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(vectors)) throw new Error(`${file}: not an array`);
  const positives = [];
  let fileFail = 0;
  for (const v of vectors) {
    total++;
    let line;
    try {
      checkShape(v);
      if (seen.has(v.name)) fail('duplicate name');
      seen.add(v.name);
      const keys = v.keys.map(importKey);
      const { result, trace } = derive({ ...v, keyset_expect: v.keyset_expect ?? 'any' }, keys);
      const diffs = [];
      for (const [f, want] of Object.entries(v.expect)) {
        if (!deepEqual(result[f], want)) diffs.push(`${f}: expected ${JSON.stringify(want)}, checker got ${JSON.stringify(result[f])}`);
      }
      if (result.claims && !v.expect.claims) diffs.push('checker decoded claims but expect has none');
      if (diffs.length) fail(diffs.join('; '));
      // For a negative copy, name the positive vector it was derived from.
      let note = '';
      if (['bad-mac', 'bad-signature', 'decrypt-failed'].includes(v.expect.code)) {
        const t = Buffer.from(v.token, 'hex');
        for (const p of positives) {
          const q = Buffer.from(p.token, 'hex');
          if (q.length !== t.length) continue;
          let n = 0;
          for (let i = 0; i < q.length; i++) if (q[i] !== t[i]) n++;
          if (n > 0 && n <= 1) note = `; 1 byte differs from ${p.name}`;
        }
      }
      if (v.expect.code === 'ok' || v.expect.code === 'not-cwt') positives.push(v);
      line = `PASS ${v.name}: ${v.expect.code} -- ${trace.join('; ')}${note}`;
    } catch (err) {
      if (!(err instanceof CheckError)) throw err;
      fileFail++;
      line = `FAIL ${v.name ?? '(unnamed)'}: ${err.message}`;
    }
    console.log(line);
  }
  console.log(`-- ${basename(file)}: ${vectors.length - fileFail}/${vectors.length} vectors check out`);
  failures += fileFail;
}
console.log(failures ? `${failures} of ${total} vectors FAILED` : `all ${total} vectors check out`);
process.exit(failures ? 1 : 0);
