/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * act.h - the end of a message: decide for every recipient, make the audit
 * records durable, log one line per decision, then act (reply, quarantine,
 * remove recipients, flag) through the small set of MTA operations in
 * struct act_ops.  An action decided for some recipients removes them and
 * leaves the others' copy untouched (decide_outcome()).
 *
 * The operations are function pointers so the same code runs against
 * libmilter in the daemon and against a recorder in tests.
 */
#ifndef FWDGUARD_ACT_H
#define FWDGUARD_ACT_H

#include "audit.h"
#include "message.h"

/* What the milter answers for the message. */
enum act_verdict { VERDICT_ACCEPT, VERDICT_CONTINUE, VERDICT_REJECT, VERDICT_TEMPFAIL };

struct act_ops {
	void *ctx;
	int (*setreply)(void *ctx, const char *rcode, const char *xcode, const char *text);
	int (*quarantine)(void *ctx, const char *reason);
	int (*delrcpt)(void *ctx, const char *rcpt);
	int (*addheader)(void *ctx, const char *name, const char *value);
	int (*addrcpt)(void *ctx, const char *rcpt);	/* NULL: rerouting fails */
};

/* Process-wide audit trail the records go to (set once by main). */
void act_set_audit(struct audit *a);

/* Decide and act on the message in c; the caller then resets the message. */
enum act_verdict act_end_of_message(struct conn *c, const struct act_ops *ops);

/* The verdict for an internal error, from milter.on_error. */
enum act_verdict act_on_error(const struct cfg *cfg, const struct act_ops *ops, const char *why);

#endif
