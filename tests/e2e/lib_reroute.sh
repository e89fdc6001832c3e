# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/lib_reroute.sh - the world of the reroute scenarios: the sample
# configuration (contrib/fwdguard.yaml) as shipped, with only this
# workspace's socket, user, spool, Redis and sendmail put in and the ldap
# section taken out; Postfix "mta" with fwdguard in smtpd_milters and
# non_smtpd_milters relaying everything to the sink; and the alerts relay
# submitting through that instance's sendmail.  Source lib.sh first.

REROUTE_CONF=
AUDIT="$BUILD/fwdguard-audit"

# reroute_config OUT: the sample configuration for this workspace; fails
# when one of the substitutions found nothing to replace (the sample
# changed: the test must say so, not run on other settings).
reroute_config() {
	local out=$1 src="$FG_REPO/contrib/fwdguard.yaml"
	FWDGUARD_SOCK="$FG_WORK/fwdguard/fwdguard.sock"
	mkdir -p "$FG_WORK/fwdguard"
	sed -e "s|^  socket: unix:[^ ]*|  socket: unix:$FWDGUARD_SOCK|" \
	    -e 's|^  user: fwdguard$|  user: postfix|' \
	    -e "s|^  address: 127.0.0.1:6379 .*|  address: 127.0.0.1:$REDIS_PORT|" \
	    -e "s|^  spool: /var/spool/fwdguard .*|  spool: $FG_WORK/fwdguard/spool|" \
	    -e "s|^    sendmail: /usr/sbin/sendmail .*|    sendmail: $FG_WORK/sendmail-wrapper|" \
	    -e '/^ldap:/,/^$/d' -e '/^  routes:$/,/^$/d' "$src" >"$out"
	# The sample's alert routes (a webhook to a chat server, other teams'
	# mail) are not what this test is about, and nothing may leave 127.0.0.1.
	grep -q "unix:$FWDGUARD_SOCK" "$out" && grep -q '^  user: postfix' "$out" &&
	    grep -q "127.0.0.1:$REDIS_PORT" "$out" && grep -q "$FG_WORK/fwdguard/spool" "$out" &&
	    grep -q "$FG_WORK/sendmail-wrapper" "$out" && ! grep -q '^ldap:' "$out" &&
	    ! grep -q '^  routes:' "$out"
}

# reroute_world: Redis, the sink, fwdguard on the sample configuration and
# Postfix "mta" ($MTA_PORT); the relay's sendmail is the instance's.
reroute_world() {
	fg_init
	[ -x "$AUDIT" ] || fg_die "missing $AUDIT (build first)"
	start_redis || fg_die "start redis-server"
	start_sink || fg_die "start smtp-sink"
	REROUTE_CONF="$FG_WORK/fwdguard.yaml"
	reroute_config "$REROUTE_CONF" || fg_die "contrib/fwdguard.yaml: a substitution failed"
	# The daemon checks at start that the command exists; start_postfix
	# makes the instance in $FG_WORK/postfix-mta (PF_DIR[mta]).
	printf '#!/bin/sh\nexec /usr/sbin/sendmail -C "%s" "$@"\n' "$FG_WORK/postfix-mta" \
	    >"$FG_WORK/sendmail-wrapper"
	chmod 755 "$FG_WORK/sendmail-wrapper"
	start_fwdguard "$REROUTE_CONF" || fg_die "start fwdguard"
	start_postfix mta --smtpd-milters "$(fwdguard_milter)" \
	    --non-smtpd-milters "$(fwdguard_milter)" || fg_die "start postfix"
	MTA_PORT=${PF_PORT[mta]}
	[ "${PF_DIR[mta]}" = "$FG_WORK/postfix-mta" ] || fg_die "postfix mta is not in $FG_WORK/postfix-mta"
	FG_LOGS+=("$FG_WORK/relay.log")
}

# relay_once: "fwdguard-audit alerts --once" on the sample configuration.
relay_once() { "$AUDIT" -c "$REROUTE_CONF" alerts --once >>"$FG_WORK/relay.log" 2>&1; }

# sink_message MESSAGE_ID OUT: the first captured message with that
# Message-ID, without the lines smtp-sink puts before it, as a mail server
# that received it would pass it on.
sink_message() {
	local f
	f=$(sink_grep "^Message-ID: <$1>" | head -n 1)
	sed -e '1,/^$/{/^X-[A-Za-z-]*-Args:/d;/^X-Client-/d;/^X-Helo-/d}' "${f:-/dev/null}" >"$2"
	chmod 644 "$2"
}

# notices: mails at the sink to the mailbox itself that are its notice.
notices() {
	local f n=0
	while IFS= read -r f; do
		sink_file_has_rcpt "$f" support@corp.example &&
		    grep -q '^Subject: Mail of support@corp.example to partner@fti.example was stopped' "$f" &&
		    n=$((n + 1))
	done < <(sink_files)
	echo "$n"
}
notices_are() { [ "$(notices)" -eq "$1" ]; }

# reroute_checks NAME MESSAGE_ID: the rerouted copy and its record.
reroute_checks() {
	local name=$1 id=$2 rec f
	check "$name: nothing reached the outside firm" \
	    expect_eq 0 "$(sink_rcpt_count partner@fti.example)"
	check "$name: no bounce to the customer at the sink" \
	    expect_eq 0 "$(sink_rcpt_count customer@example.net)"
	check "$name: Postfix sent no bounce" fg_not maillog_has mta 'sender non-delivery notification'
	f=$(sink_grep "^Message-ID: <$id>" | head -n 1)
	check "$name: the message reached the reroute_to address" \
	    sink_file_has_rcpt "${f:-/nonexistent}" support+fwdguard@corp.example
	check "$name: the rerouted copy carries the mark" \
	    expect_match '^X-Fwdguard-Rerouted: to=support\+fwdguard@corp\.example; id=[0-9A-Z]{26}; sig=[0-9a-f]{32}' \
	    "$(grep -i '^X-Fwdguard-Rerouted:' "${f:-/nonexistent}" 2>/dev/null)"
	rec=$(audit_find recipient=partner@fti.example | tail -n 1)
	check "$name: record: action reroute" expect_eq reroute "$(audit_field "$rec" action)"
	check "$name: record: rule redirect" expect_eq redirect "$(audit_field "$rec" rule)"
	check "$name: record: outcome rerouted" expect_eq rerouted "$(audit_field "$rec" outcome)"
	check "$name: record names both addresses" expect_eq \
	    "partner@fti.example support+fwdguard@corp.example" \
	    "$(audit_addr "$rec" recipient) $(audit_field "$rec" rerouted_to)"
}
