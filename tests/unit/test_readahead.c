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
 * The tests run in order: the first one runs before readahead_enable().
 * Where a test asks whether bytes are still in the kernel it uses
 * FIONREAD, which the file leaves alone.
 */
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
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

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
	assert_int_equal(readahead_pending(fd), 0);
	assert_int_equal(in_kernel(fd), 4);
	close(fd);
	close(peer);
}

static void test_one_read_serves_the_next(void **state)
{
	(void)state;
	int fd, peer;
	char buf[64];
	assert_int_equal(readahead_enable(), 0);
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
		cmocka_unit_test(test_one_read_serves_the_next),
		cmocka_unit_test(test_poll_sees_buffered_bytes),
		cmocka_unit_test(test_hangup_waits_behind_the_bytes),
		cmocka_unit_test(test_close_forgets_the_bytes),
		cmocka_unit_test(test_other_sockets_are_left_alone),
		cmocka_unit_test(test_large_packets_arrive_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
