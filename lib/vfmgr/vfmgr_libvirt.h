/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VFMGR_LIBVIRT_H
#define VFMGR_LIBVIRT_H

/**
 * @file
 * lib/vfmgr public API, part "libvirt": the session the daemon and `vfmgr --local`
 * run requests in (a context, the configuration and a lazily opened libvirt
 * connection, libvirt >= 9.0), the journal recovery that asks libvirt, and the
 * request executor. Needs vfmgr.h (core) and vfmgr_proto.h (requests); applications
 * include it after vfmgr.h.
 * Conventions as in vfmgr.h: negative errno and vfmgr_errmsg(); vfmgr_exec()
 * returns an enum vfmgr_exit code and its message in the caller's buffer.
 */

#include "vfmgr.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @name Session: what the daemon and `vfmgr --local` run requests in */
/** @{ */

/** Opaque libvirt connection (libvirt.c, libvirt >= 9.0; opened lazily by the session). */
struct vfmgr_virt;

/** Drop a reference; the connection is closed with the last one (NULL ignored). */
void vfmgr_virt_close(struct vfmgr_virt *v);

/**
 * Everything an operation needs: context, configuration, lazily opened libvirt
 * connection. Shared by the daemon's worker threads and by `vfmgr --local`.
 */
struct vfmgr_session {
	struct vfmgr_ctx *ctx; /**< context (root, state dir, locks) */
	struct vfmgr_conf *conf; /**< configuration (may be NULL: no [pf] managed) */
	const char *uri; /**< libvirt URI (NULL = qemu:///system) */
	struct vfmgr_virt *virt; /**< opened on first use; guarded by virt_mu */
	void *virt_mu; /**< pthread_mutex_t * for @ref virt (NULL: single-threaded) */
};

/**
 * Discover the host (vfmgr_discover()) and ask libvirt which domains hold which VFs
 * (vfmgr_vf.held_by): what status, plan, apply and assign decide on.
 * @param warn receives a sentence when libvirt could not be asked (the host view is then
 *        returned without held_by; callers show the warning). @param wlen its size.
 * @return 0 or -errno of discovery.
 */
int vfmgr_session_discover(struct vfmgr_session *s, struct vfmgr_host **out, char *warn,
			   size_t wlen);

/**
 * Recover every journaled operation: "apply" (plan.c: roll the PF forward, else
 * back to its recorded previous state), "assign" and "release" (assign.c: ask
 * libvirt whether the VF is in the domain's XML, then finish or roll back).
 * Then reconcile the owner records with libvirt in both directions (a record whose
 * domain no longer holds the VF is released; a VF a domain holds whose record was lost
 * is recorded again when vfmgr's saved assignment names that domain; other VFs held
 * without a record are reported as external: vfmgr adopt records them).
 * @return number recovered, or -errno of the first failure (that journal file is
 *         kept for the next attempt; vfmgr_errmsg() says why).
 */
int vfmgr_session_recover(struct vfmgr_session *s);

struct vfmgr_request;
/**
 * Execute one decoded request (daemon and `vfmgr --local` share this; exec.c).
 * Results are the JSON objects documented in vfmgrd(8) PROTOCOL.
 * @param[out] result JSON result on success (new reference), NULL on failure.
 * @param msg receives the error sentence on failure. @param msglen its size.
 * @return an enum vfmgr_exit code (0 = ok): the protocol's error code and
 *         vfmgr(8)'s exit status, mapped from -errno by one table (proto.c).
 */
int vfmgr_exec(struct vfmgr_session *s, const struct vfmgr_request *req, struct json_t **result,
	       char *msg, size_t msglen);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* VFMGR_LIBVIRT_H */
