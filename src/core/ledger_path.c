/* Where a ledger is, and where its local files go (socred/ledger_path.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "socred/ledger_path.h"
#include "socred/sha256.h"

bool sc_ledger_is_pg(const char *db)
{
	return db && (!strncmp(db, "postgresql://", 13) || !strncmp(db, "postgres://", 11));
}

/* Copies a URI without the password of its user part ("user:pw@") or of
 * a password= parameter. */
static void strip_password(const char *db, char *out, size_t cap)
{
	const char *p = strstr(db, "://"), *auth_end, *at, *colon;
	size_t n = 0;

	if (!cap)
		return;
	out[0] = '\0';
	if (!p)
		p = db;
	else
		p += 3;
	auth_end = p + strcspn(p, "/?");
	at = memchr(p, '@', (size_t)(auth_end - p));
	colon = at ? memchr(p, ':', (size_t)(at - p)) : NULL;
	for (const char *s = db; *s && n + 1 < cap;) {
		if (colon && s == colon) {
			s = at; /* skip ":password" */
			continue;
		}
		if ((s == db || s[-1] == '?' || s[-1] == '&') && !strncmp(s, "password=", 9)) {
			s += strcspn(s, "&");
			if (*s == '&')
				s++;
			continue;
		}
		out[n++] = *s++;
	}
	while (n && (out[n - 1] == '&' || out[n - 1] == '?'))
		n--;
	out[n] = '\0';
}

void sc_ledger_display(const char *db, char *out, size_t cap)
{
	if (!cap)
		return;
	if (sc_ledger_is_pg(db))
		strip_password(db, out, cap);
	else
		snprintf(out, cap, "%s", db ? db : "");
}

static bool make_dir(const char *path)
{
	struct stat sb;

	if (mkdir(path, 0700) == 0)
		return true;
	return errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool state_dir(char *out, size_t cap)
{
	const char *env = getenv("SOCRED_STATE_DIR");
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (env && *env)
		n = snprintf(out, cap, "%s", env);
	else if (xdg && *xdg)
		n = snprintf(out, cap, "%s/socred", xdg);
	else if (home && *home)
		n = snprintf(out, cap, "%s/.local/state/socred", home);
	else
		return false;
	if (n <= 0 || (size_t)n >= cap)
		return false;
	if (!(env && *env) && !(xdg && *xdg)) {
		/* $HOME/.local/state: made as XDG would */
		char parent[4096];
		if (snprintf(parent, sizeof(parent), "%s/.local", home) >= (int)sizeof(parent) ||
		    !make_dir(parent))
			return false;
		strcat(parent, "/state");
		if (!make_dir(parent))
			return false;
	}
	return make_dir(out);
}

bool sc_ledger_local(const char *db, char *out, size_t cap)
{
	char clean[4096], dir[4096];
	unsigned char h[32];
	int n;

	if (!sc_ledger_is_pg(db)) {
		n = snprintf(out, cap, "%s", db);
		return n >= 0 && (size_t)n < cap;
	}
	strip_password(db, clean, sizeof(clean));
	sc_sha256(clean, strlen(clean), h);
	if (!state_dir(dir, sizeof(dir)))
		return false;
	n = snprintf(out, cap, "%s/pg-%02x%02x%02x%02x%02x%02x%02x%02x", dir, h[0], h[1], h[2],
		     h[3], h[4], h[5], h[6], h[7]);
	return n > 0 && (size_t)n < cap;
}
