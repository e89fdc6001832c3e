/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ids.c - decision ids in the ULID layout: 48 bits of milliseconds then 80
 * bits that are random per process and incremented per id, so ids from one
 * process never collide and ids from different hosts almost surely don't.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "ids.h"

static const char ids_alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static pthread_mutex_t ids_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t ids_rand_hi;		/* 16 bits used */
static uint64_t ids_rand_lo;		/* 64 bits */
static int ids_seeded;

static void
ids_seed(void)
{
	uint64_t r[2] = { 0, 0 };

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		struct timespec ts;

		/* No entropy: still unique per process through pid and time. */
		clock_gettime(CLOCK_REALTIME, &ts);
		r[0] = (uint64_t)ts.tv_nsec * 2654435761u ^ (uint64_t)getpid() << 32;
		r[1] = (uint64_t)ts.tv_sec ^ (uint64_t)getpid();
	}
	ids_rand_hi = r[0] & 0xffff;
	ids_rand_lo = r[1];
	ids_seeded = 1;
}

void
ids_new(char out[IDS_LEN + 1])
{
	struct timespec ts;
	uint64_t ms, hi, lo;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;

	pthread_mutex_lock(&ids_lock);
	if (!ids_seeded)
		ids_seed();
	if (++ids_rand_lo == 0)
		ids_rand_hi = (ids_rand_hi + 1) & 0xffff;
	hi = ids_rand_hi;
	lo = ids_rand_lo;
	pthread_mutex_unlock(&ids_lock);

	/* 10 characters of time (50 bits, top 2 zero), 16 of randomness (80 bits). */
	for (i = 9; i >= 0; i--) {
		out[i] = ids_alphabet[ms & 31];
		ms >>= 5;
	}
	for (i = 25; i >= 10; i--) {
		out[i] = ids_alphabet[lo & 31];
		lo = (lo >> 5) | ((hi & 31) << 59);
		hi >>= 5;
	}
	out[IDS_LEN] = '\0';
}
