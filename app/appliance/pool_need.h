/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file pool_need.h
 * How many mbufs the ports topology's rings and loops can hold at once (pure, no EAL): the
 * smallest --pool-size with which forwarding cannot run the pool dry by design.
 *
 * Every RX descriptor holds a posted buffer, and a TX descriptor keeps the mbuf it sent
 * until the PMD writes that slot again: DPDK 22.11's e1000 em PMD (the e1000e of the QEMU
 * test bed) frees `txe->mbuf` only in eth_em_xmit_pkts() when it reuses the slot
 * (drivers/net/e1000/em_rxtx.c), ixgbe/i40e free in batches of tx_rs_thresh. A TX ring of
 * N descriptors that has wrapped once therefore holds up to N mbufs for as long as nothing
 * more is sent on it. With a smaller pool the RX refill (rte_mbuf_raw_alloc() in the PMD's
 * receive function) fails, the received frame stays in its descriptor, nothing more is sent,
 * so no TX slot is reused and no mbuf comes back: forwarding deadlocks for good (the
 * port's rx_nombuf counts the failed refills).
 */
#ifndef VFAPP_POOL_NEED_H
#define VFAPP_POOL_NEED_H

#include <stdint.h>

/**
 * Mbufs the ports' rings, the forwarding loops' bursts and the mempool caches can hold.
 *
 * @param nb_ports  ports sharing the pool
 * @param nq        queue pairs per port (--fwd-lcores)
 * @param nb_rxd    RX descriptors per queue (as the PMD set them up)
 * @param nb_txd    TX descriptors per queue
 * @param burst     the loop's burst (VFAPP_BURST): per lcore one RX burst and one TX
 *                  batch per port in flight
 * @param cache     --pool-cache: a per-lcore mempool cache holds up to 1.5 x its size
 *                  (DPDK's flush threshold, RTE_MEMPOOL_CACHE_MAX_SIZE multiplier)
 * @param lcores    lcores taking mbufs from the pool (forwarding lcores + the main one)
 * @return the number of mbufs, saturated at UINT32_MAX
 */
uint32_t vfapp_pool_need(uint32_t nb_ports, uint32_t nq, uint32_t nb_rxd, uint32_t nb_txd,
			 uint32_t burst, uint32_t cache, uint32_t lcores);

#endif
