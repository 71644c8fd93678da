/* SPDX-License-Identifier: BSD-3-Clause */
/* Discovery on the fakesys fixture: PFs, VFs, groups and members, NUMA, netdev, permanent MAC, owners. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "fixture.h"

static int setup(void **state)
{
	*state = fx_new(NULL, false);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

static void test_pfs(void **state)
{
	struct fx *f = *state;
	struct vfmgr_host *h;

	assert_int_equal(vfmgr_discover(f->ctx, &h), 0);
	assert_int_equal(h->n_pfs, 3);
	assert_string_equal(h->pfs[0].bdf, "0000:3b:00.0");
	assert_string_equal(h->pfs[1].bdf, "0000:5e:00.0");
	assert_string_equal(h->pfs[2].bdf, "0000:86:00.0");
	const struct vfmgr_pf *a = &h->pfs[0], *c = &h->pfs[1], *b = &h->pfs[2];
	assert_int_equal(a->vendor, 0x8086);
	assert_int_equal(a->device, 0x1572);
	assert_string_equal(a->driver, "i40e");
	assert_int_equal(a->numa_node, 0);
	assert_int_equal(b->numa_node, 1);
	assert_int_equal(a->iommu_group, 10);
	assert_string_equal(a->netdev, "ens1f0");
	assert_true(a->has_perm_mac);
	uint8_t mac[6] = { 0x3c, 0xfd, 0xfe, 0, 0, 0xa0 };
	assert_memory_equal(a->perm_mac, mac, 6);
	assert_int_equal(a->totalvfs, 8);
	assert_int_equal(a->numvfs, 0);
	assert_int_equal(a->autoprobe, 1);
	assert_int_equal(a->n_vfs, 0);
	assert_string_equal(c->driver, "pci-pf-stub");
	assert_string_equal(c->netdev, "");
	assert_false(c->has_perm_mac);
	assert_int_equal(c->totalvfs, 4);
	assert_null(vfmgr_host_find_pf(h, "0000:00:03.0")); /* the bridge is no PF */
	vfmgr_host_free(h);
}

static void test_vfs(void **state)
{
	struct fx *f = *state;
	struct vfmgr_host *h;

	assert_int_equal(vfmgr_sriov_set_numvfs(f->ctx, "0000:3b:00.0", 3, true, 0), 0);
	assert_int_equal(vfmgr_sriov_set_numvfs(f->ctx, "0000:5e:00.0", 2, true, 0), 0);
	assert_int_equal(vfmgr_owner_set(f->ctx, "0000:3b:00.0", 1, "guest-a"), 0);
	assert_int_equal(vfmgr_discover(f->ctx, &h), 0);
	const struct vfmgr_pf *a = vfmgr_host_find_pf(h, "0000:3b:00.0");
	assert_non_null(a);
	assert_int_equal(a->numvfs, 3);
	assert_int_equal(a->autoprobe, 0);
	assert_int_equal(a->n_vfs, 3);
	for (unsigned i = 0; i < 3; i++) {
		const struct vfmgr_vf *v = &a->vfs[i];
		char want[16];
		snprintf(want, sizeof(want), "0000:3b:02.%u", i); /* offset 16, stride 1 */
		assert_string_equal(v->bdf, want);
		assert_string_equal(v->pf_bdf, "0000:3b:00.0");
		assert_int_equal(v->index, i);
		assert_int_equal(v->vendor, 0x8086);
		assert_int_equal(v->device, 0x154c);
		assert_string_equal(v->driver, ""); /* autoprobe was 0 */
		assert_int_equal(v->numa_node, 0);
		assert_true(v->iommu_group >= 0);
		assert_int_not_equal(v->iommu_group, 10);
		assert_int_equal(v->n_group_members, 1);
		assert_string_equal(v->group_members[0], v->bdf);
		assert_false(v->vfio_dev);
		assert_false(v->attrs_known); /* fixture: no netlink */
		assert_string_equal(v->owner, i == 1 ? "guest-a" : "");
	}
	assert_ptr_equal(vfmgr_host_find_vf(h, "0000:3b:00.0", 2), &a->vfs[2]);
	assert_ptr_equal(vfmgr_host_find_vf_bdf(h, "0000:3b:02.1"), &a->vfs[1]);
	assert_null(vfmgr_host_find_vf(h, "0000:3b:00.0", 3));
	const struct vfmgr_vf *s = vfmgr_host_find_vf(h, "0000:5e:00.0", 1);
	assert_non_null(s);
	assert_string_equal(s->bdf, "0000:5e:00.2");
	assert_int_equal(s->iommu_group, 30);
	assert_int_equal(s->n_group_members, 3);
	assert_string_equal(s->group_members[0], "0000:5e:00.0");
	assert_string_equal(s->group_members[1], "0000:5e:00.1");
	assert_string_equal(s->group_members[2], "0000:5e:00.2");

	json_t *j = vfmgr_host_to_json(h);
	assert_non_null(j);
	json_t *vf1 = json_array_get(
		json_object_get(json_array_get(json_object_get(j, "pfs"), 0), "vfs"), 1);
	assert_string_equal(json_string_value(json_object_get(vf1, "bdf")), "0000:3b:02.1");
	assert_string_equal(json_string_value(json_object_get(vf1, "owner")), "guest-a");
	assert_true(json_is_null(json_object_get(vf1, "attrs")));
	json_decref(j);
	vfmgr_host_free(h);
	assert_int_equal(vfmgr_owner_clear(f->ctx, "0000:3b:00.0", 1, NULL), 0);
}

static void test_resolve(void **state)
{
	struct fx *f = *state;
	struct vfmgr_conf *c = fx_conf("[pf \"3c:fd:fe:00:00:b0\"]\nnumvfs = 1\n");

	assert_non_null(c);
	assert_int_equal(vfmgr_conf_resolve(f->ctx, c), 0);
	assert_string_equal(c->pfs[0].bdf, "0000:86:00.0");
	vfmgr_conf_free(c);

	c = fx_conf("[pf \"0000:86:00.0\"]\nnumvfs = 1\n[pf \"3c:fd:fe:00:00:b0\"]\nnumvfs = 2\n");
	assert_int_equal(vfmgr_conf_resolve(f->ctx, c), -EEXIST);
	assert_string_equal(vfmgr_errmsg(),
			    "test.conf:3: [pf \"3c:fd:fe:00:00:b0\"] is PF 0000:86:00.0, already "
			    "configured at line 1");
	vfmgr_conf_free(c);

	c = fx_conf("\n[pf \"3c:fd:fe:00:00:ff\"]\nnumvfs = 1\n");
	assert_int_equal(vfmgr_conf_resolve(f->ctx, c), -ENODEV);
	assert_string_equal(
		vfmgr_errmsg(),
		"test.conf:2: no SR-IOV PF has permanent MAC 3c:fd:fe:00:00:ff; check the "
		"MAC (ethtool -P <if>) or name the PF by PCI address");
	vfmgr_conf_free(c);

	/* a random (not permanent) address does not identify the PF */
	fx_run("echo 1 > '%s/sys/bus/pci/devices/0000:86:00.0/net/ens2f0/addr_assign_type'",
	       f->root);
	c = fx_conf("[pf \"3c:fd:fe:00:00:b0\"]\nnumvfs = 1\n");
	assert_int_equal(vfmgr_conf_resolve(f->ctx, c), -ENODEV);
	vfmgr_conf_free(c);
	fx_run("echo 0 > '%s/sys/bus/pci/devices/0000:86:00.0/net/ens2f0/addr_assign_type'",
	       f->root);
}

static void test_missing_root(void **state)
{
	struct vfmgr_opts o = { .root = "/nonexistent-vfmgr-root",
				.state_dir = ((struct fx *)*state)->state };
	struct vfmgr_ctx *ctx;
	struct vfmgr_host *h = NULL;

	assert_int_equal(vfmgr_ctx_new(&o, &ctx), 0);
	assert_int_equal(vfmgr_discover(ctx, &h), -ENOENT);
	assert_null(h);
	assert_string_equal(
		vfmgr_errmsg(),
		"cannot list /nonexistent-vfmgr-root/sys/bus/pci/devices: No such file or "
		"directory");
	vfmgr_ctx_free(ctx);
}

/*
 * nvme native multipath (Debian's kernel: CONFIG_NVME_MULTIPATH=y), as the test bed's real
 * kernel lays it out: the VF's controller nvme1 holds only the hidden path nvme0c1n2; the
 * disk users mount and open is the head /sys/block/nvme0n2 (under the subsystem). Regression
 * (#14, found on the test bed): the head's mount and opener were not seen, so apply and
 * assign took a VF whose filesystem was mounted.
 */
static void test_host_use_nvme_multipath(void **state)
{
	struct fx *f = *state;
	const char *vf = "0000:3b:02.0";
	char why[1024], devs[256];

	assert_int_equal(vfmgr_sriov_set_numvfs(f->ctx, "0000:3b:00.0", 1, true, 0), 0);
	assert_int_equal(
		fx_run("set -e; r='%s'; c=$r/sys/bus/pci/devices/%s/nvme/nvme1; "
		       "mkdir -p $c/nvme0c1n2/holders $r/sys/class/nvme $r/proc/self $r/proc/4343/fd; "
		       "echo 259:3 >$c/nvme0c1n2/dev; ln -sfn $c $r/sys/class/nvme/nvme1; "
		       "h=$r/sys/devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n2; "
		       "mkdir -p $h/holders $h/nvme0n2p1/holders $r/sys/block; echo 259:7 >$h/dev; "
		       "echo 259:8 >$h/nvme0n2p1/dev; ln -sfn $h $r/sys/block/nvme0n2; "
		       "echo '36 25 259:8 / /srv/vf rw,relatime shared:1 - ext4 /dev/nvme0n2p1 rw' "
		       ">$r/proc/self/mountinfo",
		       f->root, vf),
		0);
	/* the VF's path is the only one: the head's mounted partition is the VF's */
	assert_int_equal(
		vfmgr_dev_host_use(f->ctx, vf, "nvme", why, sizeof(why), devs, sizeof(devs)), 1);
	assert_non_null(strstr(why, "/dev/nvme0n2p1 is mounted on /srv/vf (umount /srv/vf)"));
	assert_non_null(strstr(devs, "nvme0n2"));
	/* opened by a process instead of mounted */
	assert_int_equal(fx_run("r='%s'; : >$r/proc/self/mountinfo; ln -sfn /dev/nvme0n2 "
				"$r/proc/4343/fd/3",
				f->root),
			 0);
	assert_int_equal(
		vfmgr_dev_host_use(f->ctx, vf, "nvme", why, sizeof(why), devs, sizeof(devs)), 1);
	assert_non_null(strstr(why, "/dev/nvme0n2 is open by pid 4343"));
	/* a second path (the PF's controller nvme0): the namespace outlives the VF's unbind */
	assert_int_equal(
		fx_run("r='%s'; mkdir -p $r/sys/class/nvme/nvme0/nvme0c0n2/holders", f->root), 0);
	assert_int_equal(
		vfmgr_dev_host_use(f->ctx, vf, "nvme", why, sizeof(why), devs, sizeof(devs)), 0);
	assert_string_equal(why, "");
	assert_string_equal(devs, ""); /* nothing users see disappears */
	assert_int_equal(
		fx_run("r='%s'; rm -rf $r/sys/class/nvme $r/sys/block $r/proc/4343 "
		       "$r/sys/devices/virtual/nvme-subsystem $r/sys/bus/pci/devices/%s/nvme",
		       f->root, vf),
		0);
	assert_int_equal(vfmgr_sriov_set_numvfs(f->ctx, "0000:3b:00.0", 0, true, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pfs),
		cmocka_unit_test(test_vfs),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_missing_root),
		cmocka_unit_test(test_host_use_nvme_multipath),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
