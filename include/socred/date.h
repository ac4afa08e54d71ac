/* socred: calendar dates as day numbers (days since 1970-01-01, proleptic
 * Gregorian). Only dates 1900-01-01 .. 9999-12-31 are valid. */
#ifndef SOCRED_DATE_H
#define SOCRED_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int32_t sc_day;

/* "no date": used for an absent rectification, revocation or end. Compares
 * after every real date. */
#define SC_DAY_NONE INT32_MAX
/* 9999-12-31, the calendar's last day: a window that would end after it
 * never ends within it (sc_day_add gives SC_DAY_NONE, shown as open) */
#define SC_DAY_LAST 2932896
#define SC_DATE_LEN 10 /* "YYYY-MM-DD" */

/* Parses exactly "YYYY-MM-DD" (len bytes, no NUL needed) of a real calendar
 * day. Returns false for anything else (2025-02-30, 2025-2-3, ...). */
bool sc_date_parse(const char *s, size_t len, sc_day *out);
/* Is y-m-d a real day (1900..9999)? */
bool sc_date_valid(int y, int m, int d);
sc_day sc_date_from_ymd(int y, int m, int d);
void sc_date_to_ymd(sc_day day, int *y, int *m, int *d);
/* Writes "YYYY-MM-DD" and a NUL into buf[11]. A day past SC_DAY_LAST
 * (SC_DAY_NONE included) is written as 9999-12-31, never modulo 10,000:
 * callers show SC_DAY_NONE as open themselves. */
void sc_date_format(sc_day day, char buf[SC_DATE_LEN + 1]);
/* Today's date in local time. */
sc_day sc_date_today(void);
/* The current UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf[32]. */
void sc_time_now_iso(char buf[32]);
/* a + b, or SC_DAY_NONE when a is SC_DAY_NONE ("forever" stays forever) or
 * the sum passes the calendar's last day (a window ending after 9999-12-31
 * is open-ended). */
static inline sc_day sc_day_add(sc_day a, int32_t b)
{
	int64_t s = (int64_t)a + b;
	return (a == SC_DAY_NONE || s > SC_DAY_LAST) ? SC_DAY_NONE : (sc_day)s;
}

#endif
