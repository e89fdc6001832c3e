/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * grow.h - room for one more element at the end of a heap array: the
 * capacity doubles (from first), so n appends cost O(n) in all.  Header
 * only and libc only, like buf.h, so the pure policy code may use it too.
 */
#ifndef FWDGUARD_GROW_H
#define FWDGUARD_GROW_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * items holds n elements of size bytes in room for *cap.  Returns items
 * when there is room for one more, else the array reallocated with *cap
 * raised; NULL with errno ENOMEM when that fails (items and *cap are then
 * unchanged and still owned by the caller).
 */
static inline void *
grow_one(void *items, size_t n, size_t *cap, size_t size, size_t first)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return items;
	ncap = *cap > 0 ? *cap * 2 : first;
	if (ncap < *cap || ncap > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	if ((p = realloc(items, ncap * size)) != NULL)
		*cap = ncap;
	return p;
}

#endif
