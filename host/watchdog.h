/*
 * The per-packet time limit of `ntokd run`.
 *
 * The kernel holds a queued packet until someone gives its verdict; there is
 * no timeout. --queue-bypass helps only while nothing is bound to the queue,
 * NFQA_CFG_F_FAIL_OPEN only when the queue is full. A daemon that is alive
 * but not answering (stopped with SIGSTOP, stuck in a call, starved of CPU)
 * would hold the first packet of every new flow indefinitely.
 *
 * So a second process, forked by the daemon, watches it. It shares the
 * queue's netlink socket (the kernel accepts verdicts from the socket that
 * bound the queue, whichever process sends them) and a page of shared memory
 * where the daemon counts its progress. When packets wait (the socket is
 * readable, or the daemon holds one) and the daemon has made no progress for
 * long enough, the watchdog accepts every waiting packet, unmarked, with one
 * batch verdict; their flows stay undecided (ct mark 0) and are queued again.
 * It looks every limit/8 and releases once nothing has moved for half the
 * limit since the last look at which nothing waited (or the daemon had moved
 * on): a packet waits for a stalled daemon about half the limit, never the
 * whole (the other half is margin for late wake-ups on a busy CPU), and a
 * daemon that answers within 3/8 of the limit is never overtaken.
 *
 * The watchdog dies with the daemon (PR_SET_PDEATHSIG), so a killed daemon
 * still closes the socket and the kernel's --queue-bypass takes over.
 */
#ifndef NTOK_WATCHDOG_H
#define NTOK_WATCHDOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* In a shared anonymous page. 32-bit fields: native atomics on every board
 * (a 64-bit atomic needs libatomic on 32-bit MIPS). */
struct watchdog_shared {
	uint32_t progress; /* daemon: bumped whenever it gets anything done */
	uint32_t busy;     /* daemon: 1 while it holds a packet */
	uint32_t last_id;  /* daemon: the id of the last packet read */
	uint32_t releases; /* watchdog: batch verdicts sent */
};

struct watchdog {
	struct watchdog_shared *shared;
	pid_t pid;
	uint32_t restarts;
};

/*
 * Maps the shared page (first call only) and forks the watchdog for queue
 * `queue` on socket `fd`; `close_fd` (or -1) is closed in the child. 0, or -1
 * with errno.
 */
int watchdog_start(struct watchdog *w, int fd, uint16_t queue, unsigned limit_ms, int close_fd);
/* After SIGCHLD: 1 if the watchdog had exited (it was reaped), else 0. */
int watchdog_exited(struct watchdog *w, int *status);
void watchdog_stop(struct watchdog *w);

static inline void watchdog_progress(struct watchdog_shared *s)
{
	__atomic_add_fetch(&s->progress, 1, __ATOMIC_RELEASE);
}

static inline void watchdog_hold(struct watchdog_shared *s, uint32_t id)
{
	__atomic_store_n(&s->last_id, id, __ATOMIC_RELAXED);
	__atomic_store_n(&s->busy, 1, __ATOMIC_RELEASE);
}

static inline void watchdog_done(struct watchdog_shared *s)
{
	__atomic_store_n(&s->busy, 0, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->progress, 1, __ATOMIC_RELEASE);
}

#endif
