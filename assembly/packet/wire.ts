// Network byte order (big-endian, RFC 791 Appendix B) loads and stores for the
// packet parser and editors. Linear memory is little-endian, so multi-byte
// header fields are assembled from their bytes. Callers check the bounds
// first: these touch exactly the 1, 2 or 4 bytes at `ptr`.

/** The byte at `ptr`, widened. */
export function u8at(ptr: usize): i32 {
  return <i32>load<u8>(ptr);
}

/** The unsigned 16-bit big-endian field at `ptr`. */
export function u16be(ptr: usize): i32 {
  return (<i32>load<u8>(ptr) << 8) | <i32>load<u8>(ptr, 1);
}

/** The 32-bit big-endian field at `ptr`. */
export function u32be(ptr: usize): u32 {
  return bswap<u32>(load<u32>(ptr));
}

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
