/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file iova_tsc.c
 * TSC frequency estimate against CLOCK_MONOTONIC (no DPDK, no CPUID leaf 0x15:
 * QEMU guests often lack it). Plain C.
 */
#include "iova_priv.h"

uint64_t iova_tsc_hz(unsigned int ms)
{
	static uint64_t cached;
	uint64_t t0, c0, end, t1, c1;

	if (cached)
		return cached;
	if (!ms)
		ms = 50;
	t0 = iova_now_ns();
	c0 = iova_rdtsc();
	end = t0 + (uint64_t)ms * 1000000ull;
	while ((t1 = iova_now_ns()) < end)
		iova_cpu_relax();
	c1 = iova_rdtsc();
	cached = (uint64_t)((double)(c1 - c0) * 1e9 / (double)(t1 - t0));
	return cached;
}
