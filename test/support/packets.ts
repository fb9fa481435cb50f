/**
 * Packets built byte by byte for tests (RFC 791, 8200, 768, 9293, 8489):
 * IPv4 / IPv6 with options headers carrying a token (option 0x1F), UDP,
 * TCP, STUN requests with the token attribute 0x8030, Ethernet / Linux
 * cooked framing.
 */
export const ip4 = (s: string) => Buffer.from(s.split('.').map(Number));
export function ip6(s: string): Buffer {
  const [head, tail = ''] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const words = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(words.flatMap((w) => [parseInt(w, 16) >> 8, parseInt(w, 16) & 255]));
}
export function udp(sport: number, dport: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([b, payload]);
}
export function tcp(sport: number, dport: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b[12] = 5 << 4;
  b[13] = 0x18;
  return Buffer.concat([b, payload]);
}
export function ipv4(src: string, dst: string, l4: Buffer, tos = 0, proto = 17, fragment = 0): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h[1] = tos;
  h.writeUInt16BE(20 + l4.length, 2);
  h.writeUInt16BE(fragment, 6);
  h[8] = 64;
  h[9] = proto;
  ip4(src).copy(h, 12);
  ip4(dst).copy(h, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  h.writeUInt16BE(~sum & 0xffff, 10);
  return Buffer.concat([h, l4]);
}
export function ipv6(src: string, dst: string, next: number, payload: Buffer, tclass = 0): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(((6 << 28) | (tclass << 20)) >>> 0, 0);
  h.writeUInt16BE(payload.length, 4);
  h[6] = next;
  h[7] = 64;
  ip6(src).copy(h, 8);
  ip6(dst).copy(h, 24);
  return Buffer.concat([h, payload]);
}
/** An options header (Hop-by-Hop or Destination) with option 0x1F carrying `data`, padded to 8. */
export function options(next: number, data: Buffer): Buffer {
  let body = Buffer.concat([Buffer.from([0x1f, data.length]), data]);
  const total = Math.ceil((2 + body.length) / 8) * 8;
  const pad = total - 2 - body.length;
  if (pad === 1) body = Buffer.concat([body, Buffer.from([0])]);
  else if (pad > 1) body = Buffer.concat([body, Buffer.from([1, pad - 2]), Buffer.alloc(pad - 2)]);
  return Buffer.concat([Buffer.from([next, total / 8 - 1]), body]);
}
export function stun(token: Buffer | null, integrity = false): Buffer {
  const attrs: Buffer[] = [];
  const attr = (type: number, value: Buffer) => {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(type, 0);
    h.writeUInt16BE(value.length, 2);
    attrs.push(h, value, Buffer.alloc((4 - (value.length % 4)) % 4));
  };
  attr(0x0006, Buffer.from('alice:bob'));
  if (token) attr(0x8030, token);
  if (integrity) {
    attr(0x0008, Buffer.alloc(20, 0xab));
    attr(0x8028, Buffer.alloc(4, 0xcd));
  }
  const body = Buffer.concat(attrs);
  const h = Buffer.alloc(20);
  h.writeUInt16BE(0x0001, 0);
  h.writeUInt16BE(body.length, 2);
  h.writeUInt32BE(0x2112a442, 4);
  Buffer.from('0102030405060708090a0b0c', 'hex').copy(h, 8);
  return Buffer.concat([h, body]);
}
export function ethernet(ip: Buffer, vlans: number[] = []): Buffer {
  const parts: Buffer[] = [Buffer.from('020000000002020000000001', 'hex')];
  for (const id of vlans) parts.push(Buffer.from([0x81, 0x00, id >> 8, id & 255]));
  parts.push(Buffer.from(ip[0] >> 4 === 6 ? [0x86, 0xdd] : [0x08, 0x00]), ip);
  return Buffer.concat(parts);
}
export function sll(ip: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0, 0);
  h.writeUInt16BE(1, 2);
  h.writeUInt16BE(6, 4);
  h.writeUInt16BE(ip[0] >> 4 === 6 ? 0x86dd : 0x0800, 14);
  return Buffer.concat([h, ip]);
}

