-- SPDX-License-Identifier: BSD-2-Clause
-- conf: default
-- An inbox rule forwards the support mailbox to an outside consulting firm:
-- rejected (the 550 5.7.1 text with its ref id is checked end-to-end in tests/e2e).

local function forward(conn, what)
	lib.message(conn, {
		from = "<jane@example.net>",
		rcpts = { { addr = "consultant@fti.example" } },
		headers = lib.inbox_rule_forward(),
	})
	lib.expect_reply(conn, SMFIR_REPLYCODE, what)
	mt.disconnect(conn)
end

forward(lib.open(lib.start()), "inbox-rule forward")
-- The same from an MTA that takes no macro lists (an older Sendmail): the
-- connect step is kept and the client's address still reaches the record.
forward(lib.open(nil, "127.0.0.2",
    SMFIF_ADDHDRS + SMFIF_ADDRCPT + SMFIF_DELRCPT + SMFIF_QUARANTINE),
    "inbox-rule forward, connect step kept")
