/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target "vtd_desc": the input is a sequence of 16-byte QI descriptors
 * (little-endian lo, hi) optionally preceded by nothing else.
 *  1. vtd_desc_decode() on each: must not crash; when it accepts a descriptor the
 *     decoded fields must re-encode to the same bits (for the types we encode).
 *  2. Every descriptor is then fed, raw, into a soft VT-d invalidation queue (zero
 *     modeled latency) with a device translating in between: the unit must never
 *     crash, must stop at invalid descriptors with FSTS.IQE, and must resume when
 *     the harness replaces the descriptor and clears IQE. The one rewrite made to
 *     the raw bits: a status-write address is pointed at a harness-owned word
 *     (the unit writes host memory, as hardware writes physical memory).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iova.h"
#include "vtd_defs.h"
#include "vtd_priv.h"

static struct vtd_soft *unit;
static struct vtd_drv *drv;
static struct vtd_domain *dom;
static struct vtd_desc *ring;
static uint32_t status_word;
static uint8_t *page;

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void setup(void)
{
	struct vtd_soft_params p;

	vtd_soft_default_params(&p);
	p.inv_latency_ns = 0;
	unit = vtd_soft_create(&p);
	if (!unit)
		abort();
	drv = vtd_drv_init(unit);
	if (!drv)
		abort();
	dom = vtd_drv_domain_create(drv, 5);
	if (!dom || vtd_drv_attach(dom, 0x0100))
		abort();
	page = aligned_alloc(4096, 4096);
	if (!page || vtd_drv_map(dom, 0x10000, page, 4096, IOVA_PROT_RW))
		abort();
	/* the fuzzer gets its own queue: take the driver's ring address from IQA */
	ring = (struct vtd_desc *)(uintptr_t)(vtd_soft_reg_read(unit, VTD_REG_IQA) &
					      VTD_IQA_ADDR_MASK);
}

static void check_reencode(const struct vtd_desc *d, const struct vtd_desc_info *in)
{
	struct vtd_desc e;

	switch (in->type) {
	case VTD_QI_TYPE_IOTLB:
		if (in->dw || in->dr)
			return;
		if (in->gran == VTD_QI_IOTLB_G_GLOBAL)
			e = vtd_desc_iotlb_global();
		else if (in->gran == VTD_QI_IOTLB_G_DOMAIN)
			e = vtd_desc_iotlb_domain(in->did);
		else
			e = vtd_desc_iotlb_page(in->did, in->addr, in->am, in->ih);
		/* global/domain: DID resp. hi fields are ignored by hardware, compare what is encoded */
		if (in->gran == VTD_QI_IOTLB_G_PAGE && (e.lo != d->lo || e.hi != d->hi))
			abort();
		if (in->gran == VTD_QI_IOTLB_G_DOMAIN && e.lo != d->lo)
			abort();
		break;
	case VTD_QI_TYPE_CC:
		e = vtd_desc_context(in->gran, in->did, VTD_DESC_INFO_SID(in),
				     VTD_DESC_INFO_FM(in));
		if (e.lo != d->lo || e.hi != d->hi)
			abort();
		break;
	case VTD_QI_TYPE_WAIT:
		if (in->sw && in->fn) {
			e = vtd_desc_wait(in->status_data, in->status_addr, in->iflag);
			if (e.lo != d->lo || e.hi != d->hi)
				abort();
		}
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!unit)
		setup();
	size_t n = size / 16;

	if (n > 64)
		n = 64;
	for (size_t i = 0; i < n; i++) {
		struct vtd_desc d = { le64(data + 16 * i), le64(data + 16 * i + 8) };
		struct vtd_desc_info in;

		if (vtd_desc_decode(&d, &in) == 0) {
			if (in.type < 1 || in.type > 5)
				abort();
			check_reencode(&d, &in);
			if (in.type == VTD_QI_TYPE_WAIT && in.sw)
				d.hi = (uint64_t)(uintptr_t)&status_word;
		}
		/* raw into the queue at IQT, ring the doorbell */
		unsigned int entries =
			VTD_IQA_ENTRIES(VTD_IQA_QS(vtd_soft_reg_read(unit, VTD_REG_IQA)));
		unsigned int tail =
			(unsigned int)(vtd_soft_reg_read(unit, VTD_REG_IQT) >> 4) % entries;

		ring[tail] = d;
		vtd_soft_reg_write(unit, VTD_REG_IQT, (uint64_t)((tail + 1) % entries) << 4);
		vtd_soft_poll(unit);
		if (vtd_soft_reg_read(unit, VTD_REG_FSTS) & VTD_FSTS_IQE) {
			unsigned int head =
				(unsigned int)(vtd_soft_reg_read(unit, VTD_REG_IQH) >> 4);

			if (head != tail) /* the unit stops exactly at the bad descriptor */
				abort();
			ring[head] = (struct vtd_desc){ .lo = VTD_QI_TYPE_WAIT, .hi = 0 };
			vtd_soft_reg_write(unit, VTD_REG_FSTS, VTD_FSTS_IQE);
		}
		if (vtd_soft_reg_read(unit, VTD_REG_IQH) != vtd_soft_reg_read(unit, VTD_REG_IQT))
			abort(); /* zero latency: everything up to IQT has executed */
		/* device side keeps working: mapped page translates, a random one may fault */
		void *h;

		if (vtd_soft_translate(unit, 0x0100, 0x10000 + (d.lo & 0xfff), 1, IOVA_PROT_READ,
				       &h) != 0 ||
		    h != page + (d.lo & 0xfff))
			abort();
		(void)vtd_soft_translate(unit, (uint16_t)d.hi, d.lo & ((1ULL << 49) - 1),
					 1 + (d.hi & 0xff),
					 (d.lo & 1) ? IOVA_PROT_WRITE : IOVA_PROT_READ, &h);
		struct vtd_fault f;

		while (vtd_soft_fault_pop(unit, &f))
			;
		vtd_soft_reg_write(unit, VTD_REG_FSTS, VTD_FSTS_PFO);
	}
	return 0;
}
