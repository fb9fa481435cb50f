/*
 * The watchdog process of `ntokd run` (see watchdog.h for why it exists and
 * what it guarantees).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "nfqueue.h"
#include "watchdog.h"

/* Packet ids are a per-queue sequence: everything queued after the last id
 * the daemon read is within this distance of it, and the kernel compares ids
 * with wrap-around (nfq_id_after), so "last id + 2^30" covers every packet
 * still waiting without reaching back to old ones. */
#define RELEASE_AHEAD 0x40000000u

static double monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

static void sleep_ms(double ms)
{
	struct timespec ts = { (time_t)(ms / 1e3), (long)((ms - (double)(time_t)(ms / 1e3) * 1e3) * 1e6) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void watch(struct watchdog_shared *s, int fd, uint16_t queue, unsigned limit_ms, pid_t parent)
{
	const double limit = limit_ms, tick = limit / 8;
	uint32_t seen = __atomic_load_n(&s->progress, __ATOMIC_ACQUIRE), stall_releases = 0;
	double calm = monotonic_ms(), stall_began = 0;

	for (;;) {
		uint32_t progress;
		int waiting;
		double now;

		sleep_ms(tick);
		if (getppid() != parent)
			_exit(0);
		progress = __atomic_load_n(&s->progress, __ATOMIC_ACQUIRE);
		waiting = __atomic_load_n(&s->busy, __ATOMIC_ACQUIRE) || readable(fd);
		now = monotonic_ms();
		if (progress != seen || !waiting) {
			if (stall_releases)
				syslog(LOG_NOTICE, "watchdog: ntokd answers again after %.0f ms; %u release(s) meanwhile",
				       now - stall_began, stall_releases);
			stall_releases = 0;
			seen = progress;
			calm = now;
			continue;
		}
		/* At `calm` nothing waited or the daemon was moving: what waits now
		 * has waited for a stalled daemon since then at most. Half the limit:
		 * the other half is margin for a late tick on a busy CPU. */
		if (now - calm < limit / 2)
			continue;
		if (nfqueue_release(fd, queue, __atomic_load_n(&s->last_id, __ATOMIC_RELAXED) + RELEASE_AHEAD)) {
			syslog(LOG_ERR, "watchdog: batch verdict on queue %u failed: %m", queue);
		} else {
			__atomic_add_fetch(&s->releases, 1, __ATOMIC_RELAXED);
			if (!stall_releases++) {
				stall_began = calm;
				syslog(LOG_WARNING, "watchdog: ntokd gave no verdict within %u ms: waiting packets accepted unmarked",
				       limit_ms);
			}
		}
		calm = now;
	}
}

int watchdog_start(struct watchdog *w, int fd, uint16_t queue, unsigned limit_ms, int close_fd)
{
	pid_t parent = getpid(), pid;

	if (!w->shared) {
		void *page = mmap(NULL, sizeof *w->shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (page == MAP_FAILED)
			return -1;
		w->shared = page;
	}
	if ((pid = fork()) < 0)
		return -1;
	if (pid > 0) {
		w->pid = pid;
		return 0;
	}
	/* The child: gone as soon as the daemon is, so that the socket closes. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	{
		sigset_t none;

		/* The daemon's signals are not ours: it stops us with SIGKILL. */
		signal(SIGHUP, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		signal(SIGCHLD, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
	}
	if (close_fd >= 0)
		close(close_fd);
	watch(w->shared, fd, queue, limit_ms, parent);
	_exit(0);
}

int watchdog_exited(struct watchdog *w, int *status)
{
	if (w->pid <= 0 || waitpid(w->pid, status, WNOHANG) != w->pid)
		return 0;
	w->pid = 0;
	return 1;
}

void watchdog_stop(struct watchdog *w)
{
	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
			;
		w->pid = 0;
	}
	if (w->shared) {
		munmap(w->shared, sizeof *w->shared);
		w->shared = NULL;
	}
}
