/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_html.c - the HTML report of fwdguard-audit (milter/audit-tool/audit_html.h):
 * what the trail says, gathered through the report groups (the whole
 * window, the window before it for "new", and each day for the charts),
 * then written as one page.  Every value from the trail goes through
 * svg_text; the page carries a Content-Security-Policy that forbids
 * scripts and fetches, so that a value that slipped through still could
 * not run or call out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "audit_html.h"
#include "audit_svg.h"

#define DAY_MS		86400000LL
#define HTML_DAYS_MAX	366	/* bars drawn; an older part of the window is summed only */
#define HTML_TOP	10	/* destinations shown per mailbox */
#define HTML_LANES	20	/* leak timeline lanes */

/* The chart's series: the actions, then everything else. */
static const char *const html_actions[] = {
	"reject", "tempfail", "quarantine", "strip", "flag", "accept", "monitor (passed)", "other"
};
static const char *const html_colors[] = {
	"#b91c1c", "#ea580c", "#a16207", "#7c3aed", "#2563eb", "#15803d", "#f59e0b", "#6b7280"
};
#define SERIES_MONITOR	6
#define NSERIES	(sizeof(html_actions) / sizeof(html_actions[0]))

struct html_data {
	const struct html_params *p;
	struct view_report *total;
	long long from, to;		/* the window as drawn */
	long long first_day, ndays;	/* days charted */
	char (*day_label)[16];
	long *value;			/* value[series * ndays + day] */
	struct view_report_row lanes[HTML_LANES];
	size_t nlanes;
	struct svg_event *events;
	size_t nevents, events_cap;
};

static size_t html_series(const char *action)
{
	size_t n = strlen(action), m = strlen(VIEW_MONITOR_SUFFIX);
	if (n > m && strcmp(action + n - m, VIEW_MONITOR_SUFFIX) == 0)
		return SERIES_MONITOR;
	for (size_t s = 0; s + 1 < NSERIES; s++)
		if (strcmp(action, html_actions[s]) == 0)
			return s;
	return NSERIES - 1;
}

static int html_event_add(struct html_data *d, size_t lane, long long ms, long count)
{
	if (d->nevents == d->events_cap) {
		size_t cap = d->events_cap > 0 ? d->events_cap * 2 : 64;
		void *e = realloc(d->events, cap * sizeof(*d->events));
		if (e == NULL)
			return -1;
		d->events = e;
		d->events_cap = cap;
	}
	d->events[d->nevents++] = (struct svg_event){ .lane = lane, .ms = ms, .count = count };
	return 0;
}

/* One day's groups into the bars and the leak timeline. */
static int html_day_add(struct html_data *d, long long day, const struct view_report *rep)
{
	for (size_t i = 0; i < view_report_size(rep); i++) {
		struct view_report_row g;
		view_report_row(rep, i, &g);
		for (size_t a = 0; a < g.nactions; a++)
			d->value[html_series(g.action[a]) * d->ndays + day] += g.action_count[a];
		d->value[(NSERIES - 1) * d->ndays + day] += g.other;
		if (g.kind != VIEW_KIND_LEAK)
			continue;
		for (size_t l = 0; l < d->nlanes; l++)
			if (strcmp(d->lanes[l].mailbox, g.mailbox) == 0 &&
			    strcasecmp(d->lanes[l].dest, g.dest) == 0 &&
			    html_event_add(d, l, g.first, g.count) != 0)
				return -1;
	}
	return 0;
}

/* The window, the days to chart, and the leak lanes (the most frequent). */
static void html_span(struct html_data *d)
{
	const struct html_params *p = d->p;
	long long first = -1, last = -1;
	for (size_t i = 0; i < view_report_size(d->total); i++) {
		struct view_report_row g;
		view_report_row(d->total, i, &g);
		first = first < 0 || g.first < first ? g.first : first;
		last = g.last > last ? g.last : last;
		if (g.kind == VIEW_KIND_LEAK && d->nlanes < HTML_LANES)
			d->lanes[d->nlanes++] = g;	/* sorted: most records first per mailbox */
	}
	long long now = (long long)p->now * 1000;
	d->from = p->since_ms >= 0 ? p->since_ms : first >= 0 ? first : now;
	d->to = p->until_ms >= 0 ? p->until_ms : last > now ? last : now;
	if (d->to < d->from)
		d->to = d->from;
	long long last_day = d->to / DAY_MS;
	d->first_day = d->from / DAY_MS;
	if (last_day - d->first_day + 1 > HTML_DAYS_MAX)
		d->first_day = last_day - HTML_DAYS_MAX + 1;
	d->ndays = last_day - d->first_day + 1;
}

static int html_days(struct html_data *d)
{
	const struct html_params *p = d->p;
	d->day_label = calloc((size_t)d->ndays, sizeof(*d->day_label));
	d->value = calloc(NSERIES * (size_t)d->ndays, sizeof(*d->value));
	if (d->day_label == NULL || d->value == NULL)
		return -1;
	for (long long i = 0; i < d->ndays; i++) {
		long long start = (d->first_day + i) * DAY_MS, end = start + DAY_MS - 1;
		char when[32];
		view_format_time(start, when, sizeof(when));
		snprintf(d->day_label[i], sizeof(d->day_label[i]), "%.10s", when);	/* the date */
		long long until = end < d->to ? end : d->to;
		/* An open window stays open on its last day: the window reads
		 * stream ids, which are shipping times, later than the decision
		 * times and the whole second d->to may come from. */
		if (i == d->ndays - 1 && p->until_ms < 0)
			until = -1;
		struct view_report *rep = view_report_new();
		int rv = rep != NULL && p->window(p->ctx, start > d->from ? start : d->from,
		    until, rep) == 0 ? 0 : -1;
		if (rv == 0 && p->domain != NULL)
			view_report_keep_domain(rep, p->domain);
		if (rv == 0)
			rv = html_day_add(d, i, rep);
		view_report_free(rep);
		if (rv != 0)
			return -1;
	}
	return 0;
}

static int html_gather(struct html_data *d)
{
	const struct html_params *p = d->p;
	if ((d->total = view_report_new()) == NULL ||
	    p->window(p->ctx, p->since_ms, p->until_ms, d->total) != 0)
		return -1;
	if (p->since_ms >= 0) {
		/* New: no decision for the mailbox and destination before since. */
		struct view_report *before = view_report_new();
		bool ok = before != NULL &&
		    (p->since_ms == 0 || p->window(p->ctx, -1, p->since_ms - 1, before) == 0);
		if (ok)
			view_report_mark_new(d->total, before);
		view_report_free(before);
		if (!ok)
			return -1;
	}
	if (p->domain != NULL)
		view_report_keep_domain(d->total, p->domain);
	view_report_sort(d->total);
	html_span(d);
	return html_days(d);
}

static void html_data_free(struct html_data *d)
{
	view_report_free(d->total);
	free(d->day_label);
	free(d->value);
	free(d->events);
}

/* ---- the page ------------------------------------------------------------ */

static const char html_style[] =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2937;"
    "margin:0 auto;max-width:1100px;padding:24px;background:#fff}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;"
    "border-bottom:2px solid #e5e7eb;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}"
    ".meta{color:#4b5563;margin:0}.note{color:#4b5563;font-size:13px}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}"
    ".card{flex:1 1 150px;border:1px solid #d1d5db;border-radius:8px;padding:10px 14px}"
    ".card b{display:block;font-size:26px}.card.copy{border-left:6px solid #b91c1c}"
    ".card.leak{border-left:6px solid #7c2d12}.card.sent{border-left:6px solid #15803d}"
    ".card.received{border-left:6px solid #6b7280}"
    "table{border-collapse:collapse;width:100%;font-size:14px}"
    "th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e5e7eb;vertical-align:top}"
    "th{background:#f3f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.addr{word-break:break-all}.new{color:#fff;background:#b91c1c;border-radius:4px;"
    "padding:0 5px;font-size:12px}.soon{color:#b45309;font-weight:600}"
    ".chart{width:100%;height:auto}.chart .grid{stroke:#e5e7eb}.chart text{font-size:12px;"
    "fill:#374151}.chart .leak{fill:#b91c1c;fill-opacity:.75}"
    "@media print{body{max-width:none;padding:0;font-size:11pt}"
    "section{break-inside:avoid-page}h2{break-after:avoid}.card{border-color:#000}"
    "a{color:inherit;text-decoration:none}}";

static void html_time(FILE *out, long long ms)
{
	char t[32];
	view_format_time(ms, t, sizeof(t));
	fputs(t, out);
}

static void html_head(FILE *out, const struct html_data *d)
{
	const struct html_params *p = d->p;
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'\">\n<meta name=\"viewport\" content=\"width=device-width\">\n"
	    "<title>fwdguard report</title>\n<style>%s</style></head>\n<body>\n<header>\n"
	    "<h1>Where protected mail went</h1>\n<p class=\"meta\">Decisions from <time "
	    "id=\"from\">", html_style);
	html_time(out, d->from);
	fputs("</time> to <time id=\"to\">", out);
	html_time(out, d->to);
	fputs("</time>", out);
	if (p->mailbox != NULL) {
		fputs(", mailbox <b>", out);
		svg_text(out, p->mailbox);
		fputs("</b>", out);
	}
	if (p->domain != NULL) {
		fputs(", destinations under <b>", out);
		svg_text(out, p->domain);
		fputs("</b>", out);
	}
	fputs(". Generated ", out);
	html_time(out, (long long)p->now * 1000);
	fputs(" by fwdguard-audit.</p>\n</header>\n", out);
}

static void html_summary(FILE *out, const struct html_data *d)
{
	static const char *const what[VIEW_KINDS] = {
		"copies of received mail (forwards)", "leak evidence records",
		"sent by the mailbox (replies, own mail)", "received by the mailbox",
		"other decisions", "directory changes (forwards set or removed)"
	};
	long count[VIEW_KINDS] = { 0 }, dests[VIEW_KINDS] = { 0 }, total = 0;
	for (size_t i = 0; i < view_report_size(d->total); i++) {
		struct view_report_row g;
		view_report_row(d->total, i, &g);
		count[g.kind] += g.count;
		dests[g.kind]++;
		total += g.count;
	}
	fprintf(out, "<section id=\"summary\" data-decisions=\"%ld\"><div class=\"cards\">\n",
	    total);
	for (int k = 0; k < VIEW_KINDS; k++) {
		if ((k == VIEW_KIND_OTHER || k == VIEW_KIND_DIRECTORY) && count[k] == 0)
			continue;
		fprintf(out, "<div class=\"card %s\" data-kind=\"%s\" data-count=\"%ld\" "
		    "data-destinations=\"%ld\"><b>%ld</b>%s, %ld destination%s</div>\n",
		    view_kind_name(k), view_kind_name(k), count[k], dests[k], count[k], what[k],
		    dests[k], dests[k] == 1 ? "" : "s");
	}
	fputs("</div></section>\n", out);
}

static void html_bars(FILE *out, const struct html_data *d)
{
	const char *labels[HTML_DAYS_MAX];
	for (long long i = 0; i < d->ndays; i++)
		labels[i] = d->day_label[i];
	struct svg_stack st = { .ncols = (size_t)d->ndays, .nseries = NSERIES,
	    .col_label = labels, .series = html_actions, .color = html_colors, .value = d->value };
	fputs("<section id=\"per-day\"><h2>Decisions per day, by action</h2>\n", out);
	if (d->first_day > d->from / DAY_MS)
		fputs("<p class=\"note\">The window is longer than a year: the chart shows its "
		    "last 366 days.</p>\n", out);
	svg_stacked_bars(out, &st);
	fputs("<p class=\"note\">Actions as decided. In monitor mode a decision is recorded "
	    "and the mail passes untouched: those are counted apart (\"/monitor\").</p>"
	    "</section>\n", out);
}

/* A row's cells: mailbox, destination, class, count with a bar, actions, first, last. */
static void html_row(FILE *out, const struct view_report_row *g, long max, bool mailbox)
{
	fprintf(out, "<tr class=\"dest\" data-kind=\"%s\" data-mailbox=\"", view_kind_name(g->kind));
	svg_text(out, g->mailbox);
	fputs("\" data-destination=\"", out);
	svg_text(out, g->dest);
	fprintf(out, "\" data-count=\"%ld\" data-new=\"%d\">", g->count, g->is_new);
	if (mailbox) {
		fputs("<td class=\"addr\">", out);
		svg_text(out, g->mailbox);
		fputs("</td>", out);
	}
	fputs("<td class=\"addr\">", out);
	svg_text(out, g->dest);
	if (g->is_new > 0)
		fputs(" <span class=\"new\">new</span>", out);
	fputs("</td><td>", out);
	svg_text(out, g->cls);
	fprintf(out, "</td><td class=\"n\">%ld <svg width=\"120\" height=\"10\" "
	    "aria-hidden=\"true\"><rect width=\"%d\" height=\"10\" fill=\"#9ca3af\"/></svg></td><td>",
	    g->count, svg_scale(g->count, max, 120));
	for (size_t a = 0; a < g->nactions; a++) {
		fputs(a > 0 ? ", " : "", out);
		svg_text(out, g->action[a]);
		fprintf(out, " %ld", g->action_count[a]);
	}
	fputs("</td><td>", out);
	html_time(out, g->first);
	fputs("</td><td>", out);
	html_time(out, g->last);
	fputs("</td></tr>\n", out);
}

static void html_thead(FILE *out, bool mailbox, const char *dest)
{
	fprintf(out, "<table><thead><tr>%s<th>%s</th><th>Class</th><th>Decisions</th>"
	    "<th>Actions</th><th>First seen</th><th>Last seen</th></tr></thead><tbody>\n",
	    mailbox ? "<th>Mailbox</th>" : "", dest);
}

/* Copies of received mail, per mailbox: where its mail was sent on. */
static void html_destinations(FILE *out, const struct html_data *d)
{
	size_t n = view_report_size(d->total), shown = 0, i = 0;
	fputs("<section id=\"destinations\"><h2>Top external destinations of forwarded copies, "
	    "per protected mailbox</h2>\n", out);
	while (i < n) {
		struct view_report_row g, h;
		view_report_row(d->total, i, &g);
		if (g.kind != VIEW_KIND_COPY || strcmp(g.cls, "internal") == 0) {
			i++;
			continue;
		}
		size_t end = i, more = 0;
		long max = g.count;
		fputs("<h3>", out);
		svg_text(out, g.mailbox);
		fputs("</h3>\n", out);
		html_thead(out, false, "Destination");
		for (size_t k = 0; end < n; end++) {
			view_report_row(d->total, end, &h);
			if (h.kind != VIEW_KIND_COPY || strcmp(h.mailbox, g.mailbox) != 0)
				break;
			if (strcmp(h.cls, "internal") == 0)
				continue;
			if (k++ < HTML_TOP)
				html_row(out, &h, max, false);
			else
				more++;
		}
		fputs("</tbody></table>\n", out);
		if (more > 0)
			fprintf(out, "<p class=\"note\">and %zu more destinations.</p>\n", more);
		shown++;
		i = end;
	}
	if (shown == 0)
		fputs("<p>No copy of received mail went to an external destination.</p>\n", out);
	fputs("<p class=\"note\">The mailbox's own mail (replies to customers) is not a forward "
	    "and is counted apart, in the summary.</p></section>\n", out);
}

static void html_new(FILE *out, const struct html_data *d)
{
	size_t n = view_report_size(d->total), listed = 0;
	long own = 0;
	fputs("<section id=\"new\"><h2>New destinations</h2>\n", out);
	if (d->p->since_ms < 0) {
		fputs("<p>Give <code>--since</code> to mark the destinations first seen in the "
		    "window.</p></section>\n", out);
		return;
	}
	fputs("<p class=\"note\">No decision for the mailbox and destination before the "
	    "window's start.</p>\n", out);
	for (size_t i = 0; i < n; i++) {
		struct view_report_row g;
		view_report_row(d->total, i, &g);
		if (g.is_new <= 0)
			continue;
		if (g.kind != VIEW_KIND_COPY && g.kind != VIEW_KIND_LEAK) {
			own++;
			continue;
		}
		if (listed++ == 0)
			html_thead(out, true, "Destination");
		html_row(out, &g, g.count, true);
	}
	if (listed > 0)
		fputs("</tbody></table>\n", out);
	else
		fputs("<p>No new destination of forwarded copies or leak evidence.</p>\n", out);
	fprintf(out, "<p class=\"note\" id=\"new-own\" data-count=\"%ld\">%ld new correspondent%s "
	    "of the mailboxes' own mail.</p></section>\n", own, own, own == 1 ? "" : "s");
}

static void html_leaks(FILE *out, const struct html_data *d)
{
	const char *lane[HTML_LANES];
	char label[HTML_LANES][512];
	fputs("<section id=\"leaks\"><h2>Leak evidence</h2>\n", out);
	if (d->nlanes == 0) {
		fputs("<p>No answer from outside named a protected mailbox's mail.</p></section>\n",
		    out);
		return;
	}
	fputs("<p class=\"note\">Auto-replies, bounces and answers to canary probes from an "
	    "external domain: mail was reaching it by a route fwdguard does not see.</p>\n", out);
	for (size_t l = 0; l < d->nlanes; l++) {
		snprintf(label[l], sizeof(label[l]), "%s \xe2\x86\x92 %s", d->lanes[l].mailbox,
		    d->lanes[l].dest);
		lane[l] = label[l];
	}
	struct svg_timeline t = { .from_ms = d->first_day * DAY_MS, .to_ms = d->to,
	    .nlanes = d->nlanes, .nevents = d->nevents, .lane = lane, .event = d->events };
	svg_timeline(out, &t);
	long max = 0;
	for (size_t l = 0; l < d->nlanes; l++)
		max = d->lanes[l].count > max ? d->lanes[l].count : max;
	html_thead(out, true, "Answering domain");
	for (size_t l = 0; l < d->nlanes; l++)
		html_row(out, &d->lanes[l], max, true);
	fputs("</tbody></table></section>\n", out);
}

static void html_exceptions(FILE *out, const struct html_data *d)
{
	const struct policy *p = d->p->policy;
	size_t open = 0, expired_n = 0;
	fputs("<section id=\"exceptions\"><h2>Open exceptions</h2>\n", out);
	for (size_t i = 0; p != NULL && i < p->nallow; i++) {
		const struct policy_allow *a = &p->allow[i];
		bool expired = a->expires_at != 0 && a->expires_at <= d->p->now;
		long days = a->expires_at != 0 ? (long)((a->expires_at - d->p->now) / 86400) : -1;
		if (expired) {
			expired_n++;
			continue;
		}
		if (open++ == 0)
			fputs("<table><thead><tr><th>Destination</th><th>Mailboxes</th><th>Reason</th>"
			    "<th>Owner</th><th>Expires</th></tr></thead><tbody>\n", out);
		fputs("<tr class=\"exception\"><td class=\"addr\">", out);
		svg_text(out, a->destination);
		fputs("</td><td class=\"addr\">", out);
		for (size_t m = 0; m < a->nmailboxes; m++) {
			fputs(m > 0 ? ", " : "", out);
			svg_text(out, a->mailboxes[m]);
		}
		if (a->nmailboxes == 0)
			fputs("every protected mailbox", out);
		fputs("</td><td>", out);
		svg_text(out, a->reason);
		fputs("</td><td class=\"addr\">", out);
		svg_text(out, a->owner);
		fprintf(out, "</td><td%s>", days >= 0 && days < 30 ? " class=\"soon\"" : "");
		if (a->expires != NULL) {
			svg_text(out, a->expires);
			fprintf(out, " (%ld day%s left)", days, days == 1 ? "" : "s");
		} else
			fputs("never", out);
		fputs("</td></tr>\n", out);
	}
	if (open > 0)
		fputs("</tbody></table>\n", out);
	else
		fputs("<p>No exception is open.</p>\n", out);
	if (expired_n > 0)
		fprintf(out, "<p class=\"note\">%zu expired exception%s no longer apply.</p>\n",
		    expired_n, expired_n == 1 ? "" : "s");
	fputs("</section>\n", out);
}

int html_report(FILE *out, const struct html_params *p)
{
	struct html_data d = { .p = p };
	int rv = html_gather(&d);
	if (rv == 0) {
		html_head(out, &d);
		html_summary(out, &d);
		html_bars(out, &d);
		html_destinations(out, &d);
		html_new(out, &d);
		html_leaks(out, &d);
		html_exceptions(out, &d);
		fputs("</body></html>\n", out);
	}
	html_data_free(&d);
	return rv;
}

int html_report_file(const char *path, const struct html_params *p)
{
	char *tmp;
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -1;
	FILE *out = fopen(tmp, "w");
	int rv = -1;
	if (out == NULL)
		fprintf(stderr, "fwdguard-audit: %s: %s\n", tmp, strerror(errno));
	else {
		rv = html_report(out, p);
		if (fclose(out) != 0 && rv == 0) {
			fprintf(stderr, "fwdguard-audit: %s: %s\n", tmp, strerror(errno));
			rv = -1;
		}
		if (rv == 0 && rename(tmp, path) != 0) {
			fprintf(stderr, "fwdguard-audit: %s: %s\n", path, strerror(errno));
			rv = -1;
		}
		if (rv != 0)
			unlink(tmp);
	}
	free(tmp);
	return rv;
}
