/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vtd_soft.c
 * A software Intel VT-d DMA-remapping unit (legacy mode), modeled on the VT-d
 * specification and QEMU hw/i386/intel_iommu.c:
 *  - register file (VT-d 10.4): VER, CAP, ECAP, GCMD/GSTS with the SRTP/TE/QIE
 *    handshakes, RTADDR, CCMD and IOTLB/IVA register-based invalidation, FSTS,
 *    FECTL, IQH/IQT/IQA, ICS, IECTL, fault recording registers;
 *  - translation (VT-d 3.4, 3.6): root table -> context entry (by bus/devfn)
 *    -> second-level 3- or 4-level page walk with 2 MiB superpages, R/W checks,
 *    reserved-bit checks, fault reasons of VT-d 7.1.3;
 *  - a context cache and a set-associative IOTLB tagged by (DID, page, level)
 *    with true LRU replacement (VT-d 6.2);
 *  - queued invalidation (VT-d 6.5.2): 128-bit descriptors fetched from IQH to
 *    IQT, context-cache, IOTLB (global, domain, page-selective with AM) and wait
 *    (status write, IF) descriptors; an invalid descriptor sets FSTS.IQE and
 *    stops the queue until software clears IQE (VT-d 6.5.2.10);
 *  - modeled latency: descriptors made visible by an IQT write execute only
 *    once params.inv_latency_ns have passed since that write; vtd_soft_poll()
 *    and every translation execute the due ones. Until then a stale IOTLB entry
 *    keeps translating (counted in stale_hits when its PTE is gone).
 *
 * Concurrency: one spinlock serializes register accesses (driver side, e.g. a
 * VMM thread) and translations (device side, the datapath lcore). Page tables
 * are read with atomic 64-bit loads, as hardware reads them, without the lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vtd_priv.h"

static inline uint64_t load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static bool any_pending_fault(const struct vtd_soft *v)
{
	for (unsigned int i = 0; i < VTD_SOFT_NFR; i++)
		if (v->frcd[i][1] & VTD_FRCD_HI_F)
			return true;
	return false;
}

/**
 * Pop the oldest primary fault record: read FRCD (VT-d 10.4.14) and clear its F
 * bit (RW1C), as a fault handler does (Linux dmar_fault()).
 * @return 1 with *f filled, 0 if no record has F set (or v/f is NULL).
 */
int vtd_soft_fault_pop(struct vtd_soft *v, struct vtd_fault *f)
{
	int ret = 0;

	if (!v || !f)
		return 0;
	pthread_spin_lock(&v->lock);
	/* Records are written in order at FRI, so the oldest pending one is the
	 * first with F=1 at or after FRI (circularly). */
	for (unsigned int i = 0; i < VTD_SOFT_NFR; i++) {
		unsigned int j = (v->fri + i) % VTD_SOFT_NFR;
		uint64_t hi = v->frcd[j][1];

		if (!(hi & VTD_FRCD_HI_F))
			continue;
		f->rid = (uint16_t)VTD_FRCD_HI_SID(hi);
		f->iova = v->frcd[j][0] & VTD_FRCD_LO_FI_MASK;
		f->reason = (uint8_t)VTD_FRCD_HI_FR(hi);
		f->index = 0;
		if (VTD_FR_IS_IR(f->reason)) {
			f->index = (uint16_t)(f->iova >> 48);
			f->iova = 0;
		}
		f->write = !(hi & VTD_FRCD_HI_T);
		v->frcd[j][1] &= ~VTD_FRCD_HI_F; /* software clears F (RW1C) */
		ret = 1;
		break;
	}
	/* VT-d 10.4.10: IP clears once software has serviced every pending fault. */
	if (!any_pending_fault(v) && !(v->fsts & VTD_FSTS_PFO))
		v->fectl &= ~VTD_FECTL_IP;
	pthread_spin_unlock(&v->lock);
	return ret;
}

/* ====================================================================== */
/* Caches                                                                 */
/* ====================================================================== */

static inline unsigned int level_shift(unsigned int level)
{
	return VTD_PAGE_SHIFT + VTD_LEVEL_STRIDE * (level - 1);
}

static inline unsigned int iotlb_set(const struct vtd_soft *v, uint16_t did, uint64_t tag,
				     unsigned int level)
{
	uint64_t h = tag ^ ((uint64_t)did * 0x9E3779B1u) ^ ((uint64_t)level << 7);

	return (unsigned int)(h % v->p.iotlb_sets);
}

static struct vtd_iotlb_entry *iotlb_find(struct vtd_soft *v, uint16_t did, uint64_t iova)
{
	for (unsigned int level = 1; level <= 2; level++) {
		uint64_t tag = iova >> level_shift(level);
		struct vtd_iotlb_entry *e =
			&v->iotlb[iotlb_set(v, did, tag, level) * v->p.iotlb_ways];

		for (unsigned int w = 0; w < v->p.iotlb_ways; w++)
			if (e[w].level == level && e[w].did == did && e[w].tag == tag)
				return &e[w];
	}
	return NULL;
}

static void iotlb_insert(struct vtd_soft *v, uint16_t did, uint64_t iova, unsigned int level,
			 uint64_t host, uint8_t prot)
{
	uint64_t tag = iova >> level_shift(level);
	struct vtd_iotlb_entry *e = &v->iotlb[iotlb_set(v, did, tag, level) * v->p.iotlb_ways];
	struct vtd_iotlb_entry *victim = &e[0];

	for (unsigned int w = 0; w < v->p.iotlb_ways; w++) {
		if (!e[w].level) {
			victim = &e[w];
			break;
		}
		if (e[w].lru < victim->lru)
			victim = &e[w];
	}
	victim->tag = tag;
	victim->host = host;
	victim->did = did;
	victim->level = (uint8_t)level;
	victim->prot = prot;
	victim->lru = ++v->lru_clock;
}

static unsigned int iotlb_inv_entries(struct vtd_iotlb_entry *e, unsigned int n, int mode,
				      uint16_t did, uint64_t lo, uint64_t hi)
{
	unsigned int dropped = 0;

	for (unsigned int i = 0; i < n; i++) {
		if (!e[i].level)
			continue;
		if (mode >= VTD_QI_IOTLB_G_DOMAIN && e[i].did != did)
			continue;
		if (mode == VTD_QI_IOTLB_G_PAGE) {
			uint64_t s = e[i].tag << level_shift(e[i].level);
			uint64_t t = s + (1ULL << level_shift(e[i].level)) - 1;

			if (t < lo || s > hi)
				continue;
		}
		e[i].level = 0;
		dropped++;
	}
	return dropped;
}

/** IOTLB invalidation with granularity g (VT-d 6.5.2.3); addr/am for g = 3. */
static void iotlb_invalidate(struct vtd_soft *v, unsigned int g, uint16_t did, uint64_t addr,
			     unsigned int am)
{
	unsigned int n = v->p.iotlb_sets * v->p.iotlb_ways;

	if (g == VTD_QI_IOTLB_G_GLOBAL) {
		v->st.inv_iotlb_global++;
		iotlb_inv_entries(v->iotlb, n, g, 0, 0, 0);
		return;
	}
	if (g == VTD_QI_IOTLB_G_DOMAIN) {
		v->st.inv_iotlb_domain++;
		iotlb_inv_entries(v->iotlb, n, g, did, 0, 0);
		return;
	}
	v->st.inv_iotlb_page++;
	/* Hardware ignores ADDR bits 12 + AM - 1 : 12 (VT-d 6.5.2.3). */
	uint64_t lo = addr & ~((1ULL << (VTD_PAGE_SHIFT + am)) - 1);
	uint64_t hi = lo + (1ULL << (VTD_PAGE_SHIFT + am)) - 1;

	if (am <= 4) {
		/* Small ranges: probe only the sets the pages and their 2 MiB frame hash to. */
		/* count pages rather than compare addresses: hi may be 2^64 - 1 */
		for (uint64_t i = 0; i < (1ULL << am); i++) {
			uint64_t a = lo + i * VTD_PAGE_SIZE;
			unsigned int s = iotlb_set(v, did, a >> VTD_PAGE_SHIFT, 1);

			iotlb_inv_entries(&v->iotlb[s * v->p.iotlb_ways], v->p.iotlb_ways, g, did,
					  lo, hi);
		}
		unsigned int s = iotlb_set(v, did, lo >> VTD_SUPERPAGE_SHIFT, 2);

		iotlb_inv_entries(&v->iotlb[s * v->p.iotlb_ways], v->p.iotlb_ways, g, did, lo, hi);
	} else {
		iotlb_inv_entries(v->iotlb, n, g, did, lo, hi);
	}
}

/** Context-cache invalidation (VT-d 6.5.2.2 / CCMD 10.4.7). */
static void ctx_invalidate(struct vtd_soft *v, unsigned int g, uint16_t did, uint16_t sid,
			   unsigned int fm)
{
	/* FM: 0 no bits, 1 mask SID bit 2, 2 bits 2:1, 3 bits 2:0 of the function number */
	static const uint16_t fm_mask[4] = { 0xffff, 0xfffb, 0xfff9, 0xfff8 };

	v->st.inv_ctx++;
	for (unsigned int i = 0; i < v->p.ctx_cache_entries; i++) {
		struct vtd_ctx_cache_entry *c = &v->ctx[i];

		if (!c->valid)
			continue;
		if (g == VTD_QI_CC_G_DOMAIN && VTD_CE_HI_DID(c->hi) != did)
			continue;
		if (g == VTD_QI_CC_G_DEVICE &&
		    (VTD_CE_HI_DID(c->hi) != did ||
		     (c->rid & fm_mask[fm & 3]) != (sid & fm_mask[fm & 3])))
			continue;
		c->valid = false;
	}
}

/* ====================================================================== */
/* Queued invalidation                                                    */
/* ====================================================================== */

static inline unsigned int iq_entries(const struct vtd_soft *v)
{
	return VTD_IQA_ENTRIES(VTD_IQA_QS(v->iqa));
}

/** Execute one descriptor. @return 0, or -EINVAL: invalid descriptor (IQE). */
static int qi_exec(struct vtd_soft *v, const struct vtd_desc *d)
{
	struct vtd_desc_info in;

	if (vtd_desc_decode(d, &in) < 0)
		return -EINVAL;
	switch (in.type) {
	case VTD_QI_TYPE_CC:
		ctx_invalidate(v, in.gran, in.did, VTD_DESC_INFO_SID(&in), VTD_DESC_INFO_FM(&in));
		break;
	case VTD_QI_TYPE_IOTLB:
		if (in.gran == VTD_QI_IOTLB_G_PAGE &&
		    (!(v->cap & VTD_CAP_PSI) || in.am > VTD_CAP_MAMV(v->cap)))
			return -EINVAL; /* as QEMU vtd_process_iotlb_desc(): am > MAMV */
		iotlb_invalidate(v, in.gran, in.did, in.addr, in.am);
		break;
	case VTD_QI_TYPE_WAIT:
		if (in.sw) {
			if (!in.status_addr)
				return -EINVAL; /* model restriction: never write address 0 */
			__atomic_store_n((uint32_t *)(uintptr_t)in.status_addr, in.status_data,
					 __ATOMIC_RELEASE);
		}
		if (in.iflag) {
			v->ics |= VTD_ICS_IWC;
			if (!(v->iectl & VTD_IECTL_IM))
				v->iectl |= VTD_IECTL_IP;
		}
		v->st.inv_wait++;
		v->last_wait_thread = (uint64_t)pthread_self();
		break;
	case VTD_QI_TYPE_IEC:
		vtd_soft_iec_invalidate(v, in.gran, (uint32_t)in.addr, in.am);
		v->st.inv_iec++;
		break;
	case VTD_QI_TYPE_DEV_IOTLB: /* ECAP.DT = 0 */
	default:
		return -EINVAL;
	}
	v->st.qi_descs++;
	return 0;
}

/** Fetch and execute descriptors from IQH up to tail. Lock held. @return executed. */
static int qi_run_to(struct vtd_soft *v, uint32_t tail)
{
	const struct vtd_desc *ring =
		(const struct vtd_desc *)(uintptr_t)(v->iqa & VTD_IQA_ADDR_MASK);
	unsigned int n = iq_entries(v);
	uint32_t head = (uint32_t)(v->iqh >> VTD_IQ_IDX_SHIFT) % n;
	int done = 0;

	tail %= n;
	while (head != tail) {
		struct vtd_desc d = ring[head];

		if (qi_exec(v, &d) < 0) {
			/* IQH keeps pointing at the offending descriptor (VT-d 6.5.2.10). */
			v->fsts |= VTD_FSTS_IQE;
			break;
		}
		head = (head + 1) % n;
		done++;
	}
	v->iqh = (uint64_t)head << VTD_IQ_IDX_SHIFT;
	return done;
}

/** Execute every IQT write whose modeled latency has passed. Lock held. */
static int qi_process_due(struct vtd_soft *v, bool force)
{
	int done = 0;
	uint64_t now;

	if (!v->ev_count || !(v->gsts & VTD_GSTS_QIES) || (v->fsts & VTD_FSTS_IQE))
		return 0;
	now = force ? UINT64_MAX : iova_now_ns();
	while (v->ev_count) {
		struct vtd_iq_event *e = &v->ev[v->ev_head];

		if (e->due_ns > now)
			break;
		done += qi_run_to(v, e->tail);
		if (v->fsts & VTD_FSTS_IQE)
			break; /* keep the event: resume after software clears IQE */
		v->ev_head = (v->ev_head + 1) % v->ev_cap;
		__atomic_store_n(&v->ev_count, v->ev_count - 1, __ATOMIC_RELAXED);
	}
	return done;
}

static void qi_tail_write(struct vtd_soft *v, uint64_t val)
{
	uint32_t tail = (uint32_t)((val & VTD_IQ_IDX_MASK) >> VTD_IQ_IDX_SHIFT);

	if (tail >= iq_entries(v))
		tail %= iq_entries(v);
	v->iqt = (uint64_t)tail << VTD_IQ_IDX_SHIFT;
	if (!(v->gsts & VTD_GSTS_QIES))
		return;
	if (v->ev_count == v->ev_cap) {
		/* More doorbells outstanding than the model tracks: merge into the newest. */
		unsigned int last = (v->ev_head + v->ev_count - 1) % v->ev_cap;

		v->ev[last].tail = tail;
	} else {
		unsigned int slot = (v->ev_head + v->ev_count) % v->ev_cap;

		v->ev[slot].tail = tail;
		v->ev[slot].due_ns = v->p.inv_latency_ns ? iova_now_ns() + v->p.inv_latency_ns : 0;
		__atomic_store_n(&v->ev_count, v->ev_count + 1, __ATOMIC_RELAXED);
	}
	/* Polled (hardware thread): the doorbell is all the CPU does. */
	if (!v->p.inv_latency_ns && !v->polled)
		qi_process_due(v, true);
}

/**
 * Execute the queued invalidation descriptors whose modeled latency
 * (params.inv_latency_ns since their IQT write) has passed (VT-d 6.5.2).
 * Stops at an invalid descriptor with FSTS.IQE set.
 * @return number of descriptors executed (>= 0), -EINVAL if v is NULL.
 */
int vtd_soft_poll(struct vtd_soft *v)
{
	int n;

	if (!v)
		return -EINVAL;
	/* Racy fast path: nothing queued. ev_count is only a hint here. */
	if (!__atomic_load_n(&v->ev_count, __ATOMIC_RELAXED))
		return 0;
	pthread_spin_lock(&v->lock);
	n = qi_process_due(v, false);
	pthread_spin_unlock(&v->lock);
	return n;
}

/**
 * Polled mode: queued invalidations run only on the hardware thread (vtd_soft_hw_poll()),
 * the way a real unit executes its queue concurrently with the CPU that wrote IQT.
 */
void vtd_soft_set_polled(struct vtd_soft *v, bool on)
{
	if (!v)
		return;
	pthread_spin_lock(&v->lock);
	v->polled = on;
	if (!on)
		v->hw_thread = 0;
	pthread_spin_unlock(&v->lock);
}

/** The hardware thread's round: remember the caller as the hardware thread, then poll. */
int vtd_soft_hw_poll(struct vtd_soft *v)
{
	if (!v)
		return -EINVAL;
	if (__atomic_load_n(&v->hw_thread, __ATOMIC_RELAXED) != (uint64_t)pthread_self())
		__atomic_store_n(&v->hw_thread, (uint64_t)pthread_self(), __ATOMIC_RELAXED);
	return vtd_soft_poll(v);
}

/**
 * A driver spinning on its wait descriptor: make progress itself unless another thread
 * is the unit's hardware thread (then only that thread executes the queue).
 */
int vtd_soft_wait_progress(struct vtd_soft *v)
{
	if (!v)
		return -EINVAL;
	if (__atomic_load_n(&v->polled, __ATOMIC_RELAXED) &&
	    __atomic_load_n(&v->hw_thread, __ATOMIC_RELAXED) != (uint64_t)pthread_self())
		return 0;
	return vtd_soft_poll(v);
}

uint64_t vtd_soft_last_wait_thread(struct vtd_soft *v)
{
	uint64_t t;

	if (!v)
		return 0;
	pthread_spin_lock(&v->lock);
	t = v->last_wait_thread;
	pthread_spin_unlock(&v->lock);
	return t;
}

/* ====================================================================== */
/* Register-based invalidation (CCMD 10.4.7, IOTLB 10.4.8)                 */
/* ====================================================================== */

static void ccmd_write(struct vtd_soft *v, uint64_t val)
{
	v->ccmd = val;
	if (!(val & VTD_CCMD_ICC) || (v->gsts & VTD_GSTS_QIES))
		return; /* register-based invalidation is not available while QIE=1 */
	unsigned int g = (unsigned int)VTD_CCMD_CIRG(val);

	if (g)
		ctx_invalidate(v, g, (uint16_t)VTD_CCMD_DID(val), (uint16_t)VTD_CCMD_SID(val),
			       (unsigned int)VTD_CCMD_FM(val));
	v->ccmd = (val & ~VTD_CCMD_ICC & ~VTD_GENMASK(60, 59)) | VTD_CCMD_MAKE_CAIG(g);
}

static void iotlb_reg_write(struct vtd_soft *v, uint64_t val)
{
	v->iotlb_reg = val;
	if (!(val & VTD_IOTLB_IVT) || (v->gsts & VTD_GSTS_QIES))
		return;
	unsigned int g = (unsigned int)VTD_IOTLB_IIRG(val);

	if (g == VTD_QI_IOTLB_G_PAGE && VTD_IVA_AM(v->iva) > VTD_CAP_MAMV(v->cap))
		g = VTD_QI_IOTLB_G_DOMAIN; /* hardware may invalidate more (VT-d 10.4.8.1 IAIG) */
	if (g)
		iotlb_invalidate(v, g, (uint16_t)VTD_IOTLB_DID(val), VTD_IVA_ADDR(v->iva),
				 (unsigned int)VTD_IVA_AM(v->iva));
	v->iotlb_reg = (val & ~VTD_IOTLB_IVT & ~VTD_GENMASK(58, 57)) | VTD_IOTLB_MAKE_IAIG(g);
}

/* ====================================================================== */
/* Register file                                                          */
/* ====================================================================== */

static void gcmd_write(struct vtd_soft *v, uint32_t val)
{
	/* VT-d 10.4.4: each write carries the persistent enables plus at most one
	 * one-shot command; hardware reports completion in GSTS. */
	if (val & VTD_GCMD_SRTP) {
		v->root_active = v->rtaddr & VTD_RTADDR_RTA_MASK;
		v->gsts |= VTD_GSTS_RTPS;
	}
	if (val & VTD_GCMD_SIRTP) {
		/* latch IRTA (VT-d 10.4.4 SIRTP); software then invalidates the IEC globally */
		v->irta_active = v->irta;
		v->gsts |= VTD_GSTS_IRTPS;
	}
	if (val & VTD_GCMD_QIE) {
		/* Model restriction: IQA must hold a queue (the unit reads address 0 never)
		 * and 128-bit descriptors (IQA.DW = 0, no scalable mode). */
		if (!(v->gsts & VTD_GSTS_QIES) && (v->iqa & VTD_IQA_ADDR_MASK) &&
		    !(v->iqa & VTD_IQA_DW)) {
			v->gsts |= VTD_GSTS_QIES;
			/* IQT written before enabling (a spec violation Linux avoids by
			 * writing IQT = 0 first): process right away, as QEMU does. */
			if (v->iqt != v->iqh)
				qi_tail_write(v, v->iqt);
		}
	} else if (v->gsts & VTD_GSTS_QIES) {
		/* Disabling: allowed once the queue is drained (IQH == IQT); IQH then
		 * reads 0 (QEMU vtd_handle_gcmd_qie()). */
		qi_process_due(v, true);
		if (v->iqh == v->iqt) {
			v->gsts &= ~VTD_GSTS_QIES;
			v->iqh = 0;
			__atomic_store_n(&v->ev_count, 0, __ATOMIC_RELAXED);
		}
	}
	if (val & VTD_GCMD_TE)
		v->gsts |= VTD_GSTS_TES;
	else
		v->gsts &= ~VTD_GSTS_TES;
	if (val & VTD_GCMD_IRE)
		v->gsts |= VTD_GSTS_IRES;
	else
		v->gsts &= ~VTD_GSTS_IRES;
	if (val & VTD_GCMD_CFI)
		v->gsts |= VTD_GSTS_CFIS;
	else
		v->gsts &= ~VTD_GSTS_CFIS;
}

/**
 * Read a remapping register (VT-d 10.4). 32-bit registers are zero-extended.
 * GCMD is write-only and reads 0; FSTS.PPF and FSTS.FRI are computed from the
 * fault recording registers; unimplemented offsets read 0.
 * @param off byte offset, VTD_REG_*.
 */
uint64_t vtd_soft_reg_read(struct vtd_soft *v, unsigned int off)
{
	uint64_t r = 0;

	if (!v)
		return 0;
	pthread_spin_lock(&v->lock);
	switch (off) {
	case VTD_REG_VER:
		r = v->ver;
		break;
	case VTD_REG_CAP:
		r = v->cap;
		break;
	case VTD_REG_ECAP:
		r = v->ecap;
		break;
	case VTD_REG_GCMD:
		r = 0;
		break; /* write-only */
	case VTD_REG_GSTS:
		r = v->gsts;
		break;
	case VTD_REG_RTADDR:
		r = v->rtaddr;
		break;
	case VTD_REG_CCMD:
		r = v->ccmd;
		break;
	case VTD_REG_FSTS:
		r = (v->fsts & ~(VTD_FSTS_PPF | VTD_GENMASK(15, 8))) |
		    (any_pending_fault(v) ? VTD_FSTS_PPF : 0) | VTD_FSTS_MAKE_FRI(v->fri);
		break;
	case VTD_REG_FECTL:
		r = v->fectl;
		break;
	case VTD_REG_FEDATA:
		r = v->fedata;
		break;
	case VTD_REG_FEADDR:
		r = v->feaddr;
		break;
	case VTD_REG_FEUADDR:
		r = v->feuaddr;
		break;
	case VTD_REG_IQH:
		r = v->iqh;
		break;
	case VTD_REG_IQT:
		r = v->iqt;
		break;
	case VTD_REG_IQA:
		r = v->iqa;
		break;
	case VTD_REG_ICS:
		r = v->ics;
		break;
	case VTD_REG_IECTL:
		r = v->iectl;
		break;
	case VTD_REG_IEDATA:
		r = v->iedata;
		break;
	case VTD_REG_IEADDR:
		r = v->ieaddr;
		break;
	case VTD_REG_IEUADDR:
		r = v->ieuaddr;
		break;
	case VTD_REG_IRTA:
		r = v->irta;
		break;
	case VTD_REG_IVA(VTD_SOFT_IRO):
		r = v->iva;
		break;
	case VTD_REG_IOTLB(VTD_SOFT_IRO):
		r = v->iotlb_reg;
		break;
	default:
		if (off >= VTD_REG_FRCD_LO(VTD_SOFT_FRO, 0) &&
		    off < VTD_REG_FRCD_LO(VTD_SOFT_FRO, VTD_SOFT_NFR) && !(off & 7)) {
			unsigned int i = (off - VTD_REG_FRCD_LO(VTD_SOFT_FRO, 0)) / 16;

			r = v->frcd[i][(off & 8) ? 1 : 0];
		}
		break;
	}
	pthread_spin_unlock(&v->lock);
	return r;
}

/**
 * Write a remapping register (VT-d 10.4) with its side effects: GCMD commands
 * (SRTP latches RTADDR, QIE resets IQH, TE), CCMD/IOTLB register-based
 * invalidation when QI is off, RW1C bits of FSTS/ICS/FRCD, IQT doorbell.
 * Read-only and unimplemented offsets ignore writes.
 * @param off byte offset, VTD_REG_*.
 */
void vtd_soft_reg_write(struct vtd_soft *v, unsigned int off, uint64_t val)
{
	if (!v)
		return;
	pthread_spin_lock(&v->lock);
	switch (off) {
	case VTD_REG_GCMD:
		gcmd_write(v, (uint32_t)val);
		break;
	case VTD_REG_RTADDR:
		v->rtaddr = val & (VTD_RTADDR_RTA_MASK | VTD_GENMASK(11, 10));
		break;
	case VTD_REG_CCMD:
		ccmd_write(v, val);
		break;
	case VTD_REG_FSTS:
		v->fsts &= ~((uint32_t)val & VTD_FSTS_RW1C);
		if (!any_pending_fault(v) && !(v->fsts & VTD_FSTS_PFO))
			v->fectl &= ~VTD_FECTL_IP;
		if (!v->polled)
			qi_process_due(v, false); /* IQE cleared: the queue resumes */
		break;
	case VTD_REG_FECTL:
		v->fectl = (v->fectl & VTD_FECTL_IP) | ((uint32_t)val & VTD_FECTL_IM);
		break;
	case VTD_REG_FEDATA:
		v->fedata = (uint32_t)val;
		break;
	case VTD_REG_FEADDR:
		v->feaddr = (uint32_t)val & ~3u;
		break;
	case VTD_REG_FEUADDR:
		v->feuaddr = (uint32_t)val;
		break;
	case VTD_REG_IQT:
		qi_tail_write(v, val);
		break;
	case VTD_REG_IQA:
		v->iqa = val & (VTD_IQA_ADDR_MASK | VTD_IQA_DW | VTD_GENMASK(2, 0));
		break;
	case VTD_REG_ICS:
		v->ics &= ~((uint32_t)val & VTD_ICS_IWC);
		if (!(v->ics & VTD_ICS_IWC)) /* VT-d 10.4.26: IP follows IWC */
			v->iectl &= ~VTD_IECTL_IP;
		break;
	case VTD_REG_IECTL:
		v->iectl = (v->iectl & VTD_IECTL_IP) | ((uint32_t)val & VTD_IECTL_IM);
		break;
	case VTD_REG_IEDATA:
		v->iedata = (uint32_t)val;
		break;
	case VTD_REG_IEADDR:
		v->ieaddr = (uint32_t)val;
		break;
	case VTD_REG_IEUADDR:
		v->ieuaddr = (uint32_t)val;
		break;
	case VTD_REG_IRTA:
		/* EIME needs ECAP.EIM; bits 10:4 are reserved (VT-d 10.4.29) */
		v->irta =
			val & ~VTD_IRTA_RSVD & ((v->ecap & VTD_ECAP_EIM) ? ~0ULL : ~VTD_IRTA_EIME);
		break;
	case VTD_REG_IVA(VTD_SOFT_IRO):
		v->iva = val;
		break;
	case VTD_REG_IOTLB(VTD_SOFT_IRO):
		iotlb_reg_write(v, val);
		break;
	default:
		if (off >= VTD_REG_FRCD_LO(VTD_SOFT_FRO, 0) &&
		    off < VTD_REG_FRCD_LO(VTD_SOFT_FRO, VTD_SOFT_NFR) && (off & 15) == 8) {
			unsigned int i = (off - VTD_REG_FRCD_LO(VTD_SOFT_FRO, 0)) / 16;

			if (val & VTD_FRCD_HI_F) /* F is RW1C */
				v->frcd[i][1] &= ~VTD_FRCD_HI_F;
			if (!any_pending_fault(v) && !(v->fsts & VTD_FSTS_PFO))
				v->fectl &= ~VTD_FECTL_IP;
		}
		/* read-only and unimplemented registers ignore writes */
		break;
	}
	pthread_spin_unlock(&v->lock);
}

/* ====================================================================== */
/* Translation (VT-d 3.4.3 legacy mode address translation)                */
/* ====================================================================== */

/** Look up / fetch the context entry for rid. Lock held. @return 0 or a fault reason. */
static int context_fetch(struct vtd_soft *v, uint16_t rid, uint64_t *lo, uint64_t *hi)
{
	struct vtd_ctx_cache_entry *victim = NULL;

	for (unsigned int i = 0; i < v->p.ctx_cache_entries; i++) {
		struct vtd_ctx_cache_entry *c = &v->ctx[i];

		if (c->valid && c->rid == rid) {
			c->lru = ++v->lru_clock;
			*lo = c->lo;
			*hi = c->hi;
			v->st.ctx_hits++;
			return 0;
		}
	}
	v->st.ctx_misses++;
	if (!v->root_active)
		return VTD_FR_ROOT_TABLE_INV;
	const uint64_t *root = (const uint64_t *)(uintptr_t)v->root_active;
	uint64_t rlo = load64(&root[2 * (rid >> 8)]), rhi = load64(&root[2 * (rid >> 8) + 1]);

	if (!(rlo & VTD_RE_P))
		return VTD_FR_ROOT_ENTRY_P;
	if ((rlo & VTD_RE_LO_RSVD(VTD_SOFT_PHYS_BITS)) || rhi)
		return VTD_FR_ROOT_ENTRY_RSVD;
	if (!(rlo & VTD_RE_CTP_MASK))
		return VTD_FR_CONTEXT_TABLE_INV;
	const uint64_t *ctxt = (const uint64_t *)(uintptr_t)(rlo & VTD_RE_CTP_MASK);
	uint64_t clo = load64(&ctxt[2 * (rid & 0xff)]), chi = load64(&ctxt[2 * (rid & 0xff) + 1]);

	if (!(clo & VTD_CE_LO_P))
		return VTD_FR_CONTEXT_ENTRY_P;
	if ((clo & VTD_CE_LO_RSVD(VTD_SOFT_PHYS_BITS)) || (chi & VTD_CE_HI_RSVD))
		return VTD_FR_CONTEXT_ENTRY_RSVD;
	unsigned int tt = (unsigned int)VTD_CE_LO_TT(clo), aw = (unsigned int)VTD_CE_HI_AW(chi);

	/* QEMU vtd_ce_type_check() / vtd_is_level_supported(): invalid programming */
	if (tt != VTD_TT_MULTI_LEVEL || aw > 4 || !(VTD_CAP_SAGAW(v->cap) & (1u << aw)))
		return VTD_FR_CONTEXT_ENTRY_INV;
	for (unsigned int i = 0; i < v->p.ctx_cache_entries; i++) {
		struct vtd_ctx_cache_entry *c = &v->ctx[i];

		if (!c->valid) {
			victim = c;
			break;
		}
		if (!victim || c->lru < victim->lru)
			victim = c;
	}
	victim->valid = true;
	victim->rid = rid;
	victim->lo = clo;
	victim->hi = chi;
	victim->lru = ++v->lru_clock;
	*lo = clo;
	*hi = chi;
	return 0;
}

/**
 * Walk the second-level table (no counters, no caching).
 * @return 0 with *host (host address of iova), *level (1 or 2), *prot; or a fault reason.
 */
static int page_walk(struct vtd_soft *v, uint64_t slptptr, unsigned int levels, uint64_t iova,
		     int access, uint64_t *host, unsigned int *leaf_level, uint8_t *prot)
{
	uint64_t table = slptptr;
	uint64_t eff = VTD_PTE_R | VTD_PTE_W;
	uint64_t need = ((access & IOVA_PROT_READ) ? VTD_PTE_R : 0) |
			((access & IOVA_PROT_WRITE) ? VTD_PTE_W : 0);
	uint8_t fr_access = (access & IOVA_PROT_WRITE) ? VTD_FR_WRITE : VTD_FR_READ;
	const unsigned int haw = VTD_SOFT_PHYS_BITS;

	for (unsigned int lvl = levels; lvl >= 1; lvl--) {
		if (!table)
			return VTD_FR_PAGING_ENTRY_INV;
		unsigned int idx =
			(unsigned int)((iova >> level_shift(lvl)) & (VTD_PT_ENTRIES - 1));
		uint64_t pte = load64(&((const uint64_t *)(uintptr_t)table)[idx]);

		if (!(pte & (VTD_PTE_R | VTD_PTE_W)))
			return fr_access; /* not present: 5h/6h (QEMU vtd_iova_to_slpte) */
		bool leaf = lvl == 1 || (pte & VTD_PTE_PS);
		uint64_t rsvd;

		if (!leaf)
			rsvd = VTD_PTE_RSVD_TABLE(haw, lvl);
		else if (lvl == 1)
			rsvd = VTD_PTE_RSVD_4K(haw);
		else if (lvl == 2 && (VTD_CAP_SLLPS(v->cap) & VTD_SLLPS_2M))
			rsvd = VTD_PTE_RSVD_2M(haw);
		else if (lvl == 3 && (VTD_CAP_SLLPS(v->cap) & VTD_SLLPS_1G))
			rsvd = VTD_PTE_RSVD_1G(haw);
		else
			return VTD_FR_PAGING_ENTRY_RSVD; /* PS where the size is not supported */
		if (pte & rsvd)
			return VTD_FR_PAGING_ENTRY_RSVD;
		eff &= pte;
		if ((eff & need) != need)
			return (need & VTD_PTE_W) && !(eff & VTD_PTE_W) ? VTD_FR_WRITE :
									  VTD_FR_READ;
		if (leaf) {
			if (lvl > 2)
				return VTD_FR_PAGING_ENTRY_RSVD; /* 1 GiB not cached by this model */
			uint64_t base = pte & VTD_PTE_ADDR_MASK(haw);

			*leaf_level = lvl;
			*host = base + (iova & ((1ULL << level_shift(lvl)) - 1));
			*prot = (uint8_t)(((eff & VTD_PTE_R) ? IOVA_PROT_READ : 0) |
					  ((eff & VTD_PTE_W) ? IOVA_PROT_WRITE : 0));
			return 0;
		}
		table = pte & VTD_PTE_ADDR_MASK(haw);
	}
	return VTD_FR_PAGING_ENTRY_INV;
}

/** Translate one page. Lock held. @return 0 with *host, or a fault reason. */
static int translate_page(struct vtd_soft *v, uint64_t clo, uint64_t chi, uint64_t iova, int access,
			  uint64_t *host)
{
	uint16_t did = (uint16_t)VTD_CE_HI_DID(chi);
	unsigned int aw = (unsigned int)VTD_CE_HI_AW(chi);
	unsigned int levels = VTD_AW_LEVELS(aw);
	unsigned int width = VTD_AW_BITS(aw) < v->mgaw_bits ? VTD_AW_BITS(aw) : v->mgaw_bits;
	struct vtd_iotlb_entry *e;

	if (width < 64 && (iova >> width))
		return VTD_FR_ADDR_BEYOND_MGAW;
	e = iotlb_find(v, did, iova);
	if (e) {
		v->st.iotlb_hits++;
		e->lru = ++v->lru_clock;
		if ((e->prot & access) != access)
			return (access & IOVA_PROT_WRITE) && !(e->prot & IOVA_PROT_WRITE) ?
				       VTD_FR_WRITE :
				       VTD_FR_READ;
		*host = e->host + (iova & ((1ULL << level_shift(e->level)) - 1));
		/* Stale: the entry outlived its PTE (not yet invalidated). */
		uint64_t h2;
		unsigned int l2;
		uint8_t p2;

		if (page_walk(v, clo & VTD_CE_LO_SLPTPTR_MASK, levels, iova, access, &h2, &l2,
			      &p2) ||
		    h2 != *host)
			v->st.stale_hits++;
		return 0;
	}
	v->st.iotlb_misses++;
	v->st.page_walks++;
	unsigned int leaf_level = 1;
	uint8_t prot = 0;
	uint64_t h;
	int fr = page_walk(v, clo & VTD_CE_LO_SLPTPTR_MASK, levels, iova, access, &h, &leaf_level,
			   &prot);
	if (fr)
		return fr;
	uint64_t page_mask = (1ULL << level_shift(leaf_level)) - 1;

	iotlb_insert(v, did, iova, leaf_level, h - (iova & page_mask), prot);
	*host = h;
	return 0;
}

/**
 * Device-side DMA translation of [iova, iova + len) for requester rid (VT-d 3.4.3):
 * due invalidations first, then context cache / root and context entries, then
 * per 4 KiB page the IOTLB or a second-level walk, checking R/W (effective rights
 * are the AND over all levels) and reserved bits.
 * @param len    bytes (0 is treated as 1); every page touched is translated.
 * @param access IOVA_PROT_READ, IOVA_PROT_WRITE, or both (both rights required).
 * @param host   out: host address of iova.
 * @return 0; -EFAULT after recording a fault (reason codes of VT-d 7.1.3, not
 *         recorded when the context entry has FPD=1); -ERANGE if every page
 *         translates but the pages are not contiguous in host memory (no fault);
 *         -EINVAL for NULL arguments, no access bit, or a wrapping range.
 *         With GSTS.TES clear requests are not remapped: *host = iova.
 */
int vtd_soft_translate(struct vtd_soft *v, uint16_t rid, uint64_t iova, size_t len, int access,
		       void **host)
{
	uint64_t clo, chi, h0 = 0;
	int fr, ret = 0;
	bool write;

	if (!v || !host || !(access & IOVA_PROT_RW))
		return -EINVAL;
	write = access & IOVA_PROT_WRITE;
	access &= IOVA_PROT_RW; /* read-modify-write DMA needs both rights */
	if (len == 0)
		len = 1;
	if (iova + len - 1 < iova)
		return -EINVAL;
	pthread_spin_lock(&v->lock);
	if (v->ev_count)
		qi_process_due(v, false);
	v->st.translations++;
	if (!(v->gsts & VTD_GSTS_TES)) {
		/* Translation disabled: requests are not remapped (VT-d 10.4.4 TE). */
		*host = (void *)(uintptr_t)iova;
		goto out;
	}
	fr = context_fetch(v, rid, &clo, &chi);
	if (fr) {
		vtd_soft_record_fault(v, rid, iova, write, (uint8_t)fr, false);
		ret = -EFAULT;
		goto out;
	}
	uint64_t last = (iova + len - 1) & VTD_PAGE_MASK;

	for (uint64_t a = iova;; a = (a & VTD_PAGE_MASK) + VTD_PAGE_SIZE) {
		uint64_t h;

		fr = translate_page(v, clo, chi, a, access, &h);
		if (fr) {
			vtd_soft_record_fault(v, rid, a, write, (uint8_t)fr, clo & VTD_CE_LO_FPD);
			ret = -EFAULT;
			goto out;
		}
		if (a == iova)
			h0 = h;
		else if (h != h0 + (a - iova))
			ret = -ERANGE; /* translates, but not host-contiguous */
		if ((a & VTD_PAGE_MASK) == last)
			break;
	}
	if (!ret)
		*host = (void *)(uintptr_t)h0;
out:
	pthread_spin_unlock(&v->lock);
	return ret;
}

/* ====================================================================== */
/* Creation                                                               */
/* ====================================================================== */

/** Fill p with the defaults: haw 48, IOTLB 64 sets x 8 ways, 16 context-cache
 *  entries, 256 QI entries, inv_latency_ns VTD_DEFAULT_INV_LATENCY_NS. */
void vtd_soft_default_params(struct vtd_soft_params *p)
{
	if (!p)
		return;
	memset(p, 0, sizeof(*p));
	p->haw = 48;
	p->iotlb_sets = 64;
	p->iotlb_ways = 8;
	p->ctx_cache_entries = 16;
	p->qi_entries = 256;
	p->inv_latency_ns = VTD_DEFAULT_INV_LATENCY_NS;
}

/**
 * Create a soft VT-d unit in its reset state (translation and QI disabled).
 * Zero fields of p (or p == NULL) take the defaults; inv_latency_ns 0 executes
 * descriptors at the IQT write. CAP: ND=6, SAGAW 39/48-bit (haw >= 48) or 39-bit,
 * MGAW, FRO, SLLPS=2 MiB, PSI, NFR=8, MAMV=9; CAP.PI; ECAP: C, QI, SC, IRO, IR, EIM.
 * @return the unit, or NULL with errno EINVAL (haw outside 39..57, qi_entries
 *         not a power of two in 256..32768, IOTLB > 65536 sets or > 64 ways) or ENOMEM.
 */
struct vtd_soft *vtd_soft_create(const struct vtd_soft_params *p)
{
	struct vtd_soft_params d;
	struct vtd_soft *v;

	vtd_soft_default_params(&d);
	if (p) {
		d.haw = p->haw ? p->haw : d.haw;
		d.iotlb_sets = p->iotlb_sets ? p->iotlb_sets : d.iotlb_sets;
		d.iotlb_ways = p->iotlb_ways ? p->iotlb_ways : d.iotlb_ways;
		d.ctx_cache_entries =
			p->ctx_cache_entries ? p->ctx_cache_entries : d.ctx_cache_entries;
		d.qi_entries = p->qi_entries ? p->qi_entries : d.qi_entries;
		d.inv_latency_ns = p->inv_latency_ns;
	}
	/* IQA.QS: 2^QS pages of 256 descriptors, QS <= 7 */
	if (d.haw < 39 || d.haw > 57 || d.iotlb_sets > 65536 || d.iotlb_ways > 64 ||
	    d.ctx_cache_entries > 65536 || d.qi_entries < 256 || d.qi_entries > (256u << 7) ||
	    (d.qi_entries & (d.qi_entries - 1))) {
		errno = EINVAL;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		errno = ENOMEM;
		return NULL;
	}
	v->p = d;
	pthread_spin_init(&v->lock, PTHREAD_PROCESS_PRIVATE);
	v->iotlb = calloc((size_t)d.iotlb_sets * d.iotlb_ways, sizeof(*v->iotlb));
	v->ctx = calloc(d.ctx_cache_entries, sizeof(*v->ctx));
	v->ev_cap = d.qi_entries;
	v->ev = calloc(v->ev_cap, sizeof(*v->ev));
	if (!v->iotlb || !v->ctx || !v->ev) {
		vtd_soft_destroy(v);
		errno = ENOMEM;
		return NULL;
	}
	v->ver = VTD_SOFT_VER;
	/* IOVA width: haw >= 48 -> 3- and 4-level tables, else 3-level only. */
	unsigned int sagaw = d.haw >= 48 ? (VTD_SAGAW_39 | VTD_SAGAW_48) : VTD_SAGAW_39;
	unsigned int mgaw = d.haw >= 48 ? 48 : 39;

	v->mgaw_bits = mgaw;
	v->cap = VTD_CAP_MAKE_ND(6) | /* 2^16 domains */
		 VTD_CAP_MAKE_SAGAW(sagaw) | VTD_CAP_MAKE_MGAW(mgaw - 1) |
		 VTD_CAP_MAKE_FRO(VTD_SOFT_FRO) | VTD_CAP_MAKE_SLLPS(VTD_SLLPS_2M) | VTD_CAP_PSI |
		 VTD_CAP_MAKE_NFR(VTD_SOFT_NFR - 1) | VTD_CAP_MAKE_MAMV(VTD_SOFT_MAMV) |
		 VTD_CAP_PI; /* posted-format IRTEs decode */
	v->ecap = VTD_ECAP_C | VTD_ECAP_QI | VTD_ECAP_SC | VTD_ECAP_MAKE_IRO(VTD_SOFT_IRO) |
		  VTD_ECAP_IR | VTD_ECAP_EIM; /* interrupt remapping, x2APIC IRTEs */
	return v;
}

/**
 * Free the unit (caches, queue bookkeeping). The memory it points at (root table,
 * queue) belongs to its driver, which is torn down first (vtd_drv_fini()).
 * NULL is a no-op.
 */
void vtd_soft_destroy(struct vtd_soft *v)
{
	if (!v)
		return;
	free(v->iotlb);
	free(v->ctx);
	free(v->ev);
	pthread_spin_destroy(&v->lock);
	free(v);
}

/** Snapshot the hardware-side counters (consistent: taken under the unit lock). */
void vtd_soft_get_stats(const struct vtd_soft *v, struct vtd_soft_stats *st)
{
	struct vtd_soft *mv = (struct vtd_soft *)(uintptr_t)v;

	if (!v || !st)
		return;
	pthread_spin_lock(&mv->lock);
	*st = v->st;
	pthread_spin_unlock(&mv->lock);
}

int vtd_soft_iotlb_probe(struct vtd_soft *v, uint16_t did, uint64_t iova)
{
	int r;

	pthread_spin_lock(&v->lock);
	r = iotlb_find(v, did, iova) != NULL;
	pthread_spin_unlock(&v->lock);
	return r;
}
