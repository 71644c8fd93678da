/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * placement_sync.c: level-triggered reconciliation of one host into OpenStack Placement.
 *
 * Model (as nova models a compute node with NUMA and PCI children): a root provider named
 * after the host; one child per NUMA node holding a configured PF (trait HW_NUMA_ROOT);
 * one grandchild per PF ("<host>_<bdf>") with inventory SRIOV_NET_VF (total = VFs present,
 * reserved = VFs held by the host or by a domain vfmgr did not record) and traits
 * HW_NIC_SRIOV, CUSTOM_PF_*, CUSTOM_NUMA_NODE_<n>, CUSTOM_PHYSNET_*, CUSTOM_POSTED_INTERRUPTS;
 * one allocation per (libvirt domain UUID = consumer, PF) with the count of its VFs.
 *
 * Every run reads the host and Placement and writes the difference; every write carries
 * the provider generation (inventories, traits) or the consumer generation (allocations);
 * a 409 generation conflict re-reads and retries. Provider UUIDs are derived from names,
 * so a crash anywhere is repaired by the next run without a second tree.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "vfmgr.h"
#include "vfmgr_priv.h"
#include "placement_priv.h"

#include "irqpost.h"

struct vfmgr_pl_sync {
	json_t *last; /* {"<consumer>": {"<rp>": n}}: what this host wrote or confirmed */
	json_t *saved; /* last as in <state>/placement.json */
	bool loaded; /* placement.json read (first run) */
	json_t *orphan; /* {"<consumer>": first-seen ms}: allocations here without a VF */
	json_t *traits_ok; /* {"CUSTOM_X": true}: custom traits known to exist */
};

struct vfmgr_pl_sync *vfmgr_pl_sync_new(void)
{
	struct vfmgr_pl_sync *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->last = json_object();
	st->orphan = json_object();
	st->traits_ok = json_object();
	if (!st->last || !st->orphan || !st->traits_ok) {
		vfmgr_pl_sync_free(st);
		return NULL;
	}
	return st;
}

void vfmgr_pl_sync_free(struct vfmgr_pl_sync *st)
{
	if (!st)
		return;
	json_decref(st->last);
	json_decref(st->saved);
	json_decref(st->orphan);
	json_decref(st->traits_ok);
	free(st);
}

/* ------------------------------------------------------------------ desired state */

static struct pl_want_rp *add_rp(struct pl_want *w, const char *name, int parent)
{
	struct pl_want_rp *n = realloc(w->rps, (w->n_rps + 1) * sizeof(*n)), *rp;

	if (!n)
		return NULL;
	w->rps = n;
	rp = &w->rps[w->n_rps++];
	memset(rp, 0, sizeof(*rp));
	snprintf(rp->name, sizeof(rp->name), "%s", name);
	pl_name_uuid(rp->name, rp->uuid);
	rp->parent = parent;
	rp->numa = -1;
	rp->traits = json_array();
	return rp->traits ? rp : NULL;
}

static int find_rp(const struct pl_want *w, const char *name)
{
	for (unsigned i = 0; i < w->n_rps; i++)
		if (!strcmp(w->rps[i].name, name))
			return (int)i;
	return -1;
}

static struct pl_want_alloc *get_alloc(struct pl_want *w, const char *consumer, const char *domain)
{
	struct pl_want_alloc *n, *a;

	for (unsigned i = 0; i < w->n_allocs; i++)
		if (!strcmp(w->allocs[i].consumer, consumer))
			return &w->allocs[i];
	n = realloc(w->allocs, (w->n_allocs + 1) * sizeof(*n));
	if (!n)
		return NULL;
	w->allocs = n;
	a = &w->allocs[w->n_allocs++];
	memset(a, 0, sizeof(*a));
	snprintf(a->consumer, sizeof(a->consumer), "%s", consumer);
	snprintf(a->domain, sizeof(a->domain), "%s", domain);
	a->rps = json_object();
	return a->rps ? a : NULL;
}

int pl_want_build(const struct vfmgr_ctx *ctx, const struct vfmgr_conf *conf,
		  const struct vfmgr_host *host, const char *hostname, bool posted,
		  pl_uuid_fn uuid_of, pl_foreign_fn foreign, void *user, struct pl_want *out)
{
	char name[256], t[300];
	struct pl_want_rp *root;

	memset(out, 0, sizeof(*out));
	root = add_rp(out, hostname, -1);
	if (!root)
		goto nomem;
	json_array_append_new(root->traits, json_string("CUSTOM_VFMGR_HOST"));
	for (unsigned i = 0; conf && i < conf->n_pfs; i++) {
		const struct vfmgr_pf_conf *pc = &conf->pfs[i];
		const struct vfmgr_pf *pf = pc->bdf[0] ? vfmgr_host_find_pf(host, pc->bdf) : NULL;
		struct pl_want_rp *rp;
		int parent = 0;

		if (!pf || !strcmp(pc->driver, "none"))
			continue; /* not on this host, or its VFs are left to the host */
		if (pf->numa_node >= 0) {
			snprintf(name, sizeof(name), "%s_NUMA_%d", hostname, pf->numa_node);
			parent = find_rp(out, name);
			if (parent < 0) {
				struct pl_want_rp *nn = add_rp(out, name, 0);
				if (!nn)
					goto nomem;
				nn->numa = pf->numa_node;
				json_array_append_new(nn->traits, json_string("HW_NUMA_ROOT"));
				snprintf(t, sizeof(t), "CUSTOM_NUMA_NODE_%d", pf->numa_node);
				json_array_append_new(nn->traits, json_string(t));
				parent = (int)out->n_rps - 1;
			}
		}
		snprintf(name, sizeof(name), "%s_%s", hostname, pf->bdf);
		rp = add_rp(out, name, parent);
		if (!rp)
			goto nomem;
		snprintf(rp->pf_bdf, sizeof(rp->pf_bdf), "%s", pf->bdf);
		rp->numa = pf->numa_node;
		json_array_append_new(rp->traits, json_string("HW_NIC_SRIOV"));
		pl_custom_trait("PF_", pf->netdev[0] ? pf->netdev : pf->bdf, t, sizeof(t));
		json_array_append_new(rp->traits, json_string(t));
		if (pf->numa_node >= 0) {
			snprintf(t, sizeof(t), "CUSTOM_NUMA_NODE_%d", pf->numa_node);
			json_array_append_new(rp->traits, json_string(t));
		}
		if (pc->physnet[0]) {
			pl_custom_trait("PHYSNET_", pc->physnet, t, sizeof(t));
			json_array_append_new(rp->traits, json_string(t));
		}
		if (posted)
			json_array_append_new(rp->traits, json_string("CUSTOM_POSTED_INTERRUPTS"));
		rp->total = pf->n_vfs;
		rp->has_inv = pf->n_vfs > 0;
		for (unsigned v = 0; v < pf->n_vfs; v++) {
			const struct vfmgr_vf *vf = &pf->vfs[v];
			char uuid[PL_UUID_LEN];

			if (vf->owner[0]) {
				struct pl_want_alloc *a;

				if (uuid_of(vf->owner, uuid, user) < 0) {
					vfmgr_log(
						VFMGR_LOG_WARNING,
						"placement: VF %s is owned by domain '%s' whose "
						"UUID libvirt does not give: published as reserved",
						vf->bdf, vf->owner);
					rp->reserved++;
					continue;
				}
				a = get_alloc(out, uuid, vf->owner);
				if (!a)
					goto nomem;
				json_object_set_new(a->rps, rp->uuid,
						    json_integer(json_integer_value(json_object_get(
									 a->rps, rp->uuid)) +
								 1));
				out->vfs_assigned++;
				rp->assigned++;
			} else {
				/* One definition of "free" with the metrics (vfmgr_vf_state); libvirt is
				 * asked only about VFs that look free. */
				enum vfmgr_vf_state vs = vfmgr_vf_state(ctx, vf, false);

				if (vs == VFMGR_VF_FREE && foreign && foreign(vf->bdf, user) > 0)
					vs = VFMGR_VF_HELD;
				if (vs != VFMGR_VF_FREE)
					rp->reserved++;
			}
		}
		rp->free = rp->total - rp->reserved - rp->assigned;
		out->vfs_total += rp->total;
		out->vfs_reserved += rp->reserved;
	}
	return 0;
nomem:
	pl_want_free(out);
	return -ENOMEM;
}

void pl_want_free(struct pl_want *w)
{
	for (unsigned i = 0; i < w->n_rps; i++)
		json_decref(w->rps[i].traits);
	for (unsigned i = 0; i < w->n_allocs; i++)
		json_decref(w->allocs[i].rps);
	free(w->rps);
	free(w->allocs);
	memset(w, 0, sizeof(*w));
}

json_t *pl_merge_allocations(json_t *current, json_t *mine, json_t *want)
{
	json_t *out = json_object();
	const char *k;
	json_t *v;

	if (!out)
		return NULL;
	json_object_foreach(current, k, v)
	{
		if (json_object_get(mine, k))
			continue;
		json_object_set_new(
			out, k, json_pack("{s:O}", "resources", json_object_get(v, "resources")));
	}
	json_object_foreach(want, k, v)
	{
		if (json_integer_value(v) > 0)
			json_object_set_new(
				out, k,
				json_pack("{s:{s:I}}", "resources", PL_RC, json_integer_value(v)));
	}
	return out;
}

/* ------------------------------------------------------------------ reconciliation */

struct run {
	struct vfmgr_pl *pl;
	struct vfmgr_pl_sync *st;
	struct vfmgr_pl_sync_stats *stats;
	json_t *mine; /* {"<rp uuid>": true}: every provider of this host's tree */
};

static const char *err_code(json_t *resp)
{
	return json_string_value(
		json_object_get(json_array_get(json_object_get(resp, "errors"), 0), "code"));
}

static bool is_conflict(int st, json_t *resp)
{
	const char *c = err_code(resp);
	return st == 409 && c && !strcmp(c, "placement.concurrent_update");
}

static int unexpected(const char *what, int st)
{
	if (st < 0)
		return st;
	/* vfmgr_pl_call() left the HTTP error in vfmgr_errmsg(). */
	if (st < 400)
		vfmgr_set_error(EPROTO, "Placement answered %d to %s", st, what);
	return -EPROTO;
}

/*
 * PUT body (consumed) to path p with the generation read just before: 0 written (200 or 204),
 * 1 a generation conflict (counted: re-read and retry), or a negative errno.
 */
static int put_generation(struct run *r, const char *p, json_t *body)
{
	json_t *resp = NULL;
	int st;

	r->stats->writes++;
	st = vfmgr_pl_call(r->pl, "PUT", p, body, &resp);
	json_decref(body);
	if (st == 200 || st == 204) {
		json_decref(resp);
		return 0;
	}
	if (is_conflict(st, resp)) {
		json_decref(resp);
		r->stats->conflicts++;
		return 1;
	}
	json_decref(resp);
	return unexpected(p, st);
}

static int ensure_trait(struct run *r, const char *t)
{
	char p[320];
	int st;

	if (strncmp(t, "CUSTOM_", 7) || json_object_get(r->st->traits_ok, t))
		return 0;
	snprintf(p, sizeof(p), "/traits/%s", t);
	r->stats->writes++;
	st = vfmgr_pl_call(r->pl, "PUT", p, NULL, NULL);
	if (st != 201 && st != 204)
		return unexpected(p, st);
	json_object_set_new(r->st->traits_ok, t, json_true());
	return 0;
}

static bool same_set(json_t *a, json_t *b)
{
	size_t i, j;
	json_t *x, *y;

	if (json_array_size(a) != json_array_size(b))
		return false;
	json_array_foreach(a, i, x)
	{
		bool found = false;
		json_array_foreach(b, j, y) if (json_equal(x, y)) found = true;
		if (!found)
			return false;
	}
	return true;
}

static int sync_provider(struct run *r, const struct pl_want *w, const struct pl_want_rp *rp,
			 json_t *tree)
{
	const char *parent = rp->parent >= 0 ? w->rps[rp->parent].uuid : NULL;
	json_t *have = json_object_get(tree, rp->uuid), *body, *resp = NULL;
	char p[200];
	int st;

	if (have) {
		const char *hp = json_string_value(json_object_get(have, "parent_provider_uuid"));
		const char *hn = json_string_value(json_object_get(have, "name"));
		if (((!hp && !parent) || (hp && parent && !strcmp(hp, parent))) && hn &&
		    !strcmp(hn, rp->name))
			return 0;
		/* Re-parent (microversion 1.37) or rename. */
		body = json_pack("{s:s, s:o}", "name", rp->name, "parent_provider_uuid",
				 parent ? json_string(parent) : json_null());
		snprintf(p, sizeof(p), "/resource_providers/%s", rp->uuid);
		r->stats->writes++;
		st = vfmgr_pl_call(r->pl, "PUT", p, body, NULL);
		json_decref(body);
		return st == 200 ? 0 : unexpected(p, st);
	}
	body = json_pack("{s:s, s:s, s:o}", "name", rp->name, "uuid", rp->uuid,
			 "parent_provider_uuid", parent ? json_string(parent) : json_null());
	r->stats->writes++;
	st = vfmgr_pl_call(r->pl, "POST", "/resource_providers", body, &resp);
	json_decref(body);
	json_decref(resp);
	if (st == 200 || st == 201)
		return 0;
	if (st == 409) {
		/* Created meanwhile (a previous run crashed after the POST), or the name is taken. */
		snprintf(p, sizeof(p), "/resource_providers/%s", rp->uuid);
		if (vfmgr_pl_call(r->pl, "GET", p, NULL, NULL) == 200)
			return 0;
		return vfmgr_set_error(
			EEXIST,
			"Placement already has a provider named '%s' with another UUID "
			"(not made by vfmgr, or [placement] host changed): delete it or choose "
			"another host name",
			rp->name);
	}
	return unexpected("POST /resource_providers", st);
}

static int sync_traits(struct run *r, const struct pl_want_rp *rp)
{
	char p[200];
	size_t i;
	json_t *t;

	json_array_foreach(rp->traits, i,
			   t) if (ensure_trait(r, json_string_value(t)) < 0) return -EPROTO;
	snprintf(p, sizeof(p), "/resource_providers/%s/traits", rp->uuid);
	for (int a = 0; a < PL_MAX_RETRIES; a++) {
		json_t *cur = NULL, *body;
		int st = vfmgr_pl_call(r->pl, "GET", p, NULL, &cur);

		if (st != 200) {
			json_decref(cur);
			return unexpected(p, st);
		}
		if (same_set(json_object_get(cur, "traits"), rp->traits)) {
			json_decref(cur);
			return 0;
		}
		body = json_pack("{s:O, s:O}", "traits", rp->traits, "resource_provider_generation",
				 json_object_get(cur, "resource_provider_generation"));
		json_decref(cur);
		st = put_generation(r, p, body);
		if (st != 1)
			return st;
	}
	return vfmgr_set_error(EAGAIN, "traits of provider %s: %d generation conflicts in a row",
			       rp->name, PL_MAX_RETRIES);
}

static int sync_inventory(struct run *r, const struct pl_want_rp *rp)
{
	char p[200];

	snprintf(p, sizeof(p), "/resource_providers/%s/inventories", rp->uuid);
	for (int a = 0; a < PL_MAX_RETRIES; a++) {
		json_t *cur = NULL, *want, *body, *have;
		int st = vfmgr_pl_call(r->pl, "GET", p, NULL, &cur);

		if (st != 200) {
			json_decref(cur);
			return unexpected(p, st);
		}
		have = json_object_get(json_object_get(cur, "inventories"), PL_RC);
		if (rp->has_inv) {
			if (have &&
			    json_integer_value(json_object_get(have, "total")) == rp->total &&
			    json_integer_value(json_object_get(have, "reserved")) == rp->reserved &&
			    json_integer_value(json_object_get(have, "max_unit")) == rp->total &&
			    json_object_size(json_object_get(cur, "inventories")) == 1) {
				json_decref(cur);
				return 0;
			}
			want = json_pack("{s:{s:i, s:i, s:i, s:i, s:i, s:f}}", PL_RC, "total",
					 (int)rp->total, "reserved", (int)rp->reserved, "min_unit",
					 1, "max_unit", (int)rp->total, "step_size", 1,
					 "allocation_ratio", 1.0);
		} else {
			if (json_object_size(json_object_get(cur, "inventories")) == 0) {
				json_decref(cur);
				return 0;
			}
			want = json_object();
		}
		body = json_pack("{s:O, s:o}", "resource_provider_generation",
				 json_object_get(cur, "resource_provider_generation"),
				 "inventories", want);
		json_decref(cur);
		st = put_generation(r, p, body);
		if (st != 1)
			return st;
	}
	return vfmgr_set_error(EAGAIN, "inventory of provider %s: %d generation conflicts in a row",
			       rp->name, PL_MAX_RETRIES);
}

/*
 * Write the consumer's allocations on this host's providers = @p want (others kept).
 * @p backed: the part the host backs with assigned VFs, remembered as what this process
 * published (an in-flight claim kept in @p want is not ours).
 */
static int write_consumer(struct run *r, const char *consumer, json_t *want, json_t *backed)
{
	char p[128];

	snprintf(p, sizeof(p), "/allocations/%s", consumer);
	for (int a = 0; a < PL_MAX_RETRIES; a++) {
		json_t *cur = NULL, *allocs, *body;
		const char *proj, *user;
		int st = vfmgr_pl_call(r->pl, "GET", p, NULL, &cur);

		if (st != 200) {
			json_decref(cur);
			return unexpected(p, st);
		}
		allocs = pl_merge_allocations(json_object_get(cur, "allocations"), r->mine, want);
		proj = json_string_value(json_object_get(cur, "project_id"));
		user = json_string_value(json_object_get(cur, "user_id"));
		body = json_pack("{s:o, s:O, s:s, s:s, s:s}", "allocations", allocs,
				 "consumer_generation",
				 json_object_get(cur, "consumer_generation") ?: json_null(),
				 "project_id", proj ? proj : "vfmgr", "user_id",
				 user ? user : "vfmgr", "consumer_type", PL_CONSUMER_TYPE);
		json_decref(cur);
		pl_rmw_delay();
		st = put_generation(r, p, body);
		if (st == 0)
			json_object_set(r->st->last, consumer, backed);
		if (st != 1)
			return st;
	}
	return vfmgr_set_error(EAGAIN,
			       "allocations of consumer %s: %d generation conflicts in a row",
			       consumer, PL_MAX_RETRIES);
}

/* {"rp": n} equal, zero counts ignored. */
static bool same_counts(json_t *a, json_t *b)
{
	const char *k;
	json_t *v;

	json_object_foreach(a, k, v) if (json_integer_value(v) !=
					 json_integer_value(json_object_get(b, k))) return false;
	json_object_foreach(b, k, v) if (json_integer_value(v) !=
					 json_integer_value(json_object_get(a, k))) return false;
	return true;
}

struct lv_user {
	struct vfmgr_session *s;
	struct vfmgr_virt *v;
};

static int uuid_from_libvirt(const char *domain, char uuid[PL_UUID_LEN], void *user)
{
	struct lv_user *u = user;

	return u->v ? vfmgr_virt_domain_uuid(u->v, domain, uuid) : -ENOTCONN;
}

static int foreign_in_libvirt(const char *vf_bdf, void *user)
{
	struct lv_user *u = user;

	return u->v ? vfmgr_virt_find_owner(u->v, vf_bdf, NULL, 0) : 0;
}

json_t *vfmgr_pl_sync_stats_json(const struct vfmgr_pl_sync_stats *s)
{
	return json_pack("{s:i, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:I}", "rc", s->rc,
			 "result", s->rc == 0 ? "ok" : s->msg, "providers", (int)s->providers,
			 "vfs_total", (int)s->vfs_total, "vfs_reserved", (int)s->vfs_reserved,
			 "vfs_assigned", (int)s->vfs_assigned, "writes", (int)s->writes,
			 "conflicts", (int)s->conflicts, "claims_kept", (int)s->claims_kept,
			 "claims_dropped", (int)s->claims_dropped, "duration_ms",
			 (json_int_t)s->duration_ms);
}

/* Remember the first refused write; @return true when the error is fatal (Placement gone). */
static bool keep_err(int rc, int *first, char *msg, size_t len)
{
	if (!*first) {
		*first = rc;
		snprintf(msg, len, "%s", vfmgr_errmsg());
	}
	return rc != -EPROTO && rc != -EAGAIN;
}

static int run_sync(struct run *r, struct vfmgr_session *s, const char *hostname, unsigned grace_s)
{
	struct vfmgr_host *host = NULL;
	struct pl_want w = { 0 };
	struct lv_user lu = { .s = s };
	json_t *tree = json_object(), *trj = NULL, *cur = json_object(), *plan2 = json_object(),
	       *rpj;
	json_t *empty = json_object(), *seen = NULL;
	bool posted = false;
	int first_err = 0;
	char p[256], first_msg[VFMGR_ERRMSG_LEN];
	size_t i;
	int rc, st;
	uint64_t now = vfmgr_now_ms();

	rc = vfmgr_discover(s->ctx, &host);
	if (rc < 0)
		goto out;
	if (vfmgr_session_virt(s, &lu.v) < 0)
		lu.v = NULL; /* owned VFs then count as reserved; logged by pl_want_build */
	{
		struct irqpost_detect d;
		if (irqpost_detect(vfmgr_ctx_root(s->ctx), &d) == 0)
			posted = d.available;
	}
	rc = pl_want_build(s->ctx, s->conf, host, hostname, posted, uuid_from_libvirt,
			   foreign_in_libvirt, &lu, &w);
	if (rc < 0)
		goto out;
	r->stats->providers = w.n_rps;
	r->stats->vfs_total = w.vfs_total;
	r->stats->vfs_reserved = w.vfs_reserved;
	r->stats->vfs_assigned = w.vfs_assigned;

	/* Placement's view of this host's tree. */
	snprintf(p, sizeof(p), "/resource_providers?in_tree=%s", w.rps[0].uuid);
	st = vfmgr_pl_call(r->pl, "GET", p, NULL, &trj);
	if (st != 200) {
		rc = unexpected(p, st);
		goto out;
	}
	json_array_foreach(json_object_get(trj, "resource_providers"), i, rpj)
	{
		const char *u = json_string_value(json_object_get(rpj, "uuid"));
		if (u) {
			json_object_set(tree, u, rpj);
			json_object_set_new(r->mine, u, json_true());
		}
	}
	for (unsigned k = 0; k < w.n_rps; k++)
		json_object_set_new(r->mine, w.rps[k].uuid, json_true());

	/* 1. Providers (parents first) and traits. */
	for (unsigned k = 0; k < w.n_rps; k++)
		if ((rc = sync_provider(r, &w, &w.rps[k], tree)) < 0 ||
		    (rc = sync_traits(r, &w.rps[k])) < 0)
			goto out;

	/* 2. Current allocations on every provider of the tree. */
	{
		const char *u;
		json_t *v;
		json_object_foreach(r->mine, u, v)
		{
			json_t *al = NULL;
			const char *c;
			json_t *cv;

			snprintf(p, sizeof(p), "/resource_providers/%s/allocations", u);
			st = vfmgr_pl_call(r->pl, "GET", p, NULL, &al);
			if (st == 404) { /* listed but deleted meanwhile */
				json_decref(al);
				continue;
			}
			if (st != 200) {
				json_decref(al);
				rc = unexpected(p, st);
				goto out;
			}
			json_object_foreach(json_object_get(al, "allocations"), c, cv)
			{
				json_int_t n = json_integer_value(
					json_object_get(json_object_get(cv, "resources"), PL_RC));
				if (!json_object_get(cur, c))
					json_object_set_new(cur, c, json_object());
				if (n > 0)
					json_object_set_new(json_object_get(cur, c), u,
							    json_integer(n));
			}
			json_decref(al);
		}
	}

	/* 3. Decide per consumer; pure decreases now, inventories, then increases. */
	for (unsigned k = 0; k < w.n_allocs; k++)
		if (!json_object_get(cur, w.allocs[k].consumer))
			json_object_set_new(cur, w.allocs[k].consumer, json_object());
	seen = json_deep_copy(cur);
	{
		const char *ckey;
		json_t *have;
		void *tmp;

		json_object_foreach_safe(cur, tmp, ckey, have)
		{
			json_t *want = NULL, *target, *last, *first;
			bool ours, expired, kept = false, decrease = false, increase = false;
			const char *k;
			json_t *v;
			char c[64]; /* the key dies with json_object_del(cur, ...) */

			snprintf(c, sizeof(c), "%s", ckey);

			for (unsigned j = 0; j < w.n_allocs; j++)
				if (!strcmp(w.allocs[j].consumer, c))
					want = w.allocs[j].rps;
			if (!want)
				want = empty;
			if (same_counts(have, want)) {
				json_object_set(r->st->last, c, want);
				json_object_del(r->st->orphan, c);
				json_object_del(cur, c);
				continue;
			}
			/* More here than the host backs with VFs: ours (a release) goes at once; someone
			 * else's is an in-flight claim, kept for claim_grace_s unless its PF has no free VF
			 * left (then no assign can ever back it). */
			last = json_object_get(r->st->last, c);
			ours = last && same_counts(last, have);
			first = json_object_get(r->st->orphan, c);
			expired = first && now - (uint64_t)json_integer_value(first) >=
						   (uint64_t)grace_s * 1000;
			target = json_deep_copy(want);
			json_object_foreach(have, k, v)
			{
				json_int_t hv = json_integer_value(v),
					   wv = json_integer_value(json_object_get(want, k));
				const struct pl_want_rp *rp = NULL;

				if (hv <= wv)
					continue;
				for (unsigned j = 0; j < w.n_rps; j++)
					if (!strcmp(w.rps[j].uuid, k))
						rp = &w.rps[j];
				if (ours || expired || grace_s == 0 || !rp || rp->free == 0) {
					decrease = true;
				} else {
					json_object_set(target, k, v);
					kept = true;
				}
			}
			json_object_foreach(want, k,
					    v) if (json_integer_value(v) >
						   json_integer_value(json_object_get(have, k)))
				increase = true;
			if (kept) {
				r->stats->claims_kept++;
				if (!first)
					json_object_set_new(r->st->orphan, c,
							    json_integer((json_int_t)now));
			} else {
				json_object_del(r->st->orphan, c);
			}
			if (decrease && !ours) {
				r->stats->claims_dropped++;
				vfmgr_log(
					VFMGR_LOG_WARNING,
					"placement: consumer %s holds more %s on this host than its "
					"assigned VFs (claim older than %us, or its PF is full): removed",
					c, PL_RC, grace_s);
			}
			if (same_counts(target, have)) {
				json_decref(target);
				json_object_del(cur, c);
				continue;
			}
			json_object_del(cur, c); /* frees have */
			if (increase) {
				/* after the inventories */
				json_object_set_new(
					plan2, c,
					json_pack("{s:o, s:O}", "target", target, "backed", want));
				continue;
			}
			rc = write_consumer(r, c, target, want);
			json_decref(target);
			if (rc < 0 && keep_err(rc, &first_err, first_msg, sizeof(first_msg)))
				goto out;
		}
	}
	for (unsigned k = 0; k < w.n_rps; k++)
		if ((w.rps[k].has_inv || w.rps[k].pf_bdf[0]) &&
		    (rc = sync_inventory(r, &w.rps[k])) < 0)
			goto out;
	{
		const char *c;
		json_t *target;

		/* One consumer refused (over capacity) does not stop the others. */
		json_object_foreach(
			plan2, c,
			target) if ((rc = write_consumer(r, c, json_object_get(target, "target"),
							 json_object_get(target, "backed"))) < 0 &&
				    keep_err(rc, &first_err, first_msg,
					     sizeof(first_msg))) goto out;
	}

	/* 4. Providers of the tree no longer wanted (PF left the configuration): children first. */
	for (int pass = 0; pass < 3; pass++) {
		const char *u;
		json_t *v;
		json_object_foreach(tree, u, v)
		{
			bool wanted = false, has_child = false;
			const char *u2;
			json_t *v2;

			for (unsigned k = 0; k < w.n_rps; k++)
				if (!strcmp(w.rps[k].uuid, u))
					wanted = true;
			if (wanted || json_object_get(v, "deleted"))
				continue;
			json_object_foreach(tree, u2, v2)
			{
				const char *pp = json_string_value(
					json_object_get(v2, "parent_provider_uuid"));
				if (pp && !strcmp(pp, u) && !json_object_get(v2, "deleted"))
					has_child = true;
			}
			if (has_child)
				continue;
			snprintf(p, sizeof(p), "/resource_providers/%s", u);
			r->stats->writes++;
			st = vfmgr_pl_call(r->pl, "DELETE", p, NULL, NULL);
			if (st == 204 || st == 404)
				json_object_set_new(v, "deleted", json_true());
			else
				vfmgr_log(VFMGR_LOG_WARNING,
					  "placement: provider %s is no longer on this host but "
					  "cannot be deleted yet: %s",
					  u, vfmgr_errmsg());
		}
	}
	rc = first_err;
	if (rc < 0)
		vfmgr_set_error(-rc, "%s", first_msg);
out:
	/* Forget consumers that neither this host nor Placement knows any more. */
	if (rc == 0 && seen) {
		const char *c;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(r->st->orphan, tmp, c, v) if (!json_object_get(seen, c))
			json_object_del(r->st->orphan, c);
		json_object_foreach_safe(r->st->last, tmp, c, v) if (!json_object_get(seen, c))
			json_object_del(r->st->last, c);
	}
	json_decref(seen);
	json_decref(empty);
	json_decref(tree);
	json_decref(trj);
	json_decref(cur);
	json_decref(plan2);
	pl_want_free(&w);
	vfmgr_virt_close(lu.v);
	vfmgr_host_free(host);
	return rc;
}

/*
 * <state>/placement.json {"host": name, "last": {...}}: what this host published, kept across
 * restarts so that a VF released while the daemon was down is taken out of Placement at once.
 * Written after a run changed it; a crash before the write leaves an older copy, which only
 * makes the next run treat such allocations as claims (claim-grace): safe.
 */
static void last_load(struct vfmgr_pl_sync *st, struct vfmgr_session *s, const char *hostname)
{
	char path[PATH_MAX];
	json_t *j;

	st->loaded = true;
	snprintf(path, sizeof(path), "%s/placement.json", vfmgr_ctx_state_dir(s->ctx));
	j = json_load_file(path, 0, NULL);
	if (j && json_is_string(json_object_get(j, "host")) &&
	    !strcmp(json_string_value(json_object_get(j, "host")), hostname) &&
	    json_is_object(json_object_get(j, "last"))) {
		json_decref(st->last);
		st->last = json_deep_copy(json_object_get(j, "last"));
		json_decref(st->saved);
		st->saved = json_deep_copy(st->last);
	}
	json_decref(j);
	if (!st->last)
		st->last = json_object();
}

static void last_save(struct vfmgr_pl_sync *st, struct vfmgr_session *s, const char *hostname)
{
	char path[PATH_MAX], *txt;
	json_t *j;

	if (st->saved && json_equal(st->saved, st->last))
		return;
	snprintf(path, sizeof(path), "%s/placement.json", vfmgr_ctx_state_dir(s->ctx));
	j = json_pack("{s:s, s:O}", "host", hostname, "last", st->last);
	txt = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (txt && vfmgr_write_atomic(path, txt, strlen(txt)) == 0) {
		json_decref(st->saved);
		st->saved = json_deep_copy(st->last);
	} else {
		vfmgr_log(VFMGR_LOG_WARNING,
			  "placement: cannot save %s (%s): after a restart, VFs released "
			  "meanwhile stay in Placement for claim-grace",
			  path, vfmgr_errmsg());
	}
	free(txt);
	json_decref(j);
}

int vfmgr_pl_sync_run(struct vfmgr_pl *pl, struct vfmgr_pl_sync *st, struct vfmgr_session *s,
		      const char *hostname, unsigned claim_grace_s,
		      struct vfmgr_pl_sync_stats *stats)
{
	struct vfmgr_pl_sync_stats local;
	struct run r = { .pl = pl, .st = st, .stats = stats ? stats : &local };
	uint64_t t0 = vfmgr_now_ms();
	int rc;

	memset(r.stats, 0, sizeof(*r.stats));
	vfmgr_clear_error();
	if (!hostname || !hostname[0])
		return r.stats->rc = vfmgr_set_error(
			       EINVAL, "no host name for Placement: set [placement] host");
	r.mine = json_object();
	if (!r.mine)
		return -ENOMEM;
	if (!st->loaded)
		last_load(st, s, hostname);
	rc = run_sync(&r, s, hostname, claim_grace_s);
	last_save(st, s, hostname);
	json_decref(r.mine);
	r.stats->rc = rc;
	r.stats->duration_ms = vfmgr_now_ms() - t0;
	if (rc < 0)
		snprintf(r.stats->msg, sizeof(r.stats->msg), "%s",
			 vfmgr_errmsg()[0] ? vfmgr_errmsg() : strerror(-rc));
	return rc;
}
