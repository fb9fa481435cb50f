/**
 * Operations on a running gateway through the TS shim (docs/abi.md): a
 * revocation pushed while flows run (revoke), a reload whose revoked list
 * names a live flow's token (configure), reloads that keep flows, and
 * NAT-aware binding (set_nat through Gateway.process's `nat`).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Gateway } from '../../src/host/gateway.js';
import { NtokError } from '../../src/host/verifier.js';
import { mintToken } from '../../src/issuer/index.js';
import { ip4, ipv4, udp, stun } from '../support/packets.js';

const NOW = 1_800_000_000;
const key = { kty: 'oct', kid: 'o', alg: 'HMAC 256/64', k: Buffer.alloc(32, 5).toString('base64url') };
const otherKey = { kty: 'oct', kid: 'p', alg: 'HMAC 256/64', k: Buffer.alloc(32, 6).toString('base64url') };
const mint = (claims: Record<string, unknown>) => Buffer.from(mintToken(claims, { key }));
const config = (extra: Record<string, unknown> = {}) => ({
  keysets: { default: { keys: [key] } },
  services: [{ name: 'low-latency', id: 1, dscp: 46, mark: 16 }],
  ...extra,
});
const PHONE = '192.0.2.7';
const SERVER = '198.51.100.2';
const media = Buffer.alloc(100, 0x55);
const call = (sport: number, token: Buffer, src = PHONE) => ipv4(src, SERVER, udp(sport, 3478, stun(token)));
const mediaOf = (sport: number, src = PHONE) => ipv4(src, SERVER, udp(sport, 3478, media), 2);

function decide(g: Gateway, packet: Buffer, options = {}) {
  const v = g.process(packet, { now: NOW, ...options });
  return { code: g.resultName(v.code), mark: v.mark, dscp: v.dscp };
}

describe('revocation of running flows', () => {
  it('revoke() withdraws the mark of the flows of a revoked nti at their next packet, and only theirs', async () => {
    const g = await Gateway.open(config());
    decide(g, call(40000, mint({ exp: NOW + 3600, srv: 1, nti: 7 })));
    decide(g, call(40001, mint({ exp: NOW + 3600, srv: 1, nti: 8 })));
    decide(g, call(40002, mint({ exp: NOW + 3600, srv: 1, nti: 7, bip: PHONE })));
    assert.deepEqual(decide(g, mediaOf(40000)), { code: 'ok', mark: 16, dscp: 46 });
    assert.deepEqual(g.revoke([7]), { revoked: 1, withdrawn: 2 });
    assert.deepEqual(decide(g, mediaOf(40000)), { code: 'revoked', mark: 2, dscp: 0 });
    assert.deepEqual(decide(g, mediaOf(40002)), { code: 'revoked', mark: 2, dscp: 0 });
    assert.deepEqual(decide(g, mediaOf(40001)), { code: 'ok', mark: 16, dscp: 46 });
    // A new flow with the revoked token is refused: the token cache was emptied.
    assert.equal(decide(g, call(40003, mint({ exp: NOW + 3600, srv: 1, nti: 7 }))).code, 'revoked');
    assert.equal(g.status().withdrawn, 2);
    // The same id again changes nothing.
    assert.deepEqual(g.revoke([7]), { revoked: 1, withdrawn: 0 });
  });

  it('revokes byte-string ids (cti) given as lowercase hex', async () => {
    const g = await Gateway.open(config());
    decide(g, call(40010, mint({ exp: NOW + 3600, srv: 1, cti: 'c0ffee0000000001' })));
    assert.deepEqual(g.revoke(['c0ffee0000000001']), { revoked: 1, withdrawn: 1 });
    assert.equal(decide(g, mediaOf(40010)).code, 'revoked');
  });

  it('refuses a bad revocation list with a message and changes nothing', async () => {
    const g = await Gateway.open(config());
    decide(g, call(40020, mint({ exp: NOW + 3600, srv: 1, nti: 9 })));
    for (const bad of [[-1], ['C0FFEE'], [1.5], [{}]]) {
      assert.throws(() => g.revoke(bad as never), (e) => e instanceof NtokError && e.code === 'bad-config' && /revoked\[0\]/.test(e.message));
    }
    assert.equal(decide(g, mediaOf(40020)).code, 'ok');
  });

  it('a reload keeps marked flows (even with another key set) and withdraws those its revoked list names', async () => {
    const g = await Gateway.open(config());
    decide(g, call(40030, mint({ exp: NOW + 3600, srv: 1, nti: 1 })));
    decide(g, call(40031, mint({ exp: NOW + 3600, srv: 1, nti: 2 })));
    g.configure(config({ keysets: { default: { keys: [otherKey] } } }));
    assert.equal(decide(g, mediaOf(40030)).mark, 16);
    g.configure(config({ keysets: { default: { keys: [otherKey] } }, revoked: [2] }));
    assert.equal(decide(g, mediaOf(40030)).mark, 16);
    assert.deepEqual(decide(g, mediaOf(40031)), { code: 'revoked', mark: 2, dscp: 0 });
  });
});

describe('NAT-aware binding', () => {
  const LAN = '192.168.1.10';
  const WAN = ip4('203.0.113.5');
  const bound = mint({ exp: NOW + 3600, srv: 1, bip: '203.0.113.5' });

  it('accepts a token bound to the WAN address for the LAN flow when the host gives the NAT address', async () => {
    const g = await Gateway.open(config());
    assert.equal(decide(g, call(40040, bound, LAN)).code, 'wrong-binding');
    assert.deepEqual(decide(g, call(40041, bound, LAN), { nat: WAN, direction: 1 }), { code: 'ok', mark: 16, dscp: 46 });
    // The NAT address holds for one packet: a new flow without it is refused again.
    assert.equal(decide(g, call(40042, bound, LAN)).code, 'wrong-binding');
  });

  it('does not accept it for another WAN address, nor lend it to the other endpoint', async () => {
    const g = await Gateway.open(config());
    assert.equal(decide(g, call(40050, bound, LAN), { nat: ip4('203.0.113.6'), direction: 1 }).code, 'wrong-binding');
    assert.equal(decide(g, call(40051, bound, LAN), { nat: WAN, direction: 2 }).code, 'wrong-binding');
  });
});
