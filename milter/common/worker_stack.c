/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * worker_stack.c - a smaller default stack for threads, libmilter's
 * workers above all.
 *
 * libmilter's pool starts a worker when a session has a command and none
 * is idle, and a worker ends when more than one is idle: under load, about
 * one thread is started and ended per message.  Each gets glibc's default
 * stack, RLIMIT_STACK (8 MiB on Debian), and glibc keeps at most 40 MiB of
 * ended threads' stacks for reuse: five.  The others are unmapped and new
 * ones mapped, and on a virtual machine each unmap is a TLB shootdown sent
 * to every CPU; the munmaps, the page faults of fresh stacks and the
 * thread starts were a quarter of fwdguard's and of the do-nothing
 * milter's CPU time in tests/bench (tests/bench/RESULTS.md).  With 1 MiB
 * stacks forty are kept, more than the workers a busy Postfix keeps busy.
 */
#include <pthread.h>

#include "worker_stack.h"

int worker_stack_cap(size_t bytes)
{
	pthread_attr_t attr;
	size_t size;
	int rc = pthread_getattr_default_np(&attr);
	if (rc != 0)
		return rc;
	rc = pthread_attr_getstacksize(&attr, &size);
	if (rc == 0 && size > bytes) {
		rc = pthread_attr_setstacksize(&attr, bytes);
		if (rc == 0)
			rc = pthread_setattr_default_np(&attr);
	}
	pthread_attr_destroy(&attr);
	return rc;
}
