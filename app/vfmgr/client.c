/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * client.c: run a request through vfmgrd's control socket (protocol in vfmgrd(8)), or
 * locally through lib/vfmgr with --local (journal recovery first, like the daemon).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

void cli_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
	fputc('\n', stdout);
}

const char *cli_str(json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v))
		return json_string_value(v)[0] ? json_string_value(v) : "-";
	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "yes" : "no";
	return "-";
}

const char *cli_owner(json_t *vf, char *buf, size_t len)
{
	const char *owner = json_string_value(json_object_get(vf, "owner"));
	const char *held = json_string_value(json_object_get(vf, "held_by"));

	if (owner && *owner)
		snprintf(buf, len, "%s", owner);
	else if (held && *held)
		snprintf(buf, len, "%s (not assigned by vfmgr)", held);
	else
		snprintf(buf, len, "-");
	return buf;
}

void cli_print_warnings(json_t *res)
{
	const char *w = json_string_value(json_object_get(res, "config_error"));

	if (w)
		fprintf(stderr, "vfmgr: warning: configuration not loaded: %s\n", w);
	w = json_string_value(json_object_get(res, "libvirt_warning"));
	if (w)
		fprintf(stderr, "vfmgr: warning: %s\n", w);
}

/* Progress and log lines of lib/vfmgr on stderr (--local). */
static void log_stderr(int prio, const char *msg, void *user)
{
	if (prio <= VFMGR_LOG_INFO)
		fprintf(stderr, "vfmgr: %s\n", msg);
}

static int call_local(struct cli *c, const char *line, json_t **result, char *msg, size_t msglen)
{
	struct vfmgr_opts o = { .root = c->root, .state_dir = c->state_dir };
	struct vfmgr_conf *conf = NULL;
	struct vfmgr_ctx *ctx = NULL;
	struct vfmgr_request req;
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	struct vfmgr_session s = { 0 };
	char err[256], conf_err[VFMGR_ERRMSG_LEN] = "";
	int rc, code;

	if (vfmgr_proto_decode_request(line, strlen(line), &req, err, sizeof(err)) < 0) {
		snprintf(msg, msglen, "%s", err);
		vfmgr_request_clear(&req);
		return VFMGR_EXIT_USAGE;
	}
	rc = vfmgr_conf_load(c->config, &conf);
	if (rc < 0 && (c->config_given || rc != -ENOENT)) {
		snprintf(msg, msglen, "%s", vfmgr_errmsg());
		/* status shows the host as it is whatever the configuration says; the error
		 * comes with it as a warning. Everything else needs the configuration. */
		if (req.op != VFMGR_OP_STATUS && req.op != VFMGR_OP_LIST) {
			code = VFMGR_EXIT_USAGE;
			goto out;
		}
		snprintf(conf_err, sizeof(conf_err), "%s", msg);
		msg[0] = '\0';
	}
	if (conf && !o.state_dir && conf->state_dir[0])
		o.state_dir = conf->state_dir;
	if (conf)
		o.wait_ms = conf->wait_ms;
	vfmgr_set_log(log_stderr, NULL);
	rc = vfmgr_ctx_new(&o, &ctx);
	if (rc < 0) {
		snprintf(msg, msglen, "%s", vfmgr_errmsg());
		code = VFMGR_EXIT_FAILED;
		goto out;
	}
	if (conf && vfmgr_conf_resolve(ctx, conf) < 0 && !c->json)
		fprintf(stderr, "vfmgr: warning: %s\n", vfmgr_errmsg());
	s = (struct vfmgr_session){ .ctx = ctx, .conf = conf, .uri = c->uri, .virt_mu = &mu };
	if (vfmgr_journal_pending(ctx) > 0) {
		rc = vfmgr_session_recover(&s);
		if (rc < 0)
			fprintf(stderr, "vfmgr: journal recovery incomplete: %s\n", vfmgr_errmsg());
		else if (rc > 0)
			fprintf(stderr,
				"vfmgr: recovered %d interrupted operation(s) from the journal\n",
				rc);
	}
	code = vfmgr_exec(&s, &req, result, msg, msglen);
	if (code == 0 && conf_err[0] && json_is_object(*result))
		json_object_set_new(*result, "config_error", json_string(conf_err));
out:
	vfmgr_request_clear(&req);
	vfmgr_virt_close(s.virt);
	vfmgr_ctx_free(ctx);
	vfmgr_conf_free(conf);
	return code;
}

static int call_daemon(struct cli *c, const char *line, json_t **result, char *msg, size_t msglen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *buf = NULL;
	size_t cap = 0, len = 0;
	int fd, rc, code = VFMGR_EXIT_FAILED;
	int64_t id;

	if (strlen(c->socket) >= sizeof(sa.sun_path)) {
		snprintf(msg, msglen, "socket path '%s' is too long", c->socket);
		return VFMGR_EXIT_USAGE;
	}
	strcpy(sa.sun_path, c->socket);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (e == EACCES || e == EPERM) {
			snprintf(
				msg, msglen,
				"permission denied on %s: run as root or as a member of group vfmgr",
				c->socket);
			return VFMGR_EXIT_DENIED;
		}
		snprintf(msg, msglen,
			 "vfmgrd is not reachable at %s (%s): start it (systemctl start vfmgrd) "
			 "or use --local",
			 c->socket, strerror(e));
		return VFMGR_EXIT_UNREACH;
	}
	for (size_t off = 0, n = strlen(line); off < n;) {
		ssize_t w = send(fd, line + off, n - off, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			/* The daemon may have refused us (SO_PEERCRED) and closed: read why. */
			break;
		}
		off += (size_t)w;
	}
	for (;;) {
		ssize_t r;

		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap ? cap * 2 : 65536);
			if (!nb)
				break;
			buf = nb;
			cap = cap ? cap * 2 : 65536;
		}
		r = recv(fd, buf + len, cap - len - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (memchr(buf + len - r, '\n', (size_t)r) || len > VFMGR_PROTO_MAX_LINE)
			break;
	}
	close(fd);
	if (!buf || len == 0) {
		snprintf(msg, msglen, "vfmgrd closed the connection without answering");
		free(buf);
		return VFMGR_EXIT_UNREACH;
	}
	rc = vfmgr_proto_decode_response(buf, len, &id, result, &code, msg, msglen);
	free(buf);
	if (rc == 1)
		return 0;
	return rc == 0 ? code : VFMGR_EXIT_FAILED;
}

int cli_call(struct cli *c, enum vfmgr_reqop op, json_t *args, json_t **result)
{
	char msg[VFMGR_ERRMSG_LEN + 256] = "";
	char *line = vfmgr_proto_encode_request(1, op, args);
	int code;

	*result = NULL;
	if (!line) {
		fprintf(stderr, "vfmgr %s: out of memory\n", vfmgr_op_name(op));
		return VFMGR_EXIT_FAILED;
	}
	code = c->local ? call_local(c, line, result, msg, sizeof(msg)) :
			  call_daemon(c, line, result, msg, sizeof(msg));
	free(line);
	if (code) {
		fprintf(stderr, "vfmgr %s: %s\n", vfmgr_op_name(op), msg[0] ? msg : "failed");
		if (c->json) {
			/* Scripts reading stdout get the error in the protocol's shape too. */
			json_t *e = json_pack("{s:b, s:{s:i, s:s}}", "ok", 0, "error", "code", code,
					      "message", msg[0] ? msg : "failed");
			if (e)
				cli_print_json(e);
			json_decref(e);
		}
		json_decref(*result);
		*result = NULL;
	}
	return code;
}
