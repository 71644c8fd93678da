/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest-IOMMU emulation modes (Amit et al., "vIOMMU: Efficient IOMMU Emulation",
 * USENIX ATC 2011, section 3), as an iova_backend in front of a physical backend.
 *
 *   native            the guest owns the IOMMU: iova_mode_wrap() returns phys itself.
 *   trap-and-emulate  QEMU's intel-iommu with caching-mode=on. The guest driver keeps
 *                     its own VT-d second-level page table and a 256-entry queue of
 *                     128-bit invalidation descriptors in (guest) memory. Every write
 *                     of IQT is a synchronous exit: the guest thread hands the exit to a
 *                     VMM thread (futex handoff) and blocks until the VMM resumes it.
 *   sidecore          same guest structures, but the IQT write is a plain store into a
 *                     shared register page that a VMM thread on another core polls
 *                     (PAUSE loop); the guest spins on its wait-descriptor status word.
 *
 * The VMM side (vmm_process) is QEMU hw/i386/intel_iommu.c vtd_process_inv_desc():
 * each descriptor is decoded and checked with vtd_desc_decode() (a reserved bit or an
 * unknown type stops the queue with FSTS.IQE and IQH left at the bad descriptor, VT-d
 * 6.5.2.10); a page-selective IOTLB invalidation walks the guest page table over the
 * range and shadows it into phys (vtd_iotlb_page_invalidate -> vtd_sync_shadow_page_table
 * / vtd_address_space_unmap): present guest PTEs become phys->map, absent ones
 * phys->unmap + a physical invalidation; domain/global invalidations resync everything;
 * a wait descriptor first completes the physical invalidations, then writes the status
 * word into guest memory.
 *
 * Caching mode (CAP.CM=1): the guest must invalidate after map as well as after unmap,
 * because the shadow is only updated on invalidations. iova_be_caching_mode() tells the
 * strategies to do so for these wrappers.
 *
 * Mechanisms are real code paths: a real cross-thread round trip per exit, a real
 * polling thread, real descriptor parsing and page walks. The only modeled cost is the
 * optional vmexit_ns busy wait (default 0).
 *
 * THREADS, INVARIANTS AND LOCK ORDER (where the guest and the VMM thread meet)
 *  Two threads touch one struct emul: "guest" = any caller of the backend ops (the
 *  ctx calls them with its ctx lock held), and the one VMM thread.
 *  E1. Guest-owned: the guest page table (root, written with release stores), the
 *      queue slots q[] from IQT up to IQH, gtail, seq. Written only under glock.
 *      glock serialises guest callers (Linux qi->q_lock + the domain lock).
 *  E2. VMM-owned: the shadow hash, phys_inv_pending, st.shadow_*, st.descs*,
 *      st.waits_completed. Written only by the VMM thread (no lock: one writer).
 *      The physical backend is called only by the VMM thread while the wrapper lives.
 *  E3. Shared registers (struct gregs) are atomics: the guest publishes IQT with
 *      release after filling q[]; the VMM reads IQT with acquire, then q[]; it
 *      publishes IQH (release) and IQE in FSTS (release) after processing. The
 *      guest never writes IQH; the VMM never writes IQT.
 *  E4. A wait descriptor's status word is written (release) by the VMM only after
 *      every earlier descriptor, including the physical invalidations it caused,
 *      completed; the guest reads it with acquire. So "status == seq" means the
 *      shadow and the physical IOTLB reflect every guest PTE change before the wait.
 *  E5. Trap-and-emulate: the guest holds glock across the whole exit (req/done futex
 *      words, acq_rel), so the VMM runs only while one guest is blocked in it, like a
 *      vCPU in a VM exit. Sidecore: the VMM polls IQT and may run concurrently with a
 *      guest that rang without waiting (inv_flush(wait = false)).
 *  E6. iova_mode_get_stats() snapshots E2 counters under glock: exact in
 *      trap-and-emulate and after a wait; in sidecore with a doorbell in flight the
 *      VMM counters may be mid-update (statistics only, never used for control).
 *  Lock order: ctx lock -> glock -> (VMM thread, no emul lock) -> physical backend's
 *  locks (soft VT-d: domain mutex or driver mutex, never nested -> unit spinlock).
 *  The VMM thread
 *  never takes glock or the ctx lock, so the handoff cannot deadlock.
 */
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "iova_priv.h"
#include "iova_vtd.h"
#include "vtd_defs.h"

#define GUEST_DID 1
#define GUEST_QLEN 256 /* Linux QI_LENGTH */
#define GUEST_MAMV 18 /* QEMU VTD_MAMV */
#define PT_LEVELS 4 /* 48-bit, AW=2 */
#define PT_HAW 48
#define SPIN_YIELD (1u << 10) /* ~25 us of PAUSE before sched_yield() on an oversubscribed host */

/* ---------------------------------------------------------------------- */
/* Guest second-level page table (VT-d 9.8 format, 4 levels, 4 KiB leaves),  */
/* walked with the library's one walker (vtd_pgtable.c).                     */
/* ---------------------------------------------------------------------- */

typedef uint64_t pte_t;

#define pte_load vtd_pte_load
#define pte_store vtd_pte_store
#define pte_present vtd_pte_present

/* leaf slot of pfn; creates tables if create; NULL if absent / no memory */
static inline pte_t *pt_slot(pte_t *root, uint64_t pfn, bool create)
{
	int err = 0;

	return vtd_pt_slot(root, PT_LEVELS, pfn << IOVA_PAGE_SHIFT, 1, create, &err);
}

/* ---------------------------------------------------------------------- */
/* The emulated unit                                                       */
/* ---------------------------------------------------------------------- */

/* Guest-visible registers in one shared page (sidecore polls it; trap exits on IQT). */
struct gregs {
	_Atomic uint64_t iqt; /* VT-d 10.4.23, index << 4 */
	_Atomic uint64_t iqh; /* VT-d 10.4.22, written by the VMM */
	_Atomic uint32_t fsts; /* VT-d 10.4.9: IQE */
} __attribute__((aligned(64)));

struct shadow {
	struct iova_hnode node; /* key = iova pfn */
	uintptr_t host;
	int prot;
};

struct emul {
	struct iova_backend be; /* must be first: ops/priv/counters */
	enum iova_mode mode;
	struct iova_mode_params mp;
	struct iova_backend *phys;

	/* guest memory */
	pthread_mutex_t glock; /* guest driver lock (Linux qi->q_lock + domain lock) */
	pte_t *root;
	struct vtd_desc *q; /* GUEST_QLEN descriptors */
	unsigned int gtail; /* guest's next free slot */
	_Atomic uint32_t status __attribute__((aligned(64))); /* wait-descriptor status word */
	uint32_t seq;
	struct gregs regs;

	/* trap handoff (futex words) */
	_Atomic uint32_t req __attribute__((aligned(64)));
	_Atomic uint32_t done __attribute__((aligned(64)));

	/* VMM thread */
	pthread_t vmm;
	bool vmm_started;
	atomic_bool
		polled; /**< IOVA_VMM_POLLED sidecore: run by iova_backend_poll(); else by the waiting guest */
	_Atomic bool stop;
	struct iova_htab shadow; /* VMM only */
	bool phys_inv_pending; /* physical invalidations queued since the last phys wait */
	_Atomic uint64_t shadow_errors; /* physical map/unmap failures while shadowing */
	struct iova_mode_stats st;
};

static const struct iova_backend_ops emul_ops_trap, emul_ops_side;

static inline struct emul *E(struct iova_backend *b)
{
	return (struct emul *)b;
}

bool iova_mode_is_wrapper(const struct iova_backend *b)
{
	return b && (b->ops == &emul_ops_trap || b->ops == &emul_ops_side);
}

static long futex(_Atomic uint32_t *addr, int op, uint32_t val)
{
	return syscall(SYS_futex, (uint32_t *)addr, op, val, NULL, NULL, 0);
}

/* ---------------- VMM side ---------------- */

static void shadow_unmap_page(struct emul *e, struct shadow *s)
{
	uint64_t pfn = s->node.key;
	if (e->phys->ops->unmap(e->phys, pfn << IOVA_PAGE_SHIFT, IOVA_PAGE_SIZE) == 0)
		e->be.phys_unmaps++;
	else
		atomic_fetch_add_explicit(&e->shadow_errors, 1, memory_order_release);
	iova_htab_remove(&e->shadow, &s->node);
	free(s);
	e->st.shadow_unmaps++;
}

static int phys_inv(struct emul *e, uint64_t pfn, uint64_t npages)
{
	int rc = e->phys->ops->inv_queue(e->phys, pfn << IOVA_PAGE_SHIFT, npages);
	if (rc >= 0) {
		e->be.phys_invalidations += rc > 0 ? (uint64_t)rc : 1;
		e->phys_inv_pending = true;
	}
	return rc;
}

/* Make the shadow of pfn match guest PTE v (0 = not present). Returns 1 if a
 * physical mapping was removed (needs an invalidation). */
static int shadow_sync_page(struct emul *e, uint64_t pfn, pte_t v)
{
	struct iova_hnode *h = iova_htab_lookup(&e->shadow, pfn);
	struct shadow *s = h ? iova_container_of(h, struct shadow, node) : NULL;
	int removed = 0;
	if (pte_present(v)) {
		uintptr_t host = (uintptr_t)(v & VTD_PTE_ADDR_MASK(PT_HAW));
		int prot = ((v & VTD_PTE_R) ? IOVA_PROT_READ : 0) |
			   ((v & VTD_PTE_W) ? IOVA_PROT_WRITE : 0);
		if (s && s->host == host && s->prot == prot)
			return 0;
		if (s) { /* changed: replace (QEMU unmaps then maps) */
			shadow_unmap_page(e, s);
			removed = 1;
		}
		s = calloc(1, sizeof(*s));
		if (!s)
			return removed;
		if (e->phys->ops->map(e->phys, pfn << IOVA_PAGE_SHIFT, (void *)host, IOVA_PAGE_SIZE,
				      prot) != 0) {
			/* QEMU can only error_report() here; we also tell the guest driver
			 * through its next wait (see guest_submit_wait) */
			free(s);
			atomic_fetch_add_explicit(&e->shadow_errors, 1, memory_order_release);
			return removed;
		}
		e->be.phys_maps++;
		s->host = host;
		s->prot = prot;
		iova_htab_insert(&e->shadow, &s->node, pfn);
		e->st.shadow_maps++;
	} else if (s) {
		shadow_unmap_page(e, s);
		removed = 1;
	}
	return removed;
}

static void sync_present_cb(uint64_t pfn, pte_t v, unsigned int level, void *arg)
{
	(void)level; /* the guest driver (emul_map) writes 4 KiB leaves only */
	shadow_sync_page(arg, pfn, v);
}

struct stale_collect {
	struct emul *e;
	uint64_t s, end;
	struct shadow **v;
	size_t n, cap;
};

static void collect_gone(struct iova_hnode *h, void *arg)
{
	struct stale_collect *a = arg;
	uint64_t pfn = h->key;
	if (pfn < a->s || pfn >= a->end)
		return;
	pte_t *slot = pt_slot(a->e->root, pfn, false);
	if (slot && pte_present(pte_load(slot)))
		return;
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 64;
		struct shadow **nv = realloc(a->v, nc * sizeof(*nv));
		if (!nv)
			return;
		a->v = nv;
		a->cap = nc;
	}
	a->v[a->n++] = iova_container_of(h, struct shadow, node);
}

/* Resync [s, end) pfns with the guest table: replay present leaves, drop vanished ones. */
static void shadow_sync_range(struct emul *e, uint64_t s, uint64_t end, bool domain)
{
	if (!domain && end - s <= VTD_PT_ENTRIES) {
		/* page-selective: per-page walk, QEMU vtd_page_walk over the range */
		uint64_t lo = UINT64_MAX, hi = 0;
		for (uint64_t pfn = s; pfn < end; pfn++) {
			pte_t *slot = pt_slot(e->root, pfn, false);
			if (shadow_sync_page(e, pfn, slot ? pte_load(slot) : 0)) {
				lo = pfn < lo ? pfn : lo;
				hi = pfn + 1;
			}
		}
		if (hi)
			phys_inv(e, lo, hi - lo);
		return;
	}
	vtd_pt_walk(e->root, PT_LEVELS, s, end, sync_present_cb, e);
	struct stale_collect a = { .e = e, .s = s, .end = end };
	iova_htab_foreach(&e->shadow, collect_gone, &a);
	for (size_t i = 0; i < a.n; i++)
		shadow_unmap_page(e, a.v[i]);
	if (a.n)
		phys_inv(e, domain ? 0 : s, domain ? 0 : end - s);
	free(a.v);
}

/* Process guest descriptors from IQH to IQT (QEMU vtd_fetch_inv_desc loop). */
static void vmm_process(struct emul *e)
{
	uint64_t head =
		atomic_load_explicit(&e->regs.iqh, memory_order_relaxed) >> VTD_IQ_IDX_SHIFT;
	uint64_t tail =
		atomic_load_explicit(&e->regs.iqt, memory_order_acquire) >> VTD_IQ_IDX_SHIFT;
	if (atomic_load_explicit(&e->regs.fsts, memory_order_acquire) & VTD_FSTS_IQE)
		return; /* halted until the guest clears IQE */
	head %= GUEST_QLEN;
	tail %= GUEST_QLEN;
	while (head != tail) {
		struct vtd_desc d = e->q[head];
		struct vtd_desc_info in;
		bool bad = vtd_desc_decode(&d, &in) < 0;
		if (!bad) {
			switch (in.type) {
			case VTD_QI_TYPE_IOTLB:
				if (in.gran == VTD_QI_IOTLB_G_PAGE) {
					uint64_t pfn = in.addr >> IOVA_PAGE_SHIFT;
					/* QEMU: am > VTD_MAMV is an invalid descriptor; the address
					 * must be aligned to the mask (VT-d 6.5.2.3) */
					if (in.am > GUEST_MAMV || (pfn & ((1ull << in.am) - 1))) {
						bad = true;
						break;
					}
					if (in.did == GUEST_DID)
						shadow_sync_range(e, pfn, pfn + (1ull << in.am),
								  false);
				} else if (in.gran == VTD_QI_IOTLB_G_GLOBAL ||
					   in.did == GUEST_DID) {
					shadow_sync_range(e, 0, 1ull << (PT_HAW - IOVA_PAGE_SHIFT),
							  true);
				}
				break;
			case VTD_QI_TYPE_WAIT:
				/* Our guest memory is this process: only the guest's status word
				 * may be written, anything else would corrupt the host. */
				if (in.sw && in.status_addr != (uint64_t)(uintptr_t)&e->status) {
					bad = true;
					break;
				}
				if (e->phys_inv_pending) {
					e->phys->ops->inv_flush(e->phys, true);
					e->phys_inv_pending = false;
				}
				if (in.sw) {
					atomic_store_explicit(&e->status, in.status_data,
							      memory_order_release);
					e->st.waits_completed++;
				}
				break;
			case VTD_QI_TYPE_CC: /* one context: nothing cached to shadow */
			case VTD_QI_TYPE_DEV_IOTLB: /* no device-TLB (ECAP.DT=0 in practice) */
			case VTD_QI_TYPE_IEC: /* no interrupt remapping here */
				break;
			default:
				bad = true;
			}
		}
		if (bad) {
			e->st.descs_rejected++;
			atomic_store_explicit(&e->regs.iqh, head << VTD_IQ_IDX_SHIFT,
					      memory_order_release);
			atomic_fetch_or_explicit(&e->regs.fsts, VTD_FSTS_IQE, memory_order_release);
			return;
		}
		e->st.descs++;
		head = (head + 1) % GUEST_QLEN;
	}
	/* Invalidations without a wait: submit them anyway (hardware executes everything
	 * up to IQT); completion is only observable through a later wait. */
	if (e->phys_inv_pending)
		e->phys->ops->inv_flush(e->phys, false);
	atomic_store_explicit(&e->regs.iqh, head << VTD_IQ_IDX_SHIFT, memory_order_release);
}

static void pin_self(int cpu)
{
	if (cpu < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *vmm_trap_thread(void *arg)
{
	struct emul *e = arg;
	pin_self(e->mp.vmm_cpu);
	uint32_t handled = 0;
	for (;;) {
		uint32_t r = atomic_load_explicit(&e->req, memory_order_acquire);
		if (r == handled) {
			if (atomic_load(&e->stop))
				break;
			futex(&e->req, FUTEX_WAIT_PRIVATE, r);
			continue;
		}
		vmm_process(e); /* the exit handler */
		handled = r;
		atomic_store_explicit(&e->done, r, memory_order_release); /* VM entry */
		futex(&e->done, FUTEX_WAKE_PRIVATE, INT_MAX);
	}
	return NULL;
}

/* One sidecore round: process the guest's queue if its IQT moved. @return 1 if it did. */
static int side_round(struct emul *e)
{
	uint64_t t = atomic_load_explicit(&e->regs.iqt, memory_order_acquire);
	uint64_t h = atomic_load_explicit(&e->regs.iqh, memory_order_relaxed);

	if (t == h || (atomic_load_explicit(&e->regs.fsts, memory_order_acquire) & VTD_FSTS_IQE))
		return 0;
	vmm_process(e);
	return 1;
}

static void *vmm_side_thread(void *arg)
{
	struct emul *e = arg;
	pin_self(e->mp.vmm_cpu);
	unsigned int idle = 0;
	while (!atomic_load_explicit(&e->stop, memory_order_relaxed)) {
		if (side_round(e)) {
			idle = 0;
			continue;
		}
		iova_cpu_relax();
		if (++idle == SPIN_YIELD) { /* share a core politely when oversubscribed */
			idle = 0;
			sched_yield();
		}
	}
	return NULL;
}

/* ---------------- guest side ---------------- */

/* The guest writes IQT. Trap: synchronous exit to the VMM thread; sidecore: a store. */
static void guest_doorbell(struct emul *e)
{
	atomic_store_explicit(&e->regs.iqt, (uint64_t)e->gtail << VTD_IQ_IDX_SHIFT,
			      memory_order_release);
	e->st.doorbells++;
	if (e->mode != IOVA_MODE_TRAP_EMULATE)
		return;
	iova_spin_ns(e->mp.vmexit_ns); /* modeled exit + entry cost, default 0 */
	uint32_t r = atomic_fetch_add_explicit(&e->req, 1, memory_order_acq_rel) + 1;
	futex(&e->req, FUTEX_WAKE_PRIVATE, 1);
	uint32_t d;
	while ((d = atomic_load_explicit(&e->done, memory_order_acquire)) != r)
		futex(&e->done, FUTEX_WAIT_PRIVATE, d);
	e->be.exits++;
	e->st.exits++;
}

static bool guest_iqe(struct emul *e)
{
	return atomic_load_explicit(&e->regs.fsts, memory_order_acquire) & VTD_FSTS_IQE;
}

/* Linux qi_check_fault() in spirit: drop everything from the bad descriptor on,
 * clear IQE, report the error. */
static int guest_recover_iqe(struct emul *e)
{
	uint64_t h = atomic_load_explicit(&e->regs.iqh, memory_order_acquire);
	e->gtail = (unsigned int)(h >> VTD_IQ_IDX_SHIFT) % GUEST_QLEN;
	atomic_store_explicit(&e->regs.iqt, h, memory_order_release);
	atomic_fetch_and_explicit(&e->regs.fsts, ~(uint32_t)VTD_FSTS_IQE, memory_order_release);
	return -EIO;
}

/* Wait until the VMM consumed everything (sidecore) or failed. */
static int side_round(struct emul *e);

/* A sidecore made with IOVA_VMM_POLLED and not (or no longer) polled by a hardware thread
 * has nobody else to run it: the waiting guest runs a round itself (set-up, teardown). */
static inline void guest_inline_vmm(struct emul *e)
{
	if (e->mp.vmm_cpu == IOVA_VMM_POLLED &&
	    !atomic_load_explicit(&e->polled, memory_order_acquire))
		side_round(e);
}

static int guest_drain(struct emul *e)
{
	unsigned int spins = 0;
	while ((atomic_load_explicit(&e->regs.iqh, memory_order_acquire) >> VTD_IQ_IDX_SHIFT) !=
	       e->gtail) {
		if (guest_iqe(e))
			return guest_recover_iqe(e);
		guest_inline_vmm(e);
		iova_cpu_relax();
		if (++spins == SPIN_YIELD) {
			spins = 0;
			sched_yield();
		}
	}
	return guest_iqe(e) ? guest_recover_iqe(e) : 0;
}

static unsigned int guest_free_slots(struct emul *e)
{
	unsigned int h = (unsigned int)(atomic_load_explicit(&e->regs.iqh, memory_order_acquire) >>
					VTD_IQ_IDX_SHIFT) %
			 GUEST_QLEN;
	return GUEST_QLEN - 1 - ((e->gtail + GUEST_QLEN - h) % GUEST_QLEN);
}

/* Append one descriptor, keeping a slot for the wait descriptor. */
static int guest_push(struct emul *e, struct vtd_desc d)
{
	if (guest_free_slots(e) < 2) {
		guest_doorbell(e);
		int rc = guest_drain(e);
		if (rc < 0)
			return rc;
	}
	e->q[e->gtail] = d;
	e->gtail = (e->gtail + 1) % GUEST_QLEN;
	return 0;
}

/* Append a wait descriptor, ring, spin on the status word (Linux qi_submit_sync()). */
static int guest_submit_wait(struct emul *e)
{
	uint64_t errs = atomic_load_explicit(&e->shadow_errors, memory_order_acquire);
	uint32_t seq = ++e->seq;
	int rc = guest_push(e, vtd_desc_wait(seq, (uint64_t)(uintptr_t)&e->status, false));
	if (rc < 0)
		return rc;
	guest_doorbell(e);
	unsigned int spins = 0;
	while (atomic_load_explicit(&e->status, memory_order_acquire) != seq) {
		if (guest_iqe(e))
			return guest_recover_iqe(e);
		guest_inline_vmm(e);
		iova_cpu_relax();
		if (++spins == SPIN_YIELD) {
			spins = 0;
			sched_yield();
		}
	}
	/* A physical mapping the VMM could not make (e.g. VFIO refused the IOVA) would
	 * leave the device without a translation the guest believes exists: report it as
	 * an I/O error of this flush instead of failing silently later. */
	if (atomic_load_explicit(&e->shadow_errors, memory_order_acquire) != errs)
		return -EIO;
	return 0;
}

static int emul_map(struct iova_backend *b, uint64_t iova, void *host, size_t len, int prot)
{
	struct emul *e = E(b);
	if ((iova | (uintptr_t)host | len) & (IOVA_PAGE_SIZE - 1) || !len || !prot ||
	    iova + len > (1ull << PT_HAW))
		return -EINVAL;
	uint64_t pfn = iova >> IOVA_PAGE_SHIFT, n = len >> IOVA_PAGE_SHIFT;
	pthread_mutex_lock(&e->glock);
	int rc = 0;
	for (uint64_t i = 0; i < n; i++) {
		pte_t *slot = pt_slot(e->root, pfn + i, false);
		if (slot && pte_present(pte_load(slot))) {
			rc = -EEXIST;
			goto out;
		}
	}
	for (uint64_t i = 0; i < n; i++) {
		pte_t *slot = pt_slot(e->root, pfn + i, true);
		if (!slot) {
			while (i--)
				pte_store(pt_slot(e->root, pfn + i, false), 0);
			rc = -ENOMEM;
			goto out;
		}
		pte_store(slot, vtd_pte_leaf((uint64_t)(uintptr_t)host + (i << IOVA_PAGE_SHIFT),
					     prot, 0, 0));
	}
out:
	pthread_mutex_unlock(&e->glock);
	return rc;
}

static int emul_unmap(struct iova_backend *b, uint64_t iova, size_t len)
{
	struct emul *e = E(b);
	if ((iova | len) & (IOVA_PAGE_SIZE - 1) || !len)
		return -EINVAL;
	uint64_t pfn = iova >> IOVA_PAGE_SHIFT, n = len >> IOVA_PAGE_SHIFT;
	pthread_mutex_lock(&e->glock);
	int rc = 0;
	for (uint64_t i = 0; i < n && !rc; i++) {
		pte_t *slot = pt_slot(e->root, pfn + i, false);
		if (!slot || !pte_present(pte_load(slot)))
			rc = -ENOENT;
	}
	for (uint64_t i = 0; i < n && !rc; i++)
		pte_store(pt_slot(e->root, pfn + i, false), 0);
	pthread_mutex_unlock(&e->glock);
	return rc;
}

static int emul_inv_queue(struct iova_backend *b, uint64_t iova, uint64_t npages)
{
	struct emul *e = E(b);
	struct vtd_desc d;
	if (npages == 0) {
		d = vtd_desc_iotlb_domain(GUEST_DID);
	} else {
		/* Linux iommu_flush_iotlb_psi(): one descriptor whose aligned 2^AM block covers
		 * the range; domain-selective when that exceeds MAMV */
		uint64_t s = iova >> IOVA_PAGE_SHIFT, end = s + npages;
		unsigned int am = 0;
		while ((s >> am) != ((end - 1) >> am))
			am++;
		if (am > GUEST_MAMV)
			d = vtd_desc_iotlb_domain(GUEST_DID);
		else
			d = vtd_desc_iotlb_page(
				GUEST_DID, (s & ~((1ull << am) - 1)) << IOVA_PAGE_SHIFT, am, false);
	}
	pthread_mutex_lock(&e->glock);
	int rc = guest_push(e, d);
	pthread_mutex_unlock(&e->glock);
	return rc < 0 ? rc : 1;
}

static int emul_inv_flush(struct iova_backend *b, bool wait)
{
	struct emul *e = E(b);
	pthread_mutex_lock(&e->glock);
	int rc = 0;
	if (wait) {
		rc = guest_submit_wait(e);
	} else if ((atomic_load_explicit(&e->regs.iqt, memory_order_relaxed) >> VTD_IQ_IDX_SHIFT) !=
		   e->gtail) {
		guest_doorbell(e);
		if (guest_iqe(e))
			rc = guest_recover_iqe(e);
	}
	pthread_mutex_unlock(&e->glock);
	return rc;
}

static int emul_dma(struct iova_backend *b, uint64_t iova, size_t len, int access, void **host)
{
	struct emul *e = E(b);
	/* the device sits behind the physical IOMMU: only shadowed translations exist */
	if (!e->phys->ops->dma)
		return -ENOTSUP;
	return e->phys->ops->dma(e->phys, iova, len, access, host);
}

static void emul_free(struct emul *e)
{
	if (e->vmm_started) {
		atomic_store(&e->stop, true);
		atomic_fetch_add(&e->req, 1);
		futex(&e->req, FUTEX_WAKE_PRIVATE, INT_MAX);
		pthread_join(e->vmm, NULL);
	}
	/* drop the shadow bookkeeping; the physical mappings stay with phys */
	if (e->shadow.b) {
		for (size_t i = 0; i <= e->shadow.mask; i++) {
			struct iova_hnode *h = e->shadow.b[i];
			while (h) {
				struct iova_hnode *n = h->next;
				free(iova_container_of(h, struct shadow, node));
				h = n;
			}
		}
		iova_htab_fini(&e->shadow);
	}
	if (e->root)
		vtd_pt_free(e->root, PT_LEVELS);
	free(e->q);
	pthread_mutex_destroy(&e->glock);
	free(e);
}

struct iova_backend *iova_mode_phys(struct iova_backend *b)
{
	return iova_mode_is_wrapper(b) ? E(b)->phys : b;
}

struct iova_backend *iova_mode_unwrap(struct iova_backend *b)
{
	if (!iova_mode_is_wrapper(b))
		return b;
	struct emul *e = E(b);
	struct iova_backend *phys = e->phys;
	emul_free(e);
	return phys;
}

static void emul_destroy(struct iova_backend *b)
{
	struct iova_backend *phys = iova_mode_unwrap(b);
	if (phys && phys->ops->destroy)
		phys->ops->destroy(phys);
}

/* The hardware side from the caller's loop: a polled sidecore's round, then the physical unit. */
static int emul_poll(struct iova_backend *b)
{
	struct emul *e = b->priv;
	int n = 0, r;

	if (e->mode == IOVA_MODE_SIDECORE && e->mp.vmm_cpu == IOVA_VMM_POLLED)
		n = side_round(e);
	if (e->phys->ops->poll) {
		r = e->phys->ops->poll(e->phys);
		if (r > 0)
			n += r;
	}
	return n;
}

/* Stop the polling thread before turning polling off: a round must not run in two threads. */
static int emul_set_polled(struct iova_backend *b, bool on)
{
	struct emul *e = b->priv;

	atomic_store_explicit(&e->polled, on, memory_order_release);
	return e->phys->ops->set_polled ? e->phys->ops->set_polled(e->phys, on) : -ENOTSUP;
}

static const struct iova_backend_ops emul_ops_trap = {
	.name = "trap-and-emulate",
	.map = emul_map,
	.unmap = emul_unmap,
	.inv_queue = emul_inv_queue,
	.inv_flush = emul_inv_flush,
	.dma = emul_dma,
	.destroy = emul_destroy,
	.poll = emul_poll,
	.set_polled = emul_set_polled,
};

static const struct iova_backend_ops emul_ops_side = {
	.name = "sidecore",
	.map = emul_map,
	.unmap = emul_unmap,
	.inv_queue = emul_inv_queue,
	.inv_flush = emul_inv_flush,
	.dma = emul_dma,
	.destroy = emul_destroy,
	.poll = emul_poll,
	.set_polled = emul_set_polled,
};

struct iova_backend *iova_mode_wrap(enum iova_mode mode, const struct iova_mode_params *p,
				    struct iova_backend *phys)
{
	if (!phys || (unsigned int)mode > IOVA_MODE_SIDECORE) {
		errno = EINVAL;
		return NULL;
	}
	if (mode == IOVA_MODE_NATIVE)
		return phys;
	struct emul *e = aligned_alloc(64, (sizeof(*e) + 63) & ~(size_t)63);
	if (!e) {
		errno = ENOMEM;
		return NULL;
	}
	memset(e, 0, sizeof(*e));
	e->be.ops = mode == IOVA_MODE_TRAP_EMULATE ? &emul_ops_trap : &emul_ops_side;
	e->be.priv = e;
	e->mode = mode;
	if (p)
		e->mp = *p;
	else
		e->mp.vmm_cpu = -1;
	e->phys = phys;
	pthread_mutex_init(&e->glock, NULL);
	e->root = vtd_pt_alloc();
	e->q = aligned_alloc(VTD_PAGE_SIZE, GUEST_QLEN * sizeof(struct vtd_desc));
	int err = ENOMEM;
	if (!e->root || !e->q || iova_htab_init(&e->shadow, 1024) < 0)
		goto fail;
	memset(e->q, 0, GUEST_QLEN * sizeof(struct vtd_desc));
	if (mode == IOVA_MODE_SIDECORE && e->mp.vmm_cpu == IOVA_VMM_POLLED)
		return &e->be; /* no thread: the caller's loop runs the sidecore (iova_backend_poll) */
	if (e->mp.vmm_cpu < -1) {
		err = EINVAL; /* IOVA_VMM_POLLED is for the sidecore only */
		goto fail;
	}
	err = pthread_create(&e->vmm, NULL,
			     mode == IOVA_MODE_TRAP_EMULATE ? vmm_trap_thread : vmm_side_thread, e);
	if (err)
		goto fail;
	e->vmm_started = true;
	return &e->be;
fail:
	emul_free(e);
	errno = err;
	return NULL;
}

int iova_mode_get_stats(struct iova_backend *b, struct iova_mode_stats *st)
{
	if (!iova_mode_is_wrapper(b) || !st)
		return -EINVAL;
	struct emul *e = E(b);
	pthread_mutex_lock(&e->glock);
	*st = e->st;
	st->shadow_pages = e->shadow.count;
	st->shadow_errors = atomic_load(&e->shadow_errors);
	pthread_mutex_unlock(&e->glock);
	return 0;
}

int iova_mode_guest_submit_raw(struct iova_backend *b, const struct vtd_desc *d, unsigned int n)
{
	if (!iova_mode_is_wrapper(b) || (n && !d))
		return -EINVAL;
	struct emul *e = E(b);
	pthread_mutex_lock(&e->glock);
	int rc = 0;
	for (unsigned int i = 0; i < n && !rc; i++)
		rc = guest_push(e, d[i]);
	if (!rc)
		rc = guest_submit_wait(e);
	pthread_mutex_unlock(&e->glock);
	return rc;
}
