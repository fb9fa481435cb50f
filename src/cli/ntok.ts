#!/usr/bin/env node
// The `ntok` command line: keygen, issue, inspect, verify, replay, tag.
// Verification, inspection and the packet path run in ntok.wasm (Verifier,
// Gateway); this file parses arguments, reads files and prints.
//
// Exit codes: 0 ok, 1 a rejected token (including unparseable bytes),
// 2 bad usage or an unreadable file.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Verifier, NtokError } from '../host/verifier.js';
import { keygen, mintToken, type Jwk, type NetworkClaims, IssuerError } from '../issuer/index.js';
import { Gateway, Direction } from '../host/gateway.js';
import { WASM_PAGE_LIMIT } from '../host/memory-limit.js';
import { readCapture, CaptureError } from '../pcap/index.js';
import { replay } from '../replay.js';
import { describeResult, describeInspection, describeFlows } from './format.js';

const EXIT_OK = 0;
const EXIT_REJECTED = 1;
const EXIT_USAGE = 2;

const USAGE = `usage:
  ntok keygen --alg <alg> --kid <kid> [--out <private.json>] [--public <public.json>]
  ntok issue --key <jwk.json> [--kid <kid>] [--claims <json|@file>] [--exp <unix|+seconds>]
             [--srv <name|n>] [--sid <n>] [--bip <ip[/len]>] [--cti <hex>] [--nti <n|hex>]
             [--iss <s>] [--aud <s>] [--descriptor <n>] [--reflect 0|1|2] [--no-header]
             [--cwt-tag] [--kid-protected] [--encrypt-with <jwk.json>] [--out <file>]
  ntok inspect <hex|@file> [--keys <jwks.json>] [--cwt] [--json]
  ntok verify <hex|@file> --keys <jwks.json> [--now <unix>] [--leeway <s>] [--cwt] [--json]
             [--require <claim,...>] [--issuer <iss>]... [--audience <aud>]... [--revoked <n|h:hex>]...
             [--config <config.json>]
  ntok replay <in.pcap> --config <config.json> [--out <out.pcap>] [--now <unix>] [--json] [--max-pages <n>]
  ntok tag <in.pcap> --config <config.json> --out <out.pcap> [--now <unix>] [--json] [--max-pages <n>]
algorithms: HMAC 256/64, HMAC 256/256, EdDSA, ES256, AES-CCM-16-64-128, A128GCM`;

class UsageError extends Error {}

function usage(message: string): never {
  throw new UsageError(message);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    usage(`cannot read ${path}: ${(e as Error).message}`);
  }
}

function readJson(path: string): unknown {
  const text = readText(path);
  try {
    return JSON.parse(text);
  } catch (e) {
    usage(`${path} is not JSON: ${(e as Error).message}`);
  }
}

/** A JWK, a JWK Set, or an array of JWKs, as the keys array. */
function readKeys(path: string): Jwk[] {
  const v = readJson(path) as { keys?: unknown } | unknown[];
  if (Array.isArray(v)) return v as Jwk[];
  if (v && typeof v === 'object' && Array.isArray((v as { keys?: unknown }).keys)) return (v as { keys: Jwk[] }).keys;
  if (v && typeof v === 'object' && 'kty' in v) return [v as Jwk];
  usage(`${path} holds no JWK or JWK Set`);
}

const HEX = /^(0x)?([0-9a-fA-F]{2})*$/;

/**
 * Token bytes from `<hex>` or `@file`; a file holding hex text is read as hex,
 * anything else as raw bytes. Undecodable text gives null (a rejected token).
 */
function readToken(arg: string): Uint8Array | null {
  if (arg.startsWith('@')) {
    let raw: Buffer;
    try {
      raw = readFileSync(arg.slice(1));
    } catch (e) {
      usage(`cannot read ${arg.slice(1)}: ${(e as Error).message}`);
    }
    const text = raw.toString('latin1').replace(/\s+/g, '');
    return text.length > 0 && HEX.test(text) ? Buffer.from(text.replace(/^0x/, ''), 'hex') : new Uint8Array(raw);
  }
  const text = arg.replace(/\s+/g, '');
  return HEX.test(text) ? Buffer.from(text.replace(/^0x/, ''), 'hex') : null;
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
  let pair;
  try {
    pair = keygen(alg, values.kid as string);
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

function cmdIssue(args: string[]): number {
  const { values } = parse(args, {
    key: { type: 'string' }, kid: { type: 'string' }, claims: { type: 'string' },
    exp: { type: 'string' }, nbf: { type: 'string' }, iat: { type: 'string' },
    srv: { type: 'string' }, sid: { type: 'string' }, bip: { type: 'string' },
    cti: { type: 'string' }, nti: { type: 'string' }, iss: { type: 'string' }, aud: { type: 'string' },
    descriptor: { type: 'string' }, reflect: { type: 'string' }, 'no-header': { type: 'boolean' },
    'cwt-tag': { type: 'boolean' }, 'kid-protected': { type: 'boolean' }, 'encrypt-with': { type: 'string' },
    out: { type: 'string' },
  });
  if (!values.key) usage('issue needs --key');
  let claims: NetworkClaims = {};
  if (values.claims) {
    const text = (values.claims as string).startsWith('@') ? readText((values.claims as string).slice(1)) : (values.claims as string);
    try {
      claims = JSON.parse(text) as NetworkClaims;
    } catch {
      usage('--claims must be JSON');
    }
  }
  const now = Math.floor(Date.now() / 1000);
  const time = (v: unknown, name: string) => {
    if (v === undefined) return undefined;
    const s = String(v);
    const n = Number(s.startsWith('+') ? s.slice(1) : s);
    if (!Number.isFinite(n)) usage(`--${name} must be unix seconds or +seconds`);
    return s.startsWith('+') ? now + n : n;
  };
  for (const name of ['exp', 'nbf', 'iat'] as const) {
    const t = time(values[name], name);
    if (t !== undefined) claims[name] = t;
  }
  if (values.srv !== undefined) claims.srv = /^\d+$/.test(values.srv as string) ? Number(values.srv) : (values.srv as string);
  if (values.sid !== undefined) claims.sid = numberOption(values.sid as string, 'sid');
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

/** Configuration for verify/inspect: a full --config, or --keys as descriptor 0x2's key set. */
function verifierConfig(values: Values): Record<string, unknown> {
  const config: Record<string, unknown> = values.config ? (readJson(values.config as string) as Record<string, unknown>) : {};
  if (values.keys) config.keysets = { ...(config.keysets as object), default: { keys: readKeys(values.keys as string) } };
  if (values.leeway !== undefined) config.leeway = numberOption(values.leeway as string, 'leeway');
  if (values.require) config.require = (values.require as string).split(',').map((s) => s.trim()).filter(Boolean);
  if (values.issuer) config.issuers = values.issuer;
  if (values.audience) config.audiences = values.audience;
  if (values.revoked) config.revoked = (values.revoked as string[]).map(revokedId);
  return config;
}

async function openVerifier(values: Values): Promise<Verifier> {
  try {
    return await Verifier.open(verifierConfig(values));
  } catch (e) {
    if (e instanceof NtokError) usage(`configuration: ${e.message}`);
    throw e;
  }
}

function unparseable(json: boolean, what: string): number {
  const result = { ok: false, code: 'malformed', message: `${what} is neither hex nor @file` };
  process.stdout.write(json ? JSON.stringify(result) + '\n' : `REJECTED malformed: ${result.message}\n`);
  return EXIT_REJECTED;
}

async function cmdVerify(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    keys: { type: 'string' }, config: { type: 'string' }, now: { type: 'string' }, leeway: { type: 'string' },
    cwt: { type: 'boolean' }, json: { type: 'boolean' }, require: { type: 'string' },
    issuer: { type: 'string', multiple: true }, audience: { type: 'string', multiple: true },
    revoked: { type: 'string', multiple: true },
  });
  if (positionals.length !== 1) usage('verify takes one token: <hex|@file>');
  if (!values.keys && !values.config) usage('verify needs --keys (or --config)');
  const verifier = await openVerifier(values);
  const token = readToken(positionals[0]);
  if (token === null) return unparseable(!!values.json, 'the token');
  const now = numberOption(values.now as string | undefined, 'now');
  const json = verifier.verifyJson(token, { now, bareCwt: !!values.cwt });
  const result = JSON.parse(json);
  process.stdout.write(values.json ? json + '\n' : describeResult(result));
  return result.ok ? EXIT_OK : EXIT_REJECTED;
}

async function cmdInspect(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    keys: { type: 'string' }, config: { type: 'string' }, cwt: { type: 'boolean' }, json: { type: 'boolean' },
  });
  if (positionals.length !== 1) usage('inspect takes one token: <hex|@file>');
  const verifier = await openVerifier(values);
  const token = readToken(positionals[0]);
  if (token === null) return unparseable(!!values.json, 'the token');
  const json = verifier.inspectJson(token, { bareCwt: !!values.cwt });
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
    if (e instanceof CaptureError || (e as NodeJS.ErrnoException).code !== undefined) usage(`${positionals[0]}: ${(e as Error).message}`);
    throw e;
  }
  const maxPages = maxPagesOption(values['max-pages'] as string | undefined);
  let gateway: Gateway;
  try {
    gateway = await Gateway.open(readText(values.config as string), { maxPages });
  } catch (e) {
    if (e instanceof NtokError) usage(`configuration: ${e.message}`);
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

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'keygen': return cmdKeygen(rest);
      case 'issue': return cmdIssue(rest);
      case 'verify': return await cmdVerify(rest);
      case 'inspect': return await cmdInspect(rest);
      case 'replay': return await cmdReplay(rest, false);
      case 'tag': return await cmdReplay(rest, true);
      case '-h': case '--help': case 'help':
        process.stdout.write(USAGE + '\n');
        return EXIT_OK;
      default:
        usage(command === undefined ? 'no command' : `unknown command ${command}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ntok: ${e.message}\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
