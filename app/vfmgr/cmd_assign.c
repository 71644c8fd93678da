/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_assign.c: `vfmgr assign <domain> [--pf PF] [--vf N] [--plain] [--force]`. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_assign(struct cli *c, int argc, char **argv)
{
	static const struct option extra[] = { { "pf", required_argument, NULL, 'p' },
					       { "vf", required_argument, NULL, 'v' },
					       { "plain", no_argument, NULL, 'P' },
					       { "force", no_argument, NULL, 'f' },
					       { 0 } };
	const char *pf = NULL;
	long vf = -1;
	bool plain = false, force = false;
	json_t *args, *res;
	char *end, b[4][32];
	int ch, rc;

	while ((ch = cli_getopt(c, argc, argv, "", extra)) != -1) {
		switch (ch) {
		case 'p':
			pf = optarg;
			break;
		case 'v':
			vf = strtol(optarg, &end, 10);
			if (*end || vf < 0 || vf > 65535) {
				fprintf(stderr,
					"vfmgr assign: --vf '%s' is not a VF index (0..65535)\n",
					optarg);
				return VFMGR_EXIT_USAGE;
			}
			break;
		case 'P':
			plain = true;
			break;
		case 'f':
			force = true;
			break;
		default:
			cli_usage_cmd(ch == 'h' ? stdout : stderr, "assign");
			return ch == 'h' ? 0 : VFMGR_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_usage_cmd(stderr, "assign");
		return VFMGR_EXIT_USAGE;
	}
	if (vf >= 0 && !pf) {
		fprintf(stderr, "vfmgr assign: --vf needs --pf (VF indexes are per PF)\n");
		return VFMGR_EXIT_USAGE;
	}
	args = json_pack("{s:s, s:s}", "domain", argv[optind], "form",
			 plain ? "hostdev" : "interface");
	if (pf)
		json_object_set_new(args, "pf", json_string(pf));
	if (vf >= 0)
		json_object_set_new(args, "vf", json_integer(vf));
	if (force)
		json_object_set_new(args, "force", json_true());
	rc = cli_call(c, VFMGR_OP_ASSIGN, args, &res);
	if (rc)
		return rc;
	if (c->json) {
		cli_print_json(res);
	} else {
		const char *how = json_string_value(json_object_get(res, "libvirt"));
		printf("assigned VF %s (pf %s vf %s, NUMA node %s) to domain %s (%s)\n",
		       cli_str(res, "vf", b[0], 32), cli_str(res, "pf", b[1], 32),
		       cli_str(res, "index", b[2], 32), cli_str(res, "vf_numa_node", b[3], 32),
		       argv[optind],
		       how && !strcmp(how, "redefine") ?
			       "domain shut off: added to its persistent definition" :
			       "hot-plugged, live and persistent");
		if (json_string_length(json_object_get(res, "note")))
			printf("note: %s\n", json_string_value(json_object_get(res, "note")));
	}
	json_decref(res);
	return 0;
}
