/*
 * act.c - end of message: decide, record durably, log, then act.
 *
 * Order matters: the records reach stable storage (audit_commit) before
 * any verdict is returned, so no message is accepted, rejected or held
 * without its trail.  When the records cannot be made durable the message
 * gets milter.on_error (tempfail by default), never a silent accept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "act.h"
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
	char (*ids)[IDS_LEN + 1];
	char (*targets)[DECIDE_TARGET_MAX];	/* directory forward targets */
	size_t n;
	struct record **recs;
	size_t nrecs;
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
	rc |= record_set(r, "client", c->client_addr);
	rc |= record_set(r, "auth", c->auth);
	rc |= record_set(r, "policy", j->cfg->digest);
	rc |= record_set(r, "sender_protected", d->sender_protected ? "yes" : "no");
	rc |= record_set(r, "daemon", c->daemon_name);
	if (d->destination == DEST_ALLOWED && d->allow != NULL) {
		rc |= record_set(r, "allow_reason", d->allow->reason);
		rc |= record_set(r, "allow_owner", d->allow->owner);
		rc |= record_set(r, "allow_expires", d->allow->expires);
	}
	*out = r;
	return rc == 0 ? 0 : -1;
}

static int
act_alert_record(struct act_job *j, size_t i, const char *ts, struct record **out)
{
	const struct decision *d = &j->dec[i];
	struct record *r;
	char id[IDS_LEN + 1], summary[600], signals[512], rcpt[MESSAGE_FIELD_MAX + 2];
	int rc = 0;

	ids_new(id);
	signal_set_format(d->signals, signals, sizeof(signals));
	snprintf(summary, sizeof(summary), "%s mail %s to %s: %s%s (rule %s)",
	    d->mailbox != NULL ? d->mailbox : "protected",
	    d->destination == DEST_ALLOWED ? "going" : "forwarded", d->target,
	    action_name(d->action), d->mode == MODE_MONITOR ? " in monitor mode" : "",
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
	rc |= record_set(r, "recipient", act_envelope(rcpt, sizeof(rcpt), j->c->rcpts[i].raw));
	rc |= record_set(r, "target", d->target);
	rc |= record_set(r, "destination", destination_name(d->destination));
	rc |= record_set(r, "signals", signals);
	rc |= record_set(r, "rule", d->rule->name);
	rc |= record_set(r, "action", action_name(d->action));
	rc |= record_set(r, "mode", mode_name(d->mode));
	rc |= record_set(r, "summary", summary);
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
	if ((j->recs = calloc(j->n * 2, sizeof(*j->recs))) == NULL)
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

	act_clean(q, sizeof(q), j->c->queue_id[0] != '\0' ? j->c->queue_id : "NOQUEUE");
	for (i = 0; i < j->n; i++) {
		const struct decision *d = &j->dec[i];

		if (!d->record)
			continue;
		signal_set_format(d->signals, signals, sizeof(signals));
		log_info("%s: decision id=%s rcpt=%s mailbox=%s destination=%s target=%s "
		    "signals=%s rule=%s action=%s mode=%s",
		    q, j->ids[i], act_clean(rcpt, sizeof(rcpt), j->c->rcpts[i].raw),
		    d->mailbox != NULL ? d->mailbox : "-", destination_name(d->destination),
		    d->target[0] != '\0' ? d->target : "-", signals[0] != '\0' ? signals : "-",
		    d->rule != NULL ? d->rule->name : "-", action_name(d->action),
		    mode_name(d->mode));
		if (d->rule != NULL && d->rule->alert != ALERT_NONE && j->cfg->alerts.syslog)
			log_warnx("%s: ALERT %s: %s mail to %s, rule %s, action %s%s (id %s)",
			    q, alert_level_name(d->rule->alert),
			    d->mailbox != NULL ? d->mailbox : "protected", d->target,
			    d->rule->name, action_name(d->action),
			    d->mode == MODE_MONITOR ? " (monitor)" : "", j->ids[i]);
	}
}

/* The first enforced decision with this action (the one the reply names). */
static size_t
act_first(const struct act_job *j, enum action a)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		if (j->dec[i].mode == MODE_ENFORCE && j->dec[i].action == a)
			return i;
	return 0;
}

static void
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
			log_warnx("%s: could not add X-Fwdguard header", j->c->queue_id);
	}
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
		return act_on_error(j->cfg, ops, "could not quarantine the message");
	return VERDICT_ACCEPT;
}

static enum act_verdict
act_apply(const struct act_job *j, const struct act_ops *ops)
{
	enum action outcome = decide_outcome(j->dec, j->n);
	size_t i;

	act_flag_headers(j, ops);
	switch (outcome) {
	case ACTION_REJECT:
		i = act_first(j, ACTION_REJECT);
		return act_reply(ops, "550", ACT_DEFAULT_REPLY,
		    j->dec[i].rule != NULL ? j->dec[i].rule->reply : NULL, j->ids[i]);
	case ACTION_TEMPFAIL:
		i = act_first(j, ACTION_TEMPFAIL);
		return act_reply(ops, "451", ACT_DEFAULT_TEMPFAIL,
		    j->dec[i].rule != NULL ? j->dec[i].rule->reply : NULL, j->ids[i]);
	case ACTION_QUARANTINE:
		i = act_first(j, ACTION_QUARANTINE);
		if (j->dec[i].action != ACTION_QUARANTINE)
			i = act_first(j, ACTION_STRIP);	/* strip that would leave no one */
		return act_quarantine(j, ops, i);
	case ACTION_STRIP:
		for (i = 0; i < j->n; i++)
			if (j->dec[i].mode == MODE_ENFORCE && j->dec[i].action == ACTION_STRIP &&
			    ops->delrcpt(ops->ctx, j->c->rcpts[i].raw) != 0)
				return act_on_error(j->cfg, ops, "could not remove a recipient");
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
	if (j.rcpts == NULL || j.dec == NULL || j.ids == NULL || j.targets == NULL) {
		act_job_free(&j);
		return act_on_error(j.cfg, ops, "out of memory");
	}
	act_gather(&j, &m);
	if (decide_message(&m, j.dec) == 0) {
		act_job_free(&j);
		return VERDICT_ACCEPT;
	}
	for (i = 0; i < j.n; i++)
		ids_new(j.ids[i]);
	if (act_build_records(&j) != 0) {
		act_job_free(&j);
		return act_on_error(j.cfg, ops, "out of memory building audit records");
	}
	if (act_audit == NULL || audit_commit(act_audit, j.recs, j.nrecs) != 0) {
		log_warn("%s: audit records could not be made durable", c->queue_id);
		act_job_free(&j);
		return act_on_error(j.cfg, ops, "audit spool unavailable");
	}
	act_log(&j);
	v = act_apply(&j, ops);
	act_job_free(&j);
	return v;
}
