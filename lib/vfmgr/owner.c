/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VF ownership state: <state>/owners.json = {"<pf>/<index>": "<domain>"},
 * rewritten atomically (temp, fsync, rename, fsync dir) under an flock on
 * <state>/owners.lock, so concurrent CLI and daemon never lose an update.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "vfmgr_priv.h"

static int lock_state(const struct vfmgr_ctx *ctx, int op)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/owners.lock", ctx->state_dir);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return vfmgr_set_error(errno, "cannot open %s: %s; check the state directory", p,
				       strerror(errno));
	while (flock(fd, op) < 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return vfmgr_set_error(e, "cannot lock %s: %s", p, strerror(e));
		}
	}
	return fd;
}

static int load(const struct vfmgr_ctx *ctx, json_t **out)
{
	char p[PATH_MAX];
	json_error_t je;
	json_t *j;

	snprintf(p, sizeof(p), "%s/owners.json", ctx->state_dir);
	if (access(p, F_OK) < 0) {
		*out = json_object();
		return *out ? 0 : -ENOMEM;
	}
	j = json_load_file(p, 0, &je);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return vfmgr_set_error(
			EBADMSG,
			"ownership file %s is corrupt (line %d: %s); restore it from the journal or "
			"remove it and re-run 'vfmgr check'",
			p, je.line, je.text);
	}
	*out = j;
	return 0;
}

static int save(const struct vfmgr_ctx *ctx, json_t *j)
{
	char p[PATH_MAX], *s;
	int r;

	snprintf(p, sizeof(p), "%s/owners.json", ctx->state_dir);
	s = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(1));
	if (!s)
		return vfmgr_set_error(ENOMEM, "out of memory writing %s", p);
	r = vfmgr_write_atomic(p, s, strlen(s));
	free(s);
	if (r < 0)
		return vfmgr_set_error(-r, "cannot write %s: %s", p, strerror(-r));
	return 0;
}

static void key_of(char *k, size_t n, const char *pf, unsigned int index)
{
	snprintf(k, n, "%s/%u", pf, index);
}

int vfmgr_owner_get(const struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index, char *dom,
		    size_t len)
{
	char k[64];
	json_t *j, *v;
	int fd, r;

	if (dom && len)
		dom[0] = '\0';
	fd = lock_state(ctx, LOCK_SH);
	if (fd < 0)
		return fd;
	r = load(ctx, &j);
	close(fd);
	if (r < 0)
		return r;
	key_of(k, sizeof(k), pf_bdf, index);
	v = json_object_get(j, k);
	r = json_is_string(v) ? 1 : 0;
	if (r && dom && len)
		snprintf(dom, len, "%s", json_string_value(v));
	json_decref(j);
	return r;
}

/*
 * Set (set) or clear the owner of (pf_bdf, index) under the process mutex and the state
 * directory's flock: load, check, change, save. Setting a VF owned by another domain is
 * -EBUSY; clearing one owned by another domain than dom (dom NULL: any) is -EPERM.
 */
static int owner_change(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index,
			const char *dom, bool set)
{
	char k[64];
	json_t *j, *v;
	const char *cur;
	int fd, r;

	pthread_mutex_lock(&ctx->owner_mu);
	fd = lock_state(ctx, LOCK_EX);
	if (fd < 0) {
		pthread_mutex_unlock(&ctx->owner_mu);
		return fd;
	}
	r = load(ctx, &j);
	if (r == 0) {
		key_of(k, sizeof(k), pf_bdf, index);
		v = json_object_get(j, k);
		cur = json_is_string(v) ? json_string_value(v) : NULL;
		if (set && cur && strcmp(cur, dom))
			r = vfmgr_set_error(EBUSY,
					    "VF %s vf %u is owned by domain %s; release it first",
					    pf_bdf, index, cur);
		else if (!set && cur && dom && strcmp(cur, dom))
			r = vfmgr_set_error(
				EPERM, "VF %s vf %u is owned by domain %s, not %s; not releasing",
				pf_bdf, index, cur, dom);
		else if (set && !v) {
			json_object_set_new(j, k, json_string(dom));
			r = save(ctx, j);
		} else if (!set && v) {
			json_object_del(j, k);
			r = save(ctx, j);
		}
		json_decref(j);
	}
	close(fd);
	pthread_mutex_unlock(&ctx->owner_mu);
	return r;
}

int vfmgr_owner_set(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index, const char *dom)
{
	return owner_change(ctx, pf_bdf, index, dom, true);
}

int vfmgr_owner_clear(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index,
		      const char *dom)
{
	return owner_change(ctx, pf_bdf, index, dom, false);
}

int vfmgr_owner_list(const struct vfmgr_ctx *ctx, json_t **out)
{
	int fd = lock_state(ctx, LOCK_SH), r;

	if (fd < 0)
		return fd;
	r = load(ctx, out);
	close(fd);
	return r;
}
