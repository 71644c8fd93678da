/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Driver binding the driverctl/libvirt way (drivers/base/bus.c bind/unbind/
 * drivers_probe, drivers/pci/pci-sysfs.c driver_override), with rollback.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfmgr_priv.h"

int vfmgr_dev_unbind(const struct vfmgr_ctx *ctx, const char *bdf)
{
	char drv[VFMGR_DRV_LEN], p[PATH_MAX];
	int r = vfmgr_dev_driver(ctx, bdf, drv, sizeof(drv));

	if (r < 0)
		return r;
	if (!drv[0])
		return 0;
	snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/unbind", drv);
	r = vfmgr_sysfs_write_path(ctx, p, bdf);
	if (r < 0)
		return r;
	r = vfmgr_dev_driver(ctx, bdf, drv, sizeof(drv));
	if (r == 0 && drv[0])
		return vfmgr_set_error(EIO, "device %s still bound to %s after unbind", bdf, drv);
	return r;
}

static int wait_driver(const struct vfmgr_ctx *ctx, const char *bdf, const char *want)
{
	uint64_t deadline = vfmgr_now_ms() + ctx->wait_ms;
	char drv[VFMGR_DRV_LEN];

	for (;;) {
		if (vfmgr_dev_driver(ctx, bdf, drv, sizeof(drv)) == 0 && strcmp(drv, want) == 0)
			return 0;
		if (vfmgr_now_ms() >= deadline)
			break;
		vfmgr_sleep_ms(10);
	}
	if (drv[0])
		return vfmgr_set_error(EIO, "device %s: driver is %s, not %s, after drivers_probe",
				       bdf, drv, want);
	return vfmgr_set_error(
		ETIMEDOUT,
		"device %s: no driver bound within %u ms after drivers_probe (wanted %s)", bdf,
		ctx->wait_ms, want);
}

static int check_vfio_node(const struct vfmgr_ctx *ctx, const char *bdf)
{
	struct stat st;
	char p[PATH_MAX];
	int g = vfmgr_dev_iommu_group(ctx, bdf);
	uint64_t deadline = vfmgr_now_ms() + ctx->wait_ms;

	if (g < 0)
		return vfmgr_set_error(
			ENODEV, "device %s has no IOMMU group: enable the IOMMU (intel_iommu=on)",
			bdf);
	vfmgr_path(ctx, p, sizeof(p), "/dev/vfio/%d", g);
	/* stat(), not access(): access() on a device node is checked by the device cgroup, so
	 * under vfmgrd.service's DevicePolicy=closed it fails with EPERM for a node that exists
	 * (found on the QEMU test bed under systemd). stat() never touches the device. */
	while (stat(p, &st) < 0) {
		if (vfmgr_now_ms() >= deadline)
			return vfmgr_set_error(
				ENODEV,
				"device %s bound to vfio-pci but %s is missing: every device of IOMMU "
				"group %d must be bound to vfio-pci",
				bdf, p, g);
		vfmgr_sleep_ms(10);
	}
	return 0;
}

/* Put the device back on prev (may be ""), clearing the override. Best effort. */
static void rollback(const struct vfmgr_ctx *ctx, const char *bdf, const char *prev,
		     const char *prev_override)
{
	char p[PATH_MAX], msg[VFMGR_ERRMSG_LEN];

	snprintf(msg, sizeof(msg), "%s", vfmgr_errmsg());
	vfmgr_dev_unbind(ctx, bdf);
	vfmgr_sysfs_write(ctx, bdf, "driver_override", prev_override[0] ? prev_override : "\n");
	if (prev[0]) {
		snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/bind", prev);
		if (vfmgr_sysfs_write_path(ctx, p, bdf) < 0)
			vfmgr_log(VFMGR_LOG_WARNING, "rollback of %s to %s failed: %s", bdf, prev,
				  vfmgr_errmsg());
	}
	vfmgr_set_error(EIO, "%s", msg);
	vfmgr_log(VFMGR_LOG_WARNING, "device %s rolled back to %s", bdf,
		  prev[0] ? prev : "no driver");
}

int vfmgr_dev_bind(const struct vfmgr_ctx *ctx, const char *bdf, const char *driver)
{
	char prev[VFMGR_DRV_LEN], ovr[VFMGR_DRV_LEN] = "", p[PATH_MAX], val[VFMGR_DRV_LEN + 2];
	int r, e;

	vfmgr_path(ctx, p, sizeof(p), "/sys/bus/pci/drivers/%s", driver);
	if (access(p, F_OK) < 0)
		return vfmgr_set_error(ENOENT,
				       "driver %s is not loaded (%s missing): run modprobe %s",
				       driver, p, driver);
	r = vfmgr_dev_driver(ctx, bdf, prev, sizeof(prev));
	if (r < 0)
		return r;
	if (vfmgr_sysfs_read(ctx, bdf, "driver_override", ovr, sizeof(ovr)) < 0 ||
	    !strcmp(ovr, "(null)"))
		ovr[0] = '\0';
	if (!strcmp(prev, driver)) {
		if (strcmp(ovr, driver)) {
			r = vfmgr_sysfs_write(ctx, bdf, "driver_override", driver);
			if (r < 0)
				return r;
		}
		return strcmp(driver, "vfio-pci") ? 0 : check_vfio_node(ctx, bdf);
	}
	if (prev[0]) {
		snprintf(p, sizeof(p), "/sys/bus/pci/drivers/%s/unbind", prev);
		r = vfmgr_sysfs_write_path(ctx, p, bdf);
		if (r < 0)
			goto fail;
	}
	snprintf(val, sizeof(val), "%s", driver);
	r = vfmgr_sysfs_write(ctx, bdf, "driver_override", val);
	if (r < 0)
		goto fail;
	r = vfmgr_sysfs_write_path(ctx, "/sys/bus/pci/drivers_probe", bdf);
	if (r < 0)
		goto fail;
	r = wait_driver(ctx, bdf, driver);
	if (r < 0)
		goto fail;
	if (!strcmp(driver, "vfio-pci")) {
		r = check_vfio_node(ctx, bdf);
		if (r < 0)
			goto fail;
	}
	vfmgr_log(VFMGR_LOG_INFO, "device %s bound to %s (was %s)", bdf, driver,
		  prev[0] ? prev : "unbound");
	return 0;
fail:
	e = r;
	rollback(ctx, bdf, prev, ovr);
	return vfmgr_set_error(-e, "binding %s to %s failed: %s; rolled back to %s", bdf, driver,
			       vfmgr_errmsg(), prev[0] ? prev : "no driver");
}

int vfmgr_dev_bind_host(const struct vfmgr_ctx *ctx, const char *bdf)
{
	int r = vfmgr_dev_unbind(ctx, bdf);

	if (r < 0)
		return r;
	r = vfmgr_sysfs_write(ctx, bdf, "driver_override", "\n");
	if (r < 0)
		return r;
	return vfmgr_sysfs_write_path(ctx, "/sys/bus/pci/drivers_probe", bdf);
}
