/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * alert_sendmail.h - mail submitted through the configured sendmail command
 * (milter/audit-tool/alerts/alert_sendmail.c), for the alert relay, the
 * mailbox notices and the probes.
 */
#ifndef FWDGUARD_ALERT_SENDMAIL_H
#define FWDGUARD_ALERT_SENDMAIL_H

#include <stddef.h>

/*
 * Submits msg (a whole message, LF line ends) through command (alerts.mail.
 * sendmail: a path and arguments split at blanks, run without a shell)
 * with "-i -f from -- to..." appended, on its stdin.  0 when it exited 0;
 * -1 with a reason in err.  Bounded: a sendmail running longer than two
 * minutes is killed.
 */
int alert_sendmail_submit(const char *command, const char *from, const char *const *to,
    size_t nto, const char *msg, size_t len, char *err, size_t errsize);

#endif
