/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_release.c: `vfmgr release <domain|vf>`. */
#include "cli.h"

int cmd_release(struct cli *c, int argc, char **argv)
{
	json_t *res;
	char b[4][VFMGR_DOMAIN_LEN];
	int rc;

	if ((rc = cli_args(c, argc, argv, "release", 1, NULL)) >= 0)
		return rc;
	rc = cli_call(c, VFMGR_OP_RELEASE, json_pack("{s:s}", "target", argv[optind]), &res);
	if (rc)
		return rc;
	if (c->json) {
		cli_print_json(res);
	} else {
		printf("released VF %s (pf %s vf %s) from domain %s\n",
		       cli_str(res, "vf", b[0], sizeof(b[0])),
		       cli_str(res, "pf", b[1], sizeof(b[1])),
		       cli_str(res, "index", b[2], sizeof(b[2])),
		       cli_str(res, "domain", b[3], sizeof(b[3])));
		if (json_string_length(json_object_get(res, "note")))
			printf("note: %s\n", json_string_value(json_object_get(res, "note")));
	}
	json_decref(res);
	return 0;
}
