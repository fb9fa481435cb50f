// What the suites over real Linux-stack captures share (captures.test.ts,
// replay.test.ts): the manifest and flows.json of test/netns/make-captures.sh
// (see test/netns/README.md), running the script, and reading a capture with
// tshark, never with our own parsers.
//
// Needs root (network namespaces, CAP_NET_RAW), iproute2, python3, tcpdump
// (the script installs it when missing) and tshark: requireCaptureTools()
// throws a clear message without them, so suites fail rather than skip.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './host-runs.js';

export const MAKE_CAPTURES = join(REPO, 'test/netns/make-captures.sh');
/** Namespaces of a run are `ntokcap-{c,r,s}-<pid of the script>`. */
export const NETNS_PREFIX = 'ntokcap';

// ---------------------------------------------------------------- manifest, flows.json

export type Carrier = 'stun' | 'hbh' | 'dstopts' | 'none';

/** One flow of a manifest (test/netns/README.md, "Manifest"). */
export interface ManifestFlow {
  name: string;
  family: 4 | 6;
  proto?: 'udp';
  carrier: Carrier;
  token?: string;
  per_packet?: boolean;
  packets: number;
  dscp?: number;
  ecn?: number;
  reply?: boolean;
  dport?: number;
  sport?: number;
  interval_ms?: number;
  username?: string;
  size?: number;
  stun_attr?: number;
  option_type?: number;
  software?: string | null;
  comment?: string;
}

/** What send.py says it sent, per flow (README, "flows.json"). */
export interface FlowRecord {
  name: string;
  family: 4 | 6;
  proto: string;
  carrier: Carrier;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  token: string | null;
  per_packet: boolean;
  packets: number;
  dscp: number;
  ecn: number;
  reply: boolean;
  token_packets: number[];
  payload_lengths: number[];
  stun_attr: number | null;
  stun_transaction_ids: string[];
  option_type: number | null;
  replies_expected: number;
  replies_received: number;
  reflected_tokens: { reply: number; where: string; token: string }[];
  server: { received: number; replied: number; token_seen: number; reflected: number } | null;
}

export interface FlowsJson {
  version: number;
  capture: Record<string, string>;
  flows: FlowRecord[];
}

// ---------------------------------------------------------------- processes

export function run(cmd: string, args: string[], timeoutMs = 20_000) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: timeoutMs });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return r;
}

/** Throws, naming what is missing, unless root, tshark, ip netns and python3 are there. */
export function requireCaptureTools(): void {
  if (process.getuid?.() !== 0) throw new Error('the capture tests need root (network namespaces, CAP_NET_RAW)');
  const t = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  if (t.error || t.status !== 0) throw new Error('tshark not found: the capture tests need it (apt-get install tshark)');
  const i = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (i.error || i.status !== 0) throw new Error('ip (iproute2) with netns support not found');
  const p = spawnSync(process.env.PYTHON ?? 'python3', ['--version'], { encoding: 'utf8' });
  if (p.error || p.status !== 0) throw new Error('python3 not found');
}

export function namespaces(): string[] {
  const r = run('ip', ['netns', 'list']);
  return r.stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.length > 0);
}

/** Namespaces a run of the script with this pid created (and left, if any). */
export const nsOf = (pid: number | undefined): string[] =>
  namespaces().filter((n) => new RegExp(`^${NETNS_PREFIX}-[crs]-${pid}$`).test(n));

export interface CaptureRun {
  /** The output directory: capture.pcap, flows.json (router-lan.pcap with --router). */
  out: string;
  flows: FlowsJson;
  ms: number;
  pid: number | undefined;
}

/** Runs make-captures.sh with `args` (options and the manifest) into `out`; fails the test unless it succeeds cleanly. */
export function makeCaptures(args: string[], out: string): CaptureRun {
  const t0 = Date.now();
  const r = spawnSync('bash', [MAKE_CAPTURES, ...args, out], { encoding: 'utf8', timeout: 25_000 });
  const ms = Date.now() - t0;
  assert.ok(!r.error, `make-captures.sh: ${r.error?.message}`);
  assert.equal(r.status, 0, `make-captures.sh ${args.join(' ')} exited ${r.status} (${r.signal ?? ''}):\n${r.stderr}`);
  assert.deepEqual(nsOf(r.pid), [], 'namespaces left behind');
  const flows = JSON.parse(readFileSync(join(out, 'flows.json'), 'utf8')) as FlowsJson;
  return { out, flows, ms, pid: r.pid };
}

// ---------------------------------------------------------------- tshark

export function tshark(args: string[]): string {
  const r = run('tshark', args);
  assert.equal(r.status, 0, `tshark ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** A dissected packet: each field as the list of its occurrences (empty when absent). */
export type Dissected<F extends string> = Record<F, string[]>;

/** Every packet of a capture as tshark dissects it; `options` go before the fields (`-o`, `-d`, ...). */
export function dissect<F extends string>(file: string, fields: readonly F[], options: string[] = []): Dissected<F>[] {
  const out = tshark(['-r', file, ...options, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|', ...fields.flatMap((f) => ['-e', f])]);
  return out
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const cols = line.split('\t');
      const p = {} as Dissected<F>;
      fields.forEach((f, i) => {
        p[f] = (cols[i] ?? '') === '' ? [] : cols[i].split('|');
      });
      return p;
    });
}

/** Frames tshark finds malformed or flags with an expert warning or error, as "frame: message" lines ('' when none). */
export function malformedOrWarned(file: string, options: string[] = []): string {
  return tshark(['-r', file, ...options, '-Y', '_ws.malformed || _ws.expert.severity >= "Warning"',
    '-T', 'fields', '-e', 'frame.number', '-e', '_ws.expert.message']).trim();
}

/** tshark's byte fields ("aa:bb" or "aabb") as lowercase hex. */
export const fieldHex = (s: string | undefined): string => (s ?? '').replace(/:/g, '').toLowerCase();
