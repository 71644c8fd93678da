/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sriov_numvfs handling, per drivers/pci/iov.c sriov_numvfs_store():
 * N > sriov_totalvfs -> ERANGE; no driver / no sriov_configure -> ENOENT;
 * non-zero to a different non-zero -> EBUSY; same value -> no-op.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfmgr_priv.h"

int vfmgr_sriov_vf_bdf(const struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index,
		       char out[VFMGR_BDF_LEN])
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/virtfn%u", pf_bdf, index);
	return vfmgr_read_link_base(ctx, p, out, VFMGR_BDF_LEN);
}

/* Number of consecutive virtfnN links with a VF carrying its physfn link. */
static unsigned int count_vfs(const struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int max,
			      bool *extra)
{
	char vf[VFMGR_BDF_LEN], p[PATH_MAX];
	unsigned int i;

	for (i = 0; i < max; i++) {
		if (vfmgr_sriov_vf_bdf(ctx, pf_bdf, i, vf) < 0)
			break;
		vfmgr_path(ctx, p, sizeof(p), "/sys/bus/pci/devices/%s/physfn", vf);
		if (access(p, F_OK) < 0)
			break;
	}
	*extra = vfmgr_sriov_vf_bdf(ctx, pf_bdf, max, vf) == 0;
	return i;
}

int vfmgr_sriov_wait_vfs(const struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int n)
{
	uint64_t deadline = vfmgr_now_ms() + ctx->wait_ms;
	unsigned int have;
	bool extra;

	for (;;) {
		have = count_vfs(ctx, pf_bdf, n, &extra);
		if (have == n && !extra)
			return 0;
		if (vfmgr_now_ms() >= deadline)
			break;
		vfmgr_sleep_ms(10);
	}
	return vfmgr_set_error(
		ETIMEDOUT,
		"PF %s: only %u of %u VFs appeared (virtfnN + physfn links) within %u ms%s", pf_bdf,
		have, n, ctx->wait_ms, extra ? " and stale VFs remain" : "");
}

static int read_uint(const struct vfmgr_ctx *ctx, const char *bdf, const char *attr,
		     unsigned int *out)
{
	char b[32];
	int r = vfmgr_sysfs_read(ctx, bdf, attr, b, sizeof(b));

	if (r < 0)
		return r;
	*out = (unsigned int)strtoul(b, NULL, 10);
	return 0;
}

static int write_numvfs(struct vfmgr_ctx *ctx, const char *pf, unsigned int n, unsigned int total)
{
	char v[16];
	int r;

	snprintf(v, sizeof(v), "%u", n);
	r = vfmgr_sysfs_write(ctx, pf, "sriov_numvfs", v);
	switch (r) {
	case 0:
		return 0;
	case -ERANGE:
		return vfmgr_set_error(
			ERANGE, "PF %s: %u VFs is more than sriov_totalvfs = %u; lower numvfs", pf,
			n, total);
	case -ENOENT:
		return vfmgr_set_error(
			ENOENT,
			"PF %s: the kernel cannot create VFs (no PF driver, or a driver without "
			"SR-IOV support): bind the PF to its network driver or pci-pf-stub",
			pf);
	case -EBUSY:
		return vfmgr_set_error(
			EBUSY,
			"PF %s: sriov_numvfs busy writing %u (the kernel requires 0 before a "
			"different non-zero count, and refuses while VFs are in use): %s",
			pf, n, vfmgr_errmsg());
	default:
		return r;
	}
}

int vfmgr_sriov_set_numvfs(struct vfmgr_ctx *ctx, const char *pf, unsigned int n,
			   bool autoprobe_off, unsigned int flags)
{
	unsigned int total, cur;
	int r;

	if (read_uint(ctx, pf, "sriov_totalvfs", &total) < 0)
		return vfmgr_set_error(
			ENODEV,
			"PF %s is not SR-IOV capable (no sriov_totalvfs under %s/sys/bus/pci/devices)",
			pf, ctx->root);
	if (n > total)
		return vfmgr_set_error(
			ERANGE, "PF %s: %u VFs is more than sriov_totalvfs = %u; lower numvfs", pf,
			n, total);
	r = read_uint(ctx, pf, "sriov_numvfs", &cur);
	if (r < 0)
		return r;
	if (cur == n)
		return n ? vfmgr_sriov_wait_vfs(ctx, pf, n) : 0;
	if (cur && !(flags & VFMGR_F_FORCE)) {
		char owned[512] = "", dom[VFMGR_DOMAIN_LEN];
		size_t o = 0;
		for (unsigned int i = 0; i < cur; i++) {
			if (vfmgr_owner_get(ctx, pf, i, dom, sizeof(dom)) == 1 &&
			    o < sizeof(owned) - 64)
				o += (size_t)snprintf(owned + o, sizeof(owned) - o, "%svf %u (%s)",
						      o ? ", " : "", i, dom);
		}
		if (o)
			return vfmgr_set_error(
				EBUSY,
				"PF %s: changing numvfs %u -> %u destroys every VF (the kernel goes "
				"through 0) but %s %s assigned; release them first or use --force",
				pf, cur, n, owned, strchr(owned, ',') ? "are" : "is");
	}
	if (autoprobe_off) {
		r = vfmgr_sysfs_write(ctx, pf, "sriov_drivers_autoprobe", "0");
		if (r < 0)
			return r;
	}
	if (cur) {
		r = write_numvfs(ctx, pf, 0, total);
		if (r < 0)
			return r;
		r = vfmgr_sriov_wait_vfs(ctx, pf, 0);
		if (r < 0)
			return r;
	}
	if (!n)
		return 0;
	r = write_numvfs(ctx, pf, n, total);
	if (r < 0)
		return r;
	r = vfmgr_sriov_wait_vfs(ctx, pf, n);
	if (r < 0) {
		char msg[VFMGR_ERRMSG_LEN];
		snprintf(msg, sizeof(msg), "%s", vfmgr_errmsg());
		write_numvfs(ctx, pf, 0, total); /* no half-created set left behind */
		return vfmgr_set_error(ETIMEDOUT, "%s; set sriov_numvfs back to 0", msg);
	}
	return 0;
}
