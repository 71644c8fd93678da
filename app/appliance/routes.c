/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file routes.c
 * Route file parser (pure) and rte_lpm construction.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lpm.h>

#include "routes.h"

#define MAX_LINE 256
#define MAX_TOKENS 8

void vfapp_routes_init(struct vfapp_route_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

int vfapp_routes_add(struct vfapp_route_cfg *cfg, uint32_t prefix, uint8_t depth, uint8_t port,
		     const struct rte_ether_addr *nh_mac)
{
	struct vfapp_route *r;

	if (cfg->nb_routes >= VFAPP_MAX_ROUTES)
		return -ENOSPC;
	if (depth > 32 || port >= VFAPP_NB_PORTS)
		return -EINVAL;
	r = &cfg->routes[cfg->nb_routes++];
	r->prefix = depth == 0 ? 0 : prefix & (uint32_t)(0xffffffffu << (32 - depth));
	r->depth = depth;
	r->port = port;
	r->nh_kind = VFAPP_NH_MAC;
	r->nh_mac = *nh_mac;
	r->nh_ip = 0;
	r->line = 0;
	return 0;
}

int vfapp_routes_add_via(struct vfapp_route_cfg *cfg, uint32_t prefix, uint8_t depth, uint8_t port,
			 uint32_t nh_ip)
{
	static const struct rte_ether_addr zero;
	int ret = vfapp_routes_add(cfg, prefix, depth, port, &zero);

	if (ret != 0)
		return ret;
	cfg->routes[cfg->nb_routes - 1].nh_kind = nh_ip ? VFAPP_NH_VIA : VFAPP_NH_CONNECTED;
	cfg->routes[cfg->nb_routes - 1].nh_ip = nh_ip;
	return 0;
}

static int fail(char *err, size_t errlen, const char *name, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err != NULL && errlen > 0) {
		n = snprintf(err, errlen, "%s:%u: ", name, line);
		if (n >= 0 && (size_t)n < errlen) {
			va_start(ap, fmt);
			vsnprintf(err + n, errlen - n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

/* Strict MAC parse: exactly six 2-digit hex groups separated by ':'. */
static int parse_mac(const char *s, struct rte_ether_addr *mac)
{
	unsigned int i;

	if (strlen(s) != 17)
		return -1;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':')
				return -1;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
			     (s[i] >= 'A' && s[i] <= 'F'))) {
			return -1;
		}
	}
	return rte_ether_unformat_addr(s, mac) == 0 ? 0 : -1;
}

static int parse_port(const char *s, uint8_t *port)
{
	if (strcmp(s, "0") == 0)
		*port = 0;
	else if (strcmp(s, "1") == 0)
		*port = 1;
	else
		return -1;
	return 0;
}

/* "a.b.c.d" -> host order. */
static int parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*ip = ntohl(a.s_addr);
	return 0;
}

/* "a.b.c.d/len" -> prefix (host order), depth. */
static int parse_prefix(const char *s, uint32_t *prefix, uint8_t *depth, int *host_bits)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	struct in_addr a;
	char *end;
	long d;
	size_t n;

	if (slash == NULL)
		return -1;
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	if (slash[1] < '0' || slash[1] > '9')
		return -1;
	errno = 0;
	d = strtol(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || d < 0 || d > 32)
		return -1;
	*prefix = ntohl(a.s_addr);
	*depth = (uint8_t)d;
	*host_bits =
		d < 32 && (*prefix & ~(d == 0 ? 0u : (uint32_t)(0xffffffffu << (32 - d)))) != 0;
	return 0;
}

static int parse_line(struct vfapp_route_cfg *cfg, const char *name, unsigned int lineno,
		      char *line, char *err, size_t errlen)
{
	char *tok[MAX_TOKENS];
	char *save = NULL, *t, *hash;
	unsigned int nt = 0;

	hash = strchr(line, '#');
	if (hash != NULL)
		*hash = '\0';
	for (t = strtok_r(line, " \t\r\v\f", &save); t != NULL;
	     t = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (nt == MAX_TOKENS)
			return fail(
				err, errlen, name, lineno,
				"too many words (expected 'port N mac MAC' or 'route A.B.C.D/LEN port N nexthop-mac MAC')");
		tok[nt++] = t;
	}
	if (nt == 0)
		return 0;
	if (strcmp(tok[0], "port") == 0) {
		uint8_t port;
		struct rte_ether_addr mac;

		if (nt != 4 || (strcmp(tok[2], "mac") != 0 && strcmp(tok[2], "ip") != 0 &&
				strcmp(tok[2], "mtu") != 0))
			return fail(err, errlen, name, lineno,
				    "expected 'port <0|1> mac <xx:xx:xx:xx:xx:xx>', "
				    "'port <0|1> ip <a.b.c.d>/<len>' or 'port <0|1> mtu <%u-%u>'",
				    VFAPP_MTU_MIN, VFAPP_MTU_MAX);
		if (parse_port(tok[1], &port) != 0)
			return fail(err, errlen, name, lineno,
				    "bad port '%s': the appliance has ports 0 and 1", tok[1]);
		if (strcmp(tok[2], "ip") == 0) {
			uint32_t ip;
			uint8_t plen;
			int host_bits;

			if (parse_prefix(tok[3], &ip, &plen, &host_bits) != 0 || plen == 0 ||
			    plen > 30)
				return fail(err, errlen, name, lineno,
					    "bad port address '%s': write the port's "
					    "address and its subnet length 1-30, like 10.0.1.1/24",
					    tok[3]);
			if (!host_bits)
				return fail(
					err, errlen, name, lineno,
					"port address '%s' is the subnet's network "
					"address: give the port's own address, like 10.0.1.1/24",
					tok[3]);
			cfg->port_ip_set[port] = true;
			cfg->port_ip[port] = ip;
			cfg->port_plen[port] = plen;
			return 0;
		}
		if (strcmp(tok[2], "mtu") == 0) {
			char *end;
			long v;

			errno = 0;
			v = strtol(tok[3], &end, 10);
			if (errno != 0 || *end != '\0' || v < VFAPP_MTU_MIN || v > VFAPP_MTU_MAX)
				return fail(err, errlen, name, lineno,
					    "bad MTU '%s': an IP MTU in %u..%u bytes", tok[3],
					    VFAPP_MTU_MIN, VFAPP_MTU_MAX);
			cfg->port_mtu[port] = (uint16_t)v;
			return 0;
		}
		if (parse_mac(tok[3], &mac) != 0)
			return fail(err, errlen, name, lineno,
				    "bad MAC '%s': write six hex bytes like 02:00:00:00:01:01",
				    tok[3]);
		cfg->port_mac_set[port] = true;
		cfg->port_mac[port] = mac;
		return 0;
	}
	if (strcmp(tok[0], "route") == 0) {
		struct vfapp_route *r;
		uint32_t prefix;
		uint8_t depth, port;
		int host_bits;
		struct rte_ether_addr mac;
		unsigned int i;

		uint32_t nh_ip = 0;
		uint8_t kind;

		if (nt == 6 && strcmp(tok[2], "port") == 0 && strcmp(tok[4], "nexthop-mac") == 0)
			kind = VFAPP_NH_MAC;
		else if (nt == 6 && strcmp(tok[2], "port") == 0 && strcmp(tok[4], "via") == 0)
			kind = VFAPP_NH_VIA;
		else if (nt == 5 && strcmp(tok[2], "port") == 0 && strcmp(tok[4], "connected") == 0)
			kind = VFAPP_NH_CONNECTED;
		else
			return fail(
				err, errlen, name, lineno,
				"expected 'route <a.b.c.d>/<len> port <0|1> nexthop-mac <xx:xx:xx:xx:xx:xx>' "
				"(or 'via <a.b.c.d>', or 'connected')");
		if (parse_prefix(tok[1], &prefix, &depth, &host_bits) != 0)
			return fail(
				err, errlen, name, lineno,
				"bad prefix '%s': write an IPv4 address and a length 0-32, like 10.0.2.0/24",
				tok[1]);
		if (host_bits)
			return fail(err, errlen, name, lineno,
				    "prefix '%s' has host bits set beyond /%u: clear them", tok[1],
				    depth);
		if (parse_port(tok[3], &port) != 0)
			return fail(err, errlen, name, lineno,
				    "bad port '%s': the appliance has ports 0 and 1", tok[3]);
		memset(&mac, 0, sizeof(mac));
		if (kind == VFAPP_NH_MAC && parse_mac(tok[5], &mac) != 0)
			return fail(err, errlen, name, lineno,
				    "bad MAC '%s': write six hex bytes like 02:00:00:00:02:02",
				    tok[5]);
		if (kind == VFAPP_NH_VIA && (parse_ip(tok[5], &nh_ip) != 0 || nh_ip == 0))
			return fail(err, errlen, name, lineno,
				    "bad next hop '%s': write an IPv4 address like 10.0.2.3",
				    tok[5]);
		for (i = 0; i < cfg->nb_routes; i++)
			if (cfg->routes[i].prefix == prefix && cfg->routes[i].depth == depth)
				return fail(err, errlen, name, lineno,
					    "duplicate route %s (first at line %u): remove one",
					    tok[1], cfg->routes[i].line);
		if (cfg->nb_routes >= VFAPP_MAX_ROUTES)
			return fail(err, errlen, name, lineno, "too many routes (limit %u)",
				    VFAPP_MAX_ROUTES);
		r = &cfg->routes[cfg->nb_routes++];
		r->prefix = prefix;
		r->depth = depth;
		r->port = port;
		r->nh_kind = kind;
		r->nh_mac = mac;
		r->nh_ip = nh_ip;
		r->line = lineno;
		return 0;
	}
	return fail(err, errlen, name, lineno, "unknown statement '%s': expected 'port' or 'route'",
		    tok[0]);
}

int vfapp_routes_parse_buf(struct vfapp_route_cfg *cfg, const char *name, const char *buf,
			   size_t len, char *err, size_t errlen)
{
	char line[MAX_LINE];
	unsigned int lineno = 0;
	size_t pos = 0;
	int ret;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	while (pos < len) {
		size_t start = pos, n;

		while (pos < len && buf[pos] != '\n')
			pos++;
		n = pos - start;
		lineno++;
		if (pos < len)
			pos++; /* skip '\n' */
		if (n >= sizeof(line))
			return fail(err, errlen, name, lineno, "line longer than %d characters",
				    MAX_LINE - 1);
		if (memchr(buf + start, '\0', n) != NULL)
			return fail(err, errlen, name, lineno,
				    "NUL byte in line: is this a text file?");
		memcpy(line, buf + start, n);
		line[n] = '\0';
		ret = parse_line(cfg, name, lineno, line, err, errlen);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int vfapp_routes_parse_file(struct vfapp_route_cfg *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long sz;
	size_t got;
	int ret;

	if (f == NULL) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s (check the --routes path)", path,
			 strerror(errno));
		return ret;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "%s: cannot determine size: %s", path, strerror(errno));
		fclose(f);
		return -EIO;
	}
	if (sz > 1 << 20) {
		snprintf(err, errlen, "%s: larger than 1 MiB: is this the routes file?", path);
		fclose(f);
		return -EFBIG;
	}
	buf = malloc((size_t)sz + 1);
	if (buf == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	got = fread(buf, 1, (size_t)sz, f);
	fclose(f);
	ret = vfapp_routes_parse_buf(cfg, path, buf, got, err, errlen);
	free(buf);
	return ret;
}

struct rte_lpm *vfapp_routes_build_lpm(const struct vfapp_route_cfg *cfg, const char *name,
				       int socket_id, char *err, size_t errlen)
{
	struct rte_lpm_config lc = {
		.max_rules = VFAPP_MAX_ROUTES,
		.number_tbl8s = 256,
		.flags = 0,
	};
	struct rte_lpm *lpm;
	unsigned int i;
	int ret;

	lpm = rte_lpm_create(name, socket_id, &lc);
	if (lpm == NULL) {
		snprintf(err, errlen, "rte_lpm_create(%s): %s", name, rte_strerror(rte_errno));
		return NULL;
	}
	for (i = 0; i < cfg->nb_routes; i++) {
		const struct vfapp_route *r = &cfg->routes[i];

		/* rte_lpm takes depths 1..32: a default route is its two /1 halves */
		if (r->depth == 0)
			ret = rte_lpm_add(lpm, 0, 1, i) < 0 ? -EINVAL :
							      rte_lpm_add(lpm, 0x80000000u, 1, i);
		else
			ret = rte_lpm_add(lpm, r->prefix, r->depth, i);
		if (ret < 0) {
			snprintf(err, errlen, "rte_lpm_add(route %u, line %u): %s", i, r->line,
				 strerror(-ret));
			rte_lpm_free(lpm);
			return NULL;
		}
	}
	return lpm;
}
