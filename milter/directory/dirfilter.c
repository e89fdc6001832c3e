/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dirfilter.c - RFC 4515 filters for the directory: the escaping of one
 * assertion value and the filters built from ldap.mailbox_filter.  Pure
 * code, split from directory.c; see directory.h.
 */
#include <stdbool.h>
#include <string.h>

#include "directory.h"

int
dir_filter_escape(const char *value, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (value == NULL || len == 0 || len > DIR_VALUE_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)value[i];
		bool plain = ch > 0x20 && ch < 0x7f && ch != '*' && ch != '(' && ch != ')' &&
		    ch != '\\';

		if (o + (plain ? 1 : 3) >= size)
			return -1;
		if (plain) {
			out[o++] = (char)ch;
			continue;
		}
		out[o++] = '\\';
		out[o++] = hex[ch >> 4];
		out[o++] = hex[ch & 0x0f];
	}
	out[o] = '\0';
	return (int)o;
}

static int
dir_append(char *out, size_t size, size_t *o, const char *s, size_t n)
{
	if (*o + n >= size)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

int
dir_filter_build(const char *pattern, const char *extra, const char *value,
    char *out, size_t size)
{
	char esc[DIR_VALUE_MAX * 3 + 1];
	int elen;
	size_t o = 0;

	if (size == 0 || pattern == NULL || value == NULL)
		return -1;
	out[0] = '\0';
	if ((elen = dir_filter_escape(value, strlen(value), esc, sizeof(esc))) < 0)
		return -1;
	if (extra != NULL && dir_append(out, size, &o, "(&", 2) != 0)
		return -1;
	for (const char *p = pattern; *p != '\0'; p++) {
		int rc;

		if (p[0] == '%' && p[1] == 's') {
			rc = dir_append(out, size, &o, esc, (size_t)elen);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			rc = dir_append(out, size, &o, "%", 1);
			p++;
		} else
			rc = dir_append(out, size, &o, p, 1);
		if (rc != 0)
			return -1;
	}
	if (extra != NULL && (dir_append(out, size, &o, extra, strlen(extra)) != 0 ||
	    dir_append(out, size, &o, ")", 1) != 0))
		return -1;
	return 0;
}
