/* The portal's pages, compiled into the binary: only these assets can be
 * served, whatever the path says. And GET /v1/me: who a key is. */
#include <string.h>

#include "http.h"

extern const unsigned char sc_web_index_html[], sc_web_app_js[], sc_web_app_css[];
extern const unsigned long sc_web_index_html_len, sc_web_app_js_len, sc_web_app_css_len;

static const struct {
	const char *path, *type;
	const unsigned char *data;
	const unsigned long *len;
} assets[] = {
	{"/", "text/html; charset=utf-8", sc_web_index_html, &sc_web_index_html_len},
	{"/app.js", "text/javascript; charset=utf-8", sc_web_app_js, &sc_web_app_js_len},
	{"/app.css", "text/css; charset=utf-8", sc_web_app_css, &sc_web_app_css_len},
};

void sc_h_web(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	(void)st;
	(void)p;
	if (!strcmp(r->path, "/favicon.ico")) {
		sc_reply(r, 204, "image/x-icon", "", 0);
		return;
	}
	for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++)
		if (!strcmp(assets[i].path, r->path)) {
			sc_reply(r, 200, assets[i].type, (const char *)assets[i].data, *assets[i].len);
			return;
		}
	sc_reply_errorf(r, 404, NULL, "no such resource: %.64s", r->path);
}

void sc_h_me(struct sc_req *r, struct sc_store *st, const char *const *p)
{
	(void)st;
	(void)p;
	sc_reply_json(r, 200, json_pack("{s:I,s:s,s:s,s:s}", "key", (json_int_t)r->key.id,
					"role", sc_role_name(r->role), "name", r->key.name,
					"binding", r->key.binding));
}
