/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg.c - loads fwdguard.yaml into an immutable, refcounted snapshot and
 * keeps the process-wide current one (include/cfg.h).
 *
 * The defaults come from the key table (cfg_keys.c), then the file is
 * read (cfg_yaml.c) and walked against the table; errors from all of them
 * are collected (cfg_loader.c) and handed to the caller sorted by
 * position, so an administrator reads them in file order whatever order
 * the checks ran in.  The checks that tie sections together run last.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "cfg_alerts.h"
#include "cfg_keys.h"
#include "cfg_loader.h"
#include "cfg_reroute.h"
#include "cfg_yaml.h"
#include "domain.h"
#include "sha256.h"

/* The refcount lives beside the public struct, which must come first. */
struct cfg_box {
	struct cfg cfg;
	atomic_int refs;
};

static pthread_mutex_t cfg_current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cfg *cfg_current_ptr;

static void
cfg_contents_free(struct cfg *c)
{
	struct policy *p = &c->policy;
	size_t i;

	free(c->path);
	free(c->milter.socket);
	free(c->milter.user);
	free(c->milter.mark_key_file);
	domain_list_free(p->internal);
	cfg_strv_free(p->protected, p->nprotected);
	for (i = 0; i < p->nallow; i++) {
		free(p->allow[i].destination);
		cfg_strv_free(p->allow[i].mailboxes, p->allow[i].nmailboxes);
		free(p->allow[i].reason);
		free(p->allow[i].owner);
		free(p->allow[i].expires);
	}
	free(p->allow);
	for (i = 0; i < p->nrules; i++) {
		free(p->rules[i].name);
		free(p->rules[i].reply);
		free(p->rules[i].reroute_to);
		free(p->rules[i].notify_routes);
	}
	free(p->rules);
	free(c->ldap.uri);
	free(c->ldap.bind_dn);
	free(c->ldap.bind_password_file);
	free(c->ldap.base);
	free(c->ldap.mailbox_filter);
	cfg_strv_free(c->ldap.forward_attributes, c->ldap.nforward_attributes);
	cfg_strv_free(c->ldap.address_attributes, c->ldap.naddress_attributes);
	free(c->ldap.protected_filter);
	free(c->ldap.domain_filter);
	free(c->ldap.watch_spool);
	free(c->redis.address);
	cfg_strv_free(c->redis.sentinels, c->redis.nsentinels);
	free(c->redis.master_name);
	free(c->redis.password_file);
	free(c->redis.prefix);
	free(c->audit.spool);
	free(c->probes_from);
	free(c->alerts.mail_to);
	free(c->alerts.mail_from);
	free(c->alerts.sendmail);
	for (i = 0; i < c->alerts.nroutes; i++) {
		struct cfg_route *r = &c->alerts.routes[i];

		free(r->name);
		cfg_strv_free(r->mailboxes, r->nmailboxes);
		cfg_strv_free(r->rules, r->nrules);
		cfg_strv_free(r->mail_to, r->nmail_to);
		free(r->webhook.url);
		free(r->webhook.url_file);
		free(r->webhook.headers_file);
	}
	free(c->alerts.routes);
	free(c->alerts.notice_contact);
	free(c->alerts.notice_from);
	free(c->metrics.listen);
}

/* Checks that tie keys of different sections together. */
static void
cfg_cross_checks(struct cfg_loader *l, const struct cfg_node *root)
{
	const struct cfg_node *ldap = cfg_yaml_get(root, "ldap");
	const struct cfg_node *redis = cfg_yaml_get(root, "redis");
	const struct cfg_node *alerts = cfg_yaml_get(root, "alerts");
	struct cfg *c = l->cfg;

	if (c->redis.nsentinels > 0 && (c->redis.master_name == NULL || *c->redis.master_name == '\0'))
		cfg_report(l, cfg_yaml_get(redis, "sentinels"), "redis.sentinels",
		    "sentinels need redis.master_name");
	/* WAIT blocks the connection: a reply later than the command timeout
	 * would read as a dead server and drop the connection. */
	if (c->redis.min_replicas > 0 && c->redis.replica_timeout >= c->redis.timeout) {
		const struct cfg_node *at = cfg_yaml_get(redis, "replica_timeout");

		cfg_report(l, at != NULL ? at : cfg_yaml_get(redis, "min_replicas"),
		    "redis.replica_timeout", "%g s is not shorter than redis.timeout (%g s): "
		    "WAIT must answer before the command times out", c->redis.replica_timeout,
		    c->redis.timeout);
	}
	if (c->ldap.uri != NULL && c->ldap.base == NULL)
		cfg_report(l, cfg_yaml_get(ldap, "uri"), "ldap", "missing required key 'base' (ldap.uri is set)");
	if (c->ldap.uri == NULL && (c->ldap.protected_filter != NULL || c->ldap.domain_filter != NULL))
		cfg_report(l, ldap, "ldap", "missing required key 'uri' (a filter is set)");
	if (c->ldap.uri == NULL && cfg_yaml_get(ldap, "watch") != NULL)
		cfg_report(l, cfg_yaml_get(ldap, "watch"), "ldap.watch",
		    "missing required key 'ldap.uri' (there is no directory to watch)");
	if (c->ldap.starttls && c->ldap.uri != NULL && strncasecmp(c->ldap.uri, "ldaps:", 6) == 0)
		cfg_report(l, cfg_yaml_get(ldap, "starttls"), "ldap.starttls",
		    "starttls with an ldaps:// URI (TLS is already on)");
	if (c->alerts.mail_to != NULL && c->alerts.mail_from == NULL)
		cfg_report(l, cfg_yaml_get(alerts, "mail"), "alerts.mail",
		    "missing required key 'from' (alerts.mail.to is set)");
	cfg_alerts_check(l, root);
	cfg_notice_check(l, root);
}

static void
cfg_apply(struct cfg_loader *l, const struct cfg_node *root)
{
	if (root->kind == CFG_NODE_SCALAR && cfg_yaml_is_null(root))
		cfg_report(l, root, NULL, "empty configuration (no keys)");
	else if (root->kind != CFG_NODE_MAP)
		cfg_report(l, root, NULL, "the top level must be a mapping of keys, not %s",
		    cfg_kind_name(root));
	else {
		cfg_keys_apply(l, root);
		cfg_cross_checks(l, root);
	}
}

static struct cfg *
cfg_load_buffer_with(const char *name, const char *buf, size_t len, bool host_checks,
    cfg_error_fn err, void *ctx)
{
	struct cfg_loader l;
	struct cfg_box *box;
	struct cfg_node *root = NULL;
	int nread = 0;

	memset(&l, 0, sizeof(l));
	l.name = name;
	l.host_checks = host_checks;
	if ((box = calloc(1, sizeof(*box))) == NULL) {
		if (err != NULL)
			err(ctx, "out of memory");
		return NULL;
	}
	atomic_init(&box->refs, 1);
	l.cfg = &box->cfg;
	l.cfg->path = cfg_strdup(&l, name);
	sha256_hex(buf, len, l.cfg->digest);
	cfg_keys_defaults(&l);
	if (len > CFG_MAX_BYTES)	/* the reader's time and memory grow with it */
		cfg_report(&l, NULL, NULL, "file is larger than %d bytes", CFG_MAX_BYTES);
	else
		root = cfg_yaml_parse(buf, len, cfg_report_reader, &l, &nread);
	if (root != NULL && !l.nomem)
		cfg_apply(&l, root);
	cfg_yaml_free(root);
	if (l.nomem && l.nerrors == 0)
		cfg_report_at(&l, 1, 1, "out of memory");
	if (l.nerrors > 0 || l.nomem) {
		cfg_loader_emit(&l, err, ctx);
		cfg_contents_free(l.cfg);
		free(box);
		return NULL;
	}
	return l.cfg;
}

struct cfg *
cfg_load_buffer(const char *name, const char *buf, size_t len, cfg_error_fn err, void *ctx)
{
	return cfg_load_buffer_with(name, buf, len, false, err, ctx);
}

struct cfg *
cfg_load_buffer_host(const char *name, const char *buf, size_t len, cfg_error_fn err,
    void *ctx)
{
	return cfg_load_buffer_with(name, buf, len, true, err, ctx);
}

static void
cfg_error_errno(cfg_error_fn err, void *ctx, const char *path, const char *what)
{
	char line[1024];

	snprintf(line, sizeof(line), "%s: %s: %s", path, what, strerror(errno));
	if (err != NULL)
		err(ctx, line);
}

static struct cfg *
cfg_load_with(const char *path, bool host_checks, cfg_error_fn err, void *ctx)
{
	struct cfg *c = NULL;
	struct stat st;
	char *buf, line[1024];
	ssize_t n = 0;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		cfg_error_errno(err, ctx, path, "cannot open");
		return NULL;
	}
	line[0] = '\0';
	if (fstat(fd, &st) < 0)
		snprintf(line, sizeof(line), "%s: cannot stat: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(line, sizeof(line), "%s: not a regular file", path);
	else if (st.st_size > CFG_MAX_BYTES)
		snprintf(line, sizeof(line), "%s:1:1: file is larger than %d bytes", path,
		    CFG_MAX_BYTES);
	if (line[0] != '\0') {
		if (err != NULL)
			err(ctx, line);
		close(fd);
		return NULL;
	}
	/* One byte more than the limit, to notice a file that grew meanwhile. */
	if ((buf = malloc(CFG_MAX_BYTES + 1)) == NULL) {
		close(fd);
		if (err != NULL)
			err(ctx, "out of memory");
		return NULL;
	}
	while (len <= CFG_MAX_BYTES &&
	    ((n = read(fd, buf + len, CFG_MAX_BYTES + 1 - len)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	if (n < 0)
		cfg_error_errno(err, ctx, path, "cannot read");
	else
		c = cfg_load_buffer_with(path, buf, len, host_checks, err, ctx);
	free(buf);
	close(fd);
	return c;
}

struct cfg *
cfg_load(const char *path, cfg_error_fn err, void *ctx)
{
	return cfg_load_with(path, false, err, ctx);
}

struct cfg *
cfg_load_host(const char *path, cfg_error_fn err, void *ctx)
{
	return cfg_load_with(path, true, err, ctx);
}

struct cfg *
cfg_ref(struct cfg *c)
{
	if (c != NULL)
		atomic_fetch_add_explicit(&((struct cfg_box *)(void *)c)->refs, 1, memory_order_relaxed);
	return c;
}

void
cfg_unref(struct cfg *c)
{
	struct cfg_box *box = (struct cfg_box *)(void *)c;

	if (c == NULL || atomic_fetch_sub_explicit(&box->refs, 1, memory_order_acq_rel) != 1)
		return;
	cfg_contents_free(c);
	free(box);
}

struct cfg *
cfg_current(void)
{
	struct cfg *c;

	pthread_mutex_lock(&cfg_current_lock);
	c = cfg_ref(cfg_current_ptr);
	pthread_mutex_unlock(&cfg_current_lock);
	return c;
}

void
cfg_current_set(struct cfg *c)
{
	struct cfg *old;

	pthread_mutex_lock(&cfg_current_lock);
	old = cfg_current_ptr;
	cfg_current_ptr = c;
	pthread_mutex_unlock(&cfg_current_lock);
	cfg_unref(old);
}
