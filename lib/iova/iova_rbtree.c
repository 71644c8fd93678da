/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file iova_rbtree.c
 * Red-black tree with parent links and NULL leaves (Cormen et al., "Introduction
 * to Algorithms", ch. 13), intrusive like Linux lib/rbtree.c: the caller embeds a
 * struct iova_rb_node, finds the insertion link itself (it owns the key) and calls
 * iova_rb_insert() to link and rebalance. No locking: the caller serialises.
 */
#include <stdbool.h>
#include <stddef.h>

#include "iova_rbtree.h"

static void rb_rotate_left(struct iova_rb_root *root, struct iova_rb_node *x)
{
	struct iova_rb_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->parent = x->parent;
	if (!x->parent)
		root->node = y;
	else if (x == x->parent->left)
		x->parent->left = y;
	else
		x->parent->right = y;
	y->left = x;
	x->parent = y;
}

static void rb_rotate_right(struct iova_rb_root *root, struct iova_rb_node *x)
{
	struct iova_rb_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->parent = x->parent;
	if (!x->parent)
		root->node = y;
	else if (x == x->parent->right)
		x->parent->right = y;
	else
		x->parent->left = y;
	y->right = x;
	x->parent = y;
}

void iova_rb_insert(struct iova_rb_root *root, struct iova_rb_node *z, struct iova_rb_node *parent,
		    struct iova_rb_node **link)
{
	z->parent = parent;
	z->left = z->right = NULL;
	z->red = 1;
	*link = z;

	while (z->parent && z->parent->red) {
		struct iova_rb_node *p = z->parent, *g = p->parent, *u;

		if (p == g->left) {
			u = g->right;
			if (u && u->red) {
				p->red = 0;
				u->red = 0;
				g->red = 1;
				z = g;
			} else {
				if (z == p->right) {
					z = p;
					rb_rotate_left(root, z);
					p = z->parent;
				}
				p->red = 0;
				g->red = 1;
				rb_rotate_right(root, g);
			}
		} else {
			u = g->left;
			if (u && u->red) {
				p->red = 0;
				u->red = 0;
				g->red = 1;
				z = g;
			} else {
				if (z == p->left) {
					z = p;
					rb_rotate_right(root, z);
					p = z->parent;
				}
				p->red = 0;
				g->red = 1;
				rb_rotate_left(root, g);
			}
		}
	}
	root->node->red = 0;
}

static void rb_transplant(struct iova_rb_root *root, struct iova_rb_node *u, struct iova_rb_node *v)
{
	if (!u->parent)
		root->node = v;
	else if (u == u->parent->left)
		u->parent->left = v;
	else
		u->parent->right = v;
	if (v)
		v->parent = u->parent;
}

static inline bool rb_is_black(const struct iova_rb_node *n)
{
	return !n || !n->red;
}

void iova_rb_erase(struct iova_rb_root *root, struct iova_rb_node *z)
{
	struct iova_rb_node *y = z, *x, *xp;
	bool y_black = !y->red;

	if (!z->left) {
		x = z->right;
		xp = z->parent;
		rb_transplant(root, z, z->right);
	} else if (!z->right) {
		x = z->left;
		xp = z->parent;
		rb_transplant(root, z, z->left);
	} else {
		y = z->right;
		while (y->left)
			y = y->left;
		y_black = !y->red;
		x = y->right;
		if (y->parent == z) {
			xp = y;
		} else {
			xp = y->parent;
			rb_transplant(root, y, y->right);
			y->right = z->right;
			y->right->parent = y;
		}
		rb_transplant(root, z, y);
		y->left = z->left;
		y->left->parent = y;
		y->red = z->red;
	}
	if (!y_black)
		return;

	while (x != root->node && rb_is_black(x)) {
		struct iova_rb_node *w;

		if (x == xp->left) {
			w = xp->right;
			if (w->red) {
				w->red = 0;
				xp->red = 1;
				rb_rotate_left(root, xp);
				w = xp->right;
			}
			if (rb_is_black(w->left) && rb_is_black(w->right)) {
				w->red = 1;
				x = xp;
				xp = x->parent;
			} else {
				if (rb_is_black(w->right)) {
					w->left->red = 0;
					w->red = 1;
					rb_rotate_right(root, w);
					w = xp->right;
				}
				w->red = xp->red;
				xp->red = 0;
				if (w->right)
					w->right->red = 0;
				rb_rotate_left(root, xp);
				x = root->node;
			}
		} else {
			w = xp->left;
			if (w->red) {
				w->red = 0;
				xp->red = 1;
				rb_rotate_right(root, xp);
				w = xp->left;
			}
			if (rb_is_black(w->left) && rb_is_black(w->right)) {
				w->red = 1;
				x = xp;
				xp = x->parent;
			} else {
				if (rb_is_black(w->left)) {
					w->right->red = 0;
					w->red = 1;
					rb_rotate_left(root, w);
					w = xp->left;
				}
				w->red = xp->red;
				xp->red = 0;
				if (w->left)
					w->left->red = 0;
				rb_rotate_right(root, xp);
				x = root->node;
			}
		}
	}
	if (x)
		x->red = 0;
}

struct iova_rb_node *iova_rb_prev(struct iova_rb_node *n)
{
	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return n;
	}
	while (n->parent && n == n->parent->left)
		n = n->parent;
	return n->parent;
}

struct iova_rb_node *iova_rb_next(struct iova_rb_node *n)
{
	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return n;
	}
	while (n->parent && n == n->parent->right)
		n = n->parent;
	return n->parent;
}
