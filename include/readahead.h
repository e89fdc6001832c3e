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

#include <stddef.h>

/* Bytes read ahead at most per session: a few dozen of Postfix's packets. */
#define READAHEAD_BYTES	16384

/* Sockets with a number at or above this are read as they come. */
#define READAHEAD_MAX_FD	65536

/*
 * From now on, every socket accept(2) returns is read ahead until it is
 * closed.  Call before the milter's threads start.  0, or -1 with errno
 * (out of memory: the program runs on without reading ahead).
 */
int readahead_enable(void);

/* Bytes read from fd's socket that no caller has taken yet. */
size_t readahead_pending(int fd);

#endif
