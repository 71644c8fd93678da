/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file udp_rr.c
 * netperf-like UDP_RR: one outstanding request of msg_size bytes from port A,
 * echoed by the server on port B. Each request carries its sequence number in
 * the IPv4 ID and in every payload byte (byte i = byte (i % 8) of the 64-bit
 * sequence), so a response is matched to its request even for 1-byte messages.
 * Latency is the TSC round trip, recorded in an HDR-style histogram. With --rate
 * requests are paced (low load, for interrupt-driven receive).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "endpoint.h"
#include "iova.h"

#define SPORT 40001
#define DPORT 12866
#define MAX_MSG 1472u

struct udp_rr {
	struct vfapp_ep_env *env;
	unsigned int msg_size;
	uint64_t timeout_cycles;
	uint64_t interval_cycles; /**< --rate: minimum spacing of requests, 0 = none */

	uint64_t seq; /**< sequence of the outstanding request */
	bool outstanding;
	uint64_t t_sent;
	uint64_t requests, responses, timeouts, late, mismatches, bad_frames;
	uint64_t server_rx, server_tx;

	bool measuring;
	uint64_t t_start, t_stop, trans_measured, interrupts_start, interrupts_stop;
	struct iova_hist lat_ns;
};

static inline uint8_t seq_byte(uint64_t seq, unsigned int i)
{
	return (uint8_t)(seq >> (8 * (i % 8)));
}

static void rr_client_step(void *arg, uint64_t now)
{
	struct udp_rr *s = arg;
	struct rte_mbuf *pkts[VFAPP_BURST];
	unsigned int n, i, k;

	n = rte_eth_rx_burst(s->env->a.port, 0, pkts, VFAPP_BURST);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct pkt_info pi;
		struct rte_ipv4_hdr *ip;
		struct rte_udp_hdr *udp;
		const uint8_t *pl;
		uint16_t id;
		bool ok = true;

		if (pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &pi) != PKT_OK ||
		    pi.proto != IPPROTO_UDP || pi.ip_totlen < pi.l3_len + sizeof(*udp)) {
			s->bad_frames++;
			goto next;
		}
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, pi.l3_off);
		udp = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, pi.l4_off);
		if (udp->dst_port != rte_cpu_to_be_16(SPORT) ||
		    rte_ipv4_udptcp_cksum_verify(ip, udp) != 0) {
			s->bad_frames++;
			goto next;
		}
		id = rte_be_to_cpu_16(ip->packet_id);
		pl = (const uint8_t *)(udp + 1);
		if (rte_be_to_cpu_16(udp->dgram_len) != sizeof(*udp) + s->msg_size) {
			s->mismatches++;
			goto next;
		}
		if (!s->outstanding || id != (uint16_t)s->seq) {
			/* a response to a request we gave up on is late, anything else a mismatch */
			if ((uint16_t)(s->seq - id) < 64 && id != (uint16_t)s->seq)
				s->late++;
			else
				s->mismatches++;
			goto next;
		}
		for (k = 0; k < s->msg_size; k++)
			if (pl[k] != seq_byte(s->seq, k))
				ok = false;
		if (!ok) {
			s->mismatches++;
			goto next;
		}
		s->outstanding = false;
		s->responses++;
		if (s->measuring) {
			s->trans_measured++;
			iova_hist_record(&s->lat_ns,
					 (now - s->t_sent) * 1000000000ull / s->env->hz);
		}
next:
		rte_pktmbuf_free(m);
	}
	if (s->outstanding && now - s->t_sent > s->timeout_cycles) {
		s->timeouts++;
		s->outstanding = false;
	}
	if (!s->outstanding && s->interval_cycles != 0 &&
	    rte_rdtsc() - s->t_sent < s->interval_cycles)
		return; /* paced (--rate): low load, the appliance goes idle in between */
	if (!s->outstanding) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(s->env->pool);
		struct rte_ipv4_hdr *ip;
		struct rte_udp_hdr *udp;
		uint8_t *pl;

		if (m == NULL)
			return;
		if (rte_pktmbuf_append(m, (uint16_t)(RTE_ETHER_HDR_LEN + sizeof(*ip) +
						     sizeof(*udp) + s->msg_size)) == NULL) {
			rte_pktmbuf_free(m);
			return;
		}
		s->seq++;
		ip = vfapp_ep_build_ipv4(m, &s->env->a, IPPROTO_UDP,
					 (uint16_t)(sizeof(*udp) + s->msg_size), (uint16_t)s->seq);
		udp = (struct rte_udp_hdr *)(ip + 1);
		udp->src_port = rte_cpu_to_be_16(SPORT);
		udp->dst_port = rte_cpu_to_be_16(DPORT);
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + s->msg_size));
		udp->dgram_cksum = 0;
		pl = (uint8_t *)(udp + 1);
		for (k = 0; k < s->msg_size; k++)
			pl[k] = seq_byte(s->seq, k);
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
		s->t_sent = rte_rdtsc();
		if (rte_eth_tx_burst(s->env->a.port, 0, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			s->seq--;
			return;
		}
		vfapp_ep_kick(s->env);
		s->outstanding = true;
		s->requests++;
	}
}

static void rr_server_step(void *arg, uint64_t now)
{
	struct udp_rr *s = arg;
	struct rte_mbuf *pkts[VFAPP_BURST];
	unsigned int n, i, k = 0, sent;

	(void)now;
	n = rte_eth_rx_burst(s->env->b.port, 0, pkts, VFAPP_BURST);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct pkt_info pi;
		struct rte_ether_hdr *eth;
		struct rte_ipv4_hdr *ip;
		struct rte_udp_hdr *udp;
		uint16_t port;

		s->server_rx++;
		if (pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &pi) != PKT_OK ||
		    pi.proto != IPPROTO_UDP || pi.ip_totlen < pi.l3_len + sizeof(*udp)) {
			s->bad_frames++;
			rte_pktmbuf_free(m);
			continue;
		}
		/* echo: swap addresses and ports, fresh TTL, same ID and payload */
		eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, pi.l3_off);
		udp = rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, pi.l4_off);
		rte_ether_addr_copy(&s->env->b.gw_mac, &eth->dst_addr);
		rte_ether_addr_copy(&s->env->b.mac, &eth->src_addr);
		ip->dst_addr = ip->src_addr;
		ip->src_addr = rte_cpu_to_be_32(s->env->b.ip);
		ip->time_to_live = 64;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		port = udp->src_port;
		udp->src_port = udp->dst_port;
		udp->dst_port = port;
		udp->dgram_cksum = 0;
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
		pkts[k++] = m;
	}
	if (k == 0)
		return;
	sent = rte_eth_tx_burst(s->env->b.port, 0, pkts, (uint16_t)k);
	for (i = sent; i < k; i++)
		rte_pktmbuf_free(pkts[i]);
	s->server_tx += sent;
	if (sent > 0)
		vfapp_ep_kick(s->env);
}

static void rr_start(void *arg, uint64_t now)
{
	struct udp_rr *s = arg;

	s->measuring = true;
	s->t_start = now;
	s->trans_measured = 0;
	s->interrupts_start = s->env->interrupts;
	iova_hist_reset(&s->lat_ns);
}

static void rr_stop(void *arg, uint64_t now)
{
	struct udp_rr *s = arg;

	if (!s->measuring)
		return;
	s->measuring = false;
	s->t_stop = now;
	s->interrupts_stop = s->env->interrupts;
}

static void rr_report(void *arg, double secs, json_t *rec, FILE *out)
{
	struct udp_rr *s = arg;
	double tps = secs > 0 ? (double)s->trans_measured / secs : 0;
	double p50 = iova_hist_quantile(&s->lat_ns, 0.50) / 1000.0;
	double p90 = iova_hist_quantile(&s->lat_ns, 0.90) / 1000.0;
	double p99 = iova_hist_quantile(&s->lat_ns, 0.99) / 1000.0;
	double p999 = iova_hist_quantile(&s->lat_ns, 0.999) / 1000.0;
	json_t *lat = json_object(), *t = json_object();

	json_object_set_new(rec, "transactions_per_s", json_real(tps));
	json_object_set_new(lat, "p50", json_real(p50));
	json_object_set_new(lat, "p90", json_real(p90));
	json_object_set_new(lat, "p99", json_real(p99));
	json_object_set_new(lat, "p999", json_real(p999));
	json_object_set_new(rec, "latency_us", lat);
	json_object_set_new(rec, "mismatches", json_integer((json_int_t)s->mismatches));
	json_object_set_new(rec, "retransmits", json_integer((json_int_t)s->timeouts));
	json_object_set_new(t, "msg_size", json_integer(s->msg_size));
	json_object_set_new(t, "rate_limit",
			    json_integer(s->interval_cycles ?
						 (json_int_t)(s->env->hz / s->interval_cycles) :
						 0));
	json_object_set_new(t, "transactions", json_integer((json_int_t)s->trans_measured));
	json_object_set_new(t, "requests", json_integer((json_int_t)s->requests));
	json_object_set_new(t, "responses", json_integer((json_int_t)s->responses));
	json_object_set_new(t, "timeouts", json_integer((json_int_t)s->timeouts));
	json_object_set_new(t, "late", json_integer((json_int_t)s->late));
	json_object_set_new(t, "bad_frames", json_integer((json_int_t)s->bad_frames));
	json_object_set_new(t, "latency_min_us",
			    json_real(s->lat_ns.count ? s->lat_ns.min / 1000.0 : 0));
	json_object_set_new(t, "latency_max_us", json_real(s->lat_ns.max / 1000.0));
	json_object_set_new(
		t, "latency_mean_us",
		json_real(s->lat_ns.count ? (double)s->lat_ns.sum / s->lat_ns.count / 1000.0 : 0));
	json_object_set_new(t, "interrupts",
			    json_integer((json_int_t)(s->interrupts_stop - s->interrupts_start)));
	json_object_set_new(rec, "udp_rr", t);

	fprintf(out,
		"UDP REQUEST/RESPONSE TEST from 10.0.1.2 () port %d to 10.0.2.2 () port %d (vfapp internal)\n",
		SPORT, DPORT);
	fprintf(out, "Local /Remote\n");
	fprintf(out, "Socket Size   Request  Resp.   Elapsed  Trans.\n");
	fprintf(out, "Send   Recv   Size     Size    Time     Rate\n");
	fprintf(out, "bytes  Bytes  bytes    bytes   secs.    per sec\n\n");
	fprintf(out, "%-6u %-6u %-8u %-7u %-8.2f %.2f\n", 65535u, 65535u, s->msg_size, s->msg_size,
		secs, tps);
	fprintf(out,
		"latency us: p50 %.2f p90 %.2f p99 %.2f p99.9 %.2f; mismatches %" PRIu64
		", timeouts %" PRIu64 "\n",
		p50, p90, p99, p999, s->mismatches, s->timeouts);
}

static void rr_destroy(void *arg)
{
	free(arg);
}

int vfapp_udp_rr_create(struct vfapp_ep_env *env, const struct vfapp_ep_params *p,
			struct vfapp_workload *w)
{
	struct udp_rr *s;

	if (p->msg_size < 1 || p->msg_size > MAX_MSG)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->env = env;
	s->msg_size = p->msg_size;
	s->timeout_cycles = p->rr_timeout_us * env->hz / 1000000;
	s->interval_cycles = p->rate ? env->hz / p->rate : 0;
	iova_hist_reset(&s->lat_ns);
	memset(w, 0, sizeof(*w));
	w->name = "UDP_RR";
	w->st = s;
	w->client_step = rr_client_step;
	w->server_step = rr_server_step;
	w->start = rr_start;
	w->stop = rr_stop;
	w->report = rr_report;
	w->destroy = rr_destroy;
	return 0;
}
