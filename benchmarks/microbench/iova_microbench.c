/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iova-microbench: TSC cycles to map and to unmap one 4 KiB page through iova_ctx, for
 * every emulation mode x strategy, over the soft VT-d backend. The setting of the
 * vIOMMU paper's table "Map/Unmap Duration" (Amit et al., ATC 2011): map one page,
 * unmap it, repeat; the 'strict' row invalidates synchronously on every unmap.
 * Strategy 'off' is the 0-cost reference (no IOMMU).
 *
 *   iova-microbench [--iterations N] [--burst PAGES] [--strategy S] [--mode M] [--inv-latency-ns NS]
 *                   [--vmexit-ns NS] [--vmm-cpu auto|any|CPU] [--max-seconds S] [--json]
 *
 * --vmm-cpu auto (default) pins this thread to its first allowed CPU, runs the
 * trap-and-emulate VMM thread on the same CPU (an exit runs on the vCPU's core) and the
 * sidecore on the next allowed CPU (a core of its own, as in the paper).
 *
 * --burst B maps B distinct pages with one iova_ctx_map_bulk() and unmaps them with one
 * iova_ctx_unmap_bulk() per iteration (a NIC burst), reporting cycles per page: the
 * setting where ring's one-wait-per-burst shows.
 *
 * Output: a table (median and p99 cycles per map / unmap, plus exits, waits and
 * invalidations per page); with --json one line per (strategy, mode)
 * {"kind":"microbench",...} and a final {"kind":"machine","tsc_hz":...}.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "iova.h"

#define MAX_BURST 64

struct opts {
	unsigned long iterations;
	unsigned int burst; /* pages per map_bulk/unmap_bulk call; 1 = the paper's setting */
	int strategy, mode; /* -1 = all */
	uint64_t inv_latency_ns, vmexit_ns;
	int vmm_cpu; /* -2 auto, -1 any, else CPU */
	int guest_cpu; /* auto: where this thread was pinned, -1 if not */
	int side_cpu; /* auto: the sidecore's CPU, -1 if there is none */
	double max_seconds; /* per cell */
	bool json;
};

struct cell {
	unsigned long iterations;
	uint64_t map_p50, map_p99, unmap_p50, unmap_p99;
	struct iova_ctx_stats st;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t pct(uint64_t *v, unsigned long n, double q)
{
	if (!n)
		return 0;
	unsigned long i = (unsigned long)(q * (double)(n - 1) + 0.5);
	return v[i];
}

/* auto: trap-and-emulate handles the exit on the guest's own CPU (a VM exit runs on the
 * vCPU's core); sidecore gets the next CPU to itself, as in the vIOMMU paper. */
static int vmm_cpu_for(const struct opts *o, int mode)
{
	if (o->vmm_cpu != -2)
		return o->vmm_cpu;
	if (o->guest_cpu < 0)
		return -1;
	if (mode == IOVA_MODE_TRAP_EMULATE)
		return o->guest_cpu;
	return o->side_cpu;
}

static int run_cell(const struct opts *o, int strategy, int mode, uint64_t tsc_hz, struct cell *out)
{
	struct vtd_soft_params vp;
	vtd_soft_default_params(&vp);
	vp.inv_latency_ns = o->inv_latency_ns;
	struct iova_backend *phys = iova_backend_soft_create(&vp, 0x0100, 1);
	if (!phys) {
		fprintf(stderr, "iova-microbench: soft backend: %s\n", strerror(errno));
		return -errno;
	}
	struct iova_ctx_params p;
	iova_ctx_default_params(&p);
	p.strategy = strategy;
	p.mode = mode;
	p.mode_params.vmm_cpu = vmm_cpu_for(o, mode);
	p.mode_params.vmexit_ns = o->vmexit_ns;
	p.nb_cpus = 1;
	struct iova_ctx *c = iova_ctx_create(&p, phys);
	if (!c) {
		int e = errno;
		fprintf(stderr, "iova-microbench: ctx %s/%s: %s\n", iova_strategy_name(strategy),
			iova_mode_name(mode), strerror(e));
		phys->ops->destroy(phys);
		return -e;
	}
	unsigned int B = o->burst;
	uint8_t *page = aligned_alloc(IOVA_PAGE_SIZE, (size_t)B * IOVA_PAGE_SIZE);
	uint64_t *tm = calloc(o->iterations, sizeof(*tm));
	uint64_t *tu = calloc(o->iterations, sizeof(*tu));
	void *host[MAX_BURST];
	uint64_t iova[MAX_BURST];
	int rc = 0;
	if (!page || !tm || !tu) {
		rc = -ENOMEM;
		goto out;
	}
	memset(page, 0, (size_t)B * IOVA_PAGE_SIZE);
	for (unsigned int k = 0; k < B; k++)
		host[k] = page + (size_t)k * IOVA_PAGE_SIZE;
	/* pool: the pages are the DMA buffer pool (a no-op for the other strategies) */
	if ((rc = iova_ctx_register_pool(c, page, (size_t)B * IOVA_PAGE_SIZE)) < 0) {
		fprintf(stderr, "iova-microbench: register pool: %s\n", strerror(-rc));
		goto out;
	}
	/* warm-up: allocator magazines, page-table levels, threads scheduled */
	for (int i = 0; i < 256; i++) {
		if ((rc = iova_ctx_map_bulk(c, host, IOVA_PAGE_SIZE, IOVA_PROT_RW, 0, iova, B)) <
			    0 ||
		    (rc = iova_ctx_unmap_bulk(c, iova, IOVA_PAGE_SIZE, 0, B)) < 0) {
			fprintf(stderr, "iova-microbench: %s/%s warm-up: %s\n",
				iova_strategy_name(strategy), iova_mode_name(mode), strerror(-rc));
			goto out;
		}
	}
	iova_ctx_reset_stats(c);
	uint64_t budget = (uint64_t)(o->max_seconds * (double)tsc_hz);
	uint64_t start = iova_rdtsc();
	unsigned long n = 0;
	for (; n < o->iterations; n++) {
		/* burst 1: iova_ctx_map / _unmap of one page, the paper's setting */
		uint64_t t0 = iova_rdtsc();
		rc = B == 1 ? iova_ctx_map(c, host[0], IOVA_PAGE_SIZE, IOVA_PROT_RW, 0, iova) :
			      iova_ctx_map_bulk(c, host, IOVA_PAGE_SIZE, IOVA_PROT_RW, 0, iova, B);
		uint64_t t1 = iova_rdtsc();
		if (rc == 0)
			rc = B == 1 ? iova_ctx_unmap(c, iova[0], IOVA_PAGE_SIZE, 0) :
				      iova_ctx_unmap_bulk(c, iova, IOVA_PAGE_SIZE, 0, B);
		uint64_t t2 = iova_rdtsc();
		if (rc < 0) {
			fprintf(stderr, "iova-microbench: %s/%s iteration %lu: %s\n",
				iova_strategy_name(strategy), iova_mode_name(mode), n,
				strerror(-rc));
			goto out;
		}
		tm[n] = (t1 - t0) / B; /* per page */
		tu[n] = (t2 - t1) / B;
		if ((n & 255) == 255 && t2 - start > budget) {
			n++;
			break;
		}
	}
	iova_ctx_get_stats(c, &out->st);
	qsort(tm, n, sizeof(*tm), cmp_u64);
	qsort(tu, n, sizeof(*tu), cmp_u64);
	out->iterations = n;
	out->map_p50 = pct(tm, n, 0.5);
	out->map_p99 = pct(tm, n, 0.99);
	out->unmap_p50 = pct(tu, n, 0.5);
	out->unmap_p99 = pct(tu, n, 0.99);
out:
	free(page);
	free(tm);
	free(tu);
	iova_ctx_destroy(c);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: iova-microbench [--iterations N (20000)] [--burst PAGES (1)] [--strategy S] [--mode M]\n"
		"         [--inv-latency-ns NS (%u)] [--vmexit-ns NS (0)] [--vmm-cpu auto|any|CPU (auto)]\n"
		"         [--max-seconds S per cell (4)] [--json]\n"
		"strategies: off strict deferred optimistic persistent shared ring pool\n"
		"modes: native trap-and-emulate sidecore\n",
		VTD_DEFAULT_INV_LATENCY_NS);
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-')
		return -EINVAL;
	*v = x;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .iterations = 20000,
			  .burst = 1,
			  .strategy = -1,
			  .mode = -1,
			  .inv_latency_ns = VTD_DEFAULT_INV_LATENCY_NS,
			  .vmm_cpu = -2,
			  .guest_cpu = -1,
			  .side_cpu = -1,
			  .max_seconds = 4 };
	static const struct option lo[] = { { "iterations", required_argument, NULL, 'n' },
					    { "burst", required_argument, NULL, 'b' },
					    { "strategy", required_argument, NULL, 's' },
					    { "mode", required_argument, NULL, 'm' },
					    { "inv-latency-ns", required_argument, NULL, 'i' },
					    { "vmexit-ns", required_argument, NULL, 'x' },
					    { "vmm-cpu", required_argument, NULL, 'c' },
					    { "max-seconds", required_argument, NULL, 't' },
					    { "json", no_argument, NULL, 'j' },
					    { "help", no_argument, NULL, 'h' },
					    { 0 } };
	int ch;
	uint64_t v;
	while ((ch = getopt_long(argc, argv, "n:b:s:m:i:x:c:t:jh", lo, NULL)) != -1) {
		switch (ch) {
		case 'b':
			if (parse_u64(optarg, &v) || !v || v > MAX_BURST) {
				fprintf(stderr, "iova-microbench: --burst '%s': want 1..%d pages\n",
					optarg, MAX_BURST);
				return 2;
			}
			o.burst = (unsigned int)v;
			break;
		case 'n':
			if (parse_u64(optarg, &v) || !v || v > 100000000) {
				fprintf(stderr,
					"iova-microbench: --iterations '%s': want 1..100000000\n",
					optarg);
				return 2;
			}
			o.iterations = (unsigned long)v;
			break;
		case 's':
			if ((o.strategy = iova_strategy_parse(optarg)) < 0) {
				fprintf(stderr,
					"iova-microbench: unknown strategy '%s' (off strict deferred "
					"optimistic persistent shared ring pool)\n",
					optarg);
				return 2;
			}
			break;
		case 'm':
			if ((o.mode = iova_mode_parse(optarg)) < 0) {
				fprintf(stderr,
					"iova-microbench: unknown mode '%s' (native trap-and-emulate sidecore)\n",
					optarg);
				return 2;
			}
			break;
		case 'i':
			if (parse_u64(optarg, &o.inv_latency_ns)) {
				fprintf(stderr,
					"iova-microbench: --inv-latency-ns '%s': want a number of ns\n",
					optarg);
				return 2;
			}
			break;
		case 'x':
			if (parse_u64(optarg, &o.vmexit_ns)) {
				fprintf(stderr,
					"iova-microbench: --vmexit-ns '%s': want a number of ns\n",
					optarg);
				return 2;
			}
			break;
		case 'c':
			if (!strcmp(optarg, "auto")) {
				o.vmm_cpu = -2;
			} else if (!strcmp(optarg, "any")) {
				o.vmm_cpu = -1;
			} else if (parse_u64(optarg, &v) || v >= CPU_SETSIZE) {
				fprintf(stderr,
					"iova-microbench: --vmm-cpu '%s': want auto, any or a CPU number\n",
					optarg);
				return 2;
			} else {
				o.vmm_cpu = (int)v;
			}
			break;
		case 't':
			o.max_seconds = strtod(optarg, NULL);
			if (!(o.max_seconds > 0)) {
				fprintf(stderr, "iova-microbench: --max-seconds '%s': want > 0\n",
					optarg);
				return 2;
			}
			break;
		case 'j':
			o.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "iova-microbench: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	if (o.vmm_cpu == -2) {
		/* pin this (guest) thread to its first allowed CPU; the sidecore takes the next */
		cpu_set_t set;
		if (sched_getaffinity(0, sizeof(set), &set) == 0) {
			for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
				if (!CPU_ISSET(cpu, &set))
					continue;
				if (o.guest_cpu < 0)
					o.guest_cpu = cpu;
				else if (o.side_cpu < 0)
					o.side_cpu = cpu;
			}
			if (o.guest_cpu >= 0) {
				cpu_set_t one;
				CPU_ZERO(&one);
				CPU_SET(o.guest_cpu, &one);
				if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one) != 0)
					o.guest_cpu = o.side_cpu = -1;
			}
		}
	}
	uint64_t tsc_hz = iova_tsc_hz(100);
	FILE *tab = o.json ? stderr : stdout;
	fprintf(tab,
		"# iova-microbench: cycles per 4 KiB page, map then unmap, %lu iterations, burst %u, "
		"soft VT-d inv_latency %llu ns, vmexit %llu ns, TSC %.1f MHz\n",
		o.iterations, o.burst, (unsigned long long)o.inv_latency_ns,
		(unsigned long long)o.vmexit_ns, (double)tsc_hz / 1e6);
	fprintf(tab, "# guest thread on CPU %d; VMM thread: %s\n", o.guest_cpu,
		o.vmm_cpu == -2 ?
			(o.guest_cpu < 0 ?
				 "unpinned" :
				 "trap-and-emulate on the guest CPU, sidecore on the next CPU") :
		o.vmm_cpu == -1 ? "unpinned" :
				  "pinned by --vmm-cpu");
	fprintf(tab, "%-11s %-17s %9s %9s %9s %9s %9s %7s %7s %7s %7s\n", "strategy", "mode",
		"map p50", "unmap p50", "sum p50", "map p99", "unmap p99", "exits/p", "waits/p",
		"inv/p", "iters");
	int failed = 0;
	for (int m = 0; m <= IOVA_MODE_SIDECORE; m++) {
		if (o.mode >= 0 && m != o.mode)
			continue;
		for (int s = 0; s < IOVA_STRAT__COUNT; s++) {
			if (o.strategy >= 0 && s != o.strategy)
				continue;
			struct cell cl = { 0 };
			if (run_cell(&o, s, m, tsc_hz, &cl) < 0) {
				failed++;
				continue;
			}
			double it = cl.iterations ? (double)cl.iterations * o.burst : 1; /* pages */
			fprintf(tab,
				"%-11s %-17s %9llu %9llu %9llu %9llu %9llu %7.2f %7.2f %7.2f %7lu\n",
				iova_strategy_name(s), iova_mode_name(m),
				(unsigned long long)cl.map_p50, (unsigned long long)cl.unmap_p50,
				(unsigned long long)(cl.map_p50 + cl.unmap_p50),
				(unsigned long long)cl.map_p99, (unsigned long long)cl.unmap_p99,
				(double)cl.st.exits / it, (double)cl.st.waits / it,
				(double)cl.st.invalidations / it, cl.iterations);
			if (o.json) {
				json_t *j = json_pack(
					"{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
					" s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:i}",
					"kind", "microbench", "strategy", iova_strategy_name(s),
					"mode", iova_mode_name(m), "backend", "soft", "map_cycles",
					(json_int_t)cl.map_p50, "unmap_cycles",
					(json_int_t)cl.unmap_p50, "map_cycles_p99",
					(json_int_t)cl.map_p99, "unmap_cycles_p99",
					(json_int_t)cl.unmap_p99, "iterations",
					(json_int_t)cl.iterations, "tsc_hz", (json_int_t)tsc_hz,
					"inv_latency_ns", (json_int_t)o.inv_latency_ns, "vmexit_ns",
					(json_int_t)o.vmexit_ns, "exits", (json_int_t)cl.st.exits,
					"waits", (json_int_t)cl.st.waits, "invalidations",
					(json_int_t)cl.st.invalidations, "reuse_hits",
					(json_int_t)cl.st.reuse_hits, "stale_max_entries",
					(json_int_t)cl.st.stale_max_entries, "guest_cpu",
					o.guest_cpu, "vmm_cpu",
					m == IOVA_MODE_NATIVE ? -1 : vmm_cpu_for(&o, m), "burst",
					(int)o.burst);
				if (j) {
					json_dumpf(j, stdout, JSON_COMPACT);
					fputc('\n', stdout);
					json_decref(j);
				}
			}
			fflush(stdout);
		}
	}
	if (o.json) {
		json_t *j =
			json_pack("{s:s, s:I}", "kind", "machine", "tsc_hz", (json_int_t)tsc_hz);
		if (j) {
			json_dumpf(j, stdout, JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(j);
		}
	}
	return failed ? 1 : 0;
}
