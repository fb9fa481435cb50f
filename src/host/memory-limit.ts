// A ceiling on the core's linear memory under V8, as a board's wasm_pages is
// under wasm3 (boards/build-board.sh, -Dd_m3MaxLinearMemoryPages): the
// module's own memory gets a maximum, so memory.grow past it fails (-1) and
// the core traps where it cannot do without (util/pages.ts, the allocator).
// ntokd --max-pages sets the same maximum in wasm3 (host/wasm_host.c).

export const WASM_PAGE_LIMIT = 65536;

/** The first byte after an unsigned LEB128 at `at`, and its value (WebAssembly core spec §5.2.2). */
function readU32(b: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  for (let shift = 0, i = at; i < b.length && shift < 35; shift += 7, i++) {
    value += (b[i] & 0x7f) * 2 ** shift;
    if ((b[i] & 0x80) === 0) return { value, next: i + 1 };
  }
  throw new Error('ntok.wasm: a LEB128 number runs past its section');
}

function writeU32(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

/**
 * The module with its memory's maximum set to `maxPages` (or kept, when the
 * module declares a lower one): memory section, §5.5.8; limits, §5.3.8
 * (flag 0: min; flag 1: min and max).
 */
export function withMemoryMaximum(wasm: Uint8Array, maxPages: number): Uint8Array {
  if (!Number.isInteger(maxPages) || maxPages < 1 || maxPages > WASM_PAGE_LIMIT) {
    throw new RangeError(`maxPages must be an integer from 1 to ${WASM_PAGE_LIMIT}`);
  }
  let at = 8; // magic and version
  while (at < wasm.length) {
    const id = wasm[at];
    const size = readU32(wasm, at + 1);
    const start = size.next;
    const end = start + size.value;
    if (id === 5) {
      const count = readU32(wasm, start);
      const flag = wasm[count.next];
      if (count.value !== 1 || (flag !== 0 && flag !== 1)) throw new Error('ntok.wasm: not one unshared memory');
      const min = readU32(wasm, count.next + 1);
      let rest = min.next;
      let max = maxPages;
      if (flag === 1) {
        const declared = readU32(wasm, min.next);
        max = Math.min(declared.value, maxPages);
        rest = declared.next;
      }
      if (max < min.value) throw new RangeError(`ntok.wasm needs ${min.value} pages of memory from the start, more than ${maxPages}`);
      const payload = [...writeU32(1), 1, ...writeU32(min.value), ...writeU32(max), ...wasm.subarray(rest, end)];
      const out = new Uint8Array(at + 1 + writeU32(payload.length).length + payload.length + (wasm.length - end));
      out.set(wasm.subarray(0, at + 1));
      let o = at + 1;
      for (const b of [...writeU32(payload.length), ...payload]) out[o++] = b;
      out.set(wasm.subarray(end), o);
      return out;
    }
    at = end;
  }
  throw new Error('ntok.wasm defines no memory of its own');
}
