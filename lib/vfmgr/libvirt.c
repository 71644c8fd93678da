/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvirt.c: the libvirt side of assign/release (vfmgr-front).
 *
 * - placement: a domain's NUMA nodes from <numatune><memory nodeset>, and from its pinned
 *   host CPUs (<cputune><vcpupin cpuset>, else <vcpu cpuset>) mapped to nodes through the
 *   capabilities' <topology><cells>. libvirt 9.0's test driver reports no cells for a
 *   custom node file (testOpenFromFile sets numCells = 0), so then the host's
 *   <root>/sys/devices/system/node/nodeN/cpulist is used.
 * - device XML: <interface type='hostdev' managed='no'> with <mac> and <vlan><tag id/>
 *   (libvirt keeps the guest MAC stable, formatdomain "Network interfaces: PCI
 *   Passthrough"), or <hostdev mode='subsystem' type='pci' managed='no'> with
 *   <driver name='vfio'/>. managed='no': vfmgr binds vfio-pci itself, journaled, and
 *   libvirt must not rebind the VF to the host driver behind our back.
 * - attach/detach: virDomainAttachDeviceFlags/virDomainDetachDeviceFlags with
 *   VIR_DOMAIN_AFFECT_LIVE|VIR_DOMAIN_AFFECT_CONFIG (running, persistent),
 *   VIR_DOMAIN_AFFECT_LIVE (running, transient), VIR_DOMAIN_AFFECT_CONFIG (inactive).
 *   A driver without the call (libvirt 9.0 test driver: VIR_ERR_NO_SUPPORT) is reported
 *   as -ENOTSUP for a running domain; an inactive domain's persistent XML is then edited
 *   (virDomainGetXMLDesc(VIR_DOMAIN_XML_INACTIVE|VIR_DOMAIN_XML_SECURE)) and redefined
 *   with virDomainDefineXML. Success is reported only when libvirt confirms it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "vfmgr_priv.h"

struct vfmgr_virt {
	virConnectPtr conn;
	char uri[256];
	int refs; /* vfmgr_virt_ref() / vfmgr_virt_close(), atomic */
};

/* Messages go to vfmgr_errmsg(); the errno given here is not what callers return. */
#define verr(...) ((void)vfmgr_set_error(EIO, __VA_ARGS__))

/* libvirt prints every error on stderr by default; we report them ourselves. */
static void quiet_errors(void *opaque, virErrorPtr e)
{
}

static const char *lv_msg(void)
{
	const char *m = virGetLastErrorMessage();

	return m ? m : "unknown libvirt error";
}

/* Map the last libvirt error to a negative errno. */
static int lv_errno(void)
{
	switch (virGetLastErrorCode()) {
	case VIR_ERR_NO_DOMAIN:
		return -ENOENT;
	case VIR_ERR_NO_SUPPORT:
		return -ENOTSUP;
	case VIR_ERR_OPERATION_INVALID:
		return -EINVAL;
	case VIR_ERR_NO_CONNECT:
	case VIR_ERR_SYSTEM_ERROR:
		return -ECONNREFUSED;
	case VIR_ERR_OPERATION_DENIED:
	case VIR_ERR_AUTH_FAILED:
		return -EACCES;
	default:
		return -EIO;
	}
}

/*
 * Look up a domain by name. Only VIR_ERR_NO_DOMAIN is "not found" (-ENOENT); a dead
 * connection (-ECONNREFUSED) or any other failure (-EIO) is not, so that no caller (release
 * above all) takes an unanswered lookup for a domain that is gone.
 */
static int lookup_domain(struct vfmgr_virt *v, const char *domain, virDomainPtr *dom)
{
	int rc;

	*dom = virDomainLookupByName(v->conn, domain);
	if (*dom)
		return 0;
	rc = lv_errno();
	if (rc == -ENOENT) {
		verr("libvirt domain '%s' not found at %s: %s (list them with virsh -c %s list --all)",
		     domain, v->uri, lv_msg(), v->uri);
		return -ENOENT;
	}
	verr("cannot look up libvirt domain '%s' at %s: %s", domain, v->uri, lv_msg());
	return rc == -ECONNREFUSED ? -ECONNREFUSED : -EIO;
}

int vfmgr_virt_open(const char *uri, struct vfmgr_virt **out)
{
	struct vfmgr_virt *v;

	*out = NULL;
	vfmgr_clear_error();
	if (!uri || !*uri)
		uri = "qemu:///system";
	virSetErrorFunc(NULL, quiet_errors);
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	snprintf(v->uri, sizeof(v->uri), "%s", uri);
	v->refs = 1;
	v->conn = virConnectOpen(uri);
	if (!v->conn) {
		verr("cannot connect to libvirt at '%s': %s (is libvirtd/virtqemud running? "
		     "choose another URI with --connect)",
		     uri, lv_msg());
		free(v);
		return -ECONNREFUSED;
	}
	*out = v;
	return 0;
}

struct vfmgr_virt *vfmgr_virt_ref(struct vfmgr_virt *v)
{
	if (v)
		__atomic_add_fetch(&v->refs, 1, __ATOMIC_SEQ_CST);
	return v;
}

bool vfmgr_virt_alive(const struct vfmgr_virt *v)
{
	return v && v->conn && virConnectIsAlive(v->conn) == 1;
}

void vfmgr_virt_close(struct vfmgr_virt *v)
{
	if (!v || __atomic_sub_fetch(&v->refs, 1, __ATOMIC_SEQ_CST) > 0)
		return;
	if (v->conn)
		virConnectClose(v->conn);
	free(v);
}

/* ---------------------------------------------------------------- bitmaps */

static void bit_set(uint8_t *map, size_t nbits, long bit)
{
	if (bit >= 0 && (size_t)bit < nbits)
		map[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

static void bit_clear(uint8_t *map, size_t nbits, long bit)
{
	if (bit >= 0 && (size_t)bit < nbits)
		map[bit / 8] &= (uint8_t) ~(1u << (bit % 8));
}

static bool bit_test(const uint8_t *map, size_t nbits, long bit)
{
	return bit >= 0 && (size_t)bit < nbits && (map[bit / 8] >> (bit % 8)) & 1;
}

/*
 * Parse a libvirt cpuset / nodeset ("0-3,^2,8") or a kernel cpulist ("0-3,8") into
 * @map (OR-ed in, exclusions cleared). Returns 0 or -EINVAL.
 */
static int parse_set(const char *s, uint8_t *map, size_t nbits)
{
	const char *p = s;

	while (*p) {
		bool neg = false;
		char *end;
		long a, b;

		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (!*p)
			break;
		if (*p == '^') {
			neg = true;
			p++;
		}
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		a = strtol(p, &end, 10);
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			b = strtol(p, &end, 10);
			p = end;
		}
		if (b < a || b >= (long)nbits)
			return -EINVAL;
		for (long i = a; i <= b; i++) {
			if (neg)
				bit_clear(map, nbits, i);
			else
				bit_set(map, nbits, i);
		}
		while (isspace((unsigned char)*p))
			p++;
		if (*p && *p != ',')
			return -EINVAL;
	}
	return 0;
}

/* ---------------------------------------------------------------- XML helpers */

static xmlDocPtr xml_parse(const char *xml)
{
	return xmlReadMemory(xml, (int)strlen(xml), "libvirt.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static xmlXPathObjectPtr xpath(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o;

	if (!ctx)
		return NULL;
	o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	xmlXPathFreeContext(ctx);
	return o;
}

static int nodeset_len(xmlXPathObjectPtr o)
{
	return (o && o->nodesetval) ? o->nodesetval->nodeNr : 0;
}

/* Parse "0x1f" / "31" as unsigned; -1 when absent or bad. */
static long attr_num(xmlNodePtr n, const char *name)
{
	xmlChar *s = xmlGetProp(n, (const xmlChar *)name);
	char *end;
	long v;

	if (!s)
		return -1;
	errno = 0;
	v = strtol((const char *)s, &end, 0);
	if (errno || *end || end == (char *)s || v < 0)
		v = -1;
	xmlFree(s);
	return v;
}

struct pciaddr {
	long dom, bus, slot, fn;
};

static int parse_bdf(const char *bdf, struct pciaddr *a)
{
	unsigned int d, b, s, f;
	char tail;

	if (sscanf(bdf, "%x:%x:%x.%x%c", &d, &b, &s, &f, &tail) == 4) {
	} else if (sscanf(bdf, "%x:%x.%x%c", &b, &s, &f, &tail) == 3) {
		d = 0;
	} else {
		return -EINVAL;
	}
	if (d > 0xffff || b > 0xff || s > 0x1f || f > 7)
		return -EINVAL;
	a->dom = d;
	a->bus = b;
	a->slot = s;
	a->fn = f;
	return 0;
}

static bool addr_match(xmlNodePtr addr, const struct pciaddr *a)
{
	long dom = attr_num(addr, "domain");

	if (dom < 0)
		dom = 0;
	return dom == a->dom && attr_num(addr, "bus") == a->bus &&
	       attr_num(addr, "slot") == a->slot && attr_num(addr, "function") == a->fn;
}

/* PCI hostdevs (plain and interface form): the <source><address> nodes. */
#define XP_HOSTDEV_ADDRS                                                             \
	"/domain/devices/hostdev[@mode='subsystem' and @type='pci']/source/address|" \
	"/domain/devices/interface[@type='hostdev']/source/address"

/* Find the device element (hostdev/interface) of @doc whose source is @a, or NULL. */
static xmlNodePtr find_dev(xmlDocPtr doc, const struct pciaddr *a)
{
	xmlXPathObjectPtr o = xpath(doc, XP_HOSTDEV_ADDRS);
	xmlNodePtr found = NULL;

	for (int i = 0; i < nodeset_len(o) && !found; i++) {
		xmlNodePtr addr = o->nodesetval->nodeTab[i];
		if (addr_match(addr, a) && addr->parent && addr->parent->parent)
			found = addr->parent->parent;
	}
	xmlXPathFreeObject(o);
	return found;
}

/* ---------------------------------------------------------------- placement */

/* Host topology: cpus of each node, from libvirt capabilities or sysfs. */
struct topo {
	int nnodes;
	uint8_t cpus[VFMGR_VIRT_MAX_NODES][VFMGR_VIRT_MAX_CPUS / 8];
	bool have[VFMGR_VIRT_MAX_NODES];
};

static int topo_from_caps(struct vfmgr_virt *v, struct topo *t)
{
	char *caps = virConnectGetCapabilities(v->conn);
	xmlDocPtr doc;
	xmlXPathObjectPtr o;
	int n = 0;

	if (!caps)
		return -EIO;
	doc = xml_parse(caps);
	free(caps);
	if (!doc)
		return -EINVAL;
	o = xpath(doc, "/capabilities/host/topology/cells/cell/cpus/cpu");
	for (int i = 0; i < nodeset_len(o); i++) {
		xmlNodePtr cpu = o->nodesetval->nodeTab[i];
		long id = attr_num(cpu, "id");
		long cell = cpu->parent && cpu->parent->parent ?
				    attr_num(cpu->parent->parent, "id") :
				    -1;
		if (cell < 0 || cell >= VFMGR_VIRT_MAX_NODES || id < 0)
			continue;
		bit_set(t->cpus[cell], VFMGR_VIRT_MAX_CPUS, id);
		if (!t->have[cell]) {
			t->have[cell] = true;
			n++;
		}
	}
	xmlXPathFreeObject(o);
	xmlFreeDoc(doc);
	t->nnodes = n;
	return n;
}

static int topo_from_sysfs(const char *root, struct topo *t)
{
	char path[4096], line[4096];
	int n = 0;

	for (int node = 0; node < VFMGR_VIRT_MAX_NODES; node++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/sys/devices/system/node/node%d/cpulist",
			 root ? root : "", node);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			if (parse_set(line, t->cpus[node], VFMGR_VIRT_MAX_CPUS) == 0) {
				t->have[node] = true;
				n++;
			}
		}
		fclose(f);
	}
	t->nnodes = n;
	return n;
}

int vfmgr_virt_parse_domain_xml(const char *xml, size_t len, struct vfmgr_placement *out)
{
	xmlDocPtr doc;
	xmlXPathObjectPtr o;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (len > INT_MAX / 2)
		return vfmgr_set_error(EINVAL, "domain XML too large (%zu bytes)", len);
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return vfmgr_set_error(EINVAL, "unparsable domain XML");

	o = xpath(doc, "/domain/name");
	if (nodeset_len(o)) {
		xmlChar *s = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
		snprintf(out->name, sizeof(out->name), "%s", s ? (const char *)s : "");
		xmlFree(s);
	}
	xmlXPathFreeObject(o);

	/* Memory nodes. */
	o = xpath(doc, "/domain/numatune/memory/@nodeset");
	if (nodeset_len(o)) {
		xmlChar *s = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
		uint8_t nodes[VFMGR_VIRT_MAX_NODES / 8] = { 0 };

		if (s && parse_set((const char *)s, nodes, VFMGR_VIRT_MAX_NODES) == 0) {
			for (int i = 0; i < VFMGR_VIRT_MAX_NODES; i++)
				if (bit_test(nodes, VFMGR_VIRT_MAX_NODES, i))
					out->numatune_nodes |= UINT64_C(1) << i;
		} else {
			rc = vfmgr_set_error(EINVAL, "bad <numatune><memory nodeset='%.64s'>",
					     s ? (const char *)s : "");
		}
		xmlFree(s);
	}
	xmlXPathFreeObject(o);

	/* Pinned host CPUs: every vcpupin, else the <vcpu cpuset=...> default. */
	o = xpath(doc, "/domain/cputune/vcpupin/@cpuset");
	if (!nodeset_len(o)) {
		xmlXPathFreeObject(o);
		o = xpath(doc, "/domain/vcpu/@cpuset");
	}
	for (int i = 0; i < nodeset_len(o) && rc == 0; i++) {
		xmlChar *s = xmlNodeGetContent(o->nodesetval->nodeTab[i]);

		if (!s || parse_set((const char *)s, out->pinned, VFMGR_VIRT_MAX_CPUS) < 0)
			rc = vfmgr_set_error(EINVAL, "bad cpuset '%.64s'",
					     s ? (const char *)s : "");
		xmlFree(s);
	}
	xmlXPathFreeObject(o);
	xmlFreeDoc(doc);
	if (rc)
		return rc;
	for (int c = 0; c < VFMGR_VIRT_MAX_CPUS; c++)
		out->n_pinned += bit_test(out->pinned, VFMGR_VIRT_MAX_CPUS, c);
	out->nodes = out->numatune_nodes;
	return 0;
}

int vfmgr_virt_xml_has_device(const char *xml, size_t len, const char *bdf)
{
	struct pciaddr a;
	xmlDocPtr doc;
	int rc;

	if (parse_bdf(bdf, &a) < 0)
		return vfmgr_set_error(EINVAL, "'%s' is not a PCI address (dddd:bb:ss.f)", bdf);
	if (len > INT_MAX / 2)
		return vfmgr_set_error(EINVAL, "domain XML too large (%zu bytes)", len);
	doc = xmlReadMemory(xml, (int)len, "domain.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return vfmgr_set_error(EINVAL, "unparsable domain XML");
	rc = find_dev(doc, &a) != NULL;
	xmlFreeDoc(doc);
	return rc;
}

int vfmgr_virt_placement(struct vfmgr_virt *v, const char *domain, const char *root,
			 struct vfmgr_placement *out)
{
	virDomainPtr dom;
	char *xml;
	struct topo *t;
	bool active, persistent;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	vfmgr_clear_error();
	snprintf(out->name, sizeof(out->name), "%s", domain);
	rc = lookup_domain(v, domain, &dom);
	if (rc < 0)
		return rc;
	active = virDomainIsActive(dom) == 1;
	persistent = virDomainIsPersistent(dom) == 1;
	xml = virDomainGetXMLDesc(dom, 0);
	virDomainFree(dom);
	if (!xml) {
		verr("cannot read the XML of domain '%s': %s", domain, lv_msg());
		return -EIO;
	}
	rc = vfmgr_virt_parse_domain_xml(xml, strlen(xml), out);
	free(xml);
	snprintf(out->name, sizeof(out->name), "%s", domain);
	out->active = active;
	out->persistent = persistent;
	if (rc < 0) {
		char msg[VFMGR_ERRMSG_LEN];
		snprintf(msg, sizeof(msg), "%s", vfmgr_errmsg());
		verr("domain '%s': %s", domain, msg);
		return rc;
	}

	out->nodes = out->numatune_nodes;
	if (out->n_pinned) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		if (topo_from_caps(v, t) <= 0) {
			memset(t, 0, sizeof(*t));
			topo_from_sysfs(root, t);
		}
		for (int n = 0; n < VFMGR_VIRT_MAX_NODES; n++) {
			if (!t->have[n])
				continue;
			for (int c = 0; c < VFMGR_VIRT_MAX_CPUS; c++)
				if (bit_test(out->pinned, VFMGR_VIRT_MAX_CPUS, c) &&
				    bit_test(t->cpus[n], VFMGR_VIRT_MAX_CPUS, c)) {
					out->nodes |= UINT64_C(1) << n;
					break;
				}
		}
		free(t);
	}
	return 0;
}

/* ---------------------------------------------------------------- device XML */

char *vfmgr_virt_device_xml(const struct vfmgr_hostdev *hd)
{
	struct pciaddr a;
	char addr[160], mac[64] = "", vlan[64] = "";
	char *out = NULL;
	int n;

	if (!hd || parse_bdf(hd->bdf, &a) < 0 ||
	    (hd->vlan != -1 && (hd->vlan < 1 || hd->vlan > 4094))) {
		errno = EINVAL;
		return NULL;
	}
	snprintf(addr, sizeof(addr),
		 "domain='0x%04lx' bus='0x%02lx' slot='0x%02lx' function='0x%lx'", a.dom, a.bus,
		 a.slot, a.fn);
	if (hd->form == VFMGR_HOSTDEV_PLAIN) {
		n = asprintf(&out,
			     "<hostdev mode='subsystem' type='pci' managed='no'>\n"
			     "  <driver name='vfio'/>\n"
			     "  <source>\n"
			     "    <address %s/>\n"
			     "  </source>\n"
			     "</hostdev>\n",
			     addr);
	} else {
		if (hd->has_mac)
			snprintf(mac, sizeof(mac),
				 "  <mac address='%02x:%02x:%02x:%02x:%02x:%02x'/>\n", hd->mac[0],
				 hd->mac[1], hd->mac[2], hd->mac[3], hd->mac[4], hd->mac[5]);
		if (hd->vlan > 0)
			snprintf(vlan, sizeof(vlan), "  <vlan>\n    <tag id='%d'/>\n  </vlan>\n",
				 hd->vlan);
		n = asprintf(&out,
			     "<interface type='hostdev' managed='no'>\n"
			     "%s"
			     "  <driver name='vfio'/>\n"
			     "  <source>\n"
			     "    <address type='pci' %s/>\n"
			     "  </source>\n"
			     "%s"
			     "</interface>\n",
			     mac, addr, vlan);
	}
	if (n < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return out;
}

/* ---------------------------------------------------------------- attach / detach */

static int dom_xml_has(virDomainPtr dom, const struct pciaddr *a, bool inactive)
{
	char *xml = virDomainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0);
	xmlDocPtr doc;
	int rc;

	if (!xml)
		return -EIO;
	doc = xml_parse(xml);
	free(xml);
	if (!doc)
		return -EINVAL;
	rc = find_dev(doc, a) != NULL;
	xmlFreeDoc(doc);
	return rc;
}

/* The serialised device element of @a in the domain's XML, malloc'd, or NULL. */
static char *dev_xml_of(virDomainPtr dom, const struct pciaddr *a, bool inactive)
{
	char *xml = virDomainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0);
	xmlDocPtr doc;
	xmlNodePtr dev;
	xmlBufferPtr buf;
	char *out = NULL;

	if (!xml)
		return NULL;
	doc = xml_parse(xml);
	free(xml);
	if (!doc)
		return NULL;
	dev = find_dev(doc, a);
	buf = xmlBufferCreate();
	if (dev && buf && xmlNodeDump(buf, doc, dev, 0, 0) > 0)
		out = strdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	xmlFreeDoc(doc);
	return out;
}

/* @p bdf parsed into @p a, and @p domain looked up into @p dom (virDomainFree() it).
 * @return 0, -EINVAL (not a PCI address), or lookup_domain()'s error. */
static int lookup_vf_domain(struct vfmgr_virt *v, const char *domain, const char *bdf,
			    struct pciaddr *a, virDomainPtr *dom)
{
	if (parse_bdf(bdf, a) < 0) {
		verr("'%s' is not a PCI address (dddd:bb:ss.f)", bdf);
		return -EINVAL;
	}
	return lookup_domain(v, domain, dom);
}

int vfmgr_virt_has_device(struct vfmgr_virt *v, const char *domain, const char *bdf, bool inactive)
{
	struct pciaddr a;
	virDomainPtr dom;
	int rc;

	vfmgr_clear_error();
	rc = lookup_vf_domain(v, domain, bdf, &a, &dom);
	if (rc < 0)
		return rc;
	if (inactive && virDomainIsPersistent(dom) != 1)
		inactive = false;
	rc = dom_xml_has(dom, &a, inactive);
	if (rc < 0)
		verr("cannot read the XML of domain '%s': %s", domain, lv_msg());
	virDomainFree(dom);
	return rc;
}

int vfmgr_virt_find_owner(struct vfmgr_virt *v, const char *bdf, char *name, size_t len)
{
	virDomainPtr *doms = NULL;
	struct pciaddr a;
	int n, found = 0;

	vfmgr_clear_error();
	if (parse_bdf(bdf, &a) < 0)
		return -EINVAL;
	n = virConnectListAllDomains(v->conn, &doms, 0);
	if (n < 0) {
		verr("cannot list libvirt domains: %s", lv_msg());
		return -EIO;
	}
	for (int i = 0; i < n; i++) {
		int live = dom_xml_has(doms[i], &a, false);
		int cfg = virDomainIsPersistent(doms[i]) == 1 ? dom_xml_has(doms[i], &a, true) : 0;

		if ((live == 1 || cfg == 1) && found++ == 0 && name && len)
			snprintf(name, len, "%s", virDomainGetName(doms[i]));
		virDomainFree(doms[i]);
	}
	free(doms);
	return found;
}

bool vfmgr_virt_volatile(const struct vfmgr_virt *v)
{
	const char *p = v ? strstr(v->uri, "://") : NULL;
	size_t n;

	if (!v || strncmp(v->uri, "test", 4) || (v->uri[4] != ':' && v->uri[4] != '+') || !p)
		return false;
	p = strchr(p + 3, '/'); /* after the (empty) host */
	if (!p)
		return false;
	n = strcspn(p, "?");
	return !(n == 8 && !strncmp(p, "/default", 8));
}

/* Mark the VFs of @host that @xml's PCI hostdevs (either form) hold. @return how many. */
static int mark_holders(const char *xml, const char *name, struct vfmgr_host *host)
{
	xmlDocPtr doc = xml_parse(xml);
	xmlXPathObjectPtr o;
	int n = 0;

	if (!doc)
		return 0;
	o = xpath(doc, XP_HOSTDEV_ADDRS);
	for (int i = 0; i < nodeset_len(o); i++) {
		xmlNodePtr addr = o->nodesetval->nodeTab[i];
		long dom = attr_num(addr, "domain"), bus = attr_num(addr, "bus");
		long slot = attr_num(addr, "slot"), fn = attr_num(addr, "function");
		char bdf[VFMGR_BDF_LEN];
		struct vfmgr_vf *vf;

		if (dom < 0)
			dom = 0;
		if (bus < 0 || slot < 0 || fn < 0 || dom > 0xffff || bus > 0xff || slot > 0x1f ||
		    fn > 7)
			continue;
		snprintf(bdf, sizeof(bdf), "%04lx:%02lx:%02lx.%lx", dom, bus, slot, fn);
		vf = vfmgr_host_find_vf_bdf(host, bdf);
		if (vf && !vf->held_by[0]) {
			snprintf(vf->held_by, sizeof(vf->held_by), "%s", name);
			n++;
		}
	}
	xmlXPathFreeObject(o);
	xmlFreeDoc(doc);
	return n;
}

int vfmgr_virt_holders(struct vfmgr_virt *v, struct vfmgr_host *host)
{
	virDomainPtr *doms = NULL;
	int n, held = 0;

	vfmgr_clear_error();
	n = virConnectListAllDomains(v->conn, &doms, 0); /* active and inactive */
	if (n < 0) {
		int rc = lv_errno();
		verr("cannot list the domains of %s: %s", v->uri, lv_msg());
		return rc == -ECONNREFUSED ? rc : -EIO;
	}
	for (int i = 0; i < n; i++) {
		const char *name = virDomainGetName(doms[i]);
		bool active = virDomainIsActive(doms[i]) == 1;
		bool persistent = virDomainIsPersistent(doms[i]) == 1;

		for (int pass = 0; pass < 2 && name; pass++) {
			char *xml;
			if ((pass == 0 && !active) || (pass == 1 && !persistent))
				continue;
			xml = virDomainGetXMLDesc(doms[i], pass ? VIR_DOMAIN_XML_INACTIVE : 0);
			if (xml) /* a domain undefined meanwhile holds nothing */
				held += mark_holders(xml, name, host);
			free(xml);
		}
		virDomainFree(doms[i]);
	}
	free(doms);
	return held;
}

/* Edit the persistent definition: insert @devxml (attach) or remove @a's device. */
static int redefine(struct vfmgr_virt *v, virDomainPtr dom, const char *domain, const char *devxml,
		    const struct pciaddr *a)
{
	char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
	xmlDocPtr doc = NULL, devdoc = NULL;
	xmlXPathObjectPtr o = NULL;
	xmlChar *outxml = NULL;
	int outlen = 0, rc = 0;
	virDomainPtr nd;

	if (!xml) {
		verr("cannot read the persistent XML of domain '%s': %s", domain, lv_msg());
		return -EIO;
	}
	doc = xml_parse(xml);
	free(xml);
	if (!doc) {
		verr("libvirt returned unparsable XML for domain '%s'", domain);
		return -EINVAL;
	}
	if (devxml) {
		xmlNodePtr devices, copy;

		if (find_dev(doc, a)) {
			rc = -EEXIST;
			verr("domain '%s' already holds this VF in its persistent XML", domain);
			goto out;
		}
		o = xpath(doc, "/domain/devices");
		devdoc = xml_parse(devxml);
		if (!nodeset_len(o) || !devdoc) {
			verr("domain '%s' has no <devices> element", domain);
			rc = -EINVAL;
			goto out;
		}
		devices = o->nodesetval->nodeTab[0];
		copy = xmlDocCopyNode(xmlDocGetRootElement(devdoc), doc, 1);
		if (!copy || !xmlAddChild(devices, copy)) {
			xmlFreeNode(copy);
			rc = -ENOMEM;
			goto out;
		}
	} else {
		xmlNodePtr dev = find_dev(doc, a);

		if (!dev) {
			rc = -ENOENT;
			verr("domain '%s' does not hold this VF in its persistent XML", domain);
			goto out;
		}
		xmlUnlinkNode(dev);
		xmlFreeNode(dev);
	}
	xmlDocDumpMemory(doc, &outxml, &outlen);
	if (!outxml) {
		rc = -ENOMEM;
		goto out;
	}
	nd = virDomainDefineXML(v->conn, (const char *)outxml);
	if (!nd) {
		verr("libvirt refused the edited definition of domain '%s': %s", domain, lv_msg());
		rc = -EIO;
		goto out;
	}
	virDomainFree(nd);
	/* Confirm: read it back. */
	rc = dom_xml_has(dom, a, true);
	if (rc < 0) {
		verr("cannot re-read domain '%s' after redefining it: %s", domain, lv_msg());
	} else if (rc != (devxml != NULL)) {
		verr("libvirt accepted the new definition of '%s' but the device is %s", domain,
		     devxml ? "missing" : "still present");
		rc = -EIO;
	} else {
		rc = 0;
	}
out:
	xmlFree(outxml);
	xmlXPathFreeObject(o);
	xmlFreeDoc(devdoc);
	xmlFreeDoc(doc);
	return rc;
}

static int change(struct vfmgr_virt *v, const char *domain, const char *bdf,
		  const struct vfmgr_hostdev *hd, enum vfmgr_virt_path *path)
{
	bool attach = hd != NULL;
	struct pciaddr a;
	virDomainPtr dom;
	char *devxml = NULL;
	unsigned int flags;
	bool active, persistent;
	int rc, have;

	if (path)
		*path = VFMGR_VIRT_NONE;
	vfmgr_clear_error();
	rc = lookup_vf_domain(v, domain, bdf, &a, &dom);
	if (rc < 0)
		return rc;
	active = virDomainIsActive(dom) == 1;
	persistent = virDomainIsPersistent(dom) == 1;
	flags = active ? VIR_DOMAIN_AFFECT_LIVE | (persistent ? VIR_DOMAIN_AFFECT_CONFIG : 0) :
			 VIR_DOMAIN_AFFECT_CONFIG;

	/* Idempotence (recovery re-runs steps): state already as wanted? */
	have = dom_xml_has(dom, &a, !active);
	if (have < 0) {
		verr("cannot read the XML of domain '%s': %s", domain, lv_msg());
		rc = -EIO;
		goto out;
	}
	if (attach && have) {
		verr("VF %s is already in domain '%s'", bdf, domain);
		rc = -EEXIST;
		goto out;
	}
	if (!attach && !have) {
		verr("VF %s is not in domain '%s'", bdf, domain);
		rc = -ENOENT;
		goto out;
	}

	if (attach) {
		devxml = vfmgr_virt_device_xml(hd);
		if (!devxml) {
			verr("cannot build device XML for VF %s (bad address or VLAN %d)", bdf,
			     hd->vlan);
			rc = -EINVAL;
			goto out;
		}
		rc = virDomainAttachDeviceFlags(dom, devxml, flags);
	} else {
		/* Detach with the very element libvirt holds (interface or hostdev form). */
		devxml = dev_xml_of(dom, &a, !active);
		if (!devxml) {
			verr("cannot read VF %s's element from domain '%s': %s", bdf, domain,
			     lv_msg());
			rc = -EIO;
			goto out;
		}
		rc = virDomainDetachDeviceFlags(dom, devxml, flags);
	}
	if (rc == 0) {
		if (path)
			*path = VFMGR_VIRT_HOTPLUG;
		if (!attach && active) {
			/* Live detach is asynchronous (the guest must let go): wait for it. */
			for (int i = 0; i < 100; i++) {
				have = dom_xml_has(dom, &a, false);
				if (have <= 0)
					break;
				usleep(100 * 1000);
			}
			if (have != 0) {
				verr("domain '%s' has not released VF %s after 10 s (guest did not "
				     "acknowledge the unplug); retry the release",
				     domain, bdf);
				rc = -ETIMEDOUT;
			}
		}
		goto out;
	}
	rc = lv_errno();
	if (rc == -ENOTSUP && !active && persistent) {
		/* libvirt 9.0 test driver: no attach/detach-device; edit the definition. */
		rc = redefine(v, dom, domain, attach ? devxml : NULL, &a);
		if (rc == 0 && path)
			*path = VFMGR_VIRT_REDEFINE;
	} else if (rc == -ENOTSUP) {
		verr("libvirt driver at %s cannot %s devices %s running domain '%s' (%s): "
		     "VIR_ERR_NO_SUPPORT. Shut the domain down and retry (the persistent "
		     "definition will be edited), or use a driver with PCI hot-plug (qemu:///system)",
		     v->uri, attach ? "hot-plug" : "hot-unplug", attach ? "into" : "from", domain,
		     lv_msg());
	} else {
		verr("libvirt could not %s VF %s %s domain '%s': %s", attach ? "attach" : "detach",
		     bdf, attach ? "to" : "from", domain, lv_msg());
	}
out:
	free(devxml);
	virDomainFree(dom);
	return rc;
}

int vfmgr_virt_attach(struct vfmgr_virt *v, const char *domain, const struct vfmgr_hostdev *hd,
		      enum vfmgr_virt_path *path)
{
	if (!hd)
		return -EINVAL;
	return change(v, domain, hd->bdf, hd, path);
}

int vfmgr_virt_detach(struct vfmgr_virt *v, const char *domain, const char *bdf,
		      enum vfmgr_virt_path *path)
{
	return change(v, domain, bdf, NULL, path);
}

int vfmgr_virt_domain_uuid(struct vfmgr_virt *v, const char *domain, char uuid[37])
{
	char buf[VIR_UUID_STRING_BUFLEN];
	virDomainPtr dom;
	int rc;

	vfmgr_clear_error();
	rc = lookup_domain(v, domain, &dom);
	if (rc < 0)
		return rc;
	rc = virDomainGetUUIDString(dom, buf) == 0 ? 0 : -EIO;
	if (rc < 0)
		verr("cannot read the UUID of domain '%s': %s", domain, lv_msg());
	else
		snprintf(uuid, 37, "%s", buf);
	virDomainFree(dom);
	return rc;
}
