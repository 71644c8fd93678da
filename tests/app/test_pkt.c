/* SPDX-License-Identifier: BSD-3-Clause */
/** @file test_pkt.c Unit tests of the vfapp packet parser and RFC 1624 TTL update. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "frames.h"
#include "pkt.h"

#define DST 0x0a000202u /* 10.0.2.2 */

static void test_valid(void **state)
{
	uint8_t buf[256];
	struct pkt_info pi;
	unsigned int len = frames_build(buf, FR_VALID, DST, 64, 18, 3);

	(void)state;
	assert_int_equal(pkt_parse(buf, len, &pi), PKT_OK);
	assert_int_equal(pi.l3_off, 14);
	assert_int_equal(pi.l3_len, 20);
	assert_int_equal(pi.l4_off, 34);
	assert_int_equal(pi.ip_totlen, 20 + 8 + 18);
	assert_int_equal(pi.dst_ip, DST);
	assert_int_equal(pi.src_ip, 0x0a000102u);
	assert_int_equal(pi.ttl, 64);
	assert_int_equal(pi.proto, 17);
	/* Ethernet padding beyond the IP total length is fine */
	assert_int_equal(pkt_parse(buf, len + 10, NULL), PKT_OK);
	/* TTL 2 is the smallest forwardable */
	len = frames_build(buf, FR_VALID, DST, 2, 0, 0);
	assert_int_equal(pkt_parse(buf, len, &pi), PKT_OK);
}

static void test_options(void **state)
{
	uint8_t buf[256];
	unsigned int len;
	uint16_t c;

	(void)state;
	/* IHL 6 with 4 option bytes, total length adjusted */
	len = frames_build(buf, FR_VALID, DST, 64, 16, 1);
	memmove(buf + 14 + 24, buf + 14 + 20, len - 34);
	memset(buf + 34, 1, 4); /* NOP options */
	buf[14] = 0x46;
	buf[17] = (uint8_t)(buf[17] + 4);
	c = frames_ip_csum(buf + 14, 24);
	buf[24] = (uint8_t)(c >> 8);
	buf[25] = (uint8_t)c;
	len += 4;
	struct pkt_info pi;
	assert_int_equal(pkt_parse(buf, len, &pi), PKT_OK);
	assert_int_equal(pi.l3_len, 24);
	assert_int_equal(pi.l4_off, 38);
}

static void test_malformed(void **state)
{
	static const struct {
		enum frame_kind k;
		enum pkt_verdict v;
	} cases[] = {
		{ FR_TRUNC_ETH, PKT_TRUNC_ETH },       { FR_TRUNC_IP, PKT_TRUNC_IP },
		{ FR_BAD_IHL, PKT_BAD_IHL },	       { FR_IHL_BEYOND, PKT_TRUNC_IP },
		{ FR_BAD_TOTLEN_BIG, PKT_BAD_TOTLEN }, { FR_BAD_TOTLEN_SMALL, PKT_BAD_TOTLEN },
		{ FR_BAD_VERSION, PKT_BAD_VERSION },   { FR_BAD_CSUM, PKT_BAD_CSUM },
		{ FR_TTL0, PKT_TTL_EXPIRED },	       { FR_TTL1, PKT_TTL_EXPIRED },
		{ FR_NOT_IPV4, PKT_NOT_IPV4 },
	};
	uint8_t buf[256];
	struct pkt_info pi;
	unsigned int i, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&pi, 0xab, sizeof(pi));
		len = frames_build(buf, cases[i].k, DST, 64, 32, 5);
		assert_int_equal(pkt_parse(buf, len, &pi), cases[i].v);
		if (cases[i].v == PKT_TTL_EXPIRED) /* a valid header: filled, for the ICMP error */
			assert_true(pi.l3_off == 14 && pi.l3_len == 20 && pi.dst_ip == DST);
		else
			assert_int_equal(pi.l3_off, 0xabab); /* info untouched on failure */
	}
	assert_int_equal(pkt_parse(NULL, 0, &pi), PKT_TRUNC_ETH);
	assert_int_equal(pkt_parse(buf, 0, &pi), PKT_TRUNC_ETH);
	assert_int_equal(pkt_parse(buf, 13, &pi), PKT_TRUNC_ETH);
	/* every truncation of a valid frame below its IP total length is rejected */
	len = frames_build(buf, FR_VALID, DST, 64, 32, 5);
	for (i = 0; i < len; i++)
		assert_int_not_equal(pkt_parse(buf, i, &pi), PKT_OK);
	assert_string_equal(pkt_verdict_name(PKT_BAD_TOTLEN), "bad_totlen");
	assert_string_equal(pkt_verdict_name((enum pkt_verdict)99), "unknown");
}

static void test_ttl_dec(void **state)
{
	uint8_t buf[256];
	unsigned int ttl, len, seed;

	(void)state;
	/* the incremental update equals a full recomputation for every TTL and many headers */
	for (seed = 0; seed < 64; seed++) {
		for (ttl = 2; ttl <= 255; ttl++) {
			uint32_t dst = 0x0a000000u | (seed * 2654435761u >> 8);
			uint16_t want;

			len = frames_build(buf, FR_VALID, dst, (uint8_t)ttl, seed, (uint8_t)seed);
			buf[14 + 4] = (uint8_t)(seed * 37); /* vary the ID so checksums differ */
			want = frames_ip_csum(buf + 14, 20);
			buf[24] = (uint8_t)(want >> 8);
			buf[25] = (uint8_t)want;
			pkt_ttl_dec(buf + 14);
			assert_int_equal(buf[14 + 8], ttl - 1);
			want = frames_ip_csum(buf + 14, 20);
			assert_int_equal(buf[24] << 8 | buf[25], want);
			assert_true(pkt_ipv4_csum_ok(buf + 14, 20));
			assert_int_equal(pkt_parse(buf, len, NULL),
					 ttl - 1 <= 1 ? PKT_TTL_EXPIRED : PKT_OK);
		}
	}
}

static void test_ttl_dec_ffff(void **state)
{
	/* RFC 1624's corner: a header whose checksum is 0x0000 after the update must not
	 * become 0xffff (eqn. 3 keeps the one's complement right); search for such a header. */
	uint8_t buf[64];
	unsigned int id, hits = 0;

	(void)state;
	for (id = 0; id < 65536; id++) {
		uint16_t c;

		frames_build(buf, FR_VALID, DST, 65, 0, 0);
		buf[18] = (uint8_t)(id >> 8);
		buf[19] = (uint8_t)id;
		c = frames_ip_csum(buf + 14, 20);
		buf[24] = (uint8_t)(c >> 8);
		buf[25] = (uint8_t)c;
		pkt_ttl_dec(buf + 14);
		c = frames_ip_csum(buf + 14, 20);
		if ((buf[24] << 8 | buf[25]) != c)
			fail_msg("id %u: incremental 0x%04x full 0x%04x", id,
				 buf[24] << 8 | buf[25], c);
		hits++;
	}
	assert_int_equal(hits, 65536);
}

/* RFC 1071 reference: 16-bit big-endian words, a trailing odd byte padded with zero */
static int ref_csum_ok(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* the word-sum checksum agrees with the reference, valid or not, at every length */
static void test_csum_reference(void **state)
{
	uint8_t b[64];
	uint32_t x = 7;
	unsigned int valid = 0;

	(void)state;
	for (unsigned int it = 0; it < 20000; it++) {
		size_t len = 1 + it % 64;

		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			b[i] = (uint8_t)(x >> 16);
		}
		if (len >= 12 && it % 2 == 0) { /* make it valid: fix the word at 10 */
			uint16_t c;

			b[10] = b[11] = 0;
			c = frames_ip_csum(b, (unsigned int)(len & ~1u));
			if (len & 1) { /* the padded odd byte counts too */
				uint32_t sum = (uint16_t)~c + ((uint32_t)b[len - 1] << 8);

				sum = (sum & 0xffff) + (sum >> 16);
				c = (uint16_t)~sum;
			}
			b[10] = (uint8_t)(c >> 8);
			b[11] = (uint8_t)c;
		}
		valid += (unsigned int)ref_csum_ok(b, len);
		assert_int_equal(pkt_ipv4_csum_ok(b, len), ref_csum_ok(b, len));
	}
	assert_true(valid >= 8000); /* both kinds were exercised (about 8300 made valid) */
	/* 20 bytes (the no-options shortcut, a modulo instead of folds): its edges and a
	 * sweep that fixes the checksum word to every value */
	memset(b, 0, 20);
	assert_false(pkt_ipv4_csum_ok(b, 20)); /* the sum of nothing is 0, not 0xffff */
	memset(b, 0xff, 20);
	assert_true(pkt_ipv4_csum_ok(b, 20)); /* -0 words: the sum is 0xffff */
	assert_int_equal(ref_csum_ok(b, 20), 1);
	for (unsigned int c = 0; c < 65536; c++) {
		for (size_t i = 0; i < 20; i++) {
			x = x * 1103515245u + 12345u;
			b[i] = (uint8_t)(x >> 16);
		}
		b[10] = (uint8_t)(c >> 8);
		b[11] = (uint8_t)c;
		assert_int_equal(pkt_ipv4_csum_ok(b, 20), ref_csum_ok(b, 20));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),	     cmocka_unit_test(test_options),
		cmocka_unit_test(test_malformed),    cmocka_unit_test(test_ttl_dec),
		cmocka_unit_test(test_ttl_dec_ffff), cmocka_unit_test(test_csum_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
