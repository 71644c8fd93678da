/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file main.c
 * vfapp: an IPv4 forwarding appliance between two DPDK ports whose packet
 * buffers are DMA-mapped per buffer through lib/iova, plus built-in
 * netperf-like endpoints (TCP_STREAM, UDP_RR) and a forwarding rate test.
 *
 *   vfapp [EAL options] -- [vfapp options]     (see --help)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>
#include <rte_memory.h>
#include <rte_vfio.h>

#include "endpoint.h"
#include "iova.h"
#ifdef VFAPP_HAVE_IRQPOST
#include "irqpost.h"
#endif
#include "vfapp.h"

enum workload_kind { WL_TCP_STREAM, WL_UDP_RR, WL_FWD };
enum topology { TOPO_INTERNAL, TOPO_PORTS };
enum rx_mode { RX_POLL, RX_POSTED, RX_REMAPPED };
enum backend_kind { BACKEND_SOFT, BACKEND_VFIO };

static const char *const workload_names[] = {"TCP_STREAM", "UDP_RR", "fwd"};
static const char *const rx_mode_names[] = {"poll", "posted", "remapped"};

struct opts {
	enum workload_kind workload;
	enum topology topology;
	enum vfapp_wire wire;
	const char *routes;
	int strategy;
	int mode;
	enum backend_kind backend;
	uint64_t inv_latency_ns;
	uint64_t vmexit_ns;
	int vmm_lcore;
	double duration, warmup;
	bool json;
	long repetition;
	uint64_t drop_every;
	struct vfapp_ep_params ep;
	enum rx_mode rx_mode;
	int endpoint_lcore;
	unsigned int pool_size, pool_cache;
	bool plain_pool;
	bool quiet;
};

static volatile sig_atomic_t force_quit;

static void
on_signal(int sig)
{
	(void)sig;
	force_quit = 1;
}

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
"Usage: %s [EAL options] -- [options]\n"
"IPv4 forwarding appliance with per-buffer DMA mapping (lib/iova) and built-in\n"
"netperf-like endpoints. Options (default in brackets):\n"
"  --workload W        TCP_STREAM | UDP_RR | fwd [TCP_STREAM]\n"
"  --topology T        internal (4 memif ports made by vfapp: A<->p0, p1<->B) |\n"
"                      ports (EAL ports 0 and 1 are the appliance's; workload fwd) [internal]\n"
"  --wire W            internal wires: memif | ring [memif]\n"
"  --routes FILE       routes file (conf/routes.conf.example) [internal: built-in\n"
"                      10.0.1.0/24 -> port 0, 10.0.2.0/24 -> port 1; ports: required]\n"
"  --strategy S        off|strict|deferred|optimistic|persistent|shared|ring|pool [off]\n"
"  --mode M            native|trap-and-emulate|sidecore [native]\n"
"  --backend B         soft | vfio [soft]\n"
"  --inv-latency-ns N  soft VT-d invalidation latency [%u]\n"
"  --vmexit-ns N       modeled VM exit cost, trap-and-emulate [0]\n"
"  --vmm-lcore N       CPU of the VMM / sidecore thread, -1 = any [-1]\n"
"  --duration S        measured seconds, fractional ok; ports topology: 0 = until signal [5]\n"
"  --warmup S          seconds before measuring [1]\n"
"  --json              print one JSON record (last line starting with '{')\n"
"  --repetition N      echoed in the JSON record [0]\n"
"  --drop-every N      appliance drops every Nth packet it would forward, 0 = off [0]\n"
"  --mss N             TCP_STREAM payload per segment, 1..1460 [1448]\n"
"  --window N          TCP_STREAM window in segments [64]\n"
"  --rto-us N          TCP_STREAM retransmission timeout [1000]\n"
"  --msg-size N        UDP_RR request and response size, 1..1472 [1]\n"
"  --rate N            UDP_RR: at most N transactions per second (low load), 0 = back to back [0]\n"
"  --pkt-size N        fwd generator frame size in bytes (no CRC), 42..2048 [64]\n"
"  --rx-mode M         poll | posted | remapped (appliance halts when idle and is\n"
"                      woken by the device's interrupt; needs 2 lcores) [poll]\n"
"  --endpoint-lcore N  run the endpoints on lcore N (default: same lcore as the appliance)\n"
"  --pool-size N       mbufs in each pool [16383]\n"
"  --pool-cache N      per-lcore cache of the appliance's iova pool, 0 = exact\n"
"                      per-buffer map/unmap [0]\n"
"  --pool P            iova | plain: plain = rte_pktmbuf_pool_create, no lib/iova at all\n"
"                      (strategy off only; measures the iova mempool's own cost) [iova]\n"
"  --quiet             no human-readable summary\n"
"  -h, --help          this text\n"
"Example: %s --no-huge -m 512 --no-pci --in-memory --file-prefix vfapp -l 0 -- \\\n"
"           --workload UDP_RR --strategy strict --json\n",
		prog, VTD_DEFAULT_INV_LATENCY_NS, prog);
}

static int
parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s[0] == '-' || s[0] == '\0')
		goto bad;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "vfapp: --%s '%s': expected an integer in %" PRIu64 "..%" PRIu64 "\n",
		opt, s, min, max);
	return -EINVAL;
}

static int
parse_secs(const char *opt, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || !(v >= 0) || v > 86400) {
		fprintf(stderr, "vfapp: --%s '%s': expected seconds, e.g. 5 or 0.5\n", opt, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int
pick(const char *opt, const char *s, const char *const *names, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	fprintf(stderr, "vfapp: --%s '%s': expected one of", opt, s);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s %s", i ? " |" : "", names[i]);
	fprintf(stderr, "\n");
	return -EINVAL;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{"workload", 1, 0, 'w'}, {"topology", 1, 0, 'T'}, {"wire", 1, 0, 'W'},
		{"routes", 1, 0, 'r'}, {"strategy", 1, 0, 's'}, {"mode", 1, 0, 'm'},
		{"backend", 1, 0, 'b'}, {"inv-latency-ns", 1, 0, 'I'}, {"vmexit-ns", 1, 0, 'X'},
		{"vmm-lcore", 1, 0, 'V'}, {"duration", 1, 0, 'd'}, {"warmup", 1, 0, 'u'},
		{"json", 0, 0, 'j'}, {"repetition", 1, 0, 'R'}, {"drop-every", 1, 0, 'D'},
		{"mss", 1, 0, 'M'}, {"window", 1, 0, 'N'}, {"rto-us", 1, 0, 'O'},
		{"msg-size", 1, 0, 'S'}, {"rate", 1, 0, 'A'}, {"pkt-size", 1, 0, 'P'}, {"rx-mode", 1, 0, 'x'},
		{"endpoint-lcore", 1, 0, 'e'}, {"pool-size", 1, 0, 'z'}, {"pool-cache", 1, 0, 'c'},
		{"pool", 1, 0, 'p'}, {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0},
	};
	static const char *const topo_names[] = {"internal", "ports"};
	static const char *const wire_names[] = {"memif", "ring"};
	static const char *const backend_names[] = {"soft", "vfio"};
	uint64_t v;
	int c, r;

	memset(o, 0, sizeof(*o));
	o->workload = WL_TCP_STREAM;
	o->strategy = IOVA_STRAT_OFF;
	o->mode = IOVA_MODE_NATIVE;
	o->inv_latency_ns = VTD_DEFAULT_INV_LATENCY_NS;
	o->vmm_lcore = -1;
	o->duration = 5;
	o->warmup = 1;
	o->ep.mss = 1448;
	o->ep.window = 64;
	o->ep.rto_us = 1000;
	o->ep.msg_size = 1;
	o->ep.rr_timeout_us = 20000;
	o->ep.pkt_size = 64;
	o->endpoint_lcore = -1;
	o->pool_size = 16383;
	o->pool_cache = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'w': r = pick("workload", optarg, workload_names, 3); if (r < 0) return r; o->workload = r; break;
		case 'T': r = pick("topology", optarg, topo_names, 2); if (r < 0) return r; o->topology = r; break;
		case 'W': r = pick("wire", optarg, wire_names, 2); if (r < 0) return r; o->wire = r; break;
		case 'r': o->routes = optarg; break;
		case 's':
			r = iova_strategy_parse(optarg);
			if (r < 0) {
				fprintf(stderr, "vfapp: --strategy '%s': expected off|strict|deferred|optimistic|persistent|shared|ring|pool\n", optarg);
				return -EINVAL;
			}
			o->strategy = r;
			break;
		case 'm':
			r = iova_mode_parse(optarg);
			if (r < 0) {
				fprintf(stderr, "vfapp: --mode '%s': expected native|trap-and-emulate|sidecore\n", optarg);
				return -EINVAL;
			}
			o->mode = r;
			break;
		case 'b': r = pick("backend", optarg, backend_names, 2); if (r < 0) return r; o->backend = r; break;
		case 'I': if (parse_u64("inv-latency-ns", optarg, 0, 1000000000, &o->inv_latency_ns)) return -EINVAL; break;
		case 'X': if (parse_u64("vmexit-ns", optarg, 0, 1000000000, &o->vmexit_ns)) return -EINVAL; break;
		case 'V':
			if (strcmp(optarg, "-1") == 0) { o->vmm_lcore = -1; break; }
			if (parse_u64("vmm-lcore", optarg, 0, 1023, &v)) return -EINVAL;
			o->vmm_lcore = (int)v;
			break;
		case 'd': if (parse_secs("duration", optarg, &o->duration)) return -EINVAL; break;
		case 'u': if (parse_secs("warmup", optarg, &o->warmup)) return -EINVAL; break;
		case 'j': o->json = true; break;
		case 'R': if (parse_u64("repetition", optarg, 0, 1000000, &v)) return -EINVAL; o->repetition = (long)v; break;
		case 'D': if (parse_u64("drop-every", optarg, 0, UINT32_MAX, &o->drop_every)) return -EINVAL; break;
		case 'M': if (parse_u64("mss", optarg, 1, 1460, &v)) return -EINVAL; o->ep.mss = (unsigned int)v; break;
		case 'N': if (parse_u64("window", optarg, 1, 512, &v)) return -EINVAL; o->ep.window = (unsigned int)v; break;
		case 'O': if (parse_u64("rto-us", optarg, 10, 10000000, &o->ep.rto_us)) return -EINVAL; break;
		case 'S': if (parse_u64("msg-size", optarg, 1, 1472, &v)) return -EINVAL; o->ep.msg_size = (unsigned int)v; break;
		case 'A': if (parse_u64("rate", optarg, 0, 100000000, &o->ep.rate)) return -EINVAL; break;
		case 'P': if (parse_u64("pkt-size", optarg, 42, 2048, &v)) return -EINVAL; o->ep.pkt_size = (unsigned int)v; break;
		case 'x': r = pick("rx-mode", optarg, rx_mode_names, 3); if (r < 0) return r; o->rx_mode = r; break;
		case 'e': if (parse_u64("endpoint-lcore", optarg, 0, RTE_MAX_LCORE - 1, &v)) return -EINVAL; o->endpoint_lcore = (int)v; break;
		case 'z': if (parse_u64("pool-size", optarg, 1023, 1u << 22, &v)) return -EINVAL; o->pool_size = (unsigned int)v; break;
		case 'c': if (parse_u64("pool-cache", optarg, 0, RTE_MEMPOOL_CACHE_MAX_SIZE, &v)) return -EINVAL; o->pool_cache = (unsigned int)v; break;
		case 'p': {
			static const char *const pool_names[] = {"iova", "plain"};

			r = pick("pool", optarg, pool_names, 2);
			if (r < 0)
				return r;
			o->plain_pool = r == 1;
			break;
		}
		case 'q': o->quiet = true; break;
		case 'h': usage(stdout, argv[0]); exit(0);
		default:
			if (optopt != 0)
				fprintf(stderr, "vfapp: option -%c: unknown or missing its value (see --help)\n", optopt);
			else
				fprintf(stderr, "vfapp: option '%s': unknown or missing its value (see --help)\n",
					argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vfapp: unexpected argument '%s' (vfapp options start with --; see --help)\n",
			argv[optind]);
		return -EINVAL;
	}
	if (o->topology == TOPO_PORTS && o->workload != WL_FWD) {
		fprintf(stderr, "vfapp: --topology ports runs the appliance only: use --workload fwd "
			"(TCP_STREAM/UDP_RR endpoints exist in --topology internal)\n");
		return -EINVAL;
	}
	if (o->plain_pool && (o->strategy != IOVA_STRAT_OFF || o->mode != IOVA_MODE_NATIVE)) {
		fprintf(stderr, "vfapp: --pool plain has no IOMMU mapping: use it with --strategy off "
			"--mode native only\n");
		return -EINVAL;
	}
	if (o->topology == TOPO_INTERNAL && o->duration <= 0) {
		fprintf(stderr, "vfapp: --duration must be > 0 in the internal topology\n");
		return -EINVAL;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */

struct app_state {
	struct opts o;
	struct vfapp_appliance app;
	struct vfapp_route_cfg routes;
	struct vfapp_workload wl;
	bool have_wl;
	struct vfapp_ep_env env;
	struct iova_ctx *ctx;
	struct iova_backend *backend;
	uint64_t hz, t_warm, t_end;
	/* measured interval as seen by the appliance lcore */
	uint64_t t_start, t_stop;
	bool started, stopped;
	struct iova_ctx_stats iova_st;
	struct vfapp_port_stats tot;
#ifdef VFAPP_HAVE_IRQPOST
	struct irqpost_vcpu_stats vs0, vs1;
#endif
	volatile bool ep_done;
};

static void
measure_start(struct app_state *s, uint64_t now)
{
	vfapp_appliance_reset_stats(&s->app);
#ifdef VFAPP_HAVE_IOVA
	if (s->ctx != NULL)
		iova_ctx_reset_stats(s->ctx);
#endif
#ifdef VFAPP_HAVE_IRQPOST
	if (s->app.vcpu != NULL)
		irqpost_vcpu_stats(s->app.vcpu, &s->vs0);
#endif
	s->t_start = now;
	s->started = true;
}

static void
measure_stop(struct app_state *s, uint64_t now)
{
	if (!s->started || s->stopped)
		return;
	s->t_stop = now;
	s->stopped = true;
	vfapp_appliance_totals(&s->app, &s->tot);
#ifdef VFAPP_HAVE_IOVA
	if (s->ctx != NULL)
		iova_ctx_get_stats(s->ctx, &s->iova_st);
#endif
#ifdef VFAPP_HAVE_IRQPOST
	if (s->app.vcpu != NULL)
		irqpost_vcpu_stats(s->app.vcpu, &s->vs1);
#endif
}

/* Endpoints on their own lcore. */
static int
endpoint_loop(void *arg)
{
	struct app_state *s = arg;
	struct vfapp_workload *w = &s->wl;
	bool started = false;
	uint64_t now;

	for (;;) {
		now = rte_rdtsc();
		if (!started && now >= s->t_warm) {
			w->start(w->st, now);
			started = true;
		}
		if (now >= s->t_end || force_quit) {
			w->stop(w->st, now);
			break;
		}
		w->client_step(w->st, now);
		w->server_step(w->st, now);
	}
	s->ep_done = true;
	return 0;
}

static void
appliance_idle(struct app_state *s)
{
#ifdef VFAPP_HAVE_IRQPOST
	/* HLT until the device's MSI-X arrives (bounded so the loop sees the clock) */
	int r = irqpost_vcpu_halt(s->app.vcpu, 1000000);

	s->app.halts++;
	if (r == -ETIMEDOUT)
		s->app.halt_timeouts++;
#else
	(void)s;
#endif
}

static void
run(struct app_state *s)
{
	struct vfapp_workload *w = s->have_wl ? &s->wl : NULL;
	bool two = s->o.endpoint_lcore >= 0;
	uint64_t now;
	unsigned int n;

	s->hz = rte_get_tsc_hz();
	now = rte_rdtsc();
	s->t_warm = now + (uint64_t)(s->o.warmup * s->hz);
	s->t_end = s->o.duration > 0 ? s->t_warm + (uint64_t)(s->o.duration * s->hz) : UINT64_MAX;
	if (w != NULL && two) {
		int ret = rte_eal_remote_launch(endpoint_loop, s, (unsigned int)s->o.endpoint_lcore);

		if (ret != 0) {
			fprintf(stderr, "vfapp: cannot launch the endpoints on lcore %d: %s\n",
				s->o.endpoint_lcore, strerror(-ret));
			return;
		}
	}
	for (;;) {
		now = rte_rdtsc();
		if (!s->started && now >= s->t_warm) {
			measure_start(s, now);
			if (w != NULL && !two)
				w->start(w->st, now);
		}
		if (now >= s->t_end || force_quit) {
			measure_stop(s, now);
			if (w != NULL && !two)
				w->stop(w->st, now);
			break;
		}
		if (w != NULL && !two)
			w->client_step(w->st, now);
		n = vfapp_appliance_step(&s->app);
		if (w != NULL && !two)
			w->server_step(w->st, now);
		if (n == 0 && s->app.vcpu != NULL)
			appliance_idle(s);
	}
	if (w != NULL && two) {
		/* the endpoint loop stops on the same clock; keep forwarding until it did */
		while (!s->ep_done)
			vfapp_appliance_step(&s->app);
		rte_eal_wait_lcore((unsigned int)s->o.endpoint_lcore);
	}
}

/* ---------------------------------------------------------------------- */

static long
rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int
count_huge(const struct rte_memseg_list *msl, const struct rte_memseg *ms, void *arg)
{
	uint64_t *n = arg;

	if (!msl->external && ms->hugepage_sz >= (1u << 21))
		*n += ms->len / ms->hugepage_sz;
	return 0;
}

static uint64_t
hugepages_used(void)
{
	uint64_t n = 0;

	if (!rte_eal_has_hugepages())
		return 0;
	rte_memseg_walk(count_huge, &n);
	return n;
}

static void
report(struct app_state *s)
{
	const struct opts *o = &s->o;
	double secs = s->t_stop > s->t_start ? (double)(s->t_stop - s->t_start) / s->hz : 0;
	FILE *out = stdout;
	json_t *rec = json_object(), *drops = json_object(), *ports = json_array();
	uint64_t packets = s->tot.rx, fwd = s->tot.tx;
	unsigned int r, p;
	char *txt;

	json_object_set_new(rec, "strategy", json_string(iova_strategy_name(o->strategy)));
	json_object_set_new(rec, "mode", json_string(iova_mode_name(o->mode)));
	json_object_set_new(rec, "workload", json_string(workload_names[o->workload]));
	json_object_set_new(rec, "repetition", json_integer(o->repetition));
	json_object_set_new(rec, "backend", json_string(o->backend == BACKEND_SOFT ? "soft" : "vfio"));
	json_object_set_new(rec, "topology", json_string(o->topology == TOPO_INTERNAL ? "internal" : "ports"));
	json_object_set_new(rec, "wire", json_string(o->wire == WIRE_MEMIF ? "memif" : "ring"));
	json_object_set_new(rec, "lcores", json_integer(o->endpoint_lcore >= 0 ? 2 : 1));
	json_object_set_new(rec, "duration_s", json_real(secs));
	if (s->have_wl) {
		FILE *sum = o->quiet ? fopen("/dev/null", "w") : out;

		s->wl.report(s->wl.st, secs, rec, sum != NULL ? sum : stderr);
		if (sum != NULL && sum != out)
			fclose(sum);
	}
	if (o->workload == WL_FWD) {
		double mpps = secs > 0 ? fwd / secs / 1e6 : 0;
		double gbps = secs > 0 ? s->tot.tx_bytes * 8.0 / secs / 1e9 : 0;

		json_object_set_new(rec, "mpps", json_real(mpps));
		json_object_set_new(rec, "gbps", json_real(gbps));
		if (!o->quiet)
			fprintf(out, "FWD TEST (appliance) forwarded %" PRIu64 " packets in %.2f s: "
				"%.3f Mpps, %.3f Gbit/s\n", fwd, secs, mpps, gbps);
	}
	json_object_set_new(rec, "packets", json_integer((json_int_t)packets));
	json_object_set_new(rec, "forwarded", json_integer((json_int_t)fwd));
	json_object_set_new(rec, "map_cycles", json_integer((json_int_t)s->iova_st.map_cycles_p50));
	json_object_set_new(rec, "unmap_cycles", json_integer((json_int_t)s->iova_st.unmap_cycles_p50));
	json_object_set_new(rec, "map_cycles_p99", json_integer((json_int_t)s->iova_st.map_cycles_p99));
	json_object_set_new(rec, "unmap_cycles_p99", json_integer((json_int_t)s->iova_st.unmap_cycles_p99));
	json_object_set_new(rec, "invalidations_per_packet",
			    json_real(packets ? (double)s->iova_st.invalidations / packets : 0));
	json_object_set_new(rec, "exits_per_packet",
			    json_real(packets ? (double)s->iova_st.exits / packets : 0));
	json_object_set_new(rec, "stale_max_entries", json_integer((json_int_t)s->iova_st.stale_max_entries));
	json_object_set_new(rec, "stale_max_ns", json_integer((json_int_t)s->iova_st.stale_max_ns));
	json_object_set_new(rec, "reuse_hits", json_integer((json_int_t)s->iova_st.reuse_hits));
	json_object_set_new(rec, "maps", json_integer((json_int_t)s->iova_st.maps));
	json_object_set_new(rec, "unmaps", json_integer((json_int_t)s->iova_st.unmaps));
	json_object_set_new(rec, "invalidations", json_integer((json_int_t)s->iova_st.invalidations));
	json_object_set_new(rec, "dma_faults", json_integer((json_int_t)s->tot.drops[DROP_DMA_FAULT]));
	json_object_set_new(rec, "dma_mismatch", json_integer((json_int_t)s->app.dma_mismatch));
	json_object_set_new(rec, "dma_checked", json_boolean(s->app.dma_check));
	for (r = 1; r < DROP__COUNT; r++)
		json_object_set_new(drops, vfapp_drop_name(r), json_integer((json_int_t)s->tot.drops[r]));
	json_object_set_new(rec, "drops", drops);
	for (p = 0; p < VFAPP_NB_PORTS; p++) {
		json_t *pj = json_object();

		json_object_set_new(pj, "rx", json_integer((json_int_t)s->app.st[p].rx));
		json_object_set_new(pj, "tx", json_integer((json_int_t)s->app.st[p].tx));
		json_object_set_new(pj, "rx_bytes", json_integer((json_int_t)s->app.st[p].rx_bytes));
		json_object_set_new(pj, "tx_bytes", json_integer((json_int_t)s->app.st[p].tx_bytes));
		json_array_append_new(ports, pj);
	}
	json_object_set_new(rec, "ports", ports);
	if (json_object_get(rec, "retransmits") == NULL)
		json_object_set_new(rec, "retransmits", json_integer(0));
	if (json_object_get(rec, "mismatches") == NULL)
		json_object_set_new(rec, "mismatches", json_integer(0));
	json_object_set_new(rec, "rx_mode", json_string(rx_mode_names[o->rx_mode]));
#ifdef VFAPP_HAVE_IRQPOST
	if (s->app.vcpu != NULL) {
		json_t *tr = json_object_get(json_object_get(rec, "udp_rr") ?: json_object(), "transactions");
		uint64_t trans = tr ? (uint64_t)json_integer_value(tr) : 0;
		uint64_t wake = s->vs1.vmm_wakeups - s->vs0.vmm_wakeups;
		uint64_t units = trans ? trans : packets;

		json_object_set_new(rec, "vmm_wakeups_per_transaction",
				    json_real(units ? (double)wake / units : 0));
		json_object_set_new(rec, "vmm_wakeups", json_integer((json_int_t)wake));
		uint64_t inj = s->vs1.vmm_injections - s->vs0.vmm_injections;

		json_object_set_new(rec, "vmm_injections", json_integer((json_int_t)inj));
		json_object_set_new(rec, "vmm_injections_per_transaction",
				    json_real(units ? (double)inj / units : 0));
		json_object_set_new(rec, "halts", json_integer((json_int_t)s->app.halts));
	}
#endif
	json_object_set_new(rec, "inv_latency_ns", json_integer((json_int_t)o->inv_latency_ns));
	json_object_set_new(rec, "vmexit_ns", json_integer((json_int_t)o->vmexit_ns));
	json_object_set_new(rec, "pool_cache", json_integer(o->pool_cache));
	json_object_set_new(rec, "pool", json_string(o->plain_pool ? "plain" : "iova"));
	json_object_set_new(rec, "rss_kb", json_integer(rss_kb()));
	json_object_set_new(rec, "hugepages_used", json_integer((json_int_t)hugepages_used()));

	if (!o->quiet) {
		fprintf(out, "vfapp: strategy %s, mode %s, backend %s, %" PRIu64 " packets, "
			"map p50 %" PRIu64 " cycles/page, unmap p50 %" PRIu64 " cycles/page, "
			"%.3f invalidations/packet, dma faults %" PRIu64 "\n",
			iova_strategy_name(o->strategy), iova_mode_name(o->mode),
			o->backend == BACKEND_SOFT ? "soft" : "vfio", packets,
			s->iova_st.map_cycles_p50, s->iova_st.unmap_cycles_p50,
			packets ? (double)s->iova_st.invalidations / packets : 0,
			s->tot.drops[DROP_DMA_FAULT]);
		vfapp_appliance_print(&s->app, out);
	}
	if (o->json) {
		txt = json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(6));
		if (txt != NULL) {
			fprintf(out, "%s\n", txt);
			free(txt);
		}
	}
	fflush(out);
	json_decref(rec);
}

/* ---------------------------------------------------------------------- */

static int
setup_iova(struct app_state *s, unsigned int app_lcore, struct rte_mempool **pool)
{
	const struct opts *o = &s->o;

	if (o->plain_pool) {
		*pool = rte_pktmbuf_pool_create("vfapp_app", o->pool_size, o->pool_cache, 0,
						RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
		if (*pool == NULL) {
			fprintf(stderr, "vfapp: rte_pktmbuf_pool_create: %s\n", rte_strerror(rte_errno));
			return -1;
		}
		return 0;
	}
#ifdef VFAPP_HAVE_IOVA
	struct vtd_soft_params vp;
	struct iova_mode_params mp = {.vmm_cpu = o->vmm_lcore, .vmexit_ns = o->vmexit_ns};
	struct iova_ctx_params cp;
	struct iova_backend *phys, *be;
	unsigned int lc, max_lc = 0;

	if (o->backend == BACKEND_SOFT) {
		vtd_soft_default_params(&vp);
		vp.inv_latency_ns = o->inv_latency_ns;
		/* the appliance VF as requester 01:00.1 in domain 1 */
		phys = iova_backend_soft_create(&vp, 0x0101, 1);
		if (phys == NULL) {
			fprintf(stderr, "vfapp: iova_backend_soft_create: %s\n", strerror(errno));
			return -1;
		}
	} else {
		int fd = rte_vfio_get_container_fd();

		if (fd < 0) {
			fprintf(stderr, "vfapp: --backend vfio: no VFIO container (rte_vfio_get_container_fd "
				"failed): load vfio-pci and bind a device, or use --backend soft\n");
			return -1;
		}
		phys = iova_backend_vfio_create(fd, NULL);
		if (phys == NULL) {
			fprintf(stderr, "vfapp: iova_backend_vfio_create: %s (use --backend soft on a "
				"machine without an IOMMU)\n", strerror(errno));
			return -1;
		}
	}
	be = iova_mode_wrap((enum iova_mode)o->mode, &mp, phys);
	if (be == NULL) {
		fprintf(stderr, "vfapp: iova_mode_wrap(%s): %s\n", iova_mode_name(o->mode),
			strerror(errno));
		return -1;
	}
	RTE_LCORE_FOREACH(lc)
		if (lc > max_lc)
			max_lc = lc;
	iova_ctx_default_params(&cp);
	cp.strategy = (enum iova_strategy)o->strategy;
	cp.mode = (enum iova_mode)o->mode;
	cp.mode_params = mp;
	cp.nb_cpus = max_lc + 1;
	s->ctx = iova_ctx_create(&cp, be);
	if (s->ctx == NULL) {
		fprintf(stderr, "vfapp: iova_ctx_create(strategy %s): %s\n",
			iova_strategy_name(o->strategy), strerror(errno));
		return -1;
	}
	s->backend = be;
	*pool = iova_pktmbuf_pool_create("vfapp_app", o->pool_size, o->pool_cache,
					 RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id(), s->ctx);
	if (*pool == NULL) {
		fprintf(stderr, "vfapp: iova_pktmbuf_pool_create(%u mbufs, strategy %s): %s "
			"(try a smaller --pool-size or more EAL memory, -m)\n", o->pool_size,
			iova_strategy_name(o->strategy), rte_strerror(rte_errno));
		return -1;
	}
	s->app.ctx = s->ctx;
	s->app.cpu = app_lcore;
	s->app.dma_check = o->backend == BACKEND_SOFT && o->strategy != IOVA_STRAT_OFF;
	return 0;
#else
	(void)app_lcore;
	if (o->strategy != IOVA_STRAT_OFF || o->backend != BACKEND_SOFT || o->mode != IOVA_MODE_NATIVE) {
		fprintf(stderr, "vfapp: --strategy %s / --mode / --backend need lib/iova's context and "
			"mempool driver, which this build does not have yet: use --strategy off\n",
			iova_strategy_name(o->strategy));
		return -1;
	}
	*pool = rte_pktmbuf_pool_create("vfapp_app", o->pool_size, o->pool_cache, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (*pool == NULL) {
		fprintf(stderr, "vfapp: rte_pktmbuf_pool_create: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
#endif
}

static int
setup_vcpu(struct app_state *s, unsigned int app_lcore)
{
	if (s->o.rx_mode == RX_POLL)
		return 0;
#ifdef VFAPP_HAVE_IRQPOST
	s->app.vcpu = irqpost_vcpu_create(s->o.rx_mode == RX_POSTED ? IRQPOST_POSTED : IRQPOST_REMAPPED,
					  (int)app_lcore);
	if (s->app.vcpu == NULL) {
		fprintf(stderr, "vfapp: irqpost_vcpu_create(%s): %s\n", rx_mode_names[s->o.rx_mode],
			strerror(errno));
		return -1;
	}
	s->env.vcpu = s->app.vcpu;
	return 0;
#else
	(void)app_lcore;
	fprintf(stderr, "vfapp: --rx-mode %s needs lib/irqpost's vCPU model, not in this build\n",
		rx_mode_names[s->o.rx_mode]);
	return -1;
#endif
}

int
main(int argc, char **argv)
{
	static struct app_state st; /* large (route table): not on the stack */
	struct app_state *s = &st;
	struct rte_mempool *app_pool = NULL, *ep_pool = NULL;
	struct vfapp_topo topo;
	char err[512];
	unsigned int app_lcore;
	bool topo_up = false;
	int ret, rc = 1;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "vfapp: rte_eal_init failed: %s (check the EAL options before '--')\n",
			rte_strerror(rte_errno));
		return 1;
	}
	argc -= ret;
	argv += ret;
	argv[0] = (char *)"vfapp";
	if (parse_opts(argc, argv, &s->o) != 0)
		goto out_eal;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	app_lcore = rte_lcore_id();

	if (s->o.rx_mode != RX_POLL && s->o.endpoint_lcore < 0) {
		/* the appliance lcore must be able to block: endpoints on another lcore */
		unsigned int lc = rte_get_next_lcore(app_lcore, 1, 0);

		if (lc >= RTE_MAX_LCORE) {
			fprintf(stderr, "vfapp: --rx-mode %s needs a second lcore for the endpoints: "
				"give the EAL -l 0-1\n", rx_mode_names[s->o.rx_mode]);
			goto out_eal;
		}
		s->o.endpoint_lcore = (int)lc;
	}
	if (s->o.endpoint_lcore >= 0 &&
	    (s->o.endpoint_lcore == (int)app_lcore || !rte_lcore_is_enabled(s->o.endpoint_lcore))) {
		fprintf(stderr, "vfapp: --endpoint-lcore %d: not an enabled worker lcore (main is %u); "
			"give the EAL -l with both lcores, e.g. -l 0-1\n", s->o.endpoint_lcore, app_lcore);
		goto out_eal;
	}
	if (setup_iova(s, app_lcore, &app_pool) != 0)
		goto out_eal;

	vfapp_routes_init(&s->routes);
	if (s->o.topology == TOPO_INTERNAL) {
		ep_pool = rte_pktmbuf_pool_create("vfapp_ep", s->o.pool_size, 256, 0,
						  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
		if (ep_pool == NULL) {
			fprintf(stderr, "vfapp: endpoint pool: %s (more EAL memory: -m 512)\n",
				rte_strerror(rte_errno));
			goto out;
		}
		ret = vfapp_topo_internal(&topo, s->o.wire, "vf", app_pool, ep_pool, err, sizeof(err));
		if (ret != 0) {
			fprintf(stderr, "vfapp: %s\n", err);
			goto out;
		}
		topo_up = true;
		s->app.port_id[0] = topo.app_port[0];
		s->app.port_id[1] = topo.app_port[1];
		vfapp_routes_internal(&s->routes, &topo);
	} else {
		uint16_t ports[2] = {0, 1};

		if (rte_eth_dev_count_avail() < 2) {
			fprintf(stderr, "vfapp: --topology ports needs two EAL ports (e.g. --vdev "
				"net_af_packet0,iface=veth-a --vdev net_af_packet1,iface=veth-b); found %u\n",
				rte_eth_dev_count_avail());
			goto out;
		}
		if (s->o.routes == NULL) {
			fprintf(stderr, "vfapp: --topology ports needs --routes FILE with the next-hop "
				"MACs of the peers (see conf/routes.conf.example)\n");
			goto out;
		}
		if (vfapp_port_setup(0, app_pool, err, sizeof(err)) != 0 ||
		    vfapp_port_setup(1, app_pool, err, sizeof(err)) != 0) {
			fprintf(stderr, "vfapp: %s\n", err);
			goto out;
		}
		if (vfapp_wait_links(ports, 2, 3000) != 0)
			fprintf(stderr, "vfapp: warning: ports not up after 3 s, forwarding anyway\n");
		s->app.port_id[0] = 0;
		s->app.port_id[1] = 1;
	}
	if (s->o.routes != NULL) {
		vfapp_routes_init(&s->routes);
		if (vfapp_routes_parse_file(&s->routes, s->o.routes, err, sizeof(err)) != 0) {
			fprintf(stderr, "vfapp: %s\n", err);
			goto out;
		}
	}
	for (unsigned int p = 0; p < VFAPP_NB_PORTS; p++) {
		if (s->routes.port_mac_set[p])
			s->app.port_mac[p] = s->routes.port_mac[p];
		else
			rte_eth_macaddr_get(s->app.port_id[p], &s->app.port_mac[p]);
	}
	s->app.routes = &s->routes;
	s->app.drop_every = s->o.drop_every;
	s->app.lpm = vfapp_routes_build_lpm(&s->routes, "vfapp_lpm", (int)rte_socket_id(), err,
					    sizeof(err));
	if (s->app.lpm == NULL) {
		fprintf(stderr, "vfapp: %s\n", err);
		goto out;
	}
	if (vfapp_telemetry_register(&s->app) != 0 && !s->o.quiet)
		fprintf(stderr, "vfapp: warning: telemetry command /vfapp/stats not registered\n");
	if (setup_vcpu(s, app_lcore) != 0)
		goto out;

	if (s->o.topology == TOPO_INTERNAL) {
		s->env.pool = ep_pool;
		s->env.hz = rte_get_tsc_hz();
		s->env.a.port = topo.ep_a;
		s->env.a.mac = topo.ep_a_mac;
		s->env.a.gw_mac = s->app.port_mac[0];
		s->env.a.ip = topo.ep_a_ip;
		s->env.a.peer_ip = topo.ep_b_ip;
		s->env.b.port = topo.ep_b;
		s->env.b.mac = topo.ep_b_mac;
		s->env.b.gw_mac = s->app.port_mac[1];
		s->env.b.ip = topo.ep_b_ip;
		s->env.b.peer_ip = topo.ep_a_ip;
		switch (s->o.workload) {
		case WL_TCP_STREAM: ret = vfapp_tcp_stream_create(&s->env, &s->o.ep, &s->wl); break;
		case WL_UDP_RR: ret = vfapp_udp_rr_create(&s->env, &s->o.ep, &s->wl); break;
		default: ret = vfapp_gen_create(&s->env, &s->o.ep, &s->wl); break;
		}
		if (ret != 0) {
			fprintf(stderr, "vfapp: creating the %s endpoints: %s\n",
				workload_names[s->o.workload], strerror(-ret));
			goto out;
		}
		s->have_wl = true;
	}

	run(s);
	report(s);
	rc = 0;
out:
	if (s->have_wl)
		s->wl.destroy(s->wl.st);
#ifdef VFAPP_HAVE_IRQPOST
	irqpost_vcpu_destroy(s->app.vcpu);
#endif
	if (topo_up)
		vfapp_topo_close(&topo);
	{
		uint16_t pid;

		RTE_ETH_FOREACH_DEV(pid) {
			rte_eth_dev_stop(pid);
			rte_eth_dev_close(pid);
		}
	}
	if (s->app.lpm != NULL)
		rte_lpm_free(s->app.lpm);
	rte_mempool_free(app_pool);
	rte_mempool_free(ep_pool);
#ifdef VFAPP_HAVE_IOVA
	if (s->ctx != NULL)
		iova_ctx_destroy(s->ctx);
#endif
out_eal:
	rte_eal_cleanup();
	return rc;
}
