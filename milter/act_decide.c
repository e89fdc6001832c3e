/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * act_decide.c - the second stage of a message's end (act_job.h): the
 * gathered facts judged, without asking anything more of the world.  The
 * leak evidence first: attached-message and body-unexamined from the
 * body's MIME walk (mime.h), known-message-id (the message's own id, or
 * one it encloses), referenced-message and the inbound leak-backscatter /
 * leak-probe from the correlation store's answers.  What the signals mean
 * is leak.h's; this file adds them to each recipient (decide_rcpt.extra,
 * act_job.orig).  Then decide_message() and decide_outcome() (decide.h).
 *
 * A message leaving whose ids the store could not answer for is never let
 * through silently: its outside recipients are marked
 * (decide_rcpt.correlation_error), so it is recorded as unchecked and gets
 * audit.correlation_on_error (accept: decided on the rest; tempfail: held
 * back whole).  So is every recipient of an automatic answer from outside
 * whose ids the store could not answer: it may be a leak coming back.  The entries cited live in j->corr, which outlives the
 * records that cite them.
 */
#include <stdbool.h>
#include <string.h>

#include "act_job.h"
#include "correlate.h"
#include "leak.h"
#include "log.h"

/* The policy's own string for a mailbox from the store, else the store's (lives in j). */
static const char *
act_mailbox(const struct policy *p, const char *mailbox)
{
	const char *known = policy_protected_canonical(p, mailbox);

	return known != NULL ? known : mailbox;
}

static void
act_add_extra(struct decide_rcpt *r, signal_set sig, const char *mailbox, const char *target)
{
	r->extra |= sig;
	if (r->extra_mailbox == NULL)
		r->extra_mailbox = mailbox;
	if (r->extra_target == NULL)
		r->extra_target = target;
}

/* The protected mailbox whose mail this is: named by the evidence, or sending it. */
static const char *
act_involved(const struct decide_message *m)
{
	const char *mailbox = evidence_mailbox(m->ev);

	if (mailbox == NULL)
		mailbox = evidence_from_protected(m->ev);
	if (mailbox == NULL && m->sender_status == ADDRESS_OK)
		mailbox = policy_protected(m->policy, &m->sender);
	return mailbox;
}

/*
 * attached-message for one outside recipient, unless the message is a DSN
 * or auto-reply returning what it encloses to one of its own parties
 * (then r->own_party says what was dropped).  The recipient is compared
 * whole, the form the walker writes the parties in: it is outside, where
 * our delimiters say nothing, and a cut form would exempt addresses no
 * enclosed message names.
 */
static void
act_attached_rcpt(struct decide_rcpt *r, signal_set sig, bool automatic,
    const char *const *parties, size_t np, const struct leak_ref *orig, size_t norig,
    const char *mailbox)
{
	char rcpt[ADDRESS_CANONICAL_MAX + 1];
	signal_set kept;

	if (address_canonical(&r->addr, NULL, rcpt, sizeof(rcpt)) != 0)
		rcpt[0] = '\0';
	kept = leak_attached_message(sig, automatic, rcpt, parties, np, orig, norig);
	r->own_party |= sig & ~kept;
	act_add_extra(r, kept, mailbox, NULL);
}

/*
 * The correlation records of every enclosed message that gave the signal,
 * into orig (room for MIME_IDS_MAX); 0 when one of them is not known: the
 * records then stand for none of them.
 */
static size_t
act_signal_originals(const struct act_job *j, struct leak_ref *orig)
{
	const char *ids[MIME_IDS_MAX];
	size_t n, i, k;

	n = mime_walk_signal_ids(j->c->mime, ids, MIME_IDS_MAX);
	for (i = 0; i < n; i++) {
		for (k = 0; k < j->corr->nnamed; k++)
			if (j->corr->named_role[k] == LEAK_ROLE_ENCLOSED &&
			    strcmp(j->corr->named[k].message_id, ids[i]) == 0)
				break;
		if (k == j->corr->nnamed)
			return 0;
		orig[i] = correlate_ref(&j->corr->named[k]);
	}
	return n;
}

/*
 * attached-message, from the body's MIME walk, for recipients outside.  A
 * body the walker could not examine whole may hide a forward: for the mail
 * of a protected mailbox that counts as one; other mail is not held back.
 * A DSN or auto-reply returning the enclosed messages to a party of every
 * one of them (by their headers, or by the envelope sender the store
 * recorded for each) gives none for that recipient, unless the body was
 * not examined whole (what was not read may enclose another message); the
 * recipient stays in the audit scope with the mailbox, and the reason
 * says why.
 */
static void
act_attached(struct act_job *j)
{
	const struct decide_message *m = &j->m;
	const struct mime_walk *w = j->c->mime;
	const char *mailbox, *parties[MIME_PARTIES_MAX];
	struct leak_ref orig[MIME_IDS_MAX];
	signal_set sig;
	size_t i, np, norig = 0;
	bool automatic;
	char q[64];

	if (w == NULL)
		return;
	sig = mime_walk_signals(w);
	mailbox = mime_walk_mailbox(w);
	if (sig == 0 && mime_walk_truncated(w) && (mailbox = act_involved(m)) != NULL) {
		sig = SIGNAL_BIT(SIGNAL_ATTACHED_MESSAGE);
		log_info("%s: body not examined whole: attached-message assumed for %s's mail",
		    act_queue_id(j, q, sizeof(q)), mailbox);
	}
	if (sig == 0)
		return;
	np = mime_walk_parties(w, parties, MIME_PARTIES_MAX);
	automatic = !mime_walk_truncated(w) &&
	    (mime_walk_is_dsn(w) || evidence_is_autoreply(j->c->ev));
	if (automatic)
		norig = act_signal_originals(j, orig);
	for (i = 0; i < j->n; i++)
		if (act_rcpt_external(m->policy, &j->rcpts[i]))
			act_attached_rcpt(&j->rcpts[i], sig, automatic, parties, np, orig, norig,
			    mailbox);
}

/*
 * body-unexamined: an insider's message leaves with a body the walker could
 * not examine whole (a limit, an unknown transfer encoding, a multipart it
 * cannot read), so it may carry a protected mailbox's message that no
 * other evidence names.  The sender is an insider when the envelope sender
 * is internal or the client authenticated (submission).  The mail of a
 * protected mailbox also gets attached-message (act_attached()); this
 * signal makes the rest recorded (decide.h: it puts the message in audit
 * scope) and lets a rule act on it.
 */
static void
act_unexamined(struct act_job *j)
{
	const struct decide_message *m = &j->m;
	const struct mime_walk *w = j->c->mime;
	char q[64];
	size_t i, n = 0;

	if (w == NULL || !mime_walk_truncated(w))
		return;
	if (!(m->sender_status == ADDRESS_OK && policy_is_internal(m->policy, &m->sender)) &&
	    j->c->auth[0] == '\0')
		return;
	for (i = 0; i < j->n; i++)
		if (act_rcpt_external(m->policy, &j->rcpts[i])) {
			act_add_extra(&j->rcpts[i], SIGNAL_BIT(SIGNAL_BODY_UNEXAMINED), NULL, NULL);
			n++;
		}
	if (n > 0)
		log_info("%s: body not examined whole: body-unexamined for %zu outside recipient(s)",
		    act_queue_id(j, q, sizeof(q)), n);
}

/* known-message-id: the message's own id was received by a protected mailbox. */
static void
act_known_id(struct act_job *j)
{
	const struct policy *p = j->m.policy;
	struct leak_ref ref;
	size_t i;

	if (!j->corr->own_found)
		return;
	ref = correlate_ref(&j->corr->own);
	for (i = 0; i < j->n; i++) {
		struct decide_rcpt *r = &j->rcpts[i];
		signal_set sig;

		if (!act_rcpt_external(p, r))
			continue;
		sig = leak_known_message_id(p, &ref, r->addr.hops[r->addr.nhops - 1]);
		if (sig == 0)
			continue;
		act_add_extra(r, sig, act_mailbox(p, j->corr->own.mailbox), NULL);
		j->orig[i] = &j->corr->own;
	}
}

/*
 * The store could not answer: each outside recipient's judgement needed it
 * for a message leaving, and every recipient's for an automatic answer
 * from outside (the leak-backscatter it may be).
 */
static void
act_unchecked(struct act_job *j)
{
	bool leaving = j->corr->named_unanswered || j->corr->own_unanswered;
	size_t i;

	for (i = 0; i < j->n; i++)
		if (j->corr->refs_unanswered ||
		    (leaving && act_rcpt_external(j->m.policy, &j->rcpts[i])))
			j->rcpts[i].correlation_error = true;
}

/* The found messages this one names, as leak.h judges them (room for ACT_NAMED_MAX). */
static size_t
act_named_refs(const struct act_job *j, struct leak_ref *refs)
{
	size_t i;

	for (i = 0; i < j->corr->nnamed; i++) {
		refs[i] = correlate_ref(&j->corr->named[i]);
		refs[i].role = j->corr->named_role[i];
	}
	return i;
}

/* leak.h's judgement of the found messages this one names, for one recipient domain. */
typedef signal_set (*act_named_judge)(const struct policy *p, const struct leak_ref *refs,
    size_t nrefs, const char *recipient_domain, size_t *which);

/*
 * Adds what judge says of the found messages this one names to each
 * recipient outside, and the message it names to j->orig when that has
 * none yet: leak_enclosed_message() (known-message-id for a message a
 * protected mailbox received, enclosed in this one: a forward as
 * attachment, a bounce; original_via "attached") and
 * leak_referenced_message() (referenced-message: a client's Forward
 * button, to a domain that was no party to the message forwarded).
 */
static void
act_named(struct act_job *j, act_named_judge judge)
{
	const struct policy *p = j->m.policy;
	struct leak_ref refs[ACT_NAMED_MAX];
	size_t i, n = act_named_refs(j, refs), which;

	for (i = 0; i < j->n; i++) {
		struct decide_rcpt *r = &j->rcpts[i];
		signal_set sig;

		which = 0;
		if (!act_rcpt_external(p, r))
			continue;
		sig = judge(p, refs, n, r->addr.hops[r->addr.nhops - 1], &which);
		if (sig == 0 || which >= n)
			continue;
		act_add_extra(r, sig, act_mailbox(p, j->corr->named[which].mailbox), NULL);
		if (j->orig[i] == NULL)
			j->orig[i] = &j->corr->named[which];
	}
}

/* leak-backscatter / leak-probe: an answer from outside to a protected mailbox's mail. */
static void
act_inbound(struct act_job *j)
{
	const struct decide_message *m = &j->m;
	struct leak_ref refs[ACT_REFS_MAX];
	bool dsn;
	signal_set sig;
	size_t i, which = 0;

	if (j->corr->answer_domain[0] == '\0')
		return;
	dsn = j->c->mime != NULL && mime_walk_is_dsn(j->c->mime);
	for (i = 0; i < j->corr->nrefs; i++)
		refs[i] = correlate_ref(&j->corr->refs[i]);
	sig = leak_inbound(m->policy, j->corr->answer_domain, evidence_is_autoreply(m->ev), dsn,
	    refs, j->corr->nrefs, &which);
	if (sig == 0 || which >= j->corr->nrefs)
		return;
	for (i = 0; i < j->n; i++) {
		act_add_extra(&j->rcpts[i], sig, act_mailbox(m->policy, j->corr->refs[which].mailbox),
		    j->corr->answer_domain);
		j->orig[i] = &j->corr->refs[which];
	}
}

int
act_decide(struct act_job *j)
{
	act_attached(j);
	act_unexamined(j);
	act_known_id(j);
	act_unchecked(j);
	act_named(j, leak_enclosed_message);
	act_named(j, leak_referenced_message);
	act_inbound(j);
	if (decide_message(&j->m, j->dec) == 0)
		return 0;
	j->outcome = decide_outcome(j->dec, j->n);
	return 1;
}
