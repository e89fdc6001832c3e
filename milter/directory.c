/*
 * directory.c - the directory front door: filters, lookups through the
 * cache, the protected set for the policy hook, and the directory facts
 * of a recipient.  See directory.h.
 *
 * Strings handed to the policy (protected mailbox names) are interned:
 * the policy and the audit records borrow them for as long as they like,
 * so they are never freed.  Their number is bounded by the directory's
 * content, not by mail.
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

#include "directory.h"
#include "dirldap.h"
#include "log.h"

#define DIR_PASSWORD_MAX	4096
#define DIR_SET_VALUES_MAX	200000	/* protected addresses loaded at most */
#define DIR_STALE_MAX		3600
#define DIR_INTERN_BUCKETS	65536
#define DIR_ATTRS_MAX		16

/* What lookups read; replaced as a whole on reload. */
struct dir_settings {
	unsigned refs;
	char *mailbox_filter;
	char *protected_filter;
	char **fwd_attrs;	/* NULL-terminated */
	char **set_attrs;	/* attributes compared with %s in mailbox_filter */
	long ttl;
};

struct directory {
	bool active;
	pthread_mutex_t lock;		/* settings, password, thread state */
	struct dir_settings *settings;
	char *password_file;
	char *password;
	struct dircache *cache;
	struct dirldap *ldap;		/* NULL with a test backend */
	struct dircache_backend backend;

	pthread_rwlock_t setlock;	/* the protected set */
	const char **set;		/* sorted interned canonical addresses */
	size_t nset;

	bool thread_started, stop, refresh_now;
	pthread_t thread;
	pthread_cond_t wake;
};

static struct directory *dir_current_dir;

/* ---- RFC 4515 filters ----------------------------------------------------- */

int
dir_filter_escape(const char *value, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (value == NULL || len == 0 || len > DIR_VALUE_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)value[i];
		bool plain = ch > 0x20 && ch < 0x7f && ch != '*' && ch != '(' && ch != ')' &&
		    ch != '\\';

		if (o + (plain ? 1 : 3) >= size)
			return -1;
		if (plain) {
			out[o++] = (char)ch;
			continue;
		}
		out[o++] = '\\';
		out[o++] = hex[ch >> 4];
		out[o++] = hex[ch & 0x0f];
	}
	out[o] = '\0';
	return (int)o;
}

static int
dir_append(char *out, size_t size, size_t *o, const char *s, size_t n)
{
	if (*o + n >= size)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

int
dir_filter_build(const char *pattern, const char *extra, const char *value,
    char *out, size_t size)
{
	char esc[DIR_VALUE_MAX * 3 + 1];
	int elen;
	size_t o = 0;

	if (size == 0 || pattern == NULL || value == NULL)
		return -1;
	out[0] = '\0';
	if ((elen = dir_filter_escape(value, strlen(value), esc, sizeof(esc))) < 0)
		return -1;
	if (extra != NULL && dir_append(out, size, &o, "(&", 2) != 0)
		return -1;
	for (const char *p = pattern; *p != '\0'; p++) {
		int rc;

		if (p[0] == '%' && p[1] == 's') {
			rc = dir_append(out, size, &o, esc, (size_t)elen);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			rc = dir_append(out, size, &o, "%", 1);
			p++;
		} else
			rc = dir_append(out, size, &o, p, 1);
		if (rc != 0)
			return -1;
	}
	if (extra != NULL && (dir_append(out, size, &o, extra, strlen(extra)) != 0 ||
	    dir_append(out, size, &o, ")", 1) != 0))
		return -1;
	return 0;
}

/* ---- interned strings ------------------------------------------------------ */

struct dir_interned {
	struct dir_interned *next;
	char s[];
};

static pthread_mutex_t dir_intern_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dir_interned *dir_intern_table[DIR_INTERN_BUCKETS];

static const char *
dir_intern(const char *s)
{
	uint32_t h = 2166136261u;
	struct dir_interned *e;
	size_t len = strlen(s);

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	h &= DIR_INTERN_BUCKETS - 1;
	pthread_mutex_lock(&dir_intern_lock);
	for (e = dir_intern_table[h]; e != NULL; e = e->next)
		if (strcmp(e->s, s) == 0)
			break;
	if (e == NULL && (e = malloc(sizeof(*e) + len + 1)) != NULL) {
		memcpy(e->s, s, len + 1);
		e->next = dir_intern_table[h];
		dir_intern_table[h] = e;
	}
	pthread_mutex_unlock(&dir_intern_lock);
	return e != NULL ? e->s : NULL;
}

/* ---- settings -------------------------------------------------------------- */

static void
dir_strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void
dir_settings_unref(struct dir_settings *s)
{
	if (s == NULL || --s->refs > 0)
		return;
	free(s->mailbox_filter);
	free(s->protected_filter);
	dir_strv_free(s->fwd_attrs);
	dir_strv_free(s->set_attrs);
	free(s);
}

/* Adds the attribute named before each "=%s" of the filter to v (no duplicates). */
static int
dir_filter_attrs(const char *filter, char **v)
{
	size_t n = 0;

	for (const char *p = filter; (p = strstr(p, "=%s")) != NULL; p += 3) {
		const char *a = p;
		bool dup = false;

		while (a > filter && a[-1] != '(' && a[-1] != '&' && a[-1] != '|')
			a--;
		if (a == p || n + 1 >= DIR_ATTRS_MAX)
			continue;
		for (size_t i = 0; i < n; i++)
			dup = dup || (strlen(v[i]) == (size_t)(p - a) &&
			    strncasecmp(v[i], a, (size_t)(p - a)) == 0);
		if (!dup && (v[n++] = strndup(a, (size_t)(p - a))) == NULL)
			return -1;
	}
	if (n == 0 && (v[n++] = strdup("mail")) == NULL)
		return -1;
	return 0;
}

static struct dir_settings *
dir_settings_new(const struct cfg_ldap *l)
{
	struct dir_settings *s = calloc(1, sizeof(*s));
	bool fail;

	if (s == NULL)
		return NULL;
	s->refs = 1;
	s->ttl = l->cache_ttl;
	s->mailbox_filter = strdup(l->mailbox_filter != NULL ? l->mailbox_filter : "(mail=%s)");
	s->protected_filter = l->protected_filter != NULL ? strdup(l->protected_filter) : NULL;
	s->fwd_attrs = calloc(l->nforward_attributes + 1, sizeof(char *));
	s->set_attrs = calloc(DIR_ATTRS_MAX, sizeof(char *));
	fail = s->mailbox_filter == NULL || s->fwd_attrs == NULL || s->set_attrs == NULL ||
	    (l->protected_filter != NULL && s->protected_filter == NULL);
	for (size_t i = 0; !fail && i < l->nforward_attributes; i++)
		fail = (s->fwd_attrs[i] = strdup(l->forward_attributes[i])) == NULL;
	if (fail || dir_filter_attrs(s->mailbox_filter, s->set_attrs) != 0) {
		dir_settings_unref(s);
		return NULL;
	}
	return s;
}

static struct dir_settings *
dir_settings_get(struct directory *d)
{
	struct dir_settings *s;

	pthread_mutex_lock(&d->lock);
	if ((s = d->settings) != NULL)
		s->refs++;
	pthread_mutex_unlock(&d->lock);
	return s;
}

static void
dir_settings_put(struct directory *d, struct dir_settings *s)
{
	pthread_mutex_lock(&d->lock);
	dir_settings_unref(s);
	pthread_mutex_unlock(&d->lock);
}

/* The bind password: the file's first line, without its newline. */
static char *
dir_read_password(const char *path, char *err, size_t errsize)
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
	struct dir_settings *s = dir_settings_get(d);
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
		st = dirldap_search(d->ldap, filter, s->fwd_attrs, 1, DIR_VALUES_MAX, out,
		    &nentries);
	dir_settings_put(d, s);
	return st;
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
	if ((d->cache = dircache_new(0)) == NULL ||
	    (d->settings = dir_settings_new(&cfg->ldap)) == NULL) {
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
	if (!d->active)
		return d;
	if (cfg->ldap.bind_password_file != NULL && cfg->ldap.bind_password_file[0] != '\0') {
		if ((d->password = dir_read_password(cfg->ldap.bind_password_file, err,
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
	pw = dir_read_password(l->bind_password_file, err, errsize);
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
	struct dir_settings *s, *old;

	snprintf(err, errsize, "out of memory");
	if (d == NULL)
		return 0;
	if (cfg->ldap.uri != NULL && d->ldap == NULL && d->backend.lookup == dir_ldap_lookup) {
		snprintf(err, errsize, "ldap.uri added: restart fwdguard to open the directory");
		return -1;
	}
	if ((s = dir_settings_new(&cfg->ldap)) == NULL)
		return -1;
	pthread_mutex_lock(&d->lock);
	if (d->ldap != NULL && (dir_reconfigure_password(d, &cfg->ldap, err, errsize) != 0 ||
	    dirldap_configure(d->ldap, &cfg->ldap, d->password) != 0)) {
		pthread_mutex_unlock(&d->lock);
		dir_settings_unref(s);
		return -1;
	}
	old = d->settings;
	d->settings = s;
	d->active = cfg->ldap.uri != NULL;
	dir_settings_unref(old);
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
	dir_settings_unref(d->settings);
	dir_password_free(d->password);
	free(d->password_file);
	free(d->set);
	pthread_cond_destroy(&d->wake);
	pthread_rwlock_destroy(&d->setlock);
	pthread_mutex_destroy(&d->lock);
	if (dir_current_dir == d)
		dir_current_dir = NULL;
	free(d);
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

static int
dir_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The comparison form of a directory value, or -1 when it is no plain address. */
static int
dir_canonical(const char *value, const char *delimiters, char *out, size_t size)
{
	struct address a;

	if (address_parse(value, strlen(value), &a) != ADDRESS_OK || a.nhops != 1 ||
	    a.route != ROUTE_NONE)
		return -1;
	return address_canonical(&a, delimiters, out, size);
}

static void
dir_set_install(struct directory *d, const struct dir_values *vals)
{
	char canon[ADDRESS_CANONICAL_MAX + 1];
	const char **set, **old;
	size_t n = 0;

	if ((set = calloc(vals->n + 1, sizeof(*set))) == NULL) {
		log_warnx("directory: out of memory loading the protected set");
		return;
	}
	for (size_t i = 0; i < vals->n; i++)
		if (dir_canonical(vals->v[i], "", canon, sizeof(canon)) == 0 &&
		    (set[n] = dir_intern(canon)) != NULL)
			n++;
	qsort(set, n, sizeof(*set), dir_cmp);
	pthread_rwlock_wrlock(&d->setlock);
	old = d->set;
	d->set = set;
	d->nset = n;
	pthread_rwlock_unlock(&d->setlock);
	free(old);
	log_info("directory: %zu protected addresses loaded", n);
}

/* One load of the set; 0, or -1 when the directory could not answer. */
static int
dir_set_load(struct directory *d)
{
	struct dir_settings *s = dir_settings_get(d);
	struct dir_values vals = { NULL, 0 };
	enum dir_status st = DIR_NOTFOUND;
	size_t nentries;

	if (s == NULL)
		return -1;
	if (s->protected_filter != NULL)
		st = dirldap_search(d->ldap, s->protected_filter, s->set_attrs, 0,
		    DIR_SET_VALUES_MAX, &vals, &nentries);
	dir_settings_put(d, s);
	if (st == DIR_TRYAGAIN)
		return -1;
	dir_set_install(d, &vals);
	dir_values_free(&vals);
	return 0;
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
		rc = d->active ? dir_set_load(d) : 0;
		pthread_mutex_lock(&d->lock);
		/*
		 * Reload the set at most every 30 s; after a failure try again in
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
	const char **hit = NULL;
	const char *r;

	if (d == NULL || canonical == NULL || !d->active)
		return NULL;
	pthread_rwlock_rdlock(&d->setlock);
	if (d->nset > 0)
		hit = bsearch(&canonical, d->set, d->nset, sizeof(*d->set), dir_cmp);
	r = hit != NULL ? *hit : NULL;
	pthread_rwlock_unlock(&d->setlock);
	return r;
}

static const char *
dir_hook(void *ctx, const char *canonical)
{
	return directory_protected_known(ctx, canonical);
}

void
directory_attach(struct directory *d, struct policy *p)
{
	p->protected_hook = d != NULL ? dir_hook : NULL;
	p->protected_ctx = d;
}

/* ---- lookups ----------------------------------------------------------------- */

/* Copies text for a log line: control characters and non-ASCII become '?'. */
static const char *
dir_clean(char *buf, size_t size, const char *text)
{
	size_t i;

	for (i = 0; text[i] != '\0' && i + 1 < size; i++)
		buf[i] = (text[i] < 0x20 || text[i] >= 0x7f) ? '?' : text[i];
	buf[i] = '\0';
	return buf;
}

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
		    dir_clean(clean, sizeof(clean), canonical));
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

/* ---- a recipient's directory facts ------------------------------------------ */

static void
dir_forward_check(const struct policy *p, struct decide_rcpt *r, const char *mailbox,
    const struct dir_values *targets, time_t now, char *target, size_t size)
{
	struct address a;

	for (size_t i = 0; i < targets->n; i++) {
		const char *t = targets->v[i];

		/* A target that cannot be read is not vouched for: external. */
		if (address_parse(t, strlen(t), &a) == ADDRESS_OK &&
		    policy_destination(p, &a, mailbox, now, NULL, NULL) != DEST_EXTERNAL)
			continue;
		r->extra |= SIGNAL_BIT(SIGNAL_DIRECTORY_FORWARD);
		dir_clean(target, size, t);
		r->extra_target = target;
		return;
	}
}

void
directory_rcpt(struct directory *d, const struct policy *p, struct decide_rcpt *r,
    time_t now, char *target, size_t size)
{
	char canon[ADDRESS_CANONICAL_MAX + 1];
	struct dir_values targets = { NULL, 0 };
	const char *mailbox;
	enum dir_status st;

	if (d == NULL || !d->active || r->status != ADDRESS_OK || r->addr.nhops != 1 ||
	    r->addr.route != ROUTE_NONE ||
	    address_canonical(&r->addr, p->delimiters, canon, sizeof(canon)) != 0)
		return;
	if ((mailbox = policy_protected_canonical(p, canon)) != NULL) {
		st = directory_forwards(d, canon, &targets);
	} else {
		st = directory_protected(d, canon, &targets);
		/* Neither listed nor known protected: an outage lets it flow. */
		if (st != DIR_FOUND || (mailbox = dir_intern(canon)) == NULL) {
			dir_values_free(&targets);
			return;
		}
	}
	r->extra_mailbox = mailbox;
	if (st == DIR_TRYAGAIN)
		r->directory_error = true;
	else if (st == DIR_FOUND)
		dir_forward_check(p, r, mailbox, &targets, now, target, size);
	dir_values_free(&targets);
}
