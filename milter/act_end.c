/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * act_end.c - end of message, the driver of the pipeline in act_job.h:
 * gather the facts (act_gather.c), decide once (act_decide.c), record
 * durably (act_records.c builds, act_record() here commits), log, then
 * apply (act_apply.c).  Nothing flows back up: no stage asks the world
 * anything after the decision, and the MTA is touched only at the end.
 *
 * Order matters: the records reach stable storage (audit_commit) before
 * any verdict is returned, so no message is accepted, rejected or held
 * without its trail.  When the records cannot be made durable the message
 * is tempfailed, whatever milter.on_error says: never a silent accept.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "act_job.h"
#include "correlate.h"
#include "ids.h"
#include "log.h"
#include "metrics_daemon.h"
#include "record.h"
#include "text.h"

const char *
act_queue_id(const struct act_job *j, char *buf, size_t size)
{
	return text_clean(buf, size, j->c->queue_id[0] != '\0' ? j->c->queue_id : "NOQUEUE");
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
		    q, j->ids[i], text_clean(rcpt, sizeof(rcpt), j->c->rcpts[i].raw),
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

/*
 * The correlation answers, zeroed but for the entry arrays: they are 130 KB
 * (all but a few hundred bytes), clearing them showed in the profile of
 * every message, and only the entries a lookup filled (nnamed, nrefs) are
 * ever read.
 */
static struct act_corr *
act_corr_new(void)
{
	struct act_corr *k = malloc(sizeof(*k));
	char *p = (char *)k;

	if (k == NULL)
		return NULL;
	memset(p, 0, offsetof(struct act_corr, named));
	memset(p + offsetof(struct act_corr, named_via), 0,
	    offsetof(struct act_corr, refs) - offsetof(struct act_corr, named_via));
	memset(p + offsetof(struct act_corr, nrefs), 0, sizeof(*k) - offsetof(struct act_corr, nrefs));
	return k;
}

/* The job's arrays, one slot a recipient; -1 on ENOMEM (free what was got with act_job_free). */
static int
act_job_alloc(struct act_job *j)
{
	j->rcpts = calloc(j->n, sizeof(*j->rcpts));
	j->dec = calloc(j->n, sizeof(*j->dec));
	j->ids = calloc(j->n, sizeof(*j->ids));
	j->targets = calloc(j->n, sizeof(*j->targets));
	j->orig = calloc(j->n, sizeof(*j->orig));
	j->corr = act_corr_new();
	return j->rcpts == NULL || j->dec == NULL || j->ids == NULL || j->targets == NULL ||
	    j->orig == NULL || j->corr == NULL ? -1 : 0;
}

/*
 * Makes the decisions' records durable in one commit, then tells the
 * correlation store what this message wrote (its memory covers the
 * shipper's lag).  -1 when they could not be made durable.
 */
static int
act_record(struct act_job *j, const struct act_env *env)
{
	if (env->audit == NULL || audit_commit(env->audit, j->recs, j->nrecs) != 0) {
		log_warn("%s: audit records could not be made durable", j->c->queue_id);
		return -1;
	}
	if (j->corr->write)
		correlate_remember(env->corr, &j->corr->mine);
	return 0;
}

enum act_verdict
act_end_of_message(const struct act_env *env, struct conn *c, const struct act_ops *ops)
{
	struct act_job j = { .c = c, .cfg = c->cfg, .n = c->nrcpts };
	enum act_verdict v;
	size_t i;

	if (c->rcpts_overflow)
		return act_on_error(j.cfg, ops, "too many recipients to decide on");
	if (j.n == 0)
		return VERDICT_ACCEPT;
	if (act_job_alloc(&j) != 0) {
		act_job_free(&j);
		return act_on_error(j.cfg, ops, "out of memory");
	}
	/* Other messages' commits may wait for this one's to share a sync. */
	audit_expect(env->audit, true);
	act_gather(&j, env);
	if (act_decide(&j) == 0) {
		audit_expect(env->audit, false);
		act_job_free(&j);
		return VERDICT_ACCEPT;
	}
	act_records_plan_correlation(&j);
	for (i = 0; i < j.n; i++)
		ids_new(j.ids[i]);
	if (act_records_build(&j) != 0) {
		audit_expect(env->audit, false);
		act_job_free(&j);
		return act_on_error(j.cfg, ops, "out of memory building audit records");
	}
	if (act_record(&j, env) != 0) {
		act_job_free(&j);
		/* Whatever on_error says: never accept or refuse it unrecorded. */
		return act_tempfail(ops, "audit spool unavailable");
	}
	act_log(&j);
	metrics_daemon_decisions(j.dec, j.n);
	v = act_apply(&j, ops);
	act_job_free(&j);
	return v;
}
