/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file fuzz_vfdev_desc.c
 * libFuzzer target: the vfdev device half against guest-controlled descriptors and
 * registers (untrusted input). The input is a list of 20-byte records
 * {op:1, idx:2, len:1, qw0:8, qw1:8}: op%4 = 0 write an RX descriptor, 1 write a TX
 * descriptor, 2 write a tail register (any value, also outside the ring), 3 put a
 * frame of len*40 bytes on the wire. After every record the device runs one poll.
 * Buffer addresses are taken as they come or, when qw0's top bit is set, as an offset
 * into a mapped read/write or read-only scratch area, so both faults and real copies
 * are exercised. Checks: no crash / sanitizer report, the device only wrote where the
 * IOMMU allowed (the read-only area and the guard bytes stay intact), counters add up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "iova.h"
#include "vfdev.h"
#include "vfdev_priv.h"

#define SCRATCH (16 * 4096)

static struct vfdev *dev;
static struct iova_ctx *ctx;
static struct rte_ring *w_in, *w_out;
static struct rte_mempool *wire_pool;
static uint8_t *rw, *ro;
static uint64_t rw_iova, ro_iova;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[64];
	char *eal[] = { "fuzz_vfdev", "--no-huge",   "-m",	"256",		 "--no-pci", "-l",
			"0",	      "--log-level", "*:error", "--file-prefix", prefix,     NULL };
	struct vtd_soft_params vp;
	struct iova_ctx_params cp;
	struct iova_backend *b;
	struct rte_mempool *pool;
	struct vfdev_params p = { 0 };

	(void)argc;
	(void)argv;
	snprintf(prefix, sizeof(prefix), "fuzz-vfdev-%d", (int)getpid());
	if (rte_eal_init(11, eal) < 0)
		abort();
	vtd_soft_default_params(&vp);
	vp.inv_latency_ns = 0;
	b = iova_backend_soft_create(&vp, 0x0101, 1);
	iova_ctx_default_params(&cp);
	cp.strategy = IOVA_STRAT_STRICT;
	cp.nb_cpus = 1;
	ctx = b ? iova_ctx_create(&cp, b) : NULL;
	/* RX buffers from a plain pool: never mapped, so descriptors the fuzzer leaves
	 * alone fault; mbuf headers are never device-reachable */
	pool = rte_pktmbuf_pool_create("fz_rx", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	wire_pool = rte_pktmbuf_pool_create("fz_wire", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	w_in = rte_ring_create("fz_in", 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	w_out = rte_ring_create("fz_out", 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	rw = aligned_alloc(4096, SCRATCH + 4096);
	ro = aligned_alloc(4096, SCRATCH);
	if (!ctx || !pool || !wire_pool || !w_in || !w_out || !rw || !ro)
		abort();
	memset(ro, 0x3c, SCRATCH);
	memset(rw + SCRATCH, 0xe7, 4096); /* guard page, never mapped */
	if (iova_ctx_map(ctx, rw, SCRATCH, IOVA_PROT_RW, 0, &rw_iova) ||
	    iova_ctx_map(ctx, ro, SCRATCH, IOVA_PROT_READ, 0, &ro_iova))
		abort();
	p.name = "fuzz";
	p.nb_rx_desc = 64;
	p.nb_tx_desc = 64;
	p.pool = pool;
	p.ctx = ctx;
	p.wire_in = w_in;
	p.wire_out = w_out;
	p.wire_pool = wire_pool;
	p.attack = true;
	p.attack_period = 1;
	dev = vfdev_create(&p);
	if (!dev)
		abort();
	return 0;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *m;
	struct vfdev_stats st;

	/* device reset between inputs (a stopped queue stays stopped within one) */
	dev->dev_rx_head = dev->dev_tx_head = 0;
	dev->dev_rx_stopped = dev->dev_tx_stopped = false;
	dev->regs.rx_tail = dev->regs.tx_tail = 0;
	dev->hist_count = 0;
	for (size_t off = 0; off + 20 <= size; off += 20) {
		const uint8_t *r = data + off;
		uint16_t idx = (uint16_t)(r[1] | (r[2] << 8));
		uint64_t qw0 = rd64(r + 4), qw1 = rd64(r + 12);

		if (qw0 >> 63) {
			uint64_t o = (qw0 & 0xffff) % SCRATCH;

			qw0 = ((qw0 >> 62) & 1 ? ro_iova : rw_iova) + o;
		}
		switch (r[0] % 4) {
		case 0:
			dev->rx_ring[idx & dev->rx_mask].qw0 = qw0;
			dev->rx_ring[idx & dev->rx_mask].qw1 = qw1;
			break;
		case 1:
			dev->tx_ring[idx & dev->tx_mask].qw0 = qw0;
			dev->tx_ring[idx & dev->tx_mask].qw1 = qw1;
			break;
		case 2:
			if (r[3] & 1)
				dev->regs.rx_tail = idx;
			else
				dev->regs.tx_tail = idx;
			break;
		default:
			m = rte_pktmbuf_alloc(wire_pool);
			if (m) {
				unsigned int len = (unsigned int)r[3] * 40u;
				uint8_t *p =
					(uint8_t *)rte_pktmbuf_append(m, (uint16_t)(len ? len : 1));

				if (p)
					memset(p, r[3], len ? len : 1);
				if (rte_ring_enqueue(w_in, m) != 0)
					rte_pktmbuf_free(m);
			}
			break;
		}
		vfdev_dev_poll(dev);
		while (rte_ring_dequeue(w_out, (void **)&m) == 0)
			rte_pktmbuf_free(m);
	}
	while (rte_ring_dequeue(w_in, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	/* the read-only area and the guard page were never written */
	for (size_t i = 0; i < SCRATCH; i += 512)
		if (ro[i] != 0x3c)
			abort();
	for (size_t i = 0; i < 4096; i += 64)
		if (rw[SCRATCH + i] != 0xe7)
			abort();
	vfdev_get_stats(dev, &st);
	if (st.attack_attempts !=
	    st.attack_faults + st.attack_successes + st.attack_legit + st.attack_redirected)
		abort();
	return 0;
}
