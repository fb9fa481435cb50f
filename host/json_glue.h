/*
 * Just enough JSON for the command line's glue: check that a file is JSON,
 * walk the members of an object as raw text, and append values to a buffer.
 * Tokens and configurations are parsed by the core, never here.
 */
#ifndef NTOK_JSON_GLUE_H
#define NTOK_JSON_GLUE_H

#include <stddef.h>

struct strbuf {
	char *s;
	size_t len, cap;
	int oom;
};

void sb_add(struct strbuf *b, const char *s, size_t n);
void sb_str(struct strbuf *b, const char *s);
/* s as a JSON string literal (JSON.stringify's escapes). */
void sb_json_string(struct strbuf *b, const char *s);
/* s[0..n) as text decoded from UTF-8 and encoded again (readFileSync(path,
 * 'utf8') then TextEncoder): unchanged when valid, every invalid sequence
 * replaced by U+FFFD as the WHATWG decoder does. */
void sb_utf8(struct strbuf *b, const char *s, size_t n);
/* d as JSON.stringify writes it for integers below 1e21; otherwise the
 * shortest %g form that reads back as the same double. */
void sb_json_number(struct strbuf *b, double d);

/* A raw slice of JSON text. */
struct jslice {
	const char *s;
	size_t n;
};

/* The text of a JSON string's content (between the quotes, already
 * checked), its escapes decoded, as UTF-8; a lone surrogate becomes U+FFFD. */
void sb_json_unescape(struct strbuf *b, struct jslice s);

/* 0 when text[0..n) is one JSON value (with surrounding whitespace). */
int json_check(const char *text, size_t n, struct jslice *value);

/*
 * Calls fn for each member of an object value (already checked): key is the
 * raw text between the quotes, value the raw value. Returns -1 if the value
 * is not an object.
 */
int json_members(struct jslice object, void (*fn)(void *ctx, struct jslice key, struct jslice value), void *ctx);

/* 1 when the raw key text equals name (keys with escapes never match). */
int json_key_is(struct jslice key, const char *name);

/* The raw text of member `name` of the object in json[0..n), without the
 * quotes when it is a string (escapes left as they are: the core writes
 * messages without any); an empty slice when absent or not JSON. */
struct jslice json_string_member(const char *json, size_t n, const char *name);

/* The first character of a value: '{', '[', '"', a digit, '-', 't', 'f' or 'n'. */
static inline char json_kind(struct jslice v) { return v.n ? v.s[0] : 0; }

#endif
