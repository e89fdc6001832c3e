#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# (g) Global monitor mode: the forward is decided and recorded as a reject
# with mode=monitor, and delivered untouched.
. "$(dirname "$0")/lib.sh"

fg_world monitor reject

msg="$FG_WORK/monitor.eml"
make_message "$msg" \
    "Delivered-To: support@corp.example" \
    "From: Customer <customer@example.net>" \
    "To: support@corp.example" \
    "Subject: invoice"
send_smtp "$MTA_PORT" customer@example.net consultant@fti.example "$msg"
check "smtp: accepted with 250" expect_match '^250 ' "$SMTP_REPLY"

wait_delivered mta
audit_wait 1 10
check "sink: the forward was delivered" expect_eq 1 "$(sink_rcpt_count consultant@fti.example)"
check "sink: delivered untouched (no X-Fwdguard header)" \
    expect_eq "" "$(sink_grep '^X-Fwdguard:')"
rec=$(audit_find recipient=consultant@fti.example | head -n 1)
check "audit: mode=monitor" expect_eq monitor "$(audit_field "$rec" mode)"
check "audit: action=reject (as decided)" expect_eq reject "$(audit_field "$rec" action)"
check "audit: rule=forwarded-copy" expect_eq forwarded-copy "$(audit_field "$rec" rule)"

fg_summary
