/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg.h - the YAML configuration (README.md "Configuration") as an immutable, refcounted
 * snapshot.
 *
 * cfg_load() reads and validates a whole file against one table of keys and
 * reports *every* error as "file:line:column: message" (1-based) through the
 * error callback before failing.  A loaded cfg is never modified: reload
 * builds a new one and swaps it in (cfg_current_set); each milter
 * connection holds a reference to the snapshot it started with.
 */
#ifndef FWDGUARD_CFG_H
#define FWDGUARD_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include "policy.h"

#define CFG_DEFAULT_PATH	"/etc/fwdguard/fwdguard.yaml"
#define CFG_MAX_BYTES		(1024 * 1024)	/* larger files are refused */
#define CFG_MAX_DEPTH		16		/* deeper nesting is refused */

enum audit_scope { SCOPE_PROTECTED, SCOPE_ALL };
/* How fwdguard-audit watch follows the directory: RFC 4533 sync, modifyTimestamp polls, or either. */
enum watch_mode { WATCH_AUTO, WATCH_SYNC, WATCH_POLL };

/* Whether the steps before end of message are answered (README.md "Performance"). */
enum no_reply { NO_REPLY_AUTO, NO_REPLY_ALWAYS, NO_REPLY_NEVER };

struct cfg_milter {
	char *socket;		/* default "unix:/var/spool/postfix/fwdguard/fwdguard.sock" */
	char *user;		/* default "fwdguard"; "" keeps the current user */
	enum action on_error;	/* default tempfail; only tempfail/accept/reject */
	enum no_reply no_reply;	/* default auto: unix sockets only */
	char *mark_key_file;	/* key of the reroute mark (mark.h); NULL: random per process */
};

struct cfg_log {
	int facility;		/* syslog LOG_* facility, default LOG_MAIL */
	int level;		/* syslog LOG_* priority, default LOG_INFO */
};

struct cfg_ldap {
	char *uri;		/* NULL: no directory */
	bool starttls;
	char *bind_dn;
	char *bind_password_file;
	char *base;
	char *mailbox_filter;	/* default "(|(mail=%s)(mailAlternateAddress=%s))" */
	char **forward_attributes;	/* default mailForwardingAddress, mailRoutingAddress */
	size_t nforward_attributes;
	char **address_attributes;	/* an entry's addresses; default mail, mailLocalAddress,
					 * mailAlternateAddress, proxyAddresses (smtp: values) */
	size_t naddress_attributes;
	char *protected_filter;
	char *domain_filter;
	double timeout;		/* seconds, default 2 */
	long cache_ttl;		/* default 300 */
	long cache_negative_ttl;	/* default 60 */
	enum action on_error;	/* default tempfail */
	/* fwdguard-audit watch (README.md "Watching the directory") */
	enum watch_mode watch_mode;	/* default auto: sync when the server offers it */
	long watch_poll_interval;	/* seconds between modifyTimestamp polls, default 60 */
	long watch_rescan_interval;	/* seconds between full rescans, default 3600; 0 never */
	char *watch_spool;		/* NULL: <audit.spool>/watch */
	enum alert_level watch_alert;	/* an external forward set: default critical */
};

struct cfg_redis {
	char *address;		/* "host:port" or "unix:/path", default "127.0.0.1:6379" */
	char **sentinels;	/* "host:port" */
	size_t nsentinels;
	char *master_name;	/* default "fwdguard" */
	char *password_file;	/* NULL or "": no AUTH */
	char *prefix;		/* default "fwdguard:" */
	double timeout;		/* seconds, default 1 */
	long min_replicas;	/* replicas that must hold a record before the spool
				 * forgets it (WAIT); default 0: no waiting */
	double replica_timeout;	/* seconds one WAIT may take, default 0.5 */
};

struct cfg_audit {
	enum audit_scope scope;	/* default protected */
	char *spool;		/* default "/var/spool/fwdguard" */
	long long stream_maxlen;	/* default 10000000 */
	long long correlation_ttl;	/* seconds, default 2592000 */
	long retention;		/* days the streams keep; 0 (default): forever */
	long anchor_interval;	/* seconds between anchors of the chain head; default
				 * 3600, 0: never (verify still anchors) */
	enum action correlation_on_error;	/* default accept (recorded unchecked);
					 * only accept/tempfail */
};

enum webhook_format { WEBHOOK_JSON, WEBHOOK_SLACK };

struct cfg_webhook {
	char *url;		/* NULL: no webhook; http:// or https:// */
	enum webhook_format format;	/* default json */
	double timeout;		/* seconds one POST may take, default 5 */
	char *headers_file;	/* NULL: none; "Name: value" lines sent with each POST */
};

/* One of alerts.routes (README.md "Alert routing"). */
struct cfg_route {
	char *name;
	char **mailboxes;	/* canonical addresses and "group:<DN>"; none: any mailbox */
	size_t nmailboxes;
	unsigned levels;	/* bits 1 << enum alert_level; 0: any level */
	char **rules;		/* rule names; none: any rule */
	size_t nrules;
	char **mail_to;		/* none: no mail */
	size_t nmail_to;
	struct cfg_webhook webhook;
};

#define CFG_ROUTE_GROUP		"group:"	/* mailboxes item naming an LDAP group */

struct cfg_alerts {
	bool syslog;		/* default true */
	char *mail_to;		/* NULL: no mail */
	char *mail_from;
	char *sendmail;		/* default "/usr/sbin/sendmail" */
	long dedupe_window;	/* seconds, default 3600 */
	struct cfg_route *routes;	/* in file order; alerts.mail is not one of them */
	size_t nroutes;
	long expiry_notice_days;	/* default 14; 0: no reminder before expiry */
	char *notice_contact;	/* whom a mailbox's notice says to ask; NULL: mail_to */
	char *notice_from;	/* the notice's sender; NULL: mail_from */
};

struct cfg_metrics {
	char *listen;		/* "IPv4:port" or "[IPv6]:port" of GET /metrics; NULL: none */
};

struct cfg {
	char *path;		/* the file it was loaded from */
	char digest[65];	/* hex SHA-256 of the file's bytes: "policy" in audit records */
	struct cfg_milter milter;
	struct cfg_log log;
	struct policy policy;	/* mode, domains, mailboxes, allow, rules */
	struct cfg_ldap ldap;
	struct cfg_redis redis;
	struct cfg_audit audit;
	char *probes_from;
	struct cfg_alerts alerts;
	struct cfg_metrics metrics;
};

/* Receives one formatted error line, without a trailing newline. */
typedef void (*cfg_error_fn)(void *ctx, const char *line);

/*
 * Loads and validates path.  Returns a snapshot with one reference, or NULL
 * after reporting every error found through err (which may be NULL).
 */
struct cfg *cfg_load(const char *path, cfg_error_fn err, void *ctx);

/* Same, from a buffer; name is used in error lines. For tests. */
struct cfg *cfg_load_buffer(const char *name, const char *buf, size_t len,
    cfg_error_fn err, void *ctx);

/*
 * Same, and what the file names on this host must exist: secret files,
 * milter.user, the alert sendmail command (milter/config/cfg_host.c).  For
 * "fwdguard -n", the daemon's start and its reloads.
 */
struct cfg *cfg_load_host(const char *path, cfg_error_fn err, void *ctx);
struct cfg *cfg_load_buffer_host(const char *name, const char *buf, size_t len,
    cfg_error_fn err, void *ctx);

struct cfg *cfg_ref(struct cfg *c);	/* returns c; thread-safe */
void cfg_unref(struct cfg *c);		/* frees on the last reference; accepts NULL */

/*
 * The process-wide current snapshot.  cfg_current() returns a new reference
 * (release it with cfg_unref), or NULL before the first cfg_current_set().
 * cfg_current_set() takes over the caller's reference to c and drops the old.
 */
struct cfg *cfg_current(void);
void cfg_current_set(struct cfg *c);

#endif
