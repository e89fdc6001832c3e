/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_svg.h - the pieces of fwdguard-audit's HTML report that are drawn:
 * escaped text, bar lengths, stacked bars per day and a timeline, as
 * inline SVG (milter/audit-tool/audit_svg.c; private to the fwdguard-audit tool).
 *
 * Everything printed from a value goes through svg_text: values come from
 * the trail, where hostile addresses are the norm.  Nothing here fetches
 * anything: no script, font or image leaves the page.
 */
#ifndef FWDGUARD_AUDIT_SVG_H
#define FWDGUARD_AUDIT_SVG_H

#include <stddef.h>
#include <stdio.h>

/*
 * s as HTML/XML text, fit for an element's content and a quoted attribute
 * value: & < > " ' as character references; controls, bidi controls and
 * bytes that are not UTF-8 as U+FFFD.  NULL or empty prints "-".
 */
void svg_text(FILE *out, const char *s);

/*
 * Length in pixels of a bar for v out of max drawn over px: proportional,
 * rounded to the nearest pixel, at least 1 for any v > 0 (a day with one
 * decision must show), never more than px; 0 for v <= 0 or max <= 0.
 */
int svg_scale(long v, long max, int px);

/* The smallest 1, 2 or 5 times a power of ten that is >= max (1 for max <= 1). */
long svg_nice_max(long max);

/* Stacked bars: one bar per column, one segment per series. */
struct svg_stack {
	size_t ncols, nseries;
	const char *const *col_label;	/* per column: "2026-11-30" */
	const char *const *series;	/* per series: "reject" */
	const char *const *color;	/* per series: "#b91c1c" */
	const long *value;		/* value[s * ncols + c] */
};
void svg_stacked_bars(FILE *out, const struct svg_stack *st);

/* A timeline: one lane per label, a dot per event, its area growing with count. */
struct svg_event {
	size_t lane;
	long long ms;
	long count;
};
struct svg_timeline {
	long long from_ms, to_ms;
	size_t nlanes, nevents;
	const char *const *lane;
	const struct svg_event *event;
};
void svg_timeline(FILE *out, const struct svg_timeline *t);

#endif
