/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strategy and emulation-mode names, exactly as the CLI, the benchmark report and
 * results.json spell them (iova.h section 4): "off strict deferred optimistic persistent
 * shared ring" (+ our "pool") and "native trap-and-emulate sidecore".
 */
#include <errno.h>
#include <string.h>

#include "iova.h"

static const char *const strat_names[IOVA_STRAT__COUNT] = {
	[IOVA_STRAT_OFF] = "off",
	[IOVA_STRAT_STRICT] = "strict",
	[IOVA_STRAT_DEFERRED] = "deferred",
	[IOVA_STRAT_OPTIMISTIC] = "optimistic",
	[IOVA_STRAT_PERSISTENT] = "persistent",
	[IOVA_STRAT_SHARED] = "shared",
	[IOVA_STRAT_RING] = "ring",
	[IOVA_STRAT_POOL] = "pool",
};

static const char *const mode_names[] = {
	[IOVA_MODE_NATIVE] = "native",
	[IOVA_MODE_TRAP_EMULATE] = "trap-and-emulate",
	[IOVA_MODE_SIDECORE] = "sidecore",
};
#define NB_MODES (sizeof(mode_names) / sizeof(mode_names[0]))

const char *iova_strategy_name(enum iova_strategy s)
{
	if ((unsigned int)s >= IOVA_STRAT__COUNT)
		return NULL;
	return strat_names[s];
}

int iova_strategy_parse(const char *name)
{
	if (!name)
		return -EINVAL;
	for (unsigned int i = 0; i < IOVA_STRAT__COUNT; i++)
		if (strcmp(name, strat_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

const char *iova_mode_name(enum iova_mode m)
{
	if ((unsigned int)m >= NB_MODES)
		return NULL;
	return mode_names[m];
}

int iova_mode_parse(const char *name)
{
	if (!name)
		return -EINVAL;
	for (unsigned int i = 0; i < NB_MODES; i++)
		if (strcmp(name, mode_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}
