/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_alert_webhook.c - reading a webhook's URL from url_file
 * (milter/audit-tool/alerts/alert_webhook.c): one URL line of up to 2048
 * bytes, comments and blank lines skipped, anything else refused with a
 * reason that never quotes the file, since the URL is the secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "alert_webhook.h"

#define TOKEN	"T0KEN-b1c2d3"

static char url_path[64];

static int setup(void **state)
{
	(void)state;
	snprintf(url_path, sizeof(url_path), "/tmp/test_alert_webhook.%ld", (long)getpid());
	return webhook_global_init();
}

static int teardown(void **state)
{
	(void)state;
	unlink(url_path);
	webhook_global_cleanup();
	return 0;
}

static void write_url_file(const char *text)
{
	FILE *f = fopen(url_path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Opens a webhook on url_path: NULL when refused, with the reason in err. */
static struct webhook *open_url_file(char *err, size_t errsize)
{
	struct cfg_webhook w = { .url = NULL, .url_file = url_path, .format = WEBHOOK_JSON,
	    .timeout = 1, .headers_file = NULL };
	err[0] = '\0';
	return webhook_open(&w, err, errsize);
}

static void test_one_url_among_comments(void **state)
{
	char err[512];
	(void)state;
	/* Blank lines (spaces too) and comments around it; trailing blanks and CRLF dropped. */
	write_url_file("# the chat webhook\n\n   \n\thttps://hooks.example/services/" TOKEN " \t\r\n"
	    "# end\n\n");
	/* A leading tab is part of the line: not a URL. */
	assert_null(open_url_file(err, sizeof(err)));
	assert_non_null(strstr(err, ":4: not a URL"));
	write_url_file("# the chat webhook\n\n   \nhttps://hooks.example/services/" TOKEN " \t\r\n"
	    "# end\n\n");
	struct webhook *wh = open_url_file(err, sizeof(err));
	assert_non_null(wh);
	webhook_close(wh);
}

/* A URL of n bytes in a file, its line ended by eol. */
static void write_url_of(size_t n, const char *eol)
{
	char *text = malloc(n + 8);
	assert_non_null(text);
	int head = snprintf(text, n + 8, "https://hooks.example/" TOKEN "/");
	assert_true(head > 0 && (size_t)head <= n);
	memset(text + head, 'a', n - (size_t)head);
	strcpy(text + n, eol);
	write_url_file(text);
	free(text);
}

/* As long as the YAML's url may be (2048 bytes), whatever the line end; not a byte more. */
static void test_url_length_limit(void **state)
{
	char err[512];
	struct webhook *wh;
	(void)state;
	write_url_of(WEBHOOK_URL_LEN, "\n");
	assert_non_null(wh = open_url_file(err, sizeof(err)));
	webhook_close(wh);
	write_url_of(WEBHOOK_URL_LEN, "\r\n");
	assert_non_null(wh = open_url_file(err, sizeof(err)));
	webhook_close(wh);
	write_url_of(WEBHOOK_URL_LEN, "");
	assert_non_null(wh = open_url_file(err, sizeof(err)));
	webhook_close(wh);
	const char *eols[] = { "\n", "\r\n", "" };
	for (size_t i = 0; i < 3; i++) {
		write_url_of(WEBHOOK_URL_LEN + 1, eols[i]);
		assert_null(open_url_file(err, sizeof(err)));
		assert_non_null(strstr(err, ":1: line longer than 2048 bytes"));
		assert_null(strstr(err, TOKEN));
	}
}

static void test_refused_without_quoting(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "# nothing here\n\n", "no URL in it" },
		{ "https://hooks.example/a/" TOKEN "\nhttps://hooks.example/b/" TOKEN "\n",
		  ":2: a second URL (want one)" },
		{ "ftp://hooks.example/" TOKEN "\n", ":1: not a URL" },
		{ "https://hooks.example/a " TOKEN "\n", ":1: not a URL" },
		{ "https://hooks.example/\x01" TOKEN "\n", ":1: not a URL" },
		{ "https:///" TOKEN "\n", ":1: not a URL" },
	};
	char err[512];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_url_file(cases[i].text);
		assert_null(open_url_file(err, sizeof(err)));
		if (strstr(err, cases[i].want) == NULL || strstr(err, TOKEN) != NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\" without the token", i, err,
			    cases[i].want);
	}
}

static void test_missing_file(void **state)
{
	char err[512];
	(void)state;
	unlink(url_path);
	assert_null(open_url_file(err, sizeof(err)));
	assert_non_null(strstr(err, "No such file or directory"));
	assert_non_null(strstr(err, url_path));
}

static void test_url_from_the_yaml(void **state)
{
	char err[512];
	struct cfg_webhook w = { .url = "http://127.0.0.1:9/h", .timeout = 1 };
	(void)state;
	struct webhook *wh = webhook_open(&w, err, sizeof(err));
	assert_non_null(wh);
	webhook_close(wh);
	w.url = NULL;
	assert_null(webhook_open(&w, err, sizeof(err)));
	assert_string_equal(err, "webhook: neither url nor url_file is set");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_url_among_comments),
		cmocka_unit_test(test_url_length_limit),
		cmocka_unit_test(test_refused_without_quoting),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_url_from_the_yaml),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
