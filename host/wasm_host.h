/*
 * ntok.wasm under wasm3: load the module, link every import of docs/abi.md,
 * and call its exports. Nothing here knows about tokens.
 */
#ifndef NTOK_WASM_HOST_H
#define NTOK_WASM_HOST_H

#include <stddef.h>
#include <stdint.h>

struct ntok_core;

/* Loads `wasm`, which must stay alive until core_close (wasm3 keeps
 * pointers into it). NULL on failure, with the reason in err. */
struct ntok_core *core_open(const uint8_t *wasm, size_t wasm_len, char *err, size_t err_len);
void core_close(struct ntok_core *core);

/*
 * The calls below return NULL, or wasm3's message for a trap (the runtime
 * stays usable after one). Result codes are docs/abi.md's.
 */

/* Copies bytes into the input buffer; *len_arg is the length to pass to the
 * next call: `len`, or input_capacity() + 1 when they do not fit (the core
 * then refuses the input, as with the TS host). */
const char *core_write_input(struct ntok_core *core, const uint8_t *bytes, size_t len, int32_t *len_arg);
const char *core_configure(struct ntok_core *core, int32_t len, int32_t *code);
const char *core_verify(struct ntok_core *core, int32_t len, double now, int32_t flags, int32_t *code);
/* The JSON the last call wrote, as a NUL-terminated malloc'd copy. */
const char *core_output(struct ntok_core *core, char **json, size_t *json_len);
/* The stable name of a result code (malloc'd), or NULL on a trap. */
char *core_result_name(struct ntok_core *core, int32_t code);

#endif
