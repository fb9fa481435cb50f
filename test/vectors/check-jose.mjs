#!/usr/bin/env node
// Independent checker for the JOSE vectors in test/vectors/jose.json, as
// check.mjs is for the COSE ones: it splits the compact text, runs the
// primitive with @noble/* or node:crypto (RFC 7515 §5.2: the MAC or signature
// over the ASCII signing input; RFC 7518 §5.2.2.2: the JWE tag is the first
// half of HMAC-SHA256 over AAD ‖ IV ‖ ciphertext ‖ AL with the first half of
// the key, then AES-128-CBC with the second half and PKCS#7 padding), reads
// the claims with JSON.parse, applies exp with the default leeway (60 s), and
// derives the result the verifier is expected to produce. That derived
// result must match the vector's `expect` (every field given there). Nothing
// here uses the verifier under test.
//
// Vector fields:
//   name, source        id and where the bytes come from
//   token               JOSE compact text (the test puts a header for a jose
//                       descriptor in front of it)
//   now                 verification time (seconds)
//   keys                JWKs for the key set (kid, alg as a JOSE name)
//   rfc7516_b           for the RFC 7516 Appendix B vector: the RFC's own AAD,
//                       tag and plaintext, recomputed from the same key, IV
//                       and ciphertext (B.7)
//   expect              ok, code and, when the crypto checked out, kid, alg
//                       (enc), claims
//
// Usage: node test/vectors/check-jose.mjs [file.json ...]
// Prints one line per vector; exits 1 if any vector does not check out.

import { readFileSync } from 'node:fs';
import { createDecipheriv } from 'node:crypto';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';

const LEEWAY = 60;
const here = dirname(fileURLToPath(import.meta.url));
const files = process.argv.length > 2 ? process.argv.slice(2) : [join(here, 'jose.json')];

class CheckError extends Error {}
const fail = (msg) => {
  throw new CheckError(msg);
};

const b64u = (s, what) => {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) fail(`${what}: not base64url without padding`);
  return Buffer.from(s, 'base64url');
};
const ascii = (s) => Buffer.from(s, 'ascii');
const equal = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

/** RFC 7518 §5.2.2.1-2: the A128CBC-HS256 tag of (aad, iv, ct) under the 32-byte key. */
function cbcHmacTag(key, aad, iv, ct) {
  const al = Buffer.alloc(8);
  al.writeBigUInt64BE(BigInt(aad.length * 8));
  return hmac(sha256, key.subarray(0, 16), Buffer.concat([aad, iv, ct, al])).subarray(0, 16);
}

function cbcDecrypt(key, iv, ct) {
  const d = createDecipheriv('aes-128-cbc', key.subarray(16), iv);
  return Buffer.concat([d.update(ct), d.final()]);
}

/** The result the verifier must give, derived from the vector's bytes alone. */
function derive(v) {
  const parts = v.token.split('.');
  if (parts.length !== 3 && parts.length !== 5) fail('neither 3 nor 5 parts');
  const header = JSON.parse(b64u(parts[0], 'header').toString('utf8'));
  const jwe = parts.length === 5;
  const alg = jwe ? header.enc : header.alg;
  if (jwe ? header.alg !== 'dir' || alg !== 'A128CBC-HS256' : !['HS256', 'ES256', 'EdDSA'].includes(alg)) {
    return { ok: false, code: 'unsupported-alg' };
  }
  const key = v.keys.find((k) => (header.kid === undefined ? k.alg === alg : k.kid === header.kid));
  if (!key) fail('no key for the vector');
  const result = { kid: key.kid, alg: jwe ? 'dir' : alg, ...(jwe ? { enc: alg } : {}) };
  let payload;
  if (jwe) {
    const k = b64u(key.k, 'k');
    const aad = ascii(parts[0]);
    const iv = b64u(parts[2], 'iv');
    const ct = b64u(parts[3], 'ciphertext');
    if (b64u(parts[1], 'encrypted key').length !== 0) fail('dir with an encrypted key');
    if (v.rfc7516_b) {
      // B.7: the RFC's tag over its own AAD, from the same key, IV and ciphertext.
      if (!equal(cbcHmacTag(k, ascii(v.rfc7516_b.aad), iv, ct), b64u(v.rfc7516_b.tag, 'rfc tag'))) fail('RFC 7516 B.7 tag does not recompute');
      if (cbcDecrypt(k, iv, ct).toString('utf8') !== v.rfc7516_b.plaintext) fail('RFC 7516 B plaintext does not recompute');
    }
    if (!equal(cbcHmacTag(k, aad, iv, ct), b64u(parts[4], 'tag'))) return { ok: false, code: 'bad-mac', ...result };
    payload = cbcDecrypt(k, iv, ct);
  } else {
    const input = ascii(`${parts[0]}.${parts[1]}`);
    const sig = b64u(parts[2], 'signature');
    let valid;
    if (alg === 'HS256') valid = equal(hmac(sha256, b64u(key.k, 'k'), input), sig);
    else if (alg === 'ES256') {
      const point = Buffer.concat([Buffer.of(4), b64u(key.x, 'x'), b64u(key.y, 'y')]);
      valid = p256.verify(sig, input, point, { prehash: true, lowS: false, format: 'compact' });
    } else valid = ed25519.verify(sig, input, b64u(key.x, 'x'), { zip215: false });
    if (!valid) return { ok: false, code: alg === 'HS256' ? 'bad-mac' : 'bad-signature', ...result };
    payload = b64u(parts[1], 'payload');
  }
  let claims;
  try {
    claims = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, code: 'not-cwt', ...result };
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return { ok: false, code: 'not-cwt', ...result };
  const known = {};
  for (const name of ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'nti', 'srv', 'sid', 'bip']) if (name in claims) known[name] = claims[name];
  const expired = typeof claims.exp === 'number' && v.now >= claims.exp + LEEWAY;
  return { ok: !expired, code: expired ? 'expired' : 'ok', ...result, claims: known };
}

let failures = 0;
for (const file of files) {
  const vectors = JSON.parse(readFileSync(file, 'utf8'));
  for (const v of vectors) {
    try {
      const derived = derive(v);
      for (const [field, want] of Object.entries(v.expect)) {
        if (JSON.stringify(derived[field]) !== JSON.stringify(want)) {
          fail(`expect.${field} is ${JSON.stringify(want)}, the bytes give ${JSON.stringify(derived[field])}`);
        }
      }
      console.log(`ok   ${basename(file)} ${v.name}: ${derived.code}`);
    } catch (e) {
      if (!(e instanceof CheckError)) throw e;
      failures++;
      console.log(`FAIL ${basename(file)} ${v.name}: ${e.message}`);
    }
  }
}
process.exitCode = failures > 0 ? 1 : 0;
