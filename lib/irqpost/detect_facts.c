/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/irqpost detection, step 1: gather the facts (no verdict here; detect.c judges).
 *
 * Reads <root>/proc/cmdline, <root>/sys/module/kvm_{intel,amd}/parameters/<param> and every
 * <root>/sys/class/iommu/<unit>/{intel-iommu,amd-iommu}/ register file into a
 * struct irqpost_detect.  Register formats: drivers/iommu/intel/iommu.c prints cap/ecap
 * "%llx"; drivers/iommu/amd/init.c prints cap "%x" and features "%llx" or "%llx:%llx".
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "irqpost_internal.h"

static size_t trim(const char **p, size_t len)
{
	const char *s = *p;

	while (len > 0 && isspace((unsigned char)s[0])) {
		s++;
		len--;
	}
	while (len > 0 && (isspace((unsigned char)s[len - 1]) || s[len - 1] == '\0'))
		len--;
	*p = s;
	return len;
}

static int parse_hex_span(const char *s, size_t len, uint64_t *val)
{
	uint64_t v = 0;
	size_t i = 0, digits = 0;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		i = 2;
	for (; i < len; i++) {
		int c = (unsigned char)s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -EINVAL;
		if (v >> 60)
			return -EINVAL; /* more than 64 bits */
		v = (v << 4) | (uint64_t)d;
		digits++;
	}
	if (digits == 0)
		return -EINVAL;
	*val = v;
	return 0;
}

int irqpost_parse_hex_reg(const char *buf, size_t len, uint64_t *val)
{
	if (buf == NULL || val == NULL)
		return -EINVAL;
	len = trim(&buf, len);
	return parse_hex_span(buf, len, val);
}

int irqpost_parse_amd_features(const char *buf, size_t len, bool efr_first, uint64_t *efr,
			       uint64_t *efr2)
{
	const char *colon;
	uint64_t a, b;

	if (buf == NULL || efr == NULL || efr2 == NULL)
		return -EINVAL;
	len = trim(&buf, len);
	colon = memchr(buf, ':', len);
	if (colon == NULL) {
		if (parse_hex_span(buf, len, &a) < 0)
			return -EINVAL;
		*efr = a;
		*efr2 = 0;
		return 0;
	}
	if (parse_hex_span(buf, (size_t)(colon - buf), &a) < 0 ||
	    parse_hex_span(colon + 1, len - (size_t)(colon - buf) - 1, &b) < 0)
		return -EINVAL;
	*efr = efr_first ? a : b;
	*efr2 = efr_first ? b : a;
	return 0;
}

enum irqpost_tri irqpost_parse_param_bool(const char *buf, size_t len)
{
	if (buf == NULL)
		return IRQPOST_UNKNOWN;
	len = trim(&buf, len);
	if (len == 1) {
		switch (buf[0]) {
		case 'Y':
		case 'y':
		case '1':
			return IRQPOST_YES;
		case 'N':
		case 'n':
		case '0':
			return IRQPOST_NO;
		default:
			return IRQPOST_UNKNOWN;
		}
	}
	/* kvm "auto"-style tristate int params print -1 for "auto" */
	if (len == 2 && buf[0] == '-' && buf[1] == '1')
		return IRQPOST_YES;
	return IRQPOST_UNKNOWN;
}

static bool path_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

/* Read one module parameter; UNKNOWN if absent. */
static enum irqpost_tri read_param(const char *root, const char *mod, const char *param)
{
	char path[PATH_MAX], buf[64];
	int n;

	if (irqpost__path(path, sizeof(path), root, "/sys/module/%s/parameters/%s", mod, param) < 0)
		return IRQPOST_UNKNOWN;
	n = irqpost__read_small(path, buf, sizeof(buf));
	if (n < 0)
		return IRQPOST_UNKNOWN;
	return irqpost_parse_param_bool(buf, (size_t)n);
}

/* Does option list @val ("a,b,c") contain @word? */
static bool optlist_has(const char *val, size_t vlen, const char *word)
{
	size_t wl = strlen(word), i = 0;

	while (i < vlen) {
		size_t j = i;

		while (j < vlen && val[j] != ',')
			j++;
		if (j - i == wl && strncmp(val + i, word, wl) == 0)
			return true;
		i = j + 1;
	}
	return false;
}

static bool is_false_word(const char *v, size_t n)
{
	return (n == 1 && (v[0] == '0' || v[0] == 'N' || v[0] == 'n')) ||
	       (n == 5 && strncasecmp(v, "false", 5) == 0);
}

static void parse_cmdline(const char *s, size_t len, struct irqpost_host_facts *h)
{
	size_t i = 0;

	while (i < len) {
		size_t j, klen;
		const char *tok, *eq;

		while (i < len && isspace((unsigned char)s[i]))
			i++;
		j = i;
		while (j < len && !isspace((unsigned char)s[j]))
			j++;
		tok = s + i;
		eq = memchr(tok, '=', j - i);
		if (eq != NULL) {
			const char *v = eq + 1;
			size_t vlen = (size_t)(s + j - v);

			klen = (size_t)(eq - tok);
#define KEY(k) (klen == strlen(k) && strncmp(tok, k, klen) == 0)
			if (KEY("intremap")) {
				if (optlist_has(v, vlen, "off"))
					h->cmdline_intremap_off = true;
				if (optlist_has(v, vlen, "nopost"))
					h->cmdline_intremap_nopost = true;
			} else if (KEY("intel_iommu")) {
				if (optlist_has(v, vlen, "off"))
					h->cmdline_intel_iommu_off = true;
			} else if (KEY("amd_iommu")) {
				if (optlist_has(v, vlen, "off"))
					h->cmdline_amd_iommu_off = true;
			} else if (KEY("amd_iommu_intr")) {
				if (vlen == 6 && strncmp(v, "legacy", 6) == 0)
					h->cmdline_amd_iommu_intr = 1;
				else if (vlen == 9 && strncmp(v, "legacy_ga", 9) == 0)
					h->cmdline_amd_iommu_intr = 2;
				else if (vlen == 5 && strncmp(v, "vapic", 5) == 0)
					h->cmdline_amd_iommu_intr = 3;
			} else if (KEY("kvm_intel.enable_apicv") || KEY("kvm-intel.enable_apicv") ||
				   KEY("kvm_amd.avic") || KEY("kvm-amd.avic")) {
				if (is_false_word(v, vlen))
					h->cmdline_apicv_off = true;
			}
#undef KEY
		}
		i = j;
	}
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strverscmp((*a)->d_name, (*b)->d_name);
}

static int read_unit(const char *root, const char *name, struct irqpost_unit *u, bool amd_efr_first,
		     char *why, size_t whylen)
{
	char path[PATH_MAX], buf[256];
	uint64_t v;
	int n;

	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%.31s", name);
	if (irqpost__path(path, sizeof(path), root, "/sys/class/iommu/%s/intel-iommu/cap", name) <
	    0)
		return -ENAMETOOLONG;
	if (path_exists(path)) {
		u->vendor = IRQPOST_VENDOR_INTEL;
		n = irqpost__read_small(path, buf, sizeof(buf));
		if (n < 0 || irqpost_parse_hex_reg(buf, (size_t)n, &v) < 0)
			return irqpost__err(why, whylen, n < 0 ? n : -EINVAL,
					    "cannot parse %s (%s)", path,
					    n < 0 ? strerror(-n) : "not a hex register value");
		u->cap = v;
		irqpost__path(path, sizeof(path), root, "/sys/class/iommu/%s/intel-iommu/ecap",
			      name);
		n = irqpost__read_small(path, buf, sizeof(buf));
		if (n < 0 || irqpost_parse_hex_reg(buf, (size_t)n, &v) < 0)
			return irqpost__err(why, whylen, n < 0 ? n : -EINVAL,
					    "cannot parse %s (%s)", path,
					    n < 0 ? strerror(-n) : "not a hex register value");
		u->ecap = v;
		u->regs_valid = true;
		u->pi = (u->cap >> IRQPOST_VTD_CAP_PI_BIT) & 1;
		u->ir = (u->ecap >> IRQPOST_VTD_ECAP_IR_BIT) & 1;
		u->x2apic = (u->ecap >> IRQPOST_VTD_ECAP_EIM_BIT) & 1;
		return 0;
	}
	irqpost__path(path, sizeof(path), root, "/sys/class/iommu/%s/amd-iommu/features", name);
	if (path_exists(path)) {
		u->vendor = IRQPOST_VENDOR_AMD;
		n = irqpost__read_small(path, buf, sizeof(buf));
		if (n < 0 || irqpost_parse_amd_features(buf, (size_t)n, amd_efr_first, &u->ecap,
							&u->efr2) < 0)
			return irqpost__err(why, whylen, n < 0 ? n : -EINVAL,
					    "cannot parse %s (%s)", path,
					    n < 0 ? strerror(-n) : "expected hex EFR or efr:efr2");
		/* "a:b" whatever the kernel version: EFR is never 0 on a working IOMMU
		 * (PreFSup/PPRSup/GTSup...), EFR2 usually is -- trust that first */
		if (u->ecap == 0 && u->efr2 != 0) {
			u->ecap = u->efr2;
			u->efr2 = 0;
		}
		irqpost__path(path, sizeof(path), root, "/sys/class/iommu/%s/amd-iommu/cap", name);
		n = irqpost__read_small(path, buf, sizeof(buf));
		if (n >= 0 && irqpost_parse_hex_reg(buf, (size_t)n, &v) == 0)
			u->cap = v;
		u->regs_valid = true;
		u->pi = (u->ecap >> IRQPOST_AMD_EFR_GA_BIT) & 1;
		u->ir = true;
		u->x2apic = (u->ecap >> IRQPOST_AMD_EFR_XT_BIT) & 1;
		return 0;
	}
	u->vendor = IRQPOST_VENDOR_NONE; /* virtio-iommu, ARM SMMU, ...: no x86 posting */
	return 0;
}

/* The amd-iommu "features" attribute (drivers/iommu/amd/init.c
 * amd_iommu_show_features) printed "%llx" (EFR) until EFR2 support, then for a few
 * releases "features2:features", and since the global amd_iommu_efr rework
 * "efr:efr2".  Without a zero half to tell them apart, kernels 6.2-6.4 are taken as
 * the features2-first ones (heuristic: the exact release boundaries are not
 * verified here). */
static bool amd_efr_first(const char *root)
{
	char path[PATH_MAX], buf[128];
	int maj = 0, min = 0;

	if (irqpost__path(path, sizeof(path), root, "/proc/sys/kernel/osrelease") < 0 ||
	    irqpost__read_small(path, buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "%d.%d", &maj, &min) != 2)
		return true;
	return !(maj == 6 && min >= 2 && min <= 4);
}

int irqpost_detect_facts(const char *root, struct irqpost_detect *d, char *why, size_t whylen)
{
	char path[PATH_MAX];
	struct irqpost_host_facts *h = &d->host;
	struct dirent **ents = NULL;
	bool efr_first;
	int n, i, rc;
	char *cmd = NULL;
	long clen;

	memset(d, 0, sizeof(*d));
	h->enable_apicv = h->enable_device_posted_irqs = h->avic = IRQPOST_UNKNOWN;
	if (why != NULL && whylen > 0)
		why[0] = '\0';

	/* kernel command line */
	if (irqpost__path(path, sizeof(path), root, "/proc/cmdline") == 0 &&
	    (clen = irqpost__read_file(path, &cmd)) >= 0) {
		h->cmdline_read = true;
		parse_cmdline(cmd, (size_t)clen, h);
		free(cmd);
	}

	/* KVM module parameters */
	irqpost__path(path, sizeof(path), root, "/sys/module/kvm_intel");
	h->kvm_intel_loaded = path_exists(path);
	if (h->kvm_intel_loaded) {
		h->enable_apicv = read_param(root, "kvm_intel", "enable_apicv");
		h->enable_device_posted_irqs =
			read_param(root, "kvm_intel", "enable_device_posted_irqs");
		if (h->enable_device_posted_irqs == IRQPOST_UNKNOWN) /* kvm.ko on some trees */
			h->enable_device_posted_irqs =
				read_param(root, "kvm", "enable_device_posted_irqs");
	}
	irqpost__path(path, sizeof(path), root, "/sys/module/kvm_amd");
	h->kvm_amd_loaded = path_exists(path);
	if (h->kvm_amd_loaded)
		h->avic = read_param(root, "kvm_amd", "avic");

	/* IOMMU units */
	if (irqpost__path(path, sizeof(path), root, "/sys/class/iommu") < 0)
		return -ENAMETOOLONG;
	n = scandir(path, &ents, NULL, name_cmp);
	if (n < 0)
		n = 0;
	efr_first = amd_efr_first(root);
	rc = 0;
	for (i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;

		if (nm[0] == '.')
			continue;
		if (d->n_units < IRQPOST_MAX_UNITS) {
			struct irqpost_unit *u = &d->units[d->n_units];
			int r = read_unit(root, nm, u, efr_first, why, whylen);

			if (r < 0 && rc == 0)
				rc = r;
			if (d->vendor == IRQPOST_VENDOR_NONE)
				d->vendor = u->vendor;
		}
		d->n_units++;
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return rc;
}
