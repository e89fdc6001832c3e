/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * trace.c - reading trace data: the ORCPT= parameter of a recipient
 * (xtext or unitext), the "for" clause of a Received: header, and the
 * fail-closed reading of values the address parsers refused.  See trace.h.
 *
 * The readers walk a value once, left to right, and never go back: an
 * address ends at the first byte that cannot continue it, and an opener
 * whose closer is missing is searched for once, not once per opener.
 * Pure code.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "trace.h"
#include "hex.h"

/* Blanks, folding, control bytes and DEL: what separates words of a trace header. */
static bool
trace_is_space(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

/* A byte of a word of a Received: header (8-bit bytes too: UTF-8 addresses). */
static bool
trace_is_word(unsigned char c)
{
	return !trace_is_space(c) && c != '(' && c != ')' && c != '<' && c != '>' &&
	    c != ';' && c != ',';
}

static bool
trace_is_8bit(const char *p, size_t n)
{
	while (n > 0 && (unsigned char)p[n - 1] >= 0x80)
		n--;
	return n == 0;
}

bool
trace_is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.@", c) != NULL);
}

size_t
trace_skip(struct trace_text *t, size_t i)
{
	bool paren = t->v[i] == '(';
	size_t depth = 0, j;

	if (paren ? t->paren_unclosed : t->quote_unclosed)
		return i;
	for (j = i; j < t->len; j++) {
		char c = t->v[j];

		if (c == '\\') {
			j++;
		} else if (paren) {
			if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0)
				return j + 1;
		} else if (c == '"' && j > i) {
			return j + 1;
		}
	}
	/* Nothing after i closes it: nothing after a later opener either. */
	if (paren)
		t->paren_unclosed = true;
	else
		t->quote_unclosed = true;
	return i;
}

/* The calls one reader makes, counted against its maximum. */
struct trace_calls {
	size_t max;
	size_t count;
	address_list_fn fn;
	void *ctx;
};

/* Hands p[0 .. n) over when it holds an '@': 0 go on, 1 stop, -1 over max. */
static int
trace_deliver(struct trace_calls *c, const char *p, size_t n)
{
	if (n == 0 || memchr(p, '@', n) == NULL)
		return 0;
	if (c->count >= c->max)
		return -1;
	c->count++;
	return c->fn(c->ctx, p, n) != 0;
}

static int
trace_result(const struct trace_calls *c, int rc)
{
	return rc < 0 ? -1 : (int)c->count;
}

enum trace_for_state {
	TRACE_IDLE,
	TRACE_FOR,	/* after the word "for" */
	TRACE_ANGLE,	/* inside "for <", from start */
	TRACE_AFTER	/* after a for clause's address: a ',' adds one */
};

/* One byte outside an angle-addr and outside words: the next state. */
static enum trace_for_state
trace_for_punct(enum trace_for_state st, unsigned char c)
{
	if (c == '<' && st == TRACE_FOR)
		return TRACE_ANGLE;
	if (c == ',' && st == TRACE_AFTER)
		return TRACE_FOR;
	return trace_is_space(c) ? st : TRACE_IDLE;
}

int
trace_received_for(const char *v, size_t len, size_t max, address_list_fn fn, void *ctx)
{
	struct trace_text t = { v, len, false, false };
	struct trace_calls c = { max, 0, fn, ctx };
	enum trace_for_state st = TRACE_IDLE;
	size_t i = 0, start = 0, w;
	int rc = 0;

	if (v == NULL || fn == NULL)
		return -1;
	while (i < len && rc == 0) {
		unsigned char ch = (unsigned char)v[i];

		if (st == TRACE_ANGLE) {
			/* Any of these ends the address: none goes back. */
			if (ch == '>' || ch == '<' || ch == ';') {
				rc = trace_deliver(&c, v + start, i - start);
				st = ch == '>' ? TRACE_AFTER : ch == '<' ? TRACE_ANGLE : TRACE_IDLE;
				start = i + 1;
			}
			i++;
		} else if (ch == '(') {
			size_t e = trace_skip(&t, i);

			i = e > i ? e : i + 1;
		} else if (trace_is_word(ch)) {
			bool is_for;

			for (w = i; i < len && trace_is_word((unsigned char)v[i]); i++)
				;
			/* 8-bit bytes alone are junk, no word: "for \xff <a@b>". */
			if (trace_is_8bit(v + w, i - w))
				continue;
			is_for = i - w == 3 && strncasecmp(v + w, "for", 3) == 0;
			if (st == TRACE_FOR && !is_for)
				rc = trace_deliver(&c, v + w, i - w);
			st = is_for ? TRACE_FOR : st == TRACE_FOR ? TRACE_AFTER : TRACE_IDLE;
		} else {
			st = trace_for_punct(st, ch);
			start = ++i;
		}
	}
	if (rc == 0 && st == TRACE_ANGLE)
		rc = trace_deliver(&c, v + start, len - start);
	return trace_result(&c, rc);
}

/*
 * An address spelled with blanks, junk or comments around its '@' and
 * dots ("support @ corp . example": RFC 5322's obsolete syntax), put back
 * together from its runs.  Bounded: longer than ADDRESS_MAX is no address.
 */
struct trace_join {
	char buf[ADDRESS_MAX + 1];
	size_t n;
	size_t runs;
	bool over;
};

static void
trace_join_add(struct trace_join *j, const char *p, size_t n)
{
	j->runs++;
	if (j->over || j->n + n > ADDRESS_MAX) {
		j->over = true;
		return;
	}
	memcpy(j->buf + j->n, p, n);
	j->n += n;
}

/* Hands the joined text over when it joins two runs or more, and empties it. */
static int
trace_join_flush(struct trace_calls *c, struct trace_join *j)
{
	size_t n = j->n;
	int rc = 0;

	if (j->runs > 1 && !j->over) {
		while (n > 0 && j->buf[n - 1] == '.')
			n--;
		rc = trace_deliver(c, j->buf, n);
	}
	j->n = 0;
	j->runs = 0;
	j->over = false;
	return rc;
}

/* Blanks, control, DEL and 8-bit bytes: what may stand inside a spaced-out address. */
static bool
trace_is_soft(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f;
}

int
trace_words(const char *v, size_t len, size_t max, address_list_fn fn, void *ctx)
{
	struct trace_text t = { v, len, false, false };
	struct trace_calls c = { max, 0, fn, ctx };
	struct trace_join j = { .n = 0 };
	size_t i = 0, w, end;
	bool soft = false;	/* only soft bytes and comments since the last run */
	char last = '\0';	/* the last run's last byte */
	int rc = 0;

	if (v == NULL || fn == NULL)
		return -1;
	while (i < len && rc == 0) {
		unsigned char ch = (unsigned char)v[i];

		if (ch == '(' || ch == '"') {
			size_t e = trace_skip(&t, i);

			soft = soft && ch == '(' && e > i;
			i = e > i ? e : i + 1;
			continue;
		}
		if (!trace_is_atext(ch)) {
			soft = soft && trace_is_soft(ch);
			i++;
			continue;
		}
		for (w = i; i < len && trace_is_atext((unsigned char)v[i]); i++)
			;
		/* Runs join where an '@' or a dot meets the gap: "support @corp". */
		if (!soft || (last != '@' && last != '.' && v[w] != '@' && v[w] != '.'))
			rc = trace_join_flush(&c, &j);
		trace_join_add(&j, v + w, i - w);
		last = v[i - 1];
		soft = true;
		/* "support@corp.example.." is written for support@corp.example. */
		for (end = i; end > w && v[end - 1] == '.'; end--)
			;
		if (rc == 0)
			rc = trace_deliver(&c, v + w, end - w);
	}
	if (rc == 0)
		rc = trace_join_flush(&c, &j);
	return trace_result(&c, rc);
}

static char
trace_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* A byte of a word of a plain value: printable ASCII but the blank and '('. */
static bool
trace_value_byte(char c)
{
	return c > 0x20 && c < 0x7f && c != '(';
}

/* Skips what separates the words of a plain value: blanks, junk bytes, comments. */
static size_t
trace_value_gap(struct trace_text *t, size_t i)
{
	while (i < t->len && !trace_value_byte(t->v[i])) {
		size_t e = t->v[i] == '(' ? trace_skip(t, i) : i;

		i = e > i ? e : i + 1;
	}
	return i;
}

int
trace_value_is(const char *v, size_t len, const char *want)
{
	struct trace_text t = { v, len, false, false };
	size_t i = 0;

	for (;;) {
		i = trace_value_gap(&t, i);
		while (*want == ' ')
			want++;
		if (i == len || *want == '\0')
			return i == len && *want == '\0';
		for (; i < len && trace_value_byte(v[i]) && *want != '\0' && *want != ' ';
		    i++, want++)
			if (trace_lower(v[i]) != trace_lower(*want))
				return 0;
		if ((i < len && trace_value_byte(v[i])) || (*want != '\0' && *want != ' '))
			return 0;
	}
}

/* Appends code point cp to out[*n] as UTF-8; -1 when it does not fit. */
static int
trace_put_utf8(unsigned long cp, char *out, size_t *n, size_t size)
{
	unsigned char b[4];
	size_t k, len;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp, len = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6)), len = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12)), len = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18)), len = 4;
	}
	for (k = 1; k < len; k++)
		b[k] = (unsigned char)(0x80 | ((cp >> (6 * (len - 1 - k))) & 0x3f));
	if (*n + len >= size)
		return -1;
	memcpy(out + *n, b, len);
	*n += len;
	return 0;
}

/*
 * Reads an RFC 6533 EmbeddedUnicodeChar "\x{HEX}" at s into out.  Returns
 * the bytes read, or -1 when malformed or naming a control character, a
 * surrogate or a value past U+10FFFF.
 */
static int
trace_unitext_escape(const char *s, char *out, size_t *n, size_t size)
{
	unsigned long cp = 0;
	int i = 3, v;

	if (s[1] != 'x' || s[2] != '{')
		return -1;
	for (; i < 9 && (v = hex_value(s[i])) >= 0; i++)
		cp = cp * 16 + (unsigned long)v;
	if (i == 3 || s[i] != '}')
		return -1;
	if (cp < 0x20 || cp == 0x7f || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	return trace_put_utf8(cp, out, n, size) < 0 ? -1 : i + 1;
}

int
trace_orcpt_decode(const char *orcpt, char *out, size_t size)
{
	const char *semi = strchr(orcpt, ';'), *s;
	size_t n = 0, tl = semi != NULL ? (size_t)(semi - orcpt) : 0;
	bool utf8 = tl == 5 && strncasecmp(orcpt, "utf-8", 5) == 0;

	if (!utf8 && (tl != 6 || strncasecmp(orcpt, "rfc822", 6) != 0))
		return -1;
	for (s = semi + 1; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (utf8 && c == '\\') {
			int used = trace_unitext_escape(s, out, &n, size);

			if (used < 0)
				return -1;
			s += used - 1;
			continue;
		}
		if (c == '+' && !utf8) {
			int hi = hex_value(s[1]), lo = hi < 0 ? -1 : hex_value(s[2]);

			if (lo < 0)
				return -1;
			c = (unsigned char)(hi * 16 + lo);
			s += 2;
			if (c < 0x20 || c == 0x7f)
				return -1;
		} else if (c < 0x21 || c == 0x7f || c == '=' || c == '+' ||
		    (c > 0x7f && !utf8)) {
			return -1;
		}
		if (n + 1 >= size)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n > 0 ? (int)n : -1;
}
