/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_cfg.c - the YAML loader (milter/config/cfg*.c) and SHA-256.
 *
 * Most cases are a table: a YAML text, whether it must load, and substrings
 * that must each appear in one reported error line ("t.yaml:4:12: ...").
 */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <cmocka.h>

#include "cfg.h"
#include "sha256.h"

#define MAX_LINES	64

struct errs {
	char lines[MAX_LINES][1024];
	int n;
};

static void
collect(void *ctx, const char *line)
{
	struct errs *e = ctx;

	if (e->n < MAX_LINES)
		snprintf(e->lines[e->n], sizeof(e->lines[0]), "%s", line);
	e->n++;
}

static void
dump(const struct errs *e)
{
	int i;

	for (i = 0; i < e->n && i < MAX_LINES; i++)
		print_message("  got error: %s\n", e->lines[i]);
}

static struct cfg *
load(const char *yaml, struct errs *e)
{
	memset(e, 0, sizeof(*e));
	return cfg_load_buffer("t.yaml", yaml, strlen(yaml), collect, e);
}

/* Loads text that must be valid, failing the test with the errors if not. */
static struct cfg *
load_ok(const char *yaml)
{
	static struct errs e;
	struct cfg *c = load(yaml, &e);

	if (c == NULL) {
		dump(&e);
		fail_msg("config did not load; want it to");
	}
	return c;
}

struct load_case {
	const char *name;
	const char *yaml;
	int want_ok;
	int want_nerrors;		/* 0: any number */
	const char *want[4];		/* substrings, each in some error line */
};

#define RULE_HEAD "rules:\n  - name: r1\n"

static const struct load_case load_cases[] = {
	{ "minimal file loads", "mode: monitor\n", 1, 0, { NULL } },
	{ "empty mapping loads with defaults", "{}\n", 1, 0, { NULL } },
	{ "empty file is an error", "", 0, 1, { "t.yaml:1:1: empty configuration file" } },
	{ "comments only is an empty file", "# nothing here\n\n", 0, 1,
	    { "t.yaml:1:1: empty configuration file" } },
	{ "null document is empty", "---\n...\n", 0, 1, { "empty configuration" } },
	{ "top level list refused", "- a\n- b\n", 0, 1,
	    { "t.yaml:1:1: the top level must be a mapping" } },
	{ "unknown top-level key", "mode: enforce\nmodee: x\n", 0, 1,
	    { "t.yaml:2:1: modee: unknown key (want milter|mode|log|" } },
	{ "unknown nested key names its path", "milter:\n  sockett: unix:/x\n", 0, 1,
	    { "t.yaml:2:3: milter.sockett: unknown key (want socket|user|on_error|no_reply|mark_key_file)" } },
	{ "milter.no_reply takes auto, always, never or content", "milter:\n  no_reply: sometimes\n", 0, 1,
	    { "t.yaml:2:13: milter.no_reply: unknown value 'sometimes' (want auto|always|never|content)" } },
	{ "milter.no_reply never loads", "milter:\n  no_reply: never\n", 1, 0, { NULL } },
	{ "milter.no_reply content loads", "milter:\n  no_reply: content\n", 1, 0, { NULL } },
	{ "duplicate top-level key", "mode: enforce\nmode: monitor\n", 0, 1,
	    { "t.yaml:2:1: mode: duplicate key (first at 1:1)" } },
	{ "duplicate nested key", "log:\n  level: info\n  facility: mail\n  level: debug\n", 0, 1,
	    { "t.yaml:4:3: log.level: duplicate key (first at 2:3)" } },
	{ "second document refused", "mode: enforce\n---\nmode: monitor\n", 0, 1,
	    { "t.yaml:2:1: more than one YAML document" } },
	{ "anchor and alias refused", "mode: &m enforce\nlog:\n  level: *m\n", 0, 2,
	    { "t.yaml:1:7: anchors and aliases are not supported",
	      "t.yaml:3:10: anchors and aliases are not supported" } },
	{ "tag refused", "mode: !!str enforce\n", 0, 1, { "t.yaml:1:7: tags are not supported" } },
	{ "tab indentation explained", "milter:\n\tsocket: unix:/x\n", 0, 1,
	    { "t.yaml:2:1:", "tab" } },
	{ "syntax error has a position", "milter: [unix:/x\nmode: x\n", 0, 1, { "t.yaml:2:" } },
	{ "invalid UTF-8 refused", "mode: enf\xff" "orce\n", 0, 1,
	    { "t.yaml:1:10: invalid UTF-8 byte 0xff" } },
	{ "UTF-16 refused", "\xff\xfem\0o\0d\0e\0", 0, 1, { "t.yaml:1:1: invalid UTF-8" } },
	{ "complex key refused", "? [a]\n: b\n", 0, 1, { "t.yaml:1:3: a key must be a plain name" } },
	{ "section of wrong type", "domains: [corp.example]\n", 0, 1,
	    { "t.yaml:1:10: domains: expected a mapping, got a list" } },
	{ "null section keeps defaults", "ldap:\nredis:\n", 1, 0, { NULL } },
	{ "scalar for a list", "ldap:\n  forward_attributes: mail\n", 0, 1,
	    { "t.yaml:2:23: ldap.forward_attributes: expected a list, got a scalar" } },
	{ "timeout not a number", "redis:\n  timeout: abc\n", 0, 1,
	    { "t.yaml:2:12: redis.timeout: expected a number of seconds, got 'abc'" } },
	{ "timeout zero", "redis:\n  timeout: 0\n", 0, 1, { "redis.timeout: 0 is out of range" } },
	{ "timeout quoted", "redis:\n  timeout: \"1\"\n", 0, 1,
	    { "got quoted '1'" } },
	{ "negative number", "ldap:\n  cache: { ttl: -5 }\n", 0, 1,
	    { "t.yaml:2:17: ldap.cache.ttl: must not be negative" } },
	{ "number too large", "alerts:\n  dedupe_window: 99999999999999999999999\n", 0, 1,
	    { "alerts.dedupe_window: 99999999999999999999999 is out of range (0..2592000)" } },
	{ "boolean must be true or false", "alerts:\n  syslog: yes\n", 0, 1,
	    { "t.yaml:2:11: alerts.syslog: expected true or false, got 'yes'" } },
	{ "control character in a string", "milter:\n  user: \"a\\u0001b\"\n", 0, 1,
	    { "t.yaml:2:9: milter.user: control character 0x01" } },
	{ "on_error limited", "milter:\n  on_error: quarantine\n", 0, 1,
	    { "t.yaml:2:13: milter.on_error: unsupported action 'quarantine' (want reject|tempfail|accept)" } },
	{ "on_error unknown", "milter: { on_error: drop }\n", 0, 1,
	    { "t.yaml:1:21: milter.on_error: unknown action 'drop'" } },
	{ "correlation_on_error never refuses on a guess", "audit:\n  correlation_on_error: reject\n", 0, 1,
	    { "t.yaml:2:25: audit.correlation_on_error: unsupported action 'reject' (want tempfail|accept)" } },
	{ "unknown mode", "mode: enforcing\n", 0, 1,
	    { "t.yaml:1:7: mode: unknown mode 'enforcing' (want enforce|monitor)" } },
	{ "unknown log facility", "log: { facility: mial }\n", 0, 1,
	    { "log.facility: unknown syslog facility 'mial'" } },
	{ "bad socket", "milter:\n  socket: /run/x.sock\n", 0, 1,
	    { "t.yaml:2:11: milter.socket: invalid socket '/run/x.sock'" } },
	{ "inet socket accepted", "milter:\n  socket: inet:8891@127.0.0.1\n", 1, 0, { NULL } },
	{ "bad redis address", "redis:\n  address: localhost\n", 0, 1,
	    { "redis.address: invalid address 'localhost' (want host:port or unix:/path)" } },
	{ "bad sentinel", "redis:\n  sentinels: [127.0.0.1:26379, nope]\n", 0, 1,
	    { "t.yaml:2:32: redis.sentinels[1]: invalid address 'nope'" } },
	{ "sentinels need master_name", "redis:\n  sentinels: [127.0.0.1:26379]\n  master_name: \"\"\n",
	    0, 1, { "t.yaml:2:14: redis.sentinels: sentinels need redis.master_name" } },
	{ "min_replicas with sentinels loads", "redis:\n  sentinels: [127.0.0.1:26379]\n"
	    "  min_replicas: 1\n  replica_timeout: 0.25\n", 1, 0, { NULL } },
	{ "min_replicas negative", "redis:\n  min_replicas: -1\n", 0, 1,
	    { "t.yaml:2:17: redis.min_replicas: must not be negative (0..100)" } },
	{ "min_replicas not a number", "redis:\n  min_replicas: one\n", 0, 1,
	    { "redis.min_replicas: expected a whole number, got 'one'" } },
	{ "min_replicas too many", "redis:\n  min_replicas: 101\n", 0, 1,
	    { "redis.min_replicas: 101 is out of range (0..100)" } },
	{ "replica_timeout zero", "redis:\n  replica_timeout: 0\n", 0, 1,
	    { "redis.replica_timeout: 0 is out of range" } },
	{ "replica_timeout not below timeout", "redis:\n  timeout: 1\n  min_replicas: 1\n"
	    "  replica_timeout: 1\n", 0, 1,
	    { "t.yaml:4:20: redis.replica_timeout: 1 s is not shorter than redis.timeout (1 s)" } },
	{ "default replica_timeout not below a short timeout", "redis:\n  timeout: 0.5\n"
	    "  min_replicas: 2\n", 0, 1,
	    { "t.yaml:3:17: redis.replica_timeout: 0.5 s is not shorter than redis.timeout" } },
	{ "replica_timeout unchecked without min_replicas", "redis:\n  timeout: 0.5\n"
	    "  replica_timeout: 2\n", 1, 0, { NULL } },
	{ "relative spool path", "audit:\n  spool: spool\n", 0, 1,
	    { "audit.spool: 'spool' is not an absolute path" } },
	{ "retention in days", "audit:\n  retention: 90\n", 1, 0, { NULL } },
	{ "retention zero keeps forever", "audit:\n  retention: 0\n", 1, 0, { NULL } },
	{ "retention negative", "audit:\n  retention: -1\n", 0, 1,
	    { "t.yaml:2:14: audit.retention: must not be negative (0..36600)" } },
	{ "retention beyond a century", "audit:\n  retention: 36601\n", 0, 1,
	    { "t.yaml:2:14: audit.retention: 36601 is out of range (0..36600)" } },
	{ "retention with a unit", "audit:\n  retention: 30d\n", 0, 1,
	    { "t.yaml:2:14: audit.retention: expected a whole number, got '30d'" } },
	{ "ldap uri needs base", "ldap:\n  uri: ldap://127.0.0.1\n", 0, 1,
	    { "t.yaml:2:8: ldap: missing required key 'base'" } },
	{ "ldap filter must hold %s", "ldap:\n  uri: ldap://127.0.0.1\n  base: dc=x\n"
	    "  mailbox_filter: \"(mail=x)\"\n", 0, 1,
	    { "t.yaml:4:19: ldap.mailbox_filter: the filter must contain %s" } },
	{ "ldap filter unbalanced", "ldap:\n  uri: ldap://127.0.0.1\n  base: dc=x\n"
	    "  protected_filter: \"(memberOf=x\"\n", 0, 1,
	    { "ldap.protected_filter: invalid LDAP filter" } },
	{ "bad internal domain", "domains:\n  internal: [corp.example, \"bad..example\"]\n", 0, 1,
	    { "t.yaml:2:28: domains.internal[1]: invalid domain 'bad..example'" } },
	{ "bad wildcard domain", "domains:\n  internal: [\"*corp.example\"]\n", 0, 1,
	    { "t.yaml:2:14: domains.internal[0]: invalid domain '*corp.example'" } },
	{ "bad protected mailbox", "mailboxes:\n  protected: [support@corp.example, \"not an address\"]\n",
	    0, 1, { "t.yaml:2:37: mailboxes.protected[1]: invalid address 'not an address'" } },
	{ "routed protected mailbox", "mailboxes:\n  protected: [\"a%b.example@corp.example\"]\n", 0, 1,
	    { "mailboxes.protected[0]: address 'a%b.example@corp.example' is routed" } },
	{ "unqualified protected mailbox", "mailboxes:\n  protected: [support]\n", 0, 1,
	    { "mailboxes.protected[0]: address 'support' has no domain" } },
	{ "empty ldap.address_attributes", "ldap:\n  address_attributes: []\n", 0, 1,
	    { "ldap.address_attributes: must not be empty" } },
	{ "watch needs a directory", "ldap:\n  watch: { poll_interval: 5 }\n", 0, 1,
	    { "t.yaml:2:10: ldap.watch: missing required key 'ldap.uri'" } },
	{ "unknown watch mode", "ldap:\n  uri: ldap://127.0.0.1\n  base: dc=x\n"
	    "  watch: { mode: push }\n", 0, 1,
	    { "t.yaml:4:18: ldap.watch.mode: unknown watch mode 'push' (want auto|sync|poll)" } },
	{ "watch poll_interval of 0", "ldap:\n  uri: ldap://127.0.0.1\n  base: dc=x\n"
	    "  watch: { poll_interval: 0 }\n", 0, 1, { "ldap.watch.poll_interval:" } },
	{ "watch keys checked", "ldap:\n  uri: ldap://127.0.0.1\n  base: dc=x\n"
	    "  watch: { spool: watch, alert: loud, intervall: 3 }\n", 0, 3,
	    { "ldap.watch.intervall: unknown key", "ldap.watch.spool: 'watch' is not an absolute path",
	      "ldap.watch.alert: unknown alert level 'loud'" } },
	{ "bad delimiter", "mailboxes:\n  recipient_delimiter: \"@\"\n", 0, 1,
	    { "mailboxes.recipient_delimiter: invalid delimiters '@'" } },
	{ "allow needs destination and reason",
	    "allow:\n  - owner: dpo@corp.example\n", 0, 2,
	    { "t.yaml:2:5: allow[0]: missing required key 'destination'",
	      "t.yaml:2:5: allow[0]: missing required key 'reason'" } },
	{ "allow bad date",
	    "allow:\n  - destination: v.example\n    reason: r\n    owner: o\n    expires: 2027-13-45\n",
	    0, 1, { "t.yaml:5:14: allow[0].expires: invalid date '2027-13-45' (no such day)" } },
	{ "allow malformed date",
	    "allow:\n  - destination: v.example\n    reason: r\n    owner: o\n    expires: 30/06/2027\n",
	    0, 1, { "allow[0].expires: invalid date '30/06/2027' (want YYYY-MM-DD)" } },
	{ "allow 29 February only in leap years",
	    "allow:\n  - destination: v.example\n    reason: r\n    owner: o\n    expires: 2027-02-29\n",
	    0, 1, { "invalid date '2027-02-29'" } },
	{ "allow mailbox must be protected",
	    "mailboxes: { protected: [support@corp.example] }\n"
	    "allow:\n  - destination: v.example\n    reason: r\n    owner: o\n"
	    "    mailboxes: [Support@Corp.Example, hr@corp.example]\n", 0, 1,
	    { "t.yaml:6:39: allow[0].mailboxes[1]: 'hr@corp.example' is not a protected mailbox" } },
	{ "allow of an internal domain",
	    "domains: { internal: [corp.example] }\n"
	    "allow:\n  - destination: Corp.Example.\n    reason: r\n    owner: o\n", 0, 1,
	    { "t.yaml:3:18: allow[0].destination: 'Corp.Example.' is an internal domain" } },
	{ "allow destination invalid",
	    "allow:\n  - destination: \"bad domain\"\n    reason: r\n    owner: o\n", 0, 1,
	    { "allow[0].destination: invalid destination 'bad domain'" } },
	{ "rule without name or action", "rules:\n  - match: { destination: external }\n", 0, 2,
	    { "t.yaml:2:5: rules[0]: missing required key 'name'",
	      "t.yaml:2:5: rules[0]: missing required key 'action'" } },
	{ "rule unknown action", RULE_HEAD "    action: rejekt\n", 0, 1,
	    { "t.yaml:3:13: rules[0].action: unknown action 'rejekt' "
	      "(want reject|tempfail|quarantine|strip|reroute|flag|accept)" } },
	{ "rule names unique",
	    RULE_HEAD "    action: accept\n  - name: r1\n    action: flag\n", 0, 1,
	    { "t.yaml:4:11: rules[1].name: duplicate rule name 'r1' (first at 2:11)" } },
	{ "rule name charset", "rules:\n  - name: \"a;b\"\n    action: flag\n", 0, 1,
	    { "rules[0].name: invalid name 'a;b'" } },
	{ "rule unknown signal",
	    RULE_HEAD "    action: flag\n    match: { signals: [delivered-to, forwarded] }\n", 0, 1,
	    { "t.yaml:4:38: rules[0].match.signals[1]: unknown signal 'forwarded' (want delivered-to|" } },
	{ "rule signal as one name", RULE_HEAD "    action: flag\n    match: { signals: resent }\n",
	    1, 0, { NULL } },
	{ "rule empty signal list",
	    RULE_HEAD "    action: flag\n    match: { signals: [] }\n", 0, 1,
	    { "rules[0].match.signals: must not be empty" } },
	{ "rule unknown destination",
	    RULE_HEAD "    action: flag\n    match: { destination: [external, outside] }\n", 0, 1,
	    { "rules[0].match.destination[1]: unknown destination 'outside' (want internal|external|allowed)" } },
	{ "rule unknown direction",
	    RULE_HEAD "    action: flag\n    match: { direction: sideways }\n", 0, 1,
	    { "rules[0].match.direction[0]: unknown direction 'sideways'" } },
	{ "rule unknown match key",
	    RULE_HEAD "    action: flag\n    match: { signal: [resent] }\n", 0, 1,
	    { "t.yaml:4:14: rules[0].match.signal: unknown key (want signals|destination|direction|sender)" } },
	{ "reply class must fit tempfail",
	    RULE_HEAD "    action: tempfail\n    reply: \"5.7.1 no\"\n", 0, 1,
	    { "t.yaml:4:12: rules[0].reply: code 5.x.x does not fit action tempfail (want 4.x.x)" } },
	{ "reply class must fit reject",
	    RULE_HEAD "    reply: \"4.7.1 later\"\n    action: reject\n", 0, 1,
	    { "t.yaml:3:12: rules[0].reply: code 4.x.x does not fit action reject (want 5.x.x)" } },
	{ "reply needs an enhanced code", RULE_HEAD "    action: reject\n    reply: \"no way\"\n", 0, 1,
	    { "rules[0].reply: must start with an enhanced status code" } },
	/* Found by tests/fuzz (cfg): the code was scanned from s + 2 of a shorter text. */
	{ "reply of one character", RULE_HEAD "    action: reject\n    reply: \"5\"\n", 0, 1,
	    { "rules[0].reply: must start with an enhanced status code" } },
	{ "empty reply", RULE_HEAD "    action: reject\n    reply: \"\"\n", 0, 1,
	    { "rules[0].reply: must start with an enhanced status code" } },
	{ "reply code cut after its class", RULE_HEAD "    action: reject\n    reply: \"5.\"\n", 0, 1,
	    { "rules[0].reply: must start with an enhanced status code" } },
	{ "reply code cut after its subject", RULE_HEAD "    action: reject\n    reply: \"5.7\"\n", 0, 1,
	    { "rules[0].reply: must start with an enhanced status code" } },
	{ "reply only for reject or tempfail",
	    RULE_HEAD "    action: quarantine\n    reply: \"5.7.1 held\"\n", 0, 1,
	    { "rules[0].reply: a reply is only sent with action reject or tempfail, not quarantine" } },
	{ "reply percent only in %{id}",
	    RULE_HEAD "    action: reject\n    reply: \"5.7.1 100% blocked\"\n", 0, 1,
	    { "rules[0].reply: must be printable ASCII" } },
	{ "reply with %{id} accepted",
	    RULE_HEAD "    action: reject\n    reply: \"5.7.1 blocked (ref %{id})\"\n", 1, 0, { NULL } },
	{ "rule unknown mode and alert",
	    RULE_HEAD "    action: flag\n    mode: test\n    alert: loud\n", 0, 2,
	    { "t.yaml:4:11: rules[0].mode: unknown mode 'test'",
	      "t.yaml:5:12: rules[0].alert: unknown alert level 'loud' (want none|info|warning|critical)" } },
	{ "alert mail needs from", "alerts:\n  mail: { to: security@corp.example }\n", 0, 1,
	    { "t.yaml:2:9: alerts.mail: missing required key 'from'" } },
	{ "long values are cut in messages",
	    "mode: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    0, 1, { "aaaa...' (want enforce|monitor)" } },
};

static void
test_load_table(void **state)
{
	size_t i, j;
	int k, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(load_cases) / sizeof(load_cases[0]); i++) {
		const struct load_case *tc = &load_cases[i];
		struct errs e;
		struct cfg *c = load(tc->yaml, &e);
		int failed = 0;

		if ((c != NULL) != tc->want_ok) {
			print_error("%s: got ok=%d, want ok=%d\n", tc->name, c != NULL, tc->want_ok);
			failed = 1;
		}
		if (tc->want_nerrors > 0 && e.n != tc->want_nerrors) {
			print_error("%s: got %d errors, want %d\n", tc->name, e.n, tc->want_nerrors);
			failed = 1;
		}
		for (j = 0; j < 4 && tc->want[j] != NULL; j++) {
			for (k = 0; k < e.n && k < MAX_LINES; k++)
				if (strstr(e.lines[k], tc->want[j]) != NULL)
					break;
			if (k == e.n || k == MAX_LINES) {
				print_error("%s: no error line contains \"%s\"\n", tc->name, tc->want[j]);
				failed = 1;
			}
		}
		if (failed)
			dump(&e);
		bad += failed;
		cfg_unref(c);
	}
	assert_int_equal(bad, 0);
}

static void
test_every_error_reported_in_file_order(void **state)
{
	struct errs e;
	struct cfg *c = load("rules:\n  - name: r\n    action: rejekt\n"
	    "mode: monitr\n"
	    "milter:\n  sockett: x\n  on_error: flag\n"
	    "redis: { timeout: abc }\n", &e);

	(void)state;
	assert_null(c);
	if (e.n != 5)
		dump(&e);
	assert_int_equal(e.n, 5);
	assert_non_null(strstr(e.lines[0], "t.yaml:3:13: rules[0].action"));
	assert_non_null(strstr(e.lines[1], "t.yaml:4:7: mode"));
	assert_non_null(strstr(e.lines[2], "t.yaml:6:3: milter.sockett"));
	assert_non_null(strstr(e.lines[3], "t.yaml:7:13: milter.on_error"));
	assert_non_null(strstr(e.lines[4], "t.yaml:8:19: redis.timeout"));
}

static void
test_oversize_file_refused(void **state)
{
	size_t len = CFG_MAX_BYTES + 1;
	char *buf = malloc(len);
	struct errs e;
	struct cfg *c;

	(void)state;
	assert_non_null(buf);
	memset(buf, '#', len);
	memset(&e, 0, sizeof(e));
	c = cfg_load_buffer("t.yaml", buf, len, collect, &e);
	free(buf);
	assert_null(c);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.lines[0], "t.yaml:1:1: file is larger than 1048576 bytes"));
}

static void
test_over_deep_file_refused(void **state)
{
	char yaml[256];
	struct errs e;
	struct cfg *c;
	int i, o;

	(void)state;
	/* The root mapping is level 1; the 16th '[' opens level 17. */
	o = snprintf(yaml, sizeof(yaml), "mode: ");
	for (i = 0; i < 40; i++)
		yaml[o++] = '[';
	yaml[o] = '\0';
	c = load(yaml, &e);
	assert_null(c);
	if (e.n != 1)
		dump(&e);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.lines[0], "t.yaml:1:22: nesting deeper than 16 levels"));
}

static void
test_design_example_lands(void **state)
{
	struct errs e = { .n = 0 };
	struct cfg *c = cfg_load(SRCDIR "/tests/unit/cfg/design.yaml", collect, &e);
	const struct policy *p;
	const struct policy_rule *r;

	(void)state;
	if (c == NULL)
		dump(&e);
	assert_non_null(c);
	p = &c->policy;
	assert_string_equal(c->milter.socket, "unix:/run/fwdguard/fwdguard.sock");
	assert_string_equal(c->milter.user, "fwdguard");
	assert_int_equal(c->milter.on_error, ACTION_TEMPFAIL);
	assert_int_equal(p->mode, MODE_ENFORCE);
	assert_int_equal(c->log.facility, LOG_MAIL);
	assert_int_equal(c->log.level, LOG_INFO);
	assert_int_equal(domain_list_count(p->internal), 2);
	assert_true(domain_list_match(p->internal, "a.corp.example"));
	assert_false(domain_list_match(p->internal, "evilcorp.example"));
	assert_int_equal(p->nprotected, 2);
	assert_string_equal(p->protected[0], "contactfr@corp.example");
	assert_string_equal(p->protected[1], "support@corp.example");
	assert_string_equal(p->delimiters, "+");
	assert_int_equal(p->nallow, 1);
	assert_string_equal(p->allow[0].destination, "helpdesk-vendor.example");
	assert_int_equal(p->allow[0].nmailboxes, 1);
	assert_string_equal(p->allow[0].mailboxes[0], "support@corp.example");
	assert_string_equal(p->allow[0].reason, "data processing agreement DPA-2024-17");
	assert_string_equal(p->allow[0].owner, "dpo@corp.example");
	assert_string_equal(p->allow[0].expires, "2027-06-30");
	assert_int_equal(p->allow[0].expires_at, 1814400000);	/* 2027-07-01T00:00:00Z */
	assert_int_equal(p->nrules, 3);
	r = &p->rules[0];
	assert_string_equal(r->name, "forwarded-copy");
	assert_int_equal(r->signals, SIGNAL_BIT(SIGNAL_DELIVERED_TO) | SIGNAL_BIT(SIGNAL_ORIGINAL_TO) |
	    SIGNAL_BIT(SIGNAL_ORCPT) | SIGNAL_BIT(SIGNAL_RECEIVED_FOR) |
	    SIGNAL_BIT(SIGNAL_SIEVE_REDIRECT) | SIGNAL_BIT(SIGNAL_EXCHANGE_RULE) |
	    SIGNAL_BIT(SIGNAL_GMAIL_FORWARD) | SIGNAL_BIT(SIGNAL_RESENT) |
	    SIGNAL_BIT(SIGNAL_HEADER_RECIPIENT) | SIGNAL_BIT(SIGNAL_KNOWN_MESSAGE_ID) |
	    SIGNAL_BIT(SIGNAL_ATTACHED_MESSAGE));
	assert_int_equal(r->destinations, DEST_BIT(DEST_EXTERNAL));
	assert_int_equal(r->directions, 0);
	assert_int_equal(r->action, ACTION_REJECT);
	assert_int_equal(r->mode, MODE_ENFORCE);
	assert_string_equal(r->reply,
	    "5.7.1 forwarding of protected mail to external domains is not permitted (ref %{id})");
	assert_int_equal(r->alert, ALERT_CRITICAL);
	r = &p->rules[1];
	assert_string_equal(r->name, "directory-forward");
	assert_int_equal(r->signals, SIGNAL_BIT(SIGNAL_DIRECTORY_FORWARD));
	assert_int_equal(r->destinations, 0);
	assert_int_equal(r->action, ACTION_QUARANTINE);
	assert_int_equal(r->mode, -1);
	assert_null(r->reply);
	r = &p->rules[2];
	assert_int_equal(r->signals, SIGNAL_BIT(SIGNAL_LEAK_BACKSCATTER) | SIGNAL_BIT(SIGNAL_LEAK_PROBE));
	assert_int_equal(r->action, ACTION_ACCEPT);
	assert_string_equal(c->ldap.uri, "ldap://127.0.0.1:389");
	assert_false(c->ldap.starttls);
	assert_string_equal(c->ldap.bind_dn, "cn=fwdguard,ou=services,dc=corp,dc=example");
	assert_string_equal(c->ldap.bind_password_file, "/etc/fwdguard/ldap.secret");
	assert_string_equal(c->ldap.base, "dc=corp,dc=example");
	assert_string_equal(c->ldap.mailbox_filter, "(|(mail=%s)(mailAlternateAddress=%s))");
	assert_int_equal(c->ldap.nforward_attributes, 2);
	assert_string_equal(c->ldap.forward_attributes[1], "mailRoutingAddress");
	assert_string_equal(c->ldap.protected_filter,
	    "(memberOf=cn=protected-mailboxes,ou=groups,dc=corp,dc=example)");
	assert_true(c->ldap.timeout == 2.0);
	assert_int_equal(c->ldap.cache_ttl, 300);
	assert_int_equal(c->ldap.cache_negative_ttl, 60);
	assert_int_equal(c->ldap.on_error, ACTION_TEMPFAIL);
	assert_string_equal(c->redis.address, "127.0.0.1:6379");
	assert_int_equal(c->redis.nsentinels, 0);
	assert_string_equal(c->redis.master_name, "fwdguard");
	assert_string_equal(c->redis.password_file, "");
	assert_string_equal(c->redis.prefix, "fwdguard:");
	assert_true(c->redis.timeout == 1.0);
	assert_int_equal(c->audit.scope, SCOPE_PROTECTED);
	assert_string_equal(c->audit.spool, "/var/spool/fwdguard");
	assert_int_equal(c->audit.stream_maxlen, 10000000);
	assert_int_equal(c->audit.correlation_ttl, 2592000);
	assert_string_equal(c->probes_from, "fwdguard-probe@corp.example");
	assert_true(c->alerts.syslog);
	assert_string_equal(c->alerts.mail_to, "security@corp.example");
	assert_string_equal(c->alerts.mail_from, "fwdguard@corp.example");
	assert_string_equal(c->alerts.sendmail, "/usr/sbin/sendmail");
	assert_int_equal(c->alerts.dedupe_window, 3600);
	assert_string_equal(c->path, SRCDIR "/tests/unit/cfg/design.yaml");
	assert_int_equal(strlen(c->digest), 64);
	cfg_unref(c);
}

static void
test_sample_config_loads(void **state)
{
	struct errs e = { .n = 0 };
	struct cfg *c = cfg_load(SRCDIR "/contrib/fwdguard.yaml", collect, &e);

	(void)state;
	if (c == NULL)
		dump(&e);
	assert_non_null(c);
	cfg_unref(c);
}

/*
 * Host checks ("fwdguard -n", start, reload): what a key names must exist
 * here, and the error names the key and its line.  Without them (the audit
 * tool, other machines' files) the same text loads.
 */
static void
test_host_checks(void **state)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{ "ldap:\n  uri: ldap://127.0.0.1\n  bind_password_file: /nonexistent/ldap.secret\n  base: dc=corp\n",
		  "t.yaml:3:23: ldap.bind_password_file: cannot use '/nonexistent/ldap.secret': "
		  "No such file or directory" },
		{ "ldap:\n  uri: ldap://127.0.0.1\n  bind_password_file: /tmp\n  base: dc=corp\n",
		  "t.yaml:3:23: ldap.bind_password_file: '/tmp' is not a regular file" },
		{ "redis:\n  password_file: /nonexistent/redis.secret\n",
		  "t.yaml:2:18: redis.password_file: cannot use '/nonexistent/redis.secret'" },
		{ "milter:\n  user: no-such-user-fwdguard\n",
		  "t.yaml:2:9: milter.user: unknown user 'no-such-user-fwdguard'" },
		{ "alerts:\n  mail: { to: sec@corp.example, from: fwdguard@corp.example, sendmail: /nonexistent/sendmail -t }\n",
		  "t.yaml:2:72: alerts.mail.sendmail: cannot run '/nonexistent/sendmail': No such file or directory" },
	};
	static const char exists[] = "milter:\n  user: root\nalerts:\n  mail: { to: "
	    "sec@corp.example, from: fwdguard@corp.example, sendmail: /bin/sh -c true }\n";
	struct errs e;
	struct cfg *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&e, 0, sizeof(e));
		c = cfg_load_buffer_host("t.yaml", cases[i].yaml, strlen(cases[i].yaml), collect, &e);
		if (c != NULL || e.n != 1 || strstr(e.lines[0], cases[i].want) == NULL) {
			dump(&e);
			fail_msg("case %zu: want one error containing \"%s\"", i, cases[i].want);
		}
		cfg_unref(load_ok(cases[i].yaml));
	}
	/* What exists passes the host checks. */
	memset(&e, 0, sizeof(e));
	c = cfg_load_buffer_host("t.yaml", exists, strlen(exists), collect, &e);
	if (c == NULL)
		dump(&e);
	assert_non_null(c);
	cfg_unref(c);
}

/* The sample's comments say "mode: monitor" rolls fwdguard out: no rule of
 * it may pin itself to enforce. */
static void
test_sample_config_rolls_out_in_monitor(void **state)
{
	static char text[64 * 1024];
	FILE *f = fopen(SRCDIR "/contrib/fwdguard.yaml", "r");
	size_t n, i;
	char *global;
	struct cfg *c;

	(void)state;
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	global = strstr(text, "\nmode: enforce\n");
	assert_non_null(global);
	memcpy(global, "\nmode: monitor\n", strlen("\nmode: monitor\n"));
	c = load_ok(text);
	assert_true(c->policy.nrules > 0);
	for (i = 0; i < c->policy.nrules; i++)
		assert_int_equal(policy_rule_mode(&c->policy, &c->policy.rules[i]), MODE_MONITOR);
	cfg_unref(c);
}

static void
test_defaults(void **state)
{
	struct cfg *c = load_ok("mode: monitor\n");

	(void)state;
	assert_int_equal(c->policy.mode, MODE_MONITOR);
	assert_string_equal(c->milter.socket, "unix:/var/spool/postfix/fwdguard/fwdguard.sock");
	assert_string_equal(c->milter.user, "fwdguard");
	assert_int_equal(c->milter.on_error, ACTION_TEMPFAIL);
	assert_int_equal(c->log.facility, LOG_MAIL);
	assert_int_equal(c->log.level, LOG_INFO);
	assert_non_null(c->policy.internal);
	assert_int_equal(domain_list_count(c->policy.internal), 0);
	assert_int_equal(c->policy.nprotected, 0);
	assert_string_equal(c->policy.delimiters, "");
	assert_int_equal(c->policy.nallow, 0);
	assert_int_equal(c->policy.nrules, 0);
	assert_null(c->ldap.uri);
	assert_string_equal(c->ldap.mailbox_filter, "(|(mail=%s)(mailAlternateAddress=%s))");
	assert_int_equal(c->ldap.nforward_attributes, 2);
	assert_string_equal(c->ldap.forward_attributes[0], "mailForwardingAddress");
	assert_true(c->ldap.timeout == 2.0);
	assert_int_equal(c->ldap.cache_ttl, 300);
	assert_int_equal(c->ldap.cache_negative_ttl, 60);
	assert_string_equal(c->redis.address, "127.0.0.1:6379");
	assert_string_equal(c->redis.prefix, "fwdguard:");
	assert_true(c->redis.timeout == 1.0);
	assert_int_equal(c->redis.min_replicas, 0);
	assert_true(c->redis.replica_timeout == 0.5);
	assert_int_equal(c->audit.scope, SCOPE_PROTECTED);
	assert_string_equal(c->audit.spool, "/var/spool/fwdguard");
	assert_int_equal(c->audit.stream_maxlen, 10000000);
	assert_int_equal(c->audit.correlation_ttl, 2592000);
	assert_int_equal(c->audit.retention, 0);
	assert_int_equal(c->audit.correlation_on_error, ACTION_ACCEPT);
	assert_null(c->probes_from);
	assert_true(c->alerts.syslog);
	assert_null(c->alerts.mail_to);
	assert_string_equal(c->alerts.sendmail, "/usr/sbin/sendmail");
	assert_int_equal(c->alerts.dedupe_window, 3600);
	cfg_unref(c);
}

/* ---- every default fwdguard.yaml(5) states ------------------------------------ */

static int default_bad;

static void
default_str(const char *key, const char *got, const char *want)
{
	if (got == NULL || strcmp(got, want) != 0) {
		print_message("  %s: got '%s', want '%s' (fwdguard.yaml(5))\n", key,
		    got != NULL ? got : "(null)", want);
		default_bad++;
	}
}

static void
default_num(const char *key, double got, double want)
{
	if (got != want) {
		print_message("  %s: got %g, want %g (fwdguard.yaml(5))\n", key, got, want);
		default_bad++;
	}
}

/*
 * A file that sets nothing (a section left empty keeps its defaults) must
 * give each default the man page states: the defaults live in the key
 * table's rows (milter/config/cfg_keys.c), so a default moved to the wrong
 * row, spelled wrong or refused by its own setter shows here, key by key.
 * Each row is one "Default ..." of man/fwdguard.yaml.5.
 */
static void
test_defaults_as_documented(void **state)
{
	struct cfg *c = load_ok("log:\n");
	const struct cfg_route *r;

	(void)state;
	default_bad = 0;
	default_str("milter.socket", c->milter.socket, "unix:/var/spool/postfix/fwdguard/fwdguard.sock");
	default_str("milter.user", c->milter.user, "fwdguard");
	default_str("milter.on_error", action_name(c->milter.on_error), "tempfail");
	default_num("milter.no_reply (auto)", c->milter.no_reply, NO_REPLY_AUTO);
	default_str("mode", mode_name(c->policy.mode), "enforce");
	default_num("log.facility (mail)", c->log.facility, LOG_MAIL);
	default_num("log.level (info)", c->log.level, LOG_INFO);
	default_num("ldap.starttls (false)", c->ldap.starttls, false);
	default_str("ldap.mailbox_filter", c->ldap.mailbox_filter,
	    "(|(mail=%s)(mailAlternateAddress=%s))");
	default_num("ldap.forward_attributes (count)", (double)c->ldap.nforward_attributes, 2);
	default_str("ldap.forward_attributes[0]", c->ldap.forward_attributes[0], "mailForwardingAddress");
	default_str("ldap.forward_attributes[1]", c->ldap.forward_attributes[1], "mailRoutingAddress");
	default_num("ldap.address_attributes (count)", (double)c->ldap.naddress_attributes, 4);
	default_str("ldap.address_attributes[0]", c->ldap.address_attributes[0], "mail");
	default_str("ldap.address_attributes[1]", c->ldap.address_attributes[1], "mailLocalAddress");
	default_str("ldap.address_attributes[2]", c->ldap.address_attributes[2], "mailAlternateAddress");
	default_str("ldap.address_attributes[3]", c->ldap.address_attributes[3], "proxyAddresses");
	default_num("ldap.timeout", c->ldap.timeout, 2);
	default_num("ldap.cache.ttl", c->ldap.cache_ttl, 300);
	default_num("ldap.cache.negative_ttl", c->ldap.cache_negative_ttl, 60);
	default_str("ldap.on_error", action_name(c->ldap.on_error), "tempfail");
	default_num("ldap.watch.mode (auto)", c->ldap.watch_mode, WATCH_AUTO);
	default_num("ldap.watch.poll_interval", c->ldap.watch_poll_interval, 60);
	default_num("ldap.watch.rescan_interval", c->ldap.watch_rescan_interval, 3600);
	default_str("ldap.watch.alert", alert_level_name(c->ldap.watch_alert), "critical");
	default_str("redis.address", c->redis.address, "127.0.0.1:6379");
	default_num("redis.sentinels (none)", (double)c->redis.nsentinels, 0);
	default_str("redis.master_name", c->redis.master_name, "fwdguard");
	default_str("redis.prefix", c->redis.prefix, "fwdguard:");
	default_num("redis.timeout", c->redis.timeout, 1);
	default_num("redis.min_replicas", c->redis.min_replicas, 0);
	default_num("redis.replica_timeout", c->redis.replica_timeout, 0.5);
	default_num("audit.scope (protected)", c->audit.scope, SCOPE_PROTECTED);
	default_str("audit.spool", c->audit.spool, "/var/spool/fwdguard");
	default_num("audit.stream_maxlen", (double)c->audit.stream_maxlen, 10000000);
	default_num("audit.correlation_ttl", (double)c->audit.correlation_ttl, 2592000);
	default_num("audit.retention", c->audit.retention, 0);
	default_num("audit.anchor_interval", c->audit.anchor_interval, 3600);
	default_str("audit.correlation_on_error", action_name(c->audit.correlation_on_error),
	    "accept");
	default_num("alerts.syslog (true)", c->alerts.syslog, true);
	default_str("alerts.mail.sendmail", c->alerts.sendmail, "/usr/sbin/sendmail");
	default_num("alerts.dedupe_window", c->alerts.dedupe_window, 3600);
	default_num("alerts.expiry_notice_days", c->alerts.expiry_notice_days, 14);
	cfg_unref(c);

	c = load_ok("alerts:\n  routes:\n    - name: r\n      webhook:\n        url: https://hook.example/x\n");
	r = &c->alerts.routes[0];
	default_num("alerts.routes[].webhook.format (json)", r->webhook.format, WEBHOOK_JSON);
	default_num("alerts.routes[].webhook.timeout", r->webhook.timeout, 5);
	cfg_unref(c);
	if (default_bad > 0)
		fail_msg("%d defaults differ from fwdguard.yaml(5)", default_bad);
}

static void
test_watch_lands(void **state)
{
	struct cfg *c = load_ok("ldap:\n  uri: ldap://127.0.0.1\n  base: dc=x\n"
	    "  watch: { mode: poll, poll_interval: 7, rescan_interval: 0, spool: /var/w, "
	    "alert: warning }\n");
	struct cfg *d = load_ok("mode: enforce\n");

	(void)state;
	assert_int_equal(c->ldap.watch_mode, WATCH_POLL);
	assert_int_equal(c->ldap.watch_poll_interval, 7);
	assert_int_equal(c->ldap.watch_rescan_interval, 0);
	assert_string_equal(c->ldap.watch_spool, "/var/w");
	assert_int_equal(c->ldap.watch_alert, ALERT_WARNING);
	assert_int_equal(d->ldap.watch_mode, WATCH_AUTO);
	assert_int_equal(d->ldap.watch_poll_interval, 60);
	assert_int_equal(d->ldap.watch_rescan_interval, 3600);
	assert_null(d->ldap.watch_spool);
	assert_int_equal(d->ldap.watch_alert, ALERT_CRITICAL);
	cfg_unref(c);
	cfg_unref(d);
}

static void
test_retention_lands(void **state)
{
	struct cfg *c = load_ok("audit:\n  retention: 90\n");

	(void)state;
	assert_int_equal(c->audit.retention, 90);
	cfg_unref(c);
}

static void
test_rule_defaults(void **state)
{
	struct cfg *c = load_ok(RULE_HEAD "    action: flag\n");

	(void)state;
	assert_int_equal(c->policy.nrules, 1);
	assert_int_equal(c->policy.rules[0].mode, -1);
	assert_int_equal(c->policy.rules[0].alert, ALERT_NONE);
	assert_null(c->policy.rules[0].reply);
	assert_int_equal(c->policy.rules[0].signals, 0);
	assert_int_equal(c->policy.rules[0].destinations, 0);
	assert_int_equal(c->policy.rules[0].directions, 0);
	cfg_unref(c);
}

/*
 * Configured addresses are kept whole (lower-cased): a protected or allowed
 * address with an extension is that address, not the one without it
 * (README.md "Recipient delimiters"), wherever the delimiter key comes.
 */
static void
test_protected_canonical_whole(void **state)
{
	struct cfg *c = load_ok("mailboxes:\n"
	    "  protected: [\"Support+x@Corp.Example.\", \"\\\"hr\\\"@corp.example\", support@corp.example,\n"
	    "              Customer-Service@corp.example]\n"
	    "  recipient_delimiter: \"+-\"\n"
	    "allow:\n  - destination: Vendor-X@Helpdesk.Example\n    reason: r\n    owner: o\n"
	    "    mailboxes: [\"customer-service@corp.example\"]\n"
	    "  - destination: \"*.Partner.Example\"\n    reason: r\n    owner: o\n");

	(void)state;
	assert_string_equal(c->policy.delimiters, "+-");
	assert_int_equal(c->policy.nprotected, 4);
	assert_string_equal(c->policy.protected[0], "customer-service@corp.example");
	assert_string_equal(c->policy.protected[1], "hr@corp.example");
	assert_string_equal(c->policy.protected[2], "support+x@corp.example");
	assert_string_equal(c->policy.protected[3], "support@corp.example");
	assert_string_equal(c->policy.allow[0].destination, "vendor-x@helpdesk.example");
	assert_string_equal(c->policy.allow[0].mailboxes[0], "customer-service@corp.example");
	assert_string_equal(c->policy.allow[1].destination, "*.partner.example");
	assert_int_equal(c->policy.allow[1].nmailboxes, 0);
	assert_int_equal(c->policy.allow[1].expires_at, 0);
	cfg_unref(c);
}

/* ldap.address_attributes: the default list, and one of the operator's. */
static void
test_ldap_address_attributes(void **state)
{
	struct cfg *c = load_ok("ldap:\n  uri: ldap://127.0.0.1:389\n  base: dc=corp\n");
	struct cfg *o = load_ok("ldap:\n  uri: ldap://127.0.0.1:389\n  base: dc=corp\n"
	    "  address_attributes: [mail, otherMailbox]\n");

	(void)state;
	assert_int_equal(c->ldap.naddress_attributes, 4);
	assert_string_equal(c->ldap.address_attributes[0], "mail");
	assert_string_equal(c->ldap.address_attributes[1], "mailLocalAddress");
	assert_string_equal(c->ldap.address_attributes[2], "mailAlternateAddress");
	assert_string_equal(c->ldap.address_attributes[3], "proxyAddresses");
	assert_int_equal(o->ldap.naddress_attributes, 2);
	assert_string_equal(o->ldap.address_attributes[1], "otherMailbox");
	cfg_unref(c);
	cfg_unref(o);
}

static void
test_expires_end_of_year(void **state)
{
	struct cfg *c = load_ok("allow:\n  - destination: v.example\n    reason: r\n    owner: o\n"
	    "    expires: \"2024-12-31\"\n");

	(void)state;
	assert_int_equal(c->policy.allow[0].expires_at, 1735689600);	/* 2025-01-01T00:00:00Z */
	cfg_unref(c);
}

static void
test_refcount_and_current(void **state)
{
	struct cfg *a = load_ok("mode: enforce\n");
	struct cfg *b = load_ok("mode: monitor\n");
	struct cfg *cur;

	(void)state;
	assert_null(cfg_current());
	assert_ptr_equal(cfg_ref(a), a);	/* a: 2 references */
	cfg_current_set(a);			/* the current slot takes one */
	cur = cfg_current();
	assert_ptr_equal(cur, a);
	cfg_unref(cur);
	cfg_current_set(b);			/* drops the slot's reference to a */
	cur = cfg_current();
	assert_ptr_equal(cur, b);
	assert_int_equal(cur->policy.mode, MODE_MONITOR);
	cfg_unref(cur);
	assert_int_equal(a->policy.mode, MODE_ENFORCE);	/* still held by us */
	cfg_unref(a);
	cfg_current_set(NULL);
	assert_null(cfg_current());
	cfg_unref(NULL);
}

static void *
reader_thread(void *arg)
{
	long *seen = arg;
	int i;

	for (i = 0; i < 20000; i++) {
		struct cfg *c = cfg_current();

		/* Reading through the reference must stay valid while swaps go on. */
		if (c != NULL && c->policy.nrules == 1 && c->policy.rules[0].name[0] == 'r')
			(*seen)++;
		cfg_unref(c);
	}
	return NULL;
}

/* Run under valgrind or ASan, a reference dropped too early shows up here. */
static void
test_current_swapped_while_read(void **state)
{
	pthread_t t[4];
	long seen[4] = { 0, 0, 0, 0 };
	int i;

	(void)state;
	cfg_current_set(load_ok(RULE_HEAD "    action: flag\n"));
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader_thread, &seen[i]), 0);
	for (i = 0; i < 200; i++)
		cfg_current_set(load_ok(RULE_HEAD "    action: flag\n"));
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(seen[i], 20000);
	cfg_current_set(NULL);
}

static void
test_missing_file_reported(void **state)
{
	struct errs e = { .n = 0 };

	(void)state;
	assert_null(cfg_load("/nonexistent/fwdguard.yaml", collect, &e));
	assert_int_equal(e.n, 1);
	assert_string_equal(e.lines[0], "/nonexistent/fwdguard.yaml: cannot open: No such file or directory");
}

static void
test_digest_is_sha256_of_bytes(void **state)
{
	const char *yaml = "mode: enforce\n";
	struct cfg *c = load_ok(yaml);
	char want[65];

	(void)state;
	sha256_hex(yaml, strlen(yaml), want);
	assert_string_equal(c->digest, want);
	cfg_unref(c);
}

static void
test_sha256_vectors(void **state)
{
	static const struct {
		const char *name, *in, *want;
	} cases[] = {
		{ "empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "two blocks", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	struct sha256 s;
	unsigned char d[32];
	char got[65];
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sha256_hex(cases[i].in, strlen(cases[i].in), got);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%s: got %s, want %s", cases[i].name, got, cases[i].want);
	}
	/* A million 'a's fed in odd-sized pieces crosses every buffer edge. */
	sha256_init(&s);
	for (k = 0; k < 1000000 / 1000; k++) {
		char chunk[1000];

		memset(chunk, 'a', sizeof(chunk));
		sha256_update(&s, chunk, 7);
		sha256_update(&s, chunk, 993);
	}
	sha256_final(&s, d);
	for (k = 0; k < 32; k++)
		snprintf(got + 2 * k, 3, "%02x", d[k]);
	assert_string_equal(got, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_table),
		cmocka_unit_test(test_every_error_reported_in_file_order),
		cmocka_unit_test(test_oversize_file_refused),
		cmocka_unit_test(test_over_deep_file_refused),
		cmocka_unit_test(test_design_example_lands),
		cmocka_unit_test(test_sample_config_loads),
		cmocka_unit_test(test_sample_config_rolls_out_in_monitor),
		cmocka_unit_test(test_host_checks),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_defaults_as_documented),
		cmocka_unit_test(test_retention_lands),
		cmocka_unit_test(test_watch_lands),
		cmocka_unit_test(test_rule_defaults),
		cmocka_unit_test(test_protected_canonical_whole),
		cmocka_unit_test(test_ldap_address_attributes),
		cmocka_unit_test(test_expires_end_of_year),
		cmocka_unit_test(test_refcount_and_current),
		cmocka_unit_test(test_current_swapped_while_read),
		cmocka_unit_test(test_missing_file_reported),
		cmocka_unit_test(test_digest_is_sha256_of_bytes),
		cmocka_unit_test(test_sha256_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
