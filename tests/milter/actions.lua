-- SPDX-License-Identifier: BSD-2-Clause
-- conf: actions
-- Each action on one connection (which also shows per-message state is reset):
-- strip, flag, quarantine, tempfail with the rule's reply, and a rule in monitor mode.

local conn = lib.open(lib.start())
local base = {
	{ "From", "Jane Customer <jane@example.net>" },
	{ "To", "support@corp.example" },
	{ "Message-ID", "<a1@example.net>" },
}
local function with(name, value)
	local h = { { name, value } }
	for _, x in ipairs(base) do table.insert(h, x) end
	return h
end

-- strip: the external recipient goes, the colleague keeps the message
lib.message(conn, { from = "<support@corp.example>",
	rcpts = { { addr = "colleague@corp.example", mailer = "local", host = "corp.example" },
	          { addr = "consultant@fti.example" } },
	headers = with("Resent-From", "support@corp.example") })
lib.expect_reply(conn, SMFIR_ACCEPT, "strip accepts")
lib.expect(mt.eom_check(conn, MT_RCPTDELETE, "<consultant@fti.example>"), "external recipient removed")
lib.expect(not mt.eom_check(conn, MT_RCPTDELETE, "<colleague@corp.example>"), "colleague kept")

-- flag: delivered with an X-Fwdguard header naming rule and signal
lib.message(conn, { from = "<support@corp.example>",
	rcpts = { { addr = "consultant@fti.example" } },
	headers = with("X-Forwarded-To", "support@corp.example") })
lib.expect_reply(conn, SMFIR_ACCEPT, "flag accepts")
local h = mt.getheader(conn, "X-Fwdguard", 0)
lib.expect(h ~= nil, "X-Fwdguard added")
lib.expect(string.find(h, "^flag; rule=flag%-gmail; signals=gmail%-forward[%w,-]*; id=%w+$") ~= nil,
	"X-Fwdguard value: " .. tostring(h))

-- quarantine: held, not rejected
lib.message(conn, { from = "<support@corp.example>",
	rcpts = { { addr = "consultant@fti.example" } },
	headers = with("X-Sieve-Redirected-From", "support@corp.example") })
lib.expect(mt.eom_check(conn, MT_QUARANTINE), "sieve redirect quarantined")
lib.expect_reply(conn, SMFIR_ACCEPT, "quarantine accepts into the hold queue")

-- tempfail with the rule's own reply text
lib.message(conn, { from = "<support@corp.example>",
	rcpts = { { addr = "consultant@fti.example" } },
	headers = with("X-Original-To", "support@corp.example") })
lib.expect_reply(conn, SMFIR_REPLYCODE, "tempfail")

-- a rule in monitor mode decides reject but lets the message pass
lib.message(conn, { from = "<support@corp.example>",
	rcpts = { { addr = "consultant@fti.example" } },
	headers = with("Delivered-To", "support@corp.example") })
lib.expect_reply(conn, SMFIR_ACCEPT, "monitor-mode rule passes")
mt.disconnect(conn)
