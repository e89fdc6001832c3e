/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_address.c - address parsing and classification (policy/address.c,
 * policy/classify.c, policy/domain.c).
 *
 * The first byte picks what the input is: an envelope address (parsed,
 * canonicalized, classified) or a header address-list (scanned, each
 * addr-spec parsed and classified).  Checks what the headers promise: a
 * refused address is zeroed; a canonical form is NUL-terminated within
 * its buffer; the scan delivers at most max addresses.
 */
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "fuzz_policy.h"
#include "policy.h"

#define FUZZ_LIST_MAX	16

static void fuzz_classify(const struct policy *p, const char *raw, size_t len)
{
	struct address a;
	char canon[ADDRESS_CANONICAL_MAX + 1];
	char small[8];
	const struct policy_allow *allow;
	const char *target;

	enum address_status st = address_parse(raw, len, &a);
	if (address_status_str(st) == NULL)
		abort();
	if (st != ADDRESS_OK) {
		if (a.nhops != 0 || a.local[0] != '\0' || a.domain[0] != '\0')
			abort();
		return;
	}
	if (a.nhops < 0 || a.nhops > ADDRESS_HOPS_MAX)
		abort();
	if (address_canonical(&a, p->delimiters, canon, sizeof(canon)) == 0 &&
	    strlen(canon) >= sizeof(canon))
		abort();
	if (address_canonical(&a, "", small, sizeof(small)) == 0 && strlen(small) >= sizeof(small))
		abort();
	const char *mailbox = policy_protected(p, &a);
	(void)policy_is_internal(p, &a);
	enum destination d = policy_destination(p, &a, mailbox, 1700000000, &allow, &target);
	if (destination_name(d) == NULL)
		abort();
	(void)policy_crosscheck(p, d, "smtp", a.domain);
	(void)policy_crosscheck(p, d, "relay", "[192.0.2.1]");
	(void)policy_crosscheck(p, d, "local", NULL);
}

struct fuzz_list {
	const struct policy *p;
	size_t seen;
};

static int fuzz_list_one(void *ctx, const char *addr, size_t len)
{
	struct fuzz_list *l = ctx;

	l->seen++;
	fuzz_classify(l->p, addr, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct policy *p = fuzz_policy();
	struct fuzz_in in = { data, size };
	uint8_t mode = fuzz_byte(&in);
	/* A copy of exactly the input's length: ASan sees any read past it. */
	char *raw = malloc(in.len + 1);

	if (raw == NULL)
		abort();
	memcpy(raw, in.p, in.len);
	if (mode & 1) {
		struct fuzz_list l = { p, 0 };
		int n = address_list_scan(raw, in.len, FUZZ_LIST_MAX, fuzz_list_one, &l);
		if (n > FUZZ_LIST_MAX || l.seen > FUZZ_LIST_MAX || (n >= 0 && (size_t)n != l.seen))
			abort();
	} else {
		fuzz_classify(p, raw, in.len);
	}
	free(raw);
	return 0;
}
