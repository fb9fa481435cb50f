// Merges the module's active data segments that lie within a few bytes of
// each other (scripts/pack-data.mjs <in.wasm> [<out.wasm>], in place by
// default). AssemblyScript emits one segment per static object (each string
// literal, each memory.data), and every segment costs 6 to 9 bytes of header
// (flags, i32.const offset, end, length): bridging a gap shorter than that
// with zeros gives the same memory image in fewer bytes. Linear memory's
// contents are unchanged byte for byte (checked here before writing).
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output = input] = process.argv.slice(2);
const wasm = readFileSync(input);

function leb(buf, at) {
  let value = 0, shift = 0, byte;
  do {
    byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}
function sleb32(buf, at) {
  let value = 0, shift = 0, byte;
  do {
    byte = buf[at++];
    value |= (byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  if (shift < 32 && byte & 0x40) value |= -1 << shift;
  return [value, at];
}
const uleb = (n) => {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const sleb = (n) => {
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};

// Sections as [id, start of payload, end].
const sections = [];
for (let at = 8; at < wasm.length; ) {
  const id = wasm[at];
  const [size, start] = leb(wasm, at + 1);
  sections.push([id, at, start, start + size]);
  at = start + size;
}
const data = sections.find((s) => s[0] === 11);
if (!data) throw new Error(`${input}: no data section`);

let [count, at] = leb(wasm, data[2]);
const segments = [];
for (let i = 0; i < count; i++) {
  const flags = wasm[at++];
  if (flags !== 0 || wasm[at] !== 0x41) throw new Error(`${input}: segment ${i} is not an active i32.const segment of memory 0`);
  let offset, len;
  [offset, at] = sleb32(wasm, at + 1);
  if (wasm[at++] !== 0x0b) throw new Error(`${input}: segment ${i}: offset expression longer than i32.const`);
  [len, at] = leb(wasm, at);
  segments.push({ offset, bytes: wasm.subarray(at, at + len) });
  at += len;
}

// The memory image, to check the merged segments give the same one.
const image = (segs) => {
  const end = Math.max(...segs.map((s) => s.offset + s.bytes.length));
  const m = new Uint8Array(end);
  for (const s of segs) m.set(s.bytes, s.offset);
  return m;
};

const GAP = 7; // bytes of zeros cheaper than a segment header
const sorted = [...segments].sort((a, b) => a.offset - b.offset);
const merged = [];
for (const s of sorted) {
  const last = merged[merged.length - 1];
  if (last && s.offset >= last.offset + last.bytes.length && s.offset - (last.offset + last.bytes.length) <= GAP) {
    const joined = new Uint8Array(s.offset + s.bytes.length - last.offset);
    joined.set(last.bytes, 0);
    joined.set(s.bytes, s.offset - last.offset);
    last.bytes = joined;
  } else merged.push({ offset: s.offset, bytes: s.bytes });
}
const before = image(segments), after = image(merged);
if (before.length !== after.length || before.some((b, i) => b !== after[i])) throw new Error('pack-data: the memory image changed');

const body = [...uleb(merged.length)];
for (const s of merged) body.push(0, 0x41, ...sleb(s.offset), 0x0b, ...uleb(s.bytes.length), ...s.bytes);
const parts = [wasm.subarray(0, data[1])];
parts.push(Buffer.from([11, ...uleb(body.length), ...body]));
parts.push(wasm.subarray(data[3]));
let out = Buffer.concat(parts);
// The data count section (12) must agree with the number of segments.
const dc = sections.find((s) => s[0] === 12);
if (dc) {
  // Rebuild with the new count: it precedes the code section, so its position in `out` is unchanged.
  const [, , start, end] = dc;
  out = Buffer.concat([out.subarray(0, dc[1]), Buffer.from([12, ...uleb(uleb(merged.length).length), ...uleb(merged.length)]), out.subarray(end)]);
  void start;
}
writeFileSync(output, out);
process.stderr.write(`pack-data: ${input}: ${segments.length} data segments into ${merged.length}, ${wasm.length} -> ${out.length} bytes\n`);
