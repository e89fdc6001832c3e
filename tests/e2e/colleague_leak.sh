#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/colleague_leak.sh - the founding story's discovery, made a
# method: a colleague writes to support@, whose mail a Postfix local alias
# forwards to consultant@fti.example (local(8) resubmits with milters off:
# fwdguard cannot see that forward).  The firm's out-of-office comes back to
# the colleague referencing her message; the daemon raises leak-backscatter
# and the alerts relay mails ONE alert to security@corp.example naming the
# mailbox and fti.example.  A customer's auto-reply to the mailbox's own
# answer, in the same run, raises nothing.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_leak.sh"

[ -x "$BUILD/fwdguard-audit" ] ||
    { echo "not ok - missing $BUILD/fwdguard-audit (build first)"; echo "# 0 passed, 1 failed"; exit 1; }
leak_world

# --- a colleague writes to the mailbox; the alias forwards it unseen -----------
mid="colleague-$(date +%s%N)@corp.example"
msg="$FG_WORK/colleague.eml"
make_message "$msg" "From: Colleague <colleague@corp.example>" \
    "To: support@corp.example" "Subject: customer 4711 called again" "Message-ID: <$mid>"
send_smtp "$MTA_PORT" colleague@corp.example support@corp.example "$msg"
check "the colleague's message is accepted" expect_match '^250 ' "$SMTP_REPLY"
wait_for 20 "the forwarded copy at the outside firm" sink_has_rcpt consultant@fti.example
check "the alias forwarded it unseen (fwdguard never saw that transaction)" \
    sink_has_rcpt consultant@fti.example
corr_ok() { [ "$(rcli_raw HGET "fwdguard:msg:$mid" mailbox)" = support@corp.example ]; }
wait_for 10 "the correlation record" corr_ok
check "correlation record: received by support@" corr_ok

# --- someone outside reuses that Message-ID, copying the firm ------------------
# The first record of a Message-ID wins: a later message with the same id
# cannot make fti.example look like a party to the colleague's message.
make_message "$FG_WORK/reuse.eml" "From: Consultant <consultant@fti.example>" \
    "To: support@corp.example" "Cc: consultant@fti.example" "Subject: hello" \
    "Message-ID: <$mid>"
send_smtp "$MTA_PORT" consultant@fti.example support@corp.example "$FG_WORK/reuse.eml"
# Its decision and correlation records are shipped together, in order.
wait_for 10 "the reused id's decision in Redis" audit_has sender=consultant@fti.example
sleep 0.5
check "correlation record: a reused Message-ID does not rewrite its parties" \
    fg_not expect_match 'fti\.example' "$(rcli_raw HGET "fwdguard:msg:$mid" rcpt_domains)"

# --- support@ answers a customer; the customer's auto-reply comes back ---------
ans="answer-$(date +%s%N)@corp.example"
make_message "$FG_WORK/answer.eml" "From: support@corp.example" "To: jane@example.net" \
    "Subject: Re: my account" "Message-ID: <$ans>"
send_smtp "$MTA_PORT" support@corp.example jane@example.net "$FG_WORK/answer.eml"
make_message "$FG_WORK/cust-ooo.eml" "From: Jane <jane@example.net>" \
    "To: support@corp.example" "Subject: Automatic reply: Re: my account" \
    "Auto-Submitted: auto-replied" "In-Reply-To: <$ans>"
send_smtp "$MTA_PORT" "<>" support@corp.example "$FG_WORK/cust-ooo.eml"
check "the customer's auto-reply is accepted" expect_match '^250 ' "$SMTP_REPLY"

# --- the firm's out-of-office comes back to the colleague ----------------------
ooo="$FG_WORK/ooo.eml"
make_message "$ooo" "From: Consultant <consultant@fti.example>" \
    "To: colleague@corp.example" "Subject: Out of Office: customer 4711 called again" \
    "Auto-Submitted: auto-replied" "In-Reply-To: <$mid>" "References: <$mid>"
send_smtp "$MTA_PORT" "<>" colleague@corp.example "$ooo"
check "the out-of-office is accepted (a leak is reported, not bounced)" \
    expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "an alert record" alerts_atleast 1
alerts=$(rcli_raw XRANGE fwdguard:alerts - +)
check "the daemon raised leak-backscatter" \
    expect_match '(^|,)leak-backscatter(,|$)' "$alerts"
check "exactly one alert: the customer's auto-reply raised nothing" \
    expect_eq 1 "$(rcli_raw XLEN fwdguard:alerts)"
rec=$(audit_find signals=leak-backscatter | tail -n 1)
check "audit: the leak names the original message" \
    expect_eq "$mid" "$(audit_field "$rec" original_message_id)"
check "audit: mailbox support@, target fti.example" \
    expect_eq "support@corp.example fti.example" \
    "$(audit_field "$rec" mailbox) $(audit_field "$rec" target)"

# --- the relay tells the security team ----------------------------------------
"$AUDIT" -c "$CONF" alerts --once >"$FG_WORK/relay.log" 2>&1
check "relay --once exits 0" expect_eq 0 "$?"
FG_LOGS+=("$FG_WORK/relay.log")
security_one() { [ "$(sink_rcpt_count security@corp.example)" -eq 1 ]; }
wait_for 20 "the alert mail at the sink" security_one
check "ONE alert mail to security@corp.example" \
    expect_eq 1 "$(sink_rcpt_count security@corp.example)"
alert=$(sink_grep '^Subject: \[fwdguard\]' | head -n 1)
body=$(cat "$alert" 2>/dev/null)
check "the alert names the mailbox and fti.example" \
    expect_match '^Subject: \[fwdguard\] CRITICAL: support@corp\.example mail is reaching fti\.example' "$body"
check "nothing pending in the relay group" \
    expect_eq 0 "$(rcli_raw XPENDING fwdguard:alerts relay | head -n 1)"
check "fwdguard still running" fwdguard_alive

fg_summary
