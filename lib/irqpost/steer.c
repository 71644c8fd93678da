/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/irqpost: steer a VF's MSI/MSI-X host IRQs to the pCPUs of its vCPUs.
 *
 * IRQ list: /sys/bus/pci/devices/<BDF>/msi_irqs/<irq> (drivers/pci/msi/, one entry
 * per allocated MSI/MSI-X IRQ).  Affinity: /proc/irq/<irq>/smp_affinity_list
 * (kernel/irq/proc.c write_irq_affinity(): cpulist_parse, -EINVAL if no online CPU,
 * -EIO for managed / non-settable IRQs; reads print "%*pbl").
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "irqpost_internal.h"

#define CPU_BITS 8192
#define CPU_WORDS (CPU_BITS / 64)

struct saved_irq {
	int irq;
	char list[512];
};

struct irqpost_steer {
	char root[PATH_MAX];
	size_t n;
	struct saved_irq irqs[];
};

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int irqpost_cpulist_format(const int *cpus, size_t ncpus, char *buf, size_t len)
{
	int *s;
	size_t i, pos = 0;

	if (buf == NULL || len == 0 || (cpus == NULL && ncpus > 0))
		return -EINVAL;
	buf[0] = '\0';
	if (ncpus == 0)
		return 0;
	s = malloc(ncpus * sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	for (i = 0; i < ncpus; i++) {
		if (cpus[i] < 0 || cpus[i] >= CPU_BITS) {
			free(s);
			return -EINVAL;
		}
		s[i] = cpus[i];
	}
	qsort(s, ncpus, sizeof(*s), cmp_int);
	for (i = 0; i < ncpus;) {
		size_t j = i;
		int n;

		while (j + 1 < ncpus && (s[j + 1] == s[j] || s[j + 1] == s[j] + 1))
			j++;
		if (s[j] == s[i])
			n = snprintf(buf + pos, len - pos, "%s%d", pos ? "," : "", s[i]);
		else
			n = snprintf(buf + pos, len - pos, "%s%d-%d", pos ? "," : "", s[i], s[j]);
		if (n < 0 || (size_t)n >= len - pos) {
			free(s);
			buf[0] = '\0';
			return -ENOSPC;
		}
		pos += (size_t)n;
		i = j + 1;
	}
	free(s);
	return (int)pos;
}

int irqpost_cpulist_parse(const char *buf, size_t len, uint64_t *bits, size_t nbits)
{
	size_t i = 0;
	int count = 0;

	if (buf == NULL || bits == NULL)
		return -EINVAL;
	memset(bits, 0, ((nbits + 63) / 64) * sizeof(uint64_t));
	while (len > 0 && (isspace((unsigned char)buf[len - 1]) || buf[len - 1] == '\0'))
		len--;
	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	if (i == len)
		return 0; /* empty list */
	while (i < len) {
		unsigned long a = 0, b;
		size_t st = i;

		while (i < len && isdigit((unsigned char)buf[i]) && a <= 1000000)
			a = a * 10 + (unsigned long)(buf[i++] - '0');
		if (i == st || a > 1000000)
			return -EINVAL;
		b = a;
		if (i < len && buf[i] == '-') {
			i++;
			st = i;
			b = 0;
			while (i < len && isdigit((unsigned char)buf[i]) && b <= 1000000)
				b = b * 10 + (unsigned long)(buf[i++] - '0');
			if (i == st || b > 1000000 || b < a)
				return -EINVAL;
		}
		if (b >= nbits)
			return -ERANGE;
		for (unsigned long c = a; c <= b; c++) {
			if (!(bits[c / 64] & (1ULL << (c % 64))))
				count++;
			bits[c / 64] |= 1ULL << (c % 64);
		}
		if (i < len) {
			if (buf[i] != ',' || i + 1 == len)
				return -EINVAL;
			i++;
		}
	}
	return count;
}

static int norm_bdf(const char *bdf, char *out, size_t len)
{
	unsigned dom = 0, bus, dev, fn;
	char tail;

	if (bdf == NULL)
		return -EINVAL;
	if (sscanf(bdf, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) == 4) {
		if (strlen(bdf) != 12)
			return -EINVAL;
	} else if (sscanf(bdf, "%x:%x.%x%c", &bus, &dev, &fn, &tail) == 3) {
		if (strlen(bdf) != 7)
			return -EINVAL;
		dom = 0;
	} else {
		return -EINVAL;
	}
	if (dom > 0xffff || bus > 0xff || dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

int irqpost_vf_irqs(const char *root, const char *bdf, int *irqs, size_t max, char *err,
		    size_t errlen)
{
	char path[PATH_MAX], nb[16];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if (norm_bdf(bdf, nb, sizeof(nb)) < 0)
		return irqpost__err(err, errlen, -EINVAL,
				    "bad PCI address '%s' (expected "
				    "DDDD:BB:DD.F, e.g. 0000:03:10.2)",
				    bdf ? bdf : "(null)");
	if (irqs == NULL && max > 0)
		return -EINVAL;
	if (irqpost__path(path, sizeof(path), root, "/sys/bus/pci/devices/%s", nb) < 0)
		return irqpost__err(err, errlen, -ENAMETOOLONG, "root prefix too long");
	if (access(path, F_OK) != 0)
		return irqpost__err(err, errlen, -ENOENT, "no PCI device %s (%s missing)", nb,
				    path);
	irqpost__path(path, sizeof(path), root, "/sys/bus/pci/devices/%s/msi_irqs", nb);
	d = opendir(path);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0; /* MSI/MSI-X not enabled (yet): the directory appears with them */
		return irqpost__err(err, errlen, -errno, "cannot list %s: %s", path,
				    strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		char *endp;
		long v;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		v = strtol(de->d_name, &endp, 10);
		if (*endp != '\0' || v < 0 || v > INT_MAX)
			continue;
		if (n >= max) {
			closedir(d);
			return irqpost__err(err, errlen, -ENOSPC, "%s has more than %zu IRQs", path,
					    max);
		}
		irqs[n++] = (int)v;
	}
	closedir(d);
	qsort(irqs, n, sizeof(*irqs), cmp_int);
	return (int)n;
}

static int read_affinity(const char *root, int irq, char *buf, size_t len, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int n;

	irqpost__path(path, sizeof(path), root, "/proc/irq/%d/smp_affinity_list", irq);
	n = irqpost__read_small(path, buf, len);
	if (n < 0)
		return irqpost__err(err, errlen, n, "IRQ %d: cannot read %s: %s", irq, path,
				    strerror(-n));
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return n;
}

static int write_affinity(const char *root, int irq, const char *list, char *err, size_t errlen)
{
	char path[PATH_MAX], line[600];
	ssize_t w;
	int fd, n, e;

	irqpost__path(path, sizeof(path), root, "/proc/irq/%d/smp_affinity_list", irq);
	n = snprintf(line, sizeof(line), "%s\n", list);
	/* O_TRUNC matters for fixture files and is ignored by procfs */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return irqpost__err(err, errlen, -e, "IRQ %d: cannot open %s for writing: %s%s",
				    irq, path, strerror(e),
				    (e == EACCES || e == EPERM) ? " (run as root)" : "");
	}
	w = write(fd, line, (size_t)n);
	e = errno;
	close(fd);
	if (w != n) {
		if (w >= 0)
			e = EIO;
		return irqpost__err(err, errlen, -e, "IRQ %d: writing '%s' to %s failed: %s%s", irq,
				    list, path, strerror(e),
				    e == EIO	? " (managed IRQ or chip cannot set affinity)" :
				    e == EINVAL ? " (no online CPU in the list)" :
						  "");
	}
	return 0;
}

static int same_set(const char *a, const char *b)
{
	static __thread uint64_t ba[CPU_WORDS], bb[CPU_WORDS];

	if (irqpost_cpulist_parse(a, strlen(a), ba, CPU_BITS) < 0 ||
	    irqpost_cpulist_parse(b, strlen(b), bb, CPU_BITS) < 0)
		return 0;
	return memcmp(ba, bb, sizeof(ba)) == 0;
}

int irqpost_steer(const char *root, const char *bdf, const int *cpus, size_t ncpus,
		  struct irqpost_steer **saved, char *err, size_t errlen)
{
	char want[512], got[512];
	struct irqpost_steer *st;
	int *irqs, n, rc;

	if (saved == NULL)
		return -EINVAL;
	*saved = NULL;
	if (cpus == NULL || ncpus == 0)
		return irqpost__err(err, errlen, -EINVAL, "empty pCPU list for %s",
				    bdf ? bdf : "?");
	rc = irqpost_cpulist_format(cpus, ncpus, want, sizeof(want));
	if (rc < 0)
		return irqpost__err(err, errlen, rc == -ENOSPC ? -EINVAL : rc,
				    "bad pCPU list for %s (cpu numbers must be 0..%d)",
				    bdf ? bdf : "?", CPU_BITS - 1);
	irqs = malloc(IRQPOST_MAX_VF_IRQS * sizeof(*irqs));
	if (irqs == NULL)
		return -ENOMEM;
	n = irqpost_vf_irqs(root, bdf, irqs, IRQPOST_MAX_VF_IRQS, err, errlen);
	if (n <= 0) {
		free(irqs);
		return n;
	}
	st = calloc(1, sizeof(*st) + (size_t)n * sizeof(st->irqs[0]));
	if (st == NULL) {
		free(irqs);
		return -ENOMEM;
	}
	snprintf(st->root, sizeof(st->root), "%s", root ? root : "");
	/* save everything first, so a failure part-way can be undone */
	for (int i = 0; i < n; i++) {
		st->irqs[i].irq = irqs[i];
		rc = read_affinity(root, irqs[i], st->irqs[i].list, sizeof(st->irqs[i].list), err,
				   errlen);
		if (rc < 0)
			goto fail;
	}
	for (int i = 0; i < n; i++) {
		st->n = (size_t)i + 1;
		rc = write_affinity(root, irqs[i], want, err, errlen);
		if (rc < 0)
			goto undo;
		rc = read_affinity(root, irqs[i], got, sizeof(got), err, errlen);
		if (rc < 0)
			goto undo;
		if (!same_set(want, got)) {
			rc = irqpost__err(err, errlen, -EREMOTEIO,
					  "IRQ %d: /proc/irq/%d/"
					  "smp_affinity_list reads back '%s' after writing '%s' "
					  "(offline CPU?)",
					  irqs[i], irqs[i], got, want);
			goto undo;
		}
	}
	free(irqs);
	*saved = st;
	return n;
undo:
	for (size_t i = 0; i < st->n; i++)
		write_affinity(root, st->irqs[i].irq, st->irqs[i].list, NULL, 0);
fail:
	free(st);
	free(irqs);
	return rc;
}

int irqpost_restore(struct irqpost_steer *st, char *err, size_t errlen)
{
	int first = 0;

	if (st == NULL)
		return 0;
	for (size_t i = 0; i < st->n; i++) {
		char e[256];
		int rc = write_affinity(st->root, st->irqs[i].irq, st->irqs[i].list, e, sizeof(e));

		if (rc < 0 && first == 0) {
			first = rc;
			irqpost__err(err, errlen, rc, "%s", e);
		}
	}
	free(st);
	return first;
}

void irqpost_steer_free(struct irqpost_steer *st)
{
	free(st);
}

size_t irqpost_steer_count(const struct irqpost_steer *st)
{
	return st ? st->n : 0;
}

int irqpost_steer_entry(const struct irqpost_steer *st, size_t i, int *irq, const char **cpulist)
{
	if (st == NULL || i >= st->n)
		return -EINVAL;
	if (irq)
		*irq = st->irqs[i].irq;
	if (cpulist)
		*cpulist = st->irqs[i].list;
	return 0;
}

struct irqpost_steer *irqpost_steer_load(const char *root, const int *irqs,
					 const char *const *cpulists, size_t n)
{
	static __thread uint64_t bits[CPU_WORDS];
	struct irqpost_steer *st;

	if (irqs == NULL || cpulists == NULL || n == 0 || n > IRQPOST_MAX_VF_IRQS) {
		errno = EINVAL;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (irqs[i] < 0 || cpulists[i] == NULL ||
		    strlen(cpulists[i]) >= sizeof(st->irqs[0].list) ||
		    irqpost_cpulist_parse(cpulists[i], strlen(cpulists[i]), bits, CPU_BITS) < 0) {
			errno = EINVAL;
			return NULL;
		}
	}
	st = calloc(1, sizeof(*st) + n * sizeof(st->irqs[0]));
	if (st == NULL)
		return NULL;
	snprintf(st->root, sizeof(st->root), "%s", root ? root : "");
	for (size_t i = 0; i < n; i++) {
		st->irqs[i].irq = irqs[i];
		snprintf(st->irqs[i].list, sizeof(st->irqs[i].list), "%s", cpulists[i]);
	}
	st->n = n;
	return st;
}
