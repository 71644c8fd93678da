/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pre-flight: IOMMU active (/sys/class/iommu, /sys/kernel/iommu_groups),
 * VFIO no-IOMMU mode only when explicitly allowed, vfio-pci loaded,
 * hugepages, and IOMMU group viability per drivers/vfio/vfio.c (every device
 * of the group bound to vfio-pci, bridges excepted): a VF for a guest must be
 * alone in its group (ACS on the path).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfmgr_priv.h"

static int dir_entries(const struct vfmgr_ctx *ctx, const char *abspath)
{
	char p[PATH_MAX];
	struct dirent *e;
	int n = 0;
	DIR *d;

	vfmgr_path(ctx, p, sizeof(p), "%s", abspath);
	d = opendir(p);
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int vfmgr_iommu_check(const struct vfmgr_ctx *ctx)
{
	char b[16];

	if (dir_entries(ctx, "/sys/class/iommu") > 0 ||
	    dir_entries(ctx, "/sys/kernel/iommu_groups") > 0)
		return 1;
	if (vfmgr_read_file(ctx, "/sys/module/vfio/parameters/enable_unsafe_noiommu_mode", b,
			    sizeof(b)) > 0 &&
	    (b[0] == 'Y' || b[0] == '1')) {
		if (ctx->allow_unsafe_noiommu)
			return 0;
		return vfmgr_set_error(
			ENODEV,
			"no IOMMU is active and VFIO runs in unsafe no-IOMMU mode: a guest could "
			"DMA anywhere in host memory; enable the IOMMU (intel_iommu=on or amd_iommu=on) "
			"or pass the explicit unsafe no-IOMMU flag");
	}
	return vfmgr_set_error(
		ENODEV,
		"no IOMMU is active (%s/sys/class/iommu and %s/sys/kernel/iommu_groups are "
		"empty): enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on (or "
		"amd_iommu=on) iommu=pt",
		ctx->root, ctx->root);
}

static bool is_bridge(const struct vfmgr_ctx *ctx, const char *bdf)
{
	char p[PATH_MAX], b[32];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/class", bdf);
	if (vfmgr_read_file(ctx, p, b, sizeof(b)) <= 0)
		return false;
	return (strtoul(b, NULL, 16) >> 8) == 0x0604; /* PCI_CLASS_BRIDGE_PCI */
}

int vfmgr_vf_group_check(const struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index)
{
	char vf[VFMGR_BDF_LEN], p[PATH_MAX], others[600] = "";
	struct dirent *e;
	size_t o = 0;
	int g, n = 0;
	DIR *d;

	if (vfmgr_sriov_vf_bdf(ctx, pf_bdf, index, vf) < 0)
		return vfmgr_set_error(ENOENT,
				       "PF %s has no VF %u (no virtfn%u link); create VFs first",
				       pf_bdf, index, index);
	g = vfmgr_dev_iommu_group(ctx, vf);
	if (g < 0)
		return vfmgr_set_error(ENOENT,
				       "VF %s (pf %s vf %u) has no IOMMU group: enable the IOMMU "
				       "(intel_iommu=on)",
				       vf, pf_bdf, index);
	vfmgr_path(ctx, p, sizeof(p), "/sys/kernel/iommu_groups/%d/devices", g);
	d = opendir(p);
	if (!d)
		return vfmgr_set_error(errno, "cannot list %s: %s", p, strerror(errno));
	/* sorted output for stable messages */
	char names[VFMGR_GROUP_MAX * 4][VFMGR_BDF_LEN];
	int nn = 0;
	while ((e = readdir(d)) && nn < (int)(sizeof(names) / sizeof(names[0])))
		if (e->d_name[0] != '.' && strcmp(e->d_name, vf) && !is_bridge(ctx, e->d_name))
			snprintf(names[nn++], VFMGR_BDF_LEN, "%s", e->d_name);
	closedir(d);
	qsort(names, (size_t)nn, VFMGR_BDF_LEN, (int (*)(const void *, const void *))strcmp);
	for (int i = 0; i < nn; i++, n++)
		if (o < sizeof(others) - VFMGR_BDF_LEN - 2)
			o += (size_t)snprintf(others + o, sizeof(others) - o, "%s%s", o ? " " : "",
					      names[i]);
	if (n)
		return vfmgr_set_error(
			EXDEV,
			"VF %s (pf %s vf %u) shares IOMMU group %d with %s: each VF needs its own "
			"group (ACS on the path); refusing",
			vf, pf_bdf, index, g, others);
	return 0;
}

int vfmgr_pf_group_predict(const struct vfmgr_ctx *ctx, const struct vfmgr_pf *pf)
{
	char others[600] = "";
	size_t o = 0;
	unsigned int n = 0;

	(void)ctx;
	if (pf->iommu_group < 0)
		return 0; /* no IOMMU: vfmgr_iommu_check() says so */
	for (unsigned int i = 0; i < pf->n_group_members; i++) {
		if (!strcmp(pf->group_members[i], pf->bdf))
			continue;
		n++;
		if (o < sizeof(others) - VFMGR_BDF_LEN - 2)
			o += (size_t)snprintf(others + o, sizeof(others) - o, "%s%s", o ? " " : "",
					      pf->group_members[i]);
	}
	if (!n)
		return 0;
	return vfmgr_set_error(
		EXDEV,
		"PF %s already shares IOMMU group %d with %s (a port without ACS above it, or "
		"a multi-function sibling): the VFs it creates join that group with the PF, so no VF "
		"can be given to a guest alone; put the PF behind an ACS-capable port or keep its VFs "
		"on the host (driver = none)",
		pf->bdf, pf->iommu_group, others);
}

static struct vfmgr_check *add(struct vfmgr_checks *c, const char *name, enum vfmgr_check_status st,
			       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static struct vfmgr_check *add(struct vfmgr_checks *c, const char *name, enum vfmgr_check_status st,
			       const char *fmt, ...)
{
	struct vfmgr_check *nv = realloc(c->v, (c->n + 1) * sizeof(*nv));
	va_list ap;

	if (!nv)
		return NULL;
	c->v = nv;
	nv = &c->v[c->n++];
	snprintf(nv->name, sizeof(nv->name), "%s", name);
	nv->status = st;
	nv->code = st == VFMGR_CHECK_FAIL ? VFMGR_EXIT_REFUSED : VFMGR_EXIT_OK;
	va_start(ap, fmt);
	vsnprintf(nv->msg, sizeof(nv->msg), fmt, ap);
	va_end(ap);
	if (st == VFMGR_CHECK_FAIL)
		c->n_fail++;
	return nv;
}

static long meminfo(const struct vfmgr_ctx *ctx, const char *key)
{
	char p[PATH_MAX], line[256];
	long v = -1;
	size_t kl = strlen(key);
	FILE *f;

	vfmgr_path(ctx, p, sizeof(p), "/proc/meminfo");
	f = fopen(p, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

int vfmgr_preflight(struct vfmgr_ctx *ctx, const struct vfmgr_conf *conf, struct vfmgr_checks *c)
{
	char p[PATH_MAX];
	struct vfmgr_host *h = NULL;
	struct vfmgr_check *ck;
	int r;

	memset(c, 0, sizeof(*c));
	r = vfmgr_iommu_check(ctx);
	if (r == 1)
		add(c, "iommu", VFMGR_CHECK_OK, "IOMMU active (%d IOMMU units, %d groups)",
		    dir_entries(ctx, "/sys/class/iommu") > 0 ?
			    dir_entries(ctx, "/sys/class/iommu") :
			    0,
		    dir_entries(ctx, "/sys/kernel/iommu_groups") > 0 ?
			    dir_entries(ctx, "/sys/kernel/iommu_groups") :
			    0);
	else if (r == 0)
		add(c, "iommu", VFMGR_CHECK_WARN,
		    "VFIO unsafe no-IOMMU mode accepted by flag: guests are not isolated "
		    "from host memory; enable the IOMMU (intel_iommu=on) for production");
	else
		add(c, "iommu", VFMGR_CHECK_FAIL, "%s", vfmgr_errmsg());

	vfmgr_path(ctx, p, sizeof(p), "/sys/bus/pci/drivers/vfio-pci");
	if (access(p, F_OK) == 0)
		add(c, "vfio-pci", VFMGR_CHECK_OK, "vfio-pci driver loaded");
	else {
		char m[PATH_MAX];
		vfmgr_path(ctx, m, sizeof(m), "/sys/module/vfio_pci");
		add(c, "vfio-pci", VFMGR_CHECK_FAIL,
		    "vfio-pci driver not loaded (%s missing%s): run modprobe vfio-pci "
		    "and add vfio-pci to /etc/modules-load.d/",
		    p, access(m, F_OK) == 0 ? ", module present" : "");
	}

	long total = meminfo(ctx, "HugePages_Total"), freep = meminfo(ctx, "HugePages_Free");
	long size = meminfo(ctx, "Hugepagesize");
	if (total < 0)
		add(c, "hugepages", VFMGR_CHECK_WARN,
		    "cannot read %s/proc/meminfo; check hugepages by hand", ctx->root);
	else if (total == 0)
		add(c, "hugepages", VFMGR_CHECK_WARN,
		    "no hugepages reserved: DPDK guests and vfio memory pinning work "
		    "better with them; set vm.nr_hugepages (sysctl) or hugepages= on the kernel command line");
	else
		add(c, "hugepages", VFMGR_CHECK_OK, "%ld hugepages of %ld kB, %ld free", total,
		    size, freep);

	if (!conf)
		return (int)c->n_fail;
	r = vfmgr_discover(ctx, &h);
	if (r < 0) {
		if ((ck = add(c, "discovery", VFMGR_CHECK_FAIL, "%s", vfmgr_errmsg())))
			ck->code = VFMGR_EXIT_FAILED;
		return (int)c->n_fail;
	}
	for (unsigned int i = 0; i < conf->n_pfs; i++) {
		const struct vfmgr_pf_conf *pc = &conf->pfs[i];
		char name[48];
		snprintf(name, sizeof(name), "pf %s", pc->id);
		struct vfmgr_pf *pf = pc->bdf[0] ? vfmgr_host_find_pf(h, pc->bdf) : NULL;
		if (!pf) {
			if ((ck = add(c, name, VFMGR_CHECK_FAIL,
				      "%s:%u: PF %s not found or not SR-IOV capable (no "
				      "sriov_totalvfs); check the address with lspci -D",
				      conf->path, pc->line, pc->bdf[0] ? pc->bdf : pc->id)))
				ck->code = VFMGR_EXIT_NOTFOUND;
			continue;
		}
		if (pc->numvfs > pf->totalvfs) {
			if ((ck = add(c, name, VFMGR_CHECK_FAIL,
				      "%s:%u: numvfs %u exceeds sriov_totalvfs %u of PF %s; "
				      "lower numvfs",
				      conf->path, pc->line, pc->numvfs, pf->totalvfs, pf->bdf)))
				ck->code = VFMGR_EXIT_USAGE;
			continue;
		}
		if (!pf->driver[0] && pc->numvfs) {
			add(c, name, VFMGR_CHECK_FAIL,
			    "PF %s has no driver: the kernel cannot create VFs (ENOENT); bind it "
			    "to its network driver or pci-pf-stub",
			    pf->bdf);
			continue;
		}
		add(c, name, VFMGR_CHECK_OK,
		    "PF %s (%04x:%04x, driver %s, node %d): %u of %u VFs, %u wanted", pf->bdf,
		    pf->vendor, pf->device, pf->driver, pf->numa_node, pf->numvfs, pf->totalvfs,
		    pc->numvfs);
		/* what apply would take from the host: every VF when the count changes (the kernel
		 * goes through 0), else the VFs it rebinds to vfio-pci */
		bool vfio = !strcmp(pc->driver, "vfio-pci");
		bool count_change = pc->numvfs != pf->numvfs || pf->n_vfs != pf->numvfs;
		for (unsigned int j = 0; j < pf->n_vfs; j++) {
			const struct vfmgr_vf *vf = &pf->vfs[j];
			if (!vf->host_use[0] || !(count_change || (vfio && vf->index < pc->numvfs)))
				continue;
			snprintf(name, sizeof(name), "host use %s", vf->bdf);
			if ((ck = add(c, name, VFMGR_CHECK_FAIL,
				      "VF %s (pf %s vf %u, driver %s) is in use by the host: %s; "
				      "apply would %s it: release it first, or apply --force",
				      vf->bdf, pf->bdf, vf->index, vf->driver, vf->host_use,
				      count_change ? "destroy" : "unbind")))
				ck->code = VFMGR_EXIT_BUSY;
		}
		if (!vfio || !pc->numvfs)
			continue;
		if (pf->n_vfs == 0) {
			snprintf(name, sizeof(name), "group %s", pf->bdf);
			if (vfmgr_pf_group_predict(ctx, pf) < 0)
				add(c, name, VFMGR_CHECK_FAIL, "%s", vfmgr_errmsg());
			else
				add(c, name, VFMGR_CHECK_OK,
				    "PF %s alone in IOMMU group %d: its VFs can get their own",
				    pf->bdf, pf->iommu_group);
		}
		for (unsigned int j = 0; j < pf->n_vfs; j++) {
			snprintf(name, sizeof(name), "group %s", pf->vfs[j].bdf);
			if (vfmgr_vf_group_check(ctx, pf->bdf, pf->vfs[j].index) < 0)
				add(c, name, VFMGR_CHECK_FAIL, "%s", vfmgr_errmsg());
			else
				add(c, name, VFMGR_CHECK_OK,
				    "VF %s (pf %s vf %u) alone in IOMMU group %d", pf->vfs[j].bdf,
				    pf->bdf, pf->vfs[j].index, pf->vfs[j].iommu_group);
		}
	}
	vfmgr_host_free(h);
	return (int)c->n_fail;
}

void vfmgr_checks_free(struct vfmgr_checks *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}
