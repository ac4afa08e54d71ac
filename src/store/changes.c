/* The shared change counter (see changes.h). */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "changes.h"
#include "socred/sidefile.h"

#define MAP_BYTES 4096

struct sc_changes {
	_Atomic uint64_t *word;
};

enum sc_status sc_changes_open(const char *db, struct sc_changes **out,
			       struct sc_diag *d)
{
	char path[4096];
	struct sc_changes *c = NULL;
	enum sc_status st;
	void *map;
	int fd;

	*out = NULL;
	if (snprintf(path, sizeof(path), "%s.changes", db) >= (int)sizeof(path))
		return SC_OK;
	if ((st = sc_side_open_rw(path, &fd, d)))
		return st == SC_EREFUSED ? st : SC_OK;
	/* extending a short file leaves the counter at zero */
	if (lseek(fd, 0, SEEK_END) < MAP_BYTES && ftruncate(fd, MAP_BYTES) != 0)
		goto out_fd;
	map = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		goto out_fd;
	if (!(c = malloc(sizeof(*c)))) {
		munmap(map, MAP_BYTES);
		goto out_fd;
	}
	c->word = map;
out_fd:
	close(fd);
	*out = c;
	return SC_OK;
}

void sc_changes_close(struct sc_changes *c)
{
	if (!c)
		return;
	munmap((void *)c->word, MAP_BYTES);
	free(c);
}

void sc_changes_bump(struct sc_changes *c)
{
	if (c)
		atomic_fetch_add_explicit(c->word, 1, memory_order_release);
}

uint64_t sc_changes_read(const struct sc_changes *c)
{
	return c ? atomic_load_explicit(c->word, memory_order_acquire) : UINT64_MAX;
}
