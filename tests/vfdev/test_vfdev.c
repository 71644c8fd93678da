/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file test_vfdev.c
 * lib/vfdev: the device's DMA really goes through the soft VT-d (faults recorded,
 * frames dropped and counted), the driver's bulk refill/free keeps every mbuf
 * accounted for over 10^6 packets, and the malicious-device mode reaches freed
 * buffers under off, deferred and persistent but never under strict.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "iova.h"
#include "iova_vtd.h" /* @internal: the soft unit's fault log and counters */
#include "vfdev.h"
#include "vfdev_priv.h"

#include "rig.h"

#define POOL_N 4095
#define FRAME 128

static struct rte_mempool *wire_pool;

/** Two VFs (vf0, vf1) under strategy s; attack: malicious device mode, every 4th op. */
static void dma_rig(struct rig *r, enum iova_strategy s, bool attack)
{
	struct rig_params rp = { .strategy = s, .rid = 0x0101, .pool_n = POOL_N };

	for (int i = 0; i < 2; i++) {
		rp.vf[i].name = i ? "vf1" : "vf0";
		rp.vf[i].wire_pool = wire_pool;
		rp.vf[i].attack = attack;
		rp.vf[i].attack_period = 4;
	}
	rig_up(r, &rp);
}

/** Put one frame of len bytes (payload: tag) on the wire toward the device. */
static void wire_send(struct rte_ring *ring, unsigned int len, uint32_t tag)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(wire_pool);
	uint8_t *p;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(p);
	memset(p, 0xa5, len);
	memcpy(p, &tag, sizeof(tag));
	assert_int_equal(rte_ring_enqueue(ring, m), 0);
}

/* ---------------------------------------------------------------------- */

static void test_rx_copies_through_iommu(void **state)
{
	struct rig r;
	struct rte_mbuf *pk[4];
	struct vfdev_stats st;
	struct vtd_soft_stats v0, v1;

	(void)state;
	dma_rig(&r, IOVA_STRAT_STRICT, false);
	vtd_soft_get_stats(iova_backend_soft_unit(r.phys), &v0);
	wire_send(r.w_in[0], FRAME, 0x11223344);
	assert_int_equal(vfdev_rx_burst(r.d[0], pk, 4), 0); /* nothing before the device ran */
	assert_int_equal(vfdev_dev_poll(r.d[0]), 1);
	assert_int_equal(vfdev_rx_burst(r.d[0], pk, 4), 1);
	assert_int_equal(pk[0]->pkt_len, FRAME);
	assert_int_equal(*rte_pktmbuf_mtod(pk[0], uint32_t *), 0x11223344);
	vtd_soft_get_stats(iova_backend_soft_unit(r.phys), &v1);
	/* descriptor fetch + buffer write + write-back, each translated by the unit */
	assert_true(v1.translations - v0.translations >= 3);
	assert_true(v1.page_walks - v0.page_walks >= 1);
	vfdev_get_stats(r.d[0], &st);
	assert_int_equal(st.dev_rx_frames, 1);
	assert_int_equal(st.dev_translations, v1.translations - v0.translations);
	/* TX on vf1: the device reads the buffer and puts the bytes on its wire */
	assert_int_equal(vfdev_tx_burst(r.d[1], pk, 1), 1);
	assert_int_equal(vfdev_dev_poll(r.d[1]), 1);
	struct rte_mbuf *w = NULL;

	assert_int_equal(rte_ring_dequeue(r.w_out[1], (void **)&w), 0);
	assert_int_equal(w->pkt_len, FRAME);
	assert_int_equal(*rte_pktmbuf_mtod(w, uint32_t *), 0x11223344);
	assert_true(w->pool == wire_pool);
	rte_pktmbuf_free(w);
	rig_down(&r);
}

static void test_rx_unmapped_iova_faults(void **state)
{
	struct rig r;
	struct rte_mbuf *pk[4];
	struct vfdev_stats st;
	struct vtd_fault f;
	struct vtd_soft *unit;
	const uint64_t bad = 0x5a5a000000ULL; /* never mapped */

	(void)state;
	dma_rig(&r, IOVA_STRAT_STRICT, false);
	unit = iova_backend_soft_unit(r.phys);
	while (vtd_soft_fault_pop(unit, &f) == 1)
		;
	/* a (buggy or hostile) driver posts a buffer address nothing maps */
	r.d[0]->rx_ring[r.d[0]->rx_next].qw0 = bad;
	wire_send(r.w_in[0], FRAME, 1);
	wire_send(r.w_in[0], FRAME, 2);
	assert_int_equal(vfdev_dev_poll(r.d[0]), 2);
	vfdev_get_stats(r.d[0], &st);
	assert_int_equal(st.dev_rx_faults, 1);
	assert_int_equal(st.dev_rx_frames, 1);
	/* the fault is in the VT-d fault log: requester, page, write */
	assert_int_equal(vtd_soft_fault_pop(unit, &f), 1);
	assert_int_equal(f.rid, 0x0101);
	assert_true(f.write);
	assert_int_equal(f.iova, bad & ~(IOVA_PAGE_SIZE - 1));
	assert_int_not_equal(f.reason, 0);
	assert_int_equal(vtd_soft_fault_pop(unit, &f), 0);
	/* the driver drops the errored descriptor and delivers the next frame */
	assert_int_equal(vfdev_rx_burst(r.d[0], pk, 4), 1);
	assert_int_equal(*rte_pktmbuf_mtod(pk[0], uint32_t *), 2);
	vfdev_get_stats(r.d[0], &st);
	assert_int_equal(st.rx_errors, 1);
	assert_int_equal(st.rx_packets, 1);
	rte_pktmbuf_free(pk[0]);
	/* TX from an unmapped address: dropped, counted, nothing on the wire */
	struct rte_mbuf *m = rte_pktmbuf_alloc(r.pool);

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, FRAME));
	assert_int_equal(vfdev_tx_burst(r.d[1], &m, 1), 1);
	r.d[1]->tx_ring[(r.d[1]->tx_tail - 1) & r.d[1]->tx_mask].qw0 = bad + 0x40;
	assert_int_equal(vfdev_dev_poll(r.d[1]), 1);
	vfdev_get_stats(r.d[1], &st);
	assert_int_equal(st.dev_tx_faults, 1);
	assert_int_equal(st.dev_tx_frames, 0);
	assert_int_equal(rte_ring_count(r.w_out[1]), 0);
	assert_int_equal(vtd_soft_fault_pop(unit, &f), 1);
	assert_false(f.write);
	rig_down(&r);
}

static void test_rx_write_to_readonly_faults(void **state)
{
	struct rig r;
	struct vfdev_stats st;
	struct vtd_fault f;
	struct vtd_soft *unit;
	uint64_t ro_iova;
	void *buf = aligned_alloc(IOVA_PAGE_SIZE, IOVA_PAGE_SIZE);
	struct rte_mbuf *pk[2];

	(void)state;
	assert_non_null(buf);
	memset(buf, 0x77, IOVA_PAGE_SIZE);
	dma_rig(&r, IOVA_STRAT_STRICT, false);
	unit = iova_backend_soft_unit(r.phys);
	assert_int_equal(iova_ctx_map(r.ctx, buf, IOVA_PAGE_SIZE, IOVA_PROT_READ, 0, &ro_iova), 0);
	r.d[0]->rx_ring[r.d[0]->rx_next].qw0 = ro_iova + 256;
	wire_send(r.w_in[0], FRAME, 9);
	assert_int_equal(vfdev_dev_poll(r.d[0]), 1);
	vfdev_get_stats(r.d[0], &st);
	assert_int_equal(st.dev_rx_faults, 1);
	/* the access did not happen */
	for (unsigned int i = 0; i < IOVA_PAGE_SIZE; i++)
		if (((uint8_t *)buf)[i] != 0x77)
			fail_msg("byte %u of the read-only page changed", i);
	assert_int_equal(vtd_soft_fault_pop(unit, &f), 1);
	assert_true(f.write);
	assert_int_equal(f.iova, ro_iova);
	assert_int_equal(vfdev_rx_burst(r.d[0], pk, 2), 0);
	vfdev_get_stats(r.d[0], &st);
	assert_int_equal(st.rx_errors, 1);
	/* reading through the same mapping (TX) is allowed */
	struct rte_mbuf *m = rte_pktmbuf_alloc(r.pool);

	assert_non_null(rte_pktmbuf_append(m, FRAME));
	assert_int_equal(vfdev_tx_burst(r.d[1], &m, 1), 1);
	r.d[1]->tx_ring[(r.d[1]->tx_tail - 1) & r.d[1]->tx_mask].qw0 = ro_iova;
	assert_int_equal(vfdev_dev_poll(r.d[1]), 1);
	struct rte_mbuf *w = NULL;

	assert_int_equal(rte_ring_dequeue(r.w_out[1], (void **)&w), 0);
	assert_int_equal(rte_pktmbuf_mtod(w, uint8_t *)[0], 0x77);
	rte_pktmbuf_free(w);
	assert_int_equal(iova_ctx_unmap(r.ctx, ro_iova, IOVA_PAGE_SIZE, 0), 0);
	rig_down(&r);
	free(buf);
}

/**
 * Forward npkts frames wire -> vf0 -> (driver) -> vf1 -> wire, as the appliance does,
 * single-threaded. @return frames that came out of vf1's wire.
 */
static uint64_t pump(struct rig *r, uint64_t npkts)
{
	struct rte_mbuf *pk[32], *w[64];
	uint64_t sent = 0, out = 0;
	unsigned int n, k, spins = 0;

	while (out < npkts && spins < 1000000) {
		spins++;
		while (sent < npkts && sent - out < 256 && rte_ring_free_count(r->w_in[0]) > 0) {
			wire_send(r->w_in[0], 64 + (unsigned int)(sent % 1400), (uint32_t)sent);
			sent++;
		}
		vfdev_dev_poll(r->d[0]);
		n = vfdev_rx_burst(r->d[0], pk, 32);
		k = vfdev_tx_burst(r->d[1], pk, (uint16_t)n);
		if (k < n)
			rte_pktmbuf_free_bulk(&pk[k], n - k);
		vfdev_dev_poll(r->d[1]);
		n = rte_ring_dequeue_burst(r->w_out[1], (void **)w, 64, NULL);
		rte_pktmbuf_free_bulk(w, n);
		out += n;
		if (n)
			spins = 0;
	}
	return out;
}

static void test_bulk_refill_free_invariants(void **state)
{
	struct rig r;
	struct vfdev_stats s0, s1;
	uint64_t n =
		getenv("VFDEV_TEST_PKTS") ? strtoull(getenv("VFDEV_TEST_PKTS"), NULL, 0) : 1000000;
	unsigned int rx_posted, tx_out, avail;

	(void)state;
	dma_rig(&r, IOVA_STRAT_OFF, false);
	assert_int_equal(pump(&r, n), n);
	vfdev_get_stats(r.d[0], &s0);
	vfdev_get_stats(r.d[1], &s1);
	assert_int_equal(s0.rx_packets, n);
	assert_int_equal(s1.tx_packets, n);
	assert_int_equal(s0.rx_errors + s0.dev_rx_faults + s1.dev_tx_faults, 0);
	/* refill and free happen in bulk: thresh buffers per call */
	assert_true(s0.rx_refills * VFDEV_DEFAULT_FREE_THRESH >= n);
	assert_true(s0.rx_refills <= n / VFDEV_DEFAULT_FREE_THRESH + VFDEV_DEFAULT_NB_DESC);
	assert_true(s1.tx_frees >= (n - VFDEV_DEFAULT_NB_DESC) / VFDEV_DEFAULT_FREE_THRESH);
	assert_true(s1.tx_frees * VFDEV_DEFAULT_FREE_THRESH <= n);
	/* every buffer is either free in the pool or owned by exactly one ring slot:
	 * a leak lowers avail, a double free raises it */
	rx_posted = 0;
	for (int i = 0; i < 2; i++)
		for (unsigned int j = 0; j <= r.d[i]->rx_mask; j++)
			if (r.d[i]->rx_sw[j]) {
				assert_int_equal(rte_mbuf_refcnt_read(r.d[i]->rx_sw[j]), 1);
				rx_posted++;
			}
	tx_out = 0;
	for (unsigned int j = 0; j <= r.d[1]->tx_mask; j++)
		if (r.d[1]->tx_sw[j])
			tx_out++;
	assert_int_equal(tx_out,
			 (unsigned int)(s1.tx_packets - s1.tx_frees * VFDEV_DEFAULT_FREE_THRESH));
	assert_int_equal(tx_out, VFDEV_DEFAULT_NB_DESC - 1 - r.d[1]->tx_nb_free);
	avail = rte_mempool_avail_count(r.pool);
	assert_int_equal(avail + rx_posted + tx_out, POOL_N);
	rig_down(&r);
}

/** Count pool buffers whose headroom holds the attack pattern. */
static void count_pattern(struct rte_mempool *mp, void *opaque, void *obj, unsigned int idx)
{
	struct rte_mbuf *m = obj;
	const uint8_t *b = m->buf_addr;

	(void)mp;
	(void)idx;
	for (unsigned int off = 0; off + 8 <= RTE_PKTMBUF_HEADROOM; off += 8) {
		uint64_t v;

		memcpy(&v, b + off, 8);
		if (v == VFDEV_ATTACK_PATTERN) {
			(*(unsigned int *)opaque)++;
			return;
		}
	}
}

static void attack_run(enum iova_strategy s, struct vfdev_stats *st, unsigned int *marked)
{
	struct rig r;
	struct vfdev_stats a;

	dma_rig(&r, s, true);
	assert_int_equal(pump(&r, 100000), 100000);
	memset(st, 0, sizeof(*st));
	for (int i = 0; i < 2; i++) {
		vfdev_get_stats(r.d[i], &a);
		st->attack_attempts += a.attack_attempts;
		st->attack_faults += a.attack_faults;
		st->attack_successes += a.attack_successes;
		st->attack_corruptions += a.attack_corruptions;
		st->attack_legit += a.attack_legit;
		st->attack_redirected += a.attack_redirected;
		if (a.attack_age_max_ns > st->attack_age_max_ns)
			st->attack_age_max_ns = a.attack_age_max_ns;
	}
	*marked = 0;
	rte_mempool_obj_iter(r.pool, count_pattern, marked);
	print_message("attack %-10s attempts %lu faults %lu successes %lu corruptions %lu "
		      "legit %lu redirected %lu age max %lu ns, buffers marked %u\n",
		      iova_strategy_name(s), st->attack_attempts, st->attack_faults,
		      st->attack_successes, st->attack_corruptions, st->attack_legit,
		      st->attack_redirected, st->attack_age_max_ns, *marked);
	assert_int_equal(st->attack_attempts, st->attack_faults + st->attack_successes +
						      st->attack_legit + st->attack_redirected);
	rig_down(&r);
}

static void test_attack_strict_never_succeeds(void **state)
{
	struct vfdev_stats st;
	unsigned int marked;

	(void)state;
	attack_run(IOVA_STRAT_STRICT, &st, &marked);
	assert_true(st.attack_attempts > 100);
	assert_true(st.attack_faults > 0);
	assert_int_equal(st.attack_successes, 0);
	assert_int_equal(marked, 0);
}

static void test_attack_succeeds_without_protection(void **state)
{
	const enum iova_strategy weak[] = { IOVA_STRAT_OFF, IOVA_STRAT_DEFERRED,
					    IOVA_STRAT_PERSISTENT };
	struct vfdev_stats st;
	unsigned int marked;

	(void)state;
	for (unsigned int i = 0; i < 3; i++) {
		attack_run(weak[i], &st, &marked);
		assert_true(st.attack_successes > 0);
		assert_true(marked > 0); /* the pattern really reached freed buffers */
		assert_true(st.attack_age_max_ns > 0);
	}
}

static void test_bad_params(void **state)
{
	struct vfdev_params p = { 0 };

	(void)state;
	p.name = "bad";
	p.nb_rx_desc = 100;
	assert_null(vfdev_create(&p));
	assert_int_equal(errno, EINVAL);
	p.nb_rx_desc = 0;
	assert_null(vfdev_create(&p)); /* no pool, no wire */
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	char prefix[64];
	char *eal[] = {
		"test_vfdev", "--no-huge",   "-m",	  "512",	   "--no-pci", "-l",
		"0",	      "--log-level", "*:warning", "--file-prefix", prefix,     NULL
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_rx_copies_through_iommu),
		cmocka_unit_test(test_rx_unmapped_iova_faults),
		cmocka_unit_test(test_rx_write_to_readonly_faults),
		cmocka_unit_test(test_bulk_refill_free_invariants),
		cmocka_unit_test(test_attack_strict_never_succeeds),
		cmocka_unit_test(test_attack_succeeds_without_protection),
	};

	snprintf(prefix, sizeof(prefix), "vfdev-test-%d", (int)getpid());
	if (rte_eal_init(11, eal) < 0) {
		fprintf(stderr, "test_vfdev: rte_eal_init failed\n");
		return 1;
	}
	wire_pool = rte_pktmbuf_pool_create("t_wire", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (wire_pool == NULL) {
		fprintf(stderr, "test_vfdev: wire pool\n");
		return 1;
	}
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	rte_eal_cleanup();
	return rc;
}
