#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/probe_leak.sh - the canary end to end: "fwdguard-audit probe"
# sends a probe to support@, whose mail a Postfix local alias forwards to
# consultant@fti.example (local(8) resubmits with milters off: fwdguard
# cannot see that forward).  The firm's out-of-office comes back referencing
# the probe, the daemon raises leak-probe, and the alerts relay mails ONE
# alert to security@corp.example naming the mailbox and fti.example.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_leak.sh"

[ -x "$BUILD/fwdguard-audit" ] ||
    { echo "not ok - missing $BUILD/fwdguard-audit (build first)"; echo "# 0 passed, 1 failed"; exit 1; }
leak_world

# --- the probe ---------------------------------------------------------------
out=$("$AUDIT" -c "$CONF" probe 2>"$FG_WORK/probe.err")
check "probe exits 0" expect_eq 0 "$?"
FG_LOGS+=("$FG_WORK/probe.err")
mid=$(printf '%s\n' "$out" | sed -nE 's/^probe support@corp\.example: sent <([^>]+)>$/\1/p')
check "probe prints one line per mailbox" expect_match '^probe support@corp\.example: sent <probe\.' "$out"
check "correlation record written with probe=1" \
    expect_eq 1 "$(rcli_raw HGET "fwdguard:msg:$mid" probe)"
check "correlation record names the mailbox" \
    expect_eq support@corp.example "$(rcli_raw HGET "fwdguard:msg:$mid" mailbox)"
check "probe listed in fwdguard:probes" expect_eq 1 "$(rcli_raw XLEN fwdguard:probes)"
wait_for 20 "the probe at the outside firm" sink_has_rcpt consultant@fti.example
check "the alias forwarded the probe unseen" sink_has_rcpt consultant@fti.example
check "the forwarded copy carries the probe token" test -n "$(sink_grep '^X-Fwdguard-Probe: ')"

# --- the firm's out-of-office comes back --------------------------------------
ooo="$FG_WORK/ooo.eml"
make_message "$ooo" \
    "From: Consultant <consultant@fti.example>" \
    "To: fwdguard-probe@corp.example" \
    "Subject: Out of Office: fwdguard canary" \
    "Auto-Submitted: auto-replied" \
    "In-Reply-To: <$mid>" \
    "References: <$mid>"
send_smtp "$MTA_PORT" consultant@fti.example fwdguard-probe@corp.example "$ooo"
check "the out-of-office is accepted" expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "an alert record" alerts_atleast 1
check "the daemon raised leak-probe" \
    test -n "$(rcli_raw XRANGE fwdguard:alerts - + | grep -E '(^|,)leak-probe(,|$)')"

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
