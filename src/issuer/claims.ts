/**
 * The CWT Claims Set (RFC 8392 §3) of a network token: the registered
 * claims under their integer keys (§3.1, §9.1) and the network-token
 * claims of draft-yiakoumis-network-tokens under text keys (nti, bip,
 * srv, sid), encoded deterministically.
 */
import { hexToBytes } from './bytes.js';
import { encodeCbor, type CborValue } from './cbor.js';
import { IssuerError } from './errors.js';
import { parseIpBinding } from './ip.js';

export interface NetworkClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  /** NumericDate: integer seconds, or a fraction (encoded as the shortest exact float). */
  exp?: number | bigint;
  nbf?: number | bigint;
  iat?: number | bigint;
  /** bstr; a string is read as hex. */
  cti?: Uint8Array | string;
  /** Network token id: uint or bstr. */
  nti?: number | bigint | Uint8Array;
  /** Service: text or uint. */
  srv?: string | number;
  /** Service id (uint). */
  sid?: number;
  /** Bound IP: "192.0.2.7", or "2001:db8::/64" for a prefix binding. */
  bip?: string;
  /** Further claims, under text keys, encoded as given. */
  [extra: string]: unknown;
}

/** RFC 8392 §9.1 (CWT Claims registry). */
export const registeredClaimKeys = { iss: 1, sub: 2, aud: 3, exp: 4, nbf: 5, iat: 6, cti: 7 } as const;

const UINT64_MAX = (1n << 64n) - 1n;

function invalid(name: string, why: string): never {
  throw new IssuerError('ERR_ISSUER_CLAIM_INVALID', `claim ${name} ${why}`);
}

function text(name: string, v: unknown): string {
  if (typeof v !== 'string') invalid(name, 'must be a string');
  return v;
}

function numericDate(name: string, v: unknown): number | bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v !== 'number' || !Number.isFinite(v)) invalid(name, 'must be a finite NumericDate');
  return v;
}

function uint(name: string, v: unknown): number | bigint {
  if (typeof v === 'bigint' && v >= 0n && v <= UINT64_MAX) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  return invalid(name, 'must be an unsigned integer (up to 2^53-1 as a number, 2^64-1 as a bigint)');
}

function bstrOrHex(name: string, v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') {
    const bytes = hexToBytes(v);
    if (bytes) return bytes;
  }
  return invalid(name, 'must be a Uint8Array or a hex string');
}

/** The claims as a CBOR map (keys unsorted: the encoder sorts). */
export function claimsMap(claims: NetworkClaims): Map<CborValue, CborValue> {
  const map = new Map<CborValue, CborValue>();
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined) continue;
    switch (name) {
      case 'iss':
      case 'sub':
        map.set(registeredClaimKeys[name], text(name, value));
        break;
      case 'aud':
        if (Array.isArray(value)) map.set(3, value.map((a) => text(name, a)));
        else map.set(3, text(name, value));
        break;
      case 'exp':
      case 'nbf':
      case 'iat':
        map.set(registeredClaimKeys[name], numericDate(name, value));
        break;
      case 'cti':
        map.set(7, bstrOrHex(name, value));
        break;
      case 'nti':
        map.set('nti', value instanceof Uint8Array ? value : uint(name, value));
        break;
      case 'srv':
        map.set('srv', typeof value === 'string' ? value : uint(name, value));
        break;
      case 'sid':
        map.set('sid', uint(name, value));
        break;
      case 'bip': {
        const { address, prefix } = parseIpBinding(text(name, value));
        map.set('bip', prefix === undefined ? address : [address, prefix]);
        break;
      }
      default:
        map.set(name, value as CborValue);
    }
  }
  return map;
}

export function encodeClaims(claims: NetworkClaims): Uint8Array {
  return encodeCbor(claimsMap(claims));
}
