// Whole pages of linear memory for the large fixed tables (the flow table,
// the token cache), taken straight from memory.grow, outside the allocator.
//
// Why: AssemblyScript's allocator grows memory by at least its current size
// (it doubles), so a 1 MiB table could cost 2 MiB; pages cost what they
// hold, which is what a board's memory budget (wasm_pages) counts. The
// allocator copes with memory grown behind its back (it adds the next
// growth as a separate pool).
//
// Memory never shrinks: a released region is kept and given to the next
// table it fits (a reconfiguration keeps its capacity, or changes it back).
// Tables smaller than a page (specs, tiny configurations) stay on the heap.

/** A zeroed table of `bytes`: whole pages from 64 KiB on, the heap below. */
export function allocTable(bytes: usize): usize {
  if (bytes >= 0x10000) return allocPages(bytes);
  const p = heap.alloc(bytes);
  memory.fill(p, 0, bytes);
  return p;
}

/** The memory a table of `bytes` takes: whole pages from 64 KiB on (what status() reports). */
export function tableBytes(bytes: usize): usize {
  return bytes >= 0x10000 ? pagesFor(bytes) << 16 : bytes;
}

/** Gives back a table from allocTable (same `bytes`). */
export function freeTable(ptr: usize, bytes: usize): void {
  if (bytes >= 0x10000) freePages(ptr, bytes);
  else heap.free(ptr);
}

const SPARE_SLOTS = 4;
const sparePtr = new StaticArray<usize>(SPARE_SLOTS);
const spareBytes = new StaticArray<usize>(SPARE_SLOTS);

function pagesFor(bytes: usize): usize {
  return (bytes + 0xffff) >> 16;
}

/** A zeroed region of at least `bytes`, page-aligned. Traps when memory cannot grow (the host recreates the instance). */
function allocPages(bytes: usize): usize {
  const size = pagesFor(bytes) << 16;
  // The smallest spare region that fits.
  let best = -1;
  for (let i = 0; i < SPARE_SLOTS; i++) {
    const n = unchecked(spareBytes[i]);
    if (n >= size && (best < 0 || n < unchecked(spareBytes[best]))) best = i;
  }
  if (best >= 0) {
    const p = unchecked(sparePtr[best]);
    unchecked((spareBytes[best] = 0));
    memory.fill(p, 0, size);
    return p;
  }
  const before = memory.grow(<i32>pagesFor(bytes));
  if (before < 0) unreachable();
  return <usize>before << 16; // fresh pages are zero
}

/** Gives a region back for reuse; with no slot free, the smallest kept region is forgotten. */
function freePages(ptr: usize, bytes: usize): void {
  const size = pagesFor(bytes) << 16;
  let slot = 0;
  for (let i = 0; i < SPARE_SLOTS; i++) {
    if (unchecked(spareBytes[i]) < unchecked(spareBytes[slot])) slot = i;
  }
  if (unchecked(spareBytes[slot]) >= size) return;
  unchecked((sparePtr[slot] = ptr));
  unchecked((spareBytes[slot] = size));
}
