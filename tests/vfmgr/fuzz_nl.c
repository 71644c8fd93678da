/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: the RTM_NEWLINK IFLA_VFINFO_LIST parser over an arbitrary message body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "vfmgr_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfmgr_vf_attrs attrs[8];
	char ifname[VFMGR_IFNAME_LEN];
	unsigned n;
	uint8_t *buf;

	if (size < sizeof(struct nlmsghdr) || size > 65535)
		return 0;
	buf = calloc(1, size + 8); /* NLMSG_ALIGN slack, zeroed */
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	nlh->nlmsg_len = (uint32_t)size; /* the socket layer guarantees the length */
	nlh->nlmsg_type = RTM_NEWLINK;
	if (vfmgr_nl_parse_vfinfo(buf, attrs, 8, &n, ifname) == 0 &&
	    strlen(ifname) >= VFMGR_IFNAME_LEN)
		__builtin_trap();
	free(buf);
	return 0;
}
