-- SPDX-License-Identifier: BSD-2-Clause
-- conf: actions
-- A mixed transaction through the real daemon and libmilter: tempfail and
-- quarantine decided for the outside recipient remove it (SMFIR_DELRCPT)
-- and accept the message for the colleague; nothing is held or refused.
-- The same copy to outside recipients only is held or tempfailed whole.

local conn = lib.open(lib.start())
local function headers(name)
	return { { name, "support@corp.example" },
		{ "From", "Jane Customer <jane@example.net>" },
		{ "To", "support@corp.example" },
		{ "Message-ID", "<m1@example.net>" } }
end
local colleague = { addr = "colleague@corp.example", mailer = "local", host = "corp.example" }
local outside = { addr = "consultant@fti.example" }
local partner = { addr = "partner@other.example" }

-- quarantine beside a colleague: the outside copies go, nobody is held
lib.message(conn, { from = "<support@corp.example>", rcpts = { outside, colleague, partner },
	headers = headers("X-Sieve-Redirected-From") })
lib.expect_reply(conn, SMFIR_ACCEPT, "mixed quarantine accepts")
lib.expect(not mt.eom_check(conn, MT_QUARANTINE), "mixed quarantine holds nothing")
lib.expect(mt.eom_check(conn, MT_RCPTDELETE, "<consultant@fti.example>"), "consultant removed")
lib.expect(mt.eom_check(conn, MT_RCPTDELETE, "<partner@other.example>"), "partner removed")
lib.expect(not mt.eom_check(conn, MT_RCPTDELETE, "<colleague@corp.example>"), "colleague kept")

-- tempfail beside a colleague: the outside copy goes, nothing is tempfailed
lib.message(conn, { from = "<support@corp.example>", rcpts = { colleague, outside },
	headers = headers("X-Original-To") })
lib.expect_reply(conn, SMFIR_ACCEPT, "mixed tempfail accepts")
lib.expect(mt.eom_check(conn, MT_RCPTDELETE, "<consultant@fti.example>"),
	"consultant removed (tempfail)")
lib.expect(not mt.eom_check(conn, MT_RCPTDELETE, "<colleague@corp.example>"),
	"colleague kept (tempfail)")

-- every recipient outside: held as a whole, nobody removed
lib.message(conn, { from = "<support@corp.example>", rcpts = { outside, partner },
	headers = headers("X-Sieve-Redirected-From") })
lib.expect(mt.eom_check(conn, MT_QUARANTINE), "all outside: held")
lib.expect(not mt.eom_check(conn, MT_RCPTDELETE, "<consultant@fti.example>"),
	"all outside: nobody removed")

-- every recipient outside: tempfailed as a whole
lib.message(conn, { from = "<support@corp.example>", rcpts = { outside, partner },
	headers = headers("X-Original-To") })
lib.expect_reply(conn, SMFIR_REPLYCODE, "all outside: tempfail")
mt.disconnect(conn)
