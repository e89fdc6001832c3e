/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * audit_report_print.c - the report of fwdguard-audit as a person reads it
 * (a section per kind of mail, aligned columns) and as a program reads it
 * (one JSON object per group and line).  Cells are terminal-safe already
 * (audit_report.c); JSON strings are escaped again (view_json_string).
 */
#include <stdlib.h>
#include <string.h>

#include "audit_view.h"

/* What a reader must know about each kind before reading its rows. */
static const char *const print_titles[VIEW_KINDS] = {
	"COPIES OF RECEIVED MAIL (forwards: any forwarding signal)",
	"LEAK EVIDENCE (answers from outside naming the mailbox's mail: leak-probe, leak-backscatter)",
	"SENT BY THE MAILBOX (its own mail, such as replies to customers: not forwards)",
	"RECEIVED BY THE MAILBOX",
	"OTHER (no protected mailbox)",
	"DIRECTORY CHANGES (forwards set or removed in protected entries: fwdguard-audit watch, no mail)",
};

/* The first REPORT_ACTIONS actions by name, the others summed as "other". */
#define REPORT_ACTIONS	8

/* "reject:3,flag:1" into a malloc'd string. */
static char *print_actions(const struct view_report_row *g)
{
	size_t size = 32, named = g->nactions < REPORT_ACTIONS ? g->nactions : REPORT_ACTIONS;
	long other = g->other;
	for (size_t i = 0; i < named; i++)
		size += strlen(g->action[i]) + 24;
	for (size_t i = named; i < g->nactions; i++)
		other += g->action_count[i];
	char *s = malloc(size);
	if (s == NULL)
		return NULL;
	size_t len = 0;
	s[0] = '\0';
	for (size_t i = 0; i < named; i++)
		len += (size_t)snprintf(s + len, size - len, "%s%s:%ld", i > 0 ? "," : "",
		    g->action[i], g->action_count[i]);
	if (other > 0)
		snprintf(s + len, size - len, "%sother:%ld", len > 0 ? "," : "", other);
	return s;
}

#define RCOLS	8

static void print_cells(const struct view_report_row *g, char *row[RCOLS])
{
	char first[32], last[32], count[24];
	view_format_time(g->first, first, sizeof(first));
	view_format_time(g->last, last, sizeof(last));
	snprintf(count, sizeof(count), "%ld", g->count);
	row[0] = strdup(g->mailbox);
	row[1] = strdup(g->dest);
	row[2] = strdup(g->cls);
	row[3] = strdup(count);
	row[4] = print_actions(g);
	row[5] = strdup(first);
	row[6] = strdup(last);
	row[7] = strdup(g->is_new > 0 ? "new" : "-");
}

static void print_line(FILE *out, char *const *cells, const size_t *width, int ncols)
{
	for (int c = 0; c < ncols; c++)
		view_pad(out, cells[c] != NULL ? cells[c] : "?", width[c], c == ncols - 1);
	fputc('\n', out);
}

void view_report_print(FILE *out, struct view_report *r)
{
	static const char *const headers[RCOLS] = {
		"MAILBOX", "DESTINATION", "CLASS", "COUNT", "ACTIONS", "FIRST SEEN", "LAST SEEN", "NEW"
	};
	size_t n = view_report_size(r), width[RCOLS];
	char *(*cells)[RCOLS] = calloc(n + 1, sizeof(*cells));
	struct view_report_row g;
	if (cells == NULL)
		return;
	int ncols = RCOLS - 1;
	view_report_sort(r);
	for (int c = 0; c < RCOLS; c++)
		width[c] = view_width(headers[c]);
	for (size_t i = 0; i < n; i++) {
		view_report_row(r, i, &g);
		/* The NEW column only when the report knows what was seen before. */
		if (g.is_new >= 0)
			ncols = RCOLS;
		print_cells(&g, cells[i]);
		for (int c = 0; c < RCOLS; c++)
			if (cells[i][c] != NULL && view_width(cells[i][c]) > width[c])
				width[c] = view_width(cells[i][c]);
	}
	if (n == 0)
		print_line(out, (char *const *)headers, width, ncols);
	for (size_t i = 0, kind = VIEW_KINDS; i < n; i++) {
		view_report_row(r, i, &g);
		if (g.kind != kind) {
			fprintf(out, "%s%s\n", i > 0 ? "\n" : "", print_titles[g.kind]);
			print_line(out, (char *const *)headers, width, ncols);
			kind = g.kind;
		}
		print_line(out, cells[i], width, ncols);
	}
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < RCOLS; c++)
			free(cells[i][c]);
	free(cells);
}

void view_report_print_json(FILE *out, struct view_report *r)
{
	size_t n = view_report_size(r);
	view_report_sort(r);
	for (size_t i = 0; i < n; i++) {
		struct view_report_row g;
		char first[32], last[32];
		view_report_row(r, i, &g);
		view_format_time(g.first, first, sizeof(first));
		view_format_time(g.last, last, sizeof(last));
		fprintf(out, "{\"kind\":\"%s\",\"mailbox\":", view_kind_name(g.kind));
		view_json_string(out, g.mailbox);
		fputs(",\"destination\":", out);
		view_json_string(out, g.dest);
		fputs(",\"class\":", out);
		view_json_string(out, g.cls);
		fprintf(out, ",\"count\":%ld,\"actions\":{", g.count);
		for (size_t a = 0; a < g.nactions; a++) {
			fputs(a > 0 ? "," : "", out);
			view_json_string(out, g.action[a]);
			fprintf(out, ":%ld", g.action_count[a]);
		}
		if (g.other > 0)
			fprintf(out, "%s\"other\":%ld", g.nactions > 0 ? "," : "", g.other);
		fprintf(out, "},\"first\":\"%s\",\"last\":\"%s\",\"first_ms\":%lld,\"last_ms\":%lld,"
		    "\"new\":%s}\n", first, last, g.first, g.last,
		    g.is_new < 0 ? "null" : g.is_new > 0 ? "true" : "false");
	}
}
