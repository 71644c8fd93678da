/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: the vfmgr.conf parser over an arbitrary buffer. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vfmgr_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfmgr_conf *c = NULL;
	int r = vfmgr_conf_parse((const char *)data, size, "fuzz.conf", &c);

	if (r == 0) {
		/* invariants of an accepted configuration */
		for (unsigned i = 0; i < c->n_pfs; i++)
			for (unsigned j = 0; j < c->pfs[i].n_vfs; j++)
				if (c->pfs[i].vfs[j].index >= c->pfs[i].numvfs)
					__builtin_trap();
		vfmgr_conf_free(c);
	} else if (c || !strchr(vfmgr_errmsg(), ':')) {
		__builtin_trap();
	}
	return 0;
}
