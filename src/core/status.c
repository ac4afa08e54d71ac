/* Status names and messages, generated from SC_STATUS_MAP; diagnostics. */
#include "socred/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *sc_status_name(enum sc_status st)
{
	switch (st) {
#define SC_X_NAME(name, value, msg) case name: return #name;
		SC_STATUS_MAP(SC_X_NAME)
#undef SC_X_NAME
	}
	return "SC_UNKNOWN";
}

const char *sc_status_message(enum sc_status st)
{
	switch (st) {
#define SC_X_MSG(name, value, msg) case name: return msg;
		SC_STATUS_MAP(SC_X_MSG)
#undef SC_X_MSG
	}
	return "unknown status";
}

void sc_diag_clear(struct sc_diag *d)
{
	/* the strings' first bytes are enough: ingest clears twice a line, and
	 * the whole struct is nearly a kilobyte */
	if (!d)
		return;
	d->source[0] = d->field[0] = d->message[0] = '\0';
	d->line = d->column = 0;
	d->warning = 0;
}

enum sc_status sc_diag_set(struct sc_diag *d, enum sc_status st,
			   const char *source, unsigned long line,
			   unsigned long column, const char *field,
			   const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return st;
	if (source)
		snprintf(d->source, sizeof(d->source), "%s", source);
	d->line = line;
	d->column = column;
	if (field)
		snprintf(d->field, sizeof(d->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
	d->warning = 0;
	return st;
}

size_t sc_diag_format(const struct sc_diag *d, char *buf, size_t size)
{
	size_t n = 0;
	int w;

	if (!size)
		return 0;
	buf[0] = '\0';
#define SC_APPEND(...)                                                      \
	do {                                                                \
		w = snprintf(buf + n, size - n, __VA_ARGS__);               \
		if (w < 0)                                                  \
			return n;                                           \
		n += (size_t)w;                                             \
		if (n >= size)                                              \
			return size - 1;                                    \
	} while (0)
	if (d->source[0])
		SC_APPEND("%s:", d->source);
	if (d->line)
		SC_APPEND("%lu:", d->line);
	if (d->column)
		SC_APPEND("%lu:", d->column);
	if (n)
		SC_APPEND(" ");
	if (d->warning)
		SC_APPEND("warning: ");
	if (d->field[0])
		SC_APPEND("field '%s': ", d->field);
	SC_APPEND("%s", d->message);
#undef SC_APPEND
	return n;
}
