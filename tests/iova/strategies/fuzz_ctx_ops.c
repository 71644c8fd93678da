/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target "iova_ctx_ops": the input is a program of map / unmap / bulk / poll /
 * device-access operations on an iova_ctx, for a strategy and emulation mode chosen by
 * the first two bytes, over a spy backend on the soft VT-d. After every operation:
 *  - no IOVA page was mapped again before an invalidation covering its last unmap
 *    completed (spy.h, independent of the strategy code);
 *  - live buffers translate to exactly their bytes;
 *  - under strict, shared and ring a buffer is unreachable right after its unmap returns.
 * Any violation traps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SPY_SLOTS (1u << 14)
#include "spy.h"

#define SLOTS 32
#define SLOT_PAGES 3

static uint8_t buf[SLOTS * SLOT_PAGES * 4096] __attribute__((aligned(2 << 20)));

struct slot {
	bool live;
	uint64_t iova;
	size_t len;
	uint8_t *host;
};

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

static bool stale_zero(enum iova_strategy s)
{
	return s == IOVA_STRAT_STRICT || s == IOVA_STRAT_SHARED || s == IOVA_STRAT_RING;
}

static void live_ok(struct iova_ctx *c, const struct slot *sl)
{
	void *h;
	check(iova_ctx_dma(c, sl->iova + sl->len - 1, 1, IOVA_PROT_WRITE, &h) == 0);
	check(h == sl->host + sl->len - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	enum iova_strategy strat = data[0] % IOVA_STRAT__COUNT;
	enum iova_mode mode = data[1] % 3;
	data += 2;
	size -= 2;
	if (size > 4 * 256)
		size = 4 * 256; /* bounded program */

	struct vtd_soft_params vp;
	vtd_soft_default_params(&vp);
	vp.inv_latency_ns = 0;
	struct iova_backend *soft = iova_backend_soft_create(&vp, 0x0100, 1);
	check(soft != NULL);
	struct spy *sp = spy_wrap(soft);
	check(sp != NULL);
	struct iova_ctx_params p;
	iova_ctx_default_params(&p);
	p.strategy = strat;
	p.mode = mode;
	p.nb_cpus = 2;
	p.fq_size = 4;
	p.fq_timeout_ns = 100000;
	p.opt_quota = 4;
	p.opt_timeout_ns = 100000;
	struct iova_ctx *c = iova_ctx_create(&p, &sp->be);
	check(c != NULL);
	check(iova_ctx_register_pool(c, buf, SLOTS * SLOT_PAGES * 4096 / 2) == 0);

	struct slot s[SLOTS];
	memset(s, 0, sizeof(s));
	for (size_t pc = 0; pc + 4 <= size; pc += 4) {
		uint8_t op = data[pc], a = data[pc + 1], b = data[pc + 2], d = data[pc + 3];
		unsigned int cpu = op >> 7;
		switch (op % 6) {
		case 0: { /* map one */
			struct slot *sl = &s[a % SLOTS];
			if (sl->live)
				break;
			sl->host = buf + (size_t)(a % SLOTS) * SLOT_PAGES * 4096 + (size_t)b * 16;
			sl->len = 1 + (size_t)d * 32;
			check(iova_ctx_map(c, sl->host, sl->len, IOVA_PROT_RW, cpu, &sl->iova) ==
			      0);
			sl->live = true;
			live_ok(c, sl);
			break;
		}
		case 1: { /* unmap one */
			struct slot *sl = &s[a % SLOTS];
			if (!sl->live)
				break;
			check(iova_ctx_unmap(c, sl->iova, sl->len, cpu) == 0);
			sl->live = false;
			if (stale_zero(strat)) {
				void *h;
				check(iova_ctx_dma(c, sl->iova, 1, IOVA_PROT_READ, &h) == -EFAULT);
			}
			break;
		}
		case 2: { /* map a burst of free slots, one len */
			void *host[SLOTS];
			uint64_t iova[SLOTS];
			unsigned int idx[SLOTS], n = 0, want = 1 + a % 16;
			size_t len = 1 + (size_t)d * 16;
			for (unsigned int k = 0; k < SLOTS && n < want; k++) {
				unsigned int i = (b + k) % SLOTS;
				if (!s[i].live) {
					idx[n] = i;
					host[n++] = buf + (size_t)i * SLOT_PAGES * 4096 +
						    (size_t)(d & 0x3f) * 8;
				}
			}
			if (!n)
				break;
			check(iova_ctx_map_bulk(c, host, len, IOVA_PROT_RW, cpu, iova, n) == 0);
			for (unsigned int k = 0; k < n; k++) {
				s[idx[k]] = (struct slot){ true, iova[k], len, host[k] };
				live_ok(c, &s[idx[k]]);
			}
			break;
		}
		case 3: { /* unmap a burst: live slots of one len, selected by a bitmask */
			uint64_t iova[SLOTS];
			unsigned int idx[SLOTS], n = 0;
			size_t len = 0;
			uint32_t mask = (uint32_t)a | (uint32_t)b << 8 | (uint32_t)d << 16 |
					(uint32_t)a << 24;
			for (unsigned int i = 0; i < SLOTS; i++) {
				if (!s[i].live || !(mask & (1u << i)))
					continue;
				if (n && s[i].len != len)
					continue;
				len = s[i].len;
				idx[n] = i;
				iova[n++] = s[i].iova;
			}
			if (!n)
				break;
			check(iova_ctx_unmap_bulk(c, iova, len, cpu, n) == 0);
			for (unsigned int k = 0; k < n; k++) {
				s[idx[k]].live = false;
				if (stale_zero(strat)) {
					void *h;
					check(iova_ctx_dma(c, iova[k], 1, IOVA_PROT_READ, &h) ==
					      -EFAULT);
				}
			}
			break;
		}
		case 4:
			iova_ctx_poll(c, cpu);
			break;
		case 5:
			if (s[a % SLOTS].live)
				live_ok(c, &s[a % SLOTS]);
			break;
		}
		check(sp->violations == 0);
	}
	struct iova_ctx_stats st;
	iova_ctx_get_stats(c, &st);
	if (stale_zero(strat))
		check(st.stale_max_entries == 0);
	if (strat == IOVA_STRAT_OPTIMISTIC)
		check(st.stale_max_entries <= 4);
	for (unsigned int i = 0; i < SLOTS; i++)
		if (s[i].live)
			check(iova_ctx_unmap(c, s[i].iova, s[i].len, 0) == 0);
	iova_ctx_destroy(c);
	return 0;
}
