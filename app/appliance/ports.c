/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file ports.c
 * Port setup and the internal topology: two "wires" of net_memif (server/client
 * pair in one process, payload copied like device DMA) or net_ring pairs.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "vfapp.h"

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))

static const char *const mac_a = "02:00:00:00:01:02";
static const char *const mac_p0 = "02:00:00:00:01:01";
static const char *const mac_p1 = "02:00:00:00:02:01";
static const char *const mac_b = "02:00:00:00:02:02";

int vfapp_port_ifname(uint16_t port, char *name, size_t len)
{
	struct rte_eth_dev_info info;
	char buf[IF_NAMESIZE];

	if (rte_eth_dev_info_get(port, &info) != 0 || info.if_index == 0 ||
	    if_indextoname(info.if_index, buf) == NULL)
		return -ENOENT;
	snprintf(name, len, "%s", buf);
	return 0;
}

/* " (interface X MTU N)" for kernel-backed ports, "" otherwise. */
static const char *kernel_mtu_note(uint16_t port, char *buf, size_t len)
{
	char ifn[IF_NAMESIZE], path[64], val[16] = "?";
	FILE *f;

	buf[0] = '\0';
	if (vfapp_port_ifname(port, ifn, sizeof(ifn)) != 0)
		return buf;
	snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", ifn);
	f = fopen(path, "r");
	if (f != NULL) {
		if (fscanf(f, "%15s", val) != 1)
			snprintf(val, sizeof(val), "?");
		fclose(f);
	}
	snprintf(buf, len, " (interface %s, MTU %s)", ifn, val);
	return buf;
}

int vfapp_port_setup_mtu(uint16_t port, struct rte_mempool *pool, uint16_t mtu, char *err,
			 size_t errlen)
{
	return vfapp_port_setup_q(port, pool, mtu, 1, err, errlen);
}

int vfapp_port_setup_q(uint16_t port, struct rte_mempool *pool, uint16_t mtu, uint16_t nq,
		       char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = VFAPP_NB_RXD, nb_txd = VFAPP_NB_TXD;
	uint32_t room, frame;
	char note[96];
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0) {
		snprintf(err, errlen, "port %u: rte_eth_dev_info_get: %s", port, strerror(-ret));
		return ret;
	}
	if (mtu != 0) {
		if (mtu > info.max_mtu || mtu < info.min_mtu) {
			snprintf(err, errlen,
				 "port %u (%s)%s: MTU %u is outside what the PMD takes "
				 "(%u..%u): set 'port %u mtu' in the routes file within that range",
				 port, info.driver_name, kernel_mtu_note(port, note, sizeof(note)),
				 mtu, info.min_mtu, info.max_mtu, port);
			return -EINVAL;
		}
		conf.rxmode.mtu = mtu;
		/* jumbo: frames larger than one mbuf arrive as segment chains */
		room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
		frame = (uint32_t)mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
		if (frame > room) {
			if (!(info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)) {
				snprintf(err, errlen,
					 "port %u (%s): MTU %u needs %u-byte frames, more "
					 "than one %u-byte mbuf, and the PMD has no scattered RX: "
					 "lower the MTU",
					 port, info.driver_name, mtu, frame, room);
				return -EINVAL;
			}
			conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
			if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
				conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		}
	}
	if (nq > 1) {
		if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
			snprintf(err, errlen,
				 "port %u (%s): %u queue pairs needed (--fwd-lcores %u), "
				 "the PMD has %u rx / %u tx: use --fwd-lcores %u%s",
				 port, info.driver_name, nq, nq, info.max_rx_queues,
				 info.max_tx_queues,
				 RTE_MIN(info.max_rx_queues, info.max_tx_queues),
				 strstr(info.driver_name, "af_packet") ?
					 " or give the vdev qpairs=N" :
					 "");
			return -EINVAL;
		}
		/* RSS where the port hashes; af_packet (fanout) and af_xdp spread by themselves */
		if (info.flow_type_rss_offloads != 0) {
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			conf.rx_adv_conf.rss_conf.rss_hf =
				(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP) &
				info.flow_type_rss_offloads;
		}
	}
	/* the appliance rewrites the IPv4 header: let the port checksum it where it can */
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	ret = rte_eth_dev_configure(port, nq, nq, &conf);
	if (ret != 0) {
		snprintf(err, errlen, "port %u (%s)%s: rte_eth_dev_configure (MTU %u): %s", port,
			 info.driver_name, kernel_mtu_note(port, note, sizeof(note)),
			 mtu ? mtu : RTE_ETHER_MTU, strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret != 0) {
		snprintf(err, errlen, "port %u: rte_eth_dev_adjust_nb_rx_tx_desc: %s", port,
			 strerror(-ret));
		return ret;
	}
	for (uint16_t q = 0; q < nq; q++) {
		ret = rte_eth_rx_queue_setup(port, q, nb_rxd, rte_eth_dev_socket_id(port), NULL,
					     pool);
		if (ret != 0) {
			snprintf(err, errlen, "port %u (%s): rte_eth_rx_queue_setup(queue %u): %s",
				 port, info.driver_name, q, strerror(-ret));
			return ret;
		}
		ret = rte_eth_tx_queue_setup(port, q, nb_txd, rte_eth_dev_socket_id(port), NULL);
		if (ret != 0) {
			snprintf(err, errlen, "port %u (%s): rte_eth_tx_queue_setup(queue %u): %s",
				 port, info.driver_name, q, strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_start(port);
	if (ret != 0) {
		if (kernel_mtu_note(port, note, sizeof(note))[0] != '\0')
			snprintf(
				err, errlen,
				"port %u (%s)%s: rte_eth_dev_start: %s (the PMD's "
				"largest frame is %u bytes: an interface MTU above it fails here, e.g. "
				"af_xdp on a 9000-byte MTU: lower it with ip link set dev IFACE mtu "
				"1500)",
				port, info.driver_name, note, strerror(-ret), info.max_rx_pktlen);
		else
			snprintf(err, errlen, "port %u (%s): rte_eth_dev_start: %s", port,
				 info.driver_name, strerror(-ret));
		return ret;
	}
	/* Not every PMD has promiscuous mode (memif); forwarding does not depend on it. */
	(void)rte_eth_promiscuous_enable(port);
	return 0;
}

int vfapp_port_setup(uint16_t port, struct rte_mempool *pool, char *err, size_t errlen)
{
	return vfapp_port_setup_mtu(port, pool, 0, err, errlen);
}

static uint64_t sysfs_u64(const char *ifn, const char *stat)
{
	char path[96];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifn, stat);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

void vfapp_ports_snapshot(const struct vfapp_appliance *a, struct vfapp_hw_snap *out)
{
	unsigned int p;

	memset(out, 0, sizeof(*out));
	for (p = 0; p < VFAPP_NB_PORTS; p++) {
		struct vfapp_port e = vfapp_port_ethdev(a->port_id[p]);
		const struct vfapp_port *port = a->port[p].ops != NULL ? &a->port[p] : &e;

		port->ops->stats(port->dev, &out->p[p]);
		if (a->port[p].ops == NULL &&
		    vfapp_port_ifname(a->port_id[p], out->ifname[p], sizeof(out->ifname[p])) == 0) {
			out->kern[p] = true;
			out->krx_dropped[p] = sysfs_u64(out->ifname[p], "rx_dropped");
			out->ktx_dropped[p] = sysfs_u64(out->ifname[p], "tx_dropped");
		}
	}
}

int vfapp_wait_links(const uint16_t *ports, unsigned int n, unsigned int timeout_ms)
{
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * timeout_ms / 1000;
	struct rte_eth_link link;
	unsigned int i, up;

	for (;;) {
		up = 0;
		for (i = 0; i < n; i++) {
			memset(&link, 0, sizeof(link));
			if (rte_eth_link_get_nowait(ports[i], &link) == 0 &&
			    link.link_status == RTE_ETH_LINK_UP)
				up++;
		}
		if (up == n)
			return 0;
		if (rte_get_timer_cycles() > deadline)
			return -ETIMEDOUT;
		rte_delay_us_sleep(1000);
	}
}

static int memif_port(const char *name, const char *args, uint16_t *port, char *err, size_t errlen)
{
	int ret = rte_vdev_init(name, args);

	if (ret != 0) {
		snprintf(err, errlen,
			 "rte_vdev_init(%s, %s) failed (%d): is librte_net_memif installed "
			 "(dpdk package)? Try --wire ring",
			 name, args, ret);
		return -ENODEV;
	}
	ret = rte_eth_dev_get_port_by_name(name, port);
	if (ret != 0) {
		snprintf(err, errlen, "%s: no ethdev port after rte_vdev_init", name);
		return -ENODEV;
	}
	return 0;
}

static int create_memif(struct vfapp_topo *t, const char *tag, char *err, size_t errlen)
{
	char name[64], args[256];
	int pid = (int)getpid(), ret;

#define MK(var, dev, role, wire, mac)                                                          \
	do {                                                                                   \
		snprintf(name, sizeof(name), "net_memif_%s_%s", tag, dev);                     \
		snprintf(args, sizeof(args),                                                   \
			 "role=%s,id=0,socket=/vfapp/%d/%s/wire%d,mac=%s,rsize=10", role, pid, \
			 tag, wire, mac);                                                      \
		ret = memif_port(name, args, &(var), err, errlen);                             \
		if (ret != 0)                                                                  \
			return ret;                                                            \
	} while (0)
	/* each server first: the first device on a socket decides whether it listens */
	MK(t->ep_a, "a", "server", 1, mac_a);
	MK(t->app_port[0], "p0", "client", 1, mac_p0);
	MK(t->ep_b, "b", "server", 2, mac_b);
	MK(t->app_port[1], "p1", "client", 2, mac_p1);
#undef MK
	return 0;
}

static int ring_pair(const char *tag, const char *wire, uint16_t *x, uint16_t *y, char *err,
		     size_t errlen)
{
	char name[64];
	struct rte_ring *xy, *yx;
	int px, py;

	snprintf(name, sizeof(name), "vf%s%sxy", tag, wire);
	xy = rte_ring_create(name, 2048, rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "vf%s%syx", tag, wire);
	yx = rte_ring_create(name, 2048, rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (xy == NULL || yx == NULL) {
		snprintf(err, errlen, "rte_ring_create for wire %s: %s", wire,
			 rte_strerror(rte_errno));
		return -ENOMEM;
	}
	snprintf(name, sizeof(name), "net_ring_%s_%sx", tag, wire);
	px = rte_eth_from_rings(name, &yx, 1, &xy, 1, rte_socket_id());
	snprintf(name, sizeof(name), "net_ring_%s_%sy", tag, wire);
	py = rte_eth_from_rings(name, &xy, 1, &yx, 1, rte_socket_id());
	if (px < 0 || py < 0) {
		snprintf(err, errlen, "rte_eth_from_rings for wire %s: %s", wire,
			 rte_strerror(rte_errno));
		return -ENODEV;
	}
	*x = (uint16_t)px;
	*y = (uint16_t)py;
	return 0;
}

static void set_macs(struct vfapp_topo *t)
{
	struct rte_ether_addr m;

	/* net_ring ports get generated MACs; give all four the documented ones. */
	rte_ether_unformat_addr(mac_a, &m);
	rte_eth_dev_default_mac_addr_set(t->ep_a, &m);
	rte_ether_unformat_addr(mac_p0, &m);
	rte_eth_dev_default_mac_addr_set(t->app_port[0], &m);
	rte_ether_unformat_addr(mac_p1, &m);
	rte_eth_dev_default_mac_addr_set(t->app_port[1], &m);
	rte_ether_unformat_addr(mac_b, &m);
	rte_eth_dev_default_mac_addr_set(t->ep_b, &m);
}

int vfapp_topo_internal(struct vfapp_topo *t, enum vfapp_wire wire, const char *tag,
			struct rte_mempool *app_pool, struct rte_mempool *ep_pool, char *err,
			size_t errlen)
{
	uint16_t all[4];
	int ret;

	memset(t, 0, sizeof(*t));
	if (wire == WIRE_MEMIF) {
		ret = create_memif(t, tag, err, errlen);
	} else {
		ret = ring_pair(tag, "1", &t->ep_a, &t->app_port[0], err, errlen);
		if (ret == 0)
			ret = ring_pair(tag, "2", &t->app_port[1], &t->ep_b, err, errlen);
		if (ret == 0)
			set_macs(t);
	}
	if (ret != 0)
		return ret;
	/* servers (the endpoints) fully started before their clients connect in dev_start */
	if ((ret = vfapp_port_setup(t->ep_a, ep_pool, err, errlen)) != 0 ||
	    (ret = vfapp_port_setup(t->ep_b, ep_pool, err, errlen)) != 0 ||
	    (ret = vfapp_port_setup(t->app_port[0], app_pool, err, errlen)) != 0 ||
	    (ret = vfapp_port_setup(t->app_port[1], app_pool, err, errlen)) != 0)
		return ret;
	rte_eth_macaddr_get(t->ep_a, &t->ep_a_mac);
	rte_eth_macaddr_get(t->ep_b, &t->ep_b_mac);
	t->ep_a_ip = IP4(10, 0, 1, 2);
	t->ep_b_ip = IP4(10, 0, 2, 2);
	all[0] = t->ep_a;
	all[1] = t->app_port[0];
	all[2] = t->app_port[1];
	all[3] = t->ep_b;
	/* memif connects through the EAL interrupt thread: bounded wait for the handshake. */
	if (vfapp_wait_links(all, 4, 5000) != 0) {
		snprintf(err, errlen,
			 "internal topology: links not up after 5 s (memif handshake); "
			 "is the EAL interrupt thread running? Try --wire ring");
		return -ETIMEDOUT;
	}
	/*
	 * A memif server can transmit only into slots its client has handed out, which
	 * the client does in its receive path: poll each client once so the endpoints
	 * can send before the appliance's first iteration.
	 */
	if (wire == WIRE_MEMIF) {
		struct rte_mbuf *junk[VFAPP_BURST];
		unsigned int p, n;

		for (p = 0; p < VFAPP_NB_PORTS; p++) {
			n = rte_eth_rx_burst(t->app_port[p], 0, junk, VFAPP_BURST);
			if (n > 0)
				rte_pktmbuf_free_bulk(junk, n);
		}
	}
	return 0;
}

void vfapp_topo_close(struct vfapp_topo *t)
{
	/* clients first, then the servers they are connected to */
	uint16_t all[4] = { t->app_port[0], t->app_port[1], t->ep_a, t->ep_b };
	unsigned int i;

	/*
	 * One at a time, letting the EAL interrupt thread handle the peer's side of each
	 * memif disconnect first: with both ends in one process, a stop racing the
	 * interrupt thread's disconnect handling of the same connection can crash memif.
	 */
	for (i = 0; i < 4; i++) {
		rte_eth_dev_stop(all[i]);
		rte_delay_us_sleep(20000);
	}
	for (i = 0; i < 4; i++)
		rte_eth_dev_close(all[i]);
}

void vfapp_routes_internal(struct vfapp_route_cfg *cfg, const struct vfapp_topo *t)
{
	vfapp_routes_init(cfg);
	/* the endpoints' gateways: source of ICMP errors and ARP */
	cfg->port_ip_set[0] = cfg->port_ip_set[1] = true;
	cfg->port_ip[0] = IP4(10, 0, 1, 1);
	cfg->port_ip[1] = IP4(10, 0, 2, 1);
	cfg->port_plen[0] = cfg->port_plen[1] = 24;
	vfapp_routes_add(cfg, IP4(10, 0, 1, 0), 24, 0, &t->ep_a_mac);
	vfapp_routes_add(cfg, IP4(10, 0, 2, 0), 24, 1, &t->ep_b_mac);
}
