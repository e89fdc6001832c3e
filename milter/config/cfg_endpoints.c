/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_endpoints.c - the setters for keys that name a peer or a query:
 * the milter socket (libmilter's unix:, local:, inet:, inet6: forms), a
 * host:port or unix:/path endpoint (Redis), LDAP URIs and LDAP filters,
 * the numeric listen address of the metrics server.
 * They check the shape only, so that a typo is a config error at load
 * time (fwdguard -n) rather than a connection failure at the first
 * message; nothing here resolves or connects.  Most are a predicate and
 * its words (struct cfg_shape) for the one setter cfg_set_shape
 * (cfg_value.c); LDAP filters have a setter of their own.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "cfg_endpoints.h"
#include "cfg_loader.h"
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
static bool
cfg_hostport_ok(const char *s, size_t len)
{
	const char *colon = strrchr(s, ':');

	(void)len;
	if (colon == NULL || colon == s || !cfg_port_ok(colon + 1, strlen(colon + 1)))
		return false;
	if (*s == '[')
		return colon[-1] == ']' && colon - s > 2;
	return memchr(s, ':', (size_t)(colon - s)) == NULL && strchr(s, ' ') == NULL;
}

/* libmilter's unix:/path, local:/path, inet:port[@host], inet6:port[@host]. */
static bool
cfg_socket_ok(const char *s, size_t len)
{
	const char *p, *at;

	(void)len;
	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0)
		return strchr(s, ':')[1] == '/';
	if (strncmp(s, "inet:", 5) == 0 || strncmp(s, "inet6:", 6) == 0) {
		p = strchr(s, ':') + 1;
		at = strchr(p, '@');
		return cfg_port_ok(p, at ? (size_t)(at - p) : strlen(p)) && (at == NULL || at[1] != '\0');
	}
	return false;
}

static bool
cfg_endpoint_ok(const char *s, size_t len)
{
	return (strncmp(s, "unix:", 5) == 0 && s[5] == '/') || cfg_hostport_ok(s, len);
}

/* libldap takes several URIs separated by blanks; each one is checked. */
static bool
cfg_ldap_uri_ok(const char *s, size_t len)
{
	static const char *const schemes[] = { "ldap://", "ldaps://", "ldapi://" };
	const char *p;
	size_t i;
	bool ok;

	(void)len;
	for (p = s, ok = *s != '\0'; ok && *p != '\0'; p += strcspn(p, " ")) {
		p += strspn(p, " ");
		for (i = 0, ok = false; i < sizeof(schemes) / sizeof(schemes[0]); i++)
			ok = ok || strncasecmp(p, schemes[i], strlen(schemes[i])) == 0;
	}
	return ok;
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
static bool
cfg_listen_ok(const char *s, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sslen;

	(void)len;
	return metrics_addr_parse(s, &ss, &sslen) == 0;
}

const struct cfg_shape cfg_socket_shape = { "a socket", "socket",
    "unix:/path, inet:port@host or inet6:port@host", cfg_socket_ok };
const struct cfg_shape cfg_endpoint_shape = { "an address", "address",
    "host:port or unix:/path", cfg_endpoint_ok };
const struct cfg_shape cfg_hostport_shape = { "an address", "address", "host:port",
    cfg_hostport_ok };
const struct cfg_shape cfg_ldap_uri_shape = { "an LDAP URI", "LDAP URI",
    "ldap://, ldaps:// or ldapi://", cfg_ldap_uri_ok };
const struct cfg_shape cfg_listen_shape = { "a listen address", "listen address",
    "IPv4:port or [IPv6]:port, e.g. 127.0.0.1:9469", cfg_listen_ok };
