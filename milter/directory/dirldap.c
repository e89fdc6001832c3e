/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * dirldap.c - the pool of LDAP handles behind the directory.  See dirldap.h.
 *
 * The settings live in a refcounted snapshot: a thread holding a handle
 * keeps the snapshot it connected with, while a reload installs a new one.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldap.h>

#include "dirldap.h"
#include "grow.h"
#include "log.h"

#define DIRLDAP_BACKOFF_MAX	10	/* s: protected mail is tempfailed at most this long after the directory is back */

struct dirldap_conf {
	unsigned refs;
	unsigned long gen;
	char *uri;
	bool starttls;
	char *bind_dn;
	char *password;
	char *base;
	double timeout;
};

struct dirldap_slot {
	LDAP *ld;
	bool busy;
	unsigned long gen;	/* settings it connected with */
};

struct dirldap {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct dirldap_slot slots[DIR_POOL_SIZE];
	struct dirldap_conf *conf;
	unsigned long gen;
	bool down;
	time_t down_since, retry_at;
	long backoff;
};

static void
dirldap_conf_unref(struct dirldap_conf *cf)
{
	if (cf == NULL || --cf->refs > 0)
		return;
	free(cf->uri);
	free(cf->bind_dn);
	if (cf->password != NULL) {
		explicit_bzero(cf->password, strlen(cf->password));
		free(cf->password);
	}
	free(cf->base);
	free(cf);
}

struct dirldap *
dirldap_new(void)
{
	struct dirldap *dl = calloc(1, sizeof(*dl));

	if (dl == NULL)
		return NULL;
	pthread_mutex_init(&dl->lock, NULL);
	pthread_cond_init(&dl->freed, NULL);
	return dl;
}

static void
dirldap_close_handle(LDAP *ld)
{
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
}

void
dirldap_free(struct dirldap *dl)
{
	if (dl == NULL)
		return;
	for (size_t i = 0; i < DIR_POOL_SIZE; i++)
		dirldap_close_handle(dl->slots[i].ld);
	dirldap_conf_unref(dl->conf);
	pthread_cond_destroy(&dl->freed);
	pthread_mutex_destroy(&dl->lock);
	free(dl);
}

static char *
dirldap_dup(const char *s, bool *fail)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*fail = true;
	return d;
}

int
dirldap_configure(struct dirldap *dl, const struct cfg_ldap *l, const char *password)
{
	struct dirldap_conf *cf = calloc(1, sizeof(*cf));
	bool fail = cf == NULL;

	if (cf == NULL)
		return -1;
	cf->refs = 1;
	cf->uri = dirldap_dup(l->uri, &fail);
	cf->starttls = l->starttls;
	cf->bind_dn = dirldap_dup(l->bind_dn, &fail);
	cf->password = dirldap_dup(password, &fail);
	cf->base = dirldap_dup(l->base != NULL ? l->base : "", &fail);
	cf->timeout = l->timeout > 0 ? l->timeout : 2;
	if (fail) {
		dirldap_conf_unref(cf);
		return -1;
	}
	pthread_mutex_lock(&dl->lock);
	cf->gen = ++dl->gen;
	dirldap_conf_unref(dl->conf);
	dl->conf = cf;
	/* New settings deserve a try at once, whatever the old ones did. */
	dl->retry_at = 0;
	dl->backoff = 0;
	pthread_mutex_unlock(&dl->lock);
	return 0;
}

static struct timeval
dirldap_tv(double seconds)
{
	struct timeval tv;

	tv.tv_sec = (time_t)seconds;
	tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
	return tv;
}

/* A handle with the options set; the first network traffic is StartTLS or bind. */
static int
dirldap_connect(const struct dirldap_conf *cf, LDAP **out, const char **why)
{
	struct timeval tv = dirldap_tv(cf->timeout);
	int v3 = LDAP_VERSION3, hard = LDAP_OPT_X_TLS_HARD, zero = 0, rc;
	struct berval cred;
	LDAP *ld;

	*out = NULL;
	if ((rc = ldap_initialize(&ld, cf->uri)) != LDAP_SUCCESS) {
		*why = ldap_err2string(rc);
		return -1;
	}
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &hard);
	ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
	if (cf->starttls && (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS)
		goto fail;
	if (cf->bind_dn != NULL && cf->bind_dn[0] != '\0') {
		cred.bv_val = cf->password != NULL ? cf->password : "";
		cred.bv_len = strlen(cred.bv_val);
		rc = ldap_sasl_bind_s(ld, cf->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
		if (rc != LDAP_SUCCESS)
			goto fail;
	}
	*out = ld;
	return 0;
fail:
	*why = ldap_err2string(rc);
	dirldap_close_handle(ld);
	return -1;
}

int
dirldap_handle_open(const struct cfg_ldap *l, const char *password, LDAP **out, const char **why)
{
	struct dirldap_conf cf = { 0 };

	cf.uri = l->uri;
	cf.starttls = l->starttls;
	cf.bind_dn = l->bind_dn;
	cf.password = (char *)(uintptr_t)password;
	cf.timeout = l->timeout > 0 ? l->timeout : 2;
	return dirldap_connect(&cf, out, why);
}

void
dirldap_handle_close(LDAP *ld)
{
	dirldap_close_handle(ld);
}

static void
dirldap_failed(struct dirldap *dl, const char *why)
{
	time_t now = time(NULL);

	pthread_mutex_lock(&dl->lock);
	if (!dl->down) {
		dl->down = true;
		dl->down_since = now;
		log_warnx("directory unavailable (%s): protected mail gets ldap.on_error "
		    "unless cached", why);
	}
	dl->backoff = dl->backoff == 0 ? 1 : dl->backoff * 2;
	if (dl->backoff > DIRLDAP_BACKOFF_MAX)
		dl->backoff = DIRLDAP_BACKOFF_MAX;
	dl->retry_at = now + dl->backoff;
	pthread_mutex_unlock(&dl->lock);
}

static void
dirldap_succeeded(struct dirldap *dl)
{
	pthread_mutex_lock(&dl->lock);
	if (dl->down) {
		dl->down = false;
		log_notice("directory available again after %lld s",
		    (long long)(time(NULL) - dl->down_since));
	}
	dl->backoff = 0;
	dl->retry_at = 0;
	pthread_mutex_unlock(&dl->lock);
}

/* A free slot and the settings, or -1 when the pool stays busy or the server is down. */
static int
dirldap_acquire(struct dirldap *dl, struct dirldap_slot **slot, struct dirldap_conf **cf)
{
	struct timespec deadline;
	size_t i;

	pthread_mutex_lock(&dl->lock);
	if (dl->conf == NULL || (dl->down && time(NULL) < dl->retry_at)) {
		pthread_mutex_unlock(&dl->lock);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += (time_t)dl->conf->timeout + 1;
	for (;;) {
		for (i = 0; i < DIR_POOL_SIZE && dl->slots[i].busy; i++)
			;
		if (i < DIR_POOL_SIZE)
			break;
		if (pthread_cond_timedwait(&dl->freed, &dl->lock, &deadline) == ETIMEDOUT) {
			pthread_mutex_unlock(&dl->lock);
			return -1;
		}
	}
	dl->slots[i].busy = true;
	*slot = &dl->slots[i];
	*cf = dl->conf;
	dl->conf->refs++;
	pthread_mutex_unlock(&dl->lock);
	return 0;
}

static void
dirldap_release(struct dirldap *dl, struct dirldap_slot *slot, struct dirldap_conf *cf,
    bool broken)
{
	LDAP *old = NULL;

	pthread_mutex_lock(&dl->lock);
	if (broken || slot->gen != dl->gen) {
		old = slot->ld;
		slot->ld = NULL;
	}
	slot->busy = false;
	dirldap_conf_unref(cf);
	pthread_cond_signal(&dl->freed);
	pthread_mutex_unlock(&dl->lock);
	dirldap_close_handle(old);
}

/* Errors that say the connection is gone, not that the question was bad. */
static bool
dirldap_connection_error(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR ||
	    rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY || rc == LDAP_TIMELIMIT_EXCEEDED ||
	    rc == LDAP_LOCAL_ERROR || rc == LDAP_OTHER;
}

/*
 * Appends a copy of "<tag>:<value>" (tag NULL: the value alone) to out,
 * whose array has room for *cap (grow.h: doubling, so the up to 200,000
 * values of a protected group cost linear time, not a copy per value);
 * past max the value is counted in *over instead (reported by the caller).
 */
static int
dirldap_push(struct dir_values *out, size_t *cap, const char *tag, const char *val, size_t len,
    size_t max, size_t *over)
{
	size_t tlen = tag != NULL ? strlen(tag) + 1 : 0;
	char **nv, *s;

	if (out->n >= max) {
		(*over)++;
		return 0;
	}
	if ((nv = grow_one(out->v, out->n, cap, sizeof(char *), 16)) == NULL)
		return -1;
	out->v = nv;
	if ((s = malloc(tlen + len + 1)) == NULL)
		return -1;
	if (tag != NULL) {
		memcpy(s, tag, tlen - 1);
		s[tlen - 1] = DIR_ENTRY_TAG;
	}
	memcpy(s + tlen, val, len);
	s[tlen + len] = '\0';
	out->v[out->n++] = s;
	return 0;
}

static int
dirldap_collect(LDAP *ld, LDAPMessage *res, char **attrs, size_t max_values, bool by_entry,
    struct dir_values *out, size_t *nentries, size_t *over)
{
	LDAPMessage *e;
	struct berval **vals;
	size_t cap = out->n;	/* out arrives empty, or exactly full */
	int rc = 0;

	for (e = ldap_first_entry(ld, res); e != NULL && rc == 0; e = ldap_next_entry(ld, e)) {
		(*nentries)++;
		for (size_t a = 0; attrs[a] != NULL && rc == 0; a++) {
			if ((vals = ldap_get_values_len(ld, e, attrs[a])) == NULL)
				continue;
			for (size_t i = 0; vals[i] != NULL && rc == 0; i++) {
				const struct berval *bv = vals[i];

				/* A value no address can be is skipped, never cut into one. */
				if (bv->bv_len == 0 || bv->bv_len > DIR_VALUE_MAX ||
				    memchr(bv->bv_val, '\0', bv->bv_len) != NULL)
					continue;
				rc = dirldap_push(out, &cap, by_entry ? attrs[a] : NULL, bv->bv_val,
				    bv->bv_len, max_values, over);
			}
			ldap_value_free_len(vals);
		}
		if (by_entry && rc == 0)
			rc = dirldap_push(out, &cap, NULL, "", 0, max_values, over);
	}
	return rc;
}

/* One search on a connected handle; *lrc receives a failed search's code. */
static enum dir_status
dirldap_query(LDAP *ld, const struct dirldap_conf *cf, const char *filter, char **attrs,
    int max_entries, size_t max_values, bool by_entry, struct dir_values *out,
    size_t *nentries, int *lrc)
{
	struct timeval tv = dirldap_tv(cf->timeout);
	LDAPMessage *res = NULL;
	int rc, limit = max_entries > 0 ? max_entries + 1 : 0;
	size_t over = 0;

	rc = ldap_search_ext_s(ld, cf->base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL,
	    &tv, limit, &res);
	if (rc != LDAP_SUCCESS && !(rc == LDAP_SIZELIMIT_EXCEEDED && res != NULL)) {
		ldap_msgfree(res);
		*lrc = rc;
		if (!dirldap_connection_error(rc))
			log_warnx("directory search %s failed: %s", filter, ldap_err2string(rc));
		return DIR_TRYAGAIN;
	}
	if (dirldap_collect(ld, res, attrs, max_values, by_entry, out, nentries, &over) != 0) {
		ldap_msgfree(res);
		dir_values_free(out);
		return DIR_TRYAGAIN;
	}
	ldap_msgfree(res);
	if (over > 0)
		log_errx("directory search %s: more than %zu values, %zu NOT loaded", filter,
		    max_values, over);
	if (rc == LDAP_SIZELIMIT_EXCEEDED && max_entries == 0)
		log_warnx("directory search %s: size limit reached, the answer is partial", filter);
	if (max_entries > 0 && *nentries > (size_t)max_entries) {
		log_warnx("directory search %s: %zu entries match, ambiguous: answering try again",
		    filter, *nentries);
		dir_values_free(out);
		return DIR_TRYAGAIN;
	}
	return *nentries == 0 ? DIR_NOTFOUND : DIR_FOUND;
}

enum dir_status
dirldap_search(struct dirldap *dl, const char *filter, char **attrs,
    int max_entries, size_t max_values, bool by_entry, struct dir_values *out,
    size_t *nentries)
{
	struct dirldap_slot *slot;
	struct dirldap_conf *cf;
	const char *why = NULL;
	enum dir_status st;
	int lrc = LDAP_SUCCESS;

	out->v = NULL;
	out->n = 0;
	*nentries = 0;
	if (dirldap_acquire(dl, &slot, &cf) != 0)
		return DIR_TRYAGAIN;
	if (slot->ld == NULL) {
		if (dirldap_connect(cf, &slot->ld, &why) != 0) {
			dirldap_release(dl, slot, cf, true);
			dirldap_failed(dl, why);
			return DIR_TRYAGAIN;
		}
		slot->gen = cf->gen;
	}
	st = dirldap_query(slot->ld, cf, filter, attrs, max_entries, max_values, by_entry, out,
	    nentries, &lrc);
	if (dirldap_connection_error(lrc)) {
		dirldap_release(dl, slot, cf, true);
		dirldap_failed(dl, ldap_err2string(lrc));
		return DIR_TRYAGAIN;
	}
	dirldap_release(dl, slot, cf, false);
	dirldap_succeeded(dl);
	return st;
}
