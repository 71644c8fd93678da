/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file irqpost.h
 * lib/irqpost: posted interrupts for assigned SR-IOV VFs.  This header holds what the
 * applications (app/appliance, irqpost-probe) and lib/vfmgr use:
 *
 *  1. Detection (detect.c, facts in detect_facts.c): can this host post device
 *     interrupts straight into a running vCPU?  Intel VT-d CAP.PI + ECAP.IR per DMAR
 *     unit, kvm_intel enable_apicv / enable_device_posted_irqs; AMD IOMMU GASup + kvm_amd avic.
 *  2. Steering (steer.c): pin a VF's MSI-X host IRQs to the vCPU's pCPUs through
 *     /proc/irq/N/smp_affinity_list, verify.
 *  3. An interrupt-driven-receive vCPU model for benchmarks (vcpu.c).
 *
 * The /proc/interrupts evidence parser (procirq.c), the Posted-Interrupt Descriptor
 * (struct irqpost_pi_desc, Linux's struct pi_desc) with KVM's per-vCPU PI state machine
 * (pi_desc.c), the sysfs parsers and the saved-steering accessors are in the @internal
 * header irqpost_internal.h (the library's own files and its tests).  README.md says
 * what is executed and what is modeled, the invariants and the lock order.
 *
 * Conventions:
 *  - Functions return 0 (or a count >= 0) on success and a negative errno on failure.
 *  - Every function that reads the host takes a @p root prefix: NULL, "" or "/" is
 *    the real host; tests pass a fixture directory holding sys/ and proc/ trees.
 *  - Functions taking (char *err, size_t errlen) write a one-line message naming the
 *    file / IRQ / unit and the fix on failure; err may be NULL.
 *  - Times are in nanoseconds (_ns).
 *  - Plain C11 + pthreads, no other dependency (links statically).
 *
 * Sources: Intel VT-d specification rev. 4.1 (sections 5.1.5 / 9.11 / 9.12 / 11.4.2-3),
 * Linux arch/x86/include/asm/posted_intr.h, arch/x86/kvm/vmx/posted_intr.c,
 * drivers/iommu/intel/iommu.h (cap_pi_support bit 59, ecap_ir_support bit 3,
 * ecap_eim_support bit 4), drivers/iommu/amd/amd_iommu_types.h (FEATURE_GA bit 7,
 * FEATURE_GAM_VAPIC bit 21), drivers/iommu/amd/init.c (sysfs cap/features, option
 * amd_iommu_intr=), drivers/vfio/pci/vfio_pci_intrs.c (IRQ name "vfio-msix[N](BDF)"),
 * kernel/irq/proc.c (smp_affinity_list), fs/proc/interrupts.c + arch/x86/kernel/irq.c
 * (/proc/interrupts format).
 */
#ifndef IRQPOST_H
#define IRQPOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * 1. Detection (detect.c)
 * ====================================================================== */

#define IRQPOST_MAX_UNITS 32 /**< IOMMU units recorded; more are counted but not stored */
#define IRQPOST_REASON_LEN 256

enum irqpost_vendor {
	IRQPOST_VENDOR_NONE = 0,
	IRQPOST_VENDOR_INTEL, /**< /sys/class/iommu/dmar* (intel-iommu/) */
	IRQPOST_VENDOR_AMD, /**< /sys/class/iommu/ivhd* (amd-iommu/) */
};

/** A yes/no fact that may also be unknown (file absent or unreadable). */
enum irqpost_tri {
	IRQPOST_UNKNOWN = -1,
	IRQPOST_NO = 0,
	IRQPOST_YES = 1,
};

/** Facts about one IOMMU unit. */
struct irqpost_unit {
	char name[32]; /**< "dmar0", "ivhd1" */
	enum irqpost_vendor vendor;
	bool regs_valid; /**< cap (and ecap / features) were read and parsed */
	uint64_t cap; /**< Intel: CAP register; AMD: PCI capability header (32 bit) */
	uint64_t ecap; /**< Intel: ECAP register; AMD: extended feature register EFR */
	uint64_t efr2; /**< AMD: EFR2 when the kernel prints "a:b", else 0 */
	bool pi; /**< Intel CAP.PI / AMD EFR.GASup */
	bool ir; /**< Intel ECAP.IR; AMD: true (remapping is part of the IOMMU) */
	bool x2apic; /**< Intel ECAP.EIM / AMD EFR.XTSup */
};

/** kvm_intel / kvm_amd module parameters and kernel command line hints. */
struct irqpost_host_facts {
	bool kvm_intel_loaded; /**< /sys/module/kvm_intel exists */
	enum irqpost_tri enable_apicv; /**< kvm_intel.enable_apicv */
	enum irqpost_tri
		enable_device_posted_irqs; /**< kvm_intel (Linux >= 6.15), UNKNOWN if absent */
	bool kvm_amd_loaded; /**< /sys/module/kvm_amd exists */
	enum irqpost_tri avic; /**< kvm_amd.avic */
	bool cmdline_read; /**< /proc/cmdline was read */
	bool cmdline_intremap_off; /**< intremap=off */
	bool cmdline_intremap_nopost; /**< intremap=nopost (Intel: IR without posting) */
	bool cmdline_intel_iommu_off; /**< intel_iommu=off */
	bool cmdline_amd_iommu_off; /**< amd_iommu=off */
	int cmdline_amd_iommu_intr; /**< amd_iommu_intr=: 0 absent, 1 legacy, 2 legacy_ga, 3 vapic */
	bool cmdline_apicv_off; /**< kvm_intel.enable_apicv=0|N or kvm_amd.avic=0|N */
};

/** Detection result. */
struct irqpost_detect {
	unsigned n_units; /**< units found (may exceed IRQPOST_MAX_UNITS) */
	struct irqpost_unit units[IRQPOST_MAX_UNITS];
	struct irqpost_host_facts host;
	enum irqpost_vendor vendor; /**< vendor of the units (NONE if no IOMMU) */
	bool available; /**< verdict: device interrupts can be posted */
	char reason[IRQPOST_REASON_LEN]; /**< "available: ..." or "unavailable: ..." */
};

/**
 * Detect posted-interrupt support on the host (or fixture) under @p root.
 *
 * Reads <root>/sys/class/iommu/<unit>/intel-iommu/{cap,ecap} (hex, Linux
 * drivers/iommu/intel/iommu.c prints "%llx"), <root>/sys/class/iommu/<unit>/amd-iommu/
 * {cap,features} (drivers/iommu/amd/init.c: "%x" and "%llx" or "%llx:%llx"),
 * <root>/sys/module/kvm_intel/parameters/{enable_apicv,enable_device_posted_irqs},
 * <root>/sys/module/kvm_amd/parameters/avic and <root>/proc/cmdline.
 *
 * Verdict (first failing rule wins, reason names the unit and register value):
 *  - no units -> "unavailable: no IOMMU (no /sys/class/iommu entries)"
 *  - intremap=off / intel_iommu=off on the cmdline -> unavailable
 *  - Intel: every unit needs ECAP.IR and CAP.PI (Linux enables posting only when all
 *    DMAR units support it: intel/irq_remapping.c), intremap=nopost -> unavailable;
 *    kvm_intel must be loaded with enable_apicv=Y and enable_device_posted_irqs!=N.
 *  - AMD: every unit needs EFR.GASup, amd_iommu_intr must not be legacy/legacy_ga,
 *    kvm_amd must be loaded with avic=Y.
 *
 * @param root  root prefix (NULL, "" or "/" = the real host)
 * @param out   result; always fully written (also on error)
 * @return 0 (the verdict is in @p out), -EINVAL if @p out is NULL.
 */
int irqpost_detect(const char *root, struct irqpost_detect *out);

/** @return the verdict text of @p d ("available: ..." / "unavailable: ..."); never NULL. */
const char *irqpost_verdict_reason(const struct irqpost_detect *d);

/* ======================================================================
 * 2. Steering a VF's MSI-X IRQs (steer.c)
 * ====================================================================== */

/**
 * List the host IRQ numbers of a PCI function's MSI/MSI-X vectors: the entries of
 * <root>/sys/bus/pci/devices/<bdf>/msi_irqs/ (drivers/pci/msi/, one file per IRQ).
 * @param bdf   "0000:03:10.2" (domain optional: "03:10.2" gets "0000:")
 * @param irqs  out array (sorted ascending), @p max entries
 * @return number of IRQs (may be 0 when the driver has not enabled MSI-X yet),
 *         -ENOENT no such device, -EINVAL bad BDF, -ENOSPC more than @p max.
 */
int irqpost_vf_irqs(const char *root, const char *bdf, int *irqs, size_t max, char *err,
		    size_t errlen);

/** Saved smp_affinity_list values of a set of IRQs (opaque). */
struct irqpost_steer;

/**
 * Steer every MSI/MSI-X IRQ of @p bdf to the pCPUs @p cpus (from libvirt
 * vcpupin/emulatorpin): writes <root>/proc/irq/<n>/smp_affinity_list with
 * "a-b,c" text, reads it back and compares as CPU sets (kernel/irq/proc.c).
 * Previous values are saved first; on any failure the IRQs already changed are
 * put back.  Real hosts need root; managed IRQs refuse with EIO.
 * (irqpost_internal.h has irqpost_restore() and the accessors of the saved state.)
 * @param cpus    pCPU numbers (>= 0, < 8192), @p ncpus >= 1
 * @param saved   out: the previous values (NULL if no IRQs were changed); free with
 *                irqpost_steer_free()
 * @return number of IRQs steered, -ENOENT no device, -EACCES/-EPERM/-EIO write
 *         refused, -EREMOTEIO read-back differs (the message shows both values).
 */
int irqpost_steer(const char *root, const char *bdf, const int *cpus, size_t ncpus,
		  struct irqpost_steer **saved, char *err, size_t errlen);

/** Free @p saved without restoring. */
void irqpost_steer_free(struct irqpost_steer *saved);

/* ======================================================================
 * 3. Interrupt-driven receive vCPU model for benchmarks (vcpu.c)
 * ====================================================================== */

enum irqpost_delivery {
	IRQPOST_POSTED = 0, /**< VT-d posted IRTE: pi_desc post, VMM only to wake a halted vCPU */
	IRQPOST_REMAPPED, /**< remapped IRTE: host IRQ -> VMM thread -> injection */
};

/** Counters of one model vCPU (monotonic). */
struct irqpost_vcpu_stats {
	uint64_t interrupts; /**< irqpost_device_interrupt() calls */
	uint64_t posted; /**< interrupts posted into the PI descriptor (POSTED) */
	uint64_t notifications; /**< posts that set ON and sent a notification */
	uint64_t vmm_wakeups; /**< vCPU wakeups done by the VMM (wakeup handler / VMM thread) */
	uint64_t vmm_injections; /**< interrupts injected by the VMM thread (REMAPPED) */
	uint64_t halts; /**< irqpost_vcpu_halt() calls that blocked */
	uint64_t delivered; /**< vectors delivered to the guest (returned by halt/poll) */
};

struct irqpost_vcpu;

/**
 * Create a model vCPU whose guest lcore runs on @p pcpu (0 <= pcpu < 1024; only
 * used as NDST and wakeup-list index, the caller's thread is not pinned).
 * REMAPPED starts one VMM thread per vCPU.
 * @return vCPU or NULL (errno EINVAL / ENOMEM / EAGAIN).
 */
struct irqpost_vcpu *irqpost_vcpu_create(enum irqpost_delivery d, int pcpu);

/**
 * The guest lcore goes idle (HLT).  If an interrupt is already pending it returns at
 * once; otherwise the vCPU becomes HALTED (POSTED: NV=0xf1, on the pCPU wakeup list)
 * and blocks on a futex until woken or @p timeout_ns passes (0 = wait forever), then
 * becomes RUNNING and syncs PIR into IRR (REMAPPED: takes the IRR the VMM injected).
 * Interrupts of one vector that arrive before the guest takes them coalesce into one
 * IRR bit, as on a real APIC.  Call from one thread (the guest lcore) per vCPU.
 * @return number of distinct vectors delivered (>= 1), -ETIMEDOUT, -EINVAL.
 */
int irqpost_vcpu_halt(struct irqpost_vcpu *v, uint64_t timeout_ns);

/**
 * The device raises MSI-X @p vector (16..255) for this vCPU; call from any thread.
 * The model delivers notifications synchronously: with POSTED the wakeup-vector
 * handler (pi_wakeup_handler) runs in the caller's thread, standing in for the IPI
 * to the pCPU in NDST.
 * POSTED: post into the pi_desc; a HALTED vCPU is woken by the wakeup-vector handler
 * (one vmm_wakeup), a RUNNING one needs no VMM at all.  REMAPPED: hand the interrupt
 * to the VMM thread which injects it (one vmm_injection each) and wakes the vCPU.
 * @return 0, -EINVAL bad vector.
 */
int irqpost_device_interrupt(struct irqpost_vcpu *v, uint8_t vector);

/**
 * Address of a POSTED vCPU's posted-interrupt descriptor: what a posted IRTE's PDA
 * names (KVM vmx_pi_update_irte() programs __pa(&vmx->pi_desc); here a process
 * address, 64-byte aligned). @return the address, 0 for a REMAPPED vCPU or NULL.
 */
uint64_t irqpost_vcpu_pi_desc_addr(const struct irqpost_vcpu *v);

/**
 * The IOMMU posts an interrupt through a posted IRTE (VT-d 5.2.3, 9.12): set
 * @p vector's PIR bit in the descriptor at @p pi_desc (from
 * irqpost_vcpu_pi_desc_addr()), set ON unless ON or SN is set, and send the
 * notification (NV, NDST): a RUNNING vCPU takes it with no VMM, a HALTED one (NV =
 * wakeup vector, on the pCPU's wakeup list) is woken by the wakeup handler. Call from
 * any thread (the device's). Counted in that vCPU's stats as irqpost_device_interrupt().
 * @return 0; -EINVAL (vector < 16, or pi_desc is no POSTED vCPU's descriptor).
 */
int irqpost_posted_interrupt(uint64_t pi_desc, uint8_t vector);

/** Snapshot the counters of @p v. */
void irqpost_vcpu_stats(const struct irqpost_vcpu *v, struct irqpost_vcpu_stats *st);

/** Stop the VMM thread (REMAPPED), leave the wakeup list, free. NULL is a no-op. */
void irqpost_vcpu_destroy(struct irqpost_vcpu *v);

#ifdef __cplusplus
}
#endif

#endif /* IRQPOST_H */
