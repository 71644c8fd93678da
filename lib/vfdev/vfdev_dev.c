/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vfdev_dev.c
 * The device half of the vfdev: the VF's DMA engine. Everything it touches in
 * guest memory -- descriptors and buffers -- it reaches by IOVA through the IOMMU
 * (iova_ctx_dma(): with the soft VT-d an IOTLB lookup and, on a miss, a 4-level walk
 * of the page tables in memory; a fault is recorded in the VT-d fault log and the
 * access does not happen). Descriptors are guest-controlled, hence untrusted: every
 * field is checked before use (tests/vfdev/fuzz_vfdev_desc.c).
 *
 * RX (wire -> guest): for each frame on wire_in and each descriptor between the
 * device's head and the tail register: fetch the descriptor (DMA read), write the
 * frame into its buffer (DMA write), write the descriptor back with DD/EOP/length
 * (DMA write); a faulting buffer completes the descriptor with an error status and
 * drops the frame. TX (guest -> wire): fetch, read the buffer into a wire mbuf,
 * enqueue it on wire_out, write DESC_DONE back into RS descriptors. A faulting
 * descriptor fetch or write-back stops the queue (real devices report this as a
 * malicious-driver event and need a reset).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "iova.h"
#include "vfdev_priv.h"

/** One DMA translation by the device. */
static inline int dev_dma(struct vfdev *d, uint64_t iova, size_t len, int access, void **host)
{
	d->dev.dev_translations++;
	if (!d->p.ctx) {
		*host = (void *)(uintptr_t)iova; /* no IOMMU: bus address = host address */
		return 0;
	}
	return iova_ctx_dma(d->p.ctx, iova, len, access, host);
}

/**
 * Copy len bytes between buf and guest memory at iova (access WRITE: buf -> guest).
 * Ranges that translate page by page to non-contiguous host memory are copied per page.
 * @return 0, or the translation's -errno (nothing copied).
 */
static int dev_copy(struct vfdev *d, uint64_t iova, void *buf, size_t len, int access,
		    uintptr_t *host0)
{
	void *h;
	int rc = dev_dma(d, iova, len, access, &h);

	if (rc == 0) {
		if (access == IOVA_PROT_WRITE)
			memcpy(h, buf, len);
		else
			memcpy(buf, h, len);
		*host0 = (uintptr_t)h;
		return 0;
	}
	if (rc != -ERANGE)
		return rc;
	/* every page translates (no fault), the host pages are scattered: per page */
	for (size_t off = 0; off < len;) {
		size_t chunk = IOVA_PAGE_SIZE - ((iova + off) & (IOVA_PAGE_SIZE - 1));

		if (chunk > len - off)
			chunk = len - off;
		rc = dev_dma(d, iova + off, chunk, access, &h);
		if (rc)
			return rc;
		if (off == 0)
			*host0 = (uintptr_t)h;
		if (access == IOVA_PROT_WRITE)
			memcpy(h, (uint8_t *)buf + off, chunk);
		else
			memcpy((uint8_t *)buf + off, h, chunk);
		off += chunk;
	}
	return 0;
}

/** Fetch descriptor idx of a ring (DMA read). @return 0 or -errno (queue must stop). */
static int desc_fetch(struct vfdev *d, uint64_t ring_iova, uint16_t idx, struct vfdev_desc *out)
{
	void *h;
	int rc = dev_dma(d, ring_iova + (uint64_t)idx * sizeof(*out), sizeof(*out), IOVA_PROT_READ,
			 &h);

	if (rc)
		return rc;
	out->qw0 = __atomic_load_n(&((struct vfdev_desc *)h)->qw0, __ATOMIC_RELAXED);
	out->qw1 = __atomic_load_n(&((struct vfdev_desc *)h)->qw1, __ATOMIC_RELAXED);
	return 0;
}

/** Write back qw1 of descriptor idx (DMA write), release ordered after the data. */
static int desc_writeback(struct vfdev *d, uint64_t ring_iova, uint16_t idx, uint64_t qw1)
{
	void *h;
	int rc = dev_dma(d, ring_iova + (uint64_t)idx * sizeof(struct vfdev_desc),
			 sizeof(struct vfdev_desc), IOVA_PROT_WRITE, &h);

	if (rc)
		return rc;
	__atomic_store_n(&((struct vfdev_desc *)h)->qw1, qw1, __ATOMIC_RELEASE);
	return 0;
}

/** Remember a completed buffer for the attack mode. */
static void attack_remember(struct vfdev *d, uint64_t iova, uintptr_t host, struct rte_mbuf *m)
{
	struct vfdev_attack_rec *r;
	unsigned int slot;

	if (!d->p.attack || m == NULL)
		return;
	if (d->hist_count == VFDEV_ATTACK_HIST) { /* forget the oldest */
		d->hist_head = (d->hist_head + 1) % VFDEV_ATTACK_HIST;
		d->hist_count--;
	}
	slot = (d->hist_head + d->hist_count) % VFDEV_ATTACK_HIST;
	r = &d->hist[slot];
	r->iova = iova;
	r->host = host;
	r->tsc = rte_rdtsc();
	r->m = m;
	r->epoch = vfdev_life_epoch(m);
	r->buf_bus = vfdev_buf_bus(d, m);
	d->hist_count++;
}

static void queue_stop(struct vfdev *d, bool rx)
{
	if (rx)
		d->dev_rx_stopped = true;
	else
		d->dev_tx_stopped = true;
	d->dev.dev_desc_faults++;
}

static unsigned int dev_rx(struct vfdev *d)
{
	struct rte_mbuf *f[VFDEV_DEV_BURST];
	uint32_t tail;
	uint16_t head = d->dev_rx_head;
	unsigned int avail, n, i;

	if (d->dev_rx_stopped)
		return 0;
	tail = __atomic_load_n(&d->regs.rx_tail, __ATOMIC_ACQUIRE);
	if (tail > d->rx_mask) {
		d->dev_rx_stopped = true;
		d->dev.dev_bad_tail++;
		return 0;
	}
	avail = (tail - head) & d->rx_mask;
	if (avail == 0)
		return 0;
	n = avail < VFDEV_DEV_BURST ? avail : VFDEV_DEV_BURST;
	n = rte_ring_sc_dequeue_burst(d->p.wire_in, (void **)f, n, NULL);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *w = f[i];
		uint32_t len = rte_pktmbuf_pkt_len(w);
		uint64_t st = VFDEV_RXD_DD | VFDEV_RXD_EOP;
		struct vfdev_desc dsc;
		uintptr_t host = 0;
		const void *data;

		if (desc_fetch(d, d->rx_ring_iova, head, &dsc) != 0) {
			queue_stop(d, true);
			break;
		}
		if (len > d->rx_buf_len || len > VFDEV_RXD_LEN_MASK) {
			d->dev.dev_rx_oversize++;
			st |= VFDEV_RXD_ERR_OVERSIZE;
			len = 0;
		} else {
			data = rte_pktmbuf_read(w, 0, len, d->bounce);
			if (data == NULL || dev_copy(d, dsc.qw0, (void *)(uintptr_t)data, len,
						     IOVA_PROT_WRITE, &host) != 0) {
				d->dev.dev_rx_faults++;
				st |= VFDEV_RXD_ERR_DMA;
				len = 0;
			} else {
				d->dev.dev_rx_frames++;
				attack_remember(d, dsc.qw0, host, d->rx_sw[head]);
			}
		}
		if (desc_writeback(d, d->rx_ring_iova, head,
				   st | ((uint64_t)len << VFDEV_RXD_LEN_SHIFT)) != 0) {
			queue_stop(d, true);
			break;
		}
		head = (uint16_t)((head + 1) & d->rx_mask);
	}
	rte_pktmbuf_free_bulk(f, n); /* frames taken off the wire (delivered or dropped) */
	d->dev_rx_head = head;
	__atomic_store_n(&d->regs.rx_head, head, __ATOMIC_RELEASE);
	return i;
}

static unsigned int dev_tx(struct vfdev *d)
{
	struct rte_mbuf *w[VFDEV_DEV_BURST], *out[VFDEV_DEV_BURST];
	uint32_t tail;
	uint16_t head = d->dev_tx_head;
	unsigned int avail, n, i, k = 0, used = 0;

	if (d->dev_tx_stopped)
		return 0;
	tail = __atomic_load_n(&d->regs.tx_tail, __ATOMIC_ACQUIRE);
	if (tail > d->tx_mask) {
		d->dev_tx_stopped = true;
		d->dev.dev_bad_tail++;
		return 0;
	}
	avail = (tail - head) & d->tx_mask;
	if (avail == 0)
		return 0;
	n = avail < VFDEV_DEV_BURST ? avail : VFDEV_DEV_BURST;
	i = rte_ring_free_count(d->p.wire_out);
	if (n > i)
		n = i; /* the wire is busy: the rest waits in the ring (no drop) */
	if (n == 0 || rte_pktmbuf_alloc_bulk(d->p.wire_pool, w, n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		struct vfdev_desc dsc;
		uint64_t wb = 0, len;
		uintptr_t host = 0;
		bool rs;

		if (desc_fetch(d, d->tx_ring_iova, head, &dsc) != 0) {
			queue_stop(d, false);
			break;
		}
		len = (dsc.qw1 >> VFDEV_TXD_BSZ_SHIFT) & VFDEV_TXD_BSZ_MASK;
		rs = dsc.qw1 & VFDEV_TXD_CMD_RS;
		if ((dsc.qw1 & VFDEV_TXD_DTYPE_MASK) != VFDEV_TXD_DTYPE_DATA || len == 0 ||
		    len > VFDEV_MAX_FRAME || len > rte_pktmbuf_tailroom(w[used])) {
			d->dev.dev_bad_desc++;
			wb = VFDEV_TXD_WB_ERR;
		} else if (dev_copy(d, dsc.qw0, rte_pktmbuf_mtod(w[used], void *), len,
				    IOVA_PROT_READ, &host) != 0) {
			d->dev.dev_tx_faults++;
			wb = VFDEV_TXD_WB_ERR;
		} else {
			struct rte_mbuf *m = w[used++];

			m->data_len = (uint16_t)len;
			m->pkt_len = (uint32_t)len;
			out[k++] = m;
			d->dev.dev_tx_frames++;
			attack_remember(d, dsc.qw0, host, d->tx_sw[head]);
		}
		if ((rs || wb) && desc_writeback(d, d->tx_ring_iova, head,
						 (dsc.qw1 & ~VFDEV_TXD_DTYPE_MASK) |
							 VFDEV_TXD_DTYPE_DONE | wb) != 0) {
			queue_stop(d, false);
			break;
		}
		head = (uint16_t)((head + 1) & d->tx_mask);
	}
	if (k)
		rte_ring_sp_enqueue_burst(d->p.wire_out, (void **)out, k, NULL); /* room checked */
	if (used < n)
		rte_pktmbuf_free_bulk(&w[used], n - used);
	d->dev_tx_head = head;
	__atomic_store_n(&d->regs.tx_head, head, __ATOMIC_RELEASE);
	return i;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median of the recorded success ages, in ns. */
uint64_t vfdev_dev_age_p50_ns(const struct vfdev *d)
{
	unsigned int n = d->nb_ages < VFDEV_ATTACK_AGES ? d->nb_ages : VFDEV_ATTACK_AGES;
	uint64_t *c, med;

	if (n == 0 || !d->tsc_hz)
		return 0;
	c = malloc(n * sizeof(*c));
	if (c == NULL)
		return 0;
	memcpy(c, d->ages, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_u64);
	med = c[n / 2];
	free(c);
	return (uint64_t)((double)med * 1e9 / (double)d->tsc_hz);
}

int vfdev_dev_attack_step(struct vfdev *d)
{
	struct vfdev_attack_rec *r;
	uint64_t s1, s2, e1, e2, now, target, cur_bus;
	void *h;
	int rc;

	if (d->hist_count == 0)
		return 0;
	r = &d->hist[d->hist_head];
	now = rte_rdtsc();
	s1 = vfdev_life_snapshot();
	e1 = vfdev_life_epoch(r->m);
	if (e1 == r->epoch) {
		/* not freed yet: wait, but not forever (a packet held by the application) */
		if ((now - r->tsc) * 1e9 / (double)d->tsc_hz > VFDEV_ATTACK_GIVEUP_NS)
			goto forget;
		return 0;
	}
	if (s1 == 0)
		return 0; /* a driver is mapping/unmapping right now: retry later */
	/* the recognisable write goes into the buffer's headroom when there is one, so the
	 * traffic under measurement is not altered; the IOMMU sees the same page either way */
	target = r->iova - r->buf_bus >= 64 ? r->iova - 64 : r->iova;
	rc = dev_dma(d, target, sizeof(uint64_t), IOVA_PROT_WRITE, &h);
	e2 = vfdev_life_epoch(r->m);
	cur_bus = vfdev_buf_bus(d, r->m);
	s2 = vfdev_life_snapshot();
	if (s2 != s1 || e2 != e1)
		return 0; /* raced with a driver: inconclusive, retry later */
	d->dev.attack_attempts++;
	if (rc != 0) {
		d->dev.attack_faults++;
	} else if ((uintptr_t)h != r->host - (r->iova - target)) {
		d->dev.attack_redirected++; /* the IOVA was re-used for another live mapping */
	} else if ((e2 & 1) && cur_bus == r->buf_bus) {
		d->dev.attack_legit++; /* mapped again at the same IOVA: the device's own buffer */
	} else {
		uint64_t ftsc = vfdev_life_free_tsc(r->m);

		__atomic_store_n((uint64_t *)h, VFDEV_ATTACK_PATTERN, __ATOMIC_RELAXED);
		d->dev.attack_successes++;
		if (e2 & 1)
			d->dev.attack_corruptions++;
		if (ftsc > r->tsc && now > ftsc) {
			uint64_t age = now - ftsc;

			d->ages[d->nb_ages++ % VFDEV_ATTACK_AGES] = age;
			uint64_t ns = (uint64_t)((double)age * 1e9 / (double)d->tsc_hz);

			if (ns > d->dev.attack_age_max_ns)
				d->dev.attack_age_max_ns = ns;
		}
	}
forget:
	d->hist_head = (d->hist_head + 1) % VFDEV_ATTACK_HIST;
	d->hist_count--;
	return 1;
}

unsigned int vfdev_dev_poll(struct vfdev *d)
{
	unsigned int ntx = dev_tx(d), nrx = dev_rx(d), n = ntx + nrx;

	/* one message per vector per round with completions (interrupt moderation by poll) */
	if (ntx)
		vfdev_msix_raise(d, VFDEV_MSIX_TX);
	if (nrx)
		vfdev_msix_raise(d, VFDEV_MSIX_RX);
	if (d->p.attack_irq && n)
		vfdev_irq_attack(d, n);

	if (d->p.attack) {
		d->attack_credit += n;
		/* bounded rate: one attempt per attack_period completions */
		if (d->attack_credit >= d->p.attack_period && vfdev_dev_attack_step(d))
			d->attack_credit -= d->p.attack_period;
		if (d->attack_credit > 64 * d->p.attack_period)
			d->attack_credit = 64 * d->p.attack_period;
	}
	return n;
}
