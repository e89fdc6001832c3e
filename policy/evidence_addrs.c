/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * evidence_addrs.c - the headers that carry addresses: the ones whose
 * naming a protected mailbox is a forward signal (Delivered-To, Received
 * "for", Exchange's loop headers, ...), From, To/Cc and Reply-To; and the
 * per-recipient signals drawn from them (evidence_recipient()).
 *
 * An address the parsers refuse is read once more, fail closed, word by
 * word (trace.h): stray bytes never make a protected mailbox vanish.  The
 * mailboxes returned are the policy's own pointers (policy_protected()),
 * borrowed for as long as the policy lives.  Pure code.
 */
#include <stdlib.h>
#include <string.h>
#include "evidence.h"
#include "evidence_state.h"
#include "trace.h"

/* The protected mailbox the text names, or NULL (unparseable is not protected). */
static const char *evidence_protected_text(const struct policy *p, const char *s, size_t len)
{
	struct address a;

	if (address_parse(s, len, &a) != ADDRESS_OK)
		return NULL;
	return policy_protected(p, &a);
}

/* One value being read for the protected mailbox it names. */
struct evidence_names {
	struct evidence *ev;
	const struct policy *p;
	const char *found;
	size_t seen;		/* addresses the list reader handed over */
	bool keep;		/* To/Cc: keep every address read, read them all */
};

static void evidence_rcpt_keep(struct evidence *ev, const struct policy *p,
    const struct address *a);

static int evidence_loose_cb(void *ctx, const char *addr, size_t len)
{
	struct evidence_names *n = ctx;

	n->found = evidence_protected_text(n->p, addr, len);
	return n->found != NULL;
}

/*
 * Text a parser refused is read once more, fail closed: each address-like
 * word in it is tried whole (trace_words()), so stray bytes cannot make a
 * protected mailbox vanish, and a look-alike stays a look-alike.
 */
static void evidence_loose(struct evidence_names *n, const char *v, size_t len)
{
	if (n->found == NULL && trace_words(v, len, EVIDENCE_SCAN_ADDRS, evidence_loose_cb, n) < 0)
		n->ev->truncated = true;
}

static int evidence_names_cb(void *ctx, const char *addr, size_t len)
{
	struct evidence_names *n = ctx;
	struct address a;

	n->seen++;
	if (address_parse(addr, len, &a) != ADDRESS_OK) {
		/* Fail closed; X-Forwarded-For puts two addresses in one item. */
		evidence_loose(n, addr, len);
	} else {
		if (n->keep)
			evidence_rcpt_keep(n->ev, n->p, &a);
		if (n->found == NULL)
			n->found = policy_protected(n->p, &a);
	}
	return n->found != NULL && !n->keep;
}

/*
 * The first protected mailbox an address-bearing value names, or NULL.
 * The list reader decides what is an address and what a display name or
 * comment; when it cannot read the value at all, or finds no address in
 * a value with an '@', the whole value is read fail closed.
 */
static const char *evidence_names(struct evidence *ev, const struct policy *p,
    const char *v, size_t len, bool keep)
{
	struct evidence_names n = { .ev = ev, .p = p, .keep = keep };
	int rc;

	rc = address_list_scan(v, len, EVIDENCE_SCAN_ADDRS, evidence_names_cb, &n);
	if (n.found != NULL)
		return n.found;
	if (rc < 0 && n.seen >= EVIDENCE_SCAN_ADDRS) {
		ev->truncated = true;
		return NULL;
	}
	if (rc < 0 || (rc == 0 && memchr(v, '@', len) != NULL))
		evidence_loose(&n, v, len);
	return n.found;
}

/* A header that names a mailbox (Delivered-To, Resent-From, ...); To/Cc keep more. */
const char *evidence_addrs_names(struct evidence *ev, const struct policy *p,
    const char *v, size_t len)
{
	return evidence_names(ev, p, v, len, false);
}

/*
 * Exchange writes "address;tenant-or-rule-id"; each ';'-separated part is
 * read on its own, so that a second pair hides nothing.
 */
const char *evidence_addrs_names_semi(struct evidence *ev, const struct policy *p,
    const char *v, size_t len)
{
	const char *end = v + len, *semi, *m = NULL;

	while (m == NULL && v < end) {
		if ((semi = memchr(v, ';', (size_t)(end - v))) == NULL)
			semi = end;
		m = evidence_names(ev, p, v, (size_t)(semi - v), false);
		v = semi + 1;
	}
	return m;
}

/* --- Received: ... for <address> ---------------------------------------------- */

static int evidence_for_cb(void *ctx, const char *addr, size_t len)
{
	struct evidence_names *n = ctx;
	struct address a;

	if (address_parse(addr, len, &a) == ADDRESS_OK)
		n->found = policy_protected(n->p, &a);
	else
		evidence_loose(n, addr, len);
	return n->found != NULL;
}

/* The protected mailbox a Received "for" clause outside comments names, or NULL. */
const char *evidence_addrs_received_for(struct evidence *ev, const struct policy *p,
    const char *v, size_t len)
{
	struct evidence_names n = { .ev = ev, .p = p };

	if (trace_received_for(v, len, EVIDENCE_SCAN_ADDRS, evidence_for_cb, &n) < 0)
		ev->truncated = true;
	return n.found;
}

/* --- From, To/Cc, Reply-To ------------------------------------------------------------ */

struct evidence_first {
	struct address a;
	enum address_status st;
};

static int evidence_first_cb(void *ctx, const char *addr, size_t len)
{
	struct evidence_first *f = ctx;

	f->st = address_parse(addr, len, &f->a);
	return 1;
}

void evidence_addrs_from(struct evidence *ev, const struct policy *p, const char *v,
    size_t len)
{
	struct evidence_first f = { .st = ADDRESS_MALFORMED };

	if (ev->from_seen)
		return;
	ev->from_seen = true;
	address_list_scan(v, len, 1, evidence_first_cb, &f);
	if (f.st != ADDRESS_OK ||
	    address_canonical(&f.a, p->delimiters, ev->from, sizeof(ev->from)) < 0) {
		ev->from[0] = '\0';
		return;
	}
	ev->from_ok = true;
	ev->from_internal = policy_is_internal(p, &f.a) != 0;
	ev->from_protected = policy_protected(p, &f.a);
}

/* Keeps one To/Cc address, canonical, for header-recipient. */
static void evidence_rcpt_keep(struct evidence *ev, const struct policy *p,
    const struct address *a)
{
	char canon[EVIDENCE_CANON_SIZE];

	if (address_canonical(a, NULL, canon, sizeof(canon)) < 0)
		return;
	if (ev->naddrs == EVIDENCE_ADDRS_MAX) {
		ev->truncated = true;
		return;
	}
	if ((ev->addrs[ev->naddrs] = strdup(canon)) == NULL)
		ev->truncated = true;
	else
		ev->naddrs++;
}

/*
 * Only addresses read whole are kept: one that took the fail-closed
 * reading may name the mailbox (rcpt_mailbox), never excuse a recipient.
 */
void evidence_addrs_recipients(struct evidence *ev, const struct policy *p, const char *v,
    size_t len)
{
	const char *m = evidence_names(ev, p, v, len, true);

	if (ev->rcpt_mailbox == NULL)
		ev->rcpt_mailbox = m;
}

struct evidence_reply_to {
	struct evidence *ev;
	const struct policy *p;
};

static int evidence_reply_to_cb(void *ctx, const char *addr, size_t len)
{
	struct evidence_reply_to *r = ctx;
	struct evidence *ev = r->ev;
	struct address a;

	if (address_parse(addr, len, &a) != ADDRESS_OK ||
	    address_canonical(&a, r->p->delimiters, ev->reply_to[ev->nreply_to],
	    sizeof(ev->reply_to[0])) < 0)
		return 0;
	return ++ev->nreply_to == EVIDENCE_REPLY_TO_MAX;
}

void evidence_addrs_reply_to(struct evidence *ev, const struct policy *p, const char *v,
    size_t len)
{
	struct evidence_reply_to r = { .ev = ev, .p = p };

	if (ev->reply_to_seen)
		return;
	ev->reply_to_seen = true;
	address_list_scan(v, len, EVIDENCE_REPLY_TO_MAX * 4, evidence_reply_to_cb, &r);
}

/* --- per-recipient signals ------------------------------------------------------------ */

static const char *evidence_orcpt_mailbox(const struct policy *p, const char *orcpt)
{
	char buf[ADDRESS_MAX + 1];
	int n;

	if (orcpt == NULL || (n = trace_orcpt_decode(orcpt, buf, sizeof(buf))) < 0)
		return NULL;
	return evidence_protected_text(p, buf, (size_t)n);
}

static int evidence_in_recipients(const struct evidence *ev, const char *canon)
{
	size_t i;

	for (i = 0; i < ev->naddrs; i++) {
		if (strcmp(ev->addrs[i], canon) == 0)
			return 1;
	}
	return 0;
}

/* The message is someone else's: From is external, absent, or not the sender. */
static int evidence_not_senders_own(const struct evidence *ev, const struct policy *p,
    const struct address *sender)
{
	char canon[EVIDENCE_CANON_SIZE];

	if (!ev->from_ok || !ev->from_internal || sender == NULL)
		return 1;
	if (address_canonical(sender, p->delimiters, canon, sizeof(canon)) < 0)
		return 1;
	return strcmp(canon, ev->from) != 0;
}

static int evidence_header_recipient(const struct evidence *ev, const struct policy *p,
    const struct address *rcpt, const struct address *sender)
{
	char canon[EVIDENCE_CANON_SIZE];

	if (ev->rcpt_mailbox == NULL || policy_is_internal(p, rcpt))
		return 0;
	if (address_canonical(rcpt, NULL, canon, sizeof(canon)) == 0 &&
	    evidence_in_recipients(ev, canon))
		return 0;
	return evidence_not_senders_own(ev, p, sender);
}

signal_set evidence_recipient(const struct evidence *ev, const struct policy *p,
    const struct address *rcpt, const char *orcpt, const struct address *sender,
    const char **mailbox)
{
	signal_set set = 0;
	const char *m = evidence_orcpt_mailbox(p, orcpt);

	if (m != NULL) {
		set |= SIGNAL_BIT(SIGNAL_ORCPT);
		*mailbox = m;
	}
	if (rcpt != NULL && evidence_header_recipient(ev, p, rcpt, sender)) {
		set |= SIGNAL_BIT(SIGNAL_HEADER_RECIPIENT);
		if (m == NULL)
			*mailbox = ev->rcpt_mailbox;
	}
	return set;
}

