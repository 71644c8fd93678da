/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_apply.c: `vfmgr apply [--force]` -- make the host match the configuration. */
#include "cli.h"

int cmd_apply(struct cli *c, int argc, char **argv)
{
	bool force = false;
	json_t *res, *st;
	size_t i;
	int rc;

	if ((rc = cli_args(c, argc, argv, "apply", 0, &force)) >= 0)
		return rc;
	if (!c->local)
		fprintf(stderr, "vfmgr: applying through vfmgrd (VF creation waits up to the "
				"configured wait-timeout-ms per PF)...\n");
	rc = cli_call(c, VFMGR_OP_APPLY, json_pack("{s:b}", "force", force), &res);
	if (rc)
		return rc;
	if (c->json) {
		cli_print_json(res);
	} else if (json_array_size(json_object_get(res, "steps")) == 0) {
		printf("nothing to do: the host matches the configuration\n");
	} else {
		json_array_foreach(json_object_get(res, "steps"), i, st)
			printf("done: %s\n", json_string_value(json_object_get(st, "text")) ?: "?");
	}
	json_decref(res);
	return 0;
}
