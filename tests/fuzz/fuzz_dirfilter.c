/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_dirfilter.c - LDAP filter escaping (milter/directory/dirfilter.c).
 *
 * The input is "<pattern>\0<value>", the first byte picking the output
 * size.  The escaped value must unescape to the input byte for byte and
 * hold no filter metacharacter; a filter built from the fixed default
 * pattern must keep its parentheses balanced whatever the value (an
 * address that could open or close a filter component would let a sender
 * rewrite the query); a filter built from the fuzzed pattern must stay in
 * its buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "directory.h"
#include "fuzz_policy.h"

static int fuzz_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void fuzz_escape(const char *value, size_t len)
{
	char out[DIR_VALUE_MAX * 3 + 1];
	size_t j = 0;
	int n = dir_filter_escape(value, len, out, sizeof(out));

	if (n < 0) {
		if (len > 0 && len <= DIR_VALUE_MAX)
			abort();
		return;
	}
	if ((size_t)n != strlen(out))
		abort();
	for (int i = 0; i < n; i++, j++) {
		char c = out[i];
		if (c == '(' || c == ')' || c == '*' || c <= 0x20 || c >= 0x7f)
			abort();
		if (c == '\\') {
			int hi = i + 2 < n ? fuzz_hex(out[i + 1]) : -1;
			int lo = hi >= 0 ? fuzz_hex(out[i + 2]) : -1;
			if (lo < 0)
				abort();
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (j >= len || value[j] != c)
			abort();
	}
	if (j != len)
		abort();
}

static void fuzz_balanced(const char *filter)
{
	int depth = 0;

	for (const char *p = filter; *p != '\0'; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth < 0)
			abort();
	}
	if (depth != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 1, 2, 16, 64, 256, DIR_FILTER_MAX };
	struct fuzz_in in = { data, size };
	size_t osize = sizes[fuzz_byte(&in) % (sizeof(sizes) / sizeof(sizes[0]))];
	size_t plen, vlen;
	char *pattern = fuzz_piece(&in, '\0', &plen);
	char *value = fuzz_piece(&in, '\0', &vlen);
	char *exact = malloc(in.len + vlen + 1);
	char filter[DIR_FILTER_MAX];
	char *out = malloc(osize);

	if (exact == NULL || out == NULL)
		abort();
	/* The escaper takes a length: give it the rest, NULs included. */
	memcpy(exact, value, vlen);
	memcpy(exact + vlen, in.p, in.len);
	fuzz_escape(exact, vlen + in.len);
	if (dir_filter_build("(|(mail=%s)(mailAlternateAddress=%s))", "(objectClass=*)", value,
	    filter, sizeof(filter)) == 0)
		fuzz_balanced(filter);
	if (dir_filter_build(pattern, plen % 2 ? value : NULL, value, out, osize) == 0 &&
	    strlen(out) >= osize)
		abort();
	free(out);
	free(exact);
	free(value);
	free(pattern);
	return 0;
}
