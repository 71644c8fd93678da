/* SPDX-License-Identifier: BSD-3-Clause */
/* Context: root prefix, state directory, small file helpers. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vfmgr_priv.h"

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int vfmgr_ctx_new(const struct vfmgr_opts *opts, struct vfmgr_ctx **out)
{
	struct vfmgr_opts def = { 0 };
	struct vfmgr_ctx *ctx;
	const char *root, *sd;
	size_t n;
	int r;

	if (!opts)
		opts = &def;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return vfmgr_set_error(ENOMEM, "out of memory creating the vfmgr context");
	root = opts->root ? opts->root : "";
	n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		n--;
	if (n >= sizeof(ctx->root)) {
		free(ctx);
		return vfmgr_set_error(ENAMETOOLONG, "root prefix '%s' is too long", root);
	}
	memcpy(ctx->root, root, n);
	ctx->root[n] = '\0';
	sd = opts->state_dir && opts->state_dir[0] ? opts->state_dir : VFMGR_DEFAULT_STATE_DIR;
	if (strlen(sd) >= sizeof(ctx->state_dir) - 64) {
		free(ctx);
		return vfmgr_set_error(ENAMETOOLONG, "state directory '%s' is too long", sd);
	}
	strcpy(ctx->state_dir, sd);
	ctx->wait_ms = opts->wait_ms ? opts->wait_ms : VFMGR_DEFAULT_WAIT_MS;
	ctx->allow_unsafe_noiommu = opts->allow_unsafe_noiommu;
	ctx->on_step = opts->on_step;
	ctx->on_step_user = opts->on_step_user;
	pthread_mutex_init(&ctx->locks_mu, NULL);
	pthread_mutex_init(&ctx->owner_mu, NULL);
	r = mkdir_p(ctx->state_dir, 0700);
	if (r < 0) {
		vfmgr_ctx_free(ctx);
		return vfmgr_set_error(
			-r,
			"cannot create state directory %s: %s; create it (mode 0700) or set state-dir",
			sd, strerror(-r));
	}
	*out = ctx;
	return 0;
}

void vfmgr_lock_table_free(struct vfmgr_ctx *ctx);

void vfmgr_ctx_free(struct vfmgr_ctx *ctx)
{
	if (!ctx)
		return;
	vfmgr_lock_table_free(ctx);
	pthread_mutex_destroy(&ctx->locks_mu);
	pthread_mutex_destroy(&ctx->owner_mu);
	free(ctx);
}

const char *vfmgr_ctx_root(const struct vfmgr_ctx *ctx)
{
	return ctx->root;
}

const char *vfmgr_ctx_state_dir(const struct vfmgr_ctx *ctx)
{
	return ctx->state_dir;
}

int vfmgr_path(const struct vfmgr_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int a, b;

	a = snprintf(buf, len, "%s", ctx->root);
	if (a < 0 || (size_t)a >= len)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	b = vsnprintf(buf + a, len - a, fmt, ap);
	va_end(ap);
	if (b < 0 || (size_t)(a + b) >= len)
		return -ENAMETOOLONG;
	return a + b;
}

int vfmgr_read_file(const struct vfmgr_ctx *ctx, const char *abspath, char *buf, size_t len)
{
	char p[PATH_MAX];
	ssize_t n;
	int fd;

	if (vfmgr_path(ctx, p, sizeof(p), "%s", abspath) < 0)
		return -ENAMETOOLONG;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return (int)n;
}

int vfmgr_read_link_base(const struct vfmgr_ctx *ctx, const char *abspath, char *buf, size_t len)
{
	char p[PATH_MAX], t[PATH_MAX];
	ssize_t n;
	const char *b;

	if (vfmgr_path(ctx, p, sizeof(p), "%s", abspath) < 0)
		return -ENAMETOOLONG;
	n = readlink(p, t, sizeof(t) - 1);
	if (n < 0)
		return -errno;
	t[n] = '\0';
	b = strrchr(t, '/');
	b = b ? b + 1 : t;
	if (strlen(b) >= len)
		return -ENAMETOOLONG;
	strcpy(buf, b);
	return 0;
}

int vfmgr_write_atomic(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd, dfd, e;
	size_t off = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0) {
		e = errno;
		goto fail;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		e = errno;
		unlink(tmp);
		return -e;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	close(fd);
	unlink(tmp);
	return -e;
}

void vfmgr_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

uint64_t vfmgr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
