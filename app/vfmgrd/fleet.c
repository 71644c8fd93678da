/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fleet.c: vfmgrd's publisher to OpenStack Placement. One thread runs lib/vfmgr's
 * level-triggered reconciliation (vfmgr_pl_sync_run) at start, after every change
 * (assign, release, apply, reload, PF netlink event: fleet_kick) and every
 * [placement] interval; after a failure (Placement down) it retries after 1, 2, 4 ...
 * seconds, at most the interval. The last result is shown by `vfmgr status`.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "vfmgrd.h"

struct vfmgrd_fleet {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool kicked, stop;
	struct vfmgr_pl_sync *st;
	/* guarded by mu: */
	struct vfmgr_pl_sync_stats last;
	time_t last_time;
	unsigned long runs, failures, conflicts_total;
	char url[256], host[64];
};

static void deadline(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *fleet_thread(void *arg)
{
	struct vfmgrd *d = arg;
	struct vfmgrd_fleet *f = d->fleet;
	unsigned backoff = 0;
	unsigned wait_ms = 0;

	for (;;) {
		struct vfmgr_pl_conf pc;
		struct vfmgr_pl_sync_stats stats = { 0 };
		struct vfmgr_pl *pl = NULL;
		char host[64];
		struct timespec ts;
		int rc;

		pthread_mutex_lock(&f->mu);
		deadline(&ts, wait_ms);
		while (!f->stop && !f->kicked && wait_ms &&
		       pthread_cond_timedwait(&f->cv, &f->mu, &ts) != ETIMEDOUT)
			;
		f->kicked = false;
		if (f->stop) {
			pthread_mutex_unlock(&f->mu);
			break;
		}
		pthread_mutex_unlock(&f->mu);

		pthread_rwlock_rdlock(&d->conf_lock);
		pc = d->sess.conf->placement;
		snprintf(host, sizeof(host), "%s", pc.host);
		if (!host[0] && gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		rc = vfmgr_pl_open(&pc, &pl);
		if (rc == 0)
			rc = vfmgr_pl_sync_run(pl, f->st, &d->sess, host, pc.claim_grace_s, &stats);
		else
			snprintf(stats.msg, sizeof(stats.msg), "%s", vfmgr_errmsg());
		stats.rc = rc;
		pthread_rwlock_unlock(&d->conf_lock);
		vfmgr_pl_close(pl);

		pthread_mutex_lock(&f->mu);
		bool was_ok = f->runs == 0 || f->last.rc == 0;
		f->last = stats;
		f->last_time = time(NULL);
		f->runs++;
		f->conflicts_total += stats.conflicts;
		snprintf(f->url, sizeof(f->url), "%s", pc.url);
		snprintf(f->host, sizeof(f->host), "%s", host);
		if (rc < 0)
			f->failures++;
		pthread_mutex_unlock(&f->mu);

		if (rc < 0) {
			if (was_ok)
				vlog(LOG_WARNING, "placement", NULL, NULL,
				     "sync to %s failed (retrying): %s", pc.url, stats.msg);
			backoff = backoff ? backoff * 2 : 1000;
			wait_ms = backoff < pc.interval_s * 1000u ? backoff : pc.interval_s * 1000u;
		} else {
			if (!was_ok || stats.writes)
				vlog(LOG_INFO, "placement", NULL, NULL,
				     "synced host %s to %s: %u provider(s), %u VF(s), "
				     "%u reserved, %u assigned, %u write(s), %u conflict(s) retried, %llu ms",
				     host, pc.url, stats.providers, stats.vfs_total,
				     stats.vfs_reserved, stats.vfs_assigned, stats.writes,
				     stats.conflicts, (unsigned long long)stats.duration_ms);
			backoff = 0;
			wait_ms = pc.interval_s * 1000u;
		}
	}
	return NULL;
}

int fleet_start(struct vfmgrd *d)
{
	struct vfmgrd_fleet *f;
	pthread_condattr_t ca;

	if (!d->sess.conf || !d->sess.conf->placement.url[0])
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->st = vfmgr_pl_sync_new();
	if (!f->st) {
		free(f);
		return -ENOMEM;
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cv, &ca);
	pthread_condattr_destroy(&ca);
	d->fleet = f;
	if (pthread_create(&f->th, NULL, fleet_thread, d) != 0) {
		vfmgr_pl_sync_free(f->st);
		free(f);
		d->fleet = NULL;
		return -EAGAIN;
	}
	vlog(LOG_INFO, "placement", NULL, NULL, "publishing this host to Placement at %s every %us",
	     d->sess.conf->placement.url, d->sess.conf->placement.interval_s);
	return 0;
}

void fleet_kick(struct vfmgrd *d)
{
	struct vfmgrd_fleet *f = d->fleet;

	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->kicked = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

void fleet_stop(struct vfmgrd *d)
{
	struct vfmgrd_fleet *f = d->fleet;

	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->th, NULL);
	vfmgr_pl_sync_free(f->st);
	free(f);
	d->fleet = NULL;
}

json_t *fleet_status(struct vfmgrd *d)
{
	struct vfmgrd_fleet *f = d->fleet;
	json_t *o;
	char when[32] = "";

	if (!f)
		return json_null();
	pthread_mutex_lock(&f->mu);
	if (f->runs) {
		struct tm tm;
		gmtime_r(&f->last_time, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	o = f->runs ? vfmgr_pl_sync_stats_json(&f->last) : json_object();
	json_object_set_new(o, "url", json_string(f->url));
	json_object_set_new(o, "host", json_string(f->host));
	json_object_set_new(o, "last_sync", f->runs ? json_string(when) : json_null());
	if (!f->runs)
		json_object_set_new(o, "result", json_string("not synced yet"));
	json_object_set_new(o, "syncs", json_integer((json_int_t)f->runs));
	json_object_set_new(o, "failures", json_integer((json_int_t)f->failures));
	json_object_set_new(o, "conflicts_total", json_integer((json_int_t)f->conflicts_total));
	pthread_mutex_unlock(&f->mu);
	return o;
}
