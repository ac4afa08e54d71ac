/* The audit log's signing key file (socred/audit_key.h). */
#define _GNU_SOURCE
#include "socred/audit_key.h"
#include "socred/ledger_path.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

bool sc_audit_key_path(const char *ledger, char *out, size_t cap)
{
	const char *env = getenv(SC_AUDIT_KEY_ENV);
	char base[4096];
	int n;

	if (env && *env)
		n = snprintf(out, cap, "%s", env);
	else if (sc_ledger_local(ledger, base, sizeof(base)))
		n = snprintf(out, cap, "%s%s", base, SC_AUDIT_KEY_SUFFIX);
	else
		return false;

	return n > 0 && (size_t)n < cap;
}

static enum sc_status create_key(const char *path, struct sc_diag *d)
{
	unsigned char seed[SC_HEAD_SEED_BYTES];
	char hex[2 * SC_HEAD_SEED_BYTES + 1], text[256];
	int fd, n;
	enum sc_status st = SC_OK;

	if (sc_audit_key_seed(seed))
		return sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "no randomness for a new audit key");
	sc_hex(seed, sizeof(seed), hex);
	n = snprintf(text, sizeof(text),
		     "# socred audit signing key (Ed25519 seed): keep it secret, keep a copy\n%s\n", hex);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		st = sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot create the audit key: %s",
				 strerror(errno));
		goto out;
	}
	if (write(fd, text, (size_t)n) != n || fsync(fd)) {
		st = sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot write the audit key: %s",
				 strerror(errno));
		unlink(path);
	}
	close(fd);
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(text, sizeof(text));
	return st;
}

enum sc_status sc_audit_key_load(const char *path, bool create,
				 unsigned char sk[SC_HEAD_SECRET_BYTES], bool *created,
				 struct sc_diag *d)
{
	unsigned char seed[SC_HEAD_SEED_BYTES];
	char buf[512];
	struct stat sb;
	ssize_t len;
	unsigned line = 0;
	bool found = false;
	enum sc_status st = SC_OK;
	int fd;

	if (created)
		*created = false;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if ((st = create_key(path, d)))
			return st;
		if (created)
			*created = true;
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		if (errno == ENOENT)
			return sc_diag_set(d, SC_ENOTFOUND, path, 0, 0, NULL,
					   "no audit signing key (create one with 'socred audit head',"
					   " which makes it on first use, or set " SC_AUDIT_KEY_ENV ")");
		if (errno == ELOOP)
			return sc_diag_set(d, SC_EREFUSED, path, 0, 0, NULL,
					   "the audit key is a symbolic link: refused");
		return sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot open the audit key: %s",
				   strerror(errno));
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (sb.st_mode & 0077)) {
		close(fd);
		return sc_diag_set(d, SC_EREFUSED, path, 0, 0, NULL,
				   "the audit key must be a file only its owner can read (chmod 600)");
	}
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len < 0)
		return sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot read the audit key: %s",
				   strerror(errno));
	buf[len] = '\0';
	for (char *p = buf, *nl; *p && !found; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		line++;
		if (nl)
			*nl = '\0';
		if (*p == '#' || !*p)
			continue;
		if (!sc_unhex(p, seed, sizeof(seed))) {
			st = sc_diag_set(d, SC_ESYNTAX, path, line, 0, NULL,
					 "the audit key must be 64 hex digits");
			break;
		}
		found = true;
	}
	if (!st && !found)
		st = sc_diag_set(d, SC_ESYNTAX, path, line, 0, NULL, "the audit key file holds no key");
	if (!st)
		sc_audit_key_from_seed(seed, sk);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(buf, sizeof(buf));
	return st;
}

void sc_audit_head_time(char out[SC_HEAD_TIME_MAX])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, SC_HEAD_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

enum sc_status sc_audit_head_make(struct sc_store *st, const char *key_path, bool create,
				  struct sc_audit_head *h, bool *created, struct sc_diag *d)
{
	unsigned char sk[SC_HEAD_SECRET_BYTES];
	struct sc_merkle_frontier *f = malloc(sizeof(*f));
	char now[SC_HEAD_TIME_MAX];
	enum sc_status s;

	if (!f)
		return sc_diag_set(d, SC_ENOMEM, NULL, 0, 0, NULL, "out of memory");
	if (!(s = sc_audit_key_load(key_path, create, sk, created, d)) &&
	    !(s = sc_store_audit_tree(st, f, d))) {
		sc_audit_head_time(now);
		sc_audit_head_sign(h, f, now, sk);
	}
	sodium_memzero(sk, sizeof(sk));
	free(f);
	return s;
}
