/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_cef.c - an audit entry as one ArcSight CEF:0 line (fwdguard-audit
 * --format cef).  The key mapping and the severity scale are the tables in
 * fwdguard-audit(1).
 *
 * Escaping follows the CEF specification: in the header '\' and '|' get a
 * backslash; in extension values '\' and '=' get one and line breaks are
 * written \n and \r.  CEF has no escape for other characters, so what could
 * drive or rearrange a reader's screen (other C0 controls, DEL, C1, bidi
 * controls, bytes that are not UTF-8) is written '?': the ECS and JSON
 * formats keep those as \u escapes.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "audit_siem.h"
#include "record_fields.h"

/* The custom string slots: field of the entry, label. */
static const char *const cef_custom[][2] = {
	{ REC_SIGNALS, "signals" }, { REC_MAILBOX, "mailbox" }, { REC_TARGET, "target" },
	{ REC_MODE, "mode" }, { REC_MESSAGE_ID, "messageId" }, { REC_FROM, "headerFrom" },
};

static void cef_write(FILE *out, const char *s, bool header)
{
	size_t n = s != NULL ? strlen(s) : 0;
	for (size_t i = 0; i < n;) {
		bool safe;
		size_t len = view_char(s + i, n - i, &safe);
		char c = s[i];
		if (c == '\\' || (header && c == '|') || (!header && c == '=')) {
			fputc('\\', out);
			fputc(c, out);
		} else if (!header && (c == '\n' || c == '\r')) {
			fputs(c == '\n' ? "\\n" : "\\r", out);
		} else if (!safe) {
			fputc('?', out);
		} else {
			fwrite(s + i, 1, len, out);
		}
		i += len;
	}
}

static void cef_header(FILE *out, const char *s)
{
	cef_write(out, s, true);
	fputc('|', out);
}

/* " key=value", skipped when the value is absent or empty. */
static void cef_ext(FILE *out, bool *first, const char *key, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	if (!*first)
		fputc(' ', out);
	*first = false;
	fputs(key, out);
	fputc('=', out);
	cef_write(out, value, false);
}

/* Standard keys: where the value has a CEF meaning of its own. */
static void cef_standard(FILE *out, bool *first, const struct view_entry *e)
{
	const char *dir = view_get(e, REC_DIRECTION);
	char rt[24], sender[1024], rcpt[1024];
	snprintf(rt, sizeof(rt), "%lld", view_entry_ms(e));
	cef_ext(out, first, "rt", rt);
	cef_ext(out, first, "act", view_get(e, REC_ACTION));
	cef_ext(out, first, "suser", siem_bare(view_get(e, REC_SENDER), sender, sizeof(sender)));
	cef_ext(out, first, "duser", siem_bare(view_get(e, REC_RECIPIENT), rcpt, sizeof(rcpt)));
	cef_ext(out, first, "dhost", siem_domain(rcpt));
	cef_ext(out, first, "msg", view_get(e, REC_REASON));
	cef_ext(out, first, "externalId", view_get(e, REC_ID));
	cef_ext(out, first, "dvchost", view_get(e, REC_HOST));
	cef_ext(out, first, "cat", view_get(e, REC_DESTINATION));
	/* deviceDirection knows two values: internal mail has none. */
	if (dir != NULL && strcmp(dir, "inbound") == 0)
		cef_ext(out, first, "deviceDirection", "0");
	else if (dir != NULL && strcmp(dir, "outbound") == 0)
		cef_ext(out, first, "deviceDirection", "1");
}

void cef_print(FILE *out, const struct view_entry *e)
{
	const char *action = view_get(e, REC_ACTION), *rule = view_get(e, REC_RULE);
	char name[128], severity[8], key[24];
	bool first = true;

	if (action == NULL || *action == '\0')
		action = "unknown";
	if (rule == NULL || *rule == '\0')
		rule = "none";
	snprintf(name, sizeof(name), "mail %s", action);
	snprintf(severity, sizeof(severity), "%d", siem_severity(e));
	fputs("CEF:0|", out);
	cef_header(out, "fwdguard");
	cef_header(out, "fwdguard");
	cef_header(out, PACKAGE_VERSION);
	cef_header(out, rule);
	cef_header(out, name);
	cef_header(out, severity);
	cef_standard(out, &first, e);
	for (size_t i = 0; i < sizeof(cef_custom) / sizeof(cef_custom[0]); i++) {
		const char *v = view_get(e, cef_custom[i][0]);
		if (v == NULL || *v == '\0')
			continue;
		snprintf(key, sizeof(key), "cs%zu", i + 1);
		cef_ext(out, &first, key, v);
		snprintf(key, sizeof(key), "cs%zuLabel", i + 1);
		cef_ext(out, &first, key, cef_custom[i][1]);
	}
	cef_ext(out, &first, "flexString1", view_get(e, REC_QUEUE_ID));
	if (view_get(e, REC_QUEUE_ID) != NULL && *view_get(e, REC_QUEUE_ID) != '\0')
		cef_ext(out, &first, "flexString1Label", "queueId");
	fputc('\n', out);
}
