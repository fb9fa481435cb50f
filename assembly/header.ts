// The 4-byte network-token header (draft-yiakoumis-network-tokens-02):
// big-endian u32, bits 31..28 reflect type, bits 27..0 token descriptor id.

export const HEADER_LEN: i32 = 4;

/** 0: inserted by origin; 1: inserted by origin, reflect at receiver; 2: reflected. 3..15 reserved. */
export const REFLECT_MAX: i32 = 2;

// Unmanaged: one instance for the module's life, nothing for the collector to follow.
@unmanaged
export class TokenHeader {
  reflect: i32 = 0;
  descriptor: u32 = 0;

  /** Reads the header at `ptr`; false for a reserved reflect type. */
  read(ptr: usize): bool {
    const v = (<u32>load<u8>(ptr) << 24) | (<u32>load<u8>(ptr + 1) << 16) | (<u32>load<u8>(ptr + 2) << 8) | <u32>load<u8>(ptr + 3);
    this.reflect = <i32>(v >>> 28);
    this.descriptor = v & 0x0fffffff;
    return this.reflect <= REFLECT_MAX;
  }
}
