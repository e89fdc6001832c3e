/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * act_job.h - internal to the end-of-message code in milter/act*.c; no
 * other file includes it.  One message's end is a pipeline whose data only
 * flows down, one file a stage, driven by act_end.c:
 *
 *   act_gather.c   the facts: the envelope parsed, each recipient's
 *                  directory facts, the reroute mark, and every answer the
 *                  correlation store gives (struct act_corr), each asked
 *                  once, before anything is judged;
 *   act_decide.c   the leak evidence leak.h reads in those facts, then
 *                  decide_message() and decide_outcome(): policy/ only;
 *   act_records.c  the message's own correlation record and its audit
 *                  records (act_end.c makes them durable in one commit);
 *   act_apply.c    the verdict, through the MTA operations (act_ops).
 *
 * struct act_job is what they share: it lives on act_end_of_message()'s
 * stack and owns every array it points to (act_job_free() in act_end.c).
 */
#ifndef FWDGUARD_ACT_JOB_H
#define FWDGUARD_ACT_JOB_H

#include "act.h"
#include "correlate.h"
#include "decide.h"
#include "ids.h"
#include "record.h"

/* What one message's end needs, kept together so helpers stay small. */
struct act_job {
	struct conn *c;
	const struct cfg *cfg;
	struct decide_message m;	/* gathered: the pure decision's input */
	struct decide_rcpt *rcpts;	/* m.rcpts: gathered, then the evidence added */
	char (*targets)[DECIDE_TARGET_MAX];	/* gathered: directory forward targets */
	struct act_corr *corr;		/* gathered: the correlation store's answers */
	struct decision *dec;		/* decided */
	enum action outcome;		/* decide_outcome() of dec, once decided */
	const struct correlate_entry **orig;	/* decided: the original each one's signals name */
	char (*ids)[IDS_LEN + 1];
	size_t n;
	struct record **recs;
	size_t nrecs;
};

#define ACT_REFS_MAX	(EVIDENCE_REFS_MAX + MIME_IDS_MAX)
/* Forwarded ids, In-Reply-To and References, the conversation, the enclosed messages' ids. */
#define ACT_NAMED_MAX	(EVIDENCE_FWDIDS_MAX + EVIDENCE_REFS_MAX + 1 + MIME_IDS_MAX)
/* One batch asks for every id named and the message's own. */
_Static_assert(ACT_NAMED_MAX + 1 <= CORRELATE_BATCH_MAX, "one batch holds every id named");
_Static_assert(ACT_REFS_MAX <= CORRELATE_BATCH_MAX, "one batch holds every id answered");

/*
 * What the correlation store said about this message.  "Unanswered" is
 * try again: the store could not say, which is never "not found".
 */
struct act_corr {
	bool own_found;				/* own holds its own Message-ID's record */
	bool own_unanswered;
	struct correlate_entry own;
	/* The messages it names, found; one slot more for the own id's answer in the batch. */
	struct correlate_entry named[ACT_NAMED_MAX + 1];
	const char *named_via[ACT_NAMED_MAX];	/* the header that named each, or "attached" */
	enum leak_role named_role[ACT_NAMED_MAX];	/* how it named each */
	size_t nnamed;
	bool named_unanswered;
	char answer_domain[DOMAIN_MAX + 1];	/* who answers, for inbound leak evidence */
	struct correlate_entry refs[ACT_REFS_MAX];	/* the ids it answers, found */
	size_t nrefs;
	bool refs_unanswered;			/* an automatic answer from outside, not checked */
	struct correlate_entry mine;		/* the record this message writes */
	bool write;
};

/* A recipient whose mail leaves: readable, and some hop is not internal. */
static inline bool
act_rcpt_external(const struct policy *p, const struct decide_rcpt *r)
{
	return r->status == ADDRESS_OK && r->addr.nhops > 0 && policy_is_internal(p, &r->addr) == 0;
}

/* act_end.c: the queue id for a log line, cleaned into buf (returned). */
const char *act_queue_id(const struct act_job *j, char *buf, size_t size);

/* act_gather.c: fills j->m, j->rcpts, j->targets and j->corr from j->c and env. */
void act_gather(struct act_job *j, const struct act_env *env);

/*
 * act_decide.c: adds the leak evidence to j->rcpts (extra, extra_mailbox,
 * extra_target, correlation_error) and the originals it names to j->orig,
 * then decides into j->dec and j->outcome.  decide_message()'s answer: 0
 * when nothing is to be recorded (every decision is accept).
 */
int act_decide(struct act_job *j);

/* act_records.c: fills j->corr->mine when the message is to be remembered. */
void act_records_plan_correlation(struct act_job *j);
/* act_records.c: builds every record into j->recs; -1 on ENOMEM (those built stay in j). */
int act_records_build(struct act_job *j);

/* This host's name for the records ("unknown" if it has none); safe from any thread. */
const char *act_records_host(void);

/* act_apply.c: carries the decisions out through ops; the verdict. */
enum act_verdict act_apply(const struct act_job *j, const struct act_ops *ops);
/* act_apply.c: a 4xx for a reason the sender cannot fix, logged with why. */
enum act_verdict act_tempfail(const struct act_ops *ops, const char *why);

#endif
