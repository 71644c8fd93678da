/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupt remapping in the soft VT-d (VT-d ch. 5, 9.10, 9.11, 6.5.2.7, 7.1.3):
 * IRTE and MSI encodings field by field against hand-computed values, the
 * driver's bring-up (IRTA, SIRTP, IRE, CFI), remapped and posted requests, every
 * interrupt-remapping fault reason, source validation, FPD, and the
 * interrupt-entry cache (a cached IRTE is used until it is invalidated).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "iova.h"
#include "vtd_defs.h"
#include "vtd_priv.h"

#define RID 0x0100 /* bus 1, dev 0, fn 0: the device */
#define RID_EVIL 0x0200 /* bus 2: another device */

/* ---------------------------------------------------------------------- */
/* Pure encodings                                                          */
/* ---------------------------------------------------------------------- */

static void test_irte_remapped_fields(void **state)
{
	struct vtd_irte_info i;
	struct vtd_irte e, r;

	(void)state;
	/* x2APIC remapped IRTE, by hand from VT-d 9.10:
	 * P=1 (bit 0), DM=1 (2), RH=1 (3), TM=0 (4), DLM=1 (7:5 -> 0x20), AVL=0xa (11:8),
	 * V=0x45 (23:16), DST=0x12345678 (63:32); hi: SID 0x0108, SQ=2 (17:16), SVT=1 (19:18). */
	e.lo = 0x1234567800450a2dULL;
	e.hi = 0x60108ULL;
	assert_int_equal(vtd_irte_decode(&e, true, true, &i), 0);
	assert_true(i.present);
	assert_false(i.fpd);
	assert_false(i.posted);
	assert_true(i.dm);
	assert_true(i.rh);
	assert_false(i.tm);
	assert_int_equal(i.dlm, 1);
	assert_int_equal(i.avail, 0xa);
	assert_int_equal(i.vector, 0x45);
	assert_int_equal(i.dest, 0x12345678);
	assert_int_equal(i.sid, 0x0108);
	assert_int_equal(i.sq, 2);
	assert_int_equal(i.svt, VTD_SVT_SID);
	r = vtd_irte_encode(&i, true);
	assert_true(r.lo == e.lo && r.hi == e.hi);

	/* xAPIC (EIME=0): APIC ID 0x3c in DST 15:8 = bits 47:40; bits 39:32 and 63:48 reserved */
	e.lo = 0x00003c0000410001ULL;
	e.hi = 0;
	assert_int_equal(vtd_irte_decode(&e, false, true, &i), 0);
	assert_int_equal(i.dest, 0x3c);
	assert_int_equal(i.vector, 0x41);
	assert_int_equal(i.svt, VTD_SVT_NONE);
	r = vtd_irte_encode(&i, false);
	assert_true(r.lo == e.lo && r.hi == e.hi);
	e.lo |= 1ULL << 32;
	assert_int_equal(vtd_irte_decode(&e, false, true, &i), -EINVAL);
	assert_int_equal(vtd_irte_decode(&e, true, true, &i), 0); /* x2APIC: a valid DST bit */
	e.lo = 0x00003c0000410001ULL | (1ULL << 48);
	assert_int_equal(vtd_irte_decode(&e, false, true, &i), -EINVAL);
	/* reserved 14:12 and 31:24, reserved hi 63:20, SVT = 3 */
	e = (struct vtd_irte){ 0x0000000000411001ULL, 0 };
	assert_int_equal(vtd_irte_decode(&e, true, true, &i), -EINVAL);
	e = (struct vtd_irte){ 0x0000000001410001ULL, 0 };
	assert_int_equal(vtd_irte_decode(&e, true, true, &i), -EINVAL);
	e = (struct vtd_irte){ 0x0000000000410001ULL, 1ULL << 20 };
	assert_int_equal(vtd_irte_decode(&e, true, true, &i), -EINVAL);
	e = (struct vtd_irte){ 0x0000000000410001ULL, 3ULL << 18 };
	assert_int_equal(vtd_irte_decode(&e, true, true, &i), -EINVAL);
	/* not present: decodes (present = false), FPD still read, rest unchecked */
	e = (struct vtd_irte){ 0xffffffffffff0002ULL, ~0ULL };
	assert_int_equal(vtd_irte_decode(&e, false, false, &i), 0);
	assert_false(i.present);
	assert_true(i.fpd);
}

static void test_irte_posted_fields(void **state)
{
	struct vtd_irte_info i;
	struct vtd_irte e, r;

	(void)state;
	/* posted IRTE, VT-d 9.11 / shared/reference: P=1, URG=1 (14), IM=1 (15), V=0x31 (23:16),
	 * PDA = 0x00007f1234567840: PDA[31:6] in 63:38, PDA[63:32] in hi 63:32; SID 0x0300, SVT=1. */
	e.lo = 0x345678400031c001ULL;
	e.hi = 0x00007f1200040300ULL;
	assert_int_equal(vtd_irte_decode(&e, false, true, &i), 0);
	assert_true(i.present);
	assert_true(i.posted);
	assert_true(i.urg);
	assert_int_equal(i.vector, 0x31);
	assert_true(i.pda == 0x00007f1234567840ULL);
	assert_int_equal(i.sid, 0x0300);
	assert_int_equal(i.sq, 0);
	assert_int_equal(i.svt, VTD_SVT_SID);
	r = vtd_irte_encode(&i, false);
	assert_true(r.lo == e.lo && r.hi == e.hi);
	/* IM = 1 without CAP.PI is reserved */
	assert_int_equal(vtd_irte_decode(&e, false, false, &i), -EINVAL);
	/* posted reserved: 7:2, 13:12, 37:24; hi 31:20 */
	r = e;
	r.lo |= 1ULL << 2;
	assert_int_equal(vtd_irte_decode(&r, false, true, &i), -EINVAL);
	r = e;
	r.lo |= 1ULL << 30;
	assert_int_equal(vtd_irte_decode(&r, false, true, &i), -EINVAL);
	r = e;
	r.hi |= 1ULL << 25;
	assert_int_equal(vtd_irte_decode(&r, false, true, &i), -EINVAL);
}

static void test_msi_fields(void **state)
{
	struct vtd_msi_info m;
	uint64_t addr;
	uint32_t data;

	(void)state;
	/* remappable (VT-d 5.1.2.2): FEEh in 31:20, HANDLE[14:0] 19:5, IF 4 = 1, SHV 3,
	 * HANDLE[15] 2. Handle 0x8123, SHV, subhandle 3:
	 * 0xfee00000 | 0x0123 << 5 (0x2460) | 0x10 | 0x8 | 0x4 = 0xfee0247c, data 3. */
	vtd_msi_remappable(0x8123, true, 3, &addr, &data);
	assert_true(addr == 0xfee0247cULL);
	assert_int_equal(data, 3);
	assert_int_equal(vtd_msi_decode(addr, data, &m), 0);
	assert_true(m.remappable);
	assert_int_equal(m.handle, 0x8123);
	assert_true(m.shv);
	assert_int_equal(m.subhandle, 3);
	assert_int_equal(m.index, 0x8126);
	/* SHV = 0: the data's subhandle is ignored, index = handle */
	assert_int_equal(vtd_msi_decode(0xfee02474ULL, 7, &m), 0);
	assert_false(m.shv);
	assert_int_equal(m.index, 0x8123);
	/* reserved: data 31:16, address 63:32, address head != FEEh */
	assert_int_equal(vtd_msi_decode(addr, 0x10003, &m), -EINVAL);
	assert_int_equal(vtd_msi_decode(addr | (1ULL << 32), data, &m), -EINVAL);
	assert_int_equal(vtd_msi_decode(0xfed0247cULL, data, &m), -EINVAL);
	/* compatibility (5.1.2.1 / SDM 10.11): dest 19:12 = 5, DM (2) = 1; data V 0x41, TM (15) = 1 */
	assert_int_equal(vtd_msi_decode(0xfee05004ULL, 0x8041, &m), 0);
	assert_false(m.remappable);
	assert_int_equal(m.dest, 5);
	assert_true(m.dm);
	assert_false(m.rh);
	assert_int_equal(m.vector, 0x41);
	assert_int_equal(m.dlm, 0);
	assert_true(m.tm);
	vtd_msi_compat(7, 0x99, &addr, &data);
	assert_true(addr == 0xfee07000ULL);
	assert_int_equal(data, 0x99);
}

static void test_iec_descriptor(void **state)
{
	struct vtd_desc d;
	struct vtd_desc_info in;

	(void)state;
	/* VT-d 6.5.2.7: type 4 (3:0), G (4) = 1 index-selective, IM 31:27 = 2, IIDX 47:32 = 0x40 */
	d = vtd_desc_iec_index(0x40, 2);
	assert_true(d.lo == 0x4010000014ULL);
	assert_true(d.hi == 0);
	assert_int_equal(vtd_desc_decode(&d, &in), 0);
	assert_int_equal(in.type, VTD_QI_TYPE_IEC);
	assert_int_equal(in.gran, 1);
	assert_int_equal(in.am, 2);
	assert_true(in.addr == 0x40);
	d = vtd_desc_iec_global();
	assert_true(d.lo == 4 && d.hi == 0);
	assert_int_equal(vtd_desc_decode(&d, &in), 0);
	assert_int_equal(in.gran, 0);
}

/* ---------------------------------------------------------------------- */
/* The unit and its driver                                                 */
/* ---------------------------------------------------------------------- */

struct irfix {
	struct vtd_soft *v;
	struct vtd_drv *drv;
	struct vtd_irte *irt;
	uint64_t *pi_desc; /* a 64-byte aligned stand-in address for a PI descriptor */
};

static void ir_setup(struct irfix *f, bool x2apic, uint64_t latency_ns)
{
	struct vtd_soft_params p;

	vtd_soft_default_params(&p);
	p.inv_latency_ns = latency_ns;
	f->v = vtd_soft_create(&p);
	assert_non_null(f->v);
	f->drv = vtd_drv_init(f->v);
	assert_non_null(f->drv);
	assert_int_equal(vtd_drv_ir_enable(f->drv, 256, x2apic), 0);
	f->irt = (struct vtd_irte *)(uintptr_t)(vtd_soft_reg_read(f->v, VTD_REG_IRTA) &
						VTD_IRTA_ADDR_MASK);
	f->pi_desc = aligned_alloc(64, 64);
	assert_non_null(f->pi_desc);
	memset(f->pi_desc, 0x5a, 64);
}

static void ir_teardown(struct irfix *f)
{
	vtd_drv_fini(f->drv);
	vtd_soft_destroy(f->v);
	free(f->pi_desc);
}

static void expect_ir_fault(struct vtd_soft *v, uint16_t rid, uint8_t reason, uint16_t index)
{
	struct vtd_fault flt;

	assert_int_equal(vtd_soft_fault_pop(v, &flt), 1);
	assert_int_equal(flt.reason, reason);
	assert_int_equal(flt.rid, rid);
	assert_int_equal(flt.index, index);
	assert_true(flt.iova == 0);
	assert_int_equal(vtd_soft_fault_pop(v, &flt), 0);
}

static void test_driver_bringup(void **state)
{
	struct irfix f;
	uint64_t irta, gsts, ecap, cap;

	(void)state;
	ir_setup(&f, false, 0);
	cap = vtd_soft_reg_read(f.v, VTD_REG_CAP);
	ecap = vtd_soft_reg_read(f.v, VTD_REG_ECAP);
	assert_true(cap & VTD_CAP_PI); /* 59 */
	assert_true(ecap & VTD_ECAP_IR); /* 3 */
	assert_true(ecap & VTD_ECAP_EIM); /* 4 */
	/* IRTA (10.4.29): 256 entries = 2^(S+1) -> S = 7, EIME 0, 4 KiB aligned table */
	irta = vtd_soft_reg_read(f.v, VTD_REG_IRTA);
	assert_int_equal(irta & 0xfff, 7);
	assert_true((irta & VTD_IRTA_ADDR_MASK) != 0);
	gsts = vtd_soft_reg_read(f.v, VTD_REG_GSTS);
	assert_true(gsts & VTD_GSTS_IRTPS);
	assert_true(gsts & VTD_GSTS_IRES);
	assert_false(gsts & VTD_GSTS_CFIS); /* Linux blocks compatibility format */
	assert_true(gsts & VTD_GSTS_TES); /* DMA remapping still on */
	assert_int_equal(vtd_drv_ir_enable(f.drv, 256, false), -EBUSY);
	ir_teardown(&f);

	ir_setup(&f, true, 0);
	irta = vtd_soft_reg_read(f.v, VTD_REG_IRTA);
	assert_true(irta & VTD_IRTA_EIME);
	ir_teardown(&f);
}

static void test_alloc_blocks(void **state)
{
	struct irfix f;
	uint16_t a, b, c;

	(void)state;
	ir_setup(&f, false, 0);
	assert_int_equal(vtd_drv_ir_alloc(f.drv, 3, &a), 0); /* 4 entries, aligned */
	assert_int_equal(a, 0);
	assert_int_equal(vtd_drv_ir_alloc(f.drv, 1, &b), 0);
	assert_int_equal(b, 4);
	assert_int_equal(vtd_drv_ir_alloc(f.drv, 8, &c), 0);
	assert_int_equal(c, 8);
	assert_int_equal(vtd_drv_ir_alloc(f.drv, 0, &c), -EINVAL);
	assert_int_equal(vtd_drv_ir_alloc(f.drv, 33, &c), -EINVAL);
	vtd_drv_ir_free(f.drv, a, 3);
	assert_int_equal(vtd_drv_ir_alloc(f.drv, 2, &c), 0);
	assert_int_equal(c, 0);
	/* a never-programmed entry of an allocated block cannot be set out of range */
	assert_int_equal(vtd_drv_ir_set_remapped(f.drv, 200, RID, 0x40, 0), -EINVAL);
	ir_teardown(&f);
}

static void test_remapped_and_posted(void **state)
{
	struct irfix f;
	struct iova_irq irq;
	struct vtd_soft_stats st;
	uint16_t base;
	uint64_t addr;
	uint32_t data;

	(void)state;
	ir_setup(&f, false, VTD_DEFAULT_INV_LATENCY_NS);
	assert_int_equal(vtd_drv_ir_alloc(f.drv, 2, &base), 0);
	assert_int_equal(vtd_drv_ir_set_remapped(f.drv, base, RID, 0x41, 3), 0);
	assert_int_equal(vtd_drv_ir_set_posted(f.drv, base + 1, RID, 0x51,
					       (uint64_t)(uintptr_t)f.pi_desc, false),
			 0);
	assert_int_equal(vtd_drv_ir_set_posted(f.drv, base + 1, RID, 0x51,
					       (uint64_t)(uintptr_t)f.pi_desc + 8, false),
			 -EINVAL);
	/* the IRTE in memory is what the driver programmed: SVT=1, SQ=0, SID=rid */
	assert_true(f.irt[base].hi == ((1ULL << 18) | RID));
	assert_true(f.irt[base].lo ==
		    (0x0000030000410001ULL)); /* xAPIC dest 3 in 47:40, V 0x41, P */

	/* vector 0: remapped */
	vtd_drv_ir_msi(base, 0, &addr, &data);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, addr, data, &irq), 0);
	assert_int_equal(irq.kind, IOVA_IRQ_REMAPPED);
	assert_int_equal(irq.index, base);
	assert_int_equal(irq.vector, 0x41);
	assert_int_equal(irq.dest, 3);
	assert_false(irq.dm);
	assert_false(irq.tm);
	assert_int_equal(irq.dlm, 0);
	/* vector 1: posted (decoded, not delivered) */
	vtd_drv_ir_msi(base, 1, &addr, &data);
	assert_int_equal(data, 1);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, addr, data, &irq), 0);
	assert_int_equal(irq.kind, IOVA_IRQ_POSTED);
	assert_int_equal(irq.index, base + 1);
	assert_int_equal(irq.vector, 0x51);
	assert_true(irq.pi_desc == (uint64_t)(uintptr_t)f.pi_desc);
	assert_false(irq.urg);
	for (unsigned int k = 0; k < 8; k++) /* the unit never touches the descriptor */
		assert_true(f.pi_desc[k] == 0x5a5a5a5a5a5a5a5aULL);
	vtd_soft_get_stats(f.v, &st);
	assert_int_equal(st.ir_requests, 2);
	assert_int_equal(st.ir_remapped, 1);
	assert_int_equal(st.ir_posted, 1);
	assert_int_equal(st.ir_blocked, 0);
	assert_true(st.inv_iec >= 3); /* global at enable + one per IRTE write */
	ir_teardown(&f);
}

static void test_faults_and_spoofing(void **state)
{
	struct irfix f;
	struct iova_irq irq;
	struct vtd_soft_stats st;
	struct vtd_fault flt;
	uint16_t base;
	uint64_t addr;
	uint32_t data;

	(void)state;
	ir_setup(&f, false, 0);
	assert_int_equal(vtd_drv_ir_alloc(f.drv, 4, &base), 0);
	assert_int_equal(vtd_drv_ir_set_remapped(f.drv, base, RID, 0x41, 3), 0);
	vtd_drv_ir_msi(base, 0, &addr, &data);

	/* 26h: the right handle from another requester (forged source-id) */
	assert_int_equal(vtd_soft_interrupt(f.v, RID_EVIL, addr, data, &irq), -EFAULT);
	expect_ir_fault(f.v, RID_EVIL, VTD_FR_IR_SID_ERR, base);
	/* 22h: an allocated but never programmed entry (P = 0) */
	vtd_drv_ir_msi(base, 2, &addr, &data);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, addr, data, &irq), -EFAULT);
	expect_ir_fault(f.v, RID, VTD_FR_IR_ENTRY_P, base + 2);
	/* 21h: handle beyond the 256-entry table */
	vtd_msi_remappable(300, false, 0, &addr, &data);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, addr, data, &irq), -EFAULT);
	expect_ir_fault(f.v, RID, VTD_FR_IR_INDEX_OVER, 300);
	/* ... and via the subhandle: handle 255 + subhandle 1 = 256 */
	vtd_msi_remappable(255, true, 1, &addr, &data);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, addr, data, &irq), -EFAULT);
	expect_ir_fault(f.v, RID, VTD_FR_IR_INDEX_OVER, 256);
	/* 25h: compatibility format while remapping is enforced (CFIS = 0) */
	vtd_msi_compat(3, 0x41, &addr, &data);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, addr, data, &irq), -EFAULT);
	expect_ir_fault(f.v, RID, VTD_FR_IR_REQ_COMPAT, 0);
	/* 20h: reserved data bits in a remappable request */
	vtd_drv_ir_msi(base, 0, &addr, &data);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, addr, data | 0x10000, &irq), -EFAULT);
	expect_ir_fault(f.v, RID, VTD_FR_IR_REQ_RSVD, 0);
	/* 24h: reserved bit 12 in a present IRTE (written behind the driver's back into an
	 * entry the unit has not cached yet) */
	f.irt[base + 3] = (struct vtd_irte){ 0x0000030000411001ULL, 0 };
	vtd_drv_ir_msi(base, 3, &addr, &data);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, addr, data, &irq), -EFAULT);
	expect_ir_fault(f.v, RID, VTD_FR_IR_IRTE_RSVD, base + 3);
	/* 22h with FPD = 1: blocked and counted, not recorded */
	vtd_drv_ir_free(f.drv, base, 4); /* clears and invalidates the block */
	assert_int_equal(vtd_drv_ir_alloc(f.drv, 4, &base), 0);
	f.irt[base + 1] = (struct vtd_irte){ VTD_IRTE_FPD, 0 };
	vtd_drv_ir_msi(base, 1, &addr, &data);
	vtd_soft_get_stats(f.v, &st);
	uint64_t blocked0 = st.ir_blocked;

	assert_int_equal(vtd_soft_interrupt(f.v, RID, addr, data, &irq), -EFAULT);
	assert_int_equal(vtd_soft_fault_pop(f.v, &flt), 0);
	vtd_soft_get_stats(f.v, &st);
	assert_int_equal(st.ir_blocked, blocked0 + 1);
	/* 27h: posted IRTE whose PDA is 0 */
	f.irt[base + 2] = (struct vtd_irte){ VTD_IRTE_P | VTD_IRTE_IM | (0x51ULL << 16), 0 };
	vtd_drv_ir_msi(base, 2, &addr, &data);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, addr, data, &irq), -EFAULT);
	expect_ir_fault(f.v, RID, VTD_FR_IR_PDA_INVAL, base + 2);
	/* SVT = 2: requester bus within [1, 3] (SID 0x0103) */
	f.irt[base + 3] = (struct vtd_irte){ VTD_IRTE_P | (0x60ULL << 16), (2ULL << 18) | 0x0103 };
	vtd_drv_ir_msi(base, 3, &addr, &data);
	assert_int_equal(vtd_soft_interrupt(f.v, 0x0308, addr, data, &irq), 0);
	assert_int_equal(irq.vector, 0x60);
	assert_int_equal(vtd_soft_interrupt(f.v, 0x0400, addr, data, &irq), -EFAULT);
	expect_ir_fault(f.v, 0x0400, VTD_FR_IR_SID_ERR, base + 3);
	/* SVT = 1, SQ = 3: function bits 2:0 ignored (entry base not cached since its flush) */
	assert_int_equal(vtd_drv_ir_set_remapped(f.drv, base, RID, 0x41, 3), 0);
	f.irt[base].hi |= 3ULL << 16;
	vtd_drv_ir_msi(base, 0, &addr, &data);
	assert_int_equal(vtd_soft_interrupt(f.v, RID | 5, addr, data, &irq), 0); /* fn 5 */
	assert_int_equal(irq.vector, 0x41);
	assert_int_equal(vtd_soft_interrupt(f.v, RID | 8, addr, data, &irq), -EFAULT); /* dev 1 */
	expect_ir_fault(f.v, RID | 8, VTD_FR_IR_SID_ERR, base);
	ir_teardown(&f);
}

static void test_cfis_and_ir_off(void **state)
{
	struct irfix f;
	struct iova_irq irq;
	uint16_t base;
	uint64_t addr;
	uint32_t data, gcmd;

	(void)state;
	ir_setup(&f, false, 0);
	assert_int_equal(vtd_drv_ir_alloc(f.drv, 1, &base), 0);
	assert_int_equal(vtd_drv_ir_set_remapped(f.drv, base, RID, 0x41, 3), 0);
	gcmd = (uint32_t)(vtd_soft_reg_read(f.v, VTD_REG_GSTS) & VTD_GSTS_PERSIST);
	/* CFI = 1: compatibility format passes unremapped; remappable still remapped */
	vtd_soft_reg_write(f.v, VTD_REG_GCMD, gcmd | VTD_GCMD_CFI);
	assert_true(vtd_soft_reg_read(f.v, VTD_REG_GSTS) & VTD_GSTS_CFIS);
	vtd_msi_compat(9, 0x77, &addr, &data);
	assert_int_equal(vtd_soft_interrupt(f.v, RID_EVIL, addr, data, &irq), 0);
	assert_int_equal(irq.kind, IOVA_IRQ_COMPAT);
	assert_int_equal(irq.dest, 9);
	assert_int_equal(irq.vector, 0x77);
	vtd_drv_ir_msi(base, 0, &addr, &data);
	assert_int_equal(vtd_soft_interrupt(f.v, RID_EVIL, addr, data, &irq), -EFAULT);
	/* IRE = 0: no remapping at all, a forged source passes (a host without IR) */
	vtd_soft_reg_write(f.v, VTD_REG_GCMD, gcmd & ~VTD_GCMD_IRE);
	assert_false(vtd_soft_reg_read(f.v, VTD_REG_GSTS) & VTD_GSTS_IRES);
	assert_int_equal(vtd_soft_interrupt(f.v, RID_EVIL, addr, data, &irq), 0);
	assert_int_equal(irq.kind, IOVA_IRQ_COMPAT);
	vtd_soft_reg_write(f.v, VTD_REG_GCMD, gcmd);
	ir_teardown(&f);
}

static void test_iec_stale_until_invalidated(void **state)
{
	struct irfix f;
	struct iova_irq irq;
	struct vtd_soft_stats st0, st;
	uint16_t base;
	uint64_t a0, a1;
	uint32_t d0, d1;

	(void)state;
	ir_setup(&f, false, 0);
	assert_int_equal(vtd_drv_ir_alloc(f.drv, 2, &base), 0);
	assert_int_equal(vtd_drv_ir_set_remapped(f.drv, base, RID, 0x41, 3), 0);
	assert_int_equal(vtd_drv_ir_set_remapped(f.drv, base + 1, RID, 0x42, 3), 0);
	vtd_drv_ir_msi(base, 0, &a0, &d0);
	vtd_drv_ir_msi(base, 1, &a1, &d1);
	vtd_soft_get_stats(f.v, &st0);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, a0, d0, &irq), 0); /* miss, cached */
	assert_int_equal(vtd_soft_interrupt(f.v, RID, a1, d1, &irq), 0);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, a0, d0, &irq), 0); /* hit */
	vtd_soft_get_stats(f.v, &st);
	assert_int_equal(st.iec_misses - st0.iec_misses, 2);
	assert_int_equal(st.iec_hits - st0.iec_hits, 1);
	/* change both IRTEs in memory without invalidating: the cached copies stay in use */
	f.irt[base].lo = (f.irt[base].lo & ~(0xffULL << 16)) | (0x99ULL << 16);
	f.irt[base + 1].lo = (f.irt[base + 1].lo & ~(0xffULL << 16)) | (0x98ULL << 16);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, a0, d0, &irq), 0);
	assert_int_equal(irq.vector, 0x41);
	/* index-selective invalidation of base + 1 only (the driver's write path) */
	assert_int_equal(vtd_drv_ir_set_remapped(f.drv, base + 1, RID, 0x43, 3), 0);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, a1, d1, &irq), 0);
	assert_int_equal(irq.vector, 0x43);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, a0, d0, &irq), 0);
	assert_int_equal(irq.vector, 0x41); /* still stale */
	/* invalidating base (a 2-entry block through free) drops it: P = 0 now */
	vtd_drv_ir_free(f.drv, base, 2);
	assert_int_equal(vtd_soft_interrupt(f.v, RID, a0, d0, &irq), -EFAULT);
	expect_ir_fault(f.v, RID, VTD_FR_IR_ENTRY_P, base);
	ir_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_irte_remapped_fields),
		cmocka_unit_test(test_irte_posted_fields),
		cmocka_unit_test(test_msi_fields),
		cmocka_unit_test(test_iec_descriptor),
		cmocka_unit_test(test_driver_bringup),
		cmocka_unit_test(test_alloc_blocks),
		cmocka_unit_test(test_remapped_and_posted),
		cmocka_unit_test(test_faults_and_spoofing),
		cmocka_unit_test(test_cfis_and_ir_off),
		cmocka_unit_test(test_iec_stale_until_invalidated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
