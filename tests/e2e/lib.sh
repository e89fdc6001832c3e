# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/lib.sh - a private mail world on 127.0.0.1 for end-to-end tests,
# the demo and the benchmark: Redis, smtp-sink ("the outside world"), Postfix
# instances, fwdguard, and small assertion helpers.
#
# Source it, then call fg_init once.  Everything lives in one mktemp -d
# workspace ($FG_WORK) that an EXIT trap removes after stopping every process
# this library started (KEEP=1 keeps the workspace for debugging).  Every wait
# is bounded: helpers poll every 0.1 s and give up with a message on stderr.
#
# Output protocol: check() prints "ok - NAME" or "not ok - NAME"; tests/e2e/run
# and ./run-tests count those lines.  Nothing here prints anything else on
# stdout except show_logs and fg_summary; diagnostics go to stderr.
#
# Environment: BUILD (build directory with fwdguard, default <repo>/build),
# KEEP=1, FG_VERBOSE=1 (trace helper steps on stderr).

FG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FG_FIXTURES="$FG_REPO/tests/e2e/fixtures"
: "${BUILD:=$FG_REPO/build}"
case "$BUILD" in /*) ;; *) BUILD="$PWD/$BUILD" ;; esac
export PATH="$PATH:/usr/sbin:/sbin"

FG_WORK=
FG_PIDS=()		# background processes we own (redis, sink, fwdguard, ...)
FG_POSTFIX=()		# config directories of the Postfix instances we started
FG_PORTS=()		# ports handed out, so two helpers never get the same one
FG_PASS=0
FG_FAIL=0
FG_LOGS=()		# files show_logs prints when a check failed

fg_log() {
	[ -n "${FG_VERBOSE:-}" ] || return 0
	printf '# %s %s\n' "$(date +%T.%N | cut -c1-12)" "$*" >&2
}

# fg_die MESSAGE: a scenario cannot go on (its setup failed).
fg_die() {
	printf 'not ok - %s\n' "$*"
	FG_FAIL=$((FG_FAIL + 1))
	show_logs
	exit 1
}

# ---------------------------------------------------------------------------
# Workspace and cleanup

fg_init() {
	FG_WORK=$(mktemp -d "${TMPDIR:-/tmp}/fwdguard-e2e.XXXXXX") ||
	    { echo "cannot create a workspace" >&2; exit 1; }
	# Postfix daemons and fwdguard run as user postfix and must reach their
	# sockets and dump directories below the workspace.
	chmod 755 "$FG_WORK"
	trap fg_cleanup EXIT
	trap 'exit 130' INT
	# tests/e2e/run's timeout sends TERM: say what every process was
	# doing before the cleanup stops them, or a stall leaves no trace.
	trap 'echo "# terminated (the runner'"'"'s timeout?)"; show_logs; exit 143' TERM
	fg_log "workspace $FG_WORK"
}

fg_cleanup() {
	local rc=$? dir pid
	trap - EXIT
	fg_log "cleanup"
	# SIGTERM to each master (what "postfix stop" does, without its
	# checks and its polling), then to our other processes, then wait.
	for dir in "${FG_POSTFIX[@]}"; do
		pid=$(fg_postfix_pid "$dir")
		[ -n "$pid" ] && kill "$pid" 2>/dev/null && FG_PIDS+=("$pid")
	done
	for pid in "${FG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${FG_PIDS[@]}"; do
		fg_wait_pid_gone "$pid" 5 || {
			fg_log "pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) ignored SIGTERM"
			kill -9 "$pid" 2>/dev/null
		}
	done
	if [ -n "${KEEP:-}" ]; then
		echo "# KEEP=1: workspace kept in $FG_WORK" >&2
	elif [ -n "$FG_WORK" ]; then
		rm -rf "$FG_WORK"
	fi
	exit "$rc"
}

fg_wait_pid_gone() {	# PID SECONDS
	local i n=$(($2 * 10))
	for ((i = 0; i < n; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# wait_for SECONDS DESCRIPTION CMD...: polls CMD every 0.1 s.
wait_for() {
	local secs=$1 what=$2 i n
	shift 2
	n=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 10 }')
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "# gave up after ${secs}s waiting for: $what" >&2
	return 1
}

# ---------------------------------------------------------------------------
# Ports

fg_port_listening() {	# PORT: is anything bound to it (any state but closed)?
	local hex
	hex=$(printf ':%04X ' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '{ print $2 " " }' |
	    grep -q -- "$hex"
}

# free_port: prints a TCP port on 127.0.0.1 that nothing uses.
free_port() {
	local p i used
	for ((i = 0; i < 200; i++)); do
		# Below the kernel's ephemeral range (ip_local_port_range, 32768
		# up on Debian), so an outgoing connection's source port never
		# takes the port a server is about to bind.
		p=$((20000 + RANDOM % 12000))
		used=0
		for u in "${FG_PORTS[@]}"; do [ "$u" = "$p" ] && used=1; done
		[ "$used" = 1 ] && continue
		fg_port_listening "$p" && continue
		FG_PORTS+=("$p")
		echo "$p"
		return 0
	done
	echo "# no free port found" >&2
	return 1
}

port_open() {	# PORT: does 127.0.0.1:PORT accept connections?
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port has to record the port in this shell, so callers use it as
# "fg_take_port VAR" instead of "$(free_port)" (a subshell forgets it).
fg_take_port() {
	local _p
	_p=$(free_port) || return 1
	FG_PORTS+=("$_p")
	printf -v "$1" '%s' "$_p"
}

# ---------------------------------------------------------------------------
# Redis

REDIS_PORT=
REDIS_PID=
REDIS_STREAM="fwdguard:audit"
REDIS_ARGS=()	# more redis-server options, e.g. persistence (tests/soak/run)

# shellcheck disable=SC2120 # PORT is optional
# start_redis [PORT]: a throw-away redis-server in the foreground of a
# background job; waits until it answers PING.  Reuses REDIS_PORT on restart.
start_redis() {
	local port=${1:-$REDIS_PORT}
	[ -n "$port" ] || fg_take_port port || return 1
	REDIS_PORT=$port
	mkdir -p "$FG_WORK/redis"
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
	    --dir "$FG_WORK/redis" --logfile "$FG_WORK/redis/redis.log" \
	    --daemonize no "${REDIS_ARGS[@]}" </dev/null >/dev/null 2>&1 &
	REDIS_PID=$!
	FG_PIDS+=("$REDIS_PID")
	FG_LOGS+=("$FG_WORK/redis/redis.log")
	wait_for 10 "redis-server on port $port" redis_ping || return 1
	fg_log "redis on $port (pid $REDIS_PID)"
}

redis_ping() { [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

stop_redis() {
	[ -n "$REDIS_PID" ] || return 0
	kill "$REDIS_PID" 2>/dev/null
	fg_wait_pid_gone "$REDIS_PID" 10 || kill -9 "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
	REDIS_PID=
	# Make sure nothing answers any more before the caller relies on it.
	wait_for 5 "redis port $REDIS_PORT to close" fg_not port_open "$REDIS_PORT"
}

fg_not() { ! "$@"; }

rcli() { redis-cli -p "$REDIS_PORT" --no-raw "$@" 2>/dev/null; }
rcli_raw() { redis-cli -p "$REDIS_PORT" --raw "$@" 2>/dev/null; }

# audit_count: XLEN of the audit stream (0 when absent).
audit_count() { rcli_raw XLEN "$REDIS_STREAM"; }

# audit_records: every entry of the audit stream, one per line, as
# "field=value<TAB>field=value..." (stream id first as "_id=...").  Values
# never contain tabs or newlines in the contract's fields; any that do are
# replaced by spaces so one record stays one line.
audit_records() {
	rcli_raw XRANGE "$REDIS_STREAM" - + | awk '
	function flush() { if (line != "") print line; line = "" }
	# --raw prints: entry id, then field, value, field, value ...
	/^[0-9]+-[0-9]+$/ { flush(); line = "_id=" $0; k = ""; next }
	{ if (k == "") { k = $0 } else { gsub(/\t/, " "); line = line "\t" k "=" $0; k = "" } }
	END { flush() }'
}

# audit_field RECORD FIELD: prints the field's value from one audit_records line.
audit_field() {
	printf '%s\n' "$1" | tr '\t' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# audit_addr RECORD FIELD: an address field without the SMTP angle brackets
# (smtpd passes "<a@b>", sendmail "a@b"; the address is what tests compare).
audit_addr() { audit_field "$1" "$2" | sed -E 's/^<(.*)>$/\1/'; }

# audit_find FIELD=VALUE...: prints the audit_records lines matching every
# given field exactly (addresses compared without angle brackets).
audit_find() {
	local rec kv ok
	while IFS= read -r rec; do
		ok=1
		for kv in "$@"; do
			[ "$(audit_addr "$rec" "${kv%%=*}")" = "${kv#*=}" ] || { ok=0; break; }
		done
		[ "$ok" = 1 ] && printf '%s\n' "$rec"
	done < <(audit_records)
}

# audit_has FIELD=VALUE...: true when at least one record matches.
audit_has() { [ -n "$(audit_find "$@")" ]; }

# fwdguard_decision_ids: every decision id the daemon logged, in order.
fwdguard_decision_ids() {
	sed -nE 's/.* decision id=([^ ]+) .*/\1/p' "$FWDGUARD_LOG"
}

# audit_wait N SECONDS: waits until the stream holds at least N entries.
audit_wait() {
	wait_for "${2:-10}" "$1 audit record(s) in $REDIS_STREAM" fg_audit_atleast "$1"
}
fg_audit_atleast() { [ "$(audit_count)" -ge "$1" ] 2>/dev/null; }

# list_has LIST ITEM: is ITEM one of the comma-separated LIST?
list_has() { case ",$1," in *",$2,"*) return 0 ;; esac; return 1; }

# ---------------------------------------------------------------------------
# smtp-sink: "the outside world"

SINK_PORT=
SINK_DIR=

# start_sink: one capture file per transaction in $SINK_DIR.
start_sink() {
	fg_take_port SINK_PORT || return 1
	SINK_DIR="$FG_WORK/sink"
	mkdir -p "$SINK_DIR"
	chown postfix: "$SINK_DIR"
	# -u is required as root; the dump template's trailing "." is followed
	# by a random hex suffix, so names never collide.
	smtp-sink -u postfix -d "$SINK_DIR/%H%M%S." "127.0.0.1:$SINK_PORT" 100 \
	    </dev/null >"$FG_WORK/sink.log" 2>&1 &
	FG_PIDS+=("$!")
	FG_LOGS+=("$FG_WORK/sink.log")
	wait_for 10 "smtp-sink on port $SINK_PORT" port_open "$SINK_PORT" || return 1
	fg_log "smtp-sink on $SINK_PORT"
}

sink_files() { find "$SINK_DIR" -type f 2>/dev/null | sort; }

# sink_count: number of transactions the sink captured.
sink_count() { sink_files | wc -l; }

# sink_rcpt_count ADDR: how many captured transactions carry RCPT TO:<ADDR>.
sink_rcpt_count() {
	local f n=0
	while IFS= read -r f; do
		sink_file_has_rcpt "$f" "$1" && n=$((n + 1))
	done < <(sink_files)
	echo "$n"
}

sink_file_has_rcpt() {	# FILE ADDR
	grep -i '^X-Rcpt-Args:' "$1" | grep -qiF -- "<$2>"
}

sink_has_rcpt() { [ "$(sink_rcpt_count "$1")" -gt 0 ]; }

# sink_rcpt_is ADDR N: exactly N transactions for ADDR (for wait_for, which
# must get a command, not an already expanded count).
sink_rcpt_is() { [ "$(sink_rcpt_count "$1")" -eq "$2" ]; }

# sink_grep PATTERN: captured files (names) matching an extended regexp.
sink_grep() { sink_files | xargs -r grep -liE -- "$1"; }

sink_show() {
	local f
	while IFS= read -r f; do
		echo "# --- sink: $f"
		sed -n '1,/^$/p' "$f" | sed 's/^/#   /'
	done < <(sink_files)
}

# ---------------------------------------------------------------------------
# Postfix instances

declare -A PF_PORT PF_DIR

# start_postfix NAME [options]: a private Postfix in $FG_WORK/postfix-NAME.
#   --port P              smtpd port (default: a free one; see PF_PORT[NAME])
#   --relay HOST:PORT     relayhost (default: the sink)
#   --smtpd-milters SPEC  smtpd_milters
#   --non-smtpd-milters SPEC
#   --virtual FILE        virtual_alias_maps from FILE's content (texthash:)
#   --virtual-hash FILE   the same as a hash: table built with postmap
#   --set 'key = value'   any other main.cf line (repeatable)
# Postfix daemons log to postlogd over a blocking unix datagram socket.
# With Linux's default queue of 10 datagrams, a master that logs more
# than that before it has spawned postlogd (a busy machine) blocks on its
# own socket for good (wait channel unix_wait_for_peer): no greeting, an
# empty maillog.  A deeper queue lets postlogd start first.
fg_postlog_queue() {
	local f=/proc/sys/net/unix/max_dgram_qlen
	[ -w "$f" ] && [ "$(cat "$f")" -lt 512 ] && echo 512 >"$f" 2>/dev/null
	return 0
}

start_postfix() {
	local name=$1 port='' relay='' smilt='' nmilt='' virt='' vtype=texthash dir
	local -a extra=()
	shift
	fg_postlog_queue
	while [ $# -gt 0 ]; do
		case "$1" in
		--port) port=$2; shift 2 ;;
		--relay) relay=$2; shift 2 ;;
		--smtpd-milters) smilt=$2; shift 2 ;;
		--non-smtpd-milters) nmilt=$2; shift 2 ;;
		--virtual) virt=$2; shift 2 ;;
		--virtual-hash) virt=$2; vtype='hash'; shift 2 ;;
		--set) extra+=("$2"); shift 2 ;;
		*) echo "start_postfix: unknown option $1" >&2; return 1 ;;
		esac
	done
	[ -n "$port" ] || fg_take_port port || return 1
	[ -n "$relay" ] || relay="127.0.0.1:$SINK_PORT"
	dir="$FG_WORK/postfix-$name"
	mkdir -p "$dir/queue" "$dir/data"
	chown postfix: "$dir/data"
	if [ -n "$virt" ]; then
		cp "$virt" "$dir/virtual"
		virt="$vtype:$dir/virtual"
	fi
	fg_postfix_main_cf "$name" "$dir" "$relay" "$smilt" "$nmilt" "$virt" \
	    "${extra[@]}" >"$dir/main.cf"
	fg_postfix_master_cf "$port" >"$dir/master.cf"
	touch "$dir/maillog"
	PF_PORT[$name]=$port
	PF_DIR[$name]=$dir
	FG_LOGS+=("$dir/maillog")
	fg_postfix_queue "$dir/queue"
	# Postfix re-reads a table or main.cf modified within the last
	# second until it is older (a writer might not be done): backdate them.
	touch -d '-1 min' "$dir/main.cf" "$dir/master.cf" "$dir"/virtual 2>/dev/null
	if [ "$vtype" = hash ] && ! postmap -c "$dir" "hash:$dir/virtual" 2>"$dir/postmap.log"; then
		echo "# postmap of $dir/virtual failed:" >&2
		sed 's/^/#   /' "$dir/postmap.log" >&2
		return 1
	fi
	touch -d '-1 min' "$dir"/virtual.db 2>/dev/null
	# master -w returns once the daemon is up; "postfix start" would first
	# run a permission check of the whole installation (seconds).
	if ! /usr/lib/postfix/sbin/master -c "$dir" -w >"$dir/start.log" 2>&1; then
		echo "# postfix $name failed to start:" >&2
		sed 's/^/#   /' "$dir/start.log" "$dir/maillog" >&2
		return 1
	fi
	FG_POSTFIX+=("$dir")
	wait_for 15 "postfix $name smtpd on port $port" port_open "$port" || {
		sed 's/^/#   /' "$dir/maillog" >&2; return 1; }
	fg_log "postfix $name on $port (config $dir)"
}

# fg_postfix_queue DIR: the queue directories with the owners and modes
# Postfix's own installer would give them.
fg_postfix_queue() {
	local d
	mkdir -p "$1/pid"
	for d in active bounce corrupt defer deferred flush hold incoming \
	    private saved trace; do
		install -d -o postfix -g root -m 700 "$1/$d"
	done
	install -d -o postfix -g postdrop -m 730 "$1/maildrop"
	install -d -o postfix -g postdrop -m 710 "$1/public"
}

fg_postfix_main_cf() {	# NAME DIR RELAY SMTPD_MILTERS NON_SMTPD_MILTERS VIRTUAL EXTRA...
	local name=$1 dir=$2 relay=$3 line
	cat <<EOF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-$name
maillog_file = $dir/maillog
maillog_file_prefixes = $FG_WORK
myhostname = $name.mta.test
mydomain = mta.test
myorigin = corp.example
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
relayhost = [${relay%:*}]:${relay##*:}
smtp_dns_support_level = disabled
append_dot_mydomain = no
biff = no
smtputf8_enable = no
milter_default_action = tempfail
smtpd_milters = $4
non_smtpd_milters = $5
virtual_alias_maps = $6
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_connect_timeout = 5s
delay_warning_time = 0
notify_classes =
EOF
	shift 6
	for line in "$@"; do
		printf '%s\n' "$line"
	done
}

fg_postfix_master_cf() {	# PORT
	# chroot "n" everywhere: unix socket paths in main.cf are real paths.
	cat <<EOF
127.0.0.1:$1 inet n - n - - smtpd
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -    - proxymap
smtp      unix  - - n -    - smtp
relay     unix  - - n -    - smtp
showq     unix  n - n -    - showq
error     unix  - - n -    - error
retry     unix  - - n -    - error
discard   unix  - - n -    - discard
local     unix  - n n -    - local
virtual   unix  - n n -    - virtual
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
}

fg_postfix_pid() { tr -d ' ' <"$1/queue/pid/master.pid" 2>/dev/null; }

# postfix_reload NAME: after a scenario changed $PF_DIR[NAME]/main.cf.
postfix_reload() { postfix -c "${PF_DIR[$1]}" reload >/dev/null 2>&1; }

# queue_json NAME: postqueue -j output, one JSON object per queued message.
queue_json() { postqueue -c "${PF_DIR[$1]}" -j 2>/dev/null; }

queue_count() { queue_json "$1" | grep -c '"queue_id"'; }

# held_count NAME: messages in the hold queue (quarantine).
held_count() { queue_json "$1" | grep -c '"queue_name": *"hold"'; }

held_is() { [ "$(held_count "$1")" -eq "$2" ]; }	# NAME N

queue_empty() { [ "$(queue_count "$1")" -eq 0 ]; }

# queue_active_empty NAME: nothing left to deliver (held mail may stay).
queue_active_empty() { [ "$(queue_count "$1")" -eq "$(held_count "$1")" ]; }

# wait_delivered NAME [SECONDS]: until nothing but held mail is queued.
wait_delivered() {
	wait_for "${2:-15}" "queue of postfix $1 to drain" queue_active_empty "$1"
}

# flush_queue NAME: ask for a delivery attempt of deferred mail now.
flush_queue() { postqueue -c "${PF_DIR[$1]}" -f >/dev/null 2>&1; }

# maillog_has NAME ERE: does Postfix's log match?
maillog_has() { grep -qE -- "$2" "${PF_DIR[$1]}/maillog"; }

# ---------------------------------------------------------------------------
# Sending mail

SMTP_RC=	# swaks' exit code of the last send_smtp
SMTP_REPLY=	# the server's last reply (text of the final error or of the
		# end-of-data reply), e.g. "550 5.7.1 ... (ref abc)"
SMTP_LOG=	# swaks' full transcript
FG_NSEND=0

# send_smtp PORT FROM TO[,TO...] MESSAGE_FILE [swaks options...]
send_smtp() {
	local port=$1 from=$2 to=$3 msg=$4
	shift 4
	FG_NSEND=$((FG_NSEND + 1))
	SMTP_LOG="$FG_WORK/swaks-$FG_NSEND.log"
	swaks --server "127.0.0.1:$port" --helo client.test --from "$from" \
	    --to "$to" --data "@$msg" --timeout 30 "$@" </dev/null >"$SMTP_LOG" 2>&1
	SMTP_RC=$?
	# swaks marks server lines "<-" (ok) and "<~"/"<**" (error); the last
	# reply before QUIT's 221 is the one that decided the transaction.
	SMTP_REPLY=$(grep -E '^ *<(-|\*\*|~) ' "$SMTP_LOG" | grep -vE '^ *<.. 221 ' |
	    tail -n 1 | sed -E 's/^ *<(-|\*\*|~) +//')
	fg_log "send_smtp $from -> $to: rc=$SMTP_RC reply: $SMTP_REPLY"
	FG_LOGS+=("$SMTP_LOG")
	return 0
}

# smtp_ref: the decision reference ("ref <id>") in the last SMTP reply.
smtp_ref() { printf '%s\n' "$SMTP_REPLY" | sed -nE 's/.*ref ([^) ]+).*/\1/p'; }

# send_sendmail NAME FROM MESSAGE_FILE TO...: the non_smtpd path (pickup).
send_sendmail() {
	local name=$1 from=$2 msg=$3
	shift 3
	sendmail -C "${PF_DIR[$name]}" -f "$from" -i -- "$@" <"$msg" \
	    >"$FG_WORK/sendmail.log" 2>&1
}

# make_message FILE HEADER... : writes a small message; headers are given
# as "Name: value" arguments, Date and Message-ID are added if missing.
make_message() {
	local file=$1 h
	shift
	{
		for h in "$@"; do printf '%s\n' "$h"; done
		printf '%s\n' "$@" | grep -qi '^Date:' ||
		    printf 'Date: %s\n' "$(LC_ALL=C date -R)"
		printf '%s\n' "$@" | grep -qi '^Message-ID:' ||
		    printf 'Message-ID: <%s.%s@e2e.test>\n' "$(date +%s%N)" "$RANDOM"
		printf '\nThis is a test message.\nCustomer account 0000.\n'
	} >"$file"
}

# support_receives NAME FILE FROM MESSAGE_ID HEADER...: FROM's message
# (FILE, its headers HEADER... and Message-ID) goes to support@corp.example
# through $MTA_PORT; checks that it was accepted and that its correlation
# record reached Redis (fwdguard:msg:MESSAGE_ID).
support_receives() {
	local name=$1 file=$2 from=$3 id=$4
	shift 4
	make_message "$file" "$@" "Message-ID: <$id>"
	send_smtp "$MTA_PORT" "$from" support@corp.example "$file"
	check "$name: mail to support@ accepted" expect_match '^250 ' "$SMTP_REPLY"
	check "$name: its correlation record is in Redis" \
	    wait_for 10 "msg: record of $id" fg_corr_exists "$id"
}
fg_corr_exists() { [ "$(rcli_raw EXISTS "fwdguard:msg:$1")" = 1 ]; }

# ---------------------------------------------------------------------------
# fwdguard

FWDGUARD_PID=
FWDGUARD_LOG=
FWDGUARD_SOCK=
FWDGUARD_PORT=		# set: fwdguard listens on 127.0.0.1:PORT, not on FWDGUARD_SOCK
FWDGUARD_CONF=

# fwdguard_config OUT [MODE] [ACTION]: renders fixtures/fwdguard.yaml.in
# with this workspace's socket, spool and Redis port, the global MODE
# (default enforce) and the forwarded-copy rule's ACTION (default reject).
# With FG_MILTER_INET=1 the milter socket is TCP on 127.0.0.1.
fwdguard_config() {
	local out=$1 mode=${2:-enforce} action=${3:-reject} spec
	FWDGUARD_SOCK="$FG_WORK/fwdguard/fwdguard.sock"
	spec="unix:$FWDGUARD_SOCK"
	if [ "${FG_MILTER_INET:-0}" = 1 ]; then
		fg_take_port FWDGUARD_PORT || return 1
		spec="inet:$FWDGUARD_PORT@127.0.0.1"
	fi
	mkdir -p "$FG_WORK/fwdguard"
	sed -e "s|@SOCKET@|$spec|" \
	    -e "s|@SPOOL@|$FG_WORK/fwdguard/spool|" \
	    -e "s|@REDIS@|127.0.0.1:$REDIS_PORT|" \
	    -e "s|@MODE@|$mode|" -e "s|@ACTION@|$action|" \
	    "$FG_FIXTURES/fwdguard.yaml.in" >"$out"
	# A reply text is a configuration error for actions that send none.
	case "$action" in
	reject|tempfail) ;;
	*) sed -i '/^ *reply: /d' "$out" ;;
	esac
}

# fwdguard_milter: the Postfix milter spec of the running fwdguard.
fwdguard_milter() {
	if [ -n "$FWDGUARD_PORT" ]; then
		echo "inet:127.0.0.1:$FWDGUARD_PORT"
	else
		echo "unix:$FWDGUARD_SOCK"
	fi
}

# start_fwdguard CONF: "$BUILD/fwdguard -f -c CONF" in the background; waits
# for its socket.  Its stderr goes to $FWDGUARD_LOG.
start_fwdguard() {
	# shellcheck disable=SC2034 # for the scenarios (reload.sh)
	FWDGUARD_CONF=$1
	FWDGUARD_LOG="$FG_WORK/fwdguard.log"
	[ -x "$BUILD/fwdguard" ] || { echo "# no $BUILD/fwdguard" >&2; return 1; }
	[ -n "$FWDGUARD_SOCK" ] ||
	    FWDGUARD_SOCK=$(sed -nE 's/^ *socket: *"?unix:([^" ]+).*/\1/p' "$1" | head -n 1)
	mkdir -p "$(dirname "$FWDGUARD_SOCK")"
	rm -f "$FWDGUARD_SOCK"
	"$BUILD/fwdguard" -f -c "$1" </dev/null >>"$FWDGUARD_LOG" 2>&1 &
	FWDGUARD_PID=$!
	FG_PIDS+=("$FWDGUARD_PID")
	FG_LOGS+=("$FWDGUARD_LOG")
	wait_for 10 "fwdguard socket $(fwdguard_milter)" fg_fwdguard_up
	if ! fg_fwdguard_listening || ! fwdguard_alive; then
		echo "# fwdguard did not come up:" >&2
		sed 's/^/#   /' "$FWDGUARD_LOG" >&2
		return 1
	fi
}

# Up, or dead (then waiting longer is pointless).
fg_fwdguard_up() { fg_fwdguard_listening || ! fwdguard_alive; }
fg_fwdguard_listening() {
	if [ -n "$FWDGUARD_PORT" ]; then
		fg_port_listening "$FWDGUARD_PORT"
	else
		test -S "$FWDGUARD_SOCK"
	fi
}

stop_fwdguard() {
	[ -n "$FWDGUARD_PID" ] || return 0
	kill "$FWDGUARD_PID" 2>/dev/null
	fg_wait_pid_gone "$FWDGUARD_PID" 10 || kill -9 "$FWDGUARD_PID" 2>/dev/null
	FWDGUARD_PID=
}

fwdguard_alive() { [ -n "$FWDGUARD_PID" ] && kill -0 "$FWDGUARD_PID" 2>/dev/null; }

# fwdguard_refuses_pidfile CONF PIDFILE: "fwdguard -f -c CONF -P PIDFILE"
# exits non-zero, saying why ("pid file"), without starting to serve.
fwdguard_refuses_pidfile() { fwdguard_refuses "$1" 'pid file' -P "$2"; }

# fwdguard_refuses CONF WHY [ARGS...]: "fwdguard -f -c CONF ARGS" exits
# non-zero, saying WHY, without starting to serve.
fwdguard_refuses() {
	local log="$FG_WORK/start-refused.log" conf=$1 why=$2 rc
	shift 2
	timeout 20 "$BUILD/fwdguard" -f -c "$conf" "$@" </dev/null >"$log" 2>&1
	rc=$?
	FG_GOT="rc $rc: $(tr '\n' ' ' <"$log")"
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "$why" "$log"
}

# reload_fwdguard: SIGUSR1, then waits until the log grew (the daemon says
# something on every reload, success or failure) or 2 s passed.
reload_fwdguard() {
	local before
	before=$(wc -c <"$FWDGUARD_LOG")
	kill -USR1 "$FWDGUARD_PID" 2>/dev/null || return 1
	wait_for 3 "fwdguard to log its reload" fg_file_grew "$FWDGUARD_LOG" "$before"
	sleep 0.2
	fwdguard_alive
}
fg_file_grew() { [ "$(wc -c <"$1")" -gt "$2" ]; }

# journal_lines_end FILE: where a spool journal's lines end, its first NUL
# (the spool writes zeros ahead, milter/trail/spool_write.c), or its size.
journal_lines_end() {
	python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); i = d.find(b"\0"); print(len(d) if i < 0 else i)' "$1"
}

# spool_drained [DIR]: the shipper's cursor sits at the end of the newest
# journal of the spool DIR (default: the usual world's): every record
# written so far is in Redis.  What a check that a record is *not* there
# waits for first, as the shipper lingers between rounds
# (milter/trail/audit.c).
spool_drained() {
	local dir=${1:-${SPOOL:-$FG_WORK/fwdguard/spool}} seq off last
	read -r seq off <"$dir/cursor" 2>/dev/null || return 1
	last=$(find "$dir" -name 'journal-*' -printf '%f\n' | sort | tail -n 1)
	[ "$last" = "$(printf 'journal-%020d' "$seq")" ] &&
	    [ "$(journal_lines_end "$dir/$last")" = "$off" ]
}

# start_nullmilter: starts $BUILD/tests/bench/nullmilter on a unix socket
# if it was built, and sets NULLMILTER_SPEC to its Postfix milter spec (left
# empty without the binary).
start_nullmilter() {
	local sock="$FG_WORK/nullmilter/null.sock" bin="$BUILD/tests/bench/nullmilter"
	NULLMILTER_SPEC=
	[ -x "$bin" ] || return 0
	mkdir -p "$FG_WORK/nullmilter"
	chown postfix: "$FG_WORK/nullmilter"
	"$bin" -p "unix:$sock" </dev/null >"$FG_WORK/nullmilter.log" 2>&1 &
	FG_PIDS+=("$!")
	FG_LOGS+=("$FG_WORK/nullmilter.log")
	wait_for 10 "nullmilter socket" test -S "$sock" || return 1
	chmod 666 "$sock" 2>/dev/null
	# shellcheck disable=SC2034 # for the scripts sourcing this file
	NULLMILTER_SPEC="unix:$sock"
}

# ---------------------------------------------------------------------------
# The usual world

MTA_PORT=

# fg_world [MODE] [ACTION]: the single-instance topology most scenarios use
# (FG_CONF_SED, when set, is a sed script applied to fwdguard's config):
# Redis, the sink, fwdguard (fixtures/fwdguard.yaml.in with MODE and the
# forwarded-copy rule's ACTION) and Postfix "mta" (port $MTA_PORT) with
# fwdguard in smtpd_milters and non_smtpd_milters, relaying to the sink.
fg_world() {
	fg_init
	start_redis || fg_die "start redis-server"
	start_sink || fg_die "start smtp-sink"
	fwdguard_config "$FG_WORK/fwdguard.yaml" "${1:-enforce}" "${2:-reject}"
	[ -z "${FG_CONF_SED:-}" ] || sed -i "$FG_CONF_SED" "$FG_WORK/fwdguard.yaml"
	start_fwdguard "$FG_WORK/fwdguard.yaml" || fg_die "start fwdguard"
	start_postfix mta --smtpd-milters "$(fwdguard_milter)" \
	    --non-smtpd-milters "$(fwdguard_milter)" || fg_die "start postfix"
	# shellcheck disable=SC2034 # for the scenarios
	MTA_PORT=${PF_PORT[mta]}
}

# fg_egress_world [MODE] [ACTION]: Redis, the sink, fwdguard and Postfix
# "out" (the egress, fwdguard in smtpd_milters, relaying to the sink); the
# scenario adds the instance that relays to it (port ${PF_PORT[out]}).
fg_egress_world() {
	fg_init
	start_redis || fg_die "start redis-server"
	start_sink || fg_die "start smtp-sink"
	fwdguard_config "$FG_WORK/fwdguard.yaml" "${1:-enforce}" "${2:-reject}"
	start_fwdguard "$FG_WORK/fwdguard.yaml" || fg_die "start fwdguard"
	start_postfix out --smtpd-milters "$(fwdguard_milter)" || fg_die "start postfix out"
}

# ---------------------------------------------------------------------------
# Checks and summary

# check NAME CMD...: runs CMD; prints "ok - NAME" or "not ok - NAME".
check() {
	local name=$1
	shift
	if "$@"; then
		printf 'ok - %s\n' "$name"
		FG_PASS=$((FG_PASS + 1))
	else
		printf 'not ok - %s\n' "$name"
		FG_FAIL=$((FG_FAIL + 1))
		[ -n "${FG_GOT:-}" ] && printf '#   got: %s\n' "$FG_GOT"
	fi
	FG_GOT=
	return 0
}

# expect_eq WANT GOT: for check; remembers GOT for the failure message.
expect_eq() { FG_GOT="$2 (want $1)"; [ "$1" = "$2" ]; }

# expect_match ERE TEXT
expect_match() { FG_GOT="$2 (want /$1/)"; printf '%s\n' "$2" | grep -qE -- "$1"; }

# show_logs: the tail of every log this run produced (for failures).
show_logs() {
	local f
	for f in "${FG_LOGS[@]}"; do
		[ -s "$f" ] || { [ -e "$f" ] && echo "# --- $f: empty"; continue; }
		echo "# --- $f"
		tail -n 40 "$f" | sed 's/^/#   /'
		# What explains the tail may be older than it (a Postfix table
		# that began to fail minutes before the run was stopped).
		if grep -qE ' (warning|error|fatal|panic): ' "$f"; then
			echo "# --- $f: its last warnings"
			grep -E ' (warning|error|fatal|panic): ' "$f" | tail -n 20 | sed 's/^/#   /'
		fi
	done
	# An instance that logged nothing spawned no postlogd: show what its
	# master is doing (and which children it has) to tell a stalled
	# master from a stalled milter.
	for f in "${FG_POSTFIX[@]}"; do
		local mpid
		mpid=$(fg_postfix_pid "$f")
		echo "# --- postfix $f: master ${mpid:-?}"
		[ -n "$mpid" ] && ps -o pid=,stat=,etime=,wchan:20=,args= -p "$mpid" --ppid "$mpid" 2>&1 |
		    sed 's/^/#   /'
	done
	if [ -n "${FWDGUARD_PID:-}" ]; then
		echo "# --- fwdguard $FWDGUARD_PID: threads"
		ps -L -o tid=,stat=,wchan:24= -p "$FWDGUARD_PID" 2>&1 | sed 's/^/#   /'
	fi
	# A long run's trail and capture are too big to print (tests/soak/run).
	[ -z "${FG_SHOW_LOGS_ONLY:-}" ] || return 0
	echo "# --- audit stream"
	audit_records 2>/dev/null | sed 's/^/#   /'
	sink_show 2>/dev/null
}

# fg_summary: prints the totals, shows logs when something failed, and
# returns non-zero in that case (use as the scenario's last command).
fg_summary() {
	if [ "$FG_FAIL" -gt 0 ]; then
		show_logs
	fi
	printf '# %d passed, %d failed\n' "$FG_PASS" "$FG_FAIL"
	[ "$FG_FAIL" -eq 0 ]
}
