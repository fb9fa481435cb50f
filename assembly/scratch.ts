// The token pipeline's static buffers. One token is checked at a time, as a
// COSE message or as a JOSE one, never both: the two paths share these
// instead of each holding its own (linear memory is what a board's wasm page
// ceiling counts).

/** What a MAC, signature or AAD covers: COSE's MAC_structure / Sig_structure / Enc_structure, JOSE's decoded parts. */
export const STRUCTURE_CAPACITY: i32 = 4096;
export const STRUCTURE: usize = memory.data(STRUCTURE_CAPACITY);

/** A MAC as the host returns it (HMAC-SHA512 is the longest). */
export const MAC: usize = memory.data(64);

/** Plaintext buffers, one per COSE nesting level (an Encrypt0 may hold a signed CWT). */
export const MAX_LAYERS: i32 = 3;
export const PLAINTEXT_CAPACITY: i32 = 2048;
export const PLAINTEXT: usize = memory.data(PLAINTEXT_CAPACITY * MAX_LAYERS);

/** A JWE's plaintext: the first COSE layer's buffer (JOSE does not nest). */
export const JOSE_PLAIN: usize = PLAINTEXT;
/** JOSE claims rewritten as CBOR: the buffers of the COSE layers JOSE never reaches. */
export const JOSE_CBOR: usize = PLAINTEXT + <usize>PLAINTEXT_CAPACITY;
export const JOSE_CBOR_CAPACITY: i32 = PLAINTEXT_CAPACITY * (MAX_LAYERS - 1);
