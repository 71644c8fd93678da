/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file pkt.c
 * Ethernet/IPv4 validation for the forwarding path (RFC 791, RFC 1812 5.2.2,
 * RFC 1624 incremental checksum update). Pure functions, no EAL.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "pkt.h"

static const char *const verdict_names[PKT_VERDICT__COUNT] = {
	[PKT_OK] = "ok",
	[PKT_TRUNC_ETH] = "trunc_eth",
	[PKT_NOT_IPV4] = "not_ipv4",
	[PKT_TRUNC_IP] = "trunc_ip",
	[PKT_BAD_VERSION] = "bad_version",
	[PKT_BAD_IHL] = "bad_ihl",
	[PKT_BAD_TOTLEN] = "bad_totlen",
	[PKT_BAD_CSUM] = "bad_csum",
	[PKT_TTL_EXPIRED] = "ttl_expired",
};

const char *pkt_verdict_name(enum pkt_verdict v)
{
	if ((unsigned int)v >= PKT_VERDICT__COUNT)
		return "unknown";
	return verdict_names[v];
}

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int pkt_ipv4_csum_ok(const uint8_t *ip, size_t hlen)
{
	/* The one's-complement sum over a correct header, checksum included, is 0xffff. */
	return rte_raw_cksum(ip, hlen) == 0xffff;
}

enum pkt_verdict pkt_parse(const uint8_t *frame, size_t len, struct pkt_info *info)
{
	const uint8_t *ip;
	size_t l3_avail, ihl_bytes;
	uint16_t totlen;
	uint8_t vihl;

	if (frame == NULL || len < RTE_ETHER_HDR_LEN)
		return PKT_TRUNC_ETH;
	if (rd16(frame + 12) != RTE_ETHER_TYPE_IPV4)
		return PKT_NOT_IPV4;
	l3_avail = len - RTE_ETHER_HDR_LEN;
	if (l3_avail < sizeof(struct rte_ipv4_hdr))
		return PKT_TRUNC_IP;
	ip = frame + RTE_ETHER_HDR_LEN;
	vihl = ip[0];
	if ((vihl >> 4) != 4)
		return PKT_BAD_VERSION;
	ihl_bytes = (size_t)(vihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if (ihl_bytes < sizeof(struct rte_ipv4_hdr))
		return PKT_BAD_IHL;
	if (ihl_bytes > l3_avail)
		return PKT_TRUNC_IP;
	totlen = rd16(ip + 2);
	if (totlen > l3_avail || totlen < ihl_bytes)
		return PKT_BAD_TOTLEN;
	if (!pkt_ipv4_csum_ok(ip, ihl_bytes))
		return PKT_BAD_CSUM;
	if (ip[8] <= 1)
		return PKT_TTL_EXPIRED;
	if (info != NULL) {
		info->l3_off = RTE_ETHER_HDR_LEN;
		info->l3_len = (uint16_t)ihl_bytes;
		info->l4_off = (uint16_t)(RTE_ETHER_HDR_LEN + ihl_bytes);
		info->ip_totlen = totlen;
		info->ttl = ip[8];
		info->proto = ip[9];
		info->src_ip = rd32(ip + 12);
		info->dst_ip = rd32(ip + 16);
	}
	return PKT_OK;
}

void pkt_ttl_dec(uint8_t *ip)
{
	/* m = the 16-bit word holding TTL (high byte) and protocol (low byte). */
	uint16_t m = rd16(ip + 8);
	uint16_t m2 = (uint16_t)(m - 0x100);
	uint16_t hc = rd16(ip + 10);
	uint32_t sum;

	sum = (uint16_t)~hc + (uint32_t)(uint16_t)~m + m2;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	hc = (uint16_t)~sum;
	ip[8] = (uint8_t)(m2 >> 8);
	ip[10] = (uint8_t)(hc >> 8);
	ip[11] = (uint8_t)hc;
}
