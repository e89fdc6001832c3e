/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_view.h - how fwdguard-audit reads and shows stream entries
 * (milter/audit-tool/audit_view.c; private to the fwdguard-audit tool).
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
/* s as a quoted JSON string, controls, C1 and bidi controls as \u escapes. */
void view_json_string(FILE *out, const char *s);
/*
 * Bytes of the character at s (n > 0 bytes left; 1 for a byte that is not
 * UTF-8); *safe is false for controls (C0, DEL, C1), bidi controls and
 * bytes that are not UTF-8: what must not reach a reader's screen as is.
 */
size_t view_char(const char *s, size_t n, bool *safe);
void view_print_line(FILE *out, const struct view_entry *e);	/* one line, for tail */

/* search: rows collected, printed with aligned columns. */
struct view_table;
struct view_table *view_table_new(void);
int view_table_add(struct view_table *t, const struct view_entry *e);	/* 0 or -1 (ENOMEM) */
void view_table_print(FILE *out, const struct view_table *t);
void view_table_free(struct view_table *t);	/* accepts NULL */

/*
 * The kind of mail a decision is about, for the report: a copy of mail the
 * mailbox received (any forwarding signal), leak evidence (leak-probe,
 * leak-backscatter), the mailbox's own mail (sent), mail to the mailbox
 * (received), mail that concerns no protected mailbox (other), or a
 * forward set or removed in a protected directory entry (directory: rule
 * directory-change, written by fwdguard-audit watch; no mail involved).
 */
enum view_kind { VIEW_KIND_COPY, VIEW_KIND_LEAK, VIEW_KIND_SENT, VIEW_KIND_RECEIVED,
	VIEW_KIND_OTHER, VIEW_KIND_DIRECTORY, VIEW_KINDS };
enum view_kind view_entry_kind(const struct view_entry *e);
const char *view_kind_name(enum view_kind k);	/* "copy", "leak", ...; static */

/*
 * report: per mailbox, kind and destination, counts, actions, first and
 * last seen.  An action decided in monitor mode (the mail passed) is
 * counted as "<action>" VIEW_MONITOR_SUFFIX.
 */
#define VIEW_MONITOR_SUFFIX	"/monitor"
struct view_report;
struct view_report *view_report_new(void);
int view_report_add(struct view_report *r, const struct view_entry *e);	/* 0 or -1 (ENOMEM) */
void view_report_free(struct view_report *r);	/* accepts NULL */
/* Marks each group whose mailbox and destination before holds in no kind as
 * new; until called, rows say is_new -1 (not known). */
void view_report_mark_new(struct view_report *r, const struct view_report *before);
/* Drops the groups whose destination is not domain or under it. */
void view_report_keep_domain(struct view_report *r, const char *domain);
/* Orders the groups by kind, mailbox, count (highest first), destination. */
void view_report_sort(struct view_report *r);
/* The groups, borrowed from r until it changes or is freed. */
struct view_report_row {
	const char *mailbox, *dest, *cls;	/* terminal-safe cells */
	enum view_kind kind;
	long count, other;	/* other: decisions whose action was not kept (ENOMEM) */
	long long first, last;	/* unix ms */
	int is_new;		/* 1 new, 0 seen before the window, -1 not known */
	size_t nactions;	/* actions in the order first seen, with their counts */
	const char *const *action;
	const long *action_count;
};
size_t view_report_size(const struct view_report *r);
void view_report_row(const struct view_report *r, size_t i, struct view_report_row *row);
/* Text (a section per kind, aligned columns; NEW when marked) and JSON (one
 * object per group and line); both sort r (audit_report_print.c). */
void view_report_print(FILE *out, struct view_report *r);
void view_report_print_json(FILE *out, struct view_report *r);
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
