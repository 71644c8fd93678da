/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rtnetlink VF attribute encoding/decoding, checked against the attribute
 * layout of include/uapi/linux/if_link.h written out by hand (type numbers and
 * struct sizes as literals), and against a real kernel in a private network
 * namespace: a netdev without SR-IOV refuses VF attributes with EOPNOTSUPP and
 * the message names the PF.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "vfmgr_priv.h"

static uint16_t u16at(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}
static uint32_t u32at(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Message layout: nlmsghdr 16 | ifinfomsg 16 | IFLA_VFINFO_LIST(22) hdr 4 | IFLA_VF_INFO(1) hdr 4 | attrs */
static void test_encode_mac(void **state)
{
	static uint8_t buf[8192];
	memset(buf, 0, sizeof(buf));
	struct vfmgr_vf_attrs a = { .set = VFMGR_ATTR_MAC,
				    .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 } };
	int len;

	(void)state;
	len = vfmgr_nl_build_setlink(buf, sizeof(buf), 7, 3, &a, 42);
	assert_int_equal(len,
			 16 + 16 + 4 + 4 + 4 + 36); /* struct ifla_vf_mac = u32 vf + u8 mac[32] */
	assert_int_equal(u32at(buf), (uint32_t)len); /* nlmsg_len */
	assert_int_equal(u16at(buf + 4), 19); /* RTM_SETLINK */
	assert_int_equal(u16at(buf + 6), 0x1 | 0x4); /* NLM_F_REQUEST | NLM_F_ACK */
	assert_int_equal(u32at(buf + 8), 42); /* seq */
	assert_int_equal((int32_t)u32at(buf + 16 + 4), 7); /* ifi_index */
	assert_int_equal(u16at(buf + 32), 4 + 4 + 4 + 36); /* IFLA_VFINFO_LIST len */
	assert_int_equal(u16at(buf + 34) & 0x3fff, 22); /* IFLA_VFINFO_LIST */
	assert_int_equal(u16at(buf + 36), 4 + 4 + 36);
	assert_int_equal(u16at(buf + 38) & 0x3fff, 1); /* IFLA_VF_INFO */
	assert_int_equal(u16at(buf + 40), 4 + 36);
	assert_int_equal(u16at(buf + 42), 1); /* IFLA_VF_MAC */
	assert_int_equal(u32at(buf + 44), 3); /* vf */
	assert_memory_equal(buf + 48, a.mac, 6);
	for (int i = 6; i < 32; i++)
		assert_int_equal(buf[48 + i], 0);
}

static void test_encode_all(void **state)
{
	static uint8_t buf[8192];
	memset(buf, 0, sizeof(buf));
	struct vfmgr_vf_attrs a = {
		.set = VFMGR_ATTR_VLAN | VFMGR_ATTR_SPOOFCHK | VFMGR_ATTR_TRUST |
		       VFMGR_ATTR_LINK_STATE | VFMGR_ATTR_RATE,
		.vlan = 100,
		.qos = 5,
		.vlan_proto = 0x88a8,
		.spoofchk = true,
		.trust = false,
		.link_state = VFMGR_LINK_DISABLE,
		.min_rate = 10,
		.max_rate = 2500,
	};
	int len;
	const uint8_t *p;

	(void)state;
	len = vfmgr_nl_build_setlink(buf, sizeof(buf), 2, 1, &a, 1);
	/* VLAN_LIST hdr 4 + VLAN_INFO hdr 4 + 16 | SPOOFCHK 4+8 | TRUST 4+8 | LINK_STATE 4+8 | RATE 4+12 */
	assert_int_equal(len, 16 + 16 + 4 + 4 + (4 + 4 + 16) + 12 + 12 + 12 + 16);
	p = buf + 40;
	assert_int_equal(u16at(p), 24);
	assert_int_equal(u16at(p + 2) & 0x3fff, 12); /* IFLA_VF_VLAN_LIST */
	assert_int_equal(u16at(p + 4), 20);
	assert_int_equal(u16at(p + 6), 1); /* IFLA_VF_VLAN_INFO */
	assert_int_equal(u32at(p + 8), 1); /* vf */
	assert_int_equal(u32at(p + 12), 100); /* vlan */
	assert_int_equal(u32at(p + 16), 5); /* qos */
	assert_int_equal(p[20], 0x88); /* vlan_proto, big endian */
	assert_int_equal(p[21], 0xa8);
	p += 24;
	assert_int_equal(u16at(p), 12);
	assert_int_equal(u16at(p + 2), 4); /* IFLA_VF_SPOOFCHK */
	assert_int_equal(u32at(p + 4), 1);
	assert_int_equal(u32at(p + 8), 1);
	p += 12;
	assert_int_equal(u16at(p + 2), 9); /* IFLA_VF_TRUST */
	assert_int_equal(u32at(p + 8), 0);
	p += 12;
	assert_int_equal(u16at(p + 2), 5); /* IFLA_VF_LINK_STATE */
	assert_int_equal(u32at(p + 8), 2); /* IFLA_VF_LINK_STATE_DISABLE */
	p += 12;
	assert_int_equal(u16at(p), 16);
	assert_int_equal(u16at(p + 2), 6); /* IFLA_VF_RATE */
	assert_int_equal(u32at(p + 4), 1);
	assert_int_equal(u32at(p + 8), 10); /* min_tx_rate */
	assert_int_equal(u32at(p + 12), 2500); /* max_tx_rate */
	assert_int_equal(vfmgr_nl_build_setlink(buf, 100, 2, 1, &a, 1), -ENOSPC);
}

static void test_encode_getlink(void **state)
{
	static uint8_t buf[8192];
	memset(buf, 0, sizeof(buf));
	int len = vfmgr_nl_build_getlink(buf, sizeof(buf), 0, "ens1f0", 9);

	(void)state;
	/* IFLA_IFNAME(3) "ens1f0\0" -> 4+7 padded to 12; IFLA_EXT_MASK(29) u32 -> 8 */
	assert_int_equal(len, 32 + 12 + 8);
	assert_int_equal(u16at(buf + 4), 18); /* RTM_GETLINK */
	assert_int_equal(u16at(buf + 32 + 2), 3);
	assert_string_equal((const char *)buf + 36, "ens1f0");
	assert_int_equal(u16at(buf + 44 + 2), 29);
	assert_int_equal(u32at(buf + 48), 1); /* RTEXT_FILTER_VF */
}

/* Build an RTM_NEWLINK as net/core/rtnetlink.c rtnl_fill_vfinfo() does. */
static int build_newlink(uint8_t *buf, bool truncate)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	struct nlattr *list, *info, *vl;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_index = 4;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "ens1f0");
	mnl_attr_put_u32(nlh, IFLA_NUM_VF, 2);
	list = mnl_attr_nest_start(nlh, IFLA_VFINFO_LIST);
	for (uint32_t vf = 0; vf < 2; vf++) {
		struct ifla_vf_mac m = { .vf = vf,
					 .mac = { 0x52, 0x54, 0, 0, 0, (uint8_t)(0x10 + vf) } };
		struct ifla_vf_vlan v = { .vf = vf, .vlan = 10 + vf, .qos = vf };
		struct ifla_vf_vlan_info vi = { .vf = vf,
						.vlan = 10 + vf,
						.qos = vf,
						.vlan_proto = htons(vf ? 0x88a8 : 0x8100) };
		struct ifla_vf_tx_rate tx = { .vf = vf, .rate = 1000 };
		struct ifla_vf_rate r = { .vf = vf, .min_tx_rate = 0, .max_tx_rate = 1000 };
		struct ifla_vf_spoofchk s = { .vf = vf, .setting = vf ? (uint32_t)-1 : 1 };
		struct ifla_vf_link_state l = { .vf = vf, .link_state = vf };
		struct ifla_vf_trust t = { .vf = vf, .setting = vf };
		info = mnl_attr_nest_start(nlh, IFLA_VF_INFO);
		mnl_attr_put(nlh, IFLA_VF_MAC, sizeof(m), &m);
		mnl_attr_put(nlh, IFLA_VF_VLAN, sizeof(v), &v);
		vl = mnl_attr_nest_start(nlh, IFLA_VF_VLAN_LIST);
		mnl_attr_put(nlh, IFLA_VF_VLAN_INFO, sizeof(vi), &vi);
		mnl_attr_nest_end(nlh, vl);
		mnl_attr_put(nlh, IFLA_VF_TX_RATE, sizeof(tx), &tx);
		mnl_attr_put(nlh, IFLA_VF_RATE, sizeof(r), &r);
		mnl_attr_put(nlh, IFLA_VF_SPOOFCHK, sizeof(s), &s);
		mnl_attr_put(nlh, IFLA_VF_LINK_STATE, sizeof(l), &l);
		mnl_attr_put(nlh, IFLA_VF_TRUST, sizeof(t), &t);
		mnl_attr_nest_end(nlh, info);
	}
	mnl_attr_nest_end(nlh, list);
	if (truncate) {
		/* shrink the IFLA_VF_MAC of VF 0 below sizeof(struct ifla_vf_mac) */
		struct nlattr *a = (struct nlattr *)((uint8_t *)list + 8);
		assert_int_equal(mnl_attr_get_type(a), IFLA_VF_MAC);
		a->nla_len = 4 + 8;
	}
	return (int)nlh->nlmsg_len;
}

static void test_decode(void **state)
{
	static uint8_t buf[8192];
	memset(buf, 0, sizeof(buf));
	struct vfmgr_vf_attrs at[4];
	char ifname[VFMGR_IFNAME_LEN];
	unsigned n;

	(void)state;
	build_newlink(buf, false);
	memset(at, 0, sizeof(at));
	assert_int_equal(vfmgr_nl_parse_vfinfo(buf, at, 4, &n, ifname), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ifname, "ens1f0");
	uint8_t m0[6] = { 0x52, 0x54, 0, 0, 0, 0x10 }, m1[6] = { 0x52, 0x54, 0, 0, 0, 0x11 };
	assert_memory_equal(at[0].mac, m0, 6);
	assert_memory_equal(at[1].mac, m1, 6);
	assert_int_equal(at[0].vlan, 10);
	assert_int_equal(at[1].vlan, 11);
	assert_int_equal(at[1].qos, 1);
	assert_int_equal(at[0].vlan_proto, 0x8100);
	assert_int_equal(at[1].vlan_proto, 0x88a8); /* from IFLA_VF_VLAN_LIST, not IFLA_VF_VLAN */
	assert_true(at[0].set & VFMGR_ATTR_SPOOFCHK);
	assert_true(at[0].spoofchk);
	assert_false(at[1].set & VFMGR_ATTR_SPOOFCHK); /* -1: not reported by the driver */
	assert_int_equal(at[1].link_state, VFMGR_LINK_ENABLE);
	assert_true(at[1].trust);
	assert_false(at[0].trust);
	assert_int_equal(at[0].max_rate, 1000);

	/* round trip: what we set is what the parser reads back */
	struct vfmgr_vf_attrs want = { .set = VFMGR_ATTR_MAC | VFMGR_ATTR_VLAN | VFMGR_ATTR_TRUST,
				       .mac = { 0x52, 0x54, 0, 0, 0, 0x11 },
				       .vlan = 11,
				       .qos = 1,
				       .vlan_proto = 0x88a8,
				       .trust = true };
	assert_false(vfmgr_attrs_differ(&want, &at[1]));
	want.vlan = 12;
	assert_true(vfmgr_attrs_differ(&want, &at[1]));
	want.vlan = 11;
	want.set |= VFMGR_ATTR_SPOOFCHK; /* VF 1 reports no spoofchk */
	assert_true(vfmgr_attrs_differ(&want, &at[1]));

	/* only one slot: index 1 is counted but not stored */
	memset(at, 0, sizeof(at));
	assert_int_equal(vfmgr_nl_parse_vfinfo(buf, at, 1, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_equal(at[1].set, 0);
}

static void test_decode_bad(void **state)
{
	static uint8_t buf[8192];
	memset(buf, 0, sizeof(buf));
	struct vfmgr_vf_attrs at[4];
	unsigned n;

	(void)state;
	build_newlink(buf, true);
	assert_int_equal(vfmgr_nl_parse_vfinfo(buf, at, 4, &n, NULL), -EINVAL);
	/* not RTM_NEWLINK */
	memset(buf, 0, sizeof(buf));
	build_newlink(buf, false);
	((struct nlmsghdr *)buf)->nlmsg_type = RTM_DELLINK;
	assert_int_equal(vfmgr_nl_parse_vfinfo(buf, at, 4, &n, NULL), -EINVAL);
	/* no VF info at all */
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "lo");
	assert_int_equal(vfmgr_nl_parse_vfinfo(buf, at, 4, &n, NULL), -ENOENT);
}

static void test_drift(void **state)
{
	const char *t =
		"[pf \"0000:3b:00.0\"]\nnumvfs = 4\n[vf \"0000:3b:00.0\" 0]\nmac = 52:54:00:00:00:10\n"
		"[vf \"0000:3b:00.0\" 1]\nvlan = 11\nqos = 1\nvlan-proto = 802.1ad\n[vf \"0000:3b:00.0\" 2]\n"
		"[vf \"0000:3b:00.0\" 3]\ntrust = on\n";
	static uint8_t buf[8192];
	struct vfmgr_vf_attrs at[4];
	struct vfmgr_conf *c;
	unsigned n, idx[4];

	(void)state;
	memset(buf, 0, sizeof(buf));
	memset(at, 0, sizeof(at));
	assert_int_equal(vfmgr_conf_parse(t, strlen(t), "d.conf", &c), 0);
	build_newlink(buf, false); /* VF 0: mac ..:10, VF 1: vlan 11 qos 1 802.1ad; 2 VFs only */
	assert_int_equal(vfmgr_nl_parse_vfinfo(buf, at, 4, &n, NULL), 0);
	/* VF 0 and 1 as configured; VF 2 has no attributes; VF 3 is missing (PF reset to 2 VFs) */
	assert_int_equal(vfmgr_attrs_drift(&c->pfs[0], at, n, idx, 4), 1);
	assert_int_equal(idx[0], 3);
	/* after a PF driver reload the MAC is gone */
	memset(at[0].mac, 0, 6);
	assert_int_equal(vfmgr_attrs_drift(&c->pfs[0], at, n, idx, 4), 2);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[1], 3);
	assert_int_equal(vfmgr_attrs_drift(&c->pfs[0], at, n, NULL, 0), 2);
	vfmgr_conf_free(c);
}

/* Real kernel, private netns: run fn in a child; 77 = cannot create a netns (skip). */
static int in_netns(int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(77);
		_exit(fn());
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: %s failed (errmsg: %s)\n", __FILE__, __LINE__, #c, \
				vfmgr_errmsg());                                                   \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

static int kernel_refuses(void)
{
	struct vfmgr_vf_attrs a = { .set = VFMGR_ATTR_MAC, .mac = { 0x52, 0x54, 0, 1, 2, 3 } };
	struct vfmgr_vf_attrs got[2];
	unsigned n;
	int r;

	r = vfmgr_vf_set_attrs("lo", 0, &a);
	CHECK(r == -EOPNOTSUPP);
	CHECK(strstr(vfmgr_errmsg(), "PF lo: kernel refused VF 0 mac: Operation not supported") ==
	      vfmgr_errmsg());
	a.set = VFMGR_ATTR_VLAN;
	a.vlan = 7;
	r = vfmgr_vf_set_attrs("lo", 3, &a);
	CHECK(r == -EOPNOTSUPP);
	CHECK(strstr(vfmgr_errmsg(), "PF lo: kernel refused VF 3 vlan") != NULL);
	r = vfmgr_vf_get_attrs("lo", got, 2, &n);
	CHECK(r == -ENOENT);
	CHECK(strcmp(vfmgr_errmsg(),
		     "PF lo reports no VF information (not an SR-IOV PF netdev, or 0 VFs)") == 0);
	r = vfmgr_vf_set_attrs("vfmgr-none0", 0, &a);
	CHECK(r == -ENODEV);
	CHECK(strcmp(vfmgr_errmsg(), "PF netdev vfmgr-none0 not found in this network namespace") ==
	      0);
	/* a veth pair, when the veth driver is available */
	if (system("ip link add vfmgrt0 type veth peer name vfmgrt1 2>/dev/null") == 0) {
		a.set = VFMGR_ATTR_TRUST;
		a.trust = true;
		r = vfmgr_vf_set_attrs("vfmgrt0", 1, &a);
		CHECK(r == -EOPNOTSUPP);
		CHECK(strstr(vfmgr_errmsg(),
			     "PF vfmgrt0: kernel refused VF 1 trust: Operation not supported") !=
		      NULL);
	}
	/* monitor: link events arrive; lo carries no VF info so no callback */
	struct vfmgr_nl_monitor *m;
	CHECK(vfmgr_nl_monitor_open(&m) == 0);
	CHECK(vfmgr_nl_monitor_fd(m) >= 0);
	CHECK(system("ip link set lo up 2>/dev/null") == 0 || 1);
	CHECK(vfmgr_nl_monitor_dispatch(m, NULL, NULL) == 0);
	vfmgr_nl_monitor_close(m);
	return 0;
}

static void test_kernel(void **state)
{
	(void)state;
	int r = in_netns(kernel_refuses);
	if (r == 77)
		skip();
	assert_int_equal(r, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_mac),     cmocka_unit_test(test_encode_all),
		cmocka_unit_test(test_encode_getlink), cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_bad),     cmocka_unit_test(test_drift),
		cmocka_unit_test(test_kernel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
