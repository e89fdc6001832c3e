-- SPDX-License-Identifier: BSD-2-Clause
-- conf: default
-- Hostile input: a control character in a recipient of protected mail gets
-- milter.on_error (tempfail: the spool shows it), 200 To headers of 60
-- addresses and junk headers change nothing, and the daemon keeps answering.

local conn = lib.open(lib.start())
lib.message(conn, { from = "<jane@example.net>",
	rcpts = { { addr = "consul\1tant@fti.example" } },
	headers = lib.inbox_rule_forward() })
lib.expect_reply(conn, SMFIR_REPLYCODE, "control character in recipient")

-- miltertest itself overflows its stack on headers of a few KB; the 100 KB cases
-- are in tests/unit/test_evidence.c and tests/e2e through real Postfix.
local many = {}
for i = 1, 60 do many[i] = "u" .. i .. "@example.net" end
local headers = { { "From", "support@corp.example" },
	{ "X-Junk", string.rep("(((<<<\"", 120) }, { "Subject", string.rep("x", 1000) } }
for i = 1, 200 do table.insert(headers, { "To", table.concat(many, ", ") }) end
lib.message(conn, { from = "<support@corp.example>",
	rcpts = { { addr = "jane@example.net" } }, headers = headers })
lib.expect_reply(conn, SMFIR_ACCEPT, "huge headers from the mailbox itself")

lib.message(conn, { from = "<jane@example.net>",
	rcpts = { { addr = "consultant@fti.example" } },
	headers = lib.inbox_rule_forward() })
lib.expect_reply(conn, SMFIR_REPLYCODE, "still deciding after hostile input")
mt.disconnect(conn)
