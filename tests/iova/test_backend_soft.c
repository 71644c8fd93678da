/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soft backend as a protection boundary: 10^6 random device accesses (random
 * IOVAs, lengths and access types, half of them aimed at and around mapped
 * ranges) against a model of what is mapped. Every access that succeeds must
 * land exactly where the model says, with the right rights; nothing unmapped
 * ever translates. Ranges are unmapped and remapped along the way (unmap +
 * invalidate + synchronous flush, after which the model drops them).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "iova.h"
#include "iova_alloc.h"
#include "test_scale.h"
#include "vtd_priv.h"

static uint64_t rng_state = 0xC0FFEE1234567ULL;
static uint64_t rnd(void)
{
	return xorshift64s(&rng_state);
}

#define NR_RANGES 48
#define MAX_PAGES 16

struct range {
	uint64_t iova, npages;
	uint8_t *host;
	int prot;
	bool mapped;
};

static struct range rg[NR_RANGES];

/** Model: the range and page that map iova, or NULL. */
static struct range *model_find(uint64_t iova)
{
	for (unsigned int i = 0; i < NR_RANGES; i++)
		if (rg[i].mapped && iova >= rg[i].iova && iova < rg[i].iova + rg[i].npages * 4096)
			return &rg[i];
	return NULL;
}

static void test_random_accesses(void **state)
{
	(void)state;
	const uint64_t n = scaled(1000000);
	struct vtd_soft_params p;
	struct iova_backend *b;
	struct iova_allocator *al;
	uint8_t *arena;
	uint64_t ok = 0, faults = 0, wrong = 0, leaked = 0, mapped_tries = 0, unmapped_tries = 0;
	uint64_t remaps = 0, erange = 0;

	vtd_soft_default_params(&p);
	b = iova_backend_soft_create(&p, 0x0310, 42);
	assert_non_null(b);
	assert_non_null(iova_backend_soft_unit(b));
	assert_string_equal(b->ops->name, "soft-vtd");
	/* IOVAs from the allocator in the low 4 GiB, one 64 KiB-aligned slot each */
	al = iova_allocator_create(1, (1ULL << 20) - 1, 0);
	assert_non_null(al);
	arena = aligned_alloc(4096, (size_t)NR_RANGES * MAX_PAGES * 4096);
	assert_non_null(arena);
	for (unsigned int i = 0; i < NR_RANGES; i++) {
		uint64_t pfn;

		assert_int_equal(iova_alloc(al, MAX_PAGES, IOVA_ANY_CPU, &pfn), 0);
		rg[i].iova = pfn << 12;
		rg[i].npages = 1 + rnd() % MAX_PAGES;
		rg[i].host = arena + (size_t)i * MAX_PAGES * 4096;
		rg[i].prot = (int)(1 + rnd() % 3);
		assert_int_equal(
			b->ops->map(b, rg[i].iova, rg[i].host, rg[i].npages * 4096, rg[i].prot), 0);
		rg[i].mapped = true;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t iova;
		size_t len = 1 + rnd() % 256;
		int access = (rnd() & 1) ? IOVA_PROT_READ : IOVA_PROT_WRITE;
		void *h = NULL;

		if ((i & 1) == 0) {
			/* anywhere in the 48-bit space, or in the low 4 GiB */
			iova = (rnd() & 3) ? rnd() & ((1ULL << 32) - 1) :
					     rnd() & ((1ULL << 48) - 1);
		} else {
			/* at or just around a range: its pages, its guard pages, its edges */
			struct range *r = &rg[rnd() % NR_RANGES];
			int64_t off = (int64_t)(rnd() % ((r->npages + 2) * 4096)) - 4096;

			iova = r->iova + (uint64_t)off;
		}
		if (iova + len > (1ULL << 48))
			len = 1;
		/* model: every byte's page mapped, with the access right, host-contiguous */
		struct range *r0 = model_find(iova), *r1 = model_find(iova + len - 1);
		bool expect_ok = r0 && r1 == r0 && (r0->prot & access);

		if (r0)
			mapped_tries++;
		else
			unmapped_tries++;
		int rc = b->ops->dma(b, iova, len, access, &h);

		if (rc == 0) {
			ok++;
			if (!r0 || !r1) {
				leaked++;
			} else if (!expect_ok) {
				/* both ends mapped, but without the right or across two ranges */
				wrong++;
			} else if (h != r0->host + (iova - r0->iova)) {
				wrong++;
			}
		} else if (rc == -ERANGE) {
			erange++; /* translates page by page, but across two ranges */
			if (!(r0 && r1 && r0 != r1))
				wrong++;
		} else {
			assert_int_equal(rc, -EFAULT);
			faults++;
			if (expect_ok)
				wrong++;
		}
		/* now and then unmap + invalidate + wait, and map something else */
		if (i % 5000 == 4999) {
			struct range *r = &rg[rnd() % NR_RANGES];

			if (r->mapped) {
				assert_int_equal(b->ops->unmap(b, r->iova, r->npages * 4096), 0);
				assert_true(b->ops->inv_queue(b, r->iova, r->npages) > 0);
				assert_int_equal(b->ops->inv_flush(b, true), 0);
				r->mapped = false;
			} else {
				r->npages = 1 + rnd() % MAX_PAGES;
				r->prot = (int)(1 + rnd() % 3);
				assert_int_equal(
					b->ops->map(b, r->iova, r->host, r->npages * 4096, r->prot),
					0);
				r->mapped = true;
			}
			remaps++;
		}
	}
	struct vtd_soft_stats st;
	struct vtd_fault f;
	unsigned int popped = 0;

	vtd_soft_get_stats(iova_backend_soft_unit(b), &st);
	while (vtd_soft_fault_pop(iova_backend_soft_unit(b), &f) && popped < 100)
		popped++;
	printf("soft backend: accesses=%llu ok=%llu faults=%llu erange=%llu mapped_tries=%llu "
	       "unmapped_tries=%llu leaked=%llu wrong=%llu remaps=%llu iotlb_hits=%llu "
	       "iotlb_misses=%llu stale_hits=%llu phys_maps=%llu phys_unmaps=%llu phys_inv=%llu\n",
	       (unsigned long long)n, (unsigned long long)ok, (unsigned long long)faults,
	       (unsigned long long)erange, (unsigned long long)mapped_tries,
	       (unsigned long long)unmapped_tries, (unsigned long long)leaked,
	       (unsigned long long)wrong, (unsigned long long)remaps,
	       (unsigned long long)st.iotlb_hits, (unsigned long long)st.iotlb_misses,
	       (unsigned long long)st.stale_hits, (unsigned long long)b->phys_maps,
	       (unsigned long long)b->phys_unmaps, (unsigned long long)b->phys_invalidations);
	assert_int_equal(leaked, 0);
	assert_int_equal(wrong, 0);
	assert_int_equal(st.stale_hits, 0); /* every unmap was flushed before the next access */
	assert_true(ok > n / 20);
	assert_true(faults > n / 4);
	assert_int_equal(st.faults, faults);
	assert_int_equal(popped, 8); /* 8 fault recording registers, then PFO */
	assert_int_equal(b->phys_maps, NR_RANGES + (remaps - b->phys_unmaps));
	b->ops->destroy(b);
	iova_allocator_destroy(al);
	free(arena);
}

static void test_create_errors(void **state)
{
	(void)state;
	struct vtd_soft_params p;

	vtd_soft_default_params(&p);
	assert_null(iova_backend_soft_create(&p, 0x0100, 0));
	assert_int_equal(errno, EINVAL);
	p.qi_entries = 300;
	assert_null(iova_backend_soft_create(&p, 0x0100, 1));
	assert_int_equal(errno, EINVAL);
	assert_null(iova_backend_soft_unit(NULL));
	/* NULL params: all defaults */
	struct iova_backend *b = iova_backend_soft_create(NULL, 0x0100, 1);

	assert_non_null(b);
	assert_int_equal(b->ops->inv_queue(b, 0, 0), 1);
	assert_int_equal(b->ops->inv_flush(b, true), 0);
	assert_int_equal(b->phys_invalidations, 1);
	b->ops->destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_accesses),
		cmocka_unit_test(test_create_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
