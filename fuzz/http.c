/* Fuzzes the service end to end: each input is raw bytes sent to a real
 * socred server (libmicrohttpd and every handler, in this process, so the
 * sanitizers see its threads) over a loopback socket. "@A@", "@P@", "@E@"
 * and "@S@" in an input become the tokens of an admin, a provider (court),
 * an enforcer (air_travel, rail_high_speed) and a subject key, so inputs
 * reach past authentication. Beyond not crashing: no response is a 5xx
 * (but 505, the HTTP library refusing a protocol version). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "harness.h"
#include "socred/access.h"
#include "socred/ingest.h"
#include "socred/server.h"
#include "socred/store.h"

#define SUBJECT "11010519491231002X"

static struct sc_server *srv;
static uint16_t port;
static char dir[64] = "/tmp/socred-fuzz-http-XXXXXX";
static char tokens[4][SC_KEY_TOKEN_MAX];
static const char *const marks[4] = {"@A@", "@P@", "@E@", "@S@"};

static const char records[] =
	"op,record_id,subject,type,date,source,ref,name\n"
	",f1," SUBJECT ",court.judgment_default,2025-06-01,court,(2025) Jing 1,\n"
	",f2," SUBJECT ",traffic.violation,2025-07-01,traffic,,\n"
	",f3,91110000600037341L,tax.late_filing,2025-03-01,tax,,\n"
	"register,," SUBJECT ",,2025-01-01,,,Zhang San\n";

static void die(const char *what, const struct sc_diag *d)
{
	fprintf(stderr, "fuzz http: %s: %s\n", what, d ? d->message : "");
	abort();
}

static void add_key(struct sc_store *st, const struct sc_rulebook *rb, int i,
		    enum sc_role role, const char *source, const char *actions,
		    const char *subject)
{
	struct sc_key k;
	struct sc_diag d;
	char secret[SC_KEY_SECRET_HEX];

	memset(&k, 0, sizeof(k));
	k.role = role;
	snprintf(k.name, sizeof(k.name), "fuzz %d", i);
	if (sc_key_binding(rb, role, source, actions, subject, k.binding, sizeof(k.binding), &d))
		die("key binding", &d);
	if (sc_key_secret(secret, k.hash) || sc_store_key_add(st, &k, &d))
		die("key", &d);
	sc_key_token(k.id, secret, tokens[i]);
}

static void teardown(void)
{
	char cmd[128];

	sc_server_stop(srv);
	srv = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "fuzz http: cannot remove %s\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char db[128];
	static const char openapi[] = "openapi: 3.0.3\n";
	const struct sc_rulebook *rb = fuzz_default_rulebook();
	struct sc_store *st = NULL;
	struct sc_diag d;
	struct sc_ingest_stats stats = {0};
	struct sc_ingest_opts io = {.format = SC_FORMAT_CSV};
	struct sc_server_opts so = {0};
	FILE *in;

	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	snprintf(db, sizeof(db), "%s/fuzz.db", dir);
	if (sc_store_open(db, SC_STORE_CREATE, &st, &d) ||
	    sc_store_rulebook_put(st, rb, SC_DAY_NONE, &d))
		die("ledger", &d);
	add_key(st, rb, 0, SC_ROLE_ADMIN, NULL, NULL, NULL);
	add_key(st, rb, 1, SC_ROLE_PROVIDER, "court", NULL, NULL);
	add_key(st, rb, 2, SC_ROLE_ENFORCER, NULL, "air_travel,rail_high_speed", NULL);
	add_key(st, rb, 3, SC_ROLE_SUBJECT, NULL, NULL, SUBJECT);
	if (!(in = fmemopen((void *)records, sizeof(records) - 1, "rb")) ||
	    sc_ingest_stream(st, rb, in, "seed", &io, &stats, &d) || stats.rejected)
		die("seed records", &d);
	fclose(in);
	sc_store_close(st);
	so.db = db;
	so.host = "127.0.0.1";
	so.threads = 2;
	sc_date_parse("2025-12-31", 10, &so.today);
	so.openapi = openapi;
	so.openapi_len = sizeof(openapi) - 1;
	if (sc_server_start(&so, &srv, &d))
		die("server", &d);
	port = sc_server_port(srv);
	atexit(teardown);
	return 0;
}

/* The input with every mark replaced by its token; caller frees. */
static char *expand(const uint8_t *data, size_t size, size_t *len)
{
	char *out = malloc(size * SC_KEY_TOKEN_MAX / 3 + 1), *o = out;

	if (!out)
		abort();
	for (size_t i = 0; i < size;) {
		int m = -1;
		for (int k = 0; k < 4 && i + 3 <= size; k++)
			if (!memcmp(data + i, marks[k], 3))
				m = k;
		if (m >= 0) {
			size_t n = strlen(tokens[m]);
			memcpy(o, tokens[m], n);
			o += n;
			i += 3;
		} else {
			*o++ = (char)data[i++];
		}
	}
	*len = (size_t)(o - out);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	/* the first answer may be slow on a loaded machine (a sanitizer
	 * build): a short wait would pass an input unchecked */
	struct timeval tv = {.tv_sec = 10};
	static char resp[1 << 20];
	size_t len, got = 0;
	char *req = expand(data, size, &len);
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		abort();
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		abort(); /* the server stopped listening */
	for (size_t off = 0; off < len; off += (size_t)n)
		if ((n = send(fd, req + off, len - off, MSG_NOSIGNAL)) <= 0)
			break; /* the server may close early on a bad request */
	shutdown(fd, SHUT_WR);
	/* the server keeps a kept-alive connection open after our half-close:
	 * once answers start coming, a short silence ends the exchange */
	while (got < sizeof(resp) - 1 && (n = recv(fd, resp + got, sizeof(resp) - 1 - got, 0)) > 0) {
		got += (size_t)n;
		tv = (struct timeval){.tv_usec = 5000};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	resp[got] = '\0';
	close(fd);
	free(req);
	/* every response in the stream (pipelined requests answer in order);
	 * 505 is libmicrohttpd refusing an HTTP version, as it should */
	for (const char *p = resp; (p = strstr(p, "HTTP/1.")) != NULL; p += 8)
		if (p + 11 < resp + got && p[8] == ' ' && p[9] == '5' &&
		    memcmp(p + 9, "505", 3) && (p == resp || p[-1] == '\n')) {
			fprintf(stderr, "fuzz http: a 5xx answer:\n%.400s\n", p);
			abort();
		}
	return 0;
}
