/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * directory.h - the LDAP directory (README.md "Configuration": the
 * directory; "Failure behaviour": LDAP down or slow).
 *
 * Postfix expands virtual aliases after the milter has seen RCPT TO, so
 * fwdguard asks the same directory where a protected recipient's mail
 * goes.  Every lookup has three outcomes (dircache.h): found, not found,
 * try again; a server that is down is never taken for "no such entry".
 *
 * Lookups (filters built by dir_filter_build, values escaped per RFC 4515):
 *   forwards of a mailbox:  mailbox_filter, attributes forward_attributes
 *   protected mailbox:      (&<mailbox_filter><protected_filter>), same
 *                           attributes, so one query answers both
 * Two matching entries are ambiguous: logged, and answered "try again".
 *
 * Protected mailboxes known only to the directory, and every address of
 * an entry that holds a protected mailbox, also count for the egress
 * header signals (Delivered-To: and the like): a thread reloads the whole
 * protected set every ldap.cache.ttl seconds (at least 30) - the entries
 * of each YAML protected address (mailbox_filter) and of protected_filter,
 * attributes ldap.address_attributes and those compared with %s in
 * mailbox_filter - and policy_protected_canonical() consults that set
 * through the policy's protected_hook, which never blocks on LDAP.  Each
 * address maps to its mailbox's canonical name (diralias.h): mail to
 * contactfr@, another address of support@'s entry, is support@'s.
 *
 * Recipient delimiters (README.md "Recipient delimiters"): a recipient is
 * looked up whole first; only when the directory has no entry for the
 * whole address, and the address is internal, is the address without its
 * extension looked up - Postfix's order, so the entry asked about is the
 * one Postfix delivers to.  A whole address that could not be looked up
 * (try again) is never taken for "no entry".
 *
 * Internal domains from the directory (ldap.domain_filter, optional): the
 * same thread, in the same pass, loads the values of attribute
 * associatedDomain (RFC 4524; cosine.schema's domainRelatedObject) of every
 * entry matching domain_filter.  Each value is a domain or "*.suffix"
 * (subdomains only), normalized like the YAML list; address literals and
 * unreadable values are ignored (logged).  policy_domain_internal()
 * consults them through the policy's internal_hook after domains.internal,
 * reading the last loaded set (swapped whole, never blocking on LDAP).
 * Until the first successful load only the YAML list counts; a failed
 * reload keeps the last set; a successful one replaces it whole, so a
 * domain removed from the directory is external again.
 *
 * Outage policy (README.md "Failure behaviour"): when a recipient is protected (YAML list,
 * the directory, or the last loaded protected set) and the directory
 * cannot answer, the recipient gets ldap.on_error.  A recipient that is
 * in none of them flows: a directory outage must not stop all mail, and
 * the last loaded set still covers the mailboxes known before the outage.
 *
 * Without ldap.uri everything here is a no-op.  Thread-safe.
 */
#ifndef FWDGUARD_DIRECTORY_H
#define FWDGUARD_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cfg.h"
#include "decide.h"
#include "dircache.h"
#include "dirldap.h"		/* DIR_VALUE_MAX, DIR_POOL_SIZE, DIR_ENTRY_TAG */

#define DIR_FILTER_MAX		4096	/* longest filter sent */

/*
 * RFC 4515 escaping of one assertion value: '*', '(', ')', '\', NUL, every
 * control character and every byte >= 0x80 become \XX.  Returns the
 * length written, or -1 for an empty value, a value over DIR_VALUE_MAX
 * bytes, or out too small (nothing is then to be queried).
 */
int dir_filter_escape(const char *value, size_t len, char *out, size_t size);

/*
 * Replaces every %s of pattern with the escaped value (and "%%" with "%")
 * and, when extra is not NULL, ANDs it in: "(&<pattern><extra>)".
 * Returns 0, or -1 as above.
 */
int dir_filter_build(const char *pattern, const char *extra, const char *value,
    char *out, size_t size);

struct directory;

/*
 * A directory for the ldap section of cfg, or NULL with a reason in err.
 * Reads bind_password_file now (call it as root, before dropping
 * privileges); connects lazily.  Without ldap.uri the directory is
 * inactive: every lookup answers not found, no thread is started.
 */
struct directory *directory_open(const struct cfg *cfg, char *err, size_t errsize);

/* Same with a backend of your own (tests): no LDAP, no refresh thread. */
struct directory *directory_open_backend(const struct cfg *cfg,
    const struct dircache_backend *backend);

/*
 * The bind password: the first line of path, without its newline (owned:
 * explicit_bzero and free it).  NULL with a reason in err.
 */
char *directory_read_password(const char *path, char *err, size_t errsize);

/* Starts the thread that reloads the protected set (after privileges are dropped). */
int directory_start(struct directory *d);

void directory_close(struct directory *d);	/* accepts NULL */

/*
 * Reload: applies the ldap section of cfg (the password file is read
 * again; when that fails the old password stays) and flushes the cache.
 * 0, or -1 with a reason in err (the old settings stay).
 */
int directory_reconfigure(struct directory *d, const struct cfg *cfg, char *err, size_t errsize);

/* Points policy's protected_hook, known_hook and internal_hook at d (NULL d: clears them). */
void directory_attach(struct directory *d, struct policy *p);

/* Whether d has an ldap.uri (lookups are asked); false for NULL. */
bool directory_active(const struct directory *d);

/* The bind password: the file's first line, without its newline (owned), or NULL with a reason in err. */
char *directory_read_password(const char *path, char *err, size_t errsize);

/* Counts for the metrics: the cache's, and the refreshes of the protected set. */
struct directory_stat {
	struct dircache_stat cache;
	unsigned long long refreshes;		/* loads of the protected set and domains */
	unsigned long long refresh_errors;	/* of those, the directory did not answer */
};
/* Zeros for NULL or an inactive directory. */
void directory_stat(struct directory *d, struct directory_stat *out);

/* The process-wide directory (set once by main), or NULL. */
struct directory *directory_current(void);
void directory_set_current(struct directory *d);

/* Lookups: see above.  On DIR_FOUND *out holds the forward targets (owned). */
enum dir_status directory_forwards(struct directory *d, const char *canonical,
    struct dir_values *out);
enum dir_status directory_protected(struct directory *d, const char *canonical,
    struct dir_values *out);

/*
 * A whole-set search: every value of attrs (NULL-terminated) of the
 * entries matching filter under ldap.base, at most max_values, into *out
 * (owned by the caller).  DIR_NOTFOUND: no entry; DIR_TRYAGAIN: no answer.
 * by_entry: each value is written "<attribute>:<value>" (DIR_ENTRY_TAG)
 * and each entry's values are followed by an empty value, so the caller
 * can tell the entries and the attributes apart (diralias.h).
 */
typedef enum dir_status (*directory_search_fn)(void *ctx, const char *filter, char **attrs,
    size_t max_values, bool by_entry, struct dir_values *out);

/*
 * Tests: the searches of directory_refresh go to search instead of LDAP
 * (a directory from directory_open_backend has none: its sets stay empty).
 */
void directory_set_search(struct directory *d, directory_search_fn search, void *ctx);

/*
 * What the refresh thread does every ldap.cache.ttl (at least 30 s, 5 s
 * after a failure): loads the protected set and the internal domains.  0,
 * or -1 when the directory could not answer one of them (that one keeps
 * its last loaded contents).
 */
int directory_refresh(struct directory *d);

/* 1 when the normalized domain matches the last loaded internal domains. */
int directory_internal_known(struct directory *d, const char *domain);

/*
 * The protected mailbox canonical names in the last loaded protected set,
 * or NULL.  The pointer stays valid while the caller holds a pin taken
 * before the call (directory_pin), and always in a single-threaded test.
 */
const char *directory_protected_known(struct directory *d, const char *canonical);

/* canonical interned like the set's names (same lifetime), or NULL (ENOMEM, NULL d). */
const char *directory_intern(struct directory *d, const char *canonical);

/*
 * A message pins the directory's strings from its first lookup to its end,
 * so that a reload of the set cannot free a name it borrowed.  No lock is
 * held in between; NULL d: nothing to pin.
 */
unsigned long directory_pin(struct directory *d);
void directory_unpin(struct directory *d, unsigned long pin);

/*
 * 1 when the directory said, in an answer it still holds, that the whole
 * canonical address has an entry of its own; else 0.  Never blocks (the
 * policy's known_hook).
 */
int directory_address_known(struct directory *d, const char *canonical);

/*
 * The directory facts of one parsed recipient, for decide_message(): when
 * it is a protected mailbox (per policy or directory), its forward targets
 * are classified with policy_destination(); the first external, not
 * allowed one sets the directory-forward signal, extra_mailbox and
 * extra_target (written into target, which must outlive r).  A protected
 * recipient the directory cannot answer for gets directory_error.
 * extra_mailbox is set for every protected recipient (puts it in scope),
 * with extra_is_rcpt: the mailbox is the recipient's own.
 */
void directory_rcpt(struct directory *d, const struct policy *p, struct decide_rcpt *r,
    time_t now, char *target, size_t size);

#endif
