/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vfdev.h
 * lib/vfdev: a software SR-IOV virtual function (one RX and one TX queue) whose
 * DMA goes through lib/iova, in two halves that run on different cores:
 *
 *  - the driver half (vfdev_rx_burst(), vfdev_tx_burst()) behaves as DPDK's iavf
 *    PMD does (drivers/net/iavf/iavf_rxtx.c, iavf_rxtx_vec_common.h): descriptor
 *    rings in memory mapped through the DMA API (iova_ctx_map()), a tail register
 *    written once per refill, descriptor-done (DD) write-back polled by software,
 *    RX buffers refilled in bulk rx_free_thresh at a time (iavf_rx_alloc_bufs(),
 *    rte_mempool_get_bulk()) and TX buffers freed in bulk tx_free_thresh at a time
 *    once the descriptor carrying the RS bit reports done (iavf_tx_free_bufs(),
 *    rte_mempool_put_bulk()). Defaults 32 and 32 as iavf's
 *    IAVF_DEFAULT_RX_FREE_THRESH / DEFAULT_TX_FREE_THRESH / DEFAULT_TX_RS_THRESH.
 *  - the device half (vfdev_dev_poll()) is the VF's DMA engine: for every
 *    descriptor it reads the descriptor from ring memory, translates the buffer's
 *    IOVA through the IOMMU (iova_ctx_dma(): soft VT-d IOTLB, on a miss a 4-level
 *    walk of the tables in memory), copies the frame (RX: wire -> buffer,
 *    TX: buffer -> wire) and writes the descriptor back. A DMA fault (unmapped
 *    IOVA, write through a read-only mapping) is recorded by the IOMMU in its fault
 *    log, the access does not happen, the descriptor completes with an error and
 *    the frame is dropped and counted.
 *
 * The wire is a pair of rte_rings of mbufs ("frames on the wire"): the peer is
 * another vfdev (cross the rings) or anything that speaks rte_ring, e.g. an
 * ethdev made with rte_eth_from_rings() for traffic endpoints.
 *
 * Descriptor formats follow the iavf 16-byte layouts (Intel Ethernet Adaptive
 * Virtual Function spec; iavf_rxtx.h / iavf_type.h): RX read format {pkt_addr,
 * hdr_addr}, write-back qword1 status_error_len (DD bit 0, EOP bit 1, error bits
 * 19.., length bits 38..51); TX data descriptor {buffer_addr, cmd_type_offset_bsz}
 * (DTYPE bits 3:0, CMD bits 15:4 with EOP and RS, BUF_SZ bits 47:34; DTYPE 0xF =
 * descriptor done). Bit definitions are in vfdev_priv.h (@internal).
 *
 * Malicious-device mode (vfdev_params.attack): the device remembers the IOVAs of
 * buffers it completed and, after the driver freed them, tries DMA writes of a
 * recognisable pattern to them at a bounded rate, counting attempts, faults,
 * successes, corruptions (the buffer had already been handed to another packet)
 * and the age of each success since the free. See README.md for the oracle.
 *
 * Conventions: lengths in bytes, times in ns unless named _cycles (TSC);
 * functions return >= 0 on success and a negative errno on failure.
 * Threads: the driver half is single-threaded per vfdev (the guest vCPU), the
 * device half single-threaded per vfdev (the device core); they may run
 * concurrently on different cores and meet only in ring memory and registers.
 */
#ifndef VFDEV_H
#define VFDEV_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;
struct iova_ctx;
struct iova_irq;
struct vfdev;

/* MSI-X (PCIe MSI-X table in the VF's BAR): one vector per queue. */
#define VFDEV_MSIX_RX 0 /**< raised when the device completed RX descriptors */
#define VFDEV_MSIX_TX 1 /**< raised when the device completed TX descriptors */
#define VFDEV_MSIX_VECTORS 2

/**
 * A host interrupt of the VF (remapped through a remapped-format IRTE, or passed
 * unremapped by a host without interrupt remapping): the host's handler for it,
 * i.e. VFIO's vfio_msihandler() signalling the VMM's eventfd. Called from the device
 * thread with the IOMMU's decoded result; msix is the VF vector (VFDEV_MSIX_*), or
 * -1 for a message the device forged (attack mode). Posted interrupts never come
 * here: the device posts them into the vCPU's descriptor (lib/irqpost).
 */
typedef void (*vfdev_host_irq_fn)(void *arg, int msix, const struct iova_irq *irq);

/** Interrupt attacks of the malicious-device mode (vfdev_params.attack_irq). */
enum vfdev_irq_attack {
	VFDEV_IRQ_ATK_FORGED_SID = 0, /**< its own message sent with another requester ID */
	VFDEV_IRQ_ATK_OTHER_HANDLE, /**< another device's interrupt handle (attack_irq_victim) */
	VFDEV_IRQ_ATK_OUT_OF_RANGE, /**< a handle beyond any interrupt-remapping table (0xffff) */
	VFDEV_IRQ_ATK_COMPAT, /**< a compatibility-format message (vector 0xec to APIC 0) */
	VFDEV_IRQ_ATK_WRONG_VCPU, /**< its own handle + a subhandle reaching another vCPU's posted IRTE */
	VFDEV_IRQ_ATK__COUNT
};

#define VFDEV_DEFAULT_NB_DESC 512
#define VFDEV_DEFAULT_FREE_THRESH 32 /**< iavf rx_free_thresh / tx_free_thresh default */
#define VFDEV_DEFAULT_ATTACK_PERIOD 32
#define VFDEV_ATTACK_PATTERN 0x4b54415645444656ULL /**< the bytes "VFDEVATK" (little-endian) */

/** Creation parameters. Zero numeric fields take their defaults. */
struct vfdev_params {
	const char *name; /**< for messages */
	uint16_t nb_rx_desc; /**< RX ring size, power of two 64..4096 [512] */
	uint16_t nb_tx_desc; /**< TX ring size, power of two 64..4096 [512] */
	uint16_t rx_free_thresh; /**< RX bulk refill size; divides nb_rx_desc, < nb_rx_desc [32] */
	uint16_t tx_free_thresh; /**< TX bulk free size and RS interval; divides nb_tx_desc [32] */
	struct rte_mempool *pool; /**< RX buffers (an iova_pktmbuf_pool_create() pool maps them) */
	/**
	 * The DMA API and the IOMMU: the driver maps its rings with iova_ctx_map(), the
	 * device translates every access with iova_ctx_dma(). NULL = no IOMMU: a bus
	 * address is the host address (descriptors then hold buffer virtual addresses).
	 */
	struct iova_ctx *ctx;
	struct rte_ring
		*wire_in; /**< frames arriving from the wire (mbufs), single consumer: the device */
	struct rte_ring *wire_out; /**< frames the device transmits, single producer: the device */
	struct rte_mempool *wire_pool; /**< buffers for frames the device puts on the wire */
	uint16_t port_id; /**< written to mbuf->port of received packets */
	bool attack; /**< malicious-device mode */
	unsigned int
		attack_period; /**< attack: at most one attempt per this many descriptors completed [32] */
	/* interrupts (MSI-X through the IOMMU's interrupt remapping: iova_ctx_interrupt()) */
	uint16_t
		rid; /**< the VF's PCI requester ID (bus << 8 | devfn): source-id of its messages */
	vfdev_host_irq_fn
		host_irq; /**< remapped / unremapped interrupts go here (NULL: counted as unhandled) */
	void *host_irq_arg;
	bool attack_irq; /**< malicious-device mode for interrupts: one forged message per attack_period completions */
	uint32_t
		attack_irq_victim; /**< another device's interrupt index (OTHER_HANDLE, WRONG_VCPU targets) */
};

/** Counters. Driver-half fields are written by the driver's thread, device-half by the device's. */
struct vfdev_stats {
	/* driver half */
	uint64_t rx_packets, rx_bytes;
	uint64_t rx_errors; /**< descriptors completed with an error status (frame dropped) */
	uint64_t rx_refills; /**< bulk refills (rx_free_thresh buffers and one tail write each) */
	uint64_t rx_alloc_failed; /**< bulk refills the pool could not serve (retried later) */
	uint64_t tx_packets, tx_bytes;
	uint64_t tx_frees; /**< bulk frees (tx_free_thresh buffers each) */
	uint64_t tx_ring_full; /**< packets tx_burst did not take (no free descriptor) */
	/* device half */
	uint64_t dev_rx_frames; /**< frames written to guest buffers */
	uint64_t dev_tx_frames; /**< frames read from guest buffers and put on the wire */
	uint64_t dev_rx_faults; /**< RX frames dropped: the buffer write faulted */
	uint64_t dev_tx_faults; /**< TX frames dropped: the buffer read faulted */
	uint64_t dev_desc_faults; /**< descriptor fetch or write-back faulted (queue stopped) */
	uint64_t dev_bad_desc; /**< descriptors with an impossible length or type (dropped) */
	uint64_t dev_bad_tail; /**< tail register writes outside the ring (queue stopped) */
	uint64_t
		dev_rx_oversize; /**< frames longer than the RX buffer (dropped, as without scatter) */
	uint64_t dev_translations; /**< iova_ctx_dma() calls made by the device */
	/* malicious-device mode */
	uint64_t
		attack_attempts; /**< stale DMA writes tried (= faults + successes + legit + redirected) */
	uint64_t attack_faults; /**< ... stopped by the IOMMU */
	uint64_t attack_successes; /**< ... that reached the freed buffer's memory */
	uint64_t
		attack_corruptions; /**< successes into a buffer already handed to another packet */
	uint64_t
		attack_legit; /**< the buffer was mapped again at the same IOVA (DMA the device is entitled to) */
	uint64_t
		attack_redirected; /**< the IOVA now maps another buffer (re-used IOVA, mapped for the device) */
	uint64_t
		attack_age_p50_ns; /**< age of a success since the driver freed the buffer: median */
	uint64_t attack_age_max_ns; /**< ... maximum */
	/* interrupts (device half) */
	uint64_t
		msix_raised; /**< MSI-X messages the device sent (both vectors, not counting attacks) */
	uint64_t
		msix_masked; /**< completions with MSI-X disabled or the vector unprogrammed (no message) */
	uint64_t irq_remapped; /**< messages remapped by the IOMMU and handed to host_irq */
	uint64_t irq_posted; /**< messages posted into a vCPU's descriptor (lib/irqpost) */
	uint64_t irq_compat; /**< messages passed unremapped (no IR) and handed to host_irq */
	uint64_t irq_blocked; /**< messages the IOMMU refused (a fault was recorded) */
	uint64_t
		irq_unhandled; /**< messages that had nowhere to go (no host_irq, unknown PI descriptor) */
	/* interrupt attacks, by enum vfdev_irq_attack */
	uint64_t irq_attack_attempts[VFDEV_IRQ_ATK__COUNT];
	uint64_t irq_attack_blocked[VFDEV_IRQ_ATK__COUNT]; /**< refused by the IOMMU */
	uint64_t irq_attack_delivered
		[VFDEV_IRQ_ATK__COUNT]; /**< reached a host handler or a PI descriptor */
};

/**
 * Create a vfdev: allocate and map both descriptor rings through p->ctx (read/write,
 * for the device's lifetime), fill the RX ring with (nb_rx_desc - 1) rounded down to
 * rx_free_thresh buffers in bulk and write the RX tail register.
 * @return the vfdev, or NULL with errno: EINVAL (a parameter; a message on stderr names
 *         it and the fix), ENOMEM, or the error of iova_ctx_map / the pool.
 */
struct vfdev *vfdev_create(const struct vfdev_params *p);

/** Stop both halves, free every mbuf still in the rings and unmap the rings. NULL is a no-op. */
void vfdev_destroy(struct vfdev *d);

/**
 * Driver half: receive up to n packets whose descriptors the device completed (DD set),
 * in ring order; descriptors completed with an error are dropped (rx_errors). Refills
 * in bulk once rx_free_thresh descriptors are held. @return packets stored in pkts.
 */
uint16_t vfdev_rx_burst(struct vfdev *d, struct rte_mbuf **pkts, uint16_t n);

/**
 * Driver half: post up to n single-segment packets on the TX ring (one tail write).
 * First frees completed buffers in bulk when fewer than tx_free_thresh descriptors are
 * free. The ring owns the mbufs it took. @return packets taken (the rest stay the caller's).
 */
uint16_t vfdev_tx_burst(struct vfdev *d, struct rte_mbuf **pkts, uint16_t n);

/**
 * Device half: one bounded round of the DMA engine: up to 32 TX descriptors to the wire,
 * up to 32 frames from the wire into RX descriptors, one attack step when enabled.
 * Call from the device core (not the driver's). @return descriptors completed.
 */
unsigned int vfdev_dev_poll(struct vfdev *d);

/**
 * Program MSI-X table entry vec (VFDEV_MSIX_*) with the message (addr, data) and
 * unmask it, as the host does through the VF's BAR (vfio-pci): a remappable-format
 * message from iova_ir_msi_remappable(), or a compatibility one on a host without IR.
 * addr 0 masks the entry. @return 0, -EINVAL (vec).
 */
int vfdev_msix_set(struct vfdev *d, unsigned int vec, uint64_t addr, uint32_t data);
/**
 * Set where the VF's remapped / unremapped interrupts go (as vfdev_params.host_irq) and
 * the interrupt index its attack mode aims at. Call before vfdev_msix_enable().
 */
void vfdev_set_host_irq(struct vfdev *d, vfdev_host_irq_fn fn, void *arg, uint32_t attack_victim);
/** MSI-X Enable (message control bit 15): the device raises messages on completions. */
void vfdev_msix_enable(struct vfdev *d, bool on);
/** The name of an interrupt attack ("forged_sid", "other_handle", "out_of_range", "compat", "wrong_vcpu"). */
const char *vfdev_irq_attack_name(enum vfdev_irq_attack a);

/** Link state: 1 (the wire is always up). */
int vfdev_link_up(const struct vfdev *d);

/** Snapshot the counters. */
void vfdev_get_stats(const struct vfdev *d, struct vfdev_stats *st);

#ifdef __cplusplus
}
#endif
#endif /* VFDEV_H */
