/*
 * Replay: src/replay.ts in C. The decisions are the core's (process()
 * verdicts); this is bookkeeping over them, done in the same order with the
 * same rules, so that the JSON and the output capture are the TS host's
 * byte for byte (test/conformance).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

/* Result codes (docs/abi.md). */
#define CODE_HOST_ERROR 25
#define CODE_NO_TOKEN 27
#define CODE_WASHED 31

/* A summary: one flow (its slot's life), or the packets of no flow with one result code. */
struct replay_record {
	size_t name; /* offset into flow_names, or NO_NAME */
	int32_t service, dscp, code;
	uint64_t packets;
	const char *service_json; /* set when the JSON is built; NULL: none */
};

#define NO_NAME ((size_t)-1)
/* Service indices cached directly (docs/config.md: at most 1,000 services). */
#define SERVICE_CACHE 4096

struct book {
	struct replay_record *flows, *flowless;
	size_t n_flows, room_flows, n_flowless, room_flowless;
	/* Flow slot -> 1 + index into flows of its record (0: none). */
	size_t *live;
	size_t room_live;
};

static int grow(void **array, size_t *room, size_t need, size_t size)
{
	size_t n = *room ? *room : 64;
	void *more;

	if (need <= *room)
		return 0;
	while (n < need)
		n *= 2;
	if (!(more = realloc(*array, n * size)))
		return -1;
	memset((char *)more + *room * size, 0, (n - *room) * size);
	*array = more;
	*room = n;
	return 0;
}

/* The record a verdict counts for (src/replay.ts: live, flowless); NULL with err set. */
static struct replay_record *record_for(struct ntok_core *core, const struct replay_options *o, struct replay_result *res,
                                        struct book *b, const struct ntok_verdict *v, char *err, size_t err_len)
{
	struct strbuf *names = &res->flow_names;
	const char *trap;
	struct replay_record *r;

	if (v->flow < 0) {
		for (size_t i = 0; i < b->n_flowless; i++)
			if (b->flowless[i].code == v->code)
				return &b->flowless[i];
		if (grow((void **)&b->flowless, &b->room_flowless, b->n_flowless + 1, sizeof *r))
			goto oom;
		r = &b->flowless[b->n_flowless++];
		*r = (struct replay_record){ NO_NAME, 0, -1, v->code, 0, NULL };
		return r;
	}
	if (grow((void **)&b->live, &b->room_live, (size_t)v->flow + 1, sizeof *b->live))
		goto oom;
	/* A slot the core reuses (eviction, aging) comes back with NEW_FLOW. */
	if (!(v->flags & VERDICT_NEW_FLOW) && b->live[v->flow])
		return &b->flows[b->live[v->flow] - 1];
	if (grow((void **)&b->flows, &b->room_flows, b->n_flows + 1, sizeof *r))
		goto oom;
	r = &b->flows[b->n_flows];
	*r = (struct replay_record){ names->len, 0, -1, 0, 0, NULL };
	{
		char *name;
		size_t len;

		/* Gateway.flowName(): tried once more on a new instance (where the slot is free). */
		if ((trap = core_flow_name(core, v->flow, &name, &len))) {
			if (replay_recover(core, o, res, trap, err, err_len))
				return NULL;
			if ((trap = core_flow_name(core, v->flow, &name, &len))) {
				snprintf(err, err_len, "trap in flow_name: %s", trap);
				return NULL;
			}
		}
		/* flowName(): '' for a free slot. */
		if (name)
			sb_add(names, name, len);
		sb_add(names, "", 1); /* the NUL that ends it */
		free(name);
		if (names->oom)
			goto oom;
	}
	b->live[v->flow] = ++b->n_flows;
	return r;
oom:
	snprintf(err, err_len, "out of memory");
	return NULL;
}

/* The packets the gateway forwards, as the writers take them. */
struct forwarded {
	struct capture_packet *packets;
	uint8_t *owned; /* 1: data is a copy of a rewritten packet */
	size_t n, room, room_owned;
};

static int forward(struct forwarded *f, const struct capture_packet *p, const uint8_t *rewritten, int32_t length)
{
	struct capture_packet *q;

	if (grow((void **)&f->packets, &f->room, f->n + 1, sizeof *f->packets) ||
	    grow((void **)&f->owned, &f->room_owned, f->n + 1, 1))
		return -1;
	q = &f->packets[f->n];
	*q = *p;
	if (rewritten) {
		uint8_t *copy = malloc(length > 0 ? (size_t)length : 1);

		if (!copy)
			return -1;
		memcpy(copy, rewritten, (size_t)length);
		q->data = copy;
		q->len = (uint32_t)length;
		f->owned[f->n] = 1;
	}
	f->n++;
	return 0;
}

static void forwarded_free(struct forwarded *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->owned[i])
			free((void *)f->packets[i].data);
	free(f->packets);
	free(f->owned);
}

/*
 * Names the core gives: result codes (Gateway.resultName(): the core's table
 * read once, result_name until it answers 0, else code-<n>) and services as
 * JSON strings (serviceNameJson(), asked once per index as the Map in
 * src/replay.ts does).
 */
struct replay_names {
	char **codes;
	size_t n_codes, room_codes;
	char *service[SERVICE_CACHE];
	unsigned char asked[SERVICE_CACHE];
	/* Indices outside the direct table (never seen in practice). */
	char **other;
	size_t n_other, room_other;
};

static const char *load_code_names(struct ntok_core *core, struct replay_names *c)
{
	for (;;) {
		char *name = core_result_name(core, (int32_t)c->n_codes);

		if (!name)
			return "result_name failed";
		if (!*name) {
			free(name);
			return NULL;
		}
		if (grow((void **)&c->codes, &c->room_codes, c->n_codes + 1, sizeof *c->codes)) {
			free(name);
			return "out of memory";
		}
		c->codes[c->n_codes++] = name;
	}
}

static void add_code_name(struct strbuf *b, const struct replay_names *c, int32_t code)
{
	char text[24];

	if (code >= 0 && (size_t)code < c->n_codes) {
		sb_str(b, c->codes[code]);
	} else {
		snprintf(text, sizeof text, "code-%d", (int)code);
		sb_str(b, text);
	}
}

/* 0, or -1 with err set. */
static int service_json(struct ntok_core *core, const struct replay_options *o, struct replay_result *r, int32_t idx,
                        const char **out, char *err, size_t err_len)
{
	struct replay_names *c = r->names;
	const char *trap;
	char *json;
	size_t len;

	if (idx >= 0 && idx < SERVICE_CACHE && c->asked[idx]) {
		*out = c->service[idx];
		return 0;
	}
	/* Gateway.serviceNameJson(): tried once more on a new instance. */
	if ((trap = core_service_name(core, idx, &json, &len))) {
		if (replay_recover(core, o, r, trap, err, err_len))
			return -1;
		if ((trap = core_service_name(core, idx, &json, &len))) {
			snprintf(err, err_len, "trap in service_name: %s", trap);
			return -1;
		}
	}
	if (idx >= 0 && idx < SERVICE_CACHE) {
		c->asked[idx] = 1;
		c->service[idx] = json;
	} else if (json) {
		if (grow((void **)&c->other, &c->room_other, c->n_other + 1, sizeof *c->other)) {
			free(json);
			snprintf(err, err_len, "out of memory");
			return -1;
		}
		c->other[c->n_other++] = json;
	}
	*out = json;
	return 0;
}

static void add_u64(struct strbuf *b, uint64_t n)
{
	char text[24];

	snprintf(text, sizeof text, "%llu", (unsigned long long)n);
	sb_str(b, text);
}

int replay_recover(struct ntok_core *core, const struct replay_options *o, struct replay_result *r, const char *trap,
                   char *err, size_t err_len)
{
	const char *again;
	int32_t len, code;

	r->traps++;
	snprintf(r->last_trap, sizeof r->last_trap, "%s", trap);
	if (core_recreate(core, err, err_len))
		return -1;
	/* The same text on a fresh instance of the same module: it was accepted before, so it is again. */
	if ((again = core_write_input(core, o->config, o->config_len, &len)) || (again = core_configure(core, len, &code))) {
		snprintf(err, err_len, "trap in configure, on the instance that replaced one that trapped: %s", again);
		return -1;
	}
	if (code != 0) {
		snprintf(err, err_len, "the configuration was refused after a trap");
		return -1;
	}
	return 0;
}

int replay_run(struct ntok_core *core, const struct capture *cap, const struct replay_options *o,
               struct replay_result *r, char *err, size_t err_len)
{
	struct book b = { 0 };
	struct forwarded f = { 0 };
	struct replay_names *names;
	double shift = o->has_now && cap->count ? o->now - capture_timestamp(&cap->packets[0]) : 0;
	const char *trap = NULL;
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (!(names = r->names = calloc(1, sizeof *r->names))) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < cap->count; i++) {
		const struct capture_packet *p = &cap->packets[i];
		struct ntok_verdict v;
		struct replay_record *rec;
		int32_t len;

		if ((trap = core_write_input(core, p->data, p->len, &len)) ||
		    (trap = core_process(core, len, (int32_t)p->link, o->direction, capture_timestamp(p) + shift, &v))) {
			/* Gateway.trapped(): accepted, unmarked, unchanged, as an unparsed packet. */
			if (replay_recover(core, o, r, trap, err, err_len))
				goto out;
			v = (struct ntok_verdict){ 0, CODE_HOST_ERROR, 0, -1, -1, 0, 0, (int32_t)p->len };
		}
		if (!(rec = record_for(core, o, r, &b, &v, err, err_len)))
			goto out;
		rec->packets++;
		/* A flow that had premium DSCP washed stays "washed" while its other packets merely carry no token. */
		if (!(rec->code == CODE_WASHED && v.code == CODE_NO_TOKEN))
			rec->code = v.code;
		rec->service = v.service;
		if (v.dscp >= 0)
			rec->dscp = v.dscp;
		if (v.action == 1) {
			r->dropped++;
			continue;
		}
		if (v.flags & (VERDICT_REWRITTEN | VERDICT_TAGGED)) {
			const uint8_t *now = core_input(core, v.length);

			if (!now) {
				snprintf(err, err_len, "packet %zu: verdict length %d outside the input buffer", i, (int)v.length);
				goto out;
			}
			if (forward(&f, p, now, v.length))
				goto oom;
		} else if (forward(&f, p, NULL, 0)) {
			goto oom;
		}
	}

	/* records.push(...flowless.values()) */
	if (grow((void **)&b.flows, &b.room_flows, b.n_flows + b.n_flowless, sizeof *b.flows))
		goto oom;
	if (b.n_flowless)
		memcpy(b.flows + b.n_flows, b.flowless, b.n_flowless * sizeof *b.flows);
	r->records = b.flows;
	r->n_records = b.n_flows + b.n_flowless;
	b.flows = NULL;

	if ((trap = load_code_names(core, names))) {
		snprintf(err, err_len, "trap in result_name: %s", trap);
		goto out;
	}
	sb_str(&r->json, "[");
	for (size_t i = 0; i < r->n_records; i++) {
		struct replay_record *rec = &r->records[i];

		if (service_json(core, o, r, rec->service, &rec->service_json, err, err_len))
			goto out;
		sb_str(&r->json, i ? ",{\"flow\":" : "{\"flow\":");
		if (rec->name == NO_NAME)
			sb_str(&r->json, "null");
		else
			sb_json_string(&r->json, r->flow_names.s + rec->name);
		sb_str(&r->json, ",\"service\":");
		sb_str(&r->json, rec->service_json ? rec->service_json : "null");
		sb_str(&r->json, ",\"dscp\":");
		if (rec->dscp < 0)
			sb_str(&r->json, "null");
		else
			add_u64(&r->json, (uint64_t)rec->dscp);
		sb_str(&r->json, ",\"code\":\"");
		add_code_name(&r->json, names, rec->code);
		sb_str(&r->json, "\",\"packets\":");
		add_u64(&r->json, rec->packets);
		sb_str(&r->json, "}");
	}
	sb_str(&r->json, "]");
	if (r->json.oom || r->flow_names.oom)
		goto oom;
	/* Always written, as the TS host builds the output whether or not it is saved. */
	if (capture_write(cap->format, cap->link, f.packets, f.n, &r->output, &r->output_len, err, err_len))
		goto out;
	rc = 0;
	goto out;
oom:
	snprintf(err, err_len, "out of memory");
out:
	forwarded_free(&f);
	free(b.flows);
	free(b.flowless);
	free(b.live);
	return rc;
}

/* Four hex digits at p (a \\u escape), or -1. */
static long hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* A JSON string literal (as the core writes it) decoded to UTF-8; *units: its length in UTF-16 code units (JS .length). */
static void json_string_text(const char *json, struct strbuf *text, size_t *units)
{
	const char *p = json + 1;

	*units = 0;
	while (*p && *p != '"') {
		unsigned char c = (unsigned char)*p;

		if (c == '\\' && p[1]) {
			char e = p[1];
			long cp, lo;

			p += 2;
			if (e != 'u') {
				char ch = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;

				sb_add(text, &ch, 1);
				(*units)++;
				continue;
			}
			if ((cp = hex4(p)) < 0)
				break;
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && p[0] == '\\' && p[1] == 'u' && (lo = hex4(p + 2)) >= 0xdc00 &&
			    lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd; /* a lone surrogate: what Node writes for it */
			{
				char u[4];
				size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

				if (n == 1)
					u[0] = (char)cp;
				else if (n == 2)
					u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f));
				else if (n == 3)
					u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)),
					u[2] = (char)(0x80 | (cp & 0x3f));
				else
					u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f)),
					u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f));
				sb_add(text, u, n);
				*units += n == 4 ? 2 : 1;
			}
			continue;
		}
		sb_add(text, p, 1);
		/* A lead byte starts a character: 4-byte sequences are two UTF-16 units. */
		if ((c & 0xc0) != 0x80)
			*units += c >= 0xf0 ? 2 : 1;
		p++;
	}
}

struct status_fields {
	struct jslice verifications, cache_hits, rewritten, washed, tagged, tag_too_large, rate_limited;
};

static void status_member(void *ctx, struct jslice key, struct jslice value)
{
	struct status_fields *s = ctx;

	if (json_key_is(key, "verifications")) s->verifications = value;
	else if (json_key_is(key, "cache_hits")) s->cache_hits = value;
	else if (json_key_is(key, "rewritten")) s->rewritten = value;
	else if (json_key_is(key, "washed")) s->washed = value;
	else if (json_key_is(key, "tagged")) s->tagged = value;
	else if (json_key_is(key, "tag_too_large")) s->tag_too_large = value;
	else if (json_key_is(key, "rate_limited")) s->rate_limited = value;
}

#define COLUMNS 5

/* One cell: its text and its width in UTF-16 code units (String.prototype.padStart/padEnd count those). */
struct cell {
	struct strbuf text;
	size_t units;
};

static void cell_set(struct cell *c, const char *s)
{
	c->text.len = 0;
	sb_str(&c->text, s);
	c->units = strlen(s);
}

static void add_row(struct strbuf *out, struct cell *row, const size_t *width)
{
	for (int i = 0; i < COLUMNS; i++) {
		size_t pad = width[i] - row[i].units;
		int right = i == 1 || i == 3;

		if (i)
			sb_str(out, "  ");
		for (size_t k = 0; right && k < pad; k++)
			sb_str(out, " ");
		sb_add(out, row[i].text.s ? row[i].text.s : "", row[i].text.len);
		/* trimEnd(): the last cell is never padded (nor ends in white space: it is a code name). */
		for (size_t k = 0; !right && i < COLUMNS - 1 && k < pad; k++)
			sb_str(out, " ");
	}
	sb_str(out, "\n");
}

static void fill_row(const struct replay_result *r, size_t i, struct cell *row)
{
	const struct replay_record *rec = &r->records[i];
	char text[24];

	cell_set(&row[0], rec->name == NO_NAME ? "(no flow)" : r->flow_names.s + rec->name);
	snprintf(text, sizeof text, "%llu", (unsigned long long)rec->packets);
	cell_set(&row[1], text);
	if (rec->service_json) {
		row[2].text.len = 0;
		json_string_text(rec->service_json, &row[2].text, &row[2].units);
	} else {
		cell_set(&row[2], "-");
	}
	snprintf(text, sizeof text, "%d", (int)rec->dscp);
	cell_set(&row[3], rec->dscp < 0 ? "-" : text);
	row[4].text.len = 0;
	add_code_name(&row[4].text, r->names, rec->code);
	row[4].units = row[4].text.len;
}

void replay_describe(const struct replay_result *r, const char *status_json, size_t packets, const char *out_path,
                     struct strbuf *text)
{
	static const char *const head[COLUMNS] = { "flow", "packets", "service", "dscp", "code" };
	struct cell row[COLUMNS] = { 0 };
	size_t width[COLUMNS], flows = 0;
	struct status_fields s = { 0 };
	struct jslice root;
	char line[64];

	for (int c = 0; c < COLUMNS; c++)
		width[c] = strlen(head[c]);
	for (size_t i = 0; i < r->n_records; i++) {
		fill_row(r, i, row);
		for (int c = 0; c < COLUMNS; c++)
			if (row[c].units > width[c])
				width[c] = row[c].units;
		flows += r->records[i].name != NO_NAME;
	}
	for (int c = 0; c < COLUMNS; c++)
		cell_set(&row[c], head[c]);
	add_row(text, row, width);
	for (size_t i = 0; i < r->n_records; i++) {
		fill_row(r, i, row);
		add_row(text, row, width);
	}
	for (int c = 0; c < COLUMNS; c++)
		free(row[c].text.s);

	if (json_check(status_json, strlen(status_json), &root) == 0)
		json_members(root, status_member, &s);
	snprintf(line, sizeof line, "\n%zu packets, %zu flows: ", packets, flows);
	sb_str(text, line);
#define FIELD(v, what) sb_add(text, (v).s ? (v).s : "undefined", (v).s ? (v).n : 9), sb_str(text, what)
	FIELD(s.verifications, " tokens verified, ");
	FIELD(s.cache_hits, " cache hits, ");
	FIELD(s.rewritten, " rewritten, ");
	FIELD(s.washed, " washed, ");
	snprintf(line, sizeof line, "%zu dropped, ", r->dropped);
	sb_str(text, line);
	FIELD(s.tagged, " tagged, ");
	FIELD(s.tag_too_large, " too large to tag, ");
	FIELD(s.rate_limited, " rate-limited, ");
	snprintf(line, sizeof line, "%zu traps\n", r->traps);
	sb_str(text, line);
#undef FIELD
	if (out_path && *out_path) {
		sb_str(text, "wrote ");
		sb_str(text, out_path);
		sb_str(text, "\n");
	}
}

void replay_free(struct replay_result *r)
{
	struct replay_names *c = r->names;

	if (c) {
		for (size_t i = 0; i < c->n_codes; i++)
			free(c->codes[i]);
		free(c->codes);
		for (size_t i = 0; i < SERVICE_CACHE; i++)
			free(c->service[i]);
		for (size_t i = 0; i < c->n_other; i++)
			free(c->other[i]);
		free(c->other);
		free(c);
	}
	free(r->json.s);
	free(r->output);
	free(r->records);
	free(r->flow_names.s);
	memset(r, 0, sizeof *r);
}
