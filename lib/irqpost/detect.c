/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/irqpost detection, step 2: the per-vendor verdict over the facts gathered by
 * detect_facts.c (irqpost_detect_facts()).
 *
 * Intel: Linux enables IRQ posting (intel/irq_remapping.c, intel_irq_remap_ops
 * .capability IRQ_POSTING_CAP) only when interrupt remapping is on, every DMAR unit
 * reports CAP.PI (cap_pi_support(), bit 59, VT-d spec 11.4.2) and intremap=nopost
 * was not given.  KVM posts device interrupts only with APICv (vmx.c enable_apicv;
 * Linux >= 6.15 also enable_device_posted_irqs).
 * AMD: drivers/iommu/amd/init.c uses guest virtual APIC mode when every IOMMU has
 * EFR.GASup (FEATURE_GA, bit 7) and GAMSup vAPIC (FEATURE_GAM_VAPIC, bit 21) and
 * amd_iommu_intr= is not legacy / legacy_ga; KVM needs kvm_amd.avic=1 (svm/avic.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "irqpost_internal.h"

static const char *tri_yn(enum irqpost_tri t)
{
	return t == IRQPOST_YES ? "Y" : t == IRQPOST_NO ? "N" : "?";
}

/* Record the verdict in d.  Returns 0 so a rule reads "return verdict(d, ...);". */
static int verdict(struct irqpost_detect *d, bool available, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int verdict(struct irqpost_detect *d, bool available, const char *fmt, ...)
{
	va_list ap;

	d->available = available;
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	return 0;
}

static unsigned units_stored(const struct irqpost_detect *d)
{
	return d->n_units < IRQPOST_MAX_UNITS ? d->n_units : IRQPOST_MAX_UNITS;
}

/* Intel: every DMAR unit has ECAP.IR and CAP.PI, no intremap=nopost, kvm_intel with
 * APICv and device posting not disabled.  First failing rule wins. */
static int verdict_intel(struct irqpost_detect *d)
{
	const struct irqpost_host_facts *h = &d->host;
	unsigned i;

	for (i = 0; i < units_stored(d); i++) {
		const struct irqpost_unit *u = &d->units[i];

		if (u->vendor != IRQPOST_VENDOR_INTEL)
			continue;
		if (!u->pi && !u->ir)
			return verdict(d, false,
				       "unavailable: CAP.PI=0 on %s (cap 0x%llx), and "
				       "ECAP.IR=0 (ecap 0x%llx): no interrupt remapping",
				       u->name, (unsigned long long)u->cap,
				       (unsigned long long)u->ecap);
		if (!u->pi)
			return verdict(d, false, "unavailable: CAP.PI=0 on %s (cap 0x%llx)",
				       u->name, (unsigned long long)u->cap);
		if (!u->ir)
			return verdict(d, false,
				       "unavailable: ECAP.IR=0 on %s (ecap 0x%llx): "
				       "no interrupt remapping",
				       u->name, (unsigned long long)u->ecap);
	}
	if (h->cmdline_intremap_nopost)
		return verdict(d, false, "unavailable: intremap=nopost on the kernel command line");
	if (!h->kvm_intel_loaded)
		return verdict(d, false,
			       "unavailable: kvm_intel not loaded "
			       "(no /sys/module/kvm_intel; modprobe kvm_intel)");
	if (h->enable_apicv != IRQPOST_YES)
		return verdict(d, false, "unavailable: kvm_intel enable_apicv=%s",
			       tri_yn(h->enable_apicv));
	if (h->enable_device_posted_irqs == IRQPOST_NO)
		return verdict(d, false, "unavailable: kvm_intel enable_device_posted_irqs=N");
	return verdict(d, true,
		       "available: %u DMAR unit%s with CAP.PI=1 ECAP.IR=1 (%s mode), "
		       "kvm_intel enable_apicv=Y",
		       d->n_units, d->n_units == 1 ? "" : "s",
		       d->units[0].x2apic ? "x2APIC" : "xAPIC");
}

/* AMD: every unit has EFR.GASup and GAMSup vAPIC, amd_iommu_intr is not legacy /
 * legacy_ga, kvm_amd with avic=1.  First failing rule wins. */
static int verdict_amd(struct irqpost_detect *d)
{
	const struct irqpost_host_facts *h = &d->host;
	unsigned i;

	for (i = 0; i < units_stored(d); i++) {
		const struct irqpost_unit *u = &d->units[i];

		if (u->vendor != IRQPOST_VENDOR_AMD)
			continue;
		if (!u->pi)
			return verdict(d, false, "unavailable: EFR.GASup=0 on %s (features 0x%llx)",
				       u->name, (unsigned long long)u->ecap);
		if (!((u->ecap >> IRQPOST_AMD_EFR_GAM_VAPIC_BIT) & 1))
			return verdict(d, false,
				       "unavailable: EFR.GAMSup vAPIC=0 on %s (features "
				       "0x%llx): IOMMU runs legacy GA mode",
				       u->name, (unsigned long long)u->ecap);
	}
	if (h->cmdline_amd_iommu_intr == 1 || h->cmdline_amd_iommu_intr == 2)
		return verdict(d, false,
			       "unavailable: amd_iommu_intr=%s on the kernel command line "
			       "(use amd_iommu_intr=vapic)",
			       h->cmdline_amd_iommu_intr == 1 ? "legacy" : "legacy_ga");
	if (!h->kvm_amd_loaded)
		return verdict(d, false,
			       "unavailable: kvm_amd not loaded "
			       "(no /sys/module/kvm_amd; modprobe kvm_amd avic=1)");
	if (h->avic != IRQPOST_YES)
		return verdict(d, false, "unavailable: kvm_amd avic=%s (load kvm_amd with avic=1)",
			       tri_yn(h->avic));
	return verdict(d, true,
		       "available: %u AMD IOMMU unit%s with EFR.GASup=1 (vAPIC mode), "
		       "kvm_amd avic=Y",
		       d->n_units, d->n_units == 1 ? "" : "s");
}

int irqpost_detect(const char *root, struct irqpost_detect *d)
{
	char why[200];
	int rc;

	if (d == NULL)
		return -EINVAL;
	rc = irqpost_detect_facts(root, d, why, sizeof(why));
	if (rc == -ENAMETOOLONG && d->n_units == 0 && why[0] == '\0')
		return verdict(d, false, "unavailable: root prefix too long");

	/* rules common to both vendors, then the vendor's own */
	if (d->n_units == 0) {
		if (d->host.cmdline_intel_iommu_off)
			return verdict(d, false,
				       "unavailable: no IOMMU (no /sys/class/iommu entries; "
				       "kernel command line has intel_iommu=off, remove it)");
		if (d->host.cmdline_amd_iommu_off)
			return verdict(d, false,
				       "unavailable: no IOMMU (no /sys/class/iommu entries; "
				       "kernel command line has amd_iommu=off, remove it)");
		return verdict(d, false, "unavailable: no IOMMU (no /sys/class/iommu entries)");
	}
	if (rc < 0)
		return verdict(d, false, "unavailable: %s", why);
	if (d->host.cmdline_intremap_off)
		return verdict(d, false,
			       "unavailable: interrupt remapping disabled by intremap=off "
			       "on the kernel command line");
	switch (d->vendor) {
	case IRQPOST_VENDOR_INTEL:
		return verdict_intel(d);
	case IRQPOST_VENDOR_AMD:
		return verdict_amd(d);
	default:
		return verdict(d, false,
			       "unavailable: IOMMU %s is neither Intel VT-d nor AMD-Vi "
			       "(no intel-iommu/ or amd-iommu/ attributes)",
			       d->units[0].name);
	}
}

const char *irqpost_verdict_reason(const struct irqpost_detect *d)
{
	if (d == NULL || d->reason[0] == '\0')
		return "unavailable: detection not run";
	return d->reason;
}
