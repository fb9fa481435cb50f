// The main job (`npm run demo`): an operator mints a user's low-latency
// token, inspects it, verifies it in the wasm core, and shows a tampered, an
// expired and a revoked copy rejected with their result codes. Then the
// gateway's side: real traffic between network namespaces (the Linux stack,
// captured with tcpdump) goes through the packet path with `ntok replay`,
// which prints the flow table with each decision, and tshark shows the DSCP
// the gateway set. Last, live: ntokd runs on NFQUEUE in a router namespace
// and the server's tcpdump shows what arrived. Every step runs the real
// tools, as a user would.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The router lab of the end-to-end suite: three namespaces, the rules, ntokd run, tcpdump.
import { RULES, RouterLab, flowPackets, requireRouterTools } from '../test/support/router-lab.js';

const CLI = fileURLToPath(new URL('./cli/ntok.js', import.meta.url));
const MAKE_CAPTURES = fileURLToPath(new URL('../../test/netns/make-captures.sh', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ntok-demo-'));
const keys = 'operator-keys.json'; // relative: every step runs inside `dir`
let failures = 0;

function ntok(args: string[], expectExit: number): string {
  const shown = args.map((a) => (a.length > 40 ? a.slice(0, 24) + '…' : a.includes(' ') ? `'${a}'` : a)).join(' ');
  console.log(`\n$ ntok ${shown}`);
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
  const out = r.stdout.trimEnd();
  if (out) console.log(out.split('\n').map((l) => '  ' + l).join('\n'));
  if (r.stderr.trim()) console.log(r.stderr.trimEnd().split('\n').map((l) => '  ' + l).join('\n'));
  const verdict = r.status === expectExit ? 'as expected' : `UNEXPECTED (wanted ${expectExit})`;
  if (r.status !== expectExit) failures++;
  console.log(`  [exit ${r.status}: ${verdict}]`);
  return out;
}

function step(title: string): void {
  console.log(`\n=== ${title}`);
}

/** Runs a tool other than ntok, printing its output; returns stdout, or null when it failed. */
function tool(cmd: string, args: string[], show = true): string | null {
  console.log(`\n$ ${cmd} ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`);
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: dir, maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) {
    console.log(`  FAILED: ${r.error?.message ?? r.stderr.trim()}`);
    failures++;
    return null;
  }
  if (show && r.stdout.trim()) console.log(r.stdout.trimEnd().split('\n').map((l) => '  ' + l).join('\n'));
  return r.stdout;
}

/** The flows of the demo capture and the decision the gateway must reach for each. */
interface DemoFlow {
  name: string;
  what: string;
  manifest: Record<string, unknown>;
  code: string;
  dscp: number;
}

function gatewayDemo(now: number): { call: string; forged: string } | null {
  step('9. The gateway\'s policy: low-latency (service 1) gets EF (DSCP 46); the sensor fleet (service 7) AF21; unauthenticated EF/AF4x is washed to 0');
  const phone = '192.0.2.1'; // the client namespace of test/netns/make-captures.sh
  const sensor = '2001:db8::1';
  const mint = (args: string[]) => ntok(['issue', '--key', keys, ...args], 0);
  const call = mint(['--exp', '+3600', '--srv', '1', '--bip', phone, '--reflect', '1']);
  const fleet = mint(['--exp', '+3600', '--srv', '7', '--bip', `${sensor}/64`]);
  const expired = mint(['--exp', String(now - 600), '--srv', '1', '--bip', phone]);
  // The last byte of the MAC flipped: a token someone tried to make up.
  const forged = call.slice(0, -2) + (parseInt(call.slice(-2), 16) ^ 1).toString(16).padStart(2, '0');
  const config = {
    keysets: { default: { keys: (JSON.parse(readFileSync(join(dir, keys), 'utf8')) as { keys: unknown[] }).keys } },
    services: [
      { name: 'low-latency', id: 1, dscp: 46 },
      { name: 'sensor-fleet', id: 7, dscp: 18 },
    ],
    gateway: { wash: { dscp: [46, 34, 36, 38], to: 0 } },
  };
  writeFileSync(join(dir, 'gateway.json'), JSON.stringify(config, null, 2));
  console.log('  (gateway.json: the operator key, two services, washing)');

  const flows: DemoFlow[] = [
    { name: 'video-call', what: 'a video call: the first STUN request carries the user\'s token (reflect type 1), media follows', manifest: { family: 4, carrier: 'stun', token: call, packets: 8, reply: true, ecn: 1 }, code: 'ok', dscp: 46 },
    { name: 'sensor', what: 'an IPv6 sensor flow with the fleet token in a Destination option of every packet', manifest: { family: 6, carrier: 'dstopts', token: fleet, per_packet: true, packets: 4, ecn: 2 }, code: 'ok', dscp: 18 },
    { name: 'background', what: 'background traffic, no token', manifest: { family: 4, carrier: 'none', packets: 5, reply: true, dport: 8080 }, code: 'no-token', dscp: 0 },
    { name: 'forged', what: 'a STUN request with a forged token', manifest: { family: 4, carrier: 'stun', token: forged, packets: 3, dport: 3479 }, code: 'bad-mac', dscp: 0 },
    { name: 'expired', what: 'a STUN request with a token that expired ten minutes ago', manifest: { family: 4, carrier: 'stun', token: expired, packets: 3, dport: 3480 }, code: 'expired', dscp: 0 },
    { name: 'iot-sensor', what: 'an IPv6 sensor that cannot carry tokens (the gateway tags it in step 13)', manifest: { family: 6, carrier: 'none', packets: 4, dport: 5010, ecn: 1 }, code: 'no-token', dscp: 0 },
    { name: 'pre-marked', what: 'a flow that marks itself EF without any token', manifest: { family: 4, carrier: 'none', packets: 4, dscp: 46, ecn: 1, dport: 5006 }, code: 'washed', dscp: 0 },
  ];
  step('10. Real traffic: a phone (192.0.2.1, 2001:db8::1) and a server in network namespaces, captured with tcpdump');
  for (const f of flows) console.log(`  ${f.name.padEnd(11)} ${f.what}`);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(flows.map((f) => ({ name: f.name, interval_ms: 5, ...f.manifest }))));
  if (process.getuid?.() !== 0) {
    console.log('  FAILED: network namespaces need root (run the demo as root)');
    failures++;
    return null;
  }
  if (tool('bash', [MAKE_CAPTURES, 'manifest.json', 'capture'], false) === null) return null;
  const sent = (JSON.parse(readFileSync(join(dir, 'capture/flows.json'), 'utf8')) as { flows: { name: string; sport: number; dport: number }[] }).flows;

  step('11. The gateway replays the capture through ntok.wasm: one line per flow, its decision and result code');
  ntok(['replay', 'capture/capture.pcap', '--config', 'gateway.json', '--out', 'marked.pcap'], 0);
  const summary = JSON.parse(ntok(['replay', 'capture/capture.pcap', '--config', 'gateway.json', '--json'], 0)) as
    { flow: string; code: string; dscp: number }[];
  for (const f of flows) {
    const port = sent.find((s) => s.name === f.name);
    const got = summary.find((s) => port !== undefined && s.flow.endsWith(`:${port.dport}`) && s.flow.includes(`:${port.sport} >`));
    const ok = got !== undefined && got.code === f.code && got.dscp === f.dscp;
    if (!ok) failures++;
    console.log(`  ${f.name.padEnd(11)} wanted ${f.code}, DSCP ${f.dscp}: got ${got ? `${got.code}, DSCP ${got.dscp}` : 'no flow'}  [${ok ? 'as expected' : 'UNEXPECTED'}]`);
  }

  step('12. tshark reads the marked capture: the DSCP the gateway set, ECN untouched, no malformed packets');
  const fields = tool('tshark', ['-r', 'marked.pcap', '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-E', 'separator=/t',
    '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'ip.dsfield.dscp', '-e', 'ipv6.tclass.dscp', '-e', 'ip.dsfield.ecn', '-e', 'ipv6.tclass.ecn',
    '-e', '_ws.expert.severity'], false);
  if (fields !== null) {
    const perFlow = new Map<string, Set<string>>();
    let warnings = 0;
    for (const line of fields.trim().split('\n')) {
      const [sp, dp, d4, d6, e4, e6, severity] = line.split('\t');
      if (severity && Number(severity.split(',').sort().pop()) >= 6291456) warnings++; // PI_WARN
      const f = sent.find((s) => (String(s.sport) === sp && String(s.dport) === dp) || (String(s.sport) === dp && String(s.dport) === sp));
      if (!f) continue;
      if (!perFlow.has(f.name)) perFlow.set(f.name, new Set());
      perFlow.get(f.name)!.add(`DSCP ${d4 || d6} ECN ${e4 || e6}`);
    }
    for (const [name, seen] of perFlow) console.log(`  ${name.padEnd(11)} ${[...seen].join(', ')}`);
    console.log(`  tshark warnings or errors: ${warnings}`);
    if (warnings > 0) failures++;
  }

  step('13. Tagging: the home router attaches the fleet token to the IoT sensor\'s upstream packets (IPv6 Hop-by-Hop option, every packet)');
  const iot = sent.find((s) => s.name === 'iot-sensor')!;
  writeFileSync(join(dir, 'router.json'), JSON.stringify({
    gateway: { mtu: 1500, tagging: [{ source: `${sensor}/128`, proto: 'udp', port: iot.dport, token: fleet, carrier: 'hbh', per_packet: true }] },
  }, null, 2));
  ntok(['tag', 'capture/capture.pcap', '--config', 'router.json', '--out', 'tagged.pcap'], 0);
  const options = tool('tshark', ['-r', 'tagged.pcap', '-Y', `udp.port == ${iot.dport} && ipv6.opt.type == 0x1f`, '-T', 'fields', '-e', 'frame.number', '-e', 'ipv6.plen'], false);
  const taggedPackets = options === null ? 0 : options.trim().split('\n').filter(Boolean).length;
  console.log(`  tshark: ${taggedPackets} of the sensor's packets now carry option 0x1f (the token)`);
  if (taggedPackets !== 4) failures++;
  step('14. The operator\'s gateway upstream verifies the tokens the router attached');
  const again = JSON.parse(ntok(['replay', 'tagged.pcap', '--config', 'gateway.json', '--json'], 0)) as { flow: string; code: string; dscp: number }[];
  const tagged = again.find((s) => s.flow.endsWith(`:${iot.dport}`));
  const ok = tagged !== undefined && tagged.code === 'ok' && tagged.dscp === 18;
  if (!ok) failures++;
  console.log(`  iot-sensor  wanted ok, DSCP 18: got ${tagged ? `${tagged.code}, DSCP ${tagged.dscp}` : 'no flow'}  [${ok ? 'as expected' : 'UNEXPECTED'}]`);

  return { call, forged };
}

/** The router's side, live: ntokd run on NFQUEUE in a router namespace, what the server receives. */
async function routerDemo(tokens: { call: string; forged: string }): Promise<void> {
  step('15. Live: a router namespace between the phone and the server runs ntokd (NFQUEUE) with the rules; tcpdump on the server');
  try {
    requireRouterTools();
  } catch (e) {
    console.log(`  FAILED: ${(e as Error).message}`);
    failures++;
    return;
  }
  RouterLab.removeLeftovers();
  const lab = new RouterLab(dir);
  const control = join(dir, 'ntokd.sock');
  let daemon;
  try {
    lab.up();
    console.log(`  phone ${lab.addr.C4}, server ${lab.addr.S4}; ntokd gets the first packet of each new connection, the kernel marks the rest`);
    lab.exec(lab.router, 'sh', [RULES, 'up', '0', join(dir, 'gateway.json')]);
    const flows = [
      { name: 'premium-call', family: 4, carrier: 'stun', token: tokens.call, packets: 10, reply: true, interval_ms: 5, ecn: 1 },
      { name: 'forged', family: 4, carrier: 'stun', token: tokens.forged, packets: 5, reply: true, interval_ms: 5, dport: 3479 },
      { name: 'background', family: 4, carrier: 'none', packets: 10, reply: true, interval_ms: 5, dport: 8080 },
      { name: 'pre-marked', family: 4, carrier: 'none', packets: 5, dscp: 46, reply: true, interval_ms: 5, dport: 5006 },
    ];
    await lab.startSink(flows as never);
    daemon = await lab.startNtokd(['--config', join(dir, 'gateway.json'), '--control', control], join(dir, 'ntokd.log'));
    const { result, server, client } = await lab.captured('live', () => lab.send(flows as never, 'live'));
    const want: Record<string, number> = { 'premium-call': 46, forged: 0, background: 0, 'pre-marked': 0 };
    console.log('  flow          server saw (phone -> server)     phone saw (replies)');
    for (const f of result) {
      const up = flowPackets(server, f).up;
      const down = flowPackets(client, f).down;
      const dscps = (ps: { dscp: number }[]) => [...new Set(ps.map((p) => p.dscp))].join('/') || '-';
      const ok = up.length === f.packets && up.every((p) => p.dscp === want[f.name]) && down.every((p) => p.dscp === want[f.name]);
      if (!ok) failures++;
      console.log(`  ${f.name.padEnd(13)} ${String(up.length).padStart(2)} packets, DSCP ${dscps(up).padEnd(12)} ${String(down.length).padStart(2)} packets, DSCP ${dscps(down).padEnd(6)} [${ok ? 'as expected' : `UNEXPECTED: wanted DSCP ${want[f.name]}`}]`);
    }
    const status = lab.status(control)!;
    console.log(`  ntokd status: ${status.daemon.queued} packets queued for ${result.length} flows, ${status.daemon.marked} marked, ` +
      `decisions ${JSON.stringify(status.core.decisions)}, ${status.daemon.traps} traps`);
  } catch (e) {
    console.log(`  FAILED: ${(e as Error).message}`);
    failures++;
  } finally {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGTERM');
    lab.down();
    console.log('  (namespaces, rules and ntokd torn down)');
  }
}

try {
  const now = Math.floor(Date.now() / 1000);
  step('1. The operator creates a MAC key (HMAC 256/64) shared with its gateways');
  ntok(['keygen', '--alg', 'HMAC 256/64', '--kid', 'k', '--out', keys], 0);
  console.log('  (key written to operator-keys.json)');

  step("2. It mints a user's low-latency token: service 1, bound to the phone's address, valid 1 h");
  const issue = ['issue', '--key', keys, '--exp', '+3600', '--srv', '1', '--bip', '192.0.2.7', '--cti', 'c0ffee0000000001'];
  const token = ntok(issue, 0);
  console.log(`  ${token.length / 2} bytes on the wire, 4-byte header included (the first deployment's JWE tokens: 185-227 bytes)`);

  step('3. Anyone can look inside (the claims are MACed, not encrypted)');
  ntok(['inspect', token], 0);

  step('4. The gateway verifies it in ntok.wasm');
  ntok(['verify', token, '--keys', keys, '--require', 'exp'], 0);
  ntok(['verify', token, '--keys', keys, '--json'], 0);

  step('5. A tampered copy: the bound address changed from 192.0.2.7 to 192.0.2.8');
  const tampered = token.replace('c0000207', 'c0000208');
  ntok(['verify', tampered, '--keys', keys], 1);

  step('6. An expired copy: minted with exp two hours ago');
  const expired = ntok(['issue', '--key', keys, '--exp', String(now - 7200), '--srv', '1', '--bip', '192.0.2.7'], 0);
  ntok(['verify', expired, '--keys', keys], 1);

  step('7. The same valid token after the operator revokes its id (cti c0ffee0000000001)');
  ntok(['verify', token, '--keys', keys, '--revoked', 'c0ffee0000000001'], 1);

  step('8. Bytes that are not a token at all');
  ntok(['verify', '00000002d18443a1', '--keys', keys, '--json'], 1);

  const tokens = gatewayDemo(now);
  if (tokens) await routerDemo(tokens);
} finally {
  if (!process.env.NTOK_DEMO_KEEP) rmSync(dir, { recursive: true, force: true });
}

console.log(failures === 0 ? '\ndemo: every step behaved as expected' : `\ndemo: ${failures} step(s) did not behave as expected`);
process.exitCode = failures === 0 ? 0 : 1;
