/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mime_blob.c - protected addresses in Outlook .msg and TNEF files (see
 * mime_blob.h for what is and is not read).  Every byte moves three token
 * builders one step; a token is judged once, when it ends: as an address,
 * and, in an OLE file not yet known to be a message, as a stream name.
 */
#include <string.h>
#include <strings.h>
#include "mime_blob.h"

static const unsigned char mime_blob_ole[] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1 };
static const unsigned char mime_blob_tnef[] = { 0x78, 0x9f, 0x3e, 0x22 };

enum mime_blob_kind mime_blob_magic(const char *first, size_t n)
{
	if (n >= sizeof(mime_blob_ole) && memcmp(first, mime_blob_ole, sizeof(mime_blob_ole)) == 0)
		return MIME_BLOB_OLE;
	if (n >= sizeof(mime_blob_tnef) && memcmp(first, mime_blob_tnef, sizeof(mime_blob_tnef)) == 0)
		return MIME_BLOB_TNEF;
	return MIME_BLOB_NONE;
}

/* RFC 5322 atext, '.' and '@': what an address is made of. */
static bool mime_blob_addr_char(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.@", c) != NULL;
}

/* The name of a stream only an Outlook message's OLE directory holds. */
static bool mime_blob_msg_stream(const char *s, size_t n)
{
	static const char substg[] = "__substg1.0_", props[] = "__properties_version1.0";

	return (n > sizeof(substg) - 1 && strncasecmp(s, substg, sizeof(substg) - 1) == 0) ||
	    (n == sizeof(props) - 1 && strncasecmp(s, props, n) == 0);
}

static void mime_blob_judge(struct mime_blob *b, struct mime_blob_token *t)
{
	size_t start = 0, end = t->n;
	struct address a;

	/* Sentence punctuation around an address is not part of it. */
	while (start < end && (t->buf[start] == '.' || t->buf[start] == '\''))
		start++;
	while (end > start && (t->buf[end - 1] == '.' || t->buf[end - 1] == '\''))
		end--;
	if (!b->message && !t->over)
		b->message = mime_blob_msg_stream(t->buf + start, end - start);
	if (b->found == NULL && !t->over && end > start &&
	    memchr(t->buf + start, '@', end - start) != NULL &&
	    address_parse(t->buf + start, end - start, &a) == ADDRESS_OK)
		b->found = policy_protected(b->p, &a);
	t->n = 0;
	t->over = false;
}

static void mime_blob_put(struct mime_blob *b, struct mime_blob_token *t, char c)
{
	if (!mime_blob_addr_char(c)) {
		if (t->n > 0 || t->over)
			mime_blob_judge(b, t);
		return;
	}
	if (t->n < sizeof(t->buf))
		t->buf[t->n++] = c;
	else
		t->over = true;
}

/* One byte of UTF-16LE text read from an even (k 0) or odd (k 1) offset. */
static void mime_blob_wide(struct mime_blob *b, struct mime_blob_token *t, bool low, char c)
{
	if (low) {
		t->low = c;
		t->pending = true;
		return;
	}
	if (!t->pending)
		return;
	t->pending = false;
	/* Anything but a Basic Latin character ends the token. */
	mime_blob_put(b, t, c == '\0' ? t->low : '\0');
}

void mime_blob_init(struct mime_blob *b, const struct policy *p, bool message)
{
	memset(b, 0, sizeof(*b));
	b->p = p;
	b->message = message;
}

void mime_blob_feed(struct mime_blob *b, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len && mime_blob_found(b) == NULL; i++, b->off++) {
		bool even = (b->off & 1) == 0;

		mime_blob_put(b, &b->ascii, buf[i]);
		mime_blob_wide(b, &b->wide[0], even, buf[i]);
		mime_blob_wide(b, &b->wide[1], !even, buf[i]);
	}
}

const char *mime_blob_end(struct mime_blob *b)
{
	size_t k;

	mime_blob_put(b, &b->ascii, '\0');
	for (k = 0; k < 2; k++)
		mime_blob_put(b, &b->wide[k], '\0');
	return mime_blob_found(b);
}

const char *mime_blob_found(const struct mime_blob *b)
{
	return b->message ? b->found : NULL;
}
