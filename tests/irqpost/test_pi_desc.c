/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/irqpost pi_desc layout, atomic post and every KVM PI state transition. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "irqpost_internal.h"

/* bit helpers over the raw 64 bytes, independent of the struct */
static int raw_bit(const struct irqpost_pi_desc *p, unsigned bit)
{
	const uint8_t *b = (const uint8_t *)p;

	return (b[bit / 8] >> (bit % 8)) & 1;
}

static unsigned raw_field(const struct irqpost_pi_desc *p, unsigned lo, unsigned hi)
{
	unsigned v = 0;

	for (unsigned b = hi + 1; b-- > lo;)
		v = (v << 1) | (unsigned)raw_bit(p, b);
	return v;
}

struct notes {
	int n;
	uint8_t nv;
	uint32_t ndst;
};

static void note(uint8_t nv, uint32_t ndst, void *arg)
{
	struct notes *s = arg;

	s->n++;
	s->nv = nv;
	s->ndst = ndst;
}

static void test_layout(void **state)
{
	struct irqpost_pi_desc pi_desc;
	struct notes ns = { 0 };

	assert_int_equal(sizeof(struct irqpost_pi_desc), 64);
	assert_int_equal(_Alignof(struct irqpost_pi_desc), 64);
	assert_int_equal(offsetof(struct irqpost_pi_desc, pir), 0);
	assert_int_equal(offsetof(struct irqpost_pi_desc, control), 32);

	irqpost_pi_desc_init(&pi_desc);
	/* after init: NV (bits 279:272) = 0xf2, SN (bit 257) = 1, ON (bit 256) = 0 */
	assert_int_equal(raw_field(&pi_desc, 272, 279), 0xf2);
	assert_int_equal(raw_bit(&pi_desc, 257), 1);
	assert_int_equal(raw_bit(&pi_desc, 256), 0);

	/* PIR bit v is raw bit v */
	pi_desc.control &= ~(1ULL << IRQPOST_PI_DESC_SN_BIT);
	assert_int_equal(irqpost_pi_desc_post(&pi_desc, 0x31, note, &ns), 1);
	assert_int_equal(raw_bit(&pi_desc, 0x31), 1);
	assert_int_equal(raw_bit(&pi_desc, 0x30), 0);
	assert_int_equal(irqpost_pi_desc_post(&pi_desc, 255, note, &ns), 0);
	assert_int_equal(raw_bit(&pi_desc, 255), 1);
	assert_int_equal(raw_bit(&pi_desc, 256), 1); /* ON */

	/* NDST bits 319:288 */
	pi_desc.control = ((uint64_t)0xabcd1234 << 32);
	assert_int_equal(raw_field(&pi_desc, 288, 303), 0x1234);
	assert_int_equal(raw_field(&pi_desc, 304, 319), 0xabcd);
	assert_true(irqpost_pi_desc_ctl_ndst(pi_desc.control) == 0xabcd1234);
	assert_int_equal(irqpost_pi_desc_ctl_nv((uint64_t)0xf1 << 16), 0xf1);
	assert_true(irqpost_pi_desc_ctl_on(1));
	assert_false(irqpost_pi_desc_ctl_sn(1));
	assert_true(irqpost_pi_desc_ctl_sn(2));
}

static void test_ndst_encoding(void **state)
{
	assert_int_equal(irqpost_ndst_encode(3, false), 0x300);
	assert_int_equal(irqpost_ndst_encode(0xff, false), 0xff00);
	assert_int_equal(irqpost_ndst_encode(0x1ff, false), 0xff00); /* masked to 8 bits */
	assert_int_equal(irqpost_ndst_encode(3, true), 3);
	assert_true(irqpost_ndst_encode(0x12345678, true) == 0x12345678);
}

static void test_post_rules(void **state)
{
	struct irqpost_pi_desc pi_desc;
	struct notes ns = { 0 };
	uint64_t irr[4] = { 0 };

	irqpost_pi_desc_init(&pi_desc);
	/* SN=1: posted, no ON, no notification */
	assert_int_equal(irqpost_pi_desc_post(&pi_desc, 0x40, note, &ns), 0);
	assert_int_equal(ns.n, 0);
	assert_false(irqpost_pi_desc_ctl_on(irqpost_pi_desc_control(&pi_desc)));
	assert_true(irqpost_pi_desc_pir_pending(&pi_desc));
	/* SN=0: first post sets ON and notifies with NV/NDST, second does not */
	pi_desc.control = ((uint64_t)7 << 32) | ((uint64_t)0xf2 << 16);
	assert_int_equal(irqpost_pi_desc_post(&pi_desc, 0x41, note, &ns), 1);
	assert_int_equal(ns.n, 1);
	assert_int_equal(ns.nv, 0xf2);
	assert_int_equal(ns.ndst, 7);
	assert_int_equal(irqpost_pi_desc_post(&pi_desc, 0x42, note, &ns), 0);
	assert_int_equal(ns.n, 1);
	/* reserved vectors */
	assert_int_equal(irqpost_pi_desc_post(&pi_desc, 15, note, &ns), -EINVAL);
	/* sync: clears ON, moves 3 vectors, empties PIR */
	assert_int_equal(irqpost_pi_desc_sync_pir(&pi_desc, irr), 3);
	assert_true(irr[1] == (7ULL << 0));
	assert_false(irqpost_pi_desc_pir_pending(&pi_desc));
	assert_false(irqpost_pi_desc_ctl_on(irqpost_pi_desc_control(&pi_desc)));
	assert_int_equal(irqpost_pi_desc_ctl_nv(irqpost_pi_desc_control(&pi_desc)), 0xf2);
	assert_true(irqpost_pi_desc_ctl_ndst(irqpost_pi_desc_control(&pi_desc)) == 7);
	/* after sync the next post notifies again */
	assert_int_equal(irqpost_pi_desc_post(&pi_desc, 0x41, NULL, NULL), 1);
}

struct kicks {
	int wakeups, notifies;
};

static void kick(struct irqpost_pi_vcpu *v, bool wakeup, void *arg)
{
	struct kicks *k = arg;

	if (wakeup)
		k->wakeups++;
	else
		k->notifies++;
}

static void test_transitions(void **state)
{
	static const uint32_t apic[4] = { 0, 2, 4, 6 };
	struct irqpost_pi_host *h = irqpost_pi_host_create(4, false, apic);
	struct kicks k = { 0 };
	struct irqpost_pi_vcpu *v;
	uint64_t c, out[4] = { 0 };

	assert_non_null(h);
	v = irqpost_pi_vcpu_create(h, kick, &k);
	assert_non_null(v);
	assert_int_equal(irqpost_pi_vcpu_get_state(v), IRQPOST_VCPU_READY);
	assert_int_equal(irqpost_pi_vcpu_pcpu(v), -1);
	assert_int_equal(irqpost_pi_vcpu_put(v, false), -EINVAL); /* not running */
	assert_int_equal(irqpost_pi_vcpu_load(v, 4), -EINVAL);

	/* Running on pCPU 1: SN=0, NV=0xf2, NDST=xAPIC(2) */
	assert_int_equal(irqpost_pi_vcpu_load(v, 1), 0);
	c = irqpost_pi_desc_control(irqpost_pi_vcpu_pi_desc(v));
	assert_int_equal(irqpost_pi_vcpu_get_state(v), IRQPOST_VCPU_RUNNING);
	assert_false(irqpost_pi_desc_ctl_sn(c));
	assert_int_equal(irqpost_pi_desc_ctl_nv(c), IRQPOST_POSTED_INTR_VECTOR);
	assert_int_equal(irqpost_pi_desc_ctl_ndst(c), 0x200);
	/* a post while running notifies the running vCPU, no wakeup */
	assert_int_equal(irqpost_pi_post(v, 0x50), 1);
	assert_int_equal(k.notifies, 1);
	assert_int_equal(k.wakeups, 0);
	assert_int_equal(irqpost_pi_vcpu_deliver(v, out), 1);
	assert_true(out[1] == (1ULL << 0x10));

	/* Ready (preempted): SN=1; posts go to PIR silently */
	assert_int_equal(irqpost_pi_vcpu_put(v, false), 0);
	c = irqpost_pi_desc_control(irqpost_pi_vcpu_pi_desc(v));
	assert_int_equal(irqpost_pi_vcpu_get_state(v), IRQPOST_VCPU_READY);
	assert_true(irqpost_pi_desc_ctl_sn(c));
	assert_int_equal(irqpost_pi_desc_ctl_nv(c), IRQPOST_POSTED_INTR_VECTOR);
	assert_int_equal(irqpost_pi_post(v, 0x51), 0);
	assert_int_equal(k.notifies, 1);
	assert_false(irqpost_pi_desc_ctl_on(irqpost_pi_desc_control(irqpost_pi_vcpu_pi_desc(v))));

	/* Running again on pCPU 3: NDST updated, PIR non-empty -> ON + self-notify */
	assert_int_equal(irqpost_pi_vcpu_load(v, 3), 1);
	c = irqpost_pi_desc_control(irqpost_pi_vcpu_pi_desc(v));
	assert_false(irqpost_pi_desc_ctl_sn(c));
	assert_true(irqpost_pi_desc_ctl_on(c));
	assert_int_equal(irqpost_pi_desc_ctl_ndst(c), 0x600);
	assert_int_equal(k.notifies, 2);
	memset(out, 0, sizeof(out));
	assert_int_equal(irqpost_pi_vcpu_deliver(v, out), 1);
	assert_true(out[1] == (1ULL << 0x11));
	assert_false(irqpost_pi_desc_ctl_on(irqpost_pi_desc_control(irqpost_pi_vcpu_pi_desc(v))));

	/* Halted: on pCPU 3's wakeup list, NV=0xf1, SN stays 0 */
	assert_int_equal(irqpost_pi_vcpu_put(v, true), 0);
	c = irqpost_pi_desc_control(irqpost_pi_vcpu_pi_desc(v));
	assert_int_equal(irqpost_pi_vcpu_get_state(v), IRQPOST_VCPU_HALTED);
	assert_true(irqpost_pi_vcpu_on_wakeup_list(v));
	assert_int_equal(irqpost_pi_desc_ctl_nv(c), IRQPOST_POSTED_INTR_WAKEUP_VECTOR);
	assert_false(irqpost_pi_desc_ctl_sn(c));
	/* the wakeup handler of another pCPU does not touch it; with ON clear nobody is woken */
	assert_int_equal(irqpost_pi_wakeup_handler(h, 0), 0);
	assert_int_equal(irqpost_pi_wakeup_handler(h, 3), 0);
	/* a device post: ON + NV=0xf1 to NDST(pCPU 3) -> wakeup handler -> one wakeup */
	assert_int_equal(irqpost_pi_post(v, 0x60), 1);
	assert_int_equal(k.wakeups, 1);
	assert_int_equal(k.notifies, 2);
	/* a second post while ON is set: nothing more */
	assert_int_equal(irqpost_pi_post(v, 0x61), 0);
	assert_int_equal(k.wakeups, 1);
	/* handler run again (e.g. spurious) wakes listed vCPUs with ON set */
	assert_int_equal(irqpost_pi_wakeup_handler(h, 3), 1);
	assert_int_equal(k.wakeups, 2);
	assert_int_equal(irqpost_pi_wakeup_handler(h, 9), -EINVAL);

	/* scheduled in: off the list, NV back to 0xf2, both vectors delivered */
	assert_int_equal(irqpost_pi_vcpu_load(v, 3), 0); /* ON already set: no new notify */
	assert_false(irqpost_pi_vcpu_on_wakeup_list(v));
	c = irqpost_pi_desc_control(irqpost_pi_vcpu_pi_desc(v));
	assert_int_equal(irqpost_pi_desc_ctl_nv(c), IRQPOST_POSTED_INTR_VECTOR);
	memset(out, 0, sizeof(out));
	assert_int_equal(irqpost_pi_vcpu_deliver(v, out), 2);
	assert_true(out[1] == (3ULL << 0x20));

	/* halting with ON already set (posted just before NV changed) -> wakeup IPI */
	assert_int_equal(irqpost_pi_post(v, 0x70), 1); /* NV=0xf2: active notification */
	assert_int_equal(k.notifies, 3);
	assert_int_equal(irqpost_pi_vcpu_put(v, true), 1);
	assert_int_equal(k.wakeups, 3);
	assert_int_equal(irqpost_pi_vcpu_load(v, 0), 0); /* migrate to pCPU 0 */
	assert_int_equal(
		irqpost_pi_desc_ctl_ndst(irqpost_pi_desc_control(irqpost_pi_vcpu_pi_desc(v))), 0);
	assert_int_equal(irqpost_pi_vcpu_deliver(v, NULL), 1);

	/* two vCPUs on one pCPU list: the handler wakes only the one with ON */
	struct kicks k2 = { 0 };
	struct irqpost_pi_vcpu *w = irqpost_pi_vcpu_create(h, kick, &k2);

	assert_int_equal(irqpost_pi_vcpu_load(w, 0), 0);
	assert_int_equal(irqpost_pi_vcpu_put(w, true), 0);
	assert_int_equal(irqpost_pi_vcpu_put(v, true), 0);
	assert_int_equal(irqpost_pi_post(w, 0x80), 1);
	assert_int_equal(k2.wakeups, 1);
	assert_int_equal(k.wakeups, 3);
	/* destroying a listed vCPU unlinks it */
	irqpost_pi_vcpu_destroy(w);
	assert_int_equal(irqpost_pi_post(v, 0x81), 1);
	assert_int_equal(k.wakeups, 4);
	irqpost_pi_vcpu_destroy(v);
	irqpost_pi_host_destroy(h);
}

static void test_x2apic_host(void **state)
{
	static const uint32_t apic[2] = { 0x100, 0x20001 };
	struct irqpost_pi_host *h = irqpost_pi_host_create(2, true, apic);
	struct irqpost_pi_vcpu *v = irqpost_pi_vcpu_create(h, NULL, NULL);

	assert_non_null(v);
	assert_int_equal(irqpost_pi_vcpu_load(v, 1), 0);
	assert_true(irqpost_pi_desc_ctl_ndst(irqpost_pi_desc_control(irqpost_pi_vcpu_pi_desc(v))) ==
		    0x20001);
	irqpost_pi_vcpu_destroy(v);
	irqpost_pi_host_destroy(h);
	/* xAPIC ids above 255 do not exist */
	assert_null(irqpost_pi_host_create(2, false, apic));
	assert_null(irqpost_pi_host_create(0, true, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),	    cmocka_unit_test(test_ndst_encoding),
		cmocka_unit_test(test_post_rules),  cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_x2apic_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
