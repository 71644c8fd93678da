/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vtd_pgtable.c
 * The one software walker of VT-d second-level page tables (VT-d spec 9.8,
 * "Second-Level Paging Entries"; 3.7 "Second-Level Translation"), shared by the
 * soft unit's driver (vtd_drv.c, Linux pfn_to_dma_pte() / dma_pte_clear_range())
 * and the guest side of the emulation modes (mode_emul.c, the guest driver's
 * table, and the VMM's shadow walk, QEMU vtd_page_walk()).
 *
 * Tables are 4 KiB pages of 512 64-bit entries whose address field holds a
 * process virtual address (VTD_SOFT_PHYS_BITS wide). An entry is present when R
 * or W is set; PS marks a leaf above level 1. Entries are loaded with acquire
 * and stored with release so that a lock-free reader (the device side, or the
 * VMM thread) sees a table's contents once it sees the entry pointing at it.
 *
 * The hardware model's own walk (vtd_soft.c page_walk()) is NOT this one: it
 * checks reserved bits and reports VT-d fault reasons, as the hardware does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iova_vtd.h"
#include "vtd_defs.h"

static inline unsigned int level_shift(unsigned int level)
{
	return VTD_PAGE_SHIFT + VTD_LEVEL_STRIDE * (level - 1);
}

static inline unsigned int pt_index(uint64_t iova, unsigned int level)
{
	return (unsigned int)(iova >> level_shift(level)) & (VTD_PT_ENTRIES - 1);
}

static inline uint64_t *pte_next(uint64_t v)
{
	return (uint64_t *)(uintptr_t)(v & VTD_PTE_ADDR_MASK(VTD_SOFT_PHYS_BITS));
}

uint64_t *vtd_pt_alloc(void)
{
	uint64_t *t = aligned_alloc(VTD_PAGE_SIZE, VTD_PAGE_SIZE);

	if (t)
		memset(t, 0, VTD_PAGE_SIZE);
	return t;
}

void vtd_pt_free(uint64_t *table, unsigned int level)
{
	if (!table)
		return;
	if (level > 1) {
		for (unsigned int i = 0; i < VTD_PT_ENTRIES; i++) {
			uint64_t e = table[i];

			if (vtd_pte_present(e) && !(e & VTD_PTE_PS))
				vtd_pt_free(pte_next(e), level - 1);
		}
	}
	free(table);
}

uint64_t *vtd_pt_leaf(uint64_t *root, unsigned int levels, uint64_t iova, unsigned int *level)
{
	uint64_t *table = root;

	for (unsigned int lvl = levels; lvl >= 1; lvl--) {
		uint64_t *e = &table[pt_index(iova, lvl)];
		uint64_t v = vtd_pte_load(e);

		if (!vtd_pte_present(v))
			return NULL;
		if (lvl == 1 || (v & VTD_PTE_PS)) {
			if (level)
				*level = lvl;
			return e;
		}
		table = pte_next(v);
	}
	return NULL;
}

uint64_t *vtd_pt_slot(uint64_t *root, unsigned int levels, uint64_t iova, unsigned int target_level,
		      bool create, int *err)
{
	uint64_t *table = root;

	for (unsigned int lvl = levels; lvl > target_level; lvl--) {
		uint64_t *e = &table[pt_index(iova, lvl)];
		uint64_t v = vtd_pte_load(e);

		if (!vtd_pte_present(v)) {
			uint64_t *nt;

			if (!create) {
				*err = -ENOENT;
				return NULL;
			}
			nt = vtd_pt_alloc();
			if (!nt) {
				*err = -ENOMEM;
				return NULL;
			}
			v = vtd_pte_table((uint64_t)(uintptr_t)nt);
			vtd_pte_store(e, v);
		} else if (v & VTD_PTE_PS) {
			*err = -EEXIST;
			return NULL;
		}
		table = pte_next(v);
	}
	return &table[pt_index(iova, target_level)];
}

static void walk_range(uint64_t *t, unsigned int level, uint64_t base, uint64_t s, uint64_t e,
		       vtd_pt_visit_fn fn, void *arg)
{
	uint64_t span = 1ull << (VTD_LEVEL_STRIDE * (level - 1)); /* pages per entry */

	for (unsigned int i = 0; i < VTD_PT_ENTRIES; i++) {
		uint64_t lo = base + i * span, hi = lo + span;
		uint64_t v;

		if (hi <= s || lo >= e)
			continue;
		v = vtd_pte_load(&t[i]);
		if (!vtd_pte_present(v))
			continue;
		if (level == 1 || (v & VTD_PTE_PS))
			fn(lo, v, level, arg);
		else
			walk_range(pte_next(v), level - 1, lo, s, e, fn, arg);
	}
}

void vtd_pt_walk(uint64_t *root, unsigned int levels, uint64_t s_pfn, uint64_t e_pfn,
		 vtd_pt_visit_fn fn, void *arg)
{
	if (root && s_pfn < e_pfn)
		walk_range(root, levels, 0, s_pfn, e_pfn, fn, arg);
}
