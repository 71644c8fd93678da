/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file fwd.c
 * The IPv4 forwarding appliance: burst RX, device DMA through lib/iova,
 * validation (pkt.c), LPM lookup, MAC rewrite, TTL decrement, burst TX.
 */
#include <errno.h>
#include <inttypes.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_vect.h>

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
	[DROP_NOT_OUR_MAC] = "not_our_mac",
	[DROP_L2_BCAST] = "l2_bcast",
	[DROP_VLAN] = "vlan",
	[DROP_MARTIAN_SRC] = "martian_src",
	[DROP_MARTIAN_DST] = "martian_dst",
	[DROP_LOCAL] = "local",
	[DROP_FRAG_NEEDED] = "frag_needed",
	[DROP_NO_NEIGH] = "no_neigh",
	[DROP_NO_MBUF] = "no_mbuf",
};

static const char *const event_names[EV__COUNT] = {
	[EV_ARP_RX] = "arp_rx",
	[EV_ARP_REPLIES] = "arp_replies",
	[EV_ARP_REQUESTS] = "arp_requests",
	[EV_NEIGH_LEARNED] = "neigh_learned",
	[EV_ICMP_TIME_EXCEEDED] = "icmp_time_exceeded",
	[EV_ICMP_UNREACH] = "icmp_unreachable",
	[EV_ICMP_FRAG_NEEDED] = "icmp_frag_needed",
	[EV_ICMP_RATELIMITED] = "icmp_ratelimited",
	[EV_FRAGMENTS] = "fragments",
	[EV_L4_CSUM_FIXED] = "l4_csum_fixed",
};

const char *vfapp_event_name(unsigned int ev)
{
	return ev < EV__COUNT ? event_names[ev] : "unknown";
}

const char *vfapp_drop_name(unsigned int reason)
{
	return reason < DROP__COUNT ? drop_names[reason] : "unknown";
}

/*
 * Device-side DMA of one buffer through the IOMMU: the device reads (TX) or
 * writes (RX) data_len bytes at the buffer's IOVA. @return 0, or -1 on a fault.
 */
static inline int device_dma(struct vfapp_appliance *a, struct rte_mbuf *m, int access)
{
	struct rte_mbuf *seg;
	void *host = NULL;
	int ret;

	for (seg = m; seg != NULL; seg = seg->next) {
		ret = iova_ctx_dma(a->ctx, seg->buf_iova + seg->data_off, seg->data_len, access,
				   &host);
		if (ret == -ENOTSUP) {
			a->dma_check = false; /* backend without a software device side (VFIO) */
			return 0;
		}
		if (ret < 0)
			return -1;
		if (host != rte_pktmbuf_mtod(seg, void *))
			a->dma_mismatch++;
	}
	return 0;
}

/* Transmit on port p through its ops (vfdev) or the ethdev. */
static inline uint16_t port_tx(struct vfapp_appliance *a, unsigned int p, struct rte_mbuf **pkts,
			       uint16_t n)
{
	return a->port[p].ops != NULL ? a->port[p].ops->tx_burst(a->port[p].dev, pkts, n) :
					rte_eth_tx_burst(a->port_id[p], a->queue, pkts, n);
}

static inline void drop(struct vfapp_appliance *a, unsigned int port, unsigned int reason,
			struct rte_mbuf *m)
{
	a->st[port].drops[reason]++;
	rte_pktmbuf_free(m);
}

static void tx_flush(struct vfapp_appliance *a, unsigned int out, struct rte_mbuf **pkts,
		     unsigned int n)
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
	sent = port_tx(a, out, pkts, (uint16_t)n);
	for (i = sent; i < n; i++) {
		bytes -= pkts[i]->pkt_len;
		drop(a, out, DROP_TX_FULL, pkts[i]);
	}
	a->st[out].tx += sent;
	a->st[out].tx_bytes += bytes;
}

void vfapp_appliance_router_init(struct vfapp_appliance *a, const struct vfapp_route_cfg *cfg,
				 const uint16_t dev_mtu[VFAPP_NB_PORTS], struct rte_mempool *pool,
				 uint64_t icmp_rate, uint64_t icmp_burst)
{
	unsigned int p;

	a->pool = pool;
	a->hz = rte_get_tsc_hz();
	for (p = 0; p < VFAPP_NB_PORTS; p++) {
		a->port_ip_set[p] = cfg->port_ip_set[p];
		a->port_ip[p] = cfg->port_ip[p];
		a->mtu[p] = cfg->port_mtu[p] ? cfg->port_mtu[p] :
			    dev_mtu[p]	     ? dev_mtu[p] :
					       RTE_ETHER_MTU;
		memset(&a->neigh[p], 0, sizeof(a->neigh[p]));
	}
	vfapp_ratelimit_init(&a->icmp_rl, icmp_rate, icmp_burst, a->hz, rte_rdtsc());
}

/* Transmit one frame the appliance originated (ARP, ICMP) on port p. */
static void send_ctl(struct vfapp_appliance *a, unsigned int p, struct rte_mbuf *m)
{
	if (a->dma_check && device_dma(a, m, IOVA_PROT_READ) != 0) {
		drop(a, p, DROP_DMA_FAULT, m);
		return;
	}
	if (port_tx(a, p, &m, 1) != 1)
		drop(a, p, DROP_TX_FULL, m);
}

static struct rte_mbuf *alloc_frame(struct vfapp_appliance *a, uint16_t len)
{
	struct rte_mbuf *m = a->pool != NULL ? rte_pktmbuf_alloc(a->pool) : NULL;

	if (m != NULL && rte_pktmbuf_append(m, len) == NULL) {
		rte_pktmbuf_free(m);
		m = NULL;
	}
	return m;
}

/*
 * ICMP error about m (received on port in) to its source, sent back to the previous
 * hop (the frame's source MAC) on the input port, from the input port's address
 * (RFC 1812 4.3.2.4).  Rate-limited (4.3.2.8); nothing is sent without a port address.
 */
static void icmp_error(struct vfapp_appliance *a, unsigned int in, struct rte_mbuf *m, uint8_t type,
		       uint8_t code, uint16_t nh_mtu, unsigned int ev)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN);
	size_t avail = m->data_len - RTE_ETHER_HDR_LEN, len;
	uint8_t buf[RTE_ETHER_HDR_LEN + VFAPP_ICMP_MAX_IP_LEN];
	struct rte_mbuf *n;

	if (!a->port_ip_set[in] || !vfapp_icmp_error_allowed(ip, avail))
		return;
	if (!vfapp_ratelimit_take(&a->icmp_rl, rte_rdtsc())) {
		a->st[in].ev[EV_ICMP_RATELIMITED]++;
		return;
	}
	len = vfapp_icmp_error_build(buf, &eth->src_addr, &a->port_mac[in], a->port_ip[in], type,
				     code, nh_mtu, a->icmp_id++, ip, avail);
	n = alloc_frame(a, (uint16_t)len);
	if (n == NULL)
		return;
	memcpy(rte_pktmbuf_mtod(n, void *), buf, len);
	a->st[in].ev[ev]++;
	send_ctl(a, in, n);
}

/* ARP frame received on port in: learn the sender, answer requests for the port's address. */
static void arp_input(struct vfapp_appliance *a, unsigned int in, struct rte_mbuf *m)
{
	struct vfapp_arp arp;
	bool for_us;

	if (vfapp_arp_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &arp) != 0) {
		drop(a, in, DROP_NOT_IPV4, m);
		return;
	}
	a->st[in].ev[EV_ARP_RX]++;
	if (!a->port_ip_set[in]) {
		rte_pktmbuf_free(m);
		return;
	}
	for_us = arp.tpa == a->port_ip[in];
	/* RFC 826 merge: update a known sender; add it when the request is for us */
	if (arp.spa != 0 && !vfapp_martian_src(arp.spa) &&
	    vfapp_neigh_update(&a->neigh[in], arp.spa, &arp.sha, for_us, rte_rdtsc()) > 0)
		a->st[in].ev[EV_NEIGH_LEARNED]++;
	if (!for_us || arp.op != 1) {
		rte_pktmbuf_free(m);
		return;
	}
	/* answer in the request's own buffer */
	rte_pktmbuf_trim(m, (uint16_t)(m->pkt_len - VFAPP_ARP_FRAME_LEN));
	vfapp_arp_build(rte_pktmbuf_mtod(m, uint8_t *), 2, &a->port_mac[in], a->port_ip[in],
			&arp.sha, arp.spa);
	a->st[in].ev[EV_ARP_REPLIES]++;
	send_ctl(a, in, m);
}

/* Ask for ip on port out (at most once a second per neighbour: RFC 1122 2.3.2.1). */
static void arp_solicit(struct vfapp_appliance *a, unsigned int out, struct vfapp_neigh *e)
{
	uint64_t now = rte_rdtsc();
	struct rte_mbuf *n;
	static const struct rte_ether_addr zero;

	if (e->req_tsc != 0 && now - e->req_tsc < a->hz)
		return;
	e->req_tsc = now;
	n = alloc_frame(a, VFAPP_ARP_FRAME_LEN);
	if (n == NULL)
		return;
	vfapp_arp_build(rte_pktmbuf_mtod(n, uint8_t *), 1, &a->port_mac[out], a->port_ip[out],
			&zero, e->ip);
	a->st[out].ev[EV_ARP_REQUESTS]++;
	send_ctl(a, out, n);
}

/*
 * Split m (headers already rewritten, DF clear) into fragments of at most mtu bytes of
 * IP (RFC 791 3.2; every option is copied into every fragment) and transmit them on out.
 * m is freed.
 */
static void fragment(struct vfapp_appliance *a, unsigned int in, unsigned int out,
		     struct rte_mbuf *m, const struct pkt_info *pi)
{
	struct rte_mbuf *frags[VFAPP_BURST];
	const uint8_t *hdr = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t hl = pi->l3_len, payload = (uint16_t)(pi->ip_totlen - hl);
	uint16_t chunk = (uint16_t)((a->mtu[out] - hl) & ~7u);
	uint16_t frag = pkt_rd16(hdr + pi->l3_off + 6);
	unsigned int nf = 0;
	uint16_t off;

	if (chunk == 0) { /* header alone exceeds the MTU */
		drop(a, in, DROP_FRAG_NEEDED, m);
		return;
	}
	for (off = 0; off < payload; off = (uint16_t)(off + chunk)) {
		uint16_t len = payload - off < chunk ? payload - off : chunk;
		uint16_t flen = (uint16_t)(pi->l3_off + hl + len);
		bool more = off + len < payload || (frag & RTE_IPV4_HDR_MF_FLAG);
		struct rte_mbuf *f = alloc_frame(a, flen);
		uint8_t *p, *ip;
		const void *src;

		if (f == NULL) {
			a->st[in].drops[DROP_NO_MBUF]++;
			break;
		}
		p = rte_pktmbuf_mtod(f, uint8_t *);
		memcpy(p, hdr, pi->l3_off + hl);
		src = rte_pktmbuf_read(m, pi->l3_off + hl + off, len, p + pi->l3_off + hl);
		if (src != p + pi->l3_off + hl)
			memcpy(p + pi->l3_off + hl, src, len);
		ip = p + pi->l3_off;
		ip[2] = (uint8_t)((hl + len) >> 8);
		ip[3] = (uint8_t)(hl + len);
		{
			uint16_t fo = (uint16_t)((frag & RTE_IPV4_HDR_OFFSET_MASK) + off / 8) |
				      (more ? RTE_IPV4_HDR_MF_FLAG : 0);
			uint16_t c;

			ip[6] = (uint8_t)(fo >> 8);
			ip[7] = (uint8_t)fo;
			ip[10] = ip[11] = 0;
			c = (uint16_t)~rte_raw_cksum(ip, hl);
			memcpy(ip + 10, &c, 2);
		}
		frags[nf++] = f;
		a->st[out].ev[EV_FRAGMENTS]++;
		if (nf == VFAPP_BURST) {
			tx_flush(a, out, frags, nf);
			nf = 0;
		}
	}
	tx_flush(a, out, frags, nf);
	rte_pktmbuf_free(m);
}

/*
 * --fix-l4-csum: recompute the TCP/UDP checksum of an unfragmented packet in software
 * (a kernel peer with checksum offload on leaves the pseudo-header sum there).
 */
static void fix_l4_csum(struct vfapp_appliance *a, unsigned int in, struct rte_mbuf *m,
			const struct pkt_info *pi)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, pi->l3_off);
	uint16_t *csum;

	if (rte_be_to_cpu_16(ip->fragment_offset) &
	    (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return;
	if (pi->proto == IPPROTO_TCP && m->data_len >= pi->l4_off + 20)
		csum = rte_pktmbuf_mtod_offset(m, uint16_t *, pi->l4_off + 16);
	else if (pi->proto == IPPROTO_UDP && m->data_len >= pi->l4_off + 8)
		csum = rte_pktmbuf_mtod_offset(m, uint16_t *, pi->l4_off + 6);
	else
		return;
	if (pi->proto == IPPROTO_UDP && *csum == 0)
		return; /* no UDP checksum: nothing to complete */
	*csum = 0;
	*csum = rte_ipv4_udptcp_cksum_mbuf(m, ip, pi->l4_off);
	a->st[in].ev[EV_L4_CSUM_FIXED]++;
}

static inline bool is_port_addr(const struct vfapp_appliance *a, uint32_t ip)
{
	return (a->port_ip_set[0] && ip == a->port_ip[0]) ||
	       (a->port_ip_set[1] && ip == a->port_ip[1]);
}

#define NO_HOP UINT32_MAX

/*
 * LPM next hops of a burst, four at a time (rte_lpm_lookupx4, as l3fwd-lpm does), from the
 * IPv4 destination at its fixed offset (14 + 16); frames that turn out not to be valid IPv4
 * ignore theirs. The headers are prefetched first so the loads overlap.
 */
static void lookup_burst(const struct vfapp_appliance *a, struct rte_mbuf **pkts, unsigned int n,
			 uint32_t *hop)
{
	uint32_t dst[VFAPP_BURST + 3];
	unsigned int i;

	for (i = 0; i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];

		dst[i] = m->data_len >= RTE_ETHER_HDR_LEN + 20 ?
				 pkt_rd32(rte_pktmbuf_mtod_offset(m, const uint8_t *,
							      RTE_ETHER_HDR_LEN + 16)) :
				 0;
	}
	for (; i % 4 != 0; i++)
		dst[i] = 0;
	for (i = 0; i < n; i += 4)
		rte_lpm_lookupx4(a->lpm,
				 _mm_setr_epi32((int)dst[i], (int)dst[i + 1], (int)dst[i + 2],
						(int)dst[i + 3]),
				 hop + i, NO_HOP);
}

/* Frames queued for transmission during one step, per output port (both input ports' bursts:
 * one TX burst per output port per step, as l3fwd fills its TX buffers before sending). */
struct tx_queue {
	struct rte_mbuf *m[VFAPP_NB_PORTS][VFAPP_NB_PORTS * VFAPP_BURST];
	unsigned int n[VFAPP_NB_PORTS];
};

static void tx_queue_flush(struct vfapp_appliance *a, struct tx_queue *q)
{
	for (unsigned int i = 0; i < VFAPP_NB_PORTS; i++) {
		tx_flush(a, i, q->m[i], q->n[i]);
		q->n[i] = 0;
	}
}

/*
 * The IPv4 header of a forwarded packet leaving on port out: TTL - 1, and its checksum
 * either left to the port (RTE_MBUF_F_TX_IP_CKSUM: zeroed here, l2/l3 lengths set) or
 * updated incrementally (pkt_ttl_dec). ip at l3_off in m, l3_len bytes of header.
 */
static inline void ip_out(struct rte_mbuf *m, uint8_t *ip, uint16_t l3_off, uint16_t l3_len,
			  bool hw_ip_csum)
{
	if (hw_ip_csum) {
		ip[8]--;
		ip[10] = ip[11] = 0;
		m->l2_len = l3_off;
		m->l3_len = l3_len;
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	} else {
		pkt_ttl_dec(ip);
	}
}

/*
 * Validate, route and rewrite one received frame the fast path did not take (any frame:
 * ARP, options, TTL expiry, ICMP errors, neighbour resolution, fragmentation, drops with
 * their counters); queue it on q if it is forwarded. hop: its LPM next hop (NO_HOP).
 */
static void slow_one(struct vfapp_appliance *a, unsigned int in, struct rte_mbuf *m, uint32_t hop,
		     struct tx_queue *q)
{
	struct rte_mbuf *(*out)[VFAPP_NB_PORTS * VFAPP_BURST] = q->m;
	unsigned int *nout = q->n;
	struct rte_ether_hdr *eth;
	const struct rte_ether_addr *dmac;
	const struct vfapp_route *r;
	const uint8_t *ip;
	struct pkt_info pi;
	enum pkt_verdict v;
	uint32_t nh, src, dst;
	uint16_t etype;

	if (a->dma_check && device_dma(a, m, IOVA_PROT_WRITE) != 0) {
		drop(a, in, DROP_DMA_FAULT, m);
		return;
	}
	if (m->data_len < RTE_ETHER_HDR_LEN) {
		drop(a, in, DROP_TRUNC_ETH, m);
		return;
	}
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	etype = rte_be_to_cpu_16(eth->ether_type);
	/* L2: our unicast MAC (configured or the device's), or broadcast for ARP */
	if (unlikely(!rte_is_same_ether_addr(&eth->dst_addr, &a->port_mac[in]) &&
		     !rte_is_same_ether_addr(&eth->dst_addr, &a->hw_mac[in]))) {
		if (!rte_is_multicast_ether_addr(&eth->dst_addr))
			drop(a, in, DROP_NOT_OUR_MAC, m);
		else if (rte_is_broadcast_ether_addr(&eth->dst_addr) &&
			 etype == RTE_ETHER_TYPE_ARP)
			arp_input(a, in, m);
		else
			drop(a, in, DROP_L2_BCAST, m);
		return;
	}
	if (unlikely(etype != RTE_ETHER_TYPE_IPV4)) {
		if (etype == RTE_ETHER_TYPE_ARP)
			arp_input(a, in, m);
		else if (etype == RTE_ETHER_TYPE_VLAN || etype == RTE_ETHER_TYPE_QINQ)
			drop(a, in, DROP_VLAN, m);
		else
			drop(a, in, DROP_NOT_IPV4, m);
		return;
	}
	/* headers must be in the first segment (every PMD puts >= 128 bytes there) */
	if (unlikely(m->data_len < m->pkt_len && m->data_len < RTE_ETHER_HDR_LEN + 60)) {
		drop(a, in, DROP_TRUNC_IP, m);
		return;
	}
	v = pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->pkt_len, &pi);
	if (unlikely(v != PKT_OK && v != PKT_TTL_EXPIRED)) {
		drop(a, in, (unsigned int)v, m);
		return;
	}
	ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, RTE_ETHER_HDR_LEN);
	src = pkt_rd32(ip + 12);
	dst = pkt_rd32(ip + 16);
	if (unlikely(vfapp_martian_src(src))) {
		drop(a, in, DROP_MARTIAN_SRC, m);
		return;
	}
	if (unlikely(vfapp_martian_dst(dst))) {
		drop(a, in, DROP_MARTIAN_DST, m);
		return;
	}
	if (unlikely(is_port_addr(a, dst))) {
		drop(a, in, DROP_LOCAL, m);
		return;
	}
	if (unlikely(v == PKT_TTL_EXPIRED)) {
		icmp_error(a, in, m, VFAPP_ICMP_TIME_EXCEEDED, VFAPP_ICMP_TTL_EXCEEDED, 0,
			   EV_ICMP_TIME_EXCEEDED);
		drop(a, in, DROP_TTL_EXPIRED, m);
		return;
	}
	nh = hop;
	if (nh == NO_HOP || nh >= a->routes->nb_routes) {
		icmp_error(a, in, m, VFAPP_ICMP_DEST_UNREACH, VFAPP_ICMP_NET_UNREACH, 0,
			   EV_ICMP_UNREACH);
		drop(a, in, DROP_UNROUTABLE, m);
		return;
	}
	if (a->drop_every != 0 && ++a->drop_ctr % a->drop_every == 0) {
		drop(a, in, DROP_INDUCED, m);
		return;
	}
	r = &a->routes->routes[nh];
	if (likely(r->nh_kind == VFAPP_NH_MAC)) {
		dmac = &r->nh_mac;
	} else {
		uint32_t via = r->nh_kind == VFAPP_NH_VIA ? r->nh_ip : dst;
		struct vfapp_neigh *e = vfapp_neigh_get(&a->neigh[r->port], via);

		if (e == NULL || e->state != NEIGH_REACHABLE) {
			if (e != NULL && a->port_ip_set[r->port])
				arp_solicit(a, r->port, e);
			drop(a, in, DROP_NO_NEIGH, m);
			return;
		}
		dmac = &e->mac;
	}
	if (unlikely(a->mtu[r->port] != 0 && pi.ip_totlen > a->mtu[r->port])) {
		if (ip[6] & 0x40) { /* DF */
			icmp_error(a, in, m, VFAPP_ICMP_DEST_UNREACH,
				   VFAPP_ICMP_FRAG_NEEDED, a->mtu[r->port],
				   EV_ICMP_FRAG_NEEDED);
			drop(a, in, DROP_FRAG_NEEDED, m);
			return;
		}
		rte_ether_addr_copy(dmac, &eth->dst_addr);
		rte_ether_addr_copy(&a->port_mac[r->port], &eth->src_addr);
		pkt_ttl_dec(rte_pktmbuf_mtod_offset(m, uint8_t *, pi.l3_off));
		/* what is queued for that port leaves first: a flow keeps its order */
		tx_flush(a, r->port, out[r->port], nout[r->port]);
		nout[r->port] = 0;
		fragment(a, in, r->port, m, &pi);
		return;
	}
	rte_ether_addr_copy(dmac, &eth->dst_addr);
	rte_ether_addr_copy(&a->port_mac[r->port], &eth->src_addr);
	if (unlikely(a->fix_l4_csum))
		fix_l4_csum(a, in, m, &pi);
	ip_out(m, rte_pktmbuf_mtod_offset(m, uint8_t *, pi.l3_off), pi.l3_off, pi.l3_len,
	       a->hw_ip_csum[r->port]);
	out[r->port][nout[r->port]++] = m;
}

/* The 6 bytes at p as a 64-bit value (zero above them): MAC compares in one instruction. */
static inline uint64_t mac48(const void *p)
{
	uint64_t v = 0;

	memcpy(&v, p, 6);
	return v;
}

/*
 * The fast path takes the common frame only: one segment, addressed to the input port's
 * MAC, IPv4 without options, TTL > 1, a good header checksum (the PMD's RX flag, or
 * verified here), unicast source and destination that are not martian nor the appliance's
 * own, a route with a static next-hop MAC and a packet within the egress MTU; and only when
 * no per-frame option is on (DMA check, --drop-every, --fix-l4-csum). Such a frame gets
 * exactly what slow_one() would do to it; every other frame goes to slow_one(), the one
 * place that knows the router's duties and their counters. What the fast path saves is
 * the re-reading of the appliance's state per frame: it is loaded once per burst.
 */
struct fast_state {
	uint64_t mac_in, hw_in, mask48;
	uint32_t ip_local[VFAPP_NB_PORTS]; /**< 0 (martian: never a destination here) if unset */
	uint16_t mtu[VFAPP_NB_PORTS]; /**< 0xffff when the port has none */
	bool hw_ip_csum[VFAPP_NB_PORTS];
	const struct vfapp_route *routes;
	uint32_t nb_routes;
};

static inline bool fast_one(struct vfapp_appliance *a, const struct fast_state *f,
			    struct rte_mbuf *m, uint32_t nh, struct tx_queue *q)
{
	uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *), *ip = eth + RTE_ETHER_HDR_LEN;
	const struct vfapp_route *r;
	uint64_t d;
	uint32_t src, dst;
	uint16_t et, totlen;
	unsigned int o;

	if (m->data_len != m->pkt_len || m->data_len < RTE_ETHER_HDR_LEN + 20)
		return false;
	memcpy(&d, eth, 8); /* destination MAC and 2 bytes of the source: 14 bytes are there */
	d &= f->mask48;
	memcpy(&et, eth + 12, 2);
	if ((d != f->mac_in && d != f->hw_in) || et != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    ip[0] != 0x45 || ip[8] <= 1)
		return false;
	totlen = pkt_rd16(ip + 2);
	if (totlen > m->data_len - RTE_ETHER_HDR_LEN || totlen < 20)
		return false;
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD &&
	    !pkt_ipv4_csum_ok(ip, 20))
		return false;
	src = pkt_rd32(ip + 12);
	dst = pkt_rd32(ip + 16);
	if (vfapp_martian_src(src) || vfapp_martian_dst(dst) || dst == f->ip_local[0] ||
	    dst == f->ip_local[1] || nh >= f->nb_routes)
		return false;
	r = &f->routes[nh];
	o = r->port;
	if (r->nh_kind != VFAPP_NH_MAC || totlen > f->mtu[o])
		return false;
	rte_ether_addr_copy(&r->nh_mac, (struct rte_ether_addr *)eth);
	rte_ether_addr_copy(&a->port_mac[o], (struct rte_ether_addr *)(eth + 6));
	ip_out(m, ip, RTE_ETHER_HDR_LEN, 20, f->hw_ip_csum[o]);
	q->m[o][q->n[o]++] = m;
	return true;
}

/* Validate, route and rewrite one received burst (n <= VFAPP_BURST); queue what is forwarded. */
static void process_burst(struct vfapp_appliance *a, unsigned int in, struct rte_mbuf **pkts,
			  unsigned int n, struct tx_queue *q)
{
	static const uint8_t ones[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint32_t hop[VFAPP_BURST + 3];
	struct fast_state f;
	uint64_t bytes = 0;
	unsigned int i, p;
	bool fast;

	a->st[in].rx += n;
	lookup_burst(a, pkts, n, hop);
	fast = !a->dma_check && a->drop_every == 0 && !a->fix_l4_csum;
	memcpy(&f.mask48, ones, 8);
	f.mac_in = mac48(&a->port_mac[in]);
	f.hw_in = mac48(&a->hw_mac[in]);
	for (p = 0; p < VFAPP_NB_PORTS; p++) {
		f.ip_local[p] = a->port_ip_set[p] ? a->port_ip[p] : 0;
		f.mtu[p] = a->mtu[p] ? a->mtu[p] : UINT16_MAX;
		f.hw_ip_csum[p] = a->hw_ip_csum[p];
	}
	f.routes = a->routes->routes;
	f.nb_routes = a->routes->nb_routes;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		bytes += m->pkt_len;
		if (likely(fast) && likely(fast_one(a, &f, m, hop[i], q)))
			continue;
		slow_one(a, in, m, hop[i], q);
	}
	a->st[in].rx_bytes += bytes;
}

void vfapp_appliance_process(struct vfapp_appliance *a, unsigned int in, struct rte_mbuf **pkts,
			     unsigned int n)
{
	struct tx_queue q;

	memset(q.n, 0, sizeof(q.n)); /* not the 1 KiB of pointers: no memset of it per call */
	for (unsigned int i = 0; i < n; i += VFAPP_BURST) {
		process_burst(a, in, pkts + i, n - i < VFAPP_BURST ? n - i : VFAPP_BURST, &q);
		tx_queue_flush(a, &q);
	}
}

unsigned int vfapp_appliance_step(struct vfapp_appliance *a)
{
	struct rte_mbuf *pkts[VFAPP_BURST];
	struct tx_queue q;
	unsigned int p, n, total = 0;

	memset(q.n, 0, sizeof(q.n)); /* not the 1 KiB of pointers: no memset of it per step */
	if (a->ctx != NULL)
		iova_ctx_poll(a->ctx, a->cpu);
	for (p = 0; p < VFAPP_NB_PORTS; p++) {
		n = a->port[p].ops != NULL ?
			    a->port[p].ops->rx_burst(a->port[p].dev, pkts, VFAPP_BURST) :
			    rte_eth_rx_burst(a->port_id[p], a->queue, pkts, VFAPP_BURST);
		if (n == 0)
			continue;
		process_burst(a, p, pkts, n, &q);
		total += n;
	}
	tx_queue_flush(a, &q);
	a->polls++;
	if (total == 0)
		a->idle_polls++;
	return total;
}

void vfapp_appliance_reset_stats(struct vfapp_appliance *a)
{
	memset(a->st, 0, sizeof(a->st));
	a->dma_mismatch = 0;
	a->polls = a->idle_polls = 0;
	a->halts = a->halt_timeouts = 0;
}

void vfapp_appliance_add_stats(struct vfapp_appliance *into, const struct vfapp_appliance *from)
{
	unsigned int p, r;

	for (p = 0; p < VFAPP_NB_PORTS; p++) {
		into->st[p].rx += from->st[p].rx;
		into->st[p].rx_bytes += from->st[p].rx_bytes;
		into->st[p].tx += from->st[p].tx;
		into->st[p].tx_bytes += from->st[p].tx_bytes;
		for (r = 0; r < DROP__COUNT; r++)
			into->st[p].drops[r] += from->st[p].drops[r];
		for (r = 0; r < EV__COUNT; r++)
			into->st[p].ev[r] += from->st[p].ev[r];
	}
	into->dma_mismatch += from->dma_mismatch;
	into->polls += from->polls;
	into->idle_polls += from->idle_polls;
}

void vfapp_appliance_totals(const struct vfapp_appliance *a, struct vfapp_port_stats *tot)
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
		for (r = 0; r < EV__COUNT; r++)
			tot->ev[r] += a->st[p].ev[r];
	}
}

void vfapp_appliance_print(const struct vfapp_appliance *a, FILE *f)
{
	unsigned int p, r;
	bool any;

	for (p = 0; p < VFAPP_NB_PORTS; p++) {
		const struct vfapp_port_stats *s = &a->st[p];

		fprintf(f,
			"vfapp: port %u: rx %" PRIu64 " pkts %" PRIu64 " bytes, tx %" PRIu64
			" pkts %" PRIu64 " bytes, drops:",
			p, s->rx, s->rx_bytes, s->tx, s->tx_bytes);
		for (r = 1; r < DROP__COUNT; r++)
			if (s->drops[r] != 0)
				fprintf(f, " %s=%" PRIu64, drop_names[r], s->drops[r]);
		for (r = 0, any = false; r < EV__COUNT; r++) {
			if (s->ev[r] == 0)
				continue;
			fprintf(f, "%s %s=%" PRIu64, any ? "" : "; router:", event_names[r],
				s->ev[r]);
			any = true;
		}
		fprintf(f, "\n");
	}
}
