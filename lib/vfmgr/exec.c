/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * exec.c: the request executor shared by vfmgrd and `vfmgr --local`: one decoded
 * protocol request (proto.c) in, one JSON result or one enum vfmgr_exit code out.
 * It only dispatches to discover/plan/assign/release/preflight; it owns no state.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "irqpost.h"
#include "vfmgr_priv.h"

static json_t *result_json(const struct vfmgr_assign_result *r)
{
	static const char *const paths[] = { "none", "hotplug", "redefine" };
	json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:i, s:s, s:i, s:s}", "domain", r->domain, "pf",
			      r->pf_bdf, "index", (int)r->index, "vf", r->vf_bdf, "vf_numa_node",
			      r->vf_numa_node, "libvirt",
			      paths[r->path <= VFMGR_VIRT_REDEFINE ? r->path : 0], "irqs", r->irqs,
			      "note", r->note);
	json_t *nodes = json_array();

	for (int n = 0; n < 64; n++)
		if (r->domain_nodes & (UINT64_C(1) << n))
			json_array_append_new(nodes, json_integer(n));
	json_object_set_new(o, "domain_nodes", nodes);
	return o;
}

static const json_t *vf_json(json_t *hostj, const char *pf, unsigned int idx)
{
	size_t i, j;
	json_t *p, *v;

	json_array_foreach(json_object_get(hostj, "pfs"), i, p)
	{
		if (strcmp(json_string_value(json_object_get(p, "bdf")) ?: "", pf))
			continue;
		json_array_foreach(json_object_get(p, "vfs"), j,
				   v) if (json_integer_value(json_object_get(v, "index")) ==
					  (json_int_t)idx) return v;
	}
	return NULL;
}

static int fail(int rc, char *msg, size_t msglen)
{
	snprintf(msg, msglen, "%s", vfmgr_errmsg()[0] ? vfmgr_errmsg() : strerror(-rc));
	return vfmgr_exit_from_errno(rc);
}

int vfmgr_exec(struct vfmgr_session *s, const struct vfmgr_request *req, json_t **result, char *msg,
	       size_t msglen)
{
	struct vfmgr_host *host = NULL;
	struct vfmgr_plan *plan = NULL;
	struct vfmgr_assign_result res;
	json_t *out = NULL;
	char warn[VFMGR_ERRMSG_LEN + 128];
	int rc = 0, code = 0;

	*result = NULL;
	msg[0] = '\0';
	vfmgr_clear_error();
	switch (req->op) {
	case VFMGR_OP_STATUS:
	case VFMGR_OP_LIST:
		if ((rc = vfmgr_session_discover(s, &host, warn, sizeof(warn))) < 0)
			return fail(rc, msg, msglen);
		out = vfmgr_host_to_json(host);
		if (warn[0])
			json_object_set_new(out, "libvirt_warning", json_string(warn));
		if (req->op == VFMGR_OP_STATUS) {
			json_object_set_new(out, "journal_pending",
					    json_integer(vfmgr_journal_pending(s->ctx)));
			json_object_set_new(out, "config",
					    json_string(s->conf ? s->conf->path : ""));
			struct irqpost_detect d;
			irqpost_detect(vfmgr_ctx_root(s->ctx), &d);
			json_object_set_new(out, "posted_interrupts",
					    json_pack("{s:b, s:s}", "available", d.available,
						      "reason", irqpost_verdict_reason(&d)));
		}
		break;
	case VFMGR_OP_PLAN:
	case VFMGR_OP_APPLY:
		if (!s->conf) {
			snprintf(msg, msglen,
				 "no configuration loaded: give --config FILE (vfmgr.conf(5))");
			return VFMGR_EXIT_USAGE;
		}
		if ((rc = vfmgr_session_discover(s, &host, warn, sizeof(warn))) < 0)
			return fail(rc, msg, msglen);
		/* the whole plan validates before anything changes: apply starts only on a plan
		 * that did (vfmgr_plan_build() refuses what apply would refuse) */
		rc = vfmgr_plan_build(s->ctx, s->conf, host, req->force ? VFMGR_F_FORCE : 0, &plan);
		if (rc < 0) {
			code = fail(rc, msg, msglen);
			goto done;
		}
		out = json_pack("{s:o}", "steps", vfmgr_plan_to_json(plan));
		if (warn[0])
			json_object_set_new(out, "libvirt_warning", json_string(warn));
		if (req->op == VFMGR_OP_APPLY) {
			rc = vfmgr_plan_apply(s->ctx, plan, req->force ? VFMGR_F_FORCE : 0);
			if (rc < 0) {
				code = fail(rc, msg, msglen);
				goto done;
			}
			json_object_set_new(out, "applied", json_integer(plan->n));
		}
		break;
	case VFMGR_OP_ASSIGN: {
		struct vfmgr_assign_req ar = { .domain = req->domain,
					       .pf = req->pf,
					       .vf = req->vf,
					       .form = req->plain ? VFMGR_HOSTDEV_PLAIN :
								    VFMGR_HOSTDEV_INTERFACE,
					       .force = req->force };
		rc = vfmgr_assign(s, &ar, &res);
		if (rc < 0) {
			code = fail(rc, msg, msglen);
			if (res.refused)
				code = VFMGR_EXIT_REFUSED;
			goto done;
		}
		out = result_json(&res);
		break;
	}
	case VFMGR_OP_ADOPT:
		rc = vfmgr_adopt(s, req->domain, &out);
		if (rc < 0) {
			code = fail(rc, msg, msglen);
			goto done;
		}
		break;
	case VFMGR_OP_RELEASE:
		rc = vfmgr_release(s, req->target, &res);
		if (rc < 0) {
			code = fail(rc, msg, msglen);
			goto done;
		}
		out = result_json(&res);
		break;
	case VFMGR_OP_SHOW: {
		const struct vfmgr_vf *vf;
		json_t *hj, *side;

		if ((rc = vfmgr_discover(s->ctx, &host)) < 0)
			return fail(rc, msg, msglen);
		vf = vfmgr_find_vf_target(host, req->target);
		if (!vf) {
			snprintf(
				msg, msglen,
				"no VF '%s' (give 0000:3b:02.1 or PF/index; `vfmgr list` shows them)",
				req->target);
			code = VFMGR_EXIT_NOTFOUND;
			goto done;
		}
		hj = vfmgr_host_to_json(host);
		out = json_deep_copy(vf_json(hj, vf->pf_bdf, vf->index));
		json_decref(hj);
		if (!out)
			out = json_object();
		json_object_set_new(out, "pf", json_string(vf->pf_bdf));
		side = vfmgr_assigned_read(s, vf->pf_bdf, vf->index);
		json_object_set_new(out, "assignment", side ? side : json_null());
		break;
	}
	case VFMGR_OP_CHECK: {
		struct vfmgr_checks ch = { 0 };
		json_t *arr = json_array();
		static const char *const st[] = { "ok", "warn", "fail" };

		int first_code = 0;

		rc = vfmgr_preflight(s->ctx, s->conf, &ch);
		if (rc < 0)
			return fail(rc, msg, msglen);
		for (unsigned int i = 0; i < ch.n; i++) {
			json_array_append_new(
				arr,
				json_pack("{s:s, s:s, s:s, s:i}", "name", ch.v[i].name, "status",
					  st[ch.v[i].status <= 2 ? ch.v[i].status : 2], "message",
					  ch.v[i].msg, "code", ch.v[i].code));
			if (ch.v[i].status == VFMGR_CHECK_FAIL && !first_code)
				first_code = ch.v[i].code;
		}
		/* "code": the exit status of the first failure, the one any command meeting that
		 * cause gives (vfmgr(8) EXIT STATUS) */
		out = json_pack("{s:o, s:i, s:i}", "checks", arr, "failed", (int)ch.n_fail, "code",
				first_code);
		{
			struct irqpost_detect d;
			irqpost_detect(vfmgr_ctx_root(s->ctx), &d);
			json_object_set_new(out, "posted_interrupts",
					    json_pack("{s:b, s:s}", "available", d.available,
						      "reason", irqpost_verdict_reason(&d)));
		}
		vfmgr_checks_free(&ch);
		break;
	}
	default:
		snprintf(msg, msglen, "unknown operation");
		return VFMGR_EXIT_USAGE;
	}
done:
	vfmgr_plan_free(plan);
	vfmgr_host_free(host);
	if (code) {
		json_decref(out);
		return code;
	}
	*result = out ? out : json_null();
	return 0;
}
