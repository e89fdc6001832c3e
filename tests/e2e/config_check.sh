#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# "fwdguard -n" checks everything start needs that can be checked offline:
# a secret file that is not there, a user that does not exist, an alert
# command that cannot run.  Each is named with file:line:col and its key,
# "-n" exits 1, and the daemon refuses the same file the same way instead
# of failing later with a message that names no key.
. "$(dirname "$0")/lib.sh"

fg_init
start_redis || fg_die "start redis-server"
fwdguard_config "$FG_WORK/base.yaml" enforce reject
base="$FG_WORK/base.yaml"

check_n() { "$BUILD/fwdguard" -n -c "$1" >"$FG_WORK/n.out" 2>&1; }
check "the test's base configuration passes -n" check_n "$base"

# variant NAME SED: base.yaml with SED applied, as FG_WORK/NAME.yaml
variant() { sed -e "$2" "$base" >"$FG_WORK/$1.yaml"; echo "$FG_WORK/$1.yaml"; }

conf=$(variant user 's/^\( *user: \).*/\1no-such-user-fwdguard/')
check "user: the variant sets milter.user" grep -q 'user: no-such-user-fwdguard' "$conf"
check_n "$conf"
check "user: -n exits 1" expect_eq 1 "$?"
check "user: -n names file, line and key" \
    expect_match "$conf:[0-9]+:[0-9]+: milter.user: unknown user 'no-such-user-fwdguard'" \
    "$(cat "$FG_WORK/n.out")"

conf=$(variant secret 's|^redis:$|redis:\n  password_file: /nonexistent/redis.secret|')
check_n "$conf"
check "secret: -n exits 1" expect_eq 1 "$?"
check "secret: -n names file, line and key" \
    expect_match "$conf:[0-9]+:[0-9]+: redis.password_file: cannot use '/nonexistent/redis.secret': No such file or directory" \
    "$(cat "$FG_WORK/n.out")"
"$BUILD/fwdguard" -f -c "$conf" </dev/null >"$FG_WORK/start.out" 2>&1
check "secret: the daemon refuses to start (exit 1)" expect_eq 1 "$?"
check "secret: and names the key" grep -q 'redis.password_file: cannot use' "$FG_WORK/start.out"

conf=$(variant sendmail 's|^alerts:$|alerts:\n  mail: { to: security@corp.example, from: fwdguard@corp.example, sendmail: /nonexistent/sendmail -t }|')
check "sendmail: the variant has an alerts: section" grep -q 'sendmail: /nonexistent/sendmail' "$conf"
check_n "$conf"
check "sendmail: -n exits 1" expect_eq 1 "$?"
check "sendmail: -n names file, line and key" \
    expect_match "$conf:[0-9]+:[0-9]+: alerts.mail.sendmail: cannot run '/nonexistent/sendmail'" \
    "$(cat "$FG_WORK/n.out")"

fg_summary
