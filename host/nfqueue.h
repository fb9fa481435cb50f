/*
 * One netfilter queue (NFQUEUE), through libnetfilter_queue's netlink helpers
 * and libmnl: bind, read queued packets, give verdicts. Nothing here looks
 * inside a packet; daemon.c hands the bytes to the core.
 *
 * Built only with -DNTOK_NFQUEUE (host/Makefile: NFQ=1, the default when
 * pkg-config finds libnetfilter_queue and libmnl for a native build); without
 * it nfqueue_open fails with a message that says so.
 */
#ifndef NTOK_NFQUEUE_H
#define NTOK_NFQUEUE_H

#include <stddef.h>
#include <stdint.h>

struct nfqueue;

/* A queued packet as the kernel hands it over: raw IP (pcap LINKTYPE 101). */
struct nfqueue_packet {
	uint32_t id;
	const uint8_t *payload;
	uint32_t len;
	uint32_t mark;
	uint32_t indev, outdev; /* ifindex, 0 when absent */
};

struct nfqueue_counters {
	/* Verdicts the kernel refused with ENOENT: the packet had already been
	 * released (by the watchdog, see watchdog.h). */
	uint64_t late_verdicts;
	/* Other netlink errors and verdicts that could not be sent. */
	uint64_t errors;
};

/*
 * Binds queue `queue` in copy-packet mode (up to 65,535 bytes) with
 * NFQA_CFG_F_FAIL_OPEN: when the queue is full the kernel accepts packets
 * instead of dropping them. NULL with the reason in err (EBUSY: another
 * process has the queue; EPERM: not root).
 */
struct nfqueue *nfqueue_open(uint16_t queue, char *err, size_t err_len);
/* 0, or -1 with the reason in err when this ntokd was built without NFQUEUE. */
int nfqueue_available(char *err, size_t err_len);
void nfqueue_close(struct nfqueue *q);
int nfqueue_fd(const struct nfqueue *q);

/*
 * Reads one netlink datagram without blocking and calls fn for each packet in
 * it. Returns the number of packets, 0 when there was nothing to read, -1 on
 * a socket error (errno).
 */
int nfqueue_receive(struct nfqueue *q, void (*fn)(void *ctx, const struct nfqueue_packet *p), void *ctx,
                    struct nfqueue_counters *c);

/*
 * The verdict for packet `id`: accept (with `mark` as the packet mark unless
 * it is 0) or drop; `payload` (may be NULL) replaces the packet's bytes and
 * may be longer than what was queued. 0, or -1 (errno).
 */
int nfqueue_verdict(struct nfqueue *q, uint32_t id, int drop, uint32_t mark, const uint8_t *payload, uint32_t len);

/*
 * Accepts, unmarked, every packet of queue `queue` still waiting for a
 * verdict whose id is not after `max_id` (ids wrap: "after" as the kernel's
 * nfq_id_after). Sent on `fd`, which may be a copy of the queue's socket held
 * by another process (the kernel checks the socket, not the process). 0, or -1.
 */
int nfqueue_release(int fd, uint16_t queue, uint32_t max_id);

#endif
