/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log.c: logging of vfmgrd. Under systemd (JOURNAL_STREAM or INVOCATION_ID set) every
 * line goes to the journal with sd_journal_send() and structured fields
 * (VFMGR_OP, VFMGR_PF, VFMGR_VF, VFMGR_DOMAIN, SYSLOG_IDENTIFIER=vfmgrd); otherwise on stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "vfmgrd.h"

static bool use_journal;

void vlog_init(void)
{
	use_journal = getenv("JOURNAL_STREAM") || getenv("INVOCATION_ID");
}

static void vlogv(int prio, const char *op, const char *pf, const char *vf, const char *domain,
		  const char *fmt, va_list ap)
{
	static const char *const names[] = { "emerg",	"alert",  "crit", "error",
					     "warning", "notice", "info", "debug" };
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (use_journal) {
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio, "SYSLOG_IDENTIFIER=vfmgrd",
				"VFMGR_OP=%s", op ? op : "", "VFMGR_PF=%s", pf ? pf : "",
				"VFMGR_VF=%s", vf ? vf : "", "VFMGR_DOMAIN=%s",
				domain ? domain : "", NULL);
		return;
	}
	fprintf(stderr, "vfmgrd: %s: %s%s%s%s%s%s%s%s%s\n", names[prio & 7], msg, op ? " op=" : "",
		op ? op : "", pf ? " pf=" : "", pf ? pf : "", vf ? " vf=" : "", vf ? vf : "",
		domain ? " domain=" : "", domain ? domain : "");
}

void vlog(int prio, const char *op, const char *pf, const char *domain, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogv(prio, op, pf, NULL, domain, fmt, ap);
	va_end(ap);
}

void vlog_vf(int prio, const char *op, const char *pf, const char *vf, const char *domain,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogv(prio, op, pf, vf, domain, fmt, ap);
	va_end(ap);
}

void vlog_lib(int prio, const char *msg, void *user)
{
	vlog(prio, NULL, NULL, NULL, "%s", msg);
}
