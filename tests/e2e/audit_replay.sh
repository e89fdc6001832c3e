#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/audit_replay.sh - the audit trail survives a Redis outage:
# records written to the spool while Redis is down are replayed exactly once
# (same ids, no duplicates even when the same spool is shipped again), and
# fwdguard-audit search/report/tail show them.
#
# Uses a real redis-server on 127.0.0.1 in a mktemp -d workspace (lib.sh),
# $BUILD/fwdguard-audit and $BUILD/tests/e2e/spool_writer.  Prints
# "ok - "/"not ok - " lines and "# N passed, N failed"; exits non-zero on
# any failure.
set -u
. "$(dirname "$0")/lib.sh"

AUDIT="$BUILD/fwdguard-audit"
WRITER="$BUILD/tests/e2e/spool_writer"
PREFIX="e2e:"

[ -x "$WRITER" ] || make -C "$BUILD" tests/e2e/spool_writer >/dev/null 2>&1
for b in "$AUDIT" "$WRITER"; do
	[ -x "$b" ] || { echo "not ok - missing $b (build first)"; echo "# 0 passed, 1 failed"; exit 1; }
done

fg_init
start_redis || fg_die "redis-server did not start"
SPOOL="$FG_WORK/spool"

# write_config FILE SPOOL
write_config() {
	cat >"$1" <<EOF
domains:
  internal: [corp.example, "*.corp.example"]
mailboxes:
  protected: [support@corp.example, contactfr@corp.example]
  recipient_delimiter: "+"
redis:
  address: "127.0.0.1:$REDIS_PORT"
  prefix: "$PREFIX"
  timeout: 1
audit:
  spool: "$2"
EOF
}
CONF="$FG_WORK/fwdguard.yaml"
write_config "$CONF" "$SPOOL"

audit() { "$AUDIT" -c "$CONF" "$@"; }

# Stops Redis so that it comes back with its data: an outage, not a wipe.
outage_begin() {
	rcli_raw SHUTDOWN SAVE >/dev/null
	fg_wait_pid_gone "$REDIS_PID" 10 || kill -9 "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=
	wait_for 5 "redis port to close" fg_not port_open "$REDIS_PORT"
}

# expect_output WANT CMD...: CMD succeeds and prints WANT.
expect_output() {
	local want=$1 got
	shift
	got=$("$@" 2>&1)
	FG_GOT="$got (want $want)"
	[ "$got" = "$want" ]
}

# ids_exactly_once FIRST LAST: the audit stream holds e2e-FIRST..e2e-LAST, each once, and nothing else.
ids_exactly_once() {
	local want got
	want=$(seq "$1" "$2" | sed 's/^/e2e-/' | sort)
	got=$(rcli_raw XRANGE "${PREFIX}audit" - + | awk 'prev == "id" { print } { prev = $0 }' | sort)
	FG_GOT="$(printf '%s\n' "$got" | uniq -d | head -3 | tr '\n' ' ')duplicates, $(printf '%s\n' "$got" | wc -l) ids"
	[ "$got" = "$want" ]
}

xlen() { rcli_raw XLEN "$1"; }

# --- 1. records shipped while Redis is up ------------------------------------------
check "writer commits 20 records to the spool" expect_match '^wrote 20 records' "$("$WRITER" "$SPOOL" 0 20 4)"
cp -a "$SPOOL" "$FG_WORK/spool-first"	# the spool as it was before its first shipment
# The daemon's spool belongs to its user; a replay run by root must not
# leave a cursor that user cannot write in place.
chown -R postfix: "$SPOOL"
check "replay ships 20 records" expect_output "replayed 20 records" audit replay
check "replay as root: the cursor belongs to the spool's owner" \
    expect_eq postfix "$(stat -c %U "$SPOOL/cursor")"
check "audit stream has 20 entries" expect_eq 20 "$(xlen "${PREFIX}audit")"

# --- 2. outage: the spool keeps records, replay refuses -------------------------------
outage_begin
check "writer commits 15 more while Redis is down" \
    expect_match '^wrote 15 records' "$("$WRITER" "$SPOOL" 20 15 3)"
check "the journal a writer run as root starts belongs to the spool's owner" \
    expect_eq "postfix" "$(stat -c %U "$(ls -d "$SPOOL"/journal-* | tail -n 1)")"
audit replay >"$FG_WORK/replay-down.out" 2>&1
check "replay exits 1 while Redis is unreachable" expect_eq 1 "$?"
check "replay says why" expect_match 'replay: .*(refused|127\.0\.0\.1)' "$(cat "$FG_WORK/replay-down.out")"

# --- 3. Redis is back: replay exactly once -------------------------------------------
start_redis "$REDIS_PORT" || fg_die "redis-server did not restart"
check "Redis kept the first 20 entries" expect_eq 20 "$(xlen "${PREFIX}audit")"
check "first replay after the outage ships the 15" expect_output "replayed 15 records" audit replay
check "second replay finds nothing" expect_output "replayed 0 records" audit replay
write_config "$FG_WORK/first.yaml" "$FG_WORK/spool-first"
check "shipping the first spool again reads its 20 records" \
    expect_output "replayed 20 records" "$AUDIT" -c "$FG_WORK/first.yaml" replay
check "every id is in the audit stream exactly once" ids_exactly_once 0 34
check "XLEN is 35" expect_eq 35 "$(xlen "${PREFIX}audit")"
check "support@ mailbox stream has the 18 even ids" \
    expect_eq 18 "$(xlen "${PREFIX}mailbox:support@corp.example")"
check "contactfr@ mailbox stream has the 17 odd ids" \
    expect_eq 17 "$(xlen "${PREFIX}mailbox:contactfr@corp.example")"
check "the kind field stays out of the stream" \
    expect_eq "" "$(rcli_raw XRANGE "${PREFIX}audit" - + COUNT 1 | grep -x kind)"
check "fully shipped journals are removed" expect_eq 1 "$(ls "$SPOOL" | grep -c '^journal-')"

# --- 4. a lost cursor only costs a no-op re-shipment -----------------------------------
rm -f "$SPOOL/cursor"
# The 20 of the first journal went with it; the 15 of the second are read again.
check "replay without cursor re-reads the journal left" expect_output "replayed 15 records" audit replay
check "and adds nothing" expect_eq 35 "$(xlen "${PREFIX}audit")"

# --- 5. two replays at once never ship a record twice ----------------------------------
"$WRITER" "$SPOOL" 100 300 8 >/dev/null
audit replay >"$FG_WORK/r1" 2>&1 &
r1=$!
audit replay >"$FG_WORK/r2" 2>&1
wait "$r1"
n1=$(sed -nE 's/^replayed ([0-9]+) records$/\1/p' "$FG_WORK/r1")
n2=$(sed -nE 's/^replayed ([0-9]+) records$/\1/p' "$FG_WORK/r2")
check "concurrent replays share the 300 records" expect_eq 300 "$((${n1:-0} + ${n2:-0}))"
check "335 entries after concurrent replays" expect_eq 335 "$(xlen "${PREFIX}audit")"

# --- 6. what fwdguard-audit shows ---------------------------------------------------
json=$(audit search --json --limit 0)
check "search --json prints one line per entry" expect_eq 335 "$(printf '%s\n' "$json" | grep -c .)"
check "search --json lines are valid JSON with every field and the escaped reason" python3 -c '
import json, sys
want = "tab\there \"quoted\" back\\slash\nnewline 100%=caf\u00e9"
ids = set()
for line in sys.stdin:
    o = json.loads(line)
    for f in ("id", "ts", "sender", "recipient", "mailbox", "target", "signals", "rule", "action", "reason"):
        assert f in o, f
    assert o["reason"] == want, o["reason"]
    ids.add(o["id"])
assert len(ids) == 335, len(ids)
' <<<"$json"
mbox=$(audit search --json --limit 0 --mailbox Support@Corp.Example)
check "search --mailbox reads that mailbox's stream (168 entries)" \
    expect_eq "168 168" "$(grep -c . <<<"$mbox") $(grep -c '"mailbox":"support@corp.example"' <<<"$mbox")"
check "search --action --domain --limit" \
    expect_eq 5 "$(audit search --json --action reject --domain consultants.example --limit 5 |
        grep -c '"action":"reject"')"
table=$(audit search --limit 3 --rule forwarded-copy --since -1h)
check "search table has a header and 3 rows" expect_eq 4 "$(printf '%s\n' "$table" | wc -l)"
check "search table columns line up" expect_eq 1 "$(printf '%s\n' "$table" |
    awk '{ print index($0, $4) }' | sort -u | wc -l)"
report=$(audit report --since -1d)
check "report: support@ forwards to consultants.example (168 rejected)" \
    expect_match 'support@corp\.example +consultants\.example +external +168 +reject:168' "$report"
check "report: contactfr@ goes to the allowed vendor" \
    expect_match 'contactfr@corp\.example +helpdesk-vendor\.example +allowed +167 +accept:167' "$report"
# The mailbox is read as the configuration reads it: case, and the
# recipient delimiter's extension.
check "search --mailbox Support+Orders@CORP.example finds support@'s stream" \
    expect_eq "$mbox" "$(audit search --json --limit 0 --mailbox Support+Orders@CORP.example)"
check "report --mailbox shows one mailbox only" \
    expect_eq 0 "$(audit report --mailbox support@corp.example | grep -c contactfr)"
check "tail --since 0 --limit 3 prints 3 entries" \
    expect_eq 3 "$(timeout 10 "$AUDIT" -c "$CONF" tail --since 0 --limit 3 | wc -l)"
# tail --count N begins with the last N, oldest first (tail -n); --no-follow
# exits once caught up instead of waiting for more.
last2=$(rcli_raw XREVRANGE "${PREFIX}audit" + - COUNT 2 | grep -E '^[0-9]+-[0-9]+$' | tac | tr '\n' ' ')
got2=$(timeout 10 "$AUDIT" -c "$CONF" tail --count 2 --no-follow --json |
    sed -nE 's/.*"stream_id":"([^"]+)".*/\1/p' | tr '\n' ' ')
check "tail --count 2 --no-follow: the stream's last two, oldest first, then exits" \
    expect_eq "$last2" "$got2"
all=$(timeout 10 "$AUDIT" -c "$CONF" tail --since 0 --no-follow | wc -l)
check "tail --since 0 --no-follow: every entry, then exits" \
    expect_eq "$(rcli_raw XLEN "${PREFIX}audit")" "$all"
audit tail --count 1 --since 0 >/dev/null 2>&1
check "tail: --count and --since together are a usage error" expect_eq 2 "$?"
audit search --since yesterday-ish >/dev/null 2>&1
check "usage error exits 2" expect_eq 2 "$?"
audit bogus-command >/dev/null 2>&1
check "unknown command exits 2" expect_eq 2 "$?"

# --- 7. alerts: stream and PUBLISH --------------------------------------------------
timeout 5 redis-cli -p "$REDIS_PORT" SUBSCRIBE "${PREFIX}alerts" >"$FG_WORK/sub.out" 2>&1 &
sub=$!
wait_for 5 "subscriber" grep -q subscribe "$FG_WORK/sub.out"
"$WRITER" "$SPOOL" 900 2 1 alert >/dev/null
check "alerts replay" expect_output "replayed 2 records" audit replay
check "alerts go to the alerts stream, not the audit stream" \
    expect_eq "2 335" "$(xlen "${PREFIX}alerts") $(xlen "${PREFIX}audit")"
wait_for 5 "published alert ids" grep -q e2e-901 "$FG_WORK/sub.out"
check "alert ids are PUBLISHed" expect_eq 2 "$(grep -c '^e2e-90[01]$' "$FG_WORK/sub.out")"
kill "$sub" 2>/dev/null; wait "$sub" 2>/dev/null

# --- 8. correlation records: a hash each, no marker; shipping again changes nothing ---
# A hash expires its ttl (3600 s here) after the message (the record's ts),
# whenever the record is shipped.
"$WRITER" "$SPOOL" 2000 10 2 correlation >/dev/null
"$WRITER" "$SPOOL" 2100 3 1 correlation 1800 >/dev/null	# half their ttl gone
"$WRITER" "$SPOOL" 2200 2 1 correlation 7200 >/dev/null	# past their ttl
cp -a "$SPOOL" "$FG_WORK/spool-corr"	# the 15 not shipped yet
seen_keys() { rcli_raw --scan --pattern "${PREFIX}seen:*" | wc -l; }
corr_hashes() { rcli_raw --scan --pattern "${PREFIX}msg:<e2e-2*@corp.example>" | wc -l; }
corr_key() { printf '%smsg:<e2e-%s@corp.example>' "$PREFIX" "$1"; }
half_left() { expect_match '^1[7-8][0-9][0-9]$' "$(rcli_raw TTL "$(corr_key "$1")")"; }
seen_before=$(seen_keys)
corr=$(corr_key 2000)
check "correlation replay" expect_output "replayed 15 records" audit replay
check "each correlation record within its ttl is its message's hash" expect_eq 13 "$(corr_hashes)"
check "one past its ttl makes none" expect_eq 0 "$(rcli_raw EXISTS "$(corr_key 2200)")"
check "the hash holds the record's fields, not its id or ttl" \
    expect_eq "mailbox support@corp.example rcpt_domains corp.example sender customer@client.example" \
    "$(rcli_raw HGETALL "$corr" | paste -d' ' - - | grep -v '^ts ' | sort | tr '\n' ' ' | sed 's/ $//')"
check "a fresh message's hash: its whole ttl" expect_match '^(3[0-5][0-9][0-9]|3600)$' "$(rcli_raw TTL "$corr")"
check "half the ttl gone: half left" half_left 2100
check "correlation records set no seen marker" expect_eq "$seen_before" "$(seen_keys)"
# A field already there keeps its value (the first message of an id wins),
# an expiry set later than the record's stays, one set earlier comes back
# to the record's, and a hash gone before its time comes back with what
# is left of it.
rcli_raw HSET "$corr" sender first@client.example >/dev/null
rcli_raw EXPIRE "$(corr_key 2100)" 5000 >/dev/null
rcli_raw EXPIRE "$(corr_key 2101)" 100 >/dev/null
rcli_raw DEL "$(corr_key 2102)" >/dev/null
write_config "$FG_WORK/corr.yaml" "$FG_WORK/spool-corr"
check "shipping the correlation records again" \
    expect_output "replayed 15 records" "$AUDIT" -c "$FG_WORK/corr.yaml" replay
check "a replay keeps the first value" expect_eq first@client.example "$(rcli_raw HGET "$corr" sender)"
check "a later expiry stays" expect_match '^(49[0-9][0-9]|5000)$' "$(rcli_raw TTL "$(corr_key 2100)")"
check "an expiry cut short comes back to the message's" half_left 2101
check "a hash gone within its ttl comes back, with what is left of it" half_left 2102
check "still no marker, no other hash" expect_eq "$seen_before 13" "$(seen_keys) $(corr_hashes)"

# --- 9. the daemon's shipper thread rides out an outage --------------------------------
outage_begin
"$WRITER" --audit "$CONF" 1000 40 4 6 >"$FG_WORK/shipper.out" 2>"$FG_WORK/shipper.err" &
writer=$!
FG_LOGS+=("$FG_WORK/shipper.err")
sleep 2
start_redis "$REDIS_PORT" || fg_die "redis-server did not restart"
wait "$writer"
check "audit_commit succeeded while Redis was down" expect_eq 0 "$?"
check "shipper thread logged the outage once" \
    expect_eq 1 "$(grep -c 'cannot ship to Redis' "$FG_WORK/shipper.err")"
check "shipper thread logged the recovery" \
    expect_match 'Redis is back, shipped 40 records from the spool' "$(cat "$FG_WORK/shipper.err")"
check "the 40 records arrived once" expect_eq 375 "$(xlen "${PREFIX}audit")"

fg_summary
