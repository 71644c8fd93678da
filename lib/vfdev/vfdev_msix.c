/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vfdev_msix.c
 * The VF's interrupts: an MSI-X table of VFDEV_MSIX_VECTORS entries (PCIe 6.8.2,
 * programmed by the host through the BAR, as vfio-pci does) and the device raising
 * a message when it completed descriptors. Every message is an MSI write that goes
 * through the IOMMU's interrupt remapping (iova_ctx_interrupt(): lib/iova decodes and
 * never delivers); the device then hands the decoded result on:
 *  - remapped (or unremapped, on a host without IR): to the host's interrupt handler
 *    (vfdev_params.host_irq: VFIO's vfio_msihandler -> eventfd -> the VMM injects);
 *  - posted: into the vCPU's posted-interrupt descriptor named by the IRTE (lib/irqpost:
 *    PIR bit, ON, notification or wake-up per the vCPU's state, as VT-d and KVM do);
 *  - blocked: the IOMMU recorded a fault; nothing is delivered.
 *
 * Malicious-device mode for interrupts (attack_irq): one forged message per
 * attack_period completed descriptors, cycling through the attacks of enum
 * vfdev_irq_attack, each counted as attempted, blocked (refused by the IOMMU) or
 * delivered (reached a host handler or a PI descriptor).
 *
 * Threads: vfdev_msix_set()/vfdev_msix_enable() from the host's thread (program
 * while the vector is masked or MSI-X is disabled: the address is published with a
 * release store after the data); everything else from the device thread.
 */
#include <errno.h>

#include "iova.h"
#include "irqpost.h"
#include "vfdev_priv.h"

static const char *const irq_attack_names[VFDEV_IRQ_ATK__COUNT] = {
	[VFDEV_IRQ_ATK_FORGED_SID] = "forged_sid",
	[VFDEV_IRQ_ATK_OTHER_HANDLE] = "other_handle",
	[VFDEV_IRQ_ATK_OUT_OF_RANGE] = "out_of_range",
	[VFDEV_IRQ_ATK_COMPAT] = "compat",
	[VFDEV_IRQ_ATK_WRONG_VCPU] = "wrong_vcpu",
};

const char *vfdev_irq_attack_name(enum vfdev_irq_attack a)
{
	return (unsigned int)a < VFDEV_IRQ_ATK__COUNT ? irq_attack_names[a] : "invalid";
}

int vfdev_msix_set(struct vfdev *d, unsigned int vec, uint64_t addr, uint32_t data)
{
	if (!d || vec >= VFDEV_MSIX_VECTORS)
		return -EINVAL;
	__atomic_store_n(&d->msix[vec].addr, 0, __ATOMIC_RELEASE); /* mask */
	__atomic_store_n(&d->msix[vec].data, data, __ATOMIC_RELAXED);
	__atomic_store_n(&d->msix[vec].addr, addr, __ATOMIC_RELEASE);
	return 0;
}

void vfdev_set_host_irq(struct vfdev *d, vfdev_host_irq_fn fn, void *arg, uint32_t attack_victim)
{
	if (!d)
		return;
	d->p.host_irq = fn;
	d->p.host_irq_arg = arg;
	d->p.attack_irq_victim = attack_victim;
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

void vfdev_msix_enable(struct vfdev *d, bool on)
{
	if (d)
		__atomic_store_n(&d->msix_on, on, __ATOMIC_RELEASE);
}

/**
 * Send one MSI write from requester rid through the IOMMU and hand the result on.
 * @return 1 delivered (host handler or PI descriptor), 0 blocked, -1 nowhere to go.
 */
static int send_msi(struct vfdev *d, uint16_t rid, uint64_t addr, uint32_t data, int msix)
{
	struct iova_irq irq;
	int rc = iova_ctx_interrupt(d->p.ctx, rid, addr, data, &irq);

	if (rc == -EFAULT) {
		d->dev.irq_blocked++;
		return 0;
	}
	if (rc < 0) {
		d->dev.irq_unhandled++;
		return -1;
	}
	if (irq.kind == IOVA_IRQ_POSTED) {
		if (irqpost_posted_interrupt(irq.pi_desc, irq.vector) < 0) {
			d->dev.irq_unhandled++;
			return -1;
		}
		d->dev.irq_posted++;
		return 1;
	}
	if (!d->p.host_irq) {
		d->dev.irq_unhandled++;
		return -1;
	}
	if (irq.kind == IOVA_IRQ_REMAPPED)
		d->dev.irq_remapped++;
	else
		d->dev.irq_compat++;
	d->p.host_irq(d->p.host_irq_arg, msix, &irq);
	return 1;
}

void vfdev_msix_raise(struct vfdev *d, unsigned int vec)
{
	uint64_t addr;
	uint32_t data;

	addr = __atomic_load_n(&d->msix[vec].addr, __ATOMIC_ACQUIRE);
	if (!__atomic_load_n(&d->msix_on, __ATOMIC_ACQUIRE) || !addr) {
		d->dev.msix_masked++;
		return;
	}
	data = __atomic_load_n(&d->msix[vec].data, __ATOMIC_RELAXED);
	d->dev.msix_raised++;
	send_msi(d, d->p.rid, addr, data, (int)vec);
}

void vfdev_irq_attack(struct vfdev *d, unsigned int n)
{
	enum vfdev_irq_attack a;
	uint64_t own_addr, addr;
	uint32_t own_data, data;
	uint16_t rid = d->p.rid;
	int r;

	d->irq_attack_credit += n;
	if (d->irq_attack_credit < d->p.attack_period)
		return;
	d->irq_attack_credit -= d->p.attack_period;
	if (d->irq_attack_credit > 64 * d->p.attack_period)
		d->irq_attack_credit = 64 * d->p.attack_period;
	own_addr = __atomic_load_n(&d->msix[VFDEV_MSIX_RX].addr, __ATOMIC_ACQUIRE);
	own_data = __atomic_load_n(&d->msix[VFDEV_MSIX_RX].data, __ATOMIC_RELAXED);
	if (!own_addr)
		return; /* no message to forge from yet */
	a = (enum vfdev_irq_attack)(d->irq_attack_next++ % VFDEV_IRQ_ATK__COUNT);
	addr = own_addr;
	data = own_data;
	switch (a) {
	case VFDEV_IRQ_ATK_FORGED_SID:
		rid = (uint16_t)(d->p.rid ^ 0x0100); /* another bus: another device's ID */
		break;
	case VFDEV_IRQ_ATK_OTHER_HANDLE:
		/* remappable format naming the victim's entry directly (SHV = 0) */
		addr = 0xfee00010ULL | ((uint64_t)(d->p.attack_irq_victim & 0x7fff) << 5) |
		       ((uint64_t)((d->p.attack_irq_victim >> 15) & 1) << 2);
		data = 0;
		break;
	case VFDEV_IRQ_ATK_OUT_OF_RANGE:
		addr = 0xfee00010ULL | (0x7fffULL << 5) | (1ULL << 2); /* handle 0xffff */
		data = 0;
		break;
	case VFDEV_IRQ_ATK_COMPAT:
		iova_ir_msi_compat(0, 0xec, &addr, &data);
		break;
	case VFDEV_IRQ_ATK_WRONG_VCPU:
		/* keep its own handle, set SHV and a subhandle that lands on the victim's IRTE */
		if (own_addr & 0x10) {
			uint32_t own_index = (uint32_t)(((own_addr >> 5) & 0x7fff) |
							(((own_addr >> 2) & 1) << 15));

			addr = own_addr | 0x8;
			data = (d->p.attack_irq_victim - own_index) & 0xffff;
		} else {
			iova_ir_msi_compat(1, 0xed, &addr, &data); /* no IR: aim at another APIC */
		}
		break;
	default:
		return;
	}
	d->dev.irq_attack_attempts[a]++;
	r = send_msi(d, rid, addr, data, -1);
	if (r == 0)
		d->dev.irq_attack_blocked[a]++;
	else if (r == 1)
		d->dev.irq_attack_delivered[a]++;
}
