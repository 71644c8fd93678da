/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file pool_extmem.h
 * vfapp --pool-mem extmem: the appliance's mbuf pool in external memory that EAL never
 * maps for the device (rte_extmem_register without an IOVA table).
 */
#ifndef VFAPP_POOL_EXTMEM_H
#define VFAPP_POOL_EXTMEM_H

#include <stdbool.h>
#include <stddef.h>

struct rte_mempool;
struct iova_ctx;
struct vfapp_extmem;

/**
 * Create the iova pool "name" (n mbufs, default data room) in a fresh anonymous area
 * (2 MiB hugepages when the kernel has free ones, else 4 KiB pages) registered with
 * rte_extmem_register(va, len, NULL, 0, pg_sz): DPDK's VFIO code maps nothing of it, so
 * the NIC reaches a buffer only while ctx's strategy maps it. map_whole (strategy off, which
 * hands out buf_iova = VA): map the whole area once at IOVA = VA into DPDK's container
 * (through ctx's backend), the no-protection baseline of the same memory layout.
 * @return the pool, or NULL with a message in err; *mem receives the area (free it with
 *         vfapp_extmem_free() after rte_mempool_free()).
 */
struct rte_mempool *vfapp_extmem_pool_create(const char *name, unsigned int n, unsigned int cache,
					     int socket, struct iova_ctx *ctx, bool map_whole,
					     struct vfapp_extmem **mem, char *err, size_t errlen);
/** Page size of the area (for the JSON record), 0 if none. */
size_t vfapp_extmem_page_size(const struct vfapp_extmem *m);
/** Bytes of the area, 0 if none. */
size_t vfapp_extmem_len(const struct vfapp_extmem *m);
/** Undo vfapp_extmem_pool_create's DMA mapping and registration and unmap the area; NULL ok. */
void vfapp_extmem_free(struct vfapp_extmem *m);

#endif
