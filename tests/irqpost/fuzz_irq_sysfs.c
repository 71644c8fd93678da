/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: the sysfs readers (VT-d cap/ecap hex, AMD features "a:b",
 * module parameters, CPU lists) fed the input as file content. */
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "irqpost_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	uint64_t v, e, e2, bits[128];
	char buf[64];
	int n;

	if (irqpost_parse_hex_reg(s, size, &v) == 0) {
		/* round trip: printing the value and parsing it again gives the same value */
		uint64_t w;

		snprintf(buf, sizeof(buf), "%llx\n", (unsigned long long)v);
		if (irqpost_parse_hex_reg(buf, strlen(buf), &w) != 0 || w != v)
			__builtin_trap();
	}
	if (irqpost_parse_amd_features(s, size, true, &e, &e2) == 0) {
		uint64_t f, f2;

		if (irqpost_parse_amd_features(s, size, false, &f, &f2) != 0)
			__builtin_trap();
		if (memchr(s, ':', size) ? (f != e2 || f2 != e) : (f != e || f2 != 0))
			__builtin_trap();
	}
	(void)irqpost_parse_param_bool(s, size);
	n = irqpost_cpulist_parse(s, size, bits, 8192);
	if (n > 0) {
		int cnt = 0;

		for (int i = 0; i < 128; i++)
			cnt += __builtin_popcountll(bits[i]);
		if (cnt != n)
			__builtin_trap();
	}
	return 0;
}
