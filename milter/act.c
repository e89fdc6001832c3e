/*
 * act.c - end of message: decide, record durably, log, then act.
 *
 * Order matters: the records reach stable storage (audit_commit) before
 * any verdict is returned, so no message is accepted, rejected or held
 * without its trail.  When the records cannot be made durable the message
 * gets milter.on_error (tempfail by default), never a silent accept.
 *
 * Leak evidence (issue [3]) is gathered before deciding: the Message-IDs
 * a protected mailbox received are looked up in the correlation store
 * (correlate.h) and leak.h decides what they mean.  A lookup that cannot
 * be answered never holds mail back: it is logged and the message is
 * decided on the rest.  A message a protected mailbox receives adds its
 * own correlation record (and its Outlook conversation's) to the same
 * durable commit as its decisions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "act.h"
#include "correlate.h"
#include "directory.h"
#include "ids.h"
#include "log.h"
#include "record.h"

#define ACT_DEFAULT_REPLY \
	"5.7.1 forwarding of protected mail to external domains is not permitted (ref %{id})"
#define ACT_DEFAULT_TEMPFAIL \
	"4.7.1 message held back by mail policy, try again later (ref %{id})"

static struct audit *act_audit;

void
act_set_audit(struct audit *a)
{
	act_audit = a;
}

/* What one message's end needs, kept together so helpers stay small. */
struct act_job {
	struct conn *c;
	const struct cfg *cfg;
	struct decide_rcpt *rcpts;
	struct decision *dec;
	enum action outcome;		/* decide_outcome() of dec, once decided */
	char (*ids)[IDS_LEN + 1];
	char (*targets)[DECIDE_TARGET_MAX];	/* directory forward targets */
	size_t n;
	struct record **recs;
	size_t nrecs;
	struct act_corr *corr;		/* correlation facts, or NULL */
	const struct correlate_entry **orig;	/* per recipient: the original its signals name */
};

#define ACT_REFS_MAX	(EVIDENCE_REFS_MAX + MIME_IDS_MAX)
/* Forwarded ids, In-Reply-To and References, the conversation. */
#define ACT_NAMED_MAX	(EVIDENCE_FWDIDS_MAX + EVIDENCE_REFS_MAX + 1)
_Static_assert(ACT_NAMED_MAX <= CORRELATE_BATCH_MAX, "one batch holds every id named");

/* What the correlation store said about this message. */
struct act_corr {
	struct correlate_entry own;		/* its own Message-ID, when found */
	struct correlate_entry refs[ACT_REFS_MAX];	/* the ids it answers, found */
	size_t nrefs;
	char answer_domain[DOMAIN_MAX + 1];	/* who answers, for inbound leak evidence */
	struct correlate_entry mine;		/* the record this message writes */
	bool write;
	struct correlate_entry named[ACT_NAMED_MAX];	/* messages it names, found */
	const char *named_via[ACT_NAMED_MAX];	/* the header that named each */
	size_t nnamed;
};

static const char *
act_host(void)
{
	static char host[256];

	if (host[0] == '\0' && gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "unknown");
	return host;
}

/* Copies text for a log line: control characters and non-ASCII become '?'. */
static const char *
act_clean(char *buf, size_t size, const char *text)
{
	size_t i;

	for (i = 0; text != NULL && text[i] != '\0' && i + 1 < size; i++)
		buf[i] = (text[i] < 0x20 || text[i] >= 0x7f) ? '?' : text[i];
	buf[i] = '\0';
	return buf;
}

/*
 * An envelope address as recorded: the SMTP angle brackets go (Postfix's
 * smtpd passes "<a@b>", its sendmail path "a@b"), the spelling inside
 * stays; the null sender stays "<>".
 */
static const char *
act_envelope(char *buf, size_t size, const char *raw)
{
	size_t n = strlen(raw);

	if (n > 2 && raw[0] == '<' && raw[n - 1] == '>') {
		snprintf(buf, size, "%.*s", (int)(n - 2), raw + 1);
		return buf;
	}
	return raw;
}

static enum act_verdict
act_reply(const struct act_ops *ops, const char *rcode, const char *fallback,
    const char *reply, const char *id)
{
	char text[512], xcode[16] = "";
	const char *p, *in = reply != NULL ? reply : fallback;
	size_t o = 0;

	/* An enhanced status code "D.D.D " leads the text when given. */
	if (in[0] >= '2' && in[0] <= '5' && in[1] == '.' &&
	    (p = strchr(in, ' ')) != NULL && (size_t)(p - in) < sizeof(xcode)) {
		memcpy(xcode, in, (size_t)(p - in));
		xcode[p - in] = '\0';
		in = p + 1;
	} else
		snprintf(xcode, sizeof(xcode), "%c.7.1", rcode[0]);
	for (p = in; *p != '\0' && o + 32 < sizeof(text); p++) {
		if (strncmp(p, "%{id}", 5) == 0) {
			o += (size_t)snprintf(text + o, sizeof(text) - o, "%s", id);
			p += 4;
		} else if (*p == '%') {
			/* libmilter reads the text as a format: a lone '%' drops it. */
			text[o++] = '%';
			text[o++] = '%';
		} else
			text[o++] = (*p < 0x20 || *p == 0x7f) ? ' ' : *p;
	}
	text[o] = '\0';
	if (ops->setreply(ops->ctx, rcode, xcode, text) != 0)
		log_warnx("could not set the SMTP reply text");
	return rcode[0] == '5' ? VERDICT_REJECT : VERDICT_TEMPFAIL;
}

enum act_verdict
act_on_error(const struct cfg *cfg, const struct act_ops *ops, const char *why)
{
	enum action a = cfg != NULL ? cfg->milter.on_error : ACTION_TEMPFAIL;
	char id[IDS_LEN + 1];

	ids_new(id);
	log_warnx("internal error, applying on_error=%s (ref %s): %s",
	    action_name(a), id, why);
	if (a == ACTION_ACCEPT)
		return VERDICT_ACCEPT;
	if (a == ACTION_REJECT)
		return act_reply(ops, "550", "5.3.0 mail filter error (ref %{id})", NULL, id);
	return act_reply(ops, "451", "4.3.0 mail filter temporarily unavailable (ref %{id})",
	    NULL, id);
}

/* A 4xx for a reason the sender cannot fix: the MTA keeps the message and retries. */
static enum act_verdict
act_tempfail(const struct act_ops *ops, const char *why)
{
	char id[IDS_LEN + 1];

	ids_new(id);
	log_warnx("tempfail (ref %s): %s", id, why);
	return act_reply(ops, "451", "4.3.0 mail filter temporarily unavailable (ref %{id})",
	    NULL, id);
}

/*
 * An action recorded as decided could not be carried out: the message must
 * not go on as if it had been (unmarked, unheld, to every recipient), so
 * it is tempfailed; its retry is decided and recorded again.
 */
static enum act_verdict act_fail_action(const struct act_job *j, const struct act_ops *ops,
    const char *why);

/* Parses the recipients into the pure decision input, with their directory facts. */
static void
act_gather(struct act_job *j, struct decide_message *m)
{
	struct conn *c = j->c;
	size_t i;

	memset(m, 0, sizeof(*m));
	m->now = time(NULL);
	m->policy = &j->cfg->policy;
	m->ev = c->ev;
	m->sender_status = address_parse(c->sender_raw, strlen(c->sender_raw), &m->sender);
	for (i = 0; i < j->n; i++) {
		struct decide_rcpt *r = &j->rcpts[i];

		memset(r, 0, sizeof(*r));
		r->raw = c->rcpts[i].raw;
		r->status = address_parse(r->raw, strlen(r->raw), &r->addr);
		r->orcpt = c->rcpts[i].orcpt;
		r->mailer = c->rcpts[i].mailer;
		r->host = c->rcpts[i].host;
		directory_rcpt(directory_current(), m->policy, r, m->now, j->targets[i],
		    sizeof(j->targets[i]));
	}
	m->rcpts = j->rcpts;
	m->nrcpts = j->n;
	m->on_error = j->cfg->milter.on_error;
	m->directory_on_error = j->cfg->ldap.on_error;
	m->scope_all = j->cfg->audit.scope == SCOPE_ALL;
}

static const char *
act_queue_id(const struct act_job *j, char *buf, size_t size)
{
	return act_clean(buf, size, j->c->queue_id[0] != '\0' ? j->c->queue_id : "NOQUEUE");
}

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

static void
act_leak_evidence(struct act_job *j, const struct decide_message *m)
{
	struct correlate *k = correlate_current();

	act_attached(j, m);
	if (k == NULL || j->corr == NULL)
		return;
	act_known_id(j, m->policy, k);
	act_referenced(j, m->policy, k);
	act_inbound(j, m, k);
}

/*
 * The correlation record of a message a protected mailbox receives (a
 * recipient that is protected and stays inside).  Not for a message that
 * is refused: it was never received.
 */
static void
act_plan_correlation(struct act_job *j)
{
	const struct policy *p = &j->cfg->policy;
	struct correlate_entry *e = &j->corr->mine;
	const char *mailbox = NULL, *msgid = evidence_message_id(j->c->ev);
	struct address *addrs;
	struct timespec now;
	char sender[MESSAGE_FIELD_MAX + 2];
	size_t i, na = 0;

	if (msgid[0] == '\0' || j->outcome == ACTION_REJECT || j->outcome == ACTION_TEMPFAIL)
		return;
	for (i = 0; i < j->n && mailbox == NULL; i++)
		if (j->rcpts[i].status == ADDRESS_OK && j->dec[i].destination == DEST_INTERNAL &&
		    j->dec[i].fate != FATE_REMOVED)
			mailbox = policy_protected(p, &j->rcpts[i].addr);
	if (mailbox == NULL || (addrs = calloc(j->n, sizeof(*addrs))) == NULL)
		return;
	/* A removed recipient never got it: its domain is no party to it. */
	for (i = 0; i < j->n; i++)
		if (j->rcpts[i].status == ADDRESS_OK && j->dec[i].fate != FATE_REMOVED)
			addrs[na++] = j->rcpts[i].addr;
	memset(e, 0, sizeof(*e));
	snprintf(e->message_id, sizeof(e->message_id), "%s", msgid);
	snprintf(e->mailbox, sizeof(e->mailbox), "%s", mailbox);
	snprintf(e->sender, sizeof(e->sender), "%s",
	    act_envelope(sender, sizeof(sender), j->c->sender_raw));
	leak_rcpt_domains(j->c->ev, addrs, na, e->rcpt_domains, sizeof(e->rcpt_domains));
	snprintf(e->conversation, sizeof(e->conversation), "%s",
	    evidence_conversation(j->c->ev));
	free(addrs);
	clock_gettime(CLOCK_REALTIME, &now);
	e->ts = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	/*
	 * Never a probe from what arrives by SMTP: anyone can write the
	 * headers of one.  Only "fwdguard-audit probe" marks probes, in Redis.
	 */
	e->probe = false;
	j->corr->write = true;
}

/* The header that named o, when o is one of the messages this one names. */
static const char *
act_named_via(const struct act_job *j, const struct correlate_entry *o)
{
	size_t k;

	for (k = 0; j->corr != NULL && k < j->corr->nnamed; k++)
		if (o == &j->corr->named[k])
			return j->corr->named_via[k];
	return NULL;
}

/*
 * The original a leak, known-message-id or referenced-message decision
 * refers to (DESIGN.md 5 extension); for referenced-message also how it
 * was named and, as corroboration only, a forward's subject prefix.
 */
static int
act_original_fields(const struct act_job *j, size_t i, struct record *r)
{
	const struct correlate_entry *o = j->orig != NULL ? j->orig[i] : NULL;
	const char *via;
	char ts[32];
	int rc = 0;

	if (o == NULL || (j->dec[i].signals & (SIGNAL_BIT(SIGNAL_KNOWN_MESSAGE_ID) |
	    SIGNAL_BIT(SIGNAL_REFERENCED_MESSAGE) |
	    SIGNAL_BIT(SIGNAL_LEAK_BACKSCATTER) | SIGNAL_BIT(SIGNAL_LEAK_PROBE))) == 0)
		return 0;
	snprintf(ts, sizeof(ts), "%lld", o->ts);
	rc |= record_set(r, "original_message_id", o->message_id);
	rc |= record_set(r, "original_ts", ts);
	if ((via = act_named_via(j, o)) != NULL)
		rc |= record_set(r, "original_via", via);
	if ((j->dec[i].signals & SIGNAL_BIT(SIGNAL_REFERENCED_MESSAGE)) &&
	    evidence_forward_subject(j->c->ev))
		rc |= record_set(r, "corroboration", "forward-subject");
	return rc;
}

static int
act_decision_record(struct act_job *j, size_t i, const char *ts, struct record **out)
{
	const struct decision *d = &j->dec[i];
	struct conn *c = j->c;
	struct record *r;
	char signals[512], sender[MESSAGE_FIELD_MAX + 2], rcpt[MESSAGE_FIELD_MAX + 2];
	int rc = 0;

	signal_set_format(d->signals, signals, sizeof(signals));
	if ((r = record_new("decision")) == NULL)
		return -1;
	rc |= record_set(r, "id", j->ids[i]);
	rc |= record_set(r, "ts", ts);
	rc |= record_set(r, "host", act_host());
	rc |= record_set(r, "queue_id", c->queue_id);
	rc |= record_set(r, "message_id", evidence_message_id(c->ev));
	rc |= record_set(r, "direction", direction_name(d->direction));
	rc |= record_set(r, "sender", act_envelope(sender, sizeof(sender), c->sender_raw));
	rc |= record_set(r, "from", evidence_from(c->ev));
	rc |= record_set(r, "recipient", act_envelope(rcpt, sizeof(rcpt), c->rcpts[i].raw));
	rc |= record_set(r, "mailbox", d->mailbox);
	rc |= record_set(r, "destination", destination_name(d->destination));
	rc |= record_set(r, "target", d->target);
	rc |= record_set(r, "signals", signals);
	rc |= record_set(r, "rule", d->rule != NULL ? d->rule->name : "");
	rc |= record_set(r, "action", action_name(d->action));
	rc |= record_set(r, "mode", mode_name(d->mode));
	rc |= record_set(r, "reason", d->reason);
	rc |= record_set(r, "outcome", decide_fate_name(d->fate));
	rc |= record_set(r, "client", c->client_addr);
	rc |= record_set(r, "auth", c->auth);
	rc |= record_set(r, "policy", j->cfg->digest);
	rc |= record_set(r, "sender_protected", d->sender_protected ? "yes" : "no");
	rc |= record_set(r, "daemon", c->daemon_name);
	rc |= record_set(r, "mailbox_address", d->mailbox_address);
	if (d->destination == DEST_ALLOWED && d->allow != NULL) {
		rc |= record_set(r, "allow_reason", d->allow->reason);
		rc |= record_set(r, "allow_owner", d->allow->owner);
		rc |= record_set(r, "allow_expires", d->allow->expires);
	}
	rc |= act_original_fields(j, i, r);
	*out = r;
	return rc == 0 ? 0 : -1;
}

static int
act_alert_record(struct act_job *j, size_t i, const char *ts, struct record **out)
{
	const struct decision *d = &j->dec[i];
	struct record *r;
	char id[IDS_LEN + 1], summary[800], signals[512], rcpt[MESSAGE_FIELD_MAX + 2];
	int rc = 0;

	ids_new(id);
	signal_set_format(d->signals, signals, sizeof(signals));
	snprintf(summary, sizeof(summary), "%s mail %s %s: %s%s%s (rule %s)",
	    d->mailbox != NULL ? d->mailbox : "protected",
	    (d->signals & (SIGNAL_BIT(SIGNAL_LEAK_BACKSCATTER) | SIGNAL_BIT(SIGNAL_LEAK_PROBE))) ?
	    "reached, by an answer from" : d->destination == DEST_ALLOWED ? "going to" :
	    "forwarded to", d->target,
	    action_name(d->action), d->mode == MODE_MONITOR ? " in monitor mode" : "",
	    d->fate == FATE_REMOVED ? ", recipient removed, the others delivered" : "",
	    d->rule->name);
	if ((r = record_new("alert")) == NULL)
		return -1;
	rc |= record_set(r, "id", id);
	rc |= record_set(r, "ts", ts);
	rc |= record_set(r, "level", alert_level_name(d->rule->alert));
	rc |= record_set(r, "decision_id", j->ids[i]);
	rc |= record_set(r, "host", act_host());
	rc |= record_set(r, "queue_id", j->c->queue_id);
	rc |= record_set(r, "mailbox", d->mailbox);
	rc |= record_set(r, "mailbox_address", d->mailbox_address);
	rc |= record_set(r, "recipient", act_envelope(rcpt, sizeof(rcpt), j->c->rcpts[i].raw));
	rc |= record_set(r, "target", d->target);
	rc |= record_set(r, "destination", destination_name(d->destination));
	rc |= record_set(r, "signals", signals);
	rc |= record_set(r, "rule", d->rule->name);
	rc |= record_set(r, "action", action_name(d->action));
	rc |= record_set(r, "mode", mode_name(d->mode));
	rc |= record_set(r, "outcome", decide_fate_name(d->fate));
	rc |= record_set(r, "summary", summary);
	rc |= act_original_fields(j, i, r);
	*out = r;
	return rc == 0 ? 0 : -1;
}

/* Builds every record of the message; -1 on ENOMEM (records built so far stay in j). */
static int
act_build_records(struct act_job *j)
{
	struct timespec now;
	char ts[32];
	size_t i;

	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(ts, sizeof(ts), "%lld",
	    (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	if ((j->recs = calloc(j->n * 2 + 2, sizeof(*j->recs))) == NULL)
		return -1;
	if (j->corr != NULL && j->corr->write &&
	    (j->recs[j->nrecs++] = correlate_record(&j->corr->mine,
	    j->cfg->audit.correlation_ttl)) == NULL)
		return -1;
	if (j->corr != NULL && j->corr->write && j->corr->mine.conversation[0] != '\0' &&
	    (j->recs[j->nrecs++] = correlate_conversation_record(&j->corr->mine,
	    j->cfg->audit.correlation_ttl)) == NULL)
		return -1;
	for (i = 0; i < j->n; i++) {
		if (!j->dec[i].record)
			continue;
		if (act_decision_record(j, i, ts, &j->recs[j->nrecs++]) != 0)
			return -1;
		if (j->dec[i].rule == NULL || j->dec[i].rule->alert == ALERT_NONE)
			continue;
		if (act_alert_record(j, i, ts, &j->recs[j->nrecs++]) != 0)
			return -1;
	}
	return 0;
}

static void
act_log(const struct act_job *j)
{
	char q[64], rcpt[160], signals[512];
	size_t i;

	act_queue_id(j, q, sizeof(q));
	for (i = 0; i < j->n; i++) {
		const struct decision *d = &j->dec[i];

		if (!d->record)
			continue;
		signal_set_format(d->signals, signals, sizeof(signals));
		log_info("%s: decision id=%s rcpt=%s mailbox=%s destination=%s target=%s "
		    "signals=%s rule=%s action=%s mode=%s outcome=%s",
		    q, j->ids[i], act_clean(rcpt, sizeof(rcpt), j->c->rcpts[i].raw),
		    d->mailbox != NULL ? d->mailbox : "-", destination_name(d->destination),
		    d->target[0] != '\0' ? d->target : "-", signals[0] != '\0' ? signals : "-",
		    d->rule != NULL ? d->rule->name : "-", action_name(d->action),
		    mode_name(d->mode), decide_fate_name(d->fate));
		if (d->rule != NULL && d->rule->alert != ALERT_NONE && j->cfg->alerts.syslog)
			log_warnx("%s: ALERT %s: %s mail to %s, rule %s, action %s%s%s (id %s)",
			    q, alert_level_name(d->rule->alert),
			    d->mailbox != NULL ? d->mailbox : "protected", d->target,
			    d->rule->name, action_name(d->action),
			    d->mode == MODE_MONITOR ? " (monitor)" : "",
			    d->fate == FATE_REMOVED ? ", recipient removed" : "", j->ids[i]);
	}
}

/*
 * The decision a whole-message reply or hold names: the first enforced one
 * with the message's action that was not removed from it, else (every
 * recipient stripped, so the message is held) the first stripped one.
 */
static size_t
act_first(const struct act_job *j, enum action a)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		if (j->dec[i].mode == MODE_ENFORCE && j->dec[i].action == a &&
		    j->dec[i].fate != FATE_REMOVED)
			return i;
	for (i = 0; i < j->n; i++)
		if (j->dec[i].mode == MODE_ENFORCE && j->dec[i].action == ACTION_STRIP)
			return i;
	return 0;
}

/* Removes every recipient decide_outcome() removed; -1 when one cannot be. */
static int
act_remove(const struct act_job *j, const struct act_ops *ops)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		if (j->dec[i].fate == FATE_REMOVED &&
		    ops->delrcpt(ops->ctx, j->c->rcpts[i].raw) != 0)
			return -1;
	return 0;
}

static int
act_flag_headers(const struct act_job *j, const struct act_ops *ops)
{
	char value[1100], signals[512];
	size_t i;

	for (i = 0; i < j->n; i++) {
		const struct decision *d = &j->dec[i];

		if (d->mode != MODE_ENFORCE || d->action != ACTION_FLAG || d->rule == NULL)
			continue;
		signal_set_format(d->signals, signals, sizeof(signals));
		snprintf(value, sizeof(value), "%s; rule=%s; signals=%s; id=%s",
		    action_name(d->action), d->rule->name, signals, j->ids[i]);
		if (ops->addheader(ops->ctx, "X-Fwdguard", value) != 0)
			return -1;
	}
	return 0;
}

static enum act_verdict
act_fail_action(const struct act_job *j, const struct act_ops *ops, const char *why)
{
	char q[64];

	act_clean(q, sizeof(q), j->c->queue_id[0] != '\0' ? j->c->queue_id : "NOQUEUE");
	log_warnx("%s: %s; the decisions stay recorded, the message is tempfailed", q, why);
	return act_tempfail(ops, why);
}

static enum act_verdict
act_quarantine(const struct act_job *j, const struct act_ops *ops, size_t i)
{
	const struct decision *d = &j->dec[i];
	char reason[1200];

	snprintf(reason, sizeof(reason), "fwdguard rule %s id %s: %s to %s",
	    d->rule != NULL ? d->rule->name : "-", j->ids[i],
	    d->mailbox != NULL ? d->mailbox : "-", d->target);
	if (ops->quarantine(ops->ctx, reason) != 0)
		return act_fail_action(j, ops, "could not quarantine the message");
	return VERDICT_ACCEPT;
}

/*
 * Carries out decide_outcome(): a whole-message reply or hold only when
 * every recipient offends (or a decision can only be whole); otherwise the
 * offending recipients are removed and the rest is delivered untouched.
 * Whatever cannot be carried out tempfails the message (act_fail_action).
 */
static enum act_verdict
act_apply(const struct act_job *j, const struct act_ops *ops)
{
	size_t i;

	if (act_flag_headers(j, ops) != 0)
		return act_fail_action(j, ops, "could not add the X-Fwdguard header");
	switch (j->outcome) {
	case ACTION_REJECT:
		i = act_first(j, ACTION_REJECT);
		return act_reply(ops, "550", ACT_DEFAULT_REPLY,
		    j->dec[i].rule != NULL ? j->dec[i].rule->reply : NULL, j->ids[i]);
	case ACTION_TEMPFAIL:
		i = act_first(j, ACTION_TEMPFAIL);
		return act_reply(ops, "451", ACT_DEFAULT_TEMPFAIL,
		    j->dec[i].rule != NULL ? j->dec[i].rule->reply : NULL, j->ids[i]);
	case ACTION_QUARANTINE:
		if (act_remove(j, ops) != 0)
			return act_fail_action(j, ops, "could not remove a recipient");
		return act_quarantine(j, ops, act_first(j, ACTION_QUARANTINE));
	case ACTION_STRIP:
		if (act_remove(j, ops) != 0)
			return act_fail_action(j, ops, "could not remove a recipient");
		return VERDICT_ACCEPT;
	case ACTION_FLAG:
	case ACTION_ACCEPT:
		break;
	}
	return VERDICT_ACCEPT;
}

static void
act_job_free(struct act_job *j)
{
	size_t i;

	for (i = 0; i < j->nrecs; i++)
		record_free(j->recs[i]);
	free(j->recs);
	free(j->rcpts);
	free(j->dec);
	free(j->ids);
	free(j->targets);
	free(j->corr);
	free(j->orig);
}

enum act_verdict
act_end_of_message(struct conn *c, const struct act_ops *ops)
{
	struct act_job j = { .c = c, .cfg = c->cfg, .n = c->nrcpts };
	struct decide_message m;
	enum act_verdict v;
	size_t i;

	if (c->rcpts_overflow)
		return act_on_error(j.cfg, ops, "too many recipients to decide on");
	if (j.n == 0)
		return VERDICT_ACCEPT;
	j.rcpts = calloc(j.n, sizeof(*j.rcpts));
	j.dec = calloc(j.n, sizeof(*j.dec));
	j.ids = calloc(j.n, sizeof(*j.ids));
	j.targets = calloc(j.n, sizeof(*j.targets));
	j.orig = calloc(j.n, sizeof(*j.orig));
	j.corr = calloc(1, sizeof(*j.corr));
	if (j.rcpts == NULL || j.dec == NULL || j.ids == NULL || j.targets == NULL ||
	    j.orig == NULL || j.corr == NULL) {
		act_job_free(&j);
		return act_on_error(j.cfg, ops, "out of memory");
	}
	act_gather(&j, &m);
	act_leak_evidence(&j, &m);
	if (decide_message(&m, j.dec) == 0) {
		act_job_free(&j);
		return VERDICT_ACCEPT;
	}
	j.outcome = decide_outcome(j.dec, j.n);
	act_plan_correlation(&j);
	for (i = 0; i < j.n; i++)
		ids_new(j.ids[i]);
	if (act_build_records(&j) != 0) {
		act_job_free(&j);
		return act_on_error(j.cfg, ops, "out of memory building audit records");
	}
	if (act_audit == NULL || audit_commit(act_audit, j.recs, j.nrecs) != 0) {
		log_warn("%s: audit records could not be made durable", c->queue_id);
		act_job_free(&j);
		/* Whatever on_error says: never accept or refuse it unrecorded. */
		return act_tempfail(ops, "audit spool unavailable");
	}
	if (j.corr->write)
		correlate_remember(correlate_current(), &j.corr->mine);
	act_log(&j);
	v = act_apply(&j, ops);
	act_job_free(&j);
	return v;
}
