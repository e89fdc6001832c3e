/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * record_fields.h - the names of the audit trail as the spool, Redis and
 * fwdguard-audit spell them (README.md "The audit trail",
 * man/fwdguard-audit.1): the record kinds, the field names, the alert
 * types and the default key prefix.  Every file that writes or reads a
 * record names its fields through these, so a reader can find each use of
 * a field and no two files can spell one differently.  The spellings are
 * the trail's format: records already stored and the tools reading them
 * depend on them, so they do not change.
 */
#ifndef FWDGUARD_RECORD_FIELDS_H
#define FWDGUARD_RECORD_FIELDS_H

/* Keys are "<prefix>audit", "<prefix>mailbox:<address>", "<prefix>alerts", ... */
#define REC_PREFIX_DEFAULT	"fwdguard:"

/* The configured redis.prefix, or the default where none is set. */
static inline const char *
rec_prefix(const char *configured)
{
	return configured != NULL ? configured : REC_PREFIX_DEFAULT;
}

/* --- what a record is: field REC_KIND (record_new) -------------------------- */
#define REC_KIND		"kind"
#define REC_KIND_DECISION	"decision"	/* to <prefix>audit and the mailbox's stream */
#define REC_KIND_ALERT		"alert"		/* to <prefix>alerts, also PUBLISHed */
#define REC_KIND_CORRELATION	"correlation"	/* to the <prefix>msg:<message-id> hash */
#define REC_KIND_CHAIN		"chain"		/* a chain's head, kept in the spool */

/* --- every record ------------------------------------------------------------ */
#define REC_ID			"id"		/* unique: replay writes it once */
#define REC_TS			"ts"		/* unix ms */
#define REC_HOST		"host"

/* --- a decision -------------------------------------------------------------- */
#define REC_QUEUE_ID		"queue_id"
#define REC_MESSAGE_ID		"message_id"
#define REC_DIRECTION		"direction"
#define REC_SENDER		"sender"
#define REC_FROM		"from"
#define REC_RECIPIENT		"recipient"
#define REC_MAILBOX		"mailbox"
#define REC_MAILBOX_ADDRESS	"mailbox_address"
#define REC_DESTINATION		"destination"
#define REC_TARGET		"target"
#define REC_SIGNALS		"signals"
#define REC_RULE		"rule"
#define REC_ACTION		"action"
#define REC_MODE		"mode"
#define REC_REASON		"reason"
#define REC_OUTCOME		"outcome"
#define REC_CLIENT		"client"
#define REC_AUTH		"auth"
#define REC_POLICY		"policy"
#define REC_SENDER_PROTECTED	"sender_protected"
#define REC_DAEMON		"daemon"
#define REC_REROUTED_TO		"rerouted_to"
#define REC_ALLOW_REASON	"allow_reason"
#define REC_ALLOW_OWNER		"allow_owner"
#define REC_ALLOW_EXPIRES	"allow_expires"
#define REC_UNCHECKED		"unchecked"
#define REC_ORIGINAL_MESSAGE_ID	"original_message_id"
#define REC_ORIGINAL_TS		"original_ts"
#define REC_ORIGINAL_VIA	"original_via"
#define REC_CORROBORATION	"corroboration"

/* --- an alert (and the decision fields it repeats) ----------------------------- */
#define REC_LEVEL		"level"
#define REC_DECISION_ID		"decision_id"
#define REC_SUMMARY		"summary"
#define REC_NOTIFY_ROUTES	"notify_routes"
#define REC_NOTIFY		"notify"
#define REC_TYPE		"type"		/* absent: an alert for the security team */
#define REC_TYPE_NOTICE		"notice"	/* ask the relay to tell the mailbox */
#define REC_TYPE_ANCHOR		"anchor"	/* a chain's head, for fwdguard-audit verify */
#define REC_TYPE_EXPIRY		"expiry"	/* an exception expires or expired */
#define REC_OWNER		"owner"		/* expiry: the exception's */
#define REC_EXPIRES		"expires"
#define REC_DAYS_LEFT		"days_left"
#define REC_NOTIFY_OWNER	"notify_owner"

/* --- a change the directory watch saw ------------------------------------------- */
#define REC_CHANGE		"change"
#define REC_ENTRY		"entry"
#define REC_ATTRIBUTE		"attribute"
#define REC_MODIFIERS_NAME	"modifiers_name"
#define REC_MODIFY_TIMESTAMP	"modify_timestamp"
#define REC_FORWARDS		"forwards"
#define REC_FORWARDS_COUNT	"forwards_count"

/* --- a correlation record -------------------------------------------------------- */
#define REC_CONVERSATION	"conversation"
#define REC_TTL			"ttl"
#define REC_RCPT_DOMAINS	"rcpt_domains"
#define REC_PROBE		"probe"

/* --- the hash chain over the records (chain.h) --------------------------------- */
#define REC_CHAIN		"chain"
#define REC_SEQ			"seq"
#define REC_PREV		"prev"
#define REC_HASH		"hash"
#define REC_CHAIN_START		"chain_start"
#define REC_SOURCE		"source"

#endif
