/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file main.c
 * vfapp: an IPv4 forwarding appliance between two DPDK ports whose packet
 * buffers are DMA-mapped per buffer through lib/iova, plus built-in
 * netperf-like endpoints (TCP_STREAM, UDP_RR) and a forwarding rate test.
 *
 *   vfapp [EAL options] -- [vfapp options]     (see --help)
 *
 * This file is the run: EAL, the measured interval and the run loop.  Options are in
 * options.c, the wiring in setup.c, the JSON record and its schema in record.c, the
 * second core's loops (endpoints, device core) in cores.c.
 */
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "state.h"

static void on_signal(int sig)
{
	(void)sig;
	vfapp_quit = 1;
}

/** Involuntary context switches of the calling thread so far (getrusage RUSAGE_THREAD). */
static uint64_t thread_preemptions(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_THREAD, &ru) == 0 ? (uint64_t)ru.ru_nivcsw : 0;
}

/* Device and IOMMU counters the record reports as deltas over the measured interval. */
static void snap_devices(struct vfapp_state *s, struct vfdev_stats *vf, struct vtd_soft_stats *vtd)
{
	for (unsigned int p = 0; p < VFAPP_NB_PORTS; p++)
		if (s->topo.vf[p] != NULL)
			vfdev_get_stats(s->topo.vf[p], &vf[p]);
	if (s->phys != NULL && iova_backend_soft_unit(s->phys) != NULL) {
		vtd_soft_get_stats(iova_backend_soft_unit(s->phys), vtd);
		s->have_vtd = true;
	}
}

static void measure_start(struct vfapp_state *s, uint64_t now)
{
	/* the warm-up's counters are kept apart, then the measured interval starts at 0 */
	vfapp_workers_totals(s, &s->warm_tot);
	s->warm_complete = true;
	vfapp_ports_snapshot(&s->app, &s->hw0);
	vfapp_appliance_reset_stats(&s->app);
	__atomic_add_fetch(&s->lc_epoch, 1, __ATOMIC_RELEASE); /* workers zero their own */
	snap_devices(s, s->vf0, &s->vtd0);
	s->busy_cycles = s->busy_iters = 0;
	s->busy_clean_cycles = s->busy_clean_pkts = s->busy_preempted = 0;
	s->nivcsw = thread_preemptions();
	iova_hist_reset(&s->busy_hist);
	if (s->ctx != NULL)
		iova_ctx_reset_stats(s->ctx);
	if (s->app.vcpu != NULL)
		irqpost_vcpu_stats(s->app.vcpu, &s->vs0);
	s->t_start = now;
	s->started = true;
}

static void measure_stop(struct vfapp_state *s, uint64_t now)
{
	if (s->stopped)
		return;
	if (!s->started) {
		/* stopped (signal) before the warm-up ended: the counters hold every packet since
		 * the first, measured from the start of the run */
		s->t_start = s->t_run0;
		s->started = true;
	}
	s->t_stop = now;
	vfapp_ports_snapshot(&s->app, &s->hw1);
	s->stopped = true;
	vfapp_workers_stop(s);
	vfapp_appliance_totals(&s->app, &s->tot);
	snap_devices(s, s->vf1, &s->vtd1);
	if (s->ctx != NULL)
		iova_ctx_get_stats(s->ctx, &s->iova_st);
	if (s->app.vcpu != NULL)
		irqpost_vcpu_stats(s->app.vcpu, &s->vs1);
}

static void appliance_idle(struct vfapp_state *s)
{
	/* HLT until the device's MSI-X arrives (bounded so the loop sees the clock) */
	int r = irqpost_vcpu_halt(s->app.vcpu, 1000000);

	s->app.halts++;
	if (r == -ETIMEDOUT)
		s->app.halt_timeouts++;
}

/* noinline: benchmarks/peers/fwd-callgrind.sh counts instructions from here on */
static __attribute__((noinline, noclone)) void run(struct vfapp_state *s)
{
	struct vfapp_workload *w = s->have_wl ? &s->wl : NULL;
	bool two = s->o.endpoint_lcore >= 0;
	uint64_t now, t0;
	unsigned int n;

	s->hz = rte_get_tsc_hz();
	if (s->o.prometheus != NULL)
		vfapp_prometheus_start(s->o.prometheus, s->o.prometheus_interval);
	now = rte_rdtsc();
	s->t_run0 = now;
	s->next_stats = now + (uint64_t)(s->o.stats_interval * s->hz);
	vfapp_ports_snapshot(&s->app, &s->hw0);
	s->t_warm = now + (uint64_t)(s->o.warmup * s->hz);
	s->t_end = s->o.duration > 0 ? s->t_warm + (uint64_t)(s->o.duration * s->hz) : UINT64_MAX;
	if (s->nb_lc > 0)
		vfapp_workers_start(s);
	if (s->dev_core) {
		__atomic_store_n(&s->dev_go, true, __ATOMIC_RELEASE); /* already running: go */
	} else if (w != NULL && two) {
		int ret = rte_eal_remote_launch(vfapp_endpoint_loop, s,
						(unsigned int)s->o.endpoint_lcore);

		if (ret != 0) {
			fprintf(stderr, "vfapp: cannot launch the endpoints on lcore %d: %s\n",
				s->o.endpoint_lcore, strerror(-ret));
			return;
		}
	}
	for (;;) {
		now = rte_rdtsc();
		if (!s->started && now >= s->t_warm) {
			measure_start(s, now);
			if (w != NULL && !two)
				w->start(w->st, now);
		}
		if (now >= s->t_end || vfapp_quit) {
			measure_stop(s, now);
			if (w != NULL && !two)
				w->stop(w->st, now);
			break;
		}
		if (w != NULL && !two)
			w->client_step(w->st, now);
		/* one lcore: the devices share it, polled before and after the appliance so a
		 * frame crosses device -> appliance -> device within one iteration (as memif's
		 * direct copy does), not one iteration per hop */
		if (s->topo.vf[0] != NULL && !s->dev_remote)
			vfapp_topo_vfdev_poll(&s->topo);
		t0 = rte_rdtsc();
		n = vfapp_appliance_step(&s->app);
		if (n > 0 && s->started) {
			/* service demand: the appliance's own work, iterations that received */
			uint64_t c = rte_rdtsc() - t0;

			s->busy_cycles += c;
			s->busy_iters++;
			/* An iteration the kernel preempted holds another task's time slice:
			 * leave it out of the clean figure. A preemption costs at least tens of
			 * microseconds, so only long iterations are checked (one syscall). Not
			 * under trap-and-emulate: waking the VMM thread on this CPU preempts the
			 * vCPU thread on every exit, which is the exit's cost, not noise. */
			if (c > s->hz / 20000 && s->o.mode != IOVA_MODE_TRAP_EMULATE) {
				uint64_t v = thread_preemptions();

				if (v != s->nivcsw) {
					s->nivcsw = v;
					s->busy_preempted++;
					c = 0;
				}
			}
			if (c) {
				s->busy_clean_cycles += c;
				s->busy_clean_pkts += n;
			}
			iova_hist_record_n(&s->busy_hist, c / n, n);
		}
		if (s->topo.vf[0] != NULL && !s->dev_remote)
			vfapp_topo_vfdev_poll(&s->topo);
		if (w != NULL && !two)
			w->server_step(w->st, now);
		vfapp_prometheus_tick(&s->app, now);
		if (s->o.stats_interval > 0 && now >= s->next_stats)
			vfapp_record_stats_line(s, now);
		if (n == 0 && s->app.vcpu != NULL)
			appliance_idle(s);
	}
	vfapp_workers_stop(s); /* also when the run ended before the warm-up did */
	if (w != NULL && two) {
		/* the endpoint loop stops on the same clock; keep forwarding until it did */
		while (!s->ep_done)
			vfapp_appliance_step(&s->app);
		if (!s->dev_core) /* the device core runs on until teardown */
			rte_eal_wait_lcore((unsigned int)s->o.endpoint_lcore);
	}
}

int main(int argc, char **argv)
{
	static struct vfapp_state st; /* large (route table): not on the stack */
	struct vfapp_state *s = &st;
	int ret, rc = 1;

	if (vfapp_opts_list(argc, argv))
		return 0;
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr,
			"vfapp: rte_eal_init failed: %s (check the EAL options before '--')\n",
			rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	argv[0] = (char *)"vfapp";
	if (vfapp_opts_parse(argc, argv, &s->o) != 0)
		goto out;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (vfapp_setup(s) != 0)
		goto out;
	run(s);
	vfapp_prometheus_flush(&s->app);
	if (s->o.fault_inject != FAULT_NONE && s->o.topology == TOPO_PORTS) {
		/*
		 * The fault-injected buffer counts as returned only once it is freed. A PMD that
		 * frees a sent mbuf only when it reuses that TX slot (e1000 em: eth_em_xmit_pkts)
		 * still holds a forwarded or answered first frame after a short run. Stopping the
		 * ports releases every mbuf left in their rings (em_dev_clear_queues) before the
		 * report reads the fault-injection result.
		 */
		uint16_t pid;

		RTE_ETH_FOREACH_DEV(pid)
		rte_eth_dev_stop(pid);
	}
	vfapp_record_report(s);
	rc = 0;
out:
	vfapp_teardown(s);
	rte_eal_cleanup();
	return rc;
}
