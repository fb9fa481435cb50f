/*
 * `ntokd run`: the NFQUEUE daemon, and `ntokd status`, its control client
 * (docs/router.md).
 */
#ifndef NTOK_DAEMON_H
#define NTOK_DAEMON_H

#include <stdint.h>

#include "wasm_host.h"

#define DAEMON_USAGE                                                                                          \
	"  ntokd run --config <config.json> [--queue <n>] [--control <socket>] [--time-limit <ms>]\n"          \
	"            [--masquerade <wan ifname>] [--max-pages <n>] [--foreground] [-v] [--module <ntok.wasm>]\n" \
	"  ntokd status [--control <socket>]\n"                                                              \
	"  ntokd revoke [--control <socket>] <token id>...   (an integer, or lowercase hex)\n"

/* ntokd.c's open_core: the module beside the binary (or --module), checked
 * against the hash compiled in, under wasm3; exits 2 on failure. */
typedef struct ntok_core *(*core_opener)(const char *module, const char *argv0, uint32_t max_pages, uint8_t **wasm,
					 char **module_path);

/* argv[0] is the command name ("run", "status"). Exit codes: 0, 1 (the queue
 * or socket failed, ntokd not reachable), 2 (usage, configuration). */
int daemon_run(int argc, char **argv, const char *argv0, core_opener open_core);
int daemon_status(int argc, char **argv);
int daemon_revoke(int argc, char **argv);

#endif
