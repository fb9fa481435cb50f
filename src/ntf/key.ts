/**
 * An ntf entry's `encryption_key`: a JWK as a JSON string, which the
 * reference handed to cjose (Network-Tokens/ntf utils/ntf_context.cc,
 * `cjose_jwk_import`) and used to decrypt JWE `dir` tokens whatever `enc`
 * their header named. ntok binds a key to one algorithm, so the key becomes
 * one ntok JWK per content encryption it can serve: the one its `alg` names,
 * or without `alg` every one its length fits (RFC 7518 §5.2.3, §5.2.5,
 * §5.3: 16 bytes A128GCM; 32 A128CBC-HS256 and A256GCM; 64 A256CBC-HS512).
 */
import type { JoseEnc } from '../issuer/index.js';
import { readJson, type Literal } from './literal.js';
import { NtfImportError } from './errors.js';

export interface NtfKey {
  /** The key bytes, canonical base64url (no padding). */
  k: string;
  bytes: number;
  /** The content encryptions this key decrypts in ntok, the first the one it names or its length's usual one. */
  encs: JoseEnc[];
  kid?: string;
  /** The JWK named its algorithm (else `encs` come from its length). */
  algNamed: boolean;
}

/** What each supported `enc` needs (RFC 7518 §5.2.3, §5.2.5, §5.3). */
const ENC_BYTES: Readonly<Record<JoseEnc, number>> = { 'A128CBC-HS256': 32, 'A256CBC-HS512': 64, A128GCM: 16, A256GCM: 32 };
/** By length, when the JWK names none: A128CBC-HS256 first, the reference deployment's enc. */
const ENCS_BY_BYTES: Readonly<Record<number, JoseEnc[]>> = { 16: ['A128GCM'], 32: ['A128CBC-HS256', 'A256GCM'], 64: ['A256CBC-HS512'] };
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The key of `text`, or an NtfImportError naming `where` (the field, e.g.
 * "ntf.entry_create: token.encryption_key") and `line`.
 */
export function readEncryptionKey(text: string, where: string, line: number): NtfKey {
  function bad(problem: string): never {
    throw new NtfImportError('ERR_NTF_FIELD', `${where}: ${problem}`, line);
  }
  let parsed: Literal;
  try {
    parsed = readJson(text);
  } catch (e) {
    bad(`not a JWK in JSON (${(e as Error).message.replace(/^line \d+: /, '')})`);
  }
  if (parsed.kind !== 'dict') bad('not a JWK: a JSON object is needed');
  const jwk = parsed;
  const member = (name: string): string | undefined => {
    const m = jwk.members.find((x) => x.key === name);
    if (m === undefined) return undefined;
    if (m.value.kind !== 'str') bad(`the JWK's ${name} must be a string`);
    return (m.value as { value: string }).value;
  };
  const kty = member('kty');
  if (kty !== 'oct') bad(`kty ${kty === undefined ? 'is missing' : JSON.stringify(kty)}: the reference decrypted JWE dir tokens, which take a symmetric key (kty "oct")`);
  const k = member('k');
  if (k === undefined || k === '') return bad('the JWK has no k');
  const unpadded = k.replace(/={1,2}$/, '');
  if (!BASE64URL.test(unpadded) || unpadded.length % 4 === 1) bad('k is not base64url');
  const raw = Buffer.from(unpadded, 'base64url');
  const alg = member('alg');
  let encs: JoseEnc[];
  if (alg === undefined || alg === 'dir') {
    encs = ENCS_BY_BYTES[raw.length];
    if (encs === undefined) bad(`a ${raw.length}-byte key fits no content encryption ntok verifies (A128GCM 16 bytes; A128CBC-HS256, A256GCM 32; A256CBC-HS512 64)`);
  } else {
    if (!Object.hasOwn(ENC_BYTES, alg)) bad(`alg ${JSON.stringify(alg)}: ntok verifies JWE dir with A128CBC-HS256, A256CBC-HS512, A128GCM or A256GCM`);
    const need = ENC_BYTES[alg as JoseEnc];
    if (raw.length !== need) bad(`an ${alg} key is ${need} bytes, this k is ${raw.length}`);
    encs = [alg as JoseEnc];
  }
  const kid = member('kid');
  return { k: raw.toString('base64url'), bytes: raw.length, encs, kid: kid === '' ? undefined : kid, algNamed: alg !== undefined && alg !== 'dir' };
}
