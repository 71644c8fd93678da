/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file prometheus.c
 * vfapp --prometheus FILE: the per-port counters, drops by reason and router events in the
 * Prometheus text exposition format (0.0.4), for node_exporter's textfile collector
 * (Debian: /var/lib/prometheus/node-exporter/). The file is written whole as
 * "FILE.tmp.<pid>" (not *.prom, never read by the collector), fsynced and renamed over
 * FILE, so a scrape reads the previous or the new file, never a partial one. Written every
 * --prometheus-interval seconds from the appliance lcore (one file write, ~tens of us, per
 * interval) and once at exit. Counters restart at the end of the warm-up (as the JSON
 * record's) and with the process; Prometheus' rate() handles both.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "vfapp.h"

static const char *prom_path;
static uint64_t prom_period, prom_next; /* TSC cycles */
static int prom_last_err;
static const struct vfapp_appliance *prom_workers; /* --fwd-lcores: summed in, as telemetry does */
static unsigned int prom_nb_workers;

void vfapp_prometheus_workers(const struct vfapp_appliance *w, unsigned int n)
{
	prom_workers = w;
	prom_nb_workers = w != NULL ? n : 0;
}

static void head(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
}

int vfapp_prometheus_format(const struct vfapp_appliance *a, FILE *f)
{
	struct vfapp_port_stats sum[VFAPP_NB_PORTS];
	unsigned int p, r;

	/* the worker lcores' counters (--fwd-lcores) are summed in until they are folded into
	 * the main appliance at the end of the run (vfapp_workers_stop) */
	for (p = 0; p < VFAPP_NB_PORTS; p++)
		vfapp_port_stats_sum(a, prom_workers, prom_nb_workers, p, &sum[p]);
	for (unsigned int i = 0; i < VFAPP_PORT_COUNTERS; i++) {
		const struct vfapp_port_counter *c = &vfapp_port_counters[i];

		head(f, c->metric, c->help);
		for (p = 0; p < VFAPP_NB_PORTS; p++)
			fprintf(f, "%s{port=\"%u\"} %llu\n", c->metric, p,
				(unsigned long long)vfapp_port_counter(&sum[p], i));
	}
	head(f, "vfapp_port_drops_total",
	     "Frames dropped, counted on the input port, by reason "
	     "(app/appliance/README.md lists the reasons).");
	for (p = 0; p < VFAPP_NB_PORTS; p++)
		for (r = 1; r < DROP__COUNT; r++)
			fprintf(f, "vfapp_port_drops_total{port=\"%u\",reason=\"%s\"} %llu\n", p,
				vfapp_drop_name(r), (unsigned long long)sum[p].drops[r]);
	head(f, "vfapp_router_events_total",
	     "Frames the appliance itself received or sent (ARP, ICMP "
	     "errors, fragments), by event.");
	for (p = 0; p < VFAPP_NB_PORTS; p++)
		for (r = 0; r < EV__COUNT; r++)
			fprintf(f, "vfapp_router_events_total{port=\"%u\",event=\"%s\"} %llu\n", p,
				vfapp_event_name(r), (unsigned long long)sum[p].ev[r]);
	head(f, "vfapp_dma_mismatch_total",
	     "IOMMU translations that returned an unexpected host address.");
	fprintf(f, "vfapp_dma_mismatch_total %llu\n", (unsigned long long)a->dma_mismatch);
	head(f, "vfapp_polls_total", "Appliance loop iterations (idle ones included).");
	fprintf(f, "vfapp_polls_total %llu\n", (unsigned long long)a->polls);
	return ferror(f) ? -EIO : 0;
}

int vfapp_prometheus_write(const struct vfapp_appliance *a, const char *path)
{
	char tmp[4096];
	FILE *f;
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (f == NULL) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}
	rc = vfapp_prometheus_format(a, f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int vfapp_prometheus_check_path(const char *path)
{
	size_t n = strlen(path);

	if (n < 6 || strcmp(path + n - 5, ".prom") != 0 || n > 4000) {
		fprintf(stderr,
			"vfapp: --prometheus '%s' must end in .prom (node_exporter's textfile "
			"collector reads only *.prom), e.g. /var/lib/prometheus/node-exporter/vfapp.prom\n",
			path);
		return -EINVAL;
	}
	return 0;
}

void vfapp_prometheus_start(const char *path, double interval_s)
{
	prom_path = path;
	prom_period = (uint64_t)(interval_s * (double)rte_get_tsc_hz());
	prom_next = rte_rdtsc() + prom_period;
	prom_last_err = 0;
}

void vfapp_prometheus_flush(const struct vfapp_appliance *a)
{
	int rc;

	if (prom_path == NULL)
		return;
	rc = vfapp_prometheus_write(a, prom_path);
	if (rc != 0 && rc != prom_last_err)
		fprintf(stderr,
			"vfapp: cannot write %s: %s (create the directory or choose another "
			"--prometheus file)\n",
			prom_path, strerror(-rc));
	prom_last_err = rc;
}

void vfapp_prometheus_tick(const struct vfapp_appliance *a, uint64_t now)
{
	if (prom_path == NULL || now < prom_next)
		return;
	vfapp_prometheus_flush(a);
	prom_next = rte_rdtsc() + prom_period;
}
