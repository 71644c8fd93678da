/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VT-d encodings against the specification. Every expected value below was
 * computed by hand from the spec layout (bit positions written next to each),
 * not from the encoder under test:
 *   root entry VT-d 9.1, context entry 9.3, second-level PTE 9.8,
 *   descriptors 6.5.2.2 (context), 6.5.2.3 (IOTLB), 6.5.2.5 (dev-TLB),
 *   6.5.2.7 (IEC), 6.5.2.8 (wait), registers 10.4, fault reasons 7.1.3.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "iova.h"
#include "vtd_defs.h"
#include "vtd_priv.h"

static void test_register_offsets(void **state)
{
	(void)state;
	/* VT-d 10.4 "Address mapping for remapping hardware registers" */
	assert_int_equal(VTD_REG_VER, 0x0);
	assert_int_equal(VTD_REG_CAP, 0x8);
	assert_int_equal(VTD_REG_ECAP, 0x10);
	assert_int_equal(VTD_REG_GCMD, 0x18);
	assert_int_equal(VTD_REG_GSTS, 0x1c);
	assert_int_equal(VTD_REG_RTADDR, 0x20);
	assert_int_equal(VTD_REG_CCMD, 0x28);
	assert_int_equal(VTD_REG_FSTS, 0x34);
	assert_int_equal(VTD_REG_FECTL, 0x38);
	assert_int_equal(VTD_REG_IQH, 0x80);
	assert_int_equal(VTD_REG_IQT, 0x88);
	assert_int_equal(VTD_REG_IQA, 0x90);
	assert_int_equal(VTD_REG_ICS, 0x9c);
	assert_int_equal(VTD_REG_IRTA, 0xb8);
	assert_int_equal(VTD_REG_IOTLB(0x50), 0x508);
	assert_int_equal(VTD_REG_FRCD_HI(0x40, 2), 0x428);
	/* GCMD/GSTS bits (10.4.4/10.4.5) */
	assert_true(VTD_GCMD_TE == 0x80000000ULL);
	assert_true(VTD_GCMD_SRTP == 0x40000000ULL);
	assert_true(VTD_GCMD_QIE == 0x04000000ULL);
	assert_true(VTD_GCMD_IRE == 0x02000000ULL);
	/* fault reasons (7.1.3) */
	assert_int_equal(VTD_FR_ROOT_ENTRY_P, 1);
	assert_int_equal(VTD_FR_CONTEXT_ENTRY_P, 2);
	assert_int_equal(VTD_FR_CONTEXT_ENTRY_INV, 3);
	assert_int_equal(VTD_FR_ADDR_BEYOND_MGAW, 4);
	assert_int_equal(VTD_FR_WRITE, 5);
	assert_int_equal(VTD_FR_READ, 6);
	assert_int_equal(VTD_FR_PAGING_ENTRY_INV, 7);
	assert_int_equal(VTD_FR_ROOT_TABLE_INV, 8);
	assert_int_equal(VTD_FR_CONTEXT_TABLE_INV, 9);
	assert_int_equal(VTD_FR_ROOT_ENTRY_RSVD, 0xa);
	assert_int_equal(VTD_FR_CONTEXT_ENTRY_RSVD, 0xb);
	assert_int_equal(VTD_FR_PAGING_ENTRY_RSVD, 0xc);
	assert_int_equal(VTD_FR_CONTEXT_ENTRY_TT, 0xd);
}

static void test_cap_ecap_of_unit(void **state)
{
	(void)state;
	struct vtd_soft *v = vtd_soft_create(NULL);

	assert_non_null(v);
	uint64_t cap = vtd_soft_reg_read(v, 0x8), ecap = vtd_soft_reg_read(v, 0x10);

	assert_int_equal(vtd_soft_reg_read(v, 0x0), 0x10); /* VER 1.0 */
	assert_int_equal(cap & 0x7, 6); /* ND 2:0 = 6 -> 2^16 domains */
	assert_int_equal((cap >> 8) & 0x1f, 0x6); /* SAGAW 12:8: 39- and 48-bit */
	assert_int_equal((cap >> 16) & 0x3f, 47); /* MGAW 21:16 */
	assert_int_equal(((cap >> 24) & 0x3ff) * 16, 0x400); /* FRO 33:24 */
	assert_int_equal((cap >> 34) & 0xf, 1); /* SLLPS 37:34: 2 MiB */
	assert_int_equal((cap >> 39) & 1, 1); /* PSI 39 */
	assert_int_equal((cap >> 40) & 0xff, 7); /* NFR 47:40: 8 records */
	assert_int_equal((cap >> 48) & 0x3f, 9); /* MAMV 53:48 */
	assert_int_equal((cap >> 7) & 1, 0); /* CM 7 */
	assert_int_equal((cap >> 59) & 1, 1); /* PI 59: posted IRTEs (#17) */
	assert_int_equal((ecap >> 3) & 1, 1); /* IR 3 (#17) */
	assert_int_equal((ecap >> 4) & 1, 1); /* EIM 4 (#17) */
	assert_int_equal((ecap >> 1) & 1, 1); /* QI 1 */
	assert_int_equal((ecap >> 2) & 1, 0); /* DT 2 */
	assert_int_equal(((ecap >> 8) & 0x3ff) * 16, 0x500); /* IRO 17:8 */
	/* and the decoder macros agree */
	assert_int_equal(VTD_CAP_MAMV(cap), 9);
	assert_int_equal(VTD_CAP_NFR(cap), 7);
	assert_int_equal(VTD_CAP_SLLPS(cap), 1);
	assert_int_equal(VTD_ECAP_IRO(ecap), 0x50);
	vtd_soft_destroy(v);
}

static void test_pte(void **state)
{
	(void)state;
	/* R bit 0, W bit 1, PS bit 7, SNP bit 11, address 12..47 */
	assert_true(vtd_pte_leaf(0x12345000ULL, IOVA_PROT_RW, 0, 0) == 0x12345003ULL);
	assert_true(vtd_pte_leaf(0x12345000ULL, IOVA_PROT_READ, 0, 0) == 0x12345001ULL);
	assert_true(vtd_pte_leaf(0x12345000ULL, IOVA_PROT_WRITE, 0, 0) == 0x12345002ULL);
	assert_true(vtd_pte_leaf(0x40200000ULL, IOVA_PROT_READ, 1, 1) == 0x40200881ULL);
	assert_true(vtd_pte_leaf(0x7fffdead0000ULL, IOVA_PROT_RW, 0, 0) == 0x7fffdead0003ULL);
	/* non-leaf: R|W, like Linux */
	assert_true(vtd_pte_table(0x7f0000001000ULL) == 0x7f0000001003ULL);
	/* reserved masks: bits 51:48 and TM 62 in a 4 KiB leaf; plus 20:12 in a 2 MiB leaf */
	assert_true(VTD_PTE_RSVD_4K(48) == 0x400f000000000000ULL);
	assert_true(VTD_PTE_RSVD_2M(48) == 0x400f0000001ff000ULL);
	assert_true(VTD_PTE_RSVD_TABLE(48, 4) == 0x400f000000000880ULL);
	assert_true(VTD_PTE_RSVD_TABLE(48, 2) == 0x400f000000000800ULL);
}

static void test_root_context(void **state)
{
	(void)state;
	/* root: P bit 0, CTP 63:12 */
	assert_true(vtd_root_entry_lo(0xabcde000ULL) == 0xabcde001ULL);
	/* context lo: P 0, FPD 1, TT 3:2, SLPTPTR 63:12 */
	assert_true(vtd_context_lo(0x7f0012345000ULL, 0, 1) == 0x7f0012345003ULL);
	assert_true(vtd_context_lo(0x7f0012345000ULL, 0, 0) == 0x7f0012345001ULL);
	assert_true(vtd_context_lo(0x1000ULL, 2, 0) == 0x1009ULL);
	assert_true(vtd_context_lo(0x1000ULL, 1, 1) == 0x1007ULL);
	/* context hi: AW 2:0, DID 23:8 */
	assert_true(vtd_context_hi(2, 0x1234) == 0x123402ULL);
	assert_true(vtd_context_hi(1, 0xffff) == 0xffff01ULL);
	assert_int_equal(VTD_CE_HI_DID(0xffff01ULL), 0xffff);
	assert_int_equal(VTD_CE_HI_AW(0x123402ULL), 2);
	assert_int_equal(VTD_CE_LO_TT(0x1009ULL), 2);
	/* reserved: lo 11:4, hi bit 7 and 63:24 */
	assert_true(VTD_CE_HI_RSVD == 0xffffffffff000080ULL);
	assert_true((VTD_CE_LO_RSVD(48) & 0xfff) == 0xff0);
}

static void check_rsvd_bits(uint64_t lo, uint64_t hi, const int *lo_bits, const int *hi_bits)
{
	struct vtd_desc_info in;
	struct vtd_desc d = { lo, hi };

	assert_int_equal(vtd_desc_decode(&d, &in), 0);
	for (const int *b = lo_bits; *b >= 0; b++) {
		d.lo = lo | (1ULL << *b);
		d.hi = hi;
		if (vtd_desc_decode(&d, &in) != -EINVAL)
			fail_msg("lo bit %d of %016llx should be reserved", *b,
				 (unsigned long long)lo);
	}
	for (const int *b = hi_bits; *b >= 0; b++) {
		d.lo = lo;
		d.hi = hi | (1ULL << *b);
		if (vtd_desc_decode(&d, &in) != -EINVAL)
			fail_msg("hi bit %d of %016llx should be reserved", *b,
				 (unsigned long long)hi);
	}
}

static void test_desc_iotlb(void **state)
{
	(void)state;
	struct vtd_desc d;
	struct vtd_desc_info in;

	/* type 3:0 = 2, G 5:4, DW 6, DR 7, DID 31:16; hi AM 5:0, IH 6, ADDR 63:12 */
	d = vtd_desc_iotlb_global();
	assert_true(d.lo == 0x12ULL && d.hi == 0);
	d = vtd_desc_iotlb_domain(0xabcd);
	assert_true(d.lo == 0xabcd0022ULL && d.hi == 0);
	d = vtd_desc_iotlb_page(7, 0x12345000ULL, 3, true);
	assert_true(d.lo == 0x70032ULL);
	assert_true(d.hi == 0x12345043ULL);
	d = vtd_desc_iotlb_page(0xffff, 0x7ffffffff000ULL, 9, false);
	assert_true(d.lo == 0xffff0032ULL && d.hi == 0x7ffffffff009ULL);

	/* decode, field by field, from hand-built words */
	d.lo = 0x2 | (3 << 4) | (1 << 6) | (1 << 7) | (0x1234ULL << 16);
	d.hi = 0xdeadb000ULL | (1 << 6) | 5;
	assert_int_equal(vtd_desc_decode(&d, &in), 0);
	assert_int_equal(in.type, 2);
	assert_int_equal(in.gran, 3);
	assert_int_equal(in.did, 0x1234);
	assert_true(in.addr == 0xdeadb000ULL);
	assert_int_equal(in.am, 5);
	assert_true(in.ih && in.dw && in.dr);
	d.lo = 0x2 | (2 << 4) | (9ULL << 16);
	d.hi = 0;
	assert_int_equal(vtd_desc_decode(&d, &in), 0);
	assert_int_equal(in.gran, 2);
	assert_int_equal(in.did, 9);
	assert_false(in.ih || in.dw || in.dr);
	/* G = 0 is reserved */
	d.lo = 0x2;
	assert_int_equal(vtd_desc_decode(&d, &in), -EINVAL);
	static const int lo_r[] = { 8, 9, 10, 11, 12, 13, 14, 15, 32, 40, 47, 48, 63, -1 };
	static const int hi_r[] = { 7, 8, 9, 10, 11, -1 };

	check_rsvd_bits(0x2 | (3 << 4) | (5ULL << 16), 0x5000, lo_r, hi_r);
}

static void test_desc_context(void **state)
{
	(void)state;
	struct vtd_desc d;
	struct vtd_desc_info in;

	/* type 1, G 5:4, DID 31:16, SID 47:32, FM 49:48 */
	d = vtd_desc_context_global();
	assert_true(d.lo == 0x11ULL && d.hi == 0);
	d = vtd_desc_context(3, 5, 0x0108, 1);
	assert_true(d.lo == 0x0001010800050031ULL);
	assert_int_equal(vtd_desc_decode(&d, &in), 0);
	assert_int_equal(in.type, 1);
	assert_int_equal(in.gran, 3);
	assert_int_equal(in.did, 5);
	assert_int_equal(VTD_DESC_INFO_SID(&in), 0x0108);
	assert_int_equal(VTD_DESC_INFO_FM(&in), 1);
	d.lo = 0x1;
	assert_int_equal(vtd_desc_decode(&d, &in), -EINVAL); /* G = 0 */
	static const int lo_r[] = { 6, 7, 8, 9, 10, 11, 12, 15, 50, 51, 63, -1 };
	static const int hi_r[] = { 0, 1, 12, 63, -1 };

	check_rsvd_bits(0x0001010800050031ULL, 0, lo_r, hi_r);
}

static void test_desc_wait(void **state)
{
	(void)state;
	struct vtd_desc d;
	struct vtd_desc_info in;

	/* type 5, IF 4, SW 5, FN 6, status data 63:32; hi status address 63:2 */
	d = vtd_desc_wait(2, 0x7fff1234ULL, false);
	assert_true(d.lo == 0x0000000200000065ULL);
	assert_true(d.hi == 0x7fff1234ULL);
	d = vtd_desc_wait(0xdeadbeef, 0x1000ULL, true);
	assert_true(d.lo == 0xdeadbeef00000075ULL);
	assert_int_equal(vtd_desc_decode(&d, &in), 0);
	assert_int_equal(in.type, 5);
	assert_true(in.sw && in.iflag && in.fn);
	assert_int_equal(in.status_data, 0xdeadbeef);
	assert_true(in.status_addr == 0x1000ULL);
	d.lo = 0x5;
	d.hi = 0;
	assert_int_equal(vtd_desc_decode(&d, &in), 0);
	assert_false(in.sw || in.iflag || in.fn);
	static const int lo_r[] = { 7, 8, 9, 10, 11, 12, 20, 31, -1 };
	static const int hi_r[] = { 0, 1, -1 };

	check_rsvd_bits(0x0000000200000065ULL, 0x1000, lo_r, hi_r);
}

static void test_desc_devtlb_iec(void **state)
{
	(void)state;
	struct vtd_desc d;
	struct vtd_desc_info in;

	/* device-TLB: type 3, MIP 20:16, SID 47:32; hi S 0, ADDR 63:12 */
	d.lo = 0x3 | (2ULL << 16) | (0x0108ULL << 32);
	d.hi = 0x5000 | 1;
	assert_int_equal(vtd_desc_decode(&d, &in), 0);
	assert_int_equal(in.type, 3);
	assert_int_equal(VTD_DESC_INFO_SID(&in), 0x0108);
	assert_true(in.addr == 0x5000 && in.ih);
	static const int dlo_r[] = { 4, 8, 11, 21, 31, 48, 51, -1 };
	static const int dhi_r[] = { 1, 11, -1 };

	check_rsvd_bits(d.lo, d.hi, dlo_r, dhi_r);

	/* IEC: type 4, G 4, IM 31:27, IIDX 47:32 */
	d.lo = 0x4 | (1 << 4) | (3ULL << 27) | (0x55ULL << 32);
	d.hi = 0;
	assert_int_equal(vtd_desc_decode(&d, &in), 0);
	assert_int_equal(in.type, 4);
	assert_int_equal(in.gran, 1);
	assert_int_equal(in.am, 3);
	assert_true(in.addr == 0x55);
	static const int ilo_r[] = { 5, 8, 12, 26, 48, 63, -1 };
	static const int ihi_r[] = { 0, 63, -1 };

	check_rsvd_bits(d.lo, d.hi, ilo_r, ihi_r);
}

static void test_desc_unknown_types(void **state)
{
	(void)state;
	struct vtd_desc d = { 0, 0 };
	struct vtd_desc_info in;

	for (unsigned int t = 0; t < 16; t++) {
		if (t >= 1 && t <= 5)
			continue;
		d.lo = t;
		assert_int_equal(vtd_desc_decode(&d, &in), -EINVAL);
	}
	/* type[6:4] in bits 11:9 (scalable-mode descriptors) */
	d.lo = 0x12 | (1ULL << 9);
	assert_int_equal(vtd_desc_decode(&d, &in), -EINVAL);
	assert_int_equal(vtd_desc_decode(NULL, &in), -EINVAL);
	assert_string_equal(vtd_fault_reason_str(6), "PTE Read access is not set");
	assert_string_equal(vtd_fault_reason_str(0x99), "Unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_offsets),
		cmocka_unit_test(test_cap_ecap_of_unit),
		cmocka_unit_test(test_pte),
		cmocka_unit_test(test_root_context),
		cmocka_unit_test(test_desc_iotlb),
		cmocka_unit_test(test_desc_context),
		cmocka_unit_test(test_desc_wait),
		cmocka_unit_test(test_desc_devtlb_iec),
		cmocka_unit_test(test_desc_unknown_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
