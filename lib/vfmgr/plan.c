/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Plan (configuration vs host) and journaled apply, per PF:
 *   autoprobe off -> numvfs (0 then N, wait) -> VF attributes -> bind vfio-pci.
 * A failing PF is rolled back to its previous count, autoprobe and drivers, and so is
 * every PF the same run already changed (all or nothing).
 * Recovery of an interrupted apply re-executes the recorded steps (each is
 * idempotent) and falls back to the previous state if that fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vfmgr_priv.h"

static const char *const kind_names[] = { "autoprobe-off", "numvfs", "bind", "attrs" };

static struct vfmgr_step *add_step(struct vfmgr_plan *pl, enum vfmgr_step_kind k, const char *pf,
				   int vf)
{
	struct vfmgr_step *ns = realloc(pl->steps, (pl->n + 1) * sizeof(*ns));

	if (!ns)
		return NULL;
	pl->steps = ns;
	ns = &pl->steps[pl->n++];
	memset(ns, 0, sizeof(*ns));
	ns->kind = k;
	snprintf(ns->pf_bdf, sizeof(ns->pf_bdf), "%s", pf);
	ns->vf = vf;
	return ns;
}

static void attrs_text(const struct vfmgr_vf_attrs *a, char *buf, size_t len)
{
	char mb[18];
	size_t o = 0;

	buf[0] = '\0';
#define APP(...)                                                              \
	do {                                                                  \
		if (o < len)                                                  \
			o += (size_t)snprintf(buf + o, len - o, __VA_ARGS__); \
	} while (0)
	if (a->set & VFMGR_ATTR_MAC)
		APP(" mac %s", vfmgr_format_mac(a->mac, mb));
	if (a->set & VFMGR_ATTR_VLAN)
		APP(" vlan %u qos %u proto %s", a->vlan, a->qos,
		    a->vlan_proto == 0x88a8 ? "802.1ad" : "802.1Q");
	if (a->set & VFMGR_ATTR_SPOOFCHK)
		APP(" spoofchk %s", a->spoofchk ? "on" : "off");
	if (a->set & VFMGR_ATTR_TRUST)
		APP(" trust %s", a->trust ? "on" : "off");
	if (a->set & VFMGR_ATTR_LINK_STATE)
		APP(" link-state %s", vfmgr_link_state_name(a->link_state));
	if (a->set & VFMGR_ATTR_RATE)
		APP(" min-rate %u max-rate %u", a->min_rate, a->max_rate);
#undef APP
}

int vfmgr_plan_build(struct vfmgr_ctx *ctx, const struct vfmgr_conf *conf,
		     const struct vfmgr_host *host, unsigned int flags, struct vfmgr_plan **out)
{
	struct vfmgr_plan *pl = calloc(1, sizeof(*pl));
	int r = 0;

	*out = NULL;
	if (!pl)
		return vfmgr_set_error(ENOMEM, "out of memory");
#define STEP(k, pf, vf)                                               \
	({                                                            \
		struct vfmgr_step *s_ = add_step(pl, k, pf, vf);      \
		if (!s_) {                                            \
			r = vfmgr_set_error(ENOMEM, "out of memory"); \
			goto out;                                     \
		}                                                     \
		s_;                                                   \
	})
	for (unsigned int i = 0; i < conf->n_pfs; i++) {
		const struct vfmgr_pf_conf *pc = &conf->pfs[i];
		const struct vfmgr_pf *pf = pc->bdf[0] ? vfmgr_host_find_pf(host, pc->bdf) : NULL;
		bool vfio = !strcmp(pc->driver, "vfio-pci");
		struct vfmgr_step *s;

		if (!pf) {
			r = vfmgr_set_error(
				ENOENT,
				"%s:%u: PF %s not found or not SR-IOV capable (no sriov_totalvfs under "
				"%s/sys/bus/pci/devices); check the address with lspci -D%s",
				conf->path, pc->line, pc->bdf[0] ? pc->bdf : pc->id, ctx->root,
				pc->by_mac && !pc->bdf[0] ? " (MAC not resolved)" : "");
			goto out;
		}
		if (pc->numvfs > pf->totalvfs) {
			r = vfmgr_set_error(
				ERANGE,
				"%s:%u: numvfs %u is impossible for PF %s: sriov_totalvfs is %u",
				conf->path, pc->line, pc->numvfs, pf->bdf, pf->totalvfs);
			goto out;
		}
		for (unsigned int j = 0; j < pc->n_vfs; j++)
			if (pc->vfs[j].attrs.set && !pf->netdev[0] && !(flags & VFMGR_F_NO_ATTRS)) {
				r = vfmgr_set_error(
					EINVAL,
					"%s:%u: PF %s has no network interface (driver '%s'), so VF "
					"attributes cannot be set; bind the PF to its network driver or remove "
					"the attributes of [vf \"%s\" %u]",
					conf->path, pc->vfs[j].line, pf->bdf, pf->driver, pc->id,
					pc->vfs[j].index);
				goto out;
			}
		/* rates the PF's link cannot carry (ethtool's Speed, sysfs net/<if>/speed) */
		for (unsigned int j = 0; j < pc->n_vfs && pf->link_speed > 0; j++) {
			const struct vfmgr_vf_attrs *a = &pc->vfs[j].attrs;
			if (!(a->set & VFMGR_ATTR_RATE) ||
			    (a->max_rate <= (uint32_t)pf->link_speed &&
			     a->min_rate <= (uint32_t)pf->link_speed))
				continue;
			r = vfmgr_set_error(
				EINVAL,
				"%s:%u: [vf \"%s\" %u] %s %u Mbit/s exceeds the link speed of PF %s "
				"(%s: %d Mbit/s); lower it",
				conf->path, pc->vfs[j].line, pc->id, pc->vfs[j].index,
				a->max_rate > (uint32_t)pf->link_speed ? "max-rate" : "min-rate",
				a->max_rate > (uint32_t)pf->link_speed ? a->max_rate : a->min_rate,
				pf->bdf, pf->netdev, pf->link_speed);
			goto out;
		}
		bool count_change = pc->numvfs != pf->numvfs || pf->n_vfs != pf->numvfs;
		/* VFs the kernel destroys (count change: through 0) or apply unbinds from a host driver */
		if (!(flags & VFMGR_F_FORCE)) {
			char busy[900] = "";
			size_t o = 0;
			for (unsigned int j = 0; j < pf->n_vfs; j++) {
				const struct vfmgr_vf *vf = &pf->vfs[j];
				bool taken = count_change || (vfio && vf->index < pc->numvfs &&
							      strcmp(vf->driver, "vfio-pci"));
				if (!taken || o >= sizeof(busy) - 96)
					continue;
				if (vf->held_by[0] && !vf->owner[0])
					o += (size_t)snprintf(busy + o, sizeof(busy) - o,
							      "%svf %u is held by domain '%s' (not "
							      "assigned by vfmgr)",
							      o ? "; " : "", vf->index,
							      vf->held_by);
				else if (vf->host_use[0])
					o += (size_t)snprintf(
						busy + o, sizeof(busy) - o,
						"%svf %u (%s) is in use by the host: %s",
						o ? "; " : "", vf->index, vf->bdf, vf->host_use);
			}
			if (o) {
				r = vfmgr_set_error(
					EBUSY,
					"%s:%u: PF %s: %s %s; release them first or use --force",
					conf->path, pc->line, pf->bdf,
					count_change ?
						"changing numvfs destroys every VF but" :
						"binding its VFs to vfio-pci takes them from the host but",
					busy);
				goto out;
			}
		}
		/* IOMMU groups apply's bind would refuse: predicted from the PF's own group before VFs
		 * exist, else each VF to bind */
		if (vfio && pc->numvfs) {
			if (pf->n_vfs == 0 && (r = vfmgr_pf_group_predict(ctx, pf)) < 0) {
				r = vfmgr_set_error(-r, "%s:%u: %s", conf->path, pc->line,
						    vfmgr_errmsg());
				goto out;
			}
			for (unsigned int j = 0; j < pf->n_vfs; j++)
				if (pf->vfs[j].index < pc->numvfs &&
				    (count_change || strcmp(pf->vfs[j].driver, "vfio-pci")) &&
				    (r = vfmgr_vf_group_check(ctx, pf->bdf, pf->vfs[j].index)) <
					    0) {
					r = vfmgr_set_error(-r, "%s:%u: %s", conf->path, pc->line,
							    vfmgr_errmsg());
					goto out;
				}
		}
		if (count_change && pf->numvfs && !(flags & VFMGR_F_FORCE)) {
			char owned[400] = "";
			size_t o = 0;
			for (unsigned int j = 0; j < pf->n_vfs; j++)
				if (pf->vfs[j].owner[0] && o < sizeof(owned) - 64)
					o += (size_t)snprintf(owned + o, sizeof(owned) - o,
							      "%svf %u (%s)", o ? ", " : "",
							      pf->vfs[j].index, pf->vfs[j].owner);
			if (o) {
				r = vfmgr_set_error(
					EBUSY,
					"%s:%u: PF %s: changing numvfs %u -> %u destroys every VF (the "
					"kernel goes through 0) but %s in use; release them first or use --force",
					conf->path, pc->line, pf->bdf, pf->numvfs, pc->numvfs,
					owned);
				goto out;
			}
		}
		if (vfio && pf->autoprobe != 0 && (count_change || pc->numvfs)) {
			s = STEP(VFMGR_STEP_AUTOPROBE_OFF, pf->bdf, -1);
			snprintf(s->text, sizeof(s->text),
				 "PF %s: set sriov_drivers_autoprobe=0 so host drivers stay off "
				 "the VFs",
				 pf->bdf);
		}
		if (count_change) {
			s = STEP(VFMGR_STEP_NUMVFS, pf->bdf, -1);
			s->value = pc->numvfs;
			char gone[160] = "";
			size_t o = 0;
			for (unsigned int j = 0; j < pf->n_vfs; j++)
				if (pf->vfs[j].host_devs[0] && o < sizeof(gone) - 8)
					o += (size_t)snprintf(gone + o, sizeof(gone) - o, "%s%s",
							      o ? ", " : "", pf->vfs[j].host_devs);
			snprintf(s->text, sizeof(s->text), "PF %s: sriov_numvfs %u -> %u%s%s%s",
				 pf->bdf, pf->numvfs, pc->numvfs,
				 pf->numvfs && pc->numvfs ? " (through 0: every VF is recreated)" :
							    "",
				 o ? "; removes host devices " : "", gone);
		}
		if (!(flags & VFMGR_F_NO_ATTRS))
			for (unsigned int j = 0; j < pc->n_vfs; j++) {
				const struct vfmgr_vf_conf *vc = &pc->vfs[j];
				const struct vfmgr_vf *vf =
					vfmgr_host_find_vf(host, pf->bdf, vc->index);
				char at[200];
				if (!vc->attrs.set)
					continue;
				if (!count_change && vf && vf->attrs_known &&
				    !vfmgr_attrs_differ(&vc->attrs, &vf->attrs))
					continue;
				s = STEP(VFMGR_STEP_ATTRS, pf->bdf, (int)vc->index);
				s->attrs = vc->attrs;
				snprintf(s->pf_netdev, sizeof(s->pf_netdev), "%s", pf->netdev);
				attrs_text(&vc->attrs, at, sizeof(at));
				snprintf(s->text, sizeof(s->text), "PF %s (%s) vf %u: set%s",
					 pf->bdf, pf->netdev, vc->index, at);
			}
		if (vfio)
			for (unsigned int k = 0; k < pc->numvfs; k++) {
				const struct vfmgr_vf *vf = vfmgr_host_find_vf(host, pf->bdf, k);
				if (!count_change && vf && !strcmp(vf->driver, "vfio-pci"))
					continue;
				s = STEP(VFMGR_STEP_BIND, pf->bdf, (int)k);
				snprintf(s->driver, sizeof(s->driver), "%s", pc->driver);
				snprintf(s->text, sizeof(s->text),
					 "PF %s vf %u%s%s: bind to %s (was %s)%s%s", pf->bdf, k,
					 vf && !count_change ? " " : "",
					 vf && !count_change ? vf->bdf : "", pc->driver,
					 vf && !count_change && vf->driver[0] ? vf->driver : "none",
					 vf && !count_change && vf->host_devs[0] ?
						 "; removes host devices " :
						 "",
					 vf && !count_change ? vf->host_devs : "");
			}
	}
#undef STEP
out:
	if (r < 0) {
		vfmgr_plan_free(pl);
		return r;
	}
	*out = pl;
	return 0;
}

void vfmgr_plan_free(struct vfmgr_plan *pl)
{
	if (!pl)
		return;
	free(pl->steps);
	free(pl);
}

json_t *vfmgr_plan_to_json(const struct vfmgr_plan *pl)
{
	json_t *a = json_array();

	for (unsigned int i = 0; a && i < pl->n; i++) {
		const struct vfmgr_step *s = &pl->steps[i];
		json_array_append_new(a, json_pack("{s:s, s:i, s:s, s:s}", "pf", s->pf_bdf, "vf",
						   s->vf, "kind", kind_names[s->kind], "text",
						   s->text));
	}
	return a;
}

/* ---- journaled execution -------------------------------------------------------- */

static json_t *step_to_json(const struct vfmgr_step *s)
{
	char mb[18];
	const struct vfmgr_vf_attrs *a = &s->attrs;

	return json_pack(
		"{s:s, s:s, s:i, s:i, s:s, s:s, s:{s:i, s:s, s:i, s:i, s:i, s:b, s:b, s:i, s:I, s:I}}",
		"kind", kind_names[s->kind], "pf", s->pf_bdf, "vf", s->vf, "value", (int)s->value,
		"driver", s->driver, "netdev", s->pf_netdev, "attrs", "set", (int)a->set, "mac",
		vfmgr_format_mac(a->mac, mb), "vlan", a->vlan, "qos", a->qos, "proto",
		a->vlan_proto, "spoofchk", a->spoofchk, "trust", a->trust, "link_state",
		a->link_state, "min_rate", (json_int_t)a->min_rate, "max_rate",
		(json_int_t)a->max_rate);
}

static int step_from_json(const json_t *j, struct vfmgr_step *s)
{
	const char *kind, *pf, *drv, *nd, *mac;
	int vf, value, set, vlan, qos, proto, ls, sp, tr;
	json_int_t mn, mx;
	unsigned int k;

	memset(s, 0, sizeof(*s));
	if (json_unpack(
		    (json_t *)j,
		    "{s:s, s:s, s:i, s:i, s:s, s:s, s:{s:i, s:s, s:i, s:i, s:i, s:b, s:b, s:i, s:I, s:I}}",
		    "kind", &kind, "pf", &pf, "vf", &vf, "value", &value, "driver", &drv, "netdev",
		    &nd, "attrs", "set", &set, "mac", &mac, "vlan", &vlan, "qos", &qos, "proto",
		    &proto, "spoofchk", &sp, "trust", &tr, "link_state", &ls, "min_rate", &mn,
		    "max_rate", &mx) < 0)
		return -EBADMSG;
	for (k = 0; k < 4 && strcmp(kind, kind_names[k]); k++)
		;
	if (k == 4 || vfmgr_parse_bdf(pf, s->pf_bdf) < 0)
		return -EBADMSG;
	s->kind = (enum vfmgr_step_kind)k;
	s->vf = vf;
	s->value = (unsigned int)value;
	snprintf(s->driver, sizeof(s->driver), "%s", drv);
	snprintf(s->pf_netdev, sizeof(s->pf_netdev), "%s", nd);
	s->attrs.set = (uint32_t)set;
	vfmgr_parse_mac(mac, s->attrs.mac);
	s->attrs.vlan = (uint16_t)vlan;
	s->attrs.qos = (uint8_t)qos;
	s->attrs.vlan_proto = (uint16_t)proto;
	s->attrs.spoofchk = sp;
	s->attrs.trust = tr;
	s->attrs.link_state = (uint8_t)ls;
	s->attrs.min_rate = (uint32_t)mn;
	s->attrs.max_rate = (uint32_t)mx;
	return 0;
}

static void step_name(const struct vfmgr_step *s, char *buf, size_t len)
{
	if (s->kind == VFMGR_STEP_NUMVFS)
		snprintf(buf, len, "numvfs=%u", s->value);
	else if (s->vf >= 0)
		snprintf(buf, len, "%s vf %d", kind_names[s->kind], s->vf);
	else
		snprintf(buf, len, "%s", kind_names[s->kind]);
}

/* vfmgr_opts.on_step (vfmgrd: a watchdog ping) before a step that may wait up to wait_ms. */
static void step_hook(const struct vfmgr_ctx *ctx)
{
	if (ctx->on_step)
		ctx->on_step(ctx->on_step_user);
}

static int exec_step(struct vfmgr_ctx *ctx, const struct vfmgr_step *s, unsigned int flags)
{
	char vf[VFMGR_BDF_LEN];
	int r;

	step_hook(ctx);
	switch (s->kind) {
	case VFMGR_STEP_AUTOPROBE_OFF:
		return vfmgr_sysfs_write(ctx, s->pf_bdf, "sriov_drivers_autoprobe", "0");
	case VFMGR_STEP_NUMVFS:
		return vfmgr_sriov_set_numvfs(ctx, s->pf_bdf, s->value, false, flags);
	case VFMGR_STEP_ATTRS:
		return vfmgr_vf_set_attrs(s->pf_netdev, (unsigned int)s->vf, &s->attrs);
	case VFMGR_STEP_BIND:
		r = vfmgr_sriov_vf_bdf(ctx, s->pf_bdf, (unsigned int)s->vf, vf);
		if (r < 0)
			return vfmgr_set_error(ENOENT, "PF %s has no VF %d (no virtfn%d link)",
					       s->pf_bdf, s->vf, s->vf);
		if (!strcmp(s->driver, "vfio-pci")) {
			r = vfmgr_vf_group_check(ctx, s->pf_bdf, (unsigned int)s->vf);
			if (r < 0)
				return r;
		}
		return vfmgr_dev_bind(ctx, vf, s->driver);
	}
	return -EINVAL;
}

/* Previous state of a PF: {"numvfs":N, "autoprobe":A, "drivers":["vfio-pci", ...]} */
static json_t *pf_snapshot(struct vfmgr_ctx *ctx, const char *pf)
{
	char b[32], drv[VFMGR_DRV_LEN], vf[VFMGR_BDF_LEN];
	json_t *drivers = json_array();
	int numvfs = 0, ap = -1;

	if (vfmgr_sysfs_read(ctx, pf, "sriov_numvfs", b, sizeof(b)) >= 0)
		numvfs = atoi(b);
	if (vfmgr_sysfs_read(ctx, pf, "sriov_drivers_autoprobe", b, sizeof(b)) >= 0)
		ap = atoi(b);
	for (int i = 0; i < numvfs; i++) {
		drv[0] = '\0';
		if (vfmgr_sriov_vf_bdf(ctx, pf, (unsigned int)i, vf) == 0)
			vfmgr_dev_driver(ctx, vf, drv, sizeof(drv));
		json_array_append_new(drivers, json_string(drv));
	}
	vfmgr_clear_error();
	return json_pack("{s:i, s:i, s:o}", "numvfs", numvfs, "autoprobe", ap, "drivers", drivers);
}

/* @param flags VFMGR_F_FORCE: change the count even if VFs became owned (own PF's failure) */
static int rollback_pf(struct vfmgr_ctx *ctx, const char *pf, const json_t *prev,
		       unsigned int flags)
{
	char b[32], vf[VFMGR_BDF_LEN], drv[VFMGR_DRV_LEN];
	int numvfs = (int)json_integer_value(json_object_get(prev, "numvfs"));
	int ap = (int)json_integer_value(json_object_get(prev, "autoprobe"));
	const json_t *drivers = json_object_get(prev, "drivers");
	int r = 0, cur = -1;

	step_hook(ctx);
	if (vfmgr_sysfs_read(ctx, pf, "sriov_numvfs", b, sizeof(b)) >= 0)
		cur = atoi(b);
	if (ap >= 0) {
		snprintf(b, sizeof(b), "%d", ap);
		vfmgr_sysfs_write(ctx, pf, "sriov_drivers_autoprobe", b);
	}
	if (cur != numvfs) {
		r = vfmgr_sriov_set_numvfs(ctx, pf, (unsigned int)numvfs, false,
					   flags & VFMGR_F_FORCE);
		if (r < 0)
			return r;
	}
	for (int i = 0; i < numvfs; i++) {
		const char *want = json_string_value(json_array_get(drivers, (size_t)i));
		if (!want || vfmgr_sriov_vf_bdf(ctx, pf, (unsigned int)i, vf) < 0)
			continue;
		if (vfmgr_dev_driver(ctx, vf, drv, sizeof(drv)) < 0 || !strcmp(drv, want))
			continue;
		step_hook(ctx);
		int e = !strcmp(want, "vfio-pci") ? vfmgr_dev_bind(ctx, vf, want) :
						    (!want[0] ? vfmgr_dev_unbind(ctx, vf) :
								vfmgr_dev_bind_host(ctx, vf));
		if (e < 0 && !r)
			r = e;
	}
	return r;
}

/* Execute steps [from, to) of one PF inside a journaled operation. */
static int apply_pf(struct vfmgr_ctx *ctx, const struct vfmgr_plan *pl, unsigned int from,
		    unsigned int to, unsigned int flags, json_t **prev_out)
{
	const char *pf = pl->steps[from].pf_bdf;
	json_t *steps = json_array(), *prev, *intent;
	struct vfmgr_txn *t;
	char name[64];
	int r;

	for (unsigned int i = from; i < to; i++)
		json_array_append_new(steps, step_to_json(&pl->steps[i]));
	prev = pf_snapshot(ctx, pf);
	intent = json_pack("{s:s, s:i, s:O, s:o}", "pf", pf, "flags", (int)flags, "prev", prev,
			   "steps", steps);
	if (!intent) {
		json_decref(prev);
		return vfmgr_set_error(ENOMEM, "out of memory");
	}
	r = vfmgr_journal_begin(ctx, "apply", pf, intent, &t);
	if (r < 0) {
		json_decref(prev);
		return r;
	}
	for (unsigned int i = from; i < to; i++) {
		const struct vfmgr_step *s = &pl->steps[i];
		step_name(s, name, sizeof(name));
		r = vfmgr_journal_step(t, name, NULL);
		if (r < 0)
			break;
		vfmgr_log(VFMGR_LOG_INFO, "%s", s->text);
		r = exec_step(ctx, s, flags);
		if (r < 0)
			break;
	}
	if (r < 0) {
		char msg[VFMGR_ERRMSG_LEN];
		snprintf(msg, sizeof(msg), "%s", vfmgr_errmsg());
		int rb = rollback_pf(ctx, pf, prev, VFMGR_F_FORCE);
		if (rb == 0) {
			vfmgr_journal_abort(t);
			vfmgr_set_error(-r, "%s; PF %s rolled back to its previous state", msg, pf);
		} else {
			/* keep the journal file: vfmgr_journal_recover() retries */
			vfmgr_journal_forget(t);
			vfmgr_set_error(-r, "%s; rollback of PF %s also failed: %s", msg, pf,
					vfmgr_errmsg());
		}
		json_decref(prev);
		return r;
	}
	r = vfmgr_journal_commit(t);
	if (r == 0 && prev_out)
		*prev_out = prev; /* the caller may still have to undo this PF */
	else
		json_decref(prev);
	return r;
}

/*
 * All or nothing across PFs: the plan validated whole before this runs (vfmgr_plan_build()),
 * and a PF that still fails (the kernel refused, a driver hung) is rolled back by apply_pf();
 * then every PF this run already changed is rolled back too, newest first, so the host is
 * never left half-applied. A crash during that undo leaves those PFs as configured (their
 * journals are committed), which the next apply keeps.
 */
int vfmgr_plan_apply(struct vfmgr_ctx *ctx, const struct vfmgr_plan *pl, unsigned int flags)
{
	struct done {
		char pf[VFMGR_BDF_LEN];
		json_t *prev;
	} *done = NULL;
	unsigned int n_done = 0;
	char msg[VFMGR_ERRMSG_LEN] = "";
	int first = 0;

	if (flags & VFMGR_F_DRY_RUN)
		return 0;
	done = calloc(pl->n ? pl->n : 1, sizeof(*done));
	if (!done)
		return vfmgr_set_error(ENOMEM, "out of memory");
	for (unsigned int i = 0; i < pl->n && !first;) {
		unsigned int j = i;
		json_t *prev = NULL;

		while (j < pl->n && !strcmp(pl->steps[j].pf_bdf, pl->steps[i].pf_bdf))
			j++;
		int r = vfmgr_lock_pf(ctx, pl->steps[i].pf_bdf);
		if (r == 0) {
			r = apply_pf(ctx, pl, i, j, flags, &prev);
			vfmgr_unlock_pf(ctx, pl->steps[i].pf_bdf);
		}
		if (r < 0) {
			first = r;
			snprintf(msg, sizeof(msg), "%s", vfmgr_errmsg());
		} else {
			snprintf(done[n_done].pf, sizeof(done[n_done].pf), "%s",
				 pl->steps[i].pf_bdf);
			done[n_done++].prev = prev;
		}
		i = j;
	}
	if (first && n_done) {
		char undone[512] = "";
		size_t o = 0;
		int bad = 0;

		while (n_done--) {
			vfmgr_lock_pf(ctx, done[n_done].pf);
			/* not forced: a VF assigned since this PF was applied is not destroyed */
			int rb = rollback_pf(ctx, done[n_done].pf, done[n_done].prev, 0);
			vfmgr_unlock_pf(ctx, done[n_done].pf);
			if (rb < 0)
				bad++;
			if (o < sizeof(undone) - VFMGR_BDF_LEN - 16)
				o += (size_t)snprintf(undone + o, sizeof(undone) - o, "%s%s%s",
						      o ? ", " : "", done[n_done].pf,
						      rb < 0 ? " (failed)" : "");
			json_decref(done[n_done].prev);
		}
		vfmgr_log(VFMGR_LOG_WARNING,
			  "apply failed; rolled back the PFs it had already changed: %s", undone);
		snprintf(
			msg + strlen(msg), sizeof(msg) - strlen(msg), "; %s rolled back too%s",
			undone,
			bad ? " (a PF marked failed kept the configured state: a VF of it was assigned meanwhile, "
			      "or the kernel refused)" :
			      "");
	} else {
		while (n_done--)
			json_decref(done[n_done].prev);
	}
	free(done);
	if (first)
		return vfmgr_set_error(-first, "%s", msg);
	return 0;
}

int vfmgr_apply(struct vfmgr_ctx *ctx, struct vfmgr_conf *conf, unsigned int flags)
{
	struct vfmgr_host *h = NULL;
	struct vfmgr_plan *pl = NULL;
	bool vfio = false;
	int r;

	for (unsigned int i = 0; i < conf->n_pfs; i++)
		vfio |= conf->pfs[i].numvfs && !strcmp(conf->pfs[i].driver, "vfio-pci");
	if (vfio && (r = vfmgr_iommu_check(ctx)) < 0)
		return vfmgr_set_error(-r, "%s; nothing applied", vfmgr_errmsg());
	r = vfmgr_conf_resolve(ctx, conf);
	if (r < 0)
		return r;
	r = vfmgr_discover(ctx, &h);
	if (r < 0)
		return r;
	r = vfmgr_plan_build(ctx, conf, h, flags, &pl);
	vfmgr_host_free(h);
	if (r < 0)
		return r;
	r = vfmgr_plan_apply(ctx, pl, flags);
	vfmgr_plan_free(pl);
	return r;
}

static int apply_recover(struct vfmgr_ctx *ctx, const json_t *intent, const json_t *done,
			 void *user)
{
	const char *pf = json_string_value(json_object_get(intent, "pf"));
	const json_t *steps = json_object_get(intent, "steps"),
		     *prev = json_object_get(intent, "prev");
	unsigned int flags = (unsigned int)json_integer_value(json_object_get(intent, "flags"));
	struct vfmgr_step s;
	size_t i;
	int r = 0;

	(void)done;
	(void)user;
	if (!pf || !json_is_array(steps) || !json_is_object(prev))
		return vfmgr_set_error(EBADMSG,
				       "apply journal without pf/steps/prev; inspect it by hand");
	vfmgr_lock_pf(ctx, pf);
	for (i = 0; i < json_array_size(steps); i++) {
		if (step_from_json(json_array_get(steps, i), &s) < 0) {
			r = vfmgr_set_error(EBADMSG, "apply journal of PF %s: step %zu malformed",
					    pf, i);
			break;
		}
		r = exec_step(ctx, &s, flags | VFMGR_F_FORCE);
		if (r < 0)
			break;
	}
	if (r == 0) {
		vfmgr_log(VFMGR_LOG_INFO, "recovery: interrupted apply of PF %s finished", pf);
	} else {
		char msg[VFMGR_ERRMSG_LEN];
		snprintf(msg, sizeof(msg), "%s", vfmgr_errmsg());
		r = rollback_pf(ctx, pf, prev, VFMGR_F_FORCE);
		if (r == 0)
			vfmgr_log(VFMGR_LOG_WARNING,
				  "recovery: apply of PF %s could not finish (%s); rolled back", pf,
				  msg);
		else
			r = vfmgr_set_error(
				-r, "recovery of PF %s failed: %s; then rollback failed: %s", pf,
				msg, vfmgr_errmsg());
	}
	vfmgr_unlock_pf(ctx, pf);
	return r;
}

/* plan.c owns the "apply" operation, so it owns its recovery: journal.c never names it. */
const struct vfmgr_recover_handler vfmgr_apply_recover_handler = {
	.type = "apply",
	.fn = apply_recover,
	.user = NULL,
};
