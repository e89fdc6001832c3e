/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * record.h - an audit record: an ordered list of (field, value) strings,
 * as written to the spool and to the Redis streams (README.md "The audit trail").
 *
 * Field "kind" says what the record is: "decision" (to <prefix>audit and
 * <prefix>mailbox:<mailbox>) or "alert" (to <prefix>alerts, also
 * PUBLISHed).  Field "id" is the unique id that makes replay idempotent.
 * Values are bounded (RECORD_VALUE_MAX, longer ones are cut and marked
 * with a trailing "...") and may hold any byte; the encoding escapes them.
 * The kinds and field names are those of record_fields.h.
 */
#ifndef FWDGUARD_RECORD_H
#define FWDGUARD_RECORD_H

#include <stddef.h>

#define RECORD_FIELDS_MAX	48
#define RECORD_VALUE_MAX	1024

struct record;

struct record *record_new(const char *kind);	/* NULL on ENOMEM */
void record_free(struct record *r);		/* accepts NULL */

/*
 * Sets (or replaces) a field; value NULL is stored as "".  Field names are
 * 1-64 of [A-Za-z0-9_.:-].  0, or -1 with errno: ENOMEM, E2BIG (too many
 * fields), EINVAL (bad field name).
 */
int record_set(struct record *r, const char *field, const char *value);

/* Borrowed value of a field, valid until the next record_set or free; NULL when absent. */
const char *record_get(const struct record *r, const char *field);

size_t record_count(const struct record *r);
/* Field i in insertion order; borrowed. */
void record_field(const struct record *r, size_t i, const char **field, const char **value);

/*
 * One line, '\n'-terminated: "field=value\tfield=value...\n" with '%', '=',
 * TAB, CR, LF, NUL and other control bytes in values written as %XX.
 * Returns a malloc'd buffer (caller frees) and its length in *len, or NULL.
 */
char *record_encode(const struct record *r, size_t *len);

/*
 * The same line written into a caller's buffer, for encoding many records
 * into one: record_encoded_size() bytes are enough (the line's length
 * plus one); record_encode_to() writes no NUL and returns the length.
 */
size_t record_encoded_size(const struct record *r);
size_t record_encode_to(const struct record *r, char *out);

/* Parses one line (without its '\n'); NULL when it is not a valid record. */
struct record *record_decode(const char *line, size_t len);

#endif
