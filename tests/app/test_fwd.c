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

static const struct rte_ether_addr nh_b_alt = { { 0x02, 0, 0, 0, 0x02, 0x99 } };
static const struct rte_ether_addr nh_a_alt = { { 0x02, 0, 0, 0, 0x01, 0x99 } };

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

/* Transmit m on an endpoint port (the wire toward the appliance), retrying up to 1 s. */
static void send_mbuf(uint16_t port, struct rte_mbuf *m)
{
	unsigned int i;

	for (i = 0; i < 1000 && rte_eth_tx_burst(port, 0, &m, 1) == 0; i++)
		rte_delay_us_block(1000);
	if (i == 1000)
		fail_msg("port %u: tx did not take a frame within 1 s", port);
}

static void send_raw(uint16_t port, const uint8_t *buf, unsigned int len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(ep_pool);

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, (uint16_t)len));
	memcpy(rte_pktmbuf_mtod(m, void *), buf, len);
	send_mbuf(port, m);
}

/* Build a frame into f (frames_build) and send it from endpoint A. @return its length. */
static unsigned int send_a(uint8_t *f, enum frame_kind k, uint32_t dst, uint8_t ttl,
			   unsigned int payload, uint8_t seed)
{
	unsigned int l = frames_build(f, k, dst, ttl, payload, seed);

	send_raw(topo.ep_a, f, l);
	return l;
}

/* Run the appliance a bounded number of times and collect up to max frames per endpoint. */
static void pump(struct rte_mbuf **at_a, unsigned int *na, struct rte_mbuf **at_b, unsigned int *nb,
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

static void check_forwarded(struct rte_mbuf *m, const uint8_t *sent, unsigned int len,
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

static void test_forward_a_to_b(void **state)
{
	struct rte_mbuf *at_a[64], *at_b[64];
	uint8_t f1[256], f2[256], f3[1600];
	unsigned int l1, l2, l3, na, nb;
	struct rte_ether_addr p1mac;

	(void)state;
	vfapp_appliance_reset_stats(&app);
	l1 = frames_build(f1, FR_VALID, IP(10, 0, 2, 2), 64, 100, 1);
	l2 = frames_build(f2, FR_VALID, IP(10, 0, 2, 200), 2, 17, 2); /* /25 wins, TTL 2 -> 1 */
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

static void test_forward_b_to_a_and_hairpin(void **state)
{
	struct rte_mbuf *at_a[64], *at_b[64];
	uint8_t f1[256], f2[256];
	unsigned int l1, l2, na, nb;
	struct rte_ether_addr p0mac;

	(void)state;
	vfapp_appliance_reset_stats(&app);
	l1 = frames_build(f1, FR_VALID, IP(10, 0, 1, 2), 64, 40, 9);
	l2 = frames_build(f2, FR_VALID, IP(10, 9, 3, 4), 9, 40, 10); /* 10.9/16 -> port 0 */
	rte_eth_macaddr_get(topo.app_port[1], (struct rte_ether_addr *)f1); /* B's gateway */
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

static void test_malformed_dropped(void **state)
{
	static const struct {
		enum frame_kind k;
		unsigned int reason;
	} cases[] = {
		{ FR_TRUNC_ETH, DROP_TRUNC_ETH },	{ FR_TRUNC_IP, DROP_TRUNC_IP },
		{ FR_BAD_IHL, DROP_BAD_IHL },		{ FR_IHL_BEYOND, DROP_TRUNC_IP },
		{ FR_BAD_TOTLEN_BIG, DROP_BAD_TOTLEN }, { FR_BAD_TOTLEN_SMALL, DROP_BAD_TOTLEN },
		{ FR_BAD_VERSION, DROP_BAD_VERSION },	{ FR_BAD_CSUM, DROP_BAD_CSUM },
		{ FR_TTL0, DROP_TTL_EXPIRED },		{ FR_TTL1, DROP_TTL_EXPIRED },
		{ FR_NOT_IPV4, DROP_NOT_IPV4 },
	};
	struct rte_mbuf *at_a[64], *at_b[64];
	unsigned int want[DROP__COUNT] = { 0 };
	uint8_t f[256];
	unsigned int i, na, nb;

	(void)state;
	vfapp_appliance_reset_stats(&app);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		send_a(f, cases[i].k, IP(10, 0, 2, 2), 64, 30, (uint8_t)i);
		want[cases[i].reason]++;
	}
	send_a(f, FR_VALID, IP(172, 16, 0, 1), 64, 30, 0); /* no route */
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

static void test_drop_every(void **state)
{
	struct rte_mbuf *at_a[64], *at_b[64];
	uint8_t f[256];
	unsigned int i, na, nb;

	(void)state;
	vfapp_appliance_reset_stats(&app);
	app.drop_every = 3;
	app.drop_ctr = 0;
	for (i = 0; i < 9; i++)
		send_a(f, FR_VALID, IP(10, 0, 2, 2), 64, 30, (uint8_t)i);
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

static void test_iova_pool(void **state)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(app_pool);
	struct iova_ctx_stats st;

	(void)state;
	if (ctx == NULL)
		skip(); /* VFAPP_TEST_PLAIN: no lib/iova pool */
	/* strict through the soft VT-d: the device sees an IOVA, not the VA */
	assert_non_null(m);
	assert_int_not_equal(m->buf_iova, (uint64_t)(uintptr_t)m->buf_addr);
	rte_pktmbuf_free(m);
	iova_ctx_get_stats(ctx, &st);
	assert_true(st.maps > 0);
	assert_true(st.invalidations > 0);
	assert_true(app.dma_check);
}

static void test_dma_fault(void **state)
{
	struct rte_mbuf *at_a[8], *at_b[8], *m;
	uint64_t stale;
	uint8_t f[128];
	unsigned int l, na, nb;

	(void)state;
	if (ctx == NULL)
		skip(); /* VFAPP_TEST_PLAIN: no lib/iova pool */
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

/* ---- router duties (RFC 1812): ICMP, ARP, neighbour table, L2/martian filters, MTU ---- */

static void set_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void fix_csum(uint8_t *f)
{
	uint16_t c = frames_ip_csum(f + 14, 20);

	f[14 + 10] = (uint8_t)(c >> 8);
	f[14 + 11] = (uint8_t)c;
}

/* Ports get 10.0.1.1/24 and 10.0.2.1/24, MTU 1500, ICMP limited to rate/s (burst). */
static void router_on(uint64_t rate, uint64_t burst)
{
	uint16_t mtu[VFAPP_NB_PORTS] = { 1500, 1500 };

	routes.port_ip_set[0] = routes.port_ip_set[1] = true;
	routes.port_ip[0] = IP(10, 0, 1, 1);
	routes.port_ip[1] = IP(10, 0, 2, 1);
	routes.port_plen[0] = routes.port_plen[1] = 24;
	vfapp_appliance_router_init(&app, &routes, mtu, app_pool, rate, burst);
	vfapp_appliance_reset_stats(&app);
}

static void check_icmp(struct rte_mbuf *m, uint8_t type, uint8_t code, const uint8_t *sent,
		       uint32_t from)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *), *ip = p + 14, *icmp = ip + 20;
	struct rte_ether_addr p0mac;
	unsigned int totlen = (unsigned int)(ip[2] << 8 | ip[3]);

	rte_eth_macaddr_get(topo.app_port[0], &p0mac);
	assert_memory_equal(p, topo.ep_a_mac.addr_bytes, 6); /* back to the previous hop */
	assert_memory_equal(p + 6, p0mac.addr_bytes, 6);
	assert_int_equal(p[12] << 8 | p[13], 0x0800);
	assert_true(pkt_ipv4_csum_ok(ip, 20));
	assert_int_equal(ip[9], 1); /* ICMP */
	assert_int_equal(get_u32(ip + 12), from); /* the input port's address */
	assert_int_equal(get_u32(ip + 16), IP(10, 0, 1, 2)); /* the offending source */
	assert_int_equal(m->pkt_len, 14 + totlen);
	assert_int_equal(icmp[0], type);
	assert_int_equal(icmp[1], code);
	assert_int_equal(rte_raw_cksum(icmp, totlen - 20), 0xffff);
	/* the original IP header is quoted, then its first data bytes */
	assert_memory_equal(icmp + 8, sent + 14, 20 + 8);
}

/* One frame from A (TTL ttl, to dst) that the router drops (reason drop) and answers with
 * the ICMP error type/0 from port 0's address (router event ev). */
static void icmp_error_case(enum frame_kind k, uint32_t dst, uint8_t ttl, uint8_t seed,
			    uint8_t type, unsigned int drop, unsigned int ev)
{
	struct rte_mbuf *at_a[64], *at_b[64];
	uint8_t f[256];
	unsigned int na, nb;

	router_on(0, 1);
	send_a(f, k, dst, ttl, 30, seed);
	pump(at_a, &na, at_b, &nb, 64);
	assert_int_equal(nb, 0);
	assert_int_equal(na, 1);
	check_icmp(at_a[0], type, 0, f, IP(10, 0, 1, 1));
	rte_pktmbuf_free_bulk(at_a, na);
	assert_int_equal(app.st[0].drops[drop], 1);
	assert_int_equal(app.st[0].ev[ev], 1);
}

static void test_icmp_time_exceeded(void **state)
{
	(void)state;
	icmp_error_case(FR_TTL1, IP(10, 0, 2, 2), 1, 1, 11, DROP_TTL_EXPIRED,
			EV_ICMP_TIME_EXCEEDED);
}

static void test_icmp_unreachable(void **state)
{
	(void)state;
	icmp_error_case(FR_VALID, IP(172, 16, 0, 1), 64, 2, 3, DROP_UNROUTABLE, EV_ICMP_UNREACH);
}

static void test_icmp_ratelimit(void **state)
{
	struct rte_mbuf *at_a[64], *at_b[64];
	uint8_t f[256];
	unsigned int i, na, nb;

	(void)state;
	router_on(1, 3); /* 1 per second after a burst of 3: the 10 below come within 1 s */
	for (i = 0; i < 10; i++)
		send_a(f, FR_TTL1, IP(10, 0, 2, 2), 1, 30, (uint8_t)i);
	pump(at_a, &na, at_b, &nb, 64);
	assert_int_equal(na, 3);
	rte_pktmbuf_free_bulk(at_a, na);
	assert_int_equal(app.st[0].drops[DROP_TTL_EXPIRED], 10);
	assert_int_equal(app.st[0].ev[EV_ICMP_TIME_EXCEEDED], 3);
	assert_int_equal(app.st[0].ev[EV_ICMP_RATELIMITED], 7);
}

static void test_mtu_frag_needed_and_fragments(void **state)
{
	struct rte_mbuf *at_a[64], *at_b[64];
	uint8_t f[1200], whole[1100];
	unsigned int l, na, nb, i, got = 0;
	const uint8_t *ip, *icmp;

	(void)state;
	router_on(0, 1);
	app.mtu[1] = 576;
	/* DF set: ICMP fragmentation needed with the next-hop MTU (RFC 1191) */
	l = frames_build(f, FR_VALID, IP(10, 0, 2, 2), 64, 1000, 3);
	f[14 + 6] |= 0x40;
	fix_csum(f);
	send_raw(topo.ep_a, f, l);
	pump(at_a, &na, at_b, &nb, 64);
	assert_int_equal(nb, 0);
	assert_int_equal(na, 1);
	check_icmp(at_a[0], 3, 4, f, IP(10, 0, 1, 1));
	icmp = rte_pktmbuf_mtod_offset(at_a[0], const uint8_t *, 14 + 20);
	assert_int_equal(icmp[6] << 8 | icmp[7], 576);
	rte_pktmbuf_free_bulk(at_a, na);
	assert_int_equal(app.st[0].drops[DROP_FRAG_NEEDED], 1);
	assert_int_equal(app.st[0].ev[EV_ICMP_FRAG_NEEDED], 1);

	/* DF clear: fragments of <= 576 bytes, offsets in 8-byte units, MF on all but the last */
	l = send_a(f, FR_VALID, IP(10, 0, 2, 2), 64, 1000, 4);
	pump(at_a, &na, at_b, &nb, 64);
	assert_int_equal(na, 0);
	assert_int_equal(nb, 2); /* 1008 bytes of data in 552-byte pieces */
	for (i = 0; i < nb; i++) {
		unsigned int tl, fo;

		ip = rte_pktmbuf_mtod_offset(at_b[i], const uint8_t *, 14);
		tl = (unsigned int)(ip[2] << 8 | ip[3]);
		fo = (unsigned int)((ip[6] & 0x1f) << 8 | ip[7]);
		assert_true(tl <= 576);
		assert_true(pkt_ipv4_csum_ok(ip, 20));
		assert_int_equal(ip[8], 63);
		assert_int_equal(fo * 8, got);
		assert_int_equal(!!(ip[6] & 0x20), i + 1 < nb);
		assert_int_equal(at_b[i]->pkt_len, 14 + tl);
		memcpy(whole + got, ip + 20, tl - 20);
		got += tl - 20;
	}
	assert_int_equal(got, 8 + 1000);
	assert_memory_equal(whole, f + 14 + 20, got);
	rte_pktmbuf_free_bulk(at_b, nb);
	assert_int_equal(app.st[1].ev[EV_FRAGMENTS], 2);
	assert_int_equal(app.st[1].tx, 2);
	app.mtu[1] = 1500;
}

static unsigned int arp_frame(uint8_t *f, uint16_t op, const struct rte_ether_addr *sha,
			      uint32_t spa, const struct rte_ether_addr *tha, uint32_t tpa,
			      const struct rte_ether_addr *eth_dst)
{
	unsigned int l = (unsigned int)vfapp_arp_build(f, op, sha, spa, tha, tpa);

	if (eth_dst != NULL)
		memcpy(f, eth_dst->addr_bytes, 6);
	memset(f + l, 0, 60 - l); /* Ethernet minimum */
	return 60;
}

static void test_arp_responder(void **state)
{
	struct rte_mbuf *at_a[64], *at_b[64];
	static const struct rte_ether_addr zero;
	struct rte_ether_addr p0mac;
	struct vfapp_arp arp;
	uint8_t f[64];
	unsigned int l, na, nb;
	struct vfapp_neigh *e;

	(void)state;
	router_on(0, 1);
	rte_eth_macaddr_get(topo.app_port[0], &p0mac);
	l = arp_frame(f, 1, &topo.ep_a_mac, IP(10, 0, 1, 2), &zero, IP(10, 0, 1, 1), NULL);
	send_raw(topo.ep_a, f, l);
	l = arp_frame(f, 1, &topo.ep_a_mac, IP(10, 0, 1, 2), &zero, IP(10, 0, 1, 77), NULL);
	send_raw(topo.ep_a, f, l); /* not our address: no answer */
	pump(at_a, &na, at_b, &nb, 64);
	assert_int_equal(nb, 0);
	assert_int_equal(na, 1);
	assert_int_equal(vfapp_arp_parse(rte_pktmbuf_mtod(at_a[0], const uint8_t *),
					 at_a[0]->data_len, &arp),
			 0);
	assert_memory_equal(rte_pktmbuf_mtod(at_a[0], const uint8_t *), topo.ep_a_mac.addr_bytes,
			    6);
	assert_int_equal(arp.op, 2);
	assert_memory_equal(arp.sha.addr_bytes, p0mac.addr_bytes, 6);
	assert_int_equal(arp.spa, IP(10, 0, 1, 1));
	assert_memory_equal(arp.tha.addr_bytes, topo.ep_a_mac.addr_bytes, 6);
	assert_int_equal(arp.tpa, IP(10, 0, 1, 2));
	rte_pktmbuf_free_bulk(at_a, na);
	assert_int_equal(app.st[0].ev[EV_ARP_RX], 2);
	assert_int_equal(app.st[0].ev[EV_ARP_REPLIES], 1);
	/* the requester was learned (RFC 826: the request was for us) */
	e = vfapp_neigh_find(&app.neigh[0], IP(10, 0, 1, 2));
	assert_non_null(e);
	assert_int_equal(e->state, NEIGH_REACHABLE);
	assert_memory_equal(e->mac.addr_bytes, topo.ep_a_mac.addr_bytes, 6);
}

static void test_neighbour_resolution(void **state)
{
	static const struct rte_ether_addr nh = { { 0x02, 0, 0, 0, 0x02, 0x33 } };
	static const struct rte_ether_addr zero;
	struct rte_mbuf *at_a[64], *at_b[64];
	struct rte_ether_addr p1mac;
	struct vfapp_arp arp;
	char err[256];
	uint8_t f[256];
	unsigned int l, na, nb;

	(void)state;
	router_on(0, 1);
	rte_eth_macaddr_get(topo.app_port[1], &p1mac);
	/* 10.0.3.0/24 via 10.0.2.3: no static MAC, the neighbour table resolves it */
	assert_int_equal(vfapp_routes_add_via(&routes, IP(10, 0, 3, 0), 24, 1, IP(10, 0, 2, 3)), 0);
	rte_lpm_free(app.lpm);
	app.lpm = vfapp_routes_build_lpm(&routes, "t_lpm_nh", 0, err, sizeof(err));
	assert_non_null(app.lpm);

	l = send_a(f, FR_VALID, IP(10, 0, 3, 9), 64, 30, 5);
	send_raw(topo.ep_a, f, l);
	pump(at_a, &na, at_b, &nb, 64);
	/* one ARP request for the next hop (at most one a second), both packets dropped */
	assert_int_equal(nb, 1);
	assert_int_equal(vfapp_arp_parse(rte_pktmbuf_mtod(at_b[0], const uint8_t *),
					 at_b[0]->data_len, &arp),
			 0);
	assert_true(
		rte_is_broadcast_ether_addr(rte_pktmbuf_mtod(at_b[0], struct rte_ether_addr *)));
	assert_int_equal(arp.op, 1);
	assert_int_equal(arp.tpa, IP(10, 0, 2, 3));
	assert_int_equal(arp.spa, IP(10, 0, 2, 1));
	assert_memory_equal(arp.sha.addr_bytes, p1mac.addr_bytes, 6);
	rte_pktmbuf_free_bulk(at_b, nb);
	assert_int_equal(app.st[0].drops[DROP_NO_NEIGH], 2);
	assert_int_equal(app.st[1].ev[EV_ARP_REQUESTS], 1);

	/* the next hop answers; the next packet goes out to its MAC */
	l = arp_frame(f, 2, &nh, IP(10, 0, 2, 3), &p1mac, IP(10, 0, 2, 1), &p1mac);
	send_raw(topo.ep_b, f, l);
	pump(at_a, &na, at_b, &nb, 64);
	assert_int_equal(app.st[1].ev[EV_NEIGH_LEARNED], 1);
	l = send_a(f, FR_VALID, IP(10, 0, 3, 9), 64, 30, 6);
	pump(at_a, &na, at_b, &nb, 64);
	assert_int_equal(nb, 1);
	check_forwarded(at_b[0], f, l, &nh, &p1mac);
	rte_pktmbuf_free_bulk(at_b, nb);
	(void)zero;
}

static void test_l2_filter_and_vlan(void **state)
{
	static const struct rte_ether_addr other = { { 0x02, 0, 0, 0, 0x09, 0x09 } };
	struct rte_mbuf *at_a[64], *at_b[64];
	uint8_t f[256], g[260];
	unsigned int l, na, nb;

	(void)state;
	router_on(0, 1);
	l = frames_build(f, FR_VALID, IP(10, 0, 2, 2), 64, 30, 7);
	memcpy(f, other.addr_bytes, 6); /* another host's frame (promiscuous port) */
	send_raw(topo.ep_a, f, l);
	memset(f, 0xff, 6); /* IPv4 in an Ethernet broadcast */
	send_raw(topo.ep_a, f, l);
	l = frames_build(f, FR_VALID, IP(10, 0, 2, 2), 64, 30, 8);
	memcpy(g, f, 12); /* 802.1Q VID 5 */
	g[12] = 0x81;
	g[13] = 0x00;
	g[14] = 0x00;
	g[15] = 0x05;
	memcpy(g + 16, f + 12, l - 12);
	send_raw(topo.ep_a, g, l + 4);
	pump(at_a, &na, at_b, &nb, 64);
	assert_int_equal(na + nb, 0);
	assert_int_equal(app.st[0].drops[DROP_NOT_OUR_MAC], 1);
	assert_int_equal(app.st[0].drops[DROP_L2_BCAST], 1);
	assert_int_equal(app.st[0].drops[DROP_VLAN], 1);
}

static void test_martians(void **state)
{
	static const uint32_t bad_src[] = { IP(127, 0, 0, 1), IP(0, 1, 2, 3), IP(224, 0, 0, 5),
					    IP(240, 0, 0, 1), IP(255, 255, 255, 255) };
	static const uint32_t bad_dst[] = { IP(127, 0, 0, 1), IP(0, 0, 0, 1), IP(240, 0, 0, 1),
					    IP(255, 255, 255, 255), IP(224, 0, 0, 1) };
	struct rte_mbuf *at_a[64], *at_b[64];
	uint8_t f[256];
	unsigned int i, l, na, nb;

	(void)state;
	router_on(0, 1);
	for (i = 0; i < 5; i++) {
		l = frames_build(f, FR_VALID, IP(10, 0, 2, 2), 64, 30, (uint8_t)i);
		set_u32(f + 14 + 12, bad_src[i]);
		fix_csum(f);
		send_raw(topo.ep_a, f, l);
		l = send_a(f, FR_VALID, bad_dst[i], 64, 30, (uint8_t)i);
	}
	l = send_a(f, FR_VALID, IP(10, 0, 2, 1), 64, 30, 9); /* the router itself */
	pump(at_a, &na, at_b, &nb, 64);
	assert_int_equal(na + nb, 0); /* and no ICMP about martians */
	assert_int_equal(app.st[0].drops[DROP_MARTIAN_SRC], 5);
	assert_int_equal(app.st[0].drops[DROP_MARTIAN_DST], 5);
	assert_int_equal(app.st[0].drops[DROP_LOCAL], 1);
}

static void test_jumbo_multiseg(void **state)
{
	static uint8_t f[4000];
	struct rte_mbuf *at_a[64], *at_b[64], *m0, *m1;
	struct rte_ether_addr p1mac;
	unsigned int l, na, nb, half;
	uint8_t out[4000];

	(void)state;
	router_on(0, 1);
	app.mtu[1] = 9000;
	l = frames_build(f, FR_VALID, IP(10, 0, 2, 2), 64, 3500, 11);
	half = 1800;
	/* a two-segment frame on the wire */
	m0 = rte_pktmbuf_alloc(ep_pool);
	m1 = rte_pktmbuf_alloc(ep_pool);
	assert_non_null(m0);
	assert_non_null(m1);
	memcpy(rte_pktmbuf_append(m0, (uint16_t)half), f, half);
	memcpy(rte_pktmbuf_append(m1, (uint16_t)(l - half)), f + half, l - half);
	assert_int_equal(rte_pktmbuf_chain(m0, m1), 0);
	send_mbuf(topo.ep_a, m0);
	pump(at_a, &na, at_b, &nb, 64);
	assert_int_equal(app.st[0].drops[DROP_BAD_TOTLEN], 0);
	assert_int_equal(nb, 1);
	assert_int_equal(at_b[0]->pkt_len, l);
	rte_eth_macaddr_get(topo.app_port[1], &p1mac);
	memcpy(out, rte_pktmbuf_read(at_b[0], 0, l, out), l);
	assert_memory_equal(out, topo.ep_b_mac.addr_bytes, 6);
	assert_memory_equal(out + 6, p1mac.addr_bytes, 6);
	assert_int_equal(out[14 + 8], 63);
	assert_memory_equal(out + 34, f + 34, l - 34);
	rte_pktmbuf_free_bulk(at_b, nb);
	app.mtu[1] = 1500;
}

/* Everything the appliance does with one batch of frames sent from A: the frames out of
 * both wires (bytes) and every counter. */
struct run_result {
	uint8_t out[2][64][1600];
	unsigned int len[2][64], n[2];
	struct vfapp_port_stats st[VFAPP_NB_PORTS];
};

static void run_batch(uint8_t (*f)[1600], const unsigned int *len, unsigned int nf,
		      struct run_result *r)
{
	struct rte_mbuf *at[2][64];
	unsigned int i, w;

	router_on(0, 1); /* ICMP unlimited: both runs answer the same frames */
	app.icmp_id = 0;
	memset(&app.neigh, 0, sizeof(app.neigh));
	for (i = 0; i < nf; i++)
		send_raw(topo.ep_a, f[i], len[i]);
	pump(at[0], &r->n[0], at[1], &r->n[1], 64);
	for (w = 0; w < 2; w++) {
		for (i = 0; i < r->n[w]; i++) {
			r->len[w][i] = at[w][i]->pkt_len;
			assert_true(r->len[w][i] <= sizeof(r->out[w][i]));
			memcpy(r->out[w][i],
			       rte_pktmbuf_read(at[w][i], 0, r->len[w][i], r->out[w][i]),
			       r->len[w][i]);
		}
		rte_pktmbuf_free_bulk(at[w], r->n[w]);
	}
	memcpy(r->st, app.st, sizeof(r->st));
}

/*
 * The fast path (fwd.c fast_one) against the full per-frame path (slow_one, which every
 * other test here checks behaviour by behaviour): the same frames, valid ones and ones a
 * mutation made interesting (a MAC, the EtherType, version/IHL, TTL, total length, the
 * checksum, martian or local addresses, a size over the egress MTU with and without DF,
 * unroutable), give byte-identical output and identical counters with the fast path on
 * and with it off (--drop-every with a period never reached turns it off).
 */
static void test_fast_path_equals_slow_path(void **state)
{
	static uint8_t f[40][1600];
	static struct run_result fast, slow;
	static const uint32_t dsts[] = { IP(10, 0, 2, 2),   IP(10, 0, 2, 200), IP(10, 9, 1, 1),
					 IP(10, 0, 1, 7),   IP(10, 0, 2, 1),   IP(127, 0, 0, 1),
					 IP(224, 0, 0, 9),  IP(10, 0, 1, 1),   IP(192, 0, 2, 1),
					 IP(255, 255, 255, 255) };
	static struct vfapp_route_cfg with_default;
	const struct vfapp_route_cfg *saved_routes = app.routes;
	struct rte_lpm *saved_lpm = app.lpm;
	unsigned int len[40], i, w, round, forwarded = 0;
	bool dma = app.dma_check;
	uint32_t x = 12345;
	char err[256];

	(void)state;
	/* a default route, so martian and local destinations have a next hop too: only the
	 * filters stop them */
	with_default = routes;
	assert_int_equal(vfapp_routes_add(&with_default, 0, 0, 1, &nh_b_alt), 0);
	app.lpm = vfapp_routes_build_lpm(&with_default, "t_lpm_dflt", 0, err, sizeof(err));
	assert_non_null(app.lpm);
	app.routes = &with_default;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 40; i++) {
			unsigned int payload = 20 + (x % 5 == 0 ? 1480 : x % 300);

			x = x * 1103515245u + 12345u;
			len[i] = frames_build(f[i], FR_VALID, dsts[(x >> 8) % 10],
					      (uint8_t)(1 + (x >> 16) % 4 * 40), payload,
					      (uint8_t)(x >> 24));
			switch ((x >> 3) % 12) {
			case 0: f[i][0] ^= 1; break; /* another host's MAC */
			case 1: f[i][13] = 0x06; break; /* ARP EtherType, not ARP */
			case 2: f[i][14] = 0x46; break; /* IHL 6 (options) */
			case 3: f[i][14 + 8] = 1; fix_csum(f[i]); break; /* TTL 1 */
			case 4: f[i][14 + 11] ^= 0x10; break; /* bad checksum */
			case 5: set_u32(f[i] + 14 + 12, IP(127, 0, 0, 9)); fix_csum(f[i]); break;
			case 6: f[i][14 + 2] = 0x7f; fix_csum(f[i]); break; /* total length > frame */
			case 7: f[i][14 + 6] = 0x40; fix_csum(f[i]); break; /* DF */
			default: break; /* as built */
			}
		}
		app.dma_check = false;
		app.drop_every = 0;
		run_batch(f, len, 40, &fast);
		app.drop_every = UINT64_MAX; /* slow_one() for every frame, none dropped */
		run_batch(f, len, 40, &slow);
		app.drop_every = 0;
		app.dma_check = dma;
		for (w = 0; w < 2; w++) {
			assert_int_equal(fast.n[w], slow.n[w]);
			for (i = 0; i < fast.n[w]; i++) {
				assert_int_equal(fast.len[w][i], slow.len[w][i]);
				assert_memory_equal(fast.out[w][i], slow.out[w][i], fast.len[w][i]);
			}
		}
		for (w = 0; w < VFAPP_NB_PORTS; w++) {
			assert_int_equal(fast.st[w].rx, slow.st[w].rx);
			assert_int_equal(fast.st[w].tx, slow.st[w].tx);
			assert_int_equal(fast.st[w].rx_bytes, slow.st[w].rx_bytes);
			assert_int_equal(fast.st[w].tx_bytes, slow.st[w].tx_bytes);
			assert_memory_equal(fast.st[w].drops, slow.st[w].drops,
					    sizeof(fast.st[w].drops));
			assert_memory_equal(fast.st[w].ev, slow.st[w].ev, sizeof(fast.st[w].ev));
		}
		assert_int_equal(fast.st[0].rx, 40);
		forwarded += fast.st[0].tx + fast.st[1].tx;
	}
	rte_lpm_free(app.lpm);
	app.lpm = saved_lpm;
	app.routes = saved_routes;
	assert_true(forwarded > 10); /* the batches did exercise forwarding */
}

static int setup(void **state)
{
	char prefix[64], err[256];
	char *eal[] = { "test_fwd", "--no-huge",   "-m",	"256",		 "--no-pci", "-l",
			"0",	    "--log-level", "*:warning", "--file-prefix", prefix,     NULL };
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
		app_pool = iova_pktmbuf_pool_create("t_app", 4095, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0,
						    ctx);
		app.ctx = ctx;
		app.dma_check = true;
	}
	if (app_pool == NULL)
		app_pool =
			rte_pktmbuf_pool_create("t_app", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
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
	app.hw_mac[1] = mac;
	app.hw_mac[0] = app.port_mac[0];
	app.lpm = vfapp_routes_build_lpm(&routes, "t_lpm", 0, err, sizeof(err));
	return app.lpm == NULL ? -1 : 0;
}

static int teardown(void **state)
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward_a_to_b),
		cmocka_unit_test(test_forward_b_to_a_and_hairpin),
		cmocka_unit_test(test_malformed_dropped),
		cmocka_unit_test(test_drop_every),
		cmocka_unit_test(test_iova_pool),
		cmocka_unit_test(test_dma_fault),
		cmocka_unit_test(test_icmp_time_exceeded),
		cmocka_unit_test(test_icmp_unreachable),
		cmocka_unit_test(test_icmp_ratelimit),
		cmocka_unit_test(test_mtu_frag_needed_and_fragments),
		cmocka_unit_test(test_arp_responder),
		cmocka_unit_test(test_neighbour_resolution),
		cmocka_unit_test(test_l2_filter_and_vlan),
		cmocka_unit_test(test_martians),
		cmocka_unit_test(test_jumbo_multiseg),
		cmocka_unit_test(test_fast_path_equals_slow_path),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
