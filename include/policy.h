/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * policy.h - what the administrator decided, in a form the pure decision
 * code can read (README.md "Configuration"), and the functions that classify
 * addresses and pick a rule.
 *
 * A struct policy is built by the config loader (milter/config/cfg.c), which owns
 * every string and array in it; the policy functions only read it.  Once
 * published it is immutable, so many threads may share it.
 */
#ifndef FWDGUARD_POLICY_H
#define FWDGUARD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "signals.h"
#include "address.h"

/* Ordered by severity: the message's outcome is the most severe decision. */
enum action {
	ACTION_ACCEPT,
	ACTION_FLAG,
	ACTION_REROUTE,		/* the recipient is replaced by the rule's reroute_to */
	ACTION_STRIP,
	ACTION_QUARANTINE,
	ACTION_TEMPFAIL,
	ACTION_REJECT
};

enum mode { MODE_ENFORCE, MODE_MONITOR };
enum alert_level { ALERT_NONE, ALERT_INFO, ALERT_WARNING, ALERT_CRITICAL };
enum destination { DEST_INTERNAL, DEST_EXTERNAL, DEST_ALLOWED };
enum direction { DIR_INBOUND, DIR_OUTBOUND, DIR_INTERNAL };
/* Who a refusal would bounce to: the envelope sender's kind (README.md "Rerouting"). */
enum sender_kind { SENDER_PROTECTED, SENDER_INTERNAL, SENDER_EXTERNAL };

/* Bit masks over enum destination / enum direction, for rule matches. */
#define DEST_BIT(d)	(1u << (d))
#define DIR_BIT(d)	(1u << (d))
#define SENDER_BIT(s)	(1u << (s))

/* Stable names ("reject", "monitor", "critical", "allowed", "inbound"). */
const char *action_name(enum action a);
const char *mode_name(enum mode m);
const char *alert_level_name(enum alert_level l);
const char *destination_name(enum destination d);
const char *direction_name(enum direction d);
const char *sender_kind_name(enum sender_kind s);
/* Reverse lookups: 0 and *out set, or -1 for an unknown name. */
int action_lookup(const char *name, enum action *out);
int mode_lookup(const char *name, enum mode *out);
int alert_level_lookup(const char *name, enum alert_level *out);
int destination_lookup(const char *name, enum destination *out);
int direction_lookup(const char *name, enum direction *out);
int sender_kind_lookup(const char *name, enum sender_kind *out);

/* An approved external destination (README.md "Configuration", allow). */
struct policy_allow {
	char *destination;	/* normalized: "domain", "*.domain" or "local@domain" (canonical) */
	char **mailboxes;	/* canonical protected mailboxes; nmailboxes 0: all of them */
	size_t nmailboxes;
	char *reason;
	char *owner;
	char *expires;		/* "YYYY-MM-DD" as written, or NULL */
	time_t expires_at;	/* first second after that day, UTC; 0 never */
};

struct policy_rule {
	char *name;
	signal_set signals;	/* match when any of these is present; 0: no signal needed */
	unsigned destinations;	/* DEST_BIT mask; 0: any destination */
	unsigned directions;	/* DIR_BIT mask; 0: any direction */
	unsigned senders;	/* SENDER_BIT mask; 0: any envelope sender */
	enum action action;
	int mode;		/* enum mode, or -1 to follow the global mode */
	char *reply;		/* reply text with %{id}, or NULL for the default */
	enum alert_level alert;
	char *reroute_to;	/* canonical internal address, or NULL: the mailbox tagged */
	bool notify_mailbox;	/* the protected mailbox is told when its mail is stopped */
	char *notify_routes;	/* "hr,legal": routes of alerts.routes that get this rule's
				 * alerts whatever their match says; NULL: none */
};

struct policy {
	struct domain_list *internal;
	char **protected;	/* canonical addresses ("support@corp.example") */
	size_t nprotected;
	char delimiters[16];	/* recipient_delimiter characters; "" none */
	struct policy_allow *allow;
	size_t nallow;
	struct policy_rule *rules;
	size_t nrules;
	enum mode mode;
	/*
	 * Optional: protected mailboxes known elsewhere (the directory,
	 * milter/directory/directory.c), asked after the list above.  Returns the
	 * canonical name, valid for the life of the process, or NULL.  Must
	 * not block.  NULL hook: the list alone.
	 */
	const char *(*protected_hook)(void *ctx, const char *canonical);
	void *protected_ctx;
	/*
	 * Optional: whether a whole canonical address is a recipient of its
	 * own (the directory has an entry for it): 1 yes, 0 no or unknown.
	 * Must not block.  When it says 1, the address without its extension
	 * does not name a protected mailbox (policy_protected).
	 */
	int (*known_hook)(void *ctx, const char *canonical);
	void *known_ctx;
	/*
	 * Optional: internal domains known elsewhere (the directory's
	 * ldap.domain_filter), asked after the internal list above with a
	 * normalized domain.  Returns 1 when internal, else 0.  Must not
	 * block.  NULL hook: the list alone.
	 */
	int (*internal_hook)(void *ctx, const char *domain);
	void *internal_ctx;
};

/*
 * The canonical protected mailbox an address names, or NULL.  Borrowed from
 * the policy.  Routed addresses (nhops > 1) never name a protected mailbox.
 * The whole address is tried first; the address without its recipient
 * delimiter extension only when it is internal and the whole address is
 * no recipient of its own (known_hook): README.md "Recipient delimiters".
 */
const char *policy_protected(const struct policy *p, const struct address *a);

/* Same, for one canonical address string ("support@corp.example"), as it is. */
const char *policy_protected_canonical(const struct policy *p, const char *canonical);

/* 1 when the normalized domain is internal: the internal list, then internal_hook. */
int policy_domain_internal(const struct policy *p, const char *domain);

/* 1 when every hop of the address is an internal domain (or it is unqualified). */
int policy_is_internal(const struct policy *p, const struct address *a);

/*
 * Destination of a recipient: internal, external, or allowed when external
 * and an allow entry covers it for mailbox (NULL: no protected mailbox
 * involved, so only entries without a mailbox list apply) and has not
 * expired at now.  *allow (may be NULL) receives the entry used.
 * *target receives the normalized domain that made it external (the first
 * external hop), or the last hop when internal; borrowed from a.
 */
enum destination policy_destination(const struct policy *p, const struct address *a,
    const char *mailbox, time_t now, const struct policy_allow **allow, const char **target);

/*
 * Cross-check with the MTA's own routing of the recipient ({rcpt_mailer},
 * {rcpt_host}; either may be NULL).  Returns the safer of the two answers:
 * an internal classification becomes external when the MTA routes the
 * recipient to an external host by a network mailer.  "error" mailers and
 * bracketed relay hosts carry no information and change nothing.
 */
enum destination policy_crosscheck(const struct policy *p, enum destination dest,
    const char *mailer, const char *host);

/* The first rule that matches, or NULL.  Rules with a sender condition never match. */
const struct policy_rule *policy_match(const struct policy *p, signal_set signals,
    enum destination dest, enum direction dir);

/* The same, knowing the envelope sender's kind. */
const struct policy_rule *policy_match_sender(const struct policy *p, signal_set signals,
    enum destination dest, enum direction dir, enum sender_kind sender);

/*
 * Where a reroute decision of rule r sends the copy meant for the outside:
 * the rule's reroute_to, else the protected mailbox tagged with the first
 * recipient delimiter ("support+fwdguard@corp.example"), else the mailbox
 * itself.  0 and buf filled, or -1 when there is none (no reroute_to and
 * no mailbox) or it does not fit.
 */
int policy_reroute_to(const struct policy *p, const struct policy_rule *r, const char *mailbox,
    char *buf, size_t size);

/* The mode in force for a rule (its own, else the global one). */
enum mode policy_rule_mode(const struct policy *p, const struct policy_rule *r);

#endif
