/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file cores.c
 * The loops that run beside the appliance's lcore (the guest's vCPU): the endpoints on
 * their own lcore, and the device core (IOMMU hardware, the vfdev DMA engines and the
 * endpoints). Both are bounded by the run clock (t_end) or vfapp_quit.
 */
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_cycles.h>

#include "state.h"

volatile sig_atomic_t vfapp_quit;

/* Endpoints on their own lcore. */
int vfapp_endpoint_loop(void *arg)
{
	struct vfapp_state *s = arg;
	struct vfapp_workload *w = &s->wl;
	bool started = false;
	uint64_t now;

	for (;;) {
		now = rte_rdtsc();
		if (!started && now >= s->t_warm) {
			w->start(w->st, now);
			started = true;
		}
		if (now >= s->t_end || vfapp_quit) {
			w->stop(w->st, now);
			break;
		}
		w->client_step(w->st, now);
		if (s->dev_remote && vfapp_topo_vfdev_poll(&s->topo) == 0 && s->share_cpu_with_vmm)
			sched_yield(); /* let the sidecore thread on this CPU run */
		w->server_step(w->st, now);
	}
	s->ep_done = true;
	return 0;
}

/*
 * The device core (vfdev wire with a second lcore): the IOMMU hardware (the soft VT-d's
 * invalidation queue and, for the sidecore mode, the sidecore VMM) from set-up to
 * teardown, and during the run also the devices' DMA engines and the endpoints.
 * Bounded: stops on hw_stop (teardown), the endpoint part on the run clock.
 */
int vfapp_device_core(void *arg)
{
	struct vfapp_state *s = arg;
	struct vfapp_workload *w = NULL; /* the endpoints exist once run() says go */
	bool started = false, stopped = false;
	uint64_t now;

	while (!__atomic_load_n(&s->hw_stop, __ATOMIC_ACQUIRE)) {
		iova_backend_poll(s->backend);
		if (stopped || !__atomic_load_n(&s->dev_go, __ATOMIC_ACQUIRE))
			continue;
		if (!started && w == NULL && s->have_wl)
			w = &s->wl;
		now = rte_rdtsc();
		if (!started && now >= s->t_warm) {
			if (w != NULL)
				w->start(w->st, now);
			started = true;
		}
		if (now >= s->t_end || vfapp_quit) {
			if (w != NULL)
				w->stop(w->st, now);
			stopped = true;
			s->ep_done = true;
			continue;
		}
		if (w != NULL)
			w->client_step(w->st, now);
		vfapp_topo_vfdev_poll(&s->topo);
		if (w != NULL)
			w->server_step(w->st, now);
	}
	return 0;
}
