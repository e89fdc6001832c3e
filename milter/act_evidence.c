/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * act_evidence.c - the leak evidence gathered at the end of a message,
 * before deciding: attached-message and body-unexamined from the body's
 * MIME walk (mime.h), and, from the correlation store (correlate.h),
 * known-message-id (the message's own id, or one it encloses),
 * referenced-message and the inbound leak-backscatter / leak-probe.  What
 * the signals mean is leak.h's; this file only looks facts up and adds
 * them to each recipient (decide_rcpt.extra, act_job.orig).
 *
 * A lookup that cannot be answered is logged (act_tryagain()).  A message
 * leaving whose ids could not be looked up is never let through silently:
 * its outside recipients are marked (decide_rcpt.correlation_error), so it
 * is recorded as unchecked and gets audit.correlation_on_error (accept:
 * decided on the rest; tempfail: held back whole), with one warning
 * (act_unchecked()).  The entries found live in j->corr, which outlives
 * the records that cite them.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* Some recipient's mail leaves: only then is what it names worth a lookup. */
static bool
act_some_external(const struct act_job *j, const struct policy *p)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		if (act_rcpt_external(p, &j->rcpts[i]))
			return true;
	return false;
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

/*
 * During an outage every message leaving is unchecked: the warnings are
 * limited to ACT_UNCHECKED_BURST a minute (each message still has its
 * record, marked unchecked, and its info line); the next one says how
 * many were not logged.
 */
#define ACT_UNCHECKED_BURST	10
#define ACT_UNCHECKED_WINDOW	60

static pthread_mutex_t act_unchecked_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t act_unchecked_since;
static unsigned long act_unchecked_logged, act_unchecked_quiet;

/* Whether to log this warning; *quiet gets how many were not logged before it. */
static bool
act_unchecked_may_log(unsigned long *quiet)
{
	time_t now = time(NULL);
	bool may;

	pthread_mutex_lock(&act_unchecked_lock);
	if (now - act_unchecked_since >= ACT_UNCHECKED_WINDOW || now < act_unchecked_since) {
		act_unchecked_since = now;
		act_unchecked_logged = 0;
	}
	may = act_unchecked_logged < ACT_UNCHECKED_BURST;
	*quiet = 0;
	if (may) {
		act_unchecked_logged++;
		*quiet = act_unchecked_quiet;
		act_unchecked_quiet = 0;
	} else
		act_unchecked_quiet++;
	pthread_mutex_unlock(&act_unchecked_lock);
	return may;
}

/*
 * The correlation store could not answer for what a message leaving names:
 * each outside recipient is one whose judgement needed it.
 */
static void
act_unchecked(struct act_job *j, const struct policy *p)
{
	unsigned long quiet;
	size_t i, n = 0;
	char q[64], more[64] = "";

	for (i = 0; i < j->n; i++)
		if (act_rcpt_external(p, &j->rcpts[i])) {
			j->rcpts[i].correlation_error = true;
			n++;
		}
	if (n == 0 || !act_unchecked_may_log(&quiet))
		return;
	if (quiet > 0)
		snprintf(more, sizeof(more), " (%lu like it not logged)", quiet);
	log_warnx("%s: correlation store unavailable: %zu outside recipient(s) not checked "
	    "for a protected mailbox's mail, recorded unchecked=correlation, "
	    "audit.correlation_on_error=%s%s", act_queue_id(j, q, sizeof(q)), n,
	    action_name(j->cfg->audit.correlation_on_error), more);
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

	if (j->corr == NULL)
		return 0;
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
act_attached(struct act_job *j, const struct decide_message *m)
{
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

/*
 * known-message-id: the message's own id was received by a protected
 * mailbox.  False when the store could not answer.
 */
static bool
act_known_id(struct act_job *j, const struct policy *p, struct correlate *k)
{
	const char *msgid = evidence_message_id(j->c->ev);
	enum correlate_status st;
	struct leak_ref ref;
	size_t i;

	if (msgid[0] == '\0' || !act_some_external(j, p))
		return true;
	if ((st = correlate_lookup(k, msgid, &j->corr->own)) == CORRELATE_TRYAGAIN) {
		act_tryagain(j, "the Message-ID");
		return false;
	}
	if (st != CORRELATE_FOUND)
		return true;
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
	return true;
}

/* One id this message names, to look up: how it names it, and where. */
struct act_ask {
	struct correlate_ask ask;
	enum leak_role role;
	const char *via;
	bool enclosed;		/* a header names it, and the body encloses it too */
};

/*
 * Adds an id to asks (room for ACT_NAMED_MAX), once: an id named again
 * keeps its first role, and an enclosed message's id that a header named
 * is marked enclosed too (its two judgements differ).  The message's own
 * id is known-message-id's.
 */
static void
act_ask_add(struct act_ask *asks, size_t *na, const char *own, const char *id,
    enum leak_role role, const char *via)
{
	size_t d;

	if (strcmp(id, own) == 0)
		return;
	for (d = 0; d < *na; d++) {
		if (asks[d].ask.conversation || strcmp(asks[d].ask.key, id) != 0)
			continue;
		if (role == LEAK_ROLE_ENCLOSED && asks[d].role != LEAK_ROLE_ENCLOSED)
			asks[d].enclosed = true;
		return;
	}
	if (*na == ACT_NAMED_MAX)
		return;
	asks[(*na)++] = (struct act_ask){ .ask = { .key = id, .conversation = false },
	    .role = role, .via = via };
}

/*
 * The ids this message names, in order: X-Forwarded-Message-Id, then
 * In-Reply-To and References (the direct parent told from the earlier
 * messages), the Outlook conversation, and the Message-IDs of the
 * messages its body encloses.  Returns how many went into asks.
 */
static size_t
act_asks(const struct act_job *j, struct act_ask *asks)
{
	const struct evidence *ev = j->c->ev;
	const char *ids[EVIDENCE_FWDIDS_MAX + EVIDENCE_REFS_MAX + MIME_IDS_MAX];
	const char *own = evidence_message_id(ev);
	size_t n, i, na = 0;

	n = evidence_forwarded_ids(ev, ids, EVIDENCE_FWDIDS_MAX);
	for (i = 0; i < n; i++)
		act_ask_add(asks, &na, own, ids[i], LEAK_ROLE_PARENT, "x-forwarded-message-id");
	n = evidence_references(ev, ids, EVIDENCE_REFS_MAX);
	for (i = 0; i < n; i++)
		act_ask_add(asks, &na, own, ids[i], evidence_names_parent(ev, ids[i]) ?
		    LEAK_ROLE_PARENT : LEAK_ROLE_ANCESTOR, "references");
	if (evidence_conversation(ev)[0] != '\0' && na < ACT_NAMED_MAX)
		asks[na++] = (struct act_ask){ .ask = { .key = evidence_conversation(ev),
		    .conversation = true }, .role = LEAK_ROLE_CONVERSATION, .via = "thread-index" };
	n = j->c->mime != NULL ? mime_walk_original_ids(j->c->mime, ids, MIME_IDS_MAX) : 0;
	for (i = 0; i < n; i++)
		act_ask_add(asks, &na, own, ids[i], LEAK_ROLE_ENCLOSED, "attached");
	return na;
}

/*
 * Looks the messages this one names up, all in one batch, into
 * j->corr->named (the found ones, in the order named, then a second entry
 * for each one a header named that the body also encloses); false when
 * the store could not answer for some.
 */
static bool
act_lookup_named(struct act_job *j, struct correlate *k)
{
	struct act_ask asks[ACT_NAMED_MAX];
	struct correlate_ask keys[ACT_NAMED_MAX];
	enum correlate_status st[ACT_NAMED_MAX];
	struct act_corr *corr = j->corr;
	bool answered = true, enclosed[ACT_NAMED_MAX];
	size_t na, i, found;

	na = act_asks(j, asks);
	for (i = 0; i < na; i++)
		keys[i] = asks[i].ask;
	correlate_lookup_batch(k, keys, na, corr->named, st);
	for (i = 0; i < na; i++) {
		if (st[i] == CORRELATE_TRYAGAIN)
			answered = false;
		if (st[i] != CORRELATE_FOUND)
			continue;
		if (corr->nnamed != i)
			corr->named[corr->nnamed] = corr->named[i];
		enclosed[corr->nnamed] = asks[i].enclosed;
		corr->named_role[corr->nnamed] = asks[i].role;
		corr->named_via[corr->nnamed++] = asks[i].via;
	}
	/* Each merged id took one ask for two names: there is room. */
	for (i = 0, found = corr->nnamed; i < found; i++) {
		if (!enclosed[i])
			continue;
		corr->named[corr->nnamed] = corr->named[i];
		corr->named_role[corr->nnamed] = LEAK_ROLE_ENCLOSED;
		corr->named_via[corr->nnamed++] = "attached";
	}
	return answered;
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
act_named(struct act_job *j, const struct policy *p, act_named_judge judge)
{
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
	bool store = k != NULL && j->corr != NULL, answered = true;

	/* Before attached-message: the records of what it encloses say who sent it. */
	if (store && act_some_external(j, m->policy) && !act_lookup_named(j, k)) {
		act_tryagain(j, "the messages it names");
		answered = false;
	}
	act_attached(j, m);
	act_unexamined(j, m);
	if (!store)
		return;
	if (!act_known_id(j, m->policy, k))
		answered = false;
	if (!answered)
		act_unchecked(j, m->policy);
	act_named(j, m->policy, leak_enclosed_message);
	act_named(j, m->policy, leak_referenced_message);
	act_inbound(j, m, k);
}
