/* SPDX-License-Identifier: BSD-3-Clause */
/** @file test_routes.c Unit tests of the routes file parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "routes.h"

static struct vfapp_route_cfg cfg;

static int parse(const char *text, char *err, size_t errlen)
{
	vfapp_routes_init(&cfg);
	return vfapp_routes_parse_buf(&cfg, "r.conf", text, strlen(text), err, errlen);
}

static void test_valid(void **state)
{
	char err[256];
	const char *text = "# vfapp routes\n"
			   "\n"
			   "port 0 mac 02:00:00:00:01:01\n"
			   "port 1 mac 02:AA:bb:00:02:01   # trailing comment\n"
			   "route 10.0.1.0/24 port 0 nexthop-mac 02:00:00:00:01:02\n"
			   "\troute 10.0.2.0/24  port 1\tnexthop-mac 02:00:00:00:02:02\r\n"
			   "route 0.0.0.0/0 port 1 nexthop-mac 02:00:00:00:02:03\n"
			   "route 192.168.7.9/32 port 0 nexthop-mac 02:00:00:00:01:09";

	(void)state;
	assert_int_equal(parse(text, err, sizeof(err)), 0);
	assert_true(cfg.port_mac_set[0]);
	assert_true(cfg.port_mac_set[1]);
	assert_int_equal(cfg.port_mac[1].addr_bytes[1], 0xaa);
	assert_int_equal(cfg.port_mac[1].addr_bytes[2], 0xbb);
	assert_int_equal(cfg.nb_routes, 4);
	assert_int_equal(cfg.routes[0].prefix, 0x0a000100u);
	assert_int_equal(cfg.routes[0].depth, 24);
	assert_int_equal(cfg.routes[0].port, 0);
	assert_int_equal(cfg.routes[0].nh_mac.addr_bytes[5], 0x02);
	assert_int_equal(cfg.routes[0].line, 5);
	assert_int_equal(cfg.routes[1].port, 1);
	assert_int_equal(cfg.routes[1].line, 6);
	assert_int_equal(cfg.routes[2].depth, 0);
	assert_int_equal(cfg.routes[3].prefix, 0xc0a80709u);
	assert_int_equal(cfg.routes[3].depth, 32);
	assert_int_equal(cfg.routes[3].line, 8);
}

static void test_errors(void **state)
{
	static const struct {
		const char *text;
		const char *want; /* prefix of the message, file:line included */
	} cases[] = {
		{ "route 10.0.1.0/24 port 2 nexthop-mac 02:00:00:00:01:02\n",
		  "r.conf:1: bad port '2'" },
		{ "\n\nroute 10.0.1.0/33 port 0 nexthop-mac 02:00:00:00:01:02\n",
		  "r.conf:3: bad prefix '10.0.1.0/33'" },
		{ "route 10.0.1.1/24 port 0 nexthop-mac 02:00:00:00:01:02\n",
		  "r.conf:1: prefix '10.0.1.1/24' has host bits" },
		{ "route 10.0.1/24 port 0 nexthop-mac 02:00:00:00:01:02\n",
		  "r.conf:1: bad prefix" },
		{ "route 10.0.1.0 port 0 nexthop-mac 02:00:00:00:01:02\n", "r.conf:1: bad prefix" },
		{ "route 10.0.1.0/24 port 0 nexthop-mac 02:00:00:00:01\n", "r.conf:1: bad MAC" },
		{ "route 10.0.1.0/24 port 0 nexthop-mac 02:00:00:00:01:0g\n", "r.conf:1: bad MAC" },
		{ "route 10.0.1.0/24 port 0 mac 02:00:00:00:01:02\n", "r.conf:1: expected 'route" },
		{ "route 10.0.1.0/24 port 0\n", "r.conf:1: expected 'route" },
		{ "port 0 mac\n", "r.conf:1: expected 'port" },
		{ "port x mac 02:00:00:00:01:02\n", "r.conf:1: bad port 'x'" },
		{ "port 1 mac 02-00-00-00-01-02\n", "r.conf:1: bad MAC" },
		{ "gateway 10.0.0.1\n", "r.conf:1: unknown statement 'gateway'" },
		{ "route 10.0.1.0/24 port 0 nexthop-mac 02:00:00:00:01:02\n"
		  "route 10.0.1.0/24 port 1 nexthop-mac 02:00:00:00:01:03\n",
		  "r.conf:2: duplicate route 10.0.1.0/24 (first at line 1)" },
		{ "route 10.0.1.0/-1 port 0 nexthop-mac 02:00:00:00:01:02\n",
		  "r.conf:1: bad prefix" },
		{ "a b c d e f g h i\n", "r.conf:1: too many words" },
	};
	char err[256];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = parse(cases[i].text, err, sizeof(err));

		if (ret != -EINVAL || strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %u: ret %d err '%s', want '%s'", i, ret, err, cases[i].want);
	}
}

static void test_long_line_and_nul(void **state)
{
	char err[256], text[600];

	(void)state;
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(parse(text, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "r.conf:1: line longer"));
	vfapp_routes_init(&cfg);
	assert_int_equal(
		vfapp_routes_parse_buf(&cfg, "r.conf", "port 0\0mac", 10, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "NUL byte"));
	/* a tiny error buffer truncates but never overflows */
	assert_int_equal(parse("bogus\n", err, 8), -EINVAL);
	assert_int_equal(strlen(err), 7);
}

static void test_file(void **state)
{
	char path[] = "/tmp/vfapp-routes-XXXXXX", err[256];
	int fd = mkstemp(path);
	const char *text =
		"port 0 mac 02:00:00:00:01:01\nroute 10.0.2.0/24 port 1 nexthop-mac 02:00:00:00:02:02\nroute bad\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	vfapp_routes_init(&cfg);
	assert_int_equal(vfapp_routes_parse_file(&cfg, path, err, sizeof(err)), -EINVAL);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_non_null(strstr(err, ":3: expected 'route"));
	unlink(path);
	vfapp_routes_init(&cfg);
	assert_int_equal(vfapp_routes_parse_file(&cfg, path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot open"));
}

static void test_add(void **state)
{
	struct rte_ether_addr m = { { 2, 0, 0, 0, 0, 1 } };
	unsigned int i;

	(void)state;
	vfapp_routes_init(&cfg);
	assert_int_equal(vfapp_routes_add(&cfg, 0x0a0001ffu, 24, 0, &m), 0);
	assert_int_equal(cfg.routes[0].prefix, 0x0a000100u); /* host bits cleared */
	assert_int_equal(vfapp_routes_add(&cfg, 0, 33, 0, &m), -EINVAL);
	assert_int_equal(vfapp_routes_add(&cfg, 0, 8, 2, &m), -EINVAL);
	for (i = 1; i < VFAPP_MAX_ROUTES; i++)
		assert_int_equal(vfapp_routes_add(&cfg, i << 8, 24, 1, &m), 0);
	assert_int_equal(vfapp_routes_add(&cfg, 0, 8, 1, &m), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_line_and_nul),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_add),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
