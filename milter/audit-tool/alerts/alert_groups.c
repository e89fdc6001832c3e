/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_groups.c - group membership for the alert routes (see
 * alert_groups.h), through the directory's LDAP pool and answer cache.
 * The cache key is "<DN>\n<mailbox>": neither a DN nor an address holds a
 * newline, so two questions never share a key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert_groups.h"
#include "dircache.h"
#include "directory.h"
#include "dirldap.h"
#include "log.h"

struct alert_groups {
	const struct cfg *cfg;
	struct dirldap *dl;
	struct dircache *cache;
};

static enum dir_status groups_lookup(void *ctx, enum dir_kind kind, const char *key,
    struct dir_values *out)
{
	struct alert_groups *g = ctx;
	char esc[DIR_VALUE_MAX * 3 + 1], extra[sizeof(esc) + 16], filter[DIR_FILTER_MAX];
	char *attrs[] = { (char *)"1.1", NULL };
	const char *nl = strchr(key, '\n');
	size_t nentries;

	(void)kind;
	if (nl == NULL || dir_filter_escape(key, (size_t)(nl - key), esc, sizeof(esc)) < 0)
		return DIR_NOTFOUND;
	snprintf(extra, sizeof(extra), "(memberOf=%s)", esc);
	if (dir_filter_build(g->cfg->ldap.mailbox_filter, extra, nl + 1, filter, sizeof(filter)) < 0)
		return DIR_NOTFOUND;
	return dirldap_search(g->dl, filter, attrs, 0, 1, false, out, &nentries);
}

struct alert_groups *alert_groups_open(const struct cfg *c, char *err, size_t errsize)
{
	struct alert_groups *g = calloc(1, sizeof(*g));
	char *pw = NULL;

	snprintf(err, errsize, "out of memory");
	if (g == NULL)
		return NULL;
	g->cfg = c;
	if (c->ldap.bind_password_file != NULL && *c->ldap.bind_password_file != '\0' &&
	    (pw = directory_read_password(c->ldap.bind_password_file, err, errsize)) == NULL)
		goto fail;
	if ((g->dl = dirldap_new()) == NULL || (g->cache = dircache_new(1000)) == NULL ||
	    dirldap_configure(g->dl, &c->ldap, pw) != 0)
		goto fail;
	dircache_set_ttl(g->cache, c->ldap.cache_ttl, c->ldap.cache_negative_ttl, 0);
	if (pw != NULL)
		explicit_bzero(pw, strlen(pw));
	free(pw);
	return g;
fail:
	if (pw != NULL)
		explicit_bzero(pw, strlen(pw));
	free(pw);
	alert_groups_close(g);
	return NULL;
}

void alert_groups_close(struct alert_groups *g)
{
	if (g == NULL)
		return;
	dircache_free(g->cache);
	dirldap_free(g->dl);
	free(g);
}

enum route_verdict alert_groups_member(void *ctx, const char *group_dn, const char *mailbox)
{
	struct alert_groups *g = ctx;
	struct dircache_backend b = { g, groups_lookup };
	struct dir_values vals = { NULL, 0 };
	char *key;
	enum dir_status st;

	if (g == NULL || asprintf(&key, "%s\n%s", group_dn, mailbox) < 0)
		return ROUTE_TRYAGAIN;
	st = dircache_get(g->cache, &b, DIR_KIND_FORWARDS, key, time(NULL), &vals, NULL);
	dir_values_free(&vals);
	free(key);
	return st == DIR_FOUND ? ROUTE_YES : st == DIR_NOTFOUND ? ROUTE_NO : ROUTE_TRYAGAIN;
}
