/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spool_recent.c - the newest lines of the journal, kept in memory for the
 * shipper.
 *
 * A direct write (spool_direct.c) leaves nothing in the page cache: the
 * kernel drops the pages it covers.  The daemon's shipper reads the lines
 * up to a linger (audit.c, 200 ms) after they were written, so each of
 * its rounds would read them back from the disk.  The writer therefore
 * copies what it wrote directly into a window of the last SPOOL_RECENT
 * bytes of the journal, and the reader of the same process copies from
 * there what the window still holds.  A reader behind the window (a backlog after a Redis
 * outage), or in another process, reads the file as before.
 *
 * The window is one contiguous range [recent_lo, recent_hi) of journal
 * recent_seq, held in a ring indexed by file offset; the writer adds a
 * batch only once it is durable, though before publishing the new
 * durable end (spool_lead): what keeps the reader from the bytes past
 * that end is its own limit (spool_read_line never asks beyond lim_off),
 * as for the file.  Both sides copy under the spool's mutex.
 */
#include <stdlib.h>
#include <string.h>

#include "spool.h"
#include "spool_int.h"

/* The ring holds file offset off at off % SPOOL_RECENT. */
static void spool_ring_put(char *ring, off_t off, const char *src, size_t len)
{
	size_t at = (size_t)(off % SPOOL_RECENT);
	size_t first = len < SPOOL_RECENT - at ? len : SPOOL_RECENT - at;

	memcpy(ring + at, src, first);
	memcpy(ring, src + first, len - first);
}

static void spool_ring_get(const char *ring, off_t off, char *dst, size_t len)
{
	size_t at = (size_t)(off % SPOOL_RECENT);
	size_t first = len < SPOOL_RECENT - at ? len : SPOOL_RECENT - at;

	memcpy(dst, ring + at, first);
	memcpy(dst + first, ring, len - first);
}

void spool_recent_add(struct spool *s, uint64_t seq, off_t off, const char *buf, size_t len)
{
	pthread_mutex_lock(&s->mu);
	if (s->recent == NULL && (s->recent = malloc(SPOOL_RECENT)) == NULL) {
		pthread_mutex_unlock(&s->mu);
		return;		/* the reader reads the file */
	}
	if (seq != s->recent_seq || off != s->recent_hi) {
		/* Another journal, or a gap: the window starts over here. */
		s->recent_seq = seq;
		s->recent_lo = s->recent_hi = off;
	}
	if (len > SPOOL_RECENT) {
		buf += len - SPOOL_RECENT;
		off += (off_t)(len - SPOOL_RECENT);
		len = SPOOL_RECENT;
	}
	spool_ring_put(s->recent, off, buf, len);
	s->recent_hi = off + (off_t)len;
	if (s->recent_hi - s->recent_lo > (off_t)SPOOL_RECENT)
		s->recent_lo = s->recent_hi - (off_t)SPOOL_RECENT;
	pthread_mutex_unlock(&s->mu);
}

ssize_t spool_recent_read(struct spool *s, uint64_t seq, char *dst, size_t want, off_t from)
{
	ssize_t got = -1;

	pthread_mutex_lock(&s->mu);
	if (s->recent != NULL && seq == s->recent_seq && from >= s->recent_lo &&
	    from < s->recent_hi) {
		size_t n = (size_t)(s->recent_hi - from);
		if (n > want)
			n = want;
		spool_ring_get(s->recent, from, dst, n);
		got = (ssize_t)n;
	}
	pthread_mutex_unlock(&s->mu);
	return got;
}
