/*
 * ctnetlink's IPCTNL_MSG_CT_NEW without NLM_F_CREATE changes an existing
 * connection (net/netfilter/nf_conntrack_netlink.c, ctnetlink_new_conntrack
 * -> ctnetlink_change_conntrack): CTA_TUPLE_ORIG finds it, CTA_MARK is its new
 * mark. What `conntrack -U --mark` sends, without libnetfilter_conntrack.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conntrack.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

struct conntrack {
	struct mnl_socket *nl;
	uint32_t portid, seq;
	_Alignas(8) char buf[8192];
};

struct conntrack *conntrack_open(char *err, size_t err_len)
{
	struct conntrack *ct = calloc(1, sizeof *ct);
	/* The kernel answers within sendmsg; the limit only guards against the unexpected. */
	struct timeval timeout = { 1, 0 };

	if (!ct || !(ct->nl = mnl_socket_open(NETLINK_NETFILTER)) || mnl_socket_bind(ct->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, err_len, "conntrack netlink socket: %s", strerror(ct ? errno : ENOMEM));
		conntrack_close(ct);
		return NULL;
	}
	ct->portid = mnl_socket_get_portid(ct->nl);
	setsockopt(mnl_socket_get_fd(ct->nl), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
	return ct;
}

void conntrack_close(struct conntrack *ct)
{
	if (!ct)
		return;
	if (ct->nl)
		mnl_socket_close(ct->nl);
	free(ct);
}

int conntrack_set_mark(struct conntrack *ct, const struct conntrack_tuple *t, uint32_t mark)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(ct->buf);
	struct nfgenmsg *nfg;
	struct nlattr *tuple, *ip, *proto;
	int v6 = t->addr_len == 16;
	uint32_t seq = ++ct->seq;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof *nfg);
	nfg->nfgen_family = v6 ? AF_INET6 : AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, t->addr_len, t->src);
	mnl_attr_put(nlh, v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST, t->addr_len, t->dst);
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	if (t->proto == 6 || t->proto == 17) {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->src_port));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->dst_port));
	}
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(mark));

	if (mnl_socket_sendto(ct->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(ct->nl, ct->buf, sizeof ct->buf);
		int rc;

		if (n < 0)
			return -1;
		rc = mnl_cb_run(ct->buf, (size_t)n, seq, ct->portid, NULL, NULL);
		if (rc == MNL_CB_STOP || rc == MNL_CB_OK)
			return 0;
		if (errno == ENOENT)
			return 1;
		if (errno != ESRCH) /* ESRCH: a stale reply of another sequence number */
			return -1;
	}
}
