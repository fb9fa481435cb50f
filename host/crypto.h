/*
 * The crypto adapter of ntokd: the primitives docs/abi.md asks of a host, one
 * short function each, over raw key bytes. crypto_mbedtls.c implements all but
 * Ed25519 (mbedTLS 2.28 has none), crypto_sodium.c implements Ed25519.
 */
#ifndef NTOK_CRYPTO_H
#define NTOK_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* Returns of the decrypt functions, as the imports answer them (docs/abi.md). */
#define CRYPTO_AUTH_FAILED (-1)
#define CRYPTO_BAD_PARAMS (-4)

int crypto_init(void);
/* Zeroes memory in a way the compiler keeps (secret keys). */
void crypto_wipe(void *p, size_t len);

void crypto_sha256(const uint8_t *data, size_t len, uint8_t out[32]);
void crypto_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t out[32]);
void crypto_hmac_sha512(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t out[64]);

/* 0 when `raw` (04 || x || y) is a point on P-256, else -1. */
int crypto_p256_check_key(const uint8_t raw[65]);
/* ECDSA P-256 over SHA-256(msg), sig = r || s; high-S accepted. 1 valid, 0 not. */
int crypto_p256_verify(const uint8_t raw[65], const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len);

/* 0 when `raw` is an acceptable Ed25519 public key, else -1. */
int crypto_ed25519_check_key(const uint8_t raw[32]);
/* 1 valid, 0 not. */
int crypto_ed25519_verify(const uint8_t raw[32], const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len);

/* Plaintext length (ct_len - tag_len) written to out, CRYPTO_AUTH_FAILED or CRYPTO_BAD_PARAMS. */
int crypto_aes_ccm_decrypt(const uint8_t *key, size_t key_len, const uint8_t *nonce, size_t nonce_len,
                           const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
                           size_t tag_len, uint8_t *out);
/* 16-byte tag at the end of ct; same returns. */
int crypto_aes_gcm_decrypt(const uint8_t *key, size_t key_len, const uint8_t *nonce, size_t nonce_len,
                           const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len, uint8_t *out);
/* Raw AES-CBC decryption, no padding removed (the core checks PKCS#7 after
 * its MAC check): ct_len (whole blocks, > 0) bytes to out, or CRYPTO_BAD_PARAMS. */
int crypto_aes_cbc_decrypt(const uint8_t *key, size_t key_len, const uint8_t iv[16], const uint8_t *ct, size_t ct_len,
                           uint8_t *out);

#endif
