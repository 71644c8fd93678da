/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hostuse.c: is a VF that a host driver holds in use by the host? Unbinding it
 * (apply, assign) or destroying it (a VF count change) removes the devices the
 * driver created on it, so a filesystem loses its disk or a link goes down.
 *
 * Device classes and what counts as "in use" (everything read under the root prefix):
 * - network (any netdev under <dev>/net/):
 *     up            <dev>/net/<if>/flags has IFF_UP (include/uapi/linux/if.h 0x1)
 *     enslaved      <dev>/net/<if>/master exists (bridge, bond, team, OVS: ovs-system)
 *     addresses     RTM_GETADDR over rtnetlink (real root only: sysfs has no addresses)
 *     other netns   PCI class 0x02 with a bound host driver whose <dev>/net/ directory exists
 *                   but is empty here (sysfs lists a netdev only in its own namespace; the
 *                   directory itself stays while the netdev lives in another one)
 * - block (any directory under <dev>/ up to 3 levels that has holders/, i.e. a disk,
 *   and its partitions):
 *     mounted       major:minor or /dev/<name> in /proc/self/mountinfo
 *     holders       <disk>/holders/ or <disk>/<part>/holders/ non-empty (dm, md)
 *     open          a /proc/<pid>/fd/<n> link to /dev/<name>
 *   nvme native multipath (CONFIG_NVME_MULTIPATH, Debian's default): the disk under the
 *   controller is a hidden path, nvme<S>c<C>n<H>; users mount and open the head
 *   nvme<S>n<H> (/sys/block/nvme<S>n<H>, under the subsystem, not the PCI device;
 *   drivers/nvme/host/multipath.c nvme_mpath_set_disk_name / nvme_mpath_alloc_disk). When
 *   the VF's path is the head's only one (no /sys/class/nvme/<ctrl>/nvme<S>c<X>n<H> of
 *   another controller), unbinding the VF removes the head: the head and its partitions
 *   are judged as above. With other paths the namespace stays reachable through them.
 * Other classes: nothing the kernel reports generically (a driver's module refcount is
 * shared by all its devices), so only the devices found above are judged.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "vfmgr_priv.h"

struct acc {
	char *why;
	size_t wlen, wo;
	char *devs;
	size_t dlen, dlo;
};

static void add_why(struct acc *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_why(struct acc *a, const char *fmt, ...)
{
	va_list ap;

	if (a->wo + 8 >= a->wlen)
		return;
	if (a->wo)
		a->wo += (size_t)snprintf(a->why + a->wo, a->wlen - a->wo, "; ");
	va_start(ap, fmt);
	a->wo += (size_t)vsnprintf(a->why + a->wo, a->wlen - a->wo, fmt, ap);
	va_end(ap);
	if (a->wo >= a->wlen)
		a->wo = a->wlen - 1;
}

static void add_dev(struct acc *a, const char *name)
{
	if (a->dlo + strlen(name) + 3 >= a->dlen)
		return;
	a->dlo += (size_t)snprintf(a->devs + a->dlo, a->dlen - a->dlo, "%s%s", a->dlo ? ", " : "",
				   name);
}

/* IPv4/IPv6 addresses of ifindex (RTM_GETADDR dump). @return count, or -errno. */
static int cb_addr(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	int *want = data;

	if (nlh->nlmsg_type == RTM_NEWADDR && (int)ifa->ifa_index == want[0])
		want[1]++;
	return MNL_CB_OK;
}

static int netdev_addrs(const char *ifname)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	unsigned int seq = (unsigned int)time(NULL), portid;
	int want[2] = { (int)if_nametoindex(ifname), 0 };
	int r;

	if (!want[0])
		return 0; /* not in this namespace */
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		mnl_socket_close(nl);
		return r;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	r = 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
	} else {
		ssize_t n;
		while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
			r = mnl_cb_run(buf, (size_t)n, seq, portid, cb_addr, want);
			if (r <= MNL_CB_STOP)
				break;
		}
		r = r < 0 ? -errno : 0;
	}
	mnl_socket_close(nl);
	return r < 0 ? r : want[1];
}

/* @return false when the device has no net/ directory at all. */
static bool check_netdevs(const struct vfmgr_ctx *ctx, const char *bdf, struct acc *a, int *n_net)
{
	char p[PATH_MAX], q[PATH_MAX + 64], b[64];
	struct dirent *e;
	DIR *d;

	*n_net = 0;
	vfmgr_path(ctx, p, sizeof(p), "/sys/bus/pci/devices/%s/net", bdf);
	d = opendir(p);
	if (!d)
		return false;
	while ((e = readdir(d))) {
		char master[VFMGR_IFNAME_LEN + 32];
		unsigned long flags = 0;

		if (e->d_name[0] == '.')
			continue;
		(*n_net)++;
		add_dev(a, e->d_name);
		snprintf(q, sizeof(q), "/sys/bus/pci/devices/%s/net/%s/flags", bdf, e->d_name);
		if (vfmgr_read_file(ctx, q, b, sizeof(b)) > 0)
			flags = strtoul(b, NULL, 0);
		if (flags & IFF_UP)
			add_why(a, "netdev %s is up (ip link set %s down)", e->d_name, e->d_name);
		snprintf(q, sizeof(q), "/sys/bus/pci/devices/%s/net/%s/master", bdf, e->d_name);
		if (vfmgr_read_link_base(ctx, q, master, sizeof(master)) == 0)
			add_why(a, "netdev %s is enslaved to %s (ip link set %s nomaster)",
				e->d_name, master, e->d_name);
		if (vfmgr_real_root(ctx)) {
			int n = netdev_addrs(e->d_name);
			if (n > 0)
				add_why(a, "netdev %s has %d address(es) (ip addr flush dev %s)",
					e->d_name, n, e->d_name);
		}
	}
	closedir(d);
	return true;
}

/* "259:1" of a block device directory (relative to root), "" if none. */
static void blk_devnum(const struct vfmgr_ctx *ctx, const char *dir, char *out, size_t len)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/dev", dir);
	if (vfmgr_read_file(ctx, p, out, len) <= 0)
		out[0] = '\0';
}

static bool dir_nonempty(const struct vfmgr_ctx *ctx, const char *abs, char *first, size_t len)
{
	char p[PATH_MAX];
	struct dirent *e;
	bool any = false;
	DIR *d;

	vfmgr_path(ctx, p, sizeof(p), "%s", abs);
	d = opendir(p);
	if (!d)
		return false;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(first, len, "%s", e->d_name);
			any = true;
			break;
		}
	closedir(d);
	return any;
}

/* Is /dev/<name> (or devnum) mounted? Fills @mnt with the mount point. */
static bool blk_mounted(const struct vfmgr_ctx *ctx, const char *name, const char *devnum,
			char *mnt, size_t len)
{
	char p[PATH_MAX], line[4096], dev[64];
	bool found = false;
	FILE *f;

	vfmgr_path(ctx, p, sizeof(p), "/proc/self/mountinfo");
	f = fopen(p, "re");
	if (!f)
		return false;
	snprintf(dev, sizeof(dev), "/dev/%s", name);
	while (!found && fgets(line, sizeof(line), f)) {
		char mm[32], point[1024], *sep;
		/* 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue */
		if (sscanf(line, "%*s %*s %31s %*s %1023s", mm, point) != 2)
			continue;
		sep = strstr(line, " - ");
		if ((devnum[0] && !strcmp(mm, devnum)) ||
		    (sep && (sep = strchr(sep + 3, ' ')) && !strncmp(sep + 1, dev, strlen(dev)) &&
		     (sep[1 + strlen(dev)] == ' ' || sep[1 + strlen(dev)] == '\n'))) {
			snprintf(mnt, len, "%s", point);
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* First pid with an fd open on /dev/<name>, or 0. */
static long blk_opener(const struct vfmgr_ctx *ctx, const char *name)
{
	char p[PATH_MAX], dev[64];
	struct dirent *e;
	long found = 0;
	DIR *d;

	snprintf(dev, sizeof(dev), "/dev/%s", name);
	vfmgr_path(ctx, p, sizeof(p), "/proc");
	d = opendir(p);
	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		char fdp[PATH_MAX], t[PATH_MAX];
		struct dirent *fe;
		DIR *fd;
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0 || pid == (long)getpid())
			continue;
		snprintf(fdp, sizeof(fdp), "%s/%ld/fd", p, pid);
		fd = opendir(fdp);
		if (!fd)
			continue;
		while ((fe = readdir(fd))) {
			char lp[PATH_MAX + 300];
			ssize_t n;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(lp, sizeof(lp), "%s/%s", fdp, fe->d_name);
			n = readlink(lp, t, sizeof(t) - 1);
			if (n <= 0)
				continue;
			t[n] = '\0';
			if (!strcmp(t, dev)) {
				found = pid;
				break;
			}
		}
		closedir(fd);
	}
	closedir(d);
	return found;
}

/* Judge one block device (disk or partition) at @abs (path relative to root). */
static void check_blk(const struct vfmgr_ctx *ctx, const char *abs, const char *name, struct acc *a)
{
	char devnum[32], mnt[1024], holder[256], p[PATH_MAX];
	long pid;

	blk_devnum(ctx, abs, devnum, sizeof(devnum));
	if (blk_mounted(ctx, name, devnum, mnt, sizeof(mnt)))
		add_why(a, "/dev/%s is mounted on %s (umount %s)", name, mnt, mnt);
	snprintf(p, sizeof(p), "%s/holders", abs);
	if (dir_nonempty(ctx, p, holder, sizeof(holder)))
		add_why(a, "/dev/%s is held by %s (remove the dm/md device on it)", name, holder);
	if ((pid = blk_opener(ctx, name)) > 0)
		add_why(a, "/dev/%s is open by pid %ld (stop it; fuser -v /dev/%s)", name, pid,
			name);
}

/*
 * nvme multipath: @name is a path disk "nvme<S>c<C>n<H>"? Then @head gets "nvme<S>n<H>" and
 * @return the number of paths to that head on the host (this one included), 0 otherwise.
 */
static int nvme_mpath_head(const struct vfmgr_ctx *ctx, const char *name, char *head, size_t len)
{
	unsigned int s, c, h;
	char p[PATH_MAX], tail[8];
	struct dirent *e;
	struct stat st;
	int n = 0;
	DIR *d;

	if (sscanf(name, "nvme%uc%un%u%7s", &s, &c, &h, tail) != 3)
		return 0;
	snprintf(head, len, "nvme%un%u", s, h);
	vfmgr_path(ctx, p, sizeof(p), "/sys/block/%s", head);
	if (stat(p, &st) < 0)
		return 0; /* no head: not a multipath path after all */
	vfmgr_path(ctx, p, sizeof(p), "/sys/class/nvme");
	d = opendir(p);
	if (!d)
		return 1;
	while ((e = readdir(d))) {
		unsigned int x;
		char q[PATH_MAX + 300];

		if (sscanf(e->d_name, "nvme%u", &x) != 1)
			continue;
		snprintf(q, sizeof(q), "%s/%s/nvme%uc%un%u", p, e->d_name, s, x, h);
		if (stat(q, &st) == 0)
			n++;
	}
	closedir(d);
	return n ? n : 1;
}

/* Walk @abs (relative to root) up to @depth levels for disks (dirs with holders/). */
static void walk_blk(const struct vfmgr_ctx *ctx, const char *abs, int depth, struct acc *a,
		     int *n_blk)
{
	char p[PATH_MAX], sub[PATH_MAX + 256], h[PATH_MAX + 300];
	struct dirent *e;
	struct stat st;
	DIR *d;

	vfmgr_path(ctx, p, sizeof(p), "%s", abs);
	d = opendir(p);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "holders") ||
		    !strcmp(e->d_name, "slaves") || !strcmp(e->d_name, "subsystem") ||
		    !strcmp(e->d_name, "driver") || !strcmp(e->d_name, "physfn") ||
		    !strcmp(e->d_name, "iommu_group") || !strcmp(e->d_name, "firmware_node") ||
		    !strcmp(e->d_name, "device") || !strcmp(e->d_name, "bdi") ||
		    !strcmp(e->d_name, "net"))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", p, e->d_name);
		if (lstat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
			continue; /* never follow links (physfn, subsystem, ...) */
		snprintf(h, sizeof(h), "%s/holders", sub);
		if (stat(h, &st) == 0 && S_ISDIR(st.st_mode)) {
			/* a disk or a partition */
			char rel[PATH_MAX + 256], head[64];
			int paths = nvme_mpath_head(ctx, e->d_name, head, sizeof(head));

			snprintf(rel, sizeof(rel), "%s/%s", abs, e->d_name);
			(*n_blk)++;
			if (paths == 1) {
				/* the VF's path is the namespace's only one: the head goes too */
				char hp[PATH_MAX];

				snprintf(hp, sizeof(hp), "/sys/block/%s", head);
				add_dev(a, head);
				check_blk(ctx, hp, head, a);
				walk_blk(ctx, hp, 1, a, n_blk); /* the head's partitions */
				continue;
			}
			if (paths > 1)
				continue; /* the namespace stays on its other paths; a hidden path has no
					     /dev node of its own to mount or open */
			add_dev(a, e->d_name);
			check_blk(ctx, rel, e->d_name, a);
			walk_blk(ctx, rel, 1, a, n_blk); /* its partitions */
			continue;
		}
		if (depth > 1) {
			char rel[PATH_MAX + 256];
			snprintf(rel, sizeof(rel), "%s/%s", abs, e->d_name);
			walk_blk(ctx, rel, depth - 1, a, n_blk);
		}
	}
	closedir(d);
}

int vfmgr_dev_host_use(const struct vfmgr_ctx *ctx, const char *bdf, const char *driver, char *why,
		       size_t wlen, char *devs, size_t dlen)
{
	struct acc a = { .why = why, .wlen = wlen, .devs = devs, .dlen = dlen };
	char p[PATH_MAX], cls[32];
	int n_net = 0, n_blk = 0;
	bool net_dir;

	why[0] = '\0';
	devs[0] = '\0';
	if (!driver || !driver[0] || !strcmp(driver, "vfio-pci") || !strcmp(driver, "pci-pf-stub"))
		return 0; /* no host driver: nothing of the host's on it */
	net_dir = check_netdevs(ctx, bdf, &a, &n_net);
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s", bdf);
	walk_blk(ctx, p, 3, &a, &n_blk);
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/class", bdf);
	if (net_dir && !n_net && vfmgr_read_file(ctx, p, cls, sizeof(cls)) > 0 &&
	    (strtoul(cls, NULL, 16) >> 16) == 0x02)
		add_why(&a,
			"network driver %s is bound but its netdev is not in this network namespace: it "
			"was moved to another one (move it back, or delete that namespace)",
			driver);
	return a.wo ? 1 : 0;
}
