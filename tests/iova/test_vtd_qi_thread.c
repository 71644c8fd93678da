/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file test_vtd_qi_thread.c
 * The soft VT-d as hardware: with iova_backend_set_polled() the invalidation queue is
 * executed by the hardware thread (the one calling iova_backend_poll()), not by the CPU
 * that wrote IQT nor by the driver spinning on its wait: the wait's status word is
 * written by the hardware thread, and until that thread runs a stale IOTLB entry still
 * translates. Also a sidecore run from the hardware thread's loop (IOVA_VMM_POLLED).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <valgrind/valgrind.h>

#include "iova.h"
#include "iova_vtd.h"

#define RID 0x0101
#define IOVA 0x40000000ULL

struct hw {
	struct iova_backend *b;
	pthread_t t;
	volatile bool stop;
	volatile uint64_t polls;
};

static void *hw_loop(void *arg)
{
	struct hw *h = arg;

	while (!h->stop) {
		iova_backend_poll(h->b);
		h->polls++;
	}
	return NULL;
}

static struct iova_backend *mk_soft(void)
{
	struct vtd_soft_params vp;
	struct iova_backend *b;

	vtd_soft_default_params(&vp);
	vp.inv_latency_ns = 0; /* no modeled delay: only the real thread handoff */
	b = iova_backend_soft_create(&vp, RID, 1);
	assert_non_null(b);
	return b;
}

static void test_wait_status_written_by_hw_thread(void **state)
{
	struct iova_backend *b = mk_soft();
	struct vtd_soft *v = iova_backend_soft_unit(b);
	void *page = aligned_alloc(4096, 4096), *host;
	struct vtd_soft_stats s0, s1;
	struct hw h = { .b = b };

	(void)state;
	assert_int_equal(b->ops->map(b, IOVA, page, 4096, IOVA_PROT_RW), 0);
	assert_int_equal(b->ops->dma(b, IOVA, 64, IOVA_PROT_WRITE, &host), 0);
	assert_ptr_equal(host, page);
	assert_int_equal(vtd_soft_iotlb_probe(v, 1, IOVA), 1);
	assert_int_equal(iova_backend_set_polled(b, true), 0);

	/* the CPU clears the PTE, queues the invalidation and rings the doorbell: nothing runs */
	vtd_soft_get_stats(v, &s0);
	assert_int_equal(b->ops->unmap(b, IOVA, 4096), 0);
	assert_true(b->ops->inv_queue(b, IOVA, 1) > 0);
	assert_int_equal(b->ops->inv_flush(b, false), 0);
	vtd_soft_get_stats(v, &s1);
	assert_int_equal(s1.qi_descs, s0.qi_descs);
	assert_int_equal(vtd_soft_iotlb_probe(v, 1, IOVA), 1); /* stale entry still there */

	/* the hardware thread executes it */
	assert_true(iova_backend_poll(b) > 0);
	assert_int_equal(vtd_soft_iotlb_probe(v, 1, IOVA), 0);
	assert_int_equal(vtd_soft_last_wait_thread(v), (uint64_t)pthread_self());

	/* a synchronous wait from this CPU completes only through the hardware thread */
	assert_int_equal(b->ops->map(b, IOVA, page, 4096, IOVA_PROT_RW), 0);
	assert_int_equal(b->ops->dma(b, IOVA, 64, IOVA_PROT_READ, &host), 0);
	assert_int_equal(pthread_create(&h.t, NULL, hw_loop, &h), 0);
	while (h.polls == 0) /* the new thread becomes the hardware thread */
		sched_yield();
	for (int i = 0; i < (RUNNING_ON_VALGRIND ? 5 : 100); i++) {
		vtd_soft_get_stats(v, &s0);
		assert_int_equal(b->ops->unmap(b, IOVA, 4096), 0);
		assert_true(b->ops->inv_queue(b, IOVA, 1) > 0);
		assert_int_equal(b->ops->inv_flush(b, true), 0);
		vtd_soft_get_stats(v, &s1);
		assert_true(s1.inv_wait > s0.inv_wait);
		assert_int_equal(vtd_soft_last_wait_thread(v), (uint64_t)h.t);
		assert_true(vtd_soft_last_wait_thread(v) != (uint64_t)pthread_self());
		assert_int_equal(vtd_soft_iotlb_probe(v, 1, IOVA), 0);
		assert_int_equal(b->ops->dma(b, IOVA, 64, IOVA_PROT_READ, &host), -EFAULT);
		assert_int_equal(b->ops->map(b, IOVA, page, 4096, IOVA_PROT_RW), 0);
		assert_int_equal(b->ops->dma(b, IOVA, 64, IOVA_PROT_READ, &host), 0);
	}
	h.stop = true;
	pthread_join(h.t, NULL);
	assert_true(h.polls > 0);
	/* back to inline execution */
	assert_int_equal(iova_backend_set_polled(b, false), 0);
	assert_int_equal(b->ops->unmap(b, IOVA, 4096), 0);
	assert_true(b->ops->inv_queue(b, IOVA, 1) > 0);
	assert_int_equal(b->ops->inv_flush(b, true), 0);
	assert_int_equal(vtd_soft_last_wait_thread(v), (uint64_t)pthread_self());
	b->ops->destroy(b);
	free(page);
}

static void test_polled_sidecore_strict(void **state)
{
	struct iova_backend *phys = mk_soft();
	struct vtd_soft *v = iova_backend_soft_unit(phys);
	struct iova_mode_params mp = { .vmm_cpu = IOVA_VMM_POLLED };
	struct iova_ctx_params cp;
	struct iova_backend *be;
	struct iova_ctx *c;
	struct iova_ctx_stats st;
	struct hw h;
	void *buf = aligned_alloc(4096, 4 * 4096), *host;
	uint64_t iova;

	(void)state;
	/* IOVA_VMM_POLLED is the sidecore's only */
	struct iova_backend *other = mk_soft();

	assert_null(iova_mode_wrap(IOVA_MODE_TRAP_EMULATE, &mp, other));
	assert_int_equal(errno, EINVAL);
	other->ops->destroy(other); /* a failed wrap leaves phys to the caller */
	be = iova_mode_wrap(IOVA_MODE_SIDECORE, &mp, phys);
	assert_non_null(be);
	assert_int_equal(iova_backend_set_polled(be, true), 0);
	h = (struct hw){ .b = be };
	assert_int_equal(pthread_create(&h.t, NULL, hw_loop, &h), 0);
	while (h.polls == 0)
		sched_yield();
	iova_ctx_default_params(&cp);
	cp.strategy = IOVA_STRAT_STRICT;
	cp.mode = IOVA_MODE_SIDECORE;
	cp.nb_cpus = 1;
	c = iova_ctx_create(&cp, be);
	assert_non_null(c);
	for (int i = 0; i < (RUNNING_ON_VALGRIND ? 5 : 50); i++) {
		assert_int_equal(iova_ctx_map(c, buf, 4 * 4096, IOVA_PROT_RW, 0, &iova), 0);
		assert_int_equal(iova_ctx_dma(c, iova, 64, IOVA_PROT_WRITE, &host), 0);
		assert_ptr_equal(host, buf);
		assert_int_equal(iova_ctx_unmap(c, iova, 4 * 4096, 0), 0);
		assert_int_equal(iova_ctx_dma(c, iova, 64, IOVA_PROT_WRITE, &host), -EFAULT);
		assert_int_equal(vtd_soft_last_wait_thread(v), (uint64_t)h.t);
	}
	iova_ctx_get_stats(c, &st);
	assert_true(st.waits >= (RUNNING_ON_VALGRIND ? 5 : 50));
	assert_true(st.wait_cycles > 0);
	/* teardown: stop the hardware thread, then back to inline execution (the waiting
	 * CPU runs the sidecore and the unit), then destroy */
	h.stop = true;
	pthread_join(h.t, NULL);
	assert_int_equal(iova_backend_set_polled(be, false), 0);
	assert_int_equal(iova_ctx_map(c, buf, 4096, IOVA_PROT_RW, 0, &iova), 0);
	assert_int_equal(iova_ctx_unmap(c, iova, 4096, 0), 0);
	assert_int_equal(vtd_soft_last_wait_thread(v), (uint64_t)pthread_self());
	iova_ctx_destroy(c);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wait_status_written_by_hw_thread),
		cmocka_unit_test(test_polled_sidecore_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
