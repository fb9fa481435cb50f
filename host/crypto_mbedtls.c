/*
 * SHA-256, HMAC-SHA256/512, AES-CCM, AES-GCM, AES-CBC and ECDSA P-256 from mbedTLS 2.28
 * (Debian 12, OpenWrt). Behaviour follows the TS host's node:crypto provider
 * (src/host/crypto.ts) so that both hosts give the same verdicts.
 */
#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/ccm.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "crypto.h"

void crypto_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
	mbedtls_sha256_ret(data, len, out, 0);
}

void crypto_hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t out[32])
{
	mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, key_len, data, len, out);
}

void crypto_hmac_sha512(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t out[64])
{
	mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA512), key, key_len, data, len, out);
}

static int p256_point(mbedtls_ecp_group *grp, mbedtls_ecp_point *q, const uint8_t raw[65])
{
	/* SEC 1 §2.3.4: the uncompressed form 04 || x || y, then an on-curve check. */
	if (raw[0] != 0x04)
		return -1;
	if (mbedtls_ecp_group_load(grp, MBEDTLS_ECP_DP_SECP256R1) != 0)
		return -1;
	if (mbedtls_ecp_point_read_binary(grp, q, raw, 65) != 0)
		return -1;
	return mbedtls_ecp_check_pubkey(grp, q) == 0 ? 0 : -1;
}

int crypto_p256_check_key(const uint8_t raw[65])
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	int rc;

	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	rc = p256_point(&grp, &q, raw);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	return rc;
}

int crypto_p256_verify(const uint8_t raw[65], const uint8_t *msg, size_t msg_len, const uint8_t *sig, size_t sig_len)
{
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi r, s;
	uint8_t hash[32];
	int valid = 0;

	/* RFC 9053 §2.1: the signature is r || s, 32 bytes each. */
	if (sig_len != 64)
		return 0;
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	crypto_sha256(msg, msg_len, hash);
	/* mbedtls_ecdsa_verify checks 1 <= r, s < n and accepts high S, as COSE wants. */
	if (p256_point(&grp, &q, raw) == 0 &&
	    mbedtls_mpi_read_binary(&r, sig, 32) == 0 &&
	    mbedtls_mpi_read_binary(&s, sig + 32, 32) == 0)
		valid = mbedtls_ecdsa_verify(&grp, hash, sizeof hash, &q, &r, &s) == 0;
	mbedtls_mpi_free(&s);
	mbedtls_mpi_free(&r);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	return valid;
}

int crypto_aes_ccm_decrypt(const uint8_t *key, size_t key_len, const uint8_t *nonce, size_t nonce_len,
                           const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
                           size_t tag_len, uint8_t *out)
{
	mbedtls_ccm_context ccm;
	size_t pt_len;
	int rc;

	/* RFC 3610 §2: nonce 7..13 bytes, tag 4..16 bytes and even. Parameter
	 * errors, as node:crypto throws for them before looking at the data. */
	if (nonce_len < 7 || nonce_len > 13 || tag_len < 4 || tag_len > 16 || (tag_len & 1))
		return CRYPTO_BAD_PARAMS;
	if (ct_len < tag_len)
		return CRYPTO_AUTH_FAILED;
	pt_len = ct_len - tag_len;
	mbedtls_ccm_init(&ccm);
	rc = mbedtls_ccm_setkey(&ccm, MBEDTLS_CIPHER_ID_AES, key, (unsigned int)(key_len * 8));
	if (rc == 0)
		rc = mbedtls_ccm_auth_decrypt(&ccm, pt_len, nonce, nonce_len, aad, aad_len, ct, out,
		                              ct + pt_len, tag_len);
	mbedtls_ccm_free(&ccm);
	if (rc == MBEDTLS_ERR_CCM_AUTH_FAILED)
		return CRYPTO_AUTH_FAILED;
	return rc == 0 ? (int)pt_len : CRYPTO_BAD_PARAMS;
}

int crypto_aes_gcm_decrypt(const uint8_t *key, size_t key_len, const uint8_t *nonce, size_t nonce_len,
                           const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len, uint8_t *out)
{
	enum { TAG = 16 };
	mbedtls_gcm_context gcm;
	size_t pt_len;
	int rc;

	/* RFC 9053 §4.1: COSE AES-GCM takes a 96-bit nonce only. */
	if (nonce_len != 12)
		return CRYPTO_BAD_PARAMS;
	if (ct_len < TAG)
		return CRYPTO_AUTH_FAILED;
	pt_len = ct_len - TAG;
	mbedtls_gcm_init(&gcm);
	rc = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, key, (unsigned int)(key_len * 8));
	if (rc == 0)
		rc = mbedtls_gcm_auth_decrypt(&gcm, pt_len, nonce, nonce_len, aad, aad_len, ct + pt_len, TAG, ct, out);
	mbedtls_gcm_free(&gcm);
	if (rc == MBEDTLS_ERR_GCM_AUTH_FAILED)
		return CRYPTO_AUTH_FAILED;
	return rc == 0 ? (int)pt_len : CRYPTO_BAD_PARAMS;
}

int crypto_aes_cbc_decrypt(const uint8_t *key, size_t key_len, const uint8_t iv[16], const uint8_t *ct, size_t ct_len,
                           uint8_t *out)
{
	mbedtls_aes_context aes;
	uint8_t chain[16];
	int rc;

	/* As node:crypto with autoPadding off: whole blocks only. */
	if (ct_len == 0 || ct_len % 16 != 0 || ct_len > INT32_MAX)
		return CRYPTO_BAD_PARAMS;
	memcpy(chain, iv, sizeof chain); /* mbedtls_aes_crypt_cbc updates the IV it is given */
	mbedtls_aes_init(&aes);
	rc = mbedtls_aes_setkey_dec(&aes, key, (unsigned int)(key_len * 8));
	if (rc == 0)
		rc = mbedtls_aes_crypt_cbc(&aes, MBEDTLS_AES_DECRYPT, ct_len, chain, ct, out);
	mbedtls_aes_free(&aes);
	return rc == 0 ? (int)ct_len : CRYPTO_BAD_PARAMS;
}
