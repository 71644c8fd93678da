/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vfapp.h
 * vfapp internals shared by the appliance, the built-in endpoints and the tests.
 */
#ifndef VFAPP_H
#define VFAPP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "pkt.h"
#include "router.h"
#include "routes.h"

#define VFAPP_BURST 32
#define VFAPP_NB_RXD 1024 /**< RX descriptors per queue the ports ask for */
#define VFAPP_NB_TXD 1024 /**< TX descriptors per queue the ports ask for */

struct iova_ctx;
struct irqpost_vcpu;
struct rte_lpm;
struct vfdev;

/* ---- port.c: the appliance's port layer ---- */

/** Per-port device counters the port layer can report (what the device saw). */
struct vfapp_port_hw_stats {
	uint64_t rx_packets, tx_packets;
	uint64_t dma_faults; /**< frames the device dropped because the IOMMU faulted a DMA */
	uint64_t imissed; /**< ethdev: frames the port dropped, RX queue full */
	uint64_t rx_nombuf; /**< ethdev: RX mbuf allocation failures */
	uint64_t ierrors, oerrors;
};

/** Port-level counters of both ports at one moment (ports.c), for deltas over a run. */
struct vfapp_hw_snap {
	struct vfapp_port_hw_stats p[2];
	bool kern[2]; /**< backed by a kernel interface (af_packet, af_xdp, tap) */
	char ifname[2][16];
	uint64_t krx_dropped[2],
		ktx_dropped[2]; /**< /sys/class/net/IF/statistics/{rx,tx}_dropped */
};

/**
 * What the appliance needs from a port: one RX and one TX queue. Two implementations:
 * ethdev (any DPDK port, queue 0) and vfdev (lib/vfdev's software VF driver half).
 */
struct vfapp_port_ops {
	const char *name;
	uint16_t (*rx_burst)(void *dev, struct rte_mbuf **pkts, uint16_t n);
	uint16_t (*tx_burst)(void *dev, struct rte_mbuf **pkts, uint16_t n);
	int (*link)(void *dev); /**< 1 up, 0 down */
	void (*stats)(void *dev, struct vfapp_port_hw_stats *st);
};

/** One appliance port: ops + its device (ethdev: the port id cast to a pointer). */
struct vfapp_port {
	const struct vfapp_port_ops *ops;
	void *dev;
};

extern const struct vfapp_port_ops vfapp_port_ethdev_ops;
extern const struct vfapp_port_ops vfapp_port_vfdev_ops;
/** An ethdev port (queue 0). */
struct vfapp_port vfapp_port_ethdev(uint16_t port_id);
/** A vfdev port (its driver half; the device half is polled elsewhere). */
struct vfapp_port vfapp_port_vfdev(struct vfdev *d);

/** Drop reasons: the parser verdicts first (same values), then forwarding-stage ones. */
enum vfapp_drop {
	DROP_TRUNC_ETH = PKT_TRUNC_ETH,
	DROP_NOT_IPV4 = PKT_NOT_IPV4,
	DROP_TRUNC_IP = PKT_TRUNC_IP,
	DROP_BAD_VERSION = PKT_BAD_VERSION,
	DROP_BAD_IHL = PKT_BAD_IHL,
	DROP_BAD_TOTLEN = PKT_BAD_TOTLEN,
	DROP_BAD_CSUM = PKT_BAD_CSUM,
	DROP_TTL_EXPIRED = PKT_TTL_EXPIRED,
	DROP_UNROUTABLE = PKT_VERDICT__COUNT,
	DROP_DMA_FAULT, /**< the (soft) IOMMU faulted the device's DMA */
	DROP_INDUCED, /**< --drop-every */
	DROP_TX_FULL, /**< the output queue did not take the packet */
	DROP_NOT_OUR_MAC, /**< unicast frame for another MAC (the port is promiscuous) */
	DROP_L2_BCAST, /**< non-ARP frame to Ethernet broadcast/multicast (RFC 1812 5.3.4) */
	DROP_VLAN, /**< 802.1Q / 802.1ad tagged frame: no VLAN-to-port map, dropped */
	DROP_MARTIAN_SRC, /**< RFC 1812 5.3.7 source: 0/8, 127/8, 224/4, 240/4 */
	DROP_MARTIAN_DST, /**< destination 0/8, 127/8, 224/4 (no multicast routing), 240/4 */
	DROP_LOCAL, /**< IPv4 for a port address: the appliance only answers ARP */
	DROP_FRAG_NEEDED, /**< DF set and larger than the egress MTU (ICMP 3/4 sent) */
	DROP_NO_NEIGH, /**< next hop not resolved yet (ARP request sent) */
	DROP_NO_MBUF, /**< no mbuf for a fragment */
	DROP__COUNT
};

/** Router events: frames the appliance itself received or sent (not forwarded traffic). */
enum vfapp_event {
	EV_ARP_RX = 0, /**< ARP requests/replies received */
	EV_ARP_REPLIES, /**< ARP replies sent for a port address */
	EV_ARP_REQUESTS, /**< ARP requests sent to resolve a next hop */
	EV_NEIGH_LEARNED, /**< neighbour entries that became reachable or changed MAC */
	EV_ICMP_TIME_EXCEEDED, /**< ICMP 11/0 sent (TTL expired in transit) */
	EV_ICMP_UNREACH, /**< ICMP 3/0 sent (no route) */
	EV_ICMP_FRAG_NEEDED, /**< ICMP 3/4 sent with the next-hop MTU */
	EV_ICMP_RATELIMITED, /**< ICMP errors not sent: over --icmp-rate */
	EV_FRAGMENTS, /**< fragments made from packets larger than the egress MTU */
	EV_L4_CSUM_FIXED, /**< TCP/UDP checksums recomputed (--fix-l4-csum) */
	EV__COUNT
};

/** Name of a router event as used in JSON, telemetry and the exit summary. */
const char *vfapp_event_name(unsigned int ev);

/** Name of a drop reason as used in JSON, telemetry and the exit summary. */
const char *vfapp_drop_name(unsigned int reason);

/** Per appliance port counters (rx and drops are counted on the input port, tx on the output port). */
struct vfapp_port_stats {
	uint64_t rx, rx_bytes;
	uint64_t tx, tx_bytes;
	uint64_t drops[DROP__COUNT];
	uint64_t ev[EV__COUNT];
};

/* ---- port_stats.c: the per-port counters by name (record, telemetry, Prometheus) ---- */
#define VFAPP_PORT_COUNTERS 4
/** A packet or byte counter of struct vfapp_port_stats: its names and where it is. */
struct vfapp_port_counter {
	const char *name; /**< JSON record and telemetry key: "rx", "rx_bytes", "tx", "tx_bytes" */
	const char *metric; /**< Prometheus counter, e.g. "vfapp_port_rx_packets_total" */
	const char *help; /**< its HELP text */
	size_t off; /**< offsetof(struct vfapp_port_stats, ...), a uint64_t */
};
/** rx, rx_bytes, tx, tx_bytes, in this order. */
extern const struct vfapp_port_counter vfapp_port_counters[VFAPP_PORT_COUNTERS];
/** The value of vfapp_port_counters[@p i] in @p s. */
uint64_t vfapp_port_counter(const struct vfapp_port_stats *s, unsigned int i);

/** The forwarding appliance: two ports, LPM, next hops, optional lib/iova context. */
struct vfapp_appliance {
	uint16_t port_id[VFAPP_NB_PORTS]; /**< ethdev ports (when port[p].ops is NULL) */
	uint16_t queue; /**< ethdev RX/TX queue pair of this lcore */
	struct vfapp_port port[VFAPP_NB_PORTS]; /**< ops NULL: ethdev port_id[p] */
	struct rte_ether_addr port_mac[VFAPP_NB_PORTS];
	struct rte_lpm *lpm;
	const struct vfapp_route_cfg *routes; /**< LPM next hop i = routes->routes[i] */
	struct iova_ctx *ctx; /**< NULL: buffers are not mapped through lib/iova */
	bool dma_check; /**< model device DMA through the IOMMU (soft backend) */
	unsigned int cpu; /**< magazine index for iova_ctx_poll */
	uint64_t drop_every; /**< 0 = off */
	uint64_t drop_ctr;
	struct vfapp_port_stats st[VFAPP_NB_PORTS];
	uint64_t dma_mismatch; /**< translations that returned an unexpected host address */
	uint64_t polls, idle_polls;
	struct irqpost_vcpu *vcpu; /**< rx-mode posted/remapped: halt when idle */
	uint64_t halts, halt_timeouts;
	/* router duties (vfapp_appliance_router_init) */
	struct rte_mempool *pool; /**< buffers for ICMP, ARP and fragments */
	struct rte_ether_addr hw_mac[VFAPP_NB_PORTS]; /**< device MAC: accepted beside port_mac */
	bool port_ip_set[VFAPP_NB_PORTS];
	uint32_t port_ip[VFAPP_NB_PORTS]; /**< host order; the source of ARP and ICMP */
	uint16_t mtu[VFAPP_NB_PORTS]; /**< egress IP MTU */
	struct vfapp_neigh_table neigh[VFAPP_NB_PORTS];
	struct vfapp_ratelimit icmp_rl;
	uint16_t icmp_id;
	uint64_t hz;
	bool fix_l4_csum; /**< --fix-l4-csum: recompute TCP/UDP checksums in software */
	bool hw_ip_csum[VFAPP_NB_PORTS]; /**< the port computes the IPv4 header checksum on TX */
};

/**
 * Set the router state from the routes configuration: port addresses, egress MTUs
 * (cfg's, else @p dev_mtu), an empty neighbour table and the ICMP token bucket
 * (@p icmp_rate errors per second, burst @p icmp_burst; 0 = unlimited). @p pool gives
 * the buffers of the frames the appliance originates.
 */
void vfapp_appliance_router_init(struct vfapp_appliance *a, const struct vfapp_route_cfg *cfg,
				 const uint16_t dev_mtu[VFAPP_NB_PORTS], struct rte_mempool *pool,
				 uint64_t icmp_rate, uint64_t icmp_burst);

/**
 * One appliance iteration: receive a burst on each port, validate, route,
 * rewrite, transmit. @return packets received.
 */
unsigned int vfapp_appliance_step(struct vfapp_appliance *a);
/** Zero the counters (end of warm-up). */
void vfapp_appliance_reset_stats(struct vfapp_appliance *a);
/** Totals over both ports. */
void vfapp_appliance_totals(const struct vfapp_appliance *a, struct vfapp_port_stats *tot);
/** Print the per-port counters to f. */
void vfapp_appliance_print(const struct vfapp_appliance *a, FILE *f);
/**
 * Process one received burst of port in (exposed for tests): frees or transmits every mbuf.
 */
void vfapp_appliance_process(struct vfapp_appliance *a, unsigned int in, struct rte_mbuf **pkts,
			     unsigned int n);

/**
 * Port @p p's counters of @p a plus those of the @p n appliances @p w (the worker lcores'
 * while they run, --fwd-lcores) into @p out.
 */
void vfapp_port_stats_sum(const struct vfapp_appliance *a, const struct vfapp_appliance *w,
			  unsigned int n, unsigned int p, struct vfapp_port_stats *out);

/** Register "/vfapp/stats" (telemetry.c). @return 0 or -errno. */
int vfapp_telemetry_register(const struct vfapp_appliance *a);
/** The worker lcores' appliances (--fwd-lcores): "/vfapp/stats" sums their counters in. */
void vfapp_telemetry_workers(const struct vfapp_appliance *w, unsigned int n);
/** Add the counters of @p from into @p into (per-lcore appliances at the end of a run). */
void vfapp_appliance_add_stats(struct vfapp_appliance *into, const struct vfapp_appliance *from);

/* ---- prometheus.c: --prometheus FILE (text exposition format, node_exporter textfile) ---- */
/** Write every series of @p a to @p f. @return 0 or -EIO. */
int vfapp_prometheus_format(const struct vfapp_appliance *a, FILE *f);
/** Write them to @p path atomically (PATH.tmp.<pid>, fsync, rename). @return 0 or -errno. */
int vfapp_prometheus_write(const struct vfapp_appliance *a, const char *path);
/** @return 0, or -EINVAL after a message on stderr when @p path does not end in ".prom". */
int vfapp_prometheus_check_path(const char *path);
/** The worker lcores' appliances (--fwd-lcores): summed into the series (NULL: none). */
void vfapp_prometheus_workers(const struct vfapp_appliance *w, unsigned int n);
/** Write @p path every @p interval_s seconds from vfapp_prometheus_tick() (NULL path: never). */
void vfapp_prometheus_start(const char *path, double interval_s);
/** In the run loop: write when the interval has passed (cheap otherwise). */
void vfapp_prometheus_tick(const struct vfapp_appliance *a, uint64_t now);
/** Write now (end of run); a failure is reported on stderr once per errno. */
void vfapp_prometheus_flush(const struct vfapp_appliance *a);

/* ---- ports.c ---- */

enum vfapp_wire { WIRE_MEMIF = 0, WIRE_RING, WIRE_VFDEV };

/** Internal topology: endpoint A <-> appliance port 0, appliance port 1 <-> endpoint B. */
struct vfapp_topo {
	uint16_t ep_a, ep_b; /**< endpoint ports */
	uint16_t app_port[VFAPP_NB_PORTS];
	struct rte_ether_addr ep_a_mac, ep_b_mac;
	uint32_t ep_a_ip, ep_b_ip; /**< host order: 10.0.1.2, 10.0.2.2 */
	struct vfdev *vf[VFAPP_NB_PORTS]; /**< WIRE_VFDEV: the appliance's VFs, else NULL */
	struct rte_ether_addr app_mac[VFAPP_NB_PORTS]; /**< WIRE_VFDEV: the VFs' MACs */
	struct rte_ring *wring[4]; /**< WIRE_VFDEV: a->vf0, vf0->a, b->vf1, vf1->b */
};

/**
 * Create the four internal ports (vdevs), configure and start them with the given pools,
 * and wait (bounded) for link up.
 * @return 0 or -errno with a message in err.
 */
int vfapp_topo_internal(struct vfapp_topo *t, enum vfapp_wire wire, const char *tag,
			struct rte_mempool *app_pool, struct rte_mempool *ep_pool, char *err,
			size_t errlen);
/** Configure one rx + one tx queue on port, start it, enable promiscuous mode. */
int vfapp_port_setup(uint16_t port, struct rte_mempool *pool, char *err, size_t errlen);
/**
 * vfapp_port_setup() with an ethdev MTU (0 = the PMD's default): frames larger than one
 * mbuf enable scattered RX and multi-segment TX, or fail with a message naming the MTU.
 */
int vfapp_port_setup_mtu(uint16_t port, struct rte_mempool *pool, uint16_t mtu, char *err,
			 size_t errlen);
/**
 * vfapp_port_setup_mtu() with @p nq RX/TX queue pairs (one per forwarding lcore): RSS over
 * IP/UDP/TCP where the PMD has it; PMDs that spread over their queues themselves (af_packet
 * fanout, af_xdp) are taken as they are. Fails naming the queues the PMD has.
 */
int vfapp_port_setup_q(uint16_t port, struct rte_mempool *pool, uint16_t mtu, uint16_t nq,
		       char *err, size_t errlen);
/**
 * What the kernel interface behind a port hands the appliance (offload.c; Linux
 * drivers/net/veth.c veth_xdp_set/veth_xdp_rcv_skb): a veth peer's checksum offload
 * (tx-checksumming) gives partial TCP/UDP checksums (any PMD); its TSO / UDP segmentation
 * and the interface's own GRO/LRO give frames larger than the MTU (af_packet only: native
 * XDP on a veth turns the peer's segmentation offloads off and runs before GRO). The
 * peer is read inside its namespace. Call after the port started.
 * @return 0 fine (or no kernel interface), -1 refuse (oversize frames, or partial
 *         checksums without @p fix_l4_csum), 1 warn (partial checksums, @p fix_l4_csum);
 *         @p msg names the interfaces, the features and the exact commands, e.g.
 *         `ip netns exec NS ethtool -K PEER tx off`.
 */
int vfapp_port_offload_check(uint16_t port, bool fix_l4_csum, char *msg, size_t len);
/**
 * net_af_xdp (DPDK 22.11) uses the mbuf pool as its UMEM, taken as ONE range from the pool's
 * first buffer, populated_size x buffer size long: buffers outside it (--no-huge spreads them
 * so none crosses a 4 KB page) are rejected by the kernel, and received frames are dropped
 * silently. Call before the port is set up.
 * @return 0 fine (or not af_xdp), -1 refuse with @p msg naming the cause and the fix.
 */
int vfapp_port_umem_check(uint16_t port, struct rte_mempool *mp, char *msg, size_t len);
/** Read both ports' device counters (ops or ethdev) and their kernel interface's drops. */
void vfapp_ports_snapshot(const struct vfapp_appliance *a, struct vfapp_hw_snap *out);
/** Kernel interface behind a port (af_packet, af_xdp, tap...). @return 0, -ENOENT if none. */
int vfapp_port_ifname(uint16_t port, char *name, size_t len);
/** Wait until every port has link up or timeout_ms passes. @return 0 or -ETIMEDOUT. */
int vfapp_wait_links(const uint16_t *ports, unsigned int n, unsigned int timeout_ms);
/** Stop, close and remove the internal topology's devices. */
void vfapp_topo_close(struct vfapp_topo *t);

/**
 * Internal topology on software VFs (topo_vfdev.c): the appliance's two ports are vfdevs
 * (lib/vfdev) whose DMA goes through ctx; their wires are rte_ring pairs whose far ends
 * are net_ring ethdevs for the endpoints (ep_pool buffers = the network's).
 * @return 0 or -errno with a message in err.
 */
int vfapp_topo_vfdev(struct vfapp_topo *t, const char *tag, struct rte_mempool *app_pool,
		     struct rte_mempool *ep_pool, struct iova_ctx *ctx, bool attack, char *err,
		     size_t errlen);
/** Destroy the vfdevs (their device half no longer polled) and the endpoint ports. */
void vfapp_topo_vfdev_close(struct vfapp_topo *t);
/** One round of both devices' DMA engines (the device core). @return descriptors completed. */
unsigned int vfapp_topo_vfdev_poll(struct vfapp_topo *t);

/** Built-in routes of the internal topology, ports 10.0.1.1/24 and 10.0.2.1/24. */
void vfapp_routes_internal(struct vfapp_route_cfg *cfg, const struct vfapp_topo *t);

/* ---- endpoint helpers (endpoint.c) ---- */

/** Addresses of one endpoint side. */
struct vfapp_ep_side {
	uint16_t port;
	struct rte_ether_addr mac; /**< own MAC */
	struct rte_ether_addr gw_mac; /**< the appliance port it talks to */
	uint32_t ip; /**< own IP, host order */
	uint32_t peer_ip; /**< the other endpoint, host order */
};

/**
 * Write Ethernet + IPv4 headers at the start of m's data (m->data_len must cover them)
 * for an L4 payload of l4_len bytes; IPv4 checksum computed. @return the IPv4 header.
 */
struct rte_ipv4_hdr *vfapp_ep_build_ipv4(struct rte_mbuf *m, const struct vfapp_ep_side *s,
					 uint8_t proto, uint16_t l4_len, uint16_t ip_id);

#endif
