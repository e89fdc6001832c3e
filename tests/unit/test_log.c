/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_log.c - milter/common/log.c: when a foreground daemon copies its
 * lines to stderr.  Under systemd stderr is the journal, which journald's
 * syslog socket feeds too: there the copy would write every line twice.
 *
 * Each test puts a file of its own on fd 2 (saved and put back), so the
 * file's device and inode stand for the journal stream, and binds a unix
 * socket of its own for the syslog socket.
 *
 * Also: with no syslog socket, lines are not handed to syslog(3) at all
 * (glibc would try to connect for each one).  The test is linked with
 * --wrap for syslog and __syslog_chk (its name under _FORTIFY_SOURCE;
 * Makefile.am), so log.c's calls are counted below.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

static unsigned long syslog_calls;

void __wrap_syslog(int prio, const char *fmt, ...);
void
__wrap_syslog(int prio, const char *fmt, ...)
{
	(void)prio;
	(void)fmt;
	syslog_calls++;
}

void __wrap___syslog_chk(int prio, int flag, const char *fmt, ...);
void
__wrap___syslog_chk(int prio, int flag, const char *fmt, ...)
{
	(void)prio;
	(void)flag;
	(void)fmt;
	syslog_calls++;
}

struct log_fixture {
	char dir[64];
	char err_path[96];	/* the file on fd 2 */
	char sock_path[96];	/* a bound unix socket: "syslog is there" */
	int saved_stderr;
	int sock;
};

static int
fixture_setup(void **state)
{
	struct log_fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/fwdguard-test-log.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->err_path, sizeof(f->err_path), "%s/stderr", f->dir);
	snprintf(f->sock_path, sizeof(f->sock_path), "%s/log", f->dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->sock_path);
	f->sock = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (f->sock < 0 || bind(f->sock, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		return -1;
	fflush(stderr);
	f->saved_stderr = dup(STDERR_FILENO);
	fd = open(f->err_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (f->saved_stderr < 0 || fd < 0 || dup2(fd, STDERR_FILENO) < 0)
		return -1;
	close(fd);
	*state = f;
	return 0;
}

static int
fixture_teardown(void **state)
{
	struct log_fixture *f = *state;
	char buf[4096];
	ssize_t n;
	int fd;

	fflush(stderr);
	dup2(f->saved_stderr, STDERR_FILENO);
	close(f->saved_stderr);
	/* What went to the file, cmocka's reasons for a failure among it, is
	 * shown before the file goes. */
	if ((fd = open(f->err_path, O_RDONLY)) >= 0) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (write(STDERR_FILENO, buf, (size_t)n) != n)
				break;
		close(fd);
	}
	close(f->sock);
	unlink(f->sock_path);
	unlink(f->err_path);
	rmdir(f->dir);
	unsetenv("JOURNAL_STREAM");
	free(f);
	return 0;
}

/* Sets JOURNAL_STREAM to the device and inode of the file on fd 2, plus delta on the inode. */
static void
stream_is_stderr(long long delta)
{
	struct stat st;
	char v[64];

	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + (unsigned long long)delta);
	assert_int_equal(setenv("JOURNAL_STREAM", v, 1), 0);
}

static void
test_journal_with_syslog(void **state)
{
	struct log_fixture *f = *state;

	stream_is_stderr(0);
	assert_true(log_stderr_is_journal(f->sock_path));
}

static void
test_not_the_journal(void **state)
{
	struct log_fixture *f = *state;

	/* Not under systemd at all. */
	unsetenv("JOURNAL_STREAM");
	assert_false(log_stderr_is_journal(f->sock_path));
	/* Under systemd, but stderr was redirected elsewhere (a file, a pipe). */
	stream_is_stderr(1);
	assert_false(log_stderr_is_journal(f->sock_path));
	/* A value that is not "device:inode" is not trusted to be one. */
	setenv("JOURNAL_STREAM", "", 1);
	assert_false(log_stderr_is_journal(f->sock_path));
	setenv("JOURNAL_STREAM", "12", 1);
	assert_false(log_stderr_is_journal(f->sock_path));
	setenv("JOURNAL_STREAM", "1:2:3", 1);
	assert_false(log_stderr_is_journal(f->sock_path));
}

/* With no syslog socket the copy on stderr is the only one: it stays. */
static void
test_journal_without_syslog(void **state)
{
	struct log_fixture *f = *state;
	char missing[128];

	stream_is_stderr(0);
	snprintf(missing, sizeof(missing), "%s/none", f->dir);
	assert_false(log_stderr_is_journal(missing));
	/* A regular file where the socket should be is no syslog either. */
	assert_false(log_stderr_is_journal(f->err_path));
}

/* The size of the file on fd 2 after everything buffered went out. */
static off_t
stderr_size(void)
{
	struct stat st;

	fflush(stderr);
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	return st.st_size;
}

/* Into the journal, with syslog there, the line goes to syslog alone. */
static void
test_no_copy_into_the_journal(void **state)
{
	struct log_fixture *f = *state;
	char missing[128];

	stream_is_stderr(0);
	log_init_checking("test_log", LOG_MAIL, true, f->sock_path);
	log_set_level(LOG_INFO);
	log_info("decision %s", "not copied");
	assert_int_equal(stderr_size(), 0);
	/* Without the syslog socket the copy is the only one: it is made. */
	snprintf(missing, sizeof(missing), "%s/none", f->dir);
	log_init_checking("test_log", LOG_MAIL, true, missing);
	log_info("decision %s", "copied");
	assert_true(stderr_size() > 0);
	log_init_checking("test_log", LOG_MAIL, false, missing);
}

/* Outside the journal, log_init(..., true) copies each line to stderr. */
static void
test_copy_reaches_stderr(void **state)
{
	struct log_fixture *f = *state;
	char buf[512] = "";
	ssize_t n;
	int fd;

	unsetenv("JOURNAL_STREAM");
	log_init("test_log", LOG_MAIL, true);
	log_set_level(LOG_INFO);
	log_info("decision %s", "copied");
	log_debug("%s", "below the level");
	errno = ENOENT;
	log_warn("cannot open %s", "the spool");
	fflush(stderr);
	fd = open(f->err_path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "test_log: decision copied\n"));
	assert_null(strstr(buf, "below the level"));
	/* log_warn's strerror after the line, as the line's own suffix. */
	assert_non_null(strstr(buf, "test_log: cannot open the spool: No such file or directory\n"));
}

/* Sleeps until CLOCK_MONOTONIC_COARSE enters its next second (at most ~1.1 s). */
static void
next_second(void)
{
	struct timespec t0, t, nap = { 0, 20 * 1000 * 1000 };

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC_COARSE, &t0), 0);
	for (int i = 0; i < 100; i++) {
		nanosleep(&nap, NULL);
		assert_int_equal(clock_gettime(CLOCK_MONOTONIC_COARSE, &t), 0);
		if (t.tv_sec != t0.tv_sec)
			return;
	}
	fail_msg("CLOCK_MONOTONIC_COARSE did not move in 2 s");
}

/* Lines go to syslog(3) only while a socket is there, looked at once a second. */
static void
test_syslog_only_with_a_socket(void **state)
{
	struct log_fixture *f = *state;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char later[96];
	int sock;

	unsetenv("JOURNAL_STREAM");
	log_set_level(LOG_INFO);
	log_init_checking("test_log", LOG_MAIL, false, f->sock_path);
	syslog_calls = 0;
	log_info("%s", "with a socket");
	assert_int_equal(syslog_calls, 1);

	/* None there: nothing handed to syslog(3). */
	snprintf(later, sizeof(later), "%s/later", f->dir);
	log_init_checking("test_log", LOG_MAIL, false, later);
	log_info("%s", "one");
	log_warnx("%s", "two");
	assert_int_equal(syslog_calls, 1);

	/* A syslog daemon that starts is used from the next look on. */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", later);
	sock = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(sock >= 0);
	assert_int_equal(bind(sock, (struct sockaddr *)&sun, sizeof(sun)), 0);
	next_second();
	log_info("%s", "syslog is back");
	assert_int_equal(syslog_calls, 2);

	/* And one that goes away is not tried for each line. */
	close(sock);
	unlink(later);
	next_second();
	log_info("%s", "gone again");
	assert_int_equal(syslog_calls, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_journal_with_syslog, fixture_setup,
		    fixture_teardown),
		cmocka_unit_test_setup_teardown(test_not_the_journal, fixture_setup,
		    fixture_teardown),
		cmocka_unit_test_setup_teardown(test_journal_without_syslog, fixture_setup,
		    fixture_teardown),
		cmocka_unit_test_setup_teardown(test_copy_reaches_stderr, fixture_setup,
		    fixture_teardown),
		cmocka_unit_test_setup_teardown(test_no_copy_into_the_journal, fixture_setup,
		    fixture_teardown),
		cmocka_unit_test_setup_teardown(test_syslog_only_with_a_socket, fixture_setup,
		    fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
