/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fakesys: an ACTIVE fake of PCI sysfs for tests, loaded with LD_PRELOAD (in
 * the spirit of libvirt's tests/virpcimock.c). Only paths under
 * $VFMGR_FAKE_ROOT are touched; everything else passes through untouched.
 *
 * Writes to the fixture's control files behave like the kernel's store
 * methods, and report errors from write() (never from open()):
 *   <pf>/sriov_numvfs        drivers/pci/iov.c sriov_numvfs_store(): EINVAL
 *                            (not a number), ERANGE (> sriov_totalvfs), ENOENT
 *                            (no PF driver / driver without sriov_configure),
 *                            EBUSY (non-zero -> different non-zero); creates /
 *                            removes VF device dirs, virtfnN/physfn links and
 *                            per-VF (or shared) IOMMU groups.
 *   <pf>/sriov_drivers_autoprobe  0/1; with 1, new VFs get the VF driver.
 *   <dev>/driver_override    "\n" clears (reads "(null)").
 *   drivers/<d>/bind         ENODEV (no device / override mismatch / VF with
 *                            autoprobe 0 and no override), EBUSY (bound).
 *   drivers/<d>/unbind       ENODEV unless bound to <d>.
 *   bus/pci/drivers_probe    binds an unbound device to its override, or its
 *                            native driver (PCI: VFs only if autoprobe=1).
 *   /dev/vfio/<group>        exists while every non-bridge device of the
 *                            group is bound to vfio-pci.
 * Fault injection and logging: see README.md in this directory.
 */
/* Define both the plain and the 64-bit names ourselves. */
#undef _FILE_OFFSET_BITS
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 4096

enum kind { K_NONE, K_NUMVFS, K_AUTOPROBE, K_OVERRIDE, K_BIND, K_UNBIND, K_PROBE, K_IDS };

struct tracked {
	enum kind kind;
	char path[PATH_MAX]; /* canonical path of the file */
};

static struct tracked *fds[MAXFD];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_close)(int);
static FILE *(*real_fopen)(const char *, const char *);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_fcntl)(int, int, ...);
static FILE *(*real_fopen64)(const char *, const char *);

static void init_real(void)
{
	if (real_write)
		return;
	real_open = dlsym(RTLD_NEXT, "open");
	real_open64 = dlsym(RTLD_NEXT, "open64");
	real_openat = dlsym(RTLD_NEXT, "openat");
	real_openat64 = dlsym(RTLD_NEXT, "openat64");
	real_close = dlsym(RTLD_NEXT, "close");
	real_fopen = dlsym(RTLD_NEXT, "fopen");
	real_fopen64 = dlsym(RTLD_NEXT, "fopen64");
	real_dup = dlsym(RTLD_NEXT, "dup");
	real_dup2 = dlsym(RTLD_NEXT, "dup2");
	real_dup3 = dlsym(RTLD_NEXT, "dup3");
	real_fcntl = dlsym(RTLD_NEXT, "fcntl");
	real_write = dlsym(RTLD_NEXT, "write");
}

/* ---- raw helpers (never re-enter the interposers) ---------------------------- */

static int raw_open(const char *p, int flags, mode_t m)
{
	return (int)syscall(SYS_openat, AT_FDCWD, p, flags | O_CLOEXEC, m);
}

static void put_file(const char *p, const char *s)
{
	int fd = raw_open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return;
	if (syscall(SYS_write, fd, s, strlen(s)) < 0) { /* best effort */
	}
	syscall(SYS_close, fd);
}

static int get_file(const char *p, char *buf, size_t len)
{
	int fd = raw_open(p, O_RDONLY, 0);
	long n;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	n = syscall(SYS_read, fd, buf, len - 1);
	syscall(SYS_close, fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return (int)n;
}

static bool exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

static const char *base(const char *p)
{
	const char *b = strrchr(p, '/');

	return b ? b + 1 : p;
}

static char *fmt(char *buf, const char *f, ...) __attribute__((format(printf, 2, 3)));
static char *fmt(char *buf, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, PATH_MAX, f, ap);
	va_end(ap);
	return buf;
}

static void rm_rf(const char *p)
{
	struct stat st;
	char q[PATH_MAX];

	if (lstat(p, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(p);
		struct dirent *e;
		if (d) {
			while ((e = readdir(d)))
				if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
					rm_rf(fmt(q, "%s/%s", p, e->d_name));
			closedir(d);
		}
		rmdir(p);
	} else {
		unlink(p);
	}
}

/* ---- root and logging --------------------------------------------------------- */

static bool root_of(char *out)
{
	const char *r = getenv("VFMGR_FAKE_ROOT");

	if (!r || !*r || !realpath(r, out))
		return false;
	return true;
}

static void flog(const char *root, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void flog(const char *root, const char *f, ...)
{
	const char *lf = getenv("VFMGR_FAKE_LOG");
	char line[PATH_MAX + 256];
	va_list ap;
	int fd, n;

	if (!lf || !*lf)
		return;
	va_start(ap, f);
	n = vsnprintf(line, sizeof(line) - 2, f, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	/* paths relative to the root */
	size_t rl = strlen(root);
	char *hit;
	while ((hit = strstr(line, root)) && rl) {
		memmove(hit, hit + rl, strlen(hit + rl) + 1);
		n -= (int)rl;
	}
	line[n++] = '\n';
	fd = raw_open(lf, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		if (syscall(SYS_write, fd, line, (size_t)n) < 0) { /* best effort */
		}
		syscall(SYS_close, fd);
	}
}

/* ---- fault injection ------------------------------------------------------------ */
/* VFMGR_FAKE_FAULT="<substr>:<action>[:<count>|*][;...]", action: EBUSY EIO ENOENT
 * ENODEV EINVAL EPERM ENOSPC or hang=<ms>. Matched against the path under root. */

#define MAXFAULT 16
static int fault_used[MAXFAULT];

static int errno_of(const char *s)
{
	static const struct {
		const char *n;
		int e;
	} t[] = {
		{ "EBUSY", EBUSY },   { "EIO", EIO },	    { "ENOENT", ENOENT },
		{ "ENODEV", ENODEV }, { "EINVAL", EINVAL }, { "EPERM", EPERM },
		{ "ENOSPC", ENOSPC }, { "ERANGE", ERANGE },
	};
	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].n))
			return t[i].e;
	return 0;
}

/* Returns errno to fail with, 0 to proceed (after an optional hang). */
static int fault_for(const char *rel)
{
	const char *env = getenv("VFMGR_FAKE_FAULT");
	char buf[1024], *save = NULL, *tok;
	int idx = 0, ret = 0;

	static char last[1024];

	if (!env || !*env)
		return 0;
	if (strcmp(last, env)) { /* a new fault specification: fresh counters */
		snprintf(last, sizeof(last), "%s", env);
		memset(fault_used, 0, sizeof(fault_used));
	}
	snprintf(buf, sizeof(buf), "%s", env);
	for (tok = strtok_r(buf, ";", &save); tok && idx < MAXFAULT;
	     tok = strtok_r(NULL, ";", &save), idx++) {
		/* <substr>:<action>[:<count>|*]; the substring may itself hold ':' (PCI addresses) */
		char *c1 = NULL, *q;
		for (q = tok; (q = strchr(q, ':')); q++)
			if (q[1] == 'E' || !strncmp(q + 1, "hang=", 5))
				c1 = q;
		if (!c1)
			continue;
		*c1 = '\0';
		char *act = c1 + 1, *c2 = strchr(act, ':');
		int count = 1;
		if (c2) {
			*c2 = '\0';
			count = !strcmp(c2 + 1, "*") ? INT_MAX : atoi(c2 + 1);
		}
		if (!strstr(rel, tok) || fault_used[idx] >= count)
			continue;
		fault_used[idx]++;
		if (!strncmp(act, "hang=", 5)) {
			long ms = atol(act + 5);
			if (ms > 30000)
				ms = 30000;
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		} else {
			ret = errno_of(act);
			if (ret)
				return ret;
		}
	}
	return ret;
}

/* ---- PCI model ----------------------------------------------------------------- */

static bool dev_dir(const char *root, const char *bdf, char *out)
{
	char p[PATH_MAX];

	return realpath(fmt(p, "%s/sys/bus/pci/devices/%s", root, bdf), out) != NULL;
}

static void driver_of(const char *devdir, char *out)
{
	char p[PATH_MAX], t[PATH_MAX];
	ssize_t n = readlink(fmt(p, "%s/driver", devdir), t, sizeof(t) - 1);

	out[0] = '\0';
	if (n > 0) {
		t[n] = '\0';
		snprintf(out, 64, "%s", base(t));
	}
}

static int group_of(const char *devdir)
{
	char p[PATH_MAX], t[PATH_MAX];
	ssize_t n = readlink(fmt(p, "%s/iommu_group", devdir), t, sizeof(t) - 1);

	if (n <= 0)
		return -1;
	t[n] = '\0';
	return atoi(base(t));
}

static bool is_bridge(const char *devdir)
{
	char p[PATH_MAX], b[32];

	if (get_file(fmt(p, "%s/class", devdir), b, sizeof(b)) <= 0)
		return false;
	return (strtoul(b, NULL, 16) >> 8) == 0x0604;
}

/* /dev/vfio/<g> exists iff every non-bridge device of group g is on vfio-pci. */
static void update_vfio(const char *root, int g)
{
	char p[PATH_MAX], q[PATH_MAX], dd[PATH_MAX], drv[64];
	bool all = true, any = false;
	struct dirent *e;
	DIR *d;

	if (g < 0)
		return;
	d = opendir(fmt(p, "%s/sys/kernel/iommu_groups/%d/devices", root, g));
	if (d) {
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			if (!realpath(fmt(q, "%s/%s", p, e->d_name), dd))
				continue;
			if (is_bridge(dd))
				continue;
			any = true;
			driver_of(dd, drv);
			if (strcmp(drv, "vfio-pci"))
				all = false;
		}
		closedir(d);
	}
	fmt(q, "%s/dev/vfio", root);
	mkdir(fmt(p, "%s/dev", root), 0755);
	mkdir(q, 0755);
	fmt(p, "%s/%d", q, g);
	if (any && all) {
		if (!exists(p)) {
			put_file(p, "");
			flog(root, "create %s", p);
		}
	} else if (exists(p)) {
		unlink(p);
		flog(root, "remove %s", p);
	}
}

static void do_bind(const char *root, const char *devdir, const char *drv)
{
	char p[PATH_MAX], q[PATH_MAX];

	fmt(q, "%s/sys/bus/pci/drivers/%s", root, drv);
	symlink(q, fmt(p, "%s/driver", devdir));
	symlink(devdir, fmt(p, "%s/%s", q, base(devdir)));
	flog(root, "bind %s %s", base(devdir), drv);
	update_vfio(root, group_of(devdir));
}

static void do_unbind(const char *root, const char *devdir)
{
	char p[PATH_MAX], drv[64];

	driver_of(devdir, drv);
	if (!drv[0])
		return;
	unlink(fmt(p, "%s/sys/bus/pci/drivers/%s/%s", root, drv, base(devdir)));
	unlink(fmt(p, "%s/driver", devdir));
	flog(root, "unbind %s %s", base(devdir), drv);
	update_vfio(root, group_of(devdir));
}

/* PF directory of a VF ("" for a PF) */
static void physfn_of(const char *devdir, char *out)
{
	char p[PATH_MAX];

	if (!realpath(fmt(p, "%s/physfn", devdir), out))
		out[0] = '\0';
}

static bool autoprobe_on(const char *pfdir)
{
	char p[PATH_MAX], b[16];

	return get_file(fmt(p, "%s/sriov_drivers_autoprobe", pfdir), b, sizeof(b)) <= 0 ||
	       atoi(b) != 0;
}

static void override_of(const char *devdir, char *out)
{
	char p[PATH_MAX];

	if (get_file(fmt(p, "%s/driver_override", devdir), out, 64) <= 0 || !strcmp(out, "(null)"))
		out[0] = '\0';
}

/* VFMGR_FAKE_PROBE_FAIL="<bdf>[@<driver>][,...]" or "*": that driver's probe of that device fails */
static bool probe_fails(const char *bdf, const char *drv)
{
	const char *env = getenv("VFMGR_FAKE_PROBE_FAIL");
	char buf[512], *save = NULL, *tok;

	if (!env || !*env)
		return false;
	if (!strcmp(env, "*"))
		return true;
	snprintf(buf, sizeof(buf), "%s", env);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *at = strchr(tok, '@');
		if (at)
			*at++ = '\0';
		if (!strcmp(tok, bdf) && (!at || !strcmp(at, drv)))
			return true;
	}
	return false;
}

/* pci_device_can_probe() + pci_match_device(): which driver would probe this device */
static void match_driver(const char *root, const char *devdir, char *out)
{
	char p[PATH_MAX], pf[PATH_MAX], ovr[64];

	out[0] = '\0';
	override_of(devdir, ovr);
	physfn_of(devdir, pf);
	if (ovr[0]) {
		snprintf(out, 64, "%s", ovr);
	} else if (pf[0]) {
		if (!autoprobe_on(pf))
			return;
		get_file(fmt(p, "%s/.fakesys/%s.vfdriver", root, base(pf)), out, 64);
	} else {
		get_file(fmt(p, "%s/.fakesys/%s.driver", root, base(devdir)), out, 64);
	}
	if (out[0] && !exists(fmt(p, "%s/sys/bus/pci/drivers/%s", root, out)))
		out[0] = '\0';
}

static void vf_bdf(const char *pfbdf, unsigned offset, unsigned stride, unsigned i, char *out)
{
	unsigned dom, bus, dev, fn;

	sscanf(pfbdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn);
	unsigned rid = (bus << 8 | dev << 3 | fn) + offset + stride * i;
	snprintf(out, 16, "%04x:%02x:%02x.%x", dom, (rid >> 8) & 0xff, (rid >> 3) & 0x1f, rid & 7);
}

static int next_group(const char *root)
{
	char p[PATH_MAX];
	struct dirent *e;
	int max = -1;
	DIR *d = opendir(fmt(p, "%s/sys/kernel/iommu_groups", root));

	if (d) {
		while ((e = readdir(d)))
			if (e->d_name[0] != '.' && atoi(e->d_name) > max)
				max = atoi(e->d_name);
		closedir(d);
	}
	return max + 1;
}

static void create_vf(const char *root, const char *pfdir, unsigned i)
{
	char p[PATH_MAX], q[PATH_MAX], b[128], vbdf[16], dir[PATH_MAX], vfdir[PATH_MAX];
	unsigned off = 1, stride = 1;
	int g;

	if (get_file(fmt(p, "%s/sriov_offset", pfdir), b, sizeof(b)) > 0)
		off = (unsigned)atoi(b);
	if (get_file(fmt(p, "%s/sriov_stride", pfdir), b, sizeof(b)) > 0)
		stride = (unsigned)atoi(b);
	vf_bdf(base(pfdir), off, stride, i, vbdf);
	snprintf(dir, sizeof(dir), "%s", pfdir);
	*strrchr(dir, '/') = '\0';
	fmt(vfdir, "%s/%s", dir, vbdf);
	mkdir(vfdir, 0755);
	get_file(fmt(p, "%s/vendor", pfdir), b, sizeof(b));
	put_file(fmt(p, "%s/vendor", vfdir), strcat(b, "\n"));
	if (get_file(fmt(p, "%s/sriov_vf_device", pfdir), b, sizeof(b)) > 0) {
		char d2[140];
		snprintf(d2, sizeof(d2), "0x%s\n", strncmp(b, "0x", 2) ? b : b + 2);
		put_file(fmt(p, "%s/device", vfdir), d2);
	} else {
		get_file(fmt(p, "%s/device", pfdir), b, sizeof(b));
		put_file(fmt(p, "%s/device", vfdir), strcat(b, "\n"));
	}
	get_file(fmt(p, "%s/class", pfdir), b, sizeof(b));
	put_file(fmt(p, "%s/class", vfdir), strcat(b, "\n"));
	get_file(fmt(p, "%s/numa_node", pfdir), b, sizeof(b));
	put_file(fmt(p, "%s/numa_node", vfdir), strcat(b, "\n"));
	if (get_file(fmt(p, "%s/local_cpulist", pfdir), b, sizeof(b)) >= 0)
		put_file(fmt(p, "%s/local_cpulist", vfdir), strcat(b, "\n"));
	put_file(fmt(p, "%s/driver_override", vfdir), "(null)\n");
	symlink(pfdir, fmt(p, "%s/physfn", vfdir));
	/* IOMMU group: the PF's when .fakesys/<pf>.vfgroup says "shared", else a new one */
	int pg = group_of(pfdir);
	if (pg >= 0) {
		get_file(fmt(p, "%s/.fakesys/%s.vfgroup", root, base(pfdir)), b, sizeof(b));
		g = !strcmp(b, "shared") ? pg : next_group(root);
		fmt(q, "%s/sys/kernel/iommu_groups/%d", root, g);
		mkdir(q, 0755);
		mkdir(fmt(p, "%s/devices", q), 0755);
		if (!exists(fmt(p, "%s/type", q)))
			put_file(p, "DMA-FQ\n");
		symlink(vfdir, fmt(p, "%s/devices/%s", q, vbdf));
		symlink(q, fmt(p, "%s/iommu_group", vfdir));
	}
	symlink(vfdir, fmt(p, "%s/sys/bus/pci/devices/%s", root, vbdf));
	symlink(vfdir, fmt(p, "%s/virtfn%u", pfdir, i));
	flog(root, "create VF %s (virtfn%u of %s, group %d)", vbdf, i, base(pfdir),
	     pg >= 0 ? g : -1);
	if (autoprobe_on(pfdir)) {
		char drv[64];
		match_driver(root, vfdir, drv);
		if (drv[0] && !probe_fails(vbdf, drv))
			do_bind(root, vfdir, drv);
	}
}

static void remove_vf(const char *root, const char *pfdir, unsigned i)
{
	char p[PATH_MAX], vfdir[PATH_MAX], gdir[PATH_MAX];
	int g;

	if (!realpath(fmt(p, "%s/virtfn%u", pfdir, i), vfdir))
		return;
	do_unbind(root, vfdir);
	g = group_of(vfdir);
	if (g >= 0) {
		fmt(gdir, "%s/sys/kernel/iommu_groups/%d", root, g);
		unlink(fmt(p, "%s/devices/%s", gdir, base(vfdir)));
		if (rmdir(fmt(p, "%s/devices", gdir)) == 0) {
			unlink(fmt(p, "%s/type", gdir));
			rmdir(gdir);
			unlink(fmt(p, "%s/dev/vfio/%d", root, g));
		} else {
			update_vfio(root, g);
		}
	}
	unlink(fmt(p, "%s/sys/bus/pci/devices/%s", root, base(vfdir)));
	flog(root, "remove VF %s (virtfn%u of %s)", base(vfdir), i, base(pfdir));
	rm_rf(vfdir);
	unlink(fmt(p, "%s/virtfn%u", pfdir, i));
}

struct delayed {
	char root[PATH_MAX], pfdir[PATH_MAX];
	unsigned from, to;
	long ms;
};

static void *delayed_create(void *arg)
{
	struct delayed *d = arg;
	struct timespec ts = { d->ms / 1000, (d->ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	pthread_mutex_lock(&mu);
	for (unsigned i = d->from; i < d->to; i++)
		create_vf(d->root, d->pfdir, i);
	pthread_mutex_unlock(&mu);
	free(d);
	return NULL;
}

static int store_numvfs(const char *root, const char *pfdir, const char *val)
{
	char p[PATH_MAX], b[64], drv[64], *end;
	unsigned long n, total, cur;

	n = strtoul(val, &end, 0);
	if (end == val || (*end && *end != '\n') || n > 65535)
		return EINVAL; /* kstrtou16 */
	get_file(fmt(p, "%s/sriov_totalvfs", pfdir), b, sizeof(b));
	total = strtoul(b, NULL, 10);
	if (n > total)
		return ERANGE;
	get_file(fmt(p, "%s/sriov_numvfs", pfdir), b, sizeof(b));
	cur = strtoul(b, NULL, 10);
	if (n == cur)
		return 0;
	driver_of(pfdir, drv);
	if (!drv[0] || exists(fmt(p, "%s/.fakesys/nosriov_%s", root, drv)))
		return ENOENT;
	if (n == 0) {
		for (unsigned i = 0; i < cur; i++)
			remove_vf(root, pfdir, i);
		put_file(fmt(p, "%s/sriov_numvfs", pfdir), "0\n");
		return 0;
	}
	if (cur)
		return EBUSY;
	/* partial creation: VFMGR_FAKE_PARTIAL="<pf bdf>=K" */
	unsigned k = (unsigned)n;
	const char *part = getenv("VFMGR_FAKE_PARTIAL");
	if (part && !strncmp(part, base(pfdir), strlen(base(pfdir))) &&
	    part[strlen(base(pfdir))] == '=') {
		k = (unsigned)atoi(part + strlen(base(pfdir)) + 1);
		if (k > n)
			k = (unsigned)n;
	}
	snprintf(b, sizeof(b), "%lu\n", n);
	put_file(fmt(p, "%s/sriov_numvfs", pfdir), b);
	const char *dl = getenv("VFMGR_FAKE_VF_DELAY_MS");
	long ms = dl ? atol(dl) : 0;
	if (ms > 0) {
		struct delayed *d = calloc(1, sizeof(*d));
		pthread_t th;
		if (d) {
			snprintf(d->root, sizeof(d->root), "%s", root);
			snprintf(d->pfdir, sizeof(d->pfdir), "%s", pfdir);
			d->to = k;
			d->ms = ms > 30000 ? 30000 : ms;
			if (pthread_create(&th, NULL, delayed_create, d) == 0) {
				pthread_detach(th);
				return 0;
			}
			free(d);
		}
	}
	for (unsigned i = 0; i < k; i++)
		create_vf(root, pfdir, i);
	return 0;
}

static int store_probe(const char *root, const char *val)
{
	char bdf[64], dd[PATH_MAX], drv[64];

	snprintf(bdf, sizeof(bdf), "%s", val);
	bdf[strcspn(bdf, "\n")] = '\0';
	if (!dev_dir(root, bdf, dd))
		return ENODEV;
	driver_of(dd, drv);
	if (drv[0])
		return 0;
	match_driver(root, dd, drv);
	if (drv[0] && !probe_fails(bdf, drv))
		do_bind(root, dd, drv);
	return 0;
}

static int store_bind(const char *root, const char *drvdir, const char *val)
{
	char bdf[64], dd[PATH_MAX], cur[64], ovr[64], pf[PATH_MAX];
	const char *drv = base(drvdir);

	snprintf(bdf, sizeof(bdf), "%s", val);
	bdf[strcspn(bdf, "\n")] = '\0';
	if (!dev_dir(root, bdf, dd))
		return ENODEV;
	override_of(dd, ovr);
	if (ovr[0] && strcmp(ovr, drv))
		return ENODEV; /* driver_override: only that driver matches */
	physfn_of(dd, pf);
	if (pf[0] && !ovr[0] && !autoprobe_on(pf))
		return ENODEV; /* pci_device_can_probe() */
	driver_of(dd, cur);
	if (cur[0])
		return EBUSY;
	if (probe_fails(bdf, drv))
		return ENXIO;
	do_bind(root, dd, drv);
	return 0;
}

static int store_unbind(const char *root, const char *drvdir, const char *val)
{
	char bdf[64], dd[PATH_MAX], cur[64];

	snprintf(bdf, sizeof(bdf), "%s", val);
	bdf[strcspn(bdf, "\n")] = '\0';
	if (!dev_dir(root, bdf, dd))
		return ENODEV;
	driver_of(dd, cur);
	if (strcmp(cur, base(drvdir)))
		return ENODEV;
	do_unbind(root, dd);
	return 0;
}

/* Perform a write on a tracked file; returns 0 or errno. */
static int handle(const struct tracked *t, const char *buf, size_t n)
{
	char root[PATH_MAX], val[512], dir[PATH_MAX], p[PATH_MAX];
	int e;

	if (!root_of(root))
		return 0;
	if (n >= sizeof(val))
		n = sizeof(val) - 1;
	memcpy(val, buf, n);
	val[n] = '\0';
	snprintf(dir, sizeof(dir), "%s", t->path);
	*strrchr(dir, '/') = '\0';
	e = fault_for(t->path + strlen(root));
	if (e) {
		flog(root, "write %s '%.*s' -> injected %s", t->path, (int)strcspn(val, "\n"), val,
		     strerror(e));
		return e;
	}
	pthread_mutex_lock(&mu);
	switch (t->kind) {
	case K_NUMVFS:
		e = store_numvfs(root, dir, val);
		break;
	case K_AUTOPROBE: {
		char *end;
		unsigned long v = strtoul(val, &end, 0);
		if (end == val || v > 1)
			e = EINVAL;
		else
			put_file(t->path, v ? "1\n" : "0\n");
		break;
	}
	case K_OVERRIDE: {
		size_t l = strcspn(val, "\n");
		val[l] = '\0';
		put_file(t->path, l ? strcat(val, "\n") : "(null)\n");
		break;
	}
	case K_PROBE:
		e = store_probe(root, val);
		break;
	case K_BIND:
		e = store_bind(root, dir, val);
		break;
	case K_UNBIND:
		e = store_unbind(root, dir, val);
		break;
	case K_IDS:
	case K_NONE:
		break;
	}
	pthread_mutex_unlock(&mu);
	flog(root, "write %s '%.*s' -> %s", t->path, (int)strcspn(val, "\n"), val,
	     e ? strerror(e) : "ok");
	(void)p;
	return e;
}

/* Classify a path: returns kind and canonical path if under the root. */
static enum kind classify(int dirfd, const char *path, char *canon)
{
	char root[PATH_MAX], full[PATH_MAX], dir[PATH_MAX], rdir[PATH_MAX];
	const char *b;
	size_t rl;

	if (!path || !root_of(root))
		return K_NONE;
	if (path[0] != '/' && dirfd != AT_FDCWD)
		return K_NONE;
	snprintf(full, sizeof(full), "%s", path);
	snprintf(dir, sizeof(dir), "%s", full);
	char *sl = strrchr(dir, '/');
	if (sl) {
		*sl = '\0';
		if (!dir[0])
			strcpy(dir, "/");
	} else {
		strcpy(dir, ".");
	}
	if (!realpath(dir, rdir))
		return K_NONE;
	rl = strlen(root);
	if (strncmp(rdir, root, rl) || (rdir[rl] && rdir[rl] != '/'))
		return K_NONE;
	b = base(full);
	snprintf(canon, PATH_MAX, "%s/%s", rdir, b);
	if (!strcmp(b, "sriov_numvfs"))
		return K_NUMVFS;
	if (!strcmp(b, "sriov_drivers_autoprobe"))
		return K_AUTOPROBE;
	if (!strcmp(b, "driver_override"))
		return K_OVERRIDE;
	if (!strcmp(b, "drivers_probe"))
		return K_PROBE;
	if (!strcmp(b, "bind") || !strcmp(b, "unbind") || !strcmp(b, "new_id") ||
	    !strcmp(b, "remove_id")) {
		const char *pd = strrchr(rdir, '/');
		char parent[PATH_MAX];
		snprintf(parent, sizeof(parent), "%.*s", (int)(pd - rdir), rdir);
		if (strcmp(base(parent), "drivers"))
			return K_NONE;
		return !strcmp(b, "bind") ? K_BIND : !strcmp(b, "unbind") ? K_UNBIND : K_IDS;
	}
	return K_NONE;
}

static void track(int fd, enum kind k, const char *canon)
{
	struct tracked *t;

	if (fd < 0 || fd >= MAXFD || k == K_NONE)
		return;
	t = calloc(1, sizeof(*t));
	if (!t)
		return;
	t->kind = k;
	snprintf(t->path, sizeof(t->path), "%s", canon);
	pthread_mutex_lock(&mu);
	free(fds[fd]);
	fds[fd] = t;
	pthread_mutex_unlock(&mu);
}

static bool wants_write(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY;
}

/* sysfs ignores O_TRUNC/O_APPEND; strip them so the fixture file keeps its value */
static int open_common(int dirfd, const char *path, int flags, mode_t mode, bool at)
{
	char canon[PATH_MAX];
	enum kind k = K_NONE;
	int fd;

	init_real();
	if (wants_write(flags))
		k = classify(dirfd, path, canon);
	if (k != K_NONE)
		flags &= ~(O_TRUNC | O_APPEND | O_CREAT);
	fd = at ? real_openat(dirfd, path, flags, mode) : real_open(path, flags, mode);
	if (fd >= 0 && k != K_NONE)
		track(fd, k, canon);
	return fd;
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | __O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return open_common(AT_FDCWD, path, flags, mode, false);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	va_start(ap, flags);
	if (flags & (O_CREAT | __O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return open_common(dirfd, path, flags, mode, true);
}

int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));

int __open_2(const char *path, int flags)
{
	return open_common(AT_FDCWD, path, flags, 0, false);
}

int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));

int __openat_2(int dirfd, const char *path, int flags)
{
	return open_common(dirfd, path, flags, 0, true);
}

int __openat64_2(int dirfd, const char *path, int flags) __attribute__((alias("__openat_2")));

ssize_t write(int fd, const void *buf, size_t n)
{
	struct tracked t;
	bool hit = false;
	int e;

	init_real();
	if (fd >= 0 && fd < MAXFD) {
		pthread_mutex_lock(&mu);
		if (fds[fd]) {
			t = *fds[fd];
			hit = true;
		}
		pthread_mutex_unlock(&mu);
	}
	if (!hit)
		return real_write(fd, buf, n);
	if (n == 0)
		return 0; /* vfs_write() never calls the store method for 0 bytes */
	e = handle(&t, buf, n);
	if (e) {
		errno = e;
		return -1;
	}
	return (ssize_t)n;
}

int close(int fd)
{
	init_real();
	if (fd >= 0 && fd < MAXFD) {
		pthread_mutex_lock(&mu);
		free(fds[fd]);
		fds[fd] = NULL;
		pthread_mutex_unlock(&mu);
	}
	return real_close(fd);
}

/* Shells redirect with open + dup2 + close: carry the tracking over. */
static void copy_track(int from, int to)
{
	struct tracked *n = NULL;

	if (from < 0 || from >= MAXFD || to < 0 || to >= MAXFD || from == to)
		return;
	pthread_mutex_lock(&mu);
	if (fds[from]) {
		n = malloc(sizeof(*n));
		if (n)
			*n = *fds[from];
	}
	free(fds[to]);
	fds[to] = n;
	pthread_mutex_unlock(&mu);
}

int dup(int fd)
{
	init_real();
	int r = real_dup(fd);
	if (r >= 0)
		copy_track(fd, r);
	return r;
}

int dup2(int fd, int fd2)
{
	init_real();
	int r = real_dup2(fd, fd2);
	if (r >= 0)
		copy_track(fd, r);
	return r;
}

int dup3(int fd, int fd2, int flags)
{
	init_real();
	int r = real_dup3(fd, fd2, flags);
	if (r >= 0)
		copy_track(fd, r);
	return r;
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;
	int r;

	init_real();
	va_start(ap, cmd);
	arg = va_arg(ap, long); /* every fcntl argument fits a long or a pointer */
	va_end(ap);
	r = real_fcntl(fd, cmd, arg);
	if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		copy_track(fd, r);
	return r;
}

int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

/* stdio: a write-mode fopen() of a control file becomes a cookie stream whose
 * flushes go through the same store methods (glibc's internal writes bypass
 * the write() interposer). */
struct cookie {
	struct tracked t;
};

static ssize_t ck_write(void *c, const char *buf, size_t n)
{
	int e = handle(&((struct cookie *)c)->t, buf, n);

	if (e) {
		errno = e;
		return -1;
	}
	return (ssize_t)n;
}

static int ck_close(void *c)
{
	free(c);
	return 0;
}

static FILE *fopen_common(const char *path, const char *mode, bool is64)
{
	char canon[PATH_MAX];
	enum kind k = K_NONE;

	init_real();
	if (strpbrk(mode, "wa+"))
		k = classify(AT_FDCWD, path, canon);
	if (k != K_NONE && exists(canon)) {
		struct cookie *c = calloc(1, sizeof(*c));
		cookie_io_functions_t io = { .write = ck_write, .close = ck_close };
		FILE *f;
		if (!c)
			return NULL;
		c->t.kind = k;
		snprintf(c->t.path, sizeof(c->t.path), "%s", canon);
		f = fopencookie(c, "w", io);
		if (!f)
			free(c);
		else
			setvbuf(f, NULL, _IOFBF, 4096);
		return f;
	}
	return is64 ? real_fopen64(path, mode) : real_fopen(path, mode);
}

FILE *fopen(const char *path, const char *mode)
{
	return fopen_common(path, mode, false);
}

FILE *fopen64(const char *path, const char *mode)
{
	return fopen_common(path, mode, true);
}
