// The router load benchmark (issue 6 item 8): `ntokd run` in network
// namespaces (client - router - server, test/netns/topology.sh), the rules of
// host/rules/iptables-nft.sh, real traffic from test/netns/flood.py, and
// tcpdump on the client's and the server's interface.
//   - new flows per second ntokd sustains: one-packet UDP flows offered at a
//     fixed rate for a second, the rate doubled until a step fails, then
//     bisected. A step is sustained when every flow arrives at the server and
//     is decided: EF at the server for flows whose first packet is a STUN
//     request with a Mac0 (HMAC 256/64) token (each token different: each is
//     verified), counted by ntokd (its no-token decisions) for flows without
//     one. ntokd is restarted and conntrack flushed before each step.
//   - the first packet's one-way delay, client's interface to server's, with
//     the queue rule and ntokd against no rules at all and against conntrack
//     and the nft table without the queue rule, in the same run.
// Needs root and the tools of test/e2e (tcpdump, tshark, iptables-nft, nft,
// conntrack, python3) and build/ntokd with NFQUEUE; without them it says why
// and measures nothing. See docs/performance.md, "Router load (issue 6)".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { keygen, mintToken } from '../src/issuer/index.js';
import { stunBindingRequest } from '../test/support/captures.js';
import { dissect } from '../test/support/netns-captures.js';
import {
  Capture, NTOKD, RULES, RouterLab, exited, floodPorts, requireRouterTools, waitFor, writePayloads,
  type Daemon, type FloodOptions, type FloodStats, type Status,
} from '../test/support/router-lab.js';
import { fmt, type Section } from './report.js';

const EF = 46;
const C4 = '192.0.2.1';
const SERVICE_MARK = 16;
/** The ladder starts here and doubles; 3 bisections then place the limit within about 9 %. */
const FIRST_RATE = 1000;
const MAX_RATE = 256_000;
/** The sender must offer at least this share of the rate asked for, or the step measures the sender. */
const SENDER_KEEPS_UP = 0.97;
/** The first-packet delay: flows per run at this rate (one every millisecond: nothing queues). */
const LATENCY_RATE = 1000;
const WARM_UP_FLOWS = 100;
/** Destination ports the server drops quietly (no ICMP back through the router). */
const DROPPED_PORTS = '20000-65535';

type Kind = 'token' | 'none';
const KIND_LABEL: Record<Kind, string> = {
  token: 'Mac0 HMAC 256/64 token in a STUN request (each verified)',
  none: 'no token (a media packet)',
};

function fail(what: string): never {
  throw new Error(`benchmark self-check failed: ${what}`);
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');

interface Step {
  kind: Kind;
  rate: number;
  flows: number;
  sent: number;
  sentRate: number;
  arrived: number;
  decided: number;
  queued: number;
  /** Flows ntokd never saw: the kernel found the queue full or ntokd's socket full (fail-open). */
  failedOpen: number;
  sustained: boolean;
  senderBound: boolean;
}

interface Delays {
  row: string;
  kind: Kind;
  setup: 'none' | 'nft' | 'queue';
  flows: number;
  us: number[];
}

interface Summary {
  row: string;
  kind: Kind;
  setup: Delays['setup'];
  flows: number;
  median: number;
  p99: number;
  max: number;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];

/** Packets in a capture that match a pcap filter (tcpdump reads 10^5 packets in a fraction of tshark's time). */
function count(file: string, filter: string): number {
  const r = spawnSync('tcpdump', ['-r', file, '-n', '-q', filter], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) fail(`tcpdump -r ${file} ${filter}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.length > 0).length;
}

const portFilter = (o: FloodOptions): string => {
  const { sports, dports } = floodPorts(o);
  return `udp and src portrange ${sports[0]}-${sports[1]} and dst portrange ${dports[0]}-${dports[1]}`;
};

/** Why the section cannot run here, or null. */
function unavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, netfilter rules)';
  try {
    requireRouterTools();
  } catch (e) {
    return (e as Error).message;
  }
  // ntokd refuses a module other than the one it was built for (exit 2, as bench/ntokd.ts probes it).
  const dir = mkdtempSync(join(tmpdir(), 'ntok-bench-probe-'));
  try {
    const noKeys = join(dir, 'no-keys.json');
    writeFileSync(noKeys, '{"keys":[]}');
    const probe = spawnSync(NTOKD, ['verify', '00', '--keys', noKeys], { encoding: 'utf8' });
    if (probe.status === 2) return `build/ntokd cannot run build/ntok.wasm (npm run build:host): ${probe.stderr.trim()}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return null;
}

export async function loadBench(quick: boolean): Promise<Section> {
  const started = performance.now();
  const out: string[] = [''];
  out.push('router load (issue 6) — ntokd run between network namespaces (client - router - server), host/rules/iptables-nft.sh');
  const why = unavailable();
  if (why !== null) {
    out.push(`  skipped: ${why}`);
    return { out, targets: [], json: { skipped: why } };
  }
  const stepSeconds = quick ? 0.25 : 1;
  const bisections = quick ? 1 : 3;
  const latencyFlows = quick ? 200 : 1000;
  const latencyRounds = quick ? 1 : 2;

  const dir = mkdtempSync(join(tmpdir(), 'ntok-bench-load-'));
  const lab = new RouterLab(dir);
  let daemon: Daemon | undefined;
  try {
    RouterLab.removeLeftovers();
    lab.up();
    if (lab.addr.C4 !== C4) fail(`the client is ${lab.addr.C4}, tokens are bound to ${C4}`);
    const key = keygen('HMAC 256/64', 'load');
    const config = join(dir, 'router.json');
    writeFileSync(config, JSON.stringify({
      keysets: { default: { keys: [key.publicJwk] } },
      services: [{ name: 'low-latency', id: 1, dscp: EF, mark: SERVICE_MARK }],
      gateway: {
        lan: ['192.0.2.0/24', '2001:db8:1::/64'],
        // Lifted: the benchmark measures ntokd, not the limiter (test/e2e/flood.test.ts checks that).
        rate_limit: { per_second: 1e6, burst: 1e6, per_source_per_second: 1e6, per_source_burst: 1e6 },
      },
    }));
    lab.exec(lab.server, 'nft', [`add table inet sink; add chain inet sink input { type filter hook input priority 0; policy accept; }; add rule inet sink input udp dport ${DROPPED_PORTS} drop`]);
    const control = join(dir, 'ntokd.sock');
    const log = join(dir, 'ntokd.log');
    const startNtokd = () => lab.startNtokd(['--config', config, '--control', control], log);
    const stopNtokd = async () => {
      if (!daemon) return;
      daemon.child.kill('SIGTERM');
      const { code } = await exited(daemon.child);
      if (code !== 0) fail(`ntokd exited ${code}`);
      daemon = undefined;
    };
    const status = (): Status => lab.status(control)!;
    const rules = (setup: Delays['setup']) => {
      lab.exec(lab.router, 'sh', [RULES, 'down']);
      if (setup === 'queue') lab.exec(lab.router, 'sh', [RULES, 'up', '0', config]);
      if (setup === 'nft') lab.exec(lab.router, 'sh', ['-c', `sh ${RULES} nft ${config} | nft -f -`]);
    };

    // Payloads: distinct valid tokens (minted as the ladder needs them), or RTP-like media.
    const now = Math.floor(Date.now() / 1000);
    const tokens: Uint8Array[] = [];
    const payloadFile: Record<Kind, string> = { token: join(dir, 'token.bin'), none: join(dir, 'none.bin') };
    const media = new Uint8Array(172).fill(0x55);
    media[0] = 0x80;
    writePayloads(payloadFile.none, [media]);
    const ensureTokens = (count: number) => {
      if (tokens.length >= count) return;
      while (tokens.length < count) {
        const t = mintToken({ exp: now + 3600, srv: 1, bip: C4, nti: tokens.length + 1 }, { key: key.privateJwk });
        tokens.push(stunBindingRequest(t, tokens.length));
      }
      writePayloads(payloadFile.token, tokens);
    };

    /** One step of the ladder: `rate` flows/s for stepSeconds, a fresh ntokd, conntrack empty. */
    const step = async (kind: Kind, rate: number): Promise<Step> => {
      const flows = Math.max(200, Math.round(rate * stepSeconds));
      if (kind === 'token') ensureTokens(flows);
      const o: FloodOptions = { flows, rate, sockets: 64, sportBase: 20000, dportBase: 20000 };
      lab.exec(lab.router, 'conntrack', ['-F'], true);
      daemon = await startNtokd();
      const before = status();
      const capture = await Capture.start(lab.server, 'eth0', join(dir, `${kind}-${rate}.pcap`), { snaplen: 64, bufferKib: 65536, filter: 'udp' });
      let sent: FloodStats;
      try {
        sent = await lab.flood(payloadFile[kind], `${kind}-${rate}`, o);
        // ntokd has answered every packet the kernel gave it.
        let last = -1;
        await waitFor(() => {
          const q = status().daemon.queued;
          const done = q === last && lab.queueStats()!.waiting === 0;
          last = q;
          return done;
        }, 5000);
      } finally {
        await capture.close();
      }
      const after = status();
      await stopNtokd();
      const filter = portFilter(o);
      const arrived = count(capture.file, filter);
      const queued = after.daemon.queued - before.daemon.queued;
      if (after.daemon.traps !== 0) fail(`ntokd trapped at ${rate} ${kind} flows/s`);
      if (kind === 'token' && after.core.cache_hits !== before.core.cache_hits) fail('a token came from the cache: tokens must all differ');
      const decided = kind === 'token'
        ? count(capture.file, `${filter} and (ip[1] & 0xfc) = ${EF << 2}`)
        : (after.core.decisions['no-token'] ?? 0) - (before.core.decisions['no-token'] ?? 0);
      return {
        kind, rate, flows, sent: sent.sent, sentRate: sent.rate, arrived, decided, queued,
        failedOpen: sent.sent - queued,
        sustained: sent.sent === flows && arrived === flows && decided === flows,
        senderBound: sent.rate < SENDER_KEEPS_UP * rate,
      };
    };

    // ---- New flows per second.
    rules('queue');
    const steps: Step[] = [];
    const sustained: Record<Kind, { rate: number; bound: 'ntokd' | 'sender' | 'ceiling' }> = {
      token: { rate: 0, bound: 'ntokd' },
      none: { rate: 0, bound: 'ntokd' },
    };
    for (const kind of ['token', 'none'] as Kind[]) {
      process.stderr.write(`router load: new ${kind === 'token' ? 'token' : 'no-token'} flows per second...\n`);
      let lo = 0;
      let hi = 0;
      // A failed step fails at the rate the sender reached; a sustained step whose sender fell short is as far as
      // the sender goes (it shares the two CPUs with ntokd and the kernel's forwarding).
      for (let rate = FIRST_RATE; ; rate *= 2) {
        const s = await step(kind, rate);
        steps.push(s);
        if (!s.sustained) {
          hi = Math.min(rate, Math.floor(s.sentRate / 100) * 100);
          break;
        }
        if (s.senderBound) {
          lo = Math.floor(s.sentRate / 100) * 100;
          sustained[kind].bound = 'sender';
          break;
        }
        lo = rate;
        if (rate * 2 > MAX_RATE) {
          sustained[kind].bound = 'ceiling';
          break;
        }
      }
      if (lo === 0) fail(`at ${n(FIRST_RATE)} ${kind} flows/s not every flow was decided: ${JSON.stringify(steps[steps.length - 1])}`);
      for (let k = 0; hi > 0 && k < bisections; k++) {
        const rate = Math.round(Math.sqrt(lo * hi) / 100) * 100;
        if (rate <= lo || rate >= hi) break;
        const s = await step(kind, rate);
        steps.push(s);
        if (s.sustained) lo = rate;
        else hi = rate;
      }
      sustained[kind].rate = lo;
    }

    // ---- First-packet delay: no rules, conntrack + the nft table, the queue rule + ntokd; both kinds; alternated.
    process.stderr.write('router load: first-packet delay...\n');
    ensureTokens(latencyFlows * latencyRounds + WARM_UP_FLOWS);
    daemon = await startNtokd();
    {
      // Warm-up, not recorded: the first packets through a new ntokd and new rules take longer.
      rules('queue');
      const warm = join(dir, 'warm-up.bin');
      writePayloads(warm, tokens.slice(-WARM_UP_FLOWS));
      await lab.flood(warm, 'warm-up', { flows: WARM_UP_FLOWS, rate: LATENCY_RATE, sockets: 4, sportBase: 29000, dportBase: 40000 });
    }
    const delays: Delays[] = [];
    const rows: [Delays['setup'], Kind, string][] = [
      ['none', 'none', 'no rules: the kernel forwards'],
      ['none', 'token', 'no rules: the kernel forwards'],
      ['nft', 'none', 'conntrack + nft table, no queue rule'],
      ['nft', 'token', 'conntrack + nft table, no queue rule'],
      ['queue', 'none', 'queue rule + ntokd'],
      ['queue', 'token', 'queue rule + ntokd (token verified)'],
    ];
    let run = 0;
    for (let round = 0; round < latencyRounds; round++) {
      for (const [setup, kind, row] of rows) {
        rules(setup);
        lab.exec(lab.router, 'conntrack', ['-F'], true);
        // Each run its own source ports and (for tokens) its own tokens: every flow is new to ntokd.
        const o: FloodOptions = { flows: latencyFlows, rate: LATENCY_RATE, sockets: 16, sportBase: 30000 + 16 * run, dportBase: 40000 };
        const tokenFile = join(dir, `latency-${run}.bin`);
        if (kind === 'token') writePayloads(tokenFile, tokens.slice(round * latencyFlows, (round + 1) * latencyFlows));
        const opts = { filter: portFilter(o), nano: true };
        const client = await Capture.start(lab.client, 'eth0', join(dir, `latency-${run}-client.pcap`), opts);
        const server = await Capture.start(lab.server, 'eth0', join(dir, `latency-${run}-server.pcap`), opts);
        try {
          const sent = await lab.flood(kind === 'token' ? tokenFile : payloadFile.none, `latency-${run}`, o);
          if (sent.sent !== latencyFlows) fail(`latency run ${run}: sent ${sent.sent}: ${JSON.stringify(sent.errors)}`);
        } finally {
          await client.close();
          await server.close();
        }
        const fields = ['frame.time_epoch', 'udp.srcport', 'udp.dstport', 'ip.dsfield.dscp'] as const;
        const read = (file: string) => dissect(file, fields).map((p) => ({
          // tshark prints seconds with 9 decimals: split, so that µs survive a float64.
          ns: BigInt(p['frame.time_epoch'][0].replace('.', '')),
          flow: `${p['udp.srcport'][0]}>${p['udp.dstport'][0]}`,
          dscp: Number(p['ip.dsfield.dscp'][0]),
        }));
        const atServer = new Map(read(server.file).map((p) => [p.flow, p]));
        const us: number[] = [];
        for (const p of read(client.file)) {
          const q = atServer.get(p.flow);
          if (!q) fail(`latency run ${run} (${row}, ${kind}): flow ${p.flow} never arrived`);
          const want = setup === 'queue' && kind === 'token' ? EF : 0;
          if (q.dscp !== want) fail(`latency run ${run} (${row}, ${kind}): flow ${p.flow} arrived with DSCP ${q.dscp}, not ${want}`);
          us.push(Number(q.ns - p.ns) / 1000);
        }
        if (us.length !== latencyFlows) {
          const seen = new Set(read(client.file).map((p) => p.flow));
          const missing = Array.from({ length: latencyFlows }, (_, i) => i).filter((i) => !seen.has(`${o.sportBase! + (i % 16)}>${o.dportBase! + Math.floor(i / 16)}`));
          fail(`latency run ${run}: ${us.length} of ${latencyFlows} flows in the client's capture (tcpdump dropped ${client.kernelDrops}; missing flows ${missing.join(' ')}; at the server ${atServer.size})`);
        }
        const existing = delays.find((d) => d.setup === setup && d.kind === kind);
        if (existing) existing.us.push(...us);
        else delays.push({ row, kind, setup, flows: us.length, us });
        run++;
      }
    }
    const final = status();
    if (final.daemon.traps !== 0) fail('ntokd trapped during the latency runs');
    await stopNtokd();
    lab.exec(lab.router, 'sh', [RULES, 'down']);

    const summaries: Summary[] = delays.map((d) => {
      const s = [...d.us].sort((a, b) => a - b);
      return { row: d.row, kind: d.kind, setup: d.setup, flows: s.length, median: percentile(s, 0.5), p99: percentile(s, 0.99), max: s[s.length - 1] };
    });
    const of = (setup: Delays['setup'], kind: Kind) => summaries.find((s) => s.setup === setup && s.kind === kind)!;

    // ---- Table.
    const W = 58;
    out.push(`  new flows per second: one UDP packet per flow, offered at a fixed rate for ${stepSeconds} s (flood.py), doubled from ${n(FIRST_RATE)}/s`);
    out.push(`  until a step fails, then bisected ${bisections}×; a fresh ntokd and an empty conntrack per step; rate limit lifted`);
    out.push(`  ${'flows'.padEnd(W)} ${'offered/s'.padStart(9)} ${'sent/s'.padStart(8)} ${'arrived'.padStart(8)} ${'decided'.padStart(8)} ${'fail-open'.padStart(9)}`);
    for (const s of steps) {
      out.push(`    ${KIND_LABEL[s.kind].padEnd(W - 2)} ${n(s.rate).padStart(9)} ${n(s.sentRate).padStart(8)} ${n(s.arrived).padStart(8)} ${n(s.decided).padStart(8)} ${n(s.failedOpen).padStart(9)}  ${s.senderBound ? 'sender too slow' : s.sustained ? 'sustained' : 'not sustained'}`);
    }
    out.push('    (decided: EF at the server for token flows, ntokd\'s no-token decisions otherwise; fail-open: flows ntokd never saw)');
    const bound = (k: Kind) => (sustained[k].bound === 'sender' ? ' (the sender\'s limit, not ntokd\'s)' : sustained[k].bound === 'ceiling' ? ' (the ladder\'s top)' : '');
    out.push(`  sustained: ${n(sustained.token.rate)} new flows/s with a Mac0 token${bound('token')}, ${n(sustained.none.rate)} without a token${bound('none')}`);
    out.push('');
    out.push(`  first packet of a new flow, one-way client → server (tcpdump on both interfaces, ns stamps), ${n(latencyFlows * latencyRounds)} flows per row at ${n(LATENCY_RATE)}/s`);
    out.push(`  ${'row'.padEnd(W)} ${'flows'.padStart(6)} ${'median µs'.padStart(10)} ${'p99 µs'.padStart(8)} ${'max µs'.padStart(8)}`);
    for (const s of summaries) {
      out.push(`    ${`${s.row}, ${s.kind === 'token' ? 'Mac0 token' : 'no token'}`.padEnd(W - 2)} ${n(s.flows).padStart(6)} ${fmt(s.median).padStart(10)} ${fmt(s.p99).padStart(8)} ${fmt(s.max).padStart(8)}`);
    }
    const added = (kind: Kind, base: Delays['setup']) =>
      `median +${fmt(of('queue', kind).median - of(base, kind).median)} µs, p99 +${fmt(of('queue', kind).p99 - of(base, kind).p99)} µs`;
    out.push(`    added by the queue rule and ntokd against no rules: no token ${added('none', 'none')}; Mac0 token ${added('token', 'none')}`);
    out.push(`    against conntrack + the nft table alone: no token ${added('none', 'nft')}; Mac0 token ${added('token', 'nft')}`);
    out.push(`  router load section: ${((performance.now() - started) / 1000).toFixed(1)} s`);

    return {
      out,
      targets: [],
      json: { stepSeconds, steps, sustained, latency: { rate: LATENCY_RATE, rows: summaries } },
    };
  } finally {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    lab.down();
    rmSync(dir, { recursive: true, force: true });
  }
}
