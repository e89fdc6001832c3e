-- conf: leak
-- attached-message: support@ forwards a customer's message as an attachment
-- (message/rfc822 whose headers show delivery to support@) to an outside
-- address: rejected.  The same outside address gets an ordinary PDF
-- attachment from support@: accepted.

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
mt.disconnect(conn)
