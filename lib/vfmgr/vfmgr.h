/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VFMGR_H
#define VFMGR_H

/**
 * @file
 * lib/vfmgr: SR-IOV virtual function control plane.
 *
 * Configuration (INI, see lib/vfmgr/README.md), discovery of PFs/VFs from sysfs,
 * plan/apply of VF counts and vfio-pci binding, VF attributes over rtnetlink,
 * IOMMU/VFIO pre-flight checks, NUMA-aware VF choice, a crash-safe journal and
 * the VF ownership state file.
 *
 * Kernel semantics followed: Documentation/PCI/pci-iov-howto.rst,
 * drivers/pci/iov.c (sriov_numvfs_store), drivers/pci/pci-sysfs.c
 * (driver_override), drivers/base/bus.c (bind/unbind/drivers_probe),
 * drivers/vfio/vfio.c (group viability), include/uapi/linux/if_link.h.
 *
 * This header (the core), with vfmgr_proto.h (included here), vfmgr_libvirt.h
 * (session, recovery, request executor) and vfmgr_placement.h (OpenStack
 * Placement), holds what the applications (app/vfmgr, app/vfmgrd) use. The
 * library's building blocks (sysfs, binding, journal, ownership, libvirt,
 * assign/release, pre-flight, NUMA) are in the @internal vfmgr_priv.h, for the
 * library's own files and its tests.
 *
 * Conventions (lib/vfmgr/README.md "Error conventions" says why):
 * - every function returning int returns 0 (or a count) on success and a
 *   negative errno on failure;
 * - on failure a sentence naming the object and the fix is stored in a
 *   thread-local buffer read with vfmgr_errmsg();
 * - only the protocol decoders and the request executor, which answer a peer
 *   rather than report on the host, write their message into a caller's
 *   (char *err, size_t errlen); vfmgr_exec() returns an enum vfmgr_exit code.
 * Units: times in milliseconds, rates in Mbit/s, VLAN ids 0..4094.
 * VFs are keyed by (PF BDF "DDDD:BB:DD.F", VF index), never by ifname or IOMMU
 * group number.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#include "vfmgr_proto.h" /* enum vfmgr_reqop, enum vfmgr_exit (metrics count requests) */

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;
struct vfmgr_session;

/** Length of a PCI address "DDDD:BB:DD.F" including the NUL. */
#define VFMGR_BDF_LEN 13
/** Maximum length of a driver name kept (including NUL). */
#define VFMGR_DRV_LEN 64
/** Maximum length of a netdev name (IFNAMSIZ). */
#define VFMGR_IFNAME_LEN 16
/** Maximum length of a libvirt domain name kept (including NUL). */
#define VFMGR_DOMAIN_LEN 256
/** Maximum number of devices of one IOMMU group reported. */
#define VFMGR_GROUP_MAX 32
/** Maximum VF count accepted by the parser (16-bit TotalVFs field, PCIe SR-IOV cap). */
#define VFMGR_MAX_NUMVFS 65535
/** Size of the thread-local error buffer. */
#define VFMGR_ERRMSG_LEN 1024

/** Default configuration file. */
#define VFMGR_DEFAULT_CONF "/etc/vfmgr/vfmgr.conf"
/** Default state directory (journal, ownership file); created 0700. */
#define VFMGR_DEFAULT_STATE_DIR "/var/lib/vfmgr"
/** Default bounded wait for VFs to appear after sriov_numvfs, in milliseconds. */
#define VFMGR_DEFAULT_WAIT_MS 5000

/* ------------------------------------------------------------------------- */
/** @name Errors and logging */
/** @{ */

/**
 * Last error message of the calling thread.
 * @return the sentence set by the last failing vfmgr call in this thread
 *         ("" if none). Valid until the next vfmgr call in this thread.
 */
const char *vfmgr_errmsg(void);

/** Log priorities (syslog values). */
enum vfmgr_log_prio {
	VFMGR_LOG_ERR = 3,
	VFMGR_LOG_WARNING = 4,
	VFMGR_LOG_INFO = 6,
	VFMGR_LOG_DEBUG = 7
};

/** Log callback: one line, no trailing newline. */
typedef void (*vfmgr_log_fn)(int prio, const char *msg, void *user);

/**
 * Install the process-wide log callback (default: none, messages dropped).
 * @param fn callback or NULL to disable logging.
 * @param user passed back to @p fn.
 */
void vfmgr_set_log(vfmgr_log_fn fn, void *user);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name Context */
/** @{ */

/** Options of a context; zero-initialise, then set what you need. */
struct vfmgr_opts {
	/** Root prefix for /sys, /dev and /proc (NULL or "" = "/"). Tests point it at a fixture. */
	const char *root;
	/** Journal and ownership directory (NULL = VFMGR_DEFAULT_STATE_DIR). Not prefixed by root. */
	const char *state_dir;
	/** Bounded wait for VFs to appear / driver links to settle, ms (0 = VFMGR_DEFAULT_WAIT_MS). */
	unsigned int wait_ms;
	/** Accept VFIO no-IOMMU mode (unsafe: no DMA isolation). */
	bool allow_unsafe_noiommu;
	/**
	 * Called (with @ref on_step_user) from the applying thread before each step of an
	 * apply, of an apply's journal recovery and of a PF's rollback; each step's waits are
	 * bounded by @ref wait_ms. vfmgrd pings the systemd watchdog from it (sd_notify
	 * WATCHDOG=1). NULL: none.
	 */
	void (*on_step)(void *user);
	void *on_step_user; /**< passed to @ref on_step */
};

/** Opaque context: root prefix, state dir, lock table. Thread-safe after creation. */
struct vfmgr_ctx;

/**
 * Create a context. Creates the state directory (mode 0700) if missing.
 * @param opts options (NULL = all defaults).
 * @param[out] out new context, free with vfmgr_ctx_free().
 * @return 0, -ENOMEM, or the errno of mkdir() on the state directory.
 */
int vfmgr_ctx_new(const struct vfmgr_opts *opts, struct vfmgr_ctx **out);

/** Free a context (NULL is ignored). */
void vfmgr_ctx_free(struct vfmgr_ctx *ctx);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name Configuration (/etc/vfmgr/vfmgr.conf, INI parsed with inih; format in README.md) */
/** @{ */

/** NUMA placement policy for choosing a VF for a domain. */
enum vfmgr_numa_policy {
	VFMGR_NUMA_ANY = 0, /**< any free VF */
	VFMGR_NUMA_PREFERRED = 1, /**< local node first, then nearest by numa_distance */
	VFMGR_NUMA_REQUIRED = 2, /**< only a VF on one of the domain's nodes, else -ENODEV */
};

/** VF link state, values of IFLA_VF_LINK_STATE_* (include/uapi/linux/if_link.h). */
enum vfmgr_link_state {
	VFMGR_LINK_AUTO = 0, /**< IFLA_VF_LINK_STATE_AUTO */
	VFMGR_LINK_ENABLE = 1, /**< IFLA_VF_LINK_STATE_ENABLE */
	VFMGR_LINK_DISABLE = 2, /**< IFLA_VF_LINK_STATE_DISABLE */
};

/** Bits of vfmgr_vf_attrs.set: which fields are meaningful. */
enum vfmgr_attr_bits {
	VFMGR_ATTR_MAC = 1u << 0, /**< mac */
	VFMGR_ATTR_VLAN = 1u << 1, /**< vlan, qos, vlan_proto */
	VFMGR_ATTR_SPOOFCHK = 1u << 2, /**< spoofchk */
	VFMGR_ATTR_TRUST = 1u << 3, /**< trust */
	VFMGR_ATTR_LINK_STATE = 1u << 4, /**< link_state */
	VFMGR_ATTR_RATE = 1u << 5, /**< min_rate, max_rate */
};

/** VF attributes as set in the PF driver over rtnetlink (IFLA_VF_*). */
struct vfmgr_vf_attrs {
	uint32_t set; /**< VFMGR_ATTR_* bits of the fields present */
	uint8_t mac[6]; /**< IFLA_VF_MAC */
	uint16_t vlan; /**< 0..4095 (0 = no VLAN), IFLA_VF_VLAN_INFO.vlan */
	uint8_t qos; /**< 802.1p priority 0..7 */
	uint16_t vlan_proto; /**< host order: 0x8100 (802.1Q) or 0x88a8 (802.1ad) */
	bool spoofchk; /**< IFLA_VF_SPOOFCHK */
	bool trust; /**< IFLA_VF_TRUST */
	uint8_t link_state; /**< enum vfmgr_link_state */
	uint32_t min_rate; /**< Mbit/s, IFLA_VF_RATE.min_tx_rate */
	uint32_t max_rate; /**< Mbit/s, IFLA_VF_RATE.max_tx_rate (0 = unlimited) */
};

/**
 * [placement] section of vfmgr.conf (vfmgr.conf(5)). Placement API reference:
 * https://docs.openstack.org/api-ref/placement/ (microversion 1.39, Placement 8.0.0).
 */
struct vfmgr_pl_conf {
	char url[256]; /**< Placement endpoint ("" = not published), e.g. http://127.0.0.1:8778 */
	char host[64]; /**< root provider name ("" = gethostname()) */
	char token[128]; /**< X-Auth-Token (default "admin": noauth2; a Keystone token otherwise) */
	unsigned interval_s; /**< periodic reconciliation, seconds (default 60, 1..86400) */
	unsigned timeout_ms; /**< one HTTP request, milliseconds (default 5000) */
	unsigned claim_grace_s; /**< an allocation on this host not backed by an assigned VF is an
				     in-flight claim for this long, then removed (default 60) */
	char fleet_socket[256]; /**< vfmgr fleet: vfmgrd socket of a host, "%h" = its name
				     (default "/run/vfmgr/%h.sock") */
	char project[64]; /**< project_id/user_id of new consumers (default "vfmgr") */
};

/** Fill @p pc with the [placement] defaults above (url empty; config.c). */
void vfmgr_pl_conf_defaults(struct vfmgr_pl_conf *pc);

/** One [vf "<pf>" N] section. */
struct vfmgr_vf_conf {
	unsigned int index; /**< VF index N (0-based, < numvfs) */
	struct vfmgr_vf_attrs attrs; /**< attributes to set */
	unsigned int line; /**< line of the section header */
};

/** One [pf "<id>"] section. */
struct vfmgr_pf_conf {
	char id[32]; /**< as written: BDF or MAC */
	bool by_mac; /**< selected by permanent MAC */
	uint8_t perm_mac[6]; /**< permanent MAC when by_mac */
	char bdf[VFMGR_BDF_LEN]; /**< BDF (given, or resolved by vfmgr_conf_resolve()) */
	unsigned int numvfs; /**< VFs wanted */
	char driver
		[VFMGR_DRV_LEN]; /**< VF driver: "vfio-pci" (default) or "none" (leave unbound/host) */
	enum vfmgr_numa_policy numa_policy; /**< default from [global], else preferred */
	char physnet[64]; /**< physical network (Placement trait CUSTOM_PHYSNET_*; "" none) */
	struct vfmgr_vf_conf *vfs; /**< per-VF sections, sorted by index */
	unsigned int n_vfs; /**< entries in vfs */
	unsigned int line; /**< line of the section header */
};

/** A parsed configuration. */
struct vfmgr_conf {
	char path[256]; /**< file name used in messages */
	char state_dir[256]; /**< [global] state-dir ("" = default) */
	unsigned int wait_ms; /**< [global] wait-timeout-ms (0 = default) */
	enum vfmgr_numa_policy numa_policy; /**< [global] numa-policy */
	struct vfmgr_pf_conf *pfs; /**< PF sections in file order */
	unsigned int n_pfs; /**< entries in pfs */
	struct vfmgr_pl_conf placement; /**< [placement] (url "" = not published) */
};

/**
 * Parse a configuration file (see vfmgr_conf_parse()).
 * @return 0, -EINVAL (message "file:line: reason"), or -errno of open/read
 *         (message names the file).
 */
int vfmgr_conf_load(const char *path, struct vfmgr_conf **out);

/** Free a configuration (NULL ignored). */
void vfmgr_conf_free(struct vfmgr_conf *conf);

/**
 * Resolve PFs selected by permanent MAC to BDFs, using discovery.
 * @return 0; -ENODEV naming the MAC when no PF has it; -EEXIST if two PF
 *         sections end up naming the same PF.
 */
int vfmgr_conf_resolve(struct vfmgr_ctx *ctx, struct vfmgr_conf *conf);

/** Find the VF section of a PF. @return it or NULL. */
const struct vfmgr_vf_conf *vfmgr_conf_find_vf(const struct vfmgr_pf_conf *pf, unsigned int index);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name Discovery (sysfs under the root prefix, rtnetlink for VF attributes) */
/** @{ */

/** A discovered VF. */
struct vfmgr_vf {
	char bdf[VFMGR_BDF_LEN]; /**< VF PCI address */
	char pf_bdf[VFMGR_BDF_LEN]; /**< parent PF */
	unsigned int index; /**< N of the PF's virtfnN link */
	uint16_t vendor, device; /**< PCI ids */
	char driver[VFMGR_DRV_LEN]; /**< bound driver ("" = none) */
	char driver_override[VFMGR_DRV_LEN]; /**< driver_override ("" = none) */
	int iommu_group; /**< group number (-1 = none); never a key */
	unsigned int n_group_members; /**< devices in the group, including this VF */
	char group_members[VFMGR_GROUP_MAX][VFMGR_BDF_LEN]; /**< their BDFs, sorted */
	bool vfio_dev; /**< /dev/vfio/<group> exists */
	int numa_node; /**< sysfs numa_node (-1 unknown) */
	char netdev[VFMGR_IFNAME_LEN]; /**< VF netdev name ("" none) */
	bool attrs_known; /**< attrs read from the PF over netlink */
	struct vfmgr_vf_attrs attrs; /**< VF attributes (valid if attrs_known) */
	char owner[VFMGR_DOMAIN_LEN]; /**< owning domain from the state file ("" = free) */
	bool numa_assumed; /**< numa_node was -1 and the host has one node: 0 assumed */
	/**
	 * libvirt domain whose XML (live or persistent, <hostdev> or <interface type='hostdev'>)
	 * holds the VF ("" = none, or libvirt not asked). Filled by vfmgr_session_discover().
	 * Held without an owner record = externally held: in use, never free.
	 */
	char held_by[VFMGR_DOMAIN_LEN];
	/** Why the host uses the VF through its host driver ("" = it does not); see hostuse.c. */
	char host_use[384];
	/** Netdevs and block devices of the VF that unbinding or destroying it removes ("" none). */
	char host_devs[128];
};

/** A discovered SR-IOV PF (device with sriov_totalvfs). */
struct vfmgr_pf {
	char bdf[VFMGR_BDF_LEN]; /**< PF PCI address */
	uint16_t vendor, device; /**< PCI ids */
	char driver[VFMGR_DRV_LEN]; /**< bound driver ("" none) */
	int numa_node; /**< sysfs numa_node (-1 unknown) */
	int iommu_group; /**< -1 = none */
	char netdev[VFMGR_IFNAME_LEN]; /**< PF netdev ("" none: VF attributes unavailable) */
	bool has_perm_mac; /**< perm_mac valid */
	uint8_t perm_mac
		[6]; /**< permanent MAC (IFLA_PERM_ADDRESS, or address when addr_assign_type=0) */
	unsigned int n_group_members; /**< devices in the PF's IOMMU group, including the PF */
	char group_members[VFMGR_GROUP_MAX][VFMGR_BDF_LEN]; /**< their BDFs, sorted */
	int link_speed; /**< PF netdev link speed in Mbit/s (sysfs net/<if>/speed, as ethtool); -1 unknown */
	unsigned int totalvfs; /**< sriov_totalvfs */
	unsigned int numvfs; /**< sriov_numvfs */
	int autoprobe; /**< sriov_drivers_autoprobe (-1 unknown) */
	struct vfmgr_vf *vfs; /**< VFs sorted by index */
	unsigned int n_vfs; /**< entries in vfs (virtfnN links present) */
};

/** The host's SR-IOV view. */
struct vfmgr_host {
	struct vfmgr_pf *pfs; /**< PFs sorted by BDF */
	unsigned int n_pfs; /**< entries */
};

/**
 * Discover PFs and VFs under <root>/sys/bus/pci/devices; VF attributes from
 * RTM_GETLINK (RTEXT_FILTER_VF) on the PF netdev when one exists; owners from
 * the state file.
 * @param[out] out host view, free with vfmgr_host_free().
 * @return 0, -ENOENT (no /sys/bus/pci/devices under root), -ENOMEM.
 */
int vfmgr_discover(struct vfmgr_ctx *ctx, struct vfmgr_host **out);

/** Free a host view (NULL ignored). */
void vfmgr_host_free(struct vfmgr_host *host);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name SR-IOV (drivers/pci/iov.c semantics) */
/** @{ */

/** Flags for vfmgr_sriov_set_numvfs(), vfmgr_plan_build() and vfmgr_plan_apply(). */
enum vfmgr_flags {
	VFMGR_F_FORCE = 1u << 0, /**< change VF count even if VFs are owned by domains */
	VFMGR_F_DRY_RUN = 1u << 1, /**< plan only */
	VFMGR_F_NO_ATTRS = 1u << 2, /**< skip netlink VF attributes */
};

/** @} */

/* ------------------------------------------------------------------------- */
/** @name VF attributes over rtnetlink (libmnl; include/uapi/linux/if_link.h) */
/** @{ */

/**
 * Set VF attributes on the PF netdev (RTM_SETLINK, one request per field
 * group so a driver rejecting one field is named), then read back with
 * RTM_GETLINK and compare.
 * @return 0; -ENODEV (no such PF netdev); the kernel's -errno, message
 *         "PF <ifname>: kernel refused VF <n> <field>: <strerror> (<extack>)";
 *         -EIO when the read-back differs.
 */
int vfmgr_vf_set_attrs(const char *pf_ifname, unsigned int vf, const struct vfmgr_vf_attrs *a);

/**
 * Which configured VFs of a PF have lost their attributes (PF reset or driver
 * reload: the attributes live in the PF driver, include/uapi/linux/if_link.h).
 * @param pc the PF's configuration. @param have attributes read from the
 *        kernel (e.g. by the monitor callback), indexed by VF.
 * @param n_have entries in @p have (a configured VF >= n_have counts as lost).
 * @param[out] idx VF indexes that need re-applying (may be NULL). @param max its size.
 * @return number of such VFs (0: nothing to do).
 */
unsigned int vfmgr_attrs_drift(const struct vfmgr_pf_conf *pc, const struct vfmgr_vf_attrs *have,
			       unsigned int n_have, unsigned int *idx, unsigned int max);

/** Opaque RTM_NEWLINK monitor (RTNLGRP_LINK). */
struct vfmgr_nl_monitor;

/**
 * Called for each RTM_NEWLINK carrying VF info.
 * @param ifname PF netdev. @param attrs VF attributes by index. @param n_vfs count.
 */
typedef void (*vfmgr_nl_monitor_cb)(const char *ifname, int ifindex,
				    const struct vfmgr_vf_attrs *attrs, unsigned int n_vfs,
				    void *user);

/**
 * Open a netlink socket subscribed to RTNLGRP_LINK. RTM_NEWLINK for a PF
 * does not carry VF info by itself, so vfmgr_nl_monitor_dispatch() re-reads
 * the link with RTEXT_FILTER_VF and calls the callback; the daemon compares
 * with the configuration (vfmgr_attrs_differ()) and re-applies after a PF
 * reset/driver reload.
 * @return 0 or -errno.
 */
int vfmgr_nl_monitor_open(struct vfmgr_nl_monitor **out);
/** @return the socket fd for poll()/sd_event. */
int vfmgr_nl_monitor_fd(const struct vfmgr_nl_monitor *mon);
/**
 * Read pending messages (non-blocking) and call @p cb for links with VF info.
 * @return number of callbacks made, or -errno.
 */
int vfmgr_nl_monitor_dispatch(struct vfmgr_nl_monitor *mon, vfmgr_nl_monitor_cb cb, void *user);
/** Close the monitor (NULL ignored). */
void vfmgr_nl_monitor_close(struct vfmgr_nl_monitor *mon);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name Plan and apply */
/** @{ */

/** Kind of a plan step. */
enum vfmgr_step_kind {
	VFMGR_STEP_AUTOPROBE_OFF, /**< sriov_drivers_autoprobe = 0 */
	VFMGR_STEP_NUMVFS, /**< sriov_numvfs = value (0-then-N handled inside) + wait */
	VFMGR_STEP_BIND, /**< bind VF to driver */
	VFMGR_STEP_ATTRS, /**< set VF attributes over netlink */
};

/** One step. */
struct vfmgr_step {
	enum vfmgr_step_kind kind; /**< what */
	char pf_bdf[VFMGR_BDF_LEN]; /**< PF */
	int vf; /**< VF index or -1 */
	unsigned int value; /**< numvfs value */
	char driver[VFMGR_DRV_LEN]; /**< bind target */
	char pf_netdev[VFMGR_IFNAME_LEN]; /**< for ATTRS */
	struct vfmgr_vf_attrs attrs; /**< for ATTRS */
	char text[256]; /**< human description */
};

/** A plan: steps grouped by PF in order. */
struct vfmgr_plan {
	struct vfmgr_step *steps; /**< steps */
	unsigned int n; /**< entries */
};

/**
 * Diff configuration against the host. PFs not in the config are not touched.
 * @param flags VFMGR_F_FORCE allows count changes with owned VFs.
 * @param[out] out plan (n = 0: nothing to do), free with vfmgr_plan_free().
 * @return 0; -ENODEV (configured PF absent / not SR-IOV), -ERANGE (numvfs >
 *         totalvfs), -EBUSY (count change with owned VFs, message lists
 *         them and says --force), -EINVAL (attributes on a PF without netdev).
 */
int vfmgr_plan_build(struct vfmgr_ctx *ctx, const struct vfmgr_conf *conf,
		     const struct vfmgr_host *host, unsigned int flags, struct vfmgr_plan **out);

/** Free a plan (NULL ignored). */
void vfmgr_plan_free(struct vfmgr_plan *plan);

/**
 * Execute a plan, one journaled operation (type "apply") per PF, holding the
 * PF lock. On failure of a PF, that PF is rolled back to its previous VF
 * count and drivers; other PFs continue. Each step calls
 * vfmgr_journal_step() (crash points).
 * @return 0, or the first error (-errno) with vfmgr_errmsg().
 */
int vfmgr_plan_apply(struct vfmgr_ctx *ctx, const struct vfmgr_plan *plan, unsigned int flags);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name Journal (crash-safe multi-step operations) */
/** @{ */

/** Number of journal files pending. @return count or -errno. */
int vfmgr_journal_pending(const struct vfmgr_ctx *ctx);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name Metrics (metrics.c): Prometheus text exposition format 0.0.4 for node_exporter's
 * textfile collector. Series and example alerts: lib/vfmgr/README.md "Metrics". */
/** @{ */

/** Default metrics file: Debian's textfile-collector directory (prometheus-node-exporter). */
#define VFMGR_DEFAULT_METRICS_FILE "/var/lib/prometheus/node-exporter/vfmgrd.prom"

/** Opaque metrics: counters kept in memory and the file they are written to. Thread-safe. */
struct vfmgr_metrics;

/**
 * Create the metrics of a daemon.
 * @param path file to write (NULL or "" = VFMGR_DEFAULT_METRICS_FILE); absolute, ending in ".prom".
 * @return 0, -EINVAL (message names the path and the rule), -ENOMEM.
 */
int vfmgr_metrics_new(const char *path, struct vfmgr_metrics **out);
/** Free (NULL ignored). The file is left in place. */
void vfmgr_metrics_free(struct vfmgr_metrics *m);
/** Count one request: @p code is its enum vfmgr_exit result (NULL @p m ignored). */
void vfmgr_metrics_count_op(struct vfmgr_metrics *m, enum vfmgr_reqop op, int code);
/** Count a journal recovery: @p rc as vfmgr_session_recover() returned it (count, or -errno). */
void vfmgr_metrics_count_recovery(struct vfmgr_metrics *m, int rc);
/** Record an apply of the configuration now: @p rc 0 or -errno, @p steps executed. */
void vfmgr_metrics_set_apply(struct vfmgr_metrics *m, int rc, unsigned int steps);
/**
 * Discover the host (VFs by state, per-VF info; a VF held by a libvirt domain is found
 * only over a connection the session already opened), detect posted interrupts
 * (lib/irqpost), and write every series atomically: "<path>.tmp.<pid>", fsync, rename.
 * @return 0; -errno of discovery or of the file (message names the file and the fix);
 *         -EALREADY when this write failed with the same errno as the previous one
 *         (already reported: log only what is new).
 */
int vfmgr_metrics_write(struct vfmgr_metrics *m, struct vfmgr_session *s);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* VFMGR_H */
