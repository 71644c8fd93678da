/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_list.c: `vfmgr list` -- one line per VF. */
#include "cli.h"

int cmd_list(struct cli *c, int argc, char **argv)
{
	json_t *res, *p, *v;
	size_t i, j;
	int rc;
	char b[8][32], own[VFMGR_DOMAIN_LEN + 32];

	if ((rc = cli_args(c, argc, argv, "list", 0, NULL)) >= 0)
		return rc;
	rc = cli_call(c, VFMGR_OP_LIST, NULL, &res);
	if (rc)
		return rc;
	cli_print_warnings(res);
	if (c->json) {
		json_t *arr = json_array();
		json_array_foreach(json_object_get(res, "pfs"), i, p)
			json_array_foreach(json_object_get(p, "vfs"), j, v)
		{
			json_t *o = json_pack(
				"{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "pf",
				json_object_get(p, "bdf"), "index", json_object_get(v, "index"),
				"vf", json_object_get(v, "bdf"), "driver",
				json_object_get(v, "driver"), "numa_node",
				json_object_get(v, "numa_node"), "owner",
				json_object_get(v, "owner") ?: json_null(), "held_by",
				json_object_get(v, "held_by") ?: json_null(), "host_use",
				json_object_get(v, "host_use") ?: json_null());
			json_array_append_new(arr, o ? o : json_null());
		}
		cli_print_json(arr);
		json_decref(arr);
		json_decref(res);
		return 0;
	}
	printf("%-13s %-4s %-13s %-10s %-5s %s\n", "PF", "VF", "ADDRESS", "DRIVER", "NUMA",
	       "OWNER");
	json_array_foreach(json_object_get(res, "pfs"), i, p)
		json_array_foreach(json_object_get(p, "vfs"), j, v)
			printf("%-13s %-4s %-13s %-10s %-5s %s\n", cli_str(p, "bdf", b[0], 32),
			       cli_str(v, "index", b[1], 32), cli_str(v, "bdf", b[2], 32),
			       cli_str(v, "driver", b[3], 32), cli_str(v, "numa_node", b[4], 32),
			       cli_owner(v, own, sizeof(own)));
	json_decref(res);
	return 0;
}
