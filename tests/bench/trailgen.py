#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""
tests/bench/trailgen.py - synthetic audit trail for tests/bench/trail.

Writes Redis commands in RESP (for "redis-cli --pipe") that leave the keys
the shipper (milter/trail/shipper.c) leaves for N decision records: each record
in <prefix>audit and in <prefix>mailbox:<mailbox>, with the fields and
their order of milter/act_records.c, plus the <prefix>seen:<id> marker.
The one difference: the stream ids carry the decision time (explicit ids,
spread evenly over DAYS days ending at NOW), where the shipper lets Redis
pick "*"; that is what makes a month of history in a few seconds.

Usage: trailgen.py N --now MS --out DIR [--prefix P] [--days D] [--mailboxes M]
Writes DIR/audit.resp (XADD <prefix>audit), DIR/mailbox.resp (XADD
<prefix>mailbox:<mailbox>) and DIR/seen.resp (SET <prefix>seen:<id>), one
command per record each, so that the caller can load them one after the
other and measure what each part costs.  Seen markers are written only for the records younger than their TTL (a
week), with the TTL they would have left, as on a live server.

The mix (fixed seed, so every run writes the same trail): M protected
mailboxes; 60% inbound mail to a mailbox, 25% replies from a mailbox to an
external correspondent, 10% forwards caught by a rule (signals, reject,
flag or quarantine), 5% to an allowed vendor; 400 external domains with a
skewed popularity (a few big providers, a long tail).
"""
import bisect
import itertools
import random
import sys

SEEN_TTL_S = 604800
POLICY = "2fc71b2e262135169f5b5152059d71b5f046927e93cbb276e5de6ef66748cd45"
ULID = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SIGNALS = ["delivered-to", "orcpt", "received-for", "sieve-redirect", "exchange-rule",
           "gmail-forward", "resent", "delivered-to,received-for", "known-message-id",
           "attached-message", "referenced-message"]
FWD_ACTIONS = [("reject", "rejected"), ("reject", "rejected"), ("flag", "delivered"),
               ("quarantine", "held")]
VENDOR = "helpdesk-vendor.example"


def bulk(s):
    b = s.encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def command(args):
    return b"*%d\r\n" % len(args) + b"".join(bulk(a) for a in args)


def ulid(ms, n):
    """A decision id as milter/trail/ids.c makes them: 48 bits of ms, 80 of counter."""
    v = (ms << 80) | (0x5EED << 64) | n
    out = []
    for _ in range(26):
        out.append(ULID[v & 31])
        v >>= 5
    return "".join(reversed(out))


def domains():
    big = ["gmail.example", "outlook.example", "yahoo.example", "gmx.example", "orange.example"]
    tail = ["partner%03d.example" % i for i in range(395)]
    weights = [40, 25, 10, 8, 7] + [10.0 / (1 + i / 20.0) for i in range(395)]
    return big + tail, weights


def record(i, ms, rng, mboxes, dom):
    mbox = mboxes[rng.randrange(len(mboxes))]
    spelled = mbox if rng.random() < 0.9 else mbox.capitalize()
    qid = "%011X" % (0x1000000000 + i)
    msgid = "%d.%06d@mx%d.corp.example" % (ms // 1000, i % 1000000, i % 4)
    r = rng.random()
    person = "%s%d@%s" % (rng.choice(["anna", "ben", "chen", "dana", "eli"]), rng.randrange(5000), dom)
    f = {"id": ulid(ms, i), "ts": str(ms), "host": "mx%d" % (i % 4), "queue_id": qid,
         "message_id": msgid}
    if r < 0.60:
        f.update(direction="inbound", sender=person, **{"from": person},
                 recipient=spelled, mailbox=mbox, destination="internal",
                 target="corp.example", signals="", rule="", action="accept", mode="enforce",
                 reason="no rule matched", outcome="delivered", sender_protected="no")
    elif r < 0.85:
        f.update(direction="outbound", sender=mbox, **{"from": mbox},
                 recipient=person, mailbox=mbox, destination="external", target=dom,
                 signals="", rule="", action="accept", mode="enforce",
                 reason="no rule matched", outcome="delivered", sender_protected="yes")
    elif r < 0.95:
        sig = rng.choice(SIGNALS)
        action, outcome = rng.choice(FWD_ACTIONS)
        f.update(direction="outbound", sender=mbox, **{"from": mbox},
                 recipient=person, mailbox=mbox, destination="external", target=dom,
                 signals=sig, rule="forwarded-copy", action=action, mode="enforce",
                 reason="forwarded copy of %s to %s (signals %s)" % (mbox, dom, sig),
                 outcome=outcome, sender_protected="yes")
    else:
        f.update(direction="outbound", sender=mbox, **{"from": mbox},
                 recipient="desk@%s" % VENDOR, mailbox=mbox, destination="allowed",
                 target=VENDOR, signals="delivered-to", rule="forwarded-copy", action="accept",
                 mode="enforce", reason="allowed: data processing agreement DPA-2024-17",
                 outcome="delivered", sender_protected="yes")
    sp = f.pop("sender_protected")	# its place is after policy
    f.update(client="192.0.2.%d" % (i % 250 + 1), auth="", policy=POLICY,
             sender_protected=sp, daemon="smtpd", mailbox_address=spelled)
    if f["destination"] == "allowed":
        f.update(allow_reason="data processing agreement DPA-2024-17",
                 allow_owner="dpo@corp.example", allow_expires="2027-06-30")
    return f


def pick(rng, items, cumulative):
    return items[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def main():
    args = sys.argv[1:]
    opts = {"--prefix": "fwdguard:", "--days": "30", "--now": None, "--mailboxes": "1000",
            "--out": None}
    pos = []
    while args:
        a = args.pop(0)
        if a in opts and args:
            opts[a] = args.pop(0)
        else:
            pos.append(a)
    if len(pos) != 1 or opts["--now"] is None or opts["--out"] is None:
        sys.exit(__doc__)
    n, prefix = int(pos[0]), opts["--prefix"]
    now = int(opts["--now"])
    span = int(opts["--days"]) * 86400 * 1000
    rng = random.Random(20261130)
    mboxes = ["team%04d@corp.example" % i for i in range(int(opts["--mailboxes"]))]
    doms, weights = domains()
    cumulative = list(itertools.accumulate(weights))
    out = {part: open("%s/%s.resp" % (opts["--out"], part), "wb")
           for part in ("audit", "mailbox", "seen")}
    xadd, audit_key = bulk("XADD"), bulk(prefix + "audit")
    buf = {part: [] for part in out}
    for i in range(n):
        # Oldest first, the newest a minute before now; distinct milliseconds.
        ms = now - 60000 - span + (span * (i + 1)) // n
        f = record(i, ms, rng, mboxes, pick(rng, doms, cumulative))
        payload = b"".join(bulk(k) + bulk(v) for k, v in f.items())
        head = b"*%d\r\n" % (3 + 2 * len(f)) + xadd
        sid = bulk("%d-0" % ms)
        buf["audit"].append(head + audit_key + sid + payload)
        buf["mailbox"].append(head + bulk(prefix + "mailbox:" + f["mailbox"]) + sid + payload)
        left = (ms // 1000 + SEEN_TTL_S) - now // 1000
        if left > 0:
            buf["seen"].append(command(["SET", prefix + "seen:" + f["id"], "1", "EX", str(left)]))
        if i % 1000 == 999:
            for part in out:
                out[part].write(b"".join(buf[part]))
                buf[part] = []
    for part in out:
        out[part].write(b"".join(buf[part]))
        out[part].close()


if __name__ == "__main__":
    main()
