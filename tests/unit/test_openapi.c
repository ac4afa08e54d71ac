/* The OpenAPI document is valid YAML and names every route of the table
 * (with {} written as {name}), so the two cannot drift apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <yaml.h>

#include "http/http.h"

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	*n = fread(buf, 1, (size_t)len, f);
	buf[*n] = '\0';
	fclose(f);
	return buf;
}

/* "/v1/subjects/{id}/report" -> "/v1/subjects/{}/report" */
static void normalise(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (const char *p = in; *p && o + 3 < size; p++) {
		if (*p == '{') {
			out[o++] = '{';
			out[o++] = '}';
			while (*p && *p != '}')
				p++;
			continue;
		}
		out[o++] = *p;
	}
	out[o] = '\0';
}

static void every_route_documented(void **state)
{
	size_t n = 0;
	char *text = slurp(SOURCE_DIR "/docs/openapi.yaml", &n);
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *paths = NULL;
	char seen[64][SC_HTTP_PATH_MAX];
	size_t nseen = 0;

	(void)state;
	assert_true(sc_nroutes <= SC_ROUTES_MAX); /* metrics count each route apart */
	assert_non_null(text);
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, n);
	assert_true(yaml_parser_load(&parser, &doc));
	root = yaml_document_get_root_node(&doc);
	assert_non_null(root);
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++)
		if (!strcmp((char *)yaml_document_get_node(&doc, p->key)->data.scalar.value, "paths"))
			paths = yaml_document_get_node(&doc, p->value);
	assert_non_null(paths);
	for (yaml_node_pair_t *p = paths->data.mapping.pairs.start; p < paths->data.mapping.pairs.top && nseen < 64; p++)
		normalise((char *)yaml_document_get_node(&doc, p->key)->data.scalar.value, seen[nseen++],
			  SC_HTTP_PATH_MAX);
	for (size_t i = 0; i < sc_nroutes; i++) {
		bool found = false;
		if (!strcmp(sc_routes[i].pattern, "/app.js") || !strcmp(sc_routes[i].pattern, "/app.css") ||
		    !strcmp(sc_routes[i].pattern, "/") || !strcmp(sc_routes[i].pattern, "/favicon.ico"))
			continue; /* the portal's assets */
		for (size_t k = 0; k < nseen && !found; k++)
			found = !strcmp(seen[k], sc_routes[i].pattern);
		if (!found)
			fail_msg("route %s %s is not in docs/openapi.yaml", sc_routes[i].method, sc_routes[i].pattern);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(every_route_documented)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
