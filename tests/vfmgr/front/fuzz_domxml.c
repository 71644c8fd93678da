/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_domxml.c: libFuzzer target for lib/vfmgr/libvirt.c's domain XML readers
 * (placement: numatune nodeset, vcpupin cpusets; hostdev matching by PCI address).
 */
#include <stdint.h>
#include <stdlib.h>

#include "vfmgr_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfmgr_placement pl;
	int n = 0;

	if (vfmgr_virt_parse_domain_xml((const char *)data, size, &pl) == 0) {
		for (int c = 0; c < VFMGR_VIRT_MAX_CPUS; c++)
			n += (pl.pinned[c / 8] >> (c % 8)) & 1;
		if (n != pl.n_pinned || pl.nodes != pl.numatune_nodes)
			abort();
	}
	vfmgr_virt_xml_has_device((const char *)data, size, "0000:3b:02.1");
	return 0;
}
