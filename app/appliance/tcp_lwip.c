/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_lwip.c
 * netperf-like TCP_STREAM over the appliance on a real TCP stack: lwIP 2.1.3 as Debian
 * ships it (liblwip-dev; handshake, NewReno congestion control, RTT/RTO estimation, fast
 * retransmit, out-of-order queueing, window scaling).
 *
 * Each endpoint is an lwIP netif over its DPDK port (A: 10.0.1.2 on the client port, B:
 * 10.0.2.2 on the server port). The netif's linkoutput copies lwIP's frame into an mbuf and
 * transmits it on the port; the endpoint step receives a burst from the port and hands each
 * frame to ethernet_input() as a zero-copy custom pbuf over the mbuf (freed with lwIP's
 * last pbuf_free(); VFAPP_LWIP_COPY=1 in the environment copies instead, for comparison).
 * Both netifs live in the one lwIP stack of the process, so each TCP pcb is bound to its netif (tcp_bind_netif(): lwIP
 * then sends through that netif, and the accepted pcb inherits the listener's binding);
 * IPv4 output goes to the appliance port's MAC directly (the netif's output callback
 * calls ethernet_output(): no ARP, the appliance does not answer it).
 *
 * No rte_ethdev.h here (lwIP's headers clash with the netinet headers it includes): the
 * port I/O goes through vfapp_ep_rx_burst()/vfapp_ep_tx_burst() (endpoint.c).
 *
 * Threads: Debian builds liblwip with NO_SYS=0 and LWIP_TCPIP_CORE_LOCKING=1
 * (/usr/include/lwip/lwipopts.h), meant for a tcpip thread that applications reach
 * through the core lock. We start no tcpip thread (no tcpip_init()): lwip_init() and the
 * raw API are called only from the endpoint's polling loop, the one thread that touches
 * lwIP, and lwIP's timers run from that loop through sys_check_timeouts() once a
 * millisecond. The port's core-locking check (sys_check_core_locking()) only applies once
 * a tcpip thread exists, so it accepts this.
 *
 * The client writes the stream pattern (a function of the stream offset) as fast as the
 * send buffer allows; the server checks every received byte against the pattern at its
 * offset (mismatched segments are counted) and returns the window (tcp_recved()).
 * Counted on the wire (the netifs see every frame): retransmitted segments (the client
 * sends a segment whose sequence range starts before the highest sequence sent) and
 * out-of-order / duplicate segments (the server receives a segment starting after / before
 * its rcv_nxt). cwnd and ssthresh are read from the client pcb at the end.
 * Goodput counts payload bytes delivered in order to the server inside the measured
 * interval.
 *
 * Where the cycles go (perf, off/native on memif, steady state, 2026-12-01): lwIP 37 % of
 * the loop (25 % its C checksum, computed on send and verified on receive), libc 19 % on
 * lwIP's behalf (8.5 % the pthread mutex of SYS_ARCH_PROTECT around pbuf reference counts
 * in this NO_SYS=0 build, malloc/free of MEM_LIBC_MALLOC, copies), memif 17 %, the
 * appliance with lib/iova 14 %. lwIP is the bottleneck of TCP_STREAM's throughput; the
 * appliance's own cost is what service demand (appliance busy cycles) reports. Zero-copy
 * receive gained ~3 % (2.43 vs 2.36 Gbit/s, medians of 4, within the noise).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <lwip/init.h>
#include <lwip/ip4_addr.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/tcp.h>
#include <lwip/timeouts.h>
#include <netif/ethernet.h>

#include "endpoint.h"

#define PATTERN_PERIOD 65521u /* prime: payload bytes depend on the stream offset */
#define WRITE_CHUNK 16384u /* at most this much per tcp_write() */
#define DPORT 12865 /* netperf's port */
#define ETH_HLEN 14u
#define LWIP_MTU 1500u

/* one endpoint: an lwIP netif over a DPDK port */
struct lw_side {
	struct netif netif;
	const struct vfapp_ep_side *ep;
	struct tcp_stream_lw *s;
	struct rte_mbuf *tx[VFAPP_BURST];
	unsigned int ntx;
	bool toward_appliance_kick; /**< raise the VF's interrupt after transmitting */
	uint64_t tx_frames, tx_drops, rx_frames, rx_nopbuf, rx_zero_copy;
};

struct tcp_stream_lw {
	struct vfapp_ep_env *env;
	uint8_t *pattern; /**< PATTERN_PERIOD + WRITE_CHUNK bytes */
	struct lw_side a, b;
	struct tcp_pcb *cli, *lst, *srv;
	uint64_t hz, next_timers; /**< TSC of the next sys_check_timeouts() */
	bool connecting, connected, failed;
	bool zero_copy; /**< receive without copying (VFAPP_LWIP_COPY unset) */
	int err; /**< last lwIP error reported to a callback */

	/* client */
	uint64_t tx_off; /**< stream bytes handed to tcp_write() */
	uint32_t snd_max_seq; /**< highest sequence number + 1 sent on the wire */
	bool snd_seq_valid;
	uint64_t segs_sent, retransmits, write_errors;

	/* server */
	uint64_t rx_off; /**< stream bytes received in order */
	uint64_t mismatch_segs, mismatch_bytes, ooo_segs, dup_segs;

	/* measurement */
	uint64_t t_connected;
	bool measuring;
	uint64_t bytes_at_start, bytes_at_stop, retx_at_start, retx_at_stop;
	uint64_t ooo_at_start, ooo_at_stop;
};

static bool lwip_ready; /* lwip_init() runs once per process */

static void fill_pattern(uint8_t *p, size_t n)
{
	uint32_t x = 0x9e3779b9u;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	/* the tail repeats the head so any offset can be read contiguously */
	memcpy(p + PATTERN_PERIOD, p, WRITE_CHUNK);
}

static inline const uint8_t *pattern_at(const struct tcp_stream_lw *s, uint64_t off)
{
	return s->pattern + (off % PATTERN_PERIOD);
}

/* TCP sequence number and payload length of an Ethernet/IPv4/TCP frame; false otherwise. */
static bool frame_tcp_seq(const uint8_t *f, unsigned int len, uint32_t *seq, unsigned int *plen)
{
	unsigned int ihl, tot, doff;

	if (len < ETH_HLEN + 20u + 20u || f[12] != 0x08 || f[13] != 0x00)
		return false;
	f += ETH_HLEN;
	ihl = (f[0] & 0x0fu) * 4u;
	tot = ((unsigned int)f[2] << 8) | f[3];
	if (f[9] != 6 || ihl < 20u || tot < ihl + 20u || tot > len - ETH_HLEN)
		return false;
	doff = (f[ihl + 12] >> 4) * 4u;
	if (doff < 20u || ihl + doff > tot)
		return false;
	*seq = ((uint32_t)f[ihl + 4] << 24) | ((uint32_t)f[ihl + 5] << 16) |
	       ((uint32_t)f[ihl + 6] << 8) | f[ihl + 7];
	*plen = tot - ihl - doff;
	return true;
}

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* ---------------------------------------------------------------- netif driver */

static void side_flush(struct lw_side *sd)
{
	unsigned int sent, i;

	if (sd->ntx == 0)
		return;
	sent = vfapp_ep_tx_burst(sd->ep->port, sd->tx, (uint16_t)sd->ntx);
	for (i = sent; i < sd->ntx; i++)
		rte_pktmbuf_free(sd->tx[i]);
	sd->tx_drops += sd->ntx - sent;
	sd->tx_frames += sent;
	sd->ntx = 0;
	if (sent > 0 && sd->toward_appliance_kick)
		vfapp_ep_kick(sd->s->env);
}

/* lwIP hands a complete frame (LWIP_NETIF_TX_SINGLE_PBUF: usually one pbuf). */
static err_t lw_linkoutput(struct netif *nif, struct pbuf *p)
{
	struct lw_side *sd = nif->state;
	struct tcp_stream_lw *s = sd->s;
	struct rte_mbuf *m;
	uint8_t *d;
	uint32_t seq;
	unsigned int plen;

	if (p->tot_len > LWIP_MTU + ETH_HLEN)
		return ERR_IF;
	m = rte_pktmbuf_alloc(s->env->pool);
	if (m == NULL) {
		sd->tx_drops++;
		return ERR_MEM;
	}
	d = (uint8_t *)rte_pktmbuf_append(m, p->tot_len);
	if (d == NULL || pbuf_copy_partial(p, d, p->tot_len, 0) != p->tot_len) {
		rte_pktmbuf_free(m);
		sd->tx_drops++;
		return ERR_MEM;
	}
	if (sd == &s->a && frame_tcp_seq(d, p->tot_len, &seq, &plen) && plen > 0) {
		s->segs_sent++;
		if (s->snd_seq_valid && seq_lt(seq, s->snd_max_seq))
			s->retransmits++;
		if (!s->snd_seq_valid || seq_lt(s->snd_max_seq, seq + plen)) {
			s->snd_max_seq = seq + plen;
			s->snd_seq_valid = true;
		}
	}
	sd->tx[sd->ntx++] = m;
	if (sd->ntx == VFAPP_BURST)
		side_flush(sd);
	return ERR_OK;
}

/* IPv4 output: straight to the appliance port's MAC (static next hop, no ARP). */
static err_t lw_output(struct netif *nif, struct pbuf *p, const ip4_addr_t *dst)
{
	struct lw_side *sd = nif->state;
	struct eth_addr src, gw;

	(void)dst;
	memcpy(src.addr, sd->ep->mac.addr_bytes, ETH_HWADDR_LEN);
	memcpy(gw.addr, sd->ep->gw_mac.addr_bytes, ETH_HWADDR_LEN);
	return ethernet_output(nif, p, &src, &gw, ETHTYPE_IP);
}

static err_t lw_netif_init(struct netif *nif)
{
	struct lw_side *sd = nif->state;

	nif->name[0] = 'v';
	nif->name[1] = sd == &sd->s->a ? 'a' : 'b';
	nif->mtu = LWIP_MTU;
	nif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(nif->hwaddr, sd->ep->mac.addr_bytes, ETH_HWADDR_LEN);
	/* ethernet_input() drops IPv4 on a netif without NETIF_FLAG_ETHARP (no ARP is sent:
	 * lw_output() does not resolve) */
	nif->flags =
		NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	nif->output = lw_output;
	nif->linkoutput = lw_linkoutput;
	return ERR_OK;
}

/* A received frame as a pbuf. Zero copy: a PBUF_REF custom pbuf over the mbuf's data, its
 * pbuf_custom living in the mbuf's headroom; lwIP's last pbuf_free() frees the mbuf.
 * Fallback (headroom too small): a PBUF_RAM copy. (Not PBUF_POOL: with it, valgrind shows
 * pbuf_take() of a 1514-byte frame writing past the 616-byte pool block Debian's liblwip
 * allocated: its pool sizing disagrees with the installed lwipopts.h.) */
struct lw_rxpbuf {
	struct pbuf_custom pc;
	struct rte_mbuf *m;
};

static void lw_rx_free(struct pbuf *p)
{
	rte_pktmbuf_free(((struct lw_rxpbuf *)p)->m);
}

static struct pbuf *rx_pbuf(struct lw_side *sd, struct rte_mbuf *m, const uint8_t *d, uint16_t len)
{
	struct lw_rxpbuf *c = m->buf_addr;
	struct pbuf *p;

	if (sd->s->zero_copy && m->nb_segs == 1 && rte_pktmbuf_headroom(m) >= sizeof(*c) &&
	    ((uintptr_t)c & (alignof(struct lw_rxpbuf) - 1)) == 0) {
		c->m = m;
		c->pc.custom_free_function = lw_rx_free;
		sd->rx_zero_copy++;
		return pbuf_alloced_custom(PBUF_RAW, len, PBUF_REF, &c->pc, (void *)d, len);
	}
	p = pbuf_alloc(PBUF_RAW, len, PBUF_RAM);
	if (p != NULL) {
		pbuf_take(p, d, len);
		rte_pktmbuf_free(m);
	}
	return p;
}

/* Receive a burst from the side's port into lwIP. */
static void side_rx(struct lw_side *sd)
{
	struct tcp_stream_lw *s = sd->s;
	struct rte_mbuf *pkts[VFAPP_BURST];
	unsigned int n, i;

	n = vfapp_ep_rx_burst(sd->ep->port, pkts, VFAPP_BURST);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
		uint16_t len = rte_pktmbuf_data_len(m);
		struct pbuf *p;
		uint32_t seq;
		unsigned int plen;

		if (sd == &s->b && s->srv != NULL && frame_tcp_seq(d, len, &seq, &plen) &&
		    plen > 0) {
			if (seq_lt(s->srv->rcv_nxt, seq))
				s->ooo_segs++;
			else if (seq_lt(seq, s->srv->rcv_nxt))
				s->dup_segs++;
		}
		p = rx_pbuf(sd, m, d, len);
		if (p == NULL) {
			sd->rx_nopbuf++;
			rte_pktmbuf_free(m);
			continue;
		}
		sd->rx_frames++;
		if (sd->netif.input(p, &sd->netif) != ERR_OK)
			pbuf_free(p);
	}
}

static void lw_timers(struct tcp_stream_lw *s, uint64_t now)
{
	if (now < s->next_timers)
		return;
	sys_check_timeouts();
	s->next_timers = now + s->hz / 1000;
}

/* ---------------------------------------------------------------- TCP callbacks */

static void cli_err(void *arg, err_t err)
{
	struct tcp_stream_lw *s = arg;

	s->cli = NULL; /* lwIP freed the pcb */
	s->failed = true;
	s->err = err;
}

static void srv_err(void *arg, err_t err)
{
	struct tcp_stream_lw *s = arg;

	s->srv = NULL;
	s->failed = true;
	s->err = err;
}

static err_t cli_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct tcp_stream_lw *s = arg;

	(void)pcb;
	if (err != ERR_OK) {
		s->failed = true;
		s->err = err;
		return err;
	}
	s->connected = true;
	s->t_connected = rte_rdtsc();
	return ERR_OK;
}

static err_t srv_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct tcp_stream_lw *s = arg;
	struct pbuf *q;
	uint16_t total;

	if (p == NULL) { /* the client closed */
		tcp_close(pcb);
		s->srv = NULL;
		return ERR_OK;
	}
	if (err != ERR_OK) {
		pbuf_free(p);
		return err;
	}
	total = p->tot_len;
	for (q = p; q != NULL; q = q->next) {
		const uint8_t *exp = pattern_at(s, s->rx_off);
		uint16_t off = 0;

		/* pattern tail covers WRITE_CHUNK bytes past the period; a pbuf is <= the MTU */
		if (memcmp(q->payload, exp, q->len) != 0) {
			for (off = 0; off < q->len; off++)
				if (((const uint8_t *)q->payload)[off] != exp[off])
					s->mismatch_bytes++;
			s->mismatch_segs++;
		}
		s->rx_off += q->len;
	}
	tcp_recved(pcb, total);
	pbuf_free(p);
	return ERR_OK;
}

static err_t lst_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct tcp_stream_lw *s = arg;

	if (err != ERR_OK || pcb == NULL)
		return ERR_VAL;
	if (s->srv != NULL) { /* one stream only */
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	s->srv = pcb;
	tcp_arg(pcb, s);
	tcp_recv(pcb, srv_recv);
	tcp_err(pcb, srv_err);
	return ERR_OK;
}

/* ---------------------------------------------------------------- workload */

static void cli_fill(struct tcp_stream_lw *s)
{
	struct tcp_pcb *pcb = s->cli;
	bool wrote = false;

	if (pcb == NULL || !s->connected)
		return;
	for (;;) {
		uint32_t room = tcp_sndbuf(pcb);
		uint32_t len = room < WRITE_CHUNK ? room : WRITE_CHUNK;
		err_t e;

		if (len < pcb->mss && len < room)
			break;
		if (len == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 4)
			break;
		e = tcp_write(pcb, pattern_at(s, s->tx_off), (u16_t)len, TCP_WRITE_FLAG_COPY);
		if (e == ERR_MEM)
			break;
		if (e != ERR_OK) {
			s->write_errors++;
			break;
		}
		s->tx_off += len;
		wrote = true;
	}
	if (wrote)
		tcp_output(pcb);
}

static void cli_connect(struct tcp_stream_lw *s)
{
	ip_addr_t ip_b = IPADDR4_INIT(0);
	err_t e;

	s->connecting = true;
	ip4_addr_set_u32(ip_2_ip4(&ip_b), rte_cpu_to_be_32(s->env->b.ip));
	e = tcp_connect(s->cli, &ip_b, DPORT, cli_connected);
	if (e != ERR_OK) {
		s->failed = true;
		s->err = e;
	}
}

static void lw_client_step(void *arg, uint64_t now)
{
	struct tcp_stream_lw *s = arg;

	if (!s->connecting && s->cli != NULL)
		cli_connect(s);
	side_rx(&s->a); /* ACKs (and the SYN-ACK) */
	cli_fill(s);
	lw_timers(s, now);
	side_flush(&s->a);
}

static void lw_server_step(void *arg, uint64_t now)
{
	struct tcp_stream_lw *s = arg;

	side_rx(&s->b); /* data; ACKs leave through netif B */
	lw_timers(s, now);
	side_flush(&s->b);
	side_flush(&s->a); /* a timer may have retransmitted */
}

static void lw_start(void *arg, uint64_t now)
{
	struct tcp_stream_lw *s = arg;

	(void)now;
	s->measuring = true;
	s->bytes_at_start = s->rx_off;
	s->retx_at_start = s->retransmits;
	s->ooo_at_start = s->ooo_segs;
}

static void lw_stop(void *arg, uint64_t now)
{
	struct tcp_stream_lw *s = arg;

	(void)now;
	if (!s->measuring)
		return;
	s->measuring = false;
	s->bytes_at_stop = s->rx_off;
	s->retx_at_stop = s->retransmits;
	s->ooo_at_stop = s->ooo_segs;
}

static void lw_report(void *arg, double secs, json_t *rec, FILE *out)
{
	struct tcp_stream_lw *s = arg;
	uint64_t bytes = s->bytes_at_stop - s->bytes_at_start;
	uint64_t retx = s->retx_at_stop - s->retx_at_start;
	double gbps = secs > 0 ? (double)bytes * 8.0 / secs / 1e9 : 0.0;
	json_t *t = json_object();
	uint32_t cwnd = s->cli != NULL ? (uint32_t)s->cli->cwnd : 0;
	uint32_t ssthresh = s->cli != NULL ? (uint32_t)s->cli->ssthresh : 0;
	unsigned int mss = s->cli != NULL ? s->cli->mss : 0;

	json_object_set_new(rec, "goodput_gbps", json_real(gbps));
	json_object_set_new(rec, "retransmits", json_integer((json_int_t)retx));
	json_object_set_new(rec, "mismatches", json_integer((json_int_t)s->mismatch_segs));
	json_object_set_new(t, "stack", json_string("lwIP " LWIP_VERSION_STRING));
	json_object_set_new(t, "connected", json_boolean(s->connected));
	json_object_set_new(t, "error", json_integer(s->err));
	json_object_set_new(t, "mss", json_integer(mss));
	json_object_set_new(t, "snd_buf", json_integer(TCP_SND_BUF));
	json_object_set_new(t, "rcv_wnd", json_integer(TCP_WND));
	json_object_set_new(t, "cwnd_end", json_integer(cwnd));
	json_object_set_new(t, "ssthresh_end", json_integer(ssthresh));
	json_object_set_new(t, "bytes_measured", json_integer((json_int_t)bytes));
	json_object_set_new(t, "bytes_received", json_integer((json_int_t)s->rx_off));
	json_object_set_new(t, "bytes_written", json_integer((json_int_t)s->tx_off));
	json_object_set_new(t, "segments_sent", json_integer((json_int_t)s->segs_sent));
	json_object_set_new(t, "retransmits_total", json_integer((json_int_t)s->retransmits));
	json_object_set_new(t, "out_of_order",
			    json_integer((json_int_t)(s->ooo_at_stop - s->ooo_at_start)));
	json_object_set_new(t, "out_of_order_total", json_integer((json_int_t)s->ooo_segs));
	json_object_set_new(t, "duplicates", json_integer((json_int_t)s->dup_segs));
	json_object_set_new(t, "corrupt_segments", json_integer((json_int_t)s->mismatch_segs));
	json_object_set_new(t, "corrupt_bytes", json_integer((json_int_t)s->mismatch_bytes));
	json_object_set_new(t, "frames_tx_a", json_integer((json_int_t)s->a.tx_frames));
	json_object_set_new(t, "frames_tx_b", json_integer((json_int_t)s->b.tx_frames));
	json_object_set_new(t, "frames_rx_a", json_integer((json_int_t)s->a.rx_frames));
	json_object_set_new(t, "frames_rx_b", json_integer((json_int_t)s->b.rx_frames));
	json_object_set_new(t, "tx_drops",
			    json_integer((json_int_t)(s->a.tx_drops + s->b.tx_drops)));
	json_object_set_new(t, "rx_zero_copy",
			    json_integer((json_int_t)(s->a.rx_zero_copy + s->b.rx_zero_copy)));
	json_object_set_new(t, "rx_no_pbuf",
			    json_integer((json_int_t)(s->a.rx_nopbuf + s->b.rx_nopbuf)));
	json_object_set_new(t, "write_errors", json_integer((json_int_t)s->write_errors));
	json_object_set_new(rec, "tcp", t);
	fprintf(out,
		"TCP_STREAM (lwIP %s): %.3f Gbit/s (%.1f 10^6 bits/s) goodput over %.3f s, "
		"%" PRIu64 " bytes verified, connected %s\n",
		LWIP_VERSION_STRING, gbps, gbps * 1e3, secs, bytes, s->connected ? "yes" : "NO");
	fprintf(out,
		"  retransmits %" PRIu64 " (total %" PRIu64 "), out-of-order %" PRIu64
		", duplicates %" PRIu64 ", corrupt segments %" PRIu64
		", cwnd %u ssthresh %u mss %u\n",
		retx, s->retransmits, s->ooo_at_stop - s->ooo_at_start, s->dup_segs,
		s->mismatch_segs, cwnd, ssthresh, mss);
}

static void lw_destroy(void *arg)
{
	struct tcp_stream_lw *s = arg;

	if (s->cli != NULL) {
		tcp_err(s->cli, NULL);
		tcp_abort(s->cli);
	}
	if (s->srv != NULL) {
		tcp_err(s->srv, NULL);
		tcp_abort(s->srv);
	}
	if (s->lst != NULL)
		tcp_close(s->lst);
	side_flush(&s->a);
	side_flush(&s->b);
	netif_remove(&s->a.netif);
	netif_remove(&s->b.netif);
	rte_free(s->pattern);
	free(s);
}

static int side_add(struct tcp_stream_lw *s, struct lw_side *sd, const struct vfapp_ep_side *ep)
{
	ip4_addr_t ip, mask, gw;

	sd->s = s;
	sd->ep = ep;
	ip4_addr_set_u32(&ip, rte_cpu_to_be_32(ep->ip));
	ip4_addr_set_u32(&mask, rte_cpu_to_be_32(0xffffff00u));
	ip4_addr_set_u32(&gw, rte_cpu_to_be_32((ep->ip & 0xffffff00u) | 1u));
	if (netif_add(&sd->netif, &ip, &mask, &gw, sd, lw_netif_init, ethernet_input) == NULL)
		return -ENODEV;
	netif_set_up(&sd->netif);
	return 0;
}

int vfapp_tcp_stream_create(struct vfapp_ep_env *env, const struct vfapp_ep_params *p,
			    struct vfapp_workload *w)
{
	struct tcp_stream_lw *s;
	int ret;

	(void)p; /* MSS, window and RTO are lwIP's own (negotiated / estimated) */
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->env = env;
	s->hz = env->hz ? env->hz : rte_get_tsc_hz();
	s->pattern = rte_malloc("tcp_pattern", PATTERN_PERIOD + WRITE_CHUNK, 0);
	if (s->pattern == NULL) {
		free(s);
		return -ENOMEM;
	}
	fill_pattern(s->pattern, PATTERN_PERIOD);
	if (!lwip_ready) {
		lwip_init();
		lwip_ready = true;
	}
	s->zero_copy = getenv("VFAPP_LWIP_COPY") == NULL;
	s->a.toward_appliance_kick = true;
	s->b.toward_appliance_kick = true;
	ret = side_add(s, &s->a, &env->a);
	if (ret == 0)
		ret = side_add(s, &s->b, &env->b);
	if (ret != 0)
		goto fail;

	/* server: listen on B's address, bound to netif B */
	ret = -ENOMEM;
	s->lst = tcp_new();
	if (s->lst == NULL)
		goto fail;
	tcp_bind_netif(s->lst, &s->b.netif);
	if (tcp_bind(s->lst, &s->b.netif.ip_addr, DPORT) != ERR_OK) {
		ret = -EADDRINUSE;
		goto fail;
	}
	s->lst = tcp_listen_with_backlog(s->lst, 1);
	if (s->lst == NULL)
		goto fail;
	tcp_arg(s->lst, s);
	tcp_accept(s->lst, lst_accept);

	/* client: bound to netif A; connects from its first step (the ports are running then) */
	s->cli = tcp_new();
	if (s->cli == NULL)
		goto fail;
	tcp_bind_netif(s->cli, &s->a.netif);
	tcp_arg(s->cli, s);
	tcp_err(s->cli, cli_err);
	tcp_nagle_disable(s->cli);
	if (tcp_bind(s->cli, &s->a.netif.ip_addr, 0) != ERR_OK) {
		ret = -EADDRINUSE;
		goto fail;
	}

	w->name = "TCP_STREAM";
	w->st = s;
	w->client_step = lw_client_step;
	w->server_step = lw_server_step;
	w->start = lw_start;
	w->stop = lw_stop;
	w->report = lw_report;
	w->destroy = lw_destroy;
	return 0;
fail:
	lw_destroy(s);
	return ret;
}
