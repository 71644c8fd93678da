/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c: vfmgrd(8). Start: load the configuration, recover the journal (lib/vfmgr's
 * "apply" + vfmgr-front's libvirt-aware "assign"/"release" handlers), apply the
 * configuration, listen, READY=1. Loop: poll(control socket, signalfd, netlink
 * monitor) with WATCHDOG=1 every WATCHDOG_USEC/2 (sd_watchdog_enabled()), and before every
 * step of an apply (start, SIGHUP), whose waits hold the main loop.
 * SIGHUP: reload (a bad file keeps the old configuration), SIGTERM/SIGINT: clean exit.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "vfmgrd.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vfmgrd [options]\n"
		"SR-IOV VF manager daemon; control socket protocol in vfmgrd(8).\n\n"
		"  --config FILE       configuration (default %s)\n"
		"  --socket PATH       control socket (default /run/vfmgr/vfmgrd.sock)\n"
		"  --socket-mode MODE  socket file mode, octal (default 0660)\n"
		"  --group NAME        group admitted besides root (default vfmgr)\n"
		"  --root DIR          root prefix for /sys, /dev, /proc (tests)\n"
		"  --state-dir DIR     journal and ownership directory\n"
		"  --connect URI       libvirt URI (default qemu:///system)\n"
		"  --no-apply          do not apply the configuration at start/reload\n"
		"  --metrics FILE      Prometheus textfile (default %s;\n"
		"                      none: off; off by default with --root)\n"
		"  --metrics-interval SEC  rewrite it every SEC seconds too (default 15)\n"
		"  -h, --help          this help\n"
		"  -V, --version       version\n",
		VFMGR_DEFAULT_CONF, VFMGR_DEFAULT_METRICS_FILE);
}

static struct vfmgr_conf *load_conf(struct vfmgrd *d, bool at_start)
{
	struct vfmgr_conf *conf = NULL;
	int rc = vfmgr_conf_load(d->config_path, &conf);

	if (rc < 0) {
		vlog(LOG_ERR, NULL, NULL, NULL, "%s%s", vfmgr_errmsg(),
		     at_start ? "" : "; keeping the previous configuration");
		return NULL;
	}
	return conf;
}

static void do_apply(struct vfmgrd *d, const char *why)
{
	struct vfmgr_host *host = NULL;
	struct vfmgr_plan *plan = NULL;
	int rc;

	if (d->no_apply || !d->sess.conf)
		return;
	sd_notifyf(0, "STATUS=applying configuration (%s)", why);
	char warn[VFMGR_ERRMSG_LEN + 128];

	/* what libvirt's domains hold too: a count change must not destroy their VFs */
	rc = vfmgr_session_discover(&d->sess, &host, warn, sizeof(warn));
	if (rc == 0 && warn[0])
		vlog(LOG_WARNING, "apply", NULL, NULL, "%s", warn);
	if (rc == 0)
		rc = vfmgr_plan_build(d->sess.ctx, d->sess.conf, host, 0, &plan);
	if (rc == 0 && plan->n)
		rc = vfmgr_plan_apply(d->sess.ctx, plan, 0);
	vfmgr_metrics_set_apply(d->metrics, rc, rc == 0 && plan ? plan->n : 0);
	if (rc < 0)
		vlog(LOG_ERR, "apply", NULL, NULL, "applying %s failed: %s", d->config_path,
		     vfmgr_errmsg());
	else
		vlog(LOG_INFO, "apply", NULL, NULL, "configuration %s applied (%u step(s))",
		     d->config_path, plan ? plan->n : 0);
	vfmgr_plan_free(plan);
	vfmgr_host_free(host);
}

static void do_recover(struct vfmgrd *d)
{
	int rc;

	/* always: besides the journal, the owner records are reconciled with libvirt */
	sd_notify(0, "STATUS=recovering interrupted operations, reconciling owners with libvirt");
	rc = vfmgr_session_recover(&d->sess);
	vfmgr_metrics_count_recovery(d->metrics, rc);
	if (rc < 0)
		vlog(LOG_ERR, "recover", NULL, NULL,
		     "journal recovery incomplete (will retry on SIGHUP): %s", vfmgr_errmsg());
	else
		vlog(LOG_INFO, "recover", NULL, NULL, "recovered %d interrupted operation(s)", rc);
}

static void reload(struct vfmgrd *d)
{
	struct vfmgr_conf *conf, *old;

	sd_notify(0, "RELOADING=1\nSTATUS=reloading configuration");
	conf = load_conf(d, false);
	if (conf && vfmgr_conf_resolve(d->sess.ctx, conf) < 0)
		vlog(LOG_WARNING, "reload", NULL, NULL, "%s", vfmgr_errmsg());
	if (conf) {
		pthread_rwlock_wrlock(&d->conf_lock);
		old = d->sess.conf;
		d->sess.conf = conf;
		do_recover(d);
		do_apply(d, "SIGHUP");
		pthread_rwlock_unlock(&d->conf_lock);
		vfmgr_conf_free(old);
		vlog(LOG_INFO, "reload", NULL, NULL, "configuration %s reloaded (%u PF(s))",
		     d->config_path, conf->n_pfs);
		if (!d->fleet && conf->placement.url[0])
			fleet_start(d);
		fleet_kick(d);
	}
	vfmgrd_metrics_write(d, "reload");
	sd_notifyf(0, "READY=1\nSTATUS=serving %s (%s)", d->socket_path,
		   conf ? "configuration reloaded" : "reload refused, previous configuration kept");
}

/* Netlink: a PF whose VF attributes differ from the configuration lost them (reset). */
static void on_link(const char *ifname, int ifindex, const struct vfmgr_vf_attrs *attrs,
		    unsigned int n_vfs, void *user)
{
	struct vfmgrd *d = user;
	struct vfmgr_host *host = NULL;
	const struct vfmgr_pf *pf = NULL;

	if (!d->sess.conf || vfmgr_discover(d->sess.ctx, &host) < 0)
		return;
	for (unsigned int i = 0; i < host->n_pfs && !pf; i++)
		if (strcmp(host->pfs[i].netdev, ifname) == 0)
			pf = &host->pfs[i];
	for (unsigned int i = 0; pf && i < d->sess.conf->n_pfs; i++)
		if (strcmp(d->sess.conf->pfs[i].bdf, pf->bdf) == 0)
			vfmgrd_reapply(&d->sess.conf->pfs[i], ifname, attrs, n_vfs,
				       vfmgr_vf_set_attrs);
	vfmgr_host_free(host);
	fleet_kick(d);
}

static long long mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The systemd watchdog (WatchdogSec=): WATCHDOG_USEC from sd_watchdog_enabled(), 0 when off. */
static uint64_t wd_usec;
static uint64_t wd_last_us; /* CLOCK_MONOTONIC of the last WATCHDOG=1; any thread, atomic */

/* WATCHDOG=1 when @p force or when half the watchdog period has passed since the last one. */
static void watchdog_ping(bool force)
{
	struct timespec t;
	uint64_t now;

	if (!wd_usec)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	now = (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000;
	if (!force && now - __atomic_load_n(&wd_last_us, __ATOMIC_RELAXED) < wd_usec / 2)
		return;
	__atomic_store_n(&wd_last_us, now, __ATOMIC_RELAXED);
	sd_notify(0, "WATCHDOG=1");
}

/* lib/vfmgr calls it before every apply, recovery and rollback step (vfmgr_opts.on_step):
 * a long apply at start or on SIGHUP, when the main loop does not poll, feeds the watchdog. */
static void on_step(void *user)
{
	(void)user;
	watchdog_ping(true);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "config", required_argument, NULL, 'c' },
					      { "socket", required_argument, NULL, 'S' },
					      { "socket-mode", required_argument, NULL, 'm' },
					      { "group", required_argument, NULL, 'g' },
					      { "root", required_argument, NULL, 'r' },
					      { "state-dir", required_argument, NULL, 's' },
					      { "connect", required_argument, NULL, 'C' },
					      { "no-apply", no_argument, NULL, 'n' },
					      { "metrics", required_argument, NULL, 'M' },
					      { "metrics-interval", required_argument, NULL, 'I' },
					      { "help", no_argument, NULL, 'h' },
					      { "version", no_argument, NULL, 'V' },
					      { 0 } };
	static struct vfmgrd d = {
		.config_path = VFMGR_DEFAULT_CONF,
		.socket_path = "/run/vfmgr/vfmgrd.sock",
		.group = "vfmgr",
		.socket_mode = 0660,
		.listen_fd = -1,
		.metrics_interval = 15,
		.virt_mu = PTHREAD_MUTEX_INITIALIZER,
		.conf_lock = PTHREAD_RWLOCK_INITIALIZER,
		.clients_mu = PTHREAD_MUTEX_INITIALIZER,
		.clients_cv = PTHREAD_COND_INITIALIZER,
	};
	struct vfmgr_opts o = { 0 };
	struct vfmgr_nl_monitor *mon = NULL;
	sigset_t mask;
	char *end;
	int ch, sfd, rc;

	while ((ch = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'S':
			d.socket_path = optarg;
			break;
		case 'm':
			d.socket_mode = (unsigned int)strtoul(optarg, &end, 8);
			if (*end || d.socket_mode > 0777) {
				fprintf(stderr, "vfmgrd: --socket-mode '%s' is not an octal mode\n",
					optarg);
				return 2;
			}
			break;
		case 'g':
			d.group = optarg;
			break;
		case 'r':
			d.root = optarg;
			break;
		case 's':
			d.state_dir = optarg;
			break;
		case 'C':
			d.uri = optarg;
			break;
		case 'n':
			d.no_apply = true;
			break;
		case 'M':
			d.metrics_path = optarg;
			break;
		case 'I':
			d.metrics_interval = (unsigned int)strtoul(optarg, &end, 10);
			if (*end || !*optarg || d.metrics_interval < 1 ||
			    d.metrics_interval > 86400) {
				fprintf(stderr,
					"vfmgrd: --metrics-interval '%s' is not a number of seconds "
					"in 1..86400\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vfmgrd %s\n", VFMGR_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	vlog_init();
	vfmgr_set_log(vlog_lib, NULL);
	/* With --root the host is a fixture: no default metrics file (it would describe the fixture). */
	if (d.metrics_path ? strcmp(d.metrics_path, "none") != 0 : !d.root) {
		if (vfmgr_metrics_new(d.metrics_path, &d.metrics) < 0) {
			fprintf(stderr, "vfmgrd: %s\n", vfmgr_errmsg());
			return 2;
		}
	}

	d.sess.conf = load_conf(&d, true);
	if (!d.sess.conf) {
		sd_notifyf(0, "STATUS=bad configuration %s\nERRNO=22", d.config_path);
		return 2;
	}
	o.root = d.root;
	o.state_dir = d.state_dir		? d.state_dir :
		      d.sess.conf->state_dir[0] ? d.sess.conf->state_dir :
						  NULL;
	o.wait_ms = d.sess.conf->wait_ms;
	o.on_step = on_step;
	rc = vfmgr_ctx_new(&o, &d.sess.ctx);
	if (rc < 0) {
		vlog(LOG_ERR, NULL, NULL, NULL, "%s", vfmgr_errmsg());
		return 1;
	}
	d.sess.uri = d.uri;
	d.sess.virt_mu = &d.virt_mu;
	/* PFs named by permanent MAC -> PCI address (also with --no-apply: plan/assign need it). */
	if (vfmgr_conf_resolve(d.sess.ctx, d.sess.conf) < 0)
		vlog(LOG_WARNING, NULL, NULL, NULL, "%s", vfmgr_errmsg());

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	if (sd_watchdog_enabled(0, &wd_usec) <= 0)
		wd_usec = 0;
	do_recover(&d);
	do_apply(&d, "start");
	if (server_listen(&d) < 0) {
		sd_notifyf(0, "STATUS=cannot listen on %s", d.socket_path);
		return 1;
	}
	if (fleet_start(&d) < 0)
		vlog(LOG_ERR, "placement", NULL, NULL,
		     "cannot start the Placement publisher thread");
	if (vfmgr_nl_monitor_open(&mon) < 0) {
		vlog(LOG_WARNING, NULL, NULL, NULL,
		     "no netlink monitor (%s): VF attributes will not be "
		     "re-applied after a PF reset",
		     vfmgr_errmsg());
		mon = NULL;
	}
	vfmgrd_metrics_write(&d, "start");
	long long next_metrics = mono_ms() + (long long)d.metrics_interval * 1000;
	sd_notifyf(0, "READY=1\nSTATUS=serving %s, %u PF(s) configured", d.socket_path,
		   d.sess.conf->n_pfs);
	vlog(LOG_INFO, NULL, NULL, NULL, "listening on %s (config %s, libvirt %s)", d.socket_path,
	     d.config_path, d.uri ? d.uri : "qemu:///system");

	while (!d.stopping) {
		struct pollfd p[3] = {
			{ .fd = d.listen_fd, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = mon ? vfmgr_nl_monitor_fd(mon) : -1, .events = POLLIN },
		};
		int timeout = wd_usec ? (int)(wd_usec / 2000) : -1;

		if (d.metrics) {
			long long left = next_metrics - mono_ms();

			if (left <= 0) {
				vfmgrd_metrics_write(&d, "interval");
				next_metrics = mono_ms() + (long long)d.metrics_interval * 1000;
				left = (long long)d.metrics_interval * 1000;
			}
			if (timeout < 0 || left < timeout)
				timeout = (int)left;
		}

		if (poll(p, 3, timeout) < 0 && errno != EINTR)
			break;
		watchdog_ping(false);
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					vlog(LOG_INFO, "reload", NULL, NULL, "SIGHUP: reloading %s",
					     d.config_path);
					reload(&d);
				} else {
					vlog(LOG_INFO, NULL, NULL, NULL, "signal %u: exiting",
					     si.ssi_signo);
					d.stopping = true;
				}
			}
		}
		if (p[0].revents & POLLIN)
			server_accept(&d);
		if (mon && (p[2].revents & POLLIN)) {
			pthread_rwlock_rdlock(&d.conf_lock);
			vfmgr_nl_monitor_dispatch(mon, on_link, &d);
			pthread_rwlock_unlock(&d.conf_lock);
		}
	}
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	close(d.listen_fd);
	unlink(d.socket_path);
	server_drain(&d, 5000);
	fleet_stop(&d);
	vfmgr_nl_monitor_close(mon);
	pthread_mutex_lock(&d.clients_mu);
	bool idle = d.n_clients == 0;
	pthread_mutex_unlock(&d.clients_mu);
	if (idle) {
		vfmgr_metrics_free(d.metrics);
		vfmgr_virt_close(d.sess.virt);
		vfmgr_conf_free(d.sess.conf);
		vfmgr_ctx_free(d.sess.ctx);
	}
	close(sfd);
	return 0;
}
