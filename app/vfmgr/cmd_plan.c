/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_plan.c: `vfmgr plan [--force]` -- the steps apply (--force) would take; nothing is changed. */
#include "cli.h"

int cmd_plan(struct cli *c, int argc, char **argv)
{
	bool force = false;
	json_t *res, *st;
	size_t i;
	int rc;

	if ((rc = cli_args(c, argc, argv, "plan", 0, &force)) >= 0)
		return rc;
	/* exits non-zero, with apply's error, on what apply would refuse */
	rc = cli_call(c, VFMGR_OP_PLAN, force ? json_pack("{s:b}", "force", 1) : NULL, &res);
	if (rc)
		return rc;
	cli_print_warnings(res);
	if (c->json) {
		cli_print_json(res);
	} else if (json_array_size(json_object_get(res, "steps")) == 0) {
		printf("nothing to do: the host matches the configuration\n");
	} else {
		json_array_foreach(json_object_get(res, "steps"), i, st) printf(
			"%2zu. %s\n", i + 1, json_string_value(json_object_get(st, "text")) ?: "?");
	}
	json_decref(res);
	return 0;
}
