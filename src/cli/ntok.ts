#!/usr/bin/env node
// The `ntok` command line: keygen, issue, inspect, verify, replay, tag, import-ntf.
// Verification, inspection and the packet path run in ntok.wasm (Verifier,
// Gateway); this file parses arguments, reads files and prints.
//
// Exit codes: 0 ok, 1 a rejected token (including unparseable bytes),
// 2 bad usage or an unreadable file.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Verifier, NtokError } from '../host/verifier.js';
import {
  keygen, mintToken, mintJose, joseKeygen, networkTokenHeader, JOSE_DESCRIPTOR, type Jwk, type JoseClaims, type JoseKeyAlg,
  type NetworkClaims, IssuerError,
} from '../issuer/index.js';
import { Gateway, Direction } from '../host/gateway.js';
import { WASM_PAGE_LIMIT } from '../host/memory-limit.js';
import { readCapture, CaptureError } from '../pcap/index.js';
import { replay } from '../replay.js';
import { describeResult, describeInspection, describeFlows } from './format.js';
import { importNtf, NtfImportError, MAX_INPUT_BYTES, type DscpField, type NtfFormat } from '../ntf/index.js';

const EXIT_OK = 0;
const EXIT_REJECTED = 1;
const EXIT_USAGE = 2;

const USAGE = `usage:
  ntok keygen --alg <alg> --kid <kid> [--out <private.json>] [--public <public.json>]
  ntok issue --key <jwk.json> [--kid <kid>] [--claims <json|@file>] [--exp <unix|+seconds>]
             [--srv <name|n>] [--sid <n>] [--bip <ip[/len]>] [--cti <hex>] [--nti <n|hex>]
             [--iss <s>] [--aud <s>] [--descriptor <n>] [--reflect 0|1|2] [--no-header]
             [--cwt-tag] [--kid-protected] [--encrypt-with <jwk.json>] [--out <file>]
  ntok issue --jose --key <jwk.json> [--kid <kid>] [claims as above, --jti <s> for the token id,
             --nti <n|text>] [--descriptor <n> (default 1)] [--reflect 0|1|2] [--no-header] [--out <file>]
  ntok inspect <hex|@file|jose> [--keys <jwks.json>] [--cwt] [--descriptor <n>] [--json]
  ntok verify <hex|@file|jose> --keys <jwks.json> [--now <unix>] [--leeway <s>] [--cwt] [--json]
             [--require <claim,...>] [--issuer <iss>]... [--audience <aud>]... [--revoked <n|h:hex>]...
             [--config <config.json>] [--descriptor <n>] [--max-pages <n>]
  ntok replay <in.pcap> --config <config.json> [--out <out.pcap>] [--now <unix>] [--json] [--max-pages <n>]
  ntok tag <in.pcap> --config <config.json> --out <out.pcap> [--now <unix>] [--json] [--max-pages <n>]
  ntok import-ntf <entries.json|script.bess> [--out <config.json>] [--format json|bessctl]
             [--dscp-field tos|dscp]   (docs/config.md, "Importing an ntf configuration")
algorithms: HMAC 256/64, HMAC 256/256, EdDSA, ES256, AES-CCM-16-64-128, A128GCM;
  JOSE (--jose): HS256, ES256, EdDSA, and for JWE dir A128CBC-HS256, A256CBC-HS512, A128GCM, A256GCM
tokens: hex of header + token, @file (hex text, raw bytes, or JOSE compact text), or the JOSE
  compact text itself, which is verified behind a header for --descriptor (default 1); without
  descriptors in --config, that descriptor is format jose with the --keys key set`;

/** Exit 2: a usage error (printed with the usage text) or input refused (a file, a configuration: the reason alone). */
class UsageError extends Error {
  constructor(message: string, readonly showUsage = true) {
    super(message);
  }
}

function usage(message: string): never {
  throw new UsageError(message);
}

/** Exit 2 for a file or configuration that cannot be used: the command line was right, so no usage text. */
function refuse(message: string): never {
  throw new UsageError(message, false);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    refuse(`cannot read ${path}: ${(e as Error).message}`);
  }
}

function readJson(path: string): unknown {
  const text = readText(path);
  try {
    return JSON.parse(text);
  } catch (e) {
    refuse(`${path} is not JSON: ${(e as Error).message}`);
  }
}

/** A JWK, a JWK Set, or an array of JWKs, as the keys array. */
function readKeys(path: string): Jwk[] {
  const v = readJson(path) as { keys?: unknown } | unknown[];
  if (Array.isArray(v)) return v as Jwk[];
  if (v && typeof v === 'object' && Array.isArray((v as { keys?: unknown }).keys)) return (v as { keys: Jwk[] }).keys;
  if (v && typeof v === 'object' && 'kty' in v) return [v as Jwk];
  refuse(`${path} holds no JWK or JWK Set`);
}

const HEX = /^(0x)?([0-9a-fA-F]{2})*$/;
/** JOSE compact serialization: three (JWS) or five (JWE) base64url parts. */
const COMPACT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){2}(?:(\.[A-Za-z0-9_-]*){2})?$/; // JWS (3 parts) or JWE (5)

interface TokenInput {
  bytes: Uint8Array;
  /** The bytes are JOSE compact text without the network-token header. */
  bareJose: boolean;
}

/**
 * Token bytes from `<hex>`, `@file` or JOSE compact text; a file holding hex
 * text is read as hex, one holding compact text as that, anything else as
 * raw bytes. Undecodable text gives null (a rejected token).
 */
function readToken(arg: string): TokenInput | null {
  if (arg.startsWith('@')) {
    let raw: Buffer;
    try {
      raw = readFileSync(arg.slice(1));
    } catch (e) {
      refuse(`cannot read ${arg.slice(1)}: ${(e as Error).message}`);
    }
    const text = raw.toString('latin1').replace(/\s+/g, '');
    if (text.length > 0 && HEX.test(text)) return { bytes: Buffer.from(text.replace(/^0x/, ''), 'hex'), bareJose: false };
    if (COMPACT.test(text)) return { bytes: Buffer.from(text, 'latin1'), bareJose: true };
    return { bytes: new Uint8Array(raw), bareJose: false };
  }
  const text = arg.replace(/\s+/g, '');
  if (HEX.test(text)) return { bytes: Buffer.from(text.replace(/^0x/, ''), 'hex'), bareJose: false };
  return COMPACT.test(text) ? { bytes: Buffer.from(text, 'latin1'), bareJose: true } : null;
}

/** The descriptor bare JOSE text is verified under (--descriptor, default 0x1: JWT). */
function joseDescriptor(values: Values): number {
  const d = numberOption(values.descriptor as string | undefined, 'descriptor') ?? JOSE_DESCRIPTOR;
  if (!Number.isInteger(d) || d < 0 || d > 0x0fffffff) usage('--descriptor must be a 28-bit descriptor id');
  return d;
}

/** Bare JOSE text goes behind a header (reflect 0) for its descriptor. */
function withJoseHeader(token: TokenInput, values: Values): Uint8Array {
  if (!token.bareJose) return token.bytes;
  return Buffer.concat([networkTokenHeader(0, joseDescriptor(values)), token.bytes]);
}

type Values = Record<string, string | boolean | string[] | undefined>;

function parse(args: string[], options: ParseArgsConfig['options']): { values: Values; positionals: string[] } {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] };
  } catch (e) {
    usage((e as Error).message);
  }
}

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) usage(`--${name} must be a number`);
  return n;
}

function cmdKeygen(args: string[]): number {
  const { values } = parse(args, {
    alg: { type: 'string' }, kid: { type: 'string' }, out: { type: 'string' }, public: { type: 'string' },
  });
  if (!values.alg || !values.kid) usage('keygen needs --alg and --kid');
  const alg = /^-?\d+$/.test(values.alg as string) ? Number(values.alg) : (values.alg as string);
  const jose = ['HS256', 'A128CBC-HS256', 'A256CBC-HS512', 'A256GCM'].includes(alg as string);
  let pair;
  try {
    pair = jose ? joseKeygen(alg as JoseKeyAlg, values.kid as string) : keygen(alg, values.kid as string);
  } catch (e) {
    usage((e as Error).message);
  }
  const priv = JSON.stringify({ keys: [pair.privateJwk] }, null, 2) + '\n';
  const pub = JSON.stringify({ keys: [pair.publicJwk] }, null, 2) + '\n';
  if (values.public) writeFileSync(values.public as string, pub);
  if (values.out) writeFileSync(values.out as string, priv, { mode: 0o600 });
  else process.stdout.write(priv);
  return EXIT_OK;
}

function pickKey(path: string, kid: string | undefined): Jwk {
  const keys = readKeys(path);
  const candidates = kid === undefined ? keys : keys.filter((k) => k.kid === kid);
  if (candidates.length !== 1) usage(kid === undefined ? `${path} holds ${keys.length} keys: choose one with --kid` : `no key with kid ${kid} in ${path}`);
  return candidates[0];
}

function cmdIssue(args: string[]): number | Promise<number> {
  const { values } = parse(args, {
    key: { type: 'string' }, kid: { type: 'string' }, claims: { type: 'string' },
    exp: { type: 'string' }, nbf: { type: 'string' }, iat: { type: 'string' },
    srv: { type: 'string' }, sid: { type: 'string' }, bip: { type: 'string' },
    cti: { type: 'string' }, nti: { type: 'string' }, iss: { type: 'string' }, aud: { type: 'string' },
    descriptor: { type: 'string' }, reflect: { type: 'string' }, 'no-header': { type: 'boolean' },
    'cwt-tag': { type: 'boolean' }, 'kid-protected': { type: 'boolean' }, 'encrypt-with': { type: 'string' },
    out: { type: 'string' }, jose: { type: 'boolean' }, jti: { type: 'string' },
  });
  if (!values.key) usage('issue needs --key');
  if (values.jose) return issueJose(values);
  if (values.jti !== undefined) usage('--jti is a JOSE claim: use --cti with CWTs (or --jose)');
  const claims = sharedClaims<NetworkClaims>(values);
  if (values.bip !== undefined) claims.bip = values.bip as string;
  if (values.cti !== undefined) claims.cti = values.cti as string;
  if (values.nti !== undefined) {
    const s = values.nti as string;
    claims.nti = /^\d+$/.test(s) ? Number(s) : Buffer.from(s, 'hex');
  }
  if (values.iss !== undefined) claims.iss = values.iss as string;
  if (values.aud !== undefined) claims.aud = values.aud as string;
  const key = pickKey(values.key as string, values.kid as string | undefined);
  const reflect = numberOption(values.reflect as string | undefined, 'reflect') ?? 0;
  if (![0, 1, 2].includes(reflect)) usage('--reflect must be 0, 1 or 2');
  let token: Uint8Array;
  try {
    const signing = { key, kidInProtected: values['kid-protected'] as boolean | undefined };
    token = values['encrypt-with']
      ? mintToken(claims, {
        key: pickKey(values['encrypt-with'] as string, undefined), inner: signing,
        descriptor: numberOption(values.descriptor as string | undefined, 'descriptor'),
        reflect: reflect as 0 | 1 | 2, header: !values['no-header'], cwtTag: values['cwt-tag'] as boolean | undefined,
      })
      : mintToken(claims, {
        ...signing,
        descriptor: numberOption(values.descriptor as string | undefined, 'descriptor'),
        reflect: reflect as 0 | 1 | 2, header: !values['no-header'], cwtTag: values['cwt-tag'] as boolean | undefined,
      });
  } catch (e) {
    if (e instanceof IssuerError) usage(`${e.code}: ${e.message}`);
    throw e;
  }
  const hex = Buffer.from(token).toString('hex');
  if (values.out) writeFileSync(values.out as string, hex + '\n');
  else process.stdout.write(hex + '\n');
  process.stderr.write(`${token.length} bytes (${key.alg}, kid ${key.kid})\n`);
  return EXIT_OK;
}

/** A NumericDate option of `issue` (exp, nbf, iat): unix seconds, or +seconds from now. */
function timeClaim(v: unknown, name: string, now: number): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  const n = Number(s.startsWith('+') ? s.slice(1) : s);
  if (!Number.isFinite(n)) usage(`--${name} must be unix seconds or +seconds`);
  return s.startsWith('+') ? now + n : n;
}

/**
 * issue --jose: the claims as JSON in a JWE (dir, the key's alg as enc) or a
 * JWS (HS256, ES256, EdDSA); hex of the header and text, or with --no-header
 * the compact text itself.
 */
/** The claims a CWT and a JOSE token take alike: --claims (JSON or @file), then --exp/--nbf/--iat, --srv, --sid. */
function sharedClaims<T extends { exp?: unknown; nbf?: unknown; iat?: unknown; srv?: string | number; sid?: number }>(values: Values): T {
  let claims = {} as T;
  if (values.claims) {
    const text = (values.claims as string).startsWith('@') ? readText((values.claims as string).slice(1)) : (values.claims as string);
    try {
      claims = JSON.parse(text) as T;
    } catch {
      usage('--claims must be JSON');
    }
  }
  const now = Math.floor(Date.now() / 1000);
  for (const name of ['exp', 'nbf', 'iat'] as const) {
    const t = timeClaim(values[name], name, now);
    if (t !== undefined) claims[name] = t as T[typeof name];
  }
  if (values.srv !== undefined) claims.srv = /^\d+$/.test(values.srv as string) ? Number(values.srv) : (values.srv as string);
  if (values.sid !== undefined) claims.sid = numberOption(values.sid as string, 'sid');
  return claims;
}

async function issueJose(values: Values): Promise<number> {
  for (const cwtOnly of ['cti', 'cwt-tag', 'kid-protected', 'encrypt-with']) {
    if (values[cwtOnly] !== undefined) usage(`--${cwtOnly} is for CWTs${cwtOnly === 'cti' ? ': JOSE tokens carry --jti' : ''}`);
  }
  const claims = sharedClaims<JoseClaims>(values);
  if (values.nti !== undefined) claims.nti = /^\d+$/.test(values.nti as string) ? Number(values.nti) : (values.nti as string);
  for (const name of ['bip', 'jti', 'iss', 'aud'] as const) if (values[name] !== undefined) claims[name] = values[name] as string;
  const key = pickKey(values.key as string, values.kid as string | undefined);
  const reflect = numberOption(values.reflect as string | undefined, 'reflect') ?? 0;
  if (![0, 1, 2].includes(reflect)) usage('--reflect must be 0, 1 or 2');
  let token: Uint8Array;
  try {
    token = await mintJose(claims, {
      key, reflect: reflect as 0 | 1 | 2, header: !values['no-header'],
      descriptor: numberOption(values.descriptor as string | undefined, 'descriptor'),
    });
  } catch (e) {
    if (e instanceof IssuerError) usage(`${e.code}: ${e.message}`);
    throw e;
  }
  const text = values['no-header'] ? Buffer.from(token).toString('latin1') : Buffer.from(token).toString('hex');
  if (values.out) writeFileSync(values.out as string, text + '\n');
  else process.stdout.write(text + '\n');
  process.stderr.write(`${token.length} bytes (${key.alg}, kid ${key.kid})\n`);
  return EXIT_OK;
}

/**
 * A revoked id: digits are an integer nti/cti; `h:<hex>` (or hex containing
 * a-f) a byte-string one, as `verify --json` prints cti/nti.
 */
function revokedId(arg: string): number | string {
  if (/^\d+$/.test(arg)) return Number(arg);
  const hex = arg.startsWith('h:') ? arg.slice(2) : arg;
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) usage(`--revoked ${arg}: digits for an integer id, h:<hex> for a byte-string id`);
  return hex.toLowerCase();
}

/**
 * Configuration for verify/inspect: a full --config, or --keys as descriptor
 * 0x2's key set; for bare JOSE text without configured descriptors, the
 * JOSE descriptor (--descriptor, default 1) gets that key set too.
 */
function verifierConfig(values: Values, bareJose = false): Record<string, unknown> {
  const config: Record<string, unknown> = values.config ? (readJson(values.config as string) as Record<string, unknown>) : {};
  if (values.keys) config.keysets = { ...(config.keysets as object), default: { keys: readKeys(values.keys as string) } };
  if (bareJose && config.descriptors === undefined) {
    const keysets = (config.keysets ?? {}) as Record<string, unknown>;
    config.keysets = { default: { keys: [] }, ...keysets };
    config.descriptors = [{ id: 2, format: 'cwt', keyset: 'default' }];
    const d = joseDescriptor(values);
    if (d !== 2) (config.descriptors as object[]).push({ id: d, format: 'jose', keyset: 'default' });
  }
  if (values.leeway !== undefined) config.leeway = numberOption(values.leeway as string, 'leeway');
  if (values.require) config.require = (values.require as string).split(',').map((s) => s.trim()).filter(Boolean);
  if (values.issuer) config.issuers = values.issuer;
  if (values.audience) config.audiences = values.audience;
  if (values.revoked) config.revoked = (values.revoked as string[]).map(revokedId);
  return config;
}

async function openVerifier(values: Values, bareJose = false, maxPages?: number): Promise<Verifier> {
  try {
    return await Verifier.open(verifierConfig(values, bareJose), { maxPages });
  } catch (e) {
    if (e instanceof NtokError) refuse(`configuration: ${e.message}`);
    // As ntokd: a trap while configuring (too small a --max-pages) ends the command.
    if (e instanceof WebAssembly.RuntimeError) refuse(`configuration: trap: ${e.message}`);
    throw e;
  }
}

function unparseable(json: boolean, what: string): number {
  const result = { ok: false, code: 'malformed', message: `${what} is neither hex nor @file` };
  process.stdout.write(json ? JSON.stringify(result) + '\n' : `REJECTED malformed: ${result.message}\n`);
  return EXIT_REJECTED;
}

/**
 * A trap in the core (a bug, or a limit of the runtime reached): answered as
 * ntokd answers it, host-error with the trap's text, and exit 1. The trap's
 * own words differ between runtimes (V8, wasm3).
 */
function trapped(json: boolean, what: string, e: Error): number {
  process.stderr.write(`ntok: trap in ${what}: ${e.message}\n`);
  const message = `trap: ${e.message}`;
  process.stdout.write(json ? JSON.stringify({ ok: false, code: 'host-error', message }) + '\n' : `REJECTED host-error: ${message}\n`);
  return EXIT_REJECTED;
}

async function cmdVerify(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    keys: { type: 'string' }, config: { type: 'string' }, now: { type: 'string' }, leeway: { type: 'string' },
    cwt: { type: 'boolean' }, json: { type: 'boolean' }, require: { type: 'string' },
    issuer: { type: 'string', multiple: true }, audience: { type: 'string', multiple: true },
    revoked: { type: 'string', multiple: true }, descriptor: { type: 'string' }, 'max-pages': { type: 'string' },
  });
  if (positionals.length !== 1) usage('verify takes one token: <hex|@file|jose>');
  if (!values.keys && !values.config) usage('verify needs --keys (or --config)');
  const token = readToken(positionals[0]);
  const verifier = await openVerifier(values, token?.bareJose, maxPagesOption(values['max-pages'] as string | undefined));
  if (token === null) return unparseable(!!values.json, 'the token');
  const now = numberOption(values.now as string | undefined, 'now');
  let json: string;
  try {
    json = verifier.verifyJson(withJoseHeader(token, values), { now, bareCwt: !!values.cwt && !token.bareJose });
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError)) throw e;
    return trapped(!!values.json, 'verify', e);
  }
  const result = JSON.parse(json);
  process.stdout.write(values.json ? json + '\n' : describeResult(result));
  return result.ok ? EXIT_OK : EXIT_REJECTED;
}

async function cmdInspect(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    keys: { type: 'string' }, config: { type: 'string' }, cwt: { type: 'boolean' }, json: { type: 'boolean' },
    descriptor: { type: 'string' },
  });
  if (positionals.length !== 1) usage('inspect takes one token: <hex|@file|jose>');
  const token = readToken(positionals[0]);
  const verifier = await openVerifier(values, token?.bareJose);
  if (token === null) return unparseable(!!values.json, 'the token');
  const json = verifier.inspectJson(withJoseHeader(token, values), { bareCwt: !!values.cwt && !token.bareJose });
  const result = JSON.parse(json);
  process.stdout.write(values.json ? json + '\n' : describeInspection(result));
  return result.ok ? EXIT_OK : EXIT_REJECTED;
}

/** --max-pages: linear memory ceiling in 64 KiB pages, as a board's wasm_pages. */
function maxPagesOption(value: string | undefined): number | undefined {
  const n = numberOption(value, 'max-pages');
  if (n !== undefined && !(Number.isInteger(n) && n >= 1 && n <= WASM_PAGE_LIMIT)) usage(`--max-pages must be an integer from 1 to ${WASM_PAGE_LIMIT}`);
  return n;
}

/**
 * replay: the capture through the packet path, one summary per flow. tag:
 * the same with every packet taken as upstream (from the LAN), so the
 * configuration's tagging rules attach tokens. A trap in the core is
 * recovered from (Gateway: the packet is accepted unmarked as host-error,
 * the instance replaced) and counted in the summary line.
 */
async function cmdReplay(args: string[], tagging: boolean): Promise<number> {
  const { values, positionals } = parse(args, {
    config: { type: 'string' }, out: { type: 'string' }, now: { type: 'string' }, json: { type: 'boolean' },
    'max-pages': { type: 'string' },
  });
  const name = tagging ? 'tag' : 'replay';
  if (positionals.length !== 1) usage(`${name} takes one capture file`);
  if (!values.config) usage(`${name} needs --config`);
  if (tagging && !values.out) usage('tag needs --out');
  let capture;
  try {
    capture = readCapture(readFileSync(positionals[0]));
  } catch (e) {
    if (e instanceof CaptureError || (e as NodeJS.ErrnoException).code !== undefined) refuse(`${positionals[0]}: ${(e as Error).message}`);
    throw e;
  }
  const maxPages = maxPagesOption(values['max-pages'] as string | undefined);
  let gateway: Gateway;
  try {
    gateway = await Gateway.open(readText(values.config as string), { maxPages });
  } catch (e) {
    if (e instanceof NtokError) refuse(`configuration: ${e.message}`);
    if (e instanceof RangeError || e instanceof WebAssembly.CompileError) usage(`--max-pages ${maxPages}: ${e.message}`);
    throw e;
  }
  const result = replay(gateway, capture, {
    now: numberOption(values.now as string | undefined, 'now'),
    direction: tagging ? Direction.Upstream : Direction.Unknown,
  });
  if (values.out) writeFileSync(values.out as string, result.output);
  if (values.json) process.stdout.write(result.json + '\n');
  else {
    const status = gateway.status();
    process.stdout.write(describeFlows(result.flows, status, capture.packets.length, result.dropped, values.out as string | undefined, gateway.traps));
  }
  if (gateway.traps > 0) process.stderr.write(`ntok: ${gateway.traps} traps in the core, the last: ${gateway.lastTrap}; each replaced the instance (its flows lost)\n`);
  return EXIT_OK;
}

/**
 * import-ntf: the reference deployment's entries (JSON, or a bessctl
 * script read as data) as an ntok configuration (src/ntf/). The result goes
 * through the core's own configure before it is written, so a file this
 * writes is one every host accepts; the notes (what the import decided or
 * could not reproduce) go to stderr.
 */
async function cmdImportNtf(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    out: { type: 'string' }, format: { type: 'string' }, 'dscp-field': { type: 'string' },
  });
  if (positionals.length !== 1) usage('import-ntf takes one file: JSON entries or a bessctl script');
  const path = positionals[0];
  const format = values.format as string | undefined;
  if (format !== undefined && format !== 'json' && format !== 'bessctl') usage('--format is json or bessctl');
  const dscpField = (values['dscp-field'] as string | undefined) ?? 'tos';
  if (dscpField !== 'tos' && dscpField !== 'dscp') usage('--dscp-field is tos (the reference wrote dscp over the TOS byte) or dscp');
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    refuse(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (size > MAX_INPUT_BYTES) refuse(`${path}: ${size} bytes, larger than the ${MAX_INPUT_BYTES} an ntf configuration could need`);
  let result;
  try {
    result = importNtf(readText(path), { format: format as NtfFormat | undefined, dscpField: dscpField as DscpField, source: path });
  } catch (e) {
    if (e instanceof NtfImportError) refuse(`${path}:${e.line === undefined ? '' : `${e.line}:`} ${e.code}: ${e.message.replace(/^line \d+: /, '')}`);
    throw e;
  }
  const text = JSON.stringify(result.config, null, 2) + '\n';
  try {
    await Verifier.open(text);
  } catch (e) {
    if (e instanceof NtokError) refuse(`${path}: the core refuses the imported configuration: ${e.message}`);
    throw e;
  }
  for (const note of result.notes) process.stderr.write(`ntok: note: ${note}\n`);
  if (values.out) writeFileSync(values.out as string, text);
  else process.stdout.write(text);
  process.stderr.write(`ntok: ${result.entries.length} ${result.entries.length === 1 ? 'entry' : 'entries'} imported from ${path}${values.out ? ` into ${values.out}` : ''}\n`);
  return EXIT_OK;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'keygen': return cmdKeygen(rest);
      case 'issue': return await cmdIssue(rest);
      case 'verify': return await cmdVerify(rest);
      case 'inspect': return await cmdInspect(rest);
      case 'replay': return await cmdReplay(rest, false);
      case 'tag': return await cmdReplay(rest, true);
      case 'import-ntf': return await cmdImportNtf(rest);
      case '-h': case '--help': case 'help':
        process.stdout.write(USAGE + '\n');
        return EXIT_OK;
      default:
        usage(command === undefined ? 'no command' : `unknown command ${command}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(e.showUsage ? `ntok: ${e.message}\n${USAGE}\n` : `ntok: ${e.message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
