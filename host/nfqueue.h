/*
 * One netfilter queue (NFQUEUE), through libnetfilter_queue's netlink helpers
 * and libmnl: bind, read queued packets, give verdicts. Nothing here looks
 * inside a packet; daemon.c hands the bytes to the core.
 *
 * Built only with the daemon (host/Makefile: NFQ=1, the default when
 * pkg-config finds libnetfilter_queue and libmnl for a native build); other
 * builds have host/daemon_off.c instead.
 */
#ifndef NTOK_NFQUEUE_H
#define NTOK_NFQUEUE_H

#include <stddef.h>
#include <stdint.h>

struct nfqueue;

/* The packet's connection as conntrack knew it when the packet was queued
 * (NFQA_CT): the original direction's and the reply direction's addresses. */
struct nfqueue_conntrack {
	int present;       /* 0: the kernel sent no conntrack information */
	uint8_t addr_len;  /* 4 or 16 */
	uint32_t status;   /* IPS_* (linux/netfilter/nf_conntrack_common.h); IPS_CONFIRMED unset for a first packet */
	uint8_t orig_src[16], orig_dst[16], reply_src[16], reply_dst[16];
};

/* A queued packet as the kernel hands it over: raw IP (pcap LINKTYPE 101). */
struct nfqueue_packet {
	uint32_t id;
	const uint8_t *payload;
	uint32_t len;
	uint32_t mark;
	uint32_t indev, outdev; /* ifindex, 0 when absent */
	struct nfqueue_conntrack ct;
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
 * NFQA_CFG_F_FAIL_OPEN (when the queue is full the kernel accepts packets
 * instead of dropping them) and NFQA_CFG_F_CONNTRACK when the kernel has it (each
 * packet comes with its conntrack entry's tuples, for NAT-aware binding). NULL with the reason in err (EBUSY: another
 * process has the queue; EPERM: not root).
 */
struct nfqueue *nfqueue_open(uint16_t queue, char *err, size_t err_len);
void nfqueue_close(struct nfqueue *q);
int nfqueue_fd(const struct nfqueue *q);
/* 1 when the kernel sends conntrack information with each packet (NFQA_CT);
 * 0 when it refused NFQA_CFG_F_CONNTRACK (no CONFIG_NETFILTER_NETLINK_GLUE_CT). */
int nfqueue_conntrack_info(const struct nfqueue *q);

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
