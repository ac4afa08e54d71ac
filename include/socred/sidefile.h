/* socred: the files socred keeps next to the ledger (<ledger>.changes,
 * .image, .snap and their temporaries).
 *
 * They hold people's data or steer what is read, so they are created
 * readable and writable by their owner only (SC_SIDE_MODE, whatever the
 * umask), and never opened, written or replaced through a symbolic link:
 * one planted in a side file's place is refused with SC_EREFUSED and a
 * message naming it, and the file it points at is left untouched. A new
 * file is written under a fresh name in the same folder (mkstemp), synced
 * and renamed into place, so a reader sees the old file or the new one. */
#ifndef SOCRED_SIDEFILE_H
#define SOCRED_SIDEFILE_H

#include <stddef.h>

#include "socred/status.h"

#define SC_SIDE_MODE 0600

/* Opens path read-only, not through a link. SC_OK (*fd yours to close),
 * SC_ENOTFOUND (no file), SC_EREFUSED (a symbolic link), SC_EIO; d names
 * path. */
enum sc_status sc_side_open_read(const char *path, int *fd, struct sc_diag *d);
/* Opens path read-write, creating it with SC_SIDE_MODE when missing. The
 * statuses of sc_side_open_read but SC_ENOTFOUND. */
enum sc_status sc_side_open_rw(const char *path, int *fd, struct sc_diag *d);
/* A new, empty temporary file for path: "<path>.XXXXXX" in its folder,
 * SC_SIDE_MODE. tmp (size bytes) receives its name. SC_OK, SC_EIO. */
enum sc_status sc_side_temp(const char *path, char *tmp, size_t size, int *fd,
			    struct sc_diag *d);
/* Syncs and closes fd (a temporary's, closed whatever the outcome). SC_OK,
 * SC_EIO (d names tmp). */
enum sc_status sc_side_sync_close(int fd, const char *tmp, struct sc_diag *d);
/* Renames tmp over path, and syncs the folder. SC_OK; SC_EREFUSED (path
 * is a symbolic link: it is left as it is); SC_EIO. tmp stays the caller's
 * to remove on failure. */
enum sc_status sc_side_replace(const char *tmp, const char *path, struct sc_diag *d);
/* SC_EREFUSED with d naming path when path is a symbolic link, else SC_OK. */
enum sc_status sc_side_not_link(const char *path, struct sc_diag *d);

#endif
