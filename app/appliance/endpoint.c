/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file endpoint.c
 * Frame building shared by the endpoints, and the device-interrupt hook.
 */
#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ip.h>

#include "irqpost.h"
#include "endpoint.h"

/** MSI-X vector of the appliance VF's receive queue in the vCPU model. */
#define VFAPP_RX_VECTOR 0x40

void vfapp_ep_kick(struct vfapp_ep_env *env)
{
	if (env->vcpu != NULL) {
		irqpost_device_interrupt(env->vcpu, VFAPP_RX_VECTOR);
		env->interrupts++;
	}
}

struct rte_ipv4_hdr *vfapp_ep_build_ipv4(struct rte_mbuf *m, const struct vfapp_ep_side *s,
					 uint8_t proto, uint16_t l4_len, uint16_t ip_id)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

	rte_ether_addr_copy(&s->gw_mac, &eth->dst_addr);
	rte_ether_addr_copy(&s->mac, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + l4_len));
	ip->packet_id = rte_cpu_to_be_16(ip_id);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(s->ip);
	ip->dst_addr = rte_cpu_to_be_32(s->peer_ip);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return ip;
}

uint16_t vfapp_ep_rx_burst(uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_rx_burst(port, 0, pkts, n);
}

uint16_t vfapp_ep_tx_burst(uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	return rte_eth_tx_burst(port, 0, pkts, n);
}
