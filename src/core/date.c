/* Civil-date arithmetic (Howard Hinnant's days_from_civil algorithm). */
#include "socred/date.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool sc_date_valid(int y, int m, int d)
{
	static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30,
						31, 31, 30, 31, 30, 31};
	if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= mdays[m - 1] + (m == 2 && is_leap(y));
}

sc_day sc_date_from_ymd(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void sc_date_to_ymd(sc_day z, int *y, int *m, int *d)
{
	int era, doe, yoe, doy, mp, yy;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool sc_date_parse(const char *s, size_t len, sc_day *out)
{
	int y, m, d;

	if (len != SC_DATE_LEN || s[4] != '-' || s[7] != '-')
		return false;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 0 || m < 0 || d < 0 || !sc_date_valid(y, m, d))
		return false;
	*out = sc_date_from_ymd(y, m, d);
	return true;
}

void sc_date_format(sc_day day, char buf[SC_DATE_LEN + 1])
{
	int y, m, d;

	sc_date_to_ymd(day > SC_DAY_LAST ? SC_DAY_LAST : day, &y, &m, &d);
	buf[0] = (char)('0' + y / 1000 % 10);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + d / 10);
	buf[9] = (char)('0' + d % 10);
	buf[10] = '\0';
}

sc_day sc_date_today(void)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	return sc_date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* Civil arithmetic, not gmtime_r and strftime: those take glibc's time
 * zone lock, and every audited request stamps its entry. */
void sc_time_now_iso(char buf[32])
{
	struct timespec ts;
	int64_t sec;
	int sod, ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	sec = (int64_t)ts.tv_sec;
	sod = (int)(((sec % 86400) + 86400) % 86400);
	ms = (int)(ts.tv_nsec / 1000000) % 1000;
	sc_date_format((sc_day)((sec - sod) / 86400), buf);
	buf[10] = 'T';
	buf[11] = (char)('0' + sod / 36000);
	buf[12] = (char)('0' + sod / 3600 % 10);
	buf[13] = ':';
	buf[14] = (char)('0' + sod % 3600 / 600);
	buf[15] = (char)('0' + sod % 600 / 60);
	buf[16] = ':';
	buf[17] = (char)('0' + sod % 60 / 10);
	buf[18] = (char)('0' + sod % 10);
	buf[19] = '.';
	buf[20] = (char)('0' + ms / 100);
	buf[21] = (char)('0' + ms / 10 % 10);
	buf[22] = (char)('0' + ms % 10);
	buf[23] = 'Z';
	buf[24] = '\0';
}
