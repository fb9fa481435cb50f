// AES-CCM (RFC 3610), composed from the AES block function of @noble/ciphers,
// which has no CCM of its own. This is the only construction ntok writes itself;
// everything else comes from @noble/* or node:crypto.
//
// The block function is `unsafe.encrypt` of @noble/ciphers 2.4.0 (pinned in
// package.json), which noble marks as internal and subject to change. The public
// modes (ecb, cbc, ctr) expand the key again on every call; `unsafe.expandKeyLE`
// lets a key be expanded once, and `unsafe.encrypt` works on four words, so no
// typed-array view is made per block (`unsafe.encryptBlock` makes one: 420 ns per
// block against 255 here). The RFC 3610 vectors in test/unit/ccm.test.ts catch a
// change of behaviour on an upgrade.
import { unsafe } from '@noble/ciphers/aes.js';

const BLOCK = 16;

/** An AES key expanded once (FIPS 197 §5.2) for any number of CCM messages. */
export class CcmKey {
  /** Round keys in noble's little-endian word order. */
  readonly roundKeys: Uint32Array;

  constructor(key: Uint8Array) {
    if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
      throw new Error(`CCM key must be 16, 24 or 32 bytes, got ${key.length}`);
    }
    this.roundKeys = unsafe.expandKeyLE(key);
  }
}

/** Encrypts and authenticates; returns ciphertext ‖ tag (RFC 3610 §2.3). */
export function ccmEncrypt(
  key: Uint8Array | CcmKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  tagLen: number,
): Uint8Array {
  const xk = roundKeys(key);
  const L = checkParams(nonce, aad, plaintext.length, tagLen);
  const out = new Uint8Array(plaintext.length + tagLen);
  const tag = cbcMac(xk, nonce, L, aad, plaintext, tagLen);
  const s0 = ctr(xk, nonce, L, plaintext, out);
  for (let i = 0; i < tagLen; i++) out[plaintext.length + i] = tag[i] ^ s0[i];
  return out;
}

/**
 * Decrypts and checks the tag (RFC 3610 §2.5); returns the plaintext, or null
 * when the tag does not match or the input is shorter than the tag.
 */
export function ccmDecrypt(
  key: Uint8Array | CcmKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertextWithTag: Uint8Array,
  tagLen: number,
): Uint8Array | null {
  const xk = roundKeys(key);
  const ctLen = ciphertextWithTag.length - tagLen;
  const L = checkParams(nonce, aad, Math.max(ctLen, 0), tagLen);
  if (ctLen < 0) return null;
  const plaintext = new Uint8Array(ctLen);
  const s0 = ctr(xk, nonce, L, ciphertextWithTag.subarray(0, ctLen), plaintext);
  const tag = cbcMac(xk, nonce, L, aad, plaintext, tagLen);
  // Constant-time comparison: the time taken must not reveal where the tags differ.
  let diff = 0;
  for (let i = 0; i < tagLen; i++) diff |= tag[i] ^ s0[i] ^ ciphertextWithTag[ctLen + i];
  if (diff !== 0) {
    // §2.5: on failure, release nothing of the decrypted message.
    plaintext.fill(0);
    return null;
  }
  return plaintext;
}

function roundKeys(key: Uint8Array | CcmKey): Uint32Array {
  return (key instanceof CcmKey ? key : new CcmKey(key)).roundKeys;
}

/** Validates the RFC 3610 §2 parameters and returns L, the size of the length field. */
function checkParams(nonce: Uint8Array, aad: Uint8Array, msgLen: number, tagLen: number): number {
  // §2: 15 - L bytes of nonce with 2 <= L <= 8.
  if (nonce.length < 7 || nonce.length > 13) {
    throw new Error(`CCM nonce must be 7 to 13 bytes, got ${nonce.length}`);
  }
  // §2: M is one of 4, 6, 8, 10, 12, 14, 16.
  if (!Number.isInteger(tagLen) || tagLen < 4 || tagLen > 16 || tagLen % 2 !== 0) {
    throw new Error(`CCM tag length must be 4, 6, ..., 16 bytes, got ${tagLen}`);
  }
  const L = 15 - nonce.length;
  // §2.1: l(m) must fit in L bytes. 2**(8L) exceeds any JS array length from L = 7 on.
  if (L < 7 && msgLen >= 2 ** (8 * L)) {
    throw new Error(`CCM message of ${msgLen} bytes is too long for a ${nonce.length}-byte nonce`);
  }
  if (aad.length >= 2 ** 32) throw new Error(`CCM aad of ${aad.length} bytes is too long`);
  return L;
}

/** The authentication field T of RFC 3610 §2.2 (first tagLen bytes of the result). */
function cbcMac(
  xk: Uint32Array,
  nonce: Uint8Array,
  L: number,
  aad: Uint8Array,
  msg: Uint8Array,
  tagLen: number,
): Uint8Array {
  // B_0 = Flags ‖ Nonce ‖ l(m); Flags = Adata·64 + M'·8 + L' with M' = (M-2)/2, L' = L-1.
  const x = new Uint8Array(BLOCK);
  x[0] = (aad.length > 0 ? 0x40 : 0) | (((tagLen - 2) / 2) << 3) | (L - 1);
  x.set(nonce, 1);
  putBE(x, BLOCK - L, L, msg.length);
  encryptBlock(xk, x);
  if (aad.length > 0) {
    // §2.2: l(a) is encoded in 2 bytes below 2^16 - 2^8, else as 0xff 0xfe ‖ 4 bytes
    // (checkParams refuses 2^32 and more, which would need 0xff 0xff ‖ 8 bytes).
    let pos: number;
    if (aad.length < 0xff00) {
      pos = xorBE(x, 0, 2, aad.length);
    } else {
      x[0] ^= 0xff;
      x[1] ^= 0xfe;
      pos = xorBE(x, 2, 4, aad.length);
    }
    // The encoded l(a) ‖ a is zero-padded to whole blocks, as is m.
    if (absorb(xk, x, aad, pos) > 0) encryptBlock(xk, x);
  }
  if (absorb(xk, x, msg, 0) > 0) encryptBlock(xk, x);
  return x;
}

/** XORs data into the CBC-MAC state from byte `pos` on; returns the fill of the last block. */
function absorb(xk: Uint32Array, x: Uint8Array, data: Uint8Array, pos: number): number {
  for (let i = 0; i < data.length; i++) {
    x[pos++] ^= data[i];
    if (pos === BLOCK) {
      encryptBlock(xk, x);
      pos = 0;
    }
  }
  return pos;
}

/**
 * Counter-mode encryption of §2.3: dst = src XOR S_1 ‖ S_2 ‖ ...; returns S_0,
 * which encrypts the tag.
 */
function ctr(xk: Uint32Array, nonce: Uint8Array, L: number, src: Uint8Array, dst: Uint8Array): Uint8Array {
  // A_i = Flags ‖ Nonce ‖ Counter i, Flags = L' = L-1.
  const a = new Uint8Array(BLOCK);
  a[0] = L - 1;
  a.set(nonce, 1);
  const s0 = a.slice();
  encryptBlock(xk, s0);
  const s = new Uint8Array(BLOCK);
  for (let off = 0; off < src.length; off += BLOCK) {
    // Increment the L-byte counter. checkParams bounds the message below 2^(8L)
    // bytes, so the counter never carries into the nonce.
    for (let j = BLOCK - 1; j >= BLOCK - L; j--) {
      a[j] = (a[j] + 1) & 0xff;
      if (a[j] !== 0) break;
    }
    s.set(a);
    encryptBlock(xk, s);
    const n = Math.min(BLOCK, src.length - off);
    for (let i = 0; i < n; i++) dst[off + i] = src[off + i] ^ s[i];
  }
  return s0;
}

/**
 * AES-encrypts a 16-byte block in place. Words are packed little-endian by hand,
 * as noble's word order expects, so this works on any host byte order.
 */
function encryptBlock(xk: Uint32Array, b: Uint8Array): void {
  const r = unsafe.encrypt(xk, le32(b, 0), le32(b, 4), le32(b, 8), le32(b, 12));
  put32(b, 0, r.s0);
  put32(b, 4, r.s1);
  put32(b, 8, r.s2);
  put32(b, 12, r.s3);
}

function le32(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
}

function put32(b: Uint8Array, o: number, w: number): void {
  b[o] = w;
  b[o + 1] = w >>> 8;
  b[o + 2] = w >>> 16;
  b[o + 3] = w >>> 24;
}

/** Writes `value` big-endian into b[o .. o+n). */
function putBE(b: Uint8Array, o: number, n: number, value: number): void {
  for (let i = o + n - 1; i >= o; i--, value = Math.floor(value / 256)) b[i] = value % 256;
}

/** XORs `value` big-endian into b[o .. o+n); returns o + n. */
function xorBE(b: Uint8Array, o: number, n: number, value: number): number {
  for (let i = o + n - 1; i >= o; i--, value = Math.floor(value / 256)) b[i] ^= value % 256;
  return o + n;
}
