/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * reply.c - recognising automatic answers from header values.
 *
 * Out-of-office subjects are the weakest marker, so a subject counts only
 * when it starts with a known phrase as a whole word: "Re: Out of office"
 * is a person answering, and "Absence" needs its colon, because a person
 * may well write "Absence of invoice".  Pure code.
 */
#include <string.h>
#include <strings.h>
#include "reply.h"
#include "b64.h"
#include "hex.h"

static bool reply_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The first word of a structured value, lower-cased into out (bounded). */
static void reply_token(const char *v, size_t len, char *out, size_t size)
{
	size_t i = 0, n = 0;

	while (i < len && reply_blank(v[i]))
		i++;
	for (; i < len && !reply_blank(v[i]) && v[i] != ';' && v[i] != '(' && v[i] != ','; i++) {
		if (n + 1 >= size) {
			n = 0;	/* a word this long is no keyword */
			break;
		}
		out[n++] = (v[i] >= 'A' && v[i] <= 'Z') ? (char)(v[i] - 'A' + 'a') : v[i];
	}
	out[n] = '\0';
}

/* --- RFC 2047 ---------------------------------------------------------------------- */

struct reply_out {
	char *buf;
	size_t size;
	size_t n;
	bool latin1;		/* the current word's charset is a Latin-1 superset */
};

static void reply_put(struct reply_out *o, unsigned char c)
{
	if (o->latin1 && c >= 0x80) {
		if (c < 0xa0) {
			c = '?';
		} else {
			if (o->n + 2 >= o->size)
				return;
			o->buf[o->n++] = (char)(0xc0 | (c >> 6));
			c = (unsigned char)(0x80 | (c & 0x3f));
		}
	}
	if (o->n + 1 < o->size)
		o->buf[o->n++] = (char)c;
}

/* Decodes the text of one word; false when malformed. */
static bool reply_word_text(struct reply_out *o, char enc, const char *t, size_t len)
{
	size_t i;

	if (enc == 'Q' || enc == 'q') {
		for (i = 0; i < len; i++) {
			if (t[i] == '_') {
				reply_put(o, ' ');
			} else if (t[i] == '=') {
				int hi = i + 2 < len ? hex_value(t[i + 1]) : -1;
				int lo = hi >= 0 ? hex_value(t[i + 2]) : -1;

				if (lo < 0)
					return false;
				reply_put(o, (unsigned char)(hi * 16 + lo));
				i += 2;
			} else {
				reply_put(o, (unsigned char)t[i]);
			}
		}
		return true;
	}
	{
		unsigned long acc = 0;
		int bits = 0, v;

		for (i = 0; i < len && t[i] != '='; i++) {
			if ((v = b64_value(t[i])) < 0)
				return false;
			acc = (acc << 6) | (unsigned long)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				reply_put(o, (unsigned char)((acc >> bits) & 0xff));
			}
		}
	}
	return true;
}

static bool reply_is_latin1(const char *cs, size_t len)
{
	static const char *const names[] = {
		"iso-8859-1", "iso-8859-15", "windows-1252", "latin1", "cp1252"
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncasecmp(cs, names[i], len) == 0)
			return true;
	return false;
}

/*
 * Decodes the encoded-word at in[0 .. len) when there is one: returns its
 * length, or 0 when in does not start with a well-formed word.
 */
static size_t reply_word(struct reply_out *o, const char *in, size_t len)
{
	const char *cs, *q1, *q2, *end;
	size_t cslen, saved = o->n;
	char enc;

	if (len < 8 || in[0] != '=' || in[1] != '?')
		return 0;
	cs = in + 2;
	if ((q1 = memchr(cs, '?', len - 2)) == NULL || q1 + 3 >= in + len || q1[2] != '?')
		return 0;
	enc = q1[1];
	if (enc == '\0' || strchr("BbQq", enc) == NULL)
		return 0;
	q2 = q1 + 3;
	for (end = q2; end + 1 < in + len && !(end[0] == '?' && end[1] == '='); end++)
		if (reply_blank(*end))
			return 0;
	if (end + 1 >= in + len)
		return 0;
	/* RFC 2231 adds "*language" to the charset. */
	cslen = (size_t)(q1 - cs);
	if (memchr(cs, '*', cslen) != NULL)
		cslen = (size_t)((const char *)memchr(cs, '*', cslen) - cs);
	o->latin1 = reply_is_latin1(cs, cslen);
	if (!reply_word_text(o, enc, q2, (size_t)(end - q2))) {
		o->n = saved;
		o->latin1 = false;
		return 0;
	}
	o->latin1 = false;
	return (size_t)(end + 2 - in);
}

size_t reply_decode_words(const char *in, size_t len, char *out, size_t size)
{
	struct reply_out o = { .buf = out, .size = size };
	size_t i = 0, used, j;
	bool after_word = false;

	if (out == NULL || size == 0)
		return 0;
	while (i < len && o.n + 1 < size) {
		if ((used = reply_word(&o, in + i, len - i)) > 0) {
			i += used;
			after_word = true;
			continue;
		}
		if (after_word && reply_blank(in[i])) {
			/* Blanks between two encoded-words are not text. */
			for (j = i; j < len && reply_blank(in[j]); j++)
				;
			if (j < len && in[j] == '=' && j + 1 < len && in[j + 1] == '?') {
				i = j;
				continue;
			}
		}
		after_word = false;
		if (in[i] == '\r' || in[i] == '\n') {
			i++;
			continue;
		}
		reply_put(&o, (unsigned char)in[i++]);
	}
	out[o.n] = '\0';
	return o.n;
}

/* --- markers ---------------------------------------------------------------------- */

/* Lower-cases ASCII and the Latin-1 capitals of UTF-8 (U+00C0 .. U+00DE but U+00D7). */
static void reply_fold(char *s)
{
	unsigned char *u = (unsigned char *)s;

	for (; *u != '\0'; u++) {
		if (*u >= 'A' && *u <= 'Z')
			*u = (unsigned char)(*u - 'A' + 'a');
		else if (u[0] == 0xc3 && u[1] >= 0x80 && u[1] <= 0x9e && u[1] != 0x97)
			*++u += 0x20;
	}
}

static bool reply_word_char(char c)
{
	/* Not U+00A0: French puts a no-break space before the colon. */
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool reply_subject(const char *v, size_t len)
{
	static const char *const phrases[] = {
		"out of office", "automatic reply", "automatische antwort", "autoreply",
		"auto reply", "auto:", "abwesenheitsnotiz", "r\xc3\xa9ponse automatique",
		"absence:", "fuera de la oficina", "respuesta autom\xc3\xa1tica"
	};
	char buf[REPLY_SUBJECT_MAX + 1];
	const char *s = buf;
	size_t i;

	reply_decode_words(v, len, buf, sizeof(buf));
	reply_fold(buf);
	while (reply_blank(*s))
		s++;
	for (i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++) {
		size_t pl = strlen(phrases[i]);

		if (strncmp(s, phrases[i], pl) == 0 &&
		    (phrases[i][pl - 1] == ':' || !reply_word_char(s[pl])))
			return true;
	}
	return false;
}

bool reply_marker(const char *name, const char *value, size_t len)
{
	char tok[32];

	if (name == NULL || value == NULL)
		return false;
	if (strcasecmp(name, "Subject") == 0)
		return reply_subject(value, len);
	reply_token(value, len, tok, sizeof(tok));
	if (strcasecmp(name, "Auto-Submitted") == 0)
		return tok[0] != '\0' && strcmp(tok, "no") != 0;
	if (strcasecmp(name, "X-Autoreply") == 0 || strcasecmp(name, "X-Autorespond") == 0)
		return strcmp(tok, "no") != 0 && strcmp(tok, "false") != 0 && strcmp(tok, "0") != 0;
	if (strcasecmp(name, "Precedence") == 0)
		return strcmp(tok, "auto_reply") == 0;
	return false;
}
