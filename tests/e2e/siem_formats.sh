#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# SIEM formats: fwdguard-audit search and tail --format ecs and --format
# cef over a real trail (Postfix, fwdguard, Redis): a forward refused, a
# reply accepted, a flagged forward, and one entry written straight into
# Redis with values that try to break each format.  Every ECS line must
# parse as JSON and carry the required fields with the record's values;
# every CEF line must parse (7 header pipes, escapes, key=value) and give
# back the record's values.  Both programs and every command answer --help;
# a bad option is named.
set -u
. "$(dirname "$0")/lib.sh"

AUDIT="$BUILD/fwdguard-audit"

fg_init
start_redis || fg_die "start redis-server"
start_sink || fg_die "start smtp-sink"
CONF="$FG_WORK/fwdguard.yaml"
fwdguard_config "$CONF" enforce reject
# A rule that flags (first match wins): a copy resent by support@.
sed -i 's/^rules:$/rules:\n  - name: resent-review\n    match: { signals: [resent], destination: external }\n    action: flag/' "$CONF"
start_fwdguard "$CONF" || fg_die "start fwdguard"
start_postfix mta --smtpd-milters "$(fwdguard_milter)" \
    --non-smtpd-milters "$(fwdguard_milter)" || fg_die "start postfix"
MTA_PORT=${PF_PORT[mta]}

make_message "$FG_WORK/fwd.eml" "Delivered-To: support@corp.example" \
    "From: Customer <customer@example.net>" "To: support@corp.example" "Subject: contract"
send_smtp "$MTA_PORT" customer@example.net consultant@fti.example "$FG_WORK/fwd.eml"
check "smtp: the forward is refused" expect_match '^550 ' "$SMTP_REPLY"
make_message "$FG_WORK/reply.eml" "From: Support <support@corp.example>" \
    "To: Customer <customer@example.net>" "Subject: Re: contract"
send_smtp "$MTA_PORT" support@corp.example customer@example.net "$FG_WORK/reply.eml"
check "smtp: the reply is accepted" expect_match '^250 ' "$SMTP_REPLY"
make_message "$FG_WORK/resent.eml" "Resent-From: support@corp.example" \
    "From: Customer <customer@example.net>" "To: support@corp.example" "Subject: resent"
send_smtp "$MTA_PORT" customer@example.net partner@partner.example "$FG_WORK/resent.eml"
check "smtp: the resent copy is accepted" expect_match '^250 ' "$SMTP_REPLY"
audit_wait 3 15

# Hostile values, as anyone who can write to Redis could store them.
rcli XADD fwdguard:audit '*' id hostile-1 ts 1700000000123 host 'mx|1=x' \
    recipient $'<a=b|c\\d@evil.test>' sender $'x\xc2\x9b2J\xe2\x80\xaey@evil.test' \
    from '' signals 'orcpt,leak-probe' rule $'r|u=le\\' action reject mode monitor \
    reason $'line1\nline2\r=|\\ j\xc3\xa9r\xc3\xb4me \x1b[2J' message_id '<m=1|x@evil.test>' \
    direction inbound queue_id QX1 >/dev/null
check "redis: the hostile entry is in the stream" expect_eq 4 "$(audit_count)"
check "audit: one decision each: reject, accept, flag" \
    expect_eq "accept flag reject" "$(audit_records | tr '\t' '\n' | sed -n 's/^action=//p' |
    head -n 3 | sort | tr '\n' ' ' | sed 's/ $//')"

"$AUDIT" -c "$CONF" search --limit 0 --json >"$FG_WORK/ref.json" 2>"$FG_WORK/err"
check "search --json: exit 0, 4 lines" expect_eq 4 "$(wc -l <"$FG_WORK/ref.json")"
"$AUDIT" -c "$CONF" search --limit 0 --format json >"$FG_WORK/fmt.json"
check "search --format json is --json" cmp -s "$FG_WORK/ref.json" "$FG_WORK/fmt.json"
"$AUDIT" -c "$CONF" search --limit 0 --format ecs >"$FG_WORK/search.ecs"
check "search --format ecs: exit 0" test $? -eq 0
"$AUDIT" -c "$CONF" search --limit 0 --format cef >"$FG_WORK/search.cef"
check "search --format cef: exit 0" test $? -eq 0
"$AUDIT" -c "$CONF" tail --since 0 --limit 4 --format ecs >"$FG_WORK/tail.ecs"
check "tail --format ecs: exit 0" test $? -eq 0
"$AUDIT" -c "$CONF" tail --since 0 --limit 4 --format cef >"$FG_WORK/tail.cef"
check "tail --format cef: exit 0" test $? -eq 0

# siem_check FORMAT FILE: the checker below, one "ok"/"FAIL ..." line per finding.
siem_check() {
	python3 - "$1" "$2" "$FG_WORK/ref.json" <<'PY'
import json, re, sys
from datetime import datetime, timezone

fmt, path, refpath = sys.argv[1:4]
refs = {}
for line in open(refpath, encoding='utf-8'):
    r = json.loads(line)
    refs[r['id']] = r
bad = []
def want(cond, what):
    if not cond:
        bad.append(what)

def bare(v):
    return v[1:-1] if len(v) >= 2 and v[0] == '<' and v[-1] == '>' else v

LEFT = {'accept', 'flag'}
STOPPED = {'reject', 'tempfail', 'quarantine', 'strip'}
def outcome(r):
    if r.get('mode') == 'monitor' or r['action'] in LEFT:
        return 'success'
    return 'failure' if r['action'] in STOPPED else 'unknown'

def printable(v):
    """What CEF may carry: C0, DEL, C1 and bidi controls become '?'."""
    out = []
    for ch in v:
        o = ord(ch)
        if ch in '\n\r':
            out.append(ch)
        elif o < 0x20 or 0x7f <= o <= 0x9f or 0x202a <= o <= 0x202e or \
                0x2066 <= o <= 0x2069 or o in (0x200e, 0x200f, 0x61c):
            out.append('?')
        else:
            out.append(ch)
    return ''.join(out)

# The ECS fields every line must carry (dotted paths), and how they relate
# to the record: "=field" the record's value, "bare" without <>, fixed strings.
ECS_REQUIRED = ['@timestamp', 'ecs.version', 'event.kind', 'event.category', 'event.type',
                'event.action', 'event.outcome', 'event.id', 'email.to.address',
                'email.message_id', 'email.direction', 'observer.hostname',
                'observer.vendor', 'observer.product', 'related.user', 'related.hosts',
                'fwdguard.id', 'fwdguard.signals']

def get(d, path):
    for k in path.split('.') if path != '@timestamp' else [path]:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d

def check_ecs(line, n):
    doc = json.loads(line)
    r = refs[doc['fwdguard']['id']]
    for f in ECS_REQUIRED:
        want(get(doc, f) is not None, f'line {n}: {f} missing')
    ts = datetime.fromtimestamp(int(r['ts']) / 1000, tz=timezone.utc)
    want(doc['@timestamp'] == ts.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (int(r['ts']) % 1000),
         f'line {n}: @timestamp {doc["@timestamp"]}')
    want(doc['ecs']['version'].startswith('8.'), f'line {n}: ecs.version')
    ev = doc['event']
    want(ev['kind'] == 'event', f'line {n}: event.kind')
    want(ev['category'] == ['email'], f'line {n}: event.category')
    want(ev['action'] == r['action'], f'line {n}: event.action')
    want(ev['outcome'] == outcome(r), f'line {n}: event.outcome {ev["outcome"]}')
    want(ev['type'] == ['info', 'allowed' if outcome(r) == 'success' else 'denied'],
         f'line {n}: event.type')
    want(ev['id'] == r['id'], f'line {n}: event.id')
    em = doc['email']
    want(em['to']['address'] == [bare(r['recipient'])], f'line {n}: email.to.address')
    frm = r.get('from') or r.get('sender')
    want(get(doc, 'email.from.address') == ([bare(frm)] if bare(frm or '') else None),
         f'line {n}: email.from.address')
    want(em['message_id'] == bare(r['message_id']), f'line {n}: email.message_id')
    want(em['direction'] == r['direction'], f'line {n}: email.direction')
    want(get(doc, 'rule.name') == (r.get('rule') or None), f'line {n}: rule.name')
    want(doc['observer']['hostname'] == r['host'], f'line {n}: observer.hostname')
    want(doc['observer']['vendor'] == 'fwdguard' and doc['observer']['product'] == 'fwdguard',
         f'line {n}: observer.vendor/product')
    want(bare(r['recipient']) in doc['related']['user'], f'line {n}: related.user')
    want(r['host'] in doc['related']['hosts'], f'line {n}: related.hosts')
    fg = doc['fwdguard']
    for k, v in r.items():
        if k == 'signals':
            want(fg[k] == [s for s in v.split(',') if s], f'line {n}: fwdguard.signals')
        else:
            want(fg.get(k) == v, f'line {n}: fwdguard.{k}')
    return r['id']

def cef_split_header(line):
    """The 7 header fields (unescaped) and the extension."""
    fields, cur, i = [], [], 0
    while len(fields) < 7:
        if i >= len(line):
            raise ValueError('fewer than 7 header fields')
        c = line[i]
        if c == '\\' and i + 1 < len(line) and line[i + 1] in '\\|':
            cur.append(line[i + 1]); i += 2; continue
        if c == '|':
            fields.append(''.join(cur)); cur = []; i += 1; continue
        cur.append(c); i += 1
    return fields, line[i:]

def cef_extension(ext):
    """key=value pairs; a value runs to the next unescaped ' key='."""
    out, key, val, i = {}, None, [], 0
    m = re.match(r'([A-Za-z0-9_]+)=', ext)
    if ext and not m:
        raise ValueError('extension does not start with key=')
    while i < len(ext):
        m = re.match(r'([A-Za-z0-9_]+)=', ext[i:]) if (i == 0 or ext[i - 1] == ' ') else None
        if m and (i == 0 or True) and (key is None or ext[i - 1] == ' '):
            if key is not None:
                out[key] = ''.join(val)[:-1]   # the space before the next key
            key, val = m.group(1), []
            i += len(m.group(0)); continue
        c = ext[i]
        if c == '\\' and i + 1 < len(ext):
            nxt = ext[i + 1]
            val.append({'n': '\n', 'r': '\r', '\\': '\\', '=': '='}.get(nxt, '\\' + nxt))
            i += 2; continue
        if c == '=':
            raise ValueError('unescaped = in a value')
        val.append(c); i += 1
    if key is not None:
        out[key] = ''.join(val)
    return out

def check_cef(line, n):
    want(line.startswith('CEF:0|'), f'line {n}: not CEF:0')
    hdr, ext = cef_split_header(line)
    kv = cef_extension(ext)
    r = refs[kv['externalId']]
    want(hdr[:3] == ['CEF:0', 'fwdguard', 'fwdguard'], f'line {n}: header {hdr[:3]}')
    want(hdr[4] == printable(r.get('rule') or 'none'), f'line {n}: signature id {hdr[4]!r}')
    want(hdr[5] == 'mail ' + r['action'], f'line {n}: name {hdr[5]!r}')
    want(hdr[6].isdigit() and 0 <= int(hdr[6]) <= 10, f'line {n}: severity {hdr[6]}')
    sev = {'reject': 8, 'flag': 5, 'accept': 1}[r['action']]
    if r.get('mode') == 'monitor' and r['action'] == 'reject':
        sev = 9
    if 'leak-probe' in r.get('signals', '').split(','):
        sev = 10
    elif r['action'] == 'accept' and r.get('signals'):
        sev = 3
    want(int(hdr[6]) == sev, f'line {n}: severity {hdr[6]} (want {sev})')
    pairs = {'rt': r['ts'], 'act': r['action'], 'duser': bare(r['recipient']),
             'suser': bare(r['sender']), 'dvchost': r['host'], 'msg': r.get('reason'),
             'externalId': r['id'], 'cat': r.get('destination'), 'flexString1': r.get('queue_id')}
    for k, v in pairs.items():
        if v:
            want(kv.get(k) == printable(v), f'line {n}: {k}={kv.get(k)!r} (want {printable(v)!r})')
    labels = {'signals': 'signals', 'mailbox': 'mailbox', 'target': 'target', 'mode': 'mode',
              'messageId': 'message_id', 'headerFrom': 'from'}
    for i in range(1, 7):
        lab = kv.get(f'cs{i}Label')
        if lab is not None:
            want(kv.get(f'cs{i}') == printable(r.get(labels[lab], '')), f'line {n}: cs{i} ({lab})')
    for f, lab in (('signals', 'signals'), ('mailbox', 'mailbox'), ('mode', 'mode')):
        if r.get(f):
            want(lab in [kv.get(f'cs{i}Label') for i in range(1, 7)], f'line {n}: no {lab}')
    return r['id']

ids = []
with open(path, encoding='utf-8', newline='\n') as fh:
    lines = fh.read().split('\n')
want(lines[-1] == '', 'output does not end with a newline')
for n, line in enumerate(lines[:-1], 1):
    try:
        ids.append(check_ecs(line, n) if fmt == 'ecs' else check_cef(line, n))
    except Exception as e:
        bad.append(f'line {n}: {type(e).__name__}: {e}: {line!r}')
want(sorted(ids) == sorted(refs), f'ids {sorted(ids)} (want {sorted(refs)})')
for line in lines:
    for ch in line:
        o = ord(ch)
        want(not (o < 0x20 or 0x7f <= o <= 0x9f or 0x202a <= o <= 0x202e or 0x2066 <= o <= 0x2069),
             f'raw control U+{o:04X} in output')
print('\n'.join(f'FAIL {b}' for b in bad[:20]) if bad else 'ok')
PY
}

for f in search.ecs tail.ecs; do
	check "$f: every line is ECS JSON with the record's values" \
	    expect_eq ok "$(siem_check ecs "$FG_WORK/$f")"
done
for f in search.cef tail.cef; do
	check "$f: every line parses as CEF and gives back the record's values" \
	    expect_eq ok "$(siem_check cef "$FG_WORK/$f")"
done
check "cef: the hostile entry's header pipe is escaped" \
    expect_match '\|r\\\|u=le\\\\\|mail reject\|10\|' "$(grep hostile-1 "$FG_WORK/search.cef")"

# --help: usage on stdout, exit 0, nothing on stderr.
help_ok() {
	local out rc
	out=$("$@" 2>"$FG_WORK/help.err")
	rc=$?
	FG_GOT="rc=$rc stderr=$(head -c 200 "$FG_WORK/help.err") stdout=$(printf '%s' "$out" | head -c 80)"
	[ "$rc" = 0 ] && printf '%s\n' "$out" | grep -q '^usage' && [ ! -s "$FG_WORK/help.err" ]
}
for h in --help -h; do
	check "fwdguard $h" help_ok "$BUILD/fwdguard" "$h"
	check "fwdguard-audit $h" help_ok "$AUDIT" "$h"
	for cmd in search report tail replay alerts probe; do
		check "fwdguard-audit $cmd $h" help_ok "$AUDIT" -c "$CONF" "$cmd" "$h"
	done
done

# bad_option WANT_IN_STDERR CMD...: exit 2, nothing on stdout, stderr names it.
bad_option() {
	local want=$1 out rc
	shift
	out=$("$@" 2>"$FG_WORK/bad.err")
	rc=$?
	FG_GOT="rc=$rc stdout=$(printf '%s' "$out" | head -c 80) stderr=$(head -n 1 "$FG_WORK/bad.err")"
	[ "$rc" = 2 ] && [ -z "$out" ] && grep -qF -- "$want" "$FG_WORK/bad.err"
}
check "fwdguard --bogus is named" bad_option "--bogus" "$BUILD/fwdguard" --bogus
check "fwdguard -x is named" bad_option "-x" "$BUILD/fwdguard" -x
check "fwdguard-audit --bogus is named" bad_option "--bogus" "$AUDIT" --bogus
check "search --bogus=1 is named" bad_option "search: unknown option --bogus" \
    "$AUDIT" -c "$CONF" search --bogus=1
check "report --format is named" bad_option "report: option --format" \
    "$AUDIT" -c "$CONF" report --format ecs
check "tail --count without a value is named" bad_option "tail: option --count needs" \
    "$AUDIT" -c "$CONF" tail --count
check "search --format xml names the option and the formats" \
    bad_option '--format: unknown format "xml" (want text, json, ecs or cef)' \
    "$AUDIT" -c "$CONF" search --format xml
check "probe --once is named" bad_option "probe: option --once" "$AUDIT" -c "$CONF" probe --once
check "fwdguard still running" fwdguard_alive

fg_summary
