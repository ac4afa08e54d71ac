/* The storage ops table: one implementation per backend (sqlite.c now,
 * postgres.c later), like sqlite3_vfs. store.c dispatches to it. */
#ifndef SOCRED_STORE_IMPL_H
#define SOCRED_STORE_IMPL_H

#include "socred/store.h"

#define SC_STORE_OPS_VERSION 1

struct sc_store_ops {
	int version;
	const char *name;
	enum sc_status (*open)(const char *path, unsigned flags, void **impl,
			       struct sc_diag *d);
	void (*close)(void *impl);
	enum sc_status (*rulebook_put)(void *impl, const struct sc_rulebook *rb,
				       struct sc_diag *d);
	enum sc_status (*rulebook_get)(void *impl, char **text, size_t *len,
				       struct sc_diag *d);
	enum sc_status (*begin)(void *impl, struct sc_diag *d);
	enum sc_status (*commit)(void *impl, struct sc_diag *d);
	void (*rollback)(void *impl);
	enum sc_status (*record_add)(void *impl, const struct sc_store_add *r,
				     struct sc_diag *d);
	enum sc_status (*record_event)(void *impl,
				       const struct sc_store_event *e,
				       struct sc_diag *d);
	enum sc_status (*consent)(void *impl, struct sc_text subject,
				  enum sc_kind kind, struct sc_text scorecard,
				  bool granted, sc_day date, struct sc_diag *d);
	enum sc_status (*subject_load)(void *impl, const struct sc_rulebook *rb,
				       struct sc_text id, struct sc_loaded *out,
				       struct sc_diag *d);
	enum sc_status (*scan)(void *impl, const struct sc_rulebook *rb,
			       sc_store_visit_fn cb,
			       sc_store_progress_fn progress, void *ctx,
			       struct sc_diag *d);
	enum sc_status (*record_name)(void *impl, int64_t rid, char *buf,
				      size_t size, struct sc_diag *d);
	enum sc_status (*counts)(void *impl, struct sc_store_counts *c,
				 struct sc_diag *d);
	enum sc_status (*run_begin)(void *impl, sc_day at, int64_t *run,
				    struct sc_diag *d);
	enum sc_status (*run_put_card)(void *impl, int64_t run, int64_t sid,
				       const char *scorecard,
				       const char *status, int32_t score,
				       const char *grade, struct sc_diag *d);
	enum sc_status (*run_put_list)(void *impl, int64_t run, int64_t sid,
				       const char *list, int64_t rid,
				       sc_day since, sc_day until,
				       struct sc_diag *d);
	enum sc_status (*run_finish)(void *impl, int64_t run,
				     uint64_t subjects, double seconds,
				     struct sc_diag *d);
	enum sc_status (*key_add)(void *impl, struct sc_key *k, struct sc_diag *d);
	enum sc_status (*key_get)(void *impl, int64_t id, struct sc_key *out,
				  struct sc_diag *d);
	enum sc_status (*key_revoke)(void *impl, int64_t id, struct sc_diag *d);
	enum sc_status (*key_list)(void *impl, sc_store_key_fn cb, void *ctx,
				   struct sc_diag *d);
	enum sc_status (*audit_append)(void *impl, struct sc_audit_entry *e,
				       size_t n, struct sc_diag *d);
	enum sc_status (*audit_verify)(void *impl, uint64_t *count, int64_t *bad,
				       struct sc_diag *d);
	enum sc_status (*audit_subject)(void *impl, const char *subject,
					sc_store_audit_fn cb, void *ctx,
					struct sc_diag *d);
};

extern const struct sc_store_ops sc_store_sqlite_ops;

#endif
