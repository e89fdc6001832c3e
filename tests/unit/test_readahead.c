/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_readahead.c - milter/common/readahead.c: a socket from accept(2)
 * hands out the same bytes in the same order with fewer reads, poll sees
 * the buffered bytes, a hang-up waits behind them, and nothing else is
 * touched: not before readahead_enable(), not a socket from elsewhere, not
 * the next owner of a closed socket's number.
 *
 * The test program links the file, so its read, poll, accept and close
 * are the ones every call here reaches, as libmilter's do in fwdguard.
 * It links libmilter too, so that readahead_check() finds the library it
 * looks at, and libmicrohttpd, a library that reads sockets its own way
 * (select, recv, accept4), which the check must refuse.  The tests run in
 * order: the first one runs before readahead_enable().  Where a test asks
 * whether bytes are still in the kernel it uses FIONREAD, which the file
 * leaves alone.
 */
/* Fortified reads (__read_chk) would go around the file's read. */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <libmilter/mfapi.h>
#include <microhttpd.h>

#include "readahead.h"

/* A connected pair: *served from accept(2), *peer the MTA's end. */
static void accept_pair(int *served, int *peer)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static unsigned n;
	/* Abstract names: nothing to clean up, unique per process and call. */
	int len = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "fwdguard-readahead-%d-%u",
	    (int)getpid(), n++);
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)len);
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, salen), 0);
	assert_int_equal(listen(lfd, 1), 0);
	*peer = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(*peer >= 0);
	assert_int_equal(connect(*peer, (struct sockaddr *)&sa, salen), 0);
	*served = accept(lfd, NULL, NULL);
	assert_true(*served >= 0);
	close(lfd);
}

/* The same over TCP on 127.0.0.1. */
static void accept_pair_tcp(int *served, int *peer)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t salen = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, salen), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &salen), 0);
	assert_int_equal(listen(lfd, 1), 0);
	*peer = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*peer >= 0);
	assert_int_equal(connect(*peer, (struct sockaddr *)&sa, salen), 0);
	struct sockaddr_in from;
	socklen_t fromlen = sizeof(from);
	*served = accept(lfd, (struct sockaddr *)&from, &fromlen);	/* as libmilter asks */
	assert_true(*served >= 0);
	close(lfd);
}

/* Whether fd's kernel acknowledges at once (TCP_QUICKACK reads !pingpong). */
static int quick(int fd)
{
	int v = -1;
	socklen_t len = sizeof(v);
	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &v, &len), 0);
	return v;
}

/* Delayed ACKs, as after an exchange of answers. */
static void delay_acks(int fd)
{
	int zero = 0;
	assert_int_equal(setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero)), 0);
	assert_int_equal(quick(fd), 0);
}

/* Bytes the kernel still holds for fd. */
static int in_kernel(int fd)
{
	int n = -1;
	assert_int_equal(ioctl(fd, FIONREAD, &n), 0);
	return n;
}

static void send_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

static void test_nothing_changes_before_enable(void **state)
{
	(void)state;
	int fd, peer;
	char buf[8];
	accept_pair(&fd, &peer);
	send_all(peer, "abcdef", 6);
	assert_int_equal(read(fd, buf, 2), 2);
	assert_memory_equal(buf, "ab", 2);
	assert_int_equal(in_kernel(fd), 4);
	close(fd);
	close(peer);
}

/* The libmilter of this machine (Debian's) is one reading ahead is safe for. */
static void test_check_accepts_this_libmilter(void **state)
{
	(void)state;
	char why[160] = "";
	unsigned int major, minor, patch;
	assert_int_equal(smfi_version(&major, &minor, &patch), MI_SUCCESS);
	assert_int_equal(readahead_imports("libmilter.so", "read"), 1);
	assert_int_equal(readahead_imports("libmilter.so", "poll"), 1);
	assert_int_equal(readahead_imports("libmilter.so", "select"), 0);
	assert_int_equal(readahead_imports("libmilter.so", "__read_chk"), 0);
	assert_int_equal(readahead_imports("no-such-object.so", "read"), -1);
	assert_int_equal(readahead_check(why, sizeof(why)), 0);
	assert_string_equal(why, "");
}

/* A library that waits with select and reads with recv is refused, with why. */
static void test_check_refuses_other_reads(void **state)
{
	(void)state;
	char why[160] = "";
	assert_non_null(MHD_get_version());
	assert_int_equal(readahead_imports("libmicrohttpd.so", "select"), 1);
	assert_int_equal(readahead_imports("libmicrohttpd.so", "accept"), 0);
	assert_int_equal(readahead_check_object("libmicrohttpd.so", why, sizeof(why)), -1);
	assert_string_equal(why, "libmicrohttpd.so calls select");
	/* cmocka reads nothing at all: not one libmilter could be. */
	assert_int_equal(readahead_check_object("libcmocka.so", why, sizeof(why)), -1);
	assert_string_equal(why, "libcmocka.so does not call read");
	assert_int_equal(readahead_check_object("libhiredis", why, sizeof(why)), -1);
	assert_string_equal(why, "no shared libhiredis in this process");
}

static void test_one_read_serves_the_next(void **state)
{
	(void)state;
	int fd, peer;
	char buf[64], why[160] = "";
	assert_int_equal(readahead_enable(why, sizeof(why)), 0);
	accept_pair(&fd, &peer);
	/* A header, a packet, another header: what libmilter asks for in turn. */
	send_all(peer, "\0\0\0\4Dabc\0\0\0\2N", 13);
	assert_int_equal(read(fd, buf, 5), 5);
	assert_memory_equal(buf, "\0\0\0\4D", 5);
	assert_int_equal(in_kernel(fd), 0);
	assert_int_equal(readahead_pending(fd), 8);
	assert_int_equal(read(fd, buf, 3), 3);
	assert_memory_equal(buf, "abc", 3);
	/* More asked for than buffered: what is there, not a wait for the rest. */
	assert_int_equal(read(fd, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "\0\0\0\2N", 5);
	assert_int_equal(readahead_pending(fd), 0);
	close(fd);
	close(peer);
}

static void test_poll_sees_buffered_bytes(void **state)
{
	(void)state;
	int fd, peer, idle, idle_peer, busy, busy_peer;
	char buf[16];
	accept_pair(&fd, &peer);
	accept_pair(&idle, &idle_peer);
	accept_pair(&busy, &busy_peer);
	send_all(peer, "0123456789", 10);
	assert_int_equal(read(fd, buf, 1), 1);
	assert_int_equal(in_kernel(fd), 0);

	/* No timeout: asked of the kernel, this would never return. */
	struct pollfd one = { .fd = fd, .events = POLLIN | POLLPRI };
	assert_int_equal(poll(&one, 1, -1), 1);
	assert_int_equal(one.revents, POLLIN);

	/* With others: the kernel is asked about them, without waiting. */
	struct pollfd quiet[] = { { .fd = idle, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
	assert_int_equal(poll(quiet, 2, -1), 1);
	assert_int_equal(quiet[0].revents, 0);
	assert_int_equal(quiet[1].revents, POLLIN);
	send_all(busy_peer, "x", 1);
	struct pollfd set[] = {
		{ .fd = idle, .events = POLLIN },
		{ .fd = fd, .events = POLLIN },
		{ .fd = -1, .events = POLLIN },
		{ .fd = busy, .events = POLLIN },
	};
	assert_int_equal(poll(set, 4, -1), 2);
	assert_int_equal(set[0].revents, 0);
	assert_int_equal(set[1].revents, POLLIN);
	assert_int_equal(set[2].revents, 0);
	assert_int_equal(set[3].revents, POLLIN);

	/* Waiting to write only: the buffer has nothing to say. */
	struct pollfd out = { .fd = fd, .events = POLLOUT };
	assert_int_equal(poll(&out, 1, 1000), 1);
	assert_int_equal(out.revents, POLLOUT);

	/* Drained: poll is the kernel's again, and times out. */
	assert_int_equal(read(fd, buf, sizeof(buf)), 9);
	assert_memory_equal(buf, "123456789", 9);
	one.revents = 0;
	assert_int_equal(poll(&one, 1, 10), 0);
	close(fd);
	close(peer);
	close(idle);
	close(idle_peer);
	close(busy);
	close(busy_peer);
}

static void test_hangup_waits_behind_the_bytes(void **state)
{
	(void)state;
	int fd, peer;
	char buf[8];
	accept_pair(&fd, &peer);
	send_all(peer, "xyz", 3);
	close(peer);
	assert_int_equal(read(fd, buf, 1), 1);
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLPRI };
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_int_equal(p.revents, POLLIN);
	/* With another socket the kernel is asked, and its POLLHUP held back. */
	int idle, idle_peer;
	accept_pair(&idle, &idle_peer);
	struct pollfd two[] = { { .fd = fd, .events = POLLIN | POLLPRI }, { .fd = idle, .events = POLLIN } };
	assert_int_equal(poll(two, 2, 0), 1);
	assert_int_equal(two[0].revents, POLLIN);
	assert_int_equal(two[1].revents, 0);
	close(idle);
	close(idle_peer);
	assert_int_equal(read(fd, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "yz", 2);
	assert_int_equal(read(fd, buf, sizeof(buf)), 0);
	p.revents = 0;
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_true((p.revents & POLLHUP) != 0);
	close(fd);
}

static void test_close_forgets_the_bytes(void **state)
{
	(void)state;
	int fd, peer, pipefd[2];
	char buf[8];
	accept_pair(&fd, &peer);
	assert_int_equal(pipe(pipefd), 0);
	send_all(peer, "stale!", 6);
	assert_int_equal(read(fd, buf, 1), 1);
	assert_int_equal(readahead_pending(fd), 5);
	close(fd);
	/* The number comes back as a pipe's read end: none of the stale bytes. */
	assert_int_equal(dup2(pipefd[0], fd), fd);
	assert_int_equal(readahead_pending(fd), 0);
	send_all(pipefd[1], "new", 3);
	assert_int_equal(read(fd, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "new", 3);
	close(fd);
	close(pipefd[0]);
	close(pipefd[1]);
	close(peer);
}

/* A number closed behind the file's back and accepted again starts empty. */
static void test_accept_forgets_a_number_closed_elsewhere(void **state)
{
	(void)state;
	int fd, peer, again, again_peer;
	char buf[8];
	accept_pair(&fd, &peer);
	send_all(peer, "stale!", 6);
	assert_int_equal(read(fd, buf, 1), 1);
	assert_int_equal(readahead_pending(fd), 5);
	assert_int_equal(syscall(SYS_close, fd), 0);	/* not through close() */
	close(peer);
	accept_pair(&again, &again_peer);
	assert_int_equal(again, fd);
	assert_int_equal(readahead_pending(again), 0);
	send_all(again_peer, "new", 3);
	assert_int_equal(read(again, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "new", 3);
	close(again);
	close(again_peer);
}

/* With quickack on, each read from a TCP socket's kernel asks for ACKs at once. */
static void test_quickack_after_each_read_on_tcp(void **state)
{
	(void)state;
	int fd, peer;
	char buf[8];
	accept_pair_tcp(&fd, &peer);
	readahead_quickack(false);
	delay_acks(fd);
	send_all(peer, "ab", 2);
	assert_int_equal(read(fd, buf, sizeof(buf)), 2);
	assert_int_equal(quick(fd), 0);

	readahead_quickack(true);
	delay_acks(fd);
	send_all(peer, "cdef", 4);
	assert_int_equal(read(fd, buf, 1), 1);
	assert_int_equal(quick(fd), 1);
	/* From the buffer: nothing came from the kernel, nothing to ACK. */
	delay_acks(fd);
	assert_int_equal(read(fd, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "def", 3);
	assert_int_equal(quick(fd), 0);
	send_all(peer, "g", 1);
	assert_int_equal(read(fd, buf, sizeof(buf)), 1);
	assert_int_equal(quick(fd), 1);
	readahead_quickack(false);
	close(fd);
	close(peer);
}

static void test_other_sockets_are_left_alone(void **state)
{
	(void)state;
	int sv[2];
	char buf[8];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	send_all(sv[1], "abcdef", 6);
	assert_int_equal(read(sv[0], buf, 2), 2);
	assert_int_equal(readahead_pending(sv[0]), 0);
	assert_int_equal(in_kernel(sv[0]), 4);
	close(sv[0]);
	close(sv[1]);
}

/* A body chunk larger than the buffer arrives whole and in order. */
static void test_large_packets_arrive_whole(void **state)
{
	(void)state;
	enum { BODY = 3 * READAHEAD_BYTES + 123 };
	static unsigned char sent[BODY], got[BODY];
	int fd, peer;
	for (size_t i = 0; i < BODY; i++)
		sent[i] = (unsigned char)(i * 7 + i / 251);
	accept_pair(&fd, &peer);
	/* Larger than the socket's buffer may hold at once: send it in turns. */
	size_t off = 0;
	char hdr[5];
	send_all(peer, sent, 4096);
	assert_int_equal(read(fd, hdr, 5), 5);
	assert_memory_equal(hdr, sent, 5);
	off = 5;
	size_t put = 4096;
	while (off < BODY) {
		if (put < BODY) {
			size_t n = BODY - put < 8192 ? BODY - put : 8192;
			send_all(peer, sent + put, n);
			put += n;
		}
		ssize_t r = read(fd, got + off, BODY - off);
		assert_true(r > 0);
		off += (size_t)r;
	}
	assert_memory_equal(got + 5, sent + 5, BODY - 5);
	assert_int_equal(readahead_pending(fd), 0);
	close(fd);
	close(peer);
}

int main(void)
{
	/* A poll that went to the kernel where it should not would never return. */
	alarm(60);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_changes_before_enable),
		cmocka_unit_test(test_check_accepts_this_libmilter),
		cmocka_unit_test(test_check_refuses_other_reads),
		cmocka_unit_test(test_one_read_serves_the_next),
		cmocka_unit_test(test_poll_sees_buffered_bytes),
		cmocka_unit_test(test_hangup_waits_behind_the_bytes),
		cmocka_unit_test(test_close_forgets_the_bytes),
		cmocka_unit_test(test_accept_forgets_a_number_closed_elsewhere),
		cmocka_unit_test(test_quickack_after_each_read_on_tcp),
		cmocka_unit_test(test_other_sockets_are_left_alone),
		cmocka_unit_test(test_large_packets_arrive_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
