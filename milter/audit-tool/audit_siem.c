/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_siem.c - what the SIEM encodings (audit_ecs.c, audit_cef.c) read
 * the same way from an audit entry: whether the mail left, leak evidence,
 * bare addresses.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "audit_siem.h"
#include "record_fields.h"

enum siem_outcome siem_outcome(const struct view_entry *e)
{
	static const char *const stopped[] = { "reject", "tempfail", "quarantine", "strip",
	    "reroute" };
	const char *action = view_get(e, REC_ACTION), *mode = view_get(e, REC_MODE);
	if (action == NULL || *action == '\0')
		return SIEM_UNKNOWN;
	/* Monitor mode records what the rule would have done; the mail passed. */
	if (mode != NULL && strcasecmp(mode, "monitor") == 0)
		return SIEM_LEFT;
	if (strcasecmp(action, "accept") == 0 || strcasecmp(action, "flag") == 0)
		return SIEM_LEFT;
	for (size_t i = 0; i < sizeof(stopped) / sizeof(stopped[0]); i++)
		if (strcasecmp(action, stopped[i]) == 0)
			return SIEM_STOPPED;
	return SIEM_UNKNOWN;
}

bool siem_leak(const struct view_entry *e)
{
	const char *s = view_get(e, REC_SIGNALS);
	if (s == NULL)
		return false;
	/* Whole items of the comma list only: a prefix of another name is not one. */
	for (const char *p = s; *p != '\0';) {
		size_t n = strcspn(p, ",");
		if ((n == 10 && strncmp(p, "leak-probe", n) == 0) ||
		    (n == 16 && strncmp(p, "leak-backscatter", n) == 0))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

const char *siem_bare(const char *v, char *buf, size_t size)
{
	size_t n = v != NULL ? strlen(v) : 0;
	if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
		v++;
		n -= 2;
	}
	if (n >= size)
		n = size - 1;
	if (n > 0)
		memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}

int siem_severity(const struct view_entry *e)
{
	static const struct { const char *action; int stopped, left; } scale[] = {
		{ "reject", 8, 9 }, { "quarantine", 7, 9 }, { "strip", 6, 9 }, { "reroute", 6, 9 },
		{ "tempfail", 5, 9 }, { "flag", 5, 5 },
	};
	const char *action = view_get(e, REC_ACTION), *signals = view_get(e, REC_SIGNALS);
	enum siem_outcome o = siem_outcome(e);
	if (siem_leak(e))
		return 10;
	for (size_t i = 0; action != NULL && i < sizeof(scale) / sizeof(scale[0]); i++)
		if (strcasecmp(action, scale[i].action) == 0)
			return o == SIEM_STOPPED ? scale[i].stopped : scale[i].left;
	if (o == SIEM_UNKNOWN)
		return 5;
	return signals != NULL && *signals != '\0' ? 3 : 1;
}

const char *siem_domain(const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	return at != NULL ? at + 1 : NULL;
}

bool siem_same_address(const char *a, const char *b)
{
	char x[1024], y[1024];
	return strcasecmp(siem_bare(a, x, sizeof(x)), siem_bare(b, y, sizeof(y))) == 0;
}
