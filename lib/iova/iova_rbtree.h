/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file iova_rbtree.h
 * @internal
 * Intrusive red-black tree used by the IOVA allocator (iova_alloc.c), in the
 * style of Linux include/linux/rbtree.h: embed a struct iova_rb_node, walk to the
 * insertion link with your own key comparison, then call iova_rb_insert().
 * Not part of the lib/iova contract (iova.h). No locking: callers serialise.
 */
#ifndef IOVA_RBTREE_H
#define IOVA_RBTREE_H

#include <stdint.h>

struct iova_rb_node {
	struct iova_rb_node *parent, *left, *right;
	uint8_t red;
};

struct iova_rb_root {
	struct iova_rb_node *node; /**< NULL when empty */
};

#define iova_rb_entry(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - __builtin_offsetof(type, member)))

/**
 * Link z at *link (a NULL child pointer of parent, or &root->node when parent is
 * NULL) and restore the red-black properties (Linux rb_link_node() +
 * rb_insert_color()).
 */
void iova_rb_insert(struct iova_rb_root *root, struct iova_rb_node *z, struct iova_rb_node *parent,
		    struct iova_rb_node **link);
/** Unlink z and rebalance (Linux rb_erase()). z's fields are undefined afterwards. */
void iova_rb_erase(struct iova_rb_root *root, struct iova_rb_node *z);
/** In-order predecessor / successor, or NULL (Linux rb_prev() / rb_next()). */
struct iova_rb_node *iova_rb_prev(struct iova_rb_node *n);
struct iova_rb_node *iova_rb_next(struct iova_rb_node *n);

#endif /* IOVA_RBTREE_H */
