/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "iova" mempool driver under a DPDK EAL (--no-huge --in-memory --no-pci): buffers
 * handed out carry an IOVA (not their VA, except for strategy off), the device reaches
 * the packet bytes through it, and after rte_pktmbuf_free() under strict it faults.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "iova.h"
#include "iova_priv.h"
#include "mempool_common.h"

static void run_pool(enum iova_strategy s, unsigned int cache)
{
	char name[32];
	snprintf(name, sizeof(name), "t_%s_%u", iova_strategy_name(s), cache);
	struct iova_ctx *c = mp_ctx(s, 200, 2);
	struct rte_mempool *mp = iova_pktmbuf_pool_create(
		name, 127, cache, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY, c);
	assert_non_null(mp);
	assert_ptr_equal(iova_mempool_ctx(mp), c);
	enum { N = 32 };
	struct rte_mbuf *m[N];
	assert_int_equal(rte_pktmbuf_alloc_bulk(mp, m, N), 0);
	for (int i = 0; i < N; i++) {
		uint64_t va = (uint64_t)(uintptr_t)m[i]->buf_addr;
		if (s == IOVA_STRAT_OFF) {
			/* no IOMMU, software device behind the soft VT-d: its DMA engine is
			 * in this process, so the bus address is the VA (not the EAL's IOVA,
			 * a PA in IOVA-as-PA mode, which the device would dereference) */
			assert_int_equal(m[i]->buf_iova, va);
		} else
			assert_true(m[i]->buf_iova != va && m[i]->buf_iova != 0);
		/* the NIC writes a packet at buf_iova + data_off; the CPU reads it from the mbuf */
		char *pkt = rte_pktmbuf_append(m[i], 64);
		assert_non_null(pkt);
		void *h;
		assert_int_equal(iova_ctx_dma(c, rte_pktmbuf_iova(m[i]), 64, IOVA_PROT_WRITE, &h),
				 0);
		assert_ptr_equal(h, pkt);
		memset(h, 0xa0 + i, 64);
		assert_int_equal((uint8_t)pkt[63], 0xa0 + i);
		/* the last byte of the data room is reachable too */
		assert_int_equal(
			iova_ctx_dma(c, m[i]->buf_iova + m[i]->buf_len - 1, 1, IOVA_PROT_READ, &h),
			0);
		assert_ptr_equal(h, (char *)m[i]->buf_addr + m[i]->buf_len - 1);
	}
	uint64_t freed[N];
	for (int i = 0; i < N; i++)
		freed[i] = rte_pktmbuf_iova(m[i]);
	rte_pktmbuf_free_bulk(m, N);
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	if (cache == 0) {
		/* off: no per-buffer lib/iova work at all, the ctx is never called */
		assert_int_equal(st.maps, s == IOVA_STRAT_OFF ? 0 : N);
		assert_int_equal(st.unmaps, s == IOVA_STRAT_OFF ? 0 : N);
	}
	if (s == IOVA_STRAT_STRICT && cache == 0) {
		for (int i = 0; i < N; i++) {
			void *h;
			assert_int_equal(iova_ctx_dma(c, freed[i], 1, IOVA_PROT_WRITE, &h),
					 -EFAULT);
		}
		assert_int_equal(st.stale_max_entries, 0);
	}
	if (s == IOVA_STRAT_STRICT && cache > 0) {
		/* single frees land in the lcore cache and stay mapped: the documented
		 * exposure of a per-lcore cache (bulk frees above the flush threshold go
		 * straight to the driver and are unmapped) */
		struct rte_mbuf *one = rte_pktmbuf_alloc(mp);
		assert_non_null(one);
		uint64_t iova = one->buf_iova;
		void *h;
		assert_int_equal(iova_ctx_dma(c, iova, 1, IOVA_PROT_WRITE, &h), 0);
		uint64_t unmaps = st.unmaps;
		rte_pktmbuf_free(one);
		iova_ctx_get_stats(c, &st);
		assert_int_equal(st.unmaps, unmaps);
		assert_int_equal(iova_ctx_dma(c, iova, 1, IOVA_PROT_WRITE, &h), 0);
		assert_ptr_equal(h, one->buf_addr);
	}
	/* all buffers can go out and come back again */
	struct rte_mbuf *all[127];
	assert_int_equal(rte_pktmbuf_alloc_bulk(mp, all, 127), 0);
	rte_pktmbuf_free_bulk(all, 127);
	rte_mempool_free(mp);
	iova_ctx_destroy(c);
}

static void test_pool_strategies(void **state)
{
	for (int s = 0; s < IOVA_STRAT__COUNT; s++)
		run_pool(s, 0);
}

static void test_pool_cache(void **state)
{
	run_pool(IOVA_STRAT_STRICT, 16);
}

/* off with no backend (a real device, no IOMMU): the EAL's own bus address of the data room
 * (a PA in IOVA-as-PA mode), the VA only where the EAL has none; no map, no unmap */
static void test_pool_off_real_device(void **state)
{
	(void)state;
	struct iova_ctx_params p;
	iova_ctx_default_params(&p);
	p.strategy = IOVA_STRAT_OFF;
	struct iova_ctx *c = iova_ctx_create(&p, NULL);
	assert_non_null(c);
	struct rte_mempool *mp = iova_pktmbuf_pool_create("t_off_real", 63, 0,
							  RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY, c);
	assert_non_null(mp);
	struct rte_mbuf *m[8];
	assert_int_equal(rte_pktmbuf_alloc_bulk(mp, m, 8), 0);
	for (int i = 0; i < 8; i++) {
		rte_iova_t eal = rte_mem_virt2iova(m[i]->buf_addr);
		assert_int_equal(m[i]->buf_iova,
				 eal == RTE_BAD_IOVA ? (uint64_t)(uintptr_t)m[i]->buf_addr : eal);
	}
	rte_pktmbuf_free_bulk(m, 8);
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.maps, 0);
	assert_int_equal(st.unmaps, 0);
	rte_mempool_free(mp);
	iova_ctx_destroy(c);
}

static void test_pool_bad_args(void **state)
{
	assert_null(iova_pktmbuf_pool_create("t_bad", 64, 0, 2048, SOCKET_ID_ANY, NULL));
	assert_null(iova_mempool_ctx(NULL));
	struct rte_mempool *plain =
		rte_pktmbuf_pool_create("t_plain", 63, 0, 0, 2048, SOCKET_ID_ANY);
	assert_non_null(plain);
	assert_null(iova_mempool_ctx(plain));
	rte_mempool_free(plain);
}

int main(void)
{
	if (mp_eal_init("test_mempool", "256", "iova_mp") < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_strategies),
		cmocka_unit_test(test_pool_cache),
		cmocka_unit_test(test_pool_off_real_device),
		cmocka_unit_test(test_pool_bad_args),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
