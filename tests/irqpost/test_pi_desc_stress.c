/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/irqpost PI stress: a poster thread (the IOMMU) against a vCPU thread cycling
 * Running / Ready / Halted (KVM's load / put / block).  Every vector is posted again
 * only after the guest consumed it, so each post must be delivered exactly once:
 * a lost interrupt shows as a vector stuck in flight (watchdog), a double delivery
 * as a vector delivered while not in flight.
 *
 * IRQPOST_STRESS_POSTS (default 10^7) sets the post count; IRQPOST_STRESS_SECONDS
 * (default 25) bounds the run: on 2 busy cores the poster stops early and the
 * test still checks every post it made.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "irqpost_internal.h"

#define VMIN 32
#define NVEC (256 - VMIN)
#define STUCK_NS (5ull * 1000000000ull)

static struct irqpost_pi_host *host;
static struct irqpost_pi_vcpu *vcpu;
static uint32_t wake_seq;
static int inflight[256];
static uint64_t posted[256], delivered[256];
static int poster_done, failed;
static uint64_t n_wakeups, n_notifies, n_halts, n_ready, dup_deliveries, n_post_wakeups;
static __thread int is_poster;
static char fail_msg[256];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(&failed, 1, __ATOMIC_SEQ_CST) == 0) {
		va_start(ap, fmt);
		vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
		va_end(ap);
	}
}

static void kick(struct irqpost_pi_vcpu *v, bool wakeup, void *arg)
{
	if (wakeup) {
		__atomic_fetch_add(&n_wakeups, 1, __ATOMIC_RELAXED);
		if (is_poster) /* a device post reached the wakeup handler (not the self-IPI) */
			__atomic_fetch_add(&n_post_wakeups, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&wake_seq, 1, __ATOMIC_SEQ_CST);
		syscall(SYS_futex, &wake_seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	} else {
		__atomic_fetch_add(&n_notifies, 1, __ATOMIC_RELAXED);
	}
}

static void consume(void)
{
	uint64_t out[4] = { 0 };

	if (irqpost_pi_vcpu_deliver(vcpu, out) == 0)
		return;
	for (int w = 0; w < 4; w++) {
		while (out[w]) {
			int v = w * 64 + __builtin_ctzll(out[w]);

			out[w] &= out[w] - 1;
			if (!__atomic_load_n(&inflight[v], __ATOMIC_SEQ_CST)) {
				dup_deliveries++;
				fail("vector %d delivered twice (or never posted)", v);
			}
			delivered[v]++;
			__atomic_store_n(&inflight[v], 0, __ATOMIC_SEQ_CST);
		}
	}
}

static void *vcpu_thread(void *arg)
{
	unsigned cycle = 0;

	(void)arg;
	irqpost_pi_vcpu_load(vcpu, 0);
	while (!__atomic_load_n(&failed, __ATOMIC_SEQ_CST)) {
		unsigned phase = cycle++ % 8;

		/* Running: the guest processes PIR (hardware would, on notification) */
		for (int i = 0; i < 16; i++)
			consume();
		if (phase < 5) {
			/* Ready: preempted for a moment, maybe migrated */
			irqpost_pi_vcpu_put(vcpu, false);
			n_ready++;
			sched_yield();
			irqpost_pi_vcpu_load(vcpu, (int)(cycle & 1));
			continue;
		}
		/* Halted.  One halt in 12 skips the last look at PIR, so interrupts posted
		 * (ON set, NV=0xf2) just before NV becomes 0xf1 must be caught by
		 * pi_enable_wakeup_handler()'s self wakeup IPI. */
		if (cycle % 32 != 7)
			consume();
		uint32_t seen = __atomic_load_n(&wake_seq, __ATOMIC_SEQ_CST);
		int cpu = irqpost_pi_vcpu_pcpu(vcpu);

		if (__atomic_load_n(&poster_done, __ATOMIC_SEQ_CST) &&
		    !irqpost_pi_desc_pir_pending(irqpost_pi_vcpu_pi_desc(vcpu)))
			break;
		irqpost_pi_vcpu_put(vcpu, true);
		n_halts++;
		uint64_t t0 = now_ns();

		while (__atomic_load_n(&wake_seq, __ATOMIC_SEQ_CST) == seen) {
			struct timespec rel = { 0, 100 * 1000 * 1000 };

			if (__atomic_load_n(&poster_done, __ATOMIC_SEQ_CST))
				break;
			syscall(SYS_futex, &wake_seq, FUTEX_WAIT_PRIVATE, seen, &rel, NULL, 0);
			if (now_ns() - t0 > STUCK_NS) {
				/* posted interrupts pending while halted and nobody woke us */
				if (irqpost_pi_desc_pir_pending(irqpost_pi_vcpu_pi_desc(vcpu)))
					fail("lost wakeup: PIR pending while halted on pCPU %d for 5 s",
					     cpu);
				break;
			}
		}
		irqpost_pi_vcpu_load(vcpu, cpu);
	}
	/* final drain: everything posted must be here now */
	irqpost_pi_vcpu_load(vcpu, 0);
	consume();
	return NULL;
}

int main(void)
{
	uint64_t target = 10000000, secs = 25, done = 0, t0, deadline;
	const char *e;
	pthread_t th;
	int v = VMIN;

	if ((e = getenv("IRQPOST_STRESS_POSTS")) != NULL)
		target = strtoull(e, NULL, 0);
	if ((e = getenv("IRQPOST_STRESS_SECONDS")) != NULL)
		secs = strtoull(e, NULL, 0);
	host = irqpost_pi_host_create(2, true, NULL);
	vcpu = irqpost_pi_vcpu_create(host, kick, NULL);
	if (host == NULL || vcpu == NULL) {
		fprintf(stderr, "pid_stress: cannot create the model\n");
		return 1;
	}
	t0 = now_ns();
	deadline = t0 + secs * 1000000000ull;
	is_poster = 1;
	if (pthread_create(&th, NULL, vcpu_thread, NULL) != 0)
		return 1;

	while (done < target && !__atomic_load_n(&failed, __ATOMIC_SEQ_CST)) {
		/* next vector not in flight */
		unsigned spins = 0;
		uint64_t tw = 0;

		while (__atomic_load_n(&inflight[v], __ATOMIC_SEQ_CST)) {
			v = v == 255 ? VMIN : v + 1;
			if (++spins % NVEC == 0) {
				sched_yield();
				if (tw == 0)
					tw = now_ns();
				else if (now_ns() - tw > STUCK_NS) {
					fail("lost interrupt: all vectors in flight for 5 s (vector %d)",
					     v);
					break;
				}
			}
		}
		if (__atomic_load_n(&failed, __ATOMIC_SEQ_CST))
			break;
		__atomic_store_n(&inflight[v], 1, __ATOMIC_SEQ_CST);
		posted[v]++;
		if (irqpost_pi_post(vcpu, (uint8_t)v) < 0)
			fail("post of vector %d failed", v);
		done++;
		v = v == 255 ? VMIN : v + 1;
		if ((done & 0xffff) == 0 && now_ns() > deadline)
			break;
	}
	__atomic_store_n(&poster_done, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&wake_seq, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &wake_seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	pthread_join(th, NULL);

	uint64_t tot_p = 0, tot_d = 0;
	int bad = 0;

	for (int i = 0; i < 256; i++) {
		tot_p += posted[i];
		tot_d += delivered[i];
		if (posted[i] != delivered[i]) {
			if (bad++ < 5)
				fprintf(stderr, "vector %d: posted %llu delivered %llu\n", i,
					(unsigned long long)posted[i],
					(unsigned long long)delivered[i]);
		}
	}
	double el = (double)(now_ns() - t0) / 1e9;

	printf("pid_stress: %llu posts (target %llu) in %.2f s, delivered %llu; halts %llu, "
	       "VMM wakeups %llu (%llu by posts), notifications %llu, preemptions %llu\n",
	       (unsigned long long)tot_p, (unsigned long long)target, el, (unsigned long long)tot_d,
	       (unsigned long long)n_halts, (unsigned long long)n_wakeups,
	       (unsigned long long)n_post_wakeups, (unsigned long long)n_notifies,
	       (unsigned long long)n_ready);
	irqpost_pi_vcpu_destroy(vcpu);
	irqpost_pi_host_destroy(host);
	if (failed) {
		fprintf(stderr, "FAIL: %s\n", fail_msg);
		return 1;
	}
	if (bad || tot_p != tot_d || tot_p != done) {
		fprintf(stderr, "FAIL: %d vectors with posted != delivered\n", bad);
		return 1;
	}
	/* halts must be ended by device posts through the wakeup vector, not only by
	 * self IPIs (that would mean ON is never cleared and nothing ever notifies) */
	if (tot_p == 0 || (n_halts > 100 && n_post_wakeups == 0)) {
		fprintf(stderr, "FAIL: no posts, or halts never woken by a post's wakeup vector\n");
		return 1;
	}
	return 0;
}
