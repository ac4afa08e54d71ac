/* Streamed reads from PostgreSQL: COPY (query) TO STDOUT in binary format,
 * a row at a time, so a read of the whole population never sits in one
 * result. The format: a 19-byte header (signature, flags, extension
 * length), then per row a 16-bit field count and per field a 32-bit length
 * (-1: NULL) and its bytes, all big-endian; a count of -1 ends it. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg_impl.h"

#define COPY_SIG "PGCOPY\n\377\r\n\0"
#define COPY_HEADER 19

static uint32_t be32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

int64_t sc_pq_be64(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (int64_t)((uint64_t)be32(u) << 32 | be32(u + 4));
}

int32_t sc_pq_be32(const char *p)
{
	return (int32_t)be32((const unsigned char *)p);
}

/* Splits one row message into fields: false when it is malformed. */
static bool row_split(const char *m, int len, int *nf, struct sc_pq_field *f, bool *end)
{
	const unsigned char *u = (const unsigned char *)m;
	int n, pos = 2;

	*end = false;
	if (len < 2)
		return false;
	n = (int16_t)(u[0] << 8 | u[1]);
	if (n == -1) {
		*end = true;
		return true;
	}
	if (n < 0 || n > SC_PQ_COPY_FIELDS)
		return false;
	for (int i = 0; i < n; i++) {
		int32_t fl;
		if (pos + 4 > len)
			return false;
		fl = (int32_t)be32(u + pos);
		pos += 4;
		if (fl < 0) {
			f[i] = (struct sc_pq_field){NULL, 0};
			continue;
		}
		if (fl > len - pos)
			return false;
		f[i] = (struct sc_pq_field){m + pos, fl};
		pos += fl;
	}
	*nf = n;
	return true;
}

enum sc_status sc_pq_copy_out(struct pq *p, const char *query, sc_pq_row_fn cb, void *ctx,
			      struct sc_diag *d)
{
	size_t qn = strlen(query);
	char *sql = malloc(qn + 64);
	struct sc_pq_field f[SC_PQ_COPY_FIELDS];
	PGresult *r;
	enum sc_status st = SC_OK;
	bool header = false, done = false;
	char *buf;
	int len;

	if (!sql)
		return SC_ENOMEM;
	snprintf(sql, qn + 64, "COPY (%s) TO STDOUT (FORMAT binary)", query);
	r = PQexec(p->c, sql);
	free(sql);
	if (!r || PQresultStatus(r) != PGRES_COPY_OUT) {
		st = sc_pq_err(p, r, d, "ledger read failed");
		PQclear(r);
		return st;
	}
	PQclear(r);
	while ((len = PQgetCopyData(p->c, &buf, 0)) > 0) {
		const char *m = buf;
		int nf = 0;
		bool end;

		if (!st && !header) { /* the header comes with the first row */
			if (len < COPY_HEADER || memcmp(m, COPY_SIG, 11)) {
				st = sc_diag_set(d, SC_ESTORE, p->where, 0, 0, NULL,
						 "ledger read failed: not a binary COPY stream");
			} else {
				uint32_t ext = be32((const unsigned char *)m + 15);
				header = true;
				if (ext > (uint32_t)(len - COPY_HEADER))
					st = sc_diag_set(d, SC_ESTORE, p->where, 0, 0, NULL,
							 "ledger read failed: a bad COPY header");
				m += COPY_HEADER + ext;
				len -= COPY_HEADER + (int)ext;
			}
		}
		if (!st && !done && len > 0) {
			if (!row_split(m, len, &nf, f, &end))
				st = sc_diag_set(d, SC_ESTORE, p->where, 0, 0, NULL,
						 "ledger read failed: a malformed COPY row");
			else if (end)
				done = true;
			else
				st = cb(ctx, nf, f);
		}
		/* after a failure the rest is read and dropped: the connection
		 * stays usable */
		PQfreemem(buf);
	}
	if (len == -2 && !st)
		st = sc_pq_err(p, NULL, d, "ledger read failed");
	while ((r = PQgetResult(p->c))) {
		if (!st && PQresultStatus(r) != PGRES_COMMAND_OK)
			st = sc_pq_err(p, r, d, "ledger read failed");
		PQclear(r);
	}
	return st;
}
