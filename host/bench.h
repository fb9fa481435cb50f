/*
 * `ntokd bench`: timing of the core's calls under wasm3 and of the bare
 * crypto calls, for bench/ntokd.ts (a developer mode; see bench.c).
 */
#ifndef NTOK_BENCH_H
#define NTOK_BENCH_H

int cmd_bench(int argc, char **argv, const char *argv0);

#endif
