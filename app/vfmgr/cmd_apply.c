/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_apply.c: `vfmgr apply [--force]` -- make the host match the configuration. */
#include "cli.h"

int cmd_apply(struct cli *c, int argc, char **argv)
{
	static const struct option extra[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
	bool force = false;
	json_t *res, *st;
	size_t i;
	int ch, rc;

	while ((ch = cli_getopt(c, argc, argv, "f", extra)) != -1) {
		if (ch == 'f') {
			force = true;
			continue;
		}
		cli_usage_cmd(ch == 'h' ? stdout : stderr, "apply");
		return ch == 'h' ? 0 : VFMGR_EXIT_USAGE;
	}
	if (optind != argc) {
		cli_usage_cmd(stderr, "apply");
		return VFMGR_EXIT_USAGE;
	}
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
