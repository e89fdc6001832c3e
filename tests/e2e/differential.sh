#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Differential test against Postfix (tests/README): thousands of envelope
# recipient forms from tests/diff/gen-recipients go through two real Postfix
# instances with fwdguard in monitor mode and audit scope all.  Postfix's
# transport_maps send the internal domains to an "internal" sink and
# everything else to an "outside" sink; bounces go to a third.  Where
# Postfix really delivered (or refused) each form is compared with the
# destination fwdguard recorded for it.
#   relay  the egress shape: no local domains, the internal domains are
#          relayed as they are (percent hack and bang paths not applied).
#   final  the internal domains are Postfix's own (mydestination), so Postfix
#          interprets routed local parts the way the internal server would.
# Required: no form that Postfix delivered outside was judged internal; any
# other disagreement is listed in tests/diff/known-disagreements.
#   DIFF_COUNT  forms to generate (default 6000)
#   DIFF_STRICT strict_rfc821_envelopes of both instances (default no, as
#               Postfix's own default: the most forms reach fwdguard)
. "$(dirname "$0")/lib.sh"

DIFF="$FG_REPO/tests/diff"
COUNT=${DIFF_COUNT:-6000}

# diff_sink NAME VAR: tests/diff/sink logging to $FG_WORK/NAME (offers
# SMTPUTF8, which smtp-sink does not).
diff_sink() {
	local port
	fg_take_port port || return 1
	python3 "$DIFF/sink" "$port" "$FG_WORK/$1" </dev/null >"$FG_WORK/$1.log" 2>&1 &
	FG_PIDS+=("$!")
	FG_LOGS+=("$FG_WORK/$1.log")
	wait_for 10 "sink $1 on port $port" port_open "$port" || return 1
	printf -v "$2" '%s' "$port"
}

# On failure, the logs' tails; the audit stream (thousands of records) and
# every joined row stay in the workspace (KEEP=1): audit, rows.
show_logs() {
	local f
	for f in "${FG_LOGS[@]}"; do
		[ -s "$f" ] || continue
		echo "# --- $f"
		tail -n 20 "$f" | cut -c1-300 | sed 's/^/#   /'
	done
}

fg_init
start_redis || fg_die "start redis-server"
diff_sink internal INTERNAL_PORT || fg_die "start the internal sink"
diff_sink outside OUTSIDE_PORT || fg_die "start the outside sink"
start_sink || fg_die "start the bounce sink (smtp-sink)"
BOUNCE_PORT=$SINK_PORT

fwdguard_config "$FG_WORK/fwdguard.yaml" monitor reject
sed -i -e 's/^  scope: protected/  scope: all/' \
    -e 's/^  internal: \[corp.example, "\*.corp.example"\]/  internal: [corp.example, "*.corp.example", "b\xc3\xbccher.example"]/' \
    "$FG_WORK/fwdguard.yaml"
if ! grep -q 'scope: all' "$FG_WORK/fwdguard.yaml" ||
    ! grep -q 'cher.example' "$FG_WORK/fwdguard.yaml"; then
	fg_die "render the fwdguard configuration"
fi
start_fwdguard "$FG_WORK/fwdguard.yaml" || fg_die "start fwdguard"

# The internal domains of the policy, as a mail administrator lists them.
internal="smtp:[127.0.0.1]:$INTERNAL_PORT"
cat >"$FG_WORK/transport" <<EOF
corp.example		$internal
.corp.example		$internal
xn--bcher-kva.example	$internal
b$(printf '\xc3\xbc')cher.example	$internal
bounces.invalid		smtp:[127.0.0.1]:$BOUNCE_PORT
*			smtp:[127.0.0.1]:$OUTSIDE_PORT
EOF
printf '/(^|\\.)corp\\.example$/ OK\n' >"$FG_WORK/mydestination.re"
touch -d '-1 min' "$FG_WORK/transport" "$FG_WORK/mydestination.re"

common=(--smtpd-milters "$(fwdguard_milter)" --relay "127.0.0.1:$OUTSIDE_PORT"
    --set "transport_maps = texthash:$FG_WORK/transport"
    --set "smtputf8_enable = yes"
    --set "strict_rfc821_envelopes = ${DIFF_STRICT:-no}"
    --set "smtpd_soft_error_limit = 100000"
    --set "smtpd_hard_error_limit = 100000"
    --set "smtpd_error_sleep_time = 0"
    --set "smtpd_junk_command_limit = 100000"
    --set "maximal_queue_lifetime = 0"
    --set "bounce_queue_lifetime = 0")
start_postfix relay "${common[@]}" || fg_die "start postfix relay"
start_postfix final "${common[@]}" \
    --set "mydestination = corp.example, xn--bcher-kva.example, b$(printf '\xc3\xbc')cher.example, regexp:$FG_WORK/mydestination.re" ||
    fg_die "start postfix final"

"$DIFF/gen-recipients" -n "$COUNT" >"$FG_WORK/forms" || fg_die "generate the forms"
nforms=$(grep -vc '^#' "$FG_WORK/forms")
check "generator: at least 5000 forms" test "$nforms" -ge 5000

for inst in relay final; do
	"$DIFF/smtp-send" "$FG_WORK/forms" "${PF_PORT[$inst]}" "$inst" "$FG_WORK/sent-$inst" &
	FG_PIDS+=("$!")
done
wait "${FG_PIDS[-1]}" "${FG_PIDS[-2]}"
for inst in relay final; do
	check "$inst: every form was sent (no connection lost)" \
	    expect_eq "$nforms 0" "$(awk -F'\t' '$2 == "drop" { d++ } END { print NR + 0, d + 0 }' \
	    "$FG_WORK/sent-$inst")"
	wait_delivered "$inst" 120 || fg_die "postfix $inst did not drain its queue"
done
accepted=$(cat "$FG_WORK"/sent-* | awk -F'\t' '$2 ~ /^2/ && $3 != "-"' | wc -l)
audit_wait "$accepted" 60 || fg_die "fwdguard did not record the $accepted accepted recipients"
audit_records >"$FG_WORK/audit"

# The world works: a plain internal and a plain outside form reached the
# sink they should have, through both instances.
for inst in relay final; do
	for want in "support@corp.example internal" "support@evil.test outside"; do
		id=$(awk -F'\t' -v f="<${want% *}>" '$3 == f { print $1 }' "$FG_WORK/forms")
		check "world: $inst delivered <${want% *}> to the ${want#* } sink" \
		    grep -q "ORCPT=rfc822;$inst-$id@diff.test\$" "$FG_WORK/${want#* }"
	done
done

compare=("$DIFF/compare" --forms "$FG_WORK/forms" --audit "$FG_WORK/audit"
    --known "$DIFF/known-disagreements" --bounces "$SINK_DIR"
    --internal "$FG_WORK/internal" --outside "$FG_WORK/outside"
    --sent relay="$FG_WORK/sent-relay" --sent final="$FG_WORK/sent-final")
"${compare[@]}" --rows "$FG_WORK/rows" >"$FG_WORK/compare.out" 2>&1
rc=$?
# The table of counts and every disagreement class, for the CI log.
sed 's/^/# /' "$FG_WORK/compare.out"
check "compare: every accepted form joined to its fwdguard record" \
    grep -q 'join errors: 0$' "$FG_WORK/compare.out"
check "compare: no form Postfix delivered outside was judged internal" \
    grep -q 'forbidden: 0,' "$FG_WORK/compare.out"
check "compare: every other disagreement is in tests/diff/known-disagreements" \
    test "$rc" -eq 0
"${compare[@]}" --inject-leak >"$FG_WORK/compare-leak.out" 2>&1
check "compare: fails when one outside delivery is judged internal (test of the test)" \
    expect_eq "1 1" "$? $(grep -c 'outside internal .* FORBIDDEN' "$FG_WORK/compare-leak.out")"

fg_summary
