/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_view.c - parsing and showing audit stream entries for
 * fwdguard-audit: times, JSON lines, aligned tables, the per-mailbox report.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hiredis/hiredis.h>

#include "audit_view.h"
#include "record_fields.h"

/* ---- entries ------------------------------------------------------------ */

int view_entry_from_reply(const void *element, struct view_entry *e)
{
	const redisReply *r = element;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_ARRAY)
		return -1;
	const redisReply *kv = r->element[1];
	e->stream_id = r->element[0]->str;
	e->n = 0;
	for (size_t i = 0; i + 1 < kv->elements && e->n < VIEW_FIELDS_MAX; i += 2) {
		if (kv->element[i]->type != REDIS_REPLY_STRING ||
		    kv->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		e->field[e->n] = kv->element[i]->str;
		e->value[e->n] = kv->element[i + 1]->str;
		e->n++;
	}
	return 0;
}

const void *view_xread_entries(const void *reply)
{
	const redisReply *r = reply;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1)
		return NULL;
	const redisReply *s = r->element[0];
	if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 || s->element[1]->type != REDIS_REPLY_ARRAY)
		return NULL;
	return s->element[1];
}

const char *view_get(const struct view_entry *e, const char *field)
{
	/* A report asks each entry for half a dozen of its ~25 fields: the
	 * first byte rules most of them out without a call. */
	for (size_t i = 0; i < e->n; i++)
		if (e->field[i][0] == field[0] && strcmp(e->field[i], field) == 0)
			return e->value[i];
	return NULL;
}

long long view_entry_ms(const struct view_entry *e)
{
	const char *ts = view_get(e, REC_TS);
	char *end;
	if (ts != NULL && *ts != '\0') {
		long long v = strtoll(ts, &end, 10);
		if (*end == '\0' && v > 0)
			return v;
	}
	return strtoll(e->stream_id, NULL, 10);
}

/* ---- times and domains ---------------------------------------------------- */

int view_parse_time(const char *s, time_t now, long long *ms)
{
	char *end;
	if (s[0] == '-' && isdigit((unsigned char)s[1])) {
		long long n = strtoll(s + 1, &end, 10);
		static const char units[] = "smhdw";
		static const long long secs[] = { 1, 60, 3600, 86400, 604800 };
		const char *u = *end != '\0' ? strchr(units, *end) : NULL;
		if (u == NULL || end[1] != '\0' || n > 100LL * 365 * 86400)
			return -1;
		*ms = ((long long)now - n * secs[u - units]) * 1000;
		if (*ms < 0)
			*ms = 0;
		return 0;
	}
	if (isdigit((unsigned char)s[0]) && strspn(s, "0123456789") == strlen(s)) {
		long long v = strtoll(s, &end, 10);
		if (v > INT64_MAX / 1000)
			return -1;
		*ms = v * 1000;
		return 0;
	}
	struct tm tm = { 0 };
	const char *rest = strptime(s, "%Y-%m-%d", &tm);
	if (rest != NULL && *rest == 'T')
		rest = strptime(rest + 1, "%H:%M:%S", &tm);
	if (rest != NULL && *rest == 'Z')
		rest++;
	if (rest == NULL || *rest != '\0')
		return -1;
	time_t t = timegm(&tm);
	if (t < 0)
		return -1;
	*ms = (long long)t * 1000;
	return 0;
}

bool view_domain_match(const char *v, const char *domain)
{
	if (v == NULL || domain == NULL || *domain == '\0')
		return false;
	const char *at = strrchr(v, '@');
	const char *d = at != NULL ? at + 1 : v;
	size_t dl = strlen(d), ql = strlen(domain);
	if (dl < ql || strcasecmp(d + dl - ql, domain) != 0)
		return false;
	return dl == ql || d[dl - ql - 1] == '.';
}

void view_format_time(long long ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (ms <= 0 || gmtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "-");
}

/* ---- output ------------------------------------------------------------- */

/* Length of a valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t view_utf8_len(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
	if (len == 0 || len > n || p[0] > 0xF4)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

/*
 * The code point of the valid UTF-8 sequence of len bytes at p.  Used to
 * keep C1 controls (U+0080..U+009F: CSI, OSC, ... in a terminal) and bidi
 * overrides (they reorder what the reader sees) out of what a person reads.
 */
static unsigned long view_utf8_cp(const unsigned char *p, size_t len)
{
	unsigned long cp = len == 2 ? p[0] & 0x1F : len == 3 ? p[0] & 0x0F : p[0] & 0x07;
	for (size_t i = 1; i < len; i++)
		cp = (cp << 6) | (p[i] & 0x3F);
	return cp;
}

static bool view_cp_unsafe(unsigned long cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

size_t view_char(const char *s, size_t n, bool *safe)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = p[0] < 0x80 ? 1 : view_utf8_len(p, n);
	*safe = len != 0 && !view_cp_unsafe(len == 1 ? p[0] : view_utf8_cp(p, len));
	return len == 0 ? 1 : len;
}

/*
 * JSON string; bytes that are not valid UTF-8 come out as \u00XX (Latin-1),
 * controls and bidi controls as \uXXXX escapes.
 */
void view_json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
		} else if (c == '\n') {
			fputs("\\n", out);
		} else if (c == '\t') {
			fputs("\\t", out);
		} else if (c == '\r') {
			fputs("\\r", out);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
		} else if (c < 0x80) {
			fputc(c, out);
		} else {
			size_t len = view_utf8_len(p + i, n - i);
			unsigned long cp = len == 0 ? c : view_utf8_cp(p + i, len);
			if (len == 0 || view_cp_unsafe(cp)) {
				fprintf(out, "\\u%04lx", cp);
				i += len == 0 ? 0 : len - 1;
			} else {
				fwrite(p + i, 1, len, out);
				i += len - 1;
			}
		}
	}
	fputc('"', out);
}

void view_print_json(FILE *out, const struct view_entry *e)
{
	fputs("{\"stream_id\":", out);
	view_json_string(out, e->stream_id);
	for (size_t i = 0; i < e->n; i++) {
		if (strcmp(e->field[i], "stream_id") == 0)
			continue;
		fputc(',', out);
		view_json_string(out, e->field[i]);
		fputc(':', out);
		view_json_string(out, e->value[i]);
	}
	fputs("}\n", out);
}

/*
 * A copy fit for a terminal: control characters (C0, DEL, C1), bidi
 * controls and bytes that are not UTF-8 become '?', empty becomes "-".
 */
char *view_cell(const char *v)
{
	if (v == NULL || *v == '\0')
		return strdup("-");
	size_t n = strlen(v), o = 0;
	char *c = malloc(n + 1);
	if (c == NULL)
		return NULL;
	const unsigned char *p = (const unsigned char *)v;
	for (size_t i = 0; i < n;) {
		size_t len = p[i] < 0x80 ? 1 : view_utf8_len(p + i, n - i);
		if (len == 0 || view_cp_unsafe(len == 1 ? p[i] : view_utf8_cp(p + i, len))) {
			c[o++] = '?';
			i += len == 0 ? 1 : len;
			continue;
		}
		memcpy(c + o, p + i, len);
		o += len;
		i += len;
	}
	c[o] = '\0';
	return c;
}

/* Columns a cell takes: UTF-8 continuation bytes take none. */
size_t view_width(const char *s)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p & 0xC0) != 0x80)
			w++;
	return w;
}

void view_pad(FILE *out, const char *s, size_t width, bool last)
{
	size_t w = view_width(s);
	fputs(s, out);
	if (last)
		return;
	/* A cell wider than its column (tail's fixed widths) still gets a gap. */
	for (size_t end = (w > width ? w : width) + 2; w < end; w++)
		fputc(' ', out);
}

#define NCOLS	8
static const char *const view_headers[NCOLS] = {
	"TIME", "ACTION", "RULE", "MAILBOX", "RECIPIENT", "TARGET", "SIGNALS", "ID"
};
static const char *const view_fields[NCOLS] = {
	NULL, REC_ACTION, REC_RULE, REC_MAILBOX, REC_RECIPIENT, REC_TARGET, REC_SIGNALS, REC_ID
};

/* The table cells of an entry (owned, free each); -1 on ENOMEM. */
static int view_cells(const struct view_entry *e, char *cells[NCOLS])
{
	char when[32];
	view_format_time(view_entry_ms(e), when, sizeof(when));
	int rc = 0;
	for (int i = 0; i < NCOLS; i++) {
		cells[i] = view_cell(i == 0 ? when : view_get(e, view_fields[i]));
		if (cells[i] == NULL)
			rc = -1;
	}
	return rc;
}

void view_print_line(FILE *out, const struct view_entry *e)
{
	static const size_t widths[NCOLS] = { 20, 10, 18, 24, 28, 24, 16, 26 };
	char *cells[NCOLS];
	if (view_cells(e, cells) == 0)
		for (int i = 0; i < NCOLS; i++)
			view_pad(out, cells[i], widths[i], i == NCOLS - 1);
	fputc('\n', out);
	for (int i = 0; i < NCOLS; i++)
		free(cells[i]);
}

struct view_table {
	char *(*rows)[NCOLS];
	size_t n, cap;
};

struct view_table *view_table_new(void)
{
	return calloc(1, sizeof(struct view_table));
}

int view_table_add(struct view_table *t, const struct view_entry *e)
{
	if (t->n == t->cap) {
		size_t cap = t->cap > 0 ? t->cap * 2 : 64;
		void *p = realloc(t->rows, cap * sizeof(*t->rows));
		if (p == NULL)
			return -1;
		t->rows = p;
		t->cap = cap;
	}
	if (view_cells(e, t->rows[t->n]) != 0) {
		for (int i = 0; i < NCOLS; i++)
			free(t->rows[t->n][i]);
		return -1;
	}
	t->n++;
	return 0;
}

void view_table_print(FILE *out, const struct view_table *t)
{
	size_t width[NCOLS];
	for (int c = 0; c < NCOLS; c++) {
		width[c] = strlen(view_headers[c]);
		for (size_t r = 0; r < t->n; r++)
			if (view_width(t->rows[r][c]) > width[c])
				width[c] = view_width(t->rows[r][c]);
	}
	for (int c = 0; c < NCOLS; c++)
		view_pad(out, view_headers[c], width[c], c == NCOLS - 1);
	fputc('\n', out);
	for (size_t r = 0; r < t->n; r++) {
		for (int c = 0; c < NCOLS; c++)
			view_pad(out, t->rows[r][c], width[c], c == NCOLS - 1);
		fputc('\n', out);
	}
}

void view_table_free(struct view_table *t)
{
	if (t == NULL)
		return;
	for (size_t r = 0; r < t->n; r++)
		for (int c = 0; c < NCOLS; c++)
			free(t->rows[r][c]);
	free(t->rows);
	free(t);
}
