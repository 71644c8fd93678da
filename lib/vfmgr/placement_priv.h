/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * @internal
 * Internals of lib/vfmgr's OpenStack Placement client (placement.c) and host
 * reconciliation (placement_sync.c), exposed for the unit tests (tests/placement).
 * Not installed, not part of the API.
 */
#ifndef VFMGR_PLACEMENT_PRIV_H
#define VFMGR_PLACEMENT_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "vfmgr.h"
#include "vfmgr_placement.h"

/**
 * One request. @p path starts with "/" (query included); @p body is sent as JSON when
 * not NULL (borrowed).
 * @param[out] resp decoded JSON answer (new reference, NULL when empty or not JSON).
 * @return the HTTP status (200..599); -ECONNREFUSED (nothing listens), -ETIMEDOUT,
 *         -EIO (other transport errors); the message names the URL.
 */
int vfmgr_pl_call(struct vfmgr_pl *pl, const char *method, const char *path, struct json_t *body,
		  struct json_t **resp);

/** Length of a UUID in text form including the NUL. */
#define PL_UUID_LEN 37
/** The resource class vfmgr publishes (a standard class of os-resource-classes). */
#define PL_RC "SRIOV_NET_VF"
/** Microversion sent with every request: 1.39 is the maximum of Placement 8.0.0 (Zed);
 *  1.38 made consumer_type mandatory on PUT /allocations, 1.37 allows re-parenting. */
#define PL_MICROVERSION "placement 1.39"
/** consumer_type written with every allocation (nova's value for servers). */
#define PL_CONSUMER_TYPE "INSTANCE"
/** Attempts of one read-modify-write after generation conflicts (HTTP 409). */
#define PL_MAX_RETRIES 8

/**
 * Deterministic provider UUID of a name: FNV-1a 128 of "vfmgr:<name>", formatted with
 * the RFC 9562 version 8 (custom) and variant bits. The same host publishes the same
 * UUIDs after a restart, so a crash between two writes never creates a second tree.
 */
void pl_name_uuid(const char *name, char out[PL_UUID_LEN]);

/**
 * Trait name from free text: "CUSTOM_" + @p prefix + text upper-cased, every character
 * outside [A-Z0-9] replaced by '_' (Placement's pattern ^CUSTOM_[A-Z0-9_]+$), at most
 * 255 characters.
 */
void pl_custom_trait(const char *prefix, const char *text, char *out, size_t len);

/** One provider of the desired tree. */
struct pl_want_rp {
	char name[200]; /**< "<host>", "<host>_NUMA_<n>", "<host>_<pf bdf>" */
	char uuid[PL_UUID_LEN]; /**< pl_name_uuid(name) */
	int parent; /**< index of the parent in the tree, -1 for the root */
	bool has_inv; /**< publishes SRIOV_NET_VF (PF providers with VFs) */
	unsigned total; /**< VFs present (sriov_numvfs and virtfnN links) */
	unsigned reserved; /**< VFs held by the host or a domain outside vfmgr */
	unsigned assigned; /**< VFs owned by vfmgr domains (allocated) */
	unsigned free; /**< total - reserved - assigned: VFs an in-flight claim can get */
	char pf_bdf[VFMGR_BDF_LEN]; /**< PF providers: the PF ("" otherwise) */
	int numa; /**< NUMA node (-1 none / root) */
	json_t *traits; /**< array of trait names (owned) */
};

/** Allocations of one consumer on this host: count per PF provider. */
struct pl_want_alloc {
	char consumer[PL_UUID_LEN]; /**< libvirt domain UUID */
	char domain[VFMGR_DOMAIN_LEN]; /**< its name (logs) */
	json_t *rps; /**< {"<rp uuid>": count} (owned) */
};

/** The host as Placement should see it. */
struct pl_want {
	struct pl_want_rp *rps; /**< root first, parents before children */
	unsigned n_rps;
	struct pl_want_alloc *allocs; /**< one per consumer */
	unsigned n_allocs;
	unsigned vfs_total, vfs_reserved, vfs_assigned;
};

/** Domain name -> UUID (libvirt), or a test double. @return 0, -ENOENT, -errno. */
typedef int (*pl_uuid_fn)(const char *domain, char uuid[PL_UUID_LEN], void *user);
/** Is this free-looking VF held by a libvirt domain vfmgr did not record? @return 1, 0, -errno. */
typedef int (*pl_foreign_fn)(const char *vf_bdf, void *user);

/**
 * Build the desired tree of a host: root @p hostname; a NUMA node provider
 * (trait HW_NUMA_ROOT, CUSTOM_NUMA_NODE_<n>) per node holding a configured PF; a PF
 * provider under it (under the root when the node is unknown) with inventory
 * SRIOV_NET_VF total = VFs present, reserved = VFs in state held, host or unusable
 * (vfmgr_vf_state(), as the metrics count them), traits HW_NIC_SRIOV, CUSTOM_PF_<netdev|bdf>, CUSTOM_NUMA_NODE_<n>,
 * CUSTOM_PHYSNET_<physnet> (configured), CUSTOM_POSTED_INTERRUPTS (@p posted);
 * allocations: per owner domain, its VFs per PF provider.
 * A VF owned by a domain whose UUID cannot be read counts as reserved.
 * @return 0, -ENOMEM.
 */
int pl_want_build(const struct vfmgr_ctx *ctx, const struct vfmgr_conf *conf,
		  const struct vfmgr_host *host, const char *hostname, bool posted,
		  pl_uuid_fn uuid_of, pl_foreign_fn foreign, void *user, struct pl_want *out);

/** Free what pl_want_build() allocated. */
void pl_want_free(struct pl_want *w);

/**
 * New allocations body of a consumer: the current allocations (GET /allocations/{c}
 * "allocations") minus every provider of @p mine, plus @p want (counts > 0).
 * @return {"<rp>": {"resources": {...}}} (new reference) or NULL on ENOMEM.
 */
json_t *pl_merge_allocations(json_t *current, json_t *mine, json_t *want);

/**
 * Crash point for the tests: VFMGR_PL_CRASHPOINT=N[:SUBSTR] kills the process (SIGKILL)
 * before its N-th write to Placement (POST, PUT, DELETE) whose path contains SUBSTR
 * (every write without it), counted per process.
 */
void pl_crashpoint(const char *path);

/**
 * Test hook: VFMGR_PL_RMW_DELAY_MS=N (at most 5000) sleeps N ms between the GET and the PUT
 * of every read-modify-write of a consumer's allocations, widening the window in which
 * another writer bumps the consumer generation (tests/placement: the 409 retry path).
 */
void pl_rmw_delay(void);

#endif
