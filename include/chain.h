/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * chain.h - the hash chain over a daemon's decision records
 * (man/fwdguard-audit.1, VERIFY).
 *
 * Every decision record carries the fields
 *   chain        32 hex digits naming the chain (random at its start)
 *   seq          its number in the chain, from 1
 *   prev         the hash of record seq - 1 of the chain (64 zeros at seq 1)
 *   chain_start  at seq 1 only: why a chain began (no state in the spool, a host rename)
 *   hash         SHA-256 of the record's canonical encoding, 64 lower-case hex
 * The canonical encoding of a record is "fwdguard-chain-1\n" followed by,
 * for every field as stored in the <prefix>audit stream except "hash", in
 * ascending bytewise order of the field names, the netstrings of its name
 * and of its value ("<decimal length>:<bytes>,").  The spool's field
 * "kind" is not in the stream and not hashed.
 */
#ifndef FWDGUARD_CHAIN_H
#define FWDGUARD_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include "record.h"

#define CHAIN_HEX	64	/* hex digits of a hash */
#define CHAIN_ID_LEN	32	/* hex digits of a chain id */

/* Where a chain stands after its last record; id[0] == '\0': no chain yet. */
struct chain_head {
	char id[CHAIN_ID_LEN + 1];
	char host[RECORD_VALUE_MAX + 1];
	unsigned long long seq;
	char hash[CHAIN_HEX + 1];
};

/* One field of an entry, with explicit lengths (stream values may hold any byte). */
struct chain_field {
	const char *name, *value;
	size_t nlen, vlen;
};

/*
 * The hash of an entry's fields (any order; "hash" and "kind" are left
 * out, the encoding sorts the rest).  0, or -1 when there are more than
 * CHAIN_FIELDS_MAX fields or two share a name.
 */
#define CHAIN_FIELDS_MAX	128
int chain_digest(const struct chain_field *f, size_t n, char out[CHAIN_HEX + 1]);

/* Whether r is a record the chain covers (kind "decision"). */
bool chain_covers(const struct record *r);

/*
 * Sets chain, seq, prev (and chain_start) then hash on a decision record
 * and moves h past it.  A chain starts when h holds none or names another
 * host.  0, or -1 with errno (h unchanged).
 */
int chain_stamp(struct chain_head *h, struct record *r);

/*
 * The head a spool line leaves: a stamped decision, or a "kind=chain" line
 * (a journal's first line, carrying the head so that the spool keeps it
 * when older journals are shipped and removed).  1 when r gives a head
 * (h set), else 0.
 */
int chain_head_from(const struct record *r, struct chain_head *h);

/*
 * The head the last complete line of a journal (read from fd, from its
 * start) leaves: 1 with h set, 0 when no line has one (h untouched), -1
 * with errno on a read error.  A torn last line is not a line: the spool
 * reader passes over it too.
 */
int chain_journal_head(int fd, struct chain_head *h);

/* The "kind=chain" record of h (caller frees), or NULL on ENOMEM. */
struct record *chain_head_record(const struct chain_head *h);

/*
 * An anchor: an alert record (type "anchor", level info) carrying a
 * chain's head, for <prefix>alerts; its "summary" is the line logged.
 * source says who anchored ("daemon", "verify").  Caller frees; NULL on
 * ENOMEM.
 */
struct record *chain_anchor_record(const struct chain_head *h, const char *source);

#endif
