/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file port.c
 * The appliance's port layer: one ops table (rx_burst, tx_burst, link, stats) with an
 * ethdev implementation (any DPDK port, real VF PMDs unchanged) and a vfdev one
 * (lib/vfdev's software VF: its driver half runs here, on the appliance lcore).
 */
#include <stdint.h>
#include <string.h>

#include <rte_ethdev.h>

#include "vfapp.h"
#include "vfdev.h"

static inline uint16_t eth_id(void *dev)
{
	return (uint16_t)(uintptr_t)dev;
}

static uint16_t eth_rx(void *dev, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(eth_id(dev), 0, pkts, n);
}

static uint16_t eth_tx(void *dev, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(eth_id(dev), 0, pkts, n);
}

static int eth_link(void *dev)
{
	struct rte_eth_link l;

	if (rte_eth_link_get_nowait(eth_id(dev), &l) != 0)
		return 0;
	return l.link_status == RTE_ETH_LINK_UP;
}

static void eth_stats(void *dev, struct vfapp_port_hw_stats *st)
{
	struct rte_eth_stats es;

	memset(st, 0, sizeof(*st));
	if (rte_eth_stats_get(eth_id(dev), &es) == 0) {
		st->rx_packets = es.ipackets;
		st->tx_packets = es.opackets;
		st->imissed = es.imissed;
		st->rx_nombuf = es.rx_nombuf;
		st->ierrors = es.ierrors;
		st->oerrors = es.oerrors;
	}
}

const struct vfapp_port_ops vfapp_port_ethdev_ops = {
	.name = "ethdev",
	.rx_burst = eth_rx,
	.tx_burst = eth_tx,
	.link = eth_link,
	.stats = eth_stats,
};

static uint16_t vf_rx(void *dev, struct rte_mbuf **pkts, uint16_t n)
{
	return vfdev_rx_burst(dev, pkts, n);
}

static uint16_t vf_tx(void *dev, struct rte_mbuf **pkts, uint16_t n)
{
	return vfdev_tx_burst(dev, pkts, n);
}

static int vf_link(void *dev)
{
	return vfdev_link_up(dev);
}

static void vf_stats(void *dev, struct vfapp_port_hw_stats *st)
{
	struct vfdev_stats vs;

	vfdev_get_stats(dev, &vs);
	st->rx_packets = vs.rx_packets;
	st->tx_packets = vs.tx_packets;
	st->dma_faults = vs.dev_rx_faults + vs.dev_tx_faults;
}

const struct vfapp_port_ops vfapp_port_vfdev_ops = {
	.name = "vfdev",
	.rx_burst = vf_rx,
	.tx_burst = vf_tx,
	.link = vf_link,
	.stats = vf_stats,
};

struct vfapp_port vfapp_port_ethdev(uint16_t port_id)
{
	return (struct vfapp_port){ .ops = &vfapp_port_ethdev_ops,
				    .dev = (void *)(uintptr_t)port_id };
}

struct vfapp_port vfapp_port_vfdev(struct vfdev *d)
{
	return (struct vfapp_port){ .ops = &vfapp_port_vfdev_ops, .dev = d };
}
