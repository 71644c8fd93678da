/* SPDX-License-Identifier: BSD-3-Clause */
/* vfmgrd.h: internals of the vfmgrd(8) daemon. */
#ifndef VFMGRD_H
#define VFMGRD_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "vfmgr.h"

/** Daemon state. */
struct vfmgrd {
	const char *config_path;     /**< --config */
	const char *socket_path;     /**< --socket */
	const char *root;            /**< --root */
	const char *state_dir;       /**< --state-dir */
	const char *uri;             /**< --connect */
	const char *group;           /**< --group (default "vfmgr") */
	unsigned socket_mode;        /**< --socket-mode (default 0660) */
	bool no_apply;               /**< --no-apply */
	int listen_fd;               /**< control socket */
	struct vfmgr_session sess;   /**< context, conf, libvirt */
	pthread_mutex_t virt_mu;     /**< guards sess.virt */
	pthread_rwlock_t conf_lock;  /**< readers: requests; writer: SIGHUP reload */
	pthread_mutex_t clients_mu;  /**< guards n_clients */
	pthread_cond_t clients_cv;   /**< signalled when a client thread ends */
	unsigned n_clients;          /**< client threads alive */
	volatile bool stopping;      /**< SIGTERM received */
};

/** Maximum concurrent client connections. */
#define VFMGRD_MAX_CLIENTS 64

/* log.c */
/** Use journald (true when started by systemd: $JOURNAL_STREAM / $INVOCATION_ID). */
void vlog_init(void);
/**
 * Log a message with structured fields (journald) or on stderr.
 * @param op,pf,domain optional (NULL) VFMGR_OP=, VFMGR_PF=, VFMGR_DOMAIN= fields.
 */
void vlog(int prio, const char *op, const char *pf, const char *domain, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/** lib/vfmgr log callback. */
void vlog_lib(int prio, const char *msg, void *user);

/* server.c */
/** Create, bind and listen on the control socket (removes a stale socket). @return 0 or -errno. */
int server_listen(struct vfmgrd *d);
/** Accept one pending connection and start its thread. */
void server_accept(struct vfmgrd *d);
/** Wait (bounded) for client threads to end. */
void server_drain(struct vfmgrd *d, int timeout_ms);
/**
 * Is the peer allowed? uid 0, or member (primary or supplementary) of @p group.
 * @return true if admitted; @p why receives the refusal reason.
 */
bool server_peer_allowed(uid_t uid, gid_t gid, const char *group, char *why, size_t len);

/* reapply.c */
/** Setter of VF attributes (vfmgr_vf_set_attrs, or a test double). */
typedef int (*vfmgrd_set_attrs_fn)(const char *pf_ifname, unsigned vf, const struct vfmgr_vf_attrs *a);
/**
 * Re-apply the configured attributes of every VF of @p pc that lost them.
 * @param have attributes the kernel reports now (monitor callback), @p n_have entries.
 * @return number of VFs re-applied (failures are logged and skipped).
 */
int vfmgrd_reapply(const struct vfmgr_pf_conf *pc, const char *ifname,
		   const struct vfmgr_vf_attrs *have, unsigned n_have, vfmgrd_set_attrs_fn set);

#endif
