/**
 * ntf entries from the fields of its control API, checked one by one.
 *
 * The fields are those of the NTF module's commands (Network-Tokens/ntf
 * protobuf/ntf_msg.proto, NTFEntryCreateArg / NTFEntryModifyArg /
 * NTFEntryDeleteArg): `token` {`token_type`, `encryption_key`,
 * `blacklist`}, `dscp`, `rule_id`. Earlier versions of that file named the
 * token type `app_id` / `appid` and had `dpid` and `entry_id`; those are
 * read too (the ids are the table's, ntok has one). As protobuf's JSON
 * mapping does, a JSON entry may spell a field in lowerCamelCase
 * (`tokenType`) and give an integer as a decimal string (uint64 values
 * such as blacklisted ids are strings in proto3 JSON); a bessctl script
 * passes Python values, which must have the field's type.
 */
import { NtfImportError } from './errors.js';
import { describe, type DictLit, type Literal } from './literal.js';
import { readEncryptionKey, type NtfKey } from './key.js';
import type { NtfCommand } from './bessctl.js';

export interface NtfEntry {
  /** The descriptor id tokens of this entry carry in their header (28 bits). */
  tokenType: number;
  key: NtfKey;
  /** Token ids (nti) the entry refuses; the reference stored them (and never checked them). */
  blacklist: bigint[];
  /** As given: the TOS byte the reference wrote (dscp.ts says what it means). */
  dscp?: bigint;
  ruleId?: number;
  /** Where it was defined: "ntf.entry_create" or "entry 2", with its line. */
  origin: string;
  line: number;
}

export interface NtfOperation {
  command: NtfCommand;
  tokenType: number;
  /** create and modify: the whole entry (modify replaces it, as the reference did). */
  entry?: NtfEntry;
  origin: string;
  line: number;
}

/** Accepted spellings of each field, the control API's own name first. */
const ENTRY_FIELDS: Record<string, string[]> = {
  token: ['token'],
  dscp: ['dscp'],
  rule_id: ['rule_id', 'ruleId'],
  dpid: ['dpid'],
  entry_id: ['entry_id', 'entryId'],
};
const TOKEN_FIELDS: Record<string, string[]> = {
  token_type: ['token_type', 'tokenType', 'app_id', 'appId', 'appid'],
  encryption_key: ['encryption_key', 'encryptionKey'],
  blacklist: ['blacklist'],
};
const DELETE_FIELDS: Record<string, string[]> = {
  token_type: ['token_type', 'tokenType', 'app_id', 'appId', 'appid'],
  dpid: ['dpid'],
};

const UINT32_MAX = 0xffffffffn;
const UINT64_MAX = 0xffffffffffffffffn;
/** The reference compared an entry's token type with a header's low 28 bits (utils/ntf_context.cc). */
const DESCRIPTOR_MAX = 0x0fffffffn;

export type Dialect = 'python' | 'json';

class Fields {
  private readonly values = new Map<string, Literal>();

  constructor(
    dict: DictLit,
    spellings: Record<string, string[]>,
    private readonly where: string,
    private readonly prefix: string,
    private readonly dialect: Dialect,
  ) {
    const canonical = new Map<string, string>();
    for (const [name, names] of Object.entries(spellings)) for (const n of names) canonical.set(n, name);
    const from = new Map<string, string>();
    for (const m of dict.members) {
      const name = canonical.get(m.key);
      if (name === undefined) {
        const known = Object.values(spellings).map((n) => n[0]).join(', ');
        throw new NtfImportError('ERR_NTF_FIELD', `${where}: ${prefix}${m.key} is not a field of the control API (${known})`, m.keyLine);
      }
      if (from.has(name)) {
        throw new NtfImportError('ERR_NTF_FIELD', `${where}: ${prefix}${m.key} and ${prefix}${from.get(name)} are the same field`, m.keyLine);
      }
      from.set(name, m.key);
      this.values.set(name, m.value);
    }
  }

  get(name: string): Literal | undefined {
    const v = this.values.get(name);
    return v?.kind === 'none' ? undefined : v; // proto3: null is the field left unset
  }

  fail(name: string, problem: string, line: number): never {
    throw new NtfImportError('ERR_NTF_FIELD', `${this.where}: ${this.prefix}${name}: ${problem}`, line);
  }

  /** An unsigned integer field up to `max`. */
  uint(name: string, max: bigint, what = `an unsigned integer (0..${max})`): bigint | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    let n: bigint;
    if (v.kind === 'int') n = v.value;
    else if (v.kind === 'str' && this.dialect === 'json' && /^-?(0|[1-9][0-9]*)$/.test(v.value)) n = BigInt(v.value);
    else return this.fail(name, `must be ${what}, not ${describe(v)}${v.kind === 'str' && this.dialect === 'python' ? ' (a bessctl script passes the number itself)' : ''}`, v.line);
    if (n < 0n || n > max) this.fail(name, `${n} is out of range: ${what}`, v.line);
    return n;
  }

  string(name: string): { value: string; line: number } | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (v.kind !== 'str') this.fail(name, `must be a string, not ${describe(v)}`, v.line);
    return { value: v.value, line: v.line };
  }

  dict(name: string): DictLit | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (v.kind !== 'dict') this.fail(name, `must be a dict (the UserCentricNetworkToken message), not ${describe(v)}`, v.line);
    return v;
  }

  list(name: string): Literal[] | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (v.kind !== 'list') this.fail(name, `must be a list, not ${describe(v)}`, v.line);
    return v.items;
  }

  /** The token type: required, 1..0x0FFFFFFF. */
  tokenType(line: number): number {
    const t = this.uint('token_type', UINT32_MAX, 'a uint32');
    if (t === undefined) this.fail('token_type', 'is missing (the descriptor id its tokens carry, e.g. 0xB00F)', line);
    if (t === 0n) this.fail('token_type', 'is 0, which the reference reserved for "no application" and no token names', this.get('token_type')!.line);
    if (t > DESCRIPTOR_MAX) {
      this.fail('token_type', `0x${t.toString(16)} does not fit the 28 bits of a token header's descriptor id, which the reference compared it with: no token can name it`, this.get('token_type')!.line);
    }
    return Number(t);
  }
}

/** One command's fields as an operation on the entry table. */
export function readOperation(command: NtfCommand, args: DictLit, origin: string, line: number, dialect: Dialect): NtfOperation {
  if (command === 'entry_delete') {
    const f: Fields = new Fields(args, DELETE_FIELDS, origin, '', dialect);
    f.uint('dpid', UINT32_MAX);
    return { command, tokenType: f.tokenType(line), origin, line };
  }
  const f: Fields = new Fields(args, ENTRY_FIELDS, origin, '', dialect);
  f.uint('dpid', UINT32_MAX);
  f.uint('entry_id', UINT32_MAX);
  const dscp = f.uint('dscp', UINT32_MAX, 'a uint32');
  const ruleId = f.uint('rule_id', UINT32_MAX, 'a uint32');
  const tokenDict = f.dict('token');
  if (tokenDict === undefined) f.fail('token', 'is missing (token_type, encryption_key)', line);
  const t: Fields = new Fields(tokenDict, TOKEN_FIELDS, origin, 'token.', dialect);
  const tokenType = t.tokenType(tokenDict.line);
  const keyText = t.string('encryption_key');
  if (keyText === undefined) t.fail('encryption_key', 'is missing (a JWK as a JSON string)', tokenDict.line);
  const key = readEncryptionKey(keyText.value, `${origin}: token.encryption_key`, keyText.line);
  const blacklist = (t.list('blacklist') ?? []).map((item): bigint => {
    let n: bigint | undefined;
    if (item.kind === 'int') n = item.value;
    else if (item.kind === 'str' && dialect === 'json' && /^(0|[1-9][0-9]*)$/.test(item.value)) n = BigInt(item.value);
    if (n === undefined || n < 0n || n > UINT64_MAX) t.fail('blacklist', `every item must be a uint64 token id, not ${describe(item)}`, item.line);
    return n;
  });
  const entry: NtfEntry = { tokenType, key, blacklist, dscp, ruleId: ruleId === undefined ? undefined : Number(ruleId), origin, line };
  return { command, tokenType, entry, origin, line };
}

const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * The entry table after the operations, in order, as the reference's
 * control API would have left it; an operation it would have refused is
 * refused here (a bessctl script stops at the first failed command).
 */
export function applyOperations(ops: NtfOperation[]): NtfEntry[] {
  const table = new Map<number, NtfEntry>();
  for (const op of ops) {
    const existing = table.get(op.tokenType);
    const at = (e: NtfEntry) => `${e.origin} at line ${e.line}`;
    if (op.command === 'entry_create') {
      if (existing) {
        throw new NtfImportError('ERR_NTF_CONFLICT', `${op.origin}: token type ${hex(op.tokenType)} already has an entry (${at(existing)}); the reference refuses a second entry_create for it (entry_modify changes one)`, op.line);
      }
      table.set(op.tokenType, op.entry!);
    } else if (op.command === 'entry_modify') {
      if (!existing) throw new NtfImportError('ERR_NTF_CONFLICT', `${op.origin}: token type ${hex(op.tokenType)} has no entry to modify; the reference refuses that (entry_create makes one)`, op.line);
      table.set(op.tokenType, op.entry!); // a Map keeps the key's first position
    } else {
      if (!existing) throw new NtfImportError('ERR_NTF_CONFLICT', `${op.origin}: token type ${hex(op.tokenType)} has no entry to delete; the reference refuses that`, op.line);
      table.delete(op.tokenType);
    }
  }
  return [...table.values()];
}
