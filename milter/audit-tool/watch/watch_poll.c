/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * watch_poll.c - following the directory without RFC 4533: every
 * ldap.watch.poll_interval, the entries modified since the newest change
 * seen (modifyTimestamp >= since, the server's clock).  The entries
 * stamped exactly "since" come back each time, so a change is an answer
 * that differs from the last one, not a non-empty answer.
 *
 * Deleted entries have no modifyTimestamp to find; the full rescan
 * (ldap.watch.rescan_interval) catches them.  A group that gains or loses
 * a member is itself modified, so protection through protected_filter is
 * followed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <ldap.h>

#include "hash.h"
#include "watch_int.h"

#define POLL_ENTRIES_MAX	10000	/* more changed entries than this: scan again anyway */

void watch_poll_init(struct watch_poll *p, time_t now)
{
	time_t t = now - WATCH_POLL_LOOKBACK;
	struct tm tm;

	memset(p, 0, sizeof(*p));
	gmtime_r(&t, &tm);
	strftime(p->since, sizeof(p->since), "%Y%m%d%H%M%SZ", &tm);
}

static uint64_t poll_fnv(uint64_t h, const struct berval *v)
{
	if (v != NULL)
		h = hash_bytes(h, v->bv_val, v->bv_len);
	return hash_cut(h);
}

/* The stamp of an entry if it is a plain GeneralizedTime (digits, '.', 'Z'), else NULL. */
static const struct berval *poll_stamp(struct berval **v, size_t max)
{
	if (v == NULL || v[0] == NULL || v[0]->bv_len == 0 || v[0]->bv_len >= max)
		return NULL;
	for (ber_len_t i = 0; i < v[0]->bv_len; i++) {
		char c = v[0]->bv_val[i];
		if (!((c >= '0' && c <= '9') || c == 'Z' || c == '.'))
			return NULL;
	}
	return v[0];
}

static bool poll_is(const struct berval *ts, const char *s)
{
	return ts != NULL && ts->bv_len == strlen(s) && memcmp(ts->bv_val, s, ts->bv_len) == 0;
}

/*
 * One pass: the newest stamp into newest; with newest already known, the
 * digest of every (DN, stamp, entryCSN) and of those stamped newest.
 * entryCSN (OpenLDAP) tells two changes within one second apart.
 */
static void poll_walk(LDAP *ld, LDAPMessage *res, char *newest, size_t size, bool sum,
    uint64_t *all, size_t *nall, uint64_t *at, size_t *nat)
{
	for (LDAPMessage *e = ldap_first_entry(ld, res); e != NULL; e = ldap_next_entry(ld, e)) {
		struct berval **v = ldap_get_values_len(ld, e, "modifyTimestamp");
		const struct berval *ts = poll_stamp(v, size);
		if (!sum) {
			/* Same form on one server: bytewise order is time order. */
			if (ts != NULL && (ts->bv_len > strlen(newest) || (ts->bv_len == strlen(newest) &&
			    memcmp(ts->bv_val, newest, ts->bv_len) > 0))) {
				memcpy(newest, ts->bv_val, ts->bv_len);
				newest[ts->bv_len] = '\0';
			}
			ldap_value_free_len(v);
			continue;
		}
		char *dn = ldap_get_dn(ld, e);
		struct berval **csn = ldap_get_values_len(ld, e, "entryCSN");
		struct berval dnv = { dn != NULL ? strlen(dn) : 0, dn };
		uint64_t h = poll_fnv(poll_fnv(poll_fnv(HASH_INIT, &dnv), ts),
		    csn != NULL ? csn[0] : NULL);
		*all += h;
		(*nall)++;
		if (poll_is(ts, newest)) {
			*at += h;
			(*nat)++;
		}
		ldap_value_free_len(csn);
		ldap_value_free_len(v);
		ldap_memfree(dn);
	}
}

int watch_poll_check(struct ldap *ld, const char *base, struct watch_poll *p, const char **why)
{
	char filter[64], *attrs[] = { "modifyTimestamp", "entryCSN", NULL };
	LDAPMessage *res = NULL;
	uint64_t all = 0, at = 0;
	size_t nall = 0, nat = 0;

	snprintf(filter, sizeof(filter), "(modifyTimestamp>=%s)", p->since);
	int rc = ldap_search_ext_s(ld, base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL, NULL,
	    POLL_ENTRIES_MAX, &res);
	if (rc == LDAP_SIZELIMIT_EXCEEDED) {
		ldap_msgfree(res);
		return 1;
	}
	if (rc != LDAP_SUCCESS && rc != LDAP_NO_SUCH_OBJECT) {
		*why = ldap_err2string(rc);
		ldap_msgfree(res);
		return -1;
	}
	char newest[sizeof(p->since)];
	memcpy(newest, p->since, sizeof(newest));
	poll_walk(ld, res, newest, sizeof(newest), false, NULL, NULL, NULL, NULL);
	poll_walk(ld, res, newest, sizeof(newest), true, &all, &nall, &at, &nat);
	ldap_msgfree(res);
	int changed = all != p->digest || nall != p->n;
	/* What the next question (from newest on) answers when nothing changes. */
	memcpy(p->since, newest, sizeof(p->since));
	p->digest = at;
	p->n = nat;
	return changed;
}
