/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Plan and apply on the fakesys fixture, with the kernel's errors injected:
 * ERANGE, EBUSY, ENOENT, a hanging write, partial VF creation, a failing
 * probe. After each failure the PF is back in its previous state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "fixture.h"

#define PF "0000:3b:00.0"
#define PFDIR "/sys/bus/pci/devices/" PF

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

static int apply_text(struct fx *f, const char *text, unsigned flags)
{
	struct vfmgr_conf *c = fx_conf(text);
	int r;

	assert_non_null(c);
	r = vfmgr_apply(f->ctx, c, flags);
	vfmgr_conf_free(c);
	return r;
}

static void assert_vfs_on_vfio(struct fx *f, const char *pf, unsigned n)
{
	char vf[VFMGR_BDF_LEN], p[128];

	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(vfmgr_sriov_vf_bdf(f->ctx, pf, i, vf), 0);
		assert_string_equal(fx_driver(f, vf), "vfio-pci");
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", vf);
		assert_string_equal(fx_read(f, p), "vfio-pci");
		snprintf(p, sizeof(p), "/dev/vfio/%d", vfmgr_dev_iommu_group(f->ctx, vf));
		assert_true(fx_exists(f, p));
	}
	assert_int_equal(vfmgr_sriov_vf_bdf(f->ctx, pf, n, vf), -ENOENT);
}

/* position of needle in the fake-kernel log, or -1 */
static long logpos(struct fx *f, const char *needle)
{
	const char *l = fx_log(f), *p = strstr(l, needle);

	return p ? p - l : -1;
}

static void test_apply_create_and_bind(void **state)
{
	struct fx *f = *state;
	struct vfmgr_host *h;
	struct vfmgr_plan *pl;

	fx_clear_log(f);
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 4\n", 0), 0);
	assert_string_equal(fx_read(f, PFDIR "/sriov_numvfs"), "4");
	assert_string_equal(fx_read(f, PFDIR "/sriov_drivers_autoprobe"), "0");
	assert_vfs_on_vfio(f, PF, 4);
	/* kernel order: autoprobe off before VFs exist; VFs never touched by iavf */
	long ap = logpos(f, "sriov_drivers_autoprobe '0' -> ok"),
	     nv = logpos(f, "sriov_numvfs '4' -> ok");
	assert_true(ap >= 0 && nv > ap);
	assert_int_equal(logpos(f, "iavf"), -1);
	assert_true(logpos(f, "driver_override 'vfio-pci' -> ok") > nv);
	assert_true(logpos(f, "drivers_probe '0000:3b:02.3' -> ok") > nv);
	assert_int_equal(vfmgr_journal_pending(f->ctx), 0);

	/* idempotent: nothing left to do */
	struct vfmgr_conf *c = fx_conf("[pf \"" PF "\"]\nnumvfs = 4\n");
	assert_int_equal(vfmgr_discover(f->ctx, &h), 0);
	assert_int_equal(vfmgr_plan_build(f->ctx, c, h, 0, &pl), 0);
	assert_int_equal(pl->n, 0);
	vfmgr_plan_free(pl);
	vfmgr_host_free(h);
	vfmgr_conf_free(c);

	/* 4 -> 6 goes through 0 */
	c = fx_conf("[pf \"" PF "\"]\nnumvfs = 6\n");
	assert_int_equal(vfmgr_discover(f->ctx, &h), 0);
	assert_int_equal(vfmgr_plan_build(f->ctx, c, h, 0, &pl), 0);
	assert_int_equal(pl->n, 7); /* numvfs + 6 binds (autoprobe already 0) */
	assert_int_equal(pl->steps[0].kind, VFMGR_STEP_NUMVFS);
	assert_string_equal(
		pl->steps[0].text,
		"PF 0000:3b:00.0: sriov_numvfs 4 -> 6 (through 0: every VF is recreated)");
	assert_int_equal(pl->steps[6].kind, VFMGR_STEP_BIND);
	assert_string_equal(pl->steps[6].text, "PF 0000:3b:00.0 vf 5: bind to vfio-pci (was none)");
	json_t *j = vfmgr_plan_to_json(pl);
	assert_int_equal(json_array_size(j), 7);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "kind")),
			    "numvfs");
	json_decref(j);
	fx_clear_log(f);
	assert_int_equal(vfmgr_plan_apply(f->ctx, pl, 0), 0);
	assert_true(logpos(f, "sriov_numvfs '0' -> ok") >= 0);
	assert_true(logpos(f, "sriov_numvfs '6' -> ok") > logpos(f, "sriov_numvfs '0' -> ok"));
	assert_vfs_on_vfio(f, PF, 6);
	vfmgr_plan_free(pl);
	vfmgr_host_free(h);
	vfmgr_conf_free(c);

	/* back to 0 */
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 0\n", 0), 0);
	assert_string_equal(fx_read(f, PFDIR "/sriov_numvfs"), "0");
	assert_false(fx_exists(f, PFDIR "/virtfn0"));
	assert_false(fx_exists(f, "/sys/bus/pci/devices/0000:3b:02.0"));
}

static void test_owned_refused_unless_force(void **state)
{
	struct fx *f = *state;

	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 2\n", 0), 0);
	assert_int_equal(vfmgr_owner_set(f->ctx, PF, 1, "guest-b"), 0);
	fx_clear_log(f);
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 3\n", 0), -EBUSY);
	assert_string_equal(
		vfmgr_errmsg(),
		"test.conf:1: PF 0000:3b:00.0: changing numvfs 2 -> 3 destroys every VF "
		"(the kernel goes through 0) but vf 1 (guest-b) in use; release them first or "
		"use --force");
	assert_int_equal(logpos(f, "sriov_numvfs"), -1); /* nothing written */
	assert_int_equal(vfmgr_sriov_set_numvfs(f->ctx, PF, 3, true, 0), -EBUSY);
	assert_non_null(strstr(vfmgr_errmsg(), "vf 1 (guest-b) is assigned"));
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 3\n", VFMGR_F_FORCE), 0);
	assert_vfs_on_vfio(f, PF, 3);
	assert_int_equal(vfmgr_owner_clear(f->ctx, PF, 1, "guest-b"), 0);
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 0\n", 0), 0);
}

static void test_erange(void **state)
{
	struct fx *f = *state;

	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 9\n", 0), -ERANGE);
	assert_string_equal(
		vfmgr_errmsg(),
		"test.conf:1: numvfs 9 is impossible for PF 0000:3b:00.0: sriov_totalvfs is 8");
	assert_int_equal(vfmgr_sriov_set_numvfs(f->ctx, PF, 9, true, 0), -ERANGE);
	/* the fake kernel itself answers ERANGE from write() */
	assert_int_equal(vfmgr_sysfs_write(f->ctx, PF, "sriov_numvfs", "9"), -ERANGE);
	assert_non_null(strstr(vfmgr_errmsg(), "writing '9' to "));
	assert_non_null(
		strstr(vfmgr_errmsg(), "sriov_numvfs failed: Numerical result out of range"));
	assert_string_equal(fx_read(f, PFDIR "/sriov_numvfs"), "0");
}

static void test_kernel_ebusy(void **state)
{
	struct fx *f = *state;

	/* the kernel's own rule: non-zero to a different non-zero */
	assert_int_equal(vfmgr_sysfs_write(f->ctx, PF, "sriov_numvfs", "2"), 0);
	assert_int_equal(vfmgr_sysfs_write(f->ctx, PF, "sriov_numvfs", "3"), -EBUSY);
	assert_int_equal(vfmgr_sysfs_write(f->ctx, PF, "sriov_numvfs", "2"),
			 0); /* same value: no-op */
	assert_int_equal(vfmgr_sysfs_write(f->ctx, PF, "sriov_numvfs", "0"), 0);
	assert_int_equal(vfmgr_sysfs_write(f->ctx, PF, "sriov_numvfs", "x"), -EINVAL);

	/* injected EBUSY on the creation write: rolled back */
	setenv("VFMGR_FAKE_FAULT", PF "/sriov_numvfs:EBUSY", 1);
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 4\n", 0), -EBUSY);
	unsetenv("VFMGR_FAKE_FAULT");
	assert_non_null(strstr(vfmgr_errmsg(), "PF 0000:3b:00.0: sriov_numvfs busy writing 4"));
	assert_non_null(
		strstr(vfmgr_errmsg(), "PF 0000:3b:00.0 rolled back to its previous state"));
	assert_string_equal(fx_read(f, PFDIR "/sriov_numvfs"), "0");
	assert_string_equal(fx_read(f, PFDIR "/sriov_drivers_autoprobe"), "1"); /* restored */
	assert_int_equal(vfmgr_journal_pending(f->ctx), 0);
}

static void test_enoent_no_pf_driver(void **state)
{
	struct fx *f = *state;

	assert_int_equal(vfmgr_dev_unbind(f->ctx, PF), 0);
	assert_string_equal(fx_driver(f, PF), "");
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 2\n", 0), -ENOENT);
	assert_non_null(strstr(vfmgr_errmsg(),
			       "PF 0000:3b:00.0: the kernel cannot create VFs (no PF driver, or a "
			       "driver without SR-IOV support)"));
	assert_string_equal(fx_read(f, PFDIR "/sriov_numvfs"), "0");
	/* give the PF its driver back the kernel way */
	assert_int_equal(vfmgr_sysfs_write_path(f->ctx, "/sys/bus/pci/drivers_probe", PF), 0);
	assert_string_equal(fx_driver(f, PF), "i40e");
}

static void test_hang(void **state)
{
	struct fx *f = *state;
	uint64_t t0;
	struct timespec ts;

	setenv("VFMGR_FAKE_FAULT", "drivers_probe:hang=250", 1);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 2\n", 0), 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	unsetenv("VFMGR_FAKE_FAULT");
	assert_true((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 - t0 >= 250);
	assert_vfs_on_vfio(f, PF, 2);
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 0\n", 0), 0);

	/* VFs that appear late (within the bounded wait) are waited for */
	setenv("VFMGR_FAKE_VF_DELAY_MS", "100", 1);
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 2\n", 0), 0);
	unsetenv("VFMGR_FAKE_VF_DELAY_MS");
	assert_vfs_on_vfio(f, PF, 2);
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 0\n", 0), 0);
}

static void test_partial(void **state)
{
	struct fx *f = *state;

	setenv("VFMGR_FAKE_PARTIAL", PF "=2", 1);
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 4\n", 0), -ETIMEDOUT);
	unsetenv("VFMGR_FAKE_PARTIAL");
	assert_non_null(strstr(vfmgr_errmsg(),
			       "PF 0000:3b:00.0: only 2 of 4 VFs appeared (virtfnN + physfn links) "
			       "within 300 ms"));
	assert_string_equal(fx_read(f, PFDIR "/sriov_numvfs"), "0");
	assert_false(fx_exists(f, PFDIR "/virtfn0"));
	assert_false(fx_exists(f, PFDIR "/virtfn1"));
	assert_int_equal(vfmgr_journal_pending(f->ctx), 0);
}

static void test_bind_failure_rolls_back(void **state)
{
	struct fx *f = *state;

	/* VFs exist on the host driver (autoprobe 1 -> iavf) */
	assert_int_equal(vfmgr_sysfs_write(f->ctx, PF, "sriov_numvfs", "3"), 0);
	assert_string_equal(fx_driver(f, "0000:3b:02.0"), "iavf");
	assert_string_equal(fx_driver(f, "0000:3b:02.1"), "iavf");

	setenv("VFMGR_FAKE_PROBE_FAIL", "0000:3b:02.1@vfio-pci", 1);
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 3\n", 0), -ETIMEDOUT);
	unsetenv("VFMGR_FAKE_PROBE_FAIL");
	assert_non_null(strstr(vfmgr_errmsg(),
			       "binding 0000:3b:02.1 to vfio-pci failed: device 0000:3b:02.1: no "
			       "driver bound within 300 ms after drivers_probe (wanted vfio-pci)"));
	assert_non_null(strstr(vfmgr_errmsg(), "rolled back to iavf"));
	/* every VF back on iavf, no override left, no /dev/vfio node */
	for (int i = 0; i < 3; i++) {
		char b[16], p[96];
		snprintf(b, sizeof(b), "0000:3b:02.%d", i);
		assert_string_equal(fx_driver(f, b), "iavf");
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", b);
		assert_string_equal(fx_read(f, p), "(null)");
	}
	assert_string_equal(fx_read(f, PFDIR "/sriov_numvfs"), "3");
	assert_string_equal(fx_read(f, PFDIR "/sriov_drivers_autoprobe"), "1");

	/* EIO on driver_override of VF 2 */
	setenv("VFMGR_FAKE_FAULT", "0000:3b:02.2/driver_override:EIO", 1);
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 3\n", 0), -EIO);
	unsetenv("VFMGR_FAKE_FAULT");
	assert_string_equal(fx_driver(f, "0000:3b:02.2"), "iavf");
	assert_string_equal(fx_driver(f, "0000:3b:02.0"), "iavf");

	/* vfio-pci not loaded: refused with the fix named */
	fx_run("mv '%s/sys/bus/pci/drivers/vfio-pci' '%s/vfio-pci.off'", f->root, f->dir);
	assert_int_equal(vfmgr_dev_bind(f->ctx, "0000:3b:02.0", "vfio-pci"), -ENOENT);
	assert_non_null(strstr(vfmgr_errmsg(), "driver vfio-pci is not loaded"));
	assert_non_null(strstr(vfmgr_errmsg(), "run modprobe vfio-pci"));
	fx_run("mv '%s/vfio-pci.off' '%s/sys/bus/pci/drivers/vfio-pci'", f->dir, f->root);

	/* without faults it converges; then back to the host driver */
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 3\n", 0), 0);
	assert_vfs_on_vfio(f, PF, 3);
	assert_int_equal(vfmgr_dev_bind_host(f->ctx, "0000:3b:02.0"), 0);
	assert_string_equal(fx_driver(f, "0000:3b:02.0"), ""); /* autoprobe 0: no host driver */
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 0\n", 0), 0);
}

/* vfmgr_opts.on_step (vfmgrd's watchdog ping): once before each step, rollback included. */
struct steps_seen {
	struct fx *f;
	unsigned int n;
	size_t log_at_first; /* the fake kernel's log length at the first call */
};

static void count_step(void *user)
{
	struct steps_seen *c = user;

	if (c->n++ == 0)
		c->log_at_first = strlen(fx_log(c->f));
}

static void test_on_step_hook(void **state)
{
	struct fx *f = *state;
	struct steps_seen seen = { .f = f };
	struct vfmgr_opts o = { .root = f->root, .state_dir = f->state, .wait_ms = 300 };
	struct vfmgr_conf *c = fx_conf("[pf \"" PF "\"]\nnumvfs = 4\n");
	struct vfmgr_ctx *ctx;
	struct vfmgr_host *h;
	struct vfmgr_plan *pl;

	o.on_step = count_step;
	o.on_step_user = &seen;
	assert_int_equal(vfmgr_ctx_new(&o, &ctx), 0);
	assert_int_equal(vfmgr_discover(ctx, &h), 0);
	assert_int_equal(vfmgr_plan_build(ctx, c, h, 0, &pl), 0);
	assert_int_equal(pl->n, 6); /* autoprobe off, numvfs, 4 binds */
	fx_clear_log(f);
	assert_int_equal(vfmgr_plan_apply(ctx, pl, 0), 0);
	assert_int_equal(seen.n, pl->n);
	assert_int_equal(seen.log_at_first, 0); /* before the first step wrote anything */
	assert_vfs_on_vfio(f, PF, 4);
	vfmgr_plan_free(pl);
	vfmgr_host_free(h);
	vfmgr_conf_free(c);

	/* a bind that fails: the steps up to it, then the rollback's (count, rebinds) */
	assert_int_equal(apply_text(f, "[pf \"" PF "\"]\nnumvfs = 0\n", 0), 0);
	assert_int_equal(vfmgr_sysfs_write(ctx, PF, "sriov_drivers_autoprobe", "1"), 0);
	assert_int_equal(vfmgr_sysfs_write(ctx, PF, "sriov_numvfs", "3"), 0);
	c = fx_conf("[pf \"" PF "\"]\nnumvfs = 3\n");
	assert_int_equal(vfmgr_discover(ctx, &h), 0);
	assert_int_equal(vfmgr_plan_build(ctx, c, h, 0, &pl), 0);
	assert_int_equal(pl->n, 4); /* autoprobe off, 3 binds */
	seen.n = 0;
	setenv("VFMGR_FAKE_PROBE_FAIL", "0000:3b:02.1@vfio-pci", 1);
	assert_int_equal(vfmgr_plan_apply(ctx, pl, 0), -ETIMEDOUT);
	unsetenv("VFMGR_FAKE_PROBE_FAIL");
	/* autoprobe, bind VF 0, bind VF 1 (fails); rollback, VF 0 and VF 1 back to iavf */
	assert_int_equal(seen.n, 3 + 1 + 2);
	vfmgr_plan_free(pl);
	vfmgr_host_free(h);
	vfmgr_conf_free(c);
	vfmgr_ctx_free(ctx);
}

static void test_plan_errors(void **state)
{
	struct fx *f = *state;

	assert_int_equal(apply_text(f, "[pf \"0000:99:00.0\"]\nnumvfs = 1\n", 0),
			 -ENOENT); /* exit 6 */
	assert_non_null(strstr(vfmgr_errmsg(),
			       "test.conf:1: PF 0000:99:00.0 not found or not SR-IOV capable"));
	/* attributes on a PF without netdev */
	assert_int_equal(
		apply_text(
			f,
			"[pf \"0000:5e:00.0\"]\nnumvfs = 1\ndriver = none\n[vf \"0000:5e:00.0\" 0]\n"
			"mac = 52:54:00:00:00:01\n",
			0),
		-EINVAL);
	assert_string_equal(
		vfmgr_errmsg(),
		"test.conf:4: PF 0000:5e:00.0 has no network interface (driver "
		"'pci-pf-stub'), so VF attributes cannot be set; bind the PF to its network "
		"driver or remove the attributes of [vf \"0000:5e:00.0\" 0]");
	/* attributes on a netdev PF: set through rtnetlink, the PF netdev of the fixture does not exist here */
	assert_int_equal(
		apply_text(f, "[pf \"" PF "\"]\nnumvfs = 1\n[vf \"" PF "\" 0]\nvlan = 5\n", 0),
		-ENODEV);
	assert_non_null(
		strstr(vfmgr_errmsg(), "PF netdev ens1f0 not found in this network namespace"));
	assert_string_equal(fx_read(f, PFDIR "/sriov_numvfs"), "0"); /* rolled back */
	/* plan order: autoprobe, numvfs, attributes (before any bind), binds */
	struct vfmgr_conf *c =
		fx_conf("[pf \"" PF "\"]\nnumvfs = 2\n[vf \"" PF "\" 1]\nmac = 52:54:00:00:00:09\n"
			"vlan = 5\nqos = 2\ntrust = on\nmax-rate = 500\n");
	struct vfmgr_host *h;
	struct vfmgr_plan *pl;
	assert_int_equal(vfmgr_discover(f->ctx, &h), 0);
	assert_int_equal(vfmgr_plan_build(f->ctx, c, h, 0, &pl), 0);
	assert_int_equal(pl->n, 5);
	assert_int_equal(pl->steps[0].kind, VFMGR_STEP_AUTOPROBE_OFF);
	assert_int_equal(pl->steps[1].kind, VFMGR_STEP_NUMVFS);
	assert_int_equal(pl->steps[2].kind, VFMGR_STEP_ATTRS);
	assert_int_equal(pl->steps[2].vf, 1);
	assert_string_equal(pl->steps[2].pf_netdev, "ens1f0");
	assert_string_equal(pl->steps[2].text,
			    "PF 0000:3b:00.0 (ens1f0) vf 1: set mac 52:54:00:00:00:09 vlan 5 qos 2 "
			    "proto 802.1Q trust on min-rate 0 max-rate 500");
	assert_int_equal(pl->steps[3].kind, VFMGR_STEP_BIND);
	assert_int_equal(pl->steps[4].vf, 1);
	vfmgr_plan_free(pl);
	assert_int_equal(vfmgr_plan_build(f->ctx, c, h, VFMGR_F_NO_ATTRS, &pl), 0);
	assert_int_equal(pl->n, 4);
	for (unsigned i = 0; i < pl->n; i++)
		assert_int_not_equal(pl->steps[i].kind, VFMGR_STEP_ATTRS);
	vfmgr_plan_free(pl);
	vfmgr_host_free(h);
	vfmgr_conf_free(c);

	/* driver = none: VFs created, left to the host */
	assert_int_equal(apply_text(f, "[pf \"0000:86:00.0\"]\nnumvfs = 2\ndriver = none\n", 0), 0);
	assert_string_equal(fx_driver(f, "0000:86:02.0"), "iavf");
	assert_int_equal(apply_text(f, "[pf \"0000:86:00.0\"]\nnumvfs = 0\ndriver = none\n", 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_create_and_bind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owned_refused_unless_force, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erange, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_ebusy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enoent_no_pf_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hang, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_failure_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_on_step_hook, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
