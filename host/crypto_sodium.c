/*
 * Ed25519 from libsodium (mbedTLS 2.28 has none).
 *
 * Strictness, compared with RFC 8032 §5.1.7 and the TS host (OpenSSL through
 * node:crypto, or @noble/curves with zip215: false): libsodium 1.0.18
 * verifies cofactorless ([S]B = R + [k]A, as OpenSSL does) and, beyond the
 * RFC, refuses a signature whose R is a small-order point and any public key
 * that is small-order or not canonically encoded. Honest signatures pass every
 * one of these; only crafted ones can tell the hosts apart. Key import is
 * stricter still: crypto_core_ed25519_is_valid_point also refuses keys outside
 * the prime-order subgroup (a mixed-order key the TS host would import).
 */
#include <sodium.h>

#include "crypto.h"

/*
 * No sodium_init(): it picks the fastest implementation of every primitive
 * libsodium has (BLAKE2b, Poly1305, X25519, ChaCha20, Salsa20, Argon2) and
 * seeds randombytes, which links all of them into a static binary: ~50 KB
 * on MIPS, past the 400 KB budget of issue 5. The three functions used here
 * (Ed25519 verify, point validation, memzero) have one portable
 * implementation in libsodium 1.0.18 (ref10 and SHA-512 without CPU
 * dispatch) and read no state sodium_init sets; the conformance suite's
 * Ed25519 vectors, crafted small-order and non-canonical ones included,
 * hold them to the TS host's answers on every board.
 */
int crypto_init(void)
{
	return 0;
}

void crypto_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}

int crypto_ed25519_check_key(const uint8_t raw[32])
{
	return crypto_core_ed25519_is_valid_point(raw) ? 0 : -1;
}

int crypto_ed25519_verify(const uint8_t raw[32], const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	if (sig_len != crypto_sign_BYTES)
		return 0;
	return crypto_sign_verify_detached(sig, msg, msg_len, raw) == 0;
}
