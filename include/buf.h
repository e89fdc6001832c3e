/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * buf.h - text into a fixed buffer, cut to fit: the one bounded copy the
 * policy and the milter share (decisions' target and reason, MIME parties
 * and ids, connection macros).  Pure: libc only.
 */
#ifndef FWDGUARD_BUF_H
#define FWDGUARD_BUF_H

#include <stddef.h>
#include <string.h>

/*
 * Copies text (NULL: "") into buf, at most size - 1 bytes, always
 * NUL-terminated when size > 0.  Reads no further than it copies, so text
 * need not be terminated within size bytes.
 */
static inline void
buf_copy(char *buf, size_t size, const char *text)
{
	size_t n;

	if (size == 0)
		return;
	n = text == NULL ? 0 : strnlen(text, size - 1);
	if (n > 0)
		memcpy(buf, text, n);
	buf[n] = '\0';
}

#endif
