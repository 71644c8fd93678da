/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Journal and ownership: atomic files and modes, generic begin/step/commit,
 * recovery with per-type handlers, and crash points: a child applies with
 * VFMGR_CRASHPOINT=k for every step k, gets SIGKILLed, and the parent's
 * recovery must leave every PF either as before or as configured, never half.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "fixture.h"

static const char conf_text[] = "[pf \"0000:3b:00.0\"]\nnumvfs = 3\n"
				"[pf \"0000:86:00.0\"]\nnumvfs = 2\n";

/* Children report through a pipe, not their exit status: under valgrind a child's
 * exit status is valgrind's (--error-exitcode) when it finds the parent's heap unreferenced. */
static pid_t child_start(int fds[2])
{
	if (pipe(fds) < 0)
		return -1;
	return fork();
}

static void child_report(int fds[2], int r)
{
	if (write(fds[1], &r, sizeof(r)) < 0)
		_exit(2);
	_exit(0);
}

/* Result written by the child, or -1000 - signal if it died before reporting. */
static int child_wait(pid_t pid, int fds[2])
{
	int r = 0, st;
	ssize_t n;

	close(fds[1]);
	n = read(fds[0], &r, sizeof(r));
	close(fds[0]);
	waitpid(pid, &st, 0);
	if (n != (ssize_t)sizeof(r))
		return WIFSIGNALED(st) ? -1000 - WTERMSIG(st) : -999;
	return r;
}

static int mode_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static void test_owner(void **state)
{
	struct fx *f = fx_new(NULL, false);
	char dom[64], p[PATH_MAX];
	json_t *all;

	(void)state;
	assert_non_null(f);
	assert_int_equal(mode_of(f->state), 0700);
	assert_int_equal(vfmgr_owner_get(f->ctx, "0000:3b:00.0", 0, dom, sizeof(dom)), 0);
	assert_string_equal(dom, "");
	assert_int_equal(vfmgr_owner_set(f->ctx, "0000:3b:00.0", 0, "web1"), 0);
	assert_int_equal(vfmgr_owner_set(f->ctx, "0000:3b:00.0", 0, "web1"), 0); /* idempotent */
	assert_int_equal(vfmgr_owner_set(f->ctx, "0000:3b:00.0", 0, "web2"),
			 -EBUSY); /* never owned twice */
	assert_string_equal(vfmgr_errmsg(),
			    "VF 0000:3b:00.0 vf 0 is owned by domain web1; release it first");
	assert_int_equal(vfmgr_owner_get(f->ctx, "0000:3b:00.0", 0, dom, sizeof(dom)), 1);
	assert_string_equal(dom, "web1");
	assert_int_equal(vfmgr_owner_clear(f->ctx, "0000:3b:00.0", 0, "web2"), -EPERM);
	snprintf(p, sizeof(p), "%s/owners.json", f->state);
	assert_int_equal(mode_of(p), 0600);
	assert_int_equal(vfmgr_owner_list(f->ctx, &all), 0);
	assert_string_equal(json_string_value(json_object_get(all, "0000:3b:00.0/0")), "web1");
	json_decref(all);
	assert_int_equal(vfmgr_owner_clear(f->ctx, "0000:3b:00.0", 0, "web1"), 0);
	assert_int_equal(vfmgr_owner_get(f->ctx, "0000:3b:00.0", 0, NULL, 0), 0);
	/* two processes race for one VF, 20 rounds: exactly one owner each time */
	for (int round = 0; round < 20; round++) {
		pid_t pids[2];
		int fds[2][2], wins = 0;
		for (int k = 0; k < 2; k++) {
			pids[k] = child_start(fds[k]);
			if (pids[k] == 0) {
				char d[16];
				snprintf(d, sizeof(d), "dom%d", k);
				child_report(fds[k], vfmgr_owner_set(f->ctx, "0000:86:00.0", 3, d));
			}
		}
		for (int k = 0; k < 2; k++)
			wins += child_wait(pids[k], fds[k]) == 0;
		assert_int_equal(wins, 1);
		assert_int_equal(vfmgr_owner_get(f->ctx, "0000:86:00.0", 3, dom, sizeof(dom)), 1);
		assert_true(!strcmp(dom, "dom0") || !strcmp(dom, "dom1"));
		assert_int_equal(vfmgr_owner_clear(f->ctx, "0000:86:00.0", 3, dom), 0);
	}
	/* corrupt state file: refused with the file named, not silently reset */
	fx_run("echo '{broken' > '%s'", p);
	assert_int_equal(vfmgr_owner_get(f->ctx, "0000:3b:00.0", 0, NULL, 0), -EBADMSG);
	assert_non_null(strstr(vfmgr_errmsg(), "ownership file"));
	assert_non_null(strstr(vfmgr_errmsg(), "is corrupt"));
	fx_free(f);
}

struct seen {
	int calls;
	size_t steps;
	char last[64];
	char key[64];
	int ret;
};

static int on_assign(struct vfmgr_ctx *ctx, const json_t *intent, const json_t *steps, void *user)
{
	struct seen *s = user;

	(void)ctx;
	s->calls++;
	s->steps = json_array_size(steps);
	snprintf(s->last, sizeof(s->last), "%s",
		 s->steps ? json_string_value(
				    json_object_get(json_array_get(steps, s->steps - 1), "name")) :
			    "");
	snprintf(s->key, sizeof(s->key), "%s", json_string_value(json_object_get(intent, "vf")));
	return s->ret;
}

static void test_generic(void **state)
{
	struct fx *f = fx_new(NULL, false);
	struct vfmgr_txn *t;
	char p[PATH_MAX];
	int st;

	(void)state;
	assert_non_null(f);
	assert_int_equal(
		vfmgr_journal_begin(f->ctx, "assign", "0000:3b:00.0/1",
				    json_pack("{s:s, s:s}", "vf", "0000:3b:00.0/1", "domain", "d"),
				    &t),
		0);
	assert_int_equal(vfmgr_journal_pending(f->ctx), 1);
	assert_string_equal(json_string_value(json_object_get(vfmgr_txn_intent(t), "domain")), "d");
	assert_int_equal(vfmgr_journal_step(t, "owner", json_pack("{s:s}", "prev", "")), 0);
	snprintf(p, sizeof(p), "%s/journal", f->state);
	assert_int_equal(mode_of(p), 0700);
	assert_int_equal(vfmgr_journal_commit(t), 0);
	assert_int_equal(vfmgr_journal_pending(f->ctx), 0);
	assert_int_equal(vfmgr_journal_begin(f->ctx, "assign", "k", json_object(), &t), 0);
	assert_int_equal(vfmgr_journal_abort(t), 0);
	assert_int_equal(vfmgr_journal_pending(f->ctx), 0);

	/* a child dies at its 3rd step record: steps 1-2 are on disk */
	pid_t pid = fork();
	if (pid == 0) {
		setenv("VFMGR_CRASHPOINT", "3", 1);
		struct vfmgr_txn *c;
		if (vfmgr_journal_begin(f->ctx, "assign", "0000:3b:00.0/1",
					json_pack("{s:s}", "vf", "0000:3b:00.0/1"), &c) < 0)
			_exit(2);
		vfmgr_journal_step(c, "owner", NULL);
		vfmgr_journal_step(c, "libvirt-attach", NULL);
		vfmgr_journal_step(c, "verify", NULL); /* killed before this record */
		_exit(3);
	}
	waitpid(pid, &st, 0);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	assert_int_equal(vfmgr_journal_pending(f->ctx), 1);

	/* no handler for the type: kept, reported */
	assert_true(vfmgr_journal_recover(f->ctx, NULL, 0) == -EOPNOTSUPP);
	assert_non_null(strstr(vfmgr_errmsg(), "no recovery handler for operation type 'assign'"));
	assert_int_equal(vfmgr_journal_pending(f->ctx), 1);
	/* handler fails: kept */
	struct seen s = { .ret = -EIO };
	struct vfmgr_recover_handler h = { "assign", on_assign, &s };
	vfmgr_set_error(EIO, "libvirt unreachable");
	assert_int_equal(vfmgr_journal_recover(f->ctx, &h, 1), -EIO);
	assert_int_equal(vfmgr_journal_pending(f->ctx), 1);
	/* handler reconciles: removed */
	s.ret = 0;
	assert_int_equal(vfmgr_journal_recover(f->ctx, &h, 1), 1);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.steps, 2);
	assert_string_equal(s.last, "libvirt-attach");
	assert_string_equal(s.key, "0000:3b:00.0/1");
	assert_int_equal(vfmgr_journal_pending(f->ctx), 0);

	/* leftovers of an interrupted atomic rewrite are removed */
	fx_run("echo partial > '%s/journal/1-x.json.tmp.99'", f->state);
	assert_int_equal(vfmgr_journal_recover(f->ctx, &h, 1), 0);
	snprintf(p, sizeof(p), "%s/journal/1-x.json.tmp.99", f->state);
	assert_int_equal(access(p, F_OK), -1);

	/* unreadable journal file: kept and named */
	fx_run("echo garbage > '%s/journal/0-bad.json'", f->state);
	assert_int_equal(vfmgr_journal_recover(f->ctx, &h, 1), -EBADMSG);
	assert_non_null(strstr(vfmgr_errmsg(), "0-bad.json is unreadable"));
	fx_free(f);
}

/* State check: each PF is either untouched (0 VFs, autoprobe 1) or as configured (all VFs on vfio-pci). */
static void assert_pf_whole(struct fx *f, const char *pf, unsigned want, bool *done)
{
	char p[128], vf[VFMGR_BDF_LEN];
	const char *nv;

	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/sriov_numvfs", pf);
	nv = fx_read(f, p);
	assert_non_null(nv);
	unsigned n = (unsigned)atoi(nv);
	if (n == 0) {
		*done = false;
		assert_int_equal(vfmgr_sriov_vf_bdf(f->ctx, pf, 0, vf), -ENOENT);
		return;
	}
	*done = true;
	assert_int_equal(n, want);
	for (unsigned i = 0; i < want; i++) {
		assert_int_equal(vfmgr_sriov_vf_bdf(f->ctx, pf, i, vf), 0);
		if (strcmp(fx_driver(f, vf), "vfio-pci"))
			fail_msg("PF %s VF %u (%s) on '%s' after recovery", pf, i, vf,
				 fx_driver(f, vf));
	}
	assert_int_equal(vfmgr_sriov_vf_bdf(f->ctx, pf, want, vf), -ENOENT);
}

static void test_crash_every_step(void **state)
{
	char cnt[PATH_MAX];
	struct fx *f;
	int st, total;
	pid_t pid;

	(void)state;
	/* 1. how many steps does the whole apply take? */
	f = fx_new(NULL, false);
	assert_non_null(f);
	snprintf(cnt, sizeof(cnt), "%s/count", f->dir);
	int fds[2];
	pid = child_start(fds);
	if (pid == 0) {
		struct vfmgr_conf *c = fx_conf(conf_text);
		setenv("VFMGR_CRASHPOINT_COUNT", cnt, 1);
		child_report(fds, c ? vfmgr_apply(f->ctx, c, 0) : -EINVAL);
	}
	assert_int_equal(child_wait(pid, fds), 0);
	FILE *fp = fopen(cnt, "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%d", &total), 1);
	fclose(fp);
	fx_free(f);
	/* autoprobe + numvfs + 3 binds + commit, autoprobe + numvfs + 2 binds + commit */
	assert_int_equal(total, 5 + 1 + 4 + 1);

	/* 2. crash before each step, recover, check, re-apply */
	for (int k = 1; k <= total; k++) {
		bool a_done, b_done;

		f = fx_new(NULL, false);
		assert_non_null(f);
		pid = fork();
		if (pid == 0) {
			struct vfmgr_conf *c = fx_conf(conf_text);
			char v[16];
			snprintf(v, sizeof(v), "%d", k);
			setenv("VFMGR_CRASHPOINT", v, 1);
			_exit(c && vfmgr_apply(f->ctx, c, 0) == 0 ? 0 : 1);
		}
		waitpid(pid, &st, 0);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
			fail_msg("crash point %d: child not killed (status %d)", k, st);
		assert_int_equal(vfmgr_journal_pending(f->ctx), 1);
		int r = vfmgr_journal_recover(f->ctx, &vfmgr_apply_recover_handler, 1);
		if (r != 1)
			fail_msg("crash point %d: recover returned %d: %s", k, r, vfmgr_errmsg());
		assert_int_equal(vfmgr_journal_pending(f->ctx), 0);
		assert_pf_whole(f, "0000:3b:00.0", 3, &a_done);
		assert_pf_whole(f, "0000:86:00.0", 2, &b_done);
		assert_true(a_done); /* the interrupted PF is finished (roll forward) */
		if (k <= 6)
			assert_false(b_done); /* the second PF had not started */
		/* the daemon then re-applies the configuration: converges */
		struct vfmgr_conf *c = fx_conf(conf_text);
		assert_int_equal(vfmgr_apply(f->ctx, c, 0), 0);
		vfmgr_conf_free(c);
		assert_pf_whole(f, "0000:3b:00.0", 3, &a_done);
		assert_pf_whole(f, "0000:86:00.0", 2, &b_done);
		assert_true(a_done && b_done);
		fx_free(f);
	}
}

static void test_recover_rolls_back_when_forward_fails(void **state)
{
	struct fx *f = fx_new(NULL, false);
	int st;

	(void)state;
	assert_non_null(f);
	pid_t pid = fork();
	if (pid == 0) {
		struct vfmgr_conf *c = fx_conf("[pf \"0000:3b:00.0\"]\nnumvfs = 3\n");
		setenv("VFMGR_CRASHPOINT", "3",
		       1); /* after autoprobe and numvfs, before the first bind */
		_exit(c && vfmgr_apply(f->ctx, c, 0) == 0 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	assert_true(WIFSIGNALED(st));
	assert_string_equal(fx_read(f, "/sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs"), "3");
	/* vfio-pci vanished meanwhile: cannot finish, so back to the previous state */
	fx_run("mv '%s/sys/bus/pci/drivers/vfio-pci' '%s/vfio-off'", f->root, f->dir);
	assert_int_equal(vfmgr_journal_recover(f->ctx, &vfmgr_apply_recover_handler, 1), 1);
	assert_string_equal(fx_read(f, "/sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs"), "0");
	assert_string_equal(fx_read(f, "/sys/bus/pci/devices/0000:3b:00.0/sriov_drivers_autoprobe"),
			    "1");
	assert_int_equal(vfmgr_journal_pending(f->ctx), 0);
	fx_free(f);
}

struct lockarg {
	struct vfmgr_ctx *ctx;
	volatile int got;
};

static void *locker(void *p)
{
	struct lockarg *a = p;

	vfmgr_lock_pf(a->ctx, "0000:3b:00.0");
	a->got = 1;
	vfmgr_unlock_pf(a->ctx, "0000:3b:00.0");
	return NULL;
}

static void test_locks(void **state)
{
	struct fx *f = fx_new(NULL, false);
	struct lockarg a = { f->ctx, 0 };
	pthread_t th;

	(void)state;
	assert_int_equal(vfmgr_lock_pf(f->ctx, "0000:3b:00.0"), 0);
	assert_int_equal(vfmgr_lock_vf(f->ctx, "0000:3b:00.0", 1), 0); /* distinct key */
	assert_int_equal(pthread_create(&th, NULL, locker, &a), 0);
	usleep(50000);
	assert_int_equal(a.got, 0); /* blocked while held */
	vfmgr_unlock_pf(f->ctx, "0000:3b:00.0");
	pthread_join(th, NULL);
	assert_int_equal(a.got, 1);
	vfmgr_unlock_vf(f->ctx, "0000:3b:00.0", 1);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_generic),
		cmocka_unit_test(test_crash_every_step),
		cmocka_unit_test(test_recover_rolls_back_when_forward_fails),
		cmocka_unit_test(test_locks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
