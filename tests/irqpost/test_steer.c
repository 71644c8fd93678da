/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/irqpost IRQ steering against a scratch sysfs/procfs tree built per test. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "irqpost_internal.h"

#define BDF "0000:03:10.2"

static char root[256];

static void mkdirs(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0755);
			*p = '/';
		}
	}
	mkdir(tmp, 0755);
}

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void get(const char *rel, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static int setup(void **state)
{
	char p[PATH_MAX];
	static const int irqs[] = { 41, 40, 142 };

	snprintf(root, sizeof(root), "/tmp/irqpost-steer-XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		char rel[128];

		snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/" BDF "/msi_irqs", root);
		mkdirs(p);
		snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/" BDF "/msi_irqs/%d", irqs[i]);
		put(rel, "msix\n");
		snprintf(p, sizeof(p), "%s/proc/irq/%d", root, irqs[i]);
		mkdirs(p);
		snprintf(rel, sizeof(rel), "/proc/irq/%d/smp_affinity_list", irqs[i]);
		put(rel, i == 2 ? "0-3\n" : "1\n");
	}
	/* a device whose MSI-X is not enabled yet: no msi_irqs directory */
	snprintf(p, sizeof(p), "%s/sys/bus/pci/devices/0000:03:10.3", root);
	mkdirs(p);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_cpulist(void **state)
{
	char buf[64];
	uint64_t bits[2];
	int cpus[] = { 7, 3, 1, 2, 3, 9, 10, 11 };

	assert_int_equal(irqpost_cpulist_format(cpus, 8, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "1-3,7,9-11");
	assert_int_equal(irqpost_cpulist_format(cpus, 1, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "7");
	assert_int_equal(irqpost_cpulist_format(cpus, 8, buf, 5), -ENOSPC);
	int bad[] = { -1 };
	assert_int_equal(irqpost_cpulist_format(bad, 1, buf, sizeof(buf)), -EINVAL);

	assert_int_equal(irqpost_cpulist_parse("1-3,7,9-11\n", 11, bits, 128), 7);
	assert_true(bits[0] == ((0x7ULL << 1) | (1ULL << 7) | (0x7ULL << 9)));
	assert_int_equal(irqpost_cpulist_parse("0,0,0", 5, bits, 128), 1);
	assert_int_equal(irqpost_cpulist_parse("", 0, bits, 128), 0);
	assert_int_equal(irqpost_cpulist_parse("3-1", 3, bits, 128), -EINVAL);
	assert_int_equal(irqpost_cpulist_parse("1,", 2, bits, 128), -EINVAL);
	assert_int_equal(irqpost_cpulist_parse("a", 1, bits, 128), -EINVAL);
	assert_int_equal(irqpost_cpulist_parse("200", 3, bits, 128), -ERANGE);
}

static void test_vf_irqs(void **state)
{
	int irqs[8];
	char err[256] = "";

	assert_int_equal(irqpost_vf_irqs(root, BDF, irqs, 8, err, sizeof(err)), 3);
	assert_int_equal(irqs[0], 40);
	assert_int_equal(irqs[1], 41);
	assert_int_equal(irqs[2], 142);
	assert_int_equal(irqpost_vf_irqs(root, "03:10.2", irqs, 8, err, sizeof(err)), 3);
	assert_int_equal(irqpost_vf_irqs(root, BDF, irqs, 2, err, sizeof(err)), -ENOSPC);
	assert_int_equal(irqpost_vf_irqs(root, "0000:03:10.3", irqs, 8, err, sizeof(err)), 0);
	assert_int_equal(irqpost_vf_irqs(root, "0000:09:00.0", irqs, 8, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no PCI device 0000:09:00.0"));
	assert_int_equal(irqpost_vf_irqs(root, "zz:10.2", irqs, 8, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad PCI address 'zz:10.2'"));
	assert_int_equal(irqpost_vf_irqs(root, "0000:03:20.0", irqs, 8, err, sizeof(err)), -EINVAL);
}

static void test_steer_restore(void **state)
{
	struct irqpost_steer *st = NULL;
	int cpus[] = { 5, 4 };
	char err[256] = "", buf[64];

	assert_int_equal(irqpost_steer(root, BDF, cpus, 2, &st, err, sizeof(err)), 3);
	assert_non_null(st);
	get("/proc/irq/40/smp_affinity_list", buf, sizeof(buf));
	assert_string_equal(buf, "4-5\n");
	get("/proc/irq/142/smp_affinity_list", buf, sizeof(buf));
	assert_string_equal(buf, "4-5\n");
	/* persist + rebuild (a daemon restart) instead of keeping the object */
	int irq;
	const char *list;

	assert_int_equal(irqpost_steer_count(st), 3);
	assert_int_equal(irqpost_steer_entry(st, 2, &irq, &list), 0);
	assert_int_equal(irq, 142);
	assert_string_equal(list, "0-3");
	assert_int_equal(irqpost_steer_entry(st, 3, &irq, &list), -EINVAL);
	int pirqs[3];
	const char *plists[3];
	char keep[3][16];

	for (int i = 0; i < 3; i++) {
		assert_int_equal(irqpost_steer_entry(st, (size_t)i, &pirqs[i], &list), 0);
		snprintf(keep[i], sizeof(keep[i]), "%s", list);
		plists[i] = keep[i];
	}
	irqpost_steer_free(st);
	st = irqpost_steer_load(root, pirqs, plists, 3);
	assert_non_null(st);
	const char *badl[1] = { "1-x" };
	assert_null(irqpost_steer_load(root, pirqs, badl, 1));
	assert_null(irqpost_steer_load(root, pirqs, plists, 0));
	assert_int_equal(irqpost_restore(st, err, sizeof(err)), 0);
	get("/proc/irq/40/smp_affinity_list", buf, sizeof(buf));
	assert_string_equal(buf, "1\n");
	get("/proc/irq/142/smp_affinity_list", buf, sizeof(buf));
	assert_string_equal(buf, "0-3\n");
	assert_int_equal(irqpost_restore(NULL, err, sizeof(err)), 0);

	/* no IRQs: nothing saved */
	assert_int_equal(irqpost_steer(root, "0000:03:10.3", cpus, 2, &st, err, sizeof(err)), 0);
	assert_null(st);
	assert_int_equal(irqpost_steer(root, BDF, cpus, 0, &st, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty pCPU list"));
}

static void test_steer_failure_rolls_back(void **state)
{
	struct irqpost_steer *st = (void *)1;
	int cpus[] = { 2 };
	char err[256] = "", path[PATH_MAX], buf[64];

	/* IRQ 142 (steered last) reads fine but every write fails with ENOSPC, as a
	 * refusing kernel would (works for root too, unlike file modes) */
	snprintf(path, sizeof(path), "%s/proc/irq/142/smp_affinity_list", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/dev/full", path), 0);
	int rc = irqpost_steer(root, BDF, cpus, 1, &st, err, sizeof(err));
	assert_true(rc < 0);
	assert_null(st);
	/* the error names the IRQ and the file */
	assert_non_null(strstr(err, "IRQ 142"));
	assert_non_null(strstr(err, "/proc/irq/142/smp_affinity_list"));
	/* IRQs 40 and 41 were put back */
	get("/proc/irq/40/smp_affinity_list", buf, sizeof(buf));
	assert_string_equal(buf, "1\n");
	get("/proc/irq/41/smp_affinity_list", buf, sizeof(buf));
	assert_string_equal(buf, "1\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test_setup_teardown(test_vf_irqs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_steer_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_steer_failure_rolls_back, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
