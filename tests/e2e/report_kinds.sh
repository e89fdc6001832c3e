#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/report_kinds.sh - "fwdguard-audit report" tells forwards from
# replies, through a real Postfix and Redis.  The story: support@'s mail
# is copied out by a mailbox rule (monitor mode: recorded as reject, got
# out; then enforce: rejected), support@ answers its customers (its own
# mail, not a forward), and a canary probe is answered by the firm that an
# unseen alias forwards support@ to (leak evidence).  The report splits
# the three kinds with the exact counts, marks the destinations first
# seen after --since as new, filters with --domain, and --html draws the
# same numbers: checked in the file and, rendered by headless Chromium,
# in the page's DOM; hostile values in the trail come out as text.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_leak.sh"

leak_world monitor reject
audit() { "$AUDIT" -c "$CONF" "$@"; }

# forward TAG RCPT: a mailbox rule's copy of a customer's mail to support@.
forward() {
	make_message "$FG_WORK/$1.eml" "Delivered-To: support@corp.example" \
	    "From: Customer <customer@example.net>" "To: support@corp.example" \
	    "Subject: invoice $1"
	send_smtp "$MTA_PORT" customer@example.net "$2" "$FG_WORK/$1.eml"
}
# reply TAG RCPT: support@ answers a customer.
reply() {
	make_message "$FG_WORK/$1.eml" "From: Support <support@corp.example>" "To: <$2>" \
	    "Subject: Re: your contract" "In-Reply-To: <q-$1@example.net>"
	send_smtp "$MTA_PORT" support@corp.example "$2" "$FG_WORK/$1.eml"
}
records=0
recorded() {	# N: N more decisions are in the trail
	records=$((records + $1))
	audit_wait "$records" 15
}

# --- before --since: one forward got out (monitor), one reply ----------------
forward early consultant@fti.example
check "monitor: the early forward is accepted" expect_match '^250 ' "$SMTP_REPLY"
recorded 1
reply r0 customer@example.net
recorded 1
sleep 1.1
since=$(date +%s)
sleep 1.1

# --- the window ------------------------------------------------------------
forward late consultant@fti.example
check "monitor: the late forward is accepted" expect_match '^250 ' "$SMTP_REPLY"
recorded 1
sed -i 's/^mode: monitor/mode: enforce/' "$CONF"
reload_fwdguard || fg_die "reload fwdguard in enforce mode"
for i in 1 2 3; do
	forward "stop$i" "partner$i@evil-consult.example"
	check "enforce: forward $i rejected" expect_match '^550 ' "$SMTP_REPLY"
done
recorded 3
reply r1 customer@example.net
reply r2 customer@example.net
reply r3 bob@customers.example
recorded 3
wait_delivered mta
check "the mailbox's replies reached the customers" \
    expect_eq "3 1" "$(sink_rcpt_count customer@example.net) $(sink_rcpt_count bob@customers.example)"
out=$(audit probe 2>"$FG_WORK/probe.err")
mid=$(printf '%s\n' "$out" | sed -nE 's/^probe support@corp\.example: sent <([^>]+)>$/\1/p')
check "probe sent" test -n "$mid"
wait_for 20 "the probe at the outside firm" sink_has_rcpt consultant@fti.example
make_message "$FG_WORK/ooo.eml" "From: Consultant <consultant@fti.example>" \
    "To: fwdguard-probe@corp.example" "Subject: Out of Office: fwdguard canary" \
    "Auto-Submitted: auto-replied" "In-Reply-To: <$mid>" "References: <$mid>"
send_smtp "$MTA_PORT" consultant@fti.example fwdguard-probe@corp.example "$FG_WORK/ooo.eml"
check "the out-of-office is accepted" expect_match '^250 ' "$SMTP_REPLY"
wait_for 15 "the leak-probe decision" audit_has signals=leak-probe
wait_delivered mta

# --- report: text and JSON -------------------------------------------------------
# row JSON KIND DEST: the JSON line of that kind and destination for support@.
row() {
	grep -F "\"kind\":\"$2\",\"mailbox\":\"support@corp.example\",\"destination\":\"$3\"" \
	    <<<"$1"
}
count_of() { row "$@" | sed -nE 's/.*"count":([0-9]+).*/\1/p'; }
new_of() { row "$@" | sed -nE 's/.*"new":([a-z]+).*/\1/p'; }
all=$(audit report --json)
check "report --json: exits 0" expect_eq 0 "$?"
check "whole trail: 2 forwarded copies to fti.example, got out in monitor mode" \
    expect_match '"count":2,"actions":\{"reject/monitor":2\}' "$(row "$all" copy fti.example)"
check "whole trail: 3 forwarded copies to evil-consult.example, rejected" \
    expect_match '"count":3,"actions":\{"reject":3\}' "$(row "$all" copy evil-consult.example)"
check "whole trail: replies are the mailbox's own mail (3 to example.net)" \
    expect_eq 3 "$(count_of "$all" sent example.net)"
check "whole trail: 1 reply to customers.example" expect_eq 1 "$(count_of "$all" sent customers.example)"
check "whole trail: no reply counted as a forward" \
    expect_eq "" "$(row "$all" copy example.net)$(row "$all" copy customers.example)"
check "whole trail: 1 leak evidence record from fti.example" \
    expect_eq 1 "$(count_of "$all" leak fti.example)"
check "whole trail: new is not known without --since" expect_eq null "$(new_of "$all" copy fti.example)"
check "every JSON line parses" python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert rows and all({"kind", "new", "count", "destination"} <= r.keys() for r in rows)' <<<"$all"

win=$(audit report --json --since "$since")
check "window: 1 forward to fti.example, not new" \
    expect_eq "1 false" "$(count_of "$win" copy fti.example) $(new_of "$win" copy fti.example)"
check "window: evil-consult.example is new" expect_eq "3 true" \
    "$(count_of "$win" copy evil-consult.example) $(new_of "$win" copy evil-consult.example)"
check "window: 2 replies to example.net, not new" \
    expect_eq "2 false" "$(count_of "$win" sent example.net) $(new_of "$win" sent example.net)"
check "window: customers.example is new" expect_eq true "$(new_of "$win" sent customers.example)"
check "window: the leak from fti.example (seen before as a forward) is not new" \
    expect_eq "1 false" "$(count_of "$win" leak fti.example) $(new_of "$win" leak fti.example)"

text=$(audit report --since "$since")
printf '%s\n' "$text" >"$FG_WORK/report-since.txt"	# for a reader of a KEEP=1 workspace
# section TITLE: the rows of the text report's section that starts with TITLE.
section() { awk -v t="$1" 'index($0, t) == 1 { on = 1; next } /^$/ { on = 0 } on' <<<"$text"; }
check "text: the copies section lists evil-consult.example as new" \
    expect_match 'support@corp\.example +evil-consult\.example +external +3 +reject:3 .* new$' \
    "$(section 'COPIES OF RECEIVED MAIL')"
check "text: replies are not in the copies section" \
    expect_eq 0 "$(section 'COPIES OF RECEIVED MAIL' | grep -c 'example\.net')"
check "text: replies are in the mailbox's own section" \
    expect_match 'support@corp\.example +example\.net +external +2 +accept:2' \
    "$(section 'SENT BY THE MAILBOX')"
check "text: the leak section names fti.example" \
    expect_match 'support@corp\.example +fti\.example +external +1 ' "$(section 'LEAK EVIDENCE')"
dom=$(audit report --json --domain evil-consult.example)
check "--domain keeps only that destination" \
    expect_eq "1 1" "$(grep -c . <<<"$dom") $(grep -c '"destination":"evil-consult.example"' <<<"$dom")"
check "--mailbox gives the same counts" \
    expect_eq "$(count_of "$all" sent example.net)" \
    "$(count_of "$(audit report --json --mailbox support@corp.example)" sent example.net)"

# --- report --html ---------------------------------------------------------------
# figures FILE: what the page shows, one "name value" a line, read by an HTML
# parser: the cards per kind, the sum of the day bars per action, the rows
# marked new, and any element that would run or fetch something.
figures() {
	python3 - "$1" <<'EOP'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.out, self.bars, self.total, self.section = [], {}, 0, None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.section = a.get("id")
        if tag in ("script", "img", "iframe", "object", "link") or any(k.startswith("on") for k in a):
            self.out.append("active " + tag)
        if "data-decisions" in a:
            self.out.append("decisions " + a["data-decisions"])
        if tag == "div" and "data-kind" in a:
            self.out.append("card %s %s" % (a["data-kind"], a["data-count"]))
        if tag == "g" and "data-total" in a:
            self.total += int(a["data-total"])
        if tag == "rect" and "data-action" in a:
            self.bars[a["data-action"]] = self.bars.get(a["data-action"], 0) + int(a["data-count"])
        if tag == "tr" and a.get("data-new") == "1" and self.section == "new":
            self.out.append("new %s %s" % (a["data-kind"], a["data-destination"]))
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
p.out.append("bars %d" % p.total)
p.out += ["action %s %d" % kv for kv in sorted(p.bars.items())]
print("\n".join(p.out))
EOP
}
# want_figures JSON: the same figures from report --json of the same window.
want_figures() {
	python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
total = sum(r["count"] for r in rows)
print("decisions %d" % total)
kinds = {}
for r in rows: kinds[r["kind"]] = kinds.get(r["kind"], 0) + r["count"]
for k in ("copy", "leak", "sent", "received"): print("card %s %d" % (k, kinds.get(k, 0)))
for r in rows:
    if r["new"] and r["kind"] in ("copy", "leak"): print("new %s %s" % (r["kind"], r["destination"]))
print("bars %d" % total)
acts = {}
for r in rows:
    for a, n in r["actions"].items():
        a = "monitor (passed)" if a.endswith("/monitor") else a
        acts[a] = acts.get(a, 0) + n
for a in sorted(acts): print("action %s %d" % (a, acts[a]))' <<<"$1"
}
html="$FG_WORK/report.html"
audit report --html "$html" --since "$since"
check "--html: exits 0 and writes the page" test -s "$html"
want=$(want_figures "$win")
check "--html: the page's figures are the trail's (file)" expect_eq "$want" "$(figures "$html")"
check "--html: the evil-consult.example row is marked new"     expect_match 'new copy evil-consult\.example' "$(figures "$html")"
check "--html: self-contained (no URL to fetch)"     expect_eq 0 "$(grep -ciE '(src|href)=|url\(|@import' "$html")"
check "--html: the exception with its owner and expiry"     expect_match 'helpdesk-vendor\.example.*dpo@corp\.example.*2099-12-31' "$(tr -d '\n' <"$html")"

# Headless Chromium renders it: the figures in the DOM it built.
chromium_ok() { command -v chromium >/dev/null 2>&1; }
if ! chromium_ok && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >"$FG_WORK/apt.log" 2>&1
fi
if chromium_ok; then
	render() {	# HTML OUT.dom OUT.png
		timeout 60 chromium --headless --no-sandbox --disable-gpu --dump-dom \
		    "file://$1" >"$2" 2>>"$FG_WORK/chromium.log" &&
		    timeout 60 chromium --headless --no-sandbox --disable-gpu \
		    --hide-scrollbars --window-size=1200,1600 --screenshot="$3" "file://$1" \
		    >>"$FG_WORK/chromium.log" 2>&1
	}
	FG_LOGS+=("$FG_WORK/chromium.log")
	render "$html" "$FG_WORK/report.dom" "$FG_WORK/report.png"
	check "chromium: rendered the page to a PNG" test -s "$FG_WORK/report.png"
	check "chromium: the rendered page's figures are the trail's" \
	    expect_eq "$want" "$(figures "$FG_WORK/report.dom")"
	[ -n "${REPORT_PNG:-}" ] && cp "$FG_WORK/report.png" "$REPORT_PNG"
else
	echo "# skip: chromium is not installed and could not be (see tests/setup-debian);" \
	    "the page was checked as a file only" >&2
	echo "# SKIP chromium rendering"
fi

# Hostile values in the trail (anyone who can write to Redis, or an
# attacker's address) are text in the page: no element, no attribute breaks out.
rcli XADD fwdguard:audit '*' mailbox '"><script>alert(1)</script>@corp.example' \
    target "<img src=x onerror=alert(2)>'\"x.example" recipient 'a@x.example' \
    signals delivered-to action reject destination external >/dev/null
audit report --html "$html"
check "hostile: the page holds no active element" \
    expect_eq "" "$(figures "$html" | grep '^active')"
check "hostile: the address is shown as text" \
    expect_match '&quot;&gt;&lt;script&gt;alert\(1\)&lt;/script&gt;@corp\.example' "$(cat "$html")"
if chromium_ok; then
	render "$html" "$FG_WORK/hostile.dom" "$FG_WORK/hostile.png"
	check "hostile: chromium built no script or img element" \
	    expect_eq "" "$(figures "$FG_WORK/hostile.dom" | grep '^active')"
fi

fg_summary
