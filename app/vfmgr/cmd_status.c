/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_status.c: `vfmgr status` -- every SR-IOV PF and its VFs. */
#include "cli.h"

static void print_vfs(json_t *vfs)
{
	size_t i;
	json_t *v;
	char b[8][32], own[VFMGR_DOMAIN_LEN + 32];

	printf("    %-4s %-13s %-10s %-6s %-5s %-12s %-18s %s\n", "VF", "ADDRESS", "DRIVER",
	       "GROUP", "NUMA", "OWNER", "MAC", "VLAN");
	json_array_foreach(vfs, i, v)
	{
		json_t *a = json_object_get(v, "attrs");
		printf("    %-4s %-13s %-10s %-6s %-5s %-12s %-18s %s\n",
		       cli_str(v, "index", b[0], 32), cli_str(v, "bdf", b[1], 32),
		       cli_str(v, "driver", b[2], 32), cli_str(v, "iommu_group", b[3], 32),
		       cli_str(v, "numa_node", b[4], 32), cli_owner(v, own, sizeof(own)),
		       cli_str(a, "mac", b[6], 32), cli_str(a, "vlan", b[7], 32));
		if (json_is_string(json_object_get(v, "host_use")))
			printf("         in use by the host: %s\n",
			       json_string_value(json_object_get(v, "host_use")));
		if (json_is_string(json_object_get(v, "numa_note")))
			printf("         note: %s\n",
			       json_string_value(json_object_get(v, "numa_note")));
	}
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	json_t *res, *p;
	size_t i;
	int rc;
	char b[9][32];

	if ((rc = cli_args(c, argc, argv, "status", 0, NULL)) >= 0)
		return rc;
	rc = cli_call(c, VFMGR_OP_STATUS, NULL, &res);
	if (rc)
		return rc;
	cli_print_warnings(res);
	if (c->json) {
		cli_print_json(res);
		json_decref(res);
		return 0;
	}
	if (json_array_size(json_object_get(res, "pfs")) == 0)
		printf("no SR-IOV capable PF found\n");
	json_array_foreach(json_object_get(res, "pfs"), i, p)
	{
		printf("PF %s  driver %s  netdev %s  NUMA %s  VFs %s/%s  autoprobe %s\n",
		       cli_str(p, "bdf", b[0], 32), cli_str(p, "driver", b[1], 32),
		       cli_str(p, "netdev", b[2], 32), cli_str(p, "numa_node", b[3], 32),
		       cli_str(p, "numvfs", b[4], 32), cli_str(p, "totalvfs", b[5], 32),
		       cli_str(p, "autoprobe", b[6], 32));
		if (json_array_size(json_object_get(p, "vfs")))
			print_vfs(json_object_get(p, "vfs"));
	}
	if (json_object_get(res, "posted_interrupts"))
		printf("posted interrupts: %s\n",
		       json_string_value(json_object_get(json_object_get(res, "posted_interrupts"), "reason")) ?:
			       "?");
	p = json_object_get(res, "placement");
	if (json_is_object(p))
		printf("placement: %s as host %s, last sync %s: %s (%s providers, %s VFs, %s reserved, %s assigned, "
		       "%s conflict(s) retried)\n",
		       cli_str(p, "url", b[0], 32), cli_str(p, "host", b[1], 32),
		       cli_str(p, "last_sync", b[2], 32), cli_str(p, "result", b[3], 32),
		       cli_str(p, "providers", b[4], 32), cli_str(p, "vfs_total", b[5], 32),
		       cli_str(p, "vfs_reserved", b[6], 32), cli_str(p, "vfs_assigned", b[7], 32),
		       cli_str(p, "conflicts_total", b[8], 32));
	if (json_integer_value(json_object_get(res, "journal_pending")) > 0)
		printf("journal: %" JSON_INTEGER_FORMAT " unfinished operation(s)\n",
		       json_integer_value(json_object_get(res, "journal_pending")));
	json_decref(res);
	return 0;
}
