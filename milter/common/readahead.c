/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * readahead.c - one read(2) for many of the MTA's packets.
 *
 * libmilter reads each packet of the milter protocol with four system
 * calls, poll and read for its 5-byte header, poll and read for the rest,
 * and after each command polls once more (1 ms) to see whether the next
 * one is there or the session goes back to its pool's thread.  Postfix
 * sends about twenty packets a message (a macro packet before each
 * command, one packet per header), most of them without waiting for an
 * answer, so they are often all there at once; on a virtual machine where
 * every system call is a switch to the host those hundred calls a message
 * were most of the milter's (tests/bench/RESULTS.md).
 *
 * This file defines read, poll, accept and close for the whole program:
 * the executable's definitions come before libc's for libmilter's calls.
 * Once enabled (and only when readahead_check.c finds the libmilter of
 * the process calling exactly these), a socket accept(2) returns
 * (libmilter's listener is the program's only caller of accept;
 * libmicrohttpd uses accept4) is read ahead: a read that finds nothing
 * buffered asks the kernel for up to READAHEAD_BYTES and hands out what
 * was asked for; the rest serves the next reads.  While bytes are
 * buffered, poll reports the socket readable at once: a poll of that
 * socket alone does not go to the kernel, one with other descriptors asks
 * about those without waiting.  A read is never made to wait longer than
 * it would have: the one real read takes what the socket has.  The stream
 * is the same to the caller, with more short reads; an end of file, or a
 * hang-up reported by poll, comes once the buffered bytes are taken.
 * Every other descriptor, and every call before readahead_enable(), goes
 * straight on.
 *
 * The buffer needs no lock: libmilter's pool hands a session to one
 * thread at a time, under its own mutex (a worker while there is a
 * command to read, its pool's thread while the session waits), and that
 * thread is the one that reads, polls or closes it.  The pool's thread
 * only ever polls, and a session goes back to it only after the worker's
 * last poll found nothing buffered.  The count of buffered bytes is
 * atomic all the same, being the one field poll reads.  close(2) forgets
 * the buffer; accept resets its slot as well, so that a number closed
 * some other way (dup2 onto it, a raw system call) and accepted again
 * starts empty.  Reused by anything but accept, such a number would keep
 * stale bytes: libmilter closes its sessions with close (the check
 * refuses one that imports dup2, dup3 or close_range), and nothing else
 * in the program touches them.
 */
/* Fortified headers define read and poll inline, which this file defines. */
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "readahead.h"

struct readahead_slot {
	atomic_bool marked;	/* a socket from accept, read ahead */
	atomic_size_t pending;	/* len - off, for poll from any thread */
	size_t off, len;	/* the reader's, in data */
	char *data;		/* READAHEAD_BYTES, allocated at the first read */
	bool tcp;		/* TCP: its ACKs may be wanted at once */
};

static struct readahead_slot *slots;	/* READAHEAD_MAX_FD of them once enabled */
static atomic_bool enabled;
static atomic_bool quickack;	/* readahead_quickack() */

static ssize_t (*real_read)(int, void *, size_t);
static int (*real_poll)(struct pollfd *, nfds_t, int);
static int (*real_accept)(int, struct sockaddr *, socklen_t *);
static int (*real_close)(int);
static pthread_once_t resolved = PTHREAD_ONCE_INIT;

static void *readahead_next(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (f == NULL) {
		/* Only a statically linked program gets here: nothing to call on. */
		fprintf(stderr, "readahead: no %s after this program's\n", name);
		abort();
	}
	return f;
}

static void readahead_resolve(void)
{
	real_read = readahead_next("read");
	real_poll = readahead_next("poll");
	real_accept = readahead_next("accept");
	real_close = readahead_next("close");
}

/* fd's slot when fd is a socket read ahead, else NULL. */
static struct readahead_slot *readahead_slot(int fd)
{
	if (!atomic_load_explicit(&enabled, memory_order_acquire) || fd < 0 ||
	    fd >= READAHEAD_MAX_FD)
		return NULL;
	struct readahead_slot *s = &slots[fd];
	return atomic_load_explicit(&s->marked, memory_order_acquire) ? s : NULL;
}

static void readahead_forget(struct readahead_slot *s)
{
	atomic_store_explicit(&s->marked, false, memory_order_release);
	atomic_store_explicit(&s->pending, 0, memory_order_release);
	s->off = s->len = 0;
	free(s->data);
	s->data = NULL;
}

int readahead_enable(char *why, size_t len)
{
	pthread_once(&resolved, readahead_resolve);
	if (atomic_load(&enabled))
		return 0;
	if (readahead_check(why, len) != 0)
		return -1;
	/* calloc's pages stay untouched until a socket of that number comes. */
	slots = calloc(READAHEAD_MAX_FD, sizeof(*slots));
	if (slots == NULL) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	atomic_store_explicit(&enabled, true, memory_order_release);
	return 0;
}

size_t readahead_pending(int fd)
{
	struct readahead_slot *s = readahead_slot(fd);
	return s != NULL ? atomic_load_explicit(&s->pending, memory_order_acquire) : 0;
}

void readahead_quickack(bool on)
{
	atomic_store_explicit(&quickack, on, memory_order_relaxed);
}

/*
 * The kernel's read, for a socket read ahead.  On TCP, with quickack on,
 * what was read is acknowledged at once: Linux delays the ACK of data it
 * got no answer to send with (up to 40 ms), and the MTA's Nagle holds its
 * next small packet until then, after every packet it expects no reply
 * to.  TCP_QUICKACK does not stay set: the kernel drops back to delayed
 * ACKs by itself, so it is set again after each read.
 */
static ssize_t readahead_real_read(const struct readahead_slot *s, int fd, void *buf,
    size_t count)
{
	ssize_t got = real_read(fd, buf, count);
	if (got > 0 && s->tcp && atomic_load_explicit(&quickack, memory_order_relaxed)) {
		int one = 1;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	}
	return got;
}

ssize_t read(int fd, void *buf, size_t count)
{
	pthread_once(&resolved, readahead_resolve);
	struct readahead_slot *s = readahead_slot(fd);
	if (s == NULL || count == 0)
		return real_read(fd, buf, count);
	if (s->off == s->len) {
		/* As large as the buffer: nothing to gain from copying it. */
		if (count >= READAHEAD_BYTES)
			return readahead_real_read(s, fd, buf, count);
		if (s->data == NULL && (s->data = malloc(READAHEAD_BYTES)) == NULL)
			return readahead_real_read(s, fd, buf, count);
		ssize_t got = readahead_real_read(s, fd, s->data, READAHEAD_BYTES);
		if (got <= 0)
			return got;
		s->off = 0;
		s->len = (size_t)got;
	}
	size_t n = s->len - s->off;
	if (n > count)
		n = count;
	memcpy(buf, s->data + s->off, n);
	s->off += n;
	atomic_store_explicit(&s->pending, s->len - s->off, memory_order_release);
	return (ssize_t)n;
}

/* Whether entry p waits to read and its socket has bytes buffered. */
static bool readahead_ready(const struct pollfd *p)
{
	return (p->events & (POLLIN | POLLRDNORM)) != 0 && readahead_pending(p->fd) > 0;
}

int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	pthread_once(&resolved, readahead_resolve);
	nfds_t buffered = 0;
	if (atomic_load_explicit(&enabled, memory_order_acquire))
		for (nfds_t i = 0; i < nfds; i++)
			if (readahead_ready(&fds[i]))
				buffered++;
	if (buffered == 0)
		return real_poll(fds, nfds, timeout);

	/*
	 * Something is readable now: the others are only looked at, not
	 * waited for.  If that look fails (a signal), the buffered ones are
	 * still readable and are reported alone.
	 */
	if (buffered == nfds || real_poll(fds, nfds, 0) < 0)
		for (nfds_t i = 0; i < nfds; i++)
			fds[i].revents = 0;
	int ready = 0;
	for (nfds_t i = 0; i < nfds; i++) {
		/*
		 * The kernel's hang-up or error waits until the buffered
		 * bytes are read, as it would have behind them in the socket.
		 */
		if (readahead_ready(&fds[i]))
			fds[i].revents = fds[i].events & (POLLIN | POLLRDNORM);
		if (fds[i].revents != 0)
			ready++;
	}
	return ready;
}

/* Whether an accepted socket is TCP: its peer's family, as accept gave it or asked. */
static bool readahead_is_tcp(int fd, const struct sockaddr *peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (peer == NULL) {
		if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
			return false;
		peer = (const struct sockaddr *)&ss;
	}
	return peer->sa_family == AF_INET || peer->sa_family == AF_INET6;
}

int accept(int sockfd, struct sockaddr *addr, socklen_t *addrlen)
{
	pthread_once(&resolved, readahead_resolve);
	int fd = real_accept(sockfd, addr, addrlen);
	if (fd >= 0 && fd < READAHEAD_MAX_FD && atomic_load_explicit(&enabled, memory_order_acquire)) {
		readahead_forget(&slots[fd]);
		slots[fd].tcp = readahead_is_tcp(fd, addr);
		atomic_store_explicit(&slots[fd].marked, true, memory_order_release);
	}
	return fd;
}

int close(int fd)
{
	pthread_once(&resolved, readahead_resolve);
	struct readahead_slot *s = readahead_slot(fd);
	if (s != NULL)
		readahead_forget(s);
	return real_close(fd);
}
