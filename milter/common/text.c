/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * text.c - see text.h.
 */
#include "text.h"

const char *
text_clean(char *buf, size_t size, const char *text)
{
	size_t i;

	for (i = 0; text != NULL && text[i] != '\0' && i + 1 < size; i++) {
		unsigned char c = (unsigned char)text[i];

		buf[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	buf[i] = '\0';
	return buf;
}
