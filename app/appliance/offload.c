/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file offload.c
 * Start-up check of the kernel interface behind a `--topology ports` port: will the kernel
 * hand the appliance TCP/UDP packets with partial checksums, or frames larger than the MTU?
 *
 * Where they come from (Linux drivers/net/veth.c, net/core/dev.c, net/packet/af_packet.c,
 * net/xdp/xsk.c):
 *  - Partial checksums. A veth end with checksum offload (tx-checksumming, on by default)
 *    sends CHECKSUM_PARTIAL skbs whose TCP/UDP checksum field holds only the pseudo-header
 *    sum; veth passes the skb to its peer unchanged. af_packet copies the bytes (the state
 *    is only in tp_status, which net_af_packet ignores); with an XDP program the skb becomes
 *    an xdp_buff (veth_xdp_rcv_skb) and XDP_REDIRECT to the AF_XDP socket copies the bytes
 *    and loses ip_summed. Either way the appliance gets the partial sum, forwards it, and the
 *    receiver drops the packet. What matters is the SENDER: the veth peer of the port's
 *    interface (usually in another namespace). The port's own tx-checksumming does not
 *    matter: af_packet and AF_XDP copy-mode transmit build CHECKSUM_NONE skbs.
 *  - Frames larger than the MTU. A veth peer with TSO or UDP segmentation offload sends GSO
 *    skbs of up to 64 KB whole, and GRO/LRO on the port's own interface coalesces received
 *    frames: af_packet delivers them (cut to its frame size). They cannot be forwarded, so
 *    they are refused whatever --fix-l4-csum says. With af_xdp on a veth they do not arrive:
 *    XDP runs before GRO (veth_xdp_rcv), and attaching a native XDP program clears
 *    NETIF_F_GSO_SOFTWARE from the peer (veth_xdp_set, veth_fix_features: ethtool shows
 *    "off [fixed]" there), so the peer's stack segments in software. The check runs after
 *    the port started (program attached) and reads what the kernel really has.
 *  - Other interfaces (a NIC): frames from the wire carry complete checksums; only GRO/LRO
 *    (af_packet) are checked. net_tap reads what the kernel transmits into the tap: its own
 *    receive offloads do not apply, and without TUNSETOFFLOAD the kernel completes checksums.
 * The peer is found with rtnetlink (IFLA_LINK, IFLA_LINK_NETNSID) and its namespace by
 * RTM_GETNSID on each /run/netns entry (as `ip` does: the command says `ip netns exec NAME`),
 * else on each process's /proc/PID/ns/net (a container's namespace has no name: the command
 * says `nsenter --net=/proc/PID/ns/net`). The peer is read with a socket opened inside its
 * namespace (SIOCETHTOOL acts in the socket's namespace).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "vfapp.h"

#define NETNS_RUN_DIR "/run/netns"

/* The features that matter, by their ethtool names (string set ETH_SS_FEATURES). */
enum feat { F_TXCSUM_IPV4, F_TXCSUM_HW, F_TSO, F_USO, F_GRO, F_GRO_HW, F_LRO, F_NR };
static const char *const feat_name[F_NR] = {
	"tx-checksum-ipv4",
	"tx-checksum-ip-generic",
	"tx-tcp-segmentation",
	"tx-udp-segmentation",
	"rx-gro",
	"rx-gro-hw",
	"rx-lro",
};
/* what `ethtool -k DEV` shows them as */
static const char *const feat_show[F_NR] = {
	"tx-checksumming",	 "tx-checksumming",	    "tcp-segmentation-offload",
	"tx-udp-segmentation",	 "generic-receive-offload", "rx-gro-hw",
	"large-receive-offload",
};
/* what `ethtool -K DEV ... off` calls them */
static const char *const feat_k[F_NR] = { "tx",	 "tx",	      "tso", "tx-udp-segmentation",
					  "gro", "rx-gro-hw", "lro" };

static int eth_ioctl(int fd, const char *ifn, void *data)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifn);
	ifr.ifr_data = data;
	return ioctl(fd, SIOCETHTOOL, &ifr) == 0 ? 0 : -errno;
}

/* Active state of feat_name[] on @p ifn (1 on, 0 off or absent). @return 0 or -errno. */
static int feat_read(int fd, const char *ifn, int on[F_NR])
{
	uint64_t ssbuf[4] = { 0 };
	struct ethtool_sset_info *ss = (struct ethtool_sset_info *)ssbuf;
	struct ethtool_gstrings *names = NULL;
	struct ethtool_gfeatures *gf = NULL;
	uint32_t n, blocks, i;
	int ret, f;

	for (f = 0; f < F_NR; f++)
		on[f] = 0;
	ss->cmd = ETHTOOL_GSSET_INFO;
	ss->sset_mask = 1ULL << ETH_SS_FEATURES;
	ret = eth_ioctl(fd, ifn, ss);
	if (ret != 0)
		return ret;
	if (!(ss->sset_mask & (1ULL << ETH_SS_FEATURES)))
		return -EOPNOTSUPP;
	n = ss->data[0];
	blocks = (n + 31) / 32;
	names = calloc(1, sizeof(*names) + (size_t)n * ETH_GSTRING_LEN);
	gf = calloc(1, sizeof(*gf) + blocks * sizeof(gf->features[0]));
	if (names == NULL || gf == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	names->cmd = ETHTOOL_GSTRINGS;
	names->string_set = ETH_SS_FEATURES;
	names->len = n;
	gf->cmd = ETHTOOL_GFEATURES;
	gf->size = blocks;
	ret = eth_ioctl(fd, ifn, names);
	if (ret == 0)
		ret = eth_ioctl(fd, ifn, gf);
	if (ret != 0)
		goto out;
	for (i = 0; i < n; i++)
		for (f = 0; f < F_NR; f++)
			if (strncmp((const char *)names->data + (size_t)i * ETH_GSTRING_LEN,
				    feat_name[f], ETH_GSTRING_LEN) == 0)
				on[f] = (gf->features[i / 32].active >> (i % 32)) & 1;
out:
	free(names);
	free(gf);
	return ret;
}

struct link_info {
	uint32_t link; /* IFLA_LINK: the veth peer's ifindex */
	int32_t nsid; /* IFLA_LINK_NETNSID, -1: the peer is in our namespace */
	char kind[16]; /* IFLA_INFO_KIND */
};

static int linkinfo_attr(const struct nlattr *a, void *data)
{
	struct link_info *li = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_STRING) >= 0)
		snprintf(li->kind, sizeof(li->kind), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static int link_attr(const struct nlattr *a, void *data)
{
	struct link_info *li = data;

	switch (mnl_attr_get_type(a)) {
	case IFLA_LINK:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			li->link = mnl_attr_get_u32(a);
		break;
	case IFLA_LINK_NETNSID:
		if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
			li->nsid = (int32_t)mnl_attr_get_u32(a);
		break;
	case IFLA_LINKINFO:
		mnl_attr_parse_nested(a, linkinfo_attr, li);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int link_msg(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr, data);
}

static int nsid_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NETNSA_NSID && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
		*(int32_t *)data = (int32_t)mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int nsid_msg(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct rtgenmsg), nsid_attr, data);
}

/* Send one request (with NLM_F_ACK) and run @p cb on the reply. @return 0 or -errno. */
static int nl_request(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int seq = nlh->nlmsg_seq, portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int r;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		r = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (r < 0)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *nl_msg(char *buf, uint16_t type, unsigned int seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	return nlh;
}

static int link_get(struct mnl_socket *nl, uint32_t ifindex, struct link_info *li)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_msg(buf, RTM_GETLINK, (unsigned int)time(NULL));
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)ifindex;
	li->link = 0;
	li->nsid = -1;
	li->kind[0] = '\0';
	return nl_request(nl, nlh, link_msg, li);
}

/* The id our namespace gives the network namespace at @p path, -1 if none or unknown. */
static int32_t nsid_of(struct mnl_socket *nl, const char *path)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	int32_t id = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	nlh = nl_msg(buf, RTM_GETNSID, (unsigned int)time(NULL));
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)fd);
	if (nl_request(nl, nlh, nsid_msg, &id) != 0)
		id = -1;
	close(fd);
	return id;
}

/*
 * Find the namespace our namespace calls @p nsid: a name in /run/netns (`ip netns`), else a
 * process living in it (a container's namespace has no name): @p path is where to open it,
 * @p prefix how to run a command inside it. @return 0 or -ENOENT.
 */
static int netns_find(struct mnl_socket *nl, int32_t nsid, char *path, size_t plen, char *prefix,
		      size_t xlen)
{
	ino_t seen[64];
	unsigned int nseen = 0;
	struct dirent *de;
	DIR *d = opendir(NETNS_RUN_DIR);

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, plen, NETNS_RUN_DIR "/%s", de->d_name);
		if (nsid_of(nl, path) == nsid) {
			snprintf(prefix, xlen, "ip netns exec %s ", de->d_name);
			closedir(d);
			return 0;
		}
	}
	if (d != NULL)
		closedir(d);
	d = opendir("/proc");
	while (d != NULL && (de = readdir(d)) != NULL) {
		struct stat st;
		unsigned int i;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, plen, "/proc/%s/ns/net", de->d_name);
		if (stat(path, &st) != 0)
			continue;
		for (i = 0; i < nseen && seen[i] != st.st_ino; i++)
			;
		if (i < nseen)
			continue; /* a namespace already asked about */
		if (nseen < sizeof(seen) / sizeof(seen[0]))
			seen[nseen++] = st.st_ino;
		if (nsid_of(nl, path) == nsid) {
			snprintf(prefix, xlen, "nsenter --net=%s ", path);
			closedir(d);
			return 0;
		}
	}
	if (d != NULL)
		closedir(d);
	return -ENOENT;
}

/* A datagram socket inside the network namespace at @p path. @return fd or -errno. */
static int socket_in_netns(const char *path)
{
	int self, ns, fd = -ENOENT;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (self >= 0 && ns >= 0) {
		if (setns(ns, CLONE_NEWNET) == 0) {
			fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (fd < 0)
				fd = -errno;
			if (setns(self, CLONE_NEWNET) != 0) {
				fprintf(stderr,
					"vfapp: cannot return to our network namespace: %s\n",
					strerror(errno));
				abort();
			}
		} else {
			fd = -errno;
		}
	}
	if (self >= 0)
		close(self);
	if (ns >= 0)
		close(ns);
	return fd;
}

/* Append " FLAG off" for each feature in @p want (deduplicated: tx covers both checksums). */
static void cmd_flags(char *s, size_t len, const int want[F_NR])
{
	size_t c = strlen(s);

	for (int f = 0; f < F_NR; f++) {
		if (!want[f] || (f == F_TXCSUM_HW && want[F_TXCSUM_IPV4]))
			continue;
		if (c < len)
			c += (size_t)snprintf(s + c, len - c, " %s off", feat_k[f]);
	}
}

static bool any(const int v[F_NR])
{
	for (int f = 0; f < F_NR; f++)
		if (v[f])
			return true;
	return false;
}

/* Append "name on, name on" for each feature in @p on. */
static void feat_list(char *s, size_t len, const int on[F_NR])
{
	size_t c = strlen(s), c0 = c;

	for (int f = 0; f < F_NR; f++)
		if (on[f] && !(f == F_TXCSUM_HW && on[F_TXCSUM_IPV4]) && c < len)
			c += (size_t)snprintf(s + c, len - c, "%s%s on", c > c0 ? ", " : "",
					      feat_show[f]);
}

int vfapp_port_offload_check(uint16_t port, bool fix_l4_csum, char *msg, size_t len)
{
	struct rte_eth_dev_info info;
	struct link_info li = { .nsid = -1 };
	struct mnl_socket *nl;
	int own[F_NR], peer[F_NR], peer_off[F_NR] = { 0 }, own_off[F_NR] = { 0 };
	char ifn[IF_NAMESIZE], pname[IF_NAMESIZE] = "", nspath[PATH_MAX] = "", ns[300] = "";
	char where[512] = "", peer_cmd[400] = "", own_cmd[128] = "";
	char peer_err[96] = "";
	bool xdp, veth, peer_read = false, partial, oversize;
	int fd, pfd = -1, ret;

	msg[0] = '\0';
	if (vfapp_port_ifname(port, ifn, sizeof(ifn)) != 0 ||
	    rte_eth_dev_info_get(port, &info) != 0)
		return 0; /* not backed by a kernel interface */
	xdp = strcmp(info.driver_name, "net_af_xdp") == 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || feat_read(fd, ifn, own) != 0)
		memset(own, 0, sizeof(own));
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (nl != NULL && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0)
		(void)link_get(nl, info.if_index, &li);
	veth = strcmp(li.kind, "veth") == 0;
	if (veth && li.link != 0) {
		if (li.nsid < 0) {
			pfd = fd >= 0 ? dup(fd) : -1;
		} else if (netns_find(nl, li.nsid, nspath, sizeof(nspath), ns, sizeof(ns)) == 0) {
			pfd = socket_in_netns(nspath);
			if (pfd < 0)
				snprintf(peer_err, sizeof(peer_err), "cannot enter %s: %s", nspath,
					 strerror(-pfd));
		} else {
			snprintf(peer_err, sizeof(peer_err),
				 "no process or " NETNS_RUN_DIR
				 " name for its namespace (netnsid %d)",
				 li.nsid);
		}
		if (pfd >= 0) {
			struct ifreq ifr;

			memset(&ifr, 0, sizeof(ifr));
			ifr.ifr_ifindex = (int)li.link;
			if (ioctl(pfd, SIOCGIFNAME, &ifr) == 0) {
				snprintf(pname, sizeof(pname), "%s", ifr.ifr_name);
				ret = feat_read(pfd, pname, peer);
				peer_read = ret == 0;
				if (ret != 0)
					snprintf(peer_err, sizeof(peer_err), "ethtool on %s: %s",
						 pname, strerror(-ret));
			} else {
				snprintf(peer_err, sizeof(peer_err), "no interface %u there",
					 li.link);
			}
			close(pfd);
		}
	}
	if (nl != NULL)
		mnl_socket_close(nl);
	if (fd >= 0)
		close(fd);

	if (veth && !peer_read) {
		/* cannot read the peer: assume veth's defaults (checksum offload and TSO on;
		 * with XDP attached the kernel has turned TSO off) */
		memset(peer, 0, sizeof(peer));
		peer[F_TXCSUM_HW] = 1;
		peer[F_TSO] = peer[F_USO] = !xdp;
	}
	if (veth) {
		peer_off[F_TXCSUM_IPV4] = peer[F_TXCSUM_IPV4];
		peer_off[F_TXCSUM_HW] = peer[F_TXCSUM_HW];
		peer_off[F_TSO] = peer[F_TSO];
		/* UDP segmentation needs checksum offload (udp_send_skb: -EIO without
		 * CHECKSUM_PARTIAL); TSO the kernel drops itself without it */
		peer_off[F_USO] = peer[F_USO] && (peer[F_TXCSUM_IPV4] || peer[F_TXCSUM_HW]);
	}
	if (strcmp(info.driver_name, "net_af_packet") == 0) {
		/* receive offloads only matter where the kernel receives for us (not net_tap:
		 * the kernel transmits into it) */
		own_off[F_GRO] = own[F_GRO];
		own_off[F_GRO_HW] = own[F_GRO_HW];
		own_off[F_LRO] = own[F_LRO];
	}
	partial = peer_off[F_TXCSUM_IPV4] || peer_off[F_TXCSUM_HW];
	oversize = peer_off[F_TSO] || peer_off[F_USO] || any(own_off);
	if (!partial && !oversize)
		return 0;

	/* the commands: one per interface, each naming every feature to turn off */
	if (veth && (partial || peer_off[F_TSO] || peer_off[F_USO])) {
		int want[F_NR];

		memcpy(want, peer_off, sizeof(want));
		if (fix_l4_csum && (peer_off[F_TSO] || peer_off[F_USO]))
			want[F_TXCSUM_IPV4] = want[F_TXCSUM_HW] =
				0; /* --fix-l4-csum does that part */
		snprintf(peer_cmd, sizeof(peer_cmd), "%s", ns);
		snprintf(peer_cmd + strlen(peer_cmd), sizeof(peer_cmd) - strlen(peer_cmd),
			 "ethtool -K %s", pname[0] ? pname : "PEER");
		cmd_flags(peer_cmd, sizeof(peer_cmd), want);
		if (li.nsid >= 0 && ns[0] == '\0')
			snprintf(peer_cmd + strlen(peer_cmd), sizeof(peer_cmd) - strlen(peer_cmd),
				 " (inside the peer's network namespace, netnsid %d)", li.nsid);
		snprintf(where, sizeof(where), "its veth peer %s%s%s has ",
			 pname[0] ? pname : "(name unknown)", nspath[0] ? " in " : "", nspath);
		feat_list(where, sizeof(where), peer_off);
		if (!peer_read)
			snprintf(where + strlen(where), sizeof(where) - strlen(where),
				 " (not read: %s; veth's defaults assumed)", peer_err);
	}
	if (any(own_off)) {
		snprintf(own_cmd, sizeof(own_cmd), "ethtool -K %s", ifn);
		cmd_flags(own_cmd, sizeof(own_cmd), own_off);
		snprintf(where + strlen(where), sizeof(where) - strlen(where),
			 "%sthe interface has ", where[0] ? " and " : "");
		feat_list(where, sizeof(where), own_off);
	}
	snprintf(msg, len, "port %u (interface %s, %s, PMD %s): %s: %s%s%s; %s %s%s%s%s", port, ifn,
		 li.kind[0] ? li.kind : "?", info.driver_name, where,
		 partial ? "TCP/UDP packets arrive with partial checksums (only the pseudo-header "
			   "sum: forwarded as is, the receiver drops them)" :
			   "",
		 partial && oversize ? ", and " : "",
		 oversize ?
			 "frames larger than the MTU arrive (GSO/GRO super-frames of up to 64 KB "
			 "that cannot be forwarded; --fix-l4-csum does not help)" :
			 "",
		 fix_l4_csum && !oversize ? "--fix-l4-csum completes the checksums in software; to "
					    "have the kernel send complete ones instead run:" :
					    "run:",
		 peer_cmd, peer_cmd[0] && own_cmd[0] ? " and " : "", own_cmd,
		 partial && !oversize && !fix_l4_csum ? ", or start vfapp with --fix-l4-csum" : "");
	if (oversize || !fix_l4_csum)
		return -1;
	return 1;
}

struct umem_range {
	uintptr_t lo, hi; /* the range net_af_xdp registers */
	unsigned int out; /* objects outside it */
	uintptr_t last_end; /* end of the farthest object */
};

static void umem_obj(struct rte_mempool *mp, void *arg, void *obj, unsigned int idx)
{
	struct umem_range *r = arg;
	uintptr_t start = (uintptr_t)obj - mp->header_size;
	uintptr_t end = (uintptr_t)obj + mp->elt_size + mp->trailer_size;

	(void)idx;
	if (start < r->lo || end > r->hi)
		r->out++;
	if (end > r->last_end)
		r->last_end = end;
}

int vfapp_port_umem_check(uint16_t port, struct rte_mempool *mp, char *msg, size_t len)
{
	struct rte_eth_dev_info info;
	struct rte_mempool_memhdr *mh;
	struct umem_range r = { 0 };
	uintptr_t first, align;

	msg[0] = '\0';
	if (rte_eth_dev_info_get(port, &info) != 0 || strcmp(info.driver_name, "net_af_xdp") != 0)
		return 0;
	mh = STAILQ_FIRST(&mp->mem_list);
	if (mh == NULL)
		return 0;
	/* as DPDK 22.11 drivers/net/af_xdp get_base_addr() and xdp_umem_configure() */
	first = (uintptr_t)mh->addr;
	r.lo = first & ~((uintptr_t)getpagesize() - 1);
	align = first - r.lo;
	r.hi = r.lo +
	       (uintptr_t)mp->populated_size * (mp->header_size + mp->elt_size + mp->trailer_size) +
	       align;
	rte_mempool_obj_iter(mp, umem_obj, &r);
	/* With hugepages a few buffers moved past a page boundary end up beyond the range (the
	 * kernel skips them); --no-huge spreads the pool over twice the range: about 40% out. */
	if (r.out <= mp->populated_size / 8)
		return 0;
	snprintf(
		msg, len,
		"port %u (%s): %u of the mbuf pool's %u buffers lie outside the range net_af_xdp "
		"registers as its UMEM (%zu bytes from the first buffer; they span %zu: DPDK 22.11 "
		"get_base_addr): the kernel would drop received frames (ethtool -S IFACE: "
		"rx_queue_0_drops) and vfapp count nothing. --no-huge spreads buffers over 4 KB "
		"pages: use hugepages (e.g. --in-memory instead of --no-huge)",
		port, info.driver_name, r.out, mp->populated_size, (size_t)(r.hi - r.lo),
		(size_t)(r.last_end - r.lo));
	return -1;
}
