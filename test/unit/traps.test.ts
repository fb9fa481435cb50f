/**
 * A trap in the core, in the TS host: a memory ceiling (OpenOptions.maxPages,
 * as a board's wasm_pages caps wasm3) that the core really runs into inside
 * V8, and what Gateway does about it: the packet accepted unmarked and
 * unchanged with code host-error, the instance replaced by a new one with
 * the same configuration, the trap counted. The CLI and ntokd are compared
 * on the same cases in test/conformance.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { keygen, mintToken } from '../../src/issuer/index.js';
import { CODE_HOST_ERROR, Gateway, VERDICT } from '../../src/host/gateway.js';
import { NtokError, Verifier } from '../../src/host/verifier.js';
import { withMemoryMaximum } from '../../src/host/memory-limit.js';
import { ipv4Udp, stunBindingRequest } from '../support/captures.js';
import { repoUrl } from './helpers.js';

const NOW = 1_800_000_000;
const key = keygen('HMAC 256/64', 'k').privateJwk;
const SERVICES = [{ name: 'call', id: 1, dscp: 46, mark: 16 }];
const UNLIMITED = { per_second: 1e6, burst: 1e6, per_source_per_second: 1e6, per_source_burst: 1e6 };
const WASM = new Uint8Array(readFileSync(repoUrl('build/ntok.wasm')));

/** The limits section of the module's memory: flag, min, max (LEB128 values under 128 here). */
function memoryLimits(wasm: Uint8Array): number[] {
  for (let at = 8; at < wasm.length;) {
    const id = wasm[at];
    let size = 0;
    let i = at + 1;
    for (let shift = 0; ; shift += 7, i++) {
      size |= (wasm[i] & 0x7f) << shift;
      if ((wasm[i] & 0x80) === 0) break;
    }
    if (id === 5) return [...wasm.subarray(i + 2, i + 1 + size)];
    at = i + 1 + size;
  }
  throw new Error('no memory section');
}

const stun = (port: number, cti: string) =>
  ipv4Udp({ src: '10.1.0.10', dst: '203.0.113.5', sport: port, dport: 3478, payload: stunBindingRequest(mintToken({ exp: NOW + 60, srv: 'call', cti }, { key })) });
const plain = (port: number) => ipv4Udp({ src: '10.1.0.10', dst: '203.0.113.5', sport: port, dport: 5004, dscp: 10 });

describe('withMemoryMaximum', () => {
  it('gives the memory a maximum and changes nothing else', () => {
    assert.deepEqual(memoryLimits(WASM), [0, 2], 'build/ntok.wasm: 2 pages, no maximum');
    const limited = withMemoryMaximum(WASM, 300);
    assert.deepEqual(memoryLimits(limited), [1, 2, 0xac, 0x02], '300 pages as LEB128');
    assert.equal(limited.length, WASM.length + 2);
    assert.ok(WebAssembly.validate(limited as Uint8Array<ArrayBuffer>));
  });

  it('keeps a lower maximum the module declares', () => {
    const once = withMemoryMaximum(WASM, 10);
    assert.deepEqual(memoryLimits(withMemoryMaximum(once, 20)), [1, 2, 10]);
    assert.deepEqual(memoryLimits(withMemoryMaximum(once, 5)), [1, 2, 5]);
  });

  it('refuses a maximum below what the module starts with, or outside 1..65536', () => {
    assert.throws(() => withMemoryMaximum(WASM, 1), /needs 2 pages/);
    for (const n of [0, 65537, 1.5, NaN]) assert.throws(() => withMemoryMaximum(WASM, n), RangeError);
  });
});

describe('Gateway after a trap', () => {
  it('accepts the packet unmarked and unchanged as host-error, and the next packets are processed', async () => {
    // A 64 MiB flow table under a 2 MiB ceiling: the core traps at its first packet.
    const g = await Gateway.open({ keysets: { default: { keys: [key] } }, services: SERVICES, gateway: { flows: { capacity: 1 << 20 } } }, { maxPages: 32 });
    for (let i = 0; i < 3; i++) {
      const packet = plain(5000 + i);
      const v = g.process(packet, { now: NOW });
      assert.deepEqual({ ...v }, { drop: false, code: CODE_HOST_ERROR, mark: 0, dscp: -1, flow: -1, service: 0, flags: 0, length: packet.length });
      assert.equal(g.resultName(v.code), 'host-error');
      assert.deepEqual(g.packet(), packet);
      assert.equal(g.traps, i + 1);
    }
    assert.equal(g.lastTrap, 'unreachable');
    // status() does not make the tables: it answers from the configuration.
    const s = g.status();
    assert.equal(s.packets, 0);
    assert.deepEqual(s.flows, { capacity: 1 << 20, active: 0, bytes: 0, inserts: 0, evictions: 0, expirations: 0 });
    assert.equal(g.traps, 3, 'status() did not trap');
  });

  it('gives a new instance the configuration in force, and loses the old one\'s flows', async () => {
    // Each token's 900-byte cti is checked against the revocation list as hex text, garbage until the
    // core collects (every 64 verifications): 5 pages hold about 30 of them.
    const config = {
      keysets: { default: { keys: [key] } }, services: SERVICES, revoked: [1],
      gateway: { flows: { capacity: 1024 }, token_cache: 64, rate_limit: UNLIMITED },
    };
    const g = await Gateway.open(config, { maxPages: 5 });
    const first = g.process(stun(40000, '00'.repeat(900)), { now: NOW });
    assert.equal(g.resultName(first.code), 'ok');
    assert.equal(first.mark, 16);
    const coreBefore = g.core;
    let trappedAt = -1;
    for (let i = 1; i < 100 && trappedAt < 0; i++) {
      const v = g.process(stun(40000 + i, i.toString(16).padStart(8, '0').repeat(225)), { now: NOW });
      if (v.code === CODE_HOST_ERROR) trappedAt = i;
      else assert.equal(g.resultName(v.code), 'ok');
    }
    assert.ok(trappedAt > 10, `trapped at token ${trappedAt}`);
    assert.equal(g.traps, 1);
    assert.notEqual(g.core, coreBefore, 'a new instance');
    // The new instance has the configuration (keys, services, revocations) but not the flows.
    const next = g.process(stun(41000, 'aa'.repeat(16)), { now: NOW });
    assert.equal(g.resultName(next.code), 'ok');
    assert.equal(next.mark, 16);
    const lost = g.process(plain(40000), { now: NOW });
    assert.ok((lost.flags & VERDICT.NEW_FLOW) !== 0, 'the first flow is new again');
    assert.equal(g.status().verifications, 1, 'counters start again with the instance');
  });

  it('reports a trap in configure as NtokError host-error and keeps the configuration in force', async () => {
    const g = await Gateway.open({ services: SERVICES }, { maxPages: 3 });
    // 700 services (47 KB of JSON, parsed into a tree of strings) do not fit beside the static buffers
    // (input 64 KiB, output 24 KiB, token scratch: ~118 KB) in 3 pages.
    const big = { services: Array.from({ length: 700 }, (_, i) => ({ name: `service-${i}-${'x'.repeat(24)}`, id: i + 1, dscp: 10 })) };
    assert.ok(JSON.stringify(big).length < 65536);
    assert.throws(() => g.configure(big), (e: unknown) => e instanceof NtokError && e.code === 'host-error' && /^trap: /.test(e.message));
    assert.equal(g.traps, 1);
    assert.equal(g.serviceName(1), 'call', 'the configuration in force');
  });
});

describe('Verifier with maxPages', () => {
  it('runs under a ceiling the core fits in', async () => {
    const v = await Verifier.open({ keysets: { default: { keys: [key] } } }, { maxPages: 4 });
    const token = mintToken({ exp: NOW + 60 }, { key });
    assert.equal(v.verify(token, { now: NOW }).code, 'ok');
    assert.ok(v.core.exports.memory.buffer.byteLength <= 4 << 16);
  });
});
