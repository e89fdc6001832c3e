/* SPDX-License-Identifier: BSD-2-Clause */
/* b64.h - one base64 character's value, for the decoders of RFC 2045 and RFC 2047. */
#ifndef FWDGUARD_B64_H
#define FWDGUARD_B64_H

/* 0..63, or -1 when c is not in the base64 alphabet ('=' included). */
static inline int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

#endif
