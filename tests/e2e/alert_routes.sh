#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/alert_routes.sh - alert routing end to end (README.md "Alert
# routing"): real forwarded copies rejected by fwdguard in a private Postfix,
# their alerts relayed by "fwdguard-audit alerts" to the routes of
# alerts.routes, mail counted at smtp-sink, webhooks received by a small
# HTTP server on 127.0.0.1, group membership asked of a private slapd.
#   - expiring exceptions: one reminder to the owner and the mailbox's
#     route, one notice for an expired one, never repeated after a restart;
#   - an HR leak reaches the HR team (an LDAP group) and security, a
#     customer-service leak customer service and security, each once;
#   - a webhook that hangs (route "pager", listed first) delays no mail;
#   - a webhook that answers 500 twice gets each alert exactly once;
#   - dedupe is per route: one route's window closing sends its follow-up
#     and no other's.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_ldap.sh"

AUDIT="$BUILD/fwdguard-audit"
[ -x "$AUDIT" ] || { echo "not ok - missing $AUDIT (build first)"; echo "# 0 passed, 1 failed"; exit 1; }

fg_init
start_redis || fg_die "start redis-server"
start_sink || fg_die "start smtp-sink"
# shellcheck disable=SC2119 # the default fixture
start_slapd || fg_die "start slapd"

# hr@ and its team's group, added while slapd runs so that memberOf follows.
ldap_modify <<EOF || fg_die "add hr@ and cn=hr-team"
dn: uid=hr,ou=people,$LDAP_BASE
changetype: add
objectClass: inetOrgPerson
uid: hr
cn: Human Resources
sn: HR
mail: hr@corp.example

dn: cn=hr-team,ou=groups,$LDAP_BASE
changetype: add
objectClass: groupOfNames
cn: hr-team
member: uid=hr,ou=people,$LDAP_BASE
EOF

# --- the webhook receivers ----------------------------------------------------
# hook.py PORTFILE LOG MODE: MODE fail:N answers 500 to the first N POSTs,
# then 200; hang:S answers after S seconds (the client has given up) until
# PORTFILE.ok exists, then 200 at once.  Each POST is one JSON line in LOG,
# written when it arrives: its number, status, delivery id, the
# Authorization header and the body's "text" (json: "JSON " and its subject).
cat >"$FG_WORK/hook.py" <<'END_HOOK'
import http.server, json, os, sys, threading, time
portfile, log, mode = sys.argv[1:4]
kind, arg = mode.split(':')
arg = int(arg)
lock = threading.Lock()
count = [0]

class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        with lock:
            count[0] += 1
            n = count[0]
        if kind == 'hang':
            status = 200 if os.path.exists(portfile + '.ok') else 'late'
        else:
            status = 500 if n <= arg else 200
        try:
            doc = json.loads(body)
            text = doc['text'] if 'text' in doc else 'JSON ' + doc['subject']
        except Exception:
            text = 'NOT-JSON'
        with lock, open(log, 'a') as f:
            f.write(json.dumps({'n': n, 'status': status,
                                'delivery': self.headers.get('X-Fwdguard-Delivery'),
                                'auth': self.headers.get('Authorization'),
                                'path': self.path,
                                'text': text}) + '\n')
        if status == 'late':
            time.sleep(arg)
        try:
            self.send_response(200 if status == 'late' else status)
            self.send_header('Content-Length', '0')
            self.end_headers()
        except OSError:
            pass

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Hook)
with open(portfile + '.tmp', 'w') as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + '.tmp', portfile)
server.serve_forever()
END_HOOK

start_hook() {	# NAME MODE
	python3 "$FG_WORK/hook.py" "$FG_WORK/$1.port" "$FG_WORK/$1.log" "$2" \
	    </dev/null >>"$FG_WORK/$1.err" 2>&1 &
	FG_PIDS+=("$!")
	FG_LOGS+=("$FG_WORK/$1.log" "$FG_WORK/$1.err")
	wait_for 10 "the $1 receiver" test -s "$FG_WORK/$1.port"
}
start_hook chat fail:2 || fg_die "start the chat receiver"
start_hook pager hang:20 || fg_die "start the pager receiver"
CHAT_PORT=$(cat "$FG_WORK/chat.port")
PAGER_PORT=$(cat "$FG_WORK/pager.port")

# hook_lines NAME ERE: POSTs logged by receiver NAME matching ERE.
hook_lines() { grep -cE -- "$2" "$FG_WORK/$1.log" 2>/dev/null || true; }
hook_lines_are() { [ "$(hook_lines "$1" "$2")" -eq "$3" ]; }

# --- fwdguard and the relay's configuration --------------------------------------
SECRET="e2e-chat-secret-$RANDOM$RANDOM"
printf '# the chat webhook token\nAuthorization: Bearer %s\n' "$SECRET" >"$FG_WORK/chat.headers"
chmod 600 "$FG_WORK/chat.headers"
# A Slack-style webhook URL is a secret too: its path is the token.
URL_SECRET="e2e-chat-url-$RANDOM$RANDOM"
printf '# the chat webhook\n\nhttp://127.0.0.1:%s/hooks/%s\n' "$CHAT_PORT" "$URL_SECRET" \
    >"$FG_WORK/chat.url"
chmod 600 "$FG_WORK/chat.url"
SOON=$(date -u -d '+3 days' +%F)
LAPSED=$(date -u -d '-1 day' +%F)
CONF="$FG_WORK/fwdguard.yaml"
LDAP_PROTECTED="support@corp.example, customer-service@corp.example, hr@corp.example"
fwdguard_ldap_config "$CONF" || fg_die "render fwdguard.yaml"
# The fixture's exception expires in 3 days; one more lapsed yesterday.
sed -i -e "s/expires: 2099-12-31/expires: $SOON/" \
    -e "s/^rules:/  - destination: archive-vendor.example\n    mailboxes: [customer-service@corp.example]\n    reason: \"archive contract AC-7\"\n    owner: \"Legal team\"\n    expires: $LAPSED\nrules:/" "$CONF"
cat >>"$CONF" <<END_CONF
  mail:
    to: security@corp.example
    from: fwdguard@corp.example
    sendmail: /usr/sbin/sendmail -C ${FG_WORK}/postfix-mta
  dedupe_window: 3600
  expiry_notice_days: 14
  routes:
    - name: pager
      match: { levels: [critical] }
      webhook: { url: "http://127.0.0.1:$PAGER_PORT/page", timeout: 3 }
    - name: hr
      match: { mailboxes: ["group:cn=hr-team,ou=groups,$LDAP_BASE"] }
      mail: { to: hr-team@corp.example }
    - name: customer-service
      match: { mailboxes: [customer-service@corp.example] }
      mail: { to: [cs-lead@corp.example, cs-team@corp.example] }
    - name: legal
      match: { levels: [info] }
      mail: { to: legal-team@corp.example }
    - name: chat
      match: { levels: [critical], rules: [forwarded-copy] }
      webhook:
        url_file: $FG_WORK/chat.url
        format: slack
        timeout: 5
        headers_file: $FG_WORK/chat.headers
END_CONF
# forwarded-copy names the legal route in its notify: the route gets its
# (critical) alerts although its match takes info alerts only.
sed -i '0,/^    alert: critical$/s//    alert: critical\n    notify: [legal]/' "$CONF"
check "the forwarded-copy rule notifies the legal route" grep -q '^    notify: \[legal\]$' "$CONF"
conf_ok() { "$BUILD/fwdguard" -n -c "$CONF" >"$FG_WORK/check.log" 2>&1; }
check "the configuration checks (fwdguard -n)" conf_ok

start_fwdguard "$CONF" || fg_die "start fwdguard"
start_postfix mta --smtpd-milters "$(fwdguard_milter)" || fg_die "start postfix"
MTA_PORT=${PF_PORT[mta]}
[ "${PF_DIR[mta]}" = "$FG_WORK/postfix-mta" ] || fg_die "postfix-mta is ${PF_DIR[mta]}"

RELAY_PID=
start_relay() {
	"$AUDIT" -c "$CONF" alerts --consumer e2e-relay >>"$FG_WORK/relay.log" 2>&1 </dev/null &
	RELAY_PID=$!
	FG_PIDS+=("$RELAY_PID")
}
stop_relay() {
	kill "$RELAY_PID" 2>/dev/null
	fg_wait_pid_gone "$RELAY_PID" 15
}
FG_LOGS+=("$FG_WORK/relay.log")

mails_to() { sink_rcpt_count "$1"; }
mails_are() { [ "$(mails_to "$1")" -eq "$2" ]; }
# mail_to_has ADDR ERE: a mail to ADDR whose text matches ERE.
mail_to_count() {
	local f n=0
	while IFS= read -r f; do
		sink_file_has_rcpt "$f" "$1" && grep -qE -- "$2" "$f" && n=$((n + 1))
	done < <(sink_files)
	echo "$n"
}
pending_in() { rcli_raw XPENDING fwdguard:alerts "$1" | head -n 1; }

# --- 1. expiring exceptions -------------------------------------------------
start_relay
wait_for 20 "the owner's reminder" mails_are dpo@corp.example 1
wait_for 20 "two expiry mails to security" mails_are security@corp.example 2
wait_for 20 "the lapsed exception's notice to customer service" mails_are cs-team@corp.example 1
check "the owner got one reminder" expect_eq 1 "$(mails_to dpo@corp.example)"
check "the reminder names the exception and its last day" expect_eq 1 \
    "$(mail_to_count dpo@corp.example "^Subject: .*WARNING: the exception for support@corp\.example to helpdesk-vendor\.example expires after $SOON")"
check "security got the reminder" expect_eq 1 \
    "$(mail_to_count security@corp.example "^Subject: .*expires after $SOON")"
check "security got the lapsed exception's info notice" expect_eq 1 \
    "$(mail_to_count security@corp.example "^Subject: .*INFO: the exception for customer-service@corp\.example to archive-vendor\.example has expired")"
check "customer service got its mailbox's notice" expect_eq 1 \
    "$(mail_to_count cs-team@corp.example 'has expired')"
check "the HR team got no exception mail" expect_eq 0 "$(mails_to hr-team@corp.example)"
check "an owner that is no address is not tried" fg_not grep -q 'owners: not delivered' "$FG_WORK/relay.log"

# --- 2. an HR leak and a customer-service leak ---------------------------------
leak() {	# MAILBOX TARGET FILE
	make_message "$3" "Delivered-To: $1" "From: Someone <someone@example.net>" \
	    "To: $1" "Subject: payroll question"
	send_smtp "$MTA_PORT" someone@example.net "$2" "$3"
}
t0=$(date +%s)
leak hr@corp.example partner@fti.example "$FG_WORK/hr.eml"
check "the HR leak is rejected" expect_match '^5[0-9][0-9] ' "$SMTP_REPLY"
leak customer-service@corp.example consultant@other.example "$FG_WORK/cs.eml"
check "the customer-service leak is rejected" expect_match '^5[0-9][0-9] ' "$SMTP_REPLY"
wait_for 20 "the HR team's mail" mails_are hr-team@corp.example 1
t1=$(date +%s)
# The pager's webhook hangs: each of its POSTs takes its 3 s timeout, three
# attempts per alert (with 1 + 2 s between them).  Had the HR mail waited
# for it, its first failure would have been logged before the mail came.
check "the hanging webhook delayed no mail (HR mail after $((t1 - t0)) s)" \
    expect_eq 0 "$(grep -c 'route pager webhook: not delivered' "$FG_WORK/relay.log")"
check "the pager's webhook is being tried" wait_for 10 "the pager's first POST" hook_lines_are pager '"n": 1,' 1
wait_for 20 "customer service's mail" mails_are cs-team@corp.example 2
wait_for 20 "security's two leak mails" mails_are security@corp.example 4
check "the HR team: one mail, about hr@" expect_eq 1 \
    "$(mail_to_count hr-team@corp.example '^Subject: .*CRITICAL: forwarding of hr@corp\.example mail to fti\.example blocked')"
check "customer service: one leak mail, about customer-service@, to both" expect_eq 1 \
    "$(mail_to_count cs-lead@corp.example '^Subject: .*forwarding of customer-service@corp\.example mail to other\.example')"
check "the HR team never sees customer service's leak" expect_eq 0 \
    "$(mail_to_count hr-team@corp.example 'customer-service@')"
check "customer service never sees the HR leak" expect_eq 0 \
    "$(mail_to_count cs-team@corp.example 'hr@corp\.example')"
check "security got both leaks" expect_eq 2 \
    "$(mail_to_count security@corp.example '^Subject: .*CRITICAL: forwarding of')"

wait_for 20 "the legal route's three mails" mails_are legal-team@corp.example 3
check "legal (notify: [legal]) got both leaks, outside its match" expect_eq 2 \
    "$(mail_to_count legal-team@corp.example '^Subject: .*CRITICAL: forwarding of')"
check "legal's own match took the info notice, not the warning reminder" expect_eq "1 0" \
    "$(mail_to_count legal-team@corp.example 'has expired') $(mail_to_count legal-team@corp.example 'expires after')"

# --- 3. the chat webhook: 500 twice, then each alert once -----------------------
wait_for 20 "two alerts at the chat receiver" hook_lines_are chat '"status": 200' 2
check "the chat receiver answered 500 twice first" expect_eq 2 "$(hook_lines chat '"status": 500')"
check "the 500s were retried: the first alert's delivery got its 200" expect_eq 1 \
    "$(grep '"status": 200' "$FG_WORK/chat.log" | grep -cF "$(sed -n '1s/.*"delivery": "\([^"]*\)".*/\1/p' "$FG_WORK/chat.log")")"
check "the chat saw the HR leak once" expect_eq 1 "$(hook_lines chat '"status": 200.*hr@corp\.example mail to fti\.example')"
check "the chat saw the customer-service leak once" expect_eq 1 \
    "$(hook_lines chat '"status": 200.*customer-service@corp\.example mail to other\.example')"
check "every POST was Slack JSON" expect_eq 0 "$(hook_lines chat '"text": "(NOT-JSON|JSON )')"
check "every POST carried the headers_file's token" expect_eq "$(hook_lines chat '"n":')" \
    "$(hook_lines chat "\"auth\": \"Bearer $SECRET\"")"
check "every POST went to url_file's URL" expect_eq "$(hook_lines chat '"n":')" \
    "$(hook_lines chat "\"path\": \"/hooks/$URL_SECRET\"")"
check "the relay never logged the URL's token" fg_not grep -qF "$URL_SECRET" "$FG_WORK/relay.log"
check "the chat's rule filter kept the exception notices out" expect_eq 0 "$(hook_lines chat 'exception')"

# --- 4. the failing channel's alerts wait in its own group only -----------------
fg_log_has() { grep -q -- "$1" "$FG_WORK/relay.log"; }
wait_for 30 "the pager's first failure" fg_log_has 'route pager webhook: not delivered'
check "the pager's alerts stay pending in its group" test "$(pending_in relay:pager:webhook)" -ge 1
check "nothing pending for security" expect_eq 0 "$(pending_in relay)"
check "nothing pending for the HR team" expect_eq 0 "$(pending_in relay:hr:mail)"
check "nothing pending for the chat" expect_eq 0 "$(pending_in relay:chat:webhook)"

# --- 5. dedupe per route --------------------------------------------------------
leak hr@corp.example partner@fti.example "$FG_WORK/hr2.eml"
wait_for 20 "the repeat counted for the HR team" test -n \
    "$(rcli_raw HGET 'fwdguard:alerts:route:hr:mail:pending:hr@corp.example|fti.example|forwarded-copy' count)"
wait_for 20 "the repeat counted for security" test -n \
    "$(rcli_raw HGET 'fwdguard:alerts:pending:hr@corp.example|fti.example|forwarded-copy' count)"
stop_relay
check "the relay stops on SIGTERM" fg_not kill -0 "$RELAY_PID" 2>/dev/null
# Only the HR team's window closes; the pager answers again.
rcli DEL 'fwdguard:alerts:route:hr:mail:window:hr@corp.example|fti.example|forwarded-copy' >/dev/null
touch "$FG_WORK/pager.port.ok"
"$AUDIT" -c "$CONF" alerts --once --consumer e2e-relay >>"$FG_WORK/relay.log" 2>&1
check "relay --once exits 0 once every channel delivered" expect_eq 0 "$?"
check "the pager, back, got the HR alerts once" expect_eq 1 \
    "$(hook_lines pager '"status": 200.*hr@corp\.example mail to fti\.example blocked')"
check "the pager, back, got the customer-service alert once" expect_eq 1 \
    "$(hook_lines pager '"status": 200.*customer-service@corp\.example mail to other\.example')"
check "nothing pending for the pager any more" expect_eq 0 "$(pending_in relay:pager:webhook)"
wait_for 20 "the HR team's follow-up" mails_are hr-team@corp.example 2
check "the HR team's follow-up says 1 more" expect_eq 1 \
    "$(mail_to_count hr-team@corp.example '^Subject: .*\(1 more\)')"
wait_delivered mta
check "security's window stays open: no follow-up" expect_eq 4 "$(mails_to security@corp.example)"

# --- 6. a restart repeats nothing -----------------------------------------------
before=$(sink_count)
chat_before=$(hook_lines chat '"status": 200')
pager_before=$(hook_lines pager '"status": 200')
"$AUDIT" -c "$CONF" alerts --once --consumer e2e-relay >>"$FG_WORK/relay.log" 2>&1
wait_delivered mta
sleep 1
check "a restarted relay sends no mail again" expect_eq "$before" "$(sink_count)"
check "a restarted relay posts nothing again" expect_eq "$chat_before/$pager_before" \
    "$(hook_lines chat '"status": 200')/$(hook_lines pager '"status": 200')"
check "one reminder per exception, however often the relay starts" expect_eq 1 "$(mails_to dpo@corp.example)"
# Dedupe alone would hide repeated records from the mail: count them.
check "each exception's alert was written once in three starts" expect_eq 2 \
    "$(rcli_raw XRANGE fwdguard:alerts - + | grep -cx expiry)"

fg_summary
