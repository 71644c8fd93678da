/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target "vtd_ir": interrupt-remapping decoders and the unit's request path.
 * Input: records of 34 bytes: IRTE lo, hi (16), MSI address (8), data (4), requester
 * id (2), IRTE slot (1), flags (1: bit 0 EIME/x2APIC decode, bit 1 CAP.PI, bit 2 write
 * the IRTE into the table, bit 4 toggle CFI, bit 5 aim the message at the slot, bit 6
 * reprogram the slot through the driver afterwards), padding (2). For each record:
 *  1. vtd_irte_decode(): must not crash; an accepted present entry must re-encode to
 *     the same 128 bits; vtd_msi_decode(): an accepted remappable message re-encodes
 *     (vtd_msi_remappable()) to the same address bits 19:2 and its index is handle +
 *     subhandle (SHV) or handle.
 *  2. the IRTE is written into a 256-entry IRT of a unit with remapping enabled and
 *     the message is sent from the requester: vtd_soft_interrupt() returns 0 with a
 *     kind consistent with the unit's state, or -EFAULT with a fault record whose
 *     reason is an interrupt-remapping reason (20h-27h) unless FPD suppressed it.
 *     Nothing may be "delivered" from an entry that decodes as not present or
 *     reserved.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iova.h"
#include "vtd_defs.h"
#include "vtd_priv.h"

#define REC 34

static struct vtd_soft *unit;
static struct vtd_drv *drv;
static struct vtd_irte *irt;

static uint64_t le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (int i = (int)n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void setup(void)
{
	struct vtd_soft_params p;
	uint16_t base;

	vtd_soft_default_params(&p);
	p.inv_latency_ns = 0;
	unit = vtd_soft_create(&p);
	if (!unit)
		abort();
	drv = vtd_drv_init(unit);
	if (!drv || vtd_drv_ir_enable(drv, 256, false))
		abort();
	/* own all 256 entries so the harness may write any slot */
	for (unsigned int i = 0; i < 256 / 32; i++)
		if (vtd_drv_ir_alloc(drv, 32, &base))
			abort();
	irt = (struct vtd_irte *)(uintptr_t)(vtd_soft_reg_read(unit, VTD_REG_IRTA) &
					     VTD_IRTA_ADDR_MASK);
}

static void check_decoders(struct vtd_irte e, uint64_t addr, uint32_t data, bool eime, bool pi)
{
	struct vtd_irte_info i;
	struct vtd_msi_info m;

	if (vtd_irte_decode(&e, eime, pi, &i) == 0 && i.present) {
		struct vtd_irte r = vtd_irte_encode(&i, eime);

		if (r.lo != e.lo || r.hi != e.hi)
			abort();
		if (i.posted && (i.pda & 63))
			abort();
	}
	if (vtd_msi_decode(addr, data, &m) == 0 && m.remappable) {
		uint64_t a2;
		uint32_t d2;

		vtd_msi_remappable(m.handle, m.shv, m.subhandle, &a2, &d2);
		if ((a2 & 0xffffcULL) != (addr & 0xffffcULL) || (a2 >> 20) != (addr >> 20))
			abort();
		if (m.index != (uint32_t)m.handle + (m.shv ? (data & 0xffff) : 0))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!unit)
		setup();
	for (size_t off = 0; off + REC <= size && off < 64 * REC; off += REC) {
		const uint8_t *r = data + off;
		struct vtd_irte e = { le(r, 8), le(r + 8, 8) };
		uint64_t addr = le(r + 16, 8);
		uint32_t msi_data = (uint32_t)le(r + 24, 4);
		uint16_t rid = (uint16_t)le(r + 28, 2);
		unsigned int slot = r[30], flags = r[31];
		struct iova_irq irq;
		struct vtd_fault flt;
		uint64_t gsts;
		int rc;

		/* half the time aim the message at the slot being written */
		if (flags & 0x20)
			vtd_msi_remappable((uint16_t)slot, false, 0, &addr, &msi_data);
		check_decoders(e, addr, msi_data, flags & 1, flags & 2);
		if (flags & 4)
			irt[slot] = e;
		gsts = vtd_soft_reg_read(unit, VTD_REG_GSTS);
		if (flags & 0x10) {
			uint32_t g = (uint32_t)(gsts & VTD_GSTS_PERSIST) ^ VTD_GCMD_CFI;

			vtd_soft_reg_write(unit, VTD_REG_GCMD, g);
			gsts = vtd_soft_reg_read(unit, VTD_REG_GSTS);
		}
		while (vtd_soft_fault_pop(unit, &flt) == 1)
			;
		rc = vtd_soft_interrupt(unit, rid, addr, msi_data, &irq);
		if (rc == 0) {
			if (irq.kind == IOVA_IRQ_COMPAT && (gsts & VTD_GSTS_IRES) &&
			    ((addr & VTD_MSI_IR_FORMAT) || !(gsts & VTD_GSTS_CFIS)))
				abort(); /* compat only when IR is off or CFIS lets it */
			if (irq.kind == IOVA_IRQ_POSTED && (irq.pi_desc == 0 || (irq.pi_desc & 63)))
				abort();
			if (irq.kind != IOVA_IRQ_COMPAT && irq.index >= 256)
				abort();
		} else if (rc == -EFAULT) {
			if (vtd_soft_fault_pop(unit, &flt) == 1) {
				if (!VTD_FR_IS_IR(flt.reason) || flt.rid != rid)
					abort();
			}
		} else {
			abort();
		}
		/* a slot rewritten behind the unit's back is flushed now and then */
		if (flags & 0x40) {
			struct vtd_irte_info z = { 0 };

			irt[slot] = vtd_irte_encode(&z, false);
			vtd_drv_ir_set_remapped(drv, (uint16_t)slot, rid, (uint8_t)slot, 0);
		}
	}
	return 0;
}
