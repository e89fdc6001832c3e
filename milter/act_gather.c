/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * act_gather.c - the first stage of a message's end (act_job.h): every
 * fact the decision needs, read once.  The envelope is parsed into the
 * pure decision's input (decide.h) with each recipient's directory facts
 * (directory_rcpt()) and whether the message carries our own reroute mark;
 * then the correlation store (correlate.h) is asked for what leak.h will
 * judge, in at most two batches (one round trip each): for a message with
 * a recipient outside, the messages it names and its own Message-ID
 * (nothing else can carry a protected mailbox's mail out); for an answer
 * from outside, the ids it answers.
 *
 * A lookup that cannot be answered is logged (act_tryagain()) and kept as
 * "unanswered" (struct act_corr), never as "not found": the decision then
 * marks a message leaving unchecked (audit.correlation_on_error), with
 * one warning here (act_unchecked_warn(), rate limited).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "act_job.h"
#include "correlate.h"
#include "directory.h"
#include "leak.h"
#include "log.h"
#include "mark.h"

/*
 * Whether the message carries fwdguard's own reroute mark (mark.h).  A mark
 * that cannot be checked (the key file is unreadable) counts as one: the
 * worst it does is hold a copy instead of rerouting it, never let it out.
 */
static bool
act_marked(const struct act_job *j)
{
	unsigned char key[MARK_KEY_LEN];
	char err[256], q[64];

	if (j->c->mark[0] == '\0')
		return false;
	if (mark_key(j->cfg->milter.mark_key_file, key, err, sizeof(err)) != 0) {
		log_warnx("%s: reroute mark not checked (%s): taken as genuine",
		    act_queue_id(j, q, sizeof(q)), err);
		return true;
	}
	return mark_verify(key, evidence_message_id(j->c->ev), j->c->mark);
}

/* Parses the recipients into the pure decision input, with their directory facts. */
static void
act_gather_envelope(struct act_job *j, struct directory *dir)
{
	struct decide_message *m = &j->m;
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
		directory_rcpt(dir, m->policy, r, m->now, j->targets[i], sizeof(j->targets[i]));
	}
	m->rcpts = j->rcpts;
	m->nrcpts = j->n;
	m->on_error = j->cfg->milter.on_error;
	m->directory_on_error = j->cfg->ldap.on_error;
	m->correlation_on_error = j->cfg->audit.correlation_on_error;
	m->scope_all = j->cfg->audit.scope == SCOPE_ALL;
	m->rerouted = act_marked(j);
}

/* How many recipients' mail leaves: only theirs makes what the message names worth a lookup. */
static size_t
act_external_count(const struct act_job *j)
{
	size_t i, n = 0;

	for (i = 0; i < j->n; i++)
		n += act_rcpt_external(&j->cfg->policy, &j->rcpts[i]);
	return n;
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
 * The correlation store could not answer for what a message names: n
 * recipients are ones whose judgement needed it (act_decide.c marks them
 * unchecked), for the reason `what`.
 */
static void
act_unchecked_warn(const struct act_job *j, size_t n, const char *what)
{
	unsigned long quiet;
	char q[64], more[64] = "";

	if (n == 0 || !act_unchecked_may_log(&quiet))
		return;
	if (quiet > 0)
		snprintf(more, sizeof(more), " (%lu like it not logged)", quiet);
	log_warnx("%s: correlation store unavailable: %zu %s, recorded unchecked=correlation, "
	    "audit.correlation_on_error=%s%s", act_queue_id(j, q, sizeof(q)), n, what,
	    action_name(j->cfg->audit.correlation_on_error), more);
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

/* The found ones of the named asks, in the order named, into j->corr->named. */
static void
act_keep_named(struct act_job *j, const struct act_ask *asks, size_t na,
    const enum correlate_status *st)
{
	struct act_corr *corr = j->corr;
	bool enclosed[ACT_NAMED_MAX];
	size_t i, found;

	for (i = 0; i < na; i++) {
		if (st[i] == CORRELATE_TRYAGAIN)
			corr->named_unanswered = true;
		if (st[i] != CORRELATE_FOUND)
			continue;
		if (corr->nnamed != i)
			corr->named[corr->nnamed] = corr->named[i];
		enclosed[corr->nnamed] = asks[i].enclosed;
		corr->named_role[corr->nnamed] = asks[i].role;
		corr->named_via[corr->nnamed++] = asks[i].via;
	}
	/* Then a second entry for each one a header named that the body also
	 * encloses.  Each merged id took one ask for two names: there is room. */
	for (i = 0, found = corr->nnamed; i < found; i++) {
		if (!enclosed[i])
			continue;
		corr->named[corr->nnamed] = corr->named[i];
		corr->named_role[corr->nnamed] = LEAK_ROLE_ENCLOSED;
		corr->named_via[corr->nnamed++] = "attached";
	}
}

/*
 * For a message leaving: the messages it names (into j->corr->named) and
 * its own Message-ID (known-message-id: did a protected mailbox receive
 * it?), in one batch, one round trip to Redis.  The own id's answer is
 * taken out of the slot after the named ones before those are sorted.
 */
static void
act_lookup_outbound(struct act_job *j, struct correlate *k)
{
	struct act_ask asks[ACT_NAMED_MAX];
	struct correlate_ask keys[ACT_NAMED_MAX + 1];
	enum correlate_status st[ACT_NAMED_MAX + 1];
	const char *own = evidence_message_id(j->c->ev);
	size_t na, i, n;

	na = act_asks(j, asks);
	for (i = 0; i < na; i++)
		keys[i] = asks[i].ask;
	n = na;
	if (own[0] != '\0')
		keys[n++] = (struct correlate_ask){ .key = own, .conversation = false };
	correlate_lookup_batch(k, keys, n, j->corr->named, st);
	if (n > na) {
		j->corr->own_found = st[na] == CORRELATE_FOUND;
		j->corr->own_unanswered = st[na] == CORRELATE_TRYAGAIN;
		if (j->corr->own_found)
			j->corr->own = j->corr->named[na];
	}
	act_keep_named(j, asks, na, st);
	if (j->corr->named_unanswered)
		act_tryagain(j, "the messages it names");
	if (j->corr->own_unanswered)
		act_tryagain(j, "the Message-ID");
}

/*
 * The ids an answer from outside answers, looked up in one batch
 * (leak-backscatter, leak-probe).  Mail from inside answers nothing from
 * outside.  A person's reply only matters when it answers a probe, whose
 * ids have a known shape: the others are not worth a lookup.
 */
static void
act_lookup_refs(struct act_job *j, struct correlate *k)
{
	const struct decide_message *m = &j->m;
	const char *ids[ACT_REFS_MAX];
	struct correlate_ask keys[ACT_REFS_MAX];
	enum correlate_status st[ACT_REFS_MAX];
	struct act_corr *corr = j->corr;
	size_t n, i, na = 0;
	bool automatic, unanswered = false;

	if (m->sender_status == ADDRESS_OK && policy_is_internal(m->policy, &m->sender))
		return;
	leak_answer_domain(m->sender_status == ADDRESS_OK ? &m->sender : NULL, m->ev,
	    corr->answer_domain, sizeof(corr->answer_domain));
	if (corr->answer_domain[0] == '\0')
		return;
	automatic = (j->c->mime != NULL && mime_walk_is_dsn(j->c->mime)) ||
	    evidence_is_autoreply(m->ev);
	n = evidence_references(j->c->ev, ids, EVIDENCE_REFS_MAX);
	if (j->c->mime != NULL)
		n += mime_walk_original_ids(j->c->mime, ids + n, MIME_IDS_MAX);
	for (i = 0; i < n; i++)
		if (automatic || strncmp(ids[i], "probe.", 6) == 0)
			keys[na++] = (struct correlate_ask){ .key = ids[i], .conversation = false };
	correlate_lookup_batch(k, keys, na, corr->refs, st);
	for (i = 0; i < na; i++) {
		unanswered |= st[i] == CORRELATE_TRYAGAIN;
		if (st[i] != CORRELATE_FOUND)
			continue;
		if (corr->nrefs != i)
			corr->refs[corr->nrefs] = corr->refs[i];
		corr->nrefs++;
	}
	if (unanswered) {
		corr->refs_unanswered = true;
		act_tryagain(j, "the ids it answers");
	}
}

void
act_gather(struct act_job *j, const struct act_env *env)
{
	size_t outside;

	act_gather_envelope(j, env->dir);
	if (env->corr == NULL)
		return;
	/* Only mail leaving can carry a protected mailbox's mail out: it alone asks. */
	if ((outside = act_external_count(j)) > 0) {
		act_lookup_outbound(j, env->corr);
		if (j->corr->named_unanswered || j->corr->own_unanswered)
			act_unchecked_warn(j, outside, "outside recipient(s) not "
			    "checked for a protected mailbox's mail");
	}
	act_lookup_refs(j, env->corr);
	/* An answer nobody could check may be the leak coming back (README.md
	 * "Failure behaviour"): never read as "no leak". */
	if (j->corr->refs_unanswered)
		act_unchecked_warn(j, j->n, "recipient(s) of an automatic answer from outside "
		    "not checked for a leak");
}
