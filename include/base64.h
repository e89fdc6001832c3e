/* base64.h - one base64 digit's value, for the decoders of RFC 2047 words and Thread-Index. */
#ifndef FWDGUARD_BASE64_H
#define FWDGUARD_BASE64_H

/* 0..63, or -1 when c is not a base64 digit (RFC 4648 alphabet; '=' is not one). */
static inline int
base64_value(char c)
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
