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
 * Conventions: every function returning int returns 0 (or a count) on success
 * and a negative errno on failure. On failure a human sentence naming the
 * object and the fix is stored in a thread-local buffer read with
 * vfmgr_errmsg(). VFs are keyed by (PF BDF, VF index), never by ifname or IOMMU
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

/**
 * Set the calling thread's error message (for code built on lib/vfmgr).
 * @param err positive errno value describing the failure.
 * @param fmt printf format of a sentence naming the object and the fix.
 * @return -err, so callers can write `return vfmgr_set_error(EINVAL, ...)`.
 */
int vfmgr_set_error(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Clear the calling thread's error message. */
void vfmgr_clear_error(void);

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
	unsigned wait_ms;
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

/** @return the root prefix without trailing slash ("" for "/"). */
const char *vfmgr_ctx_root(const struct vfmgr_ctx *ctx);

/** @return the state directory path. */
const char *vfmgr_ctx_state_dir(const struct vfmgr_ctx *ctx);

/** @return the bounded wait in milliseconds. */
unsigned vfmgr_ctx_wait_ms(const struct vfmgr_ctx *ctx);

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

/** One [vf "<pf>" N] section. */
struct vfmgr_vf_conf {
	unsigned index;               /**< VF index N (0-based, < numvfs) */
	struct vfmgr_vf_attrs attrs;  /**< attributes to set */
	unsigned line;                /**< line of the section header */
};

/** One [pf "<id>"] section. */
struct vfmgr_pf_conf {
	char id[32];                  /**< as written: BDF or MAC */
	bool by_mac;                  /**< selected by permanent MAC */
	uint8_t perm_mac[6];          /**< permanent MAC when by_mac */
	char bdf[VFMGR_BDF_LEN];      /**< BDF (given, or resolved by vfmgr_conf_resolve()) */
	unsigned numvfs;              /**< VFs wanted */
	char driver[VFMGR_DRV_LEN];   /**< VF driver: "vfio-pci" (default) or "none" (leave unbound/host) */
	enum vfmgr_numa_policy numa_policy; /**< default from [global], else preferred */
	struct vfmgr_vf_conf *vfs;    /**< per-VF sections, sorted by index */
	unsigned n_vfs;               /**< entries in vfs */
	unsigned line;                /**< line of the section header */
};

/** A parsed configuration. */
struct vfmgr_conf {
	char path[256];               /**< file name used in messages */
	char state_dir[256];          /**< [global] state-dir ("" = default) */
	unsigned wait_ms;             /**< [global] wait-timeout-ms (0 = default) */
	enum vfmgr_numa_policy numa_policy; /**< [global] numa-policy */
	struct vfmgr_pf_conf *pfs;    /**< PF sections in file order */
	unsigned n_pfs;               /**< entries in pfs */
};

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
const struct vfmgr_vf_conf *vfmgr_conf_find_vf(const struct vfmgr_pf_conf *pf, unsigned index);

/** Parse "aa:bb:cc:dd:ee:ff". @return 0 or -EINVAL. */
int vfmgr_parse_mac(const char *s, uint8_t mac[6]);
/** Format a MAC into @p buf (>= 18 bytes). @return buf. */
char *vfmgr_format_mac(const uint8_t mac[6], char *buf);
/** Check and canonicalise a PCI address "DDDD:BB:DD.F" (lowercase). @return 0 or -EINVAL. */
int vfmgr_parse_bdf(const char *s, char out[VFMGR_BDF_LEN]);
/** Name of a NUMA policy ("any", "preferred", "required"). */
const char *vfmgr_numa_policy_name(enum vfmgr_numa_policy p);
/** Parse a NUMA policy name. @return 0 or -EINVAL. */
int vfmgr_parse_numa_policy(const char *s, enum vfmgr_numa_policy *out);
/** Name of a link state ("auto", "enable", "disable"). */
const char *vfmgr_link_state_name(unsigned ls);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name Discovery (sysfs under the root prefix, rtnetlink for VF attributes) */
/** @{ */

/** A discovered VF. */
struct vfmgr_vf {
	char bdf[VFMGR_BDF_LEN];      /**< VF PCI address */
	char pf_bdf[VFMGR_BDF_LEN];   /**< parent PF */
	unsigned index;               /**< N of the PF's virtfnN link */
	uint16_t vendor, device;      /**< PCI ids */
	char driver[VFMGR_DRV_LEN];   /**< bound driver ("" = none) */
	char driver_override[VFMGR_DRV_LEN]; /**< driver_override ("" = none) */
	int iommu_group;              /**< group number (-1 = none); never a key */
	unsigned n_group_members;     /**< devices in the group, including this VF */
	char group_members[VFMGR_GROUP_MAX][VFMGR_BDF_LEN]; /**< their BDFs, sorted */
	bool vfio_dev;                /**< /dev/vfio/<group> exists */
	int numa_node;                /**< sysfs numa_node (-1 unknown) */
	char netdev[VFMGR_IFNAME_LEN];/**< VF netdev name ("" none) */
	bool attrs_known;             /**< attrs read from the PF over netlink */
	struct vfmgr_vf_attrs attrs;  /**< VF attributes (valid if attrs_known) */
	char owner[VFMGR_DOMAIN_LEN]; /**< owning domain from the state file ("" = free) */
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
	unsigned totalvfs;            /**< sriov_totalvfs */
	unsigned numvfs;              /**< sriov_numvfs */
	int autoprobe;                /**< sriov_drivers_autoprobe (-1 unknown) */
	struct vfmgr_vf *vfs;         /**< VFs sorted by index */
	unsigned n_vfs;               /**< entries in vfs (virtfnN links present) */
};

/** The host's SR-IOV view. */
struct vfmgr_host {
	struct vfmgr_pf *pfs;         /**< PFs sorted by BDF */
	unsigned n_pfs;               /**< entries */
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

/** @return the PF with this BDF or NULL. */
struct vfmgr_pf *vfmgr_host_find_pf(const struct vfmgr_host *host, const char *bdf);
/** @return the VF (pf_bdf, index) or NULL. */
struct vfmgr_vf *vfmgr_host_find_vf(const struct vfmgr_host *host, const char *pf_bdf, unsigned index);
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
/** @name sysfs and device binding (drivers/base/bus.c, drivers/pci/pci-sysfs.c) */
/** @{ */

/**
 * Read a device attribute <root>/sys/bus/pci/devices/<bdf>/<attr>, trailing newline stripped.
 * @return length, or -errno (message names the file).
 */
int vfmgr_sysfs_read(const struct vfmgr_ctx *ctx, const char *bdf, const char *attr, char *buf, size_t len);

/**
 * Write a string to a file under root (one write() call, as sysfs expects;
 * the kernel reports errors from write(), not open()).
 * @param abspath absolute path without root ("/sys/bus/pci/drivers_probe").
 * @return 0 or -errno (message names the file, the value and the errno).
 */
int vfmgr_sysfs_write_path(const struct vfmgr_ctx *ctx, const char *abspath, const char *val);

/** Write a device attribute (see vfmgr_sysfs_write_path()). @return 0 or -errno. */
int vfmgr_sysfs_write(const struct vfmgr_ctx *ctx, const char *bdf, const char *attr, const char *val);

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
/** @name SR-IOV (drivers/pci/iov.c semantics) */
/** @{ */

/** Flags for vfmgr_sriov_set_numvfs(), vfmgr_plan_build() and vfmgr_plan_apply(). */
enum vfmgr_flags {
	VFMGR_F_FORCE = 1u << 0,   /**< change VF count even if VFs are owned by domains */
	VFMGR_F_DRY_RUN = 1u << 1, /**< plan only */
	VFMGR_F_NO_ATTRS = 1u << 2,/**< skip netlink VF attributes */
};

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
int vfmgr_sriov_set_numvfs(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned n,
			   bool autoprobe_off, unsigned flags);

/**
 * Wait (bounded by the context's wait_ms) until the PF has exactly @p n
 * virtfnN links and each VF has its physfn link.
 * @return 0 or -ETIMEDOUT (message "K of N VFs appeared").
 */
int vfmgr_sriov_wait_vfs(const struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned n);

/** BDF of VF @p index of a PF (virtfnN link). @return 0 or -ENOENT. */
int vfmgr_sriov_vf_bdf(const struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned index,
		       char out[VFMGR_BDF_LEN]);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name VF attributes over rtnetlink (libmnl; include/uapi/linux/if_link.h) */
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
int vfmgr_nl_build_setlink(void *buf, size_t len, int ifindex, unsigned vf,
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
int vfmgr_nl_parse_vfinfo(const void *nlh, struct vfmgr_vf_attrs *attrs, unsigned max,
			  unsigned *n_vfs, char ifname[VFMGR_IFNAME_LEN]);

/**
 * Set VF attributes on the PF netdev (RTM_SETLINK, one request per field
 * group so a driver rejecting one field is named), then read back with
 * RTM_GETLINK and compare.
 * @return 0; -ENODEV (no such PF netdev); the kernel's -errno, message
 *         "PF <ifname>: kernel refused VF <n> <field>: <strerror> (<extack>)";
 *         -EIO when the read-back differs.
 */
int vfmgr_vf_set_attrs(const char *pf_ifname, unsigned vf, const struct vfmgr_vf_attrs *a);

/**
 * Read all VF attributes of a PF netdev (RTM_GETLINK, RTEXT_FILTER_VF).
 * @param[out] attrs array of @p max. @param[out] n_vfs VFs reported.
 * @return 0, -ENODEV, -ENOENT (no VF info: no SR-IOV netdev), -errno.
 */
int vfmgr_vf_get_attrs(const char *pf_ifname, struct vfmgr_vf_attrs *attrs, unsigned max, unsigned *n_vfs);

/**
 * @return true when any field set in @p want is missing from, or different
 *         in, @p have (i.e. the VF needs re-applying); fields not set in
 *         @p want are ignored.
 */
bool vfmgr_attrs_differ(const struct vfmgr_vf_attrs *want, const struct vfmgr_vf_attrs *have);

/**
 * Which configured VFs of a PF have lost their attributes (PF reset or driver
 * reload: the attributes live in the PF driver, include/uapi/linux/if_link.h).
 * @param pc the PF's configuration. @param have attributes read from the
 *        kernel (e.g. by the monitor callback), indexed by VF.
 * @param n_have entries in @p have (a configured VF >= n_have counts as lost).
 * @param[out] idx VF indexes that need re-applying (may be NULL). @param max its size.
 * @return number of such VFs (0: nothing to do).
 */
unsigned vfmgr_attrs_drift(const struct vfmgr_pf_conf *pc, const struct vfmgr_vf_attrs *have, unsigned n_have,
			   unsigned *idx, unsigned max);

/** Opaque RTM_NEWLINK monitor (RTNLGRP_LINK). */
struct vfmgr_nl_monitor;

/**
 * Called for each RTM_NEWLINK carrying VF info.
 * @param ifname PF netdev. @param attrs VF attributes by index. @param n_vfs count.
 */
typedef void (*vfmgr_nl_monitor_cb)(const char *ifname, int ifindex,
				    const struct vfmgr_vf_attrs *attrs, unsigned n_vfs, void *user);

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
/** @name Pre-flight checks (IOMMU, VFIO, hugepages, group viability) */
/** @{ */

/** Outcome of one check. */
enum vfmgr_check_status { VFMGR_CHECK_OK = 0, VFMGR_CHECK_WARN = 1, VFMGR_CHECK_FAIL = 2 };

/** One check result. */
struct vfmgr_check {
	char name[48];                 /**< "iommu", "vfio-pci", "hugepages", "group 0000:01:00.2", ... */
	enum vfmgr_check_status status;/**< ok / warn / fail */
	char msg[512];                 /**< what was found and, unless ok, the fix */
};

/** A list of check results. */
struct vfmgr_checks {
	struct vfmgr_check *v;  /**< results */
	unsigned n;             /**< entries */
	unsigned n_fail;        /**< entries with VFMGR_CHECK_FAIL */
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
 * @return 0; -EBUSY with message "VF <bdf> (pf <pf> vf <n>) shares IOMMU
 *         group <g> with <members>: each VF needs its own group (ACS on the
 *         path); refusing"; -ENOENT (no iommu_group link).
 */
int vfmgr_vf_group_check(const struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned index);

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
/** @name NUMA placement */
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
	unsigned value;                /**< numvfs value */
	char driver[VFMGR_DRV_LEN];    /**< bind target */
	char pf_netdev[VFMGR_IFNAME_LEN]; /**< for ATTRS */
	struct vfmgr_vf_attrs attrs;   /**< for ATTRS */
	char text[256];                /**< human description */
};

/** A plan: steps grouped by PF in order. */
struct vfmgr_plan {
	struct vfmgr_step *steps;  /**< steps */
	unsigned n;                /**< entries */
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
		     const struct vfmgr_host *host, unsigned flags, struct vfmgr_plan **out);

/** Free a plan (NULL ignored). */
void vfmgr_plan_free(struct vfmgr_plan *plan);

/** JSON array of {"pf","vf","kind","text"}. @return new reference. */
struct json_t *vfmgr_plan_to_json(const struct vfmgr_plan *plan);

/**
 * Execute a plan, one journaled operation (type "apply") per PF, holding the
 * PF lock. On failure of a PF, that PF is rolled back to its previous VF
 * count and drivers; other PFs continue. Each step calls
 * vfmgr_journal_step() (crash points).
 * @return 0, or the first error (-errno) with vfmgr_errmsg().
 */
int vfmgr_plan_apply(struct vfmgr_ctx *ctx, const struct vfmgr_plan *plan, unsigned flags);

/**
 * Convenience: resolve, discover, plan, and apply.
 * @return as vfmgr_plan_build() / vfmgr_plan_apply().
 */
int vfmgr_apply(struct vfmgr_ctx *ctx, struct vfmgr_conf *conf, unsigned flags);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name Journal (crash-safe multi-step operations) */
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
	const char *type;      /**< operation type */
	vfmgr_recover_fn fn;   /**< handler */
	void *user;            /**< passed back */
};

/**
 * Reconcile every journal file with the host: "apply" is handled inside
 * (rolls the PF back to the intent's previous state, then the caller
 * re-applies the configuration); other types go to @p handlers.
 * Unknown types are left in place and counted as failures (-EOPNOTSUPP: no handler).
 * @return number of operations recovered, or -errno of the first failure.
 */
int vfmgr_journal_recover(struct vfmgr_ctx *ctx, const struct vfmgr_recover_handler *handlers, unsigned n);

/** Number of journal files pending. @return count or -errno. */
int vfmgr_journal_pending(const struct vfmgr_ctx *ctx);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name Ownership (VF -> domain), <state>/owners.json, atomic rewrite */
/** @{ */

/**
 * Owner of a VF. @param[out] dom buffer ("" when free), may be NULL.
 * @return 1 owned, 0 free, -errno (state file unreadable / corrupt: message names it).
 */
int vfmgr_owner_get(const struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned index, char *dom, size_t len);

/**
 * Record that @p dom owns the VF.
 * @return 0 (also if already owned by @p dom), -EBUSY when owned by another
 *         domain (message names it), -errno on I/O.
 */
int vfmgr_owner_set(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned index, const char *dom);

/**
 * Clear ownership. @param dom expected owner (NULL = any).
 * @return 0 (also if already free), -EPERM when owned by a different domain.
 */
int vfmgr_owner_clear(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned index, const char *dom);

/** All owners as {"<pf>/<index>": "<domain>"}. @return 0 or -errno; *out new reference. */
int vfmgr_owner_list(const struct vfmgr_ctx *ctx, struct json_t **out);

/** @} */

/* ------------------------------------------------------------------------- */
/** @name Locks for the daemon (process-local pthread mutexes keyed by BDF) */
/** @{ */

/** Lock a PF (blocks). @return 0 or -ENOMEM. */
int vfmgr_lock_pf(struct vfmgr_ctx *ctx, const char *pf_bdf);
/** Unlock a PF. */
void vfmgr_unlock_pf(struct vfmgr_ctx *ctx, const char *pf_bdf);
/** Lock a VF (pf, index) (blocks). @return 0 or -ENOMEM. */
int vfmgr_lock_vf(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned index);
/** Unlock a VF. */
void vfmgr_unlock_vf(struct vfmgr_ctx *ctx, const char *pf_bdf, unsigned index);

/** @} */

/* ========================================================================= */
/* libvirt, assign/release, protocol (vfmgr-front)                           */
/* Declarations for lib/vfmgr/libvirt.c, assign.c, proto.c go below.         */
/* ========================================================================= */

/** @name libvirt (lib/vfmgr/libvirt.c, libvirt >= 9.0) */
/** @{ */

/** Host CPUs tracked for a domain's pinning. */
#define VFMGR_VIRT_MAX_CPUS 1024
/** NUMA nodes tracked (bit n of a node mask = node n). */
#define VFMGR_VIRT_MAX_NODES 64

/** Opaque libvirt connection. */
struct vfmgr_virt;

/** Where a libvirt domain lives, from its XML and the host topology. */
struct vfmgr_placement {
	char name[VFMGR_DOMAIN_LEN]; /**< domain name */
	bool active;                 /**< running (virDomainIsActive) */
	bool persistent;             /**< has a persistent definition */
	uint64_t nodes;              /**< NUMA nodes used: numatune + nodes of pinned CPUs (0 = unknown) */
	uint64_t numatune_nodes;     /**< nodes of <numatune><memory nodeset> only */
	int n_pinned;                /**< pinned host CPUs (0 = not pinned) */
	uint8_t pinned[VFMGR_VIRT_MAX_CPUS / 8]; /**< bitmap of pinned host CPUs */
};

/** Form of the device XML handed to libvirt. */
enum vfmgr_hostdev_form {
	VFMGR_HOSTDEV_INTERFACE = 0, /**< <interface type='hostdev' managed='no'> + <mac>/<vlan> (stable guest MAC) */
	VFMGR_HOSTDEV_PLAIN = 1,     /**< <hostdev mode='subsystem' type='pci' managed='no'><driver name='vfio'/> */
};

/** A VF as a libvirt device. */
struct vfmgr_hostdev {
	char bdf[VFMGR_BDF_LEN];      /**< VF PCI address */
	enum vfmgr_hostdev_form form; /**< XML form */
	bool has_mac;                 /**< @ref mac is meaningful (interface form) */
	uint8_t mac[6];               /**< guest MAC (interface form) */
	int vlan;                     /**< VLAN 1..4094, or -1 for none (interface form) */
};

/** How a device change reached libvirt. */
enum vfmgr_virt_path {
	VFMGR_VIRT_NONE = 0,     /**< nothing changed */
	VFMGR_VIRT_HOTPLUG = 1,  /**< virDomainAttach/DetachDeviceFlags */
	VFMGR_VIRT_REDEFINE = 2, /**< inactive domain, driver without attach-device: XML edited + virDomainDefineXML */
};

/**
 * Open a libvirt connection (virConnectOpen). libvirt's default stderr error
 * printing is silenced; messages go to vfmgr_errmsg().
 * @param uri libvirt URI (NULL/"" = "qemu:///system"; tests: "test:///abs/node.xml").
 * @param[out] out handle, free with vfmgr_virt_close().
 * @return 0, -ENOMEM, -ECONNREFUSED (message names the URI and --connect).
 */
int vfmgr_virt_open(const char *uri, struct vfmgr_virt **out);

/** Drop a reference; the connection is closed with the last one (NULL ignored). */
void vfmgr_virt_close(struct vfmgr_virt *v);

/** Take a reference (for a thread using the connection while another may replace it). @return @p v. */
struct vfmgr_virt *vfmgr_virt_ref(struct vfmgr_virt *v);

/** @return true while the connection to libvirt is alive (virConnectIsAlive). */
bool vfmgr_virt_alive(const struct vfmgr_virt *v);

/** @return the URI the connection was opened with. */
const char *vfmgr_virt_uri(const struct vfmgr_virt *v);

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
 * Domains (active or not, live or persistent XML) holding the VF.
 * @param[out] name first one found (may be NULL).
 * @return how many, or -errno.
 */
int vfmgr_virt_find_owner(struct vfmgr_virt *v, const char *bdf, char *name, size_t len);

/** @} */

/** @name Assign / release (lib/vfmgr/assign.c) */
/** @{ */

/** What to assign. */
struct vfmgr_assign_req {
	const char *domain;            /**< libvirt domain name */
	const char *pf;                /**< PF BDF or netdev name (NULL = any configured PF) */
	int vf;                        /**< VF index on @ref pf, -1 = choose by NUMA policy */
	enum vfmgr_hostdev_form form;  /**< device XML form (default interface) */
};

/** What was done. */
struct vfmgr_assign_result {
	char domain[VFMGR_DOMAIN_LEN]; /**< domain */
	char pf_bdf[VFMGR_BDF_LEN];    /**< PF */
	unsigned index;                /**< VF index */
	char vf_bdf[VFMGR_BDF_LEN];    /**< VF address */
	int vf_numa_node;              /**< VF's node (-1 unknown) */
	uint64_t domain_nodes;         /**< domain's nodes (0 unknown) */
	enum vfmgr_virt_path path;     /**< how libvirt took/released it */
	bool refused;                  /**< a pre-flight check refused (IOMMU, group) */
	int irqs;                      /**< MSI-X IRQs steered (assign) / restored (release); <0 errno */
	char note[512];                /**< extra information for the operator */
};

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
 * Journal recovery handlers for "assign" and "release" (user = @p s): ask libvirt
 * whether the VF is in the domain's XML; present -> finish (ownership recorded /
 * kept), absent -> roll back an assign (driver, attributes, no owner) or finish a
 * release (attributes and IRQs restored, owner dropped).
 * @param[out] h two handlers for vfmgr_journal_recover().
 * @return 2.
 */
unsigned vfmgr_front_recover_handlers(struct vfmgr_session *s, struct vfmgr_recover_handler h[2]);

/**
 * Recover every journaled operation (core "apply" + the handlers above).
 * @return number recovered, or -errno (journal kept, message says why).
 */
int vfmgr_session_recover(struct vfmgr_session *s);

struct vfmgr_request;
/**
 * Execute one decoded request (daemon and `vfmgr --local` share this).
 * @param[out] result JSON result on success (new reference).
 * @param msg error message on failure.
 * @return enum vfmgr_exit code (0 = ok).
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
	const char *domain;    /**< assign: domain */
	const char *pf;        /**< assign: PF (optional) */
	int vf;                /**< assign: VF index or -1 */
	const char *target;    /**< release/show: domain, VF BDF, PF/index */
	bool force;            /**< apply: force */
	bool plain;            /**< assign: "form":"hostdev" (plain <hostdev>) instead of "interface" */
	struct json_t *json;   /**< parsed request (owned) */
};

/** @return "status", ..., or NULL for an invalid op. */
const char *vfmgr_op_name(enum vfmgr_reqop op);
/** @return the op named @p name or VFMGR_OP_INVALID. */
enum vfmgr_reqop vfmgr_op_from_name(const char *name);

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

/**
 * Map a negative errno from lib/vfmgr to a protocol/exit code.
 * @return enum vfmgr_exit value.
 */
int vfmgr_exit_from_errno(int err);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* VFMGR_H */
