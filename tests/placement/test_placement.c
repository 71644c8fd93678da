/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_placement.c: lib/vfmgr's Placement model without a Placement server: provider UUIDs
 * from names, trait names, the desired tree of a host (NUMA and PF children, inventory,
 * reserved, allocations per domain) and the merge of a consumer's allocations.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "vfmgr.h"
#include "vfmgr_placement.h"
#include "placement_priv.h"

static void test_uuid(void **state)
{
	char a[PL_UUID_LEN], b[PL_UUID_LEN], c[PL_UUID_LEN];

	(void)state;
	pl_name_uuid("hv1", a);
	pl_name_uuid("hv1", b);
	pl_name_uuid("hv2", c);
	assert_string_equal(a, b); /* a restart publishes the same tree */
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '8'); /* RFC 9562 version 8 */
	assert_non_null(strchr("89ab", a[19])); /* variant 10 */
	for (int i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(a[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", a[i]));
}

static void test_trait(void **state)
{
	char t[300];

	(void)state;
	pl_custom_trait("PF_", "ens1f0", t, sizeof(t));
	assert_string_equal(t, "CUSTOM_PF_ENS1F0");
	pl_custom_trait("PF_", "0000:3b:00.0", t, sizeof(t));
	assert_string_equal(t, "CUSTOM_PF_0000_3B_00_0");
	pl_custom_trait("PHYSNET_", "net-1.a", t, sizeof(t));
	assert_string_equal(t, "CUSTOM_PHYSNET_NET_1_A");
}

struct owners {
	int lookups;
	int foreign_asked;
};

static int uuid_of(const char *domain, char uuid[PL_UUID_LEN], void *user)
{
	struct owners *o = user;

	o->lookups++;
	if (!strcmp(domain, "gone"))
		return -ENOENT;
	snprintf(uuid, PL_UUID_LEN, "00000000-0000-4000-8000-%012d", atoi(domain + 1));
	return 0;
}

static int foreign(const char *vf_bdf, void *user)
{
	struct owners *o = user;

	o->foreign_asked++;
	return !strcmp(vf_bdf, "0000:86:02.2"); /* held by a domain vfmgr did not record */
}

static void vf(struct vfmgr_pf *pf, unsigned i, const char *drv, const char *owner)
{
	struct vfmgr_vf *v = &pf->vfs[i];

	memset(v, 0, sizeof(*v));
	snprintf(v->pf_bdf, sizeof(v->pf_bdf), "%s", pf->bdf);
	snprintf(v->bdf, sizeof(v->bdf), "%.8s02.%u", pf->bdf, i);
	v->index = i;
	snprintf(v->driver, sizeof(v->driver), "%s", drv);
	snprintf(v->owner, sizeof(v->owner), "%s", owner);
	v->n_group_members = 1;
	v->numa_node = pf->numa_node;
}

static void test_want(void **state)
{
	struct vfmgr_vf v0[4], v1[4];
	struct vfmgr_pf pfs[3] = {
		{ .bdf = "0000:3b:00.0",
		  .numa_node = 0,
		  .netdev = "ens1f0",
		  .vfs = v0,
		  .n_vfs = 4 },
		{ .bdf = "0000:5e:00.0", .numa_node = 0, .vfs = NULL, .n_vfs = 0 },
		{ .bdf = "0000:86:00.0", .numa_node = 1, .vfs = v1, .n_vfs = 4 },
	};
	struct vfmgr_host host = { .pfs = pfs, .n_pfs = 3 };
	struct vfmgr_pf_conf pcs[3] = {
		{ .bdf = "0000:3b:00.0", .numvfs = 4, .driver = "vfio-pci", .physnet = "net1" },
		{ .bdf = "0000:86:00.0", .numvfs = 4, .driver = "vfio-pci" },
		{ .bdf = "0000:5e:00.0",
		  .numvfs = 4,
		  .driver = "none" }, /* left to the host: not published */
	};
	struct vfmgr_conf conf = { .pfs = pcs, .n_pfs = 3 };
	struct owners o = { 0 };
	struct pl_want w;
	char u[PL_UUID_LEN];

	(void)state;
	vf(&pfs[0], 0, "vfio-pci", "d1");
	vf(&pfs[0], 1, "vfio-pci", "d1");
	vf(&pfs[0], 2, "iavf", ""); /* the host holds it: reserved */
	vf(&pfs[0], 3, "vfio-pci", ""); /* free */
	vf(&pfs[2], 0, "vfio-pci", "d2");
	vf(&pfs[2], 1, "vfio-pci", "gone"); /* owner without a UUID: reserved */
	vf(&pfs[2], 2, "vfio-pci", ""); /* foreign domain: reserved */
	vf(&pfs[2], 3, "vfio-pci", "d1");
	assert_int_equal(pl_want_build(NULL, &conf, &host, "hv1", true, uuid_of, foreign, &o, &w),
			 0);
	/* hv1, hv1_NUMA_0, hv1_0000:3b:00.0, hv1_NUMA_1, hv1_0000:86:00.0 */
	assert_int_equal(w.n_rps, 5);
	assert_string_equal(w.rps[0].name, "hv1");
	assert_int_equal(w.rps[0].parent, -1);
	assert_string_equal(w.rps[1].name, "hv1_NUMA_0");
	assert_int_equal(w.rps[1].parent, 0);
	assert_string_equal(w.rps[2].name, "hv1_0000:3b:00.0");
	assert_int_equal(w.rps[2].parent, 1);
	assert_string_equal(w.rps[3].name, "hv1_NUMA_1");
	assert_string_equal(w.rps[4].name, "hv1_0000:86:00.0");
	assert_int_equal(w.rps[4].parent, 3);
	pl_name_uuid("hv1_0000:3b:00.0", u);
	assert_string_equal(w.rps[2].uuid, u);
	assert_true(w.rps[2].has_inv);
	assert_int_equal(w.rps[2].total, 4);
	assert_int_equal(w.rps[2].reserved, 1);
	assert_int_equal(w.rps[2].assigned, 2);
	assert_int_equal(w.rps[2].free, 1);
	assert_int_equal(w.rps[4].total, 4);
	assert_int_equal(w.rps[4].reserved, 2);
	assert_int_equal(w.rps[4].free, 0);
	assert_int_equal(w.vfs_total, 8);
	assert_int_equal(w.vfs_reserved, 3);
	assert_int_equal(w.vfs_assigned, 4);
	assert_int_equal(o.foreign_asked, 2); /* only free-looking VFs are checked */
	/* Traits of the 3b PF. */
	json_t *want_tr =
		json_pack("[s,s,s,s,s]", "HW_NIC_SRIOV", "CUSTOM_PF_ENS1F0", "CUSTOM_NUMA_NODE_0",
			  "CUSTOM_PHYSNET_NET1", "CUSTOM_POSTED_INTERRUPTS");
	assert_true(json_equal(w.rps[2].traits, want_tr));
	json_decref(want_tr);
	/* Allocations: d1 has 2 on 3b and 1 on 86; d2 1 on 86. */
	assert_int_equal(w.n_allocs, 2);
	assert_string_equal(w.allocs[0].consumer, "00000000-0000-4000-8000-000000000001");
	assert_int_equal(json_integer_value(json_object_get(w.allocs[0].rps, w.rps[2].uuid)), 2);
	assert_int_equal(json_integer_value(json_object_get(w.allocs[0].rps, w.rps[4].uuid)), 1);
	assert_int_equal(json_object_size(w.allocs[1].rps), 1);
	pl_want_free(&w);
}

static void test_merge(void **state)
{
	json_t *cur = json_loads("{\"A\":{\"resources\":{\"SRIOV_NET_VF\":2},\"generation\":4},"
				 "\"OTHER\":{\"resources\":{\"VCPU\":2},\"generation\":1}}",
				 0, NULL);
	json_t *mine = json_pack("{s:b, s:b}", "A", 1, "B", 1);
	json_t *want = json_pack("{s:i, s:i}", "A", 0, "B", 1);
	json_t *m = pl_merge_allocations(cur, mine, want);
	json_t *exp = json_loads("{\"OTHER\":{\"resources\":{\"VCPU\":2}},"
				 "\"B\":{\"resources\":{\"SRIOV_NET_VF\":1}}}",
				 0, NULL);

	(void)state;
	assert_true(json_equal(m, exp)); /* other hosts' and other classes' allocations kept */
	json_decref(cur);
	json_decref(mine);
	json_decref(want);
	json_decref(m);
	json_decref(exp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_trait),
		cmocka_unit_test(test_want),
		cmocka_unit_test(test_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
