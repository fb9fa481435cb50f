/**
 * An ntok configuration (docs/config.md) that does what an ntf entry table
 * did (Network-Tokens/ntf utils/ntf_context.cc, `NtfContext::ProcessPacket`
 * and the checks it calls):
 *
 * - each entry's token type is a descriptor of format `jose` whose key set
 *   holds its key and whose service carries its DSCP (the reference marked
 *   a flow by the entry its token's header named);
 * - a token must carry `exp` and `bip` (CheckTokenExpiration and
 *   CheckBoundIp refused tokens without them), `exp` is checked without
 *   leeway (`exp_ns < now` refused), `bip` may be either endpoint
 *   (`parsed_addr != src && parsed_addr != dst` refused): key sets with
 *   `binding: either`;
 * - flows without a valid token lose the DSCP of any entry
 *   (ResetDscpMarking: the "authoritative" markings are set to 0):
 *   `gateway.wash`;
 * - tokens ride in STUN attribute 0x8030 (utils/stun.h, kNetworkToken);
 * - `rule_id` is the service's `id`: the reference passed a token's `sid`
 *   on as the packet's rule_id (modules/ntf.cc), so a token's sid selects
 *   the service whose id it is;
 * - blacklisted token ids are `revoked`.
 *
 * docs/config.md, "Importing an ntf configuration", has the whole mapping.
 */
import { NtfImportError } from './errors.js';
import { importDscp, DscpRangeError, type DscpField } from './dscp.js';
import type { NtfEntry } from './entry.js';

/** The core's limits (assembly/config.ts, docs/config.md). */
const MAX_KEYSETS = 16;
const MAX_DESCRIPTORS = 64;
const MAX_REVOKED = 4096;
/** The configuration is written with JSON.stringify, whose numbers are doubles: integers are exact below 2^53 (the core reads them exactly to 2^64 - 1). */
const MAX_EXACT = 2n ** 53n - 1n;
/** utils/stun.h: `kNetworkToken = 0x8030`. */
const NTF_STUN_ATTRIBUTE = 0x8030;

export interface ImportOptions {
  /** How `dscp` is read (dscp.ts): the TOS byte it was written over (default), or the DSCP itself. */
  dscpField?: DscpField;
  /** The input's name, for the configuration's comment. */
  source?: string;
}

export interface ImportResult {
  /** The ntok configuration, ready for JSON.stringify. */
  config: Record<string, unknown>;
  entries: NtfEntry[];
  /** What the import decided or could not reproduce, one line each, for the operator. */
  notes: string[];
}

export const entryName = (tokenType: number): string => `ntf-0x${tokenType.toString(16)}`;

/** Entries whose keys are the same (bytes, encs, kid) share a key set. */
const keyIdentity = (e: NtfEntry): string => `${e.key.k} ${e.key.encs.join(',')} ${e.key.kid ?? ''}`;

export function configFromEntries(entries: NtfEntry[], options: ImportOptions = {}): ImportResult {
  const notes: string[] = [];
  const note = (e: NtfEntry, what: string) => notes.push(`${e.origin} (line ${e.line}), token type 0x${e.tokenType.toString(16)}: ${what}`);
  if (entries.length > MAX_DESCRIPTORS) {
    throw new NtfImportError('ERR_NTF_LIMIT', `${entries.length} entries: an ntok configuration holds at most ${MAX_DESCRIPTORS} descriptors`);
  }

  // Entries with the same key share a key set (a JOSE token without kid is
  // checked with its key set's one key of its enc, so keys cannot share one).
  const keysets: Record<string, unknown> = {};
  const keysetOf = new Map<string, string>();
  for (const e of entries) {
    const identity = keyIdentity(e);
    if (keysetOf.has(identity)) continue;
    const name = entryName(e.tokenType);
    if (keysetOf.size === MAX_KEYSETS) {
      throw new NtfImportError('ERR_NTF_LIMIT', `${e.origin}: more than ${MAX_KEYSETS} different keys: an ntok configuration holds at most ${MAX_KEYSETS} key sets`, e.line);
    }
    keysetOf.set(identity, name);
    const kid = e.key.kid ?? name;
    keysets[name] = {
      comment: `key of ${e.origin} (line ${e.line})`,
      binding: 'either',
      keys: e.key.encs.map((enc, i) => ({ kty: 'oct', kid: i === 0 ? kid : `${kid}.${enc}`, alg: enc, k: e.key.k })),
    };
    if (!e.key.algNamed && e.key.encs.length > 1) {
      note(e, `the JWK names no alg: its ${e.key.bytes}-byte key is imported for ${e.key.encs.join(' and ')}, the content encryptions cjose would have decrypted with it`);
    }
  }

  const descriptors: unknown[] = [];
  const services: unknown[] = [];
  const wash = new Set<number>();
  const ruleIds = new Map<number, NtfEntry>();
  for (const e of entries) {
    const name = entryName(e.tokenType);
    let imported;
    try {
      imported = importDscp(e.dscp, options.dscpField ?? 'tos');
    } catch (err) {
      if (err instanceof DscpRangeError) throw new NtfImportError('ERR_NTF_FIELD', `${e.origin}: dscp: ${err.message}`, e.line);
      throw err;
    }
    if (imported.note) note(e, `dscp: ${imported.note}`);
    if (imported.dscp !== 0) wash.add(imported.dscp);
    const service: Record<string, unknown> = { name, dscp: imported.dscp };
    if (e.ruleId !== undefined) {
      service.id = e.ruleId;
      const other = ruleIds.get(e.ruleId);
      if (other) note(e, `rule_id ${e.ruleId} is also ${other.origin}'s (line ${other.line}): a token whose sid is ${e.ruleId} gets the first of their services`);
      else ruleIds.set(e.ruleId, e);
    }
    service.comment = `${e.origin} (line ${e.line}): dscp ${e.dscp === undefined ? 'unset' : `${e.dscp}`}${e.ruleId === undefined ? '' : `, rule_id ${e.ruleId}`}`;
    services.push(service);
    descriptors.push({ id: e.tokenType, format: 'jose', keyset: keysetOf.get(keyIdentity(e)), service: name });
  }

  const revoked = new Set<bigint>();
  for (const e of entries) {
    for (const id of e.blacklist) {
      if (id > MAX_EXACT) note(e, `blacklist: ${id} is not imported: this importer writes JSON numbers exactly only below 2^53 (add it to "revoked" by hand; the core reads integers exactly)`);
      else revoked.add(id);
    }
  }
  if (revoked.size > MAX_REVOKED) throw new NtfImportError('ERR_NTF_LIMIT', `${revoked.size} blacklisted ids: an ntok configuration revokes at most ${MAX_REVOKED}`);
  if (entries.some((e) => e.blacklist.length > 0)) {
    notes.push('blacklist: imported as revoked token ids (nti), which ntok refuses whatever descriptor carries them; the reference stored blacklists but never checked them');
  }

  const config: Record<string, unknown> = {
    comment: `ntok import-ntf${options.source ? ` of ${options.source}` : ''}: ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'} (docs/config.md, "Importing an ntf configuration")`,
    leeway: 0,
    require: ['exp', 'bip'],
  };
  if (revoked.size > 0) config.revoked = [...revoked].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(Number);
  config.descriptors = descriptors;
  config.keysets = keysets;
  config.services = services;
  const gateway: Record<string, unknown> = {};
  if (wash.size > 0) gateway.wash = { dscp: [...wash].sort((a, b) => a - b), to: 0 };
  gateway.carriers = { stun_attribute: NTF_STUN_ATTRIBUTE };
  config.gateway = gateway;
  return { config, entries, notes };
}
