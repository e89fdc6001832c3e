/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_html.h - "fwdguard-audit report --html FILE": one self-contained
 * HTML page (inline CSS and SVG, no script, nothing fetched) that a DPO or
 * a manager reads on screen or on paper (milter/audit-tool/audit_html.c; private to
 * the fwdguard-audit tool).
 *
 * The page reads the trail only through window(), which adds every
 * decision between since and until (unix ms, inclusive, -1 open) to a
 * report and returns 0, or -1 after printing why it could not: the tool
 * passes its Redis reader, the tests a fake one.
 */
#ifndef FWDGUARD_AUDIT_HTML_H
#define FWDGUARD_AUDIT_HTML_H

#include <stdio.h>
#include <time.h>

#include "audit_view.h"
#include "policy.h"

struct html_params {
	long long since_ms, until_ms;	/* -1: open */
	const char *mailbox, *domain;	/* the filters given, or NULL */
	const struct policy *policy;	/* its allow list: the exceptions */
	time_t now;
	int (*window)(void *ctx, long long since, long long until, struct view_report *rep);
	void *ctx;
};

/* The page on out; 0, or -1 when the trail could not be read. */
int html_report(FILE *out, const struct html_params *p);

/* The page into path (written beside it, then renamed): 0, or -1 printed. */
int html_report_file(const char *path, const struct html_params *p);

#endif
