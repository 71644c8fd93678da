/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file pkt.h
 * vfapp packet parser: a pure function over (frame, len) that validates an
 * Ethernet/IPv4 frame for forwarding, and the RFC 1624 TTL decrement.
 * No EAL, no mbufs: unit-tested and fuzzed on its own.
 */
#ifndef VFAPP_PKT_H
#define VFAPP_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** Parse verdicts; every value but PKT_OK is a drop reason. */
enum pkt_verdict {
	PKT_OK = 0,
	PKT_TRUNC_ETH, /**< shorter than an Ethernet header */
	PKT_NOT_IPV4, /**< EtherType is not IPv4 (0x0800) */
	PKT_TRUNC_IP, /**< shorter than 20 bytes of IPv4 header, or than IHL*4 */
	PKT_BAD_VERSION, /**< IP version != 4 */
	PKT_BAD_IHL, /**< IHL < 5 */
	PKT_BAD_TOTLEN, /**< total length > frame's L3 bytes or < IHL*4 */
	PKT_BAD_CSUM, /**< IPv4 header checksum does not verify */
	PKT_TTL_EXPIRED, /**< TTL <= 1: would be 0 after forwarding */
	PKT_VERDICT__COUNT
};

/** What the parser found in a frame whose verdict is PKT_OK or PKT_TTL_EXPIRED (offsets from frame start). */
struct pkt_info {
	uint16_t l3_off; /**< IPv4 header offset (14) */
	uint16_t l3_len; /**< IHL*4 */
	uint16_t l4_off; /**< l3_off + l3_len */
	uint16_t ip_totlen; /**< IPv4 total length (host order) */
	uint32_t dst_ip; /**< destination address, host byte order */
	uint32_t src_ip; /**< source address, host byte order */
	uint8_t ttl;
	uint8_t proto;
};

static inline uint16_t pkt_rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t pkt_rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/**
 * Verify an IPv4 header checksum over hlen bytes (RFC 1071: the one's-complement sum of
 * the header, checksum included, is 0xffff). Sums 32-bit words into 64 bits and folds
 * (RFC 1071 2.(B), byte-order independent, 2.(A)); a trailing odd byte counts as padded
 * with zero. @return 1 if valid.
 */
static inline int pkt_ipv4_csum_ok(const uint8_t *ip, size_t hlen)
{
	uint64_t sum = 0;
	size_t i;

	if (hlen == 20) {
		/* No options: five words and no fold. 2^16 = 1 (mod 0xffff), so the sum s of the
		 * 32-bit words is congruent to the sum of the 16-bit words, and the one's-complement
		 * sum (end-around carry) is 0xffff exactly when s = 0 (mod 0xffff) and s != 0 (it
		 * is never -0 for data that is not all zero). Native byte order swaps the bytes of
		 * every 16-bit word, which multiplies s by 2^8 (mod 0xffff): a unit, so the test is
		 * byte-order independent as RFC 1071 2.(B) says. The modulo is a multiply. */
		uint32_t w[5];

		memcpy(w, ip, 20);
		sum = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
		return sum != 0 && sum % 0xffff == 0;
	}
	for (i = 0; i + 4 <= hlen; i += 4) {
		uint32_t w;

		memcpy(&w, ip + i, 4);
		sum += w;
	}
	if (hlen & 2) {
		uint16_t h;

		memcpy(&h, ip + i, 2);
		sum += h;
		i += 2;
	}
	if (hlen & 1) {
		uint16_t t = 0;

		memcpy(&t, ip + i, 1); /* the byte first in memory, zero after it */
		sum += t;
	}
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/**
 * Validate frame[0..len) as Ethernet II + IPv4 for forwarding.
 * Reads only within [frame, frame+len).
 * @param frame first byte of the Ethernet header (any alignment).
 * @param len   bytes available.
 * @param info  out, filled when PKT_OK or PKT_TTL_EXPIRED (a valid header) is returned
 *              (may be NULL).
 * @return PKT_OK or the drop reason.
 */
static inline enum pkt_verdict pkt_parse(const uint8_t *frame, size_t len, struct pkt_info *info)
{
	const uint8_t *ip;
	size_t l3_avail, ihl_bytes;
	uint16_t totlen;
	uint8_t vihl;

	if (frame == NULL || len < 14)
		return PKT_TRUNC_ETH;
	if (pkt_rd16(frame + 12) != 0x0800) /* RTE_ETHER_TYPE_IPV4 */
		return PKT_NOT_IPV4;
	l3_avail = len - 14;
	if (l3_avail < 20)
		return PKT_TRUNC_IP;
	ip = frame + 14;
	vihl = ip[0];
	if ((vihl >> 4) != 4)
		return PKT_BAD_VERSION;
	ihl_bytes = (size_t)(vihl & 0xf) * 4;
	if (ihl_bytes < 20)
		return PKT_BAD_IHL;
	if (ihl_bytes > l3_avail)
		return PKT_TRUNC_IP;
	totlen = pkt_rd16(ip + 2);
	if (totlen > l3_avail || totlen < ihl_bytes)
		return PKT_BAD_TOTLEN;
	if (!pkt_ipv4_csum_ok(ip, ihl_bytes))
		return PKT_BAD_CSUM;
	if (info != NULL) {
		info->l3_off = 14;
		info->l3_len = (uint16_t)ihl_bytes;
		info->l4_off = (uint16_t)(14 + ihl_bytes);
		info->ip_totlen = totlen;
		info->ttl = ip[8];
		info->proto = ip[9];
		info->src_ip = pkt_rd32(ip + 12);
		info->dst_ip = pkt_rd32(ip + 16);
	}
	return ip[8] <= 1 ? PKT_TTL_EXPIRED : PKT_OK;
}

/**
 * Decrement the TTL of a valid IPv4 header in place and update its header checksum
 * incrementally (RFC 1624). The TTL/protocol word drops by 0x0100, so the checksum, its
 * one's complement, rises by 0x0100 with the end-around carry; a result of 0xffff (-0) is
 * written as 0x0000, which is what a full recomputation gives (the one's-complement sum
 * of a real header is never -0). The form of Linux's ip_decrease_ttl()
 * (include/net/ip.h): about 8 instructions instead of RFC 1624 eqn. 3's three
 * complements and two folds.
 * @param ip the IPv4 header (any alignment); TTL must be > 0.
 */
static inline void pkt_ttl_dec(uint8_t *ip)
{
	uint32_t c = (uint32_t)pkt_rd16(ip + 10) + 0x0100;

	c += c >= 0xffff; /* end-around carry; 0xffff + 1 wraps to 0x0000 below */
	ip[8] = (uint8_t)(ip[8] - 1);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

/** Short stable name of a verdict ("ok", "trunc_eth", ...), for counters and JSON. */
const char *pkt_verdict_name(enum pkt_verdict v);

#endif
