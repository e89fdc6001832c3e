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
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "hex.h"

#define RECORD_NAME_MAX	64
#define CUT_MARK	"..."

struct record {
	size_t n;
	char *field[RECORD_FIELDS_MAX];
	char *value[RECORD_FIELDS_MAX];
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
 * Copies value, cut to RECORD_VALUE_MAX bytes with a visible mark.  The cut
 * backs off to a UTF-8 character boundary so that a cut address or name is
 * still valid text for the tools that display it.
 */
static char *record_value_copy(const char *value)
{
	size_t len = strlen(value);
	if (len <= RECORD_VALUE_MAX)
		return strdup(value);

	size_t keep = RECORD_VALUE_MAX - strlen(CUT_MARK);
	for (int back = 0; back < 3 && keep > 0 &&
	    ((unsigned char)value[keep] & 0xC0) == 0x80; back++)
		keep--;
	char *out = malloc(keep + strlen(CUT_MARK) + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, value, keep);
	strcpy(out + keep, CUT_MARK);
	return out;
}

struct record *record_new(const char *kind)
{
	struct record *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	if (record_set(r, "kind", kind) != 0) {
		record_free(r);
		return NULL;
	}
	return r;
}

void record_free(struct record *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->field[i]);
		free(r->value[i]);
	}
	free(r);
}

static long record_find(const struct record *r, const char *field)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->field[i], field) == 0)
			return (long)i;
	return -1;
}

int record_set(struct record *r, const char *field, const char *value)
{
	if (field == NULL || !record_name_ok(field, strlen(field))) {
		errno = EINVAL;
		return -1;
	}
	char *v = record_value_copy(value != NULL ? value : "");
	if (v == NULL)
		return -1;

	long at = record_find(r, field);
	if (at >= 0) {
		free(r->value[at]);
		r->value[at] = v;
		return 0;
	}
	if (r->n >= RECORD_FIELDS_MAX) {
		free(v);
		errno = E2BIG;
		return -1;
	}
	char *f = strdup(field);
	if (f == NULL) {
		free(v);
		return -1;
	}
	r->field[r->n] = f;
	r->value[r->n] = v;
	r->n++;
	return 0;
}

const char *record_get(const struct record *r, const char *field)
{
	long at = record_find(r, field);
	return at >= 0 ? r->value[at] : NULL;
}

size_t record_count(const struct record *r)
{
	return r->n;
}

void record_field(const struct record *r, size_t i, const char **field, const char **value)
{
	*field = i < r->n ? r->field[i] : NULL;
	*value = i < r->n ? r->value[i] : NULL;
}

/* Bytes the encoder never writes raw inside a value. */
static bool record_must_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '%' || c == '=';
}

char *record_encode(const struct record *r, size_t *len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t need = 1;

	for (size_t i = 0; i < r->n; i++) {
		need += strlen(r->field[i]) + 2;
		for (const char *p = r->value[i]; *p != '\0'; p++)
			need += record_must_escape((unsigned char)*p) ? 3 : 1;
	}
	char *out = malloc(need + 1);
	if (out == NULL)
		return NULL;

	char *w = out;
	for (size_t i = 0; i < r->n; i++) {
		if (i > 0)
			*w++ = '\t';
		size_t flen = strlen(r->field[i]);
		memcpy(w, r->field[i], flen);
		w += flen;
		*w++ = '=';
		for (const char *p = r->value[i]; *p != '\0'; p++) {
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
	*w = '\0';
	*len = (size_t)(w - out);
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
	struct record *r = calloc(1, sizeof(*r));
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
	if (record_get(r, "kind") == NULL)
		goto bad;
	return r;
bad:
	record_free(r);
	return NULL;
}
