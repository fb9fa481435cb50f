/*
 * What the commands of ntokd share (ntokd.c): messages and exits, files,
 * options as node:util parseArgs reads them, and the core under wasm3.
 * `ntokd bench` (bench.c) uses them too.
 */
#ifndef NTOK_CLI_H
#define NTOK_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "wasm_host.h"

#define EXIT_OK 0
#define EXIT_REJECTED 1
#define EXIT_USAGE 2

/* "ntokd: <message>" on stderr, exit 2 (usage() adds the usage text). */
void usage(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* The whole file, NUL-terminated (malloc'd); -1 with errno. */
int read_file(const char *path, char **data, size_t *len);
/* Number(s) of JavaScript, finite values only, or usage(). */
double number_option(const char *value, const char *name);

/* An option as node:util parseArgs declares it. */
enum opt_kind { OPT_FLAG, OPT_STRING, OPT_LIST };

struct opt_spec {
	const char *name;
	enum opt_kind kind;
	void *dest;    /* int *, const char ** or const char *** */
	size_t *count; /* OPT_LIST */
};

/* parseArgs({ strict: true, allowPositionals: true }): *first is the first positional. */
void parse_args(int argc, char **argv, const struct opt_spec *specs, const char **first, size_t *n_positionals);

/* The module beside the binary (or `module`), checked against the hash ntokd
 * was built with, under wasm3 with the crypto library up; die() otherwise.
 * *wasm and *module_path are the caller's to free after core_close. */
struct ntok_core *open_core(const char *module, const char *argv0, uint32_t max_pages, uint8_t **wasm,
                            char **module_path);

#endif
