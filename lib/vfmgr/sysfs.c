/* SPDX-License-Identifier: BSD-3-Clause */
/* sysfs access under the root prefix (drivers/pci/pci-sysfs.c attributes). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vfmgr_priv.h"

int vfmgr_sysfs_read(const struct vfmgr_ctx *ctx, const char *bdf, const char *attr, char *buf,
		     size_t len)
{
	char p[PATH_MAX];
	int r;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	r = vfmgr_read_file(ctx, p, buf, len);
	if (r < 0)
		return vfmgr_set_error(-r, "cannot read %s%s: %s", ctx->root, p, strerror(-r));
	return r;
}

int vfmgr_sysfs_write_path(const struct vfmgr_ctx *ctx, const char *abspath, const char *val)
{
	char p[PATH_MAX], shown[64];
	size_t n = strlen(val);
	ssize_t w;
	int fd, e;

	if (vfmgr_path(ctx, p, sizeof(p), "%s", abspath) < 0)
		return vfmgr_set_error(ENAMETOOLONG, "path %s%s too long", ctx->root, abspath);
	snprintf(shown, sizeof(shown), "%s", val);
	if (n && shown[strlen(shown) - 1] == '\n')
		shown[strlen(shown) - 1] = '\0';
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return vfmgr_set_error(e, "cannot open %s for writing: %s", p, strerror(e));
	}
	/* sysfs: one write() per value; the store method's error comes back here. */
	w = write(fd, val, n);
	e = errno;
	close(fd);
	if (w < 0)
		return vfmgr_set_error(e, "writing '%s' to %s failed: %s", shown, p, strerror(e));
	if ((size_t)w != n)
		return vfmgr_set_error(EIO, "short write of '%s' to %s (%zd of %zu bytes)", shown,
				       p, w, n);
	vfmgr_log(VFMGR_LOG_DEBUG, "wrote '%s' to %s", shown, p);
	return 0;
}

int vfmgr_sysfs_write(const struct vfmgr_ctx *ctx, const char *bdf, const char *attr,
		      const char *val)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	return vfmgr_sysfs_write_path(ctx, p, val);
}

int vfmgr_dev_driver(const struct vfmgr_ctx *ctx, const char *bdf, char *buf, size_t len)
{
	char p[PATH_MAX], d[PATH_MAX];
	int r;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s", bdf);
	vfmgr_path(ctx, d, sizeof(d), "%s", p);
	if (access(d, F_OK) < 0)
		return vfmgr_set_error(ENOENT,
				       "PCI device %s not found under %s/sys/bus/pci/devices", bdf,
				       ctx->root);
	strcat(p, "/driver");
	r = vfmgr_read_link_base(ctx, p, buf, len);
	if (r == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	return r;
}

int vfmgr_dev_iommu_group(const struct vfmgr_ctx *ctx, const char *bdf)
{
	char p[PATH_MAX], b[32];
	int r;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	r = vfmgr_read_link_base(ctx, p, b, sizeof(b));
	if (r < 0)
		return r;
	return atoi(b);
}

int vfmgr_dev_numa_node(const struct vfmgr_ctx *ctx, const char *bdf)
{
	char p[PATH_MAX], b[32];

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/numa_node", bdf);
	if (vfmgr_read_file(ctx, p, b, sizeof(b)) <= 0)
		return -1;
	return atoi(b) < 0 ? -1 : atoi(b);
}
