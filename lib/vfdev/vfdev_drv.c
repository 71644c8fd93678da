/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vfdev_drv.c
 * The driver half of the vfdev: what DPDK's iavf PMD does on the guest's vCPU
 * (drivers/net/iavf/iavf_rxtx.c iavf_recv_pkts_bulk_alloc(), iavf_rx_alloc_bufs(),
 * iavf_xmit_pkts(); iavf_rxtx_vec_common.h iavf_tx_free_bufs()):
 *  - RX: scan descriptors in ring order for DD, hand their mbufs up; once
 *    rx_free_thresh descriptors are held, take that many buffers from the pool in
 *    one rte_mempool_get_bulk() (the iova mempool maps them as one burst), write their
 *    IOVAs into the descriptors and write the tail register once;
 *  - TX: when fewer than tx_free_thresh descriptors are free, look at the DD of the
 *    RS descriptor tx_next_dd; when done, free its tx_free_thresh buffers with one
 *    rte_mempool_put_bulk() per pool (the iova mempool unmaps them as one burst:
 *    ring's strategy gets its batches); post packets with RS on every
 *    tx_free_thresh-th descriptor and write the tail once.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "vfdev_priv.h"

static inline uint64_t qw1_load(const struct vfdev_desc *dsc)
{
	return __atomic_load_n(&dsc->qw1, __ATOMIC_ACQUIRE);
}

/** Refill rx_free_thresh descriptors at rx_tail in one bulk. @return 0 or -ENOMEM. */
static int rx_refill_one(struct vfdev *d)
{
	uint16_t thresh = d->p.rx_free_thresh, i, idx;
	struct rte_mbuf *ms[thresh];
	int rc = 0;

	vfdev_life_busy_begin();
	if (rte_mempool_get_bulk(d->p.pool, (void **)ms, thresh) != 0) {
		d->drv.rx_alloc_failed++;
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < thresh; i++) {
		struct rte_mbuf *m = ms[i];

		idx = (uint16_t)((d->rx_tail + i) & d->rx_mask);
		rte_mbuf_refcnt_set(m, 1);
		m->next = NULL;
		m->nb_segs = 1;
		m->data_off = RTE_PKTMBUF_HEADROOM;
		m->port = d->p.port_id;
		vfdev_life_alloc(m);
		d->rx_sw[idx] = m;
		d->rx_ring[idx].qw0 = vfdev_buf_bus(d, m) + RTE_PKTMBUF_HEADROOM;
		__atomic_store_n(&d->rx_ring[idx].qw1, 0, __ATOMIC_RELAXED);
	}
	d->rx_tail = (uint16_t)((d->rx_tail + thresh) & d->rx_mask);
	/* the descriptor stores are visible before the tail (a write barrier before
	 * IAVF_PCI_REG_WRITE in iavf) */
	__atomic_store_n(&d->regs.rx_tail, d->rx_tail, __ATOMIC_RELEASE);
	d->drv.rx_refills++;
out:
	vfdev_life_busy_end();
	return rc;
}

static void rx_refill(struct vfdev *d)
{
	uint16_t n = d->rx_mask + 1;

	for (;;) {
		uint16_t posted = (uint16_t)((d->rx_tail - d->rx_next) & d->rx_mask);
		uint16_t held = (uint16_t)(n - 1 - posted);

		if (held < d->p.rx_free_thresh || rx_refill_one(d) != 0)
			return;
	}
}

int vfdev_drv_start(struct vfdev *d)
{
	rx_refill(d);
	return d->rx_tail == d->rx_next ? -ENOMEM : 0;
}

uint16_t vfdev_rx_burst(struct vfdev *d, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t nb = 0;

	while (nb < n) {
		uint16_t idx = d->rx_next;
		struct vfdev_desc *dsc = &d->rx_ring[idx];
		uint64_t qw1;
		struct rte_mbuf *m;

		if (idx == d->rx_tail)
			break; /* nothing posted */
		qw1 = qw1_load(dsc);
		if (!(qw1 & VFDEV_RXD_DD))
			break;
		m = d->rx_sw[idx];
		d->rx_sw[idx] = NULL;
		d->rx_next = (uint16_t)((idx + 1) & d->rx_mask);
		if (qw1 & (VFDEV_RXD_ERR_DMA | VFDEV_RXD_ERR_OVERSIZE)) {
			d->drv.rx_errors++;
			vfdev_life_busy_begin();
			rte_pktmbuf_free(m);
			vfdev_life_free(m, rte_rdtsc());
			vfdev_life_busy_end();
			continue;
		}
		uint32_t len = (uint32_t)((qw1 >> VFDEV_RXD_LEN_SHIFT) & VFDEV_RXD_LEN_MASK);

		m->data_off = RTE_PKTMBUF_HEADROOM;
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		m->nb_segs = 1;
		m->next = NULL;
		m->ol_flags = 0;
		m->packet_type = 0;
		m->port = d->p.port_id;
		pkts[nb++] = m;
		d->drv.rx_packets++;
		d->drv.rx_bytes += len;
	}
	rx_refill(d);
	return nb;
}

/** Free the tx_free_thresh buffers of the completed RS block. @return buffers freed or 0. */
static unsigned int tx_free_bufs(struct vfdev *d)
{
	uint16_t thresh = d->p.tx_free_thresh;
	uint16_t first = (uint16_t)((d->tx_next_dd - (thresh - 1)) & d->tx_mask);
	struct rte_mbuf *fr[thresh], *done[thresh];
	unsigned int nf = 0, nd = 0, i;

	if ((qw1_load(&d->tx_ring[d->tx_next_dd]) & VFDEV_TXD_DTYPE_MASK) != VFDEV_TXD_DTYPE_DONE)
		return 0;
	vfdev_life_busy_begin();
	for (i = 0; i < thresh; i++) {
		uint16_t idx = (uint16_t)((first + i) & d->tx_mask);
		struct rte_mbuf *m = rte_pktmbuf_prefree_seg(d->tx_sw[idx]);

		d->tx_sw[idx] = NULL;
		if (m == NULL)
			continue; /* still referenced elsewhere */
		done[nd++] = m;
		if (nf && m->pool != fr[0]->pool) {
			rte_mempool_put_bulk(fr[0]->pool, (void **)fr, nf);
			nf = 0;
		}
		fr[nf++] = m;
	}
	if (nf)
		rte_mempool_put_bulk(fr[0]->pool, (void **)fr, nf);
	/* after the put: the strategy's unmap (and wait) is done */
	uint64_t now = rte_rdtsc();

	for (i = 0; i < nd; i++)
		vfdev_life_free(done[i], now);
	vfdev_life_busy_end();
	d->tx_nb_free = (uint16_t)(d->tx_nb_free + thresh);
	d->tx_next_dd = (uint16_t)((d->tx_next_dd + thresh) & d->tx_mask);
	d->drv.tx_frees++;
	return thresh;
}

uint16_t vfdev_tx_burst(struct vfdev *d, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t thresh = d->p.tx_free_thresh, i;

	if (d->tx_nb_free < thresh)
		tx_free_bufs(d);
	for (i = 0; i < n && d->tx_nb_free > 0; i++) {
		struct rte_mbuf *m = pkts[i];
		uint16_t idx = d->tx_tail;
		uint64_t cmd = VFDEV_TXD_CMD_EOP;

		if (m->nb_segs != 1 || m->data_len == 0 || m->data_len > VFDEV_MAX_FRAME)
			break; /* one buffer per frame: the caller keeps the rest */
		if ((idx & (thresh - 1)) == thresh - 1)
			cmd |= VFDEV_TXD_CMD_RS;
		vfdev_life_use(m);
		d->tx_sw[idx] = m;
		d->tx_ring[idx].qw0 = vfdev_buf_bus(d, m) + m->data_off;
		__atomic_store_n(&d->tx_ring[idx].qw1,
				 VFDEV_TXD_DTYPE_DATA | cmd |
					 ((uint64_t)m->data_len << VFDEV_TXD_BSZ_SHIFT),
				 __ATOMIC_RELAXED);
		d->tx_tail = (uint16_t)((idx + 1) & d->tx_mask);
		d->tx_nb_free--;
		d->drv.tx_packets++;
		d->drv.tx_bytes += m->data_len;
	}
	if (i)
		__atomic_store_n(&d->regs.tx_tail, d->tx_tail, __ATOMIC_RELEASE);
	d->drv.tx_ring_full += (uint64_t)(n - i);
	return i;
}

void vfdev_drv_release(struct vfdev *d)
{
	unsigned int i;

	for (i = 0; i <= d->rx_mask; i++)
		if (d->rx_sw[i]) {
			rte_pktmbuf_free(d->rx_sw[i]);
			d->rx_sw[i] = NULL;
		}
	for (i = 0; i <= d->tx_mask; i++)
		if (d->tx_sw[i]) {
			rte_pktmbuf_free_seg(d->tx_sw[i]);
			d->tx_sw[i] = NULL;
		}
}
