/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file routes.h
 * vfapp route configuration: parse the routes file (pure, no EAL) and
 * build the rte_lpm table plus next-hop table used by the forwarder.
 *
 * File format (one statement per line, '#' starts a comment):
 *   port <0|1> mac <xx:xx:xx:xx:xx:xx>       source MAC of frames sent out of the port
 *   port <0|1> ip <a.b.c.d>/<len>            the port's address: ARP responder, source of
 *                                            ICMP errors (RFC 1812 4.3.2.4)
 *   port <0|1> mtu <68-9702>                 egress IP MTU of the port
 *   route <a.b.c.d>/<0-32> port <0|1> nexthop-mac <xx:xx:xx:xx:xx:xx>   static next hop
 *   route <a.b.c.d>/<0-32> port <0|1> via <a.b.c.d>    next hop resolved by ARP
 *   route <a.b.c.d>/<0-32> port <0|1> connected        destination resolved by ARP
 */
#ifndef VFAPP_ROUTES_H
#define VFAPP_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

#define VFAPP_NB_PORTS 2
#define VFAPP_MAX_ROUTES 1024
#define VFAPP_MTU_MIN 68 /**< RFC 791: every IPv4 link carries 68 bytes */
#define VFAPP_MTU_MAX 9702 /**< largest jumbo MTU the common PMDs take (ixgbe/i40e/ice 9702+) */

/** How a route's next hop becomes a destination MAC. */
enum vfapp_nh_kind {
	VFAPP_NH_MAC = 0, /**< nexthop-mac: static */
	VFAPP_NH_VIA, /**< via <ip>: the neighbour table (ARP) resolves nh_ip */
	VFAPP_NH_CONNECTED, /**< connected: the neighbour table resolves the packet's destination */
};

struct vfapp_route {
	uint32_t prefix; /**< host byte order, host bits cleared */
	uint8_t depth; /**< prefix length 0..32 */
	uint8_t port; /**< appliance output port 0|1 */
	uint8_t nh_kind; /**< enum vfapp_nh_kind */
	struct rte_ether_addr nh_mac; /**< VFAPP_NH_MAC: next hop MAC = new destination MAC */
	uint32_t nh_ip; /**< VFAPP_NH_VIA: next hop address, host order */
	unsigned int line; /**< source line, for messages */
};

struct vfapp_route_cfg {
	bool port_mac_set[VFAPP_NB_PORTS];
	struct rte_ether_addr port_mac[VFAPP_NB_PORTS]; /**< source MAC rewrite per port */
	bool port_ip_set[VFAPP_NB_PORTS];
	uint32_t port_ip[VFAPP_NB_PORTS]; /**< host order */
	uint8_t port_plen[VFAPP_NB_PORTS]; /**< prefix length of the port's subnet */
	uint16_t port_mtu[VFAPP_NB_PORTS]; /**< 0 = the device's MTU */
	unsigned int nb_routes;
	struct vfapp_route routes[VFAPP_MAX_ROUTES];
};

/**
 * Parse a routes configuration from a memory buffer (need not be NUL terminated).
 * Statements add to cfg (call vfapp_routes_init() first).
 * @param name   file name used in messages.
 * @param err    out: "name:line: message" on failure.
 * @return 0, or -EINVAL with err filled.
 */
int vfapp_routes_parse_buf(struct vfapp_route_cfg *cfg, const char *name, const char *buf,
			   size_t len, char *err, size_t errlen);
/** Read and parse the file at path. @return 0 or -errno with err filled. */
int vfapp_routes_parse_file(struct vfapp_route_cfg *cfg, const char *path, char *err,
			    size_t errlen);
/** Empty configuration. */
void vfapp_routes_init(struct vfapp_route_cfg *cfg);
/** Append one route with a static next-hop MAC (built-in topology, tests). @return 0 or -ENOSPC. */
int vfapp_routes_add(struct vfapp_route_cfg *cfg, uint32_t prefix, uint8_t depth, uint8_t port,
		     const struct rte_ether_addr *nh_mac);

/**
 * Append one route whose next hop the neighbour table resolves: @p nh_ip (VFAPP_NH_VIA)
 * or, with nh_ip 0, the packet's destination (VFAPP_NH_CONNECTED). @return 0, -ENOSPC, -EINVAL.
 */
int vfapp_routes_add_via(struct vfapp_route_cfg *cfg, uint32_t prefix, uint8_t depth, uint8_t port,
			 uint32_t nh_ip);

struct rte_lpm;
/**
 * Build an rte_lpm from cfg (EAL needed). The LPM next hop is the index in cfg->routes.
 * @return the table or NULL with the reason in err.
 */
struct rte_lpm *vfapp_routes_build_lpm(const struct vfapp_route_cfg *cfg, const char *name,
				       int socket_id, char *err, size_t errlen);

#endif
