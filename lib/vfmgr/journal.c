/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crash-safe journal of multi-step operations. One JSON file per operation in
 * <state>/journal/, rewritten atomically (temp, fsync, rename, fsync dir)
 * before each step, removed on commit/abort. vfmgr_journal_recover()
 * reconciles what is left after a crash.
 *
 * Crash-point hook for tests: VFMGR_CRASHPOINT=N -> raise(SIGKILL) right
 * before the N-th step record of the process (commit counts as a step);
 * VFMGR_CRASHPOINT_COUNT=<file> receives the running count of steps.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "vfmgr_priv.h"

struct vfmgr_txn {
	struct vfmgr_ctx *ctx;
	char path[PATH_MAX];
	json_t *doc;
};

static atomic_uint step_count;
static atomic_uint txn_seq;

/* Steps are counted per process: a forked child starts again from 0. */
static void reset_count(void)
{
	atomic_store(&step_count, 0);
}

__attribute__((constructor)) static void journal_init(void)
{
	pthread_atfork(NULL, NULL, reset_count);
}

static void crash_point(void)
{
	unsigned int n = atomic_fetch_add(&step_count, 1) + 1;
	const char *cf = getenv("VFMGR_CRASHPOINT_COUNT");
	const char *cp = getenv("VFMGR_CRASHPOINT");

	if (cf && *cf) {
		char b[32];
		int l = snprintf(b, sizeof(b), "%u\n", n);
		int fd = open(cf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0) {
			if (write(fd, b, (size_t)l) < 0)
				vfmgr_log(VFMGR_LOG_WARNING, "cannot write %s", cf);
			close(fd);
		}
	}
	if (cp && *cp && strtoul(cp, NULL, 10) == n) {
		vfmgr_log(VFMGR_LOG_WARNING, "VFMGR_CRASHPOINT=%u reached: SIGKILL", n);
		raise(SIGKILL);
	}
}

static int journal_dir(const struct vfmgr_ctx *ctx, char *buf, size_t len)
{
	snprintf(buf, len, "%s/journal", ctx->state_dir);
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return vfmgr_set_error(errno, "cannot create journal directory %s: %s", buf,
				       strerror(errno));
	return 0;
}

static int txn_write(struct vfmgr_txn *t)
{
	char *s = json_dumps(t->doc, JSON_INDENT(1));
	int r;

	if (!s)
		return vfmgr_set_error(ENOMEM, "out of memory writing journal %s", t->path);
	r = vfmgr_write_atomic(t->path, s, strlen(s));
	free(s);
	if (r < 0)
		return vfmgr_set_error(-r, "cannot write journal %s: %s; check the state directory",
				       t->path, strerror(-r));
	return 0;
}

int vfmgr_journal_begin(struct vfmgr_ctx *ctx, const char *type, const char *key, json_t *intent,
			struct vfmgr_txn **out)
{
	char dir[PATH_MAX], id[96];
	struct timespec ts;
	struct vfmgr_txn *t;
	int r;

	*out = NULL;
	r = journal_dir(ctx, dir, sizeof(dir));
	if (r < 0) {
		json_decref(intent);
		return r;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		json_decref(intent);
		return vfmgr_set_error(ENOMEM, "out of memory");
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(id, sizeof(id), "%lld%09ld-%d-%u", (long long)ts.tv_sec, ts.tv_nsec, (int)getpid(),
		 atomic_fetch_add(&txn_seq, 1));
	snprintf(t->path, sizeof(t->path), "%s/%s.json", dir, id);
	t->ctx = ctx;
	t->doc = json_pack("{s:s, s:s, s:s, s:o, s:[], s:s}", "id", id, "type", type, "key",
			   key ? key : "", "intent", intent ? intent : json_object(), "steps",
			   "state", "running");
	if (!t->doc) {
		free(t);
		return vfmgr_set_error(ENOMEM, "out of memory");
	}
	r = txn_write(t);
	if (r < 0) {
		json_decref(t->doc);
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

int vfmgr_journal_step(struct vfmgr_txn *t, const char *name, json_t *data)
{
	json_t *st;

	crash_point();
	st = json_pack("{s:s, s:o}", "name", name, "data", data ? data : json_null());
	if (!st)
		return vfmgr_set_error(ENOMEM, "out of memory");
	json_array_append_new(json_object_get(t->doc, "steps"), st);
	return txn_write(t);
}

static int txn_end(struct vfmgr_txn *t)
{
	char dir[PATH_MAX];
	int r = 0, fd;

	if (unlink(t->path) < 0 && errno != ENOENT)
		r = vfmgr_set_error(errno, "cannot remove journal %s: %s", t->path,
				    strerror(errno));
	snprintf(dir, sizeof(dir), "%s/journal", t->ctx->state_dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	json_decref(t->doc);
	free(t);
	return r;
}

int vfmgr_journal_commit(struct vfmgr_txn *t)
{
	crash_point();
	return txn_end(t);
}

int vfmgr_journal_abort(struct vfmgr_txn *t)
{
	return txn_end(t);
}

void vfmgr_journal_forget(struct vfmgr_txn *t)
{
	json_decref(t->doc);
	free(t);
}

json_t *vfmgr_txn_intent(const struct vfmgr_txn *t)
{
	return json_object_get(t->doc, "intent");
}

static int is_journal(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

int vfmgr_journal_pending(const struct vfmgr_ctx *ctx)
{
	char dir[PATH_MAX];
	struct dirent **ents;
	int n;

	snprintf(dir, sizeof(dir), "%s/journal", ctx->state_dir);
	n = scandir(dir, &ents, is_journal, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : -errno;
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return n;
}

int vfmgr_journal_recover(struct vfmgr_ctx *ctx, const struct vfmgr_recover_handler *handlers,
			  unsigned int nh)
{
	char dir[PATH_MAX], p[PATH_MAX + 256], first[VFMGR_ERRMSG_LEN] = "";
	struct dirent **ents;
	int n, done = 0, first_err = 0;

	snprintf(dir, sizeof(dir), "%s/journal", ctx->state_dir);
	/* leftovers of an interrupted atomic write are never the truth */
	n = scandir(dir, &ents, is_journal, alphasort); /* alphasort: ids start with the time */
	if (n < 0)
		return errno == ENOENT ?
			       0 :
			       vfmgr_set_error(errno, "cannot read journal directory %s", dir);
	for (int i = 0; i < n; i++) {
		json_error_t je;
		json_t *doc;
		const char *type;
		int r = -ENOENT;

		snprintf(p, sizeof(p), "%s/%s", dir, ents[i]->d_name);
		doc = json_load_file(p, 0, &je);
		type = json_string_value(json_object_get(doc, "type"));
		if (!doc || !type) {
			r = vfmgr_set_error(
				EBADMSG,
				"journal %s is unreadable (%s); inspect and remove it by hand", p,
				je.text);
		} else {
			unsigned int h;
			for (h = 0; h < nh; h++)
				if (handlers[h].type && !strcmp(handlers[h].type, type))
					break;
			if (h < nh)
				r = handlers[h].fn(ctx, json_object_get(doc, "intent"),
						   json_object_get(doc, "steps"), handlers[h].user);
			else
				r = vfmgr_set_error(
					EOPNOTSUPP,
					"journal %s: no recovery handler for operation type '%s'",
					p, type);
		}
		if (r == 0) {
			unlink(p);
			done++;
			vfmgr_log(VFMGR_LOG_INFO, "recovered %s operation from %s",
				  type ? type : "?", p);
		} else if (!first_err) {
			first_err = r;
			snprintf(first, sizeof(first), "%s", vfmgr_errmsg());
		}
		json_decref(doc);
		free(ents[i]);
	}
	free(ents);
	/* temp files of an interrupted rewrite */
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (strstr(e->d_name, ".json.tmp.")) {
				snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
				unlink(p);
			}
		closedir(d);
	}
	if (first_err)
		return vfmgr_set_error(-first_err, "%s", first);
	return done;
}
