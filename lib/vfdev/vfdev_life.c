/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vfdev_life.c
 * The buffer-life oracle of the malicious-device mode: ground truth about each
 * packet buffer (handed to a packet or freed, and when) that only the measurement
 * uses -- the attacker never chooses an address from it. Stored in an mbuf dynamic
 * field so it survives the buffer's trips through the mempool.
 *
 * Ordering: a driver marks a buffer freed only after rte_mempool_put_bulk() returned,
 * i.e. after the strategy's unmap (and, for strict, its invalidation wait) completed,
 * with a release store; the attacker loads the epoch with acquire before translating.
 * A driver brackets each refill / free with busy_begin/end; the attacker discards an
 * attempt whose two snapshots differ or saw a driver inside (the buffer may have been
 * mapped again between the looks).
 */
#include <errno.h>

#include <rte_errno.h>
#include <rte_mbuf_dyn.h>

#include "vfdev_priv.h"

struct vfdev_life {
	uint64_t epoch;
	uint64_t free_tsc;
};

static int life_off = -1;
/* low 16 bits: drivers inside a refill/free; above: completed sections */
static uint64_t life_seq;

int vfdev_life_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "vfdev_buf_life",
		.size = sizeof(struct vfdev_life),
		.align = alignof(uint64_t),
	};
	int off;

	if (life_off >= 0)
		return 0;
	off = rte_mbuf_dynfield_register(&desc);
	if (off < 0)
		return -rte_errno;
	life_off = off;
	return 0;
}

static inline struct vfdev_life *life(const struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, life_off, struct vfdev_life *);
}

void vfdev_life_busy_begin(void)
{
	__atomic_fetch_add(&life_seq, 1, __ATOMIC_ACQ_REL);
}

void vfdev_life_busy_end(void)
{
	__atomic_fetch_add(&life_seq, (1ULL << 16) - 1, __ATOMIC_ACQ_REL);
}

uint64_t vfdev_life_snapshot(void)
{
	uint64_t v = __atomic_load_n(&life_seq, __ATOMIC_ACQUIRE);

	return (v & 0xffff) ? 0 : (v >> 16) + 1;
}

void vfdev_life_alloc(struct rte_mbuf *m)
{
	struct vfdev_life *l = life(m);
	uint64_t e = __atomic_load_n(&l->epoch, __ATOMIC_RELAXED);

	__atomic_store_n(&l->epoch, e + ((e & 1) ? 2 : 1), __ATOMIC_RELEASE);
}

void vfdev_life_use(struct rte_mbuf *m)
{
	struct vfdev_life *l = life(m);
	uint64_t e = __atomic_load_n(&l->epoch, __ATOMIC_RELAXED);

	if (!(e & 1))
		__atomic_store_n(&l->epoch, e + 1, __ATOMIC_RELEASE);
}

void vfdev_life_free(struct rte_mbuf *m, uint64_t tsc)
{
	struct vfdev_life *l = life(m);
	uint64_t e = __atomic_load_n(&l->epoch, __ATOMIC_RELAXED);

	if (!(e & 1))
		return;
	__atomic_store_n(&l->free_tsc, tsc, __ATOMIC_RELAXED);
	__atomic_store_n(&l->epoch, e + 1, __ATOMIC_RELEASE);
}

uint64_t vfdev_life_epoch(const struct rte_mbuf *m)
{
	return __atomic_load_n(&life(m)->epoch, __ATOMIC_ACQUIRE);
}

uint64_t vfdev_life_free_tsc(const struct rte_mbuf *m)
{
	return __atomic_load_n(&life(m)->free_tsc, __ATOMIC_RELAXED);
}
