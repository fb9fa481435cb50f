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
 * pointers into it). max_pages: linear memory ceiling in 64 KiB pages (0:
 * none but wasm3's d_m3MaxLinearMemoryPages, a board's wasm_pages). NULL on
 * failure, with the reason in err. */
struct ntok_core *core_open(const uint8_t *wasm, size_t wasm_len, uint32_t max_pages, char *err, size_t err_len);
/* Replaces the instance with a new, unconfigured one of the same module (after
 * a trap): its memory, flows and keys are gone. 0, or -1 with the reason. */
int core_recreate(struct ntok_core *core, char *err, size_t err_len);
void core_close(struct ntok_core *core);

/*
 * The calls below return NULL, or wasm3's message for a trap. wasm3 keeps
 * running after one, but the core's state is whatever the trap left: a host
 * recreates the instance (core_recreate) before relying on it again. Result
 * codes are docs/abi.md's.
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

/* docs/abi.md "Packets": the verdict process() leaves at verdict_ptr(). */
#define VERDICT_NEW_FLOW 1
#define VERDICT_DECIDED 2
#define VERDICT_VERIFIED 4
#define VERDICT_CACHED 8
#define VERDICT_REWRITTEN 16
#define VERDICT_TAGGED 32

struct ntok_verdict {
	int32_t action; /* 0 accept, 1 drop */
	int32_t code;
	uint32_t mark;
	int32_t dscp;    /* after the gateway; -1: not parsed */
	int32_t flow;    /* flow table slot; -1: none */
	int32_t service; /* 0: none */
	uint32_t flags;  /* VERDICT_* */
	int32_t length;  /* of the packet in the input buffer now */
};

/*
 * Runs the packet in the first `len` bytes of the input buffer (see
 * core_write_input) through the packet path: link is its pcap LINKTYPE,
 * direction 0 unknown, 1 upstream, 2 downstream.
 */
const char *core_process(struct ntok_core *core, int32_t len, int32_t link, int32_t direction, double now,
                         struct ntok_verdict *v);
/* The first `len` bytes of the input buffer (the packet as process() left
 * it); valid until the next call into the core. NULL if out of range. */
const uint8_t *core_input(struct ntok_core *core, int32_t len);
/* The output of flow_name / service_name / status as a malloc'd string;
 * *text is NULL when the export answered 0 (no such flow or service). */
const char *core_flow_name(struct ntok_core *core, int32_t flow, char **text, size_t *len);
const char *core_service_name(struct ntok_core *core, int32_t service, char **json, size_t *len);
const char *core_status(struct ntok_core *core, char **json, size_t *len);
/*
 * revoke(): the JSON array of token ids in the first `len` bytes of the input
 * buffer (core_write_input) joins the revocation list in force; the reply
 * JSON is in the output buffer (core_output).
 */
const char *core_revoke(struct ntok_core *core, int32_t len, int32_t *code);
/* For the next core_process only: the packet's LAN endpoint is also known by
 * this address (4 or 16 bytes; len 0: none), its NAT address. */
const char *core_set_nat(struct ntok_core *core, const uint8_t *addr, int32_t len);
/* expire_flows(): withdraws token-decided flows past their exp; *n of them. */
const char *core_expire_flows(struct ntok_core *core, double now, int32_t *n);

/* A connection whose mark the core withdrew (docs/abi.md, withdrawn_flow). */
struct ntok_flow_tuple {
	uint8_t addr_len; /* 4 or 16 */
	uint8_t proto;
	uint16_t origin_port, peer_port; /* host order; 0 for protocols without ports */
	uint32_t mark; /* the mark its decision gives now */
	uint8_t origin[16], peer[16];
};

/* The next withdrawn flow not reported yet: *found 1 and *t, or *found 0 when none is left. */
const char *core_withdrawn_flow(struct ntok_core *core, struct ntok_flow_tuple *t, int *found);
/* The size of linear memory now. */
uint32_t core_memory_bytes(struct ntok_core *core);
/* The ceiling memory.grow stops at, in 64 KiB pages: max_pages of core_open, or the build's (a board's wasm_pages). */
uint32_t core_memory_max_pages(struct ntok_core *core);

#endif
