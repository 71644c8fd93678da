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
 * This header holds what the applications (app/vfmgr, app/vfmgrd) use. The
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

#ifdef __cplusplus
extern "C" {
#endif

struct json_t;

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
enum vfmgr_log_prio { VFMGR_LOG_ERR = 3, VFMGR_LOG_WARNING = 4, VFMGR_LOG_INFO = 6, VFMGR_LOG_DEBUG = 7 };

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
	VFMGR_NUMA_ANY = 0,       /**< any free VF */
	VFMGR_NUMA_PREFERRED = 1, /**< local node first, then nearest by numa_distance */
	VFMGR_NUMA_REQUIRED = 2,  /**< only a VF on one of the domain's nodes, else -ENODEV */
};

/** VF link state, values of IFLA_VF_LINK_STATE_* (include/uapi/linux/if_link.h). */
enum vfmgr_link_state {
	VFMGR_LINK_AUTO = 0,    /**< IFLA_VF_LINK_STATE_AUTO */
	VFMGR_LINK_ENABLE = 1,  /**< IFLA_VF_LINK_STATE_ENABLE */
	VFMGR_LINK_DISABLE = 2, /**< IFLA_VF_LINK_STATE_DISABLE */
};

/** Bits of vfmgr_vf_attrs.set: which fields are meaningful. */
enum vfmgr_attr_bits {
	VFMGR_ATTR_MAC = 1u << 0,       /**< mac */
	VFMGR_ATTR_VLAN = 1u << 1,      /**< vlan, qos, vlan_proto */
	VFMGR_ATTR_SPOOFCHK = 1u << 2,  /**< spoofchk */
	VFMGR_ATTR_TRUST = 1u << 3,     /**< trust */
	VFMGR_ATTR_LINK_STATE = 1u << 4,/**< link_state */
	VFMGR_ATTR_RATE = 1u << 5,      /**< min_rate, max_rate */
};

/** VF attributes as set in the PF driver over rtnetlink (IFLA_VF_*). */
struct vfmgr_vf_attrs {
	uint32_t set;          /**< VFMGR_ATTR_* bits of the fields present */
	uint8_t mac[6];        /**< IFLA_VF_MAC */
	uint16_t vlan;         /**< 0..4095 (0 = no VLAN), IFLA_VF_VLAN_INFO.vlan */
	uint8_t qos;           /**< 802.1p priority 0..7 */
	uint16_t vlan_proto;   /**< host order: 0x8100 (802.1Q) or 0x88a8 (802.1ad) */
	bool spoofchk;         /**< IFLA_VF_SPOOFCHK */
	bool trust;            /**< IFLA_VF_TRUST */
	uint8_t link_state;    /**< enum vfmgr_link_state */
	uint32_t min_rate;     /**< Mbit/s, IFLA_VF_RATE.min_tx_rate */
	uint32_t max_rate;     /**< Mbit/s, IFLA_VF_RATE.max_tx_rate (0 = unlimited) */
};

/**
 * [placement] section of vfmgr.conf (vfmgr.conf(5)). Placement API reference:
 * https://docs.openstack.org/api-ref/placement/ (microversion 1.39, Placement 8.0.0).
 */
struct vfmgr_pl_conf {
	char url[256];          /**< Placement endpoint ("" = not published), e.g. http://127.0.0.1:8778 */
	char host[64];          /**< root provider name ("" = gethostname()) */
	char token[128];        /**< X-Auth-Token (default "admin": noauth2; a Keystone token otherwise) */
	unsigned interval_s;    /**< periodic reconciliation, seconds (default 60, 1..86400) */
	unsigned timeout_ms;    /**< one HTTP request, milliseconds (default 5000) */
	unsigned claim_grace_s; /**< an allocation on this host not backed by an assigned VF is an
				     in-flight claim for this long, then removed (default 60) */
	char fleet_socket[256]; /**< vfmgr fleet: vfmgrd socket of a host, "%h" = its name
				     (default "/run/vfmgr/%h.sock") */
	char project[64];       /**< project_id/user_id of new consumers (default "vfmgr") */
};

/** One [vf "<pf>" N] section. */
struct vfmgr_vf_conf {
	unsigned int index;               /**< VF index N (0-based, < numvfs) */
	struct vfmgr_vf_attrs attrs;  /**< attributes to set */
	unsigned int line;                /**< line of the section header */
};

/** One [pf "<id>"] section. */
struct vfmgr_pf_conf {
	char id[32];                  /**< as written: BDF or MAC */
	bool by_mac;                  /**< selected by permanent MAC */
	uint8_t perm_mac[6];          /**< permanent MAC when by_mac */
	char bdf[VFMGR_BDF_LEN];      /**< BDF (given, or resolved by vfmgr_conf_resolve()) */
	unsigned int numvfs;              /**< VFs wanted */
	char driver[VFMGR_DRV_LEN];   /**< VF driver: "vfio-pci" (default) or "none" (leave unbound/host) */
	enum vfmgr_numa_policy numa_policy; /**< default from [global], else preferred */
	char physnet[64];             /**< physical network (Placement trait CUSTOM_PHYSNET_*; "" none) */
	struct vfmgr_vf_conf *vfs;    /**< per-VF sections, sorted by index */
	unsigned int n_vfs;               /**< entries in vfs */
	unsigned int line;                /**< line of the section header */
};

/** A parsed configuration. */
struct vfmgr_conf {
	char path[256];               /**< file name used in messages */
	char state_dir[256];          /**< [global] state-dir ("" = default) */
	unsigned int wait_ms;             /**< [global] wait-timeout-ms (0 = default) */
	enum vfmgr_numa_policy numa_policy; /**< [global] numa-policy */
	struct vfmgr_pf_conf *pfs;    /**< PF sections in file order */
	unsigned int n_pfs;               /**< entries in pfs */
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
	char bdf[VFMGR_BDF_LEN];      /**< VF PCI address */
	char pf_bdf[VFMGR_BDF_LEN];   /**< parent PF */
	unsigned int index;               /**< N of the PF's virtfnN link */
	uint16_t vendor, device;      /**< PCI ids */
	char driver[VFMGR_DRV_LEN];   /**< bound driver ("" = none) */
	char driver_override[VFMGR_DRV_LEN]; /**< driver_override ("" = none) */
	int iommu_group;              /**< group number (-1 = none); never a key */
	unsigned int n_group_members;     /**< devices in the group, including this VF */
	char group_members[VFMGR_GROUP_MAX][VFMGR_BDF_LEN]; /**< their BDFs, sorted */
	bool vfio_dev;                /**< /dev/vfio/<group> exists */
	int numa_node;                /**< sysfs numa_node (-1 unknown) */
	char netdev[VFMGR_IFNAME_LEN];/**< VF netdev name ("" none) */
	bool attrs_known;             /**< attrs read from the PF over netlink */
	struct vfmgr_vf_attrs attrs;  /**< VF attributes (valid if attrs_known) */
	char owner[VFMGR_DOMAIN_LEN]; /**< owning domain from the state file ("" = free) */
	bool numa_assumed;            /**< numa_node was -1 and the host has one node: 0 assumed */
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
	char bdf[VFMGR_BDF_LEN];      /**< PF PCI address */
	uint16_t vendor, device;      /**< PCI ids */
	char driver[VFMGR_DRV_LEN];   /**< bound driver ("" none) */
	int numa_node;                /**< sysfs numa_node (-1 unknown) */
	int iommu_group;              /**< -1 = none */
	char netdev[VFMGR_IFNAME_LEN];/**< PF netdev ("" none: VF attributes unavailable) */
	bool has_perm_mac;            /**< perm_mac valid */
	uint8_t perm_mac[6];          /**< permanent MAC (IFLA_PERM_ADDRESS, or address when addr_assign_type=0) */
	unsigned int n_group_members; /**< devices in the PF's IOMMU group, including the PF */
	char group_members[VFMGR_GROUP_MAX][VFMGR_BDF_LEN]; /**< their BDFs, sorted */
	int link_speed;               /**< PF netdev link speed in Mbit/s (sysfs net/<if>/speed, as ethtool); -1 unknown */
	unsigned int totalvfs;            /**< sriov_totalvfs */
	unsigned int numvfs;              /**< sriov_numvfs */
	int autoprobe;                /**< sriov_drivers_autoprobe (-1 unknown) */
	struct vfmgr_vf *vfs;         /**< VFs sorted by index */
	unsigned int n_vfs;               /**< entries in vfs (virtfnN links present) */
};

/** The host's SR-IOV view. */
struct vfmgr_host {
	struct vfmgr_pf *pfs;         /**< PFs sorted by BDF */
	unsigned int n_pfs;               /**< entries */
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
	VFMGR_F_FORCE = 1u << 0,   /**< change VF count even if VFs are owned by domains */
	VFMGR_F_DRY_RUN = 1u << 1, /**< plan only */
	VFMGR_F_NO_ATTRS = 1u << 2,/**< skip netlink VF attributes */
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
unsigned int vfmgr_attrs_drift(const struct vfmgr_pf_conf *pc, const struct vfmgr_vf_attrs *have, unsigned int n_have,
			   unsigned int *idx, unsigned int max);

/** Opaque RTM_NEWLINK monitor (RTNLGRP_LINK). */
struct vfmgr_nl_monitor;

/**
 * Called for each RTM_NEWLINK carrying VF info.
 * @param ifname PF netdev. @param attrs VF attributes by index. @param n_vfs count.
 */
typedef void (*vfmgr_nl_monitor_cb)(const char *ifname, int ifindex,
				    const struct vfmgr_vf_attrs *attrs, unsigned int n_vfs, void *user);

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
	VFMGR_STEP_AUTOPROBE_OFF,  /**< sriov_drivers_autoprobe = 0 */
	VFMGR_STEP_NUMVFS,         /**< sriov_numvfs = value (0-then-N handled inside) + wait */
	VFMGR_STEP_BIND,           /**< bind VF to driver */
	VFMGR_STEP_ATTRS,          /**< set VF attributes over netlink */
};

/** One step. */
struct vfmgr_step {
	enum vfmgr_step_kind kind;     /**< what */
	char pf_bdf[VFMGR_BDF_LEN];    /**< PF */
	int vf;                        /**< VF index or -1 */
	unsigned int value;                /**< numvfs value */
	char driver[VFMGR_DRV_LEN];    /**< bind target */
	char pf_netdev[VFMGR_IFNAME_LEN]; /**< for ATTRS */
	struct vfmgr_vf_attrs attrs;   /**< for ATTRS */
	char text[256];                /**< human description */
};

/** A plan: steps grouped by PF in order. */
struct vfmgr_plan {
	struct vfmgr_step *steps;  /**< steps */
	unsigned int n;                /**< entries */
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
	struct vfmgr_ctx *ctx;         /**< context (root, state dir, locks) */
	struct vfmgr_conf *conf;       /**< configuration (may be NULL: no [pf] managed) */
	const char *uri;               /**< libvirt URI (NULL = qemu:///system) */
	struct vfmgr_virt *virt;       /**< opened on first use; guarded by virt_mu */
	void *virt_mu;                 /**< pthread_mutex_t * for @ref virt (NULL: single-threaded) */
};

/**
 * Discover the host (vfmgr_discover()) and ask libvirt which domains hold which VFs
 * (vfmgr_vf.held_by): what status, plan, apply and assign decide on.
 * @param warn receives a sentence when libvirt could not be asked (the host view is then
 *        returned without held_by; callers show the warning). @param wlen its size.
 * @return 0 or -errno of discovery.
 */
int vfmgr_session_discover(struct vfmgr_session *s, struct vfmgr_host **out, char *warn, size_t wlen);

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

/** @name Control-socket protocol (lib/vfmgr/proto.c; documented in vfmgrd(8)) */
/** @{ */

/** Requests of the control socket. */
enum vfmgr_reqop {
	VFMGR_OP_INVALID = 0,
	VFMGR_OP_STATUS, VFMGR_OP_LIST, VFMGR_OP_PLAN, VFMGR_OP_APPLY,
	VFMGR_OP_ASSIGN, VFMGR_OP_RELEASE, VFMGR_OP_SHOW, VFMGR_OP_CHECK,
	VFMGR_OP_ADOPT,
	VFMGR_OP__COUNT
};

/** Error codes of the protocol = exit codes of vfmgr(8). */
enum vfmgr_exit {
	VFMGR_EXIT_OK = 0,          /**< success */
	VFMGR_EXIT_FAILED = 1,      /**< operation failed */
	VFMGR_EXIT_USAGE = 2,       /**< usage or configuration error */
	VFMGR_EXIT_REFUSED = 3,     /**< pre-flight refused */
	VFMGR_EXIT_UNREACH = 4,     /**< daemon unreachable */
	VFMGR_EXIT_DENIED = 5,      /**< permission denied (not root, not in group vfmgr) */
	VFMGR_EXIT_NOTFOUND = 6,    /**< no such domain, PF or VF */
	VFMGR_EXIT_BUSY = 7,        /**< no free VF / VF owned by another domain */
	VFMGR_EXIT_UNSUPPORTED = 8, /**< libvirt driver cannot do it (no hot-plug) */
};

/** Longest protocol line accepted (bytes, '\n' excluded). */
#define VFMGR_PROTO_MAX_LINE (1u << 20)

/** A decoded, validated request. Strings point into @ref json. */
struct vfmgr_request {
	int64_t id;            /**< echoed in the response (-1 when unreadable) */
	enum vfmgr_reqop op;      /**< operation */
	const char *domain;    /**< assign, adopt: domain */
	const char *pf;        /**< assign: PF (optional) */
	int vf;                /**< assign: VF index or -1 */
	const char *target;    /**< release/show: domain, VF BDF, PF/index */
	bool force;            /**< apply: change counts under owned/held/host-used VFs; assign: take a host-used VF or one off the NUMA policy */
	bool plain;            /**< assign: "form":"hostdev" (plain <hostdev>) instead of "interface" */
	struct json_t *json;   /**< parsed request (owned) */
};

/** @return "status", ..., or NULL for an invalid op. */
const char *vfmgr_op_name(enum vfmgr_reqop op);

/**
 * Decode and validate one request line (trailing "\n" allowed). Unknown members,
 * unknown args for the op, wrong types, names with '/', quotes or control
 * characters are refused.
 * @param[out] err message naming the offending member.
 * @return 0; -EINVAL (req->id is set when it could be read); -E2BIG (longer than VFMGR_PROTO_MAX_LINE).
 */
int vfmgr_proto_decode_request(const char *buf, size_t len, struct vfmgr_request *req,
			       char *err, size_t errlen);

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

/* ------------------------------------------------------------------------- */
/** @name Metrics (metrics.c): Prometheus text exposition format 0.0.4 for node_exporter's
 * textfile collector. Series and example alerts: lib/vfmgr/README.md "Metrics". */
/** @{ */

/** Default metrics file: Debian's textfile-collector directory (prometheus-node-exporter). */
#define VFMGR_DEFAULT_METRICS_FILE "/var/lib/prometheus/node-exporter/vfmgrd.prom"

/** State of a VF as the metrics (and `vfmgr status`) count it; exactly one per VF. */
enum vfmgr_vf_state {
	VFMGR_VF_FREE = 0,     /**< on vfio-pci, no owner, alone in its IOMMU group: assignable */
	VFMGR_VF_ASSIGNED = 1, /**< owned by a domain through vfmgr (owner record) */
	VFMGR_VF_HELD = 2,     /**< in a libvirt domain's XML without a vfmgr owner record */
	VFMGR_VF_HOST = 3,     /**< bound to a host driver (not vfio-pci) */
	VFMGR_VF_UNUSABLE = 4, /**< no driver bound, or its IOMMU group holds other devices */
};

/**
 * State of a discovered VF.
 * @param held the VF was found in a libvirt domain (vfmgr_virt_find_owner()).
 */
enum vfmgr_vf_state vfmgr_vf_state(const struct vfmgr_ctx *ctx, const struct vfmgr_vf *vf, bool held);
/** @return "free", "assigned", "held", "host" or "unusable" (the metrics' state label). */
const char *vfmgr_vf_state_name(enum vfmgr_vf_state s);

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
/** @return the file written. */
const char *vfmgr_metrics_path(const struct vfmgr_metrics *m);
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

/* ------------------------------------------------------------------------- */
/** @name OpenStack Placement: the fleet's inventory and claims (lib/vfmgr/placement*.c) */
/** @{ */

/** Fill @p pc with the defaults above (url empty). */
void vfmgr_pl_conf_defaults(struct vfmgr_pl_conf *pc);

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

/**
 * One request. @p path starts with "/" (query included); @p body is sent as JSON when
 * not NULL (borrowed).
 * @param[out] resp decoded JSON answer (new reference, NULL when empty or not JSON).
 * @return the HTTP status (200..599); -ECONNREFUSED (nothing listens), -ETIMEDOUT,
 *         -EIO (other transport errors); the message names the URL.
 */
int vfmgr_pl_call(struct vfmgr_pl *pl, const char *method, const char *path, struct json_t *body,
		  struct json_t **resp);

/** Generation conflicts (HTTP 409 "placement.concurrent_update") seen and retried by this client. */
unsigned long vfmgr_pl_conflicts(const struct vfmgr_pl *pl);

/** Result of one reconciliation. */
struct vfmgr_pl_sync_stats {
	int rc;                 /**< 0 or -errno of the sync */
	char msg[512];          /**< "" or why it failed */
	unsigned providers;     /**< providers in the host's tree */
	unsigned vfs_total;     /**< SRIOV_NET_VF total over the PFs */
	unsigned vfs_reserved;  /**< reserved */
	unsigned vfs_assigned;  /**< VFs owned by domains (allocated) */
	unsigned writes;        /**< POST/PUT/DELETE sent */
	unsigned conflicts;     /**< 409 generation conflicts re-read and retried */
	unsigned claims_kept;   /**< allocations without a VF kept as in-flight claims */
	unsigned claims_dropped;/**< such allocations removed after claim_grace_s */
	uint64_t duration_ms;   /**< wall time */
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
		      const char *hostname, unsigned claim_grace_s, struct vfmgr_pl_sync_stats *stats);

/** JSON of a sync result ({"rc","result","providers",...}). @return new reference. */
struct json_t *vfmgr_pl_sync_stats_json(const struct vfmgr_pl_sync_stats *st);

/** A claim made by vfmgr_pl_claim(). */
struct vfmgr_pl_claim {
	char consumer[37];            /**< consumer UUID (libvirt domain UUID) */
	char rp[37];                  /**< PF provider claimed from */
	char host[64];                /**< its root provider name (the host) */
	char pf_bdf[VFMGR_BDF_LEN];   /**< the PF */
	char rc_name[64];             /**< resource class */
	unsigned count;               /**< units claimed */
	int numa;                     /**< NUMA node of the PF (-1 unknown) */
	unsigned conflicts;           /**< 409s retried while claiming / releasing */
	unsigned candidates;          /**< allocation candidates of the last query */
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

#endif /* VFMGR_H */
