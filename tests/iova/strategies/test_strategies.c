/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/iova strategies over the soft VT-d backend (native mode): protection windows,
 * mapping reuse, batching, and the no-early-reuse invariant under random sequences.
 */
#include <stdio.h>

#include "test_common.h"

#define LAT 300 /* modeled invalidation latency, ns */

static void *pages_alloc(size_t n)
{
	void *p = aligned_alloc(IOVA_PAGE_SIZE, n * IOVA_PAGE_SIZE);
	assert_non_null(p);
	memset(p, 0, n * IOVA_PAGE_SIZE);
	return p;
}

static struct iova_ctx *mk(enum iova_strategy s, struct iova_backend *be,
			   struct iova_ctx_params *over)
{
	return mk_mode(s, IOVA_MODE_NATIVE, be, over);
}

/* the device writes v at iova: 0 on success (and the CPU sees it at expect), or -EFAULT */
static int dev_write(struct iova_ctx *c, uint64_t iova, uint8_t v, uint8_t *expect)
{
	void *h = NULL;
	int rc = iova_ctx_dma(c, iova, 1, IOVA_PROT_WRITE, &h);
	if (rc == 0) {
		*(uint8_t *)h = v;
		if (expect)
			assert_int_equal(*expect, v);
	}
	return rc;
}

static void test_names(void **state)
{
	static const char *const s[] = { "off",	       "strict", "deferred", "optimistic",
					 "persistent", "shared", "ring",     "pool" };
	assert_int_equal(IOVA_STRAT__COUNT, sizeof(s) / sizeof(s[0]));
	static const char *const m[] = { "native", "trap-and-emulate", "sidecore" };
	for (int i = 0; i < IOVA_STRAT__COUNT; i++) {
		assert_string_equal(iova_strategy_name(i), s[i]);
		assert_int_equal(iova_strategy_parse(s[i]), i);
	}
	for (int i = 0; i < 3; i++) {
		assert_string_equal(iova_mode_name(i), m[i]);
		assert_int_equal(iova_mode_parse(m[i]), i);
	}
	assert_int_equal(iova_strategy_parse("Strict"), -EINVAL);
	assert_int_equal(iova_strategy_parse(""), -EINVAL);
	assert_int_equal(iova_strategy_parse(NULL), -EINVAL);
	assert_int_equal(iova_mode_parse("trap"), -EINVAL);
	assert_null(iova_strategy_name(IOVA_STRAT__COUNT));
	assert_null(iova_mode_name(3));
}

static void test_bad_params(void **state)
{
	struct iova_ctx_params p;
	iova_ctx_default_params(&p);
	p.strategy = IOVA_STRAT__COUNT;
	errno = 0;
	assert_null(iova_ctx_create(&p, NULL));
	assert_int_equal(errno, EINVAL);
	p.strategy = IOVA_STRAT_STRICT;
	errno = 0;
	assert_null(iova_ctx_create(&p, NULL)); /* strict needs a backend */
	assert_int_equal(errno, EINVAL);
	struct iova_backend *be = soft_backend(LAT);
	p.iova_base_pfn = 100;
	p.iova_limit_pfn = 10;
	errno = 0;
	assert_null(iova_ctx_create(&p, be)); /* caller keeps be on failure */
	assert_int_equal(errno, EINVAL);
	iova_ctx_default_params(&p);
	struct iova_ctx *c = mk(IOVA_STRAT_STRICT, be, &p);
	uint8_t *buf = pages_alloc(1);
	uint64_t iova;
	assert_int_equal(iova_ctx_map(c, buf, 0, IOVA_PROT_RW, 0, &iova), -EINVAL);
	assert_int_equal(iova_ctx_map(c, buf, 64, 0, 0, &iova), -EINVAL);
	assert_int_equal(iova_ctx_map(c, buf, 64, 8, 0, &iova), -EINVAL);
	/* unmap of something never mapped fails and frees nothing */
	assert_true(iova_ctx_unmap(c, 0x123000, 64, 0) < 0);
	iova_ctx_destroy(c);
	free(buf);
}

static void test_off(void **state)
{
	struct iova_ctx *c = mk(IOVA_STRAT_OFF, NULL, NULL);
	uint8_t *buf = pages_alloc(1);
	uint64_t iova;
	assert_int_equal(iova_ctx_map(c, buf + 100, 64, IOVA_PROT_RW, 0, &iova), 0);
	assert_int_equal(iova, (uint64_t)(uintptr_t)(buf + 100));
	assert_int_equal(dev_write(c, iova, 7, buf + 100), 0);
	assert_int_equal(iova_ctx_unmap(c, iova, 64, 0), 0);
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.maps, 1);
	assert_int_equal(st.unmaps, 1);
	assert_int_equal(st.backend_maps, 0);
	assert_int_equal(st.invalidations, 0);
	iova_ctx_destroy(c);
	free(buf);
}

static void test_strict(void **state)
{
	struct iova_ctx *c = mk(IOVA_STRAT_STRICT, soft_backend(LAT), NULL);
	uint8_t *buf = pages_alloc(4);
	for (int i = 0; i < 50; i++) {
		uint64_t iova;
		/* 300 bytes at offset 4000 span two pages */
		assert_int_equal(iova_ctx_map(c, buf + 4000, 300, IOVA_PROT_RW, 0, &iova), 0);
		assert_int_equal(iova & 0xfff, 4000);
		assert_true(iova != (uint64_t)(uintptr_t)(buf + 4000));
		assert_int_equal(dev_write(c, iova, (uint8_t)i, buf + 4000), 0);
		assert_int_equal(dev_write(c, iova + 200, (uint8_t)(i + 1), buf + 4200), 0);
		assert_int_equal(iova_ctx_unmap(c, iova, 300, 0), 0);
		/* right after unmap returns: the IOTLB entry is gone, the access faults */
		assert_int_equal(dev_write(c, iova, 0xee, NULL), -EFAULT);
		assert_int_equal(dev_write(c, iova + 200, 0xee, NULL), -EFAULT);
	}
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.maps, 50);
	assert_int_equal(st.unmaps, 50);
	assert_int_equal(st.backend_maps, 100); /* 2 pages each */
	assert_int_equal(st.backend_unmaps, 100);
	assert_int_equal(st.waits, 50); /* one synchronous wait per unmap */
	assert_true(st.invalidations >= 50);
	assert_int_equal(st.stale_max_entries, 0);
	assert_int_equal(st.stale_max_ns, 0);
	assert_int_equal(st.stale_now, 0);
	assert_true(st.map_cycles_p50 > 0 && st.unmap_cycles_p50 > 0);
	assert_true(st.unmap_cycles_p99 >= st.unmap_cycles_p50);
	iova_ctx_destroy(c);
	free(buf);
}

/* deferred's parameters: queues of fq_size entries on nb_cpus CPU slots, timeout in ns */
static void deferred_params(struct iova_ctx_params *p, unsigned int fq_size, unsigned int nb_cpus,
			    uint64_t timeout_ns)
{
	iova_ctx_default_params(p);
	p->fq_size = fq_size;
	p->nb_cpus = nb_cpus;
	p->fq_timeout_ns = timeout_ns;
}

/* n buffers mapped and unmapped, one after the other, on CPU slot cpu; *iova: the last */
static void map_unmap(struct iova_ctx *c, uint8_t *buf, unsigned int cpu, unsigned int n,
		      uint64_t *iova)
{
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, cpu, iova), 0);
		assert_int_equal(iova_ctx_unmap(c, *iova, 64, cpu), 0);
	}
}

static void test_deferred_stale_window(void **state)
{
	struct iova_ctx_params p;
	iova_ctx_default_params(&p);
	p.fq_size = 256;
	p.fq_timeout_ns = 300000000; /* 300 ms: long enough under valgrind and load */
	struct iova_ctx *c = mk(IOVA_STRAT_DEFERRED, soft_backend(LAT), &p);
	uint8_t *buf = pages_alloc(1);
	uint64_t iova;
	assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, 0, &iova), 0);
	assert_int_equal(dev_write(c, iova, 1, buf), 0); /* device caches the translation */
	assert_int_equal(iova_ctx_unmap(c, iova, 64, 0), 0);
	/* freed, yet the device still reaches it through its IOTLB: the stale window */
	assert_int_equal(dev_write(c, iova, 2, buf), 0);
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.stale_now, 1);
	assert_int_equal(st.stale_max_entries, 1);
	assert_int_equal(st.waits, 0);
	iova_ctx_poll(c, 0); /* before the timeout: nothing */
	assert_int_equal(dev_write(c, iova, 3, buf), 0);
	spin_ns(310000000);
	iova_ctx_poll(c, 0); /* timeout: one domain flush */
	assert_int_equal(dev_write(c, iova, 4, NULL), -EFAULT);
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.stale_now, 0);
	assert_int_equal(st.waits, 1);
	assert_true(st.stale_max_ns >= 300000000);
	iova_ctx_destroy(c);
	free(buf);
}

static void test_deferred_fq_full(void **state)
{
	struct iova_ctx_params p;
	deferred_params(&p, 16, 1, 10ull * 1000000000); /* timeout: never in this test */
	struct iova_ctx *c = mk(IOVA_STRAT_DEFERRED, soft_backend(LAT), &p);
	uint8_t *buf = pages_alloc(1);
	uint64_t iova;
	map_unmap(c, buf, 0, 16 * 10, &iova);
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	/* a full queue of 16 costs one domain-selective invalidation + one wait */
	assert_int_equal(st.waits, 9);
	assert_int_equal(st.invalidations, 9);
	assert_true(st.stale_max_entries <= 16);
	assert_true(st.stale_max_entries >= 15);
	iova_ctx_destroy(c);
	free(buf);
}

/* Per-CPU flush queues (Linux queue_iova()): a full queue on CPU 0 flushes the whole
 * domain once and frees CPU 0's entries; CPU 1's entries are covered by that flush (their
 * stale window closes then) but stay queued until CPU 1's next unmap frees them with no
 * flush of its own, or until the timeout frees every CPU's covered entries. */
static void test_deferred_percpu(void **state)
{
	struct iova_ctx_params p;
	deferred_params(&p, 4, 2, 10ull * 1000000000);
	struct iova_ctx *c = mk(IOVA_STRAT_DEFERRED, soft_backend(LAT), &p);
	uint8_t *buf = pages_alloc(1);
	uint64_t iova;
	struct iova_allocator_stats as;
	map_unmap(c, buf, 1, 2, &iova); /* two entries in CPU 1's queue */
	map_unmap(c, buf, 0, 4, &iova); /* CPU 0's queue: full, nothing freed yet */
	iova_allocator_get_stats(c->alloc, &as);
	assert_int_equal(as.frees, 0);
	map_unmap(c, buf, 0, 1, &iova); /* full: one flush */
	iova_allocator_get_stats(c->alloc, &as);
	assert_int_equal(as.frees, 4); /* CPU 0's four; CPU 1's two wait for CPU 1 */
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.waits, 1);
	assert_int_equal(st.stale_now, 1); /* CPU 1's two are no longer reachable */
	assert_int_equal(st.stale_max_entries, 6);
	/* CPU 1's next unmap first frees what CPU 0's flush covered: no flush of its own */
	map_unmap(c, buf, 1, 1, &iova);
	iova_allocator_get_stats(c->alloc, &as);
	assert_int_equal(as.frees, 6);
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.waits, 1);
	assert_int_equal(st.stale_now, 2);
	iova_ctx_destroy(c);
	free(buf);
}

/* The timeout flush frees every CPU's covered entries, one queue at a time. */
static void test_deferred_percpu_timeout(void **state)
{
	struct iova_ctx_params p;
	deferred_params(&p, 16, 3, 50000000); /* 50 ms */
	struct iova_ctx *c = mk(IOVA_STRAT_DEFERRED, soft_backend(LAT), &p);
	uint8_t *buf = pages_alloc(1);
	uint64_t iova;
	struct iova_allocator_stats as;
	for (unsigned int cpu = 0; cpu < 3; cpu++)
		map_unmap(c, buf, cpu, 3, &iova);
	iova_allocator_get_stats(c->alloc, &as);
	assert_int_equal(as.frees, 0);
	spin_ns(60000000);
	iova_ctx_poll(c, 2); /* any CPU's poll runs the timer for all */
	iova_allocator_get_stats(c->alloc, &as);
	assert_int_equal(as.frees, 9);
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.waits, 1);
	assert_int_equal(st.stale_now, 0);
	assert_int_equal(st.stale_max_entries, 9);
	assert_true(st.stale_max_ns >= 50000000);
	iova_ctx_poll(c, 0); /* disarmed: nothing queued, no second flush */
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.waits, 1);
	iova_ctx_destroy(c);
	free(buf);
}

/* A spy whose next fail_waits waits fail (-EIO, as a queue error would): the spy then
 * marks nothing covered, like hardware whose wait never completed. */
static unsigned int fail_waits;
static int failing_inv_flush(struct iova_backend *b, bool wait)
{
	if (wait && fail_waits) {
		fail_waits--;
		return -EIO;
	}
	return spy_inv_flush(b, wait);
}

/* A failed flush raises the start counter but never the finish counter: the queue's
 * entries stay queued (never reused early), the unmap that needed room is refused (its
 * IOVA leaks) instead of overwriting the ring, and the next completed flush covers what
 * the failed one would have (finish_cnt is a max): no extra flush afterwards. */
static void test_deferred_failed_flush(void **state)
{
	static struct iova_backend_ops ops;
	struct iova_ctx_params p;
	struct spy *sp = spy_create(LAT);
	deferred_params(&p, 4, 1, 10ull * 1000000000);
	ops = spy_ops;
	ops.inv_flush = failing_inv_flush;
	sp->be.ops = &ops;
	struct iova_ctx *c = mk(IOVA_STRAT_DEFERRED, &sp->be, &p);
	uint8_t *buf = pages_alloc(1);
	uint64_t iova;
	map_unmap(c, buf, 0, 4, &iova); /* a full queue */
	fail_waits = 1;
	assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, 0, &iova), 0);
	/* the flush failed: no room, this IOVA is leaked rather than reused early */
	assert_int_equal(iova_ctx_unmap(c, iova, 64, 0), -EIO);
	struct iova_ctx_stats st0;
	iova_ctx_get_stats(c, &st0);
	for (int i = 0; i < 40; i++) {
		assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, 0, &iova), 0);
		assert_int_equal(dev_write(c, iova + 8, (uint8_t)i, buf + 8), 0);
		assert_int_equal(iova_ctx_unmap(c, iova, 64, 0), 0);
	}
	assert_int_equal(sp->violations, 0);
	assert_true(sp->reuses > 0);
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	/* the failure costs nothing later: one flush per full queue of 4 (the next completed
	 * flush covers what the failed one would have), not two */
	printf("waits after the failure: %llu for 40 unmaps\n",
	       (unsigned long long)(st.waits - st0.waits));
	assert_int_equal(st.waits - st0.waits, 10);
	struct iova_allocator_stats as;
	iova_allocator_get_stats(c->alloc, &as);
	/* one CPU: every queued entry is uncovered; in use = queued + the leaked one */
	assert_true(st.stale_now >= 1 && st.stale_now <= 4);
	assert_int_equal(as.ranges_in_use, st.stale_now + 1);
	iova_ctx_destroy(c);
	free(buf);
}

static void test_optimistic(void **state)
{
	struct iova_ctx_params p;
	iova_ctx_default_params(&p);
	p.opt_quota = 32;
	p.opt_timeout_ns = 10ull * 1000000000;
	struct iova_ctx *c = mk(IOVA_STRAT_OPTIMISTIC, soft_backend(LAT), &p);
	uint8_t *buf = pages_alloc(200);
	uint64_t first, iova;
	/* the same buffer again and again: one mapping, reused */
	assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, 0, &first), 0);
	assert_int_equal(iova_ctx_unmap(c, first, 64, 0), 0);
	for (int i = 0; i < 99; i++) {
		assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, 0, &iova), 0);
		assert_int_equal(iova, first);
		assert_int_equal(iova_ctx_unmap(c, iova, 64, 0), 0);
	}
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.reuse_hits, 99);
	assert_int_equal(st.backend_maps, 1);
	assert_int_equal(st.backend_unmaps, 0);
	assert_int_equal(st.stale_now, 1);
	/* stale mapping: freed but the device still reaches it (even without an IOTLB entry) */
	assert_int_equal(dev_write(c, first, 9, buf), 0);
	/* quota: 200 distinct pages, never more than 32 stale */
	for (int i = 0; i < 200; i++) {
		assert_int_equal(
			iova_ctx_map(c, buf + i * IOVA_PAGE_SIZE, 64, IOVA_PROT_RW, 0, &iova), 0);
		assert_int_equal(iova_ctx_unmap(c, iova, 64, 0), 0);
		iova_ctx_get_stats(c, &st);
		assert_true(st.stale_now <= 32);
	}
	iova_ctx_get_stats(c, &st);
	assert_true(st.stale_max_entries <= 32);
	assert_true(st.stale_max_entries >= 30);
	assert_true(st.backend_unmaps >= 200 - 32);
	/* teardown is batched: quota/8 = 4 entries per wait */
	assert_true(st.waits * 3 <= st.backend_unmaps);
	/* the first page was evicted long ago: its old IOVA no longer reaches it (it may
	 * have been handed out again for another page) */
	void *h = NULL;
	int rc = iova_ctx_dma(c, first, 1, IOVA_PROT_WRITE, &h);
	assert_true(rc == -EFAULT || (rc == 0 && h != (void *)buf));
	iova_ctx_destroy(c);
	free(buf);
}

static void test_optimistic_timeout(void **state)
{
	struct iova_ctx_params p;
	iova_ctx_default_params(&p);
	p.opt_quota = 1000;
	p.opt_timeout_ns = 300000000; /* 300 ms */
	struct iova_ctx *c = mk(IOVA_STRAT_OPTIMISTIC, soft_backend(LAT), &p);
	uint8_t *buf = pages_alloc(8);
	uint64_t iova[8];
	for (int i = 0; i < 8; i++) {
		assert_int_equal(
			iova_ctx_map(c, buf + i * IOVA_PAGE_SIZE, 64, IOVA_PROT_RW, 0, &iova[i]),
			0);
		assert_int_equal(iova_ctx_unmap(c, iova[i], 64, 0), 0);
	}
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.stale_now, 8);
	spin_ns(310000000);
	iova_ctx_poll(c, 0);
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.stale_now, 0);
	assert_int_equal(st.waits, 1); /* 8 teardowns, one wait */
	assert_int_equal(st.backend_unmaps, 8);
	assert_true(st.stale_max_ns >= 300000000);
	for (int i = 0; i < 8; i++)
		assert_int_equal(dev_write(c, iova[i], 1, NULL), -EFAULT);
	iova_ctx_destroy(c);
	free(buf);
}

static void test_shared(void **state)
{
	struct iova_ctx *c = mk(IOVA_STRAT_SHARED, soft_backend(LAT), NULL);
	uint8_t *buf = pages_alloc(1);
	uint64_t a, b;
	assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, 0, &a), 0);
	assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, 0, &b), 0);
	assert_int_equal(a, b);
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.backend_maps, 1);
	assert_int_equal(st.reuse_hits, 1);
	assert_int_equal(dev_write(c, a, 5, buf), 0);
	assert_int_equal(iova_ctx_unmap(c, a, 64, 0), 0); /* 2 -> 1: still mapped */
	assert_int_equal(dev_write(c, a, 6, buf), 0);
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.backend_unmaps, 0);
	assert_int_equal(iova_ctx_unmap(c, b, 64, 0), 0); /* 1 -> 0: strict teardown */
	assert_int_equal(dev_write(c, a, 7, NULL), -EFAULT);
	assert_true(iova_ctx_unmap(c, b, 64, 0) < 0); /* once too often */
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.backend_unmaps, 1);
	assert_int_equal(st.waits, 1);
	assert_int_equal(st.stale_max_entries, 0);
	assert_int_equal(st.stale_max_ns, 0);
	iova_ctx_destroy(c);
	free(buf);
}

static void test_persistent(void **state)
{
	struct iova_ctx *c = mk(IOVA_STRAT_PERSISTENT, soft_backend(LAT), NULL);
	uint8_t *buf = pages_alloc(2);
	uint64_t first, iova;
	assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, 0, &first), 0);
	assert_int_equal(iova_ctx_unmap(c, first, 64, 0), 0);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, 0, &iova), 0);
		assert_int_equal(iova, first);
		assert_int_equal(iova_ctx_unmap(c, iova, 64, 0), 0);
	}
	assert_int_equal(iova_ctx_map(c, buf + IOVA_PAGE_SIZE, 64, IOVA_PROT_RW, 0, &iova), 0);
	assert_int_equal(iova_ctx_unmap(c, iova, 64, 0), 0);
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.backend_maps, 2);
	assert_int_equal(st.backend_unmaps, 0);
	assert_int_equal(st.invalidations, 0);
	assert_int_equal(st.reuse_hits, 100);
	assert_int_equal(st.stale_now, 2); /* freed, mapped forever */
	assert_int_equal(dev_write(c, first, 3, buf), 0);
	iova_ctx_destroy(c);
	free(buf);
}

static void test_ring(void **state)
{
	struct spy *sp = spy_create(LAT);
	struct iova_ctx *c = mk(IOVA_STRAT_RING, &sp->be, NULL);
	enum { N = 32, ROUNDS = 20 };
	uint8_t *buf = pages_alloc(N);
	void *host[N];
	uint64_t iova[N];
	for (int i = 0; i < N; i++)
		host[i] = buf + i * IOVA_PAGE_SIZE + 128;
	struct iova_ctx_stats st;
	for (int r = 0; r < ROUNDS; r++) {
		assert_int_equal(iova_ctx_map_bulk(c, host, 2048, IOVA_PROT_RW, 0, iova, N), 0);
		for (int i = 1; i < N; i++) /* ring-contiguous */
			assert_int_equal(iova[i] >> 12, (iova[i - 1] >> 12) + 1);
		for (int i = 0; i < N; i++)
			assert_int_equal(
				dev_write(c, iova[i], (uint8_t)(r + i), (uint8_t *)host[i]), 0);
		uint64_t w0 = sp->waits, inv0 = sp->inv_calls;
		iova_ctx_get_stats(c, &st);
		uint64_t cw0 = st.waits;
		assert_int_equal(iova_ctx_unmap_bulk(c, iova, 2048, 0, N), 0);
		assert_int_equal(sp->waits - w0, 1); /* ONE wait per burst */
		assert_true(sp->inv_calls - inv0 <= 2); /* 32 pages: at most 2 AM blocks */
		iova_ctx_get_stats(c, &st);
		assert_int_equal(st.waits - cw0, 1);
		for (int i = 0; i < N; i++) /* stale window 0 */
			assert_int_equal(dev_write(c, iova[i], 0xee, NULL), -EFAULT);
	}
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.stale_max_entries, 0);
	assert_int_equal(st.stale_max_ns, 0);
	assert_int_equal(sp->violations, 0);
	/* strict for comparison: 32 waits for the same burst */
	struct spy *ss = spy_create(LAT);
	struct iova_ctx *cs = mk(IOVA_STRAT_STRICT, &ss->be, NULL);
	assert_int_equal(iova_ctx_map_bulk(cs, host, 2048, IOVA_PROT_RW, 0, iova, N), 0);
	uint64_t w0 = ss->waits;
	assert_int_equal(iova_ctx_unmap_bulk(cs, iova, 2048, 0, N), 0);
	assert_int_equal(ss->waits - w0, N);
	iova_ctx_destroy(cs);
	/* bad unmaps are refused: not a ring IOVA, or not the start of a buffer */
	assert_int_equal(iova_ctx_map_bulk(c, host, 2048, IOVA_PROT_RW, 0, iova, 2), 0);
	assert_int_equal(iova_ctx_unmap(c, 0x5000, 64, 0), -EINVAL);
	assert_int_equal(iova_ctx_unmap_bulk(c, iova, 2048, 0, 2), 0);
	assert_int_equal(iova_ctx_unmap(c, iova[0], 2048, 0), -EINVAL); /* double */
	iova_ctx_destroy(c);
	free(buf);
}

static void test_pool(void **state)
{
	struct spy *sp = spy_create(LAT);
	struct iova_ctx *c = mk(IOVA_STRAT_POOL, &sp->be, NULL);
	enum { NP = 1024 }; /* 4 MiB: superpage-capable */
	uint8_t *pool = aligned_alloc(2u << 20, NP * IOVA_PAGE_SIZE);
	uint8_t *other = pages_alloc(1);
	assert_non_null(pool);
	memset(pool, 0, NP * IOVA_PAGE_SIZE);
	assert_int_equal(iova_ctx_register_pool(c, pool, NP * IOVA_PAGE_SIZE), 0);
	assert_int_equal(iova_ctx_register_pool(c, pool + 4096, 100), -EEXIST);
	assert_int_equal(iova_ctx_register_pool(c, pool, 0), -EINVAL);
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.backend_maps, NP); /* mapped once, whole */
	uint64_t maps0 = st.backend_maps;
	/* buffers inside: O(1), same IOVA every time, 2 MiB congruent, no IOMMU work */
	uint64_t a, b;
	assert_int_equal(iova_ctx_map(c, pool + 5000, 3000, IOVA_PROT_RW, 0, &a), 0);
	assert_int_equal((a - (uint64_t)(uintptr_t)(pool + 5000)) % (2u << 20), 0);
	assert_int_equal(dev_write(c, a + 2999, 1, pool + 5000 + 2999), 0);
	assert_int_equal(iova_ctx_unmap(c, a, 3000, 0), 0);
	assert_int_equal(iova_ctx_map(c, pool + 5000, 3000, IOVA_PROT_RW, 0, &b), 0);
	assert_int_equal(a, b);
	assert_int_equal(iova_ctx_unmap(c, b, 3000, 0), 0);
	/* freed pool pages stay reachable (counted per page: 5000..7999 spans pages 1) */
	assert_int_equal(dev_write(c, a, 2, pool + 5000), 0);
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.backend_maps, maps0);
	assert_int_equal(st.reuse_hits, 2);
	assert_int_equal(st.stale_now, 1);
	assert_int_equal(st.invalidations, 0);
	/* a buffer outside every pool: strict */
	uint64_t o;
	assert_int_equal(iova_ctx_map(c, other, 64, IOVA_PROT_RW, 0, &o), 0);
	assert_int_equal(dev_write(c, o, 3, other), 0);
	assert_int_equal(iova_ctx_unmap(c, o, 64, 0), 0);
	assert_int_equal(dev_write(c, o, 3, NULL), -EFAULT);
	/* unregister refuses while a buffer is in flight, then unmaps everything */
	assert_int_equal(iova_ctx_map(c, pool + 8192, 64, IOVA_PROT_RW, 0, &a), 0);
	assert_int_equal(iova_ctx_unregister_pool(c, pool), -EBUSY);
	assert_int_equal(iova_ctx_unmap(c, a, 64, 0), 0);
	assert_true(iova_ctx_unmap(c, a, 64, 0) < 0); /* once too often */
	assert_int_equal(iova_ctx_unregister_pool(c, pool + 7), 0);
	assert_int_equal(iova_ctx_unregister_pool(c, pool), -ENOENT);
	assert_int_equal(dev_write(c, a, 4, NULL), -EFAULT);
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.stale_now, 0);
	assert_int_equal(sp->violations, 0);
	/* other strategies ignore registration */
	struct iova_ctx *s2 = mk(IOVA_STRAT_STRICT, soft_backend(LAT), NULL);
	assert_int_equal(iova_ctx_register_pool(s2, pool, NP * IOVA_PAGE_SIZE), 0);
	iova_ctx_get_stats(s2, &st);
	assert_int_equal(st.backend_maps, 0);
	iova_ctx_destroy(s2);
	/* destroy with a registered pool tears it down */
	assert_int_equal(iova_ctx_register_pool(c, pool, NP * IOVA_PAGE_SIZE), 0);
	iova_ctx_destroy(c);
	free(pool);
	free(other);
}

/* ring with random bursts and random out-of-order subsets: one wait per unmap burst,
 * everything unmapped is unreachable when unmap_bulk returns, no early reuse */
static void test_ring_random_bursts(void **state)
{
	struct spy *sp = spy_create(LAT);
	struct iova_ctx *c = mk(IOVA_STRAT_RING, &sp->be, NULL);
	enum { NB = 96 };
	uint8_t *buf = pages_alloc(NB);
	struct {
		bool live;
		uint64_t iova;
	} b[NB] = { 0 };
	srand(4242);
	for (int round = 0; round < 300; round++) {
		void *host[64];
		uint64_t iova[64];
		int idx[64], n = 0, want = 1 + rand() % 40;
		for (int i = rand() % NB, k = 0; k < NB && n < want; k++, i = (i + 1) % NB)
			if (!b[i].live) {
				idx[n] = i;
				host[n++] = buf + i * IOVA_PAGE_SIZE + 100;
			}
		if (n) {
			assert_int_equal(iova_ctx_map_bulk(c, host, 1500, IOVA_PROT_RW, 0, iova, n),
					 0);
			for (int k = 0; k < n; k++) {
				b[idx[k]].live = true;
				b[idx[k]].iova = iova[k];
				assert_int_equal(
					dev_write(c, iova[k], (uint8_t)k, (uint8_t *)host[k]), 0);
			}
		}
		/* unmap a random subset, in random order */
		n = 0;
		for (int i = 0; i < NB && n < 64; i++)
			if (b[i].live && rand() % 2) {
				idx[n] = i;
				iova[n++] = b[i].iova;
			}
		for (int k = n - 1; k > 0; k--) {
			int j = rand() % (k + 1);
			uint64_t t = iova[k];
			iova[k] = iova[j];
			iova[j] = t;
		}
		if (!n)
			continue;
		uint64_t w0 = sp->waits;
		assert_int_equal(iova_ctx_unmap_bulk(c, iova, 1500, 0, n), 0);
		assert_int_equal(sp->waits - w0, 1);
		for (int k = 0; k < n; k++) {
			assert_int_equal(dev_write(c, iova[k], 0xee, NULL), -EFAULT);
			b[idx[k]].live = false;
		}
		assert_int_equal(sp->violations, 0);
	}
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.stale_max_entries, 0);
	iova_ctx_destroy(c); /* tears down what is still live */
	free(buf);
}

/* Random map/unmap/poll sequences: no strategy may map an IOVA page again before an
 * invalidation covering its last unmap completed (checked by the spy backend, which
 * does not trust the strategy's own counters), and live mappings always translate to
 * the right bytes. */
static void random_run(enum iova_strategy s, unsigned int seed)
{
	struct iova_ctx_params p;
	iova_ctx_default_params(&p);
	p.fq_size = 8;
	p.nb_cpus = 2;
	p.fq_timeout_ns = 200000; /* 0.2 ms */
	p.opt_quota = 8;
	p.opt_timeout_ns = 200000;
	struct spy *sp = spy_create(100);
	struct iova_ctx *c = mk(s, &sp->be, &p);
	enum { NB = 48, OPS = 3000 };
	uint8_t *buf = pages_alloc(NB * 2);
	struct {
		bool live;
		uint64_t iova;
		size_t len;
		uint8_t *host;
	} b[NB] = { 0 };
	/* pool: the first half of the buffers live in a registered pool, the rest fall back */
	assert_int_equal(iova_ctx_register_pool(c, buf, NB * IOVA_PAGE_SIZE), 0);
	srand(seed);
	unsigned int live = 0;
	for (int op = 0; op < OPS; op++) {
		int i = rand() % NB;
		unsigned int cpu = (unsigned int)rand() % 3;
		int what = rand() % 100;
		if (what < 3) {
			iova_ctx_poll(c, cpu);
		} else if (what < 4) {
			spin_ns(250000);
			iova_ctx_poll(c, cpu);
		} else if (!b[i].live) {
			b[i].host = buf + i * 2 * IOVA_PAGE_SIZE + (size_t)(rand() % 4096);
			b[i].len = 1 + (size_t)(rand() % 4096);
			int rc =
				iova_ctx_map(c, b[i].host, b[i].len, IOVA_PROT_RW, cpu, &b[i].iova);
			assert_int_equal(rc, 0);
			b[i].live = true;
			live++;
			uint8_t v = (uint8_t)rand();
			assert_int_equal(
				dev_write(c, b[i].iova + b[i].len - 1, v, b[i].host + b[i].len - 1),
				0);
		} else {
			assert_int_equal(iova_ctx_unmap(c, b[i].iova, b[i].len, cpu), 0);
			b[i].live = false;
			live--;
		}
		assert_int_equal(sp->violations, 0);
	}
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	if (s == IOVA_STRAT_DEFERRED) {
		assert_true(st.stale_max_entries > 0);
		assert_true(sp->reuses > 0); /* the invariant was actually exercised */
	}
	if (s == IOVA_STRAT_STRICT || s == IOVA_STRAT_SHARED || s == IOVA_STRAT_RING)
		assert_int_equal(st.stale_max_entries, 0);
	if (s == IOVA_STRAT_STRICT || s == IOVA_STRAT_SHARED)
		assert_true(sp->reuses > 0); /* (ring walks a 64 Ki-page window: no wrap here) */
	if (s == IOVA_STRAT_OPTIMISTIC)
		assert_true(st.stale_max_entries <= 8 + 1);
	for (int i = 0; i < NB; i++)
		if (b[i].live)
			assert_int_equal(iova_ctx_unmap(c, b[i].iova, b[i].len, 0), 0);
	iova_ctx_destroy(c);
	free(buf);
}

static void test_random_no_early_reuse(void **state)
{
	const enum iova_strategy ss[] = { IOVA_STRAT_STRICT,	 IOVA_STRAT_DEFERRED,
					  IOVA_STRAT_OPTIMISTIC, IOVA_STRAT_PERSISTENT,
					  IOVA_STRAT_SHARED,	 IOVA_STRAT_RING,
					  IOVA_STRAT_POOL };
	for (unsigned int k = 0; k < sizeof(ss) / sizeof(ss[0]); k++)
		for (unsigned int seed = 1; seed <= 3; seed++)
			random_run(ss[k], seed * 7919 + k);
}

/* The spy itself must catch a strategy that reuses too early: drive it by hand. */
static void test_spy_catches_early_reuse(void **state)
{
	struct spy *sp = spy_create(LAT);
	uint8_t *buf = pages_alloc(1);
	assert_int_equal(sp->be.ops->map(&sp->be, 0x10000, buf, 4096, IOVA_PROT_RW), 0);
	assert_int_equal(sp->be.ops->unmap(&sp->be, 0x10000, 4096), 0);
	assert_int_equal(sp->be.ops->map(&sp->be, 0x10000, buf, 4096, IOVA_PROT_RW), 0);
	assert_int_equal(sp->violations, 1);
	assert_int_equal(sp->be.ops->unmap(&sp->be, 0x10000, 4096), 0);
	sp->be.ops->inv_queue(&sp->be, 0, 0);
	assert_int_equal(sp->be.ops->inv_flush(&sp->be, true), 0);
	assert_int_equal(sp->be.ops->map(&sp->be, 0x10000, buf, 4096, IOVA_PROT_RW), 0);
	assert_int_equal(sp->violations, 1);
	assert_int_equal(sp->reuses, 1);
	sp->be.ops->destroy(&sp->be);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_deferred_stale_window),
		cmocka_unit_test(test_deferred_fq_full),
		cmocka_unit_test(test_deferred_percpu),
		cmocka_unit_test(test_deferred_percpu_timeout),
		cmocka_unit_test(test_deferred_failed_flush),
		cmocka_unit_test(test_optimistic),
		cmocka_unit_test(test_optimistic_timeout),
		cmocka_unit_test(test_shared),
		cmocka_unit_test(test_persistent),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_ring_random_bursts),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_spy_catches_early_reuse),
		cmocka_unit_test(test_random_no_early_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
