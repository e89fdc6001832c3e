/*
 * fuzz_audit_query.c - fwdguard-audit's query parsing (milter/audit_tool.c,
 * milter/audit_view.c).
 *
 * The tool's option parser is static in audit_tool.c, so this file
 * includes it whole (its main renamed) rather than widening its
 * interface for a test.  The input is NUL-separated words: the first
 * byte picks the command (search, report, tail), the words are its
 * options.  A parsed query is then matched against an entry made of
 * fuzzed fields, and that entry printed the way search and tail print,
 * into a memory stream that must hold no control byte but the final
 * newline.
 */
#define main audit_tool_main
#include "../../milter/audit_tool.c"
#undef main

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

static void fuzz_show(const struct view_entry *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		abort();
	view_print_line(f, e);
	if (fclose(f) != 0)
		abort();
	for (size_t i = 0; i + 1 < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c < 0x20 || c == 0x7f)
			abort();
	}
	free(buf);
	f = open_memstream(&buf, &len);
	if (f == NULL)
		abort();
	view_print_json(f, e);
	if (fclose(f) != 0)
		abort();
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)buf[i] < 0x20)
			abort();
	free(buf);
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
