/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strategy "deferred": the Linux flush queue (drivers/iommu/dma-iommu.c, struct
 * iova_fq; iommu.strict=0, the "DMA-FQ" domain type, x86's default).
 *
 *   unmap: clear the PTEs at once, but do not invalidate. The IOVA goes into this CPU's
 *          flush queue, tagged with the current flush-start counter (queue_iova()).
 *          If the queue is full (fq_size, 256) -> one domain-selective IOTLB
 *          invalidation + wait (fq_flush_iotlb()); the same happens when the oldest
 *          entry is fq_timeout_ns (10 ms) old, checked on unmap and in iova_ctx_poll()
 *          (Linux arms a timer on the first queued entry: fq_flush_timeout()).
 *   After a flush: fq_flush_finish_cnt++ and every entry whose counter is below the
 *   finish counter is covered by a completed flush, so its IOVA is freed
 *   (fq_ring_free()). An IOVA is therefore never handed out again before an
 *   invalidation that covers it has completed.
 *
 * Between unmap and that flush the page is freed but still reachable through any
 * IOTLB entry the device holds: the stale window this strategy trades for speed.
 */
#include <stdlib.h>

#include "iova_priv.h"

struct fq_entry {
	uint64_t pfn, npages;
	uint64_t counter; /* flush-start count when queued */
	uint64_t t_unmap; /* ns */
};

struct fq {
	unsigned int head, tail, size; /* ring of size+1 slots, Linux fq_full() */
	struct fq_entry *e;
};

struct deferred {
	unsigned int nfq;
	struct fq *fq;
	uint64_t start_cnt, finish_cnt; /* fq_flush_start_cnt / fq_flush_finish_cnt */
	bool timer_armed;
	uint64_t timer_start; /* ns when the first entry since the last flush was queued */
	uint64_t queued; /* entries across all queues */
};

static inline bool fq_full(const struct fq *q)
{
	return (q->tail + 1) % (q->size + 1) == q->head;
}

static inline struct deferred *D(const struct iova_ctx *c)
{
	return c->sp;
}

/* fq_ring_free(): free entries covered by a completed flush */
static void fq_ring_free(struct iova_ctx *c, struct fq *q, unsigned int cpu)
{
	struct deferred *d = D(c);
	while (q->head != q->tail) {
		struct fq_entry *e = &q->e[q->head];
		if (e->counter >= d->finish_cnt)
			break;
		iova_ctx_free_pfn(c, e->pfn, e->npages, cpu);
		q->head = (q->head + 1) % (q->size + 1);
		d->queued--;
	}
}

/* fq_flush_iotlb(): one domain-selective invalidation + wait for everything queued */
static int fq_flush(struct iova_ctx *c)
{
	struct deferred *d = D(c);
	d->start_cnt++;
	int rc = iova_be_inv(c, 0, 0);
	int rc2 = iova_be_flush_wait(c);
	if (rc < 0 || rc2 < 0)
		return rc < 0 ? rc : rc2; /* nothing is covered: IOVAs stay queued */
	d->finish_cnt++;
	uint64_t now = iova_now_ns();
	/* every entry queued before this flush started is no longer reachable */
	for (unsigned int i = 0; i < d->nfq; i++) {
		struct fq *q = &d->fq[i];
		for (unsigned int j = q->head; j != q->tail; j = (j + 1) % (q->size + 1))
			if (q->e[j].counter < d->finish_cnt && q->e[j].t_unmap) {
				iova_stale_close(c, q->e[j].t_unmap, now);
				q->e[j].t_unmap = 0; /* closed */
			}
	}
	/* everything queued is covered now: free it on every CPU (fq_flush_timeout() does
	 * the same; doing it on a full-queue flush too keeps no covered IOVA waiting for a
	 * timer that this flush just disarmed) */
	for (unsigned int i = 0; i < d->nfq; i++)
		fq_ring_free(c, &d->fq[i], i);
	d->timer_armed = false;
	return 0;
}

static int deferred_init(struct iova_ctx *c)
{
	struct deferred *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->nfq = c->nb_cpus ? c->nb_cpus : 1;
	d->fq = calloc(d->nfq, sizeof(*d->fq));
	if (!d->fq) {
		free(d);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < d->nfq; i++) {
		d->fq[i].size = c->p.fq_size;
		d->fq[i].e = calloc(c->p.fq_size + 1, sizeof(struct fq_entry));
		if (!d->fq[i].e) {
			while (i--)
				free(d->fq[i].e);
			free(d->fq);
			free(d);
			return -ENOMEM;
		}
	}
	c->sp = d;
	return 0;
}

static void deferred_fini(struct iova_ctx *c)
{
	struct deferred *d = D(c);
	if (!d)
		return;
	if (d->queued)
		(void)fq_flush(c); /* frees every covered IOVA */
	for (unsigned int i = 0; i < d->nfq; i++)
		free(d->fq[i].e);
	free(d->fq);
	free(d);
	c->sp = NULL;
}

static int deferred_map(struct iova_ctx *c, struct iova_req *r, unsigned int n, unsigned int cpu)
{
	for (unsigned int i = 0; i < n; i++) {
		int rc = iova_strict_map_one(c, &r[i], cpu);
		if (rc < 0) {
			while (i--)
				iova_strict_unmap_one(c, &r[i], cpu);
			return rc;
		}
	}
	return 0;
}

static inline struct fq *cpu_fq(struct iova_ctx *c, unsigned int cpu)
{
	struct deferred *d = D(c);
	return &d->fq[cpu == IOVA_ANY_CPU ? 0 : cpu % d->nfq];
}

/* timer: flush and free every queue (fq_flush_timeout()) */
static void check_timer(struct iova_ctx *c, uint64_t now)
{
	struct deferred *d = D(c);
	if (!d->timer_armed || now - d->timer_start < c->p.fq_timeout_ns)
		return;
	(void)fq_flush(c); /* on failure the entries stay queued and the timer stays armed */
}

static int deferred_unmap(struct iova_ctx *c, const struct iova_req *r, unsigned int n,
			  unsigned int cpu)
{
	struct deferred *d = D(c);
	struct fq *q = cpu_fq(c, cpu);
	int first = 0;
	for (unsigned int i = 0; i < n; i++) {
		int rc = iova_be_unmap(c, r[i].pfn, r[i].npages);
		if (rc < 0) {
			if (!first)
				first = rc;
			continue;
		}
		fq_ring_free(c, q, cpu);
		if (fq_full(q)) {
			rc = fq_flush(c);
			if (rc < 0) {
				/* cannot make room safely: leak the IOVA rather than reuse it early */
				if (!first)
					first = rc;
				continue;
			}
		}
		uint64_t now = iova_now_ns();
		q->e[q->tail] = (struct fq_entry){ .pfn = r[i].pfn,
						   .npages = r[i].npages,
						   .counter = d->start_cnt,
						   .t_unmap = now };
		q->tail = (q->tail + 1) % (q->size + 1);
		d->queued++;
		iova_stale_open(c, 1);
		if (!d->timer_armed) {
			d->timer_armed = true;
			d->timer_start = now;
		}
	}
	check_timer(c, iova_now_ns());
	return first;
}

static void deferred_poll(struct iova_ctx *c, unsigned int cpu, uint64_t now)
{
	check_timer(c, now);
}

static uint64_t deferred_oldest(const struct iova_ctx *c)
{
	const struct deferred *d = D(c);
	uint64_t oldest = 0;
	for (unsigned int i = 0; i < d->nfq; i++) {
		const struct fq *q = &d->fq[i];
		for (unsigned int j = q->head; j != q->tail; j = (j + 1) % (q->size + 1))
			if (q->e[j].t_unmap && (!oldest || q->e[j].t_unmap < oldest)) {
				oldest = q->e[j].t_unmap;
				break; /* FIFO: first open entry is this queue's oldest */
			}
	}
	return oldest;
}

const struct iova_strat_ops iova_strat_deferred_ops = {
	.name = "deferred",
	.init = deferred_init,
	.fini = deferred_fini,
	.map = deferred_map,
	.unmap = deferred_unmap,
	.poll = deferred_poll,
	.oldest_stale_ns = deferred_oldest,
};
