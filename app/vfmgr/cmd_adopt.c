/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_adopt.c: `vfmgr adopt <domain>` -- record the VFs a domain already holds as owned. */
#include "cli.h"

int cmd_adopt(struct cli *c, int argc, char **argv)
{
	json_t *res, *a;
	size_t i;
	int rc;

	if ((rc = cli_args(c, argc, argv, "adopt", 1, NULL)) >= 0)
		return rc;
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
