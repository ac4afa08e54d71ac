/* socred: signed heads of the audit log's Merkle tree (socred/merkle.h),
 * as a witness keeps them, and inclusion proofs checked offline. Ed25519
 * (libsodium). Pure: no I/O, no clock. docs/internals/merkle.md.
 *
 * A head is signed over the bytes
 *     "socred-audit-head v1\n" SIZE "\n" ROOT "\n" TIME "\n"
 * (SIZE in decimal, ROOT 64 lowercase hex digits, TIME as given), so any
 * Ed25519 tool can check it. It carries the frontier (the roots of the
 * tree's perfect subtrees, largest first), which must fold to ROOT: with
 * it a later check names the subtree where a rewritten log first
 * differs. Its text form, one head per block of lines (a file may hold
 * several):
 *     socred-audit-head v1
 *     size 1234
 *     root 3a7f...
 *     time 2026-12-07T16:20:00Z
 *     key 9c1e...             (the Ed25519 public key, 64 hex digits)
 *     signature 51d0...       (128 hex digits)
 *     frontier 8e2a... 04b1... (one per bit set in size; absent for 0)
 */
#ifndef SOCRED_AUDIT_HEAD_H
#define SOCRED_AUDIT_HEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "socred/merkle.h"
#include "socred/status.h"

#define SC_HEAD_KEY_BYTES 32     /* public key */
#define SC_HEAD_SECRET_BYTES 64  /* libsodium's secret key: seed and public key */
#define SC_HEAD_SEED_BYTES 32
#define SC_HEAD_SIG_BYTES 64
#define SC_HEAD_TIME_MAX 40
#define SC_HEAD_TEXT_MAX 8192    /* the text form of one head, at most */

struct sc_audit_head {
	uint64_t size;
	unsigned char root[SC_MERKLE_BYTES];
	char time[SC_HEAD_TIME_MAX];      /* "YYYY-MM-DDTHH:MM:SSZ", UTC */
	unsigned char key[SC_HEAD_KEY_BYTES];
	unsigned char sig[SC_HEAD_SIG_BYTES];
	struct sc_merkle_frontier tree;   /* tree.size == size */
	unsigned line;                    /* where it was read from (0: not read) */
};

/* The secret key from a 32-byte seed; the public key is its second half. */
void sc_audit_key_from_seed(const unsigned char seed[SC_HEAD_SEED_BYTES],
			    unsigned char sk[SC_HEAD_SECRET_BYTES]);
/* A new random seed. SC_OK or SC_EIO (no randomness). */
enum sc_status sc_audit_key_seed(unsigned char seed[SC_HEAD_SEED_BYTES]);

/* The head of tree f at time `time`, signed with sk, into h. */
void sc_audit_head_sign(struct sc_audit_head *h, const struct sc_merkle_frontier *f,
			const char *time, const unsigned char sk[SC_HEAD_SECRET_BYTES]);
/* Does h's signature verify under h->key, and its frontier fold to its
 * root? */
bool sc_audit_head_valid(const struct sc_audit_head *h);
/* The text form (above) into buf (room for SC_HEAD_TEXT_MAX); its length. */
size_t sc_audit_head_format(const struct sc_audit_head *h, char *buf);
/* The heads of a text (one or several, blank lines and '#' lines
 * between them) into *heads (caller frees with free()), *n set. SC_ESYNTAX
 * naming source, line and field; SC_ENOMEM. Signatures are not checked
 * here (sc_audit_head_valid). */
enum sc_status sc_audit_head_parse(const char *text, size_t len, const char *source,
				   struct sc_audit_head **heads, size_t *n, struct sc_diag *d);
/* One head's fields from strings (the JSON form): SC_ESYNTAX naming
 * source, line and field. frontier: n hex strings. */
enum sc_status sc_audit_head_set(struct sc_audit_head *h, uint64_t size, const char *root,
				 const char *time, const char *key, const char *sig,
				 const char *const *frontier, size_t n, const char *source,
				 unsigned line, struct sc_diag *d);

/* hex of n bytes into out (room for 2n + 1) */
void sc_hex(const unsigned char *b, size_t n, char *out);
/* exactly 2n hex digits into b: false when s is not that */
bool sc_unhex(const char *s, unsigned char *b, size_t n);

#endif
