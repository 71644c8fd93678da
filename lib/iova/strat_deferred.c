/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strategy "deferred": the Linux flush queue (drivers/iommu/dma-iommu.c, struct
 * iova_fq; iommu.strict=0, the "DMA-FQ" domain type, x86's default).
 *
 *   unmap: clear the PTEs at once, but do not invalidate. The IOVA goes into this CPU's
 *          flush queue, tagged with the current flush-start counter (queue_iova()).
 *          If the queue is full (fq_size, 256) -> one domain-selective IOTLB
 *          invalidation + wait (fq_flush_iotlb()), then this CPU's covered entries are
 *          freed. The same flush happens when the timer runs out: fq_timeout_ns (10 ms)
 *          after the first entry queued since the timer last fired, checked on unmap
 *          and in iova_ctx_poll() (Linux arms a timer on the first queued entry:
 *          fq_flush_timeout()); the timeout frees every CPU's covered entries.
 *   An entry is covered when its counter is below the flush-finish counter
 *   (fq_ring_free()); only then is its IOVA freed. An IOVA is therefore never handed out
 *   again before an invalidation that covers it has completed.
 *
 * Between unmap and that flush the page is freed but still reachable through any
 * IOTLB entry the device holds: the stale window this strategy trades for speed.
 *
 * PER-CPU, WITHOUT THE CONTEXT LOCK (ops->own_locks, iova_ctx.c C9)
 *  One flush queue per CPU slot (cpu % nb_cpus; IOVA_ANY_CPU uses queue 0), each with
 *  its own spinlock fq->lock (Linux: the per-CPU iova_fq and its spinlock). map is
 *  strict's map (allocator + backend, thread-safe by themselves). unmap takes only its
 *  own queue's lock; the flush counters, the timer and the entry count are atomics
 *  shared by all queues (Linux: atomic64_t fq_flush_start_cnt / fq_flush_finish_cnt,
 *  atomic_t fq_timer_on). Nobody holds two queue locks at once: the timeout flush and
 *  the stale-window walk after a full-queue flush take one queue lock at a time, after
 *  dropping their own.
 *
 * WHY AN ENTRY FREED BY ANOTHER CPU'S FLUSH IS SAFE (the start/finish pair)
 *  A flush F: s = ++start_cnt (seq_cst RMW), seq_cst fence, domain invalidation + wait,
 *  then finish_cnt = max(finish_cnt, s) (release CAS) only if the wait completed. A queuer Q: clear the PTE,
 *  seq_cst fence (Linux's smp_mb() in queue_iova()), then read k = start_cnt under its
 *  queue lock and store the entry with counter k. A queue frees entries with counter <
 *  finish_cnt (acquire load).
 *  (a) Counting: finish_cnt only ever holds the start value s of a completed flush (or
 *      0). So finish_cnt >= k + 1 means a completed flush F has s >= k + 1: F's RMW comes
 *      after Q's read of k in start_cnt's modification order. A flush that fails (its
 *      wait did not complete) raises start_cnt but never finish_cnt; the next flush that
 *      completes covers what it would have (the max), so neither a failed flush nor one
 *      still in flight on another CPU holds back a later one. (Linux increments
 *      fq_flush_finish_cnt instead, which lags by one per flush in flight; the max gives
 *      the same answer with one CPU.)
 *  (b) That F's invalidation sees Q's cleared PTE: Q's read of k is coherence-ordered
 *      before F's RMW; Q's fence precedes its read and F's fence follows its RMW, so Q's
 *      fence precedes F's fence in the seq_cst order S (C11 7.17.3, C++20
 *      [atomics.order] p4.4). If anything after F's fence (the invalidation, a device
 *      walk after it) still read the PTE from before Q's clear, the same rule applied to
 *      the PTE would put F's fence before Q's fence in S: a contradiction. So the
 *      invalidation removes every IOTLB entry for the IOVA and no walk after it can
 *      refill one. (The soft VT-d also serialises its PTE writes and its invalidation
 *      queue under one unit lock, which orders them even without the fences; a backend
 *      that does not, such as VFIO's ioctls, still gets the store-buffer guarantee.)
 *  (c) The freeing queue's acquire load of finish_cnt reads F's release CAS (or a later
 *      one in its release sequence), so F's completed wait happens before the
 *      free, and the allocator hands the IOVA out again only after it.
 *  Concretely: CPU A queues entry k while CPU B's flush (start_cnt already k) is in
 *  flight; B's finish makes finish_cnt k, and k < k is false: A's entry stays queued
 *  until a flush that started after A queued it (start_cnt k -> k + 1) has finished.
 *  And if A's own flush (start k + 1) finishes before B's, finish_cnt becomes k + 1 at
 *  once and B's later finish does not lower it.
 *
 * STALE-WINDOW ACCOUNTING
 *  Opened per entry on unmap; closed when a completed flush covers it, at that flush's
 *  completion time: the flusher closes its own queue's entries, and after a full-queue
 *  flush it walks the other queues (one lock at a time, skipping a busy one: the fast
 *  path never waits for another CPU) to close theirs without freeing them (Linux frees
 *  those on their CPU's next unmap or at the timeout). An entry still open when its IOVA
 *  is freed closes at the latest completed flush's time (never earlier than the flush
 *  that covered it: an over-estimate of the window by at most the time between two
 *  flushes, only when a walk found that queue busy). The counters
 *  in c->st are atomics (iova_be.c). With one CPU every number is what it was under
 *  c->lock.
 */
#include <stdlib.h>
#include <string.h>

#include "iova_priv.h"

struct fq_entry {
	uint64_t pfn, npages;
	uint64_t counter; /* flush-start count when queued */
	uint64_t t_unmap; /* ns; 0 once its stale record is closed */
};

struct fq {
	pthread_spinlock_t lock; /* head, tail, e[] (Linux fq->lock) */
	unsigned int head, tail, size; /* ring of size+1 slots, Linux fq_full() */
	unsigned int count; /* entries; written under lock, read relaxed by other CPUs */
	struct fq_entry *e;
} __attribute__((aligned(64)));

struct deferred {
	unsigned int nfq;
	struct fq *fq;
	/* fq_flush_start_cnt / fq_flush_finish_cnt: atomics, each on its own line */
	uint64_t start_cnt __attribute__((aligned(64)));
	uint64_t finish_cnt __attribute__((aligned(64)));
	uint64_t last_finish_ns; /* completion time of the latest completed flush */
	unsigned int timer_on __attribute__((aligned(64))); /* Linux fq_timer_on */
	uint64_t timer_start; /* ns when the timer was (re)armed */
};

static inline uint64_t ld_acq(const uint64_t *x)
{
	return __atomic_load_n(x, __ATOMIC_ACQUIRE);
}

static inline uint64_t ld_rlx(const uint64_t *x)
{
	return __atomic_load_n(x, __ATOMIC_RELAXED);
}

static inline bool fq_full(const struct fq *q)
{
	return (q->tail + 1) % (q->size + 1) == q->head;
}

static inline unsigned int fq_next(const struct fq *q, unsigned int i)
{
	return (i + 1) % (q->size + 1);
}

static inline struct deferred *D(const struct iova_ctx *c)
{
	return c->sp;
}

/* q->lock held. fq_ring_free(): free the entries covered by a completed flush (the
 * queue is FIFO and counters never decrease along it: stop at the first uncovered). */
static void fq_ring_free(struct iova_ctx *c, struct fq *q, unsigned int qi)
{
	struct deferred *d = D(c);
	uint64_t fin = ld_acq(&d->finish_cnt); /* (c): pairs with the flusher's release */
	uint64_t t_fin = ld_rlx(&d->last_finish_ns); /* >= the flush that made fin */
	unsigned int freed = 0;

	while (q->head != q->tail) {
		struct fq_entry *e = &q->e[q->head];

		if (e->counter >= fin)
			break;
		if (e->t_unmap)
			iova_stale_close(c, e->t_unmap, t_fin);
		iova_ctx_free_pfn(c, e->pfn, e->npages, qi);
		q->head = fq_next(q, q->head);
		freed++;
	}
	if (freed)
		__atomic_store_n(&q->count, q->count - freed, __ATOMIC_RELAXED);
}

/* Entries across all queues, read racily (each queue's count is its own lock's): exact
 * with one CPU; with several, a hint for the timer restart only. */
static bool all_empty(const struct deferred *d)
{
	for (unsigned int i = 0; i < d->nfq; i++)
		if (__atomic_load_n(&d->fq[i].count, __ATOMIC_RELAXED))
			return false;
	return true;
}

/* q->lock held: close the stale records of entries covered by flush number fin (counter
 * < fin) at t, without freeing them. */
static void fq_close_covered(struct iova_ctx *c, struct fq *q, uint64_t fin, uint64_t t)
{
	for (unsigned int j = q->head; j != q->tail; j = fq_next(q, j)) {
		if (q->e[j].counter >= fin)
			break;
		if (q->e[j].t_unmap) {
			iova_stale_close(c, q->e[j].t_unmap, t);
			q->e[j].t_unmap = 0;
		}
	}
}

/* fq_flush_iotlb(): one domain-selective invalidation + wait. On success *fin is the
 * finish count this flush produced and *t its completion time. Any queue lock or none. */
static int fq_flush(struct iova_ctx *c, uint64_t *fin, uint64_t *t)
{
	struct deferred *d = D(c);

	uint64_t s = __atomic_add_fetch(&d->start_cnt, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* (b): before the invalidation reads PTEs */
	int rc = iova_be_inv(c, 0, 0);
	int rc2 = iova_be_flush_wait(c);
	if (rc < 0 || rc2 < 0)
		return rc < 0 ? rc : rc2; /* nothing is covered: finish_cnt stays, IOVAs stay */
	uint64_t now = iova_now_ns();
	uint64_t old = ld_rlx(&d->last_finish_ns);
	while (old < now && !__atomic_compare_exchange_n(&d->last_finish_ns, &old, now, true,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	/* (c): finish_cnt = max(finish_cnt, s), release. This flush covers every entry queued
	 * before its start (counter < s), whatever the flushes that started before it did: one
	 * still in flight or one that failed does not hold back what this one covered. */
	old = ld_acq(&d->finish_cnt);
	while (old < s && !__atomic_compare_exchange_n(&d->finish_cnt, &old, s, true,
						       __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
		;
	*fin = old > s ? old : s;
	*t = now;
	return 0;
}

static int deferred_init(struct iova_ctx *c)
{
	struct deferred *d = aligned_alloc(64, sizeof(*d));
	if (!d)
		return -ENOMEM;
	memset(d, 0, sizeof(*d));
	d->nfq = c->nb_cpus ? c->nb_cpus : 1;
	d->fq = aligned_alloc(64, d->nfq * sizeof(*d->fq));
	if (!d->fq) {
		free(d);
		return -ENOMEM;
	}
	memset(d->fq, 0, d->nfq * sizeof(*d->fq));
	for (unsigned int i = 0; i < d->nfq; i++) {
		d->fq[i].size = c->p.fq_size;
		d->fq[i].e = calloc(c->p.fq_size + 1, sizeof(struct fq_entry));
		if (!d->fq[i].e) {
			while (i--) {
				free(d->fq[i].e);
				pthread_spin_destroy(&d->fq[i].lock);
			}
			free(d->fq);
			free(d);
			return -ENOMEM;
		}
		pthread_spin_init(&d->fq[i].lock, PTHREAD_PROCESS_PRIVATE);
	}
	c->sp = d;
	return 0;
}

/* c->lock held, no other caller (iova_ctx_destroy) */
static void deferred_fini(struct iova_ctx *c)
{
	struct deferred *d = D(c);
	uint64_t fin, t;

	if (!d)
		return;
	if (!all_empty(d) && fq_flush(c, &fin, &t) == 0)
		for (unsigned int i = 0; i < d->nfq; i++)
			fq_ring_free(c, &d->fq[i], i); /* frees every covered IOVA */
	for (unsigned int i = 0; i < d->nfq; i++) {
		free(d->fq[i].e);
		pthread_spin_destroy(&d->fq[i].lock);
	}
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

static inline unsigned int cpu_fq(const struct deferred *d, unsigned int cpu)
{
	return cpu == IOVA_ANY_CPU ? 0 : cpu % d->nfq;
}

static void arm_timer(struct deferred *d, uint64_t now)
{
	/* Linux: avoid the shared line's write unless it is off */
	if (!__atomic_load_n(&d->timer_on, __ATOMIC_RELAXED) &&
	    !__atomic_exchange_n(&d->timer_on, 1, __ATOMIC_ACQ_REL))
		__atomic_store_n(&d->timer_start, now, __ATOMIC_RELAXED);
	/* a checker that reads the previous start fires early: one extra flush, still safe */
}

/* The timer (fq_flush_timeout()): whoever sees it expired and wins the disarm flushes once
 * and frees every queue's covered entries, one queue lock at a time. No lock held. A
 * queue whose lock is busy is not waited for (its CPU is in unmap and frees what this
 * flush covered itself, on this or its next unmap): the timer is re-armed instead, so
 * that the queue is visited again if its CPU goes idle. With one thread per queue and
 * one CPU, no lock is ever busy here. */
static void check_timer(struct iova_ctx *c, uint64_t now)
{
	struct deferred *d = D(c);
	unsigned int on = 1;
	uint64_t fin, t;

	if (!__atomic_load_n(&d->timer_on, __ATOMIC_ACQUIRE) ||
	    now - ld_rlx(&d->timer_start) < c->p.fq_timeout_ns)
		return;
	/* disarm before the flush (Linux: atomic_set(&fq_timer_on, 0) first): an entry queued
	 * after the flush started re-arms the timer for itself */
	if (!__atomic_compare_exchange_n(&d->timer_on, &on, 0, false, __ATOMIC_SEQ_CST,
					 __ATOMIC_RELAXED))
		return; /* another thread runs this timeout */
	if (fq_flush(c, &fin, &t) < 0) {
		/* the entries stay queued and the timer stays armed (same start) */
		__atomic_store_n(&d->timer_on, 1, __ATOMIC_RELEASE);
		return;
	}
	bool busy = false;
	for (unsigned int i = 0; i < d->nfq; i++) {
		if (pthread_spin_trylock(&d->fq[i].lock) != 0) {
			busy = true;
			continue;
		}
		fq_ring_free(c, &d->fq[i], i);
		pthread_spin_unlock(&d->fq[i].lock);
	}
	if (busy)
		arm_timer(d, t);
}

/* q->lock held; the entry's PTEs are cleared and fenced (b). queue_iova() for one entry:
 * 0, or -errno when it could not be queued (its IOVA leaks: never reused early). */
static int queue_one(struct iova_ctx *c, struct fq *q, unsigned int qi, const struct iova_req *r,
		     uint64_t *flush_fin, uint64_t *flush_t)
{
	struct deferred *d = D(c);
	int rc;

	/* first drop what other CPUs' flushes already covered (Linux does the same) */
	fq_ring_free(c, q, qi);
	/* Full: flush, then free this CPU's queue only (Linux queue_iova()). One completed
	 * flush of ours empties it: every entry here was queued, under this lock, before our
	 * flush raised start_cnt to s, and its completion makes finish_cnt >= s (a). A failed
	 * flush refuses the unmap (its IOVA leaks, never reused early) rather than overwrite
	 * the ring as Linux would. */
	if (fq_full(q)) {
		rc = fq_flush(c, flush_fin, flush_t);
		if (rc < 0)
			return rc;
		fq_ring_free(c, q, qi);
		/* nothing queued anywhere: restart the timer from this flush (what one CPU
		 * always did: its full flush emptied every queue). Otherwise it keeps running
		 * so that the timeout frees the other CPUs' covered entries. */
		if (all_empty(d))
			__atomic_store_n(&d->timer_start, *flush_t, __ATOMIC_RELAXED);
		if (fq_full(q))
			return -EBUSY; /* cannot happen (a); never overwrite the ring */
	}
	uint64_t now = iova_now_ns();
	q->e[q->tail] = (struct fq_entry){
		.pfn = r->pfn, .npages = r->npages, .counter = ld_rlx(&d->start_cnt), .t_unmap = now
	};
	q->tail = fq_next(q, q->tail);
	__atomic_store_n(&q->count, q->count + 1, __ATOMIC_RELAXED);
	iova_stale_open(c, 1);
	arm_timer(d, now);
	return 0;
}

static int deferred_unmap(struct iova_ctx *c, const struct iova_req *r, unsigned int n,
			  unsigned int cpu)
{
	struct deferred *d = D(c);
	unsigned int qi = cpu_fq(d, cpu);
	struct fq *q = &d->fq[qi];
	uint64_t flush_fin = 0, flush_t = 0;
	int first = 0;

	for (unsigned int base = 0; base < n; base += 64) {
		unsigned int m = n - base < 64 ? n - base : 64;
		uint64_t ok = 0;

		/* clear the PTEs of up to 64 buffers outside the queue lock */
		for (unsigned int i = 0; i < m; i++) {
			int rc = iova_be_unmap(c, r[base + i].pfn, r[base + i].npages);
			if (rc < 0) {
				if (!first)
					first = rc; /* not ours / not mapped: leave the IOVA alone */
				continue;
			}
			ok |= 1ull << i;
		}
		if (!ok)
			continue;
		/* (b): the PTE clears before the read of start_cnt (Linux smp_mb() in
		 * queue_iova()); one fence for the group */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		pthread_spin_lock(&q->lock);
		for (unsigned int i = 0; i < m; i++) {
			if (!(ok & (1ull << i)))
				continue;
			int rc = queue_one(c, q, qi, &r[base + i], &flush_fin, &flush_t);
			if (rc < 0 && !first)
				first = rc;
		}
		pthread_spin_unlock(&q->lock);
	}
	/* after a full-queue flush the other CPUs' covered entries are no longer reachable:
	 * close their stale records now (one queue lock at a time, never two). A queue whose
	 * lock is busy (its CPU is queueing or flushing) is skipped, never waited for: its
	 * owner closes them when it frees them, at the latest completed flush's time. */
	if (flush_fin && d->nfq > 1)
		for (unsigned int i = 0; i < d->nfq; i++) {
			if (i == qi || pthread_spin_trylock(&d->fq[i].lock) != 0)
				continue;
			fq_close_covered(c, &d->fq[i], flush_fin, flush_t);
			pthread_spin_unlock(&d->fq[i].lock);
		}
	check_timer(c, iova_now_ns());
	return first;
}

static void deferred_poll(struct iova_ctx *c, unsigned int cpu, uint64_t now)
{
	(void)cpu;
	check_timer(c, now);
}

/* c->lock held (iova_ctx_get_stats): one queue lock at a time */
static uint64_t deferred_oldest(const struct iova_ctx *c)
{
	const struct deferred *d = D(c);
	uint64_t oldest = 0;

	for (unsigned int i = 0; i < d->nfq; i++) {
		struct fq *q = &d->fq[i];

		pthread_spin_lock(&q->lock);
		for (unsigned int j = q->head; j != q->tail; j = fq_next(q, j))
			if (q->e[j].t_unmap) {
				if (!oldest || q->e[j].t_unmap < oldest)
					oldest = q->e[j].t_unmap;
				break; /* FIFO: first open entry is this queue's oldest */
			}
		pthread_spin_unlock(&q->lock);
	}
	return oldest;
}

const struct iova_strat_ops iova_strat_deferred_ops = {
	.name = "deferred",
	.own_locks = true, /* per-CPU flush queues with their own locks (iova_ctx.c C9) */
	.init = deferred_init,
	.fini = deferred_fini,
	.map = deferred_map,
	.unmap = deferred_unmap,
	.poll = deferred_poll,
	.oldest_stale_ns = deferred_oldest,
};
