/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vfdev_priv.h
 * @internal lib/vfdev internals for the library's own files, its tests and its fuzzer:
 * descriptor bit layouts, the register block, the vfdev structure and the buffer-life
 * oracle of the malicious-device mode. Not for applications (they use vfdev.h).
 *
 * Descriptor layouts are those of the iavf 16-byte descriptors (DPDK
 * drivers/net/iavf/iavf_rxtx.h, base/iavf_type.h):
 *  - RX read format: qw0 = packet buffer address (IOVA), qw1 = header buffer address (0).
 *    Write-back: qw1 = status_error_len: DD bit 0, EOP bit 1, error field from bit 19
 *    (IAVF_RX_DESC_ERROR_SHIFT), packet length bits 51:38 (IAVF_RXD_QW1_LENGTH_PBUF_SHIFT).
 *  - TX data descriptor: qw0 = buffer address, qw1 = cmd_type_offset_bsz: DTYPE 3:0
 *    (0 data, 0xF = IAVF_TX_DESC_DTYPE_DESC_DONE written back by hardware), CMD 15:4
 *    (EOP 0x1, RS 0x2), BUF_SZ 47:34. Hardware writes DESC_DONE back only into
 *    descriptors with RS set (iavf sets RS every tx_rs_thresh descriptors).
 * Modeled, not in the iavf spec: a DMA fault completes an RX descriptor with error bit
 * VFDEV_RXD_ERR_DMA and a TX descriptor with DESC_DONE plus VFDEV_TXD_WB_ERR (bits
 * 63:48, where iavf keeps L2TAG1 in the read format), whether or not RS was set.
 *
 * Lock order / threads: none inside a vfdev. The driver half (rx_burst/tx_burst, one
 * thread) owns rx_sw/tx_sw and the driver fields; the device half (dev_poll, one thread)
 * owns the dev_* fields. They meet in ring memory (descriptor qw1 written with release,
 * read with acquire) and the registers (tail: release by the driver, acquire by the
 * device). The oracle (vfdev_life.c) is global, lock-free.
 */
#ifndef VFDEV_PRIV_H
#define VFDEV_PRIV_H

#include <stdalign.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "vfdev.h"

#define VFDEV_RXD_DD (1ULL << 0)
#define VFDEV_RXD_EOP (1ULL << 1)
#define VFDEV_RXD_ERR_SHIFT 19
#define VFDEV_RXD_ERR_DMA (1ULL << VFDEV_RXD_ERR_SHIFT) /**< modeled: buffer DMA faulted */
#define VFDEV_RXD_ERR_OVERSIZE \
	(1ULL << (VFDEV_RXD_ERR_SHIFT + 1)) /**< frame longer than the buffer */
#define VFDEV_RXD_LEN_SHIFT 38
#define VFDEV_RXD_LEN_MASK 0x3FFFULL

#define VFDEV_TXD_DTYPE_MASK 0xFULL
#define VFDEV_TXD_DTYPE_DATA 0x0ULL
#define VFDEV_TXD_DTYPE_DONE 0xFULL
#define VFDEV_TXD_CMD_SHIFT 4
#define VFDEV_TXD_CMD_EOP (0x1ULL << VFDEV_TXD_CMD_SHIFT)
#define VFDEV_TXD_CMD_RS (0x2ULL << VFDEV_TXD_CMD_SHIFT)
#define VFDEV_TXD_BSZ_SHIFT 34
#define VFDEV_TXD_BSZ_MASK 0x3FFFULL
#define VFDEV_TXD_WB_ERR (1ULL << 48) /**< modeled: the frame was dropped (fault, bad descriptor) */

#define VFDEV_MAX_FRAME 9728 /**< largest frame the device moves (jumbo) */
#define VFDEV_DEV_BURST 32 /**< descriptors per direction per vfdev_dev_poll() */
#define VFDEV_ATTACK_HIST 8192 /**< completed buffers the attacker remembers */
#define VFDEV_ATTACK_AGES 4096 /**< success ages kept for the median */
#define VFDEV_ATTACK_GIVEUP_NS 1000000000ULL /**< forget a buffer not freed within 1 s */

/** One 16-byte descriptor (both rings). */
struct vfdev_desc {
	uint64_t qw0;
	uint64_t qw1;
};

/** The VF's register block (BAR): tails written by the driver, heads by the device. */
struct vfdev_regs {
	alignas(64)
		uint32_t rx_tail; /**< QRX_TAIL: one past the last descriptor given to the device */
	alignas(64) uint32_t tx_tail; /**< QTX_TAIL */
	alignas(64) uint32_t rx_head; /**< device's next RX descriptor (read-only for the driver) */
	uint32_t tx_head; /**< device's next TX descriptor */
};

/** What the attacker remembers about one completed buffer (+ oracle fields). */
struct vfdev_attack_rec {
	uint64_t iova; /**< the descriptor's buffer address (what the device saw) */
	uintptr_t host; /**< where that address translated at completion */
	uint64_t tsc; /**< completion time */
	/* oracle: ground truth about the buffer, never used to choose addresses */
	struct rte_mbuf *m;
	uint64_t epoch; /**< the buffer's life at completion (odd: in use) */
	uint64_t buf_bus; /**< the buffer's bus address (mapping) at completion */
};

struct vfdev {
	struct vfdev_params p;
	char name[32];
	struct vfdev_regs regs;
	uint16_t rx_mask, tx_mask;
	uint32_t rx_buf_len; /**< queue context: bytes the device may write per RX buffer */
	/* ring memory, mapped through p.ctx */
	struct vfdev_desc *rx_ring, *tx_ring;
	uint64_t rx_ring_iova, tx_ring_iova;
	size_t rx_ring_len, tx_ring_len;

	/* ---- driver half ---- */
	struct rte_mbuf **rx_sw, **tx_sw;
	uint16_t rx_next; /**< next RX descriptor to check for DD */
	uint16_t rx_tail; /**< shadow of regs.rx_tail */
	uint16_t tx_tail; /**< shadow of regs.tx_tail */
	uint16_t tx_next_dd; /**< RS descriptor whose DD frees the next tx_free_thresh */
	uint16_t tx_nb_free;
	struct vfdev_stats drv;

	/* ---- device half ---- */
	alignas(64) uint16_t dev_rx_head, dev_tx_head;
	bool dev_rx_stopped, dev_tx_stopped;
	uint64_t tsc_hz;
	struct vfdev_stats dev;
	/* malicious-device mode */
	struct vfdev_attack_rec *hist;
	unsigned int hist_head, hist_count;
	unsigned int attack_credit;
	uint64_t *ages; /**< success ages in TSC cycles, ring of VFDEV_ATTACK_AGES */
	unsigned int nb_ages;
	uint8_t bounce[VFDEV_MAX_FRAME]; /**< linearizes a multi-segment wire frame */
	/* MSI-X table and Enable bit (written by the host, read by the device) */
	struct {
		uint64_t addr;
		uint32_t data;
	} msix[VFDEV_MSIX_VECTORS];
	bool msix_on;
	unsigned int irq_attack_credit, irq_attack_next;
};

/* ---- vfdev_drv.c (driver half) ---- */
/** Bus address of m's buffer start for the device: its IOVA, or its VA without an IOMMU. */
static inline uint64_t vfdev_buf_bus(const struct vfdev *d, const struct rte_mbuf *m)
{
	return d->p.ctx ? m->buf_iova : (uint64_t)(uintptr_t)m->buf_addr;
}
/** Fill the RX ring in bulk and write the tail (creation). @return 0 or -ENOMEM. */
int vfdev_drv_start(struct vfdev *d);
/** Free every mbuf the rings still own (destruction; device stopped). */
void vfdev_drv_release(struct vfdev *d);

/* ---- vfdev_life.c: the buffer-life oracle of the attack mode ----
 * A 16-byte mbuf dynamic field "vfdev_buf_life": epoch (odd = handed to a packet by a
 * driver, even = freed by a driver) and the TSC of the last free. Drivers bracket every
 * refill and free with vfdev_life_busy_begin/end so the attacker can tell a consistent
 * snapshot (no driver between its two looks) from a racing one. */
int vfdev_life_register(void);
void vfdev_life_busy_begin(void);
void vfdev_life_busy_end(void);
/** Mark m in use (odd epoch, different from any earlier life). */
void vfdev_life_alloc(struct rte_mbuf *m);
/** Mark m in use if it is not (a packet allocated outside a vfdev driver). */
void vfdev_life_use(struct rte_mbuf *m);
/** Mark m freed now (after the mempool put returned, i.e. after the unmap). */
void vfdev_life_free(struct rte_mbuf *m, uint64_t tsc);
uint64_t vfdev_life_epoch(const struct rte_mbuf *m);
uint64_t vfdev_life_free_tsc(const struct rte_mbuf *m);
/** Snapshot of the driver activity: 0 when a driver is inside a refill/free, else a generation. */
uint64_t vfdev_life_snapshot(void);

/* ---- vfdev_msix.c (device half: interrupts) ---- */
/** Raise MSI-X vector vec (completions happened). Device thread. */
void vfdev_msix_raise(struct vfdev *d, unsigned int vec);
/** One interrupt attack step (attack_irq), called per completed descriptors n. Device thread. */
void vfdev_irq_attack(struct vfdev *d, unsigned int n);

/* ---- vfdev_dev.c (device half) ---- */
/** One attack step (called by vfdev_dev_poll when credit allows). @return 1 if attempted. */
int vfdev_dev_attack_step(struct vfdev *d);
/** Median age (ns) of the attack's recorded successes; 0 with none (vfdev_get_stats). */
uint64_t vfdev_dev_age_p50_ns(const struct vfdev *d);

#endif /* VFDEV_PRIV_H */
