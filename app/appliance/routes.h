/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file routes.h
 * vfapp route configuration: parse the routes file (pure, no EAL) and
 * build the rte_lpm table plus next-hop table used by the forwarder.
 *
 * File format (one statement per line, '#' starts a comment):
 *   port <0|1> mac <xx:xx:xx:xx:xx:xx>
 *   route <a.b.c.d>/<0-32> port <0|1> nexthop-mac <xx:xx:xx:xx:xx:xx>
 */
#ifndef VFAPP_ROUTES_H
#define VFAPP_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

#define VFAPP_NB_PORTS   2
#define VFAPP_MAX_ROUTES 1024

struct vfapp_route {
	uint32_t prefix;          /**< host byte order, host bits cleared */
	uint8_t depth;            /**< prefix length 0..32 */
	uint8_t port;             /**< appliance output port 0|1 */
	struct rte_ether_addr nh_mac; /**< next hop MAC = new destination MAC */
	unsigned int line;        /**< source line, for messages */
};

struct vfapp_route_cfg {
	bool port_mac_set[VFAPP_NB_PORTS];
	struct rte_ether_addr port_mac[VFAPP_NB_PORTS]; /**< source MAC rewrite per port */
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
/** Append one route (used for the built-in topology). @return 0 or -ENOSPC. */
int vfapp_routes_add(struct vfapp_route_cfg *cfg, uint32_t prefix, uint8_t depth, uint8_t port,
		     const struct rte_ether_addr *nh_mac);

struct rte_lpm;
/**
 * Build an rte_lpm from cfg (EAL needed). The LPM next hop is the index in cfg->routes.
 * @return the table or NULL with the reason in err.
 */
struct rte_lpm *vfapp_routes_build_lpm(const struct vfapp_route_cfg *cfg, const char *name,
				       int socket_id, char *err, size_t errlen);

#endif
