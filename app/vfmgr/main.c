/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c: vfmgr(8), the command line front end of vfmgrd(8).
 * Global options, then a subcommand (one file each: cmd_<name>.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct cli_cmd commands[] = {
	{ "status", "", "PFs and VFs: driver, IOMMU group, NUMA node, owner", cmd_status },
	{ "list", "", "one line per VF", cmd_list },
	{ "plan", "[--force]", "what apply would change (changes nothing)", cmd_plan },
	{ "apply", "[--force]", "make VF counts, drivers and attributes match the configuration",
	  cmd_apply },
	{ "assign", "<domain> [--pf PF] [--vf N] [--plain] [--force]",
	  "give a free VF to a libvirt domain", cmd_assign },
	{ "release", "<domain|vf>", "take a VF back from its domain", cmd_release },
	{ "show", "<vf>", "everything about one VF", cmd_show },
	{ "check", "", "pre-flight: IOMMU, groups, VFIO, hugepages, host use, posted interrupts",
	  cmd_check },
	{ "adopt", "<domain>", "record the VFs a libvirt domain already holds as owned",
	  cmd_adopt },
	{ "fleet",
	  "place <domain> [--resources RC:N] [--required TRAIT]... [--numa N] [--host H] [--consumer UUID] | list",
	  "OpenStack Placement: claim a VF on any host and assign it there; list the fleet",
	  cmd_fleet },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: vfmgr [options] <command> [arguments]\n"
		   "Manage SR-IOV VFs for VMs through vfmgrd (or directly with --local).\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-8s %-48s %s\n", commands[i].name, commands[i].args,
			commands[i].summary);
	fprintf(f,
		"\nOptions:\n"
		"  --json            JSON output\n"
		"  --local           act directly through lib/vfmgr, not through vfmgrd\n"
		"  --config FILE     configuration (default %s)\n"
		"  --root DIR        root prefix for /sys, /dev, /proc (tests)\n"
		"  --state-dir DIR   journal and ownership directory (default %s)\n"
		"  --connect URI     libvirt URI (default qemu:///system)\n"
		"  --socket PATH     vfmgrd control socket (default %s)\n"
		"  -h, --help        this help; `vfmgr <command> --help` for a command\n"
		"  -V, --version     version\n\n"
		"Exit status: 0 ok, 1 failed, 2 usage/config error, 3 pre-flight refused,\n"
		"4 daemon unreachable, 5 permission denied, 6 not found, 7 busy/no free VF,\n"
		"8 unsupported by the libvirt driver.\n",
		VFMGR_DEFAULT_CONF, VFMGR_DEFAULT_STATE_DIR, VFMGRD_DEFAULT_SOCKET);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "local", no_argument, NULL, 'l' },
					      { "config", required_argument, NULL, 'c' },
					      { "root", required_argument, NULL, 'r' },
					      { "state-dir", required_argument, NULL, 's' },
					      { "connect", required_argument, NULL, 'C' },
					      { "socket", required_argument, NULL, 'S' },
					      { "help", no_argument, NULL, 'h' },
					      { "version", no_argument, NULL, 'V' },
					      { 0 } };
	struct cli c = { .prog = "vfmgr",
			 .config = VFMGR_DEFAULT_CONF,
			 .socket = VFMGRD_DEFAULT_SOCKET };
	int ch;

	cli_set_commands(commands, N_COMMANDS);
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			c.json = true;
			break;
		case 'l':
			c.local = true;
			break;
		case 'c':
			c.config = optarg;
			c.config_given = true;
			break;
		case 'r':
			c.root = optarg;
			break;
		case 's':
			c.state_dir = optarg;
			break;
		case 'C':
			c.uri = optarg;
			break;
		case 'S':
			c.socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vfmgr %s\n", VFMGR_VERSION);
			return 0;
		default:
			fprintf(stderr, "vfmgr: see `vfmgr --help`\n");
			return VFMGR_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return VFMGR_EXIT_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		if (optind + 1 < argc) {
			cli_usage_cmd(stdout, argv[optind + 1]);
			return 0;
		}
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i].name, argv[optind]) == 0) {
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;

			optind = 0; /* reset getopt for the subcommand (glibc: 0 re-initialises) */
			return commands[i].run(&c, sub_argc, sub_argv);
		}
	}
	fprintf(stderr,
		"vfmgr: unknown command '%s'; commands: status list plan apply assign "
		"release show check fleet (see `vfmgr --help`)\n",
		argv[optind]);
	return VFMGR_EXIT_USAGE;
}
