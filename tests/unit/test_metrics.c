/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_metrics.c - the metrics registry and its text exposition
 * (milter/common/metrics.c), the listen address (milter/common/metrics_addr.c,
 * metrics.listen in the loader), the HTTP server (milter/common/metrics_http.c),
 * and the daemon's families (milter/metrics_daemon.c).  That every metric
 * is documented is tests/unit/test_docs.c's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "cfg.h"
#include "metrics.h"
#include "metrics_daemon.h"
#include "metrics_http.h"

#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))

static char *
render(struct metrics *m)
{
	size_t len;
	char *out = metrics_render(m, &len);

	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	return out;
}

/* Fails with the whole exposition when want is not one of its lines. */
static void
assert_line(const char *text, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = text; *p != '\0'; p = strchr(p, '\n') + 1) {
		if (strncmp(p, want, n) == 0 && p[n] == '\n')
			return;
		if (strchr(p, '\n') == NULL)
			break;
	}
	fail_msg("line not found: %s\n--- got:\n%s", want, text);
}

static void
assert_no_line_starting(const char *text, const char *prefix)
{
	for (const char *p = text; *p != '\0'; p = strchr(p, '\n') + 1) {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			fail_msg("unexpected line starting %s\n--- got:\n%s", prefix, text);
		if (strchr(p, '\n') == NULL)
			break;
	}
}

static void
test_counter_lines(void **state)
{
	static const char *const labels[] = { "action", "rule", NULL };
	struct metrics *m = metrics_new("t_");
	struct metrics_family *f = metrics_counter(m, "t_decisions_total", "Decisions.", labels);
	char *out;

	assert_non_null(f);
	metrics_add(f, (const char *const[]){ "reject", "forwarded-copy" }, 2);
	metrics_add(f, (const char *const[]){ "accept", "" }, 1);
	metrics_add(f, (const char *const[]){ "reject", "forwarded-copy" }, 1);
	out = render(m);
	assert_line(out, "# HELP t_decisions_total Decisions.");
	assert_line(out, "# TYPE t_decisions_total counter");
	assert_line(out, "t_decisions_total{action=\"reject\",rule=\"forwarded-copy\"} 3");
	assert_line(out, "t_decisions_total{action=\"accept\",rule=\"\"} 1");
	/* Sorted by label values: accept before reject. */
	assert_true(strstr(out, "action=\"accept\"") < strstr(out, "action=\"reject\""));
	assert_line(out, "t_metrics_series_dropped_total 0");
	free(out);
	metrics_free(m);
}

struct escape_case {
	const char *name;
	const char *value;
	const char *want;	/* the whole series line */
};

static const struct escape_case escape_cases[] = {
	{ "plain value unchanged", "corp.example", "t_x{v=\"corp.example\"} 1" },
	{ "backslash doubled", "a\\b", "t_x{v=\"a\\\\b\"} 1" },
	{ "quote escaped", "say \"hi\"", "t_x{v=\"say \\\"hi\\\"\"} 1" },
	{ "newline as \\n", "two\nlines", "t_x{v=\"two\\nlines\"} 1" },
	{ "UTF-8 kept as is", "caf\xc3\xa9", "t_x{v=\"caf\xc3\xa9\"} 1" },
};

static void
test_label_escaping(void **state)
{
	static const char *const labels[] = { "v", NULL };

	for (size_t i = 0; i < NCASES(escape_cases); i++) {
		struct metrics *m = metrics_new("t_");
		struct metrics_family *f = metrics_counter(m, "t_x", "X.", labels);
		char *out;

		metrics_add(f, (const char *const[]){ escape_cases[i].value }, 1);
		out = render(m);
		if (strstr(out, escape_cases[i].want) == NULL)
			fail_msg("%s: want %s\n--- got:\n%s", escape_cases[i].name,
			    escape_cases[i].want, out);
		free(out);
		metrics_free(m);
	}
}

/* A value longer than METRICS_VALUE_MAX is cut before a character, never inside one. */
static void
test_long_value_cut(void **state)
{
	static const char *const labels[] = { "v", NULL };
	struct metrics *m = metrics_new("t_");
	struct metrics_family *f = metrics_counter(m, "t_x", "X.", labels);
	char value[METRICS_VALUE_MAX + 8], want[METRICS_VALUE_MAX + 32], *out;

	memset(value, 'a', METRICS_VALUE_MAX - 1);
	strcpy(value + METRICS_VALUE_MAX - 1, "\xc3\xa9z");	/* é straddles the limit */
	metrics_add(f, (const char *const[]){ value }, 1);
	out = render(m);
	snprintf(want, sizeof(want), "t_x{v=\"%.*s\"} 1", METRICS_VALUE_MAX - 1, value);
	assert_line(out, want);
	free(out);
	metrics_free(m);
}

static void
test_help_escaping(void **state)
{
	struct metrics *m = metrics_new("t_");
	char *out;

	assert_non_null(metrics_gauge(m, "t_g", "a \"quoted\" back\\slash\nand a newline", NULL));
	out = render(m);
	/* In HELP only backslash and newline are escaped, quotes are not. */
	assert_line(out, "# HELP t_g a \"quoted\" back\\\\slash\\nand a newline");
	free(out);
	metrics_free(m);
}

static void
test_histogram_cumulative(void **state)
{
	static const double bounds[] = { 0.125, 1, 2.5 };
	static const char *const labels[] = { "kind", NULL };
	struct metrics *m = metrics_new("t_");
	struct metrics_family *f = metrics_histogram(m, "t_seconds", "Latency.", labels, bounds, 3);
	struct metrics_series *s = metrics_series(f, (const char *const[]){ "eom" });
	char *out;

	assert_non_null(s);
	/* Binary fractions, so that the sum is exact. */
	metrics_series_observe(s, 0.0625);
	metrics_series_observe(s, 0.125);	/* on a bound: counts in that bucket (le) */
	metrics_series_observe(s, 0.5);
	metrics_series_observe(s, 7);		/* above every bound: +Inf only */
	metrics_series_observe(s, NAN);		/* ignored */
	out = render(m);
	assert_line(out, "# TYPE t_seconds histogram");
	assert_line(out, "t_seconds_bucket{kind=\"eom\",le=\"0.125\"} 2");
	assert_line(out, "t_seconds_bucket{kind=\"eom\",le=\"1\"} 3");
	assert_line(out, "t_seconds_bucket{kind=\"eom\",le=\"2.5\"} 3");
	assert_line(out, "t_seconds_bucket{kind=\"eom\",le=\"+Inf\"} 4");
	assert_line(out, "t_seconds_sum{kind=\"eom\"} 7.6875");
	assert_line(out, "t_seconds_count{kind=\"eom\"} 4");
	free(out);
	metrics_free(m);
}

static void
test_histogram_without_labels(void **state)
{
	static const double bounds[] = { 0.0005, 0.25 };
	struct metrics *m = metrics_new("t_");
	struct metrics_family *f = metrics_histogram(m, "t_h_seconds", "H.", NULL, bounds, 2);
	char *out;

	metrics_observe(f, NULL, 0.001);
	out = render(m);
	assert_line(out, "t_h_seconds_bucket{le=\"0.0005\"} 0");
	assert_line(out, "t_h_seconds_bucket{le=\"0.25\"} 1");
	assert_line(out, "t_h_seconds_bucket{le=\"+Inf\"} 1");
	assert_line(out, "t_h_seconds_sum 0.001");
	assert_line(out, "t_h_seconds_count 1");
	free(out);
	metrics_free(m);
}

struct gauge_case {
	double v;
	const char *want;
};

static void
test_gauge_numbers(void **state)
{
	static const struct gauge_case cases[] = {
		{ 0, "t_g 0" }, { 42, "t_g 42" }, { -3.5, "t_g -3.5" }, { 0.1, "t_g 0.1" },
		{ 1764500000.25, "t_g 1764500000.25" }, { 1e20, "t_g 1e+20" }, { NAN, "t_g NaN" }, { INFINITY, "t_g +Inf" },
		{ -INFINITY, "t_g -Inf" },
	};

	for (size_t i = 0; i < NCASES(cases); i++) {
		struct metrics *m = metrics_new("t_");
		char *out;

		metrics_set(metrics_gauge(m, "t_g", "G.", NULL), NULL, cases[i].v);
		out = render(m);
		assert_line(out, cases[i].want);
		free(out);
		metrics_free(m);
	}
}

static void
test_info_replaced(void **state)
{
	static const char *const labels[] = { "digest", NULL };
	struct metrics *m = metrics_new("t_");
	struct metrics_family *f = metrics_info(m, "t_config_info", "Config.", labels);
	char *out;

	out = render(m);
	assert_no_line_starting(out, "t_config_info{");	/* nothing set yet */
	free(out);
	assert_int_equal(metrics_info_set(f, (const char *const[]){ "aaa" }), 0);
	assert_int_equal(metrics_info_set(f, (const char *const[]){ "bbb" }), 0);
	assert_null(metrics_series(f, NULL));	/* an info family has no free series */
	out = render(m);
	assert_line(out, "# TYPE t_config_info gauge");
	assert_line(out, "t_config_info{digest=\"bbb\"} 1");
	assert_null(strstr(out, "aaa"));
	free(out);
	metrics_free(m);
}

static void
test_series_limit(void **state)
{
	static const char *const labels[] = { "n", NULL };
	struct metrics *m = metrics_new("t_");
	struct metrics_family *f = metrics_counter(m, "t_c_total", "C.", labels);
	char v[16], *out, want[64];

	for (int i = 0; i < METRICS_SERIES_MAX + 10; i++) {
		snprintf(v, sizeof(v), "%d", i);
		metrics_add(f, (const char *const[]){ v }, 1);
	}
	/* An existing series still counts once the family is full. */
	metrics_add(f, (const char *const[]){ "0" }, 1);
	out = render(m);
	assert_line(out, "t_c_total{n=\"0\"} 2");
	snprintf(want, sizeof(want), "t_c_total{n=\"%d\"} 1", METRICS_SERIES_MAX - 1);
	assert_line(out, want);
	snprintf(want, sizeof(want), "t_c_total{n=\"%d\"}", METRICS_SERIES_MAX);
	assert_null(strstr(out, want));
	assert_line(out, "t_metrics_series_dropped_total 10");
	free(out);
	metrics_free(m);
}

static void
test_bad_families(void **state)
{
	static const char *const le[] = { "le", NULL };
	static const char *const reserved[] = { "__x", NULL };
	static const char *const twice[] = { "a", "a", NULL };
	static const char *const dash[] = { "a-b", NULL };
	static const double down[] = { 1, 0.5 };
	struct metrics *m = metrics_new("t_");

	assert_non_null(metrics_counter(m, "t_ok_total", "ok", NULL));
	assert_null(metrics_counter(m, "t_ok_total", "duplicate", NULL));
	assert_null(metrics_counter(m, "t_metrics_series_dropped_total", "the registry's", NULL));
	assert_null(metrics_counter(m, "9starts_with_digit", "", NULL));
	assert_null(metrics_counter(m, "has-dash", "", NULL));
	assert_null(metrics_counter(m, "", "", NULL));
	assert_null(metrics_histogram(m, "t_h", "", le, NULL, 0));
	assert_null(metrics_histogram(m, "t_h2", "", NULL, down, 2));
	assert_null(metrics_counter(m, "t_r", "", reserved));
	assert_null(metrics_counter(m, "t_t", "", twice));
	assert_null(metrics_counter(m, "t_d", "", dash));
	assert_non_null(metrics_counter(m, "t:colon_total", "colons are allowed in names", NULL));
	/* A NULL family or series is a no-op, never a crash. */
	metrics_add(NULL, NULL, 1);
	metrics_set(NULL, NULL, 1);
	metrics_observe(NULL, NULL, 1);
	metrics_series_add(NULL, 1);
	assert_int_equal(metrics_info_set(NULL, NULL), -1);
	metrics_free(m);
	metrics_free(NULL);
}

static void
test_type_mismatch_ignored(void **state)
{
	struct metrics *m = metrics_new("t_");
	struct metrics_series *c = metrics_series(metrics_counter(m, "t_c_total", "C.", NULL), NULL);
	struct metrics_series *g = metrics_series(metrics_gauge(m, "t_g", "G.", NULL), NULL);
	char *out;

	metrics_series_add(c, 5);
	metrics_series_observe(c, 1);		/* not a histogram: ignored */
	metrics_series_add(g, 7);		/* gauges are set, not added */
	metrics_series_set(g, 2);
	metrics_series_set(c, -1);		/* a counter never goes negative */
	out = render(m);
	assert_line(out, "t_c_total 5");
	assert_line(out, "t_g 2");
	free(out);
	metrics_free(m);
}

static void
collect_into(void *arg)
{
	static double calls;

	metrics_series_set(arg, ++calls);
}

static void
test_collector_runs_per_render(void **state)
{
	struct metrics *m = metrics_new("t_");
	struct metrics_series *s = metrics_series(metrics_gauge(m, "t_calls", "Calls.", NULL), NULL);
	char *out;

	assert_int_equal(metrics_collector(m, collect_into, s), 0);
	free(render(m));
	out = render(m);
	assert_line(out, "t_calls 2");
	free(out);
	metrics_free(m);
}

#define THREADS		4
#define ROUNDS		20000

struct hammer {
	struct metrics_family *c, *h;
	int id;
};

static void *
hammer_run(void *arg)
{
	struct hammer *hm = arg;
	char mine[16];

	snprintf(mine, sizeof(mine), "t%d", hm->id);
	for (int i = 0; i < ROUNDS; i++) {
		metrics_add(hm->c, (const char *const[]){ "shared" }, 1);
		metrics_add(hm->c, (const char *const[]){ mine }, 1);
		metrics_observe(hm->h, NULL, 0.5);
	}
	return NULL;
}

/* Lock-free updates lose nothing, and racing first uses make one series. */
static void
test_concurrent_updates(void **state)
{
	static const char *const labels[] = { "who", NULL };
	static const double bounds[] = { 1 };
	struct metrics *m = metrics_new("t_");
	struct hammer hm[THREADS];
	pthread_t tid[THREADS];
	char *out, want[64];

	for (int i = 0; i < THREADS; i++) {
		hm[i].c = i == 0 ? metrics_counter(m, "t_c_total", "C.", labels) : hm[0].c;
		hm[i].h = i == 0 ? metrics_histogram(m, "t_h_seconds", "H.", NULL, bounds, 1) : hm[0].h;
		hm[i].id = i;
		assert_int_equal(pthread_create(&tid[i], NULL, hammer_run, &hm[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	out = render(m);
	snprintf(want, sizeof(want), "t_c_total{who=\"shared\"} %d", THREADS * ROUNDS);
	assert_line(out, want);
	snprintf(want, sizeof(want), "t_c_total{who=\"t3\"} %d", ROUNDS);
	assert_line(out, want);
	snprintf(want, sizeof(want), "t_h_seconds_count %d", THREADS * ROUNDS);
	assert_line(out, want);
	snprintf(want, sizeof(want), "t_h_seconds_sum %d", THREADS * ROUNDS / 2);
	assert_line(out, want);
	free(out);
	metrics_free(m);
}

struct addr_case {
	const char *text;
	int want;
};

static void
test_addr_parse(void **state)
{
	static const struct addr_case cases[] = {
		{ "127.0.0.1:9469", 0 }, { "0.0.0.0:1", 0 }, { "[::1]:9469", 0 },
		{ "127.0.0.1:65535", 0 }, { "127.0.0.1:0", -1 }, { "127.0.0.1:65536", -1 },
		{ "127.0.0.1:99999", -1 }, { "127.0.0.1", -1 }, { "127.0.0.1:", -1 },
		{ ":9469", -1 }, { "localhost:9469", -1 }, { "256.0.0.1:9469", -1 },
		{ "127.1:9469", -1 }, { "::1:9469", -1 }, { "[::1]9469", -1 }, { "[]:9469", -1 },
		{ "127.0.0.1:94a9", -1 }, { "127.0.0.1:+9469", -1 }, { "", -1 },
	};
	struct sockaddr_storage ss;
	socklen_t len;

	for (size_t i = 0; i < NCASES(cases); i++)
		if (metrics_addr_parse(cases[i].text, &ss, &len) != cases[i].want)
			fail_msg("\"%s\": want %d", cases[i].text, cases[i].want);
	assert_int_equal(metrics_addr_parse("127.0.0.1:9469", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9469);
}

static void
collect_error(void *ctx, const char *line)
{
	char *buf = ctx;

	snprintf(buf + strlen(buf), 1024 - strlen(buf), "%s\n", line);
}

static void
test_config_listen(void **state)
{
	static const char good[] = "metrics: { listen: 127.0.0.1:9469 }\n";
	static const char bad[] = "metrics:\n  listen: localhost:9469\n";
	static const char port[] = "metrics:\n  listen: 127.0.0.1:99999\n";
	static const char unknown[] = "metrics:\n  port: 9469\n";
	char errors[1024] = "";
	struct cfg *c;

	c = cfg_load_buffer("t.yaml", good, strlen(good), collect_error, errors);
	assert_non_null(c);
	assert_string_equal(c->metrics.listen, "127.0.0.1:9469");
	cfg_unref(c);
	c = cfg_load_buffer("t.yaml", "mode: enforce\n", 14, collect_error, errors);
	assert_non_null(c);
	assert_null(c->metrics.listen);		/* absent: no listener */
	cfg_unref(c);
	assert_null(cfg_load_buffer("t.yaml", bad, strlen(bad), collect_error, errors));
	assert_null(cfg_load_buffer("t.yaml", port, strlen(port), collect_error, errors));
	assert_null(cfg_load_buffer("t.yaml", unknown, strlen(unknown), collect_error, errors));
	assert_non_null(strstr(errors, "t.yaml:2:11: metrics.listen: invalid listen address "
	    "'localhost:9469' (want IPv4:port or [IPv6]:port, e.g. 127.0.0.1:9469)\n"));
	assert_non_null(strstr(errors, "t.yaml:2:11: metrics.listen: invalid listen address "
	    "'127.0.0.1:99999'"));
	assert_non_null(strstr(errors, "t.yaml:2:3: metrics.port: unknown key (want listen)"));
}

/* One HTTP request on a fresh connection to port; the whole response. */
static char *
http(unsigned short port, const char *request)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	static char buf[65536];
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	while (got + 1 < sizeof(buf) && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	return buf;
}

static void
test_http_server(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct metrics *m = metrics_new("t_");
	struct metrics_http *h;
	char err[256];
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	unsigned short port;
	const char *r;

	/* Port 0 (which metrics.listen refuses) lets the kernel pick a free one. */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	metrics_add(metrics_counter(m, "t_hits_total", "Hits.", NULL), NULL, 3);
	h = metrics_http_start(m, fd, "127.0.0.1:0", err, sizeof(err));
	assert_non_null(h);
	assert_string_equal(metrics_http_listen(h), "127.0.0.1:0");
	r = http(port, "GET /metrics HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 200 OK\r\n"));
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(r, "\r\n\r\n# HELP t_hits_total Hits.\n"));
	assert_non_null(strstr(r, "\nt_hits_total 3\n"));
	r = http(port, "GET /other HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 404 "));
	r = http(port, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
	assert_non_null(strstr(r, " 405 "));
	r = http(port, "HEAD /metrics HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 200 OK\r\n"));
	assert_null(strstr(r, "t_hits_total"));
	metrics_http_stop(h);
	metrics_free(m);
}

static void
test_bind_errors(void **state)
{
	char err[256];
	int fd, fd2;

	assert_int_equal(metrics_http_bind("localhost:9469", err, sizeof(err)), -1);
	assert_string_equal(err, "invalid listen address 'localhost:9469' (want IPv4:port or "
	    "[IPv6]:port)");
	/* A port in use: find a free one, hold it, then ask again. */
	for (int p = 39469; p < 39569; p++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "127.0.0.1:%d", p);
		if ((fd = metrics_http_bind(addr, err, sizeof(err))) < 0)
			continue;
		fd2 = metrics_http_bind(addr, err, sizeof(err));
		close(fd);
		assert_int_equal(fd2, -1);
		assert_non_null(strstr(err, "Address already in use"));
		return;
	}
	fail_msg("no free port in 39469..39568");
}

static void
test_daemon_families(void **state)
{
	static const char yaml[] = "mode: enforce\n";
	struct cfg *c = cfg_load_buffer("t.yaml", yaml, strlen(yaml), NULL, NULL);
	struct policy_rule rule = { .name = (char *)"forwarded-copy" };
	struct decision d[3];
	struct metrics *m;
	char *out, want[128];

	assert_non_null(c);
	memset(d, 0, sizeof(d));
	d[0].record = true;
	d[0].rule = &rule;
	d[0].action = ACTION_REJECT;
	d[0].mode = MODE_ENFORCE;
	d[0].signals = SIGNAL_BIT(SIGNAL_DELIVERED_TO) | SIGNAL_BIT(SIGNAL_ORCPT);
	d[1] = d[0];
	d[1].signals = SIGNAL_BIT(SIGNAL_ORCPT);
	d[2].record = false;	/* not recorded: not counted */
	d[2].action = ACTION_ACCEPT;
	metrics_daemon_decisions(d, 3);		/* before open: a no-op */
	m = metrics_daemon_open(NULL, c);
	assert_non_null(m);
	metrics_daemon_decisions(d, 3);
	metrics_daemon_eom(0.003);
	metrics_daemon_reload(false, NULL);
	out = render(m);
	assert_line(out, "fwdguard_decisions_total{action=\"reject\",rule=\"forwarded-copy\","
	    "mode=\"enforce\"} 2");
	assert_null(strstr(out, "action=\"accept\""));
	assert_line(out, "fwdguard_signals_total{signal=\"orcpt\"} 2");
	assert_line(out, "fwdguard_signals_total{signal=\"delivered-to\"} 1");
	assert_line(out, "fwdguard_signals_total{signal=\"leak-probe\"} 0");
	assert_line(out, "fwdguard_eom_duration_seconds_bucket{le=\"0.0025\"} 0");
	assert_line(out, "fwdguard_eom_duration_seconds_bucket{le=\"0.005\"} 1");
	assert_line(out, "fwdguard_eom_duration_seconds_count 1");
	assert_line(out, "fwdguard_reloads_total{result=\"failure\"} 1");
	assert_line(out, "fwdguard_reloads_total{result=\"success\"} 0");
	snprintf(want, sizeof(want), "fwdguard_config_info{digest=\"%s\"} 1", c->digest);
	assert_line(out, want);
	assert_line(out, "fwdguard_spool_unshipped_records 0");
	assert_line(out, "fwdguard_ldap_errors_total{operation=\"refresh\"} 0");
	free(out);
	metrics_daemon_close();
	cfg_unref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_lines),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_long_value_cut),
		cmocka_unit_test(test_help_escaping),
		cmocka_unit_test(test_histogram_cumulative),
		cmocka_unit_test(test_histogram_without_labels),
		cmocka_unit_test(test_gauge_numbers),
		cmocka_unit_test(test_info_replaced),
		cmocka_unit_test(test_series_limit),
		cmocka_unit_test(test_bad_families),
		cmocka_unit_test(test_type_mismatch_ignored),
		cmocka_unit_test(test_collector_runs_per_render),
		cmocka_unit_test(test_concurrent_updates),
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_config_listen),
		cmocka_unit_test(test_http_server),
		cmocka_unit_test(test_bind_errors),
		cmocka_unit_test(test_daemon_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
