/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_docs.c - every field fwdguard writes into a record (record_set()
 * with a name from include/record_fields.h, or a literal one, in
 * milter/act_records.c, milter/trail/correlate.c and
 * milter/audit-tool/watch/watch_trail.c) is
 * named in README.md's field table (as `name`) and in fwdguard-audit(1)'s
 * RECORD FIELDS section, and every metric a program registers is named in
 * README.md "Metrics" and in that program's man page, so a new field or
 * metric cannot ship undocumented.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define FIELDS_MAX	128
#define FIELD_LEN	64

static const char *const writers[] = { "milter/act_records.c", "milter/trail/correlate.c",
    "milter/audit-tool/watch/watch_trail.c" };
/* Fields that only route a record to its key (milter/trail/shipper.c): never stored. */
static const char *const routing[] = { "kind", "ttl", "conversation" };

static char *
slurp(const char *rel)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", SRCDIR, rel);
	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static bool
is_routing(const char *name)
{
	for (size_t i = 0; i < sizeof(routing) / sizeof(routing[0]); i++)
		if (strcmp(name, routing[i]) == 0)
			return true;
	return false;
}

/*
 * The spelling include/record_fields.h gives the macro macro[0 .. len)
 * ("#define REC_X<blanks>\"x\"") into out; false when it defines none.
 */
static bool
spelling(const char *fields, const char *macro, size_t len, char out[FIELD_LEN])
{
	for (const char *p = fields; (p = strstr(p, "#define ")) != NULL; p++) {
		const char *q = p + 8, *end;

		if (strncmp(q, macro, len) != 0 || (q[len] != ' ' && q[len] != '\t'))
			continue;
		q += len + strspn(q + len, " \t");
		if (*q != '"' || (end = strchr(q + 1, '"')) == NULL || end - q - 1 >= FIELD_LEN)
			return false;
		snprintf(out, FIELD_LEN, "%.*s", (int)(end - q - 1), q + 1);
		return true;
	}
	return false;
}

/*
 * The field names given to record_set() in src, as literals or as
 * record_fields.h macros (spelled as that header spells them), appended
 * to names.
 */
static size_t
collect(const char *src, const char *fields, char names[][FIELD_LEN], size_t n)
{
	static const char call[] = "record_set(r, ";
	const char *p = src, *end;

	while ((p = strstr(p, call)) != NULL && n < FIELDS_MAX) {
		p += sizeof(call) - 1;
		if (*p == '"') {
			if ((end = strchr(p + 1, '"')) == NULL || end - p - 1 >= FIELD_LEN)
				continue;
			snprintf(names[n], FIELD_LEN, "%.*s", (int)(end - p - 1), p + 1);
		} else {
			size_t len = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");

			if (len == 0)
				continue;
			if (!spelling(fields, p, len, names[n]))
				fail_msg("record_set() with %.*s, which include/record_fields.h "
				    "does not define", (int)len, p);
		}
		if (!is_routing(names[n]))
			n++;
	}
	return n;
}

/* name as a whole word (letters, digits, '_' around it are not allowed). */
static bool
has_word(const char *text, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = text; (p = strstr(p, name)) != NULL; p += len) {
		char before = p == text ? ' ' : p[-1], after = p[len];
		bool wb = !(before == '_' || (before >= 'a' && before <= 'z'));
		bool wa = !(after == '_' || (after >= 'a' && after <= 'z'));

		if (wb && wa)
			return true;
	}
	return false;
}

static void
test_fields_documented(void **state)
{
	char names[FIELDS_MAX][FIELD_LEN], tick[FIELD_LEN + 2];
	char *readme = slurp("README.md"), *man = slurp("man/fwdguard-audit.1");
	char *fields = slurp("include/record_fields.h");
	const char *section = strstr(man, ".SH RECORD FIELDS");
	const char *section_end = section != NULL ? strstr(section + 1, "\n.SH ") : NULL;
	size_t n = 0, missing = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++) {
		char *src = slurp(writers[i]);

		n = collect(src, fields, names, n);
		free(src);
	}
	if (n < 20)
		fail_msg("found only %zu field names in the writers: is the pattern stale?", n);
	if (section == NULL)
		fail_msg("man/fwdguard-audit.1 has no RECORD FIELDS section");
	if (section_end != NULL)
		man[section_end - man] = '\0';
	for (size_t i = 0; i < n; i++) {
		snprintf(tick, sizeof(tick), "`%s`", names[i]);
		if (strstr(readme, tick) == NULL) {
			print_error("README.md does not name field %s\n", names[i]);
			missing++;
		}
		if (!has_word(section, names[i])) {
			print_error("fwdguard-audit(1) RECORD FIELDS does not name field %s\n", names[i]);
			missing++;
		}
	}
	free(readme);
	free(man);
	free(fields);
	if (missing > 0)
		fail_msg("%zu field(s) undocumented", missing);
}

/* Where metrics are registered, and the man page that must name them. */
static const struct {
	const char *src, *man;
} metric_sources[] = {
	{ "milter/metrics_daemon.c", "man/fwdguard.8" },
	{ "milter/audit-tool/alerts/alert_metrics.c", "man/fwdguard-audit.1" },
	{ "milter/audit-tool/watch/watch_metrics.c", "man/fwdguard-audit.1" },
};

/* The "fwdguard_..." literals of src (not the bare registry prefix "fwdguard_"). */
static size_t
collect_metrics(const char *src, char names[][FIELD_LEN], size_t n)
{
	for (const char *p = src; (p = strstr(p, "\"fwdguard_")) != NULL && n < FIELDS_MAX; ) {
		size_t len = strspn(++p, "abcdefghijklmnopqrstuvwxyz_");

		if (p[len] == '"' && len < FIELD_LEN && p[len - 1] != '_')
			snprintf(names[n++], FIELD_LEN, "%.*s", (int)len, p);
		p += len;
	}
	return n;
}

static void
test_metrics_documented(void **state)
{
	char names[FIELDS_MAX][FIELD_LEN], tick[FIELD_LEN + 2];
	char *readme = slurp("README.md");
	size_t missing = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(metric_sources) / sizeof(metric_sources[0]); i++) {
		char *src = slurp(metric_sources[i].src), *man = slurp(metric_sources[i].man);
		size_t n = collect_metrics(src, names, 0);

		if (n < 4)
			fail_msg("found only %zu metric names in %s: is the pattern stale?", n,
			    metric_sources[i].src);
		/* The registry's own, named from its prefix (milter/common/metrics.c). */
		if (i == 0)
			snprintf(names[n++], FIELD_LEN, "fwdguard_metrics_series_dropped_total");
		for (size_t j = 0; j < n; j++) {
			snprintf(tick, sizeof(tick), "`%s`", names[j]);
			if (strstr(readme, tick) == NULL) {
				print_error("README.md does not name metric %s\n", names[j]);
				missing++;
			}
			if (!has_word(man, names[j])) {
				print_error("%s does not name metric %s\n", metric_sources[i].man, names[j]);
				missing++;
			}
		}
		free(src);
		free(man);
	}
	free(readme);
	if (missing > 0)
		fail_msg("%zu metric(s) undocumented", missing);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_documented),
		cmocka_unit_test(test_metrics_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
