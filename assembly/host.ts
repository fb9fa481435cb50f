// Imports every host provides (docs/abi.md lists them; both hosts implement
// exactly these). Keys live in the host: the core passes raw key material once
// (key_import) and afterwards names keys by handle.

@external("env", "key_import")
export declare function keyImport(alg: i32, ptr: usize, len: i32): i32;

@external("env", "key_free")
export declare function keyFree(handle: i32): void;

@external("env", "sha256")
export declare function sha256(ptr: usize, len: i32, out: usize): void;

@external("env", "hmac_sha256")
export declare function hmacSha256(key: i32, ptr: usize, len: i32, out: usize): i32;

@external("env", "hmac_sha512")
export declare function hmacSha512(key: i32, ptr: usize, len: i32, out: usize): i32;

@external("env", "ed25519_verify")
export declare function ed25519Verify(key: i32, msg: usize, msgLen: i32, sig: usize, sigLen: i32): i32;

@external("env", "p256_verify")
export declare function p256Verify(key: i32, msg: usize, msgLen: i32, sig: usize, sigLen: i32): i32;

@external("env", "aes_ccm_decrypt")
export declare function aesCcmDecrypt(
  key: i32, nonce: usize, nonceLen: i32, aad: usize, aadLen: i32,
  ct: usize, ctLen: i32, tagLen: i32, out: usize,
): i32;

@external("env", "aes_gcm_decrypt")
export declare function aesGcmDecrypt(
  key: i32, nonce: usize, nonceLen: i32, aad: usize, aadLen: i32,
  ct: usize, ctLen: i32, out: usize,
): i32;

/** Raw AES-CBC decryption (no padding removed: the core checks it); 16-byte IV. */
@external("env", "aes_cbc_decrypt")
export declare function aesCbcDecrypt(key: i32, iv: usize, ct: usize, ctLen: i32, out: usize): i32;
