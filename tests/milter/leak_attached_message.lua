-- SPDX-License-Identifier: BSD-2-Clause
-- conf: leak
-- attached-message: support@ forwards a customer's message as an attachment
-- (message/rfc822 whose headers show delivery to support@) to an outside
-- address: rejected.  The same outside address gets an ordinary PDF
-- attachment from support@: accepted.  A forged bounce (null sender) to
-- the consultant enclosing a decoy written to him beside the customer's
-- real message: rejected (he is a party of the decoy only); the genuine
-- bounce of two of the customer's messages back to her: accepted.

local conn = lib.open(lib.start())
local forwarded = table.concat({
	"This is a multi-part message in MIME format.",
	"--b0undary",
	"Content-Type: text/plain; charset=us-ascii",
	"",
	"FYI, see below.",
	"--b0undary",
	"Content-Type: message/rfc822",
	"Content-Disposition: attachment",
	"",
	"Delivered-To: support@corp.example",
	"From: Jane Customer <jane@example.net>",
	"To: support@corp.example",
	"Subject: My account 12345",
	"Message-ID: <a1@example.net>",
	"",
	"My account number is 12345.",
	"--b0undary--",
	"",
}, "\r\n")
lib.message(conn, {
	from = "<support@corp.example>",
	rcpts = { { addr = "consultant@fti.example" } },
	headers = {
		{ "From", "Customer Service <support@corp.example>" },
		{ "To", "consultant@fti.example" },
		{ "Subject", "Fwd: My account 12345" },
		{ "Message-ID", "<fwd1@corp.example>" },
		{ "MIME-Version", "1.0" },
		{ "Content-Type", "multipart/mixed; boundary=\"b0undary\"" },
	},
	body = forwarded,
})
lib.expect_reply(conn, SMFIR_REPLYCODE, "forward as attachment")

local ordinary = table.concat({
	"--b0undary",
	"Content-Type: text/plain; charset=us-ascii",
	"",
	"Please find our offer attached.",
	"--b0undary",
	"Content-Type: application/pdf; name=offer.pdf",
	"Content-Transfer-Encoding: base64",
	"Content-Disposition: attachment; filename=offer.pdf",
	"",
	"JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K",
	"--b0undary--",
	"",
}, "\r\n")
lib.message(conn, {
	from = "<support@corp.example>",
	rcpts = { { addr = "consultant@fti.example" } },
	headers = {
		{ "From", "Customer Service <support@corp.example>" },
		{ "To", "consultant@fti.example" },
		{ "Subject", "Our offer" },
		{ "Message-ID", "<offer1@corp.example>" },
		{ "MIME-Version", "1.0" },
		{ "Content-Type", "multipart/mixed; boundary=b0undary" },
	},
	body = ordinary,
})
lib.expect_reply(conn, SMFIR_ACCEPT, "ordinary attachment")
local function enclosed(from, to, id)
	return table.concat({
		"--r",
		"Content-Type: message/rfc822",
		"",
		"Delivered-To: support@corp.example",
		"From: " .. from,
		"To: " .. to,
		"Message-ID: <" .. id .. ">",
		"",
		"Account 12345.",
	}, "\r\n")
end
local function bounce(to, id, body)
	return {
		from = "<>",
		rcpts = { { addr = to } },
		headers = {
			{ "From", "MAILER-DAEMON@mx.corp.example (Mail Delivery System)" },
			{ "To", to },
			{ "Message-ID", "<" .. id .. ">" },
			{ "MIME-Version", "1.0" },
			{ "Content-Type", "multipart/report; report-type=delivery-status; boundary=r" },
		},
		body = body .. "\r\n--r--\r\n",
	}
end
lib.message(conn, bounce("consultant@fti.example", "decoy-bounce@corp.example",
	enclosed("insider@corp.example", "consultant@fti.example", "decoy@corp.example") .. "\r\n" ..
	enclosed("Jane Customer <jane@example.net>", "support@corp.example", "a7@example.net")))
lib.expect_reply(conn, SMFIR_REPLYCODE, "forged bounce with a decoy")
lib.message(conn, bounce("jane@example.net", "real-bounce@corp.example",
	enclosed("Jane Customer <jane@example.net>", "support@corp.example", "a8@example.net") ..
	"\r\n" ..
	enclosed("jane@example.net", "support@corp.example", "a9@example.net")))
lib.expect_reply(conn, SMFIR_ACCEPT, "genuine bounce of two messages")
mt.disconnect(conn)
