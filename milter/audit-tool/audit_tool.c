/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_tool.c - fwdguard-audit: reads the audit trail in Redis (man
 * fwdguard-audit.1) and ships the local spool on demand.
 *
 *   search   entries of <prefix>audit (or of one mailbox's stream), newest
 *            first, filtered; aligned table or --json lines
 *   report   "who forwards where": per mailbox, kind of mail and
 *            destination, counts, actions, first and last seen, new
 *            destinations; text, --json lines or one --html page
 *   tail     follows new entries (XREAD BLOCK)
 *   breach   one mailbox's mail to one domain: the scope of an incident
 *            (audit_breach.c)
 *   replay   ships the spool to Redis now
 *   alerts   relays <prefix>alerts to syslog and mail (alert_relay.c)
 *   probe    sends canary messages to the protected mailboxes (probe.c)
 *   verify   walks the hash chains of the trail (audit_verify.c)
 *   watch    follows the directory for forwards of protected mailboxes (watch.c)
 *
 * Exit status: 0 done, 1 failure (config, Redis, spool), 2 usage.  Every
 * value read from Redis is data: it is escaped for JSON and stripped of
 * control bytes for the terminal, never used as a format.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "alert_metrics.h"
#include "alert_relay.h"
#include "audit.h"
#include "audit_breach.h"
#include "audit_days.h"
#include "audit_html.h"
#include "audit_query.h"
#include "audit_siem.h"
#include "audit_verify.h"
#include "audit_view.h"
#include "cfg.h"
#include "log.h"
#include "metrics_http.h"
#include "probe.h"
#include "redis_conn.h"
#include "spool.h"
#include "watch.h"

#define EXIT_USAGE	2

static const char usage_text[] =
    "usage: fwdguard-audit [-c FILE] COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  search [--mailbox A] [--sender A] [--recipient A] [--domain D] [--action X]\n"
    "         [--rule R] [--since T] [--until T] [--limit N] [--format F | --json]\n"
    "  report [--mailbox A] [--domain D] [--since T] [--until T] [--json | --html FILE]\n"
    "  report --cache-days   keep every closed day not kept yet (for a timer)\n"
    "  tail   [--mailbox A] [--count N | --since T] [--limit N] [--no-follow]\n"
    "         [--format F | --json]\n"
    "  breach --mailbox A --domain D [--since T] [--until T] [--json]\n"
    "  replay\n"
    "  alerts [--once] [--consumer NAME] [--max-idle MS] [--metrics-listen ADDR:PORT]\n"
    "  probe\n"
    "  verify [--since T] [--host H]\n"
    "  watch  [--once] [--metrics-listen ADDR:PORT]\n"
    "         follow the directory: alert on forwards set on protected entries\n"
    "\n"
    "  -c FILE   configuration (default " CFG_DEFAULT_PATH ")\n"
    "  -h, --help  this text (also after a command)\n"
    "  F         text, json, ecs (Elastic Common Schema) or cef (ArcSight CEF)\n"
    "  T         unix seconds, YYYY-MM-DD[THH:MM:SS] (UTC), or -30m, -1h, -7d\n";

/* What a parser returns after --help: the caller exits 0. */
#define HELP_SHOWN	(-1)

static int usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "fwdguard-audit: %s\n", why);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static int help(void)
{
	fputs(usage_text, stdout);
	return HELP_SHOWN;
}

static void help_verify(void)
{
	help();
}

static void tool_cfg_error(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

enum { OPT_MAILBOX = 256, OPT_SENDER, OPT_RECIPIENT, OPT_DOMAIN, OPT_ACTION, OPT_RULE,
	OPT_SINCE, OPT_UNTIL, OPT_LIMIT, OPT_COUNT, OPT_JSON, OPT_HELP,
	OPT_FORMAT, OPT_HTML, OPT_CACHE_DAYS, OPT_NO_FOLLOW };

static const struct option query_options[] = {
	{ "mailbox", required_argument, NULL, OPT_MAILBOX },
	{ "sender", required_argument, NULL, OPT_SENDER },
	{ "recipient", required_argument, NULL, OPT_RECIPIENT },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "action", required_argument, NULL, OPT_ACTION },
	{ "rule", required_argument, NULL, OPT_RULE },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "cache-days", no_argument, NULL, OPT_CACHE_DAYS },
	{ "no-follow", no_argument, NULL, OPT_NO_FOLLOW },
	{ NULL, 0, NULL, 0 }
};

static bool tool_number(const char *s, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0)
		return false;
	*out = v;
	return true;
}

/*
 * Names the option getopt_long stopped on: opt is what it returned, idx
 * the index it set in options (-1 if none), arg the word it read last.
 */
static int tool_bad_option(const char *cmd, int opt, int idx, const struct option *options,
    const char *arg)
{
	const char *sep = *cmd != '\0' ? ": " : "";
	char why[256];
	snprintf(why, sizeof(why), "%s%sbad option %s", cmd, sep, arg);
	if (opt != '?' && idx >= 0)
		snprintf(why, sizeof(why), "%s%soption --%s does not apply here", cmd, sep,
		    options[idx].name);
	else if (optopt >= 256) {
		for (idx = 0; options[idx].name != NULL; idx++)
			if (options[idx].val == optopt)
				snprintf(why, sizeof(why), "%s%soption --%s needs an argument", cmd, sep,
				    options[idx].name);
	} else if (optopt > 0 && arg[0] == '-' && arg[1] != '-')
		snprintf(why, sizeof(why), "%s%sunknown option -%c", cmd, sep, optopt);
	else
		snprintf(why, sizeof(why), "%s%sunknown option %.*s", cmd, sep, (int)strcspn(arg, "="),
		    arg);
	return usage(why);
}

static int query_format(const char *name, struct query *q)
{
	static const char *const names[] = { "text", "json", "ecs", "cef" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0) {
			q->format = (int)i;
			return 0;
		}
	return -1;
}

/* One entry in a machine format (text is the caller's: a table or a line). */
static void query_print(const struct query *q, const struct view_entry *e)
{
	if (q->format == FORMAT_ECS)
		ecs_print(stdout, e);
	else if (q->format == FORMAT_CEF)
		cef_print(stdout, e);
	else
		view_print_json(stdout, e);
}

static bool query_opt_allowed(const char *cmd, int opt)
{
	if (strcmp(cmd, "search") == 0)
		return opt != OPT_COUNT && opt != OPT_NO_FOLLOW;
	if (strcmp(cmd, "report") == 0)
		return opt == OPT_MAILBOX || opt == OPT_SINCE || opt == OPT_UNTIL ||
		    opt == OPT_DOMAIN || opt == OPT_JSON || opt == OPT_HTML || opt == OPT_CACHE_DAYS;
	if (strcmp(cmd, "tail") == 0)
		return opt == OPT_MAILBOX || opt == OPT_SINCE || opt == OPT_COUNT || opt == OPT_JSON ||
		    opt == OPT_FORMAT || opt == OPT_LIMIT || opt == OPT_NO_FOLLOW;
	if (strcmp(cmd, "breach") == 0)
		return opt == OPT_MAILBOX || opt == OPT_DOMAIN || opt == OPT_SINCE ||
		    opt == OPT_UNTIL || opt == OPT_JSON;
	return false;
}

/* Takes one option's value into q; 0, or EXIT_USAGE after saying why. */
static int query_take(const char *cmd, int opt, const char *arg, struct query *q)
{
	char why[256];

	switch (opt) {
	case OPT_MAILBOX: q->mailbox = arg; break;
	case OPT_SENDER: q->sender = arg; break;
	case OPT_RECIPIENT: q->recipient = arg; break;
	case OPT_DOMAIN: q->domain = arg; break;
	case OPT_ACTION: q->action = arg; break;
	case OPT_RULE: q->rule = arg; break;
	case OPT_JSON: q->format = FORMAT_JSON; break;
	case OPT_HTML: q->html = arg; break;
	case OPT_CACHE_DAYS: q->cache_days = true; break;
	case OPT_NO_FOLLOW: q->no_follow = true; break;
	case OPT_FORMAT:
		if (query_format(arg, q) != 0) {
			snprintf(why, sizeof(why),
			    "%s: --format: unknown format \"%s\" (want text, json, ecs or cef)",
			    cmd, arg);
			return usage(why);
		}
		break;
	case OPT_SINCE:
	case OPT_UNTIL:
		if (view_parse_time(arg, time(NULL),
		    opt == OPT_SINCE ? &q->since_ms : &q->until_ms) != 0) {
			snprintf(why, sizeof(why), "%s: bad time \"%s\"", cmd, arg);
			return usage(why);
		}
		break;
	case OPT_LIMIT:
	case OPT_COUNT:
		if (!tool_number(arg, opt == OPT_LIMIT ? &q->limit : &q->count)) {
			snprintf(why, sizeof(why), "%s: bad number \"%s\"", cmd, arg);
			return usage(why);
		}
		q->limit_given |= opt == OPT_LIMIT;
		break;
	}
	return 0;
}

/* The options that exclude each other; 0, or EXIT_USAGE after saying why. */
static int query_check(const char *cmd, struct query *q)
{
	char why[256];

	if (q->cache_days && (q->mailbox != NULL || q->domain != NULL || q->since_ms >= 0 ||
	    q->until_ms >= 0 || q->format != FORMAT_TEXT || q->html != NULL))
		return usage("report: --cache-days takes no other option");
	if (q->count > 0 && q->since_ms >= 0) {
		snprintf(why, sizeof(why), "%s: --count (the last N) and --since (from a time) "
		    "exclude each other", cmd);
		return usage(why);
	}
	q->json = q->format == FORMAT_JSON;
	if (q->json && q->html != NULL) {
		snprintf(why, sizeof(why), "%s: --json and --html exclude each other", cmd);
		return usage(why);
	}
	return 0;
}

/* Parses a command's options; 0, or EXIT_USAGE after saying why. */
static int query_parse(const char *cmd, int argc, char **argv, struct query *q)
{
	char why[256];
	int opt, rc;

	memset(q, 0, sizeof(*q));
	q->since_ms = q->until_ms = -1;
	q->limit = 100;
	optind = 1;
	opterr = 0;
	int idx = -1;
	while ((opt = getopt_long(argc, argv, "h", query_options, &idx)) != -1) {
		if (opt == OPT_HELP || opt == 'h')
			return help();
		if (opt == '?' || !query_opt_allowed(cmd, opt))
			return tool_bad_option(cmd, opt, idx, query_options, argv[optind - 1]);
		idx = -1;
		if ((rc = query_take(cmd, opt, optarg, q)) != 0)
			return rc;
	}
	if (optind < argc) {
		snprintf(why, sizeof(why), "%s: unexpected argument \"%s\"", cmd, argv[optind]);
		return usage(why);
	}
	return query_check(cmd, q);
}

struct search_ctx {
	const struct query *q;
	struct view_table *table;
	long shown;
};

static bool search_one(void *p, const struct view_entry *e)
{
	struct search_ctx *s = p;
	if (s->q->format != FORMAT_TEXT)
		query_print(s->q, e);
	else
		view_table_add(s->table, e);
	s->shown++;
	return s->q->limit == 0 || s->shown < s->q->limit;
}

/*
 * An exact recipient implies its domain: as a --domain filter it changes no
 * result, and lets search skip the closed days whose kept domains never saw
 * that domain.  q itself when it does not apply.
 */
static const struct query *search_recipient_domain(const struct query *q, struct query *copy)
{
	const char *at = q->recipient != NULL ? strrchr(q->recipient, '@') : NULL;
	if (q->mailbox != NULL || q->domain != NULL || at == NULL || at[1] == '\0')
		return q;
	*copy = *q;
	copy->domain = at + 1;
	return copy;
}

static int cmd_search(const struct cfg *c, struct redis_conn *rc, const struct query *user_q)
{
	struct query rq;
	const struct query *q = search_recipient_domain(user_q, &rq);
	char *key = query_stream(c, q);
	bool text = q->format == FORMAT_TEXT;
	struct search_ctx s = { .q = q, .table = text ? view_table_new() : NULL };
	int rv = 1;
	/* A filter on a field no key is kept by may read the whole window:
	 * then ask for each next page before reading this one, at the price
	 * of one page read for nothing once the limit is reached. */
	bool far = q->sender != NULL || q->recipient != NULL || q->action != NULL ||
	    q->rule != NULL;
	/* Without a mailbox, a domain is looked for only in the days that saw it. */
	if (key != NULL && (!text || s.table != NULL) && (q->domain != NULL && q->mailbox == NULL ?
	    days_search(c, rc, key, q, search_one, &s) :
	    query_walk(rc, key, q, true, far, search_one, &s)) == 0) {
		if (text)
			view_table_print(stdout, s.table);
		rv = 0;
	}
	view_table_free(s.table);
	free(key);
	return rv;
}

static bool report_one(void *p, const struct view_entry *e)
{
	view_report_add(p, e);
	return true;
}

/* report --cache-days, run by a timer: one line of what it kept. */
static int cmd_cache_days(const struct cfg *c, struct redis_conn *rc, const struct query *q)
{
	char *key = query_stream(c, q);
	long kept[2];
	int rv = key != NULL && days_keep(c, rc, key, kept) == 0 ? 0 : 1;
	if (rv == 0)
		printf("kept %ld closed days and %ld closed hours\n", kept[0], kept[1]);
	free(key);
	return rv;
}

struct report_source {
	const struct cfg *c;
	struct redis_conn *rc;
	const char *key;
	const char *mailbox;
};

/*
 * Every decision of the stream between since and until (-1: open) into
 * rep, whatever the other filters say: the report filters its groups.
 * 0, or -1 after printing the Redis error.
 */
static int report_window(void *ctx, long long since, long long until, struct view_report *rep)
{
	const struct report_source *s = ctx;
	struct query range = { .mailbox = s->mailbox, .since_ms = since, .until_ms = until };
	/* A mailbox's stream is short: read it whole. */
	return s->mailbox != NULL ? query_walk(s->rc, s->key, &range, false, true, report_one, rep) :
	    days_report(s->c, s->rc, s->key, &range, rep);
}

/*
 * A destination is new when the trail holds no decision for its mailbox
 * and it before --since: the report of everything before (closed days come
 * from what audit_days.c keeps, so this costs what a report of the whole
 * trail costs, once, then little).
 */
static int report_mark_new(struct report_source *src, long long since, struct view_report *rep)
{
	struct view_report *before = view_report_new();
	int rv = before != NULL && (since == 0 ||
	    report_window(src, -1, since - 1, before) == 0) ? 0 : -1;
	if (rv == 0)
		view_report_mark_new(rep, before);
	view_report_free(before);
	return rv;
}

static int cmd_report(const struct cfg *c, struct redis_conn *rc, const struct query *q)
{
	if (q->cache_days)
		return cmd_cache_days(c, rc, q);
	char *key = query_stream(c, q);
	struct report_source src = { .c = c, .rc = rc, .key = key, .mailbox = q->mailbox };
	if (key == NULL)
		return 1;
	if (q->html != NULL) {
		struct html_params p = { .since_ms = q->since_ms, .until_ms = q->until_ms,
		    .mailbox = q->mailbox, .domain = q->domain, .policy = &c->policy,
		    .now = time(NULL), .window = report_window, .ctx = &src };
		int rv = html_report_file(q->html, &p);
		free(key);
		return rv == 0 ? 0 : 1;
	}
	struct view_report *rep = view_report_new();
	int rv = 1;
	if (rep != NULL && report_window(&src, q->since_ms, q->until_ms, rep) == 0 &&
	    (q->since_ms < 0 || report_mark_new(&src, q->since_ms, rep) == 0)) {
		if (q->domain != NULL)
			view_report_keep_domain(rep, q->domain);
		if (q->json)
			view_report_print_json(stdout, rep);
		else
			view_report_print(stdout, rep);
		rv = 0;
	}
	view_report_free(rep);
	free(key);
	return rv;
}

/* Prints one entry as tail shows it. */
static void tail_print(const struct query *q, const struct view_entry *e)
{
	if (q->format != FORMAT_TEXT)
		query_print(q, e);
	else
		view_print_line(stdout, e);
}

/*
 * tail --count N starts with the last N entries, oldest first, as tail -n
 * does; sets last to the newest id shown ("0-0" for an empty stream) and
 * counts what it printed in *seen.  0, or -1 after saying why.
 */
static int tail_backlog(struct redis_conn *rc, const char *key, const struct query *q,
    char *last, size_t lastsize, long *seen)
{
	char n[24];
	const char *argv[] = { "XREVRANGE", key, "+", "-", "COUNT", n };
	size_t len[6];

	snprintf(n, sizeof(n), "%ld", q->count);
	for (int i = 0; i < 6; i++)
		len[i] = strlen(argv[i]);
	redisReply *r = redis_conn_command(rc, 6, argv, len);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		fprintf(stderr, "fwdguard-audit: XREVRANGE %s: %s\n", key,
		    r == NULL ? redis_conn_error(rc) : r->type == REDIS_REPLY_ERROR ? r->str :
		    "unexpected reply");
		redis_conn_reply_free(r);
		return -1;
	}
	snprintf(last, lastsize, "0-0");
	for (size_t i = r->elements; i > 0; i--) {
		struct view_entry e;
		if (view_entry_from_reply(r->element[i - 1], &e) != 0)
			continue;
		snprintf(last, lastsize, "%s", e.stream_id);
		if (q->limit_given && *seen >= q->limit)
			break;
		tail_print(q, &e);
		(*seen)++;
	}
	redis_conn_reply_free(r);
	fflush(stdout);
	return 0;
}

/*
 * Follows the stream from now, from --since, or after the last --count
 * entries; stops after --limit entries, or with --no-follow once nothing
 * more is there.
 */
static int cmd_tail(const struct cfg *c, struct redis_conn *rc, const struct query *q)
{
	char *key = query_stream(c, q);
	char last[64], block[24];
	long seen = 0;
	/* Block for less than the command timeout, or hiredis gives up first. */
	long ms = (long)(c->redis.timeout * 500);
	snprintf(block, sizeof(block), "%ld", ms > 0 ? ms : 100);
	if (key == NULL)
		return 1;
	if (q->since_ms >= 0)
		/* XREAD returns entries after this id: the last one before since. */
		snprintf(last, sizeof(last), q->since_ms > 0 ? "%lld-18446744073709551615" : "%lld-0",
		    q->since_ms > 0 ? q->since_ms - 1 : 0);
	else if (q->count > 0) {
		if (tail_backlog(rc, key, q, last, sizeof(last), &seen) != 0) {
			free(key);
			return 1;
		}
	} else
		/* --no-follow from now has nothing to show. */
		snprintf(last, sizeof(last), "%s", q->no_follow ? "+" : "$");

	while (!q->limit_given || seen < q->limit) {
		/* Without BLOCK, XREAD answers at once: --no-follow stops on empty. */
		const char *follow[] = { "XREAD", "BLOCK", block, "COUNT", "100", "STREAMS", key, last };
		const char *once[] = { "XREAD", "COUNT", "100", "STREAMS", key, last };
		const char **args = q->no_follow ? once : follow;
		int argc = q->no_follow ? 6 : 8;
		size_t len[8];
		if (strcmp(last, "+") == 0)
			break;
		for (int i = 0; i < argc; i++)
			len[i] = strlen(args[i]);
		redisReply *r = redis_conn_command(rc, argc, args, len);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "fwdguard-audit: XREAD %s: %s\n", key,
			    r == NULL ? redis_conn_error(rc) : r->str);
			redis_conn_reply_free(r);
			free(key);
			return 1;
		}
		const redisReply *entries = view_xread_entries(r);
		size_t got = entries != NULL ? entries->elements : 0;
		for (size_t i = 0; i < got; i++) {
			struct view_entry e;
			if (view_entry_from_reply(entries->element[i], &e) != 0)
				continue;
			snprintf(last, sizeof(last), "%s", e.stream_id);
			if (q->limit_given && seen >= q->limit)
				break;
			tail_print(q, &e);
			seen++;
		}
		fflush(stdout);
		redis_conn_reply_free(r);
		if (q->no_follow && got == 0)
			break;
	}
	free(key);
	return 0;
}

static int cmd_replay(const struct cfg *c)
{
	char err[512] = "";
	/* Reachability first, so that an empty spool with Redis down still fails. */
	struct redis_conn *rc = redis_conn_open(&c->redis, err, sizeof(err));
	if (rc == NULL) {
		fprintf(stderr, "fwdguard-audit: replay: %s\n", err);
		return 1;
	}
	redis_conn_close(rc);

	if (spool_become_owner(c->audit.spool, err, sizeof(err)) != 0) {
		fprintf(stderr, "fwdguard-audit: replay: %s\n", err);
		return 1;
	}
	struct spool *s = spool_open(c->audit.spool, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "fwdguard-audit: replay: %s\n", err);
		return 1;
	}
	long n = audit_ship_pending(s, &c->redis, c->audit.stream_maxlen, err, sizeof(err));
	spool_close(s);
	if (n < 0) {
		fprintf(stderr, "fwdguard-audit: replay: %s\n", err);
		return 1;
	}
	printf("replayed %ld records\n", n);
	return 0;
}

static int tool_run(const char *cmd, const char *path, int argc, char **argv)
{
	struct query q;
	bool is_query = strcmp(cmd, "search") == 0 || strcmp(cmd, "report") == 0 ||
	    strcmp(cmd, "tail") == 0 || strcmp(cmd, "breach") == 0;
	if (is_query) {
		int rv = query_parse(cmd, argc, argv, &q);
		if (rv != 0)
			return rv == HELP_SHOWN ? 0 : rv;
		if (strcmp(cmd, "breach") == 0 && breach_check(&q) != NULL)
			return usage(breach_check(&q));
	}

	struct cfg *c = cfg_load(path, tool_cfg_error, NULL);
	if (c == NULL) {
		fprintf(stderr, "fwdguard-audit: cannot load %s\n", path);
		return 1;
	}
	int rv = 1;
	if (!is_query) {
		rv = cmd_replay(c);
	} else {
		char err[512] = "";
		struct redis_conn *rc = redis_conn_open(&c->redis, err, sizeof(err));
		if (rc == NULL)
			fprintf(stderr, "fwdguard-audit: %s\n", err);
		else if (strcmp(cmd, "search") == 0)
			rv = cmd_search(c, rc, &q);
		else if (strcmp(cmd, "report") == 0)
			rv = cmd_report(c, rc, &q);
		else if (strcmp(cmd, "breach") == 0)
			rv = breach_run(c, rc, &q);
		else
			rv = cmd_tail(c, rc, &q);
		redis_conn_close(rc);
	}
	cfg_unref(c);
	return rv;
}

enum { OPT_ONCE = 300, OPT_CONSUMER, OPT_MAX_IDLE, OPT_METRICS_LISTEN };

static const struct option relay_options[] = {
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "consumer", required_argument, NULL, OPT_CONSUMER },
	{ "max-idle", required_argument, NULL, OPT_MAX_IDLE },
	{ "metrics-listen", required_argument, NULL, OPT_METRICS_LISTEN },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

static bool tool_listen_ok(const char *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	return metrics_addr_parse(s, &ss, &len) == 0;
}

/*
 * Parses the alerts options (probe and replay take none but --help); 0,
 * HELP_SHOWN, or EXIT_USAGE after saying why.
 */
static int relay_parse(const char *cmd, int argc, char **argv, struct relay_opts *o)
{
	char why[256];
	int opt;

	memset(o, 0, sizeof(*o));
	o->max_idle_ms = RELAY_MAX_IDLE_MS;
	optind = 1;
	opterr = 0;
	int idx = -1;
	while ((opt = getopt_long(argc, argv, "h", relay_options, &idx)) != -1) {
		if (opt == OPT_HELP || opt == 'h')
			return help();
		if (opt == '?' || strcmp(cmd, "alerts") != 0)
			return tool_bad_option(cmd, opt, idx, relay_options, argv[optind - 1]);
		idx = -1;
		if (opt == OPT_ONCE)
			o->once = true;
		else if (opt == OPT_CONSUMER && *optarg != '\0')
			o->consumer = optarg;
		else if (opt == OPT_METRICS_LISTEN && tool_listen_ok(optarg))
			o->metrics_listen = optarg;
		else if (opt == OPT_METRICS_LISTEN) {
			snprintf(why, sizeof(why), "%s: --metrics-listen: invalid listen address "
			    "\"%s\" (want IPv4:port or [IPv6]:port, e.g. 127.0.0.1:9470)", cmd, optarg);
			return usage(why);
		} else if (opt != OPT_MAX_IDLE || !tool_number(optarg, &o->max_idle_ms)) {
			snprintf(why, sizeof(why), "%s: %s: bad value \"%s\"", cmd,
			    opt == OPT_CONSUMER ? "--consumer" : "--max-idle", optarg);
			return usage(why);
		}
	}
	if (optind < argc) {
		snprintf(why, sizeof(why), "%s: unexpected argument \"%s\"", cmd, argv[optind]);
		return usage(why);
	}
	return 0;
}

static int tool_relay(const char *cmd, const char *path, int argc, char **argv)
{
	struct relay_opts o;
	int rv = relay_parse(cmd, argc, argv, &o);
	if (rv != 0)
		return rv == HELP_SHOWN ? 0 : rv;
	struct cfg *c = cfg_load(path, tool_cfg_error, NULL);
	if (c == NULL) {
		fprintf(stderr, "fwdguard-audit: cannot load %s\n", path);
		return 1;
	}
	/* Relay problems go to syslog for the operator, and to stderr for cron and
	 * tests (log.c: not when stderr is the journal, which has the syslog copy). */
	log_init("fwdguard-audit", c->log.facility, true);
	if (o.metrics_listen != NULL) {
		char err[256];
		if (alert_metrics_open(o.metrics_listen, err, sizeof(err)) != 0) {
			fprintf(stderr, "fwdguard-audit: %s: --metrics-listen: %s\n", cmd, err);
			cfg_unref(c);
			return 1;
		}
		log_info("alerts: serving GET /metrics on %s", o.metrics_listen);
	}
	rv = strcmp(cmd, "alerts") == 0 ? relay_run(c, &o) : probe_run(c);
	alert_metrics_close();
	cfg_unref(c);
	return rv;
}

int main(int argc, char **argv)
{
	const char *path = CFG_DEFAULT_PATH;
	int opt;

	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+c:h", options, NULL)) != -1) {
		if (opt == 'c')
			path = optarg;
		else if (opt == 'h')
			return help(), 0;
		else if (optopt == 'c')
			return usage("option -c needs an argument");
		else
			return tool_bad_option("", '?', -1, options, argv[optind - 1]);
	}
	if (optind >= argc)
		return usage("no command given");
	/* The command's own parser resets optind: keep where its words start. */
	const char *cmd = argv[optind];
	int cargc = argc - optind;
	char **cargv = argv + optind;
	if (strcmp(cmd, "alerts") == 0 || strcmp(cmd, "probe") == 0)
		return tool_relay(cmd, path, cargc, cargv);
	if (strcmp(cmd, "verify") == 0)
		return audit_verify_main(path, cargc, cargv, usage, help_verify);
	if (strcmp(cmd, "watch") == 0)
		return watch_main(path, cargc, cargv, usage, help_verify);
	if (strcmp(cmd, "replay") == 0) {
		struct relay_opts o;
		int rv = relay_parse(cmd, cargc, cargv, &o);
		if (rv != 0)
			return rv == HELP_SHOWN ? 0 : rv;
	}
	if (strcmp(cmd, "search") != 0 && strcmp(cmd, "report") != 0 && strcmp(cmd, "tail") != 0 &&
	    strcmp(cmd, "replay") != 0 && strcmp(cmd, "breach") != 0) {
		char why[256];
		snprintf(why, sizeof(why), "unknown command \"%s\"", cmd);
		return usage(why);
	}
	return tool_run(cmd, path, cargc, cargv);
}
