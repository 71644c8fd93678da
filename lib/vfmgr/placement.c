/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * placement.c: a small OpenStack Placement client (libcurl + jansson).
 * API: https://docs.openstack.org/api-ref/placement/ ; every request carries
 * "OpenStack-API-Version: placement 1.39" (Placement 8.0.0's maximum) and X-Auth-Token
 * (noauth2 accepts "admin"). Also the fleet operations of vfmgr(8): allocation candidates,
 * claims with consumer generations, the fleet listing.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "vfmgr.h"
#include "vfmgr_priv.h"
#include "placement_priv.h"

struct vfmgr_pl {
	char url[256]; /* without trailing '/' */
	char token[160];
	unsigned timeout_ms;
	unsigned long conflicts; /* atomic */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int vfmgr_pl_open(const struct vfmgr_pl_conf *pc, struct vfmgr_pl **out)
{
	struct vfmgr_pl *pl;
	size_t n;

	*out = NULL;
	if (!pc || !pc->url[0])
		return vfmgr_set_error(
			EINVAL, "no Placement URL: set url = http://HOST:PORT in the [placement] "
				"section of vfmgr.conf (vfmgr.conf(5)) or give --placement-url");
	if (strncmp(pc->url, "http://", 7) && strncmp(pc->url, "https://", 8))
		return vfmgr_set_error(EINVAL,
				       "Placement URL '%s' is not http:// or https:// "
				       "([placement] url in vfmgr.conf)",
				       pc->url);
	pthread_once(&curl_once, curl_init_once);
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return -ENOMEM;
	snprintf(pl->url, sizeof(pl->url), "%s", pc->url);
	n = strlen(pl->url);
	while (n > 0 && pl->url[n - 1] == '/')
		pl->url[--n] = '\0';
	snprintf(pl->token, sizeof(pl->token), "%s", pc->token[0] ? pc->token : "admin");
	pl->timeout_ms = pc->timeout_ms ? pc->timeout_ms : 5000;
	*out = pl;
	return 0;
}

void vfmgr_pl_close(struct vfmgr_pl *pl)
{
	free(pl);
}

void pl_crashpoint(const char *path)
{
	static unsigned long count;
	const char *e = getenv("VFMGR_PL_CRASHPOINT");
	char *end;
	unsigned long n;

	if (!e || !*e)
		return;
	n = strtoul(e, &end, 10);
	if (*end == ':' && !strstr(path, end + 1))
		return;
	if (__atomic_add_fetch(&count, 1, __ATOMIC_SEQ_CST) >= n) {
		fprintf(stderr, "VFMGR_PL_CRASHPOINT=%s: killed before Placement write %lu (%s)\n",
			e, count, path);
		kill(getpid(), SIGKILL);
	}
}

void pl_rmw_delay(void)
{
	const char *e = getenv("VFMGR_PL_RMW_DELAY_MS");
	unsigned long ms = e ? strtoul(e, NULL, 10) : 0;

	if (ms)
		usleep((useconds_t)(ms > 5000 ? 5000 : ms) * 1000);
}

struct buf {
	char *p;
	size_t n, cap;
};

static size_t on_data(char *data, size_t sz, size_t nm, void *user)
{
	struct buf *b = user;
	size_t n = sz * nm;

	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *np = realloc(b->p, cap);
		if (!np)
			return 0;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, data, n);
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

int vfmgr_pl_call(struct vfmgr_pl *pl, const char *method, const char *path, json_t *body,
		  json_t **resp)
{
	char url[2048], hdr_tok[200];
	struct curl_slist *h = NULL;
	struct buf b = { 0 };
	char *payload = NULL;
	long status = 0;
	CURLcode cc;
	CURL *c;
	int rc;

	if (resp)
		*resp = NULL;
	if (strcmp(method, "GET"))
		pl_crashpoint(path);
	if ((size_t)snprintf(url, sizeof(url), "%s%s", pl->url, path) >= sizeof(url))
		return vfmgr_set_error(ENAMETOOLONG, "Placement request path too long: %.80s...",
				       path);
	c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	snprintf(hdr_tok, sizeof(hdr_tok), "X-Auth-Token: %s", pl->token);
	h = curl_slist_append(h, hdr_tok);
	h = curl_slist_append(h, "OpenStack-API-Version: " PL_MICROVERSION);
	h = curl_slist_append(h, "Accept: application/json");
	if (body) {
		payload = json_dumps(body, JSON_COMPACT);
		if (!payload) {
			curl_slist_free_all(h);
			curl_easy_cleanup(c);
			return -ENOMEM;
		}
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
	} else if (strcmp(method, "GET") && strcmp(method, "DELETE")) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)pl->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)pl->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		rc = cc == CURLE_COULDNT_CONNECT    ? -ECONNREFUSED :
		     cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT :
						      -EIO;
		vfmgr_set_error(
			-rc,
			"Placement at %s did not answer %s %s: %s (is placement-api running? "
			"[placement] url in vfmgr.conf)",
			pl->url, method, path, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	rc = (int)status;
	if (resp && b.n)
		*resp = json_loadb(b.p, b.n, 0, NULL);
	if (rc >= 400) {
		/* Placement errors: {"errors":[{"status","title","detail","code"}]} */
		json_t *j = resp && *resp ? *resp : json_loadb(b.p ? b.p : "", b.n, 0, NULL);
		json_t *e0 = json_array_get(json_object_get(j, "errors"), 0);
		const char *detail = json_string_value(json_object_get(e0, "detail"));
		const char *code = json_string_value(json_object_get(e0, "code"));
		char d[400];

		snprintf(d, sizeof(d), "%s", detail ? detail : b.p ? b.p : "");
		for (char *q = d; *q; q++)
			if (*q == '\n')
				*q = ' ';
		vfmgr_set_error(EPROTO, "Placement %s %s: HTTP %d %s: %s", method, path, rc,
				code ? code : "", d);
		if (code && !strcmp(code, "placement.concurrent_update"))
			__atomic_add_fetch(&pl->conflicts, 1, __ATOMIC_RELAXED);
		if (!(resp && *resp))
			json_decref(j);
	}
out:
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(payload);
	free(b.p);
	return rc;
}

/* ------------------------------------------------------------------ names */

void pl_name_uuid(const char *name, char out[PL_UUID_LEN])
{
	/* FNV-1a 128: offset basis 0x6c62272e07bb014262b821756295c58d, prime 2^88 + 0x13b. */
	unsigned __int128 h =
		((unsigned __int128)0x6c62272e07bb0142ull << 64) | 0x62b821756295c58dull;
	const unsigned __int128 prime = ((unsigned __int128)1 << 88) | 0x13b;
	const char *pfx = "vfmgr:";
	uint8_t b[16];

	for (const char *p = pfx; *p; p++)
		h = (h ^ (uint8_t)*p) * prime;
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * prime;
	for (int i = 0; i < 16; i++)
		b[i] = (uint8_t)(h >> (8 * (15 - i)));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x80); /* version 8 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10 */
	snprintf(out, PL_UUID_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
}

void pl_custom_trait(const char *prefix, const char *text, char *out, size_t len)
{
	size_t o;

	o = (size_t)snprintf(out, len, "CUSTOM_%s", prefix);
	if (o >= len)
		o = len - 1;
	for (const char *p = text; *p && o + 1 < len && o < 255; p++) {
		char ch = *p;
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		else if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
			ch = '_';
		out[o++] = ch;
	}
	out[o] = '\0';
}

int vfmgr_pl_host_socket(const char *tmpl, const char *host, char *out, size_t len)
{
	size_t o = 0;

	if (!host[0] || strchr(host, '/') || strstr(host, ".."))
		return vfmgr_set_error(EINVAL, "host name '%s' cannot be part of a socket path",
				       host);
	for (const char *p = tmpl; *p; p++) {
		const char *s = NULL;
		char one[2] = { *p, 0 };

		if (p[0] == '%' && p[1] == 'h') {
			s = host;
			p++;
		} else {
			s = one;
		}
		size_t n = strlen(s);
		if (o + n + 1 > len)
			return vfmgr_set_error(ENAMETOOLONG,
					       "socket path from '%s' for host %s is too long",
					       tmpl, host);
		memcpy(out + o, s, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

int vfmgr_pl_domain_uuid(const char *uri, const char *domain, char uuid[37])
{
	struct vfmgr_virt *v = NULL;
	int rc = vfmgr_virt_open(uri, &v);

	if (rc == 0)
		rc = vfmgr_virt_domain_uuid(v, domain, uuid);
	vfmgr_virt_close(v);
	return rc;
}

/* ------------------------------------------------------------------ fleet: candidates and claims */

static json_t *consumer_body(json_t *allocs, json_t *gen, const char *project, const char *user)
{
	return json_pack("{s:O, s:O, s:s, s:s, s:s}", "allocations", allocs, "consumer_generation",
			 gen ? gen : json_null(), "project_id", project, "user_id", user,
			 "consumer_type", PL_CONSUMER_TYPE);
}

/* Add @p n of @p rc on @p rp to the consumer's allocations (n < 0: subtract). */
static int consumer_add(struct vfmgr_pl *pl, const char *consumer, const char *rp,
			const char *rc_name, long n, const char *project, unsigned *conflicts,
			bool *capacity)
{
	char path[128];
	int st = 0;

	*capacity = false;
	snprintf(path, sizeof(path), "/allocations/%s", consumer);
	for (int attempt = 0; attempt < PL_MAX_RETRIES; attempt++) {
		json_t *cur = NULL, *allocs, *body, *resp = NULL, *res;
		json_t *gen;
		const char *proj, *user;
		json_int_t have;

		st = vfmgr_pl_call(pl, "GET", path, NULL, &cur);
		if (st < 0)
			return st;
		if (st != 200) {
			json_decref(cur);
			return -EPROTO;
		}
		allocs = json_deep_copy(json_object_get(cur, "allocations"));
		if (!allocs)
			allocs = json_object();
		/* GET answers {"resources","generation"} per provider; PUT takes {"resources"} only. */
		const char *k;
		json_t *v;
		json_object_foreach(allocs, k, v) json_object_del(v, "generation");
		res = json_object_get(json_object_get(allocs, rp), "resources");
		have = json_integer_value(json_object_get(res, rc_name));
		if (have + n <= 0) {
			if (res) {
				json_object_del(res, rc_name);
				if (json_object_size(res) == 0)
					json_object_del(allocs, rp);
			}
		} else {
			if (!res) {
				json_object_set_new(allocs, rp, json_pack("{s:{}}", "resources"));
				res = json_object_get(json_object_get(allocs, rp), "resources");
			}
			json_object_set_new(res, rc_name, json_integer(have + n));
		}
		gen = json_object_get(cur, "consumer_generation");
		proj = json_string_value(json_object_get(cur, "project_id"));
		user = json_string_value(json_object_get(cur, "user_id"));
		body = consumer_body(allocs, gen, proj ? proj : project, user ? user : project);
		json_decref(allocs);
		pl_rmw_delay();
		st = vfmgr_pl_call(pl, "PUT", path, body, &resp);
		json_decref(body);
		json_decref(cur);
		if (st == 204 || st == 200) {
			json_decref(resp);
			return 0;
		}
		if (st == 409) {
			const char *code = json_string_value(json_object_get(
				json_array_get(json_object_get(resp, "errors"), 0), "code"));
			bool generation = code && !strcmp(code, "placement.concurrent_update");

			json_decref(resp);
			if (generation) {
				(*conflicts)++;
				continue;
			}
			*capacity = true; /* the units are gone: ask for candidates again */
			(*conflicts)++;
			return -EAGAIN;
		}
		json_decref(resp);
		return st < 0 ? st : -EPROTO;
	}
	return vfmgr_set_error(EAGAIN, "consumer %s: %d generation conflicts in a row; retry later",
			       consumer, PL_MAX_RETRIES);
}

static int numa_of_traits(json_t *traits)
{
	size_t i;
	json_t *t;

	json_array_foreach(traits, i, t)
	{
		const char *s = json_string_value(t);
		if (s && !strncmp(s, "CUSTOM_NUMA_NODE_", 17))
			return atoi(s + 17);
	}
	return -1;
}

int vfmgr_pl_claim(struct vfmgr_pl *pl, const char *consumer, const char *resources,
		   const char *const *required, unsigned n_required, int numa, const char *host,
		   const char *project, struct vfmgr_pl_claim *out)
{
	char path[1536], req[1024], rcname[64];
	const char *colon = strchr(resources, ':');
	char *end;
	long count;
	size_t o;

	memset(out, 0, sizeof(*out));
	out->numa = -1;
	snprintf(out->consumer, sizeof(out->consumer), "%s", consumer);
	if (!colon || colon == resources || (size_t)(colon - resources) >= sizeof(rcname))
		return vfmgr_set_error(EINVAL,
				       "--resources '%s' is not RESOURCE_CLASS:COUNT "
				       "(e.g. SRIOV_NET_VF:1)",
				       resources);
	memcpy(rcname, resources, (size_t)(colon - resources));
	rcname[colon - resources] = '\0';
	count = strtol(colon + 1, &end, 10);
	if (*end || count < 1 || count > 4096)
		return vfmgr_set_error(EINVAL, "--resources '%s': the count must be 1..4096",
				       resources);
	for (const char *p = rcname; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return vfmgr_set_error(EINVAL,
					       "--resources '%s': resource classes are [A-Z0-9_]",
					       resources);
	o = (size_t)snprintf(req, sizeof(req), "HW_NIC_SRIOV");
	for (unsigned i = 0; i < n_required; i++) {
		for (const char *p = required[i]; *p; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
			      *p == '!'))
				return vfmgr_set_error(
					EINVAL,
					"--required '%s': trait names are [A-Z0-9_] "
					"(CUSTOM_PHYSNET_NET1, HW_NIC_SRIOV, !TRAIT to forbid)",
					required[i]);
		o += (size_t)snprintf(req + o, sizeof(req) > o ? sizeof(req) - o : 0, ",%s",
				      required[i]);
	}
	if (numa >= 0)
		o += (size_t)snprintf(req + o, sizeof(req) > o ? sizeof(req) - o : 0,
				      ",CUSTOM_NUMA_NODE_%d", numa);
	if (o >= sizeof(req))
		return vfmgr_set_error(EINVAL, "too many --required traits");
	snprintf(out->rc_name, sizeof(out->rc_name), "%s", rcname);
	out->count = (unsigned)count;
	/* One numbered request group: all units from one provider (one PF). */
	o = (size_t)snprintf(path, sizeof(path),
			     "/allocation_candidates?resources1=%s:%ld&required1=%s"
			     "&group_policy=none",
			     rcname, count, req);
	if (host && host[0]) {
		char root[PL_UUID_LEN];

		pl_name_uuid(host, root);
		snprintf(path + o, sizeof(path) - o, "&in_tree1=%s", root);
	}

	for (int attempt = 0; attempt < PL_MAX_RETRIES * 2; attempt++) {
		json_t *ac = NULL, *reqs, *sums, *a;
		const char *best = NULL;
		long best_free = -1;
		size_t i;
		int st;

		st = vfmgr_pl_call(pl, "GET", path, NULL, &ac);
		if (st < 0)
			return st;
		if (st != 200) {
			json_decref(ac);
			return -EPROTO;
		}
		reqs = json_object_get(ac, "allocation_requests");
		sums = json_object_get(ac, "provider_summaries");
		out->candidates = (unsigned)json_array_size(reqs);
		json_array_foreach(reqs, i, a)
		{
			const char *rp;
			json_t *v;

			json_object_foreach(json_object_get(a, "allocations"), rp, v)
			{
				json_t *r = json_object_get(
					json_object_get(json_object_get(sums, rp), "resources"),
					rcname);
				long fr = (long)json_integer_value(json_object_get(r, "capacity")) -
					  (long)json_integer_value(json_object_get(r, "used"));
				if (fr > best_free ||
				    (fr == best_free && best && strcmp(rp, best) < 0)) {
					best_free = fr;
					best = rp;
				}
			}
		}
		if (!best) {
			json_decref(ac);
			return vfmgr_set_error(
				ENOSPC,
				"no host%s%s has %s free with traits %s in Placement "
				"(`vfmgr fleet list` shows inventory and usage)",
				host ? " " : "", host ? host : "", resources, req);
		}
		snprintf(out->rp, sizeof(out->rp), "%s", best);
		{
			json_t *sum = json_object_get(sums, best);
			char rootbuf[PL_UUID_LEN] = "";
			const char *root = rootbuf;
			snprintf(rootbuf, sizeof(rootbuf), "%s",
				 json_string_value(json_object_get(sum, "root_provider_uuid")) ?:
												 "");
			out->numa = numa_of_traits(json_object_get(sum, "traits"));
			json_decref(ac);
			ac = NULL;
			/* Names: root = host, PF = "<host>_<bdf>". */
			char p2[128];
			json_t *r = NULL;
			snprintf(p2, sizeof(p2), "/resource_providers/%s", out->rp);
			if (vfmgr_pl_call(pl, "GET", p2, NULL, &r) == 200) {
				const char *nm = json_string_value(json_object_get(r, "name"));
				size_t l = nm ? strlen(nm) : 0;
				if (l > 12)
					snprintf(out->pf_bdf, sizeof(out->pf_bdf), "%s",
						 nm + l - 12);
			}
			json_decref(r);
			r = NULL;
			snprintf(p2, sizeof(p2), "/resource_providers/%s", root);
			if (root[0] && vfmgr_pl_call(pl, "GET", p2, NULL, &r) == 200)
				snprintf(out->host, sizeof(out->host), "%s",
					 json_string_value(json_object_get(r, "name")) ?: "");
			json_decref(r);
		}
		if (!out->host[0] || vfmgr_parse_bdf(out->pf_bdf, out->pf_bdf) < 0)
			return vfmgr_set_error(
				EPROTO,
				"provider %s is not a vfmgr PF provider (name <host>_<pci "
				"address> under a root named after the host)",
				out->rp);
		bool capacity;
		int rc = consumer_add(pl, consumer, out->rp, rcname, count, project,
				      &out->conflicts, &capacity);
		if (rc == 0)
			return 0;
		if (rc != -EAGAIN || !capacity)
			return rc;
		/* Someone claimed those units between our query and our PUT: ask again. */
	}
	return vfmgr_set_error(EAGAIN, "claim for consumer %s lost %d races in a row; retry",
			       consumer, PL_MAX_RETRIES * 2);
}

int vfmgr_pl_unclaim(struct vfmgr_pl *pl, struct vfmgr_pl_claim *c)
{
	bool capacity;

	return consumer_add(pl, c->consumer, c->rp, c->rc_name, -(long)c->count, "vfmgr",
			    &c->conflicts, &capacity);
}

int vfmgr_pl_fleet(struct vfmgr_pl *pl, json_t **out)
{
	json_t *rps = NULL, *hosts = json_object(), *res, *rp;
	json_int_t n_alloc = 0;
	size_t i;
	int st;

	*out = NULL;
	st = vfmgr_pl_call(pl, "GET", "/resource_providers", NULL, &rps);
	if (st != 200) {
		json_decref(rps);
		json_decref(hosts);
		return st < 0 ? st : -EPROTO;
	}
	/* Roots first (hosts), then PF providers (those with inventory of SRIOV_NET_VF). */
	json_array_foreach(json_object_get(rps, "resource_providers"), i, rp)
	{
		const char *u = json_string_value(json_object_get(rp, "uuid"));
		const char *root = json_string_value(json_object_get(rp, "root_provider_uuid"));
		if (u && root && !strcmp(u, root))
			json_object_set_new(hosts, u,
					    json_pack("{s:O, s:s, s:[]}", "name",
						      json_object_get(rp, "name"), "uuid", u,
						      "pfs"));
	}
	json_array_foreach(json_object_get(json_object_get(rps, "resource_providers") ? rps : NULL,
					   "resource_providers"),
			   i, rp)
	{
		const char *u = json_string_value(json_object_get(rp, "uuid"));
		const char *root = json_string_value(json_object_get(rp, "root_provider_uuid"));
		const char *nm = json_string_value(json_object_get(rp, "name"));
		json_t *inv = NULL, *use = NULL, *tr = NULL, *h, *iv;
		char p[160];

		if (!u || !root || !strcmp(u, root))
			continue;
		snprintf(p, sizeof(p), "/resource_providers/%s/inventories", u);
		if (vfmgr_pl_call(pl, "GET", p, NULL, &inv) != 200 ||
		    !(iv = json_object_get(json_object_get(inv, "inventories"), PL_RC))) {
			json_decref(inv);
			continue;
		}
		snprintf(p, sizeof(p), "/resource_providers/%s/usages", u);
		vfmgr_pl_call(pl, "GET", p, NULL, &use);
		snprintf(p, sizeof(p), "/resource_providers/%s/traits", u);
		vfmgr_pl_call(pl, "GET", p, NULL, &tr);
		json_int_t used =
			json_integer_value(json_object_get(json_object_get(use, "usages"), PL_RC));
		h = json_object_get(hosts, root);
		if (h) {
			size_t l = nm ? strlen(nm) : 0;
			json_array_append_new(
				json_object_get(h, "pfs"),
				json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:O}", "name",
					  nm ? nm : "", "uuid", u, "pf", l > 12 ? nm + l - 12 : "",
					  "numa", numa_of_traits(json_object_get(tr, "traits")),
					  "total", json_integer_value(json_object_get(iv, "total")),
					  "reserved",
					  json_integer_value(json_object_get(iv, "reserved")),
					  "used", used, "traits",
					  json_object_get(tr, "traits") ?
						  json_object_get(tr, "traits") :
						  json_array()));
		}
		n_alloc += used;
		json_decref(inv);
		json_decref(use);
		json_decref(tr);
	}
	json_decref(rps);
	res = json_pack("{s:[], s:I}", "hosts", "allocations", n_alloc);
	{
		const char *k;
		json_t *v;
		json_object_foreach(hosts, k, v)
			json_array_append(json_object_get(res, "hosts"), v);
	}
	json_decref(hosts);
	*out = res;
	return 0;
}
