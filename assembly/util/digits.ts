// Digit tables for the text the core writes (results, IP addresses,
// revocation keys). The pair tables are zeros in the module and filled when
// it starts: a byte in hex, or two decimal digits, is then one load.

/** Hex digits as bytes: a load per digit, where String#charCodeAt is a call (costly in wasm3). */
export const HEX_DIGITS: usize = memory.data<u8>([0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66]);

/** "00".."ff": byte b's two hex digits at HEX_PAIRS + 2b. */
export const HEX_PAIRS: usize = memory.data(512);
for (let b: usize = 0; b < 256; b++) {
  store<u8>(HEX_PAIRS + (b << 1), load<u8>(HEX_DIGITS + (b >> 4)));
  store<u8>(HEX_PAIRS + (b << 1), load<u8>(HEX_DIGITS + (b & 15)), 1);
}

/** "00".."99": d's two decimal digits at DECIMAL_PAIRS + 2d. */
export const DECIMAL_PAIRS: usize = memory.data(200);
for (let d: usize = 0; d < 100; d++) {
  store<u8>(DECIMAL_PAIRS + (d << 1), <u8>(0x30 + d / 10));
  store<u8>(DECIMAL_PAIRS + (d << 1), <u8>(0x30 + d % 10), 1);
}
