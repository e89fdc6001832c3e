/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * text.c - see text.h.
 */
#include <stdbool.h>

#include "text.h"

static const char *
text_clean_bytes(char *buf, size_t size, const char *text, bool keep_8bit)
{
	size_t i;

	for (i = 0; text != NULL && text[i] != '\0' && i + 1 < size; i++) {
		unsigned char c = (unsigned char)text[i];
		bool bad = c < 0x20 || c == 0x7f || (c > 0x7f && !keep_8bit);

		buf[i] = bad ? '?' : (char)c;
	}
	buf[i] = '\0';
	return buf;
}

const char *
text_clean(char *buf, size_t size, const char *text)
{
	return text_clean_bytes(buf, size, text, false);
}

const char *
text_clean_8bit(char *buf, size_t size, const char *text)
{
	return text_clean_bytes(buf, size, text, true);
}
