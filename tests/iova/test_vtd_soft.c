/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soft VT-d unit: faults and fault log, stale IOTLB entries until queued
 * invalidations execute, IOTLB/context-cache counters, 2 MiB superpages,
 * page-selective invalidation with AM, invalidation-queue errors, register
 * handshakes and the driver's timeout.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "iova.h"
#include "vtd_defs.h"
#include "vtd_priv.h"

#define RID 0x0100 /* bus 1, dev 0, fn 0 */
#define DID 3

struct fixture {
	struct vtd_soft *v;
	struct vtd_drv *drv;
	struct vtd_domain *d;
	uint8_t *buf; /* 4 MiB, 2 MiB aligned */
};

static struct fixture *setup_unit(uint64_t latency_ns)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct vtd_soft_params p;

	vtd_soft_default_params(&p);
	p.inv_latency_ns = latency_ns;
	f->v = vtd_soft_create(&p);
	assert_non_null(f->v);
	f->drv = vtd_drv_init(f->v);
	assert_non_null(f->drv);
	/* the driver's handshakes left the unit translating with QI on */
	uint64_t gsts = vtd_soft_reg_read(f->v, VTD_REG_GSTS);

	assert_true(gsts & VTD_GSTS_TES);
	assert_true(gsts & VTD_GSTS_QIES);
	assert_true(gsts & VTD_GSTS_RTPS);
	f->d = vtd_drv_domain_create(f->drv, DID);
	assert_non_null(f->d);
	assert_int_equal(vtd_drv_attach(f->d, RID), 0);
	f->buf = aligned_alloc(VTD_SUPERPAGE_SIZE, 2 * VTD_SUPERPAGE_SIZE);
	assert_non_null(f->buf);
	return f;
}

static void teardown_unit(struct fixture *f)
{
	vtd_drv_domain_destroy(f->d);
	vtd_drv_fini(f->drv);
	vtd_soft_destroy(f->v);
	free(f->buf);
	free(f);
}

static void expect_fault(struct vtd_soft *v, uint16_t rid, uint64_t iova, uint8_t reason,
			 bool write)
{
	struct vtd_fault f;

	assert_int_equal(vtd_soft_fault_pop(v, &f), 1);
	assert_int_equal(f.rid, rid);
	assert_true(f.iova == (iova & ~0xfffULL));
	assert_int_equal(f.reason, reason);
	assert_int_equal(f.write, write);
}

static void test_faults_driver_tables(void **state)
{
	(void)state;
	struct fixture *f = setup_unit(0);
	void *h;

	/* root entry of bus 2 not present */
	assert_int_equal(vtd_soft_translate(f->v, 0x0200, 0x1000, 8, IOVA_PROT_READ, &h), -EFAULT);
	expect_fault(f->v, 0x0200, 0x1000, VTD_FR_ROOT_ENTRY_P, false);
	/* bus 1 present, devfn 1 context not present */
	assert_int_equal(vtd_soft_translate(f->v, 0x0101, 0x2345, 8, IOVA_PROT_WRITE, &h), -EFAULT);
	expect_fault(f->v, 0x0101, 0x2000, VTD_FR_CONTEXT_ENTRY_P, true);
	/* PTE not present: 6h for a read, 5h for a write */
	assert_int_equal(vtd_soft_translate(f->v, RID, 0x7000, 8, IOVA_PROT_READ, &h), -EFAULT);
	expect_fault(f->v, RID, 0x7000, VTD_FR_READ, false);
	assert_int_equal(vtd_soft_translate(f->v, RID, 0x7000, 8, IOVA_PROT_WRITE, &h), -EFAULT);
	expect_fault(f->v, RID, 0x7000, VTD_FR_WRITE, true);
	/* read-only page: read ok, write faults with 5h */
	assert_int_equal(vtd_drv_map(f->d, 0x9000, f->buf, 4096, IOVA_PROT_READ), 0);
	assert_int_equal(vtd_soft_translate(f->v, RID, 0x9010, 16, IOVA_PROT_READ, &h), 0);
	assert_ptr_equal(h, f->buf + 0x10);
	assert_int_equal(vtd_soft_translate(f->v, RID, 0x9010, 16, IOVA_PROT_WRITE, &h), -EFAULT);
	expect_fault(f->v, RID, 0x9000, VTD_FR_WRITE, true);
	/* read-modify-write needs both rights: 5h on a read-only page (now an IOTLB hit) */
	assert_int_equal(vtd_soft_translate(f->v, RID, 0x9010, 16, IOVA_PROT_RW, &h), -EFAULT);
	expect_fault(f->v, RID, 0x9000, VTD_FR_WRITE, true);
	/* write-only page: read faults with 6h */
	assert_int_equal(vtd_drv_map(f->d, 0xa000, f->buf + 4096, 4096, IOVA_PROT_WRITE), 0);
	assert_int_equal(vtd_soft_translate(f->v, RID, 0xa000, 1, IOVA_PROT_READ, &h), -EFAULT);
	expect_fault(f->v, RID, 0xa000, VTD_FR_READ, false);
	/* beyond the 48-bit AGAW */
	assert_int_equal(vtd_soft_translate(f->v, RID, 1ULL << 48, 1, IOVA_PROT_READ, &h), -EFAULT);
	expect_fault(f->v, RID, 1ULL << 48, VTD_FR_ADDR_BEYOND_MGAW, false);
	/* a request crossing into an unmapped page faults on that page */
	assert_int_equal(vtd_soft_translate(f->v, RID, 0x9ff0, 0x20, IOVA_PROT_READ, &h), -EFAULT);
	expect_fault(f->v, RID, 0xa000, VTD_FR_READ, false);

	struct vtd_fault ff;

	assert_int_equal(vtd_soft_fault_pop(f->v, &ff), 0);
	struct vtd_soft_stats st;

	vtd_soft_get_stats(f->v, &st);
	assert_int_equal(st.faults, 9);
	teardown_unit(f);
}

static void test_fault_log_overflow(void **state)
{
	(void)state;
	struct fixture *f = setup_unit(0);
	void *h;

	/* 10 faults, 8 recording registers: the 9th sets PFO and is lost, so is the 10th */
	for (unsigned int i = 0; i < 10; i++)
		assert_int_equal(vtd_soft_translate(f->v, RID, 0x100000 + i * 4096ULL, 1,
						    IOVA_PROT_READ, &h),
				 -EFAULT);
	uint64_t fsts = vtd_soft_reg_read(f->v, VTD_REG_FSTS);

	assert_true(fsts & VTD_FSTS_PFO);
	assert_true(fsts & VTD_FSTS_PPF);
	assert_true(vtd_soft_reg_read(f->v, VTD_REG_FECTL) &
		    VTD_FECTL_IP); /* fault event pending */
	/* FRCD 0 via the register file: F 127, T 126 (read), FR 103:96, SID 79:64 */
	uint64_t hi = vtd_soft_reg_read(f->v, VTD_REG_FRCD_HI(VTD_SOFT_FRO, 0));
	uint64_t lo = vtd_soft_reg_read(f->v, VTD_REG_FRCD_LO(VTD_SOFT_FRO, 0));

	assert_true(hi == ((1ULL << 63) | (1ULL << 62) | (6ULL << 32) | RID));
	assert_true(lo == 0x100000);
	for (unsigned int i = 0; i < 8; i++)
		expect_fault(f->v, RID, 0x100000 + i * 4096ULL, VTD_FR_READ, false);
	fsts = vtd_soft_reg_read(f->v, VTD_REG_FSTS);
	assert_false(fsts & VTD_FSTS_PPF);
	assert_true(fsts & VTD_FSTS_PFO);
	/* PFO is RW1C; after clearing it faults are logged again */
	assert_true(vtd_soft_reg_read(f->v, VTD_REG_FECTL) & VTD_FECTL_IP); /* PFO still set */
	vtd_soft_reg_write(f->v, VTD_REG_FSTS, VTD_FSTS_PFO);
	assert_false(vtd_soft_reg_read(f->v, VTD_REG_FSTS) & VTD_FSTS_PFO);
	assert_false(vtd_soft_reg_read(f->v, VTD_REG_FECTL) & VTD_FECTL_IP);
	assert_int_equal(vtd_soft_translate(f->v, RID, 0x555000, 1, IOVA_PROT_WRITE, &h), -EFAULT);
	expect_fault(f->v, RID, 0x555000, VTD_FR_WRITE, true);
	teardown_unit(f);
}

/* Hand-built tables: exercise root/context reserved bits, TT/AW checks, PTE reserved bits. */
struct manual {
	struct vtd_soft *v;
	uint64_t *root, *ctx, *l4, *l3, *l2, *l1;
	uint8_t *page;
};

static uint64_t *page_alloc(void)
{
	uint64_t *p = aligned_alloc(4096, 4096);

	assert_non_null(p);
	memset(p, 0, 4096);
	return p;
}

static void ctx_flush_reg(struct vtd_soft *v)
{
	/* register-based global context invalidation (CCMD.ICC, CIRG = 1), then IOTLB global */
	vtd_soft_reg_write(v, VTD_REG_CCMD, VTD_CCMD_ICC | VTD_CCMD_MAKE_CIRG(1));
	uint64_t ccmd = vtd_soft_reg_read(v, VTD_REG_CCMD);

	assert_false(ccmd & VTD_CCMD_ICC);
	assert_int_equal((ccmd >> 59) & 3, 1); /* CAIG = global */
	vtd_soft_reg_write(v, VTD_REG_IOTLB(VTD_SOFT_IRO), VTD_IOTLB_IVT | VTD_IOTLB_MAKE_IIRG(1));
	assert_false(vtd_soft_reg_read(v, VTD_REG_IOTLB(VTD_SOFT_IRO)) & VTD_IOTLB_IVT);
}

static void test_faults_manual_tables(void **state)
{
	(void)state;
	struct manual m;
	void *h;
	uint64_t iova = 0x0000123456789000ULL & ((1ULL << 48) - 1);

	m.v = vtd_soft_create(NULL);
	assert_non_null(m.v);
	m.root = page_alloc();
	m.ctx = page_alloc();
	m.l4 = page_alloc();
	m.l3 = page_alloc();
	m.l2 = page_alloc();
	m.l1 = page_alloc();
	m.page = (uint8_t *)page_alloc();
	/* bus 0x12, devfn 0x34 */
	uint16_t rid = 0x1234;

	m.root[2 * 0x12] = (uint64_t)(uintptr_t)m.ctx | 1;
	m.ctx[2 * 0x34 + 1] = (2 << 0) | (7ULL << 8); /* AW=2, DID=7 */
	m.ctx[2 * 0x34] = (uint64_t)(uintptr_t)m.l4 | 1; /* P, TT=0 */
	m.l4[(iova >> 39) & 511] = (uint64_t)(uintptr_t)m.l3 | 3;
	m.l3[(iova >> 30) & 511] = (uint64_t)(uintptr_t)m.l2 | 3;
	m.l2[(iova >> 21) & 511] = (uint64_t)(uintptr_t)m.l1 | 3;
	m.l1[(iova >> 12) & 511] = (uint64_t)(uintptr_t)m.page | 3;

	/* translation disabled: untranslated pass-through */
	assert_int_equal(vtd_soft_translate(m.v, rid, 0x1234, 4, IOVA_PROT_READ, &h), 0);
	assert_ptr_equal(h, (void *)0x1234);
	/* TE before SRTP: root table address invalid (8h) */
	vtd_soft_reg_write(m.v, VTD_REG_GCMD, VTD_GCMD_TE);
	assert_true(vtd_soft_reg_read(m.v, VTD_REG_GSTS) & VTD_GSTS_TES);
	assert_int_equal(vtd_soft_translate(m.v, rid, iova, 4, IOVA_PROT_READ, &h), -EFAULT);
	expect_fault(m.v, rid, iova, VTD_FR_ROOT_TABLE_INV, false);
	/* SRTP handshake; GCMD writes carry TE (persistent) */
	vtd_soft_reg_write(m.v, VTD_REG_RTADDR, (uint64_t)(uintptr_t)m.root);
	vtd_soft_reg_write(m.v, VTD_REG_GCMD, VTD_GCMD_TE | VTD_GCMD_SRTP);
	assert_true(vtd_soft_reg_read(m.v, VTD_REG_GSTS) & VTD_GSTS_RTPS);
	assert_int_equal(vtd_soft_translate(m.v, rid, iova + 0x10, 4, IOVA_PROT_WRITE, &h), 0);
	assert_ptr_equal(h, m.page + 0x10);

	/* reserved bit in a present root entry (bit 5) -> Ah */
	m.root[2 * 0x12] |= 1ULL << 5;
	ctx_flush_reg(m.v);
	assert_int_equal(vtd_soft_translate(m.v, rid, iova, 4, IOVA_PROT_READ, &h), -EFAULT);
	expect_fault(m.v, rid, iova, VTD_FR_ROOT_ENTRY_RSVD, false);
	m.root[2 * 0x12] &= ~(1ULL << 5);
	/* context cached? no: faults are not cached; reserved hi bit 7 -> Bh */
	m.ctx[2 * 0x34 + 1] |= 1ULL << 7;
	ctx_flush_reg(m.v);
	assert_int_equal(vtd_soft_translate(m.v, rid, iova, 4, IOVA_PROT_READ, &h), -EFAULT);
	expect_fault(m.v, rid, iova, VTD_FR_CONTEXT_ENTRY_RSVD, false);
	m.ctx[2 * 0x34 + 1] &= ~(1ULL << 7);
	/* AW = 3 (5-level) not in SAGAW -> 3h */
	m.ctx[2 * 0x34 + 1] = 3 | (7ULL << 8);
	ctx_flush_reg(m.v);
	assert_int_equal(vtd_soft_translate(m.v, rid, iova, 4, IOVA_PROT_READ, &h), -EFAULT);
	expect_fault(m.v, rid, iova, VTD_FR_CONTEXT_ENTRY_INV, false);
	/* TT = 2 (pass-through) without ECAP.PT -> 3h */
	m.ctx[2 * 0x34 + 1] = 2 | (7ULL << 8);
	m.ctx[2 * 0x34] = (uint64_t)(uintptr_t)m.l4 | 1 | (2 << 2);
	ctx_flush_reg(m.v);
	assert_int_equal(vtd_soft_translate(m.v, rid, iova, 4, IOVA_PROT_READ, &h), -EFAULT);
	expect_fault(m.v, rid, iova, VTD_FR_CONTEXT_ENTRY_INV, false);
	/* FPD = 1: the fault is blocked but not recorded */
	m.ctx[2 * 0x34] = (uint64_t)(uintptr_t)m.l4 | 1 | 2;
	ctx_flush_reg(m.v);
	m.l1[(iova >> 12) & 511] = 0;
	assert_int_equal(vtd_soft_translate(m.v, rid, iova, 4, IOVA_PROT_READ, &h), -EFAULT);
	struct vtd_fault ff;

	assert_int_equal(vtd_soft_fault_pop(m.v, &ff), 0);
	m.ctx[2 * 0x34] = (uint64_t)(uintptr_t)m.l4 | 1;
	ctx_flush_reg(m.v);
	/* TM (bit 62) in a leaf without ECAP.DT -> Ch */
	m.l1[(iova >> 12) & 511] = (uint64_t)(uintptr_t)m.page | 3 | (1ULL << 62);
	assert_int_equal(vtd_soft_translate(m.v, rid, iova, 4, IOVA_PROT_READ, &h), -EFAULT);
	expect_fault(m.v, rid, iova, VTD_FR_PAGING_ENTRY_RSVD, false);
	/* PS in a level-4 entry is reserved -> Ch */
	m.l1[(iova >> 12) & 511] = (uint64_t)(uintptr_t)m.page | 3;
	m.l4[(iova >> 39) & 511] |= VTD_PTE_PS;
	assert_int_equal(vtd_soft_translate(m.v, rid, iova, 4, IOVA_PROT_READ, &h), -EFAULT);
	expect_fault(m.v, rid, iova, VTD_FR_PAGING_ENTRY_RSVD, false);
	m.l4[(iova >> 39) & 511] &= ~VTD_PTE_PS;
	/* a non-leaf entry without W blocks writes (rights are ANDed across levels) */
	m.l3[(iova >> 30) & 511] &= ~VTD_PTE_W;
	assert_int_equal(vtd_soft_translate(m.v, rid, iova, 4, IOVA_PROT_WRITE, &h), -EFAULT);
	expect_fault(m.v, rid, iova, VTD_FR_WRITE, true);
	assert_int_equal(vtd_soft_translate(m.v, rid, iova, 4, IOVA_PROT_READ, &h), 0);
	assert_ptr_equal(h, m.page);

	/* register-based page-selective invalidation: IVA (ADDR, AM) then IOTLB (IVT, IIRG=3, DID) */
	assert_int_equal(vtd_soft_iotlb_probe(m.v, 7, iova), 1);
	vtd_soft_reg_write(m.v, VTD_REG_IVA(VTD_SOFT_IRO), (iova + 4096) | 0);
	vtd_soft_reg_write(m.v, VTD_REG_IOTLB(VTD_SOFT_IRO),
			   VTD_IOTLB_IVT | VTD_IOTLB_MAKE_IIRG(3) | (7ULL << 32));
	assert_int_equal(vtd_soft_iotlb_probe(m.v, 7, iova), 1); /* neighbour page: kept */
	vtd_soft_reg_write(m.v, VTD_REG_IVA(VTD_SOFT_IRO), iova);
	vtd_soft_reg_write(m.v, VTD_REG_IOTLB(VTD_SOFT_IRO),
			   VTD_IOTLB_IVT | VTD_IOTLB_MAKE_IIRG(3) | (7ULL << 32));
	uint64_t ireg = vtd_soft_reg_read(m.v, VTD_REG_IOTLB(VTD_SOFT_IRO));

	assert_false(ireg & VTD_IOTLB_IVT);
	assert_int_equal((ireg >> 57) & 3, 3); /* IAIG = page */
	assert_int_equal(vtd_soft_iotlb_probe(m.v, 7, iova), 0);

	vtd_soft_destroy(m.v);
	free(m.root);
	free(m.ctx);
	free(m.l4);
	free(m.l3);
	free(m.l2);
	free(m.l1);
	free(m.page);
}

static void test_iotlb_counters_superpage(void **state)
{
	(void)state;
	struct fixture *f = setup_unit(0);
	struct vtd_soft_stats st0, st;
	void *h;
	int prot;

	vtd_soft_get_stats(f->v, &st0);
	/* 4 pages: 4 misses then 4 hits; context cached after the first */
	assert_int_equal(vtd_drv_map(f->d, 0x200000ULL - 0x4000, f->buf, 0x4000, IOVA_PROT_RW), 0);
	for (int round = 0; round < 2; round++)
		for (unsigned int i = 0; i < 4; i++) {
			assert_int_equal(vtd_soft_translate(f->v, RID, 0x1fc000ULL + i * 4096 + 8,
							    8, IOVA_PROT_READ, &h),
					 0);
			assert_ptr_equal(h, f->buf + i * 4096 + 8);
		}
	vtd_soft_get_stats(f->v, &st);
	assert_int_equal(st.translations - st0.translations, 8);
	assert_int_equal(st.iotlb_misses - st0.iotlb_misses, 4);
	assert_int_equal(st.iotlb_hits - st0.iotlb_hits, 4);
	assert_int_equal(st.page_walks - st0.page_walks, 4);
	assert_int_equal(st.ctx_misses - st0.ctx_misses, 1);
	assert_int_equal(st.ctx_hits - st0.ctx_hits, 7);

	/* 2 MiB superpage: iova and host 2 MiB aligned, 4 MiB -> two PS entries */
	uint64_t sp = 0x40000000ULL;

	assert_int_equal(vtd_drv_map(f->d, sp, f->buf, 2 * VTD_SUPERPAGE_SIZE, IOVA_PROT_RW), 0);
	assert_int_equal(vtd_drv_lookup(f->d, sp + 0x123456, &h, &prot), 0);
	assert_ptr_equal(h, f->buf + 0x123456);
	assert_int_equal(prot, IOVA_PROT_RW);
	vtd_soft_get_stats(f->v, &st0);
	assert_int_equal(vtd_soft_translate(f->v, RID, sp + 0x12345, 4, IOVA_PROT_WRITE, &h), 0);
	assert_ptr_equal(h, f->buf + 0x12345);
	/* a different 4 KiB page of the same 2 MiB page hits the same IOTLB entry */
	assert_int_equal(vtd_soft_translate(f->v, RID, sp + 0x1ff000, 4, IOVA_PROT_READ, &h), 0);
	assert_ptr_equal(h, f->buf + 0x1ff000);
	/* a request spanning both superpages is host-contiguous */
	assert_int_equal(vtd_soft_translate(f->v, RID, sp + 0x1ffff0, 0x20, IOVA_PROT_READ, &h), 0);
	assert_ptr_equal(h, f->buf + 0x1ffff0);
	vtd_soft_get_stats(f->v, &st);
	assert_int_equal(st.iotlb_misses - st0.iotlb_misses, 2); /* one per 2 MiB page */
	assert_int_equal(st.iotlb_hits - st0.iotlb_hits, 2);
	/* partial unmap of a superpage is refused, full unmap works */
	assert_int_equal(vtd_drv_unmap(f->d, sp, 4096), -EINVAL);
	assert_int_equal(vtd_drv_unmap(f->d, sp, VTD_SUPERPAGE_SIZE), 0);
	assert_int_equal(vtd_drv_lookup(f->d, sp + 5, &h, &prot), -ENOENT);
	/* mapping over an existing page: -EEXIST, and nothing changed */
	assert_int_equal(
		vtd_drv_map(f->d, sp + VTD_SUPERPAGE_SIZE - 4096, f->buf, 8192, IOVA_PROT_RW),
		-EEXIST);
	assert_int_equal(vtd_drv_lookup(f->d, sp + VTD_SUPERPAGE_SIZE - 4096, &h, &prot), -ENOENT);
	assert_int_equal(vtd_drv_unmap(f->d, 0x5000000, 4096), -ENOENT);
	assert_int_equal(vtd_drv_map(f->d, 0x5000001, f->buf, 4096, IOVA_PROT_RW), -EINVAL);
	assert_int_equal(vtd_drv_map(f->d, 0x5000000, f->buf + 1, 4096, IOVA_PROT_RW), -EINVAL);
	assert_int_equal(vtd_drv_map(f->d, 0x5000000, f->buf, 4096, 0), -EINVAL);
	teardown_unit(f);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) };

	nanosleep(&ts, NULL);
}

static void test_stale_until_invalidation_executes(void **state)
{
	(void)state;
	const uint64_t lat = 200ULL * 1000 * 1000; /* 200 ms: far above any call latency */
	struct fixture *f = setup_unit(lat);
	struct vtd_soft_stats st;
	void *h;
	uint64_t iova = 0x3000000;

	assert_int_equal(vtd_drv_map(f->d, iova, f->buf, 4096, IOVA_PROT_RW), 0);
	assert_int_equal(vtd_soft_translate(f->v, RID, iova, 64, IOVA_PROT_WRITE, &h), 0);
	assert_ptr_equal(h, f->buf);
	assert_int_equal(vtd_drv_unmap(f->d, iova, 4096), 0);
	/* PTE gone, IOTLB entry still there: the device still reaches the page */
	assert_int_equal(vtd_soft_translate(f->v, RID, iova, 64, IOVA_PROT_WRITE, &h), 0);
	assert_ptr_equal(h, f->buf);
	vtd_soft_get_stats(f->v, &st);
	assert_int_equal(st.stale_hits, 1);
	assert_int_equal(vtd_drv_inv_queue(f->d, iova, 1), 1);
	assert_int_equal(vtd_drv_flush(f->d, false), 0);
	uint64_t t0 = iova_now_ns();

	/* doorbell rung, latency not yet elapsed: still stale */
	assert_int_equal(vtd_soft_translate(f->v, RID, iova, 64, IOVA_PROT_READ, &h), 0);
	if (iova_now_ns() - t0 < lat) {
		vtd_soft_get_stats(f->v, &st);
		assert_int_equal(st.stale_hits, 2);
		assert_int_equal(st.inv_iotlb_page, 0);
	}
	sleep_ns(lat + 10 * 1000 * 1000);
	/* executes on the next translation: now a miss and a fault */
	assert_int_equal(vtd_soft_translate(f->v, RID, iova, 64, IOVA_PROT_READ, &h), -EFAULT);
	expect_fault(f->v, RID, iova, VTD_FR_READ, false);
	vtd_soft_get_stats(f->v, &st);
	assert_int_equal(st.inv_iotlb_page, 1);
	assert_int_equal(st.stale_hits, 2);

	/* a synchronous flush waits the modeled latency */
	assert_int_equal(vtd_drv_map(f->d, iova, f->buf, 4096, IOVA_PROT_RW), 0);
	assert_int_equal(vtd_soft_translate(f->v, RID, iova, 8, IOVA_PROT_READ, &h), 0);
	assert_int_equal(vtd_drv_unmap(f->d, iova, 4096), 0);
	assert_int_equal(vtd_drv_inv_queue(f->d, iova, 1), 1);
	t0 = iova_now_ns();
	assert_int_equal(vtd_drv_flush(f->d, true), 0);
	assert_true(iova_now_ns() - t0 >= lat);
	assert_int_equal(vtd_soft_translate(f->v, RID, iova, 8, IOVA_PROT_READ, &h), -EFAULT);
	expect_fault(f->v, RID, iova, VTD_FR_READ, false);

	/* a wait shorter than the latency times out */
	vtd_drv_set_timeout(f->drv, 5 * 1000 * 1000);
	assert_int_equal(vtd_drv_inv_queue(f->d, 0, 0), 1);
	assert_int_equal(vtd_drv_flush(f->d, true), -ETIMEDOUT);
	vtd_drv_set_timeout(f->drv, VTD_DRV_DEFAULT_TIMEOUT_NS);
	assert_int_equal(vtd_drv_flush(f->d, true), 0);
	teardown_unit(f);
}

static void test_psi_am_exact_range(void **state)
{
	(void)state;
	struct fixture *f = setup_unit(0);
	struct vtd_soft_stats st0, st;
	uint64_t base = 0x10000000; /* pfn 0x10000, 2^16-aligned */
	void *h;

	assert_int_equal(vtd_drv_map(f->d, base, f->buf, 16 * 4096, IOVA_PROT_RW), 0);
	for (unsigned int i = 0; i < 16; i++)
		assert_int_equal(
			vtd_soft_translate(f->v, RID, base + i * 4096ULL, 1, IOVA_PROT_READ, &h),
			0);
	for (unsigned int i = 0; i < 16; i++)
		assert_int_equal(vtd_soft_iotlb_probe(f->v, DID, base + i * 4096ULL), 1);
	/* pages 4..7: one descriptor with AM = 2 */
	vtd_soft_get_stats(f->v, &st0);
	assert_int_equal(vtd_drv_inv_queue(f->d, base + 4 * 4096, 4), 1);
	assert_int_equal(vtd_drv_flush(f->d, true), 0);
	vtd_soft_get_stats(f->v, &st);
	assert_int_equal(st.inv_iotlb_page - st0.inv_iotlb_page, 1);
	for (unsigned int i = 0; i < 16; i++)
		assert_int_equal(vtd_soft_iotlb_probe(f->v, DID, base + i * 4096ULL),
				 i < 4 || i > 7);
	/* pages 9..14 (unaligned): chunks 9 (AM0), 10-11 (AM1), 12-13 (AM1), 14 (AM0) */
	assert_int_equal(vtd_drv_inv_queue(f->d, base + 9 * 4096, 6), 4);
	assert_int_equal(vtd_drv_flush(f->d, true), 0);
	for (unsigned int i = 0; i < 16; i++)
		assert_int_equal(vtd_soft_iotlb_probe(f->v, DID, base + i * 4096ULL),
				 (i < 4) || i == 8 || i == 15);
	/* other domains are not touched by a page-selective invalidation of DID 3 */
	struct vtd_domain *d2 = vtd_drv_domain_create(f->drv, 9);

	assert_non_null(d2);
	assert_int_equal(vtd_drv_attach(d2, 0x0300), 0);
	assert_int_equal(vtd_drv_map(d2, base, f->buf, 4096, IOVA_PROT_RW), 0);
	assert_int_equal(vtd_soft_translate(f->v, 0x0300, base, 1, IOVA_PROT_READ, &h), 0);
	assert_int_equal(vtd_drv_inv_queue(f->d, base, 1), 1);
	assert_int_equal(vtd_drv_flush(f->d, true), 0);
	assert_int_equal(vtd_soft_iotlb_probe(f->v, 9, base), 1);
	assert_int_equal(vtd_soft_iotlb_probe(f->v, DID, base), 0);
	/* > 2^MAMV pages: one domain-selective descriptor */
	vtd_soft_get_stats(f->v, &st0);
	assert_int_equal(vtd_drv_inv_queue(f->d, base, 1025), 1);
	assert_int_equal(vtd_drv_flush(f->d, true), 0);
	vtd_soft_get_stats(f->v, &st);
	assert_int_equal(st.inv_iotlb_domain - st0.inv_iotlb_domain, 1);
	assert_int_equal(vtd_soft_iotlb_probe(f->v, DID, base + 15 * 4096), 0);
	assert_int_equal(vtd_soft_iotlb_probe(f->v, 9, base), 1);
	vtd_drv_domain_destroy(d2);
	teardown_unit(f);
}

static void test_qi_error_and_resume(void **state)
{
	(void)state;
	struct vtd_soft *v = vtd_soft_create(NULL); /* default latency: 700 ns */
	struct vtd_desc *ring = aligned_alloc(4096, 4096);
	uint32_t *status = calloc(4, sizeof(uint32_t));
	uint64_t t0;

	assert_non_null(v);
	memset(ring, 0, 4096);
	vtd_soft_reg_write(v, VTD_REG_IQT, 0);
	vtd_soft_reg_write(v, VTD_REG_IQA, (uint64_t)(uintptr_t)ring); /* QS = 0: 256 entries */
	vtd_soft_reg_write(v, VTD_REG_GCMD, VTD_GCMD_QIE);
	assert_true(vtd_soft_reg_read(v, VTD_REG_GSTS) & VTD_GSTS_QIES);
	ring[0] = vtd_desc_iotlb_global();
	ring[1] = (struct vtd_desc){ .lo = 0x2 | (3 << 4) | (1ULL << 8),
				     .hi = 0 }; /* reserved bit 8 */
	ring[2] = vtd_desc_wait(0xabc, (uint64_t)(uintptr_t)&status[0], true);
	vtd_soft_reg_write(v, VTD_REG_IQT, 3 << 4);
	t0 = iova_now_ns();
	while (!(vtd_soft_reg_read(v, VTD_REG_FSTS) & VTD_FSTS_IQE) &&
	       iova_now_ns() - t0 < 1000000000ULL)
		vtd_soft_poll(v);
	assert_true(vtd_soft_reg_read(v, VTD_REG_FSTS) & VTD_FSTS_IQE);
	assert_int_equal(vtd_soft_reg_read(v, VTD_REG_IQH), 1 << 4); /* points at the bad one */
	assert_int_equal(status[0], 0);
	/* software replaces it and clears IQE: the queue resumes */
	ring[1] = vtd_desc_iotlb_domain(4);
	vtd_soft_reg_write(v, VTD_REG_FSTS, VTD_FSTS_IQE);
	t0 = iova_now_ns();
	while (__atomic_load_n(&status[0], __ATOMIC_ACQUIRE) != 0xabc &&
	       iova_now_ns() - t0 < 1000000000ULL)
		vtd_soft_poll(v);
	assert_int_equal(status[0], 0xabc);
	assert_int_equal(vtd_soft_reg_read(v, VTD_REG_IQH), 3 << 4);
	assert_true(vtd_soft_reg_read(v, VTD_REG_ICS) & VTD_ICS_IWC); /* IF=1 */
	assert_true(vtd_soft_reg_read(v, VTD_REG_IECTL) & VTD_IECTL_IP);
	vtd_soft_reg_write(v, VTD_REG_ICS, VTD_ICS_IWC);
	assert_false(vtd_soft_reg_read(v, VTD_REG_ICS) & VTD_ICS_IWC);
	assert_false(vtd_soft_reg_read(v, VTD_REG_IECTL) & VTD_IECTL_IP);
	/* page-selective with AM > MAMV is invalid too; unknown type 7 as well */
	ring[3] = vtd_desc_iotlb_page(1, 0, 10, false);
	vtd_soft_reg_write(v, VTD_REG_IQT, 4 << 4);
	t0 = iova_now_ns();
	while (!(vtd_soft_reg_read(v, VTD_REG_FSTS) & VTD_FSTS_IQE) &&
	       iova_now_ns() - t0 < 1000000000ULL)
		vtd_soft_poll(v);
	assert_true(vtd_soft_reg_read(v, VTD_REG_FSTS) & VTD_FSTS_IQE);
	assert_int_equal(vtd_soft_reg_read(v, VTD_REG_IQH), 3 << 4);
	struct vtd_soft_stats st;

	vtd_soft_get_stats(v, &st);
	assert_int_equal(st.qi_descs, 3);
	assert_int_equal(st.inv_iotlb_global, 1);
	assert_int_equal(st.inv_iotlb_domain, 1);
	assert_int_equal(st.inv_wait, 1);
	/* QIE cannot be turned off while the queue holds work; once drained, IQH reads 0 */
	vtd_soft_reg_write(v, VTD_REG_GCMD, 0);
	assert_true(vtd_soft_reg_read(v, VTD_REG_GSTS) & VTD_GSTS_QIES);
	ring[3] = vtd_desc_iotlb_global();
	vtd_soft_reg_write(v, VTD_REG_FSTS, VTD_FSTS_IQE);
	vtd_soft_reg_write(v, VTD_REG_GCMD, 0);
	assert_false(vtd_soft_reg_read(v, VTD_REG_GSTS) & VTD_GSTS_QIES);
	assert_int_equal(vtd_soft_reg_read(v, VTD_REG_IQH), 0);
	vtd_soft_get_stats(v, &st);
	assert_int_equal(st.inv_iotlb_global, 2);
	vtd_soft_destroy(v);
	free(ring);
	free(status);
}

/* Device-side translations racing with driver-side map/unmap/invalidate. */
struct race {
	struct fixture *f;
	int stop;
	uint64_t ok, faults, bad;
};

static void *device_thread(void *arg)
{
	struct race *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		for (unsigned int i = 0; i < 64; i++) {
			void *h;
			int rc = vtd_soft_translate(r->f->v, RID, 0x7000000 + i * 4096ULL, 8,
						    IOVA_PROT_READ, &h);
			if (rc == 0) {
				__atomic_fetch_add(&r->ok, 1, __ATOMIC_RELAXED);
				if (h != r->f->buf + i * 4096)
					r->bad++;
			} else {
				__atomic_fetch_add(&r->faults, 1, __ATOMIC_RELAXED);
			}
		}
	}
	return NULL;
}

static void test_concurrent_driver_device(void **state)
{
	(void)state;
	struct race r = { .f = setup_unit(VTD_DEFAULT_INV_LATENCY_NS) };
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, device_thread, &r), 0);
	uint64_t t0 = iova_now_ns();

	/* at least 300 rounds, and until the device thread has run (bounded: 10 s) */
	for (unsigned int round = 0;
	     round < 300 || (__atomic_load_n(&r.ok, __ATOMIC_RELAXED) +
					     __atomic_load_n(&r.faults, __ATOMIC_RELAXED) <
				     1000 &&
			     iova_now_ns() - t0 < 10000000000ULL);
	     round++) {
		assert_int_equal(vtd_drv_map(r.f->d, 0x7000000, r.f->buf, 64 * 4096, IOVA_PROT_RW),
				 0);
		assert_int_equal(vtd_drv_unmap(r.f->d, 0x7000000, 64 * 4096), 0);
		assert_true(vtd_drv_inv_queue(r.f->d, 0x7000000, 64) > 0);
		assert_int_equal(vtd_drv_flush(r.f->d, true), 0);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(r.bad, 0);
	assert_true(r.ok + r.faults >= 1000);
	printf("concurrent: ok=%llu faults=%llu\n", (unsigned long long)r.ok,
	       (unsigned long long)r.faults);
	struct vtd_fault ff;

	while (vtd_soft_fault_pop(r.f->v, &ff))
		assert_int_equal(ff.reason, VTD_FR_READ);
	teardown_unit(r.f);
}

static void test_queue_full_and_sizes(void **state)
{
	(void)state;
	struct vtd_soft_params p;
	struct vtd_soft_stats st0, st;

	/* 1000 descriptors through a 256-entry queue without an explicit flush:
	 * inv_queue makes room by submitting and waiting */
	struct fixture *f = setup_unit(VTD_DEFAULT_INV_LATENCY_NS);

	vtd_soft_get_stats(f->v, &st0);
	for (unsigned int i = 0; i < 1000; i++)
		assert_int_equal(vtd_drv_inv_queue(f->d, (uint64_t)i << 12, 1), 1);
	assert_int_equal(vtd_drv_flush(f->d, true), 0);
	vtd_soft_get_stats(f->v, &st);
	assert_int_equal(st.inv_iotlb_page - st0.inv_iotlb_page, 1000);
	teardown_unit(f);

	/* a 1024-entry queue: IQA.QS = 2 */
	vtd_soft_default_params(&p);
	p.qi_entries = 1024;
	struct vtd_soft *v = vtd_soft_create(&p);

	assert_non_null(v);
	struct vtd_drv *drv = vtd_drv_init(v);

	assert_non_null(drv);
	errno = 0;
	assert_null(vtd_drv_init(v)); /* one driver per unit */
	assert_int_equal(errno, EBUSY);
	assert_int_equal(vtd_soft_reg_read(v, VTD_REG_IQA) & 7, 2);
	struct vtd_domain *d = vtd_drv_domain_create(drv, 77);

	assert_non_null(d);
	assert_null(vtd_drv_domain_create(drv, 77)); /* DID in use */
	assert_null(vtd_drv_domain_create(drv, 0)); /* DID 0 reserved */
	for (unsigned int i = 0; i < 3000; i++)
		assert_true(vtd_drv_inv_queue(d, (uint64_t)i << 12, 3) > 0);
	assert_int_equal(vtd_drv_flush(d, true), 0);
	assert_int_equal(vtd_soft_reg_read(v, VTD_REG_IQH), vtd_soft_reg_read(v, VTD_REG_IQT));
	vtd_drv_domain_destroy(d);
	vtd_drv_fini(drv);
	vtd_soft_destroy(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults_driver_tables),
		cmocka_unit_test(test_fault_log_overflow),
		cmocka_unit_test(test_faults_manual_tables),
		cmocka_unit_test(test_iotlb_counters_superpage),
		cmocka_unit_test(test_stale_until_invalidation_executes),
		cmocka_unit_test(test_psi_am_exact_range),
		cmocka_unit_test(test_qi_error_and_resume),
		cmocka_unit_test(test_concurrent_driver_device),
		cmocka_unit_test(test_queue_full_and_sizes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
