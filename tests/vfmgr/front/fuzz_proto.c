/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_proto.c: libFuzzer target for the vfmgrd request decoder (lib/vfmgr/proto.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vfmgr_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vfmgr_request r;
	char err[256];
	int rc = vfmgr_proto_decode_request((const char *)data, size, &r, err, sizeof(err));

	if (rc == 0) {
		/* A valid request must re-encode and decode to the same op and id. */
		char *line = vfmgr_proto_encode_request(
			r.id, r.op, json_incref(json_object_get(r.json, "args")));
		struct vfmgr_request r2;

		if (!line ||
		    vfmgr_proto_decode_request(line, strlen(line), &r2, err, sizeof(err)) != 0 ||
		    r2.op != r.op || r2.id != r.id)
			abort();
		vfmgr_request_clear(&r2);
		free(line);
		char *resp = vfmgr_proto_encode_error(r.id, VFMGR_EXIT_FAILED, err);
		free(resp);
	}
	vfmgr_request_clear(&r);
	/* The client side decoder sees daemon output; fuzz it too. */
	{
		int64_t id;
		json_t *res;
		int code;
		char msg[128];
		if (vfmgr_proto_decode_response((const char *)data, size, &id, &res, &code, msg,
						sizeof(msg)) == 1)
			json_decref(res);
	}
	return 0;
}
