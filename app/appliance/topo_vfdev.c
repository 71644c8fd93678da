/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file topo_vfdev.c
 * The internal topology on software VFs (the default): endpoint A <-> wire <-> VF 0
 * (appliance port 0), VF 1 (appliance port 1) <-> wire <-> endpoint B. The VFs are
 * lib/vfdev devices whose every DMA goes through the run's lib/iova context; each wire
 * is two rte_rings whose far end is a net_ring ethdev the endpoints use unchanged.
 * The appliance lcore runs the VFs' driver halves (vfapp_port_vfdev); the device
 * halves run where vfapp_topo_vfdev_poll() is called (the endpoint lcore).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "vfapp.h"
#include "vfdev.h"

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define WIRE_RING_SIZE 1024

static const char *const macs[4] = {
	"02:00:00:00:01:02", /* endpoint A */
	"02:00:00:00:01:01", /* appliance port 0 (VF 0) */
	"02:00:00:00:02:01", /* appliance port 1 (VF 1) */
	"02:00:00:00:02:02", /* endpoint B */
};

int vfapp_topo_vfdev(struct vfapp_topo *t, const char *tag, struct rte_mempool *app_pool,
		     struct rte_mempool *ep_pool, struct iova_ctx *ctx, bool attack, char *err,
		     size_t errlen)
{
	char name[64];
	struct rte_ether_addr m;
	int ret, i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "vfw_%s_%d", tag, i);
		t->wring[i] = rte_ring_create(name, WIRE_RING_SIZE, rte_socket_id(),
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (t->wring[i] == NULL) {
			snprintf(err, errlen, "rte_ring_create(%s): %s", name,
				 rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	/* endpoint A transmits into wring[0] (VF 0's wire_in), receives from wring[1] */
	snprintf(name, sizeof(name), "net_ring_%s_a", tag);
	ret = rte_eth_from_rings(name, &t->wring[1], 1, &t->wring[0], 1, rte_socket_id());
	if (ret < 0)
		goto eth_fail;
	t->ep_a = (uint16_t)ret;
	snprintf(name, sizeof(name), "net_ring_%s_b", tag);
	ret = rte_eth_from_rings(name, &t->wring[3], 1, &t->wring[2], 1, rte_socket_id());
	if (ret < 0)
		goto eth_fail;
	t->ep_b = (uint16_t)ret;
	rte_ether_unformat_addr(macs[0], &m);
	rte_eth_dev_default_mac_addr_set(t->ep_a, &m);
	rte_ether_unformat_addr(macs[3], &m);
	rte_eth_dev_default_mac_addr_set(t->ep_b, &m);
	if ((ret = vfapp_port_setup(t->ep_a, ep_pool, err, errlen)) != 0 ||
	    (ret = vfapp_port_setup(t->ep_b, ep_pool, err, errlen)) != 0)
		return ret;
	for (i = 0; i < VFAPP_NB_PORTS; i++) {
		struct vfdev_params p = { 0 };

		snprintf(name, sizeof(name), "vf%d", i);
		p.name = name;
		p.pool = app_pool;
		p.ctx = ctx;
		p.wire_in = t->wring[2 * i];
		p.wire_out = t->wring[2 * i + 1];
		p.wire_pool = ep_pool;
		p.port_id = (uint16_t)i;
		p.attack = attack;
		p.attack_irq = attack; /* forged MSI-X once the host programmed the table */
		p.rid = (uint16_t)(0x0101 + i);
		t->vf[i] = vfdev_create(&p);
		if (t->vf[i] == NULL) {
			snprintf(err, errlen,
				 "vfdev_create(%s): %s (see the message above; more mbufs: "
				 "--pool-size)",
				 name, strerror(errno));
			return -errno;
		}
		rte_ether_unformat_addr(macs[1 + i], &t->app_mac[i]);
	}
	rte_eth_macaddr_get(t->ep_a, &t->ep_a_mac);
	rte_eth_macaddr_get(t->ep_b, &t->ep_b_mac);
	t->ep_a_ip = IP4(10, 0, 1, 2);
	t->ep_b_ip = IP4(10, 0, 2, 2);
	return 0;
eth_fail:
	snprintf(err, errlen, "rte_eth_from_rings(%s): %s", name, rte_strerror(rte_errno));
	return -ENODEV;
}

unsigned int vfapp_topo_vfdev_poll(struct vfapp_topo *t)
{
	return vfdev_dev_poll(t->vf[0]) + vfdev_dev_poll(t->vf[1]);
}

void vfapp_topo_vfdev_close(struct vfapp_topo *t)
{
	struct rte_mbuf *m;
	int i;

	for (i = 0; i < VFAPP_NB_PORTS; i++) {
		vfdev_destroy(t->vf[i]);
		t->vf[i] = NULL;
	}
	rte_eth_dev_stop(t->ep_a);
	rte_eth_dev_stop(t->ep_b);
	rte_eth_dev_close(t->ep_a);
	rte_eth_dev_close(t->ep_b);
	for (i = 0; i < 4; i++) {
		if (t->wring[i] == NULL)
			continue;
		while (rte_ring_dequeue(t->wring[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(t->wring[i]);
		t->wring[i] = NULL;
	}
}
