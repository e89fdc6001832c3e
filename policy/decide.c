/*
 * decide.c - one decision per (message, recipient) from the facts the
 * milter gathered (README.md "Configuration").
 *
 * Two passes: the first classifies every recipient and finds the
 * protected mailbox each one concerns; the message is in audit scope when
 * any recipient concerns one, or has body-unexamined (what nobody could
 * read may be a protected mailbox's mail), or leaves while the correlation
 * store could not say whose mail it names, or scope is all.  The second
 * picks the rule and action.  Out of scope, every decision is accept: fwdguard never
 * interferes with mail that touches no protected mailbox.  Pure code.
 */
#include <stdio.h>
#include <string.h>
#include "buf.h"
#include "decide.h"

#define DECIDE_SIGNALS_MAX	256

/* Facts about the message as a whole. */
struct decide_facts {
	signal_set signals;		/* message-wide header signals */
	const struct address *sender;	/* envelope sender, NULL when null or unreadable */
	const char *envelope_mailbox;	/* protected envelope sender, or NULL */
	const char *sender_mailbox;	/* protected envelope sender or From, or NULL */
	bool sender_internal;
	enum sender_kind sender_kind;	/* whom a refusal would bounce to */
};

/* A reason is a summary: a cut one ends in "..." so that readers see it. */
static void decide_mark_cut(char *buf, size_t size, int n)
{
	if (n >= 0 && (size_t)n < size)
		return;
	if (size > 3)
		memcpy(buf + size - 4, "...", 4);
}

static void decide_gather(const struct decide_message *m, struct decide_facts *f)
{
	const struct policy *p = m->policy;

	memset(f, 0, sizeof(*f));
	if (m->sender_status == ADDRESS_OK) {
		f->sender = &m->sender;
		f->envelope_mailbox = policy_protected(p, &m->sender);
		f->sender_mailbox = f->envelope_mailbox;
		f->sender_internal = policy_is_internal(p, &m->sender) != 0;
	}
	/* The null sender and an unreadable one count as outside: nobody
	 * inside would get a bounce either. */
	f->sender_kind = f->envelope_mailbox != NULL ? SENDER_PROTECTED :
	    f->sender_internal ? SENDER_INTERNAL : SENDER_EXTERNAL;
	if (f->sender_mailbox == NULL)
		f->sender_mailbox = evidence_from_protected(m->ev);
	f->signals = evidence_signals(m->ev);
	/* The Exchange auto-forward marker names no mailbox: it only counts
	 * when the protected mailbox is the one sending. */
	if (f->sender_mailbox == NULL)
		f->signals &= ~SIGNAL_BIT(SIGNAL_EXCHANGE_AUTOFORWARD);
}

static enum direction decide_direction(const struct decide_facts *f, enum destination dest)
{
	if (dest != DEST_INTERNAL)
		return DIR_OUTBOUND;
	return f->sender_internal ? DIR_INTERNAL : DIR_INBOUND;
}

/* First pass for a recipient that cannot be classified. */
static void decide_unclassifiable(const struct decide_message *m, const struct decide_facts *f,
    const struct decide_rcpt *r, struct decision *d)
{
	const char *ev_mailbox = evidence_mailbox(m->ev), *orcpt_mailbox = NULL;
	signal_set rsig;

	/* ORCPT needs no readable recipient, and may be the only proof that
	 * the message is a protected mailbox's copy. */
	rsig = evidence_recipient(m->ev, m->policy, NULL, r->orcpt, f->sender, &orcpt_mailbox);
	d->signals = f->signals | rsig | r->extra;
	d->mailbox = r->extra_mailbox ? r->extra_mailbox :
	    ev_mailbox ? ev_mailbox : orcpt_mailbox ? orcpt_mailbox : f->sender_mailbox;
	d->destination = DEST_EXTERNAL;
	d->direction = DIR_OUTBOUND;
	buf_copy(d->target, sizeof(d->target), r->extra_target ? r->extra_target : "");
	snprintf(d->reason, sizeof(d->reason), "unclassifiable recipient: %s",
	    address_status_str(r->status));
}

/*
 * An exception covers a copy only when it covers every protected mailbox
 * the evidence names and the protected envelope sender: one mailbox's
 * exception must not carry another mailbox's mail out.  Returns the first
 * mailbox not covered (the one the audit record is about), or NULL.
 */
static const char *decide_uncovered(const struct decide_message *m, const struct decide_facts *f,
    const struct decide_rcpt *r, const char *mailbox, const char *rcpt_mailbox)
{
	const char *named[EVIDENCE_MAILBOXES_MAX + 3];
	size_t n = 0, i;

	for (i = 0; i < EVIDENCE_MAILBOXES_MAX; i++)
		if ((named[n] = evidence_mailbox_at(m->ev, i)) != NULL)
			n++;
	/* More mailboxes were named than the evidence keeps: only an
	 * exception that names no mailbox covers the unlisted ones. */
	if (n == EVIDENCE_MAILBOXES_MAX && evidence_truncated(m->ev) &&
	    policy_destination(m->policy, &r->addr, NULL, m->now, NULL, NULL) != DEST_ALLOWED)
		return mailbox;
	named[n++] = r->extra_mailbox;
	named[n++] = rcpt_mailbox;
	named[n++] = f->envelope_mailbox;
	for (i = 0; i < n; i++) {
		if (named[i] != NULL && policy_destination(m->policy, &r->addr, named[i], m->now,
		    NULL, NULL) != DEST_ALLOWED)
			return named[i];
	}
	return NULL;
}

/* First pass: signals, mailbox concerned, destination, direction, target. */
static void decide_classify(const struct decide_message *m, const struct decide_facts *f,
    const struct decide_rcpt *r, struct decision *d)
{
	const struct policy *p = m->policy;
	const char *ev_mailbox = evidence_mailbox(m->ev), *rcpt_mailbox = NULL;
	const char *target = NULL;
	enum destination dest;
	signal_set rsig;

	const char *own = policy_protected(p, &r->addr);

	rsig = evidence_recipient(m->ev, p, &r->addr, r->orcpt, f->sender, &rcpt_mailbox);
	d->signals = f->signals | rsig | r->extra;
	d->mailbox = r->extra_mailbox;
	if (d->mailbox == NULL)
		d->mailbox = ev_mailbox;
	if (d->mailbox == NULL)
		d->mailbox = rcpt_mailbox;
	if (d->mailbox == NULL)
		d->mailbox = own;
	if (d->mailbox == NULL)
		d->mailbox = f->sender_mailbox;
	/* The recipient names the mailbox (maybe by an alias or an extension):
	 * the trail keeps the address used beside the mailbox's own name. */
	if (d->mailbox != NULL && (d->mailbox == own ||
	    (r->extra_is_rcpt && d->mailbox == r->extra_mailbox)) &&
	    address_canonical(&r->addr, NULL, d->mailbox_address, sizeof(d->mailbox_address)) != 0)
		d->mailbox_address[0] = '\0';

	dest = policy_destination(p, &r->addr, d->mailbox, m->now, &d->allow, &target);
	if (dest == DEST_ALLOWED) {
		const char *uncovered = decide_uncovered(m, f, r, d->mailbox, rcpt_mailbox);

		if (uncovered != NULL) {
			dest = DEST_EXTERNAL;
			d->mailbox = uncovered;
		}
	}
	d->destination = policy_crosscheck(p, dest, r->mailer, r->host);
	/* The MTA routes it out although the address looks internal: the
	 * host it goes to is the target worth recording. */
	if (d->destination != dest && r->host != NULL && r->host[0] != '\0')
		target = r->host;
	/* The directory raises directory-forward only for an external, not
	 * allowed target: that is where this recipient's mail really goes. */
	if (r->extra & SIGNAL_BIT(SIGNAL_DIRECTORY_FORWARD)) {
		d->destination = DEST_EXTERNAL;
		d->whole = true;
	}
	if (d->destination != DEST_ALLOWED)
		d->allow = NULL;
	d->direction = decide_direction(f, d->destination);
	/*
	 * A leak is decided on the answer that came in (inbound), but what it
	 * records is the mailbox's mail reaching an outside domain: that is
	 * the destination the trail and "who forwards where" must show.
	 */
	if (r->extra & (SIGNAL_BIT(SIGNAL_LEAK_PROBE) | SIGNAL_BIT(SIGNAL_LEAK_BACKSCATTER)))
		d->destination = DEST_EXTERNAL;
	if (r->extra_target != NULL)
		target = r->extra_target;
	buf_copy(d->target, sizeof(d->target), target ? target : "");
}

/*
 * fwd_subject: the Subject starts with a forward prefix.  It is no proof
 * (anyone can type "Fwd:") but tells the reader of a referenced-message
 * decision that the sender meant to forward.
 */
static void decide_rule_reason(const struct decision *d, bool fwd_subject, char *buf,
    size_t size)
{
	char sigs[DECIDE_SIGNALS_MAX];
	const char *mailbox = d->mailbox ? d->mailbox : "(no protected mailbox)";
	const signal_set leak = SIGNAL_BIT(SIGNAL_LEAK_PROBE) | SIGNAL_BIT(SIGNAL_LEAK_BACKSCATTER);
	int n;

	signal_set_format(d->signals, sigs, sizeof(sigs));
	if (d->signals == 0)
		n = snprintf(buf, size, "rule %s: %s mail to %s %s", d->rule->name,
		    direction_name(d->direction), destination_name(d->destination), d->target);
	else if (d->signals & leak)
		n = snprintf(buf, size, "leak of %s mail reported from %s (signals %s)",
		    mailbox, d->target, sigs);
	else if (d->mailbox == NULL && (d->signals & SIGNAL_BIT(SIGNAL_BODY_UNEXAMINED)))
		n = snprintf(buf, size, "mail whose body could not be examined to %s (signals %s)",
		    d->target, sigs);
	else
		n = snprintf(buf, size, "forwarded copy of %s to %s (signals %s%s)",
		    mailbox, d->target, sigs,
		    fwd_subject && (d->signals & SIGNAL_BIT(SIGNAL_REFERENCED_MESSAGE)) ?
		    "; subject marks a forward" : "");
	decide_mark_cut(buf, size, n);
}

/*
 * Evidence that was not raised because it names the recipient's own
 * message is said in the reason: the trail shows the mailbox's mail went
 * back to a party, and why that was no leak.
 */
static void decide_own_party(const struct decide_rcpt *r, struct decision *d)
{
	char sigs[DECIDE_SIGNALS_MAX];
	size_t len = strlen(d->reason);
	int n;

	if (r->own_party == 0)
		return;
	signal_set_format(r->own_party, sigs, sizeof(sigs));
	n = snprintf(d->reason + len, sizeof(d->reason) - len,
	    "; %s names the recipient's own message, not a leak", sigs);
	decide_mark_cut(d->reason + len, sizeof(d->reason) - len, n);
}

/* Appends note to the reason; the base reason is cut to fit. */
static void decide_note(struct decision *d, const char *note)
{
	size_t len = strlen(note), room = sizeof(d->reason) - len - 1;

	if (len >= sizeof(d->reason) - 4)
		return;
	if (strlen(d->reason) > room)
		memcpy(d->reason + room - 3, "...", 4);
	memcpy(d->reason + strlen(d->reason), note, len + 1);
}

/*
 * A reroute needs an address to go to, and must not run in circles.  A
 * directory forward cannot be rerouted: the MTA expands the recipient
 * after fwdguard, so the mailbox's own tagged address would be forwarded
 * again and removing the mailbox removes its own copy; it is held.  A
 * message fwdguard already rerouted, being sent out again (the mailbox's
 * rule fired on the rerouted copy), loses the outside recipient without a
 * second reroute: held when nobody is left, never bounced.
 */
static void decide_reroute(const struct decide_message *m, struct decision *d)
{
	if (d->whole) {
		d->action = ACTION_QUARANTINE;
		decide_note(d, "; a directory forward cannot be rerouted: held");
	} else if (m->rerouted) {
		d->action = ACTION_STRIP;
		decide_note(d, "; rerouted before and sent out again: not rerouted twice");
	} else if (policy_reroute_to(m->policy, d->rule, d->mailbox, d->reroute_to,
	    sizeof(d->reroute_to)) != 0) {
		d->reroute_to[0] = '\0';
		d->action = ACTION_STRIP;
		decide_note(d, "; no mailbox to reroute to: removed");
	}
}

/* Second pass: rule, action, mode and reason for a classified recipient. */
static void decide_act(const struct decide_message *m, const struct decide_facts *f,
    struct decision *d)
{
	const struct policy *p = m->policy;

	d->rule = policy_match_sender(p, d->signals, d->destination, d->direction,
	    f->sender_kind);
	if (d->rule != NULL) {
		d->action = d->rule->action;
		d->mode = policy_rule_mode(p, d->rule);
		decide_rule_reason(d, evidence_forward_subject(m->ev), d->reason,
		    sizeof(d->reason));
		if (d->action == ACTION_REROUTE)
			decide_reroute(m, d);
		return;
	}
	d->action = ACTION_ACCEPT;
	d->mode = p->mode;
	if (d->destination == DEST_ALLOWED && d->allow != NULL)
		snprintf(d->reason, sizeof(d->reason), "allowed: %s",
		    d->allow->reason ? d->allow->reason : d->allow->destination);
	else
		buf_copy(d->reason, sizeof(d->reason), "no rule matched");
}

/*
 * A protected recipient whose directory entry could not be read: what it
 * forwards to is unknown, so ldap.on_error applies, unless a rule already
 * enforces something at least as severe on what is known.
 */
static void decide_directory_error(const struct decide_message *m, struct decision *d)
{
	if (d->rule != NULL && d->mode == MODE_ENFORCE && d->action >= m->directory_on_error)
		return;
	d->rule = NULL;
	d->reroute_to[0] = '\0';
	d->action = m->directory_on_error;
	d->mode = m->policy->mode;
	d->whole = true;
	buf_copy(d->reason, sizeof(d->reason), "directory unavailable");
}

/*
 * An outside recipient of a message naming ids the correlation store could
 * not look up: whether it forwards a protected mailbox's mail is unknown.
 * With accept it is decided on the rest and the reason says so (the record
 * is marked, the message is in audit scope); with tempfail the message is
 * held back whole, so its retry is judged with the store, unless a rule
 * already enforces something at least as severe on what is known.
 */
static void decide_correlation_error(const struct decide_message *m, struct decision *d)
{
	static const char note[] = "; correlation store not consulted";
	size_t len = strlen(d->reason);
	int n;

	if (m->correlation_on_error != ACTION_ACCEPT && !(d->rule != NULL &&
	    d->mode == MODE_ENFORCE && d->action >= m->correlation_on_error)) {
		d->rule = NULL;
		d->reroute_to[0] = '\0';
		d->action = m->correlation_on_error;
		d->mode = m->policy->mode;
		d->whole = true;
		buf_copy(d->reason, sizeof(d->reason), "correlation store unavailable");
		return;
	}
	n = snprintf(d->reason + len, sizeof(d->reason) - len, "%s", note);
	decide_mark_cut(d->reason + len, sizeof(d->reason) - len, n);
}

int decide_message(const struct decide_message *m, struct decision *out)
{
	struct decide_facts f;
	bool in_scope = m->scope_all;
	size_t i;

	decide_gather(m, &f);
	for (i = 0; i < m->nrcpts; i++) {
		const struct decide_rcpt *r = &m->rcpts[i];
		struct decision *d = &out[i];

		memset(d, 0, sizeof(*d));
		d->sender_protected = f.sender_mailbox != NULL;
		if (r->status != ADDRESS_OK)
			decide_unclassifiable(m, &f, r, d);
		else
			decide_classify(m, &f, r, d);
		/* A body nobody could examine may be a protected mailbox's
		 * mail: it is recorded, whoever it names. */
		if (d->mailbox != NULL || r->directory_error || r->correlation_error ||
		    (d->signals & SIGNAL_BIT(SIGNAL_BODY_UNEXAMINED)))
			in_scope = true;
	}
	for (i = 0; i < m->nrcpts; i++) {
		struct decision *d = &out[i];

		d->record = in_scope;
		if (!in_scope) {
			d->action = ACTION_ACCEPT;
			d->mode = m->policy->mode;
			if (m->rcpts[i].status == ADDRESS_OK)
				buf_copy(d->reason, sizeof(d->reason), "no protected mailbox involved");
		} else if (m->rcpts[i].status != ADDRESS_OK) {
			d->action = m->on_error;
			d->mode = m->policy->mode;
			d->whole = true;
		} else {
			decide_act(m, &f, d);
			if (m->rcpts[i].directory_error)
				decide_directory_error(m, d);
			else if (m->rcpts[i].correlation_error)
				decide_correlation_error(m, d);
			decide_own_party(&m->rcpts[i], d);
		}
	}
	return in_scope ? 1 : 0;
}

const char *decide_fate_name(enum decide_fate f)
{
	switch (f) {
	case FATE_DELIVERED: return "delivered";
	case FATE_REMOVED: return "removed";
	case FATE_REROUTED: return "rerouted";
	case FATE_HELD: return "held";
	case FATE_TEMPFAILED: return "tempfailed";
	case FATE_REJECTED: return "rejected";
	}
	return "?";
}

static bool decide_offends(const struct decision *d)
{
	return d->mode == MODE_ENFORCE && d->action >= ACTION_STRIP;
}

/* Says in the reason what became of a removed recipient. */
static void decide_note_removed(struct decision *d)
{
	decide_note(d, "; recipient removed, the others delivered");
}

/* An enforced reroute: the copy still goes somewhere, inside. */
static bool decide_rerouted(const struct decision *d)
{
	return d->mode == MODE_ENFORCE && d->action == ACTION_REROUTE;
}

/* Sets a kept recipient's fate: rerouted or delivered. */
static void decide_keep(struct decision *d)
{
	if (!decide_rerouted(d)) {
		d->fate = FATE_DELIVERED;
		return;
	}
	d->fate = FATE_REROUTED;
	decide_note(d, "; rerouted inside, nothing bounced");
}

static enum decide_fate decide_fate_of(enum action a)
{
	return a == ACTION_REJECT ? FATE_REJECTED : a == ACTION_TEMPFAIL ? FATE_TEMPFAILED :
	    a == ACTION_QUARANTINE ? FATE_HELD : FATE_DELIVERED;
}

/* An offending decision that can only be carried out on the whole message. */
static bool decide_whole(const struct decision *d)
{
	return decide_offends(d) && d->whole && d->action > ACTION_STRIP;
}

/*
 * A whole decision beside other recipients, offending or not: a tempfail or
 * reject refuses the message (its retry is decided again, so nothing goes
 * out meanwhile); a hold removes the other offending recipients first, so
 * that releasing the message never delivers what was refused.
 */
static enum action decide_outcome_whole(struct decision *d, size_t n, enum action a)
{
	size_t i;

	for (i = 0; i < n; i++) {
		d[i].fate = decide_fate_of(a);
		if (a == ACTION_QUARANTINE && decide_offends(&d[i]) && !decide_whole(&d[i])) {
			d[i].fate = FATE_REMOVED;
			decide_note_removed(&d[i]);
		} else if (a == ACTION_QUARANTINE && decide_rerouted(&d[i]))
			decide_keep(&d[i]);
	}
	return a;
}

enum action decide_outcome(struct decision *d, size_t n)
{
	enum action worst = ACTION_ACCEPT, whole = ACTION_ACCEPT, kept_worst = ACTION_ACCEPT;
	size_t i, kept = 0;
	bool rerouted = false;

	for (i = 0; i < n; i++) {
		if (!decide_offends(&d[i])) {
			kept++;
			rerouted |= decide_rerouted(&d[i]);
			if (d[i].mode == MODE_ENFORCE && d[i].action == ACTION_FLAG)
				kept_worst = ACTION_FLAG;
			continue;
		}
		if (d[i].action > worst)
			worst = d[i].action;
		if (decide_whole(&d[i]) && d[i].action > whole)
			whole = d[i].action;
	}
	/* A failure or a directory forward decides the message even when every
	 * recipient offends: a more severe per-recipient action beside it (a
	 * forward's reject) must not turn a retry into a bounce of the copies
	 * that only waited for the directory. */
	if (whole != ACTION_ACCEPT)
		return decide_outcome_whole(d, n, whole);
	if (kept == 0) {
		if (worst == ACTION_STRIP)
			worst = ACTION_QUARANTINE;
		for (i = 0; i < n; i++)
			d[i].fate = decide_fate_of(worst);
		return worst;
	}
	/* Someone is left to deliver to: the offending copies go, the rest is untouched. */
	for (i = 0; i < n; i++) {
		if (!decide_offends(&d[i])) {
			decide_keep(&d[i]);
			continue;
		}
		d[i].fate = FATE_REMOVED;
		decide_note_removed(&d[i]);
	}
	if (worst != ACTION_ACCEPT)
		return ACTION_STRIP;
	return rerouted ? ACTION_REROUTE : kept_worst;
}
