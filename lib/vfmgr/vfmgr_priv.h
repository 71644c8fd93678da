/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * @internal
 * lib/vfmgr's building blocks, for the library's own files and its tests
 * (tests/vfmgr, tests/hardening). Not installed, not part of the API: the
 * applications use vfmgr.h only.
 *
 * Same conventions as vfmgr.h: int functions return 0 (or a count) or a
 * negative errno, with a sentence in vfmgr_errmsg().
 */
#ifndef VFMGR_PRIV_H
#define VFMGR_PRIV_H

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include "vfmgr.h"
#include "vfmgr_libvirt.h"
#include "vfmgr_placement.h"

/* ------------------------------------------------------------------------- */
/** @name Context internals */
/** @{ */

struct vfmgr_lock_ent;
struct vfmgr_txn;

struct vfmgr_ctx {
	char root[PATH_MAX]; /* "" for "/" */
	char state_dir[PATH_MAX - 256];
	unsigned int wait_ms;
	bool allow_unsafe_noiommu;
	void (*on_step)(void *user); /* vfmgr_opts.on_step: before each apply/rollback step */
	void *on_step_user;
	pthread_mutex_t locks_mu; /* protects the lock table */
	struct vfmgr_lock_ent *locks;
	pthread_mutex_t owner_mu; /* serialises owners.json read-modify-write in-process */
};

void vfmgr_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read a whole small file under root (abs path) into buf, strip trailing newline. */
int vfmgr_read_file(const struct vfmgr_ctx *ctx, const char *abspath, char *buf, size_t len);
/* basename of a symlink target under root (abs path) into buf. */
int vfmgr_read_link_base(const struct vfmgr_ctx *ctx, const char *abspath, char *buf, size_t len);
/* Atomically replace path (not root-prefixed) with data: temp, fsync, rename, fsync dir; mode 0600. */
int vfmgr_write_atomic(const char *path, const char *data, size_t len);
/* Sleep milliseconds. */
void vfmgr_sleep_ms(unsigned int ms);
/* Monotonic time in ms. */
uint64_t vfmgr_now_ms(void);
/* true if root is the real "/". */
static inline bool vfmgr_real_root(const struct vfmgr_ctx *ctx)
{
	return ctx->root[0] == '\0';
}

/* Permanent MAC of a netdev over rtnetlink (IFLA_PERM_ADDRESS). 0 or -errno. */
int vfmgr_nl_perm_addr(const char *ifname, uint8_t mac[6]);

/* Free a transaction but keep its journal file for recovery. */
void vfmgr_journal_forget(struct vfmgr_txn *t);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name Errors and context helpers */
/** @{ */

/**
 * Set the calling thread's error message (for code built on lib/vfmgr).
 * @param err positive errno value describing the failure.
 * @param fmt printf format of a sentence naming the object and the fix.
 * @return -err, so callers can write `return vfmgr_set_error(EINVAL, ...)`.
 */
int vfmgr_set_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Clear the calling thread's error message. */
void vfmgr_clear_error(void);
/** @return the root prefix without trailing slash ("" for "/"). */
const char *vfmgr_ctx_root(const struct vfmgr_ctx *ctx);
/** @return the state directory path. */
const char *vfmgr_ctx_state_dir(const struct vfmgr_ctx *ctx);
/**
 * Build a path under the root prefix: root + formatted absolute path.
 * @param buf output buffer. @param len its size.
 * @param fmt printf format of an absolute path ("/sys/bus/pci/devices/%s/driver").
 * @return length written, or -ENAMETOOLONG.
 */
int vfmgr_path(const struct vfmgr_ctx *ctx, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/** @} */

/* ------------------------------------------------------------------------- */
/** @name Address helpers (addr.c: pure, a leaf) */
/** @{ */
/** Parse "aa:bb:cc:dd:ee:ff". @return 0 or -EINVAL. */
int vfmgr_parse_mac(const char *s, uint8_t mac[6]);
/** Format a MAC into @p buf (>= 18 bytes). @return buf. */
char *vfmgr_format_mac(const uint8_t mac[6], char *buf);
/** Check and canonicalise a PCI address "DDDD:BB:DD.F" (lowercase). @return 0 or -EINVAL. */
int vfmgr_parse_bdf(const char *s, char out[VFMGR_BDF_LEN]);
/** @} */

/* ------------------------------------------------------------------------- */
/** @name Configuration helpers (config.c) */
/** @{ */

/**
 * Parse a configuration held in memory. Nothing is applied.
 * @param buf text (need not be NUL-terminated). @param len its length.
 * @param name file name used in messages ("vfmgr.conf").
 * @param[out] out the configuration, free with vfmgr_conf_free(); NULL on error.
 * @return 0; -EINVAL with vfmgr_errmsg() = "<name>:<line>: <reason>" for the
 *         first error (unknown section/key, bad value, malformed MAC/VLAN,
 *         duplicate PF/VF/key, VF index >= numvfs, duplicate MAC...); -ENOMEM.
 */
int vfmgr_conf_parse(const char *buf, size_t len, const char *name, struct vfmgr_conf **out);
/** Name of a NUMA policy ("any", "preferred", "required"). */
const char *vfmgr_numa_policy_name(enum vfmgr_numa_policy p);
/** Parse a NUMA policy name. @return 0 or -EINVAL. */
int vfmgr_parse_numa_policy(const char *s, enum vfmgr_numa_policy *out);
/** Name of a link state ("auto", "enable", "disable"). */
const char *vfmgr_link_state_name(unsigned int ls);
/** @} */

/* ------------------------------------------------------------------------- */
/** @name Discovery lookups and JSON (discover.c) */
/** @{ */

/** @return the PF with this BDF or NULL. */
struct vfmgr_pf *vfmgr_host_find_pf(const struct vfmgr_host *host, const char *bdf);
/** @return the VF (pf_bdf, index) or NULL. */
struct vfmgr_vf *vfmgr_host_find_vf(const struct vfmgr_host *host, const char *pf_bdf,
				    unsigned int index);
/** @return the VF with this VF BDF or NULL. */
struct vfmgr_vf *vfmgr_host_find_vf_bdf(const struct vfmgr_host *host, const char *vf_bdf);
/**
 * JSON view of the host (for `vfmgr status` / the daemon protocol):
 * {"pfs":[{"bdf","vendor","device","driver","numa_node","netdev","totalvfs",
 * "numvfs","autoprobe","vfs":[{"index","bdf","driver","iommu_group",
 * "group_members":[..],"numa_node","netdev","owner","attrs":{..}|null}]}]}.
 * @return new reference or NULL on ENOMEM.
 */
struct json_t *vfmgr_host_to_json(const struct vfmgr_host *host);
/** JSON object of VF attributes (only the fields set). @return new reference. */
struct json_t *vfmgr_attrs_to_json(const struct vfmgr_vf_attrs *a);
/** @} */

/* ------------------------------------------------------------------------- */
/** @name sysfs and device binding (sysfs.c, bind.c; drivers/base/bus.c, drivers/pci/pci-sysfs.c) */
/** @{ */

/**
 * Read a device attribute <root>/sys/bus/pci/devices/<bdf>/<attr>, trailing newline stripped.
 * @return length, or -errno (message names the file).
 */
int vfmgr_sysfs_read(const struct vfmgr_ctx *ctx, const char *bdf, const char *attr, char *buf,
		     size_t len);
/**
 * Write a string to a file under root (one write() call, as sysfs expects;
 * the kernel reports errors from write(), not open()).
 * @param abspath absolute path without root ("/sys/bus/pci/drivers_probe").
 * @return 0 or -errno (message names the file, the value and the errno).
 */
int vfmgr_sysfs_write_path(const struct vfmgr_ctx *ctx, const char *abspath, const char *val);
/** Write a device attribute (see vfmgr_sysfs_write_path()). @return 0 or -errno. */
int vfmgr_sysfs_write(const struct vfmgr_ctx *ctx, const char *bdf, const char *attr,
		      const char *val);
/** Current driver of a device into @p buf ("" if none). @return 0, -ENOENT (no such device). */
int vfmgr_dev_driver(const struct vfmgr_ctx *ctx, const char *bdf, char *buf, size_t len);
/** IOMMU group number of a device. @return group >= 0, or -ENOENT (no iommu_group link). */
int vfmgr_dev_iommu_group(const struct vfmgr_ctx *ctx, const char *bdf);
/** NUMA node from sysfs numa_node. @return node >= 0, or -1 when unknown/absent. */
int vfmgr_dev_numa_node(const struct vfmgr_ctx *ctx, const char *bdf);
/**
 * Unbind a device from its driver (no-op when unbound).
 * @return 0 or -errno from <driver>/unbind.
 */
int vfmgr_dev_unbind(const struct vfmgr_ctx *ctx, const char *bdf);
/**
 * Bind a device to @p driver the driverctl/libvirt way: remember the current
 * driver, unbind, write driver_override, write the BDF to
 * /sys/bus/pci/drivers_probe, wait (bounded) for the driver link, and for
 * vfio-pci check /dev/vfio/<group>. On any failure roll back: clear the
 * override and re-bind the previous driver.
 * @param driver e.g. "vfio-pci"; the driver directory must exist.
 * @return 0; -ENOENT (driver not loaded: message says modprobe), -ETIMEDOUT
 *         (no driver bound within wait_ms), -EIO (another driver bound),
 *         -ENODEV (vfio-pci: no IOMMU group or /dev/vfio/<group> missing), or
 *         the errno of a sysfs write; the device is rolled back first.
 */
int vfmgr_dev_bind(const struct vfmgr_ctx *ctx, const char *bdf, const char *driver);
/**
 * Give a device back to its host driver: unbind, clear driver_override
 * (write "\n"), drivers_probe.
 * @return 0 or -errno.
 */
int vfmgr_dev_bind_host(const struct vfmgr_ctx *ctx, const char *bdf);
/** @} */

/* ------------------------------------------------------------------------- */
/** @name SR-IOV (sriov.c; drivers/pci/iov.c) */
/** @{ */

/**
 * Set sriov_numvfs of a PF: sriov_drivers_autoprobe=0 first (when
 * @p autoprobe_off), then 0 if the current count is non-zero and different
 * (the kernel answers EBUSY otherwise), then N; then wait (bounded) for the N
 * virtfnN links and each VF's physfn link.
 * Refuses (-EBUSY) when any VF of the PF is owned unless VFMGR_F_FORCE.
 * @return 0; -ENODEV (not SR-IOV capable: no sriov_totalvfs), -ERANGE
 *         (N > sriov_totalvfs), -ENOENT (PF has no driver, or one without
 *         sriov_configure), -EBUSY (owned VFs, or the kernel refused),
 *         -ETIMEDOUT (only K of N VFs appeared; the count is set back to 0),
 *         or the write errno.
 */
int vfmgr_sriov_set_numvfs(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int n,
			   bool autoprobe_off, unsigned int flags);
/**
 * Wait (bounded by the context's wait_ms) until the PF has exactly @p n
 * virtfnN links and each VF has its physfn link.
 * @return 0 or -ETIMEDOUT (message "K of N VFs appeared").
 */
int vfmgr_sriov_wait_vfs(const struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int n);
/** BDF of VF @p index of a PF (virtfnN link). @return 0 or -ENOENT. */
int vfmgr_sriov_vf_bdf(const struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index,
		       char out[VFMGR_BDF_LEN]);
/** @} */

/* ------------------------------------------------------------------------- */
/** @name VF attributes over rtnetlink (netlink.c; include/uapi/linux/if_link.h) */
/** @{ */

/**
 * Build an RTM_SETLINK request on the PF carrying
 * IFLA_VFINFO_LIST > IFLA_VF_INFO > {IFLA_VF_MAC, IFLA_VF_VLAN_LIST >
 * IFLA_VF_VLAN_INFO, IFLA_VF_SPOOFCHK, IFLA_VF_TRUST, IFLA_VF_LINK_STATE,
 * IFLA_VF_RATE} for the fields set in @p a.
 * @param buf buffer of at least MNL_SOCKET_BUFFER_SIZE bytes. @param len its size.
 * @param ifindex PF interface index. @param vf VF index. @param seq sequence number.
 * @return message length, or -ENOSPC.
 */
int vfmgr_nl_build_setlink(void *buf, size_t len, int ifindex, unsigned int vf,
			   const struct vfmgr_vf_attrs *a, uint32_t seq);
/**
 * Build an RTM_GETLINK request for one interface with IFLA_EXT_MASK = RTEXT_FILTER_VF.
 * @param ifname PF name (used when ifindex is 0). @return message length or -ENOSPC.
 */
int vfmgr_nl_build_getlink(void *buf, size_t len, int ifindex, const char *ifname, uint32_t seq);
/**
 * Parse the IFLA_VFINFO_LIST of an RTM_NEWLINK message.
 * @param nlh the message. @param[out] attrs array indexed by VF index.
 * @param max entries in @p attrs. @param[out] n_vfs highest VF index + 1 seen.
 * @param[out] ifname interface name (IFLA_IFNAME), may be NULL.
 * @return 0, -EINVAL (not an RTM_NEWLINK / malformed attributes), -ENOENT (no VF info).
 */
int vfmgr_nl_parse_vfinfo(const void *nlh, struct vfmgr_vf_attrs *attrs, unsigned int max,
			  unsigned int *n_vfs, char ifname[VFMGR_IFNAME_LEN]);
/**
 * Read all VF attributes of a PF netdev (RTM_GETLINK, RTEXT_FILTER_VF).
 * @param[out] attrs array of @p max. @param[out] n_vfs VFs reported.
 * @return 0, -ENODEV, -ENOENT (no VF info: no SR-IOV netdev), -errno.
 */
int vfmgr_vf_get_attrs(const char *pf_ifname, struct vfmgr_vf_attrs *attrs, unsigned int max,
		       unsigned int *n_vfs);
/**
 * @return true when any field set in @p want is missing from, or different
 *         in, @p have (i.e. the VF needs re-applying); fields not set in
 *         @p want are ignored.
 */
bool vfmgr_attrs_differ(const struct vfmgr_vf_attrs *want, const struct vfmgr_vf_attrs *have);
/**
 * Is a device bound to a host driver in use by the host (hostuse.c)? Network:
 * netdev up, enslaved, with addresses (real root), or moved to another netns;
 * block: a disk or partition mounted, held (dm/md) or open by a process.
 * @param driver the device's current driver ("" / vfio-pci / pci-pf-stub: not in use).
 * @param why receives "; "-separated reasons, each with how to release it.
 * @param devs receives the netdevs and block devices found (removed when unbound).
 * @return 1 in use, 0 not.
 */
int vfmgr_dev_host_use(const struct vfmgr_ctx *ctx, const char *bdf, const char *driver, char *why,
		       size_t wlen, char *devs, size_t dlen);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name Pre-flight checks (iommu.c) */
/** @{ */

/** Outcome of one check. */
enum vfmgr_check_status { VFMGR_CHECK_OK = 0, VFMGR_CHECK_WARN = 1, VFMGR_CHECK_FAIL = 2 };
/** One check result. */
struct vfmgr_check {
	char name[48]; /**< "iommu", "vfio-pci", "hugepages", "group 0000:01:00.2", ... */
	enum vfmgr_check_status status; /**< ok / warn / fail */
	int code; /**< enum vfmgr_exit of a failure: the code any command gives this cause */
	char msg[512]; /**< what was found and, unless ok, the fix */
};
/** A list of check results. */
struct vfmgr_checks {
	struct vfmgr_check *v; /**< results */
	unsigned int n; /**< entries */
	unsigned int n_fail; /**< entries with VFMGR_CHECK_FAIL */
};
/**
 * Is an IOMMU active? (/sys/class/iommu non-empty or
 * /sys/kernel/iommu_groups non-empty; VFIO no-IOMMU mode
 * (/sys/module/vfio/parameters/enable_unsafe_noiommu_mode = Y) only counts
 * with opts.allow_unsafe_noiommu.)
 * @return 1 active, 0 no-IOMMU accepted, -ENODEV (message names the fix:
 *         intel_iommu=on / amd_iommu=on on the kernel command line).
 */
int vfmgr_iommu_check(const struct vfmgr_ctx *ctx);
/**
 * Check that a VF's IOMMU group holds only that VF (bridges excepted:
 * PCI class 0x0604xx, per drivers/vfio/vfio.c).
 * @return 0; -EXDEV (exit 3, "refused") with message "VF <bdf> (pf <pf> vf <n>) shares IOMMU
 *         group <g> with <members>: each VF needs its own group (ACS on the
 *         path); refusing"; -ENOENT (no iommu_group link).
 */
int vfmgr_vf_group_check(const struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index);
/**
 * Predict, before any VF exists, whether the PF's VFs can be alone in their IOMMU groups:
 * they cannot when the PF's own group already holds another device (a root port without
 * ACS above it, a multi-function sibling): VFs join the PF's group.
 * @return 0, or -EXDEV naming the group and its members.
 */
int vfmgr_pf_group_predict(const struct vfmgr_ctx *ctx, const struct vfmgr_pf *pf);

/**
 * Run all host checks: IOMMU active, vfio-pci driver present
 * (/sys/bus/pci/drivers/vfio-pci, /sys/module/vfio_pci), hugepages
 * (/proc/meminfo HugePages_Total/Free), and, when @p conf is given, for each
 * configured PF: exists, SR-IOV capable, numvfs <= totalvfs, and each existing
 * VF's group is viable.
 * @param conf may be NULL. @param[out] out results, free with vfmgr_checks_free().
 * @return number of failed checks (>= 0) or -ENOMEM.
 */
int vfmgr_preflight(struct vfmgr_ctx *ctx, const struct vfmgr_conf *conf, struct vfmgr_checks *out);
/** Free check results (the struct itself is the caller's). */
void vfmgr_checks_free(struct vfmgr_checks *c);
/** @} */

/* ------------------------------------------------------------------------- */
/** @name NUMA placement (numa.c) */
/** @{ */

/**
 * Distance between two NUMA nodes: libnuma numa_distance() when root is "/",
 * else <root>/sys/devices/system/node/node<a>/distance.
 * @return distance (10 = local), or -1 when unknown.
 */
int vfmgr_numa_distance(const struct vfmgr_ctx *ctx, int a, int b);
/**
 * Choose a free VF (no owner, bound to vfio-pci, group viable) for a domain
 * whose memory/vCPUs are on the nodes of @p nodemask (bit n = node n).
 * @param pf_bdf restrict to one PF (NULL = all).
 * @param nodemask domain nodes (0 = unknown: treated as policy any).
 * @param[out] out chosen VF (points into @p host).
 * @return 0; -ENODEV "no free VF on node(s) ... (policy required); free VFs:
 *         ..." ; -ENOSPC no free VF at all.
 */
int vfmgr_numa_choose(const struct vfmgr_ctx *ctx, const struct vfmgr_host *host,
		      const char *pf_bdf, uint64_t nodemask, enum vfmgr_numa_policy policy,
		      const struct vfmgr_vf **out);
/** @} */

/* ------------------------------------------------------------------------- */
/** @name Plan and apply (plan.c) */
/** @{ */

/** JSON array of {"pf","vf","kind","text"}. @return new reference. */
struct json_t *vfmgr_plan_to_json(const struct vfmgr_plan *plan);
/**
 * Convenience: resolve, discover, plan, and apply.
 * @return as vfmgr_plan_build() / vfmgr_plan_apply().
 */
int vfmgr_apply(struct vfmgr_ctx *ctx, struct vfmgr_conf *conf, unsigned int flags);
/** @} */

/* ------------------------------------------------------------------------- */
/** @name Journal (journal.c) */
/** @{ */

/**
 * Opaque journaled operation (transaction). File <state>/journal/<id>.json, rewritten
 * atomically (temp file, fsync, rename, fsync dir) at begin and each step:
 * {"id","type","key","intent":{..},"steps":[{"name","data"}],"state"}.
 *
 * Crash points: if env VFMGR_CRASHPOINT=N is set, the process raise(SIGKILL)s
 * right before writing its N-th step record (counted per process from 1,
 * commit included; a forked child starts from 0 again).
 * If env VFMGR_CRASHPOINT_COUNT=<file> is set, the process-wide count of steps
 * so far is written to that file at each step.
 */
struct vfmgr_txn;
/**
 * Begin an operation: write the intent record before acting.
 * @param type "apply", "assign", "release", ... (selects the recover handler).
 * @param key the object (PF BDF, "pf/vf") — informative.
 * @param intent JSON object describing what will be done (reference is taken).
 * @param[out] out operation handle.
 * @return 0 or -errno (state dir not writable: message names it).
 */
int vfmgr_journal_begin(struct vfmgr_ctx *ctx, const char *type, const char *key,
			struct json_t *intent, struct vfmgr_txn **out);
/**
 * Record that step @p name is about to be done (crash point hook first).
 * @param data optional JSON (reference is taken), e.g. previous driver.
 * @return 0 or -errno.
 */
int vfmgr_journal_step(struct vfmgr_txn *op, const char *name, struct json_t *data);
/** Operation finished: remove its journal file and free @p op. @return 0 or -errno. */
int vfmgr_journal_commit(struct vfmgr_txn *op);
/** Operation rolled back on purpose: remove its journal file and free @p op. */
int vfmgr_journal_abort(struct vfmgr_txn *op);
/** @return the intent object (borrowed). */
struct json_t *vfmgr_txn_intent(const struct vfmgr_txn *op);
/**
 * Recovery handler for one operation type: finish or roll back.
 * @param intent the intent object. @param steps array of {"name","data"}
 *        recorded (the last one may not have completed).
 * @return 0 when reconciled (the journal file is then removed), -errno to keep it.
 */
typedef int (*vfmgr_recover_fn)(struct vfmgr_ctx *ctx, const struct json_t *intent,
				const struct json_t *steps, void *user);
/** Handler registration for vfmgr_journal_recover(). */
struct vfmgr_recover_handler {
	const char *type; /**< operation type */
	vfmgr_recover_fn fn; /**< handler */
	void *user; /**< passed back */
};
/**
 * Reconcile every journal file with the host: "apply" is handled inside
 * (rolls the PF back to the intent's previous state, then the caller
 * re-applies the configuration); other types go to @p handlers.
 * Unknown types are left in place and counted as failures (-EOPNOTSUPP: no handler).
 * @return number of operations recovered, or -errno of the first failure.
 */
int vfmgr_journal_recover(struct vfmgr_ctx *ctx, const struct vfmgr_recover_handler *handlers,
			  unsigned int n);
/** @} */

/* ------------------------------------------------------------------------- */
/** @name Ownership (owner.c) */
/** @{ */

/**
 * Owner of a VF. @param[out] dom buffer ("" when free), may be NULL.
 * @return 1 owned, 0 free, -errno (state file unreadable / corrupt: message names it).
 */
int vfmgr_owner_get(const struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index, char *dom,
		    size_t len);
/**
 * Record that @p dom owns the VF.
 * @return 0 (also if already owned by @p dom), -EBUSY when owned by another
 *         domain (message names it), -errno on I/O.
 */
int vfmgr_owner_set(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index, const char *dom);
/**
 * Clear ownership. @param dom expected owner (NULL = any).
 * @return 0 (also if already free), -EPERM when owned by a different domain.
 */
int vfmgr_owner_clear(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index,
		      const char *dom);
/** All owners as {"<pf>/<index>": "<domain>"}. @return 0 or -errno; *out new reference. */
int vfmgr_owner_list(const struct vfmgr_ctx *ctx, struct json_t **out);
/** @} */

/* ------------------------------------------------------------------------- */
/** @name PF/VF locks (lock.c) */
/** @{ */

/** Lock a PF (blocks). @return 0 or -ENOMEM. */
int vfmgr_lock_pf(struct vfmgr_ctx *ctx, const char *pf_bdf);
/** Unlock a PF. */
void vfmgr_unlock_pf(struct vfmgr_ctx *ctx, const char *pf_bdf);
/** Lock a VF (pf, index) (blocks). @return 0 or -ENOMEM. */
int vfmgr_lock_vf(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index);
/** Unlock a VF. */
void vfmgr_unlock_vf(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned int index);
/** @} */

/* ------------------------------------------------------------------------- */
/** @name libvirt (libvirt.c, libvirt >= 9.0) */
/** @{ */

/** Host CPUs tracked for a domain's pinning. */
#define VFMGR_VIRT_MAX_CPUS 1024
/** NUMA nodes tracked (bit n of a node mask = node n). */
#define VFMGR_VIRT_MAX_NODES 64
/** Where a libvirt domain lives, from its XML and the host topology. */
struct vfmgr_placement {
	char name[VFMGR_DOMAIN_LEN]; /**< domain name */
	bool active; /**< running (virDomainIsActive) */
	bool persistent; /**< has a persistent definition */
	uint64_t nodes; /**< NUMA nodes used: numatune + nodes of pinned CPUs (0 = unknown) */
	uint64_t numatune_nodes; /**< nodes of <numatune><memory nodeset> only */
	int n_pinned; /**< pinned host CPUs (0 = not pinned) */
	uint8_t pinned[VFMGR_VIRT_MAX_CPUS / 8]; /**< bitmap of pinned host CPUs */
};
/** Form of the device XML handed to libvirt. */
enum vfmgr_hostdev_form {
	VFMGR_HOSTDEV_INTERFACE =
		0, /**< <interface type='hostdev' managed='no'> + <mac>/<vlan> (stable guest MAC) */
	VFMGR_HOSTDEV_PLAIN =
		1, /**< <hostdev mode='subsystem' type='pci' managed='no'><driver name='vfio'/> */
};
/** A VF as a libvirt device. */
struct vfmgr_hostdev {
	char bdf[VFMGR_BDF_LEN]; /**< VF PCI address */
	enum vfmgr_hostdev_form form; /**< XML form */
	bool has_mac; /**< @ref mac is meaningful (interface form) */
	uint8_t mac[6]; /**< guest MAC (interface form) */
	int vlan; /**< VLAN 1..4094, or -1 for none (interface form) */
};
/** How a device change reached libvirt. */
enum vfmgr_virt_path {
	VFMGR_VIRT_NONE = 0, /**< nothing changed */
	VFMGR_VIRT_HOTPLUG = 1, /**< virDomainAttach/DetachDeviceFlags */
	VFMGR_VIRT_REDEFINE =
		2, /**< inactive domain, driver without attach-device: XML edited + virDomainDefineXML */
};
/**
 * Open a libvirt connection (virConnectOpen). libvirt's default stderr error
 * printing is silenced; messages go to vfmgr_errmsg().
 * @param uri libvirt URI (NULL/"" = "qemu:///system"; tests: "test:///abs/node.xml").
 * @param[out] out handle, free with vfmgr_virt_close().
 * @return 0, -ENOMEM, -ECONNREFUSED (message names the URI and --connect).
 */
int vfmgr_virt_open(const char *uri, struct vfmgr_virt **out);
/** Take a reference (for a thread using the connection while another may replace it). @return @p v. */
struct vfmgr_virt *vfmgr_virt_ref(struct vfmgr_virt *v);
/** @return true while the connection to libvirt is alive (virConnectIsAlive). */
bool vfmgr_virt_alive(const struct vfmgr_virt *v);
/**
 * A domain's NUMA placement: <numatune><memory nodeset>, plus the nodes of its
 * pinned host CPUs (<cputune><vcpupin cpuset>, else <vcpu cpuset>) through the
 * capabilities' <topology><cells>; when libvirt reports no cells (the 9.0 test
 * driver with a custom node file), through <root>/sys/devices/system/node/nodeN/cpulist.
 * @param root root prefix for sysfs (NULL or "" = "/").
 * @return 0, -ENOENT (no such domain), -EIO, -EINVAL (unparsable cpuset/nodeset).
 */
int vfmgr_virt_placement(struct vfmgr_virt *v, const char *domain, const char *root,
			 struct vfmgr_placement *out);
/**
 * Parse a domain XML text (as virDomainGetXMLDesc() returns it): name, numatune memory
 * nodeset, pinned CPUs (vcpupin cpusets, else vcpu cpuset; libvirt syntax "0-3,^2,8").
 * Sets @ref vfmgr_placement.nodes to the numatune nodes only (no host topology here).
 * @return 0, -EINVAL (unparsable XML or cpuset/nodeset; message says which).
 */
int vfmgr_virt_parse_domain_xml(const char *xml, size_t len, struct vfmgr_placement *out);
/**
 * Does a domain XML text hold a PCI hostdev (either form) whose source is @p bdf?
 * @return 1, 0, -EINVAL (bad BDF or unparsable XML).
 */
int vfmgr_virt_xml_has_device(const char *xml, size_t len, const char *bdf);
/**
 * Build the device XML for @p hd (managed='no': vfmgr binds vfio-pci itself).
 * Schema: libvirt formatdomain "Host device assignment" / "PCI Passthrough".
 * @return malloc'd XML, or NULL with errno = EINVAL (bad BDF, VLAN outside 1..4094) / ENOMEM.
 */
char *vfmgr_virt_device_xml(const struct vfmgr_hostdev *hd);
/**
 * Attach a VF: running domain -> VIR_DOMAIN_AFFECT_LIVE|VIR_DOMAIN_AFFECT_CONFIG
 * (LIVE only if transient); inactive -> VIR_DOMAIN_AFFECT_CONFIG. If the driver
 * lacks attach-device (VIR_ERR_NO_SUPPORT, libvirt 9.0 test driver) and the
 * domain is inactive, the persistent XML (VIR_DOMAIN_XML_INACTIVE|SECURE) is
 * edited and redefined (virDomainDefineXML), then read back.
 * @param[out] path how it got in (may be NULL).
 * @return 0; -ENOTSUP (running domain, driver cannot hot-plug: message says
 *         VIR_ERR_NO_SUPPORT and what to do); -ENOENT no domain; -EEXIST VF
 *         already in the domain; -EIO other libvirt errors.
 */
int vfmgr_virt_attach(struct vfmgr_virt *v, const char *domain, const struct vfmgr_hostdev *hd,
		      enum vfmgr_virt_path *path);
/**
 * Detach a VF (matched by PCI address, either form) the same way. A live
 * detach is confirmed by polling the live XML for up to 10 s.
 * @return 0; -ENOENT (no domain, or VF not in it); -ENOTSUP; -ETIMEDOUT (guest
 *         has not released it); -EIO.
 */
int vfmgr_virt_detach(struct vfmgr_virt *v, const char *domain, const char *bdf,
		      enum vfmgr_virt_path *path);
/**
 * Is the VF in the domain's XML?
 * @param inactive look at the persistent definition (falls back to live XML for a transient domain).
 * @return 1 yes, 0 no, -ENOENT no such domain, -EINVAL bad BDF, -EIO.
 */
int vfmgr_virt_has_device(struct vfmgr_virt *v, const char *domain, const char *bdf, bool inactive);
/**
 * Does the connection forget on close? libvirt's test driver with a node file
 * ("test:///path/node.xml", "test+unix:///path?socket=...") builds a private state per
 * connection from the file, so its XML says nothing about what happened in another
 * process; test:///default is shared by the connections of one daemon.
 */
bool vfmgr_virt_volatile(const struct vfmgr_virt *v);

/**
 * Read every domain of the connection (virConnectListAllDomains: running and
 * shut off; live XML of running ones, persistent XML of persistent ones) and set
 * vfmgr_vf.held_by of each VF of @p host that a PCI hostdev (<hostdev> or
 * <interface type='hostdev'>) names. The first domain found wins.
 * @return number of VFs marked, -ECONNREFUSED (libvirt gone), -EIO.
 */
int vfmgr_virt_holders(struct vfmgr_virt *v, struct vfmgr_host *host);

/**
 * Domains (active or not, live or persistent XML) holding the VF.
 * @param[out] name first one found (may be NULL).
 * @return how many, or -errno.
 */
int vfmgr_virt_find_owner(struct vfmgr_virt *v, const char *bdf, char *name, size_t len);

/**
 * A domain's UUID (virDomainGetUUIDString), the consumer of its VFs in Placement.
 * @param[out] uuid 37 bytes.
 * @return 0, -ENOENT (no such domain), -ECONNREFUSED, -EIO.
 */
int vfmgr_virt_domain_uuid(struct vfmgr_virt *v, const char *domain, char uuid[37]);
/** @} */

/* ------------------------------------------------------------------------- */
/** @name Assign / release (assign.c) */
/** @{ */

/** What to assign. */
struct vfmgr_assign_req {
	const char *domain; /**< libvirt domain name */
	const char *pf; /**< PF BDF or netdev name (NULL = any configured PF) */
	int vf; /**< VF index on @ref pf, -1 = choose by NUMA policy */
	enum vfmgr_hostdev_form form; /**< device XML form (default interface) */
	bool force; /**< take a VF the host uses, or one off numa-policy=required */
};
/** What was done. */
struct vfmgr_assign_result {
	char domain[VFMGR_DOMAIN_LEN]; /**< domain */
	char pf_bdf[VFMGR_BDF_LEN]; /**< PF */
	unsigned int index; /**< VF index */
	char vf_bdf[VFMGR_BDF_LEN]; /**< VF address */
	int vf_numa_node; /**< VF's node (-1 unknown) */
	uint64_t domain_nodes; /**< domain's nodes (0 unknown) */
	enum vfmgr_virt_path path; /**< how libvirt took/released it */
	bool refused; /**< a pre-flight check refused (IOMMU, group) */
	int irqs; /**< MSI-X IRQs steered (assign) / restored (release); <0 errno */
	char note[512]; /**< extra information for the operator */
};
/**
 * The session's libvirt connection, opened on first use and re-opened when it died
 * (libvirtd restarted). The caller gets its own reference: vfmgr_virt_close() it.
 * @return 0 or -ECONNREFUSED (message names the URI).
 */
int vfmgr_session_virt(struct vfmgr_session *s, struct vfmgr_virt **out);
/**
 * Assign a VF to a domain: pre-flight (IOMMU, VF alone in its IOMMU group), choose
 * a free VF per the PF's NUMA policy for the domain's nodes (vfmgr_numa_choose()),
 * journal intent ("assign"), bind vfio-pci if needed, set MAC/VLAN from the
 * configuration, attach through libvirt, record ownership, steer MSI-X IRQs to the
 * domain's pinned CPUs (lib/irqpost), journal done. Holds the PF then the VF lock.
 * A failure after the intent rolls back (driver, attributes, no ownership).
 * Saved state for release: <state>/assigned/<pf>_<index>.json.
 * @return 0; -ENOENT (domain/PF/VF unknown); -EBUSY (VF owned, or group not
 *         viable: res->refused); -ENODEV/-ENOSPC (no free VF); -ENOTSUP
 *         (libvirt cannot hot-plug into this running domain); -errno.
 */
int vfmgr_assign(struct vfmgr_session *s, const struct vfmgr_assign_req *req,
		 struct vfmgr_assign_result *res);
/**
 * Release a VF: @p target is a VF BDF, "PF/index", "PF:index", or a domain name
 * (its first VF). Journal intent ("release"), detach through libvirt and only once
 * libvirt confirms the VF is out of the domain's XML restore the VF attributes
 * saved at assign time and the IRQ affinity, drop ownership, journal done.
 * @return 0; -ENOENT (nothing owned by / named @p target); -ENOTSUP / -ETIMEDOUT /
 *         -EIO from libvirt (the VF stays owned); -errno.
 */
int vfmgr_release(struct vfmgr_session *s, const char *target, struct vfmgr_assign_result *res);
/**
 * Record as owned the VFs that libvirt domain @p domain holds (live or persistent XML)
 * without an owner record, with a saved assignment marked "adopted" so release works.
 * @param[out] out {"domain", "adopted":[{"vf","pf","index"}], "already_owned":[bdf]}.
 * @return 0; -ENOENT (no such domain, or it holds no VF); -errno.
 */
int vfmgr_adopt(struct vfmgr_session *s, const char *domain, struct json_t **out);

/**
 * Journal recovery handlers for "assign" and "release" (user = @p s): ask libvirt
 * whether the VF is in the domain's XML; present -> finish (ownership recorded /
 * kept), absent -> roll back an assign (driver, attributes, no owner) or finish a
 * release (attributes and IRQs restored, owner dropped).
 * @param[out] h two handlers for vfmgr_journal_recover().
 * @return 2.
 */
unsigned int vfmgr_front_recover_handlers(struct vfmgr_session *s,
					  struct vfmgr_recover_handler h[2]);
/** @} */

/* ------------------------------------------------------------------------- */
/** @name Protocol helpers (proto.c) */
/** @{ */

/** @return the op named @p name or VFMGR_OP_INVALID. */
enum vfmgr_reqop vfmgr_op_from_name(const char *name);
/**
 * Map a negative errno from lib/vfmgr to a protocol/exit code.
 * @return enum vfmgr_exit value.
 */
int vfmgr_exit_from_errno(int err);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name Internal glue between files */
/** @{ */

/**
 * Recovery handler of journal type "apply" (plan.c): rolls the interrupted
 * PF forward (steps are idempotent), else back to the intent's previous state.
 * Callers put it in the table given to vfmgr_journal_recover(); journal.c
 * itself names no operation.
 */
extern const struct vfmgr_recover_handler vfmgr_apply_recover_handler;

/** Saved state of an assignment, <state>/assigned/<pf>_<index>.json. @return new reference or NULL. */
struct json_t *vfmgr_assigned_read(struct vfmgr_session *s, const char *pf, unsigned int idx);

/** VF named by a VF BDF, "PF/index" or "PF:index" (PF = BDF or netdev). @return it or NULL. */
const struct vfmgr_vf *vfmgr_find_vf_target(const struct vfmgr_host *h, const char *target);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name Metrics formatting (metrics.c), for tests */
/** @{ */
struct irqpost_detect;
/**
 * Write every series to @p f (no file handling): VF states from @p host (a VF on
 * vfio-pci whose vfmgr_vf.held_by names a domain, vfmgr_virt_holders(), counts as held),
 * @p pi (NULL: no posted-interrupt series), @p journal_pending (< 0 written as 0).
 * @return 0 or -EIO.
 */
int vfmgr_metrics_format(struct vfmgr_metrics *m, const struct vfmgr_ctx *ctx,
			 const struct vfmgr_host *host, const struct irqpost_detect *pi,
			 int journal_pending, FILE *f);
/** @} */

/* ------------------------------------------------------------------------- */
/** @name Metrics internals (metrics.c; placement_sync.c counts VFs the same way) */
/** @{ */
/** State of a VF as the metrics (and `vfmgr status`) count it; exactly one per VF. */
enum vfmgr_vf_state {
	VFMGR_VF_FREE = 0, /**< on vfio-pci, no owner, alone in its IOMMU group: assignable */
	VFMGR_VF_ASSIGNED = 1, /**< owned by a domain through vfmgr (owner record) */
	VFMGR_VF_HELD = 2, /**< in a libvirt domain's XML without a vfmgr owner record */
	VFMGR_VF_HOST = 3, /**< bound to a host driver (not vfio-pci) */
	VFMGR_VF_UNUSABLE = 4, /**< no driver bound, or its IOMMU group holds other devices */
};

/**
 * State of a discovered VF.
 * @param held a libvirt domain holds the VF (vfmgr_vf.held_by, vfmgr_virt_holders()).
 */
enum vfmgr_vf_state vfmgr_vf_state(const struct vfmgr_ctx *ctx, const struct vfmgr_vf *vf,
				   bool held);
/** @return "free", "assigned", "held", "host" or "unusable" (the metrics' state label). */
const char *vfmgr_vf_state_name(enum vfmgr_vf_state s);
/** @} */

#endif /* VFMGR_PRIV_H */
