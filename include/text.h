/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * text.h - text from outside (SMTP, LDAP, Redis) made safe for a log line
 * or a report: the one cleaner both programs use.
 */
#ifndef FWDGUARD_TEXT_H
#define FWDGUARD_TEXT_H

#include <stddef.h>

/*
 * Copies text (NULL: "") into buf, cut to size - 1 bytes (size > 0):
 * control characters, DEL and non-ASCII bytes become '?', so a line
 * cannot be split, hidden or spoofed by what it quotes.  Returns buf.
 */
const char *text_clean(char *buf, size_t size, const char *text);

/* The same, but bytes above 0x7f are kept: UTF-8 text in a mail body. */
const char *text_clean_8bit(char *buf, size_t size, const char *text);

#endif
