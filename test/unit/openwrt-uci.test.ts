/**
 * The OpenWrt package's shell side (boards/openwrt/ntok/files), run here as
 * OpenWrt would run it: ntok-uci (UCI -> ntokd's JSON, the nft table, the
 * iptables-nft rules, the init script's settings) under busybox sh + busybox
 * awk and under dash + mawk, byte-identical; its JSON accepted by the real
 * core and verifying the example's tokens; the rules checked by nft and
 * loaded by ntok-firewall in throwaway network namespaces; the init script's
 * start / reload / stop with procd's functions stubbed; and the package
 * Makefile kept equal to the board profiles and host/wasm3.pin.
 *
 * Needs busybox, dash and mawk; the firewall suites also root, iproute2,
 * nftables and iptables (.ci/run installs them): they fail, not skip,
 * without. The nft `queue` statement cannot load on a kernel without
 * CONFIG_NFT_QUEUE (this one, PLATFORM.md): the check accepts exactly that
 * failure and checks the rest of the table fully.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintToken } from '../../src/issuer/index.js';
import { Verifier } from '../../src/host/verifier.js';
import { Gateway } from '../../src/host/gateway.js';

const repo = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const FILES = repo('boards/openwrt/ntok/files');
const UCI = join(FILES, 'ntok-uci');
const FIREWALL = join(FILES, 'ntok-firewall');
const INIT = join(FILES, 'ntok.init');
const EXAMPLE = join(FILES, 'ntok.config');
const EXAMPLE_TEXT = readFileSync(EXAMPLE, 'utf8');

// ---------------------------------------------------------------- runners

function which(cmd: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function need(cmd: string): string {
  const path = which(cmd);
  if (!path) assert.fail(`${cmd} is needed (apt-get install ${cmd}; .ci/run installs it)`);
  return path;
}

const work = mkdtempSync(join(tmpdir(), 'ntok-openwrt-'));
after(() => rmSync(work, { recursive: true, force: true }));

interface Runner {
  name: string;
  /** The shell and its leading arguments. */
  shell: string[];
  /** PATH with the runner's awk first. */
  path: string;
}

/** A directory whose `awk` is `target` (busybox dispatches on argv[0]). */
function awkDir(name: string, target: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  symlinkSync(target, join(dir, 'awk'));
  return dir;
}

const RUNNERS: Runner[] = [
  { name: 'busybox sh + busybox awk', shell: [need('busybox'), 'sh'], path: `${awkDir('bb', need('busybox'))}:${process.env.PATH}` },
  { name: 'dash + mawk', shell: [need('dash')], path: `${awkDir('mawk', need('mawk'))}:${process.env.PATH}` },
];

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runScript(r: Runner, script: string, args: string[], env: Record<string, string> = {}): Result {
  const base = { ...process.env };
  delete base.NTOK_SEED;
  const p = spawnSync(r.shell[0], [...r.shell.slice(1), script, ...args], {
    env: { ...base, PATH: r.path, ...env },
    encoding: 'utf8',
  });
  return { status: p.status, stdout: p.stdout, stderr: p.stderr };
}

let fileCount = 0;
/** A UCI file with `text`; `@DIR@` stands for the test's scratch directory. */
function uciFile(text: string): string {
  const path = join(work, `case-${++fileCount}.uci`);
  writeFileSync(path, text.replaceAll('@DIR@', work));
  return path;
}

function translate(r: Runner, mode: string, file: string, env: Record<string, string> = {}): string {
  const res = runScript(r, UCI, [mode, file], env);
  assert.equal(res.stderr, '', `${r.name}: ntok-uci ${mode} wrote to stderr`);
  assert.equal(res.status, 0);
  return res.stdout;
}

// ---------------------------------------------------------------- the example

/** What files/ntok.config becomes (docs/config.md's example, as UCI). */
const EXAMPLE_JSON = {
  leeway: 60,
  require: ['iss'],
  issuers: ['isp.example', 'fleet.example'],
  revoked: [12345, 'c0ffee00000000ff'],
  keysets: {
    operator: {
      expect: 'any',
      binding: 'source',
      keys: [{ kty: 'oct', kid: 'k', alg: 'HMAC 256/64', k: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc' }],
    },
    fleet: {
      binding: 'source',
      keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'fleet-1', alg: 'EdDSA', x: 'Z5jiPQ_7H_xlcH0dHV41h1pTN6i5pv8E9_jDYHptD3I' }],
    },
  },
  descriptors: [
    { id: 2, format: 'cwt', keyset: 'operator' },
    { id: 0x8000001, format: 'cwt', keyset: 'fleet' },
  ],
  services: [
    { name: 'low-latency', id: 1, dscp: 46, mark: 16 },
    { name: 'fleet-x', id: 7, dscp: 10, mark: 17, allow: true },
  ],
  gateway: {
    require: ['exp'],
    marks: { no_token: 1, rejected: 2, washed: 3, not_allowed: 4 },
    lan: ['192.168.1.0/24', 'fd00::/8'],
    allowlist: ['10.0.5.0/24'],
    wash: { dscp: [46, 34, 36, 38], to: 0 },
    carriers: { stun_attribute: 0x8030, ipv6_option: 31 },
    flows: { capacity: 16384, idle_timeout: 300 },
    token_cache: 4096,
    rate_limit: { per_second: 200, burst: 400, per_source_per_second: 20, per_source_burst: 40 },
    mtu: 1500,
    tagging: [
      {
        source: '2001:db8:5::/64', proto: 'udp', port: 5683, carrier: 'hbh', per_packet: true,
        token: '08000001d28443a10127a10447666c6565742d315845a5016d666c6565742e6578616d706c65026973656e736f722d3132041a7735940063626970825020010db800050000000000000000000018406373727667666c6565742d785840c82bd4b73dcf778c92bd6fd69b599993cfa096f38eaa89e8246600b7f8ebdf5c7de1264966941bea8b28f854d51897af65f0f00a36ffc46234c1ca3b9cca7f0a',
      },
      {
        source: '10.0.6.0/24', proto: 'udp', port: 3478, carrier: 'stun',
        token: '08000001d28443a10127a10447666c6565742d315838a5016d666c6565742e6578616d706c65026863616d6572612d33041a773594006362697082440a00060018186373727667666c6565742d785840397ee3981f85249e20250e5372d7bdfb35d4c163a0aa779cca0804d93b76c402334af9830188dd1c0044606de2388e40d0966a621f57c35f26591c89b8845a05',
      },
    ],
  },
};

const exampleNft = (forward: boolean): string =>
  `# Generated by ntok-uci from ${EXAMPLE} (/etc/init.d/ntok reload): do not edit.
# Its own table, replaced whole on every load, so that fw4 reloads and ntok
# reloads never touch each other.
table inet ntok
delete table inet ntok

table inet ntok {
${forward ? `\tchain forward {
\t\ttype filter hook forward priority mangle; policy accept;
\t\tmeta l4proto { tcp, udp } ct mark 0 queue num 0 bypass
\t}

` : ''}\tchain postrouting {
\t\ttype filter hook postrouting priority mangle; policy accept;
\t\tct mark 0 meta mark != 0 ct mark set meta mark
\t\tct mark 16 ip dscp set 46
\t\tct mark 16 ip6 dscp set 46
\t\tct mark 17 ip dscp set 10
\t\tct mark 17 ip6 dscp set 10
\t\tct mark { 1, 2, 3 } ip dscp { 46, 34, 36, 38 } ip dscp set 0
\t\tct mark { 1, 2, 3 } ip6 dscp { 46, 34, 36, 38 } ip6 dscp set 0
\t}
}
`;

const exampleIptables = (file: string, queue: number): string =>
  `# Generated by ntok-uci from ${file} (/etc/init.d/ntok reload): do not edit.
# For iptables-nft-restore --noflush and ip6tables-nft-restore --noflush;
# ntok-firewall jumps to ntok_queue from mangle FORWARD.
*mangle
:ntok_queue - [0:0]
-A ntok_queue -p udp -m connmark --mark 0 -j NFQUEUE --queue-num ${queue} --queue-bypass
-A ntok_queue -p tcp -m connmark --mark 0 -j NFQUEUE --queue-num ${queue} --queue-bypass
COMMIT
`;

/** The example with some options replaced (`option name 'value'` lines). */
function exampleWith(options: Record<string, string>): string {
  let text = EXAMPLE_TEXT;
  for (const [name, value] of Object.entries(options)) {
    const re = new RegExp(`^(\\s*option ${name}) .*$`, 'm');
    assert.match(text, re, `the example sets option ${name}`);
    text = text.replace(re, `$1 '${value}'`);
  }
  return text;
}

// ---------------------------------------------------------------- edge cases

const JWKS = { keys: [{ kty: 'oct', kid: 'from-file', alg: 'HMAC 256/256', k: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8' }] };
writeFileSync(join(work, 'fleet.jwks'), `${JSON.stringify(JWKS, null, 2)}\n`);
writeFileSync(join(work, 'bad.jwks'), 'not json\n');
const SENSOR_TOKEN = '00000002d28443a10126a104426b31';
writeFileSync(join(work, 'sensor.token'), `  ${SENSOR_TOKEN.toUpperCase()}\n\n`);

const MARKS = { no_token: 1, rejected: 2, washed: 3, not_allowed: 4 };
const gatewayOnly = (extra: object = {}): object => ({ services: [], gateway: { marks: MARKS, ...extra } });

/** UCI text -> the JSON ntok-uci prints (parsed). Every one must also be accepted by the core. */
const ACCEPTED: { name: string; uci: string; json: object; env?: Record<string, string> }[] = [
  {
    name: 'an empty file: no services, the gateway marks written out',
    uci: '',
    json: gatewayOnly(),
  },
  {
    name: 'uci export quoting: single quotes literal, \'\\\'\' for a quote, double quotes with escapes, concatenation',
    uci: `package ntok

config verify 'verify'
	list issuer 'it'\\''s "quoted" \\n'
	list issuer "double \\"inner\\" and \\\\ backslash"
	list issuer bare\\ word\\'s
	list issuer 'a'"b"c'd'
`,
    json: { issuers: ['it\'s "quoted" \\n', 'double "inner" and \\ backslash', "bare word's", 'abcd'], ...gatewayOnly() },
  },
  {
    name: 'a backslash at the end of a line continues it; a quoted value may span lines',
    uci: `config verify
	list issuer "one\\
two"
	list issuer 'multi
line'
	list audi\\
ence x
`,
    json: { issuers: ['onetwo', 'multi\nline'], audiences: ['x'], ...gatewayOnly() },
  },
  {
    name: '# starts a comment outside quotes, ; separates commands, short command names',
    uci: `# a comment
  # an indented comment
c daemon main; o enabled yes ; o queue 0x10 # queue 16
config verify # the verify section
	list issuer 'has # inside' # not this
	l issuer abc#def
`,
    json: { issuers: ['has # inside', 'abc'], ...gatewayOnly() },
  },
  {
    name: 'CR LF line ends and tabs',
    uci: 'config verify\r\n\toption\tleeway\t\'30\'\r\n\tlist issuer "a b"\r\n',
    json: { leeway: 30, issuers: ['a b'], ...gatewayOnly() },
  },
  {
    name: 'the last option wins, an empty one unsets it, a list after an option extends it',
    uci: `config verify
	option leeway 10
	option leeway 20
	option issuer 'first'
	list issuer 'second'
	option audience 'gone'
	option audience ''
`,
    json: { leeway: 20, issuers: ['first', 'second'], ...gatewayOnly() },
  },
  {
    name: 'a list given as an option holds its space-separated words',
    uci: `config gateway
	option lan '192.168.1.0/24  fd00::/8'
	option require 'exp bip'
	option wash_dscp 'ef af41'
`,
    json: { services: [], gateway: { require: ['exp', 'bip'], marks: MARKS, lan: ['192.168.1.0/24', 'fd00::/8'], wash: { dscp: [46, 34], to: 0 } } },
  },
  {
    name: 'services: marks default to 16 + position among enabled ones; DSCP names and numbers; hex marks; name from the section',
    uci: `config service voice
	option dscp EF
config service off
	option enabled 0
	option dscp 1
config service
	option name 'video-hd'
	option id 0x10
	option dscp 34
	option allow off
config service bulk
	option dscp le
	option mark 0x100
`,
    json: {
      services: [
        { name: 'voice', dscp: 46, mark: 16 },
        { name: 'video-hd', id: 16, dscp: 34, mark: 17, allow: false },
        { name: 'bulk', dscp: 1, mark: 256 },
      ],
      gateway: { marks: MARKS },
    },
  },
  {
    name: 'named sections of the same type merge when repeated',
    uci: `config service voice
	option dscp 46
config gateway gw
	option mtu 1400
config service voice
	option id 9
`,
    json: { services: [{ name: 'voice', id: 9, dscp: 46, mark: 16 }], gateway: { marks: MARKS, mtu: 1400 } },
  },
  {
    name: 'keys: without keyset in "default"; numeric alg; a JWK Set from jwks_file; disabled keys left out',
    uci: `config key
	option kty oct
	option kid a
	option alg 5
	option k AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8
config key
	option enabled 0
	option kid b
	option alg 5
config keyset fleet
	option jwks_file '@DIR@/fleet.jwks'
config descriptor
	option id 0x8000002
	option keyset fleet
config descriptor
	option id 2
`,
    json: {
      keysets: {
        default: { keys: [{ kty: 'oct', kid: 'a', alg: 5, k: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8' }] },
        fleet: { keys: JWKS },
      },
      descriptors: [{ id: 0x8000002, keyset: 'fleet' }, { id: 2 }],
      ...gatewayOnly(),
    },
  },
  {
    name: 'revoked ids: digits, h:<hex>, hex with a letter (lowercased)',
    uci: `config verify
	list revoked 0042
	list revoked h:1234
	list revoked C0FFEE
	list revoked 9007199254740991
`,
    json: { revoked: [42, '1234', 'c0ffee', 9007199254740991], ...gatewayOnly() },
  },
  {
    name: 'tagging: token_file (trimmed, lowercased), defaults left to the core, disabled rules left out',
    uci: `config tag
	option source 'fd00:1::/64'
	option token_file '@DIR@/sensor.token'
	option carrier dstopts
config tag
	option enabled no
	option source 10.0.0.0/8
	option token 00
	option carrier bogus
`,
    json: { services: [], gateway: { marks: MARKS, tagging: [{ source: 'fd00:1::/64', token: SENSOR_TOKEN, carrier: 'dstopts' }] } },
  },
  {
    name: 'gateway numbers: decimals, leading zeros, 0x; NTOK_SEED gives the seed',
    uci: `config gateway
	option idle_timeout 007.50
	option rate_per_second 0.5
	option ipv6_option 0x1e
	option mark_washed 0x30
`,
    env: { NTOK_SEED: '4294967295' },
    json: {
      services: [],
      gateway: {
        marks: { ...MARKS, washed: 48 },
        carriers: { ipv6_option: 30 },
        flows: { idle_timeout: 7.5, seed: 4294967295 },
        rate_limit: { per_second: 0.5 },
      },
    },
  },
  {
    name: 'option seed wins over NTOK_SEED',
    uci: 'config gateway\n\toption seed 7\n',
    env: { NTOK_SEED: '123' },
    json: gatewayOnly({ flows: { seed: 7 } }),
  },
  {
    name: 'JSON escapes: control characters, quotes, backslashes, UTF-8 passed through',
    uci: 'config verify\n\tlist issuer "tab\there\x01 \\"q\\" \\\\ é"\n',
    json: { issuers: ['tab\there\u0001 "q" \\ é'], ...gatewayOnly() },
  },
];

/** UCI text -> the message ntok-uci exits 1 with. */
const REFUSED: { name: string; uci: string; error: RegExp; env?: Record<string, string> }[] = [
  { name: 'an unterminated single quote (the line it starts on)', uci: "config verify\n\tlist issuer 'abc\n\n", error: /:2: unterminated '$/ },
  { name: 'an unterminated double quote', uci: 'config verify\n\n\tlist issuer "abc\n', error: /:3: unterminated "$/ },
  { name: 'an unknown command', uci: 'config verify\n\tlst issuer a\n', error: /:2: invalid command 'lst'/ },
  { name: 'an option before any section', uci: 'option leeway 1\n', error: /:1: option before the first config section/ },
  { name: 'too many arguments', uci: 'config service a b\n', error: /:1: too many arguments/ },
  { name: 'a section name with a dash', uci: "config service 'low-latency'\n", error: /:1: invalid character in section name 'low-latency'/ },
  { name: 'an option name with a dash', uci: 'config verify\n\toption lee-way 1\n', error: /:2: invalid character in option name 'lee-way'/ },
  { name: 'a named section redefined with another type', uci: 'config service x\nconfig tag x\n', error: /:2: section x is redefined as tag/ },
  { name: 'an unknown section type', uci: 'config services\n', error: /:1: @services\[0\]: unknown section type services/ },
  { name: 'an unknown option (a typo)', uci: 'config gateway\n\toption flow 10\n', error: /:2: @gateway\[0\] option flow: unknown option/ },
  { name: 'a list where one value is expected', uci: 'config service a\n\tlist dscp 1\n', error: /:2: service a option dscp: takes one value/ },
  { name: 'two daemon sections', uci: 'config daemon a\nconfig daemon b\n', error: /:2: daemon b: there can be only one daemon section/ },
  { name: 'a bad boolean', uci: 'config daemon main\n\toption enabled maybe\n', error: /daemon main option enabled: 'maybe' is not a boolean/ },
  { name: 'a queue number out of range', uci: 'config daemon main\n\toption queue 65536\n', error: /option queue: 65536 is out of range 0\.\.65535/ },
  { name: 'a queue number that is not a number', uci: 'config daemon main\n\toption queue 1e3\n', error: /option queue: '1e3' is not an integer/ },
  { name: 'an unknown firewall', uci: 'config daemon main\n\toption firewall pf\n', error: /option firewall: 'pf' is not one of: nft iptables none/ },
  { name: 'a bad DSCP', uci: 'config service a\n\toption dscp 64\n', error: /service a option dscp: '64' is not a DSCP/ },
  { name: 'a bad DSCP name', uci: 'config service a\n\toption dscp af44\n', error: /option dscp: 'af44' is not a DSCP/ },
  { name: 'mark 0 (undecided)', uci: 'config service a\n\toption mark 0\n', error: /option mark: 0 is out of range 1\.\.4294967295/ },
  { name: 'a mark above 32 bits', uci: 'config service a\n\toption mark 0x100000000\n', error: /option mark: 0x100000000 is out of range/ },
  { name: 'two services with one mark', uci: 'config service a\nconfig service b\n\toption mark 16\n', error: /:3: service b option mark: 16 is also the mark of service 'a'/ },
  { name: 'two services with one name', uci: "config service a\nconfig service\n\toption name 'a'\n", error: /:2: @service\[1\]: service name 'a' appears twice/ },
  { name: 'two services with one id', uci: 'config service a\n\toption id 1\nconfig service b\n\toption id 1\n', error: /service b option id: 1 is also the id of service 'a'/ },
  { name: 'an anonymous service without a name', uci: 'config service\n\toption dscp 1\n', error: /@service\[0\]: needs a name/ },
  { name: 'a gateway mark that is a service mark', uci: 'config service a\nconfig gateway\n\toption mark_rejected 16\n', error: /option mark_rejected: 16 is both the rejected mark and the mark of service 'a'/ },
  { name: 'a service mark that is a default gateway mark', uci: 'config service a\n\toption mark 2\n', error: /service a option mark: 2 is both the rejected mark and the mark of service 'a'/ },
  { name: 'wash_to without wash_dscp', uci: 'config gateway\n\toption wash_to 0\n', error: /option wash_to: needs list wash_dscp/ },
  { name: 'an unknown claim name', uci: 'config gateway\n\tlist require expiry\n', error: /option require: 'expiry' is not a claim name/ },
  { name: 'a flow capacity out of range', uci: 'config gateway\n\toption flows 0\n', error: /option flows: 0 is out of range 1\.\.1048576/ },
  { name: 'a negative rate', uci: 'config gateway\n\toption rate_per_second -1\n', error: /option rate_per_second: '-1' is not a number/ },
  { name: 'a LAN that is not a prefix', uci: 'config gateway\n\tlist lan lan0\n', error: /option lan: 'lan0' is not an address prefix/ },
  { name: 'a revoked id that is neither', uci: 'config verify\n\tlist revoked 0xff\n', error: /option revoked: '0xff' is neither an integer id/ },
  { name: 'a descriptor naming an undefined key set', uci: 'config descriptor\n\toption id 2\n\toption keyset nope\n', error: /:3: @descriptor\[0\] option keyset: key set 'nope' is not defined/ },
  { name: 'a descriptor without key set when there is no default', uci: 'config descriptor\n\toption id 2\n', error: /option id: key set 'default' is not defined/ },
  { name: 'a descriptor id beyond 28 bits', uci: 'config keyset default\nconfig descriptor\n\toption id 0x10000000\n', error: /option id: 0x10000000 is out of range 0\.\.268435455 \(a 28-bit descriptor id\)/ },
  { name: 'a descriptor id twice', uci: 'config keyset default\nconfig descriptor\n\toption id 2\nconfig descriptor\n\toption id 0x2\n', error: /:5: @descriptor\[1\] option id: 2 is configured twice/ },
  { name: 'a descriptor without id', uci: 'config descriptor\n', error: /@descriptor\[0\]: option id is required/ },
  { name: 'a key naming an undefined key set', uci: 'config key\n\toption keyset nope\n\toption kid a\n\toption alg 5\n', error: /@key\[0\] option keyset: no keyset section is named 'nope'/ },
  { name: 'a key without kid', uci: 'config key\n\toption alg 5\n', error: /@key\[0\]: option kid is required/ },
  { name: 'a key without alg', uci: 'config key\n\toption kid a\n', error: /@key\[0\]: option alg is required/ },
  { name: 'an unreadable jwks_file', uci: 'config keyset k\n\toption jwks_file /nonexistent/x.jwks\n', error: /keyset k option jwks_file: cannot read \/nonexistent\/x\.jwks/ },
  { name: 'a jwks_file that is not JSON', uci: "config keyset k\n\toption jwks_file '@DIR@/bad.jwks'\n", error: /option jwks_file: .*bad\.jwks does not hold a JWK Set/ },
  { name: 'a key set with jwks_file and key sections', uci: "config keyset k\n\toption jwks_file '@DIR@/fleet.jwks'\nconfig key\n\toption keyset k\n\toption kid a\n\toption alg 5\n", error: /option jwks_file: key set 'k' has key sections too/ },
  { name: 'a tag token that is not hex', uci: 'config tag\n\toption source 10.0.0.0/8\n\toption token 00000002zz\n\toption carrier hbh\n', error: /@tag\[0\] option token: the token must be hex/ },
  { name: 'a tag token of an odd length', uci: 'config tag\n\toption source 10.0.0.0/8\n\toption token 000000020\n\toption carrier hbh\n', error: /option token: the token must be hex/ },
  { name: 'a tag token shorter than the header and one byte', uci: 'config tag\n\toption source 10.0.0.0/8\n\toption token 00000002\n\toption carrier hbh\n', error: /option token: the token must be 5\.\.255 bytes/ },
  { name: 'a tag with token and token_file', uci: "config tag\n\toption source 10.0.0.0/8\n\toption token 0000000201\n\toption token_file '@DIR@/sensor.token'\n\toption carrier hbh\n", error: /option token_file: give option token or option token_file, not both/ },
  { name: 'a tag without carrier', uci: 'config tag\n\toption source 10.0.0.0/8\n\toption token 0000000201\n', error: /@tag\[0\]: option carrier is required/ },
  { name: 'a tag with an unknown carrier', uci: 'config tag\n\toption source 10.0.0.0/8\n\toption token 0000000201\n\toption carrier ipv4\n', error: /option carrier: 'ipv4' is not one of: hbh dstopts stun/ },
  { name: 'a tag without source', uci: 'config tag\n\toption token 0000000201\n\toption carrier hbh\n', error: /@tag\[0\]: option source is required/ },
  { name: 'a bad port', uci: 'config tag\n\toption source 10.0.0.0/8\n\toption port 65536\n', error: /option port: 65536 is out of range 0\.\.65535/ },
  { name: 'a bad NTOK_SEED', uci: '', env: { NTOK_SEED: '4294967296' }, error: /NTOK_SEED=4294967296 is not an integer 0\.\.4294967295/ },
];

// ---------------------------------------------------------------- ntok-uci

for (const r of RUNNERS) {
  describe(`ntok-uci under ${r.name}`, () => {
    it('translates the example configuration to the expected JSON', () => {
      assert.deepEqual(JSON.parse(translate(r, 'json', EXAMPLE)), EXAMPLE_JSON);
    });

    it('prints the init script\'s settings: disabled by default, queue 0, nft', () => {
      assert.equal(translate(r, 'settings', EXAMPLE), 'enabled=0\nqueue=0\nfirewall=nft\n');
      const file = uciFile(exampleWith({ enabled: '1', queue: '0x21', firewall: 'iptables' }));
      assert.equal(translate(r, 'settings', file), 'enabled=1\nqueue=33\nfirewall=iptables\n');
      assert.equal(translate(r, 'settings', uciFile('')), 'enabled=0\nqueue=0\nfirewall=nft\n');
    });

    it('writes the nft table: queue for undecided flows, the saved mark, DSCP per service, washing', () => {
      assert.equal(translate(r, 'nft', EXAMPLE), exampleNft(true));
    });

    it('leaves the queue out of the nft table for the iptables-nft variant, and writes its rules', () => {
      const file = uciFile(exampleWith({ firewall: 'iptables', queue: '7' }));
      assert.equal(translate(r, 'nft', file), exampleNft(false).replace(EXAMPLE, file));
      assert.equal(translate(r, 'iptables', file), exampleIptables(file, 7));
    });

    it('writes no DSCP or wash rules for services without dscp and without wash_dscp', () => {
      const nft = translate(r, 'nft', uciFile('config service plain\nconfig daemon main\n\toption queue 3\n'));
      assert.match(nft, /queue num 3 bypass/);
      assert.doesNotMatch(nft, /dscp/);
    });

    for (const c of ACCEPTED) {
      it(`reads ${c.name}`, () => {
        assert.deepEqual(JSON.parse(translate(r, 'json', uciFile(c.uci), c.env)), c.json);
      });
    }

    for (const c of REFUSED) {
      it(`refuses ${c.name}`, () => {
        const file = uciFile(c.uci);
        const res = runScript(r, UCI, ['json', file], c.env);
        assert.equal(res.status, 1, res.stderr);
        assert.equal(res.stdout, '', 'nothing on stdout');
        assert.match(res.stderr, /^ntok-uci: [^\n]*\n$/, 'one line on stderr');
        assert.match(res.stderr.trimEnd(), c.error);
        assert.ok(res.stderr.startsWith(`ntok-uci: ${file}:`) || c.env, `names the file: ${res.stderr}`);
      });
    }

    it('refuses an unreadable file and a bad mode', () => {
      const missing = runScript(r, UCI, ['json', join(work, 'missing.uci')]);
      assert.equal(missing.status, 1);
      assert.match(missing.stderr, /cannot read .*missing\.uci/);
      const usage = runScript(r, UCI, ['yaml', EXAMPLE]);
      assert.equal(usage.status, 2);
      assert.match(usage.stderr, /^usage: ntok-uci json\|nft\|iptables\|settings/);
    });
  });
}

describe('ntok-uci output', () => {
  it('is byte-identical under busybox and under dash + mawk, in every mode', () => {
    const files = [EXAMPLE, uciFile(exampleWith({ firewall: 'iptables' })), ...ACCEPTED.map((c) => uciFile(c.uci))];
    for (const mode of ['json', 'nft', 'iptables', 'settings']) {
      for (const file of files) {
        const [a, b] = RUNNERS.map((r) => runScript(r, UCI, [mode, file], { NTOK_SEED: '99' }));
        assert.equal(a.status, 0);
        assert.deepEqual(a, b, `${mode} ${file}`);
      }
    }
  });

  it('documents every option it accepts in the example configuration', () => {
    const script = readFileSync(UCI, 'utf8');
    const allowed = [...script.matchAll(/^\tALLOWED\["(\w+)"\] = "([^"]+)"$/gm)];
    assert.equal(allowed.length, 8, 'eight section types');
    for (const [, type, options] of allowed) {
      assert.match(EXAMPLE_TEXT, new RegExp(`^config ${type}\\b`, 'm'), `the example has a ${type} section`);
      for (const o of options.split(' ')) {
        assert.match(EXAMPLE_TEXT, new RegExp(`^\\s*#?(option|list) ${o} `, 'm'), `the example shows ${type}'s option ${o}`);
      }
    }
  });
});

// ---------------------------------------------------------------- the core

describe('the core and the JSON ntok-uci writes', () => {
  const exampleJson = translate(RUNNERS[1], 'json', EXAMPLE);

  it('the core accepts the example (Verifier.open, Gateway.open)', async () => {
    await Verifier.open(exampleJson);
    const g = await Gateway.open(exampleJson);
    assert.equal(g.status().flows.capacity, 16384);
  });

  it('the example\'s tagging tokens verify under its own fleet key', async () => {
    const v = await Verifier.open(exampleJson);
    for (const rule of EXAMPLE_JSON.gateway.tagging) {
      const r = v.verify(new Uint8Array(Buffer.from(rule.token, 'hex')), { now: 1_800_000_000 });
      assert.equal(r.code, 'ok');
      assert.equal(r.kid, 'fleet-1');
      assert.equal(r.descriptor, 0x8000001);
      assert.equal(r.claims?.srv, 'fleet-x');
    }
  });

  it('a token minted with the example\'s operator key for low-latency verifies', async () => {
    const v = await Verifier.open(exampleJson);
    const key = EXAMPLE_JSON.keysets.operator.keys[0];
    const token = mintToken({ iss: 'isp.example', exp: 1_800_003_600, srv: 'low-latency', bip: '192.168.1.20' }, { key });
    const r = v.verify(token, { now: 1_800_000_000 });
    assert.equal(r.code, 'ok');
    assert.equal(r.claims?.srv, 'low-latency');
    const revokedKey = v.verify(mintToken({ iss: 'isp.example', exp: 1_800_003_600, nti: 12345 }, { key }), { now: 1_800_000_000 });
    assert.equal(revokedKey.code, 'revoked');
  });

  it('the core accepts every edge case ntok-uci accepts', async () => {
    for (const c of ACCEPTED) {
      const json = translate(RUNNERS[1], 'json', uciFile(c.uci), c.env);
      await assert.doesNotReject(Gateway.open(json), c.name);
    }
  });
});

// ---------------------------------------------------------------- the firewall

describe('the firewall rules in a network namespace', () => {
  const ns = `ntok-owrt-${process.pid}`;
  const inNs = (cmd: string[], input?: string): Result => {
    const p = spawnSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8', input });
    return { status: p.status, stdout: p.stdout, stderr: p.stderr };
  };

  before(() => {
    assert.equal(process.getuid?.(), 0, 'network namespaces need root');
    for (const cmd of ['ip', 'nft', 'iptables-nft', 'ip6tables-nft']) need(cmd);
    const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
    assert.equal(add.status, 0, add.stderr);
  });
  after(() => {
    spawnSync('ip', ['netns', 'delete', ns]);
  });

  it('nft accepts the table; only the queue statement fails, on a kernel without nft queue', () => {
    const file = join(work, 'check.nft');
    writeFileSync(file, translate(RUNNERS[0], 'nft', EXAMPLE));
    const full = inNs(['nft', '-c', '-f', file]);
    if (full.status !== 0) {
      // PLATFORM.md: CONFIG_NFT_QUEUE is unset here; nft parsed the rule, the kernel refused it.
      assert.match(full.stderr, /Could not process rule: No such file or directory\n.*queue num 0 bypass/);
      assert.equal(full.stderr.match(/Error:/g)?.length, 1, full.stderr);
    }
    const noQueue = join(work, 'check-noqueue.nft');
    writeFileSync(noQueue, readFileSync(file, 'utf8').replace('queue num 0 bypass', 'accept'));
    const rest = inNs(['nft', '-c', '-f', noQueue]);
    assert.equal(rest.status, 0, rest.stderr);
  });

  it('the fw4 include loads the generated table, and matches nothing while ntok is stopped', () => {
    const run = join(work, 'include-run');
    mkdirSync(run, { recursive: true });
    const include = join(work, 'fw4-include.nft');
    writeFileSync(include, readFileSync(join(FILES, 'ntok.nft'), 'utf8').replace('include "/var/run/ntok/', `include "${run}/`));
    const empty = inNs(['nft', '-c', '-f', include]);
    assert.equal(empty.status, 0, empty.stderr);
    writeFileSync(join(run, 'ntok.nft'), translate(RUNNERS[0], 'nft', uciFile(exampleWith({ firewall: 'iptables' }))));
    for (let i = 0; i < 2; i++) {
      const load = inNs(['nft', '-f', include]);
      assert.equal(load.status, 0, load.stderr);
    }
    const listed = inNs(['nft', 'list', 'table', 'inet', 'ntok']);
    assert.match(listed.stdout, /ct mark 0x00000010 ip dscp set ef/);
    assert.equal(listed.stdout.match(/ct mark set meta mark/g)?.length, 1, 'loading twice leaves one table');
    inNs(['nft', 'delete', 'table', 'inet', 'ntok']);
  });

  for (const r of RUNNERS) {
    it(`ntok-firewall (${r.name}) loads the iptables-nft variant, again without duplicates, and removes it`, () => {
      const dir = join(work, `fw-${r.shell[0].split('/').pop()}`);
      mkdirSync(dir, { recursive: true });
      const file = uciFile(exampleWith({ firewall: 'iptables', queue: '5' }));
      writeFileSync(join(dir, 'ntok.nft'), translate(r, 'nft', file));
      writeFileSync(join(dir, 'ntok.iptables'), translate(r, 'iptables', file));
      const fw = (...args: string[]): Result => inNs([...r.shell, FIREWALL, ...args]);
      for (let i = 0; i < 2; i++) {
        const up = fw('up', dir);
        assert.equal(up.status, 0, up.stderr);
      }
      for (const ipt of ['iptables-nft', 'ip6tables-nft']) {
        const rules = inNs([ipt, '-t', 'mangle', '-S']).stdout;
        assert.equal(rules.match(/^-A FORWARD -j ntok_queue$/gm)?.length, 1, `${ipt}: one jump\n${rules}`);
        assert.match(rules, /^-A ntok_queue -p udp -m connmark --mark 0x0 -j NFQUEUE --queue-num 5 --queue-bypass$/m);
        assert.match(rules, /^-A ntok_queue -p tcp -m connmark --mark 0x0 -j NFQUEUE --queue-num 5 --queue-bypass$/m);
        assert.equal(rules.match(/-j NFQUEUE/g)?.length, 2, `${ipt}: two queue rules\n${rules}`);
      }
      const table = inNs(['nft', 'list', 'table', 'inet', 'ntok']).stdout;
      assert.match(table, /ct mark 0x00000000 meta mark != 0x00000000 ct mark set meta mark/);
      assert.match(table, /ct mark 0x00000011 ip6 dscp set af11/);
      assert.doesNotMatch(table, /queue/);

      // Back to the nft variant: the iptables-nft rules go.
      rmSync(join(dir, 'ntok.iptables'));
      writeFileSync(join(dir, 'ntok.nft'), translate(r, 'nft', uciFile(exampleWith({ firewall: 'iptables', queue: '6' }))));
      assert.equal(fw('up', dir).status, 0);
      assert.doesNotMatch(inNs(['iptables-nft', '-t', 'mangle', '-S']).stdout, /ntok_queue/);

      const down = fw('down');
      assert.equal(down.status, 0, down.stderr);
      assert.notEqual(inNs(['nft', 'list', 'table', 'inet', 'ntok']).status, 0, 'the table is gone');
      assert.equal(fw('down').status, 0, 'down twice is fine');
    });
  }

  it('ntok-firewall up fails and changes nothing when the table does not load', () => {
    const dir = join(work, 'fw-bad');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ntok.nft'), 'table inet ntok {\n\tchain c { bogus; }\n}\n');
    const up = inNs([...RUNNERS[0].shell, FIREWALL, 'up', dir]);
    assert.notEqual(up.status, 0);
    assert.notEqual(inNs(['nft', 'list', 'table', 'inet', 'ntok']).status, 0);
  });
});

// ---------------------------------------------------------------- the init script

/** procd's and rc.common's functions, recorded; the init script sourced with its paths moved. */
const HARNESS = `
extra_command() { :; }
procd_open_instance() { echo "procd_open_instance $*"; }
procd_set_param() { echo "procd_set_param $*"; }
procd_close_instance() { echo "procd_close_instance"; }
procd_running() { [ "\${NTOK_TEST_RUNNING:-0}" = 1 ]; }
procd_send_signal() { echo "procd_send_signal $*"; }
procd_add_reload_trigger() { echo "procd_add_reload_trigger $*"; }
restart() { echo "restart"; }
logger() { echo "logger $*"; }
. "$1"
"$2"
`;

describe('the init script (procd stubbed)', () => {
  for (const r of RUNNERS) {
    describe(r.name, () => {
      const dir = join(work, `init-${r.shell[0].split('/').pop()}`);
      const run = join(dir, 'run');
      const libexec = join(dir, 'libexec');
      const config = join(dir, 'ntok');
      const calls = join(dir, 'firewall-calls');
      const init = join(dir, 'ntok.init');
      const harness = join(dir, 'harness.sh');

      before(() => {
        mkdirSync(libexec, { recursive: true });
        symlinkSync(UCI, join(libexec, 'ntok-uci'));
        writeFileSync(join(libexec, 'ntok-firewall'), `#!/bin/sh\necho "ntok-firewall $*" >>'${calls}'\n`);
        chmodSync(join(libexec, 'ntok-firewall'), 0o755);
        writeFileSync(init, readFileSync(INIT, 'utf8')
          .replace(/^LIBEXEC=.*$/m, `LIBEXEC=${libexec}`)
          .replace(/^CONFIG=.*$/m, `CONFIG=${config}`)
          .replace(/^RUN=.*$/m, `RUN=${run}`));
        writeFileSync(harness, HARNESS);
      });

      const action = (name: string, env: Record<string, string> = {}): Result => {
        rmSync(calls, { force: true });
        return runScript(r, harness, [init, name], env);
      };
      const firewallCalls = (): string => { try { return readFileSync(calls, 'utf8'); } catch { return ''; } };

      it('start with enabled 0 starts nothing', () => {
        writeFileSync(config, EXAMPLE_TEXT);
        const res = action('start_service');
        assert.equal(res.status, 0, res.stderr);
        assert.doesNotMatch(res.stdout, /procd_open_instance/);
        assert.equal(firewallCalls(), '');
      });

      it('start writes the JSON and the rules (mode 600 in a 700 directory), loads them, and runs ntokd on the queue', () => {
        writeFileSync(config, exampleWith({ enabled: '1', queue: '3' }));
        const res = action('start_service');
        assert.equal(res.status, 0, res.stderr);
        assert.equal(res.stdout,
          'procd_open_instance ntokd\n' +
          `procd_set_param command /usr/sbin/ntokd run --config ${run}/ntok.json --queue 3 --control ${run}/control.sock --module /usr/share/ntok/ntok.wasm\n` +
          'procd_set_param respawn\nprocd_set_param stdout 1\nprocd_set_param stderr 1\nprocd_close_instance\n');
        assert.equal(firewallCalls(), `ntok-firewall up ${run}\n`);
        assert.equal(statSync(run).mode & 0o777, 0o700);
        for (const f of ['ntok.json', 'ntok.nft']) assert.equal(statSync(join(run, f)).mode & 0o777, 0o600, f);
        assert.deepEqual(readdirSync(run).sort(), ['ntok.json', 'ntok.nft', 'queue', 'seed']);
        const seed = readFileSync(join(run, 'seed'), 'utf8');
        assert.match(seed, /^\d+$/, 'a random seed from hexdump');
        const json = JSON.parse(readFileSync(join(run, 'ntok.json'), 'utf8'));
        assert.deepEqual(json, { ...EXAMPLE_JSON, gateway: { ...EXAMPLE_JSON.gateway, flows: { ...EXAMPLE_JSON.gateway.flows, seed: Number(seed) } } });
        assert.match(readFileSync(join(run, 'ntok.nft'), 'utf8'), /queue num 3 bypass/);
      });

      it('reload with ntokd running on the same queue rewrites the files and sends SIGHUP, keeping the seed', () => {
        const seed = readFileSync(join(run, 'seed'), 'utf8');
        writeFileSync(config, exampleWith({ enabled: '1', queue: '3', leeway: '5' }));
        const res = action('reload_service', { NTOK_TEST_RUNNING: '1' });
        assert.equal(res.status, 0, res.stderr);
        assert.equal(res.stdout, 'procd_send_signal ntok ntokd HUP\n');
        assert.equal(JSON.parse(readFileSync(join(run, 'ntok.json'), 'utf8')).leeway, 5);
        assert.equal(readFileSync(join(run, 'seed'), 'utf8'), seed);
        assert.equal(firewallCalls(), `ntok-firewall up ${run}\n`);
      });

      it('reload with a file ntok-uci refuses changes nothing and logs why', () => {
        const before = readFileSync(join(run, 'ntok.json'), 'utf8');
        writeFileSync(config, `${exampleWith({ enabled: '1', queue: '3' })}\nconfig service broken\n\toption dscp 99\n`);
        const res = action('reload_service', { NTOK_TEST_RUNNING: '1' });
        assert.notEqual(res.status, 0);
        assert.match(res.stdout, /^logger -t ntok -p daemon\.err ntok-uci: .*service broken option dscp: '99' is not a DSCP/m);
        assert.match(res.stderr, /ntok: ntok-uci: .*'99' is not a DSCP/);
        assert.doesNotMatch(res.stdout, /procd_send_signal|restart/);
        assert.equal(readFileSync(join(run, 'ntok.json'), 'utf8'), before);
        assert.equal(firewallCalls(), '');
        assert.deepEqual(readdirSync(run).sort(), ['ntok.json', 'ntok.nft', 'queue', 'seed'], 'no temporary files left');
      });

      it('reload restarts for a new queue number, for a stopped ntokd, and when disabled', () => {
        writeFileSync(config, exampleWith({ enabled: '1', queue: '4' }));
        assert.equal(action('reload_service', { NTOK_TEST_RUNNING: '1' }).stdout, 'restart\n');
        writeFileSync(config, exampleWith({ enabled: '1', queue: '3' }));
        assert.equal(action('reload_service', { NTOK_TEST_RUNNING: '0' }).stdout, 'restart\n');
        writeFileSync(config, exampleWith({ enabled: '0', queue: '3' }));
        assert.equal(action('reload_service', { NTOK_TEST_RUNNING: '1' }).stdout, 'restart\n');
      });

      it('the iptables variant writes both rule files; none writes neither', () => {
        writeFileSync(config, exampleWith({ enabled: '1', queue: '3', firewall: 'iptables' }));
        assert.equal(action('start_service').status, 0);
        assert.equal(readFileSync(join(run, 'ntok.iptables'), 'utf8'), exampleIptables(config, 3));
        assert.doesNotMatch(readFileSync(join(run, 'ntok.nft'), 'utf8'), /queue/);
        writeFileSync(config, exampleWith({ enabled: '1', queue: '3', firewall: 'none' }));
        assert.equal(action('start_service').status, 0);
        assert.equal(firewallCalls(), 'ntok-firewall down\n');
        assert.deepEqual(readdirSync(run).sort(), ['ntok.json', 'queue', 'seed']);
      });

      it('stop removes the rules and the files the fw4 include would load', () => {
        writeFileSync(config, exampleWith({ enabled: '1', queue: '3' }));
        assert.equal(action('start_service').status, 0);
        const res = action('stop_service');
        assert.equal(res.status, 0, res.stderr);
        assert.equal(firewallCalls(), 'ntok-firewall down\n');
        assert.deepEqual(readdirSync(run).sort(), ['ntok.json', 'seed']);
      });

      it('registers the reload trigger for /etc/config/ntok', () => {
        assert.equal(action('service_triggers').stdout, 'procd_add_reload_trigger ntok\n');
      });
    });
  }
});

// ---------------------------------------------------------------- the package Makefile

describe('the package Makefile', () => {
  const makefile = readFileSync(repo('boards/openwrt/ntok/Makefile'), 'utf8');

  it('maps every board profile to its OpenWrt target with the profile\'s limits', () => {
    const table = new Map([...makefile.matchAll(/^NTOK_BOARD_(\w+):=(\d+) (\d+) (\d+) (\d+)$/gm)]
      .map(([, target, ...limits]) => [target, limits.map(Number)]));
    const profiles = readdirSync(repo('boards')).filter((f) => f.endsWith('.json'));
    assert.equal(table.size, profiles.length);
    for (const f of profiles) {
      const p = JSON.parse(readFileSync(repo(`boards/${f}`), 'utf8')) as {
        openwrt: { target: string; subtarget: string };
        limits: { wasm3_stack_kib: number; wasm_pages: number; flows: number; verifications_per_second: number };
      };
      const key = `${p.openwrt.target}_${p.openwrt.subtarget}`;
      assert.deepEqual(table.get(key), [p.limits.wasm3_stack_kib, p.limits.wasm_pages, p.limits.flows, p.limits.verifications_per_second], f);
    }
  });

  it('downloads the wasm3 crate pinned by host/wasm3.pin', () => {
    const pin = Object.fromEntries(readFileSync(repo('host/wasm3.pin'), 'utf8').split('\n')
      .filter((l) => /^\w+=/.test(l)).map((l) => l.split('=', 2) as [string, string]));
    assert.match(makefile, new RegExp(`^WASM3_CRATE:=${pin.crate}$`, 'm'));
    assert.match(makefile, new RegExp(`^WASM3_CRATE_VERSION:=${pin.version.replaceAll('.', '\\.')}$`, 'm'));
    assert.match(makefile, new RegExp(`^  HASH:=${pin.sha256}$`, 'm'));
  });

  it('installs every file of files/, and only those', () => {
    const installed = new Set([...makefile.matchAll(/\.\/files\/([\w.-]+)/g)].map((m) => m[1]));
    assert.deepEqual([...installed].sort(), readdirSync(FILES).sort());
  });

  it('its version is package.json\'s', () => {
    const version = (JSON.parse(readFileSync(repo('package.json'), 'utf8')) as { version: string }).version;
    assert.match(makefile, new RegExp(`^PKG_VERSION:=${version.replaceAll('.', '\\.')}$`, 'm'));
  });

  it('the per-board sed finds the options it rewrites in the example', () => {
    for (const o of ['firewall', 'flows', 'rate_per_second']) {
      assert.match(makefile, new RegExp(`option ${o}\\\\\\) \\.\\*/`), `the Makefile rewrites option ${o}`);
      assert.equal(EXAMPLE_TEXT.match(new RegExp(`^\\s*option ${o} `, 'gm'))?.length, 1, `one option ${o} line`);
    }
  });
});
