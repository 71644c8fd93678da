/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file router.c
 * Pure helpers of the appliance's router duties: ICMP errors (RFC 792, RFC 1191,
 * RFC 1812 4.3), ARP (RFC 826), the neighbour table and the ICMP rate limiter.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "router.h"

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Internet checksum of p[0..len) written at dst (rte_raw_cksum sums native-order words,
 * so the complement is stored in native order too). */
static inline void put_csum(uint8_t *dst, const uint8_t *p, size_t len)
{
	uint16_t c = (uint16_t)~rte_raw_cksum(p, len);

	memcpy(dst, &c, 2);
}

bool vfapp_icmp_error_allowed(const uint8_t *ip, size_t len)
{
	size_t ihl;
	uint32_t src;

	if (len < 20)
		return false;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	src = rd32(ip + 12);
	if (vfapp_martian_src(src))
		return false;
	if ((rd16(ip + 6) & 0x1fff) != 0)
		return false; /* not the first fragment */
	if (ip[9] == IPPROTO_ICMP && len >= ihl + 1) {
		uint8_t t = ip[ihl];

		/* ICMP errors: 3, 4, 5, 11, 12 (RFC 1812 4.3.2.7: no error about an error) */
		if (t == 3 || t == 4 || t == 5 || t == 11 || t == 12)
			return false;
	}
	return true;
}

size_t vfapp_icmp_error_build(uint8_t *buf, const struct rte_ether_addr *dst,
			      const struct rte_ether_addr *src, uint32_t src_ip, uint8_t type,
			      uint8_t code, uint16_t nh_mtu, uint16_t ip_id, const uint8_t *orig,
			      size_t orig_len)
{
	uint8_t *ip = buf + RTE_ETHER_HDR_LEN, *icmp = ip + 20;
	size_t quote, totlen;
	uint16_t orig_tot;

	if (orig_len < 20)
		return 0;
	orig_tot = rd16(orig + 2);
	quote = orig_len < orig_tot ? orig_len : orig_tot;
	if (quote > VFAPP_ICMP_MAX_IP_LEN - 20 - 8)
		quote = VFAPP_ICMP_MAX_IP_LEN - 20 - 8;
	if (quote < 20)
		quote = orig_len < 20 ? orig_len : 20;
	totlen = 20 + 8 + quote;

	memcpy(buf, dst->addr_bytes, 6);
	memcpy(buf + 6, src->addr_bytes, 6);
	wr16(buf + 12, RTE_ETHER_TYPE_IPV4);
	ip[0] = 0x45;
	ip[1] = 0xc0; /* precedence "internetwork control" (RFC 1812 4.3.2.5) */
	wr16(ip + 2, (uint16_t)totlen);
	wr16(ip + 4, ip_id);
	wr16(ip + 6, 0);
	ip[8] = 64;
	ip[9] = IPPROTO_ICMP;
	wr16(ip + 10, 0);
	wr32(ip + 12, src_ip);
	memcpy(ip + 16, orig + 12, 4); /* to the offending packet's source */
	put_csum(ip + 10, ip, 20);

	icmp[0] = type;
	icmp[1] = code;
	wr16(icmp + 2, 0);
	wr16(icmp + 4, 0);
	wr16(icmp + 6,
	     type == VFAPP_ICMP_DEST_UNREACH && code == VFAPP_ICMP_FRAG_NEEDED ? nh_mtu : 0);
	memcpy(icmp + 8, orig, quote);
	put_csum(icmp + 2, icmp, 8 + quote);
	return RTE_ETHER_HDR_LEN + totlen;
}

int vfapp_arp_parse(const uint8_t *f, size_t len, struct vfapp_arp *out)
{
	const uint8_t *a = f + RTE_ETHER_HDR_LEN;

	if (len < VFAPP_ARP_FRAME_LEN || rd16(f + 12) != RTE_ETHER_TYPE_ARP)
		return -EINVAL;
	if (rd16(a) != 1 || rd16(a + 2) != RTE_ETHER_TYPE_IPV4 || a[4] != 6 || a[5] != 4)
		return -EINVAL;
	out->op = rd16(a + 6);
	if (out->op != 1 && out->op != 2)
		return -EINVAL;
	memcpy(out->sha.addr_bytes, a + 8, 6);
	out->spa = rd32(a + 14);
	memcpy(out->tha.addr_bytes, a + 18, 6);
	out->tpa = rd32(a + 24);
	return 0;
}

size_t vfapp_arp_build(uint8_t *buf, uint16_t op, const struct rte_ether_addr *sha, uint32_t spa,
		       const struct rte_ether_addr *tha, uint32_t tpa)
{
	uint8_t *a = buf + RTE_ETHER_HDR_LEN;

	if (op == 1)
		memset(buf, 0xff, 6);
	else
		memcpy(buf, tha->addr_bytes, 6);
	memcpy(buf + 6, sha->addr_bytes, 6);
	wr16(buf + 12, RTE_ETHER_TYPE_ARP);
	wr16(a, 1);
	wr16(a + 2, RTE_ETHER_TYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, sha->addr_bytes, 6);
	wr32(a + 14, spa);
	if (op == 1)
		memset(a + 18, 0, 6);
	else
		memcpy(a + 18, tha->addr_bytes, 6);
	wr32(a + 24, tpa);
	return VFAPP_ARP_FRAME_LEN;
}

static inline unsigned int neigh_hash(uint32_t ip)
{
	return (ip * 2654435761u) >> 24; /* Knuth multiplicative: top 8 bits */
}

struct vfapp_neigh *vfapp_neigh_find(struct vfapp_neigh_table *t, uint32_t ip)
{
	unsigned int i, h = neigh_hash(ip);

	for (i = 0; i < VFAPP_NEIGH_SIZE; i++) {
		struct vfapp_neigh *e = &t->e[(h + i) & (VFAPP_NEIGH_SIZE - 1)];

		if (e->state == NEIGH_FREE)
			return NULL;
		if (e->ip == ip)
			return e;
	}
	return NULL;
}

struct vfapp_neigh *vfapp_neigh_get(struct vfapp_neigh_table *t, uint32_t ip)
{
	unsigned int i, h = neigh_hash(ip);

	for (i = 0; i < VFAPP_NEIGH_SIZE; i++) {
		struct vfapp_neigh *e = &t->e[(h + i) & (VFAPP_NEIGH_SIZE - 1)];

		if (e->state != NEIGH_FREE && e->ip == ip)
			return e;
		if (e->state == NEIGH_FREE) {
			if (t->used >= VFAPP_NEIGH_SIZE * 3 / 4)
				return NULL;
			memset(e, 0, sizeof(*e));
			e->ip = ip;
			e->state = NEIGH_INCOMPLETE;
			t->used++;
			return e;
		}
	}
	return NULL;
}

int vfapp_neigh_update(struct vfapp_neigh_table *t, uint32_t ip, const struct rte_ether_addr *mac,
		       bool create, uint64_t now)
{
	struct vfapp_neigh *e = create ? vfapp_neigh_get(t, ip) : vfapp_neigh_find(t, ip);
	int changed;

	if (e == NULL)
		return 0;
	changed = e->state != NEIGH_REACHABLE || !rte_is_same_ether_addr(&e->mac, mac);
	e->mac = *mac;
	e->state = NEIGH_REACHABLE;
	e->seen_tsc = now;
	return changed;
}

void vfapp_ratelimit_init(struct vfapp_ratelimit *r, uint64_t rate, uint64_t burst, uint64_t hz,
			  uint64_t now)
{
	r->rate = rate;
	r->burst = burst ? burst : 1;
	r->hz = hz ? hz : 1;
	r->tokens = r->burst * r->hz;
	r->last = now;
}

bool vfapp_ratelimit_take(struct vfapp_ratelimit *r, uint64_t now)
{
	uint64_t cap = r->burst * r->hz;

	if (r->rate == 0)
		return true;
	if (now > r->last) {
		uint64_t add = (now - r->last) * r->rate;

		r->tokens = (add > cap - r->tokens) ? cap : r->tokens + add;
		r->last = now;
	}
	if (r->tokens < r->hz)
		return false;
	r->tokens -= r->hz;
	return true;
}
