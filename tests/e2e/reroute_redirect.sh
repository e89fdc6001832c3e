#!/bin/bash
#
# tests/e2e/reroute_redirect.sh - a redirect of protected mail (a mail
# server's rule passing the customer's message on, envelope sender and
# all) with the sample configuration: rerouted to support+fwdguard@,
# nothing reaches the outside firm, no bounce reaches the customer, the
# mailbox gets exactly one notice however many copies follow within the
# dedupe window.  The rerouted copy sent out again is held, not rerouted
# a second time (no loop); a forged mark changes nothing; the mailbox's
# own forward (sender support@) still gets the 550.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_reroute.sh"

reroute_world

redirect() {	# FILE MESSAGE_ID [HEADER...]
	local file=$1 id=$2
	shift 2
	make_message "$file" "Received: from mx.example.net by mail.corp.example for <support@corp.example>" \
	    "Delivered-To: support@corp.example" "From: Customer <customer@example.net>" \
	    "To: support@corp.example" "Subject: my parcel" "Message-ID: <$id>" "$@"
}

# --- the redirect --------------------------------------------------------------
redirect "$FG_WORK/r1.eml" r1@example.net
send_smtp "$MTA_PORT" customer@example.net partner@fti.example "$FG_WORK/r1.eml"
check "redirect: accepted (250), not refused" expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "the rerouted copy at the sink" sink_rcpt_is support+fwdguard@corp.example 1
wait_delivered mta
reroute_checks redirect r1@example.net

# --- the notice: one, however many copies -----------------------------------
redirect "$FG_WORK/r2.eml" r2@example.net
send_smtp "$MTA_PORT" customer@example.net partner@fti.example "$FG_WORK/r2.eml"
wait_for 15 "the second rerouted copy" sink_rcpt_is support+fwdguard@corp.example 2
relay_once
check "relay --once exits 0" expect_eq 0 "$?"
wait_for 15 "the notice at the sink" notices_are 1
relay_once
sleep 1
check "the mailbox got exactly one notice for two copies" expect_eq 1 "$(notices)"
n=$(sink_grep '^Subject: Mail of support@corp.example to partner@fti.example' | head -n 1)
body=$(cat "${n:-/nonexistent}" 2>/dev/null)
check "notice: says where the mail went instead" \
    expect_match 'delivered to support\+fwdguard@corp\.example instead' "$body"
check "notice: names the route from the signals" \
    expect_match 'Route: +a redirect: the message was passed on unchanged' "$body"
check "notice: gives the reference id of a decision" \
    expect_match "Reference: +$(audit_field "$(audit_find recipient=partner@fti.example | head -n 1)" id)" "$body"
check "notice: names the contact" expect_match 'write to security@corp\.example' "$body"
check "the security team got its alert too" wait_for 10 "alert" sink_has_rcpt security@corp.example

# --- the rerouted copy sent out again: held, not rerouted twice ----------------
sink_message r1@example.net "$FG_WORK/loop.eml"
send_sendmail mta customer@example.net "$FG_WORK/loop.eml" partner@fti.example
check "loop: submission accepted" expect_eq 0 "$?"
wait_for 15 "the looping copy held" held_is mta 1
check "loop: the second trip is held" expect_eq 1 "$(held_count mta)"
check "loop: no third copy to support+fwdguard@" \
    expect_eq 2 "$(sink_rcpt_count support+fwdguard@corp.example)"
check "loop: nothing reached the outside firm" \
    expect_eq 0 "$(sink_rcpt_count partner@fti.example)"
rec=$(audit_find recipient=partner@fti.example | tail -n 1)
check "loop: the record says it was not rerouted twice" \
    expect_match 'not rerouted twice' "$(audit_field "$rec" reason)"

# --- a forged mark does not stop the reroute -----------------------------------
redirect "$FG_WORK/r3.eml" r3@example.net \
    "X-Fwdguard-Rerouted: to=support+fwdguard@corp.example; id=01JZZZZZZZZZZZZZZZZZZZZZZZ; sig=0123456789abcdef0123456789abcdef"
send_smtp "$MTA_PORT" customer@example.net partner@fti.example "$FG_WORK/r3.eml"
check "forged mark: accepted" expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "the third rerouted copy" sink_rcpt_is support+fwdguard@corp.example 3
check "forged mark: rerouted like any other" \
    expect_eq 3 "$(sink_rcpt_count support+fwdguard@corp.example)"
check "forged mark: not held" expect_eq 1 "$(held_count mta)"

# --- the mailbox's own forward keeps the 550 -----------------------------------
make_message "$FG_WORK/own.eml" "Delivered-To: support@corp.example" \
    "From: Support <support@corp.example>" "To: partner@fti.example" "Subject: Fwd: my parcel"
send_smtp "$MTA_PORT" support@corp.example partner@fti.example "$FG_WORK/own.eml"
check "own forward: refused with 550 5.7.1" expect_match '^550 5\.7\.1 ' "$SMTP_REPLY"
check "own forward: nothing reached the outside firm" \
    expect_eq 0 "$(sink_rcpt_count partner@fti.example)"

fg_summary
