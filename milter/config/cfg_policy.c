/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_policy.c - the setters of the keys that make up struct policy
 * (README.md "Configuration"): recipient delimiter, protected mailboxes, internal
 * domains, the allow list and the rules.  They run in the order of the key
 * table (milter/config/cfg_keys.c), so each may rely on the ones before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "cfg_loader.h"
#include "cfg_policy.h"
#include "cfg_types.h"
#include "domain.h"
#include "policy.h"
#include "signals.h"

#define CFG_REPLY_MAX	400	/* leaves room for the code and the expanded id in 512 */

static const char *cfg_dest_name(int i) { return destination_name((enum destination)i); }
static const char *cfg_dir_name(int i) { return direction_name((enum direction)i); }
static const char *cfg_sender_name(int i) { return sender_kind_name((enum sender_kind)i); }
static const char *cfg_signal_name(int i) { return signal_name((enum fg_signal)i); }

/*
 * Parses a single mailbox address and writes its comparison form into out:
 * the whole address, lower-cased (README.md "Recipient delimiters": a
 * protected customer-service@ is not customer@, an exception for partner@
 * is not one for partner-exfil@).  Returns 0, or -1 after reporting.
 * Routed forms are refused: they never name a mailbox.
 */
int
cfg_mailbox(struct cfg_loader *l, const struct cfg_node *n, const char *path,
    char *out, size_t size)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "an address");
	struct address a;
	enum address_status st;

	if (s == NULL)
		return -1;
	cfg_show(s, n->len, shown);
	st = address_parse(s, n->len, &a);
	if (st != ADDRESS_OK)
		cfg_report(l, n, path, "invalid address '%s': %s", shown, address_status_str(st));
	else if (a.flags & ADDRESS_UNQUALIFIED)
		cfg_report(l, n, path, "address '%s' has no domain", shown);
	else if (a.nhops != 1)
		cfg_report(l, n, path, "address '%s' is routed through other domains", shown);
	else if (address_canonical(&a, NULL, out, size) < 0)
		cfg_report(l, n, path, "address '%s' is too long", shown);
	else
		return 0;
	return -1;
}

void
cfg_set_address(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char canonical[ADDRESS_CANONICAL_MAX + 1];

	if (cfg_mailbox(l, n, path, canonical, sizeof(canonical)) == 0)
		cfg_replace(l, FIELD(base, k, char *), n->text);
}

void
cfg_set_delimiter(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "delimiter characters");
	char *field = FIELD(base, k, char);
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] > 0x7e || strchr("@\" \\", s[i]) != NULL ||
		    strchr(s + i + 1, s[i]) != NULL)
			break;
	if (s[i] != '\0' || i >= sizeof(((struct policy *)0)->delimiters))
		cfg_report(l, n, path,
		    "invalid delimiters '%s' (want distinct ASCII characters, not @, quote, blank or backslash)",
		    cfg_show(s, n->len, shown));
	else
		memcpy(field, s, i + 1);
}

static int
cfg_strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
cfg_protected_item(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *item,
    const char *path)
{
	char canonical[ADDRESS_CANONICAL_MAX + 1];

	(void)k;
	return cfg_mailbox(l, item, path, canonical, sizeof(canonical)) == 0 ?
	    cfg_strdup(l, canonical) : NULL;
}

/* Kept sorted and unique, so membership is a bsearch. */
void
cfg_set_protected(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char **v;
	size_t *count = (size_t *)(void *)((char *)base + k->count), i, nu = 0;

	if (cfg_strv_set(l, k, n, path, base, false, NULL, cfg_protected_item) < 0)
		return;
	v = *FIELD(base, k, char **);
	qsort(v, *count, sizeof(*v), cfg_strcmp_ptr);
	for (i = 0; i < *count; i++) {
		if (nu > 0 && strcmp(v[nu - 1], v[i]) == 0)
			free(v[i]);
		else
			v[nu++] = v[i];
	}
	v[nu] = NULL;
	*count = nu;
}

void
cfg_set_domains(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char ipath[CFG_PATH_MAX], shown[CFG_SHOW_MAX + 8], why[128];
	struct domain_list *list = *FIELD(base, k, struct domain_list *);
	struct cfg_node *const *items;
	size_t count, i;
	const char *s;

	if (list == NULL || cfg_items(l, &n, path, false, &items, &count) < 0)
		return;
	for (i = 0; i < count; i++) {
		cfg_path_index(ipath, sizeof(ipath), path, i);
		if (items[i]->kind == CFG_NODE_BAD || (s = cfg_text(l, items[i], ipath, "a domain")) == NULL)
			continue;
		why[0] = '\0';
		if (domain_list_add(list, s, why, sizeof(why)) < 0)
			cfg_report(l, items[i], ipath, "invalid domain '%s': %s",
			    cfg_show(s, items[i]->len, shown), why[0] ? why : "invalid domain");
	}
}

/* ---- allow ------------------------------------------------------------------------ */

/* "domain", "*.domain" or a full address, normalized; never an internal one. */
void
cfg_set_allow_dest(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8], why[128], canonical[ADDRESS_CANONICAL_MAX + 1];
	const struct domain_list *internal = l->cfg->policy.internal;
	const char *s = cfg_text(l, n, path, "a destination"), *dom;
	struct domain_list *one;

	if (s == NULL)
		return;
	cfg_show(s, n->len, shown);
	if (strchr(s, '@') != NULL) {
		if (cfg_mailbox(l, n, path, canonical, sizeof(canonical)) < 0)
			return;
		dom = strrchr(canonical, '@') + 1;
		if (internal != NULL && domain_list_match(internal, dom))
			cfg_report(l, n, path, "'%s' is in an internal domain (allow lists external ones)",
			    shown);
		else
			cfg_replace(l, FIELD(base, k, char *), canonical);
		return;
	}
	/* A one-item list normalizes exactly as domains.internal does. */
	if ((one = domain_list_new()) == NULL) {
		l->nomem = true;
		return;
	}
	why[0] = '\0';
	if (domain_list_add(one, s, why, sizeof(why)) < 0)
		cfg_report(l, n, path, "invalid destination '%s': %s", shown,
		    why[0] ? why : "invalid domain");
	else if (internal != NULL && domain_list_match(internal, domain_list_get(one, 0)))
		cfg_report(l, n, path, "'%s' is an internal domain (allow lists external ones)", shown);
	else
		cfg_replace(l, FIELD(base, k, char *), domain_list_get(one, 0));
	domain_list_free(one);
}

bool
cfg_is_protected(const struct policy *p, const char *canonical)
{
	return p->protected != NULL && bsearch(&canonical, p->protected, p->nprotected,
	    sizeof(*p->protected), cfg_strcmp_ptr) != NULL;
}

/*
 * Must name protected mailboxes; when the directory also supplies them
 * (ldap.protected_filter) an address missing from the YAML list may be one
 * (allow[].mailboxes, alerts.routes[].match.mailboxes).
 */
char *
cfg_protected_mailbox(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *item,
    const char *path)
{
	char canonical[ADDRESS_CANONICAL_MAX + 1], shown[CFG_SHOW_MAX + 8];

	(void)k;
	if (cfg_mailbox(l, item, path, canonical, sizeof(canonical)) < 0)
		return NULL;
	if (l->cfg->ldap.protected_filter == NULL && !cfg_is_protected(&l->cfg->policy, canonical)) {
		cfg_report(l, item, path, "'%s' is not a protected mailbox",
		    cfg_show(item->text, item->len, shown));
		return NULL;
	}
	return cfg_strdup(l, canonical);
}

void
cfg_set_allow_mailboxes(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	(void)cfg_strv_set(l, k, n, path, base, true,
	    "must not be empty (omit it to cover every protected mailbox)", cfg_protected_mailbox);
}

static int
cfg_days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* YYYY-MM-DD; expires_at is the first second of the next day, UTC. */
void
cfg_set_expires(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	struct policy_allow *a = base;
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "a date");
	int y, m, d;
	struct tm tm;

	if (s == NULL)
		return;
	if (n->len != 10 || strspn(s, "0123456789") != 4 || s[4] != '-' ||
	    strspn(s + 5, "0123456789") != 2 || s[7] != '-' || strspn(s + 8, "0123456789") != 2) {
		cfg_report(l, n, path, "invalid date '%s' (want YYYY-MM-DD)", cfg_show(s, n->len, shown));
		return;
	}
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > cfg_days_in_month(y, m)) {
		cfg_report(l, n, path, "invalid date '%s' (no such day)", cfg_show(s, n->len, shown));
		return;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d + 1;	/* timegm carries into the next month or year */
	cfg_replace(l, FIELD(base, k, char *), s);
	a->expires_at = timegm(&tm);
}

/* ---- rules ------------------------------------------------------------------------ */

/* Unset marks: the reply check waits for the action, the mode follows the file's. */
void
cfg_rule_init(void *item)
{
	struct policy_rule *r = item;

	r->mode = -1;
	r->alert = ALERT_NONE;
	r->action = (enum action)-1;
}

void
cfg_rule_done(struct cfg_loader *l, void *items, size_t i, struct cfg_node *const *nodes,
    const char *ipath)
{
	struct policy_rule *rules = items, *r = &rules[i];
	char npath[CFG_PATH_MAX + 8], shown[CFG_SHOW_MAX + 8];
	size_t j;

	if (r->action == (enum action)-1)
		r->action = ACTION_ACCEPT;
	for (j = 0; r->name != NULL && j < i; j++)
		if (rules[j].name != NULL && strcmp(rules[j].name, r->name) == 0) {
			const struct cfg_node *first = cfg_yaml_get(nodes[j], "name");

			snprintf(npath, sizeof(npath), "%s.name", ipath);
			cfg_report(l, cfg_yaml_get(nodes[i], "name"), npath,
			    "duplicate rule name '%s' (first at %d:%d)",
			    cfg_show(r->name, strlen(r->name), shown), first->line, first->col);
			break;
		}
}

/* The index of s among name(0..last), or -1: the policy's names are matched exactly. */
static int
cfg_name_index(const char *s, const char *(*name)(int), int last)
{
	for (int i = 0; i <= last; i++)
		if (name(i) != NULL && strcmp(name(i), s) == 0)
			return i;
	return -1;
}

/*
 * One name or a non-empty list of names, as a mask of 1 << the name's
 * index (SIGNAL_BIT, DEST_BIT, DIR_BIT, SENDER_BIT); 0 after reporting.
 */
static unsigned
cfg_names(struct cfg_loader *l, const struct cfg_node *n, const char *path, const char *what,
    const char *(*name)(int), int last)
{
	char ipath[CFG_PATH_MAX], shown[CFG_SHOW_MAX + 8], want[512];
	struct cfg_node *const *items;
	size_t count, i;
	unsigned mask = 0;
	const char *s;
	bool bad = false;
	int bit;

	if (cfg_items(l, &n, path, true, &items, &count) < 0)
		return 0;
	if (count == 0) {
		cfg_report(l, n, path, "must not be empty (omit it to match any %s)", what);
		return 0;
	}
	for (i = 0; i < count; i++) {
		cfg_path_index(ipath, sizeof(ipath), path, i);
		if (items[i]->kind == CFG_NODE_BAD || (s = cfg_text(l, items[i], ipath, what)) == NULL) {
			bad = true;
		} else if ((bit = cfg_name_index(s, name, last)) < 0) {
			cfg_report(l, items[i], ipath, "unknown %s '%s' (want %s)", what,
			    cfg_show(s, items[i]->len, shown),
			    cfg_want(want, sizeof(want), name, 0, last, -1));
			bad = true;
		} else
			mask |= 1u << bit;
	}
	return bad ? 0 : mask;
}

void
cfg_set_signals(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	*FIELD(base, k, signal_set) = cfg_names(l, n, path, "signal",
	    cfg_signal_name, SIGNAL_COUNT - 1);
}

void
cfg_set_dests(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	*FIELD(base, k, unsigned) = cfg_names(l, n, path, "destination",
	    cfg_dest_name, DEST_ALLOWED);
}

void
cfg_set_dirs(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	*FIELD(base, k, unsigned) = cfg_names(l, n, path, "direction",
	    cfg_dir_name, DIR_INTERNAL);
}

void
cfg_set_senders(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	*FIELD(base, k, unsigned) = cfg_names(l, n, path, "sender",
	    cfg_sender_name, SENDER_EXTERNAL);
}

/*
 * An SMTP reply text: starts with an enhanced status code (RFC 3463) whose
 * class agrees with the action (5 for reject, 4 for tempfail), printable
 * ASCII, and '%' only in the %{id} placeholder, since libmilter and the MTA
 * give '%' meanings of their own.
 */
void
cfg_set_reply(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	const struct policy_rule *r = base;
	const char *s = cfg_text(l, n, path, "a reply text"), *p;
	size_t sub = 0, det = 0;
	char want;

	if (s == NULL)
		return;
	/* Each part is scanned only once the text is known to reach it. */
	bool class = (s[0] == '4' || s[0] == '5') && s[1] == '.';
	if (class)
		sub = strspn(s + 2, "0123456789");
	if (sub > 0 && s[2 + sub] == '.')
		det = strspn(s + 3 + sub, "0123456789");
	if (!class || sub < 1 || sub > 3 || det < 1 || det > 3 ||
	    (s[3 + sub + det] != ' ' && s[3 + sub + det] != '\0')) {
		cfg_report(l, n, path, "must start with an enhanced status code like 5.7.1 or 4.7.1");
		return;
	}
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p > 0x7e || (*p == '%' && strncmp(p, "%{id}", 5) != 0))
			break;
	want = r->action == ACTION_REJECT ? '5' : r->action == ACTION_TEMPFAIL ? '4' : 0;
	if (*p != '\0')
		cfg_report(l, n, path, "must be printable ASCII with %% only in %%{id}");
	else if (n->len > CFG_REPLY_MAX)
		cfg_report(l, n, path, "longer than %d characters", CFG_REPLY_MAX);
	else if (r->action == (enum action)-1)
		return;
	else if (want == 0)
		cfg_report(l, n, path, "a reply is only sent with action reject or tempfail, not %s",
		    action_name(r->action));
	else if (s[0] != want)
		cfg_report(l, n, path, "code %c.x.x does not fit action %s (want %c.x.x)", s[0],
		    action_name(r->action), want);
	else
		cfg_replace(l, FIELD(base, k, char *), s);
}

