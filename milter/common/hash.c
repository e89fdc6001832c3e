/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hash.c - FNV-1a, 64-bit (include/hash.h): one byte at a time, xor then
 * multiply by the FNV prime.
 */
#include "hash.h"

#define HASH_PRIME	1099511628211ULL

static uint64_t hash_byte(uint64_t h, unsigned char c)
{
	return (h ^ c) * HASH_PRIME;
}

uint64_t hash_bytes(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = hash_byte(h, p[i]);
	return h;
}

uint64_t hash_str(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		h = hash_byte(h, *p);
	return h;
}

uint64_t hash_lower(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		h = hash_byte(h, *p >= 'A' && *p <= 'Z' ? (unsigned char)(*p - 'A' + 'a') : *p);
	return h;
}

uint64_t hash_cut(uint64_t h)
{
	return hash_byte(h, 0xff);
}
