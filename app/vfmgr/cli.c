/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cli.c: what every subcommand shares: its option parsing and its usage line.
 * A leaf: main.c registers the command table (cli_set_commands()), so the
 * cmd_<name>.c files call in here and never back into main.c.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_cmd *commands;
static size_t n_commands;

void cli_set_commands(const struct cli_cmd *cmds, size_t n)
{
	commands = cmds;
	n_commands = n;
}

void cli_usage_cmd(FILE *f, const char *name)
{
	for (size_t i = 0; i < n_commands; i++)
		if (strcmp(commands[i].name, name) == 0)
			fprintf(f,
				"Usage: vfmgr [global options] %s %s\n  %s\n"
				"Options: --json (JSON output), -h/--help. See vfmgr(8).\n",
				commands[i].name, commands[i].args, commands[i].summary);
}

int cli_getopt(struct cli *c, int argc, char **argv, const char *shortopts,
	       const struct option *extra)
{
	static struct option opts[16];
	size_t n = 0;
	char so[32];
	int ch;

	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n++] = (struct option){ "json", no_argument, NULL, 'J' };
	for (; extra && extra->name && n < 15; extra++)
		opts[n++] = *extra;
	opts[n] = (struct option){ 0 };
	snprintf(so, sizeof(so), "h%s",
		 shortopts ? shortopts : ""); /* permute: options after args */
	for (;;) {
		ch = getopt_long(argc, argv, so, opts, NULL);
		if (ch != 'J')
			return ch;
		c->json = true;
	}
}

int cli_args(struct cli *c, int argc, char **argv, const char *cmd, int nargs, bool *force)
{
	static const struct option fopt[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
	int ch;

	while ((ch = cli_getopt(c, argc, argv, force ? "f" : "", force ? fopt : NULL)) != -1) {
		if (ch == 'f' && force) {
			*force = true;
			continue;
		}
		cli_usage_cmd(ch == 'h' ? stdout : stderr, cmd);
		return ch == 'h' ? 0 : VFMGR_EXIT_USAGE;
	}
	if (argc - optind != nargs) {
		cli_usage_cmd(stderr, cmd);
		return VFMGR_EXIT_USAGE;
	}
	return -1;
}
