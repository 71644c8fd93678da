/* SPDX-License-Identifier: BSD-3-Clause */
/** @file fuzz_routes.c libFuzzer target: the routes file parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vfapp_route_cfg cfg;
	char err[256];
	unsigned int i;
	int ret;

	vfapp_routes_init(&cfg);
	ret = vfapp_routes_parse_buf(&cfg, "fuzz", (const char *)data, size, err, sizeof(err));
	if (ret != 0 && strncmp(err, "fuzz:", 5) != 0)
		abort(); /* every error names file:line */
	for (i = 0; i < cfg.nb_routes; i++)
		if (cfg.routes[i].depth > 32 || cfg.routes[i].port > 1)
			abort();
	return 0;
}
