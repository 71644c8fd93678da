/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The set-up the "iova" mempool tests share (test_mempool.c, test_mempool_extmem.c): a DMA
 * context over a fresh soft VT-d, and a DPDK EAL without hugepages, PCI or shared config.
 */
#ifndef IOVA_TEST_MEMPOOL_COMMON_H
#define IOVA_TEST_MEMPOOL_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include <rte_eal.h>

#include "iova.h"

/* A context of strategy s for nb_cpus over a soft VT-d (requester 01:00.0, domain 1). */
static inline struct iova_ctx *mp_ctx(enum iova_strategy s, uint64_t inv_latency_ns,
				      unsigned int nb_cpus)
{
	struct vtd_soft_params vp;
	vtd_soft_default_params(&vp);
	vp.inv_latency_ns = inv_latency_ns;
	struct iova_backend *be = iova_backend_soft_create(&vp, 0x0100, 1);
	assert_non_null(be);
	struct iova_ctx_params p;
	iova_ctx_default_params(&p);
	p.strategy = s;
	p.nb_cpus = nb_cpus;
	struct iova_ctx *c = iova_ctx_create(&p, be);
	assert_non_null(c);
	return c;
}

/* rte_eal_init() with mem_mb MiB, file prefix "<tag>_<pid>"; 0, or -1 said on stderr. */
static inline int mp_eal_init(const char *prog, const char *mem_mb, const char *tag)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s_%d", tag, (int)getpid());
	/* --no-huge implies legacy memory, which --in-memory refuses: --no-shconf instead */
	char *argv[] = { (char *)prog, "--no-huge",   "-m",   (char *)mem_mb,
			 "--no-pci",   "--no-shconf", prefix, "--log-level=4",
			 "-l",	       "0",	      NULL };
	if (rte_eal_init(10, argv) < 0) {
		fprintf(stderr, "%s: rte_eal_init failed\n", prog);
		return -1;
	}
	return 0;
}

#endif
