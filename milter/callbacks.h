/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * callbacks.h - the libmilter callback table.  The callbacks are thin: they
 * gather facts into struct conn (message.h) and leave deciding and acting
 * to act_end.c.
 */
#ifndef FWDGUARD_CALLBACKS_H
#define FWDGUARD_CALLBACKS_H

#include <libmilter/mfapi.h>
#include <stdbool.h>

#include "act.h"

/*
 * The services every message's end uses (copied): set once, before
 * smfi_main() starts the workers that read it.
 */
void callbacks_set_env(const struct act_env *env);

/*
 * On: the MTA's TCP connections are read ahead and acknowledged at once
 * (milter/common/readahead.c), so milter.no_reply: auto lets the steps of
 * a message go unanswered on TCP as on unix sockets.  Set once, before
 * smfi_main() starts the workers; off by default.
 */
void callbacks_quick_acks(bool on);

/* The filter description to hand to smfi_register(). */
struct smfiDesc *callbacks_filter(void);

#endif
