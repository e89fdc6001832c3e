#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/hardening_mail.sh - hardening.sh's terminal and pid-file checks,
# with the hostile bytes arriving the way an attacker sends them: through
# the private Postfix, to the running filter.
#   - A forwarded copy of support@'s mail (Delivered-To) with UTF-8 C1
#     controls and bidi overrides in the envelope sender, the external
#     recipient's local part, From: and Subject: (SMTPUTF8) is refused and
#     recorded; the raw bytes are in the trail, and fwdguard-audit search,
#     tail and report (table and --json) show none of them raw: '?' in
#     tables, \u escapes in JSON.
#   - A second fwdguard started with the same configuration and a pid file
#     that is a symbolic link refuses it, leaves the link's target alone,
#     and leaves the running filter serving: Postfix still passes mail
#     through it (delivered, and recorded).
#   - A second fwdguard on the running filter's socket is refused (libmilter
#     would remove the live socket and Postfix would answer 451), and a
#     start with a pid file another running fwdguard holds is refused.
# Must run as root (the pid file check is about what root does).
set -u
. "$(dirname "$0")/lib.sh"

AUDIT="$BUILD/fwdguard-audit"
[ "$(id -u)" = 0 ] || { echo "not ok - must run as root"; echo "# 0 passed, 1 failed"; exit 1; }

fg_init
start_redis || fg_die "start redis-server"
start_sink || fg_die "start smtp-sink"
fwdguard_config "$FG_WORK/fwdguard.yaml" enforce reject
start_fwdguard "$FG_WORK/fwdguard.yaml" || fg_die "start fwdguard"
start_postfix mta --smtpd-milters "$(fwdguard_milter)" \
    --non-smtpd-milters "$(fwdguard_milter)" --set 'smtputf8_enable = yes' ||
    fg_die "start postfix"
CONF="$FG_WORK/fwdguard.yaml"

# U+009B (CSI, a C1 control: "ESC [" to a terminal), U+202E (right-to-left
# override), U+2066 (left-to-right isolate), in UTF-8.
CSI=$'\xc2\x9b'
RLO=$'\xe2\x80\xae'
LRI=$'\xe2\x81\xa6'
SENDER="cust${CSI}2Jomer@example.net"
RCPT="con${RLO}tnatlus${LRI}x${CSI}0m@fti.example"

# send_utf8 FROM TO FILE: one SMTPUTF8 transaction (swaks cannot ask for
# it); prints the server's reply to the end of data, or the error.
send_utf8() {
	python3 - "$MTA_PORT" "$1" "$2" "$3" <<'PY'
import smtplib, sys
port, frm, to, path = sys.argv[1:5]
data = open(path, 'rb').read()
s = smtplib.SMTP('127.0.0.1', int(port), timeout=30)
try:
    s.ehlo('client.test')
    s.sendmail(frm, [to], data, mail_options=['SMTPUTF8', 'BODY=8BITMIME'])
    print('250 accepted')
except smtplib.SMTPRecipientsRefused as e:
    code, text = list(e.recipients.values())[0]
    print(code, text.decode('utf-8', 'replace'))
except smtplib.SMTPResponseException as e:
    print(e.smtp_code, e.smtp_error.decode('utf-8', 'replace'))
finally:
    try:
        s.quit()
    except Exception:
        pass
PY
}
MTA_PORT=${PF_PORT[mta]}

# --- 1. hostile bytes by SMTP, into the trail -------------------------------------
msg="$FG_WORK/hostile.eml"
make_message "$msg" \
    "Delivered-To: support@corp.example" \
    "From: \"Cust${CSI}]0;pwned${RLO}\" <cu${RLO}stomer${CSI}2J@example.net>" \
    "To: support@corp.example" \
    "Subject: invoice ${CSI}2J${RLO}fdp.exe" \
    "MIME-Version: 1.0" \
    "Content-Type: text/plain; charset=utf-8"
reply=$(send_utf8 "$SENDER" "$RCPT" "$msg" 2>&1)
check "smtp: the hostile forward is refused by the filter (5xx)" expect_match '^5[0-9][0-9] ' "$reply"
audit_wait 1 10
rec=$(audit_records | head -n 1)
check "audit: the refusal is recorded" expect_eq reject "$(audit_field "$rec" action)"
# The trail keeps the original spelling (README.md "The audit trail"): the
# bytes really reached it, so what follows tests the output, not the input.
raw=$(rcli_raw XRANGE "$REDIS_STREAM" - +)
has_raw() { printf '%s' "$raw" | LC_ALL=C grep -q "$1"; }
check "trail: the recipient's bidi override is stored as sent" has_raw "$RLO"
check "trail: the sender's C1 control is stored as sent" has_raw "cust${CSI}2Jomer"
check "trail: the From: address is stored" has_raw "stomer"
check "trail: no subject is stored" fg_not has_raw "fdp.exe"

# raw_controls TEXT: how many lines carry a raw C1 control, a bidi override
# or isolate (U+202A-U+202E, U+2066-U+2069), or a lone 8-bit CSI.
raw_controls() {
	printf '%s\n' "$1" | LC_ALL=C grep -cP '\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]|(?<![\xc2-\xf4])[\x80-\x9f]'
}
# no_raw_controls NAME TEXT
no_raw_controls() { FG_GOT="$(printf '%s' "$2" | od -c | head -n 20)"; [ "$(raw_controls "$2")" -eq 0 ]; }
check "the detector itself sees the raw bytes in the trail" fg_not no_raw_controls trail "$raw"

out=$("$AUDIT" -c "$CONF" search --since -1h 2>&1)
check "search (table): no raw C1/bidi byte reaches the terminal" no_raw_controls search "$out"
check "search (table): the recipient is shown with '?' in their place" \
    expect_match 'con\?tnatlus\?x\?0m@fti\.example' "$out"
out=$("$AUDIT" -c "$CONF" search --json --since -1h 2>&1)
check "search --json: no raw C1/bidi byte" no_raw_controls json "$out"
check "search --json: the recipient's controls are \\u escapes" \
    expect_match 'con\\u202etnatlus\\u2066x\\u009b0m@fti\.example' "$out"
check "search --json: the sender's C1 control is a \\u escape" \
    expect_match 'cust\\u009b2Jomer@example\.net' "$out"
check "search --json: the From: address's bidi override is a \\u escape" \
    expect_match '"from":"cu\\u202estomer' "$out"
out=$(timeout 20 "$AUDIT" -c "$CONF" tail --since -1h --limit 1 2>&1)
check "tail (table): no raw C1/bidi byte" no_raw_controls tail "$out"
check "tail (table): the record is shown" expect_match 'tnatlus' "$out"
out=$(timeout 20 "$AUDIT" -c "$CONF" tail --json --since -1h --limit 1 2>&1)
check "tail --json: no raw C1/bidi byte" no_raw_controls tail-json "$out"
check "tail --json: the recipient's controls are \\u escapes" \
    expect_match 'con\\u202etnatlus' "$out"
out=$("$AUDIT" -c "$CONF" report --since -1h 2>&1)
check "report: no raw C1/bidi byte" no_raw_controls report "$out"

# --- 2. a second start with a planted pid file link ----------------------------------
VICTIM="$FG_WORK/victim"
printf 'precious\n' >"$VICTIM"
ln -s "$VICTIM" "$FG_WORK/fwdguard.pid"
check "second fwdguard with a symlinked pid file: refused" \
    fwdguard_refuses_pidfile "$CONF" "$FG_WORK/fwdguard.pid"
check "... its target is untouched" expect_eq precious "$(cat "$VICTIM")"
check "... the running filter is still up" fwdguard_alive

# --- 3. a second start beside the running filter ----------------------------------
# libmilter removes the socket it opens: a second start must leave a live
# one alone, and a pid file held by a running fwdguard is not taken over.
check "second fwdguard on the running filter's socket: refused" \
    fwdguard_refuses "$CONF" "in use by a running filter"
check "... the running filter's socket is still there" test -S "$FWDGUARD_SOCK"
sed -E "s|unix:$FWDGUARD_SOCK|unix:$FG_WORK/other.sock|" "$CONF" >"$FG_WORK/other.yaml"
"$BUILD/fwdguard" -f -c "$FG_WORK/other.yaml" -P "$FG_WORK/other.pid" \
    </dev/null >"$FG_WORK/other.log" 2>&1 &
OTHER_PID=$!
FG_PIDS+=("$OTHER_PID")
wait_for 10 "the second filter's socket" test -S "$FG_WORK/other.sock"
check "a filter on another socket with a pid file starts" \
    expect_eq "$OTHER_PID" "$(tr -d '\n' <"$FG_WORK/other.pid" 2>/dev/null)"
sed -E "s|unix:$FWDGUARD_SOCK|unix:$FG_WORK/third.sock|" "$CONF" >"$FG_WORK/third.yaml"
check "a third start with the held pid file: refused" \
    fwdguard_refuses "$FG_WORK/third.yaml" "held by a running fwdguard" -P "$FG_WORK/other.pid"
check "... the pid file still names the running one" \
    expect_eq "$OTHER_PID" "$(tr -d '\n' <"$FG_WORK/other.pid" 2>/dev/null)"
kill "$OTHER_PID" 2>/dev/null
fg_wait_pid_gone "$OTHER_PID" 10 || kill -9 "$OTHER_PID" 2>/dev/null

before=$(audit_count)
make_message "$FG_WORK/ok.eml" "From: Customer <customer@example.net>" \
    "To: support@corp.example" "Subject: my order"
send_smtp "$MTA_PORT" customer@example.net support@corp.example "$FG_WORK/ok.eml"
check "smtp: ordinary mail to support@ is accepted" expect_match '^250 ' "$SMTP_REPLY"
wait_delivered mta
check "it passed through Postfix to its destination" sink_has_rcpt support@corp.example
audit_wait $((before + 1)) 10
check "the running filter decided it (recorded)" \
    audit_has recipient=support@corp.example action=accept

fg_summary
