/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * readahead.h - reading ahead on libmilter's session sockets
 * (milter/common/readahead.c).
 *
 * The file defines read(2), poll(2), accept(2) and close(2) for the whole
 * program, so that libmilter's calls come to it: link it only into a
 * milter's executable (fwdguard, tests/bench/nullmilter), never into a
 * library.  Until readahead_enable() they only pass the call on.
 */
#ifndef FWDGUARD_READAHEAD_H
#define FWDGUARD_READAHEAD_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes read ahead at most per session: a few dozen of Postfix's packets. */
#define READAHEAD_BYTES	16384

/* Sockets with a number at or above this are read as they come. */
#define READAHEAD_MAX_FD	65536

/*
 * From now on, every socket accept(2) returns is read ahead until it is
 * closed, once readahead_check() found that safe.  Call before the
 * milter's threads start.  0, or -1 with why (a sentence) filled in: the
 * program then runs on without reading ahead.
 */
int readahead_enable(char *why, size_t len);

/*
 * On: a TCP socket read ahead acknowledges what it read at once, so that
 * a packet the MTA expects no reply to does not hold its next one back
 * for a delayed ACK.  For milters that leave steps unanswered on TCP.
 */
void readahead_quickack(bool on);

/* Bytes read from fd's socket that no caller has taken yet. */
size_t readahead_pending(int fd);

/*
 * Whether reading ahead is safe for the libmilter of this process
 * (milter/common/readahead_check.c): this program's read, poll, accept
 * and close are the ones libraries call, and the shared libmilter calls
 * them and no other way to read, wait on or close a socket.  0, or -1
 * with why filled in.
 */
int readahead_check(char *why, size_t len);

/* readahead_check()'s look at one loaded object (a part of its file name). */
int readahead_check_object(const char *object, char *why, size_t len);

/* 1 when the loaded object imports symbol, 0 when not, -1 when no such object is loaded. */
int readahead_imports(const char *object, const char *symbol);

#endif
