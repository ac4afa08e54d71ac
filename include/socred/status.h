/* socred: status codes and diagnostics shared by every module.
 *
 * One enum for the whole library. Values are frozen: new codes are appended,
 * never renumbered. 0 is success. */
#ifndef SOCRED_STATUS_H
#define SOCRED_STATUS_H

#include <stddef.h>

/* X(name, value, message) */
#define SC_STATUS_MAP(X)                                                     \
	X(SC_OK, 0, "success")                                               \
	X(SC_ENOMEM, 1, "out of memory")                                     \
	X(SC_EINVAL, 2, "invalid argument")                                  \
	X(SC_EIO, 3, "input/output error")                                   \
	X(SC_ENOTFOUND, 4, "not found")                                      \
	X(SC_ESYNTAX, 5, "syntax error")                                     \
	X(SC_ELIMIT, 6, "limit exceeded")                                    \
	X(SC_ECONFLICT, 7, "conflicts with stored data")                     \
	X(SC_EDUPLICATE, 8, "duplicate")                                     \
	X(SC_EREFUSED, 9, "refused by construction")                         \
	X(SC_ESTORE, 10, "ledger error")                                     \
	X(SC_ESTATE, 11, "wrong state")                                      \
	X(SC_ECORRUPT, 12, "ledger is corrupt or from another version")    \
	X(SC_EBUSY, 13, "the ledger is being written by another connection")

enum sc_status {
#define SC_X_ENUM(name, value, msg) name = value,
	SC_STATUS_MAP(SC_X_ENUM)
#undef SC_X_ENUM
};

/* Static string naming the status ("SC_ENOMEM"); never NULL. */
const char *sc_status_name(enum sc_status st);
/* Static human message ("out of memory"); never NULL. */
const char *sc_status_message(enum sc_status st);

/* One diagnostic type for every parser (rulebook, CSV, JSONL, command
 * arguments). Strings are owned by the diag (fixed buffers), so a diag can be
 * copied by value. line/column are 1-based; 0 means "not applicable". */
#define SC_DIAG_SOURCE_MAX 256
#define SC_DIAG_FIELD_MAX 128
#define SC_DIAG_MESSAGE_MAX 512

struct sc_diag {
	char source[SC_DIAG_SOURCE_MAX];   /* file name, "<stdin>", "request" */
	unsigned long line;
	unsigned long column;
	char field[SC_DIAG_FIELD_MAX];     /* key, column or parameter name */
	char message[SC_DIAG_MESSAGE_MAX]; /* lowercase, problem first */
	int warning;                       /* 1: accepted with a warning */
};

/* Empties every string and zeroes the numbers. d may be NULL. */
void sc_diag_clear(struct sc_diag *d);
/* Fill d (if not NULL). Returns st, so callers can `return sc_diag_set(...)`.
 * source and field may be NULL (keep what d already names). */
enum sc_status sc_diag_set(struct sc_diag *d, enum sc_status st,
			   const char *source, unsigned long line,
			   unsigned long column, const char *field,
			   const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* "file:line:col: field 'f': message" into buf (always NUL-terminated). */
size_t sc_diag_format(const struct sc_diag *d, char *buf, size_t size);

#endif
