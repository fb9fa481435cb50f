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
	/* For replay_describe. */
	struct replay_record *records;
	size_t n_records;
	struct strbuf flow_names;
	struct replay_names *names;
};

/*
 * 0, or -1 with the reason in err: a trap in the core, or a packet the
 * capture writers refuse (as writePcap / writePcapng throw in the TS host).
 */
int replay_run(struct ntok_core *core, const struct capture *cap, const struct replay_options *o,
               struct replay_result *r, char *err, size_t err_len);
/* describeFlows() of src/cli/format.ts: the table and the summary line. */
void replay_describe(const struct replay_result *r, const char *status_json, size_t packets, const char *out_path,
                     struct strbuf *text);
void replay_free(struct replay_result *r);

#endif
