/*
 * Keys held by the host, by handle (docs/abi.md key_import / key_free): the
 * core names keys only by handle. Each key is bound to one primitive, as in
 * the TS host; a key used for another primitive is a host error.
 */
#ifndef NTOK_KEYS_H
#define NTOK_KEYS_H

#include <stddef.h>
#include <stdint.h>

enum key_primitive { KEY_HMAC = 1, KEY_CCM, KEY_GCM, KEY_ED25519, KEY_P256, KEY_HMAC512, KEY_CBC };

struct host_key {
	enum key_primitive primitive;
	size_t len;
	uint8_t bytes[];
};

/* A handle > 0, or -1 when the bytes do not fit COSE algorithm `alg`. */
int keys_import(int32_t alg, const uint8_t *raw, size_t len);
const struct host_key *keys_get(int32_t handle);
void keys_free(int32_t handle);
/* Frees every key: the instance that held their handles is gone (a trap). */
void keys_free_all(void);
size_t keys_live(void);

#endif
