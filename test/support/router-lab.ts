// A router between network namespaces for test/e2e: client - router - server
// (test/netns/topology.sh --router), the rules of host/rules/iptables-nft.sh
// and `ntokd run` in the router, send.py's sink in the server, tcpdump on the
// client's and the server's interface. What a flow looked like on the wire is
// read from the captures with tshark, never from ntokd's counters.
//
// Namespaces are `ntoke2e-{c,r,s}-<pid of the test process>`; leftovers of
// runs whose process is gone are removed first. Traffic stays inside them:
// send.py refuses destinations outside the documentation prefixes.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './host-runs.js';
import { dissect, namespaces, type FlowsJson, type FlowRecord, type ManifestFlow } from './netns-captures.js';

export const NTOKD = join(REPO, 'build/ntokd');
export const TOPOLOGY = join(REPO, 'test/netns/topology.sh');
export const SEND_PY = join(REPO, 'test/netns/send.py');
export const FLOOD_PY = join(REPO, 'test/netns/flood.py');
export const RULES = join(REPO, 'host/rules/iptables-nft.sh');
const PY = process.env.PYTHON ?? 'python3';
const PREFIX = 'ntoke2e';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 20 ms until it is true; false after `ms`. */
export async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > end) return false;
    await sleep(20);
  }
}

/** Waits for a child to exit (or returns its code at once if it has). */
export function exited(child: ChildProcess, ms = 5000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pid ${child.pid} did not exit within ${ms} ms`)), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Throws, naming what is missing, unless the tools of the suite are there. */
export function requireRouterTools(): void {
  if (process.getuid?.() !== 0) throw new Error('test/e2e needs root (network namespaces, netfilter rules)');
  for (const [cmd, args, pkg] of [
    ['tshark', ['--version'], 'tshark'], ['tcpdump', ['--version'], 'tcpdump'], ['ip', ['netns', 'list'], 'iproute2'],
    ['iptables-nft', ['--version'], 'iptables'], ['nft', ['--version'], 'nftables'], ['conntrack', ['--version'], 'conntrack'],
    [PY, ['--version'], 'python3'],
  ] as const) {
    const r = spawnSync(cmd, args as unknown as string[], { encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new Error(`${cmd} not found: test/e2e needs it (apt-get install ${pkg})`);
  }
  if (!existsSync(NTOKD)) throw new Error(`${NTOKD} is missing: npm run build:host`);
  const help = spawnSync(NTOKD, ['run', '--config', '/nonexistent'], { encoding: 'utf8' });
  if (/without NFQUEUE/.test(help.stderr)) throw new Error(`${NTOKD} was built without NFQUEUE: apt-get install libnetfilter-queue-dev libmnl-dev, then npm run build:host`);
}

/** One packet as tshark dissects it (UDP and TCP only, not the copies inside ICMP errors). */
export interface Pkt {
  time: number;
  sport: number;
  dport: number;
  dscp: number;
  ecn: number;
  ipId: string;
  optionTypes: number[];
  optionData: string[];
}

const FIELDS = ['frame.time_epoch', 'udp.srcport', 'udp.dstport', 'tcp.srcport', 'tcp.dstport', 'ip.dsfield.dscp', 'ipv6.tclass.dscp',
  'ip.dsfield.ecn', 'ipv6.tclass.ecn', 'ip.id', 'ipv6.opt.type', 'ipv6.opt.unknown'] as const;

export function packets(file: string): Pkt[] {
  return dissect(file, FIELDS, ['-Y', '(udp || tcp) && !icmp && !icmpv6']).map((p) => {
    const num = (f: (typeof FIELDS)[number]) => Number(p[f][0]);
    const first = (a: (typeof FIELDS)[number], b: (typeof FIELDS)[number]) => (p[a].length > 0 ? num(a) : num(b));
    return {
      time: num('frame.time_epoch'),
      sport: first('udp.srcport', 'tcp.srcport'),
      dport: first('udp.dstport', 'tcp.dstport'),
      dscp: first('ip.dsfield.dscp', 'ipv6.tclass.dscp'),
      ecn: first('ip.dsfield.ecn', 'ipv6.tclass.ecn'),
      ipId: p['ip.id'][0] ?? '',
      optionTypes: p['ipv6.opt.type'].map((t) => Number(t)),
      optionData: p['ipv6.opt.unknown'].map((d) => d.replace(/:/g, '').toLowerCase()),
    };
  });
}

/** The packets of a flow from the client (`up`) and to it (`down`). */
export function flowPackets(pkts: Pkt[], f: { sport: number; dport: number }): { up: Pkt[]; down: Pkt[] } {
  return {
    up: pkts.filter((p) => p.sport === f.sport && p.dport === f.dport),
    down: pkts.filter((p) => p.sport === f.dport && p.dport === f.sport),
  };
}

/** tcpdump's options beyond the defaults: for captures of floods. */
export interface CaptureOptions {
  /** Bytes kept of each packet (-s); the headers are enough to count and read DSCP. */
  snaplen?: number;
  /** The kernel's capture buffer in KiB (-B): room for a flood while tcpdump writes. */
  bufferKib?: number;
  /** A capture filter (pcap-filter syntax). */
  filter?: string;
  /** Nanosecond time stamps in the file (--time-stamp-precision nano), for one-way delays in µs. */
  nano?: boolean;
}

/** A tcpdump on one interface, stopped with SIGINT (it then writes its last packets). */
export class Capture {
  /** Packets the kernel dropped before tcpdump read them ("packets dropped by kernel"), once stopped. */
  kernelDrops = 0;

  private constructor(readonly file: string, private child: ChildProcess, private err: () => string, private errEnd: Promise<void>) {}

  static async start(ns: string, dev: string, file: string, o: CaptureOptions = {}): Promise<Capture> {
    let err = '';
    const extra = [
      ...(o.snaplen === undefined ? [] : ['-s', String(o.snaplen)]),
      ...(o.bufferKib === undefined ? [] : ['-B', String(o.bufferKib)]),
      ...(o.nano ? ['--time-stamp-precision', 'nano'] : []),
      ...(o.filter === undefined ? [] : [o.filter]),
    ];
    const child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', dev, '-w', file, '--immediate-mode', '-U', '-n', '-Z', 'root', ...extra],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const errEnd = new Promise<void>((resolve) => child.stderr!.once('close', () => resolve()));
    const ok = await waitFor(() => err.includes('listening on') || child.exitCode !== null, 10_000);
    assert.ok(ok && child.exitCode === null, `tcpdump on ${ns} ${dev} did not start: ${err}`);
    return new Capture(file, child, () => err, errEnd);
  }

  /** Stops tcpdump; the file is then complete. */
  async close(): Promise<void> {
    await sleep(50); // the last packets of a flow reach the interface
    this.child.kill('SIGINT');
    const { code } = await exited(this.child);
    assert.equal(code, 0, `tcpdump exited ${code}: ${this.err()}`);
    await Promise.race([this.errEnd, sleep(2000)]); // its counts, printed as it exits
    this.kernelDrops = Number(/(\d+) packets? dropped by kernel/.exec(this.err())?.[1] ?? 0);
  }

  async stop(): Promise<Pkt[]> {
    await this.close();
    return packets(this.file);
  }
}

/** flood.py's payload file: each payload as a 2-byte big-endian length and its bytes. */
export function writePayloads(file: string, payloads: Uint8Array[]): void {
  const parts: Uint8Array[] = [];
  for (const p of payloads) {
    assert.ok(p.length <= 0xffff);
    parts.push(new Uint8Array([p.length >>> 8, p.length & 0xff]), p);
  }
  writeFileSync(file, Buffer.concat(parts));
}

export interface FloodOptions {
  /** Number of one-packet flows; flow i sends payload i modulo their number. */
  flows: number;
  /** Flows per second; 0 or absent: as fast as the machine allows. */
  rate?: number;
  /** Flow i: source port sportBase + i mod sockets, destination port dportBase + i div sockets. */
  sockets?: number;
  sportBase?: number;
  dportBase?: number;
}

/** What flood.py reports (times are wall clock seconds, as tcpdump's). */
export interface FloodStats {
  flows: number;
  sent: number;
  errors: Record<string, number>;
  start: number;
  end: number;
  elapsed: number;
  rate: number;
  late_ms: number;
}

/** The flows flood.py sends, by (source port, destination port). */
export function floodPorts(o: FloodOptions): { sports: [number, number]; dports: [number, number] } {
  const sockets = Math.min(o.sockets ?? 64, o.flows);
  const sport = o.sportBase ?? 20000;
  const dport = o.dportBase ?? 20000;
  return { sports: [sport, sport + sockets - 1], dports: [dport, dport + Math.floor((o.flows - 1) / sockets)] };
}

/** A process's resident set now and at its peak (/proc/<pid>/status VmRSS, VmHWM), KiB. */
export function residentKib(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    assert.ok(m, `no ${name} in /proc/${pid}/status`);
    return Number(m[1]);
  };
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

export interface Daemon {
  child: ChildProcess;
  log: string;
}

/** The three namespaces and what runs in them. */
export class RouterLab {
  readonly client: string;
  readonly router: string;
  readonly server: string;
  readonly addr: Record<string, string> = {};
  private sink: ChildProcess | undefined;

  constructor(readonly dir: string, readonly tag = process.pid) {
    this.client = `${PREFIX}-c-${tag}`;
    this.router = `${PREFIX}-r-${tag}`;
    this.server = `${PREFIX}-s-${tag}`;
  }

  /** Removes namespaces of earlier runs whose process is gone. */
  static removeLeftovers(): void {
    for (const ns of namespaces()) {
      const m = new RegExp(`^${PREFIX}-[crs]-(\\d+)$`).exec(ns);
      if (!m) continue;
      let alive = true;
      try {
        process.kill(Number(m[1]), 0);
      } catch {
        alive = false;
      }
      if (!alive) spawnSync('bash', [TOPOLOGY, 'down', PREFIX, m[1]]);
    }
  }

  up(): void {
    const r = spawnSync('bash', [TOPOLOGY, 'up', '--router', PREFIX, String(this.tag)], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `topology.sh up failed: ${r.stderr}`);
    for (const line of r.stdout.trim().split('\n')) {
      const [k, v] = line.split('=');
      this.addr[k] = v;
    }
  }

  down(): void {
    this.sink?.kill('SIGTERM');
    spawnSync('bash', [TOPOLOGY, 'down', PREFIX, String(this.tag)], { timeout: 30_000 });
  }

  /**
   * A suite's end: ntokd killed and waited for, the namespaces down, the
   * directory removed (NTOK_E2E_KEEP=1 keeps it). A process that was still
   * writing there when the removal listed it made rmdir fail with ENOTEMPTY:
   * the processes are waited for first, and the removal retries.
   */
  async tearDown(daemon: Daemon | undefined): Promise<void> {
    if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) {
      daemon.child.kill('SIGKILL');
      await exited(daemon.child).catch(() => undefined);
    }
    if (this.sink) {
      this.sink.kill('SIGTERM');
      await exited(this.sink).catch(() => undefined);
    }
    this.down();
    if (process.env.NTOK_E2E_KEEP) console.log(`test/e2e: kept ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }

  /** Runs a command in a namespace to completion; fails the test unless it exits 0 (or `allowFail`). */
  exec(ns: string, cmd: string, args: string[], allowFail = false): { code: number | null; out: string; err: string } {
    const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
    if (r.error) throw r.error;
    if (!allowFail) assert.equal(r.status, 0, `${cmd} ${args.join(' ')} in ${ns} exited ${r.status}:\n${r.stderr}`);
    return { code: r.status, out: r.stdout, err: r.stderr };
  }

  /** send.py's sink in the server namespace, answering every flow of `manifest` that asks for replies. */
  async startSink(manifest: ManifestFlow[]): Promise<void> {
    const file = join(this.dir, 'sink-manifest.json');
    const ready = join(this.dir, 'sink.ready');
    writeFileSync(file, JSON.stringify(manifest));
    this.sink = spawn('ip', ['netns', 'exec', this.server, PY, SEND_PY, 'sink', file, '--addr4', this.addr.S4, '--addr6', this.addr.S6,
      '--ready', ready, '--stats', join(this.dir, 'sink.json')], { stdio: 'ignore' });
    assert.ok(await waitFor(() => existsSync(ready) || this.sink!.exitCode !== null, 10_000) && this.sink.exitCode === null, 'the sink did not start');
  }

  /** send.py send in the client namespace: the flows one after another; resolves with what it sent. */
  send(flows: ManifestFlow[], name: string): Promise<FlowRecord[]> {
    const manifest = join(this.dir, `${name}.json`);
    const out = join(this.dir, `${name}-flows.json`);
    writeFileSync(manifest, JSON.stringify(flows));
    const a = this.addr;
    const child = spawn('ip', ['netns', 'exec', this.client, PY, SEND_PY, 'send', manifest, '--src4', a.C4, '--src6', a.C6,
      '--dst4', a.S4, '--dst6', a.S6, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    return exited(child, 60_000).then(({ code }) => {
      assert.equal(code, 0, `send.py send ${name} exited ${code}: ${err}`);
      return (JSON.parse(readFileSync(out, 'utf8')) as FlowsJson).flows;
    });
  }

  /** flood.py in the client namespace, IPv4 to the server; resolves with its statistics. */
  flood(payloads: string, name: string, o: FloodOptions): Promise<FloodStats> {
    const out = join(this.dir, `${name}-flood.json`);
    const args = [FLOOD_PY, payloads, '--src', this.addr.C4, '--dst', this.addr.S4, '--flows', String(o.flows), '--out', out];
    if (o.rate) args.push('--rate', String(o.rate));
    if (o.sockets !== undefined) args.push('--sockets', String(o.sockets));
    if (o.sportBase !== undefined) args.push('--sport-base', String(o.sportBase));
    if (o.dportBase !== undefined) args.push('--dport-base', String(o.dportBase));
    const child = spawn('ip', ['netns', 'exec', this.client, PY, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    return exited(child, 120_000).then(({ code }) => {
      assert.equal(code, 0, `flood.py ${name} exited ${code}: ${err}`);
      return JSON.parse(readFileSync(out, 'utf8')) as FloodStats;
    });
  }

  /** Captures on the client's and the server's interface while `traffic` runs. */
  async captured<T>(name: string, traffic: () => Promise<T>): Promise<{ result: T; client: Pkt[]; server: Pkt[] }> {
    const c = await Capture.start(this.client, 'eth0', join(this.dir, `${name}-client.pcap`));
    const s = await Capture.start(this.server, 'eth0', join(this.dir, `${name}-server.pcap`));
    let result: T | undefined;
    let failure: unknown;
    try {
      result = await traffic();
    } catch (e) {
      failure = e;
    }
    const client = await c.stop();
    const server = await s.stop();
    if (failure !== undefined) throw failure;
    return { result: result as T, client, server };
  }

  /** `ntokd run` in the router, its log (stderr, -vv) in `log`; resolves once it answers on its control socket. */
  async startNtokd(args: string[], log: string): Promise<Daemon> {
    const fd = openSync(log, 'a');
    const child = spawn('ip', ['netns', 'exec', this.router, NTOKD, 'run', ...args], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const control = args[args.indexOf('--control') + 1];
    const up = await waitFor(() => child.exitCode !== null || (this.queueBound() && this.status(control, true) !== null), 10_000);
    assert.ok(up && child.exitCode === null, `ntokd did not start (exit ${child.exitCode}):\n${readFileSync(log, 'utf8')}`);
    return { child, log };
  }

  /** ntokd status --control <path> as JSON (null when it cannot reach ntokd and `quiet`). */
  status(control: string, quiet = false): Status | null {
    const r = spawnSync(NTOKD, ['status', '--control', control], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) {
      if (quiet) return null;
      assert.fail(`ntokd status exited ${r.status}: ${r.stderr}`);
    }
    return JSON.parse(r.stdout) as Status;
  }

  /**
   * The kernel's figures for NFQUEUE `queue` in the router (/proc/net/netfilter/nfnetlink_queue), null when
   * nothing is bound: packets waiting now, dropped (queue full, without fail-open), failed to reach the socket,
   * and the last packet id given. A packet that found the queue full under fail-open gets no id and no count.
   */
  queueStats(queue = 0): { waiting: number; dropped: number; userDropped: number; idSequence: number } | null {
    const r = spawnSync('ip', ['netns', 'exec', this.router, 'cat', '/proc/net/netfilter/nfnetlink_queue'], { encoding: 'utf8' });
    const cols = r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((c) => c[0] === String(queue));
    if (!cols) return null;
    return { waiting: Number(cols[2]), dropped: Number(cols[5]), userDropped: Number(cols[6]), idSequence: Number(cols[7]) };
  }

  /** Whether a process is bound to NFQUEUE `queue` in the router (/proc/net/netfilter/nfnetlink_queue is per namespace). */
  queueBound(queue = 0): boolean {
    const r = spawnSync('ip', ['netns', 'exec', this.router, 'cat', '/proc/net/netfilter/nfnetlink_queue'], { encoding: 'utf8' });
    return r.stdout.split('\n').some((l) => l.trim().split(/\s+/)[0] === String(queue));
  }
}

export interface Status {
  daemon: {
    pid: number; queue: number; config: string; uptime: number; time_limit_ms: number; memory_bytes: number; memory_max_pages: number;
    queued: number; verdicts: { accept: number; drop: number }; marked: number; undecided: number; rewritten: number; tagged: number;
    unparsed: number; traps: number; late_verdicts: number; netlink_errors: number;
    watchdog_pid: number; watchdog_releases: number; watchdog_restarts: number;
    reloads: number; reload_failures: number; reload_error: string | null; status_requests: number;
  };
  core: { packets: number; fast_path: number; verifications: number; rate_limited: number; tagged: number; washed: number;
    decisions: Record<string, number>; flows: { active: number; capacity: number; evictions: number } } & Record<string, unknown>;
}
