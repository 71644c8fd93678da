/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/irqpost /proc/interrupts parser, deltas and the posted/remapped verdict. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "irqpost_internal.h"

static const char *fixtures;

static void load(const char *name, struct irqpost_interrupts *s)
{
	char path[PATH_MAX], *buf;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/procirq/%s", fixtures, name);
	f = fopen(path, "r");
	assert_non_null(f);
	buf = malloc(1 << 16);
	assert_non_null(buf);
	n = (long)fread(buf, 1, 1 << 16, f);
	fclose(f);
	assert_true(n > 0);
	assert_true(irqpost_interrupts_parse(buf, (size_t)n, s) > 0);
	free(buf);
}

static void test_parse_fixture(void **state)
{
	struct irqpost_interrupts s;
	const struct irqpost_irq_row *r;

	load("before.txt", &s);
	assert_int_equal(s.ncpus, 4);
	assert_int_equal(s.cpu_ids[3], 3);
	assert_int_equal(s.nrows, 26);

	r = irqpost_interrupts_find(&s, "0");
	assert_non_null(r);
	assert_int_equal(r->irq, 0);
	assert_int_equal(r->ncounts, 4);
	assert_true(r->counts[0] == 36);
	assert_string_equal(r->desc, "IO-APIC   2-edge      timer");

	r = irqpost_interrupts_find(&s, "24");
	assert_non_null(r);
	assert_int_equal(r->ncounts, 4); /* "65536-edge" is not a fifth count */
	assert_string_equal(r->desc, "PCI-MSI 65536-edge      nvme0q0");

	r = irqpost_interrupts_find(&s, "50");
	assert_true(r->total == 123456);
	assert_string_equal(r->desc,
			    "IR-PCI-MSIX-0000:01:00.0    0-edge      eth0-TxRx-0, eth0 fallback");

	r = irqpost_interrupts_find(&s, "ERR");
	assert_non_null(r);
	assert_int_equal(r->irq, -1);
	assert_int_equal(r->ncounts, 1);
	assert_string_equal(r->desc, "");

	r = irqpost_interrupts_find(&s, "LOC");
	assert_true(r->total == 1534622ULL + 1249183 + 1311240 + 1188901);
	assert_string_equal(r->desc, "Local timer interrupts");

	r = irqpost_interrupts_find(&s, "PIN");
	assert_true(r->total == 120);
	assert_null(irqpost_interrupts_find(&s, "NOPE"));
	irqpost_interrupts_free(&s);
	irqpost_interrupts_free(&s); /* idempotent */
}

static void test_parse_variants(void **state)
{
	/* offline CPU1: header CPU0 CPU2; 64-bit counts; CRLF; blank lines; junk lines */
	static const char txt[] = "\n           CPU0       CPU2\r\n"
				  "  5:  18446744073709551615  1   IR-IO-APIC  5-fasteoi  x y z\r\n"
				  "garbage without colon\n"
				  "  7:  99999999999999999999  0  overflow row is skipped\n"
				  " PIW:   3   4   Posted-interrupt wakeup event\n"
				  "  9:\n"
				  " MIS:   0\n";
	struct irqpost_interrupts s;
	const struct irqpost_irq_row *r;

	assert_int_equal(irqpost_interrupts_parse(txt, sizeof(txt) - 1, &s), 4);
	assert_int_equal(s.ncpus, 2);
	assert_int_equal(s.cpu_ids[0], 0);
	assert_int_equal(s.cpu_ids[1], 2);
	r = irqpost_interrupts_find(&s, "5");
	assert_true(r->counts[0] == UINT64_MAX);
	assert_true(r->total == UINT64_MAX); /* saturates */
	assert_string_equal(r->desc, "IR-IO-APIC  5-fasteoi  x y z");
	assert_null(irqpost_interrupts_find(&s, "7"));
	r = irqpost_interrupts_find(&s, "9");
	assert_int_equal(r->ncounts, 0);
	r = irqpost_interrupts_find(&s, "PIW");
	assert_true(r->total == 7);
	irqpost_interrupts_free(&s);

	assert_int_equal(irqpost_interrupts_parse("", 0, &s), -EINVAL);
	assert_int_equal(irqpost_interrupts_parse("  0: 1 2 x\n", 11, &s), -EINVAL);
	assert_int_equal(irqpost_interrupts_parse("CPU0 CPUx\n", 10, &s), -EINVAL);
	assert_int_equal(irqpost_interrupts_parse("   \n\n", 5, &s), -EINVAL);
	assert_int_equal(irqpost_interrupts_parse("CPU0\n", 5, &s), 0);
	assert_int_equal(s.ncpus, 1);
	irqpost_interrupts_free(&s);
}

static void test_delta(void **state)
{
	struct irqpost_interrupts a, b;
	unsigned n;

	load("before.txt", &a);
	load("after_remapped.txt", &b);
	assert_true(irqpost_interrupts_delta(&a, &b, "vfio-msix", &n) == 8000 + 1000);
	assert_int_equal(n, 3);
	assert_true(irqpost_interrupts_delta(&a, &b, "0000:03:10.2", &n) == 9000);
	assert_int_equal(n, 2);
	assert_true(irqpost_interrupts_delta(&a, &b, "40", &n) == 8000);
	assert_int_equal(n, 1);
	assert_true(irqpost_interrupts_delta(&a, &b, "PIN", &n) == 0);
	/* backwards counters contribute 0 */
	assert_true(irqpost_interrupts_delta(&b, &a, "vfio-msix", &n) == 0);
	irqpost_interrupts_free(&a);
	irqpost_interrupts_free(&b);
}

static void test_verdict_posted(void **state)
{
	struct irqpost_interrupts a, b;
	struct irqpost_evidence_report rep;

	load("before.txt", &a);
	load("after_posted.txt", &b);
	assert_int_equal(irqpost_evidence_judge(&a, &b, "0000:03:10.2", 5000, &rep),
			 IRQPOST_EVIDENCE_POSTED);
	assert_int_equal(rep.vf_rows, 2);
	assert_true(rep.host_vf_delta == 0);
	assert_true(rep.pin_delta == 5000);
	assert_true(rep.piw_delta == 200);
	assert_string_equal(rep.why,
			    "posted: guest received 5000 interrupts while the 2 host "
			    "vfio-msix row(s) of 0000:03:10.2 stayed flat (PIN +5000, PIW +200)");
	/* short BDF form */
	assert_int_equal(irqpost_evidence_judge(&a, &b, "03:10.2", 5000, NULL),
			 IRQPOST_EVIDENCE_POSTED);
	/* the neighbour VF 03:10.3 did count on the host: remapped */
	assert_int_equal(irqpost_evidence_judge(&a, &b, "0000:03:10.3", 5000, &rep),
			 IRQPOST_EVIDENCE_REMAPPED);
	assert_true(rep.host_vf_delta == 767);
	/* no guest interrupts: PIN deltas alone prove nothing */
	assert_int_equal(irqpost_evidence_judge(&a, &b, "0000:03:10.2", 0, &rep),
			 IRQPOST_EVIDENCE_UNKNOWN);
	/* identical snapshots: nothing happened */
	assert_int_equal(irqpost_evidence_judge(&a, &a, "0000:03:10.2", 0, &rep),
			 IRQPOST_EVIDENCE_UNKNOWN);
	/* a VF with no vfio rows */
	assert_int_equal(irqpost_evidence_judge(&a, &b, "0000:05:00.1", 100, &rep),
			 IRQPOST_EVIDENCE_UNKNOWN);
	assert_non_null(strstr(rep.why, "no vfio-msix rows for 0000:05:00.1"));
	assert_int_equal(irqpost_evidence_judge(NULL, &b, "0000:03:10.2", 1, &rep),
			 IRQPOST_EVIDENCE_UNKNOWN);
	irqpost_interrupts_free(&a);
	irqpost_interrupts_free(&b);
}

static void test_verdict_remapped(void **state)
{
	struct irqpost_interrupts a, b;
	struct irqpost_evidence_report rep;

	load("before.txt", &a);
	load("after_remapped.txt", &b);
	assert_int_equal(irqpost_evidence_judge(&a, &b, "0000:03:10.2", 9000, &rep),
			 IRQPOST_EVIDENCE_REMAPPED);
	assert_true(rep.host_vf_delta == 9000);
	assert_int_equal(rep.vf_rows, 2);
	assert_string_equal(irqpost_evidence_name(rep.verdict), "remapped");
	assert_string_equal(irqpost_evidence_name(IRQPOST_EVIDENCE_POSTED), "posted");
	assert_string_equal(irqpost_evidence_name(IRQPOST_EVIDENCE_UNKNOWN), "unknown");
	irqpost_interrupts_free(&a);
	irqpost_interrupts_free(&b);
}

static void test_read_root(void **state)
{
	struct irqpost_interrupts s;
	char err[256] = "";

	assert_int_equal(irqpost_interrupts_read("/nonexistent-irqpost", &s, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent-irqpost/proc/interrupts"));
	/* the real host, when it has /proc (x86: at least LOC and NMI rows) */
	if (irqpost_interrupts_read("/", &s, err, sizeof(err)) > 0) {
		assert_true(s.ncpus >= 1);
		assert_true(s.nrows >= 1);
		irqpost_interrupts_free(&s);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fixture),
		cmocka_unit_test(test_parse_variants),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_verdict_posted),
		cmocka_unit_test(test_verdict_remapped),
		cmocka_unit_test(test_read_root),
	};

	if (argc < 2) {
		fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	fixtures = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
