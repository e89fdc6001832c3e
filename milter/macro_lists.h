/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * macro_lists.h - the macros fwdguard asks the MTA for, step by step.
 *
 * Each is asked for at the step that reads it (callbacks.c): the client's
 * address and the daemon's name with MAIL FROM, the recipient's mailer and
 * host with RCPT TO, the queue id with MAIL FROM and at end of message.
 * Every other step gets an empty list, because an MTA sends a step's
 * macros even when the step itself was negotiated away: Sendmail writes no
 * packet at all for an empty list, so none travels alone, unanswered, at
 * connect, HELO, DATA or end of headers (on TCP such a packet can hold the
 * next one back until it is acknowledged).  Postfix reads an empty list as
 * "use main.cf's milter_*_macros" (its milter.c) and sends a packet for
 * every step whatever the list, in the same write as the packet after it
 * when the step is negotiated away: a few bytes more at connect than with
 * a one-name list, no packet more.  The do-nothing milter of
 * tests/bench asks for the same, so that the baseline moves the same
 * packets.
 */
#ifndef FWDGUARD_MACRO_LISTS_H
#define FWDGUARD_MACRO_LISTS_H

#include <stdbool.h>

#include <libmilter/mfapi.h>

/*
 * Gives the MTA every step's list, from the negotiate callback.  True when
 * it took them all; false when one was refused (the MTA then sends its own
 * defaults, and the caller must keep the steps that read those).
 */
bool macro_lists_ask(SMFICTX *ctx);

#endif
