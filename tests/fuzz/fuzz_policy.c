/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_policy.c - the fixed policy and input cursor of tests/fuzz/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "fuzz_policy.h"

static char *fuzz_protected[] = { "support@corp.example", "contactfr@corp.example" };
static char *fuzz_archive_mailboxes[] = { "support@corp.example" };

static struct policy_allow fuzz_allow[] = {
	{ .destination = "partner.example", .reason = "fuzz", .owner = "fuzz" },
	{ .destination = "*.trusted.example", .reason = "fuzz", .owner = "fuzz" },
	{ .destination = "archive@vault.example", .mailboxes = fuzz_archive_mailboxes,
	  .nmailboxes = 1, .reason = "fuzz", .owner = "fuzz" },
};

static struct policy fuzz_the_policy = {
	.protected = fuzz_protected,
	.nprotected = 2,
	.delimiters = "+-",
	.allow = fuzz_allow,
	.nallow = sizeof(fuzz_allow) / sizeof(fuzz_allow[0]),
	.mode = MODE_ENFORCE,
};

const struct policy *fuzz_policy(void)
{
	static const char *internal[] = { "corp.example", "*.corp.example", "bücher.example" };
	char err[128];

	if (fuzz_the_policy.internal != NULL)
		return &fuzz_the_policy;
	fuzz_the_policy.internal = domain_list_new();
	if (fuzz_the_policy.internal == NULL)
		abort();
	for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++) {
		if (domain_list_add(fuzz_the_policy.internal, internal[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "fuzz_policy: %s: %s\n", internal[i], err);
			abort();
		}
	}
	return &fuzz_the_policy;
}

uint8_t fuzz_byte(struct fuzz_in *in)
{
	if (in->len == 0)
		return 0;
	in->len--;
	return *in->p++;
}

char *fuzz_piece(struct fuzz_in *in, uint8_t sep, size_t *len)
{
	const uint8_t *end = in->len > 0 ? memchr(in->p, sep, in->len) : NULL;
	size_t n = end != NULL ? (size_t)(end - in->p) : in->len;
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	if (n > 0)
		memcpy(s, in->p, n);
	s[n] = '\0';
	in->p += n;
	in->len -= n;
	if (end != NULL) {
		in->p++;
		in->len--;
	}
	*len = n;
	return s;
}
