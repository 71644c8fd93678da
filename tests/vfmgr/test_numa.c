/* SPDX-License-Identifier: BSD-3-Clause */
/* NUMA choice per policy (required / preferred / any) on the two-node fixture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "fixture.h"

#define NODE(n) (1ull << (n))

static int setup(void **state)
{
	struct fx *f = fx_new(NULL, false);
	struct vfmgr_conf *c;

	if (!f)
		return -1;
	/* node 0: 0000:3b:02.0-1; node 1: 0000:86:02.0-1; node 0, shared group: 0000:5e:00.1 (not free) */
	c = fx_conf("[pf \"0000:3b:00.0\"]\nnumvfs = 2\n[pf \"0000:86:00.0\"]\nnumvfs = 2\n");
	if (!c || vfmgr_apply(f->ctx, c, 0) < 0)
		return -1;
	vfmgr_conf_free(c);
	if (vfmgr_sriov_set_numvfs(f->ctx, "0000:5e:00.0", 1, true, 0) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_free(*state);
	return 0;
}

static const struct vfmgr_vf *choose(struct fx *f, uint64_t nodes, enum vfmgr_numa_policy p, int *r)
{
	static struct vfmgr_host *h;
	const struct vfmgr_vf *vf = NULL;

	vfmgr_host_free(h);
	h = NULL;
	assert_int_equal(vfmgr_discover(f->ctx, &h), 0);
	*r = vfmgr_numa_choose(f->ctx, h, NULL, nodes, p, &vf);
	return vf;
}

static void test_distance(void **state)
{
	struct fx *f = *state;

	assert_int_equal(vfmgr_numa_distance(f->ctx, 0, 0), 10);
	assert_int_equal(vfmgr_numa_distance(f->ctx, 0, 1), 21);
	assert_int_equal(vfmgr_numa_distance(f->ctx, 1, 0), 21);
	assert_int_equal(vfmgr_numa_distance(f->ctx, 0, 5), -1);
	assert_int_equal(vfmgr_numa_distance(f->ctx, -1, 0), -1);
}

static void test_required(void **state)
{
	struct fx *f = *state;
	const struct vfmgr_vf *vf;
	int r;

	vf = choose(f, NODE(1), VFMGR_NUMA_REQUIRED, &r);
	assert_int_equal(r, 0);
	assert_string_equal(vf->pf_bdf, "0000:86:00.0");
	assert_int_equal(vf->numa_node, 1);
	vf = choose(f, NODE(0), VFMGR_NUMA_REQUIRED, &r);
	assert_int_equal(r, 0);
	assert_string_equal(vf->pf_bdf, "0000:3b:00.0");
	/* node 1 full: required refuses and lists what is free */
	assert_int_equal(vfmgr_owner_set(f->ctx, "0000:86:00.0", 0, "a"), 0);
	assert_int_equal(vfmgr_owner_set(f->ctx, "0000:86:00.0", 1, "b"), 0);
	vf = choose(f, NODE(1), VFMGR_NUMA_REQUIRED, &r);
	assert_int_equal(r, -ENOSPC); /* "no free VF" (exit 7), like every other no-free-VF cause */
	assert_null(vf);
	assert_string_equal(
		vfmgr_errmsg(),
		"no free VF on NUMA node(s) 1 (policy required); free VFs: 0000:3b:02.0 "
		"(node 0), 0000:3b:02.1 (node 0); use numa-policy=preferred or move the domain");
	/* preferred falls back to the nearest node */
	vf = choose(f, NODE(1), VFMGR_NUMA_PREFERRED, &r);
	assert_int_equal(r, 0);
	assert_int_equal(vf->numa_node, 0);
	assert_string_equal(vf->owner, "");
	assert_int_equal(vfmgr_owner_clear(f->ctx, "0000:86:00.0", 0, NULL), 0);
	assert_int_equal(vfmgr_owner_clear(f->ctx, "0000:86:00.0", 1, NULL), 0);
}

static void test_preferred_local_first(void **state)
{
	struct fx *f = *state;
	const struct vfmgr_vf *vf;
	int r;

	vf = choose(f, NODE(1), VFMGR_NUMA_PREFERRED, &r);
	assert_int_equal(r, 0);
	assert_int_equal(vf->numa_node, 1);
	vf = choose(f, NODE(0) | NODE(1), VFMGR_NUMA_REQUIRED, &r);
	assert_int_equal(r, 0);
	/* unknown node set: any free VF; the shared-group VF of 0000:5e:00.0 is never chosen */
	vf = choose(f, 0, VFMGR_NUMA_REQUIRED, &r);
	assert_int_equal(r, 0);
	assert_string_not_equal(vf->pf_bdf, "0000:5e:00.0");
}

static void test_any_and_none_free(void **state)
{
	struct fx *f = *state;
	const struct vfmgr_vf *vf;
	int r;

	vf = choose(f, NODE(1), VFMGR_NUMA_ANY, &r);
	assert_int_equal(r, 0);
	assert_non_null(vf);
	const char *pfs[2] = { "0000:3b:00.0", "0000:86:00.0" };
	for (int p = 0; p < 2; p++)
		for (unsigned i = 0; i < 2; i++)
			assert_int_equal(vfmgr_owner_set(f->ctx, pfs[p], i, "full"), 0);
	vf = choose(f, NODE(0), VFMGR_NUMA_PREFERRED, &r);
	assert_int_equal(r, -ENOSPC);
	/* the reason of each VF, and advice that fits it (the PFs can create more VFs) */
	assert_non_null(strstr(vfmgr_errmsg(), "no free VF: 0000:3b:02.0 owned by 'full'"));
	assert_non_null(strstr(vfmgr_errmsg(), "0000:5e:00.1 shares IOMMU group 30 with"));
	assert_non_null(strstr(vfmgr_errmsg(), "raise numvfs"));
	for (int p = 0; p < 2; p++)
		for (unsigned i = 0; i < 2; i++)
			assert_int_equal(vfmgr_owner_clear(f->ctx, pfs[p], i, "full"), 0);
	/* a VF not on vfio-pci is not free */
	assert_int_equal(vfmgr_dev_bind_host(f->ctx, "0000:86:02.0"), 0);
	assert_int_equal(vfmgr_dev_unbind(f->ctx, "0000:86:02.1"), 0);
	vf = choose(f, NODE(1), VFMGR_NUMA_REQUIRED, &r);
	assert_int_equal(r, -ENOSPC);
}

/*
 * Regression (issue #14): on a one-node host whose devices report numa_node -1 (firmware
 * without _PXM), numa-policy = required refused every VF. With one node every device is
 * local: node 0 is assumed, and said so.
 */
static void test_single_node_unknown(void **state)
{
	struct fx *f = fx_new(NULL, false);
	struct vfmgr_host *h = NULL;
	const struct vfmgr_vf *vf = NULL;
	struct vfmgr_conf *c;

	(void)state;
	assert_non_null(f);
	fx_run("rm -r '%s/sys/devices/system/node/node1'", f->root);
	fx_run("echo -1 > '%s/sys/bus/pci/devices/0000:3b:00.0/numa_node'", f->root);
	c = fx_conf("[pf \"0000:3b:00.0\"]\nnumvfs = 2\n");
	assert_int_equal(vfmgr_apply(f->ctx, c, 0), 0);
	vfmgr_conf_free(c);
	assert_string_equal(fx_read(f, "/sys/bus/pci/devices/0000:3b:02.0/numa_node"), "-1");
	assert_int_equal(vfmgr_discover(f->ctx, &h), 0);
	assert_int_equal(
		vfmgr_numa_choose(f->ctx, h, "0000:3b:00.0", NODE(0), VFMGR_NUMA_REQUIRED, &vf), 0);
	assert_non_null(vf);
	assert_int_equal(vf->numa_node, 0);
	assert_true(vf->numa_assumed);
	json_t *j = vfmgr_host_to_json(h);
	char *text = json_dumps(j, 0);
	assert_non_null(text);
	assert_non_null(strstr(text, "node 0 assumed"));
	free(text);
	json_decref(j);
	vfmgr_host_free(h);
	/* two nodes: -1 stays unknown, required refuses it */
	fx_run("mkdir -p '%s/sys/devices/system/node/node1'", f->root);
	assert_int_equal(vfmgr_discover(f->ctx, &h), 0);
	assert_int_equal(
		vfmgr_numa_choose(f->ctx, h, "0000:3b:00.0", NODE(0), VFMGR_NUMA_REQUIRED, &vf),
		-ENOSPC);
	vfmgr_host_free(h);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_preferred_local_first),
		cmocka_unit_test(test_any_and_none_free),
	};
	const struct CMUnitTest alone[] = {
		cmocka_unit_test(test_single_node_unknown),
	};
	int r = cmocka_run_group_tests(tests, setup, teardown);

	return r + cmocka_run_group_tests(alone, NULL, NULL);
}
