/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vtd_drv.c
 * Driver side of the soft VT-d, written the way Linux drivers/iommu/intel does it:
 *  - init (intel_iommu_init_qi(), iommu_set_root_entry(), iommu_enable_translation()):
 *    allocate the root table and the invalidation queue, program RTADDR and
 *    latch it with GCMD.SRTP (wait GSTS.RTPS), program IQA with IQT = 0 and set
 *    GCMD.QIE (wait QIES), invalidate context cache and IOTLB globally, set
 *    GCMD.TE (wait TES). Every GCMD write carries the persistent enables (iommu->gcmd).
 *  - domains with their own 3/4-level second-level tables (4 KiB pages of 512
 *    entries); map uses 2 MiB superpages where iova, host and length allow
 *    (CAP.SLLPS bit 0), like __domain_mapping()/hardware_largepage_caps().
 *  - unmap clears leaf entries only. Page-table pages are never freed while the
 *    domain lives (freed in vtd_drv_domain_destroy()): the device side walks the
 *    tables without locks, and without an RCU-like grace period freeing a table
 *    could race with a walk. Linux frees them after the IOTLB flush (freelist).
 *  - invalidation: vtd_drv_inv_queue() writes IOTLB descriptors into the queue
 *    (page-selective with AM chosen per aligned power-of-two chunk; domain-selective
 *    when PSI is absent or the range needs AM > CAP.MAMV: iommu_flush_iotlb_psi());
 *    vtd_drv_flush() appends one wait descriptor (SW=1, FN=1), writes IQT once and,
 *    if asked, spins on the status word (qi_submit_sync(), drivers/iommu/intel/dmar.c),
 *    calling vtd_soft_wait_progress() so the soft hardware progresses (unless the unit is
 *    polled by a hardware thread: then that thread executes it); bounded by a timeout.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtd_priv.h"

#define QI_FREE 0
#define QI_IN_USE 1
#define QI_DONE 2

struct vtd_drv {
	pthread_mutex_t lock; /**< iommu->register_lock + qi->q_lock */
	struct vtd_soft *v;
	uint32_t gcmd; /**< persistent GCMD enables (Linux iommu->gcmd) */
	uint64_t *root; /**< 256 x 128-bit root entries */
	uint64_t *ctx[VTD_ROOT_ENTRIES];
	struct vtd_desc *ring;
	uint32_t *status; /**< one status word per queue slot (Linux desc_status) */
	unsigned int entries, tail, pending;
	unsigned int aw, levels, mamv;
	bool psi;
	uint64_t timeout_ns;
	struct vtd_domain *domains;
	/* interrupt remapping (Linux struct ir_table) */
	struct vtd_irte *irt; /**< the IRT, ir_entries x 128 bits, 4 KiB aligned */
	uint64_t *ir_bitmap; /**< allocated entries */
	unsigned int ir_entries;
	bool ir_eime;
};

struct vtd_domain {
	struct vtd_soft *v;
	struct vtd_drv *drv;
	uint16_t did;
	unsigned int levels;
	uint64_t *pgd;
	pthread_mutex_t lock;
	struct vtd_domain *next;
};

static inline void *zalloc_page(void)
{
	return vtd_pt_alloc();
}

static inline void store64(uint64_t *p, uint64_t v)
{
	vtd_pte_store(p, v);
}

static inline unsigned int level_shift(unsigned int level)
{
	return VTD_PAGE_SHIFT + VTD_LEVEL_STRIDE * (level - 1);
}

/* ====================================================================== */
/* Register handshakes (Linux IOMMU_WAIT_OP)                               */
/* ====================================================================== */

static int gcmd_sync(struct vtd_drv *drv, uint32_t cmd, uint32_t sts_bit, bool set)
{
	uint64_t deadline = iova_now_ns() + drv->timeout_ns;

	vtd_soft_reg_write(drv->v, VTD_REG_GCMD, drv->gcmd | cmd);
	for (;;) {
		uint32_t sts = (uint32_t)vtd_soft_reg_read(drv->v, VTD_REG_GSTS);

		if (!!(sts & sts_bit) == set)
			return 0;
		if (iova_now_ns() > deadline) {
			fprintf(stderr,
				"vtd_drv: GSTS bit 0x%x did not %s after GCMD 0x%x; "
				"check RTADDR/IQA programming\n",
				sts_bit, set ? "set" : "clear", drv->gcmd | cmd);
			return -ETIMEDOUT;
		}
		vtd_cpu_relax();
	}
}

/* ====================================================================== */
/* Queued invalidation (Linux qi_submit_sync())                            */
/* ====================================================================== */

static inline unsigned int qi_head(struct vtd_drv *drv)
{
	return (unsigned int)(vtd_soft_reg_read(drv->v, VTD_REG_IQH) >> VTD_IQ_IDX_SHIFT) %
	       drv->entries;
}

static inline unsigned int qi_space(struct vtd_drv *drv)
{
	unsigned int used = (drv->tail + drv->entries - qi_head(drv)) % drv->entries;

	return drv->entries - 1 - used;
}

/** Handle FSTS.IQE (Linux qi_check_fault()): neutralize the bad descriptor, clear IQE. */
static int qi_check_fault(struct vtd_drv *drv)
{
	uint64_t fsts = vtd_soft_reg_read(drv->v, VTD_REG_FSTS);

	if (!(fsts & VTD_FSTS_IQE))
		return 0;
	unsigned int head = qi_head(drv);

	fprintf(stderr,
		"vtd_drv: invalidation queue error at descriptor %u "
		"(%016llx %016llx); replaced by a no-op wait\n",
		head, (unsigned long long)drv->ring[head].hi,
		(unsigned long long)drv->ring[head].lo);
	drv->ring[head] = (struct vtd_desc){ .lo = VTD_QI_TYPE_WAIT, .hi = 0 };
	vtd_soft_reg_write(drv->v, VTD_REG_FSTS, VTD_FSTS_IQE);
	return -EIO;
}

static void qi_push(struct vtd_drv *drv, struct vtd_desc d)
{
	drv->ring[drv->tail] = d;
	drv->tail = (drv->tail + 1) % drv->entries;
	drv->pending++;
}

/** Ring the doorbell with a trailing wait descriptor; optionally wait. drv->lock held. */
static int qi_submit(struct vtd_drv *drv, bool wait)
{
	unsigned int slot = drv->tail;
	uint64_t deadline;
	int rc = 0;

	__atomic_store_n(&drv->status[slot], QI_IN_USE, __ATOMIC_RELAXED);
	qi_push(drv, vtd_desc_wait(QI_DONE, (uint64_t)(uintptr_t)&drv->status[slot], false));
	/* The descriptor stores happen before the IQT write (the unit's lock orders them). */
	vtd_soft_reg_write(drv->v, VTD_REG_IQT, (uint64_t)drv->tail << VTD_IQ_IDX_SHIFT);
	drv->pending = 0;
	if (!wait)
		return 0;
	deadline = iova_now_ns() + drv->timeout_ns;
	for (unsigned int spin = 0;
	     __atomic_load_n(&drv->status[slot], __ATOMIC_ACQUIRE) != QI_DONE; spin++) {
		/* The unit lock is shared with the device side: look at FSTS only every
		 * 16th round (an IQE stops the queue, so it is never missed). */
		if ((spin & 15) == 15) {
			int f = qi_check_fault(drv);

			if (f)
				rc = f;
		}
		vtd_soft_wait_progress(drv->v);
		/* Executed by a hardware thread that may share this CPU (oversubscribed host,
		 * valgrind): let it run now and then, as mode_emul's waits do. */
		if ((spin & 1023) == 1023)
			sched_yield();
		if (iova_now_ns() > deadline) {
			fprintf(stderr,
				"vtd_drv: invalidation wait timed out after %llu ns "
				"(IQH %u, IQT %u); the soft unit's inv_latency_ns may exceed the timeout\n",
				(unsigned long long)drv->timeout_ns, qi_head(drv), drv->tail);
			return -ETIMEDOUT;
		}
		vtd_cpu_relax();
	}
	return rc;
}

/** Make room for n descriptors plus a wait descriptor. drv->lock held. */
static int qi_reserve(struct vtd_drv *drv, unsigned int n)
{
	if (n + 2 > drv->entries)
		return -EINVAL;
	if (qi_space(drv) >= n + 1)
		return 0;
	/* Queue full: submit what is pending and wait until the hardware drains. */
	int rc = qi_submit(drv, true);

	if (rc < 0 && rc != -EIO)
		return rc;
	uint64_t deadline = iova_now_ns() + drv->timeout_ns;

	while (qi_space(drv) < n + 1) {
		vtd_soft_wait_progress(drv->v);
		qi_check_fault(drv);
		if (iova_now_ns() > deadline)
			return -ETIMEDOUT;
		vtd_cpu_relax();
	}
	return 0;
}

/* ====================================================================== */
/* Init / fini                                                            */
/* ====================================================================== */

/**
 * Bring the unit up as Linux intel-iommu does (see the file comment).
 * The unit is found in its reset state or refused: a unit whose GSTS shows
 * translation or queued invalidation enabled belongs to another driver instance.
 * @return the driver, or NULL with errno EINVAL (NULL), EBUSY (already enabled),
 *         ENODEV (no QI or no 3/4-level SAGAW), ENOMEM, ETIMEDOUT (a GSTS handshake
 *         or the initial invalidation wait did not complete within the driver timeout).
 */
struct vtd_drv *vtd_drv_init(struct vtd_soft *v)
{
	struct vtd_drv *drv;
	uint64_t cap, ecap;
	int rc;

	if (!v) {
		errno = EINVAL;
		return NULL;
	}
	if (vtd_soft_reg_read(v, VTD_REG_GSTS) & (VTD_GSTS_TES | VTD_GSTS_QIES)) {
		fprintf(stderr,
			"vtd_drv: unit already enabled (GSTS 0x%llx); one driver per unit\n",
			(unsigned long long)vtd_soft_reg_read(v, VTD_REG_GSTS));
		errno = EBUSY;
		return NULL;
	}
	cap = vtd_soft_reg_read(v, VTD_REG_CAP);
	ecap = vtd_soft_reg_read(v, VTD_REG_ECAP);
	if (!(ecap & VTD_ECAP_QI)) {
		fprintf(stderr, "vtd_drv: unit has no queued invalidation (ECAP.QI=0)\n");
		errno = ENODEV;
		return NULL;
	}
	drv = calloc(1, sizeof(*drv));
	if (!drv) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&drv->lock, NULL);
	drv->v = v;
	drv->timeout_ns = VTD_DRV_DEFAULT_TIMEOUT_NS;
	if (VTD_CAP_SAGAW(cap) & VTD_SAGAW_48)
		drv->aw = VTD_AW_48;
	else if (VTD_CAP_SAGAW(cap) & VTD_SAGAW_39)
		drv->aw = VTD_AW_39;
	else {
		fprintf(stderr,
			"vtd_drv: CAP.SAGAW 0x%llx supports neither 3- nor 4-level tables\n",
			(unsigned long long)VTD_CAP_SAGAW(cap));
		free(drv);
		errno = ENODEV;
		return NULL;
	}
	drv->levels = VTD_AW_LEVELS(drv->aw);
	drv->psi = !!(cap & VTD_CAP_PSI);
	drv->mamv = (unsigned int)VTD_CAP_MAMV(cap);
	/* Queue size: the unit's configured length (IQA.QS = log2(entries / 256)). */
	drv->entries = v->p.qi_entries;
	unsigned int qs = (unsigned int)__builtin_ctz(drv->entries / 256);

	drv->root = zalloc_page();
	drv->ring = aligned_alloc(VTD_PAGE_SIZE, (size_t)drv->entries * sizeof(struct vtd_desc));
	drv->status = calloc(drv->entries, sizeof(uint32_t));
	if (!drv->root || !drv->ring || !drv->status) {
		free(drv->root);
		free(drv->ring);
		free(drv->status);
		free(drv);
		errno = ENOMEM;
		return NULL;
	}
	memset(drv->ring, 0, (size_t)drv->entries * sizeof(struct vtd_desc));

	pthread_mutex_lock(&drv->lock);
	/* iommu_set_root_entry() */
	vtd_soft_reg_write(v, VTD_REG_RTADDR, (uint64_t)(uintptr_t)drv->root);
	rc = gcmd_sync(drv, VTD_GCMD_SRTP, VTD_GSTS_RTPS, true);
	if (rc)
		goto out;
	/* dmar_enable_qi() / __dmar_enable_qi() */
	vtd_soft_reg_write(v, VTD_REG_IQT, 0);
	vtd_soft_reg_write(v, VTD_REG_IQA, (uint64_t)(uintptr_t)drv->ring | qs);
	drv->gcmd |= VTD_GCMD_QIE;
	rc = gcmd_sync(drv, 0, VTD_GSTS_QIES, true);
	if (rc)
		goto out;
	drv->tail = 0;
	/* flush context cache and IOTLB globally before enabling translation */
	qi_push(drv, vtd_desc_context_global());
	qi_push(drv, vtd_desc_iotlb_global());
	rc = qi_submit(drv, true);
	if (rc)
		goto out;
	/* iommu_enable_translation() */
	drv->gcmd |= VTD_GCMD_TE;
	rc = gcmd_sync(drv, 0, VTD_GSTS_TES, true);
out:
	pthread_mutex_unlock(&drv->lock);
	if (rc) {
		vtd_drv_fini(drv);
		errno = -rc;
		return NULL;
	}
	return drv;
}

static void domain_free(struct vtd_domain *d)
{
	vtd_pt_free(d->pgd, d->levels);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/**
 * Tear the driver down: destroy its domains (context entries cleared and flushed),
 * disable translation and queued invalidation (GCMD), free root/context tables and
 * the queue. The unit is left in its disabled state for vtd_soft_destroy().
 */
void vtd_drv_fini(struct vtd_drv *drv)
{
	if (!drv)
		return;
	/* iommu_disable_translation(), then QI off (__dmar_disable_qi()): the unit no
	 * longer walks or fetches from the memory freed below. */
	pthread_mutex_lock(&drv->lock);
	drv->gcmd &= ~VTD_GCMD_TE;
	gcmd_sync(drv, 0, VTD_GSTS_TES, false);
	drv->gcmd &= ~VTD_GCMD_QIE;
	gcmd_sync(drv, 0, VTD_GSTS_QIES, false);
	if (drv->gcmd & VTD_GCMD_IRE) {
		drv->gcmd &= ~VTD_GCMD_IRE;
		gcmd_sync(drv, 0, VTD_GSTS_IRES, false);
	}
	pthread_mutex_unlock(&drv->lock);
	free(drv->irt);
	free(drv->ir_bitmap);
	while (drv->domains) {
		struct vtd_domain *d = drv->domains;

		drv->domains = d->next;
		domain_free(d);
	}
	for (unsigned int i = 0; i < VTD_ROOT_ENTRIES; i++)
		free(drv->ctx[i]);
	free(drv->root);
	free(drv->ring);
	free(drv->status);
	pthread_mutex_destroy(&drv->lock);
	free(drv);
}

void vtd_drv_set_timeout(struct vtd_drv *drv, uint64_t ns)
{
	if (drv)
		drv->timeout_ns = ns;
}

/* ====================================================================== */
/* Domains                                                                */
/* ====================================================================== */

/**
 * Create domain did with an empty 3- or 4-level table (4-level when SAGAW allows).
 * @return the domain, or NULL with errno EINVAL (no driver, did 0), EEXIST, ENOMEM.
 */
struct vtd_domain *vtd_drv_domain_create(struct vtd_drv *drv, uint16_t did)
{
	struct vtd_domain *d;

	if (!drv || did == 0) {
		/* DID 0 is reserved when CAP.CM = 1 and Linux never uses it (FLPT_DEFAULT_DID is 1). */
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&drv->lock);
	for (d = drv->domains; d; d = d->next) {
		if (d->did == did) {
			pthread_mutex_unlock(&drv->lock);
			errno = EEXIST;
			return NULL;
		}
	}
	d = calloc(1, sizeof(*d));
	if (d)
		d->pgd = zalloc_page();
	if (!d || !d->pgd) {
		free(d);
		pthread_mutex_unlock(&drv->lock);
		errno = ENOMEM;
		return NULL;
	}
	d->v = drv->v;
	d->drv = drv;
	d->did = did;
	d->levels = drv->levels;
	pthread_mutex_init(&d->lock, NULL);
	d->next = drv->domains;
	drv->domains = d;
	pthread_mutex_unlock(&drv->lock);
	return d;
}

/**
 * Detach the domain from every device (clear their context entries), invalidate
 * its context-cache and IOTLB entries (domain-selective, waited for), free its tables.
 */
void vtd_drv_domain_destroy(struct vtd_domain *d)
{
	struct vtd_drv *drv;

	if (!d)
		return;
	drv = d->drv;
	pthread_mutex_lock(&drv->lock);
	/* domain_detach: clear every context entry that points at this domain. */
	for (unsigned int bus = 0; bus < VTD_ROOT_ENTRIES; bus++) {
		uint64_t *ct = drv->ctx[bus];

		if (!ct)
			continue;
		for (unsigned int devfn = 0; devfn < VTD_CTX_ENTRIES; devfn++) {
			if ((ct[2 * devfn] & VTD_CE_LO_P) &&
			    VTD_CE_HI_DID(ct[2 * devfn + 1]) == d->did) {
				store64(&ct[2 * devfn], 0);
				store64(&ct[2 * devfn + 1], 0);
			}
		}
	}
	qi_reserve(drv, 2);
	qi_push(drv, vtd_desc_context(VTD_QI_CC_G_DOMAIN, d->did, 0, 0));
	qi_push(drv, vtd_desc_iotlb_domain(d->did));
	qi_submit(drv, true);
	for (struct vtd_domain **pp = &drv->domains; *pp; pp = &(*pp)->next) {
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	}
	pthread_mutex_unlock(&drv->lock);
	domain_free(d);
}

/**
 * Point requester rid's context entry at d (TT=0, AW of the driver, DID), allocating the
 * bus's context table and root entry on first use (Linux domain_context_mapping_one()).
 * An existing entry is cleared and flushed first. Then device-selective
 * context-cache + domain IOTLB invalidation, waited for.
 * @return 0, -EINVAL, -ENOMEM, -ETIMEDOUT, -EIO (invalidation queue error).
 */
int vtd_drv_attach(struct vtd_domain *d, uint16_t rid)
{
	struct vtd_drv *drv;
	unsigned int bus = rid >> 8, devfn = rid & 0xff;
	uint64_t *ct;
	int rc;

	if (!d)
		return -EINVAL;
	drv = d->drv;
	pthread_mutex_lock(&drv->lock);
	ct = drv->ctx[bus];
	if (!ct) {
		ct = zalloc_page();
		if (!ct) {
			pthread_mutex_unlock(&drv->lock);
			return -ENOMEM;
		}
		drv->ctx[bus] = ct;
		store64(&drv->root[2 * bus + 1], 0);
		store64(&drv->root[2 * bus], vtd_root_entry_lo((uint64_t)(uintptr_t)ct));
	}
	uint64_t old_lo = ct[2 * devfn], old_hi = ct[2 * devfn + 1];

	if (old_lo & VTD_CE_LO_P) {
		/* Re-attach: tear the old entry down and flush it first (Linux domain_context_clear_one()). */
		store64(&ct[2 * devfn], 0);
		rc = qi_reserve(drv, 2);
		if (rc)
			goto out;
		qi_push(drv, vtd_desc_context(VTD_QI_CC_G_DEVICE, (uint16_t)VTD_CE_HI_DID(old_hi),
					      rid, 0));
		qi_push(drv, vtd_desc_iotlb_domain((uint16_t)VTD_CE_HI_DID(old_hi)));
		rc = qi_submit(drv, true);
		if (rc)
			goto out;
	}
	/* hi first, then lo with P: the walker must never see P with a stale hi. */
	store64(&ct[2 * devfn + 1], vtd_context_hi(drv->aw, d->did));
	store64(&ct[2 * devfn], vtd_context_lo((uint64_t)(uintptr_t)d->pgd, VTD_TT_MULTI_LEVEL, 0));
	rc = qi_reserve(drv, 2);
	if (rc)
		goto out;
	qi_push(drv, vtd_desc_context(VTD_QI_CC_G_DEVICE, d->did, rid, 0));
	qi_push(drv, vtd_desc_iotlb_domain(d->did));
	rc = qi_submit(drv, true);
out:
	pthread_mutex_unlock(&drv->lock);
	return rc;
}

/* ====================================================================== */
/* Page tables                                                            */
/* ====================================================================== */

static inline uint64_t *walk_leaf(struct vtd_domain *d, uint64_t iova, unsigned int *level)
{
	return vtd_pt_leaf(d->pgd, d->levels, iova, level);
}

/** Is the level-2 slot of iova free for a superpage (no entry, or no table above it)? */
static bool superpage_slot_free(struct vtd_domain *d, uint64_t iova)
{
	int err = 0;
	uint64_t *e = vtd_pt_slot(d->pgd, d->levels, iova, 2, false, &err);

	if (!e)
		return err == -ENOENT;
	/* An existing level-1 table (even empty) is kept: we do not free tables while live. */
	return !vtd_pte_present(vtd_pte_load(e));
}

static int check_range(struct vtd_domain *d, uint64_t iova, uint64_t len)
{
	unsigned int bits = VTD_AW_BITS(d->drv->aw);

	if (!len || (iova | len) & (VTD_PAGE_SIZE - 1))
		return -EINVAL;
	if (iova + len < iova || ((iova + len - 1) >> bits))
		return -EINVAL;
	return 0;
}

static int unmap_locked(struct vtd_domain *d, uint64_t iova, uint64_t len);

/**
 * Map [iova, iova + len) -> [host, host + len) with prot (R/W bits of the PTE),
 * 2 MiB superpages (PS=1) where iova, host and the remaining length are 2 MiB
 * aligned and the level-2 slot is empty. Does not invalidate (CAP.CM = 0: not-present
 * entries are never cached).
 * @return 0; -EINVAL (NULL, iova/host/len not 4 KiB multiples, len 0, range beyond
 *         the domain's address width or the 48-bit host field, prot not R/W);
 *         -EEXIST (some page already mapped; nothing changed); -ENOMEM (rolled back).
 */
int vtd_drv_map(struct vtd_domain *d, uint64_t iova, void *host, size_t len, int prot)
{
	uint64_t h = (uint64_t)(uintptr_t)host;
	int rc = 0;

	if (!d || !(prot & IOVA_PROT_RW) || (prot & ~IOVA_PROT_RW))
		return -EINVAL;
	rc = check_range(d, iova, len);
	if (rc)
		return rc;
	if ((h & (VTD_PAGE_SIZE - 1)) || h + len < h || ((h + len - 1) >> VTD_SOFT_PHYS_BITS))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	/* Pass 1: nothing in the range may be mapped (state unchanged on -EEXIST). */
	for (uint64_t off = 0; off < len;) {
		unsigned int lvl;

		if (walk_leaf(d, iova + off, &lvl)) {
			rc = -EEXIST;
			goto out;
		}
		off += VTD_PAGE_SIZE;
	}
	/* Pass 2: write entries, 2 MiB where possible (__domain_mapping()). */
	uint64_t off = 0;

	while (off < len) {
		uint64_t a = iova + off, ha = h + off;
		bool sp = !((a | ha) & (VTD_SUPERPAGE_SIZE - 1)) &&
			  len - off >= VTD_SUPERPAGE_SIZE && superpage_slot_free(d, a);
		unsigned int lvl = sp ? 2 : 1;
		uint64_t *e = vtd_pt_slot(d->pgd, d->levels, a, lvl, true, &rc);

		if (!e) {
			if (off)
				unmap_locked(d, iova, off);
			goto out;
		}
		store64(e, vtd_pte_leaf(ha, prot, sp, 0));
		off += sp ? VTD_SUPERPAGE_SIZE : VTD_PAGE_SIZE;
	}
out:
	pthread_mutex_unlock(&d->lock);
	return rc;
}

static int unmap_locked(struct vtd_domain *d, uint64_t iova, uint64_t len)
{
	/* Pass 1: every page mapped, superpages covered entirely. */
	for (uint64_t off = 0; off < len;) {
		unsigned int lvl;
		uint64_t a = iova + off;

		if (!walk_leaf(d, a, &lvl))
			return -ENOENT;
		if (lvl == 2) {
			if ((a & (VTD_SUPERPAGE_SIZE - 1)) || len - off < VTD_SUPERPAGE_SIZE)
				return -EINVAL; /* would split a 2 MiB page */
			off += VTD_SUPERPAGE_SIZE;
		} else {
			off += VTD_PAGE_SIZE;
		}
	}
	/* Pass 2: clear (dma_pte_clear_range()). */
	for (uint64_t off = 0; off < len;) {
		unsigned int lvl;
		uint64_t *e = walk_leaf(d, iova + off, &lvl);

		store64(e, 0);
		off += lvl == 2 ? VTD_SUPERPAGE_SIZE : VTD_PAGE_SIZE;
	}
	return 0;
}

/**
 * Clear the leaf entries of [iova, iova + len) (Linux dma_pte_clear_range()); page
 * tables are kept. The IOTLB keeps stale entries until an invalidation executes.
 * @return 0; -ENOENT (some page not mapped; nothing changed); -EINVAL (unaligned,
 *         or the range covers only part of a 2 MiB superpage).
 */
int vtd_drv_unmap(struct vtd_domain *d, uint64_t iova, size_t len)
{
	int rc;

	if (!d)
		return -EINVAL;
	rc = check_range(d, iova, len);
	if (rc)
		return rc;
	pthread_mutex_lock(&d->lock);
	rc = unmap_locked(d, iova, len);
	pthread_mutex_unlock(&d->lock);
	return rc;
}

/**
 * Software walk of d's table (no IOTLB, no counters).
 * @return 0 with *host (host address of iova, byte offset kept) and *prot; -ENOENT.
 */
int vtd_drv_lookup(struct vtd_domain *d, uint64_t iova, void **host, int *prot)
{
	unsigned int lvl;
	uint64_t *e, v;

	if (!d)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	e = walk_leaf(d, iova, &lvl);
	v = e ? vtd_pte_load(e) : 0;
	pthread_mutex_unlock(&d->lock);
	if (!e)
		return -ENOENT;
	if (host)
		*host = (void *)(uintptr_t)((v & VTD_PTE_ADDR_MASK(VTD_SOFT_PHYS_BITS)) +
					    (iova & ((1ULL << level_shift(lvl)) - 1)));
	if (prot)
		*prot = ((v & VTD_PTE_R) ? IOVA_PROT_READ : 0) |
			((v & VTD_PTE_W) ? IOVA_PROT_WRITE : 0);
	return 0;
}

/* ====================================================================== */
/* Invalidation                                                           */
/* ====================================================================== */

/**
 * Queue IOTLB invalidation descriptors for [iova, iova + npages pages) of d:
 * an exact cover by naturally aligned power-of-two chunks, one page-selective
 * descriptor (G=3) each with AM = log2(chunk) <= CAP.MAMV; one domain-selective
 * descriptor (G=2) when npages == 0, when the unit lacks PSI, or when npages
 * exceeds 2^MAMV (Linux iommu_flush_iotlb_psi()). Makes room in a full queue by
 * submitting and waiting. The doorbell (IQT) is not written.
 * @return descriptors queued (> 0); -EINVAL (unaligned iova, wrap); -ETIMEDOUT.
 */
int vtd_drv_inv_queue(struct vtd_domain *d, uint64_t iova, uint64_t npages)
{
	struct vtd_drv *drv;
	struct vtd_desc descs[2 * 64];
	unsigned int n = 0;
	int rc;

	if (!d)
		return -EINVAL;
	drv = d->drv;
	if (npages && (iova & (VTD_PAGE_SIZE - 1)))
		return -EINVAL;
	uint64_t pfn = iova >> VTD_PAGE_SHIFT;

	if (npages && pfn + npages < pfn)
		return -EINVAL;
	/* iommu_flush_iotlb_psi(): DSI without PSI support or when the mask exceeds MAMV. */
	if (!npages || !drv->psi || npages > (1ULL << drv->mamv)) {
		descs[n++] = vtd_desc_iotlb_domain(d->did);
	} else {
		/* Exact cover by naturally aligned power-of-two chunks (at most 2 * MAMV + 2). */
		while (npages) {
			unsigned int am = pfn ? (unsigned int)__builtin_ctzll(pfn) : 63;
			unsigned int fit = 63 - (unsigned int)__builtin_clzll(npages);

			if (am > fit)
				am = fit;
			if (am > drv->mamv)
				am = drv->mamv;
			descs[n++] = vtd_desc_iotlb_page(d->did, pfn << VTD_PAGE_SHIFT, am, false);
			pfn += 1ULL << am;
			npages -= 1ULL << am;
		}
	}
	pthread_mutex_lock(&drv->lock);
	rc = qi_reserve(drv, n);
	if (!rc)
		for (unsigned int i = 0; i < n; i++)
			qi_push(drv, descs[i]);
	pthread_mutex_unlock(&drv->lock);
	return rc ? rc : (int)n;
}

/**
 * Append a wait descriptor (SW=1, FN=1, status QI_DONE) after everything queued
 * on the unit, write IQT once, and if wait spin on the status word calling
 * vtd_soft_poll() (Linux qi_submit_sync()), handling IQE like qi_check_fault().
 * @return 0; -ETIMEDOUT (not done within the driver timeout, 1 s by default);
 *         -EIO (an invalid descriptor was found and replaced by a no-op).
 */
int vtd_drv_flush(struct vtd_domain *d, bool wait)
{
	int rc;

	if (!d)
		return -EINVAL;
	pthread_mutex_lock(&d->drv->lock);
	rc = qi_reserve(d->drv, 0);
	if (!rc)
		rc = qi_submit(d->drv, wait);
	pthread_mutex_unlock(&d->drv->lock);
	return rc;
}

/* ====================================================================== */
/* Interrupt remapping (Linux drivers/iommu/intel/irq_remapping.c)         */
/* ====================================================================== */

/* 128-bit compare-and-exchange store of an IRTE (Linux modify_irte() uses
 * cmpxchg_double for posted entries; we use it for every entry so the unit's
 * 128-bit load never sees a torn entry). */
static void irte_store(struct vtd_irte *p, struct vtd_irte n)
{
#if defined(__x86_64__)
	uint64_t lo = p->lo, hi = p->hi;
	bool ok;

	do {
		__asm__ __volatile__("lock cmpxchg16b %1\n\tsete %0"
				     : "=q"(ok), "+m"(*(volatile struct vtd_irte *)p), "+a"(lo),
				       "+d"(hi)
				     : "b"(n.lo), "c"(n.hi)
				     : "memory", "cc");
	} while (!ok);
#else
	__atomic_store_n(&p->hi, n.hi, __ATOMIC_RELEASE);
	__atomic_store_n(&p->lo, n.lo, __ATOMIC_RELEASE);
#endif
}

/* drv->lock held: IEC invalidation of 2^im entries at index (or all), waited for (qi_flush_iec()). */
static int iec_flush(struct vtd_drv *drv, bool global, uint16_t index, unsigned int im)
{
	int rc = qi_reserve(drv, 1);

	if (rc)
		return rc;
	qi_push(drv, global ? vtd_desc_iec_global() : vtd_desc_iec_index(index, im));
	return qi_submit(drv, true);
}

int vtd_drv_ir_enable(struct vtd_drv *drv, unsigned int entries, bool x2apic)
{
	uint64_t ecap;
	unsigned int s;
	int rc;

	if (!drv || entries < 2 || entries > 65536 || (entries & (entries - 1)))
		return -EINVAL;
	ecap = vtd_soft_reg_read(drv->v, VTD_REG_ECAP);
	if (!(ecap & VTD_ECAP_IR) || (x2apic && !(ecap & VTD_ECAP_EIM))) {
		fprintf(stderr, "vtd_drv: unit lacks %s (ECAP 0x%llx)\n",
			!(ecap & VTD_ECAP_IR) ? "interrupt remapping (ECAP.IR)" :
						"x2APIC IRTEs (ECAP.EIM)",
			(unsigned long long)ecap);
		return -ENODEV;
	}
	pthread_mutex_lock(&drv->lock);
	if (drv->irt) {
		pthread_mutex_unlock(&drv->lock);
		return -EBUSY;
	}
	size_t bytes = (size_t)entries * sizeof(struct vtd_irte);

	drv->irt = aligned_alloc(VTD_PAGE_SIZE, bytes < VTD_PAGE_SIZE ? VTD_PAGE_SIZE : bytes);
	drv->ir_bitmap = calloc((entries + 63) / 64, sizeof(uint64_t));
	if (!drv->irt || !drv->ir_bitmap) {
		free(drv->irt);
		free(drv->ir_bitmap);
		drv->irt = NULL;
		drv->ir_bitmap = NULL;
		pthread_mutex_unlock(&drv->lock);
		return -ENOMEM;
	}
	memset(drv->irt, 0, bytes);
	drv->ir_entries = entries;
	drv->ir_eime = x2apic;
	s = (unsigned int)__builtin_ctz(entries) - 1; /* 2^(S+1) entries */
	/* iommu_set_irq_remapping(): IRTA, SIRTP handshake, global IEC flush */
	vtd_soft_reg_write(drv->v, VTD_REG_IRTA,
			   (uint64_t)(uintptr_t)drv->irt | (x2apic ? VTD_IRTA_EIME : 0) | s);
	rc = gcmd_sync(drv, VTD_GCMD_SIRTP, VTD_GSTS_IRTPS, true);
	if (!rc)
		rc = iec_flush(drv, true, 0, 0);
	/* intel_enable_irq_remapping(): IRE, and compatibility format blocked (CFI = 0) */
	if (!rc) {
		drv->gcmd |= VTD_GCMD_IRE;
		drv->gcmd &= ~VTD_GCMD_CFI;
		rc = gcmd_sync(drv, 0, VTD_GSTS_IRES, true);
	}
	pthread_mutex_unlock(&drv->lock);
	return rc;
}

static bool ir_bit(const struct vtd_drv *drv, unsigned int i)
{
	return drv->ir_bitmap[i / 64] & (1ULL << (i % 64));
}

int vtd_drv_ir_alloc(struct vtd_drv *drv, unsigned int count, uint16_t *base)
{
	unsigned int n = 1;

	if (!drv || !base || count == 0 || count > 32)
		return -EINVAL;
	while (n < count)
		n <<= 1;
	pthread_mutex_lock(&drv->lock);
	if (!drv->irt) {
		pthread_mutex_unlock(&drv->lock);
		return -ENODEV;
	}
	/* bitmap_find_free_region(): first naturally aligned free block */
	for (unsigned int b = 0; b + n <= drv->ir_entries; b += n) {
		unsigned int k;

		for (k = 0; k < n && !ir_bit(drv, b + k); k++)
			;
		if (k < n)
			continue;
		for (k = 0; k < n; k++)
			drv->ir_bitmap[(b + k) / 64] |= 1ULL << ((b + k) % 64);
		*base = (uint16_t)b;
		pthread_mutex_unlock(&drv->lock);
		return 0;
	}
	pthread_mutex_unlock(&drv->lock);
	return -ENOSPC;
}

void vtd_drv_ir_free(struct vtd_drv *drv, uint16_t base, unsigned int count)
{
	unsigned int n = 1, im = 0;

	if (!drv || !count)
		return;
	while (n < count) {
		n <<= 1;
		im++;
	}
	pthread_mutex_lock(&drv->lock);
	if (drv->irt && (unsigned int)base + n <= drv->ir_entries) {
		for (unsigned int k = 0; k < n; k++) {
			irte_store(&drv->irt[base + k], (struct vtd_irte){ 0, 0 });
			drv->ir_bitmap[(base + k) / 64] &= ~(1ULL << ((base + k) % 64));
		}
		iec_flush(drv, false, base, im);
	}
	pthread_mutex_unlock(&drv->lock);
}

static int ir_modify(struct vtd_drv *drv, uint16_t index, const struct vtd_irte_info *i)
{
	int rc;

	pthread_mutex_lock(&drv->lock);
	if (!drv->irt || index >= drv->ir_entries || !ir_bit(drv, index)) {
		pthread_mutex_unlock(&drv->lock);
		return -EINVAL;
	}
	irte_store(&drv->irt[index], vtd_irte_encode(i, drv->ir_eime));
	rc = iec_flush(drv, false, index, 0);
	pthread_mutex_unlock(&drv->lock);
	return rc;
}

int vtd_drv_ir_set_remapped(struct vtd_drv *drv, uint16_t index, uint16_t rid, uint8_t vector,
			    uint32_t dest)
{
	/* prepare_irte() + set_msi_sid(): fixed, physical, edge; SVT_VERIFY_SID_SQ, SQ_ALL_16 */
	struct vtd_irte_info i = {
		.present = true,
		.vector = vector,
		.dest = dest,
		.dlm = 0,
		.sid = rid,
		.sq = VTD_SQ_ALL,
		.svt = VTD_SVT_SID,
	};

	if (!drv)
		return -EINVAL;
	return ir_modify(drv, index, &i);
}

int vtd_drv_ir_set_posted(struct vtd_drv *drv, uint16_t index, uint16_t rid, uint8_t vector,
			  uint64_t pi_desc, bool urg)
{
	struct vtd_irte_info i = {
		.present = true,
		.posted = true,
		.vector = vector,
		.pda = pi_desc,
		.urg = urg,
		.sid = rid,
		.sq = VTD_SQ_ALL,
		.svt = VTD_SVT_SID,
	};

	if (!drv || !pi_desc || (pi_desc & 63))
		return -EINVAL;
	return ir_modify(drv, index, &i);
}

void vtd_drv_ir_msi(uint16_t base, unsigned int sub, uint64_t *addr, uint32_t *data)
{
	vtd_msi_remappable(base, true, (uint16_t)sub, addr, data);
}
