/**
 * Deterministically encoded CBOR (RFC 8949 §4.2.1) for the issuer.
 *
 * cbor-x has no canonical mode, and measured against §4.2.1 (1.6.9):
 * - text strings, byte strings, simple values and integers in
 *   (-2^32, 2^32) come out in their shortest form: those leaves are
 *   encoded by cbor-x;
 * - JS numbers with |n| >= 2^32 become float64, bigints always take the
 *   8-byte form, and every non-integer becomes float64 (no float16/32);
 * - map entries keep insertion order.
 * So containers, tags, large integers and floats are written here: heads
 * in their shortest form (§4.2.1 "preferred serialization"), floats as the
 * shortest of float16/32/64 that keeps the value exact (§4.2.2), and map
 * entries sorted bytewise by their encoded keys (§4.2.1).
 */
import { Encoder, Tag } from 'cbor-x';
import { concatBytes } from './bytes.js';
import { IssuerError } from './errors.js';

export { Tag };

export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | Tag
  | readonly CborValue[]
  | ReadonlyMap<CborValue, CborValue>
  | { readonly [key: string]: CborValue };

const leafEncoder = new Encoder({
  useRecords: false,
  mapsAsObjects: false,
  tagUint8Array: false,
  variableMapSize: true,
});

const TWO_32 = 2 ** 32;
const UINT64_MAX = (1n << 64n) - 1n;

/** Major types of RFC 8949 §3.1. */
export const Major = {
  Uint: 0,
  Nint: 1,
  Bytes: 2,
  Text: 3,
  Array: 4,
  Map: 5,
  Tag: 6,
  Simple: 7,
} as const;

/** The initial byte and argument of a data item, shortest form (RFC 8949 §3, §4.2.1). */
export function cborHead(major: number, argument: number | bigint): Uint8Array {
  const n = BigInt(argument);
  if (n < 0n || n > UINT64_MAX) {
    throw new IssuerError('ERR_ISSUER_CBOR_UNSUPPORTED', `CBOR argument ${n} is outside 0..2^64-1`);
  }
  const mt = major << 5;
  if (n < 24n) return Uint8Array.of(mt | Number(n));
  if (n < 0x100n) return Uint8Array.of(mt | 24, Number(n));
  if (n < 0x10000n) return Uint8Array.of(mt | 25, Number(n >> 8n), Number(n & 0xffn));
  const wide = n < 0x1_0000_0000n;
  const out = new Uint8Array(wide ? 5 : 9);
  const view = new DataView(out.buffer);
  if (wide) {
    out[0] = mt | 26;
    view.setUint32(1, Number(n));
  } else {
    out[0] = mt | 27;
    view.setBigUint64(1, n);
  }
  return out;
}

/** Encode `value` deterministically. Plain objects encode as maps with text keys. */
export function encodeCbor(value: CborValue): Uint8Array {
  switch (typeof value) {
    case 'number':
      return encodeNumber(value);
    case 'bigint':
      return encodeInteger(value);
    case 'string':
    case 'boolean':
    case 'undefined':
      return encodeLeaf(value);
    case 'object':
      break;
    default:
      throw new IssuerError('ERR_ISSUER_CBOR_UNSUPPORTED', `cannot encode a ${typeof value} as CBOR`);
  }
  if (value === null || value instanceof Uint8Array) return encodeLeaf(value);
  if (value instanceof Tag) {
    if (!Number.isSafeInteger(value.tag) || value.tag < 0) {
      throw new IssuerError('ERR_ISSUER_CBOR_UNSUPPORTED', `CBOR tag number ${value.tag} is not a uint`);
    }
    return concatBytes(cborHead(Major.Tag, value.tag), encodeCbor(value.value as CborValue));
  }
  if (Array.isArray(value)) {
    return concatBytes(cborHead(Major.Array, value.length), ...value.map((v: CborValue) => encodeCbor(v)));
  }
  if (value instanceof Map) return encodeMap([...value.entries()]);
  if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    return encodeMap(Object.entries(value as Record<string, CborValue>));
  }
  throw new IssuerError(
    'ERR_ISSUER_CBOR_UNSUPPORTED',
    `cannot encode a ${(value as object).constructor?.name ?? 'object'} as CBOR`,
  );
}

function encodeLeaf(value: string | boolean | null | undefined | Uint8Array | number): Uint8Array {
  // Copy out of cbor-x's shared output buffer.
  return new Uint8Array(leafEncoder.encode(value));
}

function encodeNumber(value: number): Uint8Array {
  // -0 is an integer to JS; it is written as 0 (NumericDates have no sign of zero).
  if (Number.isInteger(value)) {
    if (value > -TWO_32 && value < TWO_32) return encodeLeaf(value === 0 ? 0 : value);
    // Every integer-valued double is exact as a bigint; beyond 64 bits it can only be a float.
    const big = BigInt(value);
    if (big <= UINT64_MAX && big >= -UINT64_MAX - 1n) return encodeInteger(big);
  }
  return encodeFloat(value);
}

function encodeInteger(value: bigint): Uint8Array {
  if (value > UINT64_MAX || value < -UINT64_MAX - 1n) {
    throw new IssuerError('ERR_ISSUER_CBOR_UNSUPPORTED', `integer ${value} does not fit CBOR's 64-bit argument`);
  }
  return value >= 0n ? cborHead(Major.Uint, value) : cborHead(Major.Nint, -1n - value);
}

/** Shortest of float16/32/64 that represents `value` exactly (RFC 8949 §4.2.2). */
function encodeFloat(value: number): Uint8Array {
  if (Number.isNaN(value)) return Uint8Array.of(0xf9, 0x7e, 0x00);
  const half = toFloat16Bits(value);
  if (half !== undefined) return Uint8Array.of(0xf9, half >> 8, half & 0xff);
  if (Math.fround(value) === value) {
    const out = new Uint8Array(5);
    out[0] = 0xfa;
    new DataView(out.buffer).setFloat32(1, value);
    return out;
  }
  const out = new Uint8Array(9);
  out[0] = 0xfb;
  new DataView(out.buffer).setFloat64(1, value);
  return out;
}

/** IEEE 754 binary16 bits of `value` when the conversion is exact, else undefined. */
function toFloat16Bits(value: number): number | undefined {
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  if (a === Infinity) return sign | 0x7c00;
  if (a === 0) return sign;
  if (a < 2 ** -14) {
    // Subnormal: a = m * 2^-24 with m < 1024.
    const m = a * 2 ** 24;
    return Number.isInteger(m) ? sign | m : undefined;
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  if (e > 15) return undefined;
  const m = a * 2 ** (10 - e); // in [1024, 2048)
  if (!Number.isInteger(m)) return undefined;
  return sign | ((e + 15) << 10) | (m - 1024);
}

function encodeMap(entries: Array<readonly [CborValue, CborValue]>): Uint8Array {
  const encoded = entries.map(([k, v]) => ({ key: encodeCbor(k), value: v }));
  encoded.sort((x, y) => compareBytes(x.key, y.key));
  for (let i = 1; i < encoded.length; i++) {
    if (compareBytes(encoded[i - 1].key, encoded[i].key) === 0) {
      throw new IssuerError('ERR_ISSUER_CBOR_UNSUPPORTED', 'duplicate map key (RFC 8949 §5.6)');
    }
  }
  const parts: Uint8Array[] = [cborHead(Major.Map, encoded.length)];
  for (const { key, value } of encoded) parts.push(key, encodeCbor(value));
  return concatBytes(...parts);
}

/** Bytewise lexicographic order of encoded keys (RFC 8949 §4.2.1). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
