// ntokd and conntrack (issue 6): NAT-aware binding behind a masquerading
// router, and decisions withdrawn from connections whose mark the kernel
// already holds (`ntokd revoke`, a token's exp). The topology and tools of
// router.test.ts (test/support/router-lab.ts); the router's WAN side (eth1)
// masquerades, so the server sees every flow from the router's WAN address.
// Outcomes are read with tshark from a capture on the server's interface.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { keygen, mintToken, type NetworkClaims } from '../../src/issuer/index.js';
import type { FlowRecord, ManifestFlow } from '../support/netns-captures.js';
import { NTOKD, RULES, RouterLab, flowPackets, requireRouterTools, waitFor, type Daemon, type Pkt } from '../support/router-lab.js';

const EF = 46;
const C4 = '192.0.2.1';
/** topology.sh --router: the router's WAN address, which masquerading gives every flow. */
const WAN4 = '198.51.100.254';
const key = keygen('HMAC 256/64', 'op-2025');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const token = (claims: NetworkClaims): string =>
  hex(mintToken({ exp: Math.floor(Date.now() / 1000) + 3600, srv: 1, ...claims }, { key: key.privateJwk }));

let nextPort = 43000;
const flow = (name: string, f: Partial<ManifestFlow>): ManifestFlow =>
  ({ name, family: 4, sport: nextPort++, packets: 4, interval_ms: 20, carrier: 'stun', ...f }) as ManifestFlow;

const NAT_BOUND = flow('nat-bound', { token: token({ bip: WAN4 }) });
const NAT_OTHER = flow('nat-other', { token: token({ bip: '198.51.100.77' }) });
const LAN_BOUND = flow('lan-bound', { token: token({ bip: C4 }) });
const REVOKED_CALL = flow('revoked-call', { token: token({ bip: C4, nti: 777 }), packets: 80, interval_ms: 25 });
const EXPIRING = flow('expiring', { token: token({ bip: C4 }), packets: 60, interval_ms: 100 }); // token minted again at send time
const ALL = [NAT_BOUND, NAT_OTHER, LAN_BOUND, REVOKED_CALL, EXPIRING];

const sent = (records: FlowRecord[], name: string): FlowRecord => {
  const r = records.find((x) => x.name === name);
  assert.ok(r, `send.py did not report flow ${name}`);
  return r;
};

describe('ntokd and conntrack: NAT-aware binding, withdrawn marks', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ntok-e2e-ct-'));
  const lab = new RouterLab(dir);
  const configFile = join(dir, 'router.json');
  const control = join(dir, 'ntokd.sock');
  const log = join(dir, 'ntokd.log');
  let daemon: Daemon;

  before(async () => {
    requireRouterTools();
    RouterLab.removeLeftovers();
    lab.up();
    assert.equal(lab.addr.RW4, WAN4);
    writeFileSync(configFile, JSON.stringify({
      leeway: 0,
      keysets: { default: { keys: [key.publicJwk] } },
      services: [{ name: 'low-latency', id: 1, dscp: EF, mark: 16 }],
      gateway: { lan: ['192.0.2.0/24', '2001:db8:1::/64'], wash: { dscp: [46], to: 0 } },
    }));
    lab.exec(lab.router, 'sh', [RULES, 'up', '0', configFile]);
    lab.exec(lab.router, 'iptables-nft', ['-t', 'nat', '-A', 'POSTROUTING', '-o', 'eth1', '-j', 'MASQUERADE']);
    await lab.startSink(ALL);
    daemon = await lab.startNtokd(['--config', configFile, '--control', control, '--masquerade', 'eth1', '-v', '-v'], log);
  });

  after(() => lab.tearDown(daemon));

  const dscps = (pkts: Pkt[]): number[] => pkts.map((p) => p.dscp);
  const ctMark = (sport: number): string =>
    /mark=(\d+)/.exec(lab.exec(lab.router, 'conntrack', ['-L', '-p', 'udp', '--sport', String(sport)], true).out)?.[1] ?? '';

  test('behind masquerading, a token bound to the router\'s WAN address marks the flow; one bound elsewhere does not', async (t) => {
    const { result, server } = await lab.captured('nat', () => lab.send([NAT_BOUND, NAT_OTHER, LAN_BOUND], 'nat'));
    for (const [f, dscp] of [[NAT_BOUND, EF], [NAT_OTHER, 0], [LAN_BOUND, EF]] as const) {
      const up = flowPackets(server, sent(result, f.name)).up;
      assert.deepEqual(dscps(up), Array(f.packets).fill(dscp), `${f.name}: DSCP at the server`);
    }
    const s = lab.status(control)!;
    const ct = readFileSync(log, 'utf8').split('\n').find((l) => l.includes('conntrack: original') || l.includes('no conntrack information'));
    t.diagnostic(`conntrack with the queued packets: ${ct?.replace(/^.*?: /, '') ?? 'none logged'}`);
    t.diagnostic(`nat from conntrack ${(s.daemon as unknown as Record<string, number>).nat}, predicted ${(s.daemon as unknown as Record<string, number>).nat_predicted}`);
    assert.equal(s.core.decisions['wrong-binding'], 1);
  });

  test('ntokd revoke: a marked call\'s next packets arrive unmarked', async (t) => {
    let revokedAt = 0;
    const { result, server } = await lab.captured('revoke', async () => {
      const call = lab.send([REVOKED_CALL], 'revoke');
      assert.ok(await waitFor(() => ctMark(REVOKED_CALL.sport!) === '16', 5000), 'the call was never marked');
      await new Promise((r) => setTimeout(r, 300));
      revokedAt = Date.now() / 1000;
      const r = spawnSync(NTOKD, ['revoke', '--control', control, '777'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const reply = JSON.parse(r.stdout);
      t.diagnostic(`ntokd revoke: ${r.stdout.trim()}`);
      assert.equal(reply.withdrawn, 1);
      assert.equal(reply.conntrack.updated, 1);
      return call;
    });
    const up = flowPackets(server, sent(result, REVOKED_CALL.name)).up;
    assert.equal(up.length, REVOKED_CALL.packets);
    const before = up.filter((p) => p.time < revokedAt);
    const afterRevoke = up.filter((p) => p.time > revokedAt + 0.05);
    assert.ok(before.length >= 5 && afterRevoke.length >= 5, `${before.length} before, ${afterRevoke.length} after`);
    assert.deepEqual(dscps(before), Array(before.length).fill(EF), 'before the revocation');
    assert.deepEqual(dscps(afterRevoke), Array(afterRevoke.length).fill(0), 'after the revocation');
    assert.equal(ctMark(REVOKED_CALL.sport!), '2', 'conntrack holds the rejected mark');
  });

  test('a token\'s exp: the call is EF before, DSCP 0 after (the expiry sweep, once a second)', async (t) => {
    const exp = Math.floor(Date.now() / 1000) + 3;
    const f = { ...EXPIRING, token: token({ bip: C4, exp }) };
    const { result, server } = await lab.captured('expiry', () => lab.send([f], 'expiry'));
    const up = flowPackets(server, sent(result, f.name)).up;
    assert.equal(up.length, f.packets);
    const before = up.filter((p) => p.time < exp - 0.05);
    const late = up.filter((p) => p.time > exp + 1.1);
    const last = up.filter((p) => p.dscp === EF).at(-1)!;
    t.diagnostic(`last EF packet ${(last.time - exp).toFixed(3)} s after exp`);
    assert.ok(before.length >= 10 && late.length >= 10, `${before.length} before, ${late.length} after`);
    assert.deepEqual(dscps(before), Array(before.length).fill(EF), 'before exp');
    assert.deepEqual(dscps(late), Array(late.length).fill(0), 'a second after exp');
    assert.equal((lab.status(control)!.daemon as unknown as Record<string, number>).expired_flows, 1);
    assert.ok(existsSync(log));
  });
});
