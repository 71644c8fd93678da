/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file tcp_stream.c
 * netperf-like TCP_STREAM over the appliance: a sender on port A with a
 * sliding window of MSS-sized segments (real Ethernet/IPv4/TCP frames with
 * valid checksums), a receiver on port B that accepts in-order data only and
 * sends cumulative ACKs (immediate duplicate ACKs for out-of-order data), and
 * go-back-N retransmission on three duplicate ACKs or a timeout (NewReno-style
 * at most one go-back per hole). Goodput counts in-order
 * payload bytes accepted by the receiver inside the measured interval.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_tcp.h>

#include "endpoint.h"

#define PATTERN_PERIOD 65521u /* prime: payload bytes depend on the stream offset */
#define MAX_MSS 1460u
#define TCP_HDR 20u
#define SPORT 40000
#define DPORT 12865
#define ISN_SND 0x12345678u
#define DUPACK_THRESH 3

struct tcp_stream {
	struct vfapp_ep_env *env;
	unsigned int mss, window;
	uint64_t rto_cycles;
	uint8_t *pattern;         /**< PATTERN_PERIOD + MAX_MSS bytes */

	/* sender (port A) */
	uint64_t snd_una, snd_nxt, snd_max;
	uint64_t goback_una;      /**< snd_una of the last go-back (one per hole) */
	bool goback_done;
	unsigned int dupacks;
	uint64_t last_progress;   /**< TSC of the last ACK that advanced snd_una */
	uint64_t segs_sent, retransmits, timeouts, fast_retransmits, acks_rx;
	uint16_t ip_id;

	/* receiver (port B) */
	uint64_t rcv_nxt;
	uint64_t ooo_segs, dup_segs, corrupt_segs, csum_errors, bad_frames, acks_tx;
	uint64_t ack_alloc_fail;

	/* measurement */
	bool measuring;
	uint64_t bytes_at_start, bytes_at_stop, retx_at_start, retx_at_stop;
};

static void
fill_pattern(uint8_t *p, size_t n)
{
	uint32_t x = 0x9e3779b9u;
	size_t i;

	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
	/* the tail repeats the head so any offset can be copied with one memcpy */
	memcpy(p + PATTERN_PERIOD, p, MAX_MSS);
}

static inline const uint8_t *
pattern_at(const struct tcp_stream *s, uint64_t off)
{
	return s->pattern + (off % PATTERN_PERIOD);
}

static struct rte_mbuf *
build_segment(struct tcp_stream *s, uint64_t off, unsigned int len)
{
	const struct vfapp_ep_side *a = &s->env->a;
	struct rte_mbuf *m = rte_pktmbuf_alloc(s->env->pool);
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;
	uint16_t frame = (uint16_t)(RTE_ETHER_HDR_LEN + sizeof(*ip) + TCP_HDR + len);

	if (m == NULL)
		return NULL;
	if (rte_pktmbuf_append(m, frame) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	ip = vfapp_ep_build_ipv4(m, a, IPPROTO_TCP, (uint16_t)(TCP_HDR + len), s->ip_id++);
	tcp = (struct rte_tcp_hdr *)(ip + 1);
	tcp->src_port = rte_cpu_to_be_16(SPORT);
	tcp->dst_port = rte_cpu_to_be_16(DPORT);
	tcp->sent_seq = rte_cpu_to_be_32(ISN_SND + (uint32_t)off);
	tcp->recv_ack = rte_cpu_to_be_32(1);
	tcp->data_off = (TCP_HDR / 4) << 4;
	tcp->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	tcp->rx_win = rte_cpu_to_be_16(0xffff);
	tcp->cksum = 0;
	tcp->tcp_urp = 0;
	memcpy(tcp + 1, pattern_at(s, off), len);
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
	return m;
}

static struct rte_mbuf *
build_ack(struct tcp_stream *s)
{
	const struct vfapp_ep_side *b = &s->env->b;
	struct rte_mbuf *m = rte_pktmbuf_alloc(s->env->pool);
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;

	if (m == NULL)
		return NULL;
	if (rte_pktmbuf_append(m, RTE_ETHER_HDR_LEN + sizeof(*ip) + TCP_HDR) == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	ip = vfapp_ep_build_ipv4(m, b, IPPROTO_TCP, TCP_HDR, 0);
	tcp = (struct rte_tcp_hdr *)(ip + 1);
	tcp->src_port = rte_cpu_to_be_16(DPORT);
	tcp->dst_port = rte_cpu_to_be_16(SPORT);
	tcp->sent_seq = rte_cpu_to_be_32(1);
	tcp->recv_ack = rte_cpu_to_be_32(ISN_SND + (uint32_t)s->rcv_nxt);
	tcp->data_off = (TCP_HDR / 4) << 4;
	tcp->tcp_flags = RTE_TCP_ACK_FLAG;
	tcp->rx_win = rte_cpu_to_be_16(0xffff);
	tcp->cksum = 0;
	tcp->tcp_urp = 0;
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
	return m;
}

/* Validate a received frame as IPv4/TCP with correct checksums; returns the TCP header. */
static struct rte_tcp_hdr *
rx_tcp(struct tcp_stream *s, struct rte_mbuf *m, struct rte_ipv4_hdr **ipp, unsigned int *plen)
{
	struct pkt_info pi;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;
	unsigned int l4len, doff;

	if (pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &pi) != PKT_OK ||
	    pi.proto != IPPROTO_TCP) {
		s->bad_frames++;
		return NULL;
	}
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, pi.l3_off);
	l4len = pi.ip_totlen - pi.l3_len;
	if (l4len < TCP_HDR) {
		s->bad_frames++;
		return NULL;
	}
	tcp = rte_pktmbuf_mtod_offset(m, struct rte_tcp_hdr *, pi.l4_off);
	doff = (tcp->data_off >> 4) * 4u;
	if (doff < TCP_HDR || doff > l4len) {
		s->bad_frames++;
		return NULL;
	}
	if (rte_ipv4_udptcp_cksum_verify(ip, tcp) != 0) {
		s->csum_errors++;
		return NULL;
	}
	*ipp = ip;
	*plen = l4len - doff;
	return tcp;
}

static void
sender_rx(struct tcp_stream *s, uint64_t now)
{
	struct rte_mbuf *pkts[VFAPP_BURST];
	unsigned int n, i, plen;

	n = rte_eth_rx_burst(s->env->a.port, 0, pkts, VFAPP_BURST);
	for (i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip;
		struct rte_tcp_hdr *tcp = rx_tcp(s, pkts[i], &ip, &plen);
		uint32_t ack32;
		uint64_t ack;

		if (tcp == NULL || !(tcp->tcp_flags & RTE_TCP_ACK_FLAG))
			goto next;
		s->acks_rx++;
		ack32 = rte_be_to_cpu_32(tcp->recv_ack) - ISN_SND;
		ack = s->snd_una + (uint32_t)(ack32 - (uint32_t)s->snd_una);
		if (ack > s->snd_max)
			goto next; /* acks data never sent: ignore */
		if (ack > s->snd_una) {
			s->snd_una = ack;
			if (s->snd_nxt < s->snd_una)
				s->snd_nxt = s->snd_una;
			s->dupacks = 0;
			s->last_progress = now;
		} else if (ack == s->snd_una && s->snd_max > s->snd_una) {
			if (++s->dupacks >= DUPACK_THRESH &&
			    (!s->goback_done || s->goback_una != s->snd_una)) {
				/* fast retransmit, go-back-N from the hole (once per hole: the
				 * segments already in flight behind it cause more dup ACKs) */
				s->goback_done = true;
				s->goback_una = s->snd_una;
				s->snd_nxt = s->snd_una;
				s->fast_retransmits++;
				s->last_progress = now;
			}
		}
next:
		rte_pktmbuf_free(pkts[i]);
	}
}

static void
tcp_client_step(void *arg, uint64_t now)
{
	struct tcp_stream *s = arg;
	struct rte_mbuf *tx[VFAPP_BURST];
	uint64_t limit, off;
	unsigned int n = 0, sent, i;

	sender_rx(s, now);
	if (s->snd_max > s->snd_una && now - s->last_progress > s->rto_cycles) {
		s->timeouts++;
		s->goback_done = true;
		s->goback_una = s->snd_una;
		s->snd_nxt = s->snd_una;
		s->dupacks = 0;
		s->last_progress = now;
	}
	limit = s->snd_una + (uint64_t)s->window * s->mss;
	off = s->snd_nxt;
	while (n < VFAPP_BURST && off < limit) {
		struct rte_mbuf *m = build_segment(s, off, s->mss);

		if (m == NULL)
			break;
		tx[n++] = m;
		off += s->mss;
	}
	if (n == 0)
		return;
	sent = rte_eth_tx_burst(s->env->a.port, 0, tx, (uint16_t)n);
	for (i = sent; i < n; i++)
		rte_pktmbuf_free(tx[i]);
	if (sent > 0)
		vfapp_ep_kick(s->env);
	for (i = 0; i < sent; i++) {
		if (s->snd_nxt < s->snd_max)
			s->retransmits++;
		s->snd_nxt += s->mss;
		s->segs_sent++;
	}
	if (s->snd_nxt > s->snd_max) {
		if (s->snd_max == s->snd_una)
			s->last_progress = now; /* timer starts with the first outstanding segment */
		s->snd_max = s->snd_nxt;
	}
}

static void
tcp_server_step(void *arg, uint64_t now)
{
	struct tcp_stream *s = arg;
	struct rte_mbuf *pkts[VFAPP_BURST];
	struct rte_mbuf *acks[VFAPP_BURST + 1];
	unsigned int n, i, plen, nack = 0, sent;
	bool advanced = false;

	(void)now;
	n = rte_eth_rx_burst(s->env->b.port, 0, pkts, VFAPP_BURST);
	for (i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip;
		struct rte_tcp_hdr *tcp = rx_tcp(s, pkts[i], &ip, &plen);
		uint64_t off;

		if (tcp == NULL || plen == 0)
			goto next;
		off = s->rcv_nxt + (int64_t)(int32_t)(rte_be_to_cpu_32(tcp->sent_seq) - ISN_SND -
						       (uint32_t)s->rcv_nxt);
		if (off == s->rcv_nxt) {
			if (memcmp((const uint8_t *)tcp + (tcp->data_off >> 4) * 4u,
				   pattern_at(s, off), plen) != 0)
				s->corrupt_segs++;
			s->rcv_nxt += plen;
			advanced = true;
		} else {
			if (off < s->rcv_nxt)
				s->dup_segs++;
			else
				s->ooo_segs++;
			/* immediate duplicate ACK */
			if (nack < VFAPP_BURST && (acks[nack] = build_ack(s)) != NULL)
				nack++;
		}
next:
		rte_pktmbuf_free(pkts[i]);
	}
	if (advanced) {
		/* one cumulative ACK per burst (like delayed ACK / GRO) */
		if ((acks[nack] = build_ack(s)) != NULL)
			nack++;
		else
			s->ack_alloc_fail++;
	}
	if (nack == 0)
		return;
	sent = rte_eth_tx_burst(s->env->b.port, 0, acks, (uint16_t)nack);
	for (i = sent; i < nack; i++)
		rte_pktmbuf_free(acks[i]);
	s->acks_tx += sent;
	if (sent > 0)
		vfapp_ep_kick(s->env);
}

static void
tcp_start(void *arg, uint64_t now)
{
	struct tcp_stream *s = arg;

	(void)now;
	s->measuring = true;
	s->bytes_at_start = s->rcv_nxt;
	s->retx_at_start = s->retransmits;
}

static void
tcp_stop(void *arg, uint64_t now)
{
	struct tcp_stream *s = arg;

	(void)now;
	if (!s->measuring)
		return;
	s->measuring = false;
	s->bytes_at_stop = s->rcv_nxt;
	s->retx_at_stop = s->retransmits;
}

static void
tcp_report(void *arg, double secs, json_t *rec, FILE *out)
{
	struct tcp_stream *s = arg;
	uint64_t bytes = s->bytes_at_stop - s->bytes_at_start;
	double gbps = secs > 0 ? (double)bytes * 8 / secs / 1e9 : 0;
	json_t *t = json_object();

	json_object_set_new(rec, "goodput_gbps", json_real(gbps));
	json_object_set_new(rec, "retransmits", json_integer((json_int_t)s->retransmits));
	json_object_set_new(rec, "mismatches", json_integer((json_int_t)s->corrupt_segs));
	json_object_set_new(t, "mss", json_integer(s->mss));
	json_object_set_new(t, "window", json_integer(s->window));
	json_object_set_new(t, "bytes_measured", json_integer((json_int_t)bytes));
	json_object_set_new(t, "bytes_received", json_integer((json_int_t)s->rcv_nxt));
	json_object_set_new(t, "bytes_acked", json_integer((json_int_t)s->snd_una));
	json_object_set_new(t, "segments_sent", json_integer((json_int_t)s->segs_sent));
	json_object_set_new(t, "retransmits_measured",
			    json_integer((json_int_t)(s->retx_at_stop - s->retx_at_start)));
	json_object_set_new(t, "fast_retransmits", json_integer((json_int_t)s->fast_retransmits));
	json_object_set_new(t, "timeouts", json_integer((json_int_t)s->timeouts));
	json_object_set_new(t, "out_of_order", json_integer((json_int_t)s->ooo_segs));
	json_object_set_new(t, "duplicates", json_integer((json_int_t)s->dup_segs));
	json_object_set_new(t, "corrupt_segments", json_integer((json_int_t)s->corrupt_segs));
	json_object_set_new(t, "checksum_errors", json_integer((json_int_t)s->csum_errors));
	json_object_set_new(t, "bad_frames", json_integer((json_int_t)s->bad_frames));
	json_object_set_new(t, "acks_sent", json_integer((json_int_t)s->acks_tx));
	json_object_set_new(rec, "tcp", t);

	fprintf(out, "TCP STREAM TEST from 10.0.1.2 () port %d to 10.0.2.2 () port %d (vfapp internal)\n",
		SPORT, DPORT);
	fprintf(out, "Recv   Send    Send\n");
	fprintf(out, "Socket Socket  Message  Elapsed\n");
	fprintf(out, "Size   Size    Size     Time     Throughput\n");
	fprintf(out, "bytes  bytes   bytes    secs.    10^9bits/sec\n\n");
	fprintf(out, "%6u %6u %6u    %6.2f   %8.2f\n", 65535u, s->window * s->mss, s->mss, secs,
		gbps);
	fprintf(out, "retransmits %" PRIu64 " (fast %" PRIu64 ", timeouts %" PRIu64
		"), corrupt segments %" PRIu64 ", checksum errors %" PRIu64 "\n",
		s->retransmits, s->fast_retransmits, s->timeouts, s->corrupt_segs, s->csum_errors);
}

static void
tcp_destroy(void *arg)
{
	struct tcp_stream *s = arg;

	if (s == NULL)
		return;
	free(s->pattern);
	free(s);
}

int
vfapp_tcp_stream_create(struct vfapp_ep_env *env, const struct vfapp_ep_params *p,
			struct vfapp_workload *w)
{
	struct tcp_stream *s;

	if (p->mss < 1 || p->mss > MAX_MSS || p->window < 1)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->pattern = malloc(PATTERN_PERIOD + MAX_MSS);
	if (s->pattern == NULL) {
		free(s);
		return -ENOMEM;
	}
	fill_pattern(s->pattern, PATTERN_PERIOD);
	s->env = env;
	s->mss = p->mss;
	s->window = p->window;
	s->rto_cycles = p->rto_us * env->hz / 1000000;
	memset(w, 0, sizeof(*w));
	w->name = "TCP_STREAM";
	w->st = s;
	w->client_step = tcp_client_step;
	w->server_step = tcp_server_step;
	w->start = tcp_start;
	w->stop = tcp_stop;
	w->report = tcp_report;
	w->destroy = tcp_destroy;
	return 0;
}
