/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_alert_route.c - alerts.routes: what the loader accepts and refuses
 * (milter/config/cfg_alerts.c), which alerts a route takes (milter/config/alert_route.c),
 * and that each route's channels keep delivery and dedupe state apart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert_route.h"
#include "cfg.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))
#define MAX_LINES	16

struct errs {
	char lines[MAX_LINES][512];
	int n;
};

static void collect(void *ctx, const char *line)
{
	struct errs *e = ctx;
	if (e->n < MAX_LINES)
		snprintf(e->lines[e->n], sizeof(e->lines[0]), "%s", line);
	e->n++;
}

#define HEAD \
	"mailboxes:\n  protected: [support@corp.example, hr@corp.example]\n" \
	"rules:\n  - name: forwarded-copy\n    action: reject\n    alert: critical\n" \
	"alerts:\n  mail: { to: security@corp.example, from: fwdguard@corp.example }\n"
#define LDAP "ldap: { uri: \"ldap://127.0.0.1:389\", base: \"dc=corp,dc=example\" }\n"

static const struct {
	const char *name;
	const char *yaml;
	const char *want;	/* NULL: loads; else a substring of an error line */
} cfg_cases[] = {
	{ "a route with mail and webhook loads", LDAP HEAD
	    "  routes:\n    - name: hr\n"
	    "      match: { mailboxes: [\"group:cn=hr,ou=groups,dc=corp,dc=example\", hr@corp.example],"
	    " levels: [critical, warning], rules: [forwarded-copy, allow-expiry] }\n"
	    "      mail: { to: [hr-lead@corp.example, hr-team@corp.example] }\n"
	    "      webhook: { url: \"https://chat.corp.example/hooks/x\", format: slack, timeout: 2 }\n",
	    NULL },
	{ "one address as mail.to loads", HEAD
	    "  routes:\n    - name: cs\n      mail: { to: cs@corp.example }\n", NULL },
	{ "a route delivering nowhere", HEAD "  routes:\n    - name: cs\n",
	    "alerts.routes[0]: route 'cs' delivers nowhere (want mail or webhook)" },
	{ "a route needs a name", HEAD "  routes:\n    - mail: { to: cs@corp.example }\n",
	    "alerts.routes[0]: missing required key 'name'" },
	{ "duplicate route names", HEAD "  routes:\n    - name: cs\n      mail: { to: a@corp.example }\n"
	    "    - name: cs\n      mail: { to: b@corp.example }\n",
	    "alerts.routes[1].name: duplicate route name 'cs'" },
	{ "a route name with a colon", HEAD "  routes:\n    - name: \"a:b\"\n      mail: { to: a@corp.example }\n",
	    "alerts.routes[0].name: invalid name 'a:b'" },
	{ "an unknown rule", HEAD "  routes:\n    - name: cs\n      match: { rules: [forwarded-cpy] }\n"
	    "      mail: { to: a@corp.example }\n",
	    "t.yaml:11:24: alerts.routes[0].match.rules: no rule named 'forwarded-cpy'" },
	{ "an unknown level", HEAD "  routes:\n    - name: cs\n      match: { levels: [loud] }\n"
	    "      mail: { to: a@corp.example }\n",
	    "alerts.routes[0].match.levels[0]: unknown alert level 'loud' (want info|warning|critical)" },
	{ "level none is no level", HEAD "  routes:\n    - name: cs\n      match: { levels: none }\n"
	    "      mail: { to: a@corp.example }\n", "unknown alert level 'none'" },
	{ "an unprotected mailbox", HEAD "  routes:\n    - name: cs\n"
	    "      match: { mailboxes: [sales@corp.example] }\n      mail: { to: a@corp.example }\n",
	    "alerts.routes[0].match.mailboxes[0]: 'sales@corp.example' is not a protected mailbox" },
	{ "a group without the directory", HEAD "  routes:\n    - name: hr\n"
	    "      match: { mailboxes: [\"group:cn=hr,dc=corp,dc=example\"] }\n      mail: { to: a@corp.example }\n",
	    "needs the directory (ldap.uri)" },
	{ "a group that is no DN", LDAP HEAD "  routes:\n    - name: hr\n"
	    "      match: { mailboxes: [\"group:hr\"] }\n      mail: { to: a@corp.example }\n",
	    "invalid group 'group:hr' (want group:<DN>" },
	{ "an empty mailbox list", HEAD "  routes:\n    - name: cs\n      match: { mailboxes: [] }\n"
	    "      mail: { to: a@corp.example }\n", "must not be empty (omit it to match any mailbox)" },
	{ "mail.to not an address", HEAD "  routes:\n    - name: cs\n      mail: { to: [\"not an address\"] }\n",
	    "alerts.routes[0].mail.to[0]: invalid address" },
	{ "route mail needs alerts.mail.from",
	    "alerts:\n  routes:\n    - name: cs\n      mail: { to: a@corp.example }\n",
	    "route mail needs the sender alerts.mail.from" },
	{ "a webhook needs a url", HEAD "  routes:\n    - name: w\n      webhook: { format: json }\n",
	    "alerts.routes[0].webhook: missing required key 'url'" },
	{ "a webhook url must be http(s)", HEAD "  routes:\n    - name: w\n      webhook: { url: \"ftp://x/\" }\n",
	    "alerts.routes[0].webhook.url: invalid URL 'ftp://x/'" },
	{ "an unknown webhook format", HEAD "  routes:\n    - name: w\n"
	    "      webhook: { url: \"http://127.0.0.1/\", format: teams }\n",
	    "alerts.routes[0].webhook.format: unknown format 'teams' (want json|slack)" },
	{ "a secret never sits in the YAML", HEAD "  routes:\n    - name: w\n"
	    "      webhook: { url: \"http://127.0.0.1/\", headers: { Authorization: x } }\n",
	    "alerts.routes[0].webhook.headers: unknown key (want url|url_file|format|timeout|headers_file)" },
	{ "a webhook URL in the YAML or in url_file, not both", HEAD "  routes:\n    - name: w\n"
	    "      webhook: { url: \"http://127.0.0.1/\", url_file: /etc/fwdguard/w.url }\n",
	    "alerts.routes[0].webhook: url and url_file are both set (keep one)" },
	{ "an empty webhook section", HEAD "  routes:\n    - name: w\n      webhook:\n",
	    "alerts.routes[0].webhook: missing required key 'url'" },
	{ "a null webhook section beside mail", HEAD "  routes:\n    - name: w\n      webhook: ~\n"
	    "      mail: { to: a@corp.example }\n",
	    "alerts.routes[0].webhook: missing required key 'url'" },
	{ "url_file must be absolute", HEAD "  routes:\n    - name: w\n"
	    "      webhook: { url_file: w.url }\n",
	    "'w.url' is not an absolute path" },
	{ "headers_file must be absolute", HEAD "  routes:\n    - name: w\n"
	    "      webhook: { url: \"http://127.0.0.1/\", headers_file: hook.secret }\n",
	    "'hook.secret' is not an absolute path" },
	{ "expiry_notice_days out of range", "alerts:\n  expiry_notice_days: 5000\n",
	    "alerts.expiry_notice_days: 5000 is out of range (0..3660)" },
};

static void test_cfg_routes(void **state)
{
	int bad = 0;
	(void)state;
	for (size_t i = 0; i < NCASES(cfg_cases); i++) {
		struct errs e = { .n = 0 };
		struct cfg *c = cfg_load_buffer("t.yaml", cfg_cases[i].yaml, strlen(cfg_cases[i].yaml),
		    collect, &e);
		bool found = cfg_cases[i].want == NULL;
		for (int k = 0; k < e.n && k < MAX_LINES && !found; k++)
			found = strstr(e.lines[k], cfg_cases[i].want) != NULL;
		if ((c != NULL) != (cfg_cases[i].want == NULL) || !found) {
			print_error("%s: got ok=%d, want %s\n", cfg_cases[i].name, c != NULL,
			    cfg_cases[i].want != NULL ? cfg_cases[i].want : "it to load");
			for (int k = 0; k < e.n && k < MAX_LINES; k++)
				print_error("  got error: %s\n", e.lines[k]);
			bad++;
		}
		cfg_unref(c);
	}
	assert_int_equal(bad, 0);
}

static void test_cfg_route_lands(void **state)
{
	const char *y = LDAP HEAD "  expiry_notice_days: 30\n  routes:\n    - name: hr\n"
	    "      match: { mailboxes: [\"group:cn=hr,dc=corp,dc=example\", HR@Corp.Example], levels: critical }\n"
	    "      mail: { to: hr-team@corp.example }\n"
	    "      webhook: { url: \"http://127.0.0.1:8080/h\", headers_file: /etc/fwdguard/hook }\n";
	struct cfg *c = cfg_load_buffer("t.yaml", y, strlen(y), NULL, NULL);
	(void)state;
	assert_non_null(c);
	assert_int_equal(c->alerts.expiry_notice_days, 30);
	assert_int_equal(c->alerts.nroutes, 1);
	const struct cfg_route *r = &c->alerts.routes[0];
	assert_string_equal(r->name, "hr");
	assert_int_equal(r->nmailboxes, 2);
	assert_string_equal(r->mailboxes[0], "group:cn=hr,dc=corp,dc=example");
	assert_string_equal(r->mailboxes[1], "hr@corp.example");
	assert_int_equal(r->levels, 1u << ALERT_CRITICAL);
	assert_int_equal(r->nmail_to, 1);
	assert_string_equal(r->webhook.url, "http://127.0.0.1:8080/h");
	assert_int_equal(r->webhook.format, WEBHOOK_JSON);
	assert_true(r->webhook.timeout == 5);
	assert_string_equal(r->webhook.headers_file, "/etc/fwdguard/hook");
	assert_null(r->webhook.url_file);
	cfg_unref(c);
	/* The URL kept in a file: the YAML names the file only. */
	y = HEAD "  routes:\n    - name: chat\n"
	    "      webhook: { url_file: /etc/fwdguard/chat.url, format: slack }\n";
	c = cfg_load_buffer("t.yaml", y, strlen(y), NULL, NULL);
	assert_non_null(c);
	assert_null(c->alerts.routes[0].webhook.url);
	assert_string_equal(c->alerts.routes[0].webhook.url_file, "/etc/fwdguard/chat.url");
	cfg_unref(c);
	c = cfg_load_buffer("t.yaml", "mode: enforce\n", 14, NULL, NULL);
	assert_non_null(c);
	assert_int_equal(c->alerts.expiry_notice_days, 14);
	assert_int_equal(c->alerts.nroutes, 0);
	cfg_unref(c);
}

/* ---- matching ---------------------------------------------------------------- */

/* The directory of the tests: hr@ is in cn=hr; cn=down does not answer. */
static enum route_verdict fake_member(void *ctx, const char *dn, const char *mailbox)
{
	int *calls = ctx;
	(*calls)++;
	if (strcmp(dn, "cn=down") == 0)
		return ROUTE_TRYAGAIN;
	return strcmp(dn, "cn=hr") == 0 && strcmp(mailbox, "hr@corp.example") == 0 ?
	    ROUTE_YES : ROUTE_NO;
}

static char *hr_boxes[] = { "group:cn=hr" };
static char *cs_boxes[] = { "customer-service@corp.example" };
static char *down_boxes[] = { "group:cn=down", "legal@corp.example" };
static char *leak_rules[] = { "leak-backscatter" };

static const struct {
	const char *name;
	struct cfg_route route;
	struct route_alert alert;
	enum route_verdict want;
	int want_calls;		/* directory questions asked */
} match_cases[] = {
	{ "no filter takes every alert", { .name = "all" },
	    { "support@corp.example", "info", "x", NULL }, ROUTE_YES, 0 },
	{ "an address takes its mailbox's alerts", { .mailboxes = cs_boxes, .nmailboxes = 1 },
	    { "customer-service@corp.example", "critical", "forwarded-copy", NULL }, ROUTE_YES, 0 },
	{ "addresses compare without case", { .mailboxes = cs_boxes, .nmailboxes = 1 },
	    { "Customer-Service@CORP.example", "critical", "r", NULL }, ROUTE_YES, 0 },
	{ "an address leaves another mailbox's alerts", { .mailboxes = cs_boxes, .nmailboxes = 1 },
	    { "hr@corp.example", "critical", "forwarded-copy", NULL }, ROUTE_NO, 0 },
	{ "a group takes its members' alerts", { .mailboxes = hr_boxes, .nmailboxes = 1 },
	    { "hr@corp.example", "critical", "forwarded-copy", NULL }, ROUTE_YES, 1 },
	{ "a group leaves others' alerts", { .mailboxes = hr_boxes, .nmailboxes = 1 },
	    { "customer-service@corp.example", "critical", "forwarded-copy", NULL }, ROUTE_NO, 1 },
	{ "an alert with no mailbox is no team's", { .mailboxes = hr_boxes, .nmailboxes = 1 },
	    { "", "warning", "body-unexamined", NULL }, ROUTE_NO, 0 },
	{ "a directory that does not answer is try again",
	    { .mailboxes = down_boxes, .nmailboxes = 2 },
	    { "hr@corp.example", "critical", "r", NULL }, ROUTE_TRYAGAIN, 1 },
	{ "an address listed beside a silent group still matches",
	    { .mailboxes = down_boxes, .nmailboxes = 2 },
	    { "legal@corp.example", "critical", "r", NULL }, ROUTE_YES, 0 },
	{ "a level filter", { .levels = 1u << ALERT_CRITICAL },
	    { "support@corp.example", "warning", "r", NULL }, ROUTE_NO, 0 },
	{ "a level filter takes its level", { .levels = 1u << ALERT_CRITICAL | 1u << ALERT_INFO },
	    { "support@corp.example", "info", "r", NULL }, ROUTE_YES, 0 },
	{ "an alert without a level fails a level filter", { .levels = 1u << ALERT_CRITICAL },
	    { "support@corp.example", NULL, "r", NULL }, ROUTE_NO, 0 },
	{ "a rule filter", { .rules = leak_rules, .nrules = 1 },
	    { "support@corp.example", "critical", "forwarded-copy", NULL }, ROUTE_NO, 0 },
	{ "a rule filter takes its rule", { .rules = leak_rules, .nrules = 1 },
	    { "support@corp.example", "critical", "leak-backscatter", NULL }, ROUTE_YES, 0 },
	{ "a rule's notify: names the route: taken whatever the filters say",
	    { .name = "legal", .rules = leak_rules, .nrules = 1, .levels = 1u << ALERT_CRITICAL },
	    { "support@corp.example", "info", "forwarded-copy", "hr,legal" }, ROUTE_YES, 0 },
	{ "notify: naming other routes changes nothing",
	    { .name = "legal", .rules = leak_rules, .nrules = 1 },
	    { "support@corp.example", "critical", "forwarded-copy", "hr,legal-2" }, ROUTE_NO, 0 },
	{ "the directory is not asked when a level already says no",
	    { .mailboxes = hr_boxes, .nmailboxes = 1, .levels = 1u << ALERT_CRITICAL },
	    { "hr@corp.example", "info", "r", NULL }, ROUTE_NO, 0 },
};

static void test_match(void **state)
{
	int bad = 0;
	(void)state;
	for (size_t i = 0; i < NCASES(match_cases); i++) {
		int calls = 0;
		enum route_verdict got = alert_route_match(&match_cases[i].route, &match_cases[i].alert,
		    fake_member, &calls);
		if (got != match_cases[i].want || calls != match_cases[i].want_calls) {
			print_error("%s: got verdict %d after %d question(s), want %d after %d\n",
			    match_cases[i].name, got, calls, match_cases[i].want,
			    match_cases[i].want_calls);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_group_without_directory_waits(void **state)
{
	struct cfg_route r = { .mailboxes = hr_boxes, .nmailboxes = 1 };
	struct route_alert a = { "hr@corp.example", "critical", "r", NULL };
	(void)state;
	assert_int_equal(alert_route_match(&r, &a, NULL, NULL), ROUTE_TRYAGAIN);
}

/* ---- per-route state ------------------------------------------------------------ */

/* Every channel's group and key namespace differ, and none is the security team's. */
static void test_chan_names_apart(void **state)
{
	static const char *const routes[] = { "hr", "hr-team", "cs", "a.b", "relay" };
	static const char *const what[] = { "mail", "webhook" };
	char groups[10][96], ns[10][128];
	size_t n = 0;
	(void)state;
	for (size_t i = 0; i < NCASES(routes); i++)
		for (size_t j = 0; j < 2; j++, n++)
			alert_route_chan_names(routes[i], what[j], groups[n], sizeof(groups[n]), ns[n],
			    sizeof(ns[n]));
	assert_string_equal(groups[0], "relay:hr:mail");
	assert_string_equal(ns[1], "alerts:route:hr:webhook:");
	for (size_t i = 0; i < n; i++) {
		assert_string_not_equal(groups[i], "relay");
		/* The security team's keys: alerts:window:, alerts:pending:, ... */
		assert_true(strncmp(ns[i], "alerts:route:", 13) == 0);
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(groups[i], groups[j]);
			/* No namespace is a prefix of another: no key is shared. */
			assert_false(strncmp(ns[i], ns[j], strlen(ns[j])) == 0);
			assert_false(strncmp(ns[j], ns[i], strlen(ns[i])) == 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_routes),
		cmocka_unit_test(test_cfg_route_lands),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_group_without_directory_waits),
		cmocka_unit_test(test_chan_names_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
