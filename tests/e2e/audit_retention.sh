#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/audit_retention.sh - audit.retention: the shipper thread trims
# fwdguard:audit, fwdguard:alerts and every fwdguard:mailbox:<address> to the
# configured days (XTRIM MINID), and keeps what is younger, including the
# decisions of mail that just passed.  Age is simulated by writing entries
# with old stream ids straight into the streams before fwdguard starts.
#
# Real redis-server, Postfix, smtp-sink and fwdguard on 127.0.0.1 (lib.sh).
set -u
. "$(dirname "$0")/lib.sh"

fg_init
start_redis || fg_die "start redis-server"
start_sink || fg_die "start smtp-sink"

now_ms=$(($(date +%s) * 1000))
day=86400000
old1=$((now_ms - 40 * day))-0
old2=$((now_ms - 31 * day))-0
young1=$((now_ms - 29 * day))-0
young2=$((now_ms - 1 * day))-0
for key in fwdguard:audit fwdguard:mailbox:support@corp.example fwdguard:alerts; do
	for id in "$old1" "$old2" "$young1" "$young2"; do
		rcli XADD "$key" "$id" id "seeded-$id" mailbox support@corp.example >/dev/null
	done
done
# The report's cached days (fwdguard-audit report): one before the trim point, one after.
old_day=$(((now_ms - 40 * day) / day))
young_day=$(((now_ms - 2 * day) / day))
old_hour=h$(((now_ms - 40 * day) / 3600000))
young_hour=h$(((now_ms - 2 * day) / 3600000))
rcli HSET fwdguard:report:days "$old_day" x "$young_day" y "$old_hour" z "$young_hour" w >/dev/null
rcli HSET fwdguard:report:domains "$old_day" x "$young_hour" w >/dev/null
# A mailbox no longer configured: its stream still ages out.
rcli XADD fwdguard:mailbox:former@corp.example "$old1" id former mailbox former@corp.example >/dev/null
check "seeded: 4 entries in fwdguard:audit" expect_eq 4 "$(audit_count)"

fwdguard_config "$FG_WORK/fwdguard.yaml" enforce reject
sed -i 's/^audit:$/audit:\n  retention: 30/' "$FG_WORK/fwdguard.yaml"
check "config carries audit.retention" grep -q '^  retention: 30$' "$FG_WORK/fwdguard.yaml"
config_valid() { "$BUILD/fwdguard" -n -c "$1" >/dev/null 2>&1; }
check "fwdguard -n accepts it" config_valid "$FG_WORK/fwdguard.yaml"
start_fwdguard "$FG_WORK/fwdguard.yaml" || fg_die "start fwdguard"
start_postfix mta --smtpd-milters "$(fwdguard_milter)" \
    --non-smtpd-milters "$(fwdguard_milter)" || fg_die "start postfix"
MTA_PORT=${PF_PORT[mta]}

# ids of KEY, one line
stream_ids() { rcli_raw XRANGE "$1" - + | grep -E '^[0-9]+-[0-9]+$' | tr '\n' ' '; }
xlen_is() { [ "$(rcli_raw XLEN "$1")" = "$2" ]; }

wait_for 10 "the first trim" xlen_is fwdguard:audit 2
for key in fwdguard:audit fwdguard:mailbox:support@corp.example fwdguard:alerts; do
	check "$key: entries older than 30 days trimmed, younger kept" \
	    expect_eq "$young1 $young2 " "$(stream_ids "$key")"
done
check "a former mailbox's old stream is trimmed too" \
    expect_eq 0 "$(rcli_raw XLEN fwdguard:mailbox:former@corp.example)"
check "the report's kept days and hours before the trim point are dropped, later ones kept" \
    expect_eq "$young_day $young_hour " "$(rcli_raw HKEYS fwdguard:report:days | tr '\n' ' ')"
check "the kept domains likewise" \
    expect_eq "$young_hour " "$(rcli_raw HKEYS fwdguard:report:domains | tr '\n' ' ')"
check "fwdguard logs what it removed" \
    grep -q 'removed 7 stream entries older than 30 days' "$FWDGUARD_LOG"

make_message "$FG_WORK/q.eml" "From: Customer <customer@example.net>" \
    "To: support@corp.example" "Subject: question"
send_smtp "$MTA_PORT" customer@example.net support@corp.example "$FG_WORK/q.eml"
check "mail to the protected mailbox accepted" expect_match '^250 ' "$SMTP_REPLY"
audit_wait 3 || true
check "its decision is in the trail" expect_eq 3 "$(audit_count)"
new_id=$(rcli_raw XREVRANGE fwdguard:audit + - COUNT 1 | head -n 1)

# A restart trims again at once (an entry aged meanwhile shows it ran):
# what is younger than the retention stays.
stop_fwdguard
rcli XADD fwdguard:mailbox:former@corp.example "$old2" id aged >/dev/null
start_fwdguard "$FG_WORK/fwdguard.yaml" || fg_die "restart fwdguard"
wait_for 10 "the second trim" xlen_is fwdguard:mailbox:former@corp.example 0
check "after another trim, the new decision and the young entries remain" \
    expect_eq "$young1 $young2 $new_id " "$(stream_ids fwdguard:audit)"
check "fwdguard still running" fwdguard_alive

fg_summary
