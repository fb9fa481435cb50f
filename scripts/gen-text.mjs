// Generates the core's text tables as packed UTF-8 (`npm run build:wasm` runs
// this first). As AssemblyScript string literals, texts cost ~30 bytes each
// plus two per character (UTF-16); packed they cost one per character.
// - assembly/result-text.ts from assembly/result-codes.json: each result
//   code's name and meaning, in code order.
// - assembly/detail-text.ts from assembly/details.json: the `Detail` enum and
//   the texts that say what failed; `%` stands for an argument (a claim name).
// - assembly/packet-detail-text.ts from assembly/packet-details.json: the
//   `PacketDetail` enum and the texts of the packet and STUN parsers'
//   failures. The packet path keeps only the number; the texts are @lazy, so
//   they are in a module only if something there reads them (specs do).
// - assembly/config-message-text.ts from assembly/config-messages.json: the
//   `Msg` enum and the configuration's error messages (JSON reader included),
//   which configure() reports; `@` stands for the field's path, `%` for an
//   argument. These become strings (config-message.ts), so they may hold
//   quotes and backslashes: the JSON writer escapes them.
// - assembly/json-key-text.ts from assembly/json-keys.json: the `JsonKey`
//   enum (a name's id is the name in capitals) and the member names of the
//   JSON the core writes.
// - assembly/jose-name-text.ts from assembly/jose-names.json: the `JoseName`
//   enum and the JOSE algorithm names (RFC 7518) the core reads in JOSE
//   headers and JWK `alg` members and writes in results.
// - assembly/pair-text.ts: the byte pairs the messages (result meanings,
//   details, configuration messages; not names or keys) are packed with
//   (below; util/unpack.ts expands them): 3.3 KB less module for a few
//   hundred bytes of code. The module's size budget (64 KB) is what it buys.
import { readFileSync, writeFileSync } from 'node:fs';

const url = (p) => new URL(`../assembly/${p}`, import.meta.url);

/**
 * Printable ASCII; unless `escaped` (texts that reach JSON through the
 * writer's escaping), without quote or backslash: JSON as it is.
 */
function pack(texts, escaped = false, compressed = () => false, frame = (text) => text) {
  const bytes = [];
  const offsets = [0];
  texts.forEach((text, i) => {
    // Checked as written in the JSON, before any framing adds its quotes.
    if (!/^[\x20-\x7e]*$/.test(text) || (!escaped && /["\\]/.test(text))) throw new Error(`text needs escaping: ${text}`);
    const framed = text === '' ? text : frame(text);
    for (const c of compressed(i) ? compress(framed) : Buffer.from(framed, 'ascii')) bytes.push(c);
    offsets.push(bytes.length);
  });
  const wrap = (xs) => xs.join(', ').replace(/(.{1,110})(, |$)/g, '\n  $1,').replace(/,$/, '');
  return { bytes: wrap(bytes), offsets: wrap(offsets) };
}

// ---- Byte-pair packing of the messages.
// The texts are printable ASCII, so bytes 0x80..0xFF and 0x01..0x1F are free:
// each stands for a pair of bytes (literals or other pairs), chosen as the
// pair the messages repeat most, then the next, over the texts as they become
// (byte-pair encoding). A pair costs 2 bytes of table; 159 of them make the
// messages 6.0 KB -> 2.7 KB. `%` and `@` (argument and path marks) are never
// paired: the writers find them in the packed text.
/** Longest expanded message: util/unpack.ts expands into a buffer of this size. */
const MAX_MESSAGE = 512;
const PAIR_CODES = [...Array(128).keys()].map((i) => 0x80 + i).concat([...Array(31).keys()].map((i) => 1 + i));
const values = (json) => {
  const t = JSON.parse(readFileSync(url(json), 'utf8'));
  return Array.isArray(t) ? t : Object.values(t);
};
const codes = JSON.parse(readFileSync(url('result-codes.json'), 'utf8'));
const messages = [...codes.map(([, meaning]) => meaning), ...values('details.json'), ...values('config-messages.json')];
for (const m of messages) if (m.length > MAX_MESSAGE) throw new Error(`message longer than ${MAX_MESSAGE}: ${m}`);
const MARKS = new Set([0x25, 0x40]); // % @
const pairs = []; // [a, b] for PAIR_CODES[i]
const merge = (seq, a, b, code) => {
  const out = [];
  for (let i = 0; i < seq.length; i++) {
    if (i + 1 < seq.length && seq[i] === a && seq[i + 1] === b) {
      out.push(code);
      i++;
    } else out.push(seq[i]);
  }
  return out;
};
{
  let seqs = messages.map((m) => [...Buffer.from(m, 'ascii')]);
  while (pairs.length < PAIR_CODES.length) {
    const counts = new Map();
    for (const q of seqs) {
      for (let i = 0; i + 1 < q.length; i++) {
        if (MARKS.has(q[i]) || MARKS.has(q[i + 1])) continue;
        const key = q[i] * 256 + q[i + 1];
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    // Most repeated first, ties by value: the same texts always give the same table.
    let best = -1, bestCount = 0;
    for (const [key, n] of counts) if (n > bestCount || (n === bestCount && key < best)) [best, bestCount] = [key, n];
    if (bestCount < 3) break; // a pair used twice saves 2 bytes and costs 2
    const code = PAIR_CODES[pairs.length];
    pairs.push([best >> 8, best & 255]);
    seqs = seqs.map((q) => merge(q, best >> 8, best & 255, code));
  }
}
const pairOf = new Map(PAIR_CODES.map((code, i) => [code, pairs[i]]));
const unpack = (seq) => seq.flatMap((c) => (pairOf.has(c) ? unpack(pairOf.get(c)) : [c]));
function compress(text) {
  let seq = [...Buffer.from(text, 'ascii')];
  pairs.forEach(([a, b], i) => (seq = merge(seq, a, b, PAIR_CODES[i])));
  if (Buffer.from(unpack(seq)).toString('ascii') !== text) throw new Error(`packing loses text: ${text}`);
  return seq;
}
// Deepest nesting of a pair: util/unpack.ts expands with a stack this deep.
const depth = new Map();
const depthOf = (c) => (depth.has(c) ? depth.get(c) : 0);
pairs.forEach(([a, b], i) => depth.set(PAIR_CODES[i], 1 + Math.max(depthOf(a), depthOf(b))));
const maxDepth = Math.max(0, ...depth.values());
writeFileSync(url('pair-text.ts'), `// Generated by scripts/gen-text.mjs from the messages of result-codes.json, details.json and
// config-messages.json: do not edit. In those tables byte 0x80 + i (i < 128) and byte
// i - 127 (i >= 128) stand for pair i: bytes PAIRS[2i] and PAIRS[2i + 1], each a literal or
// a pair itself (util/unpack.ts).

export const PAIR_COUNT: i32 = ${pairs.length};
/** Deepest nesting of pairs in pairs. */
export const PAIR_DEPTH: i32 = ${maxDepth};
/** Room for the longest message expanded. */
export const MAX_MESSAGE: i32 = ${MAX_MESSAGE};
export const PAIRS: usize = memory.data<u8>([${pairs.flat().join(', ').replace(/(.{1,110})(, |$)/g, '\n  $1,').replace(/,$/, '')}
]);
`);

const r = pack(codes.flat(), false, (i) => i % 2 == 1);
writeFileSync(url('result-text.ts'), `// Generated by scripts/gen-text.mjs from assembly/result-codes.json: do not edit.
// Code c's name is bytes OFFSETS[2c]..OFFSETS[2c+1] of TEXT, its message OFFSETS[2c+1]..OFFSETS[2c+2].

export const RESULT_CODE_COUNT: i32 = ${codes.length};
export const RESULT_TEXT: usize = memory.data<u8>([${r.bytes}
]);
export const RESULT_OFFSETS: usize = memory.data<u16>([${r.offsets}
]);
`);

/**
 * An enum of texts (ids from the JSON's keys, or for a list the texts in
 * capitals, from 1; 0 is NONE, the empty text) and the packed texts, as
 * `${prefix}_TEXT` and `${prefix}_OFFSETS`.
 */
function textEnum(json, file, enumName, prefix, { lazy = false, escaped = false, compressed = false, frame = (t) => t, framing = '' } = {}) {
  const texts = JSON.parse(readFileSync(url(json), 'utf8'));
  const entries = Array.isArray(texts) ? texts.map((t) => [t.toUpperCase(), t]) : Object.entries(texts);
  for (const [id] of entries) if (!/^[A-Z_][A-Z0-9_]*$/.test(id)) throw new Error(`not an enum member name: ${id}`);
  const t = pack(['', ...entries.map(([, text]) => text)], escaped, () => compressed, frame);
  const at = lazy ? '@lazy ' : '';
  const marks = [['@', '"@": a path'], ['%', '"%": an argument']].filter(([c]) => entries.some(([, text]) => text.includes(c)));
  writeFileSync(url(file), `// Generated by scripts/gen-text.mjs from assembly/${json}: do not edit.
// ${enumName} d's text is bytes OFFSETS[d]..OFFSETS[d+1] of TEXT${marks.length ? ` (${marks.map(([, m]) => m).join(', ')})` : ''}${framing}.

export const enum ${enumName} {
  NONE = 0,
${entries.map(([id], i) => `  ${id} = ${i + 1},`).join('\n')}
}

export const ${prefix}_COUNT: i32 = ${entries.length + 1};
${at}export const ${prefix}_TEXT: usize = memory.data<u8>([${t.bytes}
]);
${at}export const ${prefix}_OFFSETS: usize = memory.data<u16>([${t.offsets}
]);
`);
}

textEnum('details.json', 'detail-text.ts', 'Detail', 'DETAIL', { compressed: true });
textEnum('packet-details.json', 'packet-detail-text.ts', 'PacketDetail', 'PACKET_DETAIL', { lazy: true });
textEnum('config-messages.json', 'config-message-text.ts', 'Msg', 'MSG', { escaped: true, compressed: true });
// Member names framed as the writer writes them, `,"name":` (from the second
// byte without the comma): a key is then one copy (json/writer.ts key()).
textEnum('json-keys.json', 'json-key-text.ts', 'JsonKey', 'JSON_KEY', {
  frame: (t) => `,"${t}":`,
  framing: ', framed as `,"name":`',
});
textEnum('jose-names.json', 'jose-name-text.ts', 'JoseName', 'JOSE_NAME');
