/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg.c - loads fwdguard.yaml into an immutable, refcounted snapshot and
 * keeps the process-wide current one (include/cfg.h).
 *
 * Errors from the reader (cfg_yaml.c) and the key table (cfg_keys.c,
 * cfg_policy.c) are collected, then handed to the caller sorted by position,
 * so an administrator reads them in file order whatever order the checks
 * ran in.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cfg.h"
#include "cfg_keys.h"
#include "cfg_yaml.h"
#include "domain.h"
#include "sha256.h"

struct cfg_error {
	int line, col;
	size_t seq;		/* keeps errors at one position in the order found */
	char *msg;
};

/* The refcount lives beside the public struct, which must come first. */
struct cfg_box {
	struct cfg cfg;
	atomic_int refs;
};

static pthread_mutex_t cfg_current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cfg *cfg_current_ptr;

static void
cfg_report_at(struct cfg_loader *l, int line, int col, const char *msg)
{
	struct cfg_error *e;

	if (l->nerrors == l->nerrors_max) {
		size_t max = l->nerrors_max ? 2 * l->nerrors_max : 16;

		if ((e = realloc(l->errors, max * sizeof(*e))) == NULL) {
			l->nomem = true;
			return;
		}
		l->errors = e;
		l->nerrors_max = max;
	}
	e = &l->errors[l->nerrors];
	if ((e->msg = strdup(msg)) == NULL) {
		l->nomem = true;
		return;
	}
	e->line = line;
	e->col = col;
	e->seq = l->nerrors++;
}

void
cfg_report(struct cfg_loader *l, const struct cfg_node *n, const char *path,
    const char *fmt, ...)
{
	char msg[768];
	size_t used = 0;
	va_list ap;

	if (path != NULL && *path != '\0')
		used = (size_t)snprintf(msg, sizeof(msg), "%s: ", path);
	if (used < sizeof(msg)) {
		va_start(ap, fmt);
		vsnprintf(msg + used, sizeof(msg) - used, fmt, ap);
		va_end(ap);
	}
	cfg_report_at(l, n ? n->line : 1, n ? n->col : 1, msg);
}

static void
cfg_reader_error(void *ctx, int line, int col, const char *msg)
{
	cfg_report_at(ctx, line, col, msg);
}

const char *
cfg_show(const char *s, size_t len, char buf[CFG_SHOW_MAX + 8])
{
	size_t i = 0, o = 0, n;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		bool escape = c < 0x20 || c == 0x7f || c == '\\';

		/* Copy a UTF-8 sequence whole or not at all. */
		n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		if (n > len - i)
			n = len - i;
		if (o + (escape ? 4 : n) > CFG_SHOW_MAX)
			break;
		if (escape) {
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
			i++;
		} else {
			memcpy(buf + o, s + i, n);
			o += n;
			i += n;
		}
	}
	if (i < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static int
cfg_error_cmp(const void *a, const void *b)
{
	const struct cfg_error *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
cfg_errors_emit(struct cfg_loader *l, cfg_error_fn err, void *ctx)
{
	char line[1024];
	size_t i;

	qsort(l->errors, l->nerrors, sizeof(*l->errors), cfg_error_cmp);
	for (i = 0; i < l->nerrors; i++) {
		snprintf(line, sizeof(line), "%s:%d:%d: %s", l->name, l->errors[i].line,
		    l->errors[i].col, l->errors[i].msg);
		if (err != NULL)
			err(ctx, line);
		free(l->errors[i].msg);
	}
	free(l->errors);
	l->errors = NULL;
	l->nerrors = l->nerrors_max = 0;
}

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
		free(r->webhook.headers_file);
	}
	free(c->alerts.routes);
	free(c->alerts.notice_contact);
	free(c->alerts.notice_from);
	free(c->metrics.listen);
}

/* The defaults documented in include/cfg.h and fwdguard.yaml(5). */
static void
cfg_defaults(struct cfg_loader *l)
{
	struct cfg *c = l->cfg;

	c->milter.socket = cfg_strdup(l, "unix:/var/spool/postfix/fwdguard/fwdguard.sock");
	c->milter.user = cfg_strdup(l, "fwdguard");
	c->milter.on_error = ACTION_TEMPFAIL;
	c->log.facility = LOG_MAIL;
	c->log.level = LOG_INFO;
	c->policy.mode = MODE_ENFORCE;
	if ((c->policy.internal = domain_list_new()) == NULL)
		l->nomem = true;
	c->ldap.mailbox_filter = cfg_strdup(l, "(|(mail=%s)(mailAlternateAddress=%s))");
	if ((c->ldap.forward_attributes = calloc(3, sizeof(char *))) == NULL)
		l->nomem = true;
	else {
		c->ldap.forward_attributes[0] = cfg_strdup(l, "mailForwardingAddress");
		c->ldap.forward_attributes[1] = cfg_strdup(l, "mailRoutingAddress");
		c->ldap.nforward_attributes = 2;
	}
	if ((c->ldap.address_attributes = calloc(5, sizeof(char *))) == NULL)
		l->nomem = true;
	else {
		static const char *const addr_attrs[] = { "mail", "mailLocalAddress",
		    "mailAlternateAddress", "proxyAddresses" };

		for (size_t i = 0; i < 4; i++)
			c->ldap.address_attributes[i] = cfg_strdup(l, addr_attrs[i]);
		c->ldap.naddress_attributes = 4;
	}
	c->ldap.timeout = 2;
	c->ldap.cache_ttl = 300;
	c->ldap.cache_negative_ttl = 60;
	c->ldap.on_error = ACTION_TEMPFAIL;
	c->ldap.watch_mode = WATCH_AUTO;
	c->ldap.watch_poll_interval = 60;
	c->ldap.watch_rescan_interval = 3600;
	c->ldap.watch_alert = ALERT_CRITICAL;
	c->redis.address = cfg_strdup(l, "127.0.0.1:6379");
	c->redis.master_name = cfg_strdup(l, "fwdguard");
	c->redis.prefix = cfg_strdup(l, "fwdguard:");
	c->redis.timeout = 1;
	c->redis.replica_timeout = 0.5;
	c->audit.scope = SCOPE_PROTECTED;
	c->audit.spool = cfg_strdup(l, "/var/spool/fwdguard");
	c->audit.stream_maxlen = 10000000;
	c->audit.correlation_ttl = 2592000;
	c->audit.anchor_interval = 3600;
	c->audit.correlation_on_error = ACTION_ACCEPT;
	c->alerts.syslog = true;
	c->alerts.sendmail = cfg_strdup(l, "/usr/sbin/sendmail");
	c->alerts.dedupe_window = 3600;
	c->alerts.expiry_notice_days = 14;
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
	struct cfg_node *root;
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
	cfg_defaults(&l);
	root = cfg_yaml_parse(buf, len, cfg_reader_error, &l, &nread);
	if (root != NULL && !l.nomem)
		cfg_apply(&l, root);
	cfg_yaml_free(root);
	if (l.nomem && l.nerrors == 0)
		cfg_report_at(&l, 1, 1, "out of memory");
	if (l.nerrors > 0 || l.nomem) {
		cfg_errors_emit(&l, err, ctx);
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
