/* SPDX-License-Identifier: BSD-3-Clause */
/* vfmgrd.h: internals of the vfmgrd(8) daemon. */
#ifndef VFMGRD_H
#define VFMGRD_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "vfmgr.h"
#include "vfmgr_libvirt.h"
#include "vfmgr_placement.h"

/**
 * Daemon state.
 *
 * Threads: the main thread (signals, accept, netlink monitor, SIGHUP reload) and
 * one thread per client connection (server.c), at most VFMGRD_MAX_CLIENTS.
 *
 * The daemon's three locks, and the order they are taken in (never the reverse):
 *
 *   conf_lock (rwlock)  ->  lib/vfmgr PF lock -> VF lock  ->  virt_mu
 *   clients_mu: alone, never held with another lock.
 *
 * - conf_lock guards sess.conf. Every request (server.c) and every netlink
 *   dispatch (main.c) holds it for reading for its whole run, so the
 *   configuration an operation started with stays valid until it ends. The
 *   SIGHUP reload (main.c reload()) holds it for writing while it swaps the
 *   pointer, recovers the journal and applies, so no request sees a half-applied
 *   reload; the old configuration is freed after unlocking, when no reader can
 *   hold it. Invariant: sess.conf is never freed or replaced under a reader.
 * - virt_mu (passed to lib/vfmgr as sess.virt_mu) guards the sess.virt pointer
 *   only: vfmgr_session_virt() takes it, replaces a dead connection, takes a
 *   reference and drops it again. It is a leaf: nothing else is locked while it
 *   is held, so it may be taken under PF/VF locks (release) or outside them
 *   (assign). Invariant: a thread uses a connection only through its own
 *   reference, so a replacement never closes one that is in use.
 * - clients_mu guards n_clients and goes with clients_cv (server_drain() waits on
 *   it). Taken only around the counter, never around request work.
 * lib/vfmgr's own PF and VF mutexes (lock.c) serialise operations on one PF/VF;
 * its internal mutexes (locks_mu, owner_mu) are leaves inside the library.
 */
struct vfmgrd {
	const char *config_path; /**< --config */
	const char *socket_path; /**< --socket */
	const char *root; /**< --root */
	const char *state_dir; /**< --state-dir */
	const char *uri; /**< --connect */
	const char *group; /**< --group (default "vfmgr") */
	unsigned int socket_mode; /**< --socket-mode (default 0660) */
	bool no_apply; /**< --no-apply */
	const char *metrics_path; /**< --metrics ("none": off; NULL: default unless --root) */
	unsigned int metrics_interval; /**< --metrics-interval, seconds (default 15) */
	struct vfmgr_metrics *metrics; /**< NULL: no metrics file (thread-safe, own locks) */
	int listen_fd; /**< control socket */
	struct vfmgr_session sess; /**< context, conf, libvirt */
	pthread_mutex_t virt_mu; /**< guards sess.virt (leaf; see above) */
	pthread_rwlock_t
		conf_lock; /**< guards sess.conf; readers: requests, netlink; writer: SIGHUP reload */
	pthread_mutex_t clients_mu; /**< guards n_clients (alone) */
	pthread_cond_t clients_cv; /**< signalled when a client thread ends */
	unsigned int n_clients; /**< client threads alive */
	volatile bool stopping; /**< SIGTERM received */
	struct vfmgrd_fleet *fleet; /**< Placement publisher (NULL: no [placement] url) */
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
/** vlog() with the VF too: VFMGR_VF= (PCI address of the VF an assign/release acted on). */
void vlog_vf(int prio, const char *op, const char *pf, const char *vf, const char *domain,
	     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
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

/* metrics.c */
/** Rewrite the metrics file now (no-op without metrics); failures are logged once per errno. */
void vfmgrd_metrics_write(struct vfmgrd *d, const char *why);

/* reapply.c */
/** Setter of VF attributes (vfmgr_vf_set_attrs, or a test double). */
typedef int (*vfmgrd_set_attrs_fn)(const char *pf_ifname, unsigned int vf,
				   const struct vfmgr_vf_attrs *a);
/**
 * Re-apply the configured attributes of every VF of @p pc that lost them.
 * @param have attributes the kernel reports now (monitor callback), @p n_have entries.
 * @return number of VFs re-applied (failures are logged and skipped).
 */
int vfmgrd_reapply(const struct vfmgr_pf_conf *pc, const char *ifname,
		   const struct vfmgr_vf_attrs *have, unsigned int n_have, vfmgrd_set_attrs_fn set);

/* fleet.c: publish this host to OpenStack Placement ([placement] in vfmgr.conf). */
struct json_t;
/** Start the sync thread when [placement] url is set (first sync at once). @return 0 or -errno. */
int fleet_start(struct vfmgrd *d);
/** Ask for a sync now (after assign, release, apply, reload, PF events). */
void fleet_kick(struct vfmgrd *d);
/** Stop and join the sync thread (an ongoing sync finishes first, bounded by [placement] timeout-ms). */
void fleet_stop(struct vfmgrd *d);
/** {"url","host","last_sync","result",...} of the last sync, or JSON null when not publishing. */
struct json_t *fleet_status(struct vfmgrd *d);

#endif
