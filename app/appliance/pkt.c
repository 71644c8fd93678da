/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file pkt.c
 * Names of the parse verdicts. The parser itself (RFC 791, RFC 1812 5.2.2, RFC 1624) is
 * static inline in pkt.h so that the forwarding loop inlines it.
 */
#include <string.h>

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
