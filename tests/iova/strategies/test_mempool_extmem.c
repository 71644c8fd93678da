/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "iova" mempool in caller memory (iova_pktmbuf_pool_create_mem over an area registered
 * with rte_extmem_register, as vfapp --pool-mem extmem does) and its fault injection, on the
 * soft VT-d backend under a DPDK EAL (--no-huge --no-pci): the buffers are laid into the
 * area, reachable only through the strategy's mapping, and a buffer whose mapping the
 * injection removed faults the device's write and keeps its poison, while the positive
 * control (poison only) sees the write arrive.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_mempool.h>

#include "iova.h"
#include "mempool_common.h"

#define PG 4096

static struct iova_ctx *mk(enum iova_strategy s)
{
	return mp_ctx(s, VTD_DEFAULT_INV_LATENCY_NS, 1);
}

struct area {
	void *va;
	size_t len;
};

static struct rte_mempool *mk_pool(const char *name, unsigned int n, struct iova_ctx *c,
				   struct area *a)
{
	a->len = iova_pktmbuf_pool_mem_size(n, RTE_MBUF_DEFAULT_BUF_SIZE, PG);
	assert_true(a->len >= (size_t)n * PG / 2);
	a->va = mmap(NULL, a->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(a->va != MAP_FAILED);
	assert_int_equal(rte_extmem_register(a->va, a->len, NULL, 0, PG), 0);
	struct rte_mempool *mp = iova_pktmbuf_pool_create_mem(name, n, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
							      SOCKET_ID_ANY, c, a->va, a->len, PG);
	assert_non_null(mp);
	return mp;
}

static void drop_pool(struct rte_mempool *mp, struct iova_ctx *c, struct area *a)
{
	rte_mempool_free(mp);
	assert_int_equal(rte_extmem_unregister(a->va, a->len), 0);
	munmap(a->va, a->len);
	iova_ctx_destroy(c);
}

static void test_extmem_pool(void **state)
{
	struct iova_ctx *c = mk(IOVA_STRAT_STRICT);
	struct area a;
	struct rte_mempool *mp = mk_pool("t_ext", 63, c, &a);
	struct rte_mbuf *m[63];
	assert_int_equal(rte_pktmbuf_alloc_bulk(mp, m, 63), 0);
	for (int i = 0; i < 63; i++) {
		/* every buffer lies in the caller's area, and the device reaches it only at its IOVA */
		assert_true((char *)m[i]->buf_addr >= (char *)a.va &&
			    (char *)m[i]->buf_addr + m[i]->buf_len <= (char *)a.va + a.len);
		void *h;
		assert_int_equal(iova_ctx_dma(c, m[i]->buf_iova, 1, IOVA_PROT_WRITE, &h), 0);
		assert_ptr_equal(h, m[i]->buf_addr);
	}
	uint64_t iova0 = m[0]->buf_iova;
	rte_pktmbuf_free_bulk(m, 63);
	void *h;
	assert_int_equal(iova_ctx_dma(c, iova0, 1, IOVA_PROT_WRITE, &h), -EFAULT);
	drop_pool(mp, c, &a);
}

static void test_extmem_bad_args(void **state)
{
	struct iova_ctx *c = mk(IOVA_STRAT_STRICT);
	char buf[2 * PG];
	void *unaligned = (void *)(((uintptr_t)buf | (PG - 1)) + 2);
	assert_null(iova_pktmbuf_pool_create_mem("t_bad1", 63, 0, 2048, SOCKET_ID_ANY, c, unaligned,
						 PG, PG));
	assert_int_equal(rte_errno, EINVAL);
	assert_null(iova_pktmbuf_pool_create_mem("t_bad2", 63, 0, 2048, SOCKET_ID_ANY, c, NULL, PG,
						 PG));
	assert_int_equal(iova_pktmbuf_pool_mem_size(63, RTE_MBUF_DEFAULT_BUF_SIZE, 1024), 0);
	/* too small: one page holds one buffer, not 63 */
	struct area a = { .len = PG };
	a.va = mmap(NULL, a.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(a.va != MAP_FAILED);
	assert_int_equal(rte_extmem_register(a.va, a.len, NULL, 0, PG), 0);
	assert_null(iova_pktmbuf_pool_create_mem("t_small", 63, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
						 SOCKET_ID_ANY, c, a.va, a.len, PG));
	assert_int_equal(rte_errno, ENOSPC);
	rte_extmem_unregister(a.va, a.len);
	munmap(a.va, a.len);
	iova_ctx_destroy(c);
}

static void check_poison(const struct rte_mbuf *m)
{
	const uint8_t *b = m->buf_addr;
	for (unsigned int i = 0; i < m->buf_len; i++)
		assert_int_equal(b[i], 0xa5);
}

static void test_fault_unmap(void **state)
{
	struct iova_ctx *c = mk(IOVA_STRAT_STRICT);
	struct area a;
	struct rte_mempool *mp = mk_pool("t_fu", 63, c, &a);
	assert_int_equal(iova_mempool_fault_fire(mp), -EINVAL); /* not armed */
	assert_int_equal(iova_mempool_fault_arm(mp, IOVA_MP_FAULT_UNMAP), 0);
	assert_int_equal(iova_mempool_fault_arm(mp, IOVA_MP_FAULT_UNMAP), -EBUSY);
	assert_int_equal(iova_mempool_fault_fire(mp), -ENOENT); /* nothing picked yet */
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp), *other = rte_pktmbuf_alloc(mp);
	assert_non_null(m);
	assert_non_null(other);
	check_poison(m);
	void *h;
	/* mapped until fire: the device could write */
	assert_int_equal(
		iova_ctx_dma(c, m->buf_iova + RTE_PKTMBUF_HEADROOM, 64, IOVA_PROT_WRITE, &h), 0);
	assert_int_equal(iova_mempool_fault_fire(mp), 0);
	/* the device's write now faults; the neighbour buffer is untouched */
	assert_int_equal(
		iova_ctx_dma(c, m->buf_iova + RTE_PKTMBUF_HEADROOM, 64, IOVA_PROT_WRITE, &h),
		-EFAULT);
	assert_int_equal(iova_ctx_dma(c, other->buf_iova, 64, IOVA_PROT_WRITE, &h), 0);
	struct iova_mp_fault_report r;
	assert_int_equal(iova_mempool_fault_report(mp, &r), 0);
	assert_true(r.picked && r.fired && !r.returned);
	assert_int_equal(r.iova, m->buf_iova);
	assert_int_equal(r.page_iova, m->buf_iova & ~(uint64_t)(PG - 1));
	m->data_len = 60; /* as an RX completion would set it */
	rte_pktmbuf_free(m);
	assert_int_equal(iova_mempool_fault_report(mp, &r), 0);
	assert_true(r.returned && r.unchanged);
	assert_int_equal(r.bytes_changed, 0);
	assert_int_equal(r.rx_len, 60);
	assert_int_equal(r.error, 0);
	/* restored, then torn down by strict: the pool keeps working */
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	assert_int_equal(st.unmaps, 1);
	rte_pktmbuf_free(other);
	struct rte_mbuf *all[63];
	assert_int_equal(rte_pktmbuf_alloc_bulk(mp, all, 63), 0);
	rte_pktmbuf_free_bulk(all, 63);
	drop_pool(mp, c, &a);
}

static void test_fault_poison_control(void **state)
{
	struct iova_ctx *c = mk(IOVA_STRAT_STRICT);
	struct area a;
	struct rte_mempool *mp = mk_pool("t_fp", 63, c, &a);
	assert_int_equal(iova_mempool_fault_arm(mp, IOVA_MP_FAULT_POISON), 0);
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	assert_non_null(m);
	check_poison(m);
	assert_int_equal(iova_mempool_fault_fire(mp), 0); /* no-op */
	void *h;
	assert_int_equal(
		iova_ctx_dma(c, m->buf_iova + RTE_PKTMBUF_HEADROOM, 64, IOVA_PROT_WRITE, &h), 0);
	memset(h, 0x11, 64); /* the DMA arrives */
	rte_pktmbuf_free(m);
	struct iova_mp_fault_report r;
	assert_int_equal(iova_mempool_fault_report(mp, &r), 0);
	assert_true(r.returned && !r.fired && !r.unchanged);
	assert_int_equal(r.bytes_changed, 64);
	drop_pool(mp, c, &a);
	/* unmap needs one backend mapping per buffer */
	c = mk(IOVA_STRAT_DEFERRED);
	mp = mk_pool("t_fd", 63, c, &a);
	assert_int_equal(iova_mempool_fault_arm(mp, IOVA_MP_FAULT_UNMAP), -ENOTSUP);
	drop_pool(mp, c, &a);
}

int main(void)
{
	if (mp_eal_init("test_mempool_extmem", "128", "iova_mpx") < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extmem_pool),
		cmocka_unit_test(test_extmem_bad_args),
		cmocka_unit_test(test_fault_unmap),
		cmocka_unit_test(test_fault_poison_control),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rte_eal_cleanup();
	return rc;
}
