/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cmd_fleet.c: `vfmgr fleet place|list` -- the fleet through OpenStack Placement.
 *   place DOMAIN --resources RC:N [--required TRAIT]... [--numa N] [--host H] [--consumer UUID]
 *     GET /allocation_candidates, claim (PUT /allocations/{consumer}), then ask the chosen
 *     host's vfmgrd (socket from [placement] fleet-socket, "%h" = host) to assign the VF on
 *     the claimed PF; the claim is given back if the assign fails.
 *   list: every host's PFs, inventory, reserved and used VFs, traits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_REQUIRED 16

struct fleet_opts {
	const char *url; /* --placement-url */
	const char *sock_tmpl; /* --host-socket */
	struct vfmgr_pl_conf pc;
};

static int load_pl_conf(struct cli *c, struct fleet_opts *o)
{
	struct vfmgr_conf *conf = NULL;
	int rc = vfmgr_conf_load(c->config, &conf);

	vfmgr_pl_conf_defaults(&o->pc);
	if (rc == 0) {
		o->pc = conf->placement;
	} else if (c->config_given || rc != -ENOENT || !o->url) {
		fprintf(stderr, "vfmgr fleet: %s%s\n", vfmgr_errmsg(),
			rc == -ENOENT ? " (or give --placement-url)" : "");
		vfmgr_conf_free(conf);
		return VFMGR_EXIT_USAGE;
	}
	vfmgr_conf_free(conf);
	if (o->url) {
		if (strlen(o->url) >= sizeof(o->pc.url)) {
			fprintf(stderr, "vfmgr fleet: --placement-url is too long\n");
			return VFMGR_EXIT_USAGE;
		}
		snprintf(o->pc.url, sizeof(o->pc.url), "%s", o->url);
	}
	if (o->sock_tmpl)
		snprintf(o->pc.fleet_socket, sizeof(o->pc.fleet_socket), "%s", o->sock_tmpl);
	if (!o->pc.url[0]) {
		fprintf(stderr,
			"vfmgr fleet: no Placement URL: set url in the [placement] section of %s "
			"(vfmgr.conf(5)) or give --placement-url\n",
			c->config);
		return VFMGR_EXIT_USAGE;
	}
	return 0;
}

static bool uuid_like(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	}
	return true;
}

static int fleet_place(struct cli *c, int argc, char **argv)
{
	static const struct option extra[] = { { "resources", required_argument, NULL, 'r' },
					       { "required", required_argument, NULL, 't' },
					       { "numa", required_argument, NULL, 'n' },
					       { "consumer", required_argument, NULL, 'u' },
					       { "placement-url", required_argument, NULL, 'U' },
					       { "host-socket", required_argument, NULL, 'H' },
					       { "host", required_argument, NULL, 'o' },
					       { 0 } };
	struct fleet_opts o = { 0 };
	const char *resources = "SRIOV_NET_VF:1", *consumer = NULL, *required[MAX_REQUIRED],
		   *host = NULL;
	unsigned n_req = 0;
	long numa = -1;
	struct vfmgr_pl *pl = NULL;
	struct vfmgr_pl_claim claim;
	char uuid[37], sock[256], *end, b[4][32];
	json_t *args, *res = NULL;
	const char *domain, *saved_sock;
	int ch, rc;

	while ((ch = cli_getopt(c, argc, argv, "", extra)) != -1) {
		switch (ch) {
		case 'r':
			resources = optarg;
			break;
		case 't':
			if (n_req == MAX_REQUIRED) {
				fprintf(stderr, "vfmgr fleet place: at most %d --required traits\n",
					MAX_REQUIRED);
				return VFMGR_EXIT_USAGE;
			}
			required[n_req++] = optarg;
			break;
		case 'n':
			numa = strtol(optarg, &end, 10);
			if (*end || numa < 0 || numa > 1023) {
				fprintf(stderr,
					"vfmgr fleet place: --numa '%s' is not a NUMA node number (0..1023)\n",
					optarg);
				return VFMGR_EXIT_USAGE;
			}
			break;
		case 'u':
			if (!uuid_like(optarg)) {
				fprintf(stderr,
					"vfmgr fleet place: --consumer '%s' is not a UUID "
					"(virsh domuuid DOMAIN prints it)\n",
					optarg);
				return VFMGR_EXIT_USAGE;
			}
			consumer = optarg;
			break;
		case 'U':
			o.url = optarg;
			break;
		case 'H':
			o.sock_tmpl = optarg;
			break;
		case 'o':
			host = optarg;
			break;
		default:
			cli_usage_cmd(ch == 'h' ? stdout : stderr, "fleet");
			return ch == 'h' ? 0 : VFMGR_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "vfmgr fleet place: give one domain name (vfmgr fleet place DOMAIN "
				"--resources SRIOV_NET_VF:1)\n");
		return VFMGR_EXIT_USAGE;
	}
	domain = argv[optind];
	{
		const char *colon = strchr(resources, ':');
		long n = colon ? strtol(colon + 1, &end, 10) : 0;
		if (!colon || colon == resources || *end || n < 1 || n > 4096) {
			fprintf(stderr,
				"vfmgr fleet place: --resources '%s' is not RESOURCE_CLASS:COUNT with a count "
				"1..4096 (e.g. SRIOV_NET_VF:1)\n",
				resources);
			return VFMGR_EXIT_USAGE;
		}
	}
	if ((rc = load_pl_conf(c, &o)))
		return rc;
	if (!consumer) {
		/* The consumer is the libvirt domain's UUID: ask the libvirt of --connect. */
		if (vfmgr_pl_domain_uuid(c->uri, domain, uuid) < 0) {
			fprintf(stderr, "vfmgr fleet place: %s (or give --consumer UUID)\n",
				vfmgr_errmsg());
			return VFMGR_EXIT_NOTFOUND;
		}
		consumer = uuid;
	}
	if (vfmgr_pl_open(&o.pc, &pl) < 0) {
		fprintf(stderr, "vfmgr fleet place: %s\n", vfmgr_errmsg());
		return VFMGR_EXIT_USAGE;
	}
	rc = vfmgr_pl_claim(pl, consumer, resources, required, n_req, (int)numa, host, o.pc.project,
			    &claim);
	if (rc < 0) {
		fprintf(stderr, "vfmgr fleet place: %s\n", vfmgr_errmsg());
		if (c->json) {
			json_t *e = json_pack("{s:b, s:s, s:i, s:{s:i, s:s}}", "ok", 0, "consumer",
					      consumer, "conflicts", (int)claim.conflicts, "error",
					      "code",
					      rc == -ENOSPC ? VFMGR_EXIT_BUSY : VFMGR_EXIT_FAILED,
					      "message", vfmgr_errmsg());
			cli_print_json(e);
			json_decref(e);
		}
		vfmgr_pl_close(pl);
		return rc == -ENOSPC ? VFMGR_EXIT_BUSY :
		       rc == -EINVAL ? VFMGR_EXIT_USAGE :
				       VFMGR_EXIT_FAILED;
	}
	if (vfmgr_pl_host_socket(o.pc.fleet_socket, claim.host, sock, sizeof(sock)) < 0) {
		fprintf(stderr, "vfmgr fleet place: %s\n", vfmgr_errmsg());
		rc = VFMGR_EXIT_USAGE;
		goto unclaim;
	}
	args = json_pack("{s:s, s:s, s:s}", "domain", domain, "pf", claim.pf_bdf, "form",
			 "interface");
	saved_sock = c->socket;
	c->socket = sock;
	bool json = c->json;
	c->json = false; /* our own JSON below */
	rc = cli_call(c, VFMGR_OP_ASSIGN, args, &res);
	c->json = json;
	c->socket = saved_sock;
	if (rc) {
		fprintf(stderr,
			"vfmgr fleet place: assign on host %s (%s) failed: giving back the claim\n",
			claim.host, sock);
		goto unclaim;
	}
	if (c->json) {
		json_t *out =
			json_pack("{s:b, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:O}", "ok", 1,
				  "domain", domain, "consumer", consumer, "host", claim.host, "rp",
				  claim.rp, "numa", claim.numa, "conflicts", (int)claim.conflicts,
				  "candidates", (int)claim.candidates, "assigned", res);
		cli_print_json(out);
		json_decref(out);
	} else {
		printf("placed %s (consumer %s) on host %s: VF %s (pf %s vf %s, NUMA node %s), %u conflict(s) "
		       "retried\n",
		       domain, consumer, claim.host, cli_str(res, "vf", b[0], 32),
		       cli_str(res, "pf", b[1], 32), cli_str(res, "index", b[2], 32),
		       cli_str(res, "vf_numa_node", b[3], 32), claim.conflicts);
	}
	json_decref(res);
	vfmgr_pl_close(pl);
	return 0;
unclaim:
	if (vfmgr_pl_unclaim(pl, &claim) < 0)
		fprintf(stderr,
			"vfmgr fleet place: giving back the claim of %s on %s failed: %s (the host's "
			"vfmgrd removes it after [placement] claim-grace)\n",
			consumer, claim.rp, vfmgr_errmsg());
	if (c->json) {
		json_t *e = json_pack("{s:b, s:s, s:s, s:i, s:{s:i, s:s}}", "ok", 0, "consumer",
				      consumer, "host", claim.host, "conflicts",
				      (int)claim.conflicts, "error", "code", rc, "message",
				      "assign failed; claim given back");
		cli_print_json(e);
		json_decref(e);
	}
	vfmgr_pl_close(pl);
	return rc;
}

static int fleet_list(struct cli *c, int argc, char **argv)
{
	static const struct option extra[] = { { "placement-url", required_argument, NULL, 'U' },
					       { 0 } };
	struct fleet_opts o = { 0 };
	struct vfmgr_pl *pl = NULL;
	json_t *res = NULL, *h, *p;
	size_t i, j;
	int ch, rc;

	while ((ch = cli_getopt(c, argc, argv, "", extra)) != -1) {
		if (ch == 'U') {
			o.url = optarg;
			continue;
		}
		cli_usage_cmd(ch == 'h' ? stdout : stderr, "fleet");
		return ch == 'h' ? 0 : VFMGR_EXIT_USAGE;
	}
	if (optind != argc) {
		cli_usage_cmd(stderr, "fleet");
		return VFMGR_EXIT_USAGE;
	}
	if ((rc = load_pl_conf(c, &o)))
		return rc;
	if (vfmgr_pl_open(&o.pc, &pl) < 0 || (rc = vfmgr_pl_fleet(pl, &res)) < 0) {
		fprintf(stderr, "vfmgr fleet list: %s\n", vfmgr_errmsg());
		vfmgr_pl_close(pl);
		return VFMGR_EXIT_FAILED;
	}
	vfmgr_pl_close(pl);
	if (c->json) {
		cli_print_json(res);
		json_decref(res);
		return 0;
	}
	printf("%-16s %-13s %-4s %5s %8s %4s %4s  %s\n", "HOST", "PF", "NUMA", "TOTAL", "RESERVED",
	       "USED", "FREE", "TRAITS");
	json_array_foreach(json_object_get(res, "hosts"), i, h)
	{
		json_array_foreach(json_object_get(h, "pfs"), j, p)
		{
			json_int_t t = json_integer_value(json_object_get(p, "total"));
			json_int_t r = json_integer_value(json_object_get(p, "reserved"));
			json_int_t u = json_integer_value(json_object_get(p, "used"));
			char traits[512] = "";
			size_t k, off = 0;
			json_t *tr;

			json_array_foreach(json_object_get(p, "traits"), k,
					   tr) if (off < sizeof(traits) - 1) off +=
				(size_t)snprintf(traits + off, sizeof(traits) - off, "%s%s",
						 k ? "," : "", json_string_value(tr));
			printf("%-16s %-13s %-4d %5" JSON_INTEGER_FORMAT " %8" JSON_INTEGER_FORMAT
			       " %4" JSON_INTEGER_FORMAT " %4" JSON_INTEGER_FORMAT "  %s\n",
			       json_string_value(json_object_get(h, "name")),
			       json_string_value(json_object_get(p, "pf")),
			       (int)json_integer_value(json_object_get(p, "numa")), t, r, u,
			       t - r - u, traits);
		}
	}
	printf("hosts: %zu, VFs used: %" JSON_INTEGER_FORMAT "\n",
	       json_array_size(json_object_get(res, "hosts")),
	       json_integer_value(json_object_get(res, "allocations")));
	json_decref(res);
	return 0;
}

int cmd_fleet(struct cli *c, int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cli_usage_cmd(argc < 2 ? stderr : stdout, "fleet");
		return argc < 2 ? VFMGR_EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "place"))
		return fleet_place(c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return fleet_list(c, argc - 1, argv + 1);
	fprintf(stderr, "vfmgr fleet: unknown subcommand '%s' (place, list)\n", argv[1]);
	return VFMGR_EXIT_USAGE;
}
