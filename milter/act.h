/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * act.h - the end of a message: decide for every recipient, make the audit
 * records durable, log one line per decision, then act (reply, quarantine,
 * remove recipients, flag) through the small set of MTA operations in
 * struct act_ops.  An action decided for some recipients removes them and
 * leaves the others' copy untouched (decide_outcome()).
 *
 * The operations are function pointers so the same code runs against
 * libmilter in the daemon and against a recorder in tests; the services
 * it reads and writes come in one struct act_env for the same reason.
 */
#ifndef FWDGUARD_ACT_H
#define FWDGUARD_ACT_H

#include "audit.h"
#include "message.h"

struct correlate;

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

/*
 * The process-wide services the end of a message uses, built once by its
 * caller (main through callbacks_set_env(), or a test).  All borrowed:
 * each outlives every message decided with it.
 */
struct act_env {
	struct audit *audit;	/* the trail; NULL: whatever is to be recorded is tempfailed */
	struct directory *dir;	/* each recipient's forwards and protection; NULL: none */
	struct correlate *corr;	/* what the message names; NULL: no correlation evidence */
};

/* Decide and act on the message in c; the caller then resets the message. */
enum act_verdict act_end_of_message(const struct act_env *env, struct conn *c,
    const struct act_ops *ops);

/* The verdict for an internal error, from milter.on_error. */
enum act_verdict act_on_error(const struct cfg *cfg, const struct act_ops *ops, const char *why);

#endif
