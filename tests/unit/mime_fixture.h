/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mime_fixture.h - a body fed to the MIME walker in chunks of step bytes
 * (0: all at once), as a milter gets it in pieces of any size.  The test
 * file that includes it defines test_policy first.  Included by one test
 * file each.
 */
#ifndef FWDGUARD_MIME_FIXTURE_H
#define FWDGUARD_MIME_FIXTURE_H

#include "mime.h"

/* The walker after the whole body; the caller frees it. */
static struct mime_walk *walk(const char *ctype, const char *body, size_t step)
{
	struct mime_walk *w = mime_walk_new(&test_policy, ctype);
	size_t len = strlen(body), off = 0;

	assert_non_null(w);
	if (step == 0)
		step = len;
	while (off < len) {
		size_t n = len - off < step ? len - off : step;

		mime_walk_feed(w, body + off, n);
		off += n;
	}
	return w;
}

#endif
