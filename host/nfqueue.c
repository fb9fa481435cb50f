/*
 * NFQUEUE over netlink, in the manner of libnetfilter_queue's own example
 * (examples/nf-queue.c): libmnl for the socket, the nfq_nlmsg_* helpers for
 * the messages. Each config message asks for an ACK so that a refusal
 * (EBUSY, EPERM) is reported at start, not discovered later.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqueue.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

/* The kernel copies at most 65,535 bytes of a packet (NFQNL_COPY_PACKET's
 * range is 16 bits); the attributes around it need far less than 8 KiB. */
#define COPY_RANGE 0xffff
#define RECV_BYTES (COPY_RANGE + 8192)
#define SEND_BYTES (COPY_RANGE + 1024)
/* Room in the socket for bursts of new flows: packets wait there rather than
 * overflow (with NFQA_CFG_F_FAIL_OPEN an overflow is accepted unmarked). */
#define SOCKET_BUFFER (4 << 20)

struct nfqueue {
	_Alignas(8) char rbuf[RECV_BYTES];
	_Alignas(8) char sbuf[SEND_BYTES];
	struct mnl_socket *nl;
	uint32_t portid, seq;
	uint16_t queue;
	int conntrack_info;
};

typedef void (*packet_fn)(void *ctx, const struct nfqueue_packet *p);

/* Collects the nested attributes of one level (types up to max) into tb. */
static int nested_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = ((const struct nlattr ***)data)[0];
	int max = (int)(intptr_t)((void **)data)[1];
	int type = mnl_attr_get_type(attr);

	if (type <= max)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int nested(const struct nlattr *nest, const struct nlattr **tb, int max)
{
	void *data[2] = { tb, (void *)(intptr_t)max };

	memset(tb, 0, sizeof *tb * (size_t)(max + 1));
	return mnl_attr_parse_nested(nest, nested_cb, data) < 0 ? -1 : 0;
}

/* CTA_TUPLE_ORIG / CTA_TUPLE_REPLY: its addresses (ctnetlink, linux/netfilter/nfnetlink_conntrack.h). */
static int tuple_addresses(const struct nlattr *tuple, uint8_t *src, uint8_t *dst, uint8_t *addr_len)
{
	const struct nlattr *t[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1];
	int v6;

	if (nested(tuple, t, CTA_TUPLE_MAX) || !t[CTA_TUPLE_IP] || nested(t[CTA_TUPLE_IP], ip, CTA_IP_MAX))
		return -1;
	v6 = ip[CTA_IP_V6_SRC] != NULL;
	if (v6 ? !ip[CTA_IP_V6_DST] || mnl_attr_get_payload_len(ip[CTA_IP_V6_SRC]) != 16 ||
	             mnl_attr_get_payload_len(ip[CTA_IP_V6_DST]) != 16
	       : !ip[CTA_IP_V4_SRC] || !ip[CTA_IP_V4_DST] || mnl_attr_get_payload_len(ip[CTA_IP_V4_SRC]) != 4 ||
	             mnl_attr_get_payload_len(ip[CTA_IP_V4_DST]) != 4)
		return -1;
	*addr_len = v6 ? 16 : 4;
	memcpy(src, mnl_attr_get_payload(ip[v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC]), *addr_len);
	memcpy(dst, mnl_attr_get_payload(ip[v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST]), *addr_len);
	return 0;
}

/* NFQA_CT: the connection's tuples in both directions and its status. */
static void parse_conntrack(const struct nlattr *ct_attr, struct nfqueue_conntrack *ct)
{
	const struct nlattr *a[CTA_MAX + 1];
	uint8_t len_reply;

	if (nested(ct_attr, a, CTA_MAX) || !a[CTA_TUPLE_ORIG] || !a[CTA_TUPLE_REPLY] ||
	    tuple_addresses(a[CTA_TUPLE_ORIG], ct->orig_src, ct->orig_dst, &ct->addr_len) ||
	    tuple_addresses(a[CTA_TUPLE_REPLY], ct->reply_src, ct->reply_dst, &len_reply) || len_reply != ct->addr_len)
		return;
	if (a[CTA_STATUS])
		ct->status = ntohl(mnl_attr_get_u32(a[CTA_STATUS]));
	ct->present = 1;
}

/*
 * The messages of one datagram: packets go to fn (or are accepted unmarked
 * when fn is NULL, while the queue is being set up); errors are counted,
 * except the ACK of `seq`, whose error goes to *ack.
 */
static void walk(struct nfqueue *q, size_t n, packet_fn fn, void *ctx, struct nfqueue_counters *c, uint32_t seq,
                 int *ack)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)q->rbuf;
	int len = (int)n;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		struct nlattr *attr[NFQA_MAX + 1] = { 0 };
		const struct nfqnl_msg_packet_hdr *ph;
		struct nfqueue_packet p = { 0 };

		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof *e))
				c->errors++;
			else if (seq && nlh->nlmsg_seq == seq)
				*ack = -e->error;
			else if (e->error == -ENOENT)
				c->late_verdicts++;
			else if (e->error)
				c->errors++;
			continue;
		}
		if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_QUEUE ||
		    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET)
			continue;
		if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR] ||
		    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof *ph) {
			c->errors++;
			continue;
		}
		ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
		p.id = ntohl(ph->packet_id);
		if (attr[NFQA_PAYLOAD]) {
			p.payload = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
			p.len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
		}
		/* NFQA_CAP_LEN: the packet is longer than what was copied. Only the
		 * whole packet may be handed back, so it is not handed over. */
		if (attr[NFQA_CAP_LEN] && ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) > p.len)
			p.payload = NULL, p.len = 0;
		if (attr[NFQA_MARK])
			p.mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
		if (attr[NFQA_IFINDEX_INDEV])
			p.indev = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV]));
		if (attr[NFQA_IFINDEX_OUTDEV])
			p.outdev = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_OUTDEV]));
		if (attr[NFQA_CT])
			parse_conntrack(attr[NFQA_CT], &p.ct);
		if (fn)
			fn(ctx, &p);
		else if (nfqueue_verdict(q, p.id, 0, 0, NULL, 0))
			c->errors++;
	}
}

/* Sends a config message and waits for its ACK; 0, or -1 with the reason. */
static int configure_queue(struct nfqueue *q, struct nlmsghdr *nlh, const char *what, char *err, size_t err_len)
{
	struct nfqueue_counters ignored = { 0 };
	int ack = -1;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++q->seq;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		snprintf(err, err_len, "queue %u: %s: %s", q->queue, what, strerror(errno));
		return -1;
	}
	while (ack < 0) {
		ssize_t n = mnl_socket_recvfrom(q->nl, q->rbuf, sizeof q->rbuf);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, err_len, "queue %u: %s: %s", q->queue, what, strerror(errno));
			return -1;
		}
		walk(q, (size_t)n, NULL, NULL, &ignored, q->seq, &ack);
	}
	if (ack) {
		/* The kernel answers EPERM when another socket has bound the queue. */
		snprintf(err, err_len, "queue %u: %s: %s%s", q->queue, what, strerror(ack),
		         ack == EPERM ? " (is another ntokd bound to it? ntokd needs CAP_NET_ADMIN)" : "");
		return -1;
	}
	return 0;
}

struct nfqueue *nfqueue_open(uint16_t queue, char *err, size_t err_len)
{
	struct nfqueue *q = calloc(1, sizeof *q);
	struct nlmsghdr *nlh;
	int size = SOCKET_BUFFER, one = 1;

	if (!q) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	q->queue = queue;
	if (!(q->nl = mnl_socket_open(NETLINK_NETFILTER)) || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, err_len, "netlink socket: %s", strerror(errno));
		nfqueue_close(q);
		return NULL;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	if (setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size))
		setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	/* An overflow is the kernel's business (fail-open); no ENOBUFS for us. */
	mnl_socket_setsockopt(q->nl, NETLINK_NO_ENOBUFS, &one, sizeof one);

	/* Since Linux 3.8 a queue serves every family; the pf of BIND is unused. */
	nlh = nfq_nlmsg_put(q->sbuf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (configure_queue(q, nlh, "bind", err, err_len))
		goto fail;
	/* NFQA_CFG_F_CONNTRACK needs the kernel's CONFIG_NETFILTER_NETLINK_GLUE_CT:
	 * without it the kernel answers EOPNOTSUPP, and the queue goes on without. */
	for (int ct = 1; ct >= 0; ct--) {
		uint32_t flags = NFQA_CFG_F_FAIL_OPEN | (ct ? NFQA_CFG_F_CONNTRACK : 0);

		nlh = nfq_nlmsg_put(q->sbuf, NFQNL_MSG_CONFIG, queue);
		nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, COPY_RANGE);
		mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
		mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
		if (!configure_queue(q, nlh, ct ? "copy mode, fail-open and conntrack" : "copy mode and fail-open", err,
		                     err_len)) {
			q->conntrack_info = ct;
			return q;
		}
		if (!ct || !strstr(err, strerror(EOPNOTSUPP)))
			break;
	}
fail:
	nfqueue_close(q);
	return NULL;
}

void nfqueue_close(struct nfqueue *q)
{
	if (!q)
		return;
	/* Closing the socket unbinds the queue: with --queue-bypass the kernel
	 * then accepts what the rules would have queued. */
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q);
}

int nfqueue_fd(const struct nfqueue *q)
{
	return mnl_socket_get_fd(q->nl);
}

int nfqueue_conntrack_info(const struct nfqueue *q)
{
	return q->conntrack_info;
}

int nfqueue_receive(struct nfqueue *q, packet_fn fn, void *ctx, struct nfqueue_counters *c)
{
	ssize_t n = recv(mnl_socket_get_fd(q->nl), q->rbuf, sizeof q->rbuf, MSG_DONTWAIT);
	int unused = 0;

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	walk(q, (size_t)n, fn, ctx, c, 0, &unused);
	return 1;
}

int nfqueue_verdict(struct nfqueue *q, uint32_t id, int drop, uint32_t mark, const uint8_t *payload, uint32_t len)
{
	struct nlmsghdr *nlh;

	if (payload && len > COPY_RANGE) {
		errno = EMSGSIZE;
		return -1;
	}
	nlh = nfq_nlmsg_put(q->sbuf, NFQNL_MSG_VERDICT, q->queue);
	nfq_nlmsg_verdict_put(nlh, (int)id, drop ? NF_DROP : NF_ACCEPT);
	if (mark)
		nfq_nlmsg_verdict_put_mark(nlh, mark);
	if (payload)
		nfq_nlmsg_verdict_put_pkt(nlh, payload, len);
	return mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

int nfqueue_release(int fd, uint16_t queue, uint32_t max_id)
{
	_Alignas(8) char buf[256];
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT_BATCH, queue);

	nfq_nlmsg_verdict_put(nlh, (int)max_id, NF_ACCEPT);
	return sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0 ? -1 : 0;
}
