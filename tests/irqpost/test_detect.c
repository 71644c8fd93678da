/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/irqpost detection against fixture trees (tests/irqpost/fixtures/<case>/). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "irqpost_internal.h"

static const char *fixtures;

static void detect_case(const char *name, struct irqpost_detect *d)
{
	char root[PATH_MAX];

	snprintf(root, sizeof(root), "%s/%s", fixtures, name);
	assert_int_equal(irqpost_detect(root, d), 0);
}

static void test_intel_pi(void **state)
{
	struct irqpost_detect d;

	detect_case("intel_pi", &d);
	assert_int_equal(d.n_units, 2);
	assert_int_equal(d.vendor, IRQPOST_VENDOR_INTEL);
	assert_string_equal(d.units[0].name, "dmar0");
	assert_string_equal(d.units[1].name, "dmar1");
	assert_true(d.units[0].regs_valid);
	assert_true(d.units[0].cap == 0x8d2078c106f0466ULL);
	assert_true(d.units[0].ecap == 0xf020dfULL);
	assert_true(d.units[0].pi);
	assert_true(d.units[0].ir);
	assert_true(d.units[0].x2apic);
	assert_true(d.host.kvm_intel_loaded);
	assert_int_equal(d.host.enable_apicv, IRQPOST_YES);
	assert_int_equal(d.host.enable_device_posted_irqs, IRQPOST_UNKNOWN);
	assert_false(d.host.kvm_amd_loaded);
	assert_true(d.available);
	assert_string_equal(
		irqpost_verdict_reason(&d),
		"available: 2 DMAR units with CAP.PI=1 ECAP.IR=1 (x2APIC mode), kvm_intel enable_apicv=Y");
}

static void test_intel_qemu_nopi(void **state)
{
	struct irqpost_detect d;

	detect_case("intel_nopi", &d);
	assert_int_equal(d.n_units, 1);
	assert_true(d.units[0].cap == 0xd2008c22260286ULL);
	assert_true(d.units[0].ecap == 0xf00f4aULL);
	assert_false(d.units[0].pi);
	assert_true(d.units[0].ir); /* ecap 0x4a: bit 3 set */
	assert_false(d.units[0].x2apic); /* bit 4 clear */
	assert_false(d.available);
	assert_string_equal(irqpost_verdict_reason(&d),
			    "unavailable: CAP.PI=0 on dmar0 (cap 0xd2008c22260286)");
}

static void test_intel_qemu_nointremap(void **state)
{
	struct irqpost_detect d;

	/* QEMU intel-iommu without intremap=on: no IR either, kvm_intel not loaded */
	detect_case("intel_noir", &d);
	assert_false(d.units[0].ir);
	assert_false(d.host.kvm_intel_loaded);
	assert_false(d.available);
	assert_string_equal(d.reason, "unavailable: CAP.PI=0 on dmar0 (cap 0xd2008c22260286), and "
				      "ECAP.IR=0 (ecap 0xf00f42): no interrupt remapping");
}

static void test_intel_apicv_off(void **state)
{
	struct irqpost_detect d;

	detect_case("intel_apicv_off", &d);
	assert_true(d.units[0].pi);
	assert_int_equal(d.host.enable_apicv, IRQPOST_NO);
	assert_true(d.host.cmdline_apicv_off);
	assert_false(d.available);
	assert_string_equal(d.reason, "unavailable: kvm_intel enable_apicv=N");
}

static void test_intel_devpost_off(void **state)
{
	struct irqpost_detect d;

	detect_case("intel_devpost_off", &d);
	assert_int_equal(d.host.enable_device_posted_irqs, IRQPOST_NO);
	assert_false(d.available);
	assert_string_equal(d.reason, "unavailable: kvm_intel enable_device_posted_irqs=N");
}

static void test_intel_nopost(void **state)
{
	struct irqpost_detect d;

	detect_case("intel_nopost", &d);
	assert_true(d.host.cmdline_intremap_nopost);
	assert_false(d.host.cmdline_intremap_off);
	assert_false(d.available);
	assert_string_equal(d.reason, "unavailable: intremap=nopost on the kernel command line");
}

static void test_amd_avic(void **state)
{
	struct irqpost_detect d;

	detect_case("amd_avic", &d);
	assert_int_equal(d.vendor, IRQPOST_VENDOR_AMD);
	assert_string_equal(d.units[0].name, "ivhd0");
	assert_true(d.units[0].cap == 0x190b0);
	assert_true(d.units[0].ecap == 0x25bf732fa2295afeULL); /* efr:efr2 on 6.8 */
	assert_true(d.units[0].efr2 == 0);
	assert_true(d.units[0].pi);
	assert_int_equal(d.host.avic, IRQPOST_YES);
	assert_int_equal(d.host.cmdline_amd_iommu_intr, 3);
	assert_true(d.available);
	assert_string_equal(d.reason, "available: 1 AMD IOMMU unit with EFR.GASup=1 (vAPIC mode), "
				      "kvm_amd avic=Y");
}

static void test_amd_features2_first(void **state)
{
	struct irqpost_detect d;

	/* Linux 6.3 printed "features2:features"; avic as int 1 */
	detect_case("amd_avic_63", &d);
	assert_true(d.units[0].ecap == 0x25bf732fa2295afeULL);
	assert_true(d.units[0].efr2 == 0x1a);
	assert_int_equal(d.host.avic, IRQPOST_YES);
	assert_true(d.available);
}

static void test_amd_noga(void **state)
{
	struct irqpost_detect d;

	detect_case("amd_noga", &d);
	assert_false(d.units[0].pi);
	assert_false(d.available);
	assert_string_equal(d.reason,
			    "unavailable: EFR.GASup=0 on ivhd0 (features 0x25bf732fa2295a7e)");
}

static void test_amd_avic_off(void **state)
{
	struct irqpost_detect d;

	detect_case("amd_avic_off", &d);
	assert_true(d.units[0].pi);
	assert_int_equal(d.host.avic, IRQPOST_NO);
	assert_false(d.available);
	assert_string_equal(d.reason, "unavailable: kvm_amd avic=N (load kvm_amd with avic=1)");
}

static void test_noiommu(void **state)
{
	struct irqpost_detect d;

	detect_case("noiommu", &d);
	assert_int_equal(d.n_units, 0);
	assert_int_equal(d.vendor, IRQPOST_VENDOR_NONE);
	assert_false(d.available);
	assert_string_equal(d.reason, "unavailable: no IOMMU (no /sys/class/iommu entries)");
}

static void test_missing_root(void **state)
{
	struct irqpost_detect d;

	assert_int_equal(irqpost_detect("/nonexistent/irqpost-root", &d), 0);
	assert_false(d.available);
	assert_int_equal(d.host.cmdline_read, false);
	assert_int_equal(irqpost_detect("/", NULL), -EINVAL);
	assert_string_equal(irqpost_verdict_reason(NULL), "unavailable: detection not run");
}

static void test_parsers(void **state)
{
	uint64_t v = 0, e = 0, e2 = 0;

	assert_int_equal(irqpost_parse_hex_reg("d2008c22260286\n", 15, &v), 0);
	assert_true(v == 0xd2008c22260286ULL);
	assert_int_equal(irqpost_parse_hex_reg("  0xF00F4A ", 11, &v), 0);
	assert_true(v == 0xf00f4a);
	assert_int_equal(irqpost_parse_hex_reg("ffffffffffffffff", 16, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(irqpost_parse_hex_reg("1ffffffffffffffff", 17, &v), -EINVAL);
	assert_int_equal(irqpost_parse_hex_reg("", 0, &v), -EINVAL);
	assert_int_equal(irqpost_parse_hex_reg("0x", 2, &v), -EINVAL);
	assert_int_equal(irqpost_parse_hex_reg("12 34", 5, &v), -EINVAL);
	assert_int_equal(irqpost_parse_hex_reg("xyz", 3, &v), -EINVAL);

	assert_int_equal(irqpost_parse_amd_features("80:25bf\n", 8, false, &e, &e2), 0);
	assert_true(e == 0x25bf && e2 == 0x80);
	assert_int_equal(irqpost_parse_amd_features("80:25bf\n", 8, true, &e, &e2), 0);
	assert_true(e == 0x80 && e2 == 0x25bf);
	assert_int_equal(irqpost_parse_amd_features("abc", 3, true, &e, &e2), 0);
	assert_true(e == 0xabc && e2 == 0);
	assert_int_equal(irqpost_parse_amd_features(":1", 2, true, &e, &e2), -EINVAL);
	assert_int_equal(irqpost_parse_amd_features("1:", 2, true, &e, &e2), -EINVAL);
	assert_int_equal(irqpost_parse_amd_features("1:2:3", 5, true, &e, &e2), -EINVAL);

	assert_int_equal(irqpost_parse_param_bool("Y\n", 2), IRQPOST_YES);
	assert_int_equal(irqpost_parse_param_bool("N\n", 2), IRQPOST_NO);
	assert_int_equal(irqpost_parse_param_bool("1", 1), IRQPOST_YES);
	assert_int_equal(irqpost_parse_param_bool("0", 1), IRQPOST_NO);
	assert_int_equal(irqpost_parse_param_bool("-1\n", 3), IRQPOST_YES);
	assert_int_equal(irqpost_parse_param_bool("maybe", 5), IRQPOST_UNKNOWN);
	assert_int_equal(irqpost_parse_param_bool("", 0), IRQPOST_UNKNOWN);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intel_pi),
		cmocka_unit_test(test_intel_qemu_nopi),
		cmocka_unit_test(test_intel_qemu_nointremap),
		cmocka_unit_test(test_intel_apicv_off),
		cmocka_unit_test(test_intel_devpost_off),
		cmocka_unit_test(test_intel_nopost),
		cmocka_unit_test(test_amd_avic),
		cmocka_unit_test(test_amd_features2_first),
		cmocka_unit_test(test_amd_noga),
		cmocka_unit_test(test_amd_avic_off),
		cmocka_unit_test(test_noiommu),
		cmocka_unit_test(test_missing_root),
		cmocka_unit_test(test_parsers),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	fixtures = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
