/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the lib/iova model tests (test_iova_alloc.c, test_backend_soft.c) share: the
 * operation counts scaled down under valgrind, and a seeded pseudo-random generator.
 */
#ifndef IOVA_TEST_SCALE_H
#define IOVA_TEST_SCALE_H

#include <stdint.h>
#include <stdlib.h>
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

/* Scale: the full count normally; IOVA_TEST_SCALE=N divides it (valgrind divides by 5). */
static inline uint64_t scaled(uint64_t n)
{
	const char *s = getenv("IOVA_TEST_SCALE");
	uint64_t div = s ? strtoull(s, NULL, 0) : (RUNNING_ON_VALGRIND ? 5 : 1);

	return div > 1 ? n / div : n;
}

/* xorshift64*: the next value of the sequence *state (non-zero) walks. */
static inline uint64_t xorshift64s(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 2685821657736338717ULL;
}

#endif
