#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# (f) With action strip, a forwarded copy sent to a colleague and to an
# outside consultant in one transaction is delivered to the colleague only.
. "$(dirname "$0")/lib.sh"

fg_world enforce strip

msg="$FG_WORK/strip.eml"
make_message "$msg" \
    "Delivered-To: support@corp.example" \
    "From: Customer <customer@example.net>" \
    "To: support@corp.example" \
    "Subject: refund"
send_smtp "$MTA_PORT" customer@example.net colleague@corp.example,consultant@fti.example "$msg"
check "smtp: accepted with 250" expect_match '^250 ' "$SMTP_REPLY"

wait_delivered mta
audit_wait 1 10
check "sink: the colleague got it" expect_eq 1 "$(sink_rcpt_count colleague@corp.example)"
check "sink: the consultant got nothing" expect_eq 0 "$(sink_rcpt_count consultant@fti.example)"
rec=$(audit_find recipient=consultant@fti.example | head -n 1)
check "audit: action=strip for the consultant" expect_eq strip "$(audit_field "$rec" action)"
check "audit: rule=forwarded-copy" expect_eq forwarded-copy "$(audit_field "$rec" rule)"
rec=$(audit_find recipient=colleague@corp.example | head -n 1)
check "audit: the colleague's copy has its record" test -n "$rec"
check "audit: the colleague's copy is internal" \
    expect_eq internal "$(audit_field "$rec" destination)"
check "audit: the colleague's copy is accepted" \
    expect_eq accept "$(audit_field "$rec" action)"

fg_summary
