/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared helpers for the lib/iova strategy/mode tests (cmocka): the spy backend (spy.h)
 * over the soft VT-d backend, a context of a strategy and mode, and a busy-wait.
 */
#ifndef IOVA_TEST_COMMON_H
#define IOVA_TEST_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "iova.h"
#include "iova_priv.h"

#include "spy.h"

static inline struct iova_backend *soft_backend(uint64_t inv_latency_ns)
{
	struct vtd_soft_params vp;
	vtd_soft_default_params(&vp);
	vp.inv_latency_ns = inv_latency_ns;
	struct iova_backend *b = iova_backend_soft_create(&vp, 0x0100, 1);
	assert_non_null(b);
	return b;
}

static inline struct spy *spy_create(uint64_t inv_latency_ns)
{
	struct spy *s = spy_wrap(soft_backend(inv_latency_ns));
	assert_non_null(s);
	return s;
}

/* A context of strategy s in mode m over phys; over (may be NULL): the other parameters. */
static inline struct iova_ctx *mk_mode(enum iova_strategy s, enum iova_mode m,
				       struct iova_backend *phys, struct iova_ctx_params *over)
{
	struct iova_ctx_params p;
	iova_ctx_default_params(&p);
	if (over)
		p = *over;
	p.strategy = s;
	p.mode = m;
	struct iova_ctx *c = iova_ctx_create(&p, phys);
	assert_non_null(c);
	return c;
}

/* Busy-wait (the stale-window tests need real elapsed time, not a sleep in the code under test). */
static inline void spin_ns(uint64_t ns)
{
	iova_spin_ns(ns);
}

#endif
