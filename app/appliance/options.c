/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file options.c
 * vfapp's command line: parsing with getopt_long, range checks with messages naming the
 * option and the expected values, --help, and the EAL-less --list-strategies/--list-modes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_lcore.h>
#include <rte_mempool.h>

#include "iova.h"
#include "options.h"

static const char *const workload_names[] = { "TCP_STREAM", "UDP_RR", "fwd" };
static const char *const rx_mode_names[] = { "poll", "posted", "remapped" };

const char *vfapp_workload_name(enum vfapp_workload_kind w)
{
	return workload_names[w];
}

const char *vfapp_rx_mode_name(enum vfapp_rx_mode m)
{
	return rx_mode_names[m];
}

bool vfapp_opts_list(int argc, char **argv)
{
	const char *name;
	unsigned int i;
	int a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--list-strategies") == 0) {
			for (i = 0; (name = iova_strategy_name((enum iova_strategy)i)) != NULL; i++)
				printf("%s\n", name);
			return true;
		}
		if (strcmp(argv[a], "--list-modes") == 0) {
			for (i = 0; (name = iova_mode_name((enum iova_mode)i)) != NULL; i++)
				printf("%s\n", name);
			return true;
		}
	}
	return false;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [EAL options] -- [options]\n"
		"IPv4 forwarding appliance with per-buffer DMA mapping (lib/iova) and built-in\n"
		"netperf-like endpoints. Options (default in brackets):\n"
		"  --workload W        TCP_STREAM | UDP_RR | fwd [TCP_STREAM]\n"
		"  --topology T        internal (vfapp builds A<->p0, p1<->B on --wire) |\n"
		"                      ports (EAL ports 0 and 1 are the appliance's; workload fwd) [internal]\n"
		"  --wire W            internal topology: vfdev (the appliance's ports are software\n"
		"                      VFs whose DMA goes through the IOMMU; devices and endpoints on\n"
		"                      the second lcore when the EAL has one) | memif | ring\n"
		"                      [vfdev: with --rx-mode its MSI-X goes through the soft VT-d]\n"
		"  --device-core C     vfdev: next (the devices, IOMMU hardware and endpoints on the\n"
		"                      next EAL lcore) | same (everything on the appliance's lcore;\n"
		"                      the IOMMU executes invalidations inline) [next]\n"
		"  --attack on|off     vfdev: malicious-device mode (stale DMA writes to freed\n"
		"                      buffers, counted in attack_*; with --rx-mode also forged\n"
		"                      interrupts, counted in irq_attacks) [on]\n"
		"  --intremap on|off   vfdev + --rx-mode posted|remapped: the soft VT-d remaps the\n"
		"                      VFs' MSI-X (off models a host without interrupt remapping:\n"
		"                      compatibility-format messages, forged ones delivered) [on]\n"
		"  --routes FILE       routes file (conf/routes.conf.example) [internal: built-in\n"
		"                      10.0.1.0/24 -> port 0, 10.0.2.0/24 -> port 1; ports: required]\n"
		"  --strategy S        off|strict|deferred|optimistic|persistent|shared|ring|pool [off]\n"
		"  --mode M            native|trap-and-emulate|sidecore [native]\n"
		"  --backend B         soft | vfio | auto (vfio when an EAL port is a PCI device, else\n"
		"                      soft; soft is refused on a PCI port) [soft]\n"
		"  --inv-latency-ns N  modeled extra latency of the soft VT-d's queued invalidations,\n"
		"                      on top of the real execution (by the device core with vfdev) [0]\n"
		"  --vmexit-ns N       modeled VM exit cost, trap-and-emulate [0]\n"
		"  --vmm-lcore N       CPU of the VMM / sidecore thread, -1 = any [-1]\n"
		"  --duration S        measured seconds, fractional ok; ports topology: 0 = until signal [5]\n"
		"  --warmup S          seconds before measuring [1]\n"
		"  --json              print one JSON record (last line starting with '{')\n"
		"  --repetition N      echoed in the JSON record [0]\n"
		"  --drop-every N      appliance drops every Nth packet it would forward, 0 = off [0]\n"
		"  --msg-size N        UDP_RR request and response size, 1..1472 [1]\n"
		"  --rate N            UDP_RR: at most N transactions per second (low load), 0 = back to back [0]\n"
		"  --pkt-size N        fwd generator frame size in bytes (no CRC), 42..2048 [64]\n"
		"  --rx-mode M         poll | posted | remapped (appliance halts when idle and is\n"
		"                      woken by the device's interrupt; needs 2 lcores) [poll]\n"
		"  --endpoint-lcore N  run the endpoints on lcore N (default: same lcore as the appliance)\n"
		"  --pool-size N       mbufs in each pool [16383]; --topology ports needs at least\n"
		"                      what both ports' rings hold (2 x (1024 RX + 1024 TX) + bursts)\n"
		"  --pool-cache N      per-lcore cache of the appliance's iova pool, 0 = exact\n"
		"                      per-buffer map/unmap [0]\n"
		"  --pool P            iova | plain: plain = rte_pktmbuf_pool_create, no lib/iova at all\n"
		"                      (strategy off only; measures the iova mempool's own cost) [iova]\n"
		"  --icmp-rate N       ICMP errors sent per second at most, 0 = unlimited [1000]\n"
		"  --icmp-burst N      ICMP errors sent back to back before --icmp-rate applies [50]\n"
		"  --prometheus FILE   write the per-port counters, drops by reason and router events\n"
		"                      to FILE (*.prom, node_exporter textfile collector), atomically,\n"
		"                      every --prometheus-interval seconds and at exit\n"
		"  --prometheus-interval S  seconds between writes, fractional ok [5]\n"
		"  --stats-interval S  print one line of counters and rates every S seconds (stdout), 0 = off [0]\n"
		"  --fwd-lcores N      ports topology: forward on N lcores (the main lcore and N-1 EAL\n"
		"                      workers), one RX/TX queue pair each, RSS where the port has it [1]\n"
		"  --fix-l4-csum       complete partial TCP/UDP checksums of forwarded packets in software:\n"
		"                      kernel ports (veth) whose peer has tx checksum offload on; without\n"
		"                      it vfapp refuses to start and prints the exact ethtool -K command\n"
		"                      per port (af_packet also needs the peer's tso off) [off]\n"
		"  --pool-mem M        eal | extmem: extmem = the iova pool's buffers in memory registered\n"
		"                      with rte_extmem_register() and never mapped by EAL: with --backend\n"
		"                      vfio the NIC reaches a buffer only through the strategy (off maps\n"
		"                      the whole area once) [eal]\n"
		"  --fault-inject F    unmap | poison (containment test): the first buffer the PMD posts\n"
		"                      to port 0's RX ring is filled with 0xa5; unmap removes its IOMMU\n"
		"                      mapping once the ports run (needs --strategy strict); the record's\n"
		"                      fault_inject object says whether the NIC changed its bytes\n"
		"  --quiet             no human-readable summary\n"
		"  --list-strategies   print the --strategy names, one per line, and exit (no EAL needed)\n"
		"  --list-modes        print the --mode names, one per line, and exit (no EAL needed)\n"
		"  -h, --help          this text\n"
		"Example: %s --no-huge -m 512 --no-pci --in-memory --file-prefix vfapp -l 0 -- \\\n"
		"           --workload UDP_RR --strategy strict --json\n",
		prog, prog);
}

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
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
	fprintf(stderr, "vfapp: --%s '%s': expected an integer in %" PRIu64 "..%" PRIu64 "\n", opt,
		s, min, max);
	return -EINVAL;
}

static int parse_secs(const char *opt, const char *s, double *out)
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

static int pick(const char *opt, const char *s, const char *const *names, unsigned int n)
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

int vfapp_opts_parse(int argc, char **argv, struct vfapp_opts *o)
{
	static const struct option lo[] = {
		{ "workload", 1, 0, 'w' },     { "topology", 1, 0, 'T' },
		{ "wire", 1, 0, 'W' },	       { "routes", 1, 0, 'r' },
		{ "strategy", 1, 0, 's' },     { "mode", 1, 0, 'm' },
		{ "backend", 1, 0, 'b' },      { "inv-latency-ns", 1, 0, 'I' },
		{ "vmexit-ns", 1, 0, 'X' },    { "vmm-lcore", 1, 0, 'V' },
		{ "duration", 1, 0, 'd' },     { "warmup", 1, 0, 'u' },
		{ "json", 0, 0, 'j' },	       { "repetition", 1, 0, 'R' },
		{ "drop-every", 1, 0, 'D' },   { "msg-size", 1, 0, 'S' },
		{ "rate", 1, 0, 'A' },	       { "pkt-size", 1, 0, 'P' },
		{ "rx-mode", 1, 0, 'x' },      { "endpoint-lcore", 1, 0, 'e' },
		{ "pool-size", 1, 0, 'z' },    { "pool-cache", 1, 0, 'c' },
		{ "pool", 1, 0, 'p' },	       { "pool-mem", 1, 0, 'y' },
		{ "fault-inject", 1, 0, 'J' }, { "quiet", 0, 0, 'q' },
		{ "help", 0, 0, 'h' },	       { "attack", 1, 0, 'K' },
		{ "intremap", 1, 0, 'G' },     { "icmp-rate", 1, 0, 'i' },
		{ "icmp-burst", 1, 0, 'B' },   { "fix-l4-csum", 0, 0, 'F' },
		{ "fwd-lcores", 1, 0, 'L' },   { "stats-interval", 1, 0, 0x101 },
		{ "prometheus", 1, 0, 'Y' },   { "prometheus-interval", 1, 0, 'Z' },
		{ "device-core", 1, 0, 'C' },  { 0, 0, 0, 0 },
	};
	static const char *const topo_names[] = { "internal", "ports" };
	static const char *const wire_names[] = { "memif", "ring", "vfdev" };
	static const char *const onoff[] = { "off", "on" };
	static const char *const backend_names[] = { "soft", "vfio", "auto" };
	uint64_t v;
	int c, r;

	memset(o, 0, sizeof(*o));
	o->workload = WL_TCP_STREAM;
	o->strategy = IOVA_STRAT_OFF;
	o->mode = IOVA_MODE_NATIVE;
	o->inv_latency_ns = 0; /* the device core executes the queue: the wait is real */
	o->vmm_lcore = -1;
	o->duration = 5;
	o->warmup = 1;
	o->ep.msg_size = 1;
	o->ep.rr_timeout_us = 20000;
	o->ep.pkt_size = 64;
	o->endpoint_lcore = -1;
	o->pool_size = 16383;
	o->pool_cache = 0;
	o->wire = WIRE_VFDEV;
	o->attack = true;
	o->intremap = true;
	o->icmp_rate = 1000; /* Linux net.ipv4.icmp_msgs_per_sec */
	o->icmp_burst = 50; /* Linux net.ipv4.icmp_msgs_burst */
	o->fwd_lcores = 1;
	o->prometheus_interval = 5;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'w':
			r = pick("workload", optarg, workload_names, 3);
			if (r < 0)
				return r;
			o->workload = r;
			break;
		case 'T':
			r = pick("topology", optarg, topo_names, 2);
			if (r < 0)
				return r;
			o->topology = r;
			break;
		case 'W':
			r = pick("wire", optarg, wire_names, 3);
			if (r < 0)
				return r;
			o->wire = r;
			break;
		case 'K':
			r = pick("attack", optarg, onoff, 2);
			if (r < 0)
				return r;
			o->attack = r == 1;
			break;
		case 'C': {
			static const char *const dc_names[] = { "next", "same" };

			r = pick("device-core", optarg, dc_names, 2);
			if (r < 0)
				return r;
			o->device_core_same = r == 1;
			break;
		}
		case 'G':
			r = pick("intremap", optarg, onoff, 2);
			if (r < 0)
				return r;
			o->intremap = r == 1;
			break;
		case 'r':
			o->routes = optarg;
			break;
		case 's':
			r = iova_strategy_parse(optarg);
			if (r < 0) {
				fprintf(stderr,
					"vfapp: --strategy '%s': expected off|strict|deferred|optimistic|persistent|shared|ring|pool\n",
					optarg);
				return -EINVAL;
			}
			o->strategy = r;
			break;
		case 'm':
			r = iova_mode_parse(optarg);
			if (r < 0) {
				fprintf(stderr,
					"vfapp: --mode '%s': expected native|trap-and-emulate|sidecore\n",
					optarg);
				return -EINVAL;
			}
			o->mode = r;
			break;
		case 'b':
			r = pick("backend", optarg, backend_names, 3);
			if (r < 0)
				return r;
			o->backend = r;
			break;
		case 'I':
			if (parse_u64("inv-latency-ns", optarg, 0, 1000000000, &o->inv_latency_ns))
				return -EINVAL;
			break;
		case 'X':
			if (parse_u64("vmexit-ns", optarg, 0, 1000000000, &o->vmexit_ns))
				return -EINVAL;
			break;
		case 'V':
			if (strcmp(optarg, "-1") == 0) {
				o->vmm_lcore = -1;
				break;
			}
			if (parse_u64("vmm-lcore", optarg, 0, 1023, &v))
				return -EINVAL;
			o->vmm_lcore = (int)v;
			break;
		case 'd':
			if (parse_secs("duration", optarg, &o->duration))
				return -EINVAL;
			break;
		case 'u':
			if (parse_secs("warmup", optarg, &o->warmup))
				return -EINVAL;
			break;
		case 'j':
			o->json = true;
			break;
		case 'R':
			if (parse_u64("repetition", optarg, 0, 1000000, &v))
				return -EINVAL;
			o->repetition = (long)v;
			break;
		case 'D':
			if (parse_u64("drop-every", optarg, 0, UINT32_MAX, &o->drop_every))
				return -EINVAL;
			break;
		case 'S':
			if (parse_u64("msg-size", optarg, 1, 1472, &v))
				return -EINVAL;
			o->ep.msg_size = (unsigned int)v;
			break;
		case 'A':
			if (parse_u64("rate", optarg, 0, 100000000, &o->ep.rate))
				return -EINVAL;
			break;
		case 'P':
			if (parse_u64("pkt-size", optarg, 42, 2048, &v))
				return -EINVAL;
			o->ep.pkt_size = (unsigned int)v;
			break;
		case 'x':
			r = pick("rx-mode", optarg, rx_mode_names, 3);
			if (r < 0)
				return r;
			o->rx_mode = r;
			break;
		case 'e':
			if (parse_u64("endpoint-lcore", optarg, 0, RTE_MAX_LCORE - 1, &v))
				return -EINVAL;
			o->endpoint_lcore = (int)v;
			break;
		case 'z':
			if (parse_u64("pool-size", optarg, 1023, 1u << 22, &v))
				return -EINVAL;
			o->pool_size = (unsigned int)v;
			break;
		case 'c':
			if (parse_u64("pool-cache", optarg, 0, RTE_MEMPOOL_CACHE_MAX_SIZE, &v))
				return -EINVAL;
			o->pool_cache = (unsigned int)v;
			break;
		case 'p': {
			static const char *const pool_names[] = { "iova", "plain" };

			r = pick("pool", optarg, pool_names, 2);
			if (r < 0)
				return r;
			o->plain_pool = r == 1;
			break;
		}
		case 'y': {
			static const char *const mem_names[] = { "eal", "extmem" };

			r = pick("pool-mem", optarg, mem_names, 2);
			if (r < 0)
				return r;
			o->pool_mem = (enum vfapp_pool_mem)r;
			break;
		}
		case 'J': {
			static const char *const fault_names[] = { "none", "unmap", "poison" };

			r = pick("fault-inject", optarg, fault_names, 3);
			if (r < 0)
				return r;
			o->fault_inject = (enum vfapp_fault_inject)r;
			break;
		}
		case 'q':
			o->quiet = true;
			break;
		case 'F':
			o->fix_l4_csum = true;
			break;
		case 0x101:
			if (parse_secs("stats-interval", optarg, &o->stats_interval))
				return -EINVAL;
			break;
		case 'L':
			if (parse_u64("fwd-lcores", optarg, 1, 64, &v))
				return -EINVAL;
			o->fwd_lcores = (unsigned int)v;
			break;
		case 'Y':
			if (vfapp_prometheus_check_path(optarg) != 0)
				return -EINVAL;
			o->prometheus = optarg;
			break;
		case 'Z': {
			char *end;

			o->prometheus_interval = strtod(optarg, &end);
			if (*end || end == optarg ||
			    !(o->prometheus_interval >= 0.1 && o->prometheus_interval <= 86400)) {
				fprintf(stderr,
					"vfapp: --prometheus-interval '%s': seconds in 0.1..86400\n",
					optarg);
				return -EINVAL;
			}
			break;
		}
		case 'i':
			if (parse_u64("icmp-rate", optarg, 0, 10000000, &o->icmp_rate))
				return -EINVAL;
			break;
		case 'B':
			if (parse_u64("icmp-burst", optarg, 1, 1000000, &o->icmp_burst))
				return -EINVAL;
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		default:
			if (optopt != 0)
				fprintf(stderr,
					"vfapp: option -%c: unknown or missing its value (see --help)\n",
					optopt);
			else
				fprintf(stderr,
					"vfapp: option '%s': unknown or missing its value (see --help)\n",
					argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"vfapp: unexpected argument '%s' (vfapp options start with --; see --help)\n",
			argv[optind]);
		return -EINVAL;
	}
	if (o->topology == TOPO_PORTS && o->workload != WL_FWD) {
		fprintf(stderr,
			"vfapp: --topology ports runs the appliance only: use --workload fwd "
			"(TCP_STREAM/UDP_RR endpoints exist in --topology internal)\n");
		return -EINVAL;
	}
	if (o->plain_pool && (o->strategy != IOVA_STRAT_OFF || o->mode != IOVA_MODE_NATIVE)) {
		fprintf(stderr,
			"vfapp: --pool plain has no IOMMU mapping: use it with --strategy off "
			"--mode native only\n");
		return -EINVAL;
	}
	if (o->fwd_lcores > 1 && o->topology != TOPO_PORTS) {
		fprintf(stderr,
			"vfapp: --fwd-lcores %u needs --topology ports (the internal topology "
			"forwards on one lcore)\n",
			o->fwd_lcores);
		return -EINVAL;
	}
	if (o->pool_mem == POOL_MEM_EXTMEM && (o->plain_pool || o->backend != BACKEND_VFIO)) {
		fprintf(stderr,
			"vfapp: --pool-mem extmem keeps the pool out of DPDK's VFIO container: "
			"use it with --backend vfio and the iova pool (not --pool plain)\n");
		return -EINVAL;
	}
	if (o->fault_inject != FAULT_NONE && (o->plain_pool || o->topology != TOPO_PORTS)) {
		fprintf(stderr, "vfapp: --fault-inject targets port 0's RX ring: use it with "
				"--topology ports and the iova pool\n");
		return -EINVAL;
	}
	if (o->fault_inject == FAULT_UNMAP && o->strategy != IOVA_STRAT_STRICT) {
		fprintf(stderr, "vfapp: --fault-inject unmap removes one buffer's own mapping: use "
				"--strategy strict (one IOMMU mapping per buffer)\n");
		return -EINVAL;
	}
	if (o->topology == TOPO_INTERNAL && o->duration <= 0) {
		fprintf(stderr, "vfapp: --duration must be > 0 in the internal topology\n");
		return -EINVAL;
	}
	return 0;
}
