/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file gen.c
 * fwd rate test endpoints: a generator on port A that sends as many fixed-size
 * UDP frames (10.0.1.2 -> 10.0.2.2) as the wire takes, and a sink on port B that
 * counts and frees what the appliance forwarded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_memcpy.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "endpoint.h"

#define MIN_FRAME (RTE_ETHER_HDR_LEN + 20 + 8)
#define MAX_FRAME 2048u

struct gen {
	struct vfapp_ep_env *env;
	unsigned int size;
	uint8_t tmpl[MAX_FRAME];
	uint64_t sent, alloc_fail, sink_rx, sink_bytes, sink_bad;
	bool measuring;
	uint64_t sent0, rx0, bytes0, sent1, rx1, bytes1;
};

static void gen_client_step(void *arg, uint64_t now)
{
	struct gen *g = arg;
	struct rte_mbuf *tx[VFAPP_BURST];
	unsigned int i, sent;

	(void)now;
	/* drain anything coming back on A (nothing should) */
	sent = rte_eth_rx_burst(g->env->a.port, 0, tx, VFAPP_BURST);
	if (sent > 0)
		rte_pktmbuf_free_bulk(tx, sent);
	if (rte_pktmbuf_alloc_bulk(g->env->pool, tx, VFAPP_BURST) != 0) {
		g->alloc_fail++;
		return;
	}
	for (i = 0; i < VFAPP_BURST; i++) {
		rte_memcpy(rte_pktmbuf_mtod(tx[i], void *), g->tmpl, g->size);
		tx[i]->data_len = (uint16_t)g->size;
		tx[i]->pkt_len = g->size;
	}
	sent = rte_eth_tx_burst(g->env->a.port, 0, tx, VFAPP_BURST);
	if (sent < VFAPP_BURST)
		rte_pktmbuf_free_bulk(tx + sent, VFAPP_BURST - sent);
	g->sent += sent;
	if (sent > 0)
		vfapp_ep_kick(g->env);
}

static void gen_server_step(void *arg, uint64_t now)
{
	struct gen *g = arg;
	struct rte_mbuf *rx[VFAPP_BURST];
	unsigned int n, i;

	(void)now;
	n = rte_eth_rx_burst(g->env->b.port, 0, rx, VFAPP_BURST);
	for (i = 0; i < n; i++) {
		g->sink_bytes += rx[i]->pkt_len;
		if (rx[i]->pkt_len != g->size)
			g->sink_bad++;
	}
	g->sink_rx += n;
	if (n > 0)
		rte_pktmbuf_free_bulk(rx, n);
}

static void gen_start(void *arg, uint64_t now)
{
	struct gen *g = arg;

	(void)now;
	g->measuring = true;
	g->sent0 = g->sent;
	g->rx0 = g->sink_rx;
	g->bytes0 = g->sink_bytes;
}

static void gen_stop(void *arg, uint64_t now)
{
	struct gen *g = arg;

	(void)now;
	if (!g->measuring)
		return;
	g->measuring = false;
	g->sent1 = g->sent;
	g->rx1 = g->sink_rx;
	g->bytes1 = g->sink_bytes;
}

static void gen_report(void *arg, double secs, json_t *rec, FILE *out)
{
	struct gen *g = arg;
	json_t *t = json_object();
	uint64_t rx = g->rx1 - g->rx0;

	json_object_set_new(t, "pkt_size", json_integer(g->size));
	json_object_set_new(t, "generated", json_integer((json_int_t)(g->sent1 - g->sent0)));
	json_object_set_new(t, "sink_rx", json_integer((json_int_t)rx));
	json_object_set_new(t, "sink_mpps", json_real(secs > 0 ? rx / secs / 1e6 : 0));
	json_object_set_new(t, "sink_bad_size", json_integer((json_int_t)g->sink_bad));
	json_object_set_new(t, "alloc_fail", json_integer((json_int_t)g->alloc_fail));
	json_object_set_new(rec, "gen", t);
	fprintf(out,
		"fwd rate test: %u-byte frames, generated %" PRIu64 ", received at sink %" PRIu64
		" (%.3f Mpps) in %.2f s\n",
		g->size, g->sent1 - g->sent0, rx, secs > 0 ? rx / secs / 1e6 : 0, secs);
}

static void gen_destroy(void *arg)
{
	free(arg);
}

int vfapp_gen_create(struct vfapp_ep_env *env, const struct vfapp_ep_params *p,
		     struct vfapp_workload *w)
{
	struct gen *g;
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	unsigned int l4;

	if (p->pkt_size < MIN_FRAME || p->pkt_size > MAX_FRAME)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	g->env = env;
	g->size = p->pkt_size;
	/* build the template in an mbuf with the common helper, then keep a copy */
	m = rte_pktmbuf_alloc(env->pool);
	if (m == NULL || rte_pktmbuf_append(m, (uint16_t)g->size) == NULL) {
		rte_pktmbuf_free(m);
		free(g);
		return -ENOMEM;
	}
	l4 = g->size - RTE_ETHER_HDR_LEN - 20;
	memset(rte_pktmbuf_mtod(m, void *), 0, g->size);
	ip = vfapp_ep_build_ipv4(m, &env->a, IPPROTO_UDP, (uint16_t)l4, 0);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(9);
	udp->dst_port = rte_cpu_to_be_16(9);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)l4);
	udp->dgram_cksum = 0; /* optional in IPv4; generator frames are not checked end to end */
	memcpy(g->tmpl, rte_pktmbuf_mtod(m, void *), g->size);
	rte_pktmbuf_free(m);
	memset(w, 0, sizeof(*w));
	w->name = "fwd";
	w->st = g;
	w->client_step = gen_client_step;
	w->server_step = gen_server_step;
	w->start = gen_start;
	w->stop = gen_stop;
	w->report = gen_report;
	w->destroy = gen_destroy;
	return 0;
}
