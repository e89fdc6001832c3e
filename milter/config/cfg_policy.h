/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg_policy.h - private to the config loader: the setters of the keys
 * behind struct policy (milter/config/cfg_policy.c), and the mailbox
 * check the other setters share.
 */
#ifndef FWDGUARD_CFG_POLICY_H
#define FWDGUARD_CFG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include "cfg_loader.h"
#include "policy.h"

/*
 * One mailbox address's comparison form into out; 0, or -1 after
 * reporting.  cfg_is_protected: is a comparison form one of
 * mailboxes.protected?
 */
int cfg_mailbox(struct cfg_loader *l, const struct cfg_node *n, const char *path,
    char *out, size_t size);
bool cfg_is_protected(const struct policy *p, const char *canonical);
/*
 * A cfg_item_fn: the comparison form of a protected mailbox (malloc'd), or
 * NULL after reporting; with ldap.protected_filter any mailbox may be one.
 */
char *cfg_protected_mailbox(struct cfg_loader *l, const struct cfg_key *k,
    const struct cfg_node *item, const char *path);

CFG_SETTER(cfg_set_address);
CFG_SETTER(cfg_set_delimiter);
CFG_SETTER(cfg_set_protected);
CFG_SETTER(cfg_set_domains);
CFG_SETTER(cfg_set_allow_dest);
CFG_SETTER(cfg_set_allow_mailboxes);
CFG_SETTER(cfg_set_expires);
CFG_SETTER(cfg_set_signals);
CFG_SETTER(cfg_set_dests);
CFG_SETTER(cfg_set_dirs);
CFG_SETTER(cfg_set_senders);
CFG_SETTER(cfg_set_reply);

/*
 * A rule of rules[] before its keys are read (its unset marks), and after
 * (an action left unset, a name used twice); items are the rules so far,
 * nodes their YAML, ipath "rules[i]".
 */
void cfg_rule_init(void *item);
void cfg_rule_done(struct cfg_loader *l, void *items, size_t i,
    struct cfg_node *const *nodes, const char *ipath);

#endif
