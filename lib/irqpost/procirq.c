/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/irqpost: /proc/interrupts parser, deltas and the posted/remapped verdict.
 *
 * Format (kernel/irq/proc.c show_interrupts, arch/x86/kernel/irq.c
 * arch_show_interrupts): a header of "CPUn" columns for the online CPUs, then one
 * row per IRQ: "%*d:" or "%*s:" id, one "%10u" count per online CPU, then the chip
 * name, hwirq, trigger type and action names (may contain spaces).  x86 summary
 * rows (NMI, LOC, ... PIN, NPI, PIW) carry per-CPU counts and a text; ERR and MIS
 * carry a single total.  The VFIO MSI-X action name is "vfio-msix[N](BDF)"
 * (drivers/vfio/pci/vfio_pci_intrs.c).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "irqpost_internal.h"

#define MAX_CPUS_PARSED 65536

void irqpost_interrupts_free(struct irqpost_interrupts *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nrows; i++)
		free(s->rows[i].counts);
	free(s->rows);
	free(s->cpu_ids);
	memset(s, 0, sizeof(*s));
}

/* Parse an unsigned decimal at p (< end). Returns chars consumed, 0 if none or overflow. */
static size_t parse_u64(const char *p, const char *end, uint64_t *v)
{
	const char *q = p;
	uint64_t x = 0;

	while (q < end && *q >= '0' && *q <= '9') {
		unsigned d = (unsigned)(*q - '0');

		if (x > (UINT64_MAX - d) / 10)
			return 0;
		x = x * 10 + d;
		q++;
	}
	*v = x;
	return (size_t)(q - p);
}

static int parse_header(const char *p, const char *end, struct irqpost_interrupts *s)
{
	unsigned cap = 0;

	while (p < end) {
		uint64_t id;
		size_t n;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			break;
		if (end - p < 4 || strncmp(p, "CPU", 3) != 0)
			return -EINVAL;
		n = parse_u64(p + 3, end, &id);
		if (n == 0 || id > INT_MAX)
			return -EINVAL;
		p += 3 + n;
		if (p < end && !(*p == ' ' || *p == '\t'))
			return -EINVAL;
		if (s->ncpus == cap) {
			int *ni;

			if (cap >= MAX_CPUS_PARSED)
				return -EINVAL;
			cap = cap ? cap * 2 : 16;
			ni = realloc(s->cpu_ids, cap * sizeof(*ni));
			if (ni == NULL)
				return -ENOMEM;
			s->cpu_ids = ni;
		}
		s->cpu_ids[s->ncpus++] = (int)id;
	}
	return s->ncpus > 0 ? 0 : -EINVAL;
}

/* Parse one row; 1 parsed, 0 skipped, -ENOMEM. */
static int parse_row(const char *p, const char *end, unsigned ncpus, struct irqpost_irq_row *r,
		     uint64_t *scratch)
{
	const char *id, *colon;
	size_t idlen, dl;

	memset(r, 0, sizeof(*r));
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	id = p;
	while (p < end && *p != ':' && *p != ' ' && *p != '\t')
		p++;
	if (p >= end || *p != ':')
		return 0;
	colon = p;
	idlen = (size_t)(colon - id);
	if (idlen == 0 || idlen >= sizeof(r->id))
		return 0;
	memcpy(r->id, id, idlen);
	r->id[idlen] = '\0';
	r->irq = -1;
	if (isdigit((unsigned char)id[0])) {
		uint64_t n;

		if (parse_u64(id, colon, &n) == idlen && n <= INT_MAX)
			r->irq = (int)n;
	}
	p = colon + 1;
	/* per-CPU counts: as many numeric tokens as there are CPUs, fewer is allowed */
	while (r->ncounts < ncpus) {
		const char *q = p;
		uint64_t v;
		size_t n;

		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q >= end || !isdigit((unsigned char)*q))
			break;
		n = parse_u64(q, end, &v);
		if (n == 0)
			return 0; /* overflowing number: not a /proc/interrupts row */
		if (q + n < end && !(q[n] == ' ' || q[n] == '\t'))
			break; /* "65536-edge" is description, not a count */
		scratch[r->ncounts++] = v;
		r->total = (r->total > UINT64_MAX - v) ? UINT64_MAX : r->total + v;
		p = q + n;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	dl = (size_t)(end - p);
	while (dl > 0 && (p[dl - 1] == ' ' || p[dl - 1] == '\t' || p[dl - 1] == '\r'))
		dl--;
	if (dl >= sizeof(r->desc))
		dl = sizeof(r->desc) - 1;
	memcpy(r->desc, p, dl);
	r->desc[dl] = '\0';
	if (r->ncounts) {
		r->counts = malloc(r->ncounts * sizeof(*r->counts));
		if (r->counts == NULL)
			return -ENOMEM;
		memcpy(r->counts, scratch, r->ncounts * sizeof(*r->counts));
	}
	return 1;
}

int irqpost_interrupts_parse(const char *buf, size_t len, struct irqpost_interrupts *out)
{
	const char *p, *end, *nl;
	size_t cap = 0;
	uint64_t *scratch = NULL;
	int rc;

	if (out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (buf == NULL)
		return -EINVAL;
	p = buf;
	end = buf + len;

	/* header: the first non-blank line */
	for (;;) {
		if (p >= end)
			return -EINVAL;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		const char *q = p;

		while (q < nl && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q < nl)
			break;
		p = nl + 1;
	}
	{
		const char *he = nl;

		while (he > p && he[-1] == '\r')
			he--;
		rc = parse_header(p, he, out);
	}
	if (rc < 0)
		goto fail;
	scratch = malloc(out->ncpus * sizeof(*scratch));
	if (scratch == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	p = nl < end ? nl + 1 : end;
	while (p < end) {
		struct irqpost_irq_row row;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		rc = parse_row(p, nl, out->ncpus, &row, scratch);
		if (rc < 0)
			goto fail;
		if (rc == 1) {
			if (out->nrows == cap) {
				struct irqpost_irq_row *nr;

				cap = cap ? cap * 2 : 64;
				nr = realloc(out->rows, cap * sizeof(*nr));
				if (nr == NULL) {
					free(row.counts);
					rc = -ENOMEM;
					goto fail;
				}
				out->rows = nr;
			}
			out->rows[out->nrows++] = row;
		}
		p = nl + 1;
	}
	free(scratch);
	return out->nrows > INT_MAX ? INT_MAX : (int)out->nrows;
fail:
	free(scratch);
	irqpost_interrupts_free(out);
	return rc;
}

int irqpost_interrupts_read(const char *root, struct irqpost_interrupts *out, char *err,
			    size_t errlen)
{
	char path[PATH_MAX], *buf;
	long n;
	int rc;

	if (out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (irqpost__path(path, sizeof(path), root, "/proc/interrupts") < 0)
		return irqpost__err(err, errlen, -ENAMETOOLONG, "root prefix too long");
	n = irqpost__read_file(path, &buf);
	if (n < 0)
		return irqpost__err(err, errlen, (int)n, "cannot read %s: %s (is /proc mounted?)",
				    path, strerror((int)-n));
	rc = irqpost_interrupts_parse(buf, (size_t)n, out);
	free(buf);
	if (rc < 0)
		return irqpost__err(err, errlen, rc, "cannot parse %s: %s", path,
				    rc == -ENOMEM ? "out of memory" : "no CPUn header row");
	return rc;
}

const struct irqpost_irq_row *irqpost_interrupts_find(const struct irqpost_interrupts *s,
						      const char *id)
{
	if (s == NULL || id == NULL)
		return NULL;
	for (size_t i = 0; i < s->nrows; i++)
		if (strcmp(s->rows[i].id, id) == 0)
			return &s->rows[i];
	return NULL;
}

static bool row_matches(const struct irqpost_irq_row *r, const char *match)
{
	return strcmp(r->id, match) == 0 || (match[0] != '\0' && strstr(r->desc, match) != NULL);
}

/* Delta of one row against its previous value: per CPU column when the columns
 * line up, the total otherwise; counters that went backwards contribute 0. */
static uint64_t row_delta(const struct irqpost_interrupts *before, const struct irqpost_irq_row *a,
			  const struct irqpost_interrupts *after)
{
	const struct irqpost_irq_row *b = irqpost_interrupts_find(before, a->id);
	uint64_t d = 0;

	if (b == NULL)
		return a->total;
	if (before->ncpus == after->ncpus && a->ncounts == b->ncounts &&
	    memcmp(before->cpu_ids, after->cpu_ids, before->ncpus * sizeof(int)) == 0) {
		for (unsigned c = 0; c < a->ncounts; c++)
			if (a->counts[c] > b->counts[c])
				d += a->counts[c] - b->counts[c];
		return d;
	}
	return a->total > b->total ? a->total - b->total : 0;
}

uint64_t irqpost_interrupts_delta(const struct irqpost_interrupts *before,
				  const struct irqpost_interrupts *after, const char *match,
				  unsigned *nrows_out)
{
	uint64_t sum = 0;
	unsigned n = 0;

	if (nrows_out)
		*nrows_out = 0;
	if (before == NULL || after == NULL || match == NULL)
		return 0;
	for (size_t i = 0; i < after->nrows; i++) {
		const struct irqpost_irq_row *a = &after->rows[i];

		if (!row_matches(a, match))
			continue;
		n++;
		sum += row_delta(before, a, after);
	}
	if (nrows_out)
		*nrows_out = n;
	return sum;
}

const char *irqpost_evidence_name(enum irqpost_evidence e)
{
	switch (e) {
	case IRQPOST_EVIDENCE_POSTED:
		return "posted";
	case IRQPOST_EVIDENCE_REMAPPED:
		return "remapped";
	default:
		return "unknown";
	}
}

/* Is r a VFIO MSI/MSI-X row of bdf? ("vfio-msix[3](0000:03:10.0)", "vfio-msi[0](...)") */
static bool is_vf_row(const struct irqpost_irq_row *r, const char *bdf)
{
	const char *p = r->desc;

	while ((p = strstr(p, "vfio-msi")) != NULL) {
		const char *open = strchr(p, '(');
		size_t bl = strlen(bdf);

		if (open != NULL && strncmp(open + 1, bdf, bl) == 0 && open[1 + bl] == ')')
			return true;
		p += 8;
	}
	return false;
}

enum irqpost_evidence irqpost_evidence_judge(const struct irqpost_interrupts *before,
					     const struct irqpost_interrupts *after,
					     const char *bdf, uint64_t guest_rx_delta,
					     struct irqpost_evidence_report *rep)
{
	struct irqpost_evidence_report r;
	char full[32];
	unsigned before_rows = 0;

	memset(&r, 0, sizeof(r));
	r.guest_delta = guest_rx_delta;
	if (before == NULL || after == NULL || bdf == NULL) {
		snprintf(r.why, sizeof(r.why), "unknown: missing snapshot or BDF");
		goto out;
	}
	/* accept "03:10.0" as "0000:03:10.0" (pci_name() always has the domain) */
	if (strlen(bdf) == 7)
		snprintf(full, sizeof(full), "0000:%s", bdf);
	else
		snprintf(full, sizeof(full), "%s", bdf);

	for (size_t i = 0; i < before->nrows; i++)
		if (is_vf_row(&before->rows[i], full))
			before_rows++;
	for (size_t i = 0; i < after->nrows; i++) {
		const struct irqpost_irq_row *a = &after->rows[i];

		if (!is_vf_row(a, full))
			continue;
		r.vf_rows++;
		r.host_vf_delta += row_delta(before, a, after);
	}
	r.pin_delta = irqpost_interrupts_delta(before, after, "PIN", NULL);
	r.piw_delta = irqpost_interrupts_delta(before, after, "PIW", NULL);

	if (r.host_vf_delta > 0) {
		r.verdict = IRQPOST_EVIDENCE_REMAPPED;
		snprintf(r.why, sizeof(r.why),
			 "remapped: host vfio-msix rows of %s rose by %llu "
			 "over %u row(s) (the host took the interrupts)",
			 full, (unsigned long long)r.host_vf_delta, r.vf_rows);
	} else if (r.vf_rows == 0 || before_rows == 0) {
		r.verdict = IRQPOST_EVIDENCE_UNKNOWN;
		snprintf(r.why, sizeof(r.why),
			 "unknown: no vfio-msix rows for %s in %s snapshot "
			 "(is the VF assigned and its MSI-X enabled by the guest?)",
			 full, r.vf_rows == 0 ? "the second" : "the first");
	} else if (guest_rx_delta == 0) {
		r.verdict = IRQPOST_EVIDENCE_UNKNOWN;
		snprintf(r.why, sizeof(r.why),
			 "unknown: the guest counted no interrupts and the "
			 "host vfio-msix rows of %s did not move (no traffic?)",
			 full);
	} else {
		r.verdict = IRQPOST_EVIDENCE_POSTED;
		snprintf(r.why, sizeof(r.why),
			 "posted: guest received %llu interrupts while the "
			 "%u host vfio-msix row(s) of %s stayed flat (PIN +%llu, PIW +%llu)",
			 (unsigned long long)guest_rx_delta, r.vf_rows, full,
			 (unsigned long long)r.pin_delta, (unsigned long long)r.piw_delta);
	}
out:
	if (rep)
		*rep = r;
	return r.verdict;
}
