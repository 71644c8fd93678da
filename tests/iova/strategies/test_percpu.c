/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/iova per-CPU fast path (iova_ctx.c C1-C9): two to four threads on their own CPU
 * slots map and unmap at once. For off, strict and deferred the test holds the ctx-wide
 * lock the whole time: the threads must finish anyway (no global lock on their path). Every strategy: the counters
 * add up, no IOVA page is handed to two live buffers at once, every buffer's IOVA reaches
 * exactly its own bytes, a strict unmap is unreachable (or already someone else's) when
 * it returns, and the spy backend sees no IOVA mapped again before an invalidation
 * covering its unmap completed.
 */
#include <inttypes.h>
#include <pthread.h>
#include <time.h>
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include "test_common.h"

#define LIMIT_PFN \
	((1u << 18) - 1) /* small IOVA space (ring's 2^16-page window fits): live[] indexes it */
#define BURST 8
#define PAGES 16 /* per thread */
#define MAX_THR 4

/* The spy is single-threaded bookkeeping: this wrapper serialises every backend call
 * (the soft VT-d serialises its invalidation queue the same way). */
struct lockbe {
	struct iova_backend be;
	struct iova_backend *inner;
	pthread_mutex_t m;
};

static struct iova_backend *IN(struct iova_backend *b)
{
	return ((struct lockbe *)b)->inner;
}

#define LOCKED(b, call)                                           \
	({                                                        \
		pthread_mutex_lock(&((struct lockbe *)(b))->m);   \
		int __rc = (call);                                \
		pthread_mutex_unlock(&((struct lockbe *)(b))->m); \
		__rc;                                             \
	})

static int lb_map(struct iova_backend *b, uint64_t iova, void *host, size_t len, int prot)
{
	return LOCKED(b, IN(b)->ops->map(IN(b), iova, host, len, prot));
}

static int lb_unmap(struct iova_backend *b, uint64_t iova, size_t len)
{
	return LOCKED(b, IN(b)->ops->unmap(IN(b), iova, len));
}

static int lb_inv_queue(struct iova_backend *b, uint64_t iova, uint64_t npages)
{
	return LOCKED(b, IN(b)->ops->inv_queue(IN(b), iova, npages));
}

static int lb_inv_flush(struct iova_backend *b, bool wait)
{
	return LOCKED(b, IN(b)->ops->inv_flush(IN(b), wait));
}

static int lb_dma(struct iova_backend *b, uint64_t iova, size_t len, int access, void **host)
{
	return LOCKED(b, IN(b)->ops->dma(IN(b), iova, len, access, host));
}

static void lb_destroy(struct iova_backend *b)
{
	struct lockbe *l = (struct lockbe *)b;

	l->inner->ops->destroy(l->inner);
	pthread_mutex_destroy(&l->m);
	free(l);
}

static const struct iova_backend_ops lb_ops = {
	.name = "locked-spy",
	.map = lb_map,
	.unmap = lb_unmap,
	.inv_queue = lb_inv_queue,
	.inv_flush = lb_inv_flush,
	.dma = lb_dma,
	.destroy = lb_destroy,
};

static struct iova_backend *locked(struct iova_backend *inner)
{
	struct lockbe *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	l->be.ops = &lb_ops;
	l->inner = inner;
	pthread_mutex_init(&l->m, NULL);
	return &l->be;
}

/* ---------------------------------------------------------------------- */

struct run {
	struct iova_ctx *c;
	enum iova_strategy s;
	uint8_t *live; /* LIMIT_PFN + 1 flags: the IOVA page is a live buffer's */
	unsigned int iters;
	unsigned int poll_every; /* iova_ctx_poll() every this many iterations (0: never) */
};

struct worker {
	struct run *r;
	unsigned int cpu;
	uint8_t *buf; /* PAGES pages, this thread's only */
	unsigned int seed;
	/* failures, reported by the main thread (cmocka asserts are not thread-safe) */
	unsigned int map_err, twice, wrong_bytes, reachable_after, unmap_err, out_of_range;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;

	for (unsigned int it = 0; it < r->iters; it++) {
		void *host[BURST];
		uint64_t iova[BURST];
		unsigned int first = (unsigned int)rand_r(&w->seed) % (PAGES - BURST + 1);

		/* one buffer of 256 bytes per page, at a random offset */
		for (unsigned int i = 0; i < BURST; i++)
			host[i] = w->buf + (size_t)(first + i) * IOVA_PAGE_SIZE +
				  (unsigned int)rand_r(&w->seed) % (IOVA_PAGE_SIZE - 256);
		if (iova_ctx_map_bulk(r->c, host, 256, IOVA_PROT_RW, w->cpu, iova, BURST) != 0) {
			w->map_err++;
			continue;
		}
		for (unsigned int i = 0; i < BURST; i++) {
			uint64_t pfn = iova[i] >> IOVA_PAGE_SHIFT;
			void *h = NULL;

			if (r->s != IOVA_STRAT_OFF) {
				if (pfn > LIMIT_PFN) {
					w->out_of_range++;
					continue;
				}
				if (__atomic_exchange_n(&r->live[pfn], 1, __ATOMIC_ACQ_REL) != 0)
					w->twice++; /* another live buffer holds this IOVA page */
			}
			/* the device reaches exactly this buffer's bytes */
			if (iova_ctx_dma(r->c, iova[i] + 255, 1, IOVA_PROT_WRITE, &h) != 0 ||
			    h != (uint8_t *)host[i] + 255)
				w->wrong_bytes++;
		}
		/* give the IOVA pages up before unmap: after it returns they may be another's */
		for (unsigned int i = 0; i < BURST && r->s != IOVA_STRAT_OFF; i++)
			if ((iova[i] >> IOVA_PAGE_SHIFT) <= LIMIT_PFN)
				__atomic_store_n(&r->live[iova[i] >> IOVA_PAGE_SHIFT], 0,
						 __ATOMIC_RELEASE);
		if (iova_ctx_unmap_bulk(r->c, iova, 256, w->cpu, BURST) != 0)
			w->unmap_err++;
		if (r->poll_every && it % r->poll_every == 0)
			iova_ctx_poll(r->c, w->cpu); /* deferred's timeout, from every thread */
		if (r->s != IOVA_STRAT_STRICT)
			continue;
		/* strict: invalidated before unmap returned; the page either faults or was
		 * already mapped again for the other thread, never to our bytes */
		for (unsigned int i = 0; i < BURST; i++) {
			void *h = NULL;
			uint8_t *mine = w->buf;

			if (iova_ctx_dma(r->c, iova[i], 1, IOVA_PROT_WRITE, &h) == 0 &&
			    (uint8_t *)h >= mine && (uint8_t *)h < mine + PAGES * IOVA_PAGE_SIZE)
				w->reachable_after++;
		}
	}
	return NULL;
}

/* nthr workers on cpu 0..nthr-1; with hold_ctx_lock the main thread owns c->lock meanwhile. */
static void run_n(struct iova_ctx *c, enum iova_strategy s, unsigned int iters, bool hold_ctx_lock,
		  uint8_t *bufs[], unsigned int nthr, unsigned int poll_every)
{
	struct run r = { .c = c, .s = s, .iters = iters, .poll_every = poll_every };
	struct worker w[MAX_THR];
	pthread_t t[MAX_THR];

	r.live = calloc(LIMIT_PFN + 1, 1);
	assert_non_null(r.live);
	if (hold_ctx_lock)
		assert_int_equal(pthread_mutex_lock(&c->lock), 0);
	for (unsigned int i = 0; i < nthr; i++) {
		w[i] = (struct worker){ .r = &r, .cpu = i, .buf = bufs[i], .seed = 7 + i };
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (unsigned int i = 0; i < nthr; i++) {
		struct timespec dl;

		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += 60;
		/* a worker blocked on the ctx lock would never finish: fail, do not hang */
		assert_int_equal(pthread_timedjoin_np(t[i], NULL, &dl), 0);
	}
	if (hold_ctx_lock)
		pthread_mutex_unlock(&c->lock);
	for (unsigned int i = 0; i < nthr; i++) {
		assert_int_equal(w[i].map_err, 0);
		assert_int_equal(w[i].out_of_range, 0);
		assert_int_equal(w[i].twice, 0);
		assert_int_equal(w[i].wrong_bytes, 0);
		assert_int_equal(w[i].unmap_err, 0);
		assert_int_equal(w[i].reachable_after, 0);
	}
	free(r.live);
}

static void run_two(struct iova_ctx *c, enum iova_strategy s, unsigned int iters,
		    bool hold_ctx_lock, uint8_t *bufs[2])
{
	run_n(c, s, iters, hold_ctx_lock, bufs, 2, 0);
}

static struct iova_ctx *mk(enum iova_strategy s, struct iova_backend *be)
{
	struct iova_ctx_params p;

	iova_ctx_default_params(&p);
	p.strategy = s;
	p.nb_cpus = 2;
	p.iova_limit_pfn = LIMIT_PFN;
	p.fq_size = 32;
	p.opt_quota = 16;
	struct iova_ctx *c = iova_ctx_create(&p, be);
	assert_non_null(c);
	return c;
}

static void bufs_alloc_n(uint8_t *bufs[], unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		bufs[i] = aligned_alloc(IOVA_PAGE_SIZE, PAGES * IOVA_PAGE_SIZE);
		assert_non_null(bufs[i]);
		memset(bufs[i], 0, PAGES * IOVA_PAGE_SIZE);
	}
}

static void bufs_alloc(uint8_t *bufs[2])
{
	bufs_alloc_n(bufs, 2);
}

static unsigned int iters(void)
{
	return RUNNING_ON_VALGRIND ? 100 : 4000;
}

/* strict: no ctx lock, one synchronous wait per buffer, the allocator's magazines serve it */
static void test_strict_two_cpus_no_ctx_lock(void **state)
{
	struct spy *sp = spy_create(0);
	struct iova_ctx *c = mk(IOVA_STRAT_STRICT, locked(&sp->be));
	uint8_t *bufs[2];
	unsigned int n = iters();

	bufs_alloc(bufs);
	run_two(c, IOVA_STRAT_STRICT, n, true, bufs);
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.maps, 2ull * n * BURST);
	assert_int_equal(st.unmaps, 2ull * n * BURST);
	assert_int_equal(st.backend_maps, 2ull * n * BURST); /* 256 bytes: one page each */
	assert_int_equal(st.backend_unmaps, 2ull * n * BURST);
	assert_int_equal(st.waits, 2ull * n * BURST);
	assert_true(st.invalidations >= st.waits);
	assert_int_equal(st.stale_max_entries, 0);
	assert_int_equal(sp->violations, 0);
	assert_true(sp->reuses > 0); /* IOVAs did come back, only after their invalidation */
	struct iova_allocator_stats as;
	iova_allocator_get_stats(c->alloc, &as);
	assert_int_equal(as.ranges_in_use, 0);
	assert_int_equal(as.bad_frees, 0);
	assert_true(as.cache_hits > as.cache_misses); /* per-CPU magazines at work */
	iova_ctx_destroy(c);
	free(bufs[0]);
	free(bufs[1]);
}

/*
 * deferred: per-CPU flush queues, no ctx lock (C9). Three threads on three slots, small
 * queues (32) and a short timeout (100 us, polled from every thread) so that full-queue
 * flushes, timeout flushes and frees of entries another CPU's flush covered all race.
 * The invariant, checked from outside the strategy: the spy sees no IOVA page mapped again
 * before a domain invalidation queued after its unmap completed; the device side (soft
 * VT-d IOTLB behind iova_ctx_dma) reaches exactly the live buffer's bytes through every
 * fresh mapping, which an IOVA reused under a still-live IOTLB entry would break; and no
 * two live buffers share an IOVA page. The main thread holds c->lock throughout: with the
 * old code (deferred under c->lock) the workers block and the bounded join fails.
 */
static void test_deferred_cpus_no_ctx_lock(void **state)
{
	enum { NTHR = 3 };
	struct spy *sp = spy_create(0);
	struct iova_ctx_params p;
	uint8_t *bufs[NTHR];
	unsigned int n = iters();

	iova_ctx_default_params(&p);
	p.strategy = IOVA_STRAT_DEFERRED;
	p.nb_cpus = NTHR;
	p.iova_limit_pfn = LIMIT_PFN;
	p.fq_size = 32;
	p.fq_timeout_ns = 100000;
	struct iova_ctx *c = iova_ctx_create(&p, locked(&sp->be));
	assert_non_null(c);
	bufs_alloc_n(bufs, NTHR);
	run_n(c, IOVA_STRAT_DEFERRED, n, true, bufs, NTHR, 4);
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.maps, (uint64_t)NTHR * n * BURST);
	assert_int_equal(st.unmaps, (uint64_t)NTHR * n * BURST);
	assert_int_equal(st.backend_unmaps, (uint64_t)NTHR * n * BURST);
	assert_int_equal(sp->violations, 0);
	assert_true(sp->reuses > 0); /* IOVAs came back, each after a covering flush */
	assert_true(st.waits > 0);
	assert_true(st.waits < st.unmaps); /* batched: one wait covers many unmaps */
	assert_true(st.stale_max_entries > 0);
	assert_true(st.stale_now <= (uint64_t)NTHR * p.fq_size);
	struct iova_allocator_stats as;
	iova_allocator_get_stats(c->alloc, &as);
	assert_int_equal(as.bad_frees, 0);
	print_message("deferred x%d: waits %" PRIu64 " per %" PRIu64 " unmaps, reuses %" PRIu64
		      ", stale_max_entries %" PRIu64 "\n",
		      NTHR, st.waits, st.unmaps, sp->reuses, st.stale_max_entries);
	iova_ctx_destroy(c);
	for (unsigned int i = 0; i < NTHR; i++)
		free(bufs[i]);
}

/* off: no ctx lock, no backend, iova = host */
static void test_off_two_cpus_no_ctx_lock(void **state)
{
	struct iova_ctx *c = mk(IOVA_STRAT_OFF, NULL);
	uint8_t *bufs[2];
	unsigned int n = iters();

	bufs_alloc(bufs);
	run_two(c, IOVA_STRAT_OFF, n, true, bufs);
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.maps, 2ull * n * BURST);
	assert_int_equal(st.unmaps, 2ull * n * BURST);
	assert_int_equal(st.backend_maps, 0);
	assert_int_equal(st.waits, 0);
	iova_ctx_destroy(c);
	free(bufs[0]);
	free(bufs[1]);
}

/* the strategies with shared state: concurrent callers serialise on the ctx lock, and
 * every guarantee holds as with one caller */
static void test_shared_state_strategies_two_cpus(void **state)
{
	static const enum iova_strategy ss[] = { IOVA_STRAT_OPTIMISTIC, IOVA_STRAT_PERSISTENT,
						 IOVA_STRAT_SHARED, IOVA_STRAT_RING,
						 IOVA_STRAT_POOL };
	unsigned int n = iters() / 2;

	for (unsigned int k = 0; k < sizeof(ss) / sizeof(ss[0]); k++) {
		struct spy *sp = spy_create(0);
		struct iova_ctx *c = mk(ss[k], locked(&sp->be));
		uint8_t *bufs[2];

		bufs_alloc(bufs);
		if (ss[k] ==
		    IOVA_STRAT_POOL) { /* one thread's buffers in a pool, the other's not */
			assert_int_equal(iova_ctx_register_pool(c, bufs[0], PAGES * IOVA_PAGE_SIZE),
					 0);
		}
		run_two(c, ss[k], n, false, bufs);
		struct iova_ctx_stats st;
		iova_ctx_get_stats(c, &st);
		assert_int_equal(st.maps, 2ull * n * BURST);
		assert_int_equal(st.unmaps, 2ull * n * BURST);
		assert_int_equal(sp->violations, 0);
		print_message("%-10s maps %" PRIu64 " backend_maps %" PRIu64 " waits %" PRIu64
			      " reuse_hits %" PRIu64 "\n",
			      iova_strategy_name(ss[k]), st.maps, st.backend_maps, st.waits,
			      st.reuse_hits);
		iova_ctx_destroy(c);
		free(bufs[0]);
		free(bufs[1]);
	}
}

/* C4: one call in hist_period per slot is timed, the first one included */
static void test_hist_sampling(void **state)
{
	struct iova_ctx_params p;
	uint8_t *buf = aligned_alloc(IOVA_PAGE_SIZE, IOVA_PAGE_SIZE);
	uint64_t iova;

	assert_non_null(buf);
	for (unsigned int period = 1; period <= 64; period *= 4) {
		iova_ctx_default_params(&p);
		p.strategy = IOVA_STRAT_STRICT;
		p.nb_cpus = 2;
		p.hist_period = period;
		struct iova_ctx *c = iova_ctx_create(&p, soft_backend(0));
		assert_non_null(c);
		for (unsigned int i = 0; i < 64; i++) {
			assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, i % 2, &iova), 0);
			assert_int_equal(iova_ctx_unmap(c, iova, 64, i % 2), 0);
		}
		/* 32 calls on each of two slots */
		uint64_t expect = 2 * ((32 + period - 1) / period);
		assert_int_equal(c->map_hist.count, expect);
		assert_int_equal(c->unmap_hist.count, expect);
		struct iova_ctx_stats st;
		iova_ctx_get_stats(c, &st);
		assert_int_equal(st.maps, 64);
		assert_true(st.map_cycles_p50 > 0 && st.unmap_cycles_p50 > 0);
		iova_ctx_reset_stats(c);
		iova_ctx_get_stats(c, &st);
		assert_int_equal(st.maps, 0);
		assert_int_equal(st.waits, 0);
		assert_int_equal(st.map_cycles_p50, 0);
		assert_int_equal(c->map_hist.count, 0);
		/* after a reset the next call of a slot is sampled again */
		assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, 1, &iova), 0);
		assert_int_equal(iova_ctx_unmap(c, iova, 64, 1), 0);
		assert_int_equal(c->map_hist.count, 1);
		iova_ctx_destroy(c);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strict_two_cpus_no_ctx_lock),
		cmocka_unit_test(test_off_two_cpus_no_ctx_lock),
		cmocka_unit_test(test_deferred_cpus_no_ctx_lock),
		cmocka_unit_test(test_shared_state_strategies_two_cpus),
		cmocka_unit_test(test_hist_sampling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
