/* SPDX-License-Identifier: BSD-3-Clause */
/* vfmgr.conf parser: a full good file, and every refusal with its exact file:line message. */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vfmgr_priv.h"

static const char good[] = "; vfmgr test configuration\n"
			   "[global]\n"
			   "state-dir = /var/lib/vfmgr-test\n"
			   "wait-timeout-ms = 2000\n"
			   "numa-policy = required\n"
			   "\n"
			   "[pf \"0000:3B:00.0\"]\n"
			   "numvfs = 4\n"
			   "driver = vfio-pci\n"
			   "numa-policy = any\n"
			   "\n"
			   "[vf \"0000:3b:00.0\" 2]   ; third VF\n"
			   "mac = 52:54:00:AA:00:02\n"
			   "vlan = 100\n"
			   "qos = 3\n"
			   "vlan-proto = 802.1ad\n"
			   "spoofchk = on\n"
			   "trust = off\n"
			   "link-state = disable\n"
			   "min-rate = 100\n"
			   "max-rate = 1000\n"
			   "[vf \"0000:3b:00.0\" 0]\n"
			   "  mac = 52:54:00:aa:00:00\n"
			   "[pf \"3c:fd:fe:00:00:b0\"]\n"
			   "numvfs = 2\n"
			   "driver = none\n";

static void test_good(void **state)
{
	struct vfmgr_conf *c = NULL;

	(void)state;
	assert_int_equal(vfmgr_conf_parse(good, strlen(good), "vfmgr.conf", &c), 0);
	assert_non_null(c);
	assert_string_equal(c->state_dir, "/var/lib/vfmgr-test");
	assert_int_equal(c->wait_ms, 2000);
	assert_int_equal(c->numa_policy, VFMGR_NUMA_REQUIRED);
	assert_int_equal(c->n_pfs, 2);
	const struct vfmgr_pf_conf *a = &c->pfs[0], *b = &c->pfs[1];
	assert_string_equal(a->bdf, "0000:3b:00.0");
	assert_false(a->by_mac);
	assert_int_equal(a->numvfs, 4);
	assert_string_equal(a->driver, "vfio-pci");
	assert_int_equal(a->numa_policy, VFMGR_NUMA_ANY);
	assert_int_equal(a->line, 7);
	assert_int_equal(a->n_vfs, 2);
	assert_int_equal(a->vfs[0].index, 0); /* sorted */
	assert_int_equal(a->vfs[0].attrs.set, VFMGR_ATTR_MAC);
	const struct vfmgr_vf_conf *v = vfmgr_conf_find_vf(a, 2);
	assert_non_null(v);
	assert_int_equal(v->line, 12);
	uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0x00, 0x02 };
	assert_memory_equal(v->attrs.mac, mac, 6);
	assert_int_equal(v->attrs.vlan, 100);
	assert_int_equal(v->attrs.qos, 3);
	assert_int_equal(v->attrs.vlan_proto, 0x88a8);
	assert_true(v->attrs.spoofchk);
	assert_false(v->attrs.trust);
	assert_int_equal(v->attrs.link_state, VFMGR_LINK_DISABLE);
	assert_int_equal(v->attrs.min_rate, 100);
	assert_int_equal(v->attrs.max_rate, 1000);
	assert_int_equal(v->attrs.set, VFMGR_ATTR_MAC | VFMGR_ATTR_VLAN | VFMGR_ATTR_SPOOFCHK |
					       VFMGR_ATTR_TRUST | VFMGR_ATTR_LINK_STATE |
					       VFMGR_ATTR_RATE);
	assert_null(vfmgr_conf_find_vf(a, 1));
	assert_true(b->by_mac);
	assert_string_equal(b->id, "3c:fd:fe:00:00:b0");
	assert_string_equal(b->bdf, "");
	assert_string_equal(b->driver, "none");
	assert_int_equal(b->numa_policy, VFMGR_NUMA_REQUIRED); /* inherited from [global] */
	vfmgr_conf_free(c);
}

static void test_defaults(void **state)
{
	const char *t = "[pf \"3b:00.0\"]\nnumvfs=0\n";
	struct vfmgr_conf *c = NULL;

	(void)state;
	assert_int_equal(vfmgr_conf_parse(t, strlen(t), "x.conf", &c), 0);
	assert_string_equal(c->pfs[0].bdf, "0000:3b:00.0");
	assert_string_equal(c->pfs[0].driver, "vfio-pci");
	assert_int_equal(c->pfs[0].numa_policy, VFMGR_NUMA_PREFERRED);
	assert_int_equal(c->wait_ms, 0);
	assert_string_equal(c->state_dir, "");
	vfmgr_conf_free(c);
}

struct bad {
	const char *text;
	const char *msg;
};

static const struct bad bads[] = {
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 4\ncolour = red\n",
	  "c.conf:3: unknown key 'colour' in [pf \"0000:01:00.0\"] (known: numvfs, driver, numa-policy, physnet)" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = -1\n",
	  "c.conf:2: numvfs '-1' is not a VF count 0..65535 (the PF's sriov_totalvfs is checked when applying)" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 70000\n",
	  "c.conf:2: numvfs '70000' is not a VF count 0..65535 (the PF's sriov_totalvfs is checked when applying)" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 4x\n",
	  "c.conf:2: numvfs '4x' is not a VF count 0..65535 (the PF's sriov_totalvfs is checked when applying)" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" 2]\nmac = 52:54:00:00:00:01\n",
	  "c.conf:3: VF index 2 is impossible: [pf \"0000:01:00.0\"] at line 1 has numvfs = 2 (indexes 0..1)" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" 0]\nmac = 52:54:00:00:00\n",
	  "c.conf:4: malformed MAC '52:54:00:00:00': expected six hex pairs like 52:54:00:12:34:56" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" 0]\nmac = 52:54:00:00:00:zz\n",
	  "c.conf:4: malformed MAC '52:54:00:00:00:zz': expected six hex pairs like 52:54:00:12:34:56" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" 0]\nmac = 01:00:5e:00:00:01\n",
	  "c.conf:4: MAC 01:00:5e:00:00:01 is a multicast address; a VF needs a unicast MAC (first octet even)" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" 0]\nvlan = 4095\n",
	  "c.conf:4: VLAN '4095' must be a VLAN id 0..4094 (0 = untagged)" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" 0]\nvlan = ten\n",
	  "c.conf:4: VLAN 'ten' must be a VLAN id 0..4094 (0 = untagged)" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" 0]\nqos = 8\n",
	  "c.conf:4: qos '8' must be an 802.1p priority 0..7" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" 0]\n\nqos = 5\n",
	  "c.conf:5: qos needs a VLAN: set vlan = 1..4094 in [vf \"0000:01:00.0\" 0]" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" 0]\nvlan = 5\nvlan-proto = 802.1x\n",
	  "c.conf:5: vlan-proto '802.1x' must be 802.1Q or 802.1ad" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[pf \"0000:01:00.0\"]\nnumvfs = 3\n",
	  "c.conf:3: duplicate PF 0000:01:00.0 (already defined at line 1); merge the two [pf] sections" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[pf \"01:00.0\"]\nnumvfs = 3\n",
	  "c.conf:3: duplicate PF 0000:01:00.0 (already defined at line 1); merge the two [pf] sections" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\nnumvfs = 3\n",
	  "c.conf:3: duplicate key 'numvfs' in this section" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" 1]\n[vf \"0000:01:00.0\" 1]\n",
	  "c.conf:4: duplicate VF 1 of PF 0000:01:00.0 (already defined at line 3)" },
	{ "[pf \"eth0\"]\nnumvfs = 2\n",
	  "c.conf:1: section [pf \"eth0\"]: 'eth0' is neither a PCI address (0000:01:00.0) nor a MAC address "
	  "(aa:bb:cc:dd:ee:ff); name PFs by PCI address or permanent MAC, never by interface name" },
	{ "[pf 0000:01:00.0]\nnumvfs = 2\n",
	  "c.conf:1: section [pf 0000:01:00.0]: the PF must be quoted, e.g. [pf \"0000:01:00.0\"]" },
	{ "[pf \"0000:01:00.0\"]\ndriver = vfio-pci\n",
	  "c.conf:1: [pf \"0000:01:00.0\"] has no numvfs; say how many VFs the PF should have (0 for none)" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 1\ndriver = ixgbevf\n",
	  "c.conf:3: driver 'ixgbevf' not supported: use vfio-pci (VFs for guests) or none (leave VFs to the host)" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 1\nnuma-policy = socket\n",
	  "c.conf:3: numa-policy 'socket' must be required, preferred or any" },
	{ "numvfs = 1\n",
	  "c.conf:1: key 'numvfs' outside a section; put it under [global], [pf \"...\"] or [vf \"...\" N]" },
	{ "[global]\n[bogus]\n",
	  "c.conf:2: unknown section [bogus]; expected [global], [placement], [pf \"<pci-address|mac>\"] or [vf \"<pf>\" <index>]" },
	{ "[global]\nthis line is not ini\n",
	  "c.conf:2: syntax error: expected 'key = value', a [section] header, or a comment (; or #)" },
	{ "[vf \"0000:02:00.0\" 0]\nmac = 52:54:00:00:00:01\n",
	  "c.conf:1: [vf \"0000:02:00.0\" 0] names a PF with no [pf \"0000:02:00.0\"] section; add it with numvfs" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" 0]\nmac = 52:54:00:00:00:01\n"
	  "[vf \"0000:01:00.0\" 1]\nmac = 52:54:00:00:00:01\n",
	  "c.conf:6: MAC 52:54:00:00:00:01 already used by [vf \"0000:01:00.0\" 0] at line 3; VF MACs must be unique" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" 0]\nmin-rate = 500\nmax-rate = 100\n",
	  "c.conf:5: min-rate 500 Mbit/s is above max-rate 100 Mbit/s" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" 0]\nspoofchk = maybe\n",
	  "c.conf:4: spoofchk 'maybe' must be on or off" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" 0]\nlink-state = up\n",
	  "c.conf:4: link-state 'up' must be auto, enable or disable" },
	{ "[pf \"0000:01:00.0\"]\nnumvfs = 2\n[vf \"0000:01:00.0\" x]\n",
	  "c.conf:3: section [vf \"0000:01:00.0\" x]: VF index must be a number 0..65534 after the PF, e.g. "
	  "[vf \"0000:01:00.0\" 0]" },
	{ "[global]\nwait-timeout-ms = 0\n",
	  "c.conf:2: wait-timeout-ms '0' must be a number of milliseconds 1..600000" },
	{ "[global]\nstate-dir = relative/dir\n",
	  "c.conf:2: state-dir 'relative/dir' must be an absolute path shorter than 256 characters" },
	{ "[global]\n[global]\n",
	  "c.conf:2: duplicate [global] section (first one earlier in the file)" },
	{ "[pf \"0000:01:00.0\"] junk\nnumvfs=1\n",
	  "c.conf:1: unexpected text 'junk' after the section header" },
};

static void test_bad(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct vfmgr_conf *c = (struct vfmgr_conf *)1;
		int r = vfmgr_conf_parse(bads[i].text, strlen(bads[i].text), "c.conf", &c);
		if (r != -EINVAL || strcmp(vfmgr_errmsg(), bads[i].msg))
			fail_msg("case %u: r=%d\n got: %s\nwant: %s", i, r, vfmgr_errmsg(),
				 bads[i].msg);
		assert_null(c); /* nothing is returned, nothing applied */
	}
}

static void test_long_line_and_nul(void **state)
{
	char big[1200];
	struct vfmgr_conf *c;

	(void)state;
	memset(big, 'a', sizeof(big));
	memcpy(big, "[global]\nx=", 11);
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(vfmgr_conf_parse(big, sizeof(big), "l.conf", &c), -EINVAL);
	assert_string_equal(vfmgr_errmsg(),
			    "l.conf:2: line longer than 198 characters; shorten it");
	const char nul[] = "[global]\nnuma-policy = a\0ny\n";
	assert_int_equal(vfmgr_conf_parse(nul, sizeof(nul) - 1, "n.conf", &c), -EINVAL);
	assert_string_equal(vfmgr_errmsg(),
			    "n.conf:2: NUL byte in the file; vfmgr.conf is a text file");
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/vfmgr-conf.XXXXXX";
	struct vfmgr_conf *c;
	int fd;

	(void)state;
	assert_int_equal(vfmgr_conf_load("/nonexistent/vfmgr.conf", &c), -ENOENT);
	assert_string_equal(vfmgr_errmsg(),
			    "cannot open configuration /nonexistent/vfmgr.conf: No such file or "
			    "directory (create it; see vfmgr.conf(5))");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *t = "[pf \"0000:01:00.0\"]\nnumvfs = 1\nbad = 1\n";
	assert_int_equal(write(fd, t, strlen(t)), (int)strlen(t));
	close(fd);
	assert_int_equal(vfmgr_conf_load(path, &c), -EINVAL);
	char want[256];
	snprintf(want, sizeof(want),
		 "%s:3: unknown key 'bad' in [pf \"0000:01:00.0\"] (known: numvfs, driver, "
		 "numa-policy, physnet)",
		 path);
	assert_string_equal(vfmgr_errmsg(), want);
	unlink(path);
}

/* [placement] (fleet, issue #18) and [pf] physnet. */
static void test_placement(void **state)
{
	const char *t =
		"[placement]\nurl = http://127.0.0.1:8778/\nhost = hv1\ninterval = 5\n"
		"claim-grace = 0\ntimeout-ms = 250\nfleet-socket = /run/vfmgr/%h.sock\n"
		"token = tok\nproject = p1\n[pf \"3b:00.0\"]\nnumvfs = 2\nphysnet = net-1\n";
	const char *d = "[pf \"3b:00.0\"]\nnumvfs = 2\n";
	static const struct bad pbad[] = {
		{ "[placement]\nurl = ftp://x\n",
		  "c.conf:2: url 'ftp://x' must be the Placement endpoint, "
		  "http://HOST:PORT or https://... (at most 255 characters)" },
		{ "[placement]\ninterval = 0\n",
		  "c.conf:2: interval '0' must be a number of seconds 1..86400" },
		{ "[placement]\nhost = a/b\n",
		  "c.conf:2: host 'a/b' must be the host's provider name, 1..63 "
		  "characters without '/' or '..'" },
		{ "[placement]\nhost = a\nhost = b\n",
		  "c.conf:3: duplicate key 'host' in this section" },
		{ "[placement]\n[placement]\n",
		  "c.conf:2: duplicate [placement] section (first one earlier in the file)" },
		{ "[placement]\nregion = x\n",
		  "c.conf:2: unknown key 'region' in [placement] (known: url, host, "
		  "token, interval, timeout-ms, claim-grace, fleet-socket, project)" },
		{ "[placement]\nfleet-socket = rel/%h\n",
		  "c.conf:2: fleet-socket 'rel/%h' must be an absolute path "
		  "template (%h = host), at most 255 characters" },
	};
	struct vfmgr_conf *c = NULL;
	char out[256];

	(void)state;
	assert_int_equal(vfmgr_conf_parse(t, strlen(t), "c.conf", &c), 0);
	assert_string_equal(c->placement.url, "http://127.0.0.1:8778/");
	assert_string_equal(c->placement.host, "hv1");
	assert_int_equal(c->placement.interval_s, 5);
	assert_int_equal(c->placement.claim_grace_s, 0);
	assert_int_equal(c->placement.timeout_ms, 250);
	assert_string_equal(c->placement.token, "tok");
	assert_string_equal(c->placement.project, "p1");
	assert_string_equal(c->pfs[0].physnet, "net-1");
	assert_int_equal(vfmgr_pl_host_socket(c->placement.fleet_socket, "hv1", out, sizeof(out)),
			 0);
	assert_string_equal(out, "/run/vfmgr/hv1.sock");
	assert_int_equal(vfmgr_pl_host_socket(c->placement.fleet_socket, "../x", out, sizeof(out)),
			 -EINVAL);
	vfmgr_conf_free(c);
	/* Defaults: not published. */
	assert_int_equal(vfmgr_conf_parse(d, strlen(d), "c.conf", &c), 0);
	assert_string_equal(c->placement.url, "");
	assert_int_equal(c->placement.interval_s, 60);
	assert_int_equal(c->placement.claim_grace_s, 60);
	assert_int_equal(c->placement.timeout_ms, 5000);
	assert_string_equal(c->placement.token, "admin");
	assert_string_equal(c->placement.fleet_socket, "/run/vfmgr/%h.sock");
	assert_string_equal(c->pfs[0].physnet, "");
	vfmgr_conf_free(c);
	for (size_t i = 0; i < sizeof(pbad) / sizeof(pbad[0]); i++) {
		c = NULL;
		assert_int_equal(vfmgr_conf_parse(pbad[i].text, strlen(pbad[i].text), "c.conf", &c),
				 -EINVAL);
		assert_null(c);
		if (strcmp(vfmgr_errmsg(), pbad[i].msg))
			fail_msg("case %zu:\n got: %s\nwant: %s", i, vfmgr_errmsg(), pbad[i].msg);
	}
}

static void test_helpers(void **state)
{
	char b[VFMGR_BDF_LEN], m[18];
	uint8_t mac[6];

	(void)state;
	assert_int_equal(vfmgr_parse_bdf("0000:AF:1f.7", b), 0);
	assert_string_equal(b, "0000:af:1f.7");
	assert_int_equal(vfmgr_parse_bdf("0000:af:20.0", b), -EINVAL); /* device > 31 */
	assert_int_equal(vfmgr_parse_bdf("0000:af:1f.8", b), -EINVAL);
	assert_int_equal(vfmgr_parse_bdf("0000:af:1f.0x", b), -EINVAL);
	assert_int_equal(vfmgr_parse_mac("00:11:22:33:44:FF", mac), 0);
	assert_string_equal(vfmgr_format_mac(mac, m), "00:11:22:33:44:ff");
	assert_int_equal(vfmgr_parse_mac("00:11:22:33:44:FF:", mac), -EINVAL);
	assert_int_equal(vfmgr_parse_mac("0:11:22:33:44:55", mac), -EINVAL);
	enum vfmgr_numa_policy p;
	assert_int_equal(vfmgr_parse_numa_policy("preferred", &p), 0);
	assert_int_equal(p, VFMGR_NUMA_PREFERRED);
	assert_string_equal(vfmgr_numa_policy_name(VFMGR_NUMA_REQUIRED), "required");
	assert_string_equal(vfmgr_link_state_name(2), "disable");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),	  cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad),	  cmocka_unit_test(test_long_line_and_nul),
		cmocka_unit_test(test_load_file), cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_placement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
