/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file workers.c
 * --fwd-lcores N: the N-1 worker lcores' forwarding loops (setup.c builds their appliances,
 * one RX/TX queue pair each). Counters stay per lcore while running (telemetry sums them)
 * and are folded into the main lcore's appliance when the workers stop.
 */
#include <stdint.h>
#include <stdio.h>

#include <rte_branch_prediction.h>
#include <rte_launch.h>

#include "state.h"

/*
 * A forwarding worker (--fwd-lcores): its own appliance on its own queue pair. It zeroes
 * its own counters when the main lcore ends the warm-up (lc_epoch), so no counter is
 * written by two threads.
 */
static struct vfapp_state *fwd_state;

static int fwd_worker(void *arg)
{
	struct vfapp_state *s = fwd_state;
	struct vfapp_appliance *a = &s->lc_app[(uintptr_t)arg];
	uint32_t epoch = s->lc_epoch;

	while (!s->lc_stop) {
		if (unlikely(s->lc_epoch != epoch)) {
			epoch = s->lc_epoch;
			vfapp_appliance_reset_stats(a);
		}
		vfapp_appliance_step(a);
	}
	return 0;
}

void vfapp_workers_start(struct vfapp_state *s)
{
	fwd_state = s;
	for (uintptr_t k = 0; k < s->nb_lc; k++)
		if (rte_eal_remote_launch(fwd_worker, (void *)k, s->lc_lcore[k]) != 0)
			fprintf(stderr, "vfapp: cannot launch forwarding lcore %u\n",
				s->lc_lcore[k]);
}

/* Stop the workers and fold their counters into the main lcore's appliance. */
void vfapp_workers_stop(struct vfapp_state *s)
{
	if (s->nb_lc == 0 || s->lc_stop)
		return;
	s->lc_stop = true;
	s->lc_rx[0] = s->app.st[0].rx + s->app.st[1].rx;
	for (unsigned int k = 0; k < s->nb_lc; k++) {
		rte_eal_wait_lcore(s->lc_lcore[k]);
		s->lc_rx[k + 1] = s->lc_app[k].st[0].rx + s->lc_app[k].st[1].rx;
		vfapp_appliance_add_stats(&s->app, &s->lc_app[k]);
	}
	vfapp_telemetry_workers(NULL, 0);
	vfapp_prometheus_workers(NULL, 0);
}

void vfapp_workers_totals(const struct vfapp_state *s, struct vfapp_port_stats *tot)
{
	struct vfapp_port_stats t;
	unsigned int k, r;

	vfapp_appliance_totals(&s->app, tot);
	if (s->lc_stop)
		return; /* already folded into s->app */
	for (k = 0; k < s->nb_lc; k++) {
		vfapp_appliance_totals(&s->lc_app[k], &t);
		tot->rx += t.rx;
		tot->rx_bytes += t.rx_bytes;
		tot->tx += t.tx;
		tot->tx_bytes += t.tx_bytes;
		for (r = 0; r < DROP__COUNT; r++)
			tot->drops[r] += t.drops[r];
		for (r = 0; r < EV__COUNT; r++)
			tot->ev[r] += t.ev[r];
	}
}
