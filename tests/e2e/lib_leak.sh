# shellcheck shell=bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/lib_leak.sh - the leak world, for tests/e2e/leak.sh
# and any scenario that builds on it (alert relay, probes).  Source lib.sh
# first.
#
# The forward fwdguard cannot see: Postfix "mta" delivers corp.example
# locally (mydestination), and a local alias sends support@ on to
# consultant@fti.example; local(8) resubmits it with milters off, so the
# copy reaches the outside world (the sink) unchecked.  What fwdguard does
# see is the Message-ID support@ received, and later the outside firm's
# out-of-office answer that names it.

# leak_world [MODE] [ACTION]: Redis, the sink, fwdguard and Postfix "mta"
# (port $MTA_PORT) with fwdguard in smtpd_milters and non_smtpd_milters,
# local delivery for corp.example and the alias support: consultant@fti.example.
# The security team's mailbox, security@corp.example, is relayed to the sink,
# and the config ($CONF) sends alerts there through this Postfix's sendmail
# and probes from fwdguard-probe@corp.example, for "$AUDIT alerts|probe".
leak_world() {
	fg_init
	start_redis || fg_die "start redis-server"
	start_sink || fg_die "start smtp-sink"
	CONF="$FG_WORK/fwdguard.yaml"
	AUDIT="$BUILD/fwdguard-audit"
	fwdguard_config "$CONF" "${1:-enforce}" "${2:-reject}"
	# fwdguard.yaml.in ends with the alerts: section.
	cat >>"$CONF" <<END_CONF
  mail:
    to: security@corp.example
    from: fwdguard@corp.example
    sendmail: /usr/sbin/sendmail -C $FG_WORK/postfix-mta
probes:
  from: fwdguard-probe@corp.example
END_CONF
	start_fwdguard "$CONF" || fg_die "start fwdguard"
	# Everyone else at corp.example reads mail nobody checks here.  A
	# texthash: table is "key value" (no colon, unlike aliases(5) files).
	printf '%s\n' 'support consultant@fti.example' 'colleague /dev/null' \
	    'fwdguard-probe /dev/null' >"$FG_WORK/aliases"
	printf 'security@corp.example smtp:[127.0.0.1]:%s\n' "$SINK_PORT" >"$FG_WORK/transport"
	touch -d '-1 min' "$FG_WORK/aliases" "$FG_WORK/transport"
	start_postfix mta --smtpd-milters "$(fwdguard_milter)" \
	    --non-smtpd-milters "$(fwdguard_milter)" \
	    --set "mydestination = corp.example" \
	    --set "alias_maps = texthash:$FG_WORK/aliases" \
	    --set "transport_maps = texthash:$FG_WORK/transport" \
	    --set "local_recipient_maps =" ||
	    fg_die "start postfix"
	MTA_PORT=${PF_PORT[mta]}
}

# corr_field MESSAGE_ID FIELD: a field of the correlation record in Redis.
corr_field() { rcli_raw HGET "fwdguard:msg:$1" "$2"; }
corr_exists() { [ "$(rcli_raw EXISTS "fwdguard:msg:$1")" = 1 ]; }

# alert_records: the alerts stream, one entry per line, like audit_records.
alert_records() {
	REDIS_STREAM=fwdguard:alerts audit_records
}

# alert_find FIELD=VALUE...: alert records matching every field.
alert_find() {
	local rec kv ok
	while IFS= read -r rec; do
		ok=1
		for kv in "$@"; do
			[ "$(audit_field "$rec" "${kv%%=*}")" = "${kv#*=}" ] || { ok=0; break; }
		done
		[ "$ok" = 1 ] && printf '%s\n' "$rec"
	done < <(alert_records)
}
alert_has() { [ -n "$(alert_find "$@")" ]; }
alerts_atleast() { [ "$(rcli_raw XLEN fwdguard:alerts)" -ge "$1" ] 2>/dev/null; }

# leak_play_forward_and_ooo [OOO_SENDER]: the colleague's message to
# support@ (its Message-ID in LEAK_COLLEAGUE_ID) goes out to the consultant
# through the alias; then the consultant's out-of-office answer, from
# OOO_SENDER (default "<>", the null sender; or the mailbox address), comes
# back to the colleague (its Message-ID in LEAK_OOO_ID).  Returns non-zero
# when a step did not happen in time.
LEAK_COLLEAGUE_ID=
LEAK_OOO_ID=
leak_play_forward_and_ooo() {
	local sender=${1:-<>} msg="$FG_WORK/colleague-$RANDOM.eml" before
	LEAK_COLLEAGUE_ID="colleague.$(date +%s%N).$RANDOM@corp.example"
	make_message "$msg" \
	    "From: A Colleague <colleague@corp.example>" \
	    "To: support@corp.example" \
	    "Subject: customer 4711 called about the invoice" \
	    "Message-ID: <$LEAK_COLLEAGUE_ID>"
	before=$(sink_rcpt_count consultant@fti.example)
	send_smtp "$MTA_PORT" colleague@corp.example support@corp.example "$msg"
	case "$SMTP_REPLY" in 250*) ;; *) return 1 ;; esac
	wait_for 15 "the alias copy at the consultant" \
	    sink_rcpt_is consultant@fti.example "$((before + 1))" || return 1

	LEAK_OOO_ID="ooo.$(date +%s%N).$RANDOM@fti.example"
	msg="$FG_WORK/ooo-$RANDOM.eml"
	make_message "$msg" \
	    "From: Consultant <consultant@fti.example>" \
	    "To: colleague@corp.example" \
	    "Subject: Out of Office: customer 4711 called about the invoice" \
	    "Auto-Submitted: auto-replied" \
	    "In-Reply-To: <$LEAK_COLLEAGUE_ID>" \
	    "References: <$LEAK_COLLEAGUE_ID>" \
	    "Message-ID: <$LEAK_OOO_ID>"
	send_smtp "$MTA_PORT" "$sender" colleague@corp.example "$msg"
	case "$SMTP_REPLY" in 250*) ;; *) return 1 ;; esac
	wait_for 10 "the decision on the out-of-office answer" \
	    audit_has message_id="$LEAK_OOO_ID"
}
