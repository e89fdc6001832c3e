/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * worker_stack.h - the stack size of threads started with default
 * attributes, libmilter's workers among them (milter/common/worker_stack.c).
 */
#ifndef FWDGUARD_WORKER_STACK_H
#define FWDGUARD_WORKER_STACK_H

#include <stddef.h>

/* What fwdguard's threads get: many times the deepest callback's need. */
#define WORKER_STACK_BYTES	((size_t)1 << 20)

/*
 * Lowers the default stack size of threads started from now on to bytes
 * when it is larger (it is never raised: a smaller RLIMIT_STACK stays).
 * Call before any thread starts.  0, or an errno value.
 */
int worker_stack_cap(size_t bytes);

#endif
