/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * watch_scan.c - one read of the protected directory entries for
 * fwdguard-audit watch (see watch_int.h).  The same questions the daemon
 * asks (directory.h): each YAML mailbox's entry by ldap.mailbox_filter,
 * then the entries of ldap.protected_filter; an entry found by a YAML
 * address keeps that name, another one is named by its mail (else its
 * first address), as the daemon's records name it (diralias.h).
 *
 * A search the directory cannot answer fails the whole scan: half a scan
 * compared with the last set would report forwards as removed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "address.h"
#include "directory.h"
#include "text.h"
#include "watch_int.h"

#define SCAN_ATTRS_MAX	64

struct scan_ctx {
	LDAP *ld;
	const struct cfg *cfg;
	time_t now;
	char *attrs[SCAN_ATTRS_MAX];
	size_t nattrs;
	struct watch_scan *out;
	size_t cap;
};

static void scan_attr(struct scan_ctx *x, const char *name)
{
	for (size_t i = 0; i < x->nattrs; i++)
		if (strcasecmp(x->attrs[i], name) == 0)
			return;
	if (x->nattrs + 1 < SCAN_ATTRS_MAX)
		x->attrs[x->nattrs++] = (char *)(uintptr_t)name;
}

/* The first value of attr as a C string (owned), "" when it has none; NULL on ENOMEM. */
static char *scan_first(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval **v = ldap_get_values_len(ld, e, attr);
	char clean[1024];
	const char *s = "";

	if (v != NULL && v[0] != NULL) {
		char raw[1024];
		size_t n = v[0]->bv_len < sizeof(raw) - 1 ? v[0]->bv_len : sizeof(raw) - 1;
		memcpy(raw, v[0]->bv_val, n);
		raw[n] = '\0';
		s = text_clean(clean, sizeof(clean), raw);
	}
	ldap_value_free_len(v);
	return strdup(s);
}

/* The canonical form of an address value into out; 0, or -1 when it is none. */
static int scan_canonical(const char *value, size_t len, char *out, size_t size)
{
	struct address a;

	if (len == 0 || address_parse(value, len, &a) != ADDRESS_OK || a.nhops != 1)
		return -1;
	return address_canonical(&a, NULL, out, size);
}

/* An entry's own name: its mail, else its first address (proxyAddresses: smtp: values). */
static int scan_entry_name(struct scan_ctx *x, LDAPMessage *e, char *out, size_t size)
{
	const struct cfg_ldap *l = &x->cfg->ldap;
	const char *first = "mail";

	for (size_t i = 0; i <= l->naddress_attributes; i++) {
		const char *attr = i == 0 ? first : l->address_attributes[i - 1];
		bool proxy = strcasecmp(attr, "proxyAddresses") == 0;
		struct berval **v = ldap_get_values_len(x->ld, e, attr);
		int rc = -1;

		for (size_t j = 0; rc != 0 && v != NULL && v[j] != NULL; j++) {
			const char *val = v[j]->bv_val;
			size_t len = v[j]->bv_len;
			if (proxy && (len < 5 || strncasecmp(val, "smtp:", 5) != 0))
				continue;
			if (proxy) {
				val += 5;
				len -= 5;
			}
			rc = scan_canonical(val, len, out, size);
		}
		ldap_value_free_len(v);
		if (rc == 0)
			return 0;
	}
	return -1;
}

static struct watch_entry *scan_entry_new(struct scan_ctx *x)
{
	struct watch_scan *s = x->out;

	if (s->nentries == x->cap) {
		size_t cap = x->cap > 0 ? x->cap * 2 : 16;
		struct watch_entry *v = realloc(s->entries, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		s->entries = v;
		x->cap = cap;
	}
	struct watch_entry *we = &s->entries[s->nentries];
	memset(we, 0, sizeof(*we));
	return we;
}

/* The forward values of one entry into the set; 0, or -1 on ENOMEM or too many. */
static int scan_forwards(struct scan_ctx *x, LDAPMessage *e, const struct watch_entry *we)
{
	const struct cfg_ldap *l = &x->cfg->ldap;

	for (size_t i = 0; i < l->nforward_attributes; i++) {
		struct berval **v = ldap_get_values_len(x->ld, e, l->forward_attributes[i]);
		int rc = 0;

		for (size_t j = 0; rc == 0 && v != NULL && v[j] != NULL; j++) {
			char raw[ADDRESS_MAX + 1], clean[ADDRESS_MAX + 1];
			size_t n = v[j]->bv_len < ADDRESS_MAX ? v[j]->bv_len : ADDRESS_MAX;
			memcpy(raw, v[j]->bv_val, n);
			raw[n] = '\0';
			/* A value with a NUL or past ADDRESS_MAX is not what it seems: unreadable, external. */
			struct watch_item it = { we->mailbox, text_clean(clean, sizeof(clean), raw),
			    we->dn, l->forward_attributes[i], DEST_EXTERNAL };
			if (strlen(raw) == v[j]->bv_len)
				it.dest = watch_classify(&x->cfg->policy, we->mailbox, raw, x->now);
			if (it.dest == DEST_INTERNAL)
				x->out->internal++;
			else
				rc = watch_set_add(x->out->set, &it);
		}
		ldap_value_free_len(v);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* One entry of an answer: skipped when an earlier search found it (its first name stays). */
static int scan_entry(struct scan_ctx *x, LDAPMessage *e, const char *mailbox)
{
	char *dn = ldap_get_dn(x->ld, e), name[ADDRESS_CANONICAL_MAX + 1];
	struct watch_entry *we;
	int rc = -1;

	if (dn == NULL)
		return -1;
	if (watch_scan_entry(x->out, dn) != NULL ||
	    (mailbox == NULL && scan_entry_name(x, e, name, sizeof(name)) != 0)) {
		ldap_memfree(dn);
		return 0;
	}
	if ((we = scan_entry_new(x)) == NULL)
		goto out;
	we->dn = strdup(dn);
	we->mailbox = strdup(mailbox != NULL ? mailbox : name);
	we->modifiers_name = scan_first(x->ld, e, "modifiersName");
	we->modify_timestamp = scan_first(x->ld, e, "modifyTimestamp");
	x->out->nentries++;
	if (we->dn != NULL && we->mailbox != NULL && we->modifiers_name != NULL &&
	    we->modify_timestamp != NULL)
		rc = scan_forwards(x, e, we);
out:
	ldap_memfree(dn);
	return rc;
}

static int scan_search(struct scan_ctx *x, const char *filter, const char *mailbox,
    const char **why)
{
	LDAPMessage *res = NULL;
	int rc = ldap_search_ext_s(x->ld, x->cfg->ldap.base, LDAP_SCOPE_SUBTREE, filter, x->attrs,
	    0, NULL, NULL, NULL, WATCH_ENTRIES_MAX, &res);

	if (rc == LDAP_NO_SUCH_OBJECT) {
		ldap_msgfree(res);
		return 0;
	}
	if (rc != LDAP_SUCCESS) {
		*why = rc == LDAP_SIZELIMIT_EXCEEDED ? "more protected entries than one scan reads" :
		    ldap_err2string(rc);
		ldap_msgfree(res);
		return -1;
	}
	for (LDAPMessage *e = ldap_first_entry(x->ld, res); e != NULL; e = ldap_next_entry(x->ld, e))
		if (x->out->nentries >= WATCH_ENTRIES_MAX || scan_entry(x, e, mailbox) != 0) {
			*why = x->out->nentries >= WATCH_ENTRIES_MAX ?
			    "more protected entries than one scan reads" : "out of memory";
			ldap_msgfree(res);
			return -1;
		}
	ldap_msgfree(res);
	return 0;
}

static void scan_attrs(struct scan_ctx *x)
{
	const struct cfg_ldap *l = &x->cfg->ldap;

	for (size_t i = 0; i < l->nforward_attributes; i++)
		scan_attr(x, l->forward_attributes[i]);
	scan_attr(x, "mail");
	for (size_t i = 0; i < l->naddress_attributes; i++)
		scan_attr(x, l->address_attributes[i]);
	scan_attr(x, "modifiersName");
	scan_attr(x, "modifyTimestamp");
	x->attrs[x->nattrs] = NULL;
}

int watch_scan_run(struct ldap *ld, const struct cfg *c, time_t now, struct watch_scan **out,
    const char **why)
{
	struct scan_ctx x = { .ld = ld, .cfg = c, .now = now };
	const struct policy *p = &c->policy;
	int rc = 0;

	*out = NULL;
	if ((x.out = calloc(1, sizeof(*x.out))) == NULL || (x.out->set = watch_set_new()) == NULL) {
		watch_scan_free(x.out);
		*why = "out of memory";
		return -1;
	}
	scan_attrs(&x);
	for (size_t i = 0; rc == 0 && i < p->nprotected; i++) {
		char filter[DIR_FILTER_MAX];
		/* A YAML name no filter can carry names no entry. */
		if (dir_filter_build(c->ldap.mailbox_filter, NULL, p->protected[i], filter,
		    sizeof(filter)) == 0)
			rc = scan_search(&x, filter, p->protected[i], why);
	}
	if (rc == 0 && c->ldap.protected_filter != NULL)
		rc = scan_search(&x, c->ldap.protected_filter, NULL, why);
	if (rc != 0) {
		watch_scan_free(x.out);
		return -1;
	}
	watch_set_seal(x.out->set);
	*out = x.out;
	return 0;
}

void watch_scan_free(struct watch_scan *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nentries; i++) {
		free(s->entries[i].dn);
		free(s->entries[i].mailbox);
		free(s->entries[i].modifiers_name);
		free(s->entries[i].modify_timestamp);
	}
	free(s->entries);
	watch_set_free(s->set);
	free(s);
}

const struct watch_entry *watch_scan_entry(const struct watch_scan *s, const char *dn)
{
	/* Linear: a scan reads few protected entries; the set of forwards is what grows. */
	for (size_t i = 0; s != NULL && i < s->nentries; i++)
		if (s->entries[i].dn != NULL && strcasecmp(s->entries[i].dn, dn) == 0)
			return &s->entries[i];
	return NULL;
}
