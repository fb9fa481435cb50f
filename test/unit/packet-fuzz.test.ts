/**
 * The packet entry point under fire: millions of random and mutated packets
 * through the release build of ntok.wasm (Gateway.process, the TS shim).
 *
 * Asserted for every packet: no trap or exception; a well-formed verdict
 * (known code, action 0/1, DSCP -1..63, a flow slot within capacity, a known
 * service, the length within the input buffer); a packet the core could not
 * parse passes unchanged; and no flow is ever marked for a service unless a
 * packet of that flow (since its slot was taken) carried a valid token's
 * authenticated bytes. Seeds are real packets with real tokens (the
 * repository's issuer), in every link type; mutations flip bits, set bytes to
 * values that matter to parsers (lengths, next-header values, option types),
 * truncate, extend and splice. `NTOK_FUZZ_PACKETS` sets the count (default
 * 2,000,000), `NTOK_FUZZ_SEED` the PRNG seed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Gateway, VERDICT } from '../../src/host/gateway.js';
import { mintToken } from '../../src/issuer/index.js';

const PACKETS = Number(process.env.NTOK_FUZZ_PACKETS ?? 2_000_000);
const SEED = Number(process.env.NTOK_FUZZ_SEED ?? 0x6e746f6b);
const NOW = 1_800_000_000;
const CAPACITY = 4096;

const key = { kty: 'oct', kid: 'f', alg: 'HMAC 256/64', k: Buffer.alloc(32, 9).toString('base64url') };
const mint = (claims: Record<string, unknown>, reflect: 0 | 1 | 2 = 0) => Buffer.from(mintToken(claims, { key, reflect }));

import { ipv4, ipv6, udp, tcp, options, stun, ethernet, sll } from '../support/packets.js';

const PHONE = '192.0.2.7';
const SERVER = '198.51.100.2';
const PHONE6 = '2001:db8:1::abcd';
const SERVER6 = '2001:db8:2::1';
const tokens = [
  mint({ exp: 2_000_000_000, srv: 1, bip: PHONE }, 1),
  mint({ exp: 2_000_000_000, srv: 1, bip: '2001:db8:1::/64' }),
  mint({ exp: 2_000_000_000, sid: 7 }),
];
// What a valid token cannot do without: the end of its claims and its MAC tag.
const authenticated = tokens.map((t) => t.subarray(t.length - 24));
const expired = mint({ exp: 1_700_000_000, srv: 1, bip: PHONE });
const media = Buffer.alloc(120, 0x55);
/** The peer's copy of a reflect-type-1 token: the same bytes with type 2 (draft §5). */
const reflected = Buffer.from(tokens[0]);
reflected[0] = 0x20 | (reflected[0] & 0x0f);

interface Seed {
  link: number;
  bytes: Buffer;
}
const v4 = (sport: number, payload: Buffer, tos = 0) => ipv4(PHONE, SERVER, udp(sport, 3478, payload), tos);
const v6 = (next: number, payload: Buffer, tos = 0) => ipv6(PHONE6, SERVER6, next, payload, tos);
const seeds: Seed[] = [
  { link: 101, bytes: v4(50000, stun(tokens[0])) },
  { link: 101, bytes: v4(50001, stun(tokens[2], true), 0xb9) },
  { link: 101, bytes: v4(50002, stun(expired)) },
  { link: 101, bytes: v4(50003, media, 46 << 2) },
  { link: 101, bytes: ipv4(SERVER, PHONE, udp(3478, 50000, stun(reflected))) },
  { link: 101, bytes: v6(0, Buffer.concat([options(17, tokens[1]), udp(50010, 443, media)])) },
  { link: 101, bytes: v6(60, Buffer.concat([options(17, tokens[1]), udp(50011, 443, media)]), 0xb8) },
  { link: 101, bytes: v6(0, Buffer.concat([options(60, tokens[2]), options(17, tokens[1]), udp(50012, 443, stun(tokens[2]))])) },
  { link: 101, bytes: v6(44, Buffer.concat([Buffer.from([17, 0, 0, 1, 0, 0, 0, 9]), udp(50013, 443, media)])) },
  { link: 101, bytes: ipv4(PHONE, SERVER, tcp(50014, 443, media), 0, 6) },
  { link: 101, bytes: ipv4(PHONE, SERVER, udp(50015, 3478, stun(tokens[0])), 0, 17, 0x2000) },
  { link: 1, bytes: ethernet(v4(50020, stun(tokens[0])), [10, 20]) },
  { link: 1, bytes: ethernet(v6(0, Buffer.concat([options(17, tokens[1]), udp(50021, 443, media)]))) },
  { link: 113, bytes: sll(v4(50022, stun(tokens[2]))) },
  { link: 229, bytes: v6(17, udp(50023, 443, media)) },
];
const config = {
  keysets: { default: { keys: [key] } },
  services: [{ name: 'low-latency', id: 1, dscp: 46, mark: 16 }, { name: 'fleet', id: 7, dscp: 10, mark: 17, allow: true }],
  gateway: {
    wash: { dscp: [46], to: 0 },
    allowlist: ['10.0.5.0/24'],
    flows: { capacity: CAPACITY, idle_timeout: 30 },
    rate_limit: { per_second: 1e6, burst: 1e6, per_source_per_second: 1e6, per_source_burst: 1e6 },
    tagging: [{ source: '2001:db8:1::/64', proto: 'udp', port: 443, token: tokens[1].toString('hex'), carrier: 'dstopts', per_packet: true }],
  },
};

/** xorshift32: deterministic, so a failure can be replayed with its seed. */
function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}
const INTERESTING = [0, 1, 2, 4, 7, 8, 0x11, 0x1f, 0x2b, 0x2c, 0x3a, 0x3b, 0x3c, 0x40, 0x45, 0x60, 0x7f, 0x80, 0x81, 0xfe, 0xff];

function mutate(r: (n: number) => number, seed: Seed): Seed {
  let b = Buffer.from(seed.bytes);
  let link = seed.link;
  const rounds = 1 + r(4);
  for (let k = 0; k < rounds; k++) {
    switch (r(8)) {
      case 0: case 1: if (b.length) b[r(b.length)] ^= 1 << r(8); break;
      case 2: case 3: if (b.length) b[r(b.length)] = INTERESTING[r(INTERESTING.length)]; break;
      case 4: b = b.subarray(0, r(b.length + 1)); break;
      case 5: b = Buffer.concat([b, Buffer.from(Array.from({ length: 1 + r(64) }, () => r(256)))]); break;
      case 6: { // a chunk of another seed spliced in
        const o = seeds[r(seeds.length)].bytes;
        const at = r(b.length + 1);
        const from = r(o.length);
        b = Buffer.concat([b.subarray(0, at), o.subarray(from, from + 1 + r(48)), b.subarray(at)]);
        break;
      }
      default: if (r(16) === 0) link = [1, 101, 113, 228, 229, 276, 0, 42][r(8)];
    }
  }
  return { link, bytes: b };
}

describe(`packet fuzz: ${PACKETS.toLocaleString('en')} packets through ntok.wasm (seed ${SEED})`, { timeout: 600_000 }, () => {
  it('never traps, always gives a well-formed verdict, never marks a flow without a valid token', async () => {
    const g = await Gateway.open(config);
    const codes = g.core.resultCodes().length;
    const r = prng(SEED);
    // Per flow slot: did a packet of its current flow carry a valid token's authenticated bytes?
    const hadToken = new Uint8Array(CAPACITY);
    const seen = { marked: 0, badPacket: 0, dropped: 0, tagged: 0, byCode: new Map<number, number>() };
    for (let n = 0; n < PACKETS; n++) {
      const choice = r(16);
      const p: Seed = choice === 0
        ? { link: [1, 101, 113][r(3)], bytes: Buffer.from(Array.from({ length: r(200) }, () => r(256))) }
        : choice === 1 ? seeds[r(seeds.length)] : mutate(r, seeds[r(seeds.length)]);
      let v;
      try {
        v = g.process(p.bytes, { link: p.link, now: NOW + n / 1000, direction: r(3) });
      } catch (e) {
        assert.fail(`packet ${n} (link ${p.link}) ${p.bytes.toString('hex')}: ${(e as Error).message}`);
      }
      const where = () => `packet ${n} (link ${p.link}) ${p.bytes.toString('hex')}: ${JSON.stringify(v)}`;
      if (!(v.code >= 0 && v.code < codes) || !(v.dscp >= -1 && v.dscp <= 63) || !(v.flow >= -1 && v.flow < CAPACITY) ||
        !(v.service >= 0 && v.service <= 2) || !(v.length >= 0 && v.length <= 65536) || (v.flags & ~63) !== 0) {
        assert.fail(`malformed verdict for ${where()}`);
      }
      seen.byCode.set(v.code, (seen.byCode.get(v.code) ?? 0) + 1);
      if (v.flow >= 0) {
        if ((v.flags & VERDICT.NEW_FLOW) !== 0) hadToken[v.flow] = 0;
        if (authenticated.some((a) => p.bytes.includes(a))) hadToken[v.flow] = 1;
        if (v.service !== 0 || v.mark === 16 || v.mark === 17) {
          if (!hadToken[v.flow]) assert.fail(`flow marked without a valid token: ${where()}`);
          seen.marked++;
        }
      } else if (v.service !== 0 || v.code === 0) assert.fail(`a packet outside any flow decided: ${where()}`);
      if (v.code === 26 /* bad-packet */) {
        seen.badPacket++;
        if (v.length !== p.bytes.length || !Buffer.from(g.packet()).equals(p.bytes)) assert.fail(`a malformed packet was changed: ${where()}`);
      }
      if (v.drop) seen.dropped++;
      if ((v.flags & VERDICT.TAGGED) !== 0) seen.tagged++;
    }
    const status = g.status();
    assert.equal(status.packets, PACKETS);
    assert.ok(status.flows.active <= CAPACITY);
    // The run reached the interesting paths, not only the parser's first check.
    assert.ok(seen.marked > PACKETS / 100, `only ${seen.marked} marked packets`);
    assert.ok(seen.badPacket > PACKETS / 100, `only ${seen.badPacket} bad packets`);
    assert.ok(seen.tagged > 0, 'no packet was tagged');
    assert.ok(status.verifications > 1000, `only ${status.verifications} verifications`);
    for (const code of [0, 7, 10, 26, 27, 28, 31]) assert.ok(seen.byCode.has(code), `code ${g.resultName(code)} never seen`);
    // Afterwards the same instance still decides a fresh flow correctly.
    const after = g.process(ipv4(PHONE, SERVER, udp(60000, 3478, stun(tokens[0]))), { link: 101, now: NOW + PACKETS / 1000 + 1 });
    assert.equal(g.resultName(after.code), 'ok');
    assert.equal(after.dscp, 46);
  });
});
