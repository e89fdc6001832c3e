/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * record.c - audit records and their one-line spool encoding.
 *
 * A record owns copies of its field names and values.  Field names are
 * restricted to a safe alphabet so that only values need escaping; values
 * may hold any byte except NUL (they come in as C strings) and are cut at
 * RECORD_VALUE_MAX.  The decoder is strict: it accepts exactly what the
 * encoder writes, so a damaged spool line is refused rather than guessed at.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "hex.h"
#include "record_fields.h"

#define RECORD_NAME_MAX	64
#define CUT_MARK	"..."
#define INLINE_CAP	1024	/* a typical decision fits: one allocation per record */

/*
 * Names and values live in one buffer per record (NUL-terminated strings
 * at the offsets below), so building a record of n fields costs one
 * allocation, not 2n.  A replaced value leaves its old bytes behind as
 * waste; the buffer is compacted once the waste outweighs the live bytes,
 * which keeps it bounded however often a field is set.
 */
struct record {
	size_t n;
	uint32_t field[RECORD_FIELDS_MAX];
	uint32_t value[RECORD_FIELDS_MAX];
	char *buf;			/* inline_buf or a heap buffer */
	size_t len, cap, waste;
	char inline_buf[INLINE_CAP];
};

static bool record_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > RECORD_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == ':';
		if (!ok)
			return false;
	}
	return true;
}

/*
 * How much of value is kept: all of it up to RECORD_VALUE_MAX bytes, else
 * a cut (*cut set) that backs off to a UTF-8 character boundary so that a
 * cut address or name is still valid text for the tools that display it.
 */
static size_t record_value_keep(const char *value, size_t len, bool *cut)
{
	*cut = len > RECORD_VALUE_MAX;
	if (!*cut)
		return len;
	size_t keep = RECORD_VALUE_MAX - strlen(CUT_MARK);
	for (int back = 0; back < 3 && keep > 0 &&
	    ((unsigned char)value[keep] & 0xC0) == 0x80; back++)
		keep--;
	return keep;
}

/* Makes room for need more bytes; 0, or -1 with errno. */
static int record_reserve(struct record *r, size_t need)
{
	if (r->len + need <= r->cap)
		return 0;
	size_t cap = r->cap * 2;
	while (cap < r->len + need)
		cap *= 2;
	char *p = malloc(cap);
	if (p == NULL)
		return -1;
	memcpy(p, r->buf, r->len);
	if (r->buf != r->inline_buf)
		free(r->buf);
	r->buf = p;
	r->cap = cap;
	return 0;
}

/* Appends bytes + NUL; returns their offset. The caller reserved the room. */
static uint32_t record_put(struct record *r, const char *s, size_t len, const char *tail)
{
	size_t at = r->len, tlen = tail != NULL ? strlen(tail) : 0;
	memcpy(r->buf + at, s, len);
	if (tlen > 0)
		memcpy(r->buf + at + len, tail, tlen);
	r->buf[at + len + tlen] = '\0';
	r->len += len + tlen + 1;
	return (uint32_t)at;
}

/* Rewrites the buffer with the live strings only. 0, or -1 with errno. */
static int record_compact(struct record *r)
{
	char *p = malloc(r->cap);
	if (p == NULL)
		return -1;
	size_t len = 0;
	for (size_t i = 0; i < r->n; i++) {
		uint32_t *off[2] = { &r->field[i], &r->value[i] };
		for (int k = 0; k < 2; k++) {
			size_t l = strlen(r->buf + *off[k]) + 1;
			memcpy(p + len, r->buf + *off[k], l);
			*off[k] = (uint32_t)len;
			len += l;
		}
	}
	if (r->cap == INLINE_CAP) {
		memcpy(r->inline_buf, p, len);
		free(p);
		p = r->inline_buf;
	}
	if (r->buf != r->inline_buf && r->buf != p)
		free(r->buf);
	r->buf = p;
	r->len = len;
	r->waste = 0;
	return 0;
}

static struct record *record_alloc(void)
{
	struct record *r = malloc(sizeof(*r));
	if (r == NULL)
		return NULL;
	r->n = 0;
	r->buf = r->inline_buf;
	r->len = r->waste = 0;
	r->cap = INLINE_CAP;
	return r;
}

struct record *record_new(const char *kind)
{
	struct record *r = record_alloc();
	if (r == NULL)
		return NULL;
	if (record_set(r, REC_KIND, kind) != 0) {
		record_free(r);
		return NULL;
	}
	return r;
}

void record_free(struct record *r)
{
	if (r == NULL)
		return;
	if (r->buf != r->inline_buf)
		free(r->buf);
	free(r);
}

static long record_find(const struct record *r, const char *field)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->buf + r->field[i], field) == 0)
			return (long)i;
	return -1;
}

int record_set(struct record *r, const char *field, const char *value)
{
	if (field == NULL || !record_name_ok(field, strlen(field))) {
		errno = EINVAL;
		return -1;
	}
	if (value == NULL)
		value = "";
	/* A value taken from this record would move when the buffer grows. */
	char own[RECORD_VALUE_MAX + 1];
	if (value >= r->buf && value < r->buf + r->cap) {
		snprintf(own, sizeof(own), "%s", value);
		value = own;
	}
	bool cut;
	size_t vlen = strlen(value), keep = record_value_keep(value, vlen, &cut);
	size_t vsize = keep + (cut ? strlen(CUT_MARK) : 0) + 1;
	const char *mark = cut ? CUT_MARK : NULL;

	long at = record_find(r, field);
	if (at >= 0) {
		char *old = r->buf + r->value[at];
		size_t olen = strlen(old) + 1;
		if (vsize <= olen) {
			/* In place: the tail of the old value becomes waste. */
			memmove(old, value, keep);
			if (cut)
				memcpy(old + keep, CUT_MARK, strlen(CUT_MARK));
			old[vsize - 1] = '\0';
			r->waste += olen - vsize;
			return 0;
		}
		if (r->waste + olen > r->len / 2 && record_compact(r) != 0)
			return -1;
		if (record_reserve(r, vsize) != 0)
			return -1;
		r->waste += strlen(r->buf + r->value[at]) + 1;
		r->value[at] = record_put(r, value, keep, mark);
		return 0;
	}
	if (r->n >= RECORD_FIELDS_MAX) {
		errno = E2BIG;
		return -1;
	}
	size_t flen = strlen(field);
	if (record_reserve(r, flen + 1 + vsize) != 0)
		return -1;
	r->field[r->n] = record_put(r, field, flen, NULL);
	r->value[r->n] = record_put(r, value, keep, mark);
	r->n++;
	return 0;
}

const char *record_get(const struct record *r, const char *field)
{
	long at = record_find(r, field);
	return at >= 0 ? r->buf + r->value[at] : NULL;
}

size_t record_count(const struct record *r)
{
	return r->n;
}

void record_field(const struct record *r, size_t i, const char **field, const char **value)
{
	*field = i < r->n ? r->buf + r->field[i] : NULL;
	*value = i < r->n ? r->buf + r->value[i] : NULL;
}

/* Bytes the encoder never writes raw inside a value. */
static bool record_must_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '%' || c == '=';
}

size_t record_encoded_size(const struct record *r)
{
	size_t need = 1;
	for (size_t i = 0; i < r->n; i++) {
		need += strlen(r->buf + r->field[i]) + 2;
		for (const char *p = r->buf + r->value[i]; *p != '\0'; p++)
			need += record_must_escape((unsigned char)*p) ? 3 : 1;
	}
	return need;
}

size_t record_encode_to(const struct record *r, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	char *w = out;
	for (size_t i = 0; i < r->n; i++) {
		if (i > 0)
			*w++ = '\t';
		size_t flen = strlen(r->buf + r->field[i]);
		memcpy(w, r->buf + r->field[i], flen);
		w += flen;
		*w++ = '=';
		for (const char *p = r->buf + r->value[i]; *p != '\0'; p++) {
			unsigned char c = (unsigned char)*p;
			if (record_must_escape(c)) {
				*w++ = '%';
				*w++ = hex[c >> 4];
				*w++ = hex[c & 0xf];
			} else {
				*w++ = (char)c;
			}
		}
	}
	*w++ = '\n';
	return (size_t)(w - out);
}

char *record_encode(const struct record *r, size_t *len)
{
	char *out = malloc(record_encoded_size(r) + 1);
	if (out == NULL)
		return NULL;
	*len = record_encode_to(r, out);
	out[*len] = '\0';
	return out;
}

/*
 * Decodes one escaped value into out (room for RECORD_VALUE_MAX + 1).
 * Refuses raw bytes the encoder escapes, bad escapes, %00 (a value cannot
 * hold NUL) and values longer than any the encoder could have written.
 */
static bool record_unescape(const char *in, size_t len, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '%') {
			if (i + 2 >= len)
				return false;
			int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return false;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (record_must_escape(c)) {
			return false;
		}
		if (o >= RECORD_VALUE_MAX)
			return false;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return true;
}

static bool record_decode_pair(struct record *r, const char *p, size_t len)
{
	char name[RECORD_NAME_MAX + 1];
	char value[RECORD_VALUE_MAX + 1];
	const char *eq = memchr(p, '=', len);

	if (eq == NULL || !record_name_ok(p, (size_t)(eq - p)))
		return false;
	memcpy(name, p, (size_t)(eq - p));
	name[eq - p] = '\0';
	if (record_find(r, name) >= 0)
		return false;
	if (!record_unescape(eq + 1, len - (size_t)(eq - p) - 1, value))
		return false;
	return record_set(r, name, value) == 0;
}

struct record *record_decode(const char *line, size_t len)
{
	if (line == NULL || len == 0)
		return NULL;
	struct record *r = record_alloc();
	if (r == NULL)
		return NULL;

	const char *p = line, *end = line + len;
	for (;;) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));
		const char *stop = tab != NULL ? tab : end;
		if (!record_decode_pair(r, p, (size_t)(stop - p)))
			goto bad;
		if (tab == NULL)
			break;
		p = tab + 1;
	}
	if (record_get(r, REC_KIND) == NULL)
		goto bad;
	return r;
bad:
	record_free(r);
	return NULL;
}
