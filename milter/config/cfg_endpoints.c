/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_endpoints.c - the setters for keys that name a peer or a query:
 * the milter socket (libmilter's unix:, local:, inet:, inet6: forms), a
 * host:port or unix:/path endpoint (Redis), LDAP URIs and LDAP filters,
 * the numeric listen address of the metrics server.
 * They check the shape only, so that a typo is a config error at load
 * time (fwdguard -n) rather than a connection failure at the first
 * message; nothing here resolves or connects.  Like every setter they
 * report through the loader and go on (cfg_keys.h).
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "cfg_keys.h"
#include "metrics_http.h"

static bool
cfg_port_ok(const char *s, size_t len)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* "host:port" or "[v6]:port". */
bool
cfg_hostport_ok(const char *s)
{
	const char *colon = strrchr(s, ':');

	if (colon == NULL || colon == s || !cfg_port_ok(colon + 1, strlen(colon + 1)))
		return false;
	if (*s == '[')
		return colon[-1] == ']' && colon - s > 2;
	return memchr(s, ':', (size_t)(colon - s)) == NULL && strchr(s, ' ') == NULL;
}

/* libmilter's unix:/path, local:/path, inet:port[@host], inet6:port[@host]. */
void
cfg_set_socket(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "a socket"), *p, *at;
	bool ok = false;

	if (s == NULL)
		return;
	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0)
		ok = strchr(s, ':')[1] == '/';
	else if (strncmp(s, "inet:", 5) == 0 || strncmp(s, "inet6:", 6) == 0) {
		p = strchr(s, ':') + 1;
		at = strchr(p, '@');
		ok = cfg_port_ok(p, at ? (size_t)(at - p) : strlen(p)) && (at == NULL || at[1] != '\0');
	}
	if (ok)
		cfg_replace(l, FIELD(base, k, char *), s);
	else
		cfg_report(l, n, path,
		    "invalid socket '%s' (want unix:/path, inet:port@host or inet6:port@host)",
		    cfg_show(s, n->len, shown));
}

void
cfg_set_endpoint(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "an address");

	if (s == NULL)
		return;
	if ((strncmp(s, "unix:", 5) == 0 && s[5] == '/') || cfg_hostport_ok(s))
		cfg_replace(l, FIELD(base, k, char *), s);
	else
		cfg_report(l, n, path, "invalid address '%s' (want host:port or unix:/path)",
		    cfg_show(s, n->len, shown));
}

void
cfg_set_ldap_uri(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	static const char *const schemes[] = { "ldap://", "ldaps://", "ldapi://" };
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "an LDAP URI"), *p;
	size_t i;
	bool ok;

	if (s == NULL)
		return;
	/* libldap takes several URIs separated by blanks; check each one. */
	for (p = s, ok = *s != '\0'; ok && *p != '\0'; p += strcspn(p, " ")) {
		p += strspn(p, " ");
		for (i = 0, ok = false; i < sizeof(schemes) / sizeof(schemes[0]); i++)
			ok = ok || strncasecmp(p, schemes[i], strlen(schemes[i])) == 0;
	}
	if (ok)
		cfg_replace(l, FIELD(base, k, char *), s);
	else
		cfg_report(l, n, path, "invalid LDAP URI '%s' (want ldap://, ldaps:// or ldapi://)",
		    cfg_show(s, n->len, shown));
}

/* Balanced parentheses; '%' only as the %s placeholder the directory fills in. */
void
cfg_set_filter(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	const char *s = cfg_text(l, n, path, "an LDAP filter"), *p;
	int depth = 0, nplace = 0;
	bool ok;

	if (s == NULL)
		return;
	ok = s[0] == '(';
	for (p = s; ok && *p != '\0'; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			ok = --depth >= 0 && (depth > 0 || p[1] == '\0');
		else if (*p == '%')
			ok = *++p == 's' && ++nplace;
	}
	if (!ok || depth != 0)
		cfg_report(l, n, path, "invalid LDAP filter (want balanced parentheses, %%s as the only %%)");
	else if ((k->flags & KEY_NEEDS_S) && nplace == 0)
		cfg_report(l, n, path, "the filter must contain %%s (the address looked up)");
	else
		cfg_replace(l, FIELD(base, k, char *), s);
}

/* Numeric only: the metrics port is bound at start, with no name to resolve. */
void
cfg_set_listen(struct cfg_loader *l, const struct cfg_key *k, const struct cfg_node *n,
    const char *path, void *base)
{
	char shown[CFG_SHOW_MAX + 8];
	const char *s = cfg_text(l, n, path, "a listen address");
	struct sockaddr_storage ss;
	socklen_t len;

	if (s == NULL)
		return;
	if (metrics_addr_parse(s, &ss, &len) == 0)
		cfg_replace(l, FIELD(base, k, char *), s);
	else
		cfg_report(l, n, path, "invalid listen address '%s' (want IPv4:port or "
		    "[IPv6]:port, e.g. 127.0.0.1:9469)", cfg_show(s, n->len, shown));
}
