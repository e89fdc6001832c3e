#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# (e) A forward of support@'s mail to the approved helpdesk vendor (allow
# list: reason, owner, expiry) is delivered, and the record names the
# exception that allowed it.
. "$(dirname "$0")/lib.sh"

fg_world enforce reject

msg="$FG_WORK/vendor.eml"
make_message "$msg" \
    "Delivered-To: support@corp.example" \
    "From: Customer <customer@example.net>" \
    "To: support@corp.example" \
    "Subject: ticket"
send_smtp "$MTA_PORT" customer@example.net x@helpdesk-vendor.example "$msg"
check "smtp: forward to the vendor accepted" expect_match '^250 ' "$SMTP_REPLY"

wait_delivered mta
audit_wait 1 10
check "sink: the vendor got it" expect_eq 1 "$(sink_rcpt_count x@helpdesk-vendor.example)"
rec=$(audit_find recipient=x@helpdesk-vendor.example | head -n 1)
check "audit: record for the vendor" test -n "$rec"
check "audit: destination=allowed" expect_eq allowed "$(audit_field "$rec" destination)"
check "audit: action=accept" expect_eq accept "$(audit_field "$rec" action)"
check "audit: allow_owner" expect_eq dpo@corp.example "$(audit_field "$rec" allow_owner)"
check "audit: allow_reason" \
    expect_eq "data processing agreement DPA-E2E-1" "$(audit_field "$rec" allow_reason)"
check "audit: allow_expires" expect_match '^2099-12-31' "$(audit_field "$rec" allow_expires)"
check "audit: signals has delivered-to" list_has "$(audit_field "$rec" signals)" delivered-to

fg_summary
