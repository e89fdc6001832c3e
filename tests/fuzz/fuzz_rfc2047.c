/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_rfc2047.c - RFC 2047 encoded-word decoding and the auto-reply
 * markers read from single header values (policy/reply.c).
 *
 * The first byte picks the output buffer's size (small ones test the
 * cut); the rest is a header value.  The decoder must stay inside its
 * buffer, NUL-terminate it and return the length written.  A copy of
 * exactly the value's length makes any read past it an ASan report.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_policy.h"
#include "reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 1, 2, 3, 4, 7, 16, REPLY_SUBJECT_MAX + 1, 4096 };
	static const char *const names[] = {
		"Subject", "Auto-Submitted", "X-Autoreply", "X-Autorespond", "Precedence", "To",
	};
	struct fuzz_in in = { data, size };
	size_t osize = sizes[fuzz_byte(&in) % (sizeof(sizes) / sizeof(sizes[0]))];
	char *value = malloc(in.len > 0 ? in.len : 1);
	char *out = malloc(osize);

	if (value == NULL || out == NULL)
		abort();
	if (in.len > 0)
		memcpy(value, in.p, in.len);
	size_t n = reply_decode_words(value, in.len, out, osize);
	if (n >= osize || out[n] != '\0')
		abort();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		(void)reply_marker(names[i], value, in.len);
	free(out);
	free(value);
	return 0;
}
