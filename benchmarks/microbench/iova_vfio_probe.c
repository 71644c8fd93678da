/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iova-vfio-probe: map and unmap N 4 KiB pages through iova_ctx over a real VFIO type1
 * container, under each strategy, and print one JSON line per strategy. Plain libc
 * (no DPDK), linked statically so it can be copied into a QEMU guest with an emulated
 * VT-d (intel-iommu,caching-mode=on) where a device is bound to vfio-pci.
 *
 *   iova-vfio-probe GROUP [--pages N (256)] [--strategy S] [--mode M] [--rounds R (1)]
 *     GROUP: /dev/vfio/<n>
 *
 * Per strategy: a fresh container (open /dev/vfio/vfio, attach GROUP, type1v2), then R
 * rounds of: map page 0..N-1 (one iova_ctx_map each, timed), unmap them all (timed).
 * {"kind":"vfio_probe","strategy":..,"mode":..,"pages":N,"rounds":R,"map_ns":..,"unmap_ns":..,
 *  "maps":..,"unmaps":..,"backend_maps":..,"backend_unmaps":..,"invalidations":..,"waits":..,
 *  "reuse_hits":..,"phys_maps":..,"phys_unmaps":..,"exits":..,"errors":..}
 * map_ns / unmap_ns are wall-clock ns per call. Exit status 1 if the container could not
 * be set up (the error names the failing step) or any call failed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "iova.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: iova-vfio-probe /dev/vfio/<group> [--pages N (256)] [--strategy S] "
		"[--mode M (native)] [--rounds R (1)]\n"
		"strategies: off strict deferred optimistic persistent shared ring pool (default: all)\n"
		"modes: native trap-and-emulate sidecore\n");
}

int main(int argc, char **argv)
{
	unsigned long pages = 256, rounds = 1;
	int strategy = -1, mode = IOVA_MODE_NATIVE;
	static const struct option lo[] = { { "pages", required_argument, NULL, 'n' },
					    { "strategy", required_argument, NULL, 's' },
					    { "mode", required_argument, NULL, 'm' },
					    { "rounds", required_argument, NULL, 'r' },
					    { "help", no_argument, NULL, 'h' },
					    { 0 } };
	int ch;
	char *end;
	while ((ch = getopt_long(argc, argv, "n:s:m:r:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'n':
			pages = strtoul(optarg, &end, 0);
			if (*end || !pages || pages > 1000000) {
				fprintf(stderr, "iova-vfio-probe: --pages '%s': want 1..1000000\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
			rounds = strtoul(optarg, &end, 0);
			if (*end || !rounds || rounds > 100000) {
				fprintf(stderr, "iova-vfio-probe: --rounds '%s': want 1..100000\n",
					optarg);
				return 2;
			}
			break;
		case 's':
			if ((strategy = iova_strategy_parse(optarg)) < 0) {
				fprintf(stderr, "iova-vfio-probe: unknown strategy '%s'\n", optarg);
				return 2;
			}
			break;
		case 'm':
			if ((mode = iova_mode_parse(optarg)) < 0) {
				fprintf(stderr, "iova-vfio-probe: unknown mode '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	const char *group = argv[optind];
	char *buf = mmap(NULL, pages * IOVA_PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	uint64_t *iova = calloc(pages, sizeof(*iova));
	if (buf == MAP_FAILED || !iova) {
		fprintf(stderr, "iova-vfio-probe: out of memory for %lu pages\n", pages);
		return 1;
	}
	int status = 0;
	for (int s = 0; s < IOVA_STRAT__COUNT; s++) {
		if (strategy >= 0 && s != strategy)
			continue;
		struct iova_backend *be = iova_backend_vfio_create(-1, group);
		if (!be) {
			fprintf(stderr, "iova-vfio-probe: %s: VFIO container setup failed: %s\n",
				group, strerror(errno));
			return 1;
		}
		struct iova_ctx_params p;
		iova_ctx_default_params(&p);
		p.strategy = s;
		p.mode = mode;
		p.nb_cpus = 1;
		struct iova_ctx *c = iova_ctx_create(&p, be);
		if (!c) {
			fprintf(stderr, "iova-vfio-probe: iova_ctx_create(%s, %s): %s\n",
				iova_strategy_name(s), iova_mode_name(mode), strerror(errno));
			be->ops->destroy(be);
			status = 1;
			continue;
		}
		uint64_t map_ns = 0, unmap_ns = 0, errors = 0, nmap = 0, nunmap = 0;
		int prc = iova_ctx_register_pool(c, buf, pages * IOVA_PAGE_SIZE); /* pool only */
		if (prc < 0) {
			fprintf(stderr, "iova-vfio-probe: register pool of %lu pages: %s\n", pages,
				strerror(-prc));
			errors++;
		}
		for (unsigned long r = 0; r < rounds; r++) {
			uint64_t t0 = iova_now_ns();
			for (unsigned long i = 0; i < pages; i++) {
				if (iova_ctx_map(c, buf + i * IOVA_PAGE_SIZE, IOVA_PAGE_SIZE,
						 IOVA_PROT_RW, 0, &iova[i]) < 0) {
					iova[i] = UINT64_MAX;
					errors++;
				} else {
					nmap++;
				}
			}
			uint64_t t1 = iova_now_ns();
			for (unsigned long i = 0; i < pages; i++) {
				if (iova[i] == UINT64_MAX)
					continue;
				if (iova_ctx_unmap(c, iova[i], IOVA_PAGE_SIZE, 0) < 0)
					errors++;
				else
					nunmap++;
			}
			uint64_t t2 = iova_now_ns();
			map_ns += t1 - t0;
			unmap_ns += t2 - t1;
		}
		struct iova_ctx_stats st;
		iova_ctx_get_stats(c, &st);
		struct iova_backend *top = iova_ctx_backend(c);
		printf("{\"kind\":\"vfio_probe\",\"strategy\":\"%s\",\"mode\":\"%s\",\"pages\":%lu,\"rounds\":%lu,"
		       "\"map_ns\":%.1f,\"unmap_ns\":%.1f,\"maps\":%llu,\"unmaps\":%llu,\"backend_maps\":%llu,"
		       "\"backend_unmaps\":%llu,\"invalidations\":%llu,\"waits\":%llu,\"reuse_hits\":%llu,"
		       "\"phys_maps\":%llu,\"phys_unmaps\":%llu,\"exits\":%llu,\"errors\":%llu}\n",
		       iova_strategy_name(s), iova_mode_name(mode), pages, rounds,
		       nmap ? (double)map_ns / (double)nmap : 0.0,
		       nunmap ? (double)unmap_ns / (double)nunmap : 0.0,
		       (unsigned long long)st.maps, (unsigned long long)st.unmaps,
		       (unsigned long long)st.backend_maps, (unsigned long long)st.backend_unmaps,
		       (unsigned long long)st.invalidations, (unsigned long long)st.waits,
		       (unsigned long long)st.reuse_hits, (unsigned long long)top->phys_maps,
		       (unsigned long long)top->phys_unmaps, (unsigned long long)st.exits,
		       (unsigned long long)errors);
		fflush(stdout);
		if (errors)
			status = 1;
		iova_ctx_destroy(c);
	}
	munmap(buf, pages * IOVA_PAGE_SIZE);
	free(iova);
	return status;
}
