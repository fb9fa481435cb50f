/* RFC 8259 syntax only: enough to check and slice, no values are decoded. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_glue.h"

/* Deeper than any configuration the core accepts (depth 8, docs/abi.md). */
#define MAX_DEPTH 64

void sb_add(struct strbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *grown;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(grown = realloc(b->s, cap))) {
			b->oom = 1;
			return;
		}
		b->s = grown, b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_str(struct strbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

void sb_json_string(struct strbuf *b, const char *s)
{
	char esc[8];

	sb_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '"': sb_add(b, "\\\"", 2); break;
		case '\\': sb_add(b, "\\\\", 2); break;
		case '\b': sb_add(b, "\\b", 2); break;
		case '\f': sb_add(b, "\\f", 2); break;
		case '\n': sb_add(b, "\\n", 2); break;
		case '\r': sb_add(b, "\\r", 2); break;
		case '\t': sb_add(b, "\\t", 2); break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof esc, "\\u%04x", c);
				sb_str(b, esc);
			} else {
				sb_add(b, (const char *)&c, 1);
			}
		}
	}
	sb_add(b, "\"", 1);
}

void sb_utf8(struct strbuf *b, const char *s, size_t n)
{
	static const char replacement[] = "\xef\xbf\xbd";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	sb_add(b, "", 0);
	while (i < n) {
		unsigned char c = u[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t need, j;

		if (c < 0x80) {
			sb_add(b, s + i++, 1);
			continue;
		}
		/* WHATWG Encoding §4.1 UTF-8 decoder: the bounds of the second byte exclude overlongs, surrogates and > U+10FFFF. */
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		else
			need = 0;
		for (j = i + 1; need && j < n && j <= i + need; j++) {
			if (u[j] < lo || u[j] > hi)
				break;
			lo = 0x80, hi = 0xbf;
		}
		if (need && j == i + need + 1) {
			sb_add(b, s + i, need + 1);
			i = j;
		} else {
			/* One U+FFFD for the maximal invalid prefix; the byte that broke it is read again. */
			sb_add(b, replacement, 3);
			i = need ? j : i + 1;
		}
	}
}

static unsigned hex4(const char *s)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char ch = s[i];

		v = v << 4 | (unsigned)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
	}
	return v;
}

static void sb_code_point(struct strbuf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80)
		u[0] = (char)cp, n = 1;
	else if (cp < 0x800)
		u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	else if (cp < 0x10000)
		u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3f)), u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	else
		u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3f)), u[2] = (char)(0x80 | (cp >> 6 & 0x3f)),
		u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	sb_add(b, u, n);
}

void sb_json_unescape(struct strbuf *b, struct jslice s)
{
	size_t i = 0;

	sb_add(b, "", 0);
	while (i < s.n) {
		size_t run = i;
		unsigned cp;

		while (i < s.n && s.s[i] != '\\')
			i++;
		sb_add(b, s.s + run, i - run);
		if (i + 1 >= s.n)
			break;
		switch (s.s[i + 1]) {
		case 'b': sb_add(b, "\b", 1); break;
		case 'f': sb_add(b, "\f", 1); break;
		case 'n': sb_add(b, "\n", 1); break;
		case 'r': sb_add(b, "\r", 1); break;
		case 't': sb_add(b, "\t", 1); break;
		case 'u':
			if (i + 6 > s.n)
				return;
			cp = hex4(s.s + i + 2);
			if (cp >= 0xd800 && cp <= 0xdbff && i + 12 <= s.n && s.s[i + 6] == '\\' && s.s[i + 7] == 'u') {
				unsigned lo = hex4(s.s + i + 8);

				if (lo >= 0xdc00 && lo <= 0xdfff) {
					sb_code_point(b, 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00));
					i += 12;
					continue;
				}
			}
			sb_code_point(b, cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);
			i += 6;
			continue;
		default: sb_add(b, s.s + i + 1, 1); /* " \ / */
		}
		i += 2;
	}
}

void sb_json_number(struct strbuf *b, double d)
{
	char text[64];

	if (d == 0) {
		sb_str(b, "0"); /* JSON.stringify(-0) is "0" */
		return;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(text, sizeof text, "%.*e", p - 1, d);
		if (strtod(text, NULL) == d)
			break;
	}
	if (d == floor(d) && fabs(d) < 1e21) {
		/* JSON.stringify: integers below 1e21 in plain digits, the shortest
		 * round-trip digits followed by zeros. */
		char digits[32], out[40];
		const char *m = text;
		size_t nd = 0, o = 0;
		int exp;

		if (*m == '-')
			out[o++] = '-', m++;
		for (; *m && *m != 'e'; m++)
			if (*m != '.')
				digits[nd++] = *m;
		exp = atoi(m + 1);
		for (int i = 0; i <= exp; i++)
			out[o++] = i < (int)nd ? digits[i] : '0';
		sb_add(b, out, o);
		return;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(text, sizeof text, "%.*g", p, d);
		if (strtod(text, NULL) == d)
			break;
	}
	sb_str(b, text);
}

struct cursor {
	const char *s;
	size_t n, i;
};

static void skip_ws(struct cursor *c)
{
	while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' || c->s[c->i] == '\r'))
		c->i++;
}

static int is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static int skip_string(struct cursor *c)
{
	if (c->i >= c->n || c->s[c->i] != '"')
		return -1;
	for (c->i++; c->i < c->n; c->i++) {
		unsigned char ch = (unsigned char)c->s[c->i];

		if (ch == '"') {
			c->i++;
			return 0;
		}
		if (ch < 0x20)
			return -1;
		if (ch == '\\') {
			if (++c->i >= c->n)
				return -1;
			ch = (unsigned char)c->s[c->i];
			if (ch == 'u') {
				if (c->i + 4 >= c->n)
					return -1;
				for (int k = 1; k <= 4; k++)
					if (!is_hex(c->s[c->i + k]))
						return -1;
				c->i += 4;
			} else if (!strchr("\"\\/bfnrt", ch)) {
				return -1;
			}
		}
	}
	return -1;
}

static size_t digits(struct cursor *c)
{
	size_t start = c->i;

	while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9')
		c->i++;
	return c->i - start;
}

static int skip_number(struct cursor *c)
{
	size_t start;

	if (c->i < c->n && c->s[c->i] == '-')
		c->i++;
	start = c->i;
	if (!digits(c) || (c->s[start] == '0' && c->i - start > 1))
		return -1;
	if (c->i < c->n && c->s[c->i] == '.') {
		c->i++;
		if (!digits(c))
			return -1;
	}
	if (c->i < c->n && (c->s[c->i] == 'e' || c->s[c->i] == 'E')) {
		c->i++;
		if (c->i < c->n && (c->s[c->i] == '+' || c->s[c->i] == '-'))
			c->i++;
		if (!digits(c))
			return -1;
	}
	return 0;
}

static int skip_value(struct cursor *c, int depth)
{
	char open;

	skip_ws(c);
	if (c->i >= c->n)
		return -1;
	open = c->s[c->i];
	if (open == '"')
		return skip_string(c);
	if (open == '{' || open == '[') {
		char close = open == '{' ? '}' : ']';

		if (depth >= MAX_DEPTH)
			return -1;
		c->i++;
		skip_ws(c);
		if (c->i < c->n && c->s[c->i] == close) {
			c->i++;
			return 0;
		}
		for (;;) {
			if (open == '{') {
				skip_ws(c);
				if (skip_string(c))
					return -1;
				skip_ws(c);
				if (c->i >= c->n || c->s[c->i++] != ':')
					return -1;
			}
			if (skip_value(c, depth + 1))
				return -1;
			skip_ws(c);
			if (c->i >= c->n)
				return -1;
			if (c->s[c->i] == close) {
				c->i++;
				return 0;
			}
			if (c->s[c->i++] != ',')
				return -1;
		}
	}
	for (const char *const *lit = (const char *const[]){ "true", "false", "null", NULL }; *lit; lit++) {
		size_t len = strlen(*lit);

		if (c->n - c->i >= len && !memcmp(c->s + c->i, *lit, len)) {
			c->i += len;
			return 0;
		}
	}
	return skip_number(c);
}

int json_check(const char *text, size_t n, struct jslice *value)
{
	struct cursor c = { text, n, 0 };
	size_t start;

	skip_ws(&c);
	start = c.i;
	if (skip_value(&c, 0))
		return -1;
	value->s = text + start;
	value->n = c.i - start;
	skip_ws(&c);
	return c.i == n ? 0 : -1;
}

int json_members(struct jslice object, void (*fn)(void *ctx, struct jslice key, struct jslice value), void *ctx)
{
	struct cursor c = { object.s, object.n, 0 };

	if (json_kind(object) != '{')
		return -1;
	c.i = 1;
	for (;;) {
		struct jslice key, value;
		size_t start;

		skip_ws(&c);
		if (c.i >= c.n || c.s[c.i] == '}')
			return 0;
		start = c.i;
		if (skip_string(&c))
			return -1;
		key.s = c.s + start + 1;
		key.n = c.i - start - 2;
		skip_ws(&c);
		c.i++; /* ':' */
		skip_ws(&c);
		start = c.i;
		if (skip_value(&c, 1))
			return -1;
		value.s = c.s + start;
		value.n = c.i - start;
		fn(ctx, key, value);
		skip_ws(&c);
		if (c.i < c.n && c.s[c.i] == ',')
			c.i++;
	}
}

int json_key_is(struct jslice key, const char *name)
{
	return key.n == strlen(name) && !memcmp(key.s, name, key.n);
}

struct find_member {
	const char *name;
	struct jslice value;
};

static void find_member(void *ctx, struct jslice key, struct jslice value)
{
	struct find_member *f = ctx;

	if (json_key_is(key, f->name))
		f->value = value;
}

struct jslice json_string_member(const char *json, size_t n, const char *name)
{
	struct find_member f = { name, { "", 0 } };
	struct jslice root;

	if (json_check(json, n, &root) == 0)
		json_members(root, find_member, &f);
	if (json_kind(f.value) == '"')
		f.value.s++, f.value.n -= 2;
	return f.value;
}
