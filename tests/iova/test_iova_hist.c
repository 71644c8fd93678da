/* SPDX-License-Identifier: BSD-3-Clause */
/** @file test_iova_hist.c Unit tests of the log-linear histogram (iova_hist.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "iova_priv.h"

static struct iova_hist h;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_buckets(void **state)
{
	uint64_t v, lo, w;
	unsigned int b, prev = 0;

	(void)state;
	/* every value lies inside its bucket, buckets are monotonic and relative width <= 1/128 */
	for (v = 0; v < (1ull << 40); v = v < 4096 ? v + 1 : v + v / 97 + 1) {
		b = iova_hist_bucket(v);
		assert_true(b < IOVA_HIST_BUCKETS);
		assert_true(b >= prev);
		prev = b;
		iova_hist_bucket_range(b, &lo, &w);
		assert_true(v >= lo && v < lo + w);
		if (v >= 2 * IOVA_HIST_SUB)
			assert_true(w * IOVA_HIST_SUB <= lo);
	}
	assert_true(iova_hist_bucket(UINT64_MAX) < IOVA_HIST_BUCKETS);
}

static void test_quantiles(void **state)
{
	static uint64_t vals[100000];
	unsigned int i, n = 100000;
	const double qs[] = { 0.5, 0.9, 0.99, 0.999, 1.0 };
	uint32_t x = 12345;

	(void)state;
	iova_hist_reset(&h);
	assert_int_equal(iova_hist_quantile(&h, 0.5), 0);
	for (i = 0; i < n; i++) {
		/* heavy-tailed: mostly 500..1500 ns, 1 % up to ~100 us */
		x = x * 1103515245u + 12345u;
		vals[i] = 500 + (x >> 8) % 1000 + ((x >> 4) % 100 == 0 ? (x >> 9) % 100000 : 0);
		iova_hist_record(&h, vals[i]);
	}
	qsort(vals, n, sizeof(vals[0]), cmp_u64);
	assert_int_equal(h.count, n);
	assert_int_equal(h.min, vals[0]);
	assert_int_equal(h.max, vals[n - 1]);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		uint64_t exact = vals[(size_t)(qs[i] * n + 0.999999) - 1];
		uint64_t got = iova_hist_quantile(&h, qs[i]);
		double err =
			got > exact ? (double)(got - exact) / exact : (double)(exact - got) / exact;

		if (err > 1.0 / IOVA_HIST_SUB)
			fail_msg("q %.3f: got %lu exact %lu (err %.4f)", qs[i], (unsigned long)got,
				 (unsigned long)exact, err);
	}
}

static void test_constant(void **state)
{
	unsigned int i;

	(void)state;
	iova_hist_reset(&h);
	for (i = 0; i < 1000; i++)
		iova_hist_record(&h, 123456);
	/* clamped to [min, max]: a constant stream reports exactly that value */
	assert_int_equal(iova_hist_quantile(&h, 0.5), 123456);
	assert_int_equal(iova_hist_quantile(&h, 0.999), 123456);
	assert_int_equal(iova_hist_quantile(&h, 0), 123456);
}

/* record_n(v, n) leaves the histogram exactly as n record(v) calls do */
static void test_record_n(void **state)
{
	static struct iova_hist one, many;
	static const uint64_t v[] = { 7, 300, 123456, 1ull << 40 };
	static const uint64_t n[] = { 1, 32, 5, 0 };
	unsigned int i;
	uint64_t k;

	(void)state;
	iova_hist_reset(&one);
	iova_hist_reset(&many);
	for (i = 0; i < 4; i++) {
		for (k = 0; k < n[i]; k++)
			iova_hist_record(&one, v[i]);
		iova_hist_record_n(&many, v[i], n[i]);
	}
	assert_int_equal(many.count, 38);
	assert_int_equal(many.max, 123456); /* n = 0 recorded nothing, not even max */
	assert_memory_equal(&one, &many, sizeof(one));
	/* the median is in 300's bucket [300, 302), reported as its middle */
	assert_int_equal(iova_hist_quantile(&many, 0.5), 301);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_constant),
		cmocka_unit_test(test_record_n),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
