/*
 * trace.c - decoding of trace data: the ORCPT= parameter of a recipient
 * (xtext or unitext) and the "for" clause of a Received: header.  See
 * trace.h.  Pure code.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "trace.h"
#include "hex.h"

static int
trace_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t
trace_skip_comment(const char *v, size_t len, size_t i)
{
	unsigned depth = 0;

	for (; i < len; i++) {
		if (v[i] == '\\' && i + 1 < len)
			i++;
		else if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && --depth == 0)
			return i + 1;
	}
	return len;
}

const char *
trace_for_address(const char *v, size_t len, size_t i, size_t *alen)
{
	size_t start;

	while (i < len && trace_is_blank(v[i]))
		i++;
	*alen = 0;
	if (i < len && v[i] == '<') {
		start = ++i;
		while (i < len && v[i] != '>')
			i++;
		if (i == len)
			return NULL;
	} else {
		start = i;
		while (i < len && !trace_is_blank(v[i]) && v[i] != ';' && v[i] != '(')
			i++;
	}
	*alen = i - start;
	return v + start;
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
