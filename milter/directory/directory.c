/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * directory.c - the directory front door: lookups through the cache, the
 * protected set and the internal domains for the policy hooks, and the
 * directory facts of a recipient.  See directory.h (filters: dirfilter.c).
 *
 * The protected set and the internal domains are immutable once loaded
 * and swapped whole under a rwlock, so the policy hooks never wait for
 * LDAP, only for a pointer swap.
 *
 * Strings handed to the policy (protected mailbox names) are interned
 * (diralias.c): the policy and the audit records borrow them for the
 * message, which pins them (directory_pin); each load frees those no set
 * and no pin can reach any more, under the set's write lock so that the
 * set it keeps is the one installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "diralias.h"
#include "directory.h"
#include "dirldap.h"
#include "dirsettings.h"
#include "domain.h"
#include "log.h"
#include "text.h"

#define DIR_PASSWORD_MAX	4096
#define DIR_SET_VALUES_MAX	200000	/* protected addresses loaded at most */
#define DIR_DOMAINS_MAX		20000	/* internal domains loaded at most */
#define DIR_DOMAIN_ATTR		"associatedDomain"	/* RFC 4524, cosine.schema */
#define DIR_STALE_MAX		3600

struct directory {
	bool active;
	pthread_mutex_t lock;		/* settings, password, thread state */
	struct dirsettings *settings;
	char *password_file;
	char *password;
	struct dircache *cache;
	struct dirldap *ldap;		/* NULL with a test backend */
	struct dircache_backend backend;
	directory_search_fn search;	/* whole-set searches (refresh) */
	void *search_ctx;

	pthread_rwlock_t setlock;	/* the protected set and the domains */
	struct diralias *set;		/* protected addresses and their mailbox */
	struct diralias_pool *pool;	/* the strings of the sets, pinned by messages */
	struct domain_list *domains;	/* from domain_filter; NULL: none loaded */

	bool thread_started, stop, refresh_now;
	unsigned long long refreshes, refresh_errors;	/* under lock */
	pthread_t thread;
	pthread_cond_t wake;
};

static struct directory *dir_current_dir;

/* ---- settings -------------------------------------------------------------- */

static struct dirsettings *
dir_settings_get(struct directory *d)
{
	struct dirsettings *s;

	pthread_mutex_lock(&d->lock);
	if ((s = d->settings) != NULL)
		s->refs++;
	pthread_mutex_unlock(&d->lock);
	return s;
}

static void
dir_settings_put(struct directory *d, struct dirsettings *s)
{
	pthread_mutex_lock(&d->lock);
	dirsettings_unref(s);
	pthread_mutex_unlock(&d->lock);
}

char *
directory_read_password(const char *path, char *err, size_t errsize)
{
	char buf[DIR_PASSWORD_MAX + 1], *pw;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	pw = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return pw;
}

/* ---- the LDAP backend ------------------------------------------------------ */

static enum dir_status
dir_ldap_lookup(void *ctx, enum dir_kind kind, const char *key, struct dir_values *out)
{
	struct directory *d = ctx;
	struct dirsettings *s = dir_settings_get(d);
	char filter[DIR_FILTER_MAX];
	const char *extra;
	enum dir_status st = DIR_TRYAGAIN;
	size_t nentries;

	out->v = NULL;
	out->n = 0;
	if (s == NULL)
		return DIR_TRYAGAIN;
	extra = kind == DIR_KIND_PROTECTED ? s->protected_filter : NULL;
	if (kind == DIR_KIND_PROTECTED && extra == NULL)
		st = DIR_NOTFOUND;
	else if (dir_filter_build(s->mailbox_filter, extra, key, filter, sizeof(filter)) == 0)
		st = dirldap_search(d->ldap, filter, s->fwd_attrs, 1, DIR_VALUES_MAX, false, out,
		    &nentries);
	dir_settings_put(d, s);
	return st;
}

static enum dir_status
dir_ldap_search(void *ctx, const char *filter, char **attrs, size_t max_values,
    bool by_entry, struct dir_values *out)
{
	struct directory *d = ctx;
	size_t nentries;

	return dirldap_search(d->ldap, filter, attrs, 0, max_values, by_entry, out, &nentries);
}

/* ---- open, reconfigure, close ---------------------------------------------- */

static long
dir_stale_max(long ttl)
{
	return ttl > DIR_STALE_MAX / 10 ? DIR_STALE_MAX : ttl * 10;
}

static struct directory *
dir_new(const struct cfg *cfg)
{
	struct directory *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	pthread_mutex_init(&d->lock, NULL);
	pthread_rwlock_init(&d->setlock, NULL);
	pthread_cond_init(&d->wake, NULL);
	d->active = cfg->ldap.uri != NULL;
	if ((d->cache = dircache_new(0)) == NULL || (d->pool = diralias_pool_new()) == NULL ||
	    (d->settings = dirsettings_new(cfg)) == NULL) {
		directory_close(d);
		return NULL;
	}
	dircache_set_ttl(d->cache, cfg->ldap.cache_ttl, cfg->ldap.cache_negative_ttl,
	    dir_stale_max(cfg->ldap.cache_ttl));
	return d;
}

struct directory *
directory_open_backend(const struct cfg *cfg, const struct dircache_backend *backend)
{
	struct directory *d = dir_new(cfg);

	if (d != NULL)
		d->backend = *backend;
	return d;
}

struct directory *
directory_open(const struct cfg *cfg, char *err, size_t errsize)
{
	struct directory *d = dir_new(cfg);

	snprintf(err, errsize, "out of memory");
	if (d == NULL)
		return NULL;
	d->backend.ctx = d;
	d->backend.lookup = dir_ldap_lookup;
	d->search = dir_ldap_search;
	d->search_ctx = d;
	if (!d->active)
		return d;
	if (cfg->ldap.bind_password_file != NULL && cfg->ldap.bind_password_file[0] != '\0') {
		if ((d->password = directory_read_password(cfg->ldap.bind_password_file, err,
		    errsize)) == NULL || (d->password_file = strdup(cfg->ldap.bind_password_file)) == NULL) {
			directory_close(d);
			return NULL;
		}
	}
	if ((d->ldap = dirldap_new()) == NULL ||
	    dirldap_configure(d->ldap, &cfg->ldap, d->password) != 0) {
		directory_close(d);
		return NULL;
	}
	return d;
}

static void
dir_password_free(char *pw)
{
	if (pw != NULL)
		explicit_bzero(pw, strlen(pw));
	free(pw);
}

/* The password for the new settings: read again, or the old one when that fails. */
static int
dir_reconfigure_password(struct directory *d, const struct cfg_ldap *l, char *err, size_t errsize)
{
	char *pw = NULL, *file = NULL;

	if (l->bind_password_file == NULL || l->bind_password_file[0] == '\0') {
		dir_password_free(d->password);
		free(d->password_file);
		d->password = d->password_file = NULL;
		return 0;
	}
	pw = directory_read_password(l->bind_password_file, err, errsize);
	if (pw == NULL) {
		/* Privileges are dropped by now; the root-only file may be unreadable. */
		if (d->password_file == NULL || strcmp(d->password_file, l->bind_password_file) != 0)
			return -1;
		log_notice("directory: keeping the bind password read at start (%s)", err);
		return 0;
	}
	if ((file = strdup(l->bind_password_file)) == NULL) {
		dir_password_free(pw);
		return -1;
	}
	dir_password_free(d->password);
	free(d->password_file);
	d->password = pw;
	d->password_file = file;
	return 0;
}

int
directory_reconfigure(struct directory *d, const struct cfg *cfg, char *err, size_t errsize)
{
	struct dirsettings *s, *old;

	snprintf(err, errsize, "out of memory");
	if (d == NULL)
		return 0;
	if (cfg->ldap.uri != NULL && d->ldap == NULL && d->backend.lookup == dir_ldap_lookup) {
		snprintf(err, errsize, "ldap.uri added: restart fwdguard to open the directory");
		return -1;
	}
	if ((s = dirsettings_new(cfg)) == NULL)
		return -1;
	pthread_mutex_lock(&d->lock);
	if (d->ldap != NULL && (dir_reconfigure_password(d, &cfg->ldap, err, errsize) != 0 ||
	    dirldap_configure(d->ldap, &cfg->ldap, d->password) != 0)) {
		pthread_mutex_unlock(&d->lock);
		dirsettings_unref(s);
		return -1;
	}
	old = d->settings;
	d->settings = s;
	d->active = cfg->ldap.uri != NULL;
	dirsettings_unref(old);
	d->refresh_now = true;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	dircache_set_ttl(d->cache, cfg->ldap.cache_ttl, cfg->ldap.cache_negative_ttl,
	    dir_stale_max(cfg->ldap.cache_ttl));
	dircache_flush(d->cache);
	return 0;
}

void
directory_close(struct directory *d)
{
	if (d == NULL)
		return;
	if (d->thread_started) {
		pthread_mutex_lock(&d->lock);
		d->stop = true;
		pthread_cond_signal(&d->wake);
		pthread_mutex_unlock(&d->lock);
		pthread_join(d->thread, NULL);
	}
	dircache_free(d->cache);
	dirldap_free(d->ldap);
	dirsettings_unref(d->settings);
	dir_password_free(d->password);
	free(d->password_file);
	diralias_free(d->set);
	/* A message still running when the milter stops keeps its strings. */
	if (diralias_pool_pinned(d->pool) == 0)
		diralias_pool_free(d->pool);
	else
		log_warnx("directory: messages still running at shutdown; their strings are kept");
	domain_list_free(d->domains);
	pthread_cond_destroy(&d->wake);
	pthread_rwlock_destroy(&d->setlock);
	pthread_mutex_destroy(&d->lock);
	if (dir_current_dir == d)
		dir_current_dir = NULL;
	free(d);
}

bool
directory_active(const struct directory *d)
{
	return d != NULL && d->active;
}

struct directory *
directory_current(void)
{
	return dir_current_dir;
}

void
directory_set_current(struct directory *d)
{
	dir_current_dir = d;
}

/* ---- the protected set (for the policy hook) ------------------------------- */

/*
 * One search for the set: the entries holding the YAML mailbox (filter
 * NULL: mailbox_filter with it), or those of protected_filter (mailbox
 * NULL: each entry names its own).  0, or -1 when the directory could not
 * answer (or memory ran out): the whole set then keeps its last contents.
 */
static int
dir_set_search(struct directory *d, const struct dirsettings *s, struct diralias_builder *b,
    const char *filter, const char *mailbox)
{
	char built[DIR_FILTER_MAX];
	struct dir_values vals = { NULL, 0 };
	enum dir_status st = DIR_NOTFOUND;
	int rc = 0;

	if (filter == NULL) {
		if (dir_filter_build(s->mailbox_filter, NULL, mailbox, built, sizeof(built)) != 0)
			return 0;
		filter = built;
	}
	if (d->search != NULL)
		st = d->search(d->search_ctx, filter, s->set_attrs, DIR_SET_VALUES_MAX, true, &vals);
	if (st == DIR_TRYAGAIN)
		rc = -1;
	else if (st == DIR_FOUND && diralias_add(b, &vals, mailbox) != 0)
		rc = -1;
	dir_values_free(&vals);
	return rc;
}

/* One load of the set; 0, or -1 when the directory could not answer. */
static int
dir_set_load(struct directory *d)
{
	struct dirsettings *s = dir_settings_get(d);
	struct diralias_builder *b = diralias_builder_new(d->pool);
	struct diralias *set, *old;
	size_t dropped, dropped_entries;
	int rc = b != NULL ? 0 : -1;

	if (s == NULL) {
		diralias_builder_free(b);
		return -1;
	}
	/* The YAML names first: their entries' addresses keep the YAML name. */
	for (size_t i = 0; rc == 0 && s->yaml[i] != NULL; i++)
		rc = dir_set_search(d, s, b, NULL, s->yaml[i]);
	if (rc == 0 && s->protected_filter != NULL)
		rc = dir_set_search(d, s, b, s->protected_filter, NULL);
	dir_settings_put(d, s);
	if (rc != 0) {
		diralias_builder_free(b);
		return -1;
	}
	if ((set = diralias_build(b)) == NULL) {
		log_warnx("directory: out of memory loading the protected set");
		return -1;
	}
	pthread_rwlock_wrlock(&d->setlock);
	old = d->set;
	d->set = set;
	diralias_free(old);
	diralias_pool_sweep(d->pool, set);
	pthread_rwlock_unlock(&d->setlock);
	dropped = diralias_dropped(set, &dropped_entries);
	if (dropped > 0)
		log_errx("directory: %zu protected addresses loaded; %zu addresses of %zu entries "
		    "NOT loaded (more than %d per entry)", diralias_count(set), dropped,
		    dropped_entries, DIRALIAS_ENTRY_MAX);
	else
		log_info("directory: %zu protected addresses loaded", diralias_count(set));
	return 0;
}

/* ---- the internal domains (for the policy hook) ---------------------------- */

/* One directory value as a pattern: "name" or "*.name", never an address literal. */
static int
dir_domain_add(struct domain_list *list, const char *value)
{
	const char *name = value[0] == '*' && value[1] == '.' ? value + 2 : value;
	char err[128];

	if (name[0] == '[')
		return -1;
	return domain_list_add(list, value, err, sizeof(err));
}

/* Replaces the domains by vals (NULL: domain_filter unset, none at all). */
static void
dir_domains_install(struct directory *d, const struct dir_values *vals)
{
	struct domain_list *list = NULL, *old;
	const char *bad = NULL;
	char clean[160];
	size_t nbad = 0;

	if (vals != NULL) {
		if ((list = domain_list_new()) == NULL) {
			log_warnx("directory: out of memory loading the internal domains");
			return;
		}
		for (size_t i = 0; i < vals->n; i++)
			if (dir_domain_add(list, vals->v[i]) != 0 && nbad++ == 0)
				bad = vals->v[i];
	}
	pthread_rwlock_wrlock(&d->setlock);
	old = d->domains;
	d->domains = list;
	pthread_rwlock_unlock(&d->setlock);
	domain_list_free(old);
	if (nbad > 0)
		log_notice("directory: %zu %s value(s) ignored, not a domain or *.domain: \"%s\"%s",
		    nbad, DIR_DOMAIN_ATTR, text_clean(clean, sizeof(clean), bad),
		    nbad > 1 ? " and others" : "");
	if (list != NULL)
		log_info("directory: %zu internal domains loaded", domain_list_count(list));
}

/* One load of the domains; 0, or -1 when the directory could not answer. */
static int
dir_domains_load(struct directory *d)
{
	struct dirsettings *s = dir_settings_get(d);
	struct dir_values vals = { NULL, 0 };
	enum dir_status st = DIR_NOTFOUND;
	char attr[] = DIR_DOMAIN_ATTR;
	char *attrs[] = { attr, NULL };
	bool wanted;

	if (s == NULL)
		return -1;
	wanted = s->domain_filter != NULL;
	if (wanted && d->search != NULL)
		st = d->search(d->search_ctx, s->domain_filter, attrs, DIR_DOMAINS_MAX, false, &vals);
	dir_settings_put(d, s);
	if (st == DIR_TRYAGAIN) {
		dir_values_free(&vals);
		return -1;	/* the last loaded domains stay */
	}
	dir_domains_install(d, wanted ? &vals : NULL);
	dir_values_free(&vals);
	return 0;
}

int
directory_refresh(struct directory *d)
{
	int rc;

	if (d == NULL || !d->active)
		return 0;
	rc = dir_set_load(d);
	if (dir_domains_load(d) != 0)
		rc = -1;
	return rc;
}

void
directory_set_search(struct directory *d, directory_search_fn search, void *ctx)
{
	if (d == NULL)
		return;
	d->search = search;
	d->search_ctx = ctx;
}

int
directory_internal_known(struct directory *d, const char *domain)
{
	int r;

	if (d == NULL || domain == NULL || !d->active)
		return 0;
	pthread_rwlock_rdlock(&d->setlock);
	r = d->domains != NULL && domain_list_match(d->domains, domain);
	pthread_rwlock_unlock(&d->setlock);
	return r;
}

static void *
dir_refresh_thread(void *arg)
{
	struct directory *d = arg;
	struct timespec until;
	long ttl;
	int rc;

	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		d->refresh_now = false;
		ttl = d->settings->ttl;
		pthread_mutex_unlock(&d->lock);
		rc = directory_refresh(d);
		pthread_mutex_lock(&d->lock);
		d->refreshes++;
		d->refresh_errors += rc != 0;
		/*
		 * Reload the sets at most every 30 s; after a failure try again in
		 * 5 s, so a directory that is back is noticed without waiting for
		 * mail (the pool's back-off keeps this from hammering a dead one).
		 */
		if (rc != 0)
			ttl = 5;
		else if (ttl < 30)
			ttl = 30;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += ttl;
		while (!d->stop && !d->refresh_now &&
		    pthread_cond_timedwait(&d->wake, &d->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int
directory_start(struct directory *d)
{
	int rc;

	sigset_t all, old;

	if (d == NULL || d->ldap == NULL || d->thread_started)
		return 0;
	/* Signals belong to libmilter's and the reload thread: none may land here. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&d->thread, NULL, dir_refresh_thread, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	d->thread_started = true;
	return 0;
}

const char *
directory_protected_known(struct directory *d, const char *canonical)
{
	const char *r;

	if (d == NULL || canonical == NULL || !d->active)
		return NULL;
	pthread_rwlock_rdlock(&d->setlock);
	r = diralias_find(d->set, canonical);
	pthread_rwlock_unlock(&d->setlock);
	return r;
}

const char *
directory_intern(struct directory *d, const char *canonical)
{
	return d != NULL ? diralias_intern(d->pool, canonical) : NULL;
}

unsigned long
directory_pin(struct directory *d)
{
	return d != NULL ? diralias_pin(d->pool) : 0;
}

void
directory_unpin(struct directory *d, unsigned long pin)
{
	if (d != NULL)
		diralias_unpin(d->pool, pin);
}

int
directory_address_known(struct directory *d, const char *canonical)
{
	if (d == NULL || canonical == NULL || !d->active)
		return 0;
	return dircache_peek(d->cache, DIR_KIND_FORWARDS, canonical) == DIR_FOUND ||
	    dircache_peek(d->cache, DIR_KIND_PROTECTED, canonical) == DIR_FOUND;
}

static int
dir_known_hook(void *ctx, const char *canonical)
{
	return directory_address_known(ctx, canonical);
}

static const char *
dir_hook(void *ctx, const char *canonical)
{
	return directory_protected_known(ctx, canonical);
}

static int
dir_internal_hook(void *ctx, const char *domain)
{
	return directory_internal_known(ctx, domain);
}

void
directory_attach(struct directory *d, struct policy *p)
{
	p->protected_hook = d != NULL ? dir_hook : NULL;
	p->protected_ctx = d;
	p->known_hook = d != NULL ? dir_known_hook : NULL;
	p->known_ctx = d;
	p->internal_hook = d != NULL ? dir_internal_hook : NULL;
	p->internal_ctx = d;
}

void
directory_stat(struct directory *d, struct directory_stat *out)
{
	memset(out, 0, sizeof(*out));
	if (d == NULL || !d->active)
		return;
	dircache_stat(d->cache, &out->cache);
	pthread_mutex_lock(&d->lock);
	out->refreshes = d->refreshes;
	out->refresh_errors = d->refresh_errors;
	pthread_mutex_unlock(&d->lock);
}

/* ---- lookups ----------------------------------------------------------------- */

static enum dir_status
dir_lookup(struct directory *d, enum dir_kind kind, const char *canonical,
    struct dir_values *out)
{
	char clean[160];
	bool stale = false;
	enum dir_status st;

	out->v = NULL;
	out->n = 0;
	if (d == NULL || !d->active)
		return DIR_NOTFOUND;
	st = dircache_get(d->cache, &d->backend, kind, canonical, time(NULL), out, &stale);
	if (stale)
		log_notice("directory unavailable: serving a stale %s answer for %s",
		    kind == DIR_KIND_PROTECTED ? "protected" : "forwards",
		    text_clean(clean, sizeof(clean), canonical));
	return st;
}

enum dir_status
directory_forwards(struct directory *d, const char *canonical, struct dir_values *out)
{
	return dir_lookup(d, DIR_KIND_FORWARDS, canonical, out);
}

enum dir_status
directory_protected(struct directory *d, const char *canonical, struct dir_values *out)
{
	return dir_lookup(d, DIR_KIND_PROTECTED, canonical, out);
}
