/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_check.c: `vfmgr check` -- pre-flight; exit 3 when a check fails. */
#include <string.h>

#include "cli.h"

int cmd_check(struct cli *c, int argc, char **argv)
{
	json_t *res, *ck, *pi;
	size_t i;
	int rc, failed;

	if ((rc = cli_args(c, argc, argv, "check", 0, NULL)) >= 0)
		return rc;
	rc = cli_call(c, VFMGR_OP_CHECK, NULL, &res);
	if (rc)
		return rc;
	failed = (int)json_integer_value(json_object_get(res, "failed"));
	if (c->json) {
		cli_print_json(res);
	} else {
		json_array_foreach(json_object_get(res, "checks"), i, ck)
		{
			const char *st = json_string_value(json_object_get(ck, "status")) ?: "fail";
			printf("[%-4s] %s: %s\n",
			       !strcmp(st, "ok")   ? "ok" :
			       !strcmp(st, "warn") ? "WARN" :
						     "FAIL",
			       json_string_value(json_object_get(ck, "name")) ?: "?",
			       json_string_value(json_object_get(ck, "message")) ?: "");
		}
		pi = json_object_get(res, "posted_interrupts");
		if (pi)
			printf("[%-4s] posted interrupts: %s\n",
			       json_is_true(json_object_get(pi, "available")) ? "ok" : "info",
			       json_string_value(json_object_get(pi, "reason")) ?: "?");
		printf("%d check(s) failed\n", failed);
	}
	/* one cause, one exit status: the first failure's (a missing PF 6, numvfs over
	 * totalvfs 2, a shared group 3, a VF the host uses 7), as any other command gives it */
	rc = failed ? (int)json_integer_value(json_object_get(res, "code")) : 0;
	json_decref(res);
	return failed && !rc ? VFMGR_EXIT_REFUSED : rc;
}
