/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal helpers of lib/vfmgr (not installed, not part of the API). */
#ifndef VFMGR_PRIV_H
#define VFMGR_PRIV_H

#include <limits.h>
#include <pthread.h>
#include "vfmgr.h"

struct vfmgr_lock_ent;

struct vfmgr_ctx {
	char root[PATH_MAX];        /* "" for "/" */
	char state_dir[PATH_MAX - 256];
	unsigned wait_ms;
	bool allow_unsafe_noiommu;
	pthread_mutex_t locks_mu;   /* protects the lock table */
	struct vfmgr_lock_ent *locks;
	pthread_mutex_t owner_mu;   /* serialises owners.json read-modify-write in-process */
};

void vfmgr_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read a whole small file under root (abs path) into buf, strip trailing newline. */
int vfmgr_read_file(const struct vfmgr_ctx *ctx, const char *abspath, char *buf, size_t len);
/* basename of a symlink target under root (abs path) into buf. */
int vfmgr_read_link_base(const struct vfmgr_ctx *ctx, const char *abspath, char *buf, size_t len);
/* Atomically replace path (not root-prefixed) with data: temp, fsync, rename, fsync dir; mode 0600. */
int vfmgr_write_atomic(const char *path, const char *data, size_t len);
/* Sleep milliseconds. */
void vfmgr_sleep_ms(unsigned ms);
/* Monotonic time in ms. */
uint64_t vfmgr_now_ms(void);
/* true if root is the real "/". */
static inline bool vfmgr_real_root(const struct vfmgr_ctx *ctx) { return ctx->root[0] == '\0'; }

/* Rollback/apply of one PF from a JSON intent (plan.c), used by journal recovery. */
int vfmgr_apply_recover(struct vfmgr_ctx *ctx, const struct json_t *intent, const struct json_t *steps, void *user);

/* Permanent MAC of a netdev over rtnetlink (IFLA_PERM_ADDRESS). 0 or -errno. */
int vfmgr_nl_perm_addr(const char *ifname, uint8_t mac[6]);

/* Free a transaction but keep its journal file for recovery. */
void vfmgr_journal_forget(struct vfmgr_txn *t);

#endif
