/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file fwd.c
 * The IPv4 forwarding appliance: burst RX, device DMA through lib/iova,
 * validation (pkt.c), LPM lookup, MAC rewrite, TTL decrement, burst TX.
 */
#include <errno.h>
#include <inttypes.h>

#include <rte_ethdev.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>

#include "iova.h"
#include "irqpost.h"
#include "vfapp.h"

static const char *const drop_names[DROP__COUNT] = {
	[0] = "none",
	[DROP_TRUNC_ETH] = "trunc_eth",
	[DROP_NOT_IPV4] = "not_ipv4",
	[DROP_TRUNC_IP] = "trunc_ip",
	[DROP_BAD_VERSION] = "bad_version",
	[DROP_BAD_IHL] = "bad_ihl",
	[DROP_BAD_TOTLEN] = "bad_totlen",
	[DROP_BAD_CSUM] = "bad_csum",
	[DROP_TTL_EXPIRED] = "ttl_expired",
	[DROP_UNROUTABLE] = "unroutable",
	[DROP_DMA_FAULT] = "dma_fault",
	[DROP_INDUCED] = "induced",
	[DROP_TX_FULL] = "tx_full",
};

const char *
vfapp_drop_name(unsigned int reason)
{
	return reason < DROP__COUNT ? drop_names[reason] : "unknown";
}

/*
 * Device-side DMA of one buffer through the IOMMU: the device reads (TX) or
 * writes (RX) data_len bytes at the buffer's IOVA. @return 0, or -1 on a fault.
 */
static inline int
device_dma(struct vfapp_appliance *a, struct rte_mbuf *m, int access)
{
	void *host = NULL;
	int ret;

	ret = iova_ctx_dma(a->ctx, m->buf_iova + m->data_off, m->data_len, access, &host);
	if (ret == -ENOTSUP) {
		a->dma_check = false; /* backend without a software device side (VFIO) */
		return 0;
	}
	if (ret < 0)
		return -1;
	if (host != rte_pktmbuf_mtod(m, void *))
		a->dma_mismatch++;
	return 0;
}

static inline void
drop(struct vfapp_appliance *a, unsigned int port, unsigned int reason, struct rte_mbuf *m)
{
	a->st[port].drops[reason]++;
	rte_pktmbuf_free(m);
}

static void
tx_flush(struct vfapp_appliance *a, unsigned int out, struct rte_mbuf **pkts, unsigned int n)
{
	unsigned int i, k = 0, sent;
	uint64_t bytes = 0;

	if (n == 0)
		return;
	if (a->dma_check) {
		for (i = 0; i < n; i++) {
			if (device_dma(a, pkts[i], IOVA_PROT_READ) != 0)
				drop(a, out, DROP_DMA_FAULT, pkts[i]);
			else
				pkts[k++] = pkts[i];
		}
		n = k;
	}
	for (i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	sent = a->port[out].ops != NULL ?
	       a->port[out].ops->tx_burst(a->port[out].dev, pkts, (uint16_t)n) :
	       rte_eth_tx_burst(a->port_id[out], 0, pkts, (uint16_t)n);
	for (i = sent; i < n; i++) {
		bytes -= pkts[i]->pkt_len;
		drop(a, out, DROP_TX_FULL, pkts[i]);
	}
	a->st[out].tx += sent;
	a->st[out].tx_bytes += bytes;
}

void
vfapp_appliance_process(struct vfapp_appliance *a, unsigned int in, struct rte_mbuf **pkts,
			unsigned int n)
{
	struct rte_mbuf *out[VFAPP_NB_PORTS][VFAPP_BURST];
	unsigned int nout[VFAPP_NB_PORTS] = {0, 0};
	unsigned int i;

	a->st[in].rx += n;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr *eth;
		const struct vfapp_route *r;
		struct pkt_info pi;
		enum pkt_verdict v;
		uint32_t nh;

		a->st[in].rx_bytes += m->pkt_len;
		if (a->dma_check && device_dma(a, m, IOVA_PROT_WRITE) != 0) {
			drop(a, in, DROP_DMA_FAULT, m);
			continue;
		}
		v = pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &pi);
		if (v != PKT_OK) {
			drop(a, in, (unsigned int)v, m);
			continue;
		}
		if (rte_lpm_lookup(a->lpm, pi.dst_ip, &nh) != 0 || nh >= a->routes->nb_routes) {
			drop(a, in, DROP_UNROUTABLE, m);
			continue;
		}
		if (a->drop_every != 0 && ++a->drop_ctr % a->drop_every == 0) {
			drop(a, in, DROP_INDUCED, m);
			continue;
		}
		r = &a->routes->routes[nh];
		eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		rte_ether_addr_copy(&r->nh_mac, &eth->dst_addr);
		rte_ether_addr_copy(&a->port_mac[r->port], &eth->src_addr);
		pkt_ttl_dec(rte_pktmbuf_mtod_offset(m, uint8_t *, pi.l3_off));
		out[r->port][nout[r->port]++] = m;
	}
	for (i = 0; i < VFAPP_NB_PORTS; i++)
		tx_flush(a, i, out[i], nout[i]);
}

unsigned int
vfapp_appliance_step(struct vfapp_appliance *a)
{
	struct rte_mbuf *pkts[VFAPP_BURST];
	unsigned int p, n, total = 0;

	if (a->ctx != NULL)
		iova_ctx_poll(a->ctx, a->cpu);
	for (p = 0; p < VFAPP_NB_PORTS; p++) {
		n = a->port[p].ops != NULL ? a->port[p].ops->rx_burst(a->port[p].dev, pkts, VFAPP_BURST) :
		    rte_eth_rx_burst(a->port_id[p], 0, pkts, VFAPP_BURST);
		if (n == 0)
			continue;
		vfapp_appliance_process(a, p, pkts, n);
		total += n;
	}
	a->polls++;
	if (total == 0)
		a->idle_polls++;
	return total;
}

void
vfapp_appliance_reset_stats(struct vfapp_appliance *a)
{
	memset(a->st, 0, sizeof(a->st));
	a->dma_mismatch = 0;
	a->polls = a->idle_polls = 0;
	a->halts = a->halt_timeouts = 0;
}

void
vfapp_appliance_totals(const struct vfapp_appliance *a, struct vfapp_port_stats *tot)
{
	unsigned int p, r;

	memset(tot, 0, sizeof(*tot));
	for (p = 0; p < VFAPP_NB_PORTS; p++) {
		tot->rx += a->st[p].rx;
		tot->rx_bytes += a->st[p].rx_bytes;
		tot->tx += a->st[p].tx;
		tot->tx_bytes += a->st[p].tx_bytes;
		for (r = 0; r < DROP__COUNT; r++)
			tot->drops[r] += a->st[p].drops[r];
	}
}

void
vfapp_appliance_print(const struct vfapp_appliance *a, FILE *f)
{
	unsigned int p, r;

	for (p = 0; p < VFAPP_NB_PORTS; p++) {
		const struct vfapp_port_stats *s = &a->st[p];

		fprintf(f, "vfapp: port %u: rx %" PRIu64 " pkts %" PRIu64 " bytes, tx %" PRIu64
			" pkts %" PRIu64 " bytes, drops:", p, s->rx, s->rx_bytes, s->tx, s->tx_bytes);
		for (r = 1; r < DROP__COUNT; r++)
			if (s->drops[r] != 0)
				fprintf(f, " %s=%" PRIu64, drop_names[r], s->drops[r]);
		fprintf(f, "\n");
	}
}
