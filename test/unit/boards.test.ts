// Board profiles (boards/*.json) describe the OpenWrt targets ntokd is built
// for. These checks keep them complete and consistent with each other and
// with the core's memory use, so a vendor's profile cannot promise a flow
// capacity its wasm memory ceiling cannot hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const boardsDir = fileURLToPath(new URL('../../../boards/', import.meta.url));

interface Board {
  name: string;
  description: string;
  openwrt: { target: string; subtarget: string; package_arch: string };
  toolchain: { triple: string; debian_cross?: string; qemu?: string; endianness: 'little' | 'big'; float_abi: 'soft' | 'hard' };
  cpu: string;
  ram_mb: number;
  flash_mb: number;
  limits: { flows: number; wasm_pages: number; wasm3_stack_kib: number; verifications_per_second: number };
}

const boards: Board[] = readdirSync(boardsDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, board: JSON.parse(readFileSync(join(boardsDir, f), 'utf8')) as Board }))
  .map(({ file, board }) => {
    assert.equal(`${board.name}.json`, file, `${file}: name matches the file`);
    return board;
  });

/** Bytes the core needs besides the flow table: its static buffers and heap (measured: 4 pages), the token cache (4,096 x 64). */
const FIXED_BYTES = 4 * 65536 + 4096 * 64;
/** assembly/flow/table.ts: 60-byte entries and a 4-byte bucket head per flow, at most. */
const BYTES_PER_FLOW = 64;

test('the five boards of issue 5 have profiles', () => {
  assert.deepEqual(boards.map((b) => b.name).sort(), ['ath79', 'ipq40xx', 'mediatek-filogic', 'ramips-mt7621', 'x86_64']);
});

for (const b of boards) {
  test(`${b.name}: names its OpenWrt target, package arch, toolchain, CPU, RAM and flash`, () => {
    for (const v of [b.description, b.openwrt.target, b.openwrt.subtarget, b.openwrt.package_arch, b.toolchain.triple, b.cpu]) {
      assert.equal(typeof v, 'string');
      assert.ok(v.length > 0);
    }
    assert.ok(b.ram_mb >= 32 && b.flash_mb >= 4);
  });

  test(`${b.name}: endianness and float ABI agree with the toolchain`, () => {
    const bigEndian = /^mips-/.test(b.toolchain.triple) || /^mips64-/.test(b.toolchain.triple);
    assert.equal(b.toolchain.endianness, bigEndian ? 'big' : 'little');
    // OpenWrt's MIPS targets are soft-float; Debian's cross compilers default to hard-float (PLATFORM.md).
    if (/^mips/.test(b.openwrt.package_arch)) assert.equal(b.toolchain.float_abi, 'soft');
    if (b.toolchain.triple.endsWith('gnueabihf')) assert.equal(b.toolchain.float_abi, 'hard');
  });

  test(`${b.name}: a cross build names its Debian compiler and qemu, a native one neither`, () => {
    const native = b.toolchain.triple === 'x86_64-linux-gnu';
    assert.equal(b.toolchain.debian_cross === undefined, native);
    assert.equal(b.toolchain.qemu === undefined, native);
    if (!native) {
      assert.equal(b.toolchain.debian_cross, `gcc-${b.toolchain.triple}`);
      assert.match(b.toolchain.qemu!, /^qemu-[a-z0-9]+-static$/);
    }
  });

  test(`${b.name}: its wasm memory ceiling holds its flow table, and fits in RAM`, () => {
    const l = b.limits;
    assert.ok(Number.isInteger(l.flows) && l.flows >= 256 && l.flows <= 1 << 20);
    const need = FIXED_BYTES + l.flows * BYTES_PER_FLOW;
    assert.ok(l.wasm_pages * 65536 >= need, `${l.wasm_pages} pages < ${need} bytes`);
    assert.ok(l.wasm_pages * 65536 <= (b.ram_mb * 1048576) / 8, 'at most an eighth of RAM');
  });

  test(`${b.name}: wasm3 stack and verification rate are usable`, () => {
    // PLATFORM.md: a CBOR walk 16 deep needs more than 5 KB of wasm3 stack; 4 KiB was too small, 16 KiB enough.
    assert.ok(b.limits.wasm3_stack_kib >= 16);
    assert.ok(b.limits.verifications_per_second > 0);
  });
}
