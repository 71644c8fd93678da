/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * /etc/vfmgr/vfmgr.conf parser (inih). Format: lib/vfmgr/README.md.
 *
 * inih splits "key = value" lines and strips comments; section headers are
 * parsed here, in the line reader, so that empty and repeated sections are
 * seen and every message carries the exact line number.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "vfmgr_priv.h"

#define CONF_MAX_LINE 512
#define CONF_MAX_SIZE (1u << 20)

enum sect_kind { SECT_NONE, SECT_GLOBAL, SECT_PF, SECT_VF, SECT_PLACEMENT, SECT_BAD };

/* Keys seen in the current section instance (duplicate detection). */
enum {
	K_STATE_DIR = 1u << 0,
	K_WAIT = 1u << 1,
	K_NUMA = 1u << 2,
	K_NUMVFS = 1u << 3,
	K_DRIVER = 1u << 4,
	K_MAC = 1u << 5,
	K_VLAN = 1u << 6,
	K_QOS = 1u << 7,
	K_PROTO = 1u << 8,
	K_SPOOF = 1u << 9,
	K_TRUST = 1u << 10,
	K_LINK = 1u << 11,
	K_MINRATE = 1u << 12,
	K_MAXRATE = 1u << 13,
	K_PHYSNET = 1u << 14,
};

struct pvf {
	char pfid[32];
	struct vfmgr_vf_conf c;
	uint32_t keys;
	unsigned int qos_line, proto_line, rate_line;
	bool has_qos, has_proto;
};

struct parser {
	const char *buf;
	size_t len, pos;
	unsigned int line;
	const char *name;
	struct vfmgr_conf *conf;
	struct pvf *vfs;
	unsigned int n_vfs, cap_vfs;
	unsigned int cap_pfs;
	enum sect_kind sect;
	int cur; /* index in pfs or vfs */
	uint32_t keys; /* keys seen in current section (global/pf) */
	uint32_t global_keys;
	uint32_t placement_keys; /* bit 31: section seen */
	int err; /* first error (negative errno), 0 none */
	unsigned int err_line;
	char errmsg[VFMGR_ERRMSG_LEN];
};

static void perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void perr(struct parser *p, const char *fmt, ...)
{
	char m[VFMGR_ERRMSG_LEN - 300];
	va_list ap;

	if (p->err)
		return;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	p->err = -EINVAL;
	p->err_line = p->line;
	snprintf(p->errmsg, sizeof(p->errmsg), "%s:%u: %s", p->name, p->line, m);
}

static const char *const numa_names[] = { "any", "preferred", "required" };

const char *vfmgr_numa_policy_name(enum vfmgr_numa_policy p)
{
	return (unsigned int)p < 3 ? numa_names[p] : "?";
}

int vfmgr_parse_numa_policy(const char *s, enum vfmgr_numa_policy *out)
{
	for (unsigned int i = 0; i < 3; i++)
		if (strcmp(s, numa_names[i]) == 0) {
			*out = (enum vfmgr_numa_policy)i;
			return 0;
		}
	return -EINVAL;
}

static const char *const ls_names[] = { "auto", "enable", "disable" };

const char *vfmgr_link_state_name(unsigned int ls)
{
	return ls < 3 ? ls_names[ls] : "?";
}

/* Strict unsigned int parse: decimal digits only, <= max. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1"))
		*out = true;
	else if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* Canonical PF id: BDF or MAC, lowercase. */
static int canon_pfid(const char *s, char out[32], bool *by_mac, uint8_t mac[6],
		      char bdf[VFMGR_BDF_LEN])
{
	if (vfmgr_parse_bdf(s, bdf) == 0) {
		*by_mac = false;
		strcpy(out, bdf);
		return 0;
	}
	if (vfmgr_parse_mac(s, mac) == 0) {
		*by_mac = true;
		bdf[0] = '\0';
		vfmgr_format_mac(mac, out);
		return 0;
	}
	return -EINVAL;
}

static struct vfmgr_pf_conf *find_pf(struct vfmgr_conf *c, const char *id)
{
	for (unsigned int i = 0; i < c->n_pfs; i++)
		if (strcmp(c->pfs[i].id, id) == 0)
			return &c->pfs[i];
	return NULL;
}

/* Parse "[...]" contents: global | pf "ID" | vf "ID" N */
static void section_header(struct parser *p, char *s)
{
	char *e = strrchr(s, ']');
	char idbuf[64], canon[32], bdf[VFMGR_BDF_LEN];
	uint8_t mac[6];
	bool by_mac;
	char *q1, *q2, *rest;

	p->keys = 0;
	p->sect = SECT_BAD;
	if (!e) {
		perr(p,
		     "section header without closing ']'; expected [global], [placement], [pf \"<pci-address|mac>\"] or [vf \"<pf>\" <index>]");
		return;
	}
	*e = '\0';
	s++;
	while (isspace((unsigned char)*s))
		s++;
	for (char *t = e - 1; t >= s && isspace((unsigned char)*t); t--)
		*t = '\0';
	if (strcmp(s, "global") == 0) {
		if (p->global_keys & 0x80000000u) {
			perr(p, "duplicate [global] section (first one earlier in the file)");
			return;
		}
		p->global_keys |= 0x80000000u;
		p->sect = SECT_GLOBAL;
		return;
	}
	if (strcmp(s, "placement") == 0) {
		if (p->placement_keys & 0x80000000u) {
			perr(p, "duplicate [placement] section (first one earlier in the file)");
			return;
		}
		p->placement_keys |= 0x80000000u;
		p->sect = SECT_PLACEMENT;
		return;
	}
	bool is_pf = strncmp(s, "pf", 2) == 0 && (s[2] == ' ' || s[2] == '\t' || s[2] == '"');
	bool is_vf = strncmp(s, "vf", 2) == 0 && (s[2] == ' ' || s[2] == '\t' || s[2] == '"');
	if (!is_pf && !is_vf) {
		perr(p,
		     "unknown section [%s]; expected [global], [placement], [pf \"<pci-address|mac>\"] or [vf \"<pf>\" <index>]",
		     s);
		return;
	}
	q1 = strchr(s, '"');
	q2 = q1 ? strchr(q1 + 1, '"') : NULL;
	if (!q1 || !q2 || (size_t)(q2 - q1 - 1) >= sizeof(idbuf)) {
		perr(p, "section [%s]: the PF must be quoted, e.g. [%s \"0000:01:00.0\"%s]", s,
		     is_pf ? "pf" : "vf", is_pf ? "" : " 0");
		return;
	}
	memcpy(idbuf, q1 + 1, (size_t)(q2 - q1 - 1));
	idbuf[q2 - q1 - 1] = '\0';
	for (char *t = idbuf; *t; t++)
		*t = (char)tolower((unsigned char)*t);
	if (canon_pfid(idbuf, canon, &by_mac, mac, bdf) < 0) {
		perr(p,
		     "section [%s]: '%s' is neither a PCI address (0000:01:00.0) nor a MAC address (aa:bb:cc:dd:ee:ff); "
		     "name PFs by PCI address or permanent MAC, never by interface name",
		     s, idbuf);
		return;
	}
	rest = q2 + 1;
	while (isspace((unsigned char)*rest))
		rest++;
	if (is_pf) {
		if (*rest) {
			perr(p, "section [%s]: unexpected '%s' after the PF", s, rest);
			return;
		}
		struct vfmgr_pf_conf *dup = find_pf(p->conf, canon);
		if (dup) {
			perr(p,
			     "duplicate PF %s (already defined at line %u); merge the two [pf] sections",
			     canon, dup->line);
			return;
		}
		if (p->conf->n_pfs == p->cap_pfs) {
			unsigned int nc = p->cap_pfs ? 2 * p->cap_pfs : 4;
			void *np = realloc(p->conf->pfs, nc * sizeof(*p->conf->pfs));
			if (!np) {
				p->err = -ENOMEM;
				snprintf(p->errmsg, sizeof(p->errmsg), "%s: out of memory",
					 p->name);
				return;
			}
			p->conf->pfs = np;
			p->cap_pfs = nc;
		}
		struct vfmgr_pf_conf *pf = &p->conf->pfs[p->conf->n_pfs];
		memset(pf, 0, sizeof(*pf));
		strcpy(pf->id, canon);
		pf->by_mac = by_mac;
		memcpy(pf->perm_mac, mac, 6);
		strcpy(pf->bdf, by_mac ? "" : bdf);
		strcpy(pf->driver, "vfio-pci");
		pf->numa_policy = (enum vfmgr_numa_policy) - 1; /* resolved at the end */
		pf->numvfs = UINT_MAX; /* numvfs is required */
		pf->line = p->line;
		p->cur = (int)p->conf->n_pfs++;
		p->sect = SECT_PF;
		return;
	}
	/* vf */
	unsigned long idx;
	if (!*rest || parse_uint(rest, VFMGR_MAX_NUMVFS - 1, &idx) < 0) {
		perr(p,
		     "section [%s]: VF index must be a number 0..%u after the PF, e.g. [vf \"%s\" 0]",
		     s, VFMGR_MAX_NUMVFS - 1, canon);
		return;
	}
	for (unsigned int i = 0; i < p->n_vfs; i++)
		if (p->vfs[i].c.index == idx && strcmp(p->vfs[i].pfid, canon) == 0) {
			perr(p, "duplicate VF %lu of PF %s (already defined at line %u)", idx,
			     canon, p->vfs[i].c.line);
			return;
		}
	if (p->n_vfs == p->cap_vfs) {
		unsigned int nc = p->cap_vfs ? 2 * p->cap_vfs : 8;
		void *np = realloc(p->vfs, nc * sizeof(*p->vfs));
		if (!np) {
			p->err = -ENOMEM;
			snprintf(p->errmsg, sizeof(p->errmsg), "%s: out of memory", p->name);
			return;
		}
		p->vfs = np;
		p->cap_vfs = nc;
	}
	struct pvf *v = &p->vfs[p->n_vfs];
	memset(v, 0, sizeof(*v));
	strcpy(v->pfid, canon);
	v->c.index = (unsigned int)idx;
	v->c.line = p->line;
	v->c.attrs.vlan_proto = 0x8100;
	p->cur = (int)p->n_vfs++;
	p->sect = SECT_VF;
}

/* inih reader over the buffer: one line per call; headers handled here. */
static char *reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	size_t start, end, n;
	char *s;

	if (p->pos >= p->len)
		return NULL;
	start = p->pos;
	end = start;
	while (end < p->len && p->buf[end] != '\n')
		end++;
	p->pos = end < p->len ? end + 1 : end;
	p->line++;
	n = end - start;
	if (n >= (size_t)num - 1 || n >= CONF_MAX_LINE) {
		/* num is inih's INI_MAX_LINE (200 in Debian's libinih) */
		perr(p, "line longer than %d characters; shorten it",
		     (num < CONF_MAX_LINE ? num : CONF_MAX_LINE) - 2);
		str[0] = '\0';
		return str;
	}
	memcpy(str, p->buf + start, n);
	str[n] = '\0';
	if (memchr(str, '\0', n)) {
		perr(p, "NUL byte in the file; vfmgr.conf is a text file");
		str[0] = '\0';
		return str;
	}
	if (n && str[n - 1] == '\r')
		str[--n] = '\0';
	/* No multi-line continuations: leading whitespace is just indentation. */
	s = str;
	while (*s == ' ' || *s == '\t')
		s++;
	if (s != str)
		memmove(str, s, strlen(s) + 1);
	if (p->line == 1 && (unsigned char)str[0] == 0xEF && (unsigned char)str[1] == 0xBB &&
	    (unsigned char)str[2] == 0xBF)
		memmove(str, str + 3, strlen(str + 3) + 1);
	if (str[0] == '[') {
		char tmp[CONF_MAX_LINE];
		/* strip a trailing comment after ']' */
		snprintf(tmp, sizeof(tmp), "%s", str);
		char *rb = strrchr(tmp, ']');
		if (rb) {
			char *after = rb + 1;
			while (isspace((unsigned char)*after))
				after++;
			if (*after && *after != ';' && *after != '#') {
				perr(p, "unexpected text '%s' after the section header", after);
				p->sect = SECT_BAD;
				str[0] = '\0';
				return str;
			}
			rb[1] = '\0';
		}
		section_header(p, tmp);
		str[0] = '\0'; /* inih sees an empty line */
	}
	return str;
}

static bool key_once(struct parser *p, uint32_t *seen, uint32_t bit, const char *key)
{
	if (*seen & bit) {
		perr(p, "duplicate key '%s' in this section", key);
		return false;
	}
	*seen |= bit;
	return true;
}

/*
 * Key handlers: one per section, chosen by section_handler[] from the section
 * the parser is in. Each reports through perr() (first error wins) and keeps
 * parsing; inih is told to continue so the line numbers stay right.
 */

/* [global]: state-dir, wait-timeout-ms, numa-policy */
static void global_key(struct parser *p, const char *key, const char *value)
{
	unsigned long u;

	if (!strcmp(key, "state-dir")) {
		if (!key_once(p, &p->global_keys, K_STATE_DIR, key))
			return;
		if (value[0] != '/' || strlen(value) >= sizeof(p->conf->state_dir))
			perr(p,
			     "state-dir '%s' must be an absolute path shorter than %zu characters",
			     value, sizeof(p->conf->state_dir));
		else
			strcpy(p->conf->state_dir, value);
	} else if (!strcmp(key, "wait-timeout-ms")) {
		if (!key_once(p, &p->global_keys, K_WAIT, key))
			return;
		if (parse_uint(value, 600000, &u) < 0 || u == 0)
			perr(p, "wait-timeout-ms '%s' must be a number of milliseconds 1..600000",
			     value);
		else
			p->conf->wait_ms = (unsigned int)u;
	} else if (!strcmp(key, "numa-policy")) {
		if (!key_once(p, &p->global_keys, K_NUMA, key))
			return;
		if (vfmgr_parse_numa_policy(value, &p->conf->numa_policy) < 0)
			perr(p, "numa-policy '%s' must be required, preferred or any", value);
	} else {
		perr(p,
		     "unknown key '%s' in [global] (known: state-dir, wait-timeout-ms, numa-policy)",
		     key);
	}
}

/* [pf "<id>"]: numvfs, driver, numa-policy */
static void pf_key(struct parser *p, const char *key, const char *value)
{
	struct vfmgr_pf_conf *pf = &p->conf->pfs[p->cur];
	unsigned long u;

	if (!strcmp(key, "numvfs")) {
		if (!key_once(p, &p->keys, K_NUMVFS, key))
			return;
		if (parse_uint(value, VFMGR_MAX_NUMVFS, &u) < 0)
			perr(p,
			     "numvfs '%s' is not a VF count 0..%u (the PF's sriov_totalvfs is checked when applying)",
			     value, VFMGR_MAX_NUMVFS);
		else
			pf->numvfs = (unsigned int)u;
	} else if (!strcmp(key, "driver")) {
		if (!key_once(p, &p->keys, K_DRIVER, key))
			return;
		if (strcmp(value, "vfio-pci") && strcmp(value, "none"))
			perr(p,
			     "driver '%s' not supported: use vfio-pci (VFs for guests) or none (leave VFs to the host)",
			     value);
		else
			strcpy(pf->driver, value);
	} else if (!strcmp(key, "numa-policy")) {
		if (!key_once(p, &p->keys, K_NUMA, key))
			return;
		if (vfmgr_parse_numa_policy(value, &pf->numa_policy) < 0)
			perr(p, "numa-policy '%s' must be required, preferred or any", value);
	} else if (!strcmp(key, "physnet")) {
		if (!key_once(p, &p->keys, K_PHYSNET, key))
			return;
		if (!value[0] || strlen(value) >= sizeof(pf->physnet))
			perr(p, "physnet '%s' must be a name of 1..%zu characters", value,
			     sizeof(pf->physnet) - 1);
		else
			strcpy(pf->physnet, value);
	} else {
		perr(p,
		     "unknown key '%s' in [pf \"%s\"] (known: numvfs, driver, numa-policy, physnet)",
		     key, pf->id);
	}
}

/* [vf] mac: unicast, not all-zero, unique across the file */
static void vf_mac(struct parser *p, struct pvf *v, const char *value)
{
	struct vfmgr_vf_attrs *a = &v->c.attrs;
	uint8_t m[6];
	char mb[18];

	if (vfmgr_parse_mac(value, m) < 0) {
		perr(p, "malformed MAC '%s': expected six hex pairs like 52:54:00:12:34:56", value);
		return;
	}
	if (m[0] & 1) {
		perr(p,
		     "MAC %s is a multicast address; a VF needs a unicast MAC (first octet even)",
		     value);
		return;
	}
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5])) {
		perr(p,
		     "MAC 00:00:00:00:00:00 is not a usable VF address; omit 'mac' to leave it unset");
		return;
	}
	for (unsigned int i = 0; i < p->n_vfs; i++) {
		if ((int)i != p->cur && (p->vfs[i].c.attrs.set & VFMGR_ATTR_MAC) &&
		    !memcmp(p->vfs[i].c.attrs.mac, m, 6)) {
			perr(p,
			     "MAC %s already used by [vf \"%s\" %u] at line %u; VF MACs must be unique",
			     vfmgr_format_mac(m, mb), p->vfs[i].pfid, p->vfs[i].c.index,
			     p->vfs[i].c.line);
			return;
		}
	}
	memcpy(a->mac, m, 6);
	a->set |= VFMGR_ATTR_MAC;
}

/* [vf "<pf>" N]: mac, vlan, qos, vlan-proto, spoofchk, trust, link-state, min-rate, max-rate */
static void vf_key(struct parser *p, const char *key, const char *value)
{
	struct pvf *v = &p->vfs[p->cur];
	struct vfmgr_vf_attrs *a = &v->c.attrs;
	unsigned long u;
	bool b;

	if (!strcmp(key, "mac")) {
		if (key_once(p, &v->keys, K_MAC, key))
			vf_mac(p, v, value);
	} else if (!strcmp(key, "vlan")) {
		if (!key_once(p, &v->keys, K_VLAN, key))
			return;
		if (parse_uint(value, 4094, &u) < 0) {
			perr(p, "VLAN '%s' must be a VLAN id 0..4094 (0 = untagged)", value);
			return;
		}
		a->vlan = (uint16_t)u;
		a->set |= VFMGR_ATTR_VLAN;
	} else if (!strcmp(key, "qos")) {
		if (!key_once(p, &v->keys, K_QOS, key))
			return;
		if (parse_uint(value, 7, &u) < 0) {
			perr(p, "qos '%s' must be an 802.1p priority 0..7", value);
			return;
		}
		a->qos = (uint8_t)u;
		v->has_qos = true;
		v->qos_line = p->line;
	} else if (!strcmp(key, "vlan-proto")) {
		if (!key_once(p, &v->keys, K_PROTO, key))
			return;
		if (!strcasecmp(value, "802.1Q")) {
			a->vlan_proto = 0x8100;
		} else if (!strcasecmp(value, "802.1ad")) {
			a->vlan_proto = 0x88a8;
		} else {
			perr(p, "vlan-proto '%s' must be 802.1Q or 802.1ad", value);
			return;
		}
		v->has_proto = true;
		v->proto_line = p->line;
	} else if (!strcmp(key, "spoofchk") || !strcmp(key, "trust")) {
		bool sp = key[0] == 's';

		if (!key_once(p, &v->keys, sp ? K_SPOOF : K_TRUST, key))
			return;
		if (parse_bool(value, &b) < 0) {
			perr(p, "%s '%s' must be on or off", key, value);
			return;
		}
		if (sp) {
			a->spoofchk = b;
			a->set |= VFMGR_ATTR_SPOOFCHK;
		} else {
			a->trust = b;
			a->set |= VFMGR_ATTR_TRUST;
		}
	} else if (!strcmp(key, "link-state")) {
		unsigned int i;

		if (!key_once(p, &v->keys, K_LINK, key))
			return;
		for (i = 0; i < 3 && strcmp(value, ls_names[i]); i++)
			;
		if (i == 3) {
			perr(p, "link-state '%s' must be auto, enable or disable", value);
			return;
		}
		a->link_state = (uint8_t)i;
		a->set |= VFMGR_ATTR_LINK_STATE;
	} else if (!strcmp(key, "min-rate") || !strcmp(key, "max-rate")) {
		bool mn = key[1] == 'i';

		if (!key_once(p, &v->keys, mn ? K_MINRATE : K_MAXRATE, key))
			return;
		if (parse_uint(value, UINT32_MAX, &u) < 0) {
			perr(p, "%s '%s' must be a rate in Mbit/s (0 = no limit)", key, value);
			return;
		}
		if (mn)
			a->min_rate = (uint32_t)u;
		else
			a->max_rate = (uint32_t)u;
		a->set |= VFMGR_ATTR_RATE;
		v->rate_line = p->line;
	} else {
		perr(p,
		     "unknown key '%s' in [vf \"%s\" %u] (known: mac, vlan, qos, vlan-proto, spoofchk, trust, "
		     "link-state, min-rate, max-rate)",
		     key, v->pfid, v->c.index);
	}
}

/* [placement]: the keys are Placement's business (placement.c). */
/* [placement] defaults and keys: what vfmgr_pl_open() and vfmgrd's publisher read (placement*.c). */
void vfmgr_pl_conf_defaults(struct vfmgr_pl_conf *pc)
{
	memset(pc, 0, sizeof(*pc));
	snprintf(pc->token, sizeof(pc->token), "admin");
	pc->interval_s = 60;
	pc->timeout_ms = 5000;
	pc->claim_grace_s = 60;
	snprintf(pc->fleet_socket, sizeof(pc->fleet_socket), "/run/vfmgr/%%h.sock");
	snprintf(pc->project, sizeof(pc->project), "vfmgr");
}

static int pl_uint(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*v || *v == '-' || *v == '+')
		return -EINVAL;
	errno = 0;
	*out = strtoul(v, &end, 10);
	return (*end || errno || *out > max) ? -EINVAL : 0;
}

static int pl_conf_key(struct vfmgr_pl_conf *pc, const char *key, const char *value, uint32_t *seen,
		       char *err, size_t len)
{
	static const char *const keys[] = {
		"url",	      "host",	     "token",	     "interval",
		"timeout-ms", "claim-grace", "fleet-socket", "project"
	};
	unsigned long u;
	unsigned k;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (!strcmp(key, keys[k]))
			break;
	if (k == sizeof(keys) / sizeof(keys[0])) {
		snprintf(err, len,
			 "unknown key '%s' in [placement] (known: url, host, token, interval, "
			 "timeout-ms, claim-grace, fleet-socket, project)",
			 key);
		return -EINVAL;
	}
	if (*seen & (1u << k)) {
		snprintf(err, len, "duplicate key '%s' in this section", key);
		return -EINVAL;
	}
	*seen |= 1u << k;
	switch (k) {
	case 0:
		if ((strncmp(value, "http://", 7) && strncmp(value, "https://", 8)) ||
		    strlen(value) >= sizeof(pc->url) || strpbrk(value, " \t\"'")) {
			snprintf(
				err, len,
				"url '%s' must be the Placement endpoint, http://HOST:PORT or https://... "
				"(at most %zu characters)",
				value, sizeof(pc->url) - 1);
			return -EINVAL;
		}
		strcpy(pc->url, value);
		return 0;
	case 1:
		if (!value[0] || strlen(value) >= sizeof(pc->host) || strchr(value, '/') ||
		    strstr(value, "..")) {
			snprintf(
				err, len,
				"host '%s' must be the host's provider name, 1..%zu characters without "
				"'/' or '..'",
				value, sizeof(pc->host) - 1);
			return -EINVAL;
		}
		strcpy(pc->host, value);
		return 0;
	case 2:
		if (!value[0] || strlen(value) >= sizeof(pc->token)) {
			snprintf(err, len, "token must be 1..%zu characters (noauth2: admin)",
				 sizeof(pc->token) - 1);
			return -EINVAL;
		}
		strcpy(pc->token, value);
		return 0;
	case 3:
		if (pl_uint(value, 86400, &u) < 0 || u == 0) {
			snprintf(err, len, "interval '%s' must be a number of seconds 1..86400",
				 value);
			return -EINVAL;
		}
		pc->interval_s = (unsigned)u;
		return 0;
	case 4:
		if (pl_uint(value, 600000, &u) < 0 || u < 100) {
			snprintf(err, len,
				 "timeout-ms '%s' must be a number of milliseconds 100..600000",
				 value);
			return -EINVAL;
		}
		pc->timeout_ms = (unsigned)u;
		return 0;
	case 5:
		if (pl_uint(value, 86400, &u) < 0) {
			snprintf(err, len, "claim-grace '%s' must be a number of seconds 0..86400",
				 value);
			return -EINVAL;
		}
		pc->claim_grace_s = (unsigned)u;
		return 0;
	case 6:
		if (value[0] != '/' || strlen(value) >= sizeof(pc->fleet_socket)) {
			snprintf(
				err, len,
				"fleet-socket '%s' must be an absolute path template (%%h = host), at most "
				"%zu characters",
				value, sizeof(pc->fleet_socket) - 1);
			return -EINVAL;
		}
		strcpy(pc->fleet_socket, value);
		return 0;
	default:
		if (!value[0] || strlen(value) >= sizeof(pc->project)) {
			snprintf(err, len, "project must be 1..%zu characters",
				 sizeof(pc->project) - 1);
			return -EINVAL;
		}
		strcpy(pc->project, value);
		return 0;
	}
}

static void placement_key(struct parser *p, const char *key, const char *value)
{
	char e[400];

	if (pl_conf_key(&p->conf->placement, key, value, &p->placement_keys, e, sizeof(e)) < 0)
		perr(p, "%s", e);
}

static void (*const section_handler[])(struct parser *p, const char *key, const char *value) = {
	[SECT_GLOBAL] = global_key,
	[SECT_PLACEMENT] = placement_key,
	[SECT_PF] = pf_key,
	[SECT_VF] = vf_key,
};

/* inih's per-key callback: route to the current section's handler. Always 1 (keep going). */
static int handler(void *user, const char *section, const char *key, const char *value)
{
	struct parser *p = user;

	(void)section;
	if (p->err || p->sect == SECT_BAD) /* first error wins; a bad header was reported */
		return 1;
	if (p->sect == SECT_NONE) {
		perr(p,
		     "key '%s' outside a section; put it under [global], [pf \"...\"] or [vf \"...\" N]",
		     key);
		return 1;
	}
	section_handler[p->sect](p, key, value);
	return 1;
}

static int cmp_vf(const void *a, const void *b)
{
	const struct vfmgr_vf_conf *x = a, *y = b;

	return (x->index > y->index) - (x->index < y->index);
}

/* Whole-file checks after parsing; set p->line to report where. */
static void finish(struct parser *p)
{
	struct vfmgr_conf *c = p->conf;

	for (unsigned int i = 0; i < c->n_pfs && !p->err; i++) {
		struct vfmgr_pf_conf *pf = &c->pfs[i];
		if ((int)pf->numa_policy == -1)
			pf->numa_policy = c->numa_policy;
		if (pf->numvfs == UINT_MAX) {
			p->line = pf->line;
			perr(p,
			     "[pf \"%s\"] has no numvfs; say how many VFs the PF should have (0 for none)",
			     pf->id);
		}
	}
	for (unsigned int i = 0; i < p->n_vfs && !p->err; i++) {
		struct pvf *v = &p->vfs[i];
		struct vfmgr_pf_conf *pf = find_pf(c, v->pfid);
		p->line = v->c.line;
		if (!pf) {
			perr(p,
			     "[vf \"%s\" %u] names a PF with no [pf \"%s\"] section; add it with numvfs",
			     v->pfid, v->c.index, v->pfid);
			break;
		}
		if (v->c.index >= pf->numvfs) {
			perr(p,
			     "VF index %u is impossible: [pf \"%s\"] at line %u has numvfs = %u (indexes 0..%d)",
			     v->c.index, pf->id, pf->line, pf->numvfs, (int)pf->numvfs - 1);
			break;
		}
		if ((v->has_qos && v->c.attrs.qos) || v->has_proto) {
			if (!(v->c.attrs.set & VFMGR_ATTR_VLAN) || v->c.attrs.vlan == 0) {
				p->line = v->has_qos ? v->qos_line : v->proto_line;
				perr(p, "%s needs a VLAN: set vlan = 1..4094 in [vf \"%s\" %u]",
				     v->has_qos ? "qos" : "vlan-proto", v->pfid, v->c.index);
				break;
			}
		}
		if ((v->c.attrs.set & VFMGR_ATTR_RATE) && v->c.attrs.max_rate &&
		    v->c.attrs.min_rate > v->c.attrs.max_rate) {
			p->line = v->rate_line;
			perr(p, "min-rate %u Mbit/s is above max-rate %u Mbit/s",
			     v->c.attrs.min_rate, v->c.attrs.max_rate);
			break;
		}
	}
	for (unsigned int i = 0; i < p->n_vfs && !p->err; i++) {
		struct pvf *v = &p->vfs[i];
		struct vfmgr_pf_conf *pf = find_pf(c, v->pfid);
		struct vfmgr_vf_conf *nv = realloc(pf->vfs, (pf->n_vfs + 1) * sizeof(*nv));
		if (!nv) {
			p->err = -ENOMEM;
			snprintf(p->errmsg, sizeof(p->errmsg), "%s: out of memory", p->name);
			return;
		}
		pf->vfs = nv;
		pf->vfs[pf->n_vfs++] = v->c;
	}
	for (unsigned int i = 0; i < c->n_pfs && !p->err; i++)
		if (c->pfs[i].n_vfs > 1)
			qsort(c->pfs[i].vfs, c->pfs[i].n_vfs, sizeof(*c->pfs[i].vfs), cmp_vf);
}

int vfmgr_conf_parse(const char *buf, size_t len, const char *name, struct vfmgr_conf **out)
{
	struct parser p = { 0 };
	int r;

	*out = NULL;
	p.buf = buf;
	p.len = len;
	p.name = name ? name : "vfmgr.conf";
	p.conf = calloc(1, sizeof(*p.conf));
	if (p.conf)
		vfmgr_pl_conf_defaults(&p.conf->placement);
	if (!p.conf)
		return vfmgr_set_error(ENOMEM, "%s: out of memory", p.name);
	snprintf(p.conf->path, sizeof(p.conf->path), "%s", p.name);
	p.conf->numa_policy = VFMGR_NUMA_PREFERRED;
	if (len > CONF_MAX_SIZE) {
		vfmgr_conf_free(p.conf);
		return vfmgr_set_error(EFBIG, "%s: larger than %u bytes; this is not a vfmgr.conf",
				       p.name, CONF_MAX_SIZE);
	}
	r = ini_parse_stream(reader, &p, handler, &p);
	if (r > 0 && !p.err) {
		p.line = (unsigned int)r;
		perr(&p,
		     "syntax error: expected 'key = value', a [section] header, or a comment (; or #)");
	} else if (r < 0 && !p.err) {
		p.err = -ENOMEM;
		snprintf(p.errmsg, sizeof(p.errmsg), "%s: out of memory", p.name);
	}
	if (!p.err)
		finish(&p);
	free(p.vfs);
	if (p.err) {
		vfmgr_conf_free(p.conf);
		return vfmgr_set_error(-p.err, "%s", p.errmsg);
	}
	*out = p.conf;
	return 0;
}

int vfmgr_conf_load(const char *path, struct vfmgr_conf **out)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t off = 0;
	int fd, r;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = errno;
		return vfmgr_set_error(r, "cannot open configuration %s: %s%s", path, strerror(r),
				       r == ENOENT ? " (create it; see vfmgr.conf(5))" : "");
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CONF_MAX_SIZE) {
		close(fd);
		return vfmgr_set_error(EINVAL,
				       "configuration %s is not a regular file of at most %u bytes",
				       path, CONF_MAX_SIZE);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return vfmgr_set_error(ENOMEM, "out of memory reading %s", path);
	}
	while (off < (size_t)st.st_size && (n = read(fd, buf + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)n;
	close(fd);
	r = vfmgr_conf_parse(buf, off, path, out);
	free(buf);
	return r;
}

void vfmgr_conf_free(struct vfmgr_conf *conf)
{
	if (!conf)
		return;
	for (unsigned int i = 0; i < conf->n_pfs; i++)
		free(conf->pfs[i].vfs);
	free(conf->pfs);
	free(conf);
}

const struct vfmgr_vf_conf *vfmgr_conf_find_vf(const struct vfmgr_pf_conf *pf, unsigned int index)
{
	for (unsigned int i = 0; i < pf->n_vfs; i++)
		if (pf->vfs[i].index == index)
			return &pf->vfs[i];
	return NULL;
}
