/*
 * act_evidence.c - the leak evidence gathered at the end of a message,
 * before deciding: attached-message and body-unexamined from the body's
 * MIME walk (mime.h), and, from the correlation store (correlate.h),
 * known-message-id, referenced-message and the inbound leak-backscatter /
 * leak-probe.  What
 * the signals mean is leak.h's; this file only looks facts up and adds
 * them to each recipient (decide_rcpt.extra, act_job.orig).
 *
 * A lookup that cannot be answered never holds mail back: it is logged
 * and the message is decided on the rest (act_tryagain()).  The entries
 * found live in j->corr, which outlives the records that cite them.
 */
#include <stdbool.h>
#include <string.h>

#include "act_job.h"
#include "correlate.h"
#include "leak.h"
#include "log.h"

/* A recipient whose mail leaves: readable, and some hop is not internal. */
static bool
act_rcpt_external(const struct policy *p, const struct decide_rcpt *r)
{
	return r->status == ADDRESS_OK && r->addr.nhops > 0 && policy_is_internal(p, &r->addr) == 0;
}

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

static void
act_tryagain(const struct act_job *j, const char *what)
{
	char q[64];

	/* Info only: the store's outage itself was logged once, as a warning. */
	log_info("%s: correlation lookup of %s: try again; deciding without it",
	    act_queue_id(j, q, sizeof(q)), what);
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
    const char *const *parties, size_t np, const char *mailbox)
{
	char rcpt[ADDRESS_CANONICAL_MAX + 1];
	signal_set kept;

	if (address_canonical(&r->addr, NULL, rcpt, sizeof(rcpt)) != 0)
		rcpt[0] = '\0';
	kept = leak_attached_message(sig, automatic, rcpt, parties, np);
	r->own_party |= sig & ~kept;
	act_add_extra(r, kept, mailbox, NULL);
}

/*
 * attached-message, from the body's MIME walk, for recipients outside.  A
 * body the walker could not examine whole may hide a forward: for the mail
 * of a protected mailbox that counts as one; other mail is not held back.
 * A DSN or auto-reply returning the enclosed messages to a party of every
 * one of them gives none for that recipient, unless the body was not
 * examined whole (what was not read may enclose another message); the recipient
 * stays in the audit scope with the mailbox, and the reason says why.
 */
static void
act_attached(struct act_job *j, const struct decide_message *m)
{
	const struct mime_walk *w = j->c->mime;
	const char *mailbox, *parties[MIME_PARTIES_MAX];
	signal_set sig;
	size_t i, np;
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
	for (i = 0; i < j->n; i++)
		if (act_rcpt_external(m->policy, &j->rcpts[i]))
			act_attached_rcpt(&j->rcpts[i], sig, automatic, parties, np, mailbox);
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
act_unexamined(struct act_job *j, const struct decide_message *m)
{
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
act_known_id(struct act_job *j, const struct policy *p, struct correlate *k)
{
	const char *msgid = evidence_message_id(j->c->ev);
	enum correlate_status st;
	struct leak_ref ref;
	size_t i;

	for (i = 0; i < j->n && !act_rcpt_external(p, &j->rcpts[i]); i++)
		;
	if (i == j->n || msgid[0] == '\0')
		return;
	if ((st = correlate_lookup(k, msgid, &j->corr->own)) == CORRELATE_TRYAGAIN)
		act_tryagain(j, "the Message-ID");
	if (st != CORRELATE_FOUND)
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
 * Looks the messages this one names up, all in one batch, into
 * j->corr->named (the found ones, in the order named); false when the
 * store could not answer for some.
 */
static bool
act_lookup_named(struct act_job *j, struct correlate *k)
{
	const struct evidence *ev = j->c->ev;
	const char *ids[ACT_NAMED_MAX], *via[ACT_NAMED_MAX], *own = evidence_message_id(ev);
	struct correlate_ask asks[ACT_NAMED_MAX];
	enum correlate_status st[ACT_NAMED_MAX];
	struct act_corr *corr = j->corr;
	size_t nfwd, n, na = 0, i, d;
	bool answered = true;

	nfwd = evidence_forwarded_ids(ev, ids, EVIDENCE_FWDIDS_MAX);
	n = nfwd + evidence_references(ev, ids + nfwd, EVIDENCE_REFS_MAX);
	for (i = 0; i < n; i++) {
		/* Its own id is known-message-id's; one id named twice is one lookup. */
		for (d = 0; d < i && strcmp(ids[d], ids[i]) != 0; d++)
			;
		if (d < i || strcmp(ids[i], own) == 0)
			continue;
		asks[na] = (struct correlate_ask){ .key = ids[i], .conversation = false };
		via[na++] = i < nfwd ? "x-forwarded-message-id" : "references";
	}
	if (evidence_conversation(ev)[0] != '\0') {
		asks[na] = (struct correlate_ask){ .key = evidence_conversation(ev),
		    .conversation = true };
		via[na++] = "thread-index";
	}
	correlate_lookup_batch(k, asks, na, corr->named, st);
	for (i = 0; i < na; i++) {
		if (st[i] == CORRELATE_TRYAGAIN)
			answered = false;
		if (st[i] != CORRELATE_FOUND)
			continue;
		if (corr->nnamed != i)
			corr->named[corr->nnamed] = corr->named[i];
		corr->named_via[corr->nnamed++] = via[i];
	}
	return answered;
}

/*
 * referenced-message: a new message that names one a protected mailbox
 * received (a client's Forward button) leaves for a domain that was no
 * party to it.  Only a message with a recipient outside is looked at.
 */
static void
act_referenced(struct act_job *j, const struct policy *p, struct correlate *k)
{
	struct leak_ref refs[ACT_NAMED_MAX];
	size_t i, which;

	for (i = 0; i < j->n && !act_rcpt_external(p, &j->rcpts[i]); i++)
		;
	if (i == j->n)
		return;
	if (!act_lookup_named(j, k))
		act_tryagain(j, "the messages it names");
	for (i = 0; i < j->corr->nnamed; i++)
		refs[i] = correlate_ref(&j->corr->named[i]);
	for (i = 0; i < j->n; i++) {
		struct decide_rcpt *r = &j->rcpts[i];
		signal_set sig;

		which = 0;
		if (!act_rcpt_external(p, r))
			continue;
		sig = leak_referenced_message(p, refs, j->corr->nnamed,
		    r->addr.hops[r->addr.nhops - 1], &which);
		if (sig == 0 || which >= j->corr->nnamed)
			continue;
		act_add_extra(r, sig, act_mailbox(p, j->corr->named[which].mailbox), NULL);
		if (j->orig[i] == NULL)
			j->orig[i] = &j->corr->named[which];
	}
}

/*
 * The ids an inbound message answers, looked up.  A person's reply only
 * matters when it answers a probe, whose ids have a known shape: the
 * others are not worth a lookup.
 */
static void
act_lookup_refs(struct act_job *j, struct correlate *k, bool automatic)
{
	const char *ids[ACT_REFS_MAX];
	size_t n, i;
	bool logged = false;

	n = evidence_references(j->c->ev, ids, EVIDENCE_REFS_MAX);
	if (j->c->mime != NULL)
		n += mime_walk_original_ids(j->c->mime, ids + n, MIME_IDS_MAX);
	for (i = 0; i < n && j->corr->nrefs < ACT_REFS_MAX; i++) {
		enum correlate_status st;

		if (!automatic && strncmp(ids[i], "probe.", 6) != 0)
			continue;
		st = correlate_lookup(k, ids[i], &j->corr->refs[j->corr->nrefs]);
		if (st == CORRELATE_FOUND)
			j->corr->nrefs++;
		else if (st == CORRELATE_TRYAGAIN && !logged) {
			act_tryagain(j, "the ids it answers");
			logged = true;
		}
	}
}

/* leak-backscatter / leak-probe: an answer from outside to a protected mailbox's mail. */
static void
act_inbound(struct act_job *j, const struct decide_message *m, struct correlate *k)
{
	const struct address *sender = m->sender_status == ADDRESS_OK ? &m->sender : NULL;
	struct leak_ref refs[ACT_REFS_MAX];
	bool automatic, dsn;
	signal_set sig;
	size_t i, which = 0;

	/* Mail from inside answers nothing from outside. */
	if (sender != NULL && policy_is_internal(m->policy, sender))
		return;
	leak_answer_domain(sender, m->ev, j->corr->answer_domain, sizeof(j->corr->answer_domain));
	if (j->corr->answer_domain[0] == '\0')
		return;
	dsn = j->c->mime != NULL && mime_walk_is_dsn(j->c->mime);
	automatic = dsn || evidence_is_autoreply(m->ev);
	act_lookup_refs(j, k, automatic);
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

void
act_evidence_gather(struct act_job *j, const struct decide_message *m)
{
	struct correlate *k = correlate_current();

	act_attached(j, m);
	act_unexamined(j, m);
	if (k == NULL || j->corr == NULL)
		return;
	act_known_id(j, m->policy, k);
	act_referenced(j, m->policy, k);
	act_inbound(j, m, k);
}
