/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_plan.c: `vfmgr plan` -- the steps apply would take; nothing is changed. */
#include "cli.h"

int cmd_plan(struct cli *c, int argc, char **argv)
{
	json_t *res, *st;
	size_t i;
	int ch, rc;

	while ((ch = cli_getopt(c, argc, argv, "", NULL)) != -1) {
		cli_usage_cmd(ch == 'h' ? stdout : stderr, "plan");
		return ch == 'h' ? 0 : VFMGR_EXIT_USAGE;
	}
	if (optind != argc) {
		cli_usage_cmd(stderr, "plan");
		return VFMGR_EXIT_USAGE;
	}
	rc = cli_call(c, VFMGR_OP_PLAN, NULL, &res);
	if (rc)
		return rc;
	if (c->json) {
		cli_print_json(res);
	} else if (json_array_size(json_object_get(res, "steps")) == 0) {
		printf("nothing to do: the host matches the configuration\n");
	} else {
		json_array_foreach(json_object_get(res, "steps"), i, st)
			printf("%2zu. %s\n", i + 1, json_string_value(json_object_get(st, "text")) ?: "?");
	}
	json_decref(res);
	return 0;
}
