/* SPDX-License-Identifier: BSD-3-Clause */
/* Test helpers: build a fakesys fixture in a temp dir and a vfmgr context on it.
 * The fakesys interposer is linked into the test executables (see meson.build),
 * so only VFMGR_FAKE_ROOT needs to be set (setenv updates environ, which the
 * shim reads on every call). */
#ifndef VFMGR_TEST_FIXTURE_H
#define VFMGR_TEST_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfmgr_priv.h"

struct fx {
	char dir[PATH_MAX]; /* temp dir */
	char root[PATH_MAX]; /* dir/root */
	char state[PATH_MAX]; /* dir/state */
	char log[PATH_MAX]; /* dir/fake.log */
	struct vfmgr_ctx *ctx;
};

static inline int fx_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int fx_run(const char *fmt, ...)
{
	char cmd[PATH_MAX * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* opt: NULL, "--no-iommu" or "--noiommu-mode" */
static inline struct fx *fx_new(const char *opt, bool unsafe)
{
	const char *mk = getenv("VFMGR_MKFIXTURE");
	struct vfmgr_opts o = { 0 };
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || !mk)
		return NULL;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vfmgr-test.XXXXXX");
	if (!mkdtemp(f->dir))
		return NULL;
	snprintf(f->root, sizeof(f->root), "%s/root", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/fake.log", f->dir);
	if (fx_run("%s %s %s >/dev/null", mk, f->root, opt ? opt : "") != 0)
		return NULL;
	setenv("VFMGR_FAKE_ROOT", f->root, 1);
	setenv("VFMGR_FAKE_LOG", f->log, 1);
	unsetenv("VFMGR_FAKE_FAULT");
	unsetenv("VFMGR_FAKE_PARTIAL");
	unsetenv("VFMGR_FAKE_PROBE_FAIL");
	unsetenv("VFMGR_FAKE_VF_DELAY_MS");
	o.root = f->root;
	o.state_dir = f->state;
	o.wait_ms = 300;
	o.allow_unsafe_noiommu = unsafe;
	if (vfmgr_ctx_new(&o, &f->ctx) < 0)
		return NULL;
	return f;
}

static inline void fx_free(struct fx *f)
{
	if (!f)
		return;
	vfmgr_ctx_free(f->ctx);
	fx_run("rm -rf '%s'", f->dir);
	unsetenv("VFMGR_FAKE_ROOT");
	free(f);
}

/* Read a fixture file (path relative to root), trailing newline stripped. */
static inline const char *fx_read(struct fx *f, const char *rel)
{
	static char buf[4096];
	char p[PATH_MAX];
	FILE *fp;
	size_t n;

	snprintf(p, sizeof(p), "%s%s", f->root, rel);
	buf[0] = '\0';
	fp = fopen(p, "r");
	if (!fp)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return buf;
}

static inline bool fx_exists(struct fx *f, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", f->root, rel);
	return lstat(p, &st) == 0;
}

/* Driver of a device ("" none). */
static inline const char *fx_driver(struct fx *f, const char *bdf)
{
	static char d[64];

	if (vfmgr_dev_driver(f->ctx, bdf, d, sizeof(d)) < 0)
		return "?";
	return d;
}

/* Whole fake-kernel log. */
static inline const char *fx_log(struct fx *f)
{
	static char buf[65536];
	FILE *fp = fopen(f->log, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (fp) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

static inline void fx_clear_log(struct fx *f)
{
	unlink(f->log);
}

static inline struct vfmgr_conf *fx_conf(const char *text)
{
	struct vfmgr_conf *c = NULL;

	if (vfmgr_conf_parse(text, strlen(text), "test.conf", &c) < 0) {
		fprintf(stderr, "config: %s\n", vfmgr_errmsg());
		return NULL;
	}
	return c;
}

#endif
