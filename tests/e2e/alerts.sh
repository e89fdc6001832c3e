#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/alerts.sh - the security team's alerts relay ("fwdguard-audit
# alerts") end to end: alert records in <prefix>alerts (the daemon's fields)
# are mailed through a private Postfix (its sendmail -C) to smtp-sink.
#   - 50 identical alerts inside the dedupe window: exactly one mail that
#     counts 50; repeats arriving later are counted, not mailed, and go out
#     as one "N more" follow-up once the window has closed;
#   - a relay killed (-9) in the middle of a batch, then another relay taking
#     over its pending entries: every alert mailed exactly once, nothing
#     left pending.
set -u
. "$(dirname "$0")/lib.sh"

AUDIT="$BUILD/fwdguard-audit"
[ -x "$AUDIT" ] || { echo "not ok - missing $AUDIT (build first)"; echo "# 0 passed, 1 failed"; exit 1; }

fg_init
start_redis || fg_die "start redis-server"
start_sink || fg_die "start smtp-sink"
start_postfix mta || fg_die "start postfix"

CONF="$FG_WORK/fwdguard.yaml"
SENDMAIL="$FG_WORK/sendmail-wrapper"
fwdguard_config "$CONF"
cat >>"$CONF" <<END_CONF
  mail:
    to: security@corp.example
    from: fwdguard@corp.example
    sendmail: $SENDMAIL
  dedupe_window: 3600
END_CONF

# Postfix's sendmail for the private instance; with $FG_WORK/kill-at holding
# N, the N-th call kills the relay (its parent) before submitting anything,
# as if the relay died in the middle of a batch.
cat >"$SENDMAIL" <<END_WRAPPER
#!/bin/sh
n=\$(( \$(cat "$FG_WORK/sendmail-calls" 2>/dev/null || echo 0) + 1 ))
echo "\$n" >"$FG_WORK/sendmail-calls"
if [ -f "$FG_WORK/kill-at" ] && [ "\$n" -eq "\$(cat "$FG_WORK/kill-at")" ]; then
	kill -9 "\$PPID"
	exit 75
fi
exec /usr/sbin/sendmail -C "${PF_DIR[mta]}" "\$@"
END_WRAPPER
chmod 755 "$SENDMAIL"

# add_alert ALERT_ID DECISION_ID MAILBOX TARGET: one record as the daemon writes it.
add_alert() {
	rcli XADD fwdguard:alerts '*' id "$1" ts "$(date +%s%3N)" level critical \
	    decision_id "$2" host mta.test queue_id "Q$2" mailbox "$3" \
	    recipient "<consultant@$4>" target "$4" destination external \
	    signals delivered-to,exchange-rule rule forwarded-copy action reject \
	    mode enforce summary "$3 mail forwarded to $4: reject (rule forwarded-copy)" >/dev/null
}

FG_LOGS+=("$FG_WORK/relay.log")
relay() { "$AUDIT" -c "$CONF" alerts --once "$@" >>"$FG_WORK/relay.log" 2>&1; }

pending() { rcli_raw XPENDING fwdguard:alerts relay | head -n 1; }
security_mails() { sink_rcpt_count security@corp.example; }
# mails_listing ID: how many captured mails list decision id ID on a line of its own.
mails_listing() { sink_files | xargs -r grep -lx -- "    $1" | wc -l; }
mails_are() { [ "$(security_mails)" -eq "$1" ]; }

# --- 50 identical alerts: one mail that counts 50 ---------------------------
for i in $(seq 1 50); do add_alert "A$i" "D$i" support@corp.example fti.example; done
relay
check "relay --once exits 0" expect_eq 0 "$?"
wait_for 15 "the alert mail at the sink" mails_are 1
check "50 identical alerts: exactly one mail" expect_eq 1 "$(security_mails)"
mail=$(sink_files | head -n 1)
body=$(cat "$mail" 2>/dev/null)
check "the mail counts 50" expect_match '50 message\(s\)' "$body"
check "subject names mailbox and destination" \
    expect_match '^Subject: \[fwdguard\] CRITICAL: .*support@corp\.example.* fti\.example' "$body"
check "the mail is marked auto-generated" expect_match '^Auto-Submitted: auto-generated' "$body"
check "the mail lists the first decision id" expect_eq 1 "$(mails_listing D1)"
check "the mail says what to do next" \
    expect_match 'fwdguard-audit search --mailbox support@corp\.example' "$body"
check "nothing pending after delivery" expect_eq 0 "$(pending)"

# --- repeats inside the window: counted, then one follow-up ----------------
for i in $(seq 51 57); do add_alert "A$i" "D$i" support@corp.example fti.example; done
relay
check "repeats are acknowledged once counted" expect_eq 0 "$(pending)"
check "repeats counted in Redis" expect_eq 7 \
    "$(rcli_raw HGET 'fwdguard:alerts:pending:support@corp.example|fti.example|forwarded-copy' count)"
relay
wait_delivered mta
check "repeats inside the window: no new mail" expect_eq 1 "$(security_mails)"
# The window closes (as if dedupe_window had passed).
rcli DEL 'fwdguard:alerts:window:support@corp.example|fti.example|forwarded-copy' >/dev/null
relay
wait_for 15 "the follow-up mail" mails_are 2
check "window closed: one follow-up mail" expect_eq 2 "$(security_mails)"
check "the follow-up says 7 more" test -n "$(sink_grep '^Subject: .*\(7 more\)')"
check "the follow-up lists the repeats' ids" expect_eq 1 "$(mails_listing D57)"
relay
wait_delivered mta
check "the follow-up is sent once" expect_eq 2 "$(security_mails)"

# --- killed mid-batch, taken over by another relay -------------------------
# Ten different destinations, so ten mails; the relay dies at the 4th.
for i in $(seq 1 10); do add_alert "K$i" "KD$i" support@corp.example "t$i.example"; done
before=$(cat "$FG_WORK/sendmail-calls")
echo $((before + 4)) >"$FG_WORK/kill-at"
{ relay --consumer r1; } 2>/dev/null
rc=$?
check "the relay was killed mid-batch" expect_eq 137 "$rc"
check "entries left pending by the dead relay" test "$(pending)" -gt 0
rm -f "$FG_WORK/kill-at"
relay --consumer r2 --max-idle 0
check "a new relay exits 0 after taking over" expect_eq 0 "$?"
check "nothing pending afterwards" expect_eq 0 "$(pending)"
wait_for 20 "12 mails at the sink" mails_are 12
check "every alert mailed: 2 + 10 mails" expect_eq 12 "$(security_mails)"
dup=0
for i in $(seq 1 10); do
	n=$(mails_listing "KD$i")
	[ "$n" -eq 1 ] || { dup=1; FG_GOT="KD$i in $n mails"; }
done
check "each alert is in exactly one mail" expect_eq 0 "$dup"
relay --consumer r3
wait_delivered mta
check "a later run mails nothing again" expect_eq 12 "$(security_mails)"

# --- header injection from a stored value ----------------------------------
add_alert "X1" "XD1" "$(printf 'evil@corp.example\r\nBcc: leak@evil.test')" x.example
relay
wait_for 15 "the 13th mail" mails_are 13
check "a CR/LF in a value never starts a header" test -z "$(sink_grep '^Bcc:')"
check "the injected address got nothing" fg_not sink_has_rcpt leak@evil.test

fg_summary
