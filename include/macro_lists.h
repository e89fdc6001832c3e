/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * macro_lists.h - the macros fwdguard asks the MTA for, step by step
 * (milter/macro_lists.c); the do-nothing milter of tests/bench asks for
 * the same, so that the baseline moves the same packets.
 *
 * The client's address, the daemon's name and the authenticated user come
 * with MAIL FROM, the recipient's mailer and host with RCPT TO, the queue
 * id at end of message (milter/callbacks.c reads them there); the queue id
 * is asked for with MAIL FROM too, where libmilter finds it when an MTA
 * sends none at end of message.  Every other step gets an empty list:
 *
 * - Sendmail writes no macro packet at all for a step whose list is empty,
 *   where its own default list (HELO's TLS macros, say) has it write one
 *   even when no macro in it has a value: none now travels alone,
 *   unanswered, at connect, HELO or DATA (on TCP such a packet can hold
 *   the next one back until it is acknowledged).  The end-of-headers list
 *   matters to Sendmail for another reason: it sends no end-of-headers
 *   macros once that step is negotiated away, but it takes fwdguard's
 *   end-of-message list only when an end-of-headers list was given too,
 *   and its own otherwise ({msg_id} by default).
 * - Postfix (3.7) reads an empty list as "use main.cf's milter_*_macros"
 *   and sends a macro packet for every step whatever the list, in the same
 *   write as the packet after it when the step is negotiated away: at
 *   connect, main.cf's milter_connect_macros instead of one name, no
 *   packet more.
 */
#ifndef FWDGUARD_MACRO_LISTS_H
#define FWDGUARD_MACRO_LISTS_H

#include <libmilter/mfapi.h>

/*
 * Gives the MTA every step's list, from the negotiate callback of an MTA
 * that offered SMFIF_SETSYMLIST.  0, or -1 when libmilter could not record
 * one (out of memory, or lists given twice): the MTA then uses its own
 * lists for the steps not recorded yet, and the caller keeps the connect
 * step.
 */
int macro_lists_ask(SMFICTX *ctx);

#endif
