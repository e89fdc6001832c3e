#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/audit_days.sh - fwdguard-audit report and search --domain read
# closed days and hours of the trail from what they kept in Redis
# (fwdguard:report:days, fwdguard:report:domains) and print exactly what a
# read of every entry prints: before anything is kept, after, after the
# timer's report --cache-days, and when a kept value is damaged.  A month of decisions from tests/bench/trailgen.py
# (the shipper's keys and fields) in a real redis-server on 127.0.0.1.
set -u
. "$(dirname "$0")/lib.sh"

AUDIT="$BUILD/fwdguard-audit"
[ -x "$AUDIT" ] || { echo "not ok - missing $AUDIT (build first)"; exit 1; }
command -v python3 >/dev/null || { echo "not ok - python3 is needed for the generator"; exit 1; }

fg_init
start_redis || fg_die "start redis-server"
now_ms=$(($(date +%s) * 1000))
day=86400000
# Entries older than the generated month, in closed days: a rare domain,
# and a target holding a newline (never a line of the kept domains).
rcli XADD fwdguard:audit "$((now_ms - 33 * day))-0" mailbox team0001@corp.example \
    recipient x@rare.example target rare.example action reject destination external >/dev/null
rcli XADD fwdguard:audit "$((now_ms - 32 * day))-0" mailbox team0001@corp.example \
    recipient y@corp.example target "$(printf 'a\nsplit.example')" action flag >/dev/null
mkdir -p "$FG_WORK/gen"
python3 "$FG_REPO/tests/bench/trailgen.py" 3000 --now "$now_ms" --out "$FG_WORK/gen" \
    --mailboxes 50 || fg_die "trailgen.py failed"
redis-cli -p "$REDIS_PORT" --pipe <"$FG_WORK/gen/audit.resp" >/dev/null 2>&1
check "3002 entries loaded" expect_eq 3002 "$(audit_count)"

cat >"$FG_WORK/c.yaml" <<EOC
redis:
  address: "127.0.0.1:$REDIS_PORT"
audit:
  spool: "$FG_WORK/spool"
EOC
audit() { "$AUDIT" -c "$FG_WORK/c.yaml" "$@"; }
forget() { rcli DEL fwdguard:report:days fwdguard:report:domains >/dev/null; }
# same NAME ARGS...: output with nothing kept, then twice with what that kept.
same() {
	local name=$1 a b c
	shift
	forget
	a=$(audit "$@") || { check "$name: first run" false; return; }
	b=$(audit "$@")
	c=$(audit "$@")
	check "$name: same output when read from what was kept" expect_eq "$a" "$b"
	check "$name: and again" expect_eq "$a" "$c"
	FG_LAST=$a
}

same "report" report
check "report lists the rare destination" expect_match 'rare\.example +external +1 ' "$FG_LAST"
check "report kept closed days" test "$(rcli_raw HLEN fwdguard:report:days)" -ge 30
check "report kept the days' domains" test "$(rcli_raw HLEN fwdguard:report:domains)" -ge 30
same "report over a window" report --since -20d --until -10d
same "report of the last hours" report --since -5h
same "search --domain, a frequent one" search --limit 0 --domain gmail.example
same "search --domain, a rare one" search --domain rare.example
check "the rare domain is found" expect_match 'rare\.example' "$FG_LAST"
same "search --domain, one that never occurs" search --domain nowhere.example
same "search --domain holding a newline" search --domain "$(printf 'a\nsplit.example')"
check "the target holding it is found (its day is never kept)" \
    expect_match 'a\?split\.example' "$FG_LAST"
same "search --domain, the part after the newline" search --domain split.example
check "which does not match it" expect_eq 1 "$(printf '%s\n' "$FG_LAST" | wc -l)"

# report --cache-days (what the hourly timer runs) keeps the closed days
# and hours with no report run; a report after it prints the cold rows.
forget
audit report --json >"$FG_WORK/cold.json" || check "cold report --json" false
forget
audit report >"$FG_WORK/cold.txt" || check "cold report" false
forget
out=$(audit report --cache-days)
check "report --cache-days says what it kept" \
    expect_match '^kept [0-9]+ closed days and [0-9]+ closed hours$' "$out"
check "it kept every closed day (30 or more)" \
    test "$(printf '%s\n' "$out" | sed -n 's/^kept \([0-9]*\) closed days.*/\1/p')" -ge 30
check "they are in report:days with no report run" \
    test "$(rcli_raw HLEN fwdguard:report:days)" -ge 30
check "and their domains in report:domains" test "$(rcli_raw HLEN fwdguard:report:domains)" -ge 30
check "the report after it has the cold report's rows (JSON)" \
    expect_eq "$(cat "$FG_WORK/cold.json")" "$(audit report --json)"
check "and as text" expect_eq "$(cat "$FG_WORK/cold.txt")" "$(audit report)"
check "its next run finds nothing new" \
    expect_eq "kept 0 closed days and 0 closed hours" "$(audit report --cache-days)"
a_day=$(rcli_raw HKEYS fwdguard:report:days | grep -v '^h' | sort -n | tail -n 1)
rcli HSET fwdguard:report:days "$a_day" "fwdguard-report 0 (an older form)" >/dev/null
check "a day kept in a form it does not read is kept again" \
    expect_eq "kept 1 closed days and 0 closed hours" "$(audit report --cache-days)"
check "and the report is still the cold one" \
    expect_eq "$(cat "$FG_WORK/cold.json")" "$(audit report --json)"
audit report --cache-days --since -1d >/dev/null 2>&1
check "report --cache-days refuses other options (exit 2)" expect_eq 2 "$?"
check "search --recipient finds an address kept days never saw" \
    expect_match 'x@rare\.example' "$(audit search --recipient X@Rare.example --json)"
check "search --recipient skips nothing it should find" \
    expect_eq "$(audit search --limit 0 --json | grep -ciF '"recipient":"team0001@corp.example"')" \
    "$(audit search --limit 0 --recipient team0001@corp.example --json | wc -l)"

# A kept value that does not decode is read from the stream again.
audit report >"$FG_WORK/want"
first_day=$(rcli_raw HKEYS fwdguard:report:days | sort -n | head -n 1)
rcli HSET fwdguard:report:days "$first_day" "fwdguard-report 1
damaged" >/dev/null
check "a damaged kept day: the report is the same" \
    expect_eq "$(cat "$FG_WORK/want")" "$(audit report)"
rcli HSET fwdguard:report:domains "$first_day" "garbage" >/dev/null
check "a damaged kept domain list: the search still finds" \
    expect_match 'rare\.example' "$(audit search --domain rare.example)"

# An entry dated far ahead (anyone who can write to Redis can): the
# report still ends, reading that window in one walk.
audit report >"$FG_WORK/want"
rcli XADD fwdguard:audit 99999999999999-0 mailbox team0001@corp.example target future.example \
    action flag >/dev/null
check "an entry 3000 years ahead: the report ends and lists it" \
    expect_match 'future\.example' "$(timeout 60 "$AUDIT" -c "$FG_WORK/c.yaml" report)"
check "and search --domain ends too" \
    expect_match 'future\.example' "$(timeout 60 "$AUDIT" -c "$FG_WORK/c.yaml" search --domain future.example)"

fg_summary
