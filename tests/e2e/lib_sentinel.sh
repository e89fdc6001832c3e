# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/lib_sentinel.sh - a replicated Redis watched by Sentinel, on
# 127.0.0.1, for scenarios where the audit trail must survive the loss of
# its master.  Source lib.sh first, then call sentinel_world after fg_init.
#
# Every node requires the password in $SEN_PASSFILE (fwdguard reads it
# through redis.password_file) and replicates with it, so a scenario can
# cut replication on purpose by giving a replica a wrong masterauth.
# Timings are small so that a failover takes seconds: a master is down
# after 1 s without answers, a failover may take 5 s.

SEN_MASTER_NAME=fwdguard
SEN_PASS=
SEN_PASSFILE=
SEN_PORTS=()		# sentinel ports
declare -A SEN_NODE_PID	# redis-server pid by port

# sen_cli PORT ARGS...: redis-cli --raw on a password-protected node.
sen_cli() {
	local port=$1
	shift
	REDISCLI_AUTH=$SEN_PASS redis-cli -p "$port" --raw "$@" 2>/dev/null
}

# sentinel_cli PORT ARGS...: redis-cli on a sentinel (no password).
sentinel_cli() {
	local port=$1
	shift
	redis-cli -p "$port" --raw "$@" 2>/dev/null
}

# start_redis_node PORT [MASTER_PORT]: a redis-server, a replica of
# 127.0.0.1:MASTER_PORT when given.  Reuses its directory on a restart.
start_redis_node() {
	local port=$1 dir="$FG_WORK/redis-$1"
	local -a repl=()
	[ -n "${2:-}" ] && repl=(--replicaof 127.0.0.1 "$2")
	mkdir -p "$dir"
	# No delay before a full sync: a node that comes back as a replica
	# should hold the data as soon as possible.
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	    --dir "$dir" --logfile "$dir/redis.log" --daemonize no \
	    --requirepass "$SEN_PASS" --masterauth "$SEN_PASS" \
	    --repl-diskless-sync-delay 0 "${repl[@]}" </dev/null >/dev/null 2>&1 &
	SEN_NODE_PID[$port]=$!
	FG_PIDS+=("$!")
	FG_LOGS+=("$dir/redis.log")
	wait_for 10 "redis-server on $port" sen_node_pong "$port"
}

sen_node_pong() { [ "$(sen_cli "$1" PING)" = PONG ]; }

# sen_link_up PORT: the replica on PORT has a live link to its master.
sen_link_up() { sen_cli "$1" INFO replication | grep -q '^master_link_status:up'; }

# sen_role PORT: master, slave, or nothing when it does not answer.
sen_role() { sen_cli "$1" ROLE | head -n 1; }

# start_sentinel MASTER_PORT: one sentinel watching 127.0.0.1:MASTER_PORT
# (quorum 2), its port appended to SEN_PORTS.
start_sentinel() {
	local port dir
	fg_take_port port || return 1
	dir="$FG_WORK/sentinel-$port"
	mkdir -p "$dir"
	# The sentinel rewrites this file: it must be writable and its own.
	cat >"$dir/sentinel.conf" <<EOF
port $port
bind 127.0.0.1
daemonize no
dir $dir
logfile $dir/sentinel.log
sentinel monitor $SEN_MASTER_NAME 127.0.0.1 $1 2
sentinel auth-pass $SEN_MASTER_NAME $SEN_PASS
sentinel down-after-milliseconds $SEN_MASTER_NAME 1000
sentinel failover-timeout $SEN_MASTER_NAME 5000
sentinel parallel-syncs $SEN_MASTER_NAME 1
EOF
	redis-server "$dir/sentinel.conf" --sentinel </dev/null >/dev/null 2>&1 &
	FG_PIDS+=("$!")
	FG_LOGS+=("$dir/sentinel.log")
	SEN_PORTS+=("$port")
	wait_for 10 "sentinel on $port" sen_sentinel_pong "$port"
}

sen_sentinel_pong() { [ "$(sentinel_cli "$1" PING)" = PONG ]; }

# sen_master_port SENTINEL_PORT: the master's port as that sentinel sees it.
sen_master_port() {
	sentinel_cli "$1" SENTINEL get-master-addr-by-name "$SEN_MASTER_NAME" | sed -n 2p
}

# sen_all_say PORT: every sentinel names 127.0.0.1:PORT as the master.
sen_all_say() {
	local s
	for s in "${SEN_PORTS[@]}"; do
		[ "$(sen_master_port "$s")" = "$1" ] || return 1
	done
}

# sen_ready: every sentinel knows the other two and the replica, so the
# quorum can be reached and there is a replica to promote.
sen_ready() {
	local s
	for s in "${SEN_PORTS[@]}"; do
		sentinel_cli "$s" SENTINEL ckquorum "$SEN_MASTER_NAME" | grep -q '^OK 3 usable' ||
		    return 1
		[ "$(sentinel_cli "$s" SENTINEL replicas "$SEN_MASTER_NAME" | grep -c '^slave$')" -ge 1 ] ||
		    return 1
	done
}

# sentinel_world: master on $SEN_M, its replica on $SEN_R, three sentinels;
# returns once the replica is in sync and the sentinels agree.
sentinel_world() {
	SEN_PASS="e2e-$RANDOM$RANDOM"
	SEN_PASSFILE="$FG_WORK/redis.secret"
	printf '%s\n' "$SEN_PASS" >"$SEN_PASSFILE"
	# fwdguard reads it after dropping its privileges to user postfix.
	chown postfix: "$SEN_PASSFILE"
	chmod 600 "$SEN_PASSFILE"
	fg_take_port SEN_M && fg_take_port SEN_R || return 1
	start_redis_node "$SEN_M" || return 1
	start_redis_node "$SEN_R" "$SEN_M" || return 1
	wait_for 15 "replica $SEN_R in sync" sen_link_up "$SEN_R" || return 1
	local i
	for i in 1 2 3; do
		start_sentinel "$SEN_M" || return 1
	done
	wait_for 15 "three sentinels agreeing on the master and its replica" sen_ready
}

# sentinel_list: the YAML flow list of the sentinels, for redis.sentinels.
sentinel_list() {
	local s out=
	for s in "${SEN_PORTS[@]}"; do
		out="$out${out:+, }\"127.0.0.1:$s\""
	done
	printf '[%s]' "$out"
}
