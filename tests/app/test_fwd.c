/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file test_fwd.c
 * Forwarding tests over the real internal topology (net_memif wires): craft
 * frames on an endpoint port, run the appliance, inspect what comes out of
 * the far wire. Also run through lib/iova's mempool (strict) when built.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>

#include "frames.h"
#include "iova.h"
#include "vfapp.h"

static struct vfapp_topo topo;
static struct vfapp_appliance app;
static struct vfapp_route_cfg routes;
static struct rte_mempool *ep_pool, *app_pool;
static struct iova_ctx *ctx;

static const struct rte_ether_addr nh_b_alt = {{0x02, 0, 0, 0, 0x02, 0x99}};
static const struct rte_ether_addr nh_a_alt = {{0x02, 0, 0, 0, 0x01, 0x99}};

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

static void
send_raw(uint16_t port, const uint8_t *buf, unsigned int len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(ep_pool);
	unsigned int i;

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, (uint16_t)len));
	memcpy(rte_pktmbuf_mtod(m, void *), buf, len);
	for (i = 0; i < 1000 && rte_eth_tx_burst(port, 0, &m, 1) == 0; i++)
		rte_delay_us_block(1000);
	if (i == 1000)
		fail_msg("port %u: tx did not take a frame within 1 s", port);
}

/* Run the appliance a bounded number of times and collect up to max frames per endpoint. */
static void
pump(struct rte_mbuf **at_a, unsigned int *na, struct rte_mbuf **at_b, unsigned int *nb,
     unsigned int max)
{
	unsigned int i;

	*na = *nb = 0;
	for (i = 0; i < 200; i++) {
		vfapp_appliance_step(&app);
		*na += rte_eth_rx_burst(topo.ep_a, 0, at_a + *na, (uint16_t)(max - *na));
		*nb += rte_eth_rx_burst(topo.ep_b, 0, at_b + *nb, (uint16_t)(max - *nb));
		rte_delay_us_block(50);
	}
}

static void
check_forwarded(struct rte_mbuf *m, const uint8_t *sent, unsigned int len,
		const struct rte_ether_addr *dst, const struct rte_ether_addr *src)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	struct pkt_info pi;

	assert_int_equal(m->pkt_len, len);
	assert_memory_equal(p, dst->addr_bytes, 6);
	assert_memory_equal(p + 6, src->addr_bytes, 6);
	assert_memory_equal(p + 12, sent + 12, 2);
	/* IP header: only TTL and checksum change */
	assert_memory_equal(p + 14, sent + 14, 8);
	assert_int_equal(p[14 + 8], sent[14 + 8] - 1);
	assert_int_equal(p[14 + 9], sent[14 + 9]);
	assert_memory_equal(p + 14 + 12, sent + 14 + 12, 8);
	assert_true(pkt_ipv4_csum_ok(p + 14, 20));
	/* payload intact */
	assert_memory_equal(p + 34, sent + 34, len - 34);
	assert_int_equal(pkt_parse(p, len, &pi), p[22] > 1 ? PKT_OK : PKT_TTL_EXPIRED);
}

static void
test_forward_a_to_b(void **state)
{
	struct rte_mbuf *at_a[64], *at_b[64];
	uint8_t f1[256], f2[256], f3[1600];
	unsigned int l1, l2, l3, na, nb;
	struct rte_ether_addr p1mac;

	(void)state;
	vfapp_appliance_reset_stats(&app);
	l1 = frames_build(f1, FR_VALID, IP(10, 0, 2, 2), 64, 100, 1);
	l2 = frames_build(f2, FR_VALID, IP(10, 0, 2, 200), 2, 17, 2);  /* /25 wins, TTL 2 -> 1 */
	l3 = frames_build(f3, FR_VALID, IP(10, 0, 2, 77), 128, 1458, 3);
	send_raw(topo.ep_a, f1, l1);
	send_raw(topo.ep_a, f2, l2);
	send_raw(topo.ep_a, f3, l3);
	pump(at_a, &na, at_b, &nb, 64);
	assert_int_equal(na, 0);
	assert_int_equal(nb, 3);
	rte_eth_macaddr_get(topo.app_port[1], &p1mac);
	check_forwarded(at_b[0], f1, l1, &topo.ep_b_mac, &p1mac);
	check_forwarded(at_b[1], f2, l2, &nh_b_alt, &p1mac);
	check_forwarded(at_b[2], f3, l3, &topo.ep_b_mac, &p1mac);
	rte_pktmbuf_free_bulk(at_b, nb);
	assert_int_equal(app.st[0].rx, 3);
	assert_int_equal(app.st[1].tx, 3);
	assert_int_equal(app.st[1].tx_bytes, l1 + l2 + l3);
	assert_int_equal(app.dma_mismatch, 0);
	assert_int_equal(app.st[0].drops[DROP_DMA_FAULT], 0);
}

static void
test_forward_b_to_a_and_hairpin(void **state)
{
	struct rte_mbuf *at_a[64], *at_b[64];
	uint8_t f1[256], f2[256];
	unsigned int l1, l2, na, nb;
	struct rte_ether_addr p0mac;

	(void)state;
	vfapp_appliance_reset_stats(&app);
	l1 = frames_build(f1, FR_VALID, IP(10, 0, 1, 2), 64, 40, 9);
	l2 = frames_build(f2, FR_VALID, IP(10, 9, 3, 4), 9, 40, 10); /* 10.9/16 -> port 0 */
	send_raw(topo.ep_b, f1, l1);
	send_raw(topo.ep_a, f2, l2);
	pump(at_a, &na, at_b, &nb, 64);
	assert_int_equal(nb, 0);
	assert_int_equal(na, 2);
	rte_eth_macaddr_get(topo.app_port[0], &p0mac);
	/* order across the two input ports is the appliance's port order: port 0 first */
	check_forwarded(at_a[0], f2, l2, &nh_a_alt, &p0mac);
	check_forwarded(at_a[1], f1, l1, &topo.ep_a_mac, &p0mac);
	rte_pktmbuf_free_bulk(at_a, na);
	assert_int_equal(app.st[0].tx, 2);
	assert_int_equal(app.st[1].rx, 1);
}

static void
test_malformed_dropped(void **state)
{
	static const struct {
		enum frame_kind k;
		unsigned int reason;
	} cases[] = {
		{FR_TRUNC_ETH, DROP_TRUNC_ETH}, {FR_TRUNC_IP, DROP_TRUNC_IP},
		{FR_BAD_IHL, DROP_BAD_IHL}, {FR_IHL_BEYOND, DROP_TRUNC_IP},
		{FR_BAD_TOTLEN_BIG, DROP_BAD_TOTLEN}, {FR_BAD_TOTLEN_SMALL, DROP_BAD_TOTLEN},
		{FR_BAD_VERSION, DROP_BAD_VERSION}, {FR_BAD_CSUM, DROP_BAD_CSUM},
		{FR_TTL0, DROP_TTL_EXPIRED}, {FR_TTL1, DROP_TTL_EXPIRED},
		{FR_NOT_IPV4, DROP_NOT_IPV4},
	};
	struct rte_mbuf *at_a[64], *at_b[64];
	unsigned int want[DROP__COUNT] = {0};
	uint8_t f[256];
	unsigned int i, l, na, nb;

	(void)state;
	vfapp_appliance_reset_stats(&app);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		l = frames_build(f, cases[i].k, IP(10, 0, 2, 2), 64, 30, (uint8_t)i);
		send_raw(topo.ep_a, f, l);
		want[cases[i].reason]++;
	}
	l = frames_build(f, FR_VALID, IP(172, 16, 0, 1), 64, 30, 0); /* no route */
	send_raw(topo.ep_a, f, l);
	want[DROP_UNROUTABLE]++;
	pump(at_a, &na, at_b, &nb, 64);
	assert_int_equal(na, 0);
	assert_int_equal(nb, 0);
	assert_int_equal(app.st[0].rx, sizeof(cases) / sizeof(cases[0]) + 1);
	assert_int_equal(app.st[0].tx + app.st[1].tx, 0);
	for (i = 1; i < DROP__COUNT; i++)
		if (app.st[0].drops[i] != want[i])
			fail_msg("drop reason %s: counted %lu, want %u", vfapp_drop_name(i),
				 (unsigned long)app.st[0].drops[i], want[i]);
}

static void
test_drop_every(void **state)
{
	struct rte_mbuf *at_a[64], *at_b[64];
	uint8_t f[256];
	unsigned int i, l, na, nb;

	(void)state;
	vfapp_appliance_reset_stats(&app);
	app.drop_every = 3;
	app.drop_ctr = 0;
	for (i = 0; i < 9; i++) {
		l = frames_build(f, FR_VALID, IP(10, 0, 2, 2), 64, 30, (uint8_t)i);
		send_raw(topo.ep_a, f, l);
	}
	pump(at_a, &na, at_b, &nb, 64);
	app.drop_every = 0;
	assert_int_equal(nb, 6);
	assert_int_equal(app.st[0].drops[DROP_INDUCED], 3);
	/* the survivors are frames 0,1,3,4,6,7 in order (payload seed = index) */
	for (i = 0; i < nb; i++) {
		const uint8_t *p = rte_pktmbuf_mtod(at_b[i], const uint8_t *);

		assert_int_equal(p[34 + 8], (uint8_t)(i + i / 2));
	}
	rte_pktmbuf_free_bulk(at_b, nb);
}

static void
test_iova_pool(void **state)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(app_pool);
	struct iova_ctx_stats st;

	(void)state;
	/* strict through the soft VT-d: the device sees an IOVA, not the VA */
	assert_non_null(m);
	assert_int_not_equal(m->buf_iova, (uint64_t)(uintptr_t)m->buf_addr);
	rte_pktmbuf_free(m);
	iova_ctx_get_stats(ctx, &st);
	assert_true(st.maps > 0);
	assert_true(st.invalidations > 0);
	assert_true(app.dma_check);
}

static void
test_dma_fault(void **state)
{
	struct rte_mbuf *at_a[8], *at_b[8], *m;
	uint64_t stale;
	uint8_t f[128];
	unsigned int l, na, nb;

	(void)state;
	/* an IOVA that strict has unmapped and invalidated: the device must fault on it */
	m = rte_pktmbuf_alloc(app_pool);
	assert_non_null(m);
	stale = m->buf_iova;
	rte_pktmbuf_free(m);
	m = rte_pktmbuf_alloc(ep_pool);
	assert_non_null(m);
	l = frames_build(f, FR_VALID, IP(10, 0, 2, 2), 64, 30, 1);
	memcpy(rte_pktmbuf_append(m, (uint16_t)l), f, l);
	m->buf_iova = stale;
	vfapp_appliance_reset_stats(&app);
	vfapp_appliance_process(&app, 0, &m, 1);
	pump(at_a, &na, at_b, &nb, 8);
	assert_int_equal(na + nb, 0);
	assert_int_equal(app.st[0].drops[DROP_DMA_FAULT], 1);
	assert_int_equal(app.st[1].tx, 0);
}

static int
setup(void **state)
{
	char prefix[64], err[256];
	char *eal[] = {"test_fwd", "--no-huge", "-m", "256", "--no-pci", "-l", "0",
		       "--log-level", "*:warning", "--file-prefix", prefix, NULL};
	struct rte_ether_addr mac;
	bool strict = getenv("VFAPP_TEST_PLAIN") == NULL;

	(void)state;
	snprintf(prefix, sizeof(prefix), "vfapp-test-fwd-%d", (int)getpid());
	if (rte_eal_init(11, eal) < 0)
		return -1;
	ep_pool = rte_pktmbuf_pool_create("t_ep", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (strict) {
		struct vtd_soft_params vp;
		struct iova_ctx_params cp;
		struct iova_backend *b;

		vtd_soft_default_params(&vp);
		b = iova_backend_soft_create(&vp, 0x0101, 1);
		if (b == NULL)
			return -1;
		iova_ctx_default_params(&cp);
		cp.strategy = IOVA_STRAT_STRICT;
		cp.nb_cpus = 1;
		ctx = iova_ctx_create(&cp, b);
		if (ctx == NULL)
			return -1;
		app_pool = iova_pktmbuf_pool_create("t_app", 4095, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0, ctx);
		app.ctx = ctx;
		app.dma_check = true;
	}
	if (app_pool == NULL)
		app_pool = rte_pktmbuf_pool_create("t_app", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (ep_pool == NULL || app_pool == NULL)
		return -1;
	if (vfapp_topo_internal(&topo, WIRE_MEMIF, "t", app_pool, ep_pool, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	vfapp_routes_internal(&routes, &topo);
	vfapp_routes_add(&routes, IP(10, 0, 2, 128), 25, 1, &nh_b_alt);
	vfapp_routes_add(&routes, IP(10, 9, 0, 0), 16, 0, &nh_a_alt);
	app.routes = &routes;
	app.port_id[0] = topo.app_port[0];
	app.port_id[1] = topo.app_port[1];
	rte_eth_macaddr_get(topo.app_port[0], &mac);
	app.port_mac[0] = mac;
	rte_eth_macaddr_get(topo.app_port[1], &mac);
	app.port_mac[1] = mac;
	app.lpm = vfapp_routes_build_lpm(&routes, "t_lpm", 0, err, sizeof(err));
	return app.lpm == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	vfapp_topo_close(&topo);
	rte_lpm_free(app.lpm);
	rte_mempool_free(app_pool);
	rte_mempool_free(ep_pool);
	if (ctx != NULL)
		iova_ctx_destroy(ctx);
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_a_to_b),
		cmocka_unit_test(test_forward_b_to_a_and_hairpin),
		cmocka_unit_test(test_malformed_dropped),
		cmocka_unit_test(test_drop_every),
		cmocka_unit_test(test_iova_pool),
		cmocka_unit_test(test_dma_fault),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
