/* SPDX-License-Identifier: BSD-3-Clause */
/* Thread-local error messages and the log callback. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vfmgr_priv.h"

static __thread char errbuf[VFMGR_ERRMSG_LEN];
static vfmgr_log_fn log_fn;
static void *log_user;

const char *vfmgr_errmsg(void)
{
	return errbuf;
}

void vfmgr_clear_error(void)
{
	errbuf[0] = '\0';
}

int vfmgr_set_error(int err, const char *fmt, ...)
{
	char tmp[VFMGR_ERRMSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap); /* fmt may reference errbuf */
	va_end(ap);
	memcpy(errbuf, tmp, sizeof(errbuf));
	vfmgr_log(VFMGR_LOG_DEBUG, "error: %s", errbuf);
	return err > 0 ? -err : (err < 0 ? err : -EINVAL);
}

void vfmgr_set_log(vfmgr_log_fn fn, void *user)
{
	log_fn = fn;
	log_user = user;
}

void vfmgr_log(int prio, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fn(prio, msg, log_user);
}
