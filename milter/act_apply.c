/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * act_apply.c - the last stage of a message's end (act_job.h): the
 * decisions, already recorded, carried out through the MTA operations of
 * struct act_ops, and the verdict.  A whole-message reply or hold only
 * when every recipient offends (decide_outcome()); otherwise the
 * offending recipients are removed or rerouted and the rest is delivered
 * untouched.  Whatever cannot be carried out tempfails the message: it
 * never goes on as if it had been done.
 */
#include <stdio.h>
#include <string.h>

#include "act_job.h"
#include "ids.h"
#include "log.h"
#include "mark.h"
#include "text.h"

#define ACT_DEFAULT_REPLY \
	"5.7.1 forwarding of protected mail to external domains is not permitted (ref %{id})"
#define ACT_DEFAULT_TEMPFAIL \
	"4.7.1 message held back by mail policy, try again later (ref %{id})"
#define ACT_CORRELATION_TEMPFAIL \
	"4.7.1 message cannot be checked against mail policy now, try again later (ref %{id})"

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
enum act_verdict
act_tempfail(const struct act_ops *ops, const char *why)
{
	char id[IDS_LEN + 1];

	ids_new(id);
	log_warnx("tempfail (ref %s): %s", id, why);
	return act_reply(ops, "451", "4.3.0 mail filter temporarily unavailable (ref %{id})",
	    NULL, id);
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

/* Whether an earlier rerouted recipient already added the same address. */
static bool
act_added_before(const struct act_job *j, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (j->dec[k].fate == FATE_REROUTED &&
		    strcmp(j->dec[k].reroute_to, j->dec[i].reroute_to) == 0)
			return true;
	return false;
}

/*
 * Replaces every rerouted recipient by its reroute_to (each address added
 * once) and marks the message so that a second trip out is not rerouted
 * again (mark.h).  The key comes first: nothing is changed without a mark.
 */
static int
act_reroute(const struct act_job *j, const struct act_ops *ops)
{
	unsigned char key[MARK_KEY_LEN];
	char rcpt[DECIDE_TARGET_MAX + 2], mark[MARK_VALUE_MAX], err[256], q[64];
	size_t i, first = j->n;

	for (i = 0; i < j->n && first == j->n; i++)
		if (j->dec[i].fate == FATE_REROUTED)
			first = i;
	if (first == j->n)
		return 0;
	act_queue_id(j, q, sizeof(q));
	if (ops->addrcpt == NULL ||
	    mark_key(j->cfg->milter.mark_key_file, key, err, sizeof(err)) != 0 ||
	    mark_make(key, evidence_message_id(j->c->ev), j->dec[first].reroute_to,
	    j->ids[first], mark, sizeof(mark)) != 0) {
		log_warnx("%s: cannot mark the rerouted message: %s", q,
		    ops->addrcpt == NULL ? "no addrcpt" : err);
		return -1;
	}
	for (i = first; i < j->n; i++) {
		if (j->dec[i].fate != FATE_REROUTED)
			continue;
		if (ops->delrcpt(ops->ctx, j->c->rcpts[i].raw) != 0)
			return -1;
		snprintf(rcpt, sizeof(rcpt), "<%s>", j->dec[i].reroute_to);
		if (!act_added_before(j, i) && ops->addrcpt(ops->ctx, rcpt) != 0)
			return -1;
		log_info("%s: rerouted id=%s rcpt=%s to=%s", q, j->ids[i],
		    text_clean(err, sizeof(err), j->c->rcpts[i].raw), j->dec[i].reroute_to);
	}
	return ops->addheader(ops->ctx, MARK_HEADER, mark);
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

/*
 * An action recorded as decided could not be carried out: the message must
 * not go on as if it had been (unmarked, unheld, to every recipient), so
 * it is tempfailed; its retry is decided and recorded again.
 */
static enum act_verdict
act_fail_action(const struct act_job *j, const struct act_ops *ops, const char *why)
{
	char q[64];

	act_queue_id(j, q, sizeof(q));
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
enum act_verdict
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
		return act_reply(ops, "451",
		    j->dec[i].rule == NULL && j->rcpts[i].correlation_error ?
		    ACT_CORRELATION_TEMPFAIL : ACT_DEFAULT_TEMPFAIL,
		    j->dec[i].rule != NULL ? j->dec[i].rule->reply : NULL, j->ids[i]);
	case ACTION_QUARANTINE:
		if (act_remove(j, ops) != 0 || act_reroute(j, ops) != 0)
			return act_fail_action(j, ops, "could not remove or reroute a recipient");
		return act_quarantine(j, ops, act_first(j, ACTION_QUARANTINE));
	case ACTION_STRIP:
	case ACTION_REROUTE:
		if (act_remove(j, ops) != 0 || act_reroute(j, ops) != 0)
			return act_fail_action(j, ops, "could not remove or reroute a recipient");
		return VERDICT_ACCEPT;
	case ACTION_FLAG:
	case ACTION_ACCEPT:
		break;
	}
	return VERDICT_ACCEPT;
}
