// Failure messages come from the core's packed text table (assembly/details.json);
// a "%" in a text is the claim the failure is about.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coseMessage, encodeCbor, type Jwk } from '../../src/issuer/index.js';
import { Verifier } from '../../src/host/verifier.js';

const key: Jwk = { kty: 'oct', kid: 'a', alg: 'HMAC 256/64', k: Buffer.alloc(32, 7).toString('base64url') };
const mac0 = (claims: Map<number, unknown>) => coseMessage(encodeCbor(claims as never), key, { coseTag: true, kidInProtected: false });

test('a claim of the wrong type is named in the message', async () => {
  const v = await Verifier.open({ keysets: { default: { keys: [key] } } });
  const r = v.verify(mac0(new Map([[4, 'soon']])), { bareCwt: true });
  assert.equal(r.code, 'bad-claim');
  assert.equal(r.message, 'claim exp has the wrong type or value');
});

test('a missing required claim is named in the message', async () => {
  const v = await Verifier.open({ keysets: { default: { keys: [key] } }, require: ['nti'] });
  const r = v.verify(mac0(new Map([[4, 2000000000]])), { bareCwt: true, now: 1800000000 });
  assert.equal(r.code, 'missing-claim');
  assert.equal(r.message, 'required claim nti is absent');
});

test('a structural failure keeps its specific message', async () => {
  const v = await Verifier.open({ keysets: { default: { keys: [key] } } });
  const r = v.verify(Buffer.from('d18443a10104a0454c7844a10466', 'hex'), { bareCwt: true });
  assert.equal(r.code, 'malformed');
  assert.equal(r.message, 'CBOR string longer than the input');
});
