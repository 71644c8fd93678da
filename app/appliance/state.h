/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file state.h
 * One vfapp run: its options, the appliance, the endpoints and what the run loop measured.
 * main.c runs it, setup.c builds and tears it down, record.c reports it.
 */
#ifndef VFAPP_STATE_H
#define VFAPP_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "endpoint.h"
#include "iova.h"
#include "irqpost.h"
#include "options.h"
#include "vfapp.h"

/** Everything one run owns (large because of the route table: keep it static). */
struct vfapp_state {
	struct vfapp_opts o;
	struct vfapp_appliance app;
	struct vfapp_route_cfg routes;
	struct vfapp_workload wl;
	bool have_wl;
	struct vfapp_ep_env env;
	struct iova_ctx *ctx;
	struct iova_backend *backend;
	/* set-up (setup.c) */
	struct rte_mempool *app_pool, *ep_pool;
	struct vfapp_topo topo;
	bool topo_up;
	bool wired;               /**< the pool exists: vfapp_teardown() has work */
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
};

/**
 * Build the run after rte_eal_init() and option parsing: lcore checks, lib/iova context
 * and the appliance pool, the topology (internal vdevs or EAL ports 0/1), routes and LPM,
 * telemetry, the rx-mode vCPU and the endpoints (setup.c).
 * @return 0, or -1 after printing the reason to stderr (call vfapp_teardown() anyway).
 */
int vfapp_setup(struct vfapp_state *s);

/** Release everything vfapp_setup() built, in reverse order (safe after a partial set-up). */
void vfapp_teardown(struct vfapp_state *s);

/**
 * Print the human summary (unless --quiet) and, with --json, the results.json record as
 * one compact line (record.c documents its fields).
 */
void vfapp_record_report(struct vfapp_state *s);

#endif
