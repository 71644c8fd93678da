/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file pool_need.c
 * The mbufs the ports topology can hold at once (pool_need.h).
 */
#include "pool_need.h"

uint32_t vfapp_pool_need(uint32_t nb_ports, uint32_t nq, uint32_t nb_rxd, uint32_t nb_txd,
			 uint32_t burst, uint32_t cache, uint32_t lcores)
{
	uint64_t rings = (uint64_t)nb_ports * nq * ((uint64_t)nb_rxd + nb_txd);
	/* per lcore: one RX burst being processed plus one TX batch per port */
	uint64_t loops = (uint64_t)lcores * burst * ((uint64_t)nb_ports + 1);
	uint64_t caches = (uint64_t)lcores * (cache + cache / 2);
	uint64_t n = rings + loops + caches;

	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}
