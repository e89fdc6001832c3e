/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_watch_set.c - the forward set fwdguard-audit watch keeps in Redis
 * (milter/audit-tool/watch/watch_set.c): a value anyone with write access to Redis could
 * have damaged.
 *
 * The input is the text as stored.  A text read as a set must encode back
 * to a text that reads as the same set (same count, nothing differs), and
 * the set must diff against itself to nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_policy.h"
#include "watch_set.h"

static int fuzz_no_call(void *ctx, const struct watch_item *it, enum watch_change ch)
{
	(void)ctx;
	(void)it;
	(void)ch;
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long long base, base2;
	size_t len;
	struct watch_set *s = watch_set_decode((const char *)data, size, &base);

	if (s == NULL)
		return 0;
	char *text = watch_set_encode(s, base, &len);
	if (text == NULL)
		abort();
	struct watch_set *t = watch_set_decode(text, len, &base2);
	if (t == NULL || base2 != base || watch_set_count(t) != watch_set_count(s) ||
	    watch_set_diff(s, t, fuzz_no_call, NULL) != 0 ||
	    watch_set_diff(t, s, fuzz_no_call, NULL) != 0)
		abort();
	free(text);
	watch_set_free(t);
	watch_set_free(s);
	return 0;
}
