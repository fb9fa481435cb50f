/**
 * IP text to bytes for the `bip` claim: "192.0.2.7" → 4 bytes,
 * "2001:db8::1" → 16 bytes (RFC 4291 §2.2 text forms, including "::" and a
 * trailing dotted quad), with an optional "/prefix" (RFC 4632 §3.1).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { IssuerError } from './errors.js';

export interface IpBinding {
  /** 4 or 16 bytes: the address as written (host bits are kept). */
  address: Uint8Array;
  prefix?: number;
}

export function parseIpBinding(text: string): IpBinding {
  const fail = (why: string): never => {
    throw new IssuerError('ERR_ISSUER_CLAIM_INVALID', `bip ${JSON.stringify(text)}: ${why}`);
  };
  if (typeof text !== 'string') fail('must be IP text');
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  let address: Uint8Array;
  if (isIPv4(addressText)) address = parseIPv4(addressText);
  else if (isIPv6(addressText) && !addressText.includes('%')) address = parseIPv6(addressText);
  else return fail('not an IPv4 or IPv6 address');
  if (slash < 0) return { address };
  const prefixText = text.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > address.length * 8) {
    fail(`prefix length must be 0..${address.length * 8}`);
  }
  return { address, prefix };
}

function parseIPv4(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map((part) => Number(part)));
}

function parseIPv6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  const [headText, tailText] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const words: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const v4 = parseIPv4(g);
        words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        words.push(parseInt(g, 16));
      }
    }
    return words;
  };
  const head = groups(headText);
  const tail = tailText === undefined ? [] : groups(tailText);
  const words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}
