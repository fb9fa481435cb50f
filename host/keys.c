/*
 * The key table. Handles are never reused (as in src/host/core.ts), so a stale
 * handle the core kept by mistake finds nothing instead of another key.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "keys.h"

static struct host_key **table; /* table[handle - 1] */
static size_t table_len, table_cap;

/* COSE algorithm -> primitive and raw key length (0: any non-empty length),
 * the same checks as checkKey() in src/host/crypto.ts. */
static int key_shape(int32_t alg, enum key_primitive *primitive, size_t *want)
{
	switch (alg) {
	case 4: /* HMAC 256/64 */
	case 5: /* HMAC 256/256 */
		*primitive = KEY_HMAC, *want = 0;
		return 0;
	case 7: /* HMAC 512/512: the MAC half of JOSE A256CBC-HS512 */
		*primitive = KEY_HMAC512, *want = 0;
		return 0;
	case -65531: /* A128CBC (RFC 9459): the AES half of JOSE A128CBC-HS256 */
	case -65530: /* A192CBC */
	case -65529: /* A256CBC: the AES half of A256CBC-HS512 */
		*primitive = KEY_CBC, *want = 16 + 8 * (size_t)(alg + 65531);
		return 0;
	case 10: /* AES-CCM-16-64-128 */
		*primitive = KEY_CCM, *want = 16;
		return 0;
	case 1: /* A128GCM */
	case 2: /* A192GCM */
	case 3: /* A256GCM */
		*primitive = KEY_GCM, *want = 8 + 8 * (size_t)alg;
		return 0;
	case -8: /* EdDSA */
		*primitive = KEY_ED25519, *want = 32;
		return 0;
	case -7: /* ES256: 04 || x || y */
		*primitive = KEY_P256, *want = 65;
		return 0;
	default:
		return -1;
	}
}

int keys_import(int32_t alg, const uint8_t *raw, size_t len)
{
	enum key_primitive primitive;
	struct host_key *key;
	size_t want;

	if (key_shape(alg, &primitive, &want) != 0)
		return -1;
	if (want ? len != want : len == 0)
		return -1;
	if (primitive == KEY_ED25519 && crypto_ed25519_check_key(raw) != 0)
		return -1;
	if (primitive == KEY_P256 && crypto_p256_check_key(raw) != 0)
		return -1;
	if (table_len == table_cap) {
		size_t cap = table_cap ? table_cap * 2 : 16;
		struct host_key **grown;

		if (table_len >= INT32_MAX - 1)
			return -1;
		grown = realloc(table, cap * sizeof *table);
		if (!grown)
			return -1;
		table = grown, table_cap = cap;
	}
	key = malloc(sizeof *key + len);
	if (!key)
		return -1;
	key->primitive = primitive;
	key->len = len;
	memcpy(key->bytes, raw, len);
	table[table_len++] = key;
	return (int)table_len;
}

const struct host_key *keys_get(int32_t handle)
{
	if (handle <= 0 || (size_t)handle > table_len)
		return NULL;
	return table[handle - 1];
}

void keys_free(int32_t handle)
{
	struct host_key *key;

	if (handle <= 0 || (size_t)handle > table_len || !table[handle - 1])
		return;
	key = table[handle - 1];
	/* Secret keys are wiped, not just released. */
	crypto_wipe(key->bytes, key->len);
	free(key);
	table[handle - 1] = NULL;
}

void keys_free_all(void)
{
	for (size_t i = 0; i < table_len; i++)
		keys_free((int32_t)(i + 1));
}

size_t keys_live(void)
{
	size_t n = 0;

	for (size_t i = 0; i < table_len; i++)
		n += table[i] != NULL;
	return n;
}
