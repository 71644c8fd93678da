/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * reapply.c: put back VF attributes a PF lost. VF MAC/VLAN/... live in the PF driver
 * (include/uapi/linux/if_link.h IFLA_VF_*) and vanish on a PF reset or driver reload
 * (operators' complaint #1); the netlink monitor reports the PF's current VF info and
 * this re-applies every configured VF that drifted (vfmgr_attrs_drift()).
 */
#include <syslog.h>

#include "vfmgrd.h"

int vfmgrd_reapply(const struct vfmgr_pf_conf *pc, const char *ifname,
		   const struct vfmgr_vf_attrs *have, unsigned int n_have, vfmgrd_set_attrs_fn set)
{
	unsigned int idx[1024];
	unsigned int n = vfmgr_attrs_drift(pc, have, n_have, idx, 1024);
	int done = 0;

	if (n > 1024)
		n = 1024;
	for (unsigned int i = 0; i < n; i++) {
		const struct vfmgr_vf_conf *vc = vfmgr_conf_find_vf(pc, idx[i]);

		if (!vc)
			continue;
		if (idx[i] >= n_have) {
			vlog(LOG_WARNING, "reapply", pc->bdf, NULL,
			     "PF %s reports %u VFs, VF %u is configured: "
			     "not there (yet); `vfmgr apply` recreates it",
			     ifname, n_have, idx[i]);
			continue;
		}
		if (set(ifname, idx[i], &vc->attrs) < 0) {
			vlog(LOG_ERR, "reapply", pc->bdf, NULL,
			     "PF %s lost VF %u attributes; re-applying "
			     "failed: %s",
			     ifname, idx[i], vfmgr_errmsg());
			continue;
		}
		vlog(LOG_NOTICE, "reapply", pc->bdf, NULL,
		     "PF %s lost VF %u attributes (PF reset or "
		     "driver reload): re-applied",
		     ifname, idx[i]);
		done++;
	}
	return done;
}
