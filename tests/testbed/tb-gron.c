/* tb-gron: flatten a JSON document (or a stream of JSON values, one per line) read from
 * stdin into "path=value" lines, e.g. `.pfs[0].vfs[2].iommu_group=7`, so that busybox shell
 * scripts in the test-bed guest can grep JSON output. Strings are printed without quotes;
 * null as "null", booleans as true/false. The N-th top-level value of a stream is prefixed
 * with "[N]" when there is more than one. Exit 1 on a parse error. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static void walk(const char *path, json_t *v)
{
	char buf[1024];
	size_t i;
	const char *k;
	json_t *e;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (json_object_size(v) == 0)
			printf("%s={}\n", path);
		json_object_foreach(v, k, e)
		{
			snprintf(buf, sizeof(buf), "%s.%s", path, k);
			walk(buf, e);
		}
		break;
	case JSON_ARRAY:
		printf("%s.length=%zu\n", path[0] ? path : ".", json_array_size(v));
		json_array_foreach(v, i, e)
		{
			snprintf(buf, sizeof(buf), "%s[%zu]", path, i);
			walk(buf, e);
		}
		break;
	case JSON_STRING:
		printf("%s=%s\n", path, json_string_value(v));
		break;
	case JSON_INTEGER:
		printf("%s=%" JSON_INTEGER_FORMAT "\n", path, json_integer_value(v));
		break;
	case JSON_REAL:
		printf("%s=%.17g\n", path, json_real_value(v));
		break;
	case JSON_TRUE:
		printf("%s=true\n", path);
		break;
	case JSON_FALSE:
		printf("%s=false\n", path);
		break;
	case JSON_NULL:
		printf("%s=null\n", path);
		break;
	}
}

int main(void)
{
	static char in[1 << 22];
	size_t n = fread(in, 1, sizeof(in) - 1, stdin);
	json_t *vals[4096];
	size_t nv = 0, off = 0;
	json_error_t err;

	in[n] = 0;
	while (off < n && nv < 4096) {
		while (off < n && strchr(" \t\r\n", in[off]))
			off++;
		if (off >= n)
			break;
		json_t *v = json_loadb(in + off, n - off, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY,
				       &err);
		if (!v) {
			fprintf(stderr, "tb-gron: %s at byte %zu\n", err.text,
				off + (size_t)err.position);
			return 1;
		}
		vals[nv++] = v;
		off += err.position;
	}
	if (nv == 0) {
		fprintf(stderr, "tb-gron: no JSON value\n");
		return 1;
	}
	for (size_t i = 0; i < nv; i++) {
		char p[32] = "";
		if (nv > 1)
			snprintf(p, sizeof(p), "[%zu]", i);
		walk(p, vals[i]);
		json_decref(vals[i]);
	}
	return 0;
}
