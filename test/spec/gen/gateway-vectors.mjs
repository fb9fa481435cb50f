// Writes test/spec/gateway-vectors.ts: real tokens (minted with the repo's
// issuer, a fixed HMAC key) inside packets built byte by byte, for the
// as-pect specs of the packet path. Run after `npm run build:ts`:
//   node test/spec/gen/gateway-vectors.mjs
import { writeFileSync } from 'node:fs';
import { mintToken } from '../../../dist/src/issuer/index.js';

const key = { kty: 'oct', kid: 'g', alg: 'HMAC 256/64', k: Buffer.alloc(32, 7).toString('base64url') };
const EXP = 2000000000;
const hex = (b) => Buffer.from(b).toString('hex');
const mint = (claims, opts = {}) => mintToken(claims, { key, ...opts });

const ip4 = (s) => Buffer.from(s.split('.').map(Number));
function ip6(s) {
  const [head, tail = ''] = s.split('::');
  const h = head ? head.split(':') : [], t = tail ? tail.split(':') : [];
  const words = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(words.flatMap((w) => { const n = parseInt(w, 16); return [n >> 8, n & 255]; }));
}
function udp(sport, dport, payload) {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(sport, 0); b.writeUInt16BE(dport, 2); b.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([b, payload]);
}
function ipv4(src, dst, l4, tos = 0, proto = 17) {
  const h = Buffer.alloc(20);
  h[0] = 0x45; h[1] = tos; h.writeUInt16BE(20 + l4.length, 2); h[8] = 64; h[9] = proto;
  ip4(src).copy(h, 12); ip4(dst).copy(h, 16);
  let sum = 0; for (let i = 0; i < 20; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  h.writeUInt16BE(~sum & 0xffff, 10);
  return Buffer.concat([h, l4]);
}
function ipv6(src, dst, next, payload, tclass = 0) {
  const h = Buffer.alloc(40);
  h.writeUInt32BE((6 << 28) | (tclass << 20), 0); h.writeUInt16BE(payload.length, 4); h[6] = next; h[7] = 64;
  ip6(src).copy(h, 8); ip6(dst).copy(h, 24);
  return Buffer.concat([h, payload]);
}
/** A Hop-by-Hop header with option 0x1F carrying `data`, padded to 8 (RFC 8200 §4.2). */
function hbh(next, data) {
  let body = Buffer.concat([Buffer.from([0x1f, data.length]), data]);
  const total = Math.ceil((2 + body.length) / 8) * 8;
  const pad = total - 2 - body.length;
  if (pad === 1) body = Buffer.concat([body, Buffer.from([0])]);
  else if (pad > 1) body = Buffer.concat([body, Buffer.from([1, pad - 2]), Buffer.alloc(pad - 2)]);
  return Buffer.concat([Buffer.from([next, total / 8 - 1]), body]);
}
/** A STUN Binding Request (RFC 8489) with the token attribute 0x8030. */
function stun(token) {
  const attrs = [];
  const attr = (type, value) => {
    const h = Buffer.alloc(4); h.writeUInt16BE(type, 0); h.writeUInt16BE(value.length, 2);
    attrs.push(h, value, Buffer.alloc((4 - (value.length % 4)) % 4));
  };
  attr(0x8022, Buffer.from('ntok-test'));
  if (token) attr(0x8030, Buffer.from(token));
  const body = Buffer.concat(attrs);
  const h = Buffer.alloc(20);
  h.writeUInt16BE(0x0001, 0); h.writeUInt16BE(body.length, 2); h.writeUInt32BE(0x2112a442, 4);
  Buffer.from('0102030405060708090a0b0c', 'hex').copy(h, 8);
  return Buffer.concat([h, body]);
}
const media = Buffer.alloc(160, 0x55);

const PHONE = '192.0.2.7', SERVER = '198.51.100.2', IOT = '10.0.5.9', OTHER = '192.0.2.99';
const good = mint({ exp: EXP, srv: 1, bip: PHONE, cti: 'c0ffee0000000001' });
// Tokens the gateway attaches for LAN devices that cannot (tagging rules).
const SENSOR6 = '2001:db8:5::9', SENSOR4 = '10.0.6.9';
const fleetTag6 = mint({ exp: EXP, srv: 7, bip: '2001:db8:5::/64' });
const fleetTag4 = mint({ exp: EXP, srv: 7, bip: SENSOR4 });
const vectors = {
  config: JSON.stringify({
    keysets: { default: { keys: [key] } },
    revoked: ['c0ffee00000000ff'],
  }),
  gateway: JSON.stringify({
    services: [
      { name: 'low-latency', id: 1, dscp: 46, mark: 16 },
      { name: 'fleet-x', id: 7, dscp: 10, mark: 17, allow: true },
    ],
    gateway: {
      marks: { no_token: 1, rejected: 2, washed: 3, not_allowed: 4 },
      wash: { dscp: [46], to: 0 },
      allowlist: ['10.0.5.0/24'],
      flows: { capacity: 64, idle_timeout: 60, seed: 1 },
      rate_limit: { per_second: 1000, burst: 1000, per_source_per_second: 100, per_source_burst: 3 },
      tagging: [
        { source: '2001:db8:5::/64', proto: 'udp', port: 5683, token: hex(fleetTag6), carrier: 'hbh', per_packet: true },
        { source: '2001:db8:5::/64', proto: 'udp', port: 5684, token: hex(fleetTag6), carrier: 'dstopts', per_packet: false },
        { source: '10.0.6.0/24', proto: 'udp', port: 3478, token: hex(fleetTag4), carrier: 'stun' },
      ],
    },
  }),
  stunGood: ipv4(PHONE, SERVER, udp(50000, 3478, stun(good)), 0x01 /* ECT(1) */),
  mediaUp: ipv4(PHONE, SERVER, udp(50000, 3478, media), 0x02 /* ECT(0) */),
  mediaDown: ipv4(SERVER, PHONE, udp(3478, 50000, media), 0x00),
  stunOtherSource: ipv4(OTHER, SERVER, udp(50001, 3478, stun(good))),
  stunForged: ipv4(PHONE, SERVER, udp(50002, 3478, stun(Buffer.from(good).map((b, i) => (i === good.length - 1 ? b ^ 1 : b))))),
  stunExpired: ipv4(PHONE, SERVER, udp(50003, 3478, stun(mint({ exp: 1700000000, srv: 1, bip: PHONE })))),
  stunRevoked: ipv4(PHONE, SERVER, udp(50004, 3478, stun(mint({ exp: EXP, srv: 1, bip: PHONE, cti: 'c0ffee00000000ff' })))),
  stunUnknownService: ipv4(PHONE, SERVER, udp(50005, 3478, stun(mint({ exp: EXP, srv: 99, bip: PHONE })))),
  stunNoExp: ipv4(PHONE, SERVER, udp(50006, 3478, stun(mint({ srv: 1, bip: PHONE })))),
  stunNoToken: ipv4(PHONE, SERVER, udp(50007, 3478, stun(null))),
  premarkedNoToken: ipv4(PHONE, SERVER, udp(50008, 5004, media), (46 << 2) | 1),
  iotNoToken: ipv4(IOT, SERVER, udp(40000, 5683, media)),
  iotFleet: ipv4(IOT, SERVER, udp(40001, 5683, stun(mint({ exp: EXP, srv: 7, bip: IOT })))),
  iotWrongService: ipv4(IOT, SERVER, udp(40002, 5683, stun(mint({ exp: EXP, srv: 1, bip: IOT })))),
  // IPv6: a token bound to the phone's /64 (privacy addresses) in a Hop-by-Hop option.
  v6Hbh: ipv6('2001:db8:1::abcd', '2001:db8:2::1', 0, Buffer.concat([hbh(17, mint({ exp: EXP, srv: 1, bip: '2001:db8:1::/64' })), udp(50010, 443, media)])),
  v6HbhOtherPrefix: ipv6('2001:db8:9::abcd', '2001:db8:2::1', 0, Buffer.concat([hbh(17, mint({ exp: EXP, srv: 1, bip: '2001:db8:1::/64' })), udp(50011, 443, media)])),
  // A reflected copy (type 2) returned by the peer: bound to the destination, the phone.
  stunReflected: ipv4(SERVER, PHONE, udp(3478, 50020, stun(mint({ exp: EXP, srv: 1, bip: PHONE }, { reflect: 2 })))),
  notIp: Buffer.from('ffffffffffff', 'hex'),
  // Behind NAT: a LAN host whose token is bound to the WAN address it is translated to.
  stunNatted: ipv4('192.168.1.10', SERVER, udp(50030, 3478, stun(mint({ exp: EXP, srv: 1, bip: '203.0.113.5', nti: 77 })))),
  sensor6: ipv6(SENSOR6, '2001:db8:2::1', 17, udp(40100, 5683, media)),
  sensor6Reply: ipv6('2001:db8:2::1', SENSOR6, 17, udp(5683, 40100, media)),
  sensor6PerFlow: ipv6(SENSOR6, '2001:db8:2::1', 17, udp(40101, 5684, media)),
  sensor6Big: ipv6(SENSOR6, '2001:db8:2::1', 17, udp(40102, 5683, Buffer.alloc(1440, 0x55))),
  sensor6OtherPort: ipv6(SENSOR6, '2001:db8:2::1', 17, udp(40103, 9999, media)),
  sensor4Stun: ipv4(SENSOR4, SERVER, udp(40200, 3478, stun(null))),
  sensor4Media: ipv4(SENSOR4, SERVER, udp(40200, 3478, media)),
  fleetTag6,
  fleetTag4,
  goodToken: good,
};
let out = '// Generated by test/spec/gen/gateway-vectors.mjs: do not edit by hand.\n';
for (const [name, v] of Object.entries(vectors)) out += `export const ${name} = ${typeof v === 'string' ? JSON.stringify(v) : `"${hex(v)}"`};\n`;
out += `export const EXP: f64 = ${EXP};\n`;
writeFileSync(new URL('../gateway-vectors.ts', import.meta.url), out);
console.log(`wrote ${Object.keys(vectors).length} vectors`);
