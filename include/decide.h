/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * decide.h - one decision per (message, recipient) (README.md "Configuration").
 *
 * The milter callbacks gather facts into a struct decide_message, call
 * decide_message(), then act on the result.  Pure code: same input, same
 * decisions.
 */
#ifndef FWDGUARD_DECIDE_H
#define FWDGUARD_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "policy.h"
#include "evidence.h"

#define DECIDE_TARGET_MAX	(ADDRESS_CANONICAL_MAX + 1)
#define DECIDE_REASON_MAX	200

struct decide_rcpt {
	const char *raw;		/* as the client wrote it */
	struct address addr;		/* parsed raw */
	enum address_status status;	/* of address_parse(raw) */
	const char *orcpt;		/* ORCPT= value, or NULL */
	const char *mailer;		/* {rcpt_mailer}, or NULL */
	const char *host;		/* {rcpt_host}, or NULL */
	signal_set extra;		/* signals found outside the message (directory) */
	const char *extra_mailbox;	/* protected mailbox those concern, or NULL */
	const char *extra_target;	/* forward target they name, or NULL */
	bool extra_is_rcpt;		/* extra_mailbox is this recipient's own (directory) */
	bool directory_error;		/* protected, and the directory could not answer */
	bool correlation_error;		/* the correlation store could not answer for
					 * the ids the message names: an outside
					 * recipient of mail leaving, or any recipient
					 * of an automatic answer from outside */
	signal_set own_party;		/* not raised: the message they name is this
					 * recipient's own (leak_attached_message()) */
};

struct decide_message {
	const struct policy *policy;
	const struct evidence *ev;
	struct address sender;		/* envelope sender, parsed */
	enum address_status sender_status;
	const struct decide_rcpt *rcpts;
	size_t nrcpts;
	time_t now;
	enum action on_error;		/* for recipients that cannot be classified */
	enum action directory_on_error;	/* ldap.on_error, for directory_error recipients */
	enum action correlation_on_error;	/* audit.correlation_on_error (accept or
					 * tempfail), for correlation_error recipients */
	bool scope_all;			/* audit.scope: all */
	bool rerouted;			/* the message carries a reroute mark fwdguard
					 * made and verified (milter/mark.c): it was
					 * rerouted once and is being sent out again */
};

/* What becomes of one recipient's copy (the audit field "outcome"). */
enum decide_fate {
	FATE_DELIVERED,		/* delivered (flagged or not) */
	FATE_REMOVED,		/* removed from the message; the others are delivered */
	FATE_REROUTED,		/* replaced by the decision's reroute_to */
	FATE_HELD,		/* the whole message is held (quarantine) */
	FATE_TEMPFAILED,	/* the whole message is tempfailed */
	FATE_REJECTED		/* the whole message is rejected */
};

const char *decide_fate_name(enum decide_fate f);

struct decision {
	signal_set signals;
	const char *mailbox;		/* protected mailbox concerned, or NULL; borrowed */
	char mailbox_address[DECIDE_TARGET_MAX];	/* the recipient's address when it
					 * names the mailbox (an alias, an extension); "" else */
	bool sender_protected;
	enum destination destination;
	enum direction direction;
	const struct policy_rule *rule;	/* NULL: no rule matched (or unclassifiable) */
	enum action action;		/* as decided, whatever the mode */
	enum mode mode;			/* monitor: recorded, not applied */
	const struct policy_allow *allow;	/* when destination is allowed */
	char target[DECIDE_TARGET_MAX];	/* forward target or recipient domain */
	char reason[DECIDE_REASON_MAX];
	char reroute_to[DECIDE_TARGET_MAX];	/* action reroute: the address that
					 * replaces the recipient; "" else */
	bool record;			/* in audit scope: write an audit record */
	/*
	 * The action can only be applied to the message as a whole: it comes
	 * from a failure (milter.on_error, ldap.on_error), where a retry or
	 * the sender must learn of it, or removing the recipient would also
	 * remove its own mailbox's copy (a directory forward: the MTA
	 * expands the recipient after fwdguard, and removing it removes its
	 * expansions with it).
	 */
	bool whole;
	enum decide_fate fate;		/* set by decide_outcome() */
};

/*
 * Fills out[0 .. m->nrcpts).  Returns 1 when the message touches a
 * protected mailbox, or a recipient has body-unexamined (among its extra
 * signals) or a correlation_error, or scope is all: its decisions are to
 * be recorded;
 * else 0, and every decision is accept.
 */
int decide_message(const struct decide_message *m, struct decision *out);

/*
 * What happens to the message, and to each recipient (d[i].fate).
 * A recipient offends when its decision is enforced with strip,
 * quarantine, tempfail or reject.  An action never harms the recipients
 * that do not offend: while one remains, every offending recipient is
 * removed and ACTION_STRIP is returned (ACTION_FLAG or ACTION_ACCEPT when
 * none offends).  When every recipient offends, the message gets the most
 * severe action, ACTION_QUARANTINE for a message every recipient of which
 * is stripped.  A whole decision beside recipients that do not offend
 * gives the message the most severe whole action; with ACTION_QUARANTINE
 * the other offending recipients are removed first (FATE_REMOVED), so
 * releasing the message delivers none of them.  Monitor-mode decisions
 * are recorded, never applied.
 * An enforced reroute never offends: its copy is delivered, to reroute_to
 * instead (FATE_REROUTED), so it counts as a recipient that remains, and
 * ACTION_REROUTE is returned when nothing more severe applies.  A held
 * message has its reroutes done too, so releasing it never reaches the
 * outside address.
 */
enum action decide_outcome(struct decision *d, size_t n);

#endif
