/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vfdev.c
 * vfdev creation (parameter checks, ring memory mapped through the DMA API like a
 * real driver's descriptor rings), destruction and counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "iova.h"
#include "vfdev_priv.h"

static int bad(const char *name, const char *what)
{
	fprintf(stderr, "vfdev %s: %s\n", name, what);
	errno = EINVAL;
	return -EINVAL;
}

static bool pow2_in(unsigned int v, unsigned int lo, unsigned int hi)
{
	return v >= lo && v <= hi && !(v & (v - 1));
}

static int check_params(struct vfdev_params *p)
{
	const char *n = p->name ? p->name : "?";

	if (!p->nb_rx_desc)
		p->nb_rx_desc = VFDEV_DEFAULT_NB_DESC;
	if (!p->nb_tx_desc)
		p->nb_tx_desc = VFDEV_DEFAULT_NB_DESC;
	if (!p->rx_free_thresh)
		p->rx_free_thresh = VFDEV_DEFAULT_FREE_THRESH;
	if (!p->tx_free_thresh)
		p->tx_free_thresh = VFDEV_DEFAULT_FREE_THRESH;
	if (!p->attack_period)
		p->attack_period = VFDEV_DEFAULT_ATTACK_PERIOD;
	if (!pow2_in(p->nb_rx_desc, 64, 4096) || !pow2_in(p->nb_tx_desc, 64, 4096))
		return bad(
			n,
			"nb_rx_desc / nb_tx_desc: use a power of two in 64..4096 (iavf ring limits)");
	if (!pow2_in(p->rx_free_thresh, 1, 4096) || p->rx_free_thresh >= p->nb_rx_desc)
		return bad(n,
			   "rx_free_thresh: use a power of two below nb_rx_desc (iavf default 32)");
	if (!pow2_in(p->tx_free_thresh, 1, 4096) || p->tx_free_thresh > p->nb_tx_desc / 2)
		return bad(
			n,
			"tx_free_thresh: use a power of two at most nb_tx_desc / 2 (iavf default 32)");
	if (!p->pool || !p->wire_in || !p->wire_out || !p->wire_pool)
		return bad(n, "pool, wire_in, wire_out and wire_pool are all needed");
	if (rte_pktmbuf_data_room_size(p->pool) <= RTE_PKTMBUF_HEADROOM)
		return bad(n, "pool: its data room must exceed RTE_PKTMBUF_HEADROOM");
	return 0;
}

/** Allocate ring memory (page aligned, zeroed) and map it read/write through ctx. */
static int ring_alloc(struct vfdev *d, unsigned int nb, struct vfdev_desc **ring, uint64_t *iova,
		      size_t *len)
{
	int rc;

	*len = RTE_ALIGN_CEIL(nb * sizeof(struct vfdev_desc), IOVA_PAGE_SIZE);
	*ring = rte_zmalloc("vfdev_ring", *len, IOVA_PAGE_SIZE);
	if (*ring == NULL)
		return -ENOMEM;
	if (!d->p.ctx) {
		*iova = (uint64_t)(uintptr_t)*ring;
		return 0;
	}
	rc = iova_ctx_map(d->p.ctx, *ring, *len, IOVA_PROT_RW, rte_lcore_id(), iova);
	if (rc < 0) {
		fprintf(stderr, "vfdev %s: mapping the descriptor ring: %s\n", d->name,
			strerror(-rc));
		rte_free(*ring);
		*ring = NULL;
	}
	return rc;
}

static void ring_free(struct vfdev *d, struct vfdev_desc *ring, uint64_t iova, size_t len)
{
	if (ring == NULL)
		return;
	if (d->p.ctx)
		iova_ctx_unmap(d->p.ctx, iova, len, rte_lcore_id());
	rte_free(ring);
}

struct vfdev *vfdev_create(const struct vfdev_params *params)
{
	struct vfdev_params p;
	struct vfdev *d;
	int rc;

	if (!params) {
		errno = EINVAL;
		return NULL;
	}
	p = *params;
	if (check_params(&p) < 0)
		return NULL;
	rc = vfdev_life_register();
	if (rc < 0) {
		fprintf(stderr, "vfdev: registering the mbuf dynamic field: %s\n", strerror(-rc));
		errno = -rc;
		return NULL;
	}
	d = rte_zmalloc("vfdev", sizeof(*d), RTE_CACHE_LINE_SIZE);
	if (d == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	d->p = p;
	snprintf(d->name, sizeof(d->name), "%s", p.name ? p.name : "vfdev");
	d->rx_mask = (uint16_t)(p.nb_rx_desc - 1);
	d->tx_mask = (uint16_t)(p.nb_tx_desc - 1);
	d->rx_buf_len = rte_pktmbuf_data_room_size(p.pool) - RTE_PKTMBUF_HEADROOM;
	d->tx_nb_free = (uint16_t)(p.nb_tx_desc - 1);
	d->tx_next_dd = (uint16_t)(p.tx_free_thresh - 1);
	d->tsc_hz = rte_get_tsc_hz();
	d->rx_sw = rte_zmalloc("vfdev_sw", p.nb_rx_desc * sizeof(*d->rx_sw), 0);
	d->tx_sw = rte_zmalloc("vfdev_sw", p.nb_tx_desc * sizeof(*d->tx_sw), 0);
	if (p.attack) {
		d->hist = rte_zmalloc("vfdev_atk", VFDEV_ATTACK_HIST * sizeof(*d->hist), 0);
		d->ages = rte_zmalloc("vfdev_atk", VFDEV_ATTACK_AGES * sizeof(*d->ages), 0);
	}
	if (!d->rx_sw || !d->tx_sw || (p.attack && (!d->hist || !d->ages))) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = ring_alloc(d, p.nb_rx_desc, &d->rx_ring, &d->rx_ring_iova, &d->rx_ring_len);
	if (rc == 0)
		rc = ring_alloc(d, p.nb_tx_desc, &d->tx_ring, &d->tx_ring_iova, &d->tx_ring_len);
	if (rc < 0)
		goto fail;
	rc = vfdev_drv_start(d);
	if (rc < 0) {
		fprintf(stderr,
			"vfdev %s: the pool could not fill the RX ring (%u buffers): "
			"give it more mbufs\n",
			d->name, p.rx_free_thresh);
		goto fail;
	}
	return d;
fail:
	vfdev_destroy(d);
	errno = -rc;
	return NULL;
}

void vfdev_destroy(struct vfdev *d)
{
	if (d == NULL)
		return;
	if (d->rx_sw && d->tx_sw)
		vfdev_drv_release(d);
	ring_free(d, d->rx_ring, d->rx_ring_iova, d->rx_ring_len);
	ring_free(d, d->tx_ring, d->tx_ring_iova, d->tx_ring_len);
	rte_free(d->rx_sw);
	rte_free(d->tx_sw);
	rte_free(d->hist);
	rte_free(d->ages);
	rte_free(d);
}

int vfdev_link_up(const struct vfdev *d)
{
	return d != NULL;
}

void vfdev_get_stats(const struct vfdev *d, struct vfdev_stats *st)
{
	if (!d || !st)
		return;
	memset(st, 0, sizeof(*st));
	st->rx_packets = d->drv.rx_packets;
	st->rx_bytes = d->drv.rx_bytes;
	st->rx_errors = d->drv.rx_errors;
	st->rx_refills = d->drv.rx_refills;
	st->rx_alloc_failed = d->drv.rx_alloc_failed;
	st->tx_packets = d->drv.tx_packets;
	st->tx_bytes = d->drv.tx_bytes;
	st->tx_frees = d->drv.tx_frees;
	st->tx_ring_full = d->drv.tx_ring_full;
	st->dev_rx_frames = d->dev.dev_rx_frames;
	st->dev_tx_frames = d->dev.dev_tx_frames;
	st->dev_rx_faults = d->dev.dev_rx_faults;
	st->dev_tx_faults = d->dev.dev_tx_faults;
	st->dev_desc_faults = d->dev.dev_desc_faults;
	st->dev_bad_desc = d->dev.dev_bad_desc;
	st->dev_bad_tail = d->dev.dev_bad_tail;
	st->dev_rx_oversize = d->dev.dev_rx_oversize;
	st->dev_translations = d->dev.dev_translations;
	st->attack_attempts = d->dev.attack_attempts;
	st->attack_faults = d->dev.attack_faults;
	st->attack_successes = d->dev.attack_successes;
	st->attack_corruptions = d->dev.attack_corruptions;
	st->attack_legit = d->dev.attack_legit;
	st->attack_redirected = d->dev.attack_redirected;
	st->attack_age_max_ns = d->dev.attack_age_max_ns;
	st->attack_age_p50_ns = vfdev_dev_age_p50_ns(d);
	st->msix_raised = d->dev.msix_raised;
	st->msix_masked = d->dev.msix_masked;
	st->irq_remapped = d->dev.irq_remapped;
	st->irq_posted = d->dev.irq_posted;
	st->irq_compat = d->dev.irq_compat;
	st->irq_blocked = d->dev.irq_blocked;
	st->irq_unhandled = d->dev.irq_unhandled;
	for (unsigned int a = 0; a < VFDEV_IRQ_ATK__COUNT; a++) {
		st->irq_attack_attempts[a] = d->dev.irq_attack_attempts[a];
		st->irq_attack_blocked[a] = d->dev.irq_attack_blocked[a];
		st->irq_attack_delivered[a] = d->dev.irq_attack_delivered[a];
	}
}
