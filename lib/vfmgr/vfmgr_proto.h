/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VFMGR_PROTO_H
#define VFMGR_PROTO_H

/**
 * @file
 * lib/vfmgr public API, part "protocol": the control socket's JSON lines between
 * vfmgr(8) and vfmgrd(8) (lib/vfmgr/proto.c; the protocol is documented in vfmgrd(8)).
 * A leaf: it needs nothing else of lib/vfmgr. Applications include vfmgr.h, which
 * includes this header; the request executor vfmgr_exec() is in vfmgr_libvirt.h.
 * Conventions as in vfmgr.h: negative errno; the decoders write the message naming
 * the offending member into the caller's (char *err, size_t errlen) because they
 * answer a peer.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;

/** @name Control-socket protocol (lib/vfmgr/proto.c; documented in vfmgrd(8)) */
/** @{ */

/** Requests of the control socket. */
enum vfmgr_reqop {
	VFMGR_OP_INVALID = 0,
	VFMGR_OP_STATUS,
	VFMGR_OP_LIST,
	VFMGR_OP_PLAN,
	VFMGR_OP_APPLY,
	VFMGR_OP_ASSIGN,
	VFMGR_OP_RELEASE,
	VFMGR_OP_SHOW,
	VFMGR_OP_CHECK,
	VFMGR_OP_ADOPT,
	VFMGR_OP__COUNT
};

/** Error codes of the protocol = exit codes of vfmgr(8). */
enum vfmgr_exit {
	VFMGR_EXIT_OK = 0, /**< success */
	VFMGR_EXIT_FAILED = 1, /**< operation failed */
	VFMGR_EXIT_USAGE = 2, /**< usage or configuration error */
	VFMGR_EXIT_REFUSED = 3, /**< pre-flight refused */
	VFMGR_EXIT_UNREACH = 4, /**< daemon unreachable */
	VFMGR_EXIT_DENIED = 5, /**< permission denied (not root, not in group vfmgr) */
	VFMGR_EXIT_NOTFOUND = 6, /**< no such domain, PF or VF */
	VFMGR_EXIT_BUSY = 7, /**< no free VF / VF owned by another domain */
	VFMGR_EXIT_UNSUPPORTED = 8, /**< libvirt driver cannot do it (no hot-plug) */
};

/** Longest protocol line accepted (bytes, '\n' excluded). */
#define VFMGR_PROTO_MAX_LINE (1u << 20)

/** A decoded, validated request. Strings point into @ref json. */
struct vfmgr_request {
	int64_t id; /**< echoed in the response (-1 when unreadable) */
	enum vfmgr_reqop op; /**< operation */
	const char *domain; /**< assign, adopt: domain */
	const char *pf; /**< assign: PF (optional) */
	int vf; /**< assign: VF index or -1 */
	const char *target; /**< release/show: domain, VF BDF, PF/index */
	bool force; /**< apply: change counts under owned/held/host-used VFs; assign: take a host-used VF or one off the NUMA policy */
	bool plain; /**< assign: "form":"hostdev" (plain <hostdev>) instead of "interface" */
	struct json_t *json; /**< parsed request (owned) */
};

/** @return "status", ..., or NULL for an invalid op. */
const char *vfmgr_op_name(enum vfmgr_reqop op);

/**
 * Decode and validate one request line (trailing "\n" allowed). Unknown members,
 * unknown args for the op, wrong types, names with '/', quotes or control
 * characters are refused.
 * @param[out] err message naming the offending member.
 * @return 0; -EINVAL (req->id is set when it could be read); -E2BIG (longer than VFMGR_PROTO_MAX_LINE).
 * Call vfmgr_request_clear() afterwards whatever the result: a refused request may hold
 * the parsed JSON.
 */
int vfmgr_proto_decode_request(const char *buf, size_t len, struct vfmgr_request *req, char *err,
			       size_t errlen);

/** Free what vfmgr_proto_decode_request() allocated (NULL ignored). */
void vfmgr_request_clear(struct vfmgr_request *req);

/** Encode a request line ("\n"-terminated, malloc'd); @p args is stolen (NULL = {}). */
char *vfmgr_proto_encode_request(int64_t id, enum vfmgr_reqop op, struct json_t *args);
/** Encode {"id","ok":true,"result"}; @p result is stolen (NULL = null). */
char *vfmgr_proto_encode_ok(int64_t id, struct json_t *result);
/** Encode {"id","ok":false,"error":{"code","message"}}; @p code is an enum vfmgr_exit. */
char *vfmgr_proto_encode_error(int64_t id, int code, const char *message);

/**
 * Decode a response line.
 * @param[out] result on success, new reference. @param[out] code on error response.
 * @return 1 ok response, 0 error response (message in @p msg), -EINVAL malformed.
 */
int vfmgr_proto_decode_response(const char *buf, size_t len, int64_t *id, struct json_t **result,
				int *code, char *msg, size_t msglen);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* VFMGR_PROTO_H */
