/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VFMGR_PLACEMENT_H
#define VFMGR_PLACEMENT_H

/**
 * @file
 * lib/vfmgr public API, part "placement": OpenStack Placement (API microversion 1.39),
 * the fleet's inventory and claims: the client (libcurl), the level-triggered
 * reconciliation of a host, claims and the fleet view (lib/vfmgr/placement*.c).
 * The [placement] configuration (struct vfmgr_pl_conf, vfmgr_pl_conf_defaults()) is
 * in vfmgr.h with the rest of vfmgr.conf. Needs vfmgr.h and the session of
 * vfmgr_libvirt.h; applications include it after them.
 * Conventions as in vfmgr.h: negative errno and vfmgr_errmsg() naming the URL or key.
 */

#include "vfmgr.h"
#include "vfmgr_libvirt.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @name OpenStack Placement: the fleet's inventory and claims (lib/vfmgr/placement*.c) */
/** @{ */

/** Opaque Placement client (libcurl). */
struct vfmgr_pl;

/**
 * Create a client. Every request carries "OpenStack-API-Version: placement 1.39",
 * "X-Auth-Token" and JSON bodies.
 * @return 0, -EINVAL (no or bad URL: message names the key), -ENOMEM.
 */
int vfmgr_pl_open(const struct vfmgr_pl_conf *pc, struct vfmgr_pl **out);

/** Free a client (NULL ignored). */
void vfmgr_pl_close(struct vfmgr_pl *pl);

/** Result of one reconciliation. */
struct vfmgr_pl_sync_stats {
	int rc; /**< 0 or -errno of the sync */
	char msg[512]; /**< "" or why it failed */
	unsigned providers; /**< providers in the host's tree */
	unsigned vfs_total; /**< SRIOV_NET_VF total over the PFs */
	unsigned vfs_reserved; /**< reserved */
	unsigned vfs_assigned; /**< VFs owned by domains (allocated) */
	unsigned writes; /**< POST/PUT/DELETE sent */
	unsigned conflicts; /**< 409 generation conflicts re-read and retried */
	unsigned claims_kept; /**< allocations without a VF kept as in-flight claims */
	unsigned claims_dropped; /**< such allocations removed after claim_grace_s */
	uint64_t duration_ms; /**< wall time */
};

/** State kept between reconciliations (what this process last published). */
struct vfmgr_pl_sync;

/** @return a new state or NULL (ENOMEM). */
struct vfmgr_pl_sync *vfmgr_pl_sync_new(void);
/** Free a state (NULL ignored). */
void vfmgr_pl_sync_free(struct vfmgr_pl_sync *st);

/**
 * Level-triggered reconciliation of this host into Placement: read the host (discovery,
 * ownership, libvirt domain UUIDs), build the desired tree (root, NUMA nodes, PFs),
 * inventories, traits and per-domain allocations, read Placement's view and write only
 * the differences, each write with its resource provider or consumer generation; a 409
 * generation conflict re-reads and retries (PL_MAX_RETRIES). Order: decreases of
 * allocations, inventories, increases. An allocation on this host's PFs not backed by an
 * assigned VF is removed at once when this process wrote it, otherwise after
 * vfmgr_pl_conf.claim_grace_s (an in-flight `vfmgr fleet place` claim).
 * Idempotent: a crash at any point is repaired by the next run.
 * @param hostname root provider name. @param[out] stats (may be NULL).
 * @return 0, -ECONNREFUSED/-ETIMEDOUT/-EIO (Placement unreachable), -EPROTO (an
 *         unexpected answer, message quotes it), -EAGAIN (conflicts outlasted the retries).
 */
int vfmgr_pl_sync_run(struct vfmgr_pl *pl, struct vfmgr_pl_sync *st, struct vfmgr_session *s,
		      const char *hostname, unsigned claim_grace_s,
		      struct vfmgr_pl_sync_stats *stats);

/** JSON of a sync result ({"rc","result","providers",...}). @return new reference. */
struct json_t *vfmgr_pl_sync_stats_json(const struct vfmgr_pl_sync_stats *st);

/** A claim made by vfmgr_pl_claim(). */
struct vfmgr_pl_claim {
	char consumer[37]; /**< consumer UUID (libvirt domain UUID) */
	char rp[37]; /**< PF provider claimed from */
	char host[64]; /**< its root provider name (the host) */
	char pf_bdf[VFMGR_BDF_LEN]; /**< the PF */
	char rc_name[64]; /**< resource class */
	unsigned count; /**< units claimed */
	int numa; /**< NUMA node of the PF (-1 unknown) */
	unsigned conflicts; /**< 409s retried while claiming / releasing */
	unsigned candidates; /**< allocation candidates of the last query */
};

/**
 * Find and claim: GET /allocation_candidates with one request group
 * (resources1=@p resources, required1=HW_NIC_SRIOV,@p required...,CUSTOM_NUMA_NODE_<numa>),
 * choose the PF with the most free units, then add that to the consumer's allocations
 * (GET + PUT /allocations/{consumer} with consumer_generation). A 409 (someone else took
 * the units, or changed the consumer) queries again, at most PL_MAX_RETRIES times.
 * @param resources "RC:N" (e.g. "SRIOV_NET_VF:1"). @param numa node or -1 for any.
 * @param host only this host's tree (in_tree1=<its root provider>), NULL = any host.
 * @return 0; -ENOSPC (no candidate: message says what was asked); -EAGAIN; -EINVAL; -errno.
 */
int vfmgr_pl_claim(struct vfmgr_pl *pl, const char *consumer, const char *resources,
		   const char *const *required, unsigned n_required, int numa, const char *host,
		   const char *project, struct vfmgr_pl_claim *out);

/**
 * Give back a claim: subtract it from the consumer's allocations (generation-checked,
 * retried on 409). @return 0 or -errno.
 */
int vfmgr_pl_unclaim(struct vfmgr_pl *pl, struct vfmgr_pl_claim *c);

/**
 * Every host from Placement: {"hosts":[{"name","uuid","pfs":[{"name","uuid","pf","numa",
 * "total","reserved","used","traits":[..]}]}], "allocations": N}.
 * @return 0 or -errno.
 */
int vfmgr_pl_fleet(struct vfmgr_pl *pl, struct json_t **out);

/**
 * The Placement consumer of a libvirt domain: its UUID, read through libvirt at @p uri
 * (NULL = qemu:///system).
 * @param[out] uuid 37 bytes. @return 0, -ENOENT (no such domain), -ECONNREFUSED, -EIO.
 */
int vfmgr_pl_domain_uuid(const char *uri, const char *domain, char uuid[37]);

/**
 * Expand a vfmgr_pl_conf.fleet_socket template: every "%h" becomes @p host.
 * @return 0, -ENAMETOOLONG, -EINVAL (host name with '/' or "..").
 */
int vfmgr_pl_host_socket(const char *tmpl, const char *host, char *out, size_t len);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* VFMGR_PLACEMENT_H */
