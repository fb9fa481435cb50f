/*
 * `ntokd run`: the router's data path (docs/router.md). Netfilter queues the
 * packets of flows that have no verdict yet (conntrack mark 0); each goes
 * through the core's process() and comes back with the verdict's mark, which
 * nft saves in the conntrack entry and turns into a DSCP for every later
 * packet of the flow, both directions, without leaving the kernel.
 *
 * The daemon is a qosify-style loop: one process, no threads, no fork into
 * the background (procd supervises it), syslog for the log. It waits in
 * ppoll with its signals blocked everywhere else, so a signal is never lost
 * between a check and the wait and never interrupts a call into the core.
 * The watchdog (watchdog.c) bounds how long a packet can wait for it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conntrack.h"
#include "daemon.h"
#include "json_glue.h"
#include "nfqueue.h"
#include "watchdog.h"

/*
 * Conntrack status bits (enum ip_conntrack_status, kernel UAPI
 * linux/netfilter/nf_conntrack_common.h). Spelled out here because board
 * builds (musl, no NFQUEUE) have no kernel headers; nfqueue.c, which fills
 * the status, is built only where they exist.
 */
#define IPS_CONFIRMED (1u << 3)
#define IPS_SRC_NAT_DONE (1u << 7)

#define EXIT_FAILED 1
#define EXIT_USAGE 2

/* NFQUEUE hands over the IP packet: pcap LINKTYPE_RAW (docs/abi.md). */
#define LINKTYPE_RAW 101
/* process(): 0 = the core takes the direction from gateway.lan. */
#define DIRECTION_FROM_CONFIG 0
#define ACTION_DROP 1

#define DEFAULT_CONTROL "/var/run/ntokd.sock"
/* A first packet took 0.2-0.9 ms through the router in test/e2e (x86-64,
 * HMAC tokens); the limit only bites when the daemon stalls. */
#define DEFAULT_TIME_LIMIT_MS 200
#define MIN_TIME_LIMIT_MS 20
#define MAX_TIME_LIMIT_MS 10000
/* Datagrams read per wake-up before signals and the control socket get a turn. */
#define RECEIVE_BUDGET 256
/* How often token-decided flows past their exp lose their conntrack mark. */
#define EXPIRY_SWEEP_S 1.0
/* Control clients served at once; the time one has to send its request. */
#define MAX_CLIENTS 8
#define REQUEST_WAIT_S 1.0
#define MAX_REQUEST 65536
/* --max-pages: wasm32's 4 GiB in 64 KiB pages (as replay's, ntokd.c). */
#define WASM_PAGE_LIMIT 65536

struct counters {
	uint64_t queued, accepted, dropped, marked, undecided, rewritten, tagged, unparsed, traps, verdict_errors;
	uint64_t reloads, reload_failures, status_requests, receive_errors;
	/* NAT-aware binding: packets given their LAN endpoint's NAT address, from conntrack / predicted. */
	uint64_t nat, nat_predicted;
	/* Withdrawn decisions (revocations, expiry) pushed into conntrack: marks changed, connections already
	 * gone, failures; revoke requests; flows the expiry sweep withdrew. */
	uint64_t marks_withdrawn, withdrawn_gone, conntrack_errors, revoke_requests, expired_flows;
};

/* A control connection waiting for its request line. */
struct client {
	int fd;
	double deadline;
	struct strbuf req;
};

struct daemon {
	struct ntok_core *core;
	struct nfqueue *queue;
	struct watchdog watchdog;
	const char *config_path, *control_path;
	uint16_t queue_num;
	unsigned time_limit_ms;
	/* --max-pages: the core's linear memory ceiling (0: the build's, a board's wasm_pages). */
	uint32_t max_pages;
	int verbose, control_fd;
	double started;
	struct counters c;
	struct nfqueue_counters nc;
	char reload_error[512];
	/* The configuration in force, as text: a trap's recreated instance is configured with it again. */
	struct strbuf config_text;
	/* Ids pushed with `ntokd revoke` (JSON array items, comma-separated): applied again after a
	 * reload or a trap, which start from the configuration's own list. */
	struct strbuf pushed_revoked;
	struct conntrack *conntrack;
	/* --masquerade: flows leaving through this interface are translated to its address. */
	const char *masquerade;
	double next_sweep;
	struct client clients[MAX_CLIENTS];
};

static volatile sig_atomic_t got_term, got_hup, got_chld;
/* syslog writes to stderr too (LOG_PERROR): --foreground or -v. */
static int log_to_stderr;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
}

static void logmsg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logmsg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(prio, fmt, ap);
	va_end(ap);
}

static double wall_clock(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------- configuration */

static int read_text(const char *path, struct strbuf *text)
{
	FILE *f = fopen(path, "rb");
	struct strbuf raw = { 0 };
	char chunk[8192];
	size_t n;
	int rc;

	if (!f)
		return -1;
	sb_add(&raw, "", 0);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		sb_add(&raw, chunk, n);
	rc = ferror(f) || raw.oom ? -1 : 0;
	fclose(f);
	/* As every other host reads it (Gateway.open(readText(config))): UTF-8, invalid sequences as U+FFFD. */
	if (rc == 0)
		sb_utf8(text, raw.s, raw.len);
	free(raw.s);
	if (rc == 0 && text->oom)
		rc = -1, errno = ENOMEM;
	return rc;
}

/*
 * The configuration file into the core. A configuration the core refuses
 * leaves the one in force (configure() keeps it); flows survive a reload.
 * 0, or -1 with the reason in why.
 */
static void recover(struct daemon *d);

/* The ids pushed with `ntokd revoke` into a newly configured instance. */
static void reapply_revoked(struct daemon *d)
{
	struct strbuf list = { 0 };
	int32_t len_arg, code = -1;

	if (!d->pushed_revoked.len)
		return;
	sb_str(&list, "[");
	sb_add(&list, d->pushed_revoked.s, d->pushed_revoked.len);
	sb_str(&list, "]");
	if (list.oom || core_write_input(d->core, (const uint8_t *)list.s, list.len, &len_arg) ||
	    core_revoke(d->core, len_arg, &code) || code != 0)
		logmsg(LOG_ERR, "the ids revoked with ntokd revoke could not be applied again");
	free(list.s);
}

static int load_config(struct daemon *d, char *why, size_t why_len)
{
	struct strbuf text = { 0 };
	char *reply = NULL;
	size_t reply_len;
	int32_t len_arg, code;
	const char *trap;

	if (read_text(d->config_path, &text)) {
		snprintf(why, why_len, "cannot read %s: %s", d->config_path, strerror(errno));
		free(text.s);
		return -1;
	}
	if ((trap = core_write_input(d->core, (const uint8_t *)(text.s ? text.s : ""), text.len, &len_arg)) ||
	    (trap = core_configure(d->core, len_arg, &code)) || (trap = core_output(d->core, &reply, &reply_len))) {
		snprintf(why, why_len, "%s: trap in configure: %s", d->config_path, trap);
		d->c.traps++;
		free(text.s);
		if (d->config_text.s)
			recover(d); /* back to the configuration in force */
		return -1;
	}
	if (code != 0) {
		struct jslice message = json_string_member(reply, reply_len, "message");

		snprintf(why, why_len, "%s: %.*s", d->config_path, (int)message.n, message.s);
		free(reply);
		free(text.s);
		return -1;
	}
	free(reply);
	free(d->config_text.s);
	d->config_text = text;
	reapply_revoked(d);
	return 0;
}

/*
 * After a trap the instance's state is whatever the trap left: a new one,
 * configured with the configuration in force (its flows are gone: their
 * connections keep the marks conntrack holds, and new ones are queued).
 */
static void recover(struct daemon *d)
{
	char err[256];
	int32_t len_arg, code;
	const struct strbuf *t = &d->config_text;

	if (core_recreate(d->core, err, sizeof err)) {
		logmsg(LOG_ERR, "cannot recreate the core after a trap: %s", err);
		return;
	}
	if (core_write_input(d->core, (const uint8_t *)(t->s ? t->s : ""), t->len, &len_arg) ||
	    core_configure(d->core, len_arg, &code) || code != 0)
		logmsg(LOG_ERR, "the recreated core refused the configuration in force");
	else {
		reapply_revoked(d);
		logmsg(LOG_NOTICE, "core recreated after a trap");
	}
}

static void withdraw_marks(struct daemon *d);

static void reload(struct daemon *d)
{
	char why[sizeof d->reload_error];

	if (load_config(d, why, sizeof why)) {
		d->c.reload_failures++;
		snprintf(d->reload_error, sizeof d->reload_error, "%s", why);
		logmsg(LOG_ERR, "reload refused, the configuration in force stays: %s", why);
		return;
	}
	d->c.reloads++;
	d->reload_error[0] = '\0';
	logmsg(LOG_NOTICE, "reloaded %s (flows kept)", d->config_path);
	withdraw_marks(d); /* flows whose token the new configuration revokes */
}

/* ------------------------------------------------------------- packets */

static void verdict(struct daemon *d, uint32_t id, int drop, uint32_t mark, const uint8_t *payload, uint32_t len)
{
	if (!nfqueue_verdict(d->queue, id, drop, mark, payload, len))
		return;
	d->c.verdict_errors++;
	logmsg(LOG_WARNING, "verdict for packet %u: %m%s", id, payload ? " (sent again without the rewritten bytes)" : "");
	/* A packet without a verdict would wait for the watchdog: give it one. */
	if (payload)
		nfqueue_verdict(d->queue, id, drop, mark, NULL, 0);
}

static void log_decision(struct daemon *d, const struct ntok_verdict *v)
{
	char *flow = NULL, *code = core_result_name(d->core, v->code);
	size_t len;

	if (v->flow >= 0 && core_flow_name(d->core, v->flow, &flow, &len))
		flow = NULL;
	logmsg(LOG_DEBUG, "%s: %s, mark %u, dscp %d%s%s", flow ? flow : "(no flow)", code ? code : "?", v->mark,
	       (int)v->dscp, v->action == ACTION_DROP ? ", dropped" : "",
	       v->flags & VERDICT_TAGGED ? ", tagged" : "");
	free(flow);
	free(code);
}

/*
 * The NAT address of the packet's LAN endpoint, from conntrack's tuples: a
 * reply tuple whose destination is not the original source is source NAT
 * (the originator, on the LAN, is known outside by that address); a reply
 * tuple whose source is not the original destination is destination NAT
 * (the responder, on the LAN, is reached at the original destination).
 * Returns the address length, 0 for none.
 */
static int conntrack_nat(const struct nfqueue_conntrack *ct, uint8_t *addr)
{
	if (!ct->present)
		return 0;
	if (memcmp(ct->reply_dst, ct->orig_src, ct->addr_len)) {
		memcpy(addr, ct->reply_dst, ct->addr_len);
		return ct->addr_len;
	}
	if (memcmp(ct->reply_src, ct->orig_dst, ct->addr_len)) {
		memcpy(addr, ct->orig_dst, ct->addr_len);
		return ct->addr_len;
	}
	return 0;
}

/*
 * A connection's first packet reaches the FORWARD hook before POSTROUTING
 * decides its source NAT: conntrack's reply tuple is still the plain inverse
 * (docs/router.md, "NAT"). With --masquerade <ifname>, an IPv4 packet leaving
 * through that interface will be translated to the address the kernel picks
 * as source towards its destination, which is what MASQUERADE picks: a
 * connected UDP socket tells it (a route lookup, nothing is sent).
 */
static int predicted_nat(struct daemon *d, const struct nfqueue_packet *p, uint8_t *addr)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) }, from;
	socklen_t len = sizeof from;
	unsigned wan;
	int fd, ok;

	/* Without conntrack information: the packet's destination (IPv4 header bytes 16-19). */
	if (!d->masquerade || (p->ct.present && (p->ct.addr_len != 4 || (p->ct.status & IPS_SRC_NAT_DONE))) ||
	    p->len < 20 || (p->payload[0] >> 4) != 4 || !(wan = if_nametoindex(d->masquerade)) || p->outdev != wan)
		return 0;
	memcpy(&to.sin_addr, p->payload + 16, 4);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	ok = !connect(fd, (struct sockaddr *)&to, sizeof to) && !getsockname(fd, (struct sockaddr *)&from, &len);
	close(fd);
	if (!ok)
		return 0;
	memcpy(addr, &from.sin_addr, 4);
	return 4;
}

/* -vv: what conntrack said about a queued packet's connection (what NAT-aware binding sees). */
static void log_conntrack(const struct nfqueue_packet *p)
{
	char a[4][INET6_ADDRSTRLEN];
	int af = p->ct.addr_len == 16 ? AF_INET6 : AF_INET;

	inet_ntop(af, p->ct.orig_src, a[0], sizeof a[0]);
	inet_ntop(af, p->ct.orig_dst, a[1], sizeof a[1]);
	inet_ntop(af, p->ct.reply_src, a[2], sizeof a[2]);
	inet_ntop(af, p->ct.reply_dst, a[3], sizeof a[3]);
	logmsg(LOG_DEBUG, "conntrack: original %s > %s, reply %s > %s, status 0x%x%s%s", a[0], a[1], a[2], a[3],
	       (unsigned)p->ct.status, p->ct.status & IPS_CONFIRMED ? "" : " (unconfirmed)",
	       p->ct.status & IPS_SRC_NAT_DONE ? " (source NAT done)" : "");
}

static void on_packet(void *ctx, const struct nfqueue_packet *p)
{
	struct daemon *d = ctx;
	struct ntok_verdict v;
	const uint8_t *out = NULL;
	const char *trap;
	int32_t len_arg;
	uint8_t nat[16];
	int nat_len;

	watchdog_hold(d->watchdog.shared, p->id);
	d->c.queued++;
	if (!p->payload || !p->len) {
		/* Nothing to look at (set up before the copy mode, or cut short): pass it. */
		d->c.unparsed++;
		d->c.accepted++;
		verdict(d, p->id, 0, 0, NULL, 0);
		goto done;
	}
	if (d->verbose > 1 && p->ct.present)
		log_conntrack(p);
	if ((nat_len = conntrack_nat(&p->ct, nat)))
		d->c.nat++;
	else if ((nat_len = predicted_nat(d, p, nat)))
		d->c.nat_predicted++;
	if ((trap = core_write_input(d->core, p->payload, p->len, &len_arg)) ||
	    (nat_len && (trap = core_set_nat(d->core, nat, nat_len))) ||
	    (trap = core_process(d->core, len_arg, LINKTYPE_RAW, DIRECTION_FROM_CONFIG, wall_clock(), &v))) {
		/* Fail open: the packet passes unmarked, its flow is queued again. */
		d->c.traps++;
		d->c.accepted++;
		logmsg(LOG_ERR, "trap in process: %s (packet accepted unmarked)", trap);
		verdict(d, p->id, 0, 0, NULL, 0);
		recover(d);
		goto done;
	}
	/* The core rewrote the packet in its input buffer (DSCP, an inserted token). */
	if (v.flags & (VERDICT_REWRITTEN | VERDICT_TAGGED))
		out = core_input(d->core, v.length);
	if (v.action == ACTION_DROP)
		d->c.dropped++;
	else
		d->c.accepted++;
	if (v.mark)
		d->c.marked++;
	else
		d->c.undecided++;
	if (v.flags & VERDICT_REWRITTEN)
		d->c.rewritten++;
	if (v.flags & VERDICT_TAGGED)
		d->c.tagged++;
	if (d->verbose > 1 && (v.flags & VERDICT_DECIDED))
		log_decision(d, &v);
	verdict(d, p->id, v.action == ACTION_DROP, v.mark, out, out ? (uint32_t)v.length : 0);
done:
	watchdog_done(d->watchdog.shared);
}

/* ------------------------------------------------------------- withdrawn decisions */

/*
 * The flows whose decision the core withdrew (revocation, expiry): their
 * conntrack entries get the mark the new decision gives, so that the
 * kernel's rules stop setting the service's DSCP. The core knows a flow by
 * the addresses the router forwarded (before source NAT, after destination
 * NAT): the original tuple of a connection the LAN started, the reply tuple
 * reversed of one a port forward let in; ctnetlink finds it by either.
 */
static void withdraw_marks(struct daemon *d)
{
	struct ntok_flow_tuple f;
	const char *trap;
	int found;

	while (!(trap = core_withdrawn_flow(d->core, &f, &found)) && found) {
		struct conntrack_tuple t = { .addr_len = f.addr_len, .proto = f.proto,
		                             .src_port = f.origin_port, .dst_port = f.peer_port };
		int rc;

		memcpy(t.src, f.origin, f.addr_len);
		memcpy(t.dst, f.peer, f.addr_len);
		if (!d->conntrack) {
			d->c.conntrack_errors++;
			continue;
		}
		if ((rc = conntrack_set_mark(d->conntrack, &t, f.mark)) == 1) {
			memcpy(t.src, f.peer, f.addr_len);
			memcpy(t.dst, f.origin, f.addr_len);
			t.src_port = f.peer_port, t.dst_port = f.origin_port;
			rc = conntrack_set_mark(d->conntrack, &t, f.mark);
		}
		if (rc == 0)
			d->c.marks_withdrawn++;
		else if (rc == 1)
			d->c.withdrawn_gone++;
		else {
			d->c.conntrack_errors++;
			logmsg(LOG_WARNING, "conntrack: cannot change a withdrawn flow's mark: %m");
		}
	}
	if (trap) {
		d->c.traps++;
		logmsg(LOG_ERR, "trap in withdrawn_flow: %s", trap);
		recover(d);
	}
}

/* Once a second: token-decided flows past their exp lose their mark in the kernel too. */
static void sweep_expired(struct daemon *d)
{
	int32_t n = 0;
	const char *trap = core_expire_flows(d->core, wall_clock(), &n);

	if (trap) {
		d->c.traps++;
		logmsg(LOG_ERR, "trap in expire_flows: %s", trap);
		recover(d);
		return;
	}
	if (n > 0) {
		d->c.expired_flows += (uint64_t)n;
		logmsg(LOG_INFO, "%d flow%s past their token's exp: mark withdrawn", (int)n, n == 1 ? "" : "s");
		withdraw_marks(d);
	}
}

/* ------------------------------------------------------------- control socket */

static void add_u64(struct strbuf *b, const char *name, uint64_t value, int first)
{
	char num[32];

	if (!first)
		sb_str(b, ",");
	sb_json_string(b, name);
	snprintf(num, sizeof num, ":%llu", (unsigned long long)value);
	sb_str(b, num);
}

/* {"daemon":{...counters...},"core":<status()>} */
static struct strbuf status_json(struct daemon *d)
{
	struct strbuf b = { 0 };
	char *core = NULL, num[64];
	size_t core_len;
	const char *trap = core_status(d->core, &core, &core_len);
	const struct counters *c = &d->c;

	if (trap) {
		d->c.traps++;
		logmsg(LOG_ERR, "trap in status: %s", trap);
		recover(d);
	}
	sb_str(&b, "{\"daemon\":{");
	add_u64(&b, "pid", (uint64_t)getpid(), 1);
	add_u64(&b, "queue", d->queue_num, 0);
	sb_str(&b, ",\"config\":");
	sb_json_string(&b, d->config_path);
	snprintf(num, sizeof num, ",\"uptime\":%.3f", monotonic() - d->started);
	sb_str(&b, num);
	add_u64(&b, "time_limit_ms", d->time_limit_ms, 0);
	add_u64(&b, "memory_bytes", core_memory_bytes(d->core), 0);
	add_u64(&b, "memory_max_pages", core_memory_max_pages(d->core), 0);
	add_u64(&b, "queued", c->queued, 0);
	sb_str(&b, ",\"verdicts\":{");
	add_u64(&b, "accept", c->accepted, 1);
	add_u64(&b, "drop", c->dropped, 0);
	sb_str(&b, "}");
	add_u64(&b, "marked", c->marked, 0);
	add_u64(&b, "undecided", c->undecided, 0);
	add_u64(&b, "rewritten", c->rewritten, 0);
	add_u64(&b, "tagged", c->tagged, 0);
	add_u64(&b, "unparsed", c->unparsed, 0);
	add_u64(&b, "traps", c->traps, 0);
	add_u64(&b, "late_verdicts", d->nc.late_verdicts, 0);
	add_u64(&b, "verdict_errors", c->verdict_errors, 0);
	add_u64(&b, "netlink_errors", d->nc.errors, 0);
	add_u64(&b, "receive_errors", c->receive_errors, 0);
	add_u64(&b, "watchdog_pid", d->watchdog.pid > 0 ? (uint64_t)d->watchdog.pid : 0, 0);
	add_u64(&b, "watchdog_releases", __atomic_load_n(&d->watchdog.shared->releases, __ATOMIC_RELAXED), 0);
	add_u64(&b, "watchdog_restarts", d->watchdog.restarts, 0);
	add_u64(&b, "reloads", c->reloads, 0);
	add_u64(&b, "reload_failures", c->reload_failures, 0);
	sb_str(&b, ",\"reload_error\":");
	if (d->reload_error[0])
		sb_json_string(&b, d->reload_error);
	else
		sb_str(&b, "null");
	add_u64(&b, "status_requests", c->status_requests, 0);
	add_u64(&b, "nat", c->nat, 0);
	add_u64(&b, "nat_predicted", c->nat_predicted, 0);
	add_u64(&b, "revoke_requests", c->revoke_requests, 0);
	add_u64(&b, "expired_flows", c->expired_flows, 0);
	add_u64(&b, "marks_withdrawn", c->marks_withdrawn, 0);
	add_u64(&b, "withdrawn_gone", c->withdrawn_gone, 0);
	add_u64(&b, "conntrack_errors", c->conntrack_errors, 0);
	sb_str(&b, "},\"core\":");
	if (core)
		sb_add(&b, core, core_len);
	else
		sb_str(&b, "null");
	sb_str(&b, "}\n");
	free(core);
	return b;
}

static int control_listen(const char *path, char *err, size_t err_len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof a.sun_path) {
		snprintf(err, err_len, "control socket path too long: %zu bytes, at most %zu", strlen(path),
		         sizeof a.sun_path - 1);
		return -1;
	}
	strcpy(a.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&a, sizeof a)) {
		/* A running ntokd answers there; a killed one left the file behind. */
		int probe, live;

		if (errno != EADDRINUSE)
			goto fail;
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		live = probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof a) == 0;
		if (probe >= 0)
			close(probe);
		if (live) {
			snprintf(err, err_len, "control socket %s: a running ntokd answers there", path);
			close(fd);
			return -1;
		}
		unlink(path);
		if (bind(fd, (struct sockaddr *)&a, sizeof a))
			goto fail;
	}
	if (chmod(path, 0600) || listen(fd, 8))
		goto fail;
	return fd;
fail:
	snprintf(err, err_len, "control socket %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * `revoke <JSON array>`: the ids join the core's revocation list (and are
 * kept for reloads), and the flows their tokens decided lose their marks in
 * conntrack. The reply is the core's JSON with what conntrack did.
 */
static struct strbuf revoke_request(struct daemon *d, const char *ids, size_t n)
{
	struct strbuf b = { 0 };
	char *reply = NULL, num[160];
	size_t reply_len;
	int32_t len_arg, code = -1;
	uint64_t before_marks = d->c.marks_withdrawn, before_gone = d->c.withdrawn_gone;
	uint64_t before_errors = d->c.conntrack_errors;
	const char *trap;

	d->c.revoke_requests++;
	if ((trap = core_write_input(d->core, (const uint8_t *)ids, n, &len_arg)) ||
	    (trap = core_revoke(d->core, len_arg, &code)) || (trap = core_output(d->core, &reply, &reply_len))) {
		d->c.traps++;
		logmsg(LOG_ERR, "trap in revoke: %s", trap);
		recover(d);
		sb_str(&b, "{\"ok\":false,\"code\":\"host-error\",\"message\":\"trap in revoke\"}\n");
		return b;
	}
	if (code == 0 && n > 2) {
		/* Kept as items, without the brackets, for reapply_revoked. */
		const char *open = memchr(ids, '[', n), *close = ids + n;

		while (close > ids && close[-1] != ']')
			close--;
		if (open && close > open + 1) {
			if (d->pushed_revoked.len)
				sb_str(&d->pushed_revoked, ",");
			sb_add(&d->pushed_revoked, open + 1, (size_t)(close - 1 - open - 1));
		}
		withdraw_marks(d);
		logmsg(LOG_NOTICE, "revoked %.*s: %llu conntrack marks withdrawn", (int)n, ids,
		       (unsigned long long)(d->c.marks_withdrawn - before_marks));
	}
	/* The core's object, with the conntrack figures added before its closing brace. */
	if (reply_len > 0 && reply[reply_len - 1] == '}')
		sb_add(&b, reply, reply_len - 1);
	else
		sb_str(&b, "{");
	snprintf(num, sizeof num, ",\"conntrack\":{\"updated\":%llu,\"gone\":%llu,\"errors\":%llu}}\n",
	         (unsigned long long)(d->c.marks_withdrawn - before_marks),
	         (unsigned long long)(d->c.withdrawn_gone - before_gone),
	         (unsigned long long)(d->c.conntrack_errors - before_errors));
	sb_str(&b, num);
	free(reply);
	return b;
}

/* A complete request (its line, or EOF): answered and closed. */
static void answer(struct daemon *d, struct client *cl)
{
	struct strbuf b;
	const char *r = cl->req.s ? cl->req.s : "";
	size_t n = cl->req.len;

	while (n && (r[n - 1] == '\n' || r[n - 1] == '\r'))
		n--;
	if (n >= 7 && !memcmp(r, "revoke ", 7)) {
		b = revoke_request(d, r + 7, n - 7);
	} else {
		/* "status", or nothing at all (a client that only reads). */
		d->c.status_requests++;
		b = status_json(d);
	}
	/* A client gone already (the probe of a second ntokd) is no news. */
	if (b.oom || send(cl->fd, b.s, b.len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)b.len)
		logmsg(LOG_DEBUG, "control request: reply not sent: %s", b.oom ? "out of memory" : strerror(errno));
	free(b.s);
	close(cl->fd);
	free(cl->req.s);
	memset(cl, 0, sizeof *cl);
	cl->fd = -1;
}

/* Reads what a client sent; answers once its line is complete, at EOF, or at its deadline. */
static void read_client(struct daemon *d, struct client *cl, double now)
{
	char chunk[4096];
	ssize_t n;

	while ((n = recv(cl->fd, chunk, sizeof chunk, MSG_DONTWAIT)) > 0) {
		sb_add(&cl->req, chunk, (size_t)n);
		if (memchr(chunk, '\n', (size_t)n) || cl->req.len > MAX_REQUEST)
			break;
	}
	if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK) || now >= cl->deadline ||
	    (cl->req.len && memchr(cl->req.s, '\n', cl->req.len)) || cl->req.len > MAX_REQUEST)
		answer(d, cl);
}

/*
 * Up to MAX_CLIENTS connections wait for their request line (REQUEST_WAIT_S
 * at most) without holding the daemon up: each is read when poll says so.
 * One request per connection.
 */
static void serve_control(struct daemon *d)
{
	int c;

	while ((c = accept4(d->control_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct client *cl = NULL;

		for (int k = 0; k < MAX_CLIENTS && !cl; k++)
			if (d->clients[k].fd < 0)
				cl = &d->clients[k];
		if (!cl) {
			close(c);
			continue;
		}
		cl->fd = c;
		cl->deadline = monotonic() + REQUEST_WAIT_S;
		read_client(d, cl, monotonic());
	}
}

/* ------------------------------------------------------------- ntokd run */

static void run_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("ntokd run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage:\n%s", DAEMON_USAGE);
	exit(EXIT_USAGE);
}

static unsigned long number_arg(const char *name, const char *s, unsigned long lo, unsigned long hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi)
		run_usage("--%s must be an integer in [%lu, %lu], got '%s'", name, lo, hi, s);
	return v;
}

/* Logged, and on stderr even without --foreground: the daemon did not start. */
static int fatal(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fatal(int rc, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	syslog(LOG_ERR, "%s", msg);
	if (!log_to_stderr)
		fprintf(stderr, "ntokd: %s\n", msg);
	return rc;
}

static int start_watchdog(struct daemon *d)
{
	if (watchdog_start(&d->watchdog, nfqueue_fd(d->queue), d->queue_num, d->time_limit_ms, d->control_fd)) {
		logmsg(LOG_ERR, "watchdog: %m");
		return -1;
	}
	return 0;
}

static void check_watchdog(struct daemon *d)
{
	int status;

	if (!watchdog_exited(&d->watchdog, &status))
		return;
	logmsg(LOG_ERR, "watchdog exited (%s %d): starting it again",
	       WIFSIGNALED(status) ? "signal" : "status", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	d->watchdog.restarts++;
	start_watchdog(d);
}

static void drain_queue(struct daemon *d)
{
	for (int k = 0; k < RECEIVE_BUDGET; k++) {
		int n = nfqueue_receive(d->queue, on_packet, d, &d->nc);

		if (n == 0)
			return;
		if (n < 0) {
			d->c.receive_errors++;
			/* ENOBUFS: packets were lost to an overflow (the kernel accepted them, fail-open). */
			logmsg(errno == ENOBUFS ? LOG_WARNING : LOG_ERR, "queue %u: receive: %m", d->queue_num);
			return;
		}
		watchdog_progress(d->watchdog.shared);
	}
}

static void loop(struct daemon *d, const sigset_t *waitmask)
{
	d->next_sweep = monotonic() + EXPIRY_SWEEP_S;
	while (!got_term) {
		struct pollfd fds[2 + MAX_CLIENTS] = { { nfqueue_fd(d->queue), POLLIN, 0 }, { d->control_fd, POLLIN, 0 } };
		double now = monotonic(), wake = d->next_sweep;
		struct timespec timeout;
		int n;

		for (int k = 0; k < MAX_CLIENTS; k++) {
			fds[2 + k] = (struct pollfd){ d->clients[k].fd, POLLIN, 0 };
			if (d->clients[k].fd >= 0 && d->clients[k].deadline < wake)
				wake = d->clients[k].deadline;
		}
		wake = wake > now ? wake - now : 0;
		timeout.tv_sec = (time_t)wake;
		timeout.tv_nsec = (long)((wake - (double)timeout.tv_sec) * 1e9);
		n = ppoll(fds, 2 + MAX_CLIENTS, &timeout, waitmask);
		watchdog_progress(d->watchdog.shared);
		if (n < 0 && errno != EINTR) {
			logmsg(LOG_ERR, "poll: %m");
			return;
		}
		if (got_hup) {
			got_hup = 0;
			reload(d);
		}
		if (got_chld) {
			got_chld = 0;
			check_watchdog(d);
		}
		if (n > 0 && fds[0].revents)
			drain_queue(d);
		if (n > 0 && fds[1].revents)
			serve_control(d);
		now = monotonic();
		for (int k = 0; k < MAX_CLIENTS; k++)
			if (d->clients[k].fd >= 0 && (fds[2 + k].revents || now >= d->clients[k].deadline))
				read_client(d, &d->clients[k], now);
		if (now >= d->next_sweep) {
			d->next_sweep = now + EXPIRY_SWEEP_S;
			sweep_expired(d);
		}
	}
}

int daemon_run(int argc, char **argv, const char *argv0, core_opener open_core)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "queue", required_argument, NULL, 'q' },
		{ "control", required_argument, NULL, 's' },
		{ "time-limit", required_argument, NULL, 't' },
		{ "module", required_argument, NULL, 'm' },
		{ "masquerade", required_argument, NULL, 'M' },
		{ "max-pages", required_argument, NULL, 'P' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d = { .control_path = DEFAULT_CONTROL, .time_limit_ms = DEFAULT_TIME_LIMIT_MS, .control_fd = -1 };
	const char *module = NULL;
	char err[512], *module_path = NULL;
	uint8_t *wasm = NULL;
	sigset_t ours, waitmask;
	struct sigaction sa;
	int opt, foreground = 0, rc = 0;

	opterr = 0;
	optind = 1;
	for (int k = 0; k < MAX_CLIENTS; k++)
		d.clients[k].fd = -1;
	while ((opt = getopt_long(argc, argv, "+c:q:s:t:m:M:P:fvh", options, NULL)) != -1) {
		switch (opt) {
		case 'c': d.config_path = optarg; break;
		case 'q': d.queue_num = (uint16_t)number_arg("queue", optarg, 0, 65535); break;
		case 's': d.control_path = optarg; break;
		case 't': d.time_limit_ms = (unsigned)number_arg("time-limit", optarg, MIN_TIME_LIMIT_MS, MAX_TIME_LIMIT_MS); break;
		case 'm': module = optarg; break;
		case 'M': d.masquerade = optarg; break;
		case 'P': d.max_pages = (uint32_t)number_arg("max-pages", optarg, 1, WASM_PAGE_LIMIT); break;
		case 'f': foreground = 1; break;
		case 'v': foreground = 1, d.verbose++; break;
		case 'h': fputs(DAEMON_USAGE, stdout); return 0;
		default: run_usage("unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		run_usage("unexpected argument %s", argv[optind]);
	if (!d.config_path || !*d.config_path)
		run_usage("needs --config");
	/* OpenWrt style: syslog (logd), and stderr too when asked (procd captures it). */
	log_to_stderr = foreground;
	openlog("ntokd", LOG_PID | (foreground ? LOG_PERROR : 0), LOG_DAEMON);
	setlogmask(LOG_UPTO(d.verbose > 1 ? LOG_DEBUG : LOG_INFO));
	d.started = monotonic();

	d.core = open_core(module, argv0, d.max_pages, &wasm, &module_path); /* 0: the build's ceiling (a board's wasm_pages) */
	if (load_config(&d, err, sizeof err)) {
		rc = fatal(EXIT_USAGE, "configuration refused: %s", err);
		goto out;
	}

	/* Our signals are delivered only inside ppoll (loop), never in the middle
	 * of a packet; without SA_RESTART, so that they end the wait. */
	sigemptyset(&ours);
	sigaddset(&ours, SIGTERM);
	sigaddset(&ours, SIGINT);
	sigaddset(&ours, SIGHUP);
	sigaddset(&ours, SIGCHLD);
	sigprocmask(SIG_BLOCK, &ours, &waitmask);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGHUP);
	sigdelset(&waitmask, SIGCHLD);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((d.control_fd = control_listen(d.control_path, err, sizeof err)) < 0) {
		rc = fatal(EXIT_FAILED, "%s", err);
		goto out;
	}
	if (!(d.queue = nfqueue_open(d.queue_num, err, sizeof err))) {
		rc = fatal(EXIT_FAILED, "%s", err);
		goto out;
	}
	if (!(d.conntrack = conntrack_open(err, sizeof err))) {
		rc = fatal(EXIT_FAILED, "%s", err);
		goto out;
	}
	if (start_watchdog(&d)) {
		rc = fatal(EXIT_FAILED, "cannot start the watchdog");
		goto out;
	}
	logmsg(LOG_NOTICE, "queue %u, configuration %s, control %s, time limit %u ms (watchdog %d)", d.queue_num,
	       d.config_path, d.control_path, d.time_limit_ms, (int)d.watchdog.pid);
	if (!nfqueue_conntrack_info(d.queue))
		logmsg(LOG_INFO, "the kernel sends no conntrack information with queued packets (EOPNOTSUPP: "
		                 "no CONFIG_NETFILTER_NETLINK_GLUE_CT)%s", d.masquerade ? ": NAT addresses are predicted (--masquerade)" : "");

	loop(&d, &waitmask);
	rc = got_term ? 0 : EXIT_FAILED;
	logmsg(LOG_NOTICE, "stopping: %llu packets queued, %llu marked, %llu dropped, %llu traps, %llu watchdog releases",
	       (unsigned long long)d.c.queued, (unsigned long long)d.c.marked, (unsigned long long)d.c.dropped,
	       (unsigned long long)d.c.traps,
	       (unsigned long long)__atomic_load_n(&d.watchdog.shared->releases, __ATOMIC_RELAXED));
out:
	watchdog_stop(&d.watchdog);
	/* The queue goes before the core: once the socket is closed, --queue-bypass takes over. */
	nfqueue_close(d.queue);
	conntrack_close(d.conntrack);
	for (int k = 0; k < MAX_CLIENTS; k++)
		if (d.clients[k].fd >= 0) {
			close(d.clients[k].fd);
			free(d.clients[k].req.s);
		}
	free(d.pushed_revoked.s);
	free(d.config_text.s);
	if (d.control_fd >= 0) {
		close(d.control_fd);
		unlink(d.control_path);
	}
	core_close(d.core);
	free(wasm);
	free(module_path);
	closelog();
	return rc;
}

/* ------------------------------------------------------------- ntokd status, ntokd revoke */

/* Sends one request line to the control socket and prints the reply; 0, or 1 when ntokd cannot be reached. */
static int control_request(const char *cmd, const char *path, const char *request, struct strbuf *reply)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval timeout = { 5, 0 };
	char chunk[4096];
	ssize_t n;
	int fd;

	strcpy(a.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&a, sizeof a)) {
		fprintf(stderr, "ntokd %s: cannot reach ntokd at %s: %s\n", cmd, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_FAILED;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
	if (send(fd, request, strlen(request), MSG_NOSIGNAL) != (ssize_t)strlen(request)) {
		fprintf(stderr, "ntokd %s: cannot send to %s: %s\n", cmd, path, strerror(errno));
		close(fd);
		return EXIT_FAILED;
	}
	while ((n = read(fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			sb_add(reply, chunk, (size_t)n);
	close(fd);
	if (n < 0 || !reply->len || reply->oom) {
		fprintf(stderr, "ntokd %s: no reply from %s%s%s\n", cmd, path, n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
		return EXIT_FAILED;
	}
	fwrite(reply->s, 1, reply->len, stdout);
	return 0;
}

/* --control <path> and the arguments after it; exits 2 on bad usage. */
static const char *control_args(const char *cmd, int argc, char **argv, int *rest)
{
	static const struct option options[] = {
		{ "control", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_CONTROL;
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+s:h", options, NULL)) != -1) {
		if (opt == 's') {
			path = optarg;
		} else if (opt == 'h') {
			fputs(DAEMON_USAGE, stdout);
			exit(0);
		} else {
			fprintf(stderr, "ntokd %s: unknown option or missing value: %s\nusage:\n%s", cmd, argv[optind - 1],
			        DAEMON_USAGE);
			exit(EXIT_USAGE);
		}
	}
	if (strlen(path) >= sizeof ((struct sockaddr_un *)0)->sun_path) {
		fprintf(stderr, "ntokd %s: path too long\nusage:\n%s", cmd, DAEMON_USAGE);
		exit(EXIT_USAGE);
	}
	*rest = optind;
	return path;
}

int daemon_status(int argc, char **argv)
{
	struct strbuf reply = { 0 };
	int rest, rc;
	const char *path = control_args("status", argc, argv, &rest);

	if (rest < argc) {
		fprintf(stderr, "ntokd status: unexpected argument\nusage:\n%s", DAEMON_USAGE);
		return EXIT_USAGE;
	}
	rc = control_request("status", path, "status\n", &reply);
	free(reply.s);
	return rc;
}

/*
 * ntokd revoke [--control <socket>] <id>...: ids as the configuration's
 * "revoked" (docs/config.md): an unsigned integer, or lowercase hex (a bstr
 * nti/cti). Exit 0 when ntokd took them, 1 when it refused or cannot be
 * reached, 2 for bad usage.
 */
int daemon_revoke(int argc, char **argv)
{
	struct strbuf req = { 0 }, reply = { 0 };
	int rest, rc;
	const char *path = control_args("revoke", argc, argv, &rest);

	if (rest >= argc) {
		fprintf(stderr, "ntokd revoke: needs at least one token id\nusage:\n%s", DAEMON_USAGE);
		return EXIT_USAGE;
	}
	sb_str(&req, "revoke [");
	for (int k = rest; k < argc; k++) {
		const char *id = argv[k];
		int digits = 1, hex = 1;

		for (const char *c = id; *c; c++) {
			digits &= isdigit((unsigned char)*c) != 0;
			hex &= isdigit((unsigned char)*c) || (*c >= 'a' && *c <= 'f');
		}
		if (!*id || !hex || (!digits && strlen(id) % 2)) {
			fprintf(stderr, "ntokd revoke: '%s' is not a token id (an integer, or lowercase hex of whole bytes)\n", id);
			free(req.s);
			return EXIT_USAGE;
		}
		if (k > rest)
			sb_str(&req, ",");
		/* Digits alone are an integer id; "0x"-less hex with a letter is a byte string. */
		if (digits) {
			sb_str(&req, id);
		} else {
			sb_str(&req, "\"");
			sb_str(&req, id);
			sb_str(&req, "\"");
		}
	}
	sb_str(&req, "]\n");
	rc = req.oom ? EXIT_FAILED : control_request("revoke", path, req.s, &reply);
	if (rc == 0 && !strstr(reply.s, "\"ok\":true"))
		rc = EXIT_FAILED;
	free(req.s);
	free(reply.s);
	return rc;
}
