/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vtd_soft_ir.c
 * Interrupt remapping in the soft VT-d unit: the hardware's handling of an
 * interrupt request (VT-d 5.1 "Interrupt Remapping"; QEMU hw/i386/intel_iommu.c
 * vtd_interrupt_remap_msi(), vtd_irte_get(), vtd_remap_irq_get()).
 *
 * For an MSI write (address, data) from requester rid:
 *  1. address 63:32 must be 0 and 31:20 FEEh, else fault 20h;
 *  2. GSTS.IRES = 0: no remapping, the request passes in compatibility format;
 *  3. compatibility format (address bit 4 = 0): passes if GSTS.CFIS = 1, else
 *     fault 25h (blocked);
 *  4. remappable format: data 31:16 must be 0 (20h); index = handle (+ subhandle
 *     when SHV); index beyond 2^(IRTA.S + 1) entries: 21h; IRTA latched 0: 23h;
 *  5. the IRTE comes from the interrupt-entry cache (VT-d 6.4) or is read from
 *     the IRT with one 128-bit atomic load and cached; a cached entry is used
 *     until software invalidates it (IEC descriptor, type 4), as on hardware;
 *  6. P = 0: 22h; reserved fields (incl. SVT = 3, IM = 1 without CAP.PI): 24h;
 *  7. source validation (SVT 1: rid and SID equal under the SQ mask; SVT 2: rid's
 *     bus within [SID 15:8, SID 7:0]): 26h;
 *  8. posted format: PDA 0 cannot be accessed (model restriction, as the unit
 *     never touches address 0): 27h; otherwise the result is (PDA, URG, vector);
 *     remapped format: (vector, destination, DM, RH, TM, DLM).
 * Faults 22h, 24h, 26h and 27h are "qualified": not recorded when the IRTE's
 * FPD is 1 (still blocked and counted). Nothing is delivered here: the caller
 * owns delivery (design rule: lib/iova decodes, lib/vfdev delivers).
 */
#include <errno.h>
#include <string.h>

#include "vtd_priv.h"

/* 128-bit atomic load of an IRTE (the hardware reads an IRTE at once; the driver
 * writes posted IRTEs with cmpxchg16b, Linux modify_irte()). */
static void irte_load(const struct vtd_irte *p, uint64_t *lo, uint64_t *hi)
{
#if defined(__x86_64__)
	uint64_t a = 0, d = 0;

	__asm__ __volatile__("lock cmpxchg16b %2"
			     : "+a"(a), "+d"(d), "+m"(*(volatile struct vtd_irte *)p)
			     : "b"(0ULL), "c"(0ULL)
			     : "memory", "cc");
	*lo = a;
	*hi = d;
#else
	*lo = __atomic_load_n(&p->lo, __ATOMIC_ACQUIRE);
	*hi = __atomic_load_n(&p->hi, __ATOMIC_ACQUIRE);
#endif
}

void vtd_soft_iec_invalidate(struct vtd_soft *v, unsigned int gran, uint32_t idx, unsigned int im)
{
	uint32_t lo = 0, n = 0;

	if (gran) {
		n = 1u << (im > 16 ? 16 : im);
		lo = idx & ~(n - 1);
	}
	for (unsigned int i = 0; i < VTD_SOFT_IEC_ENTRIES; i++) {
		struct vtd_iec_entry *e = &v->iec[i];

		if (e->valid && (!gran || (e->index >= lo && e->index - lo < n)))
			e->valid = false;
	}
}

/* Lock held. The IRTE of index from the cache or the table (then cached). */
static void iec_fetch(struct vtd_soft *v, uint32_t index, uint64_t *lo, uint64_t *hi)
{
	struct vtd_iec_entry *victim = &v->iec[0];

	for (unsigned int i = 0; i < VTD_SOFT_IEC_ENTRIES; i++) {
		struct vtd_iec_entry *e = &v->iec[i];

		if (e->valid && e->index == index) {
			e->lru = ++v->lru_clock;
			*lo = e->lo;
			*hi = e->hi;
			v->st.iec_hits++;
			return;
		}
		if (!e->valid)
			victim = e;
		else if (victim->valid && e->lru < victim->lru)
			victim = e;
	}
	v->st.iec_misses++;
	irte_load((const struct vtd_irte *)(uintptr_t)((v->irta_active & VTD_IRTA_ADDR_MASK) +
						       (uint64_t)index * VTD_IRTE_SIZE),
		  lo, hi);
	victim->lo = *lo;
	victim->hi = *hi;
	victim->index = index;
	victim->valid = true;
	victim->lru = ++v->lru_clock;
}

static bool sid_ok(const struct vtd_irte_info *i, uint16_t rid)
{
	/* VT-d 9.10 SQ: 0 compare all bits, 1 ignore bit 2, 2 ignore bits 2:1, 3 ignore 2:0 */
	static const uint16_t sq_mask[4] = { 0xffff, 0xfffb, 0xfff9, 0xfff8 };
	unsigned int bus = rid >> 8;

	switch (i->svt) {
	case VTD_SVT_NONE:
		return true;
	case VTD_SVT_SID:
		return (rid & sq_mask[i->sq & 3]) == (i->sid & sq_mask[i->sq & 3]);
	case VTD_SVT_BUS:
		return bus >= (unsigned int)(i->sid >> 8) && bus <= (unsigned int)(i->sid & 0xff);
	default:
		return false;
	}
}

static int blocked(struct vtd_soft *v, uint16_t rid, uint32_t index, uint8_t reason, bool fpd)
{
	v->st.ir_blocked++;
	vtd_soft_record_fault(v, rid, (uint64_t)(index & 0xffff) << 48, true, reason, fpd);
	return -EFAULT;
}

int vtd_soft_interrupt(struct vtd_soft *v, uint16_t rid, uint64_t addr, uint32_t data,
		       struct iova_irq *out)
{
	struct vtd_msi_info m;
	struct vtd_irte_info i;
	struct vtd_irte e;
	bool eime;
	int rc;

	if (!v || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	pthread_spin_lock(&v->lock);
	v->st.ir_requests++;
	if (vtd_msi_decode(addr, data, &m) < 0) {
		rc = blocked(v, rid, 0, VTD_FR_IR_REQ_RSVD, false);
		goto out;
	}
	if (!(v->gsts & VTD_GSTS_IRES) || (!m.remappable && (v->gsts & VTD_GSTS_CFIS))) {
		if (m.remappable) {
			/* IR disabled: a remappable-format request is not remapped; its
			 * address bits still name an APIC destination (QEMU passes it on). */
			vtd_msi_decode(addr & ~VTD_MSI_IR_FORMAT, data, &m);
		}
		out->kind = IOVA_IRQ_COMPAT;
		out->vector = m.vector;
		out->dest = m.dest;
		out->dm = m.dm;
		out->rh = m.rh;
		out->tm = m.tm;
		out->dlm = m.dlm;
		v->st.ir_compat++;
		rc = 0;
		goto out;
	}
	if (!m.remappable) {
		rc = blocked(v, rid, 0, VTD_FR_IR_REQ_COMPAT, false);
		goto out;
	}
	if (m.index >= VTD_IRTA_ENTRIES(v->irta_active)) {
		rc = blocked(v, rid, m.index, VTD_FR_IR_INDEX_OVER, false);
		goto out;
	}
	if (!(v->irta_active & VTD_IRTA_ADDR_MASK)) {
		rc = blocked(v, rid, m.index, VTD_FR_IR_ROOT_INVAL, false);
		goto out;
	}
	iec_fetch(v, m.index, &e.lo, &e.hi);
	eime = !!(v->irta_active & VTD_IRTA_EIME);
	if (vtd_irte_decode(&e, eime, !!(v->cap & VTD_CAP_PI), &i) < 0) {
		rc = blocked(v, rid, m.index, VTD_FR_IR_IRTE_RSVD, !!(e.lo & VTD_IRTE_FPD));
		goto out;
	}
	if (!i.present) {
		rc = blocked(v, rid, m.index, VTD_FR_IR_ENTRY_P, i.fpd);
		goto out;
	}
	if (!sid_ok(&i, rid)) {
		rc = blocked(v, rid, m.index, VTD_FR_IR_SID_ERR, i.fpd);
		goto out;
	}
	out->index = m.index;
	out->vector = i.vector;
	if (i.posted) {
		if (!i.pda) {
			rc = blocked(v, rid, m.index, VTD_FR_IR_PDA_INVAL, i.fpd);
			goto out;
		}
		out->kind = IOVA_IRQ_POSTED;
		out->pi_desc = i.pda;
		out->urg = i.urg;
		v->st.ir_posted++;
	} else {
		out->kind = IOVA_IRQ_REMAPPED;
		out->dest = i.dest;
		out->dm = i.dm;
		out->rh = i.rh;
		out->tm = i.tm;
		out->dlm = i.dlm;
		v->st.ir_remapped++;
	}
	rc = 0;
out:
	pthread_spin_unlock(&v->lock);
	return rc;
}
