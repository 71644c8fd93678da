/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file record.c
 * vfapp's result: the human summary and the JSON record (`--json`, one compact line, the
 * last line of stdout starting with '{').  benchmarks/run.sh stores the record as printed
 * in results.json (kinds matrix, peer, realpeer, irq; benchmarks/README.md).
 *
 * Record schema (every field always present unless marked; counts are over the measured
 * interval, i.e. after --warmup, unless marked):
 *
 *   strategy          string  --strategy (lib/iova name: vfapp --list-strategies)
 *   mode              string  --mode (vfapp --list-modes)
 *   workload          string  "TCP_STREAM" | "UDP_RR" | "fwd"
 *   repetition        int     --repetition, echoed
 *   backend           string  "soft" | "vfio"
 *   topology          string  "internal" | "ports"
 *   wire              string  "vfdev" | "memif" | "ring" (internal topology's wires; vfdev:
 *                             the appliance's ports are lib/vfdev software VFs)
 *   lcores            int     1, or 2 with --endpoint-lcore / --rx-mode != poll, or
 *                             --fwd-lcores N (ports topology)
 *   fwd_lcores        int     lcores forwarding (one RX/TX queue pair each; counters summed)
 *   fwd_lcore_rx      array   with --fwd-lcores > 1: packets each forwarding lcore received
 *                             (main lcore first), measured interval
 *   duration_s        real    measured interval as seen by the appliance lcore, s
 *   goodput_gbps      real    TCP_STREAM only: payload delivered in order to the lwIP server,
 *                             * 8 / s, Gbit/s (every byte checked against the stream pattern)
 *   tcp               object  TCP_STREAM only (tcp_lwip.c): stack ("lwIP 2.1.3"), connected,
 *                             error, mss, snd_buf, rcv_wnd, cwnd_end, ssthresh_end,
 *                             bytes_measured, bytes_received, bytes_written, segments_sent,
 *                             retransmits_total, out_of_order (measured interval),
 *                             out_of_order_total, duplicates, corrupt_segments, corrupt_bytes,
 *                             frames_tx_a, frames_tx_b, tx_drops, rx_no_pbuf, write_errors
 *   transactions_per_s real   UDP_RR only
 *   latency_us        object  UDP_RR only: p50, p90, p99, p999 round trip, µs
 *   udp_rr            object  UDP_RR only: msg_size, rate_limit (1/s, 0 = back to back),
 *                             transactions, requests, responses, timeouts, late, bad_frames,
 *                             latency_min_us, latency_max_us, latency_mean_us, interrupts
 *   gen               object  fwd with the internal topology: pkt_size, generated, sink_rx,
 *                             sink_mpps, sink_bad_size, alloc_fail
 *   mpps, gbps        real    fwd only: packets / bytes the appliance transmitted per s
 *                             (Mpps, Gbit/s of frames without CRC)
 *   packets           int     packets the appliance received (both ports)
 *   forwarded         int     packets the appliance transmitted (both ports)
 *   map_cycles, unmap_cycles           int  lib/iova map / unmap p50, TSC cycles per 4 KiB page
 *   map_cycles_p99, unmap_cycles_p99   int  the same, p99
 *   invalidations_per_packet  real  IOTLB invalidations / packets
 *   exits_per_packet  real    modeled VM exits (trap-and-emulate) / packets
 *   stale_max_entries, stale_max_ns int  largest stale-IOTLB window seen (deferred strategies)
 *   reuse_hits, maps, unmaps, invalidations int  lib/iova counters
 *   dma_faults        int     packets dropped because the (soft) IOMMU faulted their DMA
 *   dma_mismatch      int     DMA translations that returned an unexpected host address
 *   dma_checked       bool    device DMA was modeled through the soft IOMMU
 *   drops             object  {reason: count} for every drop reason (vfapp.h enum vfapp_drop)
 *   router            object  {event: count} of the router's own frames (vfapp.h enum
 *                             vfapp_event): arp_rx, arp_replies, arp_requests, neigh_learned,
 *                             icmp_time_exceeded, icmp_unreachable, icmp_frag_needed,
 *                             icmp_ratelimited, fragments, l4_csum_fixed
 *   ports             array   per appliance port: rx, tx, rx_bytes, tx_bytes
 *   port_stats        array   per port over the measured interval: imissed, rx_nombuf, ierrors,
 *                             oerrors (ethdev / device), and for kernel-backed ports iface,
 *                             kernel_rx_dropped, kernel_tx_dropped (/sys/class/net/IF/statistics)
 *   warmup            object  complete (the warm-up ended; false: stopped before it, the
 *                             measured figures then count from the first packet), packets,
 *                             forwarded, drops counted during the warm-up
 *   retransmits, mismatches int  workload's (0 when it has none); TCP_STREAM: segments
 *                             retransmitted in the measured interval, corrupt segments
 *   rx_mode           string  "poll" | "posted" | "remapped"
 *   vmm_wakeups, vmm_wakeups_per_transaction,
 *   vmm_injections, vmm_injections_per_transaction, halts
 *                     present only with --rx-mode posted|remapped (lib/irqpost vCPU model;
 *                     per transaction for UDP_RR, per packet otherwise)
 *   appliance_busy_cycles  int   TSC cycles of appliance-lcore iterations that received
 *                             packets (RX, forwarding, TX, buffer map/unmap, invalidation
 *                             waits, VM exits: all synchronous on the vCPU); idle polls excluded
 *   appliance_cycles_per_pkt real  cycles per packet of the busy iterations the kernel did
 *                             not preempt (getrusage nivcsw checked after iterations longer
 *                             than 50 us; not under trap-and-emulate, where waking the VMM
 *                             thread preempts the vCPU at every exit): netperf service demand
 *                             = this / tsc_hz per packet
 *   appliance_cycles_per_pkt_raw real  appliance_busy_cycles / packets (includes preempted
 *                             iterations: whole time slices of other tasks on a shared host)
 *   appliance_preempted_iterations int  busy iterations left out of appliance_cycles_per_pkt
 *   appliance_cycles_per_pkt_p50 int  median over packets of (iteration cycles / packets of
 *                             that iteration): robust to the lcore being preempted on a
 *                             shared host, where the mean above absorbs whole time slices
 *   tsc_hz            int     TSC frequency (rte_get_tsc_hz)
 *   inv_waits_per_pkt real    synchronous invalidation waits by the strategy / packets
 *   cycles_per_inv_wait real  TSC cycles per such wait (submit to completion, as the vCPU saw it)
 *   iommu_hw          string  "device-core": the soft VT-d's invalidation queue is executed by
 *                             the device core (a real cross-core round trip per wait);
 *                             "inline": by the CPU that waits (one lcore, memif/ring wires)
 *   sidecore          string  sidecore mode only: "device-core-loop" (the sidecore VMM runs in
 *                             the device core's polling loop) or "thread" (its own thread)
 *   exits_per_pkt     real    = exits_per_packet
 *   iotlb_hits_per_pkt, iotlb_misses_per_pkt, page_walks_per_pkt, translations_per_pkt
 *                     real    soft VT-d unit counters / packets (present with --backend soft)
 *   iommu_faults      int     soft VT-d faults recorded in the interval (soft backend)
 *   vfdev             object  wire vfdev only: rx_refills, tx_frees, rx_errors,
 *                             dev_rx_faults, dev_tx_faults, dev_translations, dev_desc_faults
 *                             (both ports, interval deltas)
 *   attack_attempts, attack_faults, attack_successes, attack_corruptions, attack_legit,
 *   attack_redirected  int    vfdev malicious-device mode (--attack, lib/vfdev/README.md),
 *                             both ports, interval deltas; 0 with --attack off or other wires
 *   attack_age_p50_ns, attack_age_max_ns int  age of successes since the buffer's free
 *                             (whole run)
 *   irq_chain         string  with --rx-mode posted|remapped: "vfdev-msix" (the VFs' MSI-X
 *                             through the soft VT-d's interrupt remapping, executed) or
 *                             "endpoint-standin" (memif/ports: the endpoints raise it)
 *   intremap          bool    vfdev-msix: --intremap (false: a host without IR)
 *   msix              object  vfdev-msix, both ports, interval deltas: raised, posted,
 *                             remapped, compat, blocked, unhandled, host_irqs (whole run)
 *   irq_attacks       object  vfdev-msix with --attack on: per attack (forged_sid,
 *                             other_handle, out_of_range, compat, wrong_vcpu) {attempts,
 *                             blocked, delivered}, both ports, interval deltas
 *   inv_latency_ns    int     --inv-latency-ns (modeled soft VT-d invalidation latency)
 *   vmexit_ns         int     --vmexit-ns (modeled VM exit cost)
 *   pool_cache        int     --pool-cache
 *   pool              string  "iova" | "plain"
 *   pool_mem          string  "eal" | "extmem" (--pool-mem)
 *   pool_page_size    int     extmem only: page size of the pool's area, bytes
 *   fault_inject      object  --fault-inject only: mode ("unmap"|"poison"), picked, fired,
 *                             returned, unchanged (data room still all 0xa5), bytes_changed,
 *                             rx_len (> 0: the NIC completed an RX descriptor with the
 *                             buffer), iova, page_iova, pages, error (iova.h
 *                             struct iova_mp_fault_report)
 *   rss_kb            int     VmRSS of the process at the end, kB (-1 unreadable)
 *   hugepages_used    int     2 MiB+ hugepages held by the EAL (0 with --no-huge)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_eal.h>
#include <rte_memory.h>

#include "state.h"

static long rss_kb(void)
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

static int count_huge(const struct rte_memseg_list *msl, const struct rte_memseg *ms, void *arg)
{
	uint64_t *n = arg;

	if (!msl->external && ms->hugepage_sz >= (1u << 21))
		*n += ms->len / ms->hugepage_sz;
	return 0;
}

static uint64_t hugepages_used(void)
{
	uint64_t n = 0;

	if (!rte_eal_has_hugepages())
		return 0;
	rte_memseg_walk(count_huge, &n);
	return n;
}

#define DELTA(f) (b->f - a->f)

/** Each device counter over the measured interval (vf1 - vf0), summed over the ports; the
 *  attack ages are the ports' maxima. */
static void vfdev_deltas(const struct vfapp_state *s, struct vfdev_stats *d)
{
	memset(d, 0, sizeof(*d));
	for (unsigned int p = 0; p < VFAPP_NB_PORTS; p++) {
		const struct vfdev_stats *a = &s->vf0[p], *b = &s->vf1[p];

		d->rx_refills += DELTA(rx_refills);
		d->tx_frees += DELTA(tx_frees);
		d->rx_errors += DELTA(rx_errors);
		d->dev_rx_faults += DELTA(dev_rx_faults);
		d->dev_tx_faults += DELTA(dev_tx_faults);
		d->dev_desc_faults += DELTA(dev_desc_faults);
		d->dev_translations += DELTA(dev_translations);
		d->attack_attempts += DELTA(attack_attempts);
		d->attack_faults += DELTA(attack_faults);
		d->attack_successes += DELTA(attack_successes);
		d->attack_corruptions += DELTA(attack_corruptions);
		d->attack_legit += DELTA(attack_legit);
		d->attack_redirected += DELTA(attack_redirected);
		if (b->attack_age_max_ns > d->attack_age_max_ns)
			d->attack_age_max_ns = b->attack_age_max_ns;
		if (b->attack_age_p50_ns > d->attack_age_p50_ns)
			d->attack_age_p50_ns = b->attack_age_p50_ns;
		d->msix_raised += DELTA(msix_raised);
		d->irq_posted += DELTA(irq_posted);
		d->irq_remapped += DELTA(irq_remapped);
		d->irq_compat += DELTA(irq_compat);
		d->irq_blocked += DELTA(irq_blocked);
		d->irq_unhandled += DELTA(irq_unhandled);
		for (unsigned int k = 0; k < VFDEV_IRQ_ATK__COUNT; k++) {
			d->irq_attack_attempts[k] += DELTA(irq_attack_attempts[k]);
			d->irq_attack_blocked[k] += DELTA(irq_attack_blocked[k]);
			d->irq_attack_delivered[k] += DELTA(irq_attack_delivered[k]);
		}
	}
}

/** Device, IOMMU and service-demand fields (record schema above). */
static void record_devices(struct vfapp_state *s, json_t *rec, uint64_t packets)
{
	struct vfdev_stats d;
	json_t *vj = json_object();
	double pk = packets ? (double)packets : 1;

	vfdev_deltas(s, &d);
	json_object_set_new(rec, "appliance_busy_cycles", json_integer((json_int_t)s->busy_cycles));
	json_object_set_new(rec, "appliance_cycles_per_pkt",
			    json_real(s->busy_clean_pkts ?
					      (double)s->busy_clean_cycles / s->busy_clean_pkts :
					      0));
	json_object_set_new(rec, "appliance_cycles_per_pkt_raw",
			    json_real(packets ? s->busy_cycles / pk : 0));
	json_object_set_new(rec, "appliance_preempted_iterations",
			    json_integer((json_int_t)s->busy_preempted));
	json_object_set_new(rec, "appliance_cycles_per_pkt_p50",
			    json_integer((json_int_t)iova_hist_quantile(&s->busy_hist, 0.5)));
	json_object_set_new(rec, "tsc_hz", json_integer((json_int_t)s->hz));
	json_object_set_new(rec, "inv_waits_per_pkt",
			    json_real(packets ? s->iova_st.waits / pk : 0));
	json_object_set_new(rec, "cycles_per_inv_wait",
			    json_real(s->iova_st.waits ?
					      (double)s->iova_st.wait_cycles / s->iova_st.waits :
					      0));
	json_object_set_new(rec, "iommu_hw", json_string(s->dev_core ? "device-core" : "inline"));
	if (s->o.mode == IOVA_MODE_SIDECORE)
		json_object_set_new(rec, "sidecore",
				    json_string(s->side_polled ? "device-core-loop" : "thread"));
	json_object_set_new(rec, "exits_per_pkt", json_real(packets ? s->iova_st.exits / pk : 0));
	if (s->have_vtd) {
		const struct vtd_soft_stats *a = &s->vtd0, *b = &s->vtd1;

		json_object_set_new(rec, "iotlb_hits_per_pkt", json_real(DELTA(iotlb_hits) / pk));
		json_object_set_new(rec, "iotlb_misses_per_pkt",
				    json_real(DELTA(iotlb_misses) / pk));
		json_object_set_new(rec, "page_walks_per_pkt", json_real(DELTA(page_walks) / pk));
		json_object_set_new(rec, "translations_per_pkt",
				    json_real(DELTA(translations) / pk));
		json_object_set_new(rec, "iommu_faults", json_integer((json_int_t)DELTA(faults)));
	}
	json_object_set_new(vj, "rx_refills", json_integer((json_int_t)d.rx_refills));
	json_object_set_new(vj, "tx_frees", json_integer((json_int_t)d.tx_frees));
	json_object_set_new(vj, "rx_errors", json_integer((json_int_t)d.rx_errors));
	json_object_set_new(vj, "dev_rx_faults", json_integer((json_int_t)d.dev_rx_faults));
	json_object_set_new(vj, "dev_tx_faults", json_integer((json_int_t)d.dev_tx_faults));
	json_object_set_new(vj, "dev_desc_faults", json_integer((json_int_t)d.dev_desc_faults));
	json_object_set_new(vj, "dev_translations", json_integer((json_int_t)d.dev_translations));
	if (s->topo.vf[0] != NULL)
		json_object_set_new(rec, "vfdev", vj);
	else
		json_decref(vj);
	json_object_set_new(rec, "attack_attempts", json_integer((json_int_t)d.attack_attempts));
	json_object_set_new(rec, "attack_faults", json_integer((json_int_t)d.attack_faults));
	json_object_set_new(rec, "attack_successes", json_integer((json_int_t)d.attack_successes));
	json_object_set_new(rec, "attack_corruptions",
			    json_integer((json_int_t)d.attack_corruptions));
	json_object_set_new(rec, "attack_legit", json_integer((json_int_t)d.attack_legit));
	json_object_set_new(rec, "attack_redirected",
			    json_integer((json_int_t)d.attack_redirected));
	json_object_set_new(rec, "attack_age_p50_ns",
			    json_integer((json_int_t)d.attack_age_p50_ns));
	json_object_set_new(rec, "attack_age_max_ns",
			    json_integer((json_int_t)d.attack_age_max_ns));
	s->dev_faults = d.dev_rx_faults + d.dev_tx_faults;
	if (s->o.rx_mode != RX_POLL)
		json_object_set_new(rec, "irq_chain",
				    json_string(s->msix_chain ? "vfdev-msix" : "endpoint-standin"));
	if (s->msix_chain) {
		json_t *mj = json_object(), *aj = json_object();

		json_object_set_new(rec, "intremap", json_boolean(s->o.intremap));
		json_object_set_new(mj, "raised", json_integer((json_int_t)d.msix_raised));
		json_object_set_new(mj, "posted", json_integer((json_int_t)d.irq_posted));
		json_object_set_new(mj, "remapped", json_integer((json_int_t)d.irq_remapped));
		json_object_set_new(mj, "compat", json_integer((json_int_t)d.irq_compat));
		json_object_set_new(mj, "blocked", json_integer((json_int_t)d.irq_blocked));
		json_object_set_new(mj, "unhandled", json_integer((json_int_t)d.irq_unhandled));
		json_object_set_new(mj, "host_irqs", json_integer((json_int_t)s->host_irqs));
		json_object_set_new(rec, "msix", mj);
		for (unsigned int k = 0; k < VFDEV_IRQ_ATK__COUNT && s->o.attack; k++) {
			json_t *kj = json_object();

			json_object_set_new(kj, "attempts",
					    json_integer((json_int_t)d.irq_attack_attempts[k]));
			json_object_set_new(kj, "blocked",
					    json_integer((json_int_t)d.irq_attack_blocked[k]));
			json_object_set_new(kj, "delivered",
					    json_integer((json_int_t)d.irq_attack_delivered[k]));
			json_object_set_new(aj, vfdev_irq_attack_name((enum vfdev_irq_attack)k),
					    kj);
		}
		if (s->o.attack)
			json_object_set_new(rec, "irq_attacks", aj);
		else
			json_decref(aj);
	}
}

void vfapp_record_stats_line(struct vfapp_state *s, uint64_t now)
{
	static struct vfapp_port_stats last;
	static uint64_t t_last;
	struct vfapp_port_stats t;
	uint64_t drops = 0;
	double dt;
	unsigned int r;

	vfapp_workers_totals(s, &t);
	for (r = 1; r < DROP__COUNT; r++)
		drops += t.drops[r];
	if (t_last == 0 || t.rx < last.rx) { /* first line, or the warm-up reset the counters */
		memset(&last, 0, sizeof(last));
		t_last = s->started ? s->t_start : s->t_run0;
	}
	if (t.rx == last.rx && s->started && now - s->t_start < now - t_last)
		t_last = s->t_start; /* the reset came after the last line */
	dt = now > t_last ? (double)(now - t_last) / s->hz : 0;
	printf("vfapp: stats t=%.1fs%s rx %" PRIu64 " tx %" PRIu64 " drops %" PRIu64
	       " rx_rate %.3f Mpps tx_rate %.3f Mpps\n",
	       (double)(now - s->t_run0) / s->hz, s->started ? "" : " (warm-up)", t.rx, t.tx, drops,
	       dt > 0 ? (t.rx - last.rx) / dt / 1e6 : 0, dt > 0 ? (t.tx - last.tx) / dt / 1e6 : 0);
	fflush(stdout);
	last = t;
	t_last = now;
	s->next_stats = now + (uint64_t)(s->o.stats_interval * s->hz);
}

/* Warm-up counters and the ports' device / kernel drop counters over the measured interval. */
static void record_counters(const struct vfapp_state *s, json_t *rec)
{
	json_t *w = json_object(), *ps = json_array();
	uint64_t wd = 0;
	unsigned int r, p;

	for (r = 1; r < DROP__COUNT; r++)
		wd += s->warm_tot.drops[r];
	json_object_set_new(w, "complete", json_boolean(s->warm_complete));
	json_object_set_new(w, "packets", json_integer((json_int_t)s->warm_tot.rx));
	json_object_set_new(w, "forwarded", json_integer((json_int_t)s->warm_tot.tx));
	json_object_set_new(w, "drops", json_integer((json_int_t)wd));
	json_object_set_new(rec, "warmup", w);
	for (p = 0; p < VFAPP_NB_PORTS; p++) {
		const struct vfapp_port_hw_stats *a = &s->hw0.p[p], *b = &s->hw1.p[p];
		json_t *pj = json_object();

		json_object_set_new(pj, "imissed",
				    json_integer((json_int_t)(b->imissed - a->imissed)));
		json_object_set_new(pj, "rx_nombuf",
				    json_integer((json_int_t)(b->rx_nombuf - a->rx_nombuf)));
		json_object_set_new(pj, "ierrors",
				    json_integer((json_int_t)(b->ierrors - a->ierrors)));
		json_object_set_new(pj, "oerrors",
				    json_integer((json_int_t)(b->oerrors - a->oerrors)));
		if (s->hw1.kern[p]) {
			json_object_set_new(pj, "iface", json_string(s->hw1.ifname[p]));
			json_object_set_new(pj, "kernel_rx_dropped",
					    json_integer((json_int_t)(s->hw1.krx_dropped[p] -
								      s->hw0.krx_dropped[p])));
			json_object_set_new(pj, "kernel_tx_dropped",
					    json_integer((json_int_t)(s->hw1.ktx_dropped[p] -
								      s->hw0.ktx_dropped[p])));
		}
		json_array_append_new(ps, pj);
	}
	json_object_set_new(rec, "port_stats", ps);
}

void vfapp_record_report(struct vfapp_state *s)
{
	const struct vfapp_opts *o = &s->o;
	double secs = s->t_stop > s->t_start ? (double)(s->t_stop - s->t_start) / s->hz : 0;
	FILE *out = stdout;
	json_t *rec = json_object(), *drops = json_object(), *ports = json_array();
	json_t *router = json_object();
	uint64_t packets = s->tot.rx, fwd = s->tot.tx;
	unsigned int r, p;
	char *txt;

	json_object_set_new(rec, "strategy", json_string(iova_strategy_name(o->strategy)));
	json_object_set_new(rec, "mode", json_string(iova_mode_name(o->mode)));
	json_object_set_new(rec, "workload", json_string(vfapp_workload_name(o->workload)));
	json_object_set_new(rec, "repetition", json_integer(o->repetition));
	json_object_set_new(rec, "backend",
			    json_string(o->backend == BACKEND_SOFT ? "soft" : "vfio"));
	json_object_set_new(rec, "topology",
			    json_string(o->topology == TOPO_INTERNAL ? "internal" : "ports"));
	json_object_set_new(rec, "wire",
			    json_string(o->wire == WIRE_MEMIF ? "memif" :
					o->wire == WIRE_RING  ? "ring" :
								"vfdev"));
	json_object_set_new(rec, "lcores",
			    json_integer(o->fwd_lcores > 1	? (json_int_t)o->fwd_lcores :
					 o->endpoint_lcore >= 0 ? 2 :
								  1));
	json_object_set_new(rec, "fwd_lcores", json_integer(1 + (json_int_t)s->nb_lc));
	if (s->nb_lc > 0) {
		json_t *lr = json_array();

		for (unsigned int k = 0; k <= s->nb_lc; k++)
			json_array_append_new(lr, json_integer((json_int_t)s->lc_rx[k]));
		json_object_set_new(rec, "fwd_lcore_rx", lr);
	}
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
			fprintf(out,
				"FWD TEST (appliance) forwarded %" PRIu64 " packets in %.2f s: "
				"%.3f Mpps, %.3f Gbit/s\n",
				fwd, secs, mpps, gbps);
	}
	json_object_set_new(rec, "packets", json_integer((json_int_t)packets));
	json_object_set_new(rec, "forwarded", json_integer((json_int_t)fwd));
	json_object_set_new(rec, "map_cycles", json_integer((json_int_t)s->iova_st.map_cycles_p50));
	json_object_set_new(rec, "unmap_cycles",
			    json_integer((json_int_t)s->iova_st.unmap_cycles_p50));
	json_object_set_new(rec, "map_cycles_p99",
			    json_integer((json_int_t)s->iova_st.map_cycles_p99));
	json_object_set_new(rec, "unmap_cycles_p99",
			    json_integer((json_int_t)s->iova_st.unmap_cycles_p99));
	json_object_set_new(rec, "invalidations_per_packet",
			    json_real(packets ? (double)s->iova_st.invalidations / packets : 0));
	json_object_set_new(rec, "exits_per_packet",
			    json_real(packets ? (double)s->iova_st.exits / packets : 0));
	json_object_set_new(rec, "stale_max_entries",
			    json_integer((json_int_t)s->iova_st.stale_max_entries));
	json_object_set_new(rec, "stale_max_ns", json_integer((json_int_t)s->iova_st.stale_max_ns));
	json_object_set_new(rec, "reuse_hits", json_integer((json_int_t)s->iova_st.reuse_hits));
	json_object_set_new(rec, "maps", json_integer((json_int_t)s->iova_st.maps));
	json_object_set_new(rec, "unmaps", json_integer((json_int_t)s->iova_st.unmaps));
	json_object_set_new(rec, "invalidations",
			    json_integer((json_int_t)s->iova_st.invalidations));
	record_devices(s, rec, packets);
	json_object_set_new(
		rec, "dma_faults",
		json_integer((json_int_t)(s->tot.drops[DROP_DMA_FAULT] + s->dev_faults)));
	json_object_set_new(rec, "dma_mismatch", json_integer((json_int_t)s->app.dma_mismatch));
	json_object_set_new(rec, "dma_checked", json_boolean(s->app.dma_check || s->dev_dma));
	for (r = 1; r < DROP__COUNT; r++)
		json_object_set_new(drops, vfapp_drop_name(r),
				    json_integer((json_int_t)s->tot.drops[r]));
	json_object_set_new(rec, "drops", drops);
	for (r = 0; r < EV__COUNT; r++)
		json_object_set_new(router, vfapp_event_name(r),
				    json_integer((json_int_t)s->tot.ev[r]));
	json_object_set_new(rec, "router", router);
	record_counters(s, rec);
	for (p = 0; p < VFAPP_NB_PORTS; p++) {
		json_t *pj = json_object();

		for (r = 0; r < VFAPP_PORT_COUNTERS; r++)
			json_object_set_new(
				pj, vfapp_port_counters[r].name,
				json_integer((json_int_t)vfapp_port_counter(&s->app.st[p], r)));
		json_array_append_new(ports, pj);
	}
	json_object_set_new(rec, "ports", ports);
	if (json_object_get(rec, "retransmits") == NULL)
		json_object_set_new(rec, "retransmits", json_integer(0));
	if (json_object_get(rec, "mismatches") == NULL)
		json_object_set_new(rec, "mismatches", json_integer(0));
	json_object_set_new(rec, "rx_mode", json_string(vfapp_rx_mode_name(o->rx_mode)));
	if (s->app.vcpu != NULL) {
		json_t *tr = json_object_get(json_object_get(rec, "udp_rr") ?: json_object(),
					     "transactions");
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
	json_object_set_new(rec, "inv_latency_ns", json_integer((json_int_t)o->inv_latency_ns));
	json_object_set_new(rec, "vmexit_ns", json_integer((json_int_t)o->vmexit_ns));
	json_object_set_new(rec, "pool_cache", json_integer(o->pool_cache));
	json_object_set_new(rec, "pool", json_string(o->plain_pool ? "plain" : "iova"));
	json_object_set_new(rec, "pool_mem",
			    json_string(o->pool_mem == POOL_MEM_EXTMEM ? "extmem" : "eal"));
	if (s->extmem != NULL)
		json_object_set_new(rec, "pool_page_size",
				    json_integer((json_int_t)vfapp_extmem_page_size(s->extmem)));
	if (o->fault_inject != FAULT_NONE) {
		struct iova_mp_fault_report f;
		json_t *fj = json_object();

		if (iova_mempool_fault_report(s->app_pool, &f) == 0) {
			json_object_set_new(
				fj, "mode",
				json_string(f.mode == IOVA_MP_FAULT_UNMAP ? "unmap" : "poison"));
			json_object_set_new(fj, "picked", json_boolean(f.picked));
			json_object_set_new(fj, "fired", json_boolean(f.fired));
			json_object_set_new(fj, "returned", json_boolean(f.returned));
			json_object_set_new(fj, "unchanged", json_boolean(f.unchanged));
			json_object_set_new(fj, "bytes_changed", json_integer(f.bytes_changed));
			json_object_set_new(fj, "rx_len", json_integer(f.rx_len));
			json_object_set_new(fj, "iova", json_integer((json_int_t)f.iova));
			json_object_set_new(fj, "page_iova", json_integer((json_int_t)f.page_iova));
			json_object_set_new(fj, "pages", json_integer((json_int_t)f.pages));
			json_object_set_new(fj, "error", json_integer(f.error));
		}
		json_object_set_new(rec, "fault_inject", fj);
	}
	json_object_set_new(rec, "rss_kb", json_integer(rss_kb()));
	json_object_set_new(rec, "hugepages_used", json_integer((json_int_t)hugepages_used()));

	if (!o->quiet) {
		fprintf(out,
			"vfapp: strategy %s, mode %s, backend %s, %" PRIu64 " packets, "
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
