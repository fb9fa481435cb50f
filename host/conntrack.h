/*
 * Conntrack marks from ntokd (ctnetlink over libmnl): once the kernel holds a
 * connection's mark it queues no more of its packets, so a decision the core
 * withdraws (a revocation, a token's exp) reaches the kernel only when ntokd
 * changes that mark itself (docs/router.md, "Withdrawing marks").
 *
 * Built with the daemon only (host/Makefile: NFQ=1), like nfqueue.c.
 */
#ifndef NTOK_CONNTRACK_H
#define NTOK_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

struct conntrack;

/* One connection by its original-direction tuple; ports in host order. */
struct conntrack_tuple {
	uint8_t addr_len; /* 4 or 16 */
	uint8_t proto;
	uint16_t src_port, dst_port;
	uint8_t src[16], dst[16];
};

struct conntrack *conntrack_open(char *err, size_t err_len);
void conntrack_close(struct conntrack *ct);

/*
 * Sets the mark of the connection whose original direction is `t` (an update:
 * a connection that is not there is not created). 0 done, 1 no such
 * connection (it ended), -1 with errno on another failure.
 */
int conntrack_set_mark(struct conntrack *ct, const struct conntrack_tuple *t, uint32_t mark);

#endif
