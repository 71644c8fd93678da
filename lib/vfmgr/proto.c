/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * proto.c: the vfmgrd control-socket protocol (vfmgr-front).
 *
 * One JSON object per line (newline-delimited JSON, RFC 8259 text without raw newlines):
 *   request:  {"op":"status"|"list"|"plan"|"apply"|"assign"|"release"|"show"|"check",
 *              "args":{...}, "id":N}
 *   response: {"id":N,"ok":true,"result":...}
 *             {"id":N,"ok":false,"error":{"code":C,"message":"..."}}
 * Arguments per op (anything else is refused, so typos do not pass silently):
 *   plan, apply: {"force":bool}                   (optional)
 *   assign:  {"domain":str, "pf":str, "vf":int, "form":"interface"|"hostdev", "force":bool}
 *            (domain required; force: take a VF the host uses / off the NUMA policy)
 *   adopt:   {"domain":str}                       (record the VFs libvirt says it holds)
 *   release: {"target":str}                       (domain name, VF BDF or PF:index)
 *   show:    {"target":str}                       (VF BDF or PF:index)
 *   status, list, check: {} (no arguments)
 * The decoder is the daemon's trust boundary (peers are root or group vfmgr, but a buggy
 * client must not crash it): it is fuzzed by tests/fuzz target vfmgr_proto.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vfmgr_priv.h"

static const char *const op_names[VFMGR_OP__COUNT] = {
	[VFMGR_OP_STATUS] = "status", [VFMGR_OP_LIST] = "list",	    [VFMGR_OP_PLAN] = "plan",
	[VFMGR_OP_APPLY] = "apply",   [VFMGR_OP_ASSIGN] = "assign", [VFMGR_OP_RELEASE] = "release",
	[VFMGR_OP_SHOW] = "show",     [VFMGR_OP_CHECK] = "check",   [VFMGR_OP_ADOPT] = "adopt",
};

const char *vfmgr_op_name(enum vfmgr_reqop op)
{
	if (op <= VFMGR_OP_INVALID || op >= VFMGR_OP__COUNT)
		return NULL;
	return op_names[op];
}

enum vfmgr_reqop vfmgr_op_from_name(const char *name)
{
	if (!name)
		return VFMGR_OP_INVALID;
	for (int i = VFMGR_OP_INVALID + 1; i < VFMGR_OP__COUNT; i++)
		if (strcmp(name, op_names[i]) == 0)
			return (enum vfmgr_reqop)i;
	return VFMGR_OP_INVALID;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Largest id accepted: ids round-trip through JSON numbers, keep them exact in doubles. */
#define ID_MAX ((int64_t)1 << 53)

/*
 * A name (domain, PF, VF): 1..255 bytes of well-formed UTF-8 (libvirt takes any UTF-8
 * domain name) without control characters (C0, DEL, C1); '/' only in a target
 * ("PF/index"): libvirt refuses '/' in domain names.
 */
static bool name_ok(const char *s, bool slash)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	if (n == 0 || n > 255)
		return false;
	while (*p) {
		unsigned int c = *p, len, cp;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f || (c == '/' && !slash))
				return false;
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return false; /* continuation byte first, overlong C0/C1, or > U+10FFFF */
		for (unsigned int i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return false; /* overlong, surrogate, C1 control */
		p += len;
	}
	return true;
}

static int get_name(json_t *args, const char *key, bool required, const char **out, char *err,
		    size_t errlen)
{
	json_t *v = json_object_get(args, key);

	*out = NULL;
	if (!v) {
		if (required) {
			seterr(err, errlen, "\"args\".\"%s\" is required", key);
			return -EINVAL;
		}
		return 0;
	}
	bool slash = strcmp(key, "target") == 0;

	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
	    !name_ok(json_string_value(v), slash)) {
		seterr(err, errlen,
		       "\"args\".\"%s\" must be 1-255 bytes of UTF-8 without control "
		       "characters%s",
		       key, slash ? "" : " or '/'");
		return -EINVAL;
	}
	*out = json_string_value(v);
	return 0;
}

/* Every member of args must be one of the allowed keys. */
static int only_keys(json_t *args, const char *const *allowed, const char *op, char *err,
		     size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach(args, key, v)
	{
		bool ok = false;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, key) == 0)
				ok = true;
		if (!ok) {
			seterr(err, errlen, "unknown argument \"%.64s\" for op \"%s\"", key, op);
			return -EINVAL;
		}
	}
	return 0;
}

void vfmgr_request_clear(struct vfmgr_request *req)
{
	if (!req)
		return;
	json_decref(req->json);
	memset(req, 0, sizeof(*req));
	req->id = -1;
	req->vf = -1;
}

int vfmgr_proto_decode_request(const char *buf, size_t len, struct vfmgr_request *req, char *err,
			       size_t errlen)
{
	static const char *const k_none[] = { NULL };
	static const char *const k_apply[] = { "force", NULL };
	static const char *const k_assign[] = { "domain", "pf", "vf", "form", "force", NULL };
	static const char *const k_adopt[] = { "domain", NULL };
	static const char *const k_target[] = { "target", NULL };
	json_error_t jerr;
	json_t *root, *v, *args;
	const char *key;
	int rc;

	memset(req, 0, sizeof(*req));
	req->id = -1;
	req->vf = -1;
	if (err && errlen)
		err[0] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len > VFMGR_PROTO_MAX_LINE) {
		seterr(err, errlen, "request longer than %u bytes", VFMGR_PROTO_MAX_LINE);
		return -E2BIG;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		seterr(err, errlen, "not JSON: %s (column %d)", jerr.text, jerr.column);
		return -EINVAL;
	}
	req->json = root;
	if (!json_is_object(root)) {
		seterr(err, errlen, "request must be a JSON object");
		return -EINVAL;
	}
	/* id first, so that even a refused request gets its id echoed. */
	v = json_object_get(root, "id");
	if (!v || !json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > ID_MAX) {
		seterr(err, errlen, "\"id\" must be an integer 0..2^53");
		return -EINVAL;
	}
	req->id = json_integer_value(v);
	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "op") && strcmp(key, "args") && strcmp(key, "id")) {
			seterr(err, errlen, "unknown member \"%.64s\" (expected op, args, id)",
			       key);
			return -EINVAL;
		}
	}
	v = json_object_get(root, "op");
	if (!v || !json_is_string(v)) {
		seterr(err, errlen, "\"op\" must be a string");
		return -EINVAL;
	}
	req->op = vfmgr_op_from_name(json_string_value(v));
	if (req->op == VFMGR_OP_INVALID || strlen(json_string_value(v)) != json_string_length(v)) {
		seterr(err, errlen,
		       "unknown op \"%.32s\" (expected status, list, plan, apply, "
		       "assign, release, show, check or adopt)",
		       json_string_value(v));
		req->op = VFMGR_OP_INVALID;
		return -EINVAL;
	}
	args = json_object_get(root, "args");
	if (args && json_is_null(args))
		args = NULL;
	if (args && !json_is_object(args)) {
		seterr(err, errlen, "\"args\" must be an object");
		return -EINVAL;
	}
	/* args may be NULL from here: json_object_get(NULL, ...) returns NULL. */

	switch (req->op) {
	case VFMGR_OP_STATUS:
	case VFMGR_OP_LIST:
	case VFMGR_OP_CHECK:
		if (args && (rc = only_keys(args, k_none, vfmgr_op_name(req->op), err, errlen)))
			return rc;
		break;
	case VFMGR_OP_PLAN:
	case VFMGR_OP_APPLY:
		if (args && (rc = only_keys(args, k_apply, vfmgr_op_name(req->op), err, errlen)))
			return rc;
		v = json_object_get(args, "force");
		if (v && !json_is_boolean(v)) {
			seterr(err, errlen, "\"args\".\"force\" must be true or false");
			return -EINVAL;
		}
		req->force = v && json_is_true(v);
		break;
	case VFMGR_OP_ASSIGN:
		if (args && (rc = only_keys(args, k_assign, "assign", err, errlen)))
			return rc;
		if ((rc = get_name(args, "domain", true, &req->domain, err, errlen)) ||
		    (rc = get_name(args, "pf", false, &req->pf, err, errlen)))
			return rc;
		v = json_object_get(args, "vf");
		if (v) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 65535) {
				seterr(err, errlen, "\"args\".\"vf\" must be an integer 0..65535");
				return -EINVAL;
			}
			req->vf = (int)json_integer_value(v);
		}
		v = json_object_get(args, "force");
		if (v && !json_is_boolean(v)) {
			seterr(err, errlen, "\"args\".\"force\" must be true or false");
			return -EINVAL;
		}
		req->force = v && json_is_true(v);
		v = json_object_get(args, "form");
		if (v) {
			const char *f = json_string_value(v);
			if (!f || (strcmp(f, "interface") && strcmp(f, "hostdev"))) {
				seterr(err, errlen,
				       "\"args\".\"form\" must be \"interface\" or \"hostdev\"");
				return -EINVAL;
			}
			req->plain = strcmp(f, "hostdev") == 0;
		}
		break;
	case VFMGR_OP_ADOPT:
		if (args && (rc = only_keys(args, k_adopt, "adopt", err, errlen)))
			return rc;
		if ((rc = get_name(args, "domain", true, &req->domain, err, errlen)))
			return rc;
		break;
	case VFMGR_OP_RELEASE:
	case VFMGR_OP_SHOW:
		if (args && (rc = only_keys(args, k_target, vfmgr_op_name(req->op), err, errlen)))
			return rc;
		if ((rc = get_name(args, "target", true, &req->target, err, errlen)))
			return rc;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/* Serialise compactly on one line and append '\n'. */
static char *dump_line(json_t *obj)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
	char *line;
	size_t n;

	json_decref(obj);
	if (!s)
		return NULL;
	n = strlen(s);
	line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	return line;
}

char *vfmgr_proto_encode_request(int64_t id, enum vfmgr_reqop op, json_t *args)
{
	const char *name = vfmgr_op_name(op);

	if (!name) {
		json_decref(args);
		errno = EINVAL;
		return NULL;
	}
	return dump_line(json_pack("{s:s, s:o, s:I}", "op", name, "args",
				   args ? args : json_object(), "id", (json_int_t)id));
}

char *vfmgr_proto_encode_ok(int64_t id, json_t *result)
{
	return dump_line(json_pack("{s:I, s:b, s:o}", "id", (json_int_t)id, "ok", 1, "result",
				   result ? result : json_null()));
}

char *vfmgr_proto_encode_error(int64_t id, int code, const char *message)
{
	return dump_line(json_pack("{s:I, s:b, s:{s:i, s:s}}", "id", (json_int_t)id, "ok", 0,
				   "error", "code", code, "message", message ? message : ""));
}

int vfmgr_proto_decode_response(const char *buf, size_t len, int64_t *id, json_t **result,
				int *code, char *msg, size_t msglen)
{
	json_error_t jerr;
	json_t *root, *ok, *v;
	int rc = -EINVAL;

	*result = NULL;
	*code = VFMGR_EXIT_FAILED;
	*id = -1;
	if (msg && msglen)
		msg[0] = '\0';
	root = json_loadb(buf, len, 0, &jerr);
	if (!root) {
		seterr(msg, msglen, "malformed response from vfmgrd: %s", jerr.text);
		return -EINVAL;
	}
	v = json_object_get(root, "id");
	ok = json_object_get(root, "ok");
	if (!json_is_integer(v) || !json_is_boolean(ok)) {
		seterr(msg, msglen, "malformed response from vfmgrd: missing \"id\" or \"ok\"");
		goto out;
	}
	*id = json_integer_value(v);
	if (json_is_true(ok)) {
		v = json_object_get(root, "result");
		*result = json_incref(v ? v : json_null());
		rc = 1;
	} else {
		json_t *e = json_object_get(root, "error");
		json_t *c = json_object_get(e, "code"), *m = json_object_get(e, "message");

		if (!json_is_integer(c) || !json_is_string(m)) {
			seterr(msg, msglen, "malformed error response from vfmgrd");
			goto out;
		}
		*code = (int)json_integer_value(c);
		seterr(msg, msglen, "%s", json_string_value(m));
		rc = 0;
	}
out:
	json_decref(root);
	return rc;
}

int vfmgr_exit_from_errno(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return VFMGR_EXIT_OK;
	case EINVAL: /* bad argument or configuration value */
	case E2BIG:
	case ERANGE: /* numvfs above sriov_totalvfs */
		return VFMGR_EXIT_USAGE;
	case ENOENT: /* no such PF, VF or domain */
	case ESRCH:
		return VFMGR_EXIT_NOTFOUND;
	case EXDEV: /* IOMMU group shared (found or predicted) */
	case ENODEV: /* no IOMMU, no /dev/vfio/<group> */
		return VFMGR_EXIT_REFUSED;
	case EBUSY: /* VF owned, held by a libvirt domain, or used by the host */
	case ENOSPC: /* no free VF (also on the domain's NUMA nodes) */
	case EEXIST:
		return VFMGR_EXIT_BUSY;
	case EACCES:
	case EPERM:
		return VFMGR_EXIT_DENIED;
	case ENOTSUP:
		return VFMGR_EXIT_UNSUPPORTED;
	case ECONNREFUSED:
	case EHOSTUNREACH:
		return VFMGR_EXIT_UNREACH;
	default:
		return VFMGR_EXIT_FAILED;
	}
}
