-- SPDX-License-Identifier: BSD-2-Clause
-- conf: leak
-- Only "fwdguard-audit probe" marks a canary (in Redis).  A message that
-- arrives by SMTP with every header of a probe (From: probes.from, a
-- matching X-Fwdguard-Probe token and <probe.TOKEN@...> Message-ID) is
-- recorded as an ordinary message: otherwise anyone outside could forge a
-- "probe" and then answer it to raise a critical leak alert.  The real
-- probe path, with the record the tool writes, is tests/e2e/probe_leak.sh.

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
lib.expect_reply(conn, SMFIR_ACCEPT, "the forged probe arrives")

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
lib.expect_reply(conn, SMFIR_ACCEPT, "a reply to the forged probe")
mt.disconnect(conn)
