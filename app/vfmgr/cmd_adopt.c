/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_adopt.c: `vfmgr adopt <domain>` -- record the VFs a domain already holds as owned. */
#include "cli.h"

int cmd_adopt(struct cli *c, int argc, char **argv)
{
	json_t *res, *a;
	size_t i;
	int ch, rc;

	while ((ch = cli_getopt(c, argc, argv, "", NULL)) != -1) {
		cli_usage_cmd(ch == 'h' ? stdout : stderr, "adopt");
		return ch == 'h' ? 0 : VFMGR_EXIT_USAGE;
	}
	if (optind != argc - 1) {
		cli_usage_cmd(stderr, "adopt");
		return VFMGR_EXIT_USAGE;
	}
	rc = cli_call(c, VFMGR_OP_ADOPT, json_pack("{s:s}", "domain", argv[optind]), &res);
	if (rc)
		return rc;
	if (c->json) {
		cli_print_json(res);
	} else {
		json_array_foreach(json_object_get(res, "adopted"), i, a) printf(
			"adopted VF %s (pf %s vf %" JSON_INTEGER_FORMAT ") held by domain %s\n",
			json_string_value(json_object_get(a, "vf")) ?: "?",
			json_string_value(json_object_get(a, "pf")) ?: "?",
			json_integer_value(json_object_get(a, "index")), argv[optind]);
		json_array_foreach(json_object_get(res, "already_owned"), i, a)
			printf("VF %s is already owned by domain %s\n", json_string_value(a) ?: "?",
			       argv[optind]);
	}
	json_decref(res);
	return 0;
}
