/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * callbacks.h - the libmilter callback table.  The callbacks are thin: they
 * gather facts into struct conn (message.h) and leave deciding and acting
 * to act.c.
 */
#ifndef FWDGUARD_CALLBACKS_H
#define FWDGUARD_CALLBACKS_H

#include <libmilter/mfapi.h>

/* The filter description to hand to smfi_register(). */
struct smfiDesc *callbacks_filter(void);

#endif
