/* SPDX-License-Identifier: BSD-3-Clause */
/* test_proto.c: the vfmgrd control-socket protocol (lib/vfmgr/proto.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "vfmgr_priv.h"

static int dec(const char *s, struct vfmgr_request *r, char *err, size_t n)
{
	return vfmgr_proto_decode_request(s, strlen(s), r, err, n);
}

static void test_ops_roundtrip(void **state)
{
	for (int op = VFMGR_OP_INVALID + 1; op < VFMGR_OP__COUNT; op++) {
		json_t *args = json_object();
		struct vfmgr_request r;
		char err[256];
		char *line;

		if (op == VFMGR_OP_ASSIGN || op == VFMGR_OP_ADOPT)
			json_object_set_new(args, "domain", json_string("appl0"));
		if (op == VFMGR_OP_RELEASE || op == VFMGR_OP_SHOW)
			json_object_set_new(args, "target", json_string("0000:01:00.1"));
		line = vfmgr_proto_encode_request(1000 + op, op, args);
		assert_non_null(line);
		assert_int_equal(line[strlen(line) - 1], '\n');
		assert_null(strchr(line, '\n') == line + strlen(line) - 1 ? NULL : line);
		assert_int_equal(dec(line, &r, err, sizeof(err)), 0);
		assert_int_equal(r.op, op);
		assert_int_equal(r.id, 1000 + op);
		assert_string_equal(vfmgr_op_name(op), vfmgr_op_name(r.op));
		vfmgr_request_clear(&r);
		free(line);
	}
	assert_int_equal(vfmgr_op_from_name("nope"), VFMGR_OP_INVALID);
	assert_null(vfmgr_op_name(VFMGR_OP__COUNT));
}

static void test_assign_args(void **state)
{
	struct vfmgr_request r;
	char err[256];

	assert_int_equal(
		dec("{\"op\":\"assign\",\"args\":{\"domain\":\"appl1\",\"pf\":\"0000:01:00.0\",\"vf\":3},\"id\":7}",
		    &r, err, sizeof(err)),
		0);
	assert_string_equal(r.domain, "appl1");
	assert_string_equal(r.pf, "0000:01:00.0");
	assert_int_equal(r.vf, 3);
	vfmgr_request_clear(&r);

	assert_int_equal(dec("{\"op\":\"assign\",\"args\":{\"domain\":\"a\"},\"id\":7}", &r, err,
			     sizeof(err)),
			 0);
	assert_null(r.pf);
	assert_int_equal(r.vf, -1);
	vfmgr_request_clear(&r);

	/* missing domain: named */
	assert_int_equal(dec("{\"op\":\"assign\",\"args\":{},\"id\":8}", &r, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(r.id, 8);
	assert_non_null(strstr(err, "\"domain\""));
	vfmgr_request_clear(&r);
	/* bad vf */
	assert_int_equal(dec("{\"op\":\"assign\",\"args\":{\"domain\":\"a\",\"vf\":-1},\"id\":8}",
			     &r, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "\"vf\""));
	vfmgr_request_clear(&r);
	/* unknown argument: typo refused */
	assert_int_equal(dec("{\"op\":\"assign\",\"args\":{\"domian\":\"a\"},\"id\":8}", &r, err,
			     sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "domian"));
	vfmgr_request_clear(&r);
	/* PF/index targets are fine, '/' in a domain name is not */
	assert_int_equal(dec("{\"op\":\"show\",\"args\":{\"target\":\"0000:01:00.0/3\"},\"id\":8}",
			     &r, err, sizeof(err)),
			 0);
	assert_string_equal(r.target, "0000:01:00.0/3");
	vfmgr_request_clear(&r);
	/* path-like names refused */
	assert_int_equal(dec("{\"op\":\"assign\",\"args\":{\"domain\":\"../etc\"},\"id\":8}", &r,
			     err, sizeof(err)),
			 -EINVAL);
	vfmgr_request_clear(&r);
	/* Regression (issue #14): UTF-8 domain names as libvirt takes them (were "not printable") */
	assert_int_equal(
		dec("{\"op\":\"assign\",\"args\":{\"domain\":\"w\\u00e9b-\\u00fc1-\\u6f22\"},\"id\":8}",
		    &r, err, sizeof(err)),
		0);
	assert_string_equal(r.domain, "w\xc3\xa9"
				      "b-\xc3\xbc"
				      "1-\xe6\xbc\xa2");
	vfmgr_request_clear(&r);
	assert_int_equal(
		dec("{\"op\":\"adopt\",\"args\":{\"domain\":\"db \\\"prod\\\"\"},\"id\":8}", &r,
		    err, sizeof(err)),
		0);
	assert_string_equal(r.domain, "db \"prod\"");
	vfmgr_request_clear(&r);
	/* control characters (C0, DEL, C1) still refused (jansson refuses malformed UTF-8 itself) */
	assert_int_equal(dec("{\"op\":\"assign\",\"args\":{\"domain\":\"a\\tb\"},\"id\":8}", &r,
			     err, sizeof(err)),
			 -EINVAL);
	vfmgr_request_clear(&r);
	assert_int_equal(dec("{\"op\":\"assign\",\"args\":{\"domain\":\"a\\u0085b\"},\"id\":8}", &r,
			     err, sizeof(err)),
			 -EINVAL);
	vfmgr_request_clear(&r);
	assert_int_equal(dec("{\"op\":\"assign\",\"args\":{\"domain\":\"a\\u007fb\"},\"id\":8}", &r,
			     err, sizeof(err)),
			 -EINVAL);
	vfmgr_request_clear(&r);
	/* embedded NUL refused */
	assert_int_equal(dec("{\"op\":\"show\",\"args\":{\"target\":\"a\\u0000b\"},\"id\":8}", &r,
			     err, sizeof(err)),
			 -EINVAL);
	vfmgr_request_clear(&r);
}

static void test_malformed(void **state)
{
	static const char *bad[] = {
		"",
		"null",
		"[]",
		"42",
		"{",
		"{\"op\":\"status\"}",
		"{\"op\":\"status\",\"id\":-1}",
		"{\"op\":\"status\",\"id\":1.5}",
		"{\"op\":\"status\",\"id\":\"1\"}",
		"{\"op\":\"frobnicate\",\"id\":1}",
		"{\"op\":7,\"id\":1}",
		"{\"op\":\"status\",\"id\":1,\"args\":[]}",
		"{\"op\":\"status\",\"id\":1,\"x\":1}",
		"{\"op\":\"status\",\"id\":1,\"args\":{\"force\":true}}",
		"{\"op\":\"apply\",\"id\":1,\"args\":{\"force\":1}}",
		"{\"op\":\"release\",\"id\":1,\"args\":{}}",
		"{\"op\":\"status\",\"op\":\"list\",\"id\":1}",
		"{\"op\":\"status\",\"id\":9007199254740993}",
	};
	struct vfmgr_request r;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dec(bad[i], &r, err, sizeof(err)), -EINVAL);
		assert_true(strlen(err) > 0);
		vfmgr_request_clear(&r);
	}
	assert_int_equal(dec("{\"op\":\"apply\",\"id\":1,\"args\":{\"force\":true}}\n", &r, err,
			     sizeof(err)),
			 0);
	assert_true(r.force);
	vfmgr_request_clear(&r);
}

static void test_responses(void **state)
{
	json_t *res;
	int64_t id;
	int code;
	char msg[128];
	char *ok = vfmgr_proto_encode_ok(5, json_pack("{s:i}", "n", 3));
	char *er =
		vfmgr_proto_encode_error(6, VFMGR_EXIT_BUSY, "VF 0000:01:00.1 is owned by appl0");

	assert_int_equal(
		vfmgr_proto_decode_response(ok, strlen(ok), &id, &res, &code, msg, sizeof(msg)), 1);
	assert_int_equal(id, 5);
	assert_int_equal(json_integer_value(json_object_get(res, "n")), 3);
	json_decref(res);
	assert_int_equal(
		vfmgr_proto_decode_response(er, strlen(er), &id, &res, &code, msg, sizeof(msg)), 0);
	assert_int_equal(id, 6);
	assert_int_equal(code, VFMGR_EXIT_BUSY);
	assert_string_equal(msg, "VF 0000:01:00.1 is owned by appl0");
	assert_null(res);
	assert_int_equal(
		vfmgr_proto_decode_response("{\"id\":1}", 8, &id, &res, &code, msg, sizeof(msg)),
		-EINVAL);
	free(ok);
	free(er);
	assert_int_equal(vfmgr_exit_from_errno(-ENOTSUP), VFMGR_EXIT_UNSUPPORTED);
	assert_int_equal(vfmgr_exit_from_errno(-ENOENT), VFMGR_EXIT_NOTFOUND);
	assert_int_equal(vfmgr_exit_from_errno(0), VFMGR_EXIT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ops_roundtrip),
		cmocka_unit_test(test_assign_args),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_responses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
