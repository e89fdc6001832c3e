/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_ecs.c - an audit entry as one Elastic Common Schema 8.x document
 * per line (fwdguard-audit --format ecs).  The field mapping is the table
 * in fwdguard-audit(1); every string goes through the JSON writer of
 * audit_view.c, which escapes controls, C1 and bidi controls.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "audit_siem.h"
#include "record_fields.h"

#define ECS_VERSION	"8.11.0"
#define ECS_ITEM_MAX	1024

/* ISO 8601 UTC with milliseconds, as @timestamp wants it. */
static void ecs_timestamp(FILE *out, long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char buf[40];
	if (ms < 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(buf, sizeof(buf), "1970-01-01T00:00:00");
		ms = 0;
	}
	fprintf(out, "\"%s.%03lldZ\"", buf, ms % 1000);
}

/* A JSON object being written: whether the next member needs a comma first. */
struct ecs_w {
	FILE *out;
	bool first;
};

static void ecs_key(struct ecs_w *w, const char *key)
{
	if (!w->first)
		fputc(',', w->out);
	w->first = false;
	view_json_string(w->out, key);
	fputc(':', w->out);
}

/* "key":"value", skipped when the value is absent or empty. */
static void ecs_str(struct ecs_w *w, const char *key, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	ecs_key(w, key);
	view_json_string(w->out, value);
}

static void ecs_begin(struct ecs_w *w, const char *key)
{
	ecs_key(w, key);
	fputc('{', w->out);
	w->first = true;
}

static void ecs_end(struct ecs_w *w)
{
	fputc('}', w->out);
	w->first = false;
}

/* Writes item (n bytes, NUL-terminated copy) as an array element. */
static void ecs_item(struct ecs_w *w, const char *item, size_t n, bool *first)
{
	char buf[ECS_ITEM_MAX];
	size_t k = n < sizeof(buf) ? n : sizeof(buf) - 1;
	memcpy(buf, item, k);
	buf[k] = '\0';
	if (!*first)
		fputc(',', w->out);
	*first = false;
	view_json_string(w->out, buf);
}

/* "key":[items of the comma list], always present (empty list: []). */
static void ecs_list(struct ecs_w *w, const char *key, const char *list)
{
	bool first = true;
	ecs_key(w, key);
	fputc('[', w->out);
	for (const char *p = list != NULL ? list : ""; *p != '\0';) {
		size_t n = strcspn(p, ",");
		if (n > 0)
			ecs_item(w, p, n, &first);
		p += n + (p[n] == ',');
	}
	fputc(']', w->out);
}

/* "key":{"address":[bare address]}, skipped when absent. */
static void ecs_address(struct ecs_w *w, const char *key, const char *v)
{
	char buf[ECS_ITEM_MAX];
	bool first = true;
	if (*siem_bare(v, buf, sizeof(buf)) == '\0')
		return;
	ecs_begin(w, key);
	ecs_key(w, "address");
	fputc('[', w->out);
	ecs_item(w, buf, strlen(buf), &first);
	fputc(']', w->out);
	ecs_end(w);
}

static void ecs_event(struct ecs_w *w, const struct view_entry *e)
{
	static const char *const outcome[] = { "success", "failure", "unknown" };
	static const char *const type[] = { "info,allowed", "info,denied", "info" };
	enum siem_outcome o = siem_outcome(e);
	ecs_begin(w, "event");
	ecs_str(w, "kind", "event");
	ecs_list(w, "category", "email");
	ecs_list(w, "type", type[o]);
	ecs_str(w, "action", view_get(e, REC_ACTION));
	ecs_str(w, "outcome", outcome[o]);
	ecs_str(w, "id", view_get(e, REC_ID));
	ecs_str(w, "reason", view_get(e, REC_REASON));
	ecs_str(w, "module", "fwdguard");
	ecs_str(w, "dataset", "fwdguard.audit");
	ecs_key(w, "severity");
	fprintf(w->out, "%d", siem_severity(e));
	ecs_end(w);
}

static void ecs_email(struct ecs_w *w, const struct view_entry *e)
{
	const char *from = view_get(e, REC_FROM), *dir = view_get(e, REC_DIRECTION);
	char id[ECS_ITEM_MAX];
	ecs_begin(w, "email");
	ecs_address(w, "from", from != NULL && *from != '\0' ? from : view_get(e, REC_SENDER));
	ecs_address(w, "to", view_get(e, REC_RECIPIENT));
	ecs_address(w, "sender", view_get(e, REC_SENDER));
	ecs_str(w, "message_id", siem_bare(view_get(e, REC_MESSAGE_ID), id, sizeof(id)));
	if (dir != NULL && (strcmp(dir, "inbound") == 0 || strcmp(dir, "outbound") == 0 ||
	    strcmp(dir, "internal") == 0))
		ecs_str(w, "direction", dir);
	ecs_end(w);
}

/* related.user: every address the entry names, once; related.hosts: host and destination domain. */
static void ecs_related(struct ecs_w *w, const struct view_entry *e)
{
	static const char *const addrs[] = { REC_SENDER, REC_FROM, REC_RECIPIENT, REC_MAILBOX, REC_TARGET };
	const char *seen[5];
	char buf[ECS_ITEM_MAX];
	size_t nseen = 0;
	bool first = true;
	ecs_begin(w, "related");
	ecs_key(w, "user");
	fputc('[', w->out);
	for (size_t i = 0; i < 5; i++) {
		const char *v = view_get(e, addrs[i]);
		if (v == NULL || strchr(v, '@') == NULL)
			continue;
		siem_bare(v, buf, sizeof(buf));
		bool dup = false;
		for (size_t j = 0; j < nseen && !dup; j++)
			dup = siem_same_address(seen[j], v);
		if (!dup)
			ecs_item(w, buf, strlen(buf), &first);
		seen[nseen++] = v;
	}
	fputc(']', w->out);
	first = true;
	ecs_key(w, "hosts");
	fputc('[', w->out);
	const char *host = view_get(e, REC_HOST), *dom = siem_domain(view_get(e, REC_RECIPIENT));
	if (host != NULL && *host != '\0')
		ecs_item(w, host, strlen(host), &first);
	if (dom != NULL && *dom != '\0')
		ecs_item(w, dom, strcspn(dom, ">"), &first);
	fputc(']', w->out);
	ecs_end(w);
}

/* fwdguard.<field> for every field of the entry, signals as an array. */
static void ecs_fwdguard(struct ecs_w *w, const struct view_entry *e)
{
	ecs_begin(w, "fwdguard");
	ecs_key(w, "stream_id");
	view_json_string(w->out, e->stream_id);
	for (size_t i = 0; i < e->n; i++) {
		if (strcmp(e->field[i], "stream_id") == 0 || view_get(e, e->field[i]) != e->value[i])
			continue;	/* a repeated field name would make the object ambiguous */
		if (strcmp(e->field[i], REC_SIGNALS) == 0) {
			ecs_list(w, "signals", e->value[i]);
			continue;
		}
		ecs_key(w, e->field[i]);
		view_json_string(w->out, e->value[i]);
	}
	ecs_end(w);
}

void ecs_print(FILE *out, const struct view_entry *e)
{
	struct ecs_w w = { .out = out, .first = true };
	fputc('{', out);
	ecs_key(&w, "@timestamp");
	ecs_timestamp(out, view_entry_ms(e));
	ecs_begin(&w, "ecs");
	ecs_str(&w, "version", ECS_VERSION);
	ecs_end(&w);
	ecs_event(&w, e);
	ecs_email(&w, e);
	ecs_begin(&w, "rule");
	ecs_str(&w, "name", view_get(e, REC_RULE));
	ecs_end(&w);
	ecs_begin(&w, "observer");
	ecs_str(&w, "hostname", view_get(e, REC_HOST));
	ecs_str(&w, "vendor", "fwdguard");
	ecs_str(&w, "product", "fwdguard");
	ecs_str(&w, "type", "mail-filter");
	ecs_str(&w, "version", PACKAGE_VERSION);
	ecs_end(&w);
	ecs_related(&w, e);
	ecs_fwdguard(&w, e);
	fputs("}\n", out);
}
