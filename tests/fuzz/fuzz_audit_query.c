/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_audit_query.c - fwdguard-audit's query parsing (milter/audit-tool/audit_tool.c,
 * milter/audit-tool/audit_view.c).
 *
 * The tool's option parser is static in audit_tool.c, so this file
 * includes it whole (its main renamed) rather than widening its
 * interface for a test.  The input is NUL-separated words: the first
 * byte picks the command (search, report, tail), the words are its
 * options.  An entry made of the same words is printed the way tail,
 * search and report print (into memory streams that must hold what a
 * terminal may safely show, and HTML text that holds no markup), and a
 * parsed query is matched against it.
 */
#define main audit_tool_main
#include "../../milter/audit-tool/audit_tool.c"
#undef main

#include "audit_svg.h"
#include "fuzz_policy.h"

#define FUZZ_ARGS_MAX	16

int audit_tool_main(int argc, char **argv);
/* glibc keeps a pointer into the last argv it scanned: forget it, as a new process would. */
static void fuzz_getopt_reset(void)
{
	static char prog[] = "fwdguard-audit";
	char *argv[] = { prog, NULL };

	optind = 0;
	opterr = 0;
	(void)getopt_long(1, argv, "", query_options, NULL);
}

/*
 * What a person's terminal may receive: valid UTF-8 without C0 (but the
 * line ends), DEL, C1 or bidi controls (audit_view.h).  Decoded here
 * independently of the code under test.
 */
static void fuzz_check_terminal(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf;

	for (size_t i = 0; i < len;) {
		unsigned long cp = p[i];
		size_t n = cp < 0x80 ? 1 : cp >= 0xc2 && cp <= 0xdf ? 2 : cp >= 0xe0 && cp <= 0xef ? 3 :
		    cp >= 0xf0 && cp <= 0xf4 ? 4 : 0;
		if (n == 0 || i + n > len)
			abort();
		if (n > 1)
			cp &= 0x3f >> (n - 1);
		for (size_t k = 1; k < n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				abort();
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((cp < 0x20 && cp != '\n') || (cp >= 0x7f && cp <= 0x9f) ||
		    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			abort();
		i += n;
	}
}

typedef void (*fuzz_print_fn)(FILE *out, const struct view_entry *e);

static void fuzz_print(fuzz_print_fn print, const struct view_entry *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		abort();
	print(f, e);
	if (fclose(f) != 0)
		abort();
	fuzz_check_terminal(buf, len);
	free(buf);
}

/* search's table and report's summary, printed the same way. */
static void fuzz_table(FILE *out, const struct view_entry *e)
{
	struct view_table *t = view_table_new();
	struct view_report *r = view_report_new();

	if (t == NULL || r == NULL || view_table_add(t, e) != 0 || view_report_add(r, e) != 0)
		abort();
	view_table_print(out, t);
	view_report_print(out, r);
	view_report_free(r);
	view_table_free(t);
}

/* report --json, and the report as kept for a closed day: what encode
 * writes, decode reads back. */
static void fuzz_report_json(FILE *out, const struct view_entry *e)
{
	struct view_report *r = view_report_new(), *back;
	char *kept;

	if (r == NULL || view_report_add(r, e) != 0 || (kept = view_report_encode(r)) == NULL)
		abort();
	if ((back = view_report_decode(kept)) == NULL || view_report_size(back) != 1)
		abort();
	view_report_print_json(out, r);
	view_report_free(back);
	view_report_free(r);
	free(kept);
}

/* The HTML page's text: no byte of a value may open or close markup. */
static void fuzz_html_text(const struct view_entry *e)
{
	for (size_t i = 0; i < e->n; i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		if (f == NULL)
			abort();
		svg_text(f, e->value[i]);
		if (fclose(f) != 0 || strpbrk(buf, "<>\"'\n") != NULL)
			abort();
		fuzz_check_terminal(buf, len);
		free(buf);
	}
}

static void fuzz_show(const struct view_entry *e)
{
	fuzz_print(view_print_line, e);
	fuzz_print(view_print_json, e);
	fuzz_print(fuzz_table, e);
	fuzz_print(fuzz_report_json, e);
	fuzz_html_text(e);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* usage() writes to stderr for every bad option: keep the fuzzer's log readable. */
	FILE *null = fopen("/dev/null", "w");

	if (null == NULL)
		abort();
	stderr = null;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const cmds[] = { "search", "report", "tail" };
	static const char *const fields[] = {
		"sender", "recipient", "action", "rule", "target", "mailbox", "ts", "signals",
	};
	struct fuzz_in in = { data, size };
	const char *cmd = cmds[fuzz_byte(&in) % 3];
	char *args[FUZZ_ARGS_MAX + 2];
	int argc = 0;
	struct query q;
	struct view_entry e = { .stream_id = "1700000000000-0" };

	args[argc++] = strdup(cmd);
	while (argc <= FUZZ_ARGS_MAX && in.len > 0) {
		size_t len;
		args[argc++] = fuzz_piece(&in, '\0', &len);
	}
	args[argc] = NULL;
	for (int i = 1; i < argc && e.n < sizeof(fields) / sizeof(fields[0]); i++) {
		e.field[e.n] = fields[e.n];
		e.value[e.n++] = args[i];
	}
	(void)view_entry_ms(&e);
	fuzz_show(&e);
	fuzz_getopt_reset();
	if (query_parse(cmd, argc, args, &q) == 0) {
		struct cfg c = { .redis.prefix = "fwdguard:" };
		free(query_stream(&c, &q));
		(void)query_match(&q, &e);
	}
	for (int i = 1; i < argc; i++) {
		long long ms;
		(void)view_parse_time(args[i], 1700000000, &ms);
		(void)view_domain_match(args[i], args[argc - 1]);
	}
	for (int i = 0; i < argc; i++)
		free(args[i]);
	return 0;
}
