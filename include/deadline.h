/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * deadline.h - the absolute time ms milliseconds from now on a clock, for
 * pthread_cond_timedwait (whose condition variable must use that clock).
 * Header only, libc only.
 */
#ifndef FWDGUARD_DEADLINE_H
#define FWDGUARD_DEADLINE_H

#include <time.h>

static inline struct timespec
deadline_after_ms(clockid_t clock, long ms)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

#endif
