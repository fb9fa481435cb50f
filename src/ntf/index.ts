/**
 * `ntok import-ntf`: the entry definitions of the reference deployment
 * (Network-Tokens/ntf, a BESS plugin) as an ntok configuration. The input
 * is either JSON, the fields its control API takes for an entry (one object
 * or an array), or a bessctl configuration script whose NTF commands are
 * read as data (bessctl.ts). docs/config.md, "Importing an ntf
 * configuration".
 */
import { scanBessctl } from './bessctl.js';
import { configFromEntries, type ImportOptions, type ImportResult } from './config.js';
import { applyOperations, readOperation, type NtfOperation } from './entry.js';
import { NtfImportError } from './errors.js';
import { readJson } from './literal.js';

export { NtfImportError, type NtfImportErrorCode } from './errors.js';
export { importDscp, type DscpField, type ImportedDscp } from './dscp.js';
export { entryName, type ImportOptions, type ImportResult } from './config.js';
export type { NtfEntry } from './entry.js';
export type { NtfKey } from './key.js';

/** Larger inputs are refused before they are read (a real script is a few KB). */
export const MAX_INPUT_BYTES = 1 << 20;

export type NtfFormat = 'json' | 'bessctl';

/** JSON starts with an object or an array; anything else is read as a script. */
export function detectFormat(text: string): NtfFormat {
  return /^\uFEFF?\s*[[{]/.test(text) ? 'json' : 'bessctl';
}

function jsonOperations(text: string): NtfOperation[] {
  const doc = readJson(text);
  const items = doc.kind === 'list' ? doc.items : [doc];
  if (doc.kind === 'list' && items.length === 0) throw new NtfImportError('ERR_NTF_EMPTY', 'an empty array: no entry to import', doc.line);
  return items.map((item, i) => {
    const origin = doc.kind === 'list' ? `entry ${i + 1}` : 'the entry';
    if (item.kind !== 'dict') throw new NtfImportError('ERR_NTF_FIELD', `${origin}: an entry is an object (token, dscp, rule_id), not ${item.kind}`, item.line);
    return readOperation('entry_create', item, origin, item.line, 'json');
  });
}

function scriptOperations(text: string): NtfOperation[] {
  const calls = scanBessctl(text);
  if (calls.length === 0) throw new NtfImportError('ERR_NTF_EMPTY', 'no entry_create(...) call of an NTF module in the script');
  return calls.map((c) => readOperation(c.command, c.args, `${c.module || '...'}.${c.command}`, c.line, 'python'));
}

export function importNtf(text: string, options: ImportOptions & { format?: NtfFormat } = {}): ImportResult {
  if (text.length > MAX_INPUT_BYTES) throw new NtfImportError('ERR_NTF_LIMIT', `the input is larger than ${MAX_INPUT_BYTES} bytes`);
  const format = options.format ?? detectFormat(text);
  const ops = format === 'json' ? jsonOperations(text) : scriptOperations(text);
  const entries = applyOperations(ops);
  if (entries.length === 0) throw new NtfImportError('ERR_NTF_EMPTY', 'every entry the input creates, it deletes again: nothing to import');
  return configFromEntries(entries, options);
}
