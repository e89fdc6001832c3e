#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/sentinel_failover.sh - the audit trail survives the loss of its
# Redis master.  A master, one replica and three sentinels (lib_sentinel.sh);
# fwdguard finds the master through the sentinels, with redis.min_replicas 1.
# Mail to a protected mailbox flows in several sessions while:
#   1. replication is cut (the replica gets a wrong masterauth), so the
#      master acknowledges decisions no replica has: WAIT counts 0 and the
#      spool keeps them;
#   2. the master is killed with -9 and the sentinels promote the replica,
#      which lacks those decisions;
#   3. the dead master comes back as a replica of the new one.
# Forwards of the mailbox's mail (flagged, so Postfix accepts them too)
# raise alerts before and after the failover, and the alert relay
# ("fwdguard-audit alerts") follows the master through the sentinels.
# Postfix must accept every message, and in the end the new master must
# hold one decision per accepted queue id, no id twice, including every
# decision the dead master had not passed on, and every alert once, all
# read by the relay.  fwdguard-audit search reads the trail the same way.
#
# MIN_REPLICAS=0 runs the same world without WAIT: the decisions the dead
# master had not replicated are then lost, and the checks on them fail,
# which is what redis.min_replicas is for.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_sentinel.sh"

MIN_REPLICAS=${MIN_REPLICAS:-1}
SESSIONS=4		# client sessions in parallel
CHUNKS=10		# connections per session, one after another
PER_CHUNK=5		# messages per connection
TOTAL=$((SESSIONS * CHUNKS * PER_CHUNK))
FORWARDS=5		# flagged forwards before and again after the failover
STREAM="fwdguard:audit"
AUDIT="$BUILD/fwdguard-audit"

fg_init
start_sink || fg_die "start smtp-sink"
sentinel_world || fg_die "start a Redis master, its replica and three sentinels"
check "sentinels agree on the master" sen_all_say "$SEN_M"

CONF="$FG_WORK/fwdguard.yaml"
fwdguard_config "$CONF" enforce flag
# fwdguard.yaml.in ends with the alerts: section.
cat >>"$CONF" <<END_CONF
  mail:
    to: security@corp.example
    from: fwdguard@corp.example
    sendmail: /usr/sbin/sendmail -C $FG_WORK/postfix-mta
END_CONF
sed -i "s|^  address: .*|  sentinels: $(sentinel_list)\n  master_name: $SEN_MASTER_NAME\n  \
password_file: \"$SEN_PASSFILE\"\n  min_replicas: $MIN_REPLICAS\n  replica_timeout: 0.3|" "$CONF"
SPOOL="$FG_WORK/fwdguard/spool"
config_valid() { "$BUILD/fwdguard" -n -c "$CONF" >&2; }
check "fwdguard -n accepts sentinels with min_replicas" config_valid
start_fwdguard "$CONF" || fg_die "start fwdguard"
start_postfix mta --smtpd-milters "$(fwdguard_milter)" || fg_die "start postfix"
MTA_PORT=${PF_PORT[mta]}
"$AUDIT" -c "$CONF" alerts </dev/null >"$FG_WORK/relay.log" 2>&1 &
RELAY_PID=$!
FG_PIDS+=("$RELAY_PID")
FG_LOGS+=("$FG_WORK/relay.log")

xlen() { sen_cli "$1" XLEN "$STREAM"; }
xlen_atleast() { [ "$(xlen "$1")" -ge "$2" ] 2>/dev/null; }
# stream_ids PORT: the decision ids in that node's stream, sorted.
stream_ids() { sen_cli "$1" XRANGE "$STREAM" - + | awk 'prev == "id" { print } { prev = $0 }' | sort; }
gap_atleast() { [ $(($(xlen "$SEN_M") - $(xlen "$SEN_R"))) -ge "$1" ] 2>/dev/null; }
no_replica() { sen_cli "$SEN_M" INFO replication | grep -q '^connected_slaves:0'; }
unreplicated_arrived() {
	[ -z "$(comm -23 "$FG_WORK/ids-unreplicated" <(stream_ids "$SEN_R"))" ]
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# sender N: CHUNKS connections one after another, PER_CHUNK messages each,
# from customerN@example.net to the protected mailbox.
sender() {
	local c
	for ((c = 0; c < CHUNKS; c++)); do
		smtp-source -s 1 -m "$PER_CHUNK" -l 300 -f "customer$1@example.net" \
		    -t support@corp.example "127.0.0.1:$MTA_PORT" >>"$FG_WORK/sender-$1.log" 2>&1 ||
		    echo "chunk $c failed" >>"$FG_WORK/sender-$1.log"
		sleep 0.8
	done
}

# forwards: FORWARDS copies of support@'s mail to the consultant, in one session.
make_message "$FG_WORK/forward.eml" "Delivered-To: support@corp.example" \
    "From: A Customer <customer@example.net>" "To: support@corp.example" "Subject: a question"
forwards() {
	smtp-source -s 1 -m "$FORWARDS" -F "$FG_WORK/forward.eml" -f customer-fwd@example.net \
	    -t consultant@fti.example "127.0.0.1:$MTA_PORT" >>"$FG_WORK/sender-fwd.log" 2>&1 ||
	    echo "forwards failed" >>"$FG_WORK/sender-fwd.log"
}

# relay_done: on the new master the relay's group (the security team's; the
# relay has a group per channel) has read every alert and has nothing pending.
relay_done() {
	local last read
	last=$(sen_cli "$SEN_R" XREVRANGE fwdguard:alerts + - COUNT 1 | head -n 1)
	read=$(sen_cli "$SEN_R" XINFO GROUPS fwdguard:alerts |
	    awk 'prev == "name" { name = $0 }
	        prev == "last-delivered-id" && name == "relay" { print } { prev = $0 }')
	[ -n "$last" ] && [ "$last" = "$read" ] &&
	    [ "$(sen_cli "$SEN_R" XPENDING fwdguard:alerts relay | head -n 1)" = 0 ]
}

# --- mail flows; replication is cut; the master dies ---------------------------------
t0=$(now)
senders=()
for ((i = 1; i <= SESSIONS; i++)); do
	sender "$i" &
	senders+=("$!")
	FG_PIDS+=("$!")
done
wait_for 30 "40 decisions in the master" xlen_atleast "$SEN_M" 40 ||
    fg_die "decisions do not reach the master"
forwards

sen_cli "$SEN_R" CONFIG SET masterauth wrong-password >/dev/null
sen_cli "$SEN_M" CLIENT KILL TYPE replica >/dev/null
wait_for 5 "the master to lose its replica" no_replica || fg_die "replication not cut"
wait_for 20 "10 decisions only the master holds" gap_atleast 10 ||
    fg_die "no decision acknowledged by the master alone"
stream_ids "$SEN_M" >"$FG_WORK/ids-master"
stream_ids "$SEN_R" >"$FG_WORK/ids-replica"
comm -23 "$FG_WORK/ids-master" "$FG_WORK/ids-replica" >"$FG_WORK/ids-unreplicated"
unreplicated=$(grep -c . "$FG_WORK/ids-unreplicated")

kill -9 "${SEN_NODE_PID[$SEN_M]}"
t_kill=$(now)
sen_cli "$SEN_R" CONFIG SET masterauth "$SEN_PASS" >/dev/null
check "the master is dead" wait_for 5 "the dead master's port to close" fg_not port_open "$SEN_M"
check "decisions acknowledged by the master alone: $unreplicated (at least 10)" \
    test "$unreplicated" -ge 10

wait_for 30 "the sentinels to promote $SEN_R" sen_all_say "$SEN_R"
t_failover=$(now)
check "sentinels promoted the replica" sen_all_say "$SEN_R"
check "the promoted replica is a master" expect_eq master "$(sen_role "$SEN_R")"
forwards
if [ "$MIN_REPLICAS" -ge 1 ]; then
	check "fwdguard logged that WAIT found no replica" \
	    grep -q 'cannot ship to Redis.*redis WAIT: 0 of 1 replicas' "$FWDGUARD_LOG"
	# No replica yet: the decisions reach the new master, the spool keeps them.
	wait_for 15 "the unreplicated decisions in the new master" unreplicated_arrived
	check "re-shipped from the spool: the decisions the dead master alone had" \
	    unreplicated_arrived
	check "without a replica the spool is not drained" fg_not spool_drained
fi

# --- the old master returns as a replica of the new one ---------------------------
start_redis_node "$SEN_M" "$SEN_R" || fg_die "restart the old master as a replica"
wait_for 15 "the old master in sync with the new one" sen_link_up "$SEN_M"
check "the old master is back as a replica" expect_eq slave "$(sen_role "$SEN_M")"

for pid in "${senders[@]}"; do
	wait "$pid"
done
t_sent=$(now)
wait_delivered mta 30
# Every client message (not the relay's alert mail, which no milter sees).
accepted_ids=$(sed -nE 's/.*postfix-mta\/qmgr\[[0-9]+\]: ([0-9A-F]+): from=<customer[^>]*@example\.net>.*/\1/p' \
    "${PF_DIR[mta]}/maillog" | sort -u)
accepted=$(printf '%s\n' "$accepted_ids" | grep -c .)
sent=$((TOTAL + 2 * FORWARDS))
check "all $sent messages sent without an SMTP error" \
    expect_eq "" "$(cat "$FG_WORK"/sender-*.log | head -n 3)"
check "all $((2 * FORWARDS)) forwards accepted (flagged)" expect_eq "$((2 * FORWARDS))" \
    "$(grep -c 'qmgr.*from=<customer-fwd@example\.net>' "${PF_DIR[mta]}/maillog")"
check "Postfix accepted all $sent messages" expect_eq "$sent" "$accepted"
check "all $TOTAL reached the mailbox (the sink)" expect_eq "$TOTAL" "$(sink_rcpt_count support@corp.example)"
check "all $((2 * FORWARDS)) forwards reached the consultant, flagged" expect_eq "$((2 * FORWARDS))" \
    "$(sink_grep '^X-Fwdguard: flag; rule=forwarded-copy' | grep -c .)"

wait_for 30 "$accepted decisions in the new master" xlen_atleast "$SEN_R" "$accepted"
wait_for 15 "the spool to drain" spool_drained
t_done=$(now)
# Time for a duplicate to show up if a re-shipment were to add one.
sleep 1.5
check "the spool is drained" spool_drained
check "fwdguard survived the failover" fwdguard_alive
check "fwdguard logged shipping again" grep -q 'audit: Redis is back' "$FWDGUARD_LOG"
check "fwdguard logged the new master" \
    grep -q "audit: shipping to Redis master 127.0.0.1:$SEN_R (\"$SEN_MASTER_NAME\", from the sentinels)" \
    "$FWDGUARD_LOG"

# --- every decision exactly once in the new master ------------------------------------
"$AUDIT" -c "$CONF" search --json --limit 0 >"$FG_WORK/trail.json" 2>"$FG_WORK/search.err"
check "fwdguard-audit finds the new master through the sentinels" expect_eq 0 "$?"
FG_LOGS+=("$FG_WORK/search.err")
json_field() { sed -nE "s/.*\"$1\":\"([^\"]*)\".*/\1/p" "$FG_WORK/trail.json" | sort; }
records=$(grep -c . "$FG_WORK/trail.json")
rec_qids=$(json_field queue_id)
dup_ids=$(json_field id | uniq -d | grep -c .)
dup_qids=$(printf '%s\n' "$rec_qids" | uniq -d | grep -c .)
missing=$(comm -23 <(printf '%s\n' "$accepted_ids") <(printf '%s\n' "$rec_qids" | sort -u) | grep -c .)
extra=$(comm -13 <(printf '%s\n' "$accepted_ids") <(printf '%s\n' "$rec_qids" | sort -u) | grep -c .)
check "the new master holds $accepted decisions" expect_eq "$accepted" "$records"
check "no accepted queue id without its decision" expect_eq 0 "$missing"
check "no decision for a queue id Postfix did not accept" expect_eq 0 "$extra"
check "no queue id twice" expect_eq 0 "$dup_qids"
check "no decision id twice" expect_eq 0 "$dup_ids"
lost=$(comm -23 "$FG_WORK/ids-unreplicated" <(json_field id) | grep -c .)
check "every decision the dead master had not replicated is in the new master" expect_eq 0 "$lost"
check "XLEN agrees with the reader" expect_eq "$records" "$(xlen "$SEN_R")"

# --- alerts: each once in the new master, all read by the relay ------------------------
alert_ids=$(sen_cli "$SEN_R" XRANGE fwdguard:alerts - + | awk 'prev == "id" { print } { prev = $0 }' | sort)
check "the new master holds one alert per forward" expect_eq "$((2 * FORWARDS))" \
    "$(printf '%s\n' "$alert_ids" | sort -u | grep -c .)"
check "no alert id twice" expect_eq "" "$(printf '%s\n' "$alert_ids" | uniq -d)"
wait_for 15 "the relay to read every alert on the new master" relay_done
check "the relay read every alert on the new master, none pending" relay_done
check "the relay is still running" kill -0 "$RELAY_PID"
wait_for 15 "an alert mail at the sink" sink_has_rcpt security@corp.example
check "the security team got the alert by mail" sink_has_rcpt security@corp.example

printf '# figures: min_replicas %s, sent %s, accepted %s, records in the new master %s, ' \
    "$MIN_REPLICAS" "$sent" "$accepted" "$records"
printf 'duplicates %s, missing %s, unreplicated at the kill %s (lost %s)\n' \
    "$((dup_ids + dup_qids))" "$missing" "$unreplicated" "$lost"
printf '# figures: kill -9 at %s s, sentinels switched %s s after it, mail done at %s s, ' \
    "$(secs "$t0" "$t_kill")" "$(secs "$t_kill" "$t_failover")" "$(secs "$t0" "$t_sent")"
printf 'spool drained at %s s\n' "$(secs "$t0" "$t_done")"

fg_summary
