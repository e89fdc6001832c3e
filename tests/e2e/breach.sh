#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/breach.sh - "fwdguard-audit breach" on a story played through a
# real Postfix and Redis.  support@corp.example's mail went to fti.example:
#   left (4)    three copies by a Sieve redirect whose rule was still in
#               monitor mode (Jane twice, one of them to a subdomain; Bob),
#               one copy by a Gmail-style forward that was only flagged and
#               whose From: names nobody;
#   stopped (2) a mailbox rule's copy (Delivered-To, rejected) of Carol's
#               message, a re-sent copy of Dave's message (held);
#   own mail    support@'s reply to a customer, and its answer to the
#               consultant's question: never counted as mail that left;
#   leak        the firm's out-of-office answering a colleague's message
#               to support@ that fwdguard never saw leave (leak-backscatter).
# breach must give exactly: left 4, stopped 2, senders 2 (bob, jane), 1
# message without a readable From:, the targets, the leak evidence with its
# time, the decision and queue ids; the customer's domain holds only the
# reply; an unknown domain is an empty scope (exit 0); usage errors exit 2
# naming the option; a stream Redis cannot read, or Redis down, exits 1.
set -u
. "$(dirname "$0")/lib.sh"

AUDIT="$BUILD/fwdguard-audit"
[ -x "$AUDIT" ] ||
    { echo "not ok - missing $AUDIT (build first)"; echo "# 0 passed, 1 failed"; exit 1; }

fg_init
start_redis || fg_die "start redis-server"
start_sink || fg_die "start smtp-sink"
CONF="$FG_WORK/fwdguard.yaml"
fwdguard_config "$CONF" enforce reject
# Staged rules before the general one: Sieve redirects only recorded
# (monitor), Gmail-style forwards flagged, re-sent copies held.
sed -i '/^  - name: forwarded-copy$/i\
  - name: sieve-staged\
    match: { signals: [sieve-redirect], destination: external }\
    action: reject\
    mode: monitor\
    alert: warning\
  - name: gmail-flag\
    match: { signals: [gmail-forward], destination: external }\
    action: flag\
    alert: warning\
  - name: resent-hold\
    match: { signals: [resent], destination: external }\
    action: quarantine\
    alert: critical' "$CONF"
start_fwdguard "$CONF" || fg_die "start fwdguard"
start_postfix mta --smtpd-milters "$(fwdguard_milter)" \
    --non-smtpd-milters "$(fwdguard_milter)" || fg_die "start postfix"
MTA_PORT=${PF_PORT[mta]}

RUN=$(date +%s).$RANDOM
# copy TAG TRACE FROM RCPT: a copy of a message support@ received, with the
# trace header TRACE, re-sent by support@'s mail server to RCPT.
copy() {
	local msg="$FG_WORK/$1.eml"
	make_message "$msg" "$2" "From: $3" "To: support@corp.example" \
	    "Subject: account question $1" "Message-ID: <$1.$RUN@mail.test>"
	send_smtp "$MTA_PORT" support@corp.example "$4" "$msg"
}

# --- what left ------------------------------------------------------------------
sieve="X-Sieve-Redirected-From: support@corp.example"
copy left1 "$sieve" "Jane Customer <jane@customer.example>" consultant@fti.example
check "left1: delivered (monitor mode)" expect_match '^250 ' "$SMTP_REPLY"
copy left2 "$sieve" "Bob <bob@example.org>" consultant@fti.example
check "left2: delivered (monitor mode)" expect_match '^250 ' "$SMTP_REPLY"
copy left3 "$sieve" "Jane Customer <JANE@customer.example>" archive@mail.fti.example
check "left3: delivered to a subdomain (monitor mode)" expect_match '^250 ' "$SMTP_REPLY"
# A From: naming nobody: an empty group.  (Postfix's cleanup gives a
# missing From: the envelope sender's address, and a bare phrase an
# address at corp.example, before the milter sees them.)
copy left4 "X-Forwarded-For: support@corp.example" "undisclosed-senders:;" consultant@fti.example
check "left4: delivered, flagged" expect_match '^250 ' "$SMTP_REPLY"

# --- what was stopped -------------------------------------------------------------
copy stop1 "Delivered-To: support@corp.example" "Carol <carol@example.com>" consultant@fti.example
check "stop1: rejected" expect_match '^550 ' "$SMTP_REPLY"
copy stop2 "Resent-From: support@corp.example" "Dave <dave@example.net>" partner@fti.example
check "stop2: accepted into hold" expect_match '^250 ' "$SMTP_REPLY"
wait_for 10 "stop2 in the hold queue" held_is mta 1
check "stop2: held" held_is mta 1

# --- the mailbox's own mail -------------------------------------------------------
own() {	# TAG RCPT
	local msg="$FG_WORK/$1.eml"
	make_message "$msg" "From: Customer Service <support@corp.example>" "To: $2" \
	    "Subject: Re: your question" "Message-ID: <$1.$RUN@corp.example>"
	send_smtp "$MTA_PORT" support@corp.example "$2" "$msg"
}
own reply1 jane@customer.example
check "reply to the customer: delivered" expect_match '^250 ' "$SMTP_REPLY"
own reply2 consultant@fti.example
check "answer to the consultant: delivered" expect_match '^250 ' "$SMTP_REPLY"

# --- the leak fwdguard did not see --------------------------------------------------
orig="colleague.$RUN@corp.example"
support_receives "colleague" "$FG_WORK/colleague.eml" colleague@corp.example "$orig" \
    "From: A Colleague <colleague@corp.example>" "To: support@corp.example" \
    "Subject: customer 4711 called"
ooo="$FG_WORK/ooo.eml"
make_message "$ooo" "From: Consultant <consultant@fti.example>" "To: colleague@corp.example" \
    "Subject: Out of Office: customer 4711 called" "Auto-Submitted: auto-replied" \
    "In-Reply-To: <$orig>" "References: <$orig>" "Message-ID: <ooo.$RUN@fti.example>"
send_smtp "$MTA_PORT" "<>" colleague@corp.example "$ooo"
check "the firm's out-of-office: accepted" expect_match '^250 ' "$SMTP_REPLY"

wait_delivered mta
wait_for 15 "the out-of-office's record" audit_has message_id="ooo.$RUN@fti.example"
check "sink: consultant@ got left1, left2, left4 and the answer" \
    expect_eq 4 "$(sink_rcpt_count consultant@fti.example)"
check "sink: archive@mail.fti.example got left3" \
    expect_eq 1 "$(sink_rcpt_count archive@mail.fti.example)"
check "sink: partner@ got nothing" expect_eq 0 "$(sink_rcpt_count partner@fti.example)"
check "sink: left4 carries X-Fwdguard" test -n "$(sink_grep '^X-Fwdguard: flag')"

# The decisions the scope is made of, from the trail itself.
want_ids=() want_qids=()
for tag in left1 left2 left3 left4 stop1 stop2; do
	rec=$(audit_find message_id="$tag.$RUN@mail.test" | head -n 1)
	want_ids+=("$(audit_field "$rec" id)")
	want_qids+=("$(audit_field "$rec" queue_id)")
done
rec=$(audit_find message_id="ooo.$RUN@fti.example" | head -n 1)
check "the out-of-office is leak-backscatter for support@" \
    expect_eq "leak-backscatter support@corp.example" \
    "$(audit_field "$rec" signals) $(audit_field "$rec" mailbox)"
want_ids+=("$(audit_field "$rec" id)")
want_qids+=("$(audit_field "$rec" queue_id)")
leak_ms=$(audit_field "$rec" ts)
leak_time=$(date -u -d "@$((leak_ms / 1000))" +%Y-%m-%dT%H:%M:%SZ)
sorted() { printf '%s\n' "$@" | grep -v '^$' | sort -u | paste -sd, -; }
want_ids=$(sorted "${want_ids[@]}")
want_qids=$(sorted "${want_qids[@]}")

# --- breach, JSON -----------------------------------------------------------------
breach() { "$AUDIT" -c "$CONF" breach "$@"; }
json=$(breach --mailbox support@corp.example --domain fti.example --since -1h --json \
    2>"$FG_WORK/breach.err")
check "breach --json exits 0" expect_eq 0 "$?"
FG_LOGS+=("$FG_WORK/breach.err")
printf '%s\n' "$json" >"$FG_WORK/breach.json"
cp "$FG_WORK/breach.json" "$FG_WORK/breach-fti.json"	# kept with KEEP=1, for reading
# jq KEY...: the values of the JSON object's keys, lists joined with commas.
jq() {
	python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
out = []
for k in sys.argv[2:]:
    v = o[k]
    out.append(",".join(sorted(str(x) for x in v)) if isinstance(v, list) else str(v))
print(" ".join(out))' "$FG_WORK/breach.json" "$@" 2>&1
}
check "json: one object, the contract's keys" expect_eq ok "$(python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
keys = "mailbox domain first last left stopped senders senders_count targets signals leak_evidence decision_ids queue_ids".split()
print("ok" if all(k in o for k in keys) else "missing %s" % [k for k in keys if k not in o])' \
    "$FG_WORK/breach.json" 2>&1)"
check "json: mailbox, domain" expect_eq "support@corp.example fti.example" "$(jq mailbox domain)"
check "json: 4 left, 2 stopped" expect_eq "4 2" "$(jq left stopped)"
check "json: 2 distinct external senders" \
    expect_eq "2 bob@example.org,jane@customer.example" "$(jq senders_count senders)"
check "json: 1 message that left without a readable From:" \
    expect_eq 1 "$(jq messages_without_from)"
check "json: targets" expect_eq \
    "archive@mail.fti.example,consultant@fti.example,partner@fti.example" "$(jq targets)"
signals=$(jq signals)
check "json: signals name the routes" expect_match \
    '(^|,)delivered-to,.*gmail-forward,.*resent,.*sieve-redirect(,|$)' "$signals"
check "json: own mail counted apart" expect_eq 1 "$(jq own_mail)"
check "json: decision ids are those of the story" expect_eq "$want_ids" "$(jq decision_ids)"
check "json: queue ids are those of the story" expect_eq "$want_qids" "$(jq queue_ids)"
check "json: leak evidence from the firm, with its time" \
    expect_eq "1 leak-backscatter consultant@fti.example $orig $leak_time" "$(python3 -c '
import json, sys
l = json.load(open(sys.argv[1]))["leak_evidence"]
print(len(l), l[0]["signals"], l[0]["from"], l[0]["original_message_id"], l[0]["time"])' \
    "$FG_WORK/breach.json" 2>&1)"
first=$(jq first)
check "json: first and last decision" expect_match \
    '^20[0-9-]{8}T[0-9:]{8}Z 20[0-9-]{8}T[0-9:]{8}Z$' "$first $(jq last)"

# --- breach, text -----------------------------------------------------------------
text=$(breach --mailbox SUPPORT@corp.example --domain FTI.example)
check "breach text exits 0" expect_eq 0 "$?"
printf '%s\n' "$text" >"$FG_WORK/breach.txt"
FG_LOGS+=("$FG_WORK/breach.txt")
has() { FG_GOT="no line '$1' in the text"; grep -qF -- "$1" "$FG_WORK/breach.txt"; }
check "text: the mailbox as read (lower case), the domain" \
    has "breach:        support@corp.example -> fti.example and its subdomains"
check "text: left" has "left:          4 messages"
check "text: stopped" has "stopped:       2 messages"
check "text: senders" has "senders:       2 distinct external senders"
check "text: bob listed" has "                 bob@example.org"
check "text: no readable From: counted" has "1 message that left has no readable From:"
check "text: leak sentence with the first evidence" has \
    "leak evidence: mail was reaching fti.example by a route fwdguard does not see, first evidence at $leak_time"
check "text: own mail apart" has "own mail:      1 message of the mailbox's own"
check "text: decision count" has "decisions:     7"
check "text: carol's stopped message is not a sender" fg_not has "carol@example.com"
check "text: no internal sender" fg_not has "internal sender"

# --- other scopes -----------------------------------------------------------------
breach --mailbox support@corp.example --domain customer.example --json >"$FG_WORK/breach.json"
check "customer's domain: only the reply, nothing left" \
    expect_eq "False 0 0 0 1" "$(jq empty left stopped senders_count own_mail)"
out=$(breach --mailbox support@corp.example --domain nobody.example)
check "unknown domain: exit 0" expect_eq 0 "$?"
printf '%s\n' "$out" >"$FG_WORK/breach-empty.txt"
check "unknown domain: empty scope said" expect_match '^empty scope: +no decision of support@corp\.example concerns nobody\.example' "$out"
breach --mailbox support@corp.example --domain nobody.example --json >"$FG_WORK/breach.json"
check "unknown domain: json empty" expect_eq "True 0 0" "$(python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
print(o["empty"], o["left"], len(o["decision_ids"]))' "$FG_WORK/breach.json" 2>&1)"
breach --mailbox support@corp.example --domain fti.example --until 2001-01-01 --json \
    >"$FG_WORK/breach.json"
check "window before the story: empty, nothing read" expect_eq "True 0" "$(python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
print(o["empty"], o["decisions_read"])' "$FG_WORK/breach.json" 2>&1)"

# --- usage errors ---------------------------------------------------------------------
usage_says() {	# WANT ARGS...: exit 2, stderr names WANT
	local want=$1 err rc
	shift
	err=$(breach "$@" 2>&1 >/dev/null)
	rc=$?
	FG_GOT="rc $rc: $err"
	[ "$rc" -eq 2 ] && printf '%s\n' "$err" | head -n 1 | grep -qF -- "$want"
}
check "usage: --domain required" usage_says "--domain is required" --mailbox support@corp.example
check "usage: --mailbox required" usage_says "--mailbox is required" --domain fti.example
check "usage: an address is not a domain" usage_says "--domain" \
    --mailbox support@corp.example --domain consultant@fti.example
check "usage: --limit does not apply" usage_says "--limit" \
    --mailbox support@corp.example --domain fti.example --limit 3
check "usage: --since needs a good time" usage_says "bad time" \
    --mailbox support@corp.example --domain fti.example --since yesterday

# --- a trail that cannot be read is no empty scope ---------------------------------------
rcli SET fwdguard:mailbox:broken@corp.example not-a-stream >/dev/null
breach --mailbox broken@corp.example --domain fti.example >"$FG_WORK/broken.out" 2>"$FG_WORK/broken.err"
check "unreadable stream: exit 1" expect_eq 1 "$?"
check "unreadable stream: Redis's answer said, nothing printed" \
    expect_eq "WRONGTYPE 0" "$(grep -o WRONGTYPE "$FG_WORK/broken.err" | head -n 1) $(wc -c <"$FG_WORK/broken.out")"

# --- Redis down ------------------------------------------------------------------------
stop_redis
breach --mailbox support@corp.example --domain fti.example >/dev/null 2>"$FG_WORK/down.err"
check "Redis down: exit 1" expect_eq 1 "$?"
check "Redis down: says so" expect_match 'fwdguard-audit: .*(onnect|refused)' "$(cat "$FG_WORK/down.err")"

fg_summary
