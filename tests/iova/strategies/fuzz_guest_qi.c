/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target "iova_guest_qi": a hostile guest fills the emulated VT-d invalidation
 * queue with arbitrary 128-bit descriptors (trap-and-emulate VMM, mode_emul.c). The VMM
 * must either process them or reject them with IQE, never crash or corrupt memory, and
 * the guest IOMMU must keep working afterwards. The input, read as a string, also goes
 * through the strategy/mode name parsers (iova_names.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iova.h"
#include "iova_priv.h"

static struct iova_ctx *ctx;
static uint8_t page[4096] __attribute__((aligned(4096)));

static void check(bool ok)
{
	if (!ok)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ctx) {
		struct vtd_soft_params vp;
		vtd_soft_default_params(&vp);
		vp.inv_latency_ns = 0;
		struct iova_backend *phys = iova_backend_soft_create(&vp, 0x0100, 1);
		struct iova_ctx_params p;
		iova_ctx_default_params(&p);
		p.strategy = IOVA_STRAT_STRICT;
		p.mode = IOVA_MODE_TRAP_EMULATE;
		p.nb_cpus = 1;
		ctx = phys ? iova_ctx_create(&p, phys) : NULL;
		check(ctx != NULL);
	}
	/* names */
	char name[40];
	size_t l = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, l);
	name[l] = 0;
	int s = iova_strategy_parse(name), m = iova_mode_parse(name);
	check(s == -EINVAL || strcmp(iova_strategy_name(s), name) == 0);
	check(m == -EINVAL || strcmp(iova_mode_name(m), name) == 0);

	/* descriptors */
	struct vtd_desc d[64];
	unsigned int n = (unsigned int)(size / sizeof(struct vtd_desc));
	if (n > 64)
		n = 64;
	memcpy(d, data, n * sizeof(struct vtd_desc));
	struct iova_backend *be = iova_ctx_backend(ctx);
	int rc = iova_mode_guest_submit_raw(be, d, n);
	check(rc == 0 || rc == -EIO);

	/* the guest IOMMU still works: map, device access, unmap, fault */
	uint64_t iova;
	void *h;
	check(iova_ctx_map(ctx, page, 64, IOVA_PROT_RW, 0, &iova) == 0);
	check(iova_ctx_dma(ctx, iova, 1, IOVA_PROT_WRITE, &h) == 0 && h == page);
	check(iova_ctx_unmap(ctx, iova, 64, 0) == 0);
	check(iova_ctx_dma(ctx, iova, 1, IOVA_PROT_WRITE, &h) == -EFAULT);
	return 0;
}
