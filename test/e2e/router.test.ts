// ntokd on a router, end to end (issue 6): client - router - server network
// namespaces (test/netns/topology.sh), the router forwarding with the rules of
// host/rules/iptables-nft.sh (NFQUEUE with --queue-bypass for flows without a
// verdict, an nft table that saves the mark and sets DSCP) and `ntokd run`
// giving the verdicts. Real Linux-stack traffic from send.py; every outcome is
// read with tshark from tcpdump captures on the server's interface (and the
// client's, for replies and timing), not from ntokd's counters. Tokens are
// minted here with the repository's issuer.
//
// `npm run test:e2e` (root; tshark, tcpdump, iptables-nft, nft, conntrack,
// python3; build/ntokd built with NFQUEUE). NTOK_E2E_KEEP=1 keeps the scratch
// directory (captures, manifests, ntokd's log).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keygen, mintToken, type Jwk, type KeyPair, type NetworkClaims } from '../../src/issuer/index.js';
import type { FlowRecord, ManifestFlow } from '../support/netns-captures.js';
import {
  RULES, RouterLab, exited, flowPackets, requireRouterTools, waitFor, type Daemon, type Pkt, type Status,
} from '../support/router-lab.js';

const TIME_LIMIT_MS = 250;
const EF = 46;
/** topology.sh --router: the client's addresses, which tokens are bound to. */
const C4 = '192.0.2.1';
const C6 = '2001:db8:1::1';
const IOT_PORT = 5683;

const now = Math.floor(Date.now() / 1000);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const op2025 = keygen('HMAC 256/64', 'op-2025');
const op2026 = keygen('HMAC 256/64', 'op-2026');
const fleet = keygen('EdDSA', 'fleet-1');

/** A low-latency (service 1) token, valid for an hour unless the claims say otherwise. */
function token(key: KeyPair, claims: NetworkClaims, reflect: 0 | 1 = 0): string {
  return hex(mintToken({ exp: now + 3600, srv: 1, ...claims }, { key: key.privateJwk, reflect }));
}
const call = token(op2025, { bip: C4 }, 1);
const forged = (() => {
  const t = token(op2025, { bip: C4 });
  return t.slice(0, -2) + (parseInt(t.slice(-2), 16) ^ 1).toString(16).padStart(2, '0'); // the MAC's last byte
})();
const fleetToken = hex(mintToken({ exp: now + 3600, srv: 7, bip: '2001:db8:1::/64' }, { key: fleet.privateJwk }));

function routerConfig(key: Jwk): object {
  return {
    revoked: [4242],
    keysets: { default: { keys: [key] } },
    services: [
      { name: 'low-latency', id: 1, dscp: EF, mark: 16 },
      { name: 'sensor-fleet', id: 7, dscp: 10, mark: 17 },
    ],
    gateway: {
      lan: ['192.0.2.0/24', '2001:db8:1::/64'],
      wash: { dscp: [46, 34, 36, 38], to: 0 },
      // The IoT sensor cannot carry tokens: the router attaches the fleet's to its CoAP flows.
      tagging: [{ source: `${C6}/128`, proto: 'udp', port: IOT_PORT, token: fleetToken, carrier: 'hbh' }],
    },
  };
}

let nextPort = 41000;
type FlowSpec = Omit<ManifestFlow, 'name' | 'sport' | 'packets' | 'carrier'> & Partial<Pick<ManifestFlow, 'packets' | 'carrier'>>;
/** A flow of 4 packets 20 ms apart, no token unless a carrier is given; each flow its own client port. */
const flow = (name: string, f: FlowSpec): ManifestFlow =>
  ({ name, sport: nextPort++, packets: 4, interval_ms: 20, carrier: 'none', ...f });

const VERDICTS = [
  flow('stun-token', { family: 4, carrier: 'stun', token: call, packets: 6, reply: true, ecn: 1 }),
  flow('hbh-token', { family: 6, carrier: 'hbh', token: token(op2025, { bip: C6 }), packets: 6, reply: true, ecn: 2 }),
  flow('dstopts-token', { family: 6, carrier: 'dstopts', token: token(op2025, { bip: '2001:db8:1::/64' }), reply: true }),
  flow('forged', { family: 4, carrier: 'stun', token: forged }),
  flow('expired', { family: 4, carrier: 'stun', token: token(op2025, { bip: C4, exp: now - 600 }) }),
  flow('revoked', { family: 4, carrier: 'stun', token: token(op2025, { bip: C4, nti: 4242 }) }),
  flow('wrong-binding', { family: 4, carrier: 'stun', token: token(op2025, { bip: '192.0.2.99' }) }),
  flow('wrong-binding6', { family: 6, carrier: 'hbh', token: token(op2025, { bip: '2001:db8:1::99' }) }),
  flow('no-token', { family: 4, reply: true }),
  flow('no-token6', { family: 6, reply: true }),
  flow('pre-marked', { family: 4, dscp: EF, ecn: 1 }),
  flow('pre-marked6', { family: 6, dscp: EF, ecn: 2 }),
  flow('iot', { family: 6, dport: IOT_PORT, ecn: 1 }),
];
const LONG = flow('long-call', { family: 4, carrier: 'stun', token: token(op2025, { bip: C4 }), packets: 60, interval_ms: 25, reply: true });
const OLD_KEY = flow('old-key', { family: 4, carrier: 'stun', token: token(op2025, { bip: C4 }) });
const NEW_KEY = flow('new-key', { family: 4, carrier: 'stun', token: token(op2026, { bip: C4 }), reply: true });
const AFTER_REFUSED = flow('after-refused', { family: 6, carrier: 'hbh', token: token(op2026, { bip: C6 }) });
const STOPPED = flow('while-stopped', { family: 4, packets: 10, interval_ms: 20, reply: true });
const KILLED = flow('while-killed', { family: 4, carrier: 'stun', token: token(op2026, { bip: C4 }), reply: true });
const RESTARTED = flow('restarted', { family: 4, carrier: 'stun', token: token(op2026, { bip: C4 }), reply: true });
const ALL = [...VERDICTS, LONG, OLD_KEY, NEW_KEY, AFTER_REFUSED, STOPPED, KILLED, RESTARTED];

const sent = (records: FlowRecord[], name: string): FlowRecord => {
  const r = records.find((x) => x.name === name);
  assert.ok(r, `send.py did not report flow ${name}`);
  return r;
};

/** Every one of `n` packets arrived, each with this DSCP (and ECN). */
function assertDscp(pkts: Pkt[], n: number, dscp: number, what: string, ecn?: number): void {
  assert.equal(pkts.length, n, `${what}: ${pkts.length} of ${n} packets arrived`);
  assert.deepEqual(pkts.map((p) => p.dscp), Array(n).fill(dscp), `${what}: DSCP of each packet`);
  if (ecn !== undefined) assert.deepEqual(pkts.map((p) => p.ecn), Array(n).fill(ecn), `${what}: ECN of each packet`);
}

describe('ntokd run on a router (NFQUEUE, iptables-nft, nft)', { timeout: 170_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ntok-e2e-'));
  const lab = new RouterLab(dir);
  const configFile = join(dir, 'router.json');
  const control = join(dir, 'ntokd.sock');
  const log = join(dir, 'ntokd.log');
  const args = ['--config', configFile, '--control', control, '--time-limit', String(TIME_LIMIT_MS), '-v', '-v'];
  const logText = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  let daemon: Daemon;
  let verdicts: { result: FlowRecord[]; client: Pkt[]; server: Pkt[] };
  let beforeVerdicts: Status;
  let afterVerdicts: Status;

  before(async () => {
    requireRouterTools();
    RouterLab.removeLeftovers();
    lab.up();
    assert.equal(lab.addr.C4, C4);
    assert.equal(lab.addr.C6, C6);
    writeFileSync(configFile, JSON.stringify(routerConfig(op2025.publicJwk)));
    lab.exec(lab.router, 'sh', [RULES, 'up', '0', configFile]);
    await lab.startSink(ALL);
    daemon = await lab.startNtokd(args, log);
    beforeVerdicts = lab.status(control)!;
    verdicts = await lab.captured('verdicts', () => lab.send(VERDICTS, 'verdicts'));
    afterVerdicts = lab.status(control)!;
  });

  after(() => lab.tearDown(daemon));

  const up = (name: string): Pkt[] => flowPackets(verdicts.server, sent(verdicts.result, name)).up;
  const down = (name: string): Pkt[] => flowPackets(verdicts.client, sent(verdicts.result, name)).down;

  test('a flow whose first STUN request carries a valid token arrives EF on every packet, and its replies return EF', () => {
    const f = sent(verdicts.result, 'stun-token');
    assertDscp(up('stun-token'), f.packets, EF, 'client to server', 1);
    assert.equal(f.replies_received, f.packets);
    assertDscp(down('stun-token'), f.packets, EF, 'server to client');
  });

  test('an IPv6 flow with the token in a Hop-by-Hop option arrives EF, replies too', () => {
    const f = sent(verdicts.result, 'hbh-token');
    assertDscp(up('hbh-token'), f.packets, EF, 'client to server', 2);
    assertDscp(down('hbh-token'), f.packets, EF, 'server to client');
  });

  test('an IPv6 flow with the token in a Destination option (bound to the /64) arrives EF, replies too', () => {
    const f = sent(verdicts.result, 'dstopts-token');
    assertDscp(up('dstopts-token'), f.packets, EF, 'client to server');
    assertDscp(down('dstopts-token'), f.packets, EF, 'server to client');
  });

  for (const name of ['forged', 'expired', 'revoked', 'wrong-binding', 'wrong-binding6', 'no-token', 'no-token6']) {
    test(`a flow with ${name === 'no-token' || name === 'no-token6' ? 'no token' : `a ${name} token`} (IPv${name.endsWith('6') ? 6 : 4}) arrives unmarked`, () => {
      assertDscp(up(name), sent(verdicts.result, name).packets, 0, name);
    });
  }

  test('a flow pre-marked EF without a token arrives washed: DSCP 0, ECN kept (IPv4 and IPv6)', () => {
    assertDscp(up('pre-marked'), sent(verdicts.result, 'pre-marked').packets, 0, 'IPv4', 1);
    assertDscp(up('pre-marked6'), sent(verdicts.result, 'pre-marked6').packets, 0, 'IPv6', 2);
    // On the client side they left with EF: the router washed them.
    assert.ok(flowPackets(verdicts.client, sent(verdicts.result, 'pre-marked')).up.every((p) => p.dscp === EF));
  });

  test('the router tags the IoT sensor\'s flow: the server sees option 0x1f carrying the fleet token', () => {
    const f = sent(verdicts.result, 'iot');
    const atServer = up('iot');
    const atClient = flowPackets(verdicts.client, f).up;
    assert.equal(atServer.length, f.packets);
    assert.deepEqual(atClient.map((p) => p.optionTypes.length), Array(f.packets).fill(0), 'the sensor sent no option');
    assert.ok(atServer[0].optionTypes.includes(0x1f), `first packet: options ${atServer[0].optionTypes}`);
    assert.deepEqual(atServer[0].optionData, [fleetToken], 'the option carries the fleet token');
    // Only the first packet is queued (and tagged): the flow then has its mark.
    assert.deepEqual(atServer.slice(1).map((p) => p.optionTypes.length), Array(f.packets - 1).fill(0));
    assertDscp(atServer, f.packets, 0, 'iot', 1);
  });

  test('only the first packet of each flow reaches ntokd: the rest stay in the kernel', (t) => {
    const packetsSent = verdicts.result.reduce((n, f) => n + f.packets + f.replies_received, 0);
    const queued = afterVerdicts.daemon.queued - beforeVerdicts.daemon.queued;
    t.diagnostic(`${VERDICTS.length} flows, ${packetsSent} packets both ways, ${queued} queued to ntokd`);
    assert.equal(queued, VERDICTS.length);
    const d = afterVerdicts.core.decisions;
    assert.equal(d.ok, 3);
    assert.equal(d.washed, 2);
    for (const code of ['bad-mac', 'expired', 'revoked']) assert.equal(d[code], 1, code);
    assert.equal(d['wrong-binding'], 2);
    assert.equal(afterVerdicts.daemon.tagged, 1);
  });

  test('SIGHUP with a new key set keeps marked flows marked (also after conntrack forgets them); new flows need the new key', async (t) => {
    const before = lab.status(control)!;
    const { result, client, server } = await lab.captured('reload', async () => {
      const long = lab.send([LONG], 'reload-long');
      // The reload comes once the kernel has the call's decision (its conntrack mark).
      const marked = (): boolean =>
        /mark=16 /.test(lab.exec(lab.router, 'conntrack', ['-L', '-p', 'udp', '--sport', String(LONG.sport)], true).out);
      assert.ok(await waitFor(marked, 10_000), 'the call was never marked');
      writeFileSync(configFile, JSON.stringify(routerConfig(op2026.publicJwk)));
      daemon.child.kill('SIGHUP');
      assert.ok(await waitFor(() => lab.status(control)!.daemon.reloads === before.daemon.reloads + 1, 3000), 'no reload');
      // The kernel forgets every decision: the call's next packets go to ntokd again, which must still know the flow.
      lab.exec(lab.router, 'conntrack', ['-F']);
      const longSent = await long;
      return [...longSent, ...(await lab.send([OLD_KEY, NEW_KEY], 'reload-new'))];
    });
    const after = lab.status(control)!;
    const f = sent(result, LONG.name);
    assertDscp(flowPackets(server, f).up, f.packets, EF, 'the call, client to server');
    assertDscp(flowPackets(client, f).down, f.replies_received, EF, 'the call, server to client');
    assert.equal(f.replies_received, f.packets);
    assert.ok(after.core.fast_path > before.core.fast_path, 'the call was queued again after the flush and found decided');
    t.diagnostic(`after the flush ${after.daemon.queued - before.daemon.queued} packets went to ntokd again`);
    assertDscp(flowPackets(server, sent(result, OLD_KEY.name)).up, OLD_KEY.packets, 0, 'a token of the removed key');
    const n = sent(result, NEW_KEY.name);
    assertDscp(flowPackets(server, n).up, n.packets, EF, 'a token of the new key');
    assertDscp(flowPackets(client, n).down, n.replies_received, EF, 'its replies');
    assert.match(logText(), /reloaded .*router\.json/);
  });

  test('a configuration the core refuses on SIGHUP is logged, and the one in force stays', async () => {
    const before = lab.status(control)!;
    writeFileSync(configFile, JSON.stringify({ keysets: { default: { keys: [{ kty: 'oct', kid: 'x', alg: 'HMAC 256/64', k: 'AAAA' }] } } }));
    daemon.child.kill('SIGHUP');
    assert.ok(await waitFor(() => lab.status(control)!.daemon.reload_failures === before.daemon.reload_failures + 1, 3000));
    const s = lab.status(control)!;
    assert.match(s.daemon.reload_error ?? '', /keysets\.default\.keys\[0\]/);
    assert.match(logText(), /reload refused, the configuration in force stays: .*keysets\.default\.keys\[0\]/);
    const { result, server } = await lab.captured('refused', () => lab.send([AFTER_REFUSED], 'refused'));
    assertDscp(flowPackets(server, sent(result, AFTER_REFUSED.name)).up, AFTER_REFUSED.packets, EF, 'a token of the key in force');
    writeFileSync(configFile, JSON.stringify(routerConfig(op2026.publicJwk)));
  });

  test('a TCP connection passes; only its first packet reaches ntokd and conntrack keeps its mark', async () => {
    const before = lab.status(control)!.daemon.queued;
    const ready = join(dir, 'tcp.ready');
    const server = lab.exec(lab.server, 'sh', ['-c', `python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("${lab.addr.S4}", 8443)); s.listen(1); open("${ready}", "w").close()
c, _ = s.accept(); n = 0
while True:
    d = c.recv(65536)
    if not d: break
    n += len(d)
print(n)' & until [ -e ${ready} ]; do sleep 0.02; done
ip netns exec ${lab.client} python3 -c 'import socket; s = socket.create_connection(("${lab.addr.S4}", 8443)); s.sendall(b"x" * 200000); s.close()'
wait`]);
    assert.equal(server.out.trim(), '200000');
    assert.equal(lab.status(control)!.daemon.queued - before, 1);
    const ct = lab.exec(lab.router, 'conntrack', ['-L', '-p', 'tcp', '--dport', '8443']);
    assert.match(ct.out, /dport=8443 .*mark=1 /, ct.out);
  });

  test('ntokd status prints the core\'s status and the daemon\'s counters as one JSON object', () => {
    const s = lab.status(control)!;
    assert.equal(s.daemon.pid, daemon.child.pid);
    assert.equal(s.daemon.queue, 0);
    assert.equal(s.daemon.config, configFile);
    assert.equal(s.daemon.time_limit_ms, TIME_LIMIT_MS);
    assert.equal(s.daemon.queued, s.core.packets, 'every queued packet went through process()');
    assert.equal(s.daemon.verdicts.accept + s.daemon.verdicts.drop, s.daemon.queued);
    assert.equal(s.daemon.marked, s.daemon.queued, 'every decided flow has a nonzero mark');
    assert.equal(s.daemon.traps, 0);
    assert.equal(s.daemon.reloads, 1);
    assert.equal(s.daemon.reload_failures, 1);
    assert.equal(s.daemon.watchdog_releases, 0);
    assert.ok(s.daemon.rewritten >= 5 && s.daemon.tagged === 1, JSON.stringify(s.daemon));
    assert.ok(s.core.flows.active > 0 && s.core.verifications > 0);
  });

  test('a watchdog that dies is started again', async () => {
    const before = lab.status(control)!.daemon;
    assert.ok(before.watchdog_pid > 0);
    process.kill(before.watchdog_pid, 'SIGKILL');
    assert.ok(await waitFor(() => lab.status(control)!.daemon.watchdog_restarts === before.watchdog_restarts + 1, 3000));
    const now = lab.status(control)!.daemon;
    assert.notEqual(now.watchdog_pid, before.watchdog_pid);
    process.kill(now.watchdog_pid, 0); // alive
    assert.match(logText(), /watchdog exited \(signal 9\): starting it again/);
  });

  test('SIGSTOP: a stopped ntokd holds no packet longer than the time limit', async (t) => {
    const before = lab.status(control)!;
    const { result, client, server } = await lab.captured('stopped', async () => {
      daemon.child.kill('SIGSTOP');
      try {
        return await lab.send([STOPPED], 'stopped');
      } finally {
        daemon.child.kill('SIGCONT');
      }
    });
    const f = sent(result, STOPPED.name);
    const delays = (from: Pkt[], to: Pkt[]): number[] =>
      from.map((p) => {
        const q = to.find((x) => x.ipId === p.ipId);
        assert.ok(q, `packet ${p.ipId} never arrived`);
        return (q.time - p.time) * 1000;
      });
    const out = delays(flowPackets(client, f).up, flowPackets(server, f).up);
    const back = delays(flowPackets(server, f).down, flowPackets(client, f).down);
    assert.equal(out.length, f.packets);
    assert.equal(back.length, f.replies_received);
    assert.equal(f.replies_received, f.packets);
    const all = [...out, ...back];
    const max = Math.max(...all);
    t.diagnostic(`delays (ms) client to server ${out.map((d) => d.toFixed(0)).join(' ')}; back ${back.map((d) => d.toFixed(0)).join(' ')}`);
    assert.ok(max < TIME_LIMIT_MS, `a packet waited ${max.toFixed(1)} ms (limit ${TIME_LIMIT_MS} ms)`);
    assert.ok(max > TIME_LIMIT_MS / 4, `no packet was held (max ${max.toFixed(1)} ms): was ntokd stopped?`);
    const s = lab.status(control)!;
    assert.ok(s.daemon.watchdog_releases > before.daemon.watchdog_releases);
    assert.match(logText(), /watchdog: ntokd gave no verdict within 250 ms/);
  });

  test('SIGKILL: traffic flows on unmarked (fail-open), and a restarted ntokd marks new flows again', async () => {
    daemon.child.kill('SIGKILL');
    await exited(daemon.child);
    assert.ok(await waitFor(() => !lab.queueBound(), 2000), 'the queue stayed bound after SIGKILL (did the watchdog outlive ntokd?)');
    const killed = await lab.captured('killed', () => lab.send([KILLED], 'killed'));
    const k = sent(killed.result, KILLED.name);
    assertDscp(flowPackets(killed.server, k).up, k.packets, 0, 'a valid token while ntokd is down');
    assert.equal(k.replies_received, k.packets);
    assertDscp(flowPackets(killed.client, k).down, k.packets, 0, 'its replies');

    daemon = await lab.startNtokd(args, log);
    const restarted = await lab.captured('restarted', () => lab.send([RESTARTED], 'restarted'));
    const r = sent(restarted.result, RESTARTED.name);
    assertDscp(flowPackets(restarted.server, r).up, r.packets, EF, 'after the restart');
    assertDscp(flowPackets(restarted.client, r).down, r.replies_received, EF, 'its replies');
  });

  test('SIGTERM: ntokd exits 0, unbinds the queue and removes its control socket', async () => {
    daemon.child.kill('SIGTERM');
    const { code } = await exited(daemon.child);
    assert.equal(code, 0);
    assert.equal(lab.queueBound(), false);
    assert.equal(existsSync(control), false);
    assert.match(logText(), /stopping: \d+ packets queued/);
  });
});
