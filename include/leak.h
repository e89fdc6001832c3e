/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * leak.h - leak decisions from correlation facts (README.md "Leaks that slipped through").
 *
 * The milter remembers, for every message a protected mailbox receives,
 * who sent it and which domains it was addressed to (<prefix>msg:<id>,
 * README.md "The audit trail").  Later it looks Message-IDs up there and hands what it
 * found to these functions, which decide:
 *   - inbound: an auto-reply or DSN that references such a message and
 *     comes from an external domain that was never a party to it means a
 *     copy went there (leak-backscatter); any reply to a canary probe from
 *     an external domain is a confirmed leak (leak-probe);
 *   - outbound: a message whose own Message-ID a protected mailbox
 *     received, leaving for an external domain that was not a party to it
 *     (known-message-id, also for a message it encloses), or a new
 *     message that names one (a forward made with a client's Forward
 *     button: referenced-message).
 * "A party" is a domain in the record's recipient domains (which also
 * hold its From and Reply-To domains) or the original envelope sender's
 * domain, or a subdomain of one (the customer's
 * mx.customer.example answers for customer.example).  Domains are
 * compared after domain_normalize().  Pure code.
 */
#ifndef FWDGUARD_LEAK_H
#define FWDGUARD_LEAK_H

#include <stdbool.h>
#include <stddef.h>
#include "policy.h"
#include "evidence.h"

#define LEAK_RCPT_DOMAINS_MAX	32	/* domains in one correlation record */

/*
 * How an outbound message names a message found in the store, for
 * leak_referenced_message() and leak_enclosed_message().
 */
enum leak_role {
	LEAK_ROLE_PARENT,	/* X-Forwarded-Message-Id, In-Reply-To, References' last id */
	LEAK_ROLE_ANCESTOR,	/* an earlier id of References */
	LEAK_ROLE_CONVERSATION,	/* its Outlook conversation (the first message of it) */
	LEAK_ROLE_ENCLOSED	/* the Message-ID of a message enclosed in its body */
};

/* One referenced Message-ID that was found in the correlation store. */
struct leak_ref {
	const char *message_id;
	const char *mailbox;		/* protected mailbox that received it */
	const char *sender;		/* its envelope sender ("" or "<>" for the null sender) */
	const char *rcpt_domains;	/* comma list of domains that were recipients of it */
	long long ts;			/* when it was received, unix ms */
	bool probe;			/* it was a canary probe */
	enum leak_role role;		/* outbound only: how the message judged names it */
};

/*
 * Inbound leak evidence for a message that references refs[0 .. nrefs)
 * (In-Reply-To, References, Message-IDs quoted in the body).
 * from_domain is the domain that answers: the envelope sender's domain, or
 * for the null sender (DSNs, most auto-replies) the From: header's domain
 * (leak_answer_domain() picks it); "" or NULL when unknown, and then
 * nothing is decided.  Gives
 *   leak-probe        when a ref is a probe and from_domain is external
 *                     (any reply, auto-reply or DSN);
 *   leak-backscatter  when the message is an auto-reply or a DSN, a ref
 *                     is not a probe, from_domain is external and not a
 *                     party to that ref.
 * *which (may be NULL) receives the index of the ref that gave the first
 * signal found (leak-probe refs are looked at first), untouched when 0 is
 * returned.
 */
signal_set leak_inbound(const struct policy *p, const char *from_domain, bool autoreply,
    bool dsn, const struct leak_ref *refs, size_t nrefs, size_t *which);

/*
 * known-message-id for one outbound recipient of a message whose own
 * Message-ID was found in the store (ref): recipient_domain (normalized,
 * the effective destination) is external and not a party to ref.
 * Returns 0 when ref or recipient_domain is NULL or "".
 */
signal_set leak_known_message_id(const struct policy *p, const struct leak_ref *ref,
    const char *recipient_domain);

/*
 * attached-message for one recipient of a message that encloses others:
 * sig (the walker's signals) without SIGNAL_ATTACHED_MESSAGE when the
 * message is automatic (a DSN or an auto-reply) and returns the enclosed
 * messages to one of their own parties: rcpt (the whole address, as
 * address_canonical() writes it with no delimiters) is among
 * parties[0 .. n) (mime_walk_parties(): a party of every enclosed message
 * that gave the signal; compared without regard to case), or is the
 * envelope sender of every one of originals[0 .. norig) (norig > 0), the
 * correlation records of ALL the enclosed messages that gave the signal
 * (the caller passes none when one of them is not known): a bounce goes
 * to the envelope sender, which need not be the From: the headers show
 * (a bounce address, a mailing service's).  The sender is compared whole
 * too; the record's domains are not used here: a whole domain (a
 * webmail's) is far more than the one address the message came from.  A
 * bounce carrying a customer's message to support@ back to that customer
 * is not a leak; the same message to anyone else is.  A person's forward
 * gets no such exemption: whoever sends it writes the headers of what it
 * encloses, while a DSN or auto-reply returns a message unasked.
 * Returns sig otherwise.
 */
signal_set leak_attached_message(signal_set sig, bool automatic, const char *rcpt,
    const char *const *parties, size_t n, const struct leak_ref *originals, size_t norig);

/*
 * known-message-id for one outbound recipient of a message that encloses
 * messages a protected mailbox received (refs[0 .. nrefs) with role
 * LEAK_ROLE_ENCLOSED; the others are skipped): recipient_domain
 * (normalized, the effective destination) is external and not a party to
 * one of them (as leak_known_message_id(): a bounce or a forward as
 * attachment back to the customer's domain is none).  A forward as
 * attachment whose headers were edited to name no protected mailbox still
 * carries the received message out.  *which (may be NULL) receives the
 * index of the first such ref, untouched when 0 is returned.
 */
signal_set leak_enclosed_message(const struct policy *p, const struct leak_ref *refs,
    size_t nrefs, const char *recipient_domain, size_t *which);

/*
 * Writes the comma list ("customer.example,corp.example") of the domains
 * of a message's parties, for its correlation record (rcpt_domains): the
 * effective domain (last hop) of each envelope recipient rcpts[0 .. n),
 * then the domains of From and Reply-To (where answers go), then the To/Cc
 * domains the evidence read, lower-case, deduplicated, in that order.  Unqualified recipients add nothing.  At most
 * LEAK_RCPT_DOMAINS_MAX domains, and only whole ones that fit in size:
 * the rest is left out, so a later answer from a left-out domain looks
 * like backscatter (an alert too many, never one too few).  out is always
 * NUL-terminated when size > 0.  Returns the number of domains written.
 */
size_t leak_rcpt_domains(const struct evidence *ev, const struct address *rcpts, size_t n,
    char *out, size_t size);

/*
 * The domain that answers, for leak_inbound(): the envelope sender's
 * effective domain, or when the sender is the null sender (or NULL) the
 * From: header's domain from the evidence.  Writes "" when neither is
 * known.  Returns out.
 */
const char *leak_answer_domain(const struct address *sender, const struct evidence *ev,
    char *out, size_t size);

/*
 * referenced-message for one outbound recipient of a message that names
 * other messages: refs[0 .. nrefs) are the ones found in the store, each
 * with its role, ancestors in the order References lists them.  It is
 * judged against the message it forwards or answers, not its whole
 * thread: the refs with role LEAK_ROLE_PARENT (every one of them); when
 * none was found, the last ancestor found (the nearest earlier message
 * the mailbox received); when none, the conversation.  Given when
 * recipient_domain (normalized, the effective destination) is external
 * and not a party to a ref judged.  A thread's References names every
 * earlier message: being a party to an old one of them says nothing
 * about the message sent on now, while a partner copied in later is a
 * party to the message it answers.  LEAK_ROLE_ENCLOSED refs are not
 * judged here (leak_enclosed_message()).  *which (may be NULL) receives
 * the index of the ref the decision names, untouched when 0 is returned.
 */
signal_set leak_referenced_message(const struct policy *p, const struct leak_ref *refs,
    size_t nrefs, const char *recipient_domain, size_t *which);

#endif
