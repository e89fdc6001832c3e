/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mime_param.c - MIME header parameters with RFC 2231 continuations and
 * encodings (see mime_param.h for the contract).
 *
 * A parameter is found in one pass over the value: the plain form and
 * each RFC 2231 section are remembered by where their value starts, and
 * the sections are then joined in order, each read once more.  Reading a
 * value that is not wanted still skips it whole, so a quoted ';' never
 * starts a parameter.
 */
#include <string.h>
#include <strings.h>
#include "hex.h"
#include "mime_param.h"

struct mime_param_want {
	const char *name;
	size_t nlen;
	const char *plain;			/* value of name=, or NULL */
	const char *whole;			/* value of name*= (encoded, one piece), or NULL */
	const char *sect[MIME_PARAM_SECTIONS];	/* value of name*N= / name*N*= */
	bool sect_enc[MIME_PARAM_SECTIONS];
	bool over;				/* a section past MIME_PARAM_SECTIONS */
};

struct mime_param_out {
	char *buf;
	size_t size;
	size_t n;
	bool over;		/* more than size-1 bytes */
};

static bool mime_param_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char mime_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static void mime_param_put(struct mime_param_out *o, char c)
{
	if (o->n + 1 < o->size)
		o->buf[o->n++] = c;
	else
		o->over = true;
}

/* Skips a value (token or quoted-string) at s; returns its end. */
static const char *mime_param_skip(const char *s)
{
	if (*s == '"') {
		for (s++; *s != '\0' && *s != '"'; s++)
			if (*s == '\\' && s[1] != '\0')
				s++;
		return *s == '"' ? s + 1 : s;
	}
	while (*s != '\0' && *s != ';' && !mime_param_blank(*s) && *s != '(')
		s++;
	return s;
}

/*
 * Appends the value at s to o.  encoded: RFC 2231 percent-encoding; first:
 * it starts with charset'language' which is skipped.
 */
static void mime_param_append(const char *s, bool encoded, bool first, struct mime_param_out *o)
{
	const char *end = mime_param_skip(s), *q;
	int quotes = 0;

	if (*s == '"') {
		s++;
		if (end > s && end[-1] == '"')
			end--;
	}
	/* A value without its charset'language' prefix is read whole. */
	for (q = s; encoded && first && q < end && quotes < 2; q++)
		quotes += *q == '\'';
	if (quotes < 2)
		quotes = 0;
	for (; s < end; s++) {
		char c = *s;

		if (quotes > 0) {
			if (c == '\'')
				quotes--;
			continue;
		}
		if (c == '\\' && s + 1 < end && !encoded)
			c = *++s;
		else if (encoded && c == '%' && s + 2 < end && hex_value(s[1]) >= 0 &&
		    hex_value(s[2]) >= 0) {
			c = (char)(hex_value(s[1]) * 16 + hex_value(s[2]));
			s += 2;
		}
		mime_param_put(o, c);
	}
}

/* Notes where the wanted parameter's pieces are, if name[0 .. nlen) is one. */
static void mime_param_note(struct mime_param_want *w, const char *name, size_t nlen,
    const char *value)
{
	size_t i, sect = 0;

	if (nlen < w->nlen || strncasecmp(name, w->name, w->nlen) != 0)
		return;
	if (nlen == w->nlen) {
		if (w->plain == NULL)
			w->plain = value;
		return;
	}
	if (name[w->nlen] != '*')
		return;
	if (nlen == w->nlen + 1) {
		if (w->whole == NULL)
			w->whole = value;
		return;
	}
	for (i = w->nlen + 1; i < nlen && name[i] >= '0' && name[i] <= '9'; i++) {
		if (sect >= MIME_PARAM_SECTIONS) {
			w->over = true;
			return;
		}
		sect = sect * 10 + (size_t)(name[i] - '0');
	}
	if (i == w->nlen + 1 || (i < nlen && !(i + 1 == nlen && name[i] == '*')))
		return;
	if (sect >= MIME_PARAM_SECTIONS) {
		w->over = true;
		return;
	}
	if (w->sect[sect] == NULL) {
		w->sect[sect] = value;
		w->sect_enc[sect] = i < nlen;
	}
}

/* One pass over the parameters of value (after the first token). */
static void mime_param_scan(const char *v, struct mime_param_want *w)
{
	while (*v != '\0') {
		const char *name;

		if (*v == '"') {
			v = mime_param_skip(v);
			continue;
		}
		if (*v++ != ';')
			continue;
		while (mime_param_blank(*v))
			v++;
		name = v;
		while (*v != '\0' && *v != '=' && *v != ';' && !mime_param_blank(*v))
			v++;
		if (*v != '=')
			continue;
		mime_param_note(w, name, (size_t)(v - name), v + 1);
		v = mime_param_skip(v + 1);
	}
}

/*
 * Finds parameter name in value and writes it to out.  Returns 1 when
 * found, 0 when absent, -1 when found but longer than out or with more
 * sections than are read.
 */
static int mime_param_get(const char *value, const char *name, char *out, size_t size)
{
	struct mime_param_want w = { .name = name, .nlen = strlen(name) };
	struct mime_param_out o = { .buf = out, .size = size };
	size_t i;

	out[0] = '\0';
	mime_param_scan(value, &w);
	if (w.sect[0] != NULL) {
		for (i = 0; i < MIME_PARAM_SECTIONS && w.sect[i] != NULL; i++)
			mime_param_append(w.sect[i], w.sect_enc[i], i == 0, &o);
	} else if (w.whole != NULL) {
		mime_param_append(w.whole, true, true, &o);
	} else if (w.plain != NULL) {
		mime_param_append(w.plain, false, false, &o);
	} else {
		return w.over ? -1 : 0;
	}
	out[o.n] = '\0';
	return o.over || w.over ? -1 : 1;
}

void mime_value_token(const char *v, char *out, size_t size)
{
	size_t n = 0;

	while (mime_param_blank(*v))
		v++;
	for (; *v != '\0' && *v != ';' && !mime_param_blank(*v) && *v != '('; v++)
		if (n + 1 < size)
			out[n++] = mime_lower(*v);
	out[n] = '\0';
}

static void mime_lower_str(char *s)
{
	for (; *s != '\0'; s++)
		*s = mime_lower(*s);
}

void mime_ctype_parse(const char *value, struct mime_ctype *ct)
{
	char buf[MIME_BOUNDARY_MAX + 2];
	int st;

	memset(ct, 0, sizeof(*ct));
	if (value == NULL)
		return;
	mime_value_token(value, ct->type, sizeof(ct->type));
	st = mime_param_get(value, "boundary", buf, sizeof(buf));
	if (st != 0) {
		size_t len = strlen(buf);

		/* Trailing blanks are not part of a boundary (RFC 2046 5.1.1). */
		while (len > 0 && buf[len - 1] == ' ')
			len--;
		if (st < 0 || len == 0 || len > MIME_BOUNDARY_MAX) {
			ct->boundary_bad = true;
		} else {
			memcpy(ct->boundary, buf, len);
			ct->boundary[len] = '\0';
			ct->blen = len;
		}
	}
	if (mime_param_get(value, "report-type", buf, sizeof(buf)) > 0)
		ct->report_dsn = strcasecmp(buf, "delivery-status") == 0 ||
		    strcasecmp(buf, "global-delivery-status") == 0;
	mime_param_get(value, "name", ct->name, sizeof(ct->name));
	mime_lower_str(ct->name);
}

void mime_disposition_filename(const char *value, char *name, size_t size)
{
	name[0] = '\0';
	if (value == NULL || size == 0)
		return;
	mime_param_get(value, "filename", name, size);
	mime_lower_str(name);
}
