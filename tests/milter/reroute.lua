-- conf: reroute
-- A Sieve redirect passes the customer's message on unchanged, envelope
-- sender and all: rerouted to the mailbox's tagged address (delrcpt +
-- addrcpt, marked), the colleague untouched, no reply code.  The
-- mailbox's own forward still gets the 550; a forged mark changes nothing.

local function redirect(extra)
	local h = {
		{ "X-Sieve-Redirected-From", "support@corp.example" },
		{ "From", "Jane Customer <jane@example.net>" },
		{ "To", "support@corp.example" },
		{ "Subject", "My account 12345" },
		{ "Message-ID", "<rr1@example.net>" },
	}
	for _, x in ipairs(extra or {}) do
		table.insert(h, x)
	end
	return h
end

local conn = lib.open(lib.start())
lib.message(conn, {
	from = "<jane@example.net>",
	rcpts = { { addr = "partner@fti.example" },
		  { addr = "colleague@corp.example", mailer = "local", host = "corp.example" } },
	headers = redirect(),
})
lib.expect_reply(conn, SMFIR_ACCEPT, "reroute accepts")
lib.expect(mt.eom_check(conn, MT_RCPTDELETE, "<partner@fti.example>"), "outside recipient removed")
lib.expect(mt.eom_check(conn, MT_RCPTADD, "<support+fwdguard@corp.example>"), "tagged mailbox added")
lib.expect(not mt.eom_check(conn, MT_RCPTDELETE, "<colleague@corp.example>"), "colleague kept")
lib.expect(mt.eom_check(conn, MT_HDRADD, "X-Fwdguard-Rerouted"), "rerouted message marked")
mt.disconnect(conn)

conn = lib.open()
lib.message(conn, {
	from = "<support@corp.example>",
	rcpts = { { addr = "partner@fti.example" } },
	headers = redirect(),
})
lib.expect_reply(conn, SMFIR_REPLYCODE, "the mailbox's own forward is refused")
lib.expect(not mt.eom_check(conn, MT_RCPTADD, "<support+fwdguard@corp.example>"), "no reroute")
mt.disconnect(conn)

conn = lib.open()
lib.message(conn, {
	from = "<jane@example.net>",
	rcpts = { { addr = "partner@fti.example" } },
	headers = redirect({ { "X-Fwdguard-Rerouted",
	    "to=support+fwdguard@corp.example; id=01JFORGED; sig=00000000000000000000000000000000" } }),
})
lib.expect_reply(conn, SMFIR_ACCEPT, "forged mark: still accepted")
lib.expect(mt.eom_check(conn, MT_RCPTADD, "<support+fwdguard@corp.example>"), "forged mark: rerouted")
lib.expect(not mt.eom_check(conn, MT_QUARANTINE), "forged mark: not held")
mt.disconnect(conn)
