/* Side files: private, never through a link (see socred/sidefile.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socred/sidefile.h"

static enum sc_status refused(const char *path, struct sc_diag *d)
{
	return sc_diag_set(d, SC_EREFUSED, path, 0, 0, NULL,
			   "is a symbolic link: socred never reads or writes its side files"
			   " through one (remove it)");
}

enum sc_status sc_side_not_link(const char *path, struct sc_diag *d)
{
	struct stat sb;

	return lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode) ? refused(path, d) : SC_OK;
}

static enum sc_status open_err(const char *path, struct sc_diag *d)
{
	int e = errno;

	/* O_NOFOLLOW fails with ELOOP on a link (some systems say EMLINK) */
	if ((e == ELOOP || e == EMLINK) && sc_side_not_link(path, NULL))
		return refused(path, d);
	return sc_diag_set(d, e == ENOENT ? SC_ENOTFOUND : SC_EIO, path, 0, 0, NULL,
			   "cannot open: %s", strerror(e));
}

enum sc_status sc_side_open_read(const char *path, int *fd, struct sc_diag *d)
{
	int f = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (f < 0)
		return open_err(path, d);
	*fd = f;
	return SC_OK;
}

enum sc_status sc_side_open_rw(const char *path, int *fd, struct sc_diag *d)
{
	int f = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	enum sc_status st;

	if (f < 0 && errno == ENOENT) {
		/* a new one: exactly owner-only, whatever the umask */
		f = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, SC_SIDE_MODE);
		if (f >= 0 && fchmod(f, SC_SIDE_MODE) != 0) {
			st = sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot set its mode: %s",
					 strerror(errno));
			close(f);
			return st;
		}
		if (f < 0 && errno == EEXIST) /* made meanwhile by another process */
			f = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	}
	if (f < 0)
		return (st = open_err(path, d)) == SC_ENOTFOUND ? SC_EIO : st;
	*fd = f;
	return SC_OK;
}

enum sc_status sc_side_temp(const char *path, char *tmp, size_t size, int *fd,
			    struct sc_diag *d)
{
	int f;

	if (snprintf(tmp, size, "%s.XXXXXX", path) >= (int)size)
		return sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "path is too long");
	/* a fresh name (O_EXCL): nothing planted can be written through */
	if ((f = mkstemp(tmp)) < 0)
		return sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot create a temporary: %s",
				   strerror(errno));
	if (fchmod(f, SC_SIDE_MODE) != 0 || fcntl(f, F_SETFD, FD_CLOEXEC) != 0) {
		enum sc_status st = sc_diag_set(d, SC_EIO, tmp, 0, 0, NULL,
						"cannot set its mode: %s", strerror(errno));
		close(f);
		unlink(tmp);
		return st;
	}
	*fd = f;
	return SC_OK;
}

enum sc_status sc_side_sync_close(int fd, const char *tmp, struct sc_diag *d)
{
	int e = 0;

	if (fsync(fd) != 0)
		e = errno;
	if (close(fd) != 0 && !e)
		e = errno;
	return e ? sc_diag_set(d, SC_EIO, tmp, 0, 0, NULL, "cannot write: %s", strerror(e))
		 : SC_OK;
}

enum sc_status sc_side_replace(const char *tmp, const char *path, struct sc_diag *d)
{
	char dir[4096];
	enum sc_status st;
	int fd;

	if ((st = sc_side_not_link(path, d)))
		return st;
	if (rename(tmp, path) != 0)
		return sc_diag_set(d, SC_EIO, path, 0, 0, NULL, "cannot put in place: %s",
				   strerror(errno));
	/* the rename itself survives a crash once the folder is synced;
	 * best effort: the file is derived data, rebuilt if it is lost */
	snprintf(dir, sizeof(dir), "%s", path);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return SC_OK;
}
