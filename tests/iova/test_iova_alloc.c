/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IOVA allocator against a reference model (a bitmap of user-owned pages plus a
 * list of live ranges): >= 10^6 random alloc/free operations on several CPUs'
 * magazines, with deliberate double and foreign frees. Checked on every step:
 * alignment, bounds, no overlap with any live range, -ENOMEM only when the model
 * has no free aligned block of that size (caches are flushed before giving up),
 * bad frees rejected with the state unchanged, statistics equal to the model.
 * Plus exact top-down placement, magazine reuse, and a two-thread run.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "iova.h"
#include "iova_alloc.h"
#include "test_scale.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
	return xorshift64s(&rng_state);
}

#define BASE 16ULL
#define SPAN 4096ULL
#define LIMIT (BASE + SPAN - 1)
#define NCPU 4

struct live {
	uint64_t pfn, npages, size;
};

static uint64_t bm[(BASE + SPAN + 63) / 64 + 1];
static inline bool bm_get(uint64_t p)
{
	return bm[p / 64] >> (p % 64) & 1;
}
static inline void bm_set(uint64_t p, bool v)
{
	if (v)
		bm[p / 64] |= 1ULL << (p % 64);
	else
		bm[p / 64] &= ~(1ULL << (p % 64));
}

/** Does the model have a free, size-aligned block of size pages inside [BASE, LIMIT]? */
static bool model_has_block(uint64_t size)
{
	uint64_t start = (BASE + size - 1) & ~(size - 1);

	for (uint64_t p = start; p + size - 1 <= LIMIT; p += size) {
		bool free_ = true;

		if (size >= 64) {
			for (uint64_t w = p / 64; w < (p + size) / 64; w++)
				if (bm[w]) {
					free_ = false;
					break;
				}
		} else {
			uint64_t mask = (size == 64 ? ~0ULL : ((1ULL << size) - 1)) << (p % 64);

			free_ = !(bm[p / 64] & mask);
		}
		if (free_)
			return true;
	}
	return false;
}

static uint64_t rand_npages(void)
{
	uint64_t r = rnd() % 100;

	if (r < 75)
		return 1 + rnd() % 8;
	if (r < 95)
		return 9 + rnd() % 24;
	return 33 + rnd() % 200;
}

static void test_model(void **state)
{
	(void)state;
	const uint64_t ops = scaled(1000000);
	struct iova_allocator *a = iova_allocator_create(BASE, LIMIT, NCPU);
	struct live *lv = calloc(SPAN, sizeof(*lv));
	uint64_t nlive = 0, used = 0;
	uint64_t n_alloc = 0, n_enomem = 0, n_free = 0, n_double = 0, n_foreign = 0, n_einval = 0;
	uint64_t divergences = 0;
	struct live last_freed = { 0, 0, 0 };
	struct iova_allocator_stats st;

	assert_non_null(a);
	memset(bm, 0, sizeof(bm));
	for (uint64_t i = 0; i < ops; i++) {
		uint64_t r = rnd() % 100;
		unsigned int cpu = rnd() % 10 == 0 ? IOVA_ANY_CPU : (unsigned int)(rnd() % NCPU);
		uint64_t p_alloc = used < SPAN * 3 / 4 ? 55 : 40;

		if (r < p_alloc) {
			uint64_t np = rand_npages(), size = 1, pfn = 0;

			while (size < np)
				size <<= 1;
			int rc = iova_alloc(a, np, cpu, &pfn);

			if (rc == 0) {
				n_alloc++;
				bool bad = (pfn % size) || pfn < BASE || pfn + size - 1 > LIMIT;

				for (uint64_t p = pfn; !bad && p < pfn + size; p++)
					bad = bm_get(p);
				if (bad) {
					divergences++;
					fprintf(stderr,
						"divergence: alloc %llu -> pfn %llu (misaligned, out of "
						"bounds or overlapping)\n",
						(unsigned long long)np, (unsigned long long)pfn);
					continue;
				}
				for (uint64_t p = pfn; p < pfn + size; p++)
					bm_set(p, 1);
				lv[nlive++] = (struct live){ pfn, np, size };
				used += size;
			} else if (rc == -ENOMEM) {
				n_enomem++;
				if (model_has_block(size)) {
					divergences++;
					fprintf(stderr,
						"divergence: -ENOMEM for %llu pages with a free block\n",
						(unsigned long long)size);
				}
			} else {
				divergences++;
				fprintf(stderr, "divergence: alloc returned %d\n", rc);
			}
		} else if (r < 92) {
			if (!nlive)
				continue;
			uint64_t k = rnd() % nlive;
			struct live l = lv[k];

			if (iova_free(a, l.pfn, l.npages, cpu) != 0) {
				divergences++;
				fprintf(stderr, "divergence: valid free of %llu rejected\n",
					(unsigned long long)l.pfn);
				continue;
			}
			n_free++;
			for (uint64_t p = l.pfn; p < l.pfn + l.size; p++)
				bm_set(p, 0);
			used -= l.size;
			lv[k] = lv[--nlive];
			last_freed = l;
		} else if (r < 96) {
			/* double free of the last freed range, unless it was handed out again */
			if (!last_freed.size || bm_get(last_freed.pfn))
				continue;
			n_double++;
			if (iova_free(a, last_freed.pfn, last_freed.npages, cpu) != -EINVAL) {
				divergences++;
				fprintf(stderr, "divergence: double free of %llu accepted\n",
					(unsigned long long)last_freed.pfn);
			}
		} else {
			/* foreign free: a pfn/size that is not a live range start */
			uint64_t pfn = BASE + rnd() % (SPAN + 64), np = rand_npages();
			bool is_live = false;

			for (uint64_t k = 0; k < nlive; k++)
				if (lv[k].pfn == pfn) {
					/* same start, different rounded size is still foreign */
					uint64_t size = 1;

					while (size < np)
						size <<= 1;
					is_live = lv[k].size == size;
				}
			if (is_live)
				continue;
			n_foreign++;
			if (iova_free(a, pfn, np, cpu) != -EINVAL) {
				divergences++;
				fprintf(stderr, "divergence: foreign free of %llu accepted\n",
					(unsigned long long)pfn);
			}
		}
		if (i % 4096 == 0) {
			iova_allocator_get_stats(a, &st);
			if (st.ranges_in_use != nlive || st.pages_in_use != used)
				divergences++;
		}
	}
	/* out-of-range requests */
	uint64_t pfn;

	if (iova_alloc(a, 0, 0, &pfn) != -EINVAL || iova_alloc(a, SPAN + 1, 0, &pfn) != -EINVAL)
		divergences++;
	else
		n_einval += 2;
	iova_allocator_get_stats(a, &st);
	printf("iova model: ops=%llu allocs=%llu enomem=%llu frees=%llu double_frees=%llu "
	       "foreign_frees=%llu einval=%llu cache_hits=%llu cache_misses=%llu bad_frees=%llu "
	       "live=%llu divergences=%llu\n",
	       (unsigned long long)ops, (unsigned long long)n_alloc, (unsigned long long)n_enomem,
	       (unsigned long long)n_free, (unsigned long long)n_double,
	       (unsigned long long)n_foreign, (unsigned long long)n_einval,
	       (unsigned long long)st.cache_hits, (unsigned long long)st.cache_misses,
	       (unsigned long long)st.bad_frees, (unsigned long long)nlive,
	       (unsigned long long)divergences);
	assert_int_equal(divergences, 0);
	assert_int_equal(st.allocs, n_alloc);
	assert_int_equal(st.frees, n_free);
	assert_int_equal(st.bad_frees, n_double + n_foreign);
	assert_int_equal(st.ranges_in_use, nlive);
	assert_int_equal(st.pages_in_use, used);
	assert_true(st.cache_hits > 0);
	assert_true(n_enomem > 0); /* the run did reach exhaustion */
	assert_true(n_double > 0 && n_foreign > 0);
	/* everything freed and caches flushed: the whole space is one block again */
	for (uint64_t k = 0; k < nlive; k++)
		assert_int_equal(iova_free(a, lv[k].pfn, lv[k].npages, 0), 0);
	iova_allocator_flush_caches(a);
	/* [16, 4111]: the only 2048-aligned 2048-page block is 2048..4095 */
	assert_int_equal(iova_alloc(a, SPAN / 2, IOVA_ANY_CPU, &pfn), 0);
	assert_true(pfn == 2048);
	assert_int_equal(iova_free(a, pfn, SPAN / 2, IOVA_ANY_CPU), 0);
	iova_allocator_destroy(a);
	free(lv);
}

static void test_top_down_exact(void **state)
{
	(void)state;
	struct iova_allocator *a = iova_allocator_create(0, 1023, 0);
	uint64_t p1, p4, p2, p;

	assert_non_null(a);
	/* Hand-computed from Linux __alloc_and_insert_iova_range(): */
	assert_int_equal(iova_alloc(a, 1, 0, &p1), 0);
	assert_true(p1 == 1023);
	assert_int_equal(iova_alloc(a, 3, 0, &p4), 0); /* rounded to 4: (1023 - 4) & ~3 */
	assert_true(p4 == 1016);
	assert_int_equal(iova_alloc(a, 2, 0, &p2), 0); /* (1016 - 2) & ~1 */
	assert_true(p2 == 1014);
	assert_int_equal(iova_alloc(a, 512, 0, &p), 0); /* (1014 - 512) & ~511 */
	assert_true(p == 0);
	assert_int_equal(iova_alloc(a, 512, 0, &p), -ENOMEM);
	/* below the cached node (pfn 0) nothing fits: the second pass from the top finds
	 * the hole 1020..1022 for 2 pages */
	assert_int_equal(iova_alloc(a, 2, 0, &p), 0);
	assert_true(p == 1020);
	/* 1 page: searched below the cached node (1020) first, as Linux does: 1013 */
	assert_int_equal(iova_alloc(a, 1, 0, &p), 0);
	assert_true(p == 1013);
	/* free 1016 (4 pages) and get it back; then the same size elsewhere */
	assert_int_equal(iova_free(a, 1016, 3, 0), 0);
	assert_int_equal(iova_free(a, 1016, 3, 0), -EINVAL); /* double free */
	assert_int_equal(iova_free(a, 1017, 1, 0), -EINVAL); /* foreign: inside a free hole */
	assert_int_equal(iova_free(a, 1014, 1, 0), -EINVAL); /* wrong size */
	assert_int_equal(iova_alloc(a, 4, 0, &p), 0);
	assert_true(p == 1016);
	assert_int_equal(iova_alloc(a, 4, 0, &p), 0);
	assert_true(p == 1008);
	struct iova_allocator_stats st;

	iova_allocator_get_stats(a, &st);
	assert_int_equal(st.bad_frees, 3);
	assert_int_equal(st.ranges_in_use, 7);
	assert_int_equal(st.pages_in_use, 1 + 2 + 512 + 2 + 1 + 4 + 4);
	assert_int_equal(st.cache_hits, 0);
	iova_allocator_destroy(a);
	assert_null(iova_allocator_create(10, 5, 1));
}

static void test_magazine_reuse_and_flush(void **state)
{
	(void)state;
	struct iova_allocator *a = iova_allocator_create(0, 4095, 2);
	uint64_t p[300], q;
	struct iova_allocator_stats st;

	assert_non_null(a);
	for (int i = 0; i < 300; i++)
		assert_int_equal(iova_alloc(a, 1, 0, &p[i]), 0);
	for (int i = 0; i < 300; i++)
		assert_int_equal(iova_free(a, p[i], 1, 0), 0);
	/* LIFO: cpu 0's magazine hands back the last freed pfn first */
	assert_int_equal(iova_alloc(a, 1, 0, &q), 0);
	assert_true(q == p[299]);
	iova_allocator_get_stats(a, &st);
	assert_int_equal(st.cache_hits, 1);
	assert_int_equal(st.cache_misses, 300);
	/* a cached range is not allocated: freeing it again is a double free, on any cpu */
	assert_int_equal(iova_free(a, p[298], 1, 0), -EINVAL);
	assert_int_equal(iova_free(a, p[298], 1, 1), -EINVAL);
	assert_int_equal(iova_free(a, p[298], 1, IOVA_ANY_CPU), -EINVAL);
	/* 300 frees: 2 x 127 in loaded/prev, one full magazine went to the depot;
	 * cpu 1 has empty magazines and takes the depot's one */
	assert_int_equal(iova_alloc(a, 1, 1, &q), 0);
	iova_allocator_get_stats(a, &st);
	assert_int_equal(st.cache_hits, 2);
	assert_int_equal(iova_free(a, q, 1, 1), 0);
	assert_int_equal(iova_free(a, p[299], 1, 0), 0);
	/* everything is cached: the whole space only fits after the caches are flushed */
	assert_int_equal(iova_alloc(a, 4096, 0, &q), 0);
	assert_true(q == 0);
	assert_int_equal(iova_alloc(a, 1, 0, &q), -ENOMEM);
	assert_int_equal(iova_free(a, 0, 4096, 0), 0);
	iova_allocator_get_stats(a, &st);
	assert_int_equal(st.ranges_in_use, 0);
	assert_int_equal(st.pages_in_use, 0);
	assert_int_equal(st.bad_frees, 3);
	iova_allocator_destroy(a);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Linux >= 6.7: unbounded depot, trimmed by one magazine per 100 ms while it holds
 * more magazines than CPUs. */
static void test_depot_trim(void **state)
{
	(void)state;
	struct iova_allocator *a = iova_allocator_create(0, 1023, 1); /* exactly 1024 pages */
	uint64_t p[1024], q;
	unsigned int n = 0;

	assert_non_null(a);
	for (n = 0; n < 1024; n++)
		assert_int_equal(iova_alloc(a, 1, IOVA_ANY_CPU, &p[n]), 0);
	/* 636 frees: 254 fill loaded + prev, pushes at frees 255, 382, 509, 636 */
	unsigned int i = 0;

	for (; i < 636; i++)
		assert_int_equal(iova_free(a, p[i], 1, 0), 0);
	assert_int_equal(iova_alloc_depot_size(a, 0), 4); /* < 100 ms since creation: no trim */
	sleep_ms(110);
	for (; i < 763; i++) /* one more push, then a trim */
		assert_int_equal(iova_free(a, p[i], 1, 0), 0);
	assert_int_equal(iova_alloc_depot_size(a, 0), 4);
	for (; i < 890; i++) /* within 100 ms: no trim */
		assert_int_equal(iova_free(a, p[i], 1, 0), 0);
	assert_int_equal(iova_alloc_depot_size(a, 0), 5);
	/* the trimmed magazine's 127 ranges are back in the (otherwise full) tree: the
	 * tree serves exactly 127 allocations without a flush, the 128th needs one */
	struct iova_allocator_stats st;

	iova_allocator_get_stats(a, &st);
	assert_int_equal(st.ranges_in_use, 1024 - 890);
	for (unsigned int k = 0; k < 127; k++)
		assert_int_equal(iova_alloc(a, 1, IOVA_ANY_CPU, &q), 0);
	assert_int_equal(iova_alloc_depot_size(a, 0), 5);
	assert_int_equal(iova_alloc(a, 1, IOVA_ANY_CPU, &q), 0); /* flush + retry */
	assert_int_equal(iova_alloc_depot_size(a, 0), 0);
	iova_allocator_destroy(a);
}

struct thr {
	struct iova_allocator *a;
	unsigned int cpu;
	uint64_t ops, errors;
	uint8_t *owner; /* per-page owner map, set with atomic CAS */
};

static void *alloc_thread(void *arg)
{
	struct thr *t = arg;
	uint64_t held[64], held_n[64];
	unsigned int n = 0;
	uint64_t s = 0x1234567ULL + t->cpu * 7919;

	for (uint64_t i = 0; i < t->ops; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		if ((s & 1) && n < 64) {
			uint64_t np = 1 + (s >> 8) % 16, pfn, size = 1;

			while (size < np)
				size <<= 1;
			if (iova_alloc(t->a, np, t->cpu, &pfn) != 0)
				continue;
			for (uint64_t p = pfn; p < pfn + size; p++) {
				uint8_t exp = 0;

				if (!__atomic_compare_exchange_n(
					    &t->owner[p], &exp, (uint8_t)(t->cpu + 1), false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
					t->errors++;
			}
			held[n] = pfn;
			held_n[n++] = np;
		} else if (n) {
			unsigned int k = (unsigned int)((s >> 16) % n);
			uint64_t size = 1;

			while (size < held_n[k])
				size <<= 1;
			for (uint64_t p = held[k]; p < held[k] + size; p++)
				__atomic_store_n(&t->owner[p], 0, __ATOMIC_RELEASE);
			if (iova_free(t->a, held[k], held_n[k], t->cpu) != 0)
				t->errors++;
			held[k] = held[--n];
			held_n[k] = held_n[n];
		}
	}
	while (n--) {
		uint64_t size = 1;

		while (size < held_n[n])
			size <<= 1;
		for (uint64_t p = held[n]; p < held[n] + size; p++)
			__atomic_store_n(&t->owner[p], 0, __ATOMIC_RELEASE);
		if (iova_free(t->a, held[n], held_n[n], t->cpu) != 0)
			t->errors++;
	}
	return NULL;
}

struct flusher {
	struct iova_allocator *a;
	int stop;
	uint64_t flushes;
};

static void *flush_thread(void *arg)
{
	struct flusher *f = arg;

	while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE) && f->flushes < 1000000) {
		iova_allocator_flush_caches(f->a);
		f->flushes++;
	}
	return NULL;
}

/*
 * Two CPUs allocating and freeing (plus IOVA_ANY_CPU frees of the other CPU's
 * ranges would be legal too) while a third thread flushes all caches: a page is
 * never owned twice (atomic owner map), no valid free is rejected. The space is
 * small (1024 pages for up to 2 x 64 x 16 pages held) so exhaustion, with its
 * flush-and-retry, happens concurrently as well.
 */
static void test_threads(void **state)
{
	(void)state;
	const uint64_t limit = 1023;
	struct iova_allocator *a = iova_allocator_create(0, limit, 2);
	uint8_t *owner = calloc(limit + 1, 1);
	struct thr t[2] = {
		{ a, 0, scaled(200000), 0, owner },
		{ a, 1, scaled(200000), 0, owner },
	};
	struct flusher fl = { a, 0, 0 };
	pthread_t th[2], fth;
	struct iova_allocator_stats st;

	assert_int_equal(pthread_create(&fth, NULL, flush_thread, &fl), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, alloc_thread, &t[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	__atomic_store_n(&fl.stop, 1, __ATOMIC_RELEASE);
	pthread_join(fth, NULL);
	assert_int_equal(t[0].errors + t[1].errors, 0);
	assert_true(fl.flushes > 0);
	iova_allocator_get_stats(a, &st);
	assert_int_equal(st.ranges_in_use, 0);
	assert_int_equal(st.pages_in_use, 0);
	assert_int_equal(st.bad_frees, 0);
	printf("iova threads: allocs=%llu frees=%llu cache_hits=%llu flushes=%llu\n",
	       (unsigned long long)st.allocs, (unsigned long long)st.frees,
	       (unsigned long long)st.cache_hits, (unsigned long long)fl.flushes);
	iova_allocator_destroy(a);
	free(owner);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top_down_exact),
		cmocka_unit_test(test_magazine_reuse_and_flush),
		cmocka_unit_test(test_depot_trim),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
