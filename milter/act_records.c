/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * act_records.c - what one message's end writes down: the correlation
 * record of a message a protected mailbox receives (correlate.h), and the
 * audit records, one decision per recipient that is recorded, one
 * alert per decision whose rule alerts, and one notice request per
 * stopped decision whose rule tells the mailbox (record.h; the fields are listed
 * in README.md and fwdguard-audit(1)).  Nothing here is committed: act_end.c
 * makes the records durable (audit_commit()) before any verdict.
 *
 * The records own their strings; the job owns the records (j->recs,
 * freed by act_job_free()).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "act_job.h"
#include "correlate.h"
#include "leak.h"
#include "record_fields.h"

static pthread_once_t act_host_once = PTHREAD_ONCE_INIT;
static char act_host_name[256];

static void
act_host_init(void)
{
	if (gethostname(act_host_name, sizeof(act_host_name) - 1) != 0 ||
	    act_host_name[0] == '\0')
		snprintf(act_host_name, sizeof(act_host_name), "unknown");
}

/*
 * Every record names the host, from any milter worker thread: the name is
 * written once (pthread_once, whose later calls only read a flag) and only
 * read after that, so no thread ever sees it half written.
 */
const char *
act_records_host(void)
{
	pthread_once(&act_host_once, act_host_init);
	return act_host_name;
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

/*
 * The correlation record of a message a protected mailbox receives (a
 * recipient that is protected and stays inside).  Not for a message that
 * is refused: it was never received.
 */
void
act_records_plan_correlation(struct act_job *j)
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
 * refers to (the original_* fields); for referenced-message also how it
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
	rc |= record_set(r, REC_ORIGINAL_MESSAGE_ID, o->message_id);
	rc |= record_set(r, REC_ORIGINAL_TS, ts);
	if ((via = act_named_via(j, o)) != NULL)
		rc |= record_set(r, REC_ORIGINAL_VIA, via);
	if ((j->dec[i].signals & SIGNAL_BIT(SIGNAL_REFERENCED_MESSAGE)) &&
	    evidence_forward_subject(j->c->ev))
		rc |= record_set(r, REC_CORROBORATION, "forward-subject");
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
	if ((r = record_new(REC_KIND_DECISION)) == NULL)
		return -1;
	rc |= record_set(r, REC_ID, j->ids[i]);
	rc |= record_set(r, REC_TS, ts);
	rc |= record_set(r, REC_HOST, act_records_host());
	rc |= record_set(r, REC_QUEUE_ID, c->queue_id);
	rc |= record_set(r, REC_MESSAGE_ID, evidence_message_id(c->ev));
	rc |= record_set(r, REC_DIRECTION, direction_name(d->direction));
	rc |= record_set(r, REC_SENDER, act_envelope(sender, sizeof(sender), c->sender_raw));
	rc |= record_set(r, REC_FROM, evidence_from(c->ev));
	rc |= record_set(r, REC_RECIPIENT, act_envelope(rcpt, sizeof(rcpt), c->rcpts[i].raw));
	rc |= record_set(r, REC_MAILBOX, d->mailbox);
	rc |= record_set(r, REC_DESTINATION, destination_name(d->destination));
	rc |= record_set(r, REC_TARGET, d->target);
	rc |= record_set(r, REC_SIGNALS, signals);
	rc |= record_set(r, REC_RULE, d->rule != NULL ? d->rule->name : "");
	rc |= record_set(r, REC_ACTION, action_name(d->action));
	rc |= record_set(r, REC_MODE, mode_name(d->mode));
	rc |= record_set(r, REC_REASON, d->reason);
	rc |= record_set(r, REC_OUTCOME, decide_fate_name(d->fate));
	rc |= record_set(r, REC_CLIENT, c->client_addr);
	rc |= record_set(r, REC_AUTH, c->auth);
	rc |= record_set(r, REC_POLICY, j->cfg->digest);
	rc |= record_set(r, REC_SENDER_PROTECTED, d->sender_protected ? "yes" : "no");
	rc |= record_set(r, REC_DAEMON, c->daemon_name);
	rc |= record_set(r, REC_MAILBOX_ADDRESS, d->mailbox_address);
	if (d->reroute_to[0] != '\0')
		rc |= record_set(r, REC_REROUTED_TO, d->reroute_to);
	if (d->destination == DEST_ALLOWED && d->allow != NULL) {
		rc |= record_set(r, REC_ALLOW_REASON, d->allow->reason);
		rc |= record_set(r, REC_ALLOW_OWNER, d->allow->owner);
		rc |= record_set(r, REC_ALLOW_EXPIRES, d->allow->expires);
	}
	/* Whether it forwards a protected mailbox's mail could not be checked: re-check it. */
	if (j->rcpts[i].correlation_error)
		rc |= record_set(r, REC_UNCHECKED, "correlation");
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
	bool unexamined;
	int rc = 0;

	ids_new(id);
	signal_set_format(d->signals, signals, sizeof(signals));
	/* body-unexamined alone names no mailbox: nobody knows whose mail it is. */
	unexamined = d->mailbox == NULL && (d->signals & SIGNAL_BIT(SIGNAL_BODY_UNEXAMINED));
	snprintf(summary, sizeof(summary), "%s mail %s %s: %s%s%s (rule %s)",
	    d->mailbox != NULL ? d->mailbox : unexamined ? "unexamined" : "protected",
	    (d->signals & (SIGNAL_BIT(SIGNAL_LEAK_BACKSCATTER) | SIGNAL_BIT(SIGNAL_LEAK_PROBE))) ?
	    "reached, by an answer from" : d->destination == DEST_ALLOWED ? "going to" :
	    unexamined ? "sent to" : "forwarded to", d->target,
	    action_name(d->action), d->mode == MODE_MONITOR ? " in monitor mode" : "",
	    d->fate == FATE_REMOVED ? ", recipient removed, the others delivered" :
	    d->fate == FATE_REROUTED ? ", rerouted inside, nothing bounced" : "",
	    d->rule->name);
	if ((r = record_new(REC_KIND_ALERT)) == NULL)
		return -1;
	rc |= record_set(r, REC_ID, id);
	rc |= record_set(r, REC_TS, ts);
	rc |= record_set(r, REC_LEVEL, alert_level_name(d->rule->alert));
	if (d->rule->notify_routes != NULL)
		rc |= record_set(r, REC_NOTIFY_ROUTES, d->rule->notify_routes);
	rc |= record_set(r, REC_DECISION_ID, j->ids[i]);
	rc |= record_set(r, REC_HOST, act_records_host());
	rc |= record_set(r, REC_QUEUE_ID, j->c->queue_id);
	rc |= record_set(r, REC_MAILBOX, d->mailbox);
	rc |= record_set(r, REC_MAILBOX_ADDRESS, d->mailbox_address);
	rc |= record_set(r, REC_RECIPIENT, act_envelope(rcpt, sizeof(rcpt), j->c->rcpts[i].raw));
	rc |= record_set(r, REC_TARGET, d->target);
	rc |= record_set(r, REC_DESTINATION, destination_name(d->destination));
	rc |= record_set(r, REC_SIGNALS, signals);
	rc |= record_set(r, REC_RULE, d->rule->name);
	rc |= record_set(r, REC_ACTION, action_name(d->action));
	rc |= record_set(r, REC_MODE, mode_name(d->mode));
	rc |= record_set(r, REC_OUTCOME, decide_fate_name(d->fate));
	rc |= record_set(r, REC_SUMMARY, summary);
	if (d->reroute_to[0] != '\0')
		rc |= record_set(r, REC_REROUTED_TO, d->reroute_to);
	rc |= act_original_fields(j, i, r);
	*out = r;
	return rc == 0 ? 0 : -1;
}

/*
 * The mailbox is told only what really happened to its mail: a copy
 * stopped on the way out (removed, rerouted, held or refused), not one
 * merely delayed (tempfail, retried) or let through (monitor mode).
 */
static bool
act_notice_due(const struct decision *d)
{
	return d->rule != NULL && d->rule->notify_mailbox && d->mailbox != NULL &&
	    d->mode == MODE_ENFORCE && (d->fate == FATE_REMOVED || d->fate == FATE_REROUTED ||
	    d->fate == FATE_HELD || d->fate == FATE_REJECTED);
}

/*
 * A request for the mailbox's notice, on the alert stream: the relay
 * (fwdguard-audit alerts, milter/audit-tool/alerts/alert_notice_send.c) writes and mails it.
 */
static int
act_notice_record(struct act_job *j, size_t i, const char *ts, struct record **out)
{
	const struct decision *d = &j->dec[i];
	struct record *r;
	char id[IDS_LEN + 1], signals[512], rcpt[MESSAGE_FIELD_MAX + 2];
	int rc = 0;

	ids_new(id);
	signal_set_format(d->signals, signals, sizeof(signals));
	if ((r = record_new(REC_KIND_ALERT)) == NULL)
		return -1;
	rc |= record_set(r, REC_ID, id);
	rc |= record_set(r, REC_TS, ts);
	rc |= record_set(r, REC_TYPE, REC_TYPE_NOTICE);
	rc |= record_set(r, REC_NOTIFY, "mailbox");
	rc |= record_set(r, REC_DECISION_ID, j->ids[i]);
	rc |= record_set(r, REC_HOST, act_records_host());
	rc |= record_set(r, REC_MAILBOX, d->mailbox);
	rc |= record_set(r, REC_RECIPIENT, act_envelope(rcpt, sizeof(rcpt), j->c->rcpts[i].raw));
	rc |= record_set(r, REC_TARGET, d->target);
	rc |= record_set(r, REC_SIGNALS, signals);
	rc |= record_set(r, REC_RULE, d->rule->name);
	rc |= record_set(r, REC_ACTION, action_name(d->action));
	rc |= record_set(r, REC_OUTCOME, decide_fate_name(d->fate));
	if (d->reroute_to[0] != '\0')
		rc |= record_set(r, REC_REROUTED_TO, d->reroute_to);
	*out = r;
	return rc == 0 ? 0 : -1;
}

/* Builds every record of the message; -1 on ENOMEM (records built so far stay in j). */
int
act_records_build(struct act_job *j)
{
	struct timespec now;
	char ts[32];
	size_t i;

	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(ts, sizeof(ts), "%lld",
	    (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	if ((j->recs = calloc(j->n * 3 + 2, sizeof(*j->recs))) == NULL)
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
		if (act_notice_due(&j->dec[i]) &&
		    act_notice_record(j, i, ts, &j->recs[j->nrecs++]) != 0)
			return -1;
		if (j->dec[i].rule == NULL || j->dec[i].rule->alert == ALERT_NONE)
			continue;
		if (act_alert_record(j, i, ts, &j->recs[j->nrecs++]) != 0)
			return -1;
	}
	return 0;
}
