/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file endpoint.h
 * Built-in traffic endpoints ("the network" around the appliance): a client on
 * endpoint port A and a server on endpoint port B, stepped by the run loop.
 */
#ifndef VFAPP_ENDPOINT_H
#define VFAPP_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "vfapp.h"

/** What every endpoint workload shares. */
struct vfapp_ep_env {
	struct vfapp_ep_side a; /**< client side: port A, 10.0.1.2 */
	struct vfapp_ep_side b; /**< server side: port B, 10.0.2.2 */
	struct rte_mempool *pool; /**< plain pool (the network's buffers) */
	uint64_t hz; /**< TSC Hz */
	struct irqpost_vcpu
		*vcpu; /**< non-NULL: raise the VF's MSI-X after each TX toward the appliance */
	uint64_t interrupts; /**< MSI-X raised */
};

/** Raise the appliance VF's interrupt after transmitting toward it (rx-mode != poll). */
void vfapp_ep_kick(struct vfapp_ep_env *env);

/**
 * rte_eth_rx_burst() / rte_eth_tx_burst() on queue 0 of port, for endpoint files that cannot
 * include rte_ethdev.h: lwIP's headers (tcp_lwip.c) redefine netinet's struct ip6_hdr,
 * which rte_ethdev.h pulls in. @return frames received / transmitted.
 */
uint16_t vfapp_ep_rx_burst(uint16_t port, struct rte_mbuf **pkts, uint16_t n);
uint16_t vfapp_ep_tx_burst(uint16_t port, struct rte_mbuf **pkts, uint16_t n);

/** Workload parameters from the command line. */
struct vfapp_ep_params {
	unsigned int msg_size; /**< UDP_RR request/response size */
	uint64_t rr_timeout_us; /**< UDP_RR: request given up after this */
	uint64_t rate; /**< UDP_RR: at most this many requests per second, 0 = back to back */
	unsigned int pkt_size; /**< fwd: generated frame size */
};

/** One workload: client and server steps plus measurement hooks. */
struct vfapp_workload {
	const char *name;
	void *st;
	void (*client_step)(void *st, uint64_t now);
	void (*server_step)(void *st, uint64_t now);
	/** Start of the measured interval (end of warm-up). */
	void (*start)(void *st, uint64_t now);
	/** End of the measured interval. */
	void (*stop)(void *st, uint64_t now);
	/** Add workload fields to the JSON record and print the netperf-like summary. */
	void (*report)(void *st, double secs, json_t *rec, FILE *out);
	void (*destroy)(void *st);
};

int vfapp_tcp_stream_create(struct vfapp_ep_env *env, const struct vfapp_ep_params *p,
			    struct vfapp_workload *w);
int vfapp_udp_rr_create(struct vfapp_ep_env *env, const struct vfapp_ep_params *p,
			struct vfapp_workload *w);
int vfapp_gen_create(struct vfapp_ep_env *env, const struct vfapp_ep_params *p,
		     struct vfapp_workload *w);

#endif
