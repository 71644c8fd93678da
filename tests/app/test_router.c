/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file test_router.c
 * Unit tests of the appliance's pure router helpers (router.c) and the routes-file
 * statements they use (port ip / mtu, route via / connected).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <rte_ip.h>

#include "pkt.h"
#include "router.h"
#include "routes.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

static void test_martian(void **state)
{
	(void)state;
	assert_true(vfapp_martian_src(IP(0, 0, 0, 0)));
	assert_true(vfapp_martian_src(IP(0, 255, 1, 1)));
	assert_true(vfapp_martian_src(IP(127, 0, 0, 1)));
	assert_true(vfapp_martian_src(IP(224, 0, 0, 1)));
	assert_true(vfapp_martian_src(IP(239, 255, 255, 255)));
	assert_true(vfapp_martian_src(IP(240, 0, 0, 0)));
	assert_true(vfapp_martian_src(IP(255, 255, 255, 255)));
	assert_false(vfapp_martian_src(IP(1, 0, 0, 0)));
	assert_false(vfapp_martian_src(IP(10, 0, 1, 2)));
	assert_false(vfapp_martian_src(IP(126, 255, 255, 255)));
	assert_false(vfapp_martian_src(IP(128, 0, 0, 0)));
	assert_false(vfapp_martian_src(IP(223, 255, 255, 255)));
	assert_true(vfapp_martian_dst(IP(127, 1, 2, 3)));
	assert_true(vfapp_martian_dst(IP(255, 255, 255, 255)));
	assert_true(vfapp_martian_dst(IP(224, 0, 0, 251)));
	assert_false(vfapp_martian_dst(IP(192, 168, 1, 255)));
	/* every first octet against RFC 1812 5.3.7's list: 0/8, 127/8, 224/4, 240/4 */
	for (unsigned int a = 0; a < 256; a++) {
		bool want = a == 0 || a == 127 || a >= 224;

		assert_int_equal(vfapp_martian_src(IP(a, 1, 2, 3)), want);
		assert_int_equal(vfapp_martian_dst(IP(a, 255, 0, 0)), want);
	}
}

static void orig_packet(uint8_t *ip, uint8_t proto, uint16_t frag, unsigned int totlen)
{
	unsigned int i;

	memset(ip, 0, totlen);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(totlen >> 8);
	ip[3] = (uint8_t)totlen;
	ip[6] = (uint8_t)(frag >> 8);
	ip[7] = (uint8_t)frag;
	ip[8] = 1;
	ip[9] = proto;
	ip[12] = 10;
	ip[13] = 0;
	ip[14] = 1;
	ip[15] = 2;
	ip[16] = 10;
	ip[17] = 0;
	ip[18] = 2;
	ip[19] = 2;
	for (i = 20; i < totlen; i++)
		ip[i] = (uint8_t)i;
}

static void test_icmp_build(void **state)
{
	static const struct rte_ether_addr d = { { 2, 0, 0, 0, 1, 2 } },
					   s = { { 2, 0, 0, 0, 1, 1 } };
	uint8_t orig[1500], buf[14 + VFAPP_ICMP_MAX_IP_LEN];
	size_t len;
	const uint8_t *ip = buf + 14, *icmp = ip + 20;

	(void)state;
	orig_packet(orig, 17, 0, 1500);
	len = vfapp_icmp_error_build(buf, &d, &s, IP(10, 0, 1, 1), 3, 4, 1400, 7, orig, 1500);
	/* quote capped so the IP packet is 576 bytes (RFC 1812 4.3.2.3) */
	assert_int_equal(len, 14 + 576);
	assert_memory_equal(buf, d.addr_bytes, 6);
	assert_memory_equal(buf + 6, s.addr_bytes, 6);
	assert_true(pkt_ipv4_csum_ok(ip, 20));
	assert_int_equal(ip[2] << 8 | ip[3], 576);
	assert_int_equal(ip[9], 1);
	assert_memory_equal(ip + 16, orig + 12, 4);
	assert_int_equal(icmp[0], 3);
	assert_int_equal(icmp[1], 4);
	assert_int_equal(icmp[6] << 8 | icmp[7], 1400);
	assert_int_equal(rte_raw_cksum(icmp, 576 - 20), 0xffff);
	assert_memory_equal(icmp + 8, orig, 576 - 28);
	/* a short original is quoted whole; time exceeded has no MTU field */
	orig_packet(orig, 17, 0, 48);
	len = vfapp_icmp_error_build(buf, &d, &s, IP(10, 0, 1, 1), 11, 0, 1400, 8, orig, 48);
	assert_int_equal(len, 14 + 20 + 8 + 48);
	assert_int_equal(icmp[6] << 8 | icmp[7], 0);
	assert_int_equal(rte_raw_cksum(icmp, 8 + 48), 0xffff);
	assert_int_equal(vfapp_icmp_error_build(buf, &d, &s, 1, 11, 0, 0, 1, orig, 19), 0);
}

static void test_icmp_allowed(void **state)
{
	uint8_t ip[64];

	(void)state;
	orig_packet(ip, 17, 0, 64);
	assert_true(vfapp_icmp_error_allowed(ip, 64));
	orig_packet(ip, 17, 0x2000, 64); /* first fragment (MF, offset 0): yes */
	assert_true(vfapp_icmp_error_allowed(ip, 64));
	orig_packet(ip, 17, 0x0010, 64); /* later fragment: no */
	assert_false(vfapp_icmp_error_allowed(ip, 64));
	orig_packet(ip, 1, 0, 64);
	ip[20] = 8; /* echo request: yes */
	assert_true(vfapp_icmp_error_allowed(ip, 64));
	ip[20] = 11; /* an ICMP error: never about an error */
	assert_false(vfapp_icmp_error_allowed(ip, 64));
	ip[20] = 3;
	assert_false(vfapp_icmp_error_allowed(ip, 64));
	orig_packet(ip, 17, 0, 64);
	ip[12] = 224; /* multicast source */
	assert_false(vfapp_icmp_error_allowed(ip, 64));
	assert_false(vfapp_icmp_error_allowed(ip, 19));
}

static void test_arp(void **state)
{
	static const struct rte_ether_addr a = { { 2, 0, 0, 0, 1, 2 } },
					   b = { { 2, 0, 0, 0, 1, 1 } };
	static const struct rte_ether_addr zero;
	uint8_t f[64];
	struct vfapp_arp arp;

	(void)state;
	assert_int_equal(vfapp_arp_build(f, 1, &a, IP(10, 0, 1, 2), &zero, IP(10, 0, 1, 1)), 42);
	assert_true(rte_is_broadcast_ether_addr((const struct rte_ether_addr *)f));
	assert_int_equal(vfapp_arp_parse(f, 42, &arp), 0);
	assert_int_equal(arp.op, 1);
	assert_memory_equal(arp.sha.addr_bytes, a.addr_bytes, 6);
	assert_int_equal(arp.spa, IP(10, 0, 1, 2));
	assert_int_equal(arp.tpa, IP(10, 0, 1, 1));
	vfapp_arp_build(f, 2, &b, IP(10, 0, 1, 1), &a, IP(10, 0, 1, 2));
	assert_memory_equal(f, a.addr_bytes, 6);
	assert_int_equal(vfapp_arp_parse(f, 42, &arp), 0);
	assert_int_equal(arp.op, 2);
	assert_memory_equal(arp.tha.addr_bytes, a.addr_bytes, 6);
	assert_int_equal(vfapp_arp_parse(f, 41, &arp), -EINVAL); /* short */
	f[14 + 7] = 3; /* op 3 (RARP) */
	assert_int_equal(vfapp_arp_parse(f, 42, &arp), -EINVAL);
	f[14 + 7] = 2;
	f[14 + 5] = 16; /* plen 16: not IPv4 */
	assert_int_equal(vfapp_arp_parse(f, 42, &arp), -EINVAL);
}

static void test_neigh(void **state)
{
	static struct vfapp_neigh_table t;
	static const struct rte_ether_addr m1 = { { 2, 0, 0, 0, 0, 1 } },
					   m2 = { { 2, 0, 0, 0, 0, 2 } };
	struct vfapp_neigh *e;
	unsigned int i, n = 0;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_null(vfapp_neigh_find(&t, IP(10, 0, 2, 3)));
	/* merge without create: unknown senders are not added (RFC 826) */
	assert_int_equal(vfapp_neigh_update(&t, IP(10, 0, 2, 3), &m1, false, 1), 0);
	assert_null(vfapp_neigh_find(&t, IP(10, 0, 2, 3)));
	e = vfapp_neigh_get(&t, IP(10, 0, 2, 3));
	assert_non_null(e);
	assert_int_equal(e->state, NEIGH_INCOMPLETE);
	assert_int_equal(vfapp_neigh_update(&t, IP(10, 0, 2, 3), &m1, false, 2), 1);
	assert_int_equal(e->state, NEIGH_REACHABLE);
	assert_int_equal(vfapp_neigh_update(&t, IP(10, 0, 2, 3), &m1, false, 3), 0); /* same */
	assert_int_equal(vfapp_neigh_update(&t, IP(10, 0, 2, 3), &m2, false, 4), 1); /* moved */
	assert_memory_equal(vfapp_neigh_find(&t, IP(10, 0, 2, 3))->mac.addr_bytes, m2.addr_bytes,
			    6);
	/* fills to 3/4, then refuses */
	for (i = 0; i < VFAPP_NEIGH_SIZE; i++)
		if (vfapp_neigh_get(&t, IP(10, 1, i >> 8, i & 255)) != NULL)
			n++;
	assert_int_equal(n + 1, VFAPP_NEIGH_SIZE * 3 / 4);
	for (i = 0; i < n; i++)
		assert_non_null(vfapp_neigh_find(&t, IP(10, 1, i >> 8, i & 255)));
}

static void test_ratelimit(void **state)
{
	struct vfapp_ratelimit r;
	unsigned int i, ok = 0;

	(void)state;
	vfapp_ratelimit_init(&r, 10, 5, 1000, 0); /* 10/s, burst 5, "TSC" at 1 kHz */
	for (i = 0; i < 20; i++)
		ok += vfapp_ratelimit_take(&r, 0);
	assert_int_equal(ok, 5);
	assert_false(vfapp_ratelimit_take(&r, 99)); /* 0.099 s: not yet a token */
	assert_true(vfapp_ratelimit_take(&r, 100)); /* 0.1 s: one */
	assert_false(vfapp_ratelimit_take(&r, 100));
	for (i = 0, ok = 0; i < 20; i++)
		ok += vfapp_ratelimit_take(&r, 100000); /* long idle: refilled to the burst only */
	assert_int_equal(ok, 5);
	vfapp_ratelimit_init(&r, 0, 1, 1000, 0); /* unlimited */
	for (i = 0; i < 100; i++)
		assert_true(vfapp_ratelimit_take(&r, 0));
}

static void test_routes_statements(void **state)
{
	static struct vfapp_route_cfg cfg;
	const char *ok =
		"port 0 ip 10.0.1.1/24\nport 1 mtu 9000\n"
		"route 10.0.3.0/24 port 1 via 10.0.2.3\nroute 10.0.2.0/24 port 1 connected\n";
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "port 0 ip 10.0.1.0/24\n",
		  "r.conf:1: port address '10.0.1.0/24' is the subnet's network" },
		{ "port 0 ip 10.0.1.1\n", "r.conf:1: bad port address" },
		{ "port 0 ip 10.0.1.1/31\n", "r.conf:1: bad port address" },
		{ "port 1 mtu 67\n", "r.conf:1: bad MTU '67'" },
		{ "port 1 mtu 9703\n", "r.conf:1: bad MTU '9703'" },
		{ "port 1 mtu 1500x\n", "r.conf:1: bad MTU" },
		{ "route 10.0.3.0/24 port 1 via 10.0.2\n", "r.conf:1: bad next hop '10.0.2'" },
		{ "route 10.0.3.0/24 port 1 via 0.0.0.0\n", "r.conf:1: bad next hop" },
		{ "route 10.0.3.0/24 port 1 connected extra\n", "r.conf:1: expected 'route" },
		{ "port 0 speed 10\n", "r.conf:1: expected 'port" },
	};
	char err[256];
	unsigned int i;

	(void)state;
	vfapp_routes_init(&cfg);
	assert_int_equal(vfapp_routes_parse_buf(&cfg, "r.conf", ok, strlen(ok), err, sizeof(err)),
			 0);
	assert_true(cfg.port_ip_set[0]);
	assert_false(cfg.port_ip_set[1]);
	assert_int_equal(cfg.port_ip[0], IP(10, 0, 1, 1));
	assert_int_equal(cfg.port_plen[0], 24);
	assert_int_equal(cfg.port_mtu[0], 0);
	assert_int_equal(cfg.port_mtu[1], 9000);
	assert_int_equal(cfg.nb_routes, 2);
	assert_int_equal(cfg.routes[0].nh_kind, VFAPP_NH_VIA);
	assert_int_equal(cfg.routes[0].nh_ip, IP(10, 0, 2, 3));
	assert_int_equal(cfg.routes[0].line, 3);
	assert_int_equal(cfg.routes[1].nh_kind, VFAPP_NH_CONNECTED);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vfapp_routes_init(&cfg);
		assert_int_equal(vfapp_routes_parse_buf(&cfg, "r.conf", bad[i].text,
							strlen(bad[i].text), err, sizeof(err)),
				 -EINVAL);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("'%s': got '%s', want '%s...'", bad[i].text, err, bad[i].err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_martian),
		cmocka_unit_test(test_icmp_build),
		cmocka_unit_test(test_icmp_allowed),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_neigh),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_routes_statements),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
