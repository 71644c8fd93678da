/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file options.h
 * vfapp's command line (the options after the EAL's `--`): values, defaults and --help.
 */
#ifndef VFAPP_OPTIONS_H
#define VFAPP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "endpoint.h"
#include "vfapp.h"

enum vfapp_workload_kind { WL_TCP_STREAM, WL_UDP_RR, WL_FWD };
enum vfapp_topology { TOPO_INTERNAL, TOPO_PORTS };
enum vfapp_rx_mode { RX_POLL, RX_POSTED, RX_REMAPPED };
enum vfapp_backend_kind { BACKEND_SOFT, BACKEND_VFIO, BACKEND_AUTO };
/** --pool-mem: EAL heap (mapped whole by EAL for VFIO) or external memory (pool_extmem.c). */
enum vfapp_pool_mem { POOL_MEM_EAL, POOL_MEM_EXTMEM };
/** --fault-inject: containment test of the appliance pool (iova.h, iova_mempool_fault_arm). */
enum vfapp_fault_inject { FAULT_NONE, FAULT_UNMAP, FAULT_POISON };

/** Parsed vfapp options; defaults are the bracketed values of --help. */
struct vfapp_opts {
	enum vfapp_workload_kind workload;
	enum vfapp_topology topology;
	enum vfapp_wire wire;
	const char *routes; /**< --routes FILE or NULL */
	int strategy; /**< enum iova_strategy */
	int mode; /**< enum iova_mode */
	enum vfapp_backend_kind backend;
	uint64_t inv_latency_ns;
	uint64_t vmexit_ns;
	int vmm_lcore; /**< -1 = any */
	double duration, warmup; /**< seconds */
	bool json;
	long repetition;
	uint64_t drop_every;
	struct vfapp_ep_params ep;
	enum vfapp_rx_mode rx_mode;
	int endpoint_lcore; /**< -1 = the appliance's lcore */
	unsigned int pool_size, pool_cache;
	bool plain_pool;
	enum vfapp_pool_mem pool_mem;
	enum vfapp_fault_inject fault_inject;
	bool quiet;
	bool attack; /**< --attack: vfdev malicious-device mode (DMA and, with --rx-mode, interrupts) */
	bool intremap; /**< --intremap: the soft VT-d remaps the VFs' MSI-X (off: a host without IR) */
	bool device_core_same; /**< --device-core same: devices on the appliance's lcore */
	uint64_t icmp_rate; /**< ICMP errors per second, 0 = unlimited */
	uint64_t icmp_burst;
	bool fix_l4_csum;
	unsigned int fwd_lcores;
	double stats_interval; /**< seconds between one-line stats on stdout, 0 = none */
		/**< ports topology: forwarding lcores, one queue pair each */ /**< recompute TCP/UDP checksums (kernel peers with offloads on) */
	const char *prometheus; /**< --prometheus FILE (*.prom) or NULL */
	double prometheus_interval; /**< --prometheus-interval seconds */
};

/** @return "TCP_STREAM", "UDP_RR" or "fwd". */
const char *vfapp_workload_name(enum vfapp_workload_kind w);
/** @return "poll", "posted" or "remapped". */
const char *vfapp_rx_mode_name(enum vfapp_rx_mode m);

/**
 * Parse vfapp's options (argv[0] is the program name; EAL options already removed).
 * --help prints the usage to stdout and exits 0.
 * @return 0, or -EINVAL after printing a message naming the option and the fix to stderr.
 */
int vfapp_opts_parse(int argc, char **argv, struct vfapp_opts *o);

/**
 * Handle the options that need no EAL (--list-strategies, --list-modes): when argv holds
 * one of them, print lib/iova's names one per line to stdout and return true.
 */
bool vfapp_opts_list(int argc, char **argv);

#endif
