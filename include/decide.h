/*
 * decide.h - one decision per (message, recipient) (DESIGN.md 2-4).
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
	bool scope_all;			/* audit.scope: all */
};

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
	bool record;			/* in audit scope: write an audit record */
};

/*
 * Fills out[0 .. m->nrcpts).  Returns 1 when the message touches a
 * protected mailbox (or scope is all): its decisions are to be recorded;
 * else 0, and every decision is accept.
 */
int decide_message(const struct decide_message *m, struct decision *out);

/*
 * What happens to the message: the most severe action among decisions in
 * enforce mode; ACTION_STRIP when every stripped recipient can go and some
 * recipient remains, ACTION_QUARANTINE when strip would leave none.
 */
enum action decide_outcome(const struct decision *d, size_t n);

#endif
