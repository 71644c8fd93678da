/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * metrics.c: vfmgrd's metrics in the Prometheus text exposition format (version 0.0.4,
 * https://prometheus.io/docs/instrumenting/exposition_formats/), written for
 * node_exporter's textfile collector (--collector.textfile.directory; Debian:
 * /var/lib/prometheus/node-exporter). node_exporter reads every "*.prom" file of the
 * directory on each scrape, so the file is written whole under another name
 * ("<file>.tmp.<pid>", not matched by *.prom) and renamed over the old one: a scrape
 * sees the previous or the new file, never a partial one.
 *
 * Counters (operations, recoveries, applies) live in the daemon's memory and restart at
 * 0 with it, as Prometheus counters may (rate() handles resets). Gauges are read from
 * the host (discovery, posted-interrupt detection) at every write.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "irqpost.h"
#include "vfmgr_priv.h"

/* Results of an operation: the protocol's error codes (enum vfmgr_exit). */
static const char *const result_names[] = {
	[VFMGR_EXIT_OK] = "ok",
	[VFMGR_EXIT_FAILED] = "failed",
	[VFMGR_EXIT_USAGE] = "usage",
	[VFMGR_EXIT_REFUSED] = "refused",
	[VFMGR_EXIT_UNREACH] = "unreachable",
	[VFMGR_EXIT_DENIED] = "denied",
	[VFMGR_EXIT_NOTFOUND] = "notfound",
	[VFMGR_EXIT_BUSY] = "busy",
	[VFMGR_EXIT_UNSUPPORTED] = "unsupported",
};
#define N_RESULTS (sizeof(result_names) / sizeof(result_names[0]))

static const char *const state_names[] = {
	[VFMGR_VF_FREE] = "free", [VFMGR_VF_ASSIGNED] = "assigned", [VFMGR_VF_HELD] = "held",
	[VFMGR_VF_HOST] = "host", [VFMGR_VF_UNUSABLE] = "unusable",
};

struct vfmgr_metrics {
	/* Lock order: wmu -> (conf_lock is never taken under it) sess virt_mu -> mu. */
	pthread_mutex_t wmu; /* one writer at a time (the temporary name is per process) */
	pthread_mutex_t mu; /* guards everything below; a leaf lock */
	char path[PATH_MAX];
	uint64_t ops[VFMGR_OP__COUNT][N_RESULTS];
	uint64_t recovered, recover_failed;
	uint64_t applies_ok, applies_failed;
	time_t last_apply; /* 0: none yet */
	int last_apply_rc;
	unsigned int last_apply_steps;
	int last_write_err; /* errno of the last failed write, to log it once */
};

int vfmgr_metrics_new(const char *path, struct vfmgr_metrics **out)
{
	struct vfmgr_metrics *m;
	size_t n;

	*out = NULL;
	if (!path || !*path)
		path = VFMGR_DEFAULT_METRICS_FILE;
	n = strlen(path);
	if (path[0] != '/' || n < 6 || strcmp(path + n - 5, ".prom") != 0 || n >= PATH_MAX - 32)
		return vfmgr_set_error(
			EINVAL,
			"metrics file '%s' must be an absolute path ending in "
			".prom (node_exporter's textfile collector reads only *.prom), e.g. %s",
			path, VFMGR_DEFAULT_METRICS_FILE);
	m = calloc(1, sizeof(*m));
	if (!m)
		return vfmgr_set_error(ENOMEM, "out of memory for metrics");
	pthread_mutex_init(&m->mu, NULL);
	pthread_mutex_init(&m->wmu, NULL);
	snprintf(m->path, sizeof(m->path), "%s", path);
	*out = m;
	return 0;
}

void vfmgr_metrics_free(struct vfmgr_metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->mu);
	pthread_mutex_destroy(&m->wmu);
	free(m);
}

void vfmgr_metrics_count_op(struct vfmgr_metrics *m, enum vfmgr_reqop op, int code)
{
	if (!m || op <= VFMGR_OP_INVALID || op >= VFMGR_OP__COUNT)
		return;
	if (code < 0 || (size_t)code >= N_RESULTS)
		code = VFMGR_EXIT_FAILED;
	pthread_mutex_lock(&m->mu);
	m->ops[op][code]++;
	pthread_mutex_unlock(&m->mu);
}

void vfmgr_metrics_count_recovery(struct vfmgr_metrics *m, int rc)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	if (rc < 0)
		m->recover_failed++;
	else
		m->recovered += (uint64_t)rc;
	pthread_mutex_unlock(&m->mu);
}

void vfmgr_metrics_set_apply(struct vfmgr_metrics *m, int rc, unsigned int steps)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->last_apply = time(NULL);
	m->last_apply_rc = rc;
	m->last_apply_steps = steps;
	if (rc < 0)
		m->applies_failed++;
	else
		m->applies_ok++;
	pthread_mutex_unlock(&m->mu);
}

enum vfmgr_vf_state vfmgr_vf_state(const struct vfmgr_ctx *ctx, const struct vfmgr_vf *vf,
				   bool held)
{
	if (vf->owner[0])
		return VFMGR_VF_ASSIGNED;
	if (held)
		return VFMGR_VF_HELD;
	if (vf->driver[0] && strcmp(vf->driver, "vfio-pci") != 0)
		return VFMGR_VF_HOST;
	if (!vf->driver[0])
		return VFMGR_VF_UNUSABLE;
	if (vf->n_group_members > 1 && vfmgr_vf_group_check(ctx, vf->pf_bdf, vf->index) < 0)
		return VFMGR_VF_UNUSABLE;
	return VFMGR_VF_FREE;
}

const char *vfmgr_vf_state_name(enum vfmgr_vf_state s)
{
	return (unsigned int)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] :
										"?";
}

/* A label value: backslash, double quote and line feed escaped (exposition format). */
static void label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f), fputc(*s, f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* held: a libvirt domain holds the VF (vfmgr_virt_holders() filled held_by) and it is on
 * vfio-pci; a VF a domain names while on a host driver counts as host. */
static enum vfmgr_vf_state vf_state(const struct vfmgr_ctx *ctx, const struct vfmgr_vf *vf)
{
	return vfmgr_vf_state(ctx, vf, vf->held_by[0] && !strcmp(vf->driver, "vfio-pci"));
}

int vfmgr_metrics_format(struct vfmgr_metrics *m, const struct vfmgr_ctx *ctx,
			 const struct vfmgr_host *host, const struct irqpost_detect *pi,
			 int journal_pending, FILE *f)
{
	head(f, "vfmgr_vfs", "gauge",
	     "VFs of a PF by state: free (on vfio-pci, no owner, alone in its IOMMU "
	     "group), assigned (owned by a domain through vfmgr), held (in a libvirt domain without a vfmgr "
	     "owner record), host (bound to a host driver), unusable (no driver, or a shared IOMMU group).");
	for (unsigned int p = 0; p < host->n_pfs; p++) {
		const struct vfmgr_pf *pf = &host->pfs[p];
		unsigned int n[sizeof(state_names) / sizeof(state_names[0])] = { 0 };

		for (unsigned int v = 0; v < pf->n_vfs; v++)
			n[vf_state(ctx, &pf->vfs[v])]++;
		for (size_t s = 0; s < sizeof(n) / sizeof(n[0]); s++) {
			fputs("vfmgr_vfs{pf=", f);
			label(f, pf->bdf);
			fprintf(f, ",state=\"%s\"} %u\n", state_names[s], n[s]);
		}
	}
	head(f, "vfmgr_pf_vfs", "gauge", "sriov_numvfs of an SR-IOV PF.");
	for (unsigned int p = 0; p < host->n_pfs; p++) {
		fputs("vfmgr_pf_vfs{pf=", f);
		label(f, host->pfs[p].bdf);
		fprintf(f, "} %u\n", host->pfs[p].numvfs);
	}
	head(f, "vfmgr_pf_total_vfs", "gauge", "sriov_totalvfs of an SR-IOV PF.");
	for (unsigned int p = 0; p < host->n_pfs; p++) {
		fputs("vfmgr_pf_total_vfs{pf=", f);
		label(f, host->pfs[p].bdf);
		fprintf(f, "} %u\n", host->pfs[p].totalvfs);
	}
	head(f, "vfmgr_vf_info", "gauge",
	     "One series per VF (value 1): PCI address, PF, VF index, IOMMU group "
	     "(-1 none), NUMA node (-1 unknown), driver, state and owner domain (\"\" none).");
	for (unsigned int p = 0; p < host->n_pfs; p++) {
		const struct vfmgr_pf *pf = &host->pfs[p];

		for (unsigned int v = 0; v < pf->n_vfs; v++) {
			const struct vfmgr_vf *vf = &pf->vfs[v];

			fputs("vfmgr_vf_info{bdf=", f);
			label(f, vf->bdf);
			fputs(",pf=", f);
			label(f, vf->pf_bdf);
			fprintf(f,
				",vf=\"%u\",iommu_group=\"%d\",numa_node=\"%d\",driver=", vf->index,
				vf->iommu_group, vf->numa_node);
			label(f, vf->driver);
			fprintf(f, ",state=\"%s\",owner=", state_names[vf_state(ctx, vf)]);
			label(f, vf->owner);
			fputs("} 1\n", f);
		}
	}

	pthread_mutex_lock(&m->mu);
	head(f, "vfmgr_operations_total", "counter",
	     "Control-socket requests by operation and result "
	     "(result = the protocol's error code name, vfmgrd(8)).");
	for (int op = VFMGR_OP_INVALID + 1; op < VFMGR_OP__COUNT; op++)
		for (size_t r = 0; r < N_RESULTS; r++)
			if (r == VFMGR_EXIT_OK || r == VFMGR_EXIT_FAILED || m->ops[op][r])
				fprintf(f, "vfmgr_operations_total{op=\"%s\",result=\"%s\"} %llu\n",
					vfmgr_op_name((enum vfmgr_reqop)op), result_names[r],
					(unsigned long long)m->ops[op][r]);
	head(f, "vfmgr_journal_recoveries_total", "counter",
	     "Interrupted operations (journal entries) finished or rolled back by vfmgrd.");
	fprintf(f, "vfmgr_journal_recoveries_total %llu\n", (unsigned long long)m->recovered);
	head(f, "vfmgr_journal_recovery_failures_total", "counter",
	     "Journal recoveries that failed (the entry is kept for the next attempt).");
	fprintf(f, "vfmgr_journal_recovery_failures_total %llu\n",
		(unsigned long long)m->recover_failed);
	head(f, "vfmgr_journal_pending", "gauge", "Journal entries waiting for recovery.");
	fprintf(f, "vfmgr_journal_pending %d\n", journal_pending < 0 ? 0 : journal_pending);
	head(f, "vfmgr_applies_total", "counter",
	     "Applies of the configuration (start, reload) by result.");
	fprintf(f,
		"vfmgr_applies_total{result=\"ok\"} %llu\nvfmgr_applies_total{result=\"failed\"} %llu\n",
		(unsigned long long)m->applies_ok, (unsigned long long)m->applies_failed);
	if (m->last_apply) {
		head(f, "vfmgr_last_apply_timestamp_seconds", "gauge",
		     "Unix time of the last apply.");
		fprintf(f, "vfmgr_last_apply_timestamp_seconds %lld\n", (long long)m->last_apply);
		head(f, "vfmgr_last_apply_success", "gauge",
		     "1 if the last apply succeeded, 0 if it failed.");
		fprintf(f, "vfmgr_last_apply_success %d\n", m->last_apply_rc >= 0);
		head(f, "vfmgr_last_apply_steps", "gauge",
		     "Steps the last apply executed (0: host already as configured).");
		fprintf(f, "vfmgr_last_apply_steps %u\n", m->last_apply_steps);
	}
	pthread_mutex_unlock(&m->mu);

	if (pi) {
		head(f, "vfmgr_posted_interrupts_available", "gauge",
		     "1 if device interrupts can be posted to "
		     "vCPUs (VT-d CAP.PI / AMD GA, KVM APICv / AVIC), else 0; reason = lib/irqpost's verdict.");
		fputs("vfmgr_posted_interrupts_available{reason=", f);
		label(f, pi->reason);
		fprintf(f, "} %d\n", pi->available ? 1 : 0);
	}
	return ferror(f) ? -EIO : 0;
}

/* Fill held_by from the domains libvirt knows, only over a connection the daemon already
 * opened: metrics never open one, nor wait for libvirtd (else the VFs count unheld). */
static void mark_holders(struct vfmgr_session *s, struct vfmgr_host *host)
{
	struct vfmgr_virt *v = NULL;
	bool open;

	if (!s || !s->virt_mu)
		return;
	pthread_mutex_lock(s->virt_mu);
	open = s->virt != NULL;
	pthread_mutex_unlock(s->virt_mu);
	if (open && vfmgr_session_virt(s, &v) == 0)
		vfmgr_virt_holders(v, host);
	vfmgr_virt_close(v);
	vfmgr_clear_error();
}

int vfmgr_metrics_write(struct vfmgr_metrics *m, struct vfmgr_session *s)
{
	struct vfmgr_host *host = NULL;
	struct irqpost_detect pi;
	char tmp[PATH_MAX];
	FILE *f = NULL;
	int rc, fd, e;

	pthread_mutex_lock(&m->wmu);
	rc = vfmgr_discover(s->ctx, &host);
	if (rc < 0)
		goto out;
	mark_holders(s, host);
	irqpost_detect(vfmgr_ctx_root(s->ctx), &pi);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", m->path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	e = errno;
	if (fd < 0) {
		rc = vfmgr_set_error(
			e,
			"cannot write metrics to %s: %s (create the directory, or choose "
			"another file with --metrics FILE)",
			tmp, strerror(e));
		goto out;
	}
	fchmod(fd, 0644); /* readable by node_exporter whatever the daemon's umask */
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		rc = vfmgr_set_error(ENOMEM, "out of memory writing %s", tmp);
		goto out;
	}
	rc = vfmgr_metrics_format(m, s->ctx, host, &pi, vfmgr_journal_pending(s->ctx), f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -errno;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (rc == 0 && rename(tmp, m->path) < 0)
		rc = -errno;
	if (rc < 0) {
		e = -rc;
		unlink(tmp);
		rc = vfmgr_set_error(e, "cannot write metrics to %s: %s", m->path, strerror(e));
	}
out:
	pthread_mutex_lock(&m->mu);
	/* report a failure once per distinct errno, not at every interval */
	if (rc < 0 && m->last_write_err == -rc)
		rc = -EALREADY;
	else
		m->last_write_err = rc < 0 ? -rc : 0;
	pthread_mutex_unlock(&m->mu);
	pthread_mutex_unlock(&m->wmu);
	vfmgr_host_free(host);
	return rc;
}
