/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/irqpost: interrupt-driven receive vCPU model for benchmarks.
 *
 * POSTED follows the VT-d posted IRTE path (VT-d spec 5.2.3, 9.12) with KVM's vCPU
 * side from pi_desc.c: a device interrupt is an irqpost_pi_desc_post(); a RUNNING vCPU
 * takes it with no VMM involvement; a HALTED vCPU (NV = POSTED_INTR_WAKEUP_VECTOR,
 * on the pCPU wakeup list) is woken by pi_wakeup_handler() -> kvm_vcpu_wake_up().
 *
 * REMAPPED follows the VFIO + irqfd path: the host IRQ handler signals an eventfd
 * (drivers/vfio/pci/vfio_pci_intrs.c vfio_msihandler), KVM's irqfd wakeup injects
 * the MSI into the vCPU (virt/kvm/eventfd.c irqfd_wakeup -> kvm_set_msi) and kicks
 * it if it is blocked.  Here the "VMM" is one thread per vCPU fed through a
 * futex-based handoff; every interrupt costs one injection.
 *
 * Blocking uses Linux futexes (futex(2)) on 32-bit sequence counters; a waker bumps
 * the counter before FUTEX_WAKE so a wakeup between the check and the wait is never
 * lost (the wait returns EAGAIN).
 *
 * Where threads meet
 * ------------------
 * Threads: the guest lcore (irqpost_vcpu_halt*, irqpost_vcpu_poll: ONE thread per
 * vCPU), device threads (irqpost_device_interrupt: any number, any thread), and for
 * REMAPPED the vCPU's VMM thread (vmm_thread).  irqpost_vcpu_create/destroy run when
 * none of the others use the vCPU (destroy joins the VMM thread).
 *
 * Lock order: this file takes no lock.  The only locks of the model are the per-pCPU
 * wakeup-list mutexes in pi_desc.c (Linux wakeup_vcpus_on_cpu_lock), one level deep:
 * no path holds two list locks.  posted_kick() runs UNDER a list lock (called from the
 * wakeup handler), so a kick callback must not call back into irqpost_pi_* functions
 * that lock a list (load, put(blocking), wakeup_handler, vcpu_destroy); it only bumps
 * wake_seq and calls FUTEX_WAKE.
 *
 * Invariants (all shared words are accessed with __ATOMIC_SEQ_CST unless noted):
 *  - wake_seq: the guest reads it BEFORE announcing that it halts (POSTED: put(true)
 *    puts it on the wakeup list with NV = 0xf1; REMAPPED: halted = 1) and then waits
 *    for it to change; every waker increments it before FUTEX_WAKE.  A wakeup between
 *    the announcement and the wait is therefore never lost.
 *  - POSTED: a vCPU on a wakeup list has NV = 0xf1; irqpost_pi_vcpu_load() takes it off
 *    the list before switching NV back to 0xf2, and put(true) re-checks ON after
 *    switching NV, so a post that raced with the switch still wakes it (pi_desc.c).
 *  - REMAPPED device -> VMM: the device adds pend_count[vec], then sets the pend_bits
 *    bit, then reads vmm_sleeping; the VMM stores vmm_sleeping = 1, then re-reads
 *    pend_bits before sleeping on vmm_seq (read at the top of its loop).  One of the
 *    two always sees the other (store-then-load on both sides, SEQ_CST), so an
 *    interrupt never waits for the next one.  pend_count is exchanged to 0 only after
 *    its pend_bits bit was taken, so every counted interrupt is injected exactly once.
 *  - REMAPPED VMM -> guest: the guest sets halted = 1 and re-reads virr before
 *    waiting; the VMM ORs virr, then CASes halted 1 -> 0 and wakes: exactly one of the
 *    VMM or the guest's own CAS after the wait clears halted.
 *  - Counters (n_*) are monotonic relaxed atomics: a stats snapshot is per counter,
 *    not a consistent cut across counters.
 *  - g_host (all vCPUs' model host, MODEL_PCPUS pCPUs) is created once and lives until
 *    the process exits.
 *  - g_posted: POSTED vCPUs by descriptor, for irqpost_posted_interrupt() (the IOMMU's
 *    posted IRTE names a descriptor, not a vCPU). A vCPU is published after its pi_desc
 *    is loaded and unpublished at the start of destroy; as for irqpost_device_interrupt,
 *    no device may still post to a vCPU being destroyed (the caller stops the device,
 *    i.e. frees the IRTE, first).
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "irqpost_internal.h"

#define MODEL_PCPUS 1024

struct irqpost_vcpu {
	struct irqpost_pi_vcpu *pi; /* POSTED: pi_desc + KVM PI state */
	enum irqpost_delivery delivery;
	int pcpu;

	uint32_t wake_seq; /* futex word of the halted vCPU */
	int halted; /* REMAPPED: 1 while blocked in halt */

	/* REMAPPED: device -> VMM thread handoff */
	uint64_t virr[4]; /* IRR written by the VMM thread */
	uint64_t pend_bits[4]; /* vectors with pend_count > 0 */
	uint32_t pend_count[256];
	uint32_t vmm_seq; /* futex word of the VMM thread */
	int vmm_sleeping;
	int stop;
	pthread_t vmm;
	bool vmm_started;

	/* counters (atomic) */
	uint64_t n_interrupts, n_posted, n_notifications, n_vmm_wakeups, n_vmm_injections, n_halts,
		n_delivered;
};

static struct irqpost_pi_host *g_host;
static pthread_once_t g_host_once = PTHREAD_ONCE_INIT;

/* POSTED vCPUs by descriptor address, for irqpost_posted_interrupt(): a slot is
 * published (release) after the vCPU is ready and cleared before it is freed; the
 * device side scans with acquire loads. */
#define MODEL_POSTED_MAX 256
static struct irqpost_vcpu *g_posted[MODEL_POSTED_MAX];

static void host_init(void)
{
	/* One model host shared by every vCPU, x2APIC ids = pCPU numbers (like per_cpu). */
	g_host = irqpost_pi_host_create(MODEL_PCPUS, true, NULL);
}

static inline void add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static long futex_wait(uint32_t *addr, uint32_t val, const struct timespec *rel)
{
	return syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, rel, NULL, 0);
}

static void futex_wake(uint32_t *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void wake_vcpu(struct irqpost_vcpu *v)
{
	__atomic_fetch_add(&v->wake_seq, 1, __ATOMIC_SEQ_CST);
	futex_wake(&v->wake_seq);
}

/* kvm_vcpu_wake_up() from pi_wakeup_handler (wakeup=true); an active notification
 * (wakeup=false) reaches a running guest, which needs nothing from the VMM. */
static void posted_kick(struct irqpost_pi_vcpu *pi, bool wakeup, void *arg)
{
	struct irqpost_vcpu *v = arg;

	(void)pi;
	if (!wakeup)
		return;
	add(&v->n_vmm_wakeups, 1);
	wake_vcpu(v);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Wait until wake_seq != seen or the deadline passes (deadline 0 = forever).
 * Returns 0 woken, -ETIMEDOUT. */
static int wait_seq(uint32_t *word, uint32_t seen, uint64_t deadline)
{
	for (;;) {
		struct timespec rel, *prel = NULL;

		if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != seen)
			return 0;
		if (deadline) {
			uint64_t t = now_ns();

			if (t >= deadline)
				return -ETIMEDOUT;
			rel.tv_sec = (time_t)((deadline - t) / 1000000000ull);
			rel.tv_nsec = (long)((deadline - t) % 1000000000ull);
			prel = &rel;
		}
		futex_wait(word, seen, prel); /* EAGAIN / EINTR / ETIMEDOUT: re-check */
	}
}

static int take_virr(struct irqpost_vcpu *v, uint64_t out[4])
{
	int n = 0;

	for (int i = 0; i < 4; i++) {
		uint64_t w;

		if (__atomic_load_n(&v->virr[i], __ATOMIC_SEQ_CST) == 0)
			continue;
		w = __atomic_exchange_n(&v->virr[i], 0, __ATOMIC_SEQ_CST);
		if (out)
			out[i] |= w;
		n += __builtin_popcountll(w);
	}
	return n;
}

static bool virr_pending(struct irqpost_vcpu *v)
{
	for (int i = 0; i < 4; i++)
		if (__atomic_load_n(&v->virr[i], __ATOMIC_SEQ_CST))
			return true;
	return false;
}

/* The VMM thread of a REMAPPED vCPU: irqfd_wakeup -> kvm_set_msi -> kick. */
static void *vmm_thread(void *arg)
{
	struct irqpost_vcpu *v = arg;

	for (;;) {
		uint32_t seen = __atomic_load_n(&v->vmm_seq, __ATOMIC_SEQ_CST);
		bool any = false;

		for (int i = 0; i < 4; i++) {
			uint64_t bits;

			if (__atomic_load_n(&v->pend_bits[i], __ATOMIC_SEQ_CST) == 0)
				continue;
			bits = __atomic_exchange_n(&v->pend_bits[i], 0, __ATOMIC_SEQ_CST);
			while (bits) {
				int b = __builtin_ctzll(bits);
				unsigned vec = (unsigned)(i * 64 + b);
				uint32_t cnt;

				bits &= bits - 1;
				cnt = __atomic_exchange_n(&v->pend_count[vec], 0, __ATOMIC_SEQ_CST);
				if (cnt == 0)
					continue;
				/* one injection per interrupt (each eventfd signal runs irqfd_wakeup) */
				__atomic_fetch_or(&v->virr[vec >> 6], 1ULL << (vec & 63),
						  __ATOMIC_SEQ_CST);
				add(&v->n_vmm_injections, cnt);
				any = true;
			}
		}
		if (any) {
			int one = 1;

			/* kvm_vcpu_kick(): wake the vCPU only if it is blocked in HLT */
			if (__atomic_compare_exchange_n(&v->halted, &one, 0, false,
							__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
				add(&v->n_vmm_wakeups, 1);
				wake_vcpu(v);
			}
			continue;
		}
		if (__atomic_load_n(&v->stop, __ATOMIC_SEQ_CST))
			break;
		__atomic_store_n(&v->vmm_sleeping, 1, __ATOMIC_SEQ_CST);
		/* re-check after announcing sleep (pairs with device_interrupt) */
		bool pending = false;

		for (int i = 0; i < 4; i++)
			if (__atomic_load_n(&v->pend_bits[i], __ATOMIC_SEQ_CST))
				pending = true;
		if (!pending && !__atomic_load_n(&v->stop, __ATOMIC_SEQ_CST))
			wait_seq(&v->vmm_seq, seen, 0);
		__atomic_store_n(&v->vmm_sleeping, 0, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

struct irqpost_vcpu *irqpost_vcpu_create(enum irqpost_delivery d, int pcpu)
{
	struct irqpost_vcpu *v;
	int rc;

	if ((d != IRQPOST_POSTED && d != IRQPOST_REMAPPED) || pcpu < 0 || pcpu >= MODEL_PCPUS) {
		errno = EINVAL;
		return NULL;
	}
	pthread_once(&g_host_once, host_init);
	if (g_host == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->delivery = d;
	v->pcpu = pcpu;
	if (d == IRQPOST_POSTED) {
		v->pi = irqpost_pi_vcpu_create(g_host, posted_kick, v);
		if (v->pi == NULL) {
			free(v);
			return NULL;
		}
		irqpost_pi_vcpu_load(v->pi, pcpu); /* the guest lcore starts RUNNING */
		for (int i = 0; i < MODEL_POSTED_MAX; i++) {
			struct irqpost_vcpu *none = NULL;

			if (__atomic_compare_exchange_n(&g_posted[i], &none, v, false,
							__ATOMIC_RELEASE, __ATOMIC_RELAXED))
				break;
		}
	} else {
		rc = pthread_create(&v->vmm, NULL, vmm_thread, v);
		if (rc != 0) {
			free(v);
			errno = rc;
			return NULL;
		}
		v->vmm_started = true;
	}
	return v;
}

int irqpost_vcpu_poll(struct irqpost_vcpu *v, uint64_t vectors[4])
{
	int n;

	if (v == NULL)
		return -EINVAL;
	if (v->delivery == IRQPOST_POSTED)
		n = irqpost_pi_vcpu_deliver(v->pi, vectors);
	else
		n = take_virr(v, vectors);
	if (n > 0)
		add(&v->n_delivered, (uint64_t)n);
	return n;
}

static int halt_posted(struct irqpost_vcpu *v, uint64_t deadline, uint64_t vectors[4])
{
	for (;;) {
		uint32_t seen;
		int n, rc;

		/* kvm_vcpu_has_events(): pending posted interrupts mean no HLT at all */
		n = irqpost_pi_vcpu_deliver(v->pi, vectors);
		if (n > 0)
			return n;
		seen = __atomic_load_n(&v->wake_seq, __ATOMIC_SEQ_CST);
		add(&v->n_halts, 1);
		irqpost_pi_vcpu_put(v->pi, true); /* HALTED: NV=0xf1, on the wakeup list */
		rc = wait_seq(&v->wake_seq, seen, deadline);
		irqpost_pi_vcpu_load(v->pi, v->pcpu); /* RUNNING: NV=0xf2, off the list */
		n = irqpost_pi_vcpu_deliver(v->pi, vectors);
		if (n > 0)
			return n;
		if (rc == -ETIMEDOUT)
			return -ETIMEDOUT;
	}
}

static int halt_remapped(struct irqpost_vcpu *v, uint64_t deadline, uint64_t vectors[4])
{
	for (;;) {
		uint32_t seen;
		int n, rc, one = 1;

		n = take_virr(v, vectors);
		if (n > 0)
			return n;
		seen = __atomic_load_n(&v->wake_seq, __ATOMIC_SEQ_CST);
		__atomic_store_n(&v->halted, 1, __ATOMIC_SEQ_CST);
		if (virr_pending(v)) { /* injected between the check and HLT */
			__atomic_store_n(&v->halted, 0, __ATOMIC_SEQ_CST);
			continue;
		}
		add(&v->n_halts, 1);
		rc = wait_seq(&v->wake_seq, seen, deadline);
		__atomic_compare_exchange_n(&v->halted, &one, 0, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST);
		n = take_virr(v, vectors);
		if (n > 0)
			return n;
		if (rc == -ETIMEDOUT)
			return -ETIMEDOUT;
	}
}

int irqpost_vcpu_halt_vectors(struct irqpost_vcpu *v, uint64_t timeout_ns, uint64_t vectors[4])
{
	uint64_t deadline;
	int n;

	if (v == NULL)
		return -EINVAL;
	deadline = timeout_ns ? now_ns() + timeout_ns : 0;
	if (v->delivery == IRQPOST_POSTED)
		n = halt_posted(v, deadline, vectors);
	else
		n = halt_remapped(v, deadline, vectors);
	if (n > 0)
		add(&v->n_delivered, (uint64_t)n);
	return n;
}

int irqpost_vcpu_halt(struct irqpost_vcpu *v, uint64_t timeout_ns)
{
	return irqpost_vcpu_halt_vectors(v, timeout_ns, NULL);
}

uint64_t irqpost_vcpu_pi_desc_addr(const struct irqpost_vcpu *v)
{
	if (v == NULL || v->delivery != IRQPOST_POSTED)
		return 0;
	return (uint64_t)(uintptr_t)irqpost_pi_vcpu_pi_desc(v->pi);
}

int irqpost_posted_interrupt(uint64_t pi_desc, uint8_t vector)
{
	if (pi_desc == 0 || vector < 16)
		return -EINVAL;
	for (int i = 0; i < MODEL_POSTED_MAX; i++) {
		struct irqpost_vcpu *v = __atomic_load_n(&g_posted[i], __ATOMIC_ACQUIRE);

		if (v != NULL && (uint64_t)(uintptr_t)irqpost_pi_vcpu_pi_desc(v->pi) == pi_desc)
			return irqpost_device_interrupt(v, vector);
	}
	return -EINVAL;
}

int irqpost_device_interrupt(struct irqpost_vcpu *v, uint8_t vector)
{
	if (v == NULL || vector < 16)
		return -EINVAL;
	add(&v->n_interrupts, 1);
	if (v->delivery == IRQPOST_POSTED) {
		int r = irqpost_pi_post(v->pi, vector);

		add(&v->n_posted, 1);
		if (r == 1)
			add(&v->n_notifications, 1);
		return 0;
	}
	/* REMAPPED: the host IRQ handler signals the VMM (eventfd_signal in vfio) */
	__atomic_fetch_add(&v->pend_count[vector], 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&v->pend_bits[vector >> 6], 1ULL << (vector & 63), __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&v->vmm_sleeping, __ATOMIC_SEQ_CST)) {
		__atomic_fetch_add(&v->vmm_seq, 1, __ATOMIC_SEQ_CST);
		futex_wake(&v->vmm_seq);
	}
	return 0;
}

void irqpost_vcpu_stats(const struct irqpost_vcpu *v, struct irqpost_vcpu_stats *st)
{
	if (st == NULL)
		return;
	memset(st, 0, sizeof(*st));
	if (v == NULL)
		return;
	st->interrupts = __atomic_load_n(&v->n_interrupts, __ATOMIC_RELAXED);
	st->posted = __atomic_load_n(&v->n_posted, __ATOMIC_RELAXED);
	st->notifications = __atomic_load_n(&v->n_notifications, __ATOMIC_RELAXED);
	st->vmm_wakeups = __atomic_load_n(&v->n_vmm_wakeups, __ATOMIC_RELAXED);
	st->vmm_injections = __atomic_load_n(&v->n_vmm_injections, __ATOMIC_RELAXED);
	st->halts = __atomic_load_n(&v->n_halts, __ATOMIC_RELAXED);
	st->delivered = __atomic_load_n(&v->n_delivered, __ATOMIC_RELAXED);
}

const char *irqpost_delivery_name(enum irqpost_delivery d)
{
	return d == IRQPOST_POSTED ? "posted" : d == IRQPOST_REMAPPED ? "remapped" : "invalid";
}

void irqpost_vcpu_destroy(struct irqpost_vcpu *v)
{
	if (v == NULL)
		return;
	if (v->vmm_started) {
		__atomic_store_n(&v->stop, 1, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&v->vmm_seq, 1, __ATOMIC_SEQ_CST);
		futex_wake(&v->vmm_seq);
		pthread_join(v->vmm, NULL);
	}
	for (int i = 0; i < MODEL_POSTED_MAX; i++) {
		struct irqpost_vcpu *me = v;

		__atomic_compare_exchange_n(&g_posted[i], &me, NULL, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_RELAXED);
	}
	irqpost_pi_vcpu_destroy(v->pi);
	free(v);
}
