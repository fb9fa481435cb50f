// Just enough CBOR encoding to build the COSE to-be-MACed / to-be-signed /
// AAD structures (RFC 9052 §4.4, §5.3, §6.3): byte strings with the shortest
// head, as deterministic encoding requires. Plain functions over a position:
// the structure is built on every verification, and calls are what an
// interpreter such as wasm3 pays most for.

/** Bytes a byte string of `len` bytes takes, head included. */
export function byteStringSize(len: i32): i32 {
  return len + (len < 24 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 5);
}

/**
 * Writes a byte string (head, then content) at `at` and returns the position
 * after it. The caller has made room for byteStringSize(len) bytes.
 */
export function writeByteString(at: usize, ptr: usize, len: i32): usize {
  if (len < 24) {
    store<u8>(at, <u8>(0x40 | len));
    at += 1;
  } else if (len < 0x100) {
    store<u8>(at, 0x58);
    store<u8>(at, <u8>len, 1);
    at += 2;
  } else if (len < 0x10000) {
    store<u8>(at, 0x59);
    store<u8>(at, <u8>(len >> 8), 1);
    store<u8>(at, <u8>len, 2);
    at += 3;
  } else {
    store<u8>(at, 0x5a);
    store<u8>(at, <u8>(len >>> 24), 1);
    store<u8>(at, <u8>(len >> 16), 2);
    store<u8>(at, <u8>(len >> 8), 3);
    store<u8>(at, <u8>len, 4);
    at += 5;
  }
  memory.copy(at, ptr, <usize>len);
  return at + <usize>len;
}
