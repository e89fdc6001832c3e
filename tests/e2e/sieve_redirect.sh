#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# (b) A Sieve "redirect" of support@'s mail, submitted through
# /usr/sbin/sendmail (the non_smtpd_milters path): the redirected copy never
# reaches the outside recipient and the decision is on record.
. "$(dirname "$0")/lib.sh"

fg_world enforce reject

msg="$FG_WORK/sieve.eml"
make_message "$msg" \
    "X-Sieve-Redirected-From: support@corp.example" \
    "From: Customer <customer@example.net>" \
    "To: support@corp.example" \
    "Subject: where is my parcel"
send_sendmail mta customer@example.net "$msg" partner@fti.example
check "sendmail: submission accepted by postdrop" expect_eq 0 "$?"

audit_wait 1 10
wait_delivered mta
rec=$(audit_find recipient=partner@fti.example | head -n 1)
check "audit: record for the redirect target" test -n "$rec"
check "audit: action=reject" expect_eq reject "$(audit_field "$rec" action)"
check "audit: rule=forwarded-copy" expect_eq forwarded-copy "$(audit_field "$rec" rule)"
check "audit: signals has sieve-redirect" \
    list_has "$(audit_field "$rec" signals)" sieve-redirect
check "audit: mailbox is support@" \
    expect_eq support@corp.example "$(audit_field "$rec" mailbox)"
# Postfix names a local submission's client localhost, with MAIL FROM.
check "audit: client is localhost's address" \
    expect_match '^(127\.0\.0\.1|::1)$' "$(audit_field "$rec" client)"
check "audit: daemon is Postfix's milter_macro_daemon_name" \
    expect_eq "$(postconf -c "${PF_DIR[mta]}" -xh milter_macro_daemon_name)" \
    "$(audit_field "$rec" daemon)"
check "maillog: cleanup rejected it through the milter" \
    maillog_has mta 'milter-reject: END-OF-MESSAGE'
check "sink: the redirect target got nothing" \
    expect_eq 0 "$(sink_rcpt_count partner@fti.example)"
check "queue: nothing left queued" queue_empty mta

fg_summary
