-- conf: leak
-- A canary of "fwdguard-audit probe" reaches support@: its correlation
-- record says probe 1.  Any answer from outside that references it, even a
-- person's reply, is a confirmed leak (leak-probe).  The same headers from
-- someone else than probes.from do not make a probe.

local conn = lib.open(lib.start())
lib.message(conn, {
	from = "<fwdguard-probe@corp.example>",
	rcpts = { { addr = "support@corp.example", mailer = "local", host = "corp.example" } },
	headers = {
		{ "From", "fwdguard-probe@corp.example" },
		{ "To", "support@corp.example" },
		{ "Subject", "fwdguard probe" },
		{ "X-Fwdguard-Probe", "T0KEN42" },
		{ "Message-ID", "<probe.T0KEN42@corp.example>" },
	},
})
lib.expect_reply(conn, SMFIR_ACCEPT, "the probe arrives")

lib.message(conn, {
	from = "<mallory@corp.example>",
	rcpts = { { addr = "support@corp.example", mailer = "local", host = "corp.example" } },
	headers = {
		{ "From", "mallory@corp.example" },
		{ "To", "support@corp.example" },
		{ "X-Fwdguard-Probe", "F4KE" },
		{ "Message-ID", "<probe.F4KE@corp.example>" },
	},
})
lib.expect_reply(conn, SMFIR_ACCEPT, "a look-alike probe")

lib.message(conn, {
	from = "<consultant@fti.example>",
	rcpts = { { addr = "fwdguard-probe@corp.example", mailer = "local", host = "corp.example" } },
	headers = {
		{ "From", "Consultant <consultant@fti.example>" },
		{ "To", "fwdguard-probe@corp.example" },
		{ "Subject", "Re: fwdguard probe" },
		{ "In-Reply-To", "<probe.T0KEN42@corp.example>" },
		{ "Message-ID", "<re-probe@fti.example>" },
	},
})
lib.expect_reply(conn, SMFIR_ACCEPT, "a reply to the probe")
mt.disconnect(conn)
