/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_libvirt.c: lib/vfmgr/libvirt.c against libvirt's test driver (test:///.../node.xml).
 * argv[1] = absolute path of node.xml, argv[2] = scratch directory (fake sysfs topology).
 * Checks placement (numatune + vcpupin mapped through sysfs node cpulists), device XML,
 * the clear VIR_ERR_NO_SUPPORT report for a running domain, and the inactive-domain
 * redefine path (device present in the persistent XML afterwards, gone after detach).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <libvirt/libvirt.h>

#include "vfmgr_priv.h"

static char uri[4096];
static char root[4096];

static void mkpath_write(const char *path, const char *text)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/sys/devices/system/node/node0/cpulist", root);
	mkpath_write(p, "0-3\n");
	snprintf(p, sizeof(p), "%s/sys/devices/system/node/node1/cpulist", root);
	mkpath_write(p, "4-7\n");
	return 0;
}

static void test_placement(void **state)
{
	struct vfmgr_virt *v;
	struct vfmgr_placement pl;

	assert_int_equal(vfmgr_virt_open(uri, &v), 0);
	assert_int_equal(vfmgr_virt_placement(v, "appl0", root, &pl), 0);
	assert_true(pl.active);
	assert_int_equal(pl.nodes, 1); /* node 0 only */
	assert_int_equal(pl.numatune_nodes, 1);
	assert_int_equal(pl.n_pinned, 2);
	assert_true(pl.pinned[0] & (1 << 2));
	assert_true(pl.pinned[0] & (1 << 3));

	assert_int_equal(vfmgr_virt_placement(v, "appl1", root, &pl), 0);
	assert_false(pl.active);
	assert_true(pl.persistent);
	assert_int_equal(pl.nodes, 2); /* node 1 only */
	assert_int_equal(pl.pinned[0], (1 << 4) | (1 << 5));

	assert_int_equal(vfmgr_virt_placement(v, "nosuchdomain", root, &pl), -ENOENT);
	assert_non_null(strstr(vfmgr_errmsg(), "nosuchdomain"));
	vfmgr_virt_close(v);
}

/* test:///default reports 2 cells (cpus 0-7, 8-15) in its capabilities: pinned CPUs map to
 * nodes through <topology>, without the sysfs fallback (root has no node directories). */
static void test_placement_from_capabilities(void **state)
{
	static const char xml[] =
		"<domain type='test'><name>capstest</name><memory>1048576</memory>"
		"<vcpu placement='static'>2</vcpu><cputune><vcpupin vcpu='0' cpuset='9'/>"
		"<vcpupin vcpu='1' cpuset='10-11,^11'/></cputune>"
		"<os><type arch='i686'>hvm</type></os></domain>";
	struct vfmgr_virt *v;
	struct vfmgr_placement pl;
	char empty[4200];

	snprintf(empty, sizeof(empty), "%s/empty-root", root);
	mkdir(empty, 0755);
	assert_int_equal(vfmgr_virt_open("test:///default", &v), 0);
	/* Define through a second handle on the same shared test:///default state. */
	virConnectPtr c = virConnectOpen("test:///default");
	assert_non_null(c);
	virDomainPtr d = virDomainDefineXML(c, xml);
	assert_non_null(d);
	assert_int_equal(vfmgr_virt_placement(v, "capstest", empty, &pl), 0);
	assert_int_equal(pl.n_pinned, 2); /* 9 and 10 (11 excluded by ^11) */
	assert_int_equal(pl.nodes, 2); /* node 1 only */
	assert_int_equal(pl.numatune_nodes, 0);
	virDomainUndefine(d);
	virDomainFree(d);
	virConnectClose(c);
	vfmgr_virt_close(v);
}

static void test_parse_domain_xml(void **state)
{
	static const char ok_xml[] =
		"<domain><name>d</name><vcpu cpuset='0-7,^3'>2</vcpu>"
		"<numatune><memory nodeset='0,2-3'/></numatune><devices>"
		"<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='0x3b' slot='2' function='1'/>"
		"</source></hostdev></devices></domain>";
	struct vfmgr_placement pl;

	assert_int_equal(vfmgr_virt_parse_domain_xml(ok_xml, strlen(ok_xml), &pl), 0);
	assert_string_equal(pl.name, "d");
	assert_int_equal(pl.n_pinned, 7);
	assert_int_equal(pl.pinned[0], 0xf7);
	assert_int_equal(pl.numatune_nodes, 0xd);
	assert_int_equal(vfmgr_virt_xml_has_device(ok_xml, strlen(ok_xml), "0000:3b:02.1"), 1);
	assert_int_equal(vfmgr_virt_xml_has_device(ok_xml, strlen(ok_xml), "3b:02.1"), 1);
	assert_int_equal(vfmgr_virt_xml_has_device(ok_xml, strlen(ok_xml), "0000:3b:02.2"), 0);
	assert_int_equal(vfmgr_virt_xml_has_device(ok_xml, strlen(ok_xml), "nonsense"), -EINVAL);
	assert_int_equal(vfmgr_virt_parse_domain_xml("<domain><vcpu cpuset='3-1'>1</vcpu></domain>",
						     44, &pl),
			 -EINVAL);
	assert_non_null(strstr(vfmgr_errmsg(), "3-1"));
	assert_int_equal(vfmgr_virt_parse_domain_xml(
				 "<domain><vcpu cpuset='0-99999'>1</vcpu></domain>", 48, &pl),
			 -EINVAL);
	assert_int_equal(vfmgr_virt_parse_domain_xml("<domain", 7, &pl), -EINVAL);
}

static void test_open_fails_clearly(void **state)
{
	struct vfmgr_virt *v = (void *)1;

	assert_int_equal(vfmgr_virt_open("test:///nonexistent/dir/node.xml", &v), -ECONNREFUSED);
	assert_null(v);
	assert_non_null(strstr(vfmgr_errmsg(), "test:///nonexistent/dir/node.xml"));
}

static void test_device_xml(void **state)
{
	struct vfmgr_hostdev hd = { .bdf = "0000:3b:02.1",
				    .form = VFMGR_HOSTDEV_INTERFACE,
				    .has_mac = true,
				    .mac = { 0x52, 0x54, 0, 0xab, 0xcd, 0xef },
				    .vlan = 100 };
	char *x = vfmgr_virt_device_xml(&hd);

	assert_non_null(x);
	assert_non_null(strstr(x, "<interface type='hostdev' managed='no'>"));
	assert_non_null(strstr(x, "<mac address='52:54:00:ab:cd:ef'/>"));
	assert_non_null(strstr(x, "<tag id='100'/>"));
	assert_non_null(strstr(x, "bus='0x3b' slot='0x02' function='0x1'"));
	free(x);

	hd.form = VFMGR_HOSTDEV_PLAIN;
	x = vfmgr_virt_device_xml(&hd);
	assert_non_null(x);
	assert_non_null(strstr(x, "<hostdev mode='subsystem' type='pci' managed='no'>"));
	assert_non_null(strstr(x, "<driver name='vfio'/>"));
	assert_null(strstr(x, "<mac"));
	free(x);

	hd.vlan = 4095;
	assert_null(vfmgr_virt_device_xml(&hd));
	hd.vlan = -1;
	strcpy(hd.bdf, "0000:3b:02.9");
	assert_null(vfmgr_virt_device_xml(&hd));
}

/* Insert both device forms into a whole domain XML and validate it with virt-xml-validate. */
static void test_device_xml_validates(void **state)
{
	static const struct vfmgr_hostdev forms[] = {
		{ .bdf = "0000:3b:02.1",
		  .form = VFMGR_HOSTDEV_INTERFACE,
		  .has_mac = true,
		  .mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 },
		  .vlan = 100 },
		{ .bdf = "0000:3b:02.2", .form = VFMGR_HOSTDEV_INTERFACE, .vlan = -1 },
		{ .bdf = "0000:3b:02.3", .form = VFMGR_HOSTDEV_PLAIN, .vlan = -1 },
	};
	char path[4200], cmd[8600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/domain-with-vfs.xml", root);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("<domain type='kvm'>\n  <name>appl-validate</name>\n"
	      "  <memory unit='KiB'>1048576</memory>\n  <vcpu placement='static'>2</vcpu>\n"
	      "  <cputune>\n    <vcpupin vcpu='0' cpuset='2'/>\n    <vcpupin vcpu='1' cpuset='3'/>\n  </cputune>\n"
	      "  <numatune>\n    <memory mode='strict' nodeset='0'/>\n  </numatune>\n"
	      "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n  <devices>\n",
	      f);
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char *x = vfmgr_virt_device_xml(&forms[i]);
		assert_non_null(x);
		fputs(x, f);
		free(x);
	}
	fputs("  </devices>\n</domain>\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "virt-xml-validate '%s' domain", path);
	assert_int_equal(system(cmd), 0);

	/* And the checker is not a rubber stamp: a broken device must fail validation. */
	snprintf(
		cmd, sizeof(cmd),
		"sed -i \"s/type='hostdev' managed='no'/type='hostdev' managed='perhaps'/\" '%s' && "
		"! virt-xml-validate '%s' domain 2>/dev/null",
		path, path);
	assert_int_equal(system(cmd), 0);
}

static void test_running_domain_unsupported(void **state)
{
	struct vfmgr_virt *v;
	struct vfmgr_hostdev hd = { .bdf = "0000:01:00.1",
				    .form = VFMGR_HOSTDEV_INTERFACE,
				    .vlan = -1 };
	enum vfmgr_virt_path path = VFMGR_VIRT_HOTPLUG;

	assert_int_equal(vfmgr_virt_open(uri, &v), 0);
	assert_int_equal(vfmgr_virt_attach(v, "appl0", &hd, &path), -ENOTSUP);
	assert_int_equal(path, VFMGR_VIRT_NONE);
	assert_non_null(strstr(vfmgr_errmsg(), "VIR_ERR_NO_SUPPORT"));
	assert_non_null(strstr(vfmgr_errmsg(), "appl0"));
	/* Nothing was faked: the device is in neither XML. */
	assert_int_equal(vfmgr_virt_has_device(v, "appl0", "0000:01:00.1", false), 0);
	assert_int_equal(vfmgr_virt_has_device(v, "appl0", "0000:01:00.1", true), 0);
	vfmgr_virt_close(v);
}

static void test_inactive_domain_redefine(void **state)
{
	struct vfmgr_virt *v;
	struct vfmgr_hostdev hd = { .bdf = "0000:01:00.2",
				    .form = VFMGR_HOSTDEV_INTERFACE,
				    .has_mac = true,
				    .mac = { 0x52, 0x54, 0, 1, 2, 3 },
				    .vlan = 42 };
	enum vfmgr_virt_path path;
	char owner[64] = "";

	assert_int_equal(vfmgr_virt_open(uri, &v), 0);
	assert_int_equal(vfmgr_virt_has_device(v, "appl1", hd.bdf, true), 0);
	assert_int_equal(vfmgr_virt_find_owner(v, hd.bdf, owner, sizeof(owner)), 0);
	assert_int_equal(vfmgr_virt_attach(v, "appl1", &hd, &path), 0);
	assert_int_equal(path, VFMGR_VIRT_REDEFINE);
	assert_int_equal(vfmgr_virt_has_device(v, "appl1", hd.bdf, true), 1);
	assert_int_equal(vfmgr_virt_has_device(v, "appl1", "0000:01:00.3", true), 0);
	assert_int_equal(vfmgr_virt_find_owner(v, hd.bdf, owner, sizeof(owner)), 1);
	assert_string_equal(owner, "appl1");
	/* Second attach of the same VF: refused, not duplicated. */
	assert_int_equal(vfmgr_virt_attach(v, "appl1", &hd, &path), -EEXIST);

	assert_int_equal(vfmgr_virt_detach(v, "appl1", hd.bdf, &path), 0);
	assert_int_equal(path, VFMGR_VIRT_REDEFINE);
	assert_int_equal(vfmgr_virt_has_device(v, "appl1", hd.bdf, true), 0);
	assert_int_equal(vfmgr_virt_detach(v, "appl1", hd.bdf, &path), -ENOENT);
	vfmgr_virt_close(v);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_placement_from_capabilities),
		cmocka_unit_test(test_parse_domain_xml),
		cmocka_unit_test(test_open_fails_clearly),
		cmocka_unit_test(test_device_xml),
		cmocka_unit_test(test_device_xml_validates),
		cmocka_unit_test(test_running_domain_unsupported),
		cmocka_unit_test(test_inactive_domain_redefine),
	};

	if (argc < 3) {
		fprintf(stderr, "usage: %s /abs/node.xml SCRATCHDIR\n", argv[0]);
		return 2;
	}
	snprintf(uri, sizeof(uri), "test://%s", argv[1]);
	snprintf(root, sizeof(root), "%s/root", argv[2]);
	return cmocka_run_group_tests(tests, setup, NULL);
}
