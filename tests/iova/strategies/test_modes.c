/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest-IOMMU emulation modes: native, trap-and-emulate and sidecore must produce the
 * same physical mappings; trap-and-emulate exits once per guest IQT write, sidecore
 * never; the VMM rejects malformed guest descriptors (IQE) and the guest recovers.
 */
#include "test_common.h"
#include <pthread.h>

#include "vtd_defs.h"

#define LAT 200

enum { NBUF = 12 };

struct run {
	uint64_t iova[NBUF];
	uint64_t exits, maps, unmaps;
	struct iova_mode_stats ms;
};

static void same_mappings_run(enum iova_mode m, uint8_t *buf, struct run *out)
{
	struct iova_ctx *c = mk_mode(IOVA_STRAT_STRICT, m, soft_backend(LAT), NULL);
	memset(out, 0, sizeof(*out));
	/* 6 single maps of 1..2 pages, then a bulk of 6 */
	for (int i = 0; i < 6; i++) {
		size_t len = i & 1 ? 6000 : 100;
		assert_int_equal(iova_ctx_map(c, buf + i * 2 * IOVA_PAGE_SIZE + 64 * i, len,
					      IOVA_PROT_RW, 0, &out->iova[i]),
				 0);
	}
	void *host[6];
	for (int i = 0; i < 6; i++)
		host[i] = buf + (6 + i) * 2 * IOVA_PAGE_SIZE + 32;
	assert_int_equal(iova_ctx_map_bulk(c, host, 3000, IOVA_PROT_READ, 0, &out->iova[6], 6), 0);
	/* the device reaches exactly the guest's buffers through the physical IOMMU */
	for (int i = 0; i < 6; i++) {
		void *h;
		assert_int_equal(iova_ctx_dma(c, out->iova[i], 1, IOVA_PROT_WRITE, &h), 0);
		assert_ptr_equal(h, buf + i * 2 * IOVA_PAGE_SIZE + 64 * i);
		if (i & 1) { /* second page of a 2-page buffer */
			assert_int_equal(
				iova_ctx_dma(c, out->iova[i] + 5000, 1, IOVA_PROT_READ, &h), 0);
			assert_ptr_equal(h, buf + i * 2 * IOVA_PAGE_SIZE + 64 * i + 5000);
		}
	}
	for (int i = 6; i < NBUF; i++) {
		void *h;
		assert_int_equal(iova_ctx_dma(c, out->iova[i] + 10, 1, IOVA_PROT_READ, &h), 0);
		assert_ptr_equal(h, (uint8_t *)host[i - 6] + 10);
		/* read-only mapping: a device write faults */
		assert_int_equal(iova_ctx_dma(c, out->iova[i], 1, IOVA_PROT_WRITE, &h), -EFAULT);
	}
	struct iova_backend *be = iova_ctx_backend(c);
	if (m != IOVA_MODE_NATIVE)
		assert_int_equal(iova_mode_get_stats(be, &out->ms), 0);
	else
		assert_int_equal(iova_mode_get_stats(be, &out->ms), -EINVAL);
	for (int i = 0; i < 6; i++)
		assert_int_equal(iova_ctx_unmap(c, out->iova[i], i & 1 ? 6000 : 100, 0), 0);
	assert_int_equal(iova_ctx_unmap_bulk(c, &out->iova[6], 3000, 0, 6), 0);
	for (int i = 0; i < NBUF; i++) {
		void *h;
		assert_int_equal(iova_ctx_dma(c, out->iova[i], 1, IOVA_PROT_READ, &h), -EFAULT);
	}
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	out->exits = st.exits;
	out->maps = st.maps;
	out->unmaps = st.unmaps;
	if (m != IOVA_MODE_NATIVE) {
		struct iova_mode_stats ms;
		assert_int_equal(iova_mode_get_stats(be, &ms), 0);
		assert_int_equal(ms.shadow_pages, 0); /* shadow emptied by the unmaps */
		assert_int_equal(ms.descs_rejected, 0);
		assert_int_equal(ms.shadow_maps, 15); /* 1+2+1+2+1+2 pages + 6 one-page buffers */
		out->ms = ms;
	}
	iova_ctx_destroy(c);
}

static void test_same_physical_mappings(void **state)
{
	uint8_t *buf = aligned_alloc(IOVA_PAGE_SIZE, 2 * NBUF * IOVA_PAGE_SIZE);
	assert_non_null(buf);
	struct run r[3];
	for (int m = 0; m < 3; m++)
		same_mappings_run(m, buf, &r[m]);
	for (int i = 0; i < NBUF; i++) {
		assert_int_equal(r[1].iova[i], r[0].iova[i]);
		assert_int_equal(r[2].iova[i], r[0].iova[i]);
	}
	assert_int_equal(r[0].exits, 0);
	/* caching mode: one guest flush (one IQT write = one exit) per map and per unmap */
	assert_int_equal(r[1].exits, r[1].maps + r[1].unmaps);
	assert_int_equal(r[1].exits, 2 * NBUF);
	assert_int_equal(r[1].ms.doorbells, 2 * NBUF);
	/* sidecore: the same doorbells, no exits */
	assert_int_equal(r[2].exits, 0);
	assert_int_equal(r[2].ms.doorbells, 2 * NBUF);
	assert_int_equal(r[2].ms.waits_completed, 2 * NBUF);
	free(buf);
}

static void test_bad_descriptors(void **state)
{
	for (int m = IOVA_MODE_TRAP_EMULATE; m <= IOVA_MODE_SIDECORE; m++) {
		struct iova_ctx *c = mk_mode(IOVA_STRAT_STRICT, m, soft_backend(LAT), NULL);
		struct iova_backend *be = iova_ctx_backend(c);
		struct iova_mode_stats ms;
		uint32_t bogus_status;
		struct vtd_desc bad[] = {
			/* IOTLB with reserved lo bit 8 set */
			{ vtd_desc_iotlb_domain(1).lo | VTD_BIT(8), 0 },
			/* unknown type 7 */
			{ 7, 0 },
			/* page-selective with AM beyond MAMV */
			vtd_desc_iotlb_page(1, 0, 30, false),
			/* page-selective whose address is not aligned to its mask */
			vtd_desc_iotlb_page(1, 0x3000, 2, false),
			/* wait descriptor writing status somewhere else than guest memory */
			vtd_desc_wait(1, (uint64_t)(uintptr_t)&bogus_status, false),
		};
		for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(iova_mode_guest_submit_raw(be, &bad[i], 1), -EIO);
			assert_int_equal(iova_mode_get_stats(be, &ms), 0);
			assert_int_equal(ms.descs_rejected, i + 1);
		}
		/* good descriptors after recovery: processed */
		struct vtd_desc good[] = { vtd_desc_context_global(), vtd_desc_iotlb_global(),
					   vtd_desc_iotlb_page(1, 0x4000, 2, false) };
		assert_int_equal(iova_mode_guest_submit_raw(be, good, 3), 0);
		/* a bad one in the middle: the ones before it ran, the queue stopped at it */
		assert_int_equal(iova_mode_get_stats(be, &ms), 0);
		uint64_t descs = ms.descs;
		struct vtd_desc mixed[] = { vtd_desc_iotlb_global(),
					    { 7, 0 },
					    vtd_desc_iotlb_global() };
		assert_int_equal(iova_mode_guest_submit_raw(be, mixed, 3), -EIO);
		assert_int_equal(iova_mode_get_stats(be, &ms), 0);
		assert_int_equal(ms.descs, descs + 1);
		/* and the DMA API still works afterwards */
		uint8_t *buf = aligned_alloc(IOVA_PAGE_SIZE, IOVA_PAGE_SIZE);
		uint64_t iova;
		void *h;
		assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, 0, &iova), 0);
		assert_int_equal(iova_ctx_dma(c, iova, 1, IOVA_PROT_WRITE, &h), 0);
		assert_ptr_equal(h, buf);
		assert_int_equal(iova_ctx_unmap(c, iova, 64, 0), 0);
		assert_int_equal(iova_ctx_dma(c, iova, 1, IOVA_PROT_WRITE, &h), -EFAULT);
		/* raw submission is refused on a native backend */
		struct iova_backend *phys = soft_backend(LAT);
		assert_int_equal(iova_mode_guest_submit_raw(phys, good, 1), -EINVAL);
		phys->ops->destroy(phys);
		free(buf);
		iova_ctx_destroy(c);
	}
}

/* Strategies through the emulated IOMMUs: the physical view (spy under the wrapper)
 * never sees an early reuse, and deferred's domain flush drops the whole shadow. */
static void test_strategies_through_modes(void **state)
{
	const enum iova_strategy ss[] = { IOVA_STRAT_DEFERRED, IOVA_STRAT_OPTIMISTIC,
					  IOVA_STRAT_RING, IOVA_STRAT_SHARED };
	uint8_t *buf = aligned_alloc(IOVA_PAGE_SIZE, 32 * IOVA_PAGE_SIZE);
	assert_non_null(buf);
	for (int m = IOVA_MODE_TRAP_EMULATE; m <= IOVA_MODE_SIDECORE; m++)
		for (unsigned int k = 0; k < sizeof(ss) / sizeof(ss[0]); k++) {
			struct iova_ctx_params p;
			iova_ctx_default_params(&p);
			p.fq_size = 4;
			p.opt_quota = 4;
			p.nb_cpus = 1;
			struct spy *sp = spy_create(LAT);
			struct iova_ctx *c = mk_mode(ss[k], m, &sp->be, &p);
			uint64_t iova[32];
			srand(k + 17 * (unsigned int)m);
			for (int round = 0; round < 20; round++) {
				int n = 1 + rand() % 32;
				void *host[32];
				for (int i = 0; i < n; i++)
					host[i] = buf + (size_t)((rand() % 32)) * IOVA_PAGE_SIZE;
				if (ss[k] == IOVA_STRAT_SHARED || ss[k] == IOVA_STRAT_OPTIMISTIC) {
					/* distinct pages within a burst so every buffer is its own mapping */
					for (int i = 0; i < n; i++)
						host[i] = buf + (size_t)i * IOVA_PAGE_SIZE;
				}
				assert_int_equal(
					iova_ctx_map_bulk(c, host, 512, IOVA_PROT_RW, 0, iova, n),
					0);
				for (int i = 0; i < n; i++) {
					void *h;
					assert_int_equal(iova_ctx_dma(c, iova[i] + 7, 1,
								      IOVA_PROT_WRITE, &h),
							 0);
					assert_ptr_equal(h, (uint8_t *)host[i] + 7);
				}
				assert_int_equal(iova_ctx_unmap_bulk(c, iova, 512, 0, n), 0);
				assert_int_equal(sp->violations, 0);
			}
			struct iova_ctx_stats st;
			iova_ctx_get_stats(c, &st);
			if (m == IOVA_MODE_TRAP_EMULATE)
				assert_true(st.exits > 0);
			else
				assert_int_equal(st.exits, 0);
			if (ss[k] == IOVA_STRAT_RING)
				assert_int_equal(st.stale_max_entries, 0);
			iova_ctx_destroy(c);
		}
	free(buf);
}

/* Several guest threads through one emulated IOMMU at once (the ctx lock and the guest
 * driver lock serialize them; the VMM thread runs beside them). */
struct mt_arg {
	struct iova_ctx *c;
	uint8_t *buf;
	unsigned int cpu;
	int errors;
};

static void *mt_worker(void *p)
{
	struct mt_arg *a = p;
	for (int i = 0; i < 300; i++) {
		void *host[4];
		uint64_t iova[4];
		for (int k = 0; k < 4; k++)
			host[k] = a->buf + (size_t)((i + k) % 16) * IOVA_PAGE_SIZE;
		if (iova_ctx_map_bulk(a->c, host, 256, IOVA_PROT_RW, a->cpu, iova, 4) != 0) {
			a->errors++;
			continue;
		}
		for (int k = 0; k < 4; k++) {
			void *h;
			if (iova_ctx_dma(a->c, iova[k], 1, IOVA_PROT_READ, &h) != 0 || h != host[k])
				a->errors++;
		}
		if (iova_ctx_unmap_bulk(a->c, iova, 256, a->cpu, 4) != 0)
			a->errors++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	const struct {
		enum iova_strategy s;
		enum iova_mode m;
	} cfg[] = {
		{ IOVA_STRAT_STRICT, IOVA_MODE_TRAP_EMULATE },
		{ IOVA_STRAT_DEFERRED, IOVA_MODE_SIDECORE },
		{ IOVA_STRAT_RING, IOVA_MODE_TRAP_EMULATE },
	};
	for (unsigned int k = 0; k < sizeof(cfg) / sizeof(cfg[0]); k++) {
		struct iova_ctx_params p;
		iova_ctx_default_params(&p);
		p.nb_cpus = 2;
		struct spy *sp = spy_create(LAT);
		struct iova_ctx *c = mk_mode(cfg[k].s, cfg[k].m, &sp->be, &p);
		uint8_t *buf = aligned_alloc(IOVA_PAGE_SIZE, 16 * IOVA_PAGE_SIZE);
		pthread_t t[2];
		struct mt_arg a[2] = { { c, buf, 0, 0 }, { c, buf, 1, 0 } };
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&t[i], NULL, mt_worker, &a[i]), 0);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		assert_int_equal(a[0].errors + a[1].errors, 0);
		assert_int_equal(sp->violations, 0);
		struct iova_ctx_stats st;
		iova_ctx_get_stats(c, &st);
		assert_int_equal(st.maps, 2 * 300 * 4);
		assert_int_equal(st.unmaps, 2 * 300 * 4);
		iova_ctx_destroy(c);
		free(buf);
	}
}

/* A physical map the VMM cannot make (VFIO refusing an IOVA) surfaces as -EIO from the
 * guest's map instead of a silently missing translation; nothing leaks. */
static void test_shadow_error(void **state)
{
	for (int m = IOVA_MODE_TRAP_EMULATE; m <= IOVA_MODE_SIDECORE; m++) {
		struct spy *sp = spy_create(LAT);
		struct iova_ctx *c = mk_mode(IOVA_STRAT_STRICT, m, &sp->be, NULL);
		uint8_t *buf = aligned_alloc(IOVA_PAGE_SIZE, IOVA_PAGE_SIZE);
		uint64_t iova;
		sp->fail_maps = 1;
		assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, 0, &iova), -EIO);
		struct iova_mode_stats ms;
		assert_int_equal(iova_mode_get_stats(iova_ctx_backend(c), &ms), 0);
		assert_int_equal(ms.shadow_errors, 1);
		assert_int_equal(ms.shadow_pages, 0);
		struct iova_allocator_stats as;
		iova_allocator_get_stats(c->alloc, &as);
		assert_int_equal(as.allocs, as.frees); /* the IOVA went back */
		/* and the next map works */
		assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, 0, &iova), 0);
		void *h;
		assert_int_equal(iova_ctx_dma(c, iova, 1, IOVA_PROT_READ, &h), 0);
		assert_ptr_equal(h, buf);
		assert_int_equal(iova_ctx_unmap(c, iova, 64, 0), 0);
		iova_ctx_destroy(c);
		free(buf);
	}
}

static void test_vmexit_cost_and_lifecycle(void **state)
{
	struct iova_ctx_params p;
	iova_ctx_default_params(&p);
	p.mode_params.vmexit_ns = 50000; /* 50 us per exit, modeled */
	struct iova_ctx *c =
		mk_mode(IOVA_STRAT_STRICT, IOVA_MODE_TRAP_EMULATE, soft_backend(LAT), &p);
	uint8_t *buf = aligned_alloc(IOVA_PAGE_SIZE, IOVA_PAGE_SIZE);
	uint64_t iova, t0 = iova_now_ns();
	assert_int_equal(iova_ctx_map(c, buf, 64, IOVA_PROT_RW, 0, &iova), 0);
	assert_int_equal(iova_ctx_unmap(c, iova, 64, 0), 0);
	assert_true(iova_now_ns() - t0 >= 2 * 50000);
	iova_ctx_destroy(c);
	free(buf);
	/* VMM threads start and stop cleanly, also pinned */
	for (int i = 0; i < 10; i++) {
		iova_ctx_default_params(&p);
		p.mode_params.vmm_cpu = i & 1;
		struct iova_ctx *t =
			mk_mode(IOVA_STRAT_RING, IOVA_MODE_TRAP_EMULATE, soft_backend(LAT), &p);
		struct iova_ctx *s =
			mk_mode(IOVA_STRAT_DEFERRED, IOVA_MODE_SIDECORE, soft_backend(LAT), &p);
		iova_ctx_destroy(s);
		iova_ctx_destroy(t);
	}
	/* iova_mode_wrap: native returns phys itself; a wrapper passed to the ctx is not re-wrapped */
	struct iova_backend *phys = soft_backend(LAT);
	assert_ptr_equal(iova_mode_wrap(IOVA_MODE_NATIVE, NULL, phys), phys);
	struct iova_backend *w = iova_mode_wrap(IOVA_MODE_SIDECORE, NULL, phys);
	assert_non_null(w);
	iova_ctx_default_params(&p);
	p.mode = IOVA_MODE_TRAP_EMULATE;
	struct iova_ctx *c2 = iova_ctx_create(&p, w);
	assert_non_null(c2);
	assert_ptr_equal(iova_ctx_backend(c2), w);
	assert_string_equal(w->ops->name, "sidecore");
	iova_ctx_destroy(c2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_physical_mappings),
		cmocka_unit_test(test_bad_descriptors),
		cmocka_unit_test(test_strategies_through_modes),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_shadow_error),
		cmocka_unit_test(test_vmexit_cost_and_lifecycle),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
