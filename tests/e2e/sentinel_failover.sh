#!/bin/bash
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
# Postfix must accept every message, and in the end the new master must
# hold one decision per accepted queue id, no id twice, including every
# decision the dead master had not passed on.  fwdguard-audit reads the
# trail through the sentinels too.
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
STREAM="fwdguard:audit"
AUDIT="$BUILD/fwdguard-audit"

fg_init
start_sink || fg_die "start smtp-sink"
sentinel_world || fg_die "start a Redis master, its replica and three sentinels"
check "sentinels agree on the master" sen_all_say "$SEN_M"

CONF="$FG_WORK/fwdguard.yaml"
fwdguard_config "$CONF" enforce reject
sed -i "s|^  address: .*|  sentinels: $(sentinel_list)\n  master_name: $SEN_MASTER_NAME\n  \
password_file: \"$SEN_PASSFILE\"\n  min_replicas: $MIN_REPLICAS\n  replica_timeout: 0.3|" "$CONF"
SPOOL="$FG_WORK/fwdguard/spool"
config_valid() { "$BUILD/fwdguard" -n -c "$CONF" >&2; }
check "fwdguard -n accepts sentinels with min_replicas" config_valid
start_fwdguard "$CONF" || fg_die "start fwdguard"
start_postfix mta --smtpd-milters "$(fwdguard_milter)" || fg_die "start postfix"
MTA_PORT=${PF_PORT[mta]}

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
		sleep 0.5
	done
}

# spool_drained: the cursor sits at the end of the newest journal.
spool_drained() {
	local seq off last
	read -r seq off <"$SPOOL/cursor" 2>/dev/null || return 1
	last=$(find "$SPOOL" -name 'journal-*' -printf '%f\n' | sort | tail -n 1)
	[ "$last" = "$(printf 'journal-%020d' "$seq")" ] &&
	    [ "$(stat -c %s "$SPOOL/$last")" = "$off" ]
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
accepted_ids=$(sed -nE 's/.*postfix-mta\/qmgr\[[0-9]+\]: ([0-9A-F]+): from=<customer[0-9]+@example\.net>.*/\1/p' \
    "${PF_DIR[mta]}/maillog" | sort -u)
accepted=$(printf '%s\n' "$accepted_ids" | grep -c .)
check "all $TOTAL messages sent without an SMTP error" \
    expect_eq "" "$(cat "$FG_WORK"/sender-*.log | head -n 3)"
check "Postfix accepted all $TOTAL messages" expect_eq "$TOTAL" "$accepted"
check "all $TOTAL reached the mailbox (the sink)" expect_eq "$TOTAL" "$(sink_rcpt_count support@corp.example)"

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

printf '# figures: min_replicas %s, sent %s, accepted %s, records in the new master %s, ' \
    "$MIN_REPLICAS" "$TOTAL" "$accepted" "$records"
printf 'duplicates %s, missing %s, unreplicated at the kill %s (lost %s)\n' \
    "$((dup_ids + dup_qids))" "$missing" "$unreplicated" "$lost"
printf '# figures: kill -9 at %s s, sentinels switched %s s after it, mail done at %s s, ' \
    "$(secs "$t0" "$t_kill")" "$(secs "$t_kill" "$t_failover")" "$(secs "$t0" "$t_sent")"
printf 'spool drained at %s s\n' "$(secs "$t0" "$t_done")"

fg_summary
