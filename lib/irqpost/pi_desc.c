/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/irqpost: the Posted-Interrupt Descriptor and KVM's per-vCPU PI state machine.
 *
 * Layout: VT-d spec 9.12 "Posted Interrupt Descriptor", Linux
 * arch/x86/include/asm/posted_intr.h struct pi_desc (pir[4], control with ON bit 0,
 * SN bit 1, nv bits 23:16, ndst bits 63:32).
 * Post: VT-d spec 5.2.3 "Interrupt-Posting Hardware Operation" (OR the PIR bit, then
 * atomically set ON if ON==0 and SN==0 and send NV to NDST).
 * VMM side: Linux arch/x86/kvm/vmx/posted_intr.c vmx_vcpu_pi_load(),
 * vmx_vcpu_pi_put(), pi_enable_wakeup_handler(), pi_wakeup_handler(); sync:
 * vmx.c vmx_sync_pir_to_irr() (pi_clear_on, then xchg of each PIR word).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "irqpost_internal.h"

_Static_assert(sizeof(struct irqpost_pi_desc) == 64, "pi_desc must be 64 bytes");
_Static_assert(_Alignof(struct irqpost_pi_desc) == 64, "pi_desc must be 64-byte aligned");
_Static_assert(offsetof(struct irqpost_pi_desc, control) == 32,
	       "control word is pi_desc bits 319:256");

#define ON_MASK (1ULL << IRQPOST_PI_DESC_ON_BIT)
#define SN_MASK (1ULL << IRQPOST_PI_DESC_SN_BIT)
#define NV_MASK (0xffULL << IRQPOST_PI_DESC_NV_SHIFT)
#define NDST_MASK (0xffffffffULL << IRQPOST_PI_DESC_NDST_SHIFT)

uint32_t irqpost_ndst_encode(uint32_t apicid, bool x2apic)
{
	return x2apic ? apicid : ((apicid << 8) & 0xff00u);
}

bool irqpost_pi_desc_ctl_on(uint64_t c)
{
	return c & ON_MASK;
}
bool irqpost_pi_desc_ctl_sn(uint64_t c)
{
	return c & SN_MASK;
}
uint8_t irqpost_pi_desc_ctl_nv(uint64_t c)
{
	return (uint8_t)(c >> IRQPOST_PI_DESC_NV_SHIFT);
}
uint32_t irqpost_pi_desc_ctl_ndst(uint64_t c)
{
	return (uint32_t)(c >> IRQPOST_PI_DESC_NDST_SHIFT);
}

static inline uint64_t ctl_set_nv(uint64_t c, uint8_t nv)
{
	return (c & ~NV_MASK) | ((uint64_t)nv << IRQPOST_PI_DESC_NV_SHIFT);
}

static inline uint64_t ctl_set_ndst(uint64_t c, uint32_t ndst)
{
	return (c & ~NDST_MASK) | ((uint64_t)ndst << IRQPOST_PI_DESC_NDST_SHIFT);
}

void irqpost_pi_desc_init(struct irqpost_pi_desc *pi_desc)
{
	memset(pi_desc, 0, sizeof(*pi_desc));
	__atomic_store_n(&pi_desc->control, ctl_set_nv(SN_MASK, IRQPOST_POSTED_INTR_VECTOR),
			 __ATOMIC_SEQ_CST);
}

uint64_t irqpost_pi_desc_control(const struct irqpost_pi_desc *pi_desc)
{
	return __atomic_load_n(&pi_desc->control, __ATOMIC_SEQ_CST);
}

/* pi_try_set_control(): one 64-bit CAS; on failure *old is refreshed. */
static inline bool ctl_cas(struct irqpost_pi_desc *pi_desc, uint64_t *old, uint64_t new)
{
	return __atomic_compare_exchange_n(&pi_desc->control, old, new, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

int irqpost_pi_desc_post(struct irqpost_pi_desc *pi_desc, uint8_t vector, irqpost_notify_fn notify,
			 void *arg)
{
	uint64_t old, new;

	if (vector < 16) /* vectors 0-15 are reserved (SDM vol. 3 10.5.2) */
		return -EINVAL;
	__atomic_fetch_or(&pi_desc->pir[vector >> 6], 1ULL << (vector & 63), __ATOMIC_SEQ_CST);
	old = __atomic_load_n(&pi_desc->control, __ATOMIC_SEQ_CST);
	do {
		if (old & (ON_MASK | SN_MASK))
			return 0; /* outstanding notification, or suppressed */
		new = old | ON_MASK;
	} while (!ctl_cas(pi_desc, &old, new));
	if (notify != NULL)
		notify(irqpost_pi_desc_ctl_nv(new), irqpost_pi_desc_ctl_ndst(new), arg);
	return 1;
}

bool irqpost_pi_desc_pir_pending(const struct irqpost_pi_desc *pi_desc)
{
	for (int i = 0; i < 4; i++)
		if (__atomic_load_n(&pi_desc->pir[i], __ATOMIC_SEQ_CST) != 0)
			return true;
	return false;
}

int irqpost_pi_desc_sync_pir(struct irqpost_pi_desc *pi_desc, uint64_t irr[4])
{
	uint64_t old = __atomic_load_n(&pi_desc->control, __ATOMIC_SEQ_CST);
	int n = 0;

	/* vmx_sync_pir_to_irr(): PIR is read only when ON is set (a PIR bit without ON
	 * waits for the ON that its post or the next vmx_vcpu_pi_load() sets).
	 * pi_clear_on() first: a post racing with the xchg below sets ON again and
	 * notifies, so nothing is left in PIR without ON. */
	for (;;) {
		if (!(old & ON_MASK))
			return 0;
		if (ctl_cas(pi_desc, &old, old & ~ON_MASK))
			break;
	}
	for (int i = 0; i < 4; i++) {
		uint64_t w;

		if (__atomic_load_n(&pi_desc->pir[i], __ATOMIC_RELAXED) == 0)
			continue;
		w = __atomic_exchange_n(&pi_desc->pir[i], 0, __ATOMIC_SEQ_CST);
		irr[i] |= w;
		n += __builtin_popcountll(w);
	}
	return n;
}

/* ---------------------------------------------------------------------- */
/* Host model: per-pCPU wakeup lists (posted_intr.c wakeup_vcpus_on_cpu).   */

struct pcpu_list {
	pthread_mutex_t lock; /* wakeup_vcpus_on_cpu_lock */
	struct irqpost_pi_vcpu *head;
};

struct irqpost_pi_host {
	unsigned npcpus;
	bool x2apic;
	uint32_t *ndst; /* NDST encoding of each pCPU */
	struct pcpu_list *lists;
};

struct irqpost_pi_vcpu {
	struct irqpost_pi_desc pi_desc; /* first: keeps the 64-byte alignment */
	uint64_t virr[4]; /* virtual APIC IRR */
	struct irqpost_pi_host *host;
	int state; /* enum irqpost_vcpu_state, atomic */
	int cpu; /* pCPU of the last load, -1 never */
	int wakeup_cpu; /* list it is on, -1 none (under that list's lock) */
	struct irqpost_pi_vcpu *next, *prev;
	irqpost_kick_fn kick;
	void *kick_arg;
};

struct irqpost_pi_host *irqpost_pi_host_create(unsigned npcpus, bool x2apic,
					       const uint32_t *apicids)
{
	struct irqpost_pi_host *h;

	if (npcpus == 0 || npcpus > 65536) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->npcpus = npcpus;
	h->x2apic = x2apic;
	h->ndst = calloc(npcpus, sizeof(*h->ndst));
	h->lists = calloc(npcpus, sizeof(*h->lists));
	if (h->ndst == NULL || h->lists == NULL) {
		free(h->ndst);
		free(h->lists);
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	for (unsigned i = 0; i < npcpus; i++) {
		uint32_t id = apicids ? apicids[i] : i;

		if (!x2apic && id > 0xff) {
			free(h->ndst);
			free(h->lists);
			free(h);
			errno = EINVAL; /* xAPIC ids are 8 bits */
			return NULL;
		}
		h->ndst[i] = irqpost_ndst_encode(id, x2apic);
		pthread_mutex_init(&h->lists[i].lock, NULL);
	}
	return h;
}

void irqpost_pi_host_destroy(struct irqpost_pi_host *h)
{
	if (h == NULL)
		return;
	for (unsigned i = 0; i < h->npcpus; i++)
		pthread_mutex_destroy(&h->lists[i].lock);
	free(h->ndst);
	free(h->lists);
	free(h);
}

static int pcpu_of_ndst(const struct irqpost_pi_host *h, uint32_t ndst)
{
	for (unsigned i = 0; i < h->npcpus; i++)
		if (h->ndst[i] == ndst)
			return (int)i;
	return -1;
}

struct irqpost_pi_vcpu *irqpost_pi_vcpu_create(struct irqpost_pi_host *h, irqpost_kick_fn kick,
					       void *arg)
{
	struct irqpost_pi_vcpu *v;

	if (h == NULL) {
		errno = EINVAL;
		return NULL;
	}
	v = aligned_alloc(64, (sizeof(*v) + 63) & ~(size_t)63);
	if (v == NULL)
		return NULL;
	memset(v, 0, sizeof(*v));
	irqpost_pi_desc_init(&v->pi_desc);
	v->host = h;
	v->state = IRQPOST_VCPU_READY;
	v->cpu = -1;
	v->wakeup_cpu = -1;
	v->kick = kick;
	v->kick_arg = arg;
	return v;
}

static void wakeup_list_del(struct irqpost_pi_vcpu *v)
{
	int c = __atomic_load_n(&v->wakeup_cpu, __ATOMIC_SEQ_CST);
	struct pcpu_list *l;

	if (c < 0)
		return;
	l = &v->host->lists[c];
	pthread_mutex_lock(&l->lock);
	if (v->prev)
		v->prev->next = v->next;
	else
		l->head = v->next;
	if (v->next)
		v->next->prev = v->prev;
	v->next = v->prev = NULL;
	__atomic_store_n(&v->wakeup_cpu, -1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&l->lock);
}

void irqpost_pi_vcpu_destroy(struct irqpost_pi_vcpu *v)
{
	if (v == NULL)
		return;
	wakeup_list_del(v);
	free(v);
}

int irqpost_pi_vcpu_load(struct irqpost_pi_vcpu *v, int pcpu)
{
	uint64_t old, new;
	uint32_t dest;

	if (v == NULL || pcpu < 0 || (unsigned)pcpu >= v->host->npcpus)
		return -EINVAL;
	/* vmx_vcpu_pi_load(): a vCPU that blocked is on a wakeup list with NV=0xf1;
	 * take it off before switching NV back, so the handler never sees it with 0xf2. */
	if (irqpost_pi_desc_ctl_nv(irqpost_pi_desc_control(&v->pi_desc)) ==
		    IRQPOST_POSTED_INTR_WAKEUP_VECTOR ||
	    __atomic_load_n(&v->wakeup_cpu, __ATOMIC_SEQ_CST) >= 0)
		wakeup_list_del(v);

	dest = v->host->ndst[pcpu];
	old = irqpost_pi_desc_control(&v->pi_desc);
	do {
		new = ctl_set_ndst(old, dest);
		new = ctl_set_nv(new, IRQPOST_POSTED_INTR_VECTOR);
		new &= ~SN_MASK;
	} while (!ctl_cas(&v->pi_desc, &old, new));
	v->cpu = pcpu;
	__atomic_store_n(&v->state, IRQPOST_VCPU_RUNNING, __ATOMIC_SEQ_CST);

	/* "Clear SN before reading the bitmap": posts that saw SN=1 left PIR bits
	 * without ON; set ON now and self-notify so they are processed on entry. */
	if (irqpost_pi_desc_pir_pending(&v->pi_desc)) {
		old = irqpost_pi_desc_control(&v->pi_desc);
		while (!(old & ON_MASK)) {
			if (ctl_cas(&v->pi_desc, &old, old | ON_MASK)) {
				if (v->kick)
					v->kick(v, false, v->kick_arg);
				return 1;
			}
		}
	}
	return 0;
}

int irqpost_pi_vcpu_put(struct irqpost_pi_vcpu *v, bool blocking)
{
	uint64_t old, new;
	struct pcpu_list *l;

	if (v == NULL || __atomic_load_n(&v->state, __ATOMIC_SEQ_CST) != IRQPOST_VCPU_RUNNING)
		return -EINVAL;
	if (!blocking) {
		/* pi_set_sn(): preempted, hardware keeps posting into PIR silently */
		old = irqpost_pi_desc_control(&v->pi_desc);
		while (!ctl_cas(&v->pi_desc, &old, old | SN_MASK))
			;
		__atomic_store_n(&v->state, IRQPOST_VCPU_READY, __ATOMIC_SEQ_CST);
		return 0;
	}
	/* pi_enable_wakeup_handler() */
	l = &v->host->lists[v->cpu];
	pthread_mutex_lock(&l->lock);
	v->prev = NULL;
	v->next = l->head;
	if (l->head)
		l->head->prev = v;
	l->head = v;
	__atomic_store_n(&v->wakeup_cpu, v->cpu, __ATOMIC_SEQ_CST);
	__atomic_store_n(&v->state, IRQPOST_VCPU_HALTED, __ATOMIC_SEQ_CST);
	old = irqpost_pi_desc_control(&v->pi_desc);
	do
		new = ctl_set_nv(old, IRQPOST_POSTED_INTR_WAKEUP_VECTOR);
	while (!ctl_cas(&v->pi_desc, &old, new));
	pthread_mutex_unlock(&l->lock);

	/* "Send a wakeup IPI to this CPU if an interrupt may have been posted before
	 * the notification vector was updated": ON was already set with NV=0xf2. */
	if (new &ON_MASK) {
		irqpost_pi_wakeup_handler(v->host, v->cpu);
		return 1;
	}
	return 0;
}

int irqpost_pi_wakeup_handler(struct irqpost_pi_host *h, int pcpu)
{
	struct irqpost_pi_vcpu *v;
	struct pcpu_list *l;
	int n = 0;

	if (h == NULL || pcpu < 0 || (unsigned)pcpu >= h->npcpus)
		return -EINVAL;
	l = &h->lists[pcpu];
	pthread_mutex_lock(&l->lock);
	for (v = l->head; v != NULL; v = v->next) {
		if (irqpost_pi_desc_ctl_on(irqpost_pi_desc_control(&v->pi_desc))) {
			if (v->kick)
				v->kick(v, true, v->kick_arg);
			n++;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return n;
}

static void model_notify(uint8_t nv, uint32_t ndst, void *arg)
{
	struct irqpost_pi_vcpu *v = arg;
	int pcpu;

	if (nv == IRQPOST_POSTED_INTR_WAKEUP_VECTOR) {
		pcpu = pcpu_of_ndst(v->host, ndst);
		if (pcpu >= 0)
			irqpost_pi_wakeup_handler(v->host, pcpu);
	} else if (nv == IRQPOST_POSTED_INTR_VECTOR) {
		/* Active notification: a running guest processes PIR without an exit. */
		if (v->kick)
			v->kick(v, false, v->kick_arg);
	}
}

int irqpost_pi_post(struct irqpost_pi_vcpu *v, uint8_t vector)
{
	if (v == NULL)
		return -EINVAL;
	return irqpost_pi_desc_post(&v->pi_desc, vector, model_notify, v);
}

int irqpost_pi_vcpu_deliver(struct irqpost_pi_vcpu *v, uint64_t out[4])
{
	int n = 0;

	if (v == NULL)
		return -EINVAL;
	irqpost_pi_desc_sync_pir(&v->pi_desc, v->virr);
	for (int i = 0; i < 4; i++) {
		uint64_t w = v->virr[i];

		if (w == 0)
			continue;
		v->virr[i] = 0;
		if (out)
			out[i] |= w;
		n += __builtin_popcountll(w);
	}
	return n;
}

enum irqpost_vcpu_state irqpost_pi_vcpu_get_state(const struct irqpost_pi_vcpu *v)
{
	return (enum irqpost_vcpu_state)__atomic_load_n(&v->state, __ATOMIC_SEQ_CST);
}

int irqpost_pi_vcpu_pcpu(const struct irqpost_pi_vcpu *v)
{
	return v->cpu;
}

struct irqpost_pi_desc *irqpost_pi_vcpu_pi_desc(struct irqpost_pi_vcpu *v)
{
	return &v->pi_desc;
}

bool irqpost_pi_vcpu_on_wakeup_list(const struct irqpost_pi_vcpu *v)
{
	return __atomic_load_n(&v->wakeup_cpu, __ATOMIC_SEQ_CST) >= 0;
}
