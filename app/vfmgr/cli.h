/* SPDX-License-Identifier: BSD-3-Clause */
/* cli.h: shared state of the vfmgr(8) command line tool (one file per subcommand). */
#ifndef VFMGR_CLI_H
#define VFMGR_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "vfmgr.h"
#include "vfmgr_libvirt.h"
#include "vfmgr_placement.h"

/** Global options (see vfmgr(8)). */
struct cli {
	const char *prog; /**< argv[0] basename */
	bool json; /**< --json */
	bool local; /**< --local: act through lib/vfmgr directly */
	const char *config; /**< --config (default VFMGR_DEFAULT_CONF) */
	bool config_given; /**< --config was given: a missing file is an error */
	const char *root; /**< --root */
	const char *state_dir; /**< --state-dir */
	const char *uri; /**< --connect */
	const char *socket; /**< --socket */
};

/** A subcommand. run() returns the process exit status (enum vfmgr_exit). */
struct cli_cmd {
	const char *name;
	const char *args; /**< synopsis after the name */
	const char *summary;
	int (*run)(struct cli *c, int argc, char **argv);
};

/** Default control socket. */
#define VFMGRD_DEFAULT_SOCKET "/run/vfmgr/vfmgrd.sock"

/**
 * Run @p op with @p args (stolen) through the daemon, or locally with --local.
 * On failure prints "vfmgr <op>: <message>" on stderr.
 * @param[out] result the result (new reference) when 0 is returned.
 * @return enum vfmgr_exit (0 ok).
 */
int cli_call(struct cli *c, enum vfmgr_reqop op, json_t *args, json_t **result);

/**
 * Parse a subcommand's options: only --help/-h and --json plus @p extra
 * (getopt_long array terminated by a zero entry, may be NULL).
 * @return option char of an extra option, -1 at the end, '?' on error (message printed),
 *         'h' for help.
 */
int cli_getopt(struct cli *c, int argc, char **argv, const char *shortopts,
	       const struct option *extra);

/**
 * The options of subcommand @p cmd when it takes only --force (@p force NULL: not even
 * that) and exactly @p nargs arguments: --help prints its usage on stdout, a bad option
 * or another number of arguments prints it on stderr.
 * @return -1 to go on (the arguments at argv[optind]), else the exit code: 0 after --help,
 *         VFMGR_EXIT_USAGE.
 */
int cli_args(struct cli *c, int argc, char **argv, const char *cmd, int nargs, bool *force);

/** Register the subcommand table (main.c, before any cli_usage_cmd()); @p cmds is borrowed. */
void cli_set_commands(const struct cli_cmd *cmds, size_t n);

/** Print usage of one subcommand on @p f. */
void cli_usage_cmd(FILE *f, const char *name);

/** Print a JSON value on stdout (indented). */
void cli_print_json(json_t *v);

/** Human string of a JSON member ("-" when absent/null). Integers formatted into @p buf. */
const char *cli_str(json_t *o, const char *key, char *buf, size_t len);

/**
 * Owner of a VF for humans: the recorded owner, or "<domain> (not assigned by vfmgr)"
 * for a VF a libvirt domain holds without a record, or "-".
 */
const char *cli_owner(json_t *vf, char *buf, size_t len);

/** Print the warnings a status/list/plan result carries (libvirt not asked, config broken). */
void cli_print_warnings(json_t *res);

/* Subcommands (cmd_<name>.c). */
int cmd_status(struct cli *c, int argc, char **argv);
int cmd_list(struct cli *c, int argc, char **argv);
int cmd_plan(struct cli *c, int argc, char **argv);
int cmd_apply(struct cli *c, int argc, char **argv);
int cmd_assign(struct cli *c, int argc, char **argv);
int cmd_release(struct cli *c, int argc, char **argv);
int cmd_show(struct cli *c, int argc, char **argv);
int cmd_check(struct cli *c, int argc, char **argv);
int cmd_fleet(struct cli *c, int argc, char **argv);
int cmd_adopt(struct cli *c, int argc, char **argv);

#endif
