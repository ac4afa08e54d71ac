/* socred: every limit on user-controlled sizes, in one place (like SQLite's
 * sqliteLimit.h). Inputs over a limit are rejected with SC_ELIMIT and a
 * diagnostic naming the file, line and field. */
#ifndef SOCRED_LIMITS_H
#define SOCRED_LIMITS_H

/* Ingest (CSV and JSONL). */
#define SC_LIMIT_LINE_BYTES (64 * 1024)   /* one record, quotes included */
#define SC_LIMIT_FIELDS 32                /* columns per CSV line */
#define SC_LIMIT_FIELD_BYTES 4096         /* one field */
#define SC_LIMIT_RECORD_ID 64             /* record_id characters */
#define SC_LIMIT_SUBJECT_ID 64            /* opaque subject id characters */
#define SC_LIMIT_TYPE 64                  /* category.name characters */
#define SC_LIMIT_REF 256                  /* legal reference bytes */
#define SC_LIMIT_NAME 64                  /* source, list, scorecard names */
#define SC_LIMIT_PERSON_NAME 128          /* a registered subject name, bytes */
#define SC_LIMIT_AMOUNT_DIGITS 14         /* integer digits: 10^14 * 10^4 fits int64 */
#define SC_LIMIT_AMOUNT_DECIMALS 4        /* fractional digits of an amount */
/* Lines per ledger transaction of an ingest: the store chooses within
 * these bounds, more as its subject index grows (see sqlite.c). */
#define SC_LIMIT_INGEST_BATCH 100000
#define SC_LIMIT_INGEST_BATCH_MAX 1000000
/* SQLite page cache of a connection while it ingests, at most (MiB): an
 * ingest into a small ledger takes 32 MiB, one into 1 M subjects about 80
 * (src/store/sqlite.c); this bounds an ingest's memory at any scale */
#define SC_LIMIT_INGEST_CACHE_MIB 128
/* the filter of the large tier of subject keys a writing connection
 * keeps, at most (MiB, a byte per key it holds; sqlite_keys.c): past it,
 * every new subject is looked up in that tier */
#define SC_LIMIT_KEY_FILTER_MIB 512
/* the WAL an ingest lets grow while its checkpoints run on their own
 * thread, at least (MiB; sqlite_ckpt.c): about the disk it may take
 * beyond the ledger's size */
#define SC_LIMIT_INGEST_WAL_MIB 256
/* records a first load into an empty PostgreSQL ledger files before it
 * builds the indexes it deferred (src/store/pg_bulk.c): its table of
 * record_id hashes takes at most 32 bytes a record, 1 GiB at this bound */
#define SC_LIMIT_INGEST_BULK_RECORDS (32u * 1024 * 1024)
/* lines validated ahead of the writes, per batch (two batches) */
#define SC_LIMIT_INGEST_AHEAD_LINES 4096
#define SC_LIMIT_INGEST_AHEAD_BYTES (4 * 1024 * 1024)

/* Rulebook. */
#define SC_LIMIT_RULEBOOK_BYTES (1024 * 1024)
#define SC_LIMIT_RULEBOOK_NODES 100000    /* YAML nodes visited */
#define SC_LIMIT_RULEBOOK_DEPTH 8         /* nesting the schema allows */
#define SC_LIMIT_TEXT 1024                /* basis, label, issued_by */
#define SC_LIMIT_SOURCES 256
#define SC_LIMIT_SCORECARDS 32
#define SC_LIMIT_RULES 1024               /* over all scorecards */
#define SC_LIMIT_GRADES 16
#define SC_LIMIT_LISTS 256
#define SC_LIMIT_MEASURES 1024
#define SC_LIMIT_PATTERNS 64              /* may_file / entered_by entries */
#define SC_LIMIT_CATALOGUE 4096           /* record types a rulebook declares */
#define SC_LIMIT_POINTS 1000000           /* |points|, |cap|, |base| ... */
#define SC_LIMIT_DAYS 36500               /* lapse, grace, duration ... */

/* Evaluation. */
#define SC_LIMIT_SUBJECT_RECORDS 100000   /* records one subject may hold */

/* client addresses whose refused requests a server counts apart in a
 * minute (each one audit entry with its count); beyond, one count for all
 * other clients */
#define SC_LIMIT_REFUSAL_CLIENTS 4096

/* Shards (socred/shard.h). */
#define SC_LIMIT_SHARDS 65536             /* logical shards in a cluster map */
#define SC_LIMIT_SHARD_LEDGERS 256        /* distinct ledgers a map names */
#define SC_LIMIT_SHARD_MAP_BYTES (1024 * 1024)
#define SC_LIMIT_SHARD_LEDGER 4000        /* a ledger path or URI in a map */

#endif
