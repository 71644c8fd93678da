/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file state.h
 * One vfapp run: its options, the appliance, the endpoints and what the run loop measured.
 * main.c runs it, setup.c builds and tears it down, record.c reports it.
 */
#ifndef VFAPP_STATE_H
#define VFAPP_STATE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "endpoint.h"
#include "iova.h"
#include "irqpost.h"
#include "options.h"
#include "pool_extmem.h"
#include "vfapp.h"
#include "vfdev.h"

/** Everything one run owns (large because of the route table: keep it static). */
struct vfapp_state {
	struct vfapp_opts o;
	struct vfapp_appliance app;
	/* --fwd-lcores N: the appliances of the N-1 worker lcores (queue pairs 1..N-1) */
	struct vfapp_appliance *lc_app;
	unsigned int lc_lcore[64];
	unsigned int nb_lc;
	volatile bool lc_stop;
	volatile uint32_t lc_epoch;
	uint64_t lc_rx[65]; /**< packets received per forwarding lcore (main first) */
	/* counters kept from the first packet: the warm-up's, reported apart */
	struct vfapp_port_stats warm_tot;
	bool warm_complete; /**< the warm-up ended (else: measured from the first packet) */
	uint64_t t_run0; /**< start of the run (TSC) */
	struct vfapp_hw_snap hw0, hw1; /**< device / kernel counters at the start and end */
	uint64_t next_stats;
		/**< --stats-interval: next one-line report (TSC) */ /**< bumped at the end of warm-up: workers zero their counters */
	struct vfapp_route_cfg routes;
	struct vfapp_workload wl;
	bool have_wl;
	struct vfapp_ep_env env;
	struct iova_ctx *ctx;
	struct iova_backend *backend;
	struct iova_backend *phys; /**< the physical backend (soft VT-d: IOTLB counters), or NULL */
	/* set-up (setup.c) */
	struct rte_mempool *app_pool, *ep_pool;
	struct vfapp_extmem *extmem; /**< --pool-mem extmem area, or NULL */
	struct vfapp_topo topo;
	bool topo_up;
	bool wired; /**< the pool exists: vfapp_teardown() has work */
	unsigned int app_lcore;
	/* run clock (TSC) */
	uint64_t hz, t_warm, t_end;
	/* measured interval as seen by the appliance lcore */
	uint64_t t_start, t_stop;
	bool started, stopped;
	struct iova_ctx_stats iova_st;
	struct vfapp_port_stats tot;
	struct irqpost_vcpu_stats vs0, vs1;
	volatile bool ep_done;
	/* vfdev ports: device counters and soft VT-d counters at start / stop of the interval */
	struct vfdev_stats vf0[VFAPP_NB_PORTS], vf1[VFAPP_NB_PORTS];
	struct vtd_soft_stats vtd0, vtd1;
	bool have_vtd;
	bool dev_dma; /**< the device's DMA goes through the soft IOMMU (vfdev + soft) */
	bool dev_remote; /**< device halves polled on the endpoint lcore */
	/* service demand: appliance lcore cycles spent in iterations that received packets */
	uint64_t busy_cycles, busy_iters;
	struct iova_hist busy_hist; /**< busy cycles per packet, one value per packet */
	uint64_t busy_clean_cycles,
		busy_clean_pkts; /**< busy iterations the kernel did not preempt */
	uint64_t busy_preempted; /**< busy iterations left out: the thread was preempted */
	uint64_t nivcsw; /**< involuntary context switches seen so far */
	bool share_cpu_with_vmm; /**< the sidecore VMM thread runs on the device lcore's CPU */
	/* the device core (vfapp_device_core on the endpoint lcore): IOMMU hardware + devices */
	bool dev_core; /**< launched (set-up) and polling until teardown */
	bool side_polled; /**< the sidecore runs in the device core's loop */
	bool dev_go; /**< run(): endpoints and DMA engines may start */
	bool hw_stop; /**< teardown: the device core returns */
	uint64_t dev_faults; /**< frames the vfdevs dropped on DMA faults (record.c) */
	/* --rx-mode posted|remapped on vfdev ports: the VFs' MSI-X through the soft VT-d (setup.c) */
	bool msix_chain; /**< the VFs raise the interrupts (not the endpoints' stand-in) */
	uint64_t host_irqs; /**< remapped / unremapped MSI-X handled by the host handler */
};

/** The device core's loop (main.c), launched by vfapp_setup() on the endpoint lcore. */
int vfapp_device_core(void *arg);
/** The endpoints alone on their lcore (rte_eal_remote_launch body, cores.c). @return 0 */
int vfapp_endpoint_loop(void *arg);
/** Set by SIGINT/SIGTERM (main.c's handler; defined in cores.c): every loop stops at its next iteration. */
extern volatile sig_atomic_t vfapp_quit;

/**
 * Build the run after rte_eal_init() and option parsing: lcore checks, lib/iova context
 * and the appliance pool, the topology (internal vdevs or EAL ports 0/1), routes and LPM,
 * telemetry, the rx-mode vCPU and the endpoints (setup.c).
 * @return 0, or -1 after printing the reason to stderr (call vfapp_teardown() anyway).
 */
int vfapp_setup(struct vfapp_state *s);

/** Release everything vfapp_setup() built, in reverse order (safe after a partial set-up). */
void vfapp_teardown(struct vfapp_state *s);

/** Totals of the main lcore's and the workers' appliances (workers.c; racy reads while running). */
void vfapp_workers_totals(const struct vfapp_state *s, struct vfapp_port_stats *tot);
/** --stats-interval: one line of totals and rates since the last one (record.c). */
void vfapp_record_stats_line(struct vfapp_state *s, uint64_t now);

/** Launch the --fwd-lcores workers (workers.c). */
void vfapp_workers_start(struct vfapp_state *s);
/** Stop the workers and add their counters into s->app (idempotent). */
void vfapp_workers_stop(struct vfapp_state *s);

/**
 * Print the human summary (unless --quiet) and, with --json, the results.json record as
 * one compact line (record.c documents its fields).
 */
void vfapp_record_report(struct vfapp_state *s);

#endif
