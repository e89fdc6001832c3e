/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_svg.c - escaped text and inline SVG charts for fwdguard-audit's
 * HTML report (milter/audit-tool/audit_svg.h).  Charts are drawn in a fixed viewBox
 * and scale with the page; every label goes through svg_text.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit_svg.h"
#include "audit_view.h"

void svg_text(FILE *out, const char *s)
{
	if (s == NULL || *s == '\0') {
		fputc('-', out);
		return;
	}
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		bool safe;
		size_t len = view_char(s + i, n - i, &safe);
		if (!safe)
			fputs("&#xFFFD;", out);
		else if (s[i] == '&')
			fputs("&amp;", out);
		else if (s[i] == '<')
			fputs("&lt;", out);
		else if (s[i] == '>')
			fputs("&gt;", out);
		else if (s[i] == '"')
			fputs("&quot;", out);
		else if (s[i] == '\'')
			fputs("&#39;", out);
		else
			fwrite(s + i, 1, len, out);
		i += len;
	}
}

int svg_scale(long v, long max, int px)
{
	if (v <= 0 || max <= 0 || px <= 0)
		return 0;
	if (v >= max)
		return px;
	/* In long double: v * px overflows a long for counts near LONG_MAX. */
	long double x = (long double)v * px / max + 0.5L;
	int len = (int)x;
	return len < 1 ? 1 : len > px ? px : len;
}

long svg_nice_max(long max)
{
	long step = 1;
	if (max <= 1)
		return 1;
	for (;;) {
		if (step >= max)
			return step;
		if (step <= LONG_MAX / 2 && 2 * step >= max)
			return 2 * step;
		if (step <= LONG_MAX / 5 && 5 * step >= max)
			return 5 * step;
		if (step > LONG_MAX / 10)
			return max;	/* near LONG_MAX: no rounder value fits */
		step *= 10;
	}
}

/* ---- stacked bars ------------------------------------------------------- */

#define BAR_W		1000
#define BAR_H		300
#define BAR_LEFT	56
#define BAR_TOP		12
#define BAR_PLOT_H	210
#define BAR_BASE	(BAR_TOP + BAR_PLOT_H)

static long stack_total(const struct svg_stack *st, size_t c)
{
	long t = 0;
	for (size_t s = 0; s < st->nseries; s++)
		t += st->value[s * st->ncols + c];
	return t;
}

/* Gridlines at round values: max is 1, 2 or 5 times a power of ten. */
static void stack_axis(FILE *out, long max)
{
	long step = max % 5 == 0 ? max / 5 : max % 2 == 0 ? max / 2 : max;
	for (long v = 0; v <= max; v += step) {
		int y = BAR_BASE - svg_scale(v, max, BAR_PLOT_H);
		fprintf(out, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>"
		    "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%ld</text>\n",
		    BAR_LEFT, BAR_W, y, y, BAR_LEFT - 6, y + 4, v);
		if (v > max - step)
			break;	/* no overflow near LONG_MAX */
	}
}

/* One column: its segments bottom up, a tooltip listing them. */
static void stack_column(FILE *out, const struct svg_stack *st, size_t c, long max, double x,
    double w)
{
	long total = stack_total(st, c), below = 0;
	fputs("<g class=\"day\" data-day=\"", out);
	svg_text(out, st->col_label[c]);
	fprintf(out, "\" data-total=\"%ld\"><title>", total);
	svg_text(out, st->col_label[c]);
	fprintf(out, ": %ld decision%s", total, total == 1 ? "" : "s");
	for (size_t s = 0; s < st->nseries; s++) {
		long v = st->value[s * st->ncols + c];
		if (v > 0) {
			fputs(s > 0 && below > 0 ? ", " : " (", out);
			svg_text(out, st->series[s]);
			fprintf(out, " %ld", v);
			below += v;
		}
	}
	fputs(below > 0 ? ")</title>\n" : "</title>\n", out);
	below = 0;
	for (size_t s = 0; s < st->nseries; s++) {
		long v = st->value[s * st->ncols + c];
		if (v <= 0)
			continue;
		int lo = svg_scale(below, max, BAR_PLOT_H), hi = svg_scale(below + v, max, BAR_PLOT_H);
		below += v;
		fputs("<rect class=\"seg\" data-action=\"", out);
		svg_text(out, st->series[s]);
		fprintf(out, "\" data-count=\"%ld\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
		    "fill=\"", v, x, BAR_BASE - hi, w, hi - lo);
		svg_text(out, st->color[s]);
		fputs("\"/>\n", out);
	}
	fputs("</g>\n", out);
}

void svg_stacked_bars(FILE *out, const struct svg_stack *st)
{
	long max = 0;
	for (size_t c = 0; c < st->ncols; c++) {
		long t = stack_total(st, c);
		max = t > max ? t : max;
	}
	max = svg_nice_max(max);
	double slot = st->ncols > 0 ? (double)(BAR_W - BAR_LEFT) / st->ncols : 0;
	/* A few days still read as days, not as a wall. */
	double w = slot * 0.8 > 48 ? 48 : slot * 0.8 > 1 ? slot * 0.8 : 1;
	size_t every = st->ncols / 12 + 1;	/* a dozen day labels at most */

	fprintf(out, "<svg class=\"chart bars\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"decisions per day by action\" data-max=\"%ld\">\n", BAR_W, BAR_H, max);
	stack_axis(out, max);
	for (size_t c = 0; c < st->ncols; c++) {
		double x = BAR_LEFT + c * slot + (slot - w) / 2;
		stack_column(out, st, c, max, x, w);
		if (c % every == 0) {
			fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
			    x + w / 2, BAR_BASE + 16);
			svg_text(out, st->col_label[c]);
			fputs("</text>\n", out);
		}
	}
	double lx = BAR_LEFT;
	for (size_t s = 0; s < st->nseries; s++) {
		long sum = 0;
		for (size_t c = 0; c < st->ncols; c++)
			sum += st->value[s * st->ncols + c];
		if (sum == 0)
			continue;	/* the legend names what the bars show */
		fprintf(out, "<rect x=\"%.0f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"", lx,
		    BAR_H - 34);
		svg_text(out, st->color[s]);
		fprintf(out, "\"/><text class=\"legend\" x=\"%.0f\" y=\"%d\">", lx + 16, BAR_H - 24);
		svg_text(out, st->series[s]);
		fputs("</text>\n", out);
		lx += 40 + 8 * strlen(st->series[s]);
	}
	fputs("</svg>\n", out);
}

/* ---- timeline ------------------------------------------------------------- */

#define TL_W		1000
#define TL_LEFT		300
#define TL_LANE		30
#define TL_LABEL	40	/* characters of a lane's label */

static int tl_radius(long count)
{
	int r = 1;
	while ((long)r * r < count && r < 10)
		r++;
	return 3 + r;
}

/* The first TL_LABEL characters of s, escaped, "..." when cut. */
static void tl_label(FILE *out, const char *s)
{
	size_t n = strlen(s), at = 0;
	for (int chars = 0; at < n && chars < TL_LABEL; chars++) {
		bool safe;
		at += view_char(s + at, n - at, &safe);
	}
	char *cut = strndup(s, at);
	svg_text(out, cut != NULL ? cut : "?");
	if (at < n)
		fputs("...", out);
	free(cut);
}

static void tl_date(FILE *out, long long ms, int x, int y, const char *anchor)
{
	char day[16];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0)
		snprintf(day, sizeof(day), "-");
	fprintf(out, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"%s\">%s</text>\n", x, y,
	    anchor, day);
}

void svg_timeline(FILE *out, const struct svg_timeline *t)
{
	int h = (int)t->nlanes * TL_LANE + 40;
	long long span = t->to_ms > t->from_ms ? t->to_ms - t->from_ms : 1;
	fprintf(out, "<svg class=\"chart timeline\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"leak evidence over time\">\n", TL_W, h);
	for (size_t l = 0; l < t->nlanes; l++) {
		int y = (int)l * TL_LANE + 20;
		fprintf(out, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>"
		    "<text class=\"lane\" x=\"%d\" y=\"%d\" text-anchor=\"end\">", TL_LEFT, TL_W - 10,
		    y, y, TL_LEFT - 10, y + 4);
		tl_label(out, t->lane[l]);
		fputs("</text>\n", out);
	}
	for (size_t i = 0; i < t->nevents; i++) {
		const struct svg_event *e = &t->event[i];
		long long off = e->ms < t->from_ms ? 0 : e->ms > t->to_ms ? span : e->ms - t->from_ms;
		int x = TL_LEFT + (int)((long double)off * (TL_W - 10 - TL_LEFT) / span);
		char when[32];
		view_format_time(e->ms, when, sizeof(when));
		fprintf(out, "<circle class=\"leak\" data-lane=\"%zu\" data-count=\"%ld\" cx=\"%d\" "
		    "cy=\"%d\" r=\"%d\"><title>%s: %ld leak record%s</title></circle>\n", e->lane,
		    e->count, x, (int)e->lane * TL_LANE + 20, tl_radius(e->count), when, e->count,
		    e->count == 1 ? "" : "s");
	}
	tl_date(out, t->from_ms, TL_LEFT, h - 6, "start");
	tl_date(out, t->to_ms, TL_W - 10, h - 6, "end");
	fputs("</svg>\n", out);
}
