/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * irqpost-probe [--root DIR] [--json]: print whether this host (or a fixture tree)
 * can post device interrupts into vCPUs, and why.  Exit status: 0 available,
 * 1 unavailable, 2 usage error.  Plain libc so it links statically for guests.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "irqpost.h"

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static const char *tri_json(enum irqpost_tri t)
{
	return t == IRQPOST_YES ? "true" : t == IRQPOST_NO ? "false" : "null";
}

static const char *vendor_name(enum irqpost_vendor v)
{
	return v == IRQPOST_VENDOR_INTEL ? "intel" : v == IRQPOST_VENDOR_AMD ? "amd" : "none";
}

static void usage(FILE *f)
{
	fprintf(f, "usage: irqpost-probe [--root DIR] [--json]\n"
		   "  --root DIR  read DIR/sys and DIR/proc instead of the host's (fixture trees)\n"
		   "  --json      one JSON object: available, reason, vendor, units[], kvm{}\n"
		   "exit status: 0 posted interrupts available, 1 unavailable, 2 usage error\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = "/";
	struct irqpost_detect d;
	int json = 0, c;

	while ((c = getopt_long(argc, argv, "r:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "irqpost-probe: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	irqpost_detect(root, &d);
	if (!json) {
		printf("%s\n", irqpost_verdict_reason(&d));
		return d.available ? 0 : 1;
	}
	printf("{\"available\":%s,\"reason\":", d.available ? "true" : "false");
	json_str(irqpost_verdict_reason(&d));
	printf(",\"vendor\":\"%s\",\"n_units\":%u,\"units\":[", vendor_name(d.vendor), d.n_units);
	for (unsigned i = 0; i < d.n_units && i < IRQPOST_MAX_UNITS; i++) {
		const struct irqpost_unit *u = &d.units[i];

		printf("%s{\"name\":", i ? "," : "");
		json_str(u->name);
		printf(",\"vendor\":\"%s\",\"cap\":\"0x%llx\",\"ecap\":\"0x%llx\",\"pi\":%s,"
		       "\"ir\":%s,\"x2apic\":%s}",
		       vendor_name(u->vendor), (unsigned long long)u->cap,
		       (unsigned long long)u->ecap, u->pi ? "true" : "false",
		       u->ir ? "true" : "false", u->x2apic ? "true" : "false");
	}
	printf("],\"kvm\":{\"kvm_intel\":%s,\"enable_apicv\":%s,\"enable_device_posted_irqs\":%s,"
	       "\"kvm_amd\":%s,\"avic\":%s}}\n",
	       d.host.kvm_intel_loaded ? "true" : "false", tri_json(d.host.enable_apicv),
	       tri_json(d.host.enable_device_posted_irqs), d.host.kvm_amd_loaded ? "true" : "false",
	       tri_json(d.host.avic));
	return d.available ? 0 : 1;
}
