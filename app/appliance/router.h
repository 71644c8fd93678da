/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file router.h
 * The appliance's router duties (RFC 1812), as pure functions over bytes (no EAL, no
 * mbufs): martian address filters, ICMP error and ARP frame builders, the ARP parser,
 * the neighbour table and the ICMP rate limiter.  fwd.c wires them into the datapath;
 * tests/app unit-tests and fuzzes them on their own.
 */
#ifndef VFAPP_ROUTER_H
#define VFAPP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

/**
 * Martian source (RFC 1812 5.3.7): 0.0.0.0/8, 127.0.0.0/8, 224.0.0.0/4 (multicast),
 * 240.0.0.0/4 (reserved, which includes 255.255.255.255).  A router must not forward
 * a packet with such a source.
 * @param ip host byte order.
 */
static inline bool vfapp_martian_src(uint32_t ip)
{
	/* bit a of the first octet a: 0, 127 and 224..255 (one load and a shift, no branch) */
	static const uint64_t martian[4] = { 1ull, 1ull << 63, 0, 0xffffffff00000000ull };
	uint8_t a = (uint8_t)(ip >> 24);

	return (martian[a >> 6] >> (a & 63)) & 1;
}

/**
 * Martian destination for a unicast router (RFC 1812 5.3.7 and 4.2.2.11): 0.0.0.0/8,
 * 127.0.0.0/8, 240.0.0.0/4 and the limited broadcast 255.255.255.255 (5.3.5.1: never
 * forwarded); and 224.0.0.0/4, since this appliance does no multicast routing (5.3.7
 * leaves multicast to a multicast router).
 */
static inline bool vfapp_martian_dst(uint32_t ip)
{
	return vfapp_martian_src(ip); /* the same first octets */
}

/* ---- ICMP (RFC 792, RFC 1191, RFC 1812 4.3) ---- */

#define VFAPP_ICMP_DEST_UNREACH 3
#define VFAPP_ICMP_NET_UNREACH 0 /**< code: no route (RFC 1812 5.2.7.1) */
#define VFAPP_ICMP_HOST_UNREACH 1 /**< code: next hop did not answer ARP */
#define VFAPP_ICMP_FRAG_NEEDED 4 /**< code: DF set and larger than the next-hop MTU */
#define VFAPP_ICMP_TIME_EXCEEDED 11
#define VFAPP_ICMP_TTL_EXCEEDED 0 /**< code: TTL expired in transit */
/** RFC 1812 4.3.2.3: an ICMP error holds as much of the original as fits in 576 bytes. */
#define VFAPP_ICMP_MAX_IP_LEN 576

/**
 * Write an ICMP error frame: Ethernet (dst, src, IPv4), IPv4 (src_ip -> the offending
 * packet's source, TTL 64, DF clear, ID @p ip_id), ICMP (type, code, checksum; for
 * FRAG_NEEDED the next-hop MTU in bytes 6-7 per RFC 1191) and the offending IP header
 * plus as much of its data as keeps the IP packet within 576 bytes.
 * @param buf   >= 14 + VFAPP_ICMP_MAX_IP_LEN bytes
 * @param orig  the offending packet's IPv4 header, @p orig_len bytes of it available
 * @return frame length, 0 if orig_len < 20.
 */
size_t vfapp_icmp_error_build(uint8_t *buf, const struct rte_ether_addr *dst,
			      const struct rte_ether_addr *src, uint32_t src_ip, uint8_t type,
			      uint8_t code, uint16_t nh_mtu, uint16_t ip_id, const uint8_t *orig,
			      size_t orig_len);

/**
 * May an ICMP error be sent about this packet? RFC 1812 4.3.2.7: not about an ICMP
 * error, a non-first fragment, or a packet whose source is not a unicast host
 * (martian / broadcast / multicast).
 * @param ip the offending IPv4 header (>= 20 bytes, already validated).
 */
bool vfapp_icmp_error_allowed(const uint8_t *ip, size_t len);

/* ---- ARP (RFC 826) over Ethernet/IPv4 ---- */

#define VFAPP_ARP_FRAME_LEN 42 /**< Ethernet + ARP, no padding */

/** A parsed Ethernet/IPv4 ARP packet. */
struct vfapp_arp {
	uint16_t op; /**< 1 request, 2 reply */
	struct rte_ether_addr sha, tha;
	uint32_t spa, tpa; /**< host order */
};

/**
 * Parse an ARP frame (EtherType 0x0806 at offset 12, then htype 1, ptype 0x0800,
 * hlen 6, plen 4, op 1|2). @return 0, -EINVAL if not an Ethernet/IPv4 ARP request/reply.
 */
int vfapp_arp_parse(const uint8_t *frame, size_t len, struct vfapp_arp *out);

/**
 * Write an ARP frame: op 1 (request: Ethernet broadcast, tha zero) or 2 (reply: to @p tha).
 * @param buf >= VFAPP_ARP_FRAME_LEN bytes. @return VFAPP_ARP_FRAME_LEN.
 */
size_t vfapp_arp_build(uint8_t *buf, uint16_t op, const struct rte_ether_addr *sha, uint32_t spa,
		       const struct rte_ether_addr *tha, uint32_t tpa);

/* ---- Neighbour table (one per port) ---- */

#define VFAPP_NEIGH_SIZE 256 /**< entries per port (open addressing, power of 2) */

enum vfapp_neigh_state { NEIGH_FREE = 0, NEIGH_INCOMPLETE, NEIGH_REACHABLE };

struct vfapp_neigh {
	uint32_t ip; /**< host order */
	uint8_t state; /**< enum vfapp_neigh_state */
	struct rte_ether_addr mac;
	uint64_t req_tsc; /**< last ARP request sent (INCOMPLETE) */
	uint64_t seen_tsc; /**< last update (REACHABLE) */
};

struct vfapp_neigh_table {
	struct vfapp_neigh e[VFAPP_NEIGH_SIZE];
	unsigned int used;
};

/** @return the entry of @p ip, or NULL. */
struct vfapp_neigh *vfapp_neigh_find(struct vfapp_neigh_table *t, uint32_t ip);
/**
 * The entry of @p ip, created INCOMPLETE if absent.
 * @return the entry, NULL when the table is full (3/4 of VFAPP_NEIGH_SIZE: the caller
 *         drops the packet).
 */
struct vfapp_neigh *vfapp_neigh_get(struct vfapp_neigh_table *t, uint32_t ip);
/**
 * RFC 826 merge: if @p ip has an entry (or @p create), set its MAC and make it REACHABLE.
 * @return 1 if an entry became REACHABLE or changed MAC, 0 otherwise.
 */
int vfapp_neigh_update(struct vfapp_neigh_table *t, uint32_t ip, const struct rte_ether_addr *mac,
		       bool create, uint64_t now);

/* ---- Token bucket for ICMP errors (RFC 1812 4.3.2.8) ---- */

struct vfapp_ratelimit {
	uint64_t rate; /**< tokens per second, 0 = unlimited */
	uint64_t burst; /**< bucket size */
	uint64_t hz; /**< TSC Hz */
	uint64_t tokens; /**< scaled by hz */
	uint64_t last;
};

/** Initialise a full bucket. */
void vfapp_ratelimit_init(struct vfapp_ratelimit *r, uint64_t rate, uint64_t burst, uint64_t hz,
			  uint64_t now);
/** Take one token. @return true if allowed. */
bool vfapp_ratelimit_take(struct vfapp_ratelimit *r, uint64_t now);

#endif
