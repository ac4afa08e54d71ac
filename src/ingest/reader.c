/* Buffered, bounded record reader. The common case (a byte that is neither
 * a quote nor a newline) stays in a tight loop over the buffer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

#define READ_BUF (256 * 1024)

enum sc_status sc_reader_init(struct sc_reader *r, FILE *f, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->name = name;
	r->next_line = 1;
	r->buf = malloc(READ_BUF);
	r->rec = malloc(SC_LIMIT_LINE_BYTES + 1);
	if (!r->buf || !r->rec) {
		sc_reader_release(r);
		return SC_ENOMEM;
	}
	return SC_OK;
}

void sc_reader_release(struct sc_reader *r)
{
	free(r->buf);
	free(r->rec);
	r->buf = r->rec = NULL;
}

/* Rare path: refill. Returns false at end of input or on error. */
static bool refill(struct sc_reader *r, enum sc_status *st)
{
	if (r->eof)
		return false;
	r->blen = fread(r->buf, 1, READ_BUF, r->f);
	r->bpos = 0;
	if (r->blen == 0) {
		r->eof = true;
		if (ferror(r->f))
			*st = SC_EIO;
		return false;
	}
	if (!r->started) {
		r->started = true;
		if (r->blen >= 3 && !memcmp(r->buf, "\xEF\xBB\xBF", 3)) {
			r->bpos = 3; /* a UTF-8 byte order mark */
			r->consumed += 3;
		}
	}
	return true;
}

enum sc_status sc_reader_next(struct sc_reader *r, bool quoted,
			      struct sc_line *out, struct sc_diag *d)
{
	bool inq = false, any = false, too_long = false, nul = false;
	bool at_start = true, closed = false; /* RFC 4180 quote state */
	enum sc_status io = SC_OK;
	unsigned long start = r->next_line;

	r->rlen = 0;
	for (;;) {
		char *p, *end;
		if (r->bpos >= r->blen && !refill(r, &io))
			break;
		any = true;
		p = r->buf + r->bpos;
		end = r->buf + r->blen;
		while (p < end) {
			char c = *p++;
			if (c == '\n') {
				r->next_line++;
				if (!inq)
					goto record_end;
			} else if (c == '\0') {
				nul = true;
			}
			if (quoted) {
				/* a quote opens only at a field's start, or right
				 * after a closing one (an escaped ""); a stray
				 * quote inside an unquoted field is left to the
				 * splitter to reject */
				bool was_closed = closed;
				closed = false;
				if (inq) {
					if (c == '"') {
						inq = false;
						closed = true;
					}
				} else if (c == '"' && (at_start || was_closed)) {
					inq = true;
				}
				at_start = !inq && c == ',';
			}
			if (r->rlen < SC_LIMIT_LINE_BYTES)
				r->rec[r->rlen++] = c;
			else
				too_long = true;
			continue;
record_end:
			r->consumed += (uint64_t)(p - (r->buf + r->bpos));
			r->bpos = (size_t)(p - r->buf);
			goto done;
		}
		r->consumed += (uint64_t)(p - (r->buf + r->bpos));
		r->bpos = r->blen;
	}
	if (io)
		return sc_diag_set(d, SC_EIO, r->name, start, 0, NULL,
				   "cannot read: %s", strerror(errno));
	if (!any || (r->rlen == 0 && !too_long))
		return SC_ENOTFOUND;
done:
	if (r->rlen && r->rec[r->rlen - 1] == '\r')
		r->rlen--;
	r->rec[r->rlen] = '\0';
	out->raw = r->rec;
	out->len = r->rlen;
	out->line = start;
	if (too_long)
		return sc_diag_set(d, SC_ELIMIT, r->name, start, 0, NULL,
				   "line is longer than %d bytes",
				   SC_LIMIT_LINE_BYTES);
	if (inq)
		return sc_diag_set(d, SC_ESYNTAX, r->name, start, 0, NULL,
				   "unterminated quoted field");
	if (nul)
		return sc_diag_set(d, SC_ESYNTAX, r->name, start, 0, NULL,
				   "line contains a NUL byte");
	return SC_OK;
}
