/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * addr.c: MAC and PCI address text helpers. Pure functions, no state; a leaf
 * that config.c (vfmgr.conf keys), placement.c (trait names) and the rest of
 * lib/vfmgr call, so that no other file has to call into config.c for them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfmgr_priv.h"

int vfmgr_parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			return -EINVAL;
		char h[3] = { s[0], s[1], 0 };
		mac[i] = (uint8_t)strtoul(h, NULL, 16);
		s += 2;
		if (i < 5) {
			if (*s != ':')
				return -EINVAL;
			s++;
		}
	}
	return *s ? -EINVAL : 0;
}

char *vfmgr_format_mac(const uint8_t mac[6], char *buf)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		mac[5]);
	return buf;
}

int vfmgr_parse_bdf(const char *s, char out[VFMGR_BDF_LEN])
{
	unsigned int dom = 0, bus, dev, fn;
	int n = 0;

	if (strlen(s) == 12) {
		if (sscanf(s, "%4x:%2x:%2x.%1x%n", &dom, &bus, &dev, &fn, &n) != 4 || n != 12)
			return -EINVAL;
	} else if (strlen(s) == 7) {
		if (sscanf(s, "%2x:%2x.%1x%n", &bus, &dev, &fn, &n) != 3 || n != 7)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	for (const char *c = s; *c; c++)
		if (!isxdigit((unsigned char)*c) && *c != ':' && *c != '.')
			return -EINVAL;
	if (dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, VFMGR_BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}
