/* SPDX-License-Identifier: BSD-3-Clause */
/* Pre-flight: IOMMU present/absent/no-IOMMU mode, vfio-pci, hugepages, IOMMU group viability. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"

static const struct vfmgr_check *find(const struct vfmgr_checks *c, const char *name)
{
	for (unsigned i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

static void test_all_ok(void **state)
{
	struct fx *f = fx_new(NULL, false);
	struct vfmgr_checks c;

	(void)state;
	assert_non_null(f);
	assert_int_equal(vfmgr_iommu_check(f->ctx), 1);
	assert_int_equal(vfmgr_preflight(f->ctx, NULL, &c), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(find(&c, "iommu")->status, VFMGR_CHECK_OK);
	assert_string_equal(find(&c, "iommu")->msg, "IOMMU active (1 IOMMU units, 4 groups)");
	assert_int_equal(find(&c, "vfio-pci")->status, VFMGR_CHECK_OK);
	assert_string_equal(find(&c, "hugepages")->msg, "512 hugepages of 2048 kB, 512 free");
	vfmgr_checks_free(&c);

	/* hugepages gone, vfio-pci unloaded */
	fx_run("sed -i 's/^HugePages_Total:.*/HugePages_Total: 0/' '%s/proc/meminfo'", f->root);
	fx_run("rm -rf '%s/sys/bus/pci/drivers/vfio-pci'", f->root);
	assert_int_equal(vfmgr_preflight(f->ctx, NULL, &c), 1);
	assert_int_equal(find(&c, "hugepages")->status, VFMGR_CHECK_WARN);
	assert_non_null(strstr(find(&c, "hugepages")->msg, "set vm.nr_hugepages"));
	assert_int_equal(find(&c, "vfio-pci")->status, VFMGR_CHECK_FAIL);
	assert_non_null(
		strstr(find(&c, "vfio-pci")->msg, "module present): run modprobe vfio-pci"));
	vfmgr_checks_free(&c);
	fx_free(f);
}

static void test_no_iommu(void **state)
{
	struct fx *f = fx_new("--no-iommu", false);
	struct vfmgr_checks c;
	struct vfmgr_conf *conf;
	char want[1024];

	(void)state;
	assert_non_null(f);
	assert_int_equal(vfmgr_iommu_check(f->ctx), -ENODEV);
	snprintf(
		want, sizeof(want),
		"no IOMMU is active (%s/sys/class/iommu and %s/sys/kernel/iommu_groups are empty): "
		"enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on (or amd_iommu=on) iommu=pt",
		f->root, f->root);
	assert_string_equal(vfmgr_errmsg(), want);
	assert_int_equal(vfmgr_preflight(f->ctx, NULL, &c), 1);
	assert_int_equal(find(&c, "iommu")->status, VFMGR_CHECK_FAIL);
	assert_string_equal(find(&c, "iommu")->msg, want);
	vfmgr_checks_free(&c);
	/* apply refuses and touches nothing */
	fx_clear_log(f);
	conf = fx_conf("[pf \"0000:3b:00.0\"]\nnumvfs = 2\n");
	assert_int_equal(vfmgr_apply(f->ctx, conf, 0), -ENODEV);
	assert_non_null(strstr(vfmgr_errmsg(), "; nothing applied"));
	assert_string_equal(fx_read(f, "/sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs"), "0");
	assert_string_equal(fx_log(f), "");
	vfmgr_conf_free(conf);
	fx_free(f);
}

static void test_noiommu_mode(void **state)
{
	struct fx *f = fx_new("--noiommu-mode", false);
	struct vfmgr_checks c;

	(void)state;
	assert_non_null(f);
	assert_int_equal(vfmgr_iommu_check(f->ctx), -ENODEV);
	assert_non_null(strstr(vfmgr_errmsg(), "VFIO runs in unsafe no-IOMMU mode"));
	assert_non_null(strstr(vfmgr_errmsg(), "pass the explicit unsafe no-IOMMU flag"));
	fx_free(f);

	f = fx_new("--noiommu-mode", true); /* explicit unsafe flag */
	assert_non_null(f);
	assert_int_equal(vfmgr_iommu_check(f->ctx), 0);
	assert_int_equal(vfmgr_preflight(f->ctx, NULL, &c), 0);
	assert_int_equal(find(&c, "iommu")->status, VFMGR_CHECK_WARN);
	vfmgr_checks_free(&c);
	fx_free(f);

	f = fx_new("--no-iommu", true); /* the flag does not invent an IOMMU either */
	assert_non_null(f);
	assert_int_equal(vfmgr_iommu_check(f->ctx), -ENODEV);
	fx_free(f);
}

static void test_shared_group(void **state)
{
	struct fx *f = fx_new(NULL, false);
	struct vfmgr_checks c;
	struct vfmgr_conf *conf;

	(void)state;
	assert_non_null(f);
	assert_int_equal(vfmgr_sriov_set_numvfs(f->ctx, "0000:5e:00.0", 2, true, 0), 0);
	assert_int_equal(vfmgr_vf_group_check(f->ctx, "0000:5e:00.0", 1),
			 -EXDEV); /* exit 3, as check */
	assert_string_equal(
		vfmgr_errmsg(),
		"VF 0000:5e:00.2 (pf 0000:5e:00.0 vf 1) shares IOMMU group 30 with "
		"0000:5e:00.0 0000:5e:00.1: each VF needs its own group (ACS on the path); "
		"refusing");
	assert_int_equal(vfmgr_vf_group_check(f->ctx, "0000:5e:00.0", 2), -ENOENT);

	conf = fx_conf("[pf \"0000:5e:00.0\"]\nnumvfs = 2\n[pf \"0000:3b:00.0\"]\nnumvfs = 9\n");
	assert_int_equal(vfmgr_preflight(f->ctx, conf, &c), 3);
	assert_int_equal(find(&c, "group 0000:5e:00.1")->status, VFMGR_CHECK_FAIL);
	assert_non_null(strstr(find(&c, "group 0000:5e:00.1")->msg,
			       "shares IOMMU group 30 with 0000:5e:00.0 "
			       "0000:5e:00.2"));
	assert_int_equal(find(&c, "pf 0000:3b:00.0")->status, VFMGR_CHECK_FAIL);
	assert_string_equal(find(&c, "pf 0000:3b:00.0")->msg,
			    "test.conf:3: numvfs 9 exceeds sriov_totalvfs 8 of PF "
			    "0000:3b:00.0; lower numvfs");
	vfmgr_checks_free(&c);
	vfmgr_conf_free(conf);

	/* apply refuses to hand a shared-group VF to vfio-pci and rolls the PF back */
	assert_int_equal(vfmgr_sriov_set_numvfs(f->ctx, "0000:5e:00.0", 0, false, 0), 0);
	conf = fx_conf("[pf \"0000:5e:00.0\"]\nnumvfs = 2\n");
	assert_int_equal(vfmgr_apply(f->ctx, conf, 0), -EXDEV); /* exit 3, as check and assign */
	assert_non_null(strstr(vfmgr_errmsg(),
			       "VF 0000:5e:00.1 (pf 0000:5e:00.0 vf 0) shares IOMMU group 30 with "
			       "0000:5e:00.0 0000:5e:00.2"));
	assert_string_equal(fx_read(f, "/sys/bus/pci/devices/0000:5e:00.0/sriov_numvfs"), "0");
	assert_string_equal(fx_driver(f, "0000:5e:00.0"), "pci-pf-stub");
	vfmgr_conf_free(conf);
	fx_free(f);
}

static void test_bridge_excepted(void **state)
{
	struct fx *f = fx_new(NULL, false);
	char vf[VFMGR_BDF_LEN];
	int g;

	(void)state;
	assert_non_null(f);
	assert_int_equal(vfmgr_sriov_set_numvfs(f->ctx, "0000:3b:00.0", 1, true, 0), 0);
	assert_int_equal(vfmgr_sriov_vf_bdf(f->ctx, "0000:3b:00.0", 0, vf), 0);
	g = vfmgr_dev_iommu_group(f->ctx, vf);
	assert_true(g >= 0);
	assert_int_equal(vfmgr_vf_group_check(f->ctx, "0000:3b:00.0", 0), 0);
	/* a PCI bridge in the group does not make it non-viable (drivers/vfio/vfio.c) */
	fx_run("ln -s '%s/sys/devices/pci0000:00/0000:00:03.0' '%s/sys/kernel/iommu_groups/%d/devices/0000:00:03.0'",
	       f->root, f->root, g);
	assert_int_equal(vfmgr_vf_group_check(f->ctx, "0000:3b:00.0", 0), 0);
	/* ... but an endpoint does */
	fx_run("ln -s '%s/sys/devices/pci0000:00/0000:86:00.0' '%s/sys/kernel/iommu_groups/%d/devices/0000:86:00.0'",
	       f->root, f->root, g);
	assert_int_equal(vfmgr_vf_group_check(f->ctx, "0000:3b:00.0", 0), -EXDEV);
	char want[256];
	snprintf(want, sizeof(want),
		 "VF 0000:3b:02.0 (pf 0000:3b:00.0 vf 0) shares IOMMU group %d with 0000:86:00.0: "
		 "each VF needs its own group (ACS on the path); refusing",
		 g);
	assert_string_equal(vfmgr_errmsg(), want);
	/* fakesys: /dev/vfio/<g> only while every non-bridge device is on vfio-pci */
	assert_int_equal(vfmgr_dev_bind(f->ctx, vf, "vfio-pci"), -ENODEV);
	assert_non_null(strstr(vfmgr_errmsg(), "every device of IOMMU group"));
	assert_string_equal(fx_driver(f, vf), ""); /* rolled back to no driver */
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_ok),		cmocka_unit_test(test_no_iommu),
		cmocka_unit_test(test_noiommu_mode),	cmocka_unit_test(test_shared_group),
		cmocka_unit_test(test_bridge_excepted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
