/*
 * `ntokd replay` / `ntokd tag`: every packet of a capture through the
 * core's packet path, and a summary per flow. The bookkeeping over the
 * verdicts is src/replay.ts's, step for step, so that both hosts print
 * byte-identical JSON and write byte-identical capture files.
 */
#ifndef NTOK_REPLAY_H
#define NTOK_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "json_glue.h"
#include "wasm_host.h"

struct replay_options {
	int has_now;
	/* Unix time of the first packet; the others keep their offsets from it. */
	double now;
	/* 0 unknown (the core decides from gateway.lan), 1 upstream (tag). */
	int32_t direction;
	/* The configuration text in force, given again to an instance that replaces one that trapped. */
	const uint8_t *config;
	size_t config_len;
};

struct replay_record; /* replay.c */
struct replay_names;  /* replay.c: result code and service names read from the core */

struct replay_result {
	/* ntok replay --json's text, without the newline. */
	struct strbuf json;
	/* The capture as the gateway forwards it (dropped packets left out). */
	uint8_t *output;
	size_t output_len;
	size_t dropped;
	/* Traps in the core, each recovered from (replay_recover); the last one's message. */
	size_t traps;
	char last_trap[128];
	/* For replay_describe. */
	struct replay_record *records;
	size_t n_records;
	struct strbuf flow_names;
	struct replay_names *names;
};

/*
 * 0, or -1 with the reason in err: a packet the capture writers refuse (as
 * writePcap / writePcapng throw in the TS host), no memory, or an instance
 * that could not be made again. A trap in the core is not an error: as
 * Gateway.process() in the TS host, the packet is accepted unmarked and
 * unchanged with code host-error, and the instance replaced (replay_recover).
 */
int replay_run(struct ntok_core *core, const struct capture *cap, const struct replay_options *o,
               struct replay_result *r, char *err, size_t err_len);
/*
 * After `trap`: counts it in r, replaces the instance with a new one and
 * configures it with o->config (its flows, cached verdicts and counters are
 * lost). 0, or -1 with the reason in err.
 */
int replay_recover(struct ntok_core *core, const struct replay_options *o, struct replay_result *r, const char *trap,
                   char *err, size_t err_len);
/* describeFlows() of src/cli/format.ts: the table and the summary line (with r->traps). */
void replay_describe(const struct replay_result *r, const char *status_json, size_t packets, const char *out_path,
                     struct strbuf *text);
void replay_free(struct replay_result *r);

#endif
