/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/irqpost interrupt-driven vCPU model: a device thread against the guest lcore. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "irqpost_internal.h"

#define N 1000

struct run {
	struct irqpost_vcpu *v;
	int halt; /* guest halts (1) or polls while running (0) */
	uint64_t consumed; /* interrupts the guest took, atomic */
	uint64_t bad; /* wrong vector delivered */
	int expect_vec;
};

/* device: raise one MSI-X at a time, wait until the guest took it */
static void *device(void *arg)
{
	struct run *r = arg;

	for (int i = 0; i < N; i++) {
		uint8_t vec = (uint8_t)(0x30 + (i % 16));

		__atomic_store_n(&r->expect_vec, vec, __ATOMIC_SEQ_CST);
		if (irqpost_device_interrupt(r->v, vec) !=
		    0) /* no cmocka asserts off the main thread */
			__atomic_fetch_add(&r->bad, 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&r->consumed, __ATOMIC_SEQ_CST) < (uint64_t)i + 1)
			sched_yield();
	}
	return NULL;
}

static void guest(struct run *r)
{
	while (__atomic_load_n(&r->consumed, __ATOMIC_SEQ_CST) < N) {
		uint64_t vecs[4] = { 0 };
		int n = r->halt ? irqpost_vcpu_halt_vectors(r->v, 5000000000ull, vecs) :
				  irqpost_vcpu_poll(r->v, vecs);

		assert_true(n >= 0); /* -ETIMEDOUT: an interrupt was lost */
		if (n == 0)
			continue;
		int want = __atomic_load_n(&r->expect_vec, __ATOMIC_SEQ_CST);

		if (n != 1 || !(vecs[want >> 6] & (1ULL << (want & 63))))
			r->bad++;
		__atomic_fetch_add(&r->consumed, (uint64_t)n, __ATOMIC_SEQ_CST);
	}
}

static void drive(enum irqpost_delivery d, int halt, struct irqpost_vcpu_stats *st)
{
	struct run r = { 0 };
	struct timespec t0, t1;
	pthread_t th;

	r.v = irqpost_vcpu_create(d, 1);
	assert_non_null(r.v);
	r.halt = halt;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pthread_create(&th, NULL, device, &r), 0);
	guest(&r);
	pthread_join(th, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(r.bad, 0);
	assert_true(r.consumed == N);
	irqpost_vcpu_stats(r.v, st);
	irqpost_vcpu_destroy(r.v);
	assert_true(st->interrupts == N);
	assert_true(st->delivered == N);
	/* informational: device -> guest round trip of the model on this machine */
	printf("%s/%s: %d interrupts, %.0f ns per round trip, halts %llu, VMM wakeups %llu, "
	       "VMM injections %llu\n",
	       irqpost_delivery_name(d), halt ? "halt" : "poll", N,
	       ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / N,
	       (unsigned long long)st->halts, (unsigned long long)st->vmm_wakeups,
	       (unsigned long long)st->vmm_injections);
}

static void test_posted_running(void **state)
{
	struct irqpost_vcpu_stats st;

	drive(IRQPOST_POSTED, 0, &st);
	assert_true(st.posted == N);
	/* a post racing with the guest's PIR sync may find ON still set: <= N */
	assert_true(st.notifications >= 1 && st.notifications <= N);
	assert_true(st.vmm_wakeups == 0); /* a running guest needs no VMM */
	assert_true(st.vmm_injections == 0);
	assert_true(st.halts == 0);
}

static void test_posted_halted(void **state)
{
	struct irqpost_vcpu_stats st;

	drive(IRQPOST_POSTED, 1, &st);
	assert_true(st.posted == N);
	assert_true(st.vmm_injections == 0);
	/* the VMM only wakes the halted vCPU: at most once per interrupt, and at least
	 * once per blocking halt that returned an interrupt */
	assert_true(st.vmm_wakeups <= N);
	assert_true(st.vmm_wakeups >= 1);
	assert_true(st.halts >= 1);
}

static void test_remapped(void **state)
{
	struct irqpost_vcpu_stats st;

	drive(IRQPOST_REMAPPED, 1, &st);
	assert_true(st.posted == 0);
	assert_true(st.notifications == 0);
	assert_true(st.vmm_injections == N); /* one VMM injection per interrupt */
	assert_true(st.vmm_wakeups <= N);
	drive(IRQPOST_REMAPPED, 0, &st);
	assert_true(st.vmm_injections == N);
	assert_true(st.vmm_wakeups == 0); /* never halted: nothing to wake */
}

static void test_coalesce_and_errors(void **state)
{
	struct irqpost_vcpu *v = irqpost_vcpu_create(IRQPOST_POSTED, 0);
	struct irqpost_vcpu_stats st;
	uint64_t vecs[4] = { 0 };

	assert_non_null(v);
	assert_int_equal(irqpost_vcpu_halt(v, 1000000), -ETIMEDOUT);
	assert_int_equal(irqpost_device_interrupt(v, 5), -EINVAL);
	/* three interrupts, two vectors, vCPU running: coalesced in PIR */
	assert_int_equal(irqpost_device_interrupt(v, 0x40), 0);
	assert_int_equal(irqpost_device_interrupt(v, 0x40), 0);
	assert_int_equal(irqpost_device_interrupt(v, 0x41), 0);
	assert_int_equal(irqpost_vcpu_halt_vectors(v, 0, vecs), 2); /* pending: no block */
	assert_true(vecs[1] == 3);
	irqpost_vcpu_stats(v, &st);
	assert_true(st.interrupts == 3 && st.posted == 3 && st.notifications == 1);
	assert_true(st.halts == 1); /* the timed-out one */
	irqpost_vcpu_destroy(v);

	assert_null(irqpost_vcpu_create(IRQPOST_POSTED, -1));
	assert_null(irqpost_vcpu_create(IRQPOST_POSTED, 1024));
	assert_null(irqpost_vcpu_create((enum irqpost_delivery)7, 0));
	assert_int_equal(irqpost_vcpu_halt(NULL, 0), -EINVAL);
	assert_string_equal(irqpost_delivery_name(IRQPOST_POSTED), "posted");
	assert_string_equal(irqpost_delivery_name(IRQPOST_REMAPPED), "remapped");
	irqpost_vcpu_destroy(NULL);

	v = irqpost_vcpu_create(IRQPOST_REMAPPED, 0);
	assert_int_equal(irqpost_vcpu_halt(v, 1000000), -ETIMEDOUT);
	irqpost_vcpu_destroy(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_posted_running),
		cmocka_unit_test(test_posted_halted),
		cmocka_unit_test(test_remapped),
		cmocka_unit_test(test_coalesce_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
