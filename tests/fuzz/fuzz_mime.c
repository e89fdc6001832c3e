/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_mime.c - MIME walking and decoding (policy/mime*.c).
 *
 * The input is "<top-level Content-Type>\n<top-level Content-Transfer-
 * Encoding>\n<body>" (an empty encoding line: none).  The body is fed in
 * chunks whose sizes come from a generator seeded by the body's first
 * four bytes, so the fuzzer chooses where lines, boundaries, encoded
 * words and base64 quanta are cut.  Each chunk is its own allocation of
 * exactly its length: a read past a chunk's end is an ASan report.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_policy.h"
#include "mime.h"

/*
 * The top-level transfer encoding is newer than this harness's oldest
 * walker: weak, so the harness builds with either and uses it when there.
 */
void mime_walk_set_encoding(struct mime_walk *w, const char *cte) __attribute__((weak));

/* xorshift32: a cheap generator, good enough to pick cut points. */
static uint32_t fuzz_next(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct policy *p = fuzz_policy();
	struct fuzz_in in = { data, size };
	const char *ids[MIME_IDS_MAX + 1];
	size_t clen, elen;
	char *ctype = fuzz_piece(&in, '\n', &clen);
	char *cte = fuzz_piece(&in, '\n', &elen);
	uint32_t seed = 0x9e3779b9u;

	for (size_t i = 0; i < 4 && i < in.len; i++)
		seed = seed * 31u + in.p[i];
	if (seed == 0)
		seed = 1;
	struct mime_walk *w = mime_walk_new(p, ctype);
	if (w == NULL)
		abort();
	if (mime_walk_set_encoding != NULL && elen > 0)
		mime_walk_set_encoding(w, cte);
	while (in.len > 0) {
		uint32_t r = fuzz_next(&seed);
		/* Mostly small cuts (1-16 bytes), sometimes large ones. */
		size_t n = (r & 3) != 0 ? 1 + (r >> 8) % 16 : 1 + (r >> 8) % 4096;
		if (n > in.len)
			n = in.len;
		char *chunk = malloc(n);
		if (chunk == NULL)
			abort();
		memcpy(chunk, in.p, n);
		mime_walk_feed(w, chunk, n);
		free(chunk);
		in.p += n;
		in.len -= n;
	}
	mime_walk_feed(w, "", 0);
	(void)mime_walk_signals(w);
	const char *mailbox = mime_walk_mailbox(w);
	if (mailbox != NULL)
		(void)strlen(mailbox);
	size_t n = mime_walk_original_ids(w, ids, MIME_IDS_MAX + 1);
	if (n > MIME_IDS_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		(void)strlen(ids[i]);
	/* Every id that names a signalling message is one of the ids kept. */
	const char *sig_ids[MIME_IDS_MAX];
	size_t ns = mime_walk_signal_ids(w, sig_ids, MIME_IDS_MAX);
	for (size_t i = 0; i < ns; i++) {
		size_t k;

		for (k = 0; k < n && ids[k] != sig_ids[i]; k++)
			;
		if (k == n)
			abort();
	}
	(void)mime_walk_is_dsn(w);
	(void)mime_walk_truncated(w);
	mime_walk_free(w);
	free(cte);
	free(ctype);
	return 0;
}
