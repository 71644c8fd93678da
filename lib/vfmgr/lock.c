/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-PF and per-VF mutexes for the daemon, keyed by "<pf>" / "<pf>/<index>". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfmgr_priv.h"

struct vfmgr_lock_ent {
	struct vfmgr_lock_ent *next;
	char key[VFMGR_BDF_LEN + 12];
	pthread_mutex_t mu;
};

static pthread_mutex_t *lookup(struct vfmgr_ctx *ctx, const char *key, bool create)
{
	struct vfmgr_lock_ent *e;

	pthread_mutex_lock(&ctx->locks_mu);
	for (e = ctx->locks; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (!e && create) {
		e = calloc(1, sizeof(*e));
		if (e) {
			snprintf(e->key, sizeof(e->key), "%s", key);
			pthread_mutex_init(&e->mu, NULL);
			e->next = ctx->locks;
			ctx->locks = e;
		}
	}
	pthread_mutex_unlock(&ctx->locks_mu);
	return e ? &e->mu : NULL;
}

static int lock_key(struct vfmgr_ctx *ctx, const char *key)
{
	pthread_mutex_t *mu = lookup(ctx, key, true);

	if (!mu)
		return vfmgr_set_error(ENOMEM, "out of memory creating lock %s", key);
	pthread_mutex_lock(mu);
	return 0;
}

static void unlock_key(struct vfmgr_ctx *ctx, const char *key)
{
	pthread_mutex_t *mu = lookup(ctx, key, false);

	if (mu)
		pthread_mutex_unlock(mu);
}

int vfmgr_lock_pf(struct vfmgr_ctx *ctx, const char *pf_bdf)
{
	return lock_key(ctx, pf_bdf);
}

void vfmgr_unlock_pf(struct vfmgr_ctx *ctx, const char *pf_bdf)
{
	unlock_key(ctx, pf_bdf);
}

int vfmgr_lock_vf(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index)
{
	char k[VFMGR_BDF_LEN + 12];

	snprintf(k, sizeof(k), "%s/%u", pf_bdf, index);
	return lock_key(ctx, k);
}

void vfmgr_unlock_vf(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index)
{
	char k[VFMGR_BDF_LEN + 12];

	snprintf(k, sizeof(k), "%s/%u", pf_bdf, index);
	unlock_key(ctx, k);
}

void vfmgr_lock_table_free(struct vfmgr_ctx *ctx)
{
	struct vfmgr_lock_ent *e = ctx->locks, *n;

	for (; e; e = n) {
		n = e->next;
		pthread_mutex_destroy(&e->mu);
		free(e);
	}
	ctx->locks = NULL;
}
