#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# fwdguard-audit verify: the hash chain of the trail.  Mail flows and the
# chain is intact; a record deleted with XDEL is named as missing; a record
# altered by rebuilding the stream (what someone with Redis write access can
# do: XADD cannot rewrite an entry in place) is named as altered; after a
# kill -9 of fwdguard while mail flows and a restart, the chain goes on
# intact.  Anchors of the chain's head reach the alert stream, and a record
# deleted from the chain's end is named against them.
. "$(dirname "$0")/lib.sh"

FG_CONF_SED='s|^  scope: protected|  scope: protected\n  anchor_interval: 2|' fg_world enforce reject
CONF="$FG_WORK/fwdguard.yaml"
AUDIT="$BUILD/fwdguard-audit"
ALERTS=fwdguard:alerts

# send_pair I: a forward (rejected) and a reply (accepted): two decisions.
send_pair() {
	make_message "$FG_WORK/fwd-$1.eml" "Delivered-To: support@corp.example" \
	    "From: Customer $1 <customer$1@example.net>" "To: support@corp.example" \
	    "Subject: question $1"
	send_smtp "$MTA_PORT" "customer$1@example.net" consultant@fti.example "$FG_WORK/fwd-$1.eml"
	make_message "$FG_WORK/reply-$1.eml" "From: Support <support@corp.example>" \
	    "To: Customer $1 <customer$1@example.net>" "Subject: Re: question $1"
	send_smtp "$MTA_PORT" support@corp.example "customer$1@example.net" "$FG_WORK/reply-$1.eml"
}

# run_verify [ARGS]: sets VOUT (stdout and stderr) and VRC.
run_verify() {
	VOUT=$("$AUDIT" -c "$CONF" verify "$@" 2>&1)
	VRC=$?
	FG_GOT="rc=$VRC: $(printf '%s' "$VOUT" | head -n 4 | tr '\n' '|')"
}
verify_ok() { run_verify "$@"; [ "$VRC" = 0 ] && printf '%s\n' "$VOUT" | grep -q ': intact$'; }
# verify_names RE: exit 1 and the first problem line matches RE.
verify_names() {
	run_verify
	[ "$VRC" = 1 ] && printf '%s\n' "$VOUT" | head -n 1 | grep -qE -- "$1"
}

# entry N: the stream id and seq of the Nth entry of the trail, one per line.
entry() {
	rcli_raw EVAL "local e = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[1])
local x = e[#e]
for i = 1, #x[2], 2 do if x[2][i] == 'seq' then return {x[1], x[2][i + 1]} end end
return {x[1], ''}" 1 "$REDIS_STREAM" "$1"
}

# rebuild FROM TO [SID FIELD VALUE]: copies stream FROM into TO entry by
# entry with the same ids, giving FIELD of entry SID a new VALUE.
rebuild='redis.call("DEL", KEYS[2])
for _, e in ipairs(redis.call("XRANGE", KEYS[1], "-", "+")) do
  local f = e[2]
  if e[1] == ARGV[1] then
    for i = 1, #f, 2 do if f[i] == ARGV[2] then f[i + 1] = ARGV[3] end end
  end
  redis.call("XADD", KEYS[2], e[1], unpack(f))
end
return redis.call("XLEN", KEYS[2])'

for i in 1 2 3; do send_pair "$i"; done
audit_wait 6 15
check "mail flowed: 6 decisions" expect_eq 6 "$(audit_count)"
check "verify: intact, exit 0" verify_ok
check "verify: one chain, seq 1..6" \
    expect_match 'chain [0-9a-f]{32}: 6 records, seq 1\.\.6' "$VOUT"
check "verify: says where the chain begins" expect_match 'begins at seq 1 .*no chain state' "$VOUT"
check "verify: --host of another host finds nothing" verify_ok --host nosuchhost.example
check "verify: --host of another host: 0 entries" expect_match 'verify: 0 entries' "$VOUT"
fg_verify_anchored() { rcli_raw XRANGE "$ALERTS" - + | grep -qx verify; }
check "verify: anchored its head in the alert stream" fg_verify_anchored
fg_daemon_anchored() { rcli_raw XRANGE "$ALERTS" - + | grep -qx daemon; }
wait_for 8 "the daemon's anchor in the alert stream" fg_daemon_anchored
check "daemon: anchored its head in the alert stream" fg_daemon_anchored
check "daemon: logged its anchor" grep -q 'audit chain anchor (daemon)' "$FWDGUARD_LOG"

# A deleted record is named: its seq, between its neighbours' stream ids.
rcli COPY "$REDIS_STREAM" fwdguard:audit:backup >/dev/null
mapfile -t third < <(entry 3)
rcli XDEL "$REDIS_STREAM" "${third[0]}" >/dev/null
check "XDEL: 5 entries left" expect_eq 5 "$(audit_count)"
check "verify: a deleted record: exit 1 naming seq ${third[1]}" \
    verify_names "^missing: host .* seq ${third[1]}: not in the stream between"
rcli COPY fwdguard:audit:backup "$REDIS_STREAM" REPLACE >/dev/null
check "restored: verify intact again" verify_ok

# An altered record: the stream rebuilt with one value changed.
mapfile -t second < <(entry 2)
n=$(rcli_raw EVAL "$rebuild" 2 "$REDIS_STREAM" fwdguard:audit:forged "${second[0]}" recipient someone@elsewhere.example)
check "alteration: the rebuilt stream has all 6 entries" expect_eq 6 "$n"
rcli RENAME fwdguard:audit:forged "$REDIS_STREAM" >/dev/null
check "alteration: the entry now names another recipient" \
    expect_match someone@elsewhere "$(rcli_raw XRANGE "$REDIS_STREAM" "${second[0]}" "${second[0]}")"
check "verify: an altered record: exit 1 naming ${second[0]} seq ${second[1]}" \
    verify_names "^altered: ${second[0]} host .* seq ${second[1]}: its fields do not match"
# The same with the forged value's own hash in place of the true one: the link breaks.
mapfile -t third < <(entry 3)
rcli_raw EVAL "$rebuild" 2 "$REDIS_STREAM" fwdguard:audit:forged "${second[0]}" hash \
    "$(printf '%064d' 0)" >/dev/null
rcli RENAME fwdguard:audit:forged "$REDIS_STREAM" >/dev/null
check "verify: a rewritten hash: exit 1 naming seq ${third[1]}'s link to seq ${second[1]}" \
    verify_names "altered: ${second[0]} .* seq ${second[1]}"
check "verify: and the broken link of the next record" \
    expect_match "altered: ${third[0]} .*seq ${third[1]}: its prev is not the hash of seq ${second[1]}" "$VOUT"
rcli COPY fwdguard:audit:backup "$REDIS_STREAM" REPLACE >/dev/null
check "restored: verify intact again" verify_ok

# Retention trims the start (XTRIM MINID, as audit.retention does): accepted, and said.
mapfile -t third < <(entry 3)
rcli XTRIM "$REDIS_STREAM" MINID "${third[0]}" >/dev/null
check "retention: XTRIM MINID left 4 entries" expect_eq 4 "$(audit_count)"
check "verify: a trimmed start: intact, exit 0" verify_ok
check "verify: says where the trimmed chain begins" \
    expect_match "begins at seq ${third[1]} \\(${third[0]}\\): the records before it are not in the stream" "$VOUT"
rcli COPY fwdguard:audit:backup "$REDIS_STREAM" REPLACE >/dev/null

# kill -9 while mail flows, restart, more mail: the chain goes on.
(for i in $(seq 10 29); do send_pair "$i"; done) >/dev/null 2>&1 &
flow=$!
wait_for 20 "mail flowing" fg_audit_atleast 12
kill -9 "$FWDGUARD_PID"
fg_wait_pid_gone "$FWDGUARD_PID" 5
FWDGUARD_PID=
wait "$flow"
start_fwdguard "$CONF" || fg_die "restart fwdguard"
for i in 40 41 42; do send_pair "$i"; done
before=$(audit_count)
audit_wait "$before" 10
sleep 1.5
check "after kill -9 and restart: verify intact, exit 0" verify_ok
check "after kill -9 and restart: still one chain" \
    expect_eq 1 "$(printf '%s\n' "$VOUT" | grep -cE '^host .* chain [0-9a-f]{32}: ')"
check "after kill -9 and restart: the chain holds every record" \
    expect_match "chain [0-9a-f]{32}: $(audit_count) records, seq 1\.\.$(audit_count)," "$VOUT"

# The chain's last record deleted: no later seq shows the gap, the anchor does.
mapfile -t last < <(entry "$(audit_count)")
rcli XDEL "$REDIS_STREAM" "${last[0]}" >/dev/null
check "verify: the last record deleted: exit 1 naming seq ${last[1]} against the anchor" \
    verify_names "^missing: host .* seq ${last[1]}\.\.${last[1]}: anchored .* the chain's end was deleted"

# Redis unreadable: a clear error, exit 1.
stop_redis
run_verify
check "verify with Redis down: exit 1" expect_eq 1 "$VRC"
check "verify with Redis down: says so" expect_match 'verify: .*(connect|refused|redis)' "$VOUT"
check "verify: bad option named, exit 2" expect_eq 2 "$("$AUDIT" -c "$CONF" verify --bogus >/dev/null 2>&1; echo $?)"
check "verify: --bogus is named" expect_match 'verify: unknown option --bogus' \
    "$("$AUDIT" -c "$CONF" verify --bogus 2>&1)"
help_out=$("$AUDIT" -c "$CONF" verify --help 2>/dev/null)
help_rc=$?
check "verify --help: exit 0" expect_eq 0 "$help_rc"
check "verify --help: usage on stdout" expect_match 'verify \[--since T\] \[--host H\]' "$help_out"

fg_summary
