# SPDX-License-Identifier: BSD-2-Clause
# lib_sendmail.sh - a private Sendmail for the end-to-end scenarios.
#
# Debian's sendmail-bin conflicts with Postfix, so it is never installed:
# its package and sendmail-cf's are unpacked (dpkg-deb -x) into a
# directory and the binary runs from there, as root, with every path of
# its configuration (queue, pid file, aliases, service switch) inside the
# scenario's workspace.  tests/setup-debian leaves the packages in
# $SM_DEBS; without them the scenario downloads them (apt-get download),
# and skips, saying why, only when neither works.
#
# Sendmail will not start without a fully qualified name for its host (it
# sleeps and retries), so it runs in its own UTS and mount namespaces
# (unshare) with the host name mta.e2e.test, an /etc/hosts that names it
# on 127.0.0.1, an nsswitch.conf that reads only files and a resolv.conf
# that points at 127.0.0.1: no DNS query leaves the machine.
#
# sm_unpack        unpacks sendmail-bin, sendmail-base and sendmail-cf
# start_sendmail   builds sendmail.cf from contrib/sendmail/fwdguard.mc
#                  and a test mc, starts the daemon on SM_PORT, relaying
#                  everything to the smtp-sink
# sm_mailq_quarantined   the quarantined queue ("mailq -qQ")

SM_DEBS=${SM_DEBS:-/var/cache/fwdguard-tests/sendmail}
SM_ROOT=
SM_BIN=
SM_CF=
SM_PORT=
SM_SKIP=

sm_unpack() {
	local debs=$SM_DEBS pkg f
	SM_ROOT="$FG_WORK/sendmail-root"
	mkdir -p "$SM_ROOT"
	if ! ls "$debs"/sendmail-bin_*.deb >/dev/null 2>&1; then
		debs="$FG_WORK/sendmail-debs"
		mkdir -p "$debs"
		(cd "$debs" && apt-get download sendmail-bin sendmail-base sendmail-cf) \
		    >"$FG_WORK/sendmail-download.log" 2>&1
	fi
	for pkg in sendmail-bin sendmail-base sendmail-cf; do
		f=$(ls "$debs/${pkg}"_*.deb 2>/dev/null | head -n 1)
		if [ -z "$f" ]; then
			SM_SKIP="no $pkg package in $SM_DEBS and apt-get download failed"
			return 1
		fi
		dpkg-deb -x "$f" "$SM_ROOT" || { SM_SKIP="cannot unpack $f"; return 1; }
	done
	SM_BIN="$SM_ROOT/usr/libexec/sendmail/sendmail"
	[ -x "$SM_BIN" ] || { SM_SKIP="no sendmail binary in sendmail-bin"; return 1; }
	command -v m4 >/dev/null || { SM_SKIP="m4 is not installed"; return 1; }
	mkdir -p "$FG_WORK/sendmail-etc"
	printf '127.0.0.1 mta.e2e.test mta localhost\n::1 localhost\n' >"$FG_WORK/sendmail-etc/hosts"
	printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' \
	    >"$FG_WORK/sendmail-etc/nsswitch.conf"
	printf 'nameserver 127.0.0.1\n' >"$FG_WORK/sendmail-etc/resolv.conf"
	unshare --uts --mount true >"$FG_WORK/sendmail-probe.log" 2>&1 ||
	    { SM_SKIP="no UTS+mount namespace here: $(tail -n 1 "$FG_WORK/sendmail-probe.log")"; return 1; }
}

# sm_run ARGS...: the unpacked sendmail in its namespaces (see above).
sm_run() {
	unshare --uts --mount sh -c 'hostname mta.e2e.test &&
	    for f in hosts nsswitch.conf resolv.conf; do
		mount --bind "$0/$f" "/etc/$f" || exit 1
	    done && exec "$@"' \
	    "$FG_WORK/sendmail-etc" "$SM_BIN" ${SM_CF:+-C "$SM_CF"} "$@"
}

# start_sendmail SOCKET: Sendmail on 127.0.0.1:SM_PORT with fwdguard's
# milter lines from contrib/sendmail/fwdguard.mc (socket replaced by
# SOCKET: a unix socket's path, or a Sendmail spec inet:PORT@127.0.0.1),
# relaying every domain to the smtp-sink.
start_sendmail() {
	local sock=$1 w="$FG_WORK/sendmail" cf="$SM_ROOT/usr/share/sendmail/cf" smpid=
	case $sock in
	inet:*) ;;
	*) sock="local:$sock" ;;
	esac
	fg_take_port SM_PORT || return 1
	mkdir -p "$w/mqueue"
	chmod 700 "$w/mqueue"
	: >"$w/aliases"
	: >"$w/statistics"
	echo mta.e2e.test >"$w/local-host-names"
	printf 'hosts files\naliases files\n' >"$w/service.switch"
	{
		printf 'divert(-1)\ninclude(`%s/m4/cf.m4'"'"')\ndivert(0)dnl\n' "$cf"
		cat <<MC
VERSIONID(\`fwdguard e2e')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mta.e2e.test')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`QUEUE_DIR', \`$w/mqueue')dnl
define(\`confPID_FILE', \`$w/sendmail.pid')dnl
define(\`ALIAS_FILE', \`$w/aliases')dnl
define(\`STATUS_FILE', \`$w/statistics')dnl
define(\`confCW_FILE', \`$w/local-host-names')dnl
define(\`confSERVICE_SWITCH_FILE', \`$w/service.switch')dnl
define(\`confHOST_STATUS_DIRECTORY', \`')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`SMART_HOST', \`esmtp:[127.0.0.1]')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $SINK_PORT')dnl
define(\`confTO_CONNECT', \`5s')dnl
define(\`confDELIVERY_MODE', \`background')dnl
define(\`confLOG_LEVEL', \`14')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`promiscuous_relay')dnl
FEATURE(\`accept_unresolvable_domains')dnl
DAEMON_OPTIONS(\`Port=$SM_PORT, Addr=127.0.0.1, Name=MTA')dnl
MC
		# The shipped lines, with this workspace's socket.
		sed -e "s|S=local:[^,]*,|S=$sock,|" \
		    "$FG_REPO/contrib/sendmail/fwdguard.mc"
		printf 'MAILER(`local'"'"')dnl\nMAILER(`smtp'"'"')dnl\n'
	} >"$w/sendmail.mc"
	m4 "$w/sendmail.mc" >"$w/sendmail.cf" 2>"$w/m4.log" || return 1
	SM_CF="$w/sendmail.cf"
	# -bD: the daemon in the foreground; -O LogLevel goes to syslog, the
	# -X trace file keeps the SMTP side for show_logs, and -d64.20 writes
	# Sendmail's milter trace into SM_MILTER_TRACE: the lists a milter gave
	# ("milter_getsymlist"), each packet written ("milter_write(NAME): cmd
	# C, len N"; a macro packet is cmd D) and each macro that had a value
	# ("milter_send_macros(NAME, STEP): NAME=VALUE").
	SM_MILTER_TRACE="$w/milter.trace"
	sm_run -bD -X "$w/smtp.trace" -D "$SM_MILTER_TRACE" -d64.20 </dev/null \
	    >"$w/sendmail.out" 2>&1 &
	FG_PIDS+=("$!")
	FG_LOGS+=("$w/sendmail.out" "$w/m4.log" "$w/smtp.trace" "$SM_MILTER_TRACE")
	wait_for 10 "sendmail on port $SM_PORT" port_open "$SM_PORT" || return 1
	# The pid of that "&" is a subshell (sm_run is a function); the daemon
	# is its child and outlived it at cleanup.  Its own pid is in its pid file.
	wait_for 5 "sendmail's pid file" test -s "$w/sendmail.pid" &&
		read -r smpid <"$w/sendmail.pid"
	case $smpid in
	''|*[!0-9]*) echo "# no pid in $w/sendmail.pid" >&2; return 1 ;;
	esac
	FG_PIDS+=("$smpid")
	fg_log "sendmail on $SM_PORT (pid $smpid)"
}

# The quarantined queue, as "mailq -qQ" prints it.
sm_mailq_quarantined() { sm_run -bp -qQ 2>&1; }
# Every queue file of the quarantine (hf...: quarantined qf files).
sm_quarantine_count() { find "$FG_WORK/sendmail/mqueue" -name 'hf*' | wc -l; }

# sm_world [inet]: the workspace, Redis, the smtp-sink, fwdguard (enforce,
# forwards rejected; on TCP with "inet") and Sendmail in front of it.  Where
# Sendmail cannot run, the scenario ends here with a skip line.
sm_world() {
	fg_init
	if ! sm_unpack; then
		echo "# skip: Sendmail cannot run here: $SM_SKIP"
		exit 0
	fi
	start_redis || fg_die "start redis-server"
	start_sink || fg_die "start smtp-sink"
	local inet=0
	[ "${1:-}" = inet ] && inet=1
	FG_MILTER_INET=$inet fwdguard_config "$FG_WORK/fwdguard.yaml" enforce reject
	start_fwdguard "$FG_WORK/fwdguard.yaml" || fg_die "start fwdguard"
	if [ -n "$FWDGUARD_PORT" ]; then
		start_sendmail "inet:$FWDGUARD_PORT@127.0.0.1" || fg_die "start sendmail"
	else
		start_sendmail "$FWDGUARD_SOCK" || fg_die "start sendmail"
	fi
}

# sm_forward_refused MSG: the customer's message MSG, sent through Sendmail
# to the outside consultant, is refused with a reference id; sets SM_REF
# (that id) and SM_REC (the audit record for the consultant, once there).
sm_forward_refused() {
	send_smtp "$SM_PORT" customer@example.net consultant@fti.example "$1"
	SM_REF=$(smtp_ref)
	check "forward: Sendmail answers 550 5.7.1" expect_match '^550[ -]5\.7\.1 ' "$SMTP_REPLY"
	check "forward: the reply carries a ref id" test -n "$SM_REF"
	audit_wait 1 10
	SM_REC=$(audit_find recipient=consultant@fti.example | head -n 1)
}

# sm_reply_passes: support@ answers the customer through Sendmail; not a
# forward, it is accepted, delivered and recorded (the audit's 2nd record).
sm_reply_passes() {
	local msg="$FG_WORK/reply.eml" rec
	make_message "$msg" \
	    "From: Support <support@corp.example>" \
	    "To: Customer <customer@example.net>" \
	    "Subject: Re: my contract"
	send_smtp "$SM_PORT" support@corp.example customer@example.net "$msg"
	check "reply: Sendmail accepts it" expect_match '^250 ' "$SMTP_REPLY"
	wait_for 20 "the reply at the sink" sink_has_rcpt customer@example.net
	check "reply: the customer got it" expect_eq 1 "$(sink_rcpt_count customer@example.net)"
	check "sink: the consultant got nothing" expect_eq 0 "$(sink_rcpt_count consultant@fti.example)"
	audit_wait 2 10
	rec=$(audit_find recipient=customer@example.net | head -n 1)
	check "reply: a record for the customer" test -n "$rec"
	check "reply: action=accept" expect_eq accept "$(audit_field "$rec" action)"
}
