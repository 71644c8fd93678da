/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_reapply.c: vfmgrd's re-apply of VF attributes after a PF reset (app/vfmgrd/reapply.c),
 * with a recording setter in place of RTM_SETLINK.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "vfmgrd.h"
#include "vfmgr_priv.h"

static unsigned calls, called_vf[8];
static struct vfmgr_vf_attrs called_attrs[8];
static int set_rc;

static int rec_set(const char *ifname, unsigned vf, const struct vfmgr_vf_attrs *a)
{
	assert_string_equal(ifname, "ens1f0");
	if (calls < 8) {
		called_vf[calls] = vf;
		called_attrs[calls] = *a;
	}
	calls++;
	return set_rc;
}

static const char conf_text[] = "[pf \"0000:3b:00.0\"]\nnumvfs = 4\n"
				"[vf \"0000:3b:00.0\" 0]\nmac = 52:54:00:00:00:10\nvlan = 100\n"
				"[vf \"0000:3b:00.0\" 2]\nmac = 52:54:00:00:00:12\n"
				"[vf \"0000:3b:00.0\" 3]\nmac = 52:54:00:00:00:13\n";

static void test_reapply_lost_only(void **state)
{
	struct vfmgr_conf *conf;
	struct vfmgr_vf_attrs have[3] = { 0 };

	assert_int_equal(vfmgr_conf_parse(conf_text, strlen(conf_text), "t.conf", &conf), 0);
	/* VF 0 lost everything (reset: zero MAC, no VLAN); VF 2 still has its MAC; VF 3 absent. */
	have[0].set = VFMGR_ATTR_MAC | VFMGR_ATTR_VLAN;
	have[2].set = VFMGR_ATTR_MAC | VFMGR_ATTR_VLAN;
	vfmgr_parse_mac("52:54:00:00:00:12", have[2].mac);
	calls = 0;
	set_rc = 0;
	assert_int_equal(vfmgrd_reapply(&conf->pfs[0], "ens1f0", have, 3, rec_set), 1);
	assert_int_equal(calls, 1);
	assert_int_equal(called_vf[0], 0);
	assert_int_equal(called_attrs[0].vlan, 100);
	assert_int_equal(called_attrs[0].mac[5], 0x10);

	/* Nothing lost: nothing re-applied. */
	have[0] = conf->pfs[0].vfs[0].attrs;
	calls = 0;
	assert_int_equal(vfmgrd_reapply(&conf->pfs[0], "ens1f0", have, 3, rec_set), 0);
	assert_int_equal(calls, 0);

	/* The kernel refuses: counted as not done, no crash, next VFs still tried. */
	memset(&have[0], 0, sizeof(have[0]));
	memset(&have[2], 0, sizeof(have[2]));
	calls = 0;
	set_rc = -EIO;
	assert_int_equal(vfmgrd_reapply(&conf->pfs[0], "ens1f0", have, 3, rec_set), 0);
	assert_int_equal(calls, 2);
	vfmgr_conf_free(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reapply_lost_only),
	};
	vlog_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
