/**
 * docs/abi.md against the module itself: the result-code table against the
 * core's own table, and the Imports / Exports tables against what
 * build/ntok.wasm declares (names, and signatures read from the binary).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openVerifier, readRepoText, repoUrl } from './helpers.js';

const doc = readRepoText('docs/abi.md');
const wasmBytes = new Uint8Array(readFileSync(repoUrl('build/ntok.wasm')));
const module = new WebAssembly.Module(wasmBytes);
const verifier = await openVerifier();

/** The lines of the markdown section under `## title`, up to the next `## `. */
function section(title: string): string[] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${title}` || l.trim().startsWith(`## ${title} `));
  assert.ok(start >= 0, `docs/abi.md has a "## ${title}" section`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** Rows of the first table in `lines` whose first cell is a `code` name: [name, signature]. */
function nameTable(lines: string[]): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  for (const line of lines) {
    const m = /^\|\s*`([^`]+)`\s*\|\s*(.*?)\s*\|(.*)\|\s*$/.exec(line);
    if (m) rows.push([m[1], m[2].replace(/`/g, '').trim()]);
  }
  return rows;
}

// ---------------------------------------------------------------------------
// A minimal reader of the wasm binary format (WebAssembly Core Spec §5.5):
// type, import, function and export sections, for signatures.

type Sig = { params: string[]; results: string[] };
const VALTYPES: Record<number, string> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64' };
const KINDS = ['function', 'table', 'memory', 'global'] as const;

function readModule(bytes: Uint8Array) {
  let p = 8; // magic + version
  const u32 = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[p++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  const name = (): string => {
    const n = u32();
    const s = new TextDecoder().decode(bytes.subarray(p, p + n));
    p += n;
    return s;
  };
  const limits = () => {
    const flag = bytes[p++];
    u32();
    if (flag & 1) u32();
  };
  const types: Sig[] = [];
  const imports: Array<{ module: string; name: string; kind: string; sig?: Sig }> = [];
  const funcTypes: number[] = []; // type index per function index (imports first)
  const exports: Array<{ name: string; kind: string; sig?: Sig }> = [];
  assert.deepEqual([...bytes.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d]);
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = u32();
    const end = p + size;
    if (id === 1) {
      for (let n = u32(); n > 0; n--) {
        assert.equal(bytes[p++], 0x60);
        const params = Array.from({ length: u32() }, () => VALTYPES[bytes[p++]]);
        const results = Array.from({ length: u32() }, () => VALTYPES[bytes[p++]]);
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = u32(); n > 0; n--) {
        const mod = name();
        const field = name();
        const kind = bytes[p++];
        if (kind === 0) {
          const t = u32();
          funcTypes.push(t);
          imports.push({ module: mod, name: field, kind: 'function', sig: types[t] });
        } else {
          if (kind === 1) {
            p++;
            limits();
          } else if (kind === 2) limits();
          else p += 2;
          imports.push({ module: mod, name: field, kind: KINDS[kind] });
        }
      }
    } else if (id === 3) {
      for (let n = u32(); n > 0; n--) funcTypes.push(u32());
    } else if (id === 7) {
      for (let n = u32(); n > 0; n--) {
        const field = name();
        const kind = bytes[p++];
        const index = u32();
        exports.push({ name: field, kind: KINDS[kind], sig: kind === 0 ? types[funcTypes[index]] : undefined });
      }
    }
    p = end;
  }
  return { imports, exports };
}

/** `(a: i32, b: f64) -> i32` / `() -> void` as a Sig; undefined for other text (e.g. `memory`). */
function parseSig(text: string): Sig | undefined {
  const m = /^\((.*)\)\s*->\s*(\w+)$/.exec(text.trim());
  if (!m) return undefined;
  const params = m[1].trim() === '' ? [] : m[1].split(',').map((p) => p.split(':').pop()!.trim());
  return { params, results: m[2] === 'void' ? [] : [m[2]] };
}

const wasm = readModule(wasmBytes);

describe('docs/abi.md', () => {
  it('has the result-code table of the core: numbers, names and meanings', () => {
    const begin = doc.indexOf('<!-- result-codes:begin -->');
    const end = doc.indexOf('<!-- result-codes:end -->');
    assert.ok(begin >= 0 && end > begin, 'the result-code markers are present');
    const rows = doc
      .slice(begin, end)
      .split('\n')
      .map((l) => /^\|\s*(\d+)\s*\|\s*`([^`]+)`\s*\|\s*(.*?)\s*\|\s*$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [Number(m[1]), m[2], m[3]]);
    const names = verifier.resultCodes();
    assert.ok(names.length > 0);
    const core = names.map((name, n) => [n, name, verifier.core.resultMessage(n)]);
    assert.deepEqual(rows, core);
    // and nothing beyond the table
    assert.equal(verifier.core.exports.result_name(names.length), 0);
    assert.equal(verifier.core.resultMessage(names.length), '');
  });

  it('lists every import of build/ntok.wasm in its Imports table, and nothing else', () => {
    const documented = nameTable(section('Imports (module `env`)')).map(([n]) => n).sort();
    const actual = WebAssembly.Module.imports(module).map((i) => i.name).sort();
    assert.deepEqual(documented, actual);
    for (const i of WebAssembly.Module.imports(module)) {
      assert.equal(i.module, 'env', `${i.name} is in module env`);
      assert.equal(i.kind, 'function', `${i.name} is a function`);
    }
    assert.ok(!actual.includes('abort'), 'built with --use abort=, so no env.abort');
  });

  it('lists every export of build/ntok.wasm in its Exports table, and nothing else', () => {
    const documented = nameTable(section('Exports')).map(([n]) => n).sort();
    const actual = WebAssembly.Module.exports(module).map((e) => e.name).sort();
    assert.deepEqual(documented, actual);
  });

  it('gives the signatures the module declares for its imports', () => {
    const documented = new Map(nameTable(section('Imports (module `env`)')));
    assert.equal(wasm.imports.length, WebAssembly.Module.imports(module).length);
    for (const i of wasm.imports) {
      assert.ok(documented.has(i.name), i.name);
      assert.ok(i.sig, `${i.name} has a signature in the binary`);
      assert.deepEqual(parseSig(documented.get(i.name)!), i.sig, i.name);
    }
  });

  it('gives the signatures the module declares for its exports, and memory as the memory', () => {
    const documented = new Map(nameTable(section('Exports')));
    assert.equal(wasm.exports.length, WebAssembly.Module.exports(module).length);
    // the reader itself: verify takes the f64 time
    assert.deepEqual(wasm.exports.find((e) => e.name === 'verify')?.sig, { params: ['i32', 'f64', 'i32'], results: ['i32'] });
    for (const e of wasm.exports) {
      assert.ok(documented.has(e.name), e.name);
      if (e.kind === 'function') assert.ok(e.sig, `${e.name} has a signature in the binary`);
      if (e.kind === 'memory') assert.equal(documented.get(e.name), 'memory', e.name);
      else assert.deepEqual(parseSig(documented.get(e.name)!), e.sig, e.name);
    }
  });

  it('states the ABI version and input capacity the module reports', () => {
    const exports = nameTable(section('Exports'));
    const row = (n: string) => doc.split('\n').find((l) => l.startsWith(`| \`${n}\``)) ?? '';
    assert.ok(exports.length > 0);
    assert.equal(verifier.core.exports.abi_version(), 1);
    assert.match(row('abi_version'), /\|\s*1\s*\|\s*$/);
    const capacity = verifier.core.exports.input_capacity();
    assert.ok(row('input_capacity').replace(/,/g, '').includes(String(capacity)), `input_capacity ${capacity} is documented`);
  });
});

describe('build/ntok.wasm', () => {
  // Issue 4's budget for the module with the packet path in: 64 KB, counted
  // as 65,536 bytes (docs/performance.md). Every byte of it is spent, so a
  // change that grows the module must find the room elsewhere.
  it('is at most 64 KB (65,536 bytes)', () => {
    assert.ok(wasmBytes.length <= 65536, `build/ntok.wasm is ${wasmBytes.length} bytes`);
  });
});
