/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * server.c: the control socket of vfmgrd -- one thread per client connection,
 * newline-delimited JSON (lib/vfmgr/proto.c, vfmgrd(8) PROTOCOL), peers admitted by
 * SO_PEERCRED (uid 0 or a member of group vfmgr). Requests on one PF or VF are
 * serialised by lib/vfmgr's PF/VF locks; the configuration is read-locked per request
 * so a SIGHUP reload never swaps it under a running operation.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "vfmgrd.h"

struct client {
	struct vfmgrd *d;
	int fd;
	struct ucred cred;
};

bool server_peer_allowed(uid_t uid, gid_t gid, const char *group, char *why, size_t len)
{
	struct group grb, *gr = NULL;
	struct passwd pwb, *pw = NULL;
	char buf[16384];
	gid_t groups[256];
	int ng = 256;

	if (uid == 0)
		return true;
	if (getgrnam_r(group, &grb, buf, sizeof(buf), &gr) != 0 || !gr) {
		snprintf(why, len,
			 "permission denied: uid %u is not root and group '%s' does not exist "
			 "(create it: systemd-sysusers, or groupadd %s)",
			 (unsigned int)uid, group, group);
		return false;
	}
	gid_t want = gr->gr_gid;
	if (gid == want)
		return true;
	if (getpwuid_r(uid, &pwb, buf, sizeof(buf), &pw) == 0 && pw &&
	    getgrouplist(pw->pw_name, pw->pw_gid, groups, &ng) >= 0) {
		for (int i = 0; i < ng; i++)
			if (groups[i] == want)
				return true;
	}
	snprintf(why, len,
		 "permission denied: uid %u is neither root nor a member of group '%s' "
		 "(add the user to group %s)",
		 (unsigned int)uid, group, group);
	return false;
}

int server_listen(struct vfmgrd *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct group grb, *gr = NULL;
	char buf[16384];
	struct stat st;
	int fd;

	if (strlen(d->socket_path) >= sizeof(sa.sun_path)) {
		vlog(LOG_ERR, NULL, NULL, NULL, "socket path %s is too long (max %zu bytes)",
		     d->socket_path, sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, d->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A socket file left by a crash: remove it, unless a daemon still answers on it. */
	if (lstat(d->socket_path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(probe);
			close(fd);
			vlog(LOG_ERR, NULL, NULL, NULL,
			     "another vfmgrd is listening on %s; "
			     "stop it or use --socket",
			     d->socket_path);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		unlink(d->socket_path);
	}
	mode_t old = umask(0777 & ~d->socket_mode);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		umask(old);
		close(fd);
		vlog(LOG_ERR, NULL, NULL, NULL, "cannot bind %s: %s", d->socket_path, strerror(e));
		return -e;
	}
	umask(old);
	chmod(d->socket_path, d->socket_mode);
	if (getgrnam_r(d->group, &grb, buf, sizeof(buf), &gr) == 0 && gr) {
		if (chown(d->socket_path, 0, gr->gr_gid) < 0)
			vlog(LOG_WARNING, NULL, NULL, NULL, "cannot give %s to group %s: %s",
			     d->socket_path, d->group, strerror(errno));
	} else {
		vlog(LOG_WARNING, NULL, NULL, NULL,
		     "group '%s' does not exist: only root can use %s", d->group, d->socket_path);
	}
	if (listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	d->listen_fd = fd;
	return 0;
}

static int send_all(int fd, const char *s)
{
	size_t n = strlen(s);

	for (size_t off = 0; off < n;) {
		ssize_t w = send(fd, s + off, n - off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)w;
	}
	return 0;
}

static char *handle_line(struct client *c, const char *line, size_t len)
{
	struct vfmgrd *d = c->d;
	struct vfmgr_request req;
	char err[512], msg[VFMGR_ERRMSG_LEN + 256];
	json_t *result = NULL;
	char *out;
	int rc, code;

	rc = vfmgr_proto_decode_request(line, len, &req, err, sizeof(err));
	if (rc < 0) {
		vlog(LOG_WARNING, NULL, NULL, NULL,
		     "refused malformed request from pid %d uid %u: %s", (int)c->cred.pid,
		     (unsigned int)c->cred.uid, err);
		out = vfmgr_proto_encode_error(req.id, VFMGR_EXIT_USAGE, err);
		vfmgr_request_clear(&req);
		return out;
	}
	pthread_rwlock_rdlock(&d->conf_lock);
	code = vfmgr_exec(&d->sess, &req, &result, msg, sizeof(msg));
	pthread_rwlock_unlock(&d->conf_lock);
	vfmgr_metrics_count_op(d->metrics, req.op, code);
	if (req.op == VFMGR_OP_APPLY || req.op == VFMGR_OP_ASSIGN || req.op == VFMGR_OP_RELEASE)
		vfmgrd_metrics_write(d, vfmgr_op_name(req.op));
	if (code == 0 &&
	    (req.op == VFMGR_OP_ASSIGN || req.op == VFMGR_OP_RELEASE || req.op == VFMGR_OP_APPLY))
		fleet_kick(d);
	if (code == 0 && req.op == VFMGR_OP_STATUS && json_is_object(result))
		json_object_set_new(result, "placement", fleet_status(d));
	if (code == 0) {
		/* assign/release answer which PF, VF and domain they acted on: journal fields */
		const char *rpf = json_string_value(json_object_get(result, "pf"));
		const char *rvf = json_string_value(json_object_get(result, "vf"));
		const char *rdom = json_string_value(json_object_get(result, "domain"));

		vlog_vf(LOG_INFO, vfmgr_op_name(req.op), rpf ? rpf : req.pf, rvf,
			rdom	   ? rdom :
			req.domain ? req.domain :
				     req.target,
			"%s by uid %u: ok%s%s%s", vfmgr_op_name(req.op), (unsigned int)c->cred.uid,
			rvf ? " (VF " : "", rvf ? rvf : "", rvf ? ")" : "");
		out = vfmgr_proto_encode_ok(req.id, result);
	} else {
		vlog(code == VFMGR_EXIT_FAILED ? LOG_ERR : LOG_WARNING, vfmgr_op_name(req.op),
		     req.pf, req.domain ? req.domain : req.target, "%s by uid %u failed: %s",
		     vfmgr_op_name(req.op), (unsigned int)c->cred.uid, msg);
		out = vfmgr_proto_encode_error(req.id, code, msg);
	}
	vfmgr_request_clear(&req);
	return out;
}

static void *client_thread(void *arg)
{
	struct client *c = arg;
	struct vfmgrd *d = c->d;
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);

	while (buf && !d->stopping) {
		char *nl;
		ssize_t r;

		while ((nl = memchr(buf, '\n', len))) {
			size_t ll = (size_t)(nl - buf);
			char *resp = handle_line(c, buf, ll);

			memmove(buf, nl + 1, len - ll - 1);
			len -= ll + 1;
			if (!resp || send_all(c->fd, resp) < 0) {
				free(resp);
				goto out;
			}
			free(resp);
		}
		if (len >= VFMGR_PROTO_MAX_LINE) {
			char *resp = vfmgr_proto_encode_error(-1, VFMGR_EXIT_USAGE,
							      "request line longer than 1 MiB");
			if (resp)
				send_all(c->fd, resp);
			free(resp);
			break;
		}
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		r = recv(c->fd, buf + len, cap - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
out:
	free(buf);
	close(c->fd);
	pthread_mutex_lock(&d->clients_mu);
	d->n_clients--;
	pthread_cond_broadcast(&d->clients_cv);
	pthread_mutex_unlock(&d->clients_mu);
	free(c);
	return NULL;
}

void server_accept(struct vfmgrd *d)
{
	socklen_t sl = sizeof(struct ucred);
	struct client *c;
	pthread_attr_t at;
	pthread_t th;
	char why[256];
	int fd;

	fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->d = d;
	c->fd = fd;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &sl) < 0) {
		vlog(LOG_ERR, NULL, NULL, NULL, "SO_PEERCRED failed: %s", strerror(errno));
		goto refuse_quiet;
	}
	if (!server_peer_allowed(c->cred.uid, c->cred.gid, d->group, why, sizeof(why))) {
		char *resp = vfmgr_proto_encode_error(-1, VFMGR_EXIT_DENIED, why);

		vlog(LOG_WARNING, NULL, NULL, NULL, "refused connection of pid %d: %s",
		     (int)c->cred.pid, why);
		if (resp)
			send_all(fd, resp);
		free(resp);
		goto refuse_quiet;
	}
	pthread_mutex_lock(&d->clients_mu);
	if (d->n_clients >= VFMGRD_MAX_CLIENTS) {
		pthread_mutex_unlock(&d->clients_mu);
		char *resp =
			vfmgr_proto_encode_error(-1, VFMGR_EXIT_BUSY, "too many clients, retry");
		if (resp)
			send_all(fd, resp);
		free(resp);
		goto refuse_quiet;
	}
	d->n_clients++;
	pthread_mutex_unlock(&d->clients_mu);
	/* A client that sends nothing for 10 minutes is dropped. */
	struct timeval tv = { .tv_sec = 600 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &at, client_thread, c) != 0) {
		pthread_mutex_lock(&d->clients_mu);
		d->n_clients--;
		pthread_mutex_unlock(&d->clients_mu);
		pthread_attr_destroy(&at);
		goto refuse_quiet;
	}
	pthread_attr_destroy(&at);
	return;
refuse_quiet:
	close(fd);
	free(c);
}

void server_drain(struct vfmgrd *d, int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->clients_mu);
	while (d->n_clients > 0)
		if (pthread_cond_timedwait(&d->clients_cv, &d->clients_mu, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&d->clients_mu);
}
