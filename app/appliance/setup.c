/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file setup.c
 * Wiring of one vfapp run: the lib/iova context and the appliance's mbuf pool, the
 * rx-mode vCPU (lib/irqpost), the topology (internal vdevs or EAL ports 0 and 1), routes
 * and LPM, telemetry and the built-in endpoints; and the teardown in reverse order.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_lpm.h>
#include <rte_mbuf.h>
#include <rte_vfio.h>

#include "pool_need.h"
#include "state.h"

/*
 * --backend auto: vfio when an EAL port is a PCI device (a real VF PMD DMAs through its VFIO
 * container), soft otherwise. --backend soft on a PCI port is refused: the soft VT-d's IOVAs
 * are not in the container, the device would DMA to wrong addresses.
 */
static int resolve_backend(struct vfapp_opts *o)
{
	char pci[64] = "", drv[64] = "?", link[PATH_MAX], path[PATH_MAX];
	uint16_t pid;

	RTE_ETH_FOREACH_DEV(pid)
	{
		struct rte_eth_dev_info info;
		ssize_t n;

		if (rte_eth_dev_info_get(pid, &info) != 0 || info.device == NULL ||
		    strcmp(rte_bus_name(rte_dev_bus(info.device)), "pci") != 0)
			continue;
		snprintf(pci, sizeof(pci), "%s", rte_dev_name(info.device));
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", pci);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			snprintf(drv, sizeof(drv), "%.63s",
				 strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
		}
		break;
	}
	if (o->backend == BACKEND_AUTO) {
		o->backend = pci[0] != '\0' ? BACKEND_VFIO : BACKEND_SOFT;
		return 0;
	}
	if (o->backend == BACKEND_SOFT && pci[0] != '\0') {
		fprintf(stderr,
			"vfapp: --backend soft: port %s is a PCI device (kernel driver %s): the "
			"software IOMMU's IOVAs are not in its VFIO container, the device would DMA to "
			"wrong addresses: use --backend vfio (or auto)\n",
			pci, drv);
		return -1;
	}
	return 0;
}

static int setup_iova(struct vfapp_state *s, unsigned int app_lcore, struct rte_mempool **pool)
{
	const struct vfapp_opts *o = &s->o;

	if (o->plain_pool) {
		*pool = rte_pktmbuf_pool_create("vfapp_app", o->pool_size, o->pool_cache, 0,
						RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
		if (*pool == NULL) {
			fprintf(stderr, "vfapp: rte_pktmbuf_pool_create: %s\n",
				rte_strerror(rte_errno));
			return -1;
		}
		return 0;
	}
	struct vtd_soft_params vp;
	struct iova_mode_params mp = { .vmm_cpu = o->vmm_lcore, .vmexit_ns = o->vmexit_ns };
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
			fprintf(stderr,
				"vfapp: --backend vfio: no VFIO container (rte_vfio_get_container_fd "
				"failed): load vfio-pci and bind a device, or use --backend soft\n");
			return -1;
		}
		phys = iova_backend_vfio_create(fd, NULL);
		if (phys == NULL) {
			fprintf(stderr,
				"vfapp: iova_backend_vfio_create: %s (use --backend soft on a "
				"machine without an IOMMU)\n",
				strerror(errno));
			return -1;
		}
	}
	/* vfdev ports with a second lcore: that lcore is the device core and plays the IOMMU
	 * hardware too (its invalidation queue; the sidecore as part of its loop) */
	bool dev_core = o->topology == TOPO_INTERNAL && o->wire == WIRE_VFDEV &&
			o->endpoint_lcore >= 0 && o->backend == BACKEND_SOFT;

	if (dev_core && o->mode == IOVA_MODE_SIDECORE &&
	    (o->vmm_lcore < 0 || o->vmm_lcore == (int)rte_lcore_to_cpu_id(o->endpoint_lcore))) {
		mp.vmm_cpu = IOVA_VMM_POLLED;
		s->side_polled = true;
	}
	be = iova_mode_wrap((enum iova_mode)o->mode, &mp, phys);
	if (be == NULL) {
		fprintf(stderr, "vfapp: iova_mode_wrap(%s): %s\n", iova_mode_name(o->mode),
			strerror(errno));
		return -1;
	}
	s->backend = be;
	if (dev_core) {
		int ret;

		iova_backend_set_polled(be, true);
		ret = rte_eal_remote_launch(vfapp_device_core, s, (unsigned int)o->endpoint_lcore);
		if (ret != 0) {
			iova_backend_set_polled(be, false);
			fprintf(stderr, "vfapp: cannot launch the device core on lcore %d: %s\n",
				o->endpoint_lcore, strerror(-ret));
			return -1;
		}
		s->dev_core = true;
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
	s->phys = o->backend == BACKEND_SOFT ? phys : NULL;
	if (o->pool_mem == POOL_MEM_EXTMEM) {
		char err[512];

		*pool = vfapp_extmem_pool_create(
			"vfapp_app", o->pool_size, o->pool_cache, (int)rte_socket_id(), s->ctx,
			o->strategy == IOVA_STRAT_OFF, &s->extmem, err, sizeof(err));
		if (*pool == NULL) {
			fprintf(stderr, "vfapp: %s\n", err);
			return -1;
		}
	} else {
		*pool = iova_pktmbuf_pool_create("vfapp_app", o->pool_size, o->pool_cache,
						 RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id(),
						 s->ctx);
	}
	if (*pool == NULL) {
		fprintf(stderr,
			"vfapp: iova_pktmbuf_pool_create(%u mbufs, strategy %s): %s "
			"(try a smaller --pool-size or more EAL memory, -m)\n",
			o->pool_size, iova_strategy_name(o->strategy), rte_strerror(rte_errno));
		return -1;
	}
	s->app.ctx = s->ctx;
	s->app.cpu = app_lcore;
	s->app.dma_check = o->backend == BACKEND_SOFT && o->strategy != IOVA_STRAT_OFF;
	return 0;
}

static int setup_vcpu(struct vfapp_state *s, unsigned int app_lcore)
{
	if (s->o.rx_mode == RX_POLL)
		return 0;
	s->app.vcpu = irqpost_vcpu_create(
		s->o.rx_mode == RX_POSTED ? IRQPOST_POSTED : IRQPOST_REMAPPED, (int)app_lcore);
	if (s->app.vcpu == NULL) {
		fprintf(stderr, "vfapp: irqpost_vcpu_create(%s): %s\n",
			vfapp_rx_mode_name(s->o.rx_mode), strerror(errno));
		return -1;
	}
	s->env.vcpu = s->app.vcpu;
	return 0;
}

/* Guest vectors of the appliance VFs' RX queues (the vCPU model's IRR bits) and the host
 * vector VFIO's handler gets for a remapped one. */
#define VFAPP_GUEST_RX_VECTOR 0x40
#define VFAPP_HOST_VECTOR 0x60
#define VFAPP_IRT_ENTRIES 256

/* The host's handler of a VF interrupt that is not posted (VFIO vfio_msihandler ->
 * eventfd -> the VMM injects the guest vector). Runs on the device core. */
static void vf_host_irq(void *arg, int msix, const struct iova_irq *irq)
{
	struct vfapp_state *s = arg;

	(void)msix;
	(void)irq;
	__atomic_fetch_add(&s->host_irqs, 1, __ATOMIC_RELAXED);
	irqpost_device_interrupt(s->app.vcpu, VFAPP_GUEST_RX_VECTOR);
}

/*
 * --rx-mode posted|remapped on vfdev ports with the soft VT-d: the VFs' RX MSI-X goes
 * through the IOMMU's interrupt remapping (what Linux's intel irq_remapping + VFIO + KVM
 * set up for an assigned VF): one 2-entry IRTE block per VF (RX, TX; TX stays masked),
 * posted into the vCPU's PI descriptor (posted) or remapped to a host vector whose
 * handler hands it to the VMM (remapped); with --intremap off, compatibility-format
 * messages to the host handler (a host without IR). The endpoints stop standing in.
 */
static int setup_msix(struct vfapp_state *s)
{
	if (s->o.rx_mode == RX_POLL || s->o.wire != WIRE_VFDEV || s->o.topology != TOPO_INTERNAL ||
	    s->phys == NULL || s->app.vcpu == NULL)
		return 0;
	if (s->o.intremap && iova_backend_soft_ir_enable(s->phys, VFAPP_IRT_ENTRIES) != 0) {
		fprintf(stderr, "vfapp: enabling interrupt remapping on the soft VT-d failed\n");
		return -1;
	}
	for (unsigned int p = 0; p < VFAPP_NB_PORTS; p++) {
		uint16_t rid = (uint16_t)(0x0101 + p), base = 0;
		uint32_t dest = rte_lcore_to_cpu_id((int)s->app_lcore), data;
		uint64_t addr;
		int ret = 0;

		if (s->o.intremap) {
			ret = iova_backend_soft_ir_alloc(s->phys, 2, &base);
			if (ret == 0 && s->o.rx_mode == RX_POSTED)
				ret = iova_backend_soft_ir_set_posted(
					s->phys, base, rid, VFAPP_GUEST_RX_VECTOR,
					irqpost_vcpu_pi_desc_addr(s->app.vcpu));
			else if (ret == 0)
				ret = iova_backend_soft_ir_set_remapped(s->phys, base, rid,
									VFAPP_HOST_VECTOR, dest);
			iova_ir_msi_remappable(base, VFDEV_MSIX_RX, &addr, &data);
		} else {
			iova_ir_msi_compat((uint8_t)dest, VFAPP_HOST_VECTOR, &addr, &data);
		}
		if (ret != 0) {
			fprintf(stderr, "vfapp: programming the IRTEs of VF %u: %s\n", p,
				strerror(-ret));
			return -1;
		}
		/* the attack mode's victim: the other VF's RX entry (blocks of 2, in VF order) */
		vfdev_set_host_irq(s->topo.vf[p], vf_host_irq, s, p ? 0 : 2);
		vfdev_msix_set(s->topo.vf[p], VFDEV_MSIX_RX, addr, data);
		vfdev_msix_enable(s->topo.vf[p], true);
	}
	s->env.vcpu = NULL;
	s->msix_chain = true;
	return 0;
}

/* Routes that resolve their next hop by ARP need an address on their port. */
static int check_routes(const struct vfapp_route_cfg *cfg, const char *file)
{
	unsigned int i;

	for (i = 0; i < cfg->nb_routes; i++) {
		const struct vfapp_route *r = &cfg->routes[i];

		if (r->nh_kind != VFAPP_NH_MAC && !cfg->port_ip_set[r->port]) {
			fprintf(stderr,
				"vfapp: %s:%u: this route resolves its next hop by ARP, which "
				"needs an address on port %u: add 'port %u ip A.B.C.D/LEN'\n",
				file ? file : "routes", r->line, r->port, r->port);
			return -1;
		}
	}
	return 0;
}

/*
 * Ports topology: the pool must hold what both ports' rings keep (pool_need.h): a TX slot
 * keeps its mbuf until reused, so a smaller pool runs dry once both TX rings have wrapped and
 * forwarding deadlocks (the test bed's appte stall with 4095 mbufs and 2 x (1024 + 1024)).
 */
static int check_pool_size(const struct vfapp_opts *o)
{
	uint32_t rxd = 0, txd = 0, lcores = o->fwd_lcores > 1 ? o->fwd_lcores : 1, need;
	struct rte_eth_rxq_info rq;
	struct rte_eth_txq_info tq;

	for (uint16_t p = 0; p < VFAPP_NB_PORTS; p++) {
		/* the PMD's own counts; not every PMD reports them: vfapp's request then */
		memset(&rq, 0, sizeof(rq));
		memset(&tq, 0, sizeof(tq));
		rxd = RTE_MAX(rxd, rte_eth_rx_queue_info_get(p, 0, &rq) == 0 && rq.nb_desc != 0 ?
					   (uint32_t)rq.nb_desc :
					   (uint32_t)VFAPP_NB_RXD);
		txd = RTE_MAX(txd, rte_eth_tx_queue_info_get(p, 0, &tq) == 0 && tq.nb_desc != 0 ?
					   (uint32_t)tq.nb_desc :
					   (uint32_t)VFAPP_NB_TXD);
	}
	need = vfapp_pool_need(VFAPP_NB_PORTS, lcores, rxd, txd, VFAPP_BURST, o->pool_cache,
			       lcores);
	if (o->pool_size >= need)
		return 0;
	fprintf(stderr,
		"vfapp: --pool-size %u is smaller than what the ports can hold at once: %u ports x "
		"%u queue(s) x (%u RX + %u TX descriptors) + bursts%s = %u mbufs (a PMD keeps a "
		"sent mbuf in its TX ring until the slot is reused: the RX refill would run the "
		"pool dry and forwarding deadlock): give --pool-size %u or more (e.g. %u)\n",
		o->pool_size, (unsigned int)VFAPP_NB_PORTS, lcores, rxd, txd,
		o->pool_cache ? " + caches" : "", need, need,
		(uint32_t)rte_align32pow2(need + 1) - 1);
	return -1;
}

/*
 * --fwd-lcores N: one appliance per worker lcore, a copy of the main one on its own queue
 * pair, sharing the LPM, routes and lib/iova context; counters are per lcore (summed by
 * telemetry and at the end). ICMP's budget is split between the lcores. Next hops must be
 * static: the neighbour table is per lcore and ARP arrives on one queue only.
 */
static int setup_workers(struct vfapp_state *s)
{
	unsigned int i, lc, k = 0;

	for (i = 0; i < s->routes.nb_routes; i++)
		if (s->routes.routes[i].nh_kind != VFAPP_NH_MAC) {
			fprintf(stderr,
				"vfapp: %s:%u: --fwd-lcores %u needs static next hops "
				"(nexthop-mac): the neighbour table is per lcore\n",
				s->o.routes ? s->o.routes : "routes", s->routes.routes[i].line,
				s->o.fwd_lcores);
			return -1;
		}
	s->lc_app = calloc(s->o.fwd_lcores - 1, sizeof(*s->lc_app));
	if (s->lc_app == NULL)
		return -1;
	RTE_LCORE_FOREACH_WORKER(lc)
	{
		struct vfapp_appliance *w;

		if (k == s->o.fwd_lcores - 1)
			break;
		w = &s->lc_app[k];
		*w = s->app;
		w->queue = (uint16_t)(k + 1);
		w->cpu = lc;
		memset(w->st, 0, sizeof(w->st));
		s->lc_lcore[k++] = lc;
	}
	s->nb_lc = k;
	vfapp_ratelimit_init(&s->app.icmp_rl, s->o.icmp_rate / s->o.fwd_lcores, s->o.icmp_burst,
			     s->app.hz, rte_rdtsc());
	for (i = 0; i < k; i++)
		s->lc_app[i].icmp_rl = s->app.icmp_rl;
	vfapp_telemetry_workers(s->lc_app, k);
	vfapp_prometheus_workers(s->lc_app, k);
	return 0;
}

int vfapp_setup(struct vfapp_state *s)
{
	char err[1024];
	unsigned int app_lcore;
	uint16_t dev_mtu[VFAPP_NB_PORTS] = { 0, 0 };
	int ret;

	app_lcore = rte_lcore_id();
	s->app_lcore = app_lcore;
	if (s->o.topology == TOPO_INTERNAL && s->o.wire == WIRE_VFDEV && s->o.endpoint_lcore < 0 &&
	    !s->o.device_core_same) {
		/* the appliance alone on its lcore (the guest vCPU); devices, IOMMU hardware and
		 * endpoints on the next lcore when there is one */
		unsigned int lc = rte_get_next_lcore(app_lcore, 1, 0);

		if (lc < RTE_MAX_LCORE)
			s->o.endpoint_lcore = (int)lc;
	}
	if (s->o.rx_mode != RX_POLL && s->o.endpoint_lcore < 0) {
		/* the appliance lcore must be able to block: endpoints on another lcore */
		unsigned int lc = rte_get_next_lcore(app_lcore, 1, 0);

		if (lc >= RTE_MAX_LCORE) {
			fprintf(stderr,
				"vfapp: --rx-mode %s needs a second lcore for the endpoints: "
				"give the EAL -l 0-1\n",
				vfapp_rx_mode_name(s->o.rx_mode));
			return -1;
		}
		s->o.endpoint_lcore = (int)lc;
	}
	if (s->o.endpoint_lcore >= 0 &&
	    (s->o.endpoint_lcore == (int)app_lcore || !rte_lcore_is_enabled(s->o.endpoint_lcore))) {
		fprintf(stderr,
			"vfapp: --endpoint-lcore %d: not an enabled worker lcore (main is %u); "
			"give the EAL -l with both lcores, e.g. -l 0-1\n",
			s->o.endpoint_lcore, app_lcore);
		return -1;
	}
	if (resolve_backend(&s->o) != 0)
		return -1;
	if (setup_iova(s, app_lcore, &s->app_pool) != 0)
		return -1;
	s->wired = true;

	vfapp_routes_init(&s->routes);
	if (s->o.routes != NULL &&
	    vfapp_routes_parse_file(&s->routes, s->o.routes, err, sizeof(err)) != 0) {
		fprintf(stderr, "vfapp: %s\n", err);
		return -1;
	}
	if (check_routes(&s->routes, s->o.routes) != 0)
		return -1;
	if (s->o.topology == TOPO_INTERNAL) {
		s->ep_pool =
			rte_pktmbuf_pool_create("vfapp_ep", s->o.pool_size, 256, 0,
						RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
		if (s->ep_pool == NULL) {
			fprintf(stderr, "vfapp: endpoint pool: %s (more EAL memory: -m 512)\n",
				rte_strerror(rte_errno));
			return -1;
		}
		if (s->o.wire == WIRE_VFDEV)
			ret = vfapp_topo_vfdev(&s->topo, "vf", s->app_pool, s->ep_pool, s->ctx,
					       s->o.attack, err, sizeof(err));
		else
			ret = vfapp_topo_internal(&s->topo, s->o.wire, "vf", s->app_pool,
						  s->ep_pool, err, sizeof(err));
		if (ret != 0) {
			fprintf(stderr, "vfapp: %s\n", err);
			return -1;
		}
		s->topo_up = true;
		if (s->o.wire == WIRE_VFDEV) {
			for (unsigned int p = 0; p < VFAPP_NB_PORTS; p++) {
				s->app.port[p] = vfapp_port_vfdev(s->topo.vf[p]);
				s->app.port_mac[p] = s->topo.app_mac[p];
			}
			/* the device does the DMA itself: no translation check in the forwarder */
			s->dev_dma = s->app.dma_check;
			s->app.dma_check = false;
			s->dev_remote = s->o.endpoint_lcore >= 0;
			s->share_cpu_with_vmm =
				s->dev_remote && !s->side_polled &&
				s->o.mode == IOVA_MODE_SIDECORE && s->o.vmm_lcore >= 0 &&
				s->o.vmm_lcore == (int)rte_lcore_to_cpu_id(s->o.endpoint_lcore);
		} else {
			s->app.port_id[0] = s->topo.app_port[0];
			s->app.port_id[1] = s->topo.app_port[1];
		}
		if (s->o.routes == NULL)
			vfapp_routes_internal(&s->routes, &s->topo);
		/* internal wires carry one mbuf: frames up to --pkt-size 2048 */
		dev_mtu[0] = dev_mtu[1] = RTE_MBUF_DEFAULT_DATAROOM - RTE_ETHER_HDR_LEN;
	} else {
		uint16_t ports[2] = { 0, 1 };

		if (rte_eth_dev_count_avail() < 2) {
			fprintf(stderr,
				"vfapp: --topology ports needs two EAL ports (e.g. --vdev "
				"net_af_packet0,iface=veth-a --vdev net_af_packet1,iface=veth-b); found %u\n",
				rte_eth_dev_count_avail());
			return -1;
		}
		if (s->o.routes == NULL) {
			fprintf(stderr,
				"vfapp: --topology ports needs --routes FILE with the next-hop "
				"MACs of the peers (see conf/routes.conf.example)\n");
			return -1;
		}
		if (s->o.fault_inject != FAULT_NONE) {
			/* the next buffer dequeued is the first one port 0's PMD posts at start */
			ret = iova_mempool_fault_arm(s->app_pool, s->o.fault_inject == FAULT_UNMAP ?
									  IOVA_MP_FAULT_UNMAP :
									  IOVA_MP_FAULT_POISON);
			if (ret != 0) {
				fprintf(stderr,
					"vfapp: --fault-inject: iova_mempool_fault_arm: %s\n",
					strerror(-ret));
				return -1;
			}
		}
		if (s->o.fwd_lcores > rte_lcore_count()) {
			fprintf(stderr,
				"vfapp: --fwd-lcores %u needs %u EAL lcores, the EAL has %u: give "
				"-l with them, e.g. -l 0-%u\n",
				s->o.fwd_lcores, s->o.fwd_lcores, rte_lcore_count(),
				s->o.fwd_lcores - 1);
			return -1;
		}
		if (vfapp_port_umem_check(0, s->app_pool, err, sizeof(err)) != 0 ||
		    vfapp_port_umem_check(1, s->app_pool, err, sizeof(err)) != 0) {
			fprintf(stderr, "vfapp: %s\n", err);
			return -1;
		}
		if (vfapp_port_setup_q(0, s->app_pool, s->routes.port_mtu[0], s->o.fwd_lcores, err,
				       sizeof(err)) != 0 ||
		    vfapp_port_setup_q(1, s->app_pool, s->routes.port_mtu[1], s->o.fwd_lcores, err,
				       sizeof(err)) != 0) {
			fprintf(stderr, "vfapp: %s\n", err);
			return -1;
		}
		if (check_pool_size(&s->o) != 0)
			return -1;
		bool refuse = false;

		for (unsigned int p = 0; p < VFAPP_NB_PORTS; p++) {
			struct rte_eth_dev_info info;
			int r = vfapp_port_offload_check(p, s->o.fix_l4_csum, err, sizeof(err));

			if (r < 0) {
				/* name every port's commands before refusing */
				fprintf(stderr, "vfapp: %s\n", err);
				refuse = true;
			}
			if (r > 0 && !s->o.quiet)
				fprintf(stderr, "vfapp: warning: %s\n", err);
			s->app.hw_ip_csum[p] =
				rte_eth_dev_info_get(p, &info) == 0 &&
				(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM);
		}
		if (refuse)
			return -1;
		if (s->o.fault_inject != FAULT_NONE) {
			/* the buffer now sits in port 0's RX ring: remove its mapping under the NIC */
			ret = iova_mempool_fault_fire(s->app_pool);
			if (ret != 0) {
				fprintf(stderr,
					"vfapp: --fault-inject: iova_mempool_fault_fire: %s\n",
					strerror(-ret));
				return -1;
			}
		}
		if (vfapp_wait_links(ports, 2, 3000) != 0)
			fprintf(stderr,
				"vfapp: warning: ports not up after 3 s, forwarding anyway\n");
		s->app.port_id[0] = 0;
		s->app.port_id[1] = 1;
		for (unsigned int p = 0; p < VFAPP_NB_PORTS; p++)
			if (rte_eth_dev_get_mtu(p, &dev_mtu[p]) != 0)
				dev_mtu[p] = 0;
	}
	for (unsigned int p = 0; p < VFAPP_NB_PORTS; p++) {
		/* the device's own MAC (vfdev: set by its topology), accepted beside port_mac */
		if (s->app.port[p].ops == NULL)
			rte_eth_macaddr_get(s->app.port_id[p], &s->app.hw_mac[p]);
		else
			s->app.hw_mac[p] = s->app.port_mac[p];
		s->app.port_mac[p] =
			s->routes.port_mac_set[p] ? s->routes.port_mac[p] : s->app.hw_mac[p];
	}
	vfapp_appliance_router_init(&s->app, &s->routes, dev_mtu, s->app_pool, s->o.icmp_rate,
				    s->o.icmp_burst);
	s->app.fix_l4_csum = s->o.fix_l4_csum;
	s->app.routes = &s->routes;
	s->app.drop_every = s->o.drop_every;
	s->app.lpm = vfapp_routes_build_lpm(&s->routes, "vfapp_lpm", (int)rte_socket_id(), err,
					    sizeof(err));
	if (s->app.lpm == NULL) {
		fprintf(stderr, "vfapp: %s\n", err);
		return -1;
	}
	if (s->o.fwd_lcores > 1 && setup_workers(s) != 0)
		return -1;
	if (vfapp_telemetry_register(&s->app) != 0 && !s->o.quiet)
		fprintf(stderr, "vfapp: warning: telemetry command /vfapp/stats not registered\n");
	if (setup_vcpu(s, app_lcore) != 0 || setup_msix(s) != 0)
		return -1;

	if (s->o.topology == TOPO_INTERNAL) {
		s->env.pool = s->ep_pool;
		s->env.hz = rte_get_tsc_hz();
		s->env.a.port = s->topo.ep_a;
		s->env.a.mac = s->topo.ep_a_mac;
		s->env.a.gw_mac = s->app.port_mac[0];
		s->env.a.ip = s->topo.ep_a_ip;
		s->env.a.peer_ip = s->topo.ep_b_ip;
		s->env.b.port = s->topo.ep_b;
		s->env.b.mac = s->topo.ep_b_mac;
		s->env.b.gw_mac = s->app.port_mac[1];
		s->env.b.ip = s->topo.ep_b_ip;
		s->env.b.peer_ip = s->topo.ep_a_ip;
		switch (s->o.workload) {
		case WL_TCP_STREAM:
			ret = vfapp_tcp_stream_create(&s->env, &s->o.ep, &s->wl);
			break;
		case WL_UDP_RR:
			ret = vfapp_udp_rr_create(&s->env, &s->o.ep, &s->wl);
			break;
		default:
			ret = vfapp_gen_create(&s->env, &s->o.ep, &s->wl);
			break;
		}
		if (ret != 0) {
			fprintf(stderr, "vfapp: creating the %s endpoints: %s\n",
				vfapp_workload_name(s->o.workload), strerror(-ret));
			return -1;
		}
		s->have_wl = true;
	}
	if (s->o.topology == TOPO_PORTS)
		/* a start line for scripts that feed the ports (the test bed) */
		fprintf(stderr, "vfapp: ports 0 and 1 started\n");
	return 0;
}

/* The hardware thread stops; from here the waiting CPU executes the queue itself. */
static void stop_device_core(struct vfapp_state *s)
{
	if (!s->dev_core)
		return;
	__atomic_store_n(&s->hw_stop, true, __ATOMIC_RELEASE);
	rte_eal_wait_lcore((unsigned int)s->o.endpoint_lcore);
	iova_backend_set_polled(s->backend, false);
	s->dev_core = false;
}

void vfapp_teardown(struct vfapp_state *s)
{
	uint16_t pid;

	if (!s->wired) {
		stop_device_core(s);
		return;
	} /* failed before the pool existed: nothing to release (as before the split) */
	if (s->have_wl)
		s->wl.destroy(s->wl.st);
	if (s->msix_chain) {
		/* no VF may post to the vCPU once it is gone: MSI-X off, device core stopped */
		for (unsigned int p = 0; p < VFAPP_NB_PORTS; p++)
			vfdev_msix_enable(s->topo.vf[p], false);
		stop_device_core(s);
	}
	irqpost_vcpu_destroy(s->app.vcpu);
	if (s->topo_up && s->o.wire == WIRE_VFDEV)
		vfapp_topo_vfdev_close(&s->topo);
	else if (s->topo_up)
		vfapp_topo_close(&s->topo);
	RTE_ETH_FOREACH_DEV(pid)
	{
		rte_eth_dev_stop(pid);
		rte_eth_dev_close(pid);
	}
	if (s->app.lpm != NULL)
		rte_lpm_free(s->app.lpm);
	rte_mempool_free(s->app_pool);
	vfapp_extmem_free(s->extmem); /* after the pool: its buffers live there */
	rte_mempool_free(s->ep_pool);
	stop_device_core(s);
	if (s->ctx != NULL)
		iova_ctx_destroy(s->ctx);
	free(s->lc_app);
	s->lc_app = NULL;
}
