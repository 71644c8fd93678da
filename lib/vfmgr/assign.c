/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * assign.c: assign/release of VFs to libvirt domains and their journal recovery.
 *
 * Assign (journal type "assign", steps in this order, each a crash point):
 *   intent {domain, pf, index, vf_bdf, form, prev_driver, saved_attrs, want_attrs}
 *   "bind"   vfio-pci unless already bound (vfmgr_dev_bind: driver_override + drivers_probe)
 *   "attrs"  MAC/VLAN/... of the [vf] section on the PF (rtnetlink), when the PF has a netdev
 *   "attach" libvirt (vfmgr_virt_attach)
 *   "owner"  ownership file
 *   "irq"    MSI-X IRQs to the domain's pinned CPUs (lib/irqpost), old affinity saved
 * Release (journal type "release"):
 *   "detach" libvirt, confirmed by re-reading the domain XML; nothing else happens
 *            before libvirt confirms (operators' complaint: VF reset while a guest uses it)
 *   "attrs"  saved attributes back; "irq" saved affinity back; "driver" (driver = none)
 *   "owner"  ownership dropped
 * Saved state for release lives in <state>/assigned/<pf>_<index>.json.
 * Recovery asks libvirt whether the VF is in the domain's XML (live or persistent):
 *   assign:  present -> finish (owner recorded); absent -> roll back (driver, attrs, owner)
 *   release: present -> roll back (still owned, untouched); absent -> finish.
 * The request executor (vfmgr_exec) is in exec.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "vfmgr_priv.h" /* vfmgr_journal_forget() */

#include "irqpost.h"

/* ------------------------------------------------------------------ helpers */

static void note(struct vfmgr_assign_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(struct vfmgr_assign_result *res, const char *fmt, ...)
{
	size_t n = strlen(res->note);
	va_list ap;

	if (n >= sizeof(res->note) - 4)
		return;
	if (n)
		res->note[n++] = ';', res->note[n++] = ' ', res->note[n] = '\0';
	va_start(ap, fmt);
	vsnprintf(res->note + n, sizeof(res->note) - n, fmt, ap);
	va_end(ap);
}

int vfmgr_session_virt(struct vfmgr_session *s, struct vfmgr_virt **out)
{
	pthread_mutex_t *mu = s->virt_mu;
	int rc = 0;

	*out = NULL;
	if (mu)
		pthread_mutex_lock(mu);
	if (s->virt && !vfmgr_virt_alive(s->virt)) {
		/* libvirtd went away: users still holding a reference finish with the old one. */
		vfmgr_virt_close(s->virt);
		s->virt = NULL;
	}
	if (!s->virt)
		rc = vfmgr_virt_open(s->uri, &s->virt);
	if (rc == 0)
		*out = vfmgr_virt_ref(s->virt);
	if (mu)
		pthread_mutex_unlock(mu);
	return rc;
}

int vfmgr_session_discover(struct vfmgr_session *s, struct vfmgr_host **out, char *warn,
			   size_t wlen)
{
	struct vfmgr_virt *v = NULL;
	int rc;

	if (warn && wlen)
		warn[0] = '\0';
	if ((rc = vfmgr_discover(s->ctx, out)) < 0)
		return rc;
	rc = vfmgr_session_virt(s, &v);
	if (rc == 0)
		rc = vfmgr_virt_holders(v, *out);
	vfmgr_virt_close(v);
	if (rc < 0 && warn && wlen)
		snprintf(
			warn, wlen,
			"libvirt not asked which domains hold VFs (%s): VFs held by domains without "
			"an owner record are not shown",
			vfmgr_errmsg());
	vfmgr_clear_error();
	return 0;
}

static json_t *attrs_to_json(const struct vfmgr_vf_attrs *a)
{
	json_t *o = json_object();
	char mac[18];

	json_object_set_new(o, "set", json_integer(a->set));
	if (a->set & VFMGR_ATTR_MAC)
		json_object_set_new(o, "mac", json_string(vfmgr_format_mac(a->mac, mac)));
	if (a->set & VFMGR_ATTR_VLAN) {
		json_object_set_new(o, "vlan", json_integer(a->vlan));
		json_object_set_new(o, "qos", json_integer(a->qos));
		json_object_set_new(o, "vlan_proto", json_integer(a->vlan_proto));
	}
	if (a->set & VFMGR_ATTR_SPOOFCHK)
		json_object_set_new(o, "spoofchk", json_boolean(a->spoofchk));
	if (a->set & VFMGR_ATTR_TRUST)
		json_object_set_new(o, "trust", json_boolean(a->trust));
	if (a->set & VFMGR_ATTR_LINK_STATE)
		json_object_set_new(o, "link_state", json_integer(a->link_state));
	if (a->set & VFMGR_ATTR_RATE) {
		json_object_set_new(o, "min_rate", json_integer(a->min_rate));
		json_object_set_new(o, "max_rate", json_integer(a->max_rate));
	}
	return o;
}

static bool attrs_from_json(const json_t *o, struct vfmgr_vf_attrs *a)
{
	memset(a, 0, sizeof(*a));
	if (!json_is_object(o))
		return false;
	a->set = (uint32_t)json_integer_value(json_object_get(o, "set"));
	if ((a->set & VFMGR_ATTR_MAC) &&
	    vfmgr_parse_mac(json_string_value(json_object_get(o, "mac")) ?: "", a->mac) < 0)
		a->set &= ~(uint32_t)VFMGR_ATTR_MAC;
	a->vlan = (uint16_t)json_integer_value(json_object_get(o, "vlan"));
	a->qos = (uint8_t)json_integer_value(json_object_get(o, "qos"));
	a->vlan_proto = (uint16_t)json_integer_value(json_object_get(o, "vlan_proto"));
	a->spoofchk = json_is_true(json_object_get(o, "spoofchk"));
	a->trust = json_is_true(json_object_get(o, "trust"));
	a->link_state = (uint8_t)json_integer_value(json_object_get(o, "link_state"));
	a->min_rate = (uint32_t)json_integer_value(json_object_get(o, "min_rate"));
	a->max_rate = (uint32_t)json_integer_value(json_object_get(o, "max_rate"));
	return a->set != 0;
}

static const struct vfmgr_pf_conf *conf_pf(const struct vfmgr_conf *conf, const char *pf_bdf)
{
	for (unsigned int i = 0; conf && i < conf->n_pfs; i++)
		if (strcmp(conf->pfs[i].bdf, pf_bdf) == 0)
			return &conf->pfs[i];
	return NULL;
}

/* <state>/assigned/<pf>_<index>.json */
static void side_path(struct vfmgr_session *s, const char *pf, unsigned int idx, char *buf,
		      size_t len)
{
	snprintf(buf, len, "%s/assigned/%s_%u.json", vfmgr_ctx_state_dir(s->ctx), pf, idx);
}

static int side_write(struct vfmgr_session *s, const char *pf, unsigned int idx, json_t *o)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32], dir[PATH_MAX];
	int fd, rc = 0;

	snprintf(dir, sizeof(dir), "%s/assigned", vfmgr_ctx_state_dir(s->ctx));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return vfmgr_set_error(errno, "cannot create %s: %s", dir, strerror(errno));
	side_path(s, pf, idx, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path,
		 (int)getpid()); /* swept by recovery if we die */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return vfmgr_set_error(errno, "cannot create %s: %s", tmp, strerror(errno));
	if (json_dumpfd(o, fd, JSON_INDENT(1) | JSON_SORT_KEYS) < 0 || fsync(fd) < 0) {
		int e = errno ? errno : EIO;
		close(fd);
		unlink(tmp);
		return vfmgr_set_error(e, "cannot write %s: %s", tmp, strerror(e));
	}
	close(fd);
	if (rename(tmp, path) < 0)
		rc = vfmgr_set_error(errno, "cannot rename %s: %s", tmp, strerror(errno));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return rc;
}

json_t *vfmgr_assigned_read(struct vfmgr_session *s, const char *pf, unsigned int idx)
{
	char path[PATH_MAX];

	side_path(s, pf, idx, path, sizeof(path));
	return json_load_file(path, 0, NULL);
}

static void side_remove(struct vfmgr_session *s, const char *pf, unsigned int idx)
{
	char path[PATH_MAX];

	side_path(s, pf, idx, path, sizeof(path));
	unlink(path);
}

/* ------------------------------------------------------------------ IRQs */

/* Save the current smp_affinity_list of the VF's IRQs: {"<irq>":"<list>"}. */
static json_t *irq_save(struct vfmgr_session *s, const char *bdf)
{
	json_t *o = json_object();
	int irqs[256];
	char err[256], path[PATH_MAX], line[1024];
	int n = irqpost_vf_irqs(vfmgr_ctx_root(s->ctx), bdf, irqs, 256, err, sizeof(err));

	for (int i = 0; i < n; i++) {
		FILE *f;
		char key[16];

		snprintf(path, sizeof(path), "%s/proc/irq/%d/smp_affinity_list",
			 vfmgr_ctx_root(s->ctx), irqs[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(key, sizeof(key), "%d", irqs[i]);
			json_object_set_new(o, key, json_string(line));
		}
		fclose(f);
	}
	return o;
}

static int irq_restore(struct vfmgr_session *s, const json_t *saved)
{
	const char *key;
	json_t *v;
	int n = 0;

	json_object_foreach((json_t *)saved, key, v)
	{
		char path[PATH_MAX];
		FILE *f;

		if (!json_is_string(v))
			continue;
		snprintf(path, sizeof(path), "%s/proc/irq/%s/smp_affinity_list",
			 vfmgr_ctx_root(s->ctx), key);
		f = fopen(path, "we");
		if (!f)
			continue;
		bool wrote = fprintf(f, "%s\n", json_string_value(v)) > 0;
		if (fclose(f) == 0 && wrote)
			n++;
	}
	return n;
}

/* Steer to the domain's pinned CPUs. @return IRQs steered, 0 none/unpinned, <0 errno. */
static int irq_steer(struct vfmgr_session *s, const char *bdf, const struct vfmgr_placement *pl,
		     struct vfmgr_assign_result *res)
{
	int cpus[VFMGR_VIRT_MAX_CPUS];
	size_t n = 0;
	struct irqpost_steer *saved = NULL;
	char err[256] = "";
	int rc;

	for (int c = 0; c < VFMGR_VIRT_MAX_CPUS; c++)
		if (pl->pinned[c / 8] & (1u << (c % 8)))
			cpus[n++] = c;
	if (n == 0) {
		note(res, "domain has no pinned vCPUs: VF interrupts left where they are");
		return 0;
	}
	rc = irqpost_steer(vfmgr_ctx_root(s->ctx), bdf, cpus, n, &saved, err, sizeof(err));
	irqpost_steer_free(saved); /* the affinity to restore is in the side file */
	if (rc < 0)
		note(res, "MSI-X steering not done: %s", err[0] ? err : strerror(-rc));
	else if (rc == 0)
		note(res, "VF has no MSI-X IRQs yet (vfio-pci enables them when the guest does)");
	return rc;
}

/* ------------------------------------------------------------------ VF lookup */

static int find_pf(const struct vfmgr_host *h, const char *pf, char out[VFMGR_BDF_LEN])
{
	char bdf[VFMGR_BDF_LEN];

	if (vfmgr_parse_bdf(pf, bdf) == 0 && vfmgr_host_find_pf(h, bdf)) {
		memcpy(out, bdf, VFMGR_BDF_LEN);
		return 0;
	}
	for (unsigned int i = 0; i < h->n_pfs; i++)
		if (h->pfs[i].netdev[0] && strcmp(h->pfs[i].netdev, pf) == 0) {
			memcpy(out, h->pfs[i].bdf, VFMGR_BDF_LEN);
			return 0;
		}
	return vfmgr_set_error(ENOENT,
			       "no SR-IOV PF '%s': give its PCI address (0000:3b:00.0) or "
			       "netdev name; `vfmgr status` lists them",
			       pf);
}

/* target = VF BDF | PF/index | PF:index -> VF (NULL when not a VF name). */
const struct vfmgr_vf *vfmgr_find_vf_target(const struct vfmgr_host *h, const char *target)
{
	char pf[64], bdf[VFMGR_BDF_LEN];
	const char *sep;
	char *end;
	unsigned long idx;

	if (vfmgr_parse_bdf(target, bdf) == 0)
		return vfmgr_host_find_vf_bdf(h, bdf);
	sep = strrchr(target, '/');
	if (!sep)
		sep = strrchr(target, ':');
	if (!sep || (size_t)(sep - target) >= sizeof(pf))
		return NULL;
	memcpy(pf, target, (size_t)(sep - target));
	pf[sep - target] = '\0';
	errno = 0;
	idx = strtoul(sep + 1, &end, 10);
	if (errno || *end || end == sep + 1)
		return NULL;
	if (find_pf(h, pf, bdf) < 0)
		return NULL;
	vfmgr_clear_error();
	return vfmgr_host_find_vf(h, bdf, (unsigned int)idx);
}

/* ------------------------------------------------------------------ assign */

struct undo {
	bool bound, attrs, attached, owned, irq;
};

static int rollback(struct vfmgr_session *s, const json_t *intent, const struct undo *u,
		    struct vfmgr_virt *v)
{
	const char *dom = json_string_value(json_object_get(intent, "domain"));
	const char *pf = json_string_value(json_object_get(intent, "pf"));
	const char *bdf = json_string_value(json_object_get(intent, "vf_bdf"));
	const char *prev = json_string_value(json_object_get(intent, "prev_driver"));
	const char *pfnet = json_string_value(json_object_get(intent, "pf_netdev"));
	unsigned int idx = (unsigned int)json_integer_value(json_object_get(intent, "index"));
	struct vfmgr_vf_attrs saved;
	json_t *side;
	int rc = 0, r;

	if (!dom || !pf || !bdf)
		return 0;
	side = vfmgr_assigned_read(s, pf, idx);
	if (u->irq && side)
		irq_restore(s, json_object_get(side, "irq_affinity"));
	if (u->attached && v && (r = vfmgr_virt_detach(v, dom, bdf, NULL)) < 0 && r != -ENOENT)
		rc = r;
	if (u->owned && (r = vfmgr_owner_clear(s->ctx, pf, idx, dom)) < 0 && !rc)
		rc = r;
	if (u->attrs && pfnet && *pfnet &&
	    attrs_from_json(json_object_get(intent, "saved_attrs"), &saved))
		vfmgr_vf_set_attrs(pfnet, idx, &saved);
	if (u->bound && prev && strcmp(prev, "vfio-pci") != 0)
		vfmgr_dev_bind_host(s->ctx, bdf);
	json_decref(side);
	if (rc == 0)
		side_remove(s, pf, idx);
	return rc;
}

static int do_assign_vf(struct vfmgr_session *s, struct vfmgr_virt *v,
			const struct vfmgr_assign_req *req, struct vfmgr_host *host,
			const struct vfmgr_placement *pl, const struct vfmgr_vf *vf,
			struct vfmgr_assign_result *res);

/* The NUMA policy that applies: the PF's, the only PF's, else [global]'s. */
static enum vfmgr_numa_policy policy_of(struct vfmgr_session *s, const char *pf_want)
{
	const struct vfmgr_pf_conf *pc;

	if (pf_want && (pc = conf_pf(s->conf, pf_want)))
		return pc->numa_policy;
	if (!pf_want && s->conf && s->conf->n_pfs == 1)
		return s->conf->pfs[0].numa_policy;
	return s->conf ? s->conf->numa_policy : VFMGR_NUMA_PREFERRED;
}

static int do_assign(struct vfmgr_session *s, struct vfmgr_virt *v,
		     const struct vfmgr_assign_req *req, struct vfmgr_host *host,
		     const struct vfmgr_placement *pl, const char *pf_want,
		     struct vfmgr_assign_result *res)
{
	const struct vfmgr_vf *vf = NULL;
	int rc;

	if (req->vf >= 0) {
		vf = vfmgr_host_find_vf(host, pf_want, (unsigned int)req->vf);
		if (!vf)
			return vfmgr_set_error(
				ENOENT, "PF %s has no VF %d (it has %u); see `vfmgr status`",
				pf_want, req->vf, vfmgr_host_find_pf(host, pf_want)->n_vfs);
		if (vf->owner[0])
			return vfmgr_set_error(EBUSY,
					       "VF %s (pf %s vf %u) is owned by domain '%s'; "
					       "release it first or pick another VF",
					       vf->bdf, vf->pf_bdf, vf->index, vf->owner);
		if (vf->held_by[0])
			return vfmgr_set_error(
				EBUSY,
				"VF %s (pf %s vf %u) is held by libvirt domain '%s' (not assigned "
				"by vfmgr); detach it there, or `vfmgr adopt %s` to manage it, or pick "
				"another VF",
				vf->bdf, vf->pf_bdf, vf->index, vf->held_by, vf->held_by);
		if (vf->host_use[0] && !req->force)
			return vfmgr_set_error(
				EBUSY,
				"VF %s (pf %s vf %u, driver %s) is in use by the host: %s; release "
				"it first, or name it with --force to take it anyway",
				vf->bdf, vf->pf_bdf, vf->index, vf->driver, vf->host_use);
		if (policy_of(s, pf_want) == VFMGR_NUMA_REQUIRED && pl->nodes && !req->force &&
		    (vf->numa_node < 0 || vf->numa_node >= 64 ||
		     !(pl->nodes & (UINT64_C(1) << vf->numa_node)))) {
			char nodes[128] = "";
			size_t o = 0;
			for (int n = 0; n < 64; n++)
				if (pl->nodes & (UINT64_C(1) << n))
					o += (size_t)snprintf(nodes + o, sizeof(nodes) - o, "%s%d",
							      o ? "," : "", n);
			return vfmgr_set_error(
				ENOSPC,
				"VF %s (pf %s vf %u) is on NUMA node %d but domain '%s' runs on "
				"node(s) %s and numa-policy is required; pick a VF on node(s) %s, or "
				"--force",
				vf->bdf, vf->pf_bdf, vf->index, vf->numa_node, req->domain, nodes,
				nodes);
		}
	} else {
		rc = vfmgr_numa_choose(s->ctx, host, pf_want, pl->nodes, policy_of(s, pf_want),
				       &vf);
		if (rc < 0)
			return rc;
	}
	/* PF lock held by the caller; the VF lock orders us with anything keyed on this VF. */
	if ((rc = vfmgr_lock_vf(s->ctx, vf->pf_bdf, vf->index)) < 0)
		return rc;
	rc = do_assign_vf(s, v, req, host, pl, vf, res);
	vfmgr_unlock_vf(s->ctx, vf->pf_bdf, vf->index);
	return rc;
}

static int do_assign_vf(struct vfmgr_session *s, struct vfmgr_virt *v,
			const struct vfmgr_assign_req *req, struct vfmgr_host *host,
			const struct vfmgr_placement *pl, const struct vfmgr_vf *vf,
			struct vfmgr_assign_result *res)
{
	const struct vfmgr_pf *pf;
	const struct vfmgr_pf_conf *pc;
	const struct vfmgr_vf_conf *vc;
	struct vfmgr_hostdev hd = { .form = req->form, .vlan = -1 };
	struct vfmgr_vf_attrs want = { 0 };
	struct vfmgr_txn *op = NULL;
	struct undo u = { 0 };
	json_t *intent, *side;
	char key[64];
	int rc;

	pf = vfmgr_host_find_pf(host, vf->pf_bdf);
	snprintf(res->pf_bdf, sizeof(res->pf_bdf), "%s", vf->pf_bdf);
	snprintf(res->vf_bdf, sizeof(res->vf_bdf), "%s", vf->bdf);
	res->index = vf->index;
	res->vf_numa_node = vf->numa_node;

	/* Pre-flight on the chosen VF: its IOMMU group must hold only it. */
	rc = vfmgr_vf_group_check(s->ctx, vf->pf_bdf, vf->index);
	if (rc < 0) {
		res->refused = true;
		return rc;
	}

	pc = conf_pf(s->conf, vf->pf_bdf);
	vc = pc ? vfmgr_conf_find_vf(pc, vf->index) : NULL;
	if (vc)
		want = vc->attrs;
	snprintf(hd.bdf, sizeof(hd.bdf), "%s", vf->bdf);
	if (want.set & VFMGR_ATTR_MAC) {
		hd.has_mac = true;
		memcpy(hd.mac, want.mac, 6);
	}
	if ((want.set & VFMGR_ATTR_VLAN) && want.vlan > 0)
		hd.vlan = want.vlan;
	/*
	 * libvirt's interface form carries only <vlan><tag id=N/>: when the guest starts,
	 * virHostdevSetNetConfig sets the VF's VLAN to N with qos 0 and 802.1Q, so a configured
	 * qos or 802.1ad would be lost without a word. Refuse; the plain <hostdev> form keeps
	 * what vfmgr sets (libvirt does not touch a plain hostdev's VF attributes).
	 */
	if (req->form == VFMGR_HOSTDEV_INTERFACE && (want.set & VFMGR_ATTR_VLAN) &&
	    (want.qos || (want.vlan_proto && want.vlan_proto != 0x8100)))
		return vfmgr_set_error(
			EINVAL,
			"[vf \"%s\" %u] sets %s%s%s, which libvirt's <interface type='hostdev'> "
			"cannot carry: libvirt resets the VF VLAN to qos 0 / 802.1Q when the guest "
			"starts; assign with --plain (a <hostdev>, whose VF attributes vfmgr sets "
			"and libvirt leaves alone), or drop qos/vlan-proto",
			vf->pf_bdf, vf->index, want.qos ? "qos" : "",
			want.qos && want.vlan_proto == 0x88a8 ? " and " : "",
			want.vlan_proto == 0x88a8 ? "vlan-proto 802.1ad" : "");

	intent = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:b}", "domain", req->domain, "pf",
			   vf->pf_bdf, "index", (int)vf->index, "vf_bdf", vf->bdf, "form",
			   req->form == VFMGR_HOSTDEV_PLAIN ? "hostdev" : "interface",
			   "prev_driver", vf->driver, "pf_netdev", pf ? pf->netdev : "",
			   "domain_active", pl->active);
	if (!intent)
		return -ENOMEM;
	if (vf->attrs_known)
		json_object_set_new(intent, "saved_attrs", attrs_to_json(&vf->attrs));
	json_object_set_new(intent, "want_attrs", attrs_to_json(&want));
	snprintf(key, sizeof(key), "%s/%u", vf->pf_bdf, vf->index);
	rc = vfmgr_journal_begin(s->ctx, "assign", key, json_incref(intent), &op);
	if (rc < 0)
		goto out;

	/* Saved state for release (and rollback), before anything changes. */
	side = json_pack("{s:s, s:s, s:i, s:s, s:O}", "domain", req->domain, "pf", vf->pf_bdf,
			 "index", (int)vf->index, "vf_bdf", vf->bdf, "intent", intent);
	json_object_set_new(side, "irq_affinity", irq_save(s, vf->bdf));
	rc = side_write(s, vf->pf_bdf, vf->index, side);
	json_decref(side);
	if (rc < 0)
		goto fail;

	if (strcmp(vf->driver, "vfio-pci") != 0) {
		if ((rc = vfmgr_journal_step(op, "bind", json_string(vf->driver))) < 0)
			goto fail;
		u.bound = true;
		if ((rc = vfmgr_dev_bind(s->ctx, vf->bdf, "vfio-pci")) < 0)
			goto fail;
	}
	if (want.set && pf && pf->netdev[0]) {
		if ((rc = vfmgr_journal_step(op, "attrs", NULL)) < 0)
			goto fail;
		u.attrs = true;
		if ((rc = vfmgr_vf_set_attrs(pf->netdev, vf->index, &want)) < 0)
			goto fail;
	} else if (want.set && req->form == VFMGR_HOSTDEV_PLAIN) {
		note(res,
		     "PF %s has no netdev and --plain gives libvirt no <mac>/<vlan>: the MAC/VLAN configured "
		     "for this VF are not applied (assign without --plain to have libvirt set them)",
		     vf->pf_bdf);
	} else if (want.set) {
		note(res,
		     "PF %s has no netdev: only the MAC/VLAN reach the VF, through libvirt's <interface>; "
		     "its other attributes are not set",
		     vf->pf_bdf);
	}
	if ((rc = vfmgr_journal_step(op, "attach", NULL)) < 0)
		goto fail;
	rc = vfmgr_virt_attach(v, req->domain, &hd, &res->path);
	if (rc < 0)
		goto fail;
	u.attached = true;
	if ((rc = vfmgr_journal_step(op, "owner", NULL)) < 0)
		goto fail;
	u.owned = true;
	if ((rc = vfmgr_owner_set(s->ctx, vf->pf_bdf, vf->index, req->domain)) < 0)
		goto fail;
	if ((rc = vfmgr_journal_step(op, "irq", NULL)) < 0)
		goto fail;
	u.irq = true;
	res->irqs = irq_steer(s, vf->bdf, pl, res);
	rc = vfmgr_journal_commit(op);
	op = NULL;
	goto out;
fail : {
	char msg[VFMGR_ERRMSG_LEN];

	snprintf(msg, sizeof(msg), "%s", vfmgr_errmsg());
	if (rollback(s, intent, &u, v) < 0) {
		/* keep the journal: recovery finishes the rollback */
		if (op)
			vfmgr_journal_forget(op);
		op = NULL;
		vfmgr_set_error(-rc, "%s; rollback incomplete (%s): journal kept for recovery", msg,
				vfmgr_errmsg());
	} else {
		if (op)
			vfmgr_journal_abort(op);
		op = NULL;
		vfmgr_set_error(-rc, "%s", msg);
	}
}
out:
	json_decref(intent);
	return rc;
}

int vfmgr_assign(struct vfmgr_session *s, const struct vfmgr_assign_req *req,
		 struct vfmgr_assign_result *res)
{
	struct vfmgr_placement pl;
	struct vfmgr_host *host = NULL;
	struct vfmgr_virt *v = NULL;
	char pf_bdf[VFMGR_BDF_LEN] = "";
	char locked_pf[VFMGR_BDF_LEN] = "";
	int rc;

	memset(res, 0, sizeof(*res));
	res->vf_numa_node = -1;
	vfmgr_clear_error();
	if (!req || !req->domain || !*req->domain)
		return vfmgr_set_error(EINVAL, "assign needs a libvirt domain name");
	snprintf(res->domain, sizeof(res->domain), "%s", req->domain);
	if (req->vf >= 0 && !req->pf)
		return vfmgr_set_error(EINVAL, "--vf %d needs --pf (VF indexes are per PF)",
				       req->vf);

	rc = vfmgr_iommu_check(s->ctx);
	if (rc < 0) {
		res->refused = true;
		return rc;
	}
	if ((rc = vfmgr_session_virt(s, &v)) < 0)
		return rc;
	if ((rc = vfmgr_virt_placement(v, req->domain, vfmgr_ctx_root(s->ctx), &pl)) < 0)
		goto out;
	res->domain_nodes = pl.nodes;

	if ((rc = vfmgr_discover(s->ctx, &host)) < 0)
		goto out;
	if ((rc = vfmgr_virt_holders(v, host)) < 0)
		goto out; /* never choose without knowing what the domains hold */
	if (req->pf && (rc = find_pf(host, req->pf, pf_bdf)) < 0)
		goto out;

	/*
	 * Serialise: the PF lock covers choice + claim (two assigns must not pick the
	 * same free VF); with no PF given every configured PF is a candidate, so the
	 * choice is made, then the chosen PF is locked and the choice re-made.
	 */
	if (!pf_bdf[0]) {
		const struct vfmgr_vf *pick;
		enum vfmgr_numa_policy pol = s->conf ? s->conf->numa_policy : VFMGR_NUMA_PREFERRED;

		rc = vfmgr_numa_choose(s->ctx, host, NULL, pl.nodes, pol, &pick);
		if (rc < 0)
			goto out;
		snprintf(pf_bdf, sizeof(pf_bdf), "%s", pick->pf_bdf);
	}
	if ((rc = vfmgr_lock_pf(s->ctx, pf_bdf)) < 0)
		goto out;
	snprintf(locked_pf, sizeof(locked_pf), "%s", pf_bdf);
	vfmgr_host_free(host);
	host = NULL;
	if ((rc = vfmgr_discover(s->ctx, &host)) < 0)
		goto out;
	if ((rc = vfmgr_virt_holders(v, host)) < 0)
		goto out;
	rc = do_assign(s, v, req, host, &pl, pf_bdf, res);
out:
	if (locked_pf[0])
		vfmgr_unlock_pf(s->ctx, locked_pf);
	vfmgr_host_free(host);
	vfmgr_virt_close(v);
	return rc;
}

/* ------------------------------------------------------------------ release */

/* Restore what assign changed, after libvirt confirmed the VF is out. */
static int finish_release(struct vfmgr_session *s, struct vfmgr_txn *op, const char *dom,
			  const char *pf, unsigned int idx, const char *vf_bdf,
			  struct vfmgr_assign_result *res)
{
	json_t *side = vfmgr_assigned_read(s, pf, idx);
	json_t *intent = json_object_get(side, "intent");
	const char *pfnet = json_string_value(json_object_get(intent, "pf_netdev"));
	const struct vfmgr_pf_conf *pc = conf_pf(s->conf, pf);
	struct vfmgr_vf_attrs saved;
	const char *prev;
	int rc = 0;

	if (pfnet && *pfnet && attrs_from_json(json_object_get(intent, "saved_attrs"), &saved)) {
		if (op && (rc = vfmgr_journal_step(op, "attrs", NULL)) < 0)
			goto out;
		/* Best effort: the PF may have been reset meanwhile; apply re-sets the config. */
		if (vfmgr_vf_set_attrs(pfnet, idx, &saved) < 0 && res)
			note(res, "could not restore VF attributes: %s", vfmgr_errmsg());
	}
	if (side && json_object_size(json_object_get(side, "irq_affinity"))) {
		if (op && (rc = vfmgr_journal_step(op, "irq", NULL)) < 0)
			goto out;
		int n = irq_restore(s, json_object_get(side, "irq_affinity"));
		if (res)
			res->irqs = n;
	}
	/*
	 * The driver: the host driver the VF had before assign (recorded in the intent,
	 * e.g. nvme or iavf) gets it back; a VF that came from vfio-pci or from no driver
	 * stays on vfio-pci for the next guest unless the PF's VFs are configured for the
	 * host (driver = none).
	 */
	prev = json_string_value(json_object_get(intent, "prev_driver"));
	if (prev && *prev && strcmp(prev, "vfio-pci") != 0) {
		if (op && (rc = vfmgr_journal_step(op, "driver", json_string(prev))) < 0)
			goto out;
		if (vfmgr_dev_bind(s->ctx, vf_bdf, prev) < 0 && res)
			note(res, "could not give VF %s back to its previous driver %s: %s", vf_bdf,
			     prev, vfmgr_errmsg());
	} else if (pc && strcmp(pc->driver, "none") == 0) {
		if (op && (rc = vfmgr_journal_step(op, "driver", NULL)) < 0)
			goto out;
		vfmgr_dev_bind_host(s->ctx, vf_bdf);
	}
	if (op && (rc = vfmgr_journal_step(op, "owner", NULL)) < 0)
		goto out;
	rc = vfmgr_owner_clear(s->ctx, pf, idx, dom);
	if (rc == 0)
		side_remove(s, pf, idx);
out:
	json_decref(side);
	return rc;
}

/* Is the VF out of the domain (live and persistent)? 1 out, 0 still in, <0 error. */
static int confirmed_out(struct vfmgr_virt *v, const char *dom, const char *bdf)
{
	int live = vfmgr_virt_has_device(v, dom, bdf, false);
	int cfg;

	if (live == -ENOENT)
		return 1; /* domain gone: nothing holds the VF */
	if (live < 0)
		return live;
	cfg = vfmgr_virt_has_device(v, dom, bdf, true);
	if (cfg < 0)
		return cfg;
	return !live && !cfg;
}

int vfmgr_release(struct vfmgr_session *s, const char *target, struct vfmgr_assign_result *res)
{
	struct vfmgr_host *host = NULL;
	struct vfmgr_virt *v = NULL;
	struct vfmgr_txn *op = NULL;
	const struct vfmgr_vf *vf;
	char pf[VFMGR_BDF_LEN], bdf[VFMGR_BDF_LEN], dom[VFMGR_DOMAIN_LEN], key[64];
	unsigned int idx;
	bool locked = false;
	int rc;

	memset(res, 0, sizeof(*res));
	res->vf_numa_node = -1;
	vfmgr_clear_error();
	if (!target || !*target)
		return vfmgr_set_error(
			EINVAL, "release needs a domain name or a VF (0000:3b:02.1 or PF/index)");
	if ((rc = vfmgr_discover(s->ctx, &host)) < 0)
		return rc;
	vf = vfmgr_find_vf_target(host, target);
	if (!vf) {
		/* A domain name: its first VF. */
		for (unsigned int i = 0; i < host->n_pfs && !vf; i++)
			for (unsigned int j = 0; j < host->pfs[i].n_vfs && !vf; j++)
				if (strcmp(host->pfs[i].vfs[j].owner, target) == 0)
					vf = &host->pfs[i].vfs[j];
		if (!vf) {
			rc = vfmgr_set_error(ENOENT,
					     "'%s' is neither a VF nor a domain owning one; "
					     "`vfmgr list` shows owners",
					     target);
			goto out;
		}
	}
	snprintf(pf, sizeof(pf), "%s", vf->pf_bdf);
	snprintf(bdf, sizeof(bdf), "%s", vf->bdf);
	idx = vf->index;
	snprintf(res->pf_bdf, sizeof(res->pf_bdf), "%s", pf);
	snprintf(res->vf_bdf, sizeof(res->vf_bdf), "%s", bdf);
	res->index = idx;
	res->vf_numa_node = vf->numa_node;

	if ((rc = vfmgr_lock_pf(s->ctx, pf)) < 0)
		goto out;
	if ((rc = vfmgr_lock_vf(s->ctx, pf, idx)) < 0) {
		vfmgr_unlock_pf(s->ctx, pf);
		goto out;
	}
	locked = true;
	rc = vfmgr_owner_get(s->ctx, pf, idx, dom, sizeof(dom));
	if (rc <= 0) {
		const struct vfmgr_vf *held;

		if (rc < 0)
			goto out;
		/* not vfmgr's: does a domain hold it anyway (libvirt is the source of truth)? */
		if (vfmgr_session_virt(s, &v) == 0 && vfmgr_virt_holders(v, host) >= 0 &&
		    (held = vfmgr_host_find_vf_bdf(host, bdf)) && held->held_by[0])
			rc = vfmgr_set_error(
				ENOENT,
				"VF %s (pf %s vf %u) is held by libvirt domain '%s' but "
				"was not assigned by vfmgr: `vfmgr adopt %s` first, or "
				"detach it in libvirt (virsh detach-device)",
				bdf, pf, idx, held->held_by, held->held_by);
		else
			rc = vfmgr_set_error(ENOENT,
					     "VF %s (pf %s vf %u) is not assigned to any domain",
					     bdf, pf, idx);
		goto out;
	}
	snprintf(res->domain, sizeof(res->domain), "%s", dom);
	if ((rc = vfmgr_session_virt(s, &v)) < 0)
		goto out;
	snprintf(key, sizeof(key), "%s/%u", pf, idx);
	rc = vfmgr_journal_begin(s->ctx, "release", key,
				 json_pack("{s:s, s:s, s:i, s:s}", "domain", dom, "pf", pf, "index",
					   (int)idx, "vf_bdf", bdf),
				 &op);
	if (rc < 0)
		goto out;
	if ((rc = vfmgr_journal_step(op, "detach", NULL)) < 0)
		goto abort;
	rc = vfmgr_virt_detach(v, dom, bdf, &res->path);
	if (rc == -ENOENT) {
		/* Not in the domain (undefined, or removed by hand): confirm, then go on. */
		char msg[VFMGR_ERRMSG_LEN];
		snprintf(msg, sizeof(msg), "%s", vfmgr_errmsg());
		rc = confirmed_out(v, dom, bdf);
		if (rc == 1) {
			note(res, "VF was not in domain '%s' any more (%s)", dom, msg);
			rc = 0;
		} else if (rc == 0) {
			rc = vfmgr_set_error(EIO, "%s", msg);
		}
	} else if (rc == 0) {
		rc = confirmed_out(v, dom, bdf);
		rc = rc == 1 ? 0 :
		     rc == 0 ? vfmgr_set_error(EIO,
					       "libvirt reported VF %s detached from '%s' "
					       "but the domain XML still holds it",
					       bdf, dom) :
			       rc;
	}
	if (rc < 0)
		goto abort;
	rc = finish_release(s, op, dom, pf, idx, bdf, res);
	if (rc < 0)
		goto abort;
	rc = vfmgr_journal_commit(op);
	goto out;
abort : {
	char msg[VFMGR_ERRMSG_LEN];
	snprintf(msg, sizeof(msg), "%s", vfmgr_errmsg());
	vfmgr_journal_abort(op);
	vfmgr_set_error(-rc, "%s", msg);
}
out:
	if (locked) {
		vfmgr_unlock_vf(s->ctx, pf, idx);
		vfmgr_unlock_pf(s->ctx, pf);
	}
	vfmgr_host_free(host);
	vfmgr_virt_close(v);
	return rc;
}

/* ------------------------------------------------------------------ recovery */

static bool steps_have(const json_t *steps, const char *name)
{
	size_t i;
	json_t *st;

	json_array_foreach((json_t *)steps, i,
			   st) if (json_is_string(json_object_get(st, "name")) &&
				   strcmp(json_string_value(json_object_get(st, "name")), name) ==
					   0) return true;
	return false;
}

/* 1 present (live or persistent), 0 absent or domain gone, <0 libvirt unreachable. */
static int in_domain(struct vfmgr_session *s, const char *dom, const char *bdf)
{
	struct vfmgr_virt *v;
	int rc = vfmgr_session_virt(s, &v);

	if (rc < 0)
		return rc;
	rc = confirmed_out(v, dom, bdf);
	vfmgr_virt_close(v);
	return rc < 0 ? rc : !rc;
}

/* The VF an @p op ("assign", "release") journal record names. @return 0 or -EINVAL. */
static int intent_vf(const json_t *intent, const char *op, const char **dom, const char **pf,
		     const char **bdf, unsigned int *idx)
{
	*dom = json_string_value(json_object_get(intent, "domain"));
	*pf = json_string_value(json_object_get(intent, "pf"));
	*bdf = json_string_value(json_object_get(intent, "vf_bdf"));
	*idx = (unsigned int)json_integer_value(json_object_get(intent, "index"));
	if (!*dom || !*pf || !*bdf)
		return vfmgr_set_error(EINVAL, "%s journal record without domain/pf/vf_bdf", op);
	return 0;
}

static int recover_assign(struct vfmgr_ctx *ctx, const json_t *intent, const json_t *steps,
			  void *user)
{
	struct vfmgr_session *s = user;
	const char *dom, *pf, *bdf;
	unsigned int idx;
	int present;

	if (intent_vf(intent, "assign", &dom, &pf, &bdf, &idx) < 0)
		return -EINVAL;
	present = steps_have(steps, "attach") ? in_domain(s, dom, bdf) : 0;
	if (present == 0 && steps_have(steps, "attach")) {
		/*
		 * The attach may still be in flight: libvirtd finishes an RPC whose client was
		 * killed after sending it. Ask again once it has had time to, before rolling back
		 * (found by the random-time kill loop: the VF landed in the XML after recovery).
		 */
		vfmgr_sleep_ms(300);
		present = in_domain(s, dom, bdf);
	}
	if (present < 0)
		return present;
	if (present) {
		/* libvirt has it: finish (ownership, then the MSI-X steering if it was not done). */
		int rc = vfmgr_owner_set(ctx, pf, idx, dom);
		struct vfmgr_virt *v;
		struct vfmgr_placement pl;
		struct vfmgr_assign_result r = { 0 };

		if (rc == 0 && !steps_have(steps, "irq") && vfmgr_session_virt(s, &v) == 0) {
			if (vfmgr_virt_placement(v, dom, vfmgr_ctx_root(ctx), &pl) == 0)
				irq_steer(s, bdf, &pl, &r);
			vfmgr_virt_close(v);
		}
		return rc;
	}
	struct undo u = { .bound = steps_have(steps, "bind"),
			  .attrs = steps_have(steps, "attrs"),
			  .owned = true,
			  .irq = steps_have(steps, "irq") };
	return rollback(s, intent, &u, NULL);
}

static int recover_release(struct vfmgr_ctx *ctx, const json_t *intent, const json_t *steps,
			   void *user)
{
	struct vfmgr_session *s = user;
	const char *dom, *pf, *bdf;
	unsigned int idx;
	int present;

	if (intent_vf(intent, "release", &dom, &pf, &bdf, &idx) < 0)
		return -EINVAL;
	present = in_domain(s, dom, bdf);
	if (present == 1 && steps_have(steps, "detach")) {
		vfmgr_sleep_ms(300); /* a detach still in flight in libvirtd (see recover_assign) */
		present = in_domain(s, dom, bdf);
	}
	if (present < 0)
		return present;
	if (present)
		return 0; /* the detach did not happen: the VF stays assigned, untouched */
	return finish_release(s, NULL, dom, pf, idx, bdf, NULL);
}

unsigned int vfmgr_front_recover_handlers(struct vfmgr_session *s,
					  struct vfmgr_recover_handler h[2])
{
	h[0] = (struct vfmgr_recover_handler){ .type = "assign", .fn = recover_assign, .user = s };
	h[1] = (struct vfmgr_recover_handler){ .type = "release",
					       .fn = recover_release,
					       .user = s };
	return 2;
}

/* ------------------------------------------------------------------ adopt */

int vfmgr_adopt(struct vfmgr_session *s, const char *domain, json_t **out)
{
	struct vfmgr_host *host = NULL;
	struct vfmgr_virt *v = NULL;
	struct vfmgr_placement pl;
	json_t *adopted = json_array(), *kept = json_array();
	int rc;

	*out = NULL;
	vfmgr_clear_error();
	if (!domain || !*domain) {
		rc = vfmgr_set_error(EINVAL, "adopt needs a libvirt domain name");
		goto out;
	}
	if ((rc = vfmgr_session_virt(s, &v)) < 0)
		goto out;
	if ((rc = vfmgr_virt_placement(v, domain, vfmgr_ctx_root(s->ctx), &pl)) < 0)
		goto out; /* names the domain when it does not exist */
	if ((rc = vfmgr_discover(s->ctx, &host)) < 0 || (rc = vfmgr_virt_holders(v, host)) < 0)
		goto out;
	for (unsigned int i = 0; i < host->n_pfs; i++)
		for (unsigned int j = 0; j < host->pfs[i].n_vfs; j++) {
			const struct vfmgr_vf *vf = &host->pfs[i].vfs[j];
			json_t *side;

			if (strcmp(vf->held_by, domain))
				continue;
			if (vf->owner[0]) {
				json_array_append_new(kept, json_string(vf->bdf));
				continue;
			}
			if ((rc = vfmgr_lock_pf(s->ctx, vf->pf_bdf)) < 0)
				goto out;
			if ((rc = vfmgr_lock_vf(s->ctx, vf->pf_bdf, vf->index)) < 0) {
				vfmgr_unlock_pf(s->ctx, vf->pf_bdf);
				goto out;
			}
			/* What release needs: no previous driver or attributes are known (vfmgr did not
			 * bind it), so release detaches it and leaves it where the configuration says. */
			side = json_pack(
				"{s:s, s:s, s:i, s:s, s:b, s:{s:s, s:s, s:i, s:s, s:s, s:s, s:b}, s:{}}",
				"domain", domain, "pf", vf->pf_bdf, "index", (int)vf->index,
				"vf_bdf", vf->bdf, "adopted", 1, "intent", "domain", domain, "pf",
				vf->pf_bdf, "index", (int)vf->index, "vf_bdf", vf->bdf, "form",
				"adopted", "pf_netdev", host->pfs[i].netdev, "domain_active",
				pl.active, "irq_affinity");
			rc = side_write(s, vf->pf_bdf, vf->index, side);
			json_decref(side);
			if (rc == 0)
				rc = vfmgr_owner_set(s->ctx, vf->pf_bdf, vf->index, domain);
			vfmgr_unlock_vf(s->ctx, vf->pf_bdf, vf->index);
			vfmgr_unlock_pf(s->ctx, vf->pf_bdf);
			if (rc < 0)
				goto out;
			vfmgr_log(VFMGR_LOG_INFO, "adopted VF %s (pf %s vf %u) held by domain '%s'",
				  vf->bdf, vf->pf_bdf, vf->index, domain);
			json_array_append_new(adopted,
					      json_pack("{s:s, s:s, s:i}", "vf", vf->bdf, "pf",
							vf->pf_bdf, "index", (int)vf->index));
		}
	if (!json_array_size(adopted) && !json_array_size(kept)) {
		rc = vfmgr_set_error(
			ENOENT,
			"domain '%s' holds no VF of this host's PFs in its XML (live or "
			"persistent); `vfmgr status` shows which domains hold VFs",
			domain);
		goto out;
	}
	*out = json_pack("{s:s, s:O, s:O}", "domain", domain, "adopted", adopted, "already_owned",
			 kept);
	rc = 0;
out:
	json_decref(adopted);
	json_decref(kept);
	vfmgr_host_free(host);
	vfmgr_virt_close(v);
	return rc;
}

/* ------------------------------------------------------------------ reconcile */

/* Remove <dir>/<name>.tmp.<pid> left by a process that died mid-write. */
static unsigned int sweep_tmp(const char *dir)
{
	struct dirent *e;
	unsigned int n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		const char *t = strstr(e->d_name, ".tmp.");
		char p[PATH_MAX + 256], *end;
		long pid;

		if (!t)
			continue;
		pid = strtol(t + 5, &end, 10);
		if (*end || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			continue; /* its writer may still be at work */
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/*
 * Owner records against libvirt, both ways:
 *  - a record whose domain's XML (live and persistent) no longer holds the VF, or whose
 *    VF no longer exists: the assignment ended behind vfmgr's back (virsh detach-device,
 *    undefine, a forced count change): finish the release (attributes, IRQs, driver back,
 *    record dropped);
 *  - a VF a domain holds without a record: when vfmgr's saved assignment names that
 *    domain the record was lost and is written again; otherwise the VF was given to the
 *    domain by hand: reported (external, `vfmgr adopt` records it), never taken.
 * Needs libvirt: without it nothing is changed.
 */
static int reconcile(struct vfmgr_session *s)
{
	struct vfmgr_host *host = NULL;
	struct vfmgr_virt *v = NULL;
	json_t *owners = NULL, *val;
	const char *key;
	int rc, fixed = 0;

	if ((rc = vfmgr_session_virt(s, &v)) < 0) {
		vfmgr_log(VFMGR_LOG_WARNING, "owner records not reconciled with libvirt: %s",
			  vfmgr_errmsg());
		return 0;
	}
	if ((rc = vfmgr_discover(s->ctx, &host)) < 0 || (rc = vfmgr_virt_holders(v, host)) < 0)
		goto out;
	for (unsigned int i = 0; i < host->n_pfs; i++)
		for (unsigned int j = 0; j < host->pfs[i].n_vfs; j++) {
			const struct vfmgr_vf *vf = &host->pfs[i].vfs[j];

			if (vf->owner[0]) {
				int out_of = confirmed_out(v, vf->owner, vf->bdf);
				if (out_of != 1)
					continue; /* still there, or libvirt did not answer: keep */
				if (vfmgr_virt_volatile(v) &&
				    vfmgr_virt_has_device(v, vf->owner, vf->bdf, false) != -ENOENT)
					continue; /* a node-file test driver re-read its file: only a
						   * domain that is gone says something */
				vfmgr_lock_pf(s->ctx, vf->pf_bdf);
				vfmgr_lock_vf(s->ctx, vf->pf_bdf, vf->index);
				rc = finish_release(s, NULL, vf->owner, vf->pf_bdf, vf->index,
						    vf->bdf, NULL);
				vfmgr_unlock_vf(s->ctx, vf->pf_bdf, vf->index);
				vfmgr_unlock_pf(s->ctx, vf->pf_bdf);
				if (rc < 0)
					goto out;
				fixed++;
				vfmgr_log(
					VFMGR_LOG_WARNING,
					"VF %s (pf %s vf %u) is no longer in domain '%s' (libvirt): "
					"released, owner record dropped",
					vf->bdf, vf->pf_bdf, vf->index, vf->owner);
			} else if (vf->held_by[0]) {
				json_t *side = vfmgr_assigned_read(s, vf->pf_bdf, vf->index);
				const char *dom =
					json_string_value(json_object_get(side, "domain"));

				if (dom && !strcmp(dom, vf->held_by)) {
					rc = vfmgr_owner_set(s->ctx, vf->pf_bdf, vf->index, dom);
					if (rc == 0) {
						fixed++;
						vfmgr_log(
							VFMGR_LOG_WARNING,
							"VF %s (pf %s vf %u) is in domain '%s' as vfmgr "
							"assigned it: owner record restored",
							vf->bdf, vf->pf_bdf, vf->index, dom);
					}
				} else {
					vfmgr_log(
						VFMGR_LOG_WARNING,
						"VF %s (pf %s vf %u) is held by domain '%s' without "
						"an owner record (not assigned by vfmgr); `vfmgr adopt %s` records it",
						vf->bdf, vf->pf_bdf, vf->index, vf->held_by,
						vf->held_by);
				}
				json_decref(side);
				if (rc < 0)
					goto out;
			}
		}
	/* records of VFs that do not exist any more */
	if ((rc = vfmgr_owner_list(s->ctx, &owners)) < 0)
		goto out;
	json_object_foreach(owners, key, val)
	{
		char pf[VFMGR_BDF_LEN + 8];
		const char *slash = strrchr(key, '/');
		unsigned int idx;

		if (!slash || (size_t)(slash - key) >= sizeof(pf))
			continue;
		memcpy(pf, key, (size_t)(slash - key));
		pf[slash - key] = '\0';
		idx = (unsigned int)strtoul(slash + 1, NULL, 10);
		if (vfmgr_host_find_vf(host, pf, idx))
			continue;
		if ((rc = vfmgr_owner_clear(s->ctx, pf, idx, NULL)) < 0)
			goto out;
		side_remove(s, pf, idx);
		fixed++;
		vfmgr_log(VFMGR_LOG_WARNING,
			  "VF %u of PF %s no longer exists: owner record of domain '%s' dropped",
			  idx, pf, json_string_value(val));
	}
	rc = fixed;
out:
	json_decref(owners);
	vfmgr_host_free(host);
	vfmgr_virt_close(v);
	return rc;
}

int vfmgr_session_recover(struct vfmgr_session *s)
{
	struct vfmgr_recover_handler h[3] = { vfmgr_apply_recover_handler };
	unsigned int n = 1 + vfmgr_front_recover_handlers(s, h + 1);
	char dir[PATH_MAX];
	int done, r;

	done = vfmgr_journal_recover(s->ctx, h, n);
	if (done < 0)
		return done; /* the journal first: reconciling a half-done operation would undo it */
	/* temporary files of writes a crash interrupted (owners.json, assigned/, journal/) */
	snprintf(dir, sizeof(dir), "%s", vfmgr_ctx_state_dir(s->ctx));
	sweep_tmp(dir);
	snprintf(dir, sizeof(dir), "%s/assigned", vfmgr_ctx_state_dir(s->ctx));
	sweep_tmp(dir);
	snprintf(dir, sizeof(dir), "%s/journal", vfmgr_ctx_state_dir(s->ctx));
	sweep_tmp(dir);
	r = reconcile(s);
	if (r < 0)
		return r;
	return done;
}
