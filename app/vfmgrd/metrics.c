/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * metrics.c: the daemon's hook around lib/vfmgr's Prometheus textfile writer.
 * main.c (start, reload, interval) and server.c (after each request) call it;
 * it calls only lib/vfmgr and log.c, so it is a leaf of app/vfmgrd.
 */
#include <errno.h>
#include <syslog.h>

#include "vfmgrd.h"

void vfmgrd_metrics_write(struct vfmgrd *d, const char *why)
{
	int rc;

	if (!d->metrics)
		return;
	rc = vfmgr_metrics_write(d->metrics, &d->sess);
	if (rc < 0 && rc != -EALREADY)
		vlog(LOG_WARNING, NULL, NULL, NULL, "metrics (%s): %s", why, vfmgr_errmsg());
}
