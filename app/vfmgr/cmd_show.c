/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_show.c: `vfmgr show <vf>` -- everything known about one VF. */
#include <stdlib.h>
#include "cli.h"

static void print_obj(json_t *o, int indent)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		if (json_is_object(v)) {
			printf("%*s%s:\n", indent, "", k);
			print_obj(v, indent + 2);
		} else {
			char *s = json_is_string(v) ? NULL :
						      json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			printf("%*s%-16s %s\n", indent, "", k, s ? s : json_string_value(v));
			free(s);
		}
	}
}

int cmd_show(struct cli *c, int argc, char **argv)
{
	json_t *res;
	int rc;

	if ((rc = cli_args(c, argc, argv, "show", 1, NULL)) >= 0)
		return rc;
	rc = cli_call(c, VFMGR_OP_SHOW, json_pack("{s:s}", "target", argv[optind]), &res);
	if (rc)
		return rc;
	if (c->json)
		cli_print_json(res);
	else
		print_obj(res, 0);
	json_decref(res);
	return 0;
}
