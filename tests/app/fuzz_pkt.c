/* SPDX-License-Identifier: BSD-3-Clause */
/** @file fuzz_pkt.c libFuzzer target: pkt_parse() and, for accepted frames, pkt_ttl_dec(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_info pi;
	uint8_t *copy;

	/* exact-size heap copy so ASan catches any read past the frame */
	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	if (pkt_parse(copy, size, &pi) == PKT_OK) {
		if (pi.l4_off > size || pi.ttl <= 1 || pi.l3_len < 20)
			abort();
		pkt_ttl_dec(copy + pi.l3_off);
		/* the incremental update must leave a valid header with TTL - 1 */
		if (!pkt_ipv4_csum_ok(copy + pi.l3_off, pi.l3_len) ||
		    copy[pi.l3_off + 8] != pi.ttl - 1)
			abort();
	}
	free(copy);
	return 0;
}
