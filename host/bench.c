/*
 * `ntokd bench`: a developer mode, left out of the usage text. It times the
 * core's real calls under wasm3 and the bare crypto calls the imports make,
 * in interleaved rounds, and prints JSON; bench/ntokd.ts drives it and times
 * the same work under V8 in the same run (docs/performance.md, "ntokd
 * (wasm3)"). Like `npm run bench`, it measures; it judges nothing.
 *
 *   ntokd bench fast-path <capture> --config <config.json> [--rounds <n>] [--round-ms <ms>] [--packets <n>]
 *       Every packet once at its capture time (flows decided), then rounds of
 *       --packets packets (default: calibrated to --round-ms) walking the
 *       capture again at one later time: flow-table hits.
 *   ntokd bench verify <hex> --config <config.json> --now <unix> --primitive hmac|ed25519|p256
 *                      --key <hex> --message <hex> --signature <hex> [--rounds <n>] [--round-ms <ms>] [--iterations <n>]
 *       The token through verify() (input copied in, result JSON copied out),
 *       against the primitive alone on the bytes the core hands the host
 *       (--message: MAC_structure or Sig_structure; --signature: the tag or
 *       signature, which must check).
 *   ntokd bench flows <capture.pcap> --config <config.json>
 *       Every packet of a pcap file read one at a time (never the whole
 *       file, as the NFQUEUE daemon will see them) through the core, then
 *       the flow table's figures and this process's peak resident set
 *       (VmHWM): the daemon's footprint at that many flows.
 *   ntokd bench rss <ntokd command> [<argument>...]
 *       Runs ntokd with the arguments (stdout discarded) and reports its peak
 *       resident set (wait4's ru_maxrss; Linux carries the figure across
 *       execve, so it is at least this small process's own at the fork).
 *
 * Every mode takes --module. Under valgrind --tool=callgrind,
 * --toggle-collect=bench_fast_path (or bench_verify_core, bench_verify_bare)
 * counts the instructions of the timed loops alone: give --rounds 1 and a
 * fixed --packets / --iterations, and divide.
 */
#define _GNU_SOURCE /* memmem, vfork */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "capture.h"
#include "cli.h"
#include "crypto.h"
#include "json_glue.h"

#define MAX_ROUNDS 1000

static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double median(const double *xs, size_t n)
{
	double s[MAX_ROUNDS];

	/* Insertion sort: a few dozen rounds (qsort would cost a board a few KB). */
	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		for (; j > 0 && s[j - 1] > xs[i]; j--)
			s[j] = s[j - 1];
		s[j] = xs[i];
	}
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static size_t count_option(const char *value, const char *name, size_t fallback, size_t max)
{
	double n;

	if (!value)
		return fallback;
	n = number_option(value, name);
	if (!(n >= 1 && n <= (double)max && n == (double)(size_t)n))
		die("bench: --%s must be an integer from 1 to %zu", name, max);
	return (size_t)n;
}

static uint8_t *hex_option(const char *hex, const char *name, size_t *len)
{
	size_t n = hex ? strlen(hex) : 0;
	uint8_t *out;

	if (!hex || n % 2)
		die("bench: --%s needs an even number of hex digits", name);
	if (!(out = malloc(n / 2 + 1)))
		die("out of memory");
	for (size_t i = 0; i < n; i++) {
		char c = hex[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			die("bench: --%s is not hex", name);
		out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] << 4 | d : d);
	}
	*len = n / 2;
	return out;
}

static void add_rounds(struct strbuf *b, const char *name, const double *xs, size_t n)
{
	char num[32];

	sb_str(b, ",\"");
	sb_str(b, name);
	sb_str(b, "\":[");
	for (size_t i = 0; i < n; i++) {
		snprintf(num, sizeof num, i ? ",%.4f" : "%.4f", xs[i]);
		sb_str(b, num);
	}
	sb_str(b, "]");
}

static void add_number(struct strbuf *b, const char *name, double x)
{
	char num[64];

	snprintf(num, sizeof num, ",\"%s\":%.6g", name, x);
	sb_str(b, num);
}

/* The configuration file's text into the core, or die(). */
static void configure(struct ntok_core *core, const char *path)
{
	char *text, *reply = NULL;
	size_t len, reply_len;
	int32_t arg, code;
	const char *trap;

	if (!path)
		die("bench: --config is needed");
	if (read_file(path, &text, &len))
		die("bench: cannot read %s: %s", path, strerror(errno));
	if ((trap = core_write_input(core, (const uint8_t *)text, len, &arg)) || (trap = core_configure(core, arg, &code)) ||
	    (trap = core_output(core, &reply, &reply_len)))
		die("bench: configuration: trap: %s", trap);
	if (code != 0)
		die("bench: configuration refused: %s", reply);
	free(reply);
	free(text);
}

struct number_member {
	const char *name;
	double value;
};

static void find_number(void *ctx, struct jslice key, struct jslice value)
{
	struct number_member *m = ctx;

	if (json_key_is(key, m->name))
		m->value = strtod(value.s, NULL);
	else if (json_kind(value) == '{')
		json_members(value, find_number, m); /* flows.inserts */
}

/* A number member of the core's status JSON, at the top or one object down. */
static double status_number(struct ntok_core *core, const char *name)
{
	struct number_member m = { name, -1 };
	struct jslice root;
	char *json;
	size_t len;

	if (core_status(core, &json, &len))
		die("bench: trap in status");
	if (json_check(json, len, &root) == 0)
		json_members(root, find_number, &m);
	free(json);
	return m.value;
}

/* ---- fast path --------------------------------------------------------------- */

/* n packets from *at on (wrapping), all at `now`; the sum of their marks. */
static __attribute__((noinline)) uint64_t fast_path_packets(struct ntok_core *core, const struct capture *cap, size_t *at,
                                                            size_t n, double now)
{
	uint64_t marks = 0;

	for (size_t i = 0; i < n; i++) {
		const struct capture_packet *p = &cap->packets[*at];
		struct ntok_verdict v;
		int32_t len;

		if (core_write_input(core, p->data, p->len, &len) || core_process(core, len, (int32_t)p->link, 0, now, &v))
			die("bench: trap in process");
		marks += v.mark;
		if (++*at == cap->count)
			*at = 0;
	}
	return marks;
}

/* The timed rounds, by this name for callgrind's --toggle-collect. */
__attribute__((noinline)) uint64_t bench_fast_path(struct ntok_core *core, const struct capture *cap, size_t *at, size_t n,
                                                   double now)
{
	return fast_path_packets(core, cap, at, n, now);
}

static int fast_path(int argc, char **argv, const char *argv0)
{
	const char *input = NULL, *config = NULL, *module = NULL, *rounds_arg = NULL, *round_ms_arg = NULL,
		*packets_arg = NULL;
	const struct opt_spec specs[] = {
		{ "config", OPT_STRING, &config, NULL },
		{ "module", OPT_STRING, &module, NULL },
		{ "rounds", OPT_STRING, &rounds_arg, NULL },
		{ "round-ms", OPT_STRING, &round_ms_arg, NULL },
		{ "packets", OPT_STRING, &packets_arg, NULL },
		{ NULL, OPT_FLAG, NULL, NULL },
	};
	size_t n_positionals = 0, file_len, rounds, per_round, at = 0;
	double ns[MAX_ROUNDS], now, round_ms, t, first_pass, verified, inserts, memory_first;
	struct strbuf out = { 0 };
	struct capture cap;
	struct ntok_core *core;
	uint64_t marks = 0;
	char err[256], *file, *module_path;
	uint8_t *wasm;

	parse_args(argc, argv, specs, &input, &n_positionals);
	if (n_positionals != 1)
		die("bench fast-path takes one capture file");
	rounds = count_option(rounds_arg, "rounds", 15, MAX_ROUNDS);
	round_ms = (double)count_option(round_ms_arg, "round-ms", 50, 60000);
	if (read_file(input, &file, &file_len))
		die("bench: %s: %s", input, strerror(errno));
	if (capture_read((const uint8_t *)file, file_len, &cap, err, sizeof err))
		die("bench: %s: %s", input, err);
	if (!cap.count)
		die("bench: %s holds no packet", input);
	core = open_core(module, argv0, 0, &wasm, &module_path);
	configure(core, config);

	/* The first pass decides every flow, at the packets' own times. */
	t = seconds();
	for (size_t i = 0; i < cap.count; i++) {
		const struct capture_packet *p = &cap.packets[i];
		struct ntok_verdict v;
		int32_t len;

		if (core_write_input(core, p->data, p->len, &len) ||
		    core_process(core, len, (int32_t)p->link, 0, capture_timestamp(p), &v))
			die("bench: trap in process (first pass, packet %zu)", i);
	}
	first_pass = seconds() - t;
	verified = status_number(core, "verifications");
	inserts = status_number(core, "inserts");
	memory_first = core_memory_bytes(core);
	now = capture_timestamp(&cap.packets[cap.count - 1]) + 1;
	/* Warm-up at the later time (outside bench_fast_path, for callgrind). */
	fast_path_packets(core, &cap, &at, cap.count < 1000 ? cap.count : 1000, now);

	if (packets_arg) {
		per_round = count_option(packets_arg, "packets", 0, SIZE_MAX);
	} else {
		size_t n = 1000;

		for (;;) {
			t = seconds();
			fast_path_packets(core, &cap, &at, n, now);
			t = seconds() - t;
			if (t * 1000 >= round_ms / 4 || n > ((size_t)1 << 30))
				break;
			n *= 2;
		}
		per_round = (size_t)(n * (round_ms / 1000) / t) + 1;
	}
	for (size_t r = 0; r < rounds; r++) {
		t = seconds();
		marks += bench_fast_path(core, &cap, &at, per_round, now);
		ns[r] = (seconds() - t) * 1e9 / (double)per_round;
	}

	sb_str(&out, "{\"mode\":\"fast-path\"");
	add_number(&out, "packets", (double)cap.count);
	add_number(&out, "first_pass_s", first_pass);
	add_number(&out, "verifications", verified);
	add_number(&out, "flows_inserted", inserts);
	add_number(&out, "memory_bytes", memory_first);
	add_number(&out, "per_round", (double)per_round);
	add_number(&out, "median_ns", median(ns, rounds));
	add_rounds(&out, "ns", ns, rounds);
	add_number(&out, "marks", (double)marks);
	/* No verification and no new flow while timed: the rounds were flow-table hits. */
	sb_str(&out, status_number(core, "verifications") == verified && status_number(core, "inserts") == inserts
		? ",\"fast_path_only\":true}\n" : ",\"fast_path_only\":false}\n");
	if (out.oom)
		die("out of memory");
	fputs(out.s, stdout);
	free(out.s);
	core_close(core);
	free(wasm);
	free(module_path);
	capture_free(&cap);
	free(file);
	return EXIT_OK;
}

/* ---- verify --------------------------------------------------------------------- */

enum primitive { HMAC, ED25519, P256 };

struct verify_work {
	struct ntok_core *core;
	const uint8_t *token;
	size_t token_len;
	double now;
	enum primitive primitive;
	const uint8_t *key, *message, *signature;
	size_t key_len, message_len, signature_len;
};

/* n verifications through the core, as `ntok verify --json` makes them. */
static __attribute__((noinline)) void verify_core(const struct verify_work *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *json;
		size_t len;
		int32_t arg, code;

		if (core_write_input(w->core, w->token, w->token_len, &arg) || core_verify(w->core, arg, w->now, 0, &code) ||
		    core_output(w->core, &json, &len))
			die("bench: trap in verify");
		if (code != 0)
			die("bench: the token does not verify: %s", json);
		free(json);
	}
}

/* n calls of the primitive alone, as the import makes it. */
static __attribute__((noinline)) void verify_bare(const struct verify_work *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t mac[32];
		int ok;

		switch (w->primitive) {
		case HMAC:
			crypto_hmac_sha256(w->key, w->key_len, w->message, w->message_len, mac);
			ok = w->signature_len <= sizeof mac && !memcmp(mac, w->signature, w->signature_len);
			break;
		case ED25519:
			ok = w->key_len == 32 && crypto_ed25519_verify(w->key, w->message, w->message_len, w->signature, w->signature_len);
			break;
		default:
			ok = w->key_len == 65 && crypto_p256_verify(w->key, w->message, w->message_len, w->signature, w->signature_len);
		}
		if (!ok)
			die("bench: the bare primitive does not verify --signature");
	}
}

/* The timed rounds, by these names for callgrind's --toggle-collect (warm-up and calibration call the above directly). */
__attribute__((noinline)) void bench_verify_core(const struct verify_work *w, size_t n)
{
	verify_core(w, n);
}

__attribute__((noinline)) void bench_verify_bare(const struct verify_work *w, size_t n)
{
	verify_bare(w, n);
}

/* Operations per round of about round_ms. */
static size_t calibrate(void (*op)(const struct verify_work *, size_t), const struct verify_work *w, double round_ms)
{
	size_t n = 1;
	double t;

	for (;;) {
		t = seconds();
		op(w, n);
		t = seconds() - t;
		if (t * 1000 >= round_ms / 4 || n > ((size_t)1 << 30))
			break;
		n *= 2;
	}
	n = (size_t)(n * (round_ms / 1000) / t);
	return n < 3 ? 3 : n;
}

static int verify(int argc, char **argv, const char *argv0)
{
	const char *token_hex = NULL, *config = NULL, *module = NULL, *now_arg = NULL, *primitive = NULL, *key = NULL,
		*message = NULL, *signature = NULL, *rounds_arg = NULL, *round_ms_arg = NULL, *iterations_arg = NULL;
	const struct opt_spec specs[] = {
		{ "config", OPT_STRING, &config, NULL },
		{ "module", OPT_STRING, &module, NULL },
		{ "now", OPT_STRING, &now_arg, NULL },
		{ "primitive", OPT_STRING, &primitive, NULL },
		{ "key", OPT_STRING, &key, NULL },
		{ "message", OPT_STRING, &message, NULL },
		{ "signature", OPT_STRING, &signature, NULL },
		{ "rounds", OPT_STRING, &rounds_arg, NULL },
		{ "round-ms", OPT_STRING, &round_ms_arg, NULL },
		{ "iterations", OPT_STRING, &iterations_arg, NULL },
		{ NULL, OPT_FLAG, NULL, NULL },
	};
	size_t n_positionals = 0, rounds, n_core, n_bare;
	double core_us[MAX_ROUNDS], bare_us[MAX_ROUNDS], ratio[MAX_ROUNDS], diff[MAX_ROUNDS], round_ms, t;
	struct verify_work w = { 0 };
	struct strbuf out = { 0 };
	uint8_t *token, *k, *m, *s, *wasm;
	char *module_path;

	parse_args(argc, argv, specs, &token_hex, &n_positionals);
	if (n_positionals != 1)
		die("bench verify takes one token (hex)");
	if (!now_arg || !primitive)
		die("bench verify needs --now and --primitive");
	rounds = count_option(rounds_arg, "rounds", 15, MAX_ROUNDS);
	round_ms = (double)count_option(round_ms_arg, "round-ms", 50, 60000);
	token = hex_option(token_hex, "token", &w.token_len);
	k = hex_option(key, "key", &w.key_len);
	m = hex_option(message, "message", &w.message_len);
	s = hex_option(signature, "signature", &w.signature_len);
	w.token = token, w.key = k, w.message = m, w.signature = s;
	w.now = number_option(now_arg, "now");
	if (!strcmp(primitive, "hmac"))
		w.primitive = HMAC;
	else if (!strcmp(primitive, "ed25519"))
		w.primitive = ED25519;
	else if (!strcmp(primitive, "p256"))
		w.primitive = P256;
	else
		die("bench: --primitive is hmac, ed25519 or p256");
	w.core = open_core(module, argv0, 0, &wasm, &module_path);
	configure(w.core, config);

	/* Warm-up: wasm3 compiles a function at its first call. */
	verify_core(&w, 10);
	verify_bare(&w, 10);
	if (iterations_arg) {
		n_core = n_bare = count_option(iterations_arg, "iterations", 0, SIZE_MAX);
	} else {
		n_core = calibrate(verify_core, &w, round_ms);
		n_bare = calibrate(verify_bare, &w, round_ms);
	}
	for (size_t r = 0; r < rounds; r++) {
		t = seconds();
		bench_verify_core(&w, n_core);
		core_us[r] = (seconds() - t) * 1e6 / (double)n_core;
		t = seconds();
		bench_verify_bare(&w, n_bare);
		bare_us[r] = (seconds() - t) * 1e6 / (double)n_bare;
		ratio[r] = core_us[r] / bare_us[r];
		diff[r] = core_us[r] - bare_us[r];
	}

	sb_str(&out, "{\"mode\":\"verify\",\"primitive\":");
	sb_json_string(&out, primitive);
	add_number(&out, "token_bytes", (double)w.token_len);
	add_number(&out, "iterations_core", (double)n_core);
	add_number(&out, "iterations_bare", (double)n_bare);
	add_number(&out, "core_us", median(core_us, rounds));
	add_number(&out, "bare_us", median(bare_us, rounds));
	/* Medians of per-round ratios and differences: a noisy stretch hits both sides of a round. */
	add_number(&out, "ratio", median(ratio, rounds));
	add_number(&out, "difference_us", median(diff, rounds));
	add_rounds(&out, "core_rounds_us", core_us, rounds);
	add_rounds(&out, "bare_rounds_us", bare_us, rounds);
	sb_str(&out, "}\n");
	if (out.oom)
		die("out of memory");
	fputs(out.s, stdout);
	free(out.s);
	core_close(w.core);
	free(wasm);
	free(module_path);
	free(token), free(k), free(m), free(s);
	return EXIT_OK;
}

/* ---- flows ------------------------------------------------------------------------ */

static uint32_t u32_of(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/*
 * This process's peak resident set in KiB: VmHWM. Not getrusage's
 * ru_maxrss, which Linux carries across execve: started by node, ntokd
 * would report node's peak.
 */
static long peak_rss_kib(void)
{
	char *status, *at;
	size_t len;
	long kib = -1;

	if (read_file("/proc/self/status", &status, &len))
		return -1;
	if ((at = memmem(status, len, "\nVmHWM:", 7)))
		kib = (long)strtod(at + 7, NULL);
	free(status);
	return kib;
}

static int flows(int argc, char **argv, const char *argv0)
{
	const char *input = NULL, *config = NULL, *module = NULL;
	const struct opt_spec specs[] = {
		{ "config", OPT_STRING, &config, NULL },
		{ "module", OPT_STRING, &module, NULL },
		{ NULL, OPT_FLAG, NULL, NULL },
	};
	/* draft-ietf-opsawg-pcap §4, §5: a 24-byte file header, 16-byte record headers. */
	uint8_t head[24], rec[16], *packet = malloc(CAPTURE_MAX_PACKET_BYTES);
	size_t n_positionals = 0, packets = 0, status_len;
	long rss_before;
	struct ntok_core *core;
	char *module_path, *status;
	uint8_t *wasm;
	uint32_t magic, link;
	int swap, nano;
	FILE *f;

	parse_args(argc, argv, specs, &input, &n_positionals);
	if (n_positionals != 1)
		die("bench flows takes one pcap file");
	if (!packet)
		die("out of memory");
	if (!(f = fopen(input, "rb")) || fread(head, 1, sizeof head, f) != sizeof head)
		die("bench: cannot read %s", input);
	memcpy(&magic, head, 4);
	swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
	nano = magic == 0xa1b23c4d || magic == 0x4d3cb2a1;
	if (!swap && magic != 0xa1b2c3d4 && !nano)
		die("bench flows reads pcap files only");
	link = u32_of(head + 20, swap) & 0xffff;
	core = open_core(module, argv0, 0, &wasm, &module_path);
	configure(core, config);
	rss_before = peak_rss_kib();
	while (fread(rec, 1, sizeof rec, f) == sizeof rec) {
		uint32_t len = u32_of(rec + 8, swap);
		double now = u32_of(rec, swap) + u32_of(rec + 4, swap) / (nano ? 1e9 : 1e6);
		struct ntok_verdict v;
		int32_t arg;

		if (len > CAPTURE_MAX_PACKET_BYTES || fread(packet, 1, len, f) != len)
			die("bench: %s: a record cut short", input);
		if (core_write_input(core, packet, len, &arg) || core_process(core, arg, (int32_t)link, 0, now, &v))
			die("bench: trap in process (packet %zu)", packets);
		packets++;
	}
	fclose(f);
	if (core_status(core, &status, &status_len))
		die("bench: trap in status");
	printf("{\"mode\":\"flows\",\"packets\":%zu,\"memory_bytes\":%u,\"maxrss_kib_configured\":%ld,\"maxrss_kib\":%ld,"
	       "\"status\":%s}\n", packets, core_memory_bytes(core), rss_before, peak_rss_kib(), status);
	free(status);
	free(packet);
	core_close(core);
	free(wasm);
	free(module_path);
	return EXIT_OK;
}

/* ---- rss --------------------------------------------------------------------------- */

static int rss(int argc, char **argv)
{
	struct rusage ru;
	char **args;
	pid_t pid;
	int status, null;

	if (argc < 1)
		die("bench rss takes an ntokd command and its arguments");
	if (!(args = calloc((size_t)argc + 2, sizeof *args)))
		die("out of memory");
	args[0] = "ntokd";
	memcpy(args + 1, argv, (size_t)argc * sizeof *args);
	fflush(stdout);
	null = open("/dev/null", O_WRONLY);
	/* vfork, not fork: the child only execs (and fork's machinery costs a static binary several KB). */
	if ((pid = vfork()) < 0)
		die("bench: vfork: %s", strerror(errno));
	if (pid == 0) {
		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execv("/proc/self/exe", args);
		_exit(127);
	}
	if (null >= 0)
		close(null);
	free(args);
	if (wait4(pid, &status, 0, &ru) < 0)
		die("bench: wait4: %s", strerror(errno));
	printf("{\"mode\":\"rss\",\"maxrss_kib\":%ld,\"exit\":%d}\n", ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return EXIT_OK;
}

int cmd_bench(int argc, char **argv, const char *argv0)
{
	if (argc < 1)
		die("bench: fast-path, verify, flows or rss");
	if (!strcmp(argv[0], "fast-path"))
		return fast_path(argc - 1, argv + 1, argv0);
	if (!strcmp(argv[0], "verify"))
		return verify(argc - 1, argv + 1, argv0);
	if (!strcmp(argv[0], "flows"))
		return flows(argc - 1, argv + 1, argv0);
	if (!strcmp(argv[0], "rss"))
		return rss(argc - 1, argv + 1);
	die("bench: unknown mode %s (fast-path, verify, flows or rss)", argv[0]);
}
