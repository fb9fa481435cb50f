/*
 * ntok.wasm under wasm3, in the manner of wasm3's own embeddings
 * (source/m3_api_libc.c): one raw function per import, linked by module and
 * name with a signature string, every pointer and length checked against the
 * memory size before it is touched.
 *
 * Where the TS host (src/host/core.ts) returns an error code, so do we: a
 * range outside linear memory is -4 (its guard's answer to a RangeError), not
 * a trap, so that both hosts give the core the same answers. Offsets are read
 * as integers and checked before a pointer is formed from them.
 *
 * Linear memory is little-endian on every CPU; ntok passes byte strings
 * through it, and the one struct read here (process()'s verdict) is decoded
 * byte by byte, never through a native pointer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm3.h"
#include "m3_env.h" /* M3Module's memoryInfo: the --max-pages ceiling */

#include "crypto.h"
#include "keys.h"
#include "wasm_host.h"

/* PLATFORM.md: a CBOR walk 16 deep needs > 5 KB of wasm3 stack; 4 KiB is too
 * small. 64 KiB leaves room for the core to grow. */
#ifndef WASM3_STACK_BYTES
#define WASM3_STACK_BYTES (64 * 1024)
#endif

#define ERR_BAD_HANDLE (-2)
#define ERR_HOST (-4)

struct ntok_core {
	/* The module (the caller's bytes) and the ceiling, kept to make the instance again. */
	const uint8_t *wasm;
	size_t wasm_len;
	uint32_t max_pages;
	IM3Environment env;
	IM3Runtime runtime;
	IM3Module module;
	IM3Function input_ptr, input_capacity, output_ptr, output_len;
	IM3Function configure, verify, result_name, abi_version;
	IM3Function process, verdict_ptr, flow_name, service_name, status;
	IM3Function revoke, nat_ptr, set_nat, expire_flows, withdrawn_flow;
	/* Constant addresses, read once. */
	uint32_t input_at, verdict_at, nat_at;
	int32_t capacity;
};

/* The bytes [off, off + len) of linear memory, or NULL if any is outside it. */
static uint8_t *wasm_range(IM3Runtime runtime, void *mem, uint32_t off, int32_t len)
{
	if (len < 0 || (uint64_t)off + (uint64_t)len > m3_GetMemorySize(runtime))
		return NULL;
	return (uint8_t *)mem + off;
}

#define RANGE_OR(var, off, len, fail)                                    \
	uint8_t *var = wasm_range(runtime, _mem, (off), (len));          \
	if (!var)                                                        \
		m3ApiReturn(fail)

/* key_import(alg, ptr, len) -> handle > 0, or -1 */
m3ApiRawFunction(h_key_import)
{
	m3ApiReturnType(int32_t);
	m3ApiGetArg(int32_t, alg);
	m3ApiGetArg(uint32_t, ptr);
	m3ApiGetArg(int32_t, len);
	(void)_ctx;
	RANGE_OR(raw, ptr, len, -1);
	m3ApiReturn(keys_import(alg, raw, (size_t)len));
}

/* key_free(handle) */
m3ApiRawFunction(h_key_free)
{
	m3ApiGetArg(int32_t, handle);
	(void)runtime, (void)_ctx, (void)_mem;
	keys_free(handle);
	m3ApiSuccess();
}

/* sha256(ptr, len, out) */
m3ApiRawFunction(h_sha256)
{
	m3ApiGetArg(uint32_t, ptr);
	m3ApiGetArg(int32_t, len);
	m3ApiGetArg(uint32_t, out);
	uint8_t *data = wasm_range(runtime, _mem, ptr, len);
	uint8_t *digest = wasm_range(runtime, _mem, out, 32);
	(void)_ctx;
	if (data && digest) {
		uint8_t h[32];

		crypto_sha256(data, (size_t)len, h);
		memcpy(digest, h, sizeof h);
	}
	m3ApiSuccess();
}

static const struct host_key *key_for(int32_t handle, enum key_primitive primitive, int *err)
{
	const struct host_key *key = keys_get(handle);

	*err = !key ? ERR_BAD_HANDLE : key->primitive != primitive ? ERR_HOST : 0;
	return *err ? NULL : key;
}

/*
 * HMAC-SHA256 (sha512 0) or HMAC-SHA512 over wasm bytes (ptr, len) under key
 * `handle`, the MAC (32 or 64 bytes) to `out`: 0, or an error code. The two
 * imports below differ only in this choice.
 */
static int32_t hmac_into(IM3Runtime runtime, void *_mem, int sha512, int32_t handle, uint32_t ptr, int32_t len,
                         uint32_t out)
{
	const struct host_key *key;
	const size_t mac_len = sha512 ? 64 : 32;
	uint8_t mac[64], *data, *dst;
	int err;

	if (!keys_get(handle))
		return ERR_BAD_HANDLE;
	if (!(data = wasm_range(runtime, _mem, ptr, len)))
		return ERR_HOST;
	if (!(key = key_for(handle, sha512 ? KEY_HMAC512 : KEY_HMAC, &err)))
		return err;
	if (sha512)
		crypto_hmac_sha512(key->bytes, key->len, data, (size_t)len, mac);
	else
		crypto_hmac_sha256(key->bytes, key->len, data, (size_t)len, mac);
	if (!(dst = wasm_range(runtime, _mem, out, (int32_t)mac_len)))
		return ERR_HOST;
	memcpy(dst, mac, mac_len);
	return 0;
}

/* hmac_sha256(key, ptr, len, out) -> 0 */
m3ApiRawFunction(h_hmac_sha256)
{
	m3ApiReturnType(int32_t);
	m3ApiGetArg(int32_t, handle);
	m3ApiGetArg(uint32_t, ptr);
	m3ApiGetArg(int32_t, len);
	m3ApiGetArg(uint32_t, out);
	(void)_ctx;
	m3ApiReturn(hmac_into(runtime, _mem, 0, handle, ptr, len, out));
}

/* ed25519_verify / p256_verify(key, msg, msg_len, sig, sig_len) -> 1 / 0 */
static int32_t signature_check(IM3Runtime runtime, void *_mem, enum key_primitive primitive, int32_t handle,
                               uint32_t msg, int32_t msg_len, uint32_t sig, int32_t sig_len)
{
	const struct host_key *key;
	uint8_t *m, *s;
	int err;

	if (!keys_get(handle))
		return ERR_BAD_HANDLE;
	m = wasm_range(runtime, _mem, msg, msg_len);
	s = wasm_range(runtime, _mem, sig, sig_len);
	if (!m || !s)
		return ERR_HOST;
	if (!(key = key_for(handle, primitive, &err)))
		return err;
	return primitive == KEY_ED25519
		? crypto_ed25519_verify(key->bytes, m, (size_t)msg_len, s, (size_t)sig_len)
		: crypto_p256_verify(key->bytes, m, (size_t)msg_len, s, (size_t)sig_len);
}

m3ApiRawFunction(h_ed25519_verify)
{
	m3ApiReturnType(int32_t);
	m3ApiGetArg(int32_t, handle);
	m3ApiGetArg(uint32_t, msg);
	m3ApiGetArg(int32_t, msg_len);
	m3ApiGetArg(uint32_t, sig);
	m3ApiGetArg(int32_t, sig_len);
	(void)_ctx;
	m3ApiReturn(signature_check(runtime, _mem, KEY_ED25519, handle, msg, msg_len, sig, sig_len));
}

m3ApiRawFunction(h_p256_verify)
{
	m3ApiReturnType(int32_t);
	m3ApiGetArg(int32_t, handle);
	m3ApiGetArg(uint32_t, msg);
	m3ApiGetArg(int32_t, msg_len);
	m3ApiGetArg(uint32_t, sig);
	m3ApiGetArg(int32_t, sig_len);
	(void)_ctx;
	m3ApiReturn(signature_check(runtime, _mem, KEY_P256, handle, msg, msg_len, sig, sig_len));
}

/* The AEAD imports: plaintext length, -1 when authentication fails, -2 / -4
 * otherwise. The plaintext goes through a scratch buffer so that `out` is
 * only checked (and written) once the tag has verified, as in the TS host. */
static int32_t aead_decrypt(IM3Runtime runtime, void *_mem, enum key_primitive primitive, int32_t handle,
                            uint32_t nonce, int32_t nonce_len, uint32_t aad, int32_t aad_len,
                            uint32_t ct, int32_t ct_len, int32_t tag_len, uint32_t out)
{
	const struct host_key *key;
	uint8_t *n, *a, *c, *dst, *pt;
	int32_t got;
	int err;

	if (!keys_get(handle))
		return ERR_BAD_HANDLE;
	n = wasm_range(runtime, _mem, nonce, nonce_len);
	a = wasm_range(runtime, _mem, aad, aad_len);
	c = wasm_range(runtime, _mem, ct, ct_len);
	if (!n || !a || !c)
		return ERR_HOST;
	if (!(key = key_for(handle, primitive, &err)))
		return err;
	if (primitive == KEY_CCM && tag_len < 0)
		return ERR_HOST;
	pt = malloc(ct_len > 0 ? (size_t)ct_len : 1);
	if (!pt)
		return ERR_HOST;
	got = primitive == KEY_CCM
		? crypto_aes_ccm_decrypt(key->bytes, key->len, n, (size_t)nonce_len, a, (size_t)aad_len,
		                         c, (size_t)ct_len, (size_t)tag_len, pt)
		: crypto_aes_gcm_decrypt(key->bytes, key->len, n, (size_t)nonce_len, a, (size_t)aad_len,
		                         c, (size_t)ct_len, pt);
	if (got >= 0) {
		dst = wasm_range(runtime, _mem, out, got);
		if (dst)
			memcpy(dst, pt, (size_t)got);
		else
			got = ERR_HOST;
	}
	crypto_wipe(pt, ct_len > 0 ? (size_t)ct_len : 1);
	free(pt);
	return got;
}

/* aes_ccm_decrypt(key, nonce, nonce_len, aad, aad_len, ct, ct_len, tag_len, out) */
m3ApiRawFunction(h_aes_ccm_decrypt)
{
	m3ApiReturnType(int32_t);
	m3ApiGetArg(int32_t, handle);
	m3ApiGetArg(uint32_t, nonce);
	m3ApiGetArg(int32_t, nonce_len);
	m3ApiGetArg(uint32_t, aad);
	m3ApiGetArg(int32_t, aad_len);
	m3ApiGetArg(uint32_t, ct);
	m3ApiGetArg(int32_t, ct_len);
	m3ApiGetArg(int32_t, tag_len);
	m3ApiGetArg(uint32_t, out);
	(void)_ctx;
	m3ApiReturn(aead_decrypt(runtime, _mem, KEY_CCM, handle, nonce, nonce_len, aad, aad_len, ct, ct_len,
	                         tag_len, out));
}

/* aes_gcm_decrypt(key, nonce, nonce_len, aad, aad_len, ct, ct_len, out) */
m3ApiRawFunction(h_aes_gcm_decrypt)
{
	m3ApiReturnType(int32_t);
	m3ApiGetArg(int32_t, handle);
	m3ApiGetArg(uint32_t, nonce);
	m3ApiGetArg(int32_t, nonce_len);
	m3ApiGetArg(uint32_t, aad);
	m3ApiGetArg(int32_t, aad_len);
	m3ApiGetArg(uint32_t, ct);
	m3ApiGetArg(int32_t, ct_len);
	m3ApiGetArg(uint32_t, out);
	(void)_ctx;
	m3ApiReturn(aead_decrypt(runtime, _mem, KEY_GCM, handle, nonce, nonce_len, aad, aad_len, ct, ct_len, 16,
	                         out));
}

/* hmac_sha512(key, ptr, len, out) -> 0: the MAC half of a JOSE A256CBC-HS512 key */
m3ApiRawFunction(h_hmac_sha512)
{
	m3ApiReturnType(int32_t);
	m3ApiGetArg(int32_t, handle);
	m3ApiGetArg(uint32_t, ptr);
	m3ApiGetArg(int32_t, len);
	m3ApiGetArg(uint32_t, out);
	(void)_ctx;
	m3ApiReturn(hmac_into(runtime, _mem, 1, handle, ptr, len, out));
}

/* aes_cbc_decrypt(key, iv, ct, ct_len, out) -> ct_len: raw blocks, 16-byte IV;
 * the core checks the padding (after its MAC check, JOSE AES-CBC-HMAC). */
m3ApiRawFunction(h_aes_cbc_decrypt)
{
	m3ApiReturnType(int32_t);
	m3ApiGetArg(int32_t, handle);
	m3ApiGetArg(uint32_t, iv);
	m3ApiGetArg(uint32_t, ct);
	m3ApiGetArg(int32_t, ct_len);
	m3ApiGetArg(uint32_t, out);
	const struct host_key *key;
	uint8_t *v, *c;
	int err;
	(void)_ctx;
	if (!keys_get(handle))
		m3ApiReturn(ERR_BAD_HANDLE);
	v = wasm_range(runtime, _mem, iv, 16);
	c = wasm_range(runtime, _mem, ct, ct_len);
	if (!v || !c)
		m3ApiReturn(ERR_HOST);
	if (!(key = key_for(handle, KEY_CBC, &err)))
		m3ApiReturn(err);
	RANGE_OR(pt, out, ct_len, ERR_HOST);
	m3ApiReturn(crypto_aes_cbc_decrypt(key->bytes, key->len, v, c, (size_t)ct_len, pt));
}

/* docs/abi.md "Imports": every one, with pointer arguments as `*`. */
static const struct {
	const char *name, *signature;
	M3RawCall fn;
} imports[] = {
	{ "key_import", "i(i*i)", h_key_import },
	{ "key_free", "v(i)", h_key_free },
	{ "sha256", "v(*i*)", h_sha256 },
	{ "hmac_sha256", "i(i*i*)", h_hmac_sha256 },
	{ "ed25519_verify", "i(i*i*i)", h_ed25519_verify },
	{ "p256_verify", "i(i*i*i)", h_p256_verify },
	{ "aes_ccm_decrypt", "i(i*i*i*ii*)", h_aes_ccm_decrypt },
	{ "aes_gcm_decrypt", "i(i*i*i*i*)", h_aes_gcm_decrypt },
	{ "hmac_sha512", "i(i*i*)", h_hmac_sha512 },
	{ "aes_cbc_decrypt", "i(i**i*)", h_aes_cbc_decrypt },
};

static const char *call_i32(IM3Function fn, int32_t *ret)
{
	const char *res = m3_CallV(fn);

	return res ? res : m3_GetResultsV(fn, ret);
}

static const char *find(struct ntok_core *core, IM3Function *fn, const char *name)
{
	return m3_FindFunction(fn, core->runtime, name);
}

/* Frees the instance and the keys whose handles it held. */
static void release(struct ntok_core *core)
{
	if (core->runtime)
		m3_FreeRuntime(core->runtime); /* frees the loaded module too */
	if (core->env)
		m3_FreeEnvironment(core->env);
	core->runtime = NULL;
	core->env = NULL;
	core->module = NULL;
	keys_free_all();
}

/* A new instance of core->wasm: 0, or -1 with the reason in err. */
static int instantiate(struct ntok_core *core, char *err, size_t err_len)
{
	const char *what, *res = NULL;
	int32_t abi = 0;

	what = "wasm3 environment";
	if (!(core->env = m3_NewEnvironment()) ||
	    !(core->runtime = m3_NewRuntime(core->env, WASM3_STACK_BYTES, NULL)))
		goto fail;
	what = "parse ntok.wasm";
	if (core->wasm_len > UINT32_MAX ||
	    (res = m3_ParseModule(core->env, &core->module, core->wasm, (uint32_t)core->wasm_len)))
		goto fail;
	/* As the TS host's withMemoryMaximum (src/host/memory-limit.ts): the
	 * module's memory gets a maximum, and memory.grow past it fails. On a
	 * board d_m3MaxLinearMemoryPages (wasm_pages) caps it as well. */
	if (core->max_pages && (!core->module->memoryInfo.maxPages || core->module->memoryInfo.maxPages > core->max_pages))
		core->module->memoryInfo.maxPages = core->max_pages;
	what = "load ntok.wasm";
	if ((res = m3_LoadModule(core->runtime, core->module))) {
		m3_FreeModule(core->module);
		core->module = NULL;
		goto fail;
	}
	for (size_t i = 0; i < sizeof imports / sizeof imports[0]; i++) {
		what = imports[i].name;
		/* An unlinked import would fail only at its first call. */
		if ((res = m3_LinkRawFunction(core->module, "env", imports[i].name, imports[i].signature, imports[i].fn)))
			goto fail;
	}
	what = "exports";
	if ((res = find(core, &core->abi_version, "abi_version")) ||
	    (res = find(core, &core->input_ptr, "input_ptr")) ||
	    (res = find(core, &core->input_capacity, "input_capacity")) ||
	    (res = find(core, &core->output_ptr, "output_ptr")) ||
	    (res = find(core, &core->output_len, "output_len")) ||
	    (res = find(core, &core->configure, "configure")) ||
	    (res = find(core, &core->verify, "verify")) ||
	    (res = find(core, &core->result_name, "result_name")) ||
	    (res = find(core, &core->process, "process")) ||
	    (res = find(core, &core->verdict_ptr, "verdict_ptr")) ||
	    (res = find(core, &core->flow_name, "flow_name")) ||
	    (res = find(core, &core->service_name, "service_name")) ||
	    (res = find(core, &core->status, "status")) ||
	    (res = find(core, &core->revoke, "revoke")) ||
	    (res = find(core, &core->nat_ptr, "nat_ptr")) ||
	    (res = find(core, &core->set_nat, "set_nat")) ||
	    (res = find(core, &core->expire_flows, "expire_flows")) ||
	    (res = find(core, &core->withdrawn_flow, "withdrawn_flow")))
		goto fail;
	what = "abi_version";
	if ((res = m3_CallV(core->abi_version)) || (res = m3_GetResultsV(core->abi_version, &abi)))
		goto fail;
	if (abi != 1) {
		snprintf(err, err_len, "ntok.wasm ABI %d, host expects 1", (int)abi);
		release(core);
		return -1;
	}
	{
		int32_t input, verdict, nat;

		what = "buffers";
		if ((res = call_i32(core->input_ptr, &input)) || (res = call_i32(core->input_capacity, &core->capacity)) ||
		    (res = call_i32(core->verdict_ptr, &verdict)) || (res = call_i32(core->nat_ptr, &nat)))
			goto fail;
		core->input_at = (uint32_t)input;
		core->verdict_at = (uint32_t)verdict;
		core->nat_at = (uint32_t)nat;
	}
	return 0;
fail:
	snprintf(err, err_len, "%s: %s", what, res ? res : "failed");
	release(core);
	return -1;
}

struct ntok_core *core_open(const uint8_t *wasm, size_t wasm_len, uint32_t max_pages, char *err, size_t err_len)
{
	struct ntok_core *core = calloc(1, sizeof *core);

	if (!core) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	core->wasm = wasm;
	core->wasm_len = wasm_len;
	core->max_pages = max_pages;
	if (instantiate(core, err, err_len)) {
		free(core);
		return NULL;
	}
	return core;
}

int core_recreate(struct ntok_core *core, char *err, size_t err_len)
{
	release(core);
	return instantiate(core, err, err_len);
}

void core_close(struct ntok_core *core)
{
	if (!core)
		return;
	release(core);
	free(core);
}

const char *core_write_input(struct ntok_core *core, const uint8_t *bytes, size_t len, int32_t *len_arg)
{
	uint32_t size;
	uint8_t *mem;

	/* input_ptr() and input_capacity() are constants, read once (instantiate). */
	if (core->capacity < 0 || len > (size_t)core->capacity) {
		*len_arg = core->capacity + 1;
		return NULL;
	}
	mem = m3_GetMemory(core->runtime, &size, 0);
	if (!mem || (uint64_t)core->input_at + len > size)
		return "input buffer outside linear memory";
	memcpy(mem + core->input_at, bytes, len);
	*len_arg = (int32_t)len;
	return NULL;
}

uint32_t core_memory_bytes(struct ntok_core *core)
{
	return m3_GetMemorySize(core->runtime);
}

uint32_t core_memory_max_pages(struct ntok_core *core)
{
	uint32_t max = core->runtime->memory.maxPages;

#if d_m3MaxLinearMemoryPages > 0
	if (!max || max > d_m3MaxLinearMemoryPages)
		max = d_m3MaxLinearMemoryPages;
#endif
	return max;
}

const char *core_configure(struct ntok_core *core, int32_t len, int32_t *code)
{
	const char *res = m3_CallV(core->configure, len);

	return res ? res : m3_GetResultsV(core->configure, code);
}

const char *core_verify(struct ntok_core *core, int32_t len, double now, int32_t flags, int32_t *code)
{
	const char *res = m3_CallV(core->verify, len, now, flags);

	return res ? res : m3_GetResultsV(core->verify, code);
}

const char *core_output(struct ntok_core *core, char **json, size_t *json_len)
{
	int32_t ptr, len;
	uint32_t size;
	uint8_t *mem;
	const char *res;

	if ((res = call_i32(core->output_ptr, &ptr)) || (res = call_i32(core->output_len, &len)))
		return res;
	mem = m3_GetMemory(core->runtime, &size, 0);
	if (!mem || len < 0 || (uint64_t)(uint32_t)ptr + (uint32_t)len > size)
		return "output buffer outside linear memory";
	if (!(*json = malloc((size_t)len + 1)))
		return "out of memory";
	memcpy(*json, mem + (uint32_t)ptr, (size_t)len);
	(*json)[len] = '\0';
	*json_len = (size_t)len;
	return NULL;
}

char *core_result_name(struct ntok_core *core, int32_t code)
{
	const char *res = m3_CallV(core->result_name, code);
	char *name = NULL;
	size_t len;

	if (res || core_output(core, &name, &len))
		return NULL;
	return name;
}

/* A little-endian i32 of linear memory, on any CPU. */
static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

const char *core_process(struct ntok_core *core, int32_t len, int32_t link, int32_t direction, double now,
                         struct ntok_verdict *v)
{
	const char *res = m3_CallV(core->process, len, link, direction, now);
	int32_t code;
	uint32_t size;
	uint8_t *mem;

	if (res || (res = m3_GetResultsV(core->process, &code)))
		return res;
	/* The first packet allocates the flow table: memory may have moved. */
	mem = m3_GetMemory(core->runtime, &size, 0);
	if (!mem || (uint64_t)core->verdict_at + 32 > size)
		return "verdict outside linear memory";
	mem += core->verdict_at;
	v->action = (int32_t)le32(mem);
	v->code = (int32_t)le32(mem + 4);
	v->mark = le32(mem + 8);
	v->dscp = (int32_t)le32(mem + 12);
	v->flow = (int32_t)le32(mem + 16);
	v->service = (int32_t)le32(mem + 20);
	v->flags = le32(mem + 24);
	v->length = (int32_t)le32(mem + 28);
	return NULL;
}

const uint8_t *core_input(struct ntok_core *core, int32_t len)
{
	uint32_t size;
	uint8_t *mem = m3_GetMemory(core->runtime, &size, 0);

	if (!mem || len < 0 || len > core->capacity || (uint64_t)core->input_at + (uint32_t)len > size)
		return NULL;
	return mem + core->input_at;
}

/* Calls fn(arg) -> length; 0 gives *text = NULL, anything else the output buffer. */
static const char *named(struct ntok_core *core, IM3Function fn, int32_t arg, char **text, size_t *len)
{
	int32_t n;
	const char *res = m3_CallV(fn, arg);

	*text = NULL;
	*len = 0;
	if (res || (res = m3_GetResultsV(fn, &n)))
		return res;
	return n > 0 ? core_output(core, text, len) : NULL;
}

const char *core_flow_name(struct ntok_core *core, int32_t flow, char **text, size_t *len)
{
	return named(core, core->flow_name, flow, text, len);
}

const char *core_service_name(struct ntok_core *core, int32_t service, char **json, size_t *len)
{
	return named(core, core->service_name, service, json, len);
}

const char *core_status(struct ntok_core *core, char **json, size_t *len)
{
	const char *res = m3_CallV(core->status);

	*json = NULL;
	return res ? res : core_output(core, json, len);
}

const char *core_revoke(struct ntok_core *core, int32_t len, int32_t *code)
{
	const char *res = m3_CallV(core->revoke, len);

	return res ? res : m3_GetResultsV(core->revoke, code);
}

const char *core_set_nat(struct ntok_core *core, const uint8_t *addr, int32_t len)
{
	uint32_t size;
	uint8_t *mem = m3_GetMemory(core->runtime, &size, 0);

	if (len != 4 && len != 16)
		len = 0;
	if (!mem || (uint64_t)core->nat_at + 16 > size)
		return "NAT buffer outside linear memory";
	if (len)
		memcpy(mem + core->nat_at, addr, (size_t)len);
	return m3_CallV(core->set_nat, len);
}

const char *core_expire_flows(struct ntok_core *core, double now, int32_t *n)
{
	const char *res = m3_CallV(core->expire_flows, now);

	return res ? res : m3_GetResultsV(core->expire_flows, n);
}

const char *core_withdrawn_flow(struct ntok_core *core, struct ntok_flow_tuple *t, int *found)
{
	char *bytes = NULL;
	size_t len;
	const uint8_t *b;
	const char *res = named(core, core->withdrawn_flow, 0, &bytes, &len);

	*found = 0;
	if (res || !bytes)
		return res;
	b = (const uint8_t *)bytes;
	if (len >= 12 && (b[0] == 4 || b[0] == 16) && len == 12 + 2 * (size_t)b[0]) {
		t->addr_len = b[0];
		t->proto = b[1];
		t->origin_port = (uint16_t)(b[2] << 8 | b[3]);
		t->peer_port = (uint16_t)(b[4] << 8 | b[5]);
		t->mark = le32(b + 8);
		memcpy(t->origin, b + 12, t->addr_len);
		memcpy(t->peer, b + 12 + t->addr_len, t->addr_len);
		*found = 1;
	}
	free(bytes);
	return *found ? NULL : "withdrawn_flow: malformed tuple";
}
