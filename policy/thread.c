/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * thread.c - Outlook's conversation id and forward subjects (thread.h).
 *
 * Thread-Index is base64: a 22-byte header (a reserved byte, a 5-byte
 * time, a 16-byte GUID) that Outlook copies into every answer and forward
 * of the conversation, then 5 bytes per message after the first.  Only
 * the header is read, so the forward and the message it forwards give the
 * same id.  Thread-Topic is a subject, shared by unrelated conversations,
 * and is not read.  Pure code.
 */
#include <string.h>
#include "thread.h"
#include "reply.h"
#include "b64.h"

static bool thread_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

size_t thread_conversation(const char *v, size_t len, char *out, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char bytes[THREAD_CONV_BYTES];
	unsigned long acc = 0;
	size_t i, n = 0;
	int bits = 0, d;

	if (out == NULL || size <= THREAD_CONV_MAX) {
		if (out != NULL && size > 0)
			out[0] = '\0';
		return 0;
	}
	out[0] = '\0';
	for (i = 0; i < len && n < THREAD_CONV_BYTES; i++) {
		if (thread_blank(v[i]))
			continue;
		if ((d = b64_value(v[i])) < 0)
			return 0;	/* '=' or junk before 22 bytes: too short or not base64 */
		acc = (acc << 6) | (unsigned long)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			bytes[n++] = (unsigned char)(acc >> bits);
			acc &= (1ul << bits) - 1;
		}
	}
	if (n < THREAD_CONV_BYTES)
		return 0;
	for (i = 0; i < THREAD_CONV_BYTES; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[THREAD_CONV_MAX] = '\0';
	return THREAD_CONV_MAX;
}

bool thread_forward_subject(const char *v, size_t len)
{
	static const char *const prefixes[] = { "fwd", "fw", "tr", "wg", "rv" };
	char buf[REPLY_SUBJECT_MAX + 1];
	const char *s = buf;
	size_t i;

	if (v == NULL)
		return false;
	reply_decode_words(v, len, buf, sizeof(buf));
	while (thread_blank(*s))
		s++;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]), k;
		const char *t;

		for (k = 0; k < pl; k++)
			if ((s[k] | 0x20) != prefixes[i][k])
				break;
		if (k < pl)
			continue;
		t = s + pl;
		/* French typography: "TR :", with a blank or U+00A0 before the colon. */
		while (thread_blank(*t) || (t[0] == '\xc2' && t[1] == '\xa0'))
			t += thread_blank(*t) ? 1 : 2;
		if (*t == ':')
			return true;
	}
	return false;
}
