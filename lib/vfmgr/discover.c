/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Discovery of SR-IOV PFs and their VFs from sysfs (under the root prefix):
 * a PF is a PCI device with sriov_totalvfs; its VFs are the virtfnN links.
 * VF attributes come from RTM_GETLINK on the PF netdev (real root only),
 * owners from the ownership state file.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <numa.h>

#include "vfmgr_priv.h"

static unsigned int read_hex(const struct vfmgr_ctx *ctx, const char *bdf, const char *attr)
{
	char p[PATH_MAX], b[32];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	if (vfmgr_read_file(ctx, p, b, sizeof(b)) <= 0)
		return 0;
	return (unsigned int)strtoul(b, NULL, 16);
}

static int read_int(const struct vfmgr_ctx *ctx, const char *bdf, const char *attr, int def)
{
	char p[PATH_MAX], b[32];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	if (vfmgr_read_file(ctx, p, b, sizeof(b)) <= 0)
		return def;
	return atoi(b);
}

/* First entry of <dev>/net/ */
static void read_netdev(const struct vfmgr_ctx *ctx, const char *bdf, char *out)
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d;

	out[0] = '\0';
	vfmgr_path(ctx, p, sizeof(p), "/sys/bus/pci/devices/%s/net", bdf);
	d = opendir(p);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(out, VFMGR_IFNAME_LEN, "%s", e->d_name);
			break;
		}
	closedir(d);
}

/*
 * One NUMA node? libnuma on the real host (numa_num_configured_nodes()), else the
 * fixture's /sys/devices/system/node/node<N> directories (what libnuma reads).
 */
static bool single_node(const struct vfmgr_ctx *ctx)
{
	char p[PATH_MAX];
	struct dirent *e;
	int n = 0;
	DIR *d;

	if (vfmgr_real_root(ctx) && numa_available() >= 0)
		return numa_num_configured_nodes() == 1;
	vfmgr_path(ctx, p, sizeof(p), "/sys/devices/system/node");
	d = opendir(p);
	if (!d)
		return false;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "node", 4) && e->d_name[4] >= '0' && e->d_name[4] <= '9')
			n++;
	closedir(d);
	return n == 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Fill group number and members. */
static void read_group(const struct vfmgr_ctx *ctx, const char *bdf, int *group, unsigned int *n,
		       char members[VFMGR_GROUP_MAX][VFMGR_BDF_LEN])
{
	char p[PATH_MAX];
	struct dirent *e;
	DIR *d;

	*n = 0;
	*group = vfmgr_dev_iommu_group(ctx, bdf);
	if (*group < 0) {
		*group = -1;
		return;
	}
	vfmgr_path(ctx, p, sizeof(p), "/sys/kernel/iommu_groups/%d/devices", *group);
	d = opendir(p);
	if (!d)
		return;
	while ((e = readdir(d)) && *n < VFMGR_GROUP_MAX)
		if (e->d_name[0] != '.')
			snprintf(members[(*n)++], VFMGR_BDF_LEN, "%s", e->d_name);
	closedir(d);
	qsort(members, *n, VFMGR_BDF_LEN, cmp_str);
}

static void read_perm_mac(const struct vfmgr_ctx *ctx, struct vfmgr_pf *pf)
{
	char p[PATH_MAX], b[64];

	pf->has_perm_mac = false;
	if (!pf->netdev[0])
		return;
	if (vfmgr_real_root(ctx) && vfmgr_nl_perm_addr(pf->netdev, pf->perm_mac) == 0) {
		pf->has_perm_mac = true;
		return;
	}
	/* addr_assign_type 0 = NET_ADDR_PERM: the current address is the permanent one */
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/net/%s/addr_assign_type", pf->bdf,
		 pf->netdev);
	if (vfmgr_read_file(ctx, p, b, sizeof(b)) > 0 && atoi(b) != 0)
		return;
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/net/%s/address", pf->bdf, pf->netdev);
	if (vfmgr_read_file(ctx, p, b, sizeof(b)) > 0 && vfmgr_parse_mac(b, pf->perm_mac) == 0)
		pf->has_perm_mac = true;
}

static int discover_pf(struct vfmgr_ctx *ctx, const char *bdf, struct vfmgr_pf *pf)
{
	char p[PATH_MAX];
	struct vfmgr_vf_attrs *attrs = NULL;
	unsigned int n_attrs = 0;

	memset(pf, 0, sizeof(*pf));
	snprintf(pf->bdf, sizeof(pf->bdf), "%s", bdf);
	pf->vendor = (uint16_t)read_hex(ctx, bdf, "vendor");
	pf->device = (uint16_t)read_hex(ctx, bdf, "device");
	vfmgr_dev_driver(ctx, bdf, pf->driver, sizeof(pf->driver));
	pf->numa_node = vfmgr_dev_numa_node(ctx, bdf);
	pf->iommu_group = vfmgr_dev_iommu_group(ctx, bdf);
	if (pf->iommu_group < 0)
		pf->iommu_group = -1;
	read_netdev(ctx, bdf, pf->netdev);
	read_perm_mac(ctx, pf);
	read_group(ctx, bdf, &pf->iommu_group, &pf->n_group_members, pf->group_members);
	pf->link_speed = -1;
	if (pf->netdev[0]) {
		char sp[32];
		/* what ethtool reports as Speed; -1 (SPEED_UNKNOWN) when the link is down */
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/net/%s/speed", bdf, pf->netdev);
		if (vfmgr_read_file(ctx, p, sp, sizeof(sp)) > 0 && atoi(sp) > 0)
			pf->link_speed = atoi(sp);
	}
	pf->totalvfs = (unsigned int)read_int(ctx, bdf, "sriov_totalvfs", 0);
	pf->numvfs = (unsigned int)read_int(ctx, bdf, "sriov_numvfs", 0);
	pf->autoprobe = read_int(ctx, bdf, "sriov_drivers_autoprobe", -1);

	/* count virtfnN links (consecutive) */
	unsigned int n = 0;
	for (;; n++) {
		vfmgr_path(ctx, p, sizeof(p), "/sys/bus/pci/devices/%s/virtfn%u", bdf, n);
		if (access(p, F_OK) < 0)
			break;
	}
	if (n) {
		pf->vfs = calloc(n, sizeof(*pf->vfs));
		if (!pf->vfs)
			return vfmgr_set_error(ENOMEM, "out of memory");
	}
	if (n && pf->netdev[0] && vfmgr_real_root(ctx)) {
		attrs = calloc(n, sizeof(*attrs));
		if (attrs && vfmgr_vf_get_attrs(pf->netdev, attrs, n, &n_attrs) < 0)
			n_attrs = 0;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct vfmgr_vf *vf = &pf->vfs[pf->n_vfs];
		char ovr[VFMGR_DRV_LEN];

		if (vfmgr_sriov_vf_bdf(ctx, bdf, i, vf->bdf) < 0)
			continue;
		snprintf(vf->pf_bdf, sizeof(vf->pf_bdf), "%s", bdf);
		vf->index = i;
		vf->vendor = (uint16_t)read_hex(ctx, vf->bdf, "vendor");
		vf->device = (uint16_t)read_hex(ctx, vf->bdf, "device");
		vfmgr_dev_driver(ctx, vf->bdf, vf->driver, sizeof(vf->driver));
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", vf->bdf);
		if (vfmgr_read_file(ctx, p, ovr, sizeof(ovr)) > 0 && strcmp(ovr, "(null)"))
			snprintf(vf->driver_override, sizeof(vf->driver_override), "%s", ovr);
		read_group(ctx, vf->bdf, &vf->iommu_group, &vf->n_group_members, vf->group_members);
		if (vf->iommu_group >= 0) {
			vfmgr_path(ctx, p, sizeof(p), "/dev/vfio/%d", vf->iommu_group);
			struct stat st;

			/* stat(), not access(): see check_vfio_node() in bind.c (device cgroup) */
			vf->vfio_dev = stat(p, &st) == 0;
		}
		vf->numa_node = vfmgr_dev_numa_node(ctx, vf->bdf);
		read_netdev(ctx, vf->bdf, vf->netdev);
		if (attrs && i < n_attrs) {
			vf->attrs_known = true;
			vf->attrs = attrs[i];
		}
		if (vf->numa_node < 0 && single_node(ctx)) {
			vf->numa_node = 0; /* one node: every device is local to it */
			vf->numa_assumed = true;
		}
		if (vfmgr_owner_get(ctx, bdf, i, vf->owner, sizeof(vf->owner)) < 0)
			vf->owner[0] = '\0';
		vfmgr_dev_host_use(ctx, vf->bdf, vf->driver, vf->host_use, sizeof(vf->host_use),
				   vf->host_devs, sizeof(vf->host_devs));
		pf->n_vfs++;
	}
	free(attrs);
	vfmgr_clear_error();
	return 0;
}

static int cmp_pf(const void *a, const void *b)
{
	return strcmp(((const struct vfmgr_pf *)a)->bdf, ((const struct vfmgr_pf *)b)->bdf);
}

int vfmgr_discover(struct vfmgr_ctx *ctx, struct vfmgr_host **out)
{
	char p[PATH_MAX], t[PATH_MAX];
	struct vfmgr_host *h;
	struct dirent *e;
	DIR *d;
	int r = 0;

	*out = NULL;
	vfmgr_path(ctx, p, sizeof(p), "/sys/bus/pci/devices");
	d = opendir(p);
	if (!d)
		return vfmgr_set_error(errno, "cannot list %s: %s", p, strerror(errno));
	h = calloc(1, sizeof(*h));
	if (!h) {
		closedir(d);
		return vfmgr_set_error(ENOMEM, "out of memory");
	}
	while ((e = readdir(d))) {
		char bdf[VFMGR_BDF_LEN];
		if (e->d_name[0] == '.' || vfmgr_parse_bdf(e->d_name, bdf) < 0)
			continue;
		snprintf(t, sizeof(t), "%s/%s/sriov_totalvfs", p, e->d_name);
		if (access(t, F_OK) < 0)
			continue;
		struct vfmgr_pf *np = realloc(h->pfs, (h->n_pfs + 1) * sizeof(*np));
		if (!np) {
			r = vfmgr_set_error(ENOMEM, "out of memory");
			break;
		}
		h->pfs = np;
		r = discover_pf(ctx, e->d_name, &h->pfs[h->n_pfs]);
		if (r < 0)
			break;
		h->n_pfs++;
	}
	closedir(d);
	if (r < 0) {
		vfmgr_host_free(h);
		return r;
	}
	if (h->n_pfs > 1)
		qsort(h->pfs, h->n_pfs, sizeof(*h->pfs), cmp_pf);
	*out = h;
	return 0;
}

void vfmgr_host_free(struct vfmgr_host *h)
{
	if (!h)
		return;
	for (unsigned int i = 0; i < h->n_pfs; i++)
		free(h->pfs[i].vfs);
	free(h->pfs);
	free(h);
}

struct vfmgr_pf *vfmgr_host_find_pf(const struct vfmgr_host *h, const char *bdf)
{
	for (unsigned int i = 0; i < h->n_pfs; i++)
		if (!strcmp(h->pfs[i].bdf, bdf))
			return &h->pfs[i];
	return NULL;
}

struct vfmgr_vf *vfmgr_host_find_vf(const struct vfmgr_host *h, const char *pf_bdf,
				    unsigned int index)
{
	struct vfmgr_pf *pf = vfmgr_host_find_pf(h, pf_bdf);

	if (!pf)
		return NULL;
	for (unsigned int i = 0; i < pf->n_vfs; i++)
		if (pf->vfs[i].index == index)
			return &pf->vfs[i];
	return NULL;
}

struct vfmgr_vf *vfmgr_host_find_vf_bdf(const struct vfmgr_host *h, const char *vf_bdf)
{
	for (unsigned int i = 0; i < h->n_pfs; i++)
		for (unsigned int j = 0; j < h->pfs[i].n_vfs; j++)
			if (!strcmp(h->pfs[i].vfs[j].bdf, vf_bdf))
				return &h->pfs[i].vfs[j];
	return NULL;
}

json_t *vfmgr_attrs_to_json(const struct vfmgr_vf_attrs *a)
{
	json_t *o = json_object();
	char mb[18];

	if (!o)
		return NULL;
	if (a->set & VFMGR_ATTR_MAC)
		json_object_set_new(o, "mac", json_string(vfmgr_format_mac(a->mac, mb)));
	if (a->set & VFMGR_ATTR_VLAN) {
		json_object_set_new(o, "vlan", json_integer(a->vlan));
		json_object_set_new(o, "qos", json_integer(a->qos));
		json_object_set_new(o, "vlan_proto",
				    json_string(a->vlan_proto == 0x88a8 ? "802.1ad" : "802.1Q"));
	}
	if (a->set & VFMGR_ATTR_SPOOFCHK)
		json_object_set_new(o, "spoofchk", json_boolean(a->spoofchk));
	if (a->set & VFMGR_ATTR_TRUST)
		json_object_set_new(o, "trust", json_boolean(a->trust));
	if (a->set & VFMGR_ATTR_LINK_STATE)
		json_object_set_new(o, "link_state",
				    json_string(vfmgr_link_state_name(a->link_state)));
	if (a->set & VFMGR_ATTR_RATE) {
		json_object_set_new(o, "min_rate", json_integer(a->min_rate));
		json_object_set_new(o, "max_rate", json_integer(a->max_rate));
	}
	return o;
}

json_t *vfmgr_host_to_json(const struct vfmgr_host *h)
{
	json_t *pfs = json_array();
	char mb[18], id[8];

	if (!pfs)
		return NULL;
	for (unsigned int i = 0; i < h->n_pfs; i++) {
		const struct vfmgr_pf *pf = &h->pfs[i];
		json_t *vfs = json_array();
		for (unsigned int j = 0; j < pf->n_vfs; j++) {
			const struct vfmgr_vf *vf = &pf->vfs[j];
			json_t *mem = json_array();
			for (unsigned int k = 0; k < vf->n_group_members; k++)
				json_array_append_new(mem, json_string(vf->group_members[k]));
			json_t *vj = json_pack(
				"{s:i, s:s, s:s, s:s, s:s, s:i, s:o, s:b, s:i, s:s, s:s, s:o}",
				"index", (int)vf->index, "bdf", vf->bdf, "vendor",
				(snprintf(id, sizeof(id), "%04x", vf->vendor), id), "device",
				(snprintf(mb, sizeof(mb), "%04x", vf->device), mb), "driver",
				vf->driver, "iommu_group", vf->iommu_group, "group_members", mem,
				"vfio_dev", vf->vfio_dev, "numa_node", vf->numa_node, "netdev",
				vf->netdev, "owner", vf->owner, "attrs",
				vf->attrs_known ? vfmgr_attrs_to_json(&vf->attrs) : json_null());
			/* libvirt's view and the host's: "held_by" a domain, "external" when held
			 * without an owner record; "host_use" why the host needs it. */
			json_object_set_new(vj, "held_by",
					    vf->held_by[0] ? json_string(vf->held_by) :
							     json_null());
			json_object_set_new(vj, "external",
					    json_boolean(vf->held_by[0] && !vf->owner[0]));
			json_object_set_new(vj, "host_use",
					    vf->host_use[0] ? json_string(vf->host_use) :
							      json_null());
			json_object_set_new(vj, "host_devs", json_string(vf->host_devs));
			if (vf->numa_assumed)
				json_object_set_new(
					vj, "numa_note",
					json_string("sysfs numa_node is -1 and the host has "
						    "one NUMA node: node 0 assumed"));
			json_array_append_new(vfs, vj);
		}
		char vend[8], dev[8];
		snprintf(vend, sizeof(vend), "%04x", pf->vendor);
		snprintf(dev, sizeof(dev), "%04x", pf->device);
		json_array_append_new(
			pfs,
			json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:s?, s:i, s:i, s:i, s:o}",
				  "bdf", pf->bdf, "vendor", vend, "device", dev, "driver",
				  pf->driver, "numa_node", pf->numa_node, "iommu_group",
				  pf->iommu_group, "netdev", pf->netdev, "perm_mac",
				  pf->has_perm_mac ? vfmgr_format_mac(pf->perm_mac, mb) : NULL,
				  "totalvfs", (int)pf->totalvfs, "numvfs", (int)pf->numvfs,
				  "autoprobe", pf->autoprobe, "vfs", vfs));
		json_t *pj = json_array_get(pfs, json_array_size(pfs) - 1), *gm = json_array();
		for (unsigned int k = 0; k < pf->n_group_members; k++)
			json_array_append_new(gm, json_string(pf->group_members[k]));
		json_object_set_new(pj, "group_members", gm);
		json_object_set_new(pj, "link_speed", json_integer(pf->link_speed));
	}
	return json_pack("{s:o}", "pfs", pfs);
}

int vfmgr_conf_resolve(struct vfmgr_ctx *ctx, struct vfmgr_conf *conf)
{
	struct vfmgr_host *h = NULL;
	int r = 0;
	char mb[18];

	for (unsigned int i = 0; i < conf->n_pfs; i++) {
		struct vfmgr_pf_conf *pc = &conf->pfs[i];
		if (!pc->by_mac)
			continue;
		if (!h && (r = vfmgr_discover(ctx, &h)) < 0)
			return r;
		pc->bdf[0] = '\0';
		for (unsigned int j = 0; j < h->n_pfs; j++)
			if (h->pfs[j].has_perm_mac && !memcmp(h->pfs[j].perm_mac, pc->perm_mac, 6))
				snprintf(pc->bdf, sizeof(pc->bdf), "%s", h->pfs[j].bdf);
		if (!pc->bdf[0]) {
			r = vfmgr_set_error(
				ENODEV,
				"%s:%u: no SR-IOV PF has permanent MAC %s; check the MAC "
				"(ethtool -P <if>) or name the PF by PCI address",
				conf->path, pc->line, vfmgr_format_mac(pc->perm_mac, mb));
			break;
		}
	}
	for (unsigned int i = 0; !r && i < conf->n_pfs; i++)
		for (unsigned int j = 0; j < i; j++)
			if (conf->pfs[i].bdf[0] && !strcmp(conf->pfs[i].bdf, conf->pfs[j].bdf)) {
				r = vfmgr_set_error(
					EEXIST,
					"%s:%u: [pf \"%s\"] is PF %s, already configured at line %u",
					conf->path, conf->pfs[i].line, conf->pfs[i].id,
					conf->pfs[i].bdf, conf->pfs[j].line);
				break;
			}
	vfmgr_host_free(h);
	return r;
}
