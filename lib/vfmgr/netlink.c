/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VF attributes over rtnetlink with libmnl (include/uapi/linux/if_link.h):
 *   RTM_SETLINK on the PF: IFLA_VFINFO_LIST > IFLA_VF_INFO > IFLA_VF_MAC,
 *   IFLA_VF_VLAN_LIST > IFLA_VF_VLAN_INFO, IFLA_VF_SPOOFCHK, IFLA_VF_TRUST,
 *   IFLA_VF_LINK_STATE, IFLA_VF_RATE (net/core/rtnetlink.c do_setvfinfo()).
 *   RTM_GETLINK with IFLA_EXT_MASK = RTEXT_FILTER_VF to read them back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vfmgr_priv.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

static struct nlmsghdr *put_hdr(void *buf, size_t len, uint16_t type, uint16_t flags, uint32_t seq,
				int ifindex)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	if (len < (size_t)MNL_SOCKET_BUFFER_SIZE)
		return NULL;
	memset(buf, 0, MNL_NLMSG_HDRLEN + sizeof(*ifm));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	return nlh;
}

int vfmgr_nl_build_setlink(void *buf, size_t len, int ifindex, unsigned int vf,
			   const struct vfmgr_vf_attrs *a, uint32_t seq)
{
	struct nlmsghdr *nlh =
		put_hdr(buf, len, RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, seq, ifindex);
	struct nlattr *list, *info;

	if (!nlh)
		return -ENOSPC;
	list = mnl_attr_nest_start(nlh, IFLA_VFINFO_LIST);
	info = mnl_attr_nest_start(nlh, IFLA_VF_INFO);
	if (a->set & VFMGR_ATTR_MAC) {
		struct ifla_vf_mac m;
		memset(&m, 0, sizeof(m)); /* no uninitialised padding on the wire */
		m.vf = vf;
		memcpy(m.mac, a->mac, 6);
		mnl_attr_put(nlh, IFLA_VF_MAC, sizeof(m), &m);
	}
	if (a->set & VFMGR_ATTR_VLAN) {
		struct nlattr *vl = mnl_attr_nest_start(nlh, IFLA_VF_VLAN_LIST);
		struct ifla_vf_vlan_info vi;
		memset(&vi, 0, sizeof(vi)); /* no uninitialised padding on the wire */
		vi.vf = vf;
		vi.vlan = a->vlan;
		vi.qos = a->qos;
		vi.vlan_proto = htons(a->vlan_proto ? a->vlan_proto : 0x8100);
		mnl_attr_put(nlh, IFLA_VF_VLAN_INFO, sizeof(vi), &vi);
		mnl_attr_nest_end(nlh, vl);
	}
	if (a->set & VFMGR_ATTR_SPOOFCHK) {
		struct ifla_vf_spoofchk s;
		memset(&s, 0, sizeof(s)); /* no uninitialised padding on the wire */
		s.vf = vf;
		s.setting = a->spoofchk;
		mnl_attr_put(nlh, IFLA_VF_SPOOFCHK, sizeof(s), &s);
	}
	if (a->set & VFMGR_ATTR_TRUST) {
		struct ifla_vf_trust t;
		memset(&t, 0, sizeof(t)); /* no uninitialised padding on the wire */
		t.vf = vf;
		t.setting = a->trust;
		mnl_attr_put(nlh, IFLA_VF_TRUST, sizeof(t), &t);
	}
	if (a->set & VFMGR_ATTR_LINK_STATE) {
		struct ifla_vf_link_state l;
		memset(&l, 0, sizeof(l)); /* no uninitialised padding on the wire */
		l.vf = vf;
		l.link_state = a->link_state;
		mnl_attr_put(nlh, IFLA_VF_LINK_STATE, sizeof(l), &l);
	}
	if (a->set & VFMGR_ATTR_RATE) {
		struct ifla_vf_rate r;
		memset(&r, 0, sizeof(r)); /* no uninitialised padding on the wire */
		r.vf = vf;
		r.min_tx_rate = a->min_rate;
		r.max_tx_rate = a->max_rate;
		mnl_attr_put(nlh, IFLA_VF_RATE, sizeof(r), &r);
	}
	mnl_attr_nest_end(nlh, info);
	mnl_attr_nest_end(nlh, list);
	return (int)nlh->nlmsg_len;
}

int vfmgr_nl_build_getlink(void *buf, size_t len, int ifindex, const char *ifname, uint32_t seq)
{
	struct nlmsghdr *nlh = put_hdr(buf, len, RTM_GETLINK, NLM_F_REQUEST, seq, ifindex);

	if (!nlh)
		return -ENOSPC;
	if (!ifindex && ifname)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_VF);
	return (int)nlh->nlmsg_len;
}

/* Parse one IFLA_VF_INFO nest into attrs[vf]. */
static int parse_vf_info(const struct nlattr *info, struct vfmgr_vf_attrs *attrs, unsigned int max,
			 unsigned int *n_vfs)
{
	const struct nlattr *a;
	struct vfmgr_vf_attrs v = { 0 };
	int vf = -1;

	mnl_attr_for_each_nested(a, info)
	{
		uint16_t t = mnl_attr_get_type(a);
		uint16_t l = mnl_attr_get_payload_len(a);
		const void *p = mnl_attr_get_payload(a);

		switch (t) {
		case IFLA_VF_MAC: {
			const struct ifla_vf_mac *m = p;
			if (l < sizeof(*m))
				return -EINVAL;
			vf = (int)m->vf;
			memcpy(v.mac, m->mac, 6);
			v.set |= VFMGR_ATTR_MAC;
			break;
		}
		case IFLA_VF_VLAN: {
			const struct ifla_vf_vlan *vl = p;
			if (l < sizeof(*vl))
				return -EINVAL;
			vf = (int)vl->vf;
			if (!(v.set & VFMGR_ATTR_VLAN)) {
				v.vlan = (uint16_t)vl->vlan;
				v.qos = (uint8_t)vl->qos;
				v.vlan_proto = 0x8100;
				v.set |= VFMGR_ATTR_VLAN;
			}
			break;
		}
		case IFLA_VF_VLAN_LIST: {
			const struct nlattr *vi;
			mnl_attr_for_each_nested(vi, a)
			{
				const struct ifla_vf_vlan_info *x = mnl_attr_get_payload(vi);
				if (mnl_attr_get_type(vi) != IFLA_VF_VLAN_INFO ||
				    mnl_attr_get_payload_len(vi) < sizeof(*x))
					return -EINVAL;
				vf = (int)x->vf;
				v.vlan = (uint16_t)x->vlan;
				v.qos = (uint8_t)x->qos;
				v.vlan_proto = ntohs(x->vlan_proto);
				v.set |= VFMGR_ATTR_VLAN;
				break; /* first entry: the VF's outer VLAN */
			}
			break;
		}
		case IFLA_VF_SPOOFCHK: {
			const struct ifla_vf_spoofchk *s = p;
			if (l < sizeof(*s))
				return -EINVAL;
			vf = (int)s->vf;
			if (s->setting != (uint32_t)-1) { /* -1: driver does not report it */
				v.spoofchk = s->setting != 0;
				v.set |= VFMGR_ATTR_SPOOFCHK;
			}
			break;
		}
		case IFLA_VF_TRUST: {
			const struct ifla_vf_trust *s = p;
			if (l < sizeof(*s))
				return -EINVAL;
			vf = (int)s->vf;
			if (s->setting != (uint32_t)-1) {
				v.trust = s->setting != 0;
				v.set |= VFMGR_ATTR_TRUST;
			}
			break;
		}
		case IFLA_VF_LINK_STATE: {
			const struct ifla_vf_link_state *s = p;
			if (l < sizeof(*s))
				return -EINVAL;
			vf = (int)s->vf;
			v.link_state = (uint8_t)s->link_state;
			v.set |= VFMGR_ATTR_LINK_STATE;
			break;
		}
		case IFLA_VF_RATE: {
			const struct ifla_vf_rate *s = p;
			if (l < sizeof(*s))
				return -EINVAL;
			vf = (int)s->vf;
			v.min_rate = s->min_tx_rate;
			v.max_rate = s->max_tx_rate;
			v.set |= VFMGR_ATTR_RATE;
			break;
		}
		default:
			break;
		}
	}
	if (vf < 0)
		return 0;
	if ((unsigned int)vf < max)
		attrs[vf] = v;
	if ((unsigned int)vf + 1 > *n_vfs)
		*n_vfs = (unsigned int)vf + 1;
	return 0;
}

int vfmgr_nl_parse_vfinfo(const void *msg, struct vfmgr_vf_attrs *attrs, unsigned int max,
			  unsigned int *n_vfs, char ifname[VFMGR_IFNAME_LEN])
{
	const struct nlmsghdr *nlh = msg;
	const struct nlattr *a, *list = NULL;
	int r;

	*n_vfs = 0;
	if (ifname)
		ifname[0] = '\0';
	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct ifinfomsg))
		return -EINVAL;
	mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg))
	{
		if (!mnl_attr_ok(a, (char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)a))
			return -EINVAL;
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			if (ifname && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				snprintf(ifname, VFMGR_IFNAME_LEN, "%s", mnl_attr_get_str(a));
			break;
		case IFLA_VFINFO_LIST:
			list = a;
			break;
		}
	}
	if (!list)
		return -ENOENT;
	mnl_attr_for_each_nested(a, list)
	{
		if (mnl_attr_get_type(a) != IFLA_VF_INFO)
			return -EINVAL;
		r = parse_vf_info(a, attrs, max, n_vfs);
		if (r < 0)
			return r;
	}
	return 0;
}

bool vfmgr_attrs_differ(const struct vfmgr_vf_attrs *w, const struct vfmgr_vf_attrs *h)
{
	if ((w->set & h->set) != w->set)
		return true;
	if ((w->set & VFMGR_ATTR_MAC) && memcmp(w->mac, h->mac, 6))
		return true;
	if ((w->set & VFMGR_ATTR_VLAN) &&
	    (w->vlan != h->vlan || w->qos != h->qos || (w->vlan && w->vlan_proto != h->vlan_proto)))
		return true;
	if ((w->set & VFMGR_ATTR_SPOOFCHK) && w->spoofchk != h->spoofchk)
		return true;
	if ((w->set & VFMGR_ATTR_TRUST) && w->trust != h->trust)
		return true;
	if ((w->set & VFMGR_ATTR_LINK_STATE) && w->link_state != h->link_state)
		return true;
	if ((w->set & VFMGR_ATTR_RATE) &&
	    (w->min_rate != h->min_rate || w->max_rate != h->max_rate))
		return true;
	return false;
}

unsigned int vfmgr_attrs_drift(const struct vfmgr_pf_conf *pc, const struct vfmgr_vf_attrs *have,
			       unsigned int n_have, unsigned int *idx, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < pc->n_vfs; i++) {
		const struct vfmgr_vf_conf *vc = &pc->vfs[i];
		if (!vc->attrs.set)
			continue;
		if (vc->index < n_have && !vfmgr_attrs_differ(&vc->attrs, &have[vc->index]))
			continue;
		if (idx && n < max)
			idx[n] = vc->index;
		n++;
	}
	return n;
}

/* ---- socket side ---------------------------------------------------------- */

struct ack_ctx {
	char extack[256];
};

static int parse_extack(const struct nlmsghdr *nlh, struct ack_ctx *ac)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	unsigned int off;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (MNL_NLMSG_HDRLEN + off > nlh->nlmsg_len)
		return 0;
	mnl_attr_for_each(a, nlh, off)
	{
		if (!mnl_attr_ok(a, (char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)a))
			break;
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(ac->extack, sizeof(ac->extack), "%s", mnl_attr_get_str(a));
	}
	return 0;
}

static struct mnl_socket *nl_open(void)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	int one = 1;

	if (!nl)
		return NULL;
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

/* Send a request, wait for its ack; returns 0 or -errno with extack copied. */
static int nl_talk(struct mnl_socket *nl, void *buf, size_t len, struct ack_ctx *ac,
		   int (*cb)(const struct nlmsghdr *, void *), void *data)
{
	struct nlmsghdr *req = buf;
	uint32_t seq = req->nlmsg_seq, portid = mnl_socket_get_portid(nl);
	char rbuf[MNL_SOCKET_BUFFER_SIZE * 2];
	ssize_t n;

	ac->extack[0] = '\0';
	if (mnl_socket_sendto(nl, buf, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));
		if (n < 0)
			return -errno;
		int left = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(h, left);
		     h = mnl_nlmsg_next(h, &left)) {
			if (h->nlmsg_seq != seq || h->nlmsg_pid != portid)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
				parse_extack(h, ac);
				return e->error;
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb) {
				int r = cb(h, data);
				if (r < 0)
					return r;
				if (!(h->nlmsg_flags & NLM_F_MULTI))
					return 0;
			}
		}
	}
	(void)len;
}

struct get_ctx {
	struct vfmgr_vf_attrs *attrs;
	unsigned int max, n;
	int r;
};

static int get_cb(const struct nlmsghdr *h, void *data)
{
	struct get_ctx *g = data;

	g->r = vfmgr_nl_parse_vfinfo(h, g->attrs, g->max, &g->n, NULL);
	return 0;
}

int vfmgr_vf_get_attrs(const char *pf_ifname, struct vfmgr_vf_attrs *attrs, unsigned int max,
		       unsigned int *n_vfs)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct ack_ctx ac;
	struct get_ctx g = { attrs, max, 0, -ENOENT };
	struct mnl_socket *nl;
	int idx = (int)if_nametoindex(pf_ifname), r;

	*n_vfs = 0;
	if (!idx)
		return vfmgr_set_error(ENODEV, "PF netdev %s not found in this network namespace",
				       pf_ifname);
	nl = nl_open();
	if (!nl)
		return vfmgr_set_error(errno, "cannot open an rtnetlink socket: %s",
				       strerror(errno));
	vfmgr_nl_build_getlink(buf, sizeof(buf), idx, NULL, (uint32_t)time(NULL));
	r = nl_talk(nl, buf, sizeof(buf), &ac, get_cb, &g);
	mnl_socket_close(nl);
	if (r < 0)
		return vfmgr_set_error(-r, "PF %s: RTM_GETLINK failed: %s%s%s", pf_ifname,
				       strerror(-r), ac.extack[0] ? ": " : "", ac.extack);
	if (g.r < 0)
		return vfmgr_set_error(
			-g.r, "PF %s reports no VF information (not an SR-IOV PF netdev, or 0 VFs)",
			pf_ifname);
	*n_vfs = g.n;
	return 0;
}

int vfmgr_vf_set_attrs(const char *pf_ifname, unsigned int vf, const struct vfmgr_vf_attrs *a)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} fields[] = {
		{ VFMGR_ATTR_MAC, "mac" },
		{ VFMGR_ATTR_VLAN, "vlan" },
		{ VFMGR_ATTR_SPOOFCHK, "spoofchk" },
		{ VFMGR_ATTR_TRUST, "trust" },
		{ VFMGR_ATTR_LINK_STATE, "link-state" },
		{ VFMGR_ATTR_RATE, "rate" },
	};
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct vfmgr_vf_attrs *have;
	struct ack_ctx ac;
	struct mnl_socket *nl;
	int idx = (int)if_nametoindex(pf_ifname), r = 0;
	unsigned int n;
	uint32_t seq = (uint32_t)time(NULL);

	if (!idx)
		return vfmgr_set_error(ENODEV, "PF netdev %s not found in this network namespace",
				       pf_ifname);
	nl = nl_open();
	if (!nl)
		return vfmgr_set_error(errno, "cannot open an rtnetlink socket: %s",
				       strerror(errno));
	for (unsigned int i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		struct vfmgr_vf_attrs one = *a;
		if (!(a->set & fields[i].bit))
			continue;
		one.set = fields[i].bit;
		vfmgr_nl_build_setlink(buf, sizeof(buf), idx, vf, &one, ++seq);
		r = nl_talk(nl, buf, sizeof(buf), &ac, NULL, NULL);
		if (r < 0) {
			mnl_socket_close(nl);
			return vfmgr_set_error(-r, "PF %s: kernel refused VF %u %s: %s%s%s%s",
					       pf_ifname, vf, fields[i].name, strerror(-r),
					       ac.extack[0] ? " (" : "", ac.extack,
					       ac.extack[0] ? ")" : "");
		}
	}
	mnl_socket_close(nl);
	have = calloc(vf + 1, sizeof(*have));
	if (!have)
		return vfmgr_set_error(ENOMEM, "out of memory");
	r = vfmgr_vf_get_attrs(pf_ifname, have, vf + 1, &n);
	if (r == 0 && (n <= vf || vfmgr_attrs_differ(a, &have[vf])))
		r = vfmgr_set_error(
			EIO,
			"PF %s: VF %u attributes read back differ from what was set (driver ignored "
			"a field)",
			pf_ifname, vf);
	free(have);
	return r;
}

/* ---- monitor ---------------------------------------------------------------- */

struct vfmgr_nl_monitor {
	struct mnl_socket *ev;
};

int vfmgr_nl_monitor_open(struct vfmgr_nl_monitor **out)
{
	struct vfmgr_nl_monitor *m = calloc(1, sizeof(*m));

	if (!m)
		return vfmgr_set_error(ENOMEM, "out of memory");
	m->ev = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!m->ev || mnl_socket_bind(m->ev, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		if (m->ev)
			mnl_socket_close(m->ev);
		free(m);
		return vfmgr_set_error(e, "cannot subscribe to rtnetlink link events: %s",
				       strerror(e));
	}
	*out = m;
	return 0;
}

int vfmgr_nl_monitor_fd(const struct vfmgr_nl_monitor *m)
{
	return mnl_socket_get_fd(m->ev);
}

int vfmgr_nl_monitor_dispatch(struct vfmgr_nl_monitor *m, vfmgr_nl_monitor_cb cb, void *user)
{
	char rbuf[MNL_SOCKET_BUFFER_SIZE * 2];
	int calls = 0;
	ssize_t n;

	while ((n = mnl_socket_recvfrom(m->ev, rbuf, sizeof(rbuf))) > 0) {
		int left = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; mnl_nlmsg_ok(h, left);
		     h = mnl_nlmsg_next(h, &left)) {
			struct ifinfomsg *ifm = mnl_nlmsg_get_payload(h);
			struct vfmgr_vf_attrs attrs[256];
			char ifname[IF_NAMESIZE];
			unsigned int nv;

			if (h->nlmsg_type != RTM_NEWLINK)
				continue;
			if (!if_indextoname((unsigned int)ifm->ifi_index, ifname))
				continue;
			/* events carry no VF info: re-read with RTEXT_FILTER_VF */
			memset(attrs, 0, sizeof(attrs));
			if (vfmgr_nl_parse_vfinfo(h, attrs, 256, &nv, NULL) != 0 &&
			    vfmgr_vf_get_attrs(ifname, attrs, 256, &nv) != 0)
				continue;
			if (cb)
				cb(ifname, ifm->ifi_index, attrs, nv, user);
			calls++;
		}
	}
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return vfmgr_set_error(errno, "reading rtnetlink events: %s", strerror(errno));
	return calls;
}

void vfmgr_nl_monitor_close(struct vfmgr_nl_monitor *m)
{
	if (!m)
		return;
	mnl_socket_close(m->ev);
	free(m);
}

/* Permanent MAC of a netdev (IFLA_PERM_ADDRESS, Linux >= 5.6). Internal. */
struct perm_ctx {
	uint8_t mac[6];
	bool ok;
};

static int perm_cb(const struct nlmsghdr *h, void *data)
{
	struct perm_ctx *pc = data;
	const struct nlattr *a;

	mnl_attr_for_each(a, h, sizeof(struct ifinfomsg))
	{
		if (mnl_attr_get_type(a) == IFLA_PERM_ADDRESS && mnl_attr_get_payload_len(a) == 6) {
			memcpy(pc->mac, mnl_attr_get_payload(a), 6);
			pc->ok = true;
		}
	}
	return 0;
}

int vfmgr_nl_perm_addr(const char *ifname, uint8_t mac[6])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct perm_ctx pc = { .ok = false };
	struct ack_ctx ac;
	struct mnl_socket *nl;
	int idx = (int)if_nametoindex(ifname), r;

	if (!idx)
		return -ENODEV;
	nl = nl_open();
	if (!nl)
		return -errno;
	struct nlmsghdr *nlh =
		put_hdr(buf, sizeof(buf), RTM_GETLINK, NLM_F_REQUEST, (uint32_t)time(NULL), idx);
	(void)nlh;
	r = nl_talk(nl, buf, sizeof(buf), &ac, perm_cb, &pc);
	mnl_socket_close(nl);
	if (r < 0)
		return r;
	if (!pc.ok)
		return -ENOENT;
	memcpy(mac, pc.mac, 6);
	return 0;
}
