# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/lib_ldap.sh - a private slapd on 127.0.0.1 for the directory
# scenarios and the demo.  Source it after lib.sh and fg_init:
#
#   start_slapd              slapadd of fixtures/directory.ldif, then slapd
#   stop_slapd / freeze_slapd / thaw_slapd   the directory's failure modes
#   ldap_modify              ldapmodify as the directory's administrator
#   start_postfix_ldap NAME  Postfix with virtual_alias_maps = ldap:
#   fwdguard_ldap_config OUT fwdguard's e2e config with an ldap: section
#   demo_directory_case      the whole case, narrated, for the demo
#
# slapd runs in the foreground of a background job (-d 0), so its pid is the
# one lib.sh's cleanup kills; its database and config stay in $FG_WORK/slapd
# across stop/start so a restart serves the modified directory.

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# tests/e2e/run executes every *.sh; this file only defines helpers.
	exit 0
fi

LDAP_BASE="dc=corp,dc=example"
LDAP_ADMIN_DN="cn=admin,$LDAP_BASE"
LDAP_ADMIN_PW="e2e-admin-secret"
LDAP_BIND_DN="cn=fwdguard,ou=services,$LDAP_BASE"
LDAP_BIND_PW="fwdguard-e2e-secret"	# as in fixtures/directory.ldif
LDAP_GROUP="cn=protected-mailboxes,ou=groups,$LDAP_BASE"
LDAP_PORT=
LDAP_PID=
LDAP_DIR=
LDAP_FROZEN=

# slapd_conf DIR: a slapd.conf with the stock schemas, the test schema for
# mailForwardingAddress, back_mdb and memberof.  Only the fwdguard service
# account (and the rootdn) may read entries, so every client is proven to
# bind as it was configured to.  LDAP_SYNCPROV=1 adds the syncprov overlay
# (RFC 4533 Content Synchronization, for fwdguard-audit watch).
LDAP_SYNCPROV=
slapd_conf() {
	local dir=$1 s sync_module= sync_index= sync_overlay=
	if [ -n "$LDAP_SYNCPROV" ]; then
		sync_module="moduleload syncprov"
		sync_index="index entryCSN,entryUUID eq"
		sync_overlay="overlay syncprov"
	fi
	for s in core cosine inetorgperson nis misc; do
		printf 'include /etc/ldap/schema/%s.schema\n' "$s"
	done
	cat <<EOF
include $FG_FIXTURES/fwdguard-test.schema
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
$sync_module
database mdb
maxsize 16777216
suffix "$LDAP_BASE"
rootdn "$LDAP_ADMIN_DN"
rootpw $LDAP_ADMIN_PW
directory $dir/db
index objectClass eq
index mail,mailAlternateAddress eq
$sync_index
overlay memberof
$sync_overlay
access to attrs=userPassword
	by anonymous auth
	by * none
access to *
	by dn.exact="$LDAP_BIND_DN" read
	by * none
EOF
}

# shellcheck disable=SC2120 # LDIF is optional
# start_slapd [LDIF]: the first call builds the database from LDIF (default
# fixtures/directory.ldif); later calls restart slapd on the same port and
# database.  Waits (bounded) until a search as the service account answers.
start_slapd() {
	local ldif=${1:-$FG_FIXTURES/directory.ldif}
	if [ -z "$LDAP_DIR" ]; then
		LDAP_DIR="$FG_WORK/slapd"
		mkdir -p "$LDAP_DIR/db"
		fg_take_port LDAP_PORT || return 1
		slapd_conf "$LDAP_DIR" >"$LDAP_DIR/slapd.conf"
		if ! slapadd -f "$LDAP_DIR/slapd.conf" -l "$ldif" \
		    >"$LDAP_DIR/slapadd.log" 2>&1; then
			echo "# slapadd of $ldif failed:" >&2
			sed 's/^/#   /' "$LDAP_DIR/slapadd.log" >&2
			return 1
		fi
		FG_LOGS+=("$LDAP_DIR/slapd.log")
		fg_ldap_trap
	fi
	slapd -f "$LDAP_DIR/slapd.conf" -h "ldap://127.0.0.1:$LDAP_PORT/" -d 0 \
	    </dev/null >>"$LDAP_DIR/slapd.log" 2>&1 &
	LDAP_PID=$!
	FG_PIDS+=("$LDAP_PID")
	if ! wait_for 15 "slapd on port $LDAP_PORT" ldap_ready; then
		sed 's/^/#   /' "$LDAP_DIR/slapd.log" >&2
		return 1
	fi
	fg_log "slapd on $LDAP_PORT (pid $LDAP_PID)"
}

# A frozen slapd ignores lib.sh's SIGTERM until its SIGKILL fallback seconds
# later: thaw it first, keeping the exit status fg_cleanup reports.
fg_ldap_trap() {
	# shellcheck disable=SC2154 # fg_ldap_rc is assigned inside the trap
	trap 'fg_ldap_rc=$?; thaw_slapd; (exit "$fg_ldap_rc"); fg_cleanup' EXIT
}

ldap_uri() { echo "ldap://127.0.0.1:$LDAP_PORT"; }

ldap_ready() {
	ldapsearch -x -H "$(ldap_uri)" -D "$LDAP_BIND_DN" -w "$LDAP_BIND_PW" \
	    -b "$LDAP_BASE" -s base -l 2 -o nettimeout=2 dn >/dev/null 2>&1
}

stop_slapd() {
	[ -n "$LDAP_PID" ] || return 0
	thaw_slapd
	kill "$LDAP_PID" 2>/dev/null
	fg_wait_pid_gone "$LDAP_PID" 10 || kill -9 "$LDAP_PID" 2>/dev/null
	wait "$LDAP_PID" 2>/dev/null
	LDAP_PID=
	wait_for 5 "slapd port $LDAP_PORT to close" fg_not port_open "$LDAP_PORT"
}

# freeze_slapd: connections are still accepted (by the kernel), nothing is
# answered: the slow or hung directory.
freeze_slapd() {
	[ -n "$LDAP_PID" ] || return 1
	kill -STOP "$LDAP_PID" && LDAP_FROZEN=1
}

thaw_slapd() {
	[ -n "$LDAP_FROZEN" ] || return 0
	kill -CONT "$LDAP_PID" 2>/dev/null
	LDAP_FROZEN=
}

# ldap_modify: applies the LDIF on stdin as the directory's administrator.
ldap_modify() {
	ldapmodify -x -H "$(ldap_uri)" -D "$LDAP_ADMIN_DN" -w "$LDAP_ADMIN_PW" \
	    -o nettimeout=5 >>"$LDAP_DIR/ldapmodify.log" 2>&1
}

# ldap_add_member DN: DN joins cn=protected-mailboxes (memberOf follows).
ldap_add_member() {
	printf 'dn: %s\nchangetype: modify\nadd: member\nmember: %s\n' \
	    "$LDAP_GROUP" "$1" | ldap_modify
}

# ldap_delete_attr DN ATTR: removes every value of ATTR from DN.
ldap_delete_attr() {
	printf 'dn: %s\nchangetype: modify\ndelete: %s\n' "$1" "$2" | ldap_modify
}

# ldap_get DN ATTR: the values of ATTR, one a line, as the service account.
ldap_get() {
	ldapsearch -x -LLL -H "$(ldap_uri)" -D "$LDAP_BIND_DN" -w "$LDAP_BIND_PW" \
	    -b "$1" -s base -l 5 -o nettimeout=5 -o ldif-wrap=no "$2" 2>/dev/null |
	    sed -n "s/^$2: //p"
}

# ldap_protect_legal: legal@ becomes protected through the group only.
ldap_protect_legal() {
	ldap_add_member "uid=legal,ou=people,$LDAP_BASE"
}

# ---------------------------------------------------------------------------
# Postfix with an LDAP virtual alias table

# ldap_aliases_cf: a Postfix ldap_table(5) that expands what the directory
# forwards, as the Debian postfix-ldap examples do.
ldap_aliases_cf() {
	cat <<EOF
server_host = $(ldap_uri)
version = 3
search_base = $LDAP_BASE
query_filter = (mail=%s)
result_attribute = mailForwardingAddress
bind = yes
bind_dn = $LDAP_BIND_DN
bind_pw = $LDAP_BIND_PW
timeout = 2
EOF
}

# start_postfix_ldap NAME [start_postfix options]: virtual_alias_maps =
# ldap:$FG_WORK/ldap-aliases.cf (lib.sh writes an empty virtual_alias_maps
# first; Postfix takes the last setting of a parameter), with
# postfix_ldap_domains' setting.
start_postfix_ldap() {
	local name=$1 cf="$FG_WORK/ldap-aliases.cf"
	shift
	ldap_aliases_cf >"$cf"
	touch -d '-1 min' "$cf"
	start_postfix "$name" --set "virtual_alias_maps = ldap:$cf" \
	    --set "$(postfix_ldap_domains)" "$@"
}

# postfix_ldap_domains: the virtual_alias_domains setting beside an ldap:
# virtual_alias_maps.  Left at its default ($virtual_alias_maps),
# trivial-rewrite asks the directory whether corp.example is a virtual
# alias domain (it is not: no entry has that mail), and when slapd is down
# the failed answer stays in each smtpd's address-resolver cache, which
# keeps no time limit: that process answers "451 4.3.0 Temporary lookup
# failure" for the same sender and recipient long after slapd is back
# (Postfix's src/smtpd/smtpd_resolve.c).  Empty is the same domain class
# without the lookup; the aliases still expand in cleanup, and a directory
# outage still fails each RCPT lookup until it is over.
postfix_ldap_domains() { echo "virtual_alias_domains ="; }

# postfix_alias_of ADDR [NAME]: what the ldap table of Postfix NAME (default
# mta) expands ADDR to, asked the way cleanup(8) asks it.
postfix_alias_of() {
	postmap -c "${PF_DIR[${2:-mta}]}" -q "$1" "ldap:$FG_WORK/ldap-aliases.cf" 2>/dev/null
}

# ---------------------------------------------------------------------------
# fwdguard with a directory

# fwdguard_ldap_config OUT: lib.sh's e2e config (directory-forward rule:
# quarantine, alert critical) with an ldap: section for this slapd, a short
# cache so directory changes show within seconds, and the YAML protected
# list replaced by LDAP_PROTECTED (legal@ is protected by the group only).
# LDAP_DOMAIN_FILTER, when set, becomes ldap.domain_filter; LDAP_EXTRA, when
# set, is appended to the ldap section as it is (e.g. a "  watch:" mapping).
LDAP_PROTECTED="support@corp.example, contactfr@corp.example"
LDAP_TIMEOUT=2
LDAP_CACHE_TTL=1
LDAP_DOMAIN_FILTER=
LDAP_EXTRA=
fwdguard_ldap_config() {
	local out=$1 secret="$FG_WORK/fwdguard/ldap.secret" tmp="$1.ldap"
	fwdguard_config "$out" enforce reject || return 1
	printf '%s\n' "$LDAP_BIND_PW" >"$secret"
	# fwdguard reads it after dropping to milter.user (postfix) on reload.
	chown postfix: "$secret"
	chmod 600 "$secret"
	cat >"$tmp" <<EOF
ldap:
  uri: $(ldap_uri)
  starttls: false
  bind_dn: $LDAP_BIND_DN
  bind_password_file: $secret
  base: $LDAP_BASE
  mailbox_filter: "(|(mail=%s)(mailAlternateAddress=%s))"
  forward_attributes: [mailForwardingAddress, mailRoutingAddress]
  protected_filter: "(memberOf=$LDAP_GROUP)"
  timeout: $LDAP_TIMEOUT
  cache: { ttl: $LDAP_CACHE_TTL, negative_ttl: 1 }
  on_error: tempfail
EOF
	[ -z "$LDAP_DOMAIN_FILTER" ] ||
		printf '  domain_filter: "%s"\n' "$LDAP_DOMAIN_FILTER" >>"$tmp"
	[ -z "$LDAP_EXTRA" ] || printf '%s\n' "$LDAP_EXTRA" >>"$tmp"
	awk -v sect="$tmp" -v prot="$LDAP_PROTECTED" '
	/^ *protected:/ { sub(/:.*/, ": [" prot "]") }
	/^redis:/ { while ((getline l < sect) > 0) print l }
	{ print }' "$out" >"$out.new" && mv "$out.new" "$out"
	rm -f "$tmp"
	grep -q '^ldap:' "$out"
}

# fg_ldap_world: Redis, sink, slapd (legal@ in the group), fwdguard with the
# directory, Postfix "mta" expanding aliases from LDAP with fwdguard in
# smtpd_milters.  MTA_PORT is its smtpd port.
fg_ldap_world() {
	start_redis || fg_die "start redis-server"
	start_sink || fg_die "start smtp-sink"
	# shellcheck disable=SC2119 # the default fixture
	start_slapd || fg_die "start slapd"
	ldap_protect_legal || fg_die "add legal@ to $LDAP_GROUP"
	fwdguard_ldap_config "$FG_WORK/fwdguard.yaml" || fg_die "render fwdguard.yaml"
	start_fwdguard "$FG_WORK/fwdguard.yaml" || fg_die "start fwdguard"
	start_postfix_ldap mta --smtpd-milters "$(fwdguard_milter)" ||
	    fg_die "start postfix mta"
	MTA_PORT=${PF_PORT[mta]}
}

# held_ids NAME: queue ids of held messages, one a line.
held_ids() {
	queue_json "$1" | grep '"queue_name": *"hold"' |
	    sed -nE 's/.*"queue_id": *"([^"]+)".*/\1/p'
}

# wait_held NAME N: until at least N messages are held.
wait_held() {
	wait_for "${3:-15}" "$2 held message(s) in postfix $1" fg_held_atleast "$1" "$2"
}
fg_held_atleast() { [ "$(held_count "$1")" -ge "$2" ]; }

# ---------------------------------------------------------------------------
# The demo

# demo_directory_case: plays the support@ case and prints what happened (for
# the lead's demo script).  Call after fg_init and fg_ldap_world; it leaves
# the message held (the narration shows the release command).
demo_directory_case() {
	local msg="$FG_WORK/demo-directory.eml" id rec
	echo "== The directory forwards support@corp.example to:" \
	    "$(ldap_get "uid=support,ou=people,$LDAP_BASE" mailForwardingAddress)"
	echo "   Postfix's ldap table expands it to: $(postfix_alias_of support@corp.example)"
	make_message "$msg" "From: Customer <customer@example.net>" \
	    "To: support@corp.example" "Subject: my new address"
	send_smtp "$MTA_PORT" customer@example.net support@corp.example "$msg"
	echo "== A customer writes to support@: Postfix answers \"$SMTP_REPLY\""
	wait_held mta 1 >/dev/null 2>&1
	id=$(held_ids mta | head -n 1)
	echo "   held in the quarantine (Postfix hold queue): ${id:-nothing}"
	echo "   reached consultant@fti.example: $(sink_rcpt_count consultant@fti.example) message(s)"
	wait_for 10 "the audit record" audit_has signals=directory-forward >/dev/null 2>&1
	rec=$(audit_find signals=directory-forward | tail -n 1)
	echo "== Audit record in Redis:"
	printf '%s\n' "$rec" | tr '\t' '\n' |
	    grep -E '^(id|recipient|mailbox|destination|target|signals|rule|action)=' |
	    sed 's/^/   /'
	echo "== Alert for the security team (fwdguard:alerts):"
	rec=$(REDIS_STREAM=fwdguard:alerts audit_records | tail -n 1)
	echo "   [$(audit_field "$rec" level)] $(audit_field "$rec" summary)"
	if [ -n "$id" ]; then
		echo "== The administrator inspects it: $(postcat -c "${PF_DIR[mta]}" -q "$id" 2>/dev/null |
		    grep -cE '^(original_recipient|recipient): ') recipient line(s) intact; release with:"
		echo "   postsuper -c ${PF_DIR[mta]} -H $id"
	fi
}
