/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NUMA-aware VF choice. Node of a VF: sysfs numa_node (-1 unknown). Distance:
 * libnuma numa_distance() on the real host, the fixture's
 * /sys/devices/system/node/nodeN/distance otherwise (same data libnuma reads).
 * Policies (as OpenStack's): required = only local, preferred = local first
 * then nearest, any.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <numa.h>

#include "vfmgr_priv.h"

int vfmgr_numa_distance(const struct vfmgr_ctx *ctx, int a, int b)
{
	char p[PATH_MAX], buf[512], *s, *end;
	int i = 0;

	if (a < 0 || b < 0)
		return -1;
	if (vfmgr_real_root(ctx) && numa_available() >= 0) {
		int d = numa_distance(a, b);
		return d > 0 ? d : -1;
	}
	snprintf(p, sizeof(p), "/sys/devices/system/node/node%d/distance", a);
	if (vfmgr_read_file(ctx, p, buf, sizeof(buf)) <= 0)
		return a == b ? 10 : -1;
	for (s = buf;; s = end, i++) {
		long v = strtol(s, &end, 10);
		if (end == s)
			break;
		if (i == b)
			return (int)v;
	}
	return -1;
}

/* Best (smallest) distance from node to any node of the mask; INT_MAX unknown. */
static int best_distance(const struct vfmgr_ctx *ctx, int node, uint64_t mask)
{
	int best = INT_MAX;

	for (int n = 0; n < 64; n++) {
		if (!(mask & (1ull << n)))
			continue;
		int d = node == n ? 10 : vfmgr_numa_distance(ctx, node, n);
		if (d > 0 && d < best)
			best = d;
	}
	return best;
}

/* Free = no owner record, in no libvirt domain, on vfio-pci, alone in its IOMMU group. */
static bool vf_free(const struct vfmgr_ctx *ctx, const struct vfmgr_vf *vf)
{
	if (vf->owner[0] || vf->held_by[0] || strcmp(vf->driver, "vfio-pci"))
		return false;
	return vf->n_group_members <= 1 || vfmgr_vf_group_check(ctx, vf->pf_bdf, vf->index) == 0;
}

/* Why a VF is not free, into @buf. @return true when the reason is its IOMMU group. */
static bool why_busy(const struct vfmgr_ctx *ctx, const struct vfmgr_vf *vf, char *buf, size_t len)
{
	if (vf->owner[0]) {
		snprintf(buf, len, "%s owned by '%s'", vf->bdf, vf->owner);
	} else if (vf->held_by[0]) {
		snprintf(buf, len, "%s held by domain '%s' (not assigned by vfmgr)", vf->bdf,
			 vf->held_by);
	} else if (vf->n_group_members > 1 &&
		   vfmgr_vf_group_check(ctx, vf->pf_bdf, vf->index) < 0) {
		/* first: whatever its driver, such a VF can never be given to a guest */
		char members[400] = "";
		size_t o = 0;
		for (unsigned int k = 0;
		     k < vf->n_group_members && o < sizeof(members) - VFMGR_BDF_LEN - 2; k++)
			if (strcmp(vf->group_members[k], vf->bdf))
				o += (size_t)snprintf(members + o, sizeof(members) - o, "%s%s",
						      o ? " " : "", vf->group_members[k]);
		snprintf(buf, len, "%s shares IOMMU group %d with %s", vf->bdf, vf->iommu_group,
			 members);
		return true;
	} else if (strcmp(vf->driver, "vfio-pci")) {
		snprintf(
			buf, len, "%s on %s%s%s", vf->bdf, vf->driver[0] ? vf->driver : "no driver",
			vf->host_use[0] ? ", used by the host: " : " (not vfio-pci)", vf->host_use);
	} else {
		snprintf(buf, len, "%s free", vf->bdf);
	}
	return false;
}

static void mask_str(uint64_t m, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int n = 0; n < 64 && o < len - 4; n++)
		if (m & (1ull << n))
			o += (size_t)snprintf(buf + o, len - o, "%s%d", o ? "," : "", n);
}

int vfmgr_numa_choose(const struct vfmgr_ctx *ctx, const struct vfmgr_host *host,
		      const char *pf_bdf, uint64_t nodemask, enum vfmgr_numa_policy policy,
		      const struct vfmgr_vf **out)
{
	const struct vfmgr_vf *best = NULL;
	int best_d = INT_MAX;
	unsigned int n_free = 0;
	char freelist[400] = "", nodes[128];
	size_t o = 0;

	*out = NULL;
	if (!nodemask)
		policy = VFMGR_NUMA_ANY;
	for (unsigned int i = 0; i < host->n_pfs; i++) {
		const struct vfmgr_pf *pf = &host->pfs[i];
		if (pf_bdf && strcmp(pf->bdf, pf_bdf))
			continue;
		for (unsigned int j = 0; j < pf->n_vfs; j++) {
			const struct vfmgr_vf *vf = &pf->vfs[j];
			if (!vf_free(ctx, vf))
				continue;
			n_free++;
			if (o < sizeof(freelist) - 40)
				o += (size_t)snprintf(freelist + o, sizeof(freelist) - o,
						      "%s%s (node %d)", o ? ", " : "", vf->bdf,
						      vf->numa_node);
			int d;
			if (policy == VFMGR_NUMA_ANY)
				d = 0;
			else if (vf->numa_node >= 0 && vf->numa_node < 64 &&
				 (nodemask & (1ull << vf->numa_node)))
				d = 10;
			else if (policy == VFMGR_NUMA_REQUIRED)
				continue;
			else
				d = vf->numa_node < 0 ? INT_MAX - 1 :
							best_distance(ctx, vf->numa_node, nodemask);
			if (!best || d < best_d) {
				best = vf;
				best_d = d;
			}
		}
	}
	if (best) {
		*out = best;
		return 0;
	}
	mask_str(nodemask, nodes, sizeof(nodes));
	if (!n_free) {
		/* Say why each VF is taken; the fix depends on it. */
		char why[1200] = "", one[600];
		size_t wo = 0;
		unsigned int n_vf = 0, n_group = 0, room = 0;

		for (unsigned int i = 0; i < host->n_pfs; i++) {
			const struct vfmgr_pf *pf = &host->pfs[i];
			if (pf_bdf && strcmp(pf->bdf, pf_bdf))
				continue;
			room += pf->totalvfs > pf->numvfs ? pf->totalvfs - pf->numvfs : 0;
			for (unsigned int j = 0; j < pf->n_vfs; j++) {
				n_vf++;
				n_group += why_busy(ctx, &pf->vfs[j], one, sizeof(one));
				if (wo < sizeof(why) - 64)
					wo += (size_t)snprintf(why + wo, sizeof(why) - wo, "%s%s",
							       wo ? "; " : "", one);
				else if (wo < sizeof(why) - 4)
					wo += (size_t)snprintf(why + wo, sizeof(why) - wo, "...");
			}
		}
		if (!n_vf)
			return vfmgr_set_error(
				ENOSPC,
				"no VF exists%s%s: set numvfs in vfmgr.conf and run vfmgr apply",
				pf_bdf ? " on PF " : "", pf_bdf ? pf_bdf : "");
		if (n_group == n_vf)
			return vfmgr_set_error(
				EXDEV,
				"no usable VF%s%s: every VF shares its IOMMU group (%s); a VF "
				"needs its own group: put the PF behind an ACS-capable port",
				pf_bdf ? " on PF " : "", pf_bdf ? pf_bdf : "", why);
		return vfmgr_set_error(
			ENOSPC, "no free VF%s%s: %s; %s", pf_bdf ? " on PF " : "",
			pf_bdf ? pf_bdf : "", why,
			room ? "release one (vfmgr release), or raise numvfs in vfmgr.conf and apply" :
			       "release one (vfmgr release); the PF has no more VFs to create");
	}
	return vfmgr_set_error(ENOSPC,
			       "no free VF on NUMA node(s) %s (policy required); free VFs: %s; use "
			       "numa-policy=preferred or move the domain",
			       nodes, freelist);
}
