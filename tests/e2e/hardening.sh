#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# tests/e2e/hardening.sh - what runs as root never writes through a link a
# less trusted user planted, and what reaches a terminal cannot drive it:
#   - fwdguard -P refuses a pid file that is a symbolic link or a hard link;
#   - fwdguard-audit replay, run as root on a spool owned by the daemon's
#     user, works as that user: a cursor symlink planted in the spool
#     does not truncate its target, and the cursor stays the owner's;
#   - fwdguard-audit search shows C1 controls, bidi overrides and bytes that
#     are not UTF-8 as '?' in the table and as \u escapes in --json.
#
# Real redis-server on 127.0.0.1 in a mktemp -d workspace (lib.sh); must run
# as root (the point is what root does).
set -u
. "$(dirname "$0")/lib.sh"

AUDIT="$BUILD/fwdguard-audit"
WRITER="$BUILD/tests/e2e/spool_writer"
PREFIX="hard:"
USER_NAME=postfix	# a system user that exists wherever Postfix is installed

[ -x "$WRITER" ] || make -C "$BUILD" tests/e2e/spool_writer >/dev/null 2>&1
for b in "$BUILD/fwdguard" "$AUDIT" "$WRITER"; do
	[ -x "$b" ] || { echo "not ok - missing $b (build first)"; echo "# 0 passed, 1 failed"; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "not ok - must run as root"; echo "# 0 passed, 1 failed"; exit 1; }

fg_init
start_redis || fg_die "redis-server did not start"
SPOOL="$FG_WORK/spool"
CONF="$FG_WORK/fwdguard.yaml"
cat >"$CONF" <<EOF
milter:
  socket: "unix:$FG_WORK/fwdguard.sock"
  user: $USER_NAME
domains:
  internal: [corp.example]
mailboxes:
  protected: [support@corp.example]
redis:
  address: "127.0.0.1:$REDIS_PORT"
  prefix: "$PREFIX"
  timeout: 1
audit:
  spool: "$SPOOL"
EOF

# A file only root may change, standing in for /etc/shadow.
VICTIM="$FG_WORK/victim"
printf 'precious\n' >"$VICTIM"
victim_intact() { FG_GOT="$(cat "$VICTIM")"; [ "$FG_GOT" = precious ]; }

# --- 1. the pid file (fwdguard_refuses_pidfile: lib.sh) -------------------------------
ln -s "$VICTIM" "$FG_WORK/fwdguard.pid"
check "pid file that is a symlink: refused" fwdguard_refuses_pidfile "$CONF" "$FG_WORK/fwdguard.pid"
check "... and its target is untouched" victim_intact
rm -f "$FG_WORK/fwdguard.pid"
ln "$VICTIM" "$FG_WORK/fwdguard.pid"
check "pid file that is a hard link: refused" fwdguard_refuses_pidfile "$CONF" "$FG_WORK/fwdguard.pid"
check "... and the linked file is untouched" victim_intact
rm -f "$FG_WORK/fwdguard.pid"

# The ordinary case still works: a fresh pid file holds the daemon's pid.
"$BUILD/fwdguard" -f -c "$CONF" -P "$FG_WORK/fwdguard.pid" </dev/null >"$FG_WORK/ok.log" 2>&1 &
PID=$!
FG_PIDS+=("$PID")
FG_LOGS+=("$FG_WORK/ok.log")
pid_written() { [ "$(cat "$FG_WORK/fwdguard.pid" 2>/dev/null)" = "$PID" ]; }
wait_for 10 "pid file" pid_written
check "a plain pid file is written with the daemon's pid" pid_written
kill "$PID" 2>/dev/null
fg_wait_pid_gone "$PID" 10 || kill -9 "$PID" 2>/dev/null

# --- 2. replay as root on the daemon user's spool --------------------------------------
rm -rf "$SPOOL"
"$WRITER" "$SPOOL" 0 5 1 >/dev/null
chown -R "$USER_NAME:" "$SPOOL"
chmod 750 "$SPOOL"
ln -s "$VICTIM" "$SPOOL/cursor"
out=$("$AUDIT" -c "$CONF" replay 2>&1)
check "replay as root ships the records" expect_eq "replayed 5 records" "$out"
check "... without truncating the target of a planted cursor link" victim_intact
owner=$(stat -c %U "$SPOOL/cursor" 2>/dev/null)
check "... and the cursor belongs to the spool's owner" expect_eq "$USER_NAME" "$owner"

# --- 3. what reaches the security team's terminal ------------------------------------------
# \xc2\x9b is U+009B (CSI), \xe2\x80\xae U+202E (right-to-left override),
# \x9b alone a raw 8-bit CSI.
bad=$(printf 'x\xc2\x9b2Jy\xe2\x80\xaez\x9bw@evil.test')
rcli XADD "${PREFIX}audit" '*' id hard-1 ts "$(($(date +%s) * 1000))" mailbox support@corp.example \
    recipient "$bad" destination external target evil.test action reject rule r signals resent \
    >/dev/null
table=$("$AUDIT" -c "$CONF" search --since -1h 2>&1)
check "table: no C1 control, bidi override or raw 8-bit byte reaches the terminal" \
    expect_eq 0 "$(printf '%s' "$table" | LC_ALL=C grep -c $'\xc2\x9b\|\xe2\x80\xae\|\x9b')"
check "table: they are shown as '?'" expect_match 'x\?2Jy\?z\?w@evil\.test' "$table"
json=$("$AUDIT" -c "$CONF" search --json --since -1h 2>&1)
check "json: C1 and bidi controls are \\u escapes" \
    expect_match '"recipient":"x\\u009b2Jy\\u202ez\\u009bw@evil.test"' "$json"

fg_summary
