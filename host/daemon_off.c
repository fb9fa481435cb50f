/*
 * `ntokd run`, `status` and `revoke` in a build without NFQUEUE (NFQ=0: the
 * static board builds, which have no libnetfilter_queue). The daemon's code
 * (daemon.c, watchdog.c, nfqueue.c, conntrack.c) is left out of such a build:
 * about 25 KB of a MIPS binary that could never run it. The OpenWrt
 * package builds with NFQ=1 against OpenWrt's libnetfilter-queue.
 */
#include <stdio.h>

#include "daemon.h"

static int unavailable(const char *command)
{
	fprintf(stderr, "ntokd: `%s` is not available: this ntokd was built without NFQUEUE support "
		"(build with NFQ=1 and libnetfilter_queue, libmnl)\n", command);
	return 2;
}

int daemon_run(int argc, char **argv, const char *argv0, core_opener open_core)
{
	(void)argc, (void)argv0, (void)open_core;
	return unavailable(argv[0]);
}

int daemon_status(int argc, char **argv)
{
	(void)argc;
	return unavailable(argv[0]);
}

int daemon_revoke(int argc, char **argv)
{
	(void)argc;
	return unavailable(argv[0]);
}
