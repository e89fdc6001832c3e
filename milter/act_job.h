/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * act_job.h - internal to the end-of-message code in milter/act*.c; no
 * other file includes it.  act.c drives one message's end (decide, record,
 * act); act_evidence.c gathers the correlation and attached-message
 * evidence before deciding; act_records.c plans the message's correlation
 * record and builds its audit records.  struct act_job is what they share:
 * it lives on act_end_of_message()'s stack and owns every array it points
 * to (act_job_free() in act.c).
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
/* Forwarded ids, In-Reply-To and References, the conversation, the enclosed messages' ids. */
#define ACT_NAMED_MAX	(EVIDENCE_FWDIDS_MAX + EVIDENCE_REFS_MAX + 1 + MIME_IDS_MAX)
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
	const char *named_via[ACT_NAMED_MAX];	/* the header that named each, or "attached" */
	enum leak_role named_role[ACT_NAMED_MAX];	/* how it named each */
	size_t nnamed;
};

/* act.c: the queue id for a log line, cleaned into buf (returned). */
const char *act_queue_id(const struct act_job *j, char *buf, size_t size);

/*
 * act_evidence.c: adds the attached-message and correlation signals to
 * j->rcpts (extra, extra_mailbox, extra_target) and the originals they
 * name to j->orig, from m (act_gather()'s input to decide_message()).
 */
void act_evidence_gather(struct act_job *j, const struct decide_message *m);

/* act_records.c: fills j->corr->mine when the message is to be remembered. */
void act_records_plan_correlation(struct act_job *j);
/* act_records.c: builds every record into j->recs; -1 on ENOMEM (those built stay in j). */
int act_records_build(struct act_job *j);

/* This host's name for the records ("unknown" if it has none); safe from any thread. */
const char *act_records_host(void);

#endif
