/*
 * mbedTLS 2.28 configuration for the board builds of ntokd
 * (boards/build-board.sh passes -DMBEDTLS_CONFIG_FILE with this file to both
 * libmbedcrypto.a and the host sources). Only what host/crypto_mbedtls.c
 * calls: SHA-256, HMAC-SHA256 (md), AES-CCM, AES-GCM, ECDSA P-256 verify;
 * for JOSE tokens (issue 7) AES-CBC and SHA-512 (HMAC-SHA512 of
 * A256CBC-HS512).
 * Debian's full configuration also compiles every other cipher, digest and
 * curve, which the md and cipher tables then drag into a static binary.
 * The native build/ntokd links Debian's libmbedcrypto (full configuration);
 * test/boards checks both answer alike.
 */
#ifndef NTOK_MBEDTLS_CONFIG_H
#define NTOK_MBEDTLS_CONFIG_H

/* System support */
#define MBEDTLS_HAVE_ASM

/* Modules */
#define MBEDTLS_AES_C
#define MBEDTLS_CCM_C
#define MBEDTLS_GCM_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA512_C
#define MBEDTLS_CIPHER_MODE_CBC
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECDSA_C

/* Curves: P-256 only */
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
/* No DRBG: ECP's internal RNG only blinds scalar multiplications against
 * side channels, which matters for private keys; ntokd only verifies
 * (public key, public signature), so it is off. */
#define MBEDTLS_ECP_NO_INTERNAL_RNG

#include "mbedtls/check_config.h"

#endif
