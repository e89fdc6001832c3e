/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dirsettings.c - what the directory's lookups read, copied from the
 * configuration once per load (dirsettings.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dirsettings.h"

#define DIR_ATTRS_MAX		16

static void
dirsettings_strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

void
dirsettings_unref(struct dirsettings *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	free(s->mailbox_filter);
	free(s->protected_filter);
	free(s->domain_filter);
	dirsettings_strv_free(s->fwd_attrs);
	dirsettings_strv_free(s->set_attrs);
	dirsettings_strv_free(s->yaml);
	free(s);
}

/* Appends name[0 .. len) to the NULL-terminated v unless it is there (any case). */
static int
dirsettings_attr_add(char **v, const char *name, size_t len)
{
	size_t n = 0;

	for (; v[n] != NULL; n++)
		if (strlen(v[n]) == len && strncasecmp(v[n], name, len) == 0)
			return 0;
	if (len == 0 || n + 1 >= DIR_ATTRS_MAX)
		return 0;
	return (v[n] = strndup(name, len)) != NULL ? 0 : -1;
}

/*
 * The attributes that hold an entry's addresses: ldap.address_attributes,
 * then the attribute named before each "=%s" of the filter (so the set
 * finds what a lookup by mailbox_filter finds); "mail" when both are empty.
 */
static int
dirsettings_address_attrs(const struct cfg_ldap *l, const char *filter, char **v)
{
	for (size_t i = 0; i < l->naddress_attributes; i++)
		if (dirsettings_attr_add(v, l->address_attributes[i], strlen(l->address_attributes[i])) != 0)
			return -1;
	for (const char *p = filter; (p = strstr(p, "=%s")) != NULL; p += 3) {
		const char *a = p;

		while (a > filter && a[-1] != '(' && a[-1] != '&' && a[-1] != '|')
			a--;
		if (dirsettings_attr_add(v, a, (size_t)(p - a)) != 0)
			return -1;
	}
	return v[0] == NULL ? dirsettings_attr_add(v, "mail", 4) : 0;
}

/* A NULL-terminated copy of the YAML protected mailboxes. */
static char **
dirsettings_yaml_copy(const struct policy *p)
{
	char **v = calloc(p->nprotected + 1, sizeof(char *));

	for (size_t i = 0; v != NULL && i < p->nprotected; i++) {
		if ((v[i] = strdup(p->protected[i])) == NULL) {
			dirsettings_strv_free(v);
			return NULL;
		}
	}
	return v;
}

struct dirsettings *
dirsettings_new(const struct cfg *cfg)
{
	const struct cfg_ldap *l = &cfg->ldap;
	struct dirsettings *s = calloc(1, sizeof(*s));
	bool fail;

	if (s == NULL)
		return NULL;
	s->refs = 1;
	s->ttl = l->cache_ttl;
	s->mailbox_filter = strdup(l->mailbox_filter != NULL ? l->mailbox_filter : "(mail=%s)");
	s->protected_filter = l->protected_filter != NULL ? strdup(l->protected_filter) : NULL;
	s->domain_filter = l->domain_filter != NULL ? strdup(l->domain_filter) : NULL;
	s->fwd_attrs = calloc(l->nforward_attributes + 1, sizeof(char *));
	s->set_attrs = calloc(DIR_ATTRS_MAX, sizeof(char *));
	s->yaml = dirsettings_yaml_copy(&cfg->policy);
	fail = s->mailbox_filter == NULL || s->fwd_attrs == NULL || s->set_attrs == NULL ||
	    s->yaml == NULL ||
	    (l->protected_filter != NULL && s->protected_filter == NULL) ||
	    (l->domain_filter != NULL && s->domain_filter == NULL);
	for (size_t i = 0; !fail && i < l->nforward_attributes; i++)
		fail = (s->fwd_attrs[i] = strdup(l->forward_attributes[i])) == NULL;
	if (fail || dirsettings_address_attrs(l, s->mailbox_filter, s->set_attrs) != 0) {
		dirsettings_unref(s);
		return NULL;
	}
	return s;
}
