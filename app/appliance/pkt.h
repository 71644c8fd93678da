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

/** What the parser found in a frame whose verdict is PKT_OK (offsets from frame start). */
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

/**
 * Validate frame[0..len) as Ethernet II + IPv4 for forwarding.
 * Reads only within [frame, frame+len).
 * @param frame first byte of the Ethernet header (any alignment).
 * @param len   bytes available.
 * @param info  out, filled only when PKT_OK is returned (may be NULL).
 * @return PKT_OK or the drop reason.
 */
enum pkt_verdict pkt_parse(const uint8_t *frame, size_t len, struct pkt_info *info);

/**
 * Decrement the TTL of a valid IPv4 header in place and update its header
 * checksum incrementally (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')).
 * @param ip the IPv4 header (any alignment); TTL must be > 0.
 */
void pkt_ttl_dec(uint8_t *ip);

/** Verify an IPv4 header checksum over hlen bytes. @return 1 if valid. */
int pkt_ipv4_csum_ok(const uint8_t *ip, size_t hlen);

/** Short stable name of a verdict ("ok", "trunc_eth", ...), for counters and JSON. */
const char *pkt_verdict_name(enum pkt_verdict v);

#endif
