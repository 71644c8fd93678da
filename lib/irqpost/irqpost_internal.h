/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file irqpost_internal.h
 * @internal
 * lib/irqpost internals: for the library's own files and its tests (tests/irqpost),
 * not for applications (they use irqpost.h only).  Same conventions as irqpost.h:
 * 0 / count >= 0 on success, negative errno on failure; (char *err, size_t errlen)
 * one-line messages; @p root prefixes for every host file.
 */
#ifndef IRQPOST_INTERNAL_H
#define IRQPOST_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "irqpost.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * Detection: register bits and sysfs parsers (detect_facts.c)
 * ====================================================================== */

/** Intel VT-d capability / extended capability bits (VT-d spec 11.4.2, 11.4.3). */
#define IRQPOST_VTD_CAP_PI_BIT 59 /**< CAP.PI: posted interrupts supported */
#define IRQPOST_VTD_ECAP_IR_BIT 3 /**< ECAP.IR: interrupt remapping supported */
#define IRQPOST_VTD_ECAP_EIM_BIT 4 /**< ECAP.EIM: extended (x2APIC) interrupt mode */
/** AMD IOMMU extended feature register bits (amd_iommu_types.h). */
#define IRQPOST_AMD_EFR_GA_BIT 7 /**< GASup: guest virtual APIC (GA) mode */
#define IRQPOST_AMD_EFR_XT_BIT 2 /**< XTSup: x2APIC */
#define IRQPOST_AMD_EFR_GAM_VAPIC_BIT 21 /**< GAMSup = 1: vAPIC guest-interrupt mode */

/**
 * Parse a sysfs hex register file body ("d2008c22260286\n", optional 0x, surrounding
 * white space).  Used for VT-d cap/ecap and AMD cap.
 * @return 0, -EINVAL if the text is not exactly one hex number of <= 64 bits.
 */
int irqpost_parse_hex_reg(const char *buf, size_t len, uint64_t *val);

/**
 * Parse an AMD IOMMU "features" file body: "efr" or "a:b" (two 64-bit hex numbers).
 * Which of a/b is EFR changed between kernels (6.2-6.4 print features2:features,
 * later kernels efr:efr2); @p efr_first selects the interpretation.
 * @return 0, -EINVAL on malformed text.
 */
int irqpost_parse_amd_features(const char *buf, size_t len, bool efr_first, uint64_t *efr,
			       uint64_t *efr2);

/**
 * Parse a kernel module boolean/int parameter body ("Y", "N", "1", "0", "-1").
 * @return IRQPOST_YES / IRQPOST_NO, IRQPOST_UNKNOWN if unparsable
 *         (kvm_intel enable_device_posted_irqs "-1"/auto counts as YES).
 */
enum irqpost_tri irqpost_parse_param_bool(const char *buf, size_t len);

/* ======================================================================
 * Steering: limits, saved state, CPU lists (steer.c)
 * ====================================================================== */

#define IRQPOST_MAX_VF_IRQS 2048

/**
 * Write the saved smp_affinity_list values back and free @p saved (always freed).
 * @return 0, or the first negative errno (other IRQs are still attempted).
 */
int irqpost_restore(struct irqpost_steer *saved, char *err, size_t errlen);

/** @return number of IRQs recorded in @p saved (0 for NULL). */
size_t irqpost_steer_count(const struct irqpost_steer *saved);

/**
 * Entry @p i of @p saved: the IRQ number and its previous smp_affinity_list text, so a
 * daemon can persist them (journal / side file) and rebuild with irqpost_steer_load().
 * @return 0, -EINVAL bad index.  *cpulist points into @p saved.
 */
int irqpost_steer_entry(const struct irqpost_steer *saved, size_t i, int *irq,
			const char **cpulist);

/**
 * Rebuild a saved state from persisted (irq, cpulist) pairs, e.g. after a restart;
 * pass it to irqpost_restore().  Lists are validated with irqpost_cpulist_parse().
 * @return the state, or NULL (errno EINVAL: bad irq / list / n == 0, ENOMEM).
 */
struct irqpost_steer *irqpost_steer_load(const char *root, const int *irqs,
					 const char *const *cpulists, size_t n);

/**
 * Format a CPU list as the kernel's "%*pbl" does ("0-3,8,10-11").
 * @return length written (excluding NUL), -ENOSPC if @p len is too small, -EINVAL bad cpu.
 */
int irqpost_cpulist_format(const int *cpus, size_t ncpus, char *buf, size_t len);

/**
 * Parse a kernel CPU list ("0-3,8", optional trailing newline) into a bitmap of
 * @p nbits bits (uint64_t words).
 * @return number of CPUs set, -EINVAL malformed, -ERANGE cpu >= nbits.
 */
int irqpost_cpulist_parse(const char *buf, size_t len, uint64_t *bits, size_t nbits);

/* ======================================================================
 * /proc/interrupts evidence (procirq.c)
 * ====================================================================== */

/* ======================================================================
 * 3. /proc/interrupts evidence (procirq.c)
 * ====================================================================== */

/** One row of /proc/interrupts. */
struct irqpost_irq_row {
	char id[16]; /**< "45", "NMI", "PIN" (text before ':') */
	int irq; /**< numeric IRQ, -1 for named rows */
	unsigned ncounts; /**< per-CPU counts present (<= ncpus; PIN/ERR/MIS have fewer) */
	uint64_t *counts; /**< per-CPU counts, ncounts entries */
	uint64_t total; /**< sum of counts */
	char desc[128]; /**< the rest: chip, hwirq, type, name(s), e.g.
	                             "IR-PCI-MSIX-0000:03:10.0 1-edge vfio-msix[1](0000:03:10.0)" */
};

/** A parsed /proc/interrupts snapshot. */
struct irqpost_interrupts {
	unsigned ncpus; /**< CPU columns in the header row */
	int *cpu_ids; /**< CPU number of each column ("CPU3" -> 3), ncpus entries */
	size_t nrows;
	struct irqpost_irq_row *rows;
};

/**
 * Parse /proc/interrupts text (fs/proc/interrupts.c, arch/x86/kernel/irq.c
 * arch_show_interrupts).  Accepts any number of CPU columns, rows with fewer count
 * columns than CPUs (ERR, MIS, PIN on some kernels), descriptions with spaces, and
 * counts up to 64 bits.  Unparsable lines are skipped; a missing header is -EINVAL.
 * @return number of rows, -EINVAL, -ENOMEM.  On success free with irqpost_interrupts_free().
 */
int irqpost_interrupts_parse(const char *buf, size_t len, struct irqpost_interrupts *out);

/** Read and parse <root>/proc/interrupts. @return rows, -errno (message in @p err). */
int irqpost_interrupts_read(const char *root, struct irqpost_interrupts *out, char *err,
			    size_t errlen);

/** Release a snapshot (safe on a zeroed struct). */
void irqpost_interrupts_free(struct irqpost_interrupts *s);

/** @return the row with id @p id ("PIN", "45") or NULL. */
const struct irqpost_irq_row *irqpost_interrupts_find(const struct irqpost_interrupts *s,
						      const char *id);

/**
 * Sum of (after - before) over rows matched by @p match: rows whose id equals it, or
 * whose desc contains it ("vfio-msix", "0000:03:10.0").  Rows missing from @p before
 * count from 0; a counter that went backwards contributes 0.
 * @param nrows_out  number of matched rows in @p after (may be NULL)
 */
uint64_t irqpost_interrupts_delta(const struct irqpost_interrupts *before,
				  const struct irqpost_interrupts *after, const char *match,
				  unsigned *nrows_out);

enum irqpost_evidence {
	IRQPOST_EVIDENCE_UNKNOWN = 0, /**< not enough traffic or no VF rows to judge */
	IRQPOST_EVIDENCE_POSTED, /**< guest received, host vfio-msix rows of the VF did not move */
	IRQPOST_EVIDENCE_REMAPPED, /**< host vfio-msix rows of the VF increased */
};

/** Figures behind an evidence verdict. */
struct irqpost_evidence_report {
	enum irqpost_evidence verdict;
	unsigned vf_rows; /**< vfio-msix rows of the VF found */
	uint64_t host_vf_delta; /**< sum of their deltas */
	uint64_t pin_delta; /**< PIN (posted-interrupt notification) delta */
	uint64_t piw_delta; /**< PIW (posted-interrupt wakeup) delta */
	uint64_t guest_delta; /**< the caller's guest-side receive delta */
	char why[IRQPOST_REASON_LEN];
};

/**
 * Judge whether the VF @p bdf's interrupts were posted between two snapshots.
 * Only deltas count: PIN/NPI/PIW rows exist on every x86 kernel with KVM.
 *  - REMAPPED: the VF's host "vfio-msix[..](bdf)" rows increased (the host took the IRQ
 *    and forwarded it through an eventfd: vfio_pci_intrs.c).
 *  - POSTED: @p guest_rx_delta > 0 (interrupts the guest counted) and the VF has
 *    vfio-msix rows in both snapshots and none increased.
 *  - UNKNOWN otherwise (no guest interrupts, or no vfio-msix rows for @p bdf).
 * @return the verdict (also in @p rep when non-NULL).
 */
enum irqpost_evidence irqpost_evidence_judge(const struct irqpost_interrupts *before,
					     const struct irqpost_interrupts *after,
					     const char *bdf, uint64_t guest_rx_delta,
					     struct irqpost_evidence_report *rep);

/** @return "posted", "remapped" or "unknown". */
const char *irqpost_evidence_name(enum irqpost_evidence e);

/* ======================================================================
 * The Posted-Interrupt Descriptor (pi_desc) and KVM's PI state machine (pi_desc.c)
 * ====================================================================== */

/* ======================================================================
 * 4. Posted-Interrupt Descriptor and the KVM PI state machine (pi_desc.c)
 * ====================================================================== */

#define IRQPOST_POSTED_INTR_VECTOR 0xf2 /**< active notification (irq_vectors.h) */
#define IRQPOST_POSTED_INTR_WAKEUP_VECTOR 0xf1 /**< blocked-vCPU wakeup */
#define IRQPOST_POSTED_INTR_NESTED_VECTOR 0xf0

/** Control word (pi_desc bits 319:256) fields, as bit positions within the 64-bit word. */
#define IRQPOST_PI_DESC_ON_BIT 0 /**< pi_desc bit 256: outstanding notification */
#define IRQPOST_PI_DESC_SN_BIT 1 /**< pi_desc bit 257: suppress notification */
#define IRQPOST_PI_DESC_NV_SHIFT 16 /**< pi_desc bits 279:272: notification vector */
#define IRQPOST_PI_DESC_NDST_SHIFT 32 /**< pi_desc bits 319:288: notification destination */

/**
 * Posted-Interrupt Descriptor: 64 bytes, 64-byte aligned (VT-d spec 9.12,
 * arch/x86/include/asm/posted_intr.h struct pi_desc).
 */
struct irqpost_pi_desc {
	uint64_t pir[4]; /**< bits 255:0, one per vector */
	uint64_t control; /**< ON 0, SN 1, NV 23:16, NDST 63:32 (pi_desc bits 319:256) */
	uint32_t rsvd[6];
} __attribute__((aligned(64)));

/** @return NDST encoding of APIC id @p apicid: x2APIC full 32 bits, xAPIC (id << 8) & 0xff00. */
uint32_t irqpost_ndst_encode(uint32_t apicid, bool x2apic);

/** @return ON (pi_desc bit 256) of a control word value (from irqpost_pi_desc_control()). */
bool irqpost_pi_desc_ctl_on(uint64_t control);
/** @return SN (pi_desc bit 257) of a control word value. */
bool irqpost_pi_desc_ctl_sn(uint64_t control);
/** @return NV (pi_desc bits 279:272) of a control word value. */
uint8_t irqpost_pi_desc_ctl_nv(uint64_t control);
/** @return NDST (pi_desc bits 319:288) of a control word value. */
uint32_t irqpost_pi_desc_ctl_ndst(uint64_t control);

/** Zero @p pi_desc and set NV = POSTED_INTR_VECTOR, SN = 1 (vCPU not loaded yet). */
void irqpost_pi_desc_init(struct irqpost_pi_desc *pi_desc);

/** @return an atomic snapshot of the control word. */
uint64_t irqpost_pi_desc_control(const struct irqpost_pi_desc *pi_desc);

/** Notification callback ("the IPI"): vector NV to destination NDST. */
typedef void (*irqpost_notify_fn)(uint8_t nv, uint32_t ndst, void *arg);

/**
 * Post @p vector as the IOMMU does (VT-d spec 9.12 / 5.2.3): atomically OR the PIR
 * bit, then set ON with a 64-bit CAS unless SN is set or ON is already set; call
 * @p notify (if non-NULL) only when this post set ON.
 * @return 1 notified, 0 posted without notification, -EINVAL vector < 16.
 */
int irqpost_pi_desc_post(struct irqpost_pi_desc *pi_desc, uint8_t vector, irqpost_notify_fn notify,
			 void *arg);

/**
 * Move PIR into a virtual APIC IRR (KVM vmx_sync_pir_to_irr): only if ON is set,
 * clear ON (CAS), then xchg each 64-bit PIR word to 0 and OR it into @p irr.
 * @return number of vectors moved (0 when ON was clear: PIR is left alone).
 */
int irqpost_pi_desc_sync_pir(struct irqpost_pi_desc *pi_desc, uint64_t irr[4]);

/** @return true if any PIR bit is set. */
bool irqpost_pi_desc_pir_pending(const struct irqpost_pi_desc *pi_desc);

/** KVM-visible vCPU scheduling state (Lettieri's notes, fig. 4). */
enum irqpost_vcpu_state {
	IRQPOST_VCPU_RUNNING = 0, /**< loaded on a pCPU: SN=0, NV=0xf2, NDST=pCPU */
	IRQPOST_VCPU_READY, /**< preempted: SN=1 */
	IRQPOST_VCPU_HALTED, /**< blocked: on the wakeup list, NV=0xf1 */
};

/** The host side of the model: per-pCPU wakeup lists (opaque). */
struct irqpost_pi_host;
/** One vCPU in the model (opaque; owns a struct irqpost_pi_desc). */
struct irqpost_pi_vcpu;

/** Called when a vCPU must be woken (kvm_vcpu_wake_up) or notified while running. */
typedef void (*irqpost_kick_fn)(struct irqpost_pi_vcpu *v, bool wakeup, void *arg);

/**
 * Create a host with @p npcpus pCPUs; pCPU i has APIC id @p apicids[i] (NULL: i).
 * @return host or NULL (errno EINVAL / ENOMEM).
 */
struct irqpost_pi_host *irqpost_pi_host_create(unsigned npcpus, bool x2apic,
					       const uint32_t *apicids);
/** Free a host created by irqpost_pi_host_create() (its vCPUs must be destroyed first). */
void irqpost_pi_host_destroy(struct irqpost_pi_host *h);

/**
 * Create a vCPU (state READY, SN=1, not on any pCPU).  @p kick is called with
 * wakeup=true by the wakeup handler for a HALTED vCPU whose ON is set, and with
 * wakeup=false when a notification (NV=0xf2) reaches a RUNNING vCPU's pCPU.
 * @return vCPU or NULL (errno).
 */
struct irqpost_pi_vcpu *irqpost_pi_vcpu_create(struct irqpost_pi_host *h, irqpost_kick_fn kick,
					       void *arg);
/** Take @p v off any wakeup list and free it. NULL is a no-op. */
void irqpost_pi_vcpu_destroy(struct irqpost_pi_vcpu *v);

/**
 * Schedule in on @p pcpu (vmx_vcpu_pi_load): leave the wakeup list, CAS SN=0,
 * NV=0xf2, NDST=pCPU; if PIR is non-empty set ON and self-notify (kick wakeup=false).
 * @return 1 if it self-notified, 0 otherwise, -EINVAL bad pCPU.
 */
int irqpost_pi_vcpu_load(struct irqpost_pi_vcpu *v, int pcpu);

/**
 * Schedule out (vmx_vcpu_pi_put): @p blocking false -> READY (CAS SN=1);
 * true -> HALTED (pi_enable_wakeup_handler: join the pCPU's wakeup list, CAS
 * NV=0xf1; if ON was already set send the wakeup "IPI" = run the wakeup handler).
 * @return 1 if a wakeup IPI was sent, 0 otherwise, -EINVAL not RUNNING.
 */
int irqpost_pi_vcpu_put(struct irqpost_pi_vcpu *v, bool blocking);

/**
 * The POSTED_INTR_WAKEUP_VECTOR handler for @p pcpu (pi_wakeup_handler): kick every
 * vCPU on that pCPU's wakeup list whose ON bit is set.
 * @return number of vCPUs kicked, -EINVAL bad pCPU.
 */
int irqpost_pi_wakeup_handler(struct irqpost_pi_host *h, int pcpu);

/**
 * A device interrupt with guest vector @p vector arrives through a posted IRTE:
 * irqpost_pi_desc_post() whose notification is delivered by the model: NV 0xf1 ->
 * wakeup handler on the pCPU owning NDST; NV 0xf2 -> kick(wakeup=false).
 * @return 1 notified, 0 just posted, -EINVAL bad vector.
 */
int irqpost_pi_post(struct irqpost_pi_vcpu *v, uint8_t vector);

/**
 * Sync PIR into the vCPU's virtual IRR and take the IRR (the guest handles them).
 * @param out  OR-ed with the delivered vectors (may be NULL)
 * @return number of vectors delivered.
 */
int irqpost_pi_vcpu_deliver(struct irqpost_pi_vcpu *v, uint64_t out[4]);

/** @return the vCPU's scheduling state (RUNNING after load, READY/HALTED after put). */
enum irqpost_vcpu_state irqpost_pi_vcpu_get_state(const struct irqpost_pi_vcpu *v);
/** @return current pCPU (-1 if never loaded). */
int irqpost_pi_vcpu_pcpu(const struct irqpost_pi_vcpu *v);
/** @return the vCPU's descriptor (read it with irqpost_pi_desc_control()). */
struct irqpost_pi_desc *irqpost_pi_vcpu_pi_desc(struct irqpost_pi_vcpu *v);
/** @return true if the vCPU is on a pCPU wakeup list. */
bool irqpost_pi_vcpu_on_wakeup_list(const struct irqpost_pi_vcpu *v);

/* ======================================================================
 * vCPU model: vector-level access for tests and benchmarks (vcpu.c)
 * ====================================================================== */

/**
 * irqpost_vcpu_halt() that also reports which vectors were delivered.
 * @param vectors  OR-ed with the delivered vectors, bit v of word v/64 (may be NULL)
 */
int irqpost_vcpu_halt_vectors(struct irqpost_vcpu *v, uint64_t timeout_ns, uint64_t vectors[4]);

/**
 * A RUNNING guest takes pending interrupts without halting (POSTED: the PIR the
 * hardware would process on notification; REMAPPED: injected IRR bits).
 * @return number of vectors delivered (0 if none).
 */
int irqpost_vcpu_poll(struct irqpost_vcpu *v, uint64_t vectors[4]);

/** @return "posted" or "remapped". */
const char *irqpost_delivery_name(enum irqpost_delivery d);

/* ======================================================================
 * Detection in two steps (detect.c): gather the facts, then the per-vendor verdict
 * ====================================================================== */

/**
 * Gather the facts irqpost_detect() judges: the kernel command line, the kvm_intel /
 * kvm_amd parameters and every IOMMU unit's registers.  @p d is zeroed first; the
 * verdict fields (available, reason) are left empty.
 * @param why  on a unit that cannot be parsed, the message naming its file
 * @return 0, -ENAMETOOLONG (root prefix too long: no facts), or the first unit's
 *         read/parse error (the other units are still read).
 */
int irqpost_detect_facts(const char *root, struct irqpost_detect *d, char *why, size_t whylen);

/* ======================================================================
 * File helpers shared by the library's sources (util.c)
 * ====================================================================== */

/* Join root prefix and absolute path ("/sys/...") into buf. -ENAMETOOLONG if too long. */
int irqpost__path(char *buf, size_t len, const char *root, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Read a whole (small or large) file into a malloc'ed NUL-terminated buffer.
 * Returns bytes read or -errno. *out is NULL on error. */
long irqpost__read_file(const char *path, char **out);

/* Read at most len-1 bytes of a small file into buf (NUL-terminated). -errno on error. */
int irqpost__read_small(const char *path, char *buf, size_t len);

/* snprintf into err if non-NULL; returns ret unchanged (for "return seterr(-E, ...)"). */
int irqpost__err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#ifdef __cplusplus
}
#endif

#endif /* IRQPOST_INTERNAL_H */
