/* The cluster map: its text, the subject hash, saving it atomically. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socred/limits.h"
#include "socred/shard.h"
#include "socred/sha256.h"

uint64_t sc_shard_hash(const char *id, size_t len)
{
	unsigned char h[SC_SHA256_BYTES];
	uint64_t v = 0;

	sc_sha256(id, len, h);
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return v;
}

uint32_t sc_shard_of(const struct sc_shard_map *m, const char *id, size_t len)
{
	return (uint32_t)(sc_shard_hash(id, len) & (m->count - 1));
}

size_t sc_shard_ledger(const struct sc_shard_map *m, const char *id, size_t len)
{
	return m->owner[sc_shard_of(m, id, len)];
}

void sc_shard_map_free(struct sc_shard_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nledgers; i++) {
		free(m->ledgers[i]);
		free(m->names[i]);
	}
	free(m->ledgers);
	free(m->names);
	free(m->owner);
	free(m->directory);
	free(m->directory_name);
	free(m);
}

/* A path as the map means it: relative ones from base. */
static char *resolve(const char *base, const char *p, size_t n)
{
	bool relative = p[0] != '/' && !memmem(p, n, "://", 3) && *base;
	size_t bl = relative ? strlen(base) + 1 : 0;
	char *s = malloc(bl + n + 1);

	if (!s)
		return NULL;
	if (relative)
		snprintf(s, bl + 1, "%s/", base);
	memcpy(s + bl, p, n);
	s[bl + n] = '\0';
	return s;
}

/* The index of ledger (its path as used; name: as the map writes it),
 * added when new. */
static enum sc_status ledger_index(struct sc_shard_map *m, const char *ledger,
				   const char *name, size_t *idx, struct sc_diag *d)
{
	char **grown;

	for (size_t i = 0; i < m->nledgers; i++)
		if (!strcmp(m->ledgers[i], ledger)) {
			*idx = i;
			return SC_OK;
		}
	if (m->nledgers >= SC_LIMIT_SHARD_LEDGERS)
		return sc_diag_set(d, SC_ELIMIT, NULL, 0, 0, "ledger",
				   "more than %d ledgers", SC_LIMIT_SHARD_LEDGERS);
	if (!(grown = realloc(m->ledgers, (m->nledgers + 1) * sizeof(*grown))))
		return SC_ENOMEM;
	m->ledgers = grown;
	if (!(grown = realloc(m->names, (m->nledgers + 1) * sizeof(*grown))))
		return SC_ENOMEM;
	m->names = grown;
	m->ledgers[m->nledgers] = strdup(ledger);
	m->names[m->nledgers] = strdup(name);
	if (!m->ledgers[m->nledgers] || !m->names[m->nledgers]) {
		free(m->ledgers[m->nledgers]);
		free(m->names[m->nledgers]);
		return SC_ENOMEM;
	}
	*idx = m->nledgers++;
	return SC_OK;
}

/* A whole number of at most 10 digits at *p (advanced past it). */
static bool number(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;

	*v = 0;
	while (*p < end && **p >= '0' && **p <= '9' && *p - s < 10)
		*v = *v * 10 + (uint64_t)(*(*p)++ - '0');
	return *p > s && (*p == end || **p < '0' || **p > '9');
}

/* The next word of a line: up to a blank. */
static size_t word(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && p[n] != ' ' && p[n] != '\t')
		n++;
	return n;
}

static const char *blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return p;
}

struct parse {
	struct sc_shard_map *m;
	const char *name, *base;
	unsigned long line;
	struct sc_diag *d;
};

/* The line's refusal: msg, with what in place of its %s (what NULL: msg
 * has none). */
static enum sc_status fail(struct parse *ps, enum sc_status st, const char *field,
			   const char *msg, const char *what)
{
	if (what)
		sc_diag_set(ps->d, st, ps->name, ps->line, 0, field, msg, what);
	else
		sc_diag_set(ps->d, st, ps->name, ps->line, 0, field, "%s", msg);
	return st;
}

/* "A-B LEDGER" or "A LEDGER". */
static enum sc_status range_line(struct parse *ps, const char *p, const char *end)
{
	struct sc_shard_map *m = ps->m;
	uint64_t a, b;
	size_t n, idx;
	char *ledger, *as_written;
	enum sc_status st;

	if (!m->count)
		return fail(ps, SC_ESYNTAX, "shards", "the count ('shards N') must come before the ranges", NULL);
	if (!number(&p, end, &a))
		return fail(ps, SC_ESYNTAX, "range", "expected a logical shard number", NULL);
	b = a;
	if (p < end && *p == '-') {
		p++;
		if (!number(&p, end, &b))
			return fail(ps, SC_ESYNTAX, "range", "expected a logical shard number after '-'", NULL);
	}
	if (p >= end || (*p != ' ' && *p != '\t'))
		return fail(ps, SC_ESYNTAX, "range", "expected 'FIRST-LAST LEDGER'", NULL);
	if (a > b)
		return fail(ps, SC_ESYNTAX, "range", "the first shard is after the last", NULL);
	if (b >= m->count)
		return fail(ps, SC_ELIMIT, "range", "a logical shard past the count", NULL);
	p = blanks(p, end);
	n = word(p, end);
	if (!n)
		return fail(ps, SC_ESYNTAX, "ledger", "the range names no ledger", NULL);
	if (n > SC_LIMIT_SHARD_LEDGER)
		return fail(ps, SC_ELIMIT, "ledger", "a ledger name longer than the limit", NULL);
	if (blanks(p + n, end) != end)
		return fail(ps, SC_ESYNTAX, "ledger", "text after the ledger", NULL);
	ledger = resolve(ps->base, p, n);
	as_written = strndup(p, n);
	st = ledger && as_written ? ledger_index(m, ledger, as_written, &idx, ps->d) : SC_ENOMEM;
	free(ledger);
	free(as_written);
	if (st) {
		snprintf(ps->d->source, sizeof(ps->d->source), "%s", ps->name);
		ps->d->line = ps->line;
		return st;
	}
	for (uint64_t k = a; k <= b; k++) {
		if (m->owner[k] != UINT32_MAX) {
			char what[32];
			snprintf(what, sizeof(what), "%llu", (unsigned long long)k);
			return fail(ps, SC_ESYNTAX, "range", "logical shard %s is in two ranges", what);
		}
		m->owner[k] = (uint32_t)idx;
	}
	return SC_OK;
}

static enum sc_status one_line(struct parse *ps, const char *p, const char *end)
{
	struct sc_shard_map *m = ps->m;
	size_t n;

	p = blanks(p, end);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	if (memchr(p, '#', (size_t)(end - p)))
		end = memchr(p, '#', (size_t)(end - p));
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (p == end)
		return SC_OK;
	n = word(p, end);
	if (n == 6 && !memcmp(p, "shards", 6)) {
		uint64_t c;
		p = blanks(p + n, end);
		if (m->count)
			return fail(ps, SC_ESYNTAX, "shards", "the count is given twice", NULL);
		if (!number(&p, end, &c) || p != end)
			return fail(ps, SC_ESYNTAX, "shards", "expected a whole number", NULL);
		if (c < 1 || c > SC_LIMIT_SHARDS || (c & (c - 1)))
			return fail(ps, SC_ELIMIT, "shards", "the count must be a power of two from 1 to 65536", NULL);
		if (!(m->owner = malloc(c * sizeof(*m->owner))))
			return SC_ENOMEM;
		memset(m->owner, 0xff, c * sizeof(*m->owner));
		m->count = (uint32_t)c;
		return SC_OK;
	}
	if (n == 9 && !memcmp(p, "directory", 9)) {
		p = blanks(p + n, end);
		n = word(p, end);
		if (m->directory)
			return fail(ps, SC_ESYNTAX, "directory", "the directory is given twice", NULL);
		if (!n || blanks(p + n, end) != end)
			return fail(ps, SC_ESYNTAX, "directory", "expected one path", NULL);
		if (n > SC_LIMIT_SHARD_LEDGER)
			return fail(ps, SC_ELIMIT, "directory", "a path longer than the limit", NULL);
		if (memmem(p, n, "://", 3))
			return fail(ps, SC_ESYNTAX, "directory", "the directory is a file path", NULL);
		m->directory = resolve(ps->base, p, n);
		m->directory_name = strndup(p, n);
		return m->directory && m->directory_name ? SC_OK : SC_ENOMEM;
	}
	if (*p >= '0' && *p <= '9')
		return range_line(ps, p, end);
	{
		char what[40];
		snprintf(what, sizeof(what), "%.*s", (int)(n > 32 ? 32 : n), p);
		return fail(ps, SC_ESYNTAX, "statement",
			    "unknown statement '%s' (known: shards, directory, FIRST-LAST LEDGER)", what);
	}
}

enum sc_status sc_shard_map_parse(const char *text, size_t len, const char *name,
				  const char *base, struct sc_shard_map **out,
				  struct sc_diag *d)
{
	struct parse ps = {.name = name, .base = base ? base : "", .d = d};
	const char *p = text, *end = text + len;
	enum sc_status st = SC_OK;

	*out = NULL;
	if (len > SC_LIMIT_SHARD_MAP_BYTES)
		return sc_diag_set(d, SC_ELIMIT, name, 0, 0, NULL,
				   "the map is larger than %d bytes", SC_LIMIT_SHARD_MAP_BYTES);
	if (!(ps.m = calloc(1, sizeof(*ps.m))))
		return SC_ENOMEM;
	while (p < end && !st) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		ps.line++;
		if (memchr(p, '\0', (size_t)(le - p)))
			st = fail(&ps, SC_ESYNTAX, "statement", "a NUL byte in the line", NULL);
		else
			st = one_line(&ps, p, le);
		p = nl ? nl + 1 : end;
	}
	if (!st && !ps.m->count)
		st = sc_diag_set(d, SC_ESYNTAX, name, ps.line, 0, "shards",
				 "the map gives no count ('shards N')");
	if (!st && !ps.m->directory)
		st = sc_diag_set(d, SC_ESYNTAX, name, ps.line, 0, "directory",
				 "the map names no directory ('directory PATH')");
	for (uint32_t k = 0; !st && k < ps.m->count; k++)
		if (ps.m->owner[k] == UINT32_MAX)
			st = sc_diag_set(d, SC_ESYNTAX, name, ps.line, 0, "range",
					 "logical shard %u is on no ledger", k);
	if (st) {
		sc_shard_map_free(ps.m);
		return st;
	}
	*out = ps.m;
	return SC_OK;
}

enum sc_status sc_shard_map_load(const char *path, struct sc_shard_map **out,
				 struct sc_diag *d)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL, *base = NULL, *slash;
	size_t n = 0;
	enum sc_status st = SC_EIO;

	*out = NULL;
	if (!f)
		return sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot read the cluster map: %s",
				   strerror(errno));
	if (!(text = malloc(SC_LIMIT_SHARD_MAP_BYTES + 1)) || !(base = strdup(path))) {
		st = SC_ENOMEM;
		goto out;
	}
	n = fread(text, 1, SC_LIMIT_SHARD_MAP_BYTES + 1, f);
	if (ferror(f)) {
		st = sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot read the cluster map");
		goto out;
	}
	slash = strrchr(base, '/');
	if (slash)
		*slash = '\0';
	st = sc_shard_map_parse(text, n, path, slash ? base : "", out, d);
out:
	fclose(f);
	free(text);
	free(base);
	return st;
}

char *sc_shard_map_format(const struct sc_shard_map *m)
{
	size_t cap = 256 + strlen(m->directory_name), used;
	char *s;

	for (uint32_t k = 0; k < m->count; k++)
		if (k == 0 || m->owner[k] != m->owner[k - 1])
			cap += 24 + strlen(m->names[m->owner[k]]);
	if (!(s = malloc(cap)))
		return NULL;
	used = (size_t)snprintf(s, cap, "# socred cluster map (socred/shard.h)\nshards %u\ndirectory %s\n",
				m->count, m->directory_name);
	for (uint32_t k = 0, a = 0; k < m->count; k++)
		if (k + 1 == m->count || m->owner[k + 1] != m->owner[k]) {
			used += (size_t)snprintf(s + used, cap - used, "%u-%u %s\n", a, k,
						 m->names[m->owner[k]]);
			a = k + 1;
		}
	return s;
}

enum sc_status sc_shard_map_assign(struct sc_shard_map *m, uint32_t n,
				   const char *ledger, struct sc_diag *d)
{
	char cwd[4096], *abs = NULL;
	size_t idx;
	enum sc_status st;

	if (n >= m->count)
		return sc_diag_set(d, SC_EINVAL, NULL, 0, 0, "shard",
				   "logical shard %u is past the count %u", n, m->count);
	if (strlen(ledger) > SC_LIMIT_SHARD_LEDGER)
		return sc_diag_set(d, SC_ELIMIT, NULL, 0, 0, "ledger", "a ledger name longer than the limit");
	/* a relative file path is the caller's, from the working folder */
	if (ledger[0] != '/' && !strstr(ledger, "://")) {
		if (!getcwd(cwd, sizeof(cwd)))
			return sc_diag_set(d, SC_EIO, NULL, 0, 0, "ledger", "cannot tell the working folder");
		if (!(abs = malloc(strlen(cwd) + strlen(ledger) + 2)))
			return SC_ENOMEM;
		sprintf(abs, "%s/%s", cwd, ledger);
		ledger = abs;
	}
	st = ledger_index(m, ledger, ledger, &idx, d);
	free(abs);
	if (st)
		return st;
	m->owner[n] = (uint32_t)idx;
	return SC_OK;
}

enum sc_status sc_shard_map_save(const struct sc_shard_map *m, const char *path,
				 struct sc_diag *d)
{
	char tmp[4200], dir[4200], *text = sc_shard_map_format(m), *slash;
	size_t len;
	int fd = -1, dfd;
	enum sc_status st = SC_EIO;

	if (!text)
		return SC_ENOMEM;
	len = strlen(text);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		st = sc_diag_set(d, SC_ELIMIT, path, 0, 0, NULL, "the map's path is too long");
		goto out;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		st = sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot write the cluster map: %s",
				 strerror(errno));
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		unlink(tmp);
		st = sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot write the cluster map: %s",
				 strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		st = sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot replace the cluster map: %s",
				 strerror(errno));
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if ((dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	st = SC_OK;
out:
	if (fd >= 0)
		close(fd);
	free(text);
	return st;
}
