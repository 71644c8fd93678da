/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file port_stats.c
 * The per-port packet and byte counters of struct vfapp_port_stats by name, as the JSON
 * record ("ports"), telemetry ("/vfapp/stats") and the Prometheus file write them, and a
 * port's counters summed over the worker lcores' appliances (--fwd-lcores) while they run.
 */
#include <stddef.h>

#include "vfapp.h"

const struct vfapp_port_counter vfapp_port_counters[VFAPP_PORT_COUNTERS] = {
	{ "rx", "vfapp_port_rx_packets_total", "Frames received on the appliance port.",
	  offsetof(struct vfapp_port_stats, rx) },
	{ "rx_bytes", "vfapp_port_rx_bytes_total", "Bytes received on the appliance port.",
	  offsetof(struct vfapp_port_stats, rx_bytes) },
	{ "tx", "vfapp_port_tx_packets_total", "Frames transmitted on the appliance port.",
	  offsetof(struct vfapp_port_stats, tx) },
	{ "tx_bytes", "vfapp_port_tx_bytes_total", "Bytes transmitted on the appliance port.",
	  offsetof(struct vfapp_port_stats, tx_bytes) },
};

uint64_t vfapp_port_counter(const struct vfapp_port_stats *s, unsigned int i)
{
	return *(const uint64_t *)((const char *)s + vfapp_port_counters[i].off);
}

void vfapp_port_stats_sum(const struct vfapp_appliance *a, const struct vfapp_appliance *w,
			  unsigned int n, unsigned int p, struct vfapp_port_stats *out)
{
	unsigned int k, r;

	*out = a->st[p];
	for (k = 0; k < n; k++) {
		const struct vfapp_port_stats *x = &w[k].st[p];

		out->rx += x->rx;
		out->rx_bytes += x->rx_bytes;
		out->tx += x->tx;
		out->tx_bytes += x->tx_bytes;
		for (r = 0; r < DROP__COUNT; r++)
			out->drops[r] += x->drops[r];
		for (r = 0; r < EV__COUNT; r++)
			out->ev[r] += x->ev[r];
	}
}
