/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_types.h - the layout of a configuration snapshot (struct cfg and its
 * parts), apart from the functions that load one (include/cfg.h), so the
 * loader's setters (milter/config/) can fill it without depending on the
 * loader that calls them.
 *
 * Each key's default is in its row of the key table
 * (milter/config/cfg_keys.c) and in fwdguard.yaml(5); the comments here say
 * what a field means, and what NULL or 0 stands for where that is not the
 * default.
 */
#ifndef FWDGUARD_CFG_TYPES_H
#define FWDGUARD_CFG_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include "policy.h"
#include "record_fields.h"

enum audit_scope { SCOPE_PROTECTED, SCOPE_ALL };
/* How fwdguard-audit watch follows the directory: RFC 4533 sync, modifyTimestamp polls, or either. */
enum watch_mode { WATCH_AUTO, WATCH_SYNC, WATCH_POLL };

/* Whether the steps before end of message are answered (README.md "Performance"). */
enum no_reply { NO_REPLY_AUTO, NO_REPLY_ALWAYS, NO_REPLY_NEVER, NO_REPLY_CONTENT };

struct cfg_milter {
	char *socket;		/* libmilter form: unix:/path, inet:port@host, ... */
	char *user;		/* "" keeps the current user */
	enum action on_error;	/* only tempfail/accept/reject */
	enum no_reply no_reply;	/* auto: on unix sockets only */
	char *mark_key_file;	/* key of the reroute mark (mark.h); NULL: random per process */
};

struct cfg_log {
	int facility;		/* syslog LOG_* facility */
	int level;		/* syslog LOG_* priority */
};

struct cfg_ldap {
	char *uri;		/* NULL: no directory */
	bool starttls;
	char *bind_dn;
	char *bind_password_file;
	char *base;
	char *mailbox_filter;	/* %s: the address looked up */
	char **forward_attributes;	/* never empty */
	size_t nforward_attributes;
	char **address_attributes;	/* an entry's addresses (smtp: values of
					 * proxyAddresses); never empty */
	size_t naddress_attributes;
	char *protected_filter;
	char *domain_filter;
	double timeout;		/* seconds */
	long cache_ttl;		/* seconds */
	long cache_negative_ttl;	/* seconds */
	enum action on_error;
	/* fwdguard-audit watch (README.md "Watching the directory") */
	enum watch_mode watch_mode;	/* auto: sync when the server offers it */
	long watch_poll_interval;	/* seconds between modifyTimestamp polls */
	long watch_rescan_interval;	/* seconds between full rescans; 0 never */
	char *watch_spool;		/* NULL: <audit.spool>/watch */
	enum alert_level watch_alert;	/* of an external forward set */
};

/*
 * redis.prefix when the file does not set it (the key table's default):
 * spelled once, with the names of the trail under it (record_fields.h).
 */
#define CFG_REDIS_PREFIX	REC_PREFIX_DEFAULT

struct cfg_redis {
	char *address;		/* "host:port" or "unix:/path" */
	char **sentinels;	/* "host:port" */
	size_t nsentinels;
	char *master_name;	/* what the sentinels call the master */
	char *password_file;	/* NULL or "": no AUTH */
	char *prefix;		/* of every key; never NULL in a loaded cfg */
	double timeout;		/* seconds */
	long min_replicas;	/* replicas that must hold a record before the spool
				 * forgets it (WAIT); 0: no waiting */
	double replica_timeout;	/* seconds one WAIT may take */
};

struct cfg_audit {
	enum audit_scope scope;
	char *spool;		/* absolute path */
	long long stream_maxlen;
	long long correlation_ttl;	/* seconds */
	long retention;		/* days the streams keep; 0: forever */
	long anchor_interval;	/* seconds between anchors of the chain head;
				 * 0: never (verify still anchors) */
	enum action correlation_on_error;	/* only accept (recorded unchecked)
					 * or tempfail */
};

enum webhook_format { WEBHOOK_JSON, WEBHOOK_SLACK };

struct cfg_webhook {
	char *url;		/* http:// or https://; NULL: url_file's, or no webhook */
	char *url_file;		/* NULL: url; else the file the relay reads it from */
	enum webhook_format format;
	double timeout;		/* seconds one POST may take */
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
	bool syslog;
	char *mail_to;		/* NULL: no mail */
	char *mail_from;
	char *sendmail;		/* command, run without a shell */
	long dedupe_window;	/* seconds */
	struct cfg_route *routes;	/* in file order; alerts.mail is not one of them */
	size_t nroutes;
	long expiry_notice_days;	/* 0: no reminder before expiry */
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

#endif
