/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dirrcpt.c - the directory facts of one recipient: which mailbox it is,
 * and where its directory entry forwards it.  See directory.h
 * (directory_rcpt) and README.md "Recipient delimiters" and "The directory".
 */
#include <stdbool.h>
#include <string.h>

#include "directory.h"
#include "text.h"

static void
dirrcpt_forward_check(const struct policy *p, struct decide_rcpt *r, const char *mailbox,
    const struct dir_values *targets, time_t now, char *target, size_t size)
{
	struct address a;

	for (size_t i = 0; i < targets->n; i++) {
		const char *t = targets->v[i];

		/* A target that cannot be read is not vouched for: external. */
		if (address_parse(t, strlen(t), &a) == ADDRESS_OK &&
		    policy_destination(p, &a, mailbox, now, NULL, NULL) != DEST_EXTERNAL)
			continue;
		r->extra |= SIGNAL_BIT(SIGNAL_DIRECTORY_FORWARD);
		text_clean(target, size, t);
		r->extra_target = target;
		return;
	}
}

/* The mailbox of an entry protected_filter selects: its name in the set, else the address. */
static const char *
dirrcpt_entry_mailbox(struct directory *d, const char *canonical)
{
	const char *m = directory_protected_known(d, canonical);

	return m != NULL ? m : directory_intern(d, canonical);
}

/*
 * A recipient the policy does not name whole: a mailbox protected in the
 * directory, or, when the directory has no entry for the whole address,
 * the mailbox of the address without its extension (bare; NULL: none).
 * *mailbox NULL: out of scope (an unlisted address the directory cannot
 * answer for flows, see directory.h).
 */
static enum dir_status
dirrcpt_unlisted(struct directory *d, const struct policy *p, const char *whole,
    const char *bare, const char **mailbox, struct dir_values *targets)
{
	const char *bare_mailbox;
	enum dir_status st;

	*mailbox = NULL;
	st = directory_protected(d, whole, targets);
	if (st == DIR_FOUND)
		*mailbox = dirrcpt_entry_mailbox(d, whole);
	if (st == DIR_FOUND || bare == NULL)
		return st;
	bare_mailbox = policy_protected_canonical(p, bare);
	if (st == DIR_NOTFOUND)
		st = directory_forwards(d, whole, targets);
	if (st == DIR_FOUND) {
		/* customer-service@ has an entry: it is not customer@'s. */
		dir_values_free(targets);
		return DIR_NOTFOUND;
	}
	if (st == DIR_TRYAGAIN) {
		*mailbox = bare_mailbox;
		return st;
	}
	if (bare_mailbox != NULL) {
		*mailbox = bare_mailbox;
		return directory_forwards(d, bare, targets);
	}
	st = directory_protected(d, bare, targets);
	if (st == DIR_FOUND)
		*mailbox = dirrcpt_entry_mailbox(d, bare);
	return st;
}

void
directory_rcpt(struct directory *d, const struct policy *p, struct decide_rcpt *r,
    time_t now, char *target, size_t size)
{
	char whole[ADDRESS_CANONICAL_MAX + 1], bare[ADDRESS_CANONICAL_MAX + 1];
	struct dir_values targets = { NULL, 0 };
	const char *mailbox;
	bool has_bare;
	enum dir_status st;

	if (!directory_active(d) || r->status != ADDRESS_OK || r->addr.nhops != 1 ||
	    r->addr.route != ROUTE_NONE ||
	    address_canonical(&r->addr, NULL, whole, sizeof(whole)) != 0)
		return;
	/* Our delimiters mean something on our own domains only. */
	has_bare = policy_is_internal(p, &r->addr) &&
	    address_canonical(&r->addr, p->delimiters, bare, sizeof(bare)) == 0 &&
	    strcmp(bare, whole) != 0;
	if ((mailbox = policy_protected_canonical(p, whole)) != NULL) {
		/* As Postfix's table is asked: whole, then without the extension. */
		st = directory_forwards(d, whole, &targets);
		if (st == DIR_NOTFOUND && has_bare)
			st = directory_forwards(d, bare, &targets);
	} else {
		st = dirrcpt_unlisted(d, p, whole, has_bare ? bare : NULL, &mailbox, &targets);
	}
	if (mailbox != NULL) {
		r->extra_mailbox = mailbox;
		r->extra_is_rcpt = true;
		if (st == DIR_TRYAGAIN)
			r->directory_error = true;
		else if (st == DIR_FOUND)
			dirrcpt_forward_check(p, r, mailbox, &targets, now, target, size);
	}
	dir_values_free(&targets);
}
