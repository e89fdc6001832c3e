/*
 * audit_view.h - how fwdguard-audit reads and shows stream entries
 * (milter/audit_view.c; private to the fwdguard-audit tool).
 *
 * A view_entry borrows its strings from the hiredis reply it was parsed
 * from: it is valid until that reply is freed.  Tables and reports copy
 * what they keep.  All printing strips control bytes (terminal) or escapes
 * them (JSON): entry values are untrusted.
 */
#ifndef FWDGUARD_AUDIT_VIEW_H
#define FWDGUARD_AUDIT_VIEW_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#define VIEW_FIELDS_MAX	64

struct view_entry {
	const char *stream_id;
	size_t n;
	const char *field[VIEW_FIELDS_MAX];
	const char *value[VIEW_FIELDS_MAX];
};

/* Parses one [id, [field, value...]] element of a hiredis reply; 0 or -1. */
int view_entry_from_reply(const void *element, struct view_entry *e);
/* The entries array of the first stream in an XREAD reply, or NULL. */
const void *view_xread_entries(const void *reply);

const char *view_get(const struct view_entry *e, const char *field);	/* NULL when absent */
/* Decision time in unix ms: field "ts", else the stream id's time. */
long long view_entry_ms(const struct view_entry *e);

/*
 * "1717000000" (unix seconds), "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS[Z]"
 * (UTC), or "-N" with s/m/h/d/w relative to now.  0 and *ms, or -1.
 */
int view_parse_time(const char *s, time_t now, long long *ms);
/* Whether an address or domain is domain or one of its subdomains (ASCII case-insensitive). */
bool view_domain_match(const char *addr_or_domain, const char *domain);

/* For the report (audit_report.c): */
/* "YYYY-MM-DDTHH:MM:SSZ", or "-" for no time. */
void view_format_time(long long ms, char *buf, size_t size);
/* A copy fit for a terminal (owned, free it): controls, bidi controls and
 * bytes that are not UTF-8 become '?', empty or NULL becomes "-"; NULL on ENOMEM. */
char *view_cell(const char *v);
size_t view_width(const char *s);	/* columns: UTF-8 continuation bytes take none */
/* s padded to width + 2 columns, unless it is the last column of the line. */
void view_pad(FILE *out, const char *s, size_t width, bool last);

void view_print_json(FILE *out, const struct view_entry *e);	/* one line */
void view_print_line(FILE *out, const struct view_entry *e);	/* one line, for tail */

/* search: rows collected, printed with aligned columns. */
struct view_table;
struct view_table *view_table_new(void);
int view_table_add(struct view_table *t, const struct view_entry *e);	/* 0 or -1 (ENOMEM) */
void view_table_print(FILE *out, const struct view_table *t);
void view_table_free(struct view_table *t);	/* accepts NULL */

/* report: per mailbox and destination, counts, actions, first and last seen. */
struct view_report;
struct view_report *view_report_new(void);
int view_report_add(struct view_report *r, const struct view_entry *e);	/* 0 or -1 (ENOMEM) */
void view_report_print(FILE *out, struct view_report *r);	/* sorts r */
void view_report_free(struct view_report *r);	/* accepts NULL */
/*
 * The groups as text (owned, free it; NULL on ENOMEM), and back: decode
 * returns NULL for text that is not exactly what encode writes.  absorb
 * adds one report's groups to another as if its records came later: 0, or
 * -1 on ENOMEM (into is then incomplete).
 */
char *view_report_encode(const struct view_report *r);
struct view_report *view_report_decode(const char *text);
int view_report_absorb(struct view_report *into, const struct view_report *from);

#endif
