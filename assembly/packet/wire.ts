// Network byte order (big-endian, RFC 791 Appendix B) loads for the packet
// parser. Linear memory is little-endian, so multi-byte header fields are
// assembled from their bytes. Callers check the bounds first: these read
// exactly the 1, 2 or 4 bytes at `ptr`.

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
