/*
 * ntokd: the native host of ntok.wasm. This file is the command line: it
 * reads files and arguments, assembles the configuration JSON exactly as
 * `ntok verify` (src/cli/ntok.ts) does, and prints what the core answers;
 * `replay` and `tag` run a capture through the packet path (replay.c).
 * Every decision about a token or a packet is made inside ntok.wasm.
 *
 * Exit codes as the TS CLI: 0 ok, 1 a rejected token (including unparseable
 * bytes and a trap in the core), 2 bad usage, an unreadable file, a refused
 * configuration or a module that is not the one ntokd was built for.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench.h"
#include "capture.h"
#include "cli.h"
#include "crypto.h"
#include "daemon.h"
#include "json_glue.h"
#include "replay.h"
#include "wasm_host.h"

#ifndef NTOK_WASM_SHA256
#error "build with -DNTOK_WASM_SHA256=\"<sha256 of build/ntok.wasm>\" (host/Makefile does)"
#endif

#define FLAG_BARE_CWT 1

static const char USAGE[] =
	"usage:\n"
	"  ntokd verify <hex|@file|jose> --keys <jwks.json> [--now <unix>] [--leeway <s>] [--cwt] [--json]\n"
	"              [--require <claim,...>] [--issuer <iss>]... [--audience <aud>]... [--revoked <n|h:hex>]...\n"
	"              [--config <config.json>] [--descriptor <n>] [--max-pages <n>] [--module <ntok.wasm>]\n"
	"  ntokd replay <in.pcap> --config <config.json> [--out <out.pcap>] [--now <unix>] [--json] [--max-pages <n>]\n"
	"              [--module <ntok.wasm>]\n"
	"  ntokd tag <in.pcap> --config <config.json> --out <out.pcap> [--now <unix>] [--json] [--max-pages <n>]\n"
	"              [--module <ntok.wasm>]\n"
	DAEMON_USAGE;

void usage(const char *fmt, ...)
{
	va_list ap;

	fputs("ntokd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", USAGE);
	exit(EXIT_USAGE);
}

void die(const char *fmt, ...)
{
	va_list ap;

	fputs("ntokd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

int read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct strbuf b = { 0 };
	char chunk[8192];
	size_t n;

	if (!f)
		return -1;
	sb_add(&b, "", 0);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		sb_add(&b, chunk, n);
	if (ferror(f) || b.oom) {
		fclose(f);
		free(b.s);
		errno = b.oom ? ENOMEM : EIO;
		return -1;
	}
	fclose(f);
	*data = b.s;
	*len = b.len;
	return 0;
}

static char *read_text(const char *path, size_t *len)
{
	char *data;

	if (read_file(path, &data, len))
		die("cannot read %s: %s", path, strerror(errno));
	return data;
}

/* The file as one JSON value (readJson in src/cli/ntok.ts); the value points
 * into *text, which the caller frees. */
static struct jslice read_json(const char *path, char **text)
{
	size_t len;
	struct jslice value;

	*text = read_text(path, &len);
	if (json_check(*text, len, &value))
		die("%s is not JSON", path);
	return value;
}

/* Number(s) of JavaScript, finite values only (numberOption in ntok.ts). */
static int js_number(const char *s, double *out)
{
	static const char ws[] = " \t\n\v\f\r";
	char *copy, *end;
	size_t a = 0, z = strlen(s);
	int rc = 0;

	while (a < z && strchr(ws, s[a]))
		a++;
	while (z > a && strchr(ws, s[z - 1]))
		z--;
	if (a == z) {
		*out = 0;
		return 0;
	}
	copy = strndup(s + a, z - a);
	if (!copy)
		return -1;
	if (copy[0] == '0' && copy[1] && strchr("xXoObB", copy[1])) {
		int base = strchr("xX", copy[1]) ? 16 : strchr("oO", copy[1]) ? 8 : 2;
		double v = 0;

		if (!copy[2])
			rc = -1;
		for (const char *p = copy + 2; *p && !rc; p++) {
			int d = *p >= '0' && *p <= '9' ? *p - '0'
				: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
				: *p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : 99;
			if (d >= base)
				rc = -1;
			v = v * base + d;
		}
		*out = v;
	} else {
		/* StrDecimalLiteral: [+-] digits [. digits] [e [+-] digits]; no hex
		 * floats, no inf/nan words (Infinity is not finite anyway). */
		const char *p = copy;
		size_t int_digits = 0, frac_digits = 0;

		if (*p == '+' || *p == '-')
			p++;
		while (*p >= '0' && *p <= '9')
			p++, int_digits++;
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				frac_digits++;
		if (!int_digits && !frac_digits)
			rc = -1;
		if (!rc && (*p == 'e' || *p == 'E')) {
			p++;
			if (*p == '+' || *p == '-')
				p++;
			if (!(*p >= '0' && *p <= '9'))
				rc = -1;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		if (*p)
			rc = -1;
		if (!rc)
			*out = strtod(copy, &end);
	}
	free(copy);
	return rc || !isfinite(*out) ? -1 : 0;
}

double number_option(const char *value, const char *name)
{
	double d;

	if (js_number(value, &d))
		usage("--%s must be a number", name);
	return d;
}

static void push(const char ***list, size_t *n, const char *value)
{
	const char **grown = realloc(*list, (*n + 1) * sizeof **list);

	if (!grown)
		die("out of memory");
	grown[(*n)++] = value;
	*list = grown;
}

void parse_args(int argc, char **argv, const struct opt_spec *specs, const char **first, size_t *n_positionals)
{
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *value = NULL, *eq;
		const struct opt_spec *o;
		char name[32];

		if (!strcmp(arg, "--")) {
			for (i++; i < argc; i++, (*n_positionals)++)
				*first = *first ? *first : argv[i];
			break;
		}
		if (arg[0] != '-' || !arg[1]) {
			if (!(*n_positionals)++)
				*first = arg;
			continue;
		}
		if (arg[1] != '-')
			usage("unknown option '%s'", arg);
		eq = strchr(arg, '=');
		snprintf(name, sizeof name, "%.*s", (int)((eq ? (size_t)(eq - arg) : strlen(arg)) - 2), arg + 2);
		for (o = specs; o->name && strcmp(o->name, name); o++)
			;
		if (!o->name)
			usage("unknown option '--%s'", name);
		if (o->kind == OPT_FLAG) {
			if (eq)
				usage("option '--%s' does not take an argument", name);
			*(int *)o->dest = 1;
			continue;
		}
		if (eq) {
			value = eq + 1;
		} else {
			if (i + 1 >= argc)
				usage("option '--%s <value>' argument missing", name);
			value = argv[++i];
			/* isOptionLikeValue(): "-" alone is a value. */
			if (value[0] == '-' && value[1])
				usage("option '--%s' argument is ambiguous (%s)", name, value);
		}
		if (o->kind == OPT_STRING)
			*(const char **)o->dest = value;
		else
			push((const char ***)o->dest, o->count, value);
	}
}

/* Options of `verify`. */
struct options {
	const char *keys, *config, *now, *leeway, *require, *module, *max_pages, *descriptor;
	int cwt, json;
	/* The token is JOSE compact text without a header (read_token): verified behind one for --descriptor. */
	int bare_jose;
	const char **issuers, **audiences, **revoked;
	size_t n_issuers, n_audiences, n_revoked;
	const char *token;
	size_t n_positionals;
};

static void parse_options(int argc, char **argv, struct options *o)
{
	const struct opt_spec specs[] = {
		{ "keys", OPT_STRING, &o->keys, NULL },
		{ "config", OPT_STRING, &o->config, NULL },
		{ "now", OPT_STRING, &o->now, NULL },
		{ "leeway", OPT_STRING, &o->leeway, NULL },
		{ "require", OPT_STRING, &o->require, NULL },
		{ "module", OPT_STRING, &o->module, NULL },
		{ "max-pages", OPT_STRING, &o->max_pages, NULL },
		{ "descriptor", OPT_STRING, &o->descriptor, NULL },
		{ "cwt", OPT_FLAG, &o->cwt, NULL },
		{ "json", OPT_FLAG, &o->json, NULL },
		{ "issuer", OPT_LIST, &o->issuers, &o->n_issuers },
		{ "audience", OPT_LIST, &o->audiences, &o->n_audiences },
		{ "revoked", OPT_LIST, &o->revoked, &o->n_revoked },
		{ NULL, OPT_FLAG, NULL, NULL },
	};

	parse_args(argc, argv, specs, &o->token, &o->n_positionals);
}

/* A JWK, a JWK Set, or an array of JWKs: the keys array (readKeys). */
struct jwk_set_scan {
	struct jslice keys;
	int has_keys_array, has_kty;
};

static void scan_jwk_member(void *ctx, struct jslice key, struct jslice value)
{
	struct jwk_set_scan *s = ctx;

	if (json_key_is(key, "keys") && json_kind(value) == '[')
		s->keys = value, s->has_keys_array = 1;
	if (json_key_is(key, "kty"))
		s->has_kty = 1;
}

static void add_keys(struct strbuf *b, const char *path)
{
	char *text;
	struct jslice v = read_json(path, &text);
	struct jwk_set_scan scan = { 0 };

	if (json_kind(v) == '[') {
		sb_add(b, v.s, v.n);
		free(text);
		return;
	}
	if (json_kind(v) == '{')
		json_members(v, scan_jwk_member, &scan);
	if (scan.has_keys_array) {
		sb_add(b, scan.keys.s, scan.keys.n);
	} else if (scan.has_kty) {
		sb_str(b, "[");
		sb_add(b, v.s, v.n);
		sb_str(b, "]");
	} else {
		die("%s holds no JWK or JWK Set", path);
	}
	free(text);
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int hex_pairs(const char *s)
{
	size_t n = strlen(s);

	if (!n || n % 2)
		return 0;
	for (; *s; s++)
		if (!strchr("0123456789abcdefABCDEF", *s))
			return 0;
	return 1;
}

/* A revoked id: digits are an integer nti/cti, h:<hex> (or other hex) a
 * byte-string one in lowercase (revokedId in ntok.ts). */
static void add_revoked_id(struct strbuf *b, const char *arg)
{
	const char *hex = strncmp(arg, "h:", 2) ? arg : arg + 2;
	char *lower;

	if (all_digits(arg)) {
		sb_json_number(b, strtod(arg, NULL));
		return;
	}
	if (!hex_pairs(hex))
		usage("--revoked %s: digits for an integer id, h:<hex> for a byte-string id", arg);
	if (!(lower = strdup(hex)))
		die("out of memory");
	for (char *p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	sb_json_string(b, lower);
	free(lower);
}

static void add_string_array(struct strbuf *b, const char *const *items, size_t n)
{
	sb_str(b, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_str(b, ",");
		sb_json_string(b, items[i]);
	}
	sb_str(b, "]");
}

/* --require a, b,,c -> ["a","b","c"] (split, trim, drop empty). */
static void add_require(struct strbuf *b, const char *list)
{
	int first = 1;

	sb_str(b, "[");
	for (const char *p = list;;) {
		const char *end = strchr(p, ','), *a = p, *z = end ? end : p + strlen(p);

		while (a < z && strchr(" \t\n\v\f\r", *a))
			a++;
		while (z > a && strchr(" \t\n\v\f\r", z[-1]))
			z--;
		if (z > a) {
			char *item = strndup(a, (size_t)(z - a));

			if (!item)
				die("out of memory");
			if (!first)
				sb_str(b, ",");
			sb_json_string(b, item);
			free(item);
			first = 0;
		}
		if (!end)
			break;
		p = end + 1;
	}
	sb_str(b, "]");
}

/* Copies the members of a --config object that no option replaces. */
struct config_copy {
	struct strbuf *b;
	const struct options *o;
	int first;
	struct jslice keysets;
	/* Bare JOSE text and no descriptors in --config: descriptors and a default key set are added. */
	int jose_descriptors;
};

static void member_sep(struct config_copy *c)
{
	if (!c->first)
		sb_str(c->b, ",");
	c->first = 0;
}

/* A member copied as it is. */
static void copy_member(void *ctx, struct jslice key, struct jslice value)
{
	struct config_copy *c = ctx;

	member_sep(c);
	sb_str(c->b, "\"");
	sb_add(c->b, key.s, key.n);
	sb_str(c->b, "\":");
	sb_add(c->b, value.s, value.n);
}

static void copy_config_member(void *ctx, struct jslice key, struct jslice value)
{
	struct config_copy *c = ctx;
	const struct options *o = c->o;

	if (json_key_is(key, "keysets") && (o->keys || c->jose_descriptors)) {
		c->keysets = value; /* merged below, as { ...config.keysets, default } */
		return;
	}
	if ((json_key_is(key, "leeway") && o->leeway) || (json_key_is(key, "require") && o->require) ||
	    (json_key_is(key, "issuers") && o->n_issuers) || (json_key_is(key, "audiences") && o->n_audiences) ||
	    (json_key_is(key, "revoked") && o->n_revoked))
		return;
	copy_member(c, key, value);
}

static void copy_keyset(void *ctx, struct jslice key, struct jslice value)
{
	if (!json_key_is(key, "default"))
		copy_member(ctx, key, value);
}

struct member_find {
	const char *name;
	int found;
};

static void find_member(void *ctx, struct jslice key, struct jslice value)
{
	struct member_find *f = ctx;

	(void)value;
	if (json_key_is(key, f->name))
		f->found = 1;
}

/* Whether the JSON object v has a member `name` (0 for anything else). */
static int has_member(struct jslice v, const char *name)
{
	struct member_find f = { name, 0 };

	if (json_kind(v) == '{')
		json_members(v, find_member, &f);
	return f.found;
}


/* --descriptor: the descriptor bare JOSE text is verified under (default 0x1, as JOSE_DESCRIPTOR in ntok.ts). */
static uint32_t jose_descriptor(const struct options *o)
{
	double d = o->descriptor ? number_option(o->descriptor, "descriptor") : 1;

	if (!(d >= 0 && d <= 0x0fffffff && d == floor(d)))
		usage("--descriptor must be a 28-bit descriptor id");
	return (uint32_t)d;
}

/* verifierConfig in ntok.ts: a --config object, then the options on top. */
static struct strbuf verifier_config(const struct options *o)
{
	struct strbuf b = { 0 };
	struct config_copy c = { &b, o, 1, { NULL, 0 }, 0 };
	char *text = NULL;

	if (o->config) {
		struct jslice root = read_json(o->config, &text);

		c.jose_descriptors = o->bare_jose && !has_member(root, "descriptors");
		if (json_kind(root) != '{') {
			/* Not an object: the options cannot be merged into it, and the
			 * core refuses it as the TS CLI's stringified copy. */
			sb_add(&b, root.s, root.n);
			free(text);
			return b;
		}
		sb_str(&b, "{");
		json_members(root, copy_config_member, &c);
	} else {
		c.jose_descriptors = o->bare_jose;
		sb_str(&b, "{");
	}
	if (o->keys || c.jose_descriptors) {
		/* As ntok.ts verifierConfig: --keys is the default key set; for bare JOSE text, default is made if absent. */
		int has_default = has_member(c.keysets, "default");

		member_sep(&c);
		sb_str(&b, "\"keysets\":{");
		c.first = 1;
		if (json_kind(c.keysets) == '{')
			json_members(c.keysets, o->keys ? copy_keyset : copy_member, &c);
		if (o->keys || !has_default) {
			member_sep(&c);
			sb_str(&b, "\"default\":{\"keys\":");
			if (o->keys)
				add_keys(&b, o->keys);
			else
				sb_str(&b, "[]");
			sb_str(&b, "}");
		}
		sb_str(&b, "}");
		c.first = 0;
	}
	if (c.jose_descriptors) {
		uint32_t d = jose_descriptor(o);

		member_sep(&c);
		sb_str(&b, "\"descriptors\":[{\"id\":2,\"format\":\"cwt\",\"keyset\":\"default\"}");
		if (d != 2) {
			sb_str(&b, ",{\"id\":");
			sb_json_number(&b, (double)d);
			sb_str(&b, ",\"format\":\"jose\",\"keyset\":\"default\"}");
		}
		sb_str(&b, "]");
	}
	if (o->leeway) {
		double leeway = number_option(o->leeway, "leeway");

		member_sep(&c);
		sb_str(&b, "\"leeway\":");
		sb_json_number(&b, leeway);
	}
	if (o->require) {
		member_sep(&c);
		sb_str(&b, "\"require\":");
		add_require(&b, o->require);
	}
	if (o->n_issuers) {
		member_sep(&c);
		sb_str(&b, "\"issuers\":");
		add_string_array(&b, o->issuers, o->n_issuers);
	}
	if (o->n_audiences) {
		member_sep(&c);
		sb_str(&b, "\"audiences\":");
		add_string_array(&b, o->audiences, o->n_audiences);
	}
	if (o->n_revoked) {
		member_sep(&c);
		sb_str(&b, "\"revoked\":[");
		for (size_t i = 0; i < o->n_revoked; i++) {
			if (i)
				sb_str(&b, ",");
			add_revoked_id(&b, o->revoked[i]);
		}
		sb_str(&b, "]");
	}
	sb_str(&b, "}");
	free(text);
	if (b.oom)
		die("out of memory");
	return b;
}

static int hex_digit(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
		: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/*
 * /^(0x)?([0-9a-fA-F]{2})*$/ after whitespace is removed (JavaScript's \s:
 * ASCII whitespace and U+00A0, which is byte A0 in a file read as latin1 and
 * C2 A0 in an argument): decoded into out, or -1.
 */
static int decode_hex(const char *s, size_t n, int latin1, uint8_t **out, size_t *out_len)
{
	char *text = malloc(n + 1);
	size_t t = 0, i = 0;
	uint8_t *bytes;

	if (!text)
		die("out of memory");
	for (size_t k = 0; k < n; k++) {
		unsigned char ch = (unsigned char)s[k];

		if (strchr(" \t\n\v\f\r", ch) && ch)
			continue;
		if (latin1 && ch == 0xa0)
			continue;
		if (!latin1 && ch == 0xc2 && k + 1 < n && (unsigned char)s[k + 1] == 0xa0) {
			k++;
			continue;
		}
		text[t++] = (char)ch;
	}
	if (t >= 2 && text[0] == '0' && text[1] == 'x')
		i = 2;
	if ((t - i) % 2) {
		free(text);
		return -1;
	}
	if (!(bytes = malloc((t - i) / 2 + 1)))
		die("out of memory");
	for (size_t k = 0; i + k < t; k += 2) {
		int hi = hex_digit(text[i + k]), lo = hex_digit(text[i + k + 1]);

		if (hi < 0 || lo < 0) {
			free(text);
			free(bytes);
			return -1;
		}
		bytes[k / 2] = (uint8_t)(hi << 4 | lo);
	}
	*out = bytes;
	*out_len = (t - i) / 2;
	free(text);
	return 0;
}

/* Token bytes from <hex> or @file (readToken in ntok.ts); -1: neither. */
/*
 * JOSE compact text, as COMPACT in ntok.ts: base64url parts, the first not
 * empty, three of them (JWS) or five (JWE). Whitespace (JavaScript's \s, as
 * decode_hex takes it) is skipped when `ws` is set (a file's text).
 */
static int copy_compact(const char *s, size_t n, int ws, uint8_t **token, size_t *len)
{
	size_t dots = 0, first = 0, o = 0;
	uint8_t *out = malloc(n + 1);

	if (!out)
		die("out of memory");
	for (size_t k = 0; k < n; k++) {
		unsigned char ch = (unsigned char)s[k];

		if (ws && ((ch && strchr(" \t\n\v\f\r", ch)) || ch == 0xa0))
			continue;
		if (ch == '.')
			dots++;
		else if (!(isalnum(ch) || ch == '-' || ch == '_'))
			return free(out), -1;
		else if (dots == 0)
			first++;
		out[o++] = ch;
	}
	if (!first || (dots != 2 && dots != 4))
		return free(out), -1;
	*token = out;
	*len = o;
	return 0;
}

static int read_token(const char *arg, uint8_t **token, size_t *len, int *bare_jose)
{
	char *raw;
	size_t raw_len, ws = 0;

	*bare_jose = 0;
	if (arg[0] != '@') {
		if (decode_hex(arg, strlen(arg), 0, token, len) == 0)
			return 0;
		if (copy_compact(arg, strlen(arg), 1, token, len))
			return -1;
		*bare_jose = 1;
		return 0;
	}
	raw = read_text(arg + 1, &raw_len);
	for (size_t k = 0; k < raw_len; k++)
		ws += strchr(" \t\n\v\f\r", raw[k]) && raw[k] ? 1 : (unsigned char)raw[k] == 0xa0;
	if (ws < raw_len && decode_hex(raw, raw_len, 1, token, len) == 0) {
		free(raw);
		return 0;
	}
	if (copy_compact(raw, raw_len, 1, token, len) == 0) {
		free(raw);
		*bare_jose = 1;
		return 0;
	}
	*token = (uint8_t *)raw;
	*len = raw_len;
	return 0;
}

/* Bare JOSE text behind a header (reflect 0) for its descriptor, as withJoseHeader in ntok.ts. */
static void add_jose_header(const struct options *o, uint8_t **token, size_t *len)
{
	uint32_t d = jose_descriptor(o);
	uint8_t *t = malloc(*len + 4);

	if (!t)
		die("out of memory");
	t[0] = (uint8_t)(d >> 24), t[1] = (uint8_t)(d >> 16), t[2] = (uint8_t)(d >> 8), t[3] = (uint8_t)d;
	memcpy(t + 4, *token, *len);
	free(*token);
	*token = t;
	*len += 4;
}

/* The module beside the binary: <dir of ntokd>/ntok.wasm. */
static char *default_module_path(const char *argv0)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	const char *base = n > 0 ? (self[n] = '\0', self) : argv0;
	const char *slash = strrchr(base, '/');
	struct strbuf b = { 0 };

	if (slash)
		sb_add(&b, base, (size_t)(slash - base + 1));
	sb_str(&b, "ntok.wasm");
	if (b.oom)
		die("out of memory");
	return b.s;
}

/* The module, refused unless it is the one this ntokd was built for. */
static uint8_t *load_module(const char *path, size_t *len)
{
	static const char want[] = NTOK_WASM_SHA256;
	uint8_t digest[32];
	char got[65];
	char *data;

	if (read_file(path, &data, len))
		die("cannot read module %s: %s", path, strerror(errno));
	crypto_sha256((const uint8_t *)data, *len, digest);
	for (int i = 0; i < 32; i++)
		snprintf(got + 2 * i, 3, "%02x", digest[i]);
	if (strcmp(got, want))
		die("module %s has sha256 %s, but this ntokd was built for %s: rebuild ntokd with the module",
		    path, got, want);
	return (uint8_t *)data;
}

/* The raw text of a top-level string member (for the human output). */
static struct jslice string_member(const char *json, const char *name)
{
	return json_string_member(json, strlen(json), name);
}

/* A configuration the core refused: its message with the JSON escapes decoded, as ntok prints it; exits 2. */
static void die_refused(const char *reply)
{
	struct strbuf m = { 0 };

	sb_json_unescape(&m, string_member(reply, "message"));
	die("configuration: %s", m.s && !m.oom ? m.s : "(message lost: out of memory)");
}

static double wall_clock(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static int trapped(const struct options *o, const char *what, const char *trap)
{
	struct strbuf b = { 0 };

	fprintf(stderr, "ntokd: trap in %s: %s\n", what, trap);
	sb_str(&b, "trap: ");
	sb_str(&b, trap);
	if (o->json) {
		struct strbuf out = { 0 };

		sb_str(&out, "{\"ok\":false,\"code\":\"host-error\",\"message\":");
		sb_json_string(&out, b.s);
		sb_str(&out, "}\n");
		fputs(out.s, stdout);
		free(out.s);
	} else {
		printf("REJECTED host-error: %s\n", b.s);
	}
	free(b.s);
	return EXIT_REJECTED;
}

struct ntok_core *open_core(const char *module, const char *argv0, uint32_t max_pages, uint8_t **wasm, char **module_path)
{
	struct ntok_core *core;
	size_t wasm_len;
	char err[256];

	*module_path = module ? strdup(module) : default_module_path(argv0);
	if (!*module_path)
		die("out of memory");
	*wasm = load_module(*module_path, &wasm_len);
	if (crypto_init())
		die("the crypto library failed to initialise");
	if (!(core = core_open(*wasm, wasm_len, max_pages, err, sizeof err)))
		die("%s: %s", *module_path, err);
	return core;
}

static int write_file(const char *path, const uint8_t *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc;

	if (!f)
		return -1;
	rc = fwrite(bytes, 1, len, f) == len ? 0 : -1;
	if (fclose(f))
		rc = -1;
	return rc;
}

static uint32_t max_pages_option(const char *value);

static int cmd_verify(int argc, char **argv, const char *argv0)
{
	struct options o = { 0 };
	struct strbuf config;
	struct ntok_core *core;
	char *module_path, *json = NULL;
	uint8_t *wasm, *token;
	size_t token_len, json_len;
	int32_t len_arg, code;
	const char *trap;
	double now;
	int rc, unreadable;

	parse_options(argc, argv, &o);
	if (o.n_positionals != 1)
		usage("verify takes one token: <hex|@file|jose>");
	if (!o.keys && !o.config)
		usage("verify needs --keys (or --config)");
	/* Read first: bare JOSE text changes the configuration (verifier_config). */
	unreadable = read_token(o.token, &token, &token_len, &o.bare_jose);
	if (!unreadable && o.bare_jose)
		add_jose_header(&o, &token, &token_len);
	config = verifier_config(&o);

	core = open_core(o.module, argv0, o.max_pages ? max_pages_option(o.max_pages) : 0, &wasm, &module_path);

	if ((trap = core_write_input(core, (const uint8_t *)config.s, config.len, &len_arg)) ||
	    (trap = core_configure(core, len_arg, &code)) || (trap = core_output(core, &json, &json_len)))
		die("configuration: trap: %s", trap);
	if (code != 0)
		die_refused(json);
	free(json);
	free(config.s);

	json = NULL;
	if (unreadable) {
		/* As the TS CLI: the JSON is written by the CLI, not the core. */
		static const char what[] = "the token is neither hex nor @file";

		if (o.json)
			printf("{\"ok\":false,\"code\":\"malformed\",\"message\":\"%s\"}\n", what);
		else
			printf("REJECTED malformed: %s\n", what);
		rc = EXIT_REJECTED;
		goto out;
	}
	now = o.now ? number_option(o.now, "now") : wall_clock();
	trap = core_write_input(core, token, token_len, &len_arg);
	free(token);
	if (trap || (trap = core_verify(core, len_arg, now, o.cwt && !o.bare_jose ? FLAG_BARE_CWT : 0, &code)) ||
	    (trap = core_output(core, &json, &json_len))) {
		rc = trapped(&o, "verify", trap);
		goto out;
	}
	if (o.json) {
		fwrite(json, 1, json_len, stdout);
		fputc('\n', stdout);
	} else if (code == 0) {
		printf("OK token verified\n  %s\n", json);
	} else {
		struct jslice message = string_member(json, "message");
		char *name = core_result_name(core, code);

		printf("REJECTED %s: %.*s\n  %s\n", name ? name : "?", (int)message.n, message.s, json);
		free(name);
	}
	rc = code == 0 ? EXIT_OK : EXIT_REJECTED;
out:
	/* Every exit frees what it took, so valgrind's leak check stays clean (npm run test:memcheck). */
	free(json);
	core_close(core);
	free(wasm);
	free(module_path);
	free(o.issuers), free(o.audiences), free(o.revoked);
	return rc;
}

/* --max-pages: linear memory ceiling in 64 KiB pages, as a board's wasm_pages (maxPagesOption in ntok.ts). */
#define WASM_PAGE_LIMIT 65536

static uint32_t max_pages_option(const char *value)
{
	double n = number_option(value, "max-pages");

	if (!(n >= 1 && n <= WASM_PAGE_LIMIT && n == floor(n)))
		usage("--max-pages must be an integer from 1 to %d", WASM_PAGE_LIMIT);
	return (uint32_t)n;
}

/* Gateway.statusJson(): status, tried once more on a new instance if it traps. 0, or -1 with err set. */
static int status_recovering(struct ntok_core *core, const struct replay_options *o, struct replay_result *r,
                             char **json, size_t *len, char *err, size_t err_len)
{
	const char *trap = core_status(core, json, len);

	if (!trap)
		return 0;
	if (replay_recover(core, o, r, trap, err, err_len))
		return -1;
	if ((trap = core_status(core, json, len))) {
		snprintf(err, err_len, "trap: %s", trap);
		return -1;
	}
	return 0;
}

/*
 * replay: the capture through the packet path, one summary per flow. tag:
 * the same with every packet taken as upstream (from the LAN), so the
 * configuration's tagging rules attach tokens. (cmdReplay in src/cli/ntok.ts.)
 */
static int cmd_replay(int argc, char **argv, const char *argv0, int tagging)
{
	const char *config = NULL, *out = NULL, *now = NULL, *module = NULL, *input = NULL, *max_pages = NULL, *trap;
	const char *name = tagging ? "tag" : "replay";
	int json = 0, rc = EXIT_OK;
	size_t n_positionals = 0, file_len, config_len, status_len;
	const struct opt_spec specs[] = {
		{ "config", OPT_STRING, &config, NULL },
		{ "out", OPT_STRING, &out, NULL },
		{ "now", OPT_STRING, &now, NULL },
		{ "json", OPT_FLAG, &json, NULL },
		{ "module", OPT_STRING, &module, NULL },
		{ "max-pages", OPT_STRING, &max_pages, NULL },
		{ NULL, OPT_FLAG, NULL, NULL },
	};
	struct replay_options ro = { 0, 0, tagging ? 1 : 0, NULL, 0 };
	struct replay_result result;
	struct capture cap;
	struct ntok_core *core;
	struct strbuf text = { 0 };
	char err[512], *file, *config_raw, *reply = NULL, *module_path;
	uint8_t *wasm;
	int32_t len_arg, code;
	uint32_t pages = 0;

	parse_args(argc, argv, specs, &input, &n_positionals);
	if (n_positionals != 1)
		usage("%s takes one capture file", name);
	/* `if (!values.config)`: an empty value counts as none, as in the TS CLI. */
	if (!config || !*config)
		usage("%s needs --config", name);
	if (tagging && (!out || !*out))
		usage("tag needs --out");
	if (read_file(input, &file, &file_len))
		die("%s: %s", input, strerror(errno));
	if (capture_read((const uint8_t *)file, file_len, &cap, err, sizeof err))
		die("%s: %s", input, err);

	/* As the TS CLI: read after the capture (a broken capture is reported first). */
	if (max_pages)
		pages = max_pages_option(max_pages);
	core = open_core(module, argv0, pages, &wasm, &module_path);
	/* Gateway.open(readText(config)): the file's text as UTF-8, invalid sequences as U+FFFD. */
	config_raw = read_text(config, &config_len);
	sb_utf8(&text, config_raw, config_len);
	free(config_raw);
	if (text.oom)
		die("out of memory");
	if ((trap = core_write_input(core, (const uint8_t *)(text.s ? text.s : ""), text.len, &len_arg)) ||
	    (trap = core_configure(core, len_arg, &code)) || (trap = core_output(core, &reply, &status_len)))
		die("configuration: trap: %s", trap);
	if (code != 0)
		die_refused(reply);
	free(reply);
	reply = NULL;
	/* Kept: an instance that replaces one that trapped is configured with it again. */
	ro.config = (const uint8_t *)(text.s ? text.s : "");
	ro.config_len = text.len;
	if (now) {
		ro.now = number_option(now, "now");
		ro.has_now = 1;
	}

	if (replay_run(core, &cap, &ro, &result, err, sizeof err)) {
		/* The TS host throws here (a trap, or a writer refusing a packet): exit 1, nothing printed. */
		fprintf(stderr, "ntokd: %s: %s\n", input, err);
		rc = EXIT_REJECTED;
		goto out;
	}
	if (out && *out && write_file(out, result.output, result.output_len)) {
		fprintf(stderr, "ntokd: cannot write %s: %s\n", out, strerror(errno));
		rc = EXIT_REJECTED;
		goto out;
	}
	if (json) {
		fwrite(result.json.s, 1, result.json.len, stdout);
		fputc('\n', stdout);
	} else if (status_recovering(core, &ro, &result, &reply, &status_len, err, sizeof err)) {
		fprintf(stderr, "ntokd: status: %s\n", err);
		rc = EXIT_REJECTED;
	} else {
		struct strbuf summary = { 0 };

		replay_describe(&result, reply, cap.count, out, &summary);
		if (summary.oom)
			die("out of memory");
		fwrite(summary.s, 1, summary.len, stdout);
		free(summary.s);
	}
	if (result.traps)
		fprintf(stderr, "ntokd: %zu traps in the core, the last: %s; each replaced the instance (its flows lost)\n",
		        result.traps, result.last_trap);
out:
	free(reply);
	free(text.s);
	replay_free(&result);
	capture_free(&cap);
	free(file);
	core_close(core);
	free(wasm);
	free(module_path);
	return rc;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 2)
		usage("no command");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(USAGE, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "verify"))
		rc = cmd_verify(argc - 2, argv + 2, argv[0]);
	else if (!strcmp(argv[1], "replay") || !strcmp(argv[1], "tag"))
		rc = cmd_replay(argc - 2, argv + 2, argv[0], !strcmp(argv[1], "tag"));
	else if (!strcmp(argv[1], "run"))
		rc = daemon_run(argc - 1, argv + 1, argv[0], open_core);
	else if (!strcmp(argv[1], "status"))
		rc = daemon_status(argc - 1, argv + 1);
	else if (!strcmp(argv[1], "revoke"))
		rc = daemon_revoke(argc - 1, argv + 1);
#ifndef NTOKD_NO_BENCH
	else if (!strcmp(argv[1], "bench"))
		rc = cmd_bench(argc - 2, argv + 2, argv[0]); /* a developer mode, not in USAGE: host/bench.c */
#endif
	else
		usage("unknown command %s", argv[1]);
	if (fflush(stdout) != 0)
		return EXIT_USAGE;
	return rc;
}
