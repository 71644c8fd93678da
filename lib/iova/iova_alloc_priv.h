/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file iova_alloc_priv.h
 * Internals of iova_alloc.c exposed to its tests. Not part of the lib/iova contract.
 */
#ifndef IOVA_ALLOC_PRIV_H
#define IOVA_ALLOC_PRIV_H

#include "iova.h"

/** Magazines currently in the depot of size class order (2^order pages). */
unsigned int iova_alloc_depot_size(struct iova_allocator *a, unsigned int order);

#endif /* IOVA_ALLOC_PRIV_H */
