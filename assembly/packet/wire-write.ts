// Network byte order (big-endian, RFC 791 Appendix B) stores for the packet
// editors (dscp.ts, checksum.ts, assembly/tagging/): the mirror of wire.ts.
// Callers check the bounds first: these write exactly the 1, 2 or 4 bytes at
// `ptr`.

/** Writes the low 8 bits of `v` at `ptr`. */
export function putU8(ptr: usize, v: i32): void {
  store<u8>(ptr, <u8>v);
}

/** Writes the low 16 bits of `v` big-endian at `ptr`. */
export function putU16be(ptr: usize, v: i32): void {
  store<u16>(ptr, bswap<u16>(<u16>v));
}

/** Writes `v` big-endian at `ptr`. */
export function putU32be(ptr: usize, v: u32): void {
  store<u32>(ptr, bswap<u32>(v));
}
